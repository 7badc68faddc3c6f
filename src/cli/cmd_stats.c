/*
 * cmd_stats.c - `vigil stats`: statistical data about captures, the way
 * capinfos and `tshark -z` give it: a capture summary (capinfos's labels),
 * the protocol hierarchy (tshark -q -z io,phs), top talkers and top ports,
 * and throughput over time (tshark -z io,stat), drawn as a bar chart on a
 * terminal and as a table otherwise, or all of it as one JSON document.
 *
 * A thin shell: the counting is src/stats (stats_read_files() reads and
 * decodes the inputs), this file parses flags and formats.  Flags, output
 * and exit codes are documented in docs/stats.md.
 */
#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "capture/capture.h"
#include "cli/cli.h"
#include "stats/stats.h"

enum stats_view { VIEW_AUTO, VIEW_CHART, VIEW_TABLE };

struct stats_args {
    const char **inputs;
    int ninputs;
    char *bpf;
    long top;
    double interval; /* seconds; 0 = automatic */
    enum stats_order order;
    int json, quiet;
    enum stats_view view;
};

static void stats_usage(FILE *out)
{
    fprintf(out,
            "usage: vigil stats -r FILE|DIR|GLOB ... [options] [BPF filter]\n\n"
            "Capture summary (as capinfos), protocol hierarchy (as tshark -z io,phs),\n"
            "top talkers, top ports and throughput over time.\n\n"
            "  -r PATH ...       capture files, directories (recursive), patterns or -\n"
            "                    (standard input); repeatable\n"
            "  -N COUNT          rows in the top talkers and top ports tables (default 10)\n"
            "  -I SECONDS        throughput bucket width (default: automatic, <= 60 buckets)\n"
            "  --sort bytes|packets  order of the top tables (default bytes)\n"
            "  --chart, --table  throughput as a bar chart or a table (default: chart on a\n"
            "                    terminal, table otherwise)\n"
            "  --json            everything as one JSON document\n"
            "  -q                no progress line on stderr\n"
            "  -- BPF            a libpcap filter (tcpdump syntax); '--' is optional\n\n"
            "exit codes: 0 ok, 1 error, 2 usage, 3 damaged input (reported; the packets\n"
            "before the damage are counted)\n");
}

static int has_glob(const char *s)
{
    return strpbrk(s, "*?[") != NULL;
}

/* Words of libpcap's filter language (pcap-filter(7)) that start or join
 * primitives: never taken for a capture path after -r, even when a file
 * or directory has that name (write ./tcp to read one). */
static const char *const bpf_words[] = {
    "and", "arp", "broadcast", "dst", "ether", "gateway", "greater", "host", "icmp", "icmp6",
    "inbound", "ip", "ip6", "less", "mpls", "multicast", "net", "not", "or", "outbound", "port",
    "portrange", "pppoes", "proto", "rarp", "sctp", "src", "tcp", "udp", "vlan", "geneve",
};

/* After -r, a word that names an existing file/directory or is a pattern
 * is one more input (a shell-expanded glob); anything else starts the BPF. */
static int looks_like_input(const char *s)
{
    struct stat sb;
    if (s[0] == '-' || s[0] == '(' || s[0] == '!')
        return 0;
    for (size_t i = 0; i < sizeof(bpf_words) / sizeof(bpf_words[0]); i++)
        if (strcmp(s, bpf_words[i]) == 0)
            return 0;
    return stat(s, &sb) == 0 || has_glob(s);
}

