/*
 * detect_worker.h - the signature engine on several analysis workers
 * (src/pipeline/workers.c, docs/pipeline.md).
 *
 * The engine built at start (or by a reload) is shared read-only: rules,
 * groups, Vectorscan databases, indexes.  Each worker thread gets a copy
 * of the engine head with its own mutable parts (Vectorscan scratch
 * cloned from the shared one, candidate marks, match buffers, stream
 * windows, counters) and its own per-flow table, installed as that
 * thread's engine; workers own disjoint flows, so nothing per flow is
 * shared.  What spans flows - thresholds/detection_filter and xbits - is
 * shared under one lock while workers run.  SIGHUP reloads are not
 * polled by workers (one engine for the whole run).
 */
#ifndef VIGIL_DETECT_WORKER_H
#define VIGIL_DETECT_WORKER_H

struct detect_engine;

/* The calling thread's engine (NULL without rules): the one to share. */
struct detect_engine *detect_worker_base(void);
/* On: thresholds and xbits are taken under a lock (set while workers run). */
void detect_workers_threaded(int on);
/* In a worker thread: install a per-worker copy of base.  0, or -1 out of
 * memory (the thread then inspects nothing). */
int detect_worker_begin(struct detect_engine *base);
/* In the worker thread, after its last flow ended: inspect the stream
 * windows still pending, add the worker's counters to base's, free the
 * copy and the thread's per-flow table. */
void detect_worker_end(struct detect_engine *base);

#endif
