/*
 * engine_int.h - what engine.c (building, state tables, hooks) and
 * engine_eval.c (rule evaluation, alerts) share.  Not an interface.
 */
#ifndef VIGIL_DETECT_ENGINE_INT_H
#define VIGIL_DETECT_ENGINE_INT_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <hs/hs.h>

#include "detect/alert_record.h"
#include "detect/engine.h"

/* Rule groups: packet rules by IP protocol class, transaction rules by
 * application protocol.  Each group has one Vectorscan database per
 * buffer over its rules' fast patterns, and a list of rules without one. */
enum det_grp {
    DG_TCP, DG_UDP, DG_ICMP, DG_OTHER, /* packets */
    DG_HTTP, DG_DNS, DG_TLS, DG_SSH,   /* transactions */
    DG_SMTP, DG_FTP,                   /* transactions (ftp and ftp-data) */
    DG_COUNT
};
#define DG_FIRST_TX DG_HTTP

/* Header indexes over rules without a fast pattern (engine_index.c). */
struct det_pidx {
    uint32_t *off; /* 65537 offsets into ids, by port */
    uint32_t *ids;
};
struct det_aidx {
    unsigned __int128 *bound; /* n_seg segment starts, ascending, the first 0 */
    uint32_t *off;            /* n_seg + 1 offsets into ids, by segment */
    uint32_t *ids;
    uint32_t n_seg;
    /* IPv4: the starts as 32-bit numbers, and by first octet o the
     * segments holding o.0.0.0 (oct[o]) to o.255.255.255 (oct[o + 1]) */
    uint32_t *b4;
    uint32_t *oct; /* 257 entries */
};

#define DET_STAGES 5 /* HTTP rules: enum detect_http_stage (1-4); 0 for every other rule */
/* A TCP packet rule whose candidacy on a packet held by a stream window is
 * not derived from the window's scan (det_stream_derives): its pattern is
 * looked for in the packet's payload directly (ET: 8 rules, 2-4 bytes, most
 * of them NULs). */
struct det_covered {
    const uint8_t *p;
    uint32_t len;
    uint32_t nul; /* index of its first NUL byte, UINT32_MAX none */
    uint32_t id;
    uint8_t nocase;
    uint8_t word;       /* case-sensitive and at most 4 bytes: compared as one word */
    uint32_t val, mask; /* the word: its bytes as a little-endian load sees them */
};
#define DET_COV_MASKED 64

struct det_group {
    /* by stage: an HTTP inspection scans only the databases of the rules
     * evaluated at its stage (a rule is evaluated at its stage only) */
    hs_database_t *db[DET_STAGES][RULE_BUF_COUNT];
    uint8_t dbuf[DET_STAGES][RULE_BUF_COUNT]; /* the buffers that have one, ascending */
    uint8_t n_dbuf[DET_STAGES];
    uint32_t n_fp[RULE_BUF_COUNT];
    uint32_t *always; /* rule indexes evaluated on every inspection */
    uint32_t n_always, cap_always;
    uint32_t n_indexed; /* rules without a fast pattern in one of the indexes */
    struct det_pidx dport, sport;
    struct det_aidx src[2], dst[2]; /* [0] IPv4, [1] IPv6 */
    uint32_t n_rules; /* rules placed in the group */
};

struct det_rule {
    const struct rule *r;
    uint16_t bit_idx[8]; /* flowbit name indexes per r->bits entry (first 8 names) */
    uint8_t tx;          /* evaluated on transactions (has an application buffer) */
    uint8_t to_client;   /* transaction rule inspects response buffers */
    uint8_t pass;        /* action pass: a match stops inspection of the packet and flow */
    uint8_t stage;       /* HTTP rules: the enum detect_http_stage it is evaluated at */
    uint8_t stream;      /* enum det_stream_mode: pkt_data on packets and/or the TCP stream */
    uint8_t file;        /* a file rule: evaluated when a file ends (engine_file.c) */
    uint16_t stail;      /* stream: bytes before a chunk its matches can reach back */
    uint8_t pderive;     /* TCP packet candidate from the stream scan (det_stream_derives) */
    uint16_t pnul;       /* NULs before its stream database pattern in its packet pattern */
    uint32_t splen;      /* length of its pattern in the stream database */
    uint8_t payload;     /* needs the packet's payload (pkt_data keywords, dsize > 0):
                            not evaluated on a flow whose payload is encrypted */
};

