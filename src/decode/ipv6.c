/*
 * ipv6.c - IPv6 header (RFC 8200) and its extension headers.
 *
 *   |Version| Traffic Class |           Flow Label                  |
 *   |         Payload Length        |  Next Header  |   Hop Limit   |
 *   |                 Source Address (16) / Destination (16)        |
 *
 * Extension headers walked: hop-by-hop (0), routing (43), destination
 * options (60), fragment (44), authentication header (51, RFC 4302:
 * length in 4-byte units + 2).  ESP (50) and mobility (135) end the walk
 * (nothing after them can be read, as in Zeek); no-next-header (59) ends
 * it with no transport (ipv6_no_next, except for a Teredo bubble).  A
 * type-0 routing header (RFC 2460, deprecated by RFC 5095) raises
 * routing0_hdr and, with segments left, its last address becomes the
 * packet's destination, as Zeek does (odd_routing0_len when the length is
 * odd).  total_len is 40 + payload length (Zeek's ip_bytes); hdr_len is
 * 40 + the extension headers up to the transport header.  A payload
 * length of 0 with data behind it (jumbogram or TSO) raises
 * ip_hdr_len_zero and the captured length is used.
 */
#include "decode/decode_int.h"

#define IPV6_MAX_EXT 16

struct v6_walk {
    uint32_t ext_len;    /* bytes of extension headers walked (from hdr + 40) */
    uint32_t nh_off;     /* offset from hdr of the byte that names the current header */
    int frag;            /* a fragment header was found */
    uint32_t frag_off;   /* its offset from hdr */
    uint8_t frag_nh;     /* the header after it */
};

static void ipv6_routing(struct decoder *d, struct packet *pkt, struct pkt_ip *ip,
                         const uint8_t *h, uint32_t len)
{
    struct cursor r;
    uint8_t hlen = 0, type = 0, segleft = 0;
    cursor_init(&r, h, len);
    cursor_skip(&r, 1), cursor_u8(&r, &hlen), cursor_u8(&r, &type), cursor_u8(&r, &segleft);
    if (type != 0)
        return;
    if (segleft > 0 && hlen >= 2) {
        if (hlen % 2 == 0) {
            struct cursor last = r;
            if (cursor_skip(&last, len - 4 - 16) == 0)
                cursor_bytes(&last, ip->dst, 16);
        } else {
            decode_anomaly_raise(d, pkt, DECODE_ANOM_ODD_ROUTING0_LEN);
        }
    }
    decode_anomaly_raise(d, pkt, DECODE_ANOM_ROUTING0_HDR);
}

/* Walk the extension headers in e (from hdr + 40 to the end of the
 * captured datagram).  Returns 0, or -1 when the chain is cut short. */
static int ipv6_ext_walk(struct decoder *d, struct packet *pkt, struct pkt_ip *ip,
                         struct cursor *e, struct v6_walk *w)
{
    for (int n = 0; n < IPV6_MAX_EXT; n++) {
        uint8_t nh = ip->proto, b0, b1;
        uint32_t len;
        if (nh != 0 && nh != 43 && nh != 60 && nh != 44 && nh != 51)
            return 0;
        if (cursor_peek_u8(e, 0, &b0) < 0 || cursor_peek_u8(e, 1, &b1) < 0)
            return -1;
        len = nh == 44 ? 8u : nh == 51 ? (b1 + 2u) * 4u : (b1 + 1u) * 8u;
        const uint8_t *h = e->p;
        if (cursor_skip(e, len) < 0)
            return -1;
        if (nh == 43)
            ipv6_routing(d, pkt, ip, h, len);
        if (nh == 44) {
            uint16_t offm = 0;
            uint32_t id = 0;
            struct cursor f;
            cursor_init(&f, h + 2, 6);
            cursor_u16be(&f, &offm), cursor_u32be(&f, &id);
            ip->frag_offset = offm & 0xfff8;
            ip->mf = (offm & 1) != 0;
            ip->frag_id = id;
            if (ip->frag_offset || ip->mf) {
                w->frag = 1;
                w->frag_off = 40 + w->ext_len;
                w->frag_nh = b0;
                ip->proto = b0;
                w->ext_len += len;
                return 0; /* the rest is fragment data */
            }
        }
        w->nh_off = 40 + w->ext_len;
        w->ext_len += len;
        ip->proto = b0;
    }
    return 0;
}

