/*
 * transcript_http.c - HTTP bodies for `vigil transcript --decode`: where
 * each message body lies in one direction's reassembled bytes, and its
 * content after de-chunking (RFC 9112 §7.1) and decoding gzip, x-gzip or
 * deflate (RFC 9110 §8.4).
 *
 * Owns: nothing but the bodies it returns.  It works on a whole direction
 * at once (the transcript holds it), so unlike the resumable parser of
 * src/proto/http_parse.c it needs no state machine: it finds the end of
 * each header block, reads Content-Length / Transfer-Encoding /
 * Content-Encoding, and walks chunks with the HTTP parser's own chunk-size
 * line parser (http_chunk_size_parse, proto/http.h).  Decoding follows
 * http_body.c: zlib with inflateInit2(15 + 32) for gzip and zlib streams,
 * restarted as raw deflate when the first bytes are neither; at most
 * TR_INFLATE_MAX bytes out per body.  A body without a length in a
 * response runs to the end of the direction (until close); 1xx, 204 and
 * 304 responses have none.
 *
 *   header block ─► body on the wire [start, end) ─► de-chunk ─► inflate ─► data
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "proto/http.h"
#include "query/transcript.h"

#define TR_INFLATE_MAX (64u * 1024 * 1024)
#define TR_HEADER_MAX (64u * 1024)

struct tr_bytes {
    uint8_t *p;
    size_t len, cap;
    bool oom;
};

static void tb_add(struct tr_bytes *b, const uint8_t *p, size_t n)
{
    if (b->oom || n == 0)
        return;
    if (b->len + n > b->cap) {
        size_t nc = b->cap ? b->cap : 4096;
        while (nc < b->len + n)
            nc *= 2;
        uint8_t *q = realloc(b->p, nc);
        if (!q) {
            b->oom = true;
            return;
        }
        b->p = q;
        b->cap = nc;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

/* Offset just past the line starting at i (LF included), or len. */
static size_t line_end(const uint8_t *buf, size_t len, size_t i)
{
    const uint8_t *nl = memchr(buf + i, '\n', len - i);
    return nl ? (size_t)(nl - buf) + 1 : len;
}

/* Length of the line without its CR LF / LF. */
static size_t line_len(const uint8_t *buf, size_t i, size_t e)
{
    size_t n = e - i;
    if (n && buf[i + n - 1] == '\n')
        n--;
    if (n && buf[i + n - 1] == '\r')
        n--;
    return n;
}

static bool looks_http(const uint8_t *buf, size_t len)
{
    size_t e = line_end(buf, len, 0), n = line_len(buf, 0, e);
    if (n >= 5 && memcmp(buf, "HTTP/", 5) == 0)
        return true;
    for (size_t i = 0; i + 8 <= n; i++)
        if (memcmp(buf + i, " HTTP/1.", 8) == 0)
            return true;
    return false;
}

struct tr_msg {
    bool response, chunked, gzip, deflate, no_body;
    int64_t content_length;     /* -1 absent */
};

static bool hdr_is(const uint8_t *p, size_t n, const char *name, const uint8_t **val, size_t *vlen)
{
    size_t k = strlen(name);
    if (n <= k || strncasecmp((const char *)p, name, k) != 0 || p[k] != ':')
        return false;
    size_t i = k + 1;
    while (i < n && (p[i] == ' ' || p[i] == '\t'))
        i++;
    *val = p + i;
    *vlen = n - i;
    return true;
}

static bool val_has(const uint8_t *v, size_t n, const char *word)
{
    size_t k = strlen(word);
    for (size_t i = 0; i + k <= n; i++)
        if (strncasecmp((const char *)v + i, word, k) == 0)
            return true;
    return false;
}

/* The start line and header lines [i, hend): what frames the body. */
static void msg_parse(const uint8_t *buf, size_t i, size_t hend, struct tr_msg *m)
{
    memset(m, 0, sizeof(*m));
    m->content_length = -1;
    size_t e = line_end(buf, hend, i), n = line_len(buf, i, e);
    if (n >= 12 && memcmp(buf + i, "HTTP/", 5) == 0) {
        m->response = true;
        const uint8_t *sp = memchr(buf + i, ' ', n);
        unsigned code = 0;
        for (size_t k = sp ? (size_t)(sp - buf) + 1 : i + n; k < i + n && buf[k] >= '0' &&
             buf[k] <= '9' && code < 1000; k++)
            code = code * 10 + (unsigned)(buf[k] - '0');
        m->no_body = (code >= 100 && code < 200) || code == 204 || code == 304;
    }
    for (i = e; i < hend; i = e) {
        e = line_end(buf, hend, i);
        n = line_len(buf, i, e);
        const uint8_t *v;
        size_t vl;
        if (hdr_is(buf + i, n, "content-length", &v, &vl)) {
            int64_t cl = 0;
            size_t k = 0;
            while (k < vl && v[k] >= '0' && v[k] <= '9' && cl < (INT64_MAX - 9) / 10)
                cl = cl * 10 + (v[k++] - '0');
            if (k)
                m->content_length = cl;
        } else if (hdr_is(buf + i, n, "transfer-encoding", &v, &vl)) {
            m->chunked = val_has(v, vl, "chunked");
        } else if (hdr_is(buf + i, n, "content-encoding", &v, &vl)) {
            m->gzip = val_has(v, vl, "gzip");
            m->deflate = !m->gzip && val_has(v, vl, "deflate");
        }
    }
}

/* End of the header block starting at i (past the empty line), or 0. */
static size_t header_end(const uint8_t *buf, size_t len, size_t i)
{
    size_t lim = len - i > TR_HEADER_MAX ? i + TR_HEADER_MAX : len;
    for (size_t e; i < lim; i = e) {
        e = line_end(buf, lim, i);
        if (e == lim && buf[e - 1] != '\n')
            return 0;
        if (line_len(buf, i, e) == 0)
            return e;
    }
    return 0;
}

