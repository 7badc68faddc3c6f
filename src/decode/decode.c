/*
 * decode.c - the decoder object, the entry point decode_packet() and the
 * anomaly table.
 *
 * decode_packet() resets only the decoder-filled fields of struct packet
 * that later stages read unconditionally (flags, counts, link summary) and
 * clears each IP layer as it is started, so the hot path never memsets
 * the whole struct.  It expires old fragments (timestamps drive the clock,
 * never the wall clock) and hands the frame to link.c.
 *
 * Anomalies: each enum decode_anomaly value has one name (Zeek's weird.log
 * name where Zeek has one, marked "ours" in decode.h otherwise) and a class
 * that decides which packet flag it sets: truncation (the capture or the
 * length fields cut a header short -> PKT_F_TRUNCATED), malformation
 * (-> PKT_F_MALFORMED) or note (counted and recorded, no flag).
 *
 * Checksums (RFC 1071): a 32-bit one's-complement accumulator over 16-bit
 * big-endian words, folded at the end.
 */
#include <stdlib.h>
#include <string.h>

#include "decode/decode_int.h"

enum anom_class { AC_NOTE = 0, AC_TRUNC, AC_MALF };

struct anom_info {
    const char *name;
    uint8_t cls;
};

static const struct anom_info anom_table[DECODE_ANOM_COUNT] = {
    [DECODE_ANOM_NONE] = {"none", AC_NOTE},
    [DECODE_ANOM_UNKNOWN_LINKTYPE] = {"unknown_link_type", AC_MALF},
    [DECODE_ANOM_TRUNCATED_LINK] = {"truncated_link_header", AC_TRUNC},
    [DECODE_ANOM_TRUNCATED_IP] = {"truncated_IP", AC_TRUNC},
    [DECODE_ANOM_TRUNCATED_IPV6] = {"truncated_IPv6", AC_TRUNC},
    [DECODE_ANOM_TRUNCATED_HEADER] = {"truncated_header", AC_MALF},
    [DECODE_ANOM_IP_HDR_LEN_TOO_SMALL] = {"IPv4_min_header_size", AC_MALF},
    [DECODE_ANOM_IP_LEN_TOO_SMALL] = {"invalid_IP_header_size", AC_MALF},
    [DECODE_ANOM_IP_VERSION_MISMATCH] = {"unknown_ip_version", AC_MALF},
    [DECODE_ANOM_BAD_TCP_HDR_LEN] = {"bad_TCP_header_len", AC_MALF},
    [DECODE_ANOM_FRAG_OVERLAP] = {"fragment_overlap", AC_NOTE},
    [DECODE_ANOM_FRAG_INCONSISTENT_OVERLAP] = {"fragment_inconsistency", AC_MALF},
    [DECODE_ANOM_FRAG_TOO_BIG] = {"excessively_large_fragment", AC_MALF},
    [DECODE_ANOM_FRAG_TIMEOUT] = {"fragment_timeout", AC_NOTE},
    [DECODE_ANOM_FRAG_MEMCAP] = {"fragment_memcap_eviction", AC_NOTE},
    [DECODE_ANOM_INTERNALLY_TRUNCATED] = {"internally_truncated_header", AC_TRUNC},
    [DECODE_ANOM_IP_HDR_LEN_ZERO] = {"ip_hdr_len_zero", AC_MALF},
    [DECODE_ANOM_TRUNCATED_IP_LEN] = {"truncated_IP_len", AC_MALF},
    [DECODE_ANOM_BAD_IP_CHECKSUM] = {"bad_IP_checksum", AC_MALF},
    [DECODE_ANOM_BAD_TCP_CHECKSUM] = {"bad_TCP_checksum", AC_MALF},
    [DECODE_ANOM_BAD_UDP_CHECKSUM] = {"bad_UDP_checksum", AC_MALF},
    [DECODE_ANOM_BAD_ICMP_CHECKSUM] = {"bad_ICMP_checksum", AC_MALF},
    [DECODE_ANOM_INCOMPLETE_FRAGMENT] = {"incompletely_captured_fragment", AC_TRUNC},
    [DECODE_ANOM_FRAG_SIZE_INCONSISTENT] = {"fragment_size_inconsistency", AC_MALF},
    [DECODE_ANOM_FRAG_PROTO_INCONSISTENT] = {"fragment_protocol_inconsistency", AC_MALF},
    [DECODE_ANOM_FRAG_WITH_DF] = {"fragment_with_DF", AC_NOTE},
    [DECODE_ANOM_FRAG_TOO_SMALL] = {"excessively_small_fragment", AC_NOTE},
    [DECODE_ANOM_IPV6_NO_NEXT] = {"ipv6_no_next", AC_NOTE},
    [DECODE_ANOM_ROUTING0_HDR] = {"routing0_hdr", AC_NOTE},
    [DECODE_ANOM_ODD_ROUTING0_LEN] = {"odd_routing0_len", AC_MALF},
    [DECODE_ANOM_UDP_LEN_MISMATCH] = {"UDP_datagram_length_mismatch", AC_MALF},
    [DECODE_ANOM_TCP_OPTION_LEN] = {"bad_TCP_option_length", AC_MALF},
    [DECODE_ANOM_TRUNCATED_ETHERNET] = {"truncated_ethernet_frame", AC_TRUNC},
    [DECODE_ANOM_TRUNCATED_VLAN] = {"truncated_VLAN_header", AC_TRUNC},
    [DECODE_ANOM_TRUNCATED_PPPOE] = {"truncated_pppoe_header", AC_TRUNC},
    [DECODE_ANOM_TRUNCATED_SLL] = {"truncated_Linux_SLL_header", AC_TRUNC},
    [DECODE_ANOM_NULL_FAILED] = {"null_analyzer_failed", AC_TRUNC},
    [DECODE_ANOM_TRUNCATED_ARP] = {"truncated_ARP", AC_TRUNC},
    [DECODE_ANOM_TOO_MANY_TAGS] = {"too_many_link_tags", AC_MALF},
    [DECODE_ANOM_TRUNCATED_GRE] = {"truncated_GRE", AC_TRUNC},
    [DECODE_ANOM_UNKNOWN_GRE_VERSION] = {"unknown_gre_version", AC_MALF},
    [DECODE_ANOM_UNKNOWN_GRE_FLAGS] = {"unknown_gre_flags", AC_MALF},
    [DECODE_ANOM_GRE_ROUTING] = {"gre_routing", AC_MALF},
    [DECODE_ANOM_EGRE_PROTOCOL_TYPE] = {"egre_protocol_type", AC_MALF},
    [DECODE_ANOM_NON_IP_IN_ENCAP] = {"non_ip_packet_in_encap", AC_NOTE},
    [DECODE_ANOM_TUNNEL_MAX_DEPTH] = {"exceeded_tunnel_max_depth", AC_NOTE},
    [DECODE_ANOM_INVALID_INNER_IP_VERSION] = {"invalid_inner_IP_version", AC_MALF},
    [DECODE_ANOM_TRUNCATED_TUNNEL] = {"truncated_tunnel_header", AC_TRUNC},
    [DECODE_ANOM_TEREDO_BUBBLE_PAYLOAD] = {"Teredo_bubble_with_payload", AC_NOTE},
    [DECODE_ANOM_VXLAN_EMPTY] = {"vxlan_empty_packet", AC_NOTE},
    [DECODE_ANOM_GENEVE_EMPTY] = {"geneve_empty_packet", AC_NOTE},
    [DECODE_ANOM_GENEVE_VERSION] = {"geneve_invalid_version", AC_MALF},
    [DECODE_ANOM_AYIYA_EMPTY] = {"ayiya_empty_packet", AC_NOTE},
    [DECODE_ANOM_BAD_IP_OPTION] = {"bad_IP_option_length", AC_MALF},
};

