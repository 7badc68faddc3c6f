/*
 * query_eval.c - evaluation of a parsed filter tree on one record.
 *
 * Owns: the meaning of each comparison on each Zeek field type, read
 * through the record_type table (no log is known by name).
 *   - A comparison names one or more fields and one or more values; it is
 *     true when any (set) field, or any element of a set/vector field,
 *     compares true with any value ("any of", as Wireshark's ip.addr).
 *   - An unset field compares false with every operator, `!=` included.
 *   - `f != v` is "f is set and not (f == v)": `ip.addr != 10.0.0.1` drops
 *     every session that has 10.0.0.1 on either side.
 *   - Addresses compare equal to an address, or fall inside a CIDR;
 *     strings compare bytewise (== != < > ...), `contains` is a substring
 *     test, `matches` a PCRE2 search (not anchored); numbers compare as
 *     numbers (times and intervals in ns).
 */
#include <string.h>

#include "query/query_int.h"

static bool addr_in(const struct raddr *a, const struct qvalue *v)
{
    if (a->family != v->a.family)
        return false;
    if (v->kind == QV_ADDR)
        return memcmp(a->a, v->a.a, a->family == 4 ? 4 : 16) == 0;
    int full = v->prefix / 8, rem = v->prefix % 8;
    if (memcmp(a->a, v->a.a, (size_t)full) != 0)
        return false;
    if (rem == 0)
        return true;
    uint8_t mask = (uint8_t)(0xff << (8 - rem));
    return (a->a[full] & mask) == v->a.a[full];
}

static int cmp_result(enum qop op, int c)
{
    switch (op) {
    case QOP_EQ: return c == 0;
    case QOP_LT: return c < 0;
    case QOP_LE: return c <= 0;
    case QOP_GT: return c > 0;
    case QOP_GE: return c >= 0;
    default: return 0;
    }
}

static bool str_test(const struct qnode *n, enum qop op, const struct rstr *s,
                     const struct qvalue *v)
{
    const char *p = s->p ? s->p : "";
    if (op == QOP_CONTAINS)
        return v->len == 0 || (s->len >= v->len && memmem(p, s->len, v->s, v->len) != NULL);
    if (op == QOP_MATCHES) {
        pcre2_match_data *md = pcre2_match_data_create_from_pattern(n->re, NULL);
        if (!md)
            return false;
        int rc = pcre2_match(n->re, (PCRE2_SPTR)p, s->len, 0, 0, md, NULL);
        pcre2_match_data_free(md);
        return rc >= 0;
    }
    size_t m = s->len < v->len ? s->len : v->len;
    int c = memcmp(p, v->s, m);
    if (c == 0)
        c = s->len < v->len ? -1 : s->len > v->len ? 1 : 0;
    return cmp_result(op, c);
}

static bool num_test(enum qop op, int64_t x, bool is_unsigned, const struct qvalue *v)
{
    int c;
    if (v->kind == QV_REAL) {
        double d = is_unsigned ? (double)(uint64_t)x : (double)x;
        c = d < v->d ? -1 : d > v->d ? 1 : 0;
    } else if (is_unsigned) {
        uint64_t u = (uint64_t)x, w = (uint64_t)v->i;
        c = v->i < 0 ? 1 : u < w ? -1 : u > w ? 1 : 0;
    } else {
        c = x < v->i ? -1 : x > v->i ? 1 : 0;
    }
    return cmp_result(op, c);
}

/* One element (scalar or vector element at p) against one value. */
static bool elem_test(const struct qnode *n, enum qop op, enum rtype t, const void *p,
                      const struct qvalue *v)
{
    switch (t) {
    case RT_TIME:
    case RT_INTERVAL:
    case RT_INT:
    case RT_VEC_INTERVAL:
    case RT_VEC_COUNT:
        return num_test(op, *(const int64_t *)p, false, v);
    case RT_COUNT:
    case RT_PORT:
        return num_test(op, (int64_t) * (const uint64_t *)p, true, v);
    case RT_DOUBLE: {
        double d = *(const double *)p, w = v->kind == QV_REAL ? v->d : (double)v->i;
        return cmp_result(op, d < w ? -1 : d > w ? 1 : 0);
    }
    case RT_BOOL:
        return (*(const bool *)p ? 1 : 0) == v->i;
    case RT_ADDR:
    case RT_SET_ADDR:
        return addr_in(p, v);
    case RT_SUBNET: {
        const struct rsubnet *sn = p;
        if (v->kind == QV_ADDR)
            return false;
        return sn->prefix == v->prefix && addr_in(&sn->addr, v);
    }
    default:
        return str_test(n, op, p, v);
    }
}

/* Does one set field match (any element, any value)? */
static bool field_test(const struct qnode *n, enum qop op, const struct record_hdr *rec, int f)
{
    enum rtype t = rec->type->fields[f].type;
    const void *p = record_field_ptr(rec, (size_t)f);
    size_t ne = 1, esz = 0;
    const unsigned char *base = p;
    if (t == RT_SET_STRING || t == RT_VEC_STRING) {
        ne = ((const struct rstrvec *)p)->n;
        base = (const unsigned char *)((const struct rstrvec *)p)->v;
        esz = sizeof(struct rstr);
    } else if (t == RT_SET_ADDR) {
        ne = ((const struct raddrvec *)p)->n;
        base = (const unsigned char *)((const struct raddrvec *)p)->v;
        esz = sizeof(struct raddr);
    } else if (t == RT_VEC_INTERVAL || t == RT_VEC_COUNT) {
        ne = ((const struct rnumvec *)p)->n;
        base = (const unsigned char *)((const struct rnumvec *)p)->v;
        esz = sizeof(int64_t);
    }
    for (size_t e = 0; e < ne; e++)
        for (size_t k = 0; k < n->nvals; k++)
            if (elem_test(n, op, t, base + e * esz, &n->vals[k]))
                return true;
    return false;
}

static bool cmp_eval(const struct qnode *n, const struct record_hdr *rec)
{
    bool any_set = false;
    enum qop op = n->op == QOP_NE ? QOP_EQ : n->op;
    for (int i = 0; i < n->nfields; i++) {
        if (record_unset(rec, (size_t)n->fields[i]))
            continue;
        any_set = true;
        if (n->op == QOP_EXISTS)
            return true;
        if (field_test(n, op, rec, n->fields[i]))
            return n->op != QOP_NE;
    }
    return n->op == QOP_NE && any_set;
}

static bool node_eval(const struct qnode *n, const struct record_hdr *rec)
{
    switch (n->kind) {
    case QN_TRUE:
        return true;
    case QN_AND:
        return node_eval(n->l, rec) && node_eval(n->r, rec);
    case QN_OR:
        return node_eval(n->l, rec) || node_eval(n->r, rec);
    case QN_NOT:
        return !node_eval(n->l, rec);
    case QN_CMP:
        return cmp_eval(n, rec);
    case QN_FAMILY:
        if (record_unset(rec, (size_t)n->fields[0]))
            return false;
        return ((const struct raddr *)record_field_ptr(rec, (size_t)n->fields[0]))->family ==
               n->family;
    }
    return false;
}

bool query_match(const struct query *q, const struct record_hdr *rec)
{
    if (!q || rec->type != q->type)
        return false;
    return node_eval(q->root, rec);
}
