/*
 * fuzz_imap.c - libFuzzer harness for the IMAP parser (src/proto/imap.c),
 * driven through a minimal fake struct proto_ctx defined here (records are
 * formatted with Zeek's TSV writer and dropped).  Input: byte 0 is unused
 * but for bit 0 (responder port 143 or 40001); then chunks, each one header
 * byte (bit 7: direction, 0 orig / 1 resp; bits 0-6: length 0..127)
 * followed by that many bytes, so both directions interleave and every
 * message boundary falls at arbitrary chunk splits.  Each side's first
 * chunk also goes through the probe.  The harness honours the app layer's
 * contract: after PROTO_DONE, PROTO_ERROR or a proto_switch() nothing more
 * is fed.  Seeds (fuzz/corpus/fuzz_imap/): IMAP greetings, CAPABILITY, STARTTLS accepted and refused, LOGIN (the corpus session tls/zeek-imap-starttls.pcap among them).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/proto.h"
#include "store/zeeklog.h"

extern const struct proto_parser proto_imap;

struct proto_ctx {
    struct proto_conn conn;
    int switched;
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
    (void)name;
    ctx->switched = 1;
    return 0;
}

int proto_expect(struct proto_ctx *ctx, const struct raddr *orig, const struct raddr *resp,
                 uint16_t resp_p, const char *name, int64_t timeout_ns)
{
    (void)ctx, (void)orig, (void)resp, (void)resp_p, (void)name, (void)timeout_ns;
    return -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct proto_ctx ctx;
    if (size < 1)
        return 0;
    memset(&ctx, 0, sizeof(ctx));
    ctx.conn.uid = "Cfuzz";
    ctx.conn.community_id = "1:fuzz";
    ctx.conn.orig_h.family = ctx.conn.resp_h.family = 4;
    ctx.conn.orig_h.a[0] = 10;
    ctx.conn.resp_h.a[0] = 8;
    ctx.conn.orig_p = 40000;
    ctx.conn.resp_p = (data[0] & 1) ? 143 : 40001;
    ctx.conn.ip_proto = 6;
    const struct proto_parser *p = &proto_imap;
    void *st = p->state_new(&ctx);
    if (!st)
        return 0;
    size_t off = 1;
    int64_t ts = 1000000000;
    int probed[2] = {0, 0};
    while (off < size && !ctx.switched) {
        uint8_t h = data[off++];
        enum proto_dir dir = (h & 0x80) ? PROTO_RESP : PROTO_ORIG;
        size_t n = h & 0x7f;
        if (n > size - off)
            n = size - off;
        if (!probed[dir]) {
            probed[dir] = 1;
            (void)p->probe(data + off, n, dir, ctx.conn.orig_p, ctx.conn.resp_p);
        }
        enum proto_result r = n ? p->parse(st, &ctx, dir, data + off, n, ts) : PROTO_OK;
        off += n;
        ts += 1000;
        if (r != PROTO_OK)
            break;
    }
    p->state_free(st, &ctx);
    return 0;
}
