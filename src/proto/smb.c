/*
 * smb.c - SMB identification ("smb"): follows the session's message framing
 * and checks each message's SMB header, confirms SMB on the first good one
 * (conn.log's service "smb", as Zeek's SMB analyzer confirms), and so lets
 * the signature engine match `alert smb` and `alert dcerpc` rules on the
 * session (Suricata's app-layer protocol smb; docs/alerts.md).
 *
 * Not parsed: SMB commands.  Zeek 8 writes smb_files.log, smb_mapping.log,
 * dce_rpc.log (RPC over named pipes), ntlm.log and kerberos.log from them,
 * and Suricata its smb records and the smb.* rule keywords; Vigil writes
 * none of these yet (tests/compat/KNOWN-DIFFERENCES.md).  This parser is
 * the framing those will sit on.
 *
 * Framing (RFC 1002 section 4.3, MS-SMB2 2.1): every message is a 4-byte
 * header, type then length, and the length's bytes.  NetBIOS session
 * service (port 139) types: 0x00 session message, 0x81 session request,
 * 0x82 positive / 0x83 negative response, 0x84 retarget, 0x85 keepalive;
 * its length is 17 bits (the flags byte's bit 0 is the 17th).  Direct TCP
 * (port 445) sends only type 0x00 with a 24-bit length (SMB 3 reads and
 * writes of up to 8 MiB need it), so a session message's length is read as
 * 24 bits, and one over SMB_MSG_MAX is taken for garbage.  A session message starts with an SMB
 * header: 0xFF "SMB" (SMB 1, 32 bytes), 0xFE "SMB" (SMB 2/3, 64 bytes, StructureSize 64), or 0xFD
 * "SMB" (SMB 3 transform header, 52 bytes, encrypted).
 *
 * A bad header (unknown type, flags, too short for its SMB header, no SMB
 * magic) is a protocol violation (PROTO_ERROR: the app layer counts it and
 * stops): after it the framing cannot be trusted.  A gap ends parsing too
 * (no resynchronisation: gap is NULL); the service stays.
 */
#include <stdlib.h>
#include <string.h>

#include "core/cursor.h"
#include "proto/proto.h"

#define SMB_NBSS_MSG 0x00
#define SMB_MSG_MAX ((8u << 20) + (64u << 10)) /* an 8 MiB SMB 3 read or write, headers, room */
#define SMB_PEEK 6 /* payload bytes checked: magic + SMB2 StructureSize */

struct smb_dir {
    uint8_t hdr[4 + SMB_PEEK]; /* framing header, then the payload's first bytes */
    uint8_t have;              /* bytes of hdr filled */
    uint8_t type;
    uint32_t len;  /* the message's length (payload after the 4-byte header) */
    uint32_t left; /* payload bytes still to skip */
};

struct smb_state {
    struct smb_dir dir[2];
    bool confirmed;
};

static void *smb_new(struct proto_ctx *ctx)
{
    (void)ctx;
    return calloc(1, sizeof(struct smb_state));
}

