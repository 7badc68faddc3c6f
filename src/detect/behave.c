/*
 * behave.c - the behavioural detectors' output wrapper (behave.h): it
 * forwards every record to the real outputs, shows conn and ssh records
 * to the detectors, and writes what they raise - a notice.log row as
 * Zeek's Notice framework logs it and an alert record (gid 9000) for
 * eve.json - after Zeek's suppression per (note, identifier).  Also the
 * shared bounded hash table and the command-line options.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "detect/alert_record.h"
#include "detect/behave_int.h"
#include "flow/conn_record.h"
#include "store/notice.h"

#define NS 1000000000LL

struct behave {
    struct output base;
    struct behave_config cfg;
    struct output **down;
    int ndown;
    struct behave_scan *scan;
    struct behave_beacon *beacon;
    struct btab suppress;        /* (note, identifier) -> until */
    struct behave_counters ctr;
    int64_t now;                 /* latest record time seen */
    int64_t next_sweep;
    int dirty;                   /* conn records since the last beacon pass */
};

struct supp_node {
    struct bnode n;
    int64_t until;
};

/* ---- the bounded table --------------------------------------------------------- */

int btab_init(struct btab *t, size_t max)
{
    memset(t, 0, sizeof(*t));
    t->nb = 1024;
    t->max = max;
    t->b = calloc(t->nb, sizeof(*t->b));
    core_random_key(t->seed);
    return t->b ? 0 : -1;
}

static uint64_t btab_hash(const struct btab *t, const struct bkey *k)
{
    return core_siphash(t->seed, k, sizeof(*k));
}

struct bnode *btab_find(struct btab *t, const struct bkey *k)
{
    uint64_t h = btab_hash(t, k);
    for (struct bnode *n = t->b[h & (t->nb - 1)]; n; n = n->next)
        if (n->h == h && memcmp(&n->key, k, sizeof(*k)) == 0)
            return n;
    return NULL;
}

static void btab_grow(struct btab *t)
{
    size_t nb = t->nb * 2;
    struct bnode **b = calloc(nb, sizeof(*b));
    if (!b)
        return; /* longer chains, still correct */
    for (size_t i = 0; i < t->nb; i++) {
        struct bnode *n = t->b[i], *next;
        for (; n; n = next) {
            next = n->next;
            n->next = b[n->h & (nb - 1)];
            b[n->h & (nb - 1)] = n;
        }
    }
    free(t->b);
    t->b = b;
    t->nb = nb;
}

struct bnode *btab_add(struct btab *t, const struct bkey *k, size_t size)
{
    if (t->n >= t->max)
        return NULL;
    struct bnode *n = calloc(1, size);
    if (!n)
        return NULL;
    n->key = *k;
    n->h = btab_hash(t, k);
    if (t->n >= t->nb)
        btab_grow(t);
    n->next = t->b[n->h & (t->nb - 1)];
    t->b[n->h & (t->nb - 1)] = n;
    t->n++;
    return n;
}

void btab_sweep(struct btab *t, bool (*drop)(struct bnode *, void *), void *ctx,
                void (*fr)(struct bnode *))
{
    for (size_t i = 0; t->b && i < t->nb; i++) {
        struct bnode **pp = &t->b[i];
        while (*pp) {
            struct bnode *n = *pp;
            if (drop(n, ctx)) {
                *pp = n->next;
                if (fr)
                    fr(n);
                free(n);
                t->n--;
            } else {
                pp = &n->next;
            }
        }
    }
}

static bool drop_all(struct bnode *n, void *ctx)
{
    (void)n, (void)ctx;
    return true;
}

void btab_free(struct btab *t, void (*fr)(struct bnode *))
{
    btab_sweep(t, drop_all, NULL, fr);
    free(t->b);
    t->b = NULL;
}

/* ---- helpers ------------------------------------------------------------------- */

void behave_addr_text(const struct raddr *a, char *buf, size_t n)
{
    if (!a->family || !inet_ntop(a->family == 6 ? AF_INET6 : AF_INET, a->a, buf, (socklen_t)n))
        snprintf(buf, n, "-");
}

const struct behave_config *behave_cfg(const struct behave *b)
{
    return &b->cfg;
}

struct behave_counters *behave_ctr(struct behave *b)
{
    return &b->ctr;
}

/* ---- notices ------------------------------------------------------------------- */

