/*
 * hs_cache.h - a disk cache of compiled Vectorscan databases, so that a run
 * (or a SIGHUP reload) with the same rules deserializes the engine's
 * prefilter databases instead of compiling them again (Suricata 7's
 * detect.sgh-mpm-caching).  docs/alerts.md "Rules cache".
 *
 * det_hs_compile_multi / det_hs_compile_lit_multi take hs_compile_multi's
 * and hs_compile_lit_multi's arguments and give the same database: from
 * the cache directory when a valid file for exactly these inputs is there
 * (keyed by a SHA-256 of the expressions, lengths, flags, ids, the mode,
 * the platform and the Vectorscan version), else compiled and then stored
 * (written to a temporary file, renamed into place).  A file that does not
 * validate (truncated, corrupt, another version's) is ignored with a
 * warning and counted, and the database is compiled and stored over it.
 * The cache is off until hs_cache_configure() names a directory.
 */
#ifndef VIGIL_DETECT_HS_CACHE_H
#define VIGIL_DETECT_HS_CACHE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <hs/hs.h>

/* Files kept in the cache directory: the least recently used beyond this
 * count, and any not used for HS_CACHE_MAX_AGE_DAYS, are removed (once per
 * process, when it first stores a database). */
#define HS_CACHE_MAX_FILES 256
#define HS_CACHE_MAX_AGE_DAYS 30

/* Use dir as the cache (created, mode 0700, when the first database is
 * stored), or no cache with dir NULL.  Warnings (a bad cache file, a
 * failed write) go to warn when it is not NULL.  Call before building. */
void hs_cache_configure(const char *dir, FILE *warn);
/* The configured directory, NULL when the cache is off. */
const char *hs_cache_dir(void);

/* The default directory: $XDG_CACHE_HOME/vigil/hs, else
 * $HOME/.cache/vigil/hs; -1 when neither variable is set (absolute). */
int hs_cache_default_dir(char *buf, size_t n);

hs_error_t det_hs_compile_multi(const char *const *ex, const unsigned *flags,
                                const unsigned *ids, unsigned n, unsigned mode,
                                hs_database_t **db, hs_compile_error_t **ce);
hs_error_t det_hs_compile_lit_multi(const char *const *ex, const unsigned *flags,
                                    const unsigned *ids, const size_t *lens, unsigned n,
                                    unsigned mode, hs_database_t **db,
                                    hs_compile_error_t **ce);

/* What the calling thread's compiles did since the last take (the engine
 * is built on one thread: at start, or a reload's builder). */
struct hs_cache_stats {
    uint32_t dbs;    /* databases asked for */
    uint32_t loaded; /* of them, read from the cache */
    uint32_t bad;    /* cache files ignored as invalid */
    uint32_t stored; /* databases written to the cache */
};
void hs_cache_stats_take(struct hs_cache_stats *st);

/* The cache file name of a database: the key (SHA-256) in hex plus ".hs"
 * into buf (at least 68 bytes); for tests. */
void hs_cache_file_name(const char *const *ex, const unsigned *flags, const unsigned *ids,
                        const size_t *lens, unsigned n, unsigned mode, char *buf);

#endif
