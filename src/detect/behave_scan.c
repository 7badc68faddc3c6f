/*
 * behave_scan.c - scan and password-guessing detection over finished
 * records, as Zeek's policy/misc/scan.zeek and
 * policy/protocols/ssh/detect-bruteforcing.zeek decide it.
 *
 * A failed TCP attempt (conn_state S0 or REJ, or RSTO after a SYN with no
 * data either way; the same with the roles swapped when the history says
 * the responder is the one that scanned) is observed twice:
 *   Address_Scan  key (scanner, port)   -> set of victims
 *   Port_Scan     key (scanner, victim) -> set of ports
 * and an ssh.log row with auth_success=F once under key (client).  A key's
 * window opens at its first observation and lasts scan_window (Zeek's
 * SumStats epoch); the notice is raised when the distinct count (for SSH
 * the number of failures) reaches the threshold, once per window, and the
 * notice layer suppresses (note, scanner) for an hour as Zeek does.  Sets
 * are exact, capped at threshold + 2 members (Zeek's unique_max); the key
 * table is capped at max_scan_keys and what it turns away is counted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/behave_int.h"
#include "flow/conn_record.h"

#define NS 1000000000LL

enum { SK_ADDR = 1, SK_PORT = 2, SK_SSH = 3 };

struct sitem {
    uint8_t a[16];
    uint16_t port;
    uint8_t fam;
};

struct snode {
    struct bnode n;
    int64_t begin, end;
    uint32_t count;      /* observations (SSH: failures) */
    uint32_t nitems;     /* distinct members held (<= cap) */
    uint32_t cap;
    uint8_t crossed, local, proto_udp;
    struct sitem items[]; /* victims, ports, or sampled servers (SSH) */
};

struct behave_scan {
    struct behave *b;
    struct btab keys;
    int64_t next_sweep, now;
    const struct record_type *ssh_type;
    int ssh_auth; /* index of auth_success in ssh_type */
};

struct behave_scan *behave_scan_new(struct behave *b)
{
    struct behave_scan *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->b = b;
    if (btab_init(&s->keys, behave_cfg(b)->max_scan_keys) < 0) {
        free(s);
        return NULL;
    }
    s->ssh_auth = -1;
    return s;
}

void behave_scan_free(struct behave_scan *s)
{
    if (!s)
        return;
    btab_free(&s->keys, NULL);
    free(s);
}

static void mins_secs(int64_t ns, char *buf, size_t n)
{
    /* Zeek's duration_to_mins_secs: whole seconds, truncated */
    long long s = ns > 0 ? (long long)(ns / NS) : 0;
    snprintf(buf, n, "%lldm%llds", s / 60, s % 60);
}

static void addr_of(struct raddr *a, uint8_t fam, const uint8_t *bytes)
{
    a->family = fam;
    memcpy(a->a, bytes, 16);
}

static bool window_over(struct bnode *bn, void *ctx)
{
    const struct behave_scan *s = ctx;
    const struct snode *n = (const struct snode *)bn;
    const struct behave_config *c = behave_cfg(s->b);
    int64_t w = n->n.key.kind == SK_SSH ? c->ssh_window_ns : c->scan_window_ns;
    return n->end + w < s->now && n->begin + w < s->now;
}

/* The key's node, its window restarted when t is past it; NULL when the
 * table is full (counted). */
static struct snode *scan_node(struct behave_scan *s, const struct bkey *k, uint32_t cap,
                               int64_t window, int64_t t)
{
    if (t > s->now)
        s->now = t;
    if (s->now >= s->next_sweep) {
        btab_sweep(&s->keys, window_over, s, NULL);
        s->next_sweep = s->now + 30 * NS;
    }
    struct snode *n = (struct snode *)btab_find(&s->keys, k);
    if (!n) {
        n = (struct snode *)btab_add(&s->keys, k, sizeof(*n) + cap * sizeof(struct sitem));
        if (!n) {
            behave_ctr(s->b)->scan_keys_full++;
            return NULL;
        }
        n->cap = cap;
        n->begin = n->end = t;
    } else if (t > n->begin + window) {
        n->begin = n->end = t;
        n->count = n->nitems = 0;
        n->crossed = 0;
    }
    if (t < n->begin)
        n->begin = t;
    if (t > n->end)
        n->end = t;
    return n;
}

