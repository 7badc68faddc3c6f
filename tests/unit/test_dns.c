/*
 * test_dns.c - the DNS parsers (src/proto/dns*.c) driven through the fake
 * struct proto_ctx of proto_fake.c (the app layer is not linked): rows of
 * dns.log as Zeek's TSV writer would print them, weirds by name.  Covers
 * compression (backward chains, forward and self pointers), truncation at
 * every byte, TCP framing split at every byte, every RR type's rendering,
 * query/reply pairing and the rows logged when the session ends, NetBIOS
 * names and dynamic update.
 *
 * Messages are built with the small builder below (msg_*); each call says
 * what it appends.  Raw byte arrays carry their decoding in comments.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/dns.h"
#include "store/zeeklog.h"

#include "proto_fake.h"

/* ---- the fake app layer (proto_fake.c) ---- */

/* A fake ctx whose rows are dns.log from proto on, tab-separated: "proto
 * trans_id rtt query ..." (ts, uid and the id fields left out). */
static struct proto_ctx *fake_new(uint16_t resp_p, uint8_t ip_proto)
{
    struct proto_ctx *c = proto_fake_new(resp_p);
    c->conn.uid = "CdnsTest0000000001";
    c->conn.ip_proto = ip_proto;
    proto_fake_first = DNS_F_PROTO;
    proto_fake_sep = '\t';
    return c;
}

/* ---- a message builder ---- */

struct msg {
    uint8_t b[4096];
    size_t n;
};

static void put8(struct msg *m, unsigned v)
{
    m->b[m->n++] = (uint8_t)v;
}

static void put16(struct msg *m, unsigned v)
{
    put8(m, v >> 8);
    put8(m, v & 0xff);
}

static void put32(struct msg *m, uint32_t v)
{
    put16(m, v >> 16);
    put16(m, v & 0xffff);
}

static void putbytes(struct msg *m, const void *p, size_t n)
{
    memcpy(m->b + m->n, p, n);
    m->n += n;
}

/* Header: id, flags word, QD AN NS AR counts. */
static void msg_hdr(struct msg *m, unsigned id, unsigned flags, unsigned qd, unsigned an,
                    unsigned ns, unsigned ar)
{
    m->n = 0;
    put16(m, id);
    put16(m, flags);
    put16(m, qd);
    put16(m, an);
    put16(m, ns);
    put16(m, ar);
}

/* "www.example.com" as length-prefixed labels and the root byte. */
static void msg_name(struct msg *m, const char *name)
{
    while (*name) {
        const char *dot = strchr(name, '.');
        size_t l = dot ? (size_t)(dot - name) : strlen(name);
        put8(m, (unsigned)l);
        putbytes(m, name, l);
        name += l;
        if (*name == '.')
            name++;
    }
    put8(m, 0);
}

/* Question: name, qtype, qclass. */
static void msg_q(struct msg *m, const char *name, unsigned qtype, unsigned qclass)
{
    msg_name(m, name);
    put16(m, qtype);
    put16(m, qclass);
}

/* RR header with a pointer to offset 12 (the question's name): c0 0c. */
static void msg_rr_ptr12(struct msg *m, unsigned type, uint32_t ttl, unsigned rdlen)
{
    put16(m, 0xc00c);
    put16(m, type);
    put16(m, 1);
    put32(m, ttl);
    put16(m, rdlen);
}

#define QUERY_FLAGS 0x0100 /* QR=0 opcode 0 RD */
#define REPLY_FLAGS 0x8180 /* QR=1 opcode 0 RD RA NOERROR */

static struct proto_ctx *udp_run(const struct msg *const *msgs, size_t n, uint16_t port)
{
    struct proto_ctx *ctx = fake_new(port, 17);
    void *st = proto_dns_udp.state_new(ctx);
    for (size_t i = 0; i < n; i++)
        proto_dns_udp.parse(st, ctx, i % 2 ? PROTO_RESP : PROTO_ORIG, msgs[i]->b, msgs[i]->n,
                            1000000000LL * 100 + (int64_t)i * 5000000);
    proto_dns_udp.state_free(st, ctx);
    return ctx;
}

