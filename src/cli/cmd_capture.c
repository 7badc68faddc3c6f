/*
 * cmd_capture.c - `vigil capture -i IFACE [BPF]`: live capture into the
 * full-content archive, through the same pipeline as `vigil analyze` (so
 * conn.log and the other logs are written too); and `vigil capture
 * --stats`, the drop counters of the last (or running) capture
 * (docs/capture.md).  Also the archive options `vigil ingest` shares.
 *
 * Owns: the command line, the once-a-second ticker thread and the
 * capture.stats state file.  Threads: the pipeline runs on the main
 * thread; the ticker wakes every second even when no packet comes (the
 * live source blocks in libpcap), and under one mutex with the packet sink
 * flushes the archive (buffer + journal), runs retention every minute,
 * reads pcap_stats() and every minute logs drops to stderr and rewrites
 * DATA/sensor_data/<sensor>/capture.stats:
 *
 *   iface=eth1  started=<epoch>  updated=<epoch>  running=1
 *   received=N  kernel_drops=N  ifdrops=N  archived=N  not_archived=N
 *   (one key=value a line)
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/fsutil.h"
#include "core/privdrop.h"
#include "extract/extract.h"
#include "pipeline/pipeline.h"
#include "store/pcapindex.h"
#include "store/pcapstore.h"

/* ---- shared with ingest ---- */

static int parse_size(const char *s, unsigned long long *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || v <= 0)
        return -1;
    switch (*end) {
    case 'k': case 'K': v *= 1024; end++; break;
    case 'm': case 'M': v *= 1024 * 1024; end++; break;
    case 'g': case 'G': v *= 1024.0 * 1024 * 1024; end++; break;
    case 't': case 'T': v *= 1024.0 * 1024 * 1024 * 1024; end++; break;
    default: break;
    }
    if (*end == 'i' || *end == 'B')
        end += *end == 'i' && end[1] == 'B' ? 2 : 1;
    if (*end || v < 4096)
        return -1;
    *out = (unsigned long long)v;
    return 0;
}

int cli_archive_opt(struct cli_archive *a, const char *cmd, int c, const char *arg)
{
    char *end, err[200];
    if (!a->behave_init) {
        behave_config_default(&a->behave);
        a->behave_init = 1;
    }
    int b = cli_rules_opt(&a->rules, cmd, c, arg);
    if (b)
        return b;
    b = behave_getopt(&a->behave, c, arg, err, sizeof(err));
    if (b < 0)
        cli_error("%s: %s", cmd, err);
    if (b)
        return b;
    switch (c) {
    case 'D': a->data = arg; return 1;
    case 'S': a->sensor = arg; return 1;
    case 'l': a->log_dir = arg; return 1;
    case 'I': return cli_intel_add(&a->intel, cmd, arg) ? -1 : 1;
    case 'j': a->json = 1; return 1;
    case 'q': a->quiet = 1; return 1;
    case 'Z':
        if (parse_size(arg, &a->rotate_size) < 0) {
            cli_error("%s: --rotate-size wants a size of at least 4096 bytes (e.g. 1G, 100M), "
                      "not '%s'", cmd, arg);
            return -1;
        }
        return 1;
    case 'P':
        errno = 0;
        a->max_disk_pct = strtod(arg, &end);
        if (errno || *end || a->max_disk_pct <= 0 || a->max_disk_pct > 100) {
            cli_error("%s: --max-disk-pct wants a percentage from 1 to 100, not '%s'", cmd, arg);
            return -1;
        }
        return 1;
    case 'A': {
        errno = 0;
        long v = strtol(arg, &end, 10);
        if (errno || *end || v < 1 || v > 100000) {
            cli_error("%s: --max-age wants a number of days, not '%s'", cmd, arg);
            return -1;
        }
        a->max_age_days = (int)v;
        return 1;
    }
    default: return 0;
    }
}

