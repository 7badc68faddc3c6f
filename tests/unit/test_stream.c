/*
 * test_stream.c - unit tests of src/stream: the reassembler (in order, out
 * of order, overlaps with the same and different bytes, retransmissions,
 * gaps with the data before them kept, nothing kept (no_keep), unacked
 * holes skipped at the end
 * marked ending, midstream pickup, FIN/RST eof,
 * memory-cap shedding, flush at the end) and the app layer on a flow table
 * with test-only parsers (port and content detection, fallback after a
 * protocol error, a STARTTLS-style switch, expectations, conn.log's
 * service, weird.log rate limiting, the midstream reversal of a session
 * whose responder sends the request).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "stream/stream.h"

#define NS 1000000000LL

/* ---- reassembler harness: a sink that records what it got ------------------ */

struct got {
    char data[2][256];
    size_t len[2];
    uint64_t gap[2];
    int ngap[2];
    int eof[2];
    int anomalies;
    int ending_gaps;               /* gaps delivered while the direction was ending */
    const struct stream_dir *dir;  /* the rig's direction, to read its ending bit */
    char log[512]; /* "D0:abc G0:3 E0 " */
};

static void logf_(struct got *g, const char *fmt, ...)
{
    size_t n = strlen(g->log);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g->log + n, sizeof(g->log) - n, fmt, ap);
    va_end(ap);
}

static void t_data(void *ctx, int dir, const uint8_t *d, size_t len, int64_t ts)
{
    struct got *g = ctx;
    (void)ts;
    if (g->len[dir] + len < sizeof(g->data[dir])) {
        memcpy(g->data[dir] + g->len[dir], d, len);
        g->len[dir] += len;
    }
    logf_(g, "D%d:%.*s ", dir, (int)len, (const char *)d);
}

static void t_gap(void *ctx, int dir, uint64_t len, int64_t ts)
{
    struct got *g = ctx;
    (void)ts;
    g->gap[dir] += len;
    g->ngap[dir]++;
    if (g->dir && g->dir->ending)
        g->ending_gaps++;
    logf_(g, "G%d:%llu ", dir, (unsigned long long)len);
}

static void t_eof(void *ctx, int dir, int64_t ts)
{
    struct got *g = ctx;
    (void)ts;
    g->eof[dir]++;
    logf_(g, "E%d ", dir);
}

static void t_anom(void *ctx, int dir, const char *name, int64_t ts)
{
    struct got *g = ctx;
    (void)dir;
    (void)ts;
    g->anomalies++;
    logf_(g, "W:%s ", name);
}

struct rig {
    struct stream_mem m;
    struct stream_dir d;
    struct stream_sink s;
    struct got g;
};

static void rig_init(struct rig *r, size_t cap)
{
    memset(r, 0, sizeof(*r));
    stream_mem_init(&r->m, cap);
    r->s.ctx = &r->g;
    r->s.data = t_data;
    r->s.gap = t_gap;
    r->s.eof = t_eof;
    r->s.anomaly = t_anom;
    r->g.dir = &r->d;
}

/* seq relative to ISN 1000; the SYN is at 1000, data starts at 1001 */
static void seg(struct rig *r, uint32_t rel, uint8_t fl, const char *text)
{
    stream_dir_segment(&r->m, &r->d, &r->s, 0, 1000 + rel, fl, (const uint8_t *)text,
                       (uint32_t)strlen(text), 0);
}

static void rig_done(struct rig *r)
{
    stream_dir_free(&r->m, &r->d);
    assert_int_equal(r->m.used, 0);
}

static void test_in_order(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, 1 << 20);
    seg(&r, 0, STREAM_F_SYN, "");
    seg(&r, 1, 0, "abc");
    seg(&r, 4, 0, "def");
    assert_string_equal(r.g.log, "D0:abc D0:def ");
    assert_int_equal(r.m.ctr.delivered_bytes, 6);
    rig_done(&r);
}

static void test_out_of_order(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, 1 << 20);
    seg(&r, 0, STREAM_F_SYN, "");
    seg(&r, 7, 0, "ghi");
    seg(&r, 4, 0, "def");
    assert_int_equal(r.g.len[0], 0); /* held above the hole */
    seg(&r, 1, 0, "abc");
    assert_string_equal(r.g.data[0], "abcdefghi");
    assert_int_equal(r.m.ctr.ooo_segs, 2);
    rig_done(&r);
}

