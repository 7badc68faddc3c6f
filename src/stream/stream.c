/*
 * stream.c - TCP reassembly of one direction: segments in, ordered bytes,
 * gaps and end-of-stream out.
 *
 * Owns: the held segments of each struct stream_dir (a sorted singly
 * linked list of non-overlapping blocks) and their accounting in the
 * shared struct stream_mem.  Follows RFC 9293 sequence arithmetic (32-bit,
 * compared modulo 2^32) and Zeek's reassembler semantics
 * (src/analyzer/protocol/tcp/TCP_Reassembler.cc, src/Reassem.cc) rewritten
 * for Vigil: the policy is documented in docs/stream.md.
 *
 *   seq space:  ...kept (delivered, unacked)... | next | ...holes and held blocks...
 *                                                 ^ delivery point
 *
 *   segment ──► clip to what is new ──► compare overlaps (first data wins)
 *       ──► hold new ranges ──► deliver from `next` while contiguous ──► FIN reached? eof
 *   ack above next ──► the hole will never fill: gap, deliver what follows
 *   memory cap hit ──► stop waiting: gap over the hole(s), deliver what is held
 *
 * Invariants: blocks never overlap; a block either ends at or below `next`
 * (delivered, kept for overlap checks until acked, at most STREAM_KEEP_MAX
 * bytes per direction) or starts at or above it (pending); held counts the
 * payload bytes of every block and m->used the same plus the block headers.
 * With stream_mem.no_keep nothing delivered is kept, and a segment in order
 * with nothing held is delivered from the packet without becoming a block.
 */
#include <stdlib.h>
#include <string.h>

#include "stream/stream.h"

struct stream_seg {
    struct stream_seg *next;
    uint32_t seq, len;
    int64_t ts;
    uint8_t data[];
};

#define SEQ_LT(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) < 0)
#define SEQ_LE(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) <= 0)
#define SEQ_GT(a, b) SEQ_LT(b, a)
#define SEQ_GE(a, b) SEQ_LE(b, a)

/* An ack more than this above the delivery point is not believed (a bogus
 * or unrelated ack would otherwise skip the whole stream). */
#define STREAM_ACK_WINDOW (1u << 30)

void stream_mem_init(struct stream_mem *m, size_t cap)
{
    memset(m, 0, sizeof(*m));
    m->cap = cap;
}

static size_t seg_cost(uint32_t len)
{
    return sizeof(struct stream_seg) + len;
}

static void seg_free(struct stream_mem *m, struct stream_dir *d, struct stream_seg *g)
{
    m->used -= seg_cost(g->len);
    d->held -= g->len;
    if (SEQ_LE(g->seq + g->len, d->next))
        d->kept -= g->len;
    free(g);
}

void stream_dir_free(struct stream_mem *m, struct stream_dir *d)
{
    while (d->head) {
        struct stream_seg *g = d->head;
        d->head = g->next;
        seg_free(m, d, g);
    }
    d->held = d->kept = 0;
}

/* Drop kept (delivered) blocks from the front: all when keep is 0, else
 * until at most keep bytes remain. */
static void dir_trim_kept(struct stream_mem *m, struct stream_dir *d, uint32_t keep)
{
    while (d->head && SEQ_LE(d->head->seq + d->head->len, d->next) && d->kept > keep) {
        struct stream_seg *g = d->head;
        d->head = g->next;
        seg_free(m, d, g);
    }
}

static void dir_eof_check(struct stream_dir *d, const struct stream_sink *s, int dir, int64_t ts)
{
    if (d->fin && !d->eof && SEQ_GE(d->next, d->fin_seq)) {
        d->eof = 1;
        if (s->eof)
            s->eof(s->ctx, dir, ts);
    }
}

/* Deliver pending blocks that start at next, in order. */
static void dir_deliver(struct stream_mem *m, struct stream_dir *d, const struct stream_sink *s,
                        int dir)
{
    struct stream_seg *g = d->head;
    while (g && SEQ_LE(g->seq + g->len, d->next))
        g = g->next; /* kept blocks */
    while (g && g->seq == d->next) {
        d->next = g->seq + g->len;
        d->kept += g->len;
        m->ctr.delivered_bytes += g->len;
        if (!d->skip && s->data)
            s->data(s->ctx, dir, g->data, g->len, g->ts);
        g = g->next; /* callbacks never free blocks (they set skip at most) */
    }
    dir_trim_kept(m, d, m->no_keep ? 0 : STREAM_KEEP_MAX);
}

/* Skip the hole in front of the first pending block (or up to `upto` when
 * nothing is pending below it): a gap. */
static void dir_gap_to(struct stream_mem *m, struct stream_dir *d, const struct stream_sink *s,
                       int dir, uint32_t upto, int64_t ts)
{
    if (!SEQ_GT(upto, d->next))
        return;
    uint32_t len = upto - d->next;
    m->ctr.gaps++;
    m->ctr.gap_bytes += len;
    d->next = upto;
    if (!d->skip && s->gap)
        s->gap(s->ctx, dir, len, ts);
}

