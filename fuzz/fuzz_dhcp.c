/*
 * fuzz_dhcp.c - libFuzzer harness for the DHCP parser (src/proto/dhcp.c),
 * driven through a minimal fake struct proto_ctx defined here.  Input:
 * pieces split at "\n--\n"; each piece is one datagram, in alternating
 * directions, 3 s apart (so the transaction join's expiry runs); byte 0
 * of the whole input picks the ports (bit 0: client 68 -> server 67, else
 * server 67 -> client 68) and is not part of the first datagram.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/proto.h"
#include "store/zeeklog.h"

struct proto_ctx {
    struct proto_conn conn;
};

const struct proto_conn *proto_conn(const struct proto_ctx *ctx)
{
    return &ctx->conn;
}

void proto_fill_id(const struct proto_ctx *ctx, struct proto_id *id)
{
    id->orig_h = ctx->conn.orig_h;
    id->orig_p = ctx->conn.orig_p;
    id->resp_h = ctx->conn.resp_h;
    id->resp_p = ctx->conn.resp_p;
}

void proto_emit(struct proto_ctx *ctx, const struct record_hdr *rec)
{
    struct zbuf b = {0};
    (void)ctx;
    for (size_t f = 0; f < rec->type->n_fields; f++)
        zeek_field_tsv(&b, rec, f);
    zbuf_free(&b);
}

void proto_confirm(struct proto_ctx *ctx)
{
    (void)ctx;
}

void proto_weird(struct proto_ctx *ctx, const char *name, const char *addl, int64_t ts)
{
    (void)ctx, (void)name, (void)addl, (void)ts;
}

int proto_switch(struct proto_ctx *ctx, const char *name)
{
    (void)ctx, (void)name;
    return -1;
}

int proto_expect(struct proto_ctx *ctx, const struct raddr *orig, const struct raddr *resp,
                 uint16_t resp_p, const char *name, int64_t timeout_ns)
{
    (void)ctx, (void)orig, (void)resp, (void)resp_p, (void)name, (void)timeout_ns;
    return -1;
}

extern const struct proto_parser proto_dhcp;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct proto_ctx ctx;
    if (size < 1)
        return 0;
    memset(&ctx, 0, sizeof(ctx));
    ctx.conn.uid = "Cfuzz";
    ctx.conn.community_id = "1:fuzz";
    ctx.conn.orig_h.family = ctx.conn.resp_h.family = 4;
    ctx.conn.orig_p = 40000;
    ctx.conn.orig_p = (data[0] & 1) ? 68 : 67;
    ctx.conn.resp_p = (data[0] & 1) ? 67 : 68;
    const struct proto_parser *p = &proto_dhcp;
    ctx.conn.ip_proto = p->ip_proto;
    void *st = p->state_new(&ctx);
    if (!st)
        return 0;
    const uint8_t *cur = data + 1, *end = data + size;
    int64_t ts = 1000000000;
    for (int i = 0; cur <= end; i++) {
        const uint8_t *sep = NULL;
        for (const uint8_t *q = cur; q + 4 <= end; q++)
            if (memcmp(q, "\n--\n", 4) == 0) {
                sep = q;
                break;
            }
        const uint8_t *stop = sep ? sep : end;
        if (p->gap && stop - cur == 3 && memcmp(cur, "GAP", 3) == 0)
            p->gap(st, &ctx, (enum proto_dir)(i & 1), 7);
        else
            p->parse(st, &ctx, (enum proto_dir)(i & 1), cur, (size_t)(stop - cur), ts);
        ts += 3000000000LL;
        if (!sep)
            break;
        cur = sep + 4;
    }
    p->state_free(st, &ctx);
    return 0;
}
