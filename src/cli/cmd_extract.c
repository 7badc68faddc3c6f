/*
 * cmd_extract.c - `vigil extract -r PCAPS -o DIR [--json] [BPF]`: NetworkMiner's
 * job from the command line (docs/extract.md).
 *
 * Runs the analysis pipeline with file extraction on (src/extract): every
 * file carried by HTTP (bodies, multipart parts), SMTP (MIME parts) and FTP
 * data channels is stored once under DIR by its SHA-256, DIR/index.tsv
 * lists every file seen (one line per file, duplicates included), and the
 * terminal gets a summary table (or one JSON object per file with --json).
 * Owns the command line and the table only.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <jansson.h>

#include "cli/cli.h"
#include "extract/extract.h"
#include "pipeline/pipeline.h"

static struct pipeline *extract_running;

static void extract_on_signal(int sig)
{
    (void)sig;
    if (extract_running)
        pipeline_stop(extract_running);
}

static void extract_usage(FILE *out)
{
    fprintf(out,
            "usage: vigil extract -r PCAP [-r PCAP ...] -o DIR [--json] [--max-size BYTES]\n"
            "                     [--certs] [--yara DIR] [--workers N] [-q] [BPF expression]\n\n"
            "Carve every file the captures carry (HTTP bodies and multipart uploads, SMTP\n"
            "attachments, FTP transfers) into DIR, each stored once by its SHA-256, with\n"
            "DIR/index.tsv naming them; print one line per file.\n\n"
            "  -r, --read PCAP       file, directory, glob or - (stdin); repeatable\n"
            "  -o, --output DIR      where the files go (created if missing)\n"
            "  -j, --json            one JSON object per file instead of the table\n"
            "      --max-size BYTES  bytes stored per file (default 100 MiB)\n"
            "      --certs           TLS certificates too\n"
            "      --yara DIR        YARA rules (*.yar, *.yara in DIR, or one file): every file\n"
            "                        is scanned, the rules it matches shown in the table and\n"
            "                        the JSON (a bad rule: exit 2 with FILE:LINE)\n"
            "      --workers N       analysis threads (default 1; docs/pipeline.md): the same\n"
            "                        files, lines in another order\n"
            "  -q, --quiet           no progress line\n"
            "  BPF                   libpcap filter, as tcpdump takes it\n\n"
            "exit codes: 0 ok, 1 error, 2 usage, 3 damaged input\n");
}

struct extract_cli {
    const char **inputs;
    int ninputs;
    const char *dir;
    int json, quiet, certs;
    const char *yara;
    uint64_t matches;
    uint64_t max_size;
    char *bpf;
    FILE *index;
    uint64_t n;
    int workers;
};

static void extract_addr(const struct raddr *a, char *out, size_t outlen)
{
    if (!inet_ntop(a->family == 6 ? AF_INET6 : AF_INET, a->a, out, (socklen_t)outlen))
        snprintf(out, outlen, "?");
}

static const char *extract_or(const char *s, const char *dflt)
{
    return s && *s ? s : dflt;
}

static void extract_print_json(const struct extract_info *i, const char *src, const char *dst)
{
    json_t *o = json_object();
    json_object_set_new(o, "ts", json_real((double)i->ts / 1e9));
    json_object_set_new(o, "fuid", json_string(i->fuid));
    json_object_set_new(o, "uid", json_string(i->uid));
    json_object_set_new(o, "source", json_string(i->source));
    json_object_set_new(o, "src", json_string(src));
    json_object_set_new(o, "dst", json_string(dst));
    json_object_set_new(o, "size", json_integer((json_int_t)i->seen_bytes));
    json_object_set_new(o, "missing_bytes", json_integer((json_int_t)i->missing_bytes));
    if (i->filename)
        json_object_set_new(o, "filename", json_string(i->filename));
    if (i->mime_type)
        json_object_set_new(o, "mime_type", json_string(i->mime_type));
    if (i->md5) {
        json_object_set_new(o, "md5", json_string(i->md5));
        json_object_set_new(o, "sha1", json_string(i->sha1));
        json_object_set_new(o, "sha256", json_string(i->sha256));
    }
    if (i->stored)
        json_object_set_new(o, "stored", json_string(i->stored));
    if (i->yara) {
        json_t *m = json_array();
        char buf[1024];
        snprintf(buf, sizeof(buf), "%s", i->yara);
        for (char *p = buf, *e; p; p = e ? e + 1 : NULL) {
            e = strchr(p, ',');
            if (e)
                *e = 0;
            json_array_append_new(m, json_string(p));
        }
        json_object_set_new(o, "yara", m);
    }
    char *s = json_dumps(o, JSON_COMPACT);
    if (s)
        printf("%s\n", s);
    free(s);
    json_decref(o);
}

/* One file: a line of the index and of the terminal. */
static void extract_on_file(void *arg, const struct extract_info *i)
{
    struct extract_cli *o = arg;
    char oh[64], rh[64], src[80], dst[80];
    extract_addr(&i->orig_h, oh, sizeof(oh));
    extract_addr(&i->resp_h, rh, sizeof(rh));
    /* src -> dst in the direction the file travelled */
    snprintf(src, sizeof(src), "%s:%u", i->is_orig ? oh : rh, i->is_orig ? i->orig_p : i->resp_p);
    snprintf(dst, sizeof(dst), "%s:%u", i->is_orig ? rh : oh, i->is_orig ? i->resp_p : i->orig_p);
    const char *stored = i->stored ? strrchr(i->stored, '/') : NULL;
    stored = stored ? stored + 1 : "-";
    o->n++;
    o->matches += i->yara != NULL;
    if (o->index)
        fprintf(o->index, "%s\t%" PRIu64 "\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", stored,
                i->seen_bytes, extract_or(i->mime_type, "-"), extract_or(i->filename, "-"),
                i->fuid, i->uid, i->source, src, dst, extract_or(i->sha256, "-"));
    if (o->json) {
        extract_print_json(i, src, dst);
        return;
    }
    char sha[17];
    snprintf(sha, sizeof(sha), "%.16s", extract_or(i->sha256, "-"));
    printf("%-28.28s %10" PRIu64 " %-26.26s %-16s %-8s %-18s %s -> %s%s%s\n",
           extract_or(i->filename, "-"), i->seen_bytes, extract_or(i->mime_type, "-"), sha,
           i->source, i->uid, src, dst, i->yara ? "  YARA: " : "", i->yara ? i->yara : "");
}

