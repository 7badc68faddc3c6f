/*
 * test_decode_corpus.c - decode every packet of every trace in the shared
 * corpus ($CORPUS, default ../shared/corpus from the repository root),
 * with fragment reassembly on and off, and check facts known from other
 * tools: the number of TCP packets tcpdump counts in known traces
 * (`tcpdump -r X -nn tcp | wc -l`), and that each tunnel trace yields an
 * inner layer carried the way its name says.  Skips when the corpus is
 * absent.
 */
#include <dirent.h>
#include <pcap/pcap.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "decode/decode.h"

struct tally {
    unsigned long pkts, ok, ip, outer_tcp, frag_held, reassembled;
    unsigned long encap[8];
};

static const char *corpus_dir(void)
{
    const char *c = getenv("CORPUS");
    return c && *c ? c : "../shared/corpus";
}

/* Decode one trace; returns -1 when it cannot be opened. */
static int decode_trace(const char *path, int reassemble, struct tally *t)
{
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(path, err);
    if (!p)
        return -1;
    struct decode_config cfg;
    decode_config_default(&cfg);
    cfg.reassemble = reassemble;
    struct decoder *d = decoder_new(&cfg);
    assert_non_null(d);
    struct pcap_pkthdr *h;
    const u_char *data;
    while (pcap_next_ex(p, &h, &data) == 1) {
        struct packet pkt;
        memset(&pkt, 0, sizeof(pkt));
        pkt.ts_sec = h->ts.tv_sec;
        pkt.ts_nsec = (uint32_t)h->ts.tv_usec * 1000u;
        pkt.caplen = h->caplen;
        pkt.wirelen = h->len;
        pkt.linktype = pcap_datalink(p);
        pkt.data = data;
        t->pkts++;
        if (decode_packet(d, &pkt) == 0)
            t->ok++;
        assert_true(pkt.n_layers <= PKT_MAX_LAYERS);
        assert_true(pkt.n_anomalies <= PKT_MAX_ANOMALIES);
        if (pkt.flags & PKT_F_IP)
            t->ip++;
        if (pkt.n_layers && pkt.layer[0].proto == 6)
            t->outer_tcp++;
        if (pkt.flags & PKT_F_FRAG_HELD)
            t->frag_held++;
        if (pkt.flags & PKT_F_REASSEMBLED)
            t->reassembled++;
        for (int i = 0; i + 1 < pkt.n_layers; i++)
            t->encap[pkt.layer[i].encap & 7]++;
        for (int i = 0; i < pkt.n_layers; i++) {
            const struct pkt_ip *ip = &pkt.layer[i];
            assert_true(ip->t.payload_len <= ip->t.payload_wire_len || !ip->t.valid);
        }
    }
    decoder_free(d);
    pcap_close(p);
    return 0;
}

static int walk(const char *dir, int reassemble, struct tally *t, int *files)
{
    DIR *dp = opendir(dir);
    if (!dp)
        return -1;
    struct dirent *e;
    while ((e = readdir(dp))) {
        char path[4096];
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) < 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            walk(path, reassemble, t, files);
            continue;
        }
        size_t n = strlen(e->d_name);
        if ((n > 5 && !strcmp(e->d_name + n - 5, ".pcap")) ||
            (n > 7 && !strcmp(e->d_name + n - 7, ".pcapng"))) {
            if (decode_trace(path, reassemble, t) == 0)
                (*files)++;
        }
    }
    closedir(dp);
    return 0;
}

static int have_corpus(void)
{
    struct stat st;
    return stat(corpus_dir(), &st) == 0 && S_ISDIR(st.st_mode);
}

