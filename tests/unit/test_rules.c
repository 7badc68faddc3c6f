/*
 * test_rules.c - the Suricata rule parser (src/detect): the header
 * (actions, protocols, address and port sets with variables, groups,
 * negation, ranges, CIDR), each keyword and its modifiers, escaping, hex
 * content, sticky and legacy buffers, pcre flags, byte_* keywords,
 * flow/flowbits/threshold, continuation lines and disabled rules, and bad
 * rules, each rejected with a sentence naming file, line, sid and keyword.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "detect/rule.h"

static struct ruleset rs;

static int setup(void **state)
{
    (void)state;
    return ruleset_init(&rs);
}

static int teardown(void **state)
{
    (void)state;
    ruleset_free(&rs);
    return 0;
}

/* Parse one rule; NULL with e filled on rejection. */
static struct rule *parse(const char *text, struct rule_error *e)
{
    return rule_parse(&rs, text, strlen(text), "t.rules", 7, e);
}

static struct rule *ok(const char *text)
{
    struct rule_error e;
    struct rule *r = parse(text, &e);
    if (!r)
        print_error("unexpected rejection: %s\n", e.msg);
    assert_non_null(r);
    return r;
}

/* Rejected, the message containing `want` and naming file:line. */
static void bad(const char *text, const char *kw, const char *want)
{
    struct rule_error e;
    struct rule *r = parse(text, &e);
    if (r)
        print_error("accepted: %s\n", text);
    assert_null(r);
    if (!strstr(e.msg, want) || strcmp(e.keyword, kw) != 0)
        print_error("got [%s] %s, want [%s] %s\n", e.keyword, e.msg, kw, want);
    assert_non_null(strstr(e.msg, want));
    assert_string_equal(e.keyword, kw);
    assert_non_null(strstr(e.msg, "t.rules:7: rule "));
}

static const struct rule_content *content_at(const struct rule *r, unsigned buf, unsigned i)
{
    for (uint32_t b = 0; b < r->n_bufs; b++)
        if (r->bufs[b].buffer == buf && i < r->bufs[b].n)
            return &r->bufs[b].elems[i].u.content;
    return NULL;
}

static void test_header(void **state)
{
    (void)state;
    struct rule *r = ok("drop udp 10.0.0.0/8 53 <> [192.168.1.1-192.168.1.9,2001:db8::/32] "
                        "[1024:,!2000] (sid:1;)");
    assert_int_equal(r->action, RULE_ACTION_DROP);
    assert_int_equal(r->proto, RULE_PROTO_UDP);
    assert_int_equal(r->bidir, 1);
    uint8_t a[16] = {10, 9, 8, 7};
    assert_true(rule_addr_set_match(&r->src, 4, a));
    a[0] = 11;
    assert_false(rule_addr_set_match(&r->src, 4, a));
    uint8_t b[4] = {192, 168, 1, 5}, c[4] = {192, 168, 1, 10};
    assert_true(rule_addr_set_match(&r->dst, 4, b));
    assert_false(rule_addr_set_match(&r->dst, 4, c));
    uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1};
    assert_true(rule_addr_set_match(&r->dst, 6, v6));
    assert_true(rule_port_set_match(&r->sport, 53));
    assert_false(rule_port_set_match(&r->sport, 54));
    assert_true(rule_port_set_match(&r->dport, 1999));
    assert_false(rule_port_set_match(&r->dport, 2000));
    assert_false(rule_port_set_match(&r->dport, 80));
    rule_free(r);

    r = ok("alert http $HOME_NET any -> $EXTERNAL_NET $HTTP_PORTS (sid:2;)");
    assert_int_equal(r->app_proto, RULE_PROTO_HTTP);
    uint8_t home[4] = {172, 16, 3, 4}, ext[4] = {8, 8, 8, 8};
    assert_true(rule_addr_set_match(&r->src, 4, home));
    assert_false(rule_addr_set_match(&r->src, 4, ext));
    assert_true(rule_addr_set_match(&r->dst, 4, ext));  /* !$HOME_NET */
    assert_false(rule_addr_set_match(&r->dst, 4, home));
    assert_true(rule_port_set_match(&r->dport, 80));
    assert_false(rule_port_set_match(&r->dport, 81));
    rule_free(r);

    /* netmask form, SHELLCODE_PORTS (!80), nested negation */
    r = ok("alert ip 10.1.0.0/255.255.0.0 $SHELLCODE_PORTS -> ![1.2.3.0/24,!1.2.3.4] any (sid:3;)");
    uint8_t x[4] = {10, 1, 200, 1}, y[4] = {1, 2, 3, 5}, z[4] = {1, 2, 3, 4};
    assert_true(rule_addr_set_match(&r->src, 4, x));
    assert_false(rule_port_set_match(&r->sport, 80));
    assert_true(rule_port_set_match(&r->sport, 81));
    assert_false(rule_addr_set_match(&r->dst, 4, y));
    (void)z;
    rule_free(r);
}

