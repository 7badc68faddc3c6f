/*
 * test_intel.c - the intel framework (src/detect/intel*.c): loading Zeek
 * intel files and JA3 CSV lists, normalisation (case, trailing dots, URL
 * schemes), ADDR and SUBNET lookups for IPv4 and IPv6, several sources for
 * one indicator, garbage lines counted with their line numbers, and the
 * matcher writing intel.log rows, alerts and notices for records it sees.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "detect/alert_record.h"
#include "detect/intel.h"
#include "store/notice.h"

static struct intel_store *st;

static int setup(void **state)
{
    (void)state;
    st = intel_store_new();
    return st ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    intel_store_free(st);
    return 0;
}

static void load(const char *name, const char *text, struct intel_load_report *rep)
{
    assert_int_equal(intel_load_text(st, name, text, strlen(text), rep), 0);
}

static bool str_hit(enum intel_type t, const char *s)
{
    struct intel_match m;
    return intel_lookup_str(st, t, s, strlen(s), &m);
}

static bool addr_hit(const char *s, struct intel_match *m)
{
    struct raddr a = {0};
    if (inet_pton(AF_INET, s, a.a) == 1)
        a.family = 4;
    else if (inet_pton(AF_INET6, s, a.a) == 1)
        a.family = 6;
    return intel_lookup_addr(st, &a, m);
}

#define HDR "#fields\tindicator\tindicator_type\tmeta.source\tmeta.do_notice\tmeta.desc\n"

static void test_types_and_normalisation(void **state)
{
    (void)state;
    struct intel_load_report rep;
    load("a.intel",
         HDR "Evil.Example.COM.\tIntel::DOMAIN\tsrc\tF\tbad domain\n"
             "https://Phish.example/Login?x=1\tIntel::URL\tsrc\tF\tphish\n"
             "http://plain.example/\tIntel::URL\tsrc\tF\t-\n"
             "ABCDEF0123456789abcdef0123456789\tIntel::JA3\tsrc\tF\tja3\n"
             "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709\tIntel::FILE_HASH\tsrc\tT\tsha1\n"
             "Bad@Mail.example\tIntel::EMAIL\tsrc\tF\tmail\n"
             "EvilBot/1.0\tIntel::SOFTWARE\tsrc\tF\tua\n",
         &rep);
    assert_int_equal(rep.loaded, 7);
    assert_int_equal(rep.rejected, 0);
    assert_int_equal(intel_store_count(st), 7);
    assert_true(str_hit(INTEL_DOMAIN, "evil.example.com"));
    assert_true(str_hit(INTEL_DOMAIN, "EVIL.example.com."));
    assert_false(str_hit(INTEL_DOMAIN, "www.evil.example.com")); /* exact, as Zeek */
    assert_false(str_hit(INTEL_URL, "evil.example.com"));        /* types are apart */
    assert_true(str_hit(INTEL_URL, "phish.example/login?x=1"));  /* scheme dropped */
    assert_true(str_hit(INTEL_URL, "http://PHISH.example/Login?x=1"));
    assert_true(str_hit(INTEL_URL, "plain.example/"));
    assert_false(str_hit(INTEL_URL, "plain.example"));
    assert_true(str_hit(INTEL_JA3, "abcdef0123456789ABCDEF0123456789"));
    assert_true(str_hit(INTEL_FILE_HASH, "da39a3ee5e6b4b0d3255bfef95601890afd80709"));
    assert_true(str_hit(INTEL_EMAIL, "bad@mail.example"));
    assert_true(str_hit(INTEL_SOFTWARE, "evilbot/1.0"));
    assert_false(str_hit(INTEL_SOFTWARE, "EvilBot/1.1"));
    assert_int_equal(intel_type_parse("Intel::CERT_HASH", 16), INTEL_CERT_HASH);
    assert_int_equal(intel_type_parse("JA3", 3), INTEL_JA3);
    assert_int_equal(intel_type_parse("Intel::NOPE", 11), -1);
}

