/*
 * fuzz_dcerpc.c - libFuzzer harness for the DCE/RPC identifier (src/proto/dcerpc.c),
 * driven through a minimal fake struct proto_ctx (fuzz/proto_harness.c).
 * Input: byte 0 picks the responder port (bit 0: 135, else 49670);
 * then chunks, each one header byte (bit 7: direction, 0 orig / 1 resp;
 * bits 0-6: length 0..127, a length of 0 is a content gap) followed by that
 * many bytes, so both directions interleave and every framing header falls
 * at arbitrary chunk splits.  Each side's first chunk also goes through the
 * probe.  The harness honours the app layer's contract: after PROTO_DONE
 * or PROTO_ERROR nothing more is fed.  Seeds (fuzz/corpus/fuzz_dcerpc/):
 * the segments of tests/pcap/mkpcap_smb.py's DCE/RPC session (bind, bind_ack, request, response).
 */
#include <stddef.h>
#include <stdint.h>

#include "proto/proto.h"
#include "proto_harness.h"

extern const struct proto_parser proto_dce_rpc;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    harness_drive_tcp(&proto_dce_rpc, (data[0] & 1) ? 135 : 49670, data + 1, size - 1,
                      &harness_opts_framing);
    return 0;
}
