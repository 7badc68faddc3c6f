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
    harness_drive_tcp(&proto_pop3, (data[0] & 1) ? 110 : 40001, data + 1, size - 1,
                      &harness_opts_switching);
    return 0;
}
