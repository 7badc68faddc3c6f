/*
 * test_engine.c - the detection engine's matcher (src/detect/match.c):
 * content modifiers and relative matching with backtracking, negation,
 * pcre (relative), byte_test/byte_jump/byte_extract, isdataat, and the
 * prefilter's equivalence with plain evaluation on random inputs, fast
 * patterns Vectorscan's literal API cannot take as they are, and the
 * address index of IPv4 and IPv6 list rules against a brute-force check.
 * Each rule is parsed with the real parser; buffers are ASCII unless
 * commented.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>

#include "detect/engine.h"

/* Does the rule's first detection list match buf? */
static int rule_on(const char *opts, const char *buf, size_t len)
{
    struct ruleset rs;
    char text[2048];
    assert_int_equal(ruleset_init(&rs), 0);
    snprintf(text, sizeof(text), "alert tcp any any -> any any (msg:\"t\"; %s sid:1;)\n", opts);
    ruleset_load_text(&rs, "test", text, strlen(text));
    if (rs.n != 1) {
        fprintf(stderr, "rejected: %s\n", rs.n_errors ? rs.errors[0].msg : "?");
        fail();
    }
    struct detect_match m;
    assert_int_equal(detect_match_init(&m), 0);
    const struct rule *r = rs.rules[0];
    int ok = 1;
    for (uint32_t b = 0; b < r->n_bufs && ok; b++)
        ok = detect_match_list(&m, &r->bufs[b], (const uint8_t *)buf, (uint32_t)len);
    detect_match_free(&m);
    ruleset_free(&rs);
    return ok;
}

#define M(opts, s) rule_on(opts, s, strlen(s))

static void test_content_positions(void **st)
{
    (void)st;
    assert_true(M("content:\"abc\";", "xxabcxx"));
    assert_false(M("content:\"abc\"; depth:4;", "xxabcxx"));
    assert_true(M("content:\"abc\"; depth:5;", "xxabcxx"));
    assert_false(M("content:\"abc\"; offset:3;", "xxabcxx"));
    assert_true(M("content:\"ABC\"; nocase;", "xxabcxx"));
    assert_true(M("content:\"xx\"; startswith;", "xxabc"));
    assert_false(M("content:\"ab\"; startswith;", "xxabc"));
    assert_true(M("content:\"bc\"; endswith;", "xxabc"));
    assert_false(M("content:\"xx\"; endswith;", "xxabcx"));
    assert_true(M("content:!\"zz\";", "xxabc"));
    assert_false(M("content:!\"ab\";", "xxabc"));
}

static void test_relative_backtracking(void **st)
{
    (void)st;
    /* the first "a" is followed by "x": only the second "a" leads to "b" within 1 */
    assert_true(M("content:\"a\"; content:\"b\"; within:1;", "axab"));
    assert_true(M("content:\"a\"; content:\"b\"; distance:1; within:1;", "a_b"));
    assert_false(M("content:\"a\"; content:\"b\"; distance:2; within:1;", "a_b"));
    assert_false(M("content:\"b\"; content:\"a\"; distance:0;", "ab"));
    assert_true(M("content:\"GET\"; content:\"HTTP\"; distance:0; content:!\"foo\"; within:5;",
                  "GET / HTTP/1.0 bar"));
}

static void test_pcre(void **st)
{
    (void)st;
    assert_true(M("pcre:\"/^gEt/i\";", "GET /"));
    assert_false(M("pcre:\"/^gEt/\";", "GET /"));
    assert_true(M("content:\"GET\"; pcre:\"/^\\s+\\//R\";", "GET /x"));
    assert_false(M("content:\"/\"; pcre:\"/^GET/R\";", "GET /x"));
    assert_true(M("content:\"GET\"; pcre:!\"/two/\";", "GET /one"));
}

