/*
 * query_parse.c - lexer and recursive-descent parser of the filter language.
 *
 * Owns: turning filter text into the tree of query_int.h, resolving field
 * names (Zeek names, "<path>."-namespaced names, aliases) through the
 * record_type table, converting constants to each field's representation
 * and compiling `matches` patterns with PCRE2.  Spec: ARCHITECTURE.md
 * section 6; racluster/tcpdump (pcap-filter(7)) for the primitives, with
 * src = originator (id.orig_*) and dst = responder (id.resp_*).
 *
 * Grammar (keywords are case-insensitive; && || ! are synonyms):
 *   filter     := <empty> | or_expr END
 *   or_expr    := and_expr { ("or" | "||") and_expr }
 *   and_expr   := unary { ("and" | "&&") unary }
 *   unary      := ("not" | "!") unary | "(" or_expr ")" | primitive | test
 *   test       := FIELD op value | FIELD "in" "{" value { "," value } "}" | FIELD
 *   op         := "==" | "=" | "!=" | "<" | "<=" | ">" | ">=" | "contains"
 *                 | "matches" | "~" | eq ne lt le gt ge
 *   primitive  := [dir] ("host" ADDR | "net" CIDR | "port" N | "portrange" N-M)
 *                 | dir ADDR-or-CIDR
 *                 | ("tcp" | "udp" | "ip" | "ip6") [primitive]
 *                 | "icmp" | "icmp6" | "proto" (N | NAME)
 *   dir        := "src" | "dst"
 *   value      := NUMBER | DURATION | "quoted string" | WORD | ADDR | CIDR
 *                 | true | false
 * A primitive keyword followed by an operator is a field name instead
 * (`proto == "tcp"`, http.log's `host contains "example"`).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "query/query_int.h"

#define QUERY_MAX_DEPTH 100
#define QUERY_MAX_TOKENS 4096

enum qtok_kind { TK_END, TK_WORD, TK_STRING, TK_LP, TK_RP, TK_LB, TK_RB, TK_COMMA, TK_OP,
                 TK_AND, TK_OR, TK_NOT };

struct qtok {
    enum qtok_kind kind;
    int col;
    const char *p; /* into the text */
    size_t len;
    enum qop op;   /* TK_OP */
};

struct qparser {
    const struct record_type *type;
    struct qtok *toks;
    size_t ntok, pos;
    int depth;
    char *err;
    size_t errlen;
    bool failed;
};

static void perr(struct qparser *ps, int col, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void perr(struct qparser *ps, int col, const char *fmt, ...)
{
    if (ps->failed)
        return;
    ps->failed = true;
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(ps->err, ps->errlen, "column %d: %s", col, msg);
}

/* ---- lexer ---- */

static bool word_char(int c)
{
    return isalnum(c) || c == '_' || c == '.' || c == ':' || c == '/' || c == '-' || c == '*' ||
           c == '+';
}

static bool tok_is(const struct qtok *t, const char *w)
{
    return t->kind == TK_WORD && strlen(w) == t->len && strncasecmp(t->p, w, t->len) == 0;
}

static const struct {
    const char *w;
    enum qop op;
} word_ops[] = {
    {"eq", QOP_EQ}, {"ne", QOP_NE}, {"lt", QOP_LT}, {"le", QOP_LE}, {"gt", QOP_GT},
    {"ge", QOP_GE}, {"contains", QOP_CONTAINS}, {"matches", QOP_MATCHES},
};

/* The symbol operator at s (its length in *n), or -1. */
static int sym_op(const char *s, size_t *n)
{
    static const struct {
        const char *s;
        enum qop op;
    } ops[] = {{"==", QOP_EQ}, {"!=", QOP_NE}, {"<=", QOP_LE}, {">=", QOP_GE}, {"=", QOP_EQ},
               {"<", QOP_LT},  {">", QOP_GT},  {"~", QOP_MATCHES}};
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        size_t l = strlen(ops[i].s);
        if (strncmp(s, ops[i].s, l) == 0) {
            *n = l;
            return (int)ops[i].op;
        }
    }
    return -1;
}

static int lex_string(struct qparser *ps, const char *text, size_t *i, struct qtok *t)
{
    char q = text[*i];
    size_t j = *i + 1;
    while (text[j] && text[j] != q) {
        if (text[j] == '\\' && text[j + 1])
            j++;
        j++;
    }
    if (!text[j]) {
        perr(ps, t->col, "this string has no closing %c.", q);
        return -1;
    }
    t->kind = TK_STRING;
    t->p = text + *i + 1;
    t->len = j - *i - 1;
    *i = j + 1;
    return 0;
}

static void lex_word(const char *text, size_t *i, struct qtok *t)
{
    size_t j = *i;
    while (text[j] && word_char((unsigned char)text[j]))
        j++;
    t->kind = TK_WORD;
    t->p = text + *i;
    t->len = j - *i;
    *i = j;
    if (tok_is(t, "and"))
        t->kind = TK_AND;
    else if (tok_is(t, "or"))
        t->kind = TK_OR;
    else if (tok_is(t, "not"))
        t->kind = TK_NOT;
    for (size_t k = 0; k < sizeof(word_ops) / sizeof(word_ops[0]); k++)
        if (tok_is(t, word_ops[k].w)) {
            t->kind = TK_OP;
            t->op = word_ops[k].op;
        }
}

