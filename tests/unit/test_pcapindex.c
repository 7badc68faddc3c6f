/*
 * test_pcapindex.c - the .idx v2 format (store/pcapindex.h): round trip
 * of a builder through the file, the binary searches at their edges (first
 * and last uid, before the first, after the last, between two, page
 * boundaries, a host whose sessions span several pages), host/port/5-tuple
 * selection through the secondary tables, and damage: a bad header or
 * fence makes pcapindex_open rebuild from the packets, a bad directory
 * page or block is reported by pcapindex_damaged and a forced rebuild
 * gives the same answers.
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

#include "store/pcapindex.h"

#define SEC 1000000000LL
#define T0 (1800000000LL * SEC)

static char tmpdir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "%s/pcapindex.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR")
                                                                             : "/tmp");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[512];
    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Synthetic session i: uid "C" + 4 digits (i*2, so odd numbers fall
 * between), 10.0.<i/256>.<i%256> -> 192.168.1.1 (the shared host: its run
 * spans many pages), UDP port 1000+i -> 53. */
static void synth_ref(int i, struct pcapindex_ref *r, char *uid)
{
    snprintf(uid, 24, "C%04d", i * 2);
    r->uid = uid;
    memset(&r->key, 0, sizeof(r->key));
    r->key.proto = 17;
    r->key.family = 4;
    r->key.a[0] = 10;
    r->key.a[2] = (uint8_t)(i / 256);
    r->key.a[3] = (uint8_t)(i % 256);
    r->key.b[0] = 192;
    r->key.b[1] = 168;
    r->key.b[2] = 1;
    r->key.b[3] = 1;
    r->key.port_a = (uint16_t)(1000 + i);
    r->key.port_b = 53;
}

/* n sessions; session i gets i % 5 + 1 packets at offsets 24 + 100 * k
 * (k = packet number in the file), every third packet also in session 0
 * (as a tunnel would). */
static void synth_index(const char *pcap, int n, bool compress)
{
    char idx[512], err[256], uid[24], uid0[24];
    struct pcapindex_builder *b = pcapindex_builder_new(1, T0, "t", false);
    assert_non_null(b);
    uint64_t k = 0;
    for (int round = 0; round < 5; round++)
        for (int i = 0; i < n; i++) {
            if (round > i % 5)
                continue;
            struct pcapindex_ref r[2];
            synth_ref(0, &r[0], uid0);
            synth_ref(i, &r[1], uid);
            int nr = k % 3 == 0 && i ? 2 : 1;
            assert_int_equal(pcapindex_builder_add(b, 24 + 100 * k, T0 + (int64_t)k * 1000,
                                                   nr == 2 ? r : r + 1, nr), 0);
            k++;
        }
    snprintf(idx, sizeof(idx), "%s.idx", pcap);
    assert_int_equal(pcapindex_builder_write(b, idx, 24 + 100 * k, compress, NULL, err,
                                             sizeof(err)), 0);
    pcapindex_builder_free(b);
}

static struct pcapindex *open_ok(const char *pcap)
{
    struct pcapindex *ix;
    char err[256];
    assert_int_equal(pcapindex_open(pcap, NULL, &ix, err, sizeof(err)), 0);
    return ix;
}

static void check_sessions(struct pcapindex *ix, int n)
{
    char uid[24];
    assert_int_equal(pcapindex_session_count(ix), (size_t)n);
    for (int i = 0; i < n; i++) {
        snprintf(uid, sizeof(uid), "C%04d", i * 2);
        const struct pcapindex_session *s = pcapindex_find_uid(ix, uid);
        assert_non_null(s);
        assert_string_equal(s->uid, uid);
        assert_int_equal(s->key.port_a, 1000 + i);
        if (i)
            assert_int_equal(s->n_pkts, (uint32_t)(i % 5 + 1));
        for (uint32_t p = 1; p < s->n_pkts; p++)
            assert_true(s->pkts[p].offset > s->pkts[p - 1].offset);
        assert_true(s->pkts[0].ts_ns >= T0);
        snprintf(uid, sizeof(uid), "C%04d", i * 2 + 1); /* between two uids */
        assert_null(pcapindex_find_uid(ix, uid));
    }
    assert_null(pcapindex_find_uid(ix, "A"));      /* before the first */
    assert_null(pcapindex_find_uid(ix, "C"));      /* a prefix of all */
    assert_null(pcapindex_find_uid(ix, "D0000"));  /* after the last */
    assert_null(pcapindex_find_uid(ix, ""));
    assert_false(pcapindex_damaged(ix));
    assert_int_equal(pcapindex_verify(ix), 0);
}

