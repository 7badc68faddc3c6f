/*
 * test_decode_ip.c - IPv4 (options, lengths, checksums), IPv6 (extension
 * headers, routing type 0, ESP, no-next-header), TCP (options, header
 * lengths), UDP and ICMP decoding, and truncation at every byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "decode/decode.h"

#define DLT_EN10MB 1
#define DLT_RAW 12

/* Ethernet 00:11:22:33:44:55 <- 66:77:88:99:aa:bb, IPv4 192.168.1.1 ->
 * 192.168.1.2 TCP 1234 -> 80 SYN seq 1, data offset 8 (32 bytes), options
 * MSS 1460, NOP, window scale 7, SACK permitted, NOP, NOP (pad) then
 * timestamps 0x01020304/0 would not fit - see eth_ip_tcp_ts below. */
static const uint8_t eth_ip_tcp[] = {
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0x08, 0x00,
    /* IPv4: v4 IHL 5, tos 0, total 52, id 0x1234, DF, ttl 64, TCP, csum 0 */
    0x45, 0x00, 0x00, 0x34, 0x12, 0x34, 0x40, 0x00, 0x40, 0x06, 0x00, 0x00,
    0xc0, 0xa8, 0x01, 0x01, 0xc0, 0xa8, 0x01, 0x02,
    /* TCP: 1234 -> 80, seq 1, ack 0, offset 8, SYN, win 65535, csum 0, urg 0 */
    0x04, 0xd2, 0x00, 0x50, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
    0x80, 0x02, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
    /* options: MSS 1460 | NOP | WS 7 | SACK-perm | NOP NOP | EOL pad */
    0x02, 0x04, 0x05, 0xb4, 0x01, 0x03, 0x03, 0x07, 0x04, 0x02, 0x01, 0x01,
};

/* Raw IPv4 10.0.0.1 -> 10.0.0.2, TCP 80 -> 1234 ACK, offset 11 (44 bytes):
 * NOP NOP timestamps 100/200, NOP NOP SACK one block 1000-2000, then 4
 * payload bytes "abcd". Total length 20 + 44 + 4 = 68. */
static const uint8_t ip_tcp_ts_sack[] = {
    0x45, 0x00, 0x00, 0x44, 0x00, 0x01, 0x00, 0x00, 0x40, 0x06, 0x00, 0x00,
    0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02,
    0x00, 0x50, 0x04, 0xd2, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x20,
    0xb0, 0x10, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x01, 0x08, 0x0a, 0x00, 0x00, 0x00, 0x64, 0x00, 0x00, 0x00, 0xc8,
    0x01, 0x01, 0x05, 0x0a, 0x00, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x07, 0xd0,
    'a', 'b', 'c', 'd',
};

/* Raw IPv4 with 4 bytes of options (router alert 94 04 00 00) carrying
 * UDP 53 -> 5353 length 12 with payload "hi!!"; then ICMP is separate. */
static const uint8_t ip_opt_udp[] = {
    0x46, 0x00, 0x00, 0x24, 0x00, 0x02, 0x00, 0x00, 0x01, 0x11, 0x00, 0x00,
    0x0a, 0x00, 0x00, 0x01, 0xe0, 0x00, 0x00, 0xfb,
    0x94, 0x04, 0x00, 0x00,
    0x00, 0x35, 0x14, 0xe9, 0x00, 0x0c, 0x00, 0x00, 'h', 'i', '!', '!',
};

/* Raw IPv4 ICMP echo request id 0x4242 seq 7, 4 bytes of data. */
static const uint8_t ip_icmp_echo[] = {
    0x45, 0x00, 0x00, 0x20, 0x00, 0x03, 0x00, 0x00, 0x40, 0x01, 0x00, 0x00,
    0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02,
    0x08, 0x00, 0x00, 0x00, 0x42, 0x42, 0x00, 0x07, 'p', 'i', 'n', 'g',
};

/* Raw IPv6 2001:db8::1 -> 2001:db8::2, hop-by-hop (8 bytes, PadN) then
 * destination options (8 bytes) then UDP 1000 -> 2000 len 8.  Payload
 * length 24. */
