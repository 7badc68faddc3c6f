/*
 * query.h - Vigil's filter language (ARCHITECTURE.md section 6).
 *
 * One language selects records everywhere: Wireshark-style comparisons
 * (`id.resp_p == 443`, `conn.duration > 60s`, `ip.addr == 10.0.0.0/8`,
 * `service in {"http", "ssl"}`, `history matches "^S"`) and BPF-style
 * primitives with racluster's meaning on sessions (`tcp and dst port 21`,
 * `udp and not (port 53 or host 10.0.0.1)`), combined with and/or/not and
 * parentheses.  docs/filter-language.md has the grammar and the fields.
 *
 * A filter is parsed once, against one record type (field names are
 * resolved through its record_type table, so it works on any log), into a
 * tree; the tree is then evaluated on records in memory (query_match) or
 * compiled to a parameterised SQL WHERE clause (query_to_sql) whose values
 * are always bound, never pasted into the SQL text.
 */
#ifndef VIGIL_QUERY_H
#define VIGIL_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/record.h"

struct query;

/*
 * Parse text as a filter over records of type.  NULL on error, with a
 * sentence in err that starts "column N: " and says what was expected.
 * An empty (all-blank) text is a filter that matches everything.
 */
struct query *query_parse(const char *text, const struct record_type *type, char *err,
                          size_t errlen);

/* Column (1-based) of the last parse error in err, taken from its text; 0 if none. */
int query_error_column(const char *err);

/* Does rec (of the type the query was parsed for) match? */
bool query_match(const struct query *q, const struct record_hdr *rec);

void query_free(struct query *q);

/* ---- compiling to SQL (the store) ---- */

enum query_sql_kind { QUERY_SQL_INT, QUERY_SQL_REAL, QUERY_SQL_TEXT, QUERY_SQL_BLOB };

struct query_sql_param {
    enum query_sql_kind kind;
    int64_t i;
    double d;
    const void *p; /* TEXT: the bytes (into the query, or `owned`); BLOB: points at blob */
    size_t len;
    uint8_t blob[16]; /* BLOB: an address (IPv4 as ::ffff:a.b.c.d) */
    char *owned;      /* TEXT made for the SQL (freed by query_sql_free) */
};

struct query_sql {
    char *where;                   /* "(\"id.resp_p\" = ?1 AND ...)"; malloc'd */
    struct query_sql_param *params; /* params[k] binds ?k+1; malloc'd */
    size_t nparams;
};

/*
 * Compile q to an SQLite WHERE clause over a table whose columns are the
 * record type's Zeek field names (quoted), with this representation:
 * time/interval INTEGER ns, count/port/int INTEGER, bool INTEGER 0/1,
 * string/enum TEXT, addr BLOB of 16 bytes (IPv4 as ::ffff:a.b.c.d) so a
 * CIDR is a BETWEEN over two bound blobs, sets TEXT joined with ",".
 * `matches` uses the REGEXP operator (the store registers PCRE2 for it).
 * 0 on success; -1 with a sentence in err.  query_sql_free() frees out.
 */
int query_to_sql(const struct query *q, struct query_sql *out, char *err, size_t errlen);
void query_sql_free(struct query_sql *s);

#endif
