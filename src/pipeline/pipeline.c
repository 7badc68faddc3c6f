/*
 * pipeline.c - the analysis chain of ARCHITECTURE.md §2 for one worker:
 * source -> decode -> flow table -> records -> outputs.
 *
 * Owns: the decoder, the flow table, the progress line and the counters
 * of one run.  It reads packets only through the capture_source
 * operations, so a file and a live interface look the same; flows expire
 * by packet time (flow_table_packet), every flow is flushed when the
 * source ends or pipeline_stop() is called, and every record goes to
 * every output in the order the flows end.  Later stages (reassembly,
 * app-layer parsers, detection) hook in between the flow table and the
 * outputs here.
 */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/progress.h"
#include "detect/engine.h"
#include "pipeline/pipeline.h"
#include "pipeline/pipeline_int.h"
#include "stream/stream.h"


void pipeline_config_default(struct pipeline_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->sensor = "vigil";
    decode_config_default(&cfg->decode);
    cfg->decode.reassemble = 1;
    flow_config_default(&cfg->flow);
    cfg->progress = 1;
}

/* Every record (conn.log from the flow table, the parsers' logs and
 * weird.log from the app layer) goes to every output. */
static void pipeline_emit_record(void *ctx, const struct record_hdr *rec)
{
    struct pipeline *p = ctx;
    p->ctr.records++;
    pipeline_output_lock();
    for (int i = 0; i < p->nouts; i++) {
        if (output_write(p->outs[i], rec) < 0) {
            p->ctr.output_errors++;
            if (!p->out_failed) {
                snprintf(p->err, sizeof(p->err), "%s", p->outs[i]->err);
                p->out_failed = 1;
            }
        }
    }
    pipeline_output_unlock();
}

static void pipeline_emit(void *ctx, const struct conn_record *rec)
{
    pipeline_emit_record(ctx, &rec->hdr);
}

/* The registry's parsers named in names, in registry order (detection
 * priority); NULL with a sentence in err for an unknown name. */
static const struct proto_parser **pipeline_parsers(const char *const *names, char *err,
                                                    size_t errlen)
{
    size_t n = 0;
    while (proto_parsers[n])
        n++;
    const struct proto_parser **t = calloc(n + 1, sizeof(*t));
    if (!t) {
        snprintf(err, errlen, "out of memory creating the pipeline");
        return NULL;
    }
    for (size_t i = 0; names[i]; i++) {
        bool known = false;
        for (size_t k = 0; k < n; k++)
            known |= strcmp(proto_parsers[k]->name, names[i]) == 0;
        if (!known) {
            snprintf(err, errlen, "no parser named '%s'", names[i]);
            free(t);
            return NULL;
        }
    }
    size_t m = 0;
    for (size_t k = 0; k < n; k++)
        for (size_t i = 0; names[i]; i++)
            if (strcmp(proto_parsers[k]->name, names[i]) == 0) {
                t[m++] = proto_parsers[k];
                break;
            }
    return t;
}

struct pipeline *pipeline_new(const struct pipeline_config *cfg, struct output *const *outs,
                              int nouts, char *err, size_t errlen)
{
    struct pipeline *p = calloc(1, sizeof(*p));
    if (!p) {
        snprintf(err, errlen, "out of memory creating the pipeline");
        return NULL;
    }
    p->cfg = *cfg;
    if (!p->cfg.sensor || !*p->cfg.sensor)
        p->cfg.sensor = "vigil";
    p->outs = outs;
    p->nouts = nouts;
    if (p->cfg.workers > 1)
        return pipeline_workers_new(p, err, errlen);
    p->dec = decoder_new(&p->cfg.decode);
    if (!p->dec) {
        snprintf(err, errlen, "out of memory creating the decoder");
        free(p);
        return NULL;
    }
    p->flows = flow_table_new(&p->cfg.flow, p->cfg.sensor,
                              p->cfg.no_records ? NULL : pipeline_emit, p, err, errlen);
    if (!p->flows) {
        decoder_free(p->dec);
        free(p);
        return NULL;
    }
    if (!p->cfg.no_app_layer) {
        struct stream_config sc;
        stream_config_default(&sc);
        sc.sensor = p->cfg.sensor;
        sc.no_records = p->cfg.no_records != 0;
        if (p->cfg.stream_memcap)
            sc.memcap = p->cfg.stream_memcap;
        sc.midstream_reverse = p->cfg.midstream_reverse != 0;
        if (p->cfg.parsers) {
            p->parsers = pipeline_parsers(p->cfg.parsers, err, errlen);
            if (!p->parsers) {
                flow_table_free(p->flows);
                decoder_free(p->dec);
                free(p);
                return NULL;
            }
        }
        p->app = applayer_new(&sc, p->parsers, pipeline_emit_record, p);
        if (!p->app) {
            snprintf(err, errlen, "out of memory creating the application layer");
            flow_table_free(p->flows);
            decoder_free(p->dec);
            free(p->parsers);
            free(p);
            return NULL;
        }
        applayer_attach(p->app, p->flows);
    }
    return p;
}

