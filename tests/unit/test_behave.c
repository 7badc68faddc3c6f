/*
 * test_behave.c - the behavioural detectors (src/detect/behave*.c): RITA's
 * beacon score on known series, and the scan, SSH guessing and beacon
 * notices raised from synthetic conn and ssh records through the output
 * wrapper, with their thresholds, windows, suppression and caps.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "detect/alert_record.h"
#include "detect/behave.h"
#include "flow/conn_record.h"
#include "store/notice.h"

#define NS 1000000000LL
#define T0 1700000000LL

/* ---- a downstream output that keeps what reaches it ------------------------- */

struct seen {
    char note[64], msg[256], sub[256], src[64], dst[64];
    uint64_t p, n;
    int has_p, has_dst, has_n;
    int64_t ts;
};

struct sink {
    struct output base;
    struct seen notices[64];
    int nnotices, nalerts, nconns, flushes;
    uint64_t alert_sid[64];
};

static void rtext(const struct rstr *s, char *buf, size_t n)
{
    snprintf(buf, n, "%.*s", (int)s->len, s->p ? s->p : "");
}

static void atext(const struct raddr *a, char *buf, size_t n)
{
    if (a->family == 4)
        snprintf(buf, n, "%u.%u.%u.%u", a->a[0], a->a[1], a->a[2], a->a[3]);
    else
        snprintf(buf, n, "v%u", a->family);
}

static int sink_write(struct output *o, const struct record_hdr *r)
{
    struct sink *s = (struct sink *)o;
    if (r->type == &conn_record_type) {
        s->nconns++;
    } else if (r->type == &alert_record_type) {
        const struct alert_record *a = (const struct alert_record *)r;
        assert_int_equal(a->gid, 9000);
        if (s->nalerts < 64)
            s->alert_sid[s->nalerts] = a->sid;
        s->nalerts++;
    } else if (r->type == &notice_record_type && s->nnotices < 64) {
        const struct notice_record *nr = (const struct notice_record *)r;
        struct seen *e = &s->notices[s->nnotices++];
        rtext(&nr->note, e->note, sizeof(e->note));
        rtext(&nr->msg, e->msg, sizeof(e->msg));
        if (!record_unset(r, NF_SUB))
            rtext(&nr->sub, e->sub, sizeof(e->sub));
        atext(&nr->src, e->src, sizeof(e->src));
        e->has_dst = !record_unset(r, NF_DST);
        if (e->has_dst)
            atext(&nr->dst, e->dst, sizeof(e->dst));
        e->has_p = !record_unset(r, NF_P);
        e->p = nr->p;
        e->has_n = !record_unset(r, NF_N);
        e->n = nr->n;
        e->ts = nr->ts;
    }
    return 0;
}

static int sink_flush(struct output *o)
{
    ((struct sink *)o)->flushes++;
    return 0;
}

static void sink_close(struct output *o)
{
    (void)o;
}

static const struct output_ops sink_ops = {"sink", sink_write, sink_flush, NULL, sink_close};

static struct output *open_behave(struct sink *s, const struct behave_config *c)
{
    memset(s, 0, sizeof(*s));
    s->base.ops = &sink_ops;
    struct output *down = &s->base;
    char err[256];
    struct output *b = behave_open(c, &down, 1, err, sizeof(err));
    assert_non_null(b);
    return b;
}

static void v4(struct raddr *a, unsigned x, unsigned y, unsigned z, unsigned w)
{
    memset(a, 0, sizeof(*a));
    a->family = 4;
    a->a[0] = (uint8_t)x, a->a[1] = (uint8_t)y, a->a[2] = (uint8_t)z, a->a[3] = (uint8_t)w;
}

static unsigned conn_orig_p = 40000;

