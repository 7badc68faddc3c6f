/*
 * flow_int.h - the flow module's private structures, shared by flow.c
 * (table, pool, timers), flow_tcp.c (Zeek's TCP endpoint state machine)
 * and flow_conn.c (conn.log records, uids, local networks).
 *
 * Memory: a struct flow is one pool slot.  Everything a flow needs while
 * idle lives in it; rare extras (out-of-order data ranges for gap
 * accounting, a history longer than the inline buffer, the tunnel parent
 * uid, later the app-layer parser state) hang off flow->ext, allocated on
 * first use and freed with the flow.
 */
#ifndef VIGIL_FLOW_INT_H
#define VIGIL_FLOW_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "flow/flow.h"

/* Zeek's TCP endpoint states (TCP_ENDPOINT_*), same numbering. */
enum flow_tcp_state {
    FT_INACTIVE = 0,
    FT_SYN_SENT,
    FT_SYN_ACK_SENT,
    FT_PARTIAL,
    FT_ESTABLISHED,
    FT_CLOSED,
    FT_RESET,
};

/* Timer classes: a flow sits in the list of its class, lists sorted by
 * anchor time, deadline = anchor + class delay (see flow.c). */
enum flow_tclass {
    TC_PARTIAL = 0, /* tcp_partial_close_delay */
    TC_ATTEMPT,     /* tcp_attempt_delay */
    TC_CLOSE,       /* tcp_close_delay / tcp_reset_delay */
    TC_TCP,         /* tcp_inactivity_timeout */
    TC_UDP,         /* udp_inactivity_timeout */
    TC_ICMP,        /* icmp_inactivity_timeout */
    TC_OTHER,       /* unknown_ip_inactivity_timeout */
    TC_DNS,         /* dns_session_timeout: UDP sessions the DNS analyzer takes */
    TC_N
};

/* Zeek's history bits (Connection::CheckHistory masks); the responder's
 * are the same shifted left by 16. */
enum {
    HIST_SYN_PKT = 0x1,
    HIST_FIN_PKT = 0x2,
    HIST_RST_PKT = 0x4,
    HIST_FIN_RST_PKT = 0x8,
    HIST_DATA_PKT = 0x10,
    HIST_ACK_PKT = 0x20,
    HIST_MULTI_FLAG_PKT = 0x40,
};

struct flow_key {
    uint8_t a[16], b[16]; /* canonical order: (a, pa) < (b, pb) unless one_way */
    uint16_t pa, pb;      /* ports, or ICMP type and counterpart/code */
    uint16_t vlan, inner_vlan; /* 0xffff: none */
    uint8_t proto;
    uint8_t family;       /* 4 or 6 */
    uint8_t one_way;      /* ICMP message without a counterpart: not canonicalised */
    uint8_t pad;
};

/* One TCP endpoint (Zeek's TCP_Endpoint plus its reassembler's gap
 * bookkeeping).  Relative sequence numbers of the reassembler are kept in
 * 32 bits: gap accounting of a flow past 4 GiB in one direction is modulo
 * 2^32 (documented in docs/conn-log.md). */
struct flow_endp {
    uint32_t start_seq, last_seq, ack_seq;
    uint16_t seq_wraps, ack_wraps;
    uint32_t hist_last_syn, hist_last_fin, hist_last_rst;
    uint32_t fin_seq;     /* relative seq just past the FIN */
    uint32_t reassem;     /* next relative seq the reassembler expects */
    uint32_t trim;        /* acked up to here (relative) */
    uint32_t rxmt_cnt, gap_cnt, win0_cnt;
    uint8_t state, prev_state;
    uint8_t fin_cnt : 1, rst_cnt : 1, did_close : 1, skip : 1, did_eof : 1;
    uint8_t spare;        /* free (56 bytes either way) */
};

struct flow_ooo {          /* out-of-order ranges above reassem (relative seqs) */
    uint32_t lo, hi;
};

#define FLOW_OOO_MAX 8
#define FLOW_HIST_INLINE 16
#define FLOW_HIST_MAX 64
#define FLOW_UID_CACHE 20  /* "C" + 17 base62 digits + NUL, rounded */

struct flow_ext {
    void *app;                           /* app-layer parser state (later issues) */
    char history[FLOW_HIST_MAX];         /* full history when it outgrew the inline buffer */
    uint8_t n_ooo[2];
    struct flow_ooo ooo[2][FLOW_OOO_MAX];
    char tunnel_uid[2][24];              /* tunnel parents (uids), "" when none */
    const char *service;                 /* static string: tunnel name of an outer UDP session */
    uint64_t missed;                     /* missed_bytes (content gaps) */
};

/* Layout: ordered so that no padding is left (8-byte members first, then
 * 4-, 2- and 1-byte ones) and sizeof(struct flow) is 248: with the hash
 * bucket share (one uint32_t per slot at most) a flow costs 252 bytes of
 * table memory, under the 256-byte budget of issue 3.  Rare extras live in
 * flow->ext.  test_flow.c asserts flow_table_bytes_per_flow() <= 256;
 * check it after changing anything here. */
