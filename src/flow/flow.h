/*
 * flow.h - the flow table: one entry per session (Zeek's "connection").
 *
 * A flow is keyed on (tunnel/VLAN context, IP protocol, address pair, port
 * pair), stored in canonical order so both directions find the same entry.
 * Entries come from a pool preallocated up to a memory cap; the hash is
 * seeded (random per process unless flow_config.hash_seed_set) so traffic
 * cannot choose collisions.  Each flow keeps Zeek's per-endpoint TCP state,
 * history letters, packet/byte counters and times; when it ends (timeout,
 * eviction, end of input, or a new SYN after it closed) the table hands a
 * struct conn_record to the caller's callback.
 *
 * Originator/responder follow Zeek: the sender of the first packet, flipped
 * when that packet was a SYN-ACK (or a bare SYN-ACK-like reply), and for UDP
 * when only the first packet's destination port is not a well-known server
 * port but its source port is (Zeek's likely_server_ports heuristic).
 *
 * Timeouts (seconds of packet time, Zeek's defaults in init-bare.zeek):
 *   tcp_inactivity_timeout 300, udp_inactivity_timeout 60,
 *   icmp_inactivity_timeout 60, unknown_ip_inactivity_timeout 60,
 *   dns_session_timeout 10 (UDP sessions on the DNS analyzer's ports),
 *   tcp_attempt_delay 5 (S0 with no answer), tcp_close_delay 5,
 *   tcp_reset_delay 5, tcp_partial_close_delay 3.
 */
#ifndef VIGIL_FLOW_H
#define VIGIL_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/packet.h"
#include "flow/conn_record.h"

#define FLOW_MAX_LOCAL_NETS 64

struct flow_local_net {
    uint8_t family;  /* 4 or 6 */
    uint8_t prefix;
    uint8_t addr[16];
};

struct flow_config {
    /* Inactivity timeouts in nanoseconds of packet time. */
    int64_t tcp_inactivity_timeout;   /* 300 s */
    int64_t udp_inactivity_timeout;   /* 60 s */
    int64_t icmp_inactivity_timeout;  /* 60 s */
    int64_t other_inactivity_timeout; /* 60 s (unknown_ip_inactivity_timeout) */
    int64_t tcp_attempt_delay;        /* 5 s */
    int64_t tcp_close_delay;          /* 5 s */
    int64_t tcp_reset_delay;          /* 5 s */
    int64_t tcp_partial_close_delay;  /* 3 s */
    int64_t dns_session_timeout;      /* 10 s: UDP to 53, 137, 5353, 5355 (Zeek's DNS analyzer) */
    size_t memcap;                    /* bytes for the table and its flows (default 256 MiB) */
    uint64_t hash_seed;               /* used when hash_seed_set, else random per process */
    bool hash_seed_set;
    uint16_t community_id_seed;       /* Community ID v1 seed (default 0) */
    bool vlan_in_key;                 /* sessions on different VLANs are different (default off:
                                         Zeek 8's default conn key ignores VLANs) */
    bool private_is_local;            /* with no local nets given, private address space is
                                         local (Zeek 8's Site::private_address_space_is_local) */
    int n_local_nets;                 /* configured local networks */
    struct flow_local_net local_nets[FLOW_MAX_LOCAL_NETS];
};

struct flow_counters {
    uint64_t created;
    uint64_t expired;   /* ended by an inactivity timeout or close delay */
    uint64_t evicted;   /* ended early because the memory cap was reached */
    uint64_t flushed;   /* ended at the end of input */
    uint64_t reused;    /* ended because a new SYN reused a closed connection's ports */
    uint64_t active;    /* flows in the table now */
    uint64_t peak;      /* most flows in the table at once */
};

struct flow_table;

/* Called once for each finished session; the record is valid during the call only. */
typedef void (*flow_emit_fn)(void *ctx, const struct conn_record *rec);

void flow_config_default(struct flow_config *cfg);

/* Parse "10.0.0.0/8,192.168.0.0/16,fd00::/8" into cfg->local_nets.
 * 0 or <0 with a sentence in err. */
int flow_config_parse_local_nets(struct flow_config *cfg, const char *list, char *err,
                                 size_t errlen);

/* sensor is copied; emit receives every finished session (NULL: conn
 * records are not built).  NULL on error (sentence in err). */
struct flow_table *flow_table_new(const struct flow_config *cfg, const char *sensor,
                                  flow_emit_fn emit, void *ctx, char *err, size_t errlen);
void flow_table_free(struct flow_table *t);

/* Account one decoded packet (all its IP layers: outer tunnel sessions and
 * the inner one).  Expires idle flows by the packet's time first. */
void flow_table_packet(struct flow_table *t, const struct packet *pkt);

/* The sessions one packet was accounted to (full-content index): outer
 * tunnel session(s) first, innermost last; n = 0 for a packet of no
 * session (non-IP, ARP, a fragment held for reassembly).  layer is the
 * packet layer (pkt->layer[]) whose addresses and ports key the session. */
struct flow_packet_refs {
    uint8_t n;
    struct {
        char uid[24];
        uint8_t layer;
    } ref[PKT_MAX_LAYERS];
};

/* flow_table_packet, also telling which sessions got the packet (refs may
 * be NULL). */
void flow_table_packet_refs(struct flow_table *t, const struct packet *pkt,
                            struct flow_packet_refs *refs);

/* Expire flows idle at packet time now_ns (called by flow_table_packet;
 * exposed for live capture's idle ticks). */