static const uint8_t ip6_ext_udp[] = {
    0x60, 0x00, 0x00, 0x00, 0x00, 0x18, 0x00, 0x40,
    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02,
    /* HBH: next 60, len 0, PadN 4 */
    0x3c, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00,
    /* DstOpts: next 17, len 0, PadN 4 */
    0x11, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00,
    0x03, 0xe8, 0x07, 0xd0, 0x00, 0x08, 0x00, 0x00,
};

/* Raw IPv6 2001:db8::1 -> 2001:db8::2 with a type-0 routing header, one
 * address 2001:db8::99, segments left 1, then ICMPv6 echo request id 1
 * seq 2.  Payload length 24 + 8. */
static const uint8_t ip6_rh0_icmp6[] = {
    0x60, 0x00, 0x00, 0x00, 0x00, 0x20, 0x2b, 0x40,
    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02,
    /* routing: next 58, len 2, type 0, segleft 1, reserved */
    0x3a, 0x02, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x99,
    /* ICMPv6 echo request 128/0, csum 0, id 1, seq 2 */
    0x80, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x02,
};

static struct decoder *mkdec(int reasm, int cks)
{
    struct decode_config cfg;
    decode_config_default(&cfg);
    cfg.reassemble = reasm;
    cfg.check_checksums = cks;
    struct decoder *d = decoder_new(&cfg);
    assert_non_null(d);
    return d;
}

static int run(struct decoder *d, struct packet *p, int lt, const uint8_t *b, uint32_t cap,
               uint32_t wire)
{
    memset(p, 0xa5, sizeof(*p)); /* the decoder must not rely on a zeroed packet */
    p->ts_sec = 1;
    p->ts_nsec = 0;
    p->linktype = lt;
    p->data = b;
    p->caplen = cap;
    p->wirelen = wire;
    return decode_packet(d, p);
}

static int has(const struct packet *p, int a)
{
    for (int i = 0; i < p->n_anomalies; i++)
        if (p->anomalies[i] == a)
            return 1;
    return 0;
}

static void test_ipv4_tcp_options(void **state)
{
    (void)state;
    struct decoder *d = mkdec(0, 0);
    struct packet p;
    assert_int_equal(run(d, &p, DLT_EN10MB, eth_ip_tcp, sizeof(eth_ip_tcp), sizeof(eth_ip_tcp)), 0);
    assert_int_equal(p.n_anomalies, 0);
    assert_true(p.link.has_mac);
    assert_int_equal(p.link.ethertype, 0x0800);
    assert_int_equal(p.link.hdr_len, 14);
    assert_int_equal(p.n_layers, 1);
    const struct pkt_ip *ip = &p.layer[0];
    assert_int_equal(ip->version, 4);
    assert_int_equal(ip->total_len, 52);
    assert_int_equal(ip->hdr_len, 20);
    assert_true(ip->df);
    assert_false(ip->is_fragment);
    assert_int_equal(ip->src[0], 192);
    assert_int_equal(ip->dst[3], 2);
    assert_int_equal(ip->encap, PKT_ENCAP_NONE);
    assert_true(ip->t.valid);
    assert_int_equal(ip->t.sport, 1234);
    assert_int_equal(ip->t.dport, 80);
    assert_int_equal(ip->t.tcp_flags, 0x02);
    assert_int_equal(ip->t.tcp_hlen, 32);
    assert_int_equal(ip->t.mss, 1460);
    assert_int_equal(ip->t.wscale, 7);
    assert_true(ip->t.sack_permitted);
    assert_false(ip->t.has_ts);
    assert_int_equal(ip->t.payload_len, 0);
    assert_int_equal(ip->t.payload_wire_len, 0);
    decoder_free(d);
}