static void test_header_errors(void **state)
{
    (void)state;
    bad("alert tcp any any -> any (sid:5;)", "header", "expected 'action proto");
    bad("warn tcp any any -> any any (sid:5;)", "header", "unknown action");
    bad("alert foo any any -> any any (sid:5;)", "protocol", "unsupported protocol 'foo'");
    bad("alert tcp any any => any any (sid:5;)", "header", "direction");
    bad("alert tcp $NOPE any -> any any (sid:5;)", "header", "undefined variable '$NOPE'");
    bad("alert tcp 1.2.3.4/33 any -> any any (sid:5;)", "header", "bad address");
    bad("alert tcp any 70000 -> any any (sid:5;)", "header", "bad port");
    bad("alert tcp any [80,90 -> any any (sid:5;)", "header", "");
    bad("alert tcp !any any -> any any (sid:5;)", "header", "'!any'");
    bad("alert tcp any any -> any any sid:5;", "syntax", "enclosed");
    bad("alert tcp any any -> any any (msg:\"x\";)", "sid", "no sid");
}

static void test_vars(void **state)
{
    (void)state;
    struct rule_error e;
    FILE *f = fopen("test_rules_vars.yaml", "w");
    assert_non_null(f);
    fputs("# site\nHOME_NET: \"[10.10.0.0/16]\"\nWEB_PORTS: [8080,8443]\nLOOP: $LOOP\n", f);
    fclose(f);
    char err[256];
    /* parsed before the vars file: the default HOME_NET, remembered by the memo */
    struct rule *r0 = ok("alert tcp $HOME_NET any -> $EXTERNAL_NET $HTTP_PORTS (sid:5;)");
    struct rule *r1 = ok("alert udp $HOME_NET any -> $EXTERNAL_NET $HTTP_PORTS (sid:4;)");
    assert_true(r0->src.pos == r1->src.pos && r0->dst.neg == r1->dst.neg);
    assert_true(r0->dport.pos == r1->dport.pos);
    assert_int_equal(r0->sets_shared, RULE_SHARED_SRC | RULE_SHARED_DST | RULE_SHARED_DPORT);
    rule_free(r1); /* the shared ranges stay: r0 still matches with them */
    assert_int_equal(ruleset_load_vars(&rs, "test_rules_vars.yaml", err, sizeof err), 0);
    remove("test_rules_vars.yaml");
    uint8_t rfc1918[4] = {192, 168, 1, 1};
    assert_true(rule_addr_set_match(&r0->src, 4, rfc1918));
    rule_free(r0);
    struct rule *r = ok("alert tcp $HOME_NET any -> $EXTERNAL_NET $WEB_PORTS (sid:6;)");
    assert_false(rule_addr_set_match(&r->src, 4, rfc1918)); /* the new HOME_NET, not the memo's */
    uint8_t in[4] = {10, 10, 1, 1}, out[4] = {10, 11, 1, 1};
    assert_true(rule_addr_set_match(&r->src, 4, in));
    assert_false(rule_addr_set_match(&r->src, 4, out));
    assert_true(rule_addr_set_match(&r->dst, 4, out));
    assert_true(rule_port_set_match(&r->dport, 8443));
    rule_free(r);
    r = parse("alert tcp $LOOP any -> any any (sid:7;)", &e);
    assert_null(r);
    assert_non_null(strstr(e.msg, "nests too deep"));
}

