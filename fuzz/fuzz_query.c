/*
 * fuzz_query.c - libFuzzer harness for the filter language: the input is
 * filter text; it is parsed against conn.log's record type and, when it
 * parses, evaluated on a fixed session record.  Any crash, leak, hang or
 * sanitizer report is a bug in src/query.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flow/conn_record.h"
#include "query/query.h"

static const struct rstr parents[] = {{"Cparent", 7}};

static void fixed_record(struct conn_record *r)
{
    conn_record_init(r);
    r->ts = 1454301530932342000LL;
    r->uid = (struct rstr){"C3gwRp2LNdVKUCB0c5", 18};
    r->orig_h.family = 4;
    memcpy(r->orig_h.a, "\x0a\x0a\x1e\x1a", 4); /* 10.10.30.26 */
    r->orig_p = 43958;
    r->resp_h.family = 6;
    memcpy(r->resp_h.a, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16); /* 2001:db8::1 */
    r->resp_p = 21;
    r->proto = (struct rstr){"tcp", 3};
    r->duration = 77136000;
    r->history = (struct rstr){"ShAdDa", 6};
    r->conn_state = (struct rstr){"S1", 2};
    r->tunnel_parents = (struct rstrvec){parents, 1};
    r->orig_bytes = 38;
    r->local_orig = true;
    r->ip_proto = 6;
    for (int f = 0; f <= CONN_IP_PROTO; f++)
        record_set_unset(&r->hdr, (size_t)f, false);
    record_set_unset(&r->hdr, CONN_SERVICE, true);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 8192)
        return 0;
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    char err[512];
    struct query *q = query_parse(text, &conn_record_type, err, sizeof(err));
    if (q) {
        struct conn_record r;
        fixed_record(&r);
        (void)query_match(q, &r.hdr);
        struct query_sql sql;
        if (query_to_sql(q, &sql, err, sizeof(err)) == 0)
            query_sql_free(&sql);
        query_free(q);
    } else {
        (void)query_error_column(err);
    }
    free(text);
    return 0;
}
