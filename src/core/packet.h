/*
 * packet.h - struct packet, the view of one captured frame that every
 * stage of the pipeline passes along.
 *
 * A packet is a view into the capture buffer: nothing here owns the bytes.
 * The source (src/capture) fills the "source" part; the decoder
 * (src/decode) fills the rest.  Pointers into the frame (hdr, l4,
 * payload) stay valid until the source's next() is called again, or, for
 * a datagram reassembled from fragments, until the decoder's next call.
 *
 * Layers: an IP packet may be carried inside another (GRE, VXLAN, Geneve,
 * Teredo, AYIYA, IP-in-IP).  layer[0] is the outermost IP header,
 * layer[n_layers-1] the innermost; each layer holds its own transport
 * header so the flow table can keep the outer (tunnel) session and the
 * inner one, as Zeek does.  layer[i].encap says how layer[i+1] is carried.
 */
#ifndef VIGIL_CORE_PACKET_H
#define VIGIL_CORE_PACKET_H

#include <stdbool.h>
#include <stdint.h>

#define PKT_MAX_LAYERS 4
#define PKT_MAX_VLAN 3
#define PKT_MAX_MPLS 8
#define PKT_MAX_ANOMALIES 8
#define PKT_MAX_SACK 4

/* How the next inner layer is carried inside this one. */
enum pkt_encap {
    PKT_ENCAP_NONE = 0,
    PKT_ENCAP_IPIP,   /* IPv4/IPv6 directly in IPv4/IPv6 (proto 4 or 41) */
    PKT_ENCAP_GRE,    /* GRE, incl. ERSPAN and GRE over UDP 4754 */
    PKT_ENCAP_VXLAN,  /* UDP 4789 */
    PKT_ENCAP_GENEVE, /* UDP 6081 */
    PKT_ENCAP_TEREDO, /* IPv6 in UDP 3544 */
    PKT_ENCAP_AYIYA,  /* UDP 5072 */
    PKT_ENCAP_GTPU,   /* UDP 2152 */
};

/* Transport header of one IP layer (only the fields of its protocol are set). */
struct pkt_l4 {
    bool valid;              /* a complete transport header was decoded */
    uint16_t sport, dport;   /* TCP/UDP/SCTP ports */
    /* TCP */
    uint8_t tcp_flags;       /* FIN 0x01 SYN 0x02 RST 0x04 PSH 0x08 ACK 0x10 URG 0x20 ECE 0x40 CWR 0x80 */
    uint8_t tcp_hlen;        /* data offset in bytes */
    uint16_t win;            /* raw window field (unscaled) */
    uint16_t urg;
    uint32_t seq, ack;
    uint16_t mss;            /* 0 when absent */
    int8_t wscale;           /* -1 when absent */
    bool sack_permitted;
    bool has_ts;
    uint32_t tsval, tsecr;
    uint8_t n_sack;
    uint32_t sack[PKT_MAX_SACK][2];
    /* ICMP / ICMPv6 */
    uint8_t icmp_type, icmp_code;
    uint16_t icmp_id, icmp_seq; /* echo request/reply */
    /* Payload after the transport header, clipped to what was captured and
     * to the IP datagram's length.  payload_wire_len is the length the IP
     * header says (what Zeek counts), which may exceed payload_len when
     * the capture was cut by the snaplen. */
    const uint8_t *payload;
    uint32_t payload_len;
    uint32_t payload_wire_len;
};

/* One IP header and the transport header it carries. */
struct pkt_ip {
    uint8_t version;          /* 4 or 6 */
    uint8_t proto;            /* upper-layer protocol (after IPv6 extension headers) */
    uint8_t ttl;              /* TTL / hop limit */
    uint8_t tos;              /* TOS / traffic class */
    uint8_t src[16], dst[16]; /* network order; IPv4 in the first 4 bytes, the rest zero */
    uint32_t flow_label;      /* IPv6 only */
    uint16_t id;              /* IPv4 identification */
    uint32_t frag_id;         /* IPv6 fragment identification (or IPv4 id) */
    uint16_t frag_offset;     /* fragment offset in bytes */
    bool df, mf;              /* don't-fragment, more-fragments */
    bool is_fragment;         /* this header is one fragment of a bigger datagram */
    bool reassembled;         /* fields below describe the reassembled datagram */
    uint32_t hdr_len;         /* IPv4 header incl. options; IPv6 40 + extension headers */
    uint32_t total_len;       /* IPv4 total length; IPv6 40 + payload length */
    const uint8_t *hdr;       /* first byte of this IP header */
    const uint8_t *l4;        /* first byte of the transport header; NULL for a non-first fragment */
    uint32_t l4_len;          /* captured bytes from l4 to the end of the datagram */
    struct pkt_l4 t;
    enum pkt_encap encap;     /* how layer[i+1] is carried in this layer */
    /* Added by decode/ (additive): */
    uint16_t ip_options;      /* IPv4 options seen: PKT_IPOPT_* bits */
    bool has_encap_id;        /* encap_id is set */
    uint32_t encap_id;        /* GRE key, VXLAN/Geneve VNI or GTP TEID of the tunnel to layer[i+1] */
    uint8_t teredo_flags;     /* PKT_TEREDO_* when encap is PKT_ENCAP_TEREDO */
    uint16_t teredo_origin_port;   /* origin indication (de-obfuscated), host order */
    uint8_t teredo_origin_addr[4]; /* origin indication address (de-obfuscated), network order */
};

