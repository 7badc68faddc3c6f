/*
 * stats.h - statistical data: capture summary, protocol hierarchy, top
 * talkers, top ports, throughput over time, and the full-content storage
 * estimate.
 *
 * Why a module of its own: ARCHITECTURE.md §1 puts statistical data in
 * "CLI + console".  `vigil stats` and `vigil estimate` print it today and
 * the console (src/server) will show the same numbers tomorrow, so the
 * computations live here, behind this header, and know nothing of terminals
 * or JSON; src/cli only formats what this module computes.  The counting
 * depends on struct packet (src/core/packet.h) alone: the caller reads and
 * decodes the frames and hands them over one at a time.  One convenience
 * driver, stats_read_files() (stats_read.c), does that reading through
 * src/capture and src/decode for the commands that start from files.
 *
 * What is counted (the anchors are capinfos and tshark -z io,phs):
 *   - summary: packets, wire bytes (capinfos "Data size": Wireshark sums the
 *     original lengths), captured bytes,
 *     first/last packet time, link types seen, snaplen per file (given by
 *     the caller with stats_file_note(): libpcap's file header value), and
 *     whether every file was in strict time order;
 *   - protocol hierarchy: frames and *wire* bytes per protocol path, as
 *     tshark's io,phs counts frame lengths;
 *   - hosts: per IP address (innermost IP layer) packets and wire bytes
 *     sent and received;
 *   - ports: per (tcp|udp, service port) packets and wire bytes;
 *   - throughput: packets, captured and wire bytes per time bucket.
 *
 * Memory is bounded: the host table, the hierarchy tree, the per-file list
 * and the bucket array have caps (struct stats_config); what does not fit
 * is counted in struct stats_shed, never silently dropped.  The host table
 * is keyed by traffic, so it is a SipHash-keyed table with a random seed.
 *
 * Ownership: struct stats is opaque, made by stats_new() and freed by
 * stats_free().  Pointers returned by the getters stay valid until the next
 * stats_add_packet() or stats_free().  Not thread-safe: one stats per
 * thread, merged by the caller if ever needed.
 */
#ifndef VIGIL_STATS_H
#define VIGIL_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "core/packet.h"

#define STATS_NAME_MAX 24    /* longest hierarchy node name, with NUL */
#define STATS_MAX_LINKTYPES 8

struct stats_config {
    uint64_t interval_ns; /* throughput bucket width; 0 = automatic (at most auto_buckets) */
    uint32_t auto_buckets; /* bucket count the automatic width aims under (default 60) */
    uint32_t max_buckets; /* cap on buckets; past it the width doubles (default 100000) */
    uint32_t max_hosts;   /* cap on tracked IP addresses (default 65536) */
    uint32_t max_nodes;   /* cap on hierarchy nodes (default 2048) */
    uint32_t max_files;   /* cap on per-file entries (default 4096) */
    uint64_t seed[2];     /* host-table SipHash key; {0,0} = random */
};

struct stats;

/* Fill *cfg with the defaults above. */
void stats_config_default(struct stats_config *cfg);

/* NULL when out of memory.  cfg may be NULL for the defaults. */
struct stats *stats_new(const struct stats_config *cfg);
void stats_free(struct stats *st);

/*
 * Count one packet.  The source fields (ts, caplen, wirelen, linktype,
 * origin) must be set; the decoder fields are used when present (a frame
 * the decoder rejected still counts in the summary and at its link layer).
 */
void stats_add_packet(struct stats *st, const struct packet *pkt);

/*
 * Tell the module about a file before (or after) its packets: its name as
 * it will appear in packet.origin, libpcap's snapshot length from the file
 * header and its link type.  snaplen < 0 means unknown.  Returns 0, or -1
 * when the per-file cap is reached (counted in shed.files).
 */
int stats_file_note(struct stats *st, const char *origin, int snaplen, int linktype);

/* Mark the file as damaged (it ended early); shows in the summary. */
void stats_file_mark_damaged(struct stats *st, const char *origin);

/* ---------- summary ---------- */

struct stats_linktype {
    int dlt;
    uint64_t packets;
};

struct stats_summary {
    uint64_t packets;
    uint64_t bytes;      /* captured bytes (sum of caplen) */
    uint64_t wire_bytes; /* original lengths on the wire: capinfos "Data size" */
    int64_t first_ns;    /* time of the earliest packet, ns since the epoch (0 when none) */
    int64_t last_ns;     /* time of the latest packet */
    int64_t duration_ns; /* last - first */
    double data_bit_rate; /* wire bits/s over the duration (capinfos "Data bit rate"); 0 if no duration */
    double captured_bit_rate; /* captured bits/s over the duration */
    double packet_rate;  /* packets/s; 0 if no duration */
    double avg_packet_size; /* wire bytes per packet (capinfos "Average packet size") */
    uint32_t caplen_max; /* longest captured frame */
    int snaplen_min, snaplen_max; /* from the file headers; -1 when unknown */
    int strict_order;    /* 1 when no file had a packet earlier than the one before it */
    uint32_t n_linktypes;
    struct stats_linktype linktypes[STATS_MAX_LINKTYPES]; /* in order first seen */
    uint64_t other_linktype_packets; /* beyond STATS_MAX_LINKTYPES */
    uint64_t truncated;  /* frames with caplen < wirelen */
    uint64_t decode_failed; /* frames with no decoded layer beyond the link */
};

void stats_summary_get(const struct stats *st, struct stats_summary *out);