void decode_config_default(struct decode_config *cfg)
{
    cfg->reassemble = 1;
    cfg->frag_memcap = 32u << 20;
    cfg->frag_timeout = 60;
    cfg->max_tunnel_depth = 2;
    cfg->check_checksums = 0;
}

struct decoder *decoder_new(const struct decode_config *cfg)
{
    struct decoder *d = calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    if (cfg)
        d->cfg = *cfg;
    else
        decode_config_default(&d->cfg);
    int depth = d->cfg.max_tunnel_depth;
    if (depth < 0)
        depth = 0;
    if (depth > PKT_MAX_LAYERS - 1)
        depth = PKT_MAX_LAYERS - 1;
    d->max_layers = depth + 1;
    if (d->cfg.reassemble) {
        d->frags = frag_table_new(&d->cfg);
        if (!d->frags)
            goto fail;
        for (int i = 0; i < PKT_MAX_LAYERS; i++) {
            d->reasm_buf[i] = malloc(DECODE_REASM_BUF_SIZE);
            if (!d->reasm_buf[i])
                goto fail;
        }
    }
    return d;
fail:
    decoder_free(d);
    return NULL;
}

void decoder_free(struct decoder *d)
{
    if (!d)
        return;
    frag_table_free(d->frags);
    for (int i = 0; i < PKT_MAX_LAYERS; i++)
        free(d->reasm_buf[i]);
    free(d);
}