static void test_content(void **state)
{
    (void)state;
    struct rule *r = ok("alert tcp any any -> any any (msg:\"a \\\"q\\\" \\; b\"; "
                        "content:\"GET |20 2F|a\\;b\\\"c\\\\\"; nocase; offset:2; depth:20; "
                        "content:!\"x|3a|\"; distance:-1; within:5; "
                        "content:\"end\"; endswith; fast_pattern; sid:8; rev:3;)");
    assert_string_equal(r->msg, "a \"q\" ; b");
    assert_int_equal(r->rev, 3);
    const struct rule_content *c = content_at(r, RULE_BUF_PKT, 0);
    assert_non_null(c);
    /* "GET " + 0x20 0x2f + "a;b\"c\\" */
    assert_int_equal(c->len, 12);
    assert_memory_equal(c->bytes, "GET  /a;b\"c\\", 12);
    assert_true(c->flags & RULE_CONTENT_NOCASE);
    assert_int_equal(c->offset.v, 2);
    assert_int_equal(c->depth.v, 20);
    c = content_at(r, RULE_BUF_PKT, 1);
    assert_true(c->flags & RULE_CONTENT_NEGATED);
    assert_memory_equal(c->bytes, "x:", 2);
    assert_int_equal(c->distance.v, -1);
    assert_int_equal(c->within.v, 5);
    c = content_at(r, RULE_BUF_PKT, 2);
    assert_true(c->flags & RULE_CONTENT_ENDSWITH);
    assert_true(c->flags & RULE_CONTENT_FAST_PATTERN);
    rule_free(r);

    r = ok("alert tcp any any -> any any (content:\"abcdef\"; fast_pattern:1,3; "
           "content:\"zz\"; startswith; sid:9;)");
    c = content_at(r, RULE_BUF_PKT, 0);
    assert_int_equal(c->fp_off, 1);
    assert_int_equal(c->fp_len, 3);
    assert_true(content_at(r, RULE_BUF_PKT, 1)->flags & RULE_CONTENT_STARTSWITH);
    rule_free(r);
}

static void test_content_errors(void **state)
{
    (void)state;
    bad("alert tcp any any -> any any (nocase; sid:10;)", "nocase", "needs a content");
    bad("alert tcp any any -> any any (content:\"a\"; nocase; nocase; sid:10;)", "nocase",
        "twice");
    bad("alert tcp any any -> any any (content:\"|4|\"; sid:10;)", "content", "odd number");
    bad("alert tcp any any -> any any (content:\"|4g|\"; sid:10;)", "content", "not a hex");
    bad("alert tcp any any -> any any (content:\"|41\"; sid:10;)", "content", "unterminated");
    bad("alert tcp any any -> any any (content:\"a\\x\"; sid:10;)", "content", "valid escape");
    bad("alert tcp any any -> any any (content:abc; sid:10;)", "content", "quoted");
    bad("alert tcp any any -> any any (content:\"\"; sid:10;)", "content", "");
    bad("alert tcp any any -> any any (content:\"abcd\"; depth:2; sid:10;)", "depth",
        "less than the content's length");
    bad("alert tcp any any -> any any (content:\"ab\"; offset:1; distance:2; sid:10;)",
        "distance", "cannot be mixed");
    bad("alert tcp any any -> any any (content:\"ab\"; startswith; offset:1; sid:10;)", "offset",
        "startswith");
    bad("alert tcp any any -> any any (content:\"a\"; fast_pattern; content:\"b\"; fast_pattern; "
        "sid:10;)", "fast_pattern", "only one");
    bad("alert tcp any any -> any any (content:!\"a\"; fast_pattern:only; sid:10;)",
        "fast_pattern", "negated");
    bad("alert tcp any any -> any any (content:\"a\"; depth:x; sid:10;)", "depth",
        "byte_extract variable");
}

