/*
 * engine_sgh.c - signature group heads for stream inspection: the stream
 * rules' fast patterns split by direction (and, where it pays, by server
 * port), so that a window is scanned only with the patterns of rules that
 * can match it (docs/alerts.md "Engine"; Suricata's signature group heads).
 *
 * A stream window (engine_stream.c) goes to the server (its destination
 * port is the server's) or to the client (its source port is).  A rule can
 * match a to-server window only if it has no flow:to_client and its
 * destination ports (or, for "<>", its source ports too) hold the window's
 * destination port; a to-client window likewise with flow:to_server and the
 * source ports.  So each direction has a default group: the rules that can
 * match it on some port without a group of its own.  A port gets a group
 * of its own (the rules whose ports hold it) only when that halves
 * something: half the direction's rules name it in a short list (the
 * default group then loses them), or its group would hold at most a
 * quarter of them; at most DET_SGH_PORTS ports a direction.
 *
 * ET Open: the to-server group has ~2,030 of the 2,562 stream database
 * entries and the to-client group ~720 (most rules say flow:to_server or
 * to_client); its port-specific rules (445: 217, 139: 204, 1521: 172, ...)
 * are far fewer than its any-port rules, so a port group would hold
 * ~1,000-1,200 entries next to the default's ~1,230-2,030, and no port
 * gets one.  Measured (bench/workload-small.pcap, cycles in the stream
 * scans, best of 4 runs): one database 212 M; by direction 146-171 M; in
 * the runs of the 171, by direction and the 4 or 32 most named ports
 * 204 and 195 M (more databases competing for the CPU caches, and ~0.14
 * CPU s each to compile: a cold build took 4.6 s instead of 0.9 with 32);
 * by direction and application protocol ("alert http ... content" rules
 * only match HTTP flows; 6 databases) 139 M against 146: not kept.
 *
 * A group is a superset of the rules that can match a window it is
 * scanned for: a rule is left out only when its direction or its ports
 * cannot match, and every candidate is still evaluated in full, so the
 * results do not change.  Groups with the same entries share a database.
 * Each group also knows how far back into the window's tail its patterns
 * must be looked for (back: the largest stail + pattern length - 1 of its
 * stream rules, see on_smatch): the scan starts there, not at the window's
 * start (ET: 342 bytes to the server, 682 to the client).  The databases
 * are compiled (or read from the rules cache, hs_cache.c) like every other.
 */
#include <stdlib.h>
#include <string.h>

#include "detect/engine_int.h"
#include "detect/hs_cache.h"

#define DET_SGH_PORTS 8  /* ports with a group of their own, per direction */
#define DET_SGH_MIN 8    /* rules naming a port, at least, for a group of its own */
#define DET_SGH_LIST 256 /* a longer port list counts as naming no port */

/* Does r's flow keyword allow windows of direction d (0 to the server, 1
 * to the client)? */
static int dir_ok(const struct rule *r, int d)
{
    return !(r->flow & (d == 0 ? RULE_FLOW_TO_CLIENT : RULE_FLOW_TO_SERVER));
}

/* Does r's header hold port p as the server's for direction d (to the
 * server: its destination ports; to the client: its source ports; a "<>"
 * rule either)? */
static int port_in(const struct rule *r, int d, uint16_t p)
{
    const struct rule_port_set *a = d == 0 ? &r->dport : &r->sport;
    const struct rule_port_set *b = d == 0 ? &r->sport : &r->dport;
    return rule_port_set_match(a, p) || (r->bidir && rule_port_set_match(b, p));
}

/* Ports of a short positive list, or 0 (any, negated, long). */
static uint32_t list_ports(const struct rule_port_set *s)
{
    if (s->n_neg || !s->n_pos)
        return 0;
    uint32_t n = 0;
    for (uint32_t i = 0; i < s->n_pos; i++)
        if ((n += (uint32_t)s->pos[i].hi - s->pos[i].lo + 1) > DET_SGH_LIST)
            return 0;
    return n;
}

/* Is every port r holds for d in a short list? */
static int narrow(const struct rule *r, int d)
{
    const struct rule_port_set *a = d == 0 ? &r->dport : &r->sport;
    const struct rule_port_set *b = d == 0 ? &r->sport : &r->dport;
    return list_ports(a) && (!r->bidir || list_ports(b));
}

