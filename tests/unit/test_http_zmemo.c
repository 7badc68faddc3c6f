/*
 * test_http_zmemo.c - the memo of inflated HTTP bodies (src/proto/http_zmemo.c,
 * http_body.c): a body replayed from the memo must reach the body sink and
 * the logs exactly as when zlib decoded it - the same bytes in the same
 * pieces, the same gaps, weirds and rows.
 *
 * Each case runs a dialogue through the HTTP parser (fake app layer,
 * proto_fake.c) with a body sink that logs every call it gets ("D<n>:" and
 * the CRC-32 of the bytes, "G<n>", "C<complete>"), first with an empty memo (the
 * reference: zlib decodes everything), then again with the memo filled by
 * earlier runs: the same body (replayed), the same body cut into other
 * pieces, a body that shares only its first pieces with one seen before
 * (the replay stops, zlib rebuilds its state and goes on), a body that
 * fails to inflate, one over HTTP_INFLATE_MAX (the memo stops recording at
 * its per-entry cap), and two sessions at once where the second follows an
 * entry the first is still recording.
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

#include "proto_fake.h"

extern const struct proto_parser proto_http;

/* ---- the body sink's log ---- */

struct blog {
    char *p;
    size_t n, cap;
};

static struct blog sink_log;

static void blog_add(const void *p, size_t n)
{
    if (sink_log.n + n > sink_log.cap) {
        size_t c = sink_log.cap ? sink_log.cap : 4096;
        while (c < sink_log.n + n)
            c *= 2;
        sink_log.p = realloc(sink_log.p, c);
        assert_non_null(sink_log.p);
        sink_log.cap = c;
    }
    memcpy(sink_log.p + sink_log.n, p, n);
    sink_log.n += n;
}

static void blog_printf(const char *fmt, ...)
{
    char b[64];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(b, sizeof(b), fmt, ap);
    va_end(ap);
    blog_add(b, (size_t)k);
}

static void *sink_open(struct proto_ctx *ctx, const struct http_entity *e, int64_t ts)
{
    (void)ctx;
    (void)ts;
    blog_printf("O%d;", (int)e->dir);
    return &sink_log;
}

static void sink_data(void *h, const uint8_t *p, size_t n, int64_t ts)
{
    (void)h;
    (void)ts;
    blog_printf("D%zu:%08lx;", n, (unsigned long)crc32(0, p, (uInt)n));
}

static void sink_gap(void *h, uint64_t n)
{
    (void)h;
    blog_printf("G%llu;", (unsigned long long)n);
}

static void sink_close(void *h, bool complete, struct http_body_files *out)
{
    (void)h;
    (void)out;
    blog_printf("C%d;", (int)complete);
}

static const struct http_body_ops sink_ops = {sink_open, sink_data, sink_gap, sink_close};

/* What one run produced: the sink's calls, the weirds, the rows. */
struct outcome {
    struct blog log;
    char weirds[2048];
    char rows[4][4096];
    int n_rows;
};

static void outcome_take(struct outcome *o, const struct proto_ctx *c)
{
    o->log = sink_log;
    memset(&sink_log, 0, sizeof(sink_log));
    snprintf(o->weirds, sizeof(o->weirds), "%s", c->weirds);
    o->n_rows = c->n_rows < 4 ? c->n_rows : 4;
    for (int i = 0; i < o->n_rows; i++)
        snprintf(o->rows[i], sizeof(o->rows[i]), "%s", c->rows[i]);
}

static void assert_same_outcome(const struct outcome *a, const struct outcome *b)
{
    assert_int_equal(a->log.n, b->log.n);
    assert_memory_equal(a->log.p, b->log.p, a->log.n);
    assert_string_equal(a->weirds, b->weirds);
    assert_int_equal(a->n_rows, b->n_rows);
    for (int i = 0; i < a->n_rows; i++)
        assert_string_equal(a->rows[i], b->rows[i]);
}

static void outcome_free(struct outcome *o)
{
    free(o->log.p);
    memset(o, 0, sizeof(*o));
}

