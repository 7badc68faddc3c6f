/*
 * fuzz_smtp.c - libFuzzer harness for the RFC 5321/3030 SMTP parser (src/proto/smtp*.c).
 *
 * The parser runs through its descriptor with a minimal fake struct
 * proto_ctx defined here (records are formatted field by field, so every
 * string and vector the parser hands out is read by the sanitizers).
 * Input: byte 0 picks the responder port (bit 0: the well-known one, else
 * 2525, which changes Zeek's late-attach timing), then steps, each a
 * control byte and a length byte followed by that many payload bytes:
 * control bit 0 picks the direction, bit 1 reports a gap of
 * (control >> 2) * 13 bytes before the payload.  So both directions,
 * random chunking and gaps are exercised; the probe runs on each chunk.
 */
#include <stddef.h>
#include <stdint.h>

#include "proto/proto.h"
#include "proto_harness.h"

extern const struct proto_parser proto_smtp;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct proto_parser *p = &proto_smtp;
    if (size < 1)
        return 0;
    struct proto_conn conn = {.uid = "CFuzz", .community_id = "1:fuzz", .ip_proto = 6};
    conn.orig_h.family = conn.resp_h.family = 4;
    conn.orig_h.a[0] = 10;
    conn.resp_h.a[0] = 10;
    conn.resp_h.a[3] = 2;
    conn.orig_p = 40000;
    conn.resp_p = (data[0] & 1) ? p->ports[0] : 2525;
    const struct harness_opts o = {
        .format = HARNESS_STEP_GAP, .ts0 = 1000000000LL, .ts_step = 1000};
    harness_drive(p, &conn, data + 1, size - 1, &o);
    return 0;
}