/* Does r hold, for d, a port that has no group of its own (own[p] 0)? */
static int holds_other(const struct rule *r, int d, const uint8_t *own)
{
    if (!narrow(r, d))
        return 1;
    for (int side = 0; side < (r->bidir ? 2 : 1); side++) {
        const struct rule_port_set *s = (d == 0) != (side == 1) ? &r->dport : &r->sport;
        for (uint32_t i = 0; i < s->n_pos; i++)
            for (uint32_t p = s->pos[i].lo; p <= s->pos[i].hi; p++)
                if (!own[p])
                    return 1;
    }
    return 0;
}

struct sgh_set {
    uint32_t *k; /* entry indexes */
    uint32_t n;
};

static uint32_t entry_rule(unsigned id)
{
    return id & ~DET_SDB_PKT;
}

/* Entries a direction-d group for port p would hold. */
static uint32_t group_size(const struct detect_engine *e, const unsigned *ids, uint32_t n, int d,
                           uint16_t p)
{
    uint32_t c = 0;
    for (uint32_t k = 0; k < n; k++) {
        const struct rule *r = e->rules[entry_rule(ids[k])].r;
        c += dir_ok(r, d) && port_in(r, d, p);
    }
    return c;
}

/* Choose direction d's ports with a group of their own (own[p] = 1): of
 * the ports at least DET_SGH_MIN rules name in a short list, most named
 * first, those whose own group would hold at most a quarter of the
 * direction's entries, or that half of them name (the others' group loses
 * them), at most DET_SGH_PORTS.  (A group costs a database: compiled, ~0.14
 * CPU s for 1,000 ET patterns, and in the CPU caches next to the others.) */
static int choose_ports(const struct detect_engine *e, const unsigned *ids, uint32_t n, int d,
                        uint8_t *own, uint16_t *chosen)
{
    uint32_t *cnt = calloc(65536, sizeof(*cnt)), all = 0;
    if (!cnt)
        return -1;
    for (uint32_t k = 0; k < n; k++) {
        const struct rule *r = e->rules[entry_rule(ids[k])].r;
        if (!dir_ok(r, d))
            continue;
        all++;
        if (!narrow(r, d))
            continue;
        for (int side = 0; side < (r->bidir ? 2 : 1); side++) {
            const struct rule_port_set *s = (d == 0) != (side == 1) ? &r->dport : &r->sport;
            for (uint32_t i = 0; i < s->n_pos; i++)
                for (uint32_t p = s->pos[i].lo; p <= s->pos[i].hi; p++)
                    cnt[p]++;
        }
    }
    int m = 0;
    for (int tries = 0; m < DET_SGH_PORTS && tries < 4 * DET_SGH_PORTS; tries++) {
        uint32_t best = 0, bp = 0;
        for (uint32_t p = 0; p < 65536; p++)
            if (cnt[p] > best)
                best = cnt[p], bp = p;
        if (best < DET_SGH_MIN)
            break;
        cnt[bp] = 0;
        if (2 * (uint64_t)best >= all || 4 * (uint64_t)group_size(e, ids, n, d, (uint16_t)bp) <= all) {
            own[bp] = 1;
            chosen[m++] = (uint16_t)bp;
        }
    }
    free(cnt);
    return m;
}

/* The group with these entries: an existing one with the same, or a new
 * one (its set kept in sets[]).  -1 when out of memory or groups. */
static int group_of(struct sgh_set *sets, uint32_t *n_sets, uint32_t *k, uint32_t nk)
{
    for (uint32_t g = 0; g < *n_sets; g++)
        if (sets[g].n == nk && (nk == 0 || memcmp(sets[g].k, k, nk * sizeof(*k)) == 0)) {
            free(k);
            return (int)g;
        }
    if (*n_sets >= DET_SGH_MAX) {
        free(k);
        return -1;
    }
    sets[*n_sets] = (struct sgh_set){k, nk};
    return (int)(*n_sets)++;
}

/* The entries of direction d's group for port p (p < 0: the ports without
 * a group of their own). */
static int group_for(const struct detect_engine *e, const unsigned *ids, uint32_t n, int d,
                     int p, const uint8_t *own, struct sgh_set *sets, uint32_t *n_sets)
{
    uint32_t *k = malloc((n ? n : 1) * sizeof(*k)), nk = 0;
    if (!k)
        return -1;
    for (uint32_t i = 0; i < n; i++) {
        const struct rule *r = e->rules[entry_rule(ids[i])].r;
        if (dir_ok(r, d) && (p < 0 ? holds_other(r, d, own) : port_in(r, d, (uint16_t)p)))
            k[nk++] = i;
    }
    return group_of(sets, n_sets, k, nk);
}

