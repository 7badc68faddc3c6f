/*
 * pcapindex_write.c - building a file's flow index while its packets are
 * written: the builder (one hash table uid -> session, each session's
 * packet list already delta/varint encoded as it grows, so memory is about
 * what the blocks will be), the journal frames of the open file
 * (.idx.open), and the .idx v2 image of a closed file, written atomically
 * (temp + fsync + rename + fsync of the directory).
 *
 * The image (formats drawn in pcapindex.h):
 *
 *   header ─► directory: fixed 64-byte entries sorted by uid ┐ each table:
 *             hosts: (family, address) -> posting list       ├ entries, then
 *             ports: port -> posting list                    ┘ per-page fences
 *             blocks: per session, key + delta varints (zlib when it pays),
 *                     then the posting lists (session numbers, varint deltas)
 *
 * Owns: the builder and its buffers; the image bytes until written.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "store/pcapindex_int.h"

/* ---- session keys ---- */

int pcapindex_key_put(struct bbuf *b, const char *uid, const struct pcapindex_key *k)
{
    size_t ul = uid ? strnlen(uid, 23) : 0;
    size_t al = k->family == 6 ? 16 : 4;
    uint8_t t[2 + 32 + 4];
    uint8_t u8l = (uint8_t)ul;
    if (uid && (bbuf_put(b, &u8l, 1) < 0 || bbuf_put(b, uid, ul) < 0))
        return -1;
    t[0] = k->proto;
    t[1] = k->family == 6 ? 6 : 4;
    memcpy(t + 2, k->a, al);
    memcpy(t + 2 + al, k->b, al);
    uint8_t *pp = t + 2 + 2 * al;
    pp[0] = (uint8_t)(k->port_a >> 8);
    pp[1] = (uint8_t)k->port_a;
    pp[2] = (uint8_t)(k->port_b >> 8);
    pp[3] = (uint8_t)k->port_b;
    return bbuf_put(b, t, 2 + 2 * al + 4);
}

void pcapindex_key_get(struct rd *r, char *uid, struct pcapindex_key *k)
{
    if (uid) {
        uint8_t ul = rd_u8(r);
        const uint8_t *u = ul <= 23 ? rd_bytes(r, ul) : NULL;
        if (!u) {
            r->bad = 1;
            return;
        }
        memcpy(uid, u, ul);
        uid[ul] = '\0';
    }
    memset(k, 0, sizeof(*k));
    k->proto = rd_u8(r);
    k->family = rd_u8(r);
    if (k->family != 4 && k->family != 6) {
        r->bad = 1;
        return;
    }
    size_t al = k->family == 6 ? 16 : 4;
    const uint8_t *a = rd_bytes(r, al), *bb = rd_bytes(r, al), *pp = rd_bytes(r, 4);
    if (!a || !bb || !pp)
        return;
    memcpy(k->a, a, al);
    memcpy(k->b, bb, al);
    k->port_a = (uint16_t)(pp[0] << 8 | pp[1]);
    k->port_b = (uint16_t)(pp[2] << 8 | pp[3]);
}


/* ---- builder ---- */

struct bsess {
    char uid[24];
    struct pcapindex_key key;
    uint32_t n;
    uint64_t last_off;
    int64_t last_ts;
    int64_t min_ts, max_ts; /* the session's time range in this file */
    struct bbuf pk; /* n x (varint off delta, varint zigzag ts delta) */
};

struct pcapindex_builder {
    uint32_t linktype;
    int64_t first_ns, last_ns;
    int64_t base_ns; /* what the first ts delta of each session is relative to while building */
    int has_ts;
    uint64_t packets;
    char sensor[64];
    struct bsess *s;
    size_t ns, caps;
    uint32_t *tab; /* open addressing: session index + 1 */
    size_t tabcap;
    int journal;
    struct bbuf jpend; /* journal entries not yet framed */
    struct bbuf jframe;
};

static uint32_t uid_hash(const char *u)
{
    uint32_t h = 2166136261u;
    for (; *u; u++)
        h = (h ^ (uint8_t)*u) * 16777619u;
    return h;
}

static int builder_grow_tab(struct pcapindex_builder *b)
{
    size_t cap = b->tabcap ? b->tabcap * 2 : 1024;
    uint32_t *t = calloc(cap, sizeof(*t));
    if (!t)
        return -1;
    for (size_t i = 0; i < b->ns; i++) {
        size_t h = uid_hash(b->s[i].uid) & (cap - 1);
        while (t[h])
            h = (h + 1) & (cap - 1);
        t[h] = (uint32_t)i + 1;
    }
    free(b->tab);
    b->tab = t;
    b->tabcap = cap;
    return 0;
}

