/*
 * fuzz_ftp.c - libFuzzer harness for the FTP control and ftp-data parsers (src/proto/ftp.c).
 *
 * The parser runs through its descriptor with a minimal fake struct
 * proto_ctx defined here (records are formatted field by field, so every
 * string and vector the parser hands out is read by the sanitizers).
 * Input: byte 0 picks the responder port (bit 0: the well-known one, else
 * 2525, which changes Zeek's late-attach timing), then steps, each a
 * control byte and a length byte followed by that many payload bytes:
 * control bit 0 picks the direction, bit 1 reports a gap of
 * (control >> 2) * 13 bytes before the payload.  So both directions,
 * random chunking and gaps are exercised; the probe runs on each chunk.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/cursor.h"
#include "proto/proto.h"
#include "store/zeeklog.h"

extern const struct proto_parser proto_ftp;

struct proto_ctx {
    struct proto_conn conn;
    unsigned emitted, switched;
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
    id->orig_p = ctx->conn.orig_p;
    id->resp_p = ctx->conn.resp_p;
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
    (void)name;
    ctx->switched++;
    return 0;
}

int proto_expect(struct proto_ctx *ctx, const struct raddr *orig, const struct raddr *resp,
                 uint16_t resp_p, const char *name, int64_t timeout_ns)
{
    (void)ctx, (void)resp_p, (void)timeout_ns;
    volatile size_t n = strlen(name) + (orig ? orig->family : 0) + resp->family;
    (void)n;
    return 0;
}

/* The GSI (ADAT) child: every decoded byte is read, nothing parsed. */
struct proto_child {
    uint64_t sum;
};

struct proto_child *proto_child_open(struct proto_ctx *ctx, const char *name)
{
    (void)ctx, (void)name;
    return calloc(1, sizeof(struct proto_child));
}

enum proto_result proto_child_data(struct proto_child *child, enum proto_dir dir,
                                   const uint8_t *data, size_t len, int64_t ts)
{
    (void)dir, (void)ts;
    for (size_t i = 0; child && i < len; i++)
        child->sum += data[i];
    return child ? PROTO_OK : PROTO_ERROR;
}

void proto_child_close(struct proto_child *child)
{
    free(child);
}

void proto_service_add(struct proto_ctx *ctx, const char *name)
{
    (void)ctx;
    volatile size_t n = strlen(name);
    (void)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct proto_parser *p = &proto_ftp;
    struct cursor c;
    cursor_init(&c, data, size);
    uint8_t sel;
    if (cursor_u8(&c, &sel) < 0)
        return 0;
    struct proto_ctx ctx;
    memset(&ctx, 0, sizeof(ctx));
    ctx.conn.uid = "CFuzz";
    ctx.conn.community_id = "1:fuzz";
    ctx.conn.orig_h.family = ctx.conn.resp_h.family = 4;
    ctx.conn.orig_h.a[0] = 10;
    ctx.conn.resp_h.a[0] = 10;
    ctx.conn.resp_h.a[3] = 2;
    ctx.conn.orig_p = 40000;
    ctx.conn.resp_p = (sel & 1) ? p->ports[0] : 2525;
    ctx.conn.ip_proto = 6;
    void *st = p->state_new(&ctx);
    if (!st)
        return 0;
    int64_t ts = 1000000000LL;
    uint8_t ctl, len;
    while (cursor_u8(&c, &ctl) == 0 && cursor_u8(&c, &len) == 0) {
        const uint8_t *chunk = NULL;
        size_t n = len < cursor_left(&c) ? len : cursor_left(&c);
        cursor_ptr(&c, n, &chunk);
        enum proto_dir dir = (ctl & 1) ? PROTO_RESP : PROTO_ORIG;
        ts += 1000;
        (void)p->probe(chunk, n, dir, 40000, ctx.conn.resp_p);
        if ((ctl & 2) && p->gap)
            p->gap(st, &ctx, dir, (uint64_t)(ctl >> 2) * 13);
        p->parse(st, &ctx, dir, chunk, n, ts);
    }
    p->state_free(st, &ctx);
    return 0;
}
