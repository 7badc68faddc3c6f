/*
 * pcapquery_time.c - the times of `vigil pcap`: parsing --start/--end
 * (epoch seconds, ISO 8601, "now", relative "-1h") and finding the time a
 * uid's session spans from the sensor's conn.logs, so that a --uid query
 * opens only the indexes of the files around it.
 *
 * conn.logs are Zeek TSV ("#fields" names the ts and duration columns) or
 * JSON (one object a line, "ts" and "duration" keys); each is mapped and
 * searched for the uid as a whole field.  Owns nothing past a call.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/pcapquery.h"

/* ------------------------------------------------- uid bounds (conn.log) */

/* "1478102400.123456" -> ns; -1 when it is not a decimal number. */
static int pq_decimal_ns(const char *s, size_t len, int64_t *ns)
{
    int64_t sec = 0, frac = 0, scale = 1000000000LL;
    size_t i = 0;
    if (i == len || s[i] < '0' || s[i] > '9')
        return -1;
    while (i < len && s[i] >= '0' && s[i] <= '9' && sec < 100000000000LL)
        sec = sec * 10 + (s[i++] - '0');
    if (i < len && s[i] == '.')
        for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++)
            if (scale > 1) {
                scale /= 10;
                frac += (s[i] - '0') * scale;
            }
    if (i != len)
        return -1;
    *ns = sec * 1000000000LL + frac;
    return 0;
}

/* Column number of name in a "#fields\t..." line, or -1. */
static int pq_tsv_column(const char *fields, const char *end, const char *name)
{
    int col = 0;
    const char *p = fields;
    size_t nl = strlen(name);
    while (p < end) {
        const char *t = memchr(p, '\t', (size_t)(end - p));
        if (!t)
            t = end;
        if ((size_t)(t - p) == nl && memcmp(p, name, nl) == 0)
            return col;
        col++;
        p = t + 1;
    }
    return -1;
}

/* Field col of a TSV line. */
static int pq_tsv_field(const char *line, const char *end, int col, const char **f, size_t *len)
{
    const char *p = line;
    for (int c = 0; p <= end; c++) {
        const char *t = memchr(p, '\t', (size_t)(end - p));
        if (!t)
            t = end;
        if (c == col) {
            *f = p;
            *len = (size_t)(t - p);
            return 0;
        }
        p = t + 1;
    }
    return -1;
}

static int pq_conn_line_tsv(const char *map, size_t size, const char *line, const char *end,
                            int64_t *first, int64_t *last)
{
    const char *fl = memmem(map, size, "#fields\t", 8);
    if (!fl)
        return 0;
    fl += 8;
    const char *fe = memchr(fl, '\n', size - (size_t)(fl - map));
    if (!fe)
        return 0;
    int cts = pq_tsv_column(fl, fe, "ts"), cdur = pq_tsv_column(fl, fe, "duration");
    const char *v;
    size_t vl;
    if (cts < 0 || pq_tsv_field(line, end, cts, &v, &vl) < 0 || pq_decimal_ns(v, vl, first) < 0)
        return 0;
    int64_t dur = 0;
    if (cdur >= 0 && pq_tsv_field(line, end, cdur, &v, &vl) == 0 && pq_decimal_ns(v, vl, &dur) < 0)
        dur = 0;
    *last = *first + dur;
    return 1;
}

/* "key":number in a JSON line (Zeek's JSON writes each key once). */
static int pq_json_number(const char *line, const char *end, const char *key, int64_t *ns)
{
    char pat[32];
    int n = snprintf(pat, sizeof(pat), "\"%s\":", key);
    const char *p = memmem(line, (size_t)(end - line), pat, (size_t)n);
    if (!p)
        return -1;
    p += n;
    const char *q = p;
    while (q < end && ((*q >= '0' && *q <= '9') || *q == '.'))
        q++;
    return pq_decimal_ns(p, (size_t)(q - p), ns);
}

/* Look for uid in one conn.log. */
static int pq_conn_find(const char *path, const char *uid, int64_t *first, int64_t *last)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    int found = 0;
    if (fd < 0)
        return 0;
    if (fstat(fd, &sb) < 0 || sb.st_size == 0) {
        close(fd);
        return 0;
    }
    size_t size = (size_t)sb.st_size, ul = strlen(uid);
    const char *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED)
        return 0;
    const char *p = map, *mend = map + size;
    while (!found && (p = memmem(p, (size_t)(mend - p), uid, ul)) != NULL) {
        const char *a = p;
        p += ul;
        if (a == map || p >= mend || !(a[-1] == '\t' || a[-1] == '"') ||
            !(*p == '\t' || *p == '"' || *p == '\n'))
            continue;
        const char *line = a;
        while (line > map && line[-1] != '\n')
            line--;
        const char *end = memchr(p, '\n', (size_t)(mend - p));
        if (!end)
            end = mend;
        if (*line == '{') {
            int64_t dur = 0;
            if (pq_json_number(line, end, "ts", first) == 0) {
                if (pq_json_number(line, end, "duration", &dur) < 0)
                    dur = 0;
                *last = *first + dur;
                found = 1;
            }
        } else if (*line != '#') {
            found = pq_conn_line_tsv(map, size, line, end, first, last);
        }
    }
    munmap((void *)map, size);
    return found;
}