/* The A query of www.example.com, id 0x1234. */
static void build_query(struct msg *q)
{
    msg_hdr(q, 0x1234, QUERY_FLAGS, 1, 0, 0, 0);
    msg_q(q, "WWW.Example.com", 1, 1);
}

/* Its reply: CNAME web.example.com ("web" + a pointer to "example.com" at
 * offset 16) and A 93.184.216.34, both owned by c0 0c (the question). */
static void build_reply(struct msg *r)
{
    msg_hdr(r, 0x1234, REPLY_FLAGS, 1, 2, 0, 0);
    msg_q(r, "www.example.com", 1, 1);
    msg_rr_ptr12(r, 5, 300, 6);
    put8(r, 3), putbytes(r, "web", 3), put16(r, 0xc010); /* 3 web c0 10 */
    msg_rr_ptr12(r, 1, 60, 4);
    putbytes(r, "\x5d\xb8\xd8\x22", 4); /* 93.184.216.34 */
}

static const char *const pair_row =
    "udp\t4660\t0.005000\twww.example.com\t1\tC_INTERNET\t1\tA\t0\tNOERROR\tF\tF\tT\tT\t0\t"
    "web.example.com,93.184.216.34\t300.000000,60.000000\tF\t0\tquery\t1:test";

static void test_pair(void **state)
{
    (void)state;
    struct msg q, r;
    build_query(&q);
    build_reply(&r);
    const struct msg *ms[] = {&q, &r};
    struct proto_ctx *ctx = udp_run(ms, 2, 53);
    assert_int_equal(ctx->n_rows, 1);
    assert_string_equal(ctx->rows[0], pair_row);
    assert_int_equal(ctx->confirms, 2);
    assert_string_equal(ctx->weirds, "");
    free(ctx);
}

/* Unanswered query: logged when the session ends, no rcode, no rtt. */
static void test_query_only(void **state)
{
    (void)state;
    struct msg q;
    build_query(&q);
    const struct msg *ms[] = {&q};
    struct proto_ctx *ctx = udp_run(ms, 1, 53);
    assert_int_equal(ctx->n_rows, 1);
    assert_string_equal(ctx->rows[0], "udp\t4660\t-\twww.example.com\t1\tC_INTERNET\t1\tA\t-\t-"
                                      "\tF\tF\tT\tF\t0\t-\t-\tF\t0\tquery\t1:test");
    free(ctx);
}

/* Reply, then the same reply again: the first pairs, the second is
 * logged at the end with the query taken from the first answer's owner. */
static void test_two_replies(void **state)
{
    (void)state;
    struct msg q, r;
    build_query(&q);
    build_reply(&r);
    const struct msg *ms[] = {&q, &r, &r};
    struct proto_ctx *ctx = udp_run(ms, 3, 53);
    assert_int_equal(ctx->n_rows, 2);
    assert_string_equal(ctx->rows[0], pair_row);
    assert_string_equal(ctx->rows[1],
                        "udp\t4660\t-\twww.example.com\t-\t-\t-\t-\t0\tNOERROR\tF\tF\tF\tT\t0\t"
                        "web.example.com,93.184.216.34\t300.000000,60.000000\tF\t0\tquery\t1:test");
    free(ctx);
}

/* A refused reply with no question: rejected. */
static void test_rejected(void **state)
{
    (void)state;
    struct msg r;
    msg_hdr(&r, 7, 0x8105, 0, 0, 0, 0); /* QR RD, rcode 5 REFUSED, no sections */
    const struct msg *ms[] = {&r};
    struct proto_ctx *ctx = udp_run(ms, 1, 53);
    assert_int_equal(ctx->n_rows, 1);
    assert_non_null(strstr(ctx->rows[0], "\t5\tREFUSED\t"));
    assert_non_null(strstr(ctx->rows[0], "\t-\t-\tT\t0\tquery"));
    free(ctx);
}

/* ---- compression ---- */

/* id 1, QR=1, QD=1 AN=1; question www.a (3 www 1 a 0) A IN; answer name
 * c0 0c; A IN ttl 1 rdlen 4 1.2.3.4 - and variants patched below. */
