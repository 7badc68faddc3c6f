/*
 * engine_index.c - header indexes over a packet group's rules without a
 * fast pattern, so that an inspection evaluates only the ones whose header
 * can match instead of the whole always-evaluate list (docs/alerts.md,
 * "Engine").
 *
 * ET Open has ~2,300 evaluable rules without a usable content: 1,192
 * IP-reputation rules ("alert ip [a,b,c,...] any -> $HOME_NET any") and
 * header/flag/dsize rules on fixed ports.  Each such rule goes into one
 * index, the first that fits it:
 *   - destination port (TCP/UDP groups; a positive port list of at most
 *     DET_IDX_PORTS ports) - the packet's dport selects it;
 *   - source port (likewise) - the packet's sport;
 *   - source or destination address, whichever covers less (a positive
 *     address list such as an IP-reputation list or $HOME_NET) - the
 *     packet's source or destination address;
 * else it stays in the group's always list.  Bidirectional rules ("<>")
 * always stay there.  Rules whose fast pattern is 1 or 2 bytes long (ET's
 * "|03|" at depth 1 for RDP on port 3389, "|05|" for DCERPC on 135) come
 * here too when they have a port index: such a pattern occurs in most
 * packets, the port in few.  An index only selects candidates: every candidate is
 * still evaluated in full, so the indexes change cost, never results.
 *
 * Port indexes are CSR arrays over the 65,536 ports.  Address indexes (one
 * for IPv4, one for IPv6) cut the address line into elementary segments at
 * every range boundary; each segment lists the rules whose ranges cover it
 * (a binary search per lookup).
 */
#include <stdlib.h>
#include <string.h>

#include "detect/engine_int.h"

#define DET_IDX_PORTS 256 /* a longer port list is not worth indexing */

static uint32_t port_count(const struct rule_port_set *s)
{
    if (s->n_neg || !s->n_pos)
        return 0;
    uint32_t n = 0;
    for (uint32_t i = 0; i < s->n_pos; i++) {
        n += (uint32_t)s->pos[i].hi - s->pos[i].lo + 1;
        if (n > DET_IDX_PORTS)
            return 0;
    }
    return n;
}

/* How much of the address space a positive address set covers (IPv4
 * addresses; IPv6 ranges by their last 32 bits).  0: not indexable. */
static uint64_t addr_cover(const struct rule_addr_set *s)
{
    if (s->n_neg || !s->n_pos)
        return 0;
    uint64_t n = 0;
    for (uint32_t i = 0; i < s->n_pos; i++) {
        const struct rule_addr_range *r = &s->pos[i];
        if (r->family == 4) {
            n += (uint64_t)rule_be32(r->hi) - rule_be32(r->lo) + 1;
        } else {
            /* an IPv6 range weighs as much as the IPv4 range of as many
             * host bits, capped: beyond a /96 it counts as 2^31 */
            size_t d = 0;
            while (d < 12 && r->lo[d] == r->hi[d])
                d++;
            n += d == 12 ? (uint64_t)rule_be32(r->hi + 12) - rule_be32(r->lo + 12) + 1 : 1ULL << 31;
        }
    }
    return n < (1ULL << 31) ? n : 0;
}

/* ---- port index ------------------------------------------------------------ */

static int pidx_build(struct det_pidx *x, const struct detect_engine *e, const uint32_t *ids,
                      uint32_t n, int dst)
{
    x->off = calloc(65537, sizeof(*x->off));
    if (!x->off)
        return -1;
    uint32_t total = 0;
    for (uint32_t k = 0; k < n; k++) {
        const struct rule_port_set *s = dst ? &e->rules[ids[k]].r->dport : &e->rules[ids[k]].r->sport;
        for (uint32_t i = 0; i < s->n_pos; i++)
            for (uint32_t p = s->pos[i].lo; p <= s->pos[i].hi; p++)
                x->off[p + 1]++, total++;
    }
    for (uint32_t p = 0; p < 65536; p++)
        x->off[p + 1] += x->off[p];
    x->ids = malloc((total ? total : 1) * sizeof(*x->ids));
    uint32_t *fill = malloc(65536 * sizeof(*fill));
    if (!x->ids || !fill) {
        free(fill);
        return -1;
    }
    memcpy(fill, x->off, 65536 * sizeof(*fill));
    for (uint32_t k = 0; k < n; k++) {
        const struct rule_port_set *s = dst ? &e->rules[ids[k]].r->dport : &e->rules[ids[k]].r->sport;
        for (uint32_t i = 0; i < s->n_pos; i++)
            for (uint32_t p = s->pos[i].lo; p <= s->pos[i].hi; p++)
                x->ids[fill[p]++] = ids[k];
    }
    free(fill);
    return 0;
}