static int stats_parse_option(int argc, char **argv, int *i, struct stats_args *a)
{
    const char *arg = argv[*i];
    const char *v = *i + 1 < argc ? argv[*i + 1] : NULL;
    char *end = NULL;
    if (strcmp(arg, "-N") == 0) {
        a->top = v ? strtol(v, &end, 10) : 0;
        if (!v || *end != '\0' || a->top < 1 || a->top > 100000) {
            cli_error("stats: -N needs a count from 1 to 100000 (got '%s')", v ? v : "");
            return -1;
        }
    } else if (strcmp(arg, "-I") == 0) {
        if (!v || stats_number_parse(v, &a->interval) < 0 || a->interval < 1e-6 ||
            a->interval > 1e9) {
            cli_error("stats: -I needs a positive number of seconds, e.g. -I 1 or -I 0.5 "
                      "(got '%s')", v ? v : "");
            return -1;
        }
    } else if (strcmp(arg, "--sort") == 0) {
        if (v && strcmp(v, "bytes") == 0) {
            a->order = STATS_BY_BYTES;
        } else if (v && strcmp(v, "packets") == 0) {
            a->order = STATS_BY_PACKETS;
        } else {
            cli_error("stats: --sort takes 'bytes' or 'packets' (got '%s')", v ? v : "");
            return -1;
        }
    } else {
        cli_error("stats: unknown option '%s'; 'vigil stats --help' lists them", arg);
        return -1;
    }
    ++*i;
    return 0;
}

/* Options may come anywhere before "--"; the other words, and every word
 * after "--", make up the BPF expression (as tcpdump takes it). */
static int stats_parse(int argc, char **argv, struct stats_args *a)
{
    memset(a, 0, sizeof(*a));
    a->top = 10;
    a->inputs = calloc((size_t)argc, sizeof(*a->inputs));
    char **words = calloc((size_t)argc + 1, sizeof(*words));
    int nwords = 0, rc = -1;
    if (!a->inputs || !words)
        goto out;
    int i, dashdash = 0;
    for (i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (dashdash || arg[0] != '-' || arg[1] == '\0') {
            words[nwords++] = argv[i];
        } else if (strcmp(arg, "--") == 0) {
            dashdash = 1;
        } else if (strcmp(arg, "-r") == 0) {
            if (i + 1 >= argc) {
                cli_error("stats: -r needs a capture file, directory or pattern");
                goto out;
            }
            a->inputs[a->ninputs++] = argv[++i];
            while (i + 1 < argc && looks_like_input(argv[i + 1]))
                a->inputs[a->ninputs++] = argv[++i];
        } else if (strcmp(arg, "--json") == 0) {
            a->json = 1;
        } else if (strcmp(arg, "-q") == 0) {
            a->quiet = 1;
        } else if (strcmp(arg, "--chart") == 0) {
            a->view = VIEW_CHART;
        } else if (strcmp(arg, "--table") == 0) {
            a->view = VIEW_TABLE;
        } else if (stats_parse_option(argc, argv, &i, a) < 0) {
            goto out;
        }
    }
    if (a->ninputs == 0) {
        cli_error("stats: give the captures to read with -r FILE|DIR|GLOB");
        goto out;
    }
    a->bpf = cli_join_args(nwords, words, 0);
    rc = 0;
out:
    free(words);
    return rc;
}

/* ---------- text ---------- */

/* "2026-06-10 21:21:26.673203" (UTC; nanoseconds only when present). */
static char *fmt_time(int64_t ns, char *buf, size_t len)
{
    time_t secs = (time_t)(ns / 1000000000);
    long frac = (long)(ns % 1000000000);
    if (frac < 0) {
        frac += 1000000000;
        secs--;
    }
    struct tm tm;
    char day[40];
    gmtime_r(&secs, &tm);
    strftime(day, sizeof(day), "%Y-%m-%d %H:%M:%S", &tm);
    if (frac % 1000 == 0)
        snprintf(buf, len, "%s.%06ld", day, frac / 1000);
    else
        snprintf(buf, len, "%s.%09ld", day, frac);
    return buf;
}

/* Bits per second in decimal units: "1.47 Mbit/s". */
static char *fmt_rate(double bps, char *buf, size_t len)
{
    static const char *u[] = {"bit/s", "kbit/s", "Mbit/s", "Gbit/s", "Tbit/s"};
    int i = 0;
    while (i < 4 && bps >= 1000.0) {
        bps /= 1000.0;
        i++;
    }
    snprintf(buf, len, "%.2f %s", bps, u[i]);
    return buf;
}

