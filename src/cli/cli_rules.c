/*
 * cli_rules.c - the signature options of analyze, capture and ingest
 * (cli_rules.h): parsing them, starting the engine with its eve.json, and
 * the figures line at the end.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "detect/detect_worker.h"
#include "cli/cli_rules.h"
#include "detect/alert_payload.h"
#include "detect/detect_http.h"
#include "detect/engine.h"
#include "detect/hs_cache.h"
#include "extract/extract.h"
#include "pipeline/pipeline.h"
#include "store/eve.h"

#define RULES_USAGE_TAIL                                                                    \
    "                          to eve.json, fast.log and alert.log with the logs\n"       \
    "                          (docs/alerts.md)\n"                                        \
    "      --vars FILE         rule variables (NAME: value lines; $HOME_NET, ...)\n"          \
    "      --rules-cache DIR|off  where compiled Vectorscan databases are kept and\n"     \
    "                          reused by later runs and reloads with the same rules\n"  \
    "                          (default $XDG_CACHE_HOME/vigil/hs, else\n"              \
    "                          ~/.cache/vigil/hs; off: compile every time)\n"          \
    "                          SIGHUP reloads the rules files: parsed and compiled in\n"    \
    "                          the background, swapped between packets, flows kept\n"       \
    "      --http-body-limit BYTES  decoded HTTP body bytes the rules inspect, per\n"       \
    "                          request and per response (default 102400)\n"                 \
    "      --eve-alert LIST    more in each eve.json alert, as Suricata's eve-log alert\n"  \
    "                          options: payload (base64), payload-printable, packet\n"      \
    "                          (base64 frame + packet_info.linktype), or all\n"           \
    "      --midstream-reverse  a TCP session picked up midstream whose responder\n"    \
    "                          sends a client's request first (an HTTP request\n"      \
    "                          line, ...) is parsed and matched with that side as\n"   \
    "                          the client; conn.log keeps Zeek's roles (Suricata's\n"  \
    "                          stream.midstream; docs/stream.md)\n"                    \
    "      --inspect-encrypted  keep matching payload rules on TLS sessions after\n"  \
    "                          their application data starts and on SSH sessions\n" \
    "                          after NEWKEYS (default: not, as Suricata's\n"        \
    "                          encryption-handling default; docs/alerts.md)\n"

const char cli_rules_usage_analyze[] =
    "  -S, --rules RULES       Suricata rules file or directory (repeatable): alerts\n"
    RULES_USAGE_TAIL;
const char cli_rules_usage[] =
    "      --rules RULES       Suricata rules file or directory (repeatable): alerts\n"
    RULES_USAGE_TAIL;

int cli_rules_opt(struct cli_rules *cr, const char *cmd, int c, const char *arg)
{
    char err[256];
    switch (c - CLI_RULES_OPT_BASE) {
    case 0:
        if (cr->n == CLI_RULES_MAX) {
            cli_error("%s: at most %d rules paths (give a directory)", cmd, CLI_RULES_MAX);
            return -1;
        }
        cr->paths[cr->n++] = arg;
        return 1;
    case 1: cr->vars = arg; return 1;
    case 2: {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(arg, &end, 0);
        if (errno || *end || v == 0 || v > UINT32_MAX || arg[0] == '-') {
            cli_error("%s: --http-body-limit wants a byte count, not '%s'", cmd, arg);
            return -1;
        }
        detect_http_set_body_limits((uint32_t)v, (uint32_t)v);
        return 1;
    }
    case 3: {
        unsigned f;
        if (detect_eve_extras_parse(arg, &f, err, sizeof(err)) < 0) {
            cli_error("%s: %s", cmd, err);
            return -1;
        }
        detect_set_eve_extras(f);
        return 1;
    }
    case 4: cr->midstream_reverse = 1; return 1;
    case 6: detect_inspect_encrypted(1); return 1;
    case 5:
        if (!*arg) {
            cli_error("%s: --rules-cache wants a directory or 'off'", cmd);
            return -1;
        }
        cr->cache = arg;
        return 1;
    default: return 0;
    }
}

/* SIGHUP: reload the rules (built in the background, swapped between packets). */
static void rules_on_hup(int sig)
{
    (void)sig;
    detect_reload_request();
}

static void rules_alert(void *ctx, const struct record_hdr *rec)
{
    struct cli_rules *cr = ctx;
    pipeline_output_lock(); /* analyze --workers N: alerts come from every worker */
    output_write(cr->logs, rec);
    output_write(cr->eve, rec);
    pipeline_output_unlock();
}

/* Rules with file keywords and no extraction running: follow the files
 * for them (no files.log, nothing stored; hashed only for hash rules). */
