/*
 * hs_cache.c - the compiled Vectorscan database cache (hs_cache.h,
 * docs/alerts.md "Rules cache").
 *
 * Compiling ET Open's prefilter databases is most of what building the
 * engine costs (two thirds of the instructions of a run that reads no
 * packet); the rules rarely change between runs, so each database is kept
 * in a file named by the key of what determines it and deserialized next
 * time.
 *
 * The key: SHA-256 over a format tag, hs_version(), the platform
 * (hs_populate_platform), which API (regex or literal), the mode and every
 * pattern's bytes (with its length), flags and id.  The file:
 *
 *   "VIGILHS1" | key (32) | payload length (u64) | SHA-256 of payload (32)
 *   | payload (hs_serialize_database's bytes)
 *
 * A file is used only when it is exactly that long, names the key asked
 * for, its payload hashes to the stored sum, hs_serialized_database_info
 * reads it as this Vectorscan version and mode, and hs_deserialize_database
 * takes it.  Anything else is a bad file: warned about, counted, rebuilt
 * and replaced.  Files are written under a unique temporary name and
 * renamed into place, so a reader never sees half a file from a writer
 * (another process included).  A used file's mtime is touched; the
 * directory is pruned to HS_CACHE_MAX_FILES files, none unused for
 * HS_CACHE_MAX_AGE_DAYS (once per process, at its first store).
 */
#include "core/fsutil.h"
#include "detect/hs_cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#define HSC_MAGIC "VIGILHS1"
#define HSC_HEAD (8 + 32 + 8 + 32)
#define HSC_MAX_BYTES (1u << 30) /* a larger file is not one of ours */

static char cache_dir[4096];
static int cache_on;
static FILE *cache_warn;
static int pruned;            /* this process pruned the directory (atomic) */
static unsigned tmp_counter;  /* unique temporary names (atomic) */
static _Thread_local struct hs_cache_stats stats;

void hs_cache_configure(const char *dir, FILE *warn)
{
    cache_on = dir && *dir && strlen(dir) < sizeof(cache_dir) - 80;
    snprintf(cache_dir, sizeof(cache_dir), "%s", cache_on ? dir : "");
    cache_warn = warn;
}

const char *hs_cache_dir(void)
{
    return cache_on ? cache_dir : NULL;
}

int hs_cache_default_dir(char *buf, size_t n)
{
    const char *x = getenv("XDG_CACHE_HOME"), *h = getenv("HOME");
    int w;
    if (x && x[0] == '/')
        w = snprintf(buf, n, "%s/vigil/hs", x);
    else if (h && h[0] == '/')
        w = snprintf(buf, n, "%s/.cache/vigil/hs", h);
    else
        return -1;
    return w > 0 && (size_t)w < n ? 0 : -1;
}

void hs_cache_stats_take(struct hs_cache_stats *st)
{
    *st = stats;
    memset(&stats, 0, sizeof(stats));
}

static void cache_warning(const char *file, const char *what)
{
    if (cache_warn)
        fprintf(cache_warn, "rules cache: %s/%s: %s\n", cache_dir, file, what);
}

/* ---- the key --------------------------------------------------------------- */

static int sha256(const void *p, size_t n, uint8_t md[32])
{
    unsigned int l = 0;
    return EVP_Digest(p, n, md, &l, EVP_sha256(), NULL) == 1 && l == 32 ? 0 : -1;
}

static int cache_key(const char *const *ex, const unsigned *flags, const unsigned *ids,
                     const size_t *lens, unsigned n, unsigned mode, uint8_t key[32])
{
    static const char tag[] = "vigil hs cache 1";
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    hs_platform_info_t plat;
    unsigned int l = 0;
    uint32_t hdr[3] = {lens != NULL, mode, n};
    const char *ver = hs_version();
    int ok = c && EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1;
    memset(&plat, 0, sizeof(plat));
    if (hs_populate_platform(&plat) != HS_SUCCESS)
        memset(&plat, 0xff, sizeof(plat));
    ok = ok && EVP_DigestUpdate(c, tag, sizeof(tag)) == 1 &&
         EVP_DigestUpdate(c, ver, strlen(ver) + 1) == 1 &&
         EVP_DigestUpdate(c, &plat, sizeof(plat)) == 1 && EVP_DigestUpdate(c, hdr, sizeof(hdr)) == 1;
    for (unsigned i = 0; ok && i < n; i++) {
        uint64_t len = lens ? lens[i] : strlen(ex[i]);
        uint32_t fi[2] = {flags ? flags[i] : 0, ids ? ids[i] : 0};
        ok = EVP_DigestUpdate(c, &len, sizeof(len)) == 1 && EVP_DigestUpdate(c, ex[i], len) == 1 &&
             EVP_DigestUpdate(c, fi, sizeof(fi)) == 1;
    }
    ok = ok && EVP_DigestFinal_ex(c, key, &l) == 1 && l == 32;
    EVP_MD_CTX_free(c);
    return ok ? 0 : -1;
}

