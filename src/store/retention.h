/*
 * retention.h - keep the full-content archive within its disk budget.
 *
 * The filesystem holding DATA is kept under max_disk_pct used (default 90)
 * and, optionally, no file is kept whose last packet is more than
 * max_age_days older than the newest packet written.  The oldest pcap
 * files of the sensor go first, each with its .idx/.idx.open; the file
 * being written is never deleted.  Every deletion is logged to stderr.
 *
 * Test hooks (the disk figure): VIGIL_TEST_DISK_SIZE=BYTES makes the
 * filesystem look BYTES big and used by exactly the sensor's archive files;
 * VIGIL_TEST_DISK_PCT=P makes it look P% used whatever is deleted.
 */
#ifndef VIGIL_STORE_RETENTION_H
#define VIGIL_STORE_RETENTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct retention_config {
    double max_disk_pct; /* default 90 */
    int max_age_days;    /* 0: no age limit */
};

struct retention_counters {
    uint64_t files_deleted;
    uint64_t bytes_deleted;
    uint64_t runs;
};

void retention_config_default(struct retention_config *cfg);

/* Percent used of the filesystem holding dir (or the test figure); <0 when
 * it cannot be known. */
double retention_disk_pct(const char *dir, const char *data_dir, const char *sensor);

/*
 * One pass: delete the sensor's oldest files while the disk is above the
 * threshold, and files older than the age limit.  open_path: the file
 * being written (never deleted), may be NULL.  now_ns: the newest packet
 * time (ages are measured in packet time, so an ingest of old captures
 * keeps them).  Returns the disk percentage after the pass (<0 unknown);
 * *still_full is set when the disk stays above the threshold with nothing
 * left to delete.
 */
double retention_run(const char *data_dir, const char *sensor, const struct retention_config *cfg,
                     const char *open_path, int64_t now_ns, bool *still_full,
                     struct retention_counters *ctr);

#endif
