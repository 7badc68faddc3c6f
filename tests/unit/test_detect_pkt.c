/*
 * test_detect_pkt.c - the packet, flow and event keywords of rule_pkt.c /
 * engine_pkt.c: vlan.id (layer selection, all, any), vlan.layers,
 * tcp.flags, icmpv6.mtu, fragbits, fragoffset, ipopts, sameip, ttl ranges,
 * decode-event, prefilter, frame's rejection, unmapped events, flowint
 * (conditions, modifiers, unset variables, variable operands) and
 * stream_size (sequence space per direction), the midstream reversal of a
 * flow's direction (detect_flow_reverse), the per-flow table (growth,
 * ended flows), xbits (ip_src with expiry,
 * ip_pair either way, unset).  Rules are
 * parsed with the real parser and run through a real engine on synthetic
 * packets (detect_packet without a flow: no flow state).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "decode/decode.h"
#include "detect/engine_int.h"
#include "detect/rule_pkt.h"

static int alerts;

static void count_alert(void *ctx, const struct record_hdr *rec)
{
    (void)ctx;
    (void)rec;
    alerts++;
}

/* An IPv4 packet 10.0.0.1 -> 10.0.0.2 of protocol proto with an 8-byte
 * transport header copy in l4 (for icmpv6.mtu). */
static void pkt_init(struct packet *p, uint8_t version, uint8_t proto)
{
    static uint8_t l4[8];
    memset(p, 0, sizeof(*p));
    p->flags = PKT_F_IP;
    p->num = 1;
    p->n_layers = 1;
    struct pkt_ip *ip = &p->layer[0];
    ip->version = version;
    ip->proto = proto;
    ip->ttl = 64;
    ip->src[0] = 10, ip->src[3] = 1;
    ip->dst[0] = 10, ip->dst[3] = 2;
    ip->t.valid = true;
    ip->l4 = l4;
    ip->l4_len = sizeof(l4);
}

/* Alerts of a one-rule engine (header "alert HDR (OPTS sid:1;)") on p;
 * -1 when the rule is rejected or skipped by the engine. */
static int run(const char *hdr, const char *opts, const struct packet *p)
{
    struct ruleset rs;
    char text[1024], err[256];
    assert_int_equal(ruleset_init(&rs), 0);
    snprintf(text, sizeof(text), "alert %s (msg:\"t\"; %s sid:1;)\n", hdr, opts);
    ruleset_load_text(&rs, "t", text, strlen(text));
    if (rs.n != 1) {
        ruleset_free(&rs);
        return -1;
    }
    struct detect_engine *e = detect_engine_new(&rs, count_alert, NULL, NULL, err, sizeof(err));
    assert_non_null(e);
    struct detect_counters c;
    detect_engine_counters(e, &c);
    int got = -1;
    if (c.rules == 1) {
        detect_engine_install(e);
        alerts = 0;
        detect_packet(p);
        got = alerts;
        detect_engine_install(NULL);
    }
    detect_engine_free(e);
    ruleset_free(&rs);
    return got;
}

