/*
 * applayer.c - the application layer: per-flow reassembly, protocol
 * detection (Zeek's DPD) and proto.h's struct proto_ctx functions.
 *
 * Owns: struct applayer (the flow table hooks, the shared reassembly
 * memory, the expectation list, the weird filter) and one struct proto_ctx
 * per flow that carried payload (kept in flow->ext->app, freed by the
 * flow table's release hook).  Follows proto.h's contract; detection and
 * service follow Zeek 8 (base/frameworks/analyzer/dpd, conn.log's service
 * as the confirmed analyzers in confirmation order).  docs/stream.md.
 *
 *                 ┌─── port-matched parsers, then every probe (per direction,
 *                 │    first bytes buffered up to detect_max) ───┐
 *   DETECT ──YES──► PARSE ──PROTO_DONE──► DONE (state kept, no more bytes)
 *     ▲  │          │  │
 *     │  │ NO all / │  └─PROTO_ERROR, unconfirmed, bytes still buffered:
 *     │  │ cap hit  │      reject, replay the buffer into DETECT ─┐
 *     │  ▼          │                                              │
 *     │ NONE ◄──────┴─PROTO_ERROR after confirmation / gap with no gap()
 *     └──────── proto_switch(NULL) (HTTP CONNECT) ◄────────────────┘
 *
 * Directions: reassembly runs per key side of the flow; a parser sees
 * PROTO_ORIG/PROTO_RESP from the flow's originator as it is now, or from
 * its responder when the session was picked up midstream and reversed
 * (cfg.midstream_reverse: the responder's first bytes are a client's
 * request; app_midstream_dir).  conn.log, weird.log and the log rows' id
 * fields keep the flow's roles; proto_conn() and the signature engine get
 * the client's view.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"
#include "detect/engine.h"
#include "stream/stream.h"

#define NS 1000000000LL
#define APP_MAX_SVC 4
#define APP_MAX_RETIRED 3
#define APP_DLOG_MAX 64
#define APP_DLOG_MIN 4
#define APP_DBUF_MIN 64
#define APP_MAX_EXPECT 256

enum app_mode { AM_DETECT = 0, AM_PARSE, AM_DONE, AM_NONE };

struct app_chunk {
    uint8_t side;
    uint32_t len;
    int64_t ts;
};

struct proto_ctx {
    struct applayer *al;
    struct flow_app_info info;
    struct proto_conn conn;
    struct stream_dir sd[2];            /* by key side */
    const struct proto_parser *parser;  /* active parser */
    void *pstate;
    const struct proto_parser *calling; /* parser whose callback runs now */
    struct {
        const struct proto_parser *p;
        void *st;
    } retired[APP_MAX_RETIRED];
    uint8_t n_retired;
    uint8_t mode;
    uint8_t confirmed : 1;              /* the active parser confirmed */
    uint8_t dbuf_over : 1;              /* detection buffer overflowed: no fallback */
    uint8_t ended : 1;
    uint8_t midstream : 1;              /* TCP with no SYN seen when the first byte came */
    uint8_t dir_checked : 1;            /* the first byte came: the client is settled */
    uint8_t rev : 1;                    /* the client is the flow's responder */
    uint8_t n_svc;
    uint8_t n_dgrams;
    char svc[APP_MAX_SVC][16];          /* confirmed services in order */
    uint64_t rej[2];                    /* candidates rejected per key side (bit = table index) */
    /* Detection buffers, allocated on the first payload byte and grown by
     * doubling (from APP_DBUF_MIN up to detect_max) only while detection or
     * an unconfirmed parser may still need to replay them; freed as soon
     * as nothing will. */
    uint8_t *dbuf[2];                   /* first bytes per key side, for probes and fallback */
    uint32_t dlen[2], dcap[2];
    struct app_chunk *dlog;             /* arrival order of the buffered chunks */
    uint16_t n_dlog, cap_dlog;
    const struct proto_parser *switch_to;
    uint8_t switch_pending : 1;
    void *det;                          /* detect's stream-inspection state, or NULL */
    uint8_t det_off;                    /* payload encrypted: the stream is not inspected */
};

struct app_expect {
    bool any_orig;
    struct raddr orig, resp;
    uint16_t resp_p;
    char name[16];
    int64_t deadline;
};

struct applayer {
    struct stream_config cfg;
    const struct proto_parser *const *parsers;
    int n_parsers;
    applayer_emit_fn emit;
    void *emit_ctx;
    struct stream_mem mem;
    struct weird_filter *wf;
    struct app_expect expect[APP_MAX_EXPECT];
    int n_expect;
    struct applayer_counters ctr;
    int64_t now;
    char sensor[64];
    char svcbuf[APP_MAX_SVC * 16];      /* conn.log service of the record being built */
};

static void app_data(struct proto_ctx *c, int side, const uint8_t *data, size_t len, int64_t ts);
static void app_detect(struct proto_ctx *c, int64_t ts);
static void app_reject(struct proto_ctx *c, int i);

void stream_config_default(struct stream_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->memcap = (size_t)64 << 20;
    cfg->detect_max = 4096;
    cfg->detect_max_dgrams = 4;
    cfg->weird_log = true;
    cfg->sensor = "vigil";
}

/* ---- weird.log ------------------------------------------------------------ */

static void addr_text(const struct raddr *a, char *buf, size_t len)
{
    if (!inet_ntop(a->family == 6 ? AF_INET6 : AF_INET, a->a, buf, (socklen_t)len))
        snprintf(buf, len, "?");
}

static struct rstr rs(const char *s)
{
    struct rstr r = {s, s ? strlen(s) : 0};
    return r;
}

