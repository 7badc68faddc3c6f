/*
 * test_mime.c - the MIME entity parser (src/extract/mime.c, multipart.c):
 * nested multipart, message/rfc822, base64 (good, bad characters, short
 * last group), quoted-printable (soft breaks, bad '='), RFC 2231 and
 * Zeek-style file names, truncated messages, and every message fed split
 * at every byte offset giving the same parts.
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

#define PARTS_MAX 8

struct got {
    unsigned n, open;
    char data[PARTS_MAX][512];
    size_t len[PARTS_MAX];
    char type[PARTS_MAX][64];
    char name[PARTS_MAX][64];
    uint64_t depth[PARTS_MAX];
    bool complete[PARTS_MAX];
};

static void *t_open(void *arg, const struct mime_part *p)
{
    struct got *g = arg;
    assert_true(g->n < PARTS_MAX);
    snprintf(g->type[g->n], sizeof(g->type[0]), "%s", p->content_type);
    snprintf(g->name[g->n], sizeof(g->name[0]), "%s", p->filename ? p->filename : "");
    g->depth[g->n] = p->depth;
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

static void t_gap(void *arg, void *h, uint64_t n)
{
    (void)arg, (void)h, (void)n;
}

static void t_close(void *arg, void *h, bool complete)
{
    struct got *g = arg;
    g->complete[(size_t)(uintptr_t)h - 1] = complete;
    g->open--;
}

static const struct mime_ops t_ops = {t_open, t_data, t_gap, t_close, NULL};

static struct mime_parser parser;

/* Parse msg whole, then split at every offset: the same parts each time. */
static void parse_all_splits(const char *msg, struct got *out)
{
    size_t n = strlen(msg);
    mime_parser_init(&parser, &t_ops, out);
    mime_parser_feed(&parser, (const uint8_t *)msg, n);
    mime_parser_end(&parser, true);
    assert_int_equal(out->open, 0);
    for (size_t cut = 1; cut < n; cut++) {
        static struct got g2;
        memset(&g2, 0, sizeof(g2));
        mime_parser_init(&parser, &t_ops, &g2);
        mime_parser_feed(&parser, (const uint8_t *)msg, cut);
        mime_parser_feed(&parser, (const uint8_t *)msg + cut, n - cut);
        mime_parser_end(&parser, true);
        assert_int_equal(g2.n, out->n);
        for (unsigned i = 0; i < out->n; i++) {
            assert_int_equal(g2.len[i], out->len[i]);
            assert_memory_equal(g2.data[i], out->data[i], out->len[i]);
            assert_string_equal(g2.name[i], out->name[i]);
        }
    }
}

/* A plain text message: every line keeps its CRLF (no multipart parent). */
static void test_simple(void **state)
{
    (void)state;
    static struct got g;
    memset(&g, 0, sizeof(g));
    /* headers, blank line, two body lines */
    parse_all_splits("Subject: x\r\nContent-Type: text/plain\r\n\r\nab\r\ncd\r\n", &g);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.len[0], 8);
    assert_memory_equal(g.data[0], "ab\r\ncd\r\n", 8);
    assert_string_equal(g.type[0], "text/plain");
    assert_int_equal(g.depth[0], 1);
}

/* multipart/mixed holding multipart/alternative (text, html) and a base64
 * attachment: depth counts entities as Zeek's mime_depth (1 top, 2 the
 * alternative, 3 and 4 its parts, 5 the attachment); the CRLF before each
 * delimiter belongs to the delimiter. */
static void test_nested(void **state)
{
    (void)state;
    static struct got g;
    memset(&g, 0, sizeof(g));
    parse_all_splits("Content-Type: multipart/mixed; boundary=\"OUT\"\r\n"
                     "\r\n"
                     "preamble\r\n"
                     "--OUT\r\n"
                     "Content-Type: multipart/alternative; boundary=IN\r\n"
                     "\r\n"
                     "--IN\r\n"
                     "Content-Type: text/plain\r\n"
                     "\r\n"
                     "plain\r\n"
                     "two\r\n"
                     "--IN\r\n"
                     "Content-Type: text/html\r\n"
                     "\r\n"
                     "<p>\r\n"
                     "--IN--\r\n"
                     "--OUT\r\n"
                     "Content-Type: application/octet-stream; name=\"a.bin\"\r\n"
                     "Content-Transfer-Encoding: base64\r\n"
                     "\r\n"
                     "aGVsbG8g\r\n"   /* "hello " */
                     "d29ybGQ=\r\n"   /* "world" */
                     "--OUT--\r\n"
                     "epilogue\r\n",
                     &g);
    assert_int_equal(g.n, 3);
    assert_int_equal(g.len[0], 10);
    assert_memory_equal(g.data[0], "plain\r\ntwo", 10);
    assert_int_equal(g.depth[0], 3);
    assert_memory_equal(g.data[1], "<p>", 3);
    assert_int_equal(g.depth[1], 4);
    assert_int_equal(g.len[2], 11);
    assert_memory_equal(g.data[2], "hello world", 11);
    assert_string_equal(g.name[2], "a.bin");
    assert_int_equal(g.depth[2], 5);
}