static void test_vlan(void **st)
{
    (void)st;
    struct packet p;
    pkt_init(&p, 4, 1);
    p.link.n_vlan = 3;
    p.link.vlan[0] = 200, p.link.vlan[1] = 300, p.link.vlan[2] = 400;
    assert_int_equal(run("ip any any -> any any", "vlan.id:200,0;", &p), 1);
    assert_int_equal(run("ip any any -> any any", "vlan.id:200,1;", &p), 0);
    assert_int_equal(run("ip any any -> any any", "vlan.id:300;", &p), 1);
    assert_int_equal(run("ip any any -> any any", "vlan.id:400,-1;", &p), 1);
    assert_int_equal(run("ip any any -> any any", "vlan.id:0x12C,1;", &p), 1);
    assert_int_equal(run("ip any any -> any any", "vlan.id:!500,all;", &p), 1);
    assert_int_equal(run("ip any any -> any any", "vlan.id:>250,all;", &p), 0);
    assert_int_equal(run("ip any any -> any any", "vlan.id:100-600,2;", &p), 1);
    assert_int_equal(run("ip any any -> any any", "vlan.layers:3;", &p), 1);
    assert_int_equal(run("ip any any -> any any", "vlan.layers:<3;", &p), 0);
    assert_int_equal(run("ip any any -> any any", "vlan.id:200,0; prefilter;", &p), 1);
    p.link.n_vlan = 0;
    assert_int_equal(run("ip any any -> any any", "vlan.id:!500,all;", &p), 0);
    assert_int_equal(run("ip any any -> any any", "vlan.id:!200,1;", &p), 0);
    assert_int_equal(run("ip any any -> any any", "vlan.layers:0;", &p), 1);
    assert_int_equal(run("ip any any -> any any", "vlan.id:5000;", &p), -1);
    assert_int_equal(run("ip any any -> any any", "vlan.id:5,7;", &p), -1);
}

static void test_ip_keywords(void **st)
{
    (void)st;
    struct packet p;
    static uint8_t hdr[20];
    pkt_init(&p, 4, 6);
    p.layer[0].t.tcp_flags = 0x02; /* SYN */
    assert_int_equal(run("tcp any any -> any any", "tcp.flags:S;", &p), 1);
    assert_int_equal(run("tcp any any -> any any", "tcp.flags:SA;", &p), 0);
    assert_int_equal(run("tcp any any -> any any", "ttl:60<>70;", &p), 1);
    assert_int_equal(run("tcp any any -> any any", "ttl:>64;", &p), 0);
    p.layer[0].hdr = hdr;
    p.layer[0].df = true;
    assert_int_equal(run("ip any any -> any any", "fragbits:D;", &p), 1);
    assert_int_equal(run("ip any any -> any any", "fragbits:M;", &p), 0);
    assert_int_equal(run("ip any any -> any any", "fragbits:*MD;", &p), 1);
    assert_int_equal(run("ip any any -> any any", "fragbits:!M;", &p), 1);
    hdr[6] = 0x80; /* the reserved bit */
    assert_int_equal(run("ip any any -> any any", "fragbits:D;", &p), 0);
    assert_int_equal(run("ip any any -> any any", "fragbits:+DR;", &p), 1);
    p.layer[0].frag_offset = 1480;
    assert_int_equal(run("ip any any -> any any", "fragoffset:185;", &p), 1);
    assert_int_equal(run("ip any any -> any any", "fragoffset:!185;", &p), 0);
    assert_int_equal(run("ip any any -> any any", "ipopts:rr;", &p), 0);
    assert_int_equal(run("ip any any -> any any", "ipopts:any;", &p), 0);
    p.layer[0].ip_options = PKT_IPOPT_RR;
    assert_int_equal(run("ip any any -> any any", "ipopts:rr;", &p), 1);
    assert_int_equal(run("ip any any -> any any", "ipopts:any;", &p), 1);
    assert_int_equal(run("ip any any -> any any", "ipopts:ts;", &p), 0);
    assert_int_equal(run("ip any any -> any any", "ipopts:nop;", &p), -1);
    assert_int_equal(run("ip any any -> any any", "sameip;", &p), 0);
    memcpy(p.layer[0].dst, p.layer[0].src, 16);
    assert_int_equal(run("ip any any -> any any", "sameip;", &p), 1);
}

static void test_icmpv6_mtu(void **st)
{
    (void)st;
    struct packet p;
    pkt_init(&p, 6, 58);
    p.layer[0].t.icmp_type = 2; /* Packet Too Big, MTU 1000 */
    uint8_t *l4 = (uint8_t *)p.layer[0].l4;
    memset(l4, 0, 8);
    l4[0] = 2, l4[6] = 0x03, l4[7] = 0xe8;
    assert_int_equal(run("ipv6 any any -> any any", "icmpv6.mtu:<1280;", &p), 1);
    assert_int_equal(run("ipv6 any any -> any any", "icmpv6.mtu:1000;", &p), 1);
    assert_int_equal(run("ipv6 any any -> any any", "icmpv6.mtu:>1000;", &p), 0);
    p.layer[0].t.icmp_type = 128; /* echo request: no MTU */
    assert_int_equal(run("ipv6 any any -> any any", "icmpv6.mtu:<1280;", &p), 0);
}