void flow_table_expire(struct flow_table *t, int64_t now_ns);

/* End every flow (end of input), oldest first. */
void flow_table_flush(struct flow_table *t);

void flow_table_counters(const struct flow_table *t, struct flow_counters *c);

/* Bytes of table memory per idle flow, all in: the pool slot plus its hash
 * bucket share (252 today; the budget is 256). */
size_t flow_table_bytes_per_flow(void);

/* ---- app-layer hooks (src/stream attaches here) --------------------------
 *
 * The flow module stays ignorant of reassembly and parsers: it calls these
 * hooks, and the app layer keeps its per-flow state in the flow's side
 * block (flow->ext->app, reached through flow_app_slot()).  An idle flow
 * (no payload yet) costs nothing more: the app layer allocates on the
 * first payload, FIN/RST or expectation match. */
struct flow;

/* What the app layer may know of a flow (filled by flow_app_info). */
struct flow_app_info {
    char uid[24];
    char community_id[64];
    struct raddr orig_h, resp_h;
    uint16_t orig_p, resp_p;
    uint8_t proto;
    uint8_t orig_side;     /* key side of the originator (changes when Zeek's rules flip roles) */
    int64_t first_ns;
};

struct flow_app_hooks {
    void *ctx;
    /* Every packet layer accounted to a flow that is the packet's innermost
     * session, after the flow module updated it.  side: key side of the
     * sender; orig_side: key side of the originator now; first: the packet
     * created the flow. */
    void (*packet)(void *ctx, struct flow_table *t, struct flow *f, const struct packet *pkt,
                   const struct pkt_ip *ip, int side, int orig_side, bool first, int64_t now);
    /* The flow ends (before its conn record): flush, run parsers' state_free. */
    void (*end)(void *ctx, struct flow_table *t, struct flow *f, void *app);
    /* conn.log service from the app layer, or NULL (called while building the record). */
    const char *(*service)(void *ctx, void *app);
    /* Free the app state (after the record was emitted, or at table free). */
    void (*release)(void *ctx, void *app);
    /* A flow-level anomaly raised by the flow module (Zeek's TCP weird names). */
    void (*weird)(void *ctx, struct flow_table *t, struct flow *f, const char *name,
                  const char *source, int64_t now);
    /* Every flow's end, with or without app state, after its record and
     * before its slot is reused (state kept elsewhere by uid goes). */
    void (*gone)(void *ctx, const struct flow_table *t, const struct flow *f);
};

/* Install (or with NULL remove) the app-layer hooks; h is copied. */
void flow_table_set_app(struct flow_table *t, const struct flow_app_hooks *h);

/* The flow's app-layer slot (allocates the side block): NULL when out of memory. */
void **flow_app_slot(struct flow *f);

/* The flow's app state, or NULL (never allocates). */
void *flow_app_get(const struct flow *f);

/* The app layer is done with the flow for good (no parser can take it)
 * and has freed its state (the slot must be NULL): one bit remembers it,
 * and the side block is freed when nothing else uses it. */
void flow_app_off(struct flow *f);
bool flow_app_is_off(const struct flow *f);

/* TCP: the sequence number of the SYN sent by key side `side`, when one
 * was seen (the stream starts after it even if data came first). */
bool flow_app_tcp_syn_seq(const struct flow *f, int side, uint32_t *isn);

/* The flow's uid, from the slot cache when the table keeps one (filled on
 * first use), else computed. */
void flow_uid_get(const struct flow_table *t, const struct flow *f, char *out, size_t outlen);

/* Identity of a flow for records: uid, community id, orig/resp as now. */
void flow_app_info(const struct flow_table *t, const struct flow *f, struct flow_app_info *out);

/* flow_app_info without the Community ID (community_id left empty): for
 * callers that need a flow's identity on every packet and the Community ID
 * only rarely (the detection engine: only when an alert fires). */
void flow_app_ids(const struct flow_table *t, const struct flow *f, struct flow_app_info *out);

/* The flow's Community ID ("1:..."), into out (>= 64 bytes). */
void flow_community_id(const struct flow_table *t, const struct flow *f, char *out, size_t outlen);

/* The first-packet second a session uid carries ("C" + 6 base62 digits of
 * it + 11 of hash; see flow_conn.c).  0, or -1 when uid does not have that
 * shape.  A uid from another source (Zeek's random ones, a tunnel's) may
 * decode to a meaningless second: callers treat the result as a hint. */
int flow_uid_time(const char *uid, int64_t *sec);

/* Keep every flow's uid once computed (20 bytes per pool slot, outside the
 * flow memory cap), so callers that ask for a flow's uid on every packet
 * (the archive's packet refs, the detection engine) pay its SHA-256 once per
 * flow.  Idempotent; a no-op when out of memory (uids are then recomputed). */
void flow_table_cache_uids(struct flow_table *t);

/* Community ID v1 of a flow: "1:" + base64(SHA-1(seed, saddr, daddr, proto,
 * 0, sport, dport)).  addr_len is 4 or 16.  out holds >= 64 bytes.
 * Returns the string length, or <0. */
/* Free the calling thread's cached digest contexts (uids, Community IDs):
 * an analysis worker's last call (src/pipeline/workers.c). */
void flow_thread_free(void);
void community_id_thread_free(void);

int community_id_v1(uint16_t seed, const uint8_t *saddr, const uint8_t *daddr, int addr_len,
                    uint8_t proto, uint16_t sport, uint16_t dport, bool has_ports, char *out,
                    size_t outlen);

#endif