static void test_tcp_ts_sack_payload(void **state)
{
    (void)state;
    struct decoder *d = mkdec(0, 0);
    struct packet p;
    /* 10 bytes of Ethernet-like padding after the datagram are not payload. */
    uint8_t buf[sizeof(ip_tcp_ts_sack) + 10] = {0};
    memcpy(buf, ip_tcp_ts_sack, sizeof(ip_tcp_ts_sack));
    assert_int_equal(run(d, &p, DLT_RAW, buf, sizeof(buf), sizeof(buf)), 0);
    const struct pkt_l4 *t = &p.layer[0].t;
    assert_true(t->valid);
    assert_int_equal(t->tcp_flags, 0x10);
    assert_true(t->has_ts);
    assert_int_equal(t->tsval, 100);
    assert_int_equal(t->tsecr, 200);
    assert_int_equal(t->n_sack, 1);
    assert_int_equal(t->sack[0][0], 1000);
    assert_int_equal(t->sack[0][1], 2000);
    assert_int_equal(t->mss, 0);
    assert_int_equal(t->wscale, -1);
    assert_int_equal(t->payload_len, 4);
    assert_int_equal(t->payload_wire_len, 4);
    assert_memory_equal(t->payload, "abcd", 4);
    /* Snaplen cut 2 payload bytes: payload_len 2, wire length still 4. */
    assert_int_equal(run(d, &p, DLT_RAW, buf, sizeof(ip_tcp_ts_sack) - 2, sizeof(ip_tcp_ts_sack)), 0);
    assert_int_equal(p.layer[0].t.payload_len, 2);
    assert_int_equal(p.layer[0].t.payload_wire_len, 4);
    assert_int_equal(p.n_anomalies, 0);
    decoder_free(d);
}

static void test_tcp_bad_lengths(void **state)
{
    (void)state;
    struct decoder *d = mkdec(0, 0);
    struct packet p;
    uint8_t b[sizeof(ip_tcp_ts_sack)];
    /* data offset 4 (< 5) -> bad_TCP_header_len */
    memcpy(b, ip_tcp_ts_sack, sizeof(b));
    b[32] = 0x40;
    run(d, &p, DLT_RAW, b, sizeof(b), sizeof(b));
    assert_true(has(&p, DECODE_ANOM_BAD_TCP_HDR_LEN));
    assert_true(p.flags & PKT_F_MALFORMED);
    assert_false(p.layer[0].t.valid);
    /* data offset 15 (60 bytes) > 48 bytes of IP payload -> truncated_header */
    b[32] = 0xf0;
    run(d, &p, DLT_RAW, b, sizeof(b), sizeof(b));
    assert_true(has(&p, DECODE_ANOM_TRUNCATED_HEADER));
    /* option length 1 -> bad_TCP_option_length, header still valid */
    memcpy(b, ip_tcp_ts_sack, sizeof(b));
    b[42] = 0x08, b[43] = 0x01;
    run(d, &p, DLT_RAW, b, sizeof(b), sizeof(b));
    assert_true(has(&p, DECODE_ANOM_TCP_OPTION_LEN));
    assert_true(p.layer[0].t.valid);
    /* IP total length 30: 10 bytes for TCP -> truncated_header */
    memcpy(b, ip_tcp_ts_sack, sizeof(b));
    b[3] = 30;
    run(d, &p, DLT_RAW, b, sizeof(b), sizeof(b));
    assert_true(has(&p, DECODE_ANOM_TRUNCATED_HEADER));
    decoder_free(d);
}

static void test_ipv4_bad_lengths(void **state)
{
    (void)state;
    struct decoder *d = mkdec(0, 0);
    struct packet p;
    uint8_t b[sizeof(ip_tcp_ts_sack)];
    memcpy(b, ip_tcp_ts_sack, sizeof(b));
    b[0] = 0x44; /* IHL 4 */
    run(d, &p, DLT_RAW, b, sizeof(b), sizeof(b));
    assert_true(has(&p, DECODE_ANOM_IP_HDR_LEN_TOO_SMALL));
    assert_int_equal(p.n_layers, 1); /* addresses kept */
    assert_int_equal(p.layer[0].src[0], 10);
    memcpy(b, ip_tcp_ts_sack, sizeof(b));
    b[2] = 0, b[3] = 16; /* total 16 < header 20 */
    run(d, &p, DLT_RAW, b, sizeof(b), sizeof(b));
    assert_true(has(&p, DECODE_ANOM_IP_LEN_TOO_SMALL));
    memcpy(b, ip_tcp_ts_sack, sizeof(b));
    b[2] = 0, b[3] = 0; /* total 0 (TSO): captured length used */
    run(d, &p, DLT_RAW, b, sizeof(b), sizeof(b));
    assert_true(has(&p, DECODE_ANOM_IP_HDR_LEN_ZERO));
    assert_int_equal(p.layer[0].total_len, sizeof(b));
    assert_true(p.layer[0].t.valid);
    memcpy(b, ip_tcp_ts_sack, sizeof(b));
    b[0] = 0x55; /* version 5 */
    assert_true(run(d, &p, DLT_RAW, b, sizeof(b), sizeof(b)) < 0);
    assert_true(has(&p, DECODE_ANOM_IP_VERSION_MISMATCH));
    /* wire shorter than total length */
    run(d, &p, DLT_RAW, ip_tcp_ts_sack, 40, 40);
    assert_true(has(&p, DECODE_ANOM_TRUNCATED_IP_LEN));
    decoder_free(d);
}