/* The first block at or above next, or NULL. */
static struct stream_seg *dir_first_pending(struct stream_dir *d)
{
    struct stream_seg *g = d->head;
    while (g && SEQ_LE(g->seq + g->len, d->next))
        g = g->next;
    return g;
}

/* Stop waiting: deliver everything held with gaps over the holes. */
static uint64_t dir_skip_holes(struct stream_mem *m, struct stream_dir *d,
                               const struct stream_sink *s, int dir, int64_t ts)
{
    uint64_t skipped = 0;
    struct stream_seg *g;
    while ((g = dir_first_pending(d)) != NULL) {
        skipped += g->seq - d->next;
        dir_gap_to(m, d, s, dir, g->seq, ts);
        dir_deliver(m, d, s, dir);
    }
    return skipped;
}

/* Insert [seq, seq+len) as a new block before *link. */
static int dir_insert(struct stream_mem *m, struct stream_dir *d, struct stream_seg **link,
                      uint32_t seq, const uint8_t *data, uint32_t len, int64_t ts)
{
    struct stream_seg *g = malloc(seg_cost(len));
    if (!g)
        return -1;
    g->seq = seq;
    g->len = len;
    g->ts = ts;
    memcpy(g->data, data, len);
    g->next = *link;
    *link = g;
    m->used += seg_cost(len);
    d->held += len;
    if (m->used > m->ctr.peak_mem)
        m->ctr.peak_mem = m->used;
    return 0;
}

/* Compare the part of [seq, seq+len) that g covers: first data wins. */
static void dir_overlap(struct stream_mem *m, const struct stream_seg *g, uint32_t seq,
                        const uint8_t *data, uint32_t len, const struct stream_sink *s, int dir,
                        int64_t ts, bool *counted)
{
    uint32_t lo = SEQ_GT(g->seq, seq) ? g->seq : seq;
    uint32_t hi = SEQ_LT(g->seq + g->len, seq + len) ? g->seq + g->len : seq + len;
    if (!SEQ_LT(lo, hi))
        return;
    if (!*counted) {
        m->ctr.overlaps++;
        *counted = true;
    }
    m->ctr.overlap_bytes += hi - lo;
    if (memcmp(g->data + (lo - g->seq), data + (lo - seq), hi - lo) != 0) {
        m->ctr.inconsistent++;
        if (s->anomaly)
            s->anomaly(s->ctx, dir, "rexmit_inconsistency", ts);
    }
}

/* Hold the parts of the segment that are new (at or above next and not in
 * a block yet); compare the parts that are.  -1 when out of memory. */
static int dir_merge(struct stream_mem *m, struct stream_dir *d, const struct stream_sink *s,
                     int dir, uint32_t seq, const uint8_t *data, uint32_t len, int64_t ts)
{
    uint32_t end = seq + len;
    uint32_t cur = SEQ_LT(seq, d->next) ? d->next : seq; /* below next: compare only */
    bool counted = false;
    struct stream_seg **link = &d->head;
    while (*link) {
        struct stream_seg *g = *link;
        if (SEQ_GE(g->seq, end))
            break;
        dir_overlap(m, g, seq, data, len, s, dir, ts, &counted);
        if (SEQ_LT(cur, g->seq) && SEQ_LT(cur, end)) {
            uint32_t upto = SEQ_LT(g->seq, end) ? g->seq : end;
            if (dir_insert(m, d, link, cur, data + (cur - seq), upto - cur, ts) < 0)
                return -1;
            link = &(*link)->next; /* past the new block, onto g */
        }
        if (SEQ_GT(g->seq + g->len, cur))
            cur = g->seq + g->len;
        link = &g->next;
    }
    if (SEQ_LT(cur, end) && dir_insert(m, d, link, cur, data + (cur - seq), end - cur, ts) < 0)
        return -1;
    return 0;
}

/* Memory cap: first the kept bytes of this direction go, then it stops
 * waiting for its holes (shedding becomes a gap). */
static void dir_make_room(struct stream_mem *m, struct stream_dir *d, const struct stream_sink *s,
                          int dir, uint32_t len, int64_t ts)
{
    if (m->used + seg_cost(len) <= m->cap)
        return;
    dir_trim_kept(m, d, 0);
    if (m->used + seg_cost(len) <= m->cap || !dir_first_pending(d))
        return;
    m->ctr.shed++;
    m->ctr.shed_bytes += dir_skip_holes(m, d, s, dir, ts);
    dir_trim_kept(m, d, 0);
}