/* One token at text[*i]; 0, or -1 on a character that starts none. */
static int lex_one(struct qparser *ps, const char *text, size_t *i, struct qtok *t)
{
    char c = text[*i];
    size_t n;
    int op;
    if (c == '"' || c == '\'')
        return lex_string(ps, text, i, t);
    if (c == '&' && text[*i + 1] == '&') {
        t->kind = TK_AND, *i += 2;
    } else if (c == '|' && text[*i + 1] == '|') {
        t->kind = TK_OR, *i += 2;
    } else if ((op = sym_op(text + *i, &n)) >= 0) {
        t->kind = TK_OP, t->op = (enum qop)op, *i += n;
    } else if (c == '!') {
        t->kind = TK_NOT, *i += 1;
    } else if (c == '(' || c == ')' || c == '{' || c == '}' || c == ',') {
        t->kind = c == '(' ? TK_LP : c == ')' ? TK_RP : c == '{' ? TK_LB : c == '}' ? TK_RB : TK_COMMA;
        *i += 1;
    } else if (word_char((unsigned char)c)) {
        lex_word(text, i, t);
    } else {
        perr(ps, t->col, "unexpected character '%c'; expected a field, a value, an operator or "
                         "a parenthesis.", isprint((unsigned char)c) ? c : '?');
        return -1;
    }
    return 0;
}

static int lex(struct qparser *ps, const char *text)
{
    size_t cap = 16, i = 0;
    ps->toks = malloc(cap * sizeof(*ps->toks));
    if (!ps->toks)
        return -1;
    for (;;) {
        while (text[i] && isspace((unsigned char)text[i]))
            i++;
        if (ps->ntok + 1 >= cap) {
            if (cap >= QUERY_MAX_TOKENS) {
                perr(ps, (int)i + 1, "the filter is too long (more than %d tokens).",
                     QUERY_MAX_TOKENS);
                return -1;
            }
            cap *= 2;
            struct qtok *nt = realloc(ps->toks, cap * sizeof(*nt));
            if (!nt)
                return -1;
            ps->toks = nt;
        }
        struct qtok *t = &ps->toks[ps->ntok];
        memset(t, 0, sizeof(*t));
        t->col = (int)i + 1;
        if (!text[i]) {
            t->kind = TK_END;
            t->p = text + i;
            ps->ntok++;
            return 0;
        }
        if (lex_one(ps, text, &i, t) < 0)
            return -1;
        ps->ntok++;
    }
}

/* ---- tree helpers ---- */

static struct qtok *peek(struct qparser *ps)
{
    return &ps->toks[ps->pos];
}

static struct qtok *peek2(struct qparser *ps)
{
    return &ps->toks[ps->pos + (ps->toks[ps->pos].kind == TK_END ? 0 : 1)];
}

static struct qtok *next(struct qparser *ps)
{
    struct qtok *t = &ps->toks[ps->pos];
    if (t->kind != TK_END)
        ps->pos++;
    return t;
}

static const char *tok_desc(const struct qtok *t, char *buf, size_t len)
{
    if (t->kind == TK_END)
        snprintf(buf, len, "the end of the filter");
    else
        snprintf(buf, len, "'%.*s'", (int)(t->len ? t->len : 1), t->len ? t->p : "?");
    if (t->kind == TK_STRING)
        snprintf(buf, len, "the string \"%.*s\"", (int)t->len, t->p);
    return buf;
}

void qnode_free(struct qnode *n)
{
    if (!n)
        return;
    qnode_free(n->l);
    qnode_free(n->r);
    for (size_t i = 0; i < n->nvals; i++)
        free(n->vals[i].s);
    free(n->vals);
    if (n->re)
        pcre2_code_free(n->re);
    free(n);
}

static struct qnode *node_new(struct qparser *ps, enum qnode_kind k, int col)
{
    struct qnode *n = calloc(1, sizeof(*n));
    if (!n)
        perr(ps, col, "out of memory.");
    else
        n->kind = k, n->col = col;
    return n;
}

static struct qnode *node_bin(struct qparser *ps, enum qnode_kind k, struct qnode *l,
                              struct qnode *r)
{
    if (!l || !r) {
        qnode_free(l);
        qnode_free(r);
        return NULL;
    }
    struct qnode *n = node_new(ps, k, l->col);
    if (!n) {
        qnode_free(l);
        qnode_free(r);
        return NULL;
    }
    n->l = l;
    n->r = r;
    return n;
}

/* ---- fields ---- */

struct qref {
    int f[QUERY_MAX_REFS];
    int n;
    const char *proto; /* tcp.port and friends: also require proto == this */
};