/* ---- dialogues ---- */

struct dialogue {
    char req[128];
    uint8_t *resp; /* headers + compressed body */
    size_t resp_len;
};

/* text compressed (gzip), behind a 200 with Content-Length (no FIN needed);
 * cut: bytes left off the end (a truncated stream, then the server closes). */
static void dialogue_make(struct dialogue *d, const uint8_t *text, size_t n, size_t cut)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
    size_t cap = deflateBound(&z, (uLong)n) + 256;
    d->resp = malloc(cap);
    assert_non_null(d->resp);
    char h[160];
    int hl = cut ? snprintf(h, sizeof(h), "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n")
                 : 0;
    z.next_in = (Bytef *)(uintptr_t)text;
    z.avail_in = (uInt)n;
    z.next_out = d->resp + 160;
    z.avail_out = (uInt)(cap - 160);
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    size_t zn = cap - 160 - z.avail_out - cut;
    deflateEnd(&z);
    if (!cut)
        hl = snprintf(h, sizeof(h),
                      "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %zu\r\n\r\n",
                      zn);
    memmove(d->resp + hl, d->resp + 160, zn);
    memcpy(d->resp, h, (size_t)hl);
    d->resp_len = (size_t)hl + zn;
    snprintf(d->req, sizeof(d->req), "GET /f HTTP/1.1\r\nHost: h\r\n\r\n");
}

/* The response fed in pieces of piece bytes (0: whole), the first one
 * first bytes long (0: piece). */
struct feeder {
    struct proto_ctx *ctx;
    void *st;
};

static void feeder_start(struct feeder *f, const struct dialogue *d)
{
    f->ctx = proto_fake_new(80);
    f->st = proto_http.state_new(f->ctx);
    proto_http.parse(f->st, f->ctx, PROTO_ORIG, (const uint8_t *)d->req, strlen(d->req), 1000);
}

static void feeder_feed(struct feeder *f, const struct dialogue *d, size_t from, size_t to,
                        size_t first, size_t piece)
{
    size_t off = from;
    while (off < to) {
        size_t k = off == from && first ? first : piece ? piece : to - off;
        if (k > to - off)
            k = to - off;
        proto_http.parse(f->st, f->ctx, PROTO_RESP, d->resp + off, k, 2000);
        off += k;
    }
}

static void feeder_end(struct feeder *f, struct outcome *o, bool fin)
{
    if (fin)
        proto_http.eof(f->st, f->ctx, PROTO_RESP, 3000);
    proto_http.state_free(f->st, f->ctx);
    outcome_take(o, f->ctx);
    free(f->ctx);
}

static void run(const struct dialogue *d, size_t first, size_t piece, bool fin, struct outcome *o)
{
    struct feeder f;
    feeder_start(&f, d);
    feeder_feed(&f, d, 0, d->resp_len, first, piece);
    feeder_end(&f, o, fin);
}

/* The reference: an empty memo (which the run then fills). */
static void run_fresh(const struct dialogue *d, size_t first, size_t piece, bool fin,
                      struct outcome *o)
{
    http_zmemo_thread_free();
    run(d, first, piece, fin, o);
}

static uint8_t *text_make(size_t n, unsigned seed)
{
    uint8_t *t = malloc(n);
    assert_non_null(t);
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        /* words from a small alphabet: compressible, not trivially */
        t[i] = (uint8_t)("abcdefgh \n<>"[(x >> 16) % 12]);
    }
    return t;
}

static int setup(void **state)
{
    (void)state;
    http_body_ops_set(&sink_ops);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    http_body_ops_set(NULL);
    http_zmemo_thread_free();
    free(sink_log.p);
    memset(&sink_log, 0, sizeof(sink_log));
    return 0;
}

/* ---- tests ---- */

