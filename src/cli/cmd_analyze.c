/*
 * cmd_analyze.c - `vigil analyze`: run the analysis pipeline over captures
 * and write Zeek-style logs (conn.log now; later issues add their logs)
 * into a directory (docs/analyze.md).
 *
 * Owns: the command line only.  The chain itself is src/pipeline; logs go
 * through output_zeek_open() (src/store).
 */
#include <errno.h>
#include <getopt.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli/cli.h"
#include "core/privdrop.h"
#include "cli/cli_intel.h"
#include "cli/cli_rules.h"
#include "detect/behave.h"
#include "detect/detect_http.h"
#include "detect/engine.h"
#include "extract/extract.h"
#include "pipeline/pipeline.h"
#include "store/eve.h"

static struct pipeline *analyze_running;
static struct capture_source *analyze_src;

static void analyze_on_signal(int sig)
{
    (void)sig;
    if (analyze_running)
        pipeline_stop(analyze_running);
    void *h = analyze_src ? capture_live_handle(analyze_src) : NULL;
    if (h)
        pcap_breakloop(h);
}

static void analyze_usage(FILE *out)
{
    fprintf(out,
            "usage: vigil analyze -r PCAP [-r PCAP ...] | -i IFACE  -l DIR [--json] [--sensor NAME]\n"
            "                     [--local-nets CIDR,... | --no-local-nets] [--vlan-key]\n"
            "                     [--seed N] [--extract] [--extract-max-size BYTES]\n"
            "                     [--yara DIR] [--intel FILE|DIR] [--midstream-reverse]\n"
            "                     [--inspect-encrypted]\n"
            "                     [behaviour options] [--workers N] [-q]\n"
            "                     [BPF expression]\n\n"
            "Run the analysis pipeline over captures (files, directories or globs, merged in\n"
            "time order) and write Zeek-compatible logs into DIR: conn.log, one session per\n"
            "connection, with Community ID.\n\n"
            "  -r, --read PCAP         file, directory, glob or - (stdin); repeatable\n"
            "  -i, --interface IFACE   analyze live traffic from IFACE until Ctrl-C/SIGTERM\n"
            "                          (no packets are stored; `vigil capture` archives)\n"
            "  -u, --user USER         with -i: run as USER once the interface is open (needs\n"
            "                          root; DIR is given to USER); --group GROUP sets its group\n"
            "  -l, --log-dir DIR       where the logs go (created if missing)\n"
            "  -j, --json              Zeek's JSON lines instead of TSV\n"
            "      --sensor NAME       sensor name, part of every uid (default vigil)\n"
            "      --local-nets LIST   local networks for local_orig/local_resp\n"
            "                          (default: private address space, as Zeek 8)\n"
            "      --no-local-nets     nothing is local: local_orig/local_resp are left\n"
            "                          unset (Zeek with an empty Site::local_nets and\n"
            "                          private_address_space_is_local=F)\n"
            "      --vlan-key          VLAN ids are part of the session key: the same\n"
            "                          5-tuple on two VLANs is two sessions, and conn.log\n"
            "                          gets vlan/inner_vlan (Zeek's vlan_fivetuple conn\n"
            "                          key; default off, as Zeek 8)\n"
            "      --seed N            Community ID seed (default 0)\n"
            "      --extract           file extraction: files.log, and every file stored once\n"
            "                          by SHA-256 under DIR/extract_files/ (docs/extract.md)\n"
            "      --extract-max-size BYTES  bytes stored per file (default 100 MiB; the rest\n"
            "                          is hashed, extracted_cutoff=T)\n"
            "      --yara DIR          YARA rules (*.yar, *.yara in DIR, or one file): every\n"
            "                          extracted file is scanned, a match is a notice.log row\n"
            "                          (implies --extract; a bad rule: exit 2 with FILE:LINE)\n"
            "%s"
            "      --intel FILE|DIR    Zeek intel file (or every *.intel, *.csv in DIR;\n"
            "                          repeatable; JA3 CSV lists too): hits to intel.log, an\n"
            "                          alert each in eve.json (docs/intel.md)\n"
            "      --workers N         analysis threads (default 1): a reader thread spreads\n"
            "                          packets over N workers by their outer IP address\n"
            "                          pair; the same records, in another row order\n"
            "                          (docs/pipeline.md)\n"
            "  -q, --quiet             no progress line\n"
            "  BPF                     libpcap filter, as tcpdump takes it\n\n"
            "Behaviour (scan, SSH guessing and beacon notices in notice.log, alerts gid 9000):\n"
            "%s\n"
            "exit codes: 0 ok, 1 error, 2 usage, 3 damaged input (processed up to the damage)\n"
            "docs/analyze.md and docs/conn-log.md tell more.\n",
            cli_rules_usage_analyze, behave_usage);
}