static const struct {
    const char *alias;
    const char *f1, *f2;
    const char *proto;
} field_aliases[] = {
    {"ip.src", "id.orig_h", NULL, NULL},       {"ip.dst", "id.resp_h", NULL, NULL},
    {"ip.addr", "id.orig_h", "id.resp_h", NULL}, {"ip.host", "id.orig_h", "id.resp_h", NULL},
    {"ip.proto", "ip_proto", NULL, NULL},      {"saddr", "id.orig_h", NULL, NULL},
    {"daddr", "id.resp_h", NULL, NULL},        {"sport", "id.orig_p", NULL, NULL},
    {"dport", "id.resp_p", NULL, NULL},        {"stime", "ts", NULL, NULL},
    {"dur", "duration", NULL, NULL},           {"spkts", "orig_pkts", NULL, NULL},
    {"dpkts", "resp_pkts", NULL, NULL},        {"sbytes", "orig_ip_bytes", NULL, NULL},
    {"dbytes", "resp_ip_bytes", NULL, NULL},   {"tcp.port", "id.orig_p", "id.resp_p", "tcp"},
    {"udp.port", "id.orig_p", "id.resp_p", "udp"}, {"tcp.srcport", "id.orig_p", NULL, "tcp"},
    {"tcp.dstport", "id.resp_p", NULL, "tcp"}, {"udp.srcport", "id.orig_p", NULL, "udp"},
    {"udp.dstport", "id.resp_p", NULL, "udp"},
};

static int resolve_plain(const struct record_type *t, const char *name, struct qref *ref)
{
    int i = record_field_index(t, name);
    if (i >= 0) {
        ref->f[0] = i;
        ref->n = 1;
        ref->proto = NULL;
        return 0;
    }
    for (size_t k = 0; k < sizeof(field_aliases) / sizeof(field_aliases[0]); k++) {
        if (strcmp(name, field_aliases[k].alias) != 0)
            continue;
        ref->n = 0;
        ref->f[ref->n] = record_field_index(t, field_aliases[k].f1);
        if (ref->f[ref->n] >= 0)
            ref->n++;
        if (field_aliases[k].f2 && (ref->f[ref->n] = record_field_index(t, field_aliases[k].f2)) >= 0)
            ref->n++;
        ref->proto = field_aliases[k].proto;
        if (ref->proto && record_field_index(t, "proto") < 0)
            return -1;
        return ref->n > 0 ? 0 : -1;
    }
    return -1;
}

/* name, "<path>.name", or an alias. */
static int resolve_field(const struct record_type *t, const char *name, struct qref *ref)
{
    size_t pl = strlen(t->path);
    if (strncmp(name, t->path, pl) == 0 && name[pl] == '.' &&
        resolve_plain(t, name + pl + 1, ref) == 0)
        return 0;
    return resolve_plain(t, name, ref);
}

static int need_field(struct qparser *ps, int col, const char *name, const char *what)
{
    int i = record_field_index(ps->type, name);
    if (i < 0)
        perr(ps, col, "%s needs the field %s, which %s records do not have.", what, name,
             ps->type->path);
    return i;
}

/* ---- constants ---- */

static char *tok_text(const struct qtok *t)
{
    char *s = malloc(t->len + 1);
    if (!s)
        return NULL;
    if (t->kind != TK_STRING) {
        if (t->len)
            memcpy(s, t->p, t->len);
        s[t->len] = '\0';
        return s;
    }
    size_t o = 0;
    for (size_t i = 0; i < t->len; i++) {
        char c = t->p[i];
        if (c == '\\' && i + 1 < t->len) {
            c = t->p[++i];
            if (c == 'n')
                c = '\n';
            else if (c == 't')
                c = '\t';
            else if (c == 'x' && i + 2 < t->len && isxdigit((unsigned char)t->p[i + 1]) &&
                     isxdigit((unsigned char)t->p[i + 2])) {
                char hex[3] = {t->p[i + 1], t->p[i + 2], 0};
                c = (char)strtol(hex, NULL, 16);
                i += 2;
            }
        }
        s[o++] = c;
    }
    s[o] = '\0';
    return s;
}

static int parse_addr_text(const char *s, struct qvalue *v)
{
    char buf[64];
    const char *slash = strchr(s, '/');
    size_t al = slash ? (size_t)(slash - s) : strlen(s);
    if (al == 0 || al >= sizeof(buf))
        return -1;
    memcpy(buf, s, al);
    buf[al] = '\0';
    memset(&v->a, 0, sizeof(v->a));
    if (inet_pton(AF_INET, buf, v->a.a) == 1)
        v->a.family = 4;
    else if (inet_pton(AF_INET6, buf, v->a.a) == 1)
        v->a.family = 6;
    else
        return -1;
    v->kind = QV_ADDR;
    if (!slash)
        return 0;
    char *end;
    errno = 0;
    long p = strtol(slash + 1, &end, 10);
    int max = v->a.family == 4 ? 32 : 128;
    if (errno || end == slash + 1 || *end || p < 0 || p > max)
        return -2;
    v->kind = QV_NET;
    v->prefix = (uint8_t)p;
    for (int b = (int)p; b < max; b++)
        v->a.a[b / 8] &= (uint8_t) ~(0x80u >> (b % 8));
    return 0;
}

