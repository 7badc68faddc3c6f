/*
 * test_query.c - the filter language (src/query): every operator, `in`,
 * `matches`, precedence, CIDR, IPv6, the BPF-style primitives with src =
 * originator and dst = responder, aliases and namespaced names, and
 * errors that name the column.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "flow/conn_record.h"
#include "query/query.h"

static const struct rstr svc_parents[] = {{"CparentA", 8}};

/* tcp 10.1.2.3:43958 -> 192.168.0.21:21, 90.5 s, history ShAdDa, service ftp. */
static void rec_tcp(struct conn_record *r)
{
    conn_record_init(r);
    r->ts = 1454301530932342000LL;
    r->uid = (struct rstr){"C3gwRp2LNdVKUCB0c5", 18};
    r->orig_h.family = 4;
    memcpy(r->orig_h.a, "\x0a\x01\x02\x03", 4);
    r->orig_p = 43958;
    r->resp_h.family = 4;
    memcpy(r->resp_h.a, "\xc0\xa8\x00\x15", 4);
    r->resp_p = 21;
    r->proto = (struct rstr){"tcp", 3};
    r->service = (struct rstr){"ftp", 3};
    r->duration = 90500000000LL;
    r->orig_bytes = 38;
    r->resp_bytes = 90;
    r->conn_state = (struct rstr){"S1", 2};
    r->local_orig = true;
    r->history = (struct rstr){"ShAdDa", 6};
    r->orig_pkts = 5;
    r->resp_pkts = 5;
    r->tunnel_parents = (struct rstrvec){svc_parents, 1};
    r->ip_proto = 6;
    for (int f = 0; f < CONN_N_FIELDS; f++)
        record_set_unset(&r->hdr, (size_t)f, false);
    record_set_unset(&r->hdr, CONN_COMMUNITY_ID, true);
    record_set_unset(&r->hdr, CONN_VLAN, true);
    record_set_unset(&r->hdr, CONN_INNER_VLAN, true);
}