static void test_buffers(void **state)
{
    (void)state;
    struct rule *r = ok("alert tcp any any -> any any (content:\"GET\"; http_method; "
                        "content:\"/x\"; http_uri; nocase; content:\"UA\"; http_user_agent; "
                        "sid:11;)");
    assert_int_equal(r->app_proto, RULE_PROTO_HTTP);
    assert_non_null(content_at(r, RULE_BUF_HTTP_METHOD, 0));
    assert_true(content_at(r, RULE_BUF_HTTP_URI, 0)->flags & RULE_CONTENT_NOCASE);
    assert_non_null(content_at(r, RULE_BUF_HTTP_USER_AGENT, 0));
    assert_null(content_at(r, RULE_BUF_PKT, 0));
    rule_free(r);

    r = ok("alert dns any any -> any any (dns.query; dotprefix; content:\".evil.com\"; endswith; "
           "bsize:<100; sid:12;)");
    assert_int_equal(r->n_bufs, 1);
    assert_int_equal(r->bufs[0].buffer, RULE_BUF_DNS_QUERY);
    assert_int_equal(r->bufs[0].n_xforms, 1);
    assert_int_equal(r->bufs[0].xforms[0], RULE_XFORM_DOTPREFIX);
    assert_int_equal(r->bufs[0].elems[1].kind, RULE_ELEM_BSIZE);
    assert_int_equal(r->bufs[0].elems[1].u.bsize.op, RULE_NUM_LT);
    rule_free(r);

    /* http_content_type also acts as a sticky buffer, as in ET */
    r = ok("alert http any any -> any any (http.uri; content:\"/a\"; http_content_type; "
           "content:\"json\"; sid:13;)");
    assert_non_null(content_at(r, RULE_BUF_HTTP_CONTENT_TYPE, 0));
    rule_free(r);

    bad("alert dns any any -> any any (http.uri; content:\"a\"; sid:14;)", "http.uri",
        "cannot be used in a dns rule");
    bad("alert http any any -> any any (http.uri; content:\"a\"; http_header; sid:14;)",
        "http_header", "sticky buffer");
    bad("alert tcp any any -> any any (bsize:10; sid:14;)", "bsize", "sticky buffer");
    bad("alert tcp any any -> any any (dotprefix; sid:14;)", "dotprefix", "sticky buffer");
}

static void test_pcre(void **state)
{
    (void)state;
    struct rule *r = ok("alert http any any -> any any (content:\"a\"; http_uri; "
                        "pcre:\"/^\\/x\\;y[\\\"']/UiR\"; pcre:!\"/b/smxAEGO\"; sid:15;)");
    const struct rule_buflist *uri = NULL;
    for (uint32_t i = 0; i < r->n_bufs; i++)
        if (r->bufs[i].buffer == RULE_BUF_HTTP_URI)
            uri = &r->bufs[i];
    assert_non_null(uri);
    assert_int_equal(uri->n, 2);
    assert_int_equal(uri->elems[1].kind, RULE_ELEM_PCRE);
    assert_true(uri->elems[1].u.pcre.flags & RULE_PCRE_RELATIVE);
    assert_non_null(uri->elems[1].u.pcre.code);
    const struct rule_content *pk = NULL;
    (void)pk;
    rule_free(r);
    bad("alert tcp any any -> any any (pcre:\"/a/q\"; sid:16;)", "pcre", "unknown modifier 'q'");
    bad("alert tcp any any -> any any (pcre:\"/a(/\"; sid:16;)", "pcre", "does not compile");
    bad("alert tcp any any -> any any (pcre:\"a\"; sid:16;)", "pcre", "/regex/flags");
    bad("alert http any any -> any any (http.uri; pcre:\"/a/H\"; sid:16;)", "pcre",
        "cannot follow the sticky buffer");
}

