/*
 * fuzz_dns.c - libFuzzer harness for the DNS parsers (src/proto/dns*.c),
 * driven through a minimal fake struct proto_ctx defined here (records are
 * formatted with Zeek's TSV writer and dropped).  Input: byte 0 picks the
 * transport (even: UDP, odd: TCP) and the responder port (bit 1: 137,
 * NetBIOS rules); the rest is split into messages at each "\n--\n"
 * separator; for UDP each piece is one datagram in alternating
 * directions, for TCP each piece is one chunk of the stream (also
 * alternating), so framing is exercised across chunk boundaries.
 */
#include <stddef.h>
#include <stdint.h>

#include "proto/dns.h"
#include "proto_harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    struct proto_conn conn = {.uid = "Cfuzz", .community_id = "1:fuzz", .orig_p = 40000};
    conn.orig_h.family = conn.resp_h.family = 4;
    conn.resp_p = (data[0] & 2) ? 137 : 53;
    const struct proto_parser *p = (data[0] & 1) ? &proto_dns_tcp : &proto_dns_udp;
    conn.ip_proto = p->ip_proto;
    const struct harness_opts o = {.format = HARNESS_SPLIT,
                                   .ts0 = 1000000000,
                                   .ts_step = 1000,
                                   .switch_ret = -1,
                                   .expect_ret = -1};
    harness_drive(p, &conn, data + 1, size - 1, &o);
    return 0;
}