static void test_overlap_same(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, 1 << 20);
    seg(&r, 0, STREAM_F_SYN, "");
    seg(&r, 5, 0, "efgh");   /* held */
    seg(&r, 3, 0, "cdefg");  /* overlaps "efg" with the same bytes */
    seg(&r, 1, 0, "ab");
    assert_string_equal(r.g.data[0], "abcdefgh");
    assert_int_equal(r.m.ctr.overlaps, 1);
    assert_int_equal(r.m.ctr.overlap_bytes, 3);
    assert_int_equal(r.m.ctr.inconsistent, 0);
    assert_int_equal(r.g.anomalies, 0);
    rig_done(&r);
}

static void test_overlap_different(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, 1 << 20);
    seg(&r, 0, STREAM_F_SYN, "");
    seg(&r, 5, 0, "EFGH");   /* held first: wins */
    seg(&r, 3, 0, "cdXYZj"); /* "XYZ" differs from "EFG"; "j" is past it */
    seg(&r, 1, 0, "ab");
    assert_string_equal(r.g.data[0], "abcdEFGH");
    assert_int_equal(r.m.ctr.inconsistent, 1);
    assert_int_equal(r.g.anomalies, 1);
    assert_non_null(strstr(r.g.log, "W:rexmit_inconsistency"));
    rig_done(&r);
}

static void test_retransmission(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, 1 << 20);
    seg(&r, 0, STREAM_F_SYN, "");
    seg(&r, 1, 0, "abcd");
    seg(&r, 1, 0, "abcd"); /* same bytes again: dropped */
    assert_string_equal(r.g.data[0], "abcd");
    assert_int_equal(r.m.ctr.rexmit_segs, 1);
    assert_int_equal(r.g.anomalies, 0);
    seg(&r, 1, 0, "abXd"); /* delivered data kept until acked: compared */
    assert_int_equal(r.g.anomalies, 1);
    assert_string_equal(r.g.data[0], "abcd");
    stream_dir_ack(&r.m, &r.d, &r.s, 0, 1005, 0); /* acked: nothing kept */
    assert_int_equal(r.d.held, 0);
    seg(&r, 1, 0, "zzzz");
    assert_int_equal(r.g.anomalies, 1);
    rig_done(&r);
}

/* stream_mem.no_keep (vigil extract): the same bytes, gaps and eof as the
 * keeping reassembler, with nothing kept once delivered and no block made
 * for a segment in order; only the comparison of retransmissions with
 * delivered bytes (rexmit_inconsistency) is gone. */
static void no_keep_script(struct rig *r)
{
    seg(r, 0, STREAM_F_SYN, "");
    seg(r, 1, 0, "abc");
    seg(r, 4, 0, "def");
    seg(r, 13, 0, "mno"); /* held above a hole */
    seg(r, 7, 0, "ghi");
    seg(r, 10, 0, "jkl"); /* fills it: ghi jkl mno delivered */
    seg(r, 1, 0, "abX");  /* a retransmission that differs */
    seg(r, 11, 0, "kXmnopq"); /* overlaps delivered bytes, "pq" is new */
    seg(r, 25, 0, "yz");  /* held */
    stream_dir_ack(&r->m, &r->d, &r->s, 0, 1025, 0); /* hole 18..25 acked: a gap */
    seg(r, 27, STREAM_F_FIN, "!");
}

static void strip_weirds(char *log)
{
    char *w;
    while ((w = strstr(log, "W:")) != NULL) {
        char *e = strchr(w, ' ');
        memmove(w, e + 1, strlen(e + 1) + 1);
    }
}

static void test_no_keep(void **state)
{
    (void)state;
    struct rig keep, nk;
    rig_init(&keep, 1 << 20);
    rig_init(&nk, 1 << 20);
    nk.m.no_keep = true;
    no_keep_script(&keep);
    no_keep_script(&nk);
    assert_string_equal(keep.g.data[0], "abcdefghijklmnopqyz!");
    assert_string_equal(nk.g.data[0], "abcdefghijklmnopqyz!");
    assert_int_equal(keep.g.anomalies, 2);
    assert_int_equal(nk.g.anomalies, 0);
    strip_weirds(keep.g.log);
    assert_string_equal(keep.g.log, nk.g.log);
    assert_non_null(strstr(nk.g.log, "G0:7 D0:yz D0:! E0"));
    assert_int_equal(nk.m.used, 0);
    assert_int_equal(nk.d.held, 0);
    assert_int_equal(keep.m.ctr.delivered_bytes, nk.m.ctr.delivered_bytes);
    rig_done(&keep);
    rig_done(&nk);
}

