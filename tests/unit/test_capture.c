/*
 * test_capture.c - unit tests of the file packet source (src/capture).
 *
 * Each test writes small pcap files with libpcap (pcap_open_dead +
 * pcap_dump) into a fresh temporary directory, opens them with
 * capture_open_files() and checks: the merge of several files in
 * timestamp order, directory recursion and glob patterns, BPF filtering,
 * origin and byte offset of each record, and damaged files (truncated,
 * bad magic, empty) ending only their own input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <pcap/pcap.h>

#include "capture/capture.h"

static char tmpdir[256];

/* A 60-byte Ethernet + IPv4 + UDP frame from 10.0.0.1:sport to 10.0.0.2:dport. */
static void frame_udp(uint8_t *f, uint16_t sport, uint16_t dport)
{
    static const uint8_t head[34] = {
        0x00, 0x00, 0x00, 0x00, 0x00, 0x02,             /* dst MAC */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x01,             /* src MAC */
        0x08, 0x00,                                     /* ethertype IPv4 */
        0x45, 0x00, 0x00, 0x2e,                         /* v4, IHL 5, total length 46 */
        0x00, 0x01, 0x00, 0x00, 0x40, 0x11, 0x00, 0x00, /* id 1, ttl 64, proto UDP, cksum 0 */
        0x0a, 0x00, 0x00, 0x01,                         /* 10.0.0.1 */
        0x0a, 0x00, 0x00, 0x02,                         /* 10.0.0.2 */
    };
    memset(f, 0, 60);
    memcpy(f, head, sizeof(head));
    f[34] = (uint8_t)(sport >> 8); /* UDP source port */
    f[35] = (uint8_t)sport;
    f[36] = (uint8_t)(dport >> 8); /* UDP destination port */
    f[37] = (uint8_t)dport;
    f[39] = 26; /* UDP length 26: 8 header + 18 payload */
}

/* Write path with n packets at times ts[i] seconds + ns[i] nanoseconds, dport ports[i]. */
static void write_pcap(const char *path, int n, const int64_t *ts, const uint32_t *ns,
                       const uint16_t *ports)
{
    pcap_t *d = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 65535, PCAP_TSTAMP_PRECISION_NANO);
    assert_non_null(d);
    pcap_dumper_t *w = pcap_dump_open(d, path);
    assert_non_null(w);
    for (int i = 0; i < n; i++) {
        uint8_t f[60];
        struct pcap_pkthdr h = {.caplen = 60, .len = 60};
        h.ts.tv_sec = (time_t)ts[i];
        h.ts.tv_usec = ns ? (suseconds_t)ns[i] : 0;
        frame_udp(f, 1000 + (uint16_t)i, ports ? ports[i] : 53);
        pcap_dump((u_char *)w, &h, f);
    }
    pcap_dump_close(w);
    pcap_close(d);
}

static void tmp_path(char *out, size_t len, const char *name)
{
    snprintf(out, len, "%s/%s", tmpdir, name);
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "%s/vigil-capture-XXXXXX",
             getenv("TEST_TMP") ? getenv("TEST_TMP") : "/tmp");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[400];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static struct capture_source *open1(const char *path, const char *bpf)
{
    char err[512] = "";
    struct capture_file_opts o = {.bpf = bpf};
    const char *paths[1] = {path};
    struct capture_source *s = capture_open_files(paths, 1, &o, err, sizeof(err));
    if (!s)
        print_message("open failed: %s\n", err);
    return s;
}

static int count_all(struct capture_source *s)
{
    struct packet p;
    int n = 0;
    while (capture_next(s, &p) > 0)
        n++;
    return n;
}

static void test_merge_order(void **state)
{
    (void)state;
    char a[300], b[300];
    tmp_path(a, sizeof(a), "a.pcap");
    tmp_path(b, sizeof(b), "b.pcap");
    int64_t ta[] = {1, 3, 5, 5}, tb[] = {2, 4, 5, 6};
    uint32_t na[] = {0, 0, 100, 100}, nb[] = {0, 0, 100, 0};
    write_pcap(a, 4, ta, na, NULL);
    write_pcap(b, 4, tb, nb, NULL);
    const char *paths[2] = {a, b};
    char err[512];
    struct capture_source *s = capture_open_files(paths, 2, NULL, err, sizeof(err));
    assert_non_null(s);
    /* expected: a1 b2 a3 b4 a5.100 (a before b on a tie) a5.100 b5.100 b6 */
    const int64_t want_ts[] = {1, 2, 3, 4, 5, 5, 5, 6};
    const char want_from[] = "ababaabb";
    struct packet p;
    for (int i = 0; i < 8; i++) {
        assert_int_equal(capture_next(s, &p), 1);
        assert_int_equal(p.ts_sec, want_ts[i]);
        assert_int_equal(p.num, (uint64_t)i + 1);
        assert_string_equal(p.origin, want_from[i] == 'a' ? a : b);
        assert_int_equal(p.caplen, 60);
        assert_int_equal(p.linktype, DLT_EN10MB);
    }
    assert_int_equal(capture_next(s, &p), 0);
    assert_int_equal(capture_damaged(s), 0);
    capture_close(s);
}

static void test_origin_offset(void **state)
{
    (void)state;
    char a[300];
    tmp_path(a, sizeof(a), "off.pcap");
    int64_t t[] = {10, 11, 12};
    uint32_t ns[] = {1, 999999999, 5};
    write_pcap(a, 3, t, ns, NULL);
    struct capture_source *s = open1(a, NULL);
    assert_non_null(s);
    struct packet p;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(capture_next(s, &p), 1);
        /* 24-byte file header, then 16-byte record header + 60 bytes each */
        assert_int_equal(p.origin_offset, 24 + i * (16 + 60));
        assert_int_equal(p.ts_nsec, ns[i]); /* nanoseconds kept */
    }
    capture_close(s);
}

