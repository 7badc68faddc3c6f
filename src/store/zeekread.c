/*
 * zeekread.c - reader of Zeek logs into records of a given record_type.
 *
 * Owns: struct zeek_reader (zeeklog.h), its per-row arena, the content
 * sniffer that tells pcaps from Zeek logs, and store_record_clone().  Used
 * by `vigil sessions -r conn.log` and by retrospective hunting.
 *
 * Formats (told apart line by line: a row that starts with '{' is JSON):
 *   TSV   Zeek's ASCII writer: '#'-lines set the separator ("#separator
 *         \x09"), set separator, empty and unset markers, and the column
 *         names ("#fields"); "#path", "#types", "#open", "#close" and other
 *         comment lines are skipped.  A new #fields line (concatenated logs)
 *         starts a new column map.  Values are decoded as the field's Zeek
 *         type in the record_type table; \xNN escapes are undone.
 *   JSON  LogAscii::use_json=T lines, decoded by jansson; null or absent
 *         keys are unset.
 * Columns are matched to fields by name: a field the log lacks is unset, a
 * column the type does not know is ignored.  Errors are sentences naming
 * the file, the line and the field.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/hex.h"
#include "store/zeeklog.h"

/* ---- a per-row arena: blocks freed together ---- */

struct arena_block {
    struct arena_block *next;
    size_t used, size;
    alignas(max_align_t) unsigned char data[];
};

struct arena {
    struct arena_block *head;
};

static void *arena_alloc(struct arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    struct arena_block *b = a->head;
    if (!b || b->size - b->used < n) {
        size_t size = n > 65536 ? n : 65536;
        b = malloc(sizeof(*b) + size);
        if (!b)
            return NULL;
        b->size = size;
        b->used = 0;
        b->next = a->head;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += n;
    return p;
}

static void arena_reset(struct arena *a, bool all)
{
    struct arena_block *b = a->head;
    while (b && (all || b->next)) {
        struct arena_block *n = b->next;
        free(b);
        b = n;
    }
    a->head = b;
    if (b)
        b->used = 0;
}

/* ---- reader ---- */

struct zeek_reader {
    FILE *f;
    bool own;
    char *path;
    const struct record_type *type;
    char sep, set_sep;
    char empty[32], unset[32];
    int *colmap; /* column -> field index, or -1 */
    size_t ncols;
    bool have_fields;
    char *line;
    size_t linecap;
    unsigned long lineno;
    struct arena arena;
};

#define RERR(...)                                                                             \
    do {                                                                                      \
        char m_[400];                                                                         \
        snprintf(m_, sizeof(m_), __VA_ARGS__);                                                \
        snprintf(err, errlen, "%s line %lu: %s", r->path, r->lineno, m_);                     \
    } while (0)

struct zeek_reader *zeek_reader_open(const char *path, const struct record_type *type, char *err,
                                     size_t errlen)
{
    struct zeek_reader *r = calloc(1, sizeof(*r));
    if (!r || !(r->path = strdup(path))) {
        free(r);
        snprintf(err, errlen, "Out of memory opening %s.", path);
        return NULL;
    }
    if (strcmp(path, "-") == 0) {
        r->f = stdin;
    } else {
        r->f = fopen(path, "r");
        r->own = true;
        if (!r->f) {
            snprintf(err, errlen, "Cannot open %s: %s.", path, strerror(errno));
            free(r->path);
            free(r);
            return NULL;
        }
    }
    r->type = type;
    r->sep = '\t';
    r->set_sep = ',';
    snprintf(r->empty, sizeof(r->empty), "(empty)");
    snprintf(r->unset, sizeof(r->unset), "-");
    return r;
}

void zeek_reader_close(struct zeek_reader *r)
{
    if (!r)
        return;
    if (r->own)
        fclose(r->f);
    arena_reset(&r->arena, true);
    free(r->colmap);
    free(r->line);
    free(r->path);
    free(r);
}

/* Undo \xNN escapes into arena memory. */
static int unescape(struct zeek_reader *r, const char *s, size_t n, struct rstr *out)
{
    char *d = arena_alloc(&r->arena, n + 1);
    size_t o = 0;
    if (!d)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\' && i + 3 < n && s[i + 1] == 'x' && core_hexval((unsigned char)s[i + 2]) >= 0 &&
            core_hexval((unsigned char)s[i + 3]) >= 0) {
            d[o++] = (char)(core_hexval((unsigned char)s[i + 2]) * 16 + core_hexval((unsigned char)s[i + 3]));
            i += 3;
        } else {
            d[o++] = s[i];
        }
    }
    d[o] = '\0';
    out->p = d;
    out->len = o;
    return 0;
}