struct flow {
    struct flow_key key;                 /* 44 bytes */
    uint32_t hnext;                      /* hash chain (slot index + 1, 0 = end) */
    uint32_t tprev, tnext;               /* timer list (slot index + 1) */
    int64_t first_ns, last_ns;
    int64_t anchor_ns;                   /* timer anchor: deadline = anchor + class delay */
    uint64_t ip_bytes[2];                /* per key side */
    union {
        struct flow_endp tcp[2];         /* per key side */
        uint64_t bytes[2];               /* UDP/ICMP/other payload bytes per key side */
    } u;
    struct flow_ext *ext;
    uint32_t pkts[2];
    uint32_t hist_seen;
    char hist[FLOW_HIST_INLINE];
    uint8_t hist_len;
    uint8_t orig_side : 1;               /* key side (0 = a, 1 = b) of the originator */
    uint8_t tclass : 3;
    uint8_t in_use : 1;
    uint8_t is_partial : 1;
    uint8_t first_seen : 2;              /* bit0 orig, bit1 resp (Zeek first_packet_seen) */
    uint8_t close_armed : 1;             /* close/reset delete timer set */
    uint8_t attempt_armed : 1;
    uint8_t partial_armed : 1;
    uint8_t established_once : 1;
    uint8_t did_weird : 1;               /* a flow-level weird was raised (Zeek's DidWeird) */
    uint8_t app_off : 1;                 /* the app layer has nothing to do here (flow_app_off) */
    uint8_t uid_salt;                    /* disambiguates uids of flows with equal key and start */
};

struct flow_table {
    struct flow_config cfg;
    char sensor[64];
    flow_emit_fn emit;
    void *emit_ctx;
    struct flow *pool;
    uint32_t n_slots;
    uint32_t free_head;                  /* slot index + 1 */
    uint32_t *buckets;
    uint32_t mask;
    uint64_t seed;
    uint32_t thead[TC_N], ttail[TC_N];
    uint32_t fresh;                      /* slots handed out so far */
    int pend_class;                      /* timer armed by the TCP code for this packet, -1 none */
    int64_t pend_anchor;
    bool snapped;                        /* the packet now accounted was cut by the snap length */
    int64_t now_ns;
    struct flow_counters ctr;
    bool warned_memcap;
    /* Salt for the next flow created on a key that just ended (reuse). */
    uint8_t reuse_salt;
    /* App-layer hooks (src/stream), all NULL when none is attached. */
    struct flow_app_hooks app;
    /* Each slot's uid once computed ("" when not yet): allocated on the
     * first flow_table_packet_refs asking for refs (the archive writer), so
     * that a packet costs no SHA-256; 20 bytes a slot outside the pool's
     * budget, touched only for slots in use. */
    char (*uid_cache)[FLOW_UID_CACHE];
};

/* flow.c */
void flow_hist_add(struct flow *f, char c);
bool flow_hist_check(struct flow *f, uint32_t mask, bool is_orig, char c);
void flow_hist_scaled(struct flow *f, char c, uint32_t *cnt);
struct flow_ext *flow_ext_get(struct flow *f);
void flow_flip(struct flow *f);

/* flow_tcp.c: one TCP segment from key side `side`.  Returns true when
 * the packet starts a new connection (Zeek's IsReuse): the caller ends f
 * and creates a fresh flow for this packet. */
bool flow_tcp_is_reuse(const struct flow *f, int side, const struct pkt_l4 *t);
void flow_tcp_reuse_weird(struct flow_table *tb, struct flow *f, const struct pkt_l4 *t,
                          int64_t now);
void flow_tcp_packet(struct flow_table *tb, struct flow *f, int side, const struct pkt_l4 *t,
                     int64_t now);
void flow_tcp_timer(struct flow_table *tb, struct flow *f, int *tclass, int64_t *anchor);
bool flow_tcp_timer_fire(struct flow *f, int64_t now);
void flow_tcp_want(const struct pkt_l4 *t, bool *flip);
uint64_t flow_tcp_size(const struct flow *f, int side);
const char *flow_tcp_conn_state(const struct flow *f, const char *history);
bool flow_likely_server_port(uint8_t proto, uint16_t port);

/* flow.c: a flow-level anomaly for weird.log (no-op without app hooks). */
void flow_weird(struct flow_table *tb, struct flow *f, const char *name, const char *source);

/* flow_conn.c */
void flow_conn_emit(struct flow_table *tb, struct flow *f);
void flow_uid_make(const char *sensor, int64_t first_ns, const struct flow_key *k, uint8_t salt,
                   char *out, size_t outlen);
void flow_tunnel_uid(const char *sensor, const struct pkt_ip *outer, char *out, size_t outlen);

#endif
