/*
 * fuzz_smb.c - libFuzzer harness for the SMB identifier (src/proto/smb.c),
 * driven through a minimal fake struct proto_ctx (fuzz/proto_harness.c).
 * Input: byte 0 picks the responder port (bit 0: 445, else 139);
 * then chunks, each one header byte (bit 7: direction, 0 orig / 1 resp;
 * bits 0-6: length 0..127, a length of 0 is a content gap) followed by that
 * many bytes, so both directions interleave and every framing header falls
 * at arbitrary chunk splits.  Each side's first chunk also goes through the
 * probe.  The harness honours the app layer's contract: after PROTO_DONE
 * or PROTO_ERROR nothing more is fed.  Seeds (fuzz/corpus/fuzz_smb/):
 * the client and server segments of tests/pcap/mkpcap_smb.py's SMB 2 (445) and NetBIOS + SMB 1
 * (139) sessions.
 */
#include <stddef.h>
#include <stdint.h>

#include "proto/proto.h"
#include "proto_harness.h"

extern const struct proto_parser proto_smb;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    harness_drive_tcp(&proto_smb, (data[0] & 1) ? 445 : 139, data + 1, size - 1,
                      &harness_opts_framing);
    return 0;
}