/* The 4-byte framing header: 0 bad, 1 good (*len set). */
static int smb_frame(const uint8_t *h, uint32_t *len)
{
    switch (h[0]) {
    case SMB_NBSS_MSG:
        *len = (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
        return *len >= 4 && *len <= SMB_MSG_MAX;
    case 0x81:
    case 0x82:
    case 0x83:
    case 0x84:
    case 0x85:
        if (h[1] & 0xFE)
            return 0;
        *len = (uint32_t)(h[1] & 1) << 16 | (uint32_t)h[2] << 8 | h[3];
        return 1;
    default:
        return 0;
    }
}

/* The SMB header's first n (>= 4) bytes p of a message of len bytes:
 * 0 bad, 1 good, -1 need more (an SMB 2 header's StructureSize). */
static int smb_header(const uint8_t *p, size_t n, uint32_t len)
{
    if (p[1] != 'S' || p[2] != 'M' || p[3] != 'B')
        return 0;
    switch (p[0]) {
    case 0xFF:
        return len >= 32;
    case 0xFD:
        return len >= 52;
    case 0xFE:
        if (len < 64)
            return 0;
        if (n < 6)
            return -1;
        return (p[4] | p[5] << 8) == 64;
    default:
        return 0;
    }
}

static enum proto_result smb_parse(void *state, struct proto_ctx *ctx, enum proto_dir dir,
                                   const uint8_t *data, size_t len, int64_t ts)
{
    struct smb_state *s = state;
    struct smb_dir *d = &s->dir[dir];
    struct cursor c;
    (void)ts;
    cursor_init(&c, data, len);
    while (cursor_left(&c) > 0) {
        if (d->have < 4) { /* the framing header */
            if (cursor_u8(&c, &d->hdr[d->have]) < 0)
                break;
            if (++d->have < 4)
                continue;
            if (!smb_frame(d->hdr, &d->len))
                return PROTO_ERROR;
            d->type = d->hdr[0];
            d->left = d->len;
            if (d->type != SMB_NBSS_MSG)
                d->have = 4 + SMB_PEEK; /* nothing to check in the payload */
        }
        if (d->have < 4 + SMB_PEEK) { /* a session message's first bytes */
            uint32_t peek = d->len < SMB_PEEK ? d->len : SMB_PEEK;
            uint32_t want = peek - (d->have - 4u);
            size_t take = cursor_left(&c) < want ? cursor_left(&c) : want;
            if (cursor_bytes(&c, d->hdr + d->have, take) < 0)
                break;
            d->have = (uint8_t)(d->have + take);
            size_t got = d->have - 4u;
            if (got < 4)
                continue; /* (the chunk ended) */
            int ok = smb_header(d->hdr + 4, got, d->len);
            if (ok == 0)
                return PROTO_ERROR;
            if (ok < 0)
                continue; /* (the chunk ended before the StructureSize) */
            if (!s->confirmed) {
                s->confirmed = true;
                proto_confirm(ctx);
            }
            d->left -= (uint32_t)got;
            d->have = 4 + SMB_PEEK;
        }
        size_t skip = cursor_left(&c) < d->left ? cursor_left(&c) : d->left;
        cursor_skip(&c, skip);
        d->left -= (uint32_t)skip;
        if (d->left == 0)
            d->have = 0; /* the next message */
    }
    return PROTO_OK;
}

static void smb_free(void *state, struct proto_ctx *ctx)
{
    (void)ctx;
    free(state);
}

/* Probe: a framing header and, for a session message, the SMB magic (and an
 * SMB 2 StructureSize of 64); a session request (0x81) carries two encoded
 * NetBIOS names (68 bytes).  Either side may speak first on a session
 * picked up midstream. */
static enum proto_probe smb_probe(const uint8_t *data, size_t len, enum proto_dir dir,
                                  uint16_t orig_p, uint16_t resp_p)
{
    uint32_t mlen;
    (void)dir, (void)orig_p, (void)resp_p;
    if (len == 0)
        return PROTO_PROBE_MAYBE;
    if (len < 4) {
        static const uint8_t ok0[] = {0x00, 0x81, 0x82, 0x83, 0x84, 0x85};
        return memchr(ok0, data[0], sizeof(ok0)) ? PROTO_PROBE_MAYBE : PROTO_PROBE_NO;
    }
    if (!smb_frame(data, &mlen))
        return PROTO_PROBE_NO;
    if (data[0] == 0x81)
        return mlen == 68 ? PROTO_PROBE_YES : PROTO_PROBE_NO;
    if (data[0] != SMB_NBSS_MSG)
        return PROTO_PROBE_NO; /* a response, retarget or keepalive first: too little to go on */
    size_t n = len - 4 < SMB_PEEK ? len - 4 : SMB_PEEK;
    if (n < 4)
        return PROTO_PROBE_MAYBE;
    int ok = smb_header(data + 4, n, mlen);
    return ok > 0 ? PROTO_PROBE_YES : ok < 0 ? PROTO_PROBE_MAYBE : PROTO_PROBE_NO;
}

static const uint16_t smb_ports[] = {445, 139, 0};

const struct proto_parser proto_smb = {
    .name = "smb",
    .ip_proto = 6,
    .ports = smb_ports,
    .probe = smb_probe,
    .state_new = smb_new,
    .parse = smb_parse,
    .gap = NULL,
    .eof = NULL,
    .state_free = smb_free,
};
