/*
 * fuzz_pop3.c - libFuzzer harness for the POP3 STLS parser (src/proto/pop3.c),
 * driven through a minimal fake struct proto_ctx defined here (records are
 * formatted with Zeek's TSV writer and dropped).  Input: byte 0 is unused
 * but for bit 0 (responder port 110 or 40001); then chunks, each one header
 * byte (bit 7: direction, 0 orig / 1 resp; bits 0-6: length 0..127)
 * followed by that many bytes, so both directions interleave and every
 * message boundary falls at arbitrary chunk splits.  Each side's first
 * chunk also goes through the probe.  The harness honours the app layer's
 * contract: after PROTO_DONE, PROTO_ERROR or a proto_switch() nothing more
 * is fed.  Seeds (fuzz/corpus/fuzz_pop3/): a greeting, CAPA, STLS accepted and
 * refused, USER/PASS.
 */
#include <stddef.h>
#include <stdint.h>

#include "proto/proto.h"
#include "proto_harness.h"

extern const struct proto_parser proto_pop3;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    struct proto_conn conn = {.uid = "Cfuzz", .community_id = "1:fuzz", .ip_proto = 6};
    conn.orig_h.family = conn.resp_h.family = 4;
    conn.orig_h.a[0] = 10;
    conn.resp_h.a[0] = 8;
    conn.orig_p = 40000;
    conn.resp_p = (data[0] & 1) ? 110 : 40001;
    const struct harness_opts o = {.format = HARNESS_FRAME,
                                   .flags = HARNESS_PROBE_FIRST | HARNESS_EMPTY_SKIP |
                                            HARNESS_STOP_ON_SWITCH,
                                   .ts0 = 1000000000,
                                   .ts_step = 1000,
                                   .switch_ret = 0,
                                   .expect_ret = -1};
    harness_drive(&proto_pop3, &conn, data + 1, size - 1, &o);
    return 0;
}
