/*
 * test_detect_http.c - the signature engine's HTTP buffers
 * (src/detect/engine_http.c): URI and host normalisation as Suricata's
 * libhtp defaults do it, the header block split and the http.header /
 * http.header_names buffers, and rules evaluated through detect_http_tx()
 * at the stage of the transaction their buffers need (one alert each).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "detect/alert_record.h"
#include "detect/detect_http.h"
#include "detect/engine.h"
#include "proto/proto.h"

static void norm_is(const char *in, const char *want)
{
    uint8_t out[256];
    size_t n = detect_http_uri_normalize((const uint8_t *)in, strlen(in), out);
    assert_true(n <= strlen(in) + 1);
    out[n] = 0;
    assert_string_equal((const char *)out, want);
}

static void test_uri_normalize(void **st)
{
    (void)st;
    norm_is("/index.html", "/index.html");
    norm_is("/a/./b", "/a/b");
    norm_is("/a/../b", "/b");
    norm_is("/a/b/../../c", "/c");
    norm_is("/../../etc/passwd", "/etc/passwd");
    norm_is("/a//b///c", "/a/b/c");
    norm_is("/%2e%2e/images.gif", "/images.gif");
    norm_is("/%41%42c", "/ABc");
    norm_is("/a%zz", "/a%zz");   /* not an escape: kept */
    norm_is("/a%4", "/a%4");
    norm_is("/a/.", "/a/");
    norm_is("/a/b/..", "/a/");
    norm_is("/x?q=/../%41", "/x?q=/../%41"); /* the query as sent */
    norm_is("/p/./q?a=1", "/p/q?a=1");
    norm_is("http://www.example.com/a/../b?x", "/b?x");
    norm_is("http://www.example.com", "/");
}

static void host_is(const char *in, const char *want)
{
    uint8_t out[128];
    size_t n = detect_http_host_normalize((const uint8_t *)in, strlen(in), out);
    out[n] = 0;
    assert_string_equal((const char *)out, want);
}

static void test_host_normalize(void **st)
{
    (void)st;
    host_is("WWW.Example.COM", "www.example.com");
    host_is("www.example.com:8080", "www.example.com");
    host_is("[::1]:80", "[::1]");
    host_is("", "");
}

static const char hdrs[] = "Host: www.example.com\r\n"
                           "User-Agent:  Mozilla/5.0 \r\n"
                           "Cookie: a=b\r\n"
                           "X-Long: one\r\n"
                           "\ttwo\r\n"
                           "Accept: */*\r\n"
                           "\r\n";

static void test_headers(void **st)
{
    (void)st;
    struct detect_http_hdr h[16];
    uint32_t n = detect_http_headers_split((const uint8_t *)hdrs, strlen(hdrs), h, 16);
    assert_int_equal(n, 6);
    assert_int_equal(h[1].nlen, 10);
    assert_memory_equal(h[1].value, "Mozilla/5.0", 11);
    assert_int_equal(h[1].vlen, 11);
    assert_int_equal(h[4].nlen, 0); /* the folded line */
    uint8_t out[512];
    size_t k = detect_http_header_buffer(h, n, out, sizeof(out));
    const char *want = "Host: www.example.com\r\nUser-Agent: Mozilla/5.0\r\nX-Long: one\r\n"
                       "Accept: */*\r\n\r\n";
    assert_int_equal(k, strlen(want));
    assert_memory_equal(out, want, k);
    k = detect_http_header_names(h, n, out, sizeof(out));
    want = "\r\nHost\r\nUser-Agent\r\nCookie\r\nX-Long\r\nAccept\r\n\r\n";
    assert_int_equal(k, strlen(want));
    assert_memory_equal(out, want, k);
    /* a short output is cut, never overrun */
    k = detect_http_header_buffer(h, n, out, 10);
    assert_int_equal(k, 10);
    /* no headers at all */
    assert_int_equal(detect_http_headers_split((const uint8_t *)"\r\n", 2, h, 16), 0);
}

/* ---- rules through the hook ---- */

static uint32_t fired[16];
static uint64_t fired_status[16];
static size_t n_fired;

static void on_alert(void *ctx, const struct record_hdr *rec)
{
    (void)ctx;
    const struct alert_record *a = (const struct alert_record *)rec;
    if (n_fired < 16) {
        fired_status[n_fired] = record_unset(rec, AF_HTTP_STATUS) ? 0 : a->http_status;
        fired[n_fired++] = (uint32_t)a->sid;
    }
}

static int has(uint32_t sid)
{
    int k = 0;
    for (size_t i = 0; i < n_fired; i++)
        k += fired[i] == sid;
    return k;
}