static void test_addresses_and_subnets(void **state)
{
    (void)state;
    struct intel_load_report rep;
    struct intel_match m;
    load("n.intel",
         HDR "192.0.2.7\tIntel::ADDR\tA\tF\thost\n"
             "198.51.100.0/24\tIntel::SUBNET\tB\tF\tnet24\n"
             "198.51.0.0/16\tIntel::SUBNET\tC\tF\tnet16\n"
             "10.1.2.3/8\tIntel::SUBNET\tD\tF\tunmasked\n"
             "2001:db8:abcd::/48\tIntel::SUBNET\tE\tF\tnet6\n"
             "2001:DB8::1\tIntel::ADDR\tF\tF\thost6\n"
             "192.0.2.0/24\tIntel::SUBNET\tG\tF\tcovering\n",
         &rep);
    assert_int_equal(rep.loaded, 7);
    assert_true(addr_hit("192.0.2.7", &m));
    assert_true(m.via_addr && m.via_subnet); /* the host and its /24 */
    assert_int_equal(m.n, 2);
    assert_true(addr_hit("192.0.2.8", &m));
    assert_true(!m.via_addr && m.via_subnet);
    assert_true(addr_hit("198.51.100.200", &m));
    assert_int_equal(m.n, 2); /* /24 and /16 both match */
    assert_string_equal(m.metas[0]->source, "B"); /* longest prefix first */
    assert_string_equal(m.metas[1]->source, "C");
    assert_true(addr_hit("198.51.7.1", &m));
    assert_int_equal(m.n, 1);
    assert_false(addr_hit("198.52.0.1", &m));
    assert_true(addr_hit("10.200.0.1", &m)); /* host bits masked off at load */
    assert_true(addr_hit("2001:db8:abcd:ffff::1", &m));
    assert_false(addr_hit("2001:db8:abce::1", &m));
    assert_true(addr_hit("2001:db8::1", &m));
    assert_true(m.via_addr);
    assert_false(addr_hit("2001:db8::2", &m));
    assert_false(addr_hit("192.0.3.7", &m));
}

static void test_sources(void **state)
{
    (void)state;
    struct intel_load_report rep;
    struct intel_match m;
    load("s1.intel", HDR "evil.example\tIntel::DOMAIN\tone\tF\tfirst\n", &rep);
    load("s2.intel", HDR "evil.example\tIntel::DOMAIN\ttwo\tT\tsecond\n", &rep);
    load("s3.intel", HDR "EVIL.example\tIntel::DOMAIN\tone\tF\tupdated\n", &rep);
    assert_int_equal(intel_store_count(st), 1);
    assert_true(intel_lookup_str(st, INTEL_DOMAIN, "evil.example", 12, &m));
    const struct intel_meta *a = m.metas[0];
    assert_string_equal(a->source, "one");
    assert_string_equal(a->desc, "updated"); /* same source: replaced, as Intel::insert */
    assert_non_null(a->next);
    assert_string_equal(a->next->source, "two");
    assert_true(a->next->do_notice);
    assert_null(a->next->next);
}

static void test_garbage(void **state)
{
    (void)state;
    struct intel_load_report rep;
    load("g.intel",
         "evil.example\tIntel::DOMAIN\tsrc\n" /* 1: before the header */
         HDR                                  /* 2 */
         "# a comment\n"                      /* 3 */
         "\n"                                 /* 4 */
         "ok.example\tIntel::DOMAIN\tsrc\tF\tfine\n" /* 5 */
         "short\tIntel::DOMAIN\n"                     /* 6: 2 columns */
         "x.example\tIntel::NOPE\tsrc\tF\t-\n"        /* 7 */
         "300.1.1.1\tIntel::ADDR\tsrc\tF\t-\n"        /* 8 */
         "10.0.0.0/33\tIntel::SUBNET\tsrc\tF\t-\n"    /* 9 */
         "y.example\tIntel::DOMAIN\t-\tF\t-\n"        /* 10: no source */
         "-\tIntel::DOMAIN\tsrc\tF\t-\n"              /* 11: no indicator */
         "z.example\tIntel::DOMAIN\tsrc\tmaybe\t-\n"  /* 12 */
         "\x01\x02\xff\xfe\tIntel::DOMAIN\tsrc\tF\t-\n" /* 13: odd bytes, still a string */
         "..\tIntel::DOMAIN\tsrc\tF\t-\n"             /* 14: empty once normalised */
         "1.2.3.4/\tIntel::SUBNET\tsrc\tF\t-\n",      /* 15 */
         &rep);
    assert_int_equal(rep.loaded, 2);
    assert_int_equal(rep.rejected, 10);
    assert_int_equal(rep.n_bad, 8);
    static const uint64_t lines[] = {1, 6, 7, 8, 9, 10, 11, 12};
    for (size_t i = 0; i < 8; i++)
        assert_int_equal(rep.bad[i].line, lines[i]);
    assert_non_null(strstr(rep.bad[1].why, "2 columns"));
    assert_non_null(strstr(rep.bad[2].why, "Intel::NOPE"));
    assert_true(str_hit(INTEL_DOMAIN, "ok.example"));

    /* a header without the required columns; binary noise; no header */
    load("h.intel", "#fields\tfoo\tbar\nx\ty\n", &rep);
    assert_int_equal(rep.loaded, 0);
    assert_int_equal(rep.rejected, 2);
    static const char noise[] = "\x00\x01#fields\t\xff\n\t\t\t\n\n\x00";
    assert_int_equal(intel_load_text(st, "n.intel", noise, sizeof(noise), &rep), 0);
    assert_int_equal(rep.loaded, 0);
    load("e.intel", "", &rep);
    assert_int_equal(rep.loaded + rep.rejected, 0);
}

