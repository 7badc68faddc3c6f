/*
 * test_decode_tunnel.c - link layers (VLAN/QinQ, MPLS, PPPoE, Linux SLL
 * v1/v2, BSD null/loop both byte orders, ARP, unknown link type) and the
 * tunnels (IP-in-IP, GRE with key, ERSPAN II, VXLAN, Geneve, Teredo with
 * origin indication, AYIYA, GTPv1-U) with the tunnel depth cap.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "decode/decode.h"

/* Inner IPv4 10.0.0.1 -> 10.0.0.2 UDP 1000 -> 53, length 8, no payload
 * (total length 28). */
static const uint8_t inner4[28] = {
    0x45, 0x00, 0x00, 0x1c, 0x00, 0x01, 0x00, 0x00, 0x40, 0x11, 0x00, 0x00,
    0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02,
    0x03, 0xe8, 0x00, 0x35, 0x00, 0x08, 0x00, 0x00,
};

/* Inner Ethernet header 02:00:00:00:00:01 <- 02:00:00:00:00:02, IPv4. */
static const uint8_t inner_eth[14] = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00};

/* Inner IPv6 ::1 -> ::2, no next header (59), payload length 0: a Teredo bubble. */
static const uint8_t inner6_bubble[40] = {
    0x60, 0, 0, 0, 0x00, 0x00, 59, 0x40,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
};

/* Outer raw IPv4 192.0.2.1 -> 192.0.2.2 with protocol `proto` around `len` bytes:
 *   45 00 <total> 0000 0000 40 <proto> 0000 c0000201 c0000202 */
static uint32_t outer4(uint8_t *out, uint8_t proto, const uint8_t *body, uint32_t len)
{
    const uint8_t h[20] = {0x45, 0, 0, 0, 0, 0, 0, 0, 0x40, 0, 0, 0,
                           0xc0, 0x00, 0x02, 0x01, 0xc0, 0x00, 0x02, 0x02};
    memcpy(out, h, 20);
    out[2] = (uint8_t)((20 + len) >> 8), out[3] = (uint8_t)(20 + len);
    out[9] = proto;
    memcpy(out + 20, body, len);
    return 20 + len;
}

/* Outer IPv4 + UDP sport -> dport around `len` bytes (UDP length 8 + len). */
static uint32_t outer_udp(uint8_t *out, uint16_t sport, uint16_t dport, const uint8_t *body,
                          uint32_t len)
{
    uint8_t u[8 + 2048];
    u[0] = (uint8_t)(sport >> 8), u[1] = (uint8_t)sport;
    u[2] = (uint8_t)(dport >> 8), u[3] = (uint8_t)dport;
    u[4] = (uint8_t)((8 + len) >> 8), u[5] = (uint8_t)(8 + len);
    u[6] = u[7] = 0;
    memcpy(u + 8, body, len);
    return outer4(out, 17, u, 8 + len);
}

static uint32_t cat(uint8_t *out, const uint8_t *a, uint32_t na, const uint8_t *b, uint32_t nb)
{
    memcpy(out, a, na);
    memcpy(out + na, b, nb);
    return na + nb;
}

static struct decoder *mkdec(int depth)
{
    struct decode_config cfg;
    decode_config_default(&cfg);
    cfg.max_tunnel_depth = depth;
    struct decoder *d = decoder_new(&cfg);
    assert_non_null(d);
    return d;
}