static void cap_msg(struct detect_http_cap *c, const char *line, const char *hl, const char *body)
{
    detect_http_cap_begin(c, (const uint8_t *)line, strlen(line));
    assert_true(c->on);
    const char *p = hl;
    while (*p) {
        const char *e = strstr(p, "\r\n");
        detect_http_cap_header(c, (const uint8_t *)p, (size_t)(e - p));
        p = e + 2;
    }
    detect_http_cap_header(c, NULL, 0);
    if (body)
        detect_http_cap_body(c, 0, (const uint8_t *)body, strlen(body));
}

/* A ruleset and engine over text: n rules loaded, skipped of them skipped
 * by the engine (not installed). */
static struct detect_engine *engine_up(struct ruleset *rs, const char *text, size_t n,
                                       uint64_t skipped)
{
    char err[256];
    assert_int_equal(ruleset_init(rs), 0);
    ruleset_load_text(rs, "test", text, strlen(text));
    assert_int_equal(rs->n, n);
    struct detect_engine *e = detect_engine_new(rs, on_alert, NULL, NULL, err, sizeof(err));
    assert_non_null(e);
    struct detect_counters c;
    detect_engine_counters(e, &c);
    assert_int_equal(c.rules_skipped, skipped);
    return e;
}

static void engine_down(struct detect_engine *e, struct ruleset *rs)
{
    detect_engine_install(NULL);
    detect_engine_free(e);
    ruleset_free(rs);
}

/* A TCP connection to port 80 from orig_p. */
static void conn_init(struct proto_conn *conn, const char *uid, uint16_t orig_p)
{
    memset(conn, 0, sizeof(*conn));
    conn->uid = uid;
    conn->community_id = "1:x";
    conn->ip_proto = 6;
    conn->orig_h.family = conn->resp_h.family = 4;
    conn->orig_p = orig_p;
    conn->resp_p = 80;
}

static const char rules[] =
    "alert http any any -> any any (msg:\"uri\"; http.uri; content:\"/images.gif\"; bsize:11; sid:1;)\n"
    "alert http any any -> any any (msg:\"raw\"; http.uri.raw; content:\"%2e%2e\"; sid:2;)\n"
    "alert http any any -> any any (msg:\"host\"; http.host; content:\"www.example.com\"; bsize:15; sid:3;)\n"
    "alert http any any -> any any (msg:\"hdr\"; http.header; content:\"User-Agent: Mozilla/5.0|0d 0a|\"; sid:4;)\n"
    "alert http any any -> any any (msg:\"no cookie\"; http.header; content:\"Cookie\"; sid:5;)\n"
    "alert http any any -> any any (msg:\"cookie\"; http.cookie; content:\"a=b\"; bsize:3; sid:6;)\n"
    "alert http any any -> any any (msg:\"body\"; http.request_body; content:\"secret\"; sid:7;)\n"
    "alert http any any -> any any (msg:\"stat\"; http.stat_code; content:\"404\"; sid:8;)\n"
    "alert http any any -> any any (msg:\"file\"; file_data; content:\"EICAR\"; sid:9;)\n"
    "alert http any any -> any any (msg:\"one header\"; http.request_header; content:\"x-long: one\"; nocase; sid:10;)\n"
    "alert http any any -> any any (msg:\"uri+stat\"; uricontent:\"images\"; http.stat_msg; content:\"Not Found\"; sid:11;)\n"
    "alert http any any -> any any (msg:\"names\"; http.header_names; content:\"|0d 0a|Cookie|0d 0a|\"; sid:12;)\n";