static void test_gap_then_data(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, 1 << 20);
    seg(&r, 0, STREAM_F_SYN, "");
    seg(&r, 1, 0, "abc");
    seg(&r, 7, 0, "ghi"); /* "def" never captured */
    assert_string_equal(r.g.log, "D0:abc ");
    stream_dir_ack(&r.m, &r.d, &r.s, 0, 1010, 0); /* the peer has it all */
    assert_string_equal(r.g.log, "D0:abc G0:3 D0:ghi ");
    assert_int_equal(r.m.ctr.gaps, 1);
    assert_int_equal(r.m.ctr.gap_bytes, 3);
    seg(&r, 10, 0, "jk");
    assert_string_equal(r.g.data[0], "abcghijk");
    assert_int_equal(r.g.ending_gaps, 0); /* an acked hole: lost data */
    rig_done(&r);
}

/* Holes no ack passed, skipped because the direction ends (flush, RST):
 * gaps marked ending (no reassembly_seq_gap event for them). */
static void test_unacked_hole_at_end(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, 1 << 20);
    seg(&r, 0, STREAM_F_SYN, "");
    seg(&r, 1, 0, "abc");
    seg(&r, 7, 0, "ghi");
    stream_dir_ack(&r.m, &r.d, &r.s, 0, 1004, 0); /* acked up to the hole only */
    assert_string_equal(r.g.log, "D0:abc ");
    stream_dir_flush(&r.m, &r.d, &r.s, 0, 0);
    assert_string_equal(r.g.log, "D0:abc G0:3 D0:ghi ");
    assert_int_equal(r.g.ending_gaps, 1);
    rig_done(&r);

    rig_init(&r, 1 << 20);
    seg(&r, 0, STREAM_F_SYN, "");
    seg(&r, 1, 0, "abc");
    seg(&r, 7, 0, "ghi");
    seg(&r, 10, STREAM_F_RST, "");
    assert_string_equal(r.g.log, "D0:abc G0:3 D0:ghi E0 ");
    assert_int_equal(r.g.ending_gaps, 1);
    rig_done(&r);
}

static void test_midstream(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, 1 << 20);
    seg(&r, 500, 0, "mid");   /* no SYN seen: starts here */
    seg(&r, 503, 0, "dle");
    seg(&r, 400, 0, "old");   /* before the pickup point: dropped */
    assert_string_equal(r.g.data[0], "middle");
    rig_done(&r);
}

static void test_fin_rst_eof(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, 1 << 20);
    seg(&r, 0, STREAM_F_SYN, "");
    seg(&r, 4, STREAM_F_FIN, "de"); /* FIN before the hole is filled */
    assert_int_equal(r.g.eof[0], 0);
    seg(&r, 1, 0, "abc");
    assert_string_equal(r.g.log, "D0:abc D0:de E0 ");
    seg(&r, 6, 0, "late"); /* after eof: ignored */
    assert_int_equal(r.g.len[0], 5);
    rig_done(&r);

    rig_init(&r, 1 << 20);
    seg(&r, 0, STREAM_F_SYN, "");
    seg(&r, 1, 0, "ab");
    seg(&r, 6, 0, "fg");
    seg(&r, 3, STREAM_F_RST, "");
    assert_string_equal(r.g.log, "D0:ab G0:3 D0:fg E0 ");
    rig_done(&r);
}

static void test_memcap_shedding(void **state)
{
    (void)state;
    struct rig r;
    /* room for two held 4-byte segments (24-byte block header each) and a
     * little: the delivered-but-unacked "ab" is dropped first */
    rig_init(&r, 2 * (24 + 4) + 10);
    seg(&r, 0, STREAM_F_SYN, "");
    seg(&r, 1, 0, "ab");
    seg(&r, 5, 0, "efgh");
    seg(&r, 9, 0, "ijkl");
    assert_string_equal(r.g.data[0], "ab");
    seg(&r, 13, 0, "mnop"); /* no room: stop waiting for "cd" */
    assert_true(r.m.ctr.shed >= 1);
    assert_true(r.m.ctr.shed_bytes >= 2);
    assert_string_equal(r.g.data[0], "abefghijklmnop");
    assert_int_equal(r.g.gap[0], 2);
    assert_true(r.m.used <= r.m.cap);
    rig_done(&r);
}

static void test_flush_at_end(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, 1 << 20);
    seg(&r, 0, STREAM_F_SYN, "");
    seg(&r, 1, 0, "ab");
    seg(&r, 5, 0, "ef");
    seg(&r, 9, STREAM_F_FIN, "ij");
    stream_dir_flush(&r.m, &r.d, &r.s, 0, 0);
    assert_string_equal(r.g.log, "D0:ab G0:2 D0:ef G0:2 D0:ij E0 ");
    assert_int_equal(r.m.used, 0);
}

