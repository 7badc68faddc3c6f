/*
 * capture_file.c - the file packet source: pcap and pcapng files read
 * through libpcap, several inputs merged into one stream in timestamp order.
 *
 * Owns: one struct file_input per file (its FILE*, its pcap_t, the BPF
 * program compiled for that file's link type, one read-ahead packet) and a
 * binary min-heap of the inputs that still have a packet, keyed by
 * (timestamp, input index) so equal times keep the command-line order and
 * one input's own order is never changed.  A packet handed out by next()
 * points into its input's libpcap buffer; that input is advanced only at
 * the following next() call, which is what keeps pkt->data valid until then.
 *
 * Reading: each FILE* gets a large stdio buffer and POSIX_FADV_SEQUENTIAL;
 * libpcap opens it at nanosecond precision.  A regular file in the plain
 * pcap format (version 2.4, this host's byte order, a link type libpcap
 * hands out unchanged) is then read past its header by this file itself:
 * pread() into one buffer per input, records parsed in place, pkt->data
 * pointing into the buffer - one copy (the kernel's) where stdio + libpcap
 * made three, no call per record into either.  Whatever that parse does
 * not take as plain - a record cut short by the end of the file, a capture
 * length over the snapshot length, 262144 or the buffer, a timestamp field
 * with its top bit set, a read error - hands the input back to libpcap at
 * that record's offset (fseeko on its FILE*), so damaged and odd files,
 * and the messages about them, are libpcap's exactly as before.  Pipes,
 * devices, pcapng and swapped or old pcap files are libpcap's throughout.
 * (An mmap of the file instead of pread was measured and rejected: on the
 * benchmark VM, touching mapped page-cache pages cost 3x the copy.)
 * The BPF filter is applied here
 * with pcap_offline_filter() (not pcap_setfilter) so that every record's
 * offset is known: for pcap files ftell() before a record is that record's
 * byte offset; for pcapng it is the offset of the next block.
 *
 * Damage (a record cut short, a bad header, an empty file) ends that input
 * only: a sentence naming the file and byte offset goes in src->err,
 * src->damaged counts it, and the other inputs go on.  Spec: the pcap file
 * format (draft-ietf-opsawg-pcap) and pcapng (draft-ietf-opsawg-pcapng) as
 * libpcap implements them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "capture/capture.h"

#define FILE_BUF_MAX (1u << 20)    /* stdio buffer per input, at most */
#define FILE_BUF_MIN (64u << 10)   /* ... and at least */
#define FILE_BUF_TOTAL (64u << 20) /* all inputs' buffers together, when many */
#define OWN_CAPLEN_MAX 262144u     /* libpcap's MAXIMUM_SNAPLEN (max_snaplen_for_dlt) */

struct file_input {
    char *path;
    FILE *fp;
    char *buf;
    pcap_t *p;
    struct bpf_program prog;
    int has_prog;
    int linktype;
    int snaplen;       /* from the file header; -1 when libpcap would not open it */
    uint64_t size;     /* file size at open (0 for a pipe) */
    uint64_t npackets; /* records read, including filtered out */
    int64_t next_off;  /* pcap: offset of the next record, kept here (ftello costs a syscall) */
    int rec_hdr_len;   /* pcap: 16, or 24 for Kuznetzov's format; 0: pcapng, use ftello */
    /* own reading (plain pcap, regular file); rbuf NULL when libpcap reads */
    uint8_t *rbuf;
    size_t rb_cap;
    int64_t rb_off;     /* file offset of rbuf[0] */
    size_t rb_len;      /* bytes in rbuf */
    uint32_t rb_caplen_max; /* records with a larger caplen go to libpcap */
    int rb_usec;        /* timestamps in microseconds: scaled to ns as libpcap does */
    struct pcap_pkthdr rb_hdr;
    /* the read-ahead packet */
    struct pcap_pkthdr *hdr;
    const u_char *data;
    int64_t offset;
};

