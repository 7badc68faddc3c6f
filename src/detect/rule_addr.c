/*
 * rule_addr.c - the address and port sets of a rule header, and the
 * variables ($HOME_NET, $HTTP_PORTS, ...) they may name.
 *
 * Follows the Suricata rules reference ("Source and destination",
 * "Ports").  Grammar (both sets):
 *
 *     set   := "any" | item
 *     item  := "!" item | "[" item ("," item)* "]" | "$" NAME | atom
 *     addr atom := IPv4 ["/" (prefix | netmask)] | IPv6 ["/" prefix]
 *                | IP "-" IP | "any"
 *     port atom := N | N ":" M | N ":" | ":" M | "any"
 *
 * A set compiles to two lists of numeric ranges: the ranges that match
 * (pos; empty means any) and the ranges excluded (neg).  A negation flips
 * which list an item lands in, so "![a, !b]" puts a in neg and b in pos.
 * Variables expand recursively, at most RULE_VAR_DEPTH_MAX deep (a loop
 * "A: $A" is an error, not a hang), and a set holds at most
 * RULE_ADDR_ITEMS_MAX ranges.
 *
 * Most rules name the same few sets ("$HOME_NET", "$EXTERNAL_NET",
 * "$HTTP_PORTS"): the ruleset keeps one parsed copy per short set text
 * (and variables' generation) and rules point at it (RULE_SHARED_*), which
 * spared ET Open's 24,764 rules ~48,000 range arrays (~7 MB of heap).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "detect/rule_int.h"

const char *rule_vars_get(const struct rule_vars *v, const char *name)
{
    for (size_t i = 0; i < v->n; i++)
        if (strcmp(v->v[i].name, name) == 0)
            return v->v[i].value;
    return NULL;
}

int rule_vars_set(struct rule_vars *v, const char *name, const char *value)
{
    char *val = rule_strndup(value, strlen(value));
    if (!val)
        return -1;
    for (size_t i = 0; i < v->n; i++) {
        if (strcmp(v->v[i].name, name) == 0) {
            free(v->v[i].value);
            v->v[i].value = val;
            v->gen++;
            return 0;
        }
    }
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 32;
        struct rule_var *nv = realloc(v->v, cap * sizeof *nv);
        if (!nv) {
            free(val);
            return -1;
        }
        v->v = nv;
        v->cap = cap;
    }
    v->v[v->n].name = rule_strndup(name, strlen(name));
    if (!v->v[v->n].name) {
        free(val);
        return -1;
    }
    v->v[v->n++].value = val;
    v->gen++;
    return 0;
}

void rule_vars_free(struct rule_vars *v)
{
    for (size_t i = 0; i < v->n; i++) {
        free(v->v[i].name);
        free(v->v[i].value);
    }
    free(v->v);
    memset(v, 0, sizeof *v);
}

/* A generic growing array of fixed-size items, capped. */
static int range_push(void **arr, uint32_t *n, size_t size, const void *item)
{
    if (*n >= RULE_ADDR_ITEMS_MAX)
        return -1;
    if ((*n & (*n - 1)) == 0) { /* n is 0 or a power of two: grow */
        size_t cap = *n ? (size_t)*n * 2 : 4;
        void *na = realloc(*arr, cap * size);
        if (!na)
            return -1;
        *arr = na;
    }
    memcpy((char *)*arr + (size_t)*n * size, item, size);
    (*n)++;
    return 0;
}

/* Iterate over the comma-separated items of a "[...]" group (text without
 * the brackets), respecting nested brackets.  Calls fn on each. */
static int group_each(const char *s, size_t len, int (*fn)(void *ctx, const char *item, size_t n),
                      void *ctx)
{
    int depth = 0;
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        char c = i < len ? s[i] : ',';
        if (c == '[')
            depth++;
        else if (c == ']')
            depth--;
        if (depth < 0)
            return -1;
        if (c == ',' && depth == 0) {
            if (fn(ctx, s + start, i - start) < 0)
                return -1;
            start = i + 1;
        }
    }
    return depth == 0 ? 0 : -1;
}