static void weird_write(struct applayer *al, struct weird_record *r, const char *name,
                        const char *addl, const char *source, int64_t ts)
{
    r->ts = ts;
    record_set_unset(&r->hdr, WEIRD_TS, false);
    r->name = rs(name);
    record_set_unset(&r->hdr, WEIRD_NAME, false);
    if (addl && *addl) {
        r->addl = rs(addl);
        record_set_unset(&r->hdr, WEIRD_ADDL, false);
    }
    if (source && *source) {
        r->source = rs(source);
        record_set_unset(&r->hdr, WEIRD_SOURCE, false);
    }
    r->notice = weird_is_notice(name);
    r->peer = rs(al->sensor);
    record_set_unset(&r->hdr, WEIRD_PEER, false);
    al->ctr.weirds_logged++;
    if (al->emit)
        al->emit(al->emit_ctx, &r->hdr);
}

/* A weird of one connection (Zeek's conn_weird). */
static void weird_conn(struct applayer *al, const struct flow_app_info *in, const char *name,
                       const char *addl, const char *source, int64_t ts)
{
    al->ctr.weirds++;
    if (!al->cfg.weird_log)
        return;
    char a[64], b[64], ident[160];
    addr_text(&in->orig_h, a, sizeof(a));
    addr_text(&in->resp_h, b, sizeof(b));
    snprintf(ident, sizeof(ident), "%s:%u > %s:%u", a, in->orig_p, b, in->resp_p);
    if (!weird_filter_pass(al->wf, name, ident, &in->orig_h, ts))
        return;
    struct weird_record r;
    weird_record_init(&r);
    r.uid = rs(in->uid);
    r.orig_h = in->orig_h;
    r.resp_h = in->resp_h;
    r.orig_p = in->orig_p;
    r.resp_p = in->resp_p;
    for (int f = WEIRD_UID; f <= WEIRD_RESP_P; f++)
        record_set_unset(&r.hdr, (size_t)f, false);
    weird_write(al, &r, name, addl, source, ts);
}

/* Decoder anomalies Zeek raises as flow_weird (src -> dst, ports 0). */
static bool anomaly_is_flow(int a)
{
    switch (a) {
    case DECODE_ANOM_FRAG_OVERLAP:
    case DECODE_ANOM_FRAG_INCONSISTENT_OVERLAP:
    case DECODE_ANOM_FRAG_TOO_BIG:
    case DECODE_ANOM_FRAG_TOO_SMALL:
    case DECODE_ANOM_FRAG_SIZE_INCONSISTENT:
    case DECODE_ANOM_FRAG_PROTO_INCONSISTENT:
    case DECODE_ANOM_FRAG_WITH_DF:
    case DECODE_ANOM_INCOMPLETE_FRAGMENT:
    case DECODE_ANOM_ROUTING0_HDR:
    case DECODE_ANOM_ODD_ROUTING0_LEN:
    case DECODE_ANOM_FRAG_TIMEOUT:
    case DECODE_ANOM_FRAG_MEMCAP:
        return true;
    default:
        return false;
    }
}

/* Decoder anomalies Zeek raises on the connection (conn_weird). */
static const char *anomaly_conn_source(int a)
{
    switch (a) {
    case DECODE_ANOM_UDP_LEN_MISMATCH: return "UDP";
    case DECODE_ANOM_BAD_TCP_HDR_LEN:
    case DECODE_ANOM_TCP_OPTION_LEN:
    case DECODE_ANOM_BAD_TCP_CHECKSUM: return "TCP";
    case DECODE_ANOM_BAD_UDP_CHECKSUM: return "UDP";
    default: return NULL;
    }
}

/* The analyzer Zeek names as the source of a net_weird. */
static const char *anomaly_net_source(int a)
{
    switch (a) {
    case DECODE_ANOM_TRUNCATED_IP:
    case DECODE_ANOM_TRUNCATED_IPV6:
    case DECODE_ANOM_IP_HDR_LEN_TOO_SMALL:
    case DECODE_ANOM_IP_LEN_TOO_SMALL:
    case DECODE_ANOM_IP_HDR_LEN_ZERO:
    case DECODE_ANOM_TRUNCATED_IP_LEN:
    case DECODE_ANOM_BAD_IP_CHECKSUM:
    case DECODE_ANOM_INTERNALLY_TRUNCATED: return "IP";
    case DECODE_ANOM_TRUNCATED_VLAN: return "VLAN";
    case DECODE_ANOM_TRUNCATED_PPPOE: return "PPPOE";
    case DECODE_ANOM_TRUNCATED_ETHERNET: return "Ethernet";
    case DECODE_ANOM_TRUNCATED_ARP: return "ARP";
    case DECODE_ANOM_TRUNCATED_GRE:
    case DECODE_ANOM_UNKNOWN_GRE_VERSION:
    case DECODE_ANOM_UNKNOWN_GRE_FLAGS:
    case DECODE_ANOM_GRE_ROUTING:
    case DECODE_ANOM_EGRE_PROTOCOL_TYPE: return "GRE";
    default: return NULL;
    }
}

void applayer_packet_anomalies(struct applayer *al, const struct packet *pkt)
{
    if (!pkt->n_anomalies)
        return;
    int64_t ts = pkt->ts_sec * NS + pkt->ts_nsec;
    const struct pkt_ip *ip = packet_inner_const(pkt);
    for (int i = 0; i < pkt->n_anomalies; i++) {
        int a = pkt->anomalies[i];
        if (anomaly_conn_source(a))
            continue; /* raised with the connection, in the packet hook */
        const char *name = decode_anomaly_name(a);
        al->ctr.weirds++;
        if (!al->cfg.weird_log)
            continue;
        struct weird_record r;
        weird_record_init(&r);
        if (anomaly_is_flow(a) && ip) {
            r.orig_h.family = r.resp_h.family = ip->version == 6 ? 6 : 4;
            memcpy(r.orig_h.a, ip->src, 16);
            memcpy(r.resp_h.a, ip->dst, 16);
            char s[64], d[64], ident[140];
            addr_text(&r.orig_h, s, sizeof(s));
            addr_text(&r.resp_h, d, sizeof(d));
            snprintf(ident, sizeof(ident), "%s -> %s", s, d);
            if (!weird_filter_pass(al->wf, name, ident, &r.orig_h, ts))
                continue;
            for (int f = WEIRD_ORIG_H; f <= WEIRD_RESP_P; f++)
                record_set_unset(&r.hdr, (size_t)f, false);
            weird_write(al, &r, name, NULL, NULL, ts);
        } else {
            if (!weird_filter_pass(al->wf, name, "", NULL, ts))
                continue;
            weird_write(al, &r, name, NULL, anomaly_net_source(a), ts);
        }
    }
}