struct file_source {
    struct capture_source base;
    struct file_input *in;
    int nin;
    int *heap; /* indexes into in[], a min-heap by (ts, index) */
    int nheap;
    int last; /* input whose packet next() handed out last, to advance; -1 none */
    uint64_t num;
    uint64_t closed_bytes; /* sizes of inputs already finished */
    struct capture_stats st;
};

static void file_input_own_end(struct file_input *in)
{
    free(in->rbuf);
    in->rbuf = NULL;
}

static void file_input_close(struct file_source *fs, struct file_input *in)
{
    file_input_own_end(in);
    if (in->has_prog)
        pcap_freecode(&in->prog);
    in->has_prog = 0;
    if (in->p)
        pcap_close(in->p); /* closes in->fp too */
    else if (in->fp)
        fclose(in->fp);
    if (in->fp || in->p)
        fs->closed_bytes += in->size;
    in->p = NULL;
    in->fp = NULL;
    free(in->buf);
    in->buf = NULL;
}

/* Record damage to one input: a sentence in err, the counters. */
static void file_input_damaged(struct file_source *fs, struct file_input *in, const char *fmt,
                               ...) __attribute__((format(printf, 3, 4)));

static void file_input_damaged(struct file_source *fs, struct file_input *in, const char *fmt, ...)
{
    va_list ap;
    char what[400];
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    snprintf(fs->base.err, sizeof(fs->base.err), "%s: %s", in->path, what);
    size_t add = strlen(fs->base.err) + 1;
    char *log = realloc(fs->base.damage_log, fs->base.damage_len + add + 1);
    if (log) {
        memcpy(log + fs->base.damage_len, fs->base.err, add - 1);
        log[fs->base.damage_len + add - 1] = '\n';
        log[fs->base.damage_len + add] = '\0';
        fs->base.damage_log = log;
        fs->base.damage_len += add;
    }
    fs->base.damaged++;
    fs->st.files_damaged++;
}

static int heap_less(const struct file_source *fs, int a, int b)
{
    const struct pcap_pkthdr *ha = fs->in[a].hdr, *hb = fs->in[b].hdr;
    if (ha->ts.tv_sec != hb->ts.tv_sec)
        return ha->ts.tv_sec < hb->ts.tv_sec;
    if (ha->ts.tv_usec != hb->ts.tv_usec)
        return ha->ts.tv_usec < hb->ts.tv_usec;
    return a < b;
}

static void heap_sift_down(struct file_source *fs, int i)
{
    int n = fs->nheap;
    for (;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && heap_less(fs, fs->heap[l], fs->heap[m]))
            m = l;
        if (r < n && heap_less(fs, fs->heap[r], fs->heap[m]))
            m = r;
        if (m == i)
            return;
        int t = fs->heap[i];
        fs->heap[i] = fs->heap[m];
        fs->heap[m] = t;
        i = m;
    }
}

static void heap_sift_up(struct file_source *fs, int i)
{
    while (i > 0) {
        int parent = (i - 1) / 2;
        if (!heap_less(fs, fs->heap[i], fs->heap[parent]))
            return;
        int t = fs->heap[i];
        fs->heap[i] = fs->heap[parent];
        fs->heap[parent] = t;
        i = parent;
    }
}

/* Explain a libpcap read error at byte offset off in a sentence. */
static void file_input_read_error(struct file_source *fs, struct file_input *in, int64_t off)
{
    const char *msg = pcap_geterr(in->p);
    char where[64] = "after the last packet read (a pipe has no byte offsets)";
    if (off >= 0)
        snprintf(where, sizeof(where), "at byte offset %lld", (long long)off);
    if (strstr(msg, "truncated dump file") || strstr(msg, "truncated pcapng"))
        file_input_damaged(fs, in,
                           "truncated record %s: the file ends inside a packet record (%s); %llu "
                           "packets before it were read",
                           where, msg, (unsigned long long)in->npackets);
    else
        file_input_damaged(fs, in,
                           "damaged record %s: %s; %llu packets before it were read, the rest of "
                           "the file is skipped",
                           where, msg, (unsigned long long)in->npackets);
}

