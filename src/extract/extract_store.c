/*
 * extract_store.c - hashing and storing the bytes of one extracted file
 * with as little work per byte as the outputs allow (extract_store.h).
 *
 * Per byte: one SHA-256 update and a copy into the file's memory buffer.
 * MD5 and SHA-1 run once per distinct content, at the end, over the
 * buffer (or come from the SHA-256 -> MD5, SHA-1 cache: a SHA-256 seen
 * before is the same content); the buffer is written to the store only
 * when DIR/<sha256> does not exist.  A file that outgrows the memory
 * budget falls back to streaming: MD5 and SHA-1 catch up over the buffer,
 * the buffer goes to DIR/.tmp-<fuid> and the rest follows it there.
 *
 *   open ─► data (SHA-256, buffer) ─► close: cache hit? ─► MD5/SHA-1 from cache
 *             │  outgrows memory / size cut               else hash the buffer
 *             ▼                                      ─► DIR/<sha256> exists? drop
 *           streaming: MD5+SHA-1+SHA-256, .tmp file        else write, rename
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "extract/extract_store.h"

#define XS_POOL_MAX 64

struct xs_entry {
    uint8_t sha256[32], md5[16], sha1[20];
    bool used;
};

static EVP_MD *xs_md5, *xs_sha1, *xs_sha256;
static EVP_MD_CTX *xs_pool[XS_POOL_MAX];
static size_t xs_pool_n;
static size_t xs_kept;          /* bytes of buffers allocated, all files */
static size_t xs_keep_file = EXTRACT_KEEP_FILE, xs_keep_total = EXTRACT_KEEP_TOTAL;
static uint64_t xs_errors;
static struct xs_entry *xs_cache;
static size_t xs_cache_used;

void extract_hex(const uint8_t *md, unsigned n, char *out)
{
    static const char hx[] = "0123456789abcdef";
    for (unsigned i = 0; i < n; i++) {
        out[2 * i] = hx[md[i] >> 4];
        out[2 * i + 1] = hx[md[i] & 15];
    }
    out[2 * n] = '\0';
}

int extract_store_init(void)
{
    /* VIGIL_EXTRACT_MEMORY=BYTES: the memory budget (docs/extract.md) */
    const char *env = getenv("VIGIL_EXTRACT_MEMORY");
    char *end;
    unsigned long long v = env ? strtoull(env, &end, 0) : 0;
    xs_keep_total = env && *end == '\0' && v > 0 ? (size_t)v : EXTRACT_KEEP_TOTAL;
    xs_keep_file = xs_keep_total < EXTRACT_KEEP_FILE ? xs_keep_total : EXTRACT_KEEP_FILE;
    if (!xs_md5)
        xs_md5 = EVP_MD_fetch(NULL, "MD5", NULL);
    if (!xs_sha1)
        xs_sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
    if (!xs_sha256)
        xs_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    free(xs_cache);
    xs_cache = calloc(EXTRACT_DIGEST_CACHE, sizeof(*xs_cache));
    xs_cache_used = 0;
    xs_errors = 0;
    return xs_md5 && xs_sha1 && xs_sha256 && xs_cache ? 0 : -1;
}

void extract_store_fini(void)
{
    while (xs_pool_n > 0)
        EVP_MD_CTX_free(xs_pool[--xs_pool_n]);
    free(xs_cache);
    xs_cache = NULL;
}

uint64_t extract_store_errors(void)
{
    return xs_errors;
}

/* ---- digest contexts, reused ---- */

static EVP_MD_CTX *xs_ctx_get(const EVP_MD *md)
{
    EVP_MD_CTX *c = xs_pool_n ? xs_pool[--xs_pool_n] : EVP_MD_CTX_new();
    if (c && md && !EVP_DigestInit_ex2(c, md, NULL)) {
        EVP_MD_CTX_free(c);
        c = NULL;
    }
    return c;
}

static void xs_ctx_put(EVP_MD_CTX **c)
{
    if (!*c)
        return;
    if (xs_pool_n < XS_POOL_MAX)
        xs_pool[xs_pool_n++] = *c;
    else
        EVP_MD_CTX_free(*c);
    *c = NULL;
}

static EVP_MD_CTX *xs_ctx_dup(const EVP_MD_CTX *src)
{
    EVP_MD_CTX *c = xs_ctx_get(NULL);
    if (c && !EVP_MD_CTX_copy_ex(c, src))
        xs_ctx_put(&c);
    return c;
}

/* ---- SHA-256 -> MD5, SHA-1 ---- */

static struct xs_entry *xs_cache_slot(const uint8_t sha256[32], bool *found)
{
    uint64_t h;
    memcpy(&h, sha256, sizeof(h));
    *found = false;
    if (!xs_cache)
        return NULL;
    for (size_t i = 0; i < EXTRACT_DIGEST_CACHE; i++) {
        struct xs_entry *e = &xs_cache[(h + i) % EXTRACT_DIGEST_CACHE];
        if (!e->used)
            return e;
        if (memcmp(e->sha256, sha256, 32) == 0) {
            *found = true;
            return e;
        }
    }
    return NULL;
}

