/*
 * pcapindex_int.h - internals shared by the index's three files:
 * pcapindex_write.c (builder, journal frames, the .idx writer),
 * pcapindex_read.c (the .idx v2 reader: directory, host and port tables,
 * per-session blocks) and pcapindex.c (open, journal replay, rebuild,
 * recovery, pcap records).  Byte buffers, LEB128 varints, zigzag, little
 * endian integers and bounds-checked reads; the on-disk layout constants.
 */
#ifndef VIGIL_STORE_PCAPINDEX_INT_H
#define VIGIL_STORE_PCAPINDEX_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/pcapindex.h"

/* .idx v2 layout (drawn in pcapindex.h). */
#define PI_TAB_DIR 0
#define PI_TAB_HOSTS 1
#define PI_TAB_PORTS 2
#define PI_NTAB 3
#define PI_PAGE 64           /* entries per page (one CRC and one fence each) */
#define PI_DIR_LEN 64        /* directory entry */
#define PI_DIR_KEY 24        /* uid, NUL padded */
#define PI_HOST_LEN 40       /* host entry: key, pad, posting list reference */
#define PI_HOST_KEY 17       /* family, address */
#define PI_HOST_POST 20      /* where its posting reference starts */
#define PI_PORT_LEN 24       /* port entry */
#define PI_PORT_KEY 2        /* port, big endian */
#define PI_PORT_POST 4
#define PI_POST_LEN 20       /* n u32, off u64 (from blocks_off), len u32, crc32 u32 */
#define PI_HDR_TAB 64        /* first table descriptor */
#define PI_TAB_DESC 24       /* off u64, n u64, fence_crc u32, entry_len u16, key_len u16 */
#define PI_HDR_BLOCKS 136    /* blocks_off u64, blocks_len u64 */
#define PI_HDR_CRC 156       /* crc32 of bytes [0, 156) */
#define PI_BLOCK_RAW 0       /* block encodings (first byte) */
#define PI_BLOCK_ZLIB 1
#define PI_ZLIB_MIN 256      /* blocks this big are deflated when it saves an eighth */

/* ---- growable byte buffer and varints ---- */

struct bbuf {
    uint8_t *p;
    size_t len, cap;
};

static inline int bbuf_reserve(struct bbuf *b, size_t more)
{
    if (b->len + more <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 32;
    while (cap < b->len + more)
        cap *= 2;
    uint8_t *n = realloc(b->p, cap);
    if (!n)
        return -1;
    b->p = n;
    b->cap = cap;
    return 0;
}

static inline int bbuf_put(struct bbuf *b, const void *d, size_t n)
{
    if (bbuf_reserve(b, n) < 0)
        return -1;
    if (n)
        memcpy(b->p + b->len, d, n);
    b->len += n;
    return 0;
}

static inline int bbuf_varint(struct bbuf *b, uint64_t v)
{
    uint8_t t[10];
    int n = 0;
    do {
        t[n] = (uint8_t)(v & 0x7f);
        v >>= 7;
        if (v)
            t[n] |= 0x80;
        n++;
    } while (v);
    return bbuf_put(b, t, (size_t)n);
}

static inline uint64_t zigzag(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static inline int64_t unzigzag(uint64_t v)
{
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

static inline void le_put(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint64_t le_get(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* Bounds-checked reads of a block or journal payload. */
struct rd {
    const uint8_t *p, *end;
    int bad;
};

static inline uint64_t rd_varint(struct rd *r)
{
    uint64_t v = 0;
    for (int sh = 0; sh < 64; sh += 7) {
        if (r->p >= r->end) {
            r->bad = 1;
            return 0;
        }
        uint8_t c = *r->p++;
        v |= (uint64_t)(c & 0x7f) << sh;
        if (!(c & 0x80))
            return v;
    }
    r->bad = 1;
    return 0;
}

static inline const uint8_t *rd_bytes(struct rd *r, size_t n)
{
    if ((size_t)(r->end - r->p) < n) {
        r->bad = 1;
        return NULL;
    }
    const uint8_t *p = r->p;
    r->p += n;
    return p;
}

static inline uint8_t rd_u8(struct rd *r)
{
    const uint8_t *p = rd_bytes(r, 1);
    return p ? *p : 0;
}

/* pcapindex_write.c: session keys (proto, family, a, b, ports) with an
 * optional uid in front (journal entries; uid NULL: key only, as in blocks). */
int pcapindex_key_put(struct bbuf *b, const char *uid, const struct pcapindex_key *k);
void pcapindex_key_get(struct rd *r, char *uid, struct pcapindex_key *k);

/* pcapindex_write.c: the whole .idx v2 image of a builder (the session
 * table is sorted in place: the builder takes no more packets after). */
int pcapindex_builder_image(struct pcapindex_builder *b, uint64_t pcap_bytes, bool compress,
                            struct bbuf *out);

/* pcapindex_read.c: an index over an image; owned: malloc'd bytes the
 * index frees, else the image is mmap'd (munmap at free).  0, or -1 when
 * the header or a table's fences are damaged. */
int pcapindex_from_image(const uint8_t *img, size_t len, bool mapped, struct pcapindex **out);
/* Header -> info.  0, or -1 (not a v2 header or bad CRC). */
int pcapindex_info_from_hdr(const uint8_t *h, size_t len, struct pcapindex_info *info);
void pcapindex_set_open(struct pcapindex *ix, bool open, bool rebuilt);

#endif
