/*
 * query_sql.c - compiles a parsed filter tree to a parameterised SQLite
 * WHERE clause for the record store (query.h describes the column
 * representation it assumes).
 *
 * Owns: the SQL text of each node and the list of bound parameters.  No
 * value from the filter is ever pasted into the SQL text: every constant
 * becomes a numbered parameter ?N, and field names are quoted identifiers
 * taken from the record_type table (never from the filter text).
 *
 * Meaning is kept identical to query_eval.c:
 *   - "any of" over fields and values becomes OR;
 *   - an unset field (NULL) compares false: each comparison is wrapped in
 *     COALESCE(..., 0) so NOT and != keep SQL's NULLs from leaking;
 *   - `f != v` is "some field set AND NOT any equal";
 *   - a CIDR is `col BETWEEN ?lo AND ?hi` over 16-byte address blobs;
 *   - sets are TEXT joined with ",": `==` tests ",elem," inside
 *     "," || col || ","; `contains` is instr();
 *   - `matches` is `col REGEXP ?` (the store registers a PCRE2 function).
 * Vectors of numbers are not compiled yet (an error says so).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query/query_int.h"
#include "store/zeeklog.h"

struct sqlc {
    const struct record_type *type;
    struct zbuf sql;
    struct query_sql_param *params;
    size_t nparams, cap;
    char *err;
    size_t errlen;
    int failed;
};

static struct query_sql_param *param_new(struct sqlc *c, enum query_sql_kind kind)
{
    if (c->nparams == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 8;
        struct query_sql_param *n = realloc(c->params, cap * sizeof(*n));
        if (!n) {
            c->failed = 1;
            return NULL;
        }
        c->params = n;
        c->cap = cap;
    }
    struct query_sql_param *p = &c->params[c->nparams++];
    memset(p, 0, sizeof(*p));
    p->kind = kind;
    return p;
}

static void put(struct sqlc *c, const char *s)
{
    if (zbuf_puts(&c->sql, s) < 0)
        c->failed = 1;
}

/* "?N" for a new parameter. */
static struct query_sql_param *put_param(struct sqlc *c, enum query_sql_kind kind)
{
    char tmp[24];
    struct query_sql_param *p = param_new(c, kind);
    snprintf(tmp, sizeof(tmp), "?%zu", c->nparams);
    put(c, tmp);
    return p;
}

static void put_column(struct sqlc *c, int field)
{
    const char *name = c->type->fields[field].name;
    put(c, "\"");
    for (const char *p = name; *p; p++)
        put(c, *p == '"' ? "\"\"" : (char[]){*p, 0});
    put(c, "\"");
}

static void addr_blob(const struct raddr *a, uint8_t out[16])
{
    if (a->family == 6) {
        memcpy(out, a->a, 16);
        return;
    }
    memset(out, 0, 10);
    out[10] = out[11] = 0xff;
    memcpy(out + 12, a->a, 4);
}

static void put_addr_test(struct sqlc *c, int f, const struct qvalue *v)
{
    struct query_sql_param *p;
    put_column(c, f);
    if (v->kind == QV_ADDR) {
        put(c, " = ");
        if ((p = put_param(c, QUERY_SQL_BLOB)))
            addr_blob(&v->a, p->blob), p->len = 16;
        return;
    }
    uint8_t lo[16], hi[16];
    addr_blob(&v->a, lo);
    memcpy(hi, lo, 16);
    int bits = v->prefix + (v->a.family == 4 ? 96 : 0);
    for (int b = bits; b < 128; b++)
        hi[b / 8] |= (uint8_t)(0x80u >> (b % 8));
    put(c, " BETWEEN ");
    if ((p = put_param(c, QUERY_SQL_BLOB)))
        memcpy(p->blob, lo, 16), p->len = 16;
    put(c, " AND ");
    if ((p = put_param(c, QUERY_SQL_BLOB)))
        memcpy(p->blob, hi, 16), p->len = 16;
}

static const char *sql_op(enum qop op)
{
    switch (op) {
    case QOP_LT: return " < ";
    case QOP_LE: return " <= ";
    case QOP_GT: return " > ";
    case QOP_GE: return " >= ";
    default: return " = ";
    }
}

static void put_text_param(struct sqlc *c, const char *s, size_t len, const char *wrap)
{
    struct query_sql_param *p = put_param(c, QUERY_SQL_TEXT);
    if (!p)
        return;
    if (!wrap) {
        p->p = s;
        p->len = len;
        return;
    }
    p->owned = malloc(len + 3);
    if (!p->owned) {
        c->failed = 1;
        return;
    }
    p->owned[0] = wrap[0];
    memcpy(p->owned + 1, s, len);
    p->owned[len + 1] = wrap[0];
    p->owned[len + 2] = '\0';
    p->p = p->owned;
    p->len = len + 2;
}

