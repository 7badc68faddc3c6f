/*
 * pcapindex_read.c - reading a file's .idx (v2, drawn in pcapindex.h)
 * without reading all of it: the image is mmap'd (or, for an open file's
 * journal and for rebuilds, an image built in memory), the header and each
 * table's fences are checked when it is opened, and a lookup touches only
 * the pages and blocks it needs:
 *
 *   uid ──► fences of the directory (binary search) ──► one 64-entry page
 *       (CRC checked once) ──► binary search in it ──► the session's block
 *       (CRC checked, inflated when deflated) ──► its packets
 *
 *   host / port ──► the same over the hosts or ports table: the entry of
 *       that key names a posting list of session numbers (CRC checked)
 *       ──► their blocks, whose keys are matched against the whole query
 *
 * A page or block whose CRC fails marks the index damaged
 * (pcapindex_damaged): the caller reopens with a rebuild.
 *
 * Owns: the mapping or image, the page check marks and the sessions it
 * decoded (each one malloc: struct + packets, kept until pcapindex_free).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <zlib.h>

#include "store/pcapindex_int.h"

#define PI_MAX_RAW (1u << 30) /* an inflated block larger than this is damage */

struct pi_tab {
    const uint8_t *e;      /* entries */
    const uint8_t *fences; /* n_pages x (key, crc32) */
    uint64_t n, n_pages;
    uint32_t elen, klen;
    uint8_t *checked;      /* per page: 0 not yet, 1 good, 2 bad */
};

struct pcapindex {
    struct pcapindex_info info;
    const uint8_t *img;
    size_t len;
    bool mapped;
    struct pi_tab tab[PI_NTAB];
    const uint8_t *blocks;
    uint64_t blocks_len;
    bool damaged;
    struct pcapindex_session **dec; /* per session number, decoded on first use */
};

int pcapindex_info_from_hdr(const uint8_t *h, size_t len, struct pcapindex_info *info)
{
    if (len < PCAPINDEX_HDR_LEN || memcmp(h, PCAPINDEX_MAGIC, 8) != 0 ||
        le_get(h + 8, 4) != PCAPINDEX_VERSION ||
        crc32(0, h, PI_HDR_CRC) != (uint32_t)le_get(h + PI_HDR_CRC, 4))
        return -1;
    memset(info, 0, sizeof(*info));
    info->first_ns = (int64_t)le_get(h + 16, 8);
    info->last_ns = (int64_t)le_get(h + 24, 8);
    info->pcap_bytes = le_get(h + 32, 8);
    info->packets = le_get(h + 40, 8);
    info->sessions = le_get(h + 48, 8);
    info->linktype = (uint32_t)le_get(h + 56, 4);
    return 0;
}

/* Table t from the header: in bounds, the expected entry shape, fences' CRC. */
static int tab_load(struct pcapindex *ix, int t, uint32_t elen, uint32_t klen)
{
    const uint8_t *d = ix->img + PI_HDR_TAB + t * PI_TAB_DESC;
    struct pi_tab *tb = &ix->tab[t];
    uint64_t off = le_get(d, 8), n = le_get(d + 8, 8);
    tb->elen = (uint32_t)le_get(d + 20, 2);
    tb->klen = (uint32_t)le_get(d + 22, 2);
    if (tb->elen != elen || tb->klen != klen || off > ix->len || n > (ix->len - off) / elen)
        return -1;
    tb->n = n;
    tb->n_pages = (n + PI_PAGE - 1) / PI_PAGE;
    uint64_t flen = tb->n_pages * (klen + 4), fo = off + n * elen;
    if (flen > ix->len - fo)
        return -1;
    tb->e = ix->img + off;
    tb->fences = ix->img + fo;
    if (crc32(0, tb->fences, (uInt)flen) != (uint32_t)le_get(d + 16, 4))
        return -1;
    tb->checked = calloc(tb->n_pages ? tb->n_pages : 1, 1);
    return tb->checked ? 0 : -1;
}

int pcapindex_from_image(const uint8_t *img, size_t len, bool mapped, struct pcapindex **out)
{
    struct pcapindex *ix = calloc(1, sizeof(*ix));
    *out = NULL;
    if (!ix)
        return -1;
    ix->img = img;
    ix->len = len;
    ix->mapped = mapped;
    if (pcapindex_info_from_hdr(img, len, &ix->info) < 0 ||
        le_get(img + 60, 4) != PI_PAGE ||
        tab_load(ix, PI_TAB_DIR, PI_DIR_LEN, PI_DIR_KEY) < 0 ||
        tab_load(ix, PI_TAB_HOSTS, PI_HOST_LEN, PI_HOST_KEY) < 0 ||
        tab_load(ix, PI_TAB_PORTS, PI_PORT_LEN, PI_PORT_KEY) < 0 ||
        ix->tab[PI_TAB_DIR].n != ix->info.sessions)
        goto fail;
    uint64_t bo = le_get(img + PI_HDR_BLOCKS, 8), bl = le_get(img + PI_HDR_BLOCKS + 8, 8);
    if (bo > len || bl > len - bo)
        goto fail;
    ix->blocks = img + bo;
    ix->blocks_len = bl;
    ix->dec = calloc(ix->info.sessions ? ix->info.sessions : 1, sizeof(*ix->dec));
    if (!ix->dec)
        goto fail;
    *out = ix;
    return 0;
fail:
    ix->img = NULL; /* the caller still owns the image */
    pcapindex_free(ix);
    return -1;
}