static const uint8_t comp_base[] = {
    0x00, 0x01, 0x81, 0x80, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, /* header */
    0x03, 'w', 'w', 'w', 0x01, 'a', 0x00, 0x00, 0x01, 0x00, 0x01,           /* q @12 */
    0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01,             /* rr @23 */
    0x00, 0x04, 0x01, 0x02, 0x03, 0x04,                                     /* rdata */
};

static struct proto_ctx *udp_one(const uint8_t *p, size_t n, uint16_t port)
{
    struct msg m;
    memcpy(m.b, p, n);
    m.n = n;
    const struct msg *ms[] = {&m};
    return udp_run(ms, 1, port);
}

static void test_compression(void **state)
{
    (void)state;
    uint8_t b[sizeof(comp_base)];
    struct proto_ctx *ctx = udp_one(comp_base, sizeof(comp_base), 53);
    assert_non_null(strstr(ctx->rows[0], "\twww.a\t"));
    assert_non_null(strstr(ctx->rows[0], "\t1.2.3.4\t"));
    free(ctx);

    /* answer name c0 17 points at itself (offset 23): a loop */
    memcpy(b, comp_base, sizeof(b));
    b[24] = 0x17;
    ctx = udp_one(b, sizeof(b), 53);
    assert_non_null(strstr(ctx->weirds, "DNS_label_forward_compress_offset"));
    free(ctx);

    /* c0 30: forward, past the end */
    b[24] = 0x30;
    ctx = udp_one(b, sizeof(b), 53);
    assert_non_null(strstr(ctx->weirds, "DNS_label_forward_compress_offset"));
    free(ctx);

    /* question name 3 www c0 0c: a pointer to the start of its own name */
    uint8_t self[] = {
        0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* query QD=1 */
        0x03, 'w', 'w', 'w', 0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, /* www + ptr to 12, A IN */
    };
    ctx = udp_one(self, sizeof(self), 53);
    assert_int_equal(ctx->n_rows, 1);
    /* legal (backwards) but re-reads "www" in the window before the pointer */
    assert_non_null(strstr(ctx->rows[0], "\twww.www\t"));
    free(ctx);
}

/*
 * A chain of n backward pointers: question "a" (offset 12); answer 1 of
 * unknown type 4000 whose RDATA (offset 29) holds n links "01 'b' c0 <the
 * previous link, or 12>"; answer 2, an A record owned by a pointer to the
 * last link, i.e. b.b.b...b.a.
 */
static struct proto_ctx *chain_run(unsigned n)
{
    struct msg r;
    msg_hdr(&r, 9, REPLY_FLAGS, 1, 2, 0, 0);
    msg_q(&r, "a", 1, 1);
    msg_rr_ptr12(&r, 4000, 5, 4 * n);
    size_t prev = 12;
    for (unsigned i = 0; i < n; i++) {
        size_t here = r.n;
        put8(&r, 1), put8(&r, 'b'), put16(&r, 0xc000 | (unsigned)prev); /* 01 b c0 prev */
        prev = here;
    }
    put16(&r, 0xc000 | (unsigned)prev), put16(&r, 1), put16(&r, 1), put32(&r, 5), put16(&r, 4);
    put32(&r, 0x01020304); /* 1.2.3.4 */
    return udp_one(r.b, r.n, 53);
}

static void test_compression_chain(void **state)
{
    (void)state;
    struct proto_ctx *ctx = chain_run(100);
    assert_int_equal(ctx->n_rows, 1);
    assert_string_equal(ctx->weirds, "DNS_RR_unknown_type;");
    assert_non_null(strstr(ctx->rows[0], "<unknown type=4000>,1.2.3.4"));
    free(ctx);
    ctx = chain_run(150); /* 151 pointers: past DNS_MAX_HOPS */
    assert_non_null(strstr(ctx->weirds, "DNS_label_too_many_pointers"));
    free(ctx);
}

/* ---- truncation ---- */

static void test_truncation_every_byte(void **state)
{
    (void)state;
    struct msg r;
    build_reply(&r);
    for (size_t n = 0; n <= r.n; n++) {
        struct proto_ctx *ctx = udp_one(r.b, n, 53);
        if (n < 12) {
            assert_int_equal(ctx->n_rows, 0);
            assert_non_null(strstr(ctx->weirds, "DNS_truncated_len_lt_hdr_len"));
        } else {
            assert_int_equal(ctx->n_rows, 1);
        }
        if (n == r.n)
            assert_string_equal(ctx->weirds, "");
        free(ctx);
    }
}

