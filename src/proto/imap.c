/*
 * imap.c - the IMAP parser ("imap"): just enough of IMAP4rev1 to confirm
 * the protocol and to hand the stream to the TLS parser after STARTTLS, as
 * Zeek's IMAP analyzer does.  No log: Zeek 8 writes no imap.log with its
 * default scripts; conn.log's service reads "imap,ssl" after STARTTLS.
 *
 * Owns the parser descriptor and one line buffer per direction.  Spec:
 * RFC 3501 (2.2 commands "tag SP command", responses "* ..." untagged and
 * "tag OK|NO|BAD" tagged; 6.2.1 STARTTLS: TLS starts right after the
 * tagged OK).  Zeek's reference behaviour (analyzer/protocol/imap):
 * confirmation on the server's "* OK" greeting and on client CAPABILITY or
 * STARTTLS; after LOGIN, AUTHENTICATE, EXAMINE, CREATE, LIST or FETCH the
 * handshake is past the point where STARTTLS may come, so parsing stops
 * (SetSkip); a second client STARTTLS raises "IMAP: client sent duplicate
 * StartTLS", a refusal "IMAP: server refused StartTLS".
 *
 *   lines ──client "T STARTTLS"──► wait ──server "T OK"──► proto_switch("ssl")
 *     │                               └──server "T NO/BAD": weird, lines again
 *     └──LOGIN/AUTHENTICATE/...: DONE
 *
 * Lines longer than IMAP_LINE_MAX are skipped to their LF (literals {n}
 * are not followed: their bytes are read as lines, harmless before login).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/cursor.h"
#include "proto/lines.h"
#include "proto/proto.h"

#define IMAP_LINE_MAX 1024
#define IMAP_TAG_MAX 64

struct imap_dir {
    char line[IMAP_LINE_MAX];
    size_t len;
    bool over; /* the current line passed IMAP_LINE_MAX: skip to LF */
};

struct imap_state {
    struct imap_dir dir[2];
    char starttls_tag[IMAP_TAG_MAX];
    size_t starttls_len;
    bool switched;
    unsigned lines;
};

static void *imap_new(struct proto_ctx *ctx)
{
    (void)ctx;
    return calloc(1, sizeof(struct imap_state));
}

/* The first two space-separated tokens of a line: tag and command/status. */
static void imap_tokens(const char *line, size_t len, struct rstr *tag, struct rstr *cmd)
{
    size_t i = 0;
    tag->p = line;
    while (i < len && line[i] != ' ')
        i++;
    tag->len = i;
    while (i < len && line[i] == ' ')
        i++;
    cmd->p = line + i;
    size_t j = i;
    while (j < len && line[j] != ' ')
        j++;
    cmd->len = j - i;
}

static bool imap_is(struct rstr t, const char *word)
{
    size_t n = strlen(word);
    if (t.len != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (tolower((unsigned char)t.p[i]) != word[i])
            return false;
    return true;
}

/* One complete line of direction dir. */
static enum proto_result imap_line(struct imap_state *s, struct proto_ctx *ctx,
                                   enum proto_dir dir, const char *line, size_t len, int64_t ts)
{
    struct rstr tag, cmd;
    imap_tokens(line, len, &tag, &cmd);
    bool untagged = tag.len == 1 && tag.p[0] == '*';
    s->lines++;
    if (dir == PROTO_RESP && untagged && imap_is(cmd, "ok"))
        proto_confirm(ctx);
    if (dir == PROTO_ORIG && (imap_is(cmd, "capability") || imap_is(cmd, "starttls")))
        proto_confirm(ctx);
    static const char *const skip[] = {"authenticate", "login", "examine", "create", "list",
                                       "fetch"};
    for (size_t i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
        if (imap_is(cmd, skip[i])) {
            proto_confirm(ctx);
            return PROTO_DONE;
        }
    if (dir == PROTO_ORIG && imap_is(cmd, "starttls") && tag.len < IMAP_TAG_MAX) {
        if (s->starttls_len)
            proto_weird(ctx, "IMAP: client sent duplicate StartTLS", NULL, ts);
        memcpy(s->starttls_tag, tag.p, tag.len);
        s->starttls_len = tag.len;
        return PROTO_OK;
    }
    if (dir == PROTO_RESP && s->starttls_len && tag.len == s->starttls_len &&
        memcmp(tag.p, s->starttls_tag, tag.len) == 0) {
        if (imap_is(cmd, "ok")) {
            s->switched = true;
            return proto_switch(ctx, "ssl") == 0 ? PROTO_OK : PROTO_DONE;
        }
        proto_weird(ctx, "IMAP: server refused StartTLS", NULL, ts);
        s->starttls_len = 0;
    }
    return PROTO_OK;
}

static enum proto_result imap_parse(void *state, struct proto_ctx *ctx, enum proto_dir dir,
                                    const uint8_t *data, size_t len, int64_t ts)
{
    struct imap_state *s = state;
    struct imap_dir *d = &s->dir[dir];
    struct cursor c;
    cursor_init(&c, data, len);
    size_t n;
    while (!s->switched && proto_line_next(&c, d->line, IMAP_LINE_MAX, &d->len, &d->over, &n)) {
        enum proto_result r = imap_line(s, ctx, dir, d->line, n, ts);
        if (r != PROTO_OK)
            return r;
    }
    return PROTO_OK;
}

static void imap_free(void *state, struct proto_ctx *ctx)
{
    (void)ctx;
    free(state);
}

/* Probe: the server's "* OK" greeting (Zeek's dpd signature), or a client
 * line "tag CAPABILITY|STARTTLS|LOGIN|AUTHENTICATE". */
static enum proto_probe imap_probe(const uint8_t *data, size_t len, enum proto_dir dir,
                                   uint16_t orig_p, uint16_t resp_p)
{
    (void)orig_p, (void)resp_p;
    static const char greet[] = "* OK";
    if (dir == PROTO_RESP) {
        size_t n = len < 4 ? len : 4;
        if (memcmp(data, greet, n) != 0)
            return PROTO_PROBE_NO;
        return len < 4 ? PROTO_PROBE_MAYBE : PROTO_PROBE_YES;
    }
    size_t i = 0;
    while (i < len && i < IMAP_TAG_MAX && isalnum(data[i]))
        i++;
    if (i == len)
        return len < IMAP_TAG_MAX ? PROTO_PROBE_MAYBE : PROTO_PROBE_NO;
    if (i == 0 || data[i] != ' ')
        return PROTO_PROBE_NO;
    size_t j = ++i;
    while (j < len && isalpha(data[j]))
        j++;
    if (j == len)
        return PROTO_PROBE_MAYBE;
    if (data[j] != '\r' && data[j] != ' ' && data[j] != '\n')
        return PROTO_PROBE_NO;
    struct rstr cmd = {(const char *)data + i, j - i};
    return imap_is(cmd, "capability") || imap_is(cmd, "starttls") ? PROTO_PROBE_YES
                                                                   : PROTO_PROBE_NO;
}

static const uint16_t imap_ports[] = {143, 0};

const struct proto_parser proto_imap = {
    .name = "imap",
    .ip_proto = 6,
    .ports = imap_ports,
    .probe = imap_probe,
    .state_new = imap_new,
    .parse = imap_parse,
    .gap = NULL,
    .eof = NULL,
    .state_free = imap_free,
};
