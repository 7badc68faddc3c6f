/*
 * extract_yara.c - YARA scanning of extracted files (issue 6, item 3):
 * every rule file of a directory compiled once with libyara's compiler,
 * every stored file scanned when it completes, each matching rule a
 * notice.log row ("Vigil::YARA_Match", docs/logs/notice.md) through the
 * carrying session's outputs.
 *
 *   extract_yara_load(DIR) ──► yr_compiler_add_file per *.yar / *.yara
 *        (namespace: the file's name without its suffix; the first error
 *         is reported as "FILE:LINE: message")
 *   extract_file_close ──► extract_yara_scan(stored path) ──► notice rows,
 *        the matched rule names for `vigil extract`'s summary
 *
 * Owns the compiled rules (process-wide, as the extraction configuration;
 * freed by extract_yara_free()).  Rules are scanned from the stored bytes,
 * so a file cut at the size limit is scanned up to the cut.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <yara.h>

#include "extract/extract.h"
#include "store/notice.h"

#define YARA_FILES_MAX 4096      /* rule files compiled from one directory */
#define YARA_SCAN_TIMEOUT_S 10   /* per file */
#define YARA_MATCHES_MAX 64      /* notices per file */

static YR_RULES *yara_rules;
static bool yara_inited;

struct yara_compile_err {
    char *buf;
    size_t len;
    bool set;
};

static void yara_on_compile(int level, const char *file, int line, const YR_RULE *rule,
                            const char *msg, void *arg)
{
    struct yara_compile_err *e = arg;
    (void)rule;
    if (level != YARA_ERROR_LEVEL_ERROR || e->set)
        return;
    e->set = true;
    snprintf(e->buf, e->len, "%s:%d: %s", file ? file : "?", line, msg);
}

static bool yara_is_rule_file(const char *name)
{
    size_t n = strlen(name);
    if (name[0] == '.')
        return false;
    return (n > 4 && strcmp(name + n - 4, ".yar") == 0) ||
           (n > 5 && strcmp(name + n - 5, ".yara") == 0);
}

static int yara_name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The rule files of dir, sorted (or dir itself when it is a file). */
static char **yara_list(const char *dir, size_t *n, char *err, size_t errlen)
{
    struct stat st;
    *n = 0;
    if (stat(dir, &st) < 0) {
        snprintf(err, errlen, "--yara %s: %s", dir, strerror(errno));
        return NULL;
    }
    char **v = calloc(YARA_FILES_MAX, sizeof(*v));
    if (!v) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (!S_ISDIR(st.st_mode)) {
        v[(*n)++] = strdup(dir);
        return v;
    }
    DIR *d = opendir(dir);
    struct dirent *de;
    while (d && (de = readdir(d)) && *n < YARA_FILES_MAX) {
        if (!yara_is_rule_file(de->d_name))
            continue;
        size_t k = strlen(dir) + strlen(de->d_name) + 2;
        char *p = malloc(k);
        if (p) {
            snprintf(p, k, "%s/%s", dir, de->d_name);
            v[(*n)++] = p;
        }
    }
    if (d)
        closedir(d);
    if (*n == 0)
        snprintf(err, errlen, "--yara %s: no rule files (*.yar, *.yara) there", dir);
    if (*n > 0)
        qsort(v, *n, sizeof(*v), yara_name_cmp);
    return v;
}

/* The namespace of a rule file: its name without directory and suffix. */
static void yara_namespace(const char *path, char *out, size_t outlen)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    snprintf(out, outlen, "%s", b);
    char *dot = strrchr(out, '.');
    if (dot && dot != out)
        *dot = 0;
}

static int yara_compile(YR_COMPILER *c, char **files, size_t n, char *err, size_t errlen)
{
    struct yara_compile_err e = {.buf = err, .len = errlen};
    yr_compiler_set_callback(c, yara_on_compile, &e);
    for (size_t i = 0; i < n; i++) {
        FILE *fh = fopen(files[i], "r");
        if (!fh) {
            snprintf(err, errlen, "%s: %s", files[i], strerror(errno));
            return -1;
        }
        char ns[256];
        yara_namespace(files[i], ns, sizeof(ns));
        int bad = yr_compiler_add_file(c, fh, ns, files[i]);
        fclose(fh);
        if (bad) {
            if (!e.set)
                snprintf(err, errlen, "%s: %d errors", files[i], bad);
            return -1;
        }
    }
    if (yr_compiler_get_rules(c, &yara_rules) != ERROR_SUCCESS) {
        snprintf(err, errlen, "YARA: cannot build the rules (out of memory?)");
        return -1;
    }
    return 0;
}