void pcapindex_free(struct pcapindex *ix)
{
    if (!ix)
        return;
    if (ix->dec)
        for (uint64_t i = 0; i < ix->info.sessions; i++)
            free(ix->dec[i]);
    free(ix->dec);
    for (int t = 0; t < PI_NTAB; t++)
        free(ix->tab[t].checked);
    if (ix->img && ix->mapped)
        munmap((void *)ix->img, ix->len);
    else
        free((void *)ix->img);
    free(ix);
}

void pcapindex_set_open(struct pcapindex *ix, bool open, bool rebuilt)
{
    ix->info.open = open;
    ix->info.rebuilt = rebuilt;
    if (open)
        ix->info.last_ns = INT64_MAX;
}

bool pcapindex_damaged(const struct pcapindex *ix)
{
    return ix->damaged;
}

void pcapindex_get_info(const struct pcapindex *ix, struct pcapindex_info *info)
{
    *info = ix->info;
}

size_t pcapindex_session_count(const struct pcapindex *ix)
{
    return (size_t)ix->info.sessions;
}

/* ---- paged tables ---- */

/* Entry i of a table, its page's CRC checked on first touch; NULL (and
 * the index marked damaged) when the page is bad. */
static const uint8_t *tab_entry(struct pcapindex *ix, struct pi_tab *tb, uint64_t i)
{
    uint64_t p = i / PI_PAGE;
    if (tb->checked[p] == 0) {
        uint64_t first = p * PI_PAGE, cnt = tb->n - first < PI_PAGE ? tb->n - first : PI_PAGE;
        const uint8_t *f = tb->fences + p * (tb->klen + 4);
        const uint8_t *pg = tb->e + first * tb->elen;
        bool ok = crc32(0, pg, (uInt)(cnt * tb->elen)) == (uint32_t)le_get(f + tb->klen, 4) &&
                  memcmp(f, pg, tb->klen) == 0;
        tb->checked[p] = ok ? 1 : 2;
    }
    if (tb->checked[p] != 1) {
        ix->damaged = true;
        return NULL;
    }
    return tb->e + i * tb->elen;
}

/* Index of the first entry whose key is >= key (n when none): the fences
 * say which page, a binary search in that page says where.  -1 damaged. */