static void test_hook(void **st)
{
    (void)st;
    struct ruleset rs;
    struct detect_engine *e = engine_up(&rs, rules, 12, 0);
    assert_false(detect_http_active());
    detect_engine_install(e);
    assert_true(detect_http_active());

    struct proto_conn conn;
    conn_init(&conn, "CHttpTest1", 40000);
    struct detect_http_cap req, resp;
    memset(&req, 0, sizeof(req));
    memset(&resp, 0, sizeof(resp));
    cap_msg(&req, "POST /%2e%2e/images.gif HTTP/1.1", hdrs, NULL);
    n_fired = 0;
    detect_http_tx(&conn, DETECT_HTTP_REQ_HEADERS, &req, NULL, 1);
    assert_int_equal(has(1), 1);
    assert_int_equal(has(2), 1);
    assert_int_equal(has(3), 1);
    assert_int_equal(has(4), 1);
    assert_int_equal(has(5), 0);
    assert_int_equal(has(6), 1);
    assert_int_equal(has(7), 0); /* the body is not there yet */
    assert_int_equal(has(10), 1);
    assert_int_equal(has(12), 1);
    assert_int_equal(n_fired, 7);
    detect_http_cap_body(&req, 0, (const uint8_t *)"the secret", 10);
    n_fired = 0;
    detect_http_tx(&conn, DETECT_HTTP_REQ_BODY, &req, NULL, 2);
    assert_int_equal(n_fired, 1); /* only the body rule: each rule at one stage */
    assert_int_equal(has(7), 1);

    cap_msg(&resp, "HTTP/1.1 404 Not Found", "Server: x\r\nContent-Length: 5\r\n", NULL);
    n_fired = 0;
    detect_http_tx(&conn, DETECT_HTTP_RESP_HEADERS, &req, &resp, 3);
    assert_int_equal(n_fired, 2);
    assert_int_equal(has(8), 1);
    assert_int_equal(has(11), 1);
    assert_int_equal(fired_status[0], 404);
    detect_http_cap_body(&resp, 1, (const uint8_t *)"EICAR", 5);
    n_fired = 0;
    detect_http_tx(&conn, DETECT_HTTP_RESP_BODY, &req, &resp, 4);
    assert_int_equal(n_fired, 1);
    assert_int_equal(has(9), 1);

    /* the body limit: bytes past it are counted, not kept */
    detect_http_set_body_limits(4, 4);
    detect_http_cap_reset(&resp);
    cap_msg(&resp, "HTTP/1.1 200 OK", "", NULL);
    detect_http_cap_body(&resp, 1, (const uint8_t *)"xxEICAR", 7);
    assert_int_equal(resp.body_len, 4);
    assert_int_equal(resp.body_total, 7);
    n_fired = 0;
    detect_http_tx(&conn, DETECT_HTTP_RESP_BODY, &req, &resp, 5);
    assert_int_equal(has(9), 0);
    detect_http_set_body_limits(0, 0);

    detect_http_cap_free(&req);
    detect_http_cap_free(&resp);
    engine_down(e, &rs);
}

/* base64_decode + base64_data (Suricata's base64 keywords) on a request
 * body: relative and absolute offsets, the bytes limit, RFC 4648's stop at
 * the first byte outside the alphabet (a final group of 2-3 characters
 * still decodes), backtracking to the next occurrence of the content before
 * it, base64_data's own positions, and the rules the engine skips. */
static const char b64_rules[] =
    "alert http any any -> any any (msg:\"xxe\"; http.request_body; content:\"<m:Data>\"; base64_decode:bytes 300, offset 0, relative; base64_data; content:\"<!DOCTYPE\"; content:\"SYSTEM\"; distance:0; sid:21;)\n"
    "alert http any any -> any any (msg:\"not there\"; http.request_body; content:\"<m:Data>\"; base64_decode:bytes 300, offset 0, relative; base64_data; content:\"PUBLIC\"; sid:22;)\n"
    "alert http any any -> any any (msg:\"offset\"; http.request_body; base64_decode:offset 1; base64_data; content:\"hello\"; startswith; sid:23;)\n"
    "alert http any any -> any any (msg:\"no offset\"; http.request_body; base64_decode; base64_data; content:\"hello\"; sid:30;)\n"
    "alert http any any -> any any (msg:\"stop\"; http.request_body; content:\"<d>\"; base64_decode:relative; base64_data; content:\"world\"; sid:24;)\n"
    "alert http any any -> any any (msg:\"partial\"; http.request_body; content:\"<d>\"; base64_decode:relative; base64_data; content:\"hello\"; endswith; sid:25;)\n"
    "alert http any any -> any any (msg:\"backtrack\"; http.request_body; content:\"<b>\"; base64_decode:relative; base64_data; content:\"|00 01|secret\"; startswith; sid:26;)\n"
    "alert http any any -> any any (msg:\"bytes\"; http.request_body; content:\"<c>\"; base64_decode:bytes 4,relative; base64_data; content:\"lo\"; sid:27;)\n"
    "alert http any any -> any any (msg:\"depth\"; http.request_body; content:\"<c>\"; base64_decode:bytes 4,relative; base64_data; content:\"he\"; depth:2; sid:28;)\n"
    "alert http any any -> any any (msg:\"far\"; http.request_body; base64_decode:offset 5000; base64_data; content:\"a\"; sid:29;)\n"
    "alert http any any -> any any (msg:\"no data list\"; http.request_body; content:\"<c>\"; base64_decode:relative; sid:31;)\n"
    "alert http any any -> any any (msg:\"transform\"; http.request_body; content:\"<c>\"; base64_decode:relative; base64_data; to_lowercase; content:\"hel\"; sid:32;)\n";