int extract_yara_load(const char *dir, char *err, size_t errlen)
{
    size_t n = 0;
    char **files = yara_list(dir, &n, err, errlen);
    int rc = -1;
    YR_COMPILER *c = NULL;
    if (!files || n == 0)
        goto fail;
    if (!yara_inited && yr_initialize() != ERROR_SUCCESS) {
        snprintf(err, errlen, "YARA: cannot initialise libyara");
        goto fail;
    }
    yara_inited = true;
    if (yr_compiler_create(&c) != ERROR_SUCCESS) {
        snprintf(err, errlen, "YARA: cannot create a compiler");
        goto fail;
    }
    rc = yara_compile(c, files, n, err, errlen);
fail:
    if (c)
        yr_compiler_destroy(c);
    for (size_t i = 0; files && i < n; i++)
        free(files[i]);
    free(files);
    return rc;
}

bool extract_yara_loaded(void)
{
    return yara_rules != NULL;
}

void extract_yara_free(void)
{
    if (yara_rules)
        yr_rules_destroy(yara_rules);
    yara_rules = NULL;
    if (yara_inited)
        yr_finalize();
    yara_inited = false;
}

struct yara_scan {
    const struct extract_info *info;
    int64_t ts;
    char *names;
    size_t nlen, n;
};

/* A matching rule: its notice.log row. */
static void yara_notice(struct yara_scan *s, const YR_RULE *rule)
{
    const struct extract_info *i = s->info;
    char msg[1200], sub[1024], tags[800] = "";
    const char *tag;
    size_t tl = 0;
    yr_rule_tags_foreach(rule, tag)
    {
        int k = snprintf(tags + tl, sizeof(tags) - tl, "%s%s", tl ? "," : "", tag);
        if (k < 0 || (size_t)k >= sizeof(tags) - tl)
            break;
        tl += (size_t)k;
    }
    snprintf(msg, sizeof(msg), "YARA rule %s matched %s", rule->identifier,
             i->filename && *i->filename ? i->filename : i->fuid);
    snprintf(sub, sizeof(sub), "namespace=%s tags=%s", rule->ns->name, tl ? tags : "-");
    struct notice_record r;
    notice_record_init(&r);
    r.ts = s->ts;
    record_set_unset(&r.hdr, NF_TS, false);
    notice_record_str(&r, NF_UID, i->uid);
    r.orig_h = r.src = i->orig_h;
    r.resp_h = r.dst = i->resp_h;
    r.orig_p = i->orig_p;
    r.resp_p = r.p = i->resp_p;
    static const enum notice_field set[] = {NF_ORIG_H, NF_ORIG_P, NF_RESP_H, NF_RESP_P,
                                            NF_SRC,    NF_DST,    NF_P};
    for (size_t k = 0; k < sizeof(set) / sizeof(set[0]); k++)
        record_set_unset(&r.hdr, set[k], false);
    notice_record_str(&r, NF_FUID, i->fuid);
    notice_record_str(&r, NF_FILE_MIME_TYPE, i->mime_type);
    if (i->filename && *i->filename)
        notice_record_str(&r, NF_FILE_DESC, i->filename);
    notice_record_str(&r, NF_PROTO, "tcp");
    notice_record_str(&r, NF_NOTE, "Vigil::YARA_Match");
    notice_record_str(&r, NF_MSG, msg);
    notice_record_str(&r, NF_SUB, sub);
    extract_record_emit(i->ctx, &r.hdr);
    size_t used = strlen(s->names);
    if (s->nlen > used)
        snprintf(s->names + used, s->nlen - used, "%s%s", used ? "," : "", rule->identifier);
}

static int yara_on_scan(YR_SCAN_CONTEXT *ctx, int message, void *data, void *arg)
{
    struct yara_scan *s = arg;
    (void)ctx;
    if (message != CALLBACK_MSG_RULE_MATCHING)
        return CALLBACK_CONTINUE;
    yara_notice(s, data);
    return ++s->n >= YARA_MATCHES_MAX ? CALLBACK_ABORT : CALLBACK_CONTINUE;
}

size_t extract_yara_scan(const struct extract_info *info, const char *path, int64_t ts,
                         char *names, size_t nlen)
{
    if (nlen)
        names[0] = 0;
    if (!yara_rules || !path || info->seen_bytes == 0)
        return 0;
    struct yara_scan s = {.info = info, .ts = ts, .names = names, .nlen = nlen};
    yr_rules_scan_file(yara_rules, path, 0, yara_on_scan, &s, YARA_SCAN_TIMEOUT_S);
    return s.n;
}
