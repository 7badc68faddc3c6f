/*
 * cmd_rules.c - `vigil rules check [--vars FILE] [--classification FILE]
 * [--reference FILE] [-v] FILES|DIRS...`: load Suricata rules the way the
 * engine will and report what loads.
 *
 * Prints the loaded / rejected / disabled counts and the rejections
 * grouped by keyword (count and the first sids), most frequent first;
 * then how many loaded rules the engine would skip (parsed, not
 * evaluated: detect_rule_check), grouped the same way; -v prints every
 * rejection and skip sentence.  Skipped rules do not change the exit
 * status.  A directory stands for its *.rules
 * files (sorted).  classification.config and reference.config are taken
 * from the first directory given (or the directory of the first file)
 * unless named.  Exit: 0 all rules loaded, 3 some rejected (the rest
 * loaded; as for damaged input), 1 a file could not be read, 2 usage.
 * docs/rules.md describes the output.
 */
#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "detect/engine.h"
#include "detect/rule.h"

static void rules_usage(FILE *out)
{
    fprintf(out, "usage: vigil rules check [--vars FILE] [--classification FILE] "
                 "[--reference FILE] [-v] FILES|DIRS...\n"
                 "Load Suricata rules, print loaded/rejected/disabled counts and the rejections\n"
                 "grouped by keyword, then the loaded rules the engine skips (parsed, not\n"
                 "evaluated) grouped the same way.  -v: every rejection and skip.\n"
                 "Exit 0 all loaded, 3 some rejected, 1 unreadable, 2 usage.\n");
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted *.rules paths of a directory.  Caller frees. */
static char **dir_rules(const char *dir, size_t *n)
{
    DIR *d = opendir(dir);
    *n = 0;
    if (!d)
        return NULL;
    char **v = NULL;
    size_t cap = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t l = strlen(de->d_name);
        if (l < 7 || strcmp(de->d_name + l - 6, ".rules") != 0)
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            char **nv = realloc(v, cap * sizeof *nv);
            if (!nv)
                break;
            v = nv;
        }
        size_t pl = strlen(dir) + l + 2;
        v[*n] = malloc(pl);
        if (!v[*n])
            break;
        snprintf(v[*n], pl, "%s/%s", dir, de->d_name);
        (*n)++;
    }
    closedir(d);
    if (v)
        qsort(v, *n, sizeof *v, cmp_str);
    return v;
}

struct kw_group {
    char key[80];
    size_t count;
    uint32_t sids[5];
    size_t n_sids;
};

static int cmp_group(const void *a, const void *b)
{
    const struct kw_group *x = a, *y = b;
    if (x->count != y->count)
        return x->count < y->count ? 1 : -1;
    return strcmp(x->key, y->key);
}

/* Rows of a "... by keyword" list: key, count, first sids. */
struct kw_groups {
    struct kw_group *g;
    size_t n, cap;
};

static void groups_add(struct kw_groups *gs, const char *key, uint32_t sid)
{
    size_t j;
    for (j = 0; j < gs->n; j++)
        if (strcmp(gs->g[j].key, key) == 0)
            break;
    if (j == gs->n) {
        if (gs->n == gs->cap) {
            size_t cap = gs->cap ? gs->cap * 2 : 16;
            struct kw_group *ng = realloc(gs->g, cap * sizeof *ng);
            if (!ng)
                return;
            gs->g = ng, gs->cap = cap;
        }
        memset(&gs->g[j], 0, sizeof gs->g[j]);
        snprintf(gs->g[j].key, sizeof gs->g[j].key, "%s", key);
        gs->n++;
    }
    gs->g[j].count++;
    if (gs->g[j].n_sids < 5)
        gs->g[j].sids[gs->g[j].n_sids++] = sid;
}

/* Print the list under title (nothing when empty) and free it. */
static void groups_print(struct kw_groups *gs, const char *title)
{
    if (gs->n > 0) {
        qsort(gs->g, gs->n, sizeof *gs->g, cmp_group);
        printf("%s\n", title);
    }
    for (size_t j = 0; j < gs->n; j++) {
        printf("  %-40s %6zu  sids", gs->g[j].key, gs->g[j].count);
        for (size_t k = 0; k < gs->g[j].n_sids; k++)
            printf("%s%u", k ? "," : " ", gs->g[j].sids[k]);
        printf("%s\n", gs->g[j].count > gs->g[j].n_sids ? ",..." : "");
    }
    free(gs->g);
}

static void print_rejections(const struct ruleset *rs)
{
    struct kw_groups gs = {0};
    for (size_t i = 0; i < rs->n_errors; i++) {
        const struct rule_error *e = &rs->errors[i];
        char key[80];
        snprintf(key, sizeof key, "%s (%s)", e->keyword,
                 e->kind == RULE_ERR_UNSUPPORTED ? "unsupported" : "invalid");
        groups_add(&gs, key, e->sid);
    }
    groups_print(&gs, "rejections by keyword:");
}

