/*
 * fuzz_ssl.c - libFuzzer harness for the TLS parser ("ssl") and x509.log.
 *
 * The input is a sequence of frames: one header byte (bit 7: direction,
 * 0 = client; bits 0-6: length 0-127) and that many bytes, fed to
 * proto_ssl.parse() as one chunk of that direction, so the fuzzer chooses
 * both the bytes and how they are split.  A fake proto_ctx stands in for
 * the app layer; every emitted record is formatted as the TSV writer would.
 * Seeds (fuzz/corpus/fuzz_ssl/) are corpus handshakes framed this way.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/proto.h"
#include "store/zeeklog.h"

extern const struct proto_parser proto_ssl;

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
    return -1;
}

int proto_expect(struct proto_ctx *ctx, const struct raddr *orig, const struct raddr *resp,
                 uint16_t resp_p, const char *name, int64_t timeout_ns)
{
    (void)ctx, (void)orig, (void)resp, (void)resp_p, (void)name, (void)timeout_ns;
    return -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct proto_ctx ctx = {.conn = {.uid = "Cfuzz", .community_id = "1:fuzz", .ip_proto = 6}};
    ctx.conn.orig_h.family = ctx.conn.resp_h.family = 4;
    void *st = proto_ssl.state_new(&ctx);
    if (!st)
        return 0;
    bool done[2] = {false, false};
    size_t off = 0;
    while (off < size) {
        uint8_t h = data[off++];
        size_t n = h & 0x7F;
        if (n > size - off)
            n = size - off;
        int d = h >> 7;
        if (!done[d]) {
            enum proto_result r = proto_ssl.parse(st, &ctx, (enum proto_dir)d, data + off, n,
                                                  (int64_t)off * 1000);
            if (r == PROTO_ERROR)
                break;
            if (r == PROTO_DONE)
                done[0] = done[1] = true;
        }
        off += n;
    }
    proto_ssl.state_free(st, &ctx);
    return 0;
}
