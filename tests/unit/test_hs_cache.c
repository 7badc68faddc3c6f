/*
 * test_hs_cache.c - the compiled Vectorscan database cache
 * (src/detect/hs_cache.c): a miss compiles and stores, a hit reads back a
 * database that matches as the compiled one does, bad files (corrupt,
 * truncated, foreign, another key's) are ignored, counted and replaced,
 * the key follows every input, the cache off writes nothing, and an
 * engine built twice from the same rules reads every database the second
 * time while a changed rule misses only its own.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "detect/engine.h"
#include "detect/hs_cache.h"

static char dir[256];

static int setup(void **st)
{
    (void)st;
    const char *t = getenv("TMPDIR");
    snprintf(dir, sizeof(dir), "%s/vigil-hs-cache.XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(dir))
        return -1;
    hs_cache_configure(dir, NULL);
    struct hs_cache_stats s;
    hs_cache_stats_take(&s);
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    hs_cache_configure(NULL, NULL);
    return system(cmd) == 0 ? 0 : -1;
}

static const char *const pats[] = {"\\x61\\x62\\x63", "\\x78\\x79", "\\x51\\x52\\x53\\x54"};
static const unsigned flags[] = {HS_FLAG_SINGLEMATCH, HS_FLAG_SINGLEMATCH | HS_FLAG_CASELESS,
                                 HS_FLAG_SINGLEMATCH};
static const unsigned ids[] = {7, 8, 9};

static hs_database_t *build(struct hs_cache_stats *s)
{
    hs_database_t *db = NULL;
    hs_compile_error_t *ce = NULL;
    assert_int_equal(det_hs_compile_multi(pats, flags, ids, 3, HS_MODE_BLOCK, &db, &ce),
                     HS_SUCCESS);
    assert_non_null(db);
    hs_cache_stats_take(s);
    return db;
}

static int on_match(unsigned id, unsigned long long from, unsigned long long to, unsigned fl,
                    void *ctx)
{
    (void)from, (void)to, (void)fl;
    *(unsigned *)ctx |= 1u << (id - 7);
    return 0;
}

/* Which of the ids 7, 8, 9 the database finds in s (bit 0 is id 7). */
static unsigned scan(const hs_database_t *db, const char *s)
{
    hs_scratch_t *sc = NULL;
    unsigned seen = 0;
    assert_int_equal(hs_alloc_scratch(db, &sc), HS_SUCCESS);
    assert_int_equal(hs_scan(db, s, (unsigned)strlen(s), 0, sc, on_match, &seen), HS_SUCCESS);
    hs_free_scratch(sc);
    return seen;
}

static void path_of(char *p, size_t n)
{
    char name[68];
    hs_cache_file_name(pats, flags, ids, NULL, 3, HS_MODE_BLOCK, name);
    snprintf(p, n, "%s/%s", dir, name);
}

static void test_miss_then_hit(void **st)
{
    (void)st;
    struct hs_cache_stats s;
    char p[400];
    path_of(p, sizeof(p));
    hs_database_t *db = build(&s);
    assert_int_equal(s.dbs, 1);
    assert_int_equal(s.loaded, 0);
    assert_int_equal(s.stored, 1);
    assert_int_equal(access(p, R_OK), 0);
    assert_int_equal(scan(db, "--abc--XY--"), 3);
    hs_free_database(db);
    db = build(&s);
    assert_int_equal(s.loaded, 1);
    assert_int_equal(s.stored, 0);
    assert_int_equal(s.bad, 0);
    /* the cached database matches as compiled: abc, xy caseless, not QRS */
    assert_int_equal(scan(db, "--abc--XY--"), 3);
    assert_int_equal(scan(db, "QRST"), 4);
    assert_int_equal(scan(db, "ab c x y QRS"), 0);
    hs_free_database(db);
}

/* Rewrite the cached file: keep its first keep bytes, then add tail. */
static void rewrite(const char *p, long keep, const char *tail, long flip)
{
    FILE *f = fopen(p, "rb");
    assert_non_null(f);
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    if (keep >= 0 && (size_t)keep < n)
        n = (size_t)keep;
    if (flip >= 0 && (size_t)flip < n)
        buf[flip] ^= 0x20;
    f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, n, f), n);
    if (tail)
        fputs(tail, f);
    fclose(f);
}

static void expect_bad_then_good(const char *p)
{
    struct hs_cache_stats s;
    hs_database_t *db = build(&s);
    assert_int_equal(s.loaded, 0);
    assert_int_equal(s.bad, 1);
    assert_int_equal(s.stored, 1); /* rebuilt and replaced */
    assert_int_equal(scan(db, "abc xy QRST"), 7);
    hs_free_database(db);
    db = build(&s);
    assert_int_equal(s.loaded, 1);
    assert_int_equal(s.bad, 0);
    assert_int_equal(scan(db, "abc xy QRST"), 7);
    hs_free_database(db);
    (void)p;
}

static void test_bad_files_ignored(void **st)
{
    (void)st;
    struct hs_cache_stats s;
    char p[400];
    path_of(p, sizeof(p));
    hs_free_database(build(&s)); /* stored */
    struct stat sb;
    assert_int_equal(stat(p, &sb), 0);
    rewrite(p, -1, NULL, sb.st_size - 10); /* a payload byte */
    expect_bad_then_good(p);
    rewrite(p, sb.st_size / 2, NULL, -1); /* truncated */
    expect_bad_then_good(p);
    rewrite(p, 30, NULL, -1); /* shorter than the header */
    expect_bad_then_good(p);
    rewrite(p, -1, "trailing", -1); /* longer than it says */
    expect_bad_then_good(p);
    rewrite(p, -1, NULL, 20); /* the key in the header */
    expect_bad_then_good(p);
    rewrite(p, 0, "not a vigil cache file at all, but long enough to have a header of eighty "
                  "bytes and then some more bytes", -1);
    expect_bad_then_good(p);
}

