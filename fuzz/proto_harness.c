/*
 * proto_harness.c - the fake app layer (struct proto_ctx and the proto_*
 * calls a parser makes) and the chunk driver the protocol fuzz harnesses
 * share (see proto_harness.h for the input formats).
 *
 * Records are formatted field by field with Zeek's TSV writer and dropped,
 * and every string a parser hands to proto_weird() or proto_expect() is
 * read, so the sanitizers see all of it.  proto_switch() and proto_expect()
 * return what the harness asks for; proto_child_open() gives a child that
 * reads every decoded byte and parses nothing (FTP's GSI ADAT).
 *
 * The fakes are weak symbols: a harness that drives the real app layer
 * (fuzz_stream.c) and calls proto_confirm() itself gets this object from
 * the archive too, and the real definitions in libvigil's applayer.o
 * override these there.
 */
#include "proto_harness.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/cursor.h"
#include "store/zeeklog.h"

#define HARNESS_FAKE __attribute__((weak))

struct proto_ctx {
    struct proto_conn conn;
    unsigned emitted, switched;
    int switch_ret, expect_ret;
};

HARNESS_FAKE const struct proto_conn *proto_conn(const struct proto_ctx *ctx)
{
    return &ctx->conn;
}

HARNESS_FAKE void proto_fill_id(const struct proto_ctx *ctx, struct proto_id *id)
{
    memset(id, 0, sizeof(*id));
    id->orig_h = ctx->conn.orig_h;
    id->orig_p = ctx->conn.orig_p;
    id->resp_h = ctx->conn.resp_h;
    id->resp_p = ctx->conn.resp_p;
}

HARNESS_FAKE void proto_emit(struct proto_ctx *ctx, const struct record_hdr *rec)
{
    struct zbuf b = {0};
    for (size_t i = 0; i < rec->type->n_fields; i++)
        zeek_field_tsv(&b, rec, i);
    zbuf_free(&b);
    ctx->emitted++;
}

HARNESS_FAKE void proto_confirm(struct proto_ctx *ctx)
{
    (void)ctx;
}

HARNESS_FAKE void proto_weird(struct proto_ctx *ctx, const char *name, const char *addl, int64_t ts)
{
    (void)ctx, (void)ts;
    volatile size_t n = strlen(name) + (addl ? strlen(addl) : 0);
    (void)n;
}

HARNESS_FAKE void proto_event(struct proto_ctx *ctx, const char *name, int64_t ts)
{
    (void)ctx, (void)ts;
    volatile size_t n = strlen(name);
    (void)n;
}

HARNESS_FAKE int proto_switch(struct proto_ctx *ctx, const char *name)
{
    (void)name; /* NULL: back to content detection */
    ctx->switched++;
    return ctx->switch_ret;
}

HARNESS_FAKE int proto_expect(struct proto_ctx *ctx, const struct raddr *orig,
                              const struct raddr *resp, uint16_t resp_p, const char *name,
                              int64_t timeout_ns)
{
    (void)resp_p, (void)timeout_ns;
    volatile size_t n = strlen(name) + (orig ? orig->family : 0) + resp->family;
    (void)n;
    return ctx->expect_ret;
}

struct proto_child {
    uint64_t sum;
};

HARNESS_FAKE struct proto_child *proto_child_open(struct proto_ctx *ctx, const char *name)
{
    (void)ctx, (void)name;
    return calloc(1, sizeof(struct proto_child));
}

HARNESS_FAKE enum proto_result proto_child_data(struct proto_child *child, enum proto_dir dir,
                                                const uint8_t *data, size_t len, int64_t ts)
{
    (void)dir, (void)ts;
    for (size_t i = 0; child && i < len; i++)
        child->sum += data[i];
    return child ? PROTO_OK : PROTO_ERROR;
}

HARNESS_FAKE void proto_child_close(struct proto_child *child)
{
    free(child);
}

/* Records are read: every field of them is built. */
HARNESS_FAKE bool proto_logging(const struct proto_ctx *ctx)
{
    (void)ctx;
    return true;
}

