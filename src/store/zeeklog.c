/*
 * zeeklog.c - Zeek log writer (TSV and JSON lines), generic over record types.
 *
 * Owns: the output_zeek_open() / output_zeek_open_stream() outputs of
 * store/output.h and the value formatting every other module reuses to show
 * a field as Zeek shows it (zeeklog.h).  Knows no log by name: it walks the
 * record_type field table of whatever record it is handed and opens one
 * stream per record type (dir/<path>.log) on the first record of that type.
 *
 * Spec followed: Zeek's ASCII log writer as Zeek 8 writes it.
 *   TSV   header "#separator \x09", "#set_separator\t,", "#empty_field\t(empty)",
 *         "#unset_field\t-", "#path\t<path>", "#open\t%Y-%m-%d-%H-%M-%S" (local
 *         time), "#fields", "#types", then rows, then "#close\t<time>".
 *         Values: unset "-"; empty string or set "(empty)"; time and interval
 *         "%.6f" seconds; count, port, int as integers; bool T/F; addresses
 *         in canonical text (IPv4 dotted); set elements joined with ",".
 *         Strings: backslash, the separator, (inside sets) the set separator
 *         and bytes that are neither printable ASCII nor part of a valid
 *         UTF-8 sequence become \xNN (lower-case hex); a string that equals
 *         "-" or "(empty)" gets its first byte escaped so it cannot be read
 *         back as unset/empty.
 *   JSON  LogAscii::use_json=T: one object per line, fields in table order,
 *         unset fields omitted, time/interval as numbers of epoch seconds in
 *         the shortest form that reads back to the same double (as Zeek's
 *         JSON writer prints doubles), sets and vectors as arrays, bools
 *         true/false, counts and ports as integers; bytes that are not
 *         valid UTF-8 are written as the text \xNN.  Every JSON token is
 *         encoded by jansson.
 * Writes are buffered (1 MiB stdio buffers); flush() pushes them out.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "store/output.h"
#include "store/zeeklog.h"

#define ZEEK_MAX_STREAMS 32
#define ZEEK_STREAM_BUF (1 << 20)

/* ---- growable buffer ---- */

int zbuf_put(struct zbuf *b, const void *data, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *np = realloc(b->p, cap);
        if (!np)
            return -1;
        b->p = np;
        b->cap = cap;
    }
    if (n)
        memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

int zbuf_puts(struct zbuf *b, const char *s)
{
    return zbuf_put(b, s, strlen(s));
}

