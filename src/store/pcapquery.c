/*
 * pcapquery.c - plan and run a retrieval from the full-content archive
 * (`vigil pcap`; docs/pcap.md; layout and index format: store/pcapindex.h).
 *
 * Owns: the plan (which files of DATA/sensor_data/<sensor>/dailylogs/ can
 * hold the packets), the per-file record streams, the timestamp merge and
 * the pcap writer.  Indexes are read through pcapindex.h only.
 *
 *   list files ──► time range of each (index header; else first record and
 *        │         the chain of record headers that ends the file)
 *        ▼
 *   select those overlapping [start, end) ──► uid/host/5-tuple: the index
 *        │                                    names record offsets; read them
 *        │                                    sorted, coalesced into preads
 *        │                                    BPF / everything: read the file
 *        ▼                                    sequentially, pcap_offline_filter
 *   groups of files whose ranges overlap, each merged by a heap on
 *   (timestamp, file order): within one file, records keep file order
 *   (mergecap's rule) ──► output: the first file's own 24-byte header,
 *   then each 16-byte record header and its bytes as stored (converted
 *   only when a file has another byte order or time precision).
 *
 * An index is mapped, not read: a uid lookup touches its header, the
 * directory's fences, one page and one block; a host/port lookup one entry
 * of the hosts/ports table and its posting list, then the candidate
 * sessions' blocks (skipped without reading when their time range misses
 * the window).  Time parsing and the conn.log uid lookup are in
 * pcapquery_time.c.
 *
 * A file whose index cannot be opened is rebuilt by pcapindex_open(), as is
 * one whose page or block fails its CRC during the lookup; one
 * that cannot be read at all is reported through q->warn and the run ends
 * with 1 (damaged) after writing what it could.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "core/progress.h"
#include "flow/flow.h"
#include "store/pcapquery.h"

#define PQ_SCAN_WINDOW (1u << 20)       /* sequential read size */
#define PQ_COALESCE (256u << 10)        /* index reads: records this close share one pread */
#define PQ_REC_GUESS 2048u              /* bytes read past the last record header of a window */
#define PQ_MAX_CAPLEN (16u << 20)       /* a larger caplen is damage, not a packet */
#define PQ_SMALL_FILE (8u << 20)        /* walk files this small whole for their time range */
#define PQ_TAIL (512u << 10)            /* tail read to find a big file's last record */
#define PQ_OUT_BUF (1u << 20)

/* One record as the merge sees it. */
struct pq_rec {
    int64_t ts_ns;
    uint32_t caplen, wirelen;
    const uint8_t *hdr;  /* the 16 stored header bytes */
    const uint8_t *data; /* caplen bytes */
};

/* One selected archive file. */
struct pq_file {
    const struct pcapindex_file *af;
    int64_t first_ns, last_ns; /* INT64_MIN/INT64_MAX when unknown */
    int fd;
    uint64_t size;
    struct pcapfile_hdr hdr;
    uint8_t raw_hdr[PCAPFILE_HDR_LEN];
    bool scan;                 /* read sequentially (else pkts[]) */
    struct pcapindex_pkt *pkts;
    size_t n_pkts;
    struct bpf_program *prog;  /* NULL: no filter */
    /* the stream */
    uint8_t *buf;
    size_t cap, buf_len;
    uint64_t buf_off;
    size_t next_pkt;
    uint64_t scan_off;
    struct pq_rec cur;
    bool have_cur;
    int order;                 /* position in the plan: ties keep it */
};

/* Compiled filters, one per link type. */
struct pq_filter {
    uint32_t linktype;
    struct bpf_program prog;
};

struct pq_out {
    int fd;
    bool count_only;
    bool nano, swapped;   /* format of the output */
    uint8_t *buf;
    size_t len;
    bool header_done;
    uint8_t raw_hdr[PCAPFILE_HDR_LEN];
};

struct pq_run {
    const struct pcapquery *q;
    struct pcapquery_stats *st;
    char *err;
    size_t errlen;
    struct pcapindex_file *afiles;
    size_t n_afiles;
    struct pq_file *files;
    size_t n_files;
    struct pq_filter *filters;
    size_t n_filters;
    struct pq_out out;
    struct progress pg;
    uint64_t pg_total, pg_done;
    bool damaged;
};

/* ------------------------------------------------------------ helpers */

