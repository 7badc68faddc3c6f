/*
 * http_body.c - HTTP message bodies after framing: content codings, length
 * as Zeek counts it, typing, and the body sink.
 *
 * RFC 9110 §8.4 content codings gzip, x-gzip and deflate are decoded with
 * zlib: inflateInit2(15 + 32) takes gzip and zlib streams; when the first
 * bytes are neither (servers that send raw deflate for "deflate", as
 * browsers and Zeek's ZIP analyzer allow) the stream restarts as raw
 * deflate (-15).  When even that fails the rest of the body is dropped
 * (weird "inflate_failed"), as Zeek does.  Decoded
 * output is capped at HTTP_INFLATE_MAX per body (weird
 * "HTTP_inflate_cap_exceeded").  A body whose compressed pieces are those
 * of a body inflated before is replayed from the memo of http_zmemo.c
 * instead (the same deliveries and weirds; at the first piece that differs
 * zlib rebuilds its state from the pieces so far and goes on).  chunk sizes
 * are parsed here too (RFC 9112 §7.1: hex digits, then extensions after
 * ';', which are ignored).
 *
 *   framed bytes ─► [inflate | memo replay] ─► http_body_deliver ─┬─► length (Zeek's body_length)
 *                                                                 ├─► sniff buffer (first 4 KiB) ─► mime type
 *                                                                 └─► body sink (file extraction)
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/cursor.h"
#include "proto/http.h"

static const struct http_body_ops *http_ops;

void http_body_ops_set(const struct http_body_ops *ops)
{
    http_ops = ops;
}

bool http_chunk_size_parse(const uint8_t *p, size_t n, uint64_t *size)
{
    struct cursor c;
    uint8_t b;
    uint64_t v = 0;
    size_t digits = 0;
    cursor_init(&c, p, n);
    while (cursor_peek_u8(&c, 0, &b) == 0 && (b == ' ' || b == '\t'))
        cursor_skip(&c, 1);
    while (cursor_u8(&c, &b) == 0) {
        int d;
        if (b >= '0' && b <= '9')
            d = b - '0';
        else if (b >= 'a' && b <= 'f')
            d = b - 'a' + 10;
        else if (b >= 'A' && b <= 'F')
            d = b - 'A' + 10;
        else
            break; /* ';' extensions, blanks, anything else: ignored */
        if (v >> 59)
            return false; /* cap: no chunk is 2^63 bytes */
        v = v << 4 | (uint64_t)d;
        digits++;
    }
    if (digits == 0)
        return false;
    *size = v;
    return true;
}

static struct http_txn *http_body_txn(struct http_state *s, enum proto_dir dir)
{
    uint64_t key = dir == PROTO_ORIG ? s->cur_req : s->cur_resp;
    for (size_t i = 0; i < s->n_pending; i++)
        if (s->pending[i]->key == key)
            return s->pending[i];
    return NULL;
}

static uint64_t http_body_depth(struct http_state *s, enum proto_dir dir)
{
    struct http_txn *t = http_body_txn(s, dir);
    return t ? t->trans_depth : 0;
}

void http_body_begin(struct http_state *s, struct http_msg *m, int64_t ts)
{
    struct http_body *b = &m->body;
    http_body_free(b);
    memset(b, 0, sizeof(*b));
    b->open = true;
    b->enc = m->enc;
    b->dcap = m->dc.on ? &m->dc : NULL;
    b->ddir = m->dir;
    if (http_ops && http_ops->open) {
        struct http_entity e = {
            .dir = m->dir,
            .trans_depth = http_body_depth(s, m->dir),
            .content_length = m->content_length,
            .content_type = {m->ctype.p, m->ctype.len},
            .content_disposition = {m->cdisp.p, m->cdisp.len},
            .status_code = m->dir == PROTO_RESP ? s->reply_code : 0,
            .encoded = m->enc != HTTP_ENC_IDENTITY,
        };
        struct http_txn *t = http_body_txn(s, m->dir); /* a request's own, a response's */
        if (t) {
            e.range_request = m->dir == PROTO_RESP && t->range_request;
            e.host = (struct rstr){t->host.p, t->host.len};
            e.uri = (struct rstr){t->uri.p, t->uri.len};
        }
        if (m->crange.set)
            e.content_range = (struct rstr){m->crange.p, m->crange.len};
        b->sink = http_ops->open(s->ctx, &e, ts);
    }
}

