/*
 * rule_util.c - small bounded helpers the rule parser's files share:
 * error sentences, trimming and unquoting, splitting option values on a
 * separator outside quotes, strict number parsing (no atoi: every number
 * is checked for garbage, sign and range), the numeric comparison syntax
 * of dsize/ttl/urilen/bsize ("N", "<N", ">N", "<=N", ">=N", "!N",
 * "N<>M"), and adding elements to a rule's per-buffer lists.
 *
 * Grammar of a comparison (Suricata rules reference, "dsize" and
 * "Integer keywords"):
 *     num  := ["!" | "<" | ">" | "<=" | ">=" | "="] N | N "<>" N | N "-" N
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/rule_int.h"

int rule_fail(struct rule_pctx *p, int kind, const char *fmt, ...)
{
    struct rule_error *e = p->e;
    char what[RULE_ERR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (e->kind != RULE_ERR_NONE)
        return -1; /* keep the first error */
    e->kind = (uint8_t)kind;
    snprintf(e->keyword, sizeof e->keyword, "%s", p->kw ? p->kw : "syntax");
    char sid[32] = "without sid";
    if (e->sid)
        snprintf(sid, sizeof sid, "sid %u", e->sid);
    if (kind == RULE_ERR_UNSUPPORTED)
        snprintf(e->msg, sizeof e->msg, "%.200s:%u: rule %s: %.250s", p->file, p->line, sid,
                 what);
    else
        snprintf(e->msg, sizeof e->msg, "%.150s:%u: rule %s: %.40s: %.250s", p->file, p->line,
                 sid, e->keyword, what);
    return -1;
}