struct stats_file {
    char *name;
    int snaplen;
    int linktype;
    int damaged;
    int strict_order;
    uint64_t packets, bytes, wire_bytes;
    int64_t first_ns, last_ns; /* earliest and latest packet times */
    int64_t prev_ns;           /* time of the file's previous packet (order check) */
};

/* Per-file entries in the order they were first seen. */
const struct stats_file *stats_files(const struct stats *st, size_t *n);

/* ---------- protocol hierarchy ---------- */

struct stats_phs_entry {
    const char *name;  /* "eth", "vlan", "ip", "tcp", "dns (port)", ... */
    int depth;         /* 0 for the link layer */
    uint64_t frames;
    uint64_t bytes;    /* wire bytes */
};

/*
 * Visit the hierarchy depth first, children in the order first seen (as
 * tshark prints it).  Stops and returns fn's value when fn returns
 * non-zero; otherwise 0.
 */
int stats_phs_walk(const struct stats *st, int (*fn)(const struct stats_phs_entry *e, void *arg),
                   void *arg);

/*
 * Well-known service name for a TCP (6) or UDP (17) port, or NULL.  These
 * label traffic by port only: no payload was parsed to confirm them.
 */
const char *stats_port_service(uint8_t proto, uint16_t port);

/* The service port of a TCP/UDP exchange: the known one, else the lower. */
uint16_t stats_service_port(uint8_t proto, uint16_t sport, uint16_t dport);

/* ---------- hosts and ports ---------- */

enum stats_order { STATS_BY_BYTES, STATS_BY_PACKETS };

struct stats_host {
    uint8_t version; /* 4 or 6 */
    uint8_t addr[16];
    uint64_t tx_packets, tx_bytes; /* as source */
    uint64_t rx_packets, rx_bytes; /* as destination */
};

/* Copy the top n hosts by total (tx + rx) bytes or packets into out, ties
 * by address.  Returns how many were copied.  -1 when out of memory. */
int stats_top_hosts(const struct stats *st, enum stats_order by, struct stats_host *out, size_t n);
size_t stats_host_count(const struct stats *st);

struct stats_port {
    uint8_t proto; /* 6 tcp, 17 udp */
    uint16_t port;
    uint64_t packets, bytes;
};

int stats_top_ports(const struct stats *st, enum stats_order by, struct stats_port *out, size_t n);

struct stats_shed {
    uint64_t host_packets; /* packet ends not counted because the host table was full */
    uint64_t host_bytes;
    uint64_t hosts;        /* new addresses refused */
    uint64_t phs_frames;   /* frames whose path was cut short by the node cap */
    uint64_t files;        /* files past the per-file cap */
    uint64_t early_packets; /* packets earlier than the first bucket, counted in bucket 0 */
    uint32_t widened;      /* times the bucket width was doubled to stay under max_buckets */
};

void stats_shed_get(const struct stats *st, struct stats_shed *out);

/* ---------- throughput ---------- */

struct stats_bucket {
    uint64_t packets;
    uint64_t bytes;      /* captured */
    uint64_t wire_bytes;
};

/*
 * The buckets: bucket i covers [start_ns + i * interval_ns, + interval_ns).
 * start_ns is the first packet's time.  *n is 0 before any packet.
 */
const struct stats_bucket *stats_buckets(const struct stats *st, size_t *n, int64_t *start_ns,
                                         uint64_t *interval_ns);

/* ---------- reading files ---------- */

enum {
    STATS_READ_OK = 0,
    STATS_READ_DAMAGED = 1,     /* read to the end, but some file was damaged */
    STATS_READ_ERROR = -1,      /* could not read: err says why */
    STATS_READ_BAD_FILTER = -2, /* the BPF expression does not compile: err says why */
};

/*
 * Read every packet of paths (files, directories, globs; merged by time),
 * matching bpf when not NULL, decode it and count it into st.  Draws the
 * progress line on stderr when show_progress and stderr is a terminal.
 * Returns a STATS_READ_* value; on damage *damage_log (when not NULL) gets
 * the damage sentences, one a line, for the caller to free.
 */
int stats_read_files(struct stats *st, const char *const *paths, int npaths, const char *bpf,
                     int show_progress, char **damage_log, char *err, size_t errlen);

/* ---------- storage estimate (The Practice of NSM, ch. 2) ---------- */

/* MB/day = Mbps x (1 byte / 8 bits) x 86,400 s/day (decimal MB). */
double stats_estimate_mb_per_day(double mbps);

/* Days of full content that fit in disk_mb (decimal MB) at mbps. */
double stats_estimate_days(double disk_mb, double mbps);

/*
 * Parse a size with a decimal unit: "4T", "500G", "2.5TB", "1000000MB",
 * "750000000000" (bytes); units K/KB, M/MB, G/GB, T/TB, P/PB (case
 * insensitive; powers of 1000, as disk makers and the book count).  Stores
 * megabytes in *mb.  Returns 0, or -1 for anything else.
 */
int stats_size_parse(const char *s, double *mb);

/* Parse a plain positive decimal number (no unit).  0 or -1. */
int stats_number_parse(const char *s, double *out);

/*
 * Write v rounded to an integer with thousands separators ("1,080,000")
 * into buf.  Returns buf.
 */
char *stats_format_thousands(double v, char *buf, size_t len);

/* "1.08 TB", "500 GB": v megabytes in the largest decimal unit >= 1. */
char *stats_format_mb(double mb, char *buf, size_t len);

#endif
