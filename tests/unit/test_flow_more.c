/*
 * test_flow_more.c - more unit tests of the flow table (src/flow): the
 * memory budget per flow, IPv6 sessions, VLAN separation with and without
 * flow_config.vlan_in_key, one test per Zeek conn_state (S0 S1 SF REJ S2 S3
 * RSTO RSTR RSTOS0 RSTRH SH SHR OTH), history repeat scaling at 1/10/100
 * occurrences, UDP/DNS/ICMP inactivity timeouts, Zeek's likely-server-port
 * flip for UDP, tunnel_parents of a VXLAN-inner session, and Community ID
 * vectors from the spec's baseline (corelight/community-id-spec
 * baseline_deflt.json / baseline_seed1.json).
 *
 * Packets are decoded struct packet views built by hand: each builder call
 * says in a comment what wire packet it stands for.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "flow/flow.h"

#define NS 1000000000LL
#define MAXR 8

/* TCP flag bits as on the wire. */
#define FIN 0x01
#define SYN 0x02
#define RST 0x04
#define PSH 0x08
#define ACK 0x10

struct rec {
    char state[8], hist[40], uid[24], proto[20], service[16], parent[24];
    char orig_h[48], resp_h[48];
    uint64_t orig_p, resp_p, opkts, rpkts;
    int64_t vlan;
    bool vlan_set;
    size_t n_parents;
};

struct got {
    int n;
    struct rec r[MAXR];
};

static void str_of(char *dst, size_t n, struct rstr s)
{
    snprintf(dst, n, "%.*s", (int)s.len, s.p ? s.p : "");
}

static void on_rec(void *ctx, const struct conn_record *r)
{
    struct got *g = ctx;
    if (g->n >= MAXR)
        return;
    struct rec *o = &g->r[g->n++];
    memset(o, 0, sizeof(*o));
    str_of(o->state, sizeof(o->state), r->conn_state);
    str_of(o->hist, sizeof(o->hist), r->history);
    str_of(o->uid, sizeof(o->uid), r->uid);
    str_of(o->proto, sizeof(o->proto), r->proto);
    str_of(o->service, sizeof(o->service), r->service);
    inet_ntop(r->orig_h.family == 6 ? AF_INET6 : AF_INET, r->orig_h.a, o->orig_h, sizeof(o->orig_h));
    inet_ntop(r->resp_h.family == 6 ? AF_INET6 : AF_INET, r->resp_h.a, o->resp_h, sizeof(o->resp_h));
    o->orig_p = r->orig_p;
    o->resp_p = r->resp_p;
    o->opkts = r->orig_pkts;
    o->rpkts = r->resp_pkts;
    o->vlan_set = !record_unset(&r->hdr, CONN_VLAN);
    o->vlan = r->vlan;
    o->n_parents = record_unset(&r->hdr, CONN_TUNNEL_PARENTS) ? 0 : r->tunnel_parents.n;
    if (o->n_parents)
        str_of(o->parent, sizeof(o->parent), r->tunnel_parents.v[0]);
}

static struct flow_table *mk_cfg(struct got *g, bool vlan_key)
{
    struct flow_config c;
    char err[256];
    flow_config_default(&c);
    c.hash_seed_set = true;
    c.memcap = 1 << 20;
    c.vlan_in_key = vlan_key;
    struct flow_table *t = flow_table_new(&c, "test", on_rec, g, err, sizeof(err));
    assert_non_null(t);
    return t;
}

static struct flow_table *mk(struct got *g)
{
    return mk_cfg(g, false);
}

static void pkt_time(struct packet *p, int64_t t)
{
    memset(p, 0, sizeof(*p));
    p->ts_sec = t / NS;
    p->ts_nsec = (uint32_t)(t % NS);
    p->flags = PKT_F_IP;
    p->n_layers = 1;
}

/* One IPv4 header (20 bytes, no options) from a.b.c.d to e.f.g.h. */
static void ip4(struct pkt_ip *ip, const char *src, const char *dst, uint8_t proto,
                uint32_t l4_len)
{
    ip->version = 4;
    ip->proto = proto;
    inet_pton(AF_INET, src, ip->src);
    inet_pton(AF_INET, dst, ip->dst);
    ip->hdr_len = 20;
    ip->total_len = 20 + l4_len;
}

