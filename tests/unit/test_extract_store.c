/*
 * test_extract_store.c - hashing and storing of extracted files
 * (src/extract/extract_store.c): the digests of every path - a new
 * content, the same bytes again (the content cache), a content that
 * differs from a cached one only where the cache's key does not look, a
 * gap, a buffer sized from a Content-Length and outgrown, a file beyond the
 * memory budget - against OpenSSL's one-shot digests of the same bytes,
 * and the store: each content written once, named by its SHA-256.  A file
 * that starts as a cached content is compared with it instead of copied:
 * test_match drives it through every way out of that (the whole content,
 * a difference in the middle, ending early, running on, a gap, the size
 * limit, the memory budget, a store that lacks the file).
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
#include <openssl/evp.h>

#include "extract/extract_store.h"

/* OpenSSL's digest of p, hex. */
static void one_shot(const char *alg, const uint8_t *p, size_t n, char *out)
{
    uint8_t md[64];
    unsigned len = 0;
    assert_true(EVP_Digest(p, n, md, &len, EVP_get_digestbyname(alg), NULL));
    extract_hex(md, len, out);
}

static void expect_digests(const struct extract_digests *d, const uint8_t *p, size_t n)
{
    char want[129];
    assert_true(d->ok);
    one_shot("SHA256", p, n, want);
    assert_string_equal(d->sha256, want);
    one_shot("MD5", p, n, want);
    assert_string_equal(d->md5, want);
    one_shot("SHA1", p, n, want);
    assert_string_equal(d->sha1, want);
}

/* Feed p in chunks of step bytes (expect: a Content-Length hint, 0 none);
 * the digests in *d. */
static void run(const uint8_t *p, size_t n, size_t step, uint64_t expect,
                struct extract_digests *d)
{
    struct extract_store s;
    assert_int_equal(extract_store_open(&s, NULL, "Ftest"), 0);
    if (expect)
        extract_store_expect(&s, expect);
    for (size_t off = 0; off < n; off += step)
        extract_store_data(&s, p + off, n - off < step ? n - off : step, UINT64_MAX);
    extract_store_digests(&s, d);
    extract_store_free(&s);
}

static uint8_t *pattern(size_t n, unsigned seed)
{
    uint8_t *p = malloc(n);
    assert_non_null(p);
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(i * 31 + seed + (i >> 8));
    return p;
}

static void test_cache_exact(void **state)
{
    (void)state;
    assert_int_equal(extract_store_init(), 0);
    size_t n = 100000;
    uint8_t *a = pattern(n, 1);
    struct extract_digests d;
    run(a, n, 1460, 0, &d); /* new content */
    expect_digests(&d, a, n);
    run(a, n, 7, 0, &d);    /* the same bytes: from the content cache */
    expect_digests(&d, a, n);
    /* one byte changed where the cache's key samples nothing: same key,
     * different bytes - must get its own digests */
    a[9] ^= 0x5a;
    run(a, n, 4096, 0, &d);
    expect_digests(&d, a, n);
    a[9] ^= 0x5a;
    a[n - 100] ^= 1;
    run(a, n, 65536, 0, &d);
    expect_digests(&d, a, n);
    /* sizes on both sides of the key's 8-byte words */
    for (size_t k = 1; k < 40; k++) {
        run(a, k, 3, 0, &d);
        expect_digests(&d, a, k);
        run(a, k, 1, 0, &d);
        expect_digests(&d, a, k);
    }
    free(a);
    extract_store_fini();
}

static void test_expect_and_grow(void **state)
{
    (void)state;
    assert_int_equal(extract_store_init(), 0);
    size_t n = 300000;
    uint8_t *a = pattern(n, 7);
    struct extract_digests d;
    run(a, n, 1000, 1000, &d); /* a Content-Length that lies short: the buffer grows */
    expect_digests(&d, a, n);
    run(a, n / 2, 1000, n, &d); /* ... and one that lies long */
    expect_digests(&d, a, n / 2);
    run(a, n, 1000, n, &d);
    expect_digests(&d, a, n);
    free(a);
    extract_store_fini();
}