/* ---- shared recursive walker ----------------------------------------- */

struct set_walk {
    const struct ruleset *rs;
    int is_port;
    int neg;
    int depth; /* $VAR expansions */
    int nest;  /* '!' and '[' nesting */
    void *set;
    char *err;
    size_t errlen;
};

static int atom_addr(struct set_walk *w, const char *s);
static int atom_port(struct set_walk *w, const char *s);

static int walk_item(void *ctx, const char *item, size_t n);

static int walk_text(struct set_walk *w, const char *s, size_t n)
{
    while (n > 0 && isspace((unsigned char)*s)) {
        s++;
        n--;
    }
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        n--;
    if (n == 0) {
        snprintf(w->err, w->errlen, "empty %s in a list", w->is_port ? "port" : "address");
        return -1;
    }
    if (n >= 4096 && s[0] != '[' && s[0] != '!') {
        snprintf(w->err, w->errlen, "%s item too long", w->is_port ? "port" : "address");
        return -1;
    }
    if ((s[0] == '!' || s[0] == '[') && w->nest >= 64) {
        snprintf(w->err, w->errlen, "'!' and '[' nest more than 64 deep");
        return -1;
    }
    if (s[0] == '!') {
        w->nest++;
        w->neg = !w->neg;
        int rc = walk_text(w, s + 1, n - 1);
        w->neg = !w->neg;
        w->nest--;
        return rc;
    }
    if (s[0] == '[') {
        if (s[n - 1] != ']') {
            snprintf(w->err, w->errlen, "unbalanced '[' in '%.60s'", s);
            return -1;
        }
        w->nest++;
        int rc = group_each(s + 1, n - 2, walk_item, w);
        w->nest--;
        if (rc < 0 && !w->err[0])
            snprintf(w->err, w->errlen, "bad list '%.60s'", s);
        return rc;
    }
    char tok[4096];
    memcpy(tok, s, n);
    tok[n] = '\0';
    if (tok[0] == '$') {
        const char *val = rule_vars_get(&w->rs->vars, tok + 1);
        if (!val) {
            snprintf(w->err, w->errlen, "undefined variable '%.60s'", tok);
            return -1;
        }
        if (w->depth >= RULE_VAR_DEPTH_MAX) {
            snprintf(w->err, w->errlen, "variable '%.60s' nests too deep (a loop?)", tok);
            return -1;
        }
        w->depth++;
        int rc = walk_text(w, val, strlen(val));
        w->depth--;
        return rc;
    }
    return w->is_port ? atom_port(w, tok) : atom_addr(w, tok);
}

static int walk_item(void *ctx, const char *item, size_t n)
{
    return walk_text(ctx, item, n);
}

/* ---- the ruleset's memo of parsed sets -------------------------------- */

#define SET_MEMO_TEXT_MAX 63 /* longer texts (IP lists) are mostly one rule's */

struct set_memo_ent {
    uint32_t gen; /* the variables' generation it was parsed with */
    uint8_t is_port;
    char text[SET_MEMO_TEXT_MAX + 1]; /* "": free slot */
    union {
        struct rule_addr_set a;
        struct rule_port_set p;
    } u;
};

struct rule_set_memo {
    struct set_memo_ent *slot; /* open addressing, cap a power of two */
    size_t cap, n;
};

struct rule_set_memo *rule_set_memo_new(void)
{
    return calloc(1, sizeof(struct rule_set_memo));
}

void rule_set_memo_free(struct rule_set_memo *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->slot[i].text[0])
            continue;
        if (m->slot[i].is_port)
            rule_port_set_free(&m->slot[i].u.p);
        else
            rule_addr_set_free(&m->slot[i].u.a);
    }
    free(m->slot);
    free(m);
}

static size_t memo_hash(int is_port, uint32_t gen, const char *text)
{
    return rule_strhash(text, (uint64_t)is_port + 2 * (uint64_t)gen);
}