/* "1454301530.932342" (or "-0.5", "12") -> ns, exactly. */
static int parse_seconds(const char *s, int64_t *ns)
{
    bool neg = false;
    if (*s == '-' || *s == '+')
        neg = *s++ == '-';
    if (!(*s >= '0' && *s <= '9') && *s != '.')
        return -1;
    errno = 0;
    char *end;
    unsigned long long sec = strtoull(s, &end, 10);
    if (errno || sec > 9000000000ULL)
        return -1;
    uint64_t frac = 0;
    int digits = 0;
    if (*end == '.') {
        end++;
        while (*end >= '0' && *end <= '9') {
            if (digits < 9) {
                frac = frac * 10 + (uint64_t)(*end - '0');
                digits++;
            }
            end++;
        }
    }
    if (*end != '\0')
        return -1;
    while (digits++ < 9)
        frac *= 10;
    int64_t v = (int64_t)(sec * 1000000000ULL + frac);
    *ns = neg ? -v : v;
    return 0;
}

static int parse_addr(const char *s, struct raddr *a)
{
    memset(a, 0, sizeof(*a));
    if (inet_pton(AF_INET, s, a->a) == 1) {
        a->family = 4;
        return 0;
    }
    if (inet_pton(AF_INET6, s, a->a) == 1) {
        a->family = 6;
        return 0;
    }
    return -1;
}

static int parse_u64(const char *s, uint64_t *v)
{
    char *end;
    if (*s == '-' || *s == '\0')
        return -1;
    errno = 0;
    unsigned long long x = strtoull(s, &end, 10);
    if (errno || (*end != '\0' && *end != '/')) /* "80/tcp" as Zeek's reader allows */
        return -1;
    *v = x;
    return 0;
}

/* One scalar (or vector element) of type t from text s (NUL-terminated). */
static int parse_scalar(struct zeek_reader *r, enum rtype t, const char *s, size_t n, void *dst)
{
    char tmp[128];
    if (t != RT_STRING && t != RT_ENUM && t != RT_SET_STRING && t != RT_VEC_STRING) {
        struct rstr u;
        if (unescape(r, s, n, &u) < 0 || u.len >= sizeof(tmp))
            return -1;
        memcpy(tmp, u.p, u.len + 1);
        s = tmp;
    }
    char *end;
    switch (t) {
    case RT_TIME:
    case RT_INTERVAL:
    case RT_VEC_INTERVAL:
        return parse_seconds(s, dst);
    case RT_COUNT:
    case RT_PORT:
        return parse_u64(s, dst);
    case RT_VEC_COUNT:
    case RT_INT:
        errno = 0;
        *(int64_t *)dst = strtoll(s, &end, 10);
        return (errno || end == s || *end) ? -1 : 0;
    case RT_DOUBLE:
        errno = 0;
        *(double *)dst = strtod(s, &end);
        return (errno || end == s || *end) ? -1 : 0;
    case RT_BOOL:
        if (strcmp(s, "T") == 0 || strcmp(s, "1") == 0)
            *(bool *)dst = true;
        else if (strcmp(s, "F") == 0 || strcmp(s, "0") == 0)
            *(bool *)dst = false;
        else
            return -1;
        return 0;
    case RT_STRING:
    case RT_ENUM:
    case RT_SET_STRING:
    case RT_VEC_STRING:
        return unescape(r, s, n, dst);
    case RT_ADDR:
    case RT_SET_ADDR:
        return parse_addr(s, dst);
    case RT_SUBNET: {
        struct rsubnet *sn = dst;
        char *slash = strchr(tmp, '/');
        if (!slash)
            return -1;
        *slash = '\0';
        long p = strtol(slash + 1, &end, 10);
        if (*end || p < 0 || p > 128 || parse_addr(tmp, &sn->addr) < 0)
            return -1;
        sn->prefix = (uint8_t)p;
        return 0;
    }
    }
    return -1;
}

static size_t elem_size(enum rtype t)
{
    return t == RT_SET_ADDR ? sizeof(struct raddr)
           : (t == RT_SET_STRING || t == RT_VEC_STRING) ? sizeof(struct rstr)
                                                         : sizeof(int64_t);
}