/* ---- per-flow state ------------------------------------------------------------- */

/* The key side the app layer takes as the client. */
static int app_client_side(const struct proto_ctx *c)
{
    return c->info.orig_side ^ c->rev;
}

static int app_pdir(const struct proto_ctx *c, int side)
{
    return side == app_client_side(c) ? PROTO_ORIG : PROTO_RESP;
}

/* proto_conn(): the flow's identity from the client's side. */
static void app_conn_fill(struct proto_ctx *c)
{
    const struct flow_app_info *in = &c->info;
    c->conn.uid = in->uid;
    c->conn.community_id = in->community_id;
    c->conn.orig_h = c->rev ? in->resp_h : in->orig_h;
    c->conn.resp_h = c->rev ? in->orig_h : in->resp_h;
    c->conn.orig_p = c->rev ? in->resp_p : in->orig_p;
    c->conn.resp_p = c->rev ? in->orig_p : in->resp_p;
    c->conn.ip_proto = in->proto;
    c->conn.reversed = c->rev;
    c->conn.start_ts = in->first_ns;
}

/* The flow's identity for its parsers: without the Community ID when no
 * record is written (it is only ever a log field). */
static void app_info(const struct applayer *al, struct flow_table *t, struct flow *f,
                     struct flow_app_info *out)
{
    if (al->cfg.no_records)
        flow_app_ids(t, f, out);
    else
        flow_app_info(t, f, out);
}

static struct proto_ctx *app_new(struct applayer *al, struct flow_table *t, struct flow *f)
{
    void **slot = flow_app_slot(f);
    if (!slot)
        return NULL;
    struct proto_ctx *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->al = al;
    app_info(al, t, f, &c->info);
    app_conn_fill(c);
    *slot = c;
    al->ctr.flows++;
    return c;
}

static void app_dbuf_free(struct proto_ctx *c)
{
    for (int i = 0; i < 2; i++) {
        free(c->dbuf[i]);
        c->dbuf[i] = NULL;
        c->dlen[i] = c->dcap[i] = 0;
    }
    free(c->dlog);
    c->dlog = NULL;
    c->n_dlog = c->cap_dlog = 0;
}

/* No more bytes wanted.  Only flags: this may run inside a delivery
 * callback; the held bytes are freed on the next segment (app_tcp). */
/* Does the signature engine still inspect c's reassembled stream?  (Not
 * once its payload turned encrypted: proto_encrypted.) */
static bool app_det_stream(const struct proto_ctx *c)
{
    return !c->det_off && detect_stream_wanted();
}

static void app_skip_streams(struct proto_ctx *c)
{
    if (!c->ended && app_det_stream(c))
        return; /* the signature engine still inspects the reassembled stream */
    c->sd[0].skip = 1;
    c->sd[1].skip = 1;
}

static void app_give_up(struct proto_ctx *c)
{
    c->mode = AM_NONE;
    c->parser = NULL;
    c->pstate = NULL;
    app_dbuf_free(c);
    app_skip_streams(c);
}

static void app_add_service(struct proto_ctx *c, const char *name)
{
    for (int i = 0; i < c->n_svc; i++)
        if (strcmp(c->svc[i], name) == 0)
            return;
    if (c->n_svc < APP_MAX_SVC)
        snprintf(c->svc[c->n_svc++], sizeof(c->svc[0]), "%s", name);
}

/* Room for need bytes on one side and one more chunk in the log. */
static bool app_dbuf_grow(struct proto_ctx *c, int side, uint32_t need, uint32_t cap)
{
    if (need > c->dcap[side]) {
        uint32_t n = c->dcap[side] ? c->dcap[side] : APP_DBUF_MIN;
        while (n < need)
            n *= 2;
        if (n > cap)
            n = cap;
        uint8_t *b = realloc(c->dbuf[side], n);
        if (!b)
            return false;
        c->dbuf[side] = b;
        c->dcap[side] = n;
    }
    if (c->n_dlog == c->cap_dlog) {
        uint16_t n = c->cap_dlog ? (uint16_t)(c->cap_dlog * 2) : APP_DLOG_MIN;
        if (n > APP_DLOG_MAX)
            n = APP_DLOG_MAX;
        struct app_chunk *l = realloc(c->dlog, n * sizeof(*l));
        if (!l)
            return false;
        c->dlog = l;
        c->cap_dlog = n;
    }
    return true;
}

/* Append a chunk to the detection buffer; false when it does not fit. */
static bool app_dbuf_add(struct proto_ctx *c, int side, const uint8_t *data, size_t len, int64_t ts)
{
    uint32_t cap = c->al->cfg.detect_max;
    if (c->dbuf_over || c->n_dlog >= APP_DLOG_MAX || len > cap - c->dlen[side] ||
        !app_dbuf_grow(c, side, c->dlen[side] + (uint32_t)len, cap)) {
        c->dbuf_over = 1;
        return false;
    }
    memcpy(c->dbuf[side] + c->dlen[side], data, len);
    c->dlen[side] += (uint32_t)len;
    c->dlog[c->n_dlog].side = (uint8_t)side;
    c->dlog[c->n_dlog].len = (uint32_t)len;
    c->dlog[c->n_dlog].ts = ts;
    c->n_dlog++;
    return true;
}

/* ---- parsers: start, results, switch, retire ---------------------------------------- */

