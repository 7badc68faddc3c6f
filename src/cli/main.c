/*
 * main.c - the `vigil` program: git-style dispatch to subcommands.
 *
 * Each subcommand is one entry in the table below and one file
 * src/cli/cmd_<name>.c.  Exit codes are in cli.h and docs/exit-codes.md.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/version.h"
#include "pipeline/pipeline.h"

static const struct cli_command commands[] = {
    {"read", "print packets from captures or an interface (tcpdump-like)", cmd_read},
    {"analyze", "run the analysis pipeline over captures, write Zeek-style logs", cmd_analyze},
    {"stats", "capture summary, protocol hierarchy, top talkers, throughput", cmd_stats},
    {"sessions", "session records from captures or conn.logs, racluster-style", cmd_sessions},
    {"estimate", "storage needed to keep full content", cmd_estimate},
    {"pcap", "packets of a session, host or filter from the archive (index-driven)", cmd_pcap},
    {"capture", "capture an interface into the pcap archive (+ logs)", cmd_capture},
    {"ingest", "import captures into the pcap archive (+ logs)", cmd_ingest},
    {"rules", "check Suricata rules: what loads, what is rejected and why", cmd_rules},
    {"transcript", "one TCP/UDP conversation as text, Sguil-style (SRC:/DST:)", cmd_transcript},
    {"extract", "carve the files sessions carry into a directory, by SHA-256", cmd_extract},
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

void cli_error(const char *fmt, ...)
{
    va_list ap;
    fputs("vigil: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            return 0;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return 1;
    }
    return 0;
}

int cli_workers_arg(const char *cmd, const char *arg, int *n)
{
    char *end;
    errno = 0;
    long v = strtol(arg, &end, 10);
    if (errno || *end || v < 1 || v > PIPELINE_WORKERS_MAX) {
        cli_error("%s: --workers wants a number from 1 to %d, not '%s'", cmd,
                  PIPELINE_WORKERS_MAX, arg);
        return -1;
    }
    *n = (int)v;
    return 0;
}

char *cli_join_args(int argc, char **argv, int from)
{
    size_t len = 0;
    if (from >= argc)
        return NULL;
    for (int i = from; i < argc; i++)
        len += strlen(argv[i]) + 1;
    char *s = malloc(len + 1);
    if (!s)
        return NULL;
    size_t off = 0;
    for (int i = from; i < argc; i++) {
        size_t n = strlen(argv[i]);
        memcpy(s + off, argv[i], n);
        off += n;
        s[off++] = (i + 1 < argc) ? ' ' : '\0';
    }
    s[off] = '\0';
    return s;
}

static void usage(FILE *out)
{
    fprintf(out, "usage: vigil <command> [options]\n\n"
                 "Vigil %s - network security monitoring: capture, sessions, full content,\n"
                 "transactions, extracted files and alerts in one program.\n\ncommands:\n",
            VIGIL_VERSION);
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n'vigil <command> --help' tells more; docs/ has a page per command.\n"
                 "exit codes: 0 ok, 1 error, 2 usage, 3 damaged input (see docs/exit-codes.md)\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return VIGIL_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "-h") == 0 || strcmp(name, "--help") == 0 || strcmp(name, "help") == 0) {
        usage(stdout);
        return VIGIL_EXIT_OK;
    }
    if (strcmp(name, "--version") == 0 || strcmp(name, "version") == 0) {
        printf("vigil %s\n", VIGIL_VERSION);
        return VIGIL_EXIT_OK;
    }
    if (strcmp(name, "analyze") == 0 || strcmp(name, "capture") == 0 ||
        strcmp(name, "ingest") == 0 || strcmp(name, "extract") == 0)
        cli_malloc_hugepages(argv); /* the rules and tables: ~100 MB of small allocations;
                                       extract: the file buffers and contents */
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(name, commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    cli_error("'%s' is not a vigil command; 'vigil --help' lists them", name);
    return VIGIL_EXIT_USAGE;
}