static void test_byte_keywords(void **state)
{
    (void)state;
    struct rule *r = ok("alert tcp any any -> any any (content:\"a\"; "
                        "byte_extract:2,0,len,relative,little; byte_test:4,!&,0x10,len,relative; "
                        "byte_jump:2,1,relative,multiplier 2,post_offset -1,align; "
                        "isdataat:!len,relative; content:\"b\"; distance:len; sid:17;)");
    const struct rule_buflist *l = &r->bufs[0];
    assert_int_equal(l->elems[1].kind, RULE_ELEM_BYTE_EXTRACT);
    assert_int_equal(l->elems[1].u.byte.var, 0);
    assert_int_equal(l->elems[2].kind, RULE_ELEM_BYTE_TEST);
    assert_int_equal(l->elems[2].u.byte.op, RULE_BOP_AND);
    assert_true(l->elems[2].u.byte.flags & RULE_BYTE_NEGATE);
    assert_int_equal(l->elems[2].u.byte.offset.var, 0);
    assert_int_equal(l->elems[3].u.byte.multiplier, 2);
    assert_int_equal(l->elems[3].u.byte.post_offset, -1);
    assert_true(l->elems[4].u.isdataat.negated);
    assert_int_equal(l->elems[5].u.content.distance.var, 0);
    rule_free(r);
    bad("alert tcp any any -> any any (byte_test:9,=,1,0; sid:18;)", "byte_test", "at most 8");
    bad("alert tcp any any -> any any (byte_test:2,~,1,0; sid:18;)", "byte_test",
        "not an operator");
    bad("alert tcp any any -> any any (byte_jump:2,0,foo; sid:18;)", "byte_jump",
        "unknown option");
    bad("alert tcp any any -> any any (byte_test:2,=,1,0,little,big; sid:18;)", "byte_test",
        "contradict");
}

static void test_asn1(void **state)
{
    (void)state;
    struct rule *r = ok("alert tcp any any -> any any (content:\"a\"; asn1:double_overflow, "
                        "bitstring_overflow, relative_offset -54, oversize_length 2048; sid:19;)");
    const struct rule_elem *el = &r->bufs[0].elems[1];
    assert_int_equal(el->kind, RULE_ELEM_ASN1);
    assert_int_equal(el->u.asn1.flags, RULE_ASN1_DOUBLE | RULE_ASN1_BITSTRING |
                                           RULE_ASN1_RELATIVE | RULE_ASN1_OVERSIZE);
    assert_int_equal(el->u.asn1.offset, -54);
    assert_int_equal(el->u.asn1.oversize, 2048);
    rule_free(r);
    r = ok("alert tcp any any -> any any (asn1:absolute_offset 65535, oversize_length 0; sid:19;)");
    assert_int_equal(r->bufs[0].elems[0].u.asn1.flags, RULE_ASN1_ABSOLUTE | RULE_ASN1_OVERSIZE);
    assert_int_equal(r->bufs[0].elems[0].u.asn1.offset, 65535);
    rule_free(r);
    bad("alert tcp any any -> any any (asn1:absolute_offset 4; sid:20;)", "asn1", "no check");
    bad("alert tcp any any -> any any (asn1:bitstring_overflow, absolute_offset 1, "
        "relative_offset 2; sid:20;)",
        "asn1", "exclude each other");
    bad("alert tcp any any -> any any (asn1:oversize_length x; sid:20;)", "asn1", "bad number");
    bad("alert tcp any any -> any any (asn1:absolute_offset 65536, double_overflow; sid:20;)",
        "asn1", "bad number");
    bad("alert tcp any any -> any any (asn1:relative_offset -70000, double_overflow; sid:20;)",
        "asn1", "bad number");
    bad("alert tcp any any -> any any (asn1:double_overflow, double_overflow; sid:20;)", "asn1",
        "repeated");
    bad("alert tcp any any -> any any (asn1:length_overflow; sid:20;)", "asn1", "unknown option");
}

