/*
 * udp.c - UDP header (RFC 768), and the hand-off of tunnel ports to
 * tunnel.c.
 *
 *   |          Source Port          |       Destination Port        |
 *   |             Length            |           Checksum            |
 *
 * IP payload shorter than 8 -> truncated_header; capture shorter than 8
 * -> internally_truncated_header (Zeek's names).  A length field that
 * differs from the IP payload length raises UDP_datagram_length_mismatch
 * (Zeek); the payload then ends at the smaller of the two.
 */
#include "decode/decode_int.h"

void udp_decode(struct decoder *d, struct packet *pkt, struct pkt_ip *ip, struct cursor *c,
                uint32_t wire_len)
{
    struct pkt_l4 *t = &ip->t;
    uint16_t ulen = 0;
    if (wire_len < 8) {
        decode_anomaly_raise(d, pkt, DECODE_ANOM_TRUNCATED_HEADER);
        return;
    }
    if (!cursor_has(c, 8)) {
        decode_anomaly_raise(d, pkt, DECODE_ANOM_INTERNALLY_TRUNCATED);
        return;
    }
    cursor_u16be(c, &t->sport), cursor_u16be(c, &t->dport);
    cursor_u16be(c, &ulen), cursor_skip(c, 2);
    uint32_t pw = wire_len - 8;
    if (ulen != wire_len) {
        decode_anomaly_raise(d, pkt, DECODE_ANOM_UDP_LEN_MISMATCH);
        if (ulen >= 8 && ulen - 8u < pw)
            pw = ulen - 8u;
    }
    t->valid = true;
    t->payload = c->p;
    t->payload_len = (uint32_t)cursor_left(c);
    if (t->payload_len > pw)
        t->payload_len = pw;
    t->payload_wire_len = pw;
    if (ulen == wire_len)
        l4_checksum_verify(d, pkt, ip);
    tunnel_decode_udp(d, pkt, ip);
}
