/*
 * test_pcapstore.c - the full-content archive: writer, index, recovery.
 *
 * Round trip: several corpus traces ($CORPUS, default ../shared/corpus) go
 * through the real pipeline with the archive as packet sink; the sink also
 * remembers, per session uid, the packets the flow table gave it (time,
 * length, bytes).  Then every session's offsets from the closed files'
 * indexes must read back exactly those packets, in order.  Also: rotation
 * by size, the open file's journal, a crashed file cut back to its last
 * whole packet with its index rebuilt, damaged index rebuilt, varint
 * formats through the public reader.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "pipeline/pipeline.h"
#include "store/pcapindex.h"
#include "store/pcapstore.h"

/* What the pipeline said about each session: packets as (ts, hash). */
struct seen_pkt {
    int64_t ts;
    uint32_t caplen;
    uint64_t hash;
};

struct seen_sess {
    char uid[24];
    struct seen_pkt *p;
    size_t n, cap;
};

struct seen {
    struct pcapstore *store;
    struct seen_sess *s;
    size_t n, cap;
};

static uint64_t fnv(const uint8_t *p, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

static struct seen_sess *seen_get(struct seen *w, const char *uid)
{
    for (size_t i = 0; i < w->n; i++)
        if (strcmp(w->s[i].uid, uid) == 0)
            return &w->s[i];
    if (w->n == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 64;
        w->s = realloc(w->s, w->cap * sizeof(*w->s));
        assert_non_null(w->s);
    }
    struct seen_sess *s = &w->s[w->n++];
    memset(s, 0, sizeof(*s));
    snprintf(s->uid, sizeof(s->uid), "%s", uid);
    return s;
}

static void seen_sink(void *ctx, const struct packet *pkt, const struct flow_packet_refs *refs)
{
    struct seen *w = ctx;
    pcapstore_write(w->store, pkt, refs);
    for (int i = 0; i < refs->n; i++) {
        struct seen_sess *s = seen_get(w, refs->ref[i].uid);
        if (s->n == s->cap) {
            s->cap = s->cap ? s->cap * 2 : 8;
            s->p = realloc(s->p, s->cap * sizeof(*s->p));
            assert_non_null(s->p);
        }
        s->p[s->n].ts = pkt->ts_sec * 1000000000LL + pkt->ts_nsec;
        s->p[s->n].caplen = pkt->caplen;
        s->p[s->n].hash = fnv(pkt->data, pkt->caplen);
        s->n++;
    }
}

static void seen_free(struct seen *w)
{
    for (size_t i = 0; i < w->n; i++)
        free(w->s[i].p);
    free(w->s);
}

static char tmpdir[256];

static const char *corpus(void)
{
    const char *c = getenv("CORPUS");
    return c && *c ? c : "../shared/corpus";
}

static void rm_rf(const char *d)
{
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d);
    assert_int_equal(system(cmd), 0);
}

/* Ingest one trace into a fresh archive, remembering the sessions. */
static int ingest(const char *trace, const char *data, uint64_t rotate, struct seen *w)
{
    char err[512];
    struct pcapstore_config sc;
    pcapstore_config_default(&sc);
    sc.data_dir = data;
    sc.sensor = "t";
    sc.quiet = true;
    sc.retention.max_disk_pct = 100;
    if (rotate)
        sc.rotate_size = rotate;
    w->store = pcapstore_open(&sc, err, sizeof(err));
    assert_non_null(w->store);
    const char *in[1] = {trace};
    struct capture_file_opts fo = {0};
    struct capture_source *src = capture_open_files(in, 1, &fo, err, sizeof(err));
    if (!src) {
        pcapstore_close(w->store, err, sizeof(err));
        return -1;
    }
    struct pipeline_config cfg;
    pipeline_config_default(&cfg);
    cfg.sensor = "t";
    cfg.progress = 0;
    cfg.packet_sink = seen_sink;
    cfg.packet_sink_ctx = w;
    struct pipeline *p = pipeline_new(&cfg, NULL, 0, err, sizeof(err));
    assert_non_null(p);
    assert_int_equal(pipeline_run(p, src), 0);
    pipeline_free(p);
    capture_close(src);
    assert_int_equal(pcapstore_close(w->store, err, sizeof(err)), 0);
    return 0;
}