static void test_seq_wrap(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, 1 << 20);
    stream_dir_segment(&r.m, &r.d, &r.s, 0, 0xfffffffdu, STREAM_F_SYN, NULL, 0, 0);
    stream_dir_segment(&r.m, &r.d, &r.s, 0, 0x00000001u, 0, (const uint8_t *)"cd", 2, 0);
    stream_dir_segment(&r.m, &r.d, &r.s, 0, 0xfffffffeu, 0, (const uint8_t *)"xab", 3, 0);
    assert_string_equal(r.g.data[0], "xabcd");
    rig_done(&r);
}

/* ---- app layer on a flow table, with test-only parsers ---------------------- */

struct app_got {
    int lines[2];         /* newline count per direction, seen by "echo" */
    int gaps, eofs, frees, records, weirds;
    char service[64];
    char weird_names[256];
    char seen[2][256];    /* bytes seen by whichever test parser */
};

static struct app_got ag;

struct echo_state {
    int n;
};

static void *echo_new(struct proto_ctx *ctx)
{
    (void)ctx;
    static struct echo_state st[8];
    static int next;
    return &st[next++ % 8];
}

static enum proto_result echo_parse(void *st, struct proto_ctx *ctx, enum proto_dir dir,
                                    const uint8_t *data, size_t len, int64_t ts)
{
    (void)st;
    (void)ts;
    size_t n = strlen(ag.seen[dir]);
    snprintf(ag.seen[dir] + n, sizeof(ag.seen[dir]) - n, "%.*s", (int)len, (const char *)data);
    for (size_t i = 0; i < len; i++)
        if (data[i] == '\n')
            ag.lines[dir]++;
    if (memmem(data, len, "BAD", 3))
        return PROTO_ERROR;
    if (memmem(data, len, "STARTTLS", 8)) {
        proto_confirm(ctx);
        proto_switch(ctx, "tlsish");
    }
    if (memmem(data, len, "WEIRD", 5))
        proto_weird(ctx, "echo_weird", "x", ts);
    if (memmem(data, len, "EXPECT", 6)) {
        const struct proto_conn *c = proto_conn(ctx);
        proto_expect(ctx, &c->orig_h, &c->resp_h, 2020, "echo-data", 60 * NS);
    }
    if (memmem(data, len, "OK", 2))
        proto_confirm(ctx);
    return PROTO_OK;
}

static enum proto_result echo_gap(void *st, struct proto_ctx *ctx, enum proto_dir dir,
                                  uint64_t len)
{
    (void)st;
    (void)ctx;
    (void)dir;
    (void)len;
    ag.gaps++;
    return PROTO_OK;
}

static void echo_eof(void *st, struct proto_ctx *ctx, enum proto_dir dir, int64_t ts)
{
    (void)st;
    (void)ctx;
    (void)dir;
    (void)ts;
    ag.eofs++;
}

static void echo_free(void *st, struct proto_ctx *ctx)
{
    (void)st;
    (void)ctx;
    ag.frees++;
}

static enum proto_probe echo_probe(const uint8_t *d, size_t len, enum proto_dir dir,
                                   uint16_t op, uint16_t rp)
{
    (void)dir;
    (void)op;
    (void)rp;
    if (len < 4)
        return PROTO_PROBE_MAYBE;
    return memcmp(d, "ECHO", 4) == 0 ? PROTO_PROBE_YES : PROTO_PROBE_NO;
}

static enum proto_probe tls_probe(const uint8_t *d, size_t len, enum proto_dir dir,
                                  uint16_t op, uint16_t rp)
{
    (void)dir;
    (void)op;
    (void)rp;
    return len >= 1 && d[0] == 0x16 ? PROTO_PROBE_YES : PROTO_PROBE_NO;
}

static enum proto_result tls_parse(void *st, struct proto_ctx *ctx, enum proto_dir dir,
                                   const uint8_t *data, size_t len, int64_t ts)
{
    (void)st;
    (void)dir;
    (void)ts;
    if (len && data[0] == 0x16)
        proto_confirm(ctx);
    size_t n = strlen(ag.seen[dir]);
    snprintf(ag.seen[dir] + n, sizeof(ag.seen[dir]) - n, "[tls %zu]", len);
    return PROTO_OK;
}

static const uint16_t echo_ports[] = {7, 0};
static const uint16_t data_ports[] = {0};
static const struct proto_parser p_echo = {
    .name = "echo", .ip_proto = 6, .ports = echo_ports, .probe = echo_probe,
    .state_new = echo_new, .parse = echo_parse, .gap = echo_gap, .eof = echo_eof,
    .state_free = echo_free,
};
static const struct proto_parser p_tls = {
    .name = "tlsish", .ip_proto = 6, .ports = data_ports, .probe = tls_probe,
    .state_new = echo_new, .parse = tls_parse, .state_free = echo_free,
};
static const struct proto_parser p_data = {
    .name = "echo-data", .ip_proto = 6, .ports = data_ports, .probe = NULL,
    .state_new = echo_new, .parse = echo_parse, .state_free = echo_free,
};
static const struct proto_parser *const test_parsers[] = {&p_echo, &p_tls, &p_data, NULL};