struct analyze_opts {
    const char **inputs;
    int ninputs;
    const char *iface; /* -i: live capture instead of files */
    const char *dir;
    int json;
    int quiet;
    char *bpf;
    int extract;
    uint64_t extract_max;
    const char *yara; /* --yara: rules directory */
    struct cli_rules rules; /* -S/--rules, --vars, --http-body-limit, --eve-alert */
    struct cli_intel intel; /* --intel */
    struct behave_config behave;
    struct privdrop drop; /* --user/--group with -i */
};

static int analyze_parse(int argc, char **argv, struct analyze_opts *o, struct pipeline_config *cfg)
{
    static const struct option longs[] = {
        {"read", required_argument, 0, 'r'},   {"log-dir", required_argument, 0, 'l'},
        {"interface", required_argument, 0, 'i'},
        {"json", no_argument, 0, 'j'},         {"sensor", required_argument, 0, 's'},
        {"local-nets", required_argument, 0, 'L'}, {"seed", required_argument, 0, 'E'},
        {"quiet", no_argument, 0, 'q'},        {"help", no_argument, 0, 'h'},
        {"vlan-key", no_argument, 0, 'V'},     {"no-local-nets", no_argument, 0, 'N'},
        {"extract", no_argument, 0, 'X'},      {"extract-max-size", required_argument, 0, 'M'},
        {"yara", required_argument, 0, 'Y'},   BEHAVE_LONGOPTS, CLI_RULES_LONGOPTS,
        {"intel", required_argument, 0, 'I'},  {"workers", required_argument, 0, 'W'},
        {"user", required_argument, 0, 'u'},   {"group", required_argument, 0, 'G'},
        {0, 0, 0, 0}};
    char err[256];
    int c;
    o->inputs = calloc((size_t)argc + 1, sizeof(*o->inputs));
    if (!o->inputs)
        return VIGIL_EXIT_ERROR;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+r:i:l:u:jqhS:", longs, NULL)) != -1) {
        switch (c) {
        case 'r': o->inputs[o->ninputs++] = optarg; break;
        case 'i': o->iface = optarg; break;
        case 'l': o->dir = optarg; break;
        case 'j': o->json = 1; break;
        case 'q': o->quiet = 1; break;
        case 's': cfg->sensor = optarg; break;
        case 'S':
            if (cli_rules_opt(&o->rules, "analyze", CLI_RULES_OPT_RULES, optarg) < 0)
                return VIGIL_EXIT_USAGE;
            break;
        case 'I':
            if (cli_intel_add(&o->intel, "analyze", optarg))
                return VIGIL_EXIT_USAGE;
            break;
        case 'V': cfg->flow.vlan_in_key = true; break;
        case 'N':
            cfg->flow.n_local_nets = 0;
            cfg->flow.private_is_local = false;
            break;
        case 'L':
            if (flow_config_parse_local_nets(&cfg->flow, optarg, err, sizeof(err)) < 0) {
                cli_error("analyze: --local-nets: %s", err);
                return VIGIL_EXIT_USAGE;
            }
            break;
        case 'E': {
            char *end;
            errno = 0;
            long v = strtol(optarg, &end, 0);
            if (errno || *end || v < 0 || v > 65535) {
                cli_error("analyze: --seed wants a number from 0 to 65535, not '%s'", optarg);
                return VIGIL_EXIT_USAGE;
            }
            cfg->flow.community_id_seed = (uint16_t)v;
            break;
        }
        case 'X': o->extract = 1; break;
        case 'u': o->drop.user = optarg; break;
        case 'G': o->drop.group = optarg; break;
        case 'W':
            if (cli_workers_arg("analyze", optarg, &cfg->workers) < 0)
                return VIGIL_EXIT_USAGE;
            break;
        case 'Y': o->yara = optarg; o->extract = 1; break;
        case 'M': {
            char *end;
            errno = 0;
            unsigned long long v = strtoull(optarg, &end, 0);
            if (errno || *end || v == 0 || optarg[0] == '-') {
                cli_error("analyze: --extract-max-size wants a byte count, not '%s'", optarg);
                return VIGIL_EXIT_USAGE;
            }
            o->extract_max = v;
            break;
        }
        case 'h': analyze_usage(stdout); return -1;
        default: {
            int r = cli_rules_opt(&o->rules, "analyze", c, optarg);
            if (r > 0)
                break;
            if (r < 0)
                return VIGIL_EXIT_USAGE;
            int b = behave_getopt(&o->behave, c, optarg, err, sizeof(err));
            if (b > 0)
                break;
            if (b < 0)
                cli_error("analyze: %s", err);
            fprintf(stderr, "'vigil analyze --help' lists the options\n");
            return VIGIL_EXIT_USAGE;
        }
        }
    }
    if ((o->ninputs == 0) == !o->iface || !o->dir) {
        cli_error("analyze: %s", o->ninputs && o->iface ? "-r and -i cannot be mixed"
                                 : !o->dir               ? "no log directory given (-l DIR)"
                                                         : "no capture given (-r PCAP or -i IFACE)");
        fprintf(stderr, "'vigil analyze --help' lists the options\n");
        return VIGIL_EXIT_USAGE;
    }
    if ((o->drop.user || o->drop.group) && (!o->iface || !o->drop.user)) {
        cli_error("analyze: %s", !o->drop.user ? "--group needs --user"
                                               : "--user is for a live interface (-i)");
        return VIGIL_EXIT_USAGE;
    }
    if (o->drop.user && privdrop_resolve(&o->drop, err, sizeof(err)) < 0) {
        cli_error("analyze: %s", err);
        return VIGIL_EXIT_USAGE;
    }
    if (o->yara && extract_yara_load(o->yara, err, sizeof(err)) < 0) {
        cli_error("analyze: %s", err);
        return VIGIL_EXIT_USAGE;
    }
    cfg->midstream_reverse = o->rules.midstream_reverse;
    o->bpf = cli_join_args(argc, argv, optind);
    return 0;
}

