/*
 * extract.h - file extraction: one file object per file a session carries,
 * hashed and typed while it streams, stored once by SHA-256, logged as
 * Zeek's files.log.
 *
 * Protocol parsers never call this module: they expose sinks (http.h's
 * struct http_body_ops, ftp.h's struct ftp_data_ops, smtp.h's struct
 * smtp_msg_ops, the certificate sink of ssl_int.h), and extract_start()
 * installs this module's functions there (extract_hooks.c).  A file is
 *
 *   extract_file_open ──► data / gap ... ──► extract_file_close
 *        (fuid)            (hashes, sniff,        (files.log row, rename of the
 *                           temp file)             temp file to its sha256)
 *
 * fuids are deterministic as conn uids are: "F" + 17 base62 digits of
 * SHA-256(session uid, direction, ordinal of the file in the session).
 *
 * Ownership: the module keeps one process-wide configuration (the sinks are
 * process-wide); a struct extract_file belongs to whoever opened it until
 * extract_file_close() frees it.  Not thread-safe (one pipeline at a time).
 */
#ifndef VIGIL_EXTRACT_H
#define VIGIL_EXTRACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/record.h"
#include "proto/proto.h"

#define EXTRACT_MAX_SIZE_DEFAULT (100ull * 1024 * 1024) /* bytes stored per file */
#define EXTRACT_SNIFF_MAX 4096   /* bytes typed: Zeek's default_file_bof_buffer_size */
#define EXTRACT_FUID_LEN 19      /* "F" + 17 digits + NUL */
#define EXTRACT_NAME_MAX 1024    /* bytes kept of a file name */
#define EXTRACT_MIME_DEPTH_MAX 16 /* nested MIME entities */
#define EXTRACT_CONNS_MAX 16     /* connections remembered per file (one files.log row each) */
#define EXTRACT_REASM_MAX (512u * 1024) /* bytes held ahead of a file's offset:
                                           Zeek's Files::reassembly_buffer_size */
#define EXTRACT_RANGES_MAX 64    /* byte-range files open at once */
#define EXTRACT_TIMEOUT_NS (120ll * 1000000000) /* Files::default_timeout_interval */

struct output;

struct extract_config {
    const char *dir;        /* where files are stored (created); NULL: hash and log only */
    uint64_t max_size;      /* bytes stored per file (the rest is hashed, not stored) */
    bool files_log;         /* emit files.log rows (default on) */
    bool certs;             /* certificates of TLS handshakes (source SSL; default on) */
    /* Where rows of files that outlive their sessions go (byte-range files
     * still open at the end): the pipeline's outputs.  May be empty. */
    struct output *const *outs;
    size_t n_outs;
};

/* What is known of a finished file (for `vigil extract` and YARA). */
struct extract_info {
    const char *fuid, *uid, *source, *mime_type, *filename; /* mime_type/filename may be NULL */
    const char *md5, *sha1, *sha256;  /* NULL when a gap made them meaningless */
    const char *stored;               /* path of the stored file, or NULL */
    struct raddr orig_h, resp_h;
    uint16_t orig_p, resp_p;
    bool is_orig;
    uint64_t seen_bytes, missing_bytes;
    int64_t ts;
    int64_t ts_end;                   /* time of the newest chunk */
    struct proto_ctx *ctx;            /* the live session, or NULL (a range file at the end) */
    const char *yara;                 /* rules that matched, comma-joined, or NULL */
};

/* Called for every closed file (after files.log). */
typedef void (*extract_listener_fn)(void *arg, const struct extract_info *info);

struct extract_counters {
    uint64_t files, stored, dedup, truncated, partial, store_errors;
    uint64_t bytes_seen, bytes_stored;
};

void extract_config_default(struct extract_config *cfg);

/* Install the sinks into the protocol parsers and create cfg->dir.  Call
 * before any traffic.  0, or <0 with a sentence in err. */
int extract_start(const struct extract_config *cfg, char *err, size_t errlen);

/* extract_start() for the archive commands (capture, ingest): files stored
 * under DATA/sensor_data/<sensor>/files/ (ARCHITECTURE.md §5), files.log
 * rows of files outliving their sessions to out.  max_size 0: the default. */
int extract_start_sensor(const char *data, const char *sensor, uint64_t max_size,
                         struct output *out, char *err, size_t errlen);

/* Remove the sinks (call after the pipeline was freed: every file is closed).
 * Does nothing when not started. */
void extract_stop(void);
/* Started and not stopped?  (extract_start() on a running module restarts
 * it with the new configuration: call it before any traffic.) */
bool extract_started(void);
/* Are files logged (files.log)?  Without, the parsers' logs get no fuids. */
bool extract_files_logged(void);

/* The parsers that carry files (http, smtp, ftp, ftp-data, ssl) or hand a
 * session on to one (socks, imap, pop3: STARTTLS and tunnels), by name,
 * NULL-terminated: pipeline_config.parsers for a run that only extracts. */
extern const char *const extract_parsers[];

void extract_listener_set(extract_listener_fn fn, void *arg);
void extract_counters_get(struct extract_counters *c);

/* ---- the file object ---- */

struct extract_file;

/* A new file on the session of ctx: source is Zeek's ("HTTP", "SMTP",
 * "FTP_DATA", "SSL"), is_orig the direction that carried it, depth Zeek's
 * depth field.  NULL when out of memory. */
