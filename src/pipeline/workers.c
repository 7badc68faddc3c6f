/*
 * workers.c - `--workers N`: one reader thread spreads packets over N
 * analysis workers (ARCHITECTURE.md §2, docs/pipeline.md).
 *
 * The reader (the thread that calls pipeline_run) reads the capture
 * source, which numbers every packet (pcap_cnt) in read order, decodes
 * just enough to know the outer IP addresses (a decoder without fragment
 * reassembly), and copies the packet into the ring of worker
 *
 *     siphash(min(src, dst) || max(src, dst)) mod N
 *
 * of the OUTER address pair, the same in both directions.  Hashing the
 * outer pair rather than the 5-tuple keeps on one worker, with nothing
 * else to coordinate: both directions of a flow; every fragment of a
 * datagram (a non-first fragment has no ports); every flow carried in a
 * tunnel between two endpoints (inner flows follow their outer pair);
 * and every flow between two hosts (xbits by ip_pair, FTP data channels
 * found from the control connection).  Frames without IP go to worker 0.
 *
 * Each worker is a whole struct pipeline of its own (decoder with
 * reassembly, flow table, app layer) plus its own detection state
 * (detect_worker_begin: per-flow table, Vectorscan scratch and match
 * buffers, the compiled databases shared read-only).  What crosses flows
 * is shared under locks: the outputs (pipeline_output_lock), thresholds
 * and xbits (the detect module's lock), extraction's store (its hooks'
 * lock), x509's and libmagic's caches (their own).  A full ring blocks the
 * reader (nothing dropped); counters are per worker and summed at the end.
 * SIGHUP reloads the rules: the reader polls the reloader between packets
 * and publishes the new engine, which each worker takes between two of its
 * own packets (engine_worker.c).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "core/progress.h"
#include "detect/detect_worker.h"
#include "detect/engine.h"
#include "extract/extract.h"
#include "pipeline/pipeline_int.h"
#include "pipeline/ring.h"
#include "proto/proto.h"

#define WORKER_RING_SLOTS 4096

struct worker {
    struct pipeline *p; /* its own chain: decoder, flow table, app layer */
    struct ring ring;
    pthread_t th;
    int started;
    int failed; /* atomic: an output failed; the rest is drained unread */
    int det_failed;
    struct detect_engine *det; /* the shared engine, NULL without rules */
};

struct pipeline_workers {
    int n;
    uint64_t key[2];
    struct worker w[PIPELINE_WORKERS_MAX];
};

/* ---- the output lock ---------------------------------------------------- */

static pthread_mutex_t out_mu = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
static int out_threaded; /* set before the workers start, cleared after they end */

void pipeline_output_lock(void)
{
    if (out_threaded)
        pthread_mutex_lock(&out_mu);
}

void pipeline_output_unlock(void)
{
    if (out_threaded)
        pthread_mutex_unlock(&out_mu);
}

/* ---- setup --------------------------------------------------------------- */

struct pipeline *pipeline_workers_new(struct pipeline *p, char *err, size_t errlen)
{
    if (p->cfg.workers > PIPELINE_WORKERS_MAX || p->cfg.packet_sink || p->cfg.tick) {
        snprintf(err, errlen, p->cfg.workers > PIPELINE_WORKERS_MAX
                                  ? "at most %d workers"
                                  : "more than one worker is for analysis only (no packet store)",
                 PIPELINE_WORKERS_MAX);
        free(p);
        return NULL;
    }
    struct decode_config dc = p->cfg.decode;
    dc.reassemble = 0; /* the reader only looks at the outer addresses */
    dc.max_tunnel_depth = 0;
    p->dec = decoder_new(&dc);
    p->w = calloc(1, sizeof(*p->w));
    if (!p->dec || !p->w) {
        snprintf(err, errlen, "out of memory creating the workers");
        pipeline_free(p);
        return NULL;
    }
    p->w->n = p->cfg.workers;
    core_random_key(p->w->key);
    struct pipeline_config wc = p->cfg;
    wc.workers = 0;
    wc.progress = 0;
    for (int i = 0; i < p->w->n; i++) {
        struct worker *w = &p->w->w[i];
        if (ring_init(&w->ring, WORKER_RING_SLOTS) < 0) {
            snprintf(err, errlen, "out of memory creating the worker rings");
            pipeline_free(p);
            return NULL;
        }
        w->p = pipeline_new(&wc, p->outs, p->nouts, err, errlen);
        if (!w->p) {
            pipeline_free(p);
            return NULL;
        }
    }
    return p;
}

void pipeline_workers_free(struct pipeline *p)
{
    if (!p->w)
        return;
    for (int i = 0; i < p->w->n; i++) {
        pipeline_free(p->w->w[i].p);
        ring_free(&p->w->w[i].ring);
    }
    free(p->w);
    p->w = NULL;
}

/* ---- the worker ----------------------------------------------------------- */

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    if (w->det && detect_worker_begin(w->det) < 0)
        w->det_failed = 1;
    struct packet *pkt;
    while ((pkt = ring_get(&w->ring)) != NULL) {
        if (w->det)
            detect_worker_poll(); /* a SIGHUP reload's engine, between packets */
        if (pkt->num == 0) { /* not a packet: the reader's wake-up after a reload */
            ring_release(&w->ring);
            continue;
        }
        if (!__atomic_load_n(&w->failed, __ATOMIC_RELAXED)) {
            pipeline_packet(w->p, pkt);
            if (w->p->out_failed)
                __atomic_store_n(&w->failed, 1, __ATOMIC_RELEASE);
        }
        ring_release(&w->ring);
    }
    pipeline_finish(w->p);
    if (w->det && !w->det_failed)
        detect_worker_end();
    flow_thread_free();  /* the thread's cached digest contexts */
    proto_thread_free(); /* HTTP's memo of inflated bodies */
    return NULL;
}