static int analyze_run(struct analyze_opts *o, struct pipeline_config *cfg)
{
    char err[512];
    if (mkdir(o->dir, 0755) < 0 && errno != EEXIST) {
        cli_error("analyze: cannot create the log directory %s: %s", o->dir, strerror(errno));
        return VIGIL_EXIT_ERROR;
    }
    struct capture_file_opts fo = {.bpf = o->bpf};
    struct capture_live_opts lo = {.bpf = o->bpf, .promisc = 1};
    struct capture_source *src =
        o->iface ? capture_open_live(o->iface, &lo, err, sizeof(err))
                 : capture_open_files(o->inputs, o->ninputs, &fo, err, sizeof(err));
    if (!src) {
        cli_error("analyze: %s", err);
        return VIGIL_EXIT_ERROR;
    }
    const char *dirs[2] = {o->dir, NULL};
    if (o->drop.user && privdrop_become(&o->drop, dirs, err, sizeof(err)) < 0) {
        cli_error("analyze: %s", err);
        capture_close(src);
        return VIGIL_EXIT_ERROR;
    }
    struct output *out = output_zeek_open(o->dir, o->json ? ZEEK_LOG_JSON : ZEEK_LOG_TSV, err,
                                          sizeof(err));
    if (!out) {
        cli_error("analyze: %s", err);
        capture_close(src);
        return VIGIL_EXIT_ERROR;
    }
    cfg->progress = !o->quiet;
    struct output *xouts[2] = {out, NULL}; /* extract's own rows: the logs and --intel */
    if (o->extract) {
        struct extract_config xc;
        char xdir[4096];
        extract_config_default(&xc);
        snprintf(xdir, sizeof(xdir), "%s/extract_files", o->dir);
        xc.dir = xdir;
        if (o->extract_max)
            xc.max_size = o->extract_max;
        xc.outs = xouts; /* rows of range files still open at the end */
        xc.n_outs = 2;
        if (extract_start(&xc, err, sizeof(err)) < 0) {
            cli_error("analyze: %s", err);
            output_close(out);
            capture_close(src);
            return VIGIL_EXIT_ERROR;
        }
    }
    struct output *outs[2] = {out, NULL};
    if (cli_rules_start(&o->rules, "analyze", o->dir, out)) {
        if (o->extract)
            extract_stop();
        output_close(out);
        capture_close(src);
        return VIGIL_EXIT_ERROR;
    }
    outs[1] = o->rules.eve;
    int irc = cli_intel_start(&o->intel, "analyze", o->dir, out, outs[1], cfg->sensor, o->quiet);
    /* behaviour detectors in front of the logs and eve.json (docs/behaviour.md) */
    struct output *bdown[2] = {out, outs[1] ? outs[1] : o->intel.eve};
    struct output *bo = irc ? NULL : behave_open(&o->behave, bdown, 2, err, sizeof(err));
    if (!irc && !bo && o->behave.enabled) {
        cli_error("analyze: %s", err);
        irc = VIGIL_EXIT_ERROR;
    }
    struct output *pouts[3];
    int np = 0;
    pouts[np++] = bo ? bo : out;
    if (!bo && outs[1])
        pouts[np++] = outs[1];
    if (o->intel.matcher)
        pouts[np++] = o->intel.matcher;
    xouts[1] = o->intel.matcher;
    struct pipeline *p = irc ? NULL : pipeline_new(cfg, pouts, np, err, sizeof(err));
    if (!p) {
        if (!irc)
            cli_error("analyze: %s", err);
        output_close(bo);
        if (o->extract)
            extract_stop();
        cli_intel_stop(&o->intel, "analyze", 1);
        cli_rules_stop(&o->rules);
        output_close(out);
        capture_close(src);
        return irc ? irc : VIGIL_EXIT_ERROR;
    }
    analyze_running = p;
    analyze_src = src;
    signal(SIGINT, analyze_on_signal);
    signal(SIGTERM, analyze_on_signal);
    int rc = pipeline_run(p, src) < 0 ? VIGIL_EXIT_ERROR : VIGIL_EXIT_OK;
    if (rc != VIGIL_EXIT_OK)
        cli_error("analyze: %s", pipeline_error(p));
    else if (capture_damaged(src))
        rc = VIGIL_EXIT_DAMAGED;
    if (capture_damaged(src) && capture_error(src)[0])
        cli_error("analyze: %s", capture_error(src));
    analyze_running = NULL;
    analyze_src = NULL;
    pipeline_free(p);
    output_close(bo);
    if (o->extract)
        extract_stop();
    cli_intel_stop(&o->intel, "analyze", o->quiet);
    cli_rules_stop(&o->rules);
    output_close(out);
    capture_close(src);
    return rc;
}

int cmd_analyze(int argc, char **argv)
{
    struct analyze_opts o = {0};
    struct pipeline_config cfg;
    pipeline_config_default(&cfg);
    behave_config_default(&o.behave);
    if (cli_wants_help(argc, argv)) {
        analyze_usage(stdout);
        return VIGIL_EXIT_OK;
    }
    int rc = analyze_parse(argc, argv, &o, &cfg);
    if (rc == 0)
        rc = analyze_run(&o, &cfg);
    else if (rc < 0)
        rc = VIGIL_EXIT_OK;
    free(o.bpf);
    free(o.inputs);
    return rc;
}