/* "1.5", "90s", "100ms", "2m", "1h", "1d", "500us", "10ns": ns; bare = seconds. */
static int parse_duration(const char *s, int64_t *ns)
{
    static const struct {
        const char *u;
        double mul;
    } units[] = {{"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"sec", 1e9}, {"min", 60e9},
                 {"m", 60e9}, {"h", 3600e9}, {"hr", 3600e9}, {"d", 86400e9}, {"", 1e9}};
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (errno || end == s || !isfinite(d) || isalpha((unsigned char)s[0]))
        return -1;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcmp(end, units[i].u) == 0) {
            double v = d * units[i].mul;
            if (fabs(v) > 9.2e18)
                return -1;
            *ns = (int64_t)llround(v);
            return 0;
        }
    }
    return -1;
}

/* Epoch seconds ("1467818432.676047") or "YYYY-MM-DD[ T]HH:MM:SS[.frac][Z]" (UTC). */
static int parse_time(const char *s, int64_t *ns)
{
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (!errno && end != s && *end == '\0' && isfinite(d) && fabs(d) < 9.2e9) {
        *ns = (int64_t)llround(d * 1e6) * 1000;
        return 0;
    }
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    const char *r = strptime(s, "%Y-%m-%d", &tm);
    if (!r)
        return -1;
    if (*r == 'T' || *r == ' ') {
        r = strptime(r + 1, "%H:%M:%S", &tm);
        if (!r)
            return -1;
    }
    double frac = 0;
    if (*r == '.') {
        frac = strtod(r, &end);
        r = end;
    }
    if (*r == 'Z')
        r++;
    if (*r)
        return -1;
    int64_t sec = (int64_t)timegm(&tm);
    if (sec > INT64_MAX / 1000000000 - 1 || sec < INT64_MIN / 1000000000 + 1)
        return -1; /* a year nanoseconds cannot hold (past 2262) */
    *ns = sec * 1000000000 + (int64_t)llround(frac * 1e9);
    return 0;
}

static int parse_number(const char *s, enum rtype ft, struct qvalue *v)
{
    char *end;
    errno = 0;
    if (ft == RT_DOUBLE) {
        v->kind = QV_REAL;
        v->d = strtod(s, &end);
        return (errno || end == s || *end) ? -1 : 0;
    }
    v->kind = QV_INT;
    if (ft == RT_INT || ft == RT_VEC_COUNT) {
        v->i = strtoll(s, &end, 0);
        return (errno || end == s || *end) ? -1 : 0;
    }
    if (s[0] == '-')
        return -1;
    unsigned long long u = strtoull(s, &end, 0);
    if (errno || end == s || *end || u > INT64_MAX)
        return -1;
    v->i = (int64_t)u;
    return 0;
}

static const char *type_wants(enum rtype t)
{
    switch (t) {
    case RT_TIME: return "a time (epoch seconds or \"YYYY-MM-DD HH:MM:SS\")";
    case RT_INTERVAL:
    case RT_VEC_INTERVAL: return "a duration (60, 1.5s, 100ms, 2m, 1h)";
    case RT_COUNT:
    case RT_PORT:
    case RT_VEC_COUNT: return "a non-negative integer";
    case RT_INT: return "an integer";
    case RT_DOUBLE: return "a number";
    case RT_BOOL: return "true or false";
    case RT_ADDR:
    case RT_SET_ADDR: return "an IPv4/IPv6 address or CIDR";
    case RT_SUBNET: return "a CIDR";
    default: return "a string";
    }
}

/* The constant token t as a value for a field of type ft. */
static int make_value(struct qparser *ps, const struct qtok *t, enum rtype ft, const char *fname,
                      struct qvalue *v)
{
    char desc[128];
    memset(v, 0, sizeof(*v));
    if (t->kind != TK_WORD && t->kind != TK_STRING) {
        perr(ps, t->col, "expected %s for %s, found %s.", type_wants(ft), fname,
             tok_desc(t, desc, sizeof(desc)));
        return -1;
    }
    char *s = tok_text(t);
    if (!s) {
        perr(ps, t->col, "out of memory.");
        return -1;
    }
    int rc = 0;
    switch (ft) {
    case RT_TIME:
        v->kind = QV_INT;
        rc = parse_time(s, &v->i);
        break;
    case RT_INTERVAL:
    case RT_VEC_INTERVAL:
        v->kind = QV_INT;
        rc = parse_duration(s, &v->i);
        break;
    case RT_COUNT:
    case RT_PORT:
    case RT_INT:
    case RT_DOUBLE:
    case RT_VEC_COUNT:
        rc = parse_number(s, ft, v);
        break;
    case RT_BOOL:
        v->kind = QV_BOOL;
        if (!strcasecmp(s, "true") || !strcmp(s, "T") || !strcmp(s, "1"))
            v->i = 1;
        else if (!strcasecmp(s, "false") || !strcmp(s, "F") || !strcmp(s, "0"))
            v->i = 0;
        else
            rc = -1;
        break;
    case RT_ADDR:
    case RT_SET_ADDR:
    case RT_SUBNET:
        rc = parse_addr_text(s, v);
        if (rc == -2) {
            perr(ps, t->col, "'%s' has a bad prefix length (0-32 for IPv4, 0-128 for IPv6).", s);
            free(s);
            return -1;
        }
        break;
    default:
        v->kind = QV_STR;
        v->s = s;
        v->len = strlen(s);
        return 0;
    }
    if (rc < 0)
        perr(ps, t->col, "expected %s for %s, found %s.", type_wants(ft), fname,
             tok_desc(t, desc, sizeof(desc)));
    free(s);
    return rc < 0 ? -1 : 0;
}

