/*
 * cmd_estimate.c - `vigil estimate`: how much disk full-content capture
 * needs, by the formula of The Practice of Network Security Monitoring
 * (Bejtlich, 2013, ch. 2):
 *
 *     MB/day = Mbps x (1 byte / 8 bits) x 86,400 s/day
 *
 * so 100 Mbps is 1,080,000 MB (1.08 TB) a day.  The rate is given
 * (--mbps) or observed in captures (-r: wire bits over the time from the
 * first to the last packet).  --days N prints the total for N days,
 * --disk SIZE the days of retention that fit.  Units are decimal (MB =
 * 10^6 bytes, Mbps = 10^6 bits/s), as in the book.  The arithmetic is in
 * src/stats/stats_estimate.c; this file parses flags and prints.  Flags,
 * output and exit codes: docs/estimate.md.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "cli/cli.h"
#include "stats/stats.h"

struct estimate_args {
    double mbps;           /* 0 when not given */
    double days;           /* 0 when not given */
    double disk_mb;        /* 0 when not given */
    const char *disk_text; /* as the user wrote it */
    const char **inputs;
    int ninputs;
    int json;
};

static void estimate_usage(FILE *out)
{
    fprintf(out,
            "usage: vigil estimate (--mbps RATE | -r FILE|DIR|GLOB ...) [--days N] [--disk SIZE] "
            "[--json]\n\n"
            "Storage needed to keep full content (every packet), by the formula of\n"
            "The Practice of NSM: MB/day = Mbps x (1 byte / 8 bits) x 86,400 s.\n\n"
            "  --mbps RATE   average link rate in megabits per second (10^6 bits/s)\n"
            "  -r PATH ...   use the average rate observed in these captures instead\n"
            "                (wire bytes x 8 over the first-to-last packet time)\n"
            "  --days N      also print the total for N days\n"
            "  --disk SIZE   also print how many days fit on SIZE; decimal units:\n"
            "                4T, 500G, 2.5TB, 1000000MB, or plain bytes (K M G T P, 1000^n)\n"
            "  --json        one JSON document on stdout\n\n"
            "exit codes: 0 ok, 1 error, 2 usage, 3 damaged input (rate from what was read)\n");
}

/* The value of --flag VALUE or --flag=VALUE; advances *i.  NULL when missing. */
static const char *flag_value(int argc, char **argv, int *i, const char *flag)
{
    size_t n = strlen(flag);
    if (strncmp(argv[*i], flag, n) == 0 && argv[*i][n] == '=')
        return argv[*i] + n + 1;
    if (*i + 1 >= argc)
        return NULL;
    return argv[++*i];
}

static int is_flag(const char *a, const char *flag)
{
    size_t n = strlen(flag);
    return strncmp(a, flag, n) == 0 && (a[n] == '\0' || a[n] == '=');
}

static int estimate_parse_value(int argc, char **argv, int *i, struct estimate_args *a)
{
    const char *arg = argv[*i];
    if (is_flag(arg, "--mbps")) {
        const char *v = flag_value(argc, argv, i, "--mbps");
        if (!v || stats_number_parse(v, &a->mbps) < 0) {
            cli_error("estimate: --mbps needs a positive number of megabits per second, "
                      "e.g. --mbps 100 (got '%s')", v ? v : "");
            return -1;
        }
    } else if (is_flag(arg, "--days")) {
        const char *v = flag_value(argc, argv, i, "--days");
        if (!v || stats_number_parse(v, &a->days) < 0) {
            cli_error("estimate: --days needs a positive number of days, e.g. --days 30 "
                      "(got '%s')", v ? v : "");
            return -1;
        }
    } else if (is_flag(arg, "--disk")) {
        const char *v = flag_value(argc, argv, i, "--disk");
        if (!v || stats_size_parse(v, &a->disk_mb) < 0) {
            cli_error("estimate: --disk needs a size with a decimal unit, e.g. 4T, 500G, "
                      "2.5TB or 1000000MB (got '%s')", v ? v : "");
            return -1;
        }
        a->disk_text = v;
    } else {
        cli_error("estimate: unknown option '%s'; 'vigil estimate --help' lists them", arg);
        return -1;
    }
    return 0;
}

