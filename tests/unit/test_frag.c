/*
 * test_frag.c - IPv4 and IPv6 fragment reassembly (src/decode/frag.c):
 * in order, out of order, overlaps with the same and with different bytes
 * (first data wins), duplicate last fragments, timeout on packet time,
 * memory cap eviction, the 65535-byte cap, and IPv6 fragment headers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "decode/decode.h"

#define DLT_RAW 12

/* The datagram being fragmented: UDP 1111 -> 2222, length 24, checksum 0,
 * then 16 data bytes "ABCDEFGHIJKLMNOP". */
static const uint8_t udp_dgram[24] = {
    0x04, 0x57, 0x08, 0xae, 0x00, 0x18, 0x00, 0x00,
    'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O', 'P',
};

/* Build a raw IPv4 fragment 10.1.1.1 -> 10.1.1.2, proto UDP, id `id`:
 *   45 00 <total> <id> <MF|offset/8> 40 11 00 00 0a010101 0a010102 <data>
 * Returns its length. */
static uint32_t frag4(uint8_t *out, uint16_t id, uint32_t off, int mf, const uint8_t *data,
                      uint32_t len)
{
    const uint8_t hdr[20] = {0x45, 0x00, 0, 0, 0, 0, 0, 0, 0x40, 0x11, 0x00, 0x00,
                             0x0a, 0x01, 0x01, 0x01, 0x0a, 0x01, 0x01, 0x02};
    memcpy(out, hdr, 20);
    uint32_t total = 20 + len;
    uint16_t ff = (uint16_t)((mf ? 0x2000 : 0) | (off / 8));
    out[2] = (uint8_t)(total >> 8), out[3] = (uint8_t)total;
    out[4] = (uint8_t)(id >> 8), out[5] = (uint8_t)id;
    out[6] = (uint8_t)(ff >> 8), out[7] = (uint8_t)ff;
    memcpy(out + 20, data, len);
    return total;
}

/* Build a raw IPv6 fragment 2001:db8::a -> 2001:db8::b with a fragment
 * header (next header UDP, id `id`):
 *   60000000 <plen> 2c 40 <src> <dst> | 11 00 <offset|M> <id> | <data> */
static uint32_t frag6(uint8_t *out, uint32_t id, uint32_t off, int m, const uint8_t *data,
                      uint32_t len)
{
    const uint8_t hdr[40] = {0x60, 0, 0, 0, 0, 0, 0x2c, 0x40,
                             0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0a,
                             0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0b};
    memcpy(out, hdr, 40);
    uint32_t plen = 8 + len;
    out[4] = (uint8_t)(plen >> 8), out[5] = (uint8_t)plen;
    uint16_t om = (uint16_t)(off | (m ? 1 : 0));
    const uint8_t fh[8] = {0x11, 0x00, (uint8_t)(om >> 8), (uint8_t)om,
                           (uint8_t)(id >> 24), (uint8_t)(id >> 16), (uint8_t)(id >> 8), (uint8_t)id};
    memcpy(out + 40, fh, 8);
    memcpy(out + 48, data, len);
    return 48 + len;
}

static struct decoder *mkdec(size_t memcap, uint32_t timeout)
{
    struct decode_config cfg;
    decode_config_default(&cfg);
    cfg.reassemble = 1;
    if (memcap)
        cfg.frag_memcap = memcap;
    cfg.frag_timeout = timeout;
    struct decoder *d = decoder_new(&cfg);
    assert_non_null(d);
    return d;
}

static int feed(struct decoder *d, struct packet *p, const uint8_t *b, uint32_t n, int64_t ts)
{
    memset(p, 0, sizeof(*p));
    p->ts_sec = ts;
    p->linktype = DLT_RAW;
    p->data = b;
    p->caplen = p->wirelen = n;
    return decode_packet(d, p);
}

static int has(const struct packet *p, int a)
{
    for (int i = 0; i < p->n_anomalies; i++)
        if (p->anomalies[i] == a)
            return 1;
    return 0;
}

static void check_whole(const struct packet *p, const uint8_t *expect_data)
{
    assert_true(p->flags & PKT_F_REASSEMBLED);
    assert_int_equal(p->n_layers, 1);
    const struct pkt_ip *ip = &p->layer[0];
    assert_true(ip->reassembled);
    assert_int_equal(ip->total_len, ip->version == 4 ? 44 : 64);
    assert_true(ip->t.valid);
    assert_int_equal(ip->t.sport, 1111);
    assert_int_equal(ip->t.dport, 2222);
    assert_int_equal(ip->t.payload_len, 16);
    assert_memory_equal(ip->t.payload, expect_data, 16);
}

