/*
 * retention.c - keeps the full-content archive within its disk budget
 * (ARCHITECTURE.md §5: "never lets the disk fill").
 *
 * Owns nothing between calls: each pass lists the sensor's pcap files
 * (oldest first, by the epoch in their names), deletes those past the age
 * limit, then deletes the oldest while the filesystem holding the archive
 * is above max_disk_pct used (statvfs: used = blocks - free, of blocks -
 * free + available, as df counts it).  A pcap goes with its .idx and
 * .idx.open; the file being written is never touched; every deletion is
 * one line on stderr.  Day directories left empty are removed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "store/pcapindex.h"
#include "store/retention.h"

void retention_config_default(struct retention_config *cfg)
{
    cfg->max_disk_pct = 90.0;
    cfg->max_age_days = 0;
}

static uint64_t file_bytes(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* Bytes of a pcap with its index files. */
static uint64_t archive_file_bytes(const char *pcap)
{
    char p[4200];
    uint64_t n = file_bytes(pcap);
    snprintf(p, sizeof(p), "%s.idx", pcap);
    n += file_bytes(p);
    snprintf(p, sizeof(p), "%s.idx.open", pcap);
    return n + file_bytes(p);
}

double retention_disk_pct(const char *dir, const char *data_dir, const char *sensor)
{
    const char *fixed = getenv("VIGIL_TEST_DISK_PCT");
    const char *size = getenv("VIGIL_TEST_DISK_SIZE");
    if (fixed && *fixed)
        return strtod(fixed, NULL);
    if (size && *size) {
        double total = strtod(size, NULL);
        struct pcapindex_file *f;
        size_t n;
        char err[256];
        uint64_t used = 0;
        if (total <= 0 || pcapindex_archive_list(data_dir, sensor, &f, &n, err, sizeof(err)) < 0)
            return -1;
        for (size_t i = 0; i < n; i++)
            used += archive_file_bytes(f[i].path);
        pcapindex_archive_free(f, n);
        return 100.0 * (double)used / total;
    }
    struct statvfs sv;
    if (statvfs(dir, &sv) < 0)
        return -1;
    double used = (double)(sv.f_blocks - sv.f_bfree);
    double avail = used + (double)sv.f_bavail;
    return avail > 0 ? 100.0 * used / avail : -1;
}

/* Delete one pcap and its index files; remove its day directory when empty. */
static uint64_t retention_delete(const char *pcap, const char *why)
{
    char p[4200];
    uint64_t n = archive_file_bytes(pcap);
    snprintf(p, sizeof(p), "%s.idx", pcap);
    unlink(p);
    snprintf(p, sizeof(p), "%s.idx.open", pcap);
    unlink(p);
    if (unlink(pcap) < 0 && errno != ENOENT) {
        fprintf(stderr, "vigil: retention: cannot delete %s: %s\n", pcap, strerror(errno));
        return 0;
    }
    fprintf(stderr, "vigil: retention: deleted %s (%llu bytes with its index): %s\n", pcap,
            (unsigned long long)n, why);
    snprintf(p, sizeof(p), "%s", pcap);
    char *sl = strrchr(p, '/');
    if (sl) {
        *sl = '\0';
        rmdir(p); /* fails harmlessly while the day has files */
    }
    return n;
}

/* Last packet time of a file: its index, else the epoch of its name. */
static int64_t file_last_ns(const struct pcapindex_file *f)
{
    struct pcapindex_info info;
    char err[256];
    if (pcapindex_read_info(f->path, &info, err, sizeof(err)) == 0 && info.last_ns != INT64_MAX)
        return info.last_ns;
    return f->epoch * 1000000000LL;
}

double retention_run(const char *data_dir, const char *sensor, const struct retention_config *cfg,
                     const char *open_path, int64_t now_ns, bool *still_full,
                     struct retention_counters *ctr)
{
    struct pcapindex_file *f;
    size_t n;
    char err[256], why[128];
    *still_full = false;
    ctr->runs++;
    if (pcapindex_archive_list(data_dir, sensor, &f, &n, err, sizeof(err)) < 0) {
        fprintf(stderr, "vigil: retention: %s\n", err);
        return -1;
    }
    size_t i = 0;
    if (cfg->max_age_days > 0) {
        int64_t limit = now_ns - (int64_t)cfg->max_age_days * 86400 * 1000000000LL;
        for (; i < n; i++) {
            if (open_path && strcmp(f[i].path, open_path) == 0)
                continue;
            if (file_last_ns(&f[i]) >= limit)
                break;
            snprintf(why, sizeof(why), "older than %d days", cfg->max_age_days);
            ctr->bytes_deleted += retention_delete(f[i].path, why);
            ctr->files_deleted++;
        }
    }
    double pct = retention_disk_pct(data_dir, data_dir, sensor);
    for (; pct > cfg->max_disk_pct && i < n; i++) {
        if (open_path && strcmp(f[i].path, open_path) == 0)
            continue;
        snprintf(why, sizeof(why), "disk %.1f%% used, above %.1f%%", pct, cfg->max_disk_pct);
        ctr->bytes_deleted += retention_delete(f[i].path, why);
        ctr->files_deleted++;
        pct = retention_disk_pct(data_dir, data_dir, sensor);
    }
    *still_full = pct > cfg->max_disk_pct;
    pcapindex_archive_free(f, n);
    return pct;
}