/* Truncate the Ethernet/IPv4/TCP frame at every length. */
static void test_truncation_every_byte(void **state)
{
    (void)state;
    struct decoder *d = mkdec(1, 1);
    struct packet p;
    for (uint32_t n = 0; n < sizeof(eth_ip_tcp); n++) {
        run(d, &p, DLT_EN10MB, eth_ip_tcp, n, sizeof(eth_ip_tcp));
        assert_true(p.flags & (PKT_F_TRUNCATED | PKT_F_MALFORMED));
        if (n < 14)
            assert_true(has(&p, DECODE_ANOM_TRUNCATED_ETHERNET));
        else if (n < 34)
            assert_true(has(&p, DECODE_ANOM_TRUNCATED_IP));
        else
            assert_true(has(&p, DECODE_ANOM_INTERNALLY_TRUNCATED));
        if (n >= 34)
            assert_int_equal(p.n_layers, 1);
    }
    for (uint32_t n = 0; n < sizeof(ip6_rh0_icmp6); n++) {
        run(d, &p, DLT_RAW, ip6_rh0_icmp6, n, sizeof(ip6_rh0_icmp6));
        assert_true(p.flags & PKT_F_TRUNCATED);
    }
    decoder_free(d);
}

static void test_udp_icmp(void **state)
{
    (void)state;
    struct decoder *d = mkdec(0, 0);
    struct packet p;
    assert_int_equal(run(d, &p, DLT_RAW, ip_opt_udp, sizeof(ip_opt_udp), sizeof(ip_opt_udp)), 0);
    assert_int_equal(p.n_anomalies, 0);
    assert_int_equal(p.layer[0].hdr_len, 24);
    assert_true(p.layer[0].ip_options & PKT_IPOPT_RA);
    assert_int_equal(p.layer[0].t.sport, 53);
    assert_int_equal(p.layer[0].t.dport, 5353);
    assert_int_equal(p.layer[0].t.payload_len, 4);
    uint8_t b[sizeof(ip_opt_udp)];
    memcpy(b, ip_opt_udp, sizeof(b));
    b[29] = 0x0a; /* UDP length 10 != 12 */
    run(d, &p, DLT_RAW, b, sizeof(b), sizeof(b));
    assert_true(has(&p, DECODE_ANOM_UDP_LEN_MISMATCH));
    assert_int_equal(p.layer[0].t.payload_len, 2);
    memcpy(b, ip_opt_udp, sizeof(b));
    b[21] = 0x09; /* option length runs past the header */
    run(d, &p, DLT_RAW, b, sizeof(b), sizeof(b));
    assert_true(has(&p, DECODE_ANOM_BAD_IP_OPTION));
    assert_int_equal(run(d, &p, DLT_RAW, ip_icmp_echo, sizeof(ip_icmp_echo), sizeof(ip_icmp_echo)), 0);
    assert_int_equal(p.layer[0].t.icmp_type, 8);
    assert_int_equal(p.layer[0].t.icmp_id, 0x4242);
    assert_int_equal(p.layer[0].t.icmp_seq, 7);
    assert_int_equal(p.layer[0].t.payload_len, 4);
    decoder_free(d);
}

static uint16_t sum16(const uint8_t *b, size_t n, uint32_t s)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        s += (uint32_t)(b[i] << 8 | b[i + 1]);
    if (n & 1)
        s += (uint32_t)b[n - 1] << 8;
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

