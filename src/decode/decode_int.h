/*
 * decode_int.h - what the files of src/decode/ share and nobody else sees.
 *
 * The decoder is a chain of small functions, one file per protocol family:
 * link.c hands the network bytes to ip_decode() (ipv4.c / ipv6.c), which
 * hands the transport bytes to tcp.c / udp.c / icmp.c and, for tunnels,
 * to tunnel.c, which calls back into link.c (inner Ethernet) or ip_decode()
 * for the next layer.  frag.c keeps the fragment tables.  Every function
 * takes the decoder (counters, config, scratch buffers) and the packet.
 */
#ifndef VIGIL_DECODE_INT_H
#define VIGIL_DECODE_INT_H

#include <stdint.h>

#include "core/cursor.h"
#include "decode/decode.h"

struct frag_table; /* frag.c */

/* Largest reassembled datagram: 65535 bytes of payload after a maximal
 * header (IPv4 60 bytes; IPv6 unfragmentable part capped at 1024). */
#define DECODE_FRAG_MAX_PAYLOAD 65535u
#define DECODE_FRAG_MAX_UNFRAG 1024u
#define DECODE_REASM_BUF_SIZE (DECODE_FRAG_MAX_PAYLOAD + DECODE_FRAG_MAX_UNFRAG)

struct decoder {
    struct decode_config cfg;
    int max_layers;                        /* max_tunnel_depth + 1, capped */
    int64_t now_ns;                        /* timestamp of the packet in hand */
    unsigned in_reasm;                     /* bit i: layer i is a rebuilt datagram being decoded */
    uint64_t counts[DECODE_ANOM_COUNT];
    struct frag_table *frags;              /* NULL when reassembly is off */
    uint8_t *reasm_buf[PKT_MAX_LAYERS];    /* one rebuilt datagram per layer */
};

/* How an IP header was reached: decides the checks of the inner layer. */
enum decode_carrier {
    DECODE_VIA_LINK = 0, /* from the link layer (or a tunnel carrying Ethernet) */
    DECODE_VIA_IP4,      /* inside something that said "IPv4" (proto 4, GRE 0x0800) */
    DECODE_VIA_IP6,      /* inside something that said "IPv6" (proto 41, Teredo) */
    DECODE_VIA_TEREDO,   /* IPv6 in Teredo: a no-next-header bubble is normal */
};

/* decode.c */
void decode_anomaly_raise(struct decoder *d, struct packet *pkt, int anomaly);
/* Count an anomaly in the decoder only (not tied to the packet in hand). */
void decode_anomaly_count_only(struct decoder *d, int anomaly);
uint32_t decode_cksum_add(uint32_t sum, const uint8_t *p, size_t n);
uint16_t decode_cksum_fold(uint32_t sum);
uint32_t decode_cksum_pseudo(const struct pkt_ip *ip, uint8_t proto, uint32_t len);

/* link.c: decode the frame from its link header.  Returns 0 or -1 (nothing usable). */
int link_decode(struct decoder *d, struct packet *pkt);
/* Inner Ethernet of a tunnel (VXLAN, Geneve, GRE 0x6558, ERSPAN): skips
 * the MAC header and tags, then decodes the IP layer.  Does not touch
 * pkt->link (which describes the outer frame). */
void link_decode_inner_ether(struct decoder *d, struct packet *pkt, struct cursor *c,
                             uint32_t wire_len);

/* ipv4.c / ipv6.c.  c covers the captured bytes from the IP header on;
 * wire_len is how many bytes the frame had on the wire from there. */
void ip_decode(struct decoder *d, struct packet *pkt, struct cursor *c, uint32_t wire_len,
               enum decode_carrier via);
void ipv4_decode(struct decoder *d, struct packet *pkt, struct cursor *c, uint32_t wire_len,
                 enum decode_carrier via);
void ipv6_decode(struct decoder *d, struct packet *pkt, struct cursor *c, uint32_t wire_len,
                 enum decode_carrier via);
/* Start layer pkt->n_layers (clears it).  NULL when the depth cap is reached
 * (exceeded_tunnel_max_depth is raised). */
struct pkt_ip *ip_layer_push(struct decoder *d, struct packet *pkt);
/* Decode the transport header of layer ip (l4, l4_len, payload_wire_len set). */
void ip_decode_transport(struct decoder *d, struct packet *pkt, struct pkt_ip *ip,
                         uint32_t l4_wire_len, enum decode_carrier via);

/* tcp.c, udp.c, icmp.c: c covers the captured transport bytes (clipped to
 * the datagram), wire_len what the IP header says. */
void tcp_decode(struct decoder *d, struct packet *pkt, struct pkt_ip *ip, struct cursor *c,
                uint32_t wire_len);
void udp_decode(struct decoder *d, struct packet *pkt, struct pkt_ip *ip, struct cursor *c,
                uint32_t wire_len);
void icmp_decode(struct decoder *d, struct packet *pkt, struct pkt_ip *ip, struct cursor *c,
                 uint32_t wire_len);
void l4_checksum_verify(struct decoder *d, struct packet *pkt, struct pkt_ip *ip);

/* tunnel.c */
void tunnel_decode_gre(struct decoder *d, struct packet *pkt, struct pkt_ip *ip,
                       struct cursor *c, uint32_t wire_len);
/* UDP payload on a tunnel port: returns 1 when it was a tunnel (decoded). */
int tunnel_decode_udp(struct decoder *d, struct packet *pkt, struct pkt_ip *ip);
void tunnel_decode_ipip(struct decoder *d, struct packet *pkt, struct pkt_ip *ip,
                        struct cursor *c, uint32_t wire_len);

/* frag.c */
struct frag_table *frag_table_new(const struct decode_config *cfg);
void frag_table_free(struct frag_table *t);
void frag_table_expire(struct decoder *d);
/* Fragment description handed to frag_add(). */
struct frag_in {
    uint8_t version;
    const uint8_t *src, *dst; /* 4 or 16 bytes */
    uint32_t id;
    uint8_t proto;            /* IPv4 protocol / IPv6 next header after the fragment header */
    const uint8_t *unfrag;    /* IPv4 header / IPv6 header + extension headers before the fragment header */
    uint32_t unfrag_len;
    uint32_t nh_off;          /* IPv6: offset in unfrag of the next-header byte to patch */
    uint32_t offset;          /* byte offset of this fragment's data */
    const uint8_t *data;      /* fragment data */
    uint32_t len;
    int more;                 /* MF */
    int df;                   /* IPv4 DF */
};
/* Add a fragment.  Returns the length of the reassembled datagram written to
 * out (at most DECODE_REASM_BUF_SIZE), or 0 while incomplete, or -1 when
 * the fragment was dropped. */
int frag_add(struct decoder *d, struct packet *pkt, const struct frag_in *f, uint8_t *out);

/* ip.c: a fragment of layer ip (ipv4.c, ipv6.c).  Reassembled (f says what
 * the caller knows of it; its data length is set here), the rebuilt
 * datagram is decoded by redecode in its place; not reassembled
 * (reassembly off, this layer already being rebuilt, the capture cut it),
 * a first fragment's transport header is decoded from what it has. */
typedef void (*ip_redecode_fn)(struct decoder *d, struct packet *pkt, struct cursor *c,
                               uint32_t wire_len, enum decode_carrier via);
void ip_fragment(struct decoder *d, struct packet *pkt, struct pkt_ip *ip, struct frag_in *f,
                 uint32_t captured, enum decode_carrier via, ip_redecode_fn redecode);

#endif
