/*
 * fuzz_dhcp.c - libFuzzer harness for the DHCP parser (src/proto/dhcp.c),
 * driven through a minimal fake struct proto_ctx defined here.  Input:
 * pieces split at "\n--\n"; each piece is one datagram, in alternating
 * directions, 3 s apart (so the transaction join's expiry runs); byte 0
 * of the whole input picks the ports (bit 0: client 68 -> server 67, else
 * server 67 -> client 68) and is not part of the first datagram.
 */
#include <stddef.h>
#include <stdint.h>

#include "proto/proto.h"
#include "proto_harness.h"

extern const struct proto_parser proto_dhcp;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    struct proto_conn conn = {.uid = "Cfuzz", .community_id = "1:fuzz"};
    conn.orig_h.family = conn.resp_h.family = 4;
    conn.orig_p = (data[0] & 1) ? 68 : 67;
    conn.resp_p = (data[0] & 1) ? 67 : 68;
    conn.ip_proto = proto_dhcp.ip_proto;
    const struct harness_opts o = {.format = HARNESS_SPLIT,
                                   .ts0 = 1000000000,
                                   .ts_step = 3000000000LL,
                                   .switch_ret = -1,
                                   .expect_ret = -1};
    harness_drive(&proto_dhcp, &conn, data + 1, size - 1, &o);
    return 0;
}
