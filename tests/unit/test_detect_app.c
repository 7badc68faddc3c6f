/*
 * test_detect_app.c - transaction rules at the parsers' inspection points
 * (src/detect/engine_app.c, rule_app.c): the application keywords parse
 * (and bad values are rejected), buffers handed by a struct proto_insp
 * reach the rules (multi-buffers match on any instance; tls.random gives
 * tls.random_time and tls.random_bytes; dns.query only on requests),
 * numeric keywords (dns.rcode, dns.rrtype with negation, tls.cert_chain_len,
 * ftpbounce) are compared, and a rule alerts once per transaction and
 * direction.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "detect/alert_record.h"
#include "detect/engine.h"
#include "proto/proto.h"

static unsigned alerts[64];

static void emit(void *ctx, const struct record_hdr *rec)
{
    (void)ctx;
    const struct alert_record *a = (const struct alert_record *)rec;
    if (a->sid < 64)
        alerts[a->sid]++;
}

static const char rules[] =
    "alert dns any any -> any any (dns.rcode:3; flow:to_client; sid:1;)\n"
    "alert tls any any -> any any (tls.certs; content:\"XYZ\"; sid:2;)\n"
    "alert tls any any -> any any (tls.subject:!\"CN=evil\"; sid:3;)\n"
    "alert tls any any -> any any (tls.random_time; content:\"|01 02 03 04|\"; "
    "tls.random_bytes; content:\"|05 06|\"; startswith; sid:4;)\n"
    "alert dns any any -> any any (dns.rrtype:!2; sid:5;)\n"
    "alert dns any any -> any any (dns.query; content:\"b.example\"; sid:6;)\n"
    "alert tls any any -> any any (tls.cert_chain_len:>2; sid:7;)\n"
    "alert tcp any any -> any any (msg:\"bounce\"; ftpbounce; sid:8;)\n"
    "alert dns any any -> any any (dns.queries.rrname; content:\"b.example\"; sid:9;)\n"
    "alert tls any any -> any any (tls.fingerprint:\"AA:bb\"; sid:10;)\n";

static struct ruleset rs;
static struct detect_engine *eng;
static struct proto_conn conn;

static int setup(void **st)
{
    (void)st;
    char err[256];
    memset(alerts, 0, sizeof(alerts));
    assert_int_equal(ruleset_init(&rs), 0);
    assert_int_equal(ruleset_load_text(&rs, "t.rules", rules, strlen(rules)), 0);
    assert_int_equal(rs.rejected, 0);
    eng = detect_engine_new(&rs, emit, NULL, NULL, err, sizeof(err));
    assert_non_null(eng);
    detect_engine_install(eng);
    memset(&conn, 0, sizeof(conn));
    conn.uid = "CDetectApp1";
    conn.community_id = "1:x";
    conn.orig_h.family = conn.resp_h.family = 4;
    conn.orig_h.a[0] = 10, conn.orig_h.a[3] = 1;
    conn.resp_h.a[0] = 10, conn.resp_h.a[3] = 2;
    conn.orig_p = 40000, conn.resp_p = 53;
    conn.ip_proto = 17;
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    detect_engine_install(NULL);
    detect_engine_free(eng);
    ruleset_free(&rs);
    return 0;
}

static void test_keywords_parse(void **st)
{
    (void)st;
    struct rule_error e;
    static const char *const bad[] = {
        "alert dns any any -> any any (dns.rcode:x; sid:1;)",
        "alert tls any any -> any any (dns.opcode:1; sid:1;)",
        "alert ftp-data any any -> any any (ftpdata_command:list; sid:1;)",
        "alert tls any any -> any any (tls.fingerprint:\"zz\"; sid:1;)",
        "alert tls any any -> any any (tls.subject:\"CN=x\"; nocase; sid:1;)",
        "alert dns any any -> any any (dns.rrtype:1; dns.rrtype:2; sid:1;)",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct rule *r = rule_parse(&rs, bad[i], strlen(bad[i]), "t.rules", 1, &e);
        if (r)
            print_error("accepted: %s\n", bad[i]);
        assert_null(r);
    }
    const char *good = "alert ftp-data any any -> any any (ftpdata_command:stor; sid:1;)";
    struct rule *r = rule_parse(&rs, good, strlen(good), "t.rules", 1, &e);
    assert_non_null(r);
    assert_int_equal(r->ftpdata_cmd, 2);
    const char *kw = NULL;
    assert_int_equal(detect_rule_check(r, &kw), 0);
    rule_free(r);
}

static void test_dns(void **st)
{
    (void)st;
    struct proto_insp in;
    /* request: rcode bits 3 (as in sv-dns-rcode), questions a.example and b.example */
    proto_insp_init(&in, PROTO_ORIG, 0);
    proto_insp_buf(&in, PI_DNS_QUERY, "a.example", 9);
    proto_insp_buf(&in, PI_DNS_QUERY, "b.example", 9);
    proto_insp_num(&in, PN_DNS_RCODE, 3);
    in.rrtype[in.n_rrtype++] = 2;
    detect_app_inspect(&conn, "dns", &in);
    assert_int_equal(alerts[1], 0); /* flow:to_client */
    assert_int_equal(alerts[5], 0); /* the only rrtype is 2 */
    assert_int_equal(alerts[6], 1); /* the second question */
    assert_int_equal(alerts[9], 1);
    detect_app_inspect(&conn, "dns", &in); /* the same transaction again */
    assert_int_equal(alerts[6], 1);
    /* response, another transaction: dns.query is a request buffer */
    proto_insp_init(&in, PROTO_RESP, 1);
    proto_insp_buf(&in, PI_DNS_QUERY, "b.example", 9);
    proto_insp_num(&in, PN_DNS_RCODE, 3);
    in.rrtype[in.n_rrtype++] = 1;
    detect_app_inspect(&conn, "dns", &in);
    assert_int_equal(alerts[1], 1);
    assert_int_equal(alerts[5], 1);
    assert_int_equal(alerts[6], 1);
    assert_int_equal(alerts[9], 2);
}