static void test_flow_and_state(void **state)
{
    (void)state;
    struct rule *r = ok("alert tcp any any -> any any (flow:established,to_server; "
                        "flowbits:set,a.b; flowbits:isset,x|y; flowbits:noalert; "
                        "xbits:set,bad,track ip_src,expire 60; flowint:cnt,+,1; "
                        "threshold:type limit, track by_src, count 1, seconds 60; "
                        "detection_filter:track by_dst, count 5, seconds 10; "
                        "dsize:10<>20; ttl:<5; flags:S+,12; sid:19;)");
    assert_int_equal(r->flow, RULE_FLOW_ESTABLISHED | RULE_FLOW_TO_SERVER);
    assert_int_equal(r->n_bits, 3);
    assert_string_equal(r->bits[1].name, "x|y");
    assert_int_equal(r->bits[2].scope, RULE_BITS_IP_SRC);
    assert_int_equal(r->bits[2].expire, 60);
    assert_true(r->noalert);
    assert_int_equal(r->threshold.type, RULE_THRESH_LIMIT);
    assert_int_equal(r->threshold.seconds, 60);
    assert_int_equal(r->detection_filter.track, RULE_TRACK_DST);
    assert_int_equal(r->cond->dsize.op, RULE_NUM_RANGE);
    assert_true(rule_num_match(&r->cond->dsize, 15));
    assert_false(rule_num_match(&r->cond->dsize, 20));
    assert_true(rule_num_match(&r->cond->ttl, 4));
    assert_int_equal(r->flags.set, 0x02);
    assert_int_equal(r->flags.modifier, '+');
    assert_int_equal(r->flags.mask, 0xc0);
    rule_free(r);
    r = ok("alert icmp any any -> any any (itype:8; icode:>0; ip_proto:!tcp; sid:20;)");
    assert_int_equal(r->cond->itype.a, 8);
    assert_int_equal(r->cond->ip_proto.op, RULE_NUM_NE);
    assert_int_equal(r->cond->ip_proto.a, 6);
    rule_free(r);
    bad("alert tcp any any -> any any (flow:to_server,to_client; sid:21;)", "flow", "contradict");
    bad("alert tcp any any -> any any (flow:sideways; sid:21;)", "flow", "unknown option");
    bad("alert tcp any any -> any any (flowbits:flip,a; sid:21;)", "flowbits", "unknown command");
    bad("alert tcp any any -> any any (threshold:type limit, track by_src; sid:21;)", "threshold",
        "needs track and count");
    bad("alert tcp any any -> any any (dsize:abc; sid:21;)", "dsize", "not a number");
    bad("alert tcp any any -> any any (flags:SX; sid:21;)", "flags", "unknown flag 'X'");
}

static void test_meta(void **state)
{
    (void)state;
    char err[256];
    FILE *f = fopen("test_rules_class.config", "w");
    assert_non_null(f);
    fputs("config classification: trojan-activity,A Network Trojan was detected,1\n", f);
    fclose(f);
    assert_int_equal(ruleset_load_classification(&rs, "test_rules_class.config", err, sizeof err),
                     0);
    remove("test_rules_class.config");
    f = fopen("test_rules_ref.config", "w");
    fputs("config reference: url http://\nconfig reference: cve http://cve.mitre.org/cgi-bin/"
          "cvename.cgi?name=\n", f);
    fclose(f);
    assert_int_equal(ruleset_load_reference(&rs, "test_rules_ref.config", err, sizeof err), 0);
    remove("test_rules_ref.config");
    struct rule *r = ok("alert tcp any any -> any any (msg:\"m\"; classtype:trojan-activity; "
                        "reference:cve,2020-1; reference:url,example.com/a; gid:3; "
                        "metadata:created_at 2020_01_01, tag Foo; target:dest_ip; sid:22;)");
    assert_int_equal(r->priority, 1);
    assert_string_equal(r->class_desc, "A Network Trojan was detected");
    assert_int_equal(r->n_refs, 2);
    assert_string_equal(r->ref_urls[1], "http://example.com/a");
    assert_int_equal(r->gid, 3);
    assert_int_equal(r->n_metadata, 2);
    assert_string_equal(r->metadata[1].key, "tag");
    assert_string_equal(r->metadata[1].value, "Foo");
    assert_int_equal(r->target, 2);
    /* all of it in the one block that msg starts (rule_meta_pack) */
    assert_int_equal(r->meta_flags, RULE_META_PACKED | RULE_META_POOLED);
    assert_string_equal(r->msg, "m");
    assert_string_equal(r->classtype, "trojan-activity");
    assert_string_equal(r->refs[0].key, "cve");
    assert_string_equal(r->refs[0].value, "2020-1");
    assert_string_equal(r->ref_urls[0], "http://cve.mitre.org/cgi-bin/cvename.cgi?name=2020-1");
    assert_string_equal(r->metadata[0].key, "created_at");
    assert_string_equal(r->metadata[0].value, "2020_01_01");
    rule_free(r);
    r = ok("alert tcp any any -> any any (priority:2; classtype:trojan-activity; sid:23;)");
    assert_int_equal(r->priority, 2);
    rule_free(r);
    bad("alert tcp any any -> any any (classtype:nope; sid:24;)", "classtype",
        "not in classification.config");
    bad("alert tcp any any -> any any (reference:foo,1; sid:24;)", "reference",
        "not in reference.config");
    bad("alert tcp any any -> any any (sid:0;)", "sid", "positive");
    bad("alert tcp any any -> any any (sid:24; sid:25;)", "sid", "twice");
    bad("alert tcp any any -> any any (target:me; sid:24;)", "target", "src_ip or dest_ip");
}

