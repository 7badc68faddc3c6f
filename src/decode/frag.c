/*
 * frag.c - IPv4 (RFC 791) and IPv6 (RFC 8200 section 4.5) fragment
 * reassembly.
 *
 * Table: a seeded hash (random seed per table, so traffic cannot pick the
 * buckets) keyed by (version, src, dst, id, protocol), chained buckets,
 * plus one list of partial datagrams in creation order used both for the
 * timeout and for eviction under the memory cap.
 *
 * Policy (docs/decode.md):
 *   - overlap: FIRST DATA WINS, like Zeek.  Bytes already held are never
 *     replaced; only the uncovered parts of a new fragment are stored.  An
 *     overlap with the same bytes raises fragment_overlap, with different
 *     bytes fragment_inconsistency (Zeek's names).
 *   - size: the first last-fragment (MF=0) fixes the datagram size; a later
 *     one with another end, or data past it, raises
 *     fragment_size_inconsistency and is ignored past that size.
 *   - caps: a fragment whose data would end beyond 65535 bytes of payload
 *     (IPv4: total length beyond 65535) raises excessively_large_fragment
 *     and is dropped; the IPv6 unfragmentable part is capped at 1024 bytes.
 *     A non-last fragment under 64 bytes raises excessively_small_fragment
 *     and a fragment with DF fragment_with_DF (notes, as in Zeek).
 *   - timeout: a partial datagram is dropped cfg.frag_timeout seconds after
 *     its first fragment, measured on packet timestamps (Zeek: 60 s).
 *   - memory: fragments held (entries + headers + data) stay under
 *     cfg.frag_memcap; the oldest partial datagrams are evicted to make
 *     room.  Timeouts and evictions are counted in the decoder only
 *     (fragment_timeout, fragment_memcap_eviction), not in the packet in
 *     hand, which they do not concern.
 *
 *   first fragment --> [partial] --(all bytes 0..size held)--> rebuilt, freed
 *                          |  \--(timeout / memcap)--> dropped, counted
 *                          \-- more fragments: stored, trimmed, checked
 */
#include <stdlib.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "core/hash.h"
#include "decode/decode_int.h"

#define FRAG_BUCKETS 4096u
#define FRAG_MIN_OK 64u

struct frag_block {
    struct frag_block *next;
    uint32_t start, end;
    uint8_t data[];
};

struct frag_entry {
    struct frag_entry *hnext;
    struct frag_entry *older, *newer;
    uint64_t hash;
    uint8_t version, proto;
    uint8_t src[16], dst[16];
    uint32_t id;
    int64_t first_ns;
    uint32_t total; /* payload size, known once have_last */
    int have_last;
    int hdr_from_first;
    size_t mem;
    uint32_t unfrag_len, nh_off;
    uint8_t *unfrag;
    struct frag_block *blocks;
};

struct frag_table {
    struct frag_entry *bucket[FRAG_BUCKETS];
    struct frag_entry *oldest, *newest;
    size_t mem, memcap;
    int64_t timeout_ns;
    uint64_t seed;
};

struct frag_table *frag_table_new(const struct decode_config *cfg)
{
    struct frag_table *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->memcap = cfg->frag_memcap ? cfg->frag_memcap : (32u << 20);
    t->timeout_ns = (int64_t)cfg->frag_timeout * 1000000000LL;
    uint64_t k[2];
    core_random_key(k);
    t->seed = k[0] ^ k[1];
    return t;
}

static void frag_entry_free(struct frag_table *t, struct frag_entry *e)
{
    struct frag_entry **pp = &t->bucket[e->hash % FRAG_BUCKETS];
    while (*pp && *pp != e)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = e->hnext;
    if (e->older)
        e->older->newer = e->newer;
    else
        t->oldest = e->newer;
    if (e->newer)
        e->newer->older = e->older;
    else
        t->newest = e->older;
    for (struct frag_block *b = e->blocks, *n; b; b = n) {
        n = b->next;
        free(b);
    }
    t->mem -= e->mem;
    free(e->unfrag);
    free(e);
}

void frag_table_free(struct frag_table *t)
{
    if (!t)
        return;
    while (t->oldest)
        frag_entry_free(t, t->oldest);
    free(t);
}

void frag_table_expire(struct decoder *d)
{
    struct frag_table *t = d->frags;
    if (t->timeout_ns <= 0)
        return;
    while (t->oldest && t->oldest->first_ns + t->timeout_ns <= d->now_ns) {
        frag_entry_free(t, t->oldest);
        decode_anomaly_count_only(d, DECODE_ANOM_FRAG_TIMEOUT);
    }
}

