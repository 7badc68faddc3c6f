/*
 * behave_beacon.c - beaconing between a pair of hosts, scored as RITA's
 * beacon analysis scores it (activecm/rita, v4 "analysis/beacon").
 *
 * Every answered conn record adds (start time, orig_ip_bytes) to its
 * (orig, resp) pair; failed attempts (S0, REJ, ... - the scan detector's)
 * and multicast and IPv4 x.x.x.255 destinations are left out (scans and
 * service discovery chatter, not C2).  A pair's series must also last
 * beacon_min_span: RITA scores a day of logs, where a burst of automated
 * requests a few seconds apart cannot look like a series; in a short
 * capture it would, and this keeps such bursts out.  A scoring pass - at flush (end of input)
 * and every beacon_every of record time - drops what is older than the
 * sliding window and scores each pair with at least beacon_min_conns
 * connections:
 *   deltas of the sorted unique start times (whole seconds):
 *     Bowley skew (Q1 + Q3 - 2 Q2) / (Q3 - Q1), 0 when Q3 = Q1, Q2 = Q1
 *     or Q2 = Q3; skew score 1 - |skew|
 *     MADM (median of |delta - median|): score 1 - MADM/30 s, floor 0
 *     connection count: conns / (span / 10 s), at most 1 (span: the time
 *     the analysed data covers)
 *   sizes (orig_ip_bytes, sorted): skew as above, MADM score 1 - MADM/32
 *     bytes, smallness 1 - mode/65535
 *   ts score, ds score: the mean of their three; score the mean of all six,
 *   each rounded up to 3 decimals.  Quantiles are RITA's: element
 *   round(q * (n - 1)) of the sorted list.
 * A pair scoring at least beacon_score is a Vigil::Beacon notice,
 * suppressed per pair for the window.  Memory: max_pairs pairs, at most
 * max_per_pair connections each and BEACON_MAX_ENTRIES in all; what is
 * turned away is counted.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/behave_int.h"
#include "flow/conn_record.h"

#define NS 1000000000LL
#define BEACON_MAX_ENTRIES (4u << 20) /* 64 MiB of (time, size) pairs */

struct bentry {
    int64_t ts;     /* ns */
    int64_t bytes;  /* orig_ip_bytes */
};

struct pnode {
    struct bnode n;
    struct bentry *e;
    uint32_t ne, cap;
};

struct behave_beacon {
    struct behave *b;
    struct btab pairs;
    size_t entries;
    int64_t first, now, next_run;
    int64_t *tsbuf, *szbuf, *devbuf; /* scratch of max_per_pair */
};

/* ---- the score ----------------------------------------------------------------- */

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static size_t qidx(double q, size_t n)
{
    return (size_t)lround(q * (double)(n - 1));
}

/* Bowley skew and MADM of sorted v[0..n-1] (dev: scratch of n). */
static void skew_madm(const int64_t *v, size_t n, int64_t *dev, double *skew, int64_t *madm,
                      int64_t *mid_out)
{
    int64_t lo = v[qidx(.25, n)], mid = v[qidx(.5, n)], hi = v[qidx(.75, n)];
    int64_t num = lo + hi - 2 * mid, den = hi - lo;
    *skew = den != 0 && mid != lo && mid != hi ? (double)num / (double)den : 0.0;
    for (size_t i = 0; i < n; i++)
        dev[i] = v[i] > mid ? v[i] - mid : mid - v[i];
    qsort(dev, n, sizeof(*dev), cmp_i64);
    *madm = dev[qidx(.5, n)];
    *mid_out = mid;
}

/* The most frequent value of sorted v (the smallest on a tie). */
static int64_t mode_of(const int64_t *v, size_t n)
{
    int64_t mode = v[0];
    size_t best = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && v[j] == v[i])
            j++;
        if (j - i > best) {
            best = j - i;
            mode = v[i];
        }
        i = j;
    }
    return mode;
}

static double clamp01(double x)
{
    return x < 0 ? 0 : x > 1 ? 1 : x;
}

static double ceil3(double x)
{
    /* 1e-9 absorbs the float error of a sum that is exactly k/1000 */
    return ceil(x * 1000.0 - 1e-9) / 1000.0;
}

