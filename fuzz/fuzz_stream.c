/*
 * fuzz_stream.c - libFuzzer harness for src/stream: random TCP segment
 * sequences through the flow table, the reassembler and the app layer,
 * with a test parser that probes, confirms, errors, switches and raises
 * weirds depending on the bytes it gets.
 *
 * Input: byte 0 picks the responder port (low bit: 7, the test parser's
 * port, or else 80 with bit 5 - a likely server port, so a first packet from
 * it is the responder's - or 9999), the reassembly memory cap (bits 1-3:
 * 256 B .. 32 KiB) and the midstream reversal (bit 4; the probe's 'R' is a
 * client's byte);
 * then segments, each 6 header bytes - flags (TCP flags; bit 0x80 of the
 * flags byte = from the responder), a signed 16-bit sequence delta from
 * that direction's last sequence number, an 8-bit ack delta, a payload
 * length - and that many payload bytes (a short last segment takes what is
 * left).  Every segment is one packet, 1 ms apart.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/cursor.h"
#include "stream/stream.h"

#define NS 1000000000LL

static void *fz_new(struct proto_ctx *ctx)
{
    (void)ctx;
    return malloc(16);
}

static enum proto_result fz_parse(void *st, struct proto_ctx *ctx, enum proto_dir dir,
                                  const uint8_t *data, size_t len, int64_t ts)
{
    (void)st;
    (void)dir;
    unsigned sum = 0;
    for (size_t i = 0; i < len; i++)
        sum += data[i];
    if (len && data[0] == 'X')
        return PROTO_ERROR;
    if (len && data[0] == 'C')
        proto_confirm(ctx);
    if (len && data[0] == 'W')
        proto_weird(ctx, "fuzz_weird", NULL, ts);
    if (len && data[0] == 'S')
        proto_switch(ctx, (sum & 1) ? "fz2" : NULL);
    if (len && data[0] == 'E')
        proto_expect(ctx, NULL, &proto_conn(ctx)->resp_h, 2020, "fz2", NS);
    if (len && data[0] == 'D')
        return PROTO_DONE;
    return PROTO_OK;
}

static enum proto_result fz_gap(void *st, struct proto_ctx *ctx, enum proto_dir dir, uint64_t len)
{
    (void)st;
    (void)ctx;
    (void)dir;
    return len > 1000 ? PROTO_ERROR : PROTO_OK;
}

static void fz_free(void *st, struct proto_ctx *ctx)
{
    (void)ctx;
    free(st);
}

static enum proto_probe fz_probe(const uint8_t *d, size_t len, enum proto_dir dir, uint16_t op,
                                 uint16_t rp)
{
    (void)op;
    (void)rp;
    if (len < 2)
        return PROTO_PROBE_MAYBE;
    if (d[0] == 'R') /* a client's request: what the midstream reversal looks for */
        return dir == PROTO_ORIG ? PROTO_PROBE_YES : PROTO_PROBE_NO;
    return d[0] == 'F' ? PROTO_PROBE_YES : d[0] == 'M' ? PROTO_PROBE_MAYBE : PROTO_PROBE_NO;
}

static const uint16_t fz_ports[] = {7, 0};
static const struct proto_parser fz1 = {
    .name = "fz1", .ip_proto = 6, .ports = fz_ports, .probe = fz_probe, .state_new = fz_new,
    .parse = fz_parse, .gap = fz_gap, .state_free = fz_free,
};
static const struct proto_parser fz2 = {
    .name = "fz2", .ip_proto = 6, .ports = NULL, .probe = NULL, .state_new = fz_new,
    .parse = fz_parse, .state_free = fz_free,
};
static const struct proto_parser *const fz_parsers[] = {&fz1, &fz2, NULL};

static void fz_rec(void *ctx, const struct record_hdr *rec)
{
    (void)ctx;
    (void)rec;
}

static void fz_conn(void *ctx, const struct conn_record *rec)
{
    (void)ctx;
    (void)rec;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cursor c;
    uint8_t sel = 0;
    cursor_init(&c, data, size);
    if (cursor_u8(&c, &sel) < 0)
        return 0;
    struct flow_config fc;
    flow_config_default(&fc);
    fc.memcap = 1 << 16;
    fc.hash_seed_set = true;
    char err[256];
    struct flow_table *t = flow_table_new(&fc, "fuzz", fz_conn, NULL, err, sizeof(err));
    struct stream_config sc;
    stream_config_default(&sc);
    sc.memcap = (size_t)256 << ((sel >> 1) & 7);
    sc.detect_max = 64;
    sc.midstream_reverse = (sel >> 4) & 1;
    struct applayer *al = applayer_new(&sc, fz_parsers, fz_rec, NULL);
    if (!t || !al)
        abort();
    applayer_attach(al, t);
    uint32_t seq[2] = {1000, 50000};
    uint16_t rport = (sel & 1) ? 7 : (sel & 0x20) ? 80 : 9999;
    int64_t now = 1 * NS;
    uint8_t fl, ackd, plen;
    uint16_t sd;
    while (cursor_u8(&c, &fl) == 0 && cursor_u16be(&c, &sd) == 0 && cursor_u8(&c, &ackd) == 0 &&
           cursor_u8(&c, &plen) == 0) {
        int rev = fl >> 7;
        size_t n = plen < cursor_left(&c) ? plen : cursor_left(&c);
        const uint8_t *pl = c.p;
        cursor_skip(&c, n);
        seq[rev] += (uint32_t)(int32_t)(int16_t)sd;
        struct packet p;
        memset(&p, 0, sizeof(p));
        now += 1000000;
        p.ts_sec = now / NS;
        p.ts_nsec = (uint32_t)(now % NS);
        p.flags = PKT_F_IP;
        p.n_layers = 1;
        struct pkt_ip *ip = &p.layer[0];
        ip->version = 4;
        ip->proto = 6;
        uint8_t a[4] = {10, 0, 0, 1}, b[4] = {10, 0, 0, 2};
        memcpy(ip->src, rev ? b : a, 4);
        memcpy(ip->dst, rev ? a : b, 4);
        ip->hdr_len = 20;
        ip->total_len = (uint32_t)(40 + n);
        ip->t.valid = true;
        ip->t.sport = rev ? rport : 40000;
        ip->t.dport = rev ? 40000 : rport;
        ip->t.tcp_flags = fl & 0x7f;
        ip->t.tcp_hlen = 20;
        ip->t.win = 1000;
        ip->t.seq = seq[rev];
        ip->t.ack = seq[!rev] + ackd;
        ip->t.payload = n ? pl : NULL;
        ip->t.payload_len = ip->t.payload_wire_len = (uint32_t)n;
        flow_table_packet(t, &p);
        seq[rev] += (uint32_t)n;
    }
    flow_table_flush(t);
    flow_table_free(t);
    applayer_free(al);
    return 0;
}