/* Read the record at off of pcap path and compare with want. */
static void check_record(const char *path, uint64_t off, const struct seen_pkt *want)
{
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    uint8_t h[24], r[16];
    static uint8_t data[262144];
    assert_int_equal(pread(fd, h, 24, 0), 24);
    struct pcapfile_hdr fh;
    assert_int_equal(pcapfile_parse_hdr(h, 24, &fh), 0);
    assert_true(fh.nano);
    assert_int_equal(pread(fd, r, 16, (off_t)off), 16);
    struct pcapfile_rec rec;
    pcapfile_parse_rec(&fh, r, &rec);
    assert_int_equal(rec.caplen, want->caplen);
    assert_true(rec.ts_ns == want->ts);
    assert_int_equal(pread(fd, data, rec.caplen, (off_t)off + 16), (ssize_t)rec.caplen);
    assert_true(fnv(data, rec.caplen) == want->hash);
    close(fd);
}

/* Every session the pipeline saw reads back from the indexes. */
static void check_round_trip(const char *data, struct seen *w, size_t *sessions)
{
    struct pcapindex_file *f;
    size_t nf;
    char err[512];
    assert_int_equal(pcapindex_archive_list(data, "t", &f, &nf, err, sizeof(err)), 0);
    assert_true(nf > 0);
    for (size_t i = 0; i < w->n; i++) {
        struct seen_sess *s = &w->s[i];
        size_t k = 0;
        for (size_t j = 0; j < nf; j++) {
            struct pcapindex *ix;
            assert_int_equal(pcapindex_open(f[j].path, NULL, &ix, err, sizeof(err)), 0);
            struct pcapindex_info info;
            pcapindex_get_info(ix, &info);
            assert_false(info.rebuilt);
            assert_false(info.open);
            const struct pcapindex_session *x = pcapindex_find_uid(ix, s->uid);
            for (uint32_t m = 0; x && m < x->n_pkts; m++) {
                assert_true(k < s->n);
                assert_true(x->pkts[m].ts_ns == s->p[k].ts);
                check_record(f[j].path, x->pkts[m].offset, &s->p[k]);
                k++;
            }
            pcapindex_free(ix);
        }
        if (k != s->n)
            fail_msg("session %s: %zu packets in the indexes, the pipeline counted %zu", s->uid,
                     k, s->n);
    }
    *sessions += w->n;
    pcapindex_archive_free(f, nf);
}

static void test_round_trip(void **state)
{
    (void)state;
    static const char *traces[] = {"ssh/zeek-ssh.pcap", "http/arkime-http-basicauth.pcap",
                                   "dns", "encap", "fragments", "tcp", "icmp", "ipv6"};
    size_t sessions = 0, files = 0;
    for (size_t t = 0; t < sizeof(traces) / sizeof(traces[0]); t++) {
        char path[1024], data[512];
        snprintf(path, sizeof(path), "%s/%s", corpus(), traces[t]);
        struct stat st;
        if (stat(path, &st) < 0)
            continue;
        snprintf(data, sizeof(data), "%s/rt%zu", tmpdir, t);
        struct seen w = {0};
        /* a small rotate size too, so sessions span files */
        if (ingest(path, data, t % 2 ? 0 : 65536, &w) == 0) {
            check_round_trip(data, &w, &sessions);
            files++;
        }
        seen_free(&w);
    }
    print_message("# %zu inputs, %zu sessions read back from the indexes\n", files, sessions);
    assert_true(files >= 4);
    assert_true(sessions > 50);
}