void decode_anomaly_count_only(struct decoder *d, int anomaly)
{
    if (anomaly > 0 && anomaly < DECODE_ANOM_COUNT)
        d->counts[anomaly]++;
}

void decode_anomaly_raise(struct decoder *d, struct packet *pkt, int anomaly)
{
    if (anomaly <= 0 || anomaly >= DECODE_ANOM_COUNT)
        return;
    d->counts[anomaly]++;
    if (pkt->n_anomalies < PKT_MAX_ANOMALIES)
        pkt->anomalies[pkt->n_anomalies++] = (uint16_t)anomaly;
    if (anom_table[anomaly].cls == AC_TRUNC)
        pkt->flags |= PKT_F_TRUNCATED;
    else if (anom_table[anomaly].cls == AC_MALF)
        pkt->flags |= PKT_F_MALFORMED;
}

uint64_t decoder_anomaly_count(const struct decoder *d, int anomaly)
{
    if (!d || anomaly < 0 || anomaly >= DECODE_ANOM_COUNT)
        return 0;
    return d->counts[anomaly];
}

int decode_anomaly_count(void)
{
    return DECODE_ANOM_COUNT;
}

const char *decode_anomaly_name(int anomaly)
{
    if (anomaly < 0 || anomaly >= DECODE_ANOM_COUNT)
        return "unknown_anomaly";
    return anom_table[anomaly].name;
}

uint32_t decode_cksum_add(uint32_t sum, const uint8_t *p, size_t n)
{
    struct cursor c;
    uint16_t w;
    uint8_t last;
    cursor_init(&c, p, n);
    while (cursor_u16be(&c, &w) == 0) {
        sum += w;
        if (sum & 0x80000000u)
            sum = (sum & 0xffff) + (sum >> 16);
    }
    if (cursor_u8(&c, &last) == 0)
        sum += (uint32_t)last << 8;
    return sum;
}

uint16_t decode_cksum_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)sum;
}

uint32_t decode_cksum_pseudo(const struct pkt_ip *ip, uint8_t proto, uint32_t len)
{
    size_t alen = ip->version == 4 ? 4 : 16;
    uint32_t sum = 0;
    sum = decode_cksum_add(sum, ip->src, alen);
    sum = decode_cksum_add(sum, ip->dst, alen);
    sum += proto;
    sum += len >> 16;
    sum += len & 0xffff;
    return sum;
}

int decode_packet(struct decoder *d, struct packet *pkt)
{
    pkt->flags = 0;
    pkt->n_layers = 0;
    pkt->n_anomalies = 0;
    pkt->link.has_mac = false;
    pkt->link.ethertype = 0;
    pkt->link.n_vlan = 0;
    pkt->link.n_mpls = 0;
    pkt->link.pppoe = false;
    pkt->link.hdr_len = 0;
    d->now_ns = pkt->ts_sec * 1000000000LL + pkt->ts_nsec;
    if (d->frags)
        frag_table_expire(d);
    if (!pkt->data && pkt->caplen)
        pkt->caplen = 0;
    return link_decode(d, pkt);
}
