/*
 * extract.c - the file object: hashing, typing and storing one file while
 * it streams, and its files.log row.  A file followed only for the
 * signature engine's file rules (no files.log, store, listener or YARA:
 * `analyze -S` without --extract) gets only what those rules ask for
 * (detect_file_wanted): no type, and no digests or kept bytes unless a
 * rule tests a hash.
 *
 * Follows Zeek's files framework (base/frameworks/files/main.zeek and the
 * policy/frameworks/files/hash-all-files script the corpus baselines load):
 * a file is created on its first byte, MD5, SHA-1 and SHA-256 are computed
 * over every byte (OpenSSL EVP), a gap ends the hash analyzers (Zeek's
 * Hash::Undelivered returns false: no hashes for a file with missing
 * bytes), the type comes from the first EXTRACT_SNIFF_MAX bytes (Zeek's
 * bof buffer), and the row is written when the file ends.  Log: Zeek 8's
 * files.log (field list of the corpus's *.zeek8-files.log) followed by
 * community_id.
 *
 * Storage (ARCHITECTURE.md §5) and hashing are extract_store.c's: only
 * SHA-256 per byte, the bytes kept in memory, MD5 and SHA-1 once per
 * distinct content, and DIR/<sha256 of the stored bytes> written only
 * when it does not exist (each content is stored once; gaps zero-filled,
 * at most max_size bytes).
 *
 *   open ──► data ──► data ... ──► close ──► files.log, rename, listener
 *              │                     ▲
 *              └── gap (hashes off) ─┘
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "detect/engine.h"
#include "detect/detect_http.h"
#include "extract/extract.h"
#include "extract/extract_store.h"
#include "pipeline/pipeline.h"
#include "proto/http.h"
#include "store/output.h"

#define EXTRACT_ANALYZERS_MAX 6
#define EXTRACT_SEEN_SLOTS 4096
#define EXTRACT_SNIFF_CACHE 1024 /* bof buffers whose type is remembered */

/* A byte range that arrived ahead of the file's stream offset. */
struct extract_chunk {
    struct extract_chunk *next;
    uint64_t off;
    size_t n;
    uint8_t data[];
};

/* One connection that carried (part of) the file: files.log gets a row each. */
struct extract_conn {
    char uid[32];
    char community_id[64];
    struct raddr orig_h, resp_h;
    uint16_t orig_p, resp_p;
};

struct extract_file {
    struct proto_ctx *ctx;      /* the live session feeding it, or NULL (ranges) */
    struct extract_conn conns[EXTRACT_CONNS_MAX];
    size_t n_conns;
    int64_t last_ts;            /* newest chunk time: duration = last_ts - ts */
    bool timedout;
    uint64_t next;              /* stream offset: bytes delivered in order + gaps */
    struct extract_chunk *pending; /* ahead of next, sorted by offset */
    size_t pending_bytes;
    char fuid[EXTRACT_FUID_LEN];
    char uid[32];
    const char *source;
    bool is_orig;
    uint64_t depth;
    int64_t ts;
    char *filename;
    size_t filename_len;
    char *rule_name;            /* file.name for the rules when filename is unset */
    size_t rule_name_len;
    const char *mime;           /* set by the protocol, or sniffed */
    bool mime_fixed;
    bool mime_sniffed;          /* mime is the sniff of the final bof buffer */
    uint64_t total;
    bool has_total;
    uint64_t seen, missing;
    struct extract_store st;    /* hashes and stored bytes (extract_store.c) */
    uint8_t sniff[EXTRACT_SNIFF_MAX];
    size_t sniff_len;
    bool sniff_closed;          /* a gap came before the sniff buffer filled */
    const char *analyzers[EXTRACT_ANALYZERS_MAX];
    size_t n_analyzers;
    int det;                    /* what the signature engine's file rules want of it:
                                   detect_file_wanted() at open (DETECT_FILE_*) */
    bool logged;                /* files.log, the store, a listener or YARA see it:
                                   else it is followed only for the file rules */
    bool digests;               /* MD5/SHA-1/SHA-256 (logged, or a file rule has
                                   filemd5/filesha1/filesha256): the store's work */
    uint8_t *dbuf;              /* its first DETECT_FILE_DATA_MAX bytes (DETECT_FILE_DATA) */
    size_t dlen, dcap;
};