/* The signature engine listens: the parsers build their inspection
 * buffers on every input, and every byte of them is read here, so a buffer
 * pointing outside its message shows up under ASan. */
HARNESS_FAKE bool proto_inspecting(const struct proto_ctx *ctx)
{
    (void)ctx;
    return true;
}

HARNESS_FAKE void proto_encrypted(struct proto_ctx *ctx)
{
    (void)ctx;
}

HARNESS_FAKE void proto_inspect(struct proto_ctx *ctx, const struct proto_insp *in)
{
    (void)ctx;
    volatile uint64_t sum = in->num_have + in->n_rrtype;
    for (uint32_t i = 0; i < in->n && i < PROTO_INSP_ITEMS; i++)
        for (uint32_t k = 0; k < in->item[i].len; k++)
            sum += in->item[i].p[k];
    (void)sum;
}

HARNESS_FAKE void proto_service_add(struct proto_ctx *ctx, const char *name)
{
    (void)ctx;
    volatile size_t n = strlen(name);
    (void)n;
}

static void drive_split(const struct proto_parser *p, struct proto_ctx *ctx, void *st,
                        const uint8_t *data, size_t size, const struct harness_opts *o)
{
    const uint8_t *cur = data, *end = data + size;
    int64_t ts = o->ts0;
    for (int i = 0; cur <= end; i++) {
        const uint8_t *sep = NULL;
        for (const uint8_t *q = cur; q + 4 <= end; q++)
            if (memcmp(q, "\n--\n", 4) == 0) {
                sep = q;
                break;
            }
        const uint8_t *stop = sep ? sep : end;
        if (p->gap && stop - cur == 3 && memcmp(cur, "GAP", 3) == 0)
            p->gap(st, ctx, (enum proto_dir)(i & 1), 7);
        else
            p->parse(st, ctx, (enum proto_dir)(i & 1), cur, (size_t)(stop - cur), ts);
        ts += o->ts_step;
        if (!sep)
            break;
        cur = sep + 4;
    }
}

static void drive_step_eof(const struct proto_parser *p, struct proto_ctx *ctx, void *st,
                           const uint8_t *data, size_t size, const struct harness_opts *o)
{
    struct cursor c;
    cursor_init(&c, data, size);
    bool probed[2] = {false, false}, closed[2] = {false, false};
    int64_t ts = o->ts0;
    uint8_t ctl, len;
    while (cursor_u8(&c, &ctl) == 0 && cursor_u8(&c, &len) == 0) {
        const uint8_t *chunk = NULL;
        size_t n = len < cursor_left(&c) ? len : cursor_left(&c);
        cursor_ptr(&c, n, &chunk);
        enum proto_dir dir = (enum proto_dir)(ctl & 1);
        ts += o->ts_step;
        if (closed[dir])
            continue;
        if (!probed[dir] && n > 0) {
            probed[dir] = true;
            (void)p->probe(chunk, n, dir, o->probe_orig_p, o->probe_resp_p);
        }
        if ((ctl & 4) && p->gap(st, ctx, dir, (uint64_t)(ctl >> 3) * 37) == PROTO_DONE)
            break;
        if (n > 0 && p->parse(st, ctx, dir, chunk, n, ts) != PROTO_OK)
            break;
        if (ctl & 2) {
            p->eof(st, ctx, dir, ts);
            closed[dir] = true;
        }
    }
}

static void drive_step_gap(const struct proto_parser *p, struct proto_ctx *ctx, void *st,
                           const uint8_t *data, size_t size, const struct harness_opts *o)
{
    struct cursor c;
    cursor_init(&c, data, size);
    int64_t ts = o->ts0;
    uint8_t ctl, len;
    while (cursor_u8(&c, &ctl) == 0 && cursor_u8(&c, &len) == 0) {
        const uint8_t *chunk = NULL;
        size_t n = len < cursor_left(&c) ? len : cursor_left(&c);
        cursor_ptr(&c, n, &chunk);
        enum proto_dir dir = (ctl & 1) ? PROTO_RESP : PROTO_ORIG;
        ts += o->ts_step;
        (void)p->probe(chunk, n, dir, (uint16_t)ctx->conn.orig_p, (uint16_t)ctx->conn.resp_p);
        if ((ctl & 2) && p->gap)
            p->gap(st, ctx, dir, (uint64_t)(ctl >> 2) * 13);
        p->parse(st, ctx, dir, chunk, n, ts);
    }
}