static int64_t tab_lower_bound(struct pcapindex *ix, struct pi_tab *tb, const uint8_t *key)
{
    uint64_t lo = 0, hi = tb->n_pages; /* first fence >= key */
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (memcmp(tb->fences + mid * (tb->klen + 4), key, tb->klen) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return 0;
    uint64_t p = lo - 1, a = p * PI_PAGE, b = a + PI_PAGE < tb->n ? a + PI_PAGE : tb->n;
    while (a < b) {
        uint64_t mid = a + (b - a) / 2;
        const uint8_t *e = tab_entry(ix, tb, mid);
        if (!e)
            return -1;
        if (memcmp(e, key, tb->klen) < 0)
            a = mid + 1;
        else
            b = mid;
    }
    return (int64_t)a;
}

/* ---- sessions ---- */

/* Decode session sid's block (cached). NULL when damaged or out of memory. */
static const struct pcapindex_session *sess_get(struct pcapindex *ix, uint64_t sid)
{
    if (sid >= ix->info.sessions)
        return NULL;
    if (ix->dec[sid])
        return ix->dec[sid];
    const uint8_t *d = tab_entry(ix, &ix->tab[PI_TAB_DIR], sid);
    if (!d)
        return NULL;
    uint64_t bo = le_get(d + 40, 8), bl = le_get(d + 48, 4), n = le_get(d + 56, 4);
    if (bo > ix->blocks_len || bl > ix->blocks_len - bo || bl == 0 ||
        crc32(0, ix->blocks + bo, (uInt)bl) != (uint32_t)le_get(d + 52, 4) ||
        n > (uint64_t)1 << 31) {
        ix->damaged = true;
        return NULL;
    }
    struct rd r = {ix->blocks + bo + 1, ix->blocks + bo + bl, 0};
    uint8_t *raw = NULL;
    if (ix->blocks[bo] == PI_BLOCK_ZLIB) {
        uint64_t rl = rd_varint(&r);
        uLongf got = (uLongf)rl;
        raw = rl && rl <= PI_MAX_RAW ? malloc(rl) : NULL;
        if (r.bad || !raw || uncompress(raw, &got, r.p, (uLong)(r.end - r.p)) != Z_OK ||
            got != rl) {
            free(raw);
            ix->damaged = true;
            return NULL;
        }
        r.p = raw;
        r.end = raw + rl;
    } else if (ix->blocks[bo] != PI_BLOCK_RAW) {
        ix->damaged = true;
        return NULL;
    }
    struct pcapindex_session *s = NULL;
    if (n <= (uint64_t)(r.end - r.p))
        s = malloc(sizeof(*s) + n * sizeof(struct pcapindex_pkt));
    if (s) {
        struct pcapindex_pkt *pk = (struct pcapindex_pkt *)(s + 1);
        memset(s, 0, sizeof(*s));
        memcpy(s->uid, d, PI_DIR_KEY - 1);
        pcapindex_key_get(&r, NULL, &s->key);
        uint64_t off = 0;
        int64_t ts = (int64_t)le_get(d + 24, 8);
        for (uint64_t k = 0; k < n && !r.bad; k++) {
            off += rd_varint(&r);
            ts += unzigzag(rd_varint(&r));
            pk[k].offset = off;
            pk[k].ts_ns = ts;
        }
        s->n_pkts = (uint32_t)n;
        s->pkts = pk;
        if (r.bad || r.p != r.end) {
            free(s);
            s = NULL;
        }
    }
    if (!s)
        ix->damaged = true;
    free(raw);
    ix->dec[sid] = s;
    return s;
}

const struct pcapindex_session *pcapindex_session_at(struct pcapindex *ix, size_t i)
{
    return sess_get(ix, i);
}

const struct pcapindex_session *pcapindex_find_uid(struct pcapindex *ix, const char *uid)
{
    uint8_t key[PI_DIR_KEY] = {0};
    size_t ul = strlen(uid);
    if (ul >= PI_DIR_KEY)
        return NULL;
    memcpy(key, uid, ul);
    struct pi_tab *tb = &ix->tab[PI_TAB_DIR];
    int64_t i = tab_lower_bound(ix, tb, key);
    if (i < 0 || (uint64_t)i >= tb->n)
        return NULL;
    const uint8_t *e = tab_entry(ix, tb, (uint64_t)i);
    if (!e || memcmp(e, key, PI_DIR_KEY) != 0)
        return NULL;
    return sess_get(ix, (uint64_t)i);
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

/* The posting list of table entry e (reference at e + post): n session
 * numbers, ascending, into *sids (malloc'd).  -1 damaged or out of memory. */
static int posting_read(struct pcapindex *ix, const uint8_t *e, size_t post, uint32_t **sids,
                        size_t *n)
{
    uint64_t cnt = le_get(e + post, 4), off = le_get(e + post + 4, 8);
    uint64_t len = le_get(e + post + 12, 4);
    if (off > ix->blocks_len || len > ix->blocks_len - off || cnt > len || cnt == 0 ||
        crc32(0, ix->blocks + off, (uInt)len) != (uint32_t)le_get(e + post + 16, 4)) {
        ix->damaged = true;
        return -1;
    }
    struct rd r = {ix->blocks + off, ix->blocks + off + len, 0};
    *sids = malloc(cnt * sizeof(**sids));
    if (!*sids)
        return -1;
    uint64_t sid = 0;
    for (uint64_t i = 0; i < cnt; i++) {
        sid += rd_varint(&r);
        (*sids)[i] = (uint32_t)sid;
    }
    if (r.bad || r.p != r.end) {
        ix->damaged = true;
        return -1;
    }
    *n = (size_t)cnt;
    return 0;
}

/* The session numbers a match can hold, ascending: the posting list of
 * its host in the hosts table, else of its port in the ports table, else
 * all.  *sids malloc'd (caller frees); *all set (and no array) for "all". */
static int select_candidates(struct pcapindex *ix, const struct pcapindex_match *m,
                             uint32_t **sids, size_t *n, bool *all)
{
    uint8_t key[PI_HOST_KEY] = {0};
    struct pi_tab *tb;
    size_t post;
    *sids = NULL;
    *n = 0;
    *all = false;
    if (m->has_host) {
        tb = &ix->tab[PI_TAB_HOSTS];
        key[0] = m->host_family;
        memcpy(key + 1, m->host, m->host_family == 6 ? 16 : 4);
        post = PI_HOST_POST;
    } else if (m->has_port) {
        tb = &ix->tab[PI_TAB_PORTS];
        key[0] = (uint8_t)(m->port >> 8);
        key[1] = (uint8_t)m->port;
        post = PI_PORT_POST;
    } else {
        *all = true;
        return 0;
    }
    int64_t i = tab_lower_bound(ix, tb, key);
    if (i < 0)
        return -1;
    if ((uint64_t)i >= tb->n)
        return 0;
    const uint8_t *e = tab_entry(ix, tb, (uint64_t)i);
    if (!e)
        return -1;
    if (memcmp(e, key, tb->klen) != 0)
        return 0;
    return posting_read(ix, e, post, sids, n);
}

static int pkt_cmp(const void *x, const void *y)
{
    const struct pcapindex_pkt *a = x, *b = y;
    return a->offset < b->offset ? -1 : a->offset > b->offset;
}

/* Session sid if it matches m and its time range meets [lo, hi). */
static const struct pcapindex_session *select_one(struct pcapindex *ix, uint64_t sid,
                                                  const struct pcapindex_match *m, int64_t lo,
                                                  int64_t hi)
{
    const uint8_t *d = tab_entry(ix, &ix->tab[PI_TAB_DIR], sid);
    if (!d || (m->has_proto && d[60] != m->proto))
        return NULL;
    if ((int64_t)le_get(d + 32, 8) < lo || (int64_t)le_get(d + 24, 8) >= hi)
        return NULL;
    const struct pcapindex_session *s = sess_get(ix, sid);
    return s && pcapindex_session_matches(s, m) ? s : NULL;
}

/* Append s's packets to *p (grown as needed). */
static int select_take(const struct pcapindex_session *s, struct pcapindex_pkt **p, size_t *k,
                       size_t *cap)
{
    if (*k + s->n_pkts > *cap) {
        size_t c = *cap ? *cap : 256;
        while (c < *k + s->n_pkts)
            c *= 2;
        struct pcapindex_pkt *g = realloc(*p, c * sizeof(*g));
        if (!g)
            return -1;
        *p = g;
        *cap = c;
    }
    memcpy(*p + *k, s->pkts, s->n_pkts * sizeof(**p));
    *k += s->n_pkts;
    return 0;
}

int pcapindex_select_window(struct pcapindex *ix, const struct pcapindex_match *m, int64_t lo,
                            int64_t hi, struct pcapindex_pkt **pkts, size_t *n,
                            const char ***uids, size_t *nuids)
{
    uint32_t *sids;
    size_t ns, k = 0, cap = 0, nu = 0;
    bool all;
    struct pcapindex_pkt *p = NULL;
    const char **u = NULL;
    *pkts = NULL;
    *n = 0;
    if (uids) {
        *uids = NULL;
        *nuids = 0;
    }
    if (select_candidates(ix, m, &sids, &ns, &all) < 0)
        goto fail;
    if (all)
        ns = (size_t)ix->info.sessions;
    if (uids && !(u = malloc((ns ? ns : 1) * sizeof(*u))))
        goto fail;
    for (size_t i = 0; i < ns; i++) {
        const struct pcapindex_session *s = select_one(ix, all ? i : sids[i], m, lo, hi);
        if (!s)
            continue;
        if (select_take(s, &p, &k, &cap) < 0)
            goto fail;
        if (u)
            u[nu++] = s->uid;
    }
    free(sids);
    if (p)
        qsort(p, k, sizeof(*p), pkt_cmp);
    size_t w = 0;
    for (size_t i = 0; i < k; i++) /* a tunnelled packet is in two sessions */
        if (w == 0 || p[w - 1].offset != p[i].offset)
            p[w++] = p[i];
    *pkts = p ? p : malloc(sizeof(*p));
    *n = w;
    if (uids) {
        *uids = u;
        *nuids = nu;
    }
    return *pkts ? 0 : -1;
fail:
    free(sids);
    free(p);
    free(u);
    return -1;
}

int pcapindex_select(struct pcapindex *ix, const struct pcapindex_match *m,
                     struct pcapindex_pkt **pkts, size_t *n, const char ***uids, size_t *nuids)
{
    return pcapindex_select_window(ix, m, INT64_MIN, INT64_MAX, pkts, n, uids, nuids);
}

int pcapindex_verify(struct pcapindex *ix)
{
    for (uint64_t i = 0; i < ix->info.sessions; i++)
        if (!sess_get(ix, i))
            return -1;
    for (int t = PI_TAB_HOSTS; t < PI_NTAB; t++)
        for (uint64_t i = 0; i < ix->tab[t].n; i++) {
            const uint8_t *e = tab_entry(ix, &ix->tab[t], i);
            uint32_t *sids = NULL;
            size_t n;
            int rc = e ? posting_read(ix, e, t == PI_TAB_HOSTS ? PI_HOST_POST : PI_PORT_POST,
                                      &sids, &n) : -1;
            free(sids);
            if (rc < 0)
                return -1;
        }
    return ix->damaged ? -1 : 0;
}
