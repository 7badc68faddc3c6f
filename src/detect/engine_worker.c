/*
 * engine_worker.c - per-worker copies of the signature engine
 * (detect_worker.h).
 *
 * A copy shares everything the build made read-only and replaces what
 * evaluation writes: the Vectorscan scratch (hs_clone_scratch: one per
 * thread, as Vectorscan requires), the candidate marks and list, the
 * match context (PCRE2 match data, transform buffer), the stream
 * inspection's per-rule last-alert packet and its pending windows, and
 * the counters (summed into the shared engine's at the end).  The
 * threshold table stays shared (a source's count spans workers) and is
 * used under det_shared_lock, as the xbits table is.  When a field is
 * added to struct detect_engine that evaluation writes, it belongs here.
 *
 * SIGHUP reloads while workers run: the reader thread builds the new
 * engine in the background as without workers (engine_reload.c), then
 * publishes it here (detect_workers_publish).  Each worker, between two
 * of its packets (detect_worker_poll), sees the new generation, inspects
 * its pending stream windows with its old copy and replaces the copy by
 * one of the new engine; its per-flow table (flowbits, flowints, stream
 * state) and its files held for an ACK stay, as in a reload without
 * workers.  The old engine and its rules are freed by the reader only
 * when no copy of them is left (detect_workers_retired): a worker that
 * gets no packet keeps its old copy until its next packet or its end.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "detect/detect_worker.h"
#include "detect/engine_int.h"

static pthread_mutex_t shared_mu = PTHREAD_MUTEX_INITIALIZER;
int det_threaded;

/* The engine workers copy (under shared_mu; pub_gen also read atomically
 * by workers between packets), the copies alive and how many of them
 * copy an engine older than pub_base. */
static struct detect_engine *pub_base;
static unsigned pub_gen, live, stale;

void det_shared_lock(void)
{
    if (det_threaded)
        pthread_mutex_lock(&shared_mu);
}

void det_shared_unlock(void)
{
    if (det_threaded)
        pthread_mutex_unlock(&shared_mu);
}

struct detect_engine *detect_worker_base(void)
{
    return det_current();
}

void detect_workers_threaded(int on)
{
    pthread_mutex_lock(&shared_mu);
    pub_base = on ? det_current() : NULL;
    live = stale = 0;
    pthread_mutex_unlock(&shared_mu);
    det_threaded = on;
}

int detect_workers_running(void)
{
    return det_threaded;
}

void detect_workers_publish(struct detect_engine *base)
{
    pthread_mutex_lock(&shared_mu);
    pub_base = base;
    stale = live;
    __atomic_store_n(&pub_gen, pub_gen + 1, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&shared_mu);
}

int detect_workers_retired(void)
{
    pthread_mutex_lock(&shared_mu);
    int r = stale == 0;
    pthread_mutex_unlock(&shared_mu);
    return r;
}

/* The worker's copy, the engine it copies, that engine's generation and
 * the copy's counters when it began (for the sum). */
static _Thread_local struct detect_engine *mine, *mine_base;
static _Thread_local unsigned mine_gen;
static _Thread_local struct detect_counters mine_start;


static void worker_copy_free(struct detect_engine *w)
{
    if (!w)
        return;
    hs_free_scratch(w->scratch);
    detect_match_free(&w->m);
    free(w->mark);
    free(w->cand);
    free(w->spkt);
    free(w->swin);
    free(w->spend);
    free(w->spairs);
    free(w->smem);
    free(w);
}

/* A copy of base with its own mutable parts, or NULL out of memory. */
static struct detect_engine *copy_new(const struct detect_engine *base)
{
    struct detect_engine *w = malloc(sizeof(*w));
    if (!w)
        return NULL;
    *w = *base;
    w->scratch = NULL;
    w->mark = calloc(base->n_rules + 1, sizeof(*w->mark));
    w->cand = calloc(base->n_rules + 1, sizeof(*w->cand));
    w->gen = 0;
    w->n_cand = 0;
    w->spkt = base->spkt ? calloc(base->n_rules + 1, sizeof(*w->spkt)) : NULL;
    w->swin = NULL, w->swlen = w->swcap = 0;
    w->spend = NULL, w->n_spend = w->cap_spend = 0;
    w->spairs = NULL, w->n_spairs = w->cap_spairs = 0;
    w->smem = NULL, w->n_smem = w->cap_smem = 0;
    memset(&w->m, 0, sizeof(w->m));
    int bad = !w->mark || !w->cand || (base->spkt && !w->spkt) || detect_match_init(&w->m) < 0 ||
              (base->scratch && hs_clone_scratch(base->scratch, &w->scratch) != HS_SUCCESS);
    if (bad) {
        worker_copy_free(w);
        return NULL;
    }
    return w;
}

/* The copy's counts since it began, added to its engine's (under
 * shared_mu). */
static void counters_sum(void)
{
    /* every counter is a uint64_t: add what this worker counted */
    uint64_t *b = (uint64_t *)&mine_base->ctr;
    const uint64_t *now = (const uint64_t *)&mine->ctr, *was = (const uint64_t *)&mine_start;
    _Static_assert(sizeof(struct detect_counters) % sizeof(uint64_t) == 0,
                   "detect_counters holds uint64_t only");
    for (size_t i = 0; i < sizeof(struct detect_counters) / sizeof(uint64_t); i++)
        b[i] += now[i] - was[i];
}

int detect_worker_begin(struct detect_engine *base)
{
    pthread_mutex_lock(&shared_mu);
    if (pub_base) /* a reload may have come before this thread began */
        base = pub_base;
    struct detect_engine *w = copy_new(base);
    if (w && det_state_init() < 0) {
        worker_copy_free(w);
        w = NULL;
    }
    if (w) {
        live++;
        mine_gen = pub_gen;
    }
    pthread_mutex_unlock(&shared_mu);
    if (!w)
        return -1;
    mine = w;
    mine_base = base;
    mine_start = w->ctr;
    detect_engine_install(w);
    return 0;
}

void detect_worker_poll(void)
{
    if (!mine || __atomic_load_n(&pub_gen, __ATOMIC_ACQUIRE) == mine_gen)
        return;
    /* pub_base cannot change again while this copy is stale: the reader
     * publishes only when every copy is of the current engine */
    pthread_mutex_lock(&shared_mu);
    struct detect_engine *base = pub_base;
    unsigned gen = pub_gen;
    pthread_mutex_unlock(&shared_mu);
    struct detect_engine *w = copy_new(base);
    if (!w) /* out of memory: keep the old copy and try again later */
        return;
    struct detect_engine *old = mine;
    detect_engine_install(w); /* the old copy inspects its pending windows */
    pthread_mutex_lock(&shared_mu);
    counters_sum();
    stale--;
    pthread_mutex_unlock(&shared_mu);
    worker_copy_free(old);
    mine = w;
    mine_base = base;
    mine_gen = gen;
    mine_start = w->ctr;
}

void detect_worker_end(void)
{
    struct detect_engine *w = mine;
    if (!w)
        return;
    det_stream_flush_pending(w);
    det_file_flush(); /* the worker's files held for an ACK */
    det_file_magic_free();
    det_thread_state_free();
    pthread_mutex_lock(&shared_mu);
    counters_sum();
    live--;
    if (mine_gen != pub_gen)
        stale--;
    pthread_mutex_unlock(&shared_mu);
    mine = mine_base = NULL;
    worker_copy_free(w);
}
