/*
 * socks.c - the SOCKS parser ("socks"): SOCKS4/4a and SOCKS5 requests and
 * replies, the SOCKS5 method selection and username/password
 * subnegotiation, socks.log, and the hand-off of the tunnelled stream to
 * content detection (Zeek's SOCKS analyzer attaching a PIA after the
 * reply).
 *
 * Owns the parser descriptor (probe, state, parse, free), a small message
 * buffer per direction (SOCKS_MSG_MAX: no SOCKS message is longer) and
 * socks.log.  Specs: RFC 1928 (SOCKS5: method selection, requests,
 * replies, address types 1/3/4), RFC 1929 (username/password
 * subnegotiation), the SOCKS4 and SOCKS4a protocol notes (request VN CD
 * DSTPORT DSTIP USERID NUL [HOSTNAME NUL] when DSTIP is 0.0.0.x, reply
 * VN=0 CD DSTPORT DSTIP).  Log: Zeek 8's socks.log as
 * base/protocols/socks/main.zeek writes it (the corpus's btest baseline
 * encap/zeek-socks.zeek-socks.log) followed by community_id;
 * docs/logs/socks.md.
 *
 * Zeek's behaviour kept here: ts is the time of the first SOCKS event (the
 * request, or the username/password request); a SOCKS4 request's
 * request.host is DSTIP even for 4a (request.name then holds the name);
 * status is Zeek's v4_status / v5_status text ("unknown-N" otherwise); the
 * password is not logged (SOCKS::default_capture_password = F); the row is
 * written when the session ends and only if a reply confirmed the
 * protocol; once the request and a reply were seen, the rest of the stream
 * goes to content detection (proto_switch(ctx, NULL)), so HTTP, TLS ... in
 * the tunnel get their own logs and conn.log's service reads "socks,http".
 *
 *   orig: GREETING(v5) ──► [AUTH (method 2)] ──► REQUEST ──┐   v4: REQUEST ──┐
 *   resp:  METHOD(v5)  ──► [AUTH REPLY]      ──► REPLY ────┴──► switch to detection
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cursor.h"
#include "proto/proto.h"

#define SOCKS_MSG_MAX 600 /* v4a: 8 + 2 NUL-terminated strings of <= 255; v5: <= 262 */
#define SOCKS_STR_MAX 255

/* ---- socks.log ---- */

struct socks_record {
    struct record_hdr hdr;
    int64_t ts;
    struct rstr uid;
    struct raddr orig_h;
    uint64_t orig_p;
    struct raddr resp_h;
    uint64_t resp_p;
    uint64_t version;
    struct rstr user, password, status;
    struct raddr req_host;
    struct rstr req_name;
    uint64_t req_p;
    struct raddr bound_host;
    struct rstr bound_name;
    uint64_t bound_p;
    struct rstr community_id;
};

enum socks_field {
    SKF_TS, SKF_UID, SKF_ORIG_H, SKF_ORIG_P, SKF_RESP_H, SKF_RESP_P, SKF_VERSION, SKF_USER,
    SKF_PASSWORD, SKF_STATUS, SKF_REQ_HOST, SKF_REQ_NAME, SKF_REQ_P, SKF_BOUND_HOST,
    SKF_BOUND_NAME, SKF_BOUND_P, SKF_COMMUNITY_ID, SKF_N
};

#define F(name, type, member) {name, type, offsetof(struct socks_record, member)}

static const struct record_field socks_fields[SKF_N] = {
    F("ts", RT_TIME, ts),
    F("uid", RT_STRING, uid),
    F("id.orig_h", RT_ADDR, orig_h),
    F("id.orig_p", RT_PORT, orig_p),
    F("id.resp_h", RT_ADDR, resp_h),
    F("id.resp_p", RT_PORT, resp_p),
    F("version", RT_COUNT, version),
    F("user", RT_STRING, user),
    F("password", RT_STRING, password),
    F("status", RT_STRING, status),
    F("request.host", RT_ADDR, req_host),
    F("request.name", RT_STRING, req_name),
    F("request_p", RT_PORT, req_p),
    F("bound.host", RT_ADDR, bound_host),
    F("bound.name", RT_STRING, bound_name),
    F("bound_p", RT_PORT, bound_p),
    F("community_id", RT_STRING, community_id),
};

const struct record_type socks_record_type = {
    .path = "socks",
    .fields = socks_fields,
    .n_fields = SKF_N,
    .size = sizeof(struct socks_record),
};

/* ---- state ---- */

