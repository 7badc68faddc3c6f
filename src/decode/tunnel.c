/*
 * tunnel.c - the tunnels Zeek follows, each turning the payload of one
 * layer into the next layer (packet.h: layer[i].encap says how layer[i+1]
 * is carried).
 *
 *   IP proto 4 / 41      IP-in-IP (RFC 2003, RFC 4213)
 *   IP proto 47, UDP 4754 (GRE-in-UDP, RFC 8086)
 *                        GRE (RFC 2784/2890): C/K/S flags, version 0;
 *                        version 1 = enhanced GRE for PPTP (RFC 2637);
 *                        payload 0x0800/0x86dd IP, 0x6558 Ethernet,
 *                        0x88be ERSPAN type I (no S bit) / II (8-byte
 *                        header), 0x22eb ERSPAN type III (12 bytes + 8
 *                        optional) - all ERSPAN carry Ethernet
 *   UDP dst 4789         VXLAN (RFC 7348): I flag required, inner Ethernet
 *   UDP dst 6081         Geneve (RFC 8926): version 0, options skipped
 *   UDP 3544             Teredo (RFC 4380): optional authentication and
 *                        origin indicators, then an IPv6 packet whose
 *                        length must match the UDP payload exactly (a
 *                        bubble may carry trailing bytes), as Zeek checks
 *   UDP 5072             AYIYA: identity + signature, opcode 1 = forward
 *   UDP 2152             GTPv1-U (3GPP TS 29.281): T-PDU (0xff) carries IP
 *
 * A UDP payload that fails a tunnel's validation stays plain UDP with no
 * anomaly (Zeek calls it an analyzer violation, not a weird).  A header
 * that the capture cut short raises truncated_GRE for GRE and
 * truncated_tunnel_header (ours) for the UDP tunnels.
 */
#include "decode/decode_int.h"

/* Decode the inner layer and mark the encapsulation when one was made. */
static void tunnel_inner_ip(struct decoder *d, struct packet *pkt, struct pkt_ip *ip,
                            struct cursor *c, uint32_t wire, enum decode_carrier via,
                            enum pkt_encap how)
{
    int idx = (int)(ip - pkt->layer);
    ip_decode(d, pkt, c, wire, via);
    if (pkt->n_layers > idx + 1)
        pkt->layer[idx].encap = how;
}

static void tunnel_inner_ether(struct decoder *d, struct packet *pkt, struct pkt_ip *ip,
                               struct cursor *c, uint32_t wire, enum pkt_encap how)
{
    int idx = (int)(ip - pkt->layer);
    link_decode_inner_ether(d, pkt, c, wire);
    if (pkt->n_layers > idx + 1)
        pkt->layer[idx].encap = how;
}

static uint32_t tunnel_wire_left(const struct cursor *start, const struct cursor *c, uint32_t wire)
{
    uint32_t used = (uint32_t)(c->p - start->p);
    return wire > used ? wire - used : 0;
}

void tunnel_decode_ipip(struct decoder *d, struct packet *pkt, struct pkt_ip *ip,
                        struct cursor *c, uint32_t wire_len)
{
    tunnel_inner_ip(d, pkt, ip, c, wire_len, ip->proto == 4 ? DECODE_VIA_IP4 : DECODE_VIA_IP6,
                    PKT_ENCAP_IPIP);
}

/* ERSPAN header length after GRE, or -1 when cut short. */
static int tunnel_erspan_len(uint16_t proto, uint16_t fv, const struct cursor *c)
{
    if (proto == 0x88be)
        return (fv & 0x1000) ? 8 : 0; /* type II has a sequence number; type I none */
    uint8_t last;
    if (cursor_peek_u8(c, 11, &last) < 0)
        return -1;
    return (last & 1) ? 20 : 12; /* type III, optional platform header */
}

static void tunnel_gre_payload(struct decoder *d, struct packet *pkt, struct pkt_ip *ip,
                               struct cursor *c, uint32_t wire, uint16_t proto, uint16_t fv)
{
    switch (proto) {
    case 0x0800:
        tunnel_inner_ip(d, pkt, ip, c, wire, DECODE_VIA_IP4, PKT_ENCAP_GRE);
        return;
    case 0x86dd:
        tunnel_inner_ip(d, pkt, ip, c, wire, DECODE_VIA_IP6, PKT_ENCAP_GRE);
        return;
    case 0x6558:
        tunnel_inner_ether(d, pkt, ip, c, wire, PKT_ENCAP_GRE);
        return;
    case 0x88be:
    case 0x22eb: {
        int el = tunnel_erspan_len(proto, fv, c);
        if (el < 0 || cursor_skip(c, (size_t)el) < 0) {
            decode_anomaly_raise(d, pkt, DECODE_ANOM_TRUNCATED_GRE);
            return;
        }
        tunnel_inner_ether(d, pkt, ip, c, wire > (uint32_t)el ? wire - (uint32_t)el : 0,
                           PKT_ENCAP_GRE);
        return;
    }
    default:
        return; /* a payload we do not follow */
    }
}