static const char *fmt_addr(const struct stats_host *h, char *buf, size_t len)
{
    if (!inet_ntop(h->version == 6 ? AF_INET6 : AF_INET, h->addr, buf, (socklen_t)len))
        snprintf(buf, len, "?");
    return buf;
}

static void print_summary(const struct stats *st)
{
    struct stats_summary s;
    char b1[64], b2[64];
    stats_summary_get(st, &s);
    size_t nf;
    const struct stats_file *f = stats_files(st, &nf);
    if (nf == 1)
        printf("%-21s%s%s\n", "File name:", f[0].name, f[0].damaged ? " (damaged)" : "");
    else
        printf("%-21s%zu\n", "Files:", nf);
    for (uint32_t i = 0; i < s.n_linktypes; i++)
        printf("%-21s%s (%s, DLT %d)%s\n", i == 0 ? "File encapsulation:" : "",
               capture_linktype_name(s.linktypes[i].dlt),
               capture_linktype_desc(s.linktypes[i].dlt), s.linktypes[i].dlt,
               s.n_linktypes > 1 ? " - several link types" : "");
    if (s.snaplen_min < 0)
        printf("%-21s%s\n", "Packet size limit:", "unknown");
    else if (s.snaplen_min == s.snaplen_max)
        printf("%-21sfile hdr: %d bytes\n", "Packet size limit:", s.snaplen_min);
    else
        printf("%-21sfile hdr: %d to %d bytes\n", "Packet size limit:", s.snaplen_min,
               s.snaplen_max);
    printf("%-21s%llu\n", "Number of packets:", (unsigned long long)s.packets);
    printf("%-21s%llu bytes\n", "Data size:", (unsigned long long)s.wire_bytes);
    printf("%-21s%llu bytes\n", "Captured size:", (unsigned long long)s.bytes);
    if (s.truncated)
        printf("%-21s%llu (captured shorter than on the wire)\n", "Truncated frames:",
               (unsigned long long)s.truncated);
    printf("%-21s%.6f seconds\n", "Capture duration:", (double)s.duration_ns / 1e9);
    printf("%-21s%s\n", "First packet time:", s.packets ? fmt_time(s.first_ns, b1, sizeof(b1)) : "n/a");
    printf("%-21s%s\n", "Last packet time:", s.packets ? fmt_time(s.last_ns, b2, sizeof(b2)) : "n/a");
    printf("%-21s%.2f bytes/sec\n", "Data byte rate:", s.data_bit_rate / 8.0);
    printf("%-21s%.2f bits/sec (%s)\n", "Data bit rate:", s.data_bit_rate,
           fmt_rate(s.data_bit_rate, b1, sizeof(b1)));
    printf("%-21s%.2f bytes\n", "Average packet size:", s.avg_packet_size);
    printf("%-21s%.2f packets/sec\n", "Average packet rate:", s.packet_rate);
    printf("%-21s%s\n", "Strict time order:", s.strict_order ? "True" : "False");
}

struct phs_print {
    uint64_t total;
};

static int phs_print_one(const struct stats_phs_entry *e, void *arg)
{
    const struct phs_print *pp = arg;
    int indent = 2 * e->depth;
    int width = 34 - indent > (int)strlen(e->name) ? 34 - indent : (int)strlen(e->name) + 1;
    printf("  %*s%-*s%12llu %16llu %8.2f%%\n", indent, "", width, e->name,
           (unsigned long long)e->frames, (unsigned long long)e->bytes,
           pp->total ? 100.0 * (double)e->frames / (double)pp->total : 0.0);
    return 0;
}

static void print_hierarchy(const struct stats *st)
{
    struct stats_summary s;
    stats_summary_get(st, &s);
    struct phs_print pp = {s.packets};
    printf("\nProtocol hierarchy (wire bytes; %% of all frames; \"(port)\" = named by port only)\n");
    printf("  %-34s%12s %16s %9s\n", "protocol", "frames", "bytes", "frames%");
    stats_phs_walk(st, phs_print_one, &pp);
}