/* The entry for (is_port, gen, text), or the free slot where it goes;
 * NULL when the memo has no table yet. */
static struct set_memo_ent *memo_slot(const struct rule_set_memo *m, int is_port, uint32_t gen,
                                      const char *text)
{
    if (!m->cap)
        return NULL;
    size_t j = memo_hash(is_port, gen, text) & (m->cap - 1);
    for (;;) {
        struct set_memo_ent *e = &m->slot[j];
        if (!e->text[0] ||
            (e->gen == gen && e->is_port == is_port && strcmp(e->text, text) == 0))
            return e;
        j = (j + 1) & (m->cap - 1);
    }
}

/* Hand the ranges in *set to the memo.  0, or -1 (out of memory: the caller
 * keeps them). */
static int memo_put(struct rule_set_memo *m, int is_port, uint32_t gen, const char *text,
                    const void *set)
{
    if ((m->n + 1) * 2 > m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 64;
        struct set_memo_ent *ns = calloc(cap, sizeof *ns);
        if (!ns)
            return -1;
        struct rule_set_memo grown = {ns, cap, 0};
        for (size_t i = 0; i < m->cap; i++)
            if (m->slot[i].text[0])
                *memo_slot(&grown, m->slot[i].is_port, m->slot[i].gen, m->slot[i].text) =
                    m->slot[i];
        free(m->slot);
        m->slot = ns;
        m->cap = cap;
    }
    struct set_memo_ent *e = memo_slot(m, is_port, gen, text);
    e->gen = gen;
    e->is_port = (uint8_t)is_port;
    memcpy(e->text, text, strlen(text) + 1);
    if (is_port)
        e->u.p = *(const struct rule_port_set *)set;
    else
        e->u.a = *(const struct rule_addr_set *)set;
    m->n++;
    return 0;
}

/* Give back the unused tail of a range array grown by range_push. */
static void *range_trim(void *arr, uint32_t n, size_t size)
{
    if (!arr || n == 0 || (n & (n - 1)) == 0)
        return arr; /* exactly full (or a power of two below 4: a little slack) */
    void *na = realloc(arr, (size_t)n * size);
    return na ? na : arr;
}

/* Parse text into *out (is_port: a struct rule_port_set) through the memo. */
static int set_parse(const struct ruleset *rs, int is_port, const char *text, void *out,
                     char *err, size_t errlen)
{
    struct rule_set_memo *m = rs->set_memo;
    int memo = m && strlen(text) <= SET_MEMO_TEXT_MAX;
    if (memo) {
        struct set_memo_ent *e = memo_slot(m, is_port, rs->vars.gen, text);
        if (e && e->text[0]) {
            if (is_port)
                *(struct rule_port_set *)out = e->u.p;
            else
                *(struct rule_addr_set *)out = e->u.a;
            return 1;
        }
    }
    struct set_walk w = {.rs = rs, .is_port = is_port, .set = out, .err = err, .errlen = errlen};
    if (walk_text(&w, text, strlen(text)) < 0) {
        if (is_port)
            rule_port_set_free(out);
        else
            rule_addr_set_free(out);
        return -1;
    }
    if (is_port) {
        struct rule_port_set *ps = out;
        ps->pos = range_trim(ps->pos, ps->n_pos, sizeof *ps->pos);
        ps->neg = range_trim(ps->neg, ps->n_neg, sizeof *ps->neg);
    } else {
        struct rule_addr_set *as = out;
        as->pos = range_trim(as->pos, as->n_pos, sizeof *as->pos);
        as->neg = range_trim(as->neg, as->n_neg, sizeof *as->neg);
    }
    if (memo && memo_put(m, is_port, rs->vars.gen, text, out) == 0)
        return 1;
    return 0;
}

/* ---- addresses ------------------------------------------------------- */

