/*
 * extract_store.c - hashing and storing the bytes of one extracted file
 * with as little work per byte as the outputs allow (extract_store.h).
 *
 * Per byte: a copy into the file's memory buffer (power-of-two sizes,
 * reused from file to file) - or, for a file whose first XS_PREFIX bytes
 * are those of a content in the content cache (found by a key of those
 * bytes, and the length when a Content-Length gave it), a comparison with
 * that content's bytes as they stream: no copy unless they stop matching
 * (then the matched part is copied from the content and the file goes on
 * as any other), and at the end a file that matched all of it is that
 * content.
 * The digests run at the end, over the buffer, and only for a content not
 * seen before: a finished buffer equal byte for byte (memcmp) to a content
 * remembered in the content cache takes that content's SHA-256, MD5 and
 * SHA-1 (the same bytes have the same digests); else SHA-256 runs over it,
 * and MD5 and SHA-1 too unless the SHA-256 -> MD5, SHA-1 cache knows them;
 * the content is then remembered (a copy, up to XS_CONTENT_TOTAL bytes in
 * all).  The buffer is written to the store only when DIR/<sha256> does
 * not exist.  A file that outgrows the memory budget, is cut by the size
 * limit or has a gap falls back to streaming: the digests catch up over
 * the buffer, the buffer goes to DIR/.tmp-<fuid> and the rest follows it.
 *
 *   open ─► data (buffer) ─► close: same bytes cached? ─► its digests
 *             │  outgrows memory,      else SHA-256 (+ MD5/SHA-1 unless the
 *             │  size cut, gap          SHA-256 is cached) over the buffer
 *             ▼                      ─► DIR/<sha256> exists? drop
 *           streaming: MD5+SHA-1+SHA-256, .tmp file   else write, rename
 */
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "extract/extract_store.h"

#define XS_POOL_MAX 64
#define XS_CONTENT_BUCKETS 4096
#define XS_CONTENT_TOTAL (64u * 1024 * 1024) /* bytes of contents remembered */
#define XS_CLASS_MIN ((size_t)64 * 1024)       /* buffer sizes: 64 KiB .. 16 MiB */
#define XS_CLASSES 9
#define XS_IDLE_MAX ((size_t)48 * 1024 * 1024)  /* bytes of free buffers kept */
#define XS_PREFIX 64                           /* bytes that find a candidate content */

struct xs_idle {
    struct xs_idle *next;
};

struct xs_entry {
    uint8_t sha256[32], md5[16], sha1[20];
    bool used;
};

/* A content seen before, its bytes and digests (the content cache). */
struct xs_content {
    struct xs_content *next;
    struct xs_content *pnext;   /* chain of xs_prefix (contents of XS_PREFIX bytes or more) */
    uint64_t key;               /* xs_content_key */
    uint64_t pkey;              /* xs_prefix_key */
    size_t len;
    uint8_t *bytes;             /* the file's buffer, handed over when it is freed;
                                   NULL until then */
    bool on_disk;               /* DIR/<sha256> is there (stored or found this run) */
    uint8_t sha256[32], md5[16], sha1[20];
};

static EVP_MD *xs_md5, *xs_sha1, *xs_sha256;
static EVP_MD_CTX *xs_pool[XS_POOL_MAX];
static size_t xs_pool_n;
static size_t xs_kept;          /* bytes of buffers allocated, all files */
static size_t xs_keep_file = EXTRACT_KEEP_FILE, xs_keep_total = EXTRACT_KEEP_TOTAL;
static uint64_t xs_errors;
static struct xs_entry *xs_cache;
static size_t xs_cache_used;
static struct xs_idle *xs_idle[XS_CLASSES]; /* free buffers per size */
static size_t xs_idle_bytes;
static struct xs_content **xs_contents;  /* XS_CONTENT_BUCKETS chains */
static struct xs_content **xs_prefix;    /* ... and by their first XS_PREFIX bytes */
static size_t xs_contents_bytes;

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
    free(xs_cache); /* allocated by the first digest stored (4.5 MB a run with
                       only the rules' file tracking would zero for nothing) */
    xs_cache = NULL;
    xs_cache_used = 0;
    xs_errors = 0;
    if (!xs_contents)
        xs_contents = calloc(XS_CONTENT_BUCKETS, sizeof(*xs_contents));
    if (!xs_prefix)
        xs_prefix = calloc(XS_CONTENT_BUCKETS, sizeof(*xs_prefix));
    return xs_md5 && xs_sha1 && xs_sha256 && xs_contents && xs_prefix ? 0 : -1;
}

