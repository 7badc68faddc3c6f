/*
 * pcapindex.c - the per-file flow index of the full-content archive:
 * building it (in memory, as packets are written), its journal for the
 * open file, writing the closed file's .idx atomically, reading either
 * back, and rebuilding it from the packets when it is missing or damaged.
 * The formats are drawn in pcapindex.h.
 *
 * Owns: the builder (one hash table uid -> session, each session's packet
 * list already delta/varint encoded as it grows, so memory is about what
 * the body will be), the reader (sessions sorted by uid, one array of
 * decoded packets) and the pcap record walker used by recovery and by
 * rebuilds.  Rebuilding runs the real decoder and flow table over the file,
 * so the uids are those a `vigil analyze` of that file gives.
 */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "decode/decode.h"
#include "flow/flow.h"
#include "store/pcapindex.h"

/* ---- growable byte buffer and varints ---- */

struct bbuf {
    uint8_t *p;
    size_t len, cap;
};

static int bbuf_reserve(struct bbuf *b, size_t more)
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

static int bbuf_put(struct bbuf *b, const void *d, size_t n)
{
    if (bbuf_reserve(b, n) < 0)
        return -1;
    memcpy(b->p + b->len, d, n);
    b->len += n;
    return 0;
}

static int bbuf_varint(struct bbuf *b, uint64_t v)
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