/* A fragment: hand it to the reassembler or decode what it has (ip.c). */
static void ipv6_fragment(struct decoder *d, struct packet *pkt, struct pkt_ip *ip,
                          const struct v6_walk *w, uint32_t captured, enum decode_carrier via)
{
    ip->is_fragment = true;
    struct frag_in f = {
        .version = 6, .src = ip->src, .dst = ip->dst, .id = ip->frag_id, .proto = w->frag_nh,
        .unfrag = ip->hdr, .unfrag_len = w->frag_off, .nh_off = w->nh_off,
        .offset = ip->frag_offset, .data = ip->hdr + ip->hdr_len,
        .more = ip->mf,
    };
    ip_fragment(d, pkt, ip, &f, captured, via, ipv6_decode);
}

/* Read the fixed header into ip.  Returns the payload length field. */
static uint16_t ipv6_fixed(struct pkt_ip *ip, const uint8_t *hdr)
{
    struct cursor h;
    uint32_t vtf = 0;
    uint16_t plen = 0;
    cursor_init(&h, hdr, 40);
    cursor_u32be(&h, &vtf), cursor_u16be(&h, &plen);
    cursor_u8(&h, &ip->proto), cursor_u8(&h, &ip->ttl);
    cursor_bytes(&h, ip->src, 16), cursor_bytes(&h, ip->dst, 16);
    ip->version = 6;
    ip->tos = (uint8_t)(vtf >> 20);
    ip->flow_label = vtf & 0xfffff;
    ip->hdr = hdr;
    return plen;
}

void ipv6_decode(struct decoder *d, struct packet *pkt, struct cursor *c, uint32_t wire_len,
                 enum decode_carrier via)
{
    uint32_t captured = (uint32_t)cursor_left(c);
    if (captured < 40) {
        decode_anomaly_raise(d, pkt, DECODE_ANOM_TRUNCATED_IP);
        return;
    }
    struct pkt_ip *ip = ip_layer_push(d, pkt);
    if (!ip)
        return;
    pkt->flags |= PKT_F_IP;
    uint16_t plen = ipv6_fixed(ip, c->p);
    ip->total_len = 40u + plen;
    if (plen == 0 && ip->proto != 59 && captured > 40) {
        decode_anomaly_raise(d, pkt, DECODE_ANOM_IP_HDR_LEN_ZERO);
        ip->total_len = captured;
    }
    if (wire_len < ip->total_len)
        decode_anomaly_raise(d, pkt, DECODE_ANOM_TRUNCATED_IP_LEN);
    if (captured > ip->total_len)
        captured = ip->total_len;
    struct cursor e;
    struct v6_walk w = {0, 6, 0, 0, 0};
    cursor_init(&e, ip->hdr + 40, captured - 40);
    int rc = ipv6_ext_walk(d, pkt, ip, &e, &w);
    ip->hdr_len = 40 + w.ext_len;
    if (rc < 0) {
        decode_anomaly_raise(d, pkt, DECODE_ANOM_TRUNCATED_IPV6);
        return;
    }
    if (w.frag) {
        ipv6_fragment(d, pkt, ip, &w, captured, via);
        return;
    }
    ip->l4 = ip->hdr + ip->hdr_len;
    ip->l4_len = captured - ip->hdr_len;
    uint32_t l4_wire = ip->total_len - ip->hdr_len;
    if (ip->proto == 59) {
        if (via != DECODE_VIA_TEREDO)
            decode_anomaly_raise(d, pkt, DECODE_ANOM_IPV6_NO_NEXT);
        ip->l4 = NULL;
        ip->l4_len = 0;
        return;
    }
    if (ip->proto == 50 || ip->proto == 135) { /* ESP / mobility: stop here */
        ip->t.payload = ip->l4;
        ip->t.payload_len = ip->l4_len;
        ip->t.payload_wire_len = l4_wire;
        return;
    }
    ip_decode_transport(d, pkt, ip, l4_wire, via);
}
