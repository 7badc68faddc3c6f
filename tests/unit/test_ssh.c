/*
 * test_ssh.c - the SSH parser (src/proto/ssh*.c) through its descriptor,
 * with the fake struct proto_ctx of proto_fake.c (the parser runs without
 * the app layer): the emitted row is rendered as Zeek TSV fields, read
 * back by name; weirds and confirmations are counted.
 *
 * Covered: a synthetic SSH-2 handshake (banners, KEXINITs, ECDH reply,
 * NEWKEYS, encrypted sizes of a "none"-less password success) gives the
 * same row whatever byte its plaintext messages are split at; negotiation
 * and HASSH values; the row is written on success; pre-banner lines from
 * the server; SSH-1 sessions; failed attempts; garbage; the probe.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/proto.h"
#include "store/zeeklog.h"

#include "proto_fake.h"

extern const struct proto_parser proto_ssh;

/* ---- the fake app layer (proto_fake.c) ---- */

/* A fake ctx: 10.0.0.1:40000 (local) -> 8.8.8.8:resp_p (not local). */
static struct proto_ctx *ssh_ctx(uint16_t resp_p)
{
    struct proto_ctx *c = proto_fake_new(resp_p);
    c->conn.uid = "Ctest";
    memcpy(c->conn.resp_h.a, (const uint8_t[]){8, 8, 8, 8}, 4);
    proto_fake_sep = '\t'; /* never inside a value: field() splits on it */
    return c;
}

/* The value of field name in the last row ("" if absent). */
static const char *field(const struct proto_ctx *c, const char *name)
{
    return proto_fake_field(c, c->n_rows - 1, name);
}

/* ---- building the handshake ---- */

struct msg {
    int dir;         /* 0 client, 1 server */
    uint8_t b[1024];
    size_t len;
    int encrypted;   /* 1: a ciphertext segment (never split: sizes are the heuristic) */
};

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8),
    p[3] = (uint8_t)v;
}

/* Append an SSH string (uint32 length + bytes) to buf at *o. */
static void put_str(uint8_t *buf, size_t *o, const char *s, size_t n)
{
    put32(buf + *o, (uint32_t)n);
    memcpy(buf + *o + 4, s, n);
    *o += 4 + n;
}

/* One binary packet (RFC 4253 6): uint32 packet_length, byte padding_length (4),
 * payload, 4 zero padding bytes; no MAC before NEWKEYS. */
static void packet(struct msg *m, int dir, const uint8_t *payload, size_t n)
{
    m->dir = dir;
    m->encrypted = 0;
    put32(m->b, (uint32_t)(n + 1 + 4));
    m->b[4] = 4;
    memcpy(m->b + 5, payload, n);
    memset(m->b + 5 + n, 0, 4);
    m->len = 5 + n + 4;
}

/* KEXINIT payload: byte 20, 16-byte cookie, ten name-lists, first_kex_follows 0, reserved 0. */
static void kexinit(struct msg *m, int dir, const char *const lists[10])
{
    uint8_t p[900];
    size_t o = 0;
    p[o++] = 20;                  /* SSH_MSG_KEXINIT */
    memset(p + o, 0xab, 16);      /* cookie */
    o += 16;
    for (int i = 0; i < 10; i++)
        put_str(p, &o, lists[i], strlen(lists[i]));
    p[o++] = 0;                   /* first_kex_packet_follows */
    put32(p + o, 0);              /* reserved */
    o += 4;
    packet(m, dir, p, o);
}

static void text(struct msg *m, int dir, const char *s)
{
    m->dir = dir;
    m->encrypted = 0;
    m->len = strlen(s);
    memcpy(m->b, s, m->len);
}

static void cipher(struct msg *m, int dir, size_t n)
{
    m->dir = dir;
    m->encrypted = 1;
    m->len = n;
    memset(m->b, 0x5a, n); /* opaque ciphertext */
}