/* ---- comparisons ---- */

static bool is_stringy(enum rtype t)
{
    return t == RT_STRING || t == RT_ENUM || t == RT_SET_STRING || t == RT_VEC_STRING;
}

static const char *op_name(enum qop op)
{
    static const char *const names[] = {"==", "!=", "<", "<=", ">", ">=", "contains", "matches", ""};
    return names[op];
}

static int check_op(struct qparser *ps, int col, enum qop op, enum rtype ft, const char *fname)
{
    bool ok = true;
    if (op == QOP_CONTAINS || op == QOP_MATCHES)
        ok = is_stringy(ft);
    else if (op != QOP_EQ && op != QOP_NE)
        ok = !(ft == RT_ADDR || ft == RT_SET_ADDR || ft == RT_SUBNET || ft == RT_BOOL);
    if (!ok)
        perr(ps, col, "the operator '%s' does not apply to %s, a field of type %s.", op_name(op),
             fname, rtype_zeek_name(ft));
    return ok ? 0 : -1;
}

static int compile_regex(struct qparser *ps, struct qnode *n, const struct qtok *vt)
{
    int ec;
    PCRE2_SIZE off;
    n->re = pcre2_compile((PCRE2_SPTR)n->vals[0].s, n->vals[0].len, 0, &ec, &off, NULL);
    if (n->re)
        return 0;
    PCRE2_UCHAR msg[160];
    pcre2_get_error_message(ec, msg, sizeof(msg));
    perr(ps, vt->col, "the regular expression does not compile: %s (at offset %zu).",
         (const char *)msg, (size_t)off);
    return -1;
}

static struct qnode *cmp_node(struct qparser *ps, int col, const struct qref *ref, enum qop op)
{
    struct qnode *n = node_new(ps, QN_CMP, col);
    if (!n)
        return NULL;
    n->op = op;
    n->nfields = ref->n;
    for (int i = 0; i < ref->n; i++)
        n->fields[i] = ref->f[i];
    return n;
}

static int add_value(struct qparser *ps, struct qnode *n, const struct qtok *t, const char *fname)
{
    struct qvalue *nv = realloc(n->vals, (n->nvals + 1) * sizeof(*nv));
    if (!nv) {
        perr(ps, t->col, "out of memory.");
        return -1;
    }
    n->vals = nv;
    enum rtype ft = ps->type->fields[n->fields[0]].type;
    if (make_value(ps, t, ft, fname, &n->vals[n->nvals]) < 0)
        return -1;
    n->nvals++;
    return 0;
}

/* "proto == NAME" (for tcp.port and the tcp/udp primitives). */
static struct qnode *proto_node(struct qparser *ps, int col, const char *proto)
{
    struct qref ref = {{need_field(ps, col, "proto", proto)}, 1, NULL};
    if (ref.f[0] < 0)
        return NULL;
    struct qnode *n = cmp_node(ps, col, &ref, QOP_EQ);
    if (!n)
        return NULL;
    n->vals = calloc(1, sizeof(*n->vals));
    if (!n->vals || !(n->vals[0].s = strdup(proto))) {
        qnode_free(n);
        perr(ps, col, "out of memory.");
        return NULL;
    }
    n->vals[0].kind = QV_STR;
    n->vals[0].len = strlen(proto);
    n->nvals = 1;
    return n;
}

static int parse_in_list(struct qparser *ps, struct qnode *n, const char *fname)
{
    char desc[128];
    struct qtok *t = next(ps);
    if (t->kind != TK_LB) {
        perr(ps, t->col, "expected '{' after 'in', found %s.", tok_desc(t, desc, sizeof(desc)));
        return -1;
    }
    for (;;) {
        if (add_value(ps, n, next(ps), fname) < 0)
            return -1;
        t = next(ps);
        if (t->kind == TK_RB)
            return 0;
        if (t->kind != TK_COMMA) {
            perr(ps, t->col, "expected ',' or '}' in the 'in' list, found %s.",
                 tok_desc(t, desc, sizeof(desc)));
            return -1;
        }
    }
}