/* One tcp conn record: orig 10.0.0.<o>:conn_orig_p -> 10.0.<rh>.<rl>:port. */
static void conn(struct output *b, int64_t ts_ns, unsigned o, unsigned rh, unsigned rl,
                 unsigned port, const char *state, const char *history, uint64_t ipbytes)
{
    struct conn_record r;
    conn_record_init(&r);
    r.ts = ts_ns;
    v4(&r.orig_h, 10, 0, 0, o);
    v4(&r.resp_h, 10, 0, rh, rl);
    r.orig_p = conn_orig_p, r.resp_p = port;
    r.proto = (struct rstr){"tcp", 3};
    r.conn_state = (struct rstr){state, strlen(state)};
    r.history = (struct rstr){history, strlen(history)};
    r.duration = 0;
    r.local_orig = true, r.local_resp = true;
    r.orig_ip_bytes = ipbytes;
    r.resp_pkts = strcmp(state, "S0") == 0 ? 0 : 1;
    static const int set[] = {CONN_TS, CONN_ORIG_H, CONN_ORIG_P, CONN_RESP_H, CONN_RESP_P,
                              CONN_PROTO, CONN_CONN_STATE, CONN_HISTORY, CONN_DURATION,
                              CONN_LOCAL_ORIG, CONN_LOCAL_RESP, CONN_ORIG_IP_BYTES,
                              CONN_RESP_PKTS};
    for (size_t i = 0; i < sizeof(set) / sizeof(set[0]); i++)
        record_set_unset(&r.hdr, (size_t)set[i], false);
    assert_int_equal(output_write(b, &r.hdr), 0);
}

/* ---- the score ------------------------------------------------------------------ */

static void test_score_perfect(void **st)
{
    (void)st;
    int64_t ts[61], sz[61];
    for (int i = 0; i < 61; i++)
        ts[i] = T0 + 10 * i, sz[i] = 120;
    struct beacon_score s;
    behave_beacon_score(ts, 61, sz, 61, 61, 600.0, &s);
    assert_true(s.ts_skew == 1.0 && s.ts_madm == 1.0 && s.ts_conns == 1.0);
    assert_true(s.ds_skew == 1.0 && s.ds_madm == 1.0);
    assert_true(s.score == 1.0);
    assert_int_equal(s.interval, 10);
    assert_int_equal(s.size, 120);
}

static void test_score_known(void **st)
{
    (void)st;
    /* deltas 10 12 8 15 55 -> sorted 8 10 12 15 55: Q1 10, Q2 12, Q3 15,
     * Bowley (10+15-24)/5 = 0.2; |d-12| sorted 0 2 3 4 43 -> MADM 3;
     * 6 conns over 100 s -> 6/10 = 0.6.  ts = (0.8+0.9+0.6)/3 = 0.7667 ->
     * 0.767.  sizes all 60: ds = (1+1+(1-60/65535))/3 -> 1.000; score
     * (2.3+2.999084)/6 = 0.88318 -> 0.884. */
    int64_t ts[6] = {0, 10, 22, 30, 45, 100}, sz[6] = {60, 60, 60, 60, 60, 60};
    struct beacon_score s;
    behave_beacon_score(ts, 6, sz, 6, 6, 100.0, &s);
    assert_float_equal(s.ts_skew, 0.8, 1e-9);
    assert_float_equal(s.ts_madm, 0.9, 1e-9);
    assert_float_equal(s.ts_conns, 0.6, 1e-9);
    assert_float_equal(s.ts_score, 0.767, 1e-9);
    assert_float_equal(s.ds_score, 1.0, 1e-9);
    assert_float_equal(s.score, 0.884, 1e-9);
    assert_int_equal(s.interval, 12);
    /* sizes 100 100 200 300 400: Q1 100, Q2 200, Q3 300 -> skew 0; MADM
     * 100 -> 0; mode 100 -> ds (1+0+0.998474)/3 -> 0.667 */
    int64_t ts2[5] = {0, 10, 20, 30, 45}, sz2[5] = {100, 100, 200, 300, 400};
    behave_beacon_score(ts2, 5, sz2, 5, 5, 45.0, &s);
    assert_float_equal(s.ts_score, 1.0, 1e-9);
    assert_float_equal(s.ds_madm, 0.0, 1e-9);
    assert_float_equal(s.ds_score, 0.667, 1e-9);
    assert_float_equal(s.score, 0.834, 1e-9);
    assert_int_equal(s.size, 100);
}