struct extract_file *extract_file_open(struct proto_ctx *ctx, const char *source, bool is_orig,
                                       uint64_t depth, int64_t ts);
void extract_file_set_filename(struct extract_file *f, const char *name, size_t len);
/* Suricata's name for an HTTP file without a filename of its own, for the
 * signature engine's file.name/filename/fileext: the request URI's path
 * (before '?', normalised as http.uri); not logged.  Computed and kept only
 * when file rules are loaded. */
void extract_file_set_rule_uri(struct extract_file *f, const char *uri, size_t len);
/* The file's name as files.log has it (NULL: none). */
const char *extract_file_name(const struct extract_file *f);
void extract_file_set_total(struct extract_file *f, uint64_t total);
/* A type the protocol knows (certificates): no sniffing. */
void extract_file_set_mime(struct extract_file *f, const char *mime);
/* The file's type as files.log will have it once it is known: set by the
 * protocol, or sniffed when the first EXTRACT_SNIFF_MAX bytes are in (or a
 * gap closed the buffer), or - now - from what has been seen; else NULL. */
const char *extract_file_mime(struct extract_file *f, bool now);
/* An analyzer name for files.log's analyzers set ("X509"). */
void extract_file_add_analyzer(struct extract_file *f, const char *name);
void extract_file_data(struct extract_file *f, const uint8_t *p, size_t n);
void extract_file_gap(struct extract_file *f, uint64_t n);
uint64_t extract_file_seen(const struct extract_file *f);
const char *extract_file_fuid(const struct extract_file *f);
/* Bytes at offset off of the file (byte ranges): delivered when the file's
 * stream offset reaches them (held up to EXTRACT_REASM_MAX; holes become
 * missing bytes when the file ends or the buffer is full, as Zeek's file
 * reassembler).  extract_file_data() appends at the stream offset. */
void extract_file_data_at(struct extract_file *f, uint64_t off, const uint8_t *p, size_t n);
uint64_t extract_file_offset(const struct extract_file *f);
/* Another session feeds the file (its row in files.log); detach: that
 * session ended (ctx is no longer valid). */
void extract_file_attach(struct extract_file *f, struct proto_ctx *ctx);
void extract_file_detach(struct extract_file *f, struct proto_ctx *ctx);
bool extract_file_attached(const struct extract_file *f);
/* Packet time of a chunk: files.log duration is the newest minus ts. */
void extract_file_touch(struct extract_file *f, int64_t ts);
int64_t extract_file_last_ts(const struct extract_file *f);
void extract_file_set_timedout(struct extract_file *f);
/* total_bytes known and reached by the stream offset */
bool extract_file_complete(const struct extract_file *f);
/* Finish: files.log row, store, listener; frees f.  Returns the fuid
 * (static until the next call). */
const char *extract_file_close(struct extract_file *f, bool complete);

/* fuid of the ordinal-th file in direction is_orig of the session uid. */
void extract_fuid_make(const char *uid, bool is_orig, uint64_t ordinal, char out[EXTRACT_FUID_LEN]);

/* A counter per session uid and tag: returns it, then adds add (SMTP's
 * MIME depth runs on over the messages of a connection, as Zeek's
 * smtp_state$mime_depth). */
uint64_t extract_session_count(const char *uid, char tag, uint64_t add);

/* The type of a file from its first bytes (Zeek-like signatures, then
 * libmagic): a static string or NULL. */
const char *extract_mime_sniff(const uint8_t *p, size_t n);

/* A record through the live session ctx, or to cfg.outs when ctx is NULL. */
void extract_record_emit(struct proto_ctx *ctx, const struct record_hdr *rec);

/* ---- byte ranges (extract_range.c) ---- */

/* The file of a range response (Zeek's HTTP::get_file_handle for range
 * requests: orig_h + build_url), opened on first use; ctx attached. */
struct extract_file *extract_range_get(struct proto_ctx *ctx, const char *key, int64_t ts);
/* A piece's body ended: detach ctx; a complete file is closed. */
const char *extract_range_release(struct extract_file *f, struct proto_ctx *ctx);
/* Close every range file still open (timedout=T), as Zeek at termination. */
void extract_range_flush(void);

/* ---- YARA (extract_yara.c) ---- */

/* Compile every rule file (*.yar, *.yara) of dir, or dir itself when it is
 * a file; each file's rules go in a namespace named after it.  0, or <0
 * with a sentence in err ("FILE:LINE: message" for a bad rule).  Call
 * before extract_start(); every stored file is then scanned when it closes
 * and each matching rule becomes a notice.log row (Vigil::YARA_Match). */
int extract_yara_load(const char *dir, char *err, size_t errlen);
bool extract_yara_loaded(void);
/* Scan the stored file at path: a notice per matching rule (ts its time,
 * through info->ctx); names gets the rules, comma-joined.  Returns their count. */
size_t extract_yara_scan(const struct extract_info *info, const char *path, int64_t ts,
                         char *names, size_t nlen);
/* Free the rules (extract_stop() does). */
void extract_yara_free(void);

/* files.log */
extern const struct record_type files_record_type;

/* ---- hooks (extract_hooks.c) ---- */
void extract_hooks_install(bool certs);
void extract_hooks_remove(void);
/* on: the installed hooks run under one lock (several analysis workers,
 * src/pipeline/workers.c); off: the plain hooks again.  No-op when
 * extraction is not on. */
void extract_threaded(int on);
void extract_range_threaded(bool on); /* range files idle out per worker */

#endif
