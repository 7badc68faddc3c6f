/*
 * stats.c - the statistics accumulator: construction, the per-packet entry
 * point and the capture summary (capinfos's numbers).
 *
 * Owns struct stats and the per-file list; the hierarchy, the host/port
 * tables and the throughput buckets live in stats_phs.c, stats_hosts.c and
 * stats_time.c.  The summary follows capinfos (Wireshark 4.0) semantics:
 * "Data size" is the sum of captured lengths, the first and last packet
 * times are the earliest and latest timestamps (not the first and last
 * records), rates divide by last - first, the average packet size is data
 * size over packets, and "strict time order" is false as soon as one
 * packet of a file is earlier than the packet before it in that file.
 */
#include <stdlib.h>
#include <string.h>

#include "stats/stats_int.h"

void stats_config_default(struct stats_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->interval_ns = 0;
    cfg->auto_buckets = 60;
    cfg->max_buckets = 100000;
    cfg->max_hosts = 65536;
    cfg->max_nodes = 2048;
    cfg->max_files = 4096;
}

struct stats *stats_new(const struct stats_config *cfg)
{
    struct stats *st = calloc(1, sizeof(*st));
    if (!st)
        return NULL;
    if (cfg)
        st->cfg = *cfg;
    else
        stats_config_default(&st->cfg);
    if (st->cfg.auto_buckets < 2)
        st->cfg.auto_buckets = 60;
    if (st->cfg.max_buckets < 2)
        st->cfg.max_buckets = 2;
    if (st->cfg.max_nodes < 16)
        st->cfg.max_nodes = 16;
    st->interval_ns = st->cfg.interval_ns ? st->cfg.interval_ns : 1000000000ull;
    if (stats_phs_init(st) < 0 || stats_hosts_init(st) < 0) {
        stats_free(st);
        return NULL;
    }
    return st;
}

void stats_free(struct stats *st)
{
    if (!st)
        return;
    for (size_t i = 0; i < st->n_files; i++)
        free(st->files[i].name);
    free(st->files);
    free(st->nodes);
    stats_hosts_free(st);
    free(st->buckets);
    free(st);
}

/* Index of the file entry named origin, created when new; -1 past the cap. */
static long stats_file_find(struct stats *st, const char *origin)
{
    if (!origin)
        origin = "-";
    if (st->last_file < st->n_files && (st->files[st->last_file].name == origin ||
                                        strcmp(st->files[st->last_file].name, origin) == 0))
        return (long)st->last_file;
    for (size_t i = 0; i < st->n_files; i++)
        if (strcmp(st->files[i].name, origin) == 0) {
            st->last_file = i;
            return (long)i;
        }
    if (st->n_files >= st->cfg.max_files) {
        st->shed.files++;
        return -1;
    }
    if (st->n_files == st->cap_files) {
        size_t cap = st->cap_files ? st->cap_files * 2 : 16;
        struct stats_file *f = realloc(st->files, cap * sizeof(*f));
        if (!f)
            return -1;
        st->files = f;
        st->cap_files = cap;
    }
    struct stats_file *f = &st->files[st->n_files];
    memset(f, 0, sizeof(*f));
    f->name = strdup(origin);
    if (!f->name)
        return -1;
    f->snaplen = -1;
    f->linktype = -1;
    f->strict_order = 1;
    st->last_file = st->n_files;
    return (long)st->n_files++;
}

int stats_file_note(struct stats *st, const char *origin, int snaplen, int linktype)
{
    long i = stats_file_find(st, origin);
    if (i < 0)
        return -1;
    st->files[i].snaplen = snaplen;
    st->files[i].linktype = linktype;
    return 0;
}

void stats_file_mark_damaged(struct stats *st, const char *origin)
{
    long i = stats_file_find(st, origin);
    if (i >= 0)
        st->files[i].damaged = 1;
}

const struct stats_file *stats_files(const struct stats *st, size_t *n)
{
    *n = st->n_files;
    return st->files;
}