static void test_byte_keywords(void **st)
{
    (void)st;
    /* "\x00\x05abcde": a 2-byte big-endian length 5, then 5 bytes */
    const char b[] = "\x00\x05" "abcdeZ";
    assert_true(rule_on("byte_test:2,=,5,0;", b, 8));
    assert_false(rule_on("byte_test:2,>,5,0;", b, 8));
    assert_true(rule_on("byte_jump:2,0; content:\"Z\"; within:1;", b, 8));
    assert_true(rule_on("byte_extract:2,0,len; content:\"e\"; distance:0; within:len;", b, 8));
    assert_true(rule_on("byte_test:1,=,5,1;", b, 8));
    assert_true(M("byte_test:3,=,123,0,string,dec;", "123abc"));
    assert_true(M("content:\"ab\"; isdataat:1,relative;", "abc"));
    assert_false(M("content:\"bc\"; isdataat:1,relative;", "abc"));
}

/* BER: tag t, content c (n bytes) appended to out at *o (short or 1-2 byte long form). */
static void tlv(uint8_t *out, size_t *o, uint8_t t, const void *c, size_t n)
{
    out[(*o)++] = t;
    if (n < 128) {
        out[(*o)++] = (uint8_t)n;
    } else if (n < 256) {
        out[(*o)++] = 0x81, out[(*o)++] = (uint8_t)n;
    } else {
        out[(*o)++] = 0x82, out[(*o)++] = (uint8_t)(n >> 8), out[(*o)++] = (uint8_t)n;
    }
    memcpy(out + *o, c, n);
    *o += n;
}

/* X.690 Annex A.3's PersonnelRecord ([APPLICATION 0], 133 content bytes). */
static size_t x690_a3(uint8_t *out)
{
    uint8_t rec[256], nm[64], kid[64], kids[160], t[32];
    size_t r = 0, n, k, ks = 0, x;
    n = 0;
    tlv(nm, &n, 0x1a, "John", 4), tlv(nm, &n, 0x1a, "P", 1), tlv(nm, &n, 0x1a, "Smith", 5);
    tlv(rec, &r, 0x61, nm, n);
    x = 0, tlv(t, &x, 0x1a, "Director", 8), tlv(rec, &r, 0xa0, t, x);
    tlv(rec, &r, 0x42, "\x33", 1);
    x = 0, tlv(t, &x, 0x43, "19710917", 8), tlv(rec, &r, 0xa1, t, x);
    n = 0;
    tlv(nm, &n, 0x1a, "Mary", 4), tlv(nm, &n, 0x1a, "T", 1), tlv(nm, &n, 0x1a, "Smith", 5);
    x = 0, tlv(t, &x, 0x61, nm, n), tlv(rec, &r, 0xa2, t, x);
    const char *g[2] = {"Ralph", "Susan"}, *i[2] = {"T", "B"}, *f[2] = {"Smith", "Jones"},
               *d[2] = {"19571111", "19590717"};
    for (int c = 0; c < 2; c++) {
        n = 0, k = 0;
        tlv(nm, &n, 0x1a, g[c], 5), tlv(nm, &n, 0x1a, i[c], 1), tlv(nm, &n, 0x1a, f[c], 5);
        tlv(kid, &k, 0x61, nm, n);
        x = 0, tlv(t, &x, 0x43, d[c], 8), tlv(kid, &k, 0xa0, t, x);
        tlv(kids, &ks, 0x31, kid, k);
    }
    tlv(rec, &r, 0xa3, kids, ks);
    size_t o = 0;
    tlv(out, &o, 0x60, rec, r);
    assert_int_equal(r, 133);
    return o;
}