static void test_ja3_csv(void **state)
{
    (void)state;
    struct intel_load_report rep;
    struct intel_match m;
    load("dir/sslbl.csv",
         "################\n# abuse.ch\n#\n# ja3_md5,Firstseen,Lastseen,Listingreason\n"
         "b386946a5a44d1ddcc843bc75336dfce,2017-07-14 18:08:15,2019-07-27 20:42:54,Dridex\n"
         "8991a387e4cc841740f25d6f5139f92d,2017-07-14 19:02:03,2019-07-28 00:34:38,Adware\n"
         "nothex,2017,2019,x\n",
         &rep);
    assert_int_equal(rep.loaded, 2);
    assert_int_equal(rep.rejected, 1);
    assert_int_equal(rep.bad[0].line, 7);
    assert_true(intel_lookup_str(st, INTEL_JA3, "B386946A5A44D1DDCC843BC75336DFCE", 32, &m));
    assert_string_equal(m.metas[0]->source, "sslbl");
    assert_string_equal(m.metas[0]->desc, "Dridex");
    load("sf.csv",
         "\"Copyright (c) 2017\nAll rights reserved.\nLicensed\",\n"
         "61d50e7771aee7f2f4b89a7200b4d45e,\"AcroCEF\"\n"
         "eb149984fc9c44d85ed7f12c90d818be,\"Amazon Music,Dreamweaver,Spotify\"\n",
         &rep);
    assert_int_equal(rep.loaded, 2);
    assert_int_equal(rep.rejected, 0);
    assert_true(intel_lookup_str(st, INTEL_JA3, "eb149984fc9c44d85ed7f12c90d818be", 32, &m));
    assert_string_equal(m.metas[0]->desc, "Amazon Music,Dreamweaver,Spotify");
    assert_string_equal(m.metas[0]->source, "sf");
    /* a CSV without the .csv name is still recognised */
    load("list.txt", "# x\n561145462cfc7de1d6a97e93d3264786,\"Airmail 3\"\n", &rep);
    assert_int_equal(rep.loaded, 1);
}

/* ---- the matcher, on records built here ---- */

struct fake {
    struct record_hdr hdr;
    int64_t ts;
    struct rstr uid;
    struct raddr oh;
    uint64_t op;
    struct raddr rh;
    uint64_t rp;
    struct rstr query;
    struct rstrvec answers;
    struct rstr host, uri;
};

#define FF(n, t, m) {n, t, offsetof(struct fake, m)}
static const struct record_field dns_fields[] = {
    FF("ts", RT_TIME, ts),         FF("uid", RT_STRING, uid),      FF("id.orig_h", RT_ADDR, oh),
    FF("id.orig_p", RT_PORT, op),  FF("id.resp_h", RT_ADDR, rh),   FF("id.resp_p", RT_PORT, rp),
    FF("query", RT_STRING, query), FF("answers", RT_VEC_STRING, answers),
};
static const struct record_type fake_dns = {"dns", dns_fields, 8, sizeof(struct fake)};
static const struct record_field http_fields[] = {
    FF("ts", RT_TIME, ts),        FF("uid", RT_STRING, uid),    FF("id.orig_h", RT_ADDR, oh),
    FF("id.orig_p", RT_PORT, op), FF("id.resp_h", RT_ADDR, rh), FF("id.resp_p", RT_PORT, rp),
    FF("host", RT_STRING, host),  FF("uri", RT_STRING, uri),
};
static const struct record_type fake_http = {"http", http_fields, 8, sizeof(struct fake)};

