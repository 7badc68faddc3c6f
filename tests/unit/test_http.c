/*
 * test_http.c - the HTTP parser (src/proto/http*.c) through its descriptor,
 * with the fake struct proto_ctx of proto_fake.c (so the parser runs
 * without the app layer): every record emitted is rendered as a Zeek TSV
 * line, every weird and switch is counted.
 *
 * Covered: a message split at every byte offset gives the same rows;
 * pipelining; chunked (extensions, trailers, bad sizes, zero chunk);
 * gzip, zlib-wrapped and raw deflate bodies, truncated streams; 100-continue;
 * CONNECT; HTTP/0.9; header folding; HEAD/204/304; Basic auth; 101 upgrade;
 * caps on line length and header count; the probe.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <cmocka.h>

#include "proto/http.h"
#include "proto/proto.h"
#include "store/zeeklog.h"

#include "proto_fake.h"

extern const struct proto_parser proto_http;

/* ---- driving the parser ---- */

struct step {
    enum proto_dir dir;
    const char *data; /* NULL: eof of dir */
    size_t len;       /* 0: strlen(data) */
};

/* Run steps; every data step is cut in two at split (if inside it, and split>0). */
static struct proto_ctx *run(const struct step *steps, size_t n, size_t split_step, size_t split)
{
    struct proto_ctx *ctx = proto_fake_new(80);
    void *st = proto_http.state_new(ctx);
    int64_t ts = 1000000000;
    for (size_t i = 0; i < n; i++) {
        const struct step *s = &steps[i];
        ts += 1000;
        if (!s->data) {
            proto_http.eof(st, ctx, s->dir, ts);
            continue;
        }
        size_t len = s->len ? s->len : strlen(s->data);
        const uint8_t *p = (const uint8_t *)s->data;
        if (i == split_step && split > 0 && split < len) {
            proto_http.parse(st, ctx, s->dir, p, split, ts);
            proto_http.parse(st, ctx, s->dir, p + split, len - split, ts + 1);
        } else {
            proto_http.parse(st, ctx, s->dir, p, len, ts);
        }
    }
    proto_http.state_free(st, ctx);
    return ctx;
}

/* Byte at a time, every step. */
static struct proto_ctx *run_bytewise(const struct step *steps, size_t n)
{
    struct proto_ctx *ctx = proto_fake_new(80);
    void *st = proto_http.state_new(ctx);
    for (size_t i = 0; i < n; i++) {
        const struct step *s = &steps[i];
        if (!s->data) {
            proto_http.eof(st, ctx, s->dir, 5);
            continue;
        }
        size_t len = s->len ? s->len : strlen(s->data);
        for (size_t k = 0; k < len; k++)
            proto_http.parse(st, ctx, s->dir, (const uint8_t *)s->data + k, 1, 5);
    }
    proto_http.state_free(st, ctx);
    return ctx;
}

static void assert_same_rows(const struct proto_ctx *a, const struct proto_ctx *b)
{
    assert_int_equal(a->n_rows, b->n_rows);
    for (int i = 0; i < a->n_rows; i++)
        assert_string_equal(a->rows[i], b->rows[i]);
}

/* Every split of every step, and byte-at-a-time, gives the rows of the whole run. */
static struct proto_ctx *check_splits(const struct step *steps, size_t n)
{
    struct proto_ctx *whole = run(steps, n, (size_t)-1, 0);
    for (size_t i = 0; i < n; i++) {
        if (!steps[i].data)
            continue;
        size_t len = steps[i].len ? steps[i].len : strlen(steps[i].data);
        for (size_t k = 1; k < len; k++) {
            struct proto_ctx *c = run(steps, n, i, k);
            assert_same_rows(whole, c);
            free(c);
        }
    }
    struct proto_ctx *bw = run_bytewise(steps, n);
    assert_same_rows(whole, bw);
    free(bw);
    return whole;
}

/* A field of row r by its index in http.log (ts dropped: index 1 is uid -> 0). */
static void row_field(const struct proto_ctx *c, int r, int field, char *out, size_t len)
{
    const char *p = c->rows[r];
    for (int i = 1; i < field && p; i++) {
        p = strchr(p, '|');
        if (p)
            p++;
    }
    assert_non_null(p);
    const char *e = strchr(p, '|');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    snprintf(out, len, "%.*s", (int)n, p);
}