static void dir_data(struct stream_mem *m, struct stream_dir *d, const struct stream_sink *s,
                     int dir, uint32_t seq, const uint8_t *data, uint32_t len, int64_t ts)
{
    m->ctr.segments++;
    if (m->no_keep && seq == d->next && !d->head) {
        /* in order, nothing held, nothing kept: straight from the packet */
        d->next = seq + len;
        m->ctr.delivered_bytes += len;
        if (!d->skip && s->data)
            s->data(s->ctx, dir, data, len, ts);
        return;
    }
    if (SEQ_LE(seq + len, d->next)) {
        bool counted = false;
        m->ctr.rexmit_segs++;
        for (struct stream_seg *g = d->head; g && SEQ_LT(g->seq, d->next); g = g->next)
            dir_overlap(m, g, seq, data, len, s, dir, ts, &counted);
        return;
    }
    if (SEQ_GT(seq, d->next)) {
        m->ctr.ooo_segs++;
        dir_make_room(m, d, s, dir, len, ts);
        if (SEQ_GT(seq, d->next) && m->used + seg_cost(len) > m->cap) {
            /* still no room: what is held was delivered; skip to this one */
            m->ctr.shed_bytes += seq - d->next;
            dir_gap_to(m, d, s, dir, seq, ts);
        }
    } else {
        dir_make_room(m, d, s, dir, len, ts);
    }
    if (dir_merge(m, d, s, dir, seq, data, len, ts) < 0) {
        /* out of memory: deliver what is in order, skip the rest */
        dir_skip_holes(m, d, s, dir, ts);
        if (SEQ_GE(seq, d->next)) {
            dir_gap_to(m, d, s, dir, seq, ts);
            d->next = seq + len;
            m->ctr.delivered_bytes += len;
            if (!d->skip && s->data)
                s->data(s->ctx, dir, data, len, ts);
        }
        return;
    }
    dir_deliver(m, d, s, dir);
}

void stream_dir_segment(struct stream_mem *m, struct stream_dir *d, const struct stream_sink *s,
                        int dir, uint32_t seq, uint8_t flags, const uint8_t *data, uint32_t len,
                        int64_t ts)
{
    if (d->skip) {
        stream_dir_free(m, d); /* safe here: no delivery is running */
        return;
    }
    if (flags & STREAM_F_SYN) {
        if (!d->init) {
            d->init = 1;
            d->next = seq + 1;
        }
        seq++; /* data of a SYN (TCP Fast Open) starts after it */
    }
    if (!d->init) {
        if (len == 0 && !(flags & STREAM_F_FIN))
            return;
        d->init = 1; /* midstream pickup: the stream starts at the first byte seen */
        d->next = seq;
    }
    if (flags & STREAM_F_RST) {
        /* no more data will come: stop waiting for holes, end the direction */
        d->ending = 1;
        dir_skip_holes(m, d, s, dir, ts);
        if (!d->eof) {
            d->eof = 1;
            if (s->eof)
                s->eof(s->ctx, dir, ts);
        }
        return;
    }
    if (len > 0 && !d->eof)
        dir_data(m, d, s, dir, seq, data, len, ts);
    if ((flags & STREAM_F_FIN) && !d->fin) {
        d->fin = 1;
        d->fin_seq = seq + len;
    }
    dir_eof_check(d, s, dir, ts);
}

void stream_dir_ack(struct stream_mem *m, struct stream_dir *d, const struct stream_sink *s,
                    int dir, uint32_t ack, int64_t ts)
{
    if (!d->init || d->eof)
        return;
    if (d->fin && SEQ_GT(ack, d->fin_seq))
        ack = d->fin_seq; /* the FIN's sequence number is no data */
    if (SEQ_GT(ack, d->next) && (uint32_t)(ack - d->next) < STREAM_ACK_WINDOW) {
        /* every hole below ack will never be filled */
        struct stream_seg *g;
        while ((g = dir_first_pending(d)) != NULL && SEQ_LT(g->seq, ack)) {
            dir_gap_to(m, d, s, dir, g->seq, ts);
            dir_deliver(m, d, s, dir);
        }
        if (SEQ_GT(ack, d->next))
            dir_gap_to(m, d, s, dir, ack, ts);
        dir_deliver(m, d, s, dir);
    }
    /* acked delivered data cannot be retransmitted any more */
    while (d->head && SEQ_LE(d->head->seq + d->head->len, d->next) &&
           SEQ_LE(d->head->seq + d->head->len, ack)) {
        struct stream_seg *g = d->head;
        d->head = g->next;
        seg_free(m, d, g);
    }
    dir_eof_check(d, s, dir, ts);
}

void stream_dir_flush(struct stream_mem *m, struct stream_dir *d, const struct stream_sink *s,
                      int dir, int64_t ts)
{
    d->ending = 1;
    if (d->init)
        dir_skip_holes(m, d, s, dir, ts);
    if (d->fin && d->init && SEQ_LT(d->next, d->fin_seq))
        dir_gap_to(m, d, s, dir, d->fin_seq, ts);
    dir_eof_check(d, s, dir, ts);
    stream_dir_free(m, d);
}