static void test_asn1(void **st)
{
    (void)st;
    uint8_t b[1300];
    size_t n = x690_a3(b);
    assert_memory_equal(b, "\x60\x81\x85\x61\x10\x1a\x04", 7);
    /* oversize_length: the record's 133 bytes */
    assert_true(rule_on("asn1:oversize_length 132;", (const char *)b, n));
    assert_false(rule_on("asn1:oversize_length 133;", (const char *)b, n));
    assert_false(rule_on("asn1:bitstring_overflow, double_overflow;", (const char *)b, n));
    /* cut short: the record is not decoded, so not checked */
    assert_false(rule_on("asn1:oversize_length 10;", (const char *)b, n - 1));
    /* bitstring_overflow: more unused bits than the string has */
    assert_true(rule_on("asn1:bitstring_overflow;", "\x03\x01\xff", 3));
    assert_true(rule_on("asn1:bitstring_overflow;", "\x03\x01\x09", 3));
    assert_false(rule_on("asn1:bitstring_overflow;", "\x03\x01\x07", 3));
    assert_false(rule_on("asn1:bitstring_overflow;", "\x03\x02\x09\x00", 4));
    assert_false(rule_on("asn1:bitstring_overflow;", "\x83\x01\xff", 3)); /* not universal */
    assert_false(rule_on("asn1:bitstring_overflow;", "\x23\x03\x03\x01\x00", 5));
    /* inside a SEQUENCE, definite and indefinite; not in a cut one */
    assert_true(rule_on("asn1:bitstring_overflow;", "\x30\x03\x03\x01\xff", 5));
    assert_false(rule_on("asn1:bitstring_overflow;", "\x30\x04\x03\x01\xff", 5));
    assert_true(rule_on("asn1:bitstring_overflow;", "\x30\x80\x03\x01\xff\x00\x00", 7));
    assert_false(rule_on("asn1:bitstring_overflow;", "\x30\x80\x03\x01\xff", 5));
    /* after good objects; not after a malformed one (long length of 59 octets) */
    assert_true(rule_on("asn1:bitstring_overflow;", "\x05\x00\x02\x01\x07\x03\x01\xff", 8));
    assert_false(rule_on("asn1:bitstring_overflow;", "\xaa\xbb\x03\x01\xff", 5));
    /* offsets */
    assert_true(rule_on("asn1:bitstring_overflow, absolute_offset 2;", "\xaa\xbb\x03\x01\xff", 5));
    assert_false(rule_on("asn1:bitstring_overflow, absolute_offset 5;", "\xaa\xbb\x03\x01\xff", 5));
    assert_true(rule_on("content:\"XY\"; asn1:bitstring_overflow, relative_offset 0;",
                        "XY\x03\x01\xff", 5));
    assert_false(rule_on("content:\"XY\"; asn1:bitstring_overflow, relative_offset 1;",
                         "XY\x03\x01\xff", 5));
    assert_true(rule_on("content:\"Z\"; asn1:bitstring_overflow, relative_offset -4;",
                        "\x03\x01\xffZ", 4));
    assert_false(rule_on("content:\"Z\"; asn1:bitstring_overflow, relative_offset -5;",
                         "\x03\x01\xffZ", 4));
    /* double_overflow: a decimal REAL over 256 bytes */
    uint8_t real[300];
    memset(real, 0x05, sizeof real);
    real[0] = 0x09, real[1] = 0x82, real[2] = 0x01, real[3] = 0x01; /* 257 bytes */
    assert_true(rule_on("asn1:double_overflow;", (const char *)real, 261));
    real[3] = 0x00; /* 256 */
    assert_false(rule_on("asn1:double_overflow;", (const char *)real, 260));
    real[3] = 0x01, real[4] = 0x80; /* binary encoding */
    assert_false(rule_on("asn1:double_overflow;", (const char *)real, 261));
    /* at most 256 top-level objects: one more and nothing matches */
    for (int k = 0; k < 257; k++)
        b[2 * k] = 0x05, b[2 * k + 1] = 0x00;
    memcpy(b + 2 * 255, "\x03\x01\xff", 3);
    assert_true(rule_on("asn1:bitstring_overflow;", (const char *)b, 2 * 255 + 3));
    memcpy(b + 2 * 256, "\x03\x01\xff", 3);
    assert_false(rule_on("asn1:bitstring_overflow;", (const char *)b, 2 * 256 + 3));
    /* nesting: 200 indefinite SEQUENCEs deep is decoded, 300 is not */
    for (int depth = 200; depth <= 300; depth += 100) {
        size_t o = 0;
        for (int k = 0; k < depth; k++)
            b[o++] = 0x30, b[o++] = 0x80;
        memcpy(b + o, "\x03\x01\xff", 3), o += 3;
        memset(b + o, 0, 2 * (size_t)depth), o += 2 * (size_t)depth;
        assert_int_equal(rule_on("asn1:bitstring_overflow;", (const char *)b, o), depth == 200);
    }
    /* a high tag number (3 octets) and a 2-octet long length */
    assert_true(rule_on("asn1:oversize_length 3;", "\x1f\x81\x01\x82\x00\x04" "abcd", 10));
    assert_false(rule_on("asn1:oversize_length 3;", "\x1f\x81\x81\x81\x81\x01\x01" "a", 8));
}