static void test_key_follows_inputs(void **st)
{
    (void)st;
    char a[68], b[68];
    const char *const p2[] = {"\\x61\\x62\\x64", "\\x78\\x79", "\\x51\\x52\\x53\\x54"};
    const unsigned f2[] = {HS_FLAG_SINGLEMATCH, HS_FLAG_SINGLEMATCH, HS_FLAG_SINGLEMATCH};
    const unsigned i2[] = {7, 8, 10};
    const size_t lens[] = {12, 8, 16};
    hs_cache_file_name(pats, flags, ids, NULL, 3, HS_MODE_BLOCK, a);
    hs_cache_file_name(pats, flags, ids, NULL, 3, HS_MODE_BLOCK, b);
    assert_string_equal(a, b);
    assert_int_equal(strlen(a), 67);
    hs_cache_file_name(p2, flags, ids, NULL, 3, HS_MODE_BLOCK, b); /* a pattern */
    assert_string_not_equal(a, b);
    hs_cache_file_name(pats, f2, ids, NULL, 3, HS_MODE_BLOCK, b); /* a flag */
    assert_string_not_equal(a, b);
    hs_cache_file_name(pats, flags, i2, NULL, 3, HS_MODE_BLOCK, b); /* an id */
    assert_string_not_equal(a, b);
    hs_cache_file_name(pats, flags, ids, NULL, 2, HS_MODE_BLOCK, b); /* one fewer */
    assert_string_not_equal(a, b);
    hs_cache_file_name(pats, flags, ids, lens, 3, HS_MODE_BLOCK, b); /* the literal API */
    assert_string_not_equal(a, b);
    hs_cache_file_name(pats, flags, ids, NULL, 3, HS_MODE_STREAM, b); /* the mode */
    assert_string_not_equal(a, b);
}

static void test_off_writes_nothing(void **st)
{
    (void)st;
    struct hs_cache_stats s;
    char p[400];
    path_of(p, sizeof(p));
    hs_cache_configure(NULL, NULL);
    assert_null(hs_cache_dir());
    hs_database_t *db = build(&s);
    assert_int_equal(s.dbs, 1);
    assert_int_equal(s.loaded + s.stored + s.bad, 0);
    assert_int_equal(scan(db, "abc"), 1);
    hs_free_database(db);
    assert_int_not_equal(access(p, F_OK), 0);
    hs_cache_configure(dir, NULL);
}

static void test_default_dir(void **st)
{
    (void)st;
    char b[256];
    setenv("XDG_CACHE_HOME", "/x/cache", 1);
    assert_int_equal(hs_cache_default_dir(b, sizeof(b)), 0);
    assert_string_equal(b, "/x/cache/vigil/hs");
    setenv("XDG_CACHE_HOME", "relative", 1); /* not absolute: ignored (XDG) */
    setenv("HOME", "/home/u", 1);
    assert_int_equal(hs_cache_default_dir(b, sizeof(b)), 0);
    assert_string_equal(b, "/home/u/.cache/vigil/hs");
    unsetenv("XDG_CACHE_HOME");
    unsetenv("HOME");
    assert_int_equal(hs_cache_default_dir(b, sizeof(b)), -1);
}

/* Build an engine over text; the cache's counts of the build. */
static void engine_build(const char *text, struct hs_cache_stats *s)
{
    struct ruleset rs;
    char err[256];
    assert_int_equal(ruleset_init(&rs), 0);
    ruleset_load_text(&rs, "test", text, strlen(text));
    assert_int_equal(rs.n_errors, 0);
    hs_cache_stats_take(s);
    struct detect_engine *e = detect_engine_new(&rs, NULL, NULL, NULL, err, sizeof(err));
    assert_non_null(e);
    hs_cache_stats_take(s);
    detect_engine_free(e);
    ruleset_free(&rs);
}

static void test_engine_warm_and_changed(void **st)
{
    (void)st;
    static const char rules[] =
        "alert tcp any any -> any any (msg:\"a\"; content:\"evil-one\"; sid:1;)\n"
        "alert udp any any -> any 53 (msg:\"b\"; content:\"evil-two\"; sid:2;)\n"
        "alert http any any -> any any (msg:\"c\"; http.uri; content:\"/bad\"; sid:3;)\n";
    static const char changed[] =
        "alert tcp any any -> any any (msg:\"a\"; content:\"evil-one\"; sid:1;)\n"
        "alert udp any any -> any 53 (msg:\"b\"; content:\"evil-2\"; sid:2;)\n"
        "alert http any any -> any any (msg:\"c\"; http.uri; content:\"/bad\"; sid:3;)\n";
    struct hs_cache_stats s;
    engine_build(rules, &s);
    assert_true(s.dbs >= 3); /* tcp, udp, http uri and the stream database */
    assert_int_equal(s.loaded, 0);
    assert_int_equal(s.stored, s.dbs);
    unsigned dbs = s.dbs;
    engine_build(rules, &s);
    assert_int_equal(s.dbs, dbs);
    assert_int_equal(s.loaded, dbs);
    engine_build(changed, &s); /* only the udp group's database changed */
    assert_int_equal(s.dbs, dbs);
    assert_int_equal(s.loaded, dbs - 1);
    assert_int_equal(s.stored, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_miss_then_hit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_files_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_follows_inputs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_off_writes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_engine_warm_and_changed, setup, teardown),
        cmocka_unit_test(test_default_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
