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
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "detect/detect_worker.h"
#include "detect/engine_int.h"

static pthread_mutex_t shared_mu = PTHREAD_MUTEX_INITIALIZER;
int det_threaded;

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
    det_threaded = on;
}

/* The worker's copy and its counters when it began (for the sum). */
static _Thread_local struct detect_engine *mine;
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
    free(w);
}

int detect_worker_begin(struct detect_engine *base)
{
    struct detect_engine *w = malloc(sizeof(*w));
    if (!w)
        return -1;
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
    memset(&w->m, 0, sizeof(w->m));
    int bad = !w->mark || !w->cand || (base->spkt && !w->spkt) || detect_match_init(&w->m) < 0 ||
              (base->scratch && hs_clone_scratch(base->scratch, &w->scratch) != HS_SUCCESS) ||
              det_state_init() < 0;
    if (bad) {
        worker_copy_free(w);
        return -1;
    }
    mine = w;
    mine_start = w->ctr;
    detect_engine_install(w);
    return 0;
}

void detect_worker_end(struct detect_engine *base)
{
    struct detect_engine *w = mine;
    if (!w)
        return;
    det_stream_flush_pending(w);
    det_file_flush(); /* the worker's files held for an ACK */
    det_file_magic_free();
    det_thread_state_free();
    /* every counter is a uint64_t: add what this worker counted */
    uint64_t *b = (uint64_t *)&base->ctr;
    const uint64_t *now = (const uint64_t *)&w->ctr, *was = (const uint64_t *)&mine_start;
    _Static_assert(sizeof(struct detect_counters) % sizeof(uint64_t) == 0,
                   "detect_counters holds uint64_t only");
    pthread_mutex_lock(&shared_mu);
    for (size_t i = 0; i < sizeof(struct detect_counters) / sizeof(uint64_t); i++)
        b[i] += now[i] - was[i];
    pthread_mutex_unlock(&shared_mu);
    mine = NULL;
    worker_copy_free(w);
}
