/*
 * link.c - link-layer decoding: from the first byte of the frame to the
 * first IP (or ARP) header.
 *
 * Link types (libpcap DLT_* / LINKTYPE_*, https://www.tcpdump.org/linktypes.html):
 *   EN10MB (1)          Ethernet II, 802.3 + LLC/SNAP, then tags below
 *   NULL (0), LOOP (108) 4-byte address family, host order for NULL
 *                       (either byte order accepted), network order for LOOP
 *   RAW (12, 14, 101), IPV4 (228), IPV6 (229)   IP straight away
 *   LINUX_SLL (113)     16-byte cooked header, protocol last
 *   LINUX_SLL2 (276)    20-byte cooked header, protocol first
 * Tags after a MAC header: 802.1Q 0x8100, 802.1ad 0x88a8, QinQ 0x9100
 * (IEEE 802.1Q), MPLS 0x8847/0x8848 (RFC 3032, with an RFC 4385
 * pseudowire control word before inner Ethernet), PPPoE session 0x8864
 * (RFC 2516, PPP 0x0021 IPv4 / 0x0057 IPv6), ARP 0x0806 (RFC 826).
 *
 *   frame -> [MAC] -> {VLAN tag}* -> [PPPoE] | {MPLS label}* -> IP | ARP
 *
 * Zeek's names are used for truncation: truncated_ethernet_frame,
 * truncated_VLAN_header, truncated_link_header (MPLS), truncated_pppoe_header,
 * truncated_Linux_SLL_header, null_analyzer_failed, truncated_ARP.
 */
#include "decode/decode_int.h"

#define DLT_NULL_ 0
#define DLT_EN10MB_ 1
#define DLT_RAW_ 12
#define DLT_RAW_OBSD_ 14
#define LINKTYPE_RAW_ 101
#define DLT_LOOP_ 108
#define DLT_LINUX_SLL_ 113
#define DLT_IPV4_ 228
#define DLT_IPV6_ 229
#define DLT_LINUX_SLL2_ 276

#define ETH_IPV4 0x0800
#define ETH_ARP 0x0806
#define ETH_VLAN 0x8100
#define ETH_QINQ 0x88a8
#define ETH_QINQ_OLD 0x9100
#define ETH_IPV6 0x86dd
#define ETH_MPLS_UC 0x8847
#define ETH_MPLS_MC 0x8848
#define ETH_PPPOE_SESS 0x8864

#define LINK_MAX_TAGS 16

/* State of one link walk: outer frame (fills pkt->link) or tunnel inner Ethernet. */
struct link_walk {
    struct decoder *d;
    struct packet *pkt;
    const uint8_t *start;
    uint32_t wire_len; /* wire bytes from start */
    int outer;         /* fill pkt->link */
};

static void link_network(struct link_walk *w, struct cursor *c, uint16_t type, int depth);

static uint32_t link_wire_left(const struct link_walk *w, const struct cursor *c)
{
    uint32_t used = (uint32_t)(c->p - w->start);
    return w->wire_len > used ? w->wire_len - used : 0;
}

static void link_ip(struct link_walk *w, struct cursor *c)
{
    if (w->outer)
        w->pkt->link.hdr_len = (uint32_t)(c->p - w->start);
    ip_decode(w->d, w->pkt, c, link_wire_left(w, c), DECODE_VIA_LINK);
}

static void link_arp(struct link_walk *w, struct cursor *c)
{
    struct pkt_arp *a = &w->pkt->arp;
    uint8_t hlen = 0, plen = 0;
    struct cursor s = *c;
    if (w->outer)
        w->pkt->link.hdr_len = (uint32_t)(c->p - w->start);
    if (cursor_u16be(&s, &a->htype) < 0 || cursor_u16be(&s, &a->ptype) < 0 ||
        cursor_u8(&s, &hlen) < 0 || cursor_u8(&s, &plen) < 0 || cursor_u16be(&s, &a->op) < 0) {
        decode_anomaly_raise(w->d, w->pkt, DECODE_ANOM_TRUNCATED_ARP);
        return;
    }
    w->pkt->flags |= PKT_F_ARP;
    if (hlen != 6 || plen != 4) {
        /* Not Ethernet/IPv4 ARP: keep the header fields, zero the addresses. */
        memset(a->sha, 0, 6), memset(a->tha, 0, 6), memset(a->spa, 0, 4), memset(a->tpa, 0, 4);
        return;
    }
    if (cursor_bytes(&s, a->sha, 6) < 0 || cursor_bytes(&s, a->spa, 4) < 0 ||
        cursor_bytes(&s, a->tha, 6) < 0 || cursor_bytes(&s, a->tpa, 4) < 0)
        decode_anomaly_raise(w->d, w->pkt, DECODE_ANOM_TRUNCATED_ARP);
}