static void test_directory_and_glob(void **state)
{
    (void)state;
    char d[300], sub[300], f1[300], f2[300], txt[300], pat[300];
    tmp_path(d, sizeof(d), "dir");
    tmp_path(sub, sizeof(sub), "dir/sub");
    tmp_path(f1, sizeof(f1), "dir/one.pcap");
    tmp_path(f2, sizeof(f2), "dir/sub/two.pcap");
    tmp_path(txt, sizeof(txt), "dir/notes.txt");
    assert_int_equal(mkdir(d, 0755), 0);
    assert_int_equal(mkdir(sub, 0755), 0);
    int64_t t1[] = {1, 2}, t2[] = {3};
    write_pcap(f1, 2, t1, NULL, NULL);
    write_pcap(f2, 1, t2, NULL, NULL);
    FILE *f = fopen(txt, "w");
    assert_non_null(f);
    fputs("not a capture\n", f);
    fclose(f);

    char **list;
    int n;
    char err[512];
    const char *args[1] = {d};
    assert_int_equal(capture_expand_paths(args, 1, &list, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 2); /* notes.txt is not a capture: skipped in a directory */
    assert_string_equal(list[0], f1);
    assert_string_equal(list[1], f2);
    capture_free_paths(list, n);

    struct capture_source *s = open1(d, NULL);
    assert_non_null(s);
    assert_int_equal(count_all(s), 3);
    capture_close(s);

    tmp_path(pat, sizeof(pat), "dir/*/*.pcap");
    s = open1(pat, NULL);
    assert_non_null(s);
    assert_int_equal(count_all(s), 1);
    capture_close(s);

    tmp_path(pat, sizeof(pat), "dir/*.nothing");
    args[0] = pat;
    assert_int_equal(capture_expand_paths(args, 1, &list, &n, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "no file matches"));
}

static void test_bpf(void **state)
{
    (void)state;
    char a[300];
    tmp_path(a, sizeof(a), "bpf.pcap");
    int64_t t[] = {1, 2, 3, 4};
    uint16_t ports[] = {53, 80, 53, 123};
    write_pcap(a, 4, t, NULL, ports);
    struct capture_source *s = open1(a, "udp port 53");
    assert_non_null(s);
    struct packet p;
    assert_int_equal(capture_next(s, &p), 1);
    assert_int_equal(p.ts_sec, 1);
    assert_int_equal(capture_next(s, &p), 1);
    assert_int_equal(p.ts_sec, 3);
    assert_int_equal(p.origin_offset, 24 + 2 * 76); /* the offset of the third record */
    assert_int_equal(capture_next(s, &p), 0);
    struct capture_stats st;
    capture_stats(s, &st);
    assert_int_equal(st.packets, 2);
    assert_int_equal(st.filtered_out, 2);
    capture_close(s);

    char err[512] = "";
    struct capture_file_opts o = {.bpf = "port port"};
    const char *paths[1] = {a};
    assert_null(capture_open_files(paths, 1, &o, err, sizeof(err)));
    assert_non_null(strstr(err, "'port port'"));
    assert_int_equal(capture_filter_check("tcp port 80", DLT_EN10MB, err, sizeof(err)), 0);
    assert_int_equal(capture_filter_check("tcp prot 80", DLT_EN10MB, err, sizeof(err)), -1);
}

static void test_damaged(void **state)
{
    (void)state;
    char good[300], cut[300], magic[300], empty[300], missing[300];
    tmp_path(good, sizeof(good), "good.pcap");
    tmp_path(cut, sizeof(cut), "cut.pcap");
    tmp_path(magic, sizeof(magic), "magic.pcap");
    tmp_path(empty, sizeof(empty), "empty.pcap");
    tmp_path(missing, sizeof(missing), "missing.pcap");
    int64_t t[] = {1, 2, 3};
    write_pcap(good, 3, t, NULL, NULL);
    write_pcap(cut, 3, t, NULL, NULL);
    /* cut the third record in half: 24 + 2*76 + 16 + 30 bytes remain */
    assert_int_equal(truncate(cut, 24 + 2 * 76 + 16 + 30), 0);
    FILE *f = fopen(magic, "w");
    assert_non_null(f);
    fputs("this is no pcap file at all, just words", f);
    fclose(f);
    f = fopen(empty, "w");
    assert_non_null(f);
    fclose(f);

    struct capture_source *s = open1(cut, NULL);
    assert_non_null(s);
    assert_int_equal(count_all(s), 2); /* the packets before the damage */
    assert_int_equal(capture_damaged(s), 1);
    assert_non_null(strstr(capture_error(s), "truncated record at byte offset 176"));
    assert_non_null(strstr(capture_error(s), cut));
    capture_close(s);

    const char *paths[4] = {good, cut, magic, empty};
    char err[512];
    s = capture_open_files(paths, 4, NULL, err, sizeof(err));
    assert_non_null(s);
    assert_int_equal(count_all(s), 5); /* the other inputs go on */
    assert_int_equal(capture_damaged(s), 3);
    assert_non_null(strstr(s->damage_log, "bad magic"));
    assert_non_null(strstr(s->damage_log, "empty file"));
    capture_close(s);

    s = open1(missing, NULL);
    assert_null(s); /* unreadable: an error, not damage */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_merge_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_origin_offset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_directory_and_glob, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bpf, setup, teardown),
        cmocka_unit_test_setup_teardown(test_damaged, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