/* udp [2001:db8::5]:5353 -> [ff02::fb]:53 */
static void rec_udp6(struct conn_record *r)
{
    rec_tcp(r);
    r->orig_h.family = 6;
    memcpy(r->orig_h.a, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x05", 16);
    r->resp_h.family = 6;
    memcpy(r->resp_h.a, "\xff\x02\0\0\0\0\0\0\0\0\0\0\0\0\0\xfb", 16);
    r->orig_p = 5353;
    r->resp_p = 53;
    r->proto = (struct rstr){"udp", 3};
    r->ip_proto = 17;
    record_set_unset(&r->hdr, CONN_SERVICE, true);
}

/* icmp 10.0.0.9 -> 10.0.0.1, type 8 code 0 */
static void rec_icmp(struct conn_record *r)
{
    rec_tcp(r);
    memcpy(r->orig_h.a, "\x0a\x00\x00\x09", 4);
    memcpy(r->resp_h.a, "\x0a\x00\x00\x01", 4);
    r->orig_p = 8;
    r->resp_p = 0;
    r->proto = (struct rstr){"icmp", 4};
    r->ip_proto = 1;
}

static int eval(const char *filter, const struct conn_record *r)
{
    char err[512];
    struct query *q = query_parse(filter, &conn_record_type, err, sizeof(err));
    if (!q)
        fail_msg("'%s' does not parse: %s", filter, err);
    int m = query_match(q, &r->hdr);
    query_free(q);
    return m;
}

static void expect(const char *f, const struct conn_record *r, int want)
{
    if (eval(f, r) != want)
        fail_msg("expected %s: %s", want ? "a match" : "no match", f);
}

#define YES(f, r) expect(f, r, 1)
#define NO(f, r) expect(f, r, 0)

static void test_comparisons(void **state)
{
    (void)state;
    struct conn_record r;
    rec_tcp(&r);
    YES("id.resp_p == 21", &r);
    YES("id.resp_p = 21", &r);
    NO("id.resp_p != 21", &r);
    YES("id.resp_p != 22", &r);
    YES("id.resp_p < 22", &r);
    NO("id.resp_p < 21", &r);
    YES("id.resp_p <= 21", &r);
    YES("id.resp_p > 20", &r);
    NO("id.resp_p > 21", &r);
    YES("id.resp_p >= 21", &r);
    YES("orig_bytes eq 38 && resp_bytes gt 89", &r);
    YES("duration > 60", &r);
    YES("conn.duration > 1m", &r);
    NO("conn.duration > 2m", &r);
    YES("duration >= 90500ms", &r);
    YES("ts > 1454301530", &r);
    YES("ts < \"2016-02-02T00:00:00Z\"", &r);
    NO("ts < \"2016-02-01 04:38:50\"", &r);
    YES("local_orig == true", &r);
    YES("local_resp == F", &r);
    YES("service == \"ftp\"", &r);
    YES("service == ftp", &r);
    YES("conn_state < \"S2\"", &r);
    YES("history contains \"AdD\"", &r);
    NO("history contains \"R\"", &r);
    YES("history matches \"^Sh.*a$\"", &r);
    YES("history ~ 'A[dD]+'", &r);
    NO("history matches \"^h\"", &r);
    YES("service in {\"http\", \"ftp\"}", &r);
    NO("service in {http, ssl}", &r);
    YES("id.resp_p in {20, 21}", &r);
    YES("tunnel_parents == \"CparentA\"", &r);
    YES("tunnel_parents contains \"parent\"", &r);
    YES("service", &r);          /* present */
    NO("community_id", &r);      /* unset */
    NO("community_id != \"x\"", &r); /* an unset field never compares */
}

static void test_addresses(void **state)
{
    (void)state;
    struct conn_record r, u;
    rec_tcp(&r);
    rec_udp6(&u);
    YES("id.orig_h == 10.1.2.3", &r);
    YES("ip.src == 10.0.0.0/8", &r);
    NO("ip.src == 10.2.0.0/16", &r);
    YES("ip.dst == 192.168.0.0/24", &r);
    YES("ip.addr == 192.168.0.21", &r);
    YES("ip.addr == 10.1.2.3", &r);
    NO("ip.addr != 10.1.2.3", &r);
    YES("ip.addr != 10.9.9.9", &r);
    YES("ip.addr in {1.2.3.4, 10.1.0.0/16}", &r);
    YES("ip.addr == 0.0.0.0/0", &r);
    NO("ip.addr == ::/0", &r);
    YES("ip.src == 2001:db8::5", &u);
    YES("ip.src == 2001:db8::/32", &u);
    NO("ip.src == 2001:db9::/32", &u);
    YES("ip.dst == ff02::fb", &u);
    YES("ip.addr == ff00::/8", &u);
    NO("ip.addr == 10.0.0.0/8", &u);
}

static void test_aliases(void **state)
{
    (void)state;
    struct conn_record r, u;
    rec_tcp(&r);
    rec_udp6(&u);
    YES("tcp.port == 21", &r);
    YES("tcp.dstport == 21", &r);
    NO("tcp.srcport == 21", &r);
    NO("udp.port == 21", &r);
    YES("udp.port == 53", &u);
    YES("udp.srcport == 5353", &u);
    NO("tcp.port == 53", &u);
    YES("ip.proto == 17", &u);
    YES("saddr == 10.1.2.3 and dport == 21", &r);
}

static void test_precedence(void **state)
{
    (void)state;
    struct conn_record r;
    rec_tcp(&r);
    YES("id.resp_p == 1 or id.resp_p == 21 and proto == tcp", &r);
    NO("(id.resp_p == 1 or id.resp_p == 21) and proto == udp", &r);
    YES("id.resp_p == 21 or id.resp_p == 1 and proto == udp", &r); /* and binds tighter */
    YES("not id.resp_p == 1", &r);
    NO("! id.resp_p == 21", &r);
    YES("not not id.resp_p == 21", &r);
    YES("!(proto == udp || proto == icmp)", &r);
    YES("((((id.resp_p == 21))))", &r);
    YES("", &r);
    YES("   ", &r);
}

static void test_primitives(void **state)
{
    (void)state;
    struct conn_record t, u, i;
    rec_tcp(&t);
    rec_udp6(&u);
    rec_icmp(&i);
    YES("tcp", &t);
    NO("udp", &t);
    YES("udp", &u);
    YES("icmp", &i);
    NO("icmp6", &i);
    NO("icmp", &t);
    YES("ip", &t);
    NO("ip6", &t);
    YES("ip6", &u);
    YES("tcp and dst port 21", &t);
    NO("tcp and src port 21", &t);
    YES("port 21", &t);
    YES("port 43958", &t);
    NO("port 8", &i);            /* ICMP type is not a port */
    YES("portrange 20-22", &t);
    YES("dst portrange 1-1023", &t);
    NO("src portrange 1-1023", &t);
    YES("host 10.1.2.3", &t);
    YES("src host 10.1.2.3", &t);
    NO("dst host 10.1.2.3", &t);
    YES("net 192.168.0.0/16", &t);
    YES("dst net 192.168.0.0/24", &t);
    NO("src net 192.168.0.0/24", &t);
    YES("src host 10.1.2.3 and dst net 192.168.0.0/24", &t);
    YES("src 10.1.2.3", &t);
    YES("dst 192.168.0.0/16", &t);
    YES("proto 6", &t);
    YES("proto tcp", &t);
    NO("proto 17", &t);
    YES("proto 1", &i);
    YES("tcp port 21", &t);
    NO("udp port 21", &t);
    YES("tcp dst port 21", &t);
    NO("udp and not (port 53 or port 123 or host 10.0.0.1)", &t);
    NO("udp and not (port 53 or port 123 or host 10.0.0.1)", &u);
    YES("udp and not (port 123 or host 10.0.0.1)", &u);
    YES("host 2001:db8::5 and ip6", &u);
    YES("proto == \"tcp\"", &t); /* a primitive word before an operator is a field */
    YES("not tcp or port 21", &t);
}

static void expect_error(const char *filter, int col, const char *words)
{
    char err[512];
    struct query *q = query_parse(filter, &conn_record_type, err, sizeof(err));
    if (q)
        fail_msg("'%s' parsed but should not", filter);
    if (query_error_column(err) != col)
        fail_msg("'%s': error at column %d, expected %d: %s", filter, query_error_column(err),
                 col, err);
    if (!strstr(err, words))
        fail_msg("'%s': error '%s' does not say '%s'", filter, err, words);
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("id.resp_p ==", 13, "expected a non-negative integer");
    expect_error("tcp and", 8, "expected a field name");
    expect_error("nosuch == 3", 1, "unknown field 'nosuch'");
    expect_error("(tcp", 5, "expected ')'");
    expect_error("tcp)", 4, "expected 'and', 'or'");
    expect_error("ip.src == 10.0.0.0/33", 11, "prefix length");
    expect_error("ip.src == banana", 11, "address");
    expect_error("ip.src < 10.0.0.1", 8, "does not apply");
    expect_error("id.resp_p contains 2", 11, "does not apply");
    expect_error("history matches \"(\"", 17, "regular expression");
    expect_error("service in {ftp, http", 22, "expected ',' or '}'");
    expect_error("service == \"ftp", 12, "no closing");
    expect_error("port", 5, "expected a non-negative integer");
    expect_error("portrange 5", 11, "port range");
    expect_error("host 10.0.0.0/8", 6, "use 'net'");
    expect_error("net 10.0.0.1", 5, "network");
    expect_error("duration > soon", 12, "duration");
    expect_error("proto banana", 7, "unknown protocol");
    expect_error("tcp $ udp", 5, "unexpected character");
    expect_error("local_orig == maybe", 15, "true or false");
    /* past 2262 nanoseconds overflow int64: an error, not a wrapped time (fuzz_query) */
    expect_error("ts < \"9999-01-01T00:00:00Z\"", 6, "expected a time");
}

static void test_deep_nesting(void **state)
{
    (void)state;
    char buf[1200];
    size_t n = 0;
    for (int i = 0; i < 500; i++)
        buf[n++] = '(';
    buf[n] = '\0';
    char err[512];
    assert_null(query_parse(buf, &conn_record_type, err, sizeof(err)));
    assert_non_null(strstr(err, "nests deeper"));
}

static void test_sql(void **state)
{
    (void)state;
    char err[512];
    struct query *q = query_parse("tcp and dst port 21 and ip.src == 10.0.0.0/8 and "
                                  "history matches \"^S\" and service != \"x'; DROP\"",
                                  &conn_record_type, err, sizeof(err));
    assert_non_null(q);
    struct query_sql s;
    assert_int_equal(query_to_sql(q, &s, err, sizeof(err)), 0);
    /* values are bound, never in the text */
    assert_null(strstr(s.where, "DROP"));
    assert_null(strstr(s.where, "tcp"));
    assert_non_null(strstr(s.where, "\"id.resp_p\" = ?"));
    assert_non_null(strstr(s.where, "\"id.orig_h\" BETWEEN ?"));
    assert_non_null(strstr(s.where, "\"history\" REGEXP ?"));
    int text = 0, blob = 0, num = 0;
    for (size_t i = 0; i < s.nparams; i++) {
        text += s.params[i].kind == QUERY_SQL_TEXT;
        blob += s.params[i].kind == QUERY_SQL_BLOB;
        num += s.params[i].kind == QUERY_SQL_INT;
    }
    assert_int_equal(blob, 2);
    assert_true(text >= 4 && num == 1);
    /* 10.0.0.0/8 as ::ffff:10.0.0.0 .. ::ffff:10.255.255.255 */
    for (size_t i = 0; i < s.nparams; i++)
        if (s.params[i].kind == QUERY_SQL_BLOB) {
            const uint8_t *b = s.params[i].p;
            assert_int_equal(b[10], 0xff);
            assert_int_equal(b[12], 10);
        }
    query_sql_free(&s);
    query_free(q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_comparisons), cmocka_unit_test(test_addresses),
        cmocka_unit_test(test_aliases),     cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_primitives),  cmocka_unit_test(test_errors),
        cmocka_unit_test(test_deep_nesting), cmocka_unit_test(test_sql),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