/* Bytes [off, off + need) in the buffer: moved to its front and refilled
 * when they are not.  0 there, -1 the file ends (or fails) before. */
static int file_input_own_fill(struct file_input *in, int64_t off, size_t need)
{
    if (off >= in->rb_off && (uint64_t)(off - in->rb_off) + need <= in->rb_len)
        return 0;
    if (need > in->rb_cap)
        return -1;
    size_t keep = 0;
    if (off >= in->rb_off && (uint64_t)(off - in->rb_off) < in->rb_len) {
        keep = in->rb_len - (size_t)(off - in->rb_off);
        memmove(in->rbuf, in->rbuf + (off - in->rb_off), keep);
    }
    in->rb_off = off;
    in->rb_len = keep;
    while (in->rb_len < need) {
        ssize_t k = pread(fileno(in->fp), in->rbuf + in->rb_len, in->rb_cap - in->rb_len,
                          (off_t)(off + (int64_t)in->rb_len));
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        in->rb_len += (size_t)k;
    }
    return 0;
}

/* The record at in->next_off, parsed here: 1 read (in->hdr, in->data
 * set); -1 not a plain record, or the end of the file: libpcap reads from
 * there on (the FILE* is moved to it; at the end it says end of file, on
 * damage what it says without this reader). */
static int file_input_own_next(struct file_input *in)
{
    int64_t off = in->next_off;
    uint32_t h[4]; /* ts_sec, ts_usec (or ns), caplen, len: this host's order */
    if (file_input_own_fill(in, off, sizeof(h)) == 0) {
        memcpy(h, in->rbuf + (off - in->rb_off), sizeof(h));
        if (h[2] <= in->rb_caplen_max && h[0] <= INT32_MAX && h[1] <= INT32_MAX &&
            file_input_own_fill(in, off, sizeof(h) + h[2]) == 0) {
            /* as libpcap's pcap_next_packet: the 32-bit fields are signed */
            in->rb_hdr.ts.tv_sec = (int32_t)h[0];
            in->rb_hdr.ts.tv_usec = (int32_t)h[1];
            if (in->rb_usec)
                in->rb_hdr.ts.tv_usec *= 1000;
            in->rb_hdr.caplen = h[2];
            in->rb_hdr.len = h[3];
            in->hdr = &in->rb_hdr;
            in->data = in->rbuf + (off - in->rb_off) + sizeof(h);
            return 1;
        }
    }
    file_input_own_end(in);
    fseeko(in->fp, (off_t)off, SEEK_SET); /* failing, libpcap's read says why */
    return -1;
}

/* Read the next wanted packet of one input.  1: read-ahead filled;
 * 0: the input is finished (end of file or damage), and closed. */
static int file_input_advance(struct file_source *fs, struct file_input *in)
{
    for (;;) {
        int64_t off = in->rec_hdr_len ? in->next_off : (int64_t)ftello(in->fp);
        int rc = in->rbuf ? file_input_own_next(in) : -1;
        if (rc < 0)
            rc = pcap_next_ex(in->p, &in->hdr, &in->data);
        if (rc == 1) {
            in->npackets++;
            in->next_off = off + in->rec_hdr_len + in->hdr->caplen;
            if (in->has_prog && !pcap_offline_filter(&in->prog, in->hdr, in->data)) {
                fs->st.filtered_out++;
                continue;
            }
            in->offset = off;
            return 1;
        }
        if (rc == PCAP_ERROR)
            file_input_read_error(fs, in, off);
        file_input_close(fs, in);
        return 0;
    }
}