static void journal_header(struct pcapindex_builder *b)
{
    uint8_t t[1 + 4 + 8 + 1];
    size_t sl = strnlen(b->sensor, 63);
    t[0] = 'H';
    le_put(t + 1, b->linktype, 4);
    le_put(t + 5, (uint64_t)b->first_ns, 8);
    t[13] = (uint8_t)sl;
    bbuf_put(&b->jpend, t, sizeof(t));
    bbuf_put(&b->jpend, b->sensor, sl);
}

struct pcapindex_builder *pcapindex_builder_new(uint32_t linktype, int64_t first_ns,
                                                const char *sensor, bool journal)
{
    struct pcapindex_builder *b = calloc(1, sizeof(*b));
    if (!b)
        return NULL;
    b->linktype = linktype;
    b->first_ns = b->last_ns = b->base_ns = first_ns;
    snprintf(b->sensor, sizeof(b->sensor), "%s", sensor ? sensor : "vigil");
    b->journal = journal;
    if (builder_grow_tab(b) < 0) {
        free(b);
        return NULL;
    }
    if (journal)
        journal_header(b);
    return b;
}

void pcapindex_builder_free(struct pcapindex_builder *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->ns; i++)
        free(b->s[i].pk.p);
    free(b->s);
    free(b->tab);
    free(b->jpend.p);
    free(b->jframe.p);
    free(b);
}

/* Session index of uid, created (with key) when new; -1 out of memory. */
static long builder_session(struct pcapindex_builder *b, const struct pcapindex_ref *r)
{
    size_t h = uid_hash(r->uid) & (b->tabcap - 1);
    while (b->tab[h]) {
        struct bsess *s = &b->s[b->tab[h] - 1];
        if (strcmp(s->uid, r->uid) == 0)
            return (long)b->tab[h] - 1;
        h = (h + 1) & (b->tabcap - 1);
    }
    if (b->ns == b->caps) {
        size_t cap = b->caps ? b->caps * 2 : 256;
        struct bsess *n = realloc(b->s, cap * sizeof(*n));
        if (!n)
            return -1;
        b->s = n;
        b->caps = cap;
    }
    struct bsess *s = &b->s[b->ns];
    memset(s, 0, sizeof(*s));
    snprintf(s->uid, sizeof(s->uid), "%s", r->uid);
    s->key = r->key;
    s->last_ts = b->base_ns;
    b->tab[h] = (uint32_t)++b->ns;
    if (b->journal) {
        uint8_t t = 'S';
        bbuf_put(&b->jpend, &t, 1);
        bbuf_varint(&b->jpend, b->ns - 1);
        pcapindex_key_put(&b->jpend, s->uid, &s->key);
    }
    if (b->ns * 2 > b->tabcap && builder_grow_tab(b) < 0)
        return -1;
    return (long)b->ns - 1;
}

int pcapindex_builder_add(struct pcapindex_builder *b, uint64_t offset, int64_t ts_ns,
                          const struct pcapindex_ref *refs, int n)
{
    long idx[PCAPINDEX_MAX_REFS];
    if (n > PCAPINDEX_MAX_REFS)
        n = PCAPINDEX_MAX_REFS;
    if (!b->has_ts) {
        b->first_ns = b->last_ns = ts_ns;
    } else {
        if (ts_ns < b->first_ns)
            b->first_ns = ts_ns;
        if (ts_ns > b->last_ns)
            b->last_ns = ts_ns;
    }
    b->has_ts = 1;
    b->packets++;
    for (int i = 0; i < n; i++) {
        idx[i] = builder_session(b, &refs[i]);
        if (idx[i] < 0)
            return -1;
        struct bsess *s = &b->s[idx[i]];
        if (bbuf_varint(&s->pk, offset - s->last_off) < 0 ||
            bbuf_varint(&s->pk, zigzag(ts_ns - s->last_ts)) < 0)
            return -1;
        s->last_off = offset;
        s->last_ts = ts_ns;
        if (s->n == 0 || ts_ns < s->min_ts)
            s->min_ts = ts_ns;
        if (s->n == 0 || ts_ns > s->max_ts)
            s->max_ts = ts_ns;
        s->n++;
    }
    if (b->journal) {
        uint8_t t[1 + 8 + 1];
        t[0] = 'P';
        bbuf_put(&b->jpend, t, 1);
        bbuf_varint(&b->jpend, offset);
        le_put(t + 1, (uint64_t)ts_ns, 8);
        t[9] = (uint8_t)n;
        bbuf_put(&b->jpend, t + 1, 9);
        for (int i = 0; i < n; i++)
            bbuf_varint(&b->jpend, (uint64_t)idx[i]);
    }
    return 0;
}