void behave_beacon_score(const int64_t *ts, size_t n_ts, const int64_t *sizes, size_t n_sizes,
                         uint64_t conns, double span_s, struct beacon_score *o)
{
    memset(o, 0, sizeof(*o));
    if (n_ts < 2 || n_sizes < 1)
        return;
    size_t nd = n_ts - 1, nmax = nd > n_sizes ? nd : n_sizes;
    int64_t *diff = malloc(nd * sizeof(*diff)), *dev = malloc(nmax * sizeof(*dev));
    if (!diff || !dev) {
        free(diff);
        free(dev);
        return;
    }
    for (size_t i = 0; i < nd; i++)
        diff[i] = ts[i + 1] - ts[i];
    qsort(diff, nd, sizeof(*diff), cmp_i64);
    double tskew, dskew;
    int64_t tmadm, dmadm, tmid, dmid;
    skew_madm(diff, nd, dev, &tskew, &tmadm, &tmid);
    skew_madm(sizes, n_sizes, dev, &dskew, &dmadm, &dmid);
    o->interval = tmid;
    o->size = mode_of(sizes, n_sizes);
    o->ts_skew = clamp01(1.0 - fabs(tskew));
    o->ts_madm = clamp01(1.0 - (double)tmadm / 30.0);
    o->ts_conns = span_s > 0 ? clamp01((double)conns / (span_s / 10.0)) : 1.0;
    o->ds_skew = clamp01(1.0 - fabs(dskew));
    o->ds_madm = clamp01(1.0 - (double)dmadm / 32.0);
    o->ds_small = clamp01(1.0 - (double)o->size / 65535.0);
    double tsum = o->ts_skew + o->ts_madm + o->ts_conns;
    double dsum = o->ds_skew + o->ds_madm + o->ds_small;
    o->ts_score = ceil3(tsum / 3.0);
    o->ds_score = ceil3(dsum / 3.0);
    o->score = ceil3((tsum + dsum) / 6.0);
    free(diff);
    free(dev);
}

/* ---- pairs --------------------------------------------------------------------- */

struct behave_beacon *behave_beacon_new(struct behave *b)
{
    const struct behave_config *c = behave_cfg(b);
    struct behave_beacon *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->b = b;
    size_t m = c->max_per_pair ? c->max_per_pair : 1;
    s->tsbuf = malloc(m * sizeof(int64_t));
    s->szbuf = malloc(m * sizeof(int64_t));
    s->devbuf = malloc(m * sizeof(int64_t));
    if (!s->tsbuf || !s->szbuf || !s->devbuf || btab_init(&s->pairs, c->max_pairs) < 0) {
        behave_beacon_free(s);
        return NULL;
    }
    s->first = INT64_MAX;
    s->next_run = INT64_MIN;
    return s;
}

static void pnode_free(struct bnode *n)
{
    free(((struct pnode *)n)->e);
}

void behave_beacon_free(struct behave_beacon *s)
{
    if (!s)
        return;
    if (s->pairs.b)
        btab_free(&s->pairs, pnode_free);
    free(s->tsbuf);
    free(s->szbuf);
    free(s->devbuf);
    free(s);
}

static bool beacon_skip_dst(const struct raddr *a)
{
    if (a->family == 6)
        return a->a[0] == 0xff;
    return a->family != 4 || (a->a[0] & 0xf0) == 0xe0 || a->a[3] == 255;
}

/* Drops the entries of n older than cutoff; the number left. */
static uint32_t pair_trim(struct behave_beacon *s, struct pnode *n, int64_t cutoff)
{
    uint32_t k = 0;
    for (uint32_t i = 0; i < n->ne; i++)
        if (n->e[i].ts >= cutoff)
            n->e[k++] = n->e[i];
    s->entries -= n->ne - k;
    n->ne = k;
    return k;
}

/* The responder answered: not a failed attempt (S0, REJ, RSTOS0, RSTRH,
 * SH, SHR, OTH without a reply), which belongs to the scan detector. */
static bool conn_answered(const struct conn_record *c)
{
    if (record_unset(&c->hdr, CONN_CONN_STATE))
        return false;
    static const char *const failed[] = {"S0", "REJ", "RSTOS0", "RSTRH", "SH", "SHR"};
    for (size_t i = 0; i < sizeof(failed) / sizeof(failed[0]); i++)
        if (c->conn_state.len == strlen(failed[i]) &&
            memcmp(c->conn_state.p, failed[i], c->conn_state.len) == 0)
            return false;
    return record_unset(&c->hdr, CONN_RESP_PKTS) || c->resp_pkts > 0;
}

