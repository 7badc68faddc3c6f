/*
 * pop3.c - the POP3 parser ("pop3"): confirms POP3 on the server's "+OK"
 * greeting and hands the stream to the TLS parser after STLS, as Zeek's
 * POP3 analyzer does; no log (pop3 has none in Zeek 8's default scripts),
 * conn.log's service reads "pop3" or "pop3,ssl".
 *
 * Owns the parser descriptor and one line buffer per direction.  Spec:
 * RFC 1939 (single-line replies "+OK"/"-ERR", commands "KEYWORD args"),
 * RFC 2595 section 4 (STLS: TLS starts right after the "+OK" reply).
 * Only the command/reply lines before authentication matter here: after
 * POP3_MAX_LINES lines, or a client USER/APOP/AUTH/PASS (multi-line
 * replies and mail bodies follow, which are not tracked), parsing stops.
 *
 *   lines ──client "STLS"──► wait ──server "+OK"──► proto_switch("ssl")
 *     │                        └──"-ERR": lines again
 *     └──USER/PASS/APOP/AUTH or line cap: DONE
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/cursor.h"
#include "proto/lines.h"
#include "proto/proto.h"

#define POP3_LINE_MAX 512
#define POP3_MAX_LINES 64

struct pop3_dir {
    char line[POP3_LINE_MAX];
    size_t len;
    bool over;
};

struct pop3_state {
    struct pop3_dir dir[2];
    bool stls_pending, switched;
    unsigned lines;
};

static void *pop3_new(struct proto_ctx *ctx)
{
    (void)ctx;
    return calloc(1, sizeof(struct pop3_state));
}

/* Does the line begin with word (case-insensitive) followed by end or space? */
static bool pop3_word(const char *line, size_t len, const char *word)
{
    size_t n = strlen(word);
    if (len < n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (toupper((unsigned char)line[i]) != word[i])
            return false;
    return len == n || line[n] == ' ';
}

static enum proto_result pop3_line(struct pop3_state *s, struct proto_ctx *ctx,
                                   enum proto_dir dir, const char *line, size_t len)
{
    if (++s->lines > POP3_MAX_LINES)
        return PROTO_DONE;
    if (dir == PROTO_RESP) {
        bool ok = pop3_word(line, len, "+OK");
        if (ok)
            proto_confirm(ctx);
        if (s->stls_pending) {
            s->stls_pending = false;
            if (ok) {
                s->switched = true;
                return proto_switch(ctx, "ssl") == 0 ? PROTO_OK : PROTO_DONE;
            }
        }
        return PROTO_OK;
    }
    if (pop3_word(line, len, "STLS"))
        s->stls_pending = true;
    else if (pop3_word(line, len, "USER") || pop3_word(line, len, "PASS") ||
             pop3_word(line, len, "APOP") || pop3_word(line, len, "AUTH"))
        return PROTO_DONE;
    return PROTO_OK;
}

static enum proto_result pop3_parse(void *state, struct proto_ctx *ctx, enum proto_dir dir,
                                    const uint8_t *data, size_t len, int64_t ts)
{
    struct pop3_state *s = state;
    struct pop3_dir *d = &s->dir[dir];
    struct cursor c;
    size_t n;
    (void)ts;
    cursor_init(&c, data, len);
    while (!s->switched && proto_line_next(&c, d->line, POP3_LINE_MAX, &d->len, &d->over, &n)) {
        enum proto_result r = pop3_line(s, ctx, dir, d->line, n);
        if (r != PROTO_OK)
            return r;
    }
    return PROTO_OK;
}

static void pop3_free(void *state, struct proto_ctx *ctx)
{
    (void)ctx;
    free(state);
}

/* Probe: a server "+OK" greeting on the POP3 port (off-port "+OK" is too
 * common a reply to claim). */
static enum proto_probe pop3_probe(const uint8_t *data, size_t len, enum proto_dir dir,
                                   uint16_t orig_p, uint16_t resp_p)
{
    (void)orig_p;
    if (dir != PROTO_RESP || resp_p != 110)
        return PROTO_PROBE_NO;
    size_t n = len < 3 ? len : 3;
    if (memcmp(data, "+OK", n) != 0)
        return PROTO_PROBE_NO;
    return len < 3 ? PROTO_PROBE_MAYBE : PROTO_PROBE_YES;
}

static const uint16_t pop3_ports[] = {110, 0};

const struct proto_parser proto_pop3 = {
    .name = "pop3",
    .ip_proto = 6,
    .ports = pop3_ports,
    .probe = pop3_probe,
    .state_new = pop3_new,
    .parse = pop3_parse,
    .gap = NULL,
    .eof = NULL,
    .state_free = pop3_free,
};
