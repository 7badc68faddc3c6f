/*
 * test_stats.c - unit tests of src/stats: the capture summary, the
 * protocol hierarchy, the host and port tables (with their cap), the
 * throughput buckets (with widening), SipHash and the storage estimate.
 *
 * Packets are struct packet filled by hand the way the decoder fills them
 * (src/core/packet.h): the source fields (time, lengths, link type,
 * origin) and the decoded layers.  No bytes are decoded here, so the tests
 * do not depend on src/decode; the one byte array (the SipHash key and
 * message) is commented where it is defined.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/hash.h"
#include "stats/stats_int.h"

#define DLT_EN10MB_ 1

/* A fixed key so table order is the same on every run. */
static struct stats *new_stats(void)
{
    struct stats_config cfg;
    stats_config_default(&cfg);
    cfg.seed[0] = 1;
    cfg.seed[1] = 2;
    return stats_new(&cfg);
}

/* An Ethernet frame of wirelen bytes at t = sec.usec, no decoded layers. */
static void pkt_eth(struct packet *p, int64_t sec, uint32_t usec, uint32_t wirelen)
{
    memset(p, 0, sizeof(*p));
    p->ts_sec = sec;
    p->ts_nsec = usec * 1000;
    p->caplen = wirelen;
    p->wirelen = wirelen;
    p->linktype = DLT_EN10MB_;
    p->origin = "unit.pcap";
    p->link.has_mac = true;
    p->link.ethertype = 0x0800;
    p->link.hdr_len = 14;
}

/* Add an IPv4 layer a.b.c.s -> a.b.c.d carrying proto with ports and
 * payload bytes of payload (TCP/UDP); returns the layer. */
static struct pkt_ip *pkt_add_ip4(struct packet *p, uint8_t s, uint8_t d, uint8_t proto,
                                  uint16_t sport, uint16_t dport, uint32_t payload)
{
    struct pkt_ip *ip = &p->layer[p->n_layers++];
    p->flags |= PKT_F_IP;
    ip->version = 4;
    ip->proto = proto;
    /* 10.0.0.s -> 10.0.0.d */
    ip->src[0] = 10, ip->src[3] = s;
    ip->dst[0] = 10, ip->dst[3] = d;
    ip->hdr_len = 20;
    ip->t.valid = true;
    ip->t.sport = sport;
    ip->t.dport = dport;
    ip->t.payload_len = payload;
    ip->t.payload_wire_len = payload;
    return ip;
}

struct phs_line {
    char text[64];
};

struct phs_dump {
    int n;
    struct phs_line line[64];
};

/* "depth name frames bytes" per node, to compare with an expected list. */
static int phs_collect(const struct stats_phs_entry *e, void *arg)
{
    struct phs_dump *d = arg;
    if (d->n < 64)
        snprintf(d->line[d->n++].text, sizeof(d->line[0].text), "%d %s %llu %llu", e->depth,
                 e->name, (unsigned long long)e->frames, (unsigned long long)e->bytes);
    return 0;
}

static void test_siphash_vectors(void **state)
{
    (void)state;
    /* Key 00 01 02 ... 0f read as two little-endian words; message
     * 00 01 02 ... 0e (15 bytes): the example of the SipHash paper,
     * appendix A, whose output is a129ca6149be45e5; the empty message
     * under the same key gives 726fdb47dd0e0e31 (the reference vectors). */
    uint8_t msg[15];
    for (int i = 0; i < 15; i++)
        msg[i] = (uint8_t)i;
    const uint64_t key[2] = {0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull};
    assert_true(core_siphash(key, msg, 15) == 0xa129ca6149be45e5ull);
    assert_true(core_siphash(key, msg, 0) == 0x726fdb47dd0e0e31ull);
}