static void put_string_test(struct sqlc *c, int f, enum qop op, const struct qvalue *v, bool set)
{
    if (op == QOP_CONTAINS || (set && op == QOP_EQ)) {
        put(c, "instr(");
        if (set && op == QOP_EQ)
            put(c, "',' || ");
        put_column(c, f);
        put(c, set && op == QOP_EQ ? " || ','" : "");
        put(c, ", ");
        put_text_param(c, v->s, v->len, set && op == QOP_EQ ? "," : NULL);
        put(c, ") > 0");
        return;
    }
    put_column(c, f);
    put(c, op == QOP_MATCHES ? " REGEXP " : sql_op(op));
    put_text_param(c, v->s, v->len, NULL);
}

/* One field against one value, as a 0/1 expression. */
static void put_test(struct sqlc *c, int f, enum qop op, const struct qvalue *v)
{
    enum rtype t = c->type->fields[f].type;
    struct query_sql_param *p;
    put(c, "COALESCE((");
    if (op == QOP_EXISTS) {
        put_column(c, f);
        put(c, " IS NOT NULL");
    } else if (t == RT_ADDR || t == RT_SUBNET) {
        put_addr_test(c, f, v);
    } else if (v->kind == QV_STR) {
        put_string_test(c, f, op, v, t == RT_SET_STRING || t == RT_VEC_STRING);
    } else if (t == RT_VEC_INTERVAL || t == RT_VEC_COUNT || t == RT_SET_ADDR) {
        if (!c->failed)
            snprintf(c->err, c->errlen, "column 1: comparisons on %s (a %s) are not compiled to "
                     "SQL yet.", c->type->fields[f].name, rtype_zeek_name(t));
        c->failed = 2;
    } else {
        put_column(c, f);
        put(c, sql_op(op));
        if ((p = put_param(c, v->kind == QV_REAL ? QUERY_SQL_REAL : QUERY_SQL_INT)))
            p->i = v->i, p->d = v->d;
    }
    put(c, "), 0)");
}

static void put_node(struct sqlc *c, const struct qnode *n);

static void put_cmp(struct sqlc *c, const struct qnode *n)
{
    enum qop op = n->op == QOP_NE ? QOP_EQ : n->op;
    if (n->op == QOP_NE) {
        put(c, "((");
        for (int i = 0; i < n->nfields; i++) {
            put(c, i ? " OR " : "");
            put_column(c, n->fields[i]);
            put(c, " IS NOT NULL");
        }
        put(c, ") AND NOT ");
    }
    put(c, "(");
    bool first = true;
    for (int i = 0; i < n->nfields; i++) {
        size_t nv = op == QOP_EXISTS ? 1 : n->nvals;
        for (size_t k = 0; k < nv; k++) {
            put(c, first ? "" : " OR ");
            first = false;
            put_test(c, n->fields[i], op, op == QOP_EXISTS ? NULL : &n->vals[k]);
        }
    }
    put(c, n->op == QOP_NE ? "))" : ")");
}

static void put_node(struct sqlc *c, const struct qnode *n)
{
    struct query_sql_param *p;
    switch (n->kind) {
    case QN_TRUE:
        put(c, "1");
        return;
    case QN_AND:
    case QN_OR:
        put(c, "(");
        put_node(c, n->l);
        put(c, n->kind == QN_AND ? " AND " : " OR ");
        put_node(c, n->r);
        put(c, ")");
        return;
    case QN_NOT:
        put(c, "(NOT ");
        put_node(c, n->l);
        put(c, ")");
        return;
    case QN_CMP:
        put_cmp(c, n);
        return;
    case QN_FAMILY:
        put(c, "COALESCE((substr(");
        put_column(c, n->fields[0]);
        put(c, n->family == 4 ? ", 1, 12) = " : ", 1, 12) != ");
        if ((p = put_param(c, QUERY_SQL_BLOB))) {
            static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
            memcpy(p->blob, mapped, 12);
            p->len = 12;
        }
        put(c, "), 0)");
        return;
    }
}

int query_to_sql(const struct query *q, struct query_sql *out, char *err, size_t errlen)
{
    struct sqlc c = {.type = q->type, .err = err, .errlen = errlen};
    memset(out, 0, sizeof(*out));
    put_node(&c, q->root);
    if (c.failed) {
        if (c.failed == 1)
            snprintf(err, errlen, "column 1: out of memory compiling the filter to SQL.");
        for (size_t i = 0; i < c.nparams; i++)
            free(c.params[i].owned);
        free(c.params);
        zbuf_free(&c.sql);
        return -1;
    }
    for (size_t i = 0; i < c.nparams; i++)
        if (c.params[i].kind == QUERY_SQL_BLOB)
            c.params[i].p = c.params[i].blob;
    out->where = c.sql.p;
    out->params = c.params;
    out->nparams = c.nparams;
    return 0;
}

void query_sql_free(struct query_sql *s)
{
    for (size_t i = 0; i < s->nparams; i++)
        free(s->params[i].owned);
    free(s->params);
    free(s->where);
    memset(s, 0, sizeof(*s));
}
