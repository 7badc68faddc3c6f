/*
 * cmd_transcript.c - `vigil transcript`: one conversation as text, Sguil's
 * transcript pivot (docs/transcript.md).
 *
 * Owns: the command line and where the output goes.  The session is
 * chosen by --uid (as `vigil analyze` writes it in conn.log; uids depend
 * on --sensor) or by a trailing BPF expression (the first TCP/UDP session
 * a packet of which matches, or the --index'th); --list prints the
 * sessions instead.  Packets come from -r captures, or with --data from
 * the full-content archive (src/store/pcapquery.h, by uid) through a
 * temporary pcap.  Collection and rendering are src/query/transcript*.c.
 *
 * Exit codes are cli.h's: 0 ok, 1 error (no such session too), 2 usage
 * (bad filter included), 3 some input damaged (the transcript still
 * printed).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "query/transcript.h"
#include "store/pcapquery.h"

struct tr_opts {
    const char **inputs;
    int ninputs;
    struct transcript_query q;
    struct transcript_render_opts ro;
    int raw;                    /* -1 none, else TRANSCRIPT_ORIG / _RESP */
    const char *wfile;
    const char *data;
    const char *color;
    int quiet;
    char *bpf;
    char tmp[64];               /* --data: the temporary pcap */
};

static void transcript_usage(FILE *out)
{
    fprintf(out,
            "usage: vigil transcript -r PCAP [-r PCAP ...] (--uid UID | [--index N] FILTER...)\n"
            "       vigil transcript --data DIR --uid UID\n"
            "       vigil transcript -r PCAP --list [FILTER...]\n\n"
            "One TCP or UDP conversation as text, as Sguil's transcript shows it: a header,\n"
            "then the bytes in order, each line labelled SRC: (originator) or DST: (responder).\n\n"
            "  -r, --read PCAP       file, directory, glob or - (stdin); repeatable\n"
            "  -u, --uid UID         the session's uid as conn.log has it\n"
            "  FILTER...             BPF expression: the first TCP/UDP session it matches\n"
            "  -n, --index N         with a filter: the Nth matching session (1-based)\n"
            "      --list            list the sessions (the filter's, or all) and exit\n"
            "      --sensor NAME     sensor name the uids were made with (default vigil)\n"
            "      --vlan-key        VLANs are part of the session key (as analyze --vlan-key)\n"
            "      --data DIR        read the session from the pcap archive under DIR (by uid)\n"
            "  -d, --decode          HTTP bodies de-chunked and decompressed\n"
            "  -x, --hex             hex + ASCII dump per chunk\n"
            "      --raw orig|resp   one direction's bytes exactly, unlabelled (as tcpflow)\n"
            "  -w, --write FILE      write to FILE instead of standard output\n"
            "      --color WHEN      never, always or auto (colour on a terminal; default)\n"
            "      --no-header       no header block\n"
            "  -q, --quiet           no progress line\n"
            "  -h, --help            this help\n\n"
            "Non-printable bytes show as \\xNN (CR LF as a line break); gaps as [N bytes missing].\n"
            "exit codes: 0 ok, 1 error or no such session, 2 usage, 3 damaged input\n");
}

static int tr_parse_num(const char *s, unsigned *v)
{
    char *end;
    errno = 0;
    long n = strtol(s, &end, 10);
    if (errno || *end || n < 1 || n > 1000000000L)
        return -1;
    *v = (unsigned)n;
    return 0;
}