void tunnel_decode_gre(struct decoder *d, struct packet *pkt, struct pkt_ip *ip,
                       struct cursor *c, uint32_t wire_len)
{
    struct cursor start = *c;
    uint16_t fv = 0, proto = 0;
    uint32_t key = 0;
    if (cursor_u16be(c, &fv) < 0 || cursor_u16be(c, &proto) < 0) {
        decode_anomaly_raise(d, pkt, DECODE_ANOM_TRUNCATED_GRE);
        return;
    }
    int ver = fv & 7;
    if (ver > 1) {
        decode_anomaly_raise(d, pkt, DECODE_ANOM_UNKNOWN_GRE_VERSION);
        return;
    }
    if (ver == 1 && proto != 0x880b) {
        decode_anomaly_raise(d, pkt, DECODE_ANOM_EGRE_PROTOCOL_TYPE);
        return;
    }
    if (fv & 0x4000) {
        decode_anomaly_raise(d, pkt, DECODE_ANOM_GRE_ROUTING);
        return;
    }
    if (fv & 0x0078) {
        decode_anomaly_raise(d, pkt, DECODE_ANOM_UNKNOWN_GRE_FLAGS);
        return;
    }
    int ok = 1;
    if (fv & 0x8000)
        ok &= cursor_skip(c, 4) == 0;
    if (ok && (fv & 0x2000)) {
        ok &= cursor_u32be(c, &key) == 0;
        if (ok) {
            ip->has_encap_id = true;
            ip->encap_id = key;
        }
    }
    if (ok && (fv & 0x1000))
        ok &= cursor_skip(c, 4) == 0;
    if (ok && (fv & 0x0080))
        ok &= cursor_skip(c, 4) == 0;
    if (!ok) {
        decode_anomaly_raise(d, pkt, DECODE_ANOM_TRUNCATED_GRE);
        return;
    }
    if (ver == 1) { /* PPTP: PPP address/control, then the PPP protocol */
        uint16_t ppp;
        if (cursor_left(c) == 0)
            return; /* acknowledgement only */
        if (cursor_skip(c, 2) < 0 || cursor_u16be(c, &ppp) < 0) {
            decode_anomaly_raise(d, pkt, DECODE_ANOM_TRUNCATED_GRE);
            return;
        }
        if (ppp != 0x0021 && ppp != 0x0057) {
            decode_anomaly_raise(d, pkt, DECODE_ANOM_NON_IP_IN_ENCAP);
            return;
        }
        proto = ppp == 0x0021 ? 0x0800 : 0x86dd;
    }
    tunnel_gre_payload(d, pkt, ip, c, tunnel_wire_left(&start, c, wire_len), proto, fv);
}

/* Captured and wire checks for a fixed-size tunnel header: 1 ok, 0 not
 * this tunnel (too short on the wire), -1 cut by the capture (raised). */
static int tunnel_need(struct decoder *d, struct packet *pkt, const struct cursor *c,
                       uint32_t wire, uint32_t n)
{
    if (wire < n)
        return 0;
    if (!cursor_has(c, n)) {
        decode_anomaly_raise(d, pkt, DECODE_ANOM_TRUNCATED_TUNNEL);
        return -1;
    }
    return 1;
}

static int tunnel_vxlan(struct decoder *d, struct packet *pkt, struct pkt_ip *ip,
                        struct cursor *c, uint32_t wire)
{
    uint8_t flags = 0;
    uint32_t vni = 0;
    int r = tunnel_need(d, pkt, c, wire, 8);
    if (r <= 0)
        return r < 0;
    cursor_peek_u8(c, 0, &flags);
    if (!(flags & 0x08))
        return 0;
    cursor_skip(c, 4), cursor_u24be(c, &vni), cursor_skip(c, 1);
    ip->has_encap_id = true;
    ip->encap_id = vni;
    if (wire == 8) {
        decode_anomaly_raise(d, pkt, DECODE_ANOM_VXLAN_EMPTY);
        return 1;
    }
    tunnel_inner_ether(d, pkt, ip, c, wire - 8, PKT_ENCAP_VXLAN);
    return 1;
}

