/*
 * proto_fake.c - the fake app layer of the parser unit tests (see
 * proto_fake.h): the proto_* functions a parser calls, recording into the
 * fake struct proto_ctx instead of reaching outputs and sessions.  Every
 * record is rendered as a Zeek TSV line without ts (field 0), so splits at
 * other times compare equal; weirds, switches, expectations, children and
 * services are counted and kept.
 *
 * The definitions are weak: this object sits in the test support archive
 * linked into every unit test, and one that uses the real app layer keeps
 * applayer.o's.
 */
#include "proto_fake.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store/zeeklog.h"

#define PROTO_FAKE __attribute__((weak))

uint8_t proto_fake_done_on;
bool proto_fake_inspect;
size_t proto_fake_first = 1;
char proto_fake_sep = '|';

PROTO_FAKE bool proto_inspecting(const struct proto_ctx *ctx)
{
    (void)ctx;
    return proto_fake_inspect;
}

PROTO_FAKE void proto_encrypted(struct proto_ctx *ctx)
{
    ctx->encrypted++;
}

/* Records are read here (the tests compare them). */
PROTO_FAKE bool proto_logging(const struct proto_ctx *ctx)
{
    (void)ctx;
    return true;
}

PROTO_FAKE void proto_inspect(struct proto_ctx *ctx, const struct proto_insp *in)
{
    char *o = ctx->insp;
    size_t cap = sizeof(ctx->insp), l = strlen(o);
    l += (size_t)snprintf(o + l, l < cap ? cap - l : 0, "%d/%llu:", (int)in->dir,
                          (unsigned long long)in->tx);
    for (uint32_t i = 0; i < in->n && l + 8 < cap; i++) {
        l += (size_t)snprintf(o + l, cap - l, "%s%u=", i ? "," : "", in->item[i].id);
        for (uint32_t k = 0; k < in->item[i].len && l + 2 < cap; k++) {
            uint8_t c = in->item[i].p[k];
            o[l++] = c >= 0x20 && c < 0x7f ? (char)c : '.';
        }
        o[l] = 0;
    }
    for (int n = 0; n < PN_COUNT && l + 24 < cap; n++)
        if (in->num_have & (1u << n))
            l += (size_t)snprintf(o + l, cap - l, " #%d=%llu", n, (unsigned long long)in->num[n]);
    if (l + 2 < cap) {
        o[l++] = ';';
        o[l] = 0;
    }
    ctx->n_insp++;
}

struct proto_ctx *proto_fake_new(uint16_t resp_p)
{
    struct proto_ctx *c = calloc(1, sizeof(*c));
    c->child_done_on = proto_fake_done_on;
    c->conn.uid = "CUnitTest";
    c->conn.community_id = "1:test";
    c->conn.orig_h.family = 4;
    memcpy(c->conn.orig_h.a, "\x0a\x00\x00\x01", 4); /* 10.0.0.1 */
    c->conn.resp_h.family = 4;
    memcpy(c->conn.resp_h.a, "\x0a\x00\x00\x02", 4); /* 10.0.0.2 */
    c->conn.orig_p = 40000;
    c->conn.resp_p = resp_p;
    c->conn.ip_proto = 6;
    return c;
}

struct proto_ctx *proto_fake_run(const struct proto_parser *p, uint16_t port,
                                 const struct proto_fake_step *steps, size_t n, size_t split_step,
                                 size_t split)
{
    struct proto_ctx *c = proto_fake_new(port);
    void *st = p->state_new(c);
    for (size_t i = 0; i < n; i++) {
        const uint8_t *d = (const uint8_t *)steps[i].data;
        size_t len = strlen(steps[i].data);
        int64_t ts = (int64_t)(i + 1) * 1000000000LL;
        if (i == split_step && split > 0 && split < len) {
            p->parse(st, c, steps[i].dir, d, split, ts);
            p->parse(st, c, steps[i].dir, d + split, len - split, ts);
        } else
            p->parse(st, c, steps[i].dir, d, len, ts);
    }
    p->state_free(st, c);
    return c;
}

PROTO_FAKE const struct proto_conn *proto_conn(const struct proto_ctx *ctx)
{
    return &ctx->conn;
}

PROTO_FAKE void proto_fill_id(const struct proto_ctx *ctx, struct proto_id *id)
{
    id->orig_h = ctx->conn.orig_h;
    id->orig_p = ctx->conn.orig_p;
    id->resp_h = ctx->conn.resp_h;
    id->resp_p = ctx->conn.resp_p;
}

