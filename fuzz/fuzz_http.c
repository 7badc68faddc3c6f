/*
 * fuzz_http.c - libFuzzer harness for the HTTP parser (src/proto/http*.c).
 *
 * The parser runs through its descriptor with a minimal fake struct
 * proto_ctx defined here (records are formatted field by field, so every
 * string and vector the parser hands out is read by the sanitizers).
 * Input: a sequence of steps, each a control byte and a length byte, then
 * that many payload bytes: control bit 0 picks the direction, bit 1 ends
 * it (eof), bit 2 reports a gap of (control >> 3) * 37 bytes before the
 * payload; so both directions, random chunking, gaps and closes are
 * exercised.  The probe runs on the first chunk of each direction.
 */
#include <stddef.h>
#include <stdint.h>

#include "proto/proto.h"
#include "proto_harness.h"

extern const struct proto_parser proto_http;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct proto_conn conn = {.uid = "CFuzz", .community_id = "1:fuzz"};
    conn.orig_h.family = conn.resp_h.family = 4;
    const struct harness_opts o = {.format = HARNESS_STEP_EOF,
                                   .ts0 = 1,
                                   .ts_step = 1000,
                                   .probe_orig_p = 1234,
                                   .probe_resp_p = 80};
    harness_drive(&proto_http, &conn, data, size, &o);
    return 0;
}
