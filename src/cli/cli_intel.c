/*
 * cli_intel.c - the `--intel` option shared by analyze, capture and ingest
 * (cli_intel.h): loading, the per-file report, and wiring the matcher.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_intel.h"
#include "detect/intel.h"
#include "store/eve.h"

int cli_intel_add(struct cli_intel *ci, const char *cmd, const char *path)
{
    if (ci->n == CLI_INTEL_MAX) {
        cli_error("%s: at most %d --intel paths (give a directory)", cmd, CLI_INTEL_MAX);
        return VIGIL_EXIT_USAGE;
    }
    ci->paths[ci->n++] = path;
    return 0;
}

int cli_intel_start(struct cli_intel *ci, const char *cmd, const char *dir, struct output *logs,
                    struct output *eve, const char *node, int quiet)
{
    char err[600];
    if (ci->n == 0)
        return 0;
    ci->store = intel_store_new();
    if (!ci->store) {
        cli_error("%s: out of memory for the intel store", cmd);
        return VIGIL_EXIT_ERROR;
    }
    for (int i = 0; i < ci->n; i++)
        if (intel_load_path(ci->store, ci->paths[i], quiet ? NULL : stderr, err,
                            sizeof(err)) < 0) {
            cli_error("%s: %s", cmd, err);
            goto fail;
        }
    if (!quiet)
        fprintf(stderr, "vigil: intel: %zu indicators\n", intel_store_count(ci->store));
    if (!eve) {
        ci->eve = eve = output_eve_open(dir, err, sizeof(err));
        if (!eve) {
            cli_error("%s: %s", cmd, err);
            goto fail;
        }
    }
    ci->down[0] = logs;
    ci->down[1] = eve;
    ci->matcher = intel_output_open(ci->store, ci->down, 2, node, err, sizeof(err));
    if (!ci->matcher) {
        cli_error("%s: %s", cmd, err);
        goto fail;
    }
    return 0;
fail:
    output_close(ci->eve);
    ci->eve = NULL;
    intel_store_free(ci->store);
    ci->store = NULL;
    return VIGIL_EXIT_USAGE;
}

void cli_intel_stop(struct cli_intel *ci, const char *cmd, int quiet)
{
    if (!ci->matcher)
        return;
    struct intel_counters c;
    intel_output_counters(ci->matcher, &c);
    if (!quiet)
        fprintf(stderr, "vigil: %s: intel: %llu hits in %llu records, %llu notices\n", cmd,
                (unsigned long long)c.hits, (unsigned long long)c.records,
                (unsigned long long)c.notices);
    output_close(ci->matcher);
    ci->matcher = NULL;
    output_close(ci->eve);
    ci->eve = NULL;
    intel_store_free(ci->store);
    ci->store = NULL;
}