/* Evict the oldest entries (never keep) until need more bytes fit. */
static int frag_make_room(struct decoder *d, size_t need, const struct frag_entry *keep)
{
    struct frag_table *t = d->frags;
    struct frag_entry *e = t->oldest;
    while (t->mem + need > t->memcap && e) {
        struct frag_entry *n = e->newer;
        if (e != keep) {
            frag_entry_free(t, e);
            decode_anomaly_count_only(d, DECODE_ANOM_FRAG_MEMCAP);
        }
        e = n;
    }
    return t->mem + need <= t->memcap ? 0 : -1;
}

static uint64_t frag_hash(uint64_t seed, const struct frag_in *f, size_t alen)
{
    uint64_t h = seed ^ ((uint64_t)f->version << 56 | (uint64_t)f->proto << 32 | f->id);
    const uint8_t *parts[2] = {f->src, f->dst};
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < alen; i++) {
            h ^= parts[k][i];
            h *= 0x100000001b3ull;
        }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
}

static struct frag_entry *frag_lookup(struct frag_table *t, const struct frag_in *f,
                                      uint64_t h, size_t alen)
{
    for (struct frag_entry *e = t->bucket[h % FRAG_BUCKETS]; e; e = e->hnext)
        if (e->hash == h && e->version == f->version && e->proto == f->proto && e->id == f->id &&
            !memcmp(e->src, f->src, alen) && !memcmp(e->dst, f->dst, alen))
            return e;
    return NULL;
}

static struct frag_entry *frag_create(struct decoder *d, const struct frag_in *f, uint64_t h,
                                      size_t alen)
{
    struct frag_table *t = d->frags;
    size_t need = sizeof(struct frag_entry) + f->unfrag_len;
    if (frag_make_room(d, need, NULL) < 0) {
        decode_anomaly_count_only(d, DECODE_ANOM_FRAG_MEMCAP);
        return NULL;
    }
    struct frag_entry *e = calloc(1, sizeof(*e));
    if (!e)
        return NULL;
    e->unfrag = malloc(f->unfrag_len);
    if (!e->unfrag) {
        free(e);
        return NULL;
    }
    memcpy(e->unfrag, f->unfrag, f->unfrag_len);
    e->unfrag_len = f->unfrag_len;
    e->nh_off = f->nh_off;
    e->hdr_from_first = f->offset == 0;
    e->hash = h;
    e->version = f->version;
    e->proto = f->proto;
    e->id = f->id;
    memcpy(e->src, f->src, alen);
    memcpy(e->dst, f->dst, alen);
    e->first_ns = d->now_ns;
    e->mem = need;
    t->mem += need;
    e->hnext = t->bucket[h % FRAG_BUCKETS];
    t->bucket[h % FRAG_BUCKETS] = e;
    e->older = t->newest;
    if (t->newest)
        t->newest->newer = e;
    else
        t->oldest = e;
    t->newest = e;
    return e;
}

/* Store [start, end) first-data-wins.  Returns overlap bits: 1 same, 2 different. */
static int frag_insert(struct decoder *d, struct frag_entry *e, uint32_t start, uint32_t end,
                       const uint8_t *data)
{
    struct frag_block **pp = &e->blocks;
    uint32_t pos = start;
    int ov = 0;
    while (pos < end) {
        struct frag_block *b = *pp;
        if (b && b->end <= pos) {
            pp = &b->next;
            continue;
        }
        if (b && b->start <= pos) {
            uint32_t oe = end < b->end ? end : b->end;
            ov |= memcmp(data + (pos - start), b->data + (pos - b->start), oe - pos) ? 2 : 1;
            pos = oe;
            pp = &b->next;
            continue;
        }
        uint32_t ge = (b && b->start < end) ? b->start : end;
        size_t need = sizeof(struct frag_block) + (ge - pos);
        if (frag_make_room(d, need, e) < 0) {
            decode_anomaly_count_only(d, DECODE_ANOM_FRAG_MEMCAP);
            return ov;
        }
        struct frag_block *nb = malloc(need);
        if (!nb)
            return ov;
        nb->start = pos;
        nb->end = ge;
        memcpy(nb->data, data + (pos - start), ge - pos);
        nb->next = b;
        *pp = nb;
        pp = &nb->next;
        e->mem += need;
        d->frags->mem += need;
        pos = ge;
    }
    return ov;
}

static int frag_complete(const struct frag_entry *e)
{
    uint32_t have = 0;
    if (!e->have_last)
        return 0;
    for (const struct frag_block *b = e->blocks; b && have < e->total; b = b->next) {
        if (b->start > have)
            return 0;
        if (b->end > have)
            have = b->end;
    }
    return have >= e->total;
}

