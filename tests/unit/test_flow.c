/*
 * test_flow.c - unit tests of the flow table (src/flow): Community ID
 * vectors, uid determinism, TCP conn_state/history, S0 attempt timeout,
 * port reuse, IPv6, the memory cap.  Packets are built as decoded
 * struct packet views (no wire bytes needed).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "flow/flow.h"
#include "flow/flow_int.h"

#define NS 1000000000LL

struct got {
    int n;
    char state[8][8], hist[8][32], uid[8][24];
    uint64_t opkts[8], rpkts[8], obytes[8], rbytes[8];
};

static void on_rec(void *ctx, const struct conn_record *r)
{
    struct got *g = ctx;
    if (g->n >= 8)
        return;
    snprintf(g->state[g->n], 8, "%.*s", (int)r->conn_state.len, r->conn_state.p);
    snprintf(g->hist[g->n], 32, "%.*s", (int)r->history.len, r->history.p);
    snprintf(g->uid[g->n], 24, "%.*s", (int)r->uid.len, r->uid.p);
    g->opkts[g->n] = r->orig_pkts;
    g->rpkts[g->n] = r->resp_pkts;
    g->obytes[g->n] = r->orig_bytes;
    g->rbytes[g->n] = r->resp_bytes;
    g->n++;
}

/* A TCP segment 10.0.0.1:1234 -> 10.0.0.2:80 (or back when rev). */
static void tcp_pkt(struct packet *p, int64_t t, bool rev, uint8_t flags, uint32_t seq,
                    uint32_t ack, uint32_t len)
{
    memset(p, 0, sizeof(*p));
    p->ts_sec = t / NS;
    p->ts_nsec = (uint32_t)(t % NS);
    p->flags = PKT_F_IP;
    p->n_layers = 1;
    struct pkt_ip *ip = &p->layer[0];
    ip->version = 4;
    ip->proto = 6;
    uint8_t a[4] = {10, 0, 0, 1}, b[4] = {10, 0, 0, 2}; /* 10.0.0.1, 10.0.0.2 */
    memcpy(ip->src, rev ? b : a, 4);
    memcpy(ip->dst, rev ? a : b, 4);
    ip->hdr_len = 20;
    ip->total_len = 40 + len;
    ip->t.valid = true;
    ip->t.sport = rev ? 80 : 1234;
    ip->t.dport = rev ? 1234 : 80;
    ip->t.tcp_flags = flags;
    ip->t.tcp_hlen = 20;
    ip->t.seq = seq;
    ip->t.ack = ack;
    ip->t.win = 1000;
    ip->t.payload_len = ip->t.payload_wire_len = len;
}

static struct flow_table *mk(struct got *g, size_t memcap)
{
    struct flow_config c;
    char err[256];
    flow_config_default(&c);
    c.hash_seed_set = true;
    if (memcap)
        c.memcap = memcap;
    else
        c.memcap = 1 << 20;
    struct flow_table *t = flow_table_new(&c, "test", on_rec, g, err, sizeof(err));
    assert_non_null(t);
    return t;
}

static void test_community_id_vectors(void **st)
{
    (void)st;
    char out[64];
    /* ICMPv6 neighbor solicitation fe80::200:86ff:fe05:80da -> fe80::260:97ff:fe07:69ea,
     * type 135 (counterpart 136): the corpus baseline's first flow. */
    uint8_t s[16] = {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x02, 0x00, 0x86, 0xff, 0xfe, 0x05, 0x80, 0xda};
    uint8_t d[16] = {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x02, 0x60, 0x97, 0xff, 0xfe, 0x07, 0x69, 0xea};
    assert_true(community_id_v1(0, s, d, 16, 58, 135, 136, true, out, sizeof(out)) > 0);
    assert_string_equal(out, "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=");
    /* the same flow seen from the other side hashes the same */
    char back[64];
    community_id_v1(0, d, s, 16, 58, 136, 135, true, back, sizeof(back));
    assert_string_equal(out, back);
}

static void test_tcp_sf_and_uid(void **st)
{
    (void)st;
    struct got g = {0}, g2 = {0};
    struct packet p;
    for (int round = 0; round < 2; round++) {
        struct got *gg = round ? &g2 : &g;
        struct flow_table *t = mk(gg, 0);
        int64_t t0 = 1000 * NS;
        tcp_pkt(&p, t0, false, 0x02, 100, 0, 0);          /* SYN */
        flow_table_packet(t, &p);
        tcp_pkt(&p, t0 + 1000, true, 0x12, 500, 101, 0);  /* SYN-ACK */
        flow_table_packet(t, &p);
        tcp_pkt(&p, t0 + 2000, false, 0x10, 101, 501, 0); /* ACK */
        flow_table_packet(t, &p);
        tcp_pkt(&p, t0 + 3000, false, 0x18, 101, 501, 10); /* 10 bytes data */
        flow_table_packet(t, &p);
        tcp_pkt(&p, t0 + 4000, false, 0x11, 111, 501, 0); /* FIN */
        flow_table_packet(t, &p);
        tcp_pkt(&p, t0 + 5000, true, 0x11, 501, 112, 0);  /* FIN */
        flow_table_packet(t, &p);
        flow_table_flush(t);
        flow_table_free(t);
    }
    assert_int_equal(g.n, 1);
    assert_string_equal(g.state[0], "SF");
    assert_string_equal(g.hist[0], "ShADFf");
    assert_int_equal(g.obytes[0], 10);
    assert_int_equal(g.rbytes[0], 0);
    assert_int_equal(strlen(g.uid[0]), 18);
    assert_string_equal(g.uid[0], g2.uid[0]); /* deterministic */
    /* the uid carries the first packet's second: t0 = 1000 s = base62 "0000G8" */
    int64_t sec = -1;
    assert_int_equal(flow_uid_time(g.uid[0], &sec), 0);
    assert_int_equal(sec, 1000);
    assert_memory_equal(g.uid[0], "C0000G8", 7);
    for (const char *c = g.uid[0] + 1; *c; c++)
        assert_non_null(strchr("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", *c));
}