/* The loaded rules the engine would not evaluate (detect_rule_check, the
 * "parsed but not evaluated" rules `vigil analyze` skips): "skipped: N"
 * and the list by keyword; with verbose each one's sentence first. */
static void print_skipped(const struct ruleset *rs, int verbose)
{
    struct kw_groups gs = {0};
    size_t n = 0;
    for (size_t i = 0; i < rs->n; i++) {
        const char *kw = NULL;
        if (detect_rule_check(rs->rules[i], &kw) == 0)
            continue;
        n++;
        if (verbose)
            detect_rule_skip_print(stdout, rs->rules[i], kw);
        groups_add(&gs, kw ? kw : "?", rs->rules[i]->sid);
    }
    printf("skipped: %zu\n", n);
    groups_print(&gs, "skipped by keyword (parsed, not evaluated):");
}

static int load_configs(struct ruleset *rs, const char *vars, const char *cls, const char *ref,
                        const char *first)
{
    char err[600], path[4096];
    char dir[2048];
    struct stat st;
    snprintf(dir, sizeof dir, "%s", first);
    if (stat(first, &st) == 0 && !S_ISDIR(st.st_mode)) {
        char *slash = strrchr(dir, '/');
        if (slash)
            *slash = '\0';
        else
            snprintf(dir, sizeof dir, ".");
    }
    if (vars && ruleset_load_vars(rs, vars, err, sizeof err) < 0)
        goto fail;
    if (!cls) {
        snprintf(path, sizeof path, "%s/classification.config", dir);
        cls = access(path, R_OK) == 0 ? path : NULL;
    }
    if (cls && ruleset_load_classification(rs, cls, err, sizeof err) < 0)
        goto fail;
    char rpath[4096];
    if (!ref) {
        snprintf(rpath, sizeof rpath, "%s/reference.config", dir);
        ref = access(rpath, R_OK) == 0 ? rpath : NULL;
    }
    if (ref && ruleset_load_reference(rs, ref, err, sizeof err) < 0)
        goto fail;
    return 0;
fail:
    cli_error("rules: %s", err);
    return -1;
}

static int load_path(struct ruleset *rs, const char *path, size_t *files)
{
    char err[600];
    struct stat st;
    if (stat(path, &st) < 0) {
        cli_error("rules: cannot open %s", path);
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        (*files)++;
        if (ruleset_load_file(rs, path, err, sizeof err) < 0) {
            cli_error("rules: %s", err);
            return -1;
        }
        return 0;
    }
    size_t n;
    char **v = dir_rules(path, &n);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        (*files)++;
        if (rc == 0 && ruleset_load_file(rs, v[i], err, sizeof err) < 0) {
            cli_error("rules: %s", err);
            rc = -1;
        }
        free(v[i]);
    }
    free(v);
    return rc;
}

static int rules_check(int argc, char **argv)
{
    static const struct option opts[] = {{"vars", required_argument, NULL, 'V'},
                                         {"classification", required_argument, NULL, 'c'},
                                         {"reference", required_argument, NULL, 'r'},
                                         {"verbose", no_argument, NULL, 'v'},
                                         {NULL, 0, NULL, 0}};
    const char *vars = NULL, *cls = NULL, *ref = NULL;
    int verbose = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "v", opts, NULL)) != -1) {
        switch (c) {
        case 'V': vars = optarg; break;
        case 'c': cls = optarg; break;
        case 'r': ref = optarg; break;
        case 'v': verbose = 1; break;
        default: rules_usage(stderr); return VIGIL_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        cli_error("rules check: name at least one rules file or directory");
        rules_usage(stderr);
        return VIGIL_EXIT_USAGE;
    }
    struct ruleset rs;
    if (ruleset_init(&rs) < 0) {
        cli_error("rules: out of memory");
        return VIGIL_EXIT_ERROR;
    }
    int rc = VIGIL_EXIT_OK;
    size_t files = 0;
    if (load_configs(&rs, vars, cls, ref, argv[optind]) < 0) {
        rc = VIGIL_EXIT_ERROR;
        goto out;
    }
    for (int i = optind; i < argc; i++)
        if (load_path(&rs, argv[i], &files) < 0)
            rc = VIGIL_EXIT_ERROR;
    if (verbose)
        for (size_t i = 0; i < rs.n_errors; i++)
            printf("%s\n", rs.errors[i].msg);
    printf("files: %zu\nloaded: %zu\nrejected: %zu\ndisabled: %zu\n", files, rs.n, rs.rejected,
           rs.disabled);
    print_rejections(&rs);
    print_skipped(&rs, verbose);
    if (rc == VIGIL_EXIT_OK && rs.rejected)
        rc = VIGIL_EXIT_DAMAGED;
out:
    ruleset_free(&rs);
    return rc;
}

int cmd_rules(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        rules_usage(stdout);
        return VIGIL_EXIT_OK;
    }
    if (argc < 2 || strcmp(argv[1], "check") != 0) {
        cli_error("rules: the only subcommand is 'check'");
        rules_usage(stderr);
        return VIGIL_EXIT_USAGE;
    }
    return rules_check(argc - 1, argv + 1);
}