int cli_archive_open(struct cli_archive *a, const char *cmd)
{
    char err[4400], dir[4200];
    struct pcapstore_config sc;
    pcapstore_config_default(&sc);
    sc.data_dir = a->data = pcapindex_data_dir(a->data);
    sc.sensor = a->sensor;
    sc.quiet = a->quiet;
    if (a->rotate_size)
        sc.rotate_size = a->rotate_size;
    if (a->max_disk_pct > 0)
        sc.retention.max_disk_pct = a->max_disk_pct;
    sc.retention.max_age_days = a->max_age_days;
    a->store = pcapstore_open(&sc, err, sizeof(err));
    if (!a->store) {
        cli_error("%s: %s", cmd, err);
        return VIGIL_EXIT_ERROR;
    }
    if (!a->log_dir) {
        time_t now = time(NULL);
        struct tm tm;
        char day[16];
        gmtime_r(&now, &tm);
        strftime(day, sizeof(day), "%Y-%m-%d", &tm);
        snprintf(dir, sizeof(dir), "%.4000s/logs/%s", pcapstore_sensor_dir(a->store), day);
        a->log_dir = dir;
    }
    if (core_mkdirs(a->log_dir, 0755) < 0) {
        cli_error("%s: cannot create the log directory %s: %s", cmd, a->log_dir, strerror(errno));
        goto fail;
    }
    a->logs = output_zeek_open(a->log_dir, a->json ? ZEEK_LOG_JSON : ZEEK_LOG_TSV, err,
                               sizeof(err));
    if (!a->logs) {
        cli_error("%s: %s", cmd, err);
        if (a->log_dir == dir)
            a->log_dir = NULL;
        goto fail;
    }
    int rc = cli_rules_start(&a->rules, cmd, a->log_dir, a->logs);
    if (!rc) {
        rc = cli_intel_start(&a->intel, cmd, a->log_dir, a->logs, a->rules.eve, a->sensor,
                             a->quiet);
        if (rc)
            cli_rules_stop(&a->rules);
    }
    if (a->log_dir == dir)
        a->log_dir = NULL;
    if (rc) {
        output_close(a->logs);
        a->logs = NULL;
        pcapstore_close(a->store, err, sizeof(err));
        a->store = NULL;
        return rc;
    }
    /* the behaviour detectors in front of the logs (and --intel's eve.json) */
    if (!a->behave_init)
        behave_config_default(&a->behave);
    struct output *bdown[2] = {a->logs, a->rules.eve ? a->rules.eve : a->intel.eve};
    a->out = behave_open(&a->behave, bdown, 2, err, sizeof(err));
    if (!a->out && a->behave.enabled) {
        cli_error("%s: %s", cmd, err);
        cli_intel_stop(&a->intel, cmd, 1);
        cli_rules_stop(&a->rules);
        output_close(a->logs);
        a->logs = NULL;
        goto fail;
    }
    if (!a->out)
        a->out = a->logs;
    return 0;
fail:
    pcapstore_close(a->store, err, sizeof(err));
    a->store = NULL;
    return VIGIL_EXIT_ERROR;
}

int cli_archive_outputs(const struct cli_archive *a, struct output **outs)
{
    int n = 0;
    outs[n++] = a->out;
    if (a->intel.matcher)
        outs[n++] = a->intel.matcher;
    if (a->out == a->logs && a->rules.eve)
        outs[n++] = a->rules.eve; /* flushed with the others once a second */
    return n;
}

int cli_archive_close(struct cli_archive *a, const char *cmd)
{
    char err[4400];
    int rc = 0;
    if (a->out != a->logs)
        output_close(a->out); /* the behaviour wrapper, before what it writes to */
    cli_intel_stop(&a->intel, cmd, a->quiet);
    cli_rules_stop(&a->rules);
    output_close(a->logs);
    a->out = a->logs = NULL;
    if (a->store && pcapstore_close(a->store, err, sizeof(err)) < 0) {
        cli_error("%s: %s", cmd, err);
        rc = VIGIL_EXIT_ERROR;
    }
    a->store = NULL;
    return rc;
}

/* ---- capture ---- */