/* The same body again, cut the same way and other ways. */
static void test_zmemo_same_body(void **state)
{
    (void)state;
    uint8_t *t = text_make(60000, 1);
    struct dialogue d;
    dialogue_make(&d, t, 60000, 0);
    static const size_t cuts[][2] = {{0, 1460}, {100, 1460}, {0, 700}, {0, 0}, {77, 4096}, {0, 1}};
    for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
        struct outcome ref, again, after_all;
        run_fresh(&d, cuts[i][0], cuts[i][1], false, &ref);
        assert_int_equal(ref.n_rows, 1);
        assert_non_null(strstr(ref.rows[0], "|60000|"));
        struct http_zmemo_counters c0, c1;
        http_zmemo_counters(&c0);
        run(&d, cuts[i][0], cuts[i][1], false, &again); /* replayed */
        assert_same_outcome(&ref, &again);
        http_zmemo_counters(&c1);
        assert_true(c1.replayed > c0.replayed);
        assert_int_equal(c1.recorded, c0.recorded);
        assert_int_equal(c1.rebuilt, c0.rebuilt);
        /* with every other cut in the memo too */
        for (size_t j = 0; j < sizeof(cuts) / sizeof(cuts[0]); j++) {
            struct outcome o;
            run(&d, cuts[j][0], cuts[j][1], false, &o);
            outcome_free(&o);
        }
        run(&d, cuts[i][0], cuts[i][1], false, &after_all);
        assert_same_outcome(&ref, &after_all);
        outcome_free(&ref);
        outcome_free(&again);
        outcome_free(&after_all);
    }
    free(d.resp);
    free(t);
}

/* Two bodies whose compressed bytes share their first pieces: the second
 * replays them, then zlib takes over from the rebuilt state. */
static void test_zmemo_diverging(void **state)
{
    (void)state;
    size_t n = 200000;
    uint8_t *a = text_make(n, 2), *b = text_make(n, 2);
    memcpy(b + n / 2, "DIFFERENT", 9); /* same head, so the same first compressed bytes */
    struct dialogue da, db;
    dialogue_make(&da, a, n, 0);
    dialogue_make(&db, b, n, 0);
    struct outcome ref_b, o;
    struct http_zmemo_counters c0, c1, c2;
    run_fresh(&db, 0, 1460, false, &ref_b);
    run_fresh(&da, 0, 1460, false, &o); /* a in the memo */
    outcome_free(&o);
    struct outcome got_b;
    http_zmemo_counters(&c0);
    run(&db, 0, 1460, false, &got_b);
    assert_same_outcome(&ref_b, &got_b);
    outcome_free(&got_b);
    http_zmemo_counters(&c1);
    assert_true(c1.replayed - c0.replayed >= 10);  /* the shared head was replayed */
    assert_int_equal(c1.rebuilt - c0.rebuilt, 1); /* then zlib took over */
    assert_true(c1.recorded > c0.recorded);
    /* b is in the memo now too (a fork of a's history): replayed whole */
    run(&db, 0, 1460, false, &got_b);
    assert_same_outcome(&ref_b, &got_b);
    outcome_free(&got_b);
    http_zmemo_counters(&c2);
    assert_int_equal(c2.rebuilt, c1.rebuilt);
    assert_int_equal(c2.recorded, c1.recorded);
    struct outcome ref_a, got_a;
    http_zmemo_thread_free();
    run(&da, 0, 1460, false, &ref_a);
    run(&db, 0, 1460, false, &o);
    outcome_free(&o);
    run(&da, 0, 1460, false, &got_a);
    assert_same_outcome(&ref_a, &got_a);
    outcome_free(&ref_a);
    outcome_free(&got_a);
    outcome_free(&ref_b);
    free(da.resp);
    free(db.resp);
    free(a);
    free(b);
}