/* Decoded bytes: counted, sniffed, handed to the sink. */
static void http_body_deliver(struct http_body *b, const uint8_t *p, size_t n, int64_t ts)
{
    if (n == 0)
        return;
    b->len += n;
    if (b->sniff_len < HTTP_SNIFF_MAX) {
        size_t k = HTTP_SNIFF_MAX - b->sniff_len;
        if (k > n)
            k = n;
        memcpy(b->sniff + b->sniff_len, p, k);
        b->sniff_len += k;
    }
    if (b->sink && http_ops && http_ops->data)
        http_ops->data(b->sink, p, n, ts);
    if (b->dcap)
        detect_http_cap_body(b->dcap, b->ddir, p, n);
}

/* A coding that would not decode from its first byte: the signature engine
 * inspects the bytes as sent (libhtp passes such a body through). */
static void http_body_passthrough(struct http_body *b, const uint8_t *p, size_t n)
{
    if (b->dcap && b->z_dead && b->inflated == 0)
        detect_http_cap_body(b->dcap, b->ddir, p, n);
}

static int http_inflate_init(struct http_body *b, bool raw)
{
    if (b->z_init)
        inflateEnd(&b->z);
    memset(&b->z, 0, sizeof(b->z));
    b->z_init = inflateInit2(&b->z, raw ? -15 : 15 + 32) == Z_OK;
    b->z_raw = raw;
    return b->z_init ? 0 : -1;
}

/* The live decoder's output: delivered (and recorded when the body records
 * a memo entry), or dropped while the decoder is being rebuilt. */
static void http_zout(struct http_state *s, struct http_body *b, const uint8_t *p, size_t n)
{
    if (b->zm_mute || n == 0)
        return;
    if (b->zm_mode == HTTP_ZM_RECORD && !http_zmemo_out(b->zm, p, n)) {
        http_zmemo_release(b->zm, true);
        b->zm = NULL;
        b->zm_mode = HTTP_ZM_NONE;
    }
    http_body_deliver(b, p, n, s->last_ts);
}

static void http_zweird(struct http_state *s, struct http_body *b, const char *name)
{
    if (b->zm_mute)
        return;
    if (b->zm_mode == HTTP_ZM_RECORD && !http_zmemo_weird(b->zm, name)) {
        http_zmemo_release(b->zm, true);
        b->zm = NULL;
        b->zm_mode = HTTP_ZM_NONE;
    }
    http_weird(s, name, NULL, 0);
}

static void http_body_inflate_live(struct http_state *s, struct http_body *b, const uint8_t *p,
                                   size_t n)
{
    uint8_t out[16384];
    bool restart = true;
    if (!b->z_init && http_inflate_init(b, false) < 0) {
        b->z_dead = true;
        return;
    }
    size_t before = b->zhead_len; /* compressed bytes of earlier calls kept for a restart */
    size_t keep = n < sizeof(b->zhead) - before ? n : sizeof(b->zhead) - before;
    memcpy(b->zhead + before, p, keep);
    b->zhead_len += keep;
    b->z.next_in = (Bytef *)(uintptr_t)p;
    b->z.avail_in = (uInt)n;
    while (b->z.avail_in > 0) {
        b->z.next_out = out;
        b->z.avail_out = sizeof(out);
        int r = inflate(&b->z, Z_SYNC_FLUSH);
        if (r == Z_OK || r == Z_STREAM_END || r == Z_BUF_ERROR) {
            size_t have = sizeof(out) - b->z.avail_out;
            restart = false;
            if (b->inflated + have > HTTP_INFLATE_MAX) {
                http_zweird(s, b, "HTTP_inflate_cap_exceeded");
                b->z_dead = true;
                return;
            }
            b->inflated += have;
            http_zout(s, b, out, have);
            if (r == Z_STREAM_END) {
                b->z_dead = true; /* what follows the stream is ignored, as Zeek does */
                return;
            }
            if (r == Z_BUF_ERROR && have == 0)
                return;
            continue;
        }
        if (restart && r == Z_DATA_ERROR && !b->z_raw && b->inflated == 0 &&
            before < sizeof(b->zhead)) {
            if (http_inflate_init(b, true) < 0)
                goto fail;
            if (before > 0) { /* the bytes of earlier calls first (a 1-byte first segment) */
                b->z.next_in = b->zhead;
                b->z.avail_in = (uInt)before;
                b->z.next_out = out;
                b->z.avail_out = sizeof(out);
                if (inflate(&b->z, Z_SYNC_FLUSH) == Z_DATA_ERROR)
                    goto fail;
                b->inflated += sizeof(out) - b->z.avail_out;
                http_zout(s, b, out, sizeof(out) - b->z.avail_out);
            }
            b->z.next_in = (Bytef *)(uintptr_t)p;
            b->z.avail_in = (uInt)n;
            restart = false;
            continue;
        }
        goto fail;
    }
    return;
fail:
    http_zweird(s, b, "inflate_failed");
    b->z_dead = true; /* as Zeek's ZIP analyzer: nothing more of this body is decoded */
}