static void link_mpls(struct link_walk *w, struct cursor *c, int depth)
{
    uint32_t lse = 0;
    struct pkt_link *l = &w->pkt->link;
    for (int n = 0;; n++) {
        if (n >= LINK_MAX_TAGS) {
            decode_anomaly_raise(w->d, w->pkt, DECODE_ANOM_TOO_MANY_TAGS);
            return;
        }
        if (cursor_u32be(c, &lse) < 0) {
            decode_anomaly_raise(w->d, w->pkt, DECODE_ANOM_TRUNCATED_LINK);
            return;
        }
        if (w->outer && l->n_mpls < PKT_MAX_MPLS)
            l->mpls[l->n_mpls++] = lse >> 12;
        if (lse & 0x100)
            break; /* bottom of stack */
    }
    uint8_t first;
    if (cursor_peek_u8(c, 0, &first) < 0) {
        decode_anomaly_raise(w->d, w->pkt, DECODE_ANOM_TRUNCATED_LINK);
        return;
    }
    switch (first >> 4) {
    case 4:
    case 6:
        link_ip(w, c);
        return;
    case 0: { /* RFC 4385 control word, then Ethernet (pseudowire) */
        uint16_t type = 0;
        if (cursor_skip(c, 4) < 0 || cursor_skip(c, 12) < 0 || cursor_u16be(c, &type) < 0) {
            decode_anomaly_raise(w->d, w->pkt, DECODE_ANOM_TRUNCATED_LINK);
            return;
        }
        link_network(w, c, type, depth + 1);
        return;
    }
    default:
        w->pkt->flags |= PKT_F_NON_IP;
    }
}

static void link_pppoe(struct link_walk *w, struct cursor *c)
{
    uint16_t len = 0, proto = 0;
    struct cursor body;
    if (cursor_skip(c, 4) < 0 || cursor_u16be(c, &len) < 0 || cursor_u16be(c, &proto) < 0) {
        decode_anomaly_raise(w->d, w->pkt, DECODE_ANOM_TRUNCATED_PPPOE);
        return;
    }
    if (w->outer)
        w->pkt->link.pppoe = true;
    /* The PPPoE length counts the PPP protocol field and what follows:
     * anything after it is Ethernet padding. */
    uint32_t body_len = len >= 2 ? len - 2u : 0;
    if (body_len < cursor_left(c)) {
        struct cursor tmp = *c;
        cursor_sub(&tmp, body_len, &body);
        *c = body;
    }
    if (proto == 0x0021 || proto == 0x0057)
        link_ip(w, c);
    else
        w->pkt->flags |= PKT_F_NON_IP;
}

/* Dispatch on an ethertype; c is just after it. */
static void link_network(struct link_walk *w, struct cursor *c, uint16_t type, int depth)
{
    struct pkt_link *l = &w->pkt->link;
    if (depth > LINK_MAX_TAGS) {
        decode_anomaly_raise(w->d, w->pkt, DECODE_ANOM_TOO_MANY_TAGS);
        return;
    }
    if (w->outer)
        l->ethertype = type;
    switch (type) {
    case ETH_IPV4:
    case ETH_IPV6:
        link_ip(w, c);
        return;
    case ETH_VLAN:
    case ETH_QINQ:
    case ETH_QINQ_OLD: {
        uint16_t tci = 0, next = 0;
        if (cursor_u16be(c, &tci) < 0 || cursor_u16be(c, &next) < 0) {
            decode_anomaly_raise(w->d, w->pkt, DECODE_ANOM_TRUNCATED_VLAN);
            return;
        }
        if (w->outer && l->n_vlan < PKT_MAX_VLAN)
            l->vlan[l->n_vlan++] = tci & 0x0fff;
        link_network(w, c, next, depth + 1);
        return;
    }
    case ETH_MPLS_UC:
    case ETH_MPLS_MC:
        link_mpls(w, c, depth);
        return;
    case ETH_PPPOE_SESS:
        link_pppoe(w, c);
        return;
    case ETH_ARP:
        link_arp(w, c);
        return;
    default:
        if (type <= 1500) {
            /* 802.3 length: LLC/SNAP with OUI 0 carries an ethertype. */
            uint8_t dsap, ssap, ctl;
            uint32_t oui;
            uint16_t etype;
            struct cursor s = *c;
            if (cursor_u8(&s, &dsap) == 0 && cursor_u8(&s, &ssap) == 0 && cursor_u8(&s, &ctl) == 0 &&
                dsap == 0xaa && ssap == 0xaa && cursor_u24be(&s, &oui) == 0 && oui == 0 &&
                cursor_u16be(&s, &etype) == 0 && etype > 1500) {
                *c = s;
                link_network(w, c, etype, depth + 1);
                return;
            }
        }
        w->pkt->flags |= PKT_F_NON_IP;
    }
}