static int addr_from_text(const char *s, uint8_t *fam, uint8_t a[16])
{
    memset(a, 0, 16);
    if (strchr(s, ':')) {
        if (inet_pton(AF_INET6, s, a) != 1)
            return -1;
        *fam = 6;
        return 0;
    }
    if (inet_pton(AF_INET, s, a) != 1)
        return -1;
    *fam = 4;
    return 0;
}

static void prefix_apply(struct rule_addr_range *r, unsigned prefix)
{
    unsigned bytes = r->family == 4 ? 4 : 16;
    for (unsigned i = 0; i < bytes; i++) {
        unsigned bits = prefix > i * 8 ? prefix - i * 8 : 0;
        uint8_t m = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));
        r->lo[i] = r->lo[i] & m;
        r->hi[i] = (uint8_t)(r->lo[i] | (uint8_t)~m);
    }
}

static int netmask_prefix(const char *s, unsigned *prefix)
{
    uint8_t m[16], fam;
    if (addr_from_text(s, &fam, m) < 0 || fam != 4)
        return -1;
    uint32_t v = (uint32_t)m[0] << 24 | (uint32_t)m[1] << 16 | (uint32_t)m[2] << 8 | m[3];
    unsigned p = 0;
    while (p < 32 && (v & (0x80000000u >> p)))
        p++;
    if (p < 32 && (v << p) != 0)
        return -1; /* not contiguous */
    *prefix = p;
    return 0;
}

static int addr_push(struct set_walk *w, const struct rule_addr_range *r)
{
    struct rule_addr_set *set = w->set;
    int rc = w->neg ? range_push((void **)&set->neg, &set->n_neg, sizeof *r, r)
                    : range_push((void **)&set->pos, &set->n_pos, sizeof *r, r);
    if (rc < 0)
        snprintf(w->err, w->errlen, "more than %d address ranges", RULE_ADDR_ITEMS_MAX);
    return rc;
}

static int atom_addr(struct set_walk *w, const char *s)
{
    struct rule_addr_range r;
    memset(&r, 0, sizeof r);
    if (strcmp(s, "any") == 0) {
        if (w->neg) {
            snprintf(w->err, w->errlen, "'!any' matches nothing");
            return -1;
        }
        r.family = 4;
        memset(r.hi, 0xff, 4);
        if (addr_push(w, &r) < 0)
            return -1;
        r.family = 6;
        memset(r.hi, 0xff, 16);
        return addr_push(w, &r);
    }
    char buf[128];
    size_t sl = strlen(s);
    if (sl >= sizeof buf)
        goto bad;
    memcpy(buf, s, sl + 1); /* (snprintf here was a third of the parse of an IP list) */
    char *slash = strchr(buf, '/'), *dash = strchr(buf, '-');
    if (slash)
        *slash = '\0';
    if (dash && !slash) {
        *dash = '\0';
        uint8_t f2;
        if (addr_from_text(buf, &r.family, r.lo) < 0 || addr_from_text(dash + 1, &f2, r.hi) < 0 ||
            f2 != r.family || memcmp(r.lo, r.hi, 16) > 0)
            goto bad;
        return addr_push(w, &r);
    }
    if (addr_from_text(buf, &r.family, r.lo) < 0)
        goto bad;
    unsigned maxp = r.family == 4 ? 32 : 128, prefix = maxp;
    if (slash) {
        uint32_t pv;
        if (rule_parse_u32(slash + 1, maxp, &pv) == 0)
            prefix = pv;
        else if (r.family != 4 || netmask_prefix(slash + 1, &prefix) < 0)
            goto bad;
    }
    prefix_apply(&r, prefix);
    return addr_push(w, &r);
bad:
    snprintf(w->err, w->errlen, "bad address '%.60s'", s);
    return -1;
}

int rule_addr_parse(const struct ruleset *rs, const char *text, struct rule_addr_set *out,
                    char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    err[0] = '\0';
    if (strcmp(text, "any") == 0)
        return 0;
    return set_parse(rs, 0, text, out, err, errlen);
}