#define ASSERT_FIELD(ctx, row, field, want)                                                        \
    do {                                                                                           \
        char got_[1024];                                                                           \
        row_field(ctx, row, field, got_, sizeof(got_));                                            \
        assert_string_equal(got_, want);                                                           \
    } while (0)

/* http.log field numbers */
enum { DEPTH = 6, METHOD, HOST, URI, REFERRER, VERSION, UA, ORIGIN, REQ_LEN, RESP_LEN, STATUS,
       STATUS_MSG, INFO_CODE, INFO_MSG, TAGS, USERNAME, PASSWORD, PROXIED, ORIG_FUIDS,
       ORIG_FILENAMES, ORIG_MIMES, RESP_FUIDS, RESP_FILENAMES, RESP_MIMES };

/* ---- tests ---- */

static void test_http_simple_get(void **state)
{
    (void)state;
    static const struct step s[] = {
        /* GET /a%20b with Host, User-Agent, Referer, Origin */
        {PROTO_ORIG, "GET /a%20b?x=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: t/1\r\n"
                     "Referer: http://r/\r\nOrigin: http://o\r\n\r\n", 0},
        /* 200 OK with a 12-byte plain-text body */
        {PROTO_RESP, "HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\nhello world!", 0},
    };
    struct proto_ctx *c = check_splits(s, 2);
    assert_int_equal(c->n_rows, 1);
    ASSERT_FIELD(c, 0, DEPTH, "1");
    ASSERT_FIELD(c, 0, METHOD, "GET");
    ASSERT_FIELD(c, 0, HOST, "example.com");
    ASSERT_FIELD(c, 0, URI, "/a b?x=1");
    ASSERT_FIELD(c, 0, REFERRER, "http://r/");
    ASSERT_FIELD(c, 0, VERSION, "1.1");
    ASSERT_FIELD(c, 0, UA, "t/1");
    ASSERT_FIELD(c, 0, ORIGIN, "http://o");
    ASSERT_FIELD(c, 0, RESP_LEN, "12");
    ASSERT_FIELD(c, 0, STATUS, "200");
    ASSERT_FIELD(c, 0, STATUS_MSG, "OK");
    ASSERT_FIELD(c, 0, TAGS, "(empty)");
    ASSERT_FIELD(c, 0, RESP_MIMES, "text/plain");
    assert_true(c->confirms > 0);
    free(c);
}

static void test_http_pipelining(void **state)
{
    (void)state;
    static const struct step s[] = {
        /* three pipelined requests in one segment: /1 /2 (HEAD) /3 */
        {PROTO_ORIG, "GET /1 HTTP/1.1\r\nHost: h\r\n\r\nHEAD /2 HTTP/1.1\r\nHost: h\r\n\r\n"
                     "GET /3 HTTP/1.1\r\nHost: h\r\n\r\n", 0},
        /* three responses: 3-byte body; HEAD reply with Content-Length but no body; 204 */
        {PROTO_RESP, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"
                     "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n"
                     "HTTP/1.1 204 No Content\r\n\r\n", 0},
    };
    struct proto_ctx *c = check_splits(s, 2);
    assert_int_equal(c->n_rows, 3);
    ASSERT_FIELD(c, 0, URI, "/1");
    ASSERT_FIELD(c, 0, RESP_LEN, "3");
    ASSERT_FIELD(c, 1, METHOD, "HEAD");
    ASSERT_FIELD(c, 1, DEPTH, "2");
    ASSERT_FIELD(c, 1, RESP_LEN, "0");
    ASSERT_FIELD(c, 2, DEPTH, "3");
    ASSERT_FIELD(c, 2, STATUS, "204");
    free(c);
}