/* A set/vector column: elements split on the set separator. */
static int parse_vector(struct zeek_reader *r, enum rtype t, char *s, void *dst)
{
    size_t n = 0, cap = 1;
    if (strcmp(s, r->empty) != 0)
        for (const char *p = s; *p; p++)
            cap += *p == r->set_sep;
    else
        cap = 0;
    unsigned char *v = cap ? arena_alloc(&r->arena, cap * elem_size(t)) : NULL;
    if (cap && !v)
        return -1;
    for (char *p = s; cap && n < cap;) {
        char *e = strchr(p, r->set_sep);
        size_t len = e ? (size_t)(e - p) : strlen(p);
        char save = p[len];
        p[len] = '\0';
        int rc = parse_scalar(r, t, p, len, v + n * elem_size(t));
        p[len] = save;
        if (rc < 0)
            return -1;
        n++;
        if (!e)
            break;
        p = e + 1;
    }
    if (t == RT_SET_ADDR)
        *(struct raddrvec *)dst = (struct raddrvec){(const struct raddr *)v, n};
    else if (t == RT_SET_STRING || t == RT_VEC_STRING)
        *(struct rstrvec *)dst = (struct rstrvec){(const struct rstr *)v, n};
    else
        *(struct rnumvec *)dst = (struct rnumvec){(const int64_t *)v, n};
    return 0;
}

static int set_field_text(struct zeek_reader *r, struct record_hdr *rec, int fi, char *s)
{
    const struct record_field *f = &r->type->fields[fi];
    void *dst = (char *)rec + f->offset;
    if (strcmp(s, r->unset) == 0) {
        record_set_unset(rec, (size_t)fi, true);
        return 0;
    }
    int rc;
    if (f->type >= RT_SET_STRING) {
        rc = parse_vector(r, f->type, s, dst);
    } else if ((f->type == RT_STRING || f->type == RT_ENUM) && strcmp(s, r->empty) == 0) {
        *(struct rstr *)dst = (struct rstr){"", 0};
        rc = 0;
    } else {
        rc = parse_scalar(r, f->type, s, strlen(s), dst);
    }
    if (rc == 0)
        record_set_unset(rec, (size_t)fi, false);
    return rc;
}

static void record_reset(const struct record_type *t, struct record_hdr *rec)
{
    memset(rec, 0, t->size);
    rec->type = t;
    for (size_t i = 0; i < t->n_fields; i++)
        record_set_unset(rec, i, true);
}

/* "#separator \x09" and friends; "#fields" builds the column map. */
static int header_line(struct zeek_reader *r, char *line, char *err, size_t errlen)
{
    if (strncmp(line, "#separator ", 11) == 0) {
        struct rstr u;
        if (unescape(r, line + 11, strlen(line + 11), &u) < 0 || u.len != 1) {
            RERR("the #separator line does not name one character.");
            return -1;
        }
        r->sep = u.p[0];
        return 0;
    }
    char *val = strchr(line, r->sep);
    if (!val)
        return 0;
    *val++ = '\0';
    if (strcmp(line, "#set_separator") == 0 && val[0])
        r->set_sep = val[0];
    else if (strcmp(line, "#empty_field") == 0)
        snprintf(r->empty, sizeof(r->empty), "%s", val);
    else if (strcmp(line, "#unset_field") == 0)
        snprintf(r->unset, sizeof(r->unset), "%s", val);
    else if (strcmp(line, "#fields") == 0) {
        size_t n = 1;
        for (const char *p = val; *p; p++)
            n += *p == r->sep;
        free(r->colmap);
        r->colmap = malloc(n * sizeof(int));
        if (!r->colmap) {
            RERR("out of memory.");
            return -1;
        }
        r->ncols = 0;
        for (char *p = val; p;) {
            char *e = strchr(p, r->sep);
            if (e)
                *e = '\0';
            r->colmap[r->ncols++] = record_field_index(r->type, p);
            p = e ? e + 1 : NULL;
        }
        r->have_fields = true;
    }
    return 0;
}

static int tsv_row(struct zeek_reader *r, char *line, struct record_hdr *rec, char *err,
                   size_t errlen)
{
    if (!r->have_fields) {
        RERR("a data row comes before the #fields header; is this a Zeek log?");
        return -1;
    }
    size_t col = 0;
    for (char *p = line; p; col++) {
        char *e = strchr(p, r->sep);
        if (e)
            *e = '\0';
        if (col >= r->ncols) {
            RERR("more columns than the %zu of the #fields header.", r->ncols);
            return -1;
        }
        int fi = r->colmap[col];
        if (fi >= 0 && set_field_text(r, rec, fi, p) < 0) {
            RERR("column %zu (%s) is not a valid %s: '%.60s'.", col + 1, r->type->fields[fi].name,
                 rtype_zeek_name(r->type->fields[fi].type), p);
            return -1;
        }
        p = e ? e + 1 : NULL;
    }
    if (col != r->ncols) {
        RERR("%zu columns where the #fields header has %zu.", col, r->ncols);
        return -1;
    }
    return 1;
}