struct capture_run {
    struct cli_archive ar;
    int extract;                     /* --extract: files under DATA/sensor_data/<sensor>/files */
    unsigned long long extract_max;
    const char *yara;
    const char *iface;
    struct privdrop drop;            /* --user/--group: who runs after the interface is open */
    int buffer_mb;
    int stats_only;
    char *bpf;
    /* running */
    struct pipeline *p;
    struct capture_source *src;
    pthread_mutex_t mu;
    volatile int done;
    time_t started;
    char stats_path[4200];
};

static struct capture_run *capture_running;

static void capture_on_signal(int sig)
{
    (void)sig;
    struct capture_run *r = capture_running;
    if (!r)
        return;
    pipeline_stop(r->p);
    void *h = capture_live_handle(r->src);
    if (h)
        pcap_breakloop(h);
}

static void capture_sink(void *ctx, const struct packet *pkt, const struct flow_packet_refs *refs)
{
    struct capture_run *r = ctx;
    pthread_mutex_lock(&r->mu);
    pcapstore_write(r->ar.store, pkt, refs);
    pthread_mutex_unlock(&r->mu);
}

/* Drops: log a line and rewrite the state file (atomically). */
static void capture_report(struct capture_run *r, int final)
{
    struct pcap_stat ps = {0};
    void *h = capture_live_handle(r->src);
    if (h)
        pcap_stats(h, &ps);
    struct pcapstore_counters c;
    pcapstore_counters(r->ar.store, &c);
    fprintf(stderr,
            "vigil: capture: %s%s: %u received, %u dropped by the kernel (ring full), %u dropped "
            "by the interface, %llu archived, %llu not archived\n",
            r->iface, final ? " (at exit)" : "", ps.ps_recv, ps.ps_drop, ps.ps_ifdrop,
            (unsigned long long)c.packets, (unsigned long long)c.not_written);
    char tmp[4300];
    snprintf(tmp, sizeof(tmp), "%s.tmp", r->stats_path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return;
    fprintf(f,
            "iface=%s\nstarted=%lld\nupdated=%lld\nrunning=%d\nreceived=%u\nkernel_drops=%u\n"
            "ifdrops=%u\narchived=%llu\nnot_archived=%llu\nfiles_closed=%llu\n"
            "retention_deleted=%llu\n",
            r->iface, (long long)r->started, (long long)time(NULL), !final, ps.ps_recv,
            ps.ps_drop, ps.ps_ifdrop, (unsigned long long)c.packets,
            (unsigned long long)c.not_written, (unsigned long long)c.files_closed,
            (unsigned long long)c.retention.files_deleted);
    if (fclose(f) == 0)
        rename(tmp, r->stats_path);
}

static void *capture_ticker(void *arg)
{
    struct capture_run *r = arg;
    int n = 0;
    while (!r->done) {
        struct timespec ts = {1, 0};
        nanosleep(&ts, NULL);
        if (r->done)
            break;
        pthread_mutex_lock(&r->mu);
        pcapstore_tick(r->ar.store);
        if (++n % 60 == 0)
            capture_report(r, 0);
        pthread_mutex_unlock(&r->mu);
    }
    return NULL;
}

/* The extraction and intel options of `vigil capture` and `vigil ingest`
 * (cli_archive_opt), as their --help lists them. */
const char cli_archive_content_usage[] =
    "      --extract           file extraction: files.log with the other logs, every\n"
    "                          file stored once by SHA-256 under\n"
    "                          DATA/sensor_data/<sensor>/files/ (docs/extract.md)\n"
    "      --extract-max-size BYTES  bytes stored per file (default 100 MiB)\n"
    "      --yara DIR          YARA rules (*.yar, *.yara): extracted files scanned,\n"
    "                          matches in notice.log (implies --extract; a bad rule:\n"
    "                          exit 2 with FILE:LINE)\n"
    "      --intel FILE|DIR    Zeek intel file (or every *.intel, *.csv in DIR;\n"
    "                          repeatable): hits to intel.log and eve.json\n"
    "                          (docs/intel.md)\n";

static void capture_usage(FILE *out)
{
    fprintf(out,
            "usage: vigil capture -i IFACE [options] [BPF expression]\n"
            "       vigil capture --stats [--data DIR] [--sensor NAME]\n\n"
            "Capture an interface (libpcap, TPACKET_V3 ring, full snaplen) into the full-content\n"
            "archive DATA/sensor_data/<sensor>/dailylogs/<YYYY-MM-DD>/<sensor>.<epoch>.pcap (each\n"
            "file with a flow index), and analyse it as `vigil analyze` does: logs go to\n"
            "DATA/sensor_data/<sensor>/logs/<YYYY-MM-DD>/.  Ctrl-C or SIGTERM stops cleanly.\n\n"
            "  -i, --interface IFACE   interface to capture\n"
            "  -B, --buffer MiB        kernel ring size (default 64)\n"
            "      --data DIR          data root (default $VIGIL_DATA, else /nsm)\n"
            "      --sensor NAME       sensor name (default: the host name)\n"
            "      --rotate-size SIZE  start a new file after SIZE (default 1G); files also\n"
            "                          rotate at UTC midnight\n"
            "      --max-disk-pct P    delete the oldest files above P%% disk used (default 90)\n"
            "      --max-age DAYS      delete files older than DAYS\n"
            "  -l, --log-dir DIR       logs here instead\n"
            "  -j, --json              Zeek JSON logs\n"
            "      --stats             show the drop counters of the last or running capture\n"
            "  -q, --quiet             no per-file lines\n"
            "  -u, --user USER         after opening the interface, run as USER (needs root;\n"
            "                          the sensor's data and log directories are given to it)\n"
            "      --group GROUP       with --user: run with this group (default: USER's)\n"
            "%s%s%s\n"
            "Drops (kernel ring, interface) are logged every minute and at exit and kept in\n"
            "DATA/sensor_data/<sensor>/capture.stats.  docs/capture.md tells more.\n",
            cli_archive_content_usage, cli_rules_usage, behave_usage);
}

static const struct option capture_longs[] = {
    {"interface", required_argument, 0, 'i'}, {"buffer", required_argument, 0, 'B'},
    {"data", required_argument, 0, 'D'},      {"sensor", required_argument, 0, 'S'},
    {"rotate-size", required_argument, 0, 'Z'}, {"max-disk-pct", required_argument, 0, 'P'},
    {"max-age", required_argument, 0, 'A'},   {"log-dir", required_argument, 0, 'l'},
    {"json", no_argument, 0, 'j'},            {"stats", no_argument, 0, 's'},
    {"quiet", no_argument, 0, 'q'},           {"help", no_argument, 0, 'h'},
    {"extract", no_argument, 0, 'X'},         {"extract-max-size", required_argument, 0, 'M'},
    {"yara", required_argument, 0, 'Y'},      {"intel", required_argument, 0, 'I'},
    {"user", required_argument, 0, 'u'},      {"group", required_argument, 0, 'G'},
    BEHAVE_LONGOPTS, CLI_RULES_LONGOPTS, {0, 0, 0, 0}};

static int capture_parse(int argc, char **argv, struct capture_run *r)
{
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+i:B:l:u:jqh", capture_longs, NULL)) != -1) {
        int t = cli_archive_opt(&r->ar, "capture", c, optarg);
        if (t < 0)
            return VIGIL_EXIT_USAGE;
        if (t > 0)
            continue;
        switch (c) {
        case 'i': r->iface = optarg; break;
        case 's': r->stats_only = 1; break;
        case 'u': r->drop.user = optarg; break;
        case 'G': r->drop.group = optarg; break;
        case 'X': r->extract = 1; break;
        case 'Y': r->yara = optarg; r->extract = 1; break;
        case 'M': {
            char *end;
            errno = 0;
            r->extract_max = strtoull(optarg, &end, 0);
            if (errno || *end || r->extract_max == 0 || optarg[0] == '-') {
                cli_error("capture: --extract-max-size wants a byte count, not '%s'", optarg);
                return VIGIL_EXIT_USAGE;
            }
            break;
        }
        case 'B': {
            char *end;
            errno = 0;
            long v = strtol(optarg, &end, 10);
            if (errno || *end || v < 1 || v > 65536) {
                cli_error("capture: -B wants a buffer size in MiB (1 to 65536), not '%s'", optarg);
                return VIGIL_EXIT_USAGE;
            }
            r->buffer_mb = (int)v;
            break;
        }
        case 'h': capture_usage(stdout); return -1;
        default:
            fprintf(stderr, "'vigil capture --help' lists the options\n");
            return VIGIL_EXIT_USAGE;
        }
    }
    if (!r->iface && !r->stats_only) {
        cli_error("capture: no interface given (-i IFACE)");
        fprintf(stderr, "'vigil capture --help' lists the options\n");
        return VIGIL_EXIT_USAGE;
    }
    char err[1024];
    if (r->drop.group && !r->drop.user) {
        cli_error("capture: --group needs --user");
        return VIGIL_EXIT_USAGE;
    }
    if (r->drop.user && privdrop_resolve(&r->drop, err, sizeof(err)) < 0) {
        cli_error("capture: %s", err);
        return VIGIL_EXIT_USAGE;
    }
    if (r->yara && extract_yara_load(r->yara, err, sizeof(err)) < 0) {
        cli_error("capture: %s", err);
        return VIGIL_EXIT_USAGE;
    }
    r->bpf = cli_join_args(argc, argv, optind);
    return 0;
}