static void link_ether(struct link_walk *w, struct cursor *c)
{
    uint16_t type = 0;
    if (!cursor_has(c, 14)) {
        decode_anomaly_raise(w->d, w->pkt, DECODE_ANOM_TRUNCATED_ETHERNET);
        return;
    }
    if (w->outer) {
        w->pkt->link.has_mac = true;
        cursor_bytes(c, w->pkt->link.dst_mac, 6);
        cursor_bytes(c, w->pkt->link.src_mac, 6);
    } else {
        cursor_skip(c, 12);
    }
    cursor_u16be(c, &type);
    link_network(w, c, type, 0);
}

void link_decode_inner_ether(struct decoder *d, struct packet *pkt, struct cursor *c,
                             uint32_t wire_len)
{
    struct link_walk w = {d, pkt, c->p, wire_len, 0};
    link_ether(&w, c);
}

/* BSD null/loopback: AF_INET is 2 everywhere; AF_INET6 is 10 (Linux),
 * 24 (NetBSD/OpenBSD), 28 (FreeBSD), 30 (macOS). */
static void link_null(struct link_walk *w, struct cursor *c, int loop)
{
    uint32_t fam = 0;
    if (cursor_left(c) <= 4) {
        decode_anomaly_raise(w->d, w->pkt, DECODE_ANOM_NULL_FAILED);
        return;
    }
    if (loop)
        cursor_u32be(c, &fam);
    else
        cursor_u32le(c, &fam);
    if (fam > 0xffff) /* written in the other byte order */
        fam = (fam >> 24) | ((fam >> 8) & 0xff00) | ((fam << 8) & 0xff0000) | (fam << 24);
    switch (fam) {
    case 2:
    case 10:
    case 24:
    case 28:
    case 30:
        link_ip(w, c);
        return;
    default:
        w->pkt->flags |= PKT_F_NON_IP;
    }
}

static void link_sll(struct link_walk *w, struct cursor *c, int v2)
{
    uint16_t proto = 0, hatype = 0;
    uint8_t addr[8];
    uint8_t halen = 0;
    struct cursor s = *c;
    int ok;
    if (v2)
        ok = cursor_u16be(&s, &proto) == 0 && cursor_skip(&s, 6) == 0 &&
             cursor_u16be(&s, &hatype) == 0 && cursor_skip(&s, 1) == 0 &&
             cursor_u8(&s, &halen) == 0 && cursor_bytes(&s, addr, 8) == 0;
    else
        ok = cursor_skip(&s, 2) == 0 && cursor_u16be(&s, &hatype) == 0 &&
             cursor_skip(&s, 1) == 0 && cursor_u8(&s, &halen) == 0 &&
             cursor_bytes(&s, addr, 8) == 0 && cursor_u16be(&s, &proto) == 0;
    if (!ok) {
        decode_anomaly_raise(w->d, w->pkt, DECODE_ANOM_TRUNCATED_SLL);
        return;
    }
    *c = s;
    if (hatype == 1 && halen == 6) { /* ARPHRD_ETHER: the source MAC */
        w->pkt->link.has_mac = true;
        memcpy(w->pkt->link.src_mac, addr, 6);
        memset(w->pkt->link.dst_mac, 0, 6);
    }
    link_network(w, c, proto, 0);
}

int link_decode(struct decoder *d, struct packet *pkt)
{
    struct cursor c;
    cursor_init(&c, pkt->data, pkt->caplen);
    uint32_t wire = pkt->wirelen > pkt->caplen ? pkt->wirelen : pkt->caplen;
    struct link_walk w = {d, pkt, c.p, wire, 1};
    switch (pkt->linktype) {
    case DLT_EN10MB_:
        link_ether(&w, &c);
        break;
    case DLT_NULL_:
        link_null(&w, &c, 0);
        break;
    case DLT_LOOP_:
        link_null(&w, &c, 1);
        break;
    case DLT_RAW_:
    case DLT_RAW_OBSD_:
    case LINKTYPE_RAW_:
    case DLT_IPV4_:
    case DLT_IPV6_:
        link_ip(&w, &c);
        break;
    case DLT_LINUX_SLL_:
        link_sll(&w, &c, 0);
        break;
    case DLT_LINUX_SLL2_:
        link_sll(&w, &c, 1);
        break;
    default:
        decode_anomaly_raise(d, pkt, DECODE_ANOM_UNKNOWN_LINKTYPE);
        return -1;
    }
    if (!(pkt->flags & (PKT_F_IP | PKT_F_ARP | PKT_F_NON_IP)))
        return -1;
    return 0;
}
