/*
 * extract_store.h - the bytes of one extracted file and its digests: what
 * extract.c's file object delegates hashing and storing to.
 *
 * The content is hashed with SHA-256 as it streams; MD5 and SHA-1 are
 * deferred: the stored bytes are kept (in memory up to EXTRACT_KEEP_FILE
 * per file and EXTRACT_KEEP_TOTAL for all files, then in DIR/.tmp-<fuid>)
 * and, at the end, a content whose SHA-256 was seen before takes its MD5
 * and SHA-1 from a cache; a new content is hashed then, from the kept
 * bytes.  A content is stored (DIR/<sha256 of the stored bytes>) only when
 * that name does not exist yet, so a duplicate never touches the disk
 * while it fits in memory.  When the kept bytes stop being the content
 * (the size limit cut the store, or nothing can be kept) MD5 and SHA-1
 * catch up over the kept bytes and stream from there on.  A gap ends the
 * content hashes (Zeek's Hash::Undelivered); the store goes on with
 * zeros.  A file whose first bytes are those of a cached content is not
 * even copied: its bytes are compared with the content's as they come and
 * copied only if they stop matching.  Outputs are those of hashing every byte three times and
 * writing every file: only the work is less.
 *
 * Not thread-safe (the process-wide cache and memory budget).
 */
#ifndef VIGIL_EXTRACT_STORE_H
#define VIGIL_EXTRACT_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <openssl/evp.h>

#define EXTRACT_KEEP_FILE (16u * 1024 * 1024)   /* bytes kept in memory per file */
#define EXTRACT_KEEP_TOTAL (128u * 1024 * 1024) /* ... and for all open files
                                                   (VIGIL_EXTRACT_MEMORY overrides) */
#define EXTRACT_DIGEST_CACHE 65536              /* SHA-256 -> MD5, SHA-1 entries */

struct xs_content;
struct extract_store {
    EVP_MD_CTX *sha256;         /* the content's; NULL while deferred or after a gap */
    EVP_MD_CTX *md5, *sha1;     /* NULL while deferred or after a gap */
    EVP_MD_CTX *store_md;       /* the stored bytes' SHA-256 once they differ
                                   from the content (gap, cut); else NULL */
    bool deferred;              /* MD5/SHA-1 to come from the kept bytes */
    bool sha_deferred;          /* SHA-256 too: the buffer holds the whole content */
    bool keeping;               /* buf or tmp holds every stored byte so far */
    bool to_disk;               /* a directory to store into */
    uint8_t *buf;
    size_t len, cap;
    FILE *tmp;
    char tmp_path[4200];
    uint64_t stored, cut;
    uint8_t content_sha256[32]; /* after extract_store_digests */
    bool have_sha256;
    struct xs_content *content; /* its entry in the content cache, or NULL */
    bool content_new;           /* ... made by this file: the buffer goes to it */
    struct xs_content *cand;    /* matching: the bytes so far are cand's first
                                   `matched` (the buffer holds only the first len) */
    uint64_t matched;
    uint64_t expect;            /* extract_store_expect's total, 0 none */
    bool cand_tried;            /* a candidate was looked for (once per file) */
};

/* Digests of a finished file (hex); ok false after a gap. */
struct extract_digests {
    char md5[33], sha1[41], sha256[65];
    bool ok;
};

/* Process-wide: fetch the digests, size the cache (extract_start). */
int extract_store_init(void);
void extract_store_fini(void);

/* dir NULL: hash only.  0, or -1 when out of memory. */
int extract_store_open(struct extract_store *s, const char *dir, const char *fuid);
/* The file will have total bytes (a Content-Length): the buffer is sized
 * for them at once (within the memory budget) instead of grown. */
void extract_store_expect(struct extract_store *s, uint64_t total);
/* n content bytes; up to max_size of them are stored */
void extract_store_data(struct extract_store *s, const uint8_t *p, size_t n, uint64_t max_size);
/* n missing bytes: the content hashes end, the store gets zeros */
void extract_store_gap(struct extract_store *s, uint64_t n, uint64_t max_size);
void extract_store_digests(struct extract_store *s, struct extract_digests *d);
/* Store under dir (after extract_store_digests): true with name set when
 * the content is on disk (written now or already there: *dedup). */
bool extract_store_commit(struct extract_store *s, const char *dir, char name[65], bool *dedup);
/* Files that could not be written since extract_store_init. */
uint64_t extract_store_errors(void);
void extract_store_free(struct extract_store *s);
void extract_hex(const uint8_t *md, unsigned n, char *out);

#endif