/* ---- TCP ---- */

static size_t tcp_stream(uint8_t *out, const struct msg *const *ms, size_t n)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        out[len++] = (uint8_t)(ms[i]->n >> 8); /* 2-byte length prefix */
        out[len++] = (uint8_t)ms[i]->n;
        memcpy(out + len, ms[i]->b, ms[i]->n);
        len += ms[i]->n;
    }
    return len;
}

/* Queries (two messages in one direction), replies in the other, every
 * direction's bytes cut at split (0 = whole). */
static struct proto_ctx *tcp_run(size_t split)
{
    struct msg q1, r1, q2, r2;
    uint8_t os[8192], rs[8192];
    build_query(&q1);
    build_reply(&r1);
    build_query(&q2);
    q2.b[1] = 0x35; /* id 0x1235 */
    build_reply(&r2);
    r2.b[1] = 0x35;
    const struct msg *qs[] = {&q1, &q2}, *rss[] = {&r1, &r2};
    size_t on = tcp_stream(os, qs, 2), rn = tcp_stream(rs, rss, 2);
    struct proto_ctx *ctx = fake_new(53, 6);
    void *st = proto_dns_tcp.state_new(ctx);
    size_t cut_o = split && split < on ? split : on, cut_r = split && split < rn ? split : rn;
    proto_dns_tcp.parse(st, ctx, PROTO_ORIG, os, cut_o, 100000000000LL);
    proto_dns_tcp.parse(st, ctx, PROTO_ORIG, os + cut_o, on - cut_o, 100000000000LL);
    proto_dns_tcp.parse(st, ctx, PROTO_RESP, rs, cut_r, 100010000000LL);
    proto_dns_tcp.parse(st, ctx, PROTO_RESP, rs + cut_r, rn - cut_r, 100010000000LL);
    proto_dns_tcp.state_free(st, ctx);
    return ctx;
}

static void test_tcp_split(void **state)
{
    (void)state;
    struct proto_ctx *whole = tcp_run(0);
    assert_int_equal(whole->n_rows, 2);
    assert_non_null(strstr(whole->rows[0], "tcp\t4660\t0.010000\twww.example.com"));
    assert_non_null(strstr(whole->rows[1], "tcp\t4661\t0.010000\twww.example.com"));
    for (size_t split = 1; split < 120; split++) {
        struct proto_ctx *c = tcp_run(split);
        assert_int_equal(c->n_rows, 2);
        assert_string_equal(c->rows[0], whole->rows[0]);
        assert_string_equal(c->rows[1], whole->rows[1]);
        free(c);
    }
    free(whole);
}

/* Byte by byte, and a gap inside the second message. */
static void test_tcp_bytewise_and_gap(void **state)
{
    (void)state;
    struct msg q1, q2;
    uint8_t os[4096];
    build_query(&q1);
    build_query(&q2);
    q2.b[1] = 0x35;
    const struct msg *qs[] = {&q1, &q2};
    size_t on = tcp_stream(os, qs, 2);
    struct proto_ctx *ctx = fake_new(53, 6);
    void *st = proto_dns_tcp.state_new(ctx);
    for (size_t i = 0; i < on; i++)
        proto_dns_tcp.parse(st, ctx, PROTO_ORIG, os + i, 1, 1);
    proto_dns_tcp.state_free(st, ctx);
    assert_int_equal(ctx->n_rows, 2);
    free(ctx);

    ctx = fake_new(53, 6);
    st = proto_dns_tcp.state_new(ctx);
    size_t second = 2 + q1.n; /* where the second message's length starts */
    proto_dns_tcp.parse(st, ctx, PROTO_ORIG, os, second + 6, 1);
    proto_dns_tcp.gap(st, ctx, PROTO_ORIG, 4);
    proto_dns_tcp.parse(st, ctx, PROTO_ORIG, os + second + 10, on - second - 10, 1);
    proto_dns_tcp.parse(st, ctx, PROTO_ORIG, os, on, 2); /* framing kept: both parse again */
    proto_dns_tcp.state_free(st, ctx);
    assert_non_null(strstr(ctx->weirds, "DNS_message_lost_in_gap"));
    assert_int_equal(ctx->n_rows, 3);
    free(ctx);
}

