/*
 * cmd_ingest.c - `vigil ingest -r PCAPS`: import existing captures into
 * the full-content archive, exactly as `vigil capture` would have written
 * them (docs/ingest.md): the same pipeline and logs, the same files and
 * indexes, rotation by size and at UTC midnight of the packets' own time
 * (a capture spanning days lands in each day's directory).
 *
 * Owns: the command line only.  The archive options and their handling are
 * shared with capture (cli_archive_*, cmd_capture.c).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "extract/extract.h"
#include "pipeline/pipeline.h"
#include "store/pcapstore.h"

static struct pipeline *ingest_running;

static void ingest_on_signal(int sig)
{
    (void)sig;
    if (ingest_running)
        pipeline_stop(ingest_running);
}

static void ingest_usage(FILE *out)
{
    fprintf(out,
            "usage: vigil ingest -r PCAP [-r PCAP ...] [options] [--extract] [--yara DIR]\n"
            "                    [BPF expression]\n\n"
            "Import captures (files, directories or globs, merged in time order) into the\n"
            "full-content archive DATA/sensor_data/<sensor>/dailylogs/<YYYY-MM-DD>/ with a flow\n"
            "index per file, and analyse them: logs go to DATA/sensor_data/<sensor>/logs/<today>/.\n\n"
            "  -r, --read PCAP         file, directory, glob or - (stdin); repeatable\n"
            "      --data DIR          data root (default $VIGIL_DATA, else /nsm)\n"
            "      --sensor NAME       sensor name (default vigil)\n"
            "      --rotate-size SIZE  start a new file after SIZE (default 1G); files also\n"
            "                          rotate at UTC midnight of the packets' time\n"
            "      --max-disk-pct P    delete the oldest files above P%% disk used (default 90)\n"
            "      --max-age DAYS      delete files older than DAYS (packet time)\n"
            "  -l, --log-dir DIR       logs here instead\n"
            "  -j, --json              Zeek JSON logs\n"
            "  -q, --quiet             no progress, no per-file lines\n"
            "%s%s%s\n"
            "exit codes: 0 ok, 1 error, 2 usage, 3 damaged input.  docs/ingest.md tells more.\n",
            cli_archive_content_usage, cli_rules_usage, behave_usage);
}

static const struct option ingest_longs[] = {
    {"read", required_argument, 0, 'r'},      {"data", required_argument, 0, 'D'},
    {"sensor", required_argument, 0, 'S'},    {"rotate-size", required_argument, 0, 'Z'},
    {"max-disk-pct", required_argument, 0, 'P'}, {"max-age", required_argument, 0, 'A'},
    {"log-dir", required_argument, 0, 'l'},   {"json", no_argument, 0, 'j'},
    {"quiet", no_argument, 0, 'q'},           {"help", no_argument, 0, 'h'},
    {"extract", no_argument, 0, 'X'},         {"extract-max-size", required_argument, 0, 'M'},
    {"yara", required_argument, 0, 'Y'},      {"intel", required_argument, 0, 'I'},
    BEHAVE_LONGOPTS, CLI_RULES_LONGOPTS, {0, 0, 0, 0}};

struct ingest_opts {
    struct cli_archive ar;
    const char **inputs;
    int ninputs;
    char *bpf;
    int extract;
    unsigned long long extract_max;
    const char *yara;
};

static int ingest_parse(int argc, char **argv, struct ingest_opts *o)
{
    int c;
    o->inputs = calloc((size_t)argc + 1, sizeof(*o->inputs));
    if (!o->inputs)
        return VIGIL_EXIT_ERROR;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+r:l:jqh", ingest_longs, NULL)) != -1) {
        int t = cli_archive_opt(&o->ar, "ingest", c, optarg);
        if (t < 0)
            return VIGIL_EXIT_USAGE;
        if (t > 0)
            continue;
        switch (c) {
        case 'r': o->inputs[o->ninputs++] = optarg; break;
        case 'X': o->extract = 1; break;
        case 'Y': o->yara = optarg; o->extract = 1; break;
        case 'M': {
            char *end;
            errno = 0;
            o->extract_max = strtoull(optarg, &end, 0);
            if (errno || *end || o->extract_max == 0 || optarg[0] == '-') {
                cli_error("ingest: --extract-max-size wants a byte count, not '%s'", optarg);
                return VIGIL_EXIT_USAGE;
            }
            break;
        }
        case 'h': ingest_usage(stdout); return -1;
        default:
            fprintf(stderr, "'vigil ingest --help' lists the options\n");
            return VIGIL_EXIT_USAGE;
        }
    }
    if (o->ninputs == 0) {
        cli_error("ingest: no capture given (-r PCAP)");
        fprintf(stderr, "'vigil ingest --help' lists the options\n");
        return VIGIL_EXIT_USAGE;
    }
    if (!o->ar.sensor)
        o->ar.sensor = "vigil";
    char err[1024];
    if (o->yara && extract_yara_load(o->yara, err, sizeof(err)) < 0) {
        cli_error("ingest: %s", err);
        return VIGIL_EXIT_USAGE;
    }
    o->bpf = cli_join_args(argc, argv, optind);
    return 0;
}

static void ingest_tick(void *ctx)
{
    pcapstore_tick(ctx);
}

static void ingest_summary(struct ingest_opts *o, struct pipeline *p, double secs)
{
    struct pipeline_counters pc;
    struct pcapstore_counters sc;
    pipeline_counters(p, &pc);
    pcapstore_counters(o->ar.store, &sc);
    if (o->ar.quiet)
        return;
    fprintf(stderr,
            "vigil: ingest: %llu packets (%llu bytes) in %.2f s, %.1f MB/s; archived %llu "
            "packets, %llu not archived, %llu files closed; index %.2f%% of the pcap bytes\n",
            (unsigned long long)pc.packets, (unsigned long long)pc.bytes, secs,
            secs > 0 ? (double)sc.bytes / secs / 1e6 : 0.0, (unsigned long long)sc.packets,
            (unsigned long long)sc.not_written, (unsigned long long)sc.files_closed,
            sc.pcap_bytes_closed ? 100.0 * (double)sc.index_bytes / (double)sc.pcap_bytes_closed
                                 : 0.0);
}

static int ingest_run(struct ingest_opts *o)
{
    char err[512];
    struct capture_file_opts fo = {.bpf = o->bpf};
    struct capture_source *src = capture_open_files(o->inputs, o->ninputs, &fo, err, sizeof(err));
    if (!src) {
        cli_error("ingest: %s", err);
        return VIGIL_EXIT_ERROR;
    }
    int rc = cli_archive_open(&o->ar, "ingest");
    if (rc) {
        capture_close(src);
        return rc;
    }
    struct pipeline_config cfg;
    pipeline_config_default(&cfg);
    cfg.sensor = o->ar.sensor;
    cfg.progress = !o->ar.quiet;
    cfg.midstream_reverse = o->ar.rules.midstream_reverse;
    cfg.packet_sink = pcapstore_sink;
    cfg.packet_sink_ctx = o->ar.store;
    cfg.tick = ingest_tick;
    cfg.tick_ctx = o->ar.store;
    struct output *outs[3];
    int nouts = cli_archive_outputs(&o->ar, outs);
    if (o->extract && extract_start_sensor(o->ar.data, o->ar.sensor, o->extract_max, o->ar.out,
                                           err, sizeof(err)) < 0) {
        cli_error("ingest: %s", err);
        o->extract = 0;
        cli_archive_close(&o->ar, "ingest");
        capture_close(src);
        return VIGIL_EXIT_ERROR;
    }
    struct pipeline *p = pipeline_new(&cfg, outs, nouts, err, sizeof(err));
    if (!p) {
        cli_error("ingest: %s", err);
        if (o->extract)
            extract_stop();
        cli_archive_close(&o->ar, "ingest");
        capture_close(src);
        return VIGIL_EXIT_ERROR;
    }
    ingest_running = p;
    signal(SIGINT, ingest_on_signal);
    signal(SIGTERM, ingest_on_signal);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    rc = pipeline_run(p, src) < 0 ? VIGIL_EXIT_ERROR : VIGIL_EXIT_OK;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (rc != VIGIL_EXIT_OK)
        cli_error("ingest: %s", pipeline_error(p));
    else if (capture_damaged(src))
        rc = VIGIL_EXIT_DAMAGED;
    if (capture_damaged(src) && capture_error(src)[0])
        cli_error("ingest: %s", capture_error(src));
    ingest_running = NULL;
    if (pcapstore_finish(o->ar.store, err, sizeof(err)) < 0) {
        cli_error("ingest: %s", err);
        rc = VIGIL_EXIT_ERROR;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ingest_summary(o, p, (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    pipeline_free(p);
    if (o->extract)
        extract_stop();
    int crc = cli_archive_close(&o->ar, "ingest");
    capture_close(src);
    return rc ? rc : crc;
}

int cmd_ingest(int argc, char **argv)
{
    struct ingest_opts o = {0};
    if (cli_wants_help(argc, argv)) {
        ingest_usage(stdout);
        return VIGIL_EXIT_OK;
    }
    int rc = ingest_parse(argc, argv, &o);
    if (rc == 0)
        rc = ingest_run(&o);
    else if (rc < 0)
        rc = VIGIL_EXIT_OK;
    free(o.bpf);
    free(o.inputs);
    return rc;
}