/* Explain why libpcap would not open a file, from its message and the first bytes. */
static void file_input_open_error(struct file_source *fs, struct file_input *in, const char *msg,
                                  const struct stat *st)
{
    if (!S_ISREG(st->st_mode)) { /* a pipe: its first bytes were libpcap's, and are gone */
        file_input_damaged(fs, in, "not a pcap or pcapng capture at byte offset 0: %s", msg);
        return;
    }
    if (in->size == 0) {
        file_input_damaged(fs, in, "empty file (0 bytes at byte offset 0), not a pcap or pcapng "
                                   "capture");
        return;
    }
    unsigned char m[4] = {0};
    ssize_t got = pread(fileno(in->fp), m, 4, 0);
    if (strstr(msg, "unknown file format") || got < 4)
        file_input_damaged(fs, in,
                           "not a pcap or pcapng file: bad magic number %02x%02x%02x%02x at byte "
                           "offset 0 (%s)",
                           m[0], m[1], m[2], m[3], msg);
    else if (strstr(msg, "truncated"))
        file_input_damaged(fs, in, "truncated file header at byte offset 0 (%s)", msg);
    else
        file_input_damaged(fs, in, "damaged file header at byte offset 0: %s", msg);
}

/* Bytes before each record's data in a pcap file (16; 24 in Kuznetzov's
 * modified format), or 0 for pcapng, whose block lengths vary. */
static int file_record_header_len(struct file_input *in, const struct stat *st)
{
    /* A pipe or FIFO cannot be read twice: its first bytes are libpcap's
     * now.  libpcap says pcapng as major version 1; a pcap over a pipe is
     * taken as the standard format (Kuznetzov's modified pcap, whose
     * records have 24-byte headers, only gets wrong byte offsets in the
     * damage messages, never wrong packets: libpcap reads the records). */
    if (!S_ISREG(st->st_mode))
        return pcap_major_version(in->p) == 1 ? 0 : 16;
    unsigned char m[4] = {0};
    if (pread(fileno(in->fp), m, 4, 0) != 4 || (m[0] == 0x0a && m[1] == 0x0d && m[2] == 0x0d && m[3] == 0x0a))
        return 0;
    if ((m[0] == 0x34 && m[1] == 0xcd) || (m[2] == 0xcd && m[3] == 0x34))
        return 24;
    return 16;
}

/* Link types whose records libpcap hands out as they are in the file
 * (no pseudo-header fixup on a file in this host's byte order). */
static int file_linktype_plain(int dlt)
{
    switch (dlt) {
    case DLT_EN10MB: case DLT_RAW: case DLT_NULL: case DLT_LOOP: case DLT_LINUX_SLL:
    case DLT_LINUX_SLL2: case DLT_IPV4: case DLT_IPV6: case DLT_PPP: case DLT_IEEE802_11:
    case DLT_IEEE802_11_RADIO:
        return 1;
    default:
        return 0;
    }
}

/* Read a plain pcap file here from its first record on (libpcap read the
 * header and keeps the FILE* for a fallback).  bufsize: this input's share. */
static void file_input_own_start(struct file_input *in, const struct stat *st, size_t bufsize)
{
    uint8_t h[24];
    int snap = pcap_snapshot(in->p);
    if (!S_ISREG(st->st_mode) || in->rec_hdr_len != 16 || in->next_off != 24 || snap <= 0 ||
        !file_linktype_plain(in->linktype) || pread(fileno(in->fp), h, 24, 0) != 24)
        return;
    uint32_t magic;
    uint16_t ver[2];
    memcpy(&magic, h, 4);
    memcpy(ver, h + 4, 4);
    if ((magic != 0xa1b2c3d4u && magic != 0xa1b23c4du) || ver[0] != 2 || ver[1] != 4)
        return;
    if (!(in->rbuf = malloc(bufsize)))
        return;
    in->rb_cap = bufsize;
    in->rb_off = 24;
    in->rb_len = 0;
    in->rb_usec = magic == 0xa1b2c3d4u;
    in->rb_caplen_max = (uint32_t)snap < OWN_CAPLEN_MAX ? (uint32_t)snap : OWN_CAPLEN_MAX;
}

/* Open one input.  0: opened (or found damaged, which is not fatal);
 * -1: fatal (unreadable file, filter that does not fit), sentence in err. */