/* How a packet rule's pkt_data meets TCP (engine_stream.c, as Suricata):
 * packets only (flow:no_stream, tcp-pkt, packet keywords, not TCP); the
 * stream, packets only when their data did not go into a stream (the
 * default for tcp content rules); the stream only (flow:only_stream,
 * tcp-stream); both (content with offset/depth), one alert a packet. */
enum det_stream_mode { DS_PKT = 0, DS_DEFAULT, DS_ONLY, DS_BOTH };
#define DETECT_STREAM_TAIL_MAX 2048
#define DET_TX_DONE 16 /* rules remembered per flow as having matched their transaction */

/* A stream signature group head (engine_sgh.c): the stream database of
 * the windows of one direction whose server port it holds. */
struct det_sgh {
    hs_database_t *db;
    uint32_t n_pat;
    uint32_t maxlen; /* its longest pattern */
    uint32_t back; /* bytes before the new ones a pattern it reports may start at */
};
#define DET_SGH_MAX 256 /* groups (sgmap holds a uint8_t) */
/* A stream database match: entry id, end offset in its window. */
struct det_smatch {
    uint32_t id, to;
};

/* Per-flow state (engine.c: a table of the live flows by uid). */
struct det_flow {
    char uid[24];
    uint8_t app;  /* RULE_PROTO_* confirmed by a parser, 0 none */
    uint8_t tcp;  /* 0 none, 1 syn, 2 syn-ack, 3 established */
    uint8_t seen; /* bit 0 originator seen, bit 1 responder seen */
    uint8_t passed; /* a pass rule matched: no more inspection */
    uint8_t nopayload; /* encrypted (TLS application data, SSH after NEWKEYS): no
                          payload inspection from now on (detect_app_encrypted) */
    uint8_t rev;    /* the client is the flow's responder (detect_flow_reverse) */
    uint64_t bits[DETECT_FLOWBITS_MAX / 64];
    int64_t first_ts;          /* first packet seen (ns), for flow.age */
    uint64_t pkts[2], bytes[2]; /* packets/bytes to server [0] and to client [1] */
    uint32_t isn[2], nxt[2];   /* TCP: first and next sequence number per direction */
    uint8_t have_isn[2];       /* (stream_size is nxt - isn, as Suricata's) */
    struct det_ints *ints;     /* flowint values (engine_pkt.c), NULL until one is set */
    uint32_t tx_done[DET_TX_DONE]; /* (transaction, rule) keys that alerted (det_app_once) */
    uint8_t tx_next;
    uint8_t ftp_xfer;          /* ftp-data: a RETR or STOR transfer (engine_file.c) */
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
    uint8_t stream_add; /* this packet's payload went into a reassembled stream */
};

/* The stash flow's Community ID, computed the first time an alert needs it. */
const char *det_stash_cid(struct det_stash *st);

struct det_thresh {
    uint64_t key;
    uint32_t count;
    int64_t start;
    uint8_t *ports; /* detection_filter unique_on: 65536-bit set of the ports seen */
    uint8_t used, fired;
    uint32_t next; /* backoff: the count of the next alert */
};
#define DETECT_UNIQUE_MAPS_MAX 1024 /* port sets (8 KiB each) per engine */

