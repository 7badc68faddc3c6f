/*
 * ftp_adat.c - GSI (GridFTP, RFC 2228) inside the FTP control parser:
 * base64 TLS tokens of ADAT exchanges fed to an "ssl" child parser, as
 * Zeek's FTP_ADAT analyzer does, and the base64 decoder (Zeek's
 * Base64Converter) they go through.
 *
 * ftp.c calls ftp_adat_pre() on every line before its own handling (would
 * Zeek's FTP analyzer forward the line to its children?) and
 * ftp_adat_line() after it.  After "AUTH GSSAPI" a 334 reply opens the
 * child; every later "ADAT <base64>" command and "334/335/235 ADAT=<base64>"
 * reply is decoded and handed over by direction (the first client token must
 * look like a TLS handshake record); 232/234/235/4xx/5xx/63x replies or a
 * new AUTH end the exchange.  TLS established in the child adds the
 * "gridftp" service (gridftp.zeek).  State: struct ftp_adat in the
 * control session's state (ftp.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "core/cursor.h"
#include "proto/ftp.h"

/* ---- GSI: base64 TLS tokens in ADAT exchanges (RFC 2228; Zeek's FTP_ADAT) ---- */

static int ftp_b64_value(uint8_t b)
{
    if (b >= 'A' && b <= 'Z')
        return b - 'A';
    if (b >= 'a' && b <= 'z')
        return b - 'a' + 26;
    if (b >= '0' && b <= '9')
        return b - '0' + 52;
    if (b == '+' || b == '/')
        return b == '+' ? 62 : 63;
    return b == '=' ? 0 : -1;
}

struct ftp_b64 {
    uint8_t g[4];
    int next, pad, errors;
    bool after_pad;
    uint8_t *out;
    size_t len, cap;
};

/* Bytes through Zeek's Base64Converter::Decode: 4 values make 3 bytes less
 * the '=' among them; a group after a padded one is an error. */
static void ftp_b64_feed(struct ftp_b64 *d, struct cursor *c, char *msg, size_t ml)
{
    uint8_t b;
    while (cursor_u8(c, &b) == 0) {
        int k = ftp_b64_value(b);
        if (k < 0) {
            if (++d->errors == 1)
                snprintf(msg, ml, "character %d ignored by Base64 decoding", (int)(int8_t)b);
            continue;
        }
        d->pad += b == '=';
        d->g[d->next++] = (uint8_t)k;
        if (d->next < 4)
            continue;
        d->next = 0;
        if (d->after_pad) {
            if (++d->errors == 1)
                snprintf(msg, ml, "extra base64 groups after '=' padding are ignored");
            continue;
        }
        uint32_t v = (uint32_t)d->g[0] << 18 | (uint32_t)d->g[1] << 12 | (uint32_t)d->g[2] << 6 |
                     d->g[3];
        for (int i = 0; i < 3 - d->pad && d->len < d->cap; i++)
            d->out[d->len++] = (uint8_t)(v >> (16 - 8 * i));
        d->after_pad = d->pad > 0;
        d->pad = 0;
    }
}

int ftp_base64_decode(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *outlen,
                      char *msg, size_t msglen)
{
    struct ftp_b64 d = {.out = out, .cap = cap};
    struct cursor c;
    char ignored[8];
    if (msglen)
        msg[0] = 0;
    *outlen = 0;
    cursor_init(&c, in, n);
    ftp_b64_feed(&d, &c, msg, msglen);
    if (d.errors)
        return -1;
    if (d.next) { /* Zeek's Done(): pad the last group with '=' */
        snprintf(msg, msglen, "incomplete base64 group, padding with %d bits of 0",
                 (4 - d.next) * 6);
        cursor_init(&c, "===", (size_t)(4 - d.next));
        ftp_b64_feed(&d, &c, ignored, sizeof(ignored));
    }
    *outlen = d.len;
    return 0;
}

/* Would Zeek's FTP analyzer hand this line on to its children (it returns
 * early on a bad command word or a bad reply line)?  -1: no; else the
 * reply code as Zeek's analyzer sees it (0 inside a multi-line reply). */