static void test_http_chunked(void **state)
{
    (void)state;
    static const struct step s[] = {
        /* POST with a chunked body: "abcd" with an extension, "ef", last chunk, one trailer */
        {PROTO_ORIG, "POST /up HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "4;name=v\r\nabcd\r\n2\r\nef\r\n0\r\nX-Trailer: 1\r\n\r\n", 0},
        /* chunked reply: "hello" with upper-case hex size padding, then the zero chunk */
        {PROTO_RESP, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "0005\r\nhello\r\n0\r\n\r\n", 0},
    };
    struct proto_ctx *c = check_splits(s, 2);
    assert_int_equal(c->n_rows, 1);
    ASSERT_FIELD(c, 0, REQ_LEN, "6");
    ASSERT_FIELD(c, 0, RESP_LEN, "5");
    assert_int_equal(c->n_weirds, 0);
    free(c);
}

static void test_http_chunked_bad_size(void **state)
{
    (void)state;
    static const struct step s[] = {
        /* GET */
        {PROTO_ORIG, "GET / HTTP/1.1\r\n\r\n", 0},
        /* chunked reply whose size line "zz" is not hex: taken as the last chunk */
        {PROTO_RESP, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n\r\n", 0},
        /* a second request/reply proves the stream is still in step */
        {PROTO_ORIG, "GET /2 HTTP/1.1\r\n\r\n", 0},
        /* reply with a 2-byte body */
        {PROTO_RESP, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 0},
    };
    struct proto_ctx *c = check_splits(s, 4);
    assert_int_equal(c->n_rows, 2);
    ASSERT_FIELD(c, 0, RESP_LEN, "0");
    ASSERT_FIELD(c, 1, URI, "/2");
    ASSERT_FIELD(c, 1, RESP_LEN, "2");
    assert_non_null(strstr(c->weirds, "HTTP_bad_chunk_size"));
    free(c);
    /* a size of 2^64 and more is refused by the cap, not wrapped */
    uint64_t v;
    assert_false(http_chunk_size_parse((const uint8_t *)"10000000000000000", 17, &v));
    assert_true(http_chunk_size_parse((const uint8_t *)" 1a;x=y", 7, &v));
    assert_int_equal(v, 0x1a);
    assert_false(http_chunk_size_parse((const uint8_t *)";", 1, &v));
}

/* Compress text with zlib: wbits 31 gzip, 15 zlib, -15 raw deflate. */
static size_t deflate_with(const char *text, int wbits, uint8_t *out, size_t cap)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY), Z_OK);
    z.next_in = (Bytef *)(uintptr_t)text;
    z.avail_in = (uInt)strlen(text);
    z.next_out = out;
    z.avail_out = (uInt)cap;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    size_t n = cap - z.avail_out;
    deflateEnd(&z);
    return n;
}

static void run_encoded(const char *coding, int wbits, size_t cut, const char *want_len)
{
    /* the body: 2000 bytes of HTML */
    static char text[2001];
    memset(text, 'a', 2000);
    memcpy(text, "<html><body>", 12);
    uint8_t z[4096];
    size_t zn = deflate_with(text, wbits, z, sizeof(z));
    if (cut)
        zn -= cut; /* a truncated stream */
    char resp[8192];
    /* 200 OK, Content-Encoding: <coding>, Content-Length: compressed size, compressed bytes */
    int h = snprintf(resp, sizeof(resp),
                     "HTTP/1.1 200 OK\r\nContent-Encoding: %s\r\nContent-Length: %zu\r\n\r\n",
                     coding, zn);
    memcpy(resp + h, z, zn);
    struct step s[] = {
        /* GET / */
        {PROTO_ORIG, "GET / HTTP/1.1\r\nAccept-Encoding: gzip\r\n\r\n", 0},
        {PROTO_RESP, resp, (size_t)h + zn},
    };
    struct proto_ctx *c = check_splits(s, 2);
    assert_int_equal(c->n_rows, 1);
    ASSERT_FIELD(c, 0, RESP_LEN, want_len);
    ASSERT_FIELD(c, 0, RESP_MIMES, "text/html");
    free(c);
}

static void test_http_gzip_deflate(void **state)
{
    (void)state;
    run_encoded("gzip", 31, 0, "2000");
    run_encoded("x-gzip", 31, 0, "2000");
    run_encoded("deflate", 15, 0, "2000");
    run_encoded("deflate", -15, 0, "2000"); /* raw deflate: the restart */
}