static int print_hosts(const struct stats *st, const struct stats_args *a)
{
    struct stats_host *h = calloc((size_t)a->top, sizeof(*h));
    if (!h)
        return -1;
    int n = stats_top_hosts(st, a->order, h, (size_t)a->top);
    printf("\nTop talkers by %s (%zu hosts seen; both directions)\n",
           a->order == STATS_BY_BYTES ? "bytes" : "packets", stats_host_count(st));
    printf("  %-39s %10s %14s %10s %14s %10s %14s\n", "host", "packets", "bytes", "tx pkts",
           "tx bytes", "rx pkts", "rx bytes");
    for (int i = 0; i < n; i++) {
        char addr[64];
        printf("  %-39s %10llu %14llu %10llu %14llu %10llu %14llu\n",
               fmt_addr(&h[i], addr, sizeof(addr)),
               (unsigned long long)(h[i].tx_packets + h[i].rx_packets),
               (unsigned long long)(h[i].tx_bytes + h[i].rx_bytes),
               (unsigned long long)h[i].tx_packets, (unsigned long long)h[i].tx_bytes,
               (unsigned long long)h[i].rx_packets, (unsigned long long)h[i].rx_bytes);
    }
    free(h);
    return n < 0 ? -1 : 0;
}

static int print_ports(const struct stats *st, const struct stats_args *a)
{
    struct stats_port *p = calloc((size_t)a->top, sizeof(*p));
    if (!p)
        return -1;
    int n = stats_top_ports(st, a->order, p, (size_t)a->top);
    printf("\nTop ports by %s (service port: the well-known one, else the lower)\n",
           a->order == STATS_BY_BYTES ? "bytes" : "packets");
    printf("  %-12s %-14s %12s %16s\n", "port", "service", "packets", "bytes");
    for (int i = 0; i < n; i++) {
        char port[24];
        const char *svc = stats_port_service(p[i].proto, p[i].port);
        snprintf(port, sizeof(port), "%s/%u", p[i].proto == 6 ? "tcp" : "udp", p[i].port);
        printf("  %-12s %-14s %12llu %16llu\n", port, svc ? svc : "-",
               (unsigned long long)p[i].packets, (unsigned long long)p[i].bytes);
    }
    free(p);
    return n < 0 ? -1 : 0;
}

static int terminal_width(void)
{
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40)
        return ws.ws_col;
    const char *c = getenv("COLUMNS");
    long v = c ? strtol(c, NULL, 10) : 0;
    return v >= 40 && v <= 1000 ? (int)v : 80;
}

/* A bucket's offset from the start: whole seconds when the width is. */
static char *fmt_offset(double w, size_t i, char *buf, size_t len)
{
    if (w >= 1 && floor(w) == w)
        snprintf(buf, len, "%.0f", w * (double)i);
    else
        snprintf(buf, len, "%.6f", w * (double)i);
    char *dot = strchr(buf, '.');
    if (dot) { /* 1.500000 -> 1.5, 2.000000 -> 2 */
        char *e = buf + strlen(buf) - 1;
        while (e > dot && *e == '0')
            *e-- = '\0';
        if (e == dot)
            *e = '\0';
    }
    return buf;
}

static void print_throughput(const struct stats *st, const struct stats_args *a)
{
    size_t n;
    uint64_t width_ns;
    int64_t start;
    const struct stats_bucket *b = stats_buckets(st, &n, &start, &width_ns);
    double w = (double)width_ns / 1e9;
    int chart = a->view == VIEW_CHART || (a->view == VIEW_AUTO && isatty(STDOUT_FILENO));
    char t[64], r[32], off[40];
    printf("\nThroughput every %g s from %s UTC (wire bits/s)\n", w,
           n ? fmt_time(start, t, sizeof(t)) : "-");
    uint64_t max = 0;
    for (size_t i = 0; i < n; i++)
        if (b[i].wire_bytes > max)
            max = b[i].wire_bytes;
    if (!chart) {
        printf("  %14s %12s %16s %16s\n", "offset_s", "packets", "bytes", "bits_per_s");
        for (size_t i = 0; i < n; i++)
            printf("  %14s %12llu %16llu %16.2f\n", fmt_offset(w, i, off, sizeof(off)),
                   (unsigned long long)b[i].packets, (unsigned long long)b[i].wire_bytes,
                   (double)b[i].wire_bytes * 8.0 / w);
        return;
    }
    int bar_max = terminal_width() - 46;
    if (bar_max < 10)
        bar_max = 10;
    for (size_t i = 0; i < n; i++) {
        int len = max ? (int)((double)b[i].wire_bytes / (double)max * bar_max + 0.5) : 0;
        printf("  %12ss %14s %9llu pkts |", fmt_offset(w, i, off, sizeof(off)),
               fmt_rate((double)b[i].wire_bytes * 8.0 / w, r, sizeof(r)),
               (unsigned long long)b[i].packets);
        for (int k = 0; k < len; k++)
            fputc('#', stdout);
        fputc('\n', stdout);
    }
}