/* pkt_ip.ip_options bits */
enum {
    PKT_IPOPT_RR = 1u << 0,    /* record route (7) */
    PKT_IPOPT_TS = 1u << 1,    /* timestamp (68) */
    PKT_IPOPT_LSRR = 1u << 2,  /* loose source route (131) */
    PKT_IPOPT_SSRR = 1u << 3,  /* strict source route (137) */
    PKT_IPOPT_RA = 1u << 4,    /* router alert (148) */
    PKT_IPOPT_OTHER = 1u << 5, /* any other option */
};

/* pkt_ip.teredo_flags bits */
enum {
    PKT_TEREDO_ORIGIN = 1u << 0, /* origin indication present */
    PKT_TEREDO_AUTH = 1u << 1,   /* authentication indicator present */
    PKT_TEREDO_BUBBLE = 1u << 2, /* inner IPv6 has no next header (a bubble) */
};

struct pkt_arp {
    uint16_t op;             /* 1 request, 2 reply */
    uint16_t htype, ptype;
    uint8_t sha[6], tha[6];
    uint8_t spa[4], tpa[4];
};

struct pkt_link {
    bool has_mac;
    uint8_t src_mac[6], dst_mac[6];
    uint16_t ethertype;                /* ethertype of what follows the tags */
    uint8_t n_vlan;
    uint16_t vlan[PKT_MAX_VLAN];       /* VLAN ids, outermost first */
    uint8_t n_mpls;
    uint32_t mpls[PKT_MAX_MPLS];       /* MPLS labels, outermost first */
    bool pppoe;                        /* PPPoE session carried the IP packet */
    uint32_t hdr_len;                  /* bytes before the first IP (or ARP) header */
};

/* Set in packet.flags by the decoder. */
enum {
    PKT_F_IP = 1u << 0,        /* at least one IP layer decoded */
    PKT_F_ARP = 1u << 1,       /* an ARP packet */
    PKT_F_TRUNCATED = 1u << 2, /* the capture (snaplen) cut a header short */
    PKT_F_MALFORMED = 1u << 3, /* a header was malformed; see anomalies */
    PKT_F_FRAG_HELD = 1u << 4, /* a fragment was stored for reassembly; nothing to analyse yet */
    PKT_F_REASSEMBLED = 1u << 5, /* the innermost datagram was rebuilt from fragments */
    PKT_F_NON_IP = 1u << 6,    /* a link-layer frame not carrying IP or ARP */
};

struct packet {
    /* --- filled by the source --- */
    int64_t ts_sec;          /* capture time, seconds since the epoch */
    uint32_t ts_nsec;        /* and nanoseconds */
    uint32_t caplen;         /* bytes captured */
    uint32_t wirelen;        /* bytes on the wire */
    int linktype;            /* libpcap DLT_* of this frame */
    const uint8_t *data;     /* caplen bytes, owned by the source */
    uint64_t num;            /* 1-based position in the source's stream */
    const char *origin;      /* file name or interface; owned by the source */
    int64_t origin_offset;   /* byte offset of the record in its file, -1 if unknown */

    /* --- filled by the decoder --- */
    uint32_t flags;          /* PKT_F_* */
    struct pkt_link link;
    struct pkt_arp arp;
    uint8_t n_layers;
    struct pkt_ip layer[PKT_MAX_LAYERS];
    uint8_t n_anomalies;
    uint16_t anomalies[PKT_MAX_ANOMALIES]; /* enum decode_anomaly values, in order raised */
};

/* The innermost IP layer, or NULL when the packet carries no IP. */
static inline struct pkt_ip *packet_inner(struct packet *p)
{
    return p->n_layers ? &p->layer[p->n_layers - 1] : 0;
}

static inline const struct pkt_ip *packet_inner_const(const struct packet *p)
{
    return p->n_layers ? &p->layer[p->n_layers - 1] : 0;
}

#endif
