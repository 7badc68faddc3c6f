/*
 * extract_hooks.c - what file extraction hangs into the protocol parsers'
 * sinks: HTTP bodies (http.h, after de-chunking and decompression;
 * multipart bodies split into their parts), FTP data channels (ftp.h),
 * SMTP messages (smtp.h, through the MIME parser), TLS certificates
 * (ssl_int.h).
 *
 * Zeek's protocol scripts decide the fields set here: base/protocols/http/
 * files.zeek and entities.zeek (depth 0; filename from Content-Disposition
 * or Content-Type's name=; total_bytes from an identity Content-Length),
 * base/protocols/ftp/files.zeek (one file per data connection and
 * direction, source FTP_DATA), base/protocols/smtp/files.zeek and
 * entities.zeek (one file per leaf MIME entity, depth = mime_depth),
 * base/files/x509 (one file per certificate, source SSL, analyzers X509,
 * mime application/x-x509-user-cert or -ca-cert).
 *
 * A sink's close returns the fuids of the files it made, comma-separated
 * when there are several (multipart bodies, MIME messages): the HTTP and
 * SMTP parsers split them into http.log's *_fuids and smtp.log's fuids.
 *
 *   http open ─► multipart? ─► mime parser ─► part_open/data/close ─► extract_file
 *                else ───────────────────────────────────────────────► extract_file
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extract/extract.h"
#include "extract/mime.h"
#include "proto/ftp.h"
#include "proto/http.h"
#include "proto/smtp.h"
#include "proto/ssl_int.h"

#define HOOK_FUIDS_MAX 32 /* fuids returned by one sink close */
#define HOOK_RANGE_KEY_MAX 2048 /* bytes of a range file's key (address + URL) */

/* fuids of one body or message, joined by ',' */
struct hook_fuids {
    char s[HOOK_FUIDS_MAX * EXTRACT_FUID_LEN];
    size_t len, n;
};

static void hook_fuids_add(struct hook_fuids *l, const char *fuid)
{
    if (!fuid || l->n >= HOOK_FUIDS_MAX || !extract_files_logged())
        return;
    size_t k = strlen(fuid);
    if (l->len + k + 2 > sizeof(l->s))
        return;
    if (l->len)
        l->s[l->len++] = ',';
    memcpy(l->s + l->len, fuid, k + 1);
    l->len += k;
    l->n++;
}

/* ---- MIME-carried files (SMTP messages, HTTP multipart) ---- */

struct hook_mime {
    struct proto_ctx *ctx;
    const char *source;
    bool is_orig;
    bool smtp;                 /* depth = MIME depth (HTTP: 0) */
    uint64_t depth_base;       /* SMTP: entities of earlier messages of the connection */
    int64_t ts;
    int64_t now;               /* packet time of the bytes being fed */
    struct mime_parser mp;
    struct hook_fuids fuids;
    struct http_body_files *http; /* an HTTP multipart body (not byteranges): what
                                     http.log takes from its parts */
    char *range_key;           /* multipart/byteranges of a range request: every part
                                  is a piece of that file */
};

/* One open file: a plain file, or a piece of a byte-range file written at
 * its offset. */
struct hook_part {
    struct extract_file *f;
    bool range;
    uint64_t off;
};

/* A piece of a range file: offset from the Content-Range (or the file's
 * stream offset without one), total_bytes from its "/total". */
static void hook_range_begin(struct hook_part *hp, struct proto_ctx *ctx, const char *key,
                             const char *cr, size_t crlen, int64_t ts)
{
    uint64_t first = 0, last = 0;
    int64_t total = -1;
    hp->f = extract_range_get(ctx, key, ts);
    hp->range = hp->f != NULL;
    if (!hp->f)
        return;
    if (cr && mime_content_range_parse(cr, crlen, &first, &last, &total)) {
        hp->off = first;
        if (total >= 0)
            extract_file_set_total(hp->f, (uint64_t)total);
    } else {
        hp->off = extract_file_offset(hp->f);
    }
}

static void hook_part_write(struct hook_part *hp, const uint8_t *p, size_t n)
{
    if (hp->range) {
        extract_file_data_at(hp->f, hp->off, p, n);
        hp->off += n;
    } else {
        extract_file_data(hp->f, p, n);
    }
}