static void on_conn(void *ctx, const struct conn_record *r)
{
    (void)ctx;
    if (!record_unset(&r->hdr, CONN_SERVICE))
        snprintf(ag.service, sizeof(ag.service), "%.*s", (int)r->service.len, r->service.p);
}

static void on_rec(void *ctx, const struct record_hdr *rec)
{
    (void)ctx;
    ag.records++;
    if (rec->type == &weird_record_type) {
        const struct weird_record *w = (const struct weird_record *)rec;
        ag.weirds++;
        size_t n = strlen(ag.weird_names);
        snprintf(ag.weird_names + n, sizeof(ag.weird_names) - n, "%.*s ", (int)w->name.len,
                 w->name.p);
    }
}

struct app_rig {
    struct flow_table *t;
    struct applayer *al;
    uint16_t sport, dport;
    uint32_t cseq, sseq;
};

static void app_rig_init(struct app_rig *r, uint16_t dport)
{
    memset(&ag, 0, sizeof(ag));
    struct flow_config fc;
    flow_config_default(&fc);
    fc.memcap = 1 << 20;
    fc.hash_seed_set = true;
    char err[256];
    r->t = flow_table_new(&fc, "test", on_conn, NULL, err, sizeof(err));
    assert_non_null(r->t);
    struct stream_config sc;
    stream_config_default(&sc);
    r->al = applayer_new(&sc, test_parsers, on_rec, NULL);
    assert_non_null(r->al);
    applayer_attach(r->al, r->t);
    r->sport = 40000;
    r->dport = dport;
    r->cseq = 100;
    r->sseq = 5000;
}

static void app_rig_done(struct app_rig *r)
{
    flow_table_flush(r->t);
    flow_table_free(r->t);
    applayer_free(r->al);
}

/* One TCP segment 10.0.0.1:sport <-> 10.0.0.2:dport; rev = server to client. */
static void app_pkt(struct app_rig *r, int64_t t, bool rev, uint8_t flags, uint32_t seq,
                    uint32_t ack, const char *payload)
{
    struct packet p;
    memset(&p, 0, sizeof(p));
    uint32_t len = payload ? (uint32_t)strlen(payload) : 0;
    p.ts_sec = t / NS;
    p.ts_nsec = (uint32_t)(t % NS);
    p.flags = PKT_F_IP;
    p.n_layers = 1;
    struct pkt_ip *ip = &p.layer[0];
    ip->version = 4;
    ip->proto = 6;
    uint8_t a[4] = {10, 0, 0, 1}, b[4] = {10, 0, 0, 2}; /* 10.0.0.1, 10.0.0.2 */
    memcpy(ip->src, rev ? b : a, 4);
    memcpy(ip->dst, rev ? a : b, 4);
    ip->hdr_len = 20;
    ip->total_len = 40 + len;
    ip->t.valid = true;
    ip->t.sport = rev ? r->dport : r->sport;
    ip->t.dport = rev ? r->sport : r->dport;
    ip->t.tcp_flags = flags;
    ip->t.tcp_hlen = 20;
    ip->t.win = 1000;
    ip->t.seq = seq;
    ip->t.ack = ack;
    ip->t.payload = (const uint8_t *)payload;
    ip->t.payload_len = ip->t.payload_wire_len = len;
    flow_table_packet(r->t, &p);
}

static void app_handshake(struct app_rig *r)
{
    app_pkt(r, 1 * NS, false, 0x02, r->cseq, 0, NULL);
    app_pkt(r, 1 * NS + 1000, true, 0x12, r->sseq, r->cseq + 1, NULL);
    app_pkt(r, 1 * NS + 2000, false, 0x10, r->cseq + 1, r->sseq + 1, NULL);
    r->cseq++;
    r->sseq++;
}

/* client sends text */
static void app_c(struct app_rig *r, int64_t t, const char *text)
{
    app_pkt(r, t, false, 0x18, r->cseq, r->sseq, text);
    r->cseq += (uint32_t)strlen(text);
}

static void app_s(struct app_rig *r, int64_t t, const char *text)
{
    app_pkt(r, t, true, 0x18, r->sseq, r->cseq, text);
    r->sseq += (uint32_t)strlen(text);
}

