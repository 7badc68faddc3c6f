/*
 * ring.c - the reader-to-worker packet ring (ring.h).
 *
 * head and tail only grow; slot i is head/tail modulo n.  The producer
 * publishes a filled slot with a release store of head, the consumer a
 * freed one with a release store of tail, so each side sees the other's
 * slot contents complete.  A side that finds nothing to do spins a few
 * rounds, then flags itself in `sleeping` under the mutex, re-checks and
 * waits.  The other side reads the flags with a read-modify-write after
 * its publish (so either it sees the flag or the sleeper sees the
 * publish) and takes the mutex to broadcast only when it sees a flag: the
 * common case is a few atomic operations a packet, no system call.
 */
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/ring.h"

#define RING_SPINS 16

int ring_init(struct ring *r, uint32_t n)
{
    memset(r, 0, sizeof(*r));
    uint32_t p = 1;
    while (p < n)
        p <<= 1;
    r->slots = calloc(p, sizeof(*r->slots));
    if (!r->slots)
        return -1;
    r->n = p;
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    return 0;
}

void ring_free(struct ring *r)
{
    if (!r->slots)
        return;
    for (uint32_t i = 0; i < r->n; i++)
        free(r->slots[i].buf);
    free(r->slots);
    r->slots = NULL;
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cv);
}

/* Wake the other side if it sleeps (bit: 1 consumer, 2 producer). */
static void ring_wake(struct ring *r, int bit)
{
    /* a read-modify-write, not a load: ordered after the publish and
     * against the sleeper's flag (both are RMWs of one variable) */
    if (!(__atomic_fetch_or(&r->sleeping, 0, __ATOMIC_SEQ_CST) & bit))
        return;
    pthread_mutex_lock(&r->mu);
    __atomic_and_fetch(&r->sleeping, ~bit, __ATOMIC_SEQ_CST);
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

/* Wait until ready(r) holds; bit flags this side as sleeping. */
static void ring_wait(struct ring *r, int bit, int (*ready)(struct ring *))
{
    for (int i = 0; i < RING_SPINS; i++) {
        if (ready(r))
            return;
        sched_yield();
    }
    pthread_mutex_lock(&r->mu);
    for (;;) {
        __atomic_or_fetch(&r->sleeping, bit, __ATOMIC_SEQ_CST);
        if (ready(r))
            break;
        if (bit == 2)
            r->waits_full++;
        pthread_cond_wait(&r->cv, &r->mu);
    }
    __atomic_and_fetch(&r->sleeping, ~bit, __ATOMIC_SEQ_CST);
    pthread_mutex_unlock(&r->mu);
}

static int ring_has_room(struct ring *r)
{
    uint64_t h = __atomic_load_n(&r->head, __ATOMIC_RELAXED);
    return h - __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE) < r->n;
}

/* A waiting producer resumes when half the ring is free, not at the first
 * free slot: one wake-up per half ring, not one per packet. */
static int ring_half_free(struct ring *r)
{
    uint64_t h = __atomic_load_n(&r->head, __ATOMIC_RELAXED);
    return h - __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE) <= r->n / 2;
}

static int ring_has_data(struct ring *r)
{
    return __atomic_load_n(&r->head, __ATOMIC_ACQUIRE) !=
               __atomic_load_n(&r->tail, __ATOMIC_RELAXED) ||
           __atomic_load_n(&r->closed, __ATOMIC_ACQUIRE);
}

int ring_put(struct ring *r, const struct packet *pkt)
{
    if (!ring_has_room(r))
        ring_wait(r, 2, ring_half_free);
    uint64_t h = __atomic_load_n(&r->head, __ATOMIC_RELAXED);
    struct ring_slot *s = &r->slots[h & (r->n - 1)];
    if (pkt->caplen > s->cap) {
        uint32_t c = pkt->caplen < 2048 ? 2048 : pkt->caplen;
        uint8_t *b = realloc(s->buf, c);
        if (!b)
            return -1;
        s->buf = b;
        s->cap = c;
    }
    memset(&s->pkt, 0, sizeof(s->pkt));
    s->pkt.ts_sec = pkt->ts_sec;
    s->pkt.ts_nsec = pkt->ts_nsec;
    s->pkt.caplen = pkt->caplen;
    s->pkt.wirelen = pkt->wirelen;
    s->pkt.linktype = pkt->linktype;
    s->pkt.num = pkt->num;
    s->pkt.origin = pkt->origin;
    s->pkt.origin_offset = pkt->origin_offset;
    if (pkt->caplen)
        memcpy(s->buf, pkt->data, pkt->caplen);
    s->pkt.data = s->buf;
    __atomic_store_n(&r->head, h + 1, __ATOMIC_RELEASE);
    ring_wake(r, 1);
    return 0;
}

void ring_close(struct ring *r)
{
    __atomic_store_n(&r->closed, 1, __ATOMIC_RELEASE);
    pthread_mutex_lock(&r->mu);
    __atomic_and_fetch(&r->sleeping, ~1, __ATOMIC_SEQ_CST);
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

struct packet *ring_get(struct ring *r)
{
    if (!ring_has_data(r))
        ring_wait(r, 1, ring_has_data);
    uint64_t t = __atomic_load_n(&r->tail, __ATOMIC_RELAXED);
    if (__atomic_load_n(&r->head, __ATOMIC_ACQUIRE) == t)
        return NULL; /* closed and drained */
    return &r->slots[t & (r->n - 1)].pkt;
}

void ring_release(struct ring *r)
{
    uint64_t t = __atomic_load_n(&r->tail, __ATOMIC_RELAXED);
    __atomic_store_n(&r->tail, t + 1, __ATOMIC_RELEASE);
    if (__atomic_load_n(&r->head, __ATOMIC_ACQUIRE) - (t + 1) <= r->n / 2)
        ring_wake(r, 2);
}