static void test_gap_and_budget(void **state)
{
    (void)state;
    assert_int_equal(extract_store_init(), 0);
    size_t n = 50000;
    uint8_t *a = pattern(n, 3);
    struct extract_digests d;
    run(a, n, 500, 0, &d);
    struct extract_store s;
    assert_int_equal(extract_store_open(&s, NULL, "Fgap"), 0);
    extract_store_data(&s, a, 1000, UINT64_MAX);
    extract_store_gap(&s, 10, UINT64_MAX);
    extract_store_data(&s, a + 1010, n - 1010, UINT64_MAX);
    extract_store_digests(&s, &d);
    assert_false(d.ok); /* a gap ends the hashes */
    extract_store_free(&s);
    /* a budget smaller than the file: streaming digests, the same values */
    setenv("VIGIL_EXTRACT_MEMORY", "4096", 1);
    assert_int_equal(extract_store_init(), 0);
    run(a, n, 1000, 0, &d);
    expect_digests(&d, a, n);
    run(a, n, 1000, n, &d);
    expect_digests(&d, a, n);
    unsetenv("VIGIL_EXTRACT_MEMORY");
    free(a);
    extract_store_fini();
}

/* Store two copies and a different content: two files on disk, each named
 * by the SHA-256 of its bytes, the second copy a dedup. */
static void test_commit(void **state)
{
    (void)state;
    char dir[] = "/tmp/vigil-xs-XXXXXX";
    assert_non_null(mkdtemp(dir));
    assert_int_equal(extract_store_init(), 0);
    size_t n = 20000;
    uint8_t *a = pattern(n, 5), *b = pattern(n, 6);
    const uint8_t *contents[3] = {a, a, b};
    bool want_dedup[3] = {false, true, false};
    char names[3][65];
    for (int i = 0; i < 3; i++) {
        struct extract_store s;
        struct extract_digests d;
        bool dedup;
        assert_int_equal(extract_store_open(&s, dir, i ? "F2" : "F1"), 0);
        extract_store_data(&s, contents[i], n, UINT64_MAX);
        extract_store_digests(&s, &d);
        expect_digests(&d, contents[i], n);
        assert_true(extract_store_commit(&s, dir, names[i], &dedup));
        assert_int_equal(dedup, want_dedup[i]);
        assert_string_equal(names[i], d.sha256);
        extract_store_free(&s);
    }
    char path[256];
    struct stat st;
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_size, (off_t)n);
    }
    for (int i = 0; i < 3; i += 2) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
    free(a);
    free(b);
    extract_store_fini();
}

/* Read a whole file (for comparing what was stored). */
static uint8_t *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    uint8_t *b = malloc(1 << 20);
    assert_non_null(b);
    *n = fread(b, 1, 1 << 20, f);
    fclose(f);
    return b;
}

/* Feed p in steps into a store under dir (NULL: hash only), max_size
 * max; the digests, and the stored file's name (if name) and dedup flag. */
static bool run_dir(const char *dir, const uint8_t *p, size_t n, size_t step, uint64_t expect,
                    uint64_t max, struct extract_digests *d, char name[65], bool *dedup)
{
    struct extract_store s;
    assert_int_equal(extract_store_open(&s, dir, "Fmatch"), 0);
    if (expect)
        extract_store_expect(&s, expect);
    for (size_t off = 0; off < n; off += step)
        extract_store_data(&s, p + off, n - off < step ? n - off : step, max);
    extract_store_digests(&s, d);
    bool ok = dir && extract_store_commit(&s, dir, name, dedup);
    extract_store_free(&s);
    return ok;
}

