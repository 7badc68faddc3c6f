/*
 * test_smb.c - the SMB and DCE/RPC identifiers (src/proto/smb.c,
 * src/proto/dcerpc.c) through their descriptors, with the fake struct
 * proto_ctx of proto_fake.c: confirmations and results are counted.
 *
 * Covered: the probes (SMB 1/2/3 magic, SMB 2 StructureSize, NetBIOS
 * session request, what is too short to tell, other protocols; DCE/RPC
 * bind/alter_context/request from the client only, byte order, PTYPE,
 * lengths); framing followed whatever byte the stream is cut at (every
 * split of a dialogue, and byte by byte); 24-bit direct-TCP lengths; each
 * kind of bad header a protocol violation after good messages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/proto.h"

#include "proto_fake.h"

extern const struct proto_parser proto_smb, proto_dce_rpc;

struct buf {
    uint8_t b[70000];
    size_t n;
};

static void put(struct buf *b, const void *p, size_t n)
{
    assert_true(b->n + n <= sizeof(b->b));
    memcpy(b->b + b->n, p, n);
    b->n += n;
}

/* An SMB 2 message of body bytes after its 64-byte header, command cmd,
 * framed for direct TCP (24-bit length). */
static void smb2_msg(struct buf *b, uint16_t cmd, size_t body)
{
    size_t len = 64 + body;
    uint8_t h[4] = {0, (uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len};
    uint8_t hdr[64] = {0xFE, 'S', 'M', 'B', 64, 0, 1, 0};
    hdr[12] = (uint8_t)cmd;
    put(b, h, 4);
    put(b, hdr, 64);
    for (size_t i = 0; i < body; i++)
        put(b, &(uint8_t){(uint8_t)(i * 7)}, 1);
}

/* Feed data to a fresh parser state in chunks cut at the offsets cuts[]
 * (ascending, n_cuts of them); the last result; *confirms set. */
static enum proto_result feed(const struct proto_parser *p, enum proto_dir dir, const uint8_t *d,
                              size_t n, const size_t *cuts, size_t n_cuts, int *confirms)
{
    struct proto_ctx *c = proto_fake_new(p == &proto_smb ? 445 : 135);
    void *st = p->state_new(c);
    assert_non_null(st);
    enum proto_result r = PROTO_OK;
    size_t at = 0;
    for (size_t i = 0; i <= n_cuts && r == PROTO_OK; i++) {
        size_t end = i < n_cuts ? cuts[i] : n;
        r = p->parse(st, c, dir, d + at, end - at, 1);
        at = end;
    }
    *confirms = c->confirms;
    p->state_free(st, c);
    free(c);
    return r;
}

static enum proto_result feed_whole(const struct proto_parser *p, enum proto_dir dir,
                                    const struct buf *b, int *confirms)
{
    return feed(p, dir, b->b, b->n, NULL, 0, confirms);
}

static void test_smb_probe(void **state)
{
    (void)state;
    struct buf b = {.n = 0};
    smb2_msg(&b, 0, 36);
    assert_int_equal(proto_smb.probe(b.b, b.n, PROTO_ORIG, 49700, 445), PROTO_PROBE_YES);
    assert_int_equal(proto_smb.probe(b.b, b.n, PROTO_RESP, 49700, 445), PROTO_PROBE_YES);
    /* any port: the content decides */
    assert_int_equal(proto_smb.probe(b.b, b.n, PROTO_ORIG, 49700, 8445), PROTO_PROBE_YES);
    for (size_t n = 1; n < 10; n++) /* up to the StructureSize: cannot tell yet */
        assert_int_equal(proto_smb.probe(b.b, n, PROTO_ORIG, 1, 445), PROTO_PROBE_MAYBE);
    b.b[8] = 65; /* StructureSize */
    assert_int_equal(proto_smb.probe(b.b, b.n, PROTO_ORIG, 1, 445), PROTO_PROBE_NO);
    static const uint8_t smb1[] = {0, 0, 0, 35, 0xFF, 'S', 'M', 'B', 0x72, 0};
    assert_int_equal(proto_smb.probe(smb1, sizeof(smb1), PROTO_ORIG, 1, 139), PROTO_PROBE_YES);
    static const uint8_t short1[] = {0, 0, 0, 20, 0xFF, 'S', 'M', 'B', 0x72, 0};
    assert_int_equal(proto_smb.probe(short1, sizeof(short1), PROTO_ORIG, 1, 139),
                     PROTO_PROBE_NO); /* shorter than an SMB 1 header */
    static const uint8_t xform[] = {0, 0, 0, 52, 0xFD, 'S', 'M', 'B', 0, 0};
    assert_int_equal(proto_smb.probe(xform, sizeof(xform), PROTO_ORIG, 1, 445), PROTO_PROBE_YES);
    static const uint8_t req[] = {0x81, 0, 0, 68, 0x20, 'E', 'G'};
    assert_int_equal(proto_smb.probe(req, sizeof(req), PROTO_ORIG, 1, 139), PROTO_PROBE_YES);
    static const uint8_t req_bad[] = {0x81, 0, 0, 12, 0x20, 'E', 'G'};
    assert_int_equal(proto_smb.probe(req_bad, sizeof(req_bad), PROTO_ORIG, 1, 139), PROTO_PROBE_NO);
    static const uint8_t keep[] = {0x85, 0, 0, 0};
    assert_int_equal(proto_smb.probe(keep, sizeof(keep), PROTO_ORIG, 1, 139), PROTO_PROBE_NO);
    static const uint8_t magic[] = {0, 0, 0, 64, 0xFE, 'S', 'M', 'X', 64, 0};
    assert_int_equal(proto_smb.probe(magic, sizeof(magic), PROTO_ORIG, 1, 445), PROTO_PROBE_NO);
    assert_int_equal(proto_smb.probe((const uint8_t *)"GET / HTTP/1.1\r\n", 16, PROTO_ORIG, 1, 445),
                     PROTO_PROBE_NO);
    assert_int_equal(proto_smb.probe((const uint8_t *)"", 0, PROTO_ORIG, 1, 445),
                     PROTO_PROBE_MAYBE); /* nothing yet (fuzz_smb: read past the end) */
    assert_int_equal(proto_dce_rpc.probe((const uint8_t *)"", 0, PROTO_ORIG, 1, 135),
                     PROTO_PROBE_MAYBE);
    assert_int_equal(proto_smb.probe((const uint8_t *)"\x00", 1, PROTO_ORIG, 1, 445),
                     PROTO_PROBE_MAYBE);
    assert_int_equal(proto_smb.probe((const uint8_t *)"\x16", 1, PROTO_ORIG, 1, 445),
                     PROTO_PROBE_NO);
}

/* A client stream: session request, SMB 1 negotiate, three SMB 2 messages,
 * one of them over 64 KiB (a 24-bit length), a keepalive. */
static void smb_dialogue(struct buf *b)
{
    static const uint8_t sreq[4] = {0x81, 0, 0, 68};
    put(b, sreq, 4);
    for (int i = 0; i < 68; i++)
        put(b, &(uint8_t){(uint8_t)(i == 0 || i == 34 ? 0x20 : 'A' + i % 16)}, 1);
    static const uint8_t smb1[] = {0, 0, 0, 35, 0xFF, 'S', 'M', 'B', 0x72};
    put(b, smb1, sizeof(smb1));
    put(b, (const uint8_t[32]){0}, 35 - 5);
    smb2_msg(b, 0, 36);
    smb2_msg(b, 9, 65600); /* WRITE */
    static const uint8_t keep[4] = {0x85, 0, 0, 0};
    put(b, keep, 4);
    smb2_msg(b, 5, 120);
}

static void test_smb_splits(void **state)
{
    (void)state;
    static struct buf b;
    b.n = 0;
    smb_dialogue(&b);
    int conf = 0;
    assert_int_equal(feed_whole(&proto_smb, PROTO_ORIG, &b, &conf), PROTO_OK);
    assert_int_equal(conf, 1);
    /* cut in two at every offset of the first 400 bytes and around the
     * big message's end; and in three */
    for (size_t cut = 1; cut < b.n; cut += cut < 400 || (cut > 65900 && cut < 66300) ? 1 : 997) {
        assert_int_equal(feed(&proto_smb, PROTO_ORIG, b.b, b.n, &cut, 1, &conf), PROTO_OK);
        assert_int_equal(conf, 1);
        size_t two[2] = {cut / 2, cut};
        if (two[0] > 0) {
            assert_int_equal(feed(&proto_smb, PROTO_ORIG, b.b, b.n, two, 2, &conf), PROTO_OK);
            assert_int_equal(conf, 1);
        }
    }
    /* byte by byte through the first messages */
    static size_t cuts[400];
    for (size_t i = 0; i < 400; i++)
        cuts[i] = i + 1;
    assert_int_equal(feed(&proto_smb, PROTO_ORIG, b.b, b.n, cuts, 400, &conf), PROTO_OK);
    assert_int_equal(conf, 1);
}

/* After good messages, each kind of bad one ends parsing. */
static void test_smb_bad(void **state)
{
    (void)state;
    static const uint8_t bad[][10] = {
        {0x00, 0, 0, 64, 0xFE, 'S', 'M', 'Z', 64, 0},   /* magic */
        {0x00, 0, 0, 64, 0xFE, 'S', 'M', 'B', 32, 0},   /* StructureSize */
        {0x00, 0, 0, 40, 0xFE, 'S', 'M', 'B', 64, 0},   /* shorter than its header */
        {0x00, 0, 0, 2, 0xFE, 'S', 0, 0, 0, 0},         /* shorter than the magic */
        {0x07, 0, 0, 4, 0, 0, 0, 0, 0, 0},              /* NetBIOS type */
        {0x85, 2, 0, 0, 0, 0, 0, 0, 0, 0},              /* NetBIOS flags */
        {0x00, 0xFF, 0, 0, 0xFE, 'S', 'M', 'B', 64, 0}, /* over 8 MiB and a bit */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        static struct buf b;
        b.n = 0;
        smb2_msg(&b, 0, 36);
        put(&b, bad[i], sizeof(bad[i]));
        int conf = 0;
        assert_int_equal(feed_whole(&proto_smb, PROTO_ORIG, &b, &conf), PROTO_ERROR);
        assert_int_equal(conf, 1);
        b.n = 0; /* first thing on the stream: never confirmed */
        put(&b, bad[i], sizeof(bad[i]));
        assert_int_equal(feed_whole(&proto_smb, PROTO_ORIG, &b, &conf), PROTO_ERROR);
        assert_int_equal(conf, 0);
    }
}

/* A DCE/RPC PDU of ptype with body bytes; drep little (0x10) or big (0x00). */
static void dce_pdu(struct buf *b, uint8_t ptype, size_t body, uint8_t drep, uint16_t auth)
{
    size_t fl = 16 + body;
    uint8_t h[16] = {5, 0, ptype, 3, drep, 0, 0, 0};
    if (drep & 0x10) {
        h[8] = (uint8_t)fl, h[9] = (uint8_t)(fl >> 8);
        h[10] = (uint8_t)auth, h[11] = (uint8_t)(auth >> 8);
    } else {
        h[8] = (uint8_t)(fl >> 8), h[9] = (uint8_t)fl;
        h[10] = (uint8_t)(auth >> 8), h[11] = (uint8_t)auth;
    }
    h[12] = 1;
    put(b, h, 16);
    for (size_t i = 0; i < body; i++)
        put(b, &(uint8_t){(uint8_t)i}, 1);
}

static void test_dce_probe(void **state)
{
    (void)state;
    struct buf b = {.n = 0};
    dce_pdu(&b, 11, 56, 0x10, 0); /* bind */
    assert_int_equal(proto_dce_rpc.probe(b.b, b.n, PROTO_ORIG, 1, 49670), PROTO_PROBE_YES);
    assert_int_equal(proto_dce_rpc.probe(b.b, b.n, PROTO_RESP, 1, 49670), PROTO_PROBE_NO);
    for (size_t n = 1; n < 16; n++)
        assert_int_equal(proto_dce_rpc.probe(b.b, n, PROTO_ORIG, 1, 135), PROTO_PROBE_MAYBE);
    b.n = 0;
    dce_pdu(&b, 0, 24, 0x00, 0); /* request, big endian */
    assert_int_equal(proto_dce_rpc.probe(b.b, b.n, PROTO_ORIG, 1, 135), PROTO_PROBE_YES);
    b.n = 0;
    dce_pdu(&b, 14, 56, 0x10, 0); /* alter_context */
    assert_int_equal(proto_dce_rpc.probe(b.b, b.n, PROTO_ORIG, 1, 135), PROTO_PROBE_YES);
    b.n = 0;
    dce_pdu(&b, 12, 56, 0x10, 0); /* bind_ack: a server's */
    assert_int_equal(proto_dce_rpc.probe(b.b, b.n, PROTO_ORIG, 1, 135), PROTO_PROBE_NO);
    b.n = 0;
    dce_pdu(&b, 11, 56, 0x10, 60); /* auth_length beyond the PDU */
    assert_int_equal(proto_dce_rpc.probe(b.b, b.n, PROTO_ORIG, 1, 135), PROTO_PROBE_NO);
    b.n = 0;
    dce_pdu(&b, 11, 56, 0x10, 0);
    b.b[1] = 2; /* minor version */
    assert_int_equal(proto_dce_rpc.probe(b.b, b.n, PROTO_ORIG, 1, 135), PROTO_PROBE_NO);
    b.n = 0;
    dce_pdu(&b, 11, 56, 0x12, 0); /* data representation */
    assert_int_equal(proto_dce_rpc.probe(b.b, b.n, PROTO_ORIG, 1, 135), PROTO_PROBE_NO);
    assert_int_equal(proto_dce_rpc.probe((const uint8_t *)"\x04\x00", 2, PROTO_ORIG, 1, 135),
                     PROTO_PROBE_NO);
}

static void test_dce_splits(void **state)
{
    (void)state;
    static struct buf b;
    b.n = 0;
    dce_pdu(&b, 11, 56, 0x10, 0);
    dce_pdu(&b, 0, 300, 0x10, 0);
    dce_pdu(&b, 0, 0, 0x00, 0);    /* header only, big endian */
    dce_pdu(&b, 16, 40, 0x10, 16); /* auth3 with an auth_verifier */
    int conf = 0;
    assert_int_equal(feed_whole(&proto_dce_rpc, PROTO_ORIG, &b, &conf), PROTO_OK);
    assert_int_equal(conf, 1);
    for (size_t cut = 1; cut < b.n; cut++) {
        assert_int_equal(feed(&proto_dce_rpc, PROTO_ORIG, b.b, b.n, &cut, 1, &conf), PROTO_OK);
        assert_int_equal(conf, 1);
    }
    static size_t cuts[600];
    for (size_t i = 0; i + 1 < b.n && i < 600; i++)
        cuts[i] = i + 1;
    assert_int_equal(feed(&proto_dce_rpc, PROTO_ORIG, b.b, b.n, cuts, b.n - 1, &conf), PROTO_OK);
    assert_int_equal(conf, 1);
    /* then a bad PDU: a connectionless PTYPE */
    dce_pdu(&b, 4, 8, 0x10, 0);
    assert_int_equal(feed_whole(&proto_dce_rpc, PROTO_ORIG, &b, &conf), PROTO_ERROR);
    assert_int_equal(conf, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_smb_probe),  cmocka_unit_test(test_smb_splits),
        cmocka_unit_test(test_smb_bad),    cmocka_unit_test(test_dce_probe),
        cmocka_unit_test(test_dce_splits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