static const struct record_field x509_fields[] = {
    FF("ts", RT_TIME, ts), FF("uid", RT_STRING, uid), FF("san.dns", RT_VEC_STRING, answers),
};
static const struct record_type fake_x509 = {"x509", x509_fields, 3, sizeof(struct fake)};

struct sink {
    struct output base;
    int n_intel, n_alert, n_notice;
    bool last_has_id;
    int64_t last_ts;
    char last_ind[128], last_where[64], last_matched[64], last_sig[256];
    uint64_t last_sid;
};

static int sink_write(struct output *o, const struct record_hdr *r)
{
    struct sink *s = (struct sink *)o;
    if (r->type == &intel_record_type) {
        const struct intel_record *i = (const void *)r;
        s->n_intel++;
        s->last_has_id = !record_unset(r, IF_ORIG_H);
        s->last_ts = i->ts;
        snprintf(s->last_ind, sizeof(s->last_ind), "%.*s", (int)i->indicator.len, i->indicator.p);
        snprintf(s->last_where, sizeof(s->last_where), "%.*s", (int)i->where.len, i->where.p);
        s->last_matched[0] = '\0';
        for (size_t k = 0; k < i->matched.n; k++)
            snprintf(s->last_matched + strlen(s->last_matched),
                     sizeof(s->last_matched) - strlen(s->last_matched), "%s%.*s", k ? "," : "",
                     (int)i->matched.v[k].len, i->matched.v[k].p);
    } else if (r->type == &alert_record_type) {
        const struct alert_record *a = (const void *)r;
        s->n_alert++;
        s->last_sid = a->sid;
        snprintf(s->last_sig, sizeof(s->last_sig), "%.*s", (int)a->signature.len, a->signature.p);
    } else if (r->type == &notice_record_type) {
        s->n_notice++;
    }
    return 0;
}
static void sink_close(struct output *o) { (void)o; }
static const struct output_ops sink_ops = {"sink", sink_write, NULL, NULL, sink_close};

static struct rstr R(const char *s)
{
    struct rstr r = {s, strlen(s)};
    return r;
}

static void fake_init(struct fake *f, const struct record_type *t)
{
    memset(f, 0, sizeof(*f));
    f->hdr.type = t;
    f->ts = 1000000000LL;
    f->uid = R("Cabc");
    f->oh.family = f->rh.family = 4;
    f->oh.a[0] = 10, f->oh.a[3] = 1;
    f->rh.a[0] = 192, f->rh.a[1] = 0, f->rh.a[2] = 2, f->rh.a[3] = 53;
    f->op = 5353, f->rp = 53;
}