static int run(struct decoder *d, struct packet *p, int lt, const uint8_t *b, uint32_t n)
{
    memset(p, 0, sizeof(*p));
    p->linktype = lt;
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

static void expect_inner4(const struct packet *p, int layers)
{
    assert_int_equal(p->n_layers, layers);
    const struct pkt_ip *in = &p->layer[layers - 1];
    assert_int_equal(in->version, 4);
    assert_int_equal(in->src[0], 10);
    assert_int_equal(in->t.dport, 53);
    assert_true(in->t.valid);
}

static void test_link_vlan_mpls_pppoe(void **state)
{
    (void)state;
    struct decoder *d = mkdec(2);
    struct packet p;
    uint8_t f[256];
    /* MACs, 88a8 tag 100, 8100 tag 200, IPv4 */
    const uint8_t qinq[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x88, 0xa8, 0x00, 0x64,
                            0x81, 0x00, 0x00, 0xc8, 0x08, 0x00};
    uint32_t n = cat(f, qinq, sizeof(qinq), inner4, sizeof(inner4));
    assert_int_equal(run(d, &p, 1, f, n), 0);
    assert_int_equal(p.link.n_vlan, 2);
    assert_int_equal(p.link.vlan[0], 100);
    assert_int_equal(p.link.vlan[1], 200);
    assert_int_equal(p.link.hdr_len, 22);
    expect_inner4(&p, 1);
    run(d, &p, 1, f, 16); /* cut inside the first tag */
    assert_true(has(&p, DECODE_ANOM_TRUNCATED_VLAN));
    /* MACs, 8847, label 16 (not bottom), label 17 (bottom of stack), IPv4 */
    const uint8_t mpls[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x88, 0x47,
                            0x00, 0x01, 0x00, 0x40, 0x00, 0x01, 0x11, 0x40};
    n = cat(f, mpls, sizeof(mpls), inner4, sizeof(inner4));
    assert_int_equal(run(d, &p, 1, f, n), 0);
    assert_int_equal(p.link.n_mpls, 2);
    assert_int_equal(p.link.mpls[0], 16);
    assert_int_equal(p.link.mpls[1], 17);
    expect_inner4(&p, 1);
    run(d, &p, 1, f, 18);
    assert_true(has(&p, DECODE_ANOM_TRUNCATED_LINK));
    /* MACs, 8864 PPPoE session: ver/type 11, code 0, session 1, length 30, PPP 0021 */
    const uint8_t pppoe[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x88, 0x64,
                             0x11, 0x00, 0x00, 0x01, 0x00, 0x1e, 0x00, 0x21};
    n = cat(f, pppoe, sizeof(pppoe), inner4, sizeof(inner4));
    assert_int_equal(run(d, &p, 1, f, n), 0);
    assert_true(p.link.pppoe);
    expect_inner4(&p, 1);
    run(d, &p, 1, f, 19);
    assert_true(has(&p, DECODE_ANOM_TRUNCATED_PPPOE));
    decoder_free(d);
}

static void test_link_cooked_null_arp(void **state)
{
    (void)state;
    struct decoder *d = mkdec(2);
    struct packet p;
    uint8_t f[256];
    /* SLL: pkttype 0, ARPHRD_ETHER 1, halen 6, addr 02..07 + 2 pad, proto 0800 */
    const uint8_t sll[16] = {0, 0, 0, 1, 0, 6, 2, 3, 4, 5, 6, 7, 0, 0, 0x08, 0x00};
    uint32_t n = cat(f, sll, 16, inner4, sizeof(inner4));
    assert_int_equal(run(d, &p, 113, f, n), 0);
    assert_true(p.link.has_mac);
    assert_int_equal(p.link.src_mac[0], 2);
    expect_inner4(&p, 1);
    run(d, &p, 113, f, 10);
    assert_true(has(&p, DECODE_ANOM_TRUNCATED_SLL));
    /* SLL2: proto 0800, reserved, ifindex 3, ARPHRD_ETHER, pkttype 0, halen 6, addr */
    const uint8_t sll2[20] = {0x08, 0x00, 0, 0, 0, 0, 0, 3, 0, 1, 0, 6, 2, 3, 4, 5, 6, 7, 0, 0};
    n = cat(f, sll2, 20, inner4, sizeof(inner4));
    assert_int_equal(run(d, &p, 276, f, n), 0);
    expect_inner4(&p, 1);
    /* NULL: AF_INET 2 little-endian, then big-endian (other byte order) */
    const uint8_t null_le[4] = {2, 0, 0, 0}, null_be[4] = {0, 0, 0, 2};
    n = cat(f, null_le, 4, inner4, sizeof(inner4));
    assert_int_equal(run(d, &p, 0, f, n), 0);
    expect_inner4(&p, 1);
    n = cat(f, null_be, 4, inner4, sizeof(inner4));
    assert_int_equal(run(d, &p, 0, f, n), 0);
    expect_inner4(&p, 1);
    assert_int_equal(run(d, &p, 108, f, n), 0); /* LOOP: network order */
    expect_inner4(&p, 1);
    run(d, &p, 0, f, 3);
    assert_true(has(&p, DECODE_ANOM_NULL_FAILED));
    /* raw IP under DLT_RAW (12), LINKTYPE_RAW (101), DLT_IPV4 (228) */
    assert_int_equal(run(d, &p, 101, inner4, sizeof(inner4)), 0);
    expect_inner4(&p, 1);
    assert_int_equal(run(d, &p, 228, inner4, sizeof(inner4)), 0);
    expect_inner4(&p, 1);
    /* ARP request: who has 10.0.0.2 tell 10.0.0.1 (from 02:..:01) */
    const uint8_t arp[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x06,
                           0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01,
                           2, 0, 0, 0, 0, 1, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10, 0, 0, 2};
    assert_int_equal(run(d, &p, 1, arp, sizeof(arp)), 0);
    assert_true(p.flags & PKT_F_ARP);
    assert_int_equal(p.arp.op, 1);
    assert_int_equal(p.arp.tpa[3], 2);
    run(d, &p, 1, arp, 20);
    assert_true(has(&p, DECODE_ANOM_TRUNCATED_ARP));
    assert_true(run(d, &p, 9999, arp, sizeof(arp)) < 0);
    assert_true(has(&p, DECODE_ANOM_UNKNOWN_LINKTYPE));
    decoder_free(d);
}

static void test_tunnel_ipip_gre(void **state)
{
    (void)state;
    struct decoder *d = mkdec(2);
    struct packet p;
    uint8_t f[512], g[256];
    uint32_t n = outer4(f, 4, inner4, sizeof(inner4));
    assert_int_equal(run(d, &p, 12, f, n), 0);
    expect_inner4(&p, 2);
    assert_int_equal(p.layer[0].encap, PKT_ENCAP_IPIP);
    /* proto 41 but an IPv4 inside: invalid_inner_IP_version */
    n = outer4(f, 41, inner4, sizeof(inner4));
    run(d, &p, 12, f, n);
    assert_true(has(&p, DECODE_ANOM_INVALID_INNER_IP_VERSION));
    /* GRE: K bit, proto 0800, key 0x00000abc */
    const uint8_t gre_k[8] = {0x20, 0x00, 0x08, 0x00, 0x00, 0x00, 0x0a, 0xbc};
    uint32_t gn = cat(g, gre_k, 8, inner4, sizeof(inner4));
    n = outer4(f, 47, g, gn);
    assert_int_equal(run(d, &p, 12, f, n), 0);
    expect_inner4(&p, 2);
    assert_int_equal(p.layer[0].encap, PKT_ENCAP_GRE);
    assert_true(p.layer[0].has_encap_id);
    assert_int_equal(p.layer[0].encap_id, 0xabc);
    n = outer4(f, 47, g, 6);
    run(d, &p, 12, f, n);
    assert_true(has(&p, DECODE_ANOM_TRUNCATED_GRE));
    /* GRE version 2 -> unknown_gre_version */
    const uint8_t gre_v2[4] = {0x00, 0x02, 0x08, 0x00};
    n = outer4(f, 47, gre_v2, 4);
    run(d, &p, 12, f, n);
    assert_true(has(&p, DECODE_ANOM_UNKNOWN_GRE_VERSION));
    /* ERSPAN II: GRE S bit, proto 88be, seq 1, 8-byte ERSPAN header, Ethernet */
    const uint8_t erspan[16] = {0x10, 0x00, 0x88, 0xbe, 0, 0, 0, 1,
                                0x10, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
    gn = cat(g, erspan, 16, inner_eth, 14);
    gn += (uint32_t)(memcpy(g + gn, inner4, sizeof(inner4)), sizeof(inner4));
    n = outer4(f, 47, g, gn);
    assert_int_equal(run(d, &p, 12, f, n), 0);
    expect_inner4(&p, 2);
    assert_int_equal(p.layer[0].encap, PKT_ENCAP_GRE);
    decoder_free(d);
}

static void test_tunnel_udp(void **state)
{
    (void)state;
    struct decoder *d = mkdec(2);
    struct packet p;
    uint8_t f[512], b[256];
    /* VXLAN: flags 08 (I), VNI 0x123456, inner Ethernet + IPv4 */
    const uint8_t vx[8] = {0x08, 0, 0, 0, 0x12, 0x34, 0x56, 0};
    uint32_t bn = cat(b, vx, 8, inner_eth, 14);
    bn += (uint32_t)(memcpy(b + bn, inner4, sizeof(inner4)), sizeof(inner4));
    uint32_t n = outer_udp(f, 50000, 4789, b, bn);
    assert_int_equal(run(d, &p, 12, f, n), 0);
    expect_inner4(&p, 2);
    assert_int_equal(p.layer[0].encap, PKT_ENCAP_VXLAN);
    assert_int_equal(p.layer[0].encap_id, 0x123456);
    n = outer_udp(f, 50000, 4789, b, 8);
    run(d, &p, 12, f, n);
    assert_true(has(&p, DECODE_ANOM_VXLAN_EMPTY));
    /* Geneve: ver 0, optlen 1 (4 bytes), proto 6558, VNI 7, one option */
    const uint8_t gen[12] = {0x01, 0x00, 0x65, 0x58, 0, 0, 7, 0, 0x01, 0x02, 0x03, 0x00};
    bn = cat(b, gen, 12, inner_eth, 14);
    bn += (uint32_t)(memcpy(b + bn, inner4, sizeof(inner4)), sizeof(inner4));
    n = outer_udp(f, 50000, 6081, b, bn);
    assert_int_equal(run(d, &p, 12, f, n), 0);
    expect_inner4(&p, 2);
    assert_int_equal(p.layer[0].encap, PKT_ENCAP_GENEVE);
    assert_int_equal(p.layer[0].encap_id, 7);
    /* Teredo: origin indication (port 3544^ffff, addr 192.0.2.9^ff) + bubble */
    const uint8_t origin[8] = {0x00, 0x00, 0xf2, 0x27, 0x3f, 0xff, 0xfd, 0xf6};
    bn = cat(b, origin, 8, inner6_bubble, 40);
    n = outer_udp(f, 3544, 40000, b, bn);
    assert_int_equal(run(d, &p, 12, f, n), 0);
    assert_int_equal(p.n_layers, 2);
    assert_int_equal(p.layer[0].encap, PKT_ENCAP_TEREDO);
    assert_true(p.layer[0].teredo_flags & PKT_TEREDO_ORIGIN);
    assert_true(p.layer[0].teredo_flags & PKT_TEREDO_BUBBLE);
    assert_int_equal(p.layer[0].teredo_origin_port, 0x0dd8);
    assert_int_equal(p.layer[0].teredo_origin_addr[3], 9);
    assert_false(has(&p, DECODE_ANOM_IPV6_NO_NEXT));
    /* Teredo port but not IPv6 inside: plain UDP, no anomaly */
    n = outer_udp(f, 3544, 40000, inner4, sizeof(inner4));
    assert_int_equal(run(d, &p, 12, f, n), 0);
    assert_int_equal(p.n_layers, 1);
    assert_int_equal(p.n_anomalies, 0);
    /* AYIYA: id len 2^1... b0=0x11 (id 2 bytes), b1=0x52 (sig 20), op 1, next 4 */
    uint8_t ay[8 + 2 + 20] = {0x11, 0x52, 0x11, 0x04, 0, 0, 0, 0};
    bn = cat(b, ay, sizeof(ay), inner4, sizeof(inner4));
    n = outer_udp(f, 5072, 5072, b, bn);
    assert_int_equal(run(d, &p, 12, f, n), 0);
    expect_inner4(&p, 2);
    assert_int_equal(p.layer[0].encap, PKT_ENCAP_AYIYA);
    /* GTPv1-U: flags 30 (v1, PT), T-PDU ff, length 28, TEID 0x01020304 */
    const uint8_t gtp[8] = {0x30, 0xff, 0x00, 0x1c, 0x01, 0x02, 0x03, 0x04};
    bn = cat(b, gtp, 8, inner4, sizeof(inner4));
    n = outer_udp(f, 2152, 2152, b, bn);
    assert_int_equal(run(d, &p, 12, f, n), 0);
    expect_inner4(&p, 2);
    assert_int_equal(p.layer[0].encap, PKT_ENCAP_GTPU);
    assert_int_equal(p.layer[0].encap_id, 0x01020304);
    /* GRE in UDP 4754 */
    const uint8_t gre[4] = {0x00, 0x00, 0x08, 0x00};
    bn = cat(b, gre, 4, inner4, sizeof(inner4));
    n = outer_udp(f, 1, 4754, b, bn);
    assert_int_equal(run(d, &p, 12, f, n), 0);
    expect_inner4(&p, 2);
    /* capture cut inside the VXLAN header */
    bn = cat(b, vx, 8, inner_eth, 14);
    n = outer_udp(f, 50000, 4789, b, bn);
    memset(&p, 0, sizeof(p));
    p.linktype = 12, p.data = f, p.caplen = 32, p.wirelen = n;
    decode_packet(d, &p);
    assert_true(has(&p, DECODE_ANOM_TRUNCATED_TUNNEL));
    decoder_free(d);
}

static void test_tunnel_depth_cap(void **state)
{
    (void)state;
    struct decoder *d0 = mkdec(0), *d1 = mkdec(1);
    struct packet p;
    uint8_t f1[128], f2[256];
    uint32_t n1 = outer4(f1, 4, inner4, sizeof(inner4));
    uint32_t n2 = outer4(f2, 4, f1, n1); /* IPv4 in IPv4 in IPv4 */
    assert_int_equal(run(d0, &p, 12, f2, n2), 0);
    assert_int_equal(p.n_layers, 1);
    assert_true(has(&p, DECODE_ANOM_TUNNEL_MAX_DEPTH));
    assert_int_equal(p.layer[0].encap, PKT_ENCAP_NONE);
    run(d1, &p, 12, f2, n2);
    assert_int_equal(p.n_layers, 2);
    assert_true(has(&p, DECODE_ANOM_TUNNEL_MAX_DEPTH));
    decoder_free(d0);
    decoder_free(d1);
    struct decoder *d2 = mkdec(2);
    run(d2, &p, 12, f2, n2);
    expect_inner4(&p, 3);
    decoder_free(d2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_link_vlan_mpls_pppoe),
        cmocka_unit_test(test_link_cooked_null_arp),
        cmocka_unit_test(test_tunnel_ipip_gre),
        cmocka_unit_test(test_tunnel_udp),
        cmocka_unit_test(test_tunnel_depth_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