/* A decoded IPv4 packet of protocol proto, number 1, addresses and
 * transport fields zero (the callers set what they test). */
static void ip4_packet(struct packet *pkt, uint8_t proto)
{
    memset(pkt, 0, sizeof(*pkt));
    pkt->flags = PKT_F_IP;
    pkt->n_layers = 1;
    pkt->num = 1;
    pkt->layer[0].version = 4;
    pkt->layer[0].proto = proto;
    pkt->layer[0].t.valid = true;
}

/* Prefilter on/off: an engine over random rules against random buffers
 * gives the same alerts as evaluating every rule. */
static int alerts;
static void count_alert(void *ctx, const struct record_hdr *rec)
{
    (void)ctx;
    (void)rec;
    alerts++;
}

/* An engine over the rules in text (want_rules of them), installed; its
 * alerts are counted in `alerts`.  engine_unload() undoes it. */
static struct detect_engine *engine_load(struct ruleset *rs, const char *name, const char *text,
                                         size_t n, size_t want_rules)
{
    assert_int_equal(ruleset_init(rs), 0);
    ruleset_load_text(rs, name, text, n);
    assert_int_equal(rs->n, want_rules);
    char err[256] = "";
    struct detect_engine *e = detect_engine_new(rs, count_alert, NULL, NULL, err, sizeof(err));
    if (!e)
        fprintf(stderr, "engine: %s\n", err);
    assert_non_null(e);
    detect_engine_install(e);
    return e;
}

static void engine_unload(struct detect_engine *e, struct ruleset *rs)
{
    detect_engine_install(NULL);
    detect_engine_free(e);
    ruleset_free(rs);
}

static void test_prefilter_equivalence(void **st)
{
    (void)st;
    static const char *pats[] = {"ab", "abc", "zz", "a|00|b", "qq"};
    srand(7);
    for (int round = 0; round < 40; round++) {
        struct ruleset rs;
        assert_int_equal(ruleset_init(&rs), 0);
        const char *p = pats[rand() % 5];
        char text[256];
        snprintf(text, sizeof(text), "alert tcp any any -> any any (content:\"%s\"; sid:1;)\n", p);
        ruleset_load_text(&rs, "t", text, strlen(text));
        char err[256];
        struct detect_engine *e = detect_engine_new(&rs, count_alert, NULL, NULL, err, sizeof(err));
        assert_non_null(e);
        detect_engine_install(e);
        uint8_t buf[64];
        for (size_t i = 0; i < sizeof(buf); i++)
            buf[i] = (uint8_t)"abzq\0"[rand() % 5];
        struct detect_match m;
        assert_int_equal(detect_match_init(&m), 0);
        int want = detect_match_list(&m, &rs.rules[0]->bufs[0], buf, sizeof(buf));
        detect_match_free(&m);
        /* a packet with this payload: TCP IPv4 */
        struct packet pkt;
        ip4_packet(&pkt, 6);
        pkt.layer[0].t.payload = buf;
        pkt.layer[0].t.payload_len = sizeof(buf);
        alerts = 0;
        detect_packet(&pkt);
        assert_int_equal(alerts, want);
        detect_engine_install(NULL);
        detect_engine_free(e);
        ruleset_free(&rs);
    }
}