static void print_shed(const struct stats *st)
{
    struct stats_shed sh;
    stats_shed_get(st, &sh);
    if (sh.hosts)
        printf("\nNote: the host table was full: %llu addresses not tracked (%llu packet ends, "
               "%llu bytes).\n",
               (unsigned long long)sh.hosts, (unsigned long long)sh.host_packets,
               (unsigned long long)sh.host_bytes);
    if (sh.phs_frames)
        printf("Note: %llu frames have a shortened protocol path (node cap reached).\n",
               (unsigned long long)sh.phs_frames);
    if (sh.widened)
        printf("Note: the throughput interval was doubled %u times to bound memory.\n",
               sh.widened);
    if (sh.early_packets)
        printf("Note: %llu packets were earlier than the first one (counted in the first "
               "bucket).\n",
               (unsigned long long)sh.early_packets);
}

static int stats_print_text(const struct stats *st, const struct stats_args *a)
{
    print_summary(st);
    print_hierarchy(st);
    if (print_hosts(st, a) < 0 || print_ports(st, a) < 0)
        return -1;
    print_throughput(st, a);
    print_shed(st);
    return 0;
}

/* ---------- JSON ---------- */

static json_t *json_u64(uint64_t v)
{
    return json_integer((json_int_t)v);
}

static json_t *json_summary(const struct stats *st)
{
    struct stats_summary s;
    char t[64];
    stats_summary_get(st, &s);
    json_t *o = json_object();
    json_object_set_new(o, "packets", json_u64(s.packets));
    json_object_set_new(o, "data_size", json_u64(s.wire_bytes)); /* capinfos: wire lengths */
    json_object_set_new(o, "captured_bytes", json_u64(s.bytes));
    json_object_set_new(o, "truncated_frames", json_u64(s.truncated));
    json_object_set_new(o, "first_ns", json_integer(s.first_ns));
    json_object_set_new(o, "last_ns", json_integer(s.last_ns));
    json_object_set_new(o, "first_time", s.packets ? json_string(fmt_time(s.first_ns, t, sizeof(t))) : json_null());
    json_object_set_new(o, "last_time", s.packets ? json_string(fmt_time(s.last_ns, t, sizeof(t))) : json_null());
    json_object_set_new(o, "duration", json_real((double)s.duration_ns / 1e9));
    json_object_set_new(o, "data_byte_rate", json_real(s.data_bit_rate / 8.0));
    json_object_set_new(o, "data_bit_rate", json_real(s.data_bit_rate));
    json_object_set_new(o, "captured_bit_rate", json_real(s.captured_bit_rate));
    json_object_set_new(o, "avg_packet_size", json_real(s.avg_packet_size));
    json_object_set_new(o, "packet_rate", json_real(s.packet_rate));
    json_object_set_new(o, "snaplen", s.snaplen_min < 0 ? json_null() : json_integer(s.snaplen_max));
    json_object_set_new(o, "strict_time_order", json_boolean(s.strict_order));
    json_t *lts = json_array();
    for (uint32_t i = 0; i < s.n_linktypes; i++)
        json_array_append_new(
            lts, json_pack("{s:i, s:s, s:s, s:I}", "dlt", s.linktypes[i].dlt, "name",
                           capture_linktype_name(s.linktypes[i].dlt), "description",
                           capture_linktype_desc(s.linktypes[i].dlt), "packets",
                           (json_int_t)s.linktypes[i].packets));
    json_object_set_new(o, "linktypes", lts);
    size_t nf;
    const struct stats_file *f = stats_files(st, &nf);
    json_t *files = json_array();
    for (size_t i = 0; i < nf; i++)
        json_array_append_new(
            files, json_pack("{s:s, s:i, s:i, s:b, s:b, s:I, s:I, s:I, s:I, s:I}", "name", f[i].name,
                             "snaplen", f[i].snaplen, "dlt", f[i].linktype, "damaged",
                             f[i].damaged, "strict_time_order", f[i].strict_order, "packets",
                             (json_int_t)f[i].packets, "data_size", (json_int_t)f[i].wire_bytes,
                             "captured_bytes", (json_int_t)f[i].bytes,
                             "first_ns", (json_int_t)f[i].first_ns, "last_ns",
                             (json_int_t)f[i].last_ns));
    json_object_set_new(o, "files", files);
    return o;
}