static void hook_part_skip(struct hook_part *hp, uint64_t n)
{
    if (hp->range)
        hp->off += n; /* a hole the file's reassembly fills or declares */
    else
        extract_file_gap(hp->f, n);
}

static const char *hook_part_end(struct hook_part *hp, struct proto_ctx *ctx, bool complete)
{
    if (hp->range)
        return extract_range_release(hp->f, ctx);
    return extract_file_close(hp->f, complete);
}

static void *hook_part_open(void *arg, const struct mime_part *part)
{
    struct hook_mime *h = arg;
    struct hook_part *hp = calloc(1, sizeof(*hp));
    if (!hp)
        return NULL;
    if (h->range_key) {
        const char *cr = part->content_range;
        hook_range_begin(hp, h->ctx, h->range_key, cr, cr ? strlen(cr) : 0, h->ts);
    } else {
        hp->f = extract_file_open(h->ctx, h->source, h->is_orig,
                                  h->smtp ? h->depth_base + part->depth : 0, h->ts);
    }
    if (hp->f && part->filename && part->filename[0])
        extract_file_set_filename(hp->f, part->filename, strlen(part->filename));
    return hp;
}

static void hook_part_data(void *arg, void *hp, const uint8_t *p, size_t n)
{
    struct hook_mime *h = arg;
    if (hp) {
        extract_file_touch(((struct hook_part *)hp)->f, h->now);
        hook_part_write(hp, p, n);
    }
}

static void hook_part_gap(void *arg, void *hp, uint64_t n)
{
    (void)arg;
    if (hp)
        hook_part_skip(hp, n);
}

static void hook_part_close(void *arg, void *hp, bool complete)
{
    struct hook_mime *h = arg;
    if (!hp)
        return;
    char name[HTTP_BODY_NAME_MAX] = "", mime[HTTP_BODY_MIME_MAX] = "";
    struct extract_file *f = ((struct hook_part *)hp)->f;
    if (h->http && f && extract_files_logged()) { /* read before the close frees the file */
        const char *fm = extract_file_mime(f, true), *fn = extract_file_name(f);
        snprintf(mime, sizeof(mime), "%s", fm ? fm : "");
        snprintf(name, sizeof(name), "%s", fn ? fn : "");
    }
    const char *fuid = hook_part_end(hp, h->ctx, complete);
    struct http_body_files *hf = h->http;
    if (hf && fuid && extract_files_logged()) {
        if (name[0] && hf->n_names < HTTP_MIMES_MAX)
            memcpy(hf->names[hf->n_names++], name, sizeof(name));
        if (mime[0] && hf->n_mimes < HTTP_MIMES_MAX)
            memcpy(hf->mimes[hf->n_mimes++], mime, sizeof(mime));
    }
    /* the pieces of one range file are one fuid in http.log */
    if (!(h->range_key && fuid && h->fuids.n && strstr(h->fuids.s, fuid)))
        hook_fuids_add(&h->fuids, fuid);
    free(hp);
}

static void hook_part_anomaly(void *arg, const char *name)
{
    struct hook_mime *h = arg;
    proto_weird(h->ctx, name, NULL, h->ts);
}

static const struct mime_ops hook_mime_ops = {
    .part_open = hook_part_open,
    .part_data = hook_part_data,
    .part_gap = hook_part_gap,
    .part_close = hook_part_close,
    .anomaly = hook_part_anomaly,
};

static struct hook_mime *hook_mime_new(struct proto_ctx *ctx, const char *source, bool is_orig,
                                       bool smtp, int64_t ts)
{
    struct hook_mime *h = calloc(1, sizeof(*h));
    if (!h)
        return NULL;
    h->ctx = ctx;
    h->source = source;
    h->is_orig = is_orig;
    h->smtp = smtp;
    h->ts = ts;
    return h;
}

/* ---- HTTP ---- */

struct hook_http {
    struct proto_ctx *ctx;
    struct hook_part part;     /* a plain body (or a piece of a range file) */
    struct hook_mime *mime;    /* a multipart body */
};