/* Adds the member; the distinct count after it. */
static uint32_t scan_add(struct snode *n, const struct sitem *it)
{
    n->count++;
    for (uint32_t i = 0; i < n->nitems; i++)
        if (memcmp(&n->items[i], it, sizeof(*it)) == 0)
            return n->nitems;
    if (n->nitems < n->cap)
        n->items[n->nitems++] = *it;
    return n->nitems;
}

static void scan_notice(struct behave_scan *s, struct snode *n, int kind, uint32_t uniq,
                        int64_t t)
{
    char src[64], other[64], dur[32], msg[256];
    struct raddr scanner, victim;
    addr_of(&scanner, n->n.key.fam1, n->n.key.a1);
    behave_addr_text(&scanner, src, sizeof(src));
    mins_secs(n->end - n->begin, dur, sizeof(dur));
    struct behave_notice bn = {.ts = t, .src = &scanner, .ident = &scanner,
                               .sub = n->local ? "local" : "remote", .msg = msg,
                               .proto = n->proto_udp ? "udp" : "tcp"};
    if (kind == SK_ADDR) {
        snprintf(msg, sizeof(msg), "%s scanned at least %u unique hosts on port %u/%s in %s", src,
                 uniq, (unsigned)n->n.key.port, bn.proto, dur);
        bn.note = BN_ADDRESS_SCAN;
        bn.has_p = 1;
        bn.p = n->n.key.port;
    } else {
        addr_of(&victim, n->n.key.fam2, n->n.key.a2);
        behave_addr_text(&victim, other, sizeof(other));
        snprintf(msg, sizeof(msg), "%s scanned at least %u unique ports of host %s in %s", src,
                 uniq, other, dur);
        bn.note = BN_PORT_SCAN;
        bn.dst = &victim;
    }
    behave_raise(s->b, &bn);
}

static void scan_observe(struct behave_scan *s, const struct raddr *scanner,
                         const struct raddr *victim, uint16_t port, bool local, int64_t t)
{
    const struct behave_config *c = behave_cfg(s->b);
    behave_ctr(s->b)->scan_attempts++;
    for (int kind = SK_ADDR; kind <= SK_PORT; kind++) {
        unsigned thr = kind == SK_ADDR ? c->scan_hosts : c->scan_ports;
        struct bkey k = {.kind = (uint8_t)kind, .fam1 = scanner->family};
        memcpy(k.a1, scanner->a, 16);
        struct sitem it = {.fam = 0};
        if (kind == SK_ADDR) {
            k.port = port;
            it.fam = victim->family;
            memcpy(it.a, victim->a, 16);
        } else {
            k.fam2 = victim->family;
            memcpy(k.a2, victim->a, 16);
            it.port = port;
        }
        struct snode *n = scan_node(s, &k, thr + 2, c->scan_window_ns, t);
        if (!n)
            continue;
        n->local = local;
        uint32_t uniq = scan_add(n, &it);
        if (!n->crossed && uniq >= thr) {
            n->crossed = 1;
            scan_notice(s, n, kind, uniq, t);
        }
    }
}

static bool has_char(const struct rstr *s, const char *set)
{
    for (size_t i = 0; i < s->len; i++)
        if (strchr(set, s->p[i]))
            return true;
    return false;
}

static bool state_is(const struct rstr *s, const char *v)
{
    return s->len == strlen(v) && memcmp(s->p, v, s->len) == 0;
}