/* Each conn*.log under dir (one level of day directories, or none). */
static int pq_conn_walk(const char *dir, int depth, const char *uid, int64_t *first,
                        int64_t *last)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int found = 0;
    if (!d)
        return 0;
    while (!found && (de = readdir(d)) != NULL) {
        char path[4096];
        struct stat sb;
        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        if (stat(path, &sb) < 0)
            continue;
        if (S_ISDIR(sb.st_mode) && depth > 0)
            found = pq_conn_walk(path, depth - 1, uid, first, last);
        else if (S_ISREG(sb.st_mode) && strncmp(de->d_name, "conn", 4) == 0 &&
                 strstr(de->d_name, ".log") && !strstr(de->d_name, ".gz"))
            found = pq_conn_find(path, uid, first, last);
    }
    closedir(d);
    return found;
}

int pcapquery_uid_bounds(const char *data_dir, const char *sensor, const char *uid,
                         int64_t *first_ns, int64_t *last_ns)
{
    char path[4096];
    if (!uid || !*uid)
        return 0;
    if (sensor) {
        snprintf(path, sizeof(path), "%s/sensor_data/%s/logs", data_dir, sensor);
        return pq_conn_walk(path, 1, uid, first_ns, last_ns);
    }
    snprintf(path, sizeof(path), "%s/sensor_data", data_dir);
    DIR *d = opendir(path);
    struct dirent *de;
    int found = 0;
    if (!d)
        return 0;
    while (!found && (de = readdir(d)) != NULL) {
        char logs[4400];
        if (de->d_name[0] == '.')
            continue;
        snprintf(logs, sizeof(logs), "%s/%s/logs", path, de->d_name);
        found = pq_conn_walk(logs, 1, uid, first_ns, last_ns);
    }
    closedir(d);
    return found;
}

/* ------------------------------------------------------------ time */

/* n digits at *p as a number; advances *p.  -1 when they are not digits. */
static int pq_digits(const char **p, int n, int *v)
{
    *v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return -1;
        *v = *v * 10 + (c - '0');
    }
    *p += n;
    return 0;
}

/* Optional ".fraction" then "Z", "+HH:MM", "+HHMM", "-HH" or nothing (UTC). */
static int pq_iso_tail(const char *p, int64_t *frac_ns, int64_t *off_s)
{
    *frac_ns = 0;
    *off_s = 0;
    if (*p == '.' || *p == ',') {
        int64_t scale = 100000000;
        for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
            *frac_ns += (*p - '0') * scale;
    }
    if (*p == 'Z' || *p == 'z')
        return p[1] ? -1 : 0;
    if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1, hh, mm = 0;
        p++;
        if (pq_digits(&p, 2, &hh) < 0)
            return -1;
        if (*p == ':')
            p++;
        if (*p && pq_digits(&p, 2, &mm) < 0)
            return -1;
        *off_s = sign * (hh * 3600 + mm * 60);
    }
    return *p ? -1 : 0;
}

static int pq_time_iso(const char *s, int64_t *ns)
{
    const char *p = s;
    int y, mo, d, h = 0, mi = 0, se = 0;
    int64_t frac = 0, off = 0;
    if (pq_digits(&p, 4, &y) < 0 || *p++ != '-' || pq_digits(&p, 2, &mo) < 0 || *p++ != '-' ||
        pq_digits(&p, 2, &d) < 0)
        return -1;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        if (pq_digits(&p, 2, &h) < 0 || *p++ != ':' || pq_digits(&p, 2, &mi) < 0)
            return -1;
        if (*p == ':' && (p++, pq_digits(&p, 2, &se) < 0))
            return -1;
        if (pq_iso_tail(p, &frac, &off) < 0)
            return -1;
    } else if (*p) {
        return -1;
    }
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
        return -1;
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
                    .tm_hour = h, .tm_min = mi, .tm_sec = se};
    time_t t = timegm(&tm);
    *ns = ((int64_t)t - off) * 1000000000LL + frac;
    return 0;
}

int pcapquery_time_parse(const char *s, int64_t now_ns, int64_t *ns, char *err, size_t errlen)
{
    size_t len = s ? strlen(s) : 0;
    if (len == 0)
        goto bad;
    if (strcmp(s, "now") == 0) {
        *ns = now_ns;
        return 0;
    }
    if ((s[0] == '-' || s[0] == '+') && len >= 3 && strchr("smhdw", s[len - 1])) {
        char *end;
        errno = 0;
        long long v = strtoll(s + 1, &end, 10);
        static const int64_t unit[] = {1, 60, 3600, 86400, 604800};
        if (errno || end != s + len - 1 || v < 0 || v > 100LL * 365 * 86400)
            goto bad;
        int64_t u = unit[strchr("smhdw", s[len - 1]) - "smhdw"];
        int64_t d = (int64_t)v * u * 1000000000LL;
        *ns = s[0] == '-' ? now_ns - d : now_ns + d;
        return 0;
    }
    if (len > 4 && s[4] == '-')
        return pq_time_iso(s, ns) == 0 ? 0 : (snprintf(err, errlen, "'%s' is not a time: "
               "ISO 8601 is YYYY-MM-DD[THH:MM[:SS[.frac]]][Z|+HH:MM]", s), -1);
    if (pq_decimal_ns(s, len, ns) == 0)
        return 0;
bad:
    snprintf(err, errlen, "'%s' is not a time: give epoch seconds (1478102400[.5]), ISO 8601 "
             "(2026-11-02T09:00:00Z, '2026-11-02 09:00:00'), 'now' or relative (-1h, -30m, "
             "-90s, -2d, -1w)", s ? s : "");
    return -1;
}