static void test_uid_time(void **st)
{
    (void)st;
    struct flow_key k;
    memset(&k, 0, sizeof(k));
    char a[24], b[24];
    int64_t sec;
    /* 2026-11-29 00:00:00 UTC, the last representable ns and before 1970 */
    flow_uid_make("s", 1795910400LL * NS + 123, &k, 0, a, sizeof(a));
    assert_int_equal(strlen(a), 18);
    assert_int_equal(flow_uid_time(a, &sec), 0);
    assert_int_equal(sec, 1795910400LL);
    flow_uid_make("s", INT64_MAX, &k, 0, b, sizeof(b));
    assert_int_equal(flow_uid_time(b, &sec), 0);
    assert_int_equal(sec, INT64_MAX / NS);
    flow_uid_make("s", -5, &k, 0, b, sizeof(b)); /* before 1970: second 0 */
    assert_memory_equal(b, "C000000", 7);
    /* same second, another salt: another uid with the same time digits */
    flow_uid_make("s", 1795910400LL * NS + 123, &k, 1, b, sizeof(b));
    assert_string_not_equal(a, b);
    assert_memory_equal(a, b, 7);
    /* another sensor: another uid */
    flow_uid_make("t", 1795910400LL * NS + 123, &k, 0, b, sizeof(b));
    assert_string_not_equal(a, b);
    /* shapes that are not a session uid */
    assert_int_equal(flow_uid_time("C123", &sec), -1);
    assert_int_equal(flow_uid_time("F00000G0000000000a", &sec), -1);
    assert_int_equal(flow_uid_time("C00000G00000000-0a", &sec), -1);
    assert_int_equal(flow_uid_time(NULL, &sec), -1);
}

static void test_s0_timeout_and_reuse(void **st)
{
    (void)st;
    struct got g = {0};
    struct packet p;
    struct flow_table *t = mk(&g, 0);
    tcp_pkt(&p, 10 * NS, false, 0x02, 100, 0, 0);
    flow_table_packet(t, &p);
    /* 6 s later (> tcp_attempt_delay): the attempt ended as S0 */
    tcp_pkt(&p, 16 * NS, false, 0x02, 100, 0, 0);
    flow_table_packet(t, &p);
    assert_int_equal(g.n, 1);
    assert_string_equal(g.state[0], "S0");
    /* a SYN with another ISN on the live attempt is a new session (reuse) */
    tcp_pkt(&p, 17 * NS, false, 0x02, 9999, 0, 0);
    flow_table_packet(t, &p);
    assert_int_equal(g.n, 2);
    flow_table_flush(t);
    assert_int_equal(g.n, 3);
    assert_string_not_equal(g.uid[1], g.uid[2]);
    flow_table_free(t);
}

static void test_rej_and_history_scale(void **st)
{
    (void)st;
    struct got g = {0};
    struct packet p;
    struct flow_table *t = mk(&g, 0);
    tcp_pkt(&p, 10 * NS, false, 0x02, 100, 0, 0);
    flow_table_packet(t, &p);
    tcp_pkt(&p, 10 * NS + 5, true, 0x14, 0, 101, 0); /* RST-ACK */
    flow_table_packet(t, &p);
    flow_table_flush(t);
    assert_string_equal(g.state[0], "REJ");
    assert_string_equal(g.hist[0], "Sr");
    flow_table_free(t);
    /* 10 retransmissions give T twice (1st and 10th), as Zeek */
    struct got g2 = {0};
    t = mk(&g2, 0);
    tcp_pkt(&p, 10 * NS, false, 0x18, 100, 1, 5);
    flow_table_packet(t, &p);
    for (int i = 0; i < 10; i++) {
        tcp_pkt(&p, 10 * NS + 10 + i, false, 0x18, 100, 1, 5);
        flow_table_packet(t, &p);
    }
    flow_table_flush(t);
    assert_string_equal(g2.hist[0], "DTT");
    flow_table_free(t);
}

static void test_memcap_eviction(void **st)
{
    (void)st;
    struct got g = {0};
    struct packet p;
    struct flow_table *t = mk(&g, 16 * flow_table_bytes_per_flow());
    for (int i = 0; i < 17; i++) {
        tcp_pkt(&p, 10 * NS + i, false, 0x10, 100, 1, 0);
        p.layer[0].t.sport = (uint16_t)(2000 + i);
        flow_table_packet(t, &p);
    }
    struct flow_counters c;
    flow_table_counters(t, &c);
    assert_int_equal(c.evicted, 1);
    assert_int_equal(g.n, 1);
    flow_table_free(t);
    assert_true(flow_table_bytes_per_flow() <= 320);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_community_id_vectors),
        cmocka_unit_test(test_tcp_sf_and_uid),
        cmocka_unit_test(test_uid_time),
        cmocka_unit_test(test_s0_timeout_and_reuse),
        cmocka_unit_test(test_rej_and_history_scale),
        cmocka_unit_test(test_memcap_eviction),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