static int json_scalar(struct zeek_reader *r, enum rtype t, json_t *v, void *dst)
{
    switch (t) {
    case RT_TIME:
    case RT_INTERVAL:
    case RT_VEC_INTERVAL:
        if (!json_is_number(v))
            return -1;
        *(int64_t *)dst = (int64_t)llround(json_number_value(v) * 1e6) * 1000;
        return 0;
    case RT_COUNT:
    case RT_PORT:
    case RT_INT:
    case RT_VEC_COUNT:
        if (!json_is_integer(v))
            return -1;
        *(int64_t *)dst = (int64_t)json_integer_value(v);
        return 0;
    case RT_DOUBLE:
        if (!json_is_number(v))
            return -1;
        *(double *)dst = json_number_value(v);
        return 0;
    case RT_BOOL:
        if (!json_is_boolean(v))
            return -1;
        *(bool *)dst = json_is_true(v);
        return 0;
    default:
        break;
    }
    if (!json_is_string(v))
        return -1;
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (t == RT_STRING || t == RT_ENUM || t == RT_SET_STRING || t == RT_VEC_STRING)
        return unescape(r, s, n, dst);
    if (t == RT_SUBNET || n >= 128)
        return t == RT_SUBNET ? parse_scalar(r, t, s, n, dst) : -1;
    return parse_addr(s, dst);
}

static int json_field(struct zeek_reader *r, struct record_hdr *rec, int fi, json_t *v)
{
    const struct record_field *f = &r->type->fields[fi];
    void *dst = (char *)rec + f->offset;
    if (json_is_null(v))
        return 0;
    if (f->type < RT_SET_STRING) {
        if (json_scalar(r, f->type, v, dst) < 0)
            return -1;
    } else {
        if (!json_is_array(v))
            return -1;
        size_t n = json_array_size(v);
        unsigned char *a = arena_alloc(&r->arena, (n ? n : 1) * elem_size(f->type));
        if (!a)
            return -1;
        for (size_t i = 0; i < n; i++)
            if (json_scalar(r, f->type, json_array_get(v, i), a + i * elem_size(f->type)) < 0)
                return -1;
        if (f->type == RT_SET_ADDR)
            *(struct raddrvec *)dst = (struct raddrvec){(const struct raddr *)a, n};
        else if (f->type == RT_SET_STRING || f->type == RT_VEC_STRING)
            *(struct rstrvec *)dst = (struct rstrvec){(const struct rstr *)a, n};
        else
            *(struct rnumvec *)dst = (struct rnumvec){(const int64_t *)a, n};
    }
    record_set_unset(rec, (size_t)fi, false);
    return 0;
}

static int json_row(struct zeek_reader *r, const char *line, struct record_hdr *rec, char *err,
                    size_t errlen)
{
    json_error_t je;
    json_t *o = json_loads(line, JSON_DECODE_ANY, &je);
    if (!o || !json_is_object(o)) {
        RERR("not a JSON object (%s, column %d).", o ? "another JSON value" : je.text,
             o ? 1 : je.column);
        json_decref(o);
        return -1;
    }
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v)
    {
        int fi = record_field_index(r->type, key);
        if (fi >= 0 && json_field(r, rec, fi, v) < 0) {
            RERR("field %s is not a valid %s.", key, rtype_zeek_name(r->type->fields[fi].type));
            json_decref(o);
            return -1;
        }
    }
    json_decref(o);
    return 1;
}

int zeek_reader_next(struct zeek_reader *r, struct record_hdr *rec, char *err, size_t errlen)
{
    arena_reset(&r->arena, false);
    for (;;) {
        errno = 0;
        ssize_t n = getline(&r->line, &r->linecap, r->f);
        if (n < 0) {
            if (ferror(r->f)) {
                snprintf(err, errlen, "Cannot read %s: %s.", r->path, strerror(errno));
                return -1;
            }
            return 0;
        }
        r->lineno++;
        while (n > 0 && (r->line[n - 1] == '\n' || r->line[n - 1] == '\r'))
            r->line[--n] = '\0';
        if (n == 0)
            continue;
        if (r->line[0] == '#') {
            if (header_line(r, r->line, err, errlen) < 0)
                return -1;
            continue;
        }
        record_reset(r->type, rec);
        if (r->line[0] == '{')
            return json_row(r, r->line, rec, err, errlen);
        return tsv_row(r, r->line, rec, err, errlen);
    }
}