static void test_checksums(void **state)
{
    (void)state;
    struct decoder *d = mkdec(0, 1);
    struct decoder *off = mkdec(0, 0);
    struct packet p;
    uint8_t b[sizeof(ip_icmp_echo)];
    memcpy(b, ip_icmp_echo, sizeof(b));
    uint16_t c = sum16(b, 20, 0);
    b[10] = (uint8_t)(c >> 8), b[11] = (uint8_t)c;
    c = sum16(b + 20, 12, 0);
    b[22] = (uint8_t)(c >> 8), b[23] = (uint8_t)c;
    run(d, &p, DLT_RAW, b, sizeof(b), sizeof(b));
    assert_int_equal(p.n_anomalies, 0);
    b[31] ^= 1; /* ICMP data changed */
    run(d, &p, DLT_RAW, b, sizeof(b), sizeof(b));
    assert_true(has(&p, DECODE_ANOM_BAD_ICMP_CHECKSUM));
    run(off, &p, DLT_RAW, b, sizeof(b), sizeof(b));
    assert_int_equal(p.n_anomalies, 0);
    b[8] = 1; /* TTL changed */
    run(d, &p, DLT_RAW, b, sizeof(b), sizeof(b));
    assert_true(has(&p, DECODE_ANOM_BAD_IP_CHECKSUM));
    /* TCP: pseudo header 10.0.0.1 10.0.0.2 proto 6 len 48 */
    uint8_t t[sizeof(ip_tcp_ts_sack)];
    memcpy(t, ip_tcp_ts_sack, sizeof(t));
    c = sum16(t, 20, 0);
    t[10] = (uint8_t)(c >> 8), t[11] = (uint8_t)c;
    uint32_t ps = 0x0a00 + 0x0001 + 0x0a00 + 0x0002 + 6 + 48;
    c = sum16(t + 20, 48, ps);
    t[36] = (uint8_t)(c >> 8), t[37] = (uint8_t)c;
    run(d, &p, DLT_RAW, t, sizeof(t), sizeof(t));
    assert_int_equal(p.n_anomalies, 0);
    t[67] = 'x';
    run(d, &p, DLT_RAW, t, sizeof(t), sizeof(t));
    assert_true(has(&p, DECODE_ANOM_BAD_TCP_CHECKSUM));
    /* UDP with a wrong checksum */
    uint8_t u[sizeof(ip_opt_udp)];
    memcpy(u, ip_opt_udp, sizeof(u));
    c = sum16(u, 24, 0);
    u[10] = (uint8_t)(c >> 8), u[11] = (uint8_t)c;
    u[30] = 0x12, u[31] = 0x34;
    run(d, &p, DLT_RAW, u, sizeof(u), sizeof(u));
    assert_true(has(&p, DECODE_ANOM_BAD_UDP_CHECKSUM));
    decoder_free(d);
    decoder_free(off);
}

static void test_ipv6_ext_headers(void **state)
{
    (void)state;
    struct decoder *d = mkdec(0, 0);
    struct packet p;
    assert_int_equal(run(d, &p, DLT_RAW, ip6_ext_udp, sizeof(ip6_ext_udp), sizeof(ip6_ext_udp)), 0);
    assert_int_equal(p.n_anomalies, 0);
    const struct pkt_ip *ip = &p.layer[0];
    assert_int_equal(ip->version, 6);
    assert_int_equal(ip->proto, 17);
    assert_int_equal(ip->hdr_len, 56);
    assert_int_equal(ip->total_len, 64);
    assert_int_equal(ip->ttl, 64);
    assert_int_equal(ip->t.sport, 1000);
    assert_int_equal(ip->t.dport, 2000);
    /* Extension header chain cut by the payload length -> truncated_IPv6 */
    uint8_t b[sizeof(ip6_ext_udp)];
    memcpy(b, ip6_ext_udp, sizeof(b));
    b[5] = 12;
    run(d, &p, DLT_RAW, b, sizeof(b), sizeof(b));
    assert_true(has(&p, DECODE_ANOM_TRUNCATED_IPV6));
    /* ESP stops; no next header raises ipv6_no_next */
    memcpy(b, ip6_ext_udp, sizeof(b));
    b[48] = 50;
    assert_int_equal(run(d, &p, DLT_RAW, b, sizeof(b), sizeof(b)), 0);
    assert_int_equal(p.layer[0].proto, 50);
    assert_false(p.layer[0].t.valid);
    assert_int_equal(p.layer[0].t.payload_len, 8);
    b[48] = 59;
    run(d, &p, DLT_RAW, b, sizeof(b), sizeof(b));
    assert_true(has(&p, DECODE_ANOM_IPV6_NO_NEXT));
    assert_null(p.layer[0].l4);
    decoder_free(d);
}