/* ---- RR types ---- */

/* One reply to "x.test" qtype qt holding one answer of type t with rdata
 * rd (rdlen n); returns the answers column. */
static char *one_answer(unsigned t, const void *rd, size_t n, unsigned port)
{
    static char out[1024];
    struct msg r;
    msg_hdr(&r, 1, REPLY_FLAGS, 1, 1, 0, 0);
    msg_q(&r, "x.test", t, 1);
    msg_rr_ptr12(&r, t, 10, (unsigned)n);
    putbytes(&r, rd, n);
    struct proto_ctx *ctx = udp_one(r.b, r.n, (uint16_t)port);
    out[0] = '\0';
    if (ctx->n_rows == 1) {
        const char *p = ctx->rows[0];
        for (int tab = 0; tab < DNS_F_ANSWERS - DNS_F_PROTO && p; tab++)
            p = strchr(p, '\t') ? strchr(p, '\t') + 1 : NULL;
        if (p) {
            size_t l = strcspn(p, "\t");
            memcpy(out, p, l);
            out[l] = '\0';
        }
    }
    free(ctx);
    return out;
}

static void test_rr_types(void **state)
{
    (void)state;
    /* AAAA 2001:db8::1 */
    assert_string_equal(one_answer(28, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16, 53),
                        "2001:db8::1");
    /* NS / PTR: pointer to x.test (c0 0c) */
    assert_string_equal(one_answer(2, "\xc0\x0c", 2, 53), "x.test");
    assert_string_equal(one_answer(12, "\xc0\x0c", 2, 53), "x.test");
    /* MX: preference 10, exchange "mx" + c0 0c */
    assert_string_equal(one_answer(15, "\x00\x0a\x02mx\xc0\x0c", 7, 53), "mx.x.test");
    /* SRV: prio 1 weight 2 port 443, target c0 0c */
    assert_string_equal(one_answer(33, "\x00\x01\x00\x02\x01\xbb\xc0\x0c", 8, 53), "x.test");
    /* TXT: two strings "ab" and "" */
    assert_string_equal(one_answer(16, "\x02" "ab" "\x00", 4, 53), "TXT 2 ab TXT 0 ");
    /* SPF: "v=spf1" */
    assert_string_equal(one_answer(99, "\x06v=spf1", 7, 53), "SPF 6 v=spf1");
    /* SOA: mname ns (2 ns c0 0c), rname c0 0c, five longs */
    assert_string_equal(one_answer(6, "\x02ns\xc0\x0c\xc0\x0c" "\0\0\0\1\0\0\0\2\0\0\0\3\0\0\0\4\0\0\0\5",
                                   27, 53),
                        "ns.x.test");
    /* CAA 0 issue "ca": Zeek logs no answer */
    assert_string_equal(one_answer(257, "\x00\x05issueca", 9, 53), "-");
    /* HTTPS priority 1, target root, no params: no answer */
    assert_string_equal(one_answer(65, "\x00\x01\x00", 3, 53), "-");
    /* NAPTR order 100 pref 10 flags "s" service "SIP+D2U" regexp "" replacement _sip.x.test */
    assert_string_equal(one_answer(35, "\x00\x64\x00\x0a\x01s\x07SIP+D2U\x00\x04_sip\xc0\x0c", 23, 53),
                        "NAPTR 100 10 s SIP+D2U _sip.x.test");
    /* DNSKEY flags 257 protocol 3 algorithm 8, key 2 bytes */
    assert_string_equal(one_answer(48, "\x01\x01\x03\x08\xaa\xbb", 6, 53), "DNSKEY 8");
    /* RRSIG covering A (1), alg 8, 2 labels, ttls/times/tag, signer c0 0e ("test"), sig 2 bytes */
    assert_string_equal(one_answer(46, "\x00\x01\x08\x02" "\0\0\0\1" "\0\0\0\2" "\0\0\0\3" "\x12\x34"
                                       "\xc0\x0e\xde\xad", 22, 53),
                        "RRSIG 1 test");
    /* RRSIG with the root as signer */
    assert_string_equal(one_answer(46, "\x00\x01\x08\x02" "\0\0\0\1" "\0\0\0\2" "\0\0\0\3" "\x12\x34"
                                       "\x00", 19, 53),
                        "RRSIG 1 <Root>");
    /* NSEC next "z" + c0 0e, bitmap 00 01 40 */
    assert_string_equal(one_answer(47, "\x01z\xc0\x0e\x00\x01\x40", 7, 53), "NSEC x.test z.test");
    /* DS tag 0x1234 alg 8 digest type 2, digest 1 byte */
    assert_string_equal(one_answer(43, "\x12\x34\x08\x02\xff", 5, 53), "DS 8 2");
    /* SSHFP alg 1 type 1 fp ab cd */
    assert_string_equal(one_answer(44, "\x01\x01\xab\xcd", 4, 53), "SSHFP: abcd");
    /* NSEC3 / NSEC3PARAM / BIND9 private type: fixed texts */
    assert_string_equal(one_answer(50, "\x01\x00\x00\x00", 4, 53), "NSEC3");
    assert_string_equal(one_answer(51, "\x01\x00\x00\x00", 4, 53), "NSEC3PARAM");
    assert_string_equal(one_answer(65534, "\x08\x12\x34\x00\x00", 5, 53), "BIND9 signing signal");
    /* LOC version 0 size 0x12 hp 0x16 vp 0x13, then 12 bytes */
    assert_string_equal(one_answer(29, "\x00\x12\x16\x13" "\0\0\0\0\0\0\0\0\0\0\0\0", 16, 53),
                        "LOC:  18 22 19");
    /* an unassigned type 4000 */
    assert_string_equal(one_answer(4000, "\x01\x02", 2, 53), "<unknown type=4000>");
    /* WKS: Zeek's handler logs nothing but still sets rtt/query */
    assert_string_equal(one_answer(11, "\x01\x02\x03\x04\x06", 5, 53), "-");
    /* A with a bad length: weird, no answer */
    assert_string_equal(one_answer(1, "\x01\x02\x03", 3, 53), "-");
}