/* TCP segment 10.0.0.1:1234 -> 10.0.0.2:80 (rev: 10.0.0.2:80 -> 10.0.0.1:1234),
 * 20-byte header, window 1000, len payload bytes. */
static void tcp(struct flow_table *t, int64_t ts, bool rev, uint8_t flags, uint32_t seq,
                uint32_t ack, uint32_t len)
{
    struct packet p;
    pkt_time(&p, ts);
    struct pkt_ip *ip = &p.layer[0];
    ip4(ip, rev ? "10.0.0.2" : "10.0.0.1", rev ? "10.0.0.1" : "10.0.0.2", 6, 20 + len);
    ip->t.valid = true;
    ip->t.sport = rev ? 80 : 1234;
    ip->t.dport = rev ? 1234 : 80;
    ip->t.tcp_flags = flags;
    ip->t.tcp_hlen = 20;
    ip->t.seq = seq;
    ip->t.ack = ack;
    ip->t.win = 1000;
    ip->t.payload_len = ip->t.payload_wire_len = len;
    flow_table_packet(t, &p);
}

/* UDP datagram src:sp -> dst:dp with len payload bytes (8-byte header). */
static void udp_pkt(struct packet *p, int64_t ts, const char *src, uint16_t sp, const char *dst,
                    uint16_t dp, uint32_t len)
{
    pkt_time(p, ts);
    struct pkt_ip *ip = &p->layer[0];
    ip4(ip, src, dst, 17, 8 + len);
    ip->t.valid = true;
    ip->t.sport = sp;
    ip->t.dport = dp;
    ip->t.payload_len = ip->t.payload_wire_len = len;
}

/* ICMP echo request (type 8 code 0) 10.0.0.1 -> 10.0.0.2, 8-byte header + 56 data. */
static void icmp_echo(struct flow_table *t, int64_t ts)
{
    struct packet p;
    pkt_time(&p, ts);
    struct pkt_ip *ip = &p.layer[0];
    ip4(ip, "10.0.0.1", "10.0.0.2", 1, 64);
    ip->t.valid = true;
    ip->t.icmp_type = 8;
    ip->t.icmp_code = 0;
    flow_table_packet(t, &p);
}

/* The three-way handshake: SYN seq 100; SYN-ACK seq 500 ack 101; ACK. */
static void handshake(struct flow_table *t, int64_t t0)
{
    tcp(t, t0, false, SYN, 100, 0, 0);
    tcp(t, t0 + 1000, true, SYN | ACK, 500, 101, 0);
    tcp(t, t0 + 2000, false, ACK, 101, 501, 0);
}

static void done(struct flow_table *t)
{
    flow_table_flush(t);
    flow_table_free(t);
}

/* ---- TCP analyzer weirds (flow_weird through the app hooks) ------------------ */

struct weirds {
    int n;
    char name[8][40], source[8][8];
};

static void on_weird(void *ctx, struct flow_table *t, struct flow *f, const char *name,
                     const char *source, int64_t now)
{
    struct weirds *w = ctx;
    (void)t, (void)f, (void)now;
    if (w->n >= 8)
        return;
    snprintf(w->name[w->n], sizeof(w->name[0]), "%s", name);
    snprintf(w->source[w->n], sizeof(w->source[0]), "%s", source ? source : "-");
    w->n++;
}

static struct flow_table *mk_weirds(struct got *g, struct weirds *w)
{
    struct flow_table *t = mk(g);
    struct flow_app_hooks h = {.ctx = w, .weird = on_weird};
    memset(w, 0, sizeof(*w));
    flow_table_set_app(t, &h);
    return t;
}

static void expect_weirds(const struct weirds *w, const char *const *names, int n)
{
    assert_int_equal(w->n, n);
    for (int i = 0; i < n; i++)
        assert_string_equal(w->name[i], names[i]);
}

static void test_weird_syn_with_data(void **st)
{
    (void)st;
    struct got g = {0};
    struct weirds w;
    struct flow_table *t = mk_weirds(&g, &w);
    tcp(t, 0, false, SYN, 100, 0, 5);
    done(t);
    expect_weirds(&w, (const char *const[]){"SYN_with_data"}, 1);
    assert_string_equal(w.source[0], "TCP");
}