static int tr_parse(int argc, char **argv, struct tr_opts *o)
{
    static const struct option longs[] = {
        {"read", required_argument, 0, 'r'},  {"uid", required_argument, 0, 'u'},
        {"index", required_argument, 0, 'n'}, {"list", no_argument, 0, 'L'},
        {"sensor", required_argument, 0, 'S'}, {"data", required_argument, 0, 'D'},
        {"decode", no_argument, 0, 'd'},      {"hex", no_argument, 0, 'x'},
        {"raw", required_argument, 0, 'R'},   {"write", required_argument, 0, 'w'},
        {"color", required_argument, 0, 'C'}, {"colour", required_argument, 0, 'C'},
        {"no-header", no_argument, 0, 'H'},   {"quiet", no_argument, 0, 'q'},
        {"vlan-key", no_argument, 0, 'V'},    {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    int c;
    o->inputs = calloc((size_t)argc + 1, sizeof(*o->inputs));
    if (!o->inputs)
        return VIGIL_EXIT_ERROR;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+r:u:n:dxw:qh", longs, NULL)) != -1) {
        switch (c) {
        case 'r': o->inputs[o->ninputs++] = optarg; break;
        case 'u': o->q.uid = optarg; break;
        case 'n':
            if (tr_parse_num(optarg, &o->q.index) < 0) {
                cli_error("transcript: --index wants a number from 1 up, not '%s'", optarg);
                return VIGIL_EXIT_USAGE;
            }
            break;
        case 'L': o->q.list_only = true; break;
        case 'S': o->q.sensor = optarg; break;
        case 'D': o->data = optarg; break;
        case 'd': o->ro.decode = true; break;
        case 'x': o->ro.mode = TRANSCRIPT_HEX; break;
        case 'R':
            if (strcmp(optarg, "orig") && strcmp(optarg, "resp")) {
                cli_error("transcript: --raw wants 'orig' or 'resp', not '%s'", optarg);
                return VIGIL_EXIT_USAGE;
            }
            o->raw = strcmp(optarg, "orig") == 0 ? TRANSCRIPT_ORIG : TRANSCRIPT_RESP;
            break;
        case 'w': o->wfile = optarg; break;
        case 'C':
            if (strcmp(optarg, "never") && strcmp(optarg, "always") && strcmp(optarg, "auto")) {
                cli_error("transcript: --color wants never, always or auto, not '%s'", optarg);
                return VIGIL_EXIT_USAGE;
            }
            o->color = optarg;
            break;
        case 'H': o->ro.header = false; break;
        case 'q': o->quiet = 1; break;
        case 'V': o->q.vlan_key = true; break;
        case 'h': transcript_usage(stdout); return -1;
        default:
            fprintf(stderr, "'vigil transcript --help' lists the options\n");
            return VIGIL_EXIT_USAGE;
        }
    }
    o->bpf = cli_join_args(argc, argv, optind);
    const char *why = NULL;
    if (o->ninputs == 0 && !o->data)
        why = "no capture given (-r PCAP, or --data DIR with --uid)";
    else if (o->ninputs && o->data)
        why = "-r and --data are two sources: give one";
    else if (o->data && !o->q.uid)
        why = "--data needs --uid: the archive is searched by session";
    else if (!o->q.uid && !o->bpf && !o->q.list_only)
        why = "no session chosen: give --uid UID or a filter (--list lists the sessions)";
    else if (o->q.uid && o->q.index)
        why = "--index picks among a filter's sessions; --uid already names one";
    if (why) {
        cli_error("transcript: %s", why);
        fprintf(stderr, "'vigil transcript --help' lists the options\n");
        return VIGIL_EXIT_USAGE;
    }
    o->q.bpf = o->bpf;
    return 0;
}

static void tr_warn(void *ctx, const char *msg)
{
    (void)ctx;
    cli_error("transcript: %s", msg);
}

/* --data: the session's packets from the archive into a temporary pcap. */
static int tr_from_archive(struct tr_opts *o)
{
    char err[512];
    const char *dir = getenv("TMPDIR");
    snprintf(o->tmp, sizeof(o->tmp), "%s/vigil-transcript-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(o->tmp);
    if (fd < 0) {
        cli_error("transcript: cannot create a temporary file %s: %s", o->tmp, strerror(errno));
        o->tmp[0] = 0;
        return VIGIL_EXIT_ERROR;
    }
    struct pcapquery pq = {
        .data_dir = o->data, .sensor = o->q.sensor, .kind = PCAPQUERY_UID, .uid = o->q.uid,
        .start_ns = INT64_MIN, .end_ns = INT64_MAX, .progress = !o->quiet, .warn = tr_warn,
    };
    struct pcapquery_stats st;
    int rc = pcapquery_run(&pq, fd, &st, err, sizeof(err));
    close(fd);
    if (rc < 0) {
        cli_error("transcript: %s", err);
        return VIGIL_EXIT_ERROR;
    }
    if (st.packets_out == 0) {
        cli_error("transcript: the archive under %s has no packets of session %s", o->data,
                  o->q.uid);
        return VIGIL_EXIT_ERROR;
    }
    o->inputs[o->ninputs++] = o->tmp;
    return VIGIL_EXIT_OK;
}

static void tr_list(FILE *out, const struct transcript *t)
{
    for (size_t i = 0; i < t->n_cand; i++) {
        const struct transcript_session *s = &t->cand[i];
        char a[64], b[64];
        transcript_addr_text(&s->orig_h, a, sizeof(a));
        transcript_addr_text(&s->resp_h, b, sizeof(b));
        fprintf(out, "%zu\t%s\t%s\t%s\t%u\t%s\t%u\n", i + 1, s->uid,
                s->proto == 6 ? "tcp" : "udp", a, s->orig_p, b, s->resp_p);
    }
}

static bool tr_color(const struct tr_opts *o, FILE *out)
{
    if (o->color && strcmp(o->color, "auto") != 0)
        return strcmp(o->color, "always") == 0;
    const char *term = getenv("TERM");
    return isatty(fileno(out)) && !getenv("NO_COLOR") && !(term && strcmp(term, "dumb") == 0);
}

/* Print what was collected.  Exit code. */
static int tr_output(struct tr_opts *o, struct transcript *t, FILE *out)
{
    int w;
    uint64_t unfilled = 0;
    if (o->q.list_only) {
        tr_list(out, t);
        w = fflush(out);
    } else if (o->raw >= 0) {
        w = transcript_write_raw(out, t, o->raw, &unfilled);
    } else {
        o->ro.color = tr_color(o, out);
        w = transcript_render(out, t, &o->ro);
    }
    if (w != 0) {
        cli_error("transcript: cannot write to %s: %s", o->wfile ? o->wfile : "standard output",
                  strerror(errno));
        return VIGIL_EXIT_ERROR;
    }
    if (unfilled)
        cli_error("transcript: %llu missing bytes in gaps over %u bytes were left out, "
                  "not written as NUL bytes", (unsigned long long)unfilled,
                  TRANSCRIPT_GAP_FILL_MAX);
    if (!o->q.list_only && !o->q.uid && !o->q.index && t->n_cand > 1)
        cli_error("transcript: the filter matches %zu other session%s too; pick one with "
                  "--uid UID or --index N (--list lists them)",
                  t->n_cand - 1, t->n_cand == 2 ? "" : "s");
    return VIGIL_EXIT_OK;
}

static int tr_run(struct tr_opts *o)
{
    char err[1024];
    struct transcript t;
    int rc = o->data ? tr_from_archive(o) : VIGIL_EXIT_OK;
    if (rc != VIGIL_EXIT_OK)
        return rc;
    o->q.paths = o->inputs;
    o->q.npaths = o->ninputs;
    o->q.progress = !o->quiet;
    int cr = transcript_collect(&o->q, &t, err, sizeof(err));
    if (cr == TRANSCRIPT_NOT_FOUND && o->data) {
        /* the archive's uid came from another sensor name: its packets are the session */
        const char *uid = o->q.uid;
        o->q.uid = NULL;
        o->q.list_only = false;
        cr = transcript_collect(&o->q, &t, err, sizeof(err));
        if (cr >= 0)
            snprintf(t.uid, sizeof(t.uid), "%s", uid);
        o->q.uid = uid;
    }
    if (cr < 0) {
        cli_error("transcript: %s", err);
        return cr == TRANSCRIPT_BAD_FILTER ? VIGIL_EXIT_USAGE : VIGIL_EXIT_ERROR;
    }
    FILE *out = stdout;
    if (o->wfile && strcmp(o->wfile, "-") != 0 && !(out = fopen(o->wfile, "wb"))) {
        cli_error("transcript: cannot open %s for writing: %s", o->wfile, strerror(errno));
        transcript_free(&t);
        return VIGIL_EXIT_ERROR;
    }
    rc = tr_output(o, &t, out);
    if (out != stdout && fclose(out) != 0 && rc == VIGIL_EXIT_OK) {
        cli_error("transcript: cannot write to %s: %s", o->wfile, strerror(errno));
        rc = VIGIL_EXIT_ERROR;
    }
    transcript_free(&t);
    if (rc == VIGIL_EXIT_OK && cr == TRANSCRIPT_DAMAGED) {
        cli_error("transcript: %s", err);
        rc = VIGIL_EXIT_DAMAGED;
    }
    return rc;
}

int cmd_transcript(int argc, char **argv)
{
    struct tr_opts o;
    memset(&o, 0, sizeof(o));
    o.raw = -1;
    o.ro.header = true;
    int rc = tr_parse(argc, argv, &o);
    if (rc == 0)
        rc = tr_run(&o);
    else if (rc < 0)
        rc = VIGIL_EXIT_OK;
    if (o.tmp[0])
        unlink(o.tmp);
    free(o.bpf);
    free(o.inputs);
    return rc;
}