/* A payload as the engine sees it: one TCP/IPv4 packet from sport to dport. */
static void run_packet(const uint8_t *payload, uint32_t len, uint16_t sport, uint16_t dport)
{
    struct packet pkt;
    ip4_packet(&pkt, 6);
    pkt.layer[0].t.sport = sport;
    pkt.layer[0].t.dport = dport;
    pkt.layer[0].t.payload = payload;
    pkt.layer[0].t.payload_len = len;
    detect_packet(&pkt);
}

/* ET rules whose fast pattern begins with a NUL byte (sid 2006417's
 * "|00 11 22 ..|", the longest content) or is nothing but NULs (sid
 * 2022506-like "|00 00 00|"): Vectorscan's literal API refused the whole
 * database ("Pure literal API doesn't support empty string"), so no rules
 * ran at all.  The engine must build, and match exactly. */
static void test_fast_pattern_leading_nul(void **st)
{
    (void)st;
    static const char text[] =
        "alert tcp $HOME_NET 139 -> $EXTERNAL_NET any (msg:\"ET ATTACK_RESPONSE Weak Netbios "
        "Lanman Auth Challenge Detected\"; flow:from_server; content:\"|ff 53 4d 42|\"; "
        "content:\"|00 11 22 33 44 55 66 77 88|\"; classtype:policy-violation; sid:2006417; "
        "rev:8; metadata:created_at 2010_07_30, updated_at 2019_07_26;)\n"
        "alert tcp any any -> any 139 (msg:\"same contents, no flow\"; content:\"|ff 53 4d 42|\"; "
        "content:\"|00 11 22 33 44 55 66 77 88|\"; sid:1;)\n"
        "alert tcp any any -> any 140 (msg:\"all-NUL fast pattern\"; content:\"|00 00 00|\"; "
        "fast_pattern; content:\"|01 78 9c|\"; distance:1; within:3; sid:2;)\n"
        "alert tcp any any -> any 141 (msg:\"only NULs\"; content:\"|00 00|\"; sid:3;)\n";
    struct ruleset rs;
    assert_int_equal(ruleset_init(&rs), 0);
    ruleset_load_text(&rs, "et", text, strlen(text));
    assert_int_equal(rs.n, 4);
    char err[256] = "";
    struct detect_engine *e = detect_engine_new(&rs, count_alert, NULL, NULL, err, sizeof(err));
    if (!e)
        fprintf(stderr, "engine: %s\n", err);
    assert_non_null(e);
    struct detect_counters c;
    detect_engine_counters(e, &c);
    assert_int_equal(c.rules, 4);
    assert_int_equal(c.prefilter_rules, 3); /* sid 3 ("|00 00|", port 141): the port index */
    detect_engine_install(e);
    static const uint8_t smb[] = "\xff\x53\x4d\x42xx\x00\x11\x22\x33\x44\x55\x66\x77\x88";
    static const uint8_t half[] = "\xff\x53\x4d\x42xx\x11\x22\x33\x44\x55\x66\x77\x88";
    static const uint8_t zl[] = "\x00\x00\x00?\x01\x78\x9c";
    alerts = 0;
    run_packet(smb, sizeof(smb) - 1, 1025, 139);
    assert_int_equal(alerts, 1); /* sid 1; sid 2006417 wants flow state from_server */
    alerts = 0;
    run_packet(half, sizeof(half) - 1, 1025, 139); /* the content without its NUL */
    assert_int_equal(alerts, 0);
    alerts = 0;
    run_packet(zl, sizeof(zl) - 1, 1025, 140);
    assert_int_equal(alerts, 1);
    alerts = 0;
    run_packet(zl + 1, sizeof(zl) - 2, 1025, 140);
    assert_int_equal(alerts, 0);
    alerts = 0;
    run_packet(zl, sizeof(zl) - 1, 1025, 141);
    assert_int_equal(alerts, 1);
    detect_engine_install(NULL);
    detect_engine_free(e);
    ruleset_free(&rs);
}

/* The address index (engine_index.c) selects IP-list rules without a fast
 * pattern by a binary search over range segments: every rule whose source
 * list holds the packet's source must alert, none other, for addresses at
 * and around the ranges' ends and at random. */