static void test_base64(void **st)
{
    (void)st;
    struct ruleset rs;
    /* skipped: 31 (no base64_data list) and 32 (a transform on it) */
    struct detect_engine *e = engine_up(&rs, b64_rules, 12, 2);
    detect_engine_install(e);
    struct proto_conn conn;
    conn_init(&conn, "CHttpB64", 40001);
    struct detect_http_cap req;
    memset(&req, 0, sizeof(req));
    cap_msg(&req, "POST /ews/Exchange.asmx HTTP/1.1", "Host: x\r\n", NULL);
    static const char body[] =
        "!aGVsbG8= <m:Data>PCFET0NUWVBFIHggU1lTVEVNICJmaWxlOi8vL2V0YyI+</m:Data> "
        "<b>anVuayBqdW5r <b>AAFzZWNyZXQ= <c>aGVsbG8= <d>aGVsbG8*d29ybGQ=";
    detect_http_cap_body(&req, 0, (const uint8_t *)body, strlen(body));
    n_fired = 0;
    detect_http_tx(&conn, DETECT_HTTP_REQ_BODY, &req, NULL, 1);
    assert_int_equal(has(21), 1);
    assert_int_equal(has(22), 0);
    assert_int_equal(has(23), 1);
    assert_int_equal(has(30), 0); /* '!' is not base64: nothing decodes */
    assert_int_equal(has(24), 0); /* decoding stops at '*' */
    assert_int_equal(has(25), 1); /* "aGVsbG8" -> "hel" + "lo" */
    assert_int_equal(has(26), 1); /* the second <b> */
    assert_int_equal(has(27), 0); /* 4 bytes in: "hel" */
    assert_int_equal(has(28), 1);
    assert_int_equal(has(29), 0);
    assert_int_equal(n_fired, 5);
    detect_http_cap_free(&req);
    engine_down(e, &rs);

    /* base64_data before any base64_decode: the parser rejects the rule */
    assert_int_equal(ruleset_init(&rs), 0);
    static const char bad[] =
        "alert http any any -> any any (msg:\"x\"; base64_data; content:\"a\"; sid:40;)\n";
    ruleset_load_text(&rs, "test", bad, strlen(bad));
    assert_int_equal(rs.n, 0);
    ruleset_free(&rs);
}

/* app-layer-event:http.invalid_transfer_encoding_value_in_request (libhtp's
 * HTP_REQUEST_INVALID_T_E): Transfer-Encoding other than "chunked", a
 * repeated one, or chunked below HTTP/1.1; evaluated with the request's
 * headers, and with the rule's other buffers in the same inspection. */
static void test_te_event(void **st)
{
    (void)st;
    static const char te_rules[] =
        "alert http any any -> any any (msg:\"te\"; app-layer-event:http.invalid_transfer_encoding_value_in_request; sid:50;)\n"
        "alert http any any -> any any (msg:\"te uri\"; app-layer-event:http.invalid_transfer_encoding_value_in_request; http.uri; content:\"/tmui/\"; startswith; sid:51;)\n";
    struct ruleset rs;
    struct detect_engine *e = engine_up(&rs, te_rules, 2, 0);
    detect_engine_install(e);
    struct proto_conn conn;
    conn_init(&conn, "CHttpTE", 40002);
    static const struct {
        const char *line, *hdrs;
        int te, uri;
    } cases[] = {
        {"POST /tmui/x HTTP/1.1", "Host: a\r\nTransfer-Encoding: chunked\r\n", 0, 0},
        {"POST /tmui/x HTTP/1.1", "Host: a\r\nTransfer-Encoding: Chunked \r\n", 0, 0},
        {"POST /tmui/x HTTP/1.1", "Host: a\r\nTransfer-Encoding: chunked, chunked\r\n", 1, 1},
        {"POST /tmui/x HTTP/1.1", "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", 1, 1},
        {"POST /other HTTP/1.1", "Host: a\r\nTransfer-Encoding: xchunked\r\n", 1, 0},
        {"POST /tmui/x HTTP/1.0", "Host: a\r\nTransfer-Encoding: chunked\r\n", 1, 1},
        {"POST /tmui/x HTTP/1.1", "Host: a\r\nContent-Length: 3\r\n", 0, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct detect_http_cap req;
        memset(&req, 0, sizeof(req));
        cap_msg(&req, cases[i].line, cases[i].hdrs, NULL);
        n_fired = 0;
        detect_http_tx(&conn, DETECT_HTTP_REQ_HEADERS, &req, NULL, (uint64_t)i + 1);
        assert_int_equal(has(50), cases[i].te);
        assert_int_equal(has(51), cases[i].uri);
        detect_http_cap_free(&req);
    }
    engine_down(e, &rs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uri_normalize),
        cmocka_unit_test(test_host_normalize),
        cmocka_unit_test(test_headers),
        cmocka_unit_test(test_hook),
        cmocka_unit_test(test_base64),
        cmocka_unit_test(test_te_event),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
