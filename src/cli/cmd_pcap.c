/*
 * cmd_pcap.c - `vigil pcap`: the packets of a session, a host, a 5-tuple
 * or a BPF filter from the full-content archive, as one pcap on -w FILE or
 * standard output (docs/pcap.md).
 *
 * Owns: the command line only (flags, TIME parsing through
 * pcapquery_time_parse, the output file, the -v report).  Planning and
 * reading are src/store/pcapquery.c's; the archive and its indexes
 * src/store/pcapindex.h's.
 *
 * Exit codes (cli.h): 0 ok, also when nothing matched (a note says so on
 * stderr and the output is an empty pcap); 1 no archive at DATA, an
 * unreadable archive or an unwritable output; 2 bad command line or
 * filter; 3 finished, but some file or index was damaged (the packets that
 * could be read were written).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "capture/capture.h"
#include "cli/cli.h"
#include "store/pcapquery.h"

struct pcap_cli {
    const char *data, *wfile, *start, *end;
    int verbose, quiet;
    int nsel;             /* selectors given: --uid, --host/--port, --5tuple */
    struct pcapquery q;
    char *bpf;
};

static void pcap_cli_usage(FILE *f)
{
    fputs("usage: vigil pcap [--data DIR] [--sensor NAME]\n"
          "                  (--uid UID | --host ADDR [--port P] | --port P |\n"
          "                   --5tuple PROTO SRC SPORT DST DPORT | [BPF])\n"
          "                  [--start TIME] [--end TIME] [-w FILE] [--count] [-v] [-q]\n\n"
          "Write the archived packets of a session, a host, a 5-tuple or a BPF filter\n"
          "as one pcap, in timestamp order, byte-identical to the archive.  Session and\n"
          "host queries read only the records the per-file indexes name; a BPF query\n"
          "reads only the files whose time range overlaps --start/--end.\n\n"
          "  --data DIR        archive root (default $VIGIL_DATA, else /nsm)\n"
          "  --sensor NAME     only this sensor's files (default every sensor)\n"
          "  --uid UID         one session, by its conn.log uid\n"
          "  --host ADDR       sessions with ADDR on either side (IPv4 or IPv6)\n"
          "  --port P          sessions with port P on either side (with or without --host)\n"
          "  --5tuple PROTO SRC SPORT DST DPORT\n"
          "                    one conversation, either direction (PROTO tcp, udp, icmp,\n"
          "                    icmp6 or a number)\n"
          "  BPF               libpcap filter (tcpdump's syntax) on every packet considered;\n"
          "                    alone it selects from every packet of the time window\n"
          "  --start TIME      first packet time (inclusive)\n"
          "  --end TIME        last packet time (exclusive)\n"
          "  -w FILE           write to FILE ('-' = standard output, the default when it is\n"
          "                    not a terminal)\n"
          "  --count           print how many packets and bytes would be written\n"
          "  -v                timings and I/O on stderr (files, records, bytes read)\n"
          "  -q                no progress line, no notes\n\n"
          "TIME: epoch seconds (1478102400.5), ISO 8601 in UTC unless it has an offset\n"
          "(2026-11-02T09:00:00Z, '2026-11-02 09:00:00', 2026-11-02), now, or relative to\n"
          "now (-1h, -30m, -90s, -2d, -1w).\n\n"
          "exit codes: 0 ok (also when nothing matched: a note on stderr), 1 no archive or\n"
          "error, 2 usage or bad filter, 3 some archive file damaged (docs/pcap.md)\n",
          f);
}

static void pcap_cli_warn(void *ctx, const char *msg)
{
    const struct pcap_cli *c = ctx;
    if (!c->quiet || c->verbose)
        cli_error("pcap: %s", msg);
}

static int pcap_cli_addr(const char *what, const char *s, uint8_t *fam, uint8_t *a)
{
    memset(a, 0, 16);
    if (inet_pton(AF_INET, s, a) == 1) {
        *fam = 4;
        return 0;
    }
    if (inet_pton(AF_INET6, s, a) == 1) {
        *fam = 6;
        return 0;
    }
    cli_error("pcap: %s wants an IPv4 or IPv6 address, not '%s'", what, s);
    return -1;
}

static int pcap_cli_port(const char *what, const char *s, uint16_t *port)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (!*s || *end || errno || v < 0 || v > 65535) {
        cli_error("pcap: %s wants a port number from 0 to 65535, not '%s'", what, s);
        return -1;
    }
    *port = (uint16_t)v;
    return 0;
}

