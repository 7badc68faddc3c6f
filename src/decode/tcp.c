/*
 * tcp.c - TCP header (RFC 9293) and its options.
 *
 *   |          Source Port          |       Destination Port        |
 *   |                        Sequence Number                        |
 *   |                    Acknowledgment Number                      |
 *   |  Data |       |C|E|U|A|P|R|S|F|                               |
 *   | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
 *   |           Checksum            |         Urgent Pointer        |
 *
 * Options: EOL (0), NOP (1), MSS (2, len 4, RFC 9293), window scale
 * (3, len 3, RFC 7323, capped at 14), SACK permitted (4, len 2) and SACK
 * blocks (5, len 2 + 8n, RFC 2018), timestamps (8, len 10, RFC 7323).
 * A length byte that is missing, < 2, runs past the header or is wrong
 * for a known kind raises bad_TCP_option_length and the walk stops (or
 * skips that option when its length was still usable).
 *
 * Zeek's order: IP payload shorter than 20 -> truncated_header; capture
 * shorter than 20 -> internally_truncated_header; data offset < 5 ->
 * bad_TCP_header_len; data offset past the IP payload -> truncated_header,
 * past the capture -> internally_truncated_header (Zeek says
 * truncated_header for both; we keep the two apart so PKT_F_TRUNCATED
 * tells a snaplen cut from a lie in the header).
 */
#include "decode/decode_int.h"

static int tcp_option_one(struct pkt_l4 *t, uint8_t kind, struct cursor *v, uint8_t len)
{
    switch (kind) {
    case 2:
        return len == 4 ? cursor_u16be(v, &t->mss) : -1;
    case 3: {
        uint8_t ws;
        if (len != 3 || cursor_u8(v, &ws) < 0)
            return -1;
        t->wscale = (int8_t)(ws > 14 ? 14 : ws);
        return 0;
    }
    case 4:
        if (len != 2)
            return -1;
        t->sack_permitted = true;
        return 0;
    case 5: {
        if (len < 10 || (len - 2) % 8 != 0)
            return -1;
        uint32_t l, r;
        while (cursor_u32be(v, &l) == 0 && cursor_u32be(v, &r) == 0) {
            if (t->n_sack < PKT_MAX_SACK) {
                t->sack[t->n_sack][0] = l;
                t->sack[t->n_sack][1] = r;
                t->n_sack++;
            }
        }
        return 0;
    }
    case 8:
        if (len != 10)
            return -1;
        t->has_ts = true;
        cursor_u32be(v, &t->tsval);
        return cursor_u32be(v, &t->tsecr);
    default:
        return 0;
    }
}

static void tcp_options(struct decoder *d, struct packet *pkt, struct pkt_l4 *t, struct cursor *o)
{
    uint8_t kind, len;
    struct cursor v;
    while (cursor_u8(o, &kind) == 0) {
        if (kind == 0)
            return;
        if (kind == 1)
            continue;
        if (cursor_u8(o, &len) < 0 || len < 2 || cursor_sub(o, len - 2u, &v) < 0) {
            decode_anomaly_raise(d, pkt, DECODE_ANOM_TCP_OPTION_LEN);
            return;
        }
        if (tcp_option_one(t, kind, &v, len) < 0)
            decode_anomaly_raise(d, pkt, DECODE_ANOM_TCP_OPTION_LEN);
    }
}

void tcp_decode(struct decoder *d, struct packet *pkt, struct pkt_ip *ip, struct cursor *c,
                uint32_t wire_len)
{
    struct pkt_l4 *t = &ip->t;
    uint16_t offf = 0;
    if (wire_len < 20) {
        decode_anomaly_raise(d, pkt, DECODE_ANOM_TRUNCATED_HEADER);
        return;
    }
    if (!cursor_has(c, 20)) {
        decode_anomaly_raise(d, pkt, DECODE_ANOM_INTERNALLY_TRUNCATED);
        return;
    }
    struct cursor h = *c;
    cursor_u16be(&h, &t->sport), cursor_u16be(&h, &t->dport);
    cursor_u32be(&h, &t->seq), cursor_u32be(&h, &t->ack);
    cursor_u16be(&h, &offf), cursor_u16be(&h, &t->win);
    cursor_skip(&h, 2), cursor_u16be(&h, &t->urg);
    t->tcp_flags = (uint8_t)offf;
    uint32_t hlen = (offf >> 12) * 4u;
    t->tcp_hlen = (uint8_t)hlen;
    if (hlen < 20) {
        decode_anomaly_raise(d, pkt, DECODE_ANOM_BAD_TCP_HDR_LEN);
        return;
    }
    if (hlen > wire_len) {
        decode_anomaly_raise(d, pkt, DECODE_ANOM_TRUNCATED_HEADER);
        return;
    }
    if (!cursor_has(c, hlen)) {
        decode_anomaly_raise(d, pkt, DECODE_ANOM_INTERNALLY_TRUNCATED);
        return;
    }
    if (hlen > 20) {
        struct cursor o;
        cursor_init(&o, c->p + 20, hlen - 20);
        tcp_options(d, pkt, t, &o);
    }
    cursor_skip(c, hlen);
    t->valid = true;
    t->payload = c->p;
    t->payload_len = (uint32_t)cursor_left(c);
    t->payload_wire_len = wire_len - hlen;
    if (t->payload_len > t->payload_wire_len)
        t->payload_len = t->payload_wire_len;
    l4_checksum_verify(d, pkt, ip);
}
