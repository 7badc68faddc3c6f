/*
 * cli_rules.h - the signature options shared by the commands that analyse
 * traffic (analyze, capture, ingest): --rules (-S for analyze), --vars,
 * --http-body-limit, --eve-alert, --rules-cache, --midstream-reverse (Suricata's
 * stream.midstream: it changes what the parsers see too, so it is a
 * pipeline setting the command copies over) and --inspect-encrypted.  Loading and compiling the rules
 * (src/detect, through the reload controller so SIGHUP reloads them),
 * opening DIR/eve.json + fast.log, and the end-of-run figures line.
 * docs/alerts.md.
 */
#ifndef VIGIL_CLI_RULES_H
#define VIGIL_CLI_RULES_H

#include "store/output.h"

#define CLI_RULES_MAX 64

/* getopt_long codes of the options below (clear of ASCII and behave.h's). */
#define CLI_RULES_OPT_BASE 0x4300
#define CLI_RULES_OPT_RULES (CLI_RULES_OPT_BASE + 0)
#define CLI_RULES_LONGOPTS                                                       \
    {"rules", required_argument, 0, CLI_RULES_OPT_BASE + 0},                     \
    {"vars", required_argument, 0, CLI_RULES_OPT_BASE + 1},                      \
    {"http-body-limit", required_argument, 0, CLI_RULES_OPT_BASE + 2},           \
    {"eve-alert", required_argument, 0, CLI_RULES_OPT_BASE + 3},                 \
    {"midstream-reverse", no_argument, 0, CLI_RULES_OPT_BASE + 4},               \
    {"rules-cache", required_argument, 0, CLI_RULES_OPT_BASE + 5},               \
    {"inspect-encrypted", no_argument, 0, CLI_RULES_OPT_BASE + 6}

/* The --help lines of these options ("-S, " shown by analyze only). */
extern const char cli_rules_usage[];
extern const char cli_rules_usage_analyze[];

struct detect_reload;

struct cli_rules {
    const char *paths[CLI_RULES_MAX];
    int n;
    const char *vars;
    const char *cache;      /* --rules-cache DIR or "off"; NULL: the default dir */
    struct detect_reload *reload;
    struct output *eve;     /* DIR/eve.json + fast.log, opened by cli_rules_start */
    struct output *logs;    /* alert.log goes with the Zeek logs */
    int midstream_reverse;  /* --midstream-reverse: the command copies it to
                               pipeline_config.midstream_reverse */
    int files;              /* file tracking started for the file rules */
};

/* One option (getopt's c and optarg): 1 taken, 0 not ours, <0 bad value
 * (message printed). */
int cli_rules_opt(struct cli_rules *cr, const char *cmd, int c, const char *arg);

/* With rules given: open DIR/eve.json, load and compile the rules (their
 * report on stderr), alerts to logs and eve, SIGHUP reloads.  Rules with
 * file keywords (filemd5, file.data on SMTP, ...) and no file extraction
 * running: files are followed and hashed for them (no files.log, nothing
 * stored, docs/alerts.md "File rules"); a later --extract start takes over.
 * 0 (also when no rules were given), or an exit code with the message
 * printed. */
int cli_rules_start(struct cli_rules *cr, const char *cmd, const char *dir, struct output *logs);

/* The engine's figures line on stderr, then stop the engine (and the file
 * tracking it started; call after the pipeline is freed) and close
 * eve.json. */
void cli_rules_stop(struct cli_rules *cr);

#endif
