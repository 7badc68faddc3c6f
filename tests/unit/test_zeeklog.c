/*
 * test_zeeklog.c - the Zeek log writer and reader (store/zeeklog.c,
 * store/zeekread.c): value formatting and escaping as Zeek's ASCII writer,
 * unset/empty conventions, JSON lines, and write-then-read round trips.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "flow/conn_record.h"
#include "store/output.h"
#include "store/zeeklog.h"

static const struct rstr parents[] = {{"Cabc", 4}, {"x,y", 3}};

/* A conn record with every kind of value the writers must handle. */
static void sample(struct conn_record *r)
{
    conn_record_init(r);
    r->ts = 1467818432676047000LL;   /* 1467818432.676047 */
    r->uid = (struct rstr){"CHhAvVGS1DHFjwGM9", 17};
    r->orig_h.family = 4;
    memcpy(r->orig_h.a, "\x0a\x00\x00\x01", 4); /* 10.0.0.1 */
    r->orig_p = 43958;
    r->resp_h.family = 6;
    memcpy(r->resp_h.a, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16); /* 2001:db8::1 */
    r->resp_p = 21;
    r->proto = (struct rstr){"tcp", 3};
    r->duration = 77136000; /* 0.077136 */
    r->orig_bytes = 38;
    r->conn_state = (struct rstr){"S1", 2};
    r->local_orig = true;
    r->local_resp = false;
    r->history = (struct rstr){"", 0};
    r->tunnel_parents = (struct rstrvec){parents, 2};
    r->vlan = -1;
    for (int f = CONN_TS; f <= CONN_RESP_BYTES; f++)
        if (f != CONN_SERVICE && f != CONN_RESP_BYTES)
            record_set_unset(&r->hdr, (size_t)f, false);
    record_set_unset(&r->hdr, CONN_CONN_STATE, false);
    record_set_unset(&r->hdr, CONN_LOCAL_ORIG, false);
    record_set_unset(&r->hdr, CONN_LOCAL_RESP, false);
    record_set_unset(&r->hdr, CONN_HISTORY, false);
    record_set_unset(&r->hdr, CONN_TUNNEL_PARENTS, false);
    record_set_unset(&r->hdr, CONN_VLAN, false);
}

static char *field_text(const struct conn_record *r, int f)
{
    struct zbuf b = {0};
    assert_int_equal(zeek_field_tsv(&b, &r->hdr, (size_t)f), 0);
    return b.p;
}

static void check_field(const struct conn_record *r, int f, const char *want)
{
    char *got = field_text(r, f);
    assert_string_equal(got, want);
    free(got);
}

static void test_values(void **state)
{
    (void)state;
    struct conn_record r;
    sample(&r);
    check_field(&r, CONN_TS, "1467818432.676047");
    check_field(&r, CONN_ORIG_H, "10.0.0.1");
    check_field(&r, CONN_RESP_H, "2001:db8::1");
    check_field(&r, CONN_ORIG_P, "43958");
    check_field(&r, CONN_DURATION, "0.077136");
    check_field(&r, CONN_LOCAL_ORIG, "T");
    check_field(&r, CONN_LOCAL_RESP, "F");
    check_field(&r, CONN_SERVICE, "-");   /* unset */
    check_field(&r, CONN_HISTORY, "(empty)"); /* set but empty */
    check_field(&r, CONN_TUNNEL_PARENTS, "Cabc,x\\x2cy"); /* set separator escaped inside */
    check_field(&r, CONN_VLAN, "-1");
    r.duration = 1000000000; /* whole seconds keep their 6 decimals */
    check_field(&r, CONN_DURATION, "1.000000");
    r.tunnel_parents.n = 0;
    check_field(&r, CONN_TUNNEL_PARENTS, "(empty)");
}

static void test_escaping(void **state)
{
    (void)state;
    struct conn_record r;
    sample(&r);
    static const struct {
        const char *in;
        size_t len;
        const char *out;
    } cases[] = {
        {"a\tb", 3, "a\\x09b"},           /* the separator */
        {"a\\b", 3, "a\\x5cb"},           /* backslash */
        {"-", 1, "\\x2d"},                /* would read back as unset */
        {"(empty)", 7, "\\x28empty)"},    /* would read back as empty */
        {"x\x01y", 3, "x\\x01y"},         /* control byte */
        {"caf\xc3\xa9", 5, "caf\xc3\xa9"}, /* valid UTF-8 stays */
        {"\xff\xfe", 2, "\\xff\\xfe"},    /* invalid UTF-8 */
        {"a,b", 3, "a,b"},                /* ',' is plain outside sets */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        r.history = (struct rstr){cases[i].in, cases[i].len};
        check_field(&r, CONN_HISTORY, cases[i].out);
    }
}

static void test_json(void **state)
{
    (void)state;
    struct conn_record r;
    sample(&r);
    r.history = (struct rstr){"\xff", 1};
    char *j = zeek_record_json(&r.hdr);
    assert_non_null(j);
    assert_string_equal(j, "{\"ts\":1467818432.676047,\"uid\":\"CHhAvVGS1DHFjwGM9\","
                           "\"id.orig_h\":\"10.0.0.1\",\"id.orig_p\":43958,"
                           "\"id.resp_h\":\"2001:db8::1\",\"id.resp_p\":21,\"proto\":\"tcp\","
                           "\"duration\":0.077136,\"orig_bytes\":38,\"conn_state\":\"S1\","
                           "\"local_orig\":true,\"local_resp\":false,\"history\":\"\\\\xff\","
                           "\"tunnel_parents\":[\"Cabc\",\"x,y\"],\"vlan\":-1}");
    free(j);
    r.duration = 2000000000;
    j = zeek_record_json(&r.hdr);
    assert_non_null(strstr(j, "\"duration\":2.0,"));
    free(j);
}