/* Write the rebuilt datagram to out; returns its length. */
static int frag_build(const struct frag_entry *e, uint8_t *out)
{
    uint32_t n = e->unfrag_len + e->total;
    memcpy(out, e->unfrag, e->unfrag_len);
    for (const struct frag_block *b = e->blocks; b && b->start < e->total; b = b->next) {
        uint32_t end = b->end < e->total ? b->end : e->total;
        memcpy(out + e->unfrag_len + b->start, b->data, end - b->start);
    }
    if (e->version == 4) {
        out[2] = (uint8_t)(n >> 8), out[3] = (uint8_t)n;
        out[6] &= 0x40, out[7] = 0; /* keep DF, clear MF and offset */
        out[10] = out[11] = 0;
        uint16_t ck = (uint16_t)~decode_cksum_fold(decode_cksum_add(0, out, e->unfrag_len));
        out[10] = (uint8_t)(ck >> 8), out[11] = (uint8_t)ck;
    } else {
        uint32_t plen = n - 40;
        out[4] = (uint8_t)(plen >> 8), out[5] = (uint8_t)plen;
        out[e->nh_off] = e->proto;
    }
    return (int)n;
}

/* Checks that do not need the entry.  Returns -1 to drop the fragment. */
static int frag_check(struct decoder *d, struct packet *pkt, const struct frag_in *f)
{
    uint32_t end = f->offset + f->len;
    uint32_t limit = f->version == 4 ? 65535u - f->unfrag_len : 65535u - (f->unfrag_len - 40u);
    if (f->unfrag_len > DECODE_FRAG_MAX_UNFRAG || f->unfrag_len > 65535u || end > limit) {
        decode_anomaly_raise(d, pkt, DECODE_ANOM_FRAG_TOO_BIG);
        return -1;
    }
    if (f->more && f->unfrag_len + f->len < FRAG_MIN_OK)
        decode_anomaly_raise(d, pkt, DECODE_ANOM_FRAG_TOO_SMALL);
    if (f->df)
        decode_anomaly_raise(d, pkt, DECODE_ANOM_FRAG_WITH_DF);
    return 0;
}

/* Keep the header of the offset-0 fragment when it arrives after others. */
static void frag_update_header(struct decoder *d, struct packet *pkt, struct frag_entry *e,
                               const struct frag_in *f)
{
    if (f->unfrag_len != e->unfrag_len) {
        decode_anomaly_raise(d, pkt, DECODE_ANOM_FRAG_PROTO_INCONSISTENT);
        if (f->offset != 0 || e->hdr_from_first)
            return;
        uint8_t *nu = malloc(f->unfrag_len);
        if (!nu)
            return;
        d->frags->mem += f->unfrag_len;
        d->frags->mem -= e->unfrag_len;
        e->mem = e->mem + f->unfrag_len - e->unfrag_len;
        free(e->unfrag);
        e->unfrag = nu;
        e->unfrag_len = f->unfrag_len;
    } else if (f->offset != 0 || e->hdr_from_first) {
        return;
    }
    memcpy(e->unfrag, f->unfrag, f->unfrag_len);
    e->nh_off = f->nh_off;
    e->hdr_from_first = 1;
}

int frag_add(struct decoder *d, struct packet *pkt, const struct frag_in *f, uint8_t *out)
{
    struct frag_table *t = d->frags;
    size_t alen = f->version == 4 ? 4 : 16;
    uint32_t end = f->offset + f->len;
    if (frag_check(d, pkt, f) < 0)
        return -1;
    uint64_t h = frag_hash(t->seed, f, alen);
    struct frag_entry *e = frag_lookup(t, f, h, alen);
    if (!e) {
        e = frag_create(d, f, h, alen);
        if (!e)
            return -1;
    } else {
        frag_update_header(d, pkt, e, f);
    }
    if (!f->more) {
        if (e->have_last && e->total != end) {
            decode_anomaly_raise(d, pkt, DECODE_ANOM_FRAG_SIZE_INCONSISTENT);
        } else {
            e->have_last = 1;
            e->total = end;
        }
    } else if (e->have_last && end > e->total) {
        decode_anomaly_raise(d, pkt, DECODE_ANOM_FRAG_SIZE_INCONSISTENT);
    }
    int ov = frag_insert(d, e, f->offset, end, f->data);
    if (ov & 1)
        decode_anomaly_raise(d, pkt, DECODE_ANOM_FRAG_OVERLAP);
    if (ov & 2)
        decode_anomaly_raise(d, pkt, DECODE_ANOM_FRAG_INCONSISTENT_OVERLAP);
    if (!frag_complete(e))
        return 0;
    int n = frag_build(e, out);
    frag_entry_free(t, e);
    return n;
}