static const char *const client_lists[10] = {
    "curve25519-sha256,ecdh-sha2-nistp256",       /* kex */
    "ssh-ed25519,rsa-sha2-512",                   /* host key */
    "aes128-ctr,aes256-ctr", "aes128-ctr,aes256-ctr", /* ciphers c2s, s2c */
    "hmac-sha2-256,hmac-sha1", "hmac-sha2-256,hmac-sha1", /* MACs */
    "none,zlib@openssh.com", "none,zlib@openssh.com",     /* compression */
    "", "",                                       /* languages */
};

static const char *const server_lists[10] = {
    "ecdh-sha2-nistp256,curve25519-sha256",
    "rsa-sha2-512,ssh-ed25519",
    "aes256-ctr,aes128-ctr", "aes256-ctr,aes128-ctr",
    "hmac-sha1,hmac-sha2-256", "hmac-sha1,hmac-sha2-256",
    "none", "none",
    "", "",
};

/* The whole session: returns the number of messages. */
static size_t handshake(struct msg *m, const char *server_prefix, int auth_ok)
{
    size_t n = 0;
    if (server_prefix)
        text(&m[n++], 1, server_prefix);
    text(&m[n++], 1, "SSH-2.0-TestServer_1.0\r\n");
    text(&m[n++], 0, "SSH-2.0-TestClient_2.0\r\n");
    kexinit(&m[n++], 0, client_lists);
    kexinit(&m[n++], 1, server_lists);
    /* KEX_ECDH_INIT (30): Q_C of 32 bytes */
    uint8_t p[200];
    size_t o = 0;
    p[o++] = 30;
    put_str(p, &o, "0123456789abcdef0123456789abcdef", 32);
    packet(&m[n++], 0, p, o);
    /* KEX_ECDH_REPLY (31): K_S = string "ssh-ed25519" + 32-byte key, Q_S, signature */
    uint8_t ks[64];
    size_t ko = 0;
    put_str(ks, &ko, "ssh-ed25519", 11);
    put_str(ks, &ko, "KKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKK", 32);
    o = 0;
    p[o++] = 31;
    put_str(p, &o, (const char *)ks, ko);
    put_str(p, &o, "QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ", 32);
    put_str(p, &o, "signature", 9);
    packet(&m[n++], 1, p, o);
    p[0] = 21; /* SSH_MSG_NEWKEYS */
    packet(&m[n++], 1, p, 1);
    packet(&m[n++], 0, p, 1);
    cipher(&m[n++], 0, 52);  /* SERVICE_REQUEST */
    cipher(&m[n++], 1, 52);  /* SERVICE_ACCEPT: the reference size */
    cipher(&m[n++], 0, 100); /* USERAUTH_REQUEST */
    cipher(&m[n++], 1, 84);  /* USERAUTH_FAILURE: other size, remembered */
    cipher(&m[n++], 0, 100);
    cipher(&m[n++], 1, auth_ok ? 36 : 84); /* 36 = 52 - 16: USERAUTH_SUCCESS */
    return n;
}

/* Feed messages; message split (if < n) is cut at byte cut. */
static void run(struct proto_ctx *c, const struct msg *m, size_t n, size_t split, size_t cut)
{
    void *st = proto_ssh.state_new(c);
    assert_non_null(st);
    int64_t ts = 1000000000000000000LL;
    int done = 0;
    for (size_t i = 0; i < n && !done; i++, ts += 1000) {
        size_t a = i == split ? cut : m[i].len;
        enum proto_result r = proto_ssh.parse(st, c, (enum proto_dir)m[i].dir, m[i].b, a, ts);
        if (r == PROTO_OK && a < m[i].len)
            r = proto_ssh.parse(st, c, (enum proto_dir)m[i].dir, m[i].b + a, m[i].len - a, ts);
        done = r != PROTO_OK;
    }
    proto_ssh.state_free(st, c);
}

