/*
 * engine_load.c - the ruleset an analysis run matches: rules files and
 * directories (every *.rules in a directory, sorted), a variables file,
 * and classification.config / reference.config found beside the first
 * rules path (as `vigil rules check` takes them).  Rejected rules are
 * reported, one line each, with the keyword at fault; they never stop
 * the run (Suricata loads what it can).
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "detect/engine.h"

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int load_dir(struct ruleset *rs, const char *dir, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errlen, "cannot open the rules directory %s", dir);
        return -1;
    }
    char *v[4096];
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL && n < sizeof(v) / sizeof(v[0])) {
        size_t l = strlen(de->d_name);
        if (l < 7 || strcmp(de->d_name + l - 6, ".rules") != 0)
            continue;
        size_t pl = strlen(dir) + l + 2;
        if ((v[n] = malloc(pl)) == NULL)
            break;
        snprintf(v[n], pl, "%s/%s", dir, de->d_name);
        n++;
    }
    closedir(d);
    if (n > 0)
        qsort(v, n, sizeof(v[0]), cmp_str);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        if (rc == 0 && ruleset_load_file(rs, v[i], err, errlen) < 0)
            rc = -1;
        free(v[i]);
    }
    return rc;
}

static int load_configs(struct ruleset *rs, const char *first, char *err, size_t errlen)
{
    char dir[2048], path[4096];
    struct stat st;
    snprintf(dir, sizeof(dir), "%s", first);
    if (stat(first, &st) == 0 && !S_ISDIR(st.st_mode)) {
        char *slash = strrchr(dir, '/');
        if (slash)
            *slash = '\0';
        else
            snprintf(dir, sizeof(dir), ".");
    }
    snprintf(path, sizeof(path), "%s/classification.config", dir);
    if (access(path, R_OK) == 0 && ruleset_load_classification(rs, path, err, errlen) < 0)
        return -1;
    snprintf(path, sizeof(path), "%s/reference.config", dir);
    if (access(path, R_OK) == 0 && ruleset_load_reference(rs, path, err, errlen) < 0)
        return -1;
    return 0;
}

int detect_load_rules(struct ruleset *rs, const char *const *paths, int n, const char *vars,
                      FILE *report, char *err, size_t errlen)
{
    if (ruleset_init(rs) < 0) {
        snprintf(err, errlen, "out of memory loading rules");
        return -1;
    }
    if (vars && ruleset_load_vars(rs, vars, err, errlen) < 0)
        return -1;
    if (n > 0 && load_configs(rs, paths[0], err, errlen) < 0)
        return -1;
    for (int i = 0; i < n; i++) {
        struct stat st;
        if (stat(paths[i], &st) < 0) {
            snprintf(err, errlen, "cannot open the rules %s", paths[i]);
            return -1;
        }
        if (S_ISDIR(st.st_mode) ? load_dir(rs, paths[i], err, errlen)
                                : ruleset_load_file(rs, paths[i], err, errlen))
            return -1;
    }
    if (report) {
        for (size_t i = 0; i < rs->n_errors; i++)
            fprintf(report, "%s\n", rs->errors[i].msg);
        fprintf(report, "rules: %zu loaded, %zu rejected, %zu disabled\n", rs->n, rs->rejected,
                rs->disabled);
    }
    return 0;
}
