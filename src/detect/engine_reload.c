/*
 * engine_reload.c - the rules of a running analysis, loaded at start and
 * reloaded on request (SIGHUP) without stopping the packet path and
 * without losing flows (docs/alerts.md "Reload").
 *
 *   SIGHUP ──► detect_reload_request(): a flag (async-signal-safe)
 *   packet boundary ──► detect_reload_poll(): flag set, no build running:
 *       start a builder thread: parse the rules files, build the engine
 *       (Vectorscan compilation of ET Open takes seconds)
 *   packet boundary ──► detect_reload_poll(): builder done:
 *       success: detect_engine_install(new) (per-flow state and flowbits
 *       are global and kept, flowbit names keep their index), free the
 *       old engine and ruleset, log "rules reloaded: N loaded, M rejected";
 *       failure: log the error, keep the old rules.
 *
 * With analysis workers (--workers N) the packet thread is the reader:
 * the new engine is installed there and published to the workers
 * (detect_workers_publish), each of which takes a copy of it between two
 * of its packets; the engine it replaces, and its rules, are freed once
 * no worker copies them any more (engine_worker.c), and no other reload
 * is installed or started before that.
 *
 * Only the builder thread and the packet thread touch the reloader; the
 * builder shares with the packet path only the flowbit name table, which
 * only grows and publishes each new name atomically (engine.c).  Threshold
 * state belongs to an engine and starts afresh with the new one.
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "detect/detect_worker.h"
#include "detect/engine.h"
#include "detect/engine_int.h"
#include "detect/hs_cache.h"

struct det_reload_build {
    struct ruleset rs;
    struct detect_engine *eng;
    int ok;
    double load_s, build_s; /* CPU seconds of the building thread */
    struct hs_cache_stats hc; /* its Vectorscan databases (hs_cache.c) */
    char err[600];
};

struct detect_reload {
    const char *const *paths;
    int n;
    const char *vars;
    detect_emit_fn emit;
    void *emit_ctx;
    FILE *log;
    struct ruleset *rs; /* installed */
    struct detect_engine *eng;
    pthread_t th;
    int running;
    volatile int done; /* set by the builder (read with __atomic) */
    struct det_reload_build *b;
    double load_s, build_s; /* of the installed rules */
    struct detect_engine *retired_eng; /* replaced, still copied by a worker */
    struct ruleset *retired_rs;
    void (*on_install)(void *ctx); /* after a reload's engine is installed */
    void *on_install_ctx;
    struct hs_cache_stats hc;
};

static struct detect_reload *active;
static volatile sig_atomic_t requested;

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int build(struct detect_reload *r, struct det_reload_build *b, FILE *report)
{
    double t0 = cpu_now();
    if (detect_load_rules(&b->rs, r->paths, r->n, r->vars, report, b->err, sizeof(b->err)) < 0)
        return -1;
    double t1 = cpu_now();
    hs_cache_stats_take(&b->hc); /* this thread's counts from here */
    b->eng = detect_engine_new(&b->rs, r->emit, r->emit_ctx, report, b->err, sizeof(b->err));
    b->load_s = t1 - t0;
    b->build_s = cpu_now() - t1;
    hs_cache_stats_take(&b->hc);
    return b->eng ? 0 : -1;
}

struct detect_reload *detect_reload_start(const char *const *paths, int n, const char *vars,
                                          detect_emit_fn emit, void *emit_ctx, FILE *log,
                                          char *err, size_t errlen)
{
    struct detect_reload *r = calloc(1, sizeof(*r));
    struct det_reload_build *b = calloc(1, sizeof(*b));
    if (!r || !b) {
        snprintf(err, errlen, "out of memory loading rules");
        free(r);
        free(b);
        return NULL;
    }
    r->paths = paths, r->n = n, r->vars = vars;
    r->emit = emit, r->emit_ctx = emit_ctx, r->log = log;
    if (build(r, b, log) < 0) {
        snprintf(err, errlen, "%s", b->err);
        ruleset_free(&b->rs);
        free(b);
        free(r);
        return NULL;
    }
    r->rs = &b->rs; /* b's first member: freed through it */
    r->eng = b->eng;
    r->load_s = b->load_s, r->build_s = b->build_s, r->hc = b->hc;
    detect_engine_install(r->eng);
    active = r;
    return r;
}