/* Chunks from i: their data into *out; returns the end of the framing. */
static size_t dechunk(const uint8_t *buf, size_t len, size_t i, struct tr_bytes *out)
{
    while (i < len) {
        size_t e = line_end(buf, len, i);
        uint64_t sz;
        if (!http_chunk_size_parse(buf + i, line_len(buf, i, e), &sz))
            return len; /* not chunks after all: the rest is body */
        i = e;
        if (sz == 0) {
            while (i < len) { /* trailers up to the empty line */
                e = line_end(buf, len, i);
                bool empty = line_len(buf, i, e) == 0;
                i = e;
                if (empty)
                    break;
            }
            return i;
        }
        size_t take = sz > len - i ? len - i : (size_t)sz;
        tb_add(out, buf + i, take);
        i += take;
        if (i < len && buf[i] == '\r')
            i++;
        if (i < len && buf[i] == '\n')
            i++;
    }
    return len;
}

/* Inflate in into *out (gzip/zlib, or raw deflate when the header is
 * neither).  false when the stream is damaged (what came before is kept). */
static bool inflate_all(const uint8_t *in, size_t n, struct tr_bytes *out)
{
    uint8_t tmp[16384];
    for (int raw = 0; raw < 2; raw++) {
        z_stream z;
        memset(&z, 0, sizeof(z));
        if (inflateInit2(&z, raw ? -15 : 15 + 32) != Z_OK)
            return false;
        z.next_in = (Bytef *)(uintptr_t)in;
        z.avail_in = (uInt)(n > UINT32_MAX ? UINT32_MAX : n);
        int r = Z_OK;
        size_t start = out->len;
        while (r == Z_OK && out->len < TR_INFLATE_MAX && !out->oom) {
            z.next_out = tmp;
            z.avail_out = sizeof(tmp);
            r = inflate(&z, Z_SYNC_FLUSH);
            size_t have = sizeof(tmp) - z.avail_out;
            tb_add(out, tmp, have);
            if (r == Z_BUF_ERROR || (r == Z_OK && have == 0 && z.avail_in == 0))
                r = Z_STREAM_END; /* input ended (a truncated body) */
        }
        inflateEnd(&z);
        if (r == Z_STREAM_END)
            return true;
        if (raw || out->len > start)
            return false;
    }
    return false;
}

static bool body_add(struct transcript_body **v, long *n, long *cap, struct transcript_body *b)
{
    if (*n == *cap) {
        long nc = *cap ? *cap * 2 : 8;
        struct transcript_body *q = realloc(*v, (size_t)nc * sizeof(*q));
        if (!q)
            return false;
        *v = q;
        *cap = nc;
    }
    (*v)[(*n)++] = *b;
    return true;
}

/* Decode one body [b0, b1) framed as m into *b.  false when out of memory. */
static bool body_decode(const uint8_t *buf, size_t len, size_t b0, const struct tr_msg *m,
                        size_t *b1, struct transcript_body *b)
{
    struct tr_bytes plain = {0}, dec = {0};
    const uint8_t *src = buf + b0;
    size_t srclen = *b1 - b0;
    if (m->chunked) {
        *b1 = dechunk(buf, len, b0, &plain);
        src = plain.p;
        srclen = plain.len;
    }
    bool ok = true;
    if (m->gzip || m->deflate)
        ok = inflate_all(src ? src : (const uint8_t *)"", srclen, &dec);
    else
        tb_add(&dec, src, srclen);
    free(plain.p);
    if (dec.oom || plain.oom) {
        free(dec.p);
        return false;
    }
    memset(b, 0, sizeof(*b));
    b->start = b0;
    b->end = *b1;
    b->data = dec.p;
    b->len = dec.len;
    snprintf(b->desc, sizeof(b->desc), "%s%s%s: %zu bytes on the wire%s",
             m->chunked ? "chunked" : "", m->chunked && (m->gzip || m->deflate) ? ", " : "",
             m->gzip ? "gzip" : m->deflate ? "deflate" : "", *b1 - b0,
             ok ? "" : ", decoding failed");
    return true;
}

long transcript_http_bodies(const uint8_t *buf, size_t len, struct transcript_body **out)
{
    struct transcript_body *v = NULL;
    long n = 0, cap = 0;
    *out = NULL;
    if (len == 0 || !looks_http(buf, len))
        return 0;
    for (size_t i = 0; i < len;) {
        size_t hend = header_end(buf, len, i);
        if (!hend)
            break;
        struct tr_msg m;
        msg_parse(buf, i, hend, &m);
        size_t b1 = hend;
        if (m.no_body)
            b1 = hend;
        else if (m.chunked)
            b1 = len; /* dechunk finds the end */
        else if (m.content_length >= 0)
            b1 = (uint64_t)m.content_length > len - hend ? len : hend + (size_t)m.content_length;
        else if (m.response)
            b1 = len;
        if (b1 > hend && (m.chunked || m.gzip || m.deflate)) {
            struct transcript_body b;
            bool ok = body_decode(buf, len, hend, &m, &b1, &b);
            if (ok && !body_add(&v, &n, &cap, &b)) {
                free(b.data);
                ok = false;
            }
            if (!ok) {
                transcript_bodies_free(v, n);
                return -1;
            }
        }
        i = b1;
    }
    *out = v;
    return n;
}

void transcript_bodies_free(struct transcript_body *b, long n)
{
    for (long i = 0; i < n; i++)
        free(b[i].data);
    free(b);
}