static void test_handshake(void **state)
{
    (void)state;
    struct msg m[20];
    size_t n = handshake(m, NULL, 1);
    struct proto_ctx *c = ssh_ctx(22);
    run(c, m, n, n, 0);
    assert_int_equal(c->n_rows, 1);
    assert_int_equal(c->confirms, 1);
    assert_int_equal(c->n_weirds, 0);
    assert_string_equal(field(c, "version"), "2");
    assert_string_equal(field(c, "auth_success"), "T");
    assert_string_equal(field(c, "auth_attempts"), "1"); /* the first 84 only sets the failure size */
    assert_string_equal(field(c, "direction"), "OUTBOUND");
    assert_string_equal(field(c, "client"), "SSH-2.0-TestClient_2.0");
    assert_string_equal(field(c, "server"), "SSH-2.0-TestServer_1.0");
    assert_string_equal(field(c, "kex_alg"), "curve25519-sha256");
    assert_string_equal(field(c, "host_key_alg"), "ssh-ed25519");
    assert_string_equal(field(c, "cipher_alg"), "aes128-ctr");
    assert_string_equal(field(c, "mac_alg"), "hmac-sha2-256");
    assert_string_equal(field(c, "compression_alg"), "none");
    assert_true(strncmp(field(c, "host_key_fingerprint"), "SHA256:", 7) == 0);
    assert_int_equal(strlen(field(c, "host_key_fingerprint")), 39);
    assert_string_equal(field(c, "hasshAlgorithms"),
                        "curve25519-sha256,ecdh-sha2-nistp256;aes128-ctr,aes256-ctr;"
                        "hmac-sha2-256,hmac-sha1;none,zlib@openssh.com");
    assert_string_equal(field(c, "hasshServerAlgorithms"),
                        "ecdh-sha2-nistp256,curve25519-sha256;aes256-ctr,aes128-ctr;"
                        "hmac-sha1,hmac-sha2-256;none");
    assert_int_equal(strlen(field(c, "hassh")), 32);
    assert_string_equal(field(c, "community_id"), "1:test");
    assert_int_equal(c->encrypted, 1); /* both NEWKEYS: the engine told once */
    free(c);
}

static void test_every_split(void **state)
{
    (void)state;
    struct msg m[20];
    size_t n = handshake(m, "Welcome\r\nto the host\r\n", 1);
    struct proto_ctx *ref = ssh_ctx(22);
    run(ref, m, n, n, 0);
    assert_int_equal(ref->n_rows, 1);
    for (size_t i = 0; i < n; i++) {
        if (m[i].encrypted)
            continue; /* segment sizes are what Zeek's heuristic reads */
        for (size_t cut = 1; cut < m[i].len; cut++) {
            struct proto_ctx *c = ssh_ctx(22);
            run(c, m, n, i, cut);
            assert_int_equal(c->n_rows, 1);
            assert_string_equal(c->rows[0], ref->rows[0]);
            free(c);
        }
    }
    free(ref);
}

static void test_pre_banner(void **state)
{
    (void)state;
    struct msg m[20];
    size_t n = handshake(m, "This host is monitored.\r\nGo away\n", 1);
    struct proto_ctx *c = ssh_ctx(22);
    run(c, m, n, n, 0);
    assert_int_equal(c->n_rows, 1);
    assert_string_equal(field(c, "server"), "SSH-2.0-TestServer_1.0");
    assert_string_equal(field(c, "auth_success"), "T");
    free(c);
}

static void test_failure(void **state)
{
    (void)state;
    struct msg m[20];
    size_t n = handshake(m, NULL, 0);
    struct proto_ctx *c = ssh_ctx(22);
    run(c, m, n, n, 0);
    assert_int_equal(c->n_rows, 1); /* written at the end */
    assert_string_equal(field(c, "auth_success"), "F");
    assert_string_equal(field(c, "auth_attempts"), "1");
    free(c);
}

static void test_ssh1(void **state)
{
    (void)state;
    struct msg m[4];
    text(&m[0], 1, "SSH-1.99-OpenSSH_6.6\n");
    text(&m[1], 0, "SSH-1.5-OpenSSH_6.2\n");
    /* an SSH-1 packet: length 0x104 ... (never parsed) */
    static const uint8_t v1[] = {0x00, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00};
    m[2].dir = 1, m[2].encrypted = 0, m[2].len = sizeof(v1);
    memcpy(m[2].b, v1, sizeof(v1));
    struct proto_ctx *c = ssh_ctx(22);
    run(c, m, 3, 3, 0);
    assert_int_equal(c->n_rows, 1);
    assert_string_equal(field(c, "version"), "1");
    assert_string_equal(field(c, "auth_success"), "-");
    assert_string_equal(field(c, "auth_attempts"), "0");
    assert_string_equal(field(c, "cipher_alg"), "-");
    assert_int_equal(c->n_weirds, 0);
    free(c);
}