/* One SOCKS address (Zeek's SOCKS::Address: host, name or both). */
struct socks_addr {
    bool has_host, has_name;
    struct raddr host;
    uint8_t name_len;
    char name[SOCKS_STR_MAX];
};

struct socks_dir {
    uint8_t buf[SOCKS_MSG_MAX];
    size_t len;
};

struct socks_state {
    struct socks_dir dir[2];
    uint8_t version;        /* 0 until the client's first byte */
    bool greeted;           /* v5: the client's method list was seen */
    bool past_auth;         /* v5: the server selected a method */
    bool in_auth;           /* v5: inside the method's subnegotiation */
    uint8_t method;         /* v5: selected method */
    bool req_done, reply_done, done;
    bool session, confirmed, logged;
    int64_t ts;
    uint8_t user_len;
    char user[SOCKS_STR_MAX];
    bool has_user, has_status, has_req, has_bound;
    char status[96];
    struct socks_addr req, bound;
    uint16_t req_p, bound_p;
};

static void *socks_new(struct proto_ctx *ctx)
{
    (void)ctx;
    return calloc(1, sizeof(struct socks_state));
}

/* Zeek's set_session: the row exists from the first SOCKS event on. */
static void socks_session(struct socks_state *s, uint8_t version, int64_t ts)
{
    if (s->session)
        return;
    s->session = true;
    s->version = version;
    s->ts = ts;
}

static void socks_status(struct socks_state *s, uint8_t version, uint8_t code)
{
    static const char *const v5[] = {
        "succeeded", "general SOCKS server failure", "connection not allowed by ruleset",
        "Network unreachable", "Host unreachable", "Connection refused", "TTL expired",
        "Command not supported", "Address type not supported",
    };
    static const char *const v4[] = {
        "succeeded", "general SOCKS server failure",
        "request failed because client is not running identd",
        "request failed because client's identd could not confirm the user ID string in the "
        "request",
    };
    const char *t = NULL;
    if (version == 5 && code < sizeof(v5) / sizeof(v5[0]))
        t = v5[code];
    else if (version == 4 && code >= 0x5a && code <= 0x5d)
        t = v4[code - 0x5a];
    if (t)
        snprintf(s->status, sizeof(s->status), "%s", t);
    else
        snprintf(s->status, sizeof(s->status), "unknown-%u", code);
    s->has_status = true;
}

/* ---- messages: each returns bytes used, 0 when incomplete, -1 on a violation ---- */

/* A NUL-terminated string of at most SOCKS_STR_MAX bytes (SOCKS4 USERID / 4a name). */
static int socks_cstr(struct cursor *c, char *out, uint8_t *out_len)
{
    size_t n = 0;
    for (;;) {
        uint8_t b;
        if (cursor_u8(c, &b) < 0)
            return 0;
        if (b == 0)
            break;
        if (n >= SOCKS_STR_MAX)
            return -1;
        if (out)
            out[n] = (char)b;
        n++;
    }
    if (out_len)
        *out_len = (uint8_t)n;
    return 1;
}

/* A SOCKS5 address (ATYP, address) into *a. */
static int socks5_addr(struct cursor *c, struct socks_addr *a)
{
    uint8_t atyp, n;
    memset(a, 0, sizeof(*a));
    if (cursor_u8(c, &atyp) < 0)
        return 0;
    switch (atyp) {
    case 1:
        if (!cursor_has(c, 4))
            return 0;
        a->host.family = 4;
        memcpy(a->host.a, c->p, 4);
        a->has_host = true;
        return cursor_skip(c, 4) < 0 ? 0 : 1;
    case 4:
        if (!cursor_has(c, 16))
            return 0;
        a->host.family = 6;
        memcpy(a->host.a, c->p, 16);
        a->has_host = true;
        return cursor_skip(c, 16) < 0 ? 0 : 1;
    case 3:
        if (cursor_u8(c, &n) < 0 || !cursor_has(c, n))
            return 0;
        memcpy(a->name, c->p, n);
        a->name_len = n;
        a->has_name = true;
        return cursor_skip(c, n) < 0 ? 0 : 1;
    default:
        return -1;
    }
}