/* ---- address index --------------------------------------------------------- */

typedef unsigned __int128 u128; /* an address as a number (IPv4 and IPv6 apart) */

static u128 key_of(const uint8_t *a, unsigned fam)
{
    if (fam == 4)
        return rule_be32(a);
    /* every IPv6 lookup: two loads, no byte loop */
    return (u128)rule_be64(a) << 64 | rule_be64(a + 8);
}

static int cmp_key(const void *a, const void *b)
{
    u128 x = *(const u128 *)a, y = *(const u128 *)b;
    return x < y ? -1 : x > y;
}

/* The segment holding k: the last segment start <= k (bound[0] is 0). */
static uint32_t aidx_seg(const struct det_aidx *x, u128 k)
{
    uint32_t lo = 0, hi = x->n_seg; /* bound[lo] <= k, and k < bound[hi] if hi < n_seg */
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (x->bound[mid] <= k)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* The index over the fam ranges of the rules' src (dst) sets. */
static int aidx_build(struct det_aidx *x, const struct detect_engine *e, const uint32_t *ids,
                      uint32_t n, int dst, unsigned fam)
{
    u128 max = fam == 4 ? (u128)0xffffffffu : ~(u128)0;
    uint32_t nb = 1;
    for (uint32_t k = 0; k < n; k++)
        nb += 2 * (dst ? e->rules[ids[k]].r->dst.n_pos : e->rules[ids[k]].r->src.n_pos);
    u128 *b = malloc(nb * sizeof(*b));
    if (!b)
        return -1;
    /* segment starts: 0, every lo and every hi + 1, sorted and unique */
    uint32_t m = 0;
    b[m++] = 0;
    for (uint32_t k = 0; k < n; k++) {
        const struct rule_addr_set *s = dst ? &e->rules[ids[k]].r->dst : &e->rules[ids[k]].r->src;
        for (uint32_t i = 0; i < s->n_pos; i++) {
            if (s->pos[i].family != fam)
                continue;
            b[m++] = key_of(s->pos[i].lo, fam);
            u128 hi = key_of(s->pos[i].hi, fam);
            if (hi < max)
                b[m++] = hi + 1;
        }
    }
    qsort(b, m, sizeof(*b), cmp_key);
    uint32_t u = 0;
    for (uint32_t i = 0; i < m; i++)
        if (u == 0 || b[i] != b[u - 1])
            b[u++] = b[i];
    x->bound = b;
    x->n_seg = u;
    if (fam == 4) { /* the lookup's narrower copy (aidx_seg4) */
        x->b4 = malloc(u * sizeof(*x->b4));
        x->oct = malloc(257 * sizeof(*x->oct));
        if (!x->b4 || !x->oct)
            return -1;
        for (uint32_t i = 0; i < u; i++)
            x->b4[i] = (uint32_t)b[i];
        for (uint32_t o = 0; o < 256; o++)
            x->oct[o] = aidx_seg(x, (u128)o << 24);
        x->oct[256] = u - 1;
    }
    x->off = calloc(u + 1, sizeof(*x->off));
    if (!x->off)
        return -1;
    /* two passes: count the rules per segment, then fill */
    for (int pass = 0; pass < 2; pass++) {
        uint32_t *fill = NULL;
        if (pass == 1) {
            for (uint32_t g = 0; g < u; g++)
                x->off[g + 1] += x->off[g];
            x->ids = malloc((x->off[u] ? x->off[u] : 1) * sizeof(*x->ids));
            fill = malloc(u * sizeof(*fill));
            if (!x->ids || !fill) {
                free(fill);
                return -1;
            }
            memcpy(fill, x->off, u * sizeof(*fill));
        }
        for (uint32_t k = 0; k < n; k++) {
            const struct rule_addr_set *s = dst ? &e->rules[ids[k]].r->dst
                                                : &e->rules[ids[k]].r->src;
            for (uint32_t i = 0; i < s->n_pos; i++) {
                if (s->pos[i].family != fam)
                    continue;
                u128 hi = key_of(s->pos[i].hi, fam);
                for (uint32_t g = aidx_seg(x, key_of(s->pos[i].lo, fam)); g < u && b[g] <= hi;
                     g++) {
                    if (pass == 0)
                        x->off[g + 1]++;
                    else
                        x->ids[fill[g]++] = ids[k];
                }
            }
        }
        free(fill);
    }
    return 0;
}

/* ---- building and lookup ----------------------------------------------------- */

enum { IX_DPORT, IX_SPORT, IX_SRC, IX_DST, IX_NONE };

static int index_of(const struct rule *r, int ports)
{
    if (r->bidir)
        return IX_NONE;
    if (ports && port_count(&r->dport))
        return IX_DPORT;
    if (ports && port_count(&r->sport))
        return IX_SPORT;
    uint64_t src = addr_cover(&r->src), dst = addr_cover(&r->dst);
    if (src && (!dst || src <= dst))
        return IX_SRC;
    return dst ? IX_DST : IX_NONE;
}

int det_index_by_port(const struct rule *r, enum det_grp g)
{
    int i = index_of(r, g == DG_TCP || g == DG_UDP);
    return i == IX_DPORT || i == IX_SPORT;
}

int det_index_build(struct detect_engine *e, enum det_grp g)
{
    if (g >= DG_FIRST_TX)
        return 0;
    return det_index_group(e, &e->g[g], g == DG_TCP || g == DG_UDP);
}

int det_index_group(struct detect_engine *e, struct det_group *grp, int ports)
{
    if (!grp->n_always)
        return 0;
    uint32_t *by[IX_NONE + 1], n[IX_NONE + 1] = {0};
    for (int i = 0; i <= IX_NONE; i++)
        if ((by[i] = malloc(grp->n_always * sizeof(*by[i]))) == NULL)
            goto oom;
    for (uint32_t k = 0; k < grp->n_always; k++) {
        int i = index_of(e->rules[grp->always[k]].r, ports);
        by[i][n[i]++] = grp->always[k];
    }
    if ((n[IX_DPORT] && pidx_build(&grp->dport, e, by[IX_DPORT], n[IX_DPORT], 1) < 0) ||
        (n[IX_SPORT] && pidx_build(&grp->sport, e, by[IX_SPORT], n[IX_SPORT], 0) < 0) ||
        (n[IX_SRC] && (aidx_build(&grp->src[0], e, by[IX_SRC], n[IX_SRC], 0, 4) < 0 ||
                       aidx_build(&grp->src[1], e, by[IX_SRC], n[IX_SRC], 0, 6) < 0)) ||
        (n[IX_DST] && (aidx_build(&grp->dst[0], e, by[IX_DST], n[IX_DST], 1, 4) < 0 ||
                       aidx_build(&grp->dst[1], e, by[IX_DST], n[IX_DST], 1, 6) < 0)))
        goto oom;
    memcpy(grp->always, by[IX_NONE], n[IX_NONE] * sizeof(*grp->always));
    grp->n_indexed = grp->n_always - n[IX_NONE];
    grp->n_always = n[IX_NONE];
    for (int i = 0; i <= IX_NONE; i++)
        free(by[i]);
    return 0;
oom:
    for (int i = 0; i <= IX_NONE; i++)
        free(by[i]);
    return -1;
}

void det_index_free(struct det_group *grp)
{
    free(grp->dport.off);
    free(grp->dport.ids);
    free(grp->sport.off);
    free(grp->sport.ids);
    for (int f = 0; f < 2; f++) {
        free(grp->src[f].bound);
        free(grp->src[f].off);
        free(grp->src[f].ids);
        free(grp->src[f].b4);
        free(grp->src[f].oct);
        free(grp->dst[f].bound);
        free(grp->dst[f].off);
        free(grp->dst[f].ids);
        free(grp->dst[f].b4);
        free(grp->dst[f].oct);
    }
}

/* aidx_seg for an IPv4 address k: among its first octet's segments,
 * without branches. */
static uint32_t aidx_seg4(const struct det_aidx *x, uint32_t k)
{
    uint32_t lo = x->oct[k >> 24], n = x->oct[(k >> 24) + 1] - lo + 1;
    while (n > 1) { /* b4[lo] <= k; the segment is in [lo, lo + n) */
        uint32_t h = n / 2;
        lo = x->b4[lo + h] <= k ? lo + h : lo;
        n -= h;
    }
    return lo;
}

static void aidx_each(const struct det_aidx *x, const struct raddr *a, det_index_fn fn, void *ctx)
{
    x += a->family != 4;
    if (!x->off)
        return;
    uint32_t g = a->family == 4 ? aidx_seg4(x, rule_be32(a->a))
                                : aidx_seg(x, key_of(a->a, a->family));
    for (uint32_t i = x->off[g]; i < x->off[g + 1]; i++)
        fn(x->ids[i], ctx);
}

void det_index_each(const struct det_group *grp, const struct det_insp *in, det_index_fn fn,
                    void *ctx)
{
    if (grp->dport.off)
        for (uint32_t i = grp->dport.off[in->dport]; i < grp->dport.off[in->dport + 1]; i++)
            fn(grp->dport.ids[i], ctx);
    if (grp->sport.off)
        for (uint32_t i = grp->sport.off[in->sport]; i < grp->sport.off[in->sport + 1]; i++)
            fn(grp->sport.ids[i], ctx);
    aidx_each(grp->src, &in->src, fn, ctx);
    aidx_each(grp->dst, &in->dst, fn, ctx);
}
