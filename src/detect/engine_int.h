/*
 * engine_int.h - what engine.c (building, state tables, hooks) and
 * engine_eval.c (rule evaluation, alerts) share.  Not an interface.
 */
#ifndef VIGIL_DETECT_ENGINE_INT_H
#define VIGIL_DETECT_ENGINE_INT_H

#include <hs/hs.h>

#include "detect/alert_record.h"
#include "detect/engine.h"

/* Rule groups: packet rules by IP protocol class, transaction rules by
 * application protocol.  Each group has one Vectorscan database per
 * buffer over its rules' fast patterns, and a list of rules without one. */
enum det_grp {
    DG_TCP, DG_UDP, DG_ICMP, DG_OTHER, /* packets */
    DG_HTTP, DG_DNS, DG_TLS, DG_SSH,   /* transactions */
    DG_COUNT
};
#define DG_FIRST_TX DG_HTTP

struct det_group {
    hs_database_t *db[RULE_BUF_COUNT];
    uint32_t n_fp[RULE_BUF_COUNT];
    uint32_t *always; /* rule indexes evaluated on every inspection */
    uint32_t n_always, cap_always;
};

struct det_rule {
    const struct rule *r;
    uint16_t bit_idx[8]; /* flowbit name indexes per r->bits entry (first 8 names) */
    uint8_t tx;          /* evaluated on transactions (has an application buffer) */
    uint8_t to_client;   /* transaction rule inspects response buffers */
    uint8_t pass;        /* action pass: a match stops inspection of the packet and flow */
};

/* Per-flow state (direct-mapped by uid; a collision replaces the older flow). */
struct det_flow {
    char uid[24];
    uint8_t app;  /* RULE_PROTO_* confirmed by a parser, 0 none */
    uint8_t tcp;  /* 0 none, 1 syn, 2 syn-ack, 3 established */
    uint8_t seen; /* bit 0 originator seen, bit 1 responder seen */
    uint8_t passed; /* a pass rule matched: no more inspection */
    uint64_t bits[DETECT_FLOWBITS_MAX / 64];
};

/* The current packet's flow, from detect_packet_flow. */
struct det_stash {
    const struct packet *pkt;
    uint64_t num;
    int64_t ts;
    struct det_flow *fs;
    int to_server;
    char uid[24];
    char cid[64]; /* filled on first use by det_stash_cid(): alerts only */
    struct raddr orig_h, resp_h;
    uint16_t orig_p, resp_p;
    const struct flow_table *t; /* the packet's flow, valid while it is inspected */
    const struct flow *f;
};

/* The stash flow's Community ID, computed the first time an alert needs it. */
const char *det_stash_cid(struct det_stash *st);

struct det_thresh {
    uint64_t key;
    uint32_t count;
    int64_t start;
    uint8_t used, fired;
};

struct detect_engine {
    const struct ruleset *rs;
    struct det_rule *rules;
    uint32_t n_rules;
    struct det_group g[DG_COUNT];
    hs_scratch_t *scratch;
    uint32_t *mark; /* per rule: generation of the last candidate marking */
    uint32_t gen;
    uint32_t *cand;
    uint32_t n_cand;
    struct detect_match m;
    struct det_thresh *thresh;
    uint64_t thresh_key[2];
    detect_emit_fn emit;
    void *emit_ctx;
    struct detect_counters ctr;
};

/* One inspection: the buffers present and where it happened. */
struct det_insp {
    const uint8_t *buf[RULE_BUF_COUNT];
    uint32_t len[RULE_BUF_COUNT];
    uint8_t have[RULE_BUF_COUNT];
    const struct packet *pkt; /* packet inspections */
    const struct pkt_ip *ip;
    uint8_t ip_proto;
    int to_server;            /* direction of the packet / transaction */
    struct raddr src, dst;
    uint16_t sport, dport;
    struct det_flow *fs;
    struct det_stash *st; /* not const: det_stash_cid() fills its cache */
    const struct record_hdr *rec; /* transaction inspections */
    const struct proto_conn *conn;
    uint8_t app;
};

/* engine.c */
extern struct det_flow *detect_flows;
struct det_flow *det_flow_find(const char *uid, int create);
int det_bit_index(const char *name, size_t len, int create);

/* engine_eval.c */
void det_inspect(struct detect_engine *e, enum det_grp g, struct det_insp *in);

#endif