void pcapindex_builder_journal(struct pcapindex_builder *b, const uint8_t **frame, size_t *len)
{
    *frame = NULL;
    *len = 0;
    if (!b->journal || b->jpend.len == 0)
        return;
    b->jframe.len = 0;
    if (bbuf_reserve(&b->jframe, 8 + b->jpend.len) < 0)
        return;
    le_put(b->jframe.p, b->jpend.len, 4);
    le_put(b->jframe.p + 4, crc32(0, b->jpend.p, (uInt)b->jpend.len), 4);
    memcpy(b->jframe.p + 8, b->jpend.p, b->jpend.len);
    b->jframe.len = 8 + b->jpend.len;
    b->jpend.len = 0;
    *frame = b->jframe.p;
    *len = b->jframe.len;
}

static int bsess_cmp(const void *x, const void *y)
{
    return strcmp(((const struct bsess *)x)->uid, ((const struct bsess *)y)->uid);
}

/* Append one session's block to blocks and fill its directory entry d:
 * the key, then its packets (offset delta, zigzag time delta; the first
 * relative to 0 and to the session's first time), deflated when it pays. */
static int block_encode(const struct pcapindex_builder *b, const struct bsess *s, bool compress,
                        struct bbuf *blocks, uint8_t *d)
{
    struct bbuf raw = {0};
    uint8_t *z = NULL;
    int rc = -1;
    struct rd r = {s->pk.p, s->pk.p + s->pk.len, 0};
    if (pcapindex_key_put(&raw, NULL, &s->key) < 0)
        goto out;
    if (s->n) {
        uint64_t off0 = rd_varint(&r);
        int64_t ts0 = b->base_ns + unzigzag(rd_varint(&r));
        if (r.bad || bbuf_varint(&raw, off0) < 0 || bbuf_varint(&raw, zigzag(ts0 - s->min_ts)) < 0 ||
            bbuf_put(&raw, r.p, (size_t)(r.end - r.p)) < 0)
            goto out;
    }
    size_t start = blocks->len;
    uLongf zl = 0;
    if (compress && raw.len >= PI_ZLIB_MIN) {
        zl = compressBound((uLong)raw.len);
        z = malloc(zl);
        if (!z || compress2(z, &zl, raw.p, (uLong)raw.len, 6) != Z_OK ||
            zl + 10 > raw.len - raw.len / 8)
            zl = 0;
    }
    uint8_t enc = zl ? PI_BLOCK_ZLIB : PI_BLOCK_RAW;
    if (bbuf_put(blocks, &enc, 1) < 0 || (zl && bbuf_varint(blocks, raw.len) < 0) ||
        (zl ? bbuf_put(blocks, z, zl) : bbuf_put(blocks, raw.p, raw.len)) < 0)
        goto out;
    memset(d, 0, PI_DIR_LEN);
    memcpy(d, s->uid, strnlen(s->uid, PI_DIR_KEY - 1));
    le_put(d + 24, (uint64_t)s->min_ts, 8);
    le_put(d + 32, (uint64_t)s->max_ts, 8);
    le_put(d + 40, start, 8);
    le_put(d + 48, blocks->len - start, 4);
    le_put(d + 52, crc32(0, blocks->p + start, (uInt)(blocks->len - start)), 4);
    le_put(d + 56, s->n, 4);
    d[60] = s->key.proto;
    d[61] = s->key.family;
    rc = 0;
out:
    free(z);
    free(raw.p);
    return rc;
}

/* While building: (key, session number) pairs, sorted, then grouped into
 * one table entry and one posting list per key. */
#define PI_HOST_PAIR 24 /* family, address (16), pad (3), sid u32 */
#define PI_PORT_PAIR 8  /* port (BE), proto, pad, sid u32 */

/* Host and port pairs of session sid (each side once). */
static void tab_add_session(const struct pcapindex_key *k, uint32_t sid, uint8_t *hosts,
                            size_t *nh, uint8_t *ports, size_t *np)
{
    size_t al = k->family == 6 ? 16 : 4;
    for (int side = 0; side < 2; side++) {
        const uint8_t *a = side ? k->b : k->a;
        if (side && memcmp(k->a, k->b, al) == 0)
            continue;
        uint8_t *e = hosts + (*nh)++ * PI_HOST_PAIR;
        memset(e, 0, PI_HOST_PAIR);
        e[0] = k->family;
        memcpy(e + 1, a, al);
        le_put(e + 20, sid, 4);
    }
    for (int side = 0; side < 2; side++) {
        uint16_t p = side ? k->port_b : k->port_a;
        if (side && k->port_a == k->port_b)
            continue;
        uint8_t *e = ports + (*np)++ * PI_PORT_PAIR;
        e[0] = (uint8_t)(p >> 8);
        e[1] = (uint8_t)p;
        e[2] = k->proto;
        e[3] = 0;
        le_put(e + 4, sid, 4);
    }
}