static void xs_cache_put(const uint8_t sha256[32], const uint8_t md5[16], const uint8_t sha1[20])
{
    bool found;
    if (xs_cache && xs_cache_used >= EXTRACT_DIGEST_CACHE * 3 / 4) {
        memset(xs_cache, 0, EXTRACT_DIGEST_CACHE * sizeof(*xs_cache));
        xs_cache_used = 0;
    }
    struct xs_entry *e = xs_cache_slot(sha256, &found);
    if (!e || found)
        return;
    memcpy(e->sha256, sha256, 32);
    memcpy(e->md5, md5, 16);
    memcpy(e->sha1, sha1, 20);
    e->used = true;
    xs_cache_used++;
}

/* ---- the kept bytes ---- */

int extract_store_open(struct extract_store *s, const char *dir, const char *fuid)
{
    memset(s, 0, sizeof(*s));
    s->sha256 = xs_ctx_get(xs_sha256 ? xs_sha256 : EVP_sha256());
    if (!s->sha256)
        return -1;
    s->deferred = true;
    s->keeping = true;
    s->to_disk = dir != NULL;
    if (dir)
        snprintf(s->tmp_path, sizeof(s->tmp_path), "%s/.tmp-%s", dir, fuid);
    return 0;
}

/* MD5 and SHA-1 from here on: caught up over the buffer (the content so far). */
static void xs_undefer(struct extract_store *s)
{
    if (!s->deferred)
        return;
    s->deferred = false;
    if (!s->sha256)
        return;
    s->md5 = xs_ctx_get(xs_md5 ? xs_md5 : EVP_md5());
    s->sha1 = xs_ctx_get(xs_sha1 ? xs_sha1 : EVP_sha1());
    if (s->md5 && s->sha1 && s->len) {
        EVP_DigestUpdate(s->md5, s->buf, s->len);
        EVP_DigestUpdate(s->sha1, s->buf, s->len);
    }
}

static void xs_buf_free(struct extract_store *s)
{
    free(s->buf);
    xs_kept -= s->cap;
    s->buf = NULL;
    s->cap = s->len = 0;
}

/* Nothing is kept any more (no store, or it failed): hashes stream. */
static void xs_keep_drop(struct extract_store *s)
{
    xs_undefer(s);
    xs_buf_free(s);
    if (s->tmp) {
        fclose(s->tmp);
        unlink(s->tmp_path);
        s->tmp = NULL;
    }
    s->keeping = false;
}

static void xs_keep_fail(struct extract_store *s)
{
    xs_errors++;
    xs_keep_drop(s);
}

/* The buffer outgrew memory: stream to DIR/.tmp-<fuid> from now on. */
static void xs_spill(struct extract_store *s)
{
    xs_undefer(s);
    if (!s->to_disk) {
        xs_keep_drop(s);
        return;
    }
    s->tmp = fopen(s->tmp_path, "wb");
    if (!s->tmp || (s->len && fwrite(s->buf, 1, s->len, s->tmp) != s->len)) {
        xs_keep_fail(s);
        return;
    }
    xs_buf_free(s);
}

/* Room in the buffer for n more bytes; false: it went to disk (or nowhere). */
static bool xs_buf_room(struct extract_store *s, size_t n)
{
    size_t need = s->len + n;
    if (s->tmp || need < s->len)
        return false;
    if (need <= s->cap)
        return true;
    size_t cap = s->cap ? s->cap : 64 * 1024;
    while (cap < need && cap < xs_keep_file)
        cap *= 2;
    uint8_t *b = NULL;
    if (need <= cap && cap <= xs_keep_file && xs_kept - s->cap + cap <= xs_keep_total)
        b = realloc(s->buf, cap);
    if (!b) {
        xs_spill(s);
        return false;
    }
    xs_kept += cap - s->cap;
    s->buf = b;
    s->cap = cap;
    return true;
}

static void xs_keep(struct extract_store *s, const uint8_t *p, size_t n)
{
    if (!s->keeping || n == 0)
        return;
    if (xs_buf_room(s, n)) {
        memcpy(s->buf + s->len, p, n);
        s->len += n;
    } else if (s->tmp && fwrite(p, 1, n, s->tmp) != n) {
        xs_keep_fail(s);
    }
}

static void xs_keep_zeros(struct extract_store *s, size_t n)
{
    static const uint8_t zeros[4096];
    if (!s->keeping || n == 0)
        return;
    if (xs_buf_room(s, n)) {
        memset(s->buf + s->len, 0, n);
        s->len += n;
        return;
    }
    for (size_t k; n > 0 && s->tmp; n -= k) {
        k = n > sizeof(zeros) ? sizeof(zeros) : n;
        if (fwrite(zeros, 1, k, s->tmp) != k)
            xs_keep_fail(s);
    }
}

static void xs_hash(struct extract_store *s, const uint8_t *p, size_t n)
{
    if (s->sha256)
        EVP_DigestUpdate(s->sha256, p, n);
    if (s->md5 && s->sha1) {
        EVP_DigestUpdate(s->md5, p, n);
        EVP_DigestUpdate(s->sha1, p, n);
    }
}