int ftp_adat_pre(int pending_reply, enum proto_dir dir, const uint8_t *p, size_t n)
{
    if (n == 0)
        return -1;
    if (dir == PROTO_ORIG) {
        size_t i = 0, w = 0;
        while (i < n && (p[i] == ' ' || p[i] == '\t'))
            i++;
        for (; i + w < n && p[i + w] != ' ' && p[i + w] != '\t'; w++)
            if (!isprint(p[i + w]))
                return -1;
        return w >= 3 ? 0 : -1;
    }
    unsigned code = ftp_code3(p, n);
    if (pending_reply)
        return code == (unsigned)pending_reply && n > 3 && p[3] == ' ' ? (int)code : 0;
    if (code < 100 || (n > 3 && p[3] != ' ' && p[3] != '-'))
        return -1;
    return (int)code;
}

/* The base64 token of an ADAT command or an "ADAT=" reply; false: none. */
static bool ftp_adat_token(enum proto_dir dir, const uint8_t *p, size_t n, bool *done,
                           struct cursor *tok)
{
    struct cursor c;
    cursor_init(&c, p, n);
    uint8_t b;
    if (dir == PROTO_ORIG) {
        while (cursor_peek_u8(&c, 0, &b) == 0 && (b == ' ' || b == '\t'))
            cursor_skip(&c, 1);
        size_t w = 0;
        while (cursor_peek_u8(&c, w, &b) == 0 && b != ' ' && b != '\t')
            w++;
        bool adat = w <= 4 && memcmp(c.p, "ADAT", w) == 0; /* Zeek: strncmp(cmd, "ADAT", len) */
        *done = !adat && w <= 4 && memcmp(c.p, "AUTH", w) == 0; /* a new AUTH resets */
        if (!adat)
            return false;
        cursor_skip(&c, w);
    } else {
        switch (ftp_code3(p, n)) {
        case 235: /* complete, the reply may carry the last token */
            *done = true;
            /* fall through */
        case 334:
        case 335:
            cursor_skip(&c, 3);
            if (cursor_peek_u8(&c, 0, &b) == 0 && b == '-')
                cursor_skip(&c, 1);
            break;
        case 232: case 234: case 421: case 431: case 500: case 501: case 503: case 535:
        case 631: case 632: case 633:
            *done = true;
            return false;
        default:
            return false;
        }
    }
    while (cursor_peek_u8(&c, 0, &b) == 0 && (b == ' ' || b == '\t'))
        cursor_skip(&c, 1);
    if (dir == PROTO_RESP) {
        if (cursor_left(&c) < 5 || memcmp(c.p, "ADAT=", 5) != 0)
            return false;
        cursor_skip(&c, 5);
    }
    *tok = c;
    return true;
}

/* A line Zeek's analyzer forwards (pre >= 0): open the child on 334 after
 * AUTH GSSAPI, feed it the decoded token, close it when the exchange ends. */
void ftp_adat_line(struct ftp_adat *a, struct proto_ctx *ctx, enum proto_dir dir, const uint8_t *p,
                   size_t n, int pre, int64_t ts)
{
    if (pre < 0)
        return;
    if (dir == PROTO_RESP && pre == 334 && a->auth_gssapi && !a->child) {
        a->child = proto_child_open(ctx, "ssl");
        a->later = false;
    }
    if (!a->child)
        return;
    bool done = false;
    struct cursor tok;
    if (ftp_adat_token(dir, p, n, &done, &tok)) {
        uint8_t out[FTP_LINE_MAX / 4 * 3 + 3];
        size_t ol = 0;
        char msg[80];
        int rc = ftp_base64_decode(tok.p, cursor_left(&tok), out, sizeof(out), &ol, msg,
                                   sizeof(msg));
        if (msg[0])
            proto_weird(ctx, "base64_illegal_encoding", msg, ts);
        if (dir == PROTO_ORIG && !a->later) { /* GSI starts right in on a TLS record */
            a->later = true;
            if (rc < 0)
                proto_weird(ctx, "ftp_adat_bad_first_token_encoding", NULL, ts);
            struct cursor t;
            uint8_t ct = 0;
            uint16_t rl = 0;
            cursor_init(&t, out, ol);
            if (rc < 0 || cursor_u8(&t, &ct) || ct != 0x16 || cursor_skip(&t, 2) ||
                cursor_u16be(&t, &rl) || rl != cursor_left(&t)) {
                rc = -1;
                done = true;
            }
        }
        if (rc == 0 && ol &&
            proto_child_data(a->child, dir, out, ol, ts) == PROTO_DONE && a->auth_gssapi_like)
            proto_service_add(ctx, "gridftp"); /* TLS established: gridftp.zeek */
    }
    if (done) {
        proto_child_close(a->child);
        a->child = NULL;
    }
}