static void test_frag_in_order(void **state)
{
    (void)state;
    struct decoder *d = mkdec(0, 60);
    struct packet p;
    uint8_t a[64], b[64], c[64];
    uint32_t na = frag4(a, 7, 0, 1, udp_dgram, 8);
    uint32_t nb = frag4(b, 7, 8, 1, udp_dgram + 8, 8);
    uint32_t nc = frag4(c, 7, 16, 0, udp_dgram + 16, 8);
    feed(d, &p, a, na, 1);
    assert_true(p.flags & PKT_F_FRAG_HELD);
    assert_null(p.layer[0].l4);
    assert_true(has(&p, DECODE_ANOM_FRAG_TOO_SMALL)); /* 28-byte MF fragment */
    feed(d, &p, b, nb, 1);
    assert_true(p.flags & PKT_F_FRAG_HELD);
    feed(d, &p, c, nc, 1);
    check_whole(&p, udp_dgram + 8);
    assert_false(p.flags & PKT_F_FRAG_HELD);
    decoder_free(d);
}

static void test_frag_out_of_order(void **state)
{
    (void)state;
    struct decoder *d = mkdec(0, 60);
    struct packet p;
    uint8_t a[64], b[64], c[64];
    uint32_t na = frag4(a, 8, 0, 1, udp_dgram, 8);
    uint32_t nb = frag4(b, 8, 8, 1, udp_dgram + 8, 8);
    uint32_t nc = frag4(c, 8, 16, 0, udp_dgram + 16, 8);
    feed(d, &p, c, nc, 1);
    feed(d, &p, a, na, 1);
    assert_true(p.flags & PKT_F_FRAG_HELD);
    feed(d, &p, b, nb, 1);
    check_whole(&p, udp_dgram + 8);
    decoder_free(d);
}

static void test_frag_overlap_same_and_different(void **state)
{
    (void)state;
    struct decoder *d = mkdec(0, 60);
    struct packet p;
    uint8_t a[64], b[64], c[64];
    /* same bytes: 0-16 then 8-24 (overlap 8-16 identical) */
    uint32_t na = frag4(a, 9, 0, 1, udp_dgram, 16);
    uint32_t nb = frag4(b, 9, 8, 0, udp_dgram + 8, 16);
    feed(d, &p, a, na, 1);
    feed(d, &p, b, nb, 1);
    assert_true(has(&p, DECODE_ANOM_FRAG_OVERLAP));
    assert_false(has(&p, DECODE_ANOM_FRAG_INCONSISTENT_OVERLAP));
    check_whole(&p, udp_dgram + 8);
    /* different bytes: first data wins */
    uint8_t evil[16];
    memcpy(evil, udp_dgram + 8, 16);
    memset(evil, 'X', 8);
    na = frag4(a, 10, 0, 1, udp_dgram, 16);
    nb = frag4(b, 10, 8, 0, evil, 16);
    feed(d, &p, a, na, 1);
    feed(d, &p, b, nb, 1);
    assert_true(has(&p, DECODE_ANOM_FRAG_INCONSISTENT_OVERLAP));
    check_whole(&p, udp_dgram + 8);
    assert_int_equal(decoder_anomaly_count(d, DECODE_ANOM_FRAG_INCONSISTENT_OVERLAP), 1);
    /* second last fragment with another end: fragment_size_inconsistency */
    nb = frag4(b, 11, 16, 0, udp_dgram + 16, 8);
    uint32_t nc = frag4(c, 11, 16, 0, udp_dgram + 16, 4);
    feed(d, &p, b, nb, 1);
    feed(d, &p, c, nc, 1);
    assert_true(has(&p, DECODE_ANOM_FRAG_SIZE_INCONSISTENT));
    assert_true(has(&p, DECODE_ANOM_FRAG_OVERLAP));
    na = frag4(a, 11, 0, 1, udp_dgram, 16);
    feed(d, &p, a, na, 1);
    check_whole(&p, udp_dgram + 8);
    decoder_free(d);
}

