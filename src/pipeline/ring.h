/*
 * ring.h - a single-producer/single-consumer ring of packets, the hand-off
 * from the reader thread to one analysis worker (ARCHITECTURE.md §2:
 * "a file reader spreads them by a symmetric flow hash over
 * single-producer rings").
 *
 * Each slot owns a byte buffer the packet is copied into (the capture
 * source's buffer is reused by its next read), grown as needed by the
 * producer while it holds the slot.  A full ring makes the producer wait
 * (back-pressure: nothing is dropped, so a file reads the same with any
 * number of workers); an empty ring makes the consumer wait.  Waiting
 * spins briefly, then sleeps on a condition variable that the other side
 * signals only when a sleeper is flagged, so a busy ring costs no system
 * call per packet.
 */
#ifndef VIGIL_PIPELINE_RING_H
#define VIGIL_PIPELINE_RING_H

#include <pthread.h>
#include <stdint.h>

#include "core/packet.h"

struct ring_slot {
    struct packet pkt;  /* source fields only; data points at buf */
    uint8_t *buf;
    uint32_t cap;
};

struct ring {
    struct ring_slot *slots;
    uint32_t n;                 /* power of two */
    uint64_t head;              /* next slot the producer fills (atomic) */
    uint64_t tail;              /* next slot the consumer takes (atomic) */
    int closed;                 /* the producer is done (atomic) */
    int sleeping;               /* bit 0 consumer, bit 1 producer waits (under mu) */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    uint64_t waits_full;        /* producer sleeps (back-pressure), for the report */
};

int ring_init(struct ring *r, uint32_t n);
void ring_free(struct ring *r);

/* Producer: copy pkt (its source fields and caplen bytes) into the next
 * slot, waiting while the ring is full.  0, or -1 out of memory. */
int ring_put(struct ring *r, const struct packet *pkt);
/* Producer: no more packets; the consumer drains what is queued. */
void ring_close(struct ring *r);

/* Consumer: the next packet (valid until ring_release), or NULL when the
 * ring is closed and empty. */
struct packet *ring_get(struct ring *r);
void ring_release(struct ring *r);

#endif