/* Fields evaluation writes are per worker: engine_worker.c copies them. */
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
    uint32_t n_port_maps; /* port sets allocated for unique_on */
    detect_emit_fn emit;
    void *emit_ctx;
    struct detect_counters ctr;
    uint32_t *ev; /* rules on decode/stream/app-layer events (not in any group) */
    uint32_t n_ev;
    /* stream inspection (engine_stream.c) */
    uint32_t n_stream;     /* rules inspected on the stream */
    struct det_sgh *sgh;   /* signature group heads: their fast patterns by direction
                              and server port, every occurrence reported */
    uint32_t n_sgh;
    uint64_t sgh_build;    /* unique per build: a flow's remembered matches are its */
    uint8_t *sgmap;        /* [2][65536]: group of a to-server (0) window by its
                              destination port, of a to-client (1) one by its source */
    struct det_group sidx; /* stream rules without a (strong) fast pattern: their
                              always list and header indexes (engine_index.c) */
    uint32_t stail;        /* bytes of the previous chunk kept per direction */
    uint64_t *spkt;        /* per rule: packet number of its last stream alert */
    uint8_t *swin;         /* windows (tail + chunk) waiting for their packet */
    uint32_t swlen, swcap;
    struct det_spend *spend; /* those windows */
    uint32_t n_spend, cap_spend;
    uint64_t *spairs;      /* candidates: rule << 8 | window (0xff: the packet) */
    uint32_t n_spairs, cap_spairs;
    struct det_smatch *smem; /* the queued windows' pattern matches (det_spend.moff) */
    uint32_t n_smem, cap_smem;
    uint8_t pwin;          /* 1 + the window holding the inspected packet's payload, 0 none */
    struct det_covered *covered; /* the packet-pattern rules such a packet is searched for */
    uint32_t n_covered;
    /* the first DET_COV_MASKED of them by the bytes around their first NUL:
     * bit i of cov_prev[b] (cov_next[b]) when pattern i can have b just
     * before (after) that NUL; cov_head (cov_tail): those that can have it
     * first (last) in the payload */
    uint64_t cov_prev[256], cov_next[256], cov_head, cov_tail;
    uint32_t n_cov_nul; /* of them with a NUL byte (the others are searched for whole) */
    /* file rules (engine_file.c), in no group */
    uint32_t *files;
    uint32_t n_files;
    uint8_t file_data;  /* some inspect file.data */
    uint8_t file_magic; /* some inspect file.magic */
    uint8_t file_hashes; /* some have filemd5/filesha1/filesha256 */
};

/* A further instance of a multi-buffer (tls.certs, dns.query, ...). */
struct det_more {
    const uint8_t *p;
    uint32_t len;
    uint8_t buf; /* enum rule_buffer */
};

struct proto_insp;

/* One inspection: the buffers present and where it happened.  buf[b] and
 * len[b] hold a value only where have[b] is set: det_insp_clear leaves
 * them as they were (the arrays are most of the struct, zeroed for every
 * packet and stream window before). */
struct det_insp {
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
    uint8_t ev_kind;      /* an event inspection: enum rule_ev_kind, 0 otherwise */
    const char *ev_name;  /* the weird / anomaly name of a stream or app event */
    int64_t ev_ts;        /* time of a stream or app event (ns) */
    uint8_t stage;                /* HTTP inspections: enum detect_http_stage, else 0 */
    const struct det_http *http;  /* HTTP inspections: the captures (engine_http.c) */
    int64_t ts;     /* stream inspections: the chunk's time */
    uint8_t stream; /* a reassembled-stream inspection (pkt_data is the window) */
    uint8_t nopayload; /* a packet of an encrypted flow: its payload is not inspected */
    const struct det_more *more; /* further multi-buffer instances */
    uint32_t n_more;
    const struct proto_insp *pi; /* inspection-point inspections (engine_app.c) */
    const struct detect_file *file; /* file inspections (engine_file.c) */
    const uint8_t *buf[RULE_BUF_COUNT]; /* last: see above */
    uint32_t len[RULE_BUF_COUNT];
};

/* Every field 0 but buf[] and len[] (no buffer present). */
static inline void det_insp_clear(struct det_insp *in)
{
    memset(in, 0, offsetof(struct det_insp, buf));
}

/* v[0..n) ascending, for the rule-id candidate lists (u32) and the
 * stream (rule, window) pairs (u64): most hold a few entries, where
 * qsort's calls through a comparator cost more than an insertion sort. */