/* The open file's journal; then a crash: garbage tail, no .idx. */
static void test_journal_and_recovery(void **state)
{
    (void)state;
    char data[512], path[1024], err[512];
    snprintf(data, sizeof(data), "%s/crash", tmpdir);
    snprintf(path, sizeof(path), "%s/ssh/zeek-ssh.pcap", corpus());
    struct pcapstore_config sc;
    pcapstore_config_default(&sc);
    sc.data_dir = data;
    sc.sensor = "t";
    sc.quiet = true;
    sc.retention.max_disk_pct = 100;
    struct pcapstore *st = pcapstore_open(&sc, err, sizeof(err));
    assert_non_null(st);
    struct seen w = {.store = st};
    const char *in[1] = {path};
    struct capture_file_opts fo = {0};
    struct capture_source *src = capture_open_files(in, 1, &fo, err, sizeof(err));
    assert_non_null(src);
    struct pipeline_config cfg;
    pipeline_config_default(&cfg);
    cfg.sensor = "t";
    cfg.progress = 0;
    cfg.packet_sink = seen_sink;
    cfg.packet_sink_ctx = &w;
    struct pipeline *p = pipeline_new(&cfg, NULL, 0, err, sizeof(err));
    assert_int_equal(pipeline_run(p, src), 0);
    pcapstore_tick(st); /* journal on disk, file still open */
    struct pcapindex_file *f;
    size_t nf;
    assert_int_equal(pcapindex_archive_list(data, "t", &f, &nf, err, sizeof(err)), 0);
    const char *last = f[nf - 1].path;
    struct pcapindex *ix;
    assert_int_equal(pcapindex_open(last, NULL, &ix, err, sizeof(err)), 0);
    struct pcapindex_info info;
    pcapindex_get_info(ix, &info);
    assert_true(info.open);
    assert_true(pcapindex_session_count(ix) > 0);
    size_t open_sessions = pcapindex_session_count(ix);
    pcapindex_free(ix);
    /* "crash": drop the store without closing, append half a record */
    pipeline_free(p);
    capture_close(src);
    struct stat sb;
    assert_int_equal(stat(last, &sb), 0);
    FILE *g = fopen(last, "ab");
    assert_non_null(g);
    fwrite("\x01\x02\x03\x04\x05\x06\x07\x08\x09", 1, 9, g);
    fclose(g);
    uint64_t cut = 0;
    assert_int_equal(pcapindex_recover(last, "t", &cut, err, sizeof(err)), 0);
    assert_int_equal(cut, 9);
    struct stat sa;
    assert_int_equal(stat(last, &sa), 0);
    assert_int_equal(sa.st_size, sb.st_size);
    assert_int_equal(pcapindex_open(last, NULL, &ix, err, sizeof(err)), 0);
    pcapindex_get_info(ix, &info);
    assert_false(info.open);
    assert_false(info.rebuilt);
    assert_int_equal(pcapindex_session_count(ix), open_sessions);
    pcapindex_free(ix);
    /* a damaged .idx is rebuilt from the packets */
    char ip[1100];
    snprintf(ip, sizeof(ip), "%s.idx", last);
    g = fopen(ip, "r+b");
    fseek(g, 90, SEEK_SET);
    fputc(0x5a, g);
    fclose(g);
    assert_int_equal(pcapindex_open(last, NULL, &ix, err, sizeof(err)), 0);
    pcapindex_get_info(ix, &info);
    assert_true(info.rebuilt);
    assert_true(pcapindex_session_count(ix) > 0);
    pcapindex_free(ix);
    pcapindex_archive_free(f, nf);
    seen_free(&w);
    /* release the "crashed" store (it rewrites that file's index: harmless now) */
    pcapstore_close(st, err, sizeof(err));
}

static void test_select(void **state)
{
    (void)state;
    char data[512], path[1024], err[512];
    snprintf(data, sizeof(data), "%s/sel", tmpdir);
    snprintf(path, sizeof(path), "%s/ssh/zeek-ssh.pcap", corpus());
    struct seen w = {0};
    assert_int_equal(ingest(path, data, 0, &w), 0);
    struct pcapindex_file *f;
    size_t nf;
    assert_int_equal(pcapindex_archive_list(data, "t", &f, &nf, err, sizeof(err)), 0);
    struct pcapindex *ix;
    assert_int_equal(pcapindex_open(f[nf - 1].path, NULL, &ix, err, sizeof(err)), 0);
    const struct pcapindex_session *s = pcapindex_session_at(ix, 0);
    assert_non_null(s);
    struct pcapindex_match m = {.has_host = true, .host_family = s->key.family,
                                .has_port = true, .port = s->key.port_b};
    memcpy(m.host, s->key.a, 16);
    struct pcapindex_pkt *pk;
    size_t n;
    const char **uids;
    size_t nu;
    assert_int_equal(pcapindex_select(ix, &m, &pk, &n, &uids, &nu), 0);
    assert_true(n >= s->n_pkts);
    assert_true(nu >= 1);
    for (size_t i = 1; i < n; i++)
        assert_true(pk[i].offset > pk[i - 1].offset);
    free(pk);
    free(uids);
    pcapindex_free(ix);
    pcapindex_archive_free(f, nf);
    seen_free(&w);
}

int main(void)
{
    snprintf(tmpdir, sizeof(tmpdir), "%s/vigil-pcapstore.XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(tmpdir))
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_journal_and_recovery),
        cmocka_unit_test(test_select),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    rm_rf(tmpdir);
    return rc;
}