static int socks4_request(struct socks_state *s, struct proto_ctx *ctx, struct cursor *c,
                          int64_t ts)
{
    const uint8_t *start = c->p;
    uint8_t ver, cmd;
    uint16_t port;
    if (cursor_u8(c, &ver) < 0 || cursor_u8(c, &cmd) < 0 || cursor_u16be(c, &port) < 0 ||
        !cursor_has(c, 4))
        return 0;
    struct socks_addr a;
    memset(&a, 0, sizeof(a));
    a.host.family = 4;
    memcpy(a.host.a, c->p, 4);
    a.has_host = true;
    bool v4a = a.host.a[0] == 0 && a.host.a[1] == 0 && a.host.a[2] == 0;
    (void)cursor_skip(c, 4);
    int r = socks_cstr(c, NULL, NULL);
    if (r <= 0)
        return r;
    if (v4a) {
        r = socks_cstr(c, a.name, &a.name_len);
        if (r <= 0)
            return r;
        a.has_name = true;
    }
    (void)ctx;
    socks_session(s, 4, ts);
    s->req = a;
    s->req_p = port;
    s->has_req = true;
    s->req_done = true;
    return (int)(c->p - start);
}

static int socks5_request(struct socks_state *s, struct proto_ctx *ctx, struct cursor *c,
                          int64_t ts)
{
    const uint8_t *start = c->p;
    uint8_t ver, cmd, rsv;
    struct socks_addr a;
    uint16_t port;
    if (cursor_u8(c, &ver) < 0 || cursor_u8(c, &cmd) < 0 || cursor_u8(c, &rsv) < 0)
        return 0;
    if (ver != 5 || rsv != 0 || cmd == 0 || cmd > 3)
        return -1;
    int r = socks5_addr(c, &a);
    if (r <= 0)
        return r;
    if (cursor_u16be(c, &port) < 0)
        return 0;
    (void)ctx;
    socks_session(s, 5, ts);
    s->req = a;
    s->req_p = port;
    s->has_req = true;
    s->req_done = true;
    return (int)(c->p - start);
}

/* RFC 1929 request: VER=1 ULEN UNAME PLEN PASSWD. */
static int socks5_auth_request(struct socks_state *s, struct proto_ctx *ctx, struct cursor *c,
                               int64_t ts)
{
    const uint8_t *start = c->p;
    uint8_t ver, ulen, plen;
    char msg[48];
    if (s->method != 2) {
        snprintf(msg, sizeof(msg), "%u", s->method);
        proto_weird(ctx, "socks5_unsupported_authentication_method", msg, ts);
        s->done = true;
        return -2;
    }
    if (cursor_u8(c, &ver) < 0)
        return 0;
    if (ver != 1) {
        snprintf(msg, sizeof(msg), "method %u, version %u", s->method, ver);
        proto_weird(ctx, "socks5_unsupported_authentication", msg, ts);
        s->done = true;
        return -2;
    }
    if (cursor_u8(c, &ulen) < 0 || !cursor_has(c, ulen))
        return 0;
    const uint8_t *user = c->p;
    (void)cursor_skip(c, ulen);
    if (cursor_u8(c, &plen) < 0 || cursor_skip(c, plen) < 0)
        return 0;
    socks_session(s, 5, ts);
    memcpy(s->user, user, ulen);
    s->user_len = ulen;
    s->has_user = true;
    return (int)(c->p - start);
}

/* One client message; see socks_msg_reply for the server side. */
static int socks_msg_orig(struct socks_state *s, struct proto_ctx *ctx, struct cursor *c,
                          int64_t ts)
{
    const uint8_t *start = c->p;
    if (s->req_done)
        return -2; /* nothing more expected: wait for the reply */
    if (s->version == 0) {
        if (!cursor_has(c, 1))
            return 0;
        if (c->p[0] != 4 && c->p[0] != 5)
            return -1;
        s->version = c->p[0];
    }
    if (s->version == 4)
        return socks4_request(s, ctx, c, ts);
    if (!s->greeted) {
        uint8_t ver, n;
        if (cursor_u8(c, &ver) < 0 || cursor_u8(c, &n) < 0 || cursor_skip(c, n) < 0)
            return 0;
        if (ver != 5 || n == 0)
            return -1;
        s->greeted = true;
        return (int)(c->p - start);
    }
    if (!s->past_auth)
        return -2; /* wait for the server's method selection */
    if (s->in_auth)
        return socks5_auth_request(s, ctx, c, ts);
    return socks5_request(s, ctx, c, ts);
}

