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
 * shared under one lock while workers run.  A SIGHUP reload's engine is
 * published by the reader thread and taken by each worker between two of
 * its packets (engine_worker.c).
 */
#ifndef VIGIL_DETECT_WORKER_H
#define VIGIL_DETECT_WORKER_H

struct detect_engine;

/* The calling thread's engine (NULL without rules): the one to share. */
struct detect_engine *detect_worker_base(void);
/* On: thresholds and xbits are taken under a lock (set while workers run). */
void detect_workers_threaded(int on);
/* Are workers running (set by detect_workers_threaded)? */
int detect_workers_running(void);
/* In a worker thread: install a per-worker copy of base (of the engine a
 * reload published meanwhile, if any).  0, or -1 out of memory (the
 * thread then inspects nothing). */
int detect_worker_begin(struct detect_engine *base);
/* In a worker thread between two packets: a reload published a new
 * engine - replace the copy by one of it (flows and their state kept). */
void detect_worker_poll(void);
/* In the worker thread, after its last flow ended: inspect the stream
 * windows still pending, add the worker's counters to its engine's, free
 * the copy and the thread's per-flow table. */
void detect_worker_end(void);
/* The reader thread, after a reload installed base: workers take it from
 * their next packet on.  The engine they copied before stays in use until
 * detect_workers_retired() says no copy of it is left. */
void detect_workers_publish(struct detect_engine *base);
int detect_workers_retired(void);

#endif