static void test_app_port_detection(void **state)
{
    (void)state;
    struct app_rig r;
    app_rig_init(&r, 7);
    app_handshake(&r);
    app_c(&r, 2 * NS, "hello\nOK\n"); /* probe says NO, but the port says echo first? */
    app_rig_done(&r);
    /* the probe rejected it ("hell" is not "ECHO"): port match alone is not enough when
     * the parser has a probe */
    assert_int_equal(ag.lines[0], 0);
    assert_string_equal(ag.service, "");

    app_rig_init(&r, 7);
    app_handshake(&r);
    app_c(&r, 2 * NS, "EC");          /* MAYBE: buffered */
    app_c(&r, 2 * NS + 1, "HO 1\n");  /* now YES: both chunks delivered */
    app_s(&r, 2 * NS + 2, "OK\n");
    app_rig_done(&r);
    assert_string_equal(ag.seen[0], "ECHO 1\n");
    assert_int_equal(ag.lines[0], 1);
    assert_int_equal(ag.lines[1], 1);
    assert_string_equal(ag.service, "echo");
    assert_int_equal(ag.frees, 1);
}

static void test_app_content_detection(void **state)
{
    (void)state;
    struct app_rig r;
    app_rig_init(&r, 9999); /* no port match: content only */
    app_handshake(&r);
    app_c(&r, 2 * NS, "ECHO a\n");
    app_s(&r, 2 * NS + 1, "OK\n");
    app_c(&r, 2 * NS + 2, "b\n");
    app_pkt(&r, 3 * NS, false, 0x11, r.cseq, r.sseq, NULL); /* FIN */
    app_rig_done(&r);
    assert_int_equal(ag.lines[0], 2);
    assert_string_equal(ag.service, "echo");
    assert_int_equal(ag.eofs, 1);
}

static void test_app_error_fallback(void **state)
{
    (void)state;
    struct app_rig r;
    app_rig_init(&r, 9999);
    app_handshake(&r);
    app_c(&r, 2 * NS, "ECHO BAD\n"); /* echo starts, then errors before confirming */
    app_rig_done(&r);
    assert_string_equal(ag.service, "");
    assert_int_equal(ag.frees, 1);
    struct applayer_counters c;
    (void)c;
}

/* Bytes no probe wants: detection gives up, the app state is freed at once
 * (one bit left in the flow) and later segments are not reassembled. */
static void test_app_no_candidate(void **state)
{
    (void)state;
    struct app_rig r;
    app_rig_init(&r, 9999);
    app_handshake(&r);
    app_c(&r, 2 * NS, "zzzz\n"); /* echo: NO on this side, MAYBE until the other speaks */
    app_s(&r, 2 * NS + 1, "qqqq\n");
    app_c(&r, 2 * NS + 2, "ECHO late\n");
    struct applayer_counters c;
    applayer_counters(r.al, &c);
    app_rig_done(&r);
    assert_int_equal(c.flows, 1);
    assert_int_equal(c.gave_up, 1);
    assert_int_equal(c.dropped, 1);
    assert_int_equal(c.stream.delivered_bytes, 10); /* "zzzz\n" and "qqqq\n" only */
    assert_string_equal(ag.seen[0], "");
    assert_string_equal(ag.service, "");
}

static void test_app_switch(void **state)
{
    (void)state;
    struct app_rig r;
    app_rig_init(&r, 7);
    app_handshake(&r);
    app_c(&r, 2 * NS, "ECHO STARTTLS\n");
    app_c(&r, 2 * NS + 1, "\x16\x03\x01");
    app_s(&r, 2 * NS + 2, "\x16\x03\x03xx");
    app_rig_done(&r);
    assert_string_equal(ag.seen[0], "ECHO STARTTLS\n[tls 3]");
    assert_string_equal(ag.seen[1], "[tls 5]");
    assert_string_equal(ag.service, "echo,tlsish"); /* confirmation order */
    assert_int_equal(ag.frees, 2);                   /* both states freed at the end */
}

static void test_app_gap_and_midstream(void **state)
{
    (void)state;
    struct app_rig r;
    app_rig_init(&r, 7);
    /* no handshake: midstream */
    app_c(&r, 2 * NS, "ECHO x\nOK\n");
    r.cseq += 5; /* five bytes never captured */
    app_c(&r, 2 * NS + 1, "y\n");
    app_s(&r, 2 * NS + 2, "ok"); /* acks everything: the hole becomes a gap */
    app_rig_done(&r);
    assert_int_equal(ag.gaps, 1);
    assert_int_equal(ag.lines[0], 3);
    assert_string_equal(ag.service, "echo");
}

