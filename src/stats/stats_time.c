/*
 * stats_time.c - throughput over time: packets, captured and wire bytes per
 * time bucket, as `tshark -z io,stat,INTERVAL` counts them.
 *
 * Owns the bucket array of struct stats.  Bucket i covers
 * [start + i * width, start + (i + 1) * width), start being the first
 * packet's time (tshark's io,stat also counts from the first packet).  The
 * array is bounded: when a packet falls past the last allowed bucket the
 * width is multiplied by an integer factor and neighbouring buckets are
 * summed, so no count is lost and memory stays fixed.  With a width chosen
 * by the user the factor is 2 and the widening is reported
 * (shed.widened); with the automatic width the buckets start at one second
 * and step through 1 2 10 30 60 300 600 1800 3600 ... seconds (each a
 * multiple of the one before) so that at most cfg.auto_buckets are used.
 * A packet earlier than the first one (files out of time order) is counted
 * in bucket 0 and in shed.early_packets.
 */
#include <stdlib.h>
#include <string.h>

#include "stats/stats_int.h"

#define NS_PER_S 1000000000ull

/* Automatic widths in seconds; each divides the next. */
static const uint64_t auto_steps[] = {1, 2, 10, 30, 60, 300, 600, 1800, 3600, 10800, 21600, 43200,
                                      86400, 604800};

static uint64_t time_next_factor(const struct stats *st)
{
    if (st->cfg.interval_ns)
        return 2;
    size_t n = sizeof(auto_steps) / sizeof(auto_steps[0]);
    for (size_t i = 0; i + 1 < n; i++)
        if (st->interval_ns == auto_steps[i] * NS_PER_S)
            return auto_steps[i + 1] / auto_steps[i];
    return 2;
}

/* Multiply the width by an integer factor, summing neighbours. */
static void time_widen(struct stats *st)
{
    uint64_t k = time_next_factor(st);
    size_t n = (st->n_buckets + k - 1) / k;
    for (size_t j = 0; j < n; j++) {
        struct stats_bucket sum = {0, 0, 0};
        for (size_t i = j * k; i < (j + 1) * k && i < st->n_buckets; i++) {
            sum.packets += st->buckets[i].packets;
            sum.bytes += st->buckets[i].bytes;
            sum.wire_bytes += st->buckets[i].wire_bytes;
        }
        st->buckets[j] = sum;
    }
    if (st->n_buckets > n)
        memset(st->buckets + n, 0, (st->n_buckets - n) * sizeof(*st->buckets));
    st->n_buckets = n;
    st->interval_ns *= k;
    if (st->cfg.interval_ns)
        st->shed.widened++;
}

/* Make room for bucket idx (n_buckets > idx).  0, or -1 out of memory. */
static int time_reserve(struct stats *st, size_t idx)
{
    if (idx < st->cap_buckets) {
        if (idx >= st->n_buckets)
            st->n_buckets = idx + 1;
        return 0;
    }
    size_t cap = st->cap_buckets ? st->cap_buckets : 16;
    while (cap <= idx)
        cap *= 2;
    struct stats_bucket *b = realloc(st->buckets, cap * sizeof(*b));
    if (!b)
        return -1;
    memset(b + st->cap_buckets, 0, (cap - st->cap_buckets) * sizeof(*b));
    st->buckets = b;
    st->cap_buckets = cap;
    st->n_buckets = idx + 1;
    return 0;
}

void stats_time_add(struct stats *st, int64_t ts_ns, uint32_t caplen, uint32_t wirelen)
{
    /* The first packet fixes the start. */
    int64_t start = st->n_buckets ? st->buckets_start : ts_ns;
    if (st->n_buckets == 0)
        st->buckets_start = ts_ns;
    uint64_t limit = st->cfg.interval_ns ? st->cfg.max_buckets : st->cfg.auto_buckets;
    size_t idx = 0;
    if (ts_ns < start) {
        st->shed.early_packets++;
    } else {
        uint64_t off = (uint64_t)(ts_ns - start);
        while (off / st->interval_ns >= limit)
            time_widen(st);
        idx = (size_t)(off / st->interval_ns);
    }
    if (time_reserve(st, idx) < 0)
        return;
    st->buckets[idx].packets++;
    st->buckets[idx].bytes += caplen;
    st->buckets[idx].wire_bytes += wirelen;
}

const struct stats_bucket *stats_buckets(const struct stats *st, size_t *n, int64_t *start_ns,
                                         uint64_t *interval_ns)
{
    *n = st->n_buckets;
    if (start_ns)
        *start_ns = st->buckets_start;
    if (interval_ns)
        *interval_ns = st->interval_ns;
    return st->buckets;
}
