/*
 * test_multipart.c - HTTP multipart/form-data bodies through the MIME parser
 * (mime_parser_init_multipart, src/extract/mime.c) and the header helpers of
 * src/extract/multipart.c: RFC 7578 parts with their file names, bare LF
 * kept as data (as Zeek), delimiters split at every byte and fed one byte
 * at a time, boundary parameters, a body cut short.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "extract/mime.h"

struct got {
    unsigned n, open;
    char data[4][256];
    size_t len[4];
    char name[4][64];
};

static void *t_open(void *arg, const struct mime_part *p)
{
    struct got *g = arg;
    assert_true(g->n < 4);
    snprintf(g->name[g->n], sizeof(g->name[0]), "%s", p->filename ? p->filename : "");
    g->open++;
    return (void *)(uintptr_t)(++g->n);
}

static void t_data(void *arg, void *h, const uint8_t *p, size_t n)
{
    struct got *g = arg;
    size_t i = (size_t)(uintptr_t)h - 1;
    assert_true(g->len[i] + n < sizeof(g->data[0]));
    memcpy(g->data[i] + g->len[i], p, n);
    g->len[i] += n;
}

static void t_close(void *arg, void *h, bool complete)
{
    struct got *g = arg;
    (void)h, (void)complete;
    g->open--;
}

static const struct mime_ops t_ops = {t_open, t_data, NULL, t_close, NULL};
static struct mime_parser parser;

/* Two form fields and a file upload, boundary "XyZ". */
static const char form[] =
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"user\"\r\n"
    "\r\n"
    "alice\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"up\"; filename=\"notes.txt\"\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "line one\n"           /* bare LF: data, not a line end */
    "line two\r\n"
    "--XyZ--\r\n";

static void check_form(const struct got *g)
{
    assert_int_equal(g->n, 2);
    assert_int_equal(g->open, 0);
    assert_int_equal(g->len[0], 5);
    assert_memory_equal(g->data[0], "alice", 5);
    assert_string_equal(g->name[0], "");
    assert_string_equal(g->name[1], "notes.txt");
    assert_int_equal(g->len[1], 17);
    assert_memory_equal(g->data[1], "line one\nline two", 17);
}

static void test_form(void **state)
{
    (void)state;
    static struct got g;
    memset(&g, 0, sizeof(g));
    mime_parser_init_multipart(&parser, &t_ops, &g, "XyZ", 3);
    mime_parser_feed(&parser, (const uint8_t *)form, strlen(form));
    mime_parser_end(&parser, true);
    check_form(&g);
}

/* The delimiter split at every byte, and the body fed a byte at a time. */
static void test_splits(void **state)
{
    (void)state;
    size_t n = strlen(form);
    for (size_t cut = 1; cut < n; cut++) {
        static struct got g;
        memset(&g, 0, sizeof(g));
        mime_parser_init_multipart(&parser, &t_ops, &g, "XyZ", 3);
        mime_parser_feed(&parser, (const uint8_t *)form, cut);
        mime_parser_feed(&parser, (const uint8_t *)form + cut, n - cut);
        mime_parser_end(&parser, true);
        check_form(&g);
    }
    static struct got g;
    memset(&g, 0, sizeof(g));
    mime_parser_init_multipart(&parser, &t_ops, &g, "XyZ", 3);
    for (size_t i = 0; i < n; i++)
        mime_parser_feed(&parser, (const uint8_t *)form + i, 1);
    mime_parser_end(&parser, true);
    check_form(&g);
}

/* Boundary parameters: quoted, token, absent; delimiter lines. */
static void test_params(void **state)
{
    (void)state;
    char b[80];
    const char *v = "multipart/form-data; charset=x; boundary=\"a;b c\"";
    assert_true(mime_param_get(v, strlen(v), "boundary", b, sizeof(b)));
    assert_string_equal(b, "a;b c");
    v = "multipart/form-data;boundary=----WebKit123";
    assert_true(mime_param_get(v, strlen(v), "boundary", b, sizeof(b)));
    assert_string_equal(b, "----WebKit123");
    v = "multipart/form-data";
    assert_false(mime_param_get(v, strlen(v), "boundary", b, sizeof(b)));
    /* "--B" opens a part, "--B--" closes, "--Bx" is another boundary's prefix match */
    assert_int_equal(mime_boundary_match((const uint8_t *)"--B", 3, "B", 1), 1);
    assert_int_equal(mime_boundary_match((const uint8_t *)"--B--", 5, "B", 1), 2);
    assert_int_equal(mime_boundary_match((const uint8_t *)"-B", 2, "B", 1), 0);
    assert_int_equal(mime_boundary_match((const uint8_t *)"--C", 3, "B", 1), 0);
}

/* A body cut inside the second part: both parts end, the second short. */
static void test_truncated(void **state)
{
    (void)state;
    static struct got g;
    memset(&g, 0, sizeof(g));
    mime_parser_init_multipart(&parser, &t_ops, &g, "XyZ", 3);
    mime_parser_feed(&parser, (const uint8_t *)form, 166); /* 5 bytes into the upload */
    mime_parser_end(&parser, false);
    assert_int_equal(g.n, 2);
    assert_int_equal(g.open, 0);
    assert_int_equal(g.len[1], 5);
    assert_memory_equal(g.data[1], "line ", 5);
}

/* Content-Range of 206 replies and multipart/byteranges parts (byte-range files). */
static void test_content_range(void **state)
{
    (void)state;
    uint64_t a, b;
    int64_t t;
    const char *ok = "bytes 500-1000/146515";
    assert_true(mime_content_range_parse(ok, strlen(ok), &a, &b, &t));
    assert_int_equal(a, 500);
    assert_int_equal(b, 1000);
    assert_int_equal(t, 146515);
    const char *star = " Bytes 0 - 9 / *";
    assert_true(mime_content_range_parse(star, strlen(star), &a, &b, &t));
    assert_int_equal(a, 0);
    assert_int_equal(b, 9);
    assert_int_equal(t, -1);
    static const char *const bad[] = {"bytes 9-0/10", "bytes -5/10", "items 0-1/2", "bytes 0-1",
                                      "bytes 0-1/x", "bytes 99999999999999999999-1/2", ""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_false(mime_content_range_parse(bad[i], strlen(bad[i]), &a, &b, &t));
    /* never reads past n: the digits after the cut are not seen */
    assert_true(mime_content_range_parse(ok, 19, &a, &b, &t));
    assert_int_equal(t, 1465);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_form),
        cmocka_unit_test(test_splits),
        cmocka_unit_test(test_params),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_content_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