static int pcap_cli_proto(const char *s, uint8_t *proto)
{
    static const struct { const char *name; uint8_t num; } names[] = {
        {"tcp", 6}, {"udp", 17}, {"icmp", 1}, {"icmp6", 58}, {"ipv6-icmp", 58}, {"sctp", 132}};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcasecmp(s, names[i].name) == 0) {
            *proto = names[i].num;
            return 0;
        }
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < 0 || v > 255) {
        cli_error("pcap: --5tuple PROTO is tcp, udp, icmp, icmp6 or a number, not '%s'", s);
        return -1;
    }
    *proto = (uint8_t)v;
    return 0;
}

/* --5tuple PROTO SRC SPORT DST DPORT: optarg is PROTO, the rest follow. */
static int pcap_cli_5tuple(struct pcap_cli *c, int argc, char **argv)
{
    struct pcapindex_match *m = &c->q.match;
    if (optind + 4 > argc) {
        cli_error("pcap: --5tuple wants five values: PROTO SRC SPORT DST DPORT");
        return -1;
    }
    if (pcap_cli_proto(optarg, &m->proto) < 0 ||
        pcap_cli_addr("--5tuple SRC", argv[optind], &m->host_family, m->host) < 0 ||
        pcap_cli_port("--5tuple SPORT", argv[optind + 1], &m->port) < 0 ||
        pcap_cli_addr("--5tuple DST", argv[optind + 2], &m->host2_family, m->host2) < 0 ||
        pcap_cli_port("--5tuple DPORT", argv[optind + 3], &m->port2) < 0)
        return -1;
    m->has_proto = m->has_host = m->has_host2 = m->has_port = m->has_port2 = true;
    optind += 4;
    c->nsel++;
    c->q.kind = PCAPQUERY_MATCH;
    return 0;
}

static int pcap_cli_option(struct pcap_cli *c, int opt, int argc, char **argv)
{
    struct pcapindex_match *m = &c->q.match;
    switch (opt) {
    case 'D': c->data = optarg; return 0;
    case 'S': c->q.sensor = optarg; return 0;
    case 'U':
        c->q.kind = PCAPQUERY_UID;
        c->q.uid = optarg;
        c->nsel++;
        return 0;
    case 'H':
        if (pcap_cli_addr("--host", optarg, &m->host_family, m->host) < 0)
            return -1;
        m->has_host = true;
        c->q.kind = PCAPQUERY_MATCH;
        c->nsel++;
        return 0;
    case 'P':
        if (pcap_cli_port("--port", optarg, &m->port) < 0)
            return -1;
        m->has_port = true;
        c->q.kind = PCAPQUERY_MATCH;
        if (!m->has_host)
            c->nsel++;
        return 0;
    case 'T': return pcap_cli_5tuple(c, argc, argv);
    case 'A': c->start = optarg; return 0;
    case 'B': c->end = optarg; return 0;
    case 'w': c->wfile = optarg; return 0;
    case 'C': c->q.count_only = true; return 0;
    case 'v': c->verbose++; return 0;
    case 'q': c->quiet = 1; return 0;
    default: break;
    }
    if (optopt)
        cli_error("pcap: %s needs a value; 'vigil pcap --help' lists the flags", argv[optind - 1]);
    else
        cli_error("pcap: unknown flag '%s'; 'vigil pcap --help' lists the flags",
                  argv[optind - 1]);
    return -1;
}

static int pcap_cli_times(struct pcap_cli *c)
{
    char err[512];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t now = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
    c->q.start_ns = INT64_MIN;
    c->q.end_ns = INT64_MAX;
    if (c->start && pcapquery_time_parse(c->start, now, &c->q.start_ns, err, sizeof(err)) < 0) {
        cli_error("pcap: --start: %s", err);
        return -1;
    }
    if (c->end && pcapquery_time_parse(c->end, now, &c->q.end_ns, err, sizeof(err)) < 0) {
        cli_error("pcap: --end: %s", err);
        return -1;
    }
    if (c->q.start_ns >= c->q.end_ns) {
        cli_error("pcap: --start (%s) is not before --end (%s)", c->start, c->end);
        return -1;
    }
    return 0;
}