void behave_scan_conn(struct behave_scan *s, const struct record_hdr *rec)
{
    const struct conn_record *c = (const struct conn_record *)rec;
    if (record_unset(rec, CONN_CONN_STATE) || !state_is(&c->proto, "tcp"))
        return;
    static const struct rstr none = {"", 0};
    const struct rstr *h = record_unset(rec, CONN_HISTORY) ? &none : &c->history;
    const struct rstr *st = &c->conn_state;
    int dir = 0; /* 1 forward (orig scanned), -1 reverse */
    if (state_is(st, "S0"))
        dir = has_char(h, "H") ? -1 : 1;
    else if (state_is(st, "REJ"))
        dir = has_char(h, "s") ? -1 : 1;
    else if (state_is(st, "RSTO") && has_char(h, "S") && !has_char(h, "Dd"))
        dir = 1;
    else if (state_is(st, "RSTR") && has_char(h, "Hs") && !has_char(h, "Dd"))
        dir = -1;
    if (!dir)
        return;
    int64_t t = c->ts + (record_unset(rec, CONN_DURATION) ? 0 : c->duration);
    if (dir > 0)
        scan_observe(s, &c->orig_h, &c->resp_h, (uint16_t)c->resp_p,
                     !record_unset(rec, CONN_LOCAL_ORIG) && c->local_orig, t);
    else
        scan_observe(s, &c->resp_h, &c->orig_h, (uint16_t)c->orig_p,
                     !record_unset(rec, CONN_LOCAL_RESP) && c->local_resp, t);
}

/* ---- SSH password guessing ------------------------------------------------------ */

#define SSH_SAMPLES 5 /* Zeek's num_samples */

static void ssh_notice(struct behave_scan *s, struct snode *n, int64_t t)
{
    char src[64], msg[160], sub[64 + SSH_SAMPLES * 48], one[64];
    struct raddr guesser, srv;
    addr_of(&guesser, n->n.key.fam1, n->n.key.a1);
    behave_addr_text(&guesser, src, sizeof(src));
    snprintf(msg, sizeof(msg), "%s appears to be guessing SSH passwords (seen in %u connections).",
             src, n->count);
    /* Zeek: fmt("%s%s %s", sub_msg, i==0 ? "":",", sample) per sample */
    size_t len = (size_t)snprintf(sub, sizeof(sub), "Sampled servers: ");
    for (uint32_t i = 0; i < n->nitems && len < sizeof(sub); i++) {
        addr_of(&srv, n->items[i].fam, n->items[i].a);
        behave_addr_text(&srv, one, sizeof(one));
        len += (size_t)snprintf(sub + len, sizeof(sub) - len, "%s %s", i == 0 ? "" : ",", one);
    }
    struct behave_notice bn = {.note = BN_SSH_GUESSING, .ts = t, .msg = msg, .sub = sub,
                               .src = &guesser, .ident = &guesser, .proto = "tcp"};
    behave_raise(s->b, &bn);
}

void behave_scan_ssh(struct behave_scan *s, const struct record_hdr *rec)
{
    if (rec->type != s->ssh_type) {
        s->ssh_type = rec->type;
        s->ssh_auth = record_field_index(rec->type, "auth_success");
        if (s->ssh_auth >= 0 && rec->type->fields[s->ssh_auth].type != RT_BOOL)
            s->ssh_auth = -1;
    }
    int ts_f = 0, oh = 2, rh = 4; /* ts, id.orig_h, id.resp_h lead every Zeek log */
    if (s->ssh_auth < 0 || record_unset(rec, (size_t)s->ssh_auth) ||
        *(const bool *)record_field_ptr(rec, (size_t)s->ssh_auth) ||
        rec->type->fields[oh].type != RT_ADDR || rec->type->fields[rh].type != RT_ADDR)
        return;
    const struct behave_config *c = behave_cfg(s->b);
    const struct raddr *orig = record_field_ptr(rec, (size_t)oh);
    const struct raddr *resp = record_field_ptr(rec, (size_t)rh);
    int64_t t = *(const int64_t *)record_field_ptr(rec, (size_t)ts_f);
    behave_ctr(s->b)->ssh_failures++;
    struct bkey k = {.kind = SK_SSH, .fam1 = orig->family};
    memcpy(k.a1, orig->a, 16);
    struct snode *n = scan_node(s, &k, SSH_SAMPLES, c->ssh_window_ns, t);
    if (!n)
        return;
    n->count++;
    if (n->nitems < SSH_SAMPLES) { /* the first samples (Zeek: reservoir sampling) */
        struct sitem it = {.fam = resp->family};
        memcpy(it.a, resp->a, 16);
        n->items[n->nitems++] = it;
    }
    if (!n->crossed && n->count >= c->ssh_guesses) {
        n->crossed = 1;
        ssh_notice(s, n, t);
    }
}
