/*
 * cli_intel.h - `--intel FILE|DIR` for the commands that analyse traffic
 * (analyze, capture, ingest): load the files into one store, report each
 * file's counts on stderr, and put the matcher (src/detect/intel.h) in
 * front of the run's outputs, with an eve.json/fast.log output of its own
 * when the command has none.  docs/intel.md.
 */
#ifndef VIGIL_CLI_INTEL_H
#define VIGIL_CLI_INTEL_H

#include "store/output.h"

#define CLI_INTEL_MAX 64

struct intel_store;

struct cli_intel {
    const char *paths[CLI_INTEL_MAX];
    int n;
    struct intel_store *store;
    struct output *eve;      /* opened here when the caller gave none */
    struct output *down[2];  /* the Zeek log output, the eve output */
    struct output *matcher;  /* give this to the pipeline with the other outputs */
};

/* --intel PATH: 0, or VIGIL_EXIT_USAGE (too many). */
int cli_intel_add(struct cli_intel *ci, const char *cmd, const char *path);

/* Load every path (per-file counts on stderr unless quiet) and open the
 * matcher writing to logs and eve (eve NULL: DIR/eve.json is opened here).
 * 0 when no --intel was given or all went well, else an exit code. */
int cli_intel_start(struct cli_intel *ci, const char *cmd, const char *dir, struct output *logs,
                    struct output *eve, const char *node, int quiet);

/* Close the matcher (and the eve output if it opened one), free the store;
 * prints the hit count unless quiet. */
void cli_intel_stop(struct cli_intel *ci, const char *cmd, int quiet);

#endif