static void test_unsupported(void **state)
{
    (void)state;
    struct rule_error e;
    struct rule *r = parse("alert smb any any -> any any (msg:\"x\"; dce_iface:"
                           "4b324fc8-1670-01d3-1278-5a47bf6ee188; sid:2102383;)", &e);
    assert_null(r);
    assert_int_equal(e.kind, RULE_ERR_UNSUPPORTED);
    assert_string_equal(e.keyword, "dce_iface");
    assert_int_equal(e.sid, 2102383);
    assert_string_equal(e.msg, "t.rules:7: rule sid 2102383: unsupported keyword 'dce_iface'");
    bad("alert tcp any any -> any any (nocase:1; content:\"a\"; sid:26;)", "nocase",
        "takes no value");
    bad("alert tcp any any -> any any (content; sid:26;)", "content", "needs a value");
}

static void test_file_loading(void **state)
{
    (void)state;
    const char *text = "# a comment\n"
                       "\n"
                       "alert tcp any any -> any any (msg:\"one\"; \\\n"
                       "   content:\"a\"; sid:100;)\n"
                       "#alert tcp any any -> any any (msg:\"off\"; sid:101;)\n"
                       "# alert udp any any -> any any (msg:\"off too\"; sid:102;)\n"
                       "alert tcp any any -> any any (msg:\"dup\"; sid:100;)\n"
                       "alert tcp any any -> any any (msg:\"bad\"; foo:1; sid:103;)\r\n";
    size_t before = rs.n;
    assert_int_equal(ruleset_load_text(&rs, "f.rules", text, strlen(text)), 0);
    assert_int_equal(rs.n - before, 1);
    assert_string_equal(rs.rules[rs.n - 1]->msg, "one");
    assert_int_equal(rs.disabled, 2);
    assert_int_equal(rs.rejected, 2);
    assert_string_equal(rs.errors[0].msg, "f.rules:7: rule sid 100: sid: duplicate sid (gid and "
                                          "sid already loaded)");
    assert_string_equal(rs.errors[1].msg, "f.rules:8: rule sid 103: unsupported keyword 'foo'");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_header, setup, teardown),
        cmocka_unit_test_setup_teardown(test_header_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_vars, setup, teardown),
        cmocka_unit_test_setup_teardown(test_content, setup, teardown),
        cmocka_unit_test_setup_teardown(test_content_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_buffers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pcre, setup, teardown),
        cmocka_unit_test_setup_teardown(test_byte_keywords, setup, teardown),
        cmocka_unit_test_setup_teardown(test_asn1, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flow_and_state, setup, teardown),
        cmocka_unit_test_setup_teardown(test_meta, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unsupported, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_loading, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