static int host_cmp(const void *x, const void *y)
{
    int c = memcmp(x, y, PI_HOST_KEY);
    uint32_t a = (uint32_t)le_get((const uint8_t *)x + 20, 4);
    uint32_t b = (uint32_t)le_get((const uint8_t *)y + 20, 4);
    return c ? c : (a > b) - (a < b);
}

static int port_cmp(const void *x, const void *y)
{
    int c = memcmp(x, y, PI_PORT_KEY);
    uint32_t a = (uint32_t)le_get((const uint8_t *)x + 4, 4);
    uint32_t b = (uint32_t)le_get((const uint8_t *)y + 4, 4);
    return c ? c : (a > b) - (a < b);
}

/* Group sorted (key, sid) pairs: one entry per key (key, zero pad up to
 * post, then n, off, len, crc of its posting list) and the posting list -
 * the sids as ascending varint deltas - appended to blob.  The entries are
 * written into ents.  *ne: entries made. */
static int postings_group(const uint8_t *pairs, size_t n, size_t plen, size_t klen,
                          size_t post, uint8_t *ents, size_t *ne, struct bbuf *blob)
{
    size_t i = 0, elen = post + PI_POST_LEN;
    *ne = 0;
    while (i < n) {
        const uint8_t *k = pairs + i * plen;
        uint8_t *e = ents + (*ne)++ * elen;
        size_t start = blob->len, cnt = 0;
        uint32_t prev = 0;
        for (; i < n && memcmp(pairs + i * plen, k, klen) == 0; i++, cnt++) {
            uint32_t sid = (uint32_t)le_get(pairs + i * plen + plen - 4, 4);
            if (bbuf_varint(blob, sid - prev) < 0)
                return -1;
            prev = sid;
        }
        memset(e, 0, elen);
        memcpy(e, k, klen);
        le_put(e + post, cnt, 4);
        le_put(e + post + 4, start, 8);
        le_put(e + post + 12, blob->len - start, 4);
        le_put(e + post + 16, crc32(0, blob->p + start, (uInt)(blob->len - start)), 4);
    }
    return 0;
}

/* Append a sorted table (entries, then one fence per page: the page's
 * first key and the CRC of its entries) and describe it in the header. */
static int tab_emit(struct bbuf *out, uint8_t *hdr, int t, const uint8_t *e, size_t n,
                    size_t elen, size_t klen)
{
    uint64_t off = out->len;
    struct bbuf f = {0};
    int rc = -1;
    if (bbuf_put(out, e, n * elen) < 0)
        return -1;
    for (size_t p = 0; p < n; p += PI_PAGE) {
        size_t cnt = n - p < PI_PAGE ? n - p : PI_PAGE;
        uint8_t c[4];
        le_put(c, crc32(0, e + p * elen, (uInt)(cnt * elen)), 4);
        if (bbuf_put(&f, e + p * elen, klen) < 0 || bbuf_put(&f, c, 4) < 0)
            goto out;
    }
    uint8_t *d = hdr + PI_HDR_TAB + t * PI_TAB_DESC;
    le_put(d, off, 8);
    le_put(d + 8, n, 8);
    le_put(d + 16, crc32(0, f.p, (uInt)f.len), 4);
    le_put(d + 20, elen, 2);
    le_put(d + 22, klen, 2);
    rc = bbuf_put(out, f.p, f.len);
out:
    free(f.p);
    return rc;
}

static void image_header(const struct pcapindex_builder *b, uint64_t pcap_bytes, uint8_t *h)
{
    memcpy(h, PCAPINDEX_MAGIC, 8);
    le_put(h + 8, PCAPINDEX_VERSION, 4);
    le_put(h + 12, 0, 4);
    le_put(h + 16, (uint64_t)b->first_ns, 8);
    le_put(h + 24, (uint64_t)b->last_ns, 8);
    le_put(h + 32, pcap_bytes, 8);
    le_put(h + 40, b->packets, 8);
    le_put(h + 48, b->ns, 8);
    le_put(h + 56, b->linktype, 4);
    le_put(h + 60, PI_PAGE, 4);
}