static void key_name(const uint8_t key[32], char *buf)
{
    static const char hx[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        buf[2 * i] = hx[key[i] >> 4];
        buf[2 * i + 1] = hx[key[i] & 15];
    }
    memcpy(buf + 64, ".hs", 4);
}

void hs_cache_file_name(const char *const *ex, const unsigned *flags, const unsigned *ids,
                        const size_t *lens, unsigned n, unsigned mode, char *buf)
{
    uint8_t key[32];
    if (cache_key(ex, flags, ids, lens, n, mode, key) < 0)
        memset(key, 0, sizeof(key));
    key_name(key, buf);
}

/* ---- reading ---------------------------------------------------------------- */

/* Does hs_serialized_database_info's text ("Version: 5.4.9 Features: ...
 * Mode: BLOCK") name this library's version and the mode? */
static int info_ok(const char *payload, size_t len, unsigned mode)
{
    char *info = NULL;
    if (hs_serialized_database_info(payload, len, &info) != HS_SUCCESS || !info)
        return 0;
    const char *ver = hs_version(), *m = mode & HS_MODE_STREAM ? "Mode: STREAM"
                                          : mode & HS_MODE_VECTORED ? "Mode: VECTORED"
                                                                    : "Mode: BLOCK";
    size_t vl = strcspn(ver, " ");
    int ok = strncmp(info, "Version: ", 9) == 0 && strncmp(info + 9, ver, vl) == 0 &&
             (info[9 + vl] == ' ' || info[9 + vl] == 0) && strstr(info, m) != NULL;
    free(info); /* hs's misc allocator: malloc unless set */
    return ok;
}

/* The database of file name, NULL when there is none or it is bad (*bad
 * set, with what is wrong). */
static hs_database_t *cache_read(const char *name, const uint8_t key[32], unsigned mode,
                                 const char **bad)
{
    char path[sizeof(cache_dir) + 80];
    snprintf(path, sizeof(path), "%s/%s", cache_dir, name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno != ENOENT)
            *bad = "cannot be read";
        return NULL;
    }
    struct stat st;
    uint8_t *buf = NULL, sum[32];
    hs_database_t *db = NULL;
    uint64_t plen;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size < HSC_HEAD ||
        (uint64_t)st.st_size > HSC_MAX_BYTES) {
        *bad = "not a cache file (size)";
        goto out;
    }
    if ((buf = malloc((size_t)st.st_size)) == NULL ||
        core_read_all(fd, buf, (size_t)st.st_size) < 0) {
        *bad = buf ? "truncated" : "out of memory";
        goto out;
    }
    memcpy(&plen, buf + 40, sizeof(plen));
    if (memcmp(buf, HSC_MAGIC, 8) != 0 || memcmp(buf + 8, key, 32) != 0)
        *bad = "not a cache file for this database (header)";
    else if (plen != (uint64_t)st.st_size - HSC_HEAD)
        *bad = "truncated (length)";
    else if (sha256(buf + HSC_HEAD, plen, sum) < 0 || memcmp(sum, buf + 48, 32) != 0)
        *bad = "corrupt (checksum)";
    else if (!info_ok((const char *)buf + HSC_HEAD, plen, mode))
        *bad = "not this Vectorscan version's or mode's database";
    else if (hs_deserialize_database((const char *)buf + HSC_HEAD, plen, &db) != HS_SUCCESS) {
        *bad = "refused by Vectorscan";
        db = NULL;
    } else {
        futimens(fd, NULL); /* used: kept by the pruning */
    }
out:
    free(buf);
    close(fd);
    return db;
}

/* ---- writing ---------------------------------------------------------------- */

struct cfile {
    char name[80];
    time_t mtime;
};

static int cfile_newer_first(const void *a, const void *b)
{
    const struct cfile *x = a, *y = b;
    return x->mtime > y->mtime ? -1 : x->mtime < y->mtime ? 1 : strcmp(x->name, y->name);
}

static int our_file(const char *n)
{
    size_t l = strlen(n);
    return (l == 67 && strcmp(n + 64, ".hs") == 0) || strncmp(n, ".tmp-", 5) == 0;
}

/* Remove cache files unused for HS_CACHE_MAX_AGE_DAYS (temporary files
 * left by a killed writer after a day) and the least recently used beyond
 * HS_CACHE_MAX_FILES. */