/* ---- midstream reversal (stream_config.midstream_reverse) ---------------------- */

/* A protocol whose probe tells a client's "REQ " from a server's "RSP ". */
static enum proto_probe req_probe(const uint8_t *d, size_t len, enum proto_dir dir,
                                  uint16_t op, uint16_t rp)
{
    (void)op;
    (void)rp;
    if (len < 4)
        return PROTO_PROBE_MAYBE;
    return memcmp(d, dir == PROTO_ORIG ? "REQ " : "RSP ", 4) == 0 ? PROTO_PROBE_YES
                                                                    : PROTO_PROBE_NO;
}

static char req_ids[128]; /* "client proto_conn orig_h.last/orig_p, log id orig_h.last/orig_p" */

static enum proto_result req_parse(void *st, struct proto_ctx *ctx, enum proto_dir dir,
                                   const uint8_t *data, size_t len, int64_t ts)
{
    const struct proto_conn *c = proto_conn(ctx);
    struct proto_id id;
    proto_fill_id(ctx, &id);
    snprintf(req_ids, sizeof(req_ids), "conn %u:%u rev %u, log %u:%u", c->orig_h.a[3],
             c->orig_p, c->reversed, id.orig_h.a[3], (unsigned)id.orig_p);
    return echo_parse(st, ctx, dir, data, len, ts);
}

static const struct proto_parser p_req = {
    .name = "req", .ip_proto = 6, .ports = data_ports, .probe = req_probe,
    .state_new = echo_new, .parse = req_parse, .state_free = echo_free,
};
static const struct proto_parser *const req_parsers[] = {&p_req, NULL};

/* A rig with the req parser; the server port 80 is one Zeek's heuristics
 * take for a server's, so a first packet from it makes 10.0.0.1 (port
 * 40000) the originator. */
static void req_rig_init(struct app_rig *r, bool reverse)
{
    app_rig_init(r, 80);
    applayer_free(r->al);
    struct stream_config sc;
    stream_config_default(&sc);
    sc.midstream_reverse = reverse;
    r->al = applayer_new(&sc, req_parsers, on_rec, NULL);
    assert_non_null(r->al);
    applayer_attach(r->al, r->t);
    req_ids[0] = 0;
}

static uint64_t req_reversed(struct app_rig *r)
{
    struct applayer_counters c;
    applayer_counters(r->al, &c);
    return c.reversed;
}

/* Midstream, the first bytes from conn.log's responder are a request: with
 * midstream_reverse the parser sees them as PROTO_ORIG, proto_conn() names
 * that side the originator, the log id fields stay conn.log's. */
static void test_app_midstream_reverse(void **state)
{
    (void)state;
    struct app_rig r;
    req_rig_init(&r, true);
    app_s(&r, 2 * NS, "REQ a\n"); /* 10.0.0.2:80 -> 10.0.0.1:40000: Zeek's responder */
    app_c(&r, 2 * NS + 1, "RSP b OK\n");
    assert_int_equal(req_reversed(&r), 1);
    app_rig_done(&r);
    assert_string_equal(ag.seen[PROTO_ORIG], "REQ a\n");
    assert_string_equal(ag.seen[PROTO_RESP], "RSP b OK\n");
    assert_string_equal(req_ids, "conn 2:80 rev 1, log 1:40000");
    assert_string_equal(ag.service, "req");

    /* the same without the option: the request reads as a reply, nothing parses */
    req_rig_init(&r, false);
    app_s(&r, 2 * NS, "REQ a\n");
    app_c(&r, 2 * NS + 1, "RSP b OK\n");
    assert_int_equal(req_reversed(&r), 0);
    app_rig_done(&r);
    assert_string_equal(ag.seen[PROTO_ORIG], "");
    assert_string_equal(ag.service, "");
}

/* No reversal when the handshake was seen, when the originator spoke first,
 * or when the responder's bytes also read as a reply. */
static void test_app_midstream_keep(void **state)
{
    (void)state;
    struct app_rig r;
    req_rig_init(&r, true);
    app_handshake(&r); /* 10.0.0.1 SYN: not midstream */
    app_s(&r, 2 * NS, "REQ a\n");
    assert_int_equal(req_reversed(&r), 0);
    app_rig_done(&r);
    assert_string_equal(ag.seen[PROTO_ORIG], "");

    req_rig_init(&r, true);
    app_c(&r, 2 * NS, "REQ a\n"); /* the originator first: as usual */
    app_s(&r, 2 * NS + 1, "REQ b\n");
    assert_int_equal(req_reversed(&r), 0);
    app_rig_done(&r);
    assert_string_equal(ag.seen[PROTO_ORIG], "REQ a\n");
    assert_string_equal(req_ids, "conn 1:40000 rev 0, log 1:40000");

    req_rig_init(&r, true);
    app_s(&r, 2 * NS, "RSP a\n"); /* a reply from the responder: nothing to reverse */
    app_c(&r, 2 * NS + 1, "REQ b\n");
    assert_int_equal(req_reversed(&r), 0);
    app_rig_done(&r);
    assert_string_equal(ag.seen[PROTO_RESP], "RSP a\n");
    assert_string_equal(ag.seen[PROTO_ORIG], "REQ b\n");
}

