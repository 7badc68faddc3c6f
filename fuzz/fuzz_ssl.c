/*
 * fuzz_ssl.c - libFuzzer harness for the TLS parser ("ssl") and x509.log.
 *
 * The input is a sequence of frames: one header byte (bit 7: direction,
 * 0 = client; bits 0-6: length 0-127) and that many bytes, fed to
 * proto_ssl.parse() as one chunk of that direction, so the fuzzer chooses
 * both the bytes and how they are split.  A fake proto_ctx stands in for
 * the app layer; every emitted record is formatted as the TSV writer would.
 * Seeds (fuzz/corpus/fuzz_ssl/) are corpus handshakes framed this way.
 */
#include <stddef.h>
#include <stdint.h>

#include "proto/proto.h"
#include "proto_harness.h"

extern const struct proto_parser proto_ssl;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct proto_conn conn = {.uid = "Cfuzz", .community_id = "1:fuzz", .ip_proto = 6};
    conn.orig_h.family = conn.resp_h.family = 4;
    const struct harness_opts o = {
        .format = HARNESS_FRAME, .flags = HARNESS_TS_OFFSET, .switch_ret = -1, .expect_ret = -1};
    harness_drive(&proto_ssl, &conn, data, size, &o);
    return 0;
}
