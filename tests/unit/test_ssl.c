/*
 * test_ssl.c - the TLS parser (src/proto/ssl*.c, x509.c) through its
 * descriptor, with the fake struct proto_ctx of proto_fake.c (the parser
 * runs without the app layer): every record emitted is rendered as
 * "field|field..." without ts, its log kept beside it; weirds are kept by
 * name.
 *
 * Covered: a full TLS 1.2 handshake (ClientHello, ServerHello,
 * Certificate, ServerHelloDone, ClientKeyExchange, ChangeCipherSpec,
 * Finished) split at every byte offset of every flight gives the same
 * ssl.log row; a truncated handshake and garbage (not TLS, oversized
 * record) are refused without a crash; GREASE cipher suites, extensions
 * and groups leave JA3/JA4 unchanged; a TLS 1.3 HelloRetryRequest
 * exchange.  Messages are assembled from commented pieces by rec()/hs()/
 * ext(), which fill in the length fields.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "proto/proto.h"
#include "store/zeeklog.h"

#include "proto_fake.h"

extern const struct proto_parser proto_ssl;

/* ---- building messages ---- */

struct buf {
    uint8_t p[8192];
    size_t n;
};

static void put(struct buf *b, const void *p, size_t n)
{
    assert_true(b->n + n <= sizeof(b->p));
    if (n)
        memcpy(b->p + b->n, p, n);
    b->n += n;
}

static void put_be(struct buf *b, size_t v, int bytes)
{
    for (int i = bytes - 1; i >= 0; i--) {
        uint8_t c = (uint8_t)(v >> (8 * i));
        put(b, &c, 1);
    }
}

/* TLS record: type, record-layer version 0x0303 (0x0301 for the first hello), length, body. */
static void rec(struct buf *out, uint8_t type, uint16_t version, const struct buf *body)
{
    put_be(out, type, 1);
    put_be(out, version, 2);
    put_be(out, body->n, 2);
    put(out, body->p, body->n);
}

/* Handshake message: msg_type, uint24 length, body. */
static void hs(struct buf *out, uint8_t type, const struct buf *body)
{
    put_be(out, type, 1);
    put_be(out, body->n, 3);
    put(out, body->p, body->n);
}

/* Extension: uint16 type, uint16 length, data. */
static void ext(struct buf *out, uint16_t type, const void *data, size_t n)
{
    put_be(out, type, 2);
    put_be(out, n, 2);
    put(out, data, n);
}

static const uint8_t random32[32] = {
    /* a Random: 32 arbitrary bytes (not the HelloRetryRequest value) */
    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10,
    0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20,
};