/* ---- the memo of inflated bodies (http_zmemo.c) ---- */

struct http_zctx {
    struct http_state *s;
    struct http_body *b;
};

static void http_zreplay_out(void *ctx, const uint8_t *p, size_t n)
{
    struct http_zctx *z = ctx;
    http_body_deliver(z->b, p, n, z->s->last_ts);
}

static void http_zreplay_weird(void *ctx, const char *name)
{
    struct http_zctx *z = ctx;
    http_weird(z->s, name, NULL, 0);
}

static void http_zrebuild_call(void *ctx, const uint8_t *p, size_t n)
{
    struct http_zctx *z = ctx;
    http_body_inflate_live(z->s, z->b, p, n);
}

static void http_zmemo_drop(struct http_body *b)
{
    http_zmemo_release(b->zm, b->zm_mode == HTTP_ZM_RECORD);
    b->zm = NULL;
    b->zm_mode = HTTP_ZM_NONE;
}

/* Call k of a body that replayed its first k calls differs from the memo:
 * the decoder is rebuilt by running zlib over those calls' bytes with
 * nothing delivered (it had no state: nothing was inflated live). */
static void http_zrebuild(struct http_state *s, struct http_body *b, uint32_t k)
{
    struct http_zctx z = {s, b};
    b->inflated = 0;
    b->zhead_len = 0;
    b->z_dead = false;
    b->zm_mute = true;
    http_zmemo_history(b->zm, k, http_zrebuild_call, &z);
    b->zm_mute = false;
}

/* One piece of compressed body: replayed from the memo when the body so far
 * and this piece are those of a body inflated before, else inflated (and
 * recorded while the memo has room). */
static void http_body_inflate(struct http_state *s, struct http_body *b, const uint8_t *p, size_t n)
{
    uint32_t k = b->zm_calls;
    if (k < UINT32_MAX)
        b->zm_calls++; /* saturates: no entry holds that many calls (ZM_TOTAL) */
    if (k == 0 || b->zm_mode == HTTP_ZM_REPLAY) {
        struct http_zmemo *e = http_zmemo_find(b->zm, k, p, n);
        if (e) {
            if (e != b->zm) {
                http_zmemo_hold(e);
                http_zmemo_drop(b);
                b->zm = e;
            }
            b->zm_mode = HTTP_ZM_REPLAY;
            struct http_zctx z = {s, b};
            struct http_zmemo_sink sink = {&z, http_zreplay_out, http_zreplay_weird};
            http_zmemo_replay(e, k, &sink, &b->inflated, &b->z_dead);
            return;
        }
        if (b->zm_mode == HTTP_ZM_REPLAY)
            http_zrebuild(s, b, k);
        struct http_zmemo *r = http_zmemo_record(b->zm, k, p, n);
        http_zmemo_drop(b);
        b->zm = r;
        b->zm_mode = r ? HTTP_ZM_RECORD : HTTP_ZM_NONE;
    } else if (b->zm_mode == HTTP_ZM_RECORD && !http_zmemo_call_begin(b->zm, p, n)) {
        http_zmemo_drop(b);
    }
    http_body_inflate_live(s, b, p, n);
    if (b->zm_mode == HTTP_ZM_RECORD && !http_zmemo_call_end(b->zm, b->inflated, b->z_dead))
        http_zmemo_drop(b);
}

void http_body_input(struct http_state *s, struct http_msg *m, const uint8_t *p, size_t n)
{
    struct http_body *b = &m->body;
    if (!b->open || n == 0)
        return;
    if (b->enc == HTTP_ENC_IDENTITY) {
        http_body_deliver(b, p, n, s->last_ts);
        return;
    }
    if (b->z_dead) {
        http_body_passthrough(b, p, n);
        return;
    }
    /* zlib takes at most UINT_MAX at once */
    while (n > 0) {
        size_t k = n > (1u << 30) ? (1u << 30) : n;
        http_body_inflate(s, b, p, k);
        http_body_passthrough(b, p, k);
        if (b->enc == HTTP_ENC_IDENTITY || b->z_dead)
            return;
        p += k;
        n -= k;
    }
}