enum zeek_input_kind zeek_input_sniff(const char *path)
{
    unsigned char b[8] = {0};
    FILE *f = fopen(path, "rb");
    if (!f)
        return ZEEK_INPUT_UNKNOWN;
    size_t n = fread(b, 1, sizeof(b), f);
    fclose(f);
    if (n >= 4) {
        uint32_t m = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
        if (m == 0xa1b2c3d4 || m == 0xd4c3b2a1 || m == 0xa1b23c4d || m == 0x4d3cb2a1 ||
            m == 0x0a0d0d0a)
            return ZEEK_INPUT_PCAP;
    }
    size_t i = 0;
    while (i < n && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t'))
        i++;
    if (i < n && b[i] == '#')
        return ZEEK_INPUT_ZEEK_TSV;
    if (i < n && b[i] == '{')
        return ZEEK_INPUT_JSON;
    return ZEEK_INPUT_UNKNOWN;
}

/* ---- deep copy ---- */

static size_t vec_bytes(const struct record_hdr *rec, size_t i, bool copy, unsigned char **cur)
{
    enum rtype t = rec->type->fields[i].type;
    void *v = (char *)rec + rec->type->fields[i].offset;
    size_t total = 0;
    if (t == RT_STRING || t == RT_ENUM) {
        struct rstr *s = v;
        total = s->len + 1;
        if (copy) {
            if (s->len)
                memcpy(*cur, s->p, s->len);
            (*cur)[s->len] = '\0';
            s->p = (const char *)*cur;
            *cur += (total + 7) & ~(size_t)7;
        }
        return (total + 7) & ~(size_t)7;
    }
    if (t < RT_SET_STRING)
        return 0;
    size_t n = t == RT_SET_STRING || t == RT_VEC_STRING ? ((struct rstrvec *)v)->n
               : t == RT_SET_ADDR                       ? ((struct raddrvec *)v)->n
                                                        : ((struct rnumvec *)v)->n;
    const void *src = t == RT_SET_STRING || t == RT_VEC_STRING ? (const void *)((struct rstrvec *)v)->v
                      : t == RT_SET_ADDR ? (const void *)((struct raddrvec *)v)->v
                                         : (const void *)((struct rnumvec *)v)->v;
    size_t arr = (n * elem_size(t) + 7) & ~(size_t)7;
    total = arr;
    struct rstr *dst = NULL;
    if (copy) {
        if (n)
            memcpy(*cur, src, n * elem_size(t));
        if (t == RT_SET_STRING || t == RT_VEC_STRING) {
            ((struct rstrvec *)v)->v = dst = (struct rstr *)*cur;
        } else if (t == RT_SET_ADDR) {
            ((struct raddrvec *)v)->v = (const struct raddr *)*cur;
        } else {
            ((struct rnumvec *)v)->v = (const int64_t *)*cur;
        }
        *cur += arr;
    }
    if (t == RT_SET_STRING || t == RT_VEC_STRING) {
        const struct rstr *sv = src;
        for (size_t k = 0; k < n; k++) {
            size_t sl = (sv[k].len + 1 + 7) & ~(size_t)7;
            total += sl;
            if (copy) {
                if (sv[k].len)
                    memcpy(*cur, sv[k].p, sv[k].len);
                (*cur)[sv[k].len] = '\0';
                dst[k].p = (const char *)*cur;
                *cur += sl;
            }
        }
    }
    return total;
}

struct record_hdr *store_record_clone(const struct record_hdr *rec)
{
    const struct record_type *t = rec->type;
    size_t base = (t->size + 15) & ~(size_t)15, extra = 0;
    for (size_t i = 0; i < t->n_fields; i++)
        if (!record_unset(rec, i))
            extra += vec_bytes(rec, i, false, NULL);
    unsigned char *blk = malloc(base + extra + 1);
    if (!blk)
        return NULL;
    memcpy(blk, rec, t->size);
    struct record_hdr *c = (struct record_hdr *)blk;
    unsigned char *cur = blk + base;
    for (size_t i = 0; i < t->n_fields; i++) {
        if (record_unset(c, i))
            continue;
        vec_bytes(c, i, true, &cur);
    }
    return c;
}