static int pcap_cli_parse(int argc, char **argv, struct pcap_cli *c)
{
    static const struct option longs[] = {
        {"data", required_argument, 0, 'D'},  {"sensor", required_argument, 0, 'S'},
        {"uid", required_argument, 0, 'U'},   {"host", required_argument, 0, 'H'},
        {"port", required_argument, 0, 'P'},  {"5tuple", required_argument, 0, 'T'},
        {"start", required_argument, 0, 'A'}, {"end", required_argument, 0, 'B'},
        {"count", no_argument, 0, 'C'},       {"verbose", no_argument, 0, 'v'},
        {"quiet", no_argument, 0, 'q'},       {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    int opt;
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "w:vqh", longs, NULL)) != -1) {
        if (opt == 'h') {
            pcap_cli_usage(stdout);
            return -1;
        }
        if (pcap_cli_option(c, opt, argc, argv) < 0)
            return VIGIL_EXIT_USAGE;
    }
    c->bpf = cli_join_args(argc, argv, optind);
    c->q.bpf = c->bpf;
    if (c->nsel > 1) {
        cli_error("pcap: give one of --uid, --host [--port], --port, --5tuple (a BPF filter "
                  "may narrow any of them)");
        return VIGIL_EXIT_USAGE;
    }
    if (pcap_cli_times(c) < 0)
        return VIGIL_EXIT_USAGE;
    if (c->bpf) {
        char err[512];
        if (capture_filter_check(c->bpf, DLT_EN10MB, err, sizeof(err)) < 0) {
            cli_error("pcap: %s", err);
            return VIGIL_EXIT_USAGE;
        }
    }
    return 0;
}

static void pcap_cli_report(const struct pcap_cli *c, const struct pcapquery_stats *st)
{
    if (c->verbose)
        fprintf(stderr,
                "vigil: pcap: %u files in the archive, %u in the time window, %u pcaps opened, "
                "%u indexes read (%u rebuilt)%s; %llu records read in %llu reads "
                "(%llu bytes); %llu packets, %llu bytes out; plan %.1f ms, total %.1f ms\n",
                st->files_in_archive, st->files_selected, st->files_opened, st->indexes_opened,
                st->indexes_rebuilt, st->uid_timed     ? ", files from the uid's start time"
                : st->uid_bounded ? ", uid time from conn.log"
                                  : "",
                (unsigned long long)st->records_read, (unsigned long long)st->reads,
                (unsigned long long)st->bytes_read, (unsigned long long)st->packets_out,
                (unsigned long long)st->bytes_out, st->ms_plan, st->ms_total);
    if (st->packets_out == 0 && !c->quiet)
        cli_error("pcap: no packets matched (%u of %u archive files searched)%s",
                  st->files_selected, st->files_in_archive,
                  c->q.count_only ? "" : "; the output is an empty pcap");
}

static int pcap_cli_output(struct pcap_cli *c, int *fd)
{
    *fd = -1;
    if (c->q.count_only)
        return 0;
    if (!c->wfile || strcmp(c->wfile, "-") == 0) {
        if (!c->wfile && isatty(STDOUT_FILENO)) {
            cli_error("pcap: standard output is a terminal; give -w FILE or pipe it into "
                      "a reader (| tshark -r -)");
            return VIGIL_EXIT_USAGE;
        }
        *fd = STDOUT_FILENO;
        return 0;
    }
    *fd = open(c->wfile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (*fd < 0) {
        cli_error("pcap: cannot write %s: %s", c->wfile, strerror(errno));
        return VIGIL_EXIT_ERROR;
    }
    return 0;
}

int cmd_pcap(int argc, char **argv)
{
    struct pcap_cli c;
    struct pcapquery_stats st;
    char err[1024];
    int fd, rc;
    memset(&c, 0, sizeof(c));
    rc = pcap_cli_parse(argc, argv, &c);
    if (rc != 0) {
        free(c.bpf);
        return rc < 0 ? VIGIL_EXIT_OK : rc;
    }
    c.q.data_dir = pcapindex_data_dir(c.data);
    c.q.progress = !c.quiet;
    c.q.warn = pcap_cli_warn;
    c.q.warn_ctx = &c;
    rc = pcap_cli_output(&c, &fd);
    if (rc != 0) {
        free(c.bpf);
        return rc;
    }
    int qr = pcapquery_run(&c.q, fd, &st, err, sizeof(err));
    if (fd >= 0 && fd != STDOUT_FILENO && close(fd) < 0 && qr >= 0) {
        snprintf(err, sizeof(err), "cannot write %s: %s", c.wfile, strerror(errno));
        qr = PCAPQUERY_OUTPUT;
    }
    free(c.bpf);
    if (qr < 0) {
        cli_error("pcap: %s", err);
        return qr == PCAPQUERY_BAD_FILTER ? VIGIL_EXIT_USAGE : VIGIL_EXIT_ERROR;
    }
    if (c.q.count_only)
        printf("%llu packets, %llu bytes\n", (unsigned long long)st.packets_out,
               (unsigned long long)st.bytes_out);
    pcap_cli_report(&c, &st);
    return qr == 1 ? VIGIL_EXIT_DAMAGED : VIGIL_EXIT_OK;
}