void extract_store_data(struct extract_store *s, const uint8_t *p, size_t n, uint64_t max_size)
{
    uint64_t room = max_size > s->stored ? max_size - s->stored : 0;
    size_t k = n > room ? (size_t)room : n;
    if (k > 0) {
        xs_keep(s, p, k); /* first: a spill catches MD5/SHA-1 up to before p */
        xs_hash(s, p, k);
        if (s->store_md)
            EVP_DigestUpdate(s->store_md, p, k);
        s->stored += k;
    }
    if (k == n)
        return;
    /* the size limit: the store ends here, the content hashes go on */
    if (s->to_disk && s->keeping) {
        s->cut += n - k;
        if (!s->store_md && s->sha256)
            s->store_md = xs_ctx_dup(s->sha256);
    }
    xs_undefer(s);
    if (!s->to_disk)
        xs_keep_drop(s);
    xs_hash(s, p + k, n - k);
}

void extract_store_gap(struct extract_store *s, uint64_t n, uint64_t max_size)
{
    if (s->sha256) { /* Zeek's Hash::Undelivered: the hash analyzers end */
        if (s->to_disk && s->keeping && !s->store_md)
            s->store_md = xs_ctx_dup(s->sha256);
        xs_ctx_put(&s->sha256);
        xs_ctx_put(&s->md5);
        xs_ctx_put(&s->sha1);
    }
    s->deferred = false;
    if (!s->to_disk || !s->keeping) {
        if (s->keeping)
            xs_keep_drop(s);
        s->cut += n;
        return;
    }
    uint64_t room = max_size > s->stored ? max_size - s->stored : 0;
    uint64_t k = n > room ? room : n;
    for (uint64_t left = k; left > 0;) {
        static const uint8_t zeros[4096];
        size_t m = left > sizeof(zeros) ? sizeof(zeros) : (size_t)left;
        if (s->store_md)
            EVP_DigestUpdate(s->store_md, zeros, m);
        xs_keep_zeros(s, m);
        left -= m;
    }
    s->stored += k;
    s->cut += n - k;
}

void extract_store_digests(struct extract_store *s, struct extract_digests *d)
{
    uint8_t sha256[32], md5[16], sha1[20];
    unsigned n;
    d->ok = false;
    if (!s->sha256 || !EVP_DigestFinal_ex(s->sha256, sha256, &n) || n != 32)
        return;
    memcpy(s->content_sha256, sha256, 32);
    s->have_sha256 = true;
    extract_hex(sha256, 32, d->sha256);
    if (s->deferred) {
        bool found;
        struct xs_entry *e = xs_cache_slot(sha256, &found);
        if (found) {
            extract_hex(e->md5, 16, d->md5);
            extract_hex(e->sha1, 20, d->sha1);
            d->ok = true;
            return;
        }
        xs_undefer(s);
    }
    if (!s->md5 || !s->sha1 || !EVP_DigestFinal_ex(s->md5, md5, &n) || n != 16 ||
        !EVP_DigestFinal_ex(s->sha1, sha1, &n) || n != 20)
        return;
    xs_cache_put(sha256, md5, sha1);
    extract_hex(md5, 16, d->md5);
    extract_hex(sha1, 20, d->sha1);
    d->ok = true;
}

static bool xs_write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return false;
        p += k;
        n -= (size_t)k;
    }
    return true;
}

/* The kept bytes into DIR/.tmp-<fuid> (closed): false on an error. */
static bool xs_tmp_finish(struct extract_store *s)
{
    if (s->tmp) {
        bool ok = fclose(s->tmp) == 0;
        s->tmp = NULL;
        return ok;
    }
    int fd = open(s->tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0)
        return false;
    bool ok = xs_write_all(fd, s->buf, s->len);
    return close(fd) == 0 && ok;
}

bool extract_store_commit(struct extract_store *s, const char *dir, char name[65], bool *dedup)
{
    uint8_t md[32];
    unsigned n = 0;
    *dedup = false;
    if (!s->to_disk || !s->keeping || s->stored == 0)
        return false;
    if (s->store_md) {
        if (!EVP_DigestFinal_ex(s->store_md, md, &n) || n != 32)
            return false;
    } else if (s->have_sha256) {
        memcpy(md, s->content_sha256, 32);
    } else {
        return false;
    }
    extract_hex(md, 32, name);
    char path[4400];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    struct stat st;
    if (stat(path, &st) == 0) {
        *dedup = true;
        return true;
    }
    if (!xs_tmp_finish(s) || rename(s->tmp_path, path) < 0) {
        xs_errors++;
        unlink(s->tmp_path);
        return false;
    }
    return true;
}

void extract_store_free(struct extract_store *s)
{
    xs_ctx_put(&s->sha256);
    xs_ctx_put(&s->md5);
    xs_ctx_put(&s->sha1);
    xs_ctx_put(&s->store_md);
    xs_buf_free(s);
    if (s->tmp) {
        fclose(s->tmp);
        unlink(s->tmp_path);
        s->tmp = NULL;
    }
}
