/*
 * pcapstore.c - the full-content writer of ARCHITECTURE.md §5: every
 * packet into the archive's rotating pcap files, each with its flow index;
 * and the archive's layout (listing files, pcapindex_archive_list).
 *
 * Owns: the open pcap file, its write buffer, its journal (.idx.open) and
 * its index builder; the sensor's lock file; crash recovery at start.
 *
 *   packet ─► [16-byte record header + caplen bytes] ─► buffer (8 MiB) ─► write(2)
 *        └──► builder: uid -> (offset, ts) ...... every second ─► journal frame
 *   rotate (size, UTC midnight, link type change, close):
 *        flush, fsync, .idx via temp + fsync + rename, unlink .idx.open
 *
 * Format: classic pcap, nanosecond magic 0xa1b23c4d in host byte order,
 * snaplen 262144, the source's link type (pcapindex.h).  Names:
 * DATA/sensor_data/<sensor>/dailylogs/<YYYY-MM-DD>/<sensor>.<epoch>.pcap,
 * day and epoch of the first packet (UTC); when a file of that second
 * exists already (tiny rotate sizes) the next free second is used.
 *
 * A failed write (ENOSPC or any other) stops archiving but not analysis:
 * the open file is cut back to what reached the disk and closed with its
 * index, later packets are counted as not written, and writing resumes at
 * the next retention pass that finds room.  Retention also pauses writing
 * while the disk stays above its threshold with nothing left to delete.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/pcapindex.h"
#include "core/fsutil.h"
#include "store/pcapstore.h"

#define NS_PER_S 1000000000LL

struct pcapstore {
    struct pcapstore_config cfg;
    char sensor_dir[4096];
    char dl_dir[4096];
    int lock_fd;
    /* the open file */
    int fd, jfd;
    char path[4200];
    uint64_t size;      /* bytes of the file including what is still buffered */
    uint64_t flushed;   /* bytes that reached write(2) */
    int64_t day_end_ns; /* next UTC midnight after the first packet */
    int linktype;
    struct pcapindex_builder *b;
    uint8_t *buf;
    size_t blen;
    /* state */
    bool stopped;       /* not archiving (write failure or disk full) */
    bool warned;
    int64_t last_ns;    /* newest packet time */
    int ticks;
    struct pcapstore_counters ctr;
};

void pcapstore_config_default(struct pcapstore_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->data_dir = pcapindex_data_dir(NULL);
    cfg->sensor = "vigil";
    cfg->rotate_size = 1ull << 30;
    cfg->buf_size = 8u << 20;
    cfg->compress_index = true;
    retention_config_default(&cfg->retention);
}