static uint64_t lcg(uint64_t *x)
{
    *x = *x * 6364136223846793005ULL + 1442695040888963407ULL;
    return *x >> 33;
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static void test_score_random_low(void **st)
{
    (void)st;
    uint64_t x = 42;
    double worst = 0;
    for (int round = 0; round < 20; round++) {
        int64_t ts[200], sz[200], t = T0;
        for (int i = 0; i < 200; i++) {
            t += 1 + (int64_t)(lcg(&x) % 3600);
            ts[i] = t;
            sz[i] = 40 + (int64_t)(lcg(&x) % 60000);
        }
        qsort(sz, 200, sizeof(int64_t), cmp64);
        struct beacon_score s;
        behave_beacon_score(ts, 200, sz, 200, 200, (double)(t - T0), &s);
        assert_true(s.ts_madm < 0.01 && s.ds_madm < 0.01);
        if (s.score > worst)
            worst = s.score;
    }
    assert_true(worst < 0.6);
}

/* ---- scans ---------------------------------------------------------------------- */

static void test_port_scan(void **st)
{
    (void)st;
    struct sink s;
    struct behave_config c;
    behave_config_default(&c);
    struct output *b = open_behave(&s, &c);
    for (unsigned p = 1; p <= 14; p++)
        conn(b, (T0 + p) * NS, 1, 0, 2, p, p % 2 ? "S0" : "REJ", p % 2 ? "S" : "Sr", 44);
    /* established sessions and RSTO with data are not attempts */
    conn(b, (T0 + 15) * NS, 1, 0, 2, 100, "SF", "ShADadFf", 300);
    conn(b, (T0 + 15) * NS, 1, 0, 2, 101, "RSTO", "ShADdR", 300);
    assert_int_equal(s.nnotices, 0);
    conn(b, (T0 + 16) * NS, 1, 0, 2, 102, "RSTO", "ShR", 44); /* half-open SYN scan */
    assert_int_equal(s.nnotices, 1);
    assert_string_equal(s.notices[0].note, "Scan::Port_Scan");
    assert_string_equal(s.notices[0].msg,
                        "10.0.0.1 scanned at least 15 unique ports of host 10.0.0.2 in 0m15s");
    assert_string_equal(s.notices[0].sub, "local");
    assert_string_equal(s.notices[0].src, "10.0.0.1");
    assert_string_equal(s.notices[0].dst, "10.0.0.2");
    assert_false(s.notices[0].has_p);
    assert_int_equal(s.nalerts, 1);
    assert_int_equal(s.alert_sid[0], 2);
    /* more ports, and a second crossing in a later window within the
     * hour: suppressed per (note, scanner) */
    for (unsigned p = 200; p < 240; p++)
        conn(b, (T0 + 400 + p) * NS, 1, 0, 2, p, "S0", "S", 44);
    assert_int_equal(s.nnotices, 1);
    /* the conns themselves went through */
    assert_int_equal(s.nconns, 57);
    struct behave_counters k;
    behave_counters(b, &k);
    assert_int_equal(k.suppressed, 1);
    assert_int_equal(k.scan_attempts, 55);
    output_close(b);
}

static void test_port_scan_window(void **st)
{
    (void)st;
    struct sink s;
    struct behave_config c;
    behave_config_default(&c);
    struct output *b = open_behave(&s, &c);
    /* 15 ports, one every 30 s: 420 s > the 300 s window */
    for (unsigned p = 1; p <= 15; p++)
        conn(b, (T0 + 30 * p) * NS, 1, 0, 2, p, "S0", "S", 44);
    assert_int_equal(s.nnotices, 0);
    output_close(b);
    /* the same with --scan-window 600 */
    char err[128];
    assert_int_equal(behave_getopt(&c, BEHAVE_OPT_BASE + 2, "600", err, sizeof(err)), 1);
    b = open_behave(&s, &c);
    for (unsigned p = 1; p <= 15; p++)
        conn(b, (T0 + 30 * p) * NS, 1, 0, 2, p, "S0", "S", 44);
    assert_int_equal(s.nnotices, 1);
    assert_string_equal(s.notices[0].msg,
                        "10.0.0.1 scanned at least 15 unique ports of host 10.0.0.2 in 7m0s");
    output_close(b);
}

static void test_address_scan(void **st)
{
    (void)st;
    struct sink s;
    struct behave_config c;
    behave_config_default(&c);
    struct output *b = open_behave(&s, &c);
    for (unsigned h = 1; h <= 24; h++)
        conn(b, (T0 + h) * NS, 1, 1, h, 445, "S0", "S", 48);
    conn(b, (T0 + 30) * NS, 1, 1, 3, 445, "REJ", "Sr", 48); /* the same host again */
    assert_int_equal(s.nnotices, 0);
    conn(b, (T0 + 31) * NS, 1, 1, 25, 445, "REJ", "Sr", 48);
    assert_int_equal(s.nnotices, 1);
    assert_string_equal(s.notices[0].note, "Scan::Address_Scan");
    assert_string_equal(s.notices[0].msg,
                        "10.0.0.1 scanned at least 25 unique hosts on port 445/tcp in 0m30s");
    assert_true(s.notices[0].has_p);
    assert_int_equal(s.notices[0].p, 445);
    assert_false(s.notices[0].has_dst);
    assert_int_equal(s.alert_sid[0], 1);
    output_close(b);
}

static void test_reverse_scan(void **st)
{
    (void)st;
    struct sink s;
    struct behave_config c;
    behave_config_default(&c);
    c.scan_ports = 3;
    struct output *b = open_behave(&s, &c);
    /* REJ whose history shows the responder's SYN ("s"): the responder
     * 10.0.0.2 is the scanner, 10.0.0.1's ports (orig_p) the victims */
    for (unsigned p = 1; p <= 3; p++) {
        conn_orig_p = 1000 + p;
        conn(b, (T0 + p) * NS, 1, 0, 2, 22, "REJ", "sR", 44);
    }
    conn_orig_p = 40000;
    assert_int_equal(s.nnotices, 1);
    assert_string_equal(s.notices[0].src, "10.0.0.2");
    assert_string_equal(s.notices[0].dst, "10.0.0.1");
    assert_string_equal(s.notices[0].msg,
                        "10.0.0.2 scanned at least 3 unique ports of host 10.0.0.1 in 0m2s");
    output_close(b);
}

static void test_scan_key_cap(void **st)
{
    (void)st;
    struct sink s;
    struct behave_config c;
    behave_config_default(&c);
    c.max_scan_keys = 4;
    struct output *b = open_behave(&s, &c);
    for (unsigned h = 1; h <= 10; h++)
        conn(b, (T0 + h) * NS, 1, 1, h, 80, "S0", "S", 48);
    struct behave_counters k;
    behave_counters(b, &k);
    /* one Address_Scan key, then Port_Scan keys until the table holds 4 */
    assert_int_equal(k.scan_keys_full, 7);
    output_close(b);
}

/* ---- SSH guessing --------------------------------------------------------------- */

struct fake_ssh {
    struct record_hdr hdr;
    int64_t ts;
    struct rstr uid;
    struct raddr orig_h;
    uint64_t orig_p;
    struct raddr resp_h;
    uint64_t resp_p;
    bool auth_success;
};

#define SF(name, type, member) {name, type, offsetof(struct fake_ssh, member)}
static const struct record_field ssh_fields[] = {
    SF("ts", RT_TIME, ts),           SF("uid", RT_STRING, uid),
    SF("id.orig_h", RT_ADDR, orig_h), SF("id.orig_p", RT_PORT, orig_p),
    SF("id.resp_h", RT_ADDR, resp_h), SF("id.resp_p", RT_PORT, resp_p),
    SF("auth_success", RT_BOOL, auth_success),
};
static const struct record_type ssh_type = {"ssh", ssh_fields, 7, sizeof(struct fake_ssh)};

static void ssh(struct output *b, int64_t ts, unsigned server, int success)
{
    struct fake_ssh r;
    memset(&r, 0, sizeof(r));
    r.hdr.type = &ssh_type;
    r.ts = ts;
    v4(&r.orig_h, 192, 168, 56, 1);
    v4(&r.resp_h, 192, 168, 56, server);
    r.resp_p = 22;
    r.auth_success = success > 0;
    if (success < 0)
        record_set_unset(&r.hdr, 6, true);
    assert_int_equal(output_write(b, &r.hdr), 0);
}

static void test_ssh_guessing(void **st)
{
    (void)st;
    struct sink s;
    struct behave_config c;
    behave_config_default(&c);
    struct output *b = open_behave(&s, &c);
    for (int i = 0; i < 29; i++)
        ssh(b, (T0 + i) * NS, 103 + (unsigned)(i % 2), 0);
    ssh(b, (T0 + 29) * NS, 103, 1);  /* a success does not count */
    ssh(b, (T0 + 29) * NS, 103, -1); /* nor an unknown outcome */
    assert_int_equal(s.nnotices, 0);
    ssh(b, (T0 + 30) * NS, 103, 0);
    assert_int_equal(s.nnotices, 1);
    assert_string_equal(s.notices[0].note, "SSH::Password_Guessing");
    assert_string_equal(s.notices[0].msg,
                        "192.168.56.1 appears to be guessing SSH passwords (seen in 30 connections).");
    assert_string_equal(s.notices[0].sub, "Sampled servers:  192.168.56.103, 192.168.56.104, "
                                          "192.168.56.103, 192.168.56.104, 192.168.56.103");
    assert_false(s.notices[0].has_dst);
    assert_int_equal(s.alert_sid[0], 3);
    output_close(b);
}

/* ---- beacons -------------------------------------------------------------------- */

static void test_beacon_periodic(void **st)
{
    (void)st;
    struct sink s;
    struct behave_config c;
    behave_config_default(&c);
    struct output *b = open_behave(&s, &c);
    /* 40 sessions every 60 s (+-2 s jitter), 300 bytes each way, plus
     * noise to other hosts */
    for (int i = 0; i < 40; i++) {
        conn(b, (T0 + 60 * i + (i % 3) - 1) * NS, 5, 9, 9, 443, "SF", "ShADadFf", 300);
        conn(b, (T0 + 60 * i + 7) * NS, 6, 9, (unsigned)(i % 200 + 1), 80, "SF", "ShADadFf",
             (uint64_t)(1000 + 37 * i));
    }
    assert_int_equal(s.nnotices, 0);
    assert_int_equal(b->ops->flush(b), 0);
    assert_int_equal(s.flushes, 1);
    assert_int_equal(s.nnotices, 1);
    assert_string_equal(s.notices[0].note, "Vigil::Beacon");
    assert_string_equal(s.notices[0].src, "10.0.0.5");
    assert_string_equal(s.notices[0].dst, "10.0.9.9");
    assert_true(s.notices[0].has_n);
    assert_int_equal(s.notices[0].n, 40);
    /* deltas 61 61 58 ...: median 61, MADM 0; 40 conns over 2348 s ->
     * 0.1704; ts (1+1+0.1704)/3 -> 0.724; ds (1+1+(1-300/65535))/3 ->
     * 0.999; score 0.86097 -> 0.861 */
    assert_string_equal(s.notices[0].msg, "10.0.0.5 beacons to 10.0.9.9: score 0.861 over 40 "
                                          "connections, interval 61s, size 300 bytes");
    assert_string_equal(s.notices[0].sub, "ts 0.724 (skew 1.000, madm 1.000, conns 0.170), "
                                          "ds 0.999 (skew 1.000, madm 1.000, small 0.995)");
    assert_int_equal(s.alert_sid[0], 5);
    /* a second pass in the same window: suppressed */
    assert_int_equal(b->ops->flush(b), 0);
    assert_int_equal(s.nnotices, 1);
    output_close(b);
}

static void test_beacon_not(void **st)
{
    (void)st;
    struct sink s;
    struct behave_config c;
    behave_config_default(&c);
    struct output *b = open_behave(&s, &c);
    uint64_t x = 7;
    int64_t t = T0;
    for (int i = 0; i < 60; i++) {
        t += 1 + (int64_t)(lcg(&x) % 1800);
        conn(b, t * NS, 5, 9, 9, 443, "SF", "ShADadFf", 200 + lcg(&x) % 20000);
    }
    /* a fast regular burst (2 s apart for 60 s): shorter than the span */
    for (int i = 0; i < 30; i++)
        conn(b, (T0 + 2 * i) * NS, 7, 9, 8, 21, "SF", "ShADadFf", 600);
    /* a periodic series nobody answers: a scan's, not a beacon's */
    for (int i = 0; i < 30; i++)
        conn(b, (T0 + 60 * i) * NS, 8, 9, 7, 4444, "S0", "S", 60);
    /* periodic chatter to a directed broadcast address */
    for (int i = 0; i < 30; i++)
        conn(b, (T0 + 60 * i) * NS, 9, 9, 255, 137, "SF", "Dd", 78);
    struct behave_counters k;
    assert_int_equal(b->ops->flush(b), 0);
    behave_counters(b, &k);
    assert_int_equal(s.nnotices, 0);
    /* only the random pair is ever scored; the burst is too short */
    assert_true(k.pairs_scored >= 1 && k.pairs_scored <= k.beacon_runs);
    output_close(b);
    /* the burst is a beacon when the minimum span allows it */
    char err[128];
    assert_int_equal(behave_getopt(&c, BEHAVE_OPT_BASE + 8, "30", err, sizeof(err)), 1);
    b = open_behave(&s, &c);
    for (int i = 0; i < 30; i++)
        conn(b, (T0 + 2 * i) * NS, 7, 9, 8, 21, "SF", "ShADadFf", 600);
    assert_int_equal(b->ops->flush(b), 0);
    assert_int_equal(s.nnotices, 1);
    output_close(b);
}

static void test_beacon_caps(void **st)
{
    (void)st;
    struct sink s;
    struct behave_config c;
    behave_config_default(&c);
    c.max_pairs = 2;
    c.max_per_pair = 25;
    struct output *b = open_behave(&s, &c);
    for (int i = 0; i < 30; i++)
        conn(b, (T0 + 60 * i) * NS, 5, 9, 9, 443, "SF", "ShADadFf", 300);
    for (unsigned h = 1; h <= 3; h++)
        conn(b, (T0 + 2000) * NS, 6, 9, h, 443, "SF", "ShADadFf", 300);
    struct behave_counters k;
    behave_counters(b, &k);
    assert_int_equal(k.pair_conns_dropped, 5);
    assert_int_equal(k.pairs_full, 2);
    assert_int_equal(b->ops->flush(b), 0);
    assert_int_equal(s.nnotices, 1);
    assert_int_equal(s.notices[0].n, 25);
    output_close(b);
}

/* A beacon keeps being scored while records come (live capture): the
 * pass runs every hour of record time, over the window only. */
static void test_beacon_live(void **st)
{
    (void)st;
    struct sink s;
    struct behave_config c;
    behave_config_default(&c);
    char err[128];
    assert_int_equal(behave_getopt(&c, BEHAVE_OPT_BASE + 6, "3600", err, sizeof(err)), 1);
    struct output *b = open_behave(&s, &c);
    for (int i = 0; i < 150; i++)
        conn(b, (T0 + 60 * i) * NS, 5, 9, 9, 443, "SF", "ShADadFf", 300);
    assert_true(s.nnotices >= 1); /* raised before any flush */
    assert_int_equal(s.flushes, 0);
    assert_true(s.notices[0].n <= 61); /* one hour of it at most */
    output_close(b);
}

static void test_options(void **st)
{
    (void)st;
    struct behave_config c;
    char err[160];
    behave_config_default(&c);
    assert_int_equal(behave_getopt(&c, 'x', "1", err, sizeof(err)), 0);
    assert_int_equal(behave_getopt(&c, BEHAVE_OPT_BASE + 0, "0", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "--scan-hosts"));
    assert_int_equal(behave_getopt(&c, BEHAVE_OPT_BASE + 5, "1.5", err, sizeof(err)), -1);
    assert_int_equal(behave_getopt(&c, BEHAVE_OPT_BASE + 1, "2.5", err, sizeof(err)), -1);
    assert_int_equal(behave_getopt(&c, BEHAVE_OPT_BASE + 5, "0.9", err, sizeof(err)), 1);
    assert_true(c.beacon_score == 0.9);
    assert_int_equal(behave_getopt(&c, BEHAVE_OPT_BASE + 7, NULL, err, sizeof(err)), 1);
    assert_int_equal(c.enabled, 0);
    assert_null(behave_open(&c, NULL, 0, err, sizeof(err)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_score_perfect),   cmocka_unit_test(test_score_known),
        cmocka_unit_test(test_score_random_low), cmocka_unit_test(test_port_scan),
        cmocka_unit_test(test_port_scan_window), cmocka_unit_test(test_address_scan),
        cmocka_unit_test(test_reverse_scan),    cmocka_unit_test(test_scan_key_cap),
        cmocka_unit_test(test_ssh_guessing),    cmocka_unit_test(test_beacon_periodic),
        cmocka_unit_test(test_beacon_not),      cmocka_unit_test(test_beacon_caps),
        cmocka_unit_test(test_beacon_live),     cmocka_unit_test(test_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