static int app_parser_index(const struct applayer *al, const struct proto_parser *p)
{
    for (int i = 0; i < al->n_parsers; i++)
        if (al->parsers[i] == p)
            return i;
    return -1;
}

static const struct proto_parser *app_parser_find(const struct applayer *al, const char *name,
                                                  uint8_t ip_proto)
{
    for (int i = 0; i < al->n_parsers; i++)
        if (al->parsers[i]->ip_proto == ip_proto && strcmp(al->parsers[i]->name, name) == 0)
            return al->parsers[i];
    return NULL;
}

static void app_free_parser(struct proto_ctx *c, const struct proto_parser *p, void *st)
{
    const struct proto_parser *saved = c->calling;
    c->calling = p;
    if (p->state_free)
        p->state_free(st, c);
    c->calling = saved;
}

static void app_retire(struct proto_ctx *c)
{
    if (!c->parser)
        return;
    if (c->n_retired < APP_MAX_RETIRED) {
        c->retired[c->n_retired].p = c->parser;
        c->retired[c->n_retired].st = c->pstate;
        c->n_retired++;
    } else {
        app_free_parser(c, c->parser, c->pstate);
    }
    c->parser = NULL;
    c->pstate = NULL;
}

static bool app_start(struct proto_ctx *c, const struct proto_parser *p)
{
    c->calling = p;
    void *st = p->state_new ? p->state_new(c) : NULL;
    if (p->state_new && !st)
        return false;
    c->parser = p;
    c->pstate = st;
    c->mode = AM_PARSE;
    c->confirmed = 0;
    c->al->ctr.detected++;
    return true;
}

/* Replay the buffered chunks, in arrival order, through app_data (the
 * buffers are detached first so a fallback inside replays again). */
static void app_replay(struct proto_ctx *c)
{
    uint8_t *buf[2] = {c->dbuf[0], c->dbuf[1]};
    struct app_chunk *log = c->dlog;
    uint16_t n = c->n_dlog;
    c->dbuf[0] = c->dbuf[1] = NULL;
    c->dlen[0] = c->dlen[1] = c->dcap[0] = c->dcap[1] = 0;
    c->dlog = NULL;
    c->n_dlog = c->cap_dlog = 0;
    uint32_t off[2] = {0, 0};
    for (uint16_t i = 0; i < n; i++) {
        int s = log[i].side;
        app_data(c, s, buf[s] + off[s], log[i].len, log[i].ts);
        off[s] += log[i].len;
    }
    free(buf[0]);
    free(buf[1]);
    free(log);
}

static void app_apply_switch(struct proto_ctx *c, int64_t ts)
{
    if (!c->switch_pending)
        return;
    const struct proto_parser *to = c->switch_to;
    c->switch_pending = 0;
    c->switch_to = NULL;
    app_retire(c);
    app_dbuf_free(c);
    c->dbuf_over = 0;
    c->rej[0] = c->rej[1] = 0;
    c->n_dgrams = 0;
    if (to) {
        if (!app_start(c, to))
            app_give_up(c);
    } else {
        c->mode = AM_DETECT;
        (void)ts;
    }
}

/* A parser's result: go on, stop feeding, or fall back. */
static void app_result(struct proto_ctx *c, enum proto_result r, int64_t ts)
{
    if (c->switch_pending) {
        app_apply_switch(c, ts);
        return;
    }
    if (r == PROTO_DONE) {
        c->mode = AM_DONE;
        app_dbuf_free(c);
        app_skip_streams(c);
        return;
    }
    if (r != PROTO_ERROR)
        return;
    c->al->ctr.violations++;
    const struct proto_parser *p = c->parser;
    void *st = c->pstate;
    c->parser = NULL;
    c->pstate = NULL;
    app_free_parser(c, p, st);
    if (c->info.proto == 17 && !c->confirmed) {
        app_reject(c, app_parser_index(c->al, p)); /* app_udp tries the next one */
        c->mode = AM_DETECT;
        return;
    }
    if (c->confirmed || c->dbuf_over || c->n_dlog == 0) {
        app_give_up(c);
        return;
    }
    app_reject(c, app_parser_index(c->al, p));
    c->mode = AM_DETECT;
    app_detect(c, ts);
    if (c->mode == AM_PARSE)
        app_replay(c);
}

static void app_feed(struct proto_ctx *c, int side, const uint8_t *data, size_t len, int64_t ts)
{
    const struct proto_parser *p = c->parser;
    c->calling = p;
    enum proto_result r = p->parse(c->pstate, c, (enum proto_dir)app_pdir(c, side), data, len, ts);
    app_result(c, r, ts);
}

/* ---- detection --------------------------------------------------------------------- */

static bool app_port_match(const struct proto_parser *p, uint16_t port)
{
    for (const uint16_t *q = p->ports; q && *q; q++)
        if (*q == port)
            return true;
    return false;
}

/* Ask one candidate about the first bytes of each side (buf/len). */
static enum proto_probe app_probe_one(struct proto_ctx *c, int i, bool port_match,
                                      const uint8_t *const buf[2], const uint32_t len[2])
{
    const struct proto_parser *p = c->al->parsers[i];
    if (!p->probe)
        return port_match ? PROTO_PROBE_YES : PROTO_PROBE_NO;
    enum proto_probe res = PROTO_PROBE_NO;
    for (int s = 0; s < 2; s++) {
        if (len[s] == 0 || (c->rej[s] >> i & 1))
            continue;
        enum proto_probe r = p->probe(buf[s], len[s], (enum proto_dir)app_pdir(c, s),
                                      c->conn.orig_p, c->conn.resp_p);
        if (r == PROTO_PROBE_YES)
            return r;
        if (r == PROTO_PROBE_MAYBE)
            res = r;
        else
            c->rej[s] |= 1ULL << i;
    }
    return res;
}

static bool app_rejected(const struct proto_ctx *c, int i)
{
    return (c->rej[0] & c->rej[1]) >> i & 1;
}

