/*
 * behave.h - behavioural detectors over the records (docs/behaviour.md):
 * port scans and address sweeps (Zeek's policy/misc/scan.zeek), SSH
 * password guessing (policy/protocols/ssh/detect-bruteforcing.zeek) and
 * beaconing between a pair of hosts (scored the way RITA scores it).
 *
 * Why an output: the detectors need nothing but the finished records
 * (conn.log for scans and beacons, ssh.log for password guessing), so they
 * sit where records go - an output wrapper in front of the real outputs.
 * Every record passes through unchanged; a detection adds a notice.log row
 * (Zeek's Notice::Info) and an alert record (eve.json, gid 9000) to the
 * same downstream outputs.  Beacons are scored at flush (end of input) and
 * every beacon_every of record time while records keep coming (live
 * capture), over a sliding window.  Memory is bounded: every table has a
 * cap and what the cap turns away is counted.
 */
#ifndef VIGIL_DETECT_BEHAVE_H
#define VIGIL_DETECT_BEHAVE_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>

#include "store/output.h"

struct behave_config {
    int enabled;                 /* 0: behave_open returns no wrapper */
    /* scans (Scan::addr_scan_threshold, port_scan_threshold, *_interval) */
    unsigned scan_hosts;         /* distinct hosts on one port: 25 */
    unsigned scan_ports;         /* distinct ports of one host: 15 */
    int64_t scan_window_ns;      /* 5 min */
    /* SSH::password_guesses_limit, guessing_timeout */
    unsigned ssh_guesses;        /* 30 */
    int64_t ssh_window_ns;       /* 30 min */
    /* beacons */
    unsigned beacon_min_conns;   /* connections of a pair before it is scored: 20 */
    double beacon_score;         /* notice at or above: 0.8 */
    int64_t beacon_window_ns;    /* sliding window: 24 h */
    int64_t beacon_min_span_ns;  /* a pair's series must last this long: 10 min */
    int64_t beacon_every_ns;     /* scoring period while records come: 1 h */
    /* bounds */
    size_t max_scan_keys;        /* scan/guess keys held at once: 65536 */
    size_t max_pairs;            /* beacon pairs held: 65536 */
    size_t max_per_pair;         /* connections kept per pair: 4096 */
    int64_t suppress_ns;         /* per (note, identifier): 1 h (Notice default) */
};

struct behave_counters {
    uint64_t conns_seen;         /* conn records observed */
    uint64_t scan_attempts;      /* failed attempts fed to the scan tables */
    uint64_t ssh_failures;       /* ssh.log rows with auth_success=F */
    uint64_t scan_keys_full;     /* observations dropped: scan key table full */
    uint64_t pairs_full;         /* conns dropped: beacon pair table full */
    uint64_t pair_conns_dropped; /* conns dropped: a pair's cap reached */
    uint64_t beacon_runs;        /* scoring passes */
    uint64_t pairs_scored;
    uint64_t notices;            /* notice rows written */
    uint64_t suppressed;         /* notices suppressed (note, identifier) */
};

void behave_config_default(struct behave_config *c);

/* Command-line options shared by analyze, capture and ingest: put
 * BEHAVE_LONGOPTS in the getopt_long table and pass every unknown option
 * value to behave_getopt (1 handled, 0 not a behaviour option, -1 bad
 * value: sentence in err). */
#define BEHAVE_OPT_BASE 0x4200
#define BEHAVE_LONGOPTS                                                                   \
    {"scan-hosts", required_argument, 0, BEHAVE_OPT_BASE + 0},                            \
    {"scan-ports", required_argument, 0, BEHAVE_OPT_BASE + 1},                            \
    {"scan-window", required_argument, 0, BEHAVE_OPT_BASE + 2},                           \
    {"ssh-guesses", required_argument, 0, BEHAVE_OPT_BASE + 3},                           \
    {"beacon-min-conns", required_argument, 0, BEHAVE_OPT_BASE + 4},                      \
    {"beacon-score", required_argument, 0, BEHAVE_OPT_BASE + 5},                          \
    {"beacon-window", required_argument, 0, BEHAVE_OPT_BASE + 6},                         \
    {"no-behaviour", no_argument, 0, BEHAVE_OPT_BASE + 7},                                \
    {"no-behavior", no_argument, 0, BEHAVE_OPT_BASE + 7},                                 \
    {"beacon-min-span", required_argument, 0, BEHAVE_OPT_BASE + 8}
int behave_getopt(struct behave_config *c, int opt, const char *arg, char *err, size_t errlen);

/* The --help lines of those options. */
extern const char behave_usage[];

/* A wrapper that forwards every record (and flush/rotate) to down[0..n-1]
 * and adds its notices and alerts there.  Beacons are scored at flush
 * (and, if records came after it, once more at close).  Does not own
 * down: close the wrapper before them.
 * NULL when !c->enabled (use down directly) or out of memory (err set). */
struct output *behave_open(const struct behave_config *c, struct output *const *down, int ndown,
                           char *err, size_t errlen);

/* Counters of a wrapper from behave_open. */
void behave_counters(const struct output *o, struct behave_counters *ctr);

/* ---- the scoring math, exposed for the unit tests --------------------------- */

struct beacon_score {
    double ts_skew, ts_madm, ts_conns; /* the three timestamp sub-scores, 0..1 */
    double ds_skew, ds_madm, ds_small; /* the three data size sub-scores, 0..1 */
    double ts_score, ds_score, score;  /* averages, rounded up to 3 decimals */
    int64_t interval;                  /* median delta (s) */
    int64_t size;                      /* mode of the sizes (bytes) */
};

/* RITA's beacon score of one pair: ts[] unique connection start times in
 * seconds and sizes[] (orig_ip_bytes), both sorted ascending (n_ts >= 2,
 * n_sizes >= 1), conns the pair's connection count, span_s the time span
 * of the data analysed. */
void behave_beacon_score(const int64_t *ts, size_t n_ts, const int64_t *sizes, size_t n_sizes,
                         uint64_t conns, double span_s, struct beacon_score *out);

#endif