/* Data acked before the responder answered the SYN: Zeek's split routing. */
static void test_weird_data_before_established(void **st)
{
    (void)st;
    struct got g = {0};
    struct weirds w;
    struct flow_table *t = mk_weirds(&g, &w);
    tcp(t, 0, false, SYN, 100, 0, 0);
    tcp(t, 1000, false, ACK | PSH, 101, 501, 10);
    done(t);
    expect_weirds(&w, (const char *const[]){"possible_split_routing", "data_before_established"},
                  2);
    assert_string_equal(w.source[0], "-");
    assert_string_equal(w.source[1], "TCP");
}

static void test_weird_originator_syn_ack(void **st)
{
    (void)st;
    struct got g = {0};
    struct weirds w;
    struct flow_table *t = mk_weirds(&g, &w);
    tcp(t, 0, false, SYN | ACK, 100, 50, 0);
    done(t);
    expect_weirds(&w, (const char *const[]){"connection_originator_SYN_ack"}, 1);
}

static void test_weird_ack_underflow(void **st)
{
    (void)st;
    struct got g = {0};
    struct weirds w;
    struct flow_table *t = mk_weirds(&g, &w);
    handshake(t, 0);
    tcp(t, 3000, true, ACK, 501, 50, 0);
    done(t);
    expect_weirds(&w, (const char *const[]){"TCP_ack_underflow_or_misorder"}, 1);
}

/* A new SYN on the ports of a connection that closed less than 5 s ago. */
static void test_weird_premature_reuse(void **st)
{
    (void)st;
    struct got g = {0};
    struct weirds w;
    struct flow_table *t = mk_weirds(&g, &w);
    handshake(t, 0);
    tcp(t, 3000, false, FIN | ACK, 101, 501, 0);
    tcp(t, 4000, true, FIN | ACK, 501, 102, 0);
    tcp(t, 5000, false, ACK, 102, 502, 0);
    tcp(t, NS, false, SYN, 9000, 0, 0);
    done(t);
    assert_int_equal(g.n, 2);
    expect_weirds(&w, (const char *const[]){"premature_connection_reuse"}, 1);
}

/* ---- memory ---------------------------------------------------------------- */

static void test_bytes_per_flow_budget(void **st)
{
    (void)st;
    /* issue 3: <= 256 bytes of table memory per idle flow, all in */
    assert_true(flow_table_bytes_per_flow() <= 256);
}

/* ---- IPv6 ------------------------------------------------------------------ */

/* TCP over IPv6 2001:db8::1:40000 -> 2001:db8::2:443: handshake, FIN both ways. */
static void tcp6(struct flow_table *t, int64_t ts, bool rev, uint8_t flags, uint32_t seq,
                 uint32_t ack)
{
    struct packet p;
    pkt_time(&p, ts);
    struct pkt_ip *ip = &p.layer[0];
    ip->version = 6;
    ip->proto = 6;
    inet_pton(AF_INET6, rev ? "2001:db8::2" : "2001:db8::1", ip->src);
    inet_pton(AF_INET6, rev ? "2001:db8::1" : "2001:db8::2", ip->dst);
    ip->hdr_len = 40;
    ip->total_len = 60; /* 40-byte IPv6 header + 20-byte TCP header */
    ip->t.valid = true;
    ip->t.sport = rev ? 443 : 40000;
    ip->t.dport = rev ? 40000 : 443;
    ip->t.tcp_flags = flags;
    ip->t.tcp_hlen = 20;
    ip->t.seq = seq;
    ip->t.ack = ack;
    ip->t.win = 1000;
    flow_table_packet(t, &p);
}

static void test_ipv6_session(void **st)
{
    (void)st;
    struct got g = {0};
    struct flow_table *t = mk(&g);
    int64_t t0 = 100 * NS;
    tcp6(t, t0, false, SYN, 1, 0);                /* SYN */
    tcp6(t, t0 + 10, true, SYN | ACK, 9, 2);      /* SYN-ACK */
    tcp6(t, t0 + 20, false, ACK, 2, 10);          /* ACK */
    tcp6(t, t0 + 30, false, FIN | ACK, 2, 10);    /* FIN from the client */
    tcp6(t, t0 + 40, true, FIN | ACK, 10, 3);     /* FIN from the server */
    done(t);
    assert_int_equal(g.n, 1);
    assert_string_equal(g.r[0].state, "SF");
    assert_string_equal(g.r[0].hist, "ShAFf");
    assert_string_equal(g.r[0].orig_h, "2001:db8::1");
    assert_string_equal(g.r[0].resp_h, "2001:db8::2");
    assert_int_equal(g.r[0].orig_p, 40000);
    assert_int_equal(g.r[0].resp_p, 443);
    assert_int_equal(g.r[0].opkts, 3);
    assert_int_equal(g.r[0].rpkts, 2);
}

