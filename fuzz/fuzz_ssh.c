/*
 * fuzz_ssh.c - libFuzzer harness for the SSH parser (src/proto/ssh*.c),
 * driven through a minimal fake struct proto_ctx defined here (records are
 * formatted with Zeek's TSV writer and dropped).  Input: byte 0 picks the
 * responder port (bit 0: 22, else 2222: the off-port ts rule); then chunks,
 * each one header byte (bit 7: direction, 0 orig / 1 resp; bits 0-6:
 * length 0..127, a length of 0 is a content gap) followed by that many
 * bytes, so both directions interleave and every framing boundary (lines,
 * packet heads, KEXINIT name-lists) falls at arbitrary chunk splits.  The
 * harness honours the app layer's contract: after PROTO_DONE or
 * PROTO_ERROR nothing more is fed.  Seeds (fuzz/corpus/fuzz_ssh/) are the
 * first segments of corpus SSH sessions in this format.
 */
#include <stddef.h>
#include <stdint.h>

#include "proto/proto.h"
#include "proto_harness.h"

extern const struct proto_parser proto_ssh;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const struct harness_opts o = {.format = HARNESS_FRAME,
                                   .flags = HARNESS_EMPTY_GAP,
                                   .ts0 = 1000000000,
                                   .ts_step = 1000,
                                   .switch_ret = -1,
                                   .expect_ret = -1};
    harness_drive_tcp(&proto_ssh, (data[0] & 1) ? 22 : 2222, data + 1, size - 1, &o);
    return 0;
}