/* message/rfc822 is parsed as a nested message whose lines keep their CRLF. */
static void test_rfc822(void **state)
{
    (void)state;
    static struct got g;
    memset(&g, 0, sizeof(g));
    parse_all_splits("Content-Type: multipart/mixed; boundary=B\r\n\r\n"
                     "--B\r\n"
                     "Content-Type: message/rfc822\r\n\r\n"
                     "From: x@y\r\n\r\n"   /* the inner message's header */
                     "\r\n"                /* one empty body line */
                     "--B--\r\n",
                     &g);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.depth[0], 3);
    assert_int_equal(g.len[0], 2);
    assert_memory_equal(g.data[0], "\r\n", 2);
}

/* Bad base64: '!' and '*' are skipped (Zeek: "character ignored"); the short
 * last group "QQ" is padded to one byte "A". */
static void test_bad_base64(void **state)
{
    (void)state;
    static struct got g;
    memset(&g, 0, sizeof(g));
    parse_all_splits("Content-Transfer-Encoding: base64\r\n\r\n"
                     "aG!Vs*bG8=\r\n"      /* "hello" with two bad characters */
                     "\r\n",
                     &g);
    assert_int_equal(g.len[0], 5);
    assert_memory_equal(g.data[0], "hello", 5);
    memset(&g, 0, sizeof(g));
    parse_all_splits("Content-Transfer-Encoding: base64\r\n\r\nQUJDQQ\r\n", &g);
    /* "QUJD" = "ABC", then "QQ" + padding = "A" */
    assert_int_equal(g.len[0], 4);
    assert_memory_equal(g.data[0], "ABCA", 4);
    memset(&g, 0, sizeof(g));
    /* after a padded group the rest is ignored */
    parse_all_splits("Content-Transfer-Encoding: base64\r\n\r\nQQ==QUJD\r\n", &g);
    assert_int_equal(g.len[0], 1);
    assert_memory_equal(g.data[0], "A", 1);
}

/* quoted-printable: =3D decodes, a trailing '=' joins lines, a bad '=' passes
 * through, trailing blanks go, every hard line ends with CRLF. */
static void test_qp(void **state)
{
    (void)state;
    static struct got g;
    memset(&g, 0, sizeof(g));
    parse_all_splits("Content-Transfer-Encoding: quoted-printable\r\n\r\n"
                     "a=3Db=\r\n"          /* "a=b", soft break */
                     "c =ZZ  \r\n",        /* "c =ZZ" + CRLF */
                     &g);
    assert_int_equal(g.len[0], 10);
    assert_memory_equal(g.data[0], "a=bc =ZZ\r\n", 10);
}

/* File names: RFC 2231 charset'lang' prefix and %XX (Zeek's
 * extract_filename_from_content_disposition), Content-Type name=. */
static void test_names(void **state)
{
    (void)state;
    char out[128];
    const char *v = "attachment; filename*=UTF-8''na%C3%AFve.txt";
    mime_filename_extract(v, strlen(v), out, sizeof(out));
    assert_string_equal(out, "na\xc3\xafve.txt"); /* "naïve.txt" in UTF-8 */
    v = "attachment; filename=\"r\xc3\xa9sum\xc3\xa9.pdf\"; size=3";
    mime_filename_extract(v, strlen(v), out, sizeof(out));
    assert_string_equal(out, "r\xc3\xa9sum\xc3\xa9.pdf");
    v = "form-data; name=\"f\"; filename=plain.txt";
    mime_filename_extract(v, strlen(v), out, sizeof(out));
    assert_string_equal(out, "plain.txt");
    static struct got g;
    memset(&g, 0, sizeof(g));
    parse_all_splits("Content-Type: application/zip; name=\"a.zip\"\r\n\r\nPK\r\n", &g);
    assert_string_equal(g.name[0], "a.zip");
    assert_string_equal(g.type[0], "application/zip");
}

/* A message cut short: the open part is closed incomplete with what came. */
static void test_truncated(void **state)
{
    (void)state;
    static struct got g;
    memset(&g, 0, sizeof(g));
    const char *msg = "Content-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\n\r\npartial da";
    mime_parser_init(&parser, &t_ops, &g);
    mime_parser_feed(&parser, (const uint8_t *)msg, strlen(msg));
    mime_parser_end(&parser, false);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.open, 0);
    assert_false(g.complete[0]);
    assert_int_equal(g.len[0], 10);
    assert_memory_equal(g.data[0], "partial da", 10);
}

/* Nesting deeper than MIME_DEPTH_MAX is capped, not recursed. */
static void test_depth_cap(void **state)
{
    (void)state;
    static char msg[8192];
    static struct got g;
    size_t o = 0;
    memset(&g, 0, sizeof(g));
    for (int i = 0; i < 40; i++)
        o += (size_t)snprintf(msg + o, sizeof(msg) - o,
                              "Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n", i, i);
    mime_parser_init(&parser, &t_ops, &g);
    mime_parser_feed(&parser, (const uint8_t *)msg, o);
    mime_parser_end(&parser, true);
    assert_true(parser.anomalies > 0);
    assert_int_equal(g.open, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simple),      cmocka_unit_test(test_nested),
        cmocka_unit_test(test_rfc822),      cmocka_unit_test(test_bad_base64),
        cmocka_unit_test(test_qp),          cmocka_unit_test(test_names),
        cmocka_unit_test(test_truncated),   cmocka_unit_test(test_depth_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