static const struct {
    const char *note, *signature, *category;
    unsigned severity;
} behave_notes[] = {
    [BN_ADDRESS_SCAN] = {"Scan::Address_Scan", "VIGIL BEHAVIOUR Address scan",
                         "Detection of a Network Scan", 3},
    [BN_PORT_SCAN] = {"Scan::Port_Scan", "VIGIL BEHAVIOUR Port scan", "Detection of a Network Scan",
                      3},
    [BN_SSH_GUESSING] = {"SSH::Password_Guessing", "VIGIL BEHAVIOUR SSH password guessing",
                         "Attempted User Privilege Gain", 1},
    [BN_FTP_BRUTEFORCE] = {"FTP::Bruteforcing", "VIGIL BEHAVIOUR FTP brute-forcing",
                           "Attempted User Privilege Gain", 1},
    [BN_BEACON] = {"Vigil::Beacon", "VIGIL BEHAVIOUR Beaconing", "A Network Trojan was detected",
                   1},
};

static int behave_suppressed(struct behave *b, const struct behave_notice *n)
{
    int64_t for_ns = n->suppress_ns ? n->suppress_ns : b->cfg.suppress_ns;
    if (for_ns <= 0)
        return 0;
    struct bkey k = {.kind = (uint8_t)(100 + n->note), .port = n->ident_port};
    if (n->ident) {
        k.fam1 = n->ident->family;
        memcpy(k.a1, n->ident->a, 16);
    }
    if (n->ident2) {
        k.fam2 = n->ident2->family;
        memcpy(k.a2, n->ident2->a, 16);
    }
    struct supp_node *s = (struct supp_node *)btab_find(&b->suppress, &k);
    if (s && n->ts < s->until)
        return 1;
    if (!s)
        s = (struct supp_node *)btab_add(&b->suppress, &k, sizeof(*s));
    if (s)
        s->until = n->ts + for_ns;
    return 0;
}

static void behave_down(struct behave *b, const struct record_hdr *r)
{
    for (int i = 0; i < b->ndown; i++)
        if (output_write(b->down[i], r) < 0 && !b->base.err[0])
            snprintf(b->base.err, sizeof(b->base.err), "%s", b->down[i]->err);
}

static void behave_alert(struct behave *b, const struct behave_notice *n)
{
    struct alert_record a;
    alert_record_init(&a);
    a.ts = n->ts;
    record_set_unset(&a.hdr, AF_UID, true); /* no one session */
    if (n->src)
        a.orig_h = a.src_ip = *n->src;
    if (n->dst)
        a.resp_h = a.dest_ip = *n->dst;
    else
        record_set_unset(&a.hdr, AF_DEST_IP, true);
    if (!n->src)
        record_set_unset(&a.hdr, AF_SRC_IP, true);
    a.dest_port = a.resp_p = n->has_p ? n->p : 0;
    const char *proto = n->proto ? n->proto : "tcp";
    a.proto.p = strcmp(proto, "udp") == 0 ? "UDP" : "TCP";
    a.proto.len = 3;
    a.action.p = "allowed", a.action.len = 7;
    a.gid = BEHAVE_GID, a.sid = (uint64_t)n->note, a.rev = 1;
    a.signature.p = behave_notes[n->note].signature;
    a.signature.len = strlen(a.signature.p);
    a.category.p = behave_notes[n->note].category;
    a.category.len = strlen(a.category.p);
    a.severity = behave_notes[n->note].severity;
    for (int f = AF_ACTION; f <= AF_SEVERITY; f++)
        record_set_unset(&a.hdr, (size_t)f, false);
    char meta[2][200];
    struct rstr mv[2];
    int l0 = snprintf(meta[0], sizeof(meta[0]), "vigil_notice %s", behave_notes[n->note].note);
    int l1 = snprintf(meta[1], sizeof(meta[1]), "vigil_msg %s", n->msg);
    mv[0].p = meta[0], mv[0].len = l0 < 0 ? 0 : (size_t)l0;
    mv[1].p = meta[1];
    mv[1].len = l1 < 0 ? 0 : (size_t)l1 >= sizeof(meta[1]) ? sizeof(meta[1]) - 1 : (size_t)l1;
    a.metadata.v = mv, a.metadata.n = 2;
    record_set_unset(&a.hdr, AF_METADATA, false);
    behave_down(b, &a.hdr);
}

