/*
 * stream.h - TCP stream reassembly and the application layer.
 *
 * Two layers, one header:
 *
 *   reassembler (stream.c)  one struct stream_dir per direction of a TCP
 *       connection: segments in, in-order bytes, gaps and end-of-stream
 *       out through a struct stream_sink.  Policy (docs/stream.md): first
 *       data wins on overlaps; retransmissions of delivered bytes are
 *       dropped (and compared with what is still kept); out-of-order data
 *       is held under one memory cap shared by every stream (struct
 *       stream_mem) and shed as a gap when the cap is reached; acked holes
 *       become gaps; FIN/RST end the direction.
 *
 *   app layer (applayer.c)  attaches to the flow table (flow_table_set_app),
 *       keeps per flow the two stream_dirs and the parser of src/proto
 *       chosen by port and content (Zeek's DPD), implements proto.h's
 *       struct proto_ctx functions, fills conn.log's service and writes
 *       weird.log (weird.c).
 *
 * Ownership: the caller owns struct applayer and the outputs' emit
 * callback context; the app layer owns every per-flow state it creates
 * and frees it through the flow table's release hook.
 */
#ifndef VIGIL_STREAM_H
#define VIGIL_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/packet.h"
#include "core/record.h"
#include "flow/flow.h"
#include "proto/proto.h"

/* ---- counters ------------------------------------------------------------ */

struct stream_counters {
    uint64_t segments;        /* segments with payload seen */
    uint64_t delivered_bytes; /* bytes handed to the app layer in order */
    uint64_t rexmit_segs;     /* segments entirely below the delivery point */
    uint64_t overlaps;        /* segments overlapping data held or kept */
    uint64_t overlap_bytes;
    uint64_t inconsistent;    /* overlaps whose bytes differ (first data kept) */
    uint64_t ooo_segs;        /* segments held above a hole */
    uint64_t gaps;            /* gaps delivered (acked holes, shedding, flush at end) */
    uint64_t gap_bytes;
    uint64_t shed;            /* directions flushed because the memory cap was reached */
    uint64_t shed_bytes;      /* hole bytes skipped by those flushes */
    uint64_t peak_mem;        /* most bytes held at once */
};

/* Memory shared by every stream of one app layer. */
struct stream_mem {
    size_t used;
    size_t cap;
    struct stream_counters ctr;
    /* Delivered bytes are not kept for comparing retransmissions with: a
     * segment that arrives in order with nothing held is delivered from the
     * packet, uncopied (no overlap counts, no rexmit_inconsistency for
     * them).  For runs where nothing reads those: `vigil extract`. */
    bool no_keep;
};

/* ---- the reassembler ------------------------------------------------------------- */

struct stream_seg; /* stream.c */

struct stream_dir {
    struct stream_seg *head;  /* held segments, sorted by seq, never overlapping */
    uint32_t next;            /* sequence number of the next byte to deliver */
    uint32_t fin_seq;         /* sequence number just past the data, when fin */
    uint32_t held;            /* bytes in the list (delivered-kept and pending) */
    uint32_t kept;            /* of which delivered, kept until acked */
    uint8_t init : 1;         /* next is known (SYN or first data) */
    uint8_t fin : 1;          /* FIN seen */
    uint8_t eof : 1;          /* eof delivered */
    uint8_t skip : 1;         /* the app layer wants no more bytes: count only */
    uint8_t ending : 1;       /* the direction ends (RST, end of flow): the gaps delivered
                               * from now on are holes no ack passed, not lost data */
};

/* Where a direction's output goes.  dir is the caller's tag for the direction. */
struct stream_sink {
    void *ctx;
    void (*data)(void *ctx, int dir, const uint8_t *data, size_t len, int64_t ts);
    void (*gap)(void *ctx, int dir, uint64_t len, int64_t ts);
    void (*eof)(void *ctx, int dir, int64_t ts);
    /* a named anomaly ("rexmit_inconsistency"), may be NULL */
    void (*anomaly)(void *ctx, int dir, const char *name, int64_t ts);
};

#define STREAM_F_FIN 0x01
#define STREAM_F_SYN 0x02
#define STREAM_F_RST 0x04

/* Bytes of delivered data kept per direction until acked, to compare
 * retransmissions with (differing overlap = "rexmit_inconsistency"). */
#define STREAM_KEEP_MAX 16384

void stream_mem_init(struct stream_mem *m, size_t cap);

/* One segment of this direction (flags: STREAM_F_*; payload may be empty). */
void stream_dir_segment(struct stream_mem *m, struct stream_dir *d, const struct stream_sink *s,
                        int dir, uint32_t seq, uint8_t flags, const uint8_t *data, uint32_t len,
                        int64_t ts);

/* The peer acknowledged up to ack: holes below it will never fill (gaps),
 * kept delivered data below it is freed. */
void stream_dir_ack(struct stream_mem *m, struct stream_dir *d, const struct stream_sink *s,
                    int dir, uint32_t ack, int64_t ts);