/* Sizes around the 64-entry page: empty, one, a page, a page and one,
 * many pages; raw and compressed blocks. */
static void test_round_trip(void **state)
{
    static const int sizes[] = {0, 1, 2, 63, 64, 65, 128, 129, 1000};
    char pcap[512];
    (void)state;
    for (size_t z = 0; z < sizeof(sizes) / sizeof(sizes[0]); z++)
        for (int c = 0; c < 2; c++) {
            snprintf(pcap, sizeof(pcap), "%s/rt%zu_%d.pcap", tmpdir, z, c);
            synth_index(pcap, sizes[z], c);
            struct pcapindex *ix = open_ok(pcap);
            struct pcapindex_info info;
            pcapindex_get_info(ix, &info);
            assert_false(info.rebuilt);
            assert_int_equal(info.sessions, (uint64_t)sizes[z]);
            check_sessions(ix, sizes[z]);
            pcapindex_free(ix);
        }
}

static void test_select_tables(void **state)
{
    char pcap[512];
    (void)state;
    snprintf(pcap, sizeof(pcap), "%s/sel.pcap", tmpdir);
    synth_index(pcap, 1000, true);
    struct pcapindex *ix = open_ok(pcap);
    struct pcapindex_match m;
    struct pcapindex_pkt *p;
    size_t n, nu;
    const char **uids;
    /* the shared host: every session (its run covers ~16 pages) */
    memset(&m, 0, sizeof(m));
    m.has_host = true;
    m.host_family = 4;
    memcpy(m.host, (const uint8_t[]){192, 168, 1, 1}, 4);
    assert_int_equal(pcapindex_select(ix, &m, &p, &n, &uids, &nu), 0);
    assert_int_equal(nu, 1000);
    for (size_t i = 1; i < n; i++)
        assert_true(p[i].offset > p[i - 1].offset); /* file order, de-duplicated */
    free(p);
    free(uids);
    /* one host of one session: 10.0.3.231 = session 999 */
    memcpy(m.host, (const uint8_t[]){10, 0, 3, 231}, 4);
    assert_int_equal(pcapindex_select(ix, &m, &p, &n, &uids, &nu), 0);
    assert_int_equal(nu, 1);
    assert_string_equal(uids[0], "C1998");
    assert_int_equal(n, 999 % 5 + 1);
    free(p);
    free(uids);
    /* a host no session has, below and above every key */
    memcpy(m.host, (const uint8_t[]){1, 1, 1, 1}, 4);
    assert_int_equal(pcapindex_select(ix, &m, &p, &n, NULL, NULL), 0);
    assert_int_equal(n, 0);
    free(p);
    memcpy(m.host, (const uint8_t[]){255, 1, 1, 1}, 4);
    assert_int_equal(pcapindex_select(ix, &m, &p, &n, NULL, NULL), 0);
    assert_int_equal(n, 0);
    free(p);
    /* port only: 1500 is session 500's; 53 is everyone's */
    memset(&m, 0, sizeof(m));
    m.has_port = true;
    m.port = 1500;
    assert_int_equal(pcapindex_select(ix, &m, &p, &n, &uids, &nu), 0);
    assert_int_equal(nu, 1);
    assert_string_equal(uids[0], "C1000");
    free(p);
    free(uids);
    m.port = 53;
    assert_int_equal(pcapindex_select(ix, &m, &p, &n, &uids, &nu), 0);
    assert_int_equal(nu, 1000);
    free(p);
    free(uids);
    /* 5-tuple, reversed direction: udp 192.168.1.1:53 <-> 10.0.0.7:1007 */
    memset(&m, 0, sizeof(m));
    m.has_host = m.has_host2 = m.has_port = m.has_port2 = m.has_proto = true;
    m.host_family = m.host2_family = 4;
    memcpy(m.host, (const uint8_t[]){192, 168, 1, 1}, 4);
    memcpy(m.host2, (const uint8_t[]){10, 0, 0, 7}, 4);
    m.port = 53;
    m.port2 = 1007;
    m.proto = 17;
    assert_int_equal(pcapindex_select(ix, &m, &p, &n, &uids, &nu), 0);
    assert_int_equal(nu, 1);
    assert_string_equal(uids[0], "C0014");
    free(p);
    free(uids);
    m.proto = 6; /* wrong protocol */
    assert_int_equal(pcapindex_select(ix, &m, &p, &n, NULL, NULL), 0);
    assert_int_equal(n, 0);
    free(p);
    pcapindex_free(ix);
}