int pcapindex_builder_image(struct pcapindex_builder *b, uint64_t pcap_bytes, bool compress,
                            struct bbuf *out)
{
    size_t ns = b->ns, nh = 0, np = 0, start = out->len;
    if (ns)
        qsort(b->s, ns, sizeof(*b->s), bsess_cmp);
    if (b->tab)
        memset(b->tab, 0, b->tabcap * sizeof(*b->tab)); /* the hash table is stale from here on */
    uint8_t *dir = calloc(ns ? ns : 1, PI_DIR_LEN);
    uint8_t *hosts = calloc(ns ? 2 * ns : 1, PI_HOST_PAIR);
    uint8_t *ports = calloc(ns ? 2 * ns : 1, PI_PORT_PAIR);
    uint8_t *hents = NULL, *pents = NULL;
    struct bbuf blocks = {0};
    uint8_t h[PCAPINDEX_HDR_LEN] = {0};
    int rc = -1;
    if (!dir || !hosts || !ports)
        goto out;
    for (size_t i = 0; i < ns; i++) {
        if (block_encode(b, &b->s[i], compress, &blocks, dir + i * PI_DIR_LEN) < 0)
            goto out;
        tab_add_session(&b->s[i].key, (uint32_t)i, hosts, &nh, ports, &np);
    }
    if (nh > 0)
        qsort(hosts, nh, PI_HOST_PAIR, host_cmp);
    if (np > 0)
        qsort(ports, np, PI_PORT_PAIR, port_cmp);
    hents = calloc(nh ? nh : 1, PI_HOST_LEN);
    pents = calloc(np ? np : 1, PI_PORT_LEN);
    if (!hents || !pents ||
        postings_group(hosts, nh, PI_HOST_PAIR, PI_HOST_KEY, PI_HOST_POST, hents, &nh, &blocks) < 0 ||
        postings_group(ports, np, PI_PORT_PAIR, PI_PORT_KEY, PI_PORT_POST, pents, &np, &blocks) < 0)
        goto out;
    image_header(b, pcap_bytes, h);
    if (bbuf_put(out, h, sizeof(h)) < 0 ||
        tab_emit(out, h, PI_TAB_DIR, dir, ns, PI_DIR_LEN, PI_DIR_KEY) < 0 ||
        tab_emit(out, h, PI_TAB_HOSTS, hents, nh, PI_HOST_LEN, PI_HOST_KEY) < 0 ||
        tab_emit(out, h, PI_TAB_PORTS, pents, np, PI_PORT_LEN, PI_PORT_KEY) < 0)
        goto out;
    le_put(h + PI_HDR_BLOCKS, out->len - start, 8);
    le_put(h + PI_HDR_BLOCKS + 8, blocks.len, 8);
    if (bbuf_put(out, blocks.p, blocks.len) < 0)
        goto out;
    le_put(h + PI_HDR_CRC, crc32(0, h, PI_HDR_CRC), 4);
    memcpy(out->p + start, h, sizeof(h));
    rc = 0;
out:
    free(dir);
    free(hosts);
    free(ports);
    free(hents);
    free(pents);
    free(blocks.p);
    return rc;
}

/* Write data to path atomically: path.tmp, fsync, rename, fsync the dir. */
static int write_atomic(const char *path, const uint8_t *data, size_t len, char *err,
                        size_t errlen)
{
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(err, errlen, "cannot create the index %s: %s", tmp, strerror(errno));
        return -1;
    }
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            snprintf(err, errlen, "cannot write the index %s: %s", tmp,
                     w < 0 ? strerror(errno) : "short write");
            close(fd);
            unlink(tmp);
            return -1;
        }
        off += (size_t)w;
    }
    if (fsync(fd) < 0 || close(fd) < 0) {
        snprintf(err, errlen, "cannot sync the index %s: %s", tmp, strerror(errno));
        unlink(tmp);
        return -1;
    }
    if (rename(tmp, path) < 0) {
        snprintf(err, errlen, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s", path);
    char *sl = strrchr(dir, '/');
    if (sl) {
        *sl = '\0';
        int dfd = open(sl == dir ? "/" : dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
    }
    return 0;
}

int pcapindex_builder_write(struct pcapindex_builder *b, const char *idx_path,
                            uint64_t pcap_bytes, bool compress, uint64_t *idx_bytes, char *err,
                            size_t errlen)
{
    struct bbuf out = {0};
    if (pcapindex_builder_image(b, pcap_bytes, compress, &out) < 0) {
        free(out.p);
        snprintf(err, errlen, "out of memory writing the index %s", idx_path);
        return -1;
    }
    int rc = write_atomic(idx_path, out.p, out.len, err, errlen);
    if (idx_bytes)
        *idx_bytes = out.len;
    free(out.p);
    return rc;
}
