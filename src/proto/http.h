/*
 * http.h - the HTTP/1.x parser's internal interface (http.c, http_parse.c,
 * http_body.c, http_mime.c) and the body sink that file extraction plugs
 * into.
 *
 * One struct http_state per session holds two struct http_msg (one per
 * direction: the resumable message state machine) and the table of pending
 * transactions (struct http_txn, one http.log row each), paired the way
 * Zeek's base/protocols/http/main.zeek pairs them (current_request,
 * current_response, trans_depth).
 *
 * Decoded body bytes (after de-chunking and gzip/deflate) flow through
 * http_body_deliver() to the MIME sniffer and to the process-wide body
 * sink (struct http_body_ops), which file extraction (issue 6) installs
 * with http_body_ops_set().  No sink: bodies are only counted and typed.
 */
#ifndef VIGIL_PROTO_HTTP_H
#define VIGIL_PROTO_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <zlib.h>

#include "core/record.h"
#include "detect/detect_http.h"
#include "proto/proto.h"

/* ---- caps ---- */
#define HTTP_LINE_MAX (16 * 1024)           /* one request/status/header line */
#define HTTP_HEADERS_MAX 256                /* header lines per message */
#define HTTP_PENDING_MAX 100                /* Zeek's HTTP::max_pending_requests */
#define HTTP_FIELD_MAX (8 * 1024)           /* bytes kept of one logged string */
#define HTTP_PROXIED_MAX 16                 /* entries of proxied */
#define HTTP_MIMES_MAX 8                    /* entries of orig/resp_mime_types */
#define HTTP_INFLATE_MAX (64u * 1024 * 1024) /* decompressed bytes per body */
#define HTTP_SNIFF_MAX 4096                 /* bytes typed (Zeek's bof buffer) */
#define HTTP_METHODS_MAX 128                /* unanswered requests remembered */

/* ---- the body sink (file extraction hangs off this) ---- */

/* What a sink knows about the body it is about to receive. */
struct http_entity {
    enum proto_dir dir;
    uint64_t trans_depth;
    int64_t content_length;     /* -1: not given */
    struct rstr content_type;   /* the header's value, may be empty */
    struct rstr content_disposition;
    unsigned status_code;       /* responses; 0 for requests */
    bool encoded;               /* a content coding (gzip, deflate) is decoded */
    /* Byte ranges (Zeek's get_file_handle for range requests): */
    bool range_request;         /* responses: the request carried a Range header */
    struct rstr content_range;  /* a 206 reply's Content-Range value, may be empty */
    struct rstr host, uri;      /* the request's Host and URI (a request body's own), may be empty */
};

/* What a body sink tells http.log when the body ends (Zeek's
 * http/entities.zeek: one fuid per file; and, per file, its name if it has
 * one and its type if it was sniffed). */
#define HTTP_BODY_FUIDS_LEN 640 /* comma-separated fuids */
#define HTTP_BODY_NAME_MAX 256
#define HTTP_BODY_MIME_MAX 96
struct http_body_files {
    char fuids[HTTP_BODY_FUIDS_LEN];
    /* The body was split into several files (a multipart body's parts):
     * their names and types below stand for the body's own in
     * orig/resp_filenames and orig/resp_mime_types. */
    bool parts;
    size_t n_names, n_mimes;
    char names[HTTP_MIMES_MAX][HTTP_BODY_NAME_MAX];
    char mimes[HTTP_MIMES_MAX][HTTP_BODY_MIME_MAX];
};

struct http_body_ops {
    /* A body begins: return a handle (NULL: not interested). */
    void *(*open)(struct proto_ctx *ctx, const struct http_entity *e, int64_t ts);
    /* Decoded bytes, in order; ts the packet time they came with. */
    void (*data)(void *h, const uint8_t *p, size_t n, int64_t ts);
    /* n bytes of the body are missing (capture loss). */
    void (*gap)(void *h, uint64_t n);
    /* The body ended (complete=false: interrupted).  Frees h.  Fills out
     * (zeroed by the caller) with what http.log takes from the files. */
    void (*close)(void *h, bool complete, struct http_body_files *out);
};

/* Install the process-wide body sink (NULL: none).  Call before traffic. */
void http_body_ops_set(const struct http_body_ops *ops);

/* ---- configuration ---- */

/* Zeek's HTTP::default_capture_password (default false). */
void http_config_capture_password(bool on);

/* ---- internals ---- */

struct hstr {
    char *p;
    size_t len;
    bool set;
};