void rule_addr_set_free(struct rule_addr_set *s)
{
    free(s->pos);
    free(s->neg);
    memset(s, 0, sizeof *s);
}

/* -1, 0, 1 as the 16-byte addresses a < b, a == b, a > b. */
static int cmp128(const uint8_t *a, const uint8_t *b)
{
    uint64_t x = rule_be64(a), y = rule_be64(b);
    if (x == y)
        x = rule_be64(a + 8), y = rule_be64(b + 8);
    return (x > y) - (x < y);
}

static int range_has(const struct rule_addr_range *r, unsigned fam, const uint8_t *a)
{
    if (r->family != fam)
        return 0;
    if (fam == 4) {
        uint32_t x = rule_be32(a);
        return x >= rule_be32(r->lo) && x <= rule_be32(r->hi);
    }
    return cmp128(a, r->lo) >= 0 && cmp128(a, r->hi) <= 0;
}

int rule_addr_set_match(const struct rule_addr_set *s, unsigned fam, const uint8_t *a)
{
    int in = s->n_pos == 0;
    for (uint32_t i = 0; !in && i < s->n_pos; i++)
        in = range_has(&s->pos[i], fam, a);
    for (uint32_t i = 0; in && i < s->n_neg; i++)
        if (range_has(&s->neg[i], fam, a))
            in = 0;
    return in;
}

/* ---- ports ----------------------------------------------------------- */

static int port_push(struct set_walk *w, uint32_t lo, uint32_t hi)
{
    struct rule_port_set *set = w->set;
    struct rule_port_range r = {(uint16_t)lo, (uint16_t)hi};
    int rc = w->neg ? range_push((void **)&set->neg, &set->n_neg, sizeof r, &r)
                    : range_push((void **)&set->pos, &set->n_pos, sizeof r, &r);
    if (rc < 0)
        snprintf(w->err, w->errlen, "more than %d port ranges", RULE_ADDR_ITEMS_MAX);
    return rc;
}

static int atom_port(struct set_walk *w, const char *s)
{
    uint32_t lo = 0, hi = 65535;
    if (strcmp(s, "any") == 0) {
        if (w->neg) {
            snprintf(w->err, w->errlen, "'!any' matches no port");
            return -1;
        }
        return port_push(w, 0, 65535);
    }
    char buf[64];
    size_t sl = strlen(s);
    if (sl >= sizeof buf)
        goto bad;
    memcpy(buf, s, sl + 1);
    char *colon = strchr(buf, ':');
    if (colon) {
        *colon = '\0';
        if ((buf[0] && rule_parse_u32(buf, 65535, &lo) < 0) ||
            (colon[1] && rule_parse_u32(colon + 1, 65535, &hi) < 0) || lo > hi ||
            (!buf[0] && !colon[1]))
            goto bad;
    } else {
        if (rule_parse_u32(buf, 65535, &lo) < 0)
            goto bad;
        hi = lo;
    }
    return port_push(w, lo, hi);
bad:
    snprintf(w->err, w->errlen, "bad port '%.60s'", s);
    return -1;
}

int rule_port_parse(const struct ruleset *rs, const char *text, struct rule_port_set *out,
                    char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    err[0] = '\0';
    if (strcmp(text, "any") == 0)
        return 0;
    return set_parse(rs, 1, text, out, err, errlen);
}

void rule_port_set_free(struct rule_port_set *s)
{
    free(s->pos);
    free(s->neg);
    memset(s, 0, sizeof *s);
}

int rule_port_set_match(const struct rule_port_set *s, uint16_t port)
{
    int in = s->n_pos == 0;
    for (uint32_t i = 0; !in && i < s->n_pos; i++)
        in = port >= s->pos[i].lo && port <= s->pos[i].hi;
    for (uint32_t i = 0; in && i < s->n_neg; i++)
        if (port >= s->neg[i].lo && port <= s->neg[i].hi)
            in = 0;
    return in;
}