/* ---- VLANs ----------------------------------------------------------------- */

/* The same UDP 5-tuple 10.0.0.1:5000 -> 10.0.0.2:6000 on VLAN 10, then VLAN 20. */
static void two_vlans(struct flow_table *t)
{
    struct packet p;
    udp_pkt(&p, 10 * NS, "10.0.0.1", 5000, "10.0.0.2", 6000, 4);
    p.link.n_vlan = 1;
    p.link.vlan[0] = 10; /* 802.1Q tag, VLAN id 10 */
    flow_table_packet(t, &p);
    udp_pkt(&p, 10 * NS + 1000, "10.0.0.1", 5000, "10.0.0.2", 6000, 4);
    p.link.n_vlan = 1;
    p.link.vlan[0] = 20; /* 802.1Q tag, VLAN id 20 */
    flow_table_packet(t, &p);
}

static void test_vlan_separation(void **st)
{
    (void)st;
    struct got on = {0}, off = {0};
    struct flow_table *t = mk_cfg(&on, true);
    two_vlans(t);
    done(t);
    assert_int_equal(on.n, 2);
    assert_true(on.r[0].vlan_set && on.r[1].vlan_set);
    assert_true((on.r[0].vlan == 10 && on.r[1].vlan == 20) ||
                (on.r[0].vlan == 20 && on.r[1].vlan == 10));
    t = mk_cfg(&off, false); /* Zeek 8's default conn key: VLANs ignored */
    two_vlans(t);
    done(t);
    assert_int_equal(off.n, 1);
    assert_int_equal(off.r[0].opkts, 2);
    assert_false(off.r[0].vlan_set);
}

/* ---- conn_state: one test each ------------------------------------------------ */

static void expect_one(struct got *g, const char *state, const char *hist)
{
    assert_int_equal(g->n, 1);
    assert_string_equal(g->r[0].state, state);
    if (hist)
        assert_string_equal(g->r[0].hist, hist);
}

static void test_state_s0(void **st)
{
    (void)st;
    struct got g = {0};
    struct flow_table *t = mk(&g);
    tcp(t, 10 * NS, false, SYN, 100, 0, 0); /* SYN, never answered */
    done(t);
    expect_one(&g, "S0", "S");
}

static void test_state_s1(void **st)
{
    (void)st;
    struct got g = {0};
    struct flow_table *t = mk(&g);
    handshake(t, 10 * NS); /* established, never closed */
    done(t);
    expect_one(&g, "S1", "ShA");
}

static void test_state_sf(void **st)
{
    (void)st;
    struct got g = {0};
    struct flow_table *t = mk(&g);
    handshake(t, 10 * NS);
    tcp(t, 10 * NS + 3000, false, FIN | ACK, 101, 501, 0); /* client FIN */
    tcp(t, 10 * NS + 4000, true, FIN | ACK, 501, 102, 0);  /* server FIN */
    done(t);
    expect_one(&g, "SF", "ShAFf");
}

static void test_state_rej(void **st)
{
    (void)st;
    struct got g = {0};
    struct flow_table *t = mk(&g);
    tcp(t, 10 * NS, false, SYN, 100, 0, 0);          /* SYN */
    tcp(t, 10 * NS + 1000, true, RST | ACK, 0, 101, 0); /* RST-ACK: port closed */
    done(t);
    expect_one(&g, "REJ", "Sr");
}

static void test_state_s2(void **st)
{
    (void)st;
    struct got g = {0};
    struct flow_table *t = mk(&g);
    handshake(t, 10 * NS);
    tcp(t, 10 * NS + 3000, false, FIN | ACK, 101, 501, 0); /* only the client closes */
    done(t);
    expect_one(&g, "S2", "ShAF");
}

static void test_state_s3(void **st)
{
    (void)st;
    struct got g = {0};
    struct flow_table *t = mk(&g);
    handshake(t, 10 * NS);
    tcp(t, 10 * NS + 3000, true, FIN | ACK, 501, 101, 0); /* only the server closes */
    done(t);
    expect_one(&g, "S3", "ShAf");
}