void behave_beacon_conn(struct behave_beacon *s, const struct record_hdr *rec)
{
    const struct conn_record *c = (const struct conn_record *)rec;
    const struct behave_config *cfg = behave_cfg(s->b);
    struct behave_counters *ctr = behave_ctr(s->b);
    if (c->ts < s->first)
        s->first = c->ts;
    int64_t end = c->ts + (record_unset(rec, CONN_DURATION) ? 0 : c->duration);
    if (end > s->now)
        s->now = end;
    if (s->next_run == INT64_MIN)
        s->next_run = s->now + cfg->beacon_every_ns;
    if (beacon_skip_dst(&c->resp_h) || !c->orig_h.family || !conn_answered(c))
        goto maybe_run;
    struct bkey k = {.kind = 1, .fam1 = c->orig_h.family, .fam2 = c->resp_h.family};
    memcpy(k.a1, c->orig_h.a, 16);
    memcpy(k.a2, c->resp_h.a, 16);
    struct pnode *n = (struct pnode *)btab_find(&s->pairs, &k);
    if (!n && !(n = (struct pnode *)btab_add(&s->pairs, &k, sizeof(*n)))) {
        ctr->pairs_full++;
        goto maybe_run;
    }
    if (n->ne == n->cap) {
        uint32_t left = n->ne >= cfg->max_per_pair
                            ? pair_trim(s, n, s->now - cfg->beacon_window_ns) : n->ne;
        if (left >= cfg->max_per_pair) {
            ctr->pair_conns_dropped++;
            goto maybe_run;
        }
        if (left == n->cap) {
            uint32_t cap = n->cap ? n->cap * 2 : 4;
            if (cap > cfg->max_per_pair)
                cap = (uint32_t)cfg->max_per_pair;
            struct bentry *e = realloc(n->e, cap * sizeof(*e));
            if (!e) {
                ctr->pair_conns_dropped++;
                goto maybe_run;
            }
            n->e = e, n->cap = cap;
        }
    }
    if (s->entries >= BEACON_MAX_ENTRIES) {
        ctr->pair_conns_dropped++;
        goto maybe_run;
    }
    n->e[n->ne].ts = c->ts;
    n->e[n->ne].bytes = record_unset(rec, CONN_ORIG_IP_BYTES) ? 0 : (int64_t)c->orig_ip_bytes;
    n->ne++;
    s->entries++;
maybe_run:
    if (s->now >= s->next_run) {
        behave_beacon_run(s);
        s->next_run = s->now + cfg->beacon_every_ns;
    }
}

static void pair_notice(struct behave_beacon *s, struct pnode *n, const struct beacon_score *sc)
{
    char src[64], dst[64], msg[256], sub[256];
    struct raddr a, b;
    a.family = n->n.key.fam1, b.family = n->n.key.fam2;
    memcpy(a.a, n->n.key.a1, 16);
    memcpy(b.a, n->n.key.a2, 16);
    behave_addr_text(&a, src, sizeof(src));
    behave_addr_text(&b, dst, sizeof(dst));
    snprintf(msg, sizeof(msg),
             "%s beacons to %s: score %.3f over %u connections, interval %llds, size %lld bytes",
             src, dst, sc->score, n->ne, (long long)sc->interval, (long long)sc->size);
    snprintf(sub, sizeof(sub),
             "ts %.3f (skew %.3f, madm %.3f, conns %.3f), ds %.3f (skew %.3f, madm %.3f, "
             "small %.3f)", sc->ts_score, sc->ts_skew, sc->ts_madm, sc->ts_conns, sc->ds_score,
             sc->ds_skew, sc->ds_madm, sc->ds_small);
    const struct behave_config *cfg = behave_cfg(s->b);
    struct behave_notice bn = {.note = BN_BEACON, .ts = s->now, .msg = msg, .sub = sub,
                               .src = &a, .dst = &b, .ident = &a, .ident2 = &b, .has_n = 1,
                               .n = n->ne, .suppress_ns = cfg->beacon_window_ns};
    behave_raise(s->b, &bn);
}

static bool pair_empty(struct bnode *n, void *ctx)
{
    (void)ctx;
    return ((struct pnode *)n)->ne == 0;
}

static void pair_score(struct behave_beacon *s, struct pnode *n, int64_t cutoff, double span_s)
{
    const struct behave_config *cfg = behave_cfg(s->b);
    if (pair_trim(s, n, cutoff) < cfg->beacon_min_conns)
        return;
    size_t nt = 0;
    for (uint32_t i = 0; i < n->ne; i++) {
        s->tsbuf[i] = n->e[i].ts / NS;
        s->szbuf[i] = n->e[i].bytes;
    }
    qsort(s->tsbuf, n->ne, sizeof(int64_t), cmp_i64);
    qsort(s->szbuf, n->ne, sizeof(int64_t), cmp_i64);
    for (uint32_t i = 0; i < n->ne; i++)
        if (nt == 0 || s->tsbuf[i] != s->tsbuf[nt - 1])
            s->tsbuf[nt++] = s->tsbuf[i];
    if (nt < 4 || (s->tsbuf[nt - 1] - s->tsbuf[0]) * NS < cfg->beacon_min_span_ns)
        return; /* a burst, not a series */
    struct beacon_score sc;
    behave_beacon_score(s->tsbuf, nt, s->szbuf, n->ne, n->ne, span_s, &sc);
    behave_ctr(s->b)->pairs_scored++;
    if (sc.score >= cfg->beacon_score)
        pair_notice(s, n, &sc);
}

void behave_beacon_run(struct behave_beacon *s)
{
    const struct behave_config *cfg = behave_cfg(s->b);
    if (s->first == INT64_MAX)
        return;
    behave_ctr(s->b)->beacon_runs++;
    int64_t cutoff = s->now - cfg->beacon_window_ns;
    int64_t from = s->first > cutoff ? s->first : cutoff;
    double span_s = (double)(s->now - from) / (double)NS;
    for (size_t i = 0; i < s->pairs.nb; i++)
        for (struct bnode *bn = s->pairs.b[i]; bn; bn = bn->next)
            pair_score(s, (struct pnode *)bn, cutoff, span_s);
    btab_sweep(&s->pairs, pair_empty, NULL, pnode_free);
}
