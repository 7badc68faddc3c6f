/*
 * ipv4.c - IPv4 header (RFC 791) with options, and IPv4 fragments.
 *
 *    0                   1                   2                   3
 *   |Version|  IHL  |Type of Service|          Total Length         |
 *   |         Identification        |Flags|      Fragment Offset    |
 *   |  Time to Live |    Protocol   |         Header Checksum       |
 *   |                       Source Address                          |
 *   |                    Destination Address                        |
 *   |                    Options (IHL > 5)                          |
 *
 * Checks, in Zeek's order and with its weird names: total length 0
 * (TSO) -> ip_hdr_len_zero and the captured length is used; the frame
 * shorter on the wire than the total length -> truncated_IP_len (decoding
 * goes on with what is there); IHL < 5 -> IPv4_min_header_size; header
 * longer than the total length -> invalid_IP_header_size; header longer
 * than captured -> internally_truncated_header.  Options are walked to
 * note record-route/timestamp/source-route/router-alert; a bad option
 * length raises bad_IP_option_length.  A fragment goes to frag.c when
 * reassembly is on; with it off, only a first fragment has a transport
 * header (l4 NULL otherwise).
 */
#include "decode/decode_int.h"

static void ipv4_options(struct decoder *d, struct packet *pkt, struct pkt_ip *ip,
                         struct cursor *o)
{
    uint8_t type, len;
    while (cursor_u8(o, &type) == 0) {
        if (type == 0)
            break;
        if (type == 1)
            continue;
        if (cursor_u8(o, &len) < 0 || len < 2 || cursor_skip(o, len - 2u) < 0) {
            decode_anomaly_raise(d, pkt, DECODE_ANOM_BAD_IP_OPTION);
            return;
        }
        switch (type) {
        case 7: ip->ip_options |= PKT_IPOPT_RR; break;
        case 68: ip->ip_options |= PKT_IPOPT_TS; break;
        case 131: ip->ip_options |= PKT_IPOPT_LSRR; break;
        case 137: ip->ip_options |= PKT_IPOPT_SSRR; break;
        case 148: ip->ip_options |= PKT_IPOPT_RA; break;
        default: ip->ip_options |= PKT_IPOPT_OTHER; break;
        }
    }
}

/* A fragment: hand it to the reassembler or decode what it has (ip.c). */
static void ipv4_fragment(struct decoder *d, struct packet *pkt, struct pkt_ip *ip,
                          uint32_t captured, enum decode_carrier via)
{
    struct frag_in f = {
        .version = 4, .src = ip->src, .dst = ip->dst, .id = ip->id, .proto = ip->proto,
        .unfrag = ip->hdr, .unfrag_len = ip->hdr_len, .nh_off = 9,
        .offset = ip->frag_offset, .data = ip->hdr + ip->hdr_len,
        .more = ip->mf, .df = ip->df,
    };
    ip_fragment(d, pkt, ip, &f, captured, via, ipv4_decode);
}

void ipv4_decode(struct decoder *d, struct packet *pkt, struct cursor *c, uint32_t wire_len,
                 enum decode_carrier via)
{
    uint8_t vihl = 0, tos = 0, ttl = 0, proto = 0;
    uint16_t total = 0, id = 0, ff = 0, csum = 0;
    const uint8_t *hdr = c->p;
    uint32_t captured = (uint32_t)cursor_left(c);
    if (captured < 20) {
        decode_anomaly_raise(d, pkt, DECODE_ANOM_TRUNCATED_IP);
        return;
    }
    struct pkt_ip *ip = ip_layer_push(d, pkt);
    if (!ip)
        return;
    struct cursor h = *c;
    cursor_u8(&h, &vihl), cursor_u8(&h, &tos), cursor_u16be(&h, &total);
    cursor_u16be(&h, &id), cursor_u16be(&h, &ff), cursor_u8(&h, &ttl);
    cursor_u8(&h, &proto), cursor_u16be(&h, &csum);
    cursor_bytes(&h, ip->src, 4), cursor_bytes(&h, ip->dst, 4);
    pkt->flags |= PKT_F_IP;
    ip->version = 4;
    ip->tos = tos;
    ip->ttl = ttl;
    ip->proto = proto;
    ip->id = id;
    ip->frag_id = id;
    ip->df = (ff & 0x4000) != 0;
    ip->mf = (ff & 0x2000) != 0;
    ip->frag_offset = (uint16_t)((ff & 0x1fff) * 8u);
    ip->hdr = hdr;
    ip->hdr_len = (vihl & 0x0f) * 4u;
    ip->total_len = total;
    if (total == 0) {
        decode_anomaly_raise(d, pkt, DECODE_ANOM_IP_HDR_LEN_ZERO);
        ip->total_len = captured;
    }
    if (wire_len < ip->total_len)
        decode_anomaly_raise(d, pkt, DECODE_ANOM_TRUNCATED_IP_LEN);
    if (ip->hdr_len < 20) {
        decode_anomaly_raise(d, pkt, DECODE_ANOM_IP_HDR_LEN_TOO_SMALL);
        return;
    }
    if (ip->hdr_len > ip->total_len) {
        decode_anomaly_raise(d, pkt, DECODE_ANOM_IP_LEN_TOO_SMALL);
        return;
    }
    if (ip->hdr_len > captured) {
        decode_anomaly_raise(d, pkt, DECODE_ANOM_INTERNALLY_TRUNCATED);
        return;
    }
    if (ip->hdr_len > 20) {
        struct cursor o;
        cursor_init(&o, hdr + 20, ip->hdr_len - 20);
        ipv4_options(d, pkt, ip, &o);
    }
    if (d->cfg.check_checksums && decode_cksum_fold(decode_cksum_add(0, hdr, ip->hdr_len)) != 0xffff)
        decode_anomaly_raise(d, pkt, DECODE_ANOM_BAD_IP_CHECKSUM);
    if (captured > ip->total_len)
        captured = ip->total_len; /* link padding is not part of the datagram */
    ip->is_fragment = ip->mf || ip->frag_offset != 0;
    if (ip->is_fragment) {
        ipv4_fragment(d, pkt, ip, captured, via);
        return;
    }
    ip->l4 = hdr + ip->hdr_len;
    ip->l4_len = captured - ip->hdr_len;
    ip_decode_transport(d, pkt, ip, ip->total_len - ip->hdr_len, via);
}