static void test_events(void **st)
{
    (void)st;
    struct packet p;
    pkt_init(&p, 6, 17);
    assert_int_equal(run("pkthdr any any -> any any", "decode-event:ipv6.frag_overlap;", &p), 0);
    p.n_anomalies = 1;
    p.anomalies[0] = DECODE_ANOM_FRAG_INCONSISTENT_OVERLAP;
    assert_int_equal(run("pkthdr any any -> any any", "decode-event:ipv6.frag_overlap;", &p), 1);
    /* a held fragment is still inspected for decode events, never for payload */
    p.flags |= PKT_F_FRAG_HELD;
    assert_int_equal(run("pkthdr any any -> any any", "decode-event:ipv6.frag_overlap;", &p), 1);
    assert_int_equal(run("ip any any -> any any", "ttl:64;", &p), 0);
    /* the IP version of the event must match */
    assert_int_equal(run("pkthdr any any -> any any", "decode-event:ipv4.frag_overlap;", &p), 0);
    /* events with no counterpart: parsed, skipped by the engine naming them */
    assert_int_equal(run("pkthdr any any -> any any", "decode-event:ipv6.zero_len_padn;", &p), -1);
    assert_int_equal(run("http any any -> any any", "app-layer-event:http.no_such_event;", &p),
                     -1);
    const char *kw = NULL;
    struct ruleset rs;
    const char *t = "alert tcp any any -> any any (stream-event:pkt_invalid_ack; sid:2;)\n";
    assert_int_equal(ruleset_init(&rs), 0);
    ruleset_load_text(&rs, "t", t, strlen(t));
    assert_int_equal(rs.n, 1);
    assert_int_equal(detect_rule_check(rs.rules[0], &kw), -1);
    assert_string_equal(kw, "stream-event:pkt_invalid_ack");
    ruleset_free(&rs);
    /* frame: rejected with a sentence */
    assert_int_equal(run("ssh any any -> any 22", "frame:ssh.record.pdu; content:\"a\";", &p), -1);
    assert_non_null(rule_event_name(RULE_EV_DECODE, 0));
}

/* flowint on a flow slot, through the engine's functions. */
static const struct rule *parse1(struct ruleset *rs, const char *opts)
{
    char text[512];
    snprintf(text, sizeof(text), "alert ip any any -> any any (%s sid:1;)\n", opts);
    ruleset_load_text(rs, "t", text, strlen(text));
    assert_int_equal(rs->n, 1);
    const struct rule *r = rs->rules[0];
    assert_int_equal(det_flowint_setup(r), 0);
    return r;
}

static int fi_ok(struct det_flow *fs, const char *opts)
{
    struct ruleset rs;
    assert_int_equal(ruleset_init(&rs), 0);
    int ok = det_flowint_ok(parse1(&rs, opts), fs);
    ruleset_free(&rs);
    return ok;
}

static void fi_apply(struct det_flow *fs, const char *opts)
{
    struct ruleset rs;
    assert_int_equal(ruleset_init(&rs), 0);
    det_flowint_apply(parse1(&rs, opts), fs);
    ruleset_free(&rs);
}