int behave_raise(struct behave *b, const struct behave_notice *n)
{
    if (behave_suppressed(b, n)) {
        b->ctr.suppressed++;
        return 0;
    }
    struct notice_record r;
    notice_record_init(&r);
    r.ts = n->ts;
    record_set_unset(&r.hdr, NF_TS, false);
    notice_record_str(&r, NF_NOTE, behave_notes[n->note].note);
    notice_record_str(&r, NF_MSG, n->msg);
    notice_record_str(&r, NF_SUB, n->sub);
    if (n->src) {
        r.src = *n->src;
        record_set_unset(&r.hdr, NF_SRC, false);
    }
    if (n->dst) {
        r.dst = *n->dst;
        record_set_unset(&r.hdr, NF_DST, false);
    }
    if (n->has_p) {
        r.p = n->p;
        record_set_unset(&r.hdr, NF_P, false);
    }
    if (n->has_n) {
        r.n = n->n;
        record_set_unset(&r.hdr, NF_N, false);
    }
    r.suppress_for = n->suppress_ns ? n->suppress_ns : b->cfg.suppress_ns;
    b->ctr.notices++;
    behave_down(b, &r.hdr);
    behave_alert(b, n);
    return 1;
}

/* ---- the output ---------------------------------------------------------------- */

static bool supp_expired(struct bnode *n, void *ctx)
{
    return ((struct supp_node *)n)->until <= *(int64_t *)ctx;
}

static int behave_write(struct output *out, const struct record_hdr *rec)
{
    struct behave *b = (struct behave *)out;
    b->base.err[0] = '\0';
    behave_down(b, rec);
    if (rec->type == &conn_record_type) {
        const struct conn_record *c = (const struct conn_record *)rec;
        b->ctr.conns_seen++;
        b->dirty = 1;
        int64_t end = c->ts + (record_unset(rec, CONN_DURATION) ? 0 : c->duration);
        if (end > b->now)
            b->now = end;
        behave_scan_conn(b->scan, rec);
        behave_beacon_conn(b->beacon, rec);
    } else if (rec->type->path && strcmp(rec->type->path, "ssh") == 0) {
        behave_scan_ssh(b->scan, rec);
    }
    if (b->now >= b->next_sweep) {
        btab_sweep(&b->suppress, supp_expired, &b->now, NULL);
        b->next_sweep = b->now + 60 * NS;
    }
    return b->base.err[0] ? -1 : 0;
}

static int behave_flush(struct output *out)
{
    struct behave *b = (struct behave *)out;
    b->base.err[0] = '\0';
    behave_beacon_run(b->beacon);
    b->dirty = 0;
    int rc = b->base.err[0] ? -1 : 0;
    for (int i = 0; i < b->ndown; i++)
        if (b->down[i]->ops->flush && b->down[i]->ops->flush(b->down[i]) < 0 && rc == 0) {
            snprintf(b->base.err, sizeof(b->base.err), "%s", b->down[i]->err);
            rc = -1;
        }
    return rc;
}

static int behave_rotate(struct output *out, int64_t now_ns)
{
    struct behave *b = (struct behave *)out;
    for (int i = 0; i < b->ndown; i++)
        if (b->down[i]->ops->rotate && b->down[i]->ops->rotate(b->down[i], now_ns) < 0) {
            snprintf(b->base.err, sizeof(b->base.err), "%s", b->down[i]->err);
            return -1;
        }
    return 0;
}

static void behave_close(struct output *out)
{
    struct behave *b = (struct behave *)out;
    if (b->dirty && b->beacon) /* records after the last flush: a last pass */
        behave_beacon_run(b->beacon);
    behave_scan_free(b->scan);
    behave_beacon_free(b->beacon);
    btab_free(&b->suppress, NULL);
    free(b->down);
    free(b);
}

static const struct output_ops behave_ops = {
    .name = "behaviour", .write = behave_write, .flush = behave_flush, .rotate = behave_rotate,
    .close = behave_close,
};