static int file_input_open(struct file_source *fs, struct file_input *in, const char *bpf,
                           size_t bufsize, char *err, size_t errlen)
{
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    struct stat st;
    in->snaplen = -1;
    if (strcmp(in->path, "-") == 0) { /* standard input; a dup, so closing it leaves fd 0 */
        int fd = dup(STDIN_FILENO);
        in->fp = fd >= 0 ? fdopen(fd, "rb") : NULL;
        if (!in->fp && fd >= 0)
            close(fd);
    } else {
        in->fp = fopen(in->path, "rb");
    }
    if (!in->fp) {
        snprintf(err, errlen, "%s: cannot open: %s", in->path, strerror(errno));
        return -1;
    }
    if (fstat(fileno(in->fp), &st) != 0) {
        snprintf(err, errlen, "%s: cannot stat: %s", in->path, strerror(errno));
        fclose(in->fp);
        in->fp = NULL;
        return -1;
    }
    in->size = S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
    if (S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s: is a directory", in->path);
        return -1;
    }
    in->buf = malloc(bufsize);
    if (in->buf)
        setvbuf(in->fp, in->buf, _IOFBF, bufsize);
    posix_fadvise(fileno(in->fp), 0, 0, POSIX_FADV_SEQUENTIAL);
    in->p = pcap_fopen_offline_with_tstamp_precision(in->fp, PCAP_TSTAMP_PRECISION_NANO, ebuf);
    if (!in->p) {
        file_input_open_error(fs, in, ebuf, &st);
        file_input_close(fs, in);
        return 0;
    }
    in->linktype = pcap_datalink(in->p);
    in->snaplen = pcap_snapshot(in->p);
    in->next_off = (int64_t)ftello(in->fp);
    in->rec_hdr_len = file_record_header_len(in, &st);
    if (in->next_off < 0 && in->rec_hdr_len) /* a pipe has no ftello; a pcap header is 24 bytes */
        in->next_off = 24;
    file_input_own_start(in, &st, bufsize);
    if (bpf) {
        if (pcap_compile(in->p, &in->prog, bpf, 1, PCAP_NETMASK_UNKNOWN) < 0) {
            /* A filter that is fine on Ethernet but cannot match this link
             * type ("vlan" on a loopback capture, "ip6" on raw IPv4)
             * selects nothing from this input; it is not an error of the
             * command line, since other inputs may have other link types. */
            char e2[256];
            if (capture_filter_check(bpf, DLT_EN10MB, e2, sizeof(e2)) == 0) {
                pcap_close(in->p);
                in->p = NULL;
                in->fp = NULL;
                fs->closed_bytes += in->size;
                free(in->buf);
                in->buf = NULL;
                return 0;
            }
            snprintf(err, errlen, "%s: bad filter expression '%s' for link type %s: %s", in->path,
                     bpf, capture_linktype_name(in->linktype), pcap_geterr(in->p));
            return -1;
        }
        in->has_prog = 1;
    }
    return 0;
}

static int file_next(struct capture_source *src, struct packet *pkt)
{
    struct file_source *fs = (struct file_source *)src;
    if (fs->last >= 0) {
        if (file_input_advance(fs, &fs->in[fs->last]) == 0)
            fs->heap[0] = fs->heap[--fs->nheap];
        if (fs->nheap > 1)
            heap_sift_down(fs, 0);
        fs->last = -1;
    }
    if (fs->nheap == 0)
        return 0;
    int i = fs->heap[0];
    struct file_input *in = &fs->in[i];
    const struct pcap_pkthdr *h = in->hdr;
    pkt->ts_sec = (int64_t)h->ts.tv_sec;
    pkt->ts_nsec = (uint32_t)h->ts.tv_usec; /* nanoseconds: opened at PCAP_TSTAMP_PRECISION_NANO */
    pkt->caplen = h->caplen;
    pkt->wirelen = h->len;
    pkt->linktype = in->linktype;
    pkt->data = in->data;
    pkt->num = ++fs->num;
    pkt->origin = in->path;
    pkt->origin_offset = in->offset;
    pkt->flags = 0;
    pkt->n_layers = 0;
    pkt->n_anomalies = 0;
    fs->st.packets++;
    fs->st.bytes += h->caplen;
    fs->st.wire_bytes += h->len;
    fs->last = i;
    return 1;
}