void http_body_gap(struct http_state *s, struct http_msg *m, uint64_t n)
{
    (void)s;
    struct http_body *b = &m->body;
    if (!b->open)
        return;
    b->len += n; /* Zeek counts skipped body bytes in body_length */
    if (b->sink && http_ops && http_ops->gap)
        http_ops->gap(b->sink, n);
}

/* Nothing from the sink yet (the arrays are left as they are: only the
 * counts say what is filled). */
static void files_none(struct http_body_files *f)
{
    f->fuids[0] = '\0';
    f->parts = false;
    f->n_names = f->n_mimes = 0;
}

/* Add a string to one of the txn's vectors, unless already at the cap. */
static void http_vec_add(struct hstr *v, size_t *n, const char *str)
{
    if (*n >= HTTP_MIMES_MAX)
        return;
    hstr_set(&v[*n], str, strlen(str));
    (*n)++;
}

/* Content-Disposition's filename (Zeek's extract_filename_from_content_disposition:
 * the value after "filename=", unquoted; RFC 2231 "filename*=" not decoded). */
static void http_body_filename(struct http_txn *t, const struct http_msg *m)
{
    const char *v = m->cdisp.p;
    size_t n = m->cdisp.len;
    if (!m->cdisp.set || t->n_filenames[m->dir] >= HTTP_MIMES_MAX)
        return;
    for (size_t i = 0; i + 9 <= n; i++) {
        if (strncasecmp(v + i, "filename=", 9) != 0)
            continue;
        size_t a = i + 9, e;
        if (a < n && v[a] == '"') {
            a++;
            for (e = a; e < n && v[e] != '"'; e++)
                ;
        } else {
            for (e = a; e < n && v[e] != ';' && v[e] != ' '; e++)
                ;
        }
        hstr_set(&t->filenames[m->dir][t->n_filenames[m->dir]++], v + a, e - a);
        return;
    }
}

void http_body_end(struct http_state *s, struct http_msg *m, bool complete)
{
    struct http_body *b = &m->body;
    if (!b->open)
        return;
    struct http_txn *t = NULL;
    uint64_t key = m->dir == PROTO_ORIG ? s->cur_req : s->cur_resp;
    for (size_t i = 0; i < s->n_pending; i++)
        if (s->pending[i]->key == key)
            t = s->pending[i];
    struct http_body_files files;
    files_none(&files);
    if (b->sink && http_ops && http_ops->close)
        http_ops->close(b->sink, complete, &files);
    if (t && files.parts) { /* the parts' names and types, as Zeek's files give them */
        for (size_t i = 0; i < files.n_names && t->n_filenames[m->dir] < HTTP_MIMES_MAX; i++)
            http_vec_add(t->filenames[m->dir], &t->n_filenames[m->dir], files.names[i]);
        for (size_t i = 0; i < files.n_mimes && proto_logging(s->ctx); i++)
            http_vec_add(t->mimes[m->dir], &t->n_mimes[m->dir], files.mimes[i]);
    } else if (t && b->len > 0) {
        if (b->sniff_len > 0 && proto_logging(s->ctx)) {
            const char *mime = http_mime_sniff(b->sniff, b->sniff_len); /* http.log only */
            if (mime)
                http_vec_add(t->mimes[m->dir], &t->n_mimes[m->dir], mime);
        }
        http_body_filename(t, m);
    }
    /* one fuid per file; a multipart body's parts come comma-separated */
    for (const char *f = files.fuids; t && *f;) {
        size_t k = strcspn(f, ",");
        if (t->n_fuids[m->dir] < HTTP_MIMES_MAX)
            hstr_set(&t->fuids[m->dir][t->n_fuids[m->dir]++], f, k);
        f += k + (f[k] == ',');
    }
    b->sink = NULL;
    b->open = false;
    if (b->z_init) {
        inflateEnd(&b->z);
        b->z_init = false;
    }
    http_zmemo_drop(b);
}

void http_body_free(struct http_body *b)
{
    if (b->sink && http_ops && http_ops->close) {
        struct http_body_files unused;
        files_none(&unused);
        http_ops->close(b->sink, false, &unused);
    }
    b->sink = NULL;
    if (b->z_init)
        inflateEnd(&b->z);
    b->z_init = false;
    b->open = false;
    http_zmemo_drop(b);
}