static int extract_parse(int argc, char **argv, struct extract_cli *o)
{
    static const struct option longs[] = {
        {"read", required_argument, 0, 'r'}, {"output", required_argument, 0, 'o'},
        {"json", no_argument, 0, 'j'},       {"max-size", required_argument, 0, 'M'},
        {"certs", no_argument, 0, 'C'},      {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},       {"yara", required_argument, 0, 'Y'},
        {"workers", required_argument, 0, 'W'}, {0, 0, 0, 0}};
    int c;
    o->inputs = calloc((size_t)argc + 1, sizeof(*o->inputs));
    if (!o->inputs)
        return VIGIL_EXIT_ERROR;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+r:o:jqh", longs, NULL)) != -1) {
        switch (c) {
        case 'r': o->inputs[o->ninputs++] = optarg; break;
        case 'o': o->dir = optarg; break;
        case 'j': o->json = 1; break;
        case 'q': o->quiet = 1; break;
        case 'C': o->certs = 1; break;
        case 'Y': o->yara = optarg; break;
        case 'W':
            if (cli_workers_arg("extract", optarg, &o->workers) < 0)
                return VIGIL_EXIT_USAGE;
            break;
        case 'M': {
            char *end;
            errno = 0;
            unsigned long long v = strtoull(optarg, &end, 0);
            if (errno || *end || v == 0 || optarg[0] == '-') {
                cli_error("extract: --max-size wants a byte count, not '%s'", optarg);
                return VIGIL_EXIT_USAGE;
            }
            o->max_size = v;
            break;
        }
        case 'h': extract_usage(stdout); return -1;
        default:
            fprintf(stderr, "'vigil extract --help' lists the options\n");
            return VIGIL_EXIT_USAGE;
        }
    }
    if (o->ninputs == 0 || !o->dir) {
        cli_error("extract: %s", o->ninputs == 0 ? "no capture given (-r PCAP)"
                                                : "no output directory given (-o DIR)");
        return VIGIL_EXIT_USAGE;
    }
    char err[1024];
    if (o->yara && extract_yara_load(o->yara, err, sizeof(err)) < 0) {
        cli_error("extract: %s", err);
        return VIGIL_EXIT_USAGE;
    }
    o->bpf = cli_join_args(argc, argv, optind);
    return 0;
}