static int socks_reply(struct socks_state *s, struct proto_ctx *ctx, struct cursor *c,
                       int64_t ts)
{
    const uint8_t *start = c->p;
    uint8_t ver, code, rsv;
    uint16_t port;
    struct socks_addr a;
    memset(&a, 0, sizeof(a));
    if (s->version == 4) {
        if (cursor_u8(c, &ver) < 0 || cursor_u8(c, &code) < 0 || cursor_u16be(c, &port) < 0 ||
            !cursor_has(c, 4))
            return 0;
        if (ver != 0 && ver != 4)
            return -1;
        a.host.family = 4;
        memcpy(a.host.a, c->p, 4);
        a.has_host = true;
        (void)cursor_skip(c, 4);
    } else {
        if (cursor_u8(c, &ver) < 0 || cursor_u8(c, &code) < 0 || cursor_u8(c, &rsv) < 0)
            return 0;
        if (ver != 5)
            return -1;
        int r = socks5_addr(c, &a);
        if (r <= 0)
            return r;
        if (cursor_u16be(c, &port) < 0)
            return 0;
    }
    socks_session(s, s->version, ts);
    socks_status(s, s->version, code);
    s->bound = a;
    s->bound_p = port;
    s->has_bound = true;
    s->reply_done = true;
    s->confirmed = true;
    proto_confirm(ctx);
    return (int)(c->p - start);
}

static int socks_msg_resp(struct socks_state *s, struct proto_ctx *ctx, struct cursor *c,
                          int64_t ts)
{
    const uint8_t *start = c->p;
    uint8_t ver, b;
    if (s->reply_done || s->version == 0 || (s->version == 5 && !s->greeted))
        return -2;
    if (s->version == 5 && !s->past_auth) {
        if (cursor_u8(c, &ver) < 0 || cursor_u8(c, &b) < 0)
            return 0;
        if (ver != 5)
            return -1;
        s->method = b;
        s->past_auth = true;
        s->in_auth = b != 0 && b != 0xff;
        return (int)(c->p - start);
    }
    if (s->version == 5 && s->in_auth) {
        if (s->method != 2)
            return -2; /* other methods' messages are opaque: the request never parses */
        if (cursor_u8(c, &ver) < 0 || cursor_u8(c, &b) < 0)
            return 0;
        s->in_auth = false;
        if (ver == 1) {
            socks_session(s, 5, ts);
            socks_status(s, 5, b);
        }
        return (int)(c->p - start);
    }
    if (!s->req_done)
        return -2;
    return socks_reply(s, ctx, c, ts);
}

/* Parse every complete message buffered in direction d.  <0: violation. */
static int socks_drain(struct socks_state *s, struct proto_ctx *ctx, int d, int64_t ts)
{
    struct socks_dir *sd = &s->dir[d];
    for (;;) {
        if (sd->len == 0 || s->done)
            return 0;
        struct cursor c;
        cursor_init(&c, sd->buf, sd->len);
        int r = d == PROTO_ORIG ? socks_msg_orig(s, ctx, &c, ts) : socks_msg_resp(s, ctx, &c, ts);
        if (r == -1)
            return -1;
        if (r == -2 || r == 0) {
            if (r == -2 && sd->len == sizeof(sd->buf))
                return -1;
            if (r == 0 && sd->len == sizeof(sd->buf))
                return -1;
            return 0;
        }
        memmove(sd->buf, sd->buf + r, sd->len - (size_t)r);
        sd->len -= (size_t)r;
    }
}

static enum proto_result socks_parse(void *state, struct proto_ctx *ctx, enum proto_dir dir,
                                     const uint8_t *data, size_t len, int64_t ts)
{
    struct socks_state *s = state;
    struct socks_dir *sd = &s->dir[dir];
    if (s->done)
        return PROTO_DONE;
    while (len > 0) {
        size_t n = sizeof(sd->buf) - sd->len;
        if (n > len)
            n = len;
        memcpy(sd->buf + sd->len, data, n);
        sd->len += n;
        data += n;
        len -= n;
        /* a message in one direction may unblock the other (v5 method selection) */
        if (socks_drain(s, ctx, dir, ts) < 0 || socks_drain(s, ctx, !dir, ts) < 0)
            return s->confirmed ? PROTO_DONE : PROTO_ERROR;
        if (s->done)
            return PROTO_DONE;
        if (s->req_done && s->reply_done) {
            s->done = true;
            /* bytes after the reply in this chunk are not replayed (proto.h) */
            return proto_switch(ctx, NULL) == 0 ? PROTO_OK : PROTO_DONE;
        }
        if (n == 0)
            return s->confirmed ? PROTO_DONE : PROTO_ERROR;
    }
    return PROTO_OK;
}

static struct rstr socks_rs(const char *p, size_t n)
{
    struct rstr r = {p, n};
    return r;
}

static void socks_set(struct socks_record *r, int f)
{
    record_set_unset(&r->hdr, (size_t)f, false);
}

