/*
 * decode.h - link, network and transport decoding of one captured frame.
 *
 * decode/ turns the raw bytes of a struct packet (src/core/packet.h) into
 * its layers: Ethernet, 802.1Q/QinQ, MPLS, PPPoE, ARP, Linux cooked v1/v2,
 * raw IP, BSD null/loopback; IPv4 (options, fragments), IPv6 (extension
 * headers, fragments); TCP (options), UDP, ICMP, ICMPv6; and the tunnels
 * Zeek decodes (GRE incl. ERSPAN, VXLAN, Geneve, Teredo, AYIYA, IP-in-IP).
 * It knows nothing of flows.
 *
 * A struct decoder holds what outlives one packet: the configuration, the
 * IPv4/IPv6 fragment reassembly tables (with a memory cap and a timeout)
 * and the anomaly counters.  Malformed input never stops decoding: it is
 * counted under a named anomaly (Zeek's weird.log name where Zeek has one)
 * and recorded in packet->anomalies, and decoding keeps what it could.
 */
#ifndef VIGIL_DECODE_H
#define VIGIL_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "core/packet.h"

/* Named anomalies.  Append only: the numbers are stored in packets and
 * counters.  Names are in decode_anomaly_name(). */
enum decode_anomaly {
    DECODE_ANOM_NONE = 0,
    DECODE_ANOM_UNKNOWN_LINKTYPE,        /* "unknown_link_type" (ours) */
    DECODE_ANOM_TRUNCATED_LINK,          /* "truncated_link_header" (MPLS, generic link) */
    DECODE_ANOM_TRUNCATED_IP,            /* "truncated_IP": fewer bytes than a fixed IP header */
    DECODE_ANOM_TRUNCATED_IPV6,          /* "truncated_IPv6": extension header chain cut short */
    DECODE_ANOM_TRUNCATED_HEADER,        /* "truncated_header": IP length too short for the transport header */
    DECODE_ANOM_IP_HDR_LEN_TOO_SMALL,    /* "IPv4_min_header_size": IHL < 5 */
    DECODE_ANOM_IP_LEN_TOO_SMALL,        /* "invalid_IP_header_size": total length < header length */
    DECODE_ANOM_IP_VERSION_MISMATCH,     /* "unknown_ip_version": version nibble neither 4 nor 6 */
    DECODE_ANOM_BAD_TCP_HDR_LEN,         /* "bad_TCP_header_len": data offset < 5 */
    DECODE_ANOM_FRAG_OVERLAP,            /* "fragment_overlap": overlap with the same bytes */
    DECODE_ANOM_FRAG_INCONSISTENT_OVERLAP, /* "fragment_inconsistency": overlap with different bytes */
    DECODE_ANOM_FRAG_TOO_BIG,            /* "excessively_large_fragment": data beyond 65535 */
    DECODE_ANOM_FRAG_TIMEOUT,            /* "fragment_timeout" (ours): partial datagram expired */
    DECODE_ANOM_FRAG_MEMCAP,             /* "fragment_memcap_eviction" (ours) */
    DECODE_ANOM_INTERNALLY_TRUNCATED,    /* "internally_truncated_header": capture cut a header */
    DECODE_ANOM_IP_HDR_LEN_ZERO,         /* "ip_hdr_len_zero": total length 0 (TSO) */
    DECODE_ANOM_TRUNCATED_IP_LEN,        /* "truncated_IP_len": frame shorter on the wire than the IP length */
    DECODE_ANOM_BAD_IP_CHECKSUM,         /* "bad_IP_checksum" */
    DECODE_ANOM_BAD_TCP_CHECKSUM,        /* "bad_TCP_checksum" */
    DECODE_ANOM_BAD_UDP_CHECKSUM,        /* "bad_UDP_checksum" */
    DECODE_ANOM_BAD_ICMP_CHECKSUM,       /* "bad_ICMP_checksum" */
    DECODE_ANOM_INCOMPLETE_FRAGMENT,     /* "incompletely_captured_fragment" */
    DECODE_ANOM_FRAG_SIZE_INCONSISTENT,  /* "fragment_size_inconsistency" */
    DECODE_ANOM_FRAG_PROTO_INCONSISTENT, /* "fragment_protocol_inconsistency" */
    DECODE_ANOM_FRAG_WITH_DF,            /* "fragment_with_DF" */
    DECODE_ANOM_FRAG_TOO_SMALL,          /* "excessively_small_fragment" */
    DECODE_ANOM_IPV6_NO_NEXT,            /* "ipv6_no_next" */
    DECODE_ANOM_ROUTING0_HDR,            /* "routing0_hdr": deprecated type 0 routing header */
    DECODE_ANOM_ODD_ROUTING0_LEN,        /* "odd_routing0_len" */
    DECODE_ANOM_UDP_LEN_MISMATCH,        /* "UDP_datagram_length_mismatch" */
    DECODE_ANOM_TCP_OPTION_LEN,          /* "bad_TCP_option_length" (ours) */
    DECODE_ANOM_TRUNCATED_ETHERNET,      /* "truncated_ethernet_frame" */
    DECODE_ANOM_TRUNCATED_VLAN,          /* "truncated_VLAN_header" */
    DECODE_ANOM_TRUNCATED_PPPOE,         /* "truncated_pppoe_header" */
    DECODE_ANOM_TRUNCATED_SLL,           /* "truncated_Linux_SLL_header" */
    DECODE_ANOM_NULL_FAILED,             /* "null_analyzer_failed" */
    DECODE_ANOM_TRUNCATED_ARP,           /* "truncated_ARP" */
    DECODE_ANOM_TOO_MANY_TAGS,           /* "too_many_link_tags" (ours): VLAN/MPLS stack beyond 16 */
    DECODE_ANOM_TRUNCATED_GRE,           /* "truncated_GRE" */
    DECODE_ANOM_UNKNOWN_GRE_VERSION,     /* "unknown_gre_version" */
    DECODE_ANOM_UNKNOWN_GRE_FLAGS,       /* "unknown_gre_flags" */
    DECODE_ANOM_GRE_ROUTING,             /* "gre_routing" */
    DECODE_ANOM_EGRE_PROTOCOL_TYPE,      /* "egre_protocol_type" */
    DECODE_ANOM_NON_IP_IN_ENCAP,         /* "non_ip_packet_in_encap" */
    DECODE_ANOM_TUNNEL_MAX_DEPTH,        /* "exceeded_tunnel_max_depth" */
    DECODE_ANOM_INVALID_INNER_IP_VERSION, /* "invalid_inner_IP_version" */
    DECODE_ANOM_TRUNCATED_TUNNEL,        /* "truncated_tunnel_header" (ours): capture cut a tunnel header */
    DECODE_ANOM_TEREDO_BUBBLE_PAYLOAD,   /* "Teredo_bubble_with_payload" */
    DECODE_ANOM_VXLAN_EMPTY,             /* "vxlan_empty_packet" */
    DECODE_ANOM_GENEVE_EMPTY,            /* "geneve_empty_packet" */
    DECODE_ANOM_GENEVE_VERSION,          /* "geneve_invalid_version" */
    DECODE_ANOM_AYIYA_EMPTY,             /* "ayiya_empty_packet" */
    DECODE_ANOM_BAD_IP_OPTION,           /* "bad_IP_option_length" (ours) */
    DECODE_ANOM_COUNT
};