static void test_frag_timeout(void **state)
{
    (void)state;
    struct decoder *d = mkdec(0, 60);
    struct packet p;
    uint8_t a[64], c[64];
    uint32_t na = frag4(a, 12, 0, 1, udp_dgram, 8);
    uint32_t nc = frag4(c, 12, 8, 0, udp_dgram + 8, 16);
    feed(d, &p, a, na, 100);
    feed(d, &p, c, nc, 160); /* 60 s later: the first fragment expired */
    assert_int_equal(decoder_anomaly_count(d, DECODE_ANOM_FRAG_TIMEOUT), 1);
    assert_true(p.flags & PKT_F_FRAG_HELD);
    feed(d, &p, a, na, 161);
    check_whole(&p, udp_dgram + 8);
    decoder_free(d);
}

static void test_frag_memcap_eviction(void **state)
{
    (void)state;
    struct decoder *d = mkdec(2000, 60);
    struct packet p;
    uint8_t big[1500], data[1400];
    memset(data, 'z', sizeof(data));
    /* Three partial datagrams of ~1400 bytes each cannot all fit in 2000. */
    for (uint16_t id = 1; id <= 3; id++) {
        uint32_t n = frag4(big, id, 0, 1, data, sizeof(data));
        feed(d, &p, big, n, 1);
    }
    assert_true(decoder_anomaly_count(d, DECODE_ANOM_FRAG_MEMCAP) >= 2);
    /* The newest survives: completing it works. */
    uint8_t c[64];
    uint32_t nc = frag4(c, 3, 1400, 0, data, 8);
    feed(d, &p, c, nc, 1);
    assert_true(p.flags & PKT_F_REASSEMBLED);
    assert_int_equal(p.layer[0].total_len, 20 + 1408);
    /* The oldest was evicted: its last fragment is held again. */
    nc = frag4(c, 1, 1400, 0, data, 8);
    feed(d, &p, c, nc, 1);
    assert_true(p.flags & PKT_F_FRAG_HELD);
    decoder_free(d);
}

static void test_frag_too_big_and_incomplete(void **state)
{
    (void)state;
    struct decoder *d = mkdec(0, 60);
    struct packet p;
    uint8_t a[64];
    uint32_t na = frag4(a, 13, 65528, 0, udp_dgram, 16); /* ends at 65544 */
    feed(d, &p, a, na, 1);
    assert_true(has(&p, DECODE_ANOM_FRAG_TOO_BIG));
    assert_false(p.flags & PKT_F_FRAG_HELD);
    /* captured shorter than the fragment: not reassembled, first decoded */
    na = frag4(a, 14, 0, 1, udp_dgram, 16);
    memset(&p, 0, sizeof(p));
    p.linktype = DLT_RAW, p.data = a, p.caplen = na - 4, p.wirelen = na;
    decode_packet(d, &p);
    assert_true(has(&p, DECODE_ANOM_INCOMPLETE_FRAGMENT));
    assert_true(p.layer[0].t.valid);
    decoder_free(d);
}

static void test_frag_ipv6(void **state)
{
    (void)state;
    struct decoder *d = mkdec(0, 60);
    struct packet p;
    uint8_t a[80], b[80];
    uint32_t na = frag6(a, 0xdeadbeef, 0, 1, udp_dgram, 16);
    uint32_t nb = frag6(b, 0xdeadbeef, 16, 0, udp_dgram + 16, 8);
    feed(d, &p, b, nb, 5);
    assert_true(p.flags & PKT_F_FRAG_HELD);
    assert_true(p.layer[0].is_fragment);
    assert_int_equal(p.layer[0].frag_id, 0xdeadbeef);
    assert_int_equal(p.layer[0].frag_offset, 16);
    feed(d, &p, a, na, 5);
    check_whole(&p, udp_dgram + 8);
    assert_int_equal(p.layer[0].proto, 17);
    assert_int_equal(p.layer[0].hdr_len, 40);
    /* atomic fragment (offset 0, M clear) is not a fragment */
    uint32_t n = frag6(a, 1, 0, 0, udp_dgram, 24);
    feed(d, &p, a, n, 5);
    assert_false(p.layer[0].is_fragment);
    assert_true(p.layer[0].t.valid);
    decoder_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frag_in_order),
        cmocka_unit_test(test_frag_out_of_order),
        cmocka_unit_test(test_frag_overlap_same_and_different),
        cmocka_unit_test(test_frag_timeout),
        cmocka_unit_test(test_frag_memcap_eviction),
        cmocka_unit_test(test_frag_too_big_and_incomplete),
        cmocka_unit_test(test_frag_ipv6),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