__attribute__((format(printf, 2, 3))) static void store_log(const struct pcapstore *s,
                                                            const char *fmt, ...)
{
    if (s->cfg.quiet)
        return;
    va_list ap;
    fprintf(stderr, "vigil: archive: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* Recover every file of the sensor a crash left open (no .idx). */
static int store_recover(struct pcapstore *s, char *err, size_t errlen)
{
    struct pcapindex_file *files;
    size_t n;
    if (pcapindex_archive_list(s->cfg.data_dir, s->cfg.sensor, &files, &n, err, errlen) < 0)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        char ip[4200];
        struct stat st;
        snprintf(ip, sizeof(ip), "%s.idx", files[i].path);
        if (stat(ip, &st) == 0)
            continue;
        uint64_t cut = 0;
        rc = pcapindex_recover(files[i].path, s->cfg.sensor, &cut, err, errlen);
        if (rc == 0) {
            s->ctr.recovered++;
            s->ctr.recovered_cut += cut;
            fprintf(stderr,
                    "vigil: archive: recovered %s left open by a crash: cut %llu bytes of a "
                    "partial packet, index rebuilt\n",
                    files[i].path, (unsigned long long)cut);
        }
    }
    pcapindex_archive_free(files, n);
    return rc;
}

static int store_lock(struct pcapstore *s, char *err, size_t errlen)
{
    char lp[4200];
    snprintf(lp, sizeof(lp), "%s/.archive.lock", s->sensor_dir);
    s->lock_fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (s->lock_fd < 0) {
        snprintf(err, errlen, "cannot create the lock file %s: %s", lp, strerror(errno));
        return -1;
    }
    if (flock(s->lock_fd, LOCK_EX | LOCK_NB) < 0) {
        snprintf(err, errlen,
                 "%s is locked: another vigil capture or ingest writes this sensor's archive",
                 lp);
        return -1;
    }
    return 0;
}

struct pcapstore *pcapstore_open(const struct pcapstore_config *cfg, char *err, size_t errlen)
{
    struct pcapstore *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, errlen, "out of memory opening the archive");
        return NULL;
    }
    s->cfg = *cfg;
    s->fd = s->jfd = s->lock_fd = -1;
    if (!s->cfg.sensor || !*s->cfg.sensor)
        s->cfg.sensor = "vigil";
    if (!s->cfg.rotate_size)
        s->cfg.rotate_size = 1ull << 30;
    if (s->cfg.buf_size < (1u << 20))
        s->cfg.buf_size = 8u << 20;
    if (snprintf(s->sensor_dir, sizeof(s->sensor_dir), "%s/sensor_data/%s", s->cfg.data_dir,
                 s->cfg.sensor) >= 2000 ||
        snprintf(s->dl_dir, sizeof(s->dl_dir), "%s/dailylogs", s->sensor_dir) >= 2100) {
        snprintf(err, errlen, "the data directory name %s is too long", s->cfg.data_dir);
        free(s);
        return NULL;
    }
    s->buf = malloc(s->cfg.buf_size);
    if (!s->buf) {
        snprintf(err, errlen, "out of memory for the archive's write buffer");
        goto fail;
    }
    if (core_mkdirs(s->dl_dir, 0755) < 0) {
        snprintf(err, errlen, "cannot create the archive directory %s: %s", s->dl_dir,
                 strerror(errno));
        goto fail;
    }
    if (store_lock(s, err, errlen) < 0 || store_recover(s, err, errlen) < 0)
        goto fail;
    return s;
fail:
    if (s->lock_fd >= 0)
        close(s->lock_fd);
    free(s->buf);
    free(s);
    return NULL;
}

static void store_stop_writing(struct pcapstore *s, const char *why);

/* Buffer -> file, then the journal frame of what is now on disk. */
static int store_flush(struct pcapstore *s)
{
    if (s->fd < 0)
        return 0;
    if (s->blen) {
        if (core_write_all(s->fd, s->buf, s->blen) < 0) {
            char why[4400];
            snprintf(why, sizeof(why), "writing %.4200s failed: %s", s->path, strerror(errno));
            store_stop_writing(s, why);
            return -1;
        }
        s->flushed += s->blen;
        s->blen = 0;
    }
    const uint8_t *fr;
    size_t fl;
    pcapindex_builder_journal(s->b, &fr, &fl);
    if (fl && s->jfd >= 0 && core_write_all(s->jfd, fr, fl) < 0) {
        /* the journal is a convenience: recovery rebuilds without it */
        close(s->jfd);
        s->jfd = -1;
    }
    return 0;
}

/* Close the open file: flush, fsync, index (atomic), journal removed. */
static int store_close_file(struct pcapstore *s, char *err, size_t errlen)
{
    if (s->fd < 0)
        return 0;
    int rc = 0;
    if (store_flush(s) < 0)
        return -1; /* store_stop_writing closed it */
    uint64_t ib = 0;
    if (fsync(s->fd) < 0 || close(s->fd) < 0) {
        snprintf(err, errlen, "cannot sync %s: %s", s->path, strerror(errno));
        rc = -1;
    }
    s->fd = -1;
    char ip[4300];
    snprintf(ip, sizeof(ip), "%s.idx", s->path);
    if (rc == 0 &&
        pcapindex_builder_write(s->b, ip, s->flushed, s->cfg.compress_index, &ib, err, errlen) < 0)
        rc = -1;
    if (s->jfd >= 0)
        close(s->jfd);
    s->jfd = -1;
    if (rc == 0) {
        char jp[4300];
        snprintf(jp, sizeof(jp), "%s.idx.open", s->path);
        unlink(jp);
        s->ctr.files_closed++;
        s->ctr.index_bytes += ib;
        s->ctr.pcap_bytes_closed += s->flushed;
        store_log(s, "closed %s (%llu bytes, index %llu bytes)", s->path,
                  (unsigned long long)s->flushed, (unsigned long long)ib);
    }
    pcapindex_builder_free(s->b);
    s->b = NULL;
    return rc;
}