static void test_http_gzip_truncated(void **state)
{
    (void)state;
    /* the last 8 bytes (gzip trailer: CRC and size) and a few of data are missing */
    static char text[2001];
    memset(text, 'b', 2000);
    uint8_t z[4096];
    size_t zn = deflate_with(text, 31, z, sizeof(z)) - 10;
    char resp[8192];
    /* 200 OK, gzip, no length: the body runs until the server closes */
    int h = snprintf(resp, sizeof(resp), "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n");
    memcpy(resp + h, z, zn);
    struct step s[] = {
        {PROTO_ORIG, "GET / HTTP/1.1\r\n\r\n", 0}, /* GET / */
        {PROTO_RESP, resp, (size_t)h + zn},
        {PROTO_RESP, NULL, 0}, /* server FIN */
    };
    struct proto_ctx *c = check_splits(s, 3);
    assert_int_equal(c->n_rows, 1);
    char got[64];
    row_field(c, 0, RESP_LEN, got, sizeof(got));
    assert_true(atoi(got) > 0 && atoi(got) <= 2000);
    free(c);
}

static void test_http_continue(void **state)
{
    (void)state;
    static const struct step s[] = {
        /* POST with Expect: 100-continue and a 5-byte body sent after the 100 */
        {PROTO_ORIG, "POST /p HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n", 0},
        /* 100 Continue */
        {PROTO_RESP, "HTTP/1.1 100 Continue\r\n\r\n", 0},
        /* the body */
        {PROTO_ORIG, "hello", 0},
        /* the final 201 */
        {PROTO_RESP, "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n", 0},
    };
    struct proto_ctx *c = check_splits(s, 4);
    assert_int_equal(c->n_rows, 1);
    ASSERT_FIELD(c, 0, REQ_LEN, "5");
    ASSERT_FIELD(c, 0, STATUS, "201");
    ASSERT_FIELD(c, 0, STATUS_MSG, "Created");
    ASSERT_FIELD(c, 0, INFO_CODE, "100");
    ASSERT_FIELD(c, 0, INFO_MSG, "Continue");
    free(c);
}

static void test_http_connect(void **state)
{
    (void)state;
    static const struct step s[] = {
        /* CONNECT to a TLS server through a proxy */
        {PROTO_ORIG, "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", 0},
        /* 200 Connection established, then the first tunnelled bytes (a TLS record header) */
        {PROTO_RESP, "HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x01", 0},
    };
    struct proto_ctx *c = run(s, 2, (size_t)-1, 0);
    assert_int_equal(c->switches, 1);
    assert_int_equal(c->n_rows, 1);
    ASSERT_FIELD(c, 0, METHOD, "CONNECT");
    ASSERT_FIELD(c, 0, URI, "example.com:443");
    ASSERT_FIELD(c, 0, STATUS, "200");
    free(c);
    /* a refused CONNECT stays HTTP */
    static const struct step r[] = {
        /* CONNECT */
        {PROTO_ORIG, "CONNECT example.com:443 HTTP/1.1\r\n\r\n", 0},
        /* 407 with a 4-byte body */
        {PROTO_RESP, "HTTP/1.1 407 Auth\r\nContent-Length: 4\r\n\r\nnope", 0},
    };
    c = check_splits(r, 2);
    assert_int_equal(c->switches, 0);
    ASSERT_FIELD(c, 0, RESP_LEN, "4");
    free(c);
}

static void test_http_09(void **state)
{
    (void)state;
    static const struct step s[] = {
        /* HTTP/0.9: method and URI only */
        {PROTO_ORIG, "GET /old.html\r\n", 0},
        /* the reply is the document itself, ended by the close */
        {PROTO_RESP, "<html>old</html>\n", 0},
        {PROTO_RESP, NULL, 0},
    };
    struct proto_ctx *c = check_splits(s, 3);
    /* as Zeek: the request message (still reading header lines) ends at session end,
     * after its row was written, and leaves an empty row of its own */
    assert_int_equal(c->n_rows, 2);
    ASSERT_FIELD(c, 1, DEPTH, "2");
    ASSERT_FIELD(c, 1, METHOD, "-");
    ASSERT_FIELD(c, 0, URI, "/old.html");
    ASSERT_FIELD(c, 0, VERSION, "0.9");
    ASSERT_FIELD(c, 0, STATUS, "0");
    ASSERT_FIELD(c, 0, STATUS_MSG, "<empty>");
    ASSERT_FIELD(c, 0, RESP_LEN, "17");
    free(c);
}