/* End of the flow: deliver everything held, with gaps over the holes, and
 * eof when a FIN was seen and reached.  Sets ending (so does an RST). */
void stream_dir_flush(struct stream_mem *m, struct stream_dir *d, const struct stream_sink *s,
                      int dir, int64_t ts);

/* Free every held byte (no delivery). */
void stream_dir_free(struct stream_mem *m, struct stream_dir *d);

/* ---- the app layer ------------------------------------------------------------------- */

struct stream_config {
    size_t memcap;            /* reassembly bytes held, all flows (default 64 MiB) */
    uint32_t detect_max;      /* bytes buffered per direction for detection (default 4096) */
    uint32_t detect_max_dgrams; /* UDP datagrams probed before giving up (default 4) */
    bool weird_log;           /* write weird.log (default on) */
    bool no_records;          /* nothing reads the records: parsers' records and
                                 weird.log are dropped, proto_logging() is false
                                 unless a signature engine is installed */
    const char *sensor;       /* weird.log's peer (default "vigil") */
    /* A TCP session picked up midstream (no SYN seen) whose first bytes come
     * from conn.log's responder and are a client's request for some parser
     * (its probe: YES as PROTO_ORIG, not as PROTO_RESP) is reversed for the
     * app layer: parsers and the signature engine take that side as the
     * client; conn.log keeps Zeek's roles.  Suricata's stream.midstream
     * (default off, as Zeek: the parser sees the request as a reply). */
    bool midstream_reverse;
};

/* Hands one finished record to every output. */
typedef void (*applayer_emit_fn)(void *ctx, const struct record_hdr *rec);

struct applayer_counters {
    struct stream_counters stream;
    uint64_t flows;           /* flows that got app state */
    uint64_t detected;        /* flows a parser was started for */
    uint64_t confirmed;       /* protocol confirmations */
    uint64_t violations;      /* PROTO_ERROR results */
    uint64_t gave_up;         /* flows detection gave up on */
    uint64_t dropped;         /* of which app state was freed at once (no parser ever took them) */
    uint64_t records;         /* records emitted by parsers */
    uint64_t weirds;          /* anomalies raised (before rate limiting) */
    uint64_t weirds_logged;   /* weird.log rows written */
    uint64_t expectations;    /* proto_expect() entries matched */
    uint64_t reversed;        /* midstream sessions reversed (midstream_reverse) */
};

void stream_config_default(struct stream_config *cfg);

/* parsers: NULL-terminated table to detect from (NULL = proto_parsers, the
 * registry; tests pass their own).  NULL when out of memory. */
struct applayer *applayer_new(const struct stream_config *cfg,
                              const struct proto_parser *const *parsers, applayer_emit_fn emit,
                              void *emit_ctx);

/* Install the hooks into t (one app layer per flow table). */
void applayer_attach(struct applayer *al, struct flow_table *t);

/* The decoder's anomalies of one packet that belong to no session
 * (Zeek's net_weird / flow_weird) go to weird.log; call once per packet,
 * before flow_table_packet. */
void applayer_packet_anomalies(struct applayer *al, const struct packet *pkt);

void applayer_counters(const struct applayer *al, struct applayer_counters *c);

/* Free the app layer (after the flow table was flushed and freed). */
void applayer_free(struct applayer *al);

/* ---- weird.log (weird.c) ---------------------------------------------------------------- */

struct weird_record {
    struct record_hdr hdr;
    int64_t ts;
    struct rstr uid;
    struct raddr orig_h;
    uint64_t orig_p;
    struct raddr resp_h;
    uint64_t resp_p;
    struct rstr name;
    struct rstr addl;
    bool notice;
    struct rstr peer;
    struct rstr source;
};

enum weird_field {
    WEIRD_TS, WEIRD_UID, WEIRD_ORIG_H, WEIRD_ORIG_P, WEIRD_RESP_H, WEIRD_RESP_P, WEIRD_NAME,
    WEIRD_ADDL, WEIRD_NOTICE, WEIRD_PEER, WEIRD_SOURCE, WEIRD_N_FIELDS
};

extern const struct record_type weird_record_type;

/* Zeek's weird suppression (base/frameworks/notice/weird.zeek): an
 * identical weird (same name and identifier) is dropped for 10 minutes
 * after it was logged; per-originator and once-only names are logged once
 * per day per originator / at all; ignored names never. */
struct weird_filter;

struct weird_filter *weird_filter_new(void);
void weird_filter_free(struct weird_filter *w);

/* Should this weird be logged now?  ident: Zeek's identifier (the conn id
 * string, "src -> dst" or ""); orig: the originator for per-orig names (may
 * be NULL).  Records the decision. */
bool weird_filter_pass(struct weird_filter *w, const char *name, const char *ident,
                       const struct raddr *orig, int64_t ts);

/* *r: type set, every field unset but notice (F). */
void weird_record_init(struct weird_record *r);

/* The name's action turns it into a notice too (weird.zeek's NOTICE_*). */
bool weird_is_notice(const char *name);

#endif