/* A write failed: cut the file back to what reached the disk, index it and
 * stop archiving (analysis goes on). */
static void store_stop_writing(struct pcapstore *s, const char *why)
{
    char err[512];
    fprintf(stderr, "vigil: archive: %s; packets are no longer archived (analysis goes on) "
                    "until retention finds room\n", why);
    s->stopped = true;
    s->blen = 0;
    if (s->fd >= 0) {
        close(s->fd);
        s->fd = -1;
    }
    if (s->jfd >= 0) {
        close(s->jfd);
        s->jfd = -1;
    }
    pcapindex_builder_free(s->b);
    s->b = NULL;
    uint64_t cut;
    if (pcapindex_recover(s->path, s->cfg.sensor, &cut, err, sizeof(err)) < 0)
        fprintf(stderr, "vigil: archive: %s\n", err);
}

/* Open a new file for a packet at ts_ns of link type lt. */
static int store_open_file(struct pcapstore *s, int64_t ts_ns, int lt)
{
    time_t sec = (time_t)(ts_ns / NS_PER_S);
    struct tm tm;
    char day[16], dir[4200];
    gmtime_r(&sec, &tm);
    strftime(day, sizeof(day), "%Y-%m-%d", &tm);
    snprintf(dir, sizeof(dir), "%s/%s", s->dl_dir, day);
    if (core_mkdirs(dir, 0755) < 0) {
        char why[4400];
        snprintf(why, sizeof(why), "cannot create %s: %s", dir, strerror(errno));
        store_stop_writing(s, why);
        return -1;
    }
    for (int64_t ep = sec;; ep++) {
        if (snprintf(s->path, sizeof(s->path), "%s/%s.%lld.pcap", dir, s->cfg.sensor,
                     (long long)ep) >= (int)sizeof(s->path)) {
            errno = ENAMETOOLONG;
            break;
        }
        s->fd = open(s->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (s->fd >= 0 || errno != EEXIST)
            break;
    }
    if (s->fd < 0) {
        char why[4400];
        snprintf(why, sizeof(why), "cannot create %s: %s", s->path, strerror(errno));
        s->stopped = true;
        fprintf(stderr, "vigil: archive: %s; packets are no longer archived\n", why);
        return -1;
    }
    char jp[4300];
    snprintf(jp, sizeof(jp), "%s.idx.open", s->path);
    s->jfd = open(jp, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
    s->b = pcapindex_builder_new((uint32_t)lt, ts_ns, s->cfg.sensor, s->jfd >= 0);
    if (!s->b) {
        store_stop_writing(s, "out of memory for the index");
        return -1;
    }
    s->day_end_ns = ((int64_t)sec / 86400 + 1) * 86400 * NS_PER_S;
    s->linktype = lt;
    s->size = s->flushed = 0;
    uint8_t h[PCAPFILE_HDR_LEN];
    uint32_t magic = 0xa1b23c4du, snap = PCAPFILE_SNAPLEN, l = (uint32_t)lt, z = 0;
    uint16_t vmaj = 2, vmin = 4;
    memcpy(h, &magic, 4);
    memcpy(h + 4, &vmaj, 2);
    memcpy(h + 6, &vmin, 2);
    memcpy(h + 8, &z, 4);
    memcpy(h + 12, &z, 4);
    memcpy(h + 16, &snap, 4);
    memcpy(h + 20, &l, 4);
    memcpy(s->buf, h, sizeof(h));
    s->blen = s->size = sizeof(h);
    store_flush(s); /* header and journal header on disk at once */
    store_log(s, "opened %s", s->path);
    return 0;
}

/* Does this packet need a new file? */
static bool store_needs_rotate(const struct pcapstore *s, int64_t ts, int lt, uint32_t caplen)
{
    if (s->fd < 0)
        return true;
    if (lt != s->linktype || ts >= s->day_end_ns)
        return true;
    return s->size > PCAPFILE_HDR_LEN &&
           s->size + PCAPFILE_REC_LEN + caplen > s->cfg.rotate_size;
}

static void store_retention(struct pcapstore *s)
{
    bool full = false;
    retention_run(s->cfg.data_dir, s->cfg.sensor, &s->cfg.retention,
                  s->fd >= 0 ? s->path : NULL, s->last_ns, &full, &s->ctr.retention);
    if (full && !s->stopped) {
        char err[512];
        fprintf(stderr, "vigil: archive: the disk stays above %.0f%% used with no archive file "
                        "left to delete; packets are no longer archived\n",
                s->cfg.retention.max_disk_pct);
        if (store_close_file(s, err, sizeof(err)) < 0)
            fprintf(stderr, "vigil: archive: %s\n", err);
        s->stopped = true;
    } else if (!full && s->stopped) {
        fprintf(stderr, "vigil: archive: room again on the disk; archiving resumes\n");
        s->stopped = false;
        s->warned = false;
    }
}

int pcapstore_write(struct pcapstore *s, const struct packet *pkt,
                    const struct flow_packet_refs *refs)
{
    int64_t ts = pkt->ts_sec * NS_PER_S + pkt->ts_nsec;
    if (ts > s->last_ns)
        s->last_ns = ts;
    uint32_t caplen = pkt->caplen > PCAPFILE_SNAPLEN ? PCAPFILE_SNAPLEN : pkt->caplen;
    if (!s->stopped && store_needs_rotate(s, ts, pkt->linktype, caplen)) {
        char err[512];
        bool had = s->fd >= 0;
        if (store_close_file(s, err, sizeof(err)) < 0 && !s->stopped)
            fprintf(stderr, "vigil: archive: %s\n", err);
        if (had)
            store_retention(s);
        if (!s->stopped)
            store_open_file(s, ts, pkt->linktype);
    }
    if (s->stopped) {
        s->ctr.not_written++;
        return -1;
    }
    if (s->blen + PCAPFILE_REC_LEN + caplen > s->cfg.buf_size && store_flush(s) < 0) {
        s->ctr.not_written++;
        return -1;
    }
    uint32_t rh[4] = {(uint32_t)pkt->ts_sec, pkt->ts_nsec, caplen, pkt->wirelen};
    memcpy(s->buf + s->blen, rh, sizeof(rh));
    memcpy(s->buf + s->blen + sizeof(rh), pkt->data, caplen);
    s->blen += sizeof(rh) + caplen;
    struct pcapindex_ref r[PCAPINDEX_MAX_REFS];
    int n = refs ? refs->n : 0;
    for (int i = 0; i < n; i++) {
        r[i].uid = refs->ref[i].uid;
        pcapindex_key_from_layer(pkt, refs->ref[i].layer, &r[i].key);
    }
    if (pcapindex_builder_add(s->b, s->size, ts, r, n) < 0 && !s->warned) {
        fprintf(stderr, "vigil: archive: out of memory indexing %s\n", s->path);
        s->warned = true;
    }
    s->size += sizeof(rh) + caplen;
    s->ctr.packets++;
    s->ctr.bytes += sizeof(rh) + caplen;
    return 0;
}

void pcapstore_sink(void *ctx, const struct packet *pkt, const struct flow_packet_refs *refs)
{
    pcapstore_write(ctx, pkt, refs);
}

void pcapstore_tick(struct pcapstore *s)
{
    if (s->fd >= 0)
        store_flush(s);
    if (++s->ticks % 60 == 0)
        store_retention(s);
}

void pcapstore_counters(const struct pcapstore *s, struct pcapstore_counters *c)
{
    *c = s->ctr;
}

const char *pcapstore_sensor_dir(const struct pcapstore *s)
{
    return s->sensor_dir;
}

int pcapstore_finish(struct pcapstore *s, char *err, size_t errlen)
{
    return store_close_file(s, err, errlen);
}

int pcapstore_close(struct pcapstore *s, char *err, size_t errlen)
{
    if (!s)
        return 0;
    int rc = store_close_file(s, err, errlen);
    if (s->lock_fd >= 0)
        close(s->lock_fd);
    free(s->buf);
    free(s);
    return rc;
}

/* ---- the archive ---- */

const char *pcapindex_data_dir(const char *flag_value)
{
    if (flag_value && *flag_value)
        return flag_value;
    const char *e = getenv("VIGIL_DATA");
    return e && *e ? e : "/nsm";
}

/* "<sensor>.<digits>.pcap" -> epoch; -1 when the name is not an archive file's. */
static int64_t archive_name_epoch(const char *name, const char *sensor)
{
    size_t n = strlen(name);
    if (n < 6 || strcmp(name + n - 5, ".pcap") != 0)
        return -1;
    const char *end = name + n - 5, *dot = end;
    while (dot > name && dot[-1] >= '0' && dot[-1] <= '9')
        dot--;
    if (dot == end || dot == name || dot[-1] != '.')
        return -1;
    if (sensor && ((size_t)(dot - 1 - name) != strlen(sensor) ||
                   strncmp(name, sensor, (size_t)(dot - 1 - name)) != 0))
        return -1;
    int64_t e = 0;
    for (const char *p = dot; p < end; p++)
        e = e * 10 + (*p - '0');
    return e;
}

struct flist {
    struct pcapindex_file *f;
    size_t n, cap;
};

static int flist_add(struct flist *l, const char *path, int64_t epoch, const char *day)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        struct pcapindex_file *g = realloc(l->f, cap * sizeof(*g));
        if (!g)
            return -1;
        l->f = g;
        l->cap = cap;
    }
    struct pcapindex_file *f = &l->f[l->n];
    f->path = strdup(path);
    if (!f->path)
        return -1;
    f->epoch = epoch;
    snprintf(f->day, sizeof(f->day), "%.10s", day);
    l->n++;
    return 0;
}

