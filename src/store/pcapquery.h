/*
 * pcapquery.h - retrieval from the full-content archive (`vigil pcap`,
 * docs/pcap.md).
 *
 * A query names the packets (a session uid, a host with an optional port,
 * a 5-tuple, a BPF expression, or everything) and a time window; the run
 * plans which archive files can hold them (from each file's index header,
 * or its first/last record when it has no index), reads only the records
 * needed (index queries: sorted, coalesced preads of the records the
 * indexes name; BPF queries: a sequential read of the overlapping files
 * through libpcap's filter), merges the files in timestamp order and
 * writes the records, byte-identical, as one pcap.
 *
 * The archive layout and index format are store/pcapindex.h's.
 */
#ifndef VIGIL_STORE_PCAPQUERY_H
#define VIGIL_STORE_PCAPQUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/pcapindex.h"

enum pcapquery_kind {
    PCAPQUERY_ALL = 0, /* every packet in the window (optionally BPF-filtered) */
    PCAPQUERY_UID,     /* one session by uid (indexes) */
    PCAPQUERY_MATCH,   /* host [port] or 5-tuple (indexes) */
};

/* Results of pcapquery_run() besides 0. */
enum {
    PCAPQUERY_ERROR = -1,      /* I/O error, out of memory, bad archive: sentence in err */
    PCAPQUERY_NO_ARCHIVE = -2, /* DATA (or the sensor) holds no archive */
    PCAPQUERY_BAD_FILTER = -3, /* the BPF expression does not compile */
    PCAPQUERY_OUTPUT = -4,     /* the output could not be written */
};

struct pcapquery {
    const char *data_dir;         /* DATA: the archive root */
    const char *sensor;           /* NULL: every sensor */
    enum pcapquery_kind kind;
    const char *uid;              /* PCAPQUERY_UID */
    struct pcapindex_match match; /* PCAPQUERY_MATCH */
    const char *bpf;              /* NULL, or applied to every candidate record (any kind) */
    int64_t start_ns, end_ns;     /* start <= ts < end; INT64_MIN / INT64_MAX when open */
    bool count_only;              /* count what would be written, write nothing */
    bool progress;                /* progress line on stderr when it is a TTY */
    /* Called with a sentence for each thing the user should know that does
     * not stop the run (a damaged file, a rebuilt index); may be NULL. */
    void (*warn)(void *ctx, const char *msg);
    void *warn_ctx;
};

struct pcapquery_stats {
    uint32_t files_in_archive; /* pcap files of the sensor(s) */
    uint32_t files_selected;   /* whose time range overlaps the window */
    uint32_t files_opened;     /* pcaps actually read */
    uint32_t indexes_opened;
    uint32_t indexes_rebuilt;  /* no usable .idx/.idx.open: rebuilt from the packets */
    uint32_t files_damaged;    /* a pcap or index that could not be read whole */
    uint64_t records_read;     /* record headers parsed */
    uint64_t reads;            /* pread calls */
    uint64_t bytes_read;       /* bytes read from pcaps */
    uint64_t packets_out;      /* records written (or counted) */
    uint64_t bytes_out;        /* pcap bytes written (or that would be), file header included */
    bool uid_timed;            /* a uid query's files came from the uid's start second */
    bool uid_bounded;          /* a uid query's time came from a conn.log */
    double ms_plan, ms_total;  /* wall time: planning (listing, index headers), whole run */
};

/*
 * Run q and write the pcap to out_fd (unless q->count_only).  0 when the
 * run read everything it planned; 1 when it finished but some file was
 * damaged (what could be read was written; q->warn said which); <0 as
 * above with a sentence in err.  st may be NULL.
 */
int pcapquery_run(const struct pcapquery *q, int out_fd, struct pcapquery_stats *st, char *err,
                  size_t errlen);

/*
 * Parse a time: epoch seconds ("1478102400", "1478102400.25"), ISO 8601
 * in UTC unless an offset is given ("2026-11-02T09:00:00Z",
 * "2026-11-02 09:00:00", "2026-11-02T09:00:00.5+01:00", "2026-11-02"),
 * "now", or relative to now_ns ("-1h", "-30m", "-90s", "-2d", "-1w").
 * 0, or -1 with a sentence naming the text in err.
 */
int pcapquery_time_parse(const char *s, int64_t now_ns, int64_t *ns, char *err, size_t errlen);

/*
 * The time a uid's session spans, from the conn.logs under
 * DATA/sensor_data/<sensor>/logs/ (TSV or JSON): 1 found (*first_ns,
 * *last_ns set), 0 not found or no logs.
 */
int pcapquery_uid_bounds(const char *data_dir, const char *sensor, const char *uid,
                         int64_t *first_ns, int64_t *last_ns);

#endif