void extract_store_fini(void)
{
    while (xs_pool_n > 0)
        EVP_MD_CTX_free(xs_pool[--xs_pool_n]);
    free(xs_cache);
    xs_cache = NULL;
    for (size_t i = 0; xs_contents && i < XS_CONTENT_BUCKETS; i++)
        for (struct xs_content *c = xs_contents[i], *nx; c; c = nx) {
            nx = c->next;
            free(c->bytes);
            free(c);
        }
    free(xs_contents);
    xs_contents = NULL;
    free(xs_prefix);
    xs_prefix = NULL;
    xs_contents_bytes = 0;
    for (int c = 0; c < XS_CLASSES; c++)
        while (xs_idle[c]) {
            struct xs_idle *b = xs_idle[c];
            xs_idle[c] = b->next;
            free(b);
        }
    xs_idle_bytes = 0;
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
    if (!xs_cache && !(xs_cache = calloc(EXTRACT_DIGEST_CACHE, sizeof(*xs_cache))))
        return; /* out of memory: the digests are computed each time */
    if (xs_cache_used >= EXTRACT_DIGEST_CACHE * 3 / 4) {
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

/* ---- content -> all three digests (exact: compared byte for byte) ---- */

/* A cheap key: the length and 64-bit words from the head, the tail and 16
 * points in between.  Equal contents have equal keys; the converse is
 * checked with memcmp. */
static uint64_t xs_content_key(const uint8_t *p, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15ull ^ n, w;
    if (n < 8) {
        for (size_t i = 0; i < n; i++)
            h = (h ^ p[i]) * 0x100000001b3ull;
        return h;
    }
    for (size_t i = 0; i <= 17; i++) {
        size_t off = i == 17 ? n - 8 : (n - 8) / 17 * i;
        memcpy(&w, p + off, 8);
        h = (h ^ w) * 0x100000001b3ull;
        h ^= h >> 29;
    }
    return h;
}

/* The key of a content's first XS_PREFIX bytes. */
static uint64_t xs_prefix_key(const uint8_t *p)
{
    uint64_t h = 0xcbf29ce484222325ull, w;
    for (size_t i = 0; i < XS_PREFIX; i += 8) {
        memcpy(&w, p + i, 8);
        h = (h ^ w) * 0x100000001b3ull;
        h ^= h >> 29;
    }
    return h;
}

static struct xs_content *xs_content_find(const uint8_t *p, size_t n, uint64_t key)
{
    if (!xs_contents)
        return NULL;
    for (struct xs_content *c = xs_contents[key % XS_CONTENT_BUCKETS]; c; c = c->next)
        if (c->key == key && c->len == n && c->bytes && memcmp(c->bytes, p, n) == 0)
            return c;
    return NULL;
}

/* Remember a content and its digests (while the budget lasts); its bytes
 * come with xs_content_adopt when the file's buffer is freed. */
static struct xs_content *xs_content_put(const uint8_t *p, size_t n, uint64_t key,
                                         const uint8_t sha256[32], const uint8_t md5[16],
                                         const uint8_t sha1[20])
{
    if (!xs_contents || n == 0 || n > XS_CONTENT_TOTAL - xs_contents_bytes)
        return NULL;
    struct xs_content *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->key = key;
    c->len = n;
    memcpy(c->sha256, sha256, 32);
    memcpy(c->md5, md5, 16);
    memcpy(c->sha1, sha1, 20);
    c->next = xs_contents[key % XS_CONTENT_BUCKETS];
    xs_contents[key % XS_CONTENT_BUCKETS] = c;
    if (n >= XS_PREFIX) {
        c->pkey = xs_prefix_key(p);
        c->pnext = xs_prefix[c->pkey % XS_CONTENT_BUCKETS];
        xs_prefix[c->pkey % XS_CONTENT_BUCKETS] = c;
    }
    xs_contents_bytes += n;
    return c;
}

/* The finished file's buffer becomes its content's bytes (no copy). */
static void xs_content_adopt(struct extract_store *s)
{
    struct xs_content *c = s->content;
    if (!c || !s->content_new || c->bytes || !s->buf || s->len != c->len)
        return;
    uint8_t *b = s->cap > s->len ? realloc(s->buf, s->len) : s->buf;
    c->bytes = b ? b : s->buf;
    xs_kept -= s->cap;
    s->buf = NULL;
    s->cap = s->len = 0;
}

/* ---- the kept bytes ---- */

int extract_store_open(struct extract_store *s, const char *dir, const char *fuid)
{
    memset(s, 0, sizeof(*s));
    s->deferred = true;
    s->sha_deferred = true;
    s->keeping = true;
    s->to_disk = dir != NULL;
    if (dir)
        snprintf(s->tmp_path, sizeof(s->tmp_path), "%s/.tmp-%s", dir, fuid);
    return 0;
}

/* SHA-256 from here on: caught up over the buffer (the content so far). */
static void xs_unmatch(struct extract_store *s);

static void xs_undefer_sha256(struct extract_store *s)
{
    xs_unmatch(s); /* the buffer must hold the bytes */
    if (!s->sha_deferred)
        return;
    s->sha_deferred = false;
    s->sha256 = xs_ctx_get(xs_sha256 ? xs_sha256 : EVP_sha256());
    if (s->sha256 && s->len)
        EVP_DigestUpdate(s->sha256, s->buf, s->len);
}

/* All three digests from here on: caught up over the buffer. */
static void xs_undefer(struct extract_store *s)
{
    xs_undefer_sha256(s);
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

/* Buffers come in power-of-two sizes from 64 KiB (XS_CLASS_MIN) and go
 * back to a free list per size when a file ends (up to XS_IDLE_MAX bytes
 * idle), so that the next file writes into pages already mapped instead
 * of faulting fresh ones in (malloc hands large blocks back to the kernel). */
static size_t xs_class_size(size_t need)
{
    size_t cap = XS_CLASS_MIN;
    while (cap < need && cap < xs_keep_file)
        cap *= 2;
    if (cap > xs_keep_file && need <= xs_keep_file)
        cap = xs_keep_file; /* a budget that is no power of two: its own size */
    return cap;
}

static int xs_class_of(size_t cap)
{
    for (int c = 0; c < XS_CLASSES; c++)
        if ((XS_CLASS_MIN << c) == cap)
            return c;
    return -1;
}

static uint8_t *xs_alloc(size_t cap)
{
    int c = xs_class_of(cap);
    if (c >= 0 && xs_idle[c]) {
        struct xs_idle *b = xs_idle[c];
        xs_idle[c] = b->next;
        xs_idle_bytes -= cap;
        return (uint8_t *)b;
    }
    return malloc(cap);
}

static void xs_release(uint8_t *buf, size_t cap)
{
    int c = buf ? xs_class_of(cap) : -1;
    if (c >= 0 && cap <= XS_IDLE_MAX - xs_idle_bytes) {
        struct xs_idle *b = (struct xs_idle *)(void *)buf;
        b->next = xs_idle[c];
        xs_idle[c] = b;
        xs_idle_bytes += cap;
        return;
    }
    free(buf);
}

static void xs_buf_free(struct extract_store *s)
{
    xs_release(s->buf, s->cap);
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
    size_t cap = xs_class_size(need);
    uint8_t *b = NULL;
    if (need <= cap && cap <= xs_keep_file && xs_kept - s->cap + cap <= xs_keep_total)
        b = xs_alloc(cap);
    if (!b) {
        xs_spill(s);
        return false;
    }
    if (s->len)
        memcpy(b, s->buf, s->len);
    xs_release(s->buf, s->cap);
    xs_kept += cap - s->cap;
    s->buf = b;
    s->cap = cap;
    return true;
}

void extract_store_expect(struct extract_store *s, uint64_t total)
{
    s->expect = total;
    size_t cap = total <= xs_keep_file ? xs_class_size((size_t)total) : 0;
    if (s->keeping && !s->buf && !s->tmp && total > 0 && cap >= total && cap <= xs_keep_file &&
        cap <= xs_keep_total - xs_kept && (s->buf = xs_alloc(cap)) != NULL) {
        s->cap = cap;
        xs_kept += s->cap;
    }
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

/* Bytes not (or no longer) only in the buffer: into the running digests. */
static void xs_hash(struct extract_store *s, const uint8_t *p, size_t n)
{
    if (s->sha_deferred)
        return; /* they are in the buffer: hashed at the end */
    if (s->sha256)
        EVP_DigestUpdate(s->sha256, p, n);
    if (s->md5 && s->sha1) {
        EVP_DigestUpdate(s->md5, p, n);
        EVP_DigestUpdate(s->sha1, p, n);
    }
}

/* ---- matching a cached content instead of copying ---- */

/* Does the file start as a cached content (head: its first n >= XS_PREFIX
 * bytes)?  Only while the buffer would be the whole content. */
static struct xs_content *xs_match_find(const struct extract_store *s, const uint8_t *head,
                                        size_t n)
{
    if (!xs_prefix || !s->keeping || !s->deferred || !s->sha_deferred || s->tmp ||
        s->store_md || s->cut || s->len != s->stored)
        return NULL;
    uint64_t pk = xs_prefix_key(head);
    for (struct xs_content *c = xs_prefix[pk % XS_CONTENT_BUCKETS]; c; c = c->pnext)
        if (c->pkey == pk && c->bytes && c->len >= n && (!s->expect || c->len == s->expect) &&
            memcmp(c->bytes, head, n) == 0)
            return c;
    return NULL;
}

/* Stop matching: the buffer gets the matched bytes it lacks (as if copied
 * all along: a spill on the way hashes them as xs_keep's callers do). */
static void xs_unmatch(struct extract_store *s)
{
    struct xs_content *c = s->cand;
    if (!c)
        return;
    s->cand = NULL;
    size_t extra = (size_t)(s->matched - s->len);
    s->matched = 0;
    xs_keep(s, c->bytes + s->len, extra);
    xs_hash(s, c->bytes + s->len, extra);
}

/* n bytes that go whole into the store: consumed by matching?  Returns the
 * bytes consumed (n or 0). */
static size_t xs_match_data(struct extract_store *s, const uint8_t *p, size_t n)
{
    if (!s->cand) {
        if (s->cand_tried || s->len != 0 || n < XS_PREFIX)
            return 0;
        s->cand_tried = true;
        if (!(s->cand = xs_match_find(s, p, n)))
            return 0;
        xs_buf_free(s); /* a Content-Length's buffer: not needed unless it stops matching */
        s->matched = n;
        return n;
    }
    if (n <= s->cand->len - s->matched && memcmp(s->cand->bytes + s->matched, p, n) == 0) {
        s->matched += n;
        return n;
    }
    xs_unmatch(s);
    return 0;
}

void extract_store_data(struct extract_store *s, const uint8_t *p, size_t n, uint64_t max_size)
{
    uint64_t room = max_size > s->stored ? max_size - s->stored : 0;
    size_t k = n > room ? (size_t)room : n;
    if (k == n && k > 0 && xs_match_data(s, p, n) == n) {
        s->stored += n;
        return;
    }
    xs_unmatch(s); /* (the size limit) */
    if (k > 0) {
        xs_keep(s, p, k); /* first: a spill catches MD5/SHA-1 up to before p */
        xs_hash(s, p, k);
        if (s->store_md)
            EVP_DigestUpdate(s->store_md, p, k);
        s->stored += k;
    }
    if (k == n) {
        /* the first bytes were copied (they came in pieces under XS_PREFIX):
         * look for a content that starts with them once */
        if (!s->cand_tried && s->len >= XS_PREFIX) {
            s->cand_tried = true;
            if ((s->cand = xs_match_find(s, s->buf, s->len)) != NULL)
                s->matched = s->len;
        }
        return;
    }
    /* the size limit: the store ends here, the content hashes go on */
    xs_undefer(s);
    if (s->to_disk && s->keeping) {
        s->cut += n - k;
        if (!s->store_md && s->sha256)
            s->store_md = xs_ctx_dup(s->sha256);
    }
    if (!s->to_disk)
        xs_keep_drop(s);
    xs_hash(s, p + k, n - k);
}

void extract_store_gap(struct extract_store *s, uint64_t n, uint64_t max_size)
{
    xs_undefer_sha256(s); /* the stored bytes' SHA-256 goes on from it */
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
    /* matched a cached content to its end: that content */
    struct xs_content *c = s->cand && s->matched == s->cand->len ? s->cand : NULL;
    if (!c)
        xs_unmatch(s);
    /* the buffer is the whole content: the same bytes seen before? */
    bool whole = s->sha_deferred && s->deferred;
    uint64_t key = whole && !c ? xs_content_key(s->buf, s->len) : 0;
    if (whole && !c)
        c = xs_content_find(s->buf, s->len, key);
    if (c) {
        s->content = c;
        s->sha_deferred = s->deferred = false;
        memcpy(s->content_sha256, c->sha256, 32);
        s->have_sha256 = true;
        extract_hex(c->sha256, 32, d->sha256);
        extract_hex(c->md5, 16, d->md5);
        extract_hex(c->sha1, 20, d->sha1);
        d->ok = true;
        return;
    }
    xs_undefer_sha256(s);
    if (!s->sha256 || !EVP_DigestFinal_ex(s->sha256, sha256, &n) || n != 32)
        return;
    memcpy(s->content_sha256, sha256, 32);
    s->have_sha256 = true;
    extract_hex(sha256, 32, d->sha256);
    bool have = false;
    if (s->deferred) {
        bool found;
        struct xs_entry *e = xs_cache_slot(sha256, &found);
        if (found) {
            memcpy(md5, e->md5, 16);
            memcpy(sha1, e->sha1, 20);
            have = true;
        } else {
            xs_undefer(s);
        }
    }
    if (!have && (!s->md5 || !s->sha1 || !EVP_DigestFinal_ex(s->md5, md5, &n) || n != 16 ||
                  !EVP_DigestFinal_ex(s->sha1, sha1, &n) || n != 20))
        return;
    if (!have)
        xs_cache_put(sha256, md5, sha1);
    if (whole) {
        s->content = xs_content_put(s->buf, s->len, key, sha256, md5, sha1);
        s->content_new = s->content != NULL;
    }
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
    /* a file that matched a cached content has its bytes there */
    bool ok = s->cand ? xs_write_all(fd, s->cand->bytes, s->cand->len)
                      : xs_write_all(fd, s->buf, s->len);
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
    /* the stored bytes are the content: is it on disk already this run? */
    bool whole = !s->store_md && s->content && memcmp(s->content->sha256, md, 32) == 0;
    if (whole && s->content->on_disk) {
        *dedup = true;
        return true;
    }
    char path[4400];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    struct stat st;
    if (stat(path, &st) == 0) {
        *dedup = true;
        if (whole)
            s->content->on_disk = true;
        return true;
    }
    if (!xs_tmp_finish(s) || rename(s->tmp_path, path) < 0) {
        xs_errors++;
        unlink(s->tmp_path);
        return false;
    }
    if (whole)
        s->content->on_disk = true;
    return true;
}

void extract_store_free(struct extract_store *s)
{
    xs_content_adopt(s);
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