static int rules_files_start(struct cli_rules *cr, char *err, size_t errlen)
{
    if (!detect_file_wanted() || extract_started())
        return 0;
    struct extract_config xc;
    extract_config_default(&xc);
    xc.files_log = false; /* hash only: no files.log, no fuids in the logs */
    if (extract_start(&xc, err, errlen) < 0)
        return -1;
    cr->files = 1;
    return 1;
}

/* A SIGHUP reload installed new rules: the first file rules start file
 * tracking from here on (files already under way are not followed). */
static void rules_installed(void *ctx)
{
    char err[600];
    if (detect_workers_running()) { /* extraction's hooks cannot change under running workers */
        if (detect_file_wanted() && !extract_started())
            fprintf(stderr, "rules reload: the file rules get no files: with --workers N > 1 "
                            "file tracking starts only with rules loaded at start\n");
        return;
    }
    int rc = rules_files_start(ctx, err, sizeof(err));
    if (rc < 0)
        fprintf(stderr, "rules reload: the file rules get no files: %s\n", err);
    else if (rc > 0)
        fprintf(stderr, "rules reload: file rules: following files from now on\n");
}

/* The Vectorscan database cache: --rules-cache DIR, off, or the default. */
static void rules_cache_setup(const struct cli_rules *cr)
{
    char def[4096];
    const char *dir = cr->cache;
    if (dir && strcmp(dir, "off") == 0)
        dir = NULL;
    else if (!dir)
        dir = hs_cache_default_dir(def, sizeof(def)) == 0 ? def : NULL;
    hs_cache_configure(dir, stderr);
}

int cli_rules_start(struct cli_rules *cr, const char *cmd, const char *dir, struct output *logs)
{
    char err[600];
    if (cr->n == 0)
        return 0;
    if ((cr->eve = output_eve_open(dir, err, sizeof(err))) == NULL) {
        cli_error("%s: %s", cmd, err);
        return VIGIL_EXIT_ERROR;
    }
    cr->logs = logs;
    rules_cache_setup(cr);
    cr->reload = detect_reload_start(cr->paths, cr->n, cr->vars, rules_alert, cr, stderr, err,
                                     sizeof(err));
    if (!cr->reload) {
        cli_error("%s: %s", cmd, err);
        output_close(cr->eve);
        cr->eve = NULL;
        return VIGIL_EXIT_ERROR;
    }
    if (rules_files_start(cr, err, sizeof(err)) < 0) {
        cli_error("%s: %s", cmd, err);
        detect_reload_stop(cr->reload);
        cr->reload = NULL;
        output_close(cr->eve);
        cr->eve = NULL;
        return VIGIL_EXIT_ERROR;
    }
    detect_reload_on_install(cr->reload, rules_installed, cr);
    struct sigaction sa = {0};
    sa.sa_handler = rules_on_hup;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGHUP, &sa, NULL);
    return 0;
}

/* The engine's figures (docs/alerts.md): what was evaluated, what was
 * skipped, what it cost. */
static void rules_report(const struct cli_rules *cr)
{
    struct detect_counters c;
    double load_s, build_s; /* CPU seconds of the last (re)load: parsing, building */
    unsigned cached, dbs, bad;
    char cache[96];
    detect_engine_counters(detect_reload_engine(cr->reload), &c);
    detect_reload_times(cr->reload, &load_s, &build_s);
    detect_reload_cache(cr->reload, &cached, &dbs, &bad);
    if (!hs_cache_dir())
        snprintf(cache, sizeof(cache), "%u databases, rules cache off", dbs);
    else if (bad)
        snprintf(cache, sizeof(cache), "%u of %u databases from cache, %u bad cache files",
                 cached, dbs, bad);
    else
        snprintf(cache, sizeof(cache), "%u of %u databases from cache", cached, dbs);
    fprintf(stderr,
            "detect: %llu rules evaluated (%llu with a fast pattern), %llu skipped; "
            "load %.2f s, build %.2f s CPU (%s); "
            "%llu packets, %llu transactions inspected, "
            "%llu rule evaluations, %llu alerts, %llu suppressed\n",
            (unsigned long long)c.rules, (unsigned long long)c.prefilter_rules,
            (unsigned long long)c.rules_skipped, load_s, build_s, cache,
            (unsigned long long)c.packets, (unsigned long long)c.records,
            (unsigned long long)c.candidates, (unsigned long long)c.alerts,
            (unsigned long long)c.suppressed);
}

void cli_rules_stop(struct cli_rules *cr)
{
    if (!cr->reload)
        return;
    rules_report(cr);
    signal(SIGHUP, SIG_DFL);
    detect_reload_stop(cr->reload);
    cr->reload = NULL;
    if (cr->files)
        extract_stop(); /* a no-op when --extract restarted and stopped it */
    cr->files = 0;
    output_close(cr->eve);
    cr->eve = NULL;
}