struct decode_config {
    int reassemble;            /* reassemble IP fragments (off for tcpdump-like printing) */
    size_t frag_memcap;        /* bytes held by fragment tables at most (default 32 MiB) */
    uint32_t frag_timeout;     /* seconds a partial datagram is kept (default 60, as Zeek) */
    int max_tunnel_depth;      /* encapsulations followed, <= PKT_MAX_LAYERS - 1 (default 2, as Zeek) */
    int check_checksums;       /* verify IP/TCP/UDP/ICMP checksums (default off, like zeek -C) */
};

struct decoder;

/* Fill *cfg with the defaults above. */
void decode_config_default(struct decode_config *cfg);

/* Create a decoder.  Returns NULL when out of memory.  Freed with decoder_free(). */
struct decoder *decoder_new(const struct decode_config *cfg);
void decoder_free(struct decoder *d);

/*
 * Decode pkt->data (pkt->caplen bytes of link type pkt->linktype) into the
 * decoder fields of *pkt.  Returns 0 on success (even if anomalies were
 * raised), or a negative value for a frame that yields nothing usable (it
 * is counted).  When reassembly is on and the frame was a fragment that
 * completed a datagram, the innermost layer describes the whole datagram
 * (PKT_F_REASSEMBLED) and its pointers refer to a buffer owned by the
 * decoder, valid until the next decoder call; while the datagram is
 * incomplete, PKT_F_FRAG_HELD is set.
 */
int decode_packet(struct decoder *d, struct packet *pkt);

/* Anomaly counters: total per enum decode_anomaly value. */
uint64_t decoder_anomaly_count(const struct decoder *d, int anomaly);
int decode_anomaly_count(void);               /* number of enum values */
const char *decode_anomaly_name(int anomaly); /* Zeek weird name or our own */

#endif
