/*
 * icmp.c - ICMP (RFC 792) and ICMPv6 (RFC 4443) headers.
 *
 *   |     Type      |     Code      |          Checksum             |
 *   |     Identifier (echo)         |     Sequence Number (echo)    |
 *
 * type, code, and for echo-like messages the identifier and sequence
 * (ICMP echo 0/8, timestamp 13/14, information 15/16, address mask 17/18;
 * ICMPv6 echo 128/129).  The 4 bytes after the checksum are always part
 * of the header (8 bytes, Zeek's ICMP_MINLEN); the payload follows (for
 * errors: the offending datagram's header).  IP payload shorter than 8 ->
 * truncated_header; capture shorter -> internally_truncated_header.
 */
#include "decode/decode_int.h"

static int icmp_is_echo(uint8_t version, uint8_t type)
{
    if (version == 6)
        return type == 128 || type == 129;
    return type == 0 || type == 8 || (type >= 13 && type <= 18);
}

void icmp_decode(struct decoder *d, struct packet *pkt, struct pkt_ip *ip, struct cursor *c,
                 uint32_t wire_len)
{
    struct pkt_l4 *t = &ip->t;
    uint16_t a = 0, b = 0;
    if (wire_len < 8) {
        decode_anomaly_raise(d, pkt, DECODE_ANOM_TRUNCATED_HEADER);
        return;
    }
    if (!cursor_has(c, 8)) {
        decode_anomaly_raise(d, pkt, DECODE_ANOM_INTERNALLY_TRUNCATED);
        return;
    }
    cursor_u8(c, &t->icmp_type), cursor_u8(c, &t->icmp_code), cursor_skip(c, 2);
    cursor_u16be(c, &a), cursor_u16be(c, &b);
    if (icmp_is_echo(ip->version, t->icmp_type)) {
        t->icmp_id = a;
        t->icmp_seq = b;
    }
    t->valid = true;
    t->payload = c->p;
    t->payload_wire_len = wire_len - 8;
    t->payload_len = (uint32_t)cursor_left(c);
    if (t->payload_len > t->payload_wire_len)
        t->payload_len = t->payload_wire_len;
    l4_checksum_verify(d, pkt, ip);
}