static void test_summary(void **state)
{
    (void)state;
    struct stats *st = new_stats();
    struct packet p;
    stats_file_note(st, "unit.pcap", 65535, DLT_EN10MB_);
    pkt_eth(&p, 1000, 0, 100);
    stats_add_packet(st, &p);
    pkt_eth(&p, 1002, 500000, 60);
    p.caplen = 40; /* cut by the snaplen */
    stats_add_packet(st, &p);
    pkt_eth(&p, 1001, 0, 200); /* earlier than the one before: not in order */
    stats_add_packet(st, &p);

    struct stats_summary s;
    stats_summary_get(st, &s);
    assert_int_equal(s.packets, 3);
    assert_int_equal(s.bytes, 340);
    assert_int_equal(s.wire_bytes, 360);
    assert_true(s.first_ns == 1000000000000ll);
    assert_true(s.last_ns == 1002500000000ll);
    assert_true(s.duration_ns == 2500000000ll);
    assert_int_equal(s.strict_order, 0);
    assert_int_equal(s.truncated, 1);
    assert_int_equal(s.snaplen_min, 65535);
    assert_int_equal(s.n_linktypes, 1);
    assert_int_equal(s.linktypes[0].dlt, 1);
    /* capinfos's data rate counts wire bytes: 360 bytes * 8 / 2.5 s; captured 340 * 8 / 2.5 */
    assert_true(s.data_bit_rate > 1151.99 && s.data_bit_rate < 1152.01);
    assert_true(s.captured_bit_rate > 1087.99 && s.captured_bit_rate < 1088.01);
    assert_true(s.packet_rate > 1.19 && s.packet_rate < 1.21);
    assert_true(s.avg_packet_size > 119.99 && s.avg_packet_size < 120.01); /* 360 / 3 */
    size_t nf;
    const struct stats_file *f = stats_files(st, &nf);
    assert_int_equal(nf, 1);
    assert_string_equal(f[0].name, "unit.pcap");
    assert_int_equal(f[0].packets, 3);
    stats_free(st);
}

static void test_hierarchy(void **state)
{
    (void)state;
    struct stats *st = new_stats();
    struct packet p;

    /* eth > ip > tcp > http (port): client 10.0.0.1:40000 -> 10.0.0.2:80 with 100 bytes */
    pkt_eth(&p, 10, 0, 154);
    pkt_add_ip4(&p, 1, 2, 6, 40000, 80, 100);
    stats_add_packet(st, &p);
    /* eth > ip > tcp: a bare ACK back, no payload, so no application label */
    pkt_eth(&p, 10, 1, 54);
    pkt_add_ip4(&p, 2, 1, 6, 80, 40000, 0);
    stats_add_packet(st, &p);
    /* eth > vlan > ip > udp > dns (port): 10.0.0.1:5555 -> 10.0.0.3:53 in VLAN 7 */
    pkt_eth(&p, 10, 2, 80);
    p.link.n_vlan = 1;
    p.link.vlan[0] = 7;
    pkt_add_ip4(&p, 1, 3, 17, 5555, 53, 34);
    stats_add_packet(st, &p);
    /* eth > arp */
    pkt_eth(&p, 10, 3, 60);
    p.flags = PKT_F_ARP;
    stats_add_packet(st, &p);
    /* eth > ip > udp > vxlan > eth > ip > tcp: VXLAN from 10.0.0.8 to .9 carrying .1 -> .2 */
    pkt_eth(&p, 10, 4, 150);
    pkt_add_ip4(&p, 8, 9, 17, 33333, 4789, 80)->encap = PKT_ENCAP_VXLAN;
    pkt_add_ip4(&p, 1, 2, 6, 40001, 12345, 0);
    stats_add_packet(st, &p);
    /* eth > lldp: a non-IP frame, ethertype 0x88cc */
    pkt_eth(&p, 10, 5, 64);
    p.flags = PKT_F_NON_IP;
    p.link.ethertype = 0x88cc;
    stats_add_packet(st, &p);

    struct phs_dump d = {0};
    stats_phs_walk(st, phs_collect, &d);
    const char *want[] = {
        "0 eth 6 562",   "1 ip 3 358",    "2 tcp 2 208",   "3 http (port) 1 154",
        "2 udp 1 150",   "3 vxlan 1 150", "4 eth 1 150",   "5 ip 1 150",
        "6 tcp 1 150",   "1 vlan 1 80",   "2 ip 1 80",     "3 udp 1 80",
        "4 dns (port) 1 80", "1 arp 1 60", "1 lldp 1 64",
    };
    size_t nwant = sizeof(want) / sizeof(want[0]);
    assert_int_equal(d.n, (int)nwant);
    for (size_t i = 0; i < nwant; i++)
        assert_string_equal(d.line[i].text, want[i]);
    stats_free(st);
}