/* Print one sensor's state file; 1 when there was one. */
static int capture_show_one(const char *sdir, const char *name)
{
    char p[4200], line[512];
    snprintf(p, sizeof(p), "%.3000s/%.200s/capture.stats", sdir, name);
    FILE *s = fopen(p, "r");
    if (!s)
        return 0;
    printf("sensor %s (%s)\n", name, p);
    while (fgets(line, sizeof(line), s))
        printf("  %s", line);
    fclose(s);
    return 1;
}

/* `vigil capture --stats`: the state file of one sensor, or of every one. */
static int capture_show_stats(struct capture_run *r)
{
    const char *data = pcapindex_data_dir(r->ar.data);
    char sdir[4200];
    int shown = 0;
    snprintf(sdir, sizeof(sdir), "%.4000s/sensor_data", data);
    if (r->ar.sensor) {
        shown = capture_show_one(sdir, r->ar.sensor);
    } else {
        DIR *d = opendir(sdir);
        struct dirent *e;
        while (d && (e = readdir(d)))
            if (e->d_name[0] != '.')
                shown += capture_show_one(sdir, e->d_name);
        if (d)
            closedir(d);
    }
    if (!shown) {
        cli_error("capture: no capture statistics under %s (no capture has run with this "
                  "--data%s)", sdir, r->ar.sensor ? " and --sensor" : "");
        return VIGIL_EXIT_ERROR;
    }
    return VIGIL_EXIT_OK;
}