static void test_state_rsto(void **st)
{
    (void)st;
    struct got g = {0};
    struct flow_table *t = mk(&g);
    handshake(t, 10 * NS);
    tcp(t, 10 * NS + 3000, false, RST | ACK, 101, 501, 0); /* client aborts */
    done(t);
    expect_one(&g, "RSTO", "ShAR");
}

static void test_state_rstr(void **st)
{
    (void)st;
    struct got g = {0};
    struct flow_table *t = mk(&g);
    handshake(t, 10 * NS);
    tcp(t, 10 * NS + 3000, true, RST | ACK, 501, 101, 0); /* server aborts */
    done(t);
    expect_one(&g, "RSTR", "ShAr");
}

static void test_state_rstos0(void **st)
{
    (void)st;
    struct got g = {0};
    struct flow_table *t = mk(&g);
    tcp(t, 10 * NS, false, SYN, 100, 0, 0);        /* SYN */
    tcp(t, 10 * NS + 1000, false, RST, 101, 0, 0); /* the same side resets, no answer seen */
    done(t);
    expect_one(&g, "RSTOS0", "SR");
}

static void test_state_rstrh(void **st)
{
    (void)st;
    struct got g = {0};
    struct flow_table *t = mk(&g);
    /* SYN-ACK from the server 10.0.0.2:80 (the SYN was not captured): port 80
     * is a likely server port, so 10.0.0.1:1234 is the originator ('^'). */
    tcp(t, 10 * NS, true, SYN | ACK, 500, 101, 0);
    tcp(t, 10 * NS + 1000, true, RST, 501, 0, 0); /* then the server resets */
    done(t);
    expect_one(&g, "RSTRH", "^hr");
    assert_string_equal(g.r[0].orig_h, "10.0.0.1");
}

static void test_state_sh(void **st)
{
    (void)st;
    struct got g = {0};
    struct flow_table *t = mk(&g);
    tcp(t, 10 * NS, false, SYN, 100, 0, 0);        /* SYN */
    tcp(t, 10 * NS + 1000, false, FIN, 101, 0, 0); /* FIN, the server never answered */
    done(t);
    expect_one(&g, "SH", "SF");
}

static void test_state_shr(void **st)
{
    (void)st;
    struct got g = {0};
    struct flow_table *t = mk(&g);
    tcp(t, 10 * NS, true, SYN | ACK, 500, 101, 0);             /* SYN-ACK from 10.0.0.2:80 */
    tcp(t, 10 * NS + 1000, true, FIN | ACK, 501, 101, 0);      /* then its FIN */
    done(t);
    expect_one(&g, "SHR", "^hf");
}

static void test_state_oth(void **st)
{
    (void)st;
    struct got g = {0};
    struct flow_table *t = mk(&g);
    tcp(t, 10 * NS, false, ACK, 100, 500, 0); /* mid-stream bare ACK, no SYN seen */
    done(t);
    expect_one(&g, "OTH", "A");
}

/* ---- history scaling ---------------------------------------------------------- */

/* Zeek adds a repeated-event letter at the 1st, 10th, 100th ... occurrence. */
static void test_history_scaling(void **st)
{
    (void)st;
    static const struct {
        int n;
        const char *hist;
    } cases[] = {{1, "DT"}, {10, "DTT"}, {100, "DTTT"}};
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        struct got g = {0};
        struct flow_table *t = mk(&g);
        tcp(t, 10 * NS, false, PSH | ACK, 100, 1, 5); /* 5 data bytes, seq 100 */
        for (int i = 0; i < cases[c].n; i++)          /* the same segment again */
            tcp(t, 10 * NS + 10 + i, false, PSH | ACK, 100, 1, 5);
        done(t);
        expect_one(&g, "OTH", cases[c].hist);
    }
}

/* ---- timeouts ------------------------------------------------------------------ */

static int udp_sessions(int64_t gap, uint16_t dport)
{
    struct got g = {0};
    struct packet p;
    struct flow_table *t = mk(&g);
    udp_pkt(&p, 100 * NS, "10.0.0.1", 40000, "10.0.0.2", dport, 10); /* query */
    flow_table_packet(t, &p);
    udp_pkt(&p, 100 * NS + gap, "10.0.0.1", 40000, "10.0.0.2", dport, 10); /* again, gap later */
    flow_table_packet(t, &p);
    done(t);
    return g.n;
}