static void test_ipv6_routing0(void **state)
{
    (void)state;
    struct decoder *d = mkdec(0, 0);
    struct packet p;
    run(d, &p, DLT_RAW, ip6_rh0_icmp6, sizeof(ip6_rh0_icmp6), sizeof(ip6_rh0_icmp6));
    assert_true(has(&p, DECODE_ANOM_ROUTING0_HDR));
    /* Zeek: the final destination of the routing header is the destination */
    assert_int_equal(p.layer[0].dst[15], 0x99);
    assert_int_equal(p.layer[0].proto, 58);
    assert_int_equal(p.layer[0].t.icmp_type, 128);
    assert_int_equal(p.layer[0].t.icmp_id, 1);
    assert_int_equal(p.layer[0].t.icmp_seq, 2);
    assert_int_equal(decoder_anomaly_count(d, DECODE_ANOM_ROUTING0_HDR), 1);
    decoder_free(d);
}

/* IPv4 fragment at offset 8 with reassembly off: no transport header. */
static void test_nonfirst_fragment_no_reassembly(void **state)
{
    (void)state;
    struct decoder *d = mkdec(0, 0);
    struct packet p;
    uint8_t b[sizeof(ip_tcp_ts_sack)];
    memcpy(b, ip_tcp_ts_sack, sizeof(b));
    b[6] = 0x00, b[7] = 0x01; /* offset 1 (8 bytes), MF clear */
    assert_int_equal(run(d, &p, DLT_RAW, b, sizeof(b), sizeof(b)), 0);
    assert_true(p.layer[0].is_fragment);
    assert_int_equal(p.layer[0].frag_offset, 8);
    assert_null(p.layer[0].l4);
    assert_false(p.layer[0].t.valid);
    b[6] = 0x20, b[7] = 0x00; /* first fragment, MF: transport decoded */
    run(d, &p, DLT_RAW, b, sizeof(b), sizeof(b));
    assert_true(p.layer[0].is_fragment);
    assert_true(p.layer[0].t.valid);
    assert_int_equal(p.layer[0].t.sport, 80);
    decoder_free(d);
}

static void test_anomaly_names(void **state)
{
    (void)state;
    assert_int_equal(decode_anomaly_count(), DECODE_ANOM_COUNT);
    for (int i = 0; i < DECODE_ANOM_COUNT; i++) {
        assert_non_null(decode_anomaly_name(i));
        for (int j = 0; j < i; j++)
            assert_string_not_equal(decode_anomaly_name(i), decode_anomaly_name(j));
    }
    assert_string_equal(decode_anomaly_name(DECODE_ANOM_TRUNCATED_IP), "truncated_IP");
    assert_string_equal(decode_anomaly_name(DECODE_ANOM_FRAG_INCONSISTENT_OVERLAP),
                        "fragment_inconsistency");
    assert_string_equal(decode_anomaly_name(-1), "unknown_anomaly");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ipv4_tcp_options),
        cmocka_unit_test(test_tcp_ts_sack_payload),
        cmocka_unit_test(test_tcp_bad_lengths),
        cmocka_unit_test(test_ipv4_bad_lengths),
        cmocka_unit_test(test_truncation_every_byte),
        cmocka_unit_test(test_udp_icmp),
        cmocka_unit_test(test_checksums),
        cmocka_unit_test(test_ipv6_ext_headers),
        cmocka_unit_test(test_ipv6_routing0),
        cmocka_unit_test(test_nonfirst_fragment_no_reassembly),
        cmocka_unit_test(test_anomaly_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