/* ---- damage: a real pcap, so that a rebuild has packets to read ---- */

static void put32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4);
}

/* 200 UDP packets in 40 sessions: Ethernet, IPv4 10.1.0.x -> 10.2.0.1,
 * UDP 2000+x -> 9999, 8 bytes of payload. */
static void write_pcap(const char *path)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    uint8_t fh[24] = {0};
    put32(fh, 0xa1b23c4d); /* nanosecond magic */
    fh[4] = 2;             /* version 2.4 */
    fh[6] = 4;
    put32(fh + 16, 262144);
    put32(fh + 20, 1); /* Ethernet */
    fwrite(fh, 1, sizeof(fh), f);
    for (int k = 0; k < 200; k++) {
        int x = k % 40;
        uint8_t pk[14 + 20 + 8 + 8] = {0};
        pk[12] = 0x08; /* ethertype IPv4 */
        uint8_t *ip = pk + 14;
        ip[0] = 0x45;
        ip[3] = 36; /* total length */
        ip[8] = 64;
        ip[9] = 17;
        memcpy(ip + 12, (const uint8_t[]){10, 1, 0, (uint8_t)x}, 4);
        memcpy(ip + 16, (const uint8_t[]){10, 2, 0, 1}, 4);
        uint32_t sum = 0;
        for (int i = 0; i < 20; i += 2)
            sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
        sum = (sum & 0xffff) + (sum >> 16);
        sum = (sum & 0xffff) + (sum >> 16);
        ip[10] = (uint8_t)(~sum >> 8);
        ip[11] = (uint8_t)~sum;
        uint8_t *udp = ip + 20;
        udp[0] = (uint8_t)((2000 + x) >> 8);
        udp[1] = (uint8_t)(2000 + x);
        udp[2] = 0x27; /* 9999 */
        udp[3] = 0x0f;
        udp[5] = 16; /* length */
        uint8_t rh[16];
        put32(rh, (uint32_t)(1800000000 + k / 10));
        put32(rh + 4, (uint32_t)(k % 10) * 1000);
        put32(rh + 8, sizeof(pk));
        put32(rh + 12, sizeof(pk));
        fwrite(rh, 1, sizeof(rh), f);
        fwrite(pk, 1, sizeof(pk), f);
    }
    fclose(f);
}

/* Flip one byte of the .idx at off. */
static void flip(const char *pcap, long off)
{
    char idx[512];
    snprintf(idx, sizeof(idx), "%s.idx", pcap);
    int fd = open(idx, O_RDWR);
    assert_true(fd >= 0);
    uint8_t c;
    assert_int_equal(pread(fd, &c, 1, off), 1);
    c ^= 0x5a;
    assert_int_equal(pwrite(fd, &c, 1, off), 1);
    close(fd);
}

static uint64_t le64_at(const char *pcap, long off)
{
    char idx[512];
    uint8_t b[8];
    snprintf(idx, sizeof(idx), "%s.idx", pcap);
    int fd = open(idx, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(pread(fd, b, 8, off), 8);
    close(fd);
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)b[i] << (8 * i);
    return v;
}

