/*
 * pipeline.h - one owner for ARCHITECTURE.md §2's chain:
 * source -> decode -> flow table -> (later: reassembly, app parsers,
 * detection) -> records -> outputs.
 *
 * Why a module of its own: every command that analyses traffic (`vigil
 * analyze` over files now, `vigil run`/`vigil sensor` over live interfaces
 * later, `vigil sessions` over pcaps) needs the same chain wired the same
 * way, with the same counters and the same end-of-input flush.  Keeping it
 * here keeps cli/ thin and gives live capture the same code path.  Nothing
 * in it assumes the input is a file: it only calls the capture_source
 * operations, expires flows by packet time, and stops on end of input or
 * on pipeline_stop() (safe from a signal handler).
 */
#ifndef VIGIL_PIPELINE_H
#define VIGIL_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "capture/capture.h"
#include "decode/decode.h"
#include "flow/flow.h"
#include "store/output.h"

struct pipeline_config {
    const char *sensor;          /* default "vigil"; part of every uid */
    struct decode_config decode;
    struct flow_config flow;     /* local nets, timeouts, memcap, community id seed, ... */
    int progress;                /* show progress on a TTY (stderr) */
    /* Optional: called for EVERY packet read (non-IP and held fragments
     * too, with refs->n = 0), after the flow table accounted it and before
     * the next packet expires flows - the full-content writer's hook. */
    void (*packet_sink)(void *ctx, const struct packet *pkt, const struct flow_packet_refs *refs);
    void *packet_sink_ctx;
    /* Optional: called about once a second of wall time while reading
     * (live capture's drop accounting, archive flushes, retention). */
    void (*tick)(void *ctx);
    void *tick_ctx;
    /* The app layer (src/stream: reassembly, parsers, weird.log) runs on
     * every flow unless no_app_layer (sessions only, as `vigil sessions`). */
    int no_app_layer;
    size_t stream_memcap;        /* reassembly memory cap; 0 = default (64 MiB) */
    int midstream_reverse;       /* stream_config.midstream_reverse (default off) */
    /* Nothing reads the records (`vigil extract`: no outputs, no rules):
     * conn records are not built, the parsers' records and weird.log are
     * dropped and the parsers skip what only fills their log rows
     * (proto_logging(); a signature engine, when installed, still gets
     * every record). */
    int no_records;
    /* The parsers the app layer may start, by name, NULL-terminated
     * (NULL: every parser of the registry, src/proto/proto_registry.c).
     * Flows of the others get no parser: no work beyond detection. */
    const char *const *parsers;
    /* Analysis workers (docs/pipeline.md): 0 or 1 runs everything on the
     * calling thread; N > 1 starts a reader thread that spreads packets by
     * a symmetric hash of the outer IP address pair over N worker threads,
     * each with its own decoder, flow table, app layer and detection
     * state.  Not with packet_sink or tick (they want one packet order). */
    int workers;
};
#define PIPELINE_WORKERS_MAX 64

struct pipeline_counters {
    uint64_t packets;            /* frames read from the source */
    uint64_t bytes;              /* captured bytes read */
    uint64_t decode_failed;      /* frames the decoder could not use */
    uint64_t decode_anomalies;   /* anomalies raised by the decoder */
    uint64_t non_ip;             /* frames without IP (ARP, other link payloads) */
    uint64_t flows_created;
    uint64_t flows_expired;
    uint64_t flows_evicted;      /* shed because of the flow memory cap */
    uint64_t flows_flushed;      /* ended at the end of input */
    uint64_t records;            /* records handed to the outputs */
    uint64_t output_errors;
};

void pipeline_config_default(struct pipeline_config *cfg);

/* outs: the outputs every record goes to (not owned: the caller closes
 * them after pipeline_free).  NULL on error, sentence in err. */
struct pipeline *pipeline_new(const struct pipeline_config *cfg, struct output *const *outs,
                              int nouts, char *err, size_t errlen);

/* Reads to the end of the source (or until pipeline_stop), expires flows
 * by packet time, flushes every flow at the end and hands every record to
 * every output.  0, or <0 on a fatal error (sentence via pipeline_error). */
int pipeline_run(struct pipeline *p, struct capture_source *src);

/* Async-signal-safe request to stop: pipeline_run returns after the
 * current packet, flushing flows as at end of input. */
void pipeline_stop(struct pipeline *p);

const char *pipeline_error(const struct pipeline *p);

/* While a pipeline runs workers, every write to an output is made under
 * one process-wide (recursive) lock: the outputs (log writers, eve.json,
 * behaviour and intel wrappers) are not thread-safe.  Whoever writes to
 * an output from a pipeline callback outside pipeline.c (the alert emit
 * of `vigil analyze -S`) takes it too.  No-ops with one worker. */
void pipeline_output_lock(void);
void pipeline_output_unlock(void);
void pipeline_counters(const struct pipeline *p, struct pipeline_counters *c);
void pipeline_free(struct pipeline *p);

#endif