static void cache_prune(void)
{
    DIR *d = opendir(cache_dir);
    if (!d)
        return;
    struct cfile *v = NULL;
    size_t n = 0, cap = 0;
    time_t now = time(NULL);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        struct stat st;
        if (!our_file(de->d_name) || fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
            !S_ISREG(st.st_mode))
            continue;
        int tmp = de->d_name[0] == '.';
        if (now - st.st_mtime > (tmp ? 86400 : HS_CACHE_MAX_AGE_DAYS * 86400L)) {
            unlinkat(dirfd(d), de->d_name, 0);
            continue;
        }
        if (tmp)
            continue;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 64;
            struct cfile *nv = realloc(v, nc * sizeof(*nv));
            if (!nv)
                break;
            v = nv, cap = nc;
        }
        memcpy(v[n].name, de->d_name, 68); /* our_file(): 64 hex digits, ".hs" */
        v[n++].mtime = st.st_mtime;
    }
    if (n > HS_CACHE_MAX_FILES) {
        qsort(v, n, sizeof(*v), cfile_newer_first);
        for (size_t i = HS_CACHE_MAX_FILES; i < n; i++)
            unlinkat(dirfd(d), v[i].name, 0);
    }
    free(v);
    closedir(d);
}

static void cache_write(const char *name, const uint8_t key[32], const hs_database_t *db)
{
    char *bytes = NULL, tmp[sizeof(cache_dir) + 120], path[sizeof(cache_dir) + 80];
    size_t len = 0;
    uint8_t head[HSC_HEAD];
    if (hs_serialize_database(db, &bytes, &len) != HS_SUCCESS || !bytes)
        return;
    memcpy(head, HSC_MAGIC, 8);
    memcpy(head + 8, key, 32);
    uint64_t l64 = len;
    memcpy(head + 40, &l64, 8);
    int fd = -1;
    if (sha256(bytes, len, head + 48) < 0 || core_mkdirs(cache_dir, 0700) < 0)
        goto fail;
    if (!__atomic_exchange_n(&pruned, 1, __ATOMIC_ACQ_REL))
        cache_prune();
    snprintf(tmp, sizeof(tmp), "%s/.tmp-%.16s-%ld-%u", cache_dir, name, (long)getpid(),
             __atomic_fetch_add(&tmp_counter, 1, __ATOMIC_RELAXED));
    snprintf(path, sizeof(path), "%s/%s", cache_dir, name);
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        goto fail;
    if (core_write_all(fd, head, sizeof(head)) < 0 || core_write_all(fd, bytes, len) < 0) {
        close(fd);
        unlink(tmp);
        goto fail;
    }
    if (close(fd) < 0 || rename(tmp, path) < 0) {
        unlink(tmp);
        goto fail;
    }
    stats.stored++;
    free(bytes);
    return;
fail:
    cache_warning(name, "cannot be written: the database is compiled again next time");
    free(bytes);
}

/* ---- compiling through the cache -------------------------------------------- */

static hs_error_t compile(const char *const *ex, const unsigned *flags, const unsigned *ids,
                          const size_t *lens, unsigned n, unsigned mode, hs_database_t **db,
                          hs_compile_error_t **ce)
{
    uint8_t key[32];
    char name[68];
    stats.dbs++;
    int keyed = cache_on && cache_key(ex, flags, ids, lens, n, mode, key) == 0;
    if (keyed) {
        const char *bad = NULL;
        key_name(key, name);
        if ((*db = cache_read(name, key, mode, &bad)) != NULL) {
            stats.loaded++;
            *ce = NULL;
            return HS_SUCCESS;
        }
        if (bad) {
            stats.bad++;
            char what[160];
            snprintf(what, sizeof(what), "%s: ignored, compiled again", bad);
            cache_warning(name, what);
        }
    }
    hs_error_t rc = lens ? hs_compile_lit_multi(ex, flags, ids, lens, n, mode, NULL, db, ce)
                         : hs_compile_multi(ex, flags, ids, n, mode, NULL, db, ce);
    if (rc == HS_SUCCESS && keyed)
        cache_write(name, key, *db);
    return rc;
}

hs_error_t det_hs_compile_multi(const char *const *ex, const unsigned *flags,
                                const unsigned *ids, unsigned n, unsigned mode,
                                hs_database_t **db, hs_compile_error_t **ce)
{
    return compile(ex, flags, ids, NULL, n, mode, db, ce);
}

hs_error_t det_hs_compile_lit_multi(const char *const *ex, const unsigned *flags,
                                    const unsigned *ids, const size_t *lens, unsigned n,
                                    unsigned mode, hs_database_t **db, hs_compile_error_t **ce)
{
    return compile(ex, flags, ids, lens, n, mode, db, ce);
}