static const uint8_t hrr_random[32] = {
    /* RFC 8446 4.1.3: SHA-256("HelloRetryRequest"), the HelloRetryRequest's Random */
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

/* A ClientHello record; grease: add GREASE values to ciphers, extensions and groups;
 * tls13: offer TLS 1.3 (supported_versions, key_share with an x25519 share). */
static void client_hello(struct buf *out, bool grease, bool tls13)
{
    struct buf body = {0}, exts = {0}, h = {0};
    static const uint8_t version[] = {0x03, 0x03};             /* legacy_version TLS 1.2 */
    static const uint8_t no_session[] = {0x00};                /* session_id: empty */
    static const uint8_t grease_cs[] = {0x0a, 0x0a};           /* cipher GREASE 0x0a0a */
    static const uint8_t ciphers[] = {0x13, 0x01,              /* TLS_AES_128_GCM_SHA256 */
                                      0xc0, 0x2f,              /* ECDHE_RSA_AES_128_GCM_SHA256 */
                                      0x00, 0x9c};             /* RSA_AES_128_GCM_SHA256 */
    static const uint8_t comp[] = {0x01, 0x00};                /* 1 compression method: null */
    static const uint8_t sni[] = {0x00, 0x0e,                  /* server_name_list length 14 */
                                  0x00,                        /* name_type host_name */
                                  0x00, 0x0b,                  /* name length 11 */
                                  'e', 'x', 'a', 'm', 'p', 'l', 'e', '.', 'c', 'o', 'm'};
    static const uint8_t groups_g[] = {0x00, 0x06,             /* named_group_list length 6 */
                                       0x2a, 0x2a,             /* GREASE group 0x2a2a */
                                       0x00, 0x1d,             /* x25519 */
                                       0x00, 0x17};            /* secp256r1 */
    static const uint8_t groups[] = {0x00, 0x04, 0x00, 0x1d, 0x00, 0x17}; /* the same, no GREASE */
    static const uint8_t ecpf[] = {0x01, 0x00};                /* ec_point_formats: uncompressed */
    static const uint8_t versions[] = {0x04,                   /* supported_versions length 4 */
                                       0x03, 0x04, 0x03, 0x03}; /* TLS 1.3, TLS 1.2 */
    uint8_t keyshare[2 + 4 + 32] = {0x00, 0x24,                /* client_shares length 36 */
                                    0x00, 0x1d, 0x00, 0x20};   /* x25519, key_exchange length 32 */
    put(&body, version, 2);
    put(&body, random32, 32);
    put(&body, no_session, 1);
    put_be(&body, sizeof(ciphers) + (grease ? 2 : 0), 2);      /* cipher_suites length */
    if (grease)
        put(&body, grease_cs, 2);
    put(&body, ciphers, sizeof(ciphers));
    put(&body, comp, 2);
    if (grease)
        ext(&exts, 0x1a1a, NULL, 0);                           /* GREASE extension, empty */
    ext(&exts, 0x0000, sni, sizeof(sni));                      /* server_name */
    if (grease)
        ext(&exts, 0x000a, groups_g, sizeof(groups_g));        /* supported_groups */
    else
        ext(&exts, 0x000a, groups, sizeof(groups));
    ext(&exts, 0x000b, ecpf, sizeof(ecpf));                    /* ec_point_formats */
    if (tls13) {
        ext(&exts, 0x002b, versions, sizeof(versions));        /* supported_versions */
        ext(&exts, 0x0033, keyshare, sizeof(keyshare));        /* key_share */
    }
    put_be(&body, exts.n, 2);                                  /* extensions length */
    put(&body, exts.p, exts.n);
    hs(&h, 0x01, &body);                                       /* ClientHello */
    rec(out, 0x16, 0x0301, &h);
}

/* A ServerHello handshake message (not yet in a record). */
static void server_hello(struct buf *out, const uint8_t rnd[32], uint16_t cipher, bool tls13)
{
    struct buf body = {0}, exts = {0};
    static const uint8_t version[] = {0x03, 0x03};      /* legacy_version TLS 1.2 */
    static const uint8_t no_session[] = {0x00};         /* session_id: empty */
    static const uint8_t null_comp[] = {0x00};          /* compression: null */
    static const uint8_t ecpf[] = {0x01, 0x00};         /* ec_point_formats: uncompressed */
    static const uint8_t v13[] = {0x03, 0x04};          /* supported_versions: TLS 1.3 */
    static const uint8_t ks_group[] = {0x00, 0x17};     /* key_share (HRR form): secp256r1 */
    put(&body, version, 2);
    put(&body, rnd, 32);
    put(&body, no_session, 1);
    put_be(&body, cipher, 2);                           /* cipher_suite */
    put(&body, null_comp, 1);
    if (tls13) {
        ext(&exts, 0x002b, v13, sizeof(v13));
        ext(&exts, 0x0033, ks_group, sizeof(ks_group));
    } else {
        ext(&exts, 0x000b, ecpf, sizeof(ecpf));
    }
    put_be(&body, exts.n, 2);
    put(&body, exts.p, exts.n);
    hs(out, 0x02, &body);
}

/* A self-signed P-256 certificate for CN=example.com, DER. */
static size_t make_cert(uint8_t *der, size_t cap)
{
    EVP_PKEY *k = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    assert_non_null(k);
    assert_non_null(x);
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 4660);
    ASN1_TIME_set(X509_getm_notBefore(x), 1600000000);
    ASN1_TIME_set(X509_getm_notAfter(x), 1900000000);
    X509_NAME *n = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"example.com", -1,
                               -1, 0);
    X509_set_issuer_name(x, n);
    X509_set_pubkey(x, k);
    assert_true(X509_sign(x, k, EVP_sha256()) > 0);
    int len = i2d_X509(x, NULL);
    assert_true(len > 0 && (size_t)len <= cap);
    unsigned char *p = der;
    i2d_X509(x, &p);
    X509_free(x);
    EVP_PKEY_free(k);
    return (size_t)len;
}