/* Zeek's get_file_handle for a response to a range request: the client
 * address and build_url (Host, or the server address, ":port" unless 80,
 * then the URI; "/<missed_request>" without one). */
static void hook_range_key(struct proto_ctx *ctx, const struct http_entity *e, char *out,
                           size_t outlen)
{
    const struct proto_conn *c = proto_conn(ctx);
    char oh[64] = "", rh[64] = "", port[8] = "";
    inet_ntop(c->orig_h.family == 6 ? AF_INET6 : AF_INET, c->orig_h.a, oh, sizeof(oh));
    inet_ntop(c->resp_h.family == 6 ? AF_INET6 : AF_INET, c->resp_h.a, rh, sizeof(rh));
    if (c->resp_p != 80)
        snprintf(port, sizeof(port), ":%u", c->resp_p);
    snprintf(out, outlen, "%s %.*s%s%.*s", oh, e->host.len ? (int)e->host.len : (int)strlen(rh),
             e->host.len ? e->host.p : rh, port, e->uri.len ? (int)e->uri.len : 18,
             e->uri.len ? e->uri.p : "/<missed_request>");
}

static void *hook_http_open(struct proto_ctx *ctx, const struct http_entity *e, int64_t ts)
{
    struct hook_http *h = calloc(1, sizeof(*h));
    if (!h)
        return NULL;
    bool is_orig = e->dir == PROTO_ORIG;
    char type[MIME_TYPE_MAX], boundary[MIME_BOUNDARY_MAX + 2];
    char key[HOOK_RANGE_KEY_MAX];
    bool range = !is_orig && e->range_request;
    h->ctx = ctx;
    if (range)
        hook_range_key(ctx, e, key, sizeof(key));
    mime_type_get(e->content_type.p, e->content_type.len, type, sizeof(type));
    if (strncmp(type, "multipart/", 10) == 0 &&
        mime_param_get(e->content_type.p, e->content_type.len, "boundary", boundary,
                       sizeof(boundary)) && boundary[0]) {
        h->mime = hook_mime_new(ctx, "HTTP", is_orig, false, ts);
        if (h->mime && !range)
            h->mime->http = calloc(1, sizeof(*h->mime->http));
        if (h->mime)
            mime_parser_init_multipart(&h->mime->mp, &hook_mime_ops, h->mime, boundary,
                                       strlen(boundary));
        if (h->mime && range)
            h->mime->range_key = strdup(key);
        return h;
    }
    if (range)
        hook_range_begin(&h->part, ctx, key, e->content_range.p, e->content_range.len, ts);
    else
        h->part.f = extract_file_open(ctx, "HTTP", is_orig, 0, ts);
    struct extract_file *f = h->part.f;
    char name[EXTRACT_NAME_MAX];
    size_t k = 0;
    const struct rstr *cd = &e->content_disposition, *ct = &e->content_type;
    if (cd->len && memmem(cd->p, cd->len, "ilename", 7)) /* Zeek: /[fF][iI][lL][eE][nN]... / */
        k = mime_filename_extract(cd->p, cd->len, name, sizeof(name));
    else if (ct->len && memmem(ct->p, ct->len, "name", 4))
        k = mime_filename_extract(ct->p, ct->len, name, sizeof(name));
    if (k)
        extract_file_set_filename(f, name, k);
    else if (e->uri.len)
        extract_file_set_rule_uri(f, e->uri.p, e->uri.len);
    if (e->content_length >= 0 && e->status_code != 206 && !e->encoded && !range)
        extract_file_set_total(f, (uint64_t)e->content_length);
    return h;
}

static void hook_http_data(void *hp, const uint8_t *p, size_t n, int64_t ts)
{
    struct hook_http *h = hp;
    if (h->mime) {
        h->mime->now = ts;
        mime_parser_feed(&h->mime->mp, p, n);
    } else if (h->part.f) {
        extract_file_touch(h->part.f, ts);
        hook_part_write(&h->part, p, n);
    }
}

static void hook_http_gap(void *hp, uint64_t n)
{
    struct hook_http *h = hp;
    if (h->mime)
        mime_parser_gap(&h->mime->mp, n);
    else if (h->part.f)
        hook_part_skip(&h->part, n);
}