static void test_app_expectation(void **state)
{
    (void)state;
    struct app_rig r;
    app_rig_init(&r, 7);
    app_handshake(&r);
    app_c(&r, 2 * NS, "ECHO EXPECT OK\n");
    /* the expected session: 10.0.0.1 -> 10.0.0.2:2020 */
    r.sport = 40001;
    r.dport = 2020;
    r.cseq = 9000;
    r.sseq = 7000;
    app_handshake(&r);
    app_c(&r, 3 * NS, "data\n");
    app_rig_done(&r);
    /* both sessions ended: the last conn record seen is the data session's */
    assert_int_equal(ag.lines[0], 2);
}

static void test_app_expectation_service(void **state)
{
    (void)state;
    struct app_rig r;
    app_rig_init(&r, 7);
    app_handshake(&r);
    app_c(&r, 2 * NS, "ECHO EXPECT OK\n");
    flow_table_flush(r.t); /* the control session ends first */
    assert_string_equal(ag.service, "echo");
    r.sport = 40001;
    r.dport = 2020;
    app_handshake(&r); /* no payload at all: the service is still set */
    app_rig_done(&r);
    assert_string_equal(ag.service, "echo-data");
}

static void test_app_weird_limit(void **state)
{
    (void)state;
    struct app_rig r;
    app_rig_init(&r, 7);
    app_handshake(&r);
    app_c(&r, 2 * NS, "ECHO WEIRD OK\n");
    app_c(&r, 2 * NS + 1, "WEIRD\n"); /* same name, same connection: suppressed */
    app_rig_done(&r);
    assert_int_equal(ag.weirds, 1);
    assert_string_equal(ag.weird_names, "echo_weird ");
}

static void test_weird_filter(void **state)
{
    (void)state;
    struct weird_filter *w = weird_filter_new();
    assert_non_null(w);
    struct raddr o = {4, {10, 0, 0, 1}};
    assert_true(weird_filter_pass(w, "data_before_established", "a", &o, 0));
    assert_false(weird_filter_pass(w, "data_before_established", "a", &o, 10 * NS));
    assert_true(weird_filter_pass(w, "data_before_established", "b", &o, 10 * NS));
    assert_true(weird_filter_pass(w, "data_before_established", "a", &o, 601 * NS));
    /* per originator: once a day per originator */
    assert_true(weird_filter_pass(w, "SYN_with_data", "a", &o, 0));
    assert_false(weird_filter_pass(w, "SYN_with_data", "c", &o, 0));
    /* ignored names */
    assert_false(weird_filter_pass(w, "spontaneous_FIN", "a", &o, 0));
    /* checksum names repeat */
    assert_true(weird_filter_pass(w, "bad_IP_checksum", "", NULL, 0));
    weird_filter_free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_in_order),
        cmocka_unit_test(test_out_of_order),
        cmocka_unit_test(test_overlap_same),
        cmocka_unit_test(test_overlap_different),
        cmocka_unit_test(test_retransmission),
        cmocka_unit_test(test_no_keep),
        cmocka_unit_test(test_gap_then_data),
        cmocka_unit_test(test_unacked_hole_at_end),
        cmocka_unit_test(test_midstream),
        cmocka_unit_test(test_fin_rst_eof),
        cmocka_unit_test(test_memcap_shedding),
        cmocka_unit_test(test_flush_at_end),
        cmocka_unit_test(test_seq_wrap),
        cmocka_unit_test(test_app_port_detection),
        cmocka_unit_test(test_app_content_detection),
        cmocka_unit_test(test_app_error_fallback),
        cmocka_unit_test(test_app_no_candidate),
        cmocka_unit_test(test_app_switch),
        cmocka_unit_test(test_app_gap_and_midstream),
        cmocka_unit_test(test_app_midstream_reverse),
        cmocka_unit_test(test_app_midstream_keep),
        cmocka_unit_test(test_app_expectation),
        cmocka_unit_test(test_app_expectation_service),
        cmocka_unit_test(test_app_weird_limit),
        cmocka_unit_test(test_weird_filter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