/* The four flights of a TLS 1.2 ECDHE handshake. */
static struct buf flight[4];
static const enum proto_dir flight_dir[4] = {PROTO_ORIG, PROTO_RESP, PROTO_ORIG, PROTO_RESP};

static void build_handshake(void)
{
    memset(flight, 0, sizeof(flight));
    client_hello(&flight[0], true, false);
    struct buf h = {0}, body = {0}, tmp = {0};
    static uint8_t der[4096];
    static size_t der_len;
    if (!der_len)
        der_len = make_cert(der, sizeof(der));
    server_hello(&h, random32, 0xc02f, false);
    put_be(&body, der_len + 3, 3);                     /* certificate_list length */
    put_be(&body, der_len, 3);                         /* one certificate: length, DER */
    put(&body, der, der_len);
    hs(&h, 0x0b, &body);                               /* Certificate */
    hs(&h, 0x0e, &tmp);                                /* ServerHelloDone, empty */
    rec(&flight[1], 0x16, 0x0303, &h);
    static const uint8_t ccs[] = {0x01};               /* ChangeCipherSpec */
    uint8_t fin[40];                                   /* encrypted Finished: opaque bytes */
    memset(fin, 0x5a, sizeof(fin));
    struct buf cke = {0}, m = {0}, c = {0}, f = {0};
    uint8_t point[66] = {65, 0x04};                    /* ECPoint: length 65, uncompressed */
    put(&cke, point, sizeof(point));
    hs(&m, 0x10, &cke);                                /* ClientKeyExchange */
    rec(&flight[2], 0x16, 0x0303, &m);
    put(&c, ccs, 1);
    put(&f, fin, sizeof(fin));
    rec(&flight[2], 0x14, 0x0303, &c);
    rec(&flight[2], 0x16, 0x0303, &f);
    rec(&flight[3], 0x14, 0x0303, &c);
    rec(&flight[3], 0x16, 0x0303, &f);
}

/* Feed the flights (flight k cut at split when k == split_k); the state is freed. */
static struct proto_ctx *run(const struct buf *fl, const enum proto_dir *dirs, size_t n,
                             size_t split_k, size_t split)
{
    struct proto_ctx *c = proto_fake_new(443);
    void *st = proto_ssl.state_new(c);
    int64_t ts = 1000000000000000000LL;
    assert_non_null(st);
    for (size_t k = 0; k < n; k++) {
        size_t cut = k == split_k && split > 0 && split < fl[k].n ? split : fl[k].n;
        enum proto_result r = proto_ssl.parse(st, c, dirs[k], fl[k].p, cut, ts += 1000);
        if (r == PROTO_OK && cut < fl[k].n)
            r = proto_ssl.parse(st, c, dirs[k], fl[k].p + cut, fl[k].n - cut, ts += 1000);
        if (r != PROTO_OK)
            break;
    }
    proto_ssl.state_free(st, c);
    return c;
}

static const char *ssl_row(const struct proto_ctx *c)
{
    for (int i = 0; i < c->n_rows; i++)
        if (strcmp(c->row_type[i]->path, "ssl") == 0)
            return c->rows[i];
    return NULL;
}

/* ---- tests ---- */

static void test_handshake_row(void **unused)
{
    (void)unused;
    build_handshake();
    struct proto_ctx *c = run(flight, flight_dir, 4, 99, 0);
    const char *row = ssl_row(c);
    assert_non_null(row);
    assert_non_null(strstr(row, "|TLSv12|TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256|"));
    assert_non_null(strstr(row, "|example.com|"));
    assert_non_null(strstr(row, "|T|")); /* established */
    assert_true(c->encrypted >= 1);      /* and the signature engine told */
    assert_int_equal(c->weirds[0], 0);
    assert_true(c->confirms > 0);
    free(c);
}