/* A TXT string past its RDLENGTH stops the message. */
static void test_txt_past_rdlen(void **state)
{
    (void)state;
    struct msg r;
    msg_hdr(&r, 1, REPLY_FLAGS, 1, 1, 0, 0);
    msg_q(&r, "x.test", 16, 1);
    msg_rr_ptr12(&r, 16, 10, 3);
    putbytes(&r, "\x05" "ab", 3); /* string of 5 in 3 bytes of RDATA */
    struct proto_ctx *ctx = udp_one(r.b, r.n, 53);
    assert_non_null(strstr(ctx->weirds, "DNS_TXT_char_str_past_rdlen"));
    assert_int_equal(ctx->confirms, 0);
    free(ctx);
}

/* ---- NetBIOS and dynamic update ---- */

static void test_netbios(void **state)
{
    (void)state;
    struct msg q;
    /* WORKGROUP padded with spaces, type 0x00: "FHEPFCELEHFCEPFFFACACACACACACAAA" */
    msg_hdr(&q, 0x8a, 0x0110, 1, 0, 0, 0); /* opcode 0, RD, broadcast */
    msg_q(&q, "FHEPFCELEHFCEPFFFACACACACACACAAA", 32, 1);
    const struct msg *ms[] = {&q};
    struct proto_ctx *ctx = udp_run(ms, 1, 137);
    assert_int_equal(ctx->n_rows, 1);
    assert_string_equal(ctx->rows[0], "udp\t138\t-\tWORKGROUP\t1\tC_INTERNET\t32\tNIMLOC\t-\t-\tF"
                                      "\tF\tT\tF\t1\t-\t-\tF\t0\tnetbios-query\t1:test");
    free(ctx);
}