static uint64_t zigzag(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static int64_t unzigzag(uint64_t v)
{
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

static void le_put(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t le_get(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* Bounds-checked reads of a body or journal payload. */
struct rd {
    const uint8_t *p, *end;
    int bad;
};

static uint64_t rd_varint(struct rd *r)
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

static const uint8_t *rd_bytes(struct rd *r, size_t n)
{
    if ((size_t)(r->end - r->p) < n) {
        r->bad = 1;
        return NULL;
    }
    const uint8_t *p = r->p;
    r->p += n;
    return p;
}

static uint8_t rd_u8(struct rd *r)
{
    const uint8_t *p = rd_bytes(r, 1);
    return p ? *p : 0;
}

/* ---- session keys ---- */

static int key_put(struct bbuf *b, const char *uid, const struct pcapindex_key *k)
{
    size_t ul = strnlen(uid, 23);
    size_t al = k->family == 6 ? 16 : 4;
    uint8_t t[2 + 32 + 4];
    uint8_t u8l = (uint8_t)ul;
    if (bbuf_put(b, &u8l, 1) < 0 || bbuf_put(b, uid, ul) < 0)
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

static void key_get(struct rd *r, char uid[24], struct pcapindex_key *k)
{
    uint8_t ul = rd_u8(r);
    const uint8_t *u = ul <= 23 ? rd_bytes(r, ul) : NULL;
    if (!u) {
        r->bad = 1;
        return;
    }
    memcpy(uid, u, ul);
    uid[ul] = '\0';
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
        key_put(&b->jpend, s->uid, &s->key);
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

/* Header + (compressed) body of the builder's sessions.  The session table
 * is sorted in place, so the builder takes no more packets afterwards. */
static int builder_serialize(struct pcapindex_builder *b, uint64_t pcap_bytes, bool compress,
                             struct bbuf *out)
{
    struct bbuf body = {0};
    qsort(b->s, b->ns, sizeof(*b->s), bsess_cmp);
    b->ns = b->ns; /* the hash table is stale from here on */
    memset(b->tab, 0, b->tabcap * sizeof(*b->tab));
    for (size_t i = 0; i < b->ns; i++) {
        struct bsess *s = &b->s[i];
        if (key_put(&body, s->uid, &s->key) < 0 || bbuf_varint(&body, s->n) < 0)
            goto fail;
        /* the first packet's time: rebased from base_ns to the file's first_ns */
        struct rd r = {s->pk.p, s->pk.p + s->pk.len, 0};
        uint64_t off0 = rd_varint(&r);
        int64_t ts0 = b->base_ns + unzigzag(rd_varint(&r));
        if (s->n && (r.bad || bbuf_varint(&body, off0) < 0 ||
                     bbuf_varint(&body, zigzag(ts0 - b->first_ns)) < 0 ||
                     bbuf_put(&body, r.p, (size_t)(r.end - r.p)) < 0))
            goto fail;
    }
    const uint8_t *stored = body.p;
    size_t stored_len = body.len;
    uint8_t *z = NULL;
    uint32_t flags = 0;
    if (compress && body.len > 0) {
        uLongf zl = compressBound((uLong)body.len);
        z = malloc(zl);
        if (z && compress2(z, &zl, body.p, (uLong)body.len, 6) == Z_OK && zl < body.len) {
            stored = z;
            stored_len = zl;
            flags |= PCAPINDEX_F_ZLIB;
        }
    }
    uint8_t h[PCAPINDEX_HDR_LEN] = {0};
    memcpy(h, PCAPINDEX_MAGIC, 8);
    le_put(h + 8, PCAPINDEX_VERSION, 4);
    le_put(h + 12, flags, 4);
    le_put(h + 16, (uint64_t)b->first_ns, 8);
    le_put(h + 24, (uint64_t)b->last_ns, 8);
    le_put(h + 32, pcap_bytes, 8);
    le_put(h + 40, b->packets, 8);
    le_put(h + 48, b->ns, 8);
    le_put(h + 56, stored_len, 8);
    le_put(h + 64, body.len, 8);
    le_put(h + 72, b->linktype, 4);
    le_put(h + 76, crc32(0, stored, (uInt)stored_len), 4);
    int rc = bbuf_put(out, h, sizeof(h)) < 0 || bbuf_put(out, stored, stored_len) < 0 ? -1 : 0;
    free(z);
    free(body.p);
    return rc;
fail:
    free(body.p);
    return -1;
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
    if (builder_serialize(b, pcap_bytes, compress, &out) < 0) {
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

/* ---- reader ---- */

struct pcapindex {
    struct pcapindex_info info;
    struct pcapindex_session *s;
    size_t ns;
    struct pcapindex_pkt *pkts;
    size_t npkts;
};

void pcapindex_free(struct pcapindex *ix)
{
    if (!ix)
        return;
    free(ix->s);
    free(ix->pkts);
    free(ix);
}

/* Parse a raw (inflated) body into ix.  0, or -1 when it is malformed. */
static int index_parse_body(struct pcapindex *ix, const uint8_t *p, size_t len, uint64_t nsess)
{
    struct rd r = {p, p + len, 0};
    if (nsess > len / 8 + 1)
        return -1;
    ix->s = calloc(nsess ? nsess : 1, sizeof(*ix->s));
    size_t cap = 1024, np = 0;
    ix->pkts = malloc(cap * sizeof(*ix->pkts));
    if (!ix->s || !ix->pkts)
        return -1;
    for (uint64_t i = 0; i < nsess && !r.bad; i++) {
        struct pcapindex_session *s = &ix->s[i];
        key_get(&r, s->uid, &s->key);
        uint64_t n = rd_varint(&r);
        if (r.bad || n > (uint64_t)(r.end - r.p) / 2 + 1)
            return -1;
        s->n_pkts = (uint32_t)n;
        s->pkts = (const void *)(uintptr_t)np; /* index into pkts until the end */
        uint64_t off = 0;
        int64_t ts = ix->info.first_ns;
        for (uint64_t k = 0; k < n && !r.bad; k++) {
            off += rd_varint(&r);
            ts += unzigzag(rd_varint(&r));
            if (np == cap) {
                cap *= 2;
                struct pcapindex_pkt *g = realloc(ix->pkts, cap * sizeof(*g));
                if (!g)
                    return -1;
                ix->pkts = g;
            }
            ix->pkts[np].offset = off;
            ix->pkts[np].ts_ns = ts;
            np++;
        }
    }
    if (r.bad)
        return -1;
    ix->ns = nsess;
    ix->npkts = np;
    for (size_t i = 0; i < ix->ns; i++)
        ix->s[i].pkts = ix->pkts + (uintptr_t)ix->s[i].pkts;
    return 0;
}

static int read_whole(const char *path, struct bbuf *b)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) < 0 || bbuf_reserve(b, (size_t)st.st_size + 1) < 0) {
        close(fd);
        return -1;
    }
    for (;;) {
        if (bbuf_reserve(b, 65536) < 0)
            break;
        ssize_t n = read(fd, b->p + b->len, b->cap - b->len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            close(fd);
            return n < 0 ? -1 : 0;
        }
        b->len += (size_t)n;
    }
    close(fd);
    return -1;
}

static int info_from_hdr(const uint8_t *h, size_t len, struct pcapindex_info *info)
{
    if (len < PCAPINDEX_HDR_LEN || memcmp(h, PCAPINDEX_MAGIC, 8) != 0 ||
        le_get(h + 8, 4) != PCAPINDEX_VERSION)
        return -1;
    memset(info, 0, sizeof(*info));
    info->first_ns = (int64_t)le_get(h + 16, 8);
    info->last_ns = (int64_t)le_get(h + 24, 8);
    info->pcap_bytes = le_get(h + 32, 8);
    info->packets = le_get(h + 40, 8);
    info->sessions = le_get(h + 48, 8);
    info->linktype = (uint32_t)le_get(h + 72, 4);
    return 0;
}

/* Read a closed file's .idx.  0, or -1 when missing or damaged. */
static int index_load_idx(const char *idx_path, struct pcapindex *ix)
{
    struct bbuf f = {0};
    uint8_t *raw = NULL;
    int rc = -1;
    if (read_whole(idx_path, &f) < 0 || info_from_hdr(f.p, f.len, &ix->info) < 0)
        goto out;
    uint32_t flags = (uint32_t)le_get(f.p + 12, 4);
    uint64_t body_len = le_get(f.p + 56, 8), raw_len = le_get(f.p + 64, 8);
    const uint8_t *body = f.p + PCAPINDEX_HDR_LEN;
    if (body_len != f.len - PCAPINDEX_HDR_LEN ||
        crc32(0, body, (uInt)body_len) != (uint32_t)le_get(f.p + 76, 4))
        goto out;
    if (flags & PCAPINDEX_F_ZLIB) {
        if (raw_len > (uint64_t)1 << 34)
            goto out;
        raw = malloc(raw_len ? raw_len : 1);
        uLongf rl = (uLongf)raw_len;
        if (!raw || uncompress(raw, &rl, body, (uLong)body_len) != Z_OK || rl != raw_len)
            goto out;
        body = raw;
        body_len = raw_len;
    }
    rc = index_parse_body(ix, body, body_len, ix->info.sessions);
out:
    free(raw);
    free(f.p);
    return rc;
}

/* Replay journal frames into b (packets with offset < max_off only).
 * *last_off: offset of the last packet taken (0 when none).  Returns the
 * number of packets taken, -1 when the journal is missing or unusable. */
static long journal_replay(const uint8_t *p, size_t len, struct pcapindex_builder **bp,
                           uint64_t max_off, uint64_t *last_off)
{
    long taken = 0;
    char (*uids)[24] = NULL;
    struct pcapindex_key *keys = NULL;
    size_t nk = 0, capk = 0;
    *last_off = 0;
    size_t pos = 0;
    while (pos + 8 <= len) {
        uint64_t fl = le_get(p + pos, 4);
        if (fl > len - pos - 8 || crc32(0, p + pos + 8, (uInt)fl) != le_get(p + pos + 4, 4))
            break;
        struct rd r = {p + pos + 8, p + pos + 8 + fl, 0};
        pos += 8 + fl;
        while (r.p < r.end && !r.bad) {
            uint8_t t = rd_u8(&r);
            if (t == 'H') {
                const uint8_t *h = rd_bytes(&r, 12);
                uint8_t sl = rd_u8(&r);
                const uint8_t *sn = rd_bytes(&r, sl);
                if (!h || !sn || *bp)
                    break;
                char sensor[64];
                snprintf(sensor, sizeof(sensor), "%.*s", (int)sl, (const char *)sn);
                *bp = pcapindex_builder_new((uint32_t)le_get(h, 4), (int64_t)le_get(h + 4, 8),
                                            sensor, false);
                if (!*bp)
                    goto fail;
            } else if (t == 'S') {
                uint64_t no = rd_varint(&r);
                if (no != nk)
                    r.bad = 1;
                if (nk == capk) {
                    capk = capk ? capk * 2 : 256;
                    void *u = realloc(uids, capk * sizeof(*uids));
                    void *k = u ? realloc(keys, capk * sizeof(*keys)) : NULL;
                    if (u)
                        uids = u;
                    if (!k)
                        goto fail;
                    keys = k;
                }
                key_get(&r, uids[nk], &keys[nk]);
                nk++;
            } else if (t == 'P' && *bp) {
                uint64_t off = rd_varint(&r);
                const uint8_t *ts = rd_bytes(&r, 8);
                uint8_t n = rd_u8(&r);
                struct pcapindex_ref refs[PCAPINDEX_MAX_REFS];
                if (!ts || n > PCAPINDEX_MAX_REFS) {
                    r.bad = 1;
                    break;
                }
                for (int i = 0; i < n; i++) {
                    uint64_t no = rd_varint(&r);
                    if (no >= nk) {
                        r.bad = 1;
                        break;
                    }
                    refs[i].uid = uids[no];
                    refs[i].key = keys[no];
                }
                if (r.bad || off >= max_off)
                    break;
                if (pcapindex_builder_add(*bp, off, (int64_t)le_get(ts, 8), refs, n) < 0)
                    goto fail;
                *last_off = off;
                taken++;
            } else {
                r.bad = 1;
            }
        }
        if (r.bad)
            break;
    }
    free(uids);
    free(keys);
    return *bp ? taken : -1;
fail:
    free(uids);
    free(keys);
    return -1;
}

/* ---- pcap files ---- */

static uint32_t get32(const uint8_t *p, bool swapped)
{
    return swapped ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
                   : (uint32_t)le_get(p, 4);
}

int pcapfile_parse_hdr(const uint8_t *b, size_t len, struct pcapfile_hdr *h)
{
    if (len < PCAPFILE_HDR_LEN)
        return -1;
    uint32_t m = (uint32_t)le_get(b, 4);
    memset(h, 0, sizeof(*h));
    if (m == 0xa1b2c3d4u || m == 0xa1b23c4du) {
        h->nano = m == 0xa1b23c4du;
    } else if (m == 0xd4c3b2a1u || m == 0x4d3cb2a1u) {
        h->swapped = true;
        h->nano = m == 0x4d3cb2a1u;
    } else {
        return -1;
    }
    h->snaplen = get32(b + 16, h->swapped);
    h->linktype = get32(b + 20, h->swapped) & 0x0fffffff;
    return 0;
}

void pcapfile_parse_rec(const struct pcapfile_hdr *h, const uint8_t *b, struct pcapfile_rec *r)
{
    uint32_t sec = get32(b, h->swapped), frac = get32(b + 4, h->swapped);
    r->ts_ns = (int64_t)sec * 1000000000 + (int64_t)frac * (h->nano ? 1 : 1000);
    r->caplen = get32(b + 8, h->swapped);
    r->wirelen = get32(b + 12, h->swapped);
}

/* A record header that cannot be real: the tail of a crashed write. */
static bool rec_implausible(const struct pcapfile_hdr *h, const struct pcapfile_rec *r,
                            const uint8_t *raw)
{
    uint32_t frac = get32(raw + 4, h->swapped);
    uint32_t snap = h->snaplen > PCAPFILE_SNAPLEN ? h->snaplen : PCAPFILE_SNAPLEN;
    return r->caplen > snap || frac >= (h->nano ? 1000000000u : 1000000u) ||
           (r->wirelen && r->caplen > r->wirelen);
}

int pcapfile_walk(const char *path, struct pcapfile_hdr *hdr, pcapfile_rec_fn cb, void *ctx,
                  uint64_t *good_end, char *err, size_t errlen)
{
    *good_end = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    setvbuf(f, NULL, _IOFBF, 1 << 20);
    uint8_t h[PCAPFILE_HDR_LEN], rh[PCAPFILE_REC_LEN];
    uint8_t *data = malloc(PCAPFILE_SNAPLEN > 1 << 20 ? PCAPFILE_SNAPLEN : 1 << 20);
    int rc = -1;
    if (!data) {
        snprintf(err, errlen, "out of memory reading %s", path);
        goto out;
    }
    size_t got = fread(h, 1, sizeof(h), f);
    if (got < sizeof(h) || pcapfile_parse_hdr(h, sizeof(h), hdr) < 0) {
        if (got < sizeof(h) && !ferror(f)) { /* a file cut inside its header */
            rc = 1;
            goto out;
        }
        snprintf(err, errlen, "%s is not a pcap file (bad file header)", path);
        goto out;
    }
    uint64_t off = PCAPFILE_HDR_LEN;
    *good_end = off;
    for (;;) {
        got = fread(rh, 1, sizeof(rh), f);
        if (got == 0 && !ferror(f)) {
            rc = 0;
            break;
        }
        struct pcapfile_rec r;
        if (got < sizeof(rh) || (pcapfile_parse_rec(hdr, rh, &r), rec_implausible(hdr, &r, rh)) ||
            fread(data, 1, r.caplen, f) < r.caplen) {
            rc = ferror(f) ? -1 : 1;
            if (rc < 0)
                snprintf(err, errlen, "cannot read %s at byte %llu: %s", path,
                         (unsigned long long)off, strerror(errno));
            break;
        }
        if (cb && cb(ctx, off, &r, data) < 0) {
            snprintf(err, errlen, "out of memory indexing %s", path);
            rc = -1;
            break;
        }
        off += PCAPFILE_REC_LEN + r.caplen;
        *good_end = off;
    }
out:
    free(data);
    fclose(f);
    return rc;
}

/* ---- rebuilding from the packets ---- */

struct rebuild {
    struct pcapindex_builder *b;
    struct decoder *dec;
    struct flow_table *ft;
    uint32_t linktype;
    uint64_t skip_below; /* packets before this offset are already indexed (journal) */
    int primed;          /* the flow table saw the first packet after skip_below */
};

static void rebuild_emit(void *ctx, const struct conn_record *rec)
{
    (void)ctx;
    (void)rec;
}

/* The key of the session of packet layer `layer`, as the archive stores it. */
void pcapindex_key_from_layer(const struct packet *pkt, int layer, struct pcapindex_key *k)
{
    const struct pkt_ip *ip = &pkt->layer[layer];
    memset(k, 0, sizeof(*k));
    k->proto = ip->proto;
    k->family = ip->version == 6 ? 6 : 4;
    memcpy(k->a, ip->src, 16);
    memcpy(k->b, ip->dst, 16);
    if (ip->proto == 1 || ip->proto == 58) {
        k->port_a = ip->t.icmp_type;
        k->port_b = ip->t.icmp_code;
    } else {
        k->port_a = ip->t.sport;
        k->port_b = ip->t.dport;
    }
}

static int rebuild_rec(void *ctx, uint64_t offset, const struct pcapfile_rec *r,
                       const uint8_t *data)
{
    struct rebuild *rb = ctx;
    if (offset < rb->skip_below)
        return 0;
    struct packet pkt;
    memset(&pkt, 0, sizeof(pkt));
    pkt.ts_sec = r->ts_ns / 1000000000;
    pkt.ts_nsec = (uint32_t)(r->ts_ns % 1000000000);
    pkt.caplen = r->caplen;
    pkt.wirelen = r->wirelen;
    pkt.linktype = (int)rb->linktype;
    pkt.data = data;
    pkt.origin_offset = (int64_t)offset;
    decode_packet(rb->dec, &pkt);
    struct flow_packet_refs fr;
    flow_table_packet_refs(rb->ft, &pkt, &fr);
    struct pcapindex_ref refs[PCAPINDEX_MAX_REFS];
    for (int i = 0; i < fr.n; i++) {
        refs[i].uid = fr.ref[i].uid;
        pcapindex_key_from_layer(&pkt, fr.ref[i].layer, &refs[i].key);
    }
    if (!rb->b) {
        rb->b = pcapindex_builder_new(rb->linktype, r->ts_ns, NULL, false);
        if (!rb->b)
            return -1;
    }
    return pcapindex_builder_add(rb->b, offset, r->ts_ns, refs, fr.n);
}

/* Sensor from "<dir>/<sensor>.<epoch>.pcap", else "vigil". */
static void sensor_from_name(const char *path, char *out, size_t outlen)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strchr(base, '.');
    if (dot && dot > base)
        snprintf(out, outlen, "%.*s", (int)(dot - base), base);
    else
        snprintf(out, outlen, "vigil");
}

/* Index the packets of pcap_path at or after skip_below into *bp (created
 * when NULL).  0 on success (the file may end in a partial record: then
 * *good_end says where its whole records end), <0 with a sentence. */
static int index_rebuild(const char *pcap_path, const char *sensor, uint64_t skip_below,
                         struct pcapindex_builder **bp, uint64_t *good_end, int *partial,
                         char *err, size_t errlen)
{
    char sn[64];
    if (!sensor)
        sensor_from_name(pcap_path, sn, sizeof(sn));
    struct rebuild rb = {.b = *bp, .skip_below = skip_below};
    struct decode_config dc;
    decode_config_default(&dc);
    dc.reassemble = 1;
    struct flow_config fc;
    flow_config_default(&fc);
    rb.dec = decoder_new(&dc);
    rb.ft = rb.dec ? flow_table_new(&fc, sensor ? sensor : sn, rebuild_emit, NULL, err, errlen)
                   : NULL;
    if (!rb.ft) {
        if (!rb.dec)
            snprintf(err, errlen, "out of memory indexing %s", pcap_path);
        decoder_free(rb.dec);
        return -1;
    }
    struct pcapfile_hdr h;
    /* the link type is needed before the first callback: peek the header */
    uint8_t hb[PCAPFILE_HDR_LEN];
    FILE *f = fopen(pcap_path, "rb");
    if (f) {
        if (fread(hb, 1, sizeof(hb), f) == sizeof(hb) && pcapfile_parse_hdr(hb, sizeof(hb), &h) == 0)
            rb.linktype = h.linktype;
        fclose(f);
    }
    int rc = pcapfile_walk(pcap_path, &h, rebuild_rec, &rb, good_end, err, errlen);
    flow_table_free(rb.ft);
    decoder_free(rb.dec);
    *bp = rb.b;
    if (rc < 0)
        return -1;
    *partial = rc == 1;
    if (!*bp) { /* no packets at all */
        *bp = pcapindex_builder_new(rb.linktype, 0, sensor ? sensor : sn, false);
        if (!*bp) {
            snprintf(err, errlen, "out of memory indexing %s", pcap_path);
            return -1;
        }
    }
    return 0;
}

/* Turn a builder into a reader (serialize + parse: one code path for all). */
static int index_from_builder(struct pcapindex_builder *b, uint64_t pcap_bytes,
                              struct pcapindex *ix)
{
    struct bbuf out = {0};
    int rc = -1;
    if (builder_serialize(b, pcap_bytes, false, &out) == 0 &&
        info_from_hdr(out.p, out.len, &ix->info) == 0)
        rc = index_parse_body(ix, out.p + PCAPINDEX_HDR_LEN, out.len - PCAPINDEX_HDR_LEN,
                              ix->info.sessions);
    free(out.p);
    return rc;
}

static uint64_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* The open file: its journal, plus a rebuild of the packets written since
 * the journal's last flush.  0, or -1 when there is no usable journal. */
static int index_load_journal(const char *pcap_path, const char *sensor, struct pcapindex *ix,
                              char *err, size_t errlen)
{
    char jp[4096];
    snprintf(jp, sizeof(jp), "%s.idx.open", pcap_path);
    struct bbuf j = {0};
    struct pcapindex_builder *b = NULL;
    uint64_t last_off, good_end = 0;
    int partial = 0, rc = -1;
    uint64_t size = file_size(pcap_path);
    if (read_whole(jp, &j) < 0 || journal_replay(j.p, j.len, &b, size, &last_off) < 0)
        goto out;
    if (index_rebuild(pcap_path, sensor, last_off + 1, &b, &good_end, &partial, err, errlen) < 0)
        goto out;
    rc = index_from_builder(b, good_end, ix);
    ix->info.open = true;
    ix->info.last_ns = INT64_MAX;
out:
    pcapindex_builder_free(b);
    free(j.p);
    return rc;
}

int pcapindex_open(const char *pcap_path, const struct pcapindex_open_opts *opts,
                   struct pcapindex **out, char *err, size_t errlen)
{
    char p[4096];
    *out = NULL;
    struct pcapindex *ix = calloc(1, sizeof(*ix));
    if (!ix) {
        snprintf(err, errlen, "out of memory opening the index of %s", pcap_path);
        return -1;
    }
    const char *sensor = opts ? opts->sensor : NULL;
    snprintf(p, sizeof(p), "%s.idx", pcap_path);
    if (index_load_idx(p, ix) == 0)
        goto done;
    pcapindex_free(ix);
    ix = calloc(1, sizeof(*ix));
    if (!ix)
        return -1;
    if (index_load_journal(pcap_path, sensor, ix, err, errlen) == 0)
        goto done;
    pcapindex_free(ix);
    ix = calloc(1, sizeof(*ix));
    struct pcapindex_builder *b = NULL;
    uint64_t good_end;
    int partial;
    if (!ix || index_rebuild(pcap_path, sensor, 0, &b, &good_end, &partial, err, errlen) < 0 ||
        index_from_builder(b, good_end, ix) < 0) {
        if (b && err[0] == '\0')
            snprintf(err, errlen, "cannot index %s", pcap_path);
        pcapindex_builder_free(b);
        pcapindex_free(ix);
        return -1;
    }
    ix->info.rebuilt = true;
    if (opts && opts->write_rebuilt && !partial) {
        /* index_from_builder sorted b: serialize again for the file */
        if (pcapindex_builder_write(b, p, good_end, true, NULL, err, errlen) < 0) {
            pcapindex_builder_free(b);
            pcapindex_free(ix);
            return -1;
        }
    }
    pcapindex_builder_free(b);
done:
    *out = ix;
    return 0;
}

int pcapindex_read_info(const char *pcap_path, struct pcapindex_info *info, char *err,
                        size_t errlen)
{
    char p[4096];
    uint8_t h[PCAPINDEX_HDR_LEN];
    snprintf(p, sizeof(p), "%s.idx", pcap_path);
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t n = read(fd, h, sizeof(h));
        close(fd);
        if (n == (ssize_t)sizeof(h) && info_from_hdr(h, sizeof(h), info) == 0)
            return 0;
    }
    snprintf(p, sizeof(p), "%s.idx.open", pcap_path);
    fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        uint8_t j[8 + 14];
        ssize_t n = read(fd, j, sizeof(j));
        close(fd);
        if (n == (ssize_t)sizeof(j) && j[8] == 'H') {
            memset(info, 0, sizeof(*info));
            info->linktype = (uint32_t)le_get(j + 9, 4);
            info->first_ns = (int64_t)le_get(j + 13, 8);
            info->last_ns = INT64_MAX;
            info->pcap_bytes = file_size(pcap_path);
            info->open = true;
            return 0;
        }
    }
    snprintf(err, errlen, "%s has no usable index (%s.idx)", pcap_path, pcap_path);
    return -1;
}

int pcapindex_recover(const char *pcap_path, const char *sensor, uint64_t *cut_bytes,
                      char *err, size_t errlen)
{
    char jp[4096], ip[4096];
    snprintf(jp, sizeof(jp), "%s.idx.open", pcap_path);
    snprintf(ip, sizeof(ip), "%s.idx", pcap_path);
    *cut_bytes = 0;
    uint64_t size = file_size(pcap_path), good_end = 0, last_off = 0;
    int partial = 0;
    /* First cut the file after its last whole record. */
    struct pcapfile_hdr h;
    int w = pcapfile_walk(pcap_path, &h, NULL, NULL, &good_end, err, errlen);
    if (w < 0)
        return -1;
    if (w == 1 || good_end < size) {
        if (good_end < PCAPFILE_HDR_LEN) { /* not even a whole header: nothing to keep */
            unlink(pcap_path);
            unlink(jp);
            *cut_bytes = size;
            return 0;
        }
        if (truncate(pcap_path, (off_t)good_end) < 0) {
            snprintf(err, errlen, "cannot cut %s back to its last whole packet (byte %llu): %s",
                     pcap_path, (unsigned long long)good_end, strerror(errno));
            return -1;
        }
        *cut_bytes = size - good_end;
    }
    struct bbuf j = {0};
    struct pcapindex_builder *b = NULL;
    if (read_whole(jp, &j) < 0 || journal_replay(j.p, j.len, &b, good_end, &last_off) <= 0) {
        pcapindex_builder_free(b);
        b = NULL;
        last_off = 0;
    }
    free(j.p);
    int rc = index_rebuild(pcap_path, sensor, b ? last_off + 1 : 0, &b, &good_end, &partial,
                           err, errlen);
    if (rc == 0)
        rc = pcapindex_builder_write(b, ip, good_end, true, NULL, err, errlen);
    pcapindex_builder_free(b);
    if (rc == 0)
        unlink(jp);
    return rc;
}

/* ---- queries ---- */

void pcapindex_get_info(const struct pcapindex *ix, struct pcapindex_info *info)
{
    *info = ix->info;
}

size_t pcapindex_session_count(const struct pcapindex *ix)
{
    return ix->ns;
}

const struct pcapindex_session *pcapindex_session_at(const struct pcapindex *ix, size_t i)
{
    return i < ix->ns ? &ix->s[i] : NULL;
}

const struct pcapindex_session *pcapindex_find_uid(const struct pcapindex *ix, const char *uid)
{
    size_t lo = 0, hi = ix->ns;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(ix->s[mid].uid, uid);
        if (c == 0)
            return &ix->s[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static bool addr_eq(const struct pcapindex_key *k, const uint8_t *side, uint8_t fam,
                    const uint8_t *want)
{
    return k->family == fam && memcmp(side, want, fam == 6 ? 16 : 4) == 0;
}

bool pcapindex_session_matches(const struct pcapindex_session *s, const struct pcapindex_match *m)
{
    const struct pcapindex_key *k = &s->key;
    if (m->has_proto && k->proto != m->proto)
        return false;
    /* try both orientations: side a as "first", then side b */
    for (int o = 0; o < 2; o++) {
        const uint8_t *x = o ? k->b : k->a, *y = o ? k->a : k->b;
        uint16_t px = o ? k->port_b : k->port_a, py = o ? k->port_a : k->port_b;
        bool ok = true;
        if (m->has_host && m->has_host2)
            ok = addr_eq(k, x, m->host_family, m->host) && addr_eq(k, y, m->host2_family, m->host2);
        else if (m->has_host)
            ok = addr_eq(k, x, m->host_family, m->host);
        if (ok && m->has_port && m->has_port2)
            ok = px == m->port && py == m->port2;
        else if (ok && m->has_port && (m->has_host && !m->has_host2))
            ok = px == m->port || py == m->port; /* host A and port P: either port */
        else if (ok && m->has_port)
            ok = px == m->port;
        if (ok)
            return true;
    }
    return false;
}

static int pkt_cmp(const void *x, const void *y)
{
    const struct pcapindex_pkt *a = x, *b = y;
    return a->offset < b->offset ? -1 : a->offset > b->offset;
}

int pcapindex_select(const struct pcapindex *ix, const struct pcapindex_match *m,
                     struct pcapindex_pkt **pkts, size_t *n, const char ***uids, size_t *nuids)
{
    size_t total = 0, nu = 0;
    *pkts = NULL;
    *n = 0;
    if (uids) {
        *uids = NULL;
        *nuids = 0;
    }
    for (size_t i = 0; i < ix->ns; i++)
        if (pcapindex_session_matches(&ix->s[i], m)) {
            total += ix->s[i].n_pkts;
            nu++;
        }
    struct pcapindex_pkt *p = malloc((total ? total : 1) * sizeof(*p));
    const char **u = uids ? malloc((nu ? nu : 1) * sizeof(*u)) : NULL;
    if (!p || (uids && !u)) {
        free(p);
        free(u);
        return -1;
    }
    size_t k = 0, ku = 0;
    for (size_t i = 0; i < ix->ns; i++)
        if (pcapindex_session_matches(&ix->s[i], m)) {
            memcpy(p + k, ix->s[i].pkts, ix->s[i].n_pkts * sizeof(*p));
            k += ix->s[i].n_pkts;
            if (u)
                u[ku++] = ix->s[i].uid;
        }
    qsort(p, k, sizeof(*p), pkt_cmp);
    size_t w = 0;
    for (size_t i = 0; i < k; i++)
        if (w == 0 || p[w - 1].offset != p[i].offset)
            p[w++] = p[i];
    *pkts = p;
    *n = w;
    if (uids) {
        *uids = u;
        *nuids = ku;
    }
    return 0;
}