/* ---- the reader ------------------------------------------------------------ */

/* The worker of pkt: a symmetric hash of its outer IP address pair. */
static int worker_of(struct pipeline *p, struct packet *pkt)
{
    decode_packet(p->dec, pkt);
    if (!pkt->n_layers)
        return 0;
    const struct pkt_ip *ip = &pkt->layer[0];
    uint8_t k[33];
    int c = memcmp(ip->src, ip->dst, 16);
    memcpy(k, c <= 0 ? ip->src : ip->dst, 16);
    memcpy(k + 16, c <= 0 ? ip->dst : ip->src, 16);
    k[32] = ip->version;
    return (int)(core_siphash(p->w->key, k, sizeof(k)) % (uint64_t)p->w->n);
}

static int workers_failed(struct pipeline *p)
{
    for (int i = 0; i < p->w->n; i++)
        if (__atomic_load_n(&p->w->w[i].failed, __ATOMIC_ACQUIRE))
            return 1;
    return 0;
}

/* A reload was published: an entry that is no packet (num 0) in every
 * ring, so that a worker waiting for packets takes the new engine now and
 * the old one can go (the reloader waits for every worker's switch). */
static int workers_wake(struct pipeline *p)
{
    struct packet none;
    memset(&none, 0, sizeof(none));
    for (int i = 0; i < p->w->n; i++)
        if (ring_put(&p->w->w[i].ring, &none) < 0)
            return -1;
    return 0;
}

static int workers_read(struct pipeline *p, struct capture_source *src)
{
    struct packet pkt;
    struct progress pg;
    uint64_t n_read = 0;
    int rc = 0;
    progress_begin(&pg, "packets", p->cfg.progress);
    int n;
    while ((n = pipeline_next(p, src, &pkt)) > 0) {
        n_read++;
        /* SIGHUP: rules built in the background, published to the workers */
        if (detect_reload_poll() && workers_wake(p) < 0) {
            snprintf(p->err, sizeof(p->err), "out of memory queueing a packet to a worker");
            rc = -1;
            break;
        }
        if (ring_put(&p->w->w[worker_of(p, &pkt)].ring, &pkt) < 0) {
            snprintf(p->err, sizeof(p->err), "out of memory queueing a packet to a worker");
            rc = -1;
            break;
        }
        if ((n_read & 1023) == 0) {
            pipeline_tick(p);
            if (workers_failed(p))
                break;
        }
        if (progress_due(&pg)) {
            uint64_t d, t;
            capture_progress(src, &d, &t);
            progress_update_now(&pg, d, t, n_read);
        }
    }
    if (n < 0)
        rc = -1;
    progress_end(&pg);
    return rc;
}

static void counters_add(struct pipeline_counters *s, const struct pipeline_counters *c)
{
    s->packets += c->packets;
    s->bytes += c->bytes;
    s->decode_failed += c->decode_failed;
    s->decode_anomalies += c->decode_anomalies;
    s->non_ip += c->non_ip;
    s->flows_created += c->flows_created;
    s->flows_expired += c->flows_expired;
    s->flows_evicted += c->flows_evicted;
    s->flows_flushed += c->flows_flushed;
    s->records += c->records;
    s->output_errors += c->output_errors;
}

int pipeline_workers_run(struct pipeline *p, struct capture_source *src)
{
    struct pipeline_workers *ws = p->w;
    struct detect_engine *det = detect_worker_base();
    int rc = 0;
    out_threaded = 1;
    detect_workers_threaded(1);
    extract_threaded(1);
    for (int i = 0; i < ws->n; i++) {
        ws->w[i].det = det;
        if (pthread_create(&ws->w[i].th, NULL, worker_main, &ws->w[i]) != 0) {
            snprintf(p->err, sizeof(p->err), "cannot start worker thread %d", i);
            rc = -1;
            break;
        }
        ws->w[i].started = 1;
    }
    if (rc == 0)
        rc = workers_read(p, src);
    for (int i = 0; i < ws->n; i++)
        ring_close(&ws->w[i].ring);
    memset(&p->ctr, 0, sizeof(p->ctr));
    for (int i = 0; i < ws->n; i++) {
        struct worker *w = &ws->w[i];
        if (w->started)
            pthread_join(w->th, NULL);
        counters_add(&p->ctr, &w->p->ctr);
        if (w->det_failed && rc == 0) {
            snprintf(p->err, sizeof(p->err), "out of memory for a worker's detection state");
            rc = -1;
        }
        if (w->p->out_failed && !p->out_failed) {
            snprintf(p->err, sizeof(p->err), "%s", w->p->err);
            p->out_failed = 1;
        }
    }
    extract_threaded(0);
    detect_workers_threaded(0);
    out_threaded = 0;
    pipeline_flush_outputs(p);
    if (p->out_failed)
        rc = -1;
    return rc;
}