static void test_dynamic_update(void **state)
{
    (void)state;
    struct msg u, r;
    /* the update: opcode 5, zone example. SOA IN, no prereqs, 1 update: A host 10.1.2.3 */
    msg_hdr(&u, 77, 0x2800, 1, 0, 1, 0);
    msg_q(&u, "Example", 6, 1);
    msg_name(&u, "host.example"), put16(&u, 1), put16(&u, 1), put32(&u, 1200), put16(&u, 4);
    putbytes(&u, "\x0a\x01\x02\x03", 4);
    /* the response echoes: QR, opcode 5; prereq: NONE CNAME host (rdlen 0); update: ANY A (del), A add */
    msg_hdr(&r, 77, 0xa800, 1, 1, 2, 0);
    msg_q(&r, "Example", 6, 1);
    msg_name(&r, "host.example"), put16(&r, 5), put16(&r, 254), put32(&r, 0), put16(&r, 0);
    msg_name(&r, "host.example"), put16(&r, 1), put16(&r, 255), put32(&r, 0), put16(&r, 0);
    msg_name(&r, "host.example"), put16(&r, 1), put16(&r, 1), put32(&r, 1200), put16(&r, 4);
    putbytes(&r, "\x0a\x01\x02\x03", 4);
    const struct msg *ms[] = {&u, &r};
    struct proto_ctx *ctx = udp_run(ms, 2, 53);
    assert_int_equal(ctx->n_rows, 1);
    assert_string_equal(ctx->rows[0],
                        "udp\t77\t0.005000\thost.example\t-\t-\t-\t-\t0\tNOERROR\tF\tF\tF\tF\t0\t"
                        "pre: NoRRSet CNAME host.example,del: RRSet A,add: A host.example 10.1.2.3"
                        "\t0.000000,0.000000,1200.000000\tF\t5\tdynamic-update\t1:test");
    free(ctx);
}

/* Too many questions: Zeek's DNS_Conn_count_too_large. */
static void test_count_too_large(void **state)
{
    (void)state;
    struct msg q;
    msg_hdr(&q, 1, QUERY_FLAGS, 26, 0, 0, 0);
    const struct msg *ms[] = {&q};
    struct proto_ctx *ctx = udp_run(ms, 1, 53);
    assert_non_null(strstr(ctx->weirds, "DNS_Conn_count_too_large"));
    free(ctx);
}

static void test_probe(void **state)
{
    (void)state;
    struct msg q;
    uint8_t t[600];
    build_query(&q);
    assert_int_equal(proto_dns_udp.probe(q.b, q.n, PROTO_ORIG, 5000, 9999), PROTO_PROBE_YES);
    assert_int_equal(proto_dns_udp.probe((const uint8_t *)"GET / HTTP/1.1\r\n\r\n", 18,
                                         PROTO_ORIG, 5000, 9999),
                     PROTO_PROBE_NO);
    t[0] = (uint8_t)(q.n >> 8), t[1] = (uint8_t)q.n; /* TCP length prefix */
    memcpy(t + 2, q.b, q.n);
    assert_int_equal(proto_dns_tcp.probe(t, q.n + 2, PROTO_ORIG, 5000, 9999), PROTO_PROBE_YES);
    assert_int_equal(proto_dns_tcp.probe(t, 1, PROTO_ORIG, 5000, 9999), PROTO_PROBE_MAYBE);
    /* on the well-known ports, as Zeek: by port alone */
    assert_int_equal(proto_dns_tcp.probe(t, 1, PROTO_ORIG, 5000, 53), PROTO_PROBE_YES);
    assert_int_equal(proto_dns_udp.probe((const uint8_t *)"\x01\x02", 2, PROTO_ORIG, 123, 137),
                     PROTO_PROBE_YES);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pair),
        cmocka_unit_test(test_query_only),
        cmocka_unit_test(test_two_replies),
        cmocka_unit_test(test_rejected),
        cmocka_unit_test(test_compression),
        cmocka_unit_test(test_compression_chain),
        cmocka_unit_test(test_truncation_every_byte),
        cmocka_unit_test(test_tcp_split),
        cmocka_unit_test(test_tcp_bytewise_and_gap),
        cmocka_unit_test(test_rr_types),
        cmocka_unit_test(test_txt_past_rdlen),
        cmocka_unit_test(test_netbios),
        cmocka_unit_test(test_dynamic_update),
        cmocka_unit_test(test_count_too_large),
        cmocka_unit_test(test_probe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