static void socks_log(struct socks_state *s, struct proto_ctx *ctx)
{
    if (s->logged || !s->session || !s->confirmed)
        return;
    s->logged = true;
    struct socks_record r;
    memset(&r, 0, sizeof(r));
    r.hdr.type = &socks_record_type;
    for (int i = 0; i < SKF_N; i++)
        record_set_unset(&r.hdr, (size_t)i, i > SKF_VERSION);
    const struct proto_conn *pc = proto_conn(ctx);
    struct proto_id id;
    proto_fill_id(ctx, &id);
    r.ts = s->ts;
    r.uid = socks_rs(pc->uid ? pc->uid : "", pc->uid ? strlen(pc->uid) : 0);
    r.orig_h = id.orig_h;
    r.orig_p = id.orig_p;
    r.resp_h = id.resp_h;
    r.resp_p = id.resp_p;
    r.version = s->version;
    if (s->has_user) {
        r.user = socks_rs(s->user, s->user_len);
        socks_set(&r, SKF_USER);
    }
    if (s->has_status) {
        r.status = socks_rs(s->status, strlen(s->status));
        socks_set(&r, SKF_STATUS);
    }
    const struct socks_addr *a[2] = {s->has_req ? &s->req : NULL, s->has_bound ? &s->bound : NULL};
    for (int k = 0; k < 2; k++) {
        if (!a[k])
            continue;
        int base = k ? SKF_BOUND_HOST : SKF_REQ_HOST;
        struct raddr *host = k ? &r.bound_host : &r.req_host;
        struct rstr *name = k ? &r.bound_name : &r.req_name;
        if (a[k]->has_host) {
            *host = a[k]->host;
            socks_set(&r, base);
        }
        if (a[k]->has_name) {
            *name = socks_rs(a[k]->name, a[k]->name_len);
            socks_set(&r, base + 1);
        }
        if (k)
            r.bound_p = s->bound_p;
        else
            r.req_p = s->req_p;
        socks_set(&r, base + 2);
    }
    if (pc->community_id) {
        r.community_id = socks_rs(pc->community_id, strlen(pc->community_id));
        socks_set(&r, SKF_COMMUNITY_ID);
    }
    proto_emit(ctx, &r.hdr);
}

static void socks_free(void *state, struct proto_ctx *ctx)
{
    struct socks_state *s = state;
    if (!s)
        return;
    socks_log(s, ctx);
    free(s);
}

/*
 * Probe: the client's first message.  SOCKS4: VN=4, CD 1 (CONNECT) or 2
 * (BIND), a NUL-terminated USERID; SOCKS5: VER=5, NMETHODS 1..9 and exactly
 * NMETHODS method bytes, each a defined method (0..8), private (0x80..0xfe).
 */
static enum proto_probe socks_probe(const uint8_t *data, size_t len, enum proto_dir dir,
                                    uint16_t orig_p, uint16_t resp_p)
{
    (void)orig_p, (void)resp_p;
    struct cursor c;
    uint8_t ver, b;
    if (dir != PROTO_ORIG)
        return PROTO_PROBE_NO;
    cursor_init(&c, data, len);
    if (cursor_u8(&c, &ver) < 0 || cursor_u8(&c, &b) < 0)
        return len == 0 || data[0] == 4 || data[0] == 5 ? PROTO_PROBE_MAYBE : PROTO_PROBE_NO;
    if (ver == 4) {
        if (b != 1 && b != 2)
            return PROTO_PROBE_NO;
        if (cursor_skip(&c, 6) < 0)
            return PROTO_PROBE_MAYBE;
        int r = socks_cstr(&c, NULL, NULL);
        return r > 0 ? PROTO_PROBE_YES : r == 0 ? PROTO_PROBE_MAYBE : PROTO_PROBE_NO;
    }
    if (ver != 5 || b == 0 || b > 9)
        return PROTO_PROBE_NO;
    if (cursor_left(&c) < b)
        return PROTO_PROBE_MAYBE;
    if (cursor_left(&c) != b)
        return PROTO_PROBE_NO;
    for (uint8_t i = 0; i < b; i++) {
        uint8_t m = c.p[i];
        if (m > 8 && (m < 0x80 || m == 0xff))
            return PROTO_PROBE_NO;
    }
    return PROTO_PROBE_YES;
}

static const uint16_t socks_ports[] = {1080, 0};

const struct proto_parser proto_socks = {
    .name = "socks",
    .ip_proto = 6,
    .ports = socks_ports,
    .probe = socks_probe,
    .state_new = socks_new,
    .parse = socks_parse,
    .gap = NULL,
    .eof = NULL,
    .state_free = socks_free,
};