static int sgh_compile(struct detect_engine *e, struct det_sgh *h, const struct sgh_set *set,
                       const char **pat, const size_t *len, const unsigned *flags,
                       const unsigned *ids, char *err, size_t errlen)
{
    uint32_t n = set->n;
    const char **p = malloc((n ? n : 1) * sizeof(*p));
    size_t *l = malloc((n ? n : 1) * sizeof(*l));
    unsigned *f = malloc((n ? n : 1) * sizeof(*f)), *id = malloc((n ? n : 1) * sizeof(*id));
    int rc = -1;
    if (!p || !l || !f || !id) {
        snprintf(err, errlen, "out of memory building the stream rule groups");
        goto out;
    }
    for (uint32_t i = 0; i < n; i++) {
        uint32_t k = set->k[i];
        p[i] = pat[k], l[i] = len[k], f[i] = flags[k], id[i] = ids[k];
        const struct det_rule *dr = &e->rules[entry_rule(ids[k])];
        uint32_t back = (ids[k] & DET_SDB_PKT) ? 0 : dr->stail + (uint32_t)len[k] - 1;
        h->back = back > h->back ? back : h->back;
        h->maxlen = (uint32_t)len[k] > h->maxlen ? (uint32_t)len[k] : h->maxlen;
    }
    h->n_pat = n;
    rc = 0;
    if (!n)
        goto out;
    hs_compile_error_t *ce = NULL;
    if (det_hs_compile_lit_multi(p, f, id, l, n, HS_MODE_BLOCK, &h->db, &ce) != HS_SUCCESS) {
        snprintf(err, errlen, "Vectorscan could not compile the stream patterns: %s",
                 ce ? ce->message : "unknown error");
        hs_free_compile_error(ce);
        rc = -1;
    } else if (hs_alloc_scratch(h->db, &e->scratch) != HS_SUCCESS) {
        snprintf(err, errlen, "out of memory for Vectorscan scratch");
        rc = -1;
    }
out:
    free(p);
    free(l);
    free(f);
    free(id);
    return rc;
}

int det_sgh_build(struct detect_engine *e, const char **pat, const size_t *len,
                  const unsigned *flags, const unsigned *ids, uint32_t n, char *err,
                  size_t errlen)
{
    struct sgh_set *sets = calloc(DET_SGH_MAX, sizeof(*sets));
    uint8_t *own = calloc(65536, 1);
    uint32_t n_sets = 0;
    int rc = -1;
    e->sgmap = calloc(2 * 65536, 1);
    if (!sets || !own || !e->sgmap)
        goto oom;
    for (int d = 0; d < 2; d++) {
        uint16_t chosen[DET_SGH_PORTS];
        memset(own, 0, 65536);
        int m = choose_ports(e, ids, n, d, own, chosen);
        int def = m < 0 ? -1 : group_for(e, ids, n, d, -1, own, sets, &n_sets);
        if (def < 0)
            goto oom;
        memset(e->sgmap + d * 65536, def, 65536);
        for (int i = 0; i < m; i++) {
            int g = group_for(e, ids, n, d, chosen[i], own, sets, &n_sets);
            if (g < 0)
                goto oom;
            e->sgmap[d * 65536 + chosen[i]] = (uint8_t)g;
        }
    }
    static uint64_t builds;
    e->sgh_build = __atomic_add_fetch(&builds, 1, __ATOMIC_RELAXED);
    e->sgh = calloc(n_sets, sizeof(*e->sgh));
    if (!e->sgh)
        goto oom;
    e->n_sgh = n_sets;
    rc = 0;
    for (uint32_t g = 0; g < n_sets && rc == 0; g++)
        rc = sgh_compile(e, &e->sgh[g], &sets[g], pat, len, flags, ids, err, errlen);
    goto out;
oom:
    snprintf(err, errlen, "out of memory building the stream rule groups");
out:
    for (uint32_t g = 0; sets && g < n_sets; g++)
        free(sets[g].k);
    free(sets);
    free(own);
    return rc;
}

void det_sgh_free(struct detect_engine *e)
{
    for (uint32_t g = 0; g < e->n_sgh; g++)
        hs_free_database(e->sgh[g].db);
    free(e->sgh);
    free(e->sgmap);
    e->sgh = NULL, e->sgmap = NULL, e->n_sgh = 0;
}

const struct det_sgh *det_sgh_of(const struct detect_engine *e, int to_server, uint16_t sport,
                                 uint16_t dport)
{
    if (!e->sgmap)
        return NULL;
    return &e->sgh[to_server ? e->sgmap[dport] : e->sgmap[65536 + sport]];
}