static int estimate_parse(int argc, char **argv, struct estimate_args *a)
{
    memset(a, 0, sizeof(*a));
    a->inputs = calloc((size_t)argc, sizeof(*a->inputs));
    if (!a->inputs)
        return -1;
    int reading = 0;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "-r") == 0) {
            if (i + 1 >= argc) {
                cli_error("estimate: -r needs a capture file, directory or pattern");
                return -1;
            }
            a->inputs[a->ninputs++] = argv[++i];
            reading = 1;
        } else if (strcmp(arg, "--json") == 0) {
            a->json = 1;
        } else if (arg[0] == '-' && arg[1] != '\0') {
            if (estimate_parse_value(argc, argv, &i, a) < 0)
                return -1;
        } else if (reading) {
            a->inputs[a->ninputs++] = arg; /* -r a.pcap b.pcap ... (a shell glob) */
        } else {
            cli_error("estimate: unexpected argument '%s'; give the rate with --mbps or "
                      "captures with -r", arg);
            return -1;
        }
    }
    if (a->mbps > 0 && a->ninputs > 0) {
        cli_error("estimate: give either --mbps or -r, not both");
        return -1;
    }
    if (a->mbps <= 0 && a->ninputs == 0) {
        cli_error("estimate: give the link rate with --mbps RATE or captures with -r FILE");
        return -1;
    }
    return 0;
}

struct observed {
    uint64_t packets, wire_bytes;
    double seconds;
    size_t files;
};

/* The average rate of the captures.  Returns an exit code; *mbps set on 0/3. */
static int estimate_observe(const struct estimate_args *a, double *mbps, struct observed *ob)
{
    struct stats *st = stats_new(NULL);
    if (!st) {
        cli_error("estimate: out of memory");
        return VIGIL_EXIT_ERROR;
    }
    char err[600];
    char *damage = NULL;
    int rc = stats_read_files(st, a->inputs, a->ninputs, NULL, 1, &damage, err, sizeof(err));
    if (rc < 0) {
        cli_error("estimate: %s", err);
        stats_free(st);
        return VIGIL_EXIT_ERROR;
    }
    if (damage)
        fprintf(stderr, "vigil: estimate: damaged input, the rate uses the packets read "
                        "before the damage:\n%s", damage);
    free(damage);
    struct stats_summary s;
    stats_summary_get(st, &s);
    stats_files(st, &ob->files);
    stats_free(st);
    ob->packets = s.packets;
    ob->wire_bytes = s.wire_bytes;
    ob->seconds = (double)s.duration_ns / 1e9;
    if (s.duration_ns <= 0) {
        cli_error("estimate: cannot derive a rate: the captures hold %llu packet%s spanning "
                  "no time; give --mbps instead",
                  (unsigned long long)s.packets, s.packets == 1 ? "" : "s");
        return VIGIL_EXIT_ERROR;
    }
    *mbps = s.data_bit_rate / 1e6; /* wire bits over the duration */
    return rc == STATS_READ_DAMAGED ? VIGIL_EXIT_DAMAGED : VIGIL_EXIT_OK;
}

/* Megabytes with thousands separators, or 3 significant digits under 100. */
static char *fmt_mb_count(double mb, char *buf, size_t len)
{
    if (mb >= 100)
        return stats_format_thousands(mb, buf, len);
    snprintf(buf, len, "%.3g", mb);
    return buf;
}