static void test_http_folding_auth(void **state)
{
    (void)state;
    static const struct step s[] = {
        /* User-Agent folded over two lines; Basic auth for "user:pass" (dXNlcjpwYXNz);
         * X-Forwarded-For goes into proxied */
        {PROTO_ORIG, "GET / HTTP/1.0\r\nUser-Agent: a\r\n b\r\n"
                     "Authorization: Basic dXNlcjpwYXNz\r\nX-Forwarded-For: 1.2.3.4\r\n\r\n", 0},
        /* 304: no body */
        {PROTO_RESP, "HTTP/1.0 304 Not Modified\r\nContent-Length: 10\r\n\r\n", 0},
    };
    struct proto_ctx *c = check_splits(s, 2);
    assert_int_equal(c->n_rows, 1);
    ASSERT_FIELD(c, 0, UA, "a b");
    ASSERT_FIELD(c, 0, USERNAME, "user");
    ASSERT_FIELD(c, 0, PASSWORD, "-");
    ASSERT_FIELD(c, 0, PROXIED, "X-FORWARDED-FOR -> 1.2.3.4");
    ASSERT_FIELD(c, 0, RESP_LEN, "0");
    free(c);
}

static void test_http_upgrade(void **state)
{
    (void)state;
    static const struct step s[] = {
        /* websocket handshake */
        {PROTO_ORIG, "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", 0},
        /* 101, then a websocket frame that must not be parsed as HTTP */
        {PROTO_RESP, "HTTP/1.1 101 Switching\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
                     "\x81\x05hello", 0},
        /* a client frame */
        {PROTO_ORIG, "\x81\x85\x00\x00\x00\x00hello", 0},
    };
    struct proto_ctx *c = check_splits(s, 3);
    assert_int_equal(c->n_rows, 1);
    ASSERT_FIELD(c, 0, STATUS, "101");
    ASSERT_FIELD(c, 0, INFO_CODE, "101");
    free(c);
}

static void test_http_caps(void **state)
{
    (void)state;
    /* a 40000-byte header value: cut at HTTP_LINE_MAX, weird raised, parsing goes on */
    size_t n = 40000;
    char *req = malloc(n + 200);
    int h = snprintf(req, 200, "GET / HTTP/1.1\r\nX-Big: ");
    memset(req + h, 'x', n);
    snprintf(req + h + n, 200, "\r\nHost: after\r\n\r\n");
    struct step s[] = {
        {PROTO_ORIG, req, 0},
        /* 200, empty body */
        {PROTO_RESP, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 0},
    };
    struct proto_ctx *c = run(s, 2, (size_t)-1, 0);
    assert_int_equal(c->n_rows, 1);
    ASSERT_FIELD(c, 0, HOST, "after");
    assert_non_null(strstr(c->weirds, "contentline_size_exceeded"));
    free(c);
    /* 300 header lines: the first 256 are read, Host is the 300th and lost */
    char *many = malloc(300 * 16 + 100);
    size_t k = (size_t)snprintf(many, 100, "GET / HTTP/1.1\r\n");
    for (int i = 0; i < 299; i++)
        k += (size_t)snprintf(many + k, 20, "X-%03d: v\r\n", i);
    snprintf(many + k, 100, "Host: lost\r\n\r\n");
    s[0].data = many;
    c = run(s, 2, (size_t)-1, 0);
    assert_int_equal(c->n_rows, 1);
    ASSERT_FIELD(c, 0, HOST, "-");
    assert_non_null(strstr(c->weirds, "HTTP_too_many_headers"));
    free(c);
    free(many);
    free(req);
}

static void test_http_unanswered_and_bad(void **state)
{
    (void)state;
    static const struct step s[] = {
        /* two requests, no reply: both written at session end */
        {PROTO_ORIG, "GET /a HTTP/1.1\r\n\r\nPOST /b HTTP/1.1\r\nContent-Length: 3\r\n\r\nxyz", 0},
    };
    struct proto_ctx *c = check_splits(s, 1);
    assert_int_equal(c->n_rows, 2);
    ASSERT_FIELD(c, 1, METHOD, "POST");
    ASSERT_FIELD(c, 1, REQ_LEN, "3");
    ASSERT_FIELD(c, 1, STATUS, "-");
    ASSERT_FIELD(c, 1, VERSION, "-");
    free(c);
    static const struct step b[] = {
        /* not a request line: the client side is given up */
        {PROTO_ORIG, "\x01\x02garbage\r\n", 0},
        /* the reply still gets a row of its own */
        {PROTO_RESP, "HTTP/1.0 400 Bad Request\r\nContent-Length: 2\r\n\r\nno", 0},
    };
    c = check_splits(b, 2);
    assert_int_equal(c->n_rows, 1);
    ASSERT_FIELD(c, 0, METHOD, "-");
    ASSERT_FIELD(c, 0, STATUS, "400");
    ASSERT_FIELD(c, 0, VERSION, "1.0");
    assert_non_null(strstr(c->weirds, "bad_HTTP_request"));
    free(c);
}