#define DET_SORT(name, T)                                                                   \
    static inline int name##_cmp(const void *a, const void *b)                              \
    {                                                                                       \
        T x = *(const T *)a, y = *(const T *)b;                                             \
        return x < y ? -1 : x > y;                                                          \
    }                                                                                       \
    static inline void name(T *v, uint32_t n)                                               \
    {                                                                                       \
        if (n > 32) {                                                                       \
            qsort(v, n, sizeof(*v), name##_cmp);                                            \
            return;                                                                         \
        }                                                                                   \
        for (uint32_t i = 1; i < n; i++) {                                                  \
            T x = v[i];                                                                     \
            uint32_t j = i;                                                                 \
            for (; j > 0 && v[j - 1] > x; j--)                                              \
                v[j] = v[j - 1];                                                            \
            v[j] = x;                                                                       \
        }                                                                                   \
    }
DET_SORT(det_sort_u32, uint32_t)
DET_SORT(det_sort_u64, uint64_t)

/* ASCII lowercase (nocase patterns; no locale). */
static inline uint8_t det_lower(uint8_t c)
{
    return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

struct det_http;

/* engine.c */
/* RULE_PROTO_* of a parser name ("http", "ssl", "dns", ...), 0 for others. */
uint8_t det_app_of(const char *name);
/* The calling thread's per-flow table (engine_worker.c's workers too). */
int det_state_init(void);
void det_thread_state_free(void);
/* A transaction inspection of conn for app, in the request (to_server) or
 * response direction, with the current packet's stash when it is conn's. */
void det_tx_insp_init(struct det_insp *in, const struct proto_conn *conn, uint8_t app,
                      int to_server);
struct det_flow *det_flow_find(const char *uid, int create);
/* Free the state of the flows detect_flow_end named (detect_packet_flow
 * does it before a packet's inspection). */
void det_flows_gone(void);
int det_bit_index(const char *name, size_t len, int create);

struct det_stash *det_stash_get(void);
struct detect_engine *det_current(void);
/* Start a transaction inspection of conn for app: NULL when no engine. */
struct detect_engine *det_tx_begin(struct det_insp *in, const struct proto_conn *conn,
                                   uint8_t app);
/* Set the inspection's direction and addresses. */
void det_tx_dir(struct det_insp *in, const struct proto_conn *conn, int to_server);

/* engine_app.c */
void det_app_buffers(struct det_insp *in, const struct proto_insp *pi, struct det_more *more);
int det_app_ok(const struct rule *r, const struct det_insp *in);
int det_app_once(struct det_flow *fs, const struct rule *r, uint64_t tx, int to_server);

/* engine_index.c: move the packet group's always-evaluate rules whose
 * header allows it into the port/address indexes; call fn for every rule
 * the indexes select for in (a superset of those whose header matches). */
typedef void (*det_index_fn)(uint32_t id, void *ctx);
int det_index_build(struct detect_engine *e, enum det_grp g);
/* The same over grp's always list (ports: TCP/UDP rules, port indexes too). */
int det_index_group(struct detect_engine *e, struct det_group *grp, int ports);
/* Does r go to a port index of packet group g (when it has no fast pattern)? */
int det_index_by_port(const struct rule *r, enum det_grp g);
void det_index_free(struct det_group *grp);
void det_index_each(const struct det_group *grp, const struct det_insp *in, det_index_fn fn,
                    void *ctx);
/* engine_http.c */
uint8_t det_http_stage_of(const struct rule *r);
int det_http_te_invalid(const struct det_http *x); /* app-layer-event http.invalid_transfer_... */
void det_http_thread_free(void); /* the calling thread's buffers */
int det_http_is_multi(unsigned buf);
int det_http_match_multi(struct detect_engine *e, const struct rule_buflist *bl,
                         const struct det_insp *in);
void det_http_alert_fields(struct alert_record *a, const struct det_insp *in);

/* engine_eval.c */
void det_inspect(struct detect_engine *e, enum det_grp g, struct det_insp *in);
/* Evaluate the rules ids[0..n) (no prefilter), pass rules first. */
void det_inspect_list(struct detect_engine *e, const uint32_t *ids, uint32_t n,
                      struct det_insp *in);

/* engine_pkt.c: the rule_px conditions, flowints and the event hooks. */
int det_px_ok(const struct rule *r, const struct det_insp *in);
int det_flowint_ok(const struct rule *r, const struct det_flow *fs);
void det_flowint_apply(const struct rule *r, struct det_flow *fs);
int det_flowint_setup(const struct rule *r);   /* registers the names; -1 when full */
void det_flow_release(struct det_flow *fs);    /* frees what a slot owns */
void det_flowint_names_free(void);
void det_flow_count(struct det_flow *fs, const struct packet *pkt, int to_server);
/* stream_size on the flow's TCP sequence space (0 without a flow). */
int det_stream_size_ok(const struct rule *r, const struct det_flow *fs);
/* engine_xbits.c: xbits (track ip_src / ip_dst / ip_pair). */
int det_xbit_cond(const struct rule_bit *b, const struct det_insp *in);
void det_xbit_apply(const struct rule_bit *b, const struct det_insp *in);
void det_xbits_free(void);

/* Decode events of the packet in (no-op without anomalies or event rules). */
void det_packet_events(struct detect_engine *e, struct det_insp *in);

int det_rule_fast_pattern(const struct rule *r, uint8_t *buf, const uint8_t **p, uint32_t *len,
                          int *nocase);
/* engine_eval.c: one rule on one inspection; the rule alone, no side effects */
int det_eval_one(struct detect_engine *e, enum det_grp g, const struct det_rule *dr,
                 const struct det_insp *in0);
int det_rule_matches(struct detect_engine *e, const struct rule *r, const struct det_insp *in);

/* engine_file.c */
int det_file_rule(const struct rule *r);
int det_file_buffer(const struct rule *r, unsigned b);
int det_file_ok(const struct rule *r, const struct det_insp *in);
/* The stash's packet: files held for an ACK (detect_packet). */
void det_file_packet(const struct det_stash *st);
/* Inspect every held file (engine uninstalled) and close libmagic. */
void det_file_flush(void);
void det_file_magic_free(void);
/* engine_worker.c: thresholds and xbits under one lock while workers run. */
extern int det_threaded;
void det_shared_lock(void);
void det_shared_unlock(void);

/* engine_stream.c */
uint8_t det_stream_mode(const struct det_rule *dr);
int det_stream_build(struct detect_engine *e, char *err, size_t errlen);
void det_stream_engine_free(struct detect_engine *e);
int det_stream_pending(const struct detect_engine *e);
/* Is dr's candidacy on a TCP packet derived from the stream scan of the
 * window that holds the packet's payload (a both-mode rule, by its stream
 * pattern; a packet-only rule, by an entry of its own)? */
int det_stream_derives(const struct det_rule *dr);
/* Does a queued window hold in's payload as its new bytes?  Then (1) the
 * packet is not scanned with DG_TCP's database: its payload is searched for
 * the e->covered patterns and the window's scan adds the derived
 * candidates (det_stream_run). */
int det_stream_cover(struct detect_engine *e, const struct det_insp *in);
/* Evaluate the queued windows and the packet's candidates pids (sorted;
 * pin NULL: windows only) together in rule order; empties the queue. */
void det_stream_run(struct detect_engine *e, enum det_grp g, const struct det_insp *pin,
                    const uint32_t *pids, uint32_t n_pids);
void det_stream_flush_pending(struct detect_engine *e);
/* An id bit of the stream databases: a packet-only rule's entry. */
#define DET_SDB_PKT (1u << 31)

/* engine_sgh.c: the stream databases by direction and server port over
 * the entries (pattern, length, flags, id) det_stream_build collected. */
int det_sgh_build(struct detect_engine *e, const char **pat, const size_t *len,
                  const unsigned *flags, const unsigned *ids, uint32_t n, char *err,
                  size_t errlen);
void det_sgh_free(struct detect_engine *e);
/* The group of a window (or packet) of that direction and ports; NULL when
 * there are no stream patterns. */
const struct det_sgh *det_sgh_of(const struct detect_engine *e, int to_server, uint16_t sport,
                                 uint16_t dport);

#endif