/* FIELD [op value | in {..}] */
static struct qnode *parse_test(struct qparser *ps)
{
    struct qtok *ft = next(ps);
    char name[128], desc[128];
    snprintf(name, sizeof(name), "%.*s", (int)ft->len, ft->p);
    struct qref ref;
    if (ft->kind != TK_WORD || resolve_field(ps->type, name, &ref) < 0) {
        if (ft->kind == TK_WORD && ft->len && !isdigit((unsigned char)ft->p[0]))
            perr(ps, ft->col, "unknown field '%s' for %s records; expected a field name, a "
                              "primitive (host, net, port, tcp, udp, ...) or '('.", name,
                 ps->type->path);
        else
            perr(ps, ft->col, "expected a field name, a primitive or '(', found %s.",
                 tok_desc(ft, desc, sizeof(desc)));
        return NULL;
    }
    struct qtok *ot = peek(ps);
    enum qop op = QOP_EXISTS;
    bool in = tok_is(ot, "in");
    if (ot->kind == TK_OP || in) {
        next(ps);
        op = in ? QOP_EQ : ot->op;
    }
    enum rtype fty = ps->type->fields[ref.f[0]].type;
    if (op != QOP_EXISTS && check_op(ps, ot->col, op, fty, name) < 0)
        return NULL;
    struct qnode *n = cmp_node(ps, ft->col, &ref, op);
    if (!n)
        return NULL;
    int rc = 0;
    if (in) {
        rc = parse_in_list(ps, n, name);
    } else if (op != QOP_EXISTS) {
        struct qtok *vt = next(ps);
        rc = add_value(ps, n, vt, name);
        if (rc == 0 && op == QOP_MATCHES)
            rc = compile_regex(ps, n, vt);
    }
    if (rc < 0) {
        qnode_free(n);
        return NULL;
    }
    if (ref.proto)
        return node_bin(ps, QN_AND, proto_node(ps, ft->col, ref.proto), n);
    return n;
}

/* ---- BPF-style primitives ---- */

enum pdir { PDIR_ANY, PDIR_SRC, PDIR_DST };

static bool is_primitive_word(const struct qtok *t)
{
    static const char *const kw[] = {"host", "net", "port", "portrange", "src", "dst", "tcp",
                                     "udp", "icmp", "icmp6", "ip", "ip6", "proto"};
    for (size_t i = 0; i < sizeof(kw) / sizeof(kw[0]); i++)
        if (tok_is(t, kw[i]))
            return true;
    return false;
}

/* The two id fields of a primitive ("id.orig_h"/"id.resp_h" or the ports), by direction. */
static int dir_ref(struct qparser *ps, int col, enum pdir d, const char *orig, const char *resp,
                   const char *what, struct qref *ref)
{
    ref->n = 0;
    ref->proto = NULL;
    if (d != PDIR_DST && (ref->f[ref->n++] = need_field(ps, col, orig, what)) < 0)
        return -1;
    if (d != PDIR_SRC && (ref->f[ref->n++] = need_field(ps, col, resp, what)) < 0)
        return -1;
    return 0;
}

static struct qnode *prim_cmp(struct qparser *ps, int col, const struct qref *ref, enum qop op,
                              const struct qtok *vt, const char *what)
{
    struct qnode *n = cmp_node(ps, col, ref, op);
    if (n && add_value(ps, n, vt, what) < 0) {
        qnode_free(n);
        return NULL;
    }
    return n;
}

/* "port N" and "portrange A-B" apply to TCP, UDP and SCTP sessions, as in BPF. */
static struct qnode *transport_node(struct qparser *ps, int col)
{
    struct qnode *t = node_bin(ps, QN_OR, proto_node(ps, col, "tcp"), proto_node(ps, col, "udp"));
    return node_bin(ps, QN_OR, t, proto_node(ps, col, "sctp"));
}

static struct qnode *prim_portrange(struct qparser *ps, int col, enum pdir d)
{
    struct qtok *vt = next(ps);
    char lo[32], desc[128];
    const char *dash = vt->kind == TK_WORD ? memchr(vt->p, '-', vt->len) : NULL;
    if (!dash || dash == vt->p || (size_t)(dash - vt->p) >= sizeof(lo) ||
        (size_t)(dash - vt->p) + 1 >= vt->len) {
        perr(ps, vt->col, "expected a port range such as 1024-65535 after 'portrange', found %s.",
             tok_desc(vt, desc, sizeof(desc)));
        return NULL;
    }
    struct qref ref;
    if (dir_ref(ps, col, d, "id.orig_p", "id.resp_p", "portrange", &ref) < 0)
        return NULL;
    struct qtok lt = *vt, ht = *vt;
    lt.len = (size_t)(dash - vt->p);
    ht.p = dash + 1;
    ht.len = vt->len - lt.len - 1;
    ht.col = vt->col + (int)lt.len + 1;
    struct qnode *any = NULL;
    for (int i = 0; i < ref.n && !ps->failed; i++) {
        struct qref one = {{ref.f[i]}, 1, NULL};
        struct qnode *both = node_bin(ps, QN_AND, prim_cmp(ps, col, &one, QOP_GE, &lt, "portrange"),
                                      prim_cmp(ps, col, &one, QOP_LE, &ht, "portrange"));
        any = any ? node_bin(ps, QN_OR, any, both) : both;
    }
    if (ps->failed) {
        qnode_free(any);
        return NULL;
    }
    return node_bin(ps, QN_AND, transport_node(ps, col), any);
}