static void test_hierarchy_fragment_and_cap(void **state)
{
    (void)state;
    struct stats_config cfg;
    stats_config_default(&cfg);
    cfg.max_nodes = 16; /* the smallest cap the module accepts */
    struct stats *st = stats_new(&cfg);
    struct packet p;
    /* A later IPv4 fragment (offset 1480): eth > ip, no transport node. */
    pkt_eth(&p, 1, 0, 500);
    struct pkt_ip *ip = pkt_add_ip4(&p, 1, 2, 17, 0, 0, 0);
    ip->is_fragment = true;
    ip->frag_offset = 1480;
    ip->t.valid = false;
    stats_add_packet(st, &p);
    struct phs_dump d = {0};
    stats_phs_walk(st, phs_collect, &d);
    assert_int_equal(d.n, 2);
    assert_string_equal(d.line[1].text, "1 ip 1 500");

    /* 20 unknown IP protocols under eth > ip: the node cap (16) cuts them. */
    for (int i = 0; i < 20; i++) {
        pkt_eth(&p, 2, (uint32_t)i, 100);
        pkt_add_ip4(&p, 1, 2, (uint8_t)(200 + i), 0, 0, 0)->t.valid = false;
        stats_add_packet(st, &p);
    }
    struct stats_shed shed;
    stats_shed_get(st, &shed);
    assert_int_equal(shed.phs_frames, 20 - (16 - 2));
    stats_free(st);
}

static void test_hosts_and_ports(void **state)
{
    (void)state;
    struct stats *st = new_stats();
    struct packet p;
    /* 10.0.0.1 -> 10.0.0.2:443, 3 packets of 1000 bytes */
    for (int i = 0; i < 3; i++) {
        pkt_eth(&p, 1, (uint32_t)i, 1000);
        pkt_add_ip4(&p, 1, 2, 6, 50000, 443, 946);
        stats_add_packet(st, &p);
    }
    /* 10.0.0.3 -> 10.0.0.1:53 (udp), 5 packets of 100 bytes; reply direction counts too */
    for (int i = 0; i < 5; i++) {
        pkt_eth(&p, 2, (uint32_t)i, 100);
        pkt_add_ip4(&p, 3, 1, 17, 53000, 53, 58);
        stats_add_packet(st, &p);
    }
    /* 10.0.0.4:6000 -> 10.0.0.5:7000, neither known: the lower port is the service */
    pkt_eth(&p, 3, 0, 70);
    pkt_add_ip4(&p, 4, 5, 6, 7000, 6000, 16);
    stats_add_packet(st, &p);

    struct stats_host h[8];
    int n = stats_top_hosts(st, STATS_BY_BYTES, h, 8);
    assert_int_equal(n, 5);
    assert_int_equal(h[0].addr[3], 1); /* .1: 3000 sent + 500 received */
    assert_int_equal(h[0].tx_bytes, 3000);
    assert_int_equal(h[0].rx_bytes, 500);
    assert_int_equal(h[0].tx_packets + h[0].rx_packets, 8);
    assert_int_equal(h[1].addr[3], 2);
    n = stats_top_hosts(st, STATS_BY_PACKETS, h, 2);
    assert_int_equal(n, 2);
    assert_int_equal(h[0].addr[3], 1);
    assert_int_equal(h[1].addr[3], 3); /* 5 packets beat .2's 3 */

    struct stats_port ports[8];
    n = stats_top_ports(st, STATS_BY_BYTES, ports, 8);
    assert_int_equal(n, 3);
    assert_int_equal(ports[0].proto, 6);
    assert_int_equal(ports[0].port, 443);
    assert_int_equal(ports[0].bytes, 3000);
    assert_int_equal(ports[1].proto, 17);
    assert_int_equal(ports[1].port, 53);
    assert_int_equal(ports[2].port, 6000);
    assert_int_equal(stats_service_port(6, 1234, 22), 22);
    assert_int_equal(stats_service_port(6, 22, 60000), 22);
    assert_string_equal(stats_port_service(17, 53), "dns");
    assert_null(stats_port_service(17, 80)); /* http is registered for tcp here, not udp */
    stats_free(st);
}