static void test_udp_timeouts(void **st)
{
    (void)st;
    assert_int_equal(udp_sessions(59 * NS, 7000), 1); /* udp_inactivity_timeout 60 s */
    assert_int_equal(udp_sessions(61 * NS, 7000), 2);
    assert_int_equal(udp_sessions(9 * NS, 53), 1);    /* dns_session_timeout 10 s */
    assert_int_equal(udp_sessions(11 * NS, 53), 2);
}

static void test_icmp_timeout(void **st)
{
    (void)st;
    struct got g = {0};
    struct flow_table *t = mk(&g);
    icmp_echo(t, 100 * NS);
    icmp_echo(t, 159 * NS); /* within icmp_inactivity_timeout (60 s) */
    icmp_echo(t, 220 * NS); /* 61 s after the last: a new session */
    done(t);
    assert_int_equal(g.n, 2);
    assert_string_equal(g.r[0].proto, "icmp");
    assert_int_equal(g.r[0].opkts, 2);
    assert_int_equal(g.r[0].orig_p, 8); /* type 8 ... */
    assert_int_equal(g.r[0].resp_p, 0); /* ... and its counterpart, echo reply 0 */
    assert_int_equal(g.r[1].opkts, 1);
}

/* ---- likely server ports -------------------------------------------------------- */

static void test_udp_server_port_flip(void **st)
{
    (void)st;
    struct got g = {0};
    struct packet p;
    struct flow_table *t = mk(&g);
    /* a DNS response 10.0.0.1:53 -> 10.0.0.2:33333 seen first: the resolver
     * is the responder, as Zeek's likely_server_ports decides */
    udp_pkt(&p, 10 * NS, "10.0.0.1", 53, "10.0.0.2", 33333, 40);
    flow_table_packet(t, &p);
    /* NTP 10.0.0.3:123 -> 10.0.0.4:123: both ports are server ports, no flip */
    udp_pkt(&p, 10 * NS + 5, "10.0.0.3", 123, "10.0.0.4", 123, 48);
    flow_table_packet(t, &p);
    done(t);
    assert_int_equal(g.n, 2);
    struct rec *dns = strcmp(g.r[0].resp_h, "10.0.0.1") == 0 ? &g.r[0] : &g.r[1];
    struct rec *ntp = dns == &g.r[0] ? &g.r[1] : &g.r[0];
    assert_string_equal(dns->orig_h, "10.0.0.2");
    assert_int_equal(dns->orig_p, 33333);
    assert_int_equal(dns->resp_p, 53);
    assert_string_equal(dns->hist, "^d");
    assert_string_equal(dns->state, "SHR");
    assert_string_equal(ntp->orig_h, "10.0.0.3");
    assert_string_equal(ntp->hist, "D");
}

/* ---- tunnels -------------------------------------------------------------------- */

static void test_vxlan_tunnel_parents(void **st)
{
    (void)st;
    struct got g = {0};
    struct packet p;
    struct flow_table *t = mk(&g);
    /* layer 0: UDP 192.168.56.11:48134 -> 192.168.56.12:4789 carrying VXLAN
     * (8-byte header, VNI 123) and a 14-byte inner Ethernet header;
     * layer 1: ICMP echo request 10.0.0.1 -> 10.0.0.2 (8 + 56 bytes). */
    udp_pkt(&p, 10 * NS, "192.168.56.11", 48134, "192.168.56.12", 4789, 8 + 14 + 84);
    p.n_layers = 2;
    p.layer[0].encap = PKT_ENCAP_VXLAN;
    p.layer[0].has_encap_id = true;
    p.layer[0].encap_id = 123;
    ip4(&p.layer[1], "10.0.0.1", "10.0.0.2", 1, 64);
    p.layer[1].t.valid = true;
    p.layer[1].t.icmp_type = 8;
    flow_table_packet(t, &p);
    done(t);
    assert_int_equal(g.n, 2);
    struct rec *outer = strcmp(g.r[0].proto, "udp") == 0 ? &g.r[0] : &g.r[1];
    struct rec *inner = outer == &g.r[0] ? &g.r[1] : &g.r[0];
    assert_string_equal(outer->service, "vxlan");
    assert_int_equal(outer->n_parents, 0);
    assert_string_equal(inner->proto, "icmp");
    assert_int_equal(inner->n_parents, 1);
    assert_string_equal(inner->parent, outer->uid);
}

