/*
 * capture.c - what every packet source shares: turning the user's file,
 * directory and glob arguments into a list of capture files, the error and
 * damage accessors, and link-type names.
 *
 * Owns: the expanded path lists (capture_free_paths() frees them).
 * Follows: glob(3) for patterns; a directory is walked recursively in
 * name order and only files that start with a pcap or pcapng magic number
 * are taken from it (a dailylogs directory also holds index sidecars); a
 * file named on the command line is always opened, so a damaged one is
 * reported rather than skipped; "-" is standard input (a pipe is read as
 * it comes, never opened twice).  Link-type names are libpcap's
 * (pcap_datalink_val_to_name/description).
 */
#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <pcap/pcap.h>

#include "capture/capture.h"

struct path_list {
    char **v;
    int n, cap;
};

static int path_list_add(struct path_list *l, const char *path)
{
    if (l->n == l->cap) {
        int ncap = l->cap ? l->cap * 2 : 16;
        char **nv = realloc(l->v, (size_t)ncap * sizeof(*nv));
        if (!nv)
            return -1;
        l->v = nv;
        l->cap = ncap;
    }
    l->v[l->n] = strdup(path);
    if (!l->v[l->n])
        return -1;
    l->n++;
    return 0;
}

/* Does the file begin with a pcap (any byte order, us or ns) or pcapng magic? */
static int path_has_capture_magic(const char *path)
{
    unsigned char m[4];
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    size_t n = fread(m, 1, sizeof(m), f);
    fclose(f);
    if (n != sizeof(m))
        return 0;
    static const unsigned char magics[][4] = {
        {0xd4, 0xc3, 0xb2, 0xa1}, {0xa1, 0xb2, 0xc3, 0xd4}, /* pcap, microseconds */
        {0x4d, 0x3c, 0xb2, 0xa1}, {0xa1, 0xb2, 0x3c, 0x4d}, /* pcap, nanoseconds */
        {0x0a, 0x0d, 0x0d, 0x0a},                           /* pcapng section header */
        {0x34, 0xcd, 0xb2, 0xa1}, {0xa1, 0xb2, 0xcd, 0x34}, /* Kuznetzov's modified pcap */
    };
    for (size_t i = 0; i < sizeof(magics) / sizeof(magics[0]); i++)
        if (memcmp(m, magics[i], 4) == 0)
            return 1;
    return 0;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int dir_walk(const char *dir, struct path_list *out, int depth, char *err, size_t errlen)
{
    if (depth > 64) {
        snprintf(err, errlen, "%s: directories nested more than 64 deep; is there a loop?", dir);
        return -1;
    }
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errlen, "%s: cannot read directory: %s", dir, strerror(errno));
        return -1;
    }
    struct path_list names = {0};
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue; /* ., .., and hidden files (partial downloads, editors) */
        if (path_list_add(&names, e->d_name) < 0) {
            rc = -1;
            snprintf(err, errlen, "%s: out of memory listing the directory", dir);
            break;
        }
    }
    closedir(d);
    if (names.n > 1)
        qsort(names.v, (size_t)names.n, sizeof(char *), name_cmp);
    for (int i = 0; rc == 0 && i < names.n; i++) {
        char path[4096];
        struct stat st;
        if (snprintf(path, sizeof(path), "%s/%s", dir, names.v[i]) >= (int)sizeof(path))
            continue;
        if (stat(path, &st) < 0)
            continue;
        if (S_ISDIR(st.st_mode))
            rc = dir_walk(path, out, depth + 1, err, errlen);
        else if (S_ISREG(st.st_mode) && path_has_capture_magic(path))
            rc = path_list_add(out, path) < 0 ? -1 : 0;
    }
    capture_free_paths(names.v, names.n);
    return rc;
}

static int has_glob_chars(const char *s)
{
    return strpbrk(s, "*?[") != NULL;
}

static int expand_one(const char *arg, struct path_list *out, char *err, size_t errlen)
{
    struct stat st;
    if (strcmp(arg, "-") == 0) /* standard input, as tcpdump -r - */
        return path_list_add(out, arg);
    if (stat(arg, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            int before = out->n;
            if (dir_walk(arg, out, 0, err, errlen) < 0)
                return -1;
            if (out->n == before) {
                snprintf(err, errlen, "%s: directory holds no pcap or pcapng files", arg);
                return -1;
            }
            return 0;
        }
        return path_list_add(out, arg);
    }
    if (!has_glob_chars(arg)) {
        snprintf(err, errlen, "%s: cannot open: %s", arg, strerror(errno));
        return -1;
    }
    glob_t g;
    int grc = glob(arg, 0, NULL, &g);
    if (grc == GLOB_NOMATCH) {
        snprintf(err, errlen, "%s: no file matches this pattern", arg);
        return -1;
    }
    if (grc != 0) {
        snprintf(err, errlen, "%s: cannot expand the pattern", arg);
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < g.gl_pathc; i++) {
        if (stat(g.gl_pathv[i], &st) == 0 && S_ISDIR(st.st_mode))
            rc = dir_walk(g.gl_pathv[i], out, 0, err, errlen);
        else
            rc = path_list_add(out, g.gl_pathv[i]);
    }
    globfree(&g);
    return rc;
}

int capture_expand_paths(const char *const *paths, int npaths, char ***out, int *nout, char *err,
                         size_t errlen)
{
    struct path_list l = {0};
    *out = NULL;
    *nout = 0;
    for (int i = 0; i < npaths; i++) {
        if (expand_one(paths[i], &l, err, errlen) < 0) {
            if (!err[0])
                snprintf(err, errlen, "%s: out of memory expanding the input list", paths[i]);
            capture_free_paths(l.v, l.n);
            return -1;
        }
    }
    /* De-duplicate (a file named twice, or by a pattern and a directory),
     * keeping the first occurrence so the order stays the user's. */
    int n = 0;
    for (int i = 0; i < l.n; i++) {
        int dup = 0;
        for (int j = 0; j < n && !dup; j++)
            dup = strcmp(l.v[i], l.v[j]) == 0;
        if (dup)
            free(l.v[i]);
        else
            l.v[n++] = l.v[i];
    }
    *out = l.v;
    *nout = n;
    return 0;
}

void capture_free_paths(char **list, int n)
{
    if (!list)
        return;
    for (int i = 0; i < n; i++)
        free(list[i]);
    free(list);
}

const char *capture_error(const struct capture_source *s)
{
    return s ? s->err : "";
}

int capture_damaged(const struct capture_source *s)
{
    return s ? s->damaged : 0;
}

const char *capture_linktype_name(int dlt)
{
    const char *n = pcap_datalink_val_to_name(dlt);
    return n ? n : "UNKNOWN";
}

const char *capture_linktype_desc(int dlt)
{
    const char *d = pcap_datalink_val_to_description(dlt);
    return d ? d : "unknown link type";
}

int capture_filter_check(const char *bpf, int dlt, char *err, size_t errlen)
{
    pcap_t *p = pcap_open_dead(dlt, 262144);
    struct bpf_program prog;
    if (!p) {
        snprintf(err, errlen, "out of memory checking the filter");
        return -1;
    }
    int rc = pcap_compile(p, &prog, bpf, 1, PCAP_NETMASK_UNKNOWN);
    if (rc < 0)
        snprintf(err, errlen, "bad filter expression '%s': %s", bpf, pcap_geterr(p));
    else
        pcap_freecode(&prog);
    pcap_close(p);
    return rc < 0 ? -1 : 0;
}