static void test_host_cap(void **state)
{
    (void)state;
    struct stats_config cfg;
    stats_config_default(&cfg);
    cfg.max_hosts = 3;
    struct stats *st = stats_new(&cfg);
    struct packet p;
    /* 10.0.0.1 -> .2, then .3 -> .4: the 4th address does not fit */
    pkt_eth(&p, 1, 0, 100);
    pkt_add_ip4(&p, 1, 2, 6, 1, 2, 0);
    stats_add_packet(st, &p);
    pkt_eth(&p, 1, 1, 200);
    pkt_add_ip4(&p, 3, 4, 6, 1, 2, 0);
    stats_add_packet(st, &p);
    assert_int_equal(stats_host_count(st), 3);
    struct stats_shed shed;
    stats_shed_get(st, &shed);
    assert_int_equal(shed.hosts, 1);
    assert_int_equal(shed.host_packets, 1);
    assert_int_equal(shed.host_bytes, 200);
    stats_free(st);
}

static void test_host_table_grows(void **state)
{
    (void)state;
    struct stats *st = new_stats();
    struct packet p;
    /* 3000 distinct IPv4 sources 10.x.y.0 -> 10.0.0.1: the table doubles past 1024 slots */
    for (int i = 0; i < 3000; i++) {
        pkt_eth(&p, 1, (uint32_t)i, 64);
        struct pkt_ip *ip = pkt_add_ip4(&p, 0, 1, 6, 1, 2, 0);
        ip->src[1] = (uint8_t)(i >> 8);
        ip->src[2] = (uint8_t)i;
        stats_add_packet(st, &p);
    }
    assert_int_equal(stats_host_count(st), 3001);
    struct stats_host top;
    assert_int_equal(stats_top_hosts(st, STATS_BY_PACKETS, &top, 1), 1);
    assert_int_equal(top.rx_packets, 3000);
    stats_free(st);
}

static void test_buckets(void **state)
{
    (void)state;
    struct stats_config cfg;
    stats_config_default(&cfg);
    cfg.interval_ns = 1000000000ull; /* -I 1 */
    cfg.max_buckets = 4;
    struct stats *st = stats_new(&cfg);
    struct packet p;
    /* at t0, t0 + 0.5 s and t0 + 2.1 s */
    pkt_eth(&p, 100, 0, 100);
    stats_add_packet(st, &p);
    pkt_eth(&p, 100, 500000, 200);
    stats_add_packet(st, &p);
    pkt_eth(&p, 102, 100000, 300);
    stats_add_packet(st, &p);
    size_t n;
    int64_t start;
    uint64_t width;
    const struct stats_bucket *b = stats_buckets(st, &n, &start, &width);
    assert_int_equal(n, 3);
    assert_true(start == 100000000000ll);
    assert_true(width == 1000000000ull);
    assert_int_equal(b[0].packets, 2);
    assert_int_equal(b[0].wire_bytes, 300);
    assert_int_equal(b[1].packets, 0);
    assert_int_equal(b[2].packets, 1);

    /* t0 + 10 s: past 4 buckets of 1 s, so 2 s, then 4 s: buckets [0,4) [4,8) [8,12) */
    pkt_eth(&p, 110, 0, 400);
    stats_add_packet(st, &p);
    b = stats_buckets(st, &n, &start, &width);
    assert_true(width == 4000000000ull);
    assert_int_equal(n, 3);
    assert_int_equal(b[0].packets, 3);
    assert_int_equal(b[0].wire_bytes, 600);
    assert_int_equal(b[2].packets, 1);
    /* a packet before the start lands in bucket 0 and is counted as early */
    pkt_eth(&p, 99, 0, 50);
    stats_add_packet(st, &p);
    b = stats_buckets(st, &n, NULL, NULL);
    assert_int_equal(b[0].packets, 4);
    struct stats_shed shed;
    stats_shed_get(st, &shed);
    assert_int_equal(shed.widened, 2);
    assert_int_equal(shed.early_packets, 1);
    stats_free(st);
}