static void test_split_every_offset(void **unused)
{
    (void)unused;
    build_handshake();
    struct proto_ctx *base = run(flight, flight_dir, 4, 99, 0);
    char want[4096];
    assert_non_null(ssl_row(base));
    snprintf(want, sizeof(want), "%s", ssl_row(base));
    free(base);
    for (size_t k = 0; k < 4; k++)
        for (size_t off = 1; off < flight[k].n; off++) {
            struct proto_ctx *c = run(flight, flight_dir, 4, k, off);
            const char *row = ssl_row(c);
            if (!row || strcmp(row, want) != 0)
                fail_msg("flight %zu split at %zu: %s", k, off, row ? row : "(no row)");
            free(c);
        }
}

static void test_truncated(void **unused)
{
    (void)unused;
    build_handshake();
    for (size_t cut = 1; cut < flight[1].n; cut += 7) {
        struct buf part[2] = {flight[0], flight[1]};
        part[1].n = cut;
        struct proto_ctx *c = run(part, flight_dir, 2, 99, 0);
        assert_true(c->n_rows <= 2);
        assert_int_equal(c->encrypted, 0); /* not established: payload still inspected */
        free(c);
    }
}

static void test_garbage(void **unused)
{
    (void)unused;
    static const char http[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n"; /* not TLS */
    static const uint8_t huge[] = {0x16, 0x03, 0x03,                /* handshake record */
                                   0xff, 0xff,                      /* length 65535: too long */
                                   0x01, 0x00, 0x00, 0x00};
    struct proto_ctx *c = proto_fake_new(443);
    void *st = proto_ssl.state_new(c);
    assert_int_equal(proto_ssl.parse(st, c, PROTO_ORIG, (const uint8_t *)http, strlen(http), 1),
                     PROTO_ERROR);
    proto_ssl.state_free(st, c);
    free(c);
    c = proto_fake_new(443);
    st = proto_ssl.state_new(c);
    assert_int_equal(proto_ssl.parse(st, c, PROTO_ORIG, huge, sizeof(huge), 1), PROTO_ERROR);
    proto_ssl.state_free(st, c);
    free(c);
    assert_int_equal(proto_ssl.probe((const uint8_t *)http, strlen(http), PROTO_ORIG, 1, 443),
                     PROTO_PROBE_NO);
}

/* JA3 and JA4 of a hello with GREASE values equal those of the same hello without. */
static void test_grease_dropped(void **unused)
{
    (void)unused;
    static struct buf fl[2];
    memset(fl, 0, sizeof(fl));
    struct buf sh = {0};
    server_hello(&sh, random32, 0xc02f, false);
    rec(&fl[1], 0x16, 0x0303, &sh);
    client_hello(&fl[0], true, false);
    struct proto_ctx *a = run(fl, flight_dir, 2, 99, 0);
    memset(&fl[0], 0, sizeof(fl[0]));
    client_hello(&fl[0], false, false);
    struct proto_ctx *b = run(fl, flight_dir, 2, 99, 0);
    assert_non_null(ssl_row(a));
    assert_non_null(ssl_row(b));
    assert_string_equal(ssl_row(a), ssl_row(b));
    assert_null(strstr(ssl_row(a), "2570")); /* 0x0a0a in decimal: not in the JA3 string */
    free(a);
    free(b);
}

/* ClientHello, HelloRetryRequest, second ClientHello, ServerHello (TLS 1.3). */
static void test_hello_retry_request(void **unused)
{
    (void)unused;
    static struct buf fl[4];
    memset(fl, 0, sizeof(fl));
    struct buf m = {0}, m2 = {0};
    client_hello(&fl[0], false, true);
    server_hello(&m, hrr_random, 0x1301, true);
    rec(&fl[1], 0x16, 0x0303, &m);
    client_hello(&fl[2], false, true);
    server_hello(&m2, random32, 0x1301, true);
    rec(&fl[3], 0x16, 0x0303, &m2);
    struct proto_ctx *c = run(fl, flight_dir, 4, 99, 0);
    const char *row = ssl_row(c);
    assert_non_null(row);
    assert_non_null(strstr(row, "|TLSv13|TLS_AES_128_GCM_SHA256|"));
    assert_null(strstr(c->weirds, "SSL_"));
    free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_handshake_row),
        cmocka_unit_test(test_split_every_offset),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_grease_dropped),
        cmocka_unit_test(test_hello_retry_request),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
