/*
 * stats_estimate.c - the full-content storage estimate and the number
 * handling around it.
 *
 * Follows The Practice of Network Security Monitoring (Bejtlich, 2013),
 * chapter 2, "estimating full content storage": a link averaging R Mbps
 * produces R x (1 byte / 8 bits) x 86,400 s/day megabytes a day, so
 * 100 Mbps needs 1,080,000 MB (1.08 TB) a day.  As in the book (and as
 * disk makers count) every unit here is decimal: 1 MB = 10^6 bytes,
 * 1 TB = 10^12 bytes.  Owns nothing; pure functions.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "stats/stats.h"

double stats_estimate_mb_per_day(double mbps)
{
    return mbps / 8.0 * 86400.0;
}

double stats_estimate_days(double disk_mb, double mbps)
{
    double per_day = stats_estimate_mb_per_day(mbps);
    return per_day > 0 ? disk_mb / per_day : INFINITY;
}

/* strtod on a plain decimal ("12", "2.5", ".5"), no sign, hex, inf or nan.
 * *end is set past the number.  0, or -1. */
static int parse_decimal(const char *s, double *out, const char **end)
{
    if (!s || !(isdigit((unsigned char)s[0]) || (s[0] == '.' && isdigit((unsigned char)s[1]))))
        return -1;
    for (const char *p = s; *p && (isdigit((unsigned char)*p) || *p == '.'); p++)
        if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
            return -1;
    char *e = NULL;
    errno = 0;
    double v = strtod(s, &e);
    if (errno == ERANGE || e == s || !isfinite(v) || v < 0)
        return -1;
    *out = v;
    *end = e;
    return 0;
}

int stats_number_parse(const char *s, double *out)
{
    const char *end;
    double v;
    if (parse_decimal(s, &v, &end) < 0 || *end != '\0' || !(v > 0))
        return -1;
    *out = v;
    return 0;
}

struct size_unit {
    const char *name;
    double bytes; /* bytes in one unit */
};

static const struct size_unit size_units[] = {
    {"", 1.0},   {"B", 1.0},   {"K", 1e3},   {"KB", 1e3},  {"M", 1e6},   {"MB", 1e6},
    {"G", 1e9},  {"GB", 1e9},  {"T", 1e12},  {"TB", 1e12}, {"P", 1e15},  {"PB", 1e15},
};

int stats_size_parse(const char *s, double *mb)
{
    const char *end;
    double v;
    if (parse_decimal(s, &v, &end) < 0)
        return -1;
    if (*end == ' ')
        end++;
    for (size_t i = 0; i < sizeof(size_units) / sizeof(size_units[0]); i++) {
        if (strcasecmp(end, size_units[i].name) == 0) {
            double r = v * size_units[i].bytes / 1e6;
            if (!(r > 0) || !isfinite(r))
                return -1;
            *mb = r;
            return 0;
        }
    }
    return -1;
}

char *stats_format_thousands(double v, char *buf, size_t len)
{
    char digits[64];
    if (!isfinite(v)) {
        snprintf(buf, len, "%s", v > 0 ? "inf" : "nan");
        return buf;
    }
    snprintf(digits, sizeof(digits), "%.0f", fabs(v));
    size_t nd = strlen(digits), o = 0;
    if (v <= -0.5 && o + 1 < len)
        buf[o++] = '-';
    for (size_t i = 0; i < nd && o + 1 < len; i++) {
        if (i > 0 && (nd - i) % 3 == 0) {
            buf[o++] = ',';
            if (o + 1 >= len)
                break;
        }
        buf[o++] = digits[i];
    }
    if (len)
        buf[o < len ? o : len - 1] = '\0';
    return buf;
}

char *stats_format_mb(double mb, char *buf, size_t len)
{
    static const char *units[] = {"MB", "GB", "TB", "PB", "EB"};
    size_t u = 0;
    while (u + 1 < sizeof(units) / sizeof(units[0]) && fabs(mb) >= 1000.0) {
        mb /= 1000.0;
        u++;
    }
    char num[64];
    snprintf(num, sizeof(num), fabs(mb) < 1 && mb != 0 ? "%.3g" : "%.2f", mb);
    char *dot = strchr(num, '.');
    if (dot) {
        char *e = num + strlen(num) - 1;
        while (e > dot && *e == '0')
            *e-- = '\0';
        if (e == dot)
            *e = '\0';
    }
    snprintf(buf, len, "%s %s", num, units[u]);
    return buf;
}