/* Files of one sensor's dailylogs directory. */
static int archive_scan_sensor(const char *dl, const char *sensor, struct flist *l)
{
    DIR *d = opendir(dl);
    if (!d)
        return 0;
    struct dirent *e;
    char p[4096];
    int rc = 0;
    while (rc == 0 && (e = readdir(d))) {
        if (e->d_name[0] == '.' || strlen(e->d_name) != 10)
            continue;
        if (snprintf(p, sizeof(p), "%s/%s", dl, e->d_name) >= (int)sizeof(p))
            continue;
        DIR *dd = opendir(p);
        if (!dd)
            continue;
        struct dirent *f;
        while (rc == 0 && (f = readdir(dd))) {
            int64_t ep = archive_name_epoch(f->d_name, sensor);
            char fp[4096];
            if (ep < 0)
                continue;
            if (snprintf(fp, sizeof(fp), "%s/%s", p, f->d_name) >= (int)sizeof(fp))
                continue;
            rc = flist_add(l, fp, ep, e->d_name);
        }
        closedir(dd);
    }
    closedir(d);
    return rc;
}

static int file_cmp(const void *x, const void *y)
{
    const struct pcapindex_file *a = x, *b = y;
    if (a->epoch != b->epoch)
        return a->epoch < b->epoch ? -1 : 1;
    return strcmp(a->path, b->path);
}