struct files_record {
    struct record_hdr hdr;
    int64_t ts;
    struct rstr fuid, uid;
    struct raddr orig_h;
    uint64_t orig_p;
    struct raddr resp_h;
    uint64_t resp_p;
    struct rstr source;
    uint64_t depth;
    struct rstrvec analyzers;
    struct rstr mime_type, filename;
    int64_t duration;
    bool local_orig, is_orig;
    uint64_t seen_bytes, total_bytes, missing_bytes, overflow_bytes;
    bool timedout;
    struct rstr parent_fuid, md5, sha1, sha256, extracted;
    bool extracted_cutoff;
    uint64_t extracted_size;
    struct rstr community_id;
};

enum files_field {
    FF_TS, FF_FUID, FF_UID, FF_ORIG_H, FF_ORIG_P, FF_RESP_H, FF_RESP_P, FF_SOURCE, FF_DEPTH,
    FF_ANALYZERS, FF_MIME, FF_FILENAME, FF_DURATION, FF_LOCAL_ORIG, FF_IS_ORIG, FF_SEEN,
    FF_TOTAL, FF_MISSING, FF_OVERFLOW, FF_TIMEDOUT, FF_PARENT, FF_MD5, FF_SHA1, FF_SHA256,
    FF_EXTRACTED, FF_CUTOFF, FF_EXTRACTED_SIZE, FF_COMMUNITY_ID, FF_N
};

#define F(n, t, m) {n, t, offsetof(struct files_record, m)}
static const struct record_field files_fields[] = {
    F("ts", RT_TIME, ts),
    F("fuid", RT_STRING, fuid),
    F("uid", RT_STRING, uid),
    F("id.orig_h", RT_ADDR, orig_h),
    F("id.orig_p", RT_PORT, orig_p),
    F("id.resp_h", RT_ADDR, resp_h),
    F("id.resp_p", RT_PORT, resp_p),
    F("source", RT_STRING, source),
    F("depth", RT_COUNT, depth),
    F("analyzers", RT_SET_STRING, analyzers),
    F("mime_type", RT_STRING, mime_type),
    F("filename", RT_STRING, filename),
    F("duration", RT_INTERVAL, duration),
    F("local_orig", RT_BOOL, local_orig),
    F("is_orig", RT_BOOL, is_orig),
    F("seen_bytes", RT_COUNT, seen_bytes),
    F("total_bytes", RT_COUNT, total_bytes),
    F("missing_bytes", RT_COUNT, missing_bytes),
    F("overflow_bytes", RT_COUNT, overflow_bytes),
    F("timedout", RT_BOOL, timedout),
    F("parent_fuid", RT_STRING, parent_fuid),
    F("md5", RT_STRING, md5),
    F("sha1", RT_STRING, sha1),
    F("sha256", RT_STRING, sha256),
    F("extracted", RT_STRING, extracted),
    F("extracted_cutoff", RT_BOOL, extracted_cutoff),
    F("extracted_size", RT_COUNT, extracted_size),
    F("community_id", RT_STRING, community_id),
};
#undef F

const struct record_type files_record_type = {
    .path = "files",
    .fields = files_fields,
    .n_fields = sizeof(files_fields) / sizeof(files_fields[0]),
    .size = sizeof(struct files_record),
};

/* ---- process-wide state ---- */

static struct extract_config ex_cfg;
static char ex_dir[4096];
static extract_listener_fn ex_listener;
static void *ex_listener_arg;
static struct extract_counters ex_ctr;

/* files opened per (uid, direction): the ordinal of the next one */
struct extract_seen {
    char key[34];
    uint64_t n;
};
static struct extract_seen *ex_seen;
static size_t ex_seen_used;

static void extract_sniffed_free(void);

void extract_config_default(struct extract_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->max_size = EXTRACT_MAX_SIZE_DEFAULT;
    cfg->files_log = true;
    cfg->certs = false; /* Zeek 8: X509::log_x509_in_files_log is F */
}

static int extract_mkdirs(const char *dir, char *err, size_t errlen)
{
    char tmp[4096];
    size_t n = strlen(dir);
    if (n == 0 || n >= sizeof(tmp)) {
        snprintf(err, errlen, "extraction directory name '%s' is empty or too long", dir);
        return -1;
    }
    memcpy(tmp, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (tmp[i] != '/' && tmp[i] != '\0')
            continue;
        char c = tmp[i];
        tmp[i] = '\0';
        if (mkdir(tmp, 0755) < 0 && errno != EEXIST) {
            snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
            return -1;
        }
        tmp[i] = c;
    }
    return 0;
}