static void drive_frame(const struct proto_parser *p, struct proto_ctx *ctx, void *st,
                        const uint8_t *data, size_t size, const struct harness_opts *o)
{
    size_t off = 0;
    int64_t ts = o->ts0;
    bool probed[2] = {false, false};
    while (off < size && !((o->flags & HARNESS_STOP_ON_SWITCH) && ctx->switched)) {
        uint8_t h = data[off++];
        enum proto_dir dir = (h & 0x80) ? PROTO_RESP : PROTO_ORIG;
        size_t n = h & 0x7f;
        if (n > size - off)
            n = size - off;
        if ((o->flags & HARNESS_PROBE_FIRST) && !probed[dir]) {
            probed[dir] = true;
            (void)p->probe(data + off, n, dir, (uint16_t)ctx->conn.orig_p,
                           (uint16_t)ctx->conn.resp_p);
        }
        if (o->flags & HARNESS_TS_OFFSET)
            ts = (int64_t)off * 1000;
        enum proto_result r;
        if (n == 0 && (o->flags & HARNESS_EMPTY_GAP))
            r = p->gap ? p->gap(st, ctx, dir, 10)
                       : PROTO_DONE; /* no gap handler: the app layer stops feeding */
        else if (n == 0 && (o->flags & HARNESS_EMPTY_SKIP))
            r = PROTO_OK;
        else
            r = p->parse(st, ctx, dir, data + off, n, ts);
        off += n;
        ts += o->ts_step;
        if (r != PROTO_OK)
            break;
    }
}

void harness_drive(const struct proto_parser *p, const struct proto_conn *conn, const uint8_t *data,
                   size_t size, const struct harness_opts *o)
{
    struct proto_ctx ctx;
    memset(&ctx, 0, sizeof(ctx));
    ctx.conn = *conn;
    ctx.switch_ret = o->switch_ret;
    ctx.expect_ret = o->expect_ret;
    void *st = p->state_new(&ctx);
    if (!st)
        return;
    switch (o->format) {
    case HARNESS_SPLIT:
        drive_split(p, &ctx, st, data, size, o);
        break;
    case HARNESS_STEP_EOF:
        drive_step_eof(p, &ctx, st, data, size, o);
        break;
    case HARNESS_STEP_GAP:
        drive_step_gap(p, &ctx, st, data, size, o);
        break;
    case HARNESS_FRAME:
        drive_frame(p, &ctx, st, data, size, o);
        break;
    }
    p->state_free(st, &ctx);
}

void harness_drive_tcp(const struct proto_parser *p, uint16_t resp_p, const uint8_t *data,
                       size_t size, const struct harness_opts *o)
{
    struct proto_conn conn = {.uid = "Cfuzz", .community_id = "1:fuzz", .ip_proto = 6};
    conn.orig_h.family = conn.resp_h.family = 4;
    conn.orig_h.a[0] = 10;
    conn.resp_h.a[0] = 8;
    conn.orig_p = 40000;
    conn.resp_p = resp_p;
    harness_drive(p, &conn, data, size, o);
}

const struct harness_opts harness_opts_switching = {
    .format = HARNESS_FRAME,
    .flags = HARNESS_PROBE_FIRST | HARNESS_EMPTY_SKIP | HARNESS_STOP_ON_SWITCH,
    .ts0 = 1000000000,
    .ts_step = 1000,
    .switch_ret = 0,
    .expect_ret = -1};

const struct harness_opts harness_opts_framing = {
    .format = HARNESS_FRAME,
    .flags = HARNESS_PROBE_FIRST | HARNESS_EMPTY_GAP,
    .ts0 = 1000000000,
    .ts_step = 1000,
    .switch_ret = -1,
    .expect_ret = -1};