static int file_stats(struct capture_source *src, struct capture_stats *st)
{
    *st = ((struct file_source *)src)->st;
    return 0;
}

static void file_progress(struct capture_source *src, uint64_t *done, uint64_t *total)
{
    struct file_source *fs = (struct file_source *)src;
    uint64_t d = fs->closed_bytes, t = 0;
    for (int i = 0; i < fs->nin; i++) {
        t += fs->in[i].size;
        if (fs->in[i].rbuf) {
            d += (uint64_t)fs->in[i].next_off;
        } else if (fs->in[i].fp) {
            off_t o = ftello(fs->in[i].fp);
            d += o > 0 ? (uint64_t)o : 0;
        }
    }
    *done = d > t ? t : d;
    *total = t;
}

static void file_close(struct capture_source *src)
{
    struct file_source *fs = (struct file_source *)src;
    for (int i = 0; i < fs->nin; i++) {
        file_input_close(fs, &fs->in[i]);
        free(fs->in[i].path);
    }
    free(fs->in);
    free(fs->heap);
    free(fs->base.damage_log);
    free(fs);
}

static const struct capture_source_ops file_ops = {
    .name = "file",
    .next = file_next,
    .stats = file_stats,
    .close = file_close,
    .progress = file_progress,
};

/* Many inputs are open at once; let this process have as many descriptors as it may. */
static void file_raise_fd_limit(int want)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)want + 64) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

struct capture_source *capture_open_files(const char *const *paths, int npaths,
                                          const struct capture_file_opts *opts, char *err,
                                          size_t errlen)
{
    char **list = NULL;
    int n = 0;
    err[0] = '\0';
    if (capture_expand_paths(paths, npaths, &list, &n, err, errlen) < 0)
        return NULL;
    struct file_source *fs = calloc(1, sizeof(*fs));
    if (!fs || !(fs->in = calloc((size_t)(n ? n : 1), sizeof(*fs->in))) ||
        !(fs->heap = calloc((size_t)(n ? n : 1), sizeof(int)))) {
        snprintf(err, errlen, "out of memory opening %d capture files", n);
        if (fs)
            free(fs->in);
        free(fs);
        capture_free_paths(list, n);
        return NULL;
    }
    fs->base.ops = &file_ops;
    fs->last = -1;
    fs->nin = n;
    for (int i = 0; i < n; i++)
        fs->in[i].path = list[i]; /* ownership moves to the source */
    free(list);
    file_raise_fd_limit(n);
    size_t bufsize = n ? FILE_BUF_TOTAL / (size_t)n : FILE_BUF_MAX;
    bufsize = bufsize > FILE_BUF_MAX ? FILE_BUF_MAX : bufsize < FILE_BUF_MIN ? FILE_BUF_MIN : bufsize;
    const char *bpf = opts && opts->bpf && opts->bpf[0] ? opts->bpf : NULL;
    for (int i = 0; i < n; i++) {
        struct file_input *in = &fs->in[i];
        if (file_input_open(fs, in, bpf, bufsize, err, errlen) < 0) {
            file_close(&fs->base);
            return NULL;
        }
        fs->st.files_total++;
        if (in->p && file_input_advance(fs, in)) {
            fs->heap[fs->nheap++] = i;
            heap_sift_up(fs, fs->nheap - 1);
        }
    }
    return &fs->base;
}

int capture_file_input(const struct capture_source *src, int i, const char **path, int *snaplen,
                       int *linktype)
{
    if (!src || src->ops != &file_ops)
        return -1;
    const struct file_source *fs = (const struct file_source *)src;
    if (i < 0 || i >= fs->nin)
        return -1;
    *path = fs->in[i].path;
    *snaplen = fs->in[i].snaplen;
    *linktype = fs->in[i].snaplen < 0 ? -1 : fs->in[i].linktype;
    return 0;
}