struct http_txn {
    uint64_t key;            /* index in Zeek's pending table */
    int64_t ts;
    uint64_t trans_depth;
    struct hstr method, host, uri, referrer, version, user_agent, origin;
    struct hstr status_msg, info_msg, username, password;
    uint64_t req_body_len, resp_body_len;
    uint64_t status_code, info_code;
    bool has_status, has_info;
    struct hstr proxied[HTTP_PROXIED_MAX];
    size_t n_proxied;
    struct hstr mimes[2][HTTP_MIMES_MAX]; /* [dir] */
    size_t n_mimes[2];
    struct hstr fuids[2][HTTP_MIMES_MAX];
    size_t n_fuids[2];
    struct hstr filenames[2][HTTP_MIMES_MAX];
    size_t n_filenames[2];
    bool range_request;      /* the request carried a Range header */
    struct detect_http_cap *dreq; /* the request as the signature engine saw it, or NULL */
};

enum http_msg_state {
    HTTP_S_FIRST,      /* request or status line */
    HTTP_S_HEADERS,    /* header lines up to the empty line */
    HTTP_S_BODY,       /* Content-Length bytes, or until close */
    HTTP_S_CHUNK_SIZE, /* hex size [; ext] line */
    HTTP_S_CHUNK_DATA,
    HTTP_S_CHUNK_CRLF, /* the line ending a chunk's data */
    HTTP_S_TRAILERS,   /* trailer lines after the last chunk */
    HTTP_S_RAW09,      /* HTTP/0.9 response: raw body until close */
    HTTP_S_NOTHING,    /* gave up on this direction */
};

enum http_encoding { HTTP_ENC_IDENTITY, HTTP_ENC_GZIP, HTTP_ENC_DEFLATE };

/* Decoding and typing of one message body. */
struct http_zmemo;

struct http_body {
    bool open;
    enum http_encoding enc;
    z_stream z;
    bool z_init, z_raw, z_dead;
    uint8_t zhead[16];      /* first compressed bytes, replayed on the raw-deflate restart */
    size_t zhead_len;
    uint64_t inflated;
    uint64_t len;           /* Zeek's body_length: decoded bytes + gaps */
    uint8_t sniff[HTTP_SNIFF_MAX];
    size_t sniff_len;
    bool typed;
    void *sink;             /* handle from http_body_ops.open */
    struct detect_http_cap *dcap; /* the message's capture for the signature engine */
    int ddir;
    struct http_zmemo *zm;  /* memo entry replayed or recorded (http_zmemo.c), or NULL */
    uint32_t zm_calls;      /* inflate calls of this body so far */
    uint8_t zm_mode;        /* HTTP_ZM_NONE, _REPLAY, _RECORD */
    bool zm_mute;           /* rebuilding the decoder: nothing delivered */
};

enum { HTTP_ZM_NONE, HTTP_ZM_REPLAY, HTTP_ZM_RECORD };

/* One direction's message parser. */
struct http_msg {
    enum proto_dir dir;
    enum http_msg_state st;
    bool ongoing;           /* a message is in progress (Zeek's request/reply_ongoing) */
    bool cr;                /* the line so far ended with CR: LF may follow */
    bool over;              /* the line passed HTTP_LINE_MAX: rest dropped */
    uint8_t *line;          /* current line (no EOL) */
    size_t line_len, line_cap;
    uint8_t *hdr;           /* pending header (folded lines appended) */
    size_t hdr_len, hdr_cap;
    bool hdr_pending;
    unsigned n_headers;
    int64_t content_length; /* -1 unknown */
    bool chunked_hdr, multipart, expect_body, close_body;
    enum http_encoding enc;
    uint64_t remaining;     /* of Content-Length or of the current chunk */
    struct hstr ctype, cdisp;
    struct hstr crange;     /* Content-Range of a 206 reply */
    struct http_body body;
    struct detect_http_cap dc; /* what the signature engine inspects (detect_http.h) */
};

struct http_state {
    struct proto_ctx *ctx;
    int64_t last_ts;        /* newest packet time seen (for weirds and session end) */
    struct http_msg msg[2];
    struct http_txn *pending[HTTP_PENDING_MAX + 2];
    size_t n_pending;
    uint64_t cur_req, cur_resp, depth;
    int req_version, resp_version; /* major*10+minor, -1 unset */
    unsigned reply_code;
    struct hstr reason;
    bool reason_set;
    uint64_t n_requests;
    bool keep_alive, connection_close, connect_request, upgrade_conn, upgrade_proto;
    bool upgraded, tunnel, http09_reply;
    bool methods_head[HTTP_METHODS_MAX]; /* ring of unanswered requests: HEAD? */
    size_t methods_first, methods_n;
};