int pcapindex_archive_list(const char *data_dir, const char *sensor,
                           struct pcapindex_file **files, size_t *n, char *err, size_t errlen)
{
    struct flist l = {0};
    char p[4096];
    int rc = 0;
    if (sensor) {
        snprintf(p, sizeof(p), "%s/sensor_data/%s/dailylogs", data_dir, sensor);
        rc = archive_scan_sensor(p, sensor, &l);
    } else {
        snprintf(p, sizeof(p), "%s/sensor_data", data_dir);
        DIR *d = opendir(p);
        struct dirent *e;
        while (d && rc == 0 && (e = readdir(d))) {
            if (e->d_name[0] == '.')
                continue;
            char dl[4096];
            if (snprintf(dl, sizeof(dl), "%s/%s/dailylogs", p, e->d_name) >= (int)sizeof(dl))
                continue;
            rc = archive_scan_sensor(dl, e->d_name, &l);
        }
        if (d)
            closedir(d);
    }
    if (rc < 0) {
        snprintf(err, errlen, "out of memory listing the archive under %s", data_dir);
        pcapindex_archive_free(l.f, l.n);
        return -1;
    }
    if (l.n)
        qsort(l.f, l.n, sizeof(*l.f), file_cmp);
    *files = l.f;
    *n = l.n;
    return 0;
}

void pcapindex_archive_free(struct pcapindex_file *files, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(files[i].path);
    free(files);
}