static void app_reject(struct proto_ctx *c, int i)
{
    if (i >= 0 && i < 64) {
        c->rej[0] |= 1ULL << i;
        c->rej[1] |= 1ULL << i;
    }
}

/* Pick a parser for the first bytes (buf/len per key side): port-matched
 * first, then every probe; start it, or give up when nothing may still say
 * yes.  one_shot (UDP): a NO on this datagram rejects the candidate. */
static void app_detect_on(struct proto_ctx *c, const uint8_t *const buf[2],
                          const uint32_t len[2], bool one_shot)
{
    struct applayer *al = c->al;
    bool alive = false;
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < al->n_parsers && i < 64; i++) {
            const struct proto_parser *p = al->parsers[i];
            if (p->ip_proto != c->info.proto || app_rejected(c, i))
                continue;
            bool pm = app_port_match(p, c->conn.resp_p);
            if (pm != (pass == 0))
                continue;
            enum proto_probe r = app_probe_one(c, i, pm, buf, len);
            if (r == PROTO_PROBE_YES) {
                if (app_start(c, p))
                    return;
                app_reject(c, i);
                continue;
            }
            if (r == PROTO_PROBE_NO && (one_shot || !p->probe))
                app_reject(c, i);
            if (!app_rejected(c, i))
                alive = true;
        }
    }
    if (!alive || (!one_shot && c->dbuf_over)) {
        al->ctr.gave_up++;
        app_give_up(c);
    }
}

static void app_detect(struct proto_ctx *c, int64_t ts)
{
    const uint8_t *buf[2] = {c->dbuf[0], c->dbuf[1]};
    (void)ts;
    app_detect_on(c, buf, c->dlen, false);
}

/* In-order bytes of one key side (TCP after reassembly). */
static void app_data(struct proto_ctx *c, int side, const uint8_t *data, size_t len, int64_t ts)
{
    if (len == 0)
        return;
    switch (c->mode) {
    case AM_DETECT:
        app_dbuf_add(c, side, data, len, ts);
        app_detect(c, ts);
        if (c->mode == AM_PARSE)
            app_replay(c);
        return;
    case AM_PARSE:
        if (!c->confirmed && !c->dbuf_over)
            app_dbuf_add(c, side, data, len, ts);
        else if (c->dbuf[0] || c->dbuf[1])
            app_dbuf_free(c);
        app_feed(c, side, data, len, ts);
        return;
    default:
        return;
    }
}

/* ---- midstream direction ---------------------------------------------------------------- */

/* The first in-order bytes of the session (before they reach the signature
 * engine or detection).  Picked up midstream, when they come from the
 * flow's responder and some parser's probe calls them a client's message
 * (YES as PROTO_ORIG with the ports swapped, not YES as PROTO_RESP), that
 * side is the client for the app layer from now on (Suricata's
 * stream.midstream reversal).  Only with cfg.midstream_reverse. */
static void app_midstream_dir(struct proto_ctx *c, int side, const uint8_t *data, size_t len)
{
    c->dir_checked = 1;
    const struct applayer *al = c->al;
    if (!al->cfg.midstream_reverse || !c->midstream || c->mode != AM_DETECT ||
        side == c->info.orig_side)
        return;
    for (int i = 0; i < al->n_parsers; i++) {
        const struct proto_parser *p = al->parsers[i];
        if (p->ip_proto != 6 || !p->probe)
            continue;
        if (p->probe(data, len, PROTO_ORIG, c->info.resp_p, c->info.orig_p) == PROTO_PROBE_YES &&
            p->probe(data, len, PROTO_RESP, c->info.orig_p, c->info.resp_p) != PROTO_PROBE_YES) {
            c->rev = 1;
            app_conn_fill(c);
            c->al->ctr.reversed++;
            detect_flow_reverse(c->info.uid);
            return;
        }
    }
}

/* ---- stream sink ------------------------------------------------------------------------- */

static void sink_data(void *ctx, int side, const uint8_t *data, size_t len, int64_t ts)
{
    struct proto_ctx *c = ctx;
    if (!c->dir_checked && len)
        app_midstream_dir(c, side, data, len);
    if (!c->det_off)
        detect_stream_data(&c->det, &c->conn, app_pdir(c, side) == PROTO_ORIG, data, len, ts);
    app_data(ctx, side, data, len, ts);
}

static void sink_gap(void *ctx, int side, uint64_t len, int64_t ts)
{
    struct proto_ctx *c = ctx;
    /* stream-event:reassembly_seq_gap: data the receiver acked past, or shed;
     * not the unacked holes skipped when the direction ends (as Suricata) */
    if (!c->sd[side].ending)
        detect_stream_event(&c->info, "gap", ts);
    detect_stream_gap(c->det, app_pdir(c, side) == PROTO_ORIG);
    if (c->mode == AM_DETECT) {
        c->al->ctr.gave_up++;
        app_give_up(c);
        return;
    }
    if (c->mode != AM_PARSE)
        return;
    if (!c->parser->gap) {
        c->mode = AM_DONE;
        app_skip_streams(c);
        return;
    }
    c->calling = c->parser;
    c->dbuf_over = 1; /* bytes after a gap cannot be replayed to another parser */
    app_dbuf_free(c);
    enum proto_result r =
        c->parser->gap(c->pstate, c, (enum proto_dir)app_pdir(c, side), len);
    app_result(c, r, ts);
}

static void sink_eof(void *ctx, int side, int64_t ts)
{
    struct proto_ctx *c = ctx;
    if (c->mode == AM_PARSE && c->parser->eof) {
        c->calling = c->parser;
        c->parser->eof(c->pstate, c, (enum proto_dir)app_pdir(c, side), ts);
    }
}

static void sink_anomaly(void *ctx, int side, const char *name, int64_t ts)
{
    struct proto_ctx *c = ctx;
    (void)side;
    weird_conn(c->al, &c->info, name, NULL, "TCP", ts);
    detect_stream_event(&c->info, name, ts);
}

