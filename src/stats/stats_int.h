/*
 * stats_int.h - what the files of src/stats share and nobody else sees:
 * the layout of struct stats and the per-part entry points called by
 * stats_add_packet().  Not part of the interface (that is stats.h).
 */
#ifndef VIGIL_STATS_INT_H
#define VIGIL_STATS_INT_H

#include "stats/stats.h"

/* One node of the protocol hierarchy tree; nodes live in one array and
 * link by index (0 is the invisible root; -1 ends a list). */
struct stats_node {
    char name[STATS_NAME_MAX];
    int32_t first_child, last_child, next_sibling;
    uint64_t frames, bytes;
};

/* One slot of the open-addressing host table; used == 0 marks it free. */
struct stats_host_slot {
    uint8_t used;
    struct stats_host h;
};

struct stats_port_count {
    uint64_t packets, bytes;
};

struct stats {
    struct stats_config cfg;

    /* summary */
    uint64_t packets, bytes, wire_bytes, truncated, decode_failed;
    int64_t first_ns, last_ns;
    uint32_t caplen_max;
    uint32_t n_linktypes;
    struct stats_linktype linktypes[STATS_MAX_LINKTYPES];
    uint64_t other_linktype_packets;

    /* per file */
    struct stats_file *files;
    size_t n_files, cap_files;
    size_t last_file; /* index of the file of the previous packet (a cache) */

    /* hierarchy */
    struct stats_node *nodes;
    size_t n_nodes, cap_nodes;

    /* hosts: SipHash-keyed, linear probing, capacity a power of two */
    struct stats_host_slot *hosts;
    size_t n_hosts, cap_hosts;

    /* ports: [0] tcp, [1] udp, indexed by port number */
    struct stats_port_count *ports[2];

    /* throughput */
    struct stats_bucket *buckets;
    size_t n_buckets, cap_buckets;
    uint64_t interval_ns;
    int64_t buckets_start;

    struct stats_shed shed;
};

/* stats_phs.c */
int stats_phs_init(struct stats *st);
void stats_phs_add(struct stats *st, const struct packet *pkt);

/* stats_hosts.c */
int stats_hosts_init(struct stats *st);
void stats_hosts_free(struct stats *st);
void stats_hosts_add(struct stats *st, const struct packet *pkt);

/* stats_time.c */
void stats_time_add(struct stats *st, int64_t ts_ns, uint32_t caplen, uint32_t wirelen);

#endif