static void test_garbage(void **state)
{
    (void)state;
    struct proto_ctx *c = ssh_ctx(22);
    void *st = proto_ssh.state_new(c);
    /* an HTTP request from the client: not an identification line */
    static const char get[] = "GET / HTTP/1.1\r\n";
    assert_int_equal(proto_ssh.parse(st, c, PROTO_ORIG, (const uint8_t *)get, strlen(get), 1),
                     PROTO_ERROR);
    proto_ssh.state_free(st, c);
    assert_int_equal(c->n_rows, 0);
    /* banners, then a packet_length of 0xffffffff: weird, row still written */
    free(c);
    c = ssh_ctx(22);
    st = proto_ssh.state_new(c);
    static const char sb[] = "SSH-2.0-S\r\n", cb[] = "SSH-2.0-C\r\n";
    static const uint8_t bad[] = {0xff, 0xff, 0xff, 0xff, 0x04, 0x14}; /* length, pad, KEXINIT */
    proto_ssh.parse(st, c, PROTO_RESP, (const uint8_t *)sb, strlen(sb), 1);
    proto_ssh.parse(st, c, PROTO_ORIG, (const uint8_t *)cb, strlen(cb), 2);
    proto_ssh.parse(st, c, PROTO_ORIG, bad, sizeof(bad), 3);
    proto_ssh.state_free(st, c);
    assert_int_equal(c->n_rows, 1);
    assert_true(c->n_weirds >= 1);
    /* random bytes after banners in every byte value: no crash */
    for (int v = 0; v < 256; v++) {
        uint8_t junk[300];
        memset(junk, v, sizeof(junk));
        free(c);
        c = ssh_ctx(22);
        st = proto_ssh.state_new(c);
        proto_ssh.parse(st, c, PROTO_RESP, (const uint8_t *)sb, strlen(sb), 1);
        proto_ssh.parse(st, c, PROTO_ORIG, (const uint8_t *)cb, strlen(cb), 2);
        proto_ssh.parse(st, c, PROTO_RESP, junk, sizeof(junk), 3);
        proto_ssh.parse(st, c, PROTO_ORIG, junk, sizeof(junk), 4);
        proto_ssh.state_free(st, c);
    }
    free(c);
}

static void test_probe(void **state)
{
    (void)state;
    static const char a[] = "SSH-2.0-x\r\n", b[] = "SS", c[] = "hello\r\nSSH-2.0-y\r\n",
                      d[] = "GET / HTTP/1.1\r\n", e[] = "banner line without end";
    assert_int_equal(proto_ssh.probe((const uint8_t *)a, strlen(a), PROTO_ORIG, 1, 80),
                     PROTO_PROBE_YES);
    assert_int_equal(proto_ssh.probe((const uint8_t *)b, strlen(b), PROTO_ORIG, 1, 80),
                     PROTO_PROBE_MAYBE);
    assert_int_equal(proto_ssh.probe((const uint8_t *)c, strlen(c), PROTO_RESP, 1, 80),
                     PROTO_PROBE_YES);
    assert_int_equal(proto_ssh.probe((const uint8_t *)c, strlen(c), PROTO_ORIG, 1, 80),
                     PROTO_PROBE_NO);
    assert_int_equal(proto_ssh.probe((const uint8_t *)d, strlen(d), PROTO_ORIG, 1, 80),
                     PROTO_PROBE_NO);
    assert_int_equal(proto_ssh.probe((const uint8_t *)e, strlen(e), PROTO_RESP, 1, 80),
                     PROTO_PROBE_MAYBE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_handshake), cmocka_unit_test(test_every_split),
        cmocka_unit_test(test_pre_banner), cmocka_unit_test(test_failure),
        cmocka_unit_test(test_ssh1),      cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_probe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
