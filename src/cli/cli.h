/*
 * cli.h - what the subcommands of `vigil` share: exit codes, the command
 * table and small helpers.  Each subcommand lives in src/cli/cmd_<name>.c
 * and is a thin shell over the modules: it parses flags, opens sources and
 * outputs, and reports errors as sentences.
 */
#ifndef VIGIL_CLI_H
#define VIGIL_CLI_H

#include <stdio.h>

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

/* "vigil: " + message to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Did the user ask for help (-h/--help) anywhere before "--"? */
int cli_wants_help(int argc, char **argv);

/* Join argv[from..argc) with spaces into a newly allocated string (a BPF
 * expression given as trailing words, as tcpdump takes it).  NULL when
 * there are no words.  Caller frees. */
char *cli_join_args(int argc, char **argv, int from);

#endif