static int tunnel_geneve(struct decoder *d, struct packet *pkt, struct pkt_ip *ip,
                         struct cursor *c, uint32_t wire)
{
    uint8_t b0 = 0;
    uint16_t proto = 0;
    uint32_t vni = 0;
    int r = tunnel_need(d, pkt, c, wire, 8);
    if (r <= 0)
        return r < 0;
    cursor_peek_u8(c, 0, &b0);
    if (b0 >> 6) {
        decode_anomaly_raise(d, pkt, DECODE_ANOM_GENEVE_VERSION);
        return 1;
    }
    uint32_t hlen = 8u + (b0 & 0x3fu) * 4u;
    r = tunnel_need(d, pkt, c, wire, hlen);
    if (r <= 0)
        return r < 0;
    cursor_skip(c, 2), cursor_u16be(c, &proto), cursor_u24be(c, &vni);
    cursor_skip(c, hlen - 7);
    ip->has_encap_id = true;
    ip->encap_id = vni;
    if (wire == hlen) {
        decode_anomaly_raise(d, pkt, DECODE_ANOM_GENEVE_EMPTY);
        return 1;
    }
    if (proto == 0x6558)
        tunnel_inner_ether(d, pkt, ip, c, wire - hlen, PKT_ENCAP_GENEVE);
    else if (proto == 0x0800 || proto == 0x86dd)
        tunnel_inner_ip(d, pkt, ip, c, wire - hlen,
                        proto == 0x0800 ? DECODE_VIA_IP4 : DECODE_VIA_IP6, PKT_ENCAP_GENEVE);
    return 1;
}

/* Teredo indicators; on success c is at the inner IPv6 header. */
static int tunnel_teredo_hdrs(struct cursor *c, uint8_t *flags, uint16_t *oport, uint8_t oaddr[4])
{
    for (int n = 0; n < 3; n++) {
        uint16_t tag;
        if (cursor_peek_u16be(c, 0, &tag) < 0)
            return -1;
        if (tag == 0) { /* origin indication: 8 bytes */
            if (*flags & PKT_TEREDO_ORIGIN || cursor_skip(c, 2) < 0 || cursor_u16be(c, oport) < 0 ||
                cursor_bytes(c, oaddr, 4) < 0)
                return -1;
            *oport ^= 0xffff;
            for (int i = 0; i < 4; i++)
                oaddr[i] ^= 0xff;
            *flags |= PKT_TEREDO_ORIGIN;
        } else if (tag == 1) { /* authentication: must come first */
            uint8_t idl, aul;
            if (*flags || cursor_peek_u8(c, 2, &idl) < 0 || cursor_peek_u8(c, 3, &aul) < 0 ||
                cursor_skip(c, 4u + idl + aul + 9u) < 0)
                return -1;
            *flags |= PKT_TEREDO_AUTH;
        } else {
            return (tag >> 12) == 6 ? 0 : -1;
        }
    }
    return -1;
}

static int tunnel_teredo(struct decoder *d, struct packet *pkt, struct pkt_ip *ip,
                         struct cursor *c, uint32_t wire)
{
    struct cursor s = *c;
    uint8_t flags = 0, oaddr[4] = {0}, nh;
    uint16_t oport = 0, plen;
    if (tunnel_teredo_hdrs(&s, &flags, &oport, oaddr) < 0)
        return 0;
    uint32_t used = (uint32_t)(s.p - c->p);
    uint32_t inner_wire = wire > used ? wire - used : 0;
    if (inner_wire < 40 || cursor_peek_u16be(&s, 4, &plen) < 0 || cursor_peek_u8(&s, 6, &nh) < 0)
        return 0;
    if (40u + plen > inner_wire)
        return 0; /* Zeek: truncated or not Teredo */
    if (40u + plen < inner_wire) {
        if (nh != 59 || plen != 0)
            return 0;
        decode_anomaly_raise(d, pkt, DECODE_ANOM_TEREDO_BUBBLE_PAYLOAD);
    }
    if (nh == 59)
        flags |= PKT_TEREDO_BUBBLE;
    ip->teredo_flags = flags;
    ip->teredo_origin_port = oport;
    memcpy(ip->teredo_origin_addr, oaddr, 4);
    *c = s;
    tunnel_inner_ip(d, pkt, ip, c, inner_wire, DECODE_VIA_TEREDO, PKT_ENCAP_TEREDO);
    return 1;
}