static const struct stream_sink app_sink_ops = {
    .data = sink_data, .gap = sink_gap, .eof = sink_eof, .anomaly = sink_anomaly,
};

static void app_tcp(struct proto_ctx *c, int side, const struct pkt_l4 *l, int64_t ts)
{
    struct stream_sink s = app_sink_ops;
    s.ctx = c;
    uint8_t fl = 0;
    if (l->tcp_flags & 0x01)
        fl |= STREAM_F_FIN;
    if (l->tcp_flags & 0x02)
        fl |= STREAM_F_SYN;
    if (l->tcp_flags & 0x04)
        fl |= STREAM_F_RST;
    uint32_t len = l->payload ? l->payload_len : 0;
    bool det = app_det_stream(c);
    if ((c->mode == AM_NONE || c->mode == AM_DONE) && !det) {
        stream_dir_free(&c->al->mem, &c->sd[0]);
        stream_dir_free(&c->al->mem, &c->sd[1]);
        return;
    }
    if (len && !c->sd[side].skip && !c->sd[side].eof)
        detect_stream_added();
    /* nothing reads rexmit_inconsistency: no weird.log, no stream rules */
    c->al->mem.no_keep = c->al->cfg.no_records && !det;
    stream_dir_segment(&c->al->mem, &c->sd[side], &s, side, l->seq, fl, l->payload, len, ts);
    if ((l->tcp_flags & 0x10) && !(l->tcp_flags & 0x04) &&
        ((c->mode != AM_NONE && c->mode != AM_DONE) || det))
        stream_dir_ack(&c->al->mem, &c->sd[side ^ 1], &s, side ^ 1, l->ack, ts);
}

/* One UDP datagram: the active parser, or detection on this datagram. */
static void app_udp(struct proto_ctx *c, int side, const uint8_t *data, size_t len, int64_t ts)
{
    struct applayer *al = c->al;
    if (c->mode == AM_PARSE)
        app_feed(c, side, data, len, ts);
    if (c->mode != AM_DETECT)
        return;
    if (++c->n_dgrams > al->cfg.detect_max_dgrams) {
        al->ctr.gave_up++;
        app_give_up(c);
        return;
    }
    const uint8_t *buf[2] = {NULL, NULL};
    uint32_t blen[2] = {0, 0};
    buf[side] = data;
    blen[side] = (uint32_t)len;
    for (int tries = 0; tries < al->n_parsers && c->mode == AM_DETECT; tries++) {
        app_detect_on(c, buf, blen, true);
        if (c->mode != AM_PARSE)
            return;
        app_feed(c, side, data, len, ts); /* an error before confirmation: detect again */
    }
}

/* ---- expectations (proto_expect) ------------------------------------------------------ */

static bool raddr_eq(const struct raddr *a, const struct raddr *b)
{
    size_t n = a->family == 6 ? 16 : 4;
    return a->family == b->family && memcmp(a->a, b->a, n) == 0;
}

/* The first packet of a flow: does an expectation name its parser? */
static void app_expect_match(struct applayer *al, struct flow_table *t, struct flow *f,
                             int64_t now)
{
    struct flow_app_info in;
    flow_app_ids(t, f, &in); /* only compared: no Community ID */
    for (int i = 0; i < al->n_expect; i++) {
        struct app_expect *e = &al->expect[i];
        if (e->deadline < now) {
            al->expect[i--] = al->expect[--al->n_expect];
            continue;
        }
        if (e->resp_p != in.resp_p || !raddr_eq(&e->resp, &in.resp_h) ||
            (!e->any_orig && !raddr_eq(&e->orig, &in.orig_h)))
            continue;
        char name[16];
        snprintf(name, sizeof(name), "%s", e->name);
        al->expect[i] = al->expect[--al->n_expect];
        struct proto_ctx *c = app_new(al, t, f);
        if (!c)
            return;
        al->ctr.expectations++;
        app_add_service(c, name); /* Zeek adds the service when the analyzer is applied */
        const struct proto_parser *p = app_parser_find(al, name, in.proto);
        if (!p || !app_start(c, p))
            app_give_up(c);
        else
            c->confirmed = 1;
        return;
    }
}

/* ---- flow table hooks -------------------------------------------------------------------- */

/* Detection gave up and no parser ever took the flow: free its state now
 * (between packets, never inside a delivery) and leave one bit in the
 * flow, so that the rest of it costs neither memory nor reassembly. */
static void app_drop(struct applayer *al, struct flow *f, struct proto_ctx *c)
{
    void **slot = flow_app_slot(f);
    for (int i = 0; i < 2; i++)
        stream_dir_free(&al->mem, &c->sd[i]);
    app_dbuf_free(c);
    detect_stream_free(c->det);
    free(c);
    if (slot)
        *slot = NULL;
    flow_app_off(f);
    al->ctr.dropped++;
}

static void hook_packet(void *ctx, struct flow_table *t, struct flow *f, const struct packet *pkt,
                        const struct pkt_ip *ip, int side, int orig_side, bool first, int64_t now)
{
    struct applayer *al = ctx;
    al->now = now;
    detect_packet_flow(t, f, pkt, ip, side, orig_side);
    for (int i = 0; i < pkt->n_anomalies; i++) {
        const char *src = anomaly_conn_source(pkt->anomalies[i]);
        if (src) {
            struct flow_app_info in;
            flow_app_info(t, f, &in);
            weird_conn(al, &in, decode_anomaly_name(pkt->anomalies[i]), NULL, src, now);
        }
    }
    const struct pkt_l4 *l = &ip->t;
    if (!l->valid || (ip->proto != 6 && ip->proto != 17))
        return;
    if (first && al->n_expect)
        app_expect_match(al, t, f, now);
    struct proto_ctx *c = flow_app_get(f);
    uint32_t len = l->payload ? l->payload_len : 0;
    if (!c) {
        if (len == 0 || flow_app_is_off(f))
            return;
        c = app_new(al, t, f);
        if (!c)
            return;
        uint32_t isn;
        c->midstream = ip->proto == 6;
        for (int s = 0; s < 2 && ip->proto == 6; s++)
            if (flow_app_tcp_syn_seq(f, s, &isn)) {
                c->sd[s].init = 1;
                c->sd[s].next = isn + 1;
                c->midstream = 0;
            }
    }
    if (orig_side != c->info.orig_side) {
        app_info(al, t, f, &c->info); /* roles flipped */
        app_conn_fill(c);
    }
    if (ip->proto == 6)
        app_tcp(c, side, l, now);
    else if (len)
        app_udp(c, side, l->payload, len, now);
    if (c->mode == AM_NONE && c->n_svc == 0 && !c->parser && c->n_retired == 0 &&
        !c->switch_pending && !(ip->proto == 6 && app_det_stream(c)))
        app_drop(al, f, c);
}