static void estimate_print_text(const struct estimate_args *a, double mbps,
                                const struct observed *ob)
{
    char n1[64], n2[64], label[64];
    double per_day = stats_estimate_mb_per_day(mbps);
    if (ob) {
        printf("%-19s%.6g Mbps (%s wire bytes in %s packets over %.6f s, %zu file%s)\n",
               "Observed rate:", mbps,
               stats_format_thousands((double)ob->wire_bytes, n1, sizeof(n1)),
               stats_format_thousands((double)ob->packets, n2, sizeof(n2)), ob->seconds,
               ob->files, ob->files == 1 ? "" : "s");
    } else {
        printf("%-19s%.6g Mbps\n", "Link rate:", mbps);
    }
    printf("%-19s%s MB/day (%s/day)\n", "Full content:",
           fmt_mb_count(per_day, n1, sizeof(n1)),
           stats_format_mb(per_day, n2, sizeof(n2)));
    printf("%-19s%s MB (%s)\n", "Per hour:", fmt_mb_count(per_day / 24, n1, sizeof(n1)),
           stats_format_mb(per_day / 24, n2, sizeof(n2)));
    if (a->days > 0) {
        snprintf(label, sizeof(label), "For %g day%s:", a->days, a->days == 1 ? "" : "s");
        printf("%-19s%s MB (%s)\n", label,
               fmt_mb_count(per_day * a->days, n1, sizeof(n1)),
               stats_format_mb(per_day * a->days, n2, sizeof(n2)));
    }
    if (a->disk_mb > 0) {
        double days = stats_estimate_days(a->disk_mb, mbps);
        snprintf(label, sizeof(label), "Disk %s:", a->disk_text);
        printf("%-19s%.2f days of full content (%.1f hours; disk %s MB)\n", label, days,
               days * 24, stats_format_thousands(a->disk_mb, n1, sizeof(n1)));
    }
}

static int estimate_print_json(const struct estimate_args *a, double mbps,
                               const struct observed *ob)
{
    double per_day = stats_estimate_mb_per_day(mbps);
    json_t *o = json_object();
    json_object_set_new(o, "mbps", json_real(mbps));
    json_object_set_new(o, "rate_source", json_string(ob ? "captures" : "mbps"));
    json_object_set_new(o, "mb_per_day", json_real(per_day));
    json_object_set_new(o, "tb_per_day", json_real(per_day / 1e6));
    json_object_set_new(o, "mb_per_hour", json_real(per_day / 24));
    if (ob) {
        json_t *c = json_object();
        json_object_set_new(c, "files", json_integer((json_int_t)ob->files));
        json_object_set_new(c, "packets", json_integer((json_int_t)ob->packets));
        json_object_set_new(c, "wire_bytes", json_integer((json_int_t)ob->wire_bytes));
        json_object_set_new(c, "duration", json_real(ob->seconds));
        json_object_set_new(o, "captures", c);
    }
    if (a->days > 0) {
        json_object_set_new(o, "days", json_real(a->days));
        json_object_set_new(o, "total_mb", json_real(per_day * a->days));
    }
    if (a->disk_mb > 0) {
        json_object_set_new(o, "disk", json_string(a->disk_text));
        json_object_set_new(o, "disk_mb", json_real(a->disk_mb));
        json_object_set_new(o, "retention_days", json_real(stats_estimate_days(a->disk_mb, mbps)));
    }
    int rc = json_dumpf(o, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(12));
    json_decref(o);
    fputc('\n', stdout);
    return rc;
}

int cmd_estimate(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        estimate_usage(stdout);
        return VIGIL_EXIT_OK;
    }
    struct estimate_args a;
    if (estimate_parse(argc, argv, &a) < 0) {
        free(a.inputs);
        return VIGIL_EXIT_USAGE;
    }
    int rc = VIGIL_EXIT_OK;
    double mbps = a.mbps;
    struct observed ob = {0};
    if (a.ninputs > 0) {
        rc = estimate_observe(&a, &mbps, &ob);
        if (rc != VIGIL_EXIT_OK && rc != VIGIL_EXIT_DAMAGED) {
            free(a.inputs);
            return rc;
        }
    }
    if (a.json) {
        if (estimate_print_json(&a, mbps, a.ninputs ? &ob : NULL) < 0)
            rc = VIGIL_EXIT_ERROR;
    } else {
        estimate_print_text(&a, mbps, a.ninputs ? &ob : NULL);
    }
    if (fflush(stdout) != 0) {
        cli_error("estimate: cannot write the output");
        rc = VIGIL_EXIT_ERROR;
    }
    free(a.inputs);
    return rc;
}
