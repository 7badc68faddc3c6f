/*
 * engine.h - the signature engine: a loaded struct ruleset compiled into
 * Vectorscan prefilter databases, matched on packets and on application
 * buffers, producing alert records (docs/alerts.md).
 *
 * Where rules match:
 *   packets       every decoded packet's transport payload (pkt_data) with
 *                 the header keywords (dsize, flags, ttl, itype, ...), after
 *                 the flow table and app layer saw it (detect_packet);
 *   TCP streams   each in-order chunk of a TCP direction as the reassembler
 *                 delivers it (detect_stream_data, engine_stream.c), with
 *                 the packet that delivered it;
 *   transactions  http: when the parser emits its record, the buffers of
 *                 that transaction (http.uri, ...) are matched together
 *                 (detect_record); tls, dns, ssh, smtp, ftp, ftp-data: at
 *                 the parsers' inspection points (a ClientHello, a DNS
 *                 message, an SMTP command, ...: detect_app_inspect,
 *                 engine_app.c).
 *
 * Hooks: the app layer and the pipeline call the detect_* hook functions
 * below; they act on the installed engine (detect_engine_install) and do
 * nothing when none is installed, so the chain costs nothing without rules.
 * One engine is installed per process (one analysis worker); swapping it
 * (SIGHUP reload) keeps the per-flow state, which lives in the engine's
 * flow table keyed by the session uid.
 *
 * Ownership: the engine borrows the ruleset (which must outlive it) and
 * owns its databases, its flow/threshold tables and its scratch.
 */
#ifndef VIGIL_DETECT_ENGINE_H
#define VIGIL_DETECT_ENGINE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/packet.h"
#include "core/record.h"
#include "detect/rule.h"

struct flow_table;
struct flow;
struct proto_conn;
struct flow_app_info;

/* ---- matching one list (match.c) ----------------------------------------- */

/* Scratch for evaluating detection elements; one per thread. */
struct detect_match {
    int64_t vars[RULE_BYTE_VARS_MAX]; /* byte_extract values */
    uint32_t steps;                   /* element evaluations of this list */
    void *md, *mctx;                  /* pcre2_match_data *, pcre2_match_context * */
    uint8_t *xbuf;                    /* transformed buffer */
    uint32_t xcap;
    const struct rule_buflist *b64;   /* the rule's base64_data list, or NULL */
    uint8_t *b64buf;                  /* base64_decode's output (DETECT_B64_MAX in) */
};
#define DETECT_B64_MAX 65535u /* base64_decode input bytes, at most (Suricata's cap) */

int detect_match_init(struct detect_match *m);
void detect_match_free(struct detect_match *m);

/* Do bl's elements (after its transforms) match buffer b?  1 or 0.
 * byte_extract variables persist in m->vars across the lists of a rule. */
int detect_match_list(struct detect_match *m, const struct rule_buflist *bl, const uint8_t *b,
                      uint32_t len);

/* ---- the engine (engine.c) ---------------------------------------------- */

/* Caps. */
#define DETECT_FLOWBITS_MAX 512       /* distinct flowbit names in one ruleset */
#define DETECT_THRESH_MAX (1u << 16)  /* threshold tracking slots */
#define DETECT_THRESH_WAYS 8u         /* slots a key may take (a power of two) */
#define DETECT_ALERTS_PER_PACKET 64   /* Suricata's packet_alert_max is 15; we keep more */

struct detect_counters {
    uint64_t rules;          /* rules the engine evaluates */
    uint64_t rules_skipped;  /* rules loaded but not evaluable (engine_rule_check) */
    uint64_t prefilter_rules;/* rules with a fast pattern in a Vectorscan database */
    uint64_t packets;        /* packets inspected */
    uint64_t records;        /* transactions inspected */
    uint64_t candidates;     /* rules fully evaluated */
    uint64_t alerts;         /* alerts emitted */
    uint64_t suppressed;     /* matches a threshold held back */
    uint64_t thresh_evictions;
    uint64_t stream_chunks;  /* reassembled chunks inspected */
    uint64_t stream_bytes;
    uint64_t stream_scanned; /* window bytes scanned by the stream databases */
};

/* Alerts go out as records (struct alert_record, detect/alert_record.h). */
typedef void (*detect_emit_fn)(void *ctx, const struct record_hdr *rec);