static uint32_t ip_rand(void)
{
    return (uint32_t)rand() << 16 ^ (uint32_t)rand();
}

static void test_address_index(void **st)
{
    (void)st;
    enum { RULES = 24, RANGES = 12 };
    static uint32_t lo[RULES][RANGES], hi[RULES][RANGES];
    static char text[RULES * RANGES * 40 + RULES * 80];
    size_t n = 0;
    srand(11);
    for (int r = 0; r < RULES; r++) {
        n += (size_t)snprintf(text + n, sizeof(text) - n, "alert ip [");
        for (int k = 0; k < RANGES; k++) {
            int bits = 8 + rand() % 25; /* /8 .. /32 */
            uint32_t a = ip_rand() & (bits == 32 ? ~0u : ~(~0u >> bits));
            if (r % 3 == 0) /* some lists crowd a few /12s */
                a = (0x0a000000u | (a & 0x003fffffu)) & (bits == 32 ? ~0u : ~(~0u >> bits));
            lo[r][k] = a;
            hi[r][k] = a | (bits == 32 ? 0 : ~0u >> bits);
            n += (size_t)snprintf(text + n, sizeof(text) - n, "%s%u.%u.%u.%u/%d", k ? "," : "",
                                  a >> 24, a >> 16 & 255, a >> 8 & 255, a & 255, bits);
        }
        n += (size_t)snprintf(text + n, sizeof(text) - n,
                              "] any -> any any (msg:\"list %d\"; sid:%d;)\n", r, 100 + r);
    }
    struct ruleset rs;
    struct detect_engine *e = engine_load(&rs, "lists", text, n, RULES);
    for (int i = 0; i < 4000; i++) {
        int r0 = rand() % RULES, k0 = rand() % RANGES;
        uint32_t a;
        switch (i % 5) {
        case 0: a = lo[r0][k0]; break;
        case 1: a = hi[r0][k0]; break;
        case 2: a = lo[r0][k0] - 1; break;
        case 3: a = hi[r0][k0] + 1; break;
        default: a = ip_rand(); break;
        }
        int want = 0;
        for (int r = 0; r < RULES; r++)
            for (int k = 0; k < RANGES; k++)
                if (a >= lo[r][k] && a <= hi[r][k]) {
                    want++;
                    break;
                }
        struct packet pkt;
        ip4_packet(&pkt, 17);
        uint8_t *s = pkt.layer[0].src;
        s[0] = (uint8_t)(a >> 24), s[1] = (uint8_t)(a >> 16), s[2] = (uint8_t)(a >> 8), s[3] = (uint8_t)a;
        alerts = 0;
        detect_packet(&pkt);
        if (alerts != want)
            fprintf(stderr, "address %u.%u.%u.%u: %d alerts, want %d\n", a >> 24, a >> 16 & 255,
                    a >> 8 & 255, a & 255, alerts, want);
        assert_int_equal(alerts, want);
    }
    engine_unload(e, &rs);
}

/* The same for IPv6 lists (the index's 128-bit search): ranges /100 to
 * /128 (a list with a wider one is not indexed: engine_index.c,
 * addr_cover), some crowding one /96; addresses at, around and between
 * their ends. */
typedef unsigned __int128 u128;

static u128 ip6_rand(void)
{
    u128 a = 0;
    for (int i = 0; i < 8; i++)
        a = a << 16 | (u128)(rand() & 0xffff);
    return a;
}

static void ip6_bytes(u128 a, uint8_t out[16])
{
    for (int i = 15; i >= 0; i--, a >>= 8)
        out[i] = (uint8_t)a;
}