static void test_buckets_auto(void **state)
{
    (void)state;
    struct stats *st = new_stats(); /* automatic width, at most 60 buckets */
    struct packet p;
    /* one packet a second for 100 s: 1 s is too fine (100 buckets), 2 s fits (50) */
    for (int i = 0; i < 100; i++) {
        pkt_eth(&p, 1000 + i, 0, 100);
        stats_add_packet(st, &p);
    }
    size_t n;
    uint64_t width;
    const struct stats_bucket *b = stats_buckets(st, &n, NULL, &width);
    assert_true(width == 2000000000ull);
    assert_int_equal(n, 50);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(b[i].packets, 2);
    /* 1 h later: 2 -> 10 -> 30 -> 60 -> 300 s (3700 s / 300 = 12 buckets) */
    pkt_eth(&p, 1000 + 3700, 0, 100);
    stats_add_packet(st, &p);
    b = stats_buckets(st, &n, NULL, &width);
    assert_true(width == 300000000000ull);
    assert_int_equal(n, 13);
    assert_int_equal(b[0].packets, 100);
    assert_int_equal(b[12].packets, 1);
    struct stats_shed shed;
    stats_shed_get(st, &shed);
    assert_int_equal(shed.widened, 0);
    stats_free(st);
}

static void test_estimate(void **state)
{
    (void)state;
    char buf[64];
    double mb;
    /* The book's example: 100 Mbps -> 1,080,000 MB/day = 1.08 TB/day */
    assert_string_equal(stats_format_thousands(stats_estimate_mb_per_day(100), buf, sizeof(buf)),
                        "1,080,000");
    assert_string_equal(stats_format_mb(stats_estimate_mb_per_day(100), buf, sizeof(buf)),
                        "1.08 TB");
    assert_string_equal(stats_format_mb(500000, buf, sizeof(buf)), "500 GB");
    assert_string_equal(stats_format_thousands(999, buf, sizeof(buf)), "999");
    assert_string_equal(stats_format_thousands(1000, buf, sizeof(buf)), "1,000");
    assert_string_equal(stats_format_thousands(0, buf, sizeof(buf)), "0");
    assert_int_equal(stats_size_parse("4T", &mb), 0);
    assert_true(mb == 4e6);
    assert_int_equal(stats_size_parse("2.5TB", &mb), 0);
    assert_true(mb == 2.5e6);
    assert_int_equal(stats_size_parse("500g", &mb), 0);
    assert_true(mb == 5e5);
    assert_int_equal(stats_size_parse("1000000MB", &mb), 0);
    assert_true(mb == 1e6);
    assert_int_equal(stats_size_parse("2000000000", &mb), 0); /* bytes */
    assert_true(mb == 2000.0);
    assert_int_equal(stats_size_parse("1TiB", &mb), -1);
    assert_int_equal(stats_size_parse("-1T", &mb), -1);
    assert_int_equal(stats_size_parse("T", &mb), -1);
    assert_int_equal(stats_size_parse("0T", &mb), -1);
    assert_int_equal(stats_size_parse("0x10G", &mb), -1);
    assert_int_equal(stats_size_parse("nanT", &mb), -1);
    assert_int_equal(stats_number_parse("100", &mb), 0);
    assert_int_equal(stats_number_parse("100x", &mb), -1);
    assert_int_equal(stats_number_parse("", &mb), -1);
    assert_int_equal(stats_number_parse("inf", &mb), -1);
    /* 4 TB at 100 Mbps: 4,000,000 / 1,080,000 = 3.7 days */
    double days = stats_estimate_days(4e6, 100);
    assert_true(days > 3.7036 && days < 3.7038);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_siphash_vectors),
        cmocka_unit_test(test_summary),
        cmocka_unit_test(test_hierarchy),
        cmocka_unit_test(test_hierarchy_fragment_and_cap),
        cmocka_unit_test(test_hosts_and_ports),
        cmocka_unit_test(test_host_cap),
        cmocka_unit_test(test_host_table_grows),
        cmocka_unit_test(test_buckets),
        cmocka_unit_test(test_buckets_auto),
        cmocka_unit_test(test_estimate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