/* Build the engine for rs.  Rules the engine cannot evaluate (see
 * detect_rule_check) are skipped and, if warn is set, written to warn
 * (one line each).  NULL on error with a sentence in err. */
struct detect_engine *detect_engine_new(const struct ruleset *rs, detect_emit_fn emit,
                                        void *emit_ctx, FILE *warn, char *err, size_t errlen);
void detect_engine_free(struct detect_engine *e);

/* The engine the hooks use (NULL: none).  Returns the previous one; the
 * per-flow state moves to the new engine (flowbits are re-mapped by name). */
struct detect_engine *detect_engine_install(struct detect_engine *e);

void detect_engine_counters(const struct detect_engine *e, struct detect_counters *c);

/* Can the engine evaluate r?  0, or -1 with *kw naming the keyword it
 * parses but does not evaluate (xbits, base64_decode, an event with no
 * counterpart named "app-layer-event:NAME", ...). */
int detect_rule_check(const struct rule *r, const char **kw);

/* The sentence for a rule detect_rule_check() refused with kw, one line to
 * f ("rule sid N: keyword 'X' is parsed but not evaluated by the engine:
 * rule skipped"): the engine's warning and `vigil rules check -v`. */
void detect_rule_skip_print(FILE *f, const struct rule *r, const char *kw);

/* Load rules files/directories (sorted *.rules), vars and the
 * classification/reference configs beside the first path into rs
 * (initialised here; ruleset_free() it).  Rejections are printed to
 * report (may be NULL).  0, or -1 with a sentence in err. */
int detect_load_rules(struct ruleset *rs, const char *const *paths, int n, const char *vars,
                      FILE *report, char *err, size_t errlen);

/* ---- hooks --------------------------------------------------------------- */

/* The app layer, for each packet accounted to a flow (before its own work):
 * remembers the packet's flow and direction and tracks the TCP state. */
void detect_packet_flow(struct flow_table *t, struct flow *f, const struct packet *pkt,
                        const struct pkt_ip *ip, int side, int orig_side);

/* The app layer reversed the session (a midstream pick-up whose responder
 * sent a client's request, stream_config.midstream_reverse): from now on
 * flow:to_server means from the flow's responder, for this packet too;
 * the per-direction counts so far swap sides. */
void detect_flow_reverse(const char *uid);

/* The pipeline, after the flow table and app layer handled pkt: packet rules. */
void detect_packet(const struct packet *pkt);

/* The app layer: a parser confirmed its protocol on this connection. */
void detect_app_proto(const struct proto_conn *conn, const char *name);

/* The app layer: conn's payload is encrypted from here on (a TLS
 * application_data record after the ServerHello, SSH once both sides sent
 * NEWKEYS).  As Suricata's default encryption handling, the flow's payload
 * is no longer inspected: no stream windows, no pkt_data or dsize rules on
 * its packets (header-only rules and application keywords still are).
 * Returns 1 when that took effect (0: no rules, or --inspect-encrypted),
 * so the caller can stop handing the stream to detect_stream_data. */
int detect_app_encrypted(const struct proto_conn *conn);
/* --inspect-encrypted: keep inspecting encrypted payloads (Suricata's
 * encryption-handling: full). */
void detect_inspect_encrypted(int on);

/* The app layer: a parser emitted rec (transaction rules on its buffers). */
void detect_record(const struct proto_conn *conn, const struct record_hdr *rec);

/* The app layer: a parser raised weird `name` on conn (app-layer-event rules,
 * engine_pkt.c). */
void detect_app_weird(const struct proto_conn *conn, const char *name, int64_t ts);

/* The app layer: a TCP flow weird, a reassembly anomaly, or "gap" for a
 * reassembly gap (stream-event rules). */
void detect_stream_event(const struct flow_app_info *info, const char *name, int64_t ts);
/* The app layer: a parser's inspection point (proto.h, struct proto_insp):
 * transaction rules on the buffers and numbers of that protocol moment
 * (engine_app.c).  parser: the parser's name ("ssl", "dns", ...). */
struct proto_insp;
void detect_app_inspect(const struct proto_conn *conn, const char *parser,
                        const struct proto_insp *in);

/* ---- files (engine_file.c) ------------------------------------------------ */

#define DETECT_FILE_DATA_MAX (1u << 20) /* bytes of a file file.data inspects */