static void hook_http_close(void *hp, bool complete, struct http_body_files *out)
{
    struct hook_http *h = hp;
    const char *fuids = NULL;
    if (h->mime) {
        mime_parser_end(&h->mime->mp, complete);
        fuids = h->mime->fuids.s;
        if (h->mime->http) {
            struct http_body_files *hf = h->mime->http;
            out->parts = true;
            out->n_names = hf->n_names;
            out->n_mimes = hf->n_mimes;
            memcpy(out->names, hf->names, hf->n_names * sizeof(hf->names[0]));
            memcpy(out->mimes, hf->mimes, hf->n_mimes * sizeof(hf->mimes[0]));
        }
    } else if (h->part.f) {
        fuids = hook_part_end(&h->part, h->ctx, complete);
    }
    snprintf(out->fuids, sizeof(out->fuids), "%s", fuids ? fuids : "");
    if (h->mime) {
        free(h->mime->http);
        free(h->mime->range_key);
        free(h->mime);
    }
    free(h);
}

static const struct http_body_ops hook_http_ops = {
    .open = hook_http_open,
    .data = hook_http_data,
    .gap = hook_http_gap,
    .close = hook_http_close,
};

/* ---- FTP data channels ---- */

struct hook_ftp {
    struct proto_ctx *ctx;
    int64_t ts;
    struct extract_file *f[2]; /* [dir] */
    int last;                  /* direction of the newest file, -1: none */
};

static void *hook_ftp_open(struct proto_ctx *ctx, int64_t ts)
{
    struct hook_ftp *h = calloc(1, sizeof(*h));
    if (h) {
        h->ctx = ctx;
        h->ts = ts;
        h->last = -1;
    }
    return h;
}

static struct extract_file *hook_ftp_file(struct hook_ftp *h, enum proto_dir dir)
{
    if (!h->f[dir]) {
        h->f[dir] = extract_file_open(h->ctx, "FTP_DATA", dir == PROTO_ORIG, 0, h->ts);
        h->last = (int)dir;
    }
    return h->f[dir];
}

static void hook_ftp_data(void *hp, enum proto_dir dir, const uint8_t *p, size_t n, int64_t ts)
{
    struct extract_file *f = hook_ftp_file(hp, dir);
    extract_file_touch(f, ts);
    extract_file_data(f, p, n);
}

static void hook_ftp_info(void *hp, bool final, const char **fuid, const char **mime)
{
    struct hook_ftp *h = hp;
    struct extract_file *f = h->last >= 0 ? h->f[h->last] : NULL;
    *fuid = f && extract_file_seen(f) && extract_files_logged() ? extract_file_fuid(f) : NULL;
    *mime = *fuid ? extract_file_mime(f, final) : NULL;
}

static void hook_ftp_gap(void *hp, enum proto_dir dir, uint64_t n)
{
    extract_file_gap(hook_ftp_file(hp, dir), n);
}

static void hook_ftp_close(void *hp)
{
    struct hook_ftp *h = hp;
    for (int d = 0; d < 2; d++)
        if (h->f[d])
            extract_file_close(h->f[d], true);
    free(h);
}

static const struct ftp_data_ops hook_ftp_ops = {
    .open = hook_ftp_open,
    .data = hook_ftp_data,
    .gap = hook_ftp_gap,
    .info = hook_ftp_info,
    .close = hook_ftp_close,
};

/* ---- SMTP messages ---- */

static void *hook_smtp_open(struct proto_ctx *ctx, uint64_t trans_depth, int64_t ts)
{
    (void)trans_depth;
    struct hook_mime *h = hook_mime_new(ctx, "SMTP", true, true, ts);
    if (h) {
        h->depth_base = extract_session_count(proto_conn(ctx)->uid, 'm', 0);
        mime_parser_init(&h->mp, &hook_mime_ops, h);
    }
    return h;
}

static void hook_smtp_data(void *hp, const uint8_t *p, size_t n, int64_t ts)
{
    struct hook_mime *h = hp;
    h->now = ts;
    mime_parser_feed(&h->mp, p, n);
}

static void hook_smtp_gap(void *hp, uint64_t n)
{
    struct hook_mime *h = hp;
    mime_parser_gap(&h->mp, n);
}

