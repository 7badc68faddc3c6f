/*
 * engine_xbits.c - xbits: Suricata's bits kept per IP address
 * (track ip_src, ip_dst) or per address pair (track ip_pair, either
 * direction), with an optional expiry in seconds, instead of per flow.
 *
 * A table of DETECT_XBITS_MAX slots, set-associative (XBITS_WAYS slots a
 * key may take) by a seeded hash of (scope, bit name index, address(es));
 * a slot holds the key and the expiry (0: none, the bit lasts the run).  A
 * bit set when its set is full replaces the one that expires first (a bit
 * without expiry last).  The table outlives an engine (a SIGHUP reload keeps the bits; the
 * names are the flowbit name table's, det_bit_index) and is freed with
 * the rest of the per-flow state (det_xbits_free).  set/unset/toggle run
 * after the rule matched; isset/isnotset are conditions.  Expiry is judged
 * on the time of the inspection (packet, or the event/transaction time).
 */
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "detect/engine_int.h"

#define DETECT_XBITS_MAX (1u << 16)
#define XBITS_WAYS 8u

struct det_xbit {
    uint64_t key;
    int64_t expire; /* ns; 0 never */
    uint8_t used;
};

static struct det_xbit *xbits;
static uint64_t xkey[2];

void det_xbits_free(void)
{
    free(xbits);
    xbits = NULL;
}

static int64_t insp_now(const struct det_insp *in)
{
    if (in->pkt)
        return in->pkt->ts_sec * 1000000000LL + in->pkt->ts_nsec;
    if (in->st)
        return in->st->ts;
    return in->ev_ts;
}

/* Does expiry a come after b (0: never)? */
static int later(int64_t a, int64_t b)
{
    return b && (!a || a > b);
}

/* The slot and key of b for this inspection (its own, else the one a set
 * would take); NULL when the name is unknown. */
static struct det_xbit *xbit_slot(const struct rule_bit *b, const struct det_insp *in,
                                  uint64_t *key, int create)
{
    int idx = det_bit_index(b->name, strlen(b->name), 0);
    if (idx < 0)
        return NULL;
    if (!xbits) {
        if (!create || !(xbits = calloc(DETECT_XBITS_MAX, sizeof(*xbits))))
            return NULL;
        core_random_key(xkey);
    }
    uint8_t k[48];
    size_t n = 0;
    k[n++] = b->scope;
    memcpy(k + n, &idx, sizeof(idx)), n += sizeof(idx);
    const struct raddr *a = b->scope == RULE_BITS_IP_DST ? &in->dst : &in->src;
    k[n++] = a->family;
    if (b->scope == RULE_BITS_IP_PAIR) {
        /* either direction: the smaller address first */
        int lo = memcmp(in->src.a, in->dst.a, 16) <= 0;
        memcpy(k + n, lo ? in->src.a : in->dst.a, 16), n += 16;
        memcpy(k + n, lo ? in->dst.a : in->src.a, 16), n += 16;
    } else {
        memcpy(k + n, a->a, 16), n += 16;
    }
    *key = core_siphash(xkey, k, n) | 1; /* never 0 */
    struct det_xbit *set = &xbits[*key & (DETECT_XBITS_MAX - XBITS_WAYS)], *pick = NULL;
    for (uint32_t i = 0; i < XBITS_WAYS; i++) {
        struct det_xbit *s = &set[i];
        if (s->used && s->key == *key)
            return s;
        if (!pick || (pick->used && (!s->used || later(pick->expire, s->expire))))
            pick = s; /* a free slot, else the bit that expires first */
    }
    return pick;
}

static int xbit_isset(const struct det_xbit *s, uint64_t key, int64_t now)
{
    return s && s->used && s->key == key && (!s->expire || now <= s->expire);
}

int det_xbit_cond(const struct rule_bit *b, const struct det_insp *in)
{
    uint64_t key = 0;
    det_shared_lock(); /* the table spans workers (engine_worker.c) */
    const struct det_xbit *s = xbit_slot(b, in, &key, 0);
    int set = xbit_isset(s, key, insp_now(in));
    det_shared_unlock();
    return b->cmd == RULE_BIT_ISNOTSET ? !set : set;
}

static void xbit_apply(const struct rule_bit *b, const struct det_insp *in);

void det_xbit_apply(const struct rule_bit *b, const struct det_insp *in)
{
    det_shared_lock();
    xbit_apply(b, in);
    det_shared_unlock();
}

static void xbit_apply(const struct rule_bit *b, const struct det_insp *in)
{
    uint64_t key = 0;
    struct det_xbit *s = xbit_slot(b, in, &key, b->cmd != RULE_BIT_UNSET);
    if (!s)
        return;
    int64_t now = insp_now(in);
    int set = xbit_isset(s, key, now);
    if (b->cmd == RULE_BIT_UNSET || (b->cmd == RULE_BIT_TOGGLE && set)) {
        if (s->key == key)
            s->used = 0;
        return;
    }
    s->used = 1;
    s->key = key;
    s->expire = b->expire ? now + (int64_t)b->expire * 1000000000LL : 0;
}