/* --user: hand the sensor's directory (and --log-dir) to the user, then
 * become it.  Before the archive, the logs, the rules and any thread, so
 * every file is made by the user and nothing after this runs as root. */
static int capture_drop_root(struct capture_run *r)
{
    char err[1200], sdir[4300];
    snprintf(sdir, sizeof(sdir), "%.4000s/sensor_data/%.255s", pcapindex_data_dir(r->ar.data),
             r->ar.sensor);
    const char *dirs[3] = {sdir, r->ar.log_dir, NULL};
    for (int i = 0; dirs[i]; i++)
        if (core_mkdirs(dirs[i], 0755) < 0) {
            cli_error("capture: cannot create %s: %s", dirs[i], strerror(errno));
            return -1;
        }
    if (privdrop_become(&r->drop, dirs, err, sizeof(err)) < 0) {
        cli_error("capture: %s", err);
        return -1;
    }
    if (!r->ar.quiet)
        fprintf(stderr, "vigil: capture: running as %s (uid %u, gid %u)\n", r->drop.name,
                (unsigned)r->drop.uid, (unsigned)r->drop.gid);
    return 0;
}

static int capture_run_live(struct capture_run *r)
{
    char err[512], host[256];
    if (!r->ar.sensor) {
        if (gethostname(host, sizeof(host)) < 0 || !host[0])
            snprintf(host, sizeof(host), "vigil");
        host[sizeof(host) - 1] = '\0';
        r->ar.sensor = host;
    }
    struct capture_live_opts lo = {.bpf = r->bpf, .buffer_mb = r->buffer_mb, .promisc = 1};
    r->src = capture_open_live(r->iface, &lo, err, sizeof(err));
    if (!r->src) {
        cli_error("capture: %s", err);
        return VIGIL_EXIT_ERROR;
    }
    if (r->drop.user && capture_drop_root(r) < 0) {
        capture_close(r->src);
        return VIGIL_EXIT_ERROR;
    }
    int rc = cli_archive_open(&r->ar, "capture");
    if (rc) {
        capture_close(r->src);
        return rc;
    }
    snprintf(r->stats_path, sizeof(r->stats_path), "%.4000s/capture.stats",
             pcapstore_sensor_dir(r->ar.store));
    struct pipeline_config cfg;
    pipeline_config_default(&cfg);
    cfg.sensor = r->ar.sensor;
    cfg.progress = 0;
    cfg.midstream_reverse = r->ar.rules.midstream_reverse;
    cfg.packet_sink = capture_sink;
    cfg.packet_sink_ctx = r;
    struct output *outs[3];
    int nouts = cli_archive_outputs(&r->ar, outs);
    if (r->extract && extract_start_sensor(r->ar.data, r->ar.sensor, r->extract_max, r->ar.out,
                                           err, sizeof(err)) < 0) {
        cli_error("capture: %s", err);
        cli_archive_close(&r->ar, "capture");
        capture_close(r->src);
        return VIGIL_EXIT_ERROR;
    }
    r->p = pipeline_new(&cfg, outs, nouts, err, sizeof(err));
    if (!r->p) {
        cli_error("capture: %s", err);
        if (r->extract)
            extract_stop();
        cli_archive_close(&r->ar, "capture");
        capture_close(r->src);
        return VIGIL_EXIT_ERROR;
    }
    pthread_mutex_init(&r->mu, NULL);
    r->started = time(NULL);
    capture_report(r, 0);
    capture_running = r;
    struct sigaction sa = {0};
    sa.sa_handler = capture_on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    pthread_t tick;
    int have_tick = pthread_create(&tick, NULL, capture_ticker, r) == 0;
    if (!r->ar.quiet)
        fprintf(stderr, "vigil: capture: %s -> %s\n", r->iface, pcapstore_sensor_dir(r->ar.store));
    rc = pipeline_run(r->p, r->src) < 0 ? VIGIL_EXIT_ERROR : VIGIL_EXIT_OK;
    if (rc)
        cli_error("capture: %s", pipeline_error(r->p));
    r->done = 1;
    if (have_tick)
        pthread_join(tick, NULL);
    capture_running = NULL;
    capture_report(r, 1);
    pipeline_free(r->p);
    if (r->extract)
        extract_stop();
    int crc = cli_archive_close(&r->ar, "capture");
    capture_close(r->src);
    pthread_mutex_destroy(&r->mu);
    return rc ? rc : crc;
}

int cmd_capture(int argc, char **argv)
{
    struct capture_run r = {0};
    if (cli_wants_help(argc, argv)) {
        capture_usage(stdout);
        return VIGIL_EXIT_OK;
    }
    int rc = capture_parse(argc, argv, &r);
    if (rc == 0)
        rc = r.stats_only ? capture_show_stats(&r) : capture_run_live(&r);
    else if (rc < 0)
        rc = VIGIL_EXIT_OK;
    free(r.bpf);
    return rc;
}