static void test_flowint(void **st)
{
    (void)st;
    struct det_flow fs;
    memset(&fs, 0, sizeof(fs));
    /* unset: comparisons fail, notset/isnotset hold */
    assert_false(fi_ok(&fs, "flowint:cnt,==,0;"));
    assert_false(fi_ok(&fs, "flowint:cnt,isset;"));
    assert_true(fi_ok(&fs, "flowint:cnt,notset;"));
    assert_true(fi_ok(&fs, "flowint:cnt,isnotset;"));
    /* "+" on an unset variable sets it; "-" on an unset one sets 0 */
    fi_apply(&fs, "flowint:cnt,+,1;");
    assert_true(fi_ok(&fs, "flowint:cnt,isset;"));
    assert_true(fi_ok(&fs, "flowint:cnt,==,1;"));
    fi_apply(&fs, "flowint:cnt,+,1;");
    fi_apply(&fs, "flowint:cnt,+,1;");
    assert_true(fi_ok(&fs, "flowint:cnt,==,3;"));
    assert_true(fi_ok(&fs, "flowint:cnt,>,2; flowint:cnt,<=,3;"));
    assert_false(fi_ok(&fs, "flowint:cnt,!=,3;"));
    fi_apply(&fs, "flowint:down,-,5;");
    assert_true(fi_ok(&fs, "flowint:down,==,0;"));
    fi_apply(&fs, "flowint:cnt,-,1;");
    assert_true(fi_ok(&fs, "flowint:cnt,==,2;"));
    fi_apply(&fs, "flowint:cnt,=,10;");
    assert_true(fi_ok(&fs, "flowint:cnt,>=,10;"));
    /* a variable as the operand: set, and not set */
    fi_apply(&fs, "flowint:lim,=,10;");
    assert_true(fi_ok(&fs, "flowint:cnt,==,lim;"));
    assert_false(fi_ok(&fs, "flowint:cnt,<,lim;"));
    assert_false(fi_ok(&fs, "flowint:cnt,==,nosuch;"));
    fi_apply(&fs, "flowint:cnt,+,lim;");
    assert_true(fi_ok(&fs, "flowint:cnt,==,20;"));
    /* a modifier in a rule is not a condition */
    assert_true(fi_ok(&fs, "flowint:other,+,1;"));
    /* a NULL flow: conditions on set values fail, notset holds */
    assert_false(fi_ok(NULL, "flowint:cnt,isset;"));
    assert_true(fi_ok(NULL, "flowint:cnt,notset;"));
    det_flow_release(&fs);
    assert_null(fs.ints);
    det_flowint_names_free();
}

/* stream_size on a flow fed TCP segments: SYN, 10 bytes, then the reply. */
static void tcp_seg(struct det_flow *fs, int to_server, uint8_t flags, uint32_t seq, uint32_t len)
{
    struct packet p;
    pkt_init(&p, 4, 6);
    p.layer[0].t.tcp_flags = flags;
    p.layer[0].t.seq = seq;
    p.layer[0].t.payload_len = len;
    det_flow_count(fs, &p, to_server);
}

static int ss_ok(const struct det_flow *fs, const char *opts)
{
    struct ruleset rs;
    char text[256];
    assert_int_equal(ruleset_init(&rs), 0);
    snprintf(text, sizeof(text), "alert tcp any any -> any any (%s sid:1;)\n", opts);
    ruleset_load_text(&rs, "t", text, strlen(text));
    assert_int_equal(rs.n, 1);
    int ok = det_stream_size_ok(rs.rules[0], fs);
    ruleset_free(&rs);
    return ok;
}

static void test_stream_size(void **st)
{
    (void)st;
    struct det_flow fs;
    memset(&fs, 0, sizeof(fs));
    assert_false(ss_ok(&fs, "stream_size:client,<,5;"));
    tcp_seg(&fs, 1, 0x02, 1000, 0); /* SYN: the client's size is 1 */
    assert_true(ss_ok(&fs, "stream_size:client,=,1;"));
    assert_true(ss_ok(&fs, "stream_size:server,<,5;")); /* nothing from the server yet */
    tcp_seg(&fs, 1, 0x18, 1001, 10);
    tcp_seg(&fs, 1, 0x18, 1001, 10); /* a retransmission adds nothing */
    assert_true(ss_ok(&fs, "stream_size:client,=,11;"));
    tcp_seg(&fs, 0, 0x10, 5000, 20); /* the server picked up midstream: isn = seq - 1 */
    assert_true(ss_ok(&fs, "stream_size:server,=,21;"));
    assert_true(ss_ok(&fs, "stream_size:both,>,10;"));
    assert_false(ss_ok(&fs, "stream_size:both,>,15;"));
    assert_true(ss_ok(&fs, "stream_size:either,>,15;"));
    assert_true(ss_ok(&fs, "stream_size:server,!=,11;"));
}