static void stats_linktype_count(struct stats *st, int dlt)
{
    for (uint32_t i = 0; i < st->n_linktypes; i++)
        if (st->linktypes[i].dlt == dlt) {
            st->linktypes[i].packets++;
            return;
        }
    if (st->n_linktypes < STATS_MAX_LINKTYPES) {
        st->linktypes[st->n_linktypes].dlt = dlt;
        st->linktypes[st->n_linktypes].packets = 1;
        st->n_linktypes++;
        return;
    }
    st->other_linktype_packets++;
}

static void stats_file_count(struct stats *st, const struct packet *pkt, int64_t ts)
{
    long i = stats_file_find(st, pkt->origin);
    if (i < 0)
        return;
    struct stats_file *f = &st->files[i];
    if (f->linktype < 0)
        f->linktype = pkt->linktype;
    if (f->packets == 0) {
        f->first_ns = f->last_ns = ts;
    } else {
        if (ts < f->prev_ns)
            f->strict_order = 0;
        if (ts < f->first_ns)
            f->first_ns = ts;
        if (ts > f->last_ns)
            f->last_ns = ts;
    }
    f->prev_ns = ts;
    f->packets++;
    f->bytes += pkt->caplen;
    f->wire_bytes += pkt->wirelen;
}

void stats_add_packet(struct stats *st, const struct packet *pkt)
{
    int64_t ts = pkt->ts_sec * 1000000000ll + (int64_t)pkt->ts_nsec;
    if (st->packets == 0) {
        st->first_ns = st->last_ns = ts;
    } else {
        if (ts < st->first_ns)
            st->first_ns = ts;
        if (ts > st->last_ns)
            st->last_ns = ts;
    }
    st->packets++;
    st->bytes += pkt->caplen;
    st->wire_bytes += pkt->wirelen;
    if (pkt->caplen < pkt->wirelen)
        st->truncated++;
    if (pkt->caplen > st->caplen_max)
        st->caplen_max = pkt->caplen;
    if (!(pkt->flags & (PKT_F_IP | PKT_F_ARP | PKT_F_NON_IP)))
        st->decode_failed++;
    stats_linktype_count(st, pkt->linktype);
    stats_file_count(st, pkt, ts);
    stats_phs_add(st, pkt);
    stats_hosts_add(st, pkt);
    stats_time_add(st, ts, pkt->caplen, pkt->wirelen);
}

void stats_summary_get(const struct stats *st, struct stats_summary *out)
{
    memset(out, 0, sizeof(*out));
    out->packets = st->packets;
    out->bytes = st->bytes;
    out->wire_bytes = st->wire_bytes;
    out->first_ns = st->first_ns;
    out->last_ns = st->last_ns;
    out->duration_ns = st->last_ns - st->first_ns;
    if (out->duration_ns > 0) {
        double secs = (double)out->duration_ns / 1e9;
        out->data_bit_rate = (double)st->wire_bytes * 8.0 / secs;
        out->captured_bit_rate = (double)st->bytes * 8.0 / secs;
        out->packet_rate = (double)st->packets / secs;
    }
    if (st->packets)
        out->avg_packet_size = (double)st->wire_bytes / (double)st->packets;
    out->caplen_max = st->caplen_max;
    out->snaplen_min = out->snaplen_max = -1;
    out->strict_order = 1;
    for (size_t i = 0; i < st->n_files; i++) {
        const struct stats_file *f = &st->files[i];
        if (!f->strict_order)
            out->strict_order = 0;
        if (f->snaplen < 0)
            continue;
        if (out->snaplen_min < 0 || f->snaplen < out->snaplen_min)
            out->snaplen_min = f->snaplen;
        if (f->snaplen > out->snaplen_max)
            out->snaplen_max = f->snaplen;
    }
    out->n_linktypes = st->n_linktypes;
    memcpy(out->linktypes, st->linktypes, sizeof(out->linktypes));
    out->other_linktype_packets = st->other_linktype_packets;
    out->truncated = st->truncated;
    out->decode_failed = st->decode_failed;
}

void stats_shed_get(const struct stats *st, struct stats_shed *out)
{
    *out = st->shed;
}