static void hook_end(void *ctx, struct flow_table *t, struct flow *f, void *app)
{
    struct applayer *al = ctx;
    struct proto_ctx *c = app;
    (void)t;
    (void)f;
    if (c->ended)
        return;
    struct stream_sink s = app_sink_ops;
    s.ctx = c;
    for (int i = 0; i < 2; i++)
        if (c->mode == AM_PARSE || c->mode == AM_DETECT || app_det_stream(c))
            stream_dir_flush(&al->mem, &c->sd[i], &s, i, al->now);
    c->ended = 1;
    detect_stream_free(c->det);
    c->det = NULL;
    if (c->parser) {
        const struct proto_parser *p = c->parser;
        void *st = c->pstate;
        c->parser = NULL;
        c->pstate = NULL;
        app_free_parser(c, p, st);
    }
    for (int i = 0; i < c->n_retired; i++)
        app_free_parser(c, c->retired[i].p, c->retired[i].st);
    c->n_retired = 0;
    detect_app_end(&c->conn); /* files held for the peer's ACK (detect/engine_file.c) */
    c->mode = AM_NONE;
    app_dbuf_free(c);
    app_skip_streams(c);
    for (int i = 0; i < 2; i++)
        stream_dir_free(&al->mem, &c->sd[i]);
}

/* Every flow's end: the detection engine's per-flow state goes with it. */
static void hook_gone(void *ctx, const struct flow_table *t, const struct flow *f)
{
    (void)ctx;
    if (!detect_active())
        return;
    char uid[24];
    flow_uid_get(t, f, uid, sizeof(uid));
    detect_flow_end(uid);
}

static const char *hook_service(void *ctx, void *app)
{
    struct applayer *al = ctx;
    struct proto_ctx *c = app;
    size_t off = 0;
    al->svcbuf[0] = 0;
    for (int i = 0; i < c->n_svc; i++) {
        int n = snprintf(al->svcbuf + off, sizeof(al->svcbuf) - off, "%s%s", i ? "," : "",
                         c->svc[i]);
        if (n < 0 || (size_t)n >= sizeof(al->svcbuf) - off)
            break;
        off += (size_t)n;
    }
    return c->n_svc ? al->svcbuf : NULL;
}

static void hook_release(void *ctx, void *app)
{
    struct applayer *al = ctx;
    struct proto_ctx *c = app;
    if (!c->ended) /* table freed without a flush: free parser state quietly */
        hook_end(ctx, NULL, NULL, app);
    for (int i = 0; i < 2; i++)
        stream_dir_free(&al->mem, &c->sd[i]);
    app_dbuf_free(c);
    detect_stream_free(c->det);
    free(c);
}

static void hook_weird(void *ctx, struct flow_table *t, struct flow *f, const char *name,
                       const char *source, int64_t now)
{
    struct applayer *al = ctx;
    struct flow_app_info in;
    flow_app_info(t, f, &in);
    weird_conn(al, &in, name, NULL, source, now);
    detect_stream_event(&in, name, now);
}

/* ---- proto.h: what the app layer gives a parser --------------------------------------------- */

const struct proto_conn *proto_conn(const struct proto_ctx *ctx)
{
    return &ctx->conn;
}

void proto_fill_id(const struct proto_ctx *ctx, struct proto_id *id)
{
    id->orig_h = ctx->info.orig_h;
    id->orig_p = ctx->info.orig_p;
    id->resp_h = ctx->info.resp_h;
    id->resp_p = ctx->info.resp_p;
}

void proto_emit(struct proto_ctx *ctx, const struct record_hdr *rec)
{
    ctx->al->ctr.records++;
    if (ctx->al->emit && !ctx->al->cfg.no_records)
        ctx->al->emit(ctx->al->emit_ctx, rec);
    detect_record(&ctx->conn, rec);
}

bool proto_logging(const struct proto_ctx *ctx)
{
    return !ctx->al->cfg.no_records || detect_active();
}

bool proto_inspecting(const struct proto_ctx *ctx)
{
    (void)ctx;
    return detect_active();
}

void proto_inspect(struct proto_ctx *ctx, const struct proto_insp *in)
{
    const struct proto_parser *p = ctx->calling ? ctx->calling : ctx->parser;
    detect_app_inspect(&ctx->conn, p ? p->name : NULL, in);
}

void proto_encrypted(struct proto_ctx *ctx)
{
    if (!ctx->det_off && detect_app_encrypted(&ctx->conn))
        ctx->det_off = 1;
}

void proto_confirm(struct proto_ctx *ctx)
{
    const struct proto_parser *p = ctx->calling ? ctx->calling : ctx->parser;
    if (!p)
        return;
    if (p == ctx->parser && !ctx->confirmed) {
        ctx->confirmed = 1;
        ctx->al->ctr.confirmed++;
    }
    app_add_service(ctx, p->name);
    detect_app_proto(&ctx->conn, p->name);
}