static void test_match(void **state)
{
    (void)state;
    assert_int_equal(extract_store_init(), 0);
    size_t n = 100000;
    uint8_t *a = pattern(n, 9), *b = malloc(n + 5000);
    assert_non_null(b);
    struct extract_digests d;
    run(a, n, 1460, 0, &d); /* cached from here on */
    expect_digests(&d, a, n);
    run(a, n, 1460, 0, &d); /* matched to the end */
    expect_digests(&d, a, n);
    run(a, n, 1460, n, &d); /* ... with its Content-Length */
    expect_digests(&d, a, n);
    run(a, n, 5, 0, &d);    /* first pieces under the prefix: copied, then matched */
    expect_digests(&d, a, n);
    memcpy(b, a, n);
    b[50000] ^= 1;          /* differs in the middle (inside a piece) */
    run(b, n, 1460, 0, &d);
    expect_digests(&d, b, n);
    b[50000] ^= 1;
    b[n - 1] ^= 1;          /* ... in its last byte */
    run(b, n, 1000, n, &d);
    expect_digests(&d, b, n);
    run(a, n / 3, 1460, 0, &d); /* ends early */
    expect_digests(&d, a, n / 3);
    memcpy(b, a, n);
    memset(b + n, 'x', 5000);
    run(b, n + 5000, 1460, 0, &d); /* runs on past it */
    expect_digests(&d, b, n + 5000);
    run(b, n + 5000, 1460, n + 5000, &d); /* a length no cached content has */
    expect_digests(&d, b, n + 5000);
    /* a gap while matching: no digests */
    struct extract_store s;
    assert_int_equal(extract_store_open(&s, NULL, "Fgap"), 0);
    extract_store_data(&s, a, 3000, UINT64_MAX);
    extract_store_gap(&s, 10, UINT64_MAX);
    extract_store_data(&s, a + 3010, n - 3010, UINT64_MAX);
    extract_store_digests(&s, &d);
    assert_false(d.ok);
    extract_store_free(&s);
    /* the store: the cached content is not on disk yet (hashed only so
     * far), so the matched file is written from the cache's bytes */
    char dir[] = "/tmp/vigil-xm-XXXXXX", name[65], path[256];
    assert_non_null(mkdtemp(dir));
    bool dedup;
    assert_true(run_dir(dir, a, n, 1460, 0, UINT64_MAX, &d, name, &dedup));
    expect_digests(&d, a, n);
    assert_false(dedup);
    assert_string_equal(name, d.sha256);
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    size_t got;
    uint8_t *back = slurp(path, &got);
    assert_int_equal(got, n);
    assert_memory_equal(back, a, n);
    free(back);
    assert_true(run_dir(dir, a, n, 1460, 0, UINT64_MAX, &d, name, &dedup));
    assert_true(dedup);
    unlink(path);
    /* the size limit while matching: the content's digests, the first
     * 5000 bytes stored under their own SHA-256 */
    assert_true(run_dir(dir, a, n, 1460, 0, 5000, &d, name, &dedup));
    expect_digests(&d, a, n);
    char want[65];
    one_shot("SHA256", a, 5000, want);
    assert_string_equal(name, want);
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    back = slurp(path, &got);
    assert_int_equal(got, 5000);
    assert_memory_equal(back, a, 5000);
    free(back);
    unlink(path);
    rmdir(dir);
    /* a memory budget the matched bytes do not fit in once they stop
     * matching: streaming digests from there */
    setenv("VIGIL_EXTRACT_MEMORY", "65536", 1);
    assert_int_equal(extract_store_init(), 0);
    run(a, 60000, 1460, 0, &d);
    run(a, 60000, 1460, 0, &d);
    expect_digests(&d, a, 60000);
    run(a, n, 1460, 0, &d);
    expect_digests(&d, a, n);
    unsetenv("VIGIL_EXTRACT_MEMORY");
    free(a);
    free(b);
    extract_store_fini();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cache_exact),
        cmocka_unit_test(test_expect_and_grow),
        cmocka_unit_test(test_gap_and_budget),
        cmocka_unit_test(test_commit),
        cmocka_unit_test(test_match),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