#define PHS_JSON_DEPTH 64

struct phs_json {
    json_t *level[PHS_JSON_DEPTH + 1]; /* the children array at each depth (borrowed) */
};

static int phs_json_one(const struct stats_phs_entry *e, void *arg)
{
    struct phs_json *pj = arg;
    if (e->depth >= PHS_JSON_DEPTH || !pj->level[e->depth])
        return 0;
    json_t *children = json_array();
    json_t *node = json_pack("{s:s, s:I, s:I}", "name", e->name, "frames", (json_int_t)e->frames,
                             "bytes", (json_int_t)e->bytes);
    json_object_set_new(node, "children", children);
    json_array_append_new(pj->level[e->depth], node);
    pj->level[e->depth + 1] = children;
    return 0;
}

static json_t *json_hosts(const struct stats *st, enum stats_order by, long top)
{
    json_t *arr = json_array();
    struct stats_host *h = calloc((size_t)top, sizeof(*h));
    int n = h ? stats_top_hosts(st, by, h, (size_t)top) : 0;
    for (int i = 0; i < n; i++) {
        char addr[64];
        json_array_append_new(
            arr, json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I}", "addr",
                           fmt_addr(&h[i], addr, sizeof(addr)), "packets",
                           (json_int_t)(h[i].tx_packets + h[i].rx_packets), "bytes",
                           (json_int_t)(h[i].tx_bytes + h[i].rx_bytes), "tx_packets",
                           (json_int_t)h[i].tx_packets, "tx_bytes", (json_int_t)h[i].tx_bytes,
                           "rx_packets", (json_int_t)h[i].rx_packets, "rx_bytes",
                           (json_int_t)h[i].rx_bytes));
    }
    free(h);
    return arr;
}

static json_t *json_ports(const struct stats *st, enum stats_order by, long top)
{
    json_t *arr = json_array();
    struct stats_port *p = calloc((size_t)top, sizeof(*p));
    int n = p ? stats_top_ports(st, by, p, (size_t)top) : 0;
    for (int i = 0; i < n; i++) {
        const char *svc = stats_port_service(p[i].proto, p[i].port);
        json_t *o = json_pack("{s:s, s:i, s:I, s:I}", "proto", p[i].proto == 6 ? "tcp" : "udp",
                              "port", p[i].port, "packets", (json_int_t)p[i].packets, "bytes",
                              (json_int_t)p[i].bytes);
        json_object_set_new(o, "service", svc ? json_string(svc) : json_null());
        json_array_append_new(arr, o);
    }
    free(p);
    return arr;
}