/* http.c: transactions */
struct http_txn *http_txn_get(struct http_state *s, uint64_t key, int64_t ts);
void http_txn_emit(struct http_state *s, struct http_txn *t);
void http_txn_drop(struct http_state *s, uint64_t key);
void http_on_request(struct http_state *s, const uint8_t *method, size_t mlen, const uint8_t *uri,
                     size_t ulen, int64_t ts);
void http_on_reply(struct http_state *s, int64_t ts);
void http_on_header(struct http_state *s, enum proto_dir dir, const uint8_t *name, size_t nlen,
                    const uint8_t *value, size_t vlen, int64_t ts);
void http_on_message_done(struct http_state *s, enum proto_dir dir, int64_t ts);
/* The capture of the request the current response answers, or NULL. */
const struct detect_http_cap *http_txn_request_cap(struct http_state *s);
/* The request's capture moves to its transaction (for the response's rules). */
void http_txn_keep_request(struct http_state *s, struct detect_http_cap *c);
void hstr_set(struct hstr *h, const void *p, size_t n);
void hstr_free(struct hstr *h);
void http_weird(struct http_state *s, const char *name, const char *addl, int64_t ts);

/* http_parse.c: lines, request/status lines, headers */
size_t http_msg_feed(struct http_state *s, struct http_msg *m, const uint8_t *p, size_t n,
                     int64_t ts);
void http_msg_reset(struct http_msg *m);
void http_msg_free(struct http_msg *m);
void http_msg_finish(struct http_state *s, enum proto_dir dir, bool complete, int64_t ts);
void http_msg_flush_line(struct http_state *s, struct http_msg *m, int64_t ts);
bool http_unanswered_head(const struct http_state *s);
void http_methods_pop(struct http_state *s);
void http_set_version(struct http_state *s, int *slot, int v, int64_t ts);

/* http_body.c: bodies */
void http_body_begin(struct http_state *s, struct http_msg *m, int64_t ts);
void http_body_input(struct http_state *s, struct http_msg *m, const uint8_t *p, size_t n);
void http_body_gap(struct http_state *s, struct http_msg *m, uint64_t n);
void http_body_end(struct http_state *s, struct http_msg *m, bool complete);
void http_body_free(struct http_body *b);
bool http_chunk_size_parse(const uint8_t *p, size_t n, uint64_t *size);

/* http_zmemo.c: the memo of inflated bodies (per thread).  find: the entry
 * whose call k brings (p, n) - cur itself, or one with cur's history - or
 * NULL; record: a new entry (held) with from's first k calls and call k
 * (p, n) recording, or NULL; call_begin/out/weird/call_end record one call
 * (false: the entry stopped recording); replay: call k's deliveries and
 * weirds through the sink, and the body's state after it; history: call
 * call() with the compressed bytes of the first k calls. */
struct http_zmemo_sink {
    void *ctx;
    void (*out)(void *ctx, const uint8_t *p, size_t n);
    void (*weird)(void *ctx, const char *name);
};
struct http_zmemo *http_zmemo_find(struct http_zmemo *cur, uint32_t k, const uint8_t *p, size_t n);
struct http_zmemo *http_zmemo_record(const struct http_zmemo *from, uint32_t k, const uint8_t *p,
                                     size_t n);
void http_zmemo_hold(struct http_zmemo *e);
void http_zmemo_release(struct http_zmemo *e, bool recorder);
bool http_zmemo_call_begin(struct http_zmemo *e, const uint8_t *p, size_t n);
bool http_zmemo_out(struct http_zmemo *e, const uint8_t *p, size_t n);
bool http_zmemo_weird(struct http_zmemo *e, const char *name);
bool http_zmemo_call_end(struct http_zmemo *e, uint64_t inflated, bool dead);
void http_zmemo_replay(const struct http_zmemo *e, uint32_t k, const struct http_zmemo_sink *s,
                       uint64_t *inflated, bool *dead);
void http_zmemo_history(const struct http_zmemo *e, uint32_t k,
                        void (*call)(void *ctx, const uint8_t *p, size_t n), void *ctx);
/* Free the calling thread's memo (a worker's end; no body may hold an entry). */
void http_zmemo_thread_free(void);
/* The calling thread's counts: calls replayed, calls recorded, bodies whose
 * decoder was rebuilt after a replay. */
struct http_zmemo_counters {
    uint64_t replayed, recorded, rebuilt;
};
void http_zmemo_counters(struct http_zmemo_counters *c);

/* http_mime.c: Zeek-style content sniffing */
const char *http_mime_sniff(const uint8_t *p, size_t n);
/* The same without libmagic's zip and javascript answers (files.log). */
const char *http_mime_sniff_strict(const uint8_t *p, size_t n);

#endif