int extract_start(const struct extract_config *cfg, char *err, size_t errlen)
{
    if (ex_seen)
        extract_stop(); /* a restart (--extract after the rules' file tracking) */
    ex_cfg = *cfg;
    ex_dir[0] = '\0';
    if (cfg->dir) {
        if (extract_mkdirs(cfg->dir, err, errlen) < 0)
            return -1;
        snprintf(ex_dir, sizeof(ex_dir), "%s", cfg->dir);
        ex_cfg.dir = ex_dir;
    }
    free(ex_seen);
    ex_seen = calloc(EXTRACT_SEEN_SLOTS, sizeof(*ex_seen));
    ex_seen_used = 0;
    if (!ex_seen) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    memset(&ex_ctr, 0, sizeof(ex_ctr));
    if (extract_store_init() < 0) {
        snprintf(err, errlen, "cannot set up the MD5, SHA-1 and SHA-256 digests");
        return -1;
    }
    extract_hooks_install(cfg->certs);
    return 0;
}

int extract_start_sensor(const char *data, const char *sensor, uint64_t max_size,
                         struct output *out, char *err, size_t errlen)
{
    static struct output *outs[1];
    static char dir[4096];
    struct extract_config xc;
    extract_config_default(&xc);
    int k = snprintf(dir, sizeof(dir), "%s/sensor_data/%s/files", data, sensor);
    if (k < 0 || (size_t)k >= sizeof(dir)) {
        snprintf(err, errlen, "file store path too long under %s", data);
        return -1;
    }
    xc.dir = dir;
    if (max_size)
        xc.max_size = max_size;
    outs[0] = out;
    xc.outs = outs;
    xc.n_outs = out ? 1 : 0;
    return extract_start(&xc, err, errlen);
}

void extract_stop(void)
{
    if (!ex_seen)
        return;
    extract_range_flush();
    extract_hooks_remove();
    extract_yara_free();
    extract_store_fini();
    extract_sniffed_free();
    free(ex_seen);
    ex_seen = NULL;
    ex_listener = NULL;
}

bool extract_started(void)
{
    return ex_seen != NULL;
}

bool extract_files_logged(void)
{
    return ex_cfg.files_log;
}

void extract_listener_set(extract_listener_fn fn, void *arg)
{
    ex_listener = fn;
    ex_listener_arg = arg;
}

void extract_counters_get(struct extract_counters *c)
{
    *c = ex_ctr;
    c->store_errors += extract_store_errors();
}

/* The type of a bof buffer seen before (the same bytes: the same answer,
 * libmagic included): direct-mapped on a hash, the bytes compared. */
struct extract_sniffed {
    size_t n;
    const char *mime;
    uint8_t p[EXTRACT_SNIFF_MAX];
};
static struct extract_sniffed *ex_sniffed[EXTRACT_SNIFF_CACHE];