static json_t *json_throughput(const struct stats *st)
{
    size_t n;
    uint64_t width_ns;
    int64_t start;
    const struct stats_bucket *b = stats_buckets(st, &n, &start, &width_ns);
    double w = (double)width_ns / 1e9;
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(
            arr, json_pack("{s:f, s:I, s:I, s:I, s:f}", "offset", w * (double)i, "packets",
                           (json_int_t)b[i].packets, "bytes", (json_int_t)b[i].bytes,
                           "wire_bytes", (json_int_t)b[i].wire_bytes, "bits_per_second",
                           (double)b[i].wire_bytes * 8.0 / w));
    return json_pack("{s:f, s:I, s:o}", "interval", w, "start_ns", (json_int_t)start, "buckets",
                     arr);
}

static int stats_print_json(const struct stats *st, const struct stats_args *a,
                            const char *damage)
{
    json_t *doc = json_object();
    json_object_set_new(doc, "summary", json_summary(st));
    struct phs_json pj = {{0}};
    json_t *phs = json_array();
    pj.level[0] = phs;
    stats_phs_walk(st, phs_json_one, &pj);
    json_object_set_new(doc, "hierarchy", phs);
    json_object_set_new(doc, "hosts_seen", json_u64(stats_host_count(st)));
    json_object_set_new(doc, "top_hosts",
                        json_pack("{s:o, s:o}", "by_bytes", json_hosts(st, STATS_BY_BYTES, a->top),
                                  "by_packets", json_hosts(st, STATS_BY_PACKETS, a->top)));
    json_object_set_new(doc, "top_ports",
                        json_pack("{s:o, s:o}", "by_bytes", json_ports(st, STATS_BY_BYTES, a->top),
                                  "by_packets", json_ports(st, STATS_BY_PACKETS, a->top)));
    json_object_set_new(doc, "throughput", json_throughput(st));
    struct stats_shed sh;
    stats_shed_get(st, &sh);
    json_object_set_new(doc, "shed",
                        json_pack("{s:I, s:I, s:I, s:I, s:I, s:i}", "hosts", (json_int_t)sh.hosts,
                                  "host_packets", (json_int_t)sh.host_packets, "host_bytes",
                                  (json_int_t)sh.host_bytes, "phs_frames",
                                  (json_int_t)sh.phs_frames, "early_packets",
                                  (json_int_t)sh.early_packets, "interval_doublings",
                                  (int)sh.widened));
    json_object_set_new(doc, "damage", damage ? json_string(damage) : json_null());
    int rc = json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
    fputc('\n', stdout);
    json_decref(doc);
    return rc;
}

static int stats_run(const struct stats_args *a)
{
    struct stats_config cfg;
    stats_config_default(&cfg);
    cfg.interval_ns = (uint64_t)llround(a->interval * 1e9);
    struct stats *st = stats_new(&cfg);
    if (!st) {
        cli_error("stats: out of memory");
        return VIGIL_EXIT_ERROR;
    }
    char err[600];
    char *damage = NULL;
    int rc = stats_read_files(st, a->inputs, a->ninputs, a->bpf, !a->quiet, &damage, err,
                              sizeof(err));
    if (rc == STATS_READ_BAD_FILTER || rc == STATS_READ_ERROR) {
        cli_error("stats: %s", err);
        stats_free(st);
        return rc == STATS_READ_BAD_FILTER ? VIGIL_EXIT_USAGE : VIGIL_EXIT_ERROR;
    }
    if (damage)
        fprintf(stderr, "vigil: stats: damaged input; the packets before the damage are "
                        "counted:\n%s", damage);
    int prc = a->json ? stats_print_json(st, a, damage) : stats_print_text(st, a);
    free(damage);
    stats_free(st);
    if (prc < 0 || fflush(stdout) != 0) {
        cli_error("stats: cannot write the output");
        return VIGIL_EXIT_ERROR;
    }
    return rc == STATS_READ_DAMAGED ? VIGIL_EXIT_DAMAGED : VIGIL_EXIT_OK;
}

int cmd_stats(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        stats_usage(stdout);
        return VIGIL_EXIT_OK;
    }
    struct stats_args a;
    int rc;
    if (stats_parse(argc, argv, &a) < 0)
        rc = VIGIL_EXIT_USAGE;
    else
        rc = stats_run(&a);
    free(a.inputs);
    free(a.bpf);
    return rc;
}