static void test_corpus_all(void **state)
{
    (void)state;
    if (!have_corpus())
        skip();
    for (int r = 0; r < 2; r++) {
        struct tally t = {0};
        int files = 0;
        walk(corpus_dir(), r, &t, &files);
        assert_true(files > 100);
        /* Nearly every frame of the corpus carries IP or ARP. */
        assert_true(t.ok * 100 > t.pkts * 95);
        assert_true(t.ip * 100 > t.pkts * 90);
        if (r)
            assert_true(t.reassembled > 0);
        else
            assert_int_equal(t.reassembled, 0);
    }
}

static struct tally trace(const char *rel, int reassemble)
{
    char path[4096];
    struct tally t = {0};
    snprintf(path, sizeof(path), "%s/%s", corpus_dir(), rel);
    if (decode_trace(path, reassemble, &t) < 0)
        fail_msg("cannot open %s", path);
    return t;
}

static void test_corpus_tcp_counts(void **state)
{
    (void)state;
    if (!have_corpus())
        skip();
    /* tcpdump -r X -nn tcp | wc -l */
    assert_int_equal(trace("tcp/zeek-ssh-dups.pcap", 0).outer_tcp, 377);
    assert_int_equal(trace("tcp/arkime-wireshark-retrans.pcap", 0).outer_tcp, 108);
    assert_int_equal(trace("encap/zeek-teredo.pcap", 0).outer_tcp, 33);
    assert_int_equal(trace("encap/zeek-socks.pcap", 1).outer_tcp, 53);
    struct tally t = trace("tcp/zeek-ssh-dups.pcap", 1);
    assert_int_equal(t.pkts, 377);
    assert_int_equal(t.ip, 377);
}

static void test_corpus_tunnels(void **state)
{
    (void)state;
    if (!have_corpus())
        skip();
    assert_true(trace("encap/zeek-vxlan.pcap", 1).encap[PKT_ENCAP_VXLAN] > 0);
    assert_true(trace("encap/zeek-geneve.pcap", 1).encap[PKT_ENCAP_GENEVE] > 0);
    assert_true(trace("encap/zeek-teredo.pcap", 1).encap[PKT_ENCAP_TEREDO] > 0);
    assert_true(trace("encap/zeek-ayiya3.pcap", 1).encap[PKT_ENCAP_AYIYA] > 0);
    assert_true(trace("encap/zeek-gre-sample.pcap", 1).encap[PKT_ENCAP_GRE] > 0);
    assert_true(trace("encap/zeek-erspanII.pcap", 1).encap[PKT_ENCAP_GRE] > 0);
    assert_true(trace("encap/arkime-gre-erspan.pcap", 1).encap[PKT_ENCAP_GRE] > 0);
    assert_true(trace("encap/zeek-gre-over-udp-4754.pcap", 1).encap[PKT_ENCAP_GRE] > 0);
    assert_true(trace("encap/zeek-4in6.pcap", 1).encap[PKT_ENCAP_IPIP] > 0);
    assert_true(trace("encap/zeek-6in4.pcap", 1).encap[PKT_ENCAP_IPIP] > 0);
    assert_true(trace("encap/zeek-ip-in-ip-6in6.pcap", 1).encap[PKT_ENCAP_IPIP] > 0);
    assert_true(trace("fragments/zeek-gtp1-outer-ip-frag.pcap", 1).encap[PKT_ENCAP_GTPU] > 0);
}

static void test_corpus_fragments(void **state)
{
    (void)state;
    if (!have_corpus())
        skip();
    struct tally on = trace("fragments/zeek-ipv6-fragmented-dns.pcap", 1);
    struct tally off = trace("fragments/zeek-ipv6-fragmented-dns.pcap", 0);
    assert_true(on.reassembled > 0);
    assert_true(on.frag_held > 0);
    assert_int_equal(off.reassembled, 0);
    assert_int_equal(off.frag_held, 0);
    assert_true(trace("fragments/sv-defrag-ipv4-tcp-syn.pcap", 1).reassembled > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus_all),
        cmocka_unit_test(test_corpus_tcp_counts),
        cmocka_unit_test(test_corpus_tunnels),
        cmocka_unit_test(test_corpus_fragments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