/* ---- Community ID ---------------------------------------------------------------- */

static void cid(uint16_t seed, const char *s, const char *d, uint8_t proto, uint16_t sp,
                uint16_t dp, bool ports, const char *want)
{
    uint8_t a[16] = {0}, b[16] = {0};
    int fam = strchr(s, ':') ? AF_INET6 : AF_INET;
    assert_int_equal(inet_pton(fam, s, a), 1);
    assert_int_equal(inet_pton(fam, d, b), 1);
    int alen = fam == AF_INET6 ? 16 : 4;
    char out[64], back[64];
    assert_true(community_id_v1(seed, a, b, alen, proto, sp, dp, ports, out, sizeof(out)) > 0);
    assert_string_equal(out, want);
    /* the reverse direction hashes the same (ICMP: the reply type answers) */
    if (proto != 1 && proto != 58) {
        community_id_v1(seed, b, a, alen, proto, dp, sp, ports, back, sizeof(back));
        assert_string_equal(back, want);
    }
}

static void test_community_id_spec(void **st)
{
    (void)st;
    /* community-id-spec baseline_deflt.json (seed 0) */
    cid(0, "2001:470:e5bf:dead:4957:2174:e82c:4887", "2607:f8b0:400c:c03::1a", 6, 63943, 25,
        true, "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=");                 /* TCP over IPv6, SMTP */
    cid(0, "192.168.1.52", "8.8.8.8", 17, 54585, 53, true,
        "1:d/FP5EW3wiY1vCndhwleRRKHowQ=");                        /* UDP, DNS query */
    cid(0, "192.168.0.89", "192.168.0.1", 1, 8, 0, true,
        "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=");                        /* ICMP echo request */
    cid(0, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 58, 135, 136, true,
        "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=");                        /* ICMPv6 neighbor sol. */
    cid(0, "192.168.170.8", "192.168.170.56", 132, 7, 7, true,
        "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=");                        /* SCTP echo port */
    cid(0, "10.1.12.1", "10.1.12.2", 46, 0, 0, false,
        "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=");                        /* RSVP: no ports */
    /* baseline_seed1.json (seed 1) */
    cid(1, "192.168.1.52", "8.8.8.8", 17, 54585, 53, true, "1:Q9We8WO3piVF8yEQBNJF4uiSVrI=");
    cid(1, "192.168.0.89", "192.168.0.1", 1, 8, 0, true, "1:03g6IloqVBdcZlPyX8r0hgoE7kA=");
    cid(1, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 58, 135, 136, true,
        "1:kHa1FhMYIT6Ym2Vm2AOtoOARDzY=");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bytes_per_flow_budget),
        cmocka_unit_test(test_weird_syn_with_data),
        cmocka_unit_test(test_weird_data_before_established),
        cmocka_unit_test(test_weird_originator_syn_ack),
        cmocka_unit_test(test_weird_ack_underflow),
        cmocka_unit_test(test_weird_premature_reuse),
        cmocka_unit_test(test_ipv6_session),
        cmocka_unit_test(test_vlan_separation),
        cmocka_unit_test(test_state_s0),
        cmocka_unit_test(test_state_s1),
        cmocka_unit_test(test_state_sf),
        cmocka_unit_test(test_state_rej),
        cmocka_unit_test(test_state_s2),
        cmocka_unit_test(test_state_s3),
        cmocka_unit_test(test_state_rsto),
        cmocka_unit_test(test_state_rstr),
        cmocka_unit_test(test_state_rstos0),
        cmocka_unit_test(test_state_rstrh),
        cmocka_unit_test(test_state_sh),
        cmocka_unit_test(test_state_shr),
        cmocka_unit_test(test_state_oth),
        cmocka_unit_test(test_history_scaling),
        cmocka_unit_test(test_udp_timeouts),
        cmocka_unit_test(test_icmp_timeout),
        cmocka_unit_test(test_udp_server_port_flip),
        cmocka_unit_test(test_vxlan_tunnel_parents),
        cmocka_unit_test(test_community_id_spec),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