char *rule_strndup(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (!d)
        return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

size_t rule_strhash(const char *s, uint64_t seed)
{
    uint64_t h = 14695981039346656037ull ^ seed;
    for (const unsigned char *q = (const unsigned char *)s; *q; q++)
        h = (h ^ *q) * 1099511628211ull;
    return (size_t)(h ^ (h >> 29));
}

char *rule_trim(char *s)
{
    while (*s && isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

int rule_take_neg(char **val)
{
    char *v = rule_trim(*val);
    int neg = *v == '!';
    *val = neg ? rule_trim(v + 1) : v;
    return neg;
}

int rule_escaped(const char *s, size_t i)
{
    size_t k = 0;
    while (k < i && s[i - 1 - k] == '\\')
        k++;
    return k & 1;
}

char *rule_unquote(char *s)
{
    size_t n = strlen(s);
    if (n >= 2 && s[0] == '"' && s[n - 1] == '"' && !rule_escaped(s, n - 1)) {
        s[n - 1] = '\0';
        return s + 1;
    }
    return s;
}

int rule_split(char *s, char sep, char **parts, int max)
{
    int n = 0, inq = 0;
    char *start = s;
    for (char *q = s;; q++) {
        if (*q == '\\' && q[1]) {
            q++;
            continue;
        }
        if (*q == '"')
            inq = !inq;
        if (*q == '\0' || (*q == sep && !inq)) {
            if (n >= max)
                return -1;
            int end = (*q == '\0');
            *q = '\0';
            parts[n++] = rule_trim(start);
            if (end)
                break;
            start = q + 1;
        }
    }
    return n;
}

int rule_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    while (isspace((unsigned char)*s))
        s++;
    if (!isdigit((unsigned char)*s))
        return -1;
    errno = 0;
    char *end;
    int base = (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) ? 16 : 10;
    unsigned long long v = strtoull(s, &end, base);
    if (errno || end == s)
        return -1;
    while (isspace((unsigned char)*end))
        end++;
    if (*end || v > max)
        return -1;
    *out = v;
    return 0;
}

int rule_parse_u32(const char *s, uint32_t max, uint32_t *out)
{
    uint64_t v;
    if (rule_parse_u64(s, max, &v) < 0)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

int rule_parse_i32(const char *s, int32_t *out)
{
    while (isspace((unsigned char)*s))
        s++;
    int neg = 0;
    if (*s == '-' || *s == '+') {
        neg = (*s == '-');
        s++;
    }
    uint64_t v;
    if (rule_parse_u64(s, neg ? 2147483648ull : 2147483647ull, &v) < 0)
        return -1;
    *out = neg ? (int32_t)(-(int64_t)v) : (int32_t)v;
    return 0;
}

int rule_parse_num(const char *s, uint64_t max, struct rule_num *n)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%s", s);
    char *t = rule_trim(buf);
    memset(n, 0, sizeof *n);
    char *mid = strstr(t, "<>");
    if (mid) {
        *mid = '\0';
        n->op = RULE_NUM_RANGE;
        if (rule_parse_u64(t, max, &n->a) < 0 || rule_parse_u64(mid + 2, max, &n->b) < 0)
            return -1;
        return n->a < n->b ? 0 : -1;
    }
    if (isdigit((unsigned char)*t) && (mid = strchr(t, '-')) != NULL) {
        *mid = '\0';
        n->op = RULE_NUM_RANGE;
        if (rule_parse_u64(t, max, &n->a) < 0 || rule_parse_u64(mid + 1, max, &n->b) < 0)
            return -1;
        return n->a < n->b ? 0 : -1;
    }
    n->op = RULE_NUM_EQ;
    if (t[0] == '<' && t[1] == '=') {
        n->op = RULE_NUM_LE;
        t += 2;
    } else if (t[0] == '>' && t[1] == '=') {
        n->op = RULE_NUM_GE;
        t += 2;
    } else if (t[0] == '<') {
        n->op = RULE_NUM_LT;
        t++;
    } else if (t[0] == '>') {
        n->op = RULE_NUM_GT;
        t++;
    } else if (t[0] == '!') {
        n->op = RULE_NUM_NE;
        t++;
    } else if (t[0] == '=') {
        t++;
    }
    return rule_parse_u64(t, max, &n->a);
}

int rule_num_match(const struct rule_num *n, uint64_t x)
{
    switch (n->op) {
    case RULE_NUM_EQ: return x == n->a;
    case RULE_NUM_NE: return x != n->a;
    case RULE_NUM_LT: return x < n->a;
    case RULE_NUM_LE: return x <= n->a;
    case RULE_NUM_GT: return x > n->a;
    case RULE_NUM_GE: return x >= n->a;
    case RULE_NUM_RANGE: return x > n->a && x < n->b;
    }
    return 0;
}

int rule_valid_name(const char *s)
{
    size_t n = 0;
    if (!*s)
        return 0;
    for (; *s; s++, n++) {
        unsigned char c = (unsigned char)*s;
        if (!(isalnum(c) || c == '_' || c == '.' || c == '-' || c == '|' || c == '&' ||
              c == ':' || c == '/'))
            return 0;
    }
    return n < RULE_NAME_MAX;
}

int rule_parse_pos(struct rule_pctx *p, const char *s, struct rule_pos *pos)
{
    pos->var = -1;
    if (rule_parse_i32(s, &pos->v) == 0)
        return 0;
    for (uint32_t i = 0; i < p->n_byte_vars; i++) {
        if (strcmp(p->byte_vars[i], s) == 0) {
            pos->var = (int8_t)i;
            pos->v = 0;
            return 0;
        }
    }
    return -1;
}

struct rule_elem *rule_elem_add(struct rule_pctx *p, int buf, int *list_out, int *elem_out)
{
    struct rule *r = p->r;
    uint32_t li;
    uint8_t nx = buf == p->cur_buf ? p->n_xforms : 0;
    for (li = 0; li < r->n_bufs; li++)
        if (r->bufs[li].buffer == buf && r->bufs[li].n_xforms == nx &&
            memcmp(r->bufs[li].xforms, p->xforms, nx) == 0)
            break;
    if (li == r->n_bufs) {
        struct rule_buflist *nb = realloc(r->bufs, (r->n_bufs + 1) * sizeof *nb);
        if (!nb)
            return NULL;
        r->bufs = nb;
        memset(&nb[li], 0, sizeof nb[li]);
        nb[li].buffer = (uint8_t)buf;
        nb[li].n_xforms = nx;
        memcpy(nb[li].xforms, p->xforms, nx);
        r->n_bufs++;
    }
    struct rule_buflist *l = &r->bufs[li];
    if (l->n == l->cap) {
        uint32_t cap = l->cap ? l->cap * 2 : 4;
        struct rule_elem *ne = realloc(l->elems, cap * sizeof *ne);
        if (!ne)
            return NULL;
        l->elems = ne;
        l->cap = cap;
    }
    struct rule_elem *el = &l->elems[l->n];
    memset(el, 0, sizeof *el);
    if (list_out)
        *list_out = (int)li;
    if (elem_out)
        *elem_out = (int)l->n;
    l->n++;
    return el;
}

struct rule_cond *rule_cond_get(struct rule_pctx *p)
{
    if (!p->r->cond && !(p->r->cond = calloc(1, sizeof *p->r->cond)))
        rule_fail(p, RULE_ERR_INVALID, "out of memory");
    return p->r->cond;
}

struct rule_content *rule_last_content(struct rule_pctx *p)
{
    if (p->last_list < 0)
        return NULL;
    return &p->r->bufs[p->last_list].elems[p->last_elem].u.content;
}