static void test_http_gap(void **state)
{
    (void)state;
    struct proto_ctx *ctx = proto_fake_new(80);
    void *st = proto_http.state_new(ctx);
    /* GET, then a reply with a 10-byte body of which 4 bytes are lost in the middle */
    const char *q = "GET / HTTP/1.1\r\n\r\n";
    const char *r = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc";
    proto_http.parse(st, ctx, PROTO_ORIG, (const uint8_t *)q, strlen(q), 1);
    proto_http.parse(st, ctx, PROTO_RESP, (const uint8_t *)r, strlen(r), 2);
    assert_int_equal(proto_http.gap(st, ctx, PROTO_RESP, 4), PROTO_OK);
    proto_http.parse(st, ctx, PROTO_RESP, (const uint8_t *)"def", 3, 3); /* the last 3 */
    assert_int_equal(ctx->n_rows, 1);
    ASSERT_FIELD(ctx, 0, RESP_LEN, "10");
    proto_http.state_free(st, ctx);
    free(ctx);
}

static void test_http_probe(void **state)
{
    (void)state;
    /* "GET / HTTP/1.1" from the client */
    assert_int_equal(proto_http.probe((const uint8_t *)"GET / HTTP/1.1\r\n", 16, PROTO_ORIG, 1, 2),
                     PROTO_PROBE_YES);
    /* "GE": could still be GET */
    assert_int_equal(proto_http.probe((const uint8_t *)"GE", 2, PROTO_ORIG, 1, 2),
                     PROTO_PROBE_MAYBE);
    /* TLS ClientHello record header */
    assert_int_equal(proto_http.probe((const uint8_t *)"\x16\x03\x01\x02\x00", 5, PROTO_ORIG, 1, 2),
                     PROTO_PROBE_NO);
    /* "HTTP/1.1 200" from the server */
    assert_int_equal(proto_http.probe((const uint8_t *)"HTTP/1.1 200", 12, PROTO_RESP, 1, 2),
                     PROTO_PROBE_YES);
    /* SSH banner */
    assert_int_equal(proto_http.probe((const uint8_t *)"SSH-2.0-x", 9, PROTO_RESP, 1, 2),
                     PROTO_PROBE_NO);
}

static void test_http_mime(void **state)
{
    (void)state;
    /* PNG signature */
    assert_string_equal(http_mime_sniff((const uint8_t *)"\x89PNG\r\n\x1a\n", 8), "image/png");
    /* a doctype after a comment */
    const char *html = "<!-- c -->\n<!DOCTYPE html><html>";
    assert_string_equal(http_mime_sniff((const uint8_t *)html, strlen(html)), "text/html");
    /* a JSON object */
    const char *json = "{\"a\": 1}";
    assert_string_equal(http_mime_sniff((const uint8_t *)json, strlen(json)), "text/json");
    /* ten printable bytes */
    assert_string_equal(http_mime_sniff((const uint8_t *)"plain text here", 15), "text/plain");
    /* five bytes: too short for Zeek's text rule */
    assert_null(http_mime_sniff((const uint8_t *)"short", 5));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_simple_get),
        cmocka_unit_test(test_http_pipelining),
        cmocka_unit_test(test_http_chunked),
        cmocka_unit_test(test_http_chunked_bad_size),
        cmocka_unit_test(test_http_gzip_deflate),
        cmocka_unit_test(test_http_gzip_truncated),
        cmocka_unit_test(test_http_continue),
        cmocka_unit_test(test_http_connect),
        cmocka_unit_test(test_http_09),
        cmocka_unit_test(test_http_folding_auth),
        cmocka_unit_test(test_http_upgrade),
        cmocka_unit_test(test_http_caps),
        cmocka_unit_test(test_http_unanswered_and_bad),
        cmocka_unit_test(test_http_gap),
        cmocka_unit_test(test_http_probe),
        cmocka_unit_test(test_http_mime),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