/* A file that ended (extract.c), for the file rules. */
struct detect_file {
    const struct proto_conn *conn; /* the session that carried it */
    const char *source;            /* Zeek's: "HTTP", "SMTP", "FTP_DATA", ... */
    int to_server;                 /* sent by the session's originator */
    const uint8_t *data;           /* its first bytes (up to DETECT_FILE_DATA_MAX) */
    uint32_t data_len;
    uint8_t *data_buf;             /* data as a malloc'ed buffer the engine may keep
                                      (detect_file returns 1), or NULL: copied if held */
    const uint8_t *head;           /* its first bytes for libmagic (file.magic) */
    uint32_t head_len;
    const char *name;              /* NULL: none */
    size_t name_len;
    const char *md5, *sha1, *sha256; /* hex; NULL after a gap */
    uint64_t size;                 /* bytes seen */
    int gaps;                      /* bytes were missing */
};

/* What the installed engine's file rules need of a file: 0 no file rules,
 * else DETECT_FILE_WANT, with DETECT_FILE_DATA when some inspect file.data
 * (the file's bytes must be kept for detect_file) and DETECT_FILE_HASHES
 * when some have filemd5/filesha1/filesha256 (the digests are needed). */
#define DETECT_FILE_WANT 1
#define DETECT_FILE_DATA 2
#define DETECT_FILE_HASHES 4
int detect_file_wanted(void);
/* A file ended: the file rules, at once or held until the peer's ACK
 * (engine_file.c).  1: the engine kept f->data_buf (it frees it; the
 * caller drops it), 0: it did not (the caller still owns it). */
int detect_file(const struct detect_file *f);
/* The app layer: the session conn ended (files held for it are inspected). */
void detect_app_end(const struct proto_conn *conn);

/* Is an engine installed? */
int detect_active(void);
/* The flow of session uid ended: its per-flow state (flowbits, flowints,
 * TCP state) is freed before the next packet's inspection. */
void detect_flow_end(const char *uid);

/* Reassembled-stream inspection (engine_stream.c).  Does the installed
 * engine have rules for the TCP stream (the app layer then keeps
 * reassembling flows no parser wants)? */
int detect_stream_wanted(void);
/* The current packet's payload went into a reassembled stream. */
void detect_stream_added(void);
/* In-order bytes of one TCP direction, as delivered to the parsers;
 * *state is the flow's stream state (allocated here, NULL at first). */
void detect_stream_data(void **state, const struct proto_conn *conn, int to_server,
                        const uint8_t *data, size_t len, int64_t ts);
/* A gap in that direction: nothing matches across it. */
void detect_stream_gap(void *state, int to_server);
void detect_stream_free(void *state);

/* ---- the rules of a running analysis, reloadable (engine_reload.c) ------- */

struct detect_reload;

/* Load the rules (detect_load_rules, report to log), build and install the
 * engine.  NULL with a sentence in err.  The paths and vars must outlive it. */
struct detect_reload *detect_reload_start(const char *const *paths, int n, const char *vars,
                                          detect_emit_fn emit, void *emit_ctx, FILE *log,
                                          char *err, size_t errlen);
/* Ask for a reload (async-signal-safe: a SIGHUP handler calls it). */
void detect_reload_request(void);
/* At a packet boundary (the pipeline, between packets): start the builder
 * thread of a requested reload, or install what it built (logging "rules
 * reloaded: N loaded, M rejected", or the error while the old rules stay).
 * 1 when new rules were installed (with workers: published to them), else 0. */
int detect_reload_poll(void);
/* The installed engine; CPU seconds its rules took to load and to build. */
struct detect_engine *detect_reload_engine(const struct detect_reload *r);
void detect_reload_times(const struct detect_reload *r, double *load_s, double *build_s);
/* fn(ctx) on the packet thread each time a reload's engine has been
 * installed (before the "rules reloaded" line): what the new rules need
 * that the old ones did not, e.g. file tracking, starts there. */
void detect_reload_on_install(struct detect_reload *r, void (*fn)(void *ctx), void *ctx);
/* The last (re)load's Vectorscan databases: how many were read from the
 * rules cache (hs_cache.h) of how many, and cache files ignored as bad. */
void detect_reload_cache(const struct detect_reload *r, unsigned *loaded, unsigned *dbs,
                         unsigned *bad);
/* A reload is requested or being built. */
int detect_reload_busy(void);
/* Wait for a running builder, uninstall and free everything. */
void detect_reload_stop(struct detect_reload *r);

#endif