static struct qnode *prim_family(struct qparser *ps, int col, int family)
{
    struct qnode *n = node_new(ps, QN_FAMILY, col);
    if (!n)
        return NULL;
    n->family = family;
    n->nfields = 1;
    n->fields[0] = need_field(ps, col, "id.orig_h", family == 4 ? "ip" : "ip6");
    if (n->fields[0] < 0) {
        qnode_free(n);
        return NULL;
    }
    return n;
}

/* "proto N" / "proto tcp": ip_proto when the log has it, else the proto name. */
static struct qnode *prim_proto(struct qparser *ps, int col)
{
    static const struct {
        const char *name;
        int num, family;
    } protos[] = {{"tcp", 6, 0}, {"udp", 17, 0}, {"icmp", 1, 4}, {"icmp6", 58, 6}, {"sctp", 132, 0}};
    struct qtok *vt = next(ps);
    char desc[128], *s = tok_text(vt);
    char *end;
    long num = s ? strtol(s, &end, 10) : -1;
    if (!s || vt->kind != TK_WORD || (*end && isdigit((unsigned char)s[0]))) {
        free(s);
        perr(ps, vt->col, "expected a protocol number or name (tcp, udp, icmp, icmp6, sctp) "
                          "after 'proto', found %s.", tok_desc(vt, desc, sizeof(desc)));
        return NULL;
    }
    int k = -1;
    bool named = *end != '\0';
    for (int i = 0; i < (int)(sizeof(protos) / sizeof(protos[0])); i++)
        if ((named && !strcasecmp(s, protos[i].name)) || (!named && num == protos[i].num))
            k = i;
    free(s);
    if (named && k < 0) {
        perr(ps, vt->col, "unknown protocol name %s; use a number or tcp, udp, icmp, icmp6, sctp.",
             tok_desc(vt, desc, sizeof(desc)));
        return NULL;
    }
    struct qnode *byname = NULL, *bynum = NULL;
    if (k >= 0) {
        byname = proto_node(ps, col, k == 3 ? "icmp" : protos[k].name);
        if (protos[k].family)
            byname = node_bin(ps, QN_AND, byname, prim_family(ps, col, protos[k].family));
        if (!byname)
            return NULL;
    }
    struct qref ref = {{record_field_index(ps->type, "ip_proto")}, 1, NULL};
    if (ref.f[0] >= 0) {
        char nb[16];
        struct qtok nt = *vt;
        snprintf(nb, sizeof(nb), "%d", k >= 0 ? protos[k].num : (int)num);
        nt.kind = TK_WORD, nt.p = nb, nt.len = strlen(nb);
        bynum = prim_cmp(ps, col, &ref, QOP_EQ, &nt, "proto");
        if (!bynum) {
            qnode_free(byname);
            return NULL;
        }
    }
    if (byname && bynum)
        return node_bin(ps, QN_OR, bynum, byname);
    if (!byname && !bynum)
        perr(ps, col, "'proto %ld' needs the ip_proto field, which %s records do not have.", num,
             ps->type->path);
    return byname ? byname : bynum;
}

static struct qnode *parse_primitive(struct qparser *ps);

/* host/net/port/portrange after an optional src/dst. */
static struct qnode *prim_directed(struct qparser *ps, int col, enum pdir d)
{
    struct qtok *kt = peek(ps);
    struct qref ref;
    char desc[128];
    if (tok_is(kt, "portrange")) {
        next(ps);
        return prim_portrange(ps, col, d);
    }
    if (tok_is(kt, "port")) {
        next(ps);
        if (dir_ref(ps, col, d, "id.orig_p", "id.resp_p", "port", &ref) < 0)
            return NULL;
        return node_bin(ps, QN_AND, transport_node(ps, col),
                        prim_cmp(ps, col, &ref, QOP_EQ, next(ps), "port"));
    }
    bool kw = tok_is(kt, "host") || tok_is(kt, "net");
    if (!kw && d == PDIR_ANY) {
        perr(ps, kt->col, "expected host, net, port or portrange, found %s.",
             tok_desc(kt, desc, sizeof(desc)));
        return NULL;
    }
    if (kw)
        next(ps);
    if (dir_ref(ps, col, d, "id.orig_h", "id.resp_h", "host", &ref) < 0)
        return NULL;
    struct qtok *vt = peek(ps);
    if (tok_is(kt, "host") && vt->kind == TK_WORD && memchr(vt->p, '/', vt->len)) {
        perr(ps, vt->col, "expected an address after 'host', found the network %s; use 'net'.",
             tok_desc(vt, desc, sizeof(desc)));
        return NULL;
    }
    struct qnode *n = prim_cmp(ps, col, &ref, QOP_EQ, next(ps), kw ? "host" : "src/dst");
    if (n && tok_is(kt, "net") && n->vals[0].kind != QV_NET) {
        perr(ps, vt->col, "expected a network such as 10.0.0.0/8 after 'net', found %s.",
             tok_desc(vt, desc, sizeof(desc)));
        qnode_free(n);
        return NULL;
    }
    return n;
}