static void compare(const struct conn_record *a, const struct conn_record *b)
{
    for (int f = 0; f < CONN_N_FIELDS; f++) {
        char *x = field_text(a, f), *y = field_text(b, f);
        if (strcmp(x, y) != 0)
            fail_msg("field %s: wrote '%s', read '%s'", conn_record_type.fields[f].name, x, y);
        free(x);
        free(y);
    }
}

static void roundtrip(enum zeek_log_format fmt)
{
    char dir[] = "/tmp/vigil-zeeklog-XXXXXX", err[512], path[600];
    assert_non_null(mkdtemp(dir));
    struct output *o = output_zeek_open(dir, fmt, err, sizeof(err));
    assert_non_null(o);
    struct conn_record w[3];
    sample(&w[0]);
    sample(&w[1]);
    w[1].history = (struct rstr){"-", 1};
    w[1].uid = (struct rstr){"tab\there\\\x01", 10};
    sample(&w[2]);
    w[2].tunnel_parents.n = 0;
    record_set_unset(&w[2].hdr, CONN_ORIG_H, true);
    for (int i = 0; i < 3; i++)
        assert_int_equal(output_write(o, &w[i].hdr), 0);
    output_close(o);
    snprintf(path, sizeof(path), "%s/conn.log", dir);
    assert_int_equal(zeek_input_sniff(path), fmt == ZEEK_LOG_TSV ? ZEEK_INPUT_ZEEK_TSV
                                                                 : ZEEK_INPUT_JSON);
    struct zeek_reader *rd = zeek_reader_open(path, &conn_record_type, err, sizeof(err));
    assert_non_null(rd);
    struct conn_record got;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(zeek_reader_next(rd, &got.hdr, err, sizeof(err)), 1);
        struct record_hdr *c = store_record_clone(&got.hdr);
        assert_non_null(c);
        compare(&w[i], (struct conn_record *)c);
        free(c);
    }
    assert_int_equal(zeek_reader_next(rd, &got.hdr, err, sizeof(err)), 0);
    zeek_reader_close(rd);
    unlink(path);
    rmdir(dir);
}

static void test_roundtrip_tsv(void **state)
{
    (void)state;
    roundtrip(ZEEK_LOG_TSV);
}

static void test_roundtrip_json(void **state)
{
    (void)state;
    roundtrip(ZEEK_LOG_JSON);
}

static char *write_tmp(const char *text)
{
    static char path[64];
    snprintf(path, sizeof(path), "/tmp/vigil-zeekread-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static void test_reader_by_name(void **state)
{
    (void)state;
    /* Columns in another order, one unknown column, most fields missing. */
    char *p = write_tmp("#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n"
                        "#unset_field\t-\n#path\tconn\n#fields\tid.resp_p\tbogus\tts\torig_bytes\n"
                        "#types\tport\tstring\ttime\tcount\n"
                        "443\twhatever\t1.500000\t-\n");
    char err[512];
    struct zeek_reader *rd = zeek_reader_open(p, &conn_record_type, err, sizeof(err));
    struct conn_record r;
    assert_int_equal(zeek_reader_next(rd, &r.hdr, err, sizeof(err)), 1);
    assert_int_equal(r.resp_p, 443);
    assert_int_equal(r.ts, 1500000000);
    assert_true(record_unset(&r.hdr, CONN_ORIG_BYTES));
    assert_true(record_unset(&r.hdr, CONN_UID));
    zeek_reader_close(rd);
    unlink(p);
}

static void test_reader_errors(void **state)
{
    (void)state;
    char err[512];
    struct conn_record r;
    char *p = write_tmp("#separator \\x09\n#fields\tts\torig_bytes\n1.0\t12\n2.0\tlots\n");
    struct zeek_reader *rd = zeek_reader_open(p, &conn_record_type, err, sizeof(err));
    assert_int_equal(zeek_reader_next(rd, &r.hdr, err, sizeof(err)), 1);
    assert_int_equal(zeek_reader_next(rd, &r.hdr, err, sizeof(err)), -1);
    assert_non_null(strstr(err, p));
    assert_non_null(strstr(err, "line 4"));
    assert_non_null(strstr(err, "orig_bytes"));
    zeek_reader_close(rd);
    unlink(p);

    p = write_tmp("1.0\t12\n");
    rd = zeek_reader_open(p, &conn_record_type, err, sizeof(err));
    assert_int_equal(zeek_reader_next(rd, &r.hdr, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "line 1"));
    zeek_reader_close(rd);
    unlink(p);

    p = write_tmp("{\"ts\":1.25,\"id.resp_p\":\"x\"}\n");
    rd = zeek_reader_open(p, &conn_record_type, err, sizeof(err));
    assert_int_equal(zeek_reader_next(rd, &r.hdr, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "id.resp_p"));
    zeek_reader_close(rd);
    unlink(p);

    assert_null(zeek_reader_open("/nonexistent/conn.log", &conn_record_type, err, sizeof(err)));
    assert_non_null(strstr(err, "/nonexistent/conn.log"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values),         cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_json),           cmocka_unit_test(test_roundtrip_tsv),
        cmocka_unit_test(test_roundtrip_json), cmocka_unit_test(test_reader_by_name),
        cmocka_unit_test(test_reader_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