static const char *hook_smtp_close(void *hp, bool complete)
{
    static struct hook_fuids out;
    struct hook_mime *h = hp;
    mime_parser_end(&h->mp, complete);
    extract_session_count(proto_conn(h->ctx)->uid, 'm', h->mp.depth);
    out = h->fuids;
    free(h);
    return out.len ? out.s : NULL;
}

static const struct smtp_msg_ops hook_smtp_ops = {
    .open = hook_smtp_open,
    .data = hook_smtp_data,
    .gap = hook_smtp_gap,
    .close = hook_smtp_close,
};

/* ---- TLS certificates ---- */

static void hook_cert(struct proto_ctx *ctx, const uint8_t *der, size_t len, bool host_cert,
                      bool client_cert, int64_t ts)
{
    struct extract_file *f = extract_file_open(ctx, "SSL", client_cert, 0, ts);
    if (!f)
        return;
    extract_file_add_analyzer(f, "X509");
    extract_file_set_mime(f, host_cert ? "application/x-x509-user-cert"
                                       : "application/x-x509-ca-cert");
    extract_file_data(f, der, len);
    extract_file_close(f, true);
}

static void hook_ocsp(struct proto_ctx *ctx, const uint8_t *der, size_t len, bool is_orig,
                      int64_t ts)
{
    struct extract_file *f = extract_file_open(ctx, "SSL", is_orig, 0, ts);
    if (!f)
        return;
    extract_file_add_analyzer(f, "OCSP_REPLY");
    extract_file_set_mime(f, "application/ocsp-response");
    extract_file_data(f, der, len);
    extract_file_close(f, true);
}

const char *const extract_parsers[] = {
    "http", "ssl", "smtp", "ftp", "ftp-data", "socks", "imap", "pop3", NULL,
};
static bool hooks_on, hooks_certs; /* what extract_hooks_install set */

void extract_hooks_install(bool certs)
{
    hooks_on = true;
    hooks_certs = certs;
    http_body_ops_set(&hook_http_ops);
    ftp_data_ops_set(&hook_ftp_ops);
    smtp_msg_ops_set(&hook_smtp_ops);
    x509_cert_sink_set(certs ? hook_cert : NULL);
    ssl_ocsp_sink_set(hook_ocsp);
}

/* ---- several analysis workers: every hook under one lock ----
 *
 * The file store (dedupe by content, the sniffed-type and hash-context
 * caches, range files, the counters) is shared by every session, so with
 * `--workers N` each hook call runs under one (recursive) lock; a close's
 * fuid list is copied to the calling thread before the lock is let go.
 * Extraction itself is then one worker at a time (docs/pipeline.md). */

static pthread_mutex_t lk_mu = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
static _Thread_local char lk_fuids[HOOK_FUIDS_MAX * EXTRACT_FUID_LEN];

static const char *lk_keep(const char *r)
{
    if (!r)
        return NULL;
    snprintf(lk_fuids, sizeof(lk_fuids), "%s", r);
    return lk_fuids;
}

static void *lk_http_open(struct proto_ctx *ctx, const struct http_entity *e, int64_t ts)
{
    pthread_mutex_lock(&lk_mu);
    void *h = hook_http_open(ctx, e, ts);
    pthread_mutex_unlock(&lk_mu);
    return h;
}

static void lk_http_data(void *h, const uint8_t *p, size_t n, int64_t ts)
{
    pthread_mutex_lock(&lk_mu);
    hook_http_data(h, p, n, ts);
    pthread_mutex_unlock(&lk_mu);
}

static void lk_http_gap(void *h, uint64_t n)
{
    pthread_mutex_lock(&lk_mu);
    hook_http_gap(h, n);
    pthread_mutex_unlock(&lk_mu);
}

static void lk_http_close(void *h, bool complete, struct http_body_files *out)
{
    pthread_mutex_lock(&lk_mu);
    hook_http_close(h, complete, out);
    pthread_mutex_unlock(&lk_mu);
}

static const struct http_body_ops lk_http_ops = {
    .open = lk_http_open, .data = lk_http_data, .gap = lk_http_gap, .close = lk_http_close,
};

