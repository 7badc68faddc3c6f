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
    DECODE_ANOM_UNKNOWN_LINKTYPE,        /* "unknown_link_type" */
    DECODE_ANOM_TRUNCATED_LINK,          /* "truncated_link_header" */
    DECODE_ANOM_TRUNCATED_IP,            /* "truncated_IP" */
    DECODE_ANOM_TRUNCATED_IPV6,          /* "truncated_IPv6" */
    DECODE_ANOM_TRUNCATED_HEADER,        /* "truncated_header" (transport) */
    DECODE_ANOM_IP_HDR_LEN_TOO_SMALL,    /* "bad_IP_header_length"? see decode_anomaly_name */
    DECODE_ANOM_IP_LEN_TOO_SMALL,
    DECODE_ANOM_IP_VERSION_MISMATCH,
    DECODE_ANOM_BAD_TCP_HDR_LEN,
    DECODE_ANOM_FRAG_OVERLAP,
    DECODE_ANOM_FRAG_INCONSISTENT_OVERLAP,
    DECODE_ANOM_FRAG_TOO_BIG,
    DECODE_ANOM_FRAG_TIMEOUT,
    DECODE_ANOM_FRAG_MEMCAP,
    DECODE_ANOM_COUNT_V0 /* placeholder: the decoder module appends real entries above this */
};

struct decode_config {
    int reassemble;            /* reassemble IP fragments (off for tcpdump-like printing) */
    size_t frag_memcap;        /* bytes held by fragment tables at most (default 32 MiB) */
    uint32_t frag_timeout;     /* seconds a partial datagram is kept (default 60, as Zeek) */
    int max_tunnel_depth;      /* <= PKT_MAX_LAYERS - 1 */
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