void zbuf_free(struct zbuf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

/* ---- value text ---- */

void zeek_time_text(int64_t ns, char *buf, size_t len)
{
    bool neg = ns < 0;
    uint64_t u = neg ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
    uint64_t us = (u + 500) / 1000; /* round to the microsecond */
    snprintf(buf, len, "%s%" PRIu64 ".%06" PRIu64, neg ? "-" : "", us / 1000000, us % 1000000);
}

/* Length of the valid UTF-8 sequence at p (multi-byte only), or 0. */
static size_t utf8_seq_len(const unsigned char *p, size_t n)
{
    size_t need;
    unsigned char c = p[0];
    if (c >= 0xc2 && c <= 0xdf)
        need = 2;
    else if (c >= 0xe0 && c <= 0xef)
        need = 3;
    else if (c >= 0xf0 && c <= 0xf4)
        need = 4;
    else
        return 0;
    if (n < need)
        return 0;
    for (size_t i = 1; i < need; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    if (c == 0xe0 && p[1] < 0xa0)
        return 0; /* overlong */
    if (c == 0xed && p[1] > 0x9f)
        return 0; /* surrogate */
    if (c == 0xf0 && p[1] < 0x90)
        return 0; /* overlong */
    if (c == 0xf4 && p[1] > 0x8f)
        return 0; /* beyond U+10FFFF */
    return need;
}

static int put_hex(struct zbuf *b, unsigned char c)
{
    char hex[5];
    snprintf(hex, sizeof(hex), "\\x%02x", c);
    return zbuf_put(b, hex, 4);
}

/* A string value for the TSV writer; in_set escapes the set separator. */
static int put_tsv_string(struct zbuf *b, const char *s, size_t n, bool in_set)
{
    const unsigned char *p = (const unsigned char *)s;
    if (n == 0)
        return zbuf_puts(b, "(empty)");
    size_t i = 0;
    if ((n == 1 && p[0] == '-') || (n == 7 && memcmp(p, "(empty)", 7) == 0)) {
        if (put_hex(b, p[0]) < 0)
            return -1;
        i = 1;
    }
    while (i < n) {
        size_t run = i;
        while (run < n && p[run] >= 0x20 && p[run] < 0x7f && p[run] != '\\' &&
               !(in_set && p[run] == ','))
            run++;
        if (run > i && zbuf_put(b, p + i, run - i) < 0)
            return -1;
        i = run;
        if (i >= n)
            break;
        size_t u = p[i] >= 0x80 ? utf8_seq_len(p + i, n - i) : 0;
        if (u) {
            if (zbuf_put(b, p + i, u) < 0)
                return -1;
            i += u;
        } else {
            if (put_hex(b, p[i]) < 0)
                return -1;
            i++;
        }
    }
    return 0;
}

static void addr_text(const struct raddr *a, char *buf, size_t len)
{
    if (!inet_ntop(a->family == 6 ? AF_INET6 : AF_INET, a->a, buf, (socklen_t)len))
        snprintf(buf, len, "-");
}

static void double_text(double d, char *buf, size_t len)
{
    snprintf(buf, len, "%.6f", d);
    char *dot = strchr(buf, '.');
    if (!dot)
        return;
    char *e = buf + strlen(buf) - 1;
    while (e > dot + 1 && *e == '0')
        *e-- = '\0';
}

static int put_vector(struct zbuf *b, const struct record_hdr *rec, size_t field)
{
    const void *v = record_field_ptr(rec, field);
    enum rtype t = rec->type->fields[field].type;
    char tmp[64];
    size_t n;
    if (t == RT_SET_STRING || t == RT_VEC_STRING)
        n = ((const struct rstrvec *)v)->n;
    else if (t == RT_SET_ADDR)
        n = ((const struct raddrvec *)v)->n;
    else
        n = ((const struct rnumvec *)v)->n;
    if (n == 0)
        return zbuf_puts(b, "(empty)");
    for (size_t i = 0; i < n; i++) {
        if (i && zbuf_put(b, ",", 1) < 0)
            return -1;
        int rc = 0;
        if (t == RT_SET_STRING || t == RT_VEC_STRING) {
            const struct rstr *s = &((const struct rstrvec *)v)->v[i];
            rc = put_tsv_string(b, s->p, s->len, true);
        } else if (t == RT_SET_ADDR) {
            addr_text(&((const struct raddrvec *)v)->v[i], tmp, sizeof(tmp));
            rc = zbuf_puts(b, tmp);
        } else if (t == RT_VEC_INTERVAL) {
            zeek_time_text(((const struct rnumvec *)v)->v[i], tmp, sizeof(tmp));
            rc = zbuf_puts(b, tmp);
        } else {
            snprintf(tmp, sizeof(tmp), "%" PRId64, ((const struct rnumvec *)v)->v[i]);
            rc = zbuf_puts(b, tmp);
        }
        if (rc < 0)
            return -1;
    }
    return 0;
}

int zeek_field_tsv(struct zbuf *b, const struct record_hdr *rec, size_t field)
{
    char tmp[80];
    if (record_unset(rec, field))
        return zbuf_put(b, "-", 1);
    const void *v = record_field_ptr(rec, field);
    switch (rec->type->fields[field].type) {
    case RT_TIME:
    case RT_INTERVAL:
        zeek_time_text(*(const int64_t *)v, tmp, sizeof(tmp));
        break;
    case RT_COUNT:
    case RT_PORT:
        snprintf(tmp, sizeof(tmp), "%" PRIu64, *(const uint64_t *)v);
        break;
    case RT_INT:
        snprintf(tmp, sizeof(tmp), "%" PRId64, *(const int64_t *)v);
        break;
    case RT_DOUBLE:
        double_text(*(const double *)v, tmp, sizeof(tmp));
        break;
    case RT_BOOL:
        snprintf(tmp, sizeof(tmp), "%s", *(const bool *)v ? "T" : "F");
        break;
    case RT_STRING:
    case RT_ENUM: {
        const struct rstr *s = v;
        return put_tsv_string(b, s->p, s->len, false);
    }
    case RT_ADDR:
        addr_text(v, tmp, sizeof(tmp));
        break;
    case RT_SUBNET: {
        const struct rsubnet *sn = v;
        char a[64];
        addr_text(&sn->addr, a, sizeof(a));
        snprintf(tmp, sizeof(tmp), "%s/%u", a, sn->prefix);
        break;
    }
    default:
        return put_vector(b, rec, field);
    }
    return zbuf_puts(b, tmp);
}

/* ---- JSON ---- */

/* Text that is valid UTF-8: bytes that are not become the text \xNN. */
static char *utf8_clean(const char *s, size_t n, size_t *outlen)
{
    struct zbuf b = {0};
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    if (zbuf_put(&b, "", 0) < 0)
        return NULL;
    while (i < n) {
        size_t u = p[i] >= 0x80 ? utf8_seq_len(p + i, n - i) : (p[i] ? 1 : 0);
        int rc = u ? zbuf_put(&b, p + i, u) : put_hex(&b, p[i]);
        if (rc < 0) {
            zbuf_free(&b);
            return NULL;
        }
        i += u ? u : 1;
    }
    *outlen = b.len;
    return b.p;
}

static json_t *json_rstr(const struct rstr *s)
{
    size_t n;
    char *c = utf8_clean(s->p ? s->p : "", s->p ? s->len : 0, &n);
    if (!c)
        return NULL;
    json_t *j = json_stringn(c, n);
    free(c);
    return j;
}

static json_t *json_addr(const struct raddr *a)
{
    char tmp[64];
    addr_text(a, tmp, sizeof(tmp));
    return json_string(tmp);
}

/* Shortest "%.*g" precision that reads back to d (what Zeek's writer prints). */
static int shortest_precision(double d)
{
    char tmp[64];
    for (int p = 1; p < 17; p++) {
        snprintf(tmp, sizeof(tmp), "%.*g", p, d);
        if (strtod(tmp, NULL) == d)
            return p;
    }
    return 17;
}

static double ns_to_seconds(int64_t ns)
{
    char tmp[48];
    bool neg = ns < 0;
    uint64_t u = neg ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
    snprintf(tmp, sizeof(tmp), "%s%" PRIu64 ".%09" PRIu64, neg ? "-" : "", u / 1000000000,
             u % 1000000000);
    return strtod(tmp, NULL);
}

static json_t *json_vector(const struct record_hdr *rec, size_t field, double *dbl)
{
    const void *v = record_field_ptr(rec, field);
    enum rtype t = rec->type->fields[field].type;
    json_t *arr = json_array();
    size_t n = t == RT_SET_STRING || t == RT_VEC_STRING ? ((const struct rstrvec *)v)->n
               : t == RT_SET_ADDR                       ? ((const struct raddrvec *)v)->n
                                                        : ((const struct rnumvec *)v)->n;
    *dbl = 0;
    for (size_t i = 0; arr && i < n; i++) {
        json_t *e;
        if (t == RT_SET_STRING || t == RT_VEC_STRING)
            e = json_rstr(&((const struct rstrvec *)v)->v[i]);
        else if (t == RT_SET_ADDR)
            e = json_addr(&((const struct raddrvec *)v)->v[i]);
        else if (t == RT_VEC_INTERVAL)
            e = json_real(ns_to_seconds(((const struct rnumvec *)v)->v[i]));
        else
            e = json_integer(((const struct rnumvec *)v)->v[i]);
        if (!e || json_array_append_new(arr, e) < 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

/* The JSON value of one set field; *dbl is the double it holds, if any. */
static json_t *json_field(const struct record_hdr *rec, size_t field, double *dbl)
{
    const void *v = record_field_ptr(rec, field);
    *dbl = 0;
    switch (rec->type->fields[field].type) {
    case RT_TIME:
    case RT_INTERVAL:
        *dbl = ns_to_seconds(*(const int64_t *)v);
        return json_real(*dbl);
    case RT_COUNT:
    case RT_PORT:
        return json_integer((json_int_t) * (const uint64_t *)v);
    case RT_INT:
        return json_integer((json_int_t) * (const int64_t *)v);
    case RT_DOUBLE:
        *dbl = *(const double *)v;
        return json_real(*dbl);
    case RT_BOOL:
        return json_boolean(*(const bool *)v);
    case RT_STRING:
    case RT_ENUM:
        return json_rstr(v);
    case RT_ADDR:
        return json_addr(v);
    case RT_SUBNET: {
        struct zbuf b = {0};
        if (zeek_field_tsv(&b, rec, field) < 0)
            return NULL;
        json_t *j = json_string(b.p);
        zbuf_free(&b);
        return j;
    }
    default:
        return json_vector(rec, field, dbl);
    }
}

/* Append the jansson encoding of j (consumed) to b. */
static int put_json(struct zbuf *b, json_t *j, int precision)
{
    if (!j)
        return -1;
    size_t flags = JSON_ENCODE_ANY | JSON_COMPACT;
    if (precision > 0)
        flags |= JSON_REAL_PRECISION(precision);
    char *s = json_dumps(j, flags);
    json_decref(j);
    if (!s)
        return -1;
    int rc = zbuf_puts(b, s);
    free(s);
    return rc;
}

static int record_json_into(struct zbuf *b, const struct record_hdr *rec)
{
    const struct record_type *t = rec->type;
    bool first = true;
    if (zbuf_put(b, "{", 1) < 0)
        return -1;
    for (size_t i = 0; i < t->n_fields; i++) {
        if (record_unset(rec, i))
            continue;
        double d;
        json_t *v = json_field(rec, i, &d);
        if (!v)
            return -1;
        enum rtype ft = t->fields[i].type;
        int prec = (ft == RT_TIME || ft == RT_INTERVAL || ft == RT_DOUBLE) ? shortest_precision(d)
                   : ft == RT_VEC_INTERVAL                                ? 17
                                                                          : 0;
        if ((!first && zbuf_put(b, ",", 1) < 0) || put_json(b, json_string(t->fields[i].name), 0) < 0 ||
            zbuf_put(b, ":", 1) < 0 || put_json(b, v, prec) < 0)
            return -1;
        first = false;
    }
    return zbuf_put(b, "}", 1);
}

char *zeek_record_json(const struct record_hdr *rec)
{
    struct zbuf b = {0};
    if (record_json_into(&b, rec) < 0) {
        zbuf_free(&b);
        return NULL;
    }
    return b.p;
}

/* ---- the output ---- */

struct zeek_stream {
    const struct record_type *type;
    FILE *f;
    char *vbuf;
};

struct zeek_output {
    struct output base;
    enum zeek_log_format fmt;
    char *dir;   /* NULL: everything to `single` */
    FILE *single;
    struct zeek_stream streams[ZEEK_MAX_STREAMS];
    int nstreams;
    struct zbuf line;
};

static void zeek_now_text(char *buf, size_t len)
{
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(buf, len, "%Y-%m-%d-%H-%M-%S", &tm);
}

static int zeek_write_header(struct zeek_output *zo, struct zeek_stream *s)
{
    const struct record_type *t = s->type;
    char when[32];
    zeek_now_text(when, sizeof(when));
    fprintf(s->f,
            "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n"
            "#path\t%s\n#open\t%s\n#fields",
            t->path, when);
    for (size_t i = 0; i < t->n_fields; i++)
        fprintf(s->f, "\t%s", t->fields[i].name);
    fputs("\n#types", s->f);
    for (size_t i = 0; i < t->n_fields; i++)
        fprintf(s->f, "\t%s", rtype_zeek_name(t->fields[i].type));
    fputc('\n', s->f);
    (void)zo;
    return ferror(s->f) ? -1 : 0;
}

static struct zeek_stream *zeek_stream_get(struct zeek_output *zo, const struct record_type *t)
{
    for (int i = 0; i < zo->nstreams; i++)
        if (zo->streams[i].type == t)
            return &zo->streams[i];
    if (zo->nstreams == ZEEK_MAX_STREAMS) {
        snprintf(zo->base.err, sizeof(zo->base.err),
                 "Too many log types (more than %d) for one Zeek log output.", ZEEK_MAX_STREAMS);
        return NULL;
    }
    struct zeek_stream *s = &zo->streams[zo->nstreams];
    s->type = t;
    if (zo->dir) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s.log", zo->dir, t->path);
        s->f = fopen(path, "w");
        if (!s->f) {
            snprintf(zo->base.err, sizeof(zo->base.err), "Cannot create %.300s: %s.", path,
                     strerror(errno));
            return NULL;
        }
        s->vbuf = malloc(ZEEK_STREAM_BUF);
        if (s->vbuf)
            setvbuf(s->f, s->vbuf, _IOFBF, ZEEK_STREAM_BUF);
    } else {
        s->f = zo->single;
    }
    zo->nstreams++;
    if (zo->fmt == ZEEK_LOG_TSV && zeek_write_header(zo, s) < 0) {
        snprintf(zo->base.err, sizeof(zo->base.err), "Cannot write the header of %s.log.",
                 t->path);
        return NULL;
    }
    return s;
}

static int zeek_out_write(struct output *out, const struct record_hdr *rec)
{
    struct zeek_output *zo = (struct zeek_output *)out;
    struct zeek_stream *s = zeek_stream_get(zo, rec->type);
    if (!s)
        return -1;
    zo->line.len = 0;
    int rc = 0;
    if (zo->fmt == ZEEK_LOG_JSON) {
        rc = record_json_into(&zo->line, rec);
    } else {
        for (size_t i = 0; rc == 0 && i < rec->type->n_fields; i++) {
            if (i)
                rc = zbuf_put(&zo->line, "\t", 1);
            if (rc == 0)
                rc = zeek_field_tsv(&zo->line, rec, i);
        }
    }
    if (rc == 0)
        rc = zbuf_put(&zo->line, "\n", 1);
    if (rc < 0) {
        snprintf(out->err, sizeof(out->err), "Out of memory formatting a %s record.",
                 rec->type->path);
        return -1;
    }
    if (fwrite(zo->line.p, 1, zo->line.len, s->f) != zo->line.len) {
        snprintf(out->err, sizeof(out->err), "Cannot write %s.log: %s.", rec->type->path,
                 strerror(errno));
        return -1;
    }
    return 0;
}

static int zeek_out_flush(struct output *out)
{
    struct zeek_output *zo = (struct zeek_output *)out;
    for (int i = 0; i < zo->nstreams; i++)
        if (fflush(zo->streams[i].f) != 0) {
            snprintf(out->err, sizeof(out->err), "Cannot write %s.log: %s.",
                     zo->streams[i].type->path, strerror(errno));
            return -1;
        }
    return 0;
}

static int zeek_out_rotate(struct output *out, int64_t now_ns)
{
    (void)now_ns;
    return zeek_out_flush(out);
}

static void zeek_out_close(struct output *out)
{
    struct zeek_output *zo = (struct zeek_output *)out;
    char when[32];
    zeek_now_text(when, sizeof(when));
    for (int i = 0; i < zo->nstreams; i++) {
        struct zeek_stream *s = &zo->streams[i];
        if (zo->fmt == ZEEK_LOG_TSV)
            fprintf(s->f, "#close\t%s\n", when);
        if (zo->dir)
            fclose(s->f);
        else
            fflush(s->f);
        free(s->vbuf);
    }
    zbuf_free(&zo->line);
    free(zo->dir);
    free(zo);
}

static const struct output_ops zeek_output_ops = {
    .name = "zeek",
    .write = zeek_out_write,
    .flush = zeek_out_flush,
    .rotate = zeek_out_rotate,
    .close = zeek_out_close,
};

static struct zeek_output *zeek_output_new(enum zeek_log_format fmt, char *err, size_t errlen)
{
    struct zeek_output *zo = calloc(1, sizeof(*zo));
    if (!zo) {
        snprintf(err, errlen, "Out of memory opening a Zeek log output.");
        return NULL;
    }
    zo->base.ops = &zeek_output_ops;
    zo->fmt = fmt;
    return zo;
}

struct output *output_zeek_open(const char *dir, enum zeek_log_format fmt, char *err,
                                size_t errlen)
{
    struct stat st;
    if (stat(dir, &st) != 0 && mkdir(dir, 0755) != 0) {
        snprintf(err, errlen, "Cannot create the log directory %s: %s.", dir, strerror(errno));
        return NULL;
    }
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s is not a directory.", dir);
        return NULL;
    }
    struct zeek_output *zo = zeek_output_new(fmt, err, errlen);
    if (!zo)
        return NULL;
    zo->dir = strdup(dir);
    if (!zo->dir) {
        free(zo);
        snprintf(err, errlen, "Out of memory opening a Zeek log output.");
        return NULL;
    }
    return &zo->base;
}

struct output *output_zeek_open_stream(FILE *f, enum zeek_log_format fmt, char *err,
                                       size_t errlen)
{
    struct zeek_output *zo = zeek_output_new(fmt, err, errlen);
    if (!zo)
        return NULL;
    zo->single = f;
    return &zo->base;
}