static int extract_run(struct extract_cli *o)
{
    char err[512], path[4200];
    struct pipeline_config cfg;
    struct extract_config xc;
    pipeline_config_default(&cfg);
    cfg.progress = !o->quiet && !o->json;
    cfg.no_records = 1;              /* no log is written: only the files */
    cfg.parsers = extract_parsers;   /* no dns, dhcp, ssh parsing */
    cfg.workers = o->workers; /* the file listener runs under extraction's lock */
    extract_config_default(&xc);
    xc.dir = o->dir;
    xc.files_log = false;
    xc.certs = o->certs;
    if (o->max_size)
        xc.max_size = o->max_size;
    if (extract_start(&xc, err, sizeof(err)) < 0) {
        cli_error("extract: %s", err);
        return VIGIL_EXIT_ERROR;
    }
    snprintf(path, sizeof(path), "%s/index.tsv", o->dir);
    o->index = fopen(path, "w");
    if (!o->index) {
        cli_error("extract: cannot write %s: %s", path, strerror(errno));
        extract_stop();
        return VIGIL_EXIT_ERROR;
    }
    fprintf(o->index, "#stored\tsize\tmime_type\tfilename\tfuid\tuid\tsource\tsrc\tdst\tsha256\n");
    extract_listener_set(extract_on_file, o);
    struct capture_file_opts fo = {.bpf = o->bpf};
    struct capture_source *src = capture_open_files(o->inputs, o->ninputs, &fo, err, sizeof(err));
    struct pipeline *p = src ? pipeline_new(&cfg, NULL, 0, err, sizeof(err)) : NULL;
    int rc = VIGIL_EXIT_ERROR;
    if (!o->json)
        printf("%-28s %10s %-26s %-16s %-8s %-18s %s\n", "FILENAME", "SIZE", "MIME TYPE",
               "SHA256", "SOURCE", "SESSION", "SRC -> DST");
    if (p) {
        extract_running = p;
        signal(SIGINT, extract_on_signal);
        signal(SIGTERM, extract_on_signal);
        rc = pipeline_run(p, src) < 0 ? VIGIL_EXIT_ERROR : VIGIL_EXIT_OK;
        if (rc != VIGIL_EXIT_OK)
            cli_error("extract: %s", pipeline_error(p));
        else if (capture_damaged(src))
            rc = VIGIL_EXIT_DAMAGED;
        extract_running = NULL;
        pipeline_free(p);
    } else {
        cli_error("extract: %s", err);
    }
    struct extract_counters ec;
    extract_stop(); /* range files still open end here: count them too */
    extract_counters_get(&ec);
    if (src)
        capture_close(src);
    fclose(o->index);
    if (!o->json && rc != VIGIL_EXIT_ERROR)
        fprintf(stderr, "%" PRIu64 " files, %" PRIu64 " stored, %" PRIu64 " duplicates, %" PRIu64
                        " partial, %" PRIu64 " cut at the size limit%s -> %s\n",
                ec.files, ec.stored, ec.dedup, ec.partial, ec.truncated,
                o->yara ? (o->matches ? ", YARA matches (see YARA:)" : ", no YARA match") : "",
                o->dir);
    return rc;
}

int cmd_extract(int argc, char **argv)
{
    struct extract_cli o = {0};
    if (cli_wants_help(argc, argv)) {
        extract_usage(stdout);
        return VIGIL_EXIT_OK;
    }
    int rc = extract_parse(argc, argv, &o);
    if (rc == 0)
        rc = extract_run(&o);
    else if (rc < 0)
        rc = VIGIL_EXIT_OK;
    free(o.bpf);
    free(o.inputs);
    return rc;
}