static int64_t pq_now_ns(clockid_t clk)
{
    struct timespec ts;
    clock_gettime(clk, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void pq_warn(struct pq_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void pq_warn(struct pq_run *r, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (r->q->warn)
        r->q->warn(r->q->warn_ctx, msg);
}

static void pq_damage(struct pq_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void pq_damage(struct pq_run *r, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    r->damaged = true;
    r->st->files_damaged++;
    if (r->q->warn)
        r->q->warn(r->q->warn_ctx, msg);
}

static ssize_t pq_pread_full(int fd, void *buf, size_t len, uint64_t off)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = pread(fd, (uint8_t *)buf + got, len - got, (off_t)(off + got));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        got += (size_t)n;
    }
    return (ssize_t)got;
}

static uint32_t pq_get32(const uint8_t *b, bool swapped)
{
    uint32_t v;
    memcpy(&v, b, 4);
    return swapped ? __builtin_bswap32(v) : v;
}

static void pq_put32(uint8_t *b, uint32_t v, bool swapped)
{
    if (swapped)
        v = __builtin_bswap32(v);
    memcpy(b, &v, 4);
}

/* ------------------------------------------------- file time ranges */

/* Follow record headers from off in buf[0..len) (file bytes from base);
 * true when they end exactly at len, with the largest time in *last. */
static bool pq_chain_to_end(const struct pcapfile_hdr *h, const uint8_t *buf, size_t len,
                            size_t off, int64_t *last)
{
    int64_t mx = INT64_MIN;
    uint32_t snap = h->snaplen > PCAPFILE_SNAPLEN ? h->snaplen : PCAPFILE_SNAPLEN;
    while (off + PCAPFILE_REC_LEN <= len) {
        struct pcapfile_rec rec;
        pcapfile_parse_rec(h, buf + off, &rec);
        if (rec.caplen > snap || rec.caplen > rec.wirelen || rec.ts_ns < 0)
            return false;
        if (rec.ts_ns > mx)
            mx = rec.ts_ns;
        off += PCAPFILE_REC_LEN + rec.caplen;
    }
    if (off != len || mx == INT64_MIN)
        return false;
    *last = mx;
    return true;
}

struct pq_walk_range {
    int64_t lo, hi;
};

static int pq_walk_range_cb(void *ctx, uint64_t offset, const struct pcapfile_rec *rec,
                            const uint8_t *data)
{
    struct pq_walk_range *w = ctx;
    (void)offset;
    (void)data;
    if (rec->ts_ns < w->lo)
        w->lo = rec->ts_ns;
    if (rec->ts_ns > w->hi)
        w->hi = rec->ts_ns;
    return 0;
}

/* A file without a usable index: small files are walked whole; for big
 * ones the first record starts the range and the chain of headers that
 * ends the file closes it (unknown, INT64_MAX, when no chain is found). */
static void pq_file_probe_range(struct pq_run *r, struct pq_file *f)
{
    f->first_ns = INT64_MIN;
    f->last_ns = INT64_MAX;
    if (f->size <= PQ_SMALL_FILE) {
        struct pq_walk_range w = {INT64_MAX, INT64_MIN};
        struct pcapfile_hdr h;
        uint64_t good;
        char e[256];
        if (pcapfile_walk(f->af->path, &h, pq_walk_range_cb, &w, &good, e, sizeof(e)) >= 0 &&
            w.lo <= w.hi) {
            f->first_ns = w.lo;
            f->last_ns = w.hi;
        }
        r->st->bytes_read += f->size;
        return;
    }
    uint8_t rec[PCAPFILE_REC_LEN];
    if (pq_pread_full(f->fd, rec, sizeof(rec), PCAPFILE_HDR_LEN) == (ssize_t)sizeof(rec)) {
        struct pcapfile_rec pr;
        pcapfile_parse_rec(&f->hdr, rec, &pr);
        f->first_ns = pr.ts_ns;
    }
    size_t tail = PQ_TAIL;
    uint8_t *buf = malloc(tail);
    if (!buf)
        return;
    uint64_t base = f->size - tail;
    ssize_t got = pq_pread_full(f->fd, buf, tail, base);
    r->st->reads += 2;
    r->st->bytes_read += PCAPFILE_REC_LEN + (got > 0 ? (uint64_t)got : 0);
    if (got == (ssize_t)tail)
        for (size_t off = 0; off + PCAPFILE_REC_LEN <= tail; off++)
            if (pq_chain_to_end(&f->hdr, buf, tail, off, &f->last_ns))
                break;
    free(buf);
}

/* Open the pcap and read its file header (once; later calls are no-ops). */
static int pq_file_open(struct pq_run *r, struct pq_file *f)
{
    struct stat sb;
    if (f->fd >= 0)
        return 0;
    f->fd = open(f->af->path, O_RDONLY | O_CLOEXEC);
    if (f->fd < 0 || fstat(f->fd, &sb) < 0) {
        pq_damage(r, "cannot open %s: %s; its packets are left out", f->af->path,
                  strerror(errno));
        return -1;
    }
    f->size = (uint64_t)sb.st_size;
    r->st->files_opened++;
    r->st->reads++;
    if (pq_pread_full(f->fd, f->raw_hdr, PCAPFILE_HDR_LEN, 0) != PCAPFILE_HDR_LEN ||
        pcapfile_parse_hdr(f->raw_hdr, PCAPFILE_HDR_LEN, &f->hdr) < 0) {
        pq_damage(r, "%s is not a pcap file (bad or short file header); it is left out",
                  f->af->path);
        close(f->fd);
        f->fd = -1;
        return -1;
    }
    r->st->bytes_read += PCAPFILE_HDR_LEN;
    return 0;
}

/* The file's time range: its index header, else its records. */
static int pq_file_range(struct pq_run *r, struct pq_file *f)
{
    struct pcapindex_info info;
    char e[256];
    if (pcapindex_read_info(f->af->path, &info, e, sizeof(e)) == 0) {
        f->first_ns = info.first_ns;
        f->last_ns = info.last_ns;
        f->hdr.linktype = info.linktype;
        return 0;
    }
    if (pq_file_open(r, f) < 0)
        return -1;
    pq_file_probe_range(r, f);
    return 0;
}

static void pq_file_close(struct pq_file *f)
{
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
    free(f->pkts);
    f->pkts = NULL;
    free(f->buf);
    f->buf = NULL;
}

/* ------------------------------------------------------------ filters */

static struct bpf_program *pq_filter_for(struct pq_run *r, uint32_t linktype)
{
    for (size_t i = 0; i < r->n_filters; i++)
        if (r->filters[i].linktype == linktype)
            return &r->filters[i].prog;
    struct pq_filter *nf = realloc(r->filters, (r->n_filters + 1) * sizeof(*nf));
    if (!nf) {
        snprintf(r->err, r->errlen, "out of memory compiling the filter");
        return NULL;
    }
    r->filters = nf;
    pcap_t *p = pcap_open_dead_with_tstamp_precision((int)linktype, PCAPFILE_SNAPLEN,
                                                      PCAP_TSTAMP_PRECISION_NANO);
    if (!p) {
        snprintf(r->err, r->errlen, "libpcap cannot open a handle for link type %u", linktype);
        return NULL;
    }
    struct pq_filter *f = &nf[r->n_filters];
    if (pcap_compile(p, &f->prog, r->q->bpf, 1, PCAP_NETMASK_UNKNOWN) < 0) {
        const char *name = pcap_datalink_val_to_name((int)linktype);
        snprintf(r->err, r->errlen, "the filter '%s' does not compile for link type %s: %s",
                 r->q->bpf, name ? name : "?", pcap_geterr(p));
        pcap_close(p);
        return NULL;
    }
    pcap_close(p);
    f->linktype = linktype;
    r->n_filters++;
    return &f->prog;
}

static bool pq_filter_pass(const struct pq_file *f, const struct pq_rec *rec)
{
    if (!f->prog)
        return true;
    struct pcap_pkthdr ph;
    memset(&ph, 0, sizeof(ph));
    ph.caplen = rec->caplen;
    ph.len = rec->wirelen;
    return pcap_offline_filter(f->prog, &ph, rec->data) != 0;
}

/* ------------------------------------------------------------ streams */

/* File bytes [off, off+need) in f->buf, reading up to want bytes from off
 * when they are not there yet.  NULL at the end of the file or on error. */
static const uint8_t *pq_fetch(struct pq_run *r, struct pq_file *f, uint64_t off, size_t need,
                               size_t want)
{
    if (off >= f->buf_off && off + need <= f->buf_off + f->buf_len)
        return f->buf + (off - f->buf_off);
    if (want < need)
        want = need;
    if (off >= f->size || f->size - off < need)
        return NULL;
    if (f->size - off < want)
        want = (size_t)(f->size - off);
    if (want > f->cap) {
        uint8_t *nb = realloc(f->buf, want);
        if (!nb)
            return NULL;
        f->buf = nb;
        f->cap = want;
    }
    ssize_t got = pq_pread_full(f->fd, f->buf, want, off);
    r->st->reads++;
    f->buf_off = off;
    f->buf_len = got > 0 ? (size_t)got : 0;
    r->st->bytes_read += f->buf_len;
    if (got < 0)
        pq_damage(r, "cannot read %s at offset %llu: %s", f->af->path, (unsigned long long)off,
                  strerror(errno));
    return f->buf_len >= need ? f->buf : NULL;
}

/* Parse and check the record at off; 0 with rec set, -1 (damage reported). */
static int pq_read_rec(struct pq_run *r, struct pq_file *f, uint64_t off, size_t want,
                       struct pq_rec *rec)
{
    const uint8_t *h = pq_fetch(r, f, off, PCAPFILE_REC_LEN, want);
    if (!h) {
        pq_damage(r, "%s ends in a partial record header at offset %llu; what follows is left out",
                  f->af->path, (unsigned long long)off);
        return -1;
    }
    struct pcapfile_rec pr;
    pcapfile_parse_rec(&f->hdr, h, &pr);
    if (pr.caplen > PQ_MAX_CAPLEN) {
        pq_damage(r, "%s has a record of %u bytes at offset %llu, which is damage; the rest "
                  "of the file is left out", f->af->path, pr.caplen, (unsigned long long)off);
        return -1;
    }
    h = pq_fetch(r, f, off, PCAPFILE_REC_LEN + pr.caplen, want);
    if (!h) {
        pq_damage(r, "%s ends in a partial record at offset %llu; what follows is left out",
                  f->af->path, (unsigned long long)off);
        return -1;
    }
    r->st->records_read++;
    rec->ts_ns = pr.ts_ns;
    rec->caplen = pr.caplen;
    rec->wirelen = pr.wirelen;
    rec->hdr = h;
    rec->data = h + PCAPFILE_REC_LEN;
    return 0;
}

static bool pq_in_window(const struct pcapquery *q, int64_t ts)
{
    return ts >= q->start_ns && ts < q->end_ns;
}

/* Next wanted record of a sequentially read file: 1, or 0 at its end. */
static int pq_scan_next(struct pq_run *r, struct pq_file *f)
{
    while (f->scan_off < f->size) {
        uint64_t off = f->scan_off;
        if (pq_read_rec(r, f, off, PQ_SCAN_WINDOW, &f->cur) < 0)
            return 0;
        f->scan_off = off + PCAPFILE_REC_LEN + f->cur.caplen;
        if (pq_in_window(r->q, f->cur.ts_ns) && pq_filter_pass(f, &f->cur))
            return 1;
    }
    return 0;
}

/* Next record an index named: the pread starting at it also covers the
 * following named records within PQ_COALESCE bytes. */
static int pq_index_next(struct pq_run *r, struct pq_file *f)
{
    while (f->next_pkt < f->n_pkts) {
        size_t i = f->next_pkt++;
        uint64_t off = f->pkts[i].offset;
        size_t j = i;
        while (j + 1 < f->n_pkts && f->pkts[j + 1].offset - off < PQ_COALESCE)
            j++;
        size_t want = (size_t)(f->pkts[j].offset - off) + PCAPFILE_REC_LEN + PQ_REC_GUESS;
        if (off < PCAPFILE_HDR_LEN || off >= f->size) {
            pq_damage(r, "the index of %s names offset %llu, outside the file; the index is "
                      "stale or damaged", f->af->path, (unsigned long long)off);
            return 0;
        }
        if (pq_read_rec(r, f, off, want, &f->cur) < 0)
            return 0;
        if (pq_filter_pass(f, &f->cur))
            return 1;
    }
    return 0;
}

static int pq_stream_next(struct pq_run *r, struct pq_file *f)
{
    f->have_cur = (f->scan ? pq_scan_next(r, f) : pq_index_next(r, f)) == 1;
    return f->have_cur;
}

/* ------------------------------------------------------------ output */

static int pq_out_flush(struct pq_run *r)
{
    struct pq_out *o = &r->out;
    size_t done = 0;
    while (done < o->len) {
        ssize_t n = write(o->fd, o->buf + done, o->len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            snprintf(r->err, r->errlen, "cannot write the pcap output: %s", strerror(errno));
            return -1;
        }
        done += (size_t)n;
    }
    o->len = 0;
    return 0;
}

static int pq_out_put(struct pq_run *r, const void *p, size_t n)
{
    struct pq_out *o = &r->out;
    if (o->len + n > PQ_OUT_BUF && pq_out_flush(r) < 0)
        return -1;
    if (n > PQ_OUT_BUF) {
        ssize_t w = write(o->fd, p, n);
        if (w != (ssize_t)n) {
            snprintf(r->err, r->errlen, "cannot write the pcap output: %s",
                     w < 0 ? strerror(errno) : "short write");
            return -1;
        }
        return 0;
    }
    memcpy(o->buf + o->len, p, n);
    o->len += n;
    return 0;
}

/* The output takes the format of the first file that contributes. */
static int pq_out_header(struct pq_run *r, const uint8_t *raw, const struct pcapfile_hdr *h)
{
    struct pq_out *o = &r->out;
    if (o->header_done)
        return 0;
    memcpy(o->raw_hdr, raw, PCAPFILE_HDR_LEN);
    o->nano = h->nano;
    o->swapped = h->swapped;
    o->header_done = true;
    r->st->bytes_out += PCAPFILE_HDR_LEN;
    return o->count_only ? 0 : pq_out_put(r, raw, PCAPFILE_HDR_LEN);
}

static int pq_out_rec(struct pq_run *r, struct pq_file *f)
{
    struct pq_out *o = &r->out;
    const struct pq_rec *rec = &f->cur;
    if (!o->header_done && pq_out_header(r, f->raw_hdr, &f->hdr) < 0)
        return -1;
    r->st->packets_out++;
    r->st->bytes_out += PCAPFILE_REC_LEN + rec->caplen;
    if (o->count_only)
        return 0;
    if (f->hdr.nano == o->nano && f->hdr.swapped == o->swapped) {
        if (pq_out_put(r, rec->hdr, PCAPFILE_REC_LEN) < 0)
            return -1;
    } else {
        uint8_t h[PCAPFILE_REC_LEN];
        int64_t frac = rec->ts_ns % 1000000000LL;
        pq_put32(h, (uint32_t)(rec->ts_ns / 1000000000LL), o->swapped);
        pq_put32(h + 4, (uint32_t)(o->nano ? frac : frac / 1000), o->swapped);
        pq_put32(h + 8, rec->caplen, o->swapped);
        pq_put32(h + 12, rec->wirelen, o->swapped);
        if (pq_out_put(r, h, sizeof(h)) < 0)
            return -1;
    }
    return pq_out_put(r, rec->data, rec->caplen);
}

/* An empty result still is a pcap: the header of the first selected file,
 * else Ethernet, nanosecond, host order. */
static int pq_out_finish(struct pq_run *r)
{
    if (!r->out.header_done) {
        uint8_t raw[PCAPFILE_HDR_LEN] = {0};
        struct pcapfile_hdr h = {.nano = true, .snaplen = PCAPFILE_SNAPLEN, .linktype = 1};
        for (size_t i = 0; i < r->n_files; i++)
            if (pq_file_open(r, &r->files[i]) == 0) {
                memcpy(raw, r->files[i].raw_hdr, sizeof(raw));
                h = r->files[i].hdr;
                break;
            }
        if (!raw[0]) {
            pq_put32(raw, 0xa1b23c4d, false);
            raw[4] = 2;
            raw[6] = 4;
            pq_put32(raw + 16, PCAPFILE_SNAPLEN, false);
            pq_put32(raw + 20, 1, false);
        }
        if (pq_out_header(r, raw, &h) < 0)
            return -1;
    }
    return r->out.count_only ? 0 : pq_out_flush(r);
}

/* ------------------------------------------------------------ merge */

static bool pq_before(const struct pq_file *a, const struct pq_file *b)
{
    if (a->cur.ts_ns != b->cur.ts_ns)
        return a->cur.ts_ns < b->cur.ts_ns;
    return a->order < b->order;
}

static void pq_heap_down(struct pq_file **h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        if (l < n && pq_before(h[l], h[m]))
            m = l;
        if (l + 1 < n && pq_before(h[l + 1], h[m]))
            m = l + 1;
        if (m == i)
            return;
        struct pq_file *t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

/* Ready a file of a group for reading: its header, its link type against
 * the output's, its filter.  0, 1 (left out, reported), <0 fatal. */
static int pq_group_ready(struct pq_run *r, struct pq_file *f)
{
    if (pq_file_open(r, f) < 0)
        return 1;
    if (r->out.header_done) {
        uint32_t lt = pq_get32(r->out.raw_hdr + 20, r->out.swapped);
        if (f->hdr.linktype != lt) {
            pq_damage(r, "%s has link type %u but the output already has %u (one pcap holds one "
                      "link type); its packets are left out: narrow the query with --sensor or "
                      "--start/--end", f->af->path, f->hdr.linktype, lt);
            return 1;
        }
    }
    if (r->q->bpf) {
        f->prog = pq_filter_for(r, f->hdr.linktype);
        if (!f->prog)
            return PCAPQUERY_BAD_FILTER;
    }
    f->scan_off = PCAPFILE_HDR_LEN;
    if (!f->buf) {
        f->cap = f->scan ? PQ_SCAN_WINDOW : PQ_COALESCE + PCAPFILE_REC_LEN + PQ_REC_GUESS;
        f->buf = malloc(f->cap);
        if (!f->buf) {
            snprintf(r->err, r->errlen, "out of memory for the read buffer of %s", f->af->path);
            return PCAPQUERY_ERROR;
        }
    }
    if (f->scan)
        posix_fadvise(f->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    return 0;
}

/* Merge the files g[0..n) (their time ranges overlap) by timestamp. */
static int pq_merge_group(struct pq_run *r, struct pq_file *g, size_t n)
{
    struct pq_file **h = calloc(n ? n : 1, sizeof(*h));
    size_t m = 0;
    int rc = 0;
    if (!h) {
        snprintf(r->err, r->errlen, "out of memory merging %zu files", n);
        return PCAPQUERY_ERROR;
    }
    for (size_t i = 0; i < n; i++) {
        int ready = pq_group_ready(r, &g[i]);
        if (ready < 0) {
            rc = ready;
            goto done;
        }
        /* The output header comes from the first file that is read. */
        if (ready == 0 && !r->out.header_done && pq_out_header(r, g[i].raw_hdr, &g[i].hdr) < 0) {
            rc = PCAPQUERY_OUTPUT;
            goto done;
        }
        if (ready == 0 && pq_stream_next(r, &g[i]))
            h[m++] = &g[i];
    }
    for (size_t i = m / 2; i-- > 0;)
        pq_heap_down(h, m, i);
    while (m > 0) {
        if (pq_out_rec(r, h[0]) < 0) {
            rc = PCAPQUERY_OUTPUT;
            goto done;
        }
        if (!pq_stream_next(r, h[0]))
            h[0] = h[--m];
        pq_heap_down(h, m, 0);
        if (progress_due(&r->pg))
            progress_update_now(&r->pg, r->st->bytes_read, r->pg_total, r->st->packets_out);
    }
done:
    for (size_t i = 0; i < n; i++)
        pq_file_close(&g[i]);
    free(h);
    return rc;
}

static int pq_cmp_file(const void *a, const void *b)
{
    const struct pq_file *x = a, *y = b;
    if (x->first_ns != y->first_ns)
        return x->first_ns < y->first_ns ? -1 : 1;
    return x->order - y->order;
}

/* Files sorted by start; a group runs while the next file starts before
 * the group's latest end. */
static int pq_merge_all(struct pq_run *r)
{
    if (r->n_files > 0)
        qsort(r->files, r->n_files, sizeof(*r->files), pq_cmp_file);
    size_t i = 0;
    while (i < r->n_files) {
        size_t j = i + 1;
        int64_t end = r->files[i].last_ns;
        while (j < r->n_files && r->files[j].first_ns <= end) {
            if (r->files[j].last_ns > end)
                end = r->files[j].last_ns;
            j++;
        }
        int rc = pq_merge_group(r, r->files + i, j - i);
        if (rc < 0)
            return rc;
        i = j;
    }
    return 0;
}

/* ------------------------------------------------------------ plan */

static int pq_cmp_pkt(const void *a, const void *b)
{
    const struct pcapindex_pkt *x = a, *y = b;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Keep the packets in the window, sorted by offset; narrow the file's
 * range to theirs so that groups stay small. */
static void pq_file_keep(const struct pcapquery *q, struct pq_file *f)
{
    size_t k = 0;
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (size_t i = 0; i < f->n_pkts; i++) {
        if (!pq_in_window(q, f->pkts[i].ts_ns))
            continue;
        f->pkts[k++] = f->pkts[i];
        if (f->pkts[i].ts_ns < lo)
            lo = f->pkts[i].ts_ns;
        if (f->pkts[i].ts_ns > hi)
            hi = f->pkts[i].ts_ns;
    }
    f->n_pkts = k;
    if (k > 0)
        qsort(f->pkts, k, sizeof(*f->pkts), pq_cmp_pkt);
    if (k) {
        f->first_ns = lo;
        f->last_ns = hi;
    }
}

/* Ask an open index for the query's packets (uid or match) into f->pkts. */
static int pq_index_ask(const struct pcapquery *q, struct pcapindex *ix, struct pq_file *f)
{
    if (q->kind != PCAPQUERY_UID)
        return pcapindex_select_window(ix, &q->match, q->start_ns, q->end_ns, &f->pkts,
                                       &f->n_pkts, NULL, NULL);
    const struct pcapindex_session *s = pcapindex_find_uid(ix, q->uid);
    if (!s || !s->n_pkts)
        return 0;
    f->pkts = malloc(s->n_pkts * sizeof(*f->pkts));
    if (!f->pkts)
        return -1;
    memcpy(f->pkts, s->pkts, s->n_pkts * sizeof(*f->pkts));
    f->n_pkts = s->n_pkts;
    return 0;
}

/* The packets the file's index names for the query (uid or match).  The
 * index is mapped and only the pages and blocks the lookup needs are read;
 * one found damaged on the way is rebuilt from the packets and asked again. */
static int pq_file_index(struct pq_run *r, struct pq_file *f)
{
    struct pcapindex *ix;
    struct pcapindex_info info;
    struct pcapindex_open_opts oo = {.sensor = NULL, .write_rebuilt = false};
    char e[512];
    int rc;
    for (;;) {
        if (pcapindex_open(f->af->path, &oo, &ix, e, sizeof(e)) < 0) {
            pq_damage(r, "%s", e);
            return -1;
        }
        r->st->indexes_opened++;
        pcapindex_get_info(ix, &info);
        if (info.rebuilt) {
            r->st->indexes_rebuilt++;
            pq_warn(r, "%s has no usable index; rebuilt it from its packets for this query",
                    f->af->path);
        }
        rc = pq_index_ask(r->q, ix, f);
        if (!pcapindex_damaged(ix) || oo.force_rebuild)
            break;
        pq_warn(r, "the index of %s is damaged (a page or block fails its CRC)", f->af->path);
        free(f->pkts);
        f->pkts = NULL;
        f->n_pkts = 0;
        pcapindex_free(ix);
        oo.force_rebuild = true;
    }
    pcapindex_free(ix);
    if (rc < 0)
        snprintf(r->err, r->errlen, "out of memory reading the index of %s", f->af->path);
    else
        pq_file_keep(r->q, f);
    return rc;
}

static int pq_check_archive(struct pq_run *r)
{
    const struct pcapquery *q = r->q;
    char path[4096];
    struct stat sb;
    snprintf(path, sizeof(path), "%s/sensor_data", q->data_dir);
    if (stat(path, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
        snprintf(r->err, r->errlen, "no archive at %s: %s does not exist (give --data DIR or "
                 "set VIGIL_DATA)", q->data_dir, path);
        return PCAPQUERY_NO_ARCHIVE;
    }
    if (q->sensor) {
        snprintf(path, sizeof(path), "%s/sensor_data/%s/dailylogs", q->data_dir, q->sensor);
        if (stat(path, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
            snprintf(r->err, r->errlen, "no archive for sensor '%s' at %s: %s does not exist",
                     q->sensor, q->data_dir, path);
            return PCAPQUERY_NO_ARCHIVE;
        }
    }
    return 0;
}

/* List the archive and keep the files that overlap [lo, hi). */
static int pq_plan_files(struct pq_run *r, int64_t lo, int64_t hi)
{
    char e[512];
    if (pcapindex_archive_list(r->q->data_dir, r->q->sensor, &r->afiles, &r->n_afiles, e,
                               sizeof(e)) < 0) {
        snprintf(r->err, r->errlen, "%s", e);
        return PCAPQUERY_ERROR;
    }
    r->st->files_in_archive = (uint32_t)r->n_afiles;
    r->files = calloc(r->n_afiles ? r->n_afiles : 1, sizeof(*r->files));
    if (!r->files) {
        snprintf(r->err, r->errlen, "out of memory planning over %zu files", r->n_afiles);
        return PCAPQUERY_ERROR;
    }
    for (size_t i = 0; i < r->n_afiles; i++) {
        struct pq_file *f = &r->files[r->n_files];
        memset(f, 0, sizeof(*f));
        f->af = &r->afiles[i];
        f->fd = -1;
        f->order = (int)i;
        if (pq_file_range(r, f) < 0)
            continue;
        if (f->last_ns < lo || f->first_ns >= hi) {
            pq_file_close(f);
            continue;
        }
        r->n_files++;
    }
    r->st->files_selected = (uint32_t)r->n_files;
    return 0;
}

/* Index queries: ask each selected file's index, drop files with nothing. */
static int pq_plan_index(struct pq_run *r)
{
    size_t k = 0;
    for (size_t i = 0; i < r->n_files; i++) {
        struct pq_file *f = &r->files[i];
        if (pq_file_index(r, f) < 0 && !r->damaged)
            return PCAPQUERY_ERROR;
        if (f->n_pkts == 0) {
            pq_file_close(f);
            continue;
        }
        r->files[k++] = *f;
    }
    r->n_files = k;
    return 0;
}

static void pq_plan_free(struct pq_run *r)
{
    for (size_t i = 0; i < r->n_files; i++)
        pq_file_close(&r->files[i]);
    free(r->files);
    r->files = NULL;
    r->n_files = 0;
    pcapindex_archive_free(r->afiles, r->n_afiles);
    r->afiles = NULL;
    r->n_afiles = 0;
}

/*
 * A uid query by the second the uid carries (flow_uid_time): per sensor,
 * from the last file that starts before that second, ask the index of each
 * following file while the session can still go on, and stop at the first
 * file that starts more than PQ_UID_GAP after the session's last packet
 * found so far, or, with nothing found yet, at a file that starts after the
 * second itself.  Why the gap ends the search: the flow table ends a
 * session idle for its inactivity timeout (TCP 300 s, the longest default;
 * the gap doubles it), and a later packet of the same 5-tuple starts a new
 * session with a new uid, so no file beyond the gap can hold this uid.  A
 * sensor run with longer timeouts needs --start/--end for sessions idle
 * that long (docs/pcap.md).  So a pivot opens the indexes of the files the
 * session spans plus those of the following PQ_UID_GAP, however many files
 * the archive holds.  1 when packets were found, 0 when not (the caller
 * falls back to conn.log bounds or every index: a uid from another source
 * decodes to a meaningless second), <0 on error.
 */
#define PQ_UID_GAP (600LL * 1000000000LL)

struct pq_sensor_walk {
    const char *prefix; /* path up to and with "/dailylogs/" */
    size_t len;
    size_t start;
    bool has_start, found, done;
    int64_t last_ns;
};

static size_t pq_prefix_len(const char *path)
{
    const char *d = strstr(path, "/dailylogs/");
    return d ? (size_t)(d - path) + 11 : 0;
}

static int pq_plan_uid_time(struct pq_run *r, int64_t sec)
{
    char e[512];
    if (sec < 1 || sec > INT64_MAX / 1000000000LL - 1)
        return 0; /* not a second a packet time can have */
    if (pcapindex_archive_list(r->q->data_dir, r->q->sensor, &r->afiles, &r->n_afiles, e,
                               sizeof(e)) < 0) {
        snprintf(r->err, r->errlen, "%s", e);
        return PCAPQUERY_ERROR;
    }
    r->st->files_in_archive = (uint32_t)r->n_afiles;
    size_t n = r->n_afiles ? r->n_afiles : 1;
    r->files = calloc(n, sizeof(*r->files));
    struct pq_sensor_walk *sw = calloc(n, sizeof(*sw));
    size_t *of = calloc(n, sizeof(*of)), n_sw = 0;
    if (!r->files || !sw || !of) {
        free(sw);
        free(of);
        snprintf(r->err, r->errlen, "out of memory planning over %zu files", r->n_afiles);
        return PCAPQUERY_ERROR;
    }
    for (size_t i = 0; i < r->n_afiles; i++) {
        const char *path = r->afiles[i].path;
        size_t len = pq_prefix_len(path), k;
        for (k = 0; k < n_sw; k++)
            if (sw[k].len == len && strncmp(sw[k].prefix, path, len) == 0)
                break;
        if (k == n_sw) {
            sw[n_sw].prefix = path;
            sw[n_sw].len = len;
            sw[n_sw++].start = i;
        }
        of[i] = k;
        if (r->afiles[i].epoch < sec)
            sw[k].start = i;
    }
    int64_t lo = sec * 1000000000LL - 1000000000LL;
    int rc = 0;
    for (size_t i = 0; i < r->n_afiles && rc == 0; i++) {
        struct pq_sensor_walk *w = &sw[of[i]];
        int64_t epoch = r->afiles[i].epoch;
        if (i < w->start || w->done)
            continue;
        if ((!w->found && epoch > sec + 1) ||
            (w->found && epoch > (w->last_ns + PQ_UID_GAP) / 1000000000LL)) {
            w->done = true;
            continue;
        }
        struct pq_file *f = &r->files[r->n_files];
        memset(f, 0, sizeof(*f));
        f->af = &r->afiles[i];
        f->fd = -1;
        f->order = (int)i;
        if (pq_file_range(r, f) < 0)
            continue;
        if (f->last_ns < lo) {
            pq_file_close(f);
            continue;
        }
        r->st->files_selected++;
        if (pq_file_index(r, f) < 0 && !r->damaged) {
            pq_file_close(f);
            rc = PCAPQUERY_ERROR;
            break;
        }
        if (f->n_pkts == 0) {
            pq_file_close(f);
            continue;
        }
        w->found = true;
        if (f->last_ns > w->last_ns || !w->has_start)
            w->last_ns = f->last_ns;
        w->has_start = true;
        r->n_files++;
    }
    free(sw);
    free(of);
    if (rc < 0)
        return rc;
    return r->n_files > 0;
}

static int pq_plan(struct pq_run *r, bool use_bounds)
{
    const struct pcapquery *q = r->q;
    int64_t lo = q->start_ns, hi = q->end_ns;
    if (use_bounds) {
        int64_t a, b;
        if (pcapquery_uid_bounds(q->data_dir, q->sensor, q->uid, &a, &b) == 1) {
            r->st->uid_bounded = true;
            /* conn.log times are whole microseconds: a second of slack */
            if (a - 1000000000LL > lo)
                lo = a - 1000000000LL;
            if (b + 1000000000LL < hi)
                hi = b + 1000000000LL;
        }
    }
    int rc = pq_plan_files(r, lo, hi);
    if (rc < 0)
        return rc;
    if (q->kind == PCAPQUERY_ALL) {
        for (size_t i = 0; i < r->n_files; i++) {
            struct stat sb;
            r->files[i].scan = true;
            if (stat(r->files[i].af->path, &sb) == 0)
                r->pg_total += (uint64_t)sb.st_size;
        }
        return 0;
    }
    return pq_plan_index(r);
}

/* ------------------------------------------------------------ run */

int pcapquery_run(const struct pcapquery *q, int out_fd, struct pcapquery_stats *st, char *err,
                  size_t errlen)
{
    struct pcapquery_stats local;
    struct pq_run r;
    int64_t t0 = pq_now_ns(CLOCK_MONOTONIC);
    if (!st)
        st = &local;
    memset(st, 0, sizeof(*st));
    memset(&r, 0, sizeof(r));
    r.q = q;
    r.st = st;
    r.err = err;
    r.errlen = errlen;
    r.out.fd = out_fd;
    r.out.count_only = q->count_only;
    int rc = pq_check_archive(&r);
    if (rc < 0)
        return rc;
    r.out.buf = q->count_only ? NULL : malloc(PQ_OUT_BUF);
    if (!q->count_only && !r.out.buf) {
        snprintf(err, errlen, "out of memory for the output buffer");
        return PCAPQUERY_ERROR;
    }
    bool bounds = q->kind == PCAPQUERY_UID && q->start_ns == INT64_MIN && q->end_ns == INT64_MAX;
    int64_t usec;
    rc = 0;
    if (bounds && flow_uid_time(q->uid, &usec) == 0) {
        rc = pq_plan_uid_time(&r, usec);
        if (rc == 1)
            st->uid_timed = true;
        else if (rc == 0) /* not there: the uid's second was not a start time */
            pq_plan_free(&r);
    }
    if (rc == 1)
        rc = 0;
    else if (rc == 0)
        rc = pq_plan(&r, bounds);
    if (rc == 0 && bounds && st->uid_bounded && r.n_files == 0) {
        /* the conn.log's time found nothing: ask every index */
        pq_plan_free(&r);
        st->uid_bounded = false;
        rc = pq_plan(&r, false);
    }
    st->ms_plan = (double)(pq_now_ns(CLOCK_MONOTONIC) - t0) / 1e6;
    if (rc == 0) {
        progress_begin(&r.pg, "packets", q->progress);
        rc = pq_merge_all(&r);
        progress_end(&r.pg);
    }
    if (rc == 0 && pq_out_finish(&r) < 0)
        rc = PCAPQUERY_OUTPUT;
    pq_plan_free(&r);
    for (size_t i = 0; i < r.n_filters; i++)
        pcap_freecode(&r.filters[i].prog);
    free(r.filters);
    free(r.out.buf);
    st->ms_total = (double)(pq_now_ns(CLOCK_MONOTONIC) - t0) / 1e6;
    if (rc < 0)
        return rc;
    return r.damaged ? 1 : 0;
}