static void *builder(void *arg)
{
    struct detect_reload *r = arg;
    struct det_reload_build *b = r->b;
    b->ok = build(r, b, r->log) == 0;
    __atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
    return NULL;
}

void detect_reload_request(void)
{
    requested = 1;
}

static int reload_finish(struct detect_reload *r)
{
    pthread_join(r->th, NULL);
    r->running = 0;
    struct det_reload_build *b = r->b;
    r->b = NULL;
    if (!b->ok) {
        if (r->log)
            fprintf(r->log, "rules reload failed, keeping the old rules: %s\n", b->err);
        detect_engine_free(b->eng);
        ruleset_free(&b->rs);
        free(b);
        return 0;
    }
    struct detect_counters c;
    detect_engine_counters(b->eng, &c);
    detect_engine_install(b->eng);
    if (det_threaded) { /* workers copy r->eng: freed when none is left */
        detect_workers_publish(b->eng);
        r->retired_eng = r->eng;
        r->retired_rs = r->rs;
    } else {
        detect_engine_free(r->eng);
        ruleset_free(r->rs);
        free(r->rs);
    }
    r->rs = &b->rs;
    r->eng = b->eng;
    r->load_s = b->load_s, r->build_s = b->build_s, r->hc = b->hc;
    if (r->on_install)
        r->on_install(r->on_install_ctx);
    if (r->log) {
        fprintf(r->log,
                "rules reloaded: %zu loaded, %zu rejected (%llu evaluated, %llu skipped; "
                "%u of %u databases from the rules cache)\n",
                b->rs.n, b->rs.rejected, (unsigned long long)c.rules,
                (unsigned long long)c.rules_skipped, b->hc.loaded, b->hc.dbs);
        fflush(r->log);
    }
    return 1;
}

static void retired_free(struct detect_reload *r)
{
    detect_engine_free(r->retired_eng);
    if (r->retired_rs) {
        ruleset_free(r->retired_rs);
        free(r->retired_rs);
    }
    r->retired_eng = NULL;
    r->retired_rs = NULL;
}

int detect_reload_poll(void)
{
    struct detect_reload *r = active;
    if (!r)
        return 0;
    if (r->retired_eng) { /* workers: the engine before the last reload */
        if (!detect_workers_retired())
            return 0; /* and no new one is installed (nor started) before it goes */
        retired_free(r);
    }
    if (r->running)
        return __atomic_load_n(&r->done, __ATOMIC_ACQUIRE) ? reload_finish(r) : 0;
    if (!requested)
        return 0;
    requested = 0;
    r->b = calloc(1, sizeof(*r->b));
    if (!r->b)
        return 0;
    r->done = 0;
    if (r->log) {
        fprintf(r->log, "rules reload requested: loading in the background\n");
        fflush(r->log);
    }
    if (pthread_create(&r->th, NULL, builder, r) != 0) {
        free(r->b);
        r->b = NULL;
        if (r->log)
            fprintf(r->log, "rules reload failed: cannot start a thread\n");
        return 0;
    }
    r->running = 1;
    return 0;
}

void detect_reload_on_install(struct detect_reload *r, void (*fn)(void *ctx), void *ctx)
{
    r->on_install = fn;
    r->on_install_ctx = ctx;
}

struct detect_engine *detect_reload_engine(const struct detect_reload *r)
{
    return r->eng;
}

void detect_reload_times(const struct detect_reload *r, double *load_s, double *build_s)
{
    *load_s = r->load_s;
    *build_s = r->build_s;
}

void detect_reload_cache(const struct detect_reload *r, unsigned *loaded, unsigned *dbs,
                         unsigned *bad)
{
    *loaded = r->hc.loaded;
    *dbs = r->hc.dbs;
    *bad = r->hc.bad;
}

int detect_reload_busy(void)
{
    return active && (active->running || requested);
}

void detect_reload_stop(struct detect_reload *r)
{
    if (!r)
        return;
    if (r->running) {
        pthread_join(r->th, NULL);
        detect_engine_free(r->b->eng);
        ruleset_free(&r->b->rs);
        free(r->b);
    }
    if (active == r)
        active = NULL;
    retired_free(r); /* the workers have ended */
    detect_engine_install(NULL);
    detect_engine_free(r->eng);
    ruleset_free(r->rs);
    free(r->rs);
    free(r);
}