/* Push every output's buffered rows out; the first failure stops the run. */
void pipeline_flush_outputs(struct pipeline *p)
{
    pipeline_output_lock();
    for (int i = 0; i < p->nouts; i++)
        if (p->outs[i]->ops->flush && p->outs[i]->ops->flush(p->outs[i]) < 0 && !p->out_failed) {
            snprintf(p->err, sizeof(p->err), "%s", p->outs[i]->err);
            p->out_failed = 1;
        }
    pipeline_output_unlock();
}

void pipeline_finish(struct pipeline *p)
{
    flow_table_flush(p->flows);
    struct flow_counters fc;
    flow_table_counters(p->flows, &fc);
    p->ctr.flows_created = fc.created;
    p->ctr.flows_expired = fc.expired + fc.reused;
    p->ctr.flows_evicted = fc.evicted;
    p->ctr.flows_flushed = fc.flushed;
    uint64_t an = 0;
    for (int i = 1; i < decode_anomaly_count(); i++)
        an += decoder_anomaly_count(p->dec, i);
    p->ctr.decode_anomalies = an;
    pipeline_flush_outputs(p);
}

/* Wall-clock tick at most once a second (checked every 1024 packets): the
 * caller's tick, and the outputs flushed, so that on a live interface
 * alerts and log rows reach their files within about a second instead of
 * when a 1 MiB buffer fills or the capture stops. */
void pipeline_tick(struct pipeline *p)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec != p->last_tick) {
        p->last_tick = now.tv_sec;
        if (p->cfg.tick)
            p->cfg.tick(p->cfg.tick_ctx);
        pipeline_flush_outputs(p);
    }
}

/* One packet down the chain: decode, flow table (and the app layer behind
 * it), the full-content sink, packet rules.  Used by pipeline_run and by
 * every worker (workers.c) on its own pipeline. */
void pipeline_packet(struct pipeline *p, struct packet *pkt)
{
    p->ctr.packets++;
    p->ctr.bytes += pkt->caplen;
    if (decode_packet(p->dec, pkt) < 0)
        p->ctr.decode_failed++;
    if (!(pkt->flags & PKT_F_IP))
        p->ctr.non_ip++;
    if (p->app)
        applayer_packet_anomalies(p->app, pkt);
    if (p->cfg.packet_sink) {
        struct flow_packet_refs refs;
        flow_table_packet_refs(p->flows, pkt, &refs);
        p->cfg.packet_sink(p->cfg.packet_sink_ctx, pkt, &refs);
    } else {
        flow_table_packet(p->flows, pkt);
    }
    detect_packet(pkt);
}

int pipeline_next(struct pipeline *p, struct capture_source *src, struct packet *pkt)
{
    if (p->stop)
        return 0;
    memset(pkt, 0, sizeof(*pkt));
    int n = capture_next(src, pkt);
    if (n < 0)
        snprintf(p->err, sizeof(p->err), "%s", capture_error(src));
    return n < 0 ? -1 : n > 0;
}

int pipeline_run(struct pipeline *p, struct capture_source *src)
{
    if (p->cfg.workers > 1)
        return pipeline_workers_run(p, src);
    struct packet pkt;
    struct progress pg;
    progress_begin(&pg, "packets", p->cfg.progress);
    int rc = 0;
    int n;
    while ((n = pipeline_next(p, src, &pkt)) > 0) {
        pipeline_packet(p, &pkt);
        detect_reload_poll(); /* SIGHUP: rules built off the packet path, swapped here */
        if ((p->ctr.packets & 1023) == 0)
            pipeline_tick(p);
        if (p->out_failed) {
            rc = -1;
            break;
        }
        if (progress_due(&pg)) {
            uint64_t d, t;
            capture_progress(src, &d, &t);
            progress_update_now(&pg, d, t, p->ctr.packets);
        }
    }
    if (n < 0)
        rc = -1;
    progress_end(&pg);
    pipeline_finish(p);
    if (p->out_failed)
        rc = -1;
    return rc;
}

void pipeline_stop(struct pipeline *p)
{
    p->stop = 1;
}

const char *pipeline_error(const struct pipeline *p)
{
    return p->err;
}

void pipeline_counters(const struct pipeline *p, struct pipeline_counters *c)
{
    *c = p->ctr;
}

void pipeline_free(struct pipeline *p)
{
    if (!p)
        return;
    pipeline_workers_free(p);
    flow_table_free(p->flows);
    applayer_free(p->app);
    free(p->parsers);
    decoder_free(p->dec);
    free(p);
}
