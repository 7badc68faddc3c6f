/*
 * ip.c - what IPv4 and IPv6 share: starting a layer (with the tunnel depth
 * cap), dispatching on the version nibble, handing the transport bytes to
 * the right decoder, a fragment to the reassembler (and the rebuilt
 * datagram back to the decoder), and the transport checksum (RFC
 * 768/793/792/4443 pseudo-headers, RFC 1071 sum).
 *
 * Layer rule (packet.h): layer[i] holds one IP header and its transport
 * header; layer[i].encap says how layer[i+1] is carried.  The number of
 * layers is capped at decode_config.max_tunnel_depth + 1 (and
 * PKT_MAX_LAYERS); a tunnel beyond that raises exceeded_tunnel_max_depth
 * (Zeek's name) and leaves the outer layer's payload as it is.
 */
#include "decode/decode_int.h"

struct pkt_ip *ip_layer_push(struct decoder *d, struct packet *pkt)
{
    if (pkt->n_layers >= d->max_layers) {
        decode_anomaly_raise(d, pkt, DECODE_ANOM_TUNNEL_MAX_DEPTH);
        return NULL;
    }
    struct pkt_ip *ip = &pkt->layer[pkt->n_layers++];
    memset(ip, 0, sizeof(*ip));
    ip->t.wscale = -1;
    return ip;
}

void ip_fragment(struct decoder *d, struct packet *pkt, struct pkt_ip *ip, struct frag_in *f,
                 uint32_t captured, enum decode_carrier via, ip_redecode_fn redecode)
{
    int idx = (int)(ip - pkt->layer);
    uint32_t data_wire = ip->total_len - ip->hdr_len;
    int reasm = d->frags && !(d->in_reasm & (1u << idx));
    if (reasm && captured < ip->total_len) {
        decode_anomaly_raise(d, pkt, DECODE_ANOM_INCOMPLETE_FRAGMENT);
        reasm = 0;
    }
    if (!reasm) {
        if (ip->frag_offset == 0) {
            ip->l4 = ip->hdr + ip->hdr_len;
            ip->l4_len = captured - ip->hdr_len;
            ip_decode_transport(d, pkt, ip, data_wire, via);
        }
        return;
    }
    f->len = data_wire;
    int n = frag_add(d, pkt, f, d->reasm_buf[idx]);
    if (n <= 0) {
        if (n == 0)
            pkt->flags |= PKT_F_FRAG_HELD;
        return;
    }
    /* Decode the rebuilt datagram in place of the fragment. */
    struct cursor rc;
    cursor_init(&rc, d->reasm_buf[idx], (size_t)n);
    pkt->n_layers = (uint8_t)idx;
    d->in_reasm |= 1u << idx;
    redecode(d, pkt, &rc, (uint32_t)n, via);
    d->in_reasm &= ~(1u << idx);
    pkt->layer[idx].is_fragment = true;
    pkt->layer[idx].reassembled = true;
    pkt->flags |= PKT_F_REASSEMBLED;
}

void ip_decode(struct decoder *d, struct packet *pkt, struct cursor *c, uint32_t wire_len,
               enum decode_carrier via)
{
    uint8_t b;
    if (cursor_peek_u8(c, 0, &b) < 0) {
        decode_anomaly_raise(d, pkt, DECODE_ANOM_TRUNCATED_IP);
        return;
    }
    int v = b >> 4;
    if ((via == DECODE_VIA_IP4 && v != 4) ||
        ((via == DECODE_VIA_IP6 || via == DECODE_VIA_TEREDO) && v != 6)) {
        decode_anomaly_raise(d, pkt, DECODE_ANOM_INVALID_INNER_IP_VERSION);
        return;
    }
    if (v == 4)
        ipv4_decode(d, pkt, c, wire_len, via);
    else if (v == 6)
        ipv6_decode(d, pkt, c, wire_len, via);
    else
        decode_anomaly_raise(d, pkt, DECODE_ANOM_IP_VERSION_MISMATCH);
}

void ip_decode_transport(struct decoder *d, struct packet *pkt, struct pkt_ip *ip,
                         uint32_t l4_wire_len, enum decode_carrier via)
{
    struct cursor c;
    (void)via;
    cursor_init(&c, ip->l4, ip->l4_len);
    switch (ip->proto) {
    case 6:
        tcp_decode(d, pkt, ip, &c, l4_wire_len);
        break;
    case 17:
        udp_decode(d, pkt, ip, &c, l4_wire_len);
        break;
    case 1:
    case 58:
        icmp_decode(d, pkt, ip, &c, l4_wire_len);
        break;
    case 47:
        ip->t.payload = ip->l4;
        ip->t.payload_len = ip->l4_len;
        ip->t.payload_wire_len = l4_wire_len;
        tunnel_decode_gre(d, pkt, ip, &c, l4_wire_len);
        break;
    case 4:
    case 41:
        ip->t.payload = ip->l4;
        ip->t.payload_len = ip->l4_len;
        ip->t.payload_wire_len = l4_wire_len;
        tunnel_decode_ipip(d, pkt, ip, &c, l4_wire_len);
        break;
    default:
        ip->t.payload = ip->l4;
        ip->t.payload_len = ip->l4_len;
        ip->t.payload_wire_len = l4_wire_len;
        break;
    }
}

/* Verify the transport checksum of a fully captured datagram. */
void l4_checksum_verify(struct decoder *d, struct packet *pkt, struct pkt_ip *ip)
{
    if (!d->cfg.check_checksums)
        return;
    uint32_t hlen = (uint32_t)(ip->t.payload - ip->l4);
    uint32_t len = hlen + ip->t.payload_wire_len;
    if (ip->t.payload_len != ip->t.payload_wire_len || len > ip->l4_len)
        return; /* not all captured: cannot tell */
    uint32_t sum = 0;
    int anom;
    switch (ip->proto) {
    case 6:
        anom = DECODE_ANOM_BAD_TCP_CHECKSUM;
        sum = decode_cksum_pseudo(ip, 6, len);
        break;
    case 17:
        if (ip->version == 4 && ip->l4_len >= 8 && ip->l4[6] == 0 && ip->l4[7] == 0)
            return; /* UDP over IPv4 without a checksum */
        anom = DECODE_ANOM_BAD_UDP_CHECKSUM;
        sum = decode_cksum_pseudo(ip, 17, len);
        break;
    case 1:
        anom = DECODE_ANOM_BAD_ICMP_CHECKSUM;
        break;
    case 58:
        anom = DECODE_ANOM_BAD_ICMP_CHECKSUM;
        sum = decode_cksum_pseudo(ip, 58, len);
        break;
    default:
        return;
    }
    sum = decode_cksum_add(sum, ip->l4, len);
    if (decode_cksum_fold(sum) != 0xffff)
        decode_anomaly_raise(d, pkt, anom);
}