static void test_matcher(void **state)
{
    (void)state;
    struct intel_load_report rep;
    load("m.intel",
         HDR "evil.example\tIntel::DOMAIN\tsrcA\tT\tbad\n"
             "203.0.113.0/24\tIntel::SUBNET\tsrcB\tF\tnet\n"
             "web.example:8080/a\tIntel::URL\tsrcC\tF\turl\n",
         &rep);
    struct sink s = {.base.ops = &sink_ops};
    struct output *down[1] = {&s.base};
    char err[128];
    struct output *o = intel_output_open(st, down, 1, "node1", err, sizeof(err));
    assert_non_null(o);

    struct fake f;
    fake_init(&f, &fake_dns);
    struct rstr ans[3] = {R("203.0.113.9"), R("other.example"), R("TXT 5 hello")};
    f.query = R("Evil.Example");
    f.answers.v = ans, f.answers.n = 3;
    assert_int_equal(output_write(o, &f.hdr), 0);
    assert_int_equal(s.n_intel, 2);
    assert_int_equal(s.n_alert, 2);
    assert_int_equal(s.n_notice, 1); /* do_notice=T on the domain only */
    assert_string_equal(s.last_ind, "203.0.113.9");
    assert_string_equal(s.last_where, "DNS::IN_RESPONSE");
    assert_string_equal(s.last_matched, "Intel::SUBNET");
    assert_int_equal(s.last_sid, INTEL_ALERT_SID_BASE + INTEL_ADDR);
    assert_string_equal(s.last_sig, "VIGIL INTEL ADDR hit 203.0.113.9 (srcB)");

    /* the same notice again within the hour is suppressed, the row is not */
    assert_int_equal(output_write(o, &f.hdr), 0);
    assert_int_equal(s.n_intel, 4);
    assert_int_equal(s.n_notice, 1);

    /* HTTP: URL built from host, port and uri */
    fake_init(&f, &fake_http);
    f.host = R("web.example");
    f.uri = R("/a");
    f.rp = 8080;
    output_write(o, &f.hdr);
    assert_int_equal(s.n_intel, 5);
    assert_string_equal(s.last_ind, "web.example:8080/a");
    assert_string_equal(s.last_where, "HTTP::IN_URL");
    /* Host: a port is stripped; an address there is an ADDR */
    f.host = R("Evil.example:8080");
    f.uri = R("/nothing");
    output_write(o, &f.hdr);
    assert_int_equal(s.n_intel, 6);
    assert_string_equal(s.last_ind, "Evil.example");
    assert_string_equal(s.last_where, "HTTP::IN_HOST_HEADER");
    f.host = R("203.0.113.4:80");
    output_write(o, &f.hdr);
    assert_int_equal(s.n_intel, 7);
    assert_string_equal(s.last_ind, "203.0.113.4");
    assert_string_equal(s.last_matched, "Intel::SUBNET");
    f.host = R("web.example");
    f.uri = R("/a");
    /* a field left unset is not looked at */
    record_set_unset(&f.hdr, 7, true);
    output_write(o, &f.hdr);
    assert_int_equal(s.n_intel, 7);
    /* records the matcher writes itself are not matched again */
    s.n_intel = 0;
    struct intel_record ir = {.hdr.type = &intel_record_type};
    output_write(o, &ir.hdr);
    assert_int_equal(s.n_intel, 0);

    struct intel_counters c;
    intel_output_counters(o, &c);
    assert_int_equal(c.hits, 7);
    assert_int_equal(c.notices, 2); /* evil.example again, but at another where */
    output_close(o);
}

/* x509.log has no id: its hits wait for the session's next record with
 * one (ssl.log), or are written without it when the matcher closes. */
static void test_x509_held(void **state)
{
    (void)state;
    struct intel_load_report rep;
    load("x.intel", HDR "evil.example\tIntel::DOMAIN\tsrc\tF\t-\n", &rep);
    struct sink s = {.base.ops = &sink_ops};
    struct output *down[1] = {&s.base};
    char err[128];
    struct output *o = intel_output_open(st, down, 1, NULL, err, sizeof(err));
    struct fake x, d;
    struct rstr san[1] = {R("EVIL.example")};
    fake_init(&x, &fake_x509);
    x.ts = 7;
    x.answers.v = san, x.answers.n = 1;
    output_write(o, &x.hdr);
    assert_int_equal(s.n_intel, 0); /* held */
    fake_init(&d, &fake_dns);       /* same uid "Cabc", with an id */
    d.query = R("harmless.example");
    output_write(o, &d.hdr);
    assert_int_equal(s.n_intel, 1);
    assert_true(s.last_has_id);
    assert_int_equal(s.last_ts, 7); /* the certificate's time */
    assert_string_equal(s.last_ind, "EVIL.example");
    assert_string_equal(s.last_where, "X509::IN_CERT");
    x.uid = R("Cother");
    output_write(o, &x.hdr);
    output_write(o, &d.hdr); /* another session: stays held */
    assert_int_equal(s.n_intel, 1);
    output_close(o);          /* written without an id */
    assert_int_equal(s.n_intel, 2);
    assert_false(s.last_has_id);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_types_and_normalisation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_addresses_and_subnets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sources, setup, teardown),
        cmocka_unit_test_setup_teardown(test_garbage, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ja3_csv, setup, teardown),
        cmocka_unit_test_setup_teardown(test_matcher, setup, teardown),
        cmocka_unit_test_setup_teardown(test_x509_held, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
