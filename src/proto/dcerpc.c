/*
 * dcerpc.c - DCE/RPC identification over TCP ("dce_rpc", Zeek's service
 * name): follows the connection-oriented PDUs and checks each one's common
 * header, confirms DCE/RPC on the first good one (conn.log's service), and
 * so lets the signature engine match `alert dcerpc` rules on the session
 * (Suricata's app-layer protocol dcerpc; docs/alerts.md).  The endpoint
 * mapper (port 135) and the dynamic ports it hands out carry it.
 *
 * Not parsed: binds, interfaces and operations.  Zeek 8 writes dce_rpc.log
 * from them and Suricata its dcerpc records and the dce_iface / dce_opnum /
 * dce_stub_data keywords; Vigil writes none of these yet
 * (tests/compat/KNOWN-DIFFERENCES.md).
 *
 * Framing (DCE 1.1 RPC, C706 chapter 12.6; MS-RPCE 2.2.2): each PDU begins
 * with a 16-byte header - rpc_vers 5, rpc_vers_minor 0 or 1, PTYPE, flags,
 * the data representation (byte 0: integer order in the high nibble, 0 big
 * or 1 little endian, character set in the low one, 0 ASCII or 1 EBCDIC),
 * frag_length (in that byte order, header included), auth_length, call_id -
 * and is frag_length bytes long.  Connection-oriented PTYPEs are 0, 2, 3
 * and 11-19 (1 and 4-10 are the datagram protocol's).  A bad header is a
 * protocol violation (PROTO_ERROR); a gap ends parsing (gap is NULL).
 */
#include <stdlib.h>
#include <string.h>

#include "core/cursor.h"
#include "proto/proto.h"

#define DCE_HDR 16

struct dce_dir {
    uint8_t hdr[DCE_HDR];
    uint8_t have;
    uint16_t left; /* bytes of the current PDU after its header */
};

struct dce_state {
    struct dce_dir dir[2];
    bool confirmed;
};

static void *dce_new(struct proto_ctx *ctx)
{
    (void)ctx;
    return calloc(1, sizeof(struct dce_state));
}

static bool dce_co_ptype(uint8_t t)
{
    return t == 0 || t == 2 || t == 3 || (t >= 11 && t <= 19);
}

/* The first n (<= 16) bytes of a PDU header: 0 bad, 1 good (*flen set when
 * n is 16), -1 good so far. */
static int dce_header(const uint8_t *h, size_t n, uint16_t *flen)
{
    if (n >= 1 && h[0] != 5)
        return 0;
    if (n >= 2 && h[1] > 1)
        return 0;
    if (n >= 3 && !dce_co_ptype(h[2]))
        return 0;
    if (n >= 5 && (h[4] & 0xEE) != 0)
        return 0;
    if (n >= 6 && h[5] > 3) /* floating point: IEEE, VAX, Cray, IBM */
        return 0;
    if (n < 12)
        return -1;
    bool le = h[4] & 0x10;
    uint16_t fl = le ? (uint16_t)(h[8] | h[9] << 8) : (uint16_t)(h[8] << 8 | h[9]);
    uint16_t al = le ? (uint16_t)(h[10] | h[11] << 8) : (uint16_t)(h[10] << 8 | h[11]);
    /* an auth_length needs its 8-byte auth_verifier header besides */
    if (fl < DCE_HDR || (al && (uint32_t)fl < DCE_HDR + 8u + al))
        return 0;
    if (n < DCE_HDR)
        return -1;
    *flen = fl;
    return 1;
}

static enum proto_result dce_parse(void *state, struct proto_ctx *ctx, enum proto_dir dir,
                                   const uint8_t *data, size_t len, int64_t ts)
{
    struct dce_state *s = state;
    struct dce_dir *d = &s->dir[dir];
    struct cursor c;
    (void)ts;
    cursor_init(&c, data, len);
    while (cursor_left(&c) > 0) {
        if (d->have < DCE_HDR) {
            size_t take = cursor_left(&c) < (size_t)(DCE_HDR - d->have)
                              ? cursor_left(&c)
                              : (size_t)(DCE_HDR - d->have);
            if (cursor_bytes(&c, d->hdr + d->have, take) < 0)
                break;
            d->have = (uint8_t)(d->have + take);
            uint16_t flen = 0;
            int ok = dce_header(d->hdr, d->have, &flen);
            if (ok == 0)
                return PROTO_ERROR;
            if (ok < 0)
                continue; /* (the chunk ended) */
            if (!s->confirmed) {
                s->confirmed = true;
                proto_confirm(ctx);
            }
            d->left = (uint16_t)(flen - DCE_HDR);
        }
        size_t skip = cursor_left(&c) < d->left ? cursor_left(&c) : d->left;
        cursor_skip(&c, skip);
        d->left = (uint16_t)(d->left - skip);
        if (d->left == 0)
            d->have = 0; /* the next PDU */
    }
    return PROTO_OK;
}

static void dce_free(void *state, struct proto_ctx *ctx)
{
    (void)ctx;
    free(state);
}

/* Probe: the client's first PDU is a bind, an alter_context or a request
 * with a good header.  The server never speaks first. */
static enum proto_probe dce_probe(const uint8_t *data, size_t len, enum proto_dir dir,
                                  uint16_t orig_p, uint16_t resp_p)
{
    uint16_t flen;
    (void)orig_p, (void)resp_p;
    if (dir != PROTO_ORIG)
        return PROTO_PROBE_NO;
    if (len >= 3 && data[2] != 11 && data[2] != 14 && data[2] != 0)
        return PROTO_PROBE_NO;
    int ok = dce_header(data, len < DCE_HDR ? len : DCE_HDR, &flen);
    return ok > 0 ? PROTO_PROBE_YES : ok < 0 ? PROTO_PROBE_MAYBE : PROTO_PROBE_NO;
}

static const uint16_t dce_ports[] = {135, 0};

const struct proto_parser proto_dce_rpc = {
    .name = "dce_rpc",
    .ip_proto = 6,
    .ports = dce_ports,
    .probe = dce_probe,
    .state_new = dce_new,
    .parse = dce_parse,
    .gap = NULL,
    .eof = NULL,
    .state_free = dce_free,
};