/* A stream cut short (the server closes) and one with damage in it. */
static void test_zmemo_broken_streams(void **state)
{
    (void)state;
    uint8_t *t = text_make(30000, 3);
    struct dialogue d;
    dialogue_make(&d, t, 30000, 20);
    struct outcome ref, got;
    run_fresh(&d, 0, 1000, true, &ref);
    run(&d, 0, 1000, true, &got);
    assert_same_outcome(&ref, &got);
    outcome_free(&ref);
    outcome_free(&got);
    /* damage in the middle of the compressed bytes: inflate_failed */
    size_t mid = d.resp_len / 2;
    for (size_t i = 0; i < 64; i++)
        d.resp[mid + i] ^= 0x5a;
    run_fresh(&d, 0, 1000, true, &ref);
    assert_non_null(strstr(ref.weirds, "inflate_failed"));
    run(&d, 0, 1000, true, &got);
    assert_same_outcome(&ref, &got);
    outcome_free(&got);
    /* the undamaged body in the memo first: replayed until the damage */
    struct dialogue clean;
    dialogue_make(&clean, t, 30000, 20);
    http_zmemo_thread_free();
    run(&clean, 0, 1000, true, &got);
    outcome_free(&got);
    run(&d, 0, 1000, true, &got);
    assert_same_outcome(&ref, &got);
    outcome_free(&got);
    outcome_free(&ref);
    free(clean.resp);
    free(d.resp);
    free(t);
}

/* Over HTTP_INFLATE_MAX decoded: the weird at the same point; the memo
 * stopped recording long before (its per-entry cap). */
static void test_zmemo_inflate_cap(void **state)
{
    (void)state;
    size_t n = HTTP_INFLATE_MAX + 100000;
    uint8_t *t = calloc(1, n);
    assert_non_null(t);
    struct dialogue d;
    dialogue_make(&d, t, n, 0);
    free(t);
    struct outcome ref, got;
    run_fresh(&d, 0, 1460, false, &ref);
    assert_non_null(strstr(ref.weirds, "HTTP_inflate_cap_exceeded"));
    struct http_zmemo_counters c0, c1;
    http_zmemo_counters(&c0);
    run(&d, 0, 1460, false, &got);
    assert_same_outcome(&ref, &got);
    http_zmemo_counters(&c1);
    assert_true(c1.replayed > c0.replayed); /* up to the memo's cap, */
    assert_int_equal(c1.rebuilt - c0.rebuilt, 1); /* then zlib */
    outcome_free(&ref);
    outcome_free(&got);
    free(d.resp);
}

/* Two sessions at once: the second follows the entry the first is still
 * recording, runs past its end (zlib again), and both come out right. */
static void test_zmemo_interleaved(void **state)
{
    (void)state;
    uint8_t *t = text_make(100000, 4);
    struct dialogue d;
    dialogue_make(&d, t, 100000, 0);
    struct outcome ref, o1, o2;
    run_fresh(&d, 0, 1460, false, &ref);
    http_zmemo_thread_free();
    struct feeder f1, f2;
    feeder_start(&f1, &d);
    feeder_start(&f2, &d);
    size_t half = d.resp_len / 2 / 1460 * 1460; /* the pieces of the reference run */
    feeder_feed(&f1, &d, 0, half, 0, 1460);
    /* f2's own log: take f1's so far aside */
    struct blog f1_log = sink_log;
    memset(&sink_log, 0, sizeof(sink_log));
    feeder_feed(&f2, &d, 0, half + 1460 * 3, 0, 1460);
    feeder_feed(&f2, &d, half + 1460 * 3, d.resp_len, 0, 1460);
    feeder_end(&f2, &o2, false);
    sink_log = f1_log;
    feeder_feed(&f1, &d, half, d.resp_len, 0, 1460);
    feeder_end(&f1, &o1, false);
    struct http_zmemo_counters c;
    http_zmemo_counters(&c);
    assert_true(c.replayed > 0 && c.rebuilt > 0);
    /* both sessions' sink calls: those of the reference */
    assert_same_outcome(&ref, &o1);
    assert_same_outcome(&ref, &o2);
    outcome_free(&ref);
    outcome_free(&o1);
    outcome_free(&o2);
    free(d.resp);
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zmemo_same_body),
        cmocka_unit_test(test_zmemo_diverging),
        cmocka_unit_test(test_zmemo_broken_streams),
        cmocka_unit_test(test_zmemo_inflate_cap),
        cmocka_unit_test(test_zmemo_interleaved),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
