/*
 * pcapindex.c - opening a pcap's flow index whichever state the file is
 * in, and keeping it whole across crashes:
 *
 *   <pcap>.idx (closed file) ──► mmap, header + fences checked (pcapindex_read.c)
 *        │ missing / v1 / damaged
 *        ▼
 *   <pcap>.idx.open (open file) ──► replay its frames into a builder, index
 *        │ missing / damaged          the packets written since by re-running
 *        ▼                            decoder + flow table, image in memory
 *   the packets alone ──► decoder + flow table over the whole file (uids are
 *                         those a `vigil analyze` of that file gives)
 *
 * Also crash recovery (cut the pcap after its last whole record, index it,
 * write the .idx, drop the journal), the header-only pcapindex_read_info
 * used to plan queries, and the pcap record walker.  Formats: pcapindex.h.
 *
 * Owns: journal bytes while replaying, the rebuild's decoder and flow
 * table; the index returned belongs to the caller (pcapindex_free).
 */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "decode/decode.h"
#include "flow/flow.h"
#include "store/pcapindex_int.h"

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
                pcapindex_key_get(&r, uids[nk], &keys[nk]);
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

/* Turn a builder into a reader (its image in memory: one code path for all). */
static int index_from_builder(struct pcapindex_builder *b, uint64_t pcap_bytes,
                              struct pcapindex **ix)
{
    struct bbuf out = {0};
    if (pcapindex_builder_image(b, pcap_bytes, false, &out) == 0 &&
        pcapindex_from_image(out.p, out.len, false, ix) == 0)
        return 0; /* the index owns out.p */
    free(out.p);
    return -1;
}

/* Map a closed file's .idx.  0, or -1 when missing or damaged (header,
 * table bounds or fences; pages and blocks are checked as they are read). */
static int index_load_idx(const char *idx_path, struct pcapindex **ix)
{
    int fd = open(idx_path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0)
        return -1;
    if (fstat(fd, &st) < 0 || st.st_size < PCAPINDEX_HDR_LEN) {
        close(fd);
        return -1;
    }
    size_t len = (size_t)st.st_size;
    void *m = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (m == MAP_FAILED)
        return -1;
    if (pcapindex_from_image(m, len, true, ix) < 0) {
        munmap(m, len);
        return -1;
    }
    return 0;
}

static uint64_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* The open file: its journal, plus a rebuild of the packets written since
 * the journal's last flush.  0, or -1 when there is no usable journal. */
static int index_load_journal(const char *pcap_path, const char *sensor, struct pcapindex **ix,
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
    if (rc == 0)
        pcapindex_set_open(*ix, true, false);
out:
    pcapindex_builder_free(b);
    free(j.p);
    return rc;
}

/* No usable .idx or journal: index the packets (and write the result
 * when asked and the file ended on a whole record). */
static int index_open_rebuild(const char *pcap_path, const char *idx_path,
                              const struct pcapindex_open_opts *opts, struct pcapindex **out,
                              char *err, size_t errlen)
{
    struct pcapindex_builder *b = NULL;
    uint64_t good_end;
    int partial;
    const char *sensor = opts ? opts->sensor : NULL;
    if (index_rebuild(pcap_path, sensor, 0, &b, &good_end, &partial, err, errlen) < 0 ||
        index_from_builder(b, good_end, out) < 0) {
        if (b && err[0] == '\0')
            snprintf(err, errlen, "cannot index %s", pcap_path);
        pcapindex_builder_free(b);
        return -1;
    }
    pcapindex_set_open(*out, false, true);
    /* index_from_builder sorted b: the same image again, compressed, for the file */
    if (opts && opts->write_rebuilt && !partial &&
        pcapindex_builder_write(b, idx_path, good_end, true, NULL, err, errlen) < 0) {
        pcapindex_builder_free(b);
        pcapindex_free(*out);
        *out = NULL;
        return -1;
    }
    pcapindex_builder_free(b);
    return 0;
}

int pcapindex_open(const char *pcap_path, const struct pcapindex_open_opts *opts,
                   struct pcapindex **out, char *err, size_t errlen)
{
    char p[4096];
    *out = NULL;
    if (err && errlen)
        err[0] = '\0';
    snprintf(p, sizeof(p), "%s.idx", pcap_path);
    if (!(opts && opts->force_rebuild)) {
        if (index_load_idx(p, out) == 0)
            return 0;
        if (index_load_journal(pcap_path, opts ? opts->sensor : NULL, out, err, errlen) == 0)
            return 0;
    }
    return index_open_rebuild(pcap_path, p, opts, out, err, errlen);
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
        if (n == (ssize_t)sizeof(h) && pcapindex_info_from_hdr(h, sizeof(h), info) == 0)
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

