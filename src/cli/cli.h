/*
 * cli.h - what the subcommands of `vigil` share: exit codes, the command
 * table and small helpers.  Each subcommand lives in src/cli/cmd_<name>.c
 * and is a thin shell over the modules: it parses flags, opens sources and
 * outputs, and reports errors as sentences.
 */
#ifndef VIGIL_CLI_H
#define VIGIL_CLI_H

#include <stdio.h>

#include "cli/cli_intel.h"
#include "cli/cli_rules.h"
#include "detect/behave.h"

/* Exit codes, the same for every subcommand (docs/exit-codes.md). */
enum {
    VIGIL_EXIT_OK = 0,      /* done, all input read */
    VIGIL_EXIT_ERROR = 1,   /* could not run: input missing/unreadable, output not writable, ... */
    VIGIL_EXIT_USAGE = 2,   /* bad command line: unknown flag, bad value, bad filter */
    VIGIL_EXIT_DAMAGED = 3, /* ran to the end, but some input was damaged (truncated, corrupt);
                               everything before the damage was processed */
};

struct cli_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv); /* argv[0] is the subcommand name */
};

int cmd_read(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_estimate(int argc, char **argv);
int cmd_analyze(int argc, char **argv);
int cmd_sessions(int argc, char **argv);
int cmd_pcap(int argc, char **argv);
int cmd_capture(int argc, char **argv);
int cmd_ingest(int argc, char **argv);
int cmd_rules(int argc, char **argv);
int cmd_transcript(int argc, char **argv);
int cmd_extract(int argc, char **argv);

/* "vigil: " + message to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Did the user ask for help (-h/--help) anywhere before "--"? */
int cli_wants_help(int argc, char **argv);

/* Join argv[from..argc) with spaces into a newly allocated string (a BPF
 * expression given as trailing words, as tcpdump takes it).  NULL when
 * there are no words.  Caller frees. */
char *cli_join_args(int argc, char **argv, int from);

/* --workers N: 0 with *n set, or -1 with the error printed (1 to
 * PIPELINE_WORKERS_MAX). */
int cli_workers_arg(const char *cmd, const char *arg, int *n);

/* analyze, capture, ingest: re-execute once with glibc's malloc on
 * transparent huge pages (hugepages.c); returns when not done. */
void cli_malloc_hugepages(char **argv);

struct pcapstore;
struct output;

/* What `vigil capture` and `vigil ingest` share (cmd_capture.c): the
 * archive options, and opening the archive and the logs for a run. */
struct cli_archive {
    const char *data;        /* --data, else VIGIL_DATA, else /nsm */
    const char *sensor;      /* --sensor (default: the host name for capture, "vigil" for ingest) */
    const char *log_dir;     /* -l: default DATA/sensor_data/<sensor>/logs/<YYYY-MM-DD> */
    int json, quiet;
    unsigned long long rotate_size;
    double max_disk_pct;
    int max_age_days;
    struct pcapstore *store;
    struct output *out;      /* where records go: the behaviour wrapper, or logs */
    struct output *logs;     /* the Zeek log output */
    struct cli_intel intel;  /* --intel: its matcher goes to the pipeline with out */
    struct cli_rules rules;  /* --rules, --vars, --http-body-limit, --eve-alert */
    struct behave_config behave; /* behaviour options (docs/behaviour.md) */
    int behave_init;
};

/* Handle one archive option (getopt's c and optarg): 1 taken, 0 not an
 * archive option, <0 bad value (message printed). */
int cli_archive_opt(struct cli_archive *a, const char *cmd, int c, const char *arg);
/* --help lines of the extraction and intel options cli_archive_opt takes. */
extern const char cli_archive_content_usage[];
/* Open the archive (recovery, retention), the log output and the --intel
 * matcher.  0 or exit code. */
int cli_archive_open(struct cli_archive *a, const char *cmd);
/* The outputs the pipeline writes records to (out, the intel matcher, and
 * eve.json when no behaviour wrapper flushes it); returns how many. */
int cli_archive_outputs(const struct cli_archive *a, struct output **outs);
/* Close both; 0 or exit code. */
int cli_archive_close(struct cli_archive *a, const char *cmd);

#endif
