/*
 * query_int.h - the filter tree shared by the parser (query_parse.c), the
 * evaluator (query_eval.c) and the SQL compiler (query_sql.c).  Not part of
 * the public interface (query.h).
 *
 * A tree node is a boolean combination (AND, OR, NOT), a comparison of one
 * or more fields ("any of": ip.addr is id.orig_h or id.resp_h) with one or
 * more constant values ("any of": `in {..}`), an address-family test (the
 * BPF `ip` / `ip6` primitives) or TRUE (the empty filter).  Constants are
 * converted at parse time to the representation of the field they are
 * compared with (ns for times and intervals, masked bytes for CIDRs).
 */
#ifndef VIGIL_QUERY_INT_H
#define VIGIL_QUERY_INT_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "query/query.h"

enum qnode_kind { QN_TRUE, QN_AND, QN_OR, QN_NOT, QN_CMP, QN_FAMILY };

enum qop { QOP_EQ, QOP_NE, QOP_LT, QOP_LE, QOP_GT, QOP_GE, QOP_CONTAINS, QOP_MATCHES, QOP_EXISTS };

enum qval_kind { QV_INT, QV_REAL, QV_STR, QV_ADDR, QV_NET, QV_BOOL };

struct qvalue {
    enum qval_kind kind;
    int64_t i;          /* QV_INT (ns for time/interval fields), QV_BOOL */
    double d;           /* QV_REAL */
    char *s;            /* QV_STR, owned */
    size_t len;
    struct raddr a;     /* QV_ADDR, QV_NET (host bits cleared) */
    uint8_t prefix;     /* QV_NET */
};

#define QUERY_MAX_REFS 2

struct qnode {
    enum qnode_kind kind;
    int col;                       /* where it started in the text (1-based) */
    struct qnode *l, *r;           /* AND/OR: both; NOT: l */
    int fields[QUERY_MAX_REFS];    /* CMP, FAMILY: field indexes (any of) */
    int nfields;
    enum qop op;                   /* CMP */
    struct qvalue *vals;           /* CMP: any of; one unless `in {..}` */
    size_t nvals;
    pcre2_code *re;                /* CMP with QOP_MATCHES */
    int family;                    /* FAMILY: 4 or 6 */
};

struct query {
    const struct record_type *type;
    struct qnode *root;
};

void qnode_free(struct qnode *n);

#endif