static void *lk_ftp_open(struct proto_ctx *ctx, int64_t ts)
{
    pthread_mutex_lock(&lk_mu);
    void *h = hook_ftp_open(ctx, ts);
    pthread_mutex_unlock(&lk_mu);
    return h;
}

static void lk_ftp_data(void *h, enum proto_dir dir, const uint8_t *p, size_t n, int64_t ts)
{
    pthread_mutex_lock(&lk_mu);
    hook_ftp_data(h, dir, p, n, ts);
    pthread_mutex_unlock(&lk_mu);
}

static void lk_ftp_gap(void *h, enum proto_dir dir, uint64_t n)
{
    pthread_mutex_lock(&lk_mu);
    hook_ftp_gap(h, dir, n);
    pthread_mutex_unlock(&lk_mu);
}

static void lk_ftp_info(void *h, bool final, const char **fuid, const char **mime)
{
    pthread_mutex_lock(&lk_mu);
    hook_ftp_info(h, final, fuid, mime);
    pthread_mutex_unlock(&lk_mu);
}

static void lk_ftp_close(void *h)
{
    pthread_mutex_lock(&lk_mu);
    hook_ftp_close(h);
    pthread_mutex_unlock(&lk_mu);
}

static const struct ftp_data_ops lk_ftp_ops = {
    .open = lk_ftp_open, .data = lk_ftp_data, .gap = lk_ftp_gap,
    .info = lk_ftp_info, .close = lk_ftp_close,
};

static void *lk_smtp_open(struct proto_ctx *ctx, uint64_t trans_depth, int64_t ts)
{
    pthread_mutex_lock(&lk_mu);
    void *h = hook_smtp_open(ctx, trans_depth, ts);
    pthread_mutex_unlock(&lk_mu);
    return h;
}

static void lk_smtp_data(void *h, const uint8_t *p, size_t n, int64_t ts)
{
    pthread_mutex_lock(&lk_mu);
    hook_smtp_data(h, p, n, ts);
    pthread_mutex_unlock(&lk_mu);
}

static void lk_smtp_gap(void *h, uint64_t n)
{
    pthread_mutex_lock(&lk_mu);
    hook_smtp_gap(h, n);
    pthread_mutex_unlock(&lk_mu);
}

static const char *lk_smtp_close(void *h, bool complete)
{
    pthread_mutex_lock(&lk_mu);
    const char *r = lk_keep(hook_smtp_close(h, complete));
    pthread_mutex_unlock(&lk_mu);
    return r;
}

static const struct smtp_msg_ops lk_smtp_ops = {
    .open = lk_smtp_open, .data = lk_smtp_data, .gap = lk_smtp_gap, .close = lk_smtp_close,
};

static void lk_cert(struct proto_ctx *ctx, const uint8_t *der, size_t len, bool host_cert,
                    bool client_cert, int64_t ts)
{
    pthread_mutex_lock(&lk_mu);
    hook_cert(ctx, der, len, host_cert, client_cert, ts);
    pthread_mutex_unlock(&lk_mu);
}

static void lk_ocsp(struct proto_ctx *ctx, const uint8_t *der, size_t len, bool is_orig,
                    int64_t ts)
{
    pthread_mutex_lock(&lk_mu);
    hook_ocsp(ctx, der, len, is_orig, ts);
    pthread_mutex_unlock(&lk_mu);
}

void extract_threaded(int on)
{
    extract_range_threaded(on != 0);
    if (!hooks_on)
        return;
    if (!on) {
        extract_hooks_install(hooks_certs);
        return;
    }
    http_body_ops_set(&lk_http_ops);
    ftp_data_ops_set(&lk_ftp_ops);
    smtp_msg_ops_set(&lk_smtp_ops);
    x509_cert_sink_set(hooks_certs ? lk_cert : NULL);
    ssl_ocsp_sink_set(lk_ocsp);
}

void extract_hooks_remove(void)
{
    hooks_on = false;
    http_body_ops_set(NULL);
    ftp_data_ops_set(NULL);
    smtp_msg_ops_set(NULL);
    x509_cert_sink_set(NULL);
    ssl_ocsp_sink_set(NULL);
}