static int tunnel_ayiya(struct decoder *d, struct packet *pkt, struct pkt_ip *ip,
                        struct cursor *c, uint32_t wire)
{
    uint8_t b0, b1, b2, nh;
    if (cursor_peek_u8(c, 0, &b0) < 0 || cursor_peek_u8(c, 1, &b1) < 0 ||
        cursor_peek_u8(c, 2, &b2) < 0 || cursor_peek_u8(c, 3, &nh) < 0)
        return 0;
    if (b1 != 0x52 || b2 != 0x11) /* Zeek's detection: hash SHA-1, auth 1, opcode 1 */
        return 0;
    uint32_t hlen = 8u + (1u << (b0 >> 4)) + (b1 >> 4) * 4u;
    int r = tunnel_need(d, pkt, c, wire, hlen);
    if (r <= 0)
        return r < 0;
    cursor_skip(c, hlen);
    if (wire == hlen) {
        decode_anomaly_raise(d, pkt, DECODE_ANOM_AYIYA_EMPTY);
        return 1;
    }
    if (nh != 4 && nh != 41) {
        decode_anomaly_raise(d, pkt, DECODE_ANOM_NON_IP_IN_ENCAP);
        return 1;
    }
    tunnel_inner_ip(d, pkt, ip, c, wire - hlen, nh == 4 ? DECODE_VIA_IP4 : DECODE_VIA_IP6,
                    PKT_ENCAP_AYIYA);
    return 1;
}

static int tunnel_gtpu(struct decoder *d, struct packet *pkt, struct pkt_ip *ip,
                       struct cursor *c, uint32_t wire)
{
    struct cursor start = *c;
    uint8_t flags = 0, type = 0, next = 0, b = 0;
    uint32_t teid = 0;
    int r = tunnel_need(d, pkt, c, wire, 8);
    if (r <= 0)
        return r < 0;
    cursor_u8(c, &flags), cursor_u8(c, &type), cursor_skip(c, 2), cursor_u32be(c, &teid);
    if ((flags >> 5) != 1 || !(flags & 0x10)) {
        *c = start;
        return 0;
    }
    ip->has_encap_id = true;
    ip->encap_id = teid;
    if ((flags & 0x07) && (cursor_skip(c, 3) < 0 || cursor_u8(c, &next) < 0))
        goto trunc;
    for (int n = 0; next && n < 8; n++) { /* extension headers: length in 4-byte units */
        uint8_t units;
        if (cursor_u8(c, &units) < 0 || units == 0 || cursor_skip(c, units * 4u - 2u) < 0 ||
            cursor_u8(c, &next) < 0)
            goto trunc;
    }
    if (type != 0xff)
        return 1; /* signalling, no user data */
    if (cursor_peek_u8(c, 0, &b) < 0)
        return 1;
    if ((b >> 4) != 4 && (b >> 4) != 6) {
        decode_anomaly_raise(d, pkt, DECODE_ANOM_NON_IP_IN_ENCAP);
        return 1;
    }
    tunnel_inner_ip(d, pkt, ip, c, tunnel_wire_left(&start, c, wire), DECODE_VIA_LINK,
                    PKT_ENCAP_GTPU);
    return 1;
trunc:
    decode_anomaly_raise(d, pkt, DECODE_ANOM_TRUNCATED_TUNNEL);
    return 1;
}

int tunnel_decode_udp(struct decoder *d, struct packet *pkt, struct pkt_ip *ip)
{
    struct pkt_l4 *t = &ip->t;
    struct cursor c;
    uint16_t sp = t->sport, dp = t->dport;
    if (t->payload_wire_len == 0)
        return 0;
    cursor_init(&c, t->payload, t->payload_len);
    uint32_t w = t->payload_wire_len;
    if (dp == 4789)
        return tunnel_vxlan(d, pkt, ip, &c, w);
    if (dp == 6081)
        return tunnel_geneve(d, pkt, ip, &c, w);
    if (dp == 4754) {
        tunnel_decode_gre(d, pkt, ip, &c, w);
        return 1;
    }
    if (sp == 3544 || dp == 3544)
        return tunnel_teredo(d, pkt, ip, &c, w);
    if (sp == 5072 || dp == 5072)
        return tunnel_ayiya(d, pkt, ip, &c, w);
    if (sp == 2152 || dp == 2152)
        return tunnel_gtpu(d, pkt, ip, &c, w);
    return 0;
}