/* tcp / udp / ip / ip6, alone or qualifying the primitive after them. */
static struct qnode *prim_qualified(struct qparser *ps, struct qtok *kt)
{
    struct qnode *q;
    if (tok_is(kt, "ip") || tok_is(kt, "ip6"))
        q = prim_family(ps, kt->col, tok_is(kt, "ip") ? 4 : 6);
    else
        q = proto_node(ps, kt->col, tok_is(kt, "tcp") ? "tcp" : "udp");
    struct qtok *nt = peek(ps);
    if (!q || !(tok_is(nt, "host") || tok_is(nt, "net") || tok_is(nt, "port") ||
                tok_is(nt, "portrange") || tok_is(nt, "src") || tok_is(nt, "dst")))
        return q;
    return node_bin(ps, QN_AND, q, parse_primitive(ps));
}

static struct qnode *parse_primitive(struct qparser *ps)
{
    struct qtok *kt = next(ps);
    int col = kt->col;
    if (tok_is(kt, "src") || tok_is(kt, "dst"))
        return prim_directed(ps, col, tok_is(kt, "src") ? PDIR_SRC : PDIR_DST);
    if (tok_is(kt, "host") || tok_is(kt, "net") || tok_is(kt, "port") || tok_is(kt, "portrange")) {
        ps->pos--;
        return prim_directed(ps, col, PDIR_ANY);
    }
    if (tok_is(kt, "tcp") || tok_is(kt, "udp") || tok_is(kt, "ip") || tok_is(kt, "ip6"))
        return prim_qualified(ps, kt);
    if (tok_is(kt, "icmp") || tok_is(kt, "icmp6"))
        return node_bin(ps, QN_AND, proto_node(ps, col, "icmp"),
                        prim_family(ps, col, tok_is(kt, "icmp") ? 4 : 6));
    return prim_proto(ps, col); /* "proto" */
}

/* ---- expressions ---- */

static struct qnode *parse_or(struct qparser *ps);

static struct qnode *parse_unary(struct qparser *ps)
{
    struct qtok *t = peek(ps);
    char desc[128];
    if (++ps->depth > QUERY_MAX_DEPTH) {
        perr(ps, t->col, "the filter nests deeper than %d levels.", QUERY_MAX_DEPTH);
        return NULL;
    }
    struct qnode *n = NULL;
    if (t->kind == TK_NOT) {
        next(ps);
        struct qnode *c = parse_unary(ps);
        if (c && (n = node_new(ps, QN_NOT, t->col)))
            n->l = c;
        else
            qnode_free(c);
    } else if (t->kind == TK_LP) {
        next(ps);
        n = parse_or(ps);
        struct qtok *rp = next(ps);
        if (n && rp->kind != TK_RP) {
            perr(ps, rp->col, "expected ')' to close the '(' at column %d, found %s.", t->col,
                 tok_desc(rp, desc, sizeof(desc)));
            qnode_free(n);
            n = NULL;
        }
    } else if (is_primitive_word(t) && peek2(ps)->kind != TK_OP && !tok_is(peek2(ps), "in")) {
        n = parse_primitive(ps);
    } else {
        n = parse_test(ps);
    }
    ps->depth--;
    return n;
}

static struct qnode *parse_and(struct qparser *ps)
{
    struct qnode *l = parse_unary(ps);
    while (l && peek(ps)->kind == TK_AND) {
        next(ps);
        l = node_bin(ps, QN_AND, l, parse_unary(ps));
    }
    return l;
}

static struct qnode *parse_or(struct qparser *ps)
{
    struct qnode *l = parse_and(ps);
    while (l && peek(ps)->kind == TK_OR) {
        next(ps);
        l = node_bin(ps, QN_OR, l, parse_and(ps));
    }
    return l;
}

struct query *query_parse(const char *text, const struct record_type *type, char *err,
                          size_t errlen)
{
    struct qparser ps = {.type = type, .err = err, .errlen = errlen};
    struct query *q = calloc(1, sizeof(*q));
    char desc[128];
    if (errlen)
        err[0] = '\0';
    if (!q || lex(&ps, text ? text : "") < 0) {
        if (!ps.failed)
            snprintf(err, errlen, "column 1: out of memory.");
        goto fail;
    }
    q->type = type;
    if (ps.toks[0].kind == TK_END) {
        q->root = node_new(&ps, QN_TRUE, 1);
    } else {
        q->root = parse_or(&ps);
        struct qtok *t = peek(&ps);
        if (q->root && t->kind != TK_END)
            perr(&ps, t->col, "expected 'and', 'or' or the end of the filter, found %s.",
                 tok_desc(t, desc, sizeof(desc)));
    }
    if (ps.failed || !q->root)
        goto fail;
    free(ps.toks);
    return q;
fail:
    free(ps.toks);
    if (q)
        qnode_free(q->root);
    free(q);
    return NULL;
}

void query_free(struct query *q)
{
    if (!q)
        return;
    qnode_free(q->root);
    free(q);
}

int query_error_column(const char *err)
{
    if (strncmp(err, "column ", 7) != 0)
        return 0;
    char *end;
    long c = strtol(err + 7, &end, 10);
    return (end != err + 7 && c > 0 && c < 1000000) ? (int)c : 0;
}