static void test_tls(void **st)
{
    (void)st;
    conn.ip_proto = 6, conn.resp_p = 443;
    uint8_t rnd[32];
    for (int i = 0; i < 32; i++)
        rnd[i] = (uint8_t)(i + 1);
    struct proto_insp in;
    proto_insp_init(&in, PROTO_RESP, 0);
    proto_insp_buf(&in, PI_TLS_RANDOM, rnd, 32);
    proto_insp_buf(&in, PI_TLS_CERT_SUBJECT, "C=US, CN=good", 13);
    proto_insp_buf(&in, PI_TLS_CERT_FINGERPRINT, "aa:bb", 5);
    proto_insp_buf(&in, PI_TLS_CERTS, "first", 5);
    proto_insp_buf(&in, PI_TLS_CERTS, "..XYZ..", 7);
    proto_insp_num(&in, PN_TLS_CHAIN_LEN, 2);
    detect_app_inspect(&conn, "ssl", &in);
    assert_int_equal(alerts[2], 1); /* the second certificate */
    assert_int_equal(alerts[3], 1); /* subject without CN=evil */
    assert_int_equal(alerts[4], 1);
    assert_int_equal(alerts[7], 0); /* chain of 2 */
    assert_int_equal(alerts[10], 1); /* fingerprint, any case */
    /* a later moment of the same side repeats the buffers: no new alert */
    proto_insp_num(&in, PN_TLS_CHAIN_LEN, 3);
    detect_app_inspect(&conn, "ssl", &in);
    assert_int_equal(alerts[2], 1);
    assert_int_equal(alerts[7], 1);
    /* the other side: a subject with CN=evil does not match the negation */
    proto_insp_init(&in, PROTO_ORIG, 0);
    proto_insp_buf(&in, PI_TLS_CERT_SUBJECT, "CN=evil", 7);
    detect_app_inspect(&conn, "ssl", &in);
    assert_int_equal(alerts[3], 1);
}

static void test_ftpbounce(void **st)
{
    (void)st;
    conn.ip_proto = 6, conn.resp_p = 21;
    struct proto_insp in;
    proto_insp_init(&in, PROTO_ORIG, 0);
    proto_insp_num(&in, PN_FTP_BOUNCE, 0);
    detect_app_inspect(&conn, "ftp", &in);
    assert_int_equal(alerts[8], 0);
    proto_insp_init(&in, PROTO_ORIG, 1);
    proto_insp_num(&in, PN_FTP_BOUNCE, 1);
    detect_app_inspect(&conn, "ftp", &in);
    assert_int_equal(alerts[8], 1);
    /* not an FTP session: no ftpbounce */
    detect_app_inspect(&conn, "ssl", &in);
    assert_int_equal(alerts[8], 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_keywords_parse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dns, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ftpbounce, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