/* A fresh pcap with a written (rebuilt) .idx; the uid of its 10.1.0.17 session. */
static void damage_setup(const char *pcap, char *uid17)
{
    struct pcapindex_open_opts oo = {.sensor = "t", .write_rebuilt = true};
    struct pcapindex *ix;
    char err[256];
    write_pcap(pcap);
    assert_int_equal(pcapindex_open(pcap, &oo, &ix, err, sizeof(err)), 0);
    assert_int_equal(pcapindex_session_count(ix), 40);
    struct pcapindex_match m = {.has_host = true, .host_family = 4, .host = {10, 1, 0, 17}};
    struct pcapindex_pkt *p;
    size_t n, nu;
    const char **uids;
    assert_int_equal(pcapindex_select(ix, &m, &p, &n, &uids, &nu), 0);
    assert_int_equal(nu, 1);
    assert_int_equal(n, 5);
    snprintf(uid17, 24, "%s", uids[0]);
    free(p);
    free(uids);
    pcapindex_free(ix);
}

static void expect_uid(struct pcapindex *ix, const char *uid, bool rebuilt)
{
    struct pcapindex_info info;
    pcapindex_get_info(ix, &info);
    assert_int_equal(info.rebuilt, rebuilt);
    const struct pcapindex_session *s = pcapindex_find_uid(ix, uid);
    assert_non_null(s);
    assert_int_equal(s->n_pkts, 5);
    assert_int_equal(s->pkts[0].offset, 24 + 17 * (16 + 50));
}

static void test_damage(void **state)
{
    char pcap[512], uid[24], err[256];
    struct pcapindex *ix;
    (void)state;
    snprintf(pcap, sizeof(pcap), "%s/t.1800000000.pcap", tmpdir); /* sensor "t" */
    /* intact */
    damage_setup(pcap, uid);
    ix = open_ok(pcap);
    expect_uid(ix, uid, false);
    pcapindex_free(ix);
    /* header byte (first_ns): header CRC fails -> rebuilt from the packets */
    flip(pcap, 20);
    ix = open_ok(pcap);
    expect_uid(ix, uid, true);
    pcapindex_free(ix);
    /* a directory fence: fence CRC fails at open -> rebuilt */
    damage_setup(pcap, uid);
    uint64_t dir_off = le64_at(pcap, 64), dir_n = le64_at(pcap, 72);
    flip(pcap, (long)(dir_off + dir_n * 64 + 2));
    ix = open_ok(pcap);
    expect_uid(ix, uid, true);
    pcapindex_free(ix);
    /* a directory entry (a uid byte): the page CRC fails on lookup */
    damage_setup(pcap, uid);
    dir_off = le64_at(pcap, 64);
    flip(pcap, (long)(dir_off + 5));
    ix = open_ok(pcap);
    assert_null(pcapindex_find_uid(ix, uid));
    assert_true(pcapindex_damaged(ix));
    pcapindex_free(ix);
    struct pcapindex_open_opts oo = {.force_rebuild = true, .write_rebuilt = true};
    assert_int_equal(pcapindex_open(pcap, &oo, &ix, err, sizeof(err)), 0);
    expect_uid(ix, uid, true);
    pcapindex_free(ix);
    ix = open_ok(pcap); /* the rewritten .idx is whole again */
    expect_uid(ix, uid, false);
    assert_int_equal(pcapindex_verify(ix), 0);
    pcapindex_free(ix);
    /* a block byte: the block CRC fails; verify finds it */
    flip(pcap, (long)le64_at(pcap, 136) + 3);
    ix = open_ok(pcap);
    assert_int_equal(pcapindex_verify(ix), -1);
    assert_true(pcapindex_damaged(ix));
    pcapindex_free(ix);
    /* a version 1 file is not read: rebuilt */
    damage_setup(pcap, uid);
    flip(pcap, 8);
    ix = open_ok(pcap);
    expect_uid(ix, uid, true);
    pcapindex_free(ix);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_select_tables),
        cmocka_unit_test(test_damage),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
