/*
 * pipeline_int.h - what pipeline.c (one chain) and workers.c (a reader
 * thread feeding N chains) share.  Not an interface.
 */
#ifndef VIGIL_PIPELINE_INT_H
#define VIGIL_PIPELINE_INT_H

#include <signal.h>
#include <time.h>

#include "pipeline/pipeline.h"

struct pipeline_workers;

struct pipeline {
    struct pipeline_config cfg;
    struct output *const *outs;
    int nouts;
    struct decoder *dec;         /* with workers: the reader's (no reassembly) */
    struct flow_table *flows;    /* NULL in a workers' parent */
    struct applayer *app;        /* reassembly, parsers, weird.log (src/stream) */
    const struct proto_parser **parsers; /* cfg.parsers' table, NULL-terminated, or NULL */
    struct pipeline_counters ctr;
    volatile sig_atomic_t stop;
    time_t last_tick;
    char err[512];
    int out_failed;
    struct pipeline_workers *w;  /* cfg.workers > 1: the threads and their chains */
};

/* pipeline.c */
void pipeline_packet(struct pipeline *p, struct packet *pkt);
void pipeline_finish(struct pipeline *p);
void pipeline_tick(struct pipeline *p);
void pipeline_flush_outputs(struct pipeline *p);
/* The next packet of src into *pkt (zeroed first): 1, 0 at the end or on
 * a stop request, -1 on a read error (sentence in p->err). */
int pipeline_next(struct pipeline *p, struct capture_source *src, struct packet *pkt);

/* workers.c: p's fields are set from the caller (cfg, outs); builds the
 * workers' chains.  p, or NULL with p freed and a sentence in err. */
struct pipeline *pipeline_workers_new(struct pipeline *p, char *err, size_t errlen);
int pipeline_workers_run(struct pipeline *p, struct capture_source *src);
void pipeline_workers_free(struct pipeline *p);

#endif