/* detect_flow_reverse: the app layer took the responder as the client
 * (midstream reversal): the per-direction counts swap sides. */
static void test_flow_reverse(void **st)
{
    (void)st;
    static const char rules[] = "alert tcp any any -> any any (flow:to_server; sid:1;)\n";
    struct ruleset rs;
    char err[256];
    assert_int_equal(ruleset_init(&rs), 0);
    ruleset_load_text(&rs, "t", rules, strlen(rules));
    struct detect_engine *e = detect_engine_new(&rs, count_alert, NULL, NULL, err, sizeof(err));
    assert_non_null(e);
    detect_engine_install(e);
    struct det_flow *fs = det_flow_find("CRevTest", 1);
    assert_non_null(fs);
    tcp_seg(fs, 1, 0x18, 1001, 10); /* conn.log's originator: 10 bytes, midstream */
    tcp_seg(fs, 0, 0x18, 5000, 20); /* its responder: 20 bytes */
    fs->seen = 1;
    assert_true(ss_ok(fs, "stream_size:client,=,11;"));
    detect_flow_reverse("CRevTest");
    assert_int_equal(fs->rev, 1);
    assert_int_equal(fs->seen, 2);
    assert_int_equal(fs->pkts[0], 1);
    assert_true(ss_ok(fs, "stream_size:client,=,21;")); /* the responder is the client now */
    assert_true(ss_ok(fs, "stream_size:server,=,11;"));
    detect_flow_reverse("CRevTest"); /* twice: back */
    assert_int_equal(fs->rev, 0);
    assert_true(ss_ok(fs, "stream_size:client,=,11;"));
    detect_flow_reverse("CNoSuchFlowYet"); /* a new slot: reversed from the start */
    assert_int_equal(det_flow_find("CNoSuchFlowYet", 0)->rev, 1);
    detect_engine_install(NULL);
    detect_engine_free(e);
    ruleset_free(&rs);
}

/* The per-flow table: every live flow keeps its own state however many
 * there are (it grows; pointers stay valid), an ended flow's state goes
 * (and only its), a uid seen again starts afresh. */
static void test_flow_table(void **st)
{
    (void)st;
    static const char rules[] = "alert tcp any any -> any any (flow:to_server; sid:1;)\n";
    struct ruleset rs;
    char err[256], uid[24];
    enum { N = 20000 };
    assert_int_equal(ruleset_init(&rs), 0);
    ruleset_load_text(&rs, "t", rules, strlen(rules));
    struct detect_engine *e = detect_engine_new(&rs, count_alert, NULL, NULL, err, sizeof(err));
    assert_non_null(e);
    detect_engine_install(e);
    struct det_flow *first = det_flow_find("CFirst0000000000", 1);
    assert_non_null(first);
    first->bits[0] = 0xf1;
    for (unsigned i = 0; i < N; i++) {
        snprintf(uid, sizeof(uid), "CT%014u", i);
        struct det_flow *fs = det_flow_find(uid, 1);
        assert_non_null(fs);
        assert_int_equal(fs->bits[0], 0); /* fresh */
        fs->bits[0] = i + 1;
        fs->pkts[0] = i;
    }
    assert_ptr_equal(det_flow_find("CFirst0000000000", 0), first); /* the same after growth */
    assert_int_equal(first->bits[0], 0xf1);
    for (unsigned i = 0; i < N; i += 3) { /* a third end */
        snprintf(uid, sizeof(uid), "CT%014u", i);
        detect_flow_end(uid);
    }
    snprintf(uid, sizeof(uid), "CT%014u", 0u);
    assert_non_null(det_flow_find(uid, 0)); /* kept until the next packet */
    det_flows_gone();
    for (unsigned i = 0; i < N; i++) {
        snprintf(uid, sizeof(uid), "CT%014u", i);
        struct det_flow *fs = det_flow_find(uid, 0);
        if (i % 3 == 0) {
            assert_null(fs);
        } else {
            assert_non_null(fs);
            assert_int_equal(fs->bits[0], i + 1);
            assert_int_equal(fs->pkts[0], i);
        }
    }
    snprintf(uid, sizeof(uid), "CT%014u", 3u);
    assert_int_equal(det_flow_find(uid, 1)->bits[0], 0); /* seen again: afresh */
    assert_int_equal(first->bits[0], 0xf1);
    detect_flow_end("CNeverSeen");
    det_flows_gone(); /* nothing to free */
    detect_engine_install(NULL);
    detect_engine_free(e);
    ruleset_free(&rs);
}