PROTO_FAKE void proto_emit(struct proto_ctx *ctx, const struct record_hdr *rec)
{
    struct zbuf b = {0};
    for (size_t i = proto_fake_first; i < rec->type->n_fields; i++) {
        if (i > proto_fake_first)
            zbuf_put(&b, &proto_fake_sep, 1);
        zeek_field_tsv(&b, rec, i);
    }
    assert_true(b.len < sizeof(ctx->rows[0])); /* a cut row would compare wrongly */
    if (ctx->n_rows < 64) {
        ctx->row_type[ctx->n_rows] = rec->type;
        snprintf(ctx->rows[ctx->n_rows++], sizeof(ctx->rows[0]), "%.*s", (int)b.len, b.p);
    }
    zbuf_free(&b);
}

const char *proto_fake_field(const struct proto_ctx *c, int row, const char *name)
{
    static char v[sizeof(c->rows[0])];
    v[0] = 0;
    if (row < 0 || row >= c->n_rows)
        return v;
    const struct record_type *t = c->row_type[row];
    size_t f = proto_fake_first;
    while (f < t->n_fields && strcmp(t->fields[f].name, name) != 0)
        f++;
    if (f == t->n_fields)
        return v;
    const char *p = c->rows[row];
    for (size_t i = proto_fake_first; i < f && p; i++) {
        p = strchr(p, proto_fake_sep);
        p = p ? p + 1 : NULL;
    }
    if (p)
        snprintf(v, sizeof(v), "%.*s", (int)strcspn(p, (char[]){proto_fake_sep, 0}), p);
    return v;
}

void proto_fake_check_splits(const struct proto_parser *p, uint16_t port,
                             const struct proto_fake_step *steps, size_t n)
{
    struct proto_ctx *ref = proto_fake_run(p, port, steps, n, (size_t)-1, 0);
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(steps[i].data);
        for (size_t k = 1; k < len; k++) {
            struct proto_ctx *c = proto_fake_run(p, port, steps, n, i, k);
            assert_int_equal(c->n_rows, ref->n_rows);
            for (int r = 0; r < ref->n_rows; r++)
                assert_string_equal(c->rows[r], ref->rows[r]);
            free(c);
        }
    }
    free(ref);
}

PROTO_FAKE void proto_confirm(struct proto_ctx *ctx)
{
    ctx->confirms++;
}

PROTO_FAKE void proto_weird(struct proto_ctx *ctx, const char *name, const char *addl, int64_t ts)
{
    (void)addl;
    (void)ts;
    size_t l = strlen(ctx->weirds);
    snprintf(ctx->weirds + l, sizeof(ctx->weirds) - l, "%s;", name);
    ctx->n_weirds++;
}

/* Events are recorded with the weirds, as "event:name;". */
PROTO_FAKE void proto_event(struct proto_ctx *ctx, const char *name, int64_t ts)
{
    (void)ts;
    size_t l = strlen(ctx->weirds);
    snprintf(ctx->weirds + l, sizeof(ctx->weirds) - l, "event:%s;", name);
    ctx->n_weirds++;
}

PROTO_FAKE int proto_switch(struct proto_ctx *ctx, const char *name)
{
    ctx->switches++;
    snprintf(ctx->switched_to, sizeof(ctx->switched_to), "%s", name ? name : "");
    return 0;
}

PROTO_FAKE int proto_expect(struct proto_ctx *ctx, const struct raddr *orig,
                            const struct raddr *resp, uint16_t resp_p, const char *name,
                            int64_t timeout_ns)
{
    (void)name, (void)timeout_ns;
    ctx->expects++;
    ctx->exp_orig = *orig;
    ctx->exp_resp = *resp;
    ctx->exp_port = resp_p;
    return 0;
}

struct proto_child {
    struct proto_ctx *ctx;
    enum proto_result last;
};

PROTO_FAKE struct proto_child *proto_child_open(struct proto_ctx *ctx, const char *name)
{
    struct proto_child *ch = calloc(1, sizeof(*ch));
    ch->ctx = ctx;
    ctx->child_opens++;
    ctx->child_open_now++;
    snprintf(ctx->child_name, sizeof(ctx->child_name), "%s", name);
    return ch;
}

PROTO_FAKE enum proto_result proto_child_data(struct proto_child *ch, enum proto_dir dir,
                                              const uint8_t *data, size_t len, int64_t ts)
{
    (void)ts;
    struct proto_ctx *c = ch->ctx;
    if (ch->last != PROTO_OK)
        return ch->last;
    for (size_t i = 0; i < len && c->child_len[dir] < sizeof(c->child_bytes[0]); i++) {
        c->child_bytes[dir][c->child_len[dir]++] = data[i];
        if (c->child_done_on && data[i] == c->child_done_on)
            ch->last = PROTO_DONE;
    }
    return ch->last;
}

PROTO_FAKE void proto_child_close(struct proto_child *ch)
{
    if (!ch)
        return;
    ch->ctx->child_closes++;
    ch->ctx->child_open_now--;
    free(ch);
}

PROTO_FAKE void proto_service_add(struct proto_ctx *ctx, const char *name)
{
    size_t l = strlen(ctx->services);
    snprintf(ctx->services + l, sizeof(ctx->services) - l, "%s;", name);
}
