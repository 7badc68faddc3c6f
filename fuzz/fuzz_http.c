/*
 * fuzz_http.c - libFuzzer harness for the HTTP parser (src/proto/http*.c).
 *
 * The parser runs through its descriptor with a minimal fake struct
 * proto_ctx defined here (records are formatted field by field, so every
 * string and vector the parser hands out is read by the sanitizers).
 * Input: a sequence of steps, each a control byte and a length byte, then
 * that many payload bytes: control bit 0 picks the direction, bit 1 ends
 * it (eof), bit 2 reports a gap of (control >> 3) * 37 bytes before the
 * payload; so both directions, random chunking, gaps and closes are
 * exercised.  The probe runs on the first chunk of each direction.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/cursor.h"
#include "proto/proto.h"
#include "store/zeeklog.h"

extern const struct proto_parser proto_http;

struct proto_ctx {
    struct proto_conn conn;
    unsigned emitted;
};

const struct proto_conn *proto_conn(const struct proto_ctx *ctx)
{
    return &ctx->conn;
}

void proto_fill_id(const struct proto_ctx *ctx, struct proto_id *id)
{
    memset(id, 0, sizeof(*id));
    id->orig_h = ctx->conn.orig_h;
    id->resp_h = ctx->conn.resp_h;
}

void proto_emit(struct proto_ctx *ctx, const struct record_hdr *rec)
{
    struct zbuf b = {0};
    for (size_t i = 0; i < rec->type->n_fields; i++)
        zeek_field_tsv(&b, rec, i);
    zbuf_free(&b);
    ctx->emitted++;
}

void proto_confirm(struct proto_ctx *ctx)
{
    (void)ctx;
}

void proto_weird(struct proto_ctx *ctx, const char *name, const char *addl, int64_t ts)
{
    (void)ctx, (void)ts;
    volatile size_t n = strlen(name) + (addl ? strlen(addl) : 0);
    (void)n;
}

int proto_switch(struct proto_ctx *ctx, const char *name)
{
    (void)ctx, (void)name;
    return 0;
}

int proto_expect(struct proto_ctx *ctx, const struct raddr *orig, const struct raddr *resp,
                 uint16_t resp_p, const char *name, int64_t timeout_ns)
{
    (void)ctx, (void)orig, (void)resp, (void)resp_p, (void)name, (void)timeout_ns;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct proto_ctx ctx;
    memset(&ctx, 0, sizeof(ctx));
    ctx.conn.uid = "CFuzz";
    ctx.conn.community_id = "1:fuzz";
    ctx.conn.orig_h.family = ctx.conn.resp_h.family = 4;
    void *st = proto_http.state_new(&ctx);
    if (!st)
        return 0;
    struct cursor c;
    cursor_init(&c, data, size);
    bool probed[2] = {false, false}, closed[2] = {false, false};
    int64_t ts = 1;
    uint8_t ctl, len;
    while (cursor_u8(&c, &ctl) == 0 && cursor_u8(&c, &len) == 0) {
        const uint8_t *p = NULL;
        size_t n = len < cursor_left(&c) ? len : cursor_left(&c);
        cursor_ptr(&c, n, &p);
        enum proto_dir dir = (enum proto_dir)(ctl & 1);
        ts += 1000;
        if (closed[dir])
            continue;
        if (!probed[dir] && n > 0) {
            probed[dir] = true;
            (void)proto_http.probe(p, n, dir, 1234, 80);
        }
        if ((ctl & 4) && proto_http.gap(st, &ctx, dir, (uint64_t)(ctl >> 3) * 37) == PROTO_DONE)
            break;
        if (n > 0 && proto_http.parse(st, &ctx, dir, p, n, ts) != PROTO_OK)
            break;
        if (ctl & 2) {
            proto_http.eof(st, &ctx, dir, ts);
            closed[dir] = true;
        }
    }
    proto_http.state_free(st, &ctx);
    return 0;
}