/* xbits by source address (with expiry) and by address pair. */
static int xb_pkt(uint8_t src, uint8_t dst, uint8_t ttl, int64_t sec)
{
    struct packet p;
    pkt_init(&p, 4, 17);
    p.layer[0].src[3] = src;
    p.layer[0].dst[3] = dst;
    p.layer[0].ttl = ttl;
    p.ts_sec = sec;
    alerts = 0;
    detect_packet(&p);
    return alerts;
}

static void test_xbits(void **st)
{
    (void)st;
    static const char rules[] =
        "alert ip any any -> any any (ttl:1; xbits:set,seen,track ip_src,expire 10; noalert; sid:1;)\n"
        "alert ip any any -> any any (ttl:64; xbits:isset,seen,track ip_src; sid:2;)\n"
        "alert ip any any -> any any (ttl:2; xbits:set,pair,track ip_pair; noalert; sid:3;)\n"
        "alert ip any any -> any any (ttl:64; xbits:isset,pair,track ip_pair; sid:4;)\n"
        "alert ip any any -> any any (ttl:3; xbits:unset,pair,track ip_pair; noalert; sid:5;)\n";
    struct ruleset rs;
    char err[256];
    assert_int_equal(ruleset_init(&rs), 0);
    ruleset_load_text(&rs, "t", rules, strlen(rules));
    assert_int_equal(rs.n, 5);
    struct detect_engine *e = detect_engine_new(&rs, count_alert, NULL, NULL, err, sizeof(err));
    assert_non_null(e);
    detect_engine_install(e);
    assert_int_equal(xb_pkt(1, 2, 64, 100), 0);
    assert_int_equal(xb_pkt(1, 2, 1, 100), 0);  /* sets seen for 10.0.0.1 until 110 */
    assert_int_equal(xb_pkt(1, 7, 64, 105), 1); /* any destination */
    assert_int_equal(xb_pkt(2, 1, 64, 105), 0); /* another source */
    assert_int_equal(xb_pkt(1, 2, 64, 111), 0); /* expired */
    assert_int_equal(xb_pkt(1, 2, 2, 120), 0);  /* sets pair (1, 2), no expiry */
    assert_int_equal(xb_pkt(2, 1, 64, 900), 1); /* the pair either way */
    assert_int_equal(xb_pkt(2, 3, 64, 900), 0);
    assert_int_equal(xb_pkt(1, 2, 3, 901), 0);  /* unset */
    assert_int_equal(xb_pkt(1, 2, 64, 902), 0);
    detect_engine_install(NULL);
    detect_engine_free(e);
    ruleset_free(&rs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vlan),
        cmocka_unit_test(test_ip_keywords),
        cmocka_unit_test(test_icmpv6_mtu),
        cmocka_unit_test(test_events),
        cmocka_unit_test(test_flow_reverse),
        cmocka_unit_test(test_flow_table),
        cmocka_unit_test(test_flowint),
        cmocka_unit_test(test_stream_size),
        cmocka_unit_test(test_xbits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