static uint64_t extract_sniff_hash(const uint8_t *p, size_t n)
{
    uint64_t h = n * 0x9e3779b97f4a7c15ull, w;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        memcpy(&w, p + i, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdull;
    }
    for (; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h ^ (h >> 29);
}

const char *extract_mime_sniff(const uint8_t *p, size_t n)
{
    if (n == 0)
        return NULL;
    if (n > EXTRACT_SNIFF_MAX) /* Zeek-like signatures written once for http.log (http_mime.c) */
        return http_mime_sniff_strict(p, n);
    struct extract_sniffed **slot = &ex_sniffed[extract_sniff_hash(p, n) % EXTRACT_SNIFF_CACHE];
    if (*slot && (*slot)->n == n && memcmp((*slot)->p, p, n) == 0)
        return (*slot)->mime;
    const char *mime = http_mime_sniff_strict(p, n);
    if (!*slot)
        *slot = malloc(sizeof(**slot));
    if (*slot) {
        (*slot)->n = n;
        (*slot)->mime = mime;
        memcpy((*slot)->p, p, n);
    }
    return mime;
}

static void extract_sniffed_free(void)
{
    for (size_t i = 0; i < EXTRACT_SNIFF_CACHE; i++) {
        free(ex_sniffed[i]);
        ex_sniffed[i] = NULL;
    }
}

/* ---- fuids ---- */

static const char ex_b62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

void extract_fuid_make(const char *uid, bool is_orig, uint64_t ordinal, char out[EXTRACT_FUID_LEN])
{
    uint8_t md[32], tail[9];
    unsigned int mdlen = 0;
    for (int i = 0; i < 8; i++)
        tail[i] = (uint8_t)(ordinal >> (56 - 8 * i));
    tail[8] = is_orig ? 1 : 0;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    if (!c || !EVP_DigestInit_ex(c, EVP_sha256(), NULL) ||
        !EVP_DigestUpdate(c, "file\0", 5) || !EVP_DigestUpdate(c, uid, strlen(uid)) ||
        !EVP_DigestUpdate(c, tail, sizeof(tail)) || !EVP_DigestFinal_ex(c, md, &mdlen))
        memset(md, 0, sizeof(md));
    EVP_MD_CTX_free(c);
    uint32_t limb[3];
    for (int i = 0; i < 3; i++)
        limb[i] = (uint32_t)md[4 * i] << 24 | (uint32_t)md[4 * i + 1] << 16 |
                  (uint32_t)md[4 * i + 2] << 8 | md[4 * i + 3];
    out[0] = 'F';
    for (int k = 17; k >= 1; k--) {
        uint64_t rem = 0;
        for (int i = 0; i < 3; i++) {
            uint64_t cur = (rem << 32) | limb[i];
            limb[i] = (uint32_t)(cur / 62);
            rem = cur % 62;
        }
        out[k] = ex_b62[rem];
    }
    out[18] = '\0';
}

/* A per-session counter (tag, uid): returns its value and adds add.  The
 * table is cleared when 3/4 full: a session that outlives that restarts
 * its counters (the open time in the fuid key keeps fuids apart). */
uint64_t extract_session_count(const char *uid, char tag, uint64_t add)
{
    char key[34];
    snprintf(key, sizeof(key), "%c%.32s", tag, uid);
    if (!ex_seen)
        return 0;
    if (ex_seen_used >= EXTRACT_SEEN_SLOTS * 3 / 4) {
        memset(ex_seen, 0, EXTRACT_SEEN_SLOTS * sizeof(*ex_seen));
        ex_seen_used = 0;
    }
    uint64_t h = 1469598103934665603ull;
    for (const char *p = key; *p; p++)
        h = (h ^ (uint8_t)*p) * 1099511628211ull;
    for (size_t i = 0; i < EXTRACT_SEEN_SLOTS; i++) {
        struct extract_seen *s = &ex_seen[(h + i) % EXTRACT_SEEN_SLOTS];
        if (s->key[0] == '\0') {
            memcpy(s->key, key, sizeof(key));
            ex_seen_used++;
        } else if (strcmp(s->key, key) != 0) {
            continue;
        }
        uint64_t v = s->n;
        s->n += add;
        return v;
    }
    return 0;
}

/* ---- the file object ---- */

static void extract_file_free(struct extract_file *f)
{
    while (f->pending) {
        struct extract_chunk *c = f->pending;
        f->pending = c->next;
        free(c);
    }
    extract_store_free(&f->st);
    free(f->filename);
    free(f->rule_name);
    free(f->dbuf);
    free(f);
}

struct extract_file *extract_file_open(struct proto_ctx *ctx, const char *source, bool is_orig,
                                       uint64_t depth, int64_t ts)
{
    struct extract_file *f = calloc(1, sizeof(*f));
    if (!f)
        return NULL;
    const struct proto_conn *c = proto_conn(ctx);
    extract_file_attach(f, ctx);
    f->last_ts = ts;
    snprintf(f->uid, sizeof(f->uid), "%s", c->uid ? c->uid : "");
    f->source = source;
    f->is_orig = is_orig != (c->reversed != 0); /* sent by conn.log's originator */
    f->depth = depth;
    f->ts = ts;
    /* the open time joins the ordinal so that fuids stay apart even when
     * the ordinal table was cleared */
    extract_fuid_make(f->uid, f->is_orig,
                      extract_session_count(f->uid, f->is_orig ? 'o' : 'r', 1) ^ ((uint64_t)ts << 8),
                      f->fuid);
    if (extract_store_open(&f->st, ex_cfg.dir, f->fuid) < 0) {
        extract_file_free(f);
        return NULL;
    }
    extract_file_add_analyzer(f, "MD5");
    extract_file_add_analyzer(f, "SHA1");
    extract_file_add_analyzer(f, "SHA256");
    if (ex_cfg.dir)
        extract_file_add_analyzer(f, "EXTRACT");
    f->det = detect_file_wanted();
    /* Only the file rules follow it (their own file tracking, no files.log):
     * no type, and no digests nor kept bytes unless a rule tests a hash. */
    f->logged = ex_cfg.files_log || ex_cfg.dir || ex_listener || extract_yara_loaded();
    f->digests = f->logged || (f->det & DETECT_FILE_HASHES);
    return f;
}

void extract_file_attach(struct extract_file *f, struct proto_ctx *ctx)
{
    if (!f || !ctx)
        return;
    f->ctx = ctx;
    const struct proto_conn *c = proto_conn(ctx);
    const char *uid = c->uid ? c->uid : "";
    for (size_t i = 0; i < f->n_conns; i++)
        if (strcmp(f->conns[i].uid, uid) == 0)
            return;
    if (f->n_conns >= EXTRACT_CONNS_MAX)
        return;
    struct extract_conn *k = &f->conns[f->n_conns++];
    snprintf(k->uid, sizeof(k->uid), "%s", uid);
    snprintf(k->community_id, sizeof(k->community_id), "%s",
             c->community_id ? c->community_id : "");
    struct proto_id id; /* conn.log's roles, also on a reversed midstream session */
    proto_fill_id(ctx, &id);
    k->orig_h = id.orig_h, k->resp_h = id.resp_h;
    k->orig_p = (uint16_t)id.orig_p, k->resp_p = (uint16_t)id.resp_p;
}

void extract_file_detach(struct extract_file *f, struct proto_ctx *ctx)
{
    if (f && f->ctx == ctx)
        f->ctx = NULL;
}

void extract_file_touch(struct extract_file *f, int64_t ts)
{
    /* Zeek's Files::default_timeout_interval: a file idle that long between
     * two chunks has timed out (Zeek ends it there; its row says timedout=T) */
    if (f && (f->seen || f->missing) && ts - f->last_ts > EXTRACT_TIMEOUT_NS)
        f->timedout = true;
    if (f && ts > f->last_ts)
        f->last_ts = ts;
}

int64_t extract_file_last_ts(const struct extract_file *f)
{
    return f ? f->last_ts : 0;
}

void extract_file_set_timedout(struct extract_file *f)
{
    if (f)
        f->timedout = true;
}

bool extract_file_complete(const struct extract_file *f)
{
    return f && f->has_total && f->next >= f->total;
}

bool extract_file_attached(const struct extract_file *f)
{
    return f && f->ctx;
}

static void name_set(char **dst, size_t *dlen, const char *name, size_t len)
{
    if (len > EXTRACT_NAME_MAX)
        len = EXTRACT_NAME_MAX;
    char *p = malloc(len + 1);
    if (!p)
        return;
    memcpy(p, name, len);
    p[len] = '\0';
    free(*dst);
    *dst = p;
    *dlen = len;
}

void extract_file_set_filename(struct extract_file *f, const char *name, size_t len)
{
    if (f && name)
        name_set(&f->filename, &f->filename_len, name, len);
}

void extract_file_set_rule_uri(struct extract_file *f, const char *uri, size_t len)
{
    if (!f || !uri || !f->det) /* only with file rules: not on every body otherwise */
        return;
    const char *q = memchr(uri, '?', len);
    size_t n = q ? (size_t)(q - uri) : len;
    uint8_t path[EXTRACT_NAME_MAX + 1]; /* the normaliser writes up to n + 1 */
    if (n > EXTRACT_NAME_MAX)
        n = EXTRACT_NAME_MAX;
    size_t k = detect_http_uri_normalize((const uint8_t *)uri, n, path);
    name_set(&f->rule_name, &f->rule_name_len, (const char *)path, k);
}

void extract_file_set_total(struct extract_file *f, uint64_t total)
{
    if (f) {
        f->total = total;
        f->has_total = true;
        if (f->next == 0 && f->digests)
            extract_store_expect(&f->st, total < ex_cfg.max_size ? total : ex_cfg.max_size);
    }
}

const char *extract_file_mime(struct extract_file *f, bool now)
{
    if (!f || f->mime_fixed || f->mime_sniffed)
        return f ? f->mime : NULL;
    bool full = f->sniff_len >= EXTRACT_SNIFF_MAX || f->sniff_closed;
    if (!full && !now)
        return NULL;
    f->mime = extract_mime_sniff(f->sniff, f->sniff_len);
    /* a final buffer is typed once; "now" on a buffer still filling is not kept */
    f->mime_sniffed = full;
    return f->mime;
}

void extract_file_set_mime(struct extract_file *f, const char *mime)
{
    if (f) {
        f->mime = mime;
        f->mime_fixed = true;
    }
}

void extract_file_add_analyzer(struct extract_file *f, const char *name)
{
    if (f && f->n_analyzers < EXTRACT_ANALYZERS_MAX)
        f->analyzers[f->n_analyzers++] = name;
}

const char *extract_file_name(const struct extract_file *f)
{
    return f ? f->filename : NULL;
}

const char *extract_file_fuid(const struct extract_file *f)
{
    return f ? f->fuid : NULL;
}

uint64_t extract_file_seen(const struct extract_file *f)
{
    return f ? f->seen : 0;
}

/* Keep the first DETECT_FILE_DATA_MAX bytes for the file.data rules. */
static void extract_det_keep(struct extract_file *f, const uint8_t *p, size_t n)
{
    size_t k = DETECT_FILE_DATA_MAX - f->dlen;
    if (k > n)
        k = n;
    if (f->dlen + k > f->dcap) {
        /* first: the Content-Length's size when there is one (no regrowth) */
        size_t cap = f->dcap ? f->dcap
                     : f->has_total && f->total > 4096 ? (size_t)(f->total < DETECT_FILE_DATA_MAX
                                                                ? f->total
                                                                : DETECT_FILE_DATA_MAX)
                                                      : 4096;
        while (cap < f->dlen + k)
            cap *= 2;
        if (cap > DETECT_FILE_DATA_MAX)
            cap = DETECT_FILE_DATA_MAX;
        uint8_t *nb = realloc(f->dbuf, cap);
        if (!nb)
            return;
        f->dbuf = nb;
        f->dcap = cap;
    }
    memcpy(f->dbuf + f->dlen, p, k);
    f->dlen += k;
}

/* The file rules of the signature engine (engine_file.c). */
static void extract_det_file(struct extract_file *f, const struct extract_digests *d)
{
    if (!f->det || !f->ctx)
        return;
    const struct proto_conn *c = proto_conn(f->ctx);
    struct detect_file df = {
        /* to_server: the parser's client sent it (is_orig is conn.log's role) */
        .conn = c, .source = f->source, .to_server = f->is_orig != (c->reversed != 0),
        .data = f->dbuf, .data_len = (uint32_t)f->dlen, .data_buf = f->dbuf, .head = f->sniff,
        .head_len = (uint32_t)f->sniff_len, .name = f->filename ? f->filename : f->rule_name,
        .name_len = f->filename ? f->filename_len : f->rule_name_len,
        .md5 = d->ok ? d->md5 : NULL, .sha1 = d->ok ? d->sha1 : NULL,
        .sha256 = d->ok ? d->sha256 : NULL, .size = f->seen, .gaps = f->missing != 0,
    };
    if (detect_file(&df) == 1) { /* held for an ACK: the engine has the buffer now */
        f->dbuf = NULL;
        f->dlen = f->dcap = 0;
    }
}

void extract_file_data(struct extract_file *f, const uint8_t *p, size_t n)
{
    if (!f || n == 0)
        return;
    f->seen += n;
    f->next += n;
    ex_ctr.bytes_seen += n;
    if (f->sniff_len < EXTRACT_SNIFF_MAX && !f->sniff_closed) {
        size_t k = EXTRACT_SNIFF_MAX - f->sniff_len;
        if (k > n)
            k = n;
        memcpy(f->sniff + f->sniff_len, p, k);
        f->sniff_len += k;
    }
    if (f->digests)
        extract_store_data(&f->st, p, n, ex_cfg.max_size);
    if ((f->det & DETECT_FILE_DATA) && f->dlen < DETECT_FILE_DATA_MAX)
        extract_det_keep(f, p, n);
}

void extract_file_gap(struct extract_file *f, uint64_t n)
{
    if (!f || n == 0)
        return;
    f->missing += n;
    f->next += n;
    f->sniff_closed = true; /* Zeek's File::Gap: the bof buffer is typed as it is */
    if (f->digests)
        extract_store_gap(&f->st, n, ex_cfg.max_size);
}

/* Deliver the pending ranges that the stream offset has reached (the part
 * of each beyond it: overlaps keep the bytes delivered first). */
static void extract_pending_drain(struct extract_file *f)
{
    while (f->pending && f->pending->off <= f->next) {
        struct extract_chunk *c = f->pending;
        f->pending = c->next;
        f->pending_bytes -= c->n;
        uint64_t skip = f->next - c->off;
        if (skip < c->n)
            extract_file_data(f, c->data + skip, c->n - (size_t)skip);
        free(c);
    }
}

/* Zeek's reassembly flush (end of file, or its buffer is full): the holes
 * before the pending ranges become missing bytes, the ranges are delivered. */
static void extract_pending_flush(struct extract_file *f)
{
    while (f->pending) {
        if (f->pending->off > f->next)
            extract_file_gap(f, f->pending->off - f->next);
        extract_pending_drain(f);
    }
}

void extract_file_data_at(struct extract_file *f, uint64_t off, const uint8_t *p, size_t n)
{
    if (!f || n == 0)
        return;
    if (off <= f->next) {
        uint64_t skip = f->next - off;
        if (skip < n)
            extract_file_data(f, p + skip, n - (size_t)skip);
        extract_pending_drain(f);
        return;
    }
    struct extract_chunk *c = malloc(sizeof(*c) + n);
    if (!c)
        return;
    c->off = off;
    c->n = n;
    memcpy(c->data, p, n);
    struct extract_chunk **pp = &f->pending;
    while (*pp && (*pp)->off <= off)
        pp = &(*pp)->next;
    c->next = *pp;
    *pp = c;
    f->pending_bytes += n;
    if (f->pending_bytes > EXTRACT_REASM_MAX)
        extract_pending_flush(f);
}

uint64_t extract_file_offset(const struct extract_file *f)
{
    return f ? f->next : 0;
}

/* Store the file under its content's name; name gets the base name. */
static bool extract_store_finish(struct extract_file *f, char name[65])
{
    bool dedup;
    if (!extract_store_commit(&f->st, ex_cfg.dir, name, &dedup))
        return false;
    if (dedup) {
        ex_ctr.dedup++;
    } else {
        ex_ctr.stored++;
        ex_ctr.bytes_stored += f->st.stored;
    }
    return true;
}

static bool extract_is_private(const struct raddr *a)
{
    const uint8_t *b = a->a;
    if (a->family == 4)
        return b[0] == 10 || b[0] == 127 || (b[0] == 192 && b[1] == 168) ||
               (b[0] == 172 && (b[1] & 0xf0) == 16) || (b[0] == 100 && (b[1] & 0xc0) == 64);
    if (a->family == 6) {
        static const uint8_t lo[16] = {[15] = 1};
        return (b[0] & 0xfe) == 0xfc || (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) ||
               memcmp(b, lo, 16) == 0;
    }
    return false;
}

static void extract_rs(struct files_record *r, size_t field, struct rstr *dst, const char *s)
{
    if (!s || !*s)
        return;
    dst->p = s;
    dst->len = strlen(s);
    record_set_unset(&r->hdr, field, false);
}

/* A record to the outputs: through the live session, or (a file that
 * outlived its sessions) straight to the outputs extract_start was given. */
void extract_record_emit(struct proto_ctx *ctx, const struct record_hdr *rec)
{
    if (ctx) {
        proto_emit(ctx, rec);
        return;
    }
    pipeline_output_lock(); /* --workers N: the outputs are shared */
    for (size_t i = 0; i < ex_cfg.n_outs; i++)
        if (ex_cfg.outs[i] && ex_cfg.outs[i]->ops->write)
            ex_cfg.outs[i]->ops->write(ex_cfg.outs[i], rec);
    pipeline_output_unlock();
}

static void extract_emit_conn(struct extract_file *f, const struct extract_digests *d,
                              const char *stored, const struct extract_conn *c)
{
    struct files_record r;
    memset(&r, 0, sizeof(r));
    r.hdr.type = &files_record_type;
    for (size_t i = 0; i < FF_N; i++)
        record_set_unset(&r.hdr, i, true);
    struct rstr an[EXTRACT_ANALYZERS_MAX];
    for (size_t i = 0; i < f->n_analyzers; i++) {
        an[i].p = f->analyzers[i];
        an[i].len = strlen(f->analyzers[i]);
    }
    r.ts = f->ts;
    extract_rs(&r, FF_FUID, &r.fuid, f->fuid);
    extract_rs(&r, FF_UID, &r.uid, c->uid);
    r.orig_h = c->orig_h, r.resp_h = c->resp_h;
    r.orig_p = c->orig_p, r.resp_p = c->resp_p;
    extract_rs(&r, FF_SOURCE, &r.source, f->source);
    r.depth = f->depth;
    r.analyzers.v = an;
    r.analyzers.n = f->n_analyzers;
    extract_rs(&r, FF_MIME, &r.mime_type, f->mime);
    extract_rs(&r, FF_FILENAME, &r.filename, f->filename);
    r.duration = f->last_ts > f->ts ? f->last_ts - f->ts : 0;
    r.local_orig = extract_is_private(&c->orig_h);
    r.is_orig = f->is_orig;
    r.seen_bytes = f->seen;
    r.total_bytes = f->total;
    r.missing_bytes = f->missing;
    r.overflow_bytes = 0;
    r.timedout = f->timedout;
    if (d->ok) {
        extract_rs(&r, FF_MD5, &r.md5, d->md5);
        extract_rs(&r, FF_SHA1, &r.sha1, d->sha1);
        extract_rs(&r, FF_SHA256, &r.sha256, d->sha256);
    }
    if (stored) {
        extract_rs(&r, FF_EXTRACTED, &r.extracted, stored);
        r.extracted_cutoff = f->st.cut > 0;
        r.extracted_size = f->st.stored;
        record_set_unset(&r.hdr, FF_CUTOFF, false);
        record_set_unset(&r.hdr, FF_EXTRACTED_SIZE, false);
    }
    extract_rs(&r, FF_COMMUNITY_ID, &r.community_id, c->community_id);
    static const size_t always[] = {FF_TS,   FF_ORIG_H,   FF_ORIG_P,   FF_RESP_H, FF_RESP_P,
                                    FF_DEPTH, FF_ANALYZERS, FF_DURATION, FF_LOCAL_ORIG,
                                    FF_IS_ORIG, FF_SEEN,   FF_MISSING, FF_OVERFLOW, FF_TIMEDOUT};
    for (size_t i = 0; i < sizeof(always) / sizeof(always[0]); i++)
        record_set_unset(&r.hdr, always[i], false);
    if (f->has_total)
        record_set_unset(&r.hdr, FF_TOTAL, false);
    if (ex_cfg.files_log)
        extract_record_emit(f->ctx, &r.hdr);
}

/* One files.log row per connection that carried the file (Zeek 5.1+). */
static void extract_emit(struct extract_file *f, const struct extract_digests *d,
                         const char *stored)
{
    for (size_t i = 0; ex_cfg.files_log && i < f->n_conns; i++)
        extract_emit_conn(f, d, stored, &f->conns[i]);
}

const char *extract_file_close(struct extract_file *f, bool complete)
{
    static char fuid[EXTRACT_FUID_LEN];
    (void)complete;
    if (!f)
        return NULL;
    extract_pending_flush(f);
    if (f->seen == 0 && f->missing == 0) { /* Zeek creates a file on its first byte */
        extract_file_free(f);
        return NULL;
    }
    if (f->logged && !f->mime_fixed && !f->mime_sniffed)
        f->mime = extract_mime_sniff(f->sniff, f->sniff_len);
    struct extract_digests d = {.ok = false};
    if (f->digests)
        extract_store_digests(&f->st, &d);
    char name[65];
    bool stored = f->digests && extract_store_finish(f, name);
    ex_ctr.files++;
    if (f->missing)
        ex_ctr.partial++;
    if (f->st.cut)
        ex_ctr.truncated++;
    extract_emit(f, &d, stored ? name : NULL);
    extract_det_file(f, &d);
    if (ex_listener || extract_yara_loaded()) {
        const struct extract_conn *c = &f->conns[0];
        char path[4200], rules[1024] = "";
        if (stored)
            snprintf(path, sizeof(path), "%s/%s", ex_cfg.dir, name);
        struct extract_info info = {
            .fuid = f->fuid, .uid = f->uid, .source = f->source, .mime_type = f->mime,
            .filename = f->filename, .md5 = d.ok ? d.md5 : NULL, .sha1 = d.ok ? d.sha1 : NULL,
            .sha256 = d.ok ? d.sha256 : NULL, .stored = stored ? path : NULL,
            .orig_h = c->orig_h, .resp_h = c->resp_h, .orig_p = c->orig_p, .resp_p = c->resp_p,
            .is_orig = f->is_orig, .seen_bytes = f->seen, .missing_bytes = f->missing,
            .ts = f->ts, .ts_end = f->last_ts, .ctx = f->ctx,
        };
        if (extract_yara_scan(&info, info.stored, f->last_ts, rules, sizeof(rules)))
            info.yara = rules;
        if (ex_listener)
            ex_listener(ex_listener_arg, &info);
    }
    memcpy(fuid, f->fuid, sizeof(fuid));
    extract_file_free(f);
    return fuid;
}