void proto_weird(struct proto_ctx *ctx, const char *name, const char *addl, int64_t ts)
{
    char src[16] = "";
    const struct proto_parser *p = ctx->calling ? ctx->calling : ctx->parser;
    for (size_t i = 0; p && p->name[i] && i + 1 < sizeof(src); i++) {
        src[i] = (char)toupper((unsigned char)p->name[i]);
        src[i + 1] = 0;
    }
    weird_conn(ctx->al, &ctx->info, name, addl, src, ts);
    detect_app_weird(&ctx->conn, name, ts);
}

void proto_event(struct proto_ctx *ctx, const char *name, int64_t ts)
{
    detect_app_weird(&ctx->conn, name, ts);
}

int proto_switch(struct proto_ctx *ctx, const char *name)
{
    const struct proto_parser *to = NULL;
    if (name) {
        to = app_parser_find(ctx->al, name, ctx->info.proto);
        if (!to)
            return -1;
    }
    ctx->switch_to = to;
    ctx->switch_pending = 1;
    return 0;
}

int proto_expect(struct proto_ctx *ctx, const struct raddr *orig, const struct raddr *resp,
                 uint16_t resp_p, const char *name, int64_t timeout_ns)
{
    struct applayer *al = ctx->al;
    if (!resp || !name)
        return -1;
    for (int i = 0; i < al->n_expect; i++)
        if (al->expect[i].deadline < al->now)
            al->expect[i--] = al->expect[--al->n_expect];
    if (al->n_expect >= APP_MAX_EXPECT)
        return -1;
    struct app_expect *e = &al->expect[al->n_expect++];
    memset(e, 0, sizeof(*e));
    e->any_orig = orig == NULL;
    if (orig)
        e->orig = *orig;
    e->resp = *resp;
    e->resp_p = resp_p;
    snprintf(e->name, sizeof(e->name), "%s", name);
    e->deadline = al->now + timeout_ns;
    return 0;
}

/* ---- proto.h: child parsers (a parser feeding another, e.g. ftp ADAT -> ssl) -------------- */

struct proto_child {
    struct proto_ctx *ctx;
    const struct proto_parser *p;
    void *st;
    bool freed;            /* state_free() has run (after PROTO_ERROR) */
    enum proto_result last;
};

struct proto_child *proto_child_open(struct proto_ctx *ctx, const char *name)
{
    const struct proto_parser *p = name ? app_parser_find(ctx->al, name, ctx->info.proto) : NULL;
    if (!p || !p->parse)
        return NULL;
    struct proto_child *ch = calloc(1, sizeof(*ch));
    if (!ch)
        return NULL;
    const struct proto_parser *saved = ctx->calling;
    ctx->calling = p;
    ch->st = p->state_new ? p->state_new(ctx) : NULL;
    ctx->calling = saved;
    if (p->state_new && !ch->st) {
        free(ch);
        return NULL;
    }
    ch->ctx = ctx;
    ch->p = p;
    ch->last = PROTO_OK;
    return ch;
}

/* The child runs as the calling parser; what it could change of the
 * parent's standing (confirmation, a pending switch) is put back after. */
enum proto_result proto_child_data(struct proto_child *ch, enum proto_dir dir,
                                   const uint8_t *data, size_t len, int64_t ts)
{
    if (!ch)
        return PROTO_ERROR;
    if (ch->last != PROTO_OK || len == 0)
        return ch->last;
    struct proto_ctx *c = ch->ctx;
    const struct proto_parser *saved = c->calling, *sw_to = c->switch_to;
    uint8_t confirmed = c->confirmed, sw = c->switch_pending;
    c->calling = ch->p;
    enum proto_result r = ch->p->parse(ch->st, c, dir, data, len, ts);
    c->calling = saved;
    c->confirmed = confirmed;
    c->switch_pending = sw;
    c->switch_to = sw_to;
    ch->last = r;
    if (r == PROTO_ERROR) {
        c->al->ctr.violations++;
        ch->freed = true;
        app_free_parser(c, ch->p, ch->st);
        ch->st = NULL;
    }
    return r;
}

void proto_child_close(struct proto_child *ch)
{
    if (!ch)
        return;
    if (!ch->freed)
        app_free_parser(ch->ctx, ch->p, ch->st);
    free(ch);
}

void proto_service_add(struct proto_ctx *ctx, const char *name)
{
    if (name && *name)
        app_add_service(ctx, name);
}

/* ---- the app layer ---------------------------------------------------------------------- */

struct applayer *applayer_new(const struct stream_config *cfg,
                              const struct proto_parser *const *parsers, applayer_emit_fn emit,
                              void *emit_ctx)
{
    struct applayer *al = calloc(1, sizeof(*al));
    if (!al)
        return NULL;
    al->cfg = *cfg;
    if (al->cfg.no_records)
        al->cfg.weird_log = false;
    if (al->cfg.detect_max == 0)
        al->cfg.detect_max = 4096;
    al->parsers = parsers ? parsers : proto_parsers;
    while (al->parsers[al->n_parsers])
        al->n_parsers++;
    al->emit = emit;
    al->emit_ctx = emit_ctx;
    stream_mem_init(&al->mem, cfg->memcap);
    snprintf(al->sensor, sizeof(al->sensor), "%s", cfg->sensor ? cfg->sensor : "vigil");
    al->wf = weird_filter_new();
    if (!al->wf) {
        free(al);
        return NULL;
    }
    return al;
}

void applayer_attach(struct applayer *al, struct flow_table *t)
{
    struct flow_app_hooks h = {
        .ctx = al, .packet = hook_packet, .end = hook_end, .service = hook_service,
        .release = hook_release, .weird = hook_weird, .gone = hook_gone,
    };
    flow_table_set_app(t, &h);
}

void applayer_counters(const struct applayer *al, struct applayer_counters *c)
{
    *c = al->ctr;
    c->stream = al->mem.ctr;
}

void applayer_free(struct applayer *al)
{
    if (!al)
        return;
    weird_filter_free(al->wf);
    free(al);
}