static void test_address_index_v6(void **st)
{
    (void)st;
    enum { RULES = 12, RANGES = 6 };
    static u128 lo[RULES][RANGES], hi[RULES][RANGES];
    static char text[RULES * RANGES * 64 + RULES * 80];
    size_t n = 0;
    srand(13);
    for (int r = 0; r < RULES; r++) {
        n += (size_t)snprintf(text + n, sizeof(text) - n, "alert ip [");
        for (int k = 0; k < RANGES; k++) {
            int bits = 100 + rand() % 29; /* /100 .. /128 */
            u128 mask = bits == 128 ? ~(u128)0 : ~(~(u128)0 >> bits);
            u128 a = ip6_rand();
            if (r % 3 == 0) /* some in one /96 */
                a = ((u128)0x20010db8u << 96) | (a & 0xffffffffu);
            a &= mask;
            lo[r][k] = a;
            hi[r][k] = a | ~mask;
            uint8_t b[16];
            char txt[64];
            ip6_bytes(a, b);
            inet_ntop(AF_INET6, b, txt, sizeof(txt));
            n += (size_t)snprintf(text + n, sizeof(text) - n, "%s%s/%d", k ? "," : "", txt, bits);
        }
        n += (size_t)snprintf(text + n, sizeof(text) - n,
                              "] any -> any any (msg:\"list %d\"; sid:%d;)\n", r, 200 + r);
    }
    struct ruleset rs;
    struct detect_engine *e = engine_load(&rs, "lists6", text, n, RULES);
    for (int i = 0; i < 2000; i++) {
        int r0 = rand() % RULES, k0 = rand() % RANGES;
        u128 a;
        switch (i % 5) {
        case 0: a = lo[r0][k0]; break;
        case 1: a = hi[r0][k0]; break;
        case 2: a = lo[r0][k0] - 1; break;
        case 3: a = hi[r0][k0] + 1; break;
        default: a = ip6_rand(); break;
        }
        int want = 0;
        for (int r = 0; r < RULES; r++)
            for (int k = 0; k < RANGES; k++)
                if (a >= lo[r][k] && a <= hi[r][k]) {
                    want++;
                    break;
                }
        struct packet pkt;
        ip4_packet(&pkt, 17);
        pkt.layer[0].version = 6;
        ip6_bytes(a, pkt.layer[0].src);
        alerts = 0;
        detect_packet(&pkt);
        assert_int_equal(alerts, want);
    }
    engine_unload(e, &rs);
}

/* threshold type limit, count 1, by_src over 6,000 sources, every source
 * matching twice (all first matches, then all second ones): exactly one
 * alert per source and no eviction.  With the direct-mapped table of
 * before, ~270 of the 6,000 keys collided in 65,536 slots (a different
 * set each run, the hash key being random) and their sources alerted
 * again. */
static void test_threshold_many_sources(void **st)
{
    (void)st;
    static const char text[] = "alert udp any any -> any any (msg:\"limit\"; "
                               "threshold: type limit, track by_src, count 1, seconds 3600; sid:7;)\n";
    struct ruleset rs;
    struct detect_engine *e = engine_load(&rs, "t", text, strlen(text), 1);
    alerts = 0;
    for (int round = 0; round < 2; round++)
        for (uint32_t i = 0; i < 6000; i++) {
            struct packet pkt;
            ip4_packet(&pkt, 17);
            pkt.ts_sec = 1000 + round;
            uint32_t a = 0x0a000000u + i * 7;
            uint8_t *s = pkt.layer[0].src;
            s[0] = (uint8_t)(a >> 24), s[1] = (uint8_t)(a >> 16), s[2] = (uint8_t)(a >> 8);
            s[3] = (uint8_t)a;
            detect_packet(&pkt);
        }
    assert_int_equal(alerts, 6000);
    struct detect_counters c;
    detect_engine_counters(e, &c);
    assert_int_equal(c.thresh_evictions, 0);
    assert_int_equal(c.suppressed, 6000);
    engine_unload(e, &rs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_content_positions),
        cmocka_unit_test(test_relative_backtracking),
        cmocka_unit_test(test_pcre),
        cmocka_unit_test(test_byte_keywords),
        cmocka_unit_test(test_asn1),
        cmocka_unit_test(test_prefilter_equivalence),
        cmocka_unit_test(test_fast_pattern_leading_nul),
        cmocka_unit_test(test_address_index),
        cmocka_unit_test(test_address_index_v6),
        cmocka_unit_test(test_threshold_many_sources),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