struct output *behave_open(const struct behave_config *c, struct output *const *down, int ndown,
                           char *err, size_t errlen)
{
    if (!c->enabled)
        return NULL;
    struct behave *b = calloc(1, sizeof(*b));
    if (b)
        b->down = calloc((size_t)(ndown > 0 ? ndown : 1), sizeof(*b->down));
    if (!b || !b->down || btab_init(&b->suppress, 65536) < 0) {
        if (b)
            free(b->down);
        free(b);
        snprintf(err, errlen, "out of memory starting the behaviour detectors");
        return NULL;
    }
    b->base.ops = &behave_ops;
    b->cfg = *c;
    for (int i = 0; i < ndown; i++)
        if (down[i])
            b->down[b->ndown++] = down[i];
    b->scan = behave_scan_new(b);
    b->beacon = behave_beacon_new(b);
    if (!b->scan || !b->beacon) {
        behave_close(&b->base);
        snprintf(err, errlen, "out of memory starting the behaviour detectors");
        return NULL;
    }
    return &b->base;
}

void behave_counters(const struct output *o, struct behave_counters *ctr)
{
    *ctr = ((const struct behave *)o)->ctr;
}

/* ---- configuration ------------------------------------------------------------- */

void behave_config_default(struct behave_config *c)
{
    memset(c, 0, sizeof(*c));
    c->enabled = 1;
    c->scan_hosts = 25;
    c->scan_ports = 15;
    c->scan_window_ns = 300 * NS;
    c->ssh_guesses = 30;
    c->ssh_window_ns = 1800 * NS;
    c->beacon_min_conns = 20;
    c->beacon_score = 0.8;
    c->beacon_window_ns = 86400 * NS;
    c->beacon_min_span_ns = 600 * NS;
    c->beacon_every_ns = 3600 * NS;
    c->max_scan_keys = 65536;
    c->max_pairs = 65536;
    c->max_per_pair = 4096;
    c->suppress_ns = NOTICE_SUPPRESS_NS;
}

const char behave_usage[] =
    "      --scan-hosts N      address sweep: failed connections from one source to N\n"
    "                          distinct hosts on one port (default 25, Zeek's)\n"
    "      --scan-ports N      port scan: to N distinct ports of one host (default 15)\n"
    "      --scan-window SEC   window of both scan counts (default 300)\n"
    "      --ssh-guesses N     SSH password guessing: N failed logins (default 30)\n"
    "      --beacon-min-conns N  connections of a pair before its beacon score (default 20)\n"
    "      --beacon-score X    beacon notice at or above score X, 0..1 (default 0.8)\n"
    "      --beacon-window SEC sliding beacon window (default 86400)\n"
    "      --beacon-min-span SEC  a pair's connections must span SEC (default 600)\n"
    "      --no-behaviour      no scan, guessing or beacon notices (docs/behaviour.md)\n";

static int behave_num(const char *arg, double lo, double hi, double *v)
{
    char *end;
    errno = 0;
    *v = strtod(arg, &end);
    return errno || end == arg || *end || !isfinite(*v) || *v < lo || *v > hi ? -1 : 0;
}

int behave_getopt(struct behave_config *c, int opt, const char *arg, char *err, size_t errlen)
{
    static const char *const names[] = {"scan-hosts", "scan-ports", "scan-window",
                                        "ssh-guesses", "beacon-min-conns", "beacon-score",
                                        "beacon-window", "no-behaviour", "beacon-min-span"};
    int i = opt - BEHAVE_OPT_BASE;
    if (i < 0 || i > 8)
        return 0;
    if (i == 7) {
        c->enabled = 0;
        return 1;
    }
    double v;
    int secs = i == 2 || i == 6 || i == 8;
    double hi = i == 5 ? 1.0 : secs ? 30.0 * 86400 : 1000000;
    double lo = i == 5 || i == 8 ? 0.0 : i == 4 ? 4 : 1;
    if (behave_num(arg, lo, hi, &v) < 0 || (i != 5 && !secs && v != floor(v))) {
        snprintf(err, errlen, "--%s wants a number from %g to %g, not '%s'", names[i], lo, hi,
                 arg);
        return -1;
    }
    switch (i) {
    case 0: c->scan_hosts = (unsigned)v; break;
    case 1: c->scan_ports = (unsigned)v; break;
    case 2: c->scan_window_ns = (int64_t)(v * NS); break;
    case 3: c->ssh_guesses = (unsigned)v; break;
    case 4: c->beacon_min_conns = (unsigned)v; break;
    case 5: c->beacon_score = v; break;
    case 6: c->beacon_window_ns = (int64_t)(v * NS); break;
    case 8: c->beacon_min_span_ns = (int64_t)(v * NS); break;
    }
    return 1;
}
