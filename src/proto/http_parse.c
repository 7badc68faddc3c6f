/*
 * http_parse.c - HTTP/1.x message framing: the resumable per-direction
 * state machine, lines, request and status lines, headers.
 *
 * Follows RFC 9112 (message syntax: start line, field lines, obsolete line
 * folding, chunked transfer coding with extensions and trailers, message
 * body length) and RFC 9110 (HEAD, 1xx, 204 and 304 have no body; CONNECT;
 * 101 Switching Protocols), with the tolerance of Zeek's HTTP analyzer where
 * real traffic needs it: a bare CR or LF ends a line as CRLF does, HTTP/0.9
 * requests ("GET /uri") are answered by raw bytes until close, a request
 * line's URI may hold spaces (it ends at the last blank before "HTTP/"),
 * chunked coding only counts in HTTP/1.1 messages.
 *
 * Bytes are taken one at a time in the line states (HAProxy/nginx style:
 * whatever the segmentation, the same bytes give the same lines) and in
 * runs in the body states; the state lives in struct http_msg between calls.
 *
 *          ┌────────────┐ request/status line ┌─────────┐ empty line
 *   ──────►│   FIRST    ├────────────────────►│ HEADERS ├──────┐
 *          └────────────┘                     └─────────┘      │
 *             ▲   │ 0.9 request: response side        (body framing)
 *             │   └──────────────► RAW09 ──► close     │   │   │   │
 *             │                                        │   │   │   └─ none ─► done
 *             │  done ◄── BODY (Content-Length) ◄──────┘   │   └─ until close ─► BODY ─► eof
 *             │                                            ▼
 *             │        CHUNK_SIZE ─► CHUNK_DATA ─► CHUNK_CRLF ─┐
 *             │           ▲  │ size 0                          │
 *             │           └──┼─────────────────────────────────┘
 *             └── done ◄─ TRAILERS ◄┘
 *
 * A line longer than HTTP_LINE_MAX is cut (weird
 * "contentline_size_exceeded"), a message with more than HTTP_HEADERS_MAX
 * header lines keeps the first ones (weird "HTTP_too_many_headers").
 */
#include <stdlib.h>
#include <string.h>

#include "core/cursor.h"
#include "proto/http.h"

static bool http_is_blank(uint8_t c)
{
    return c == ' ' || c == '\t';
}

static bool http_is_token(uint8_t c)
{
    if (c <= 31 || c >= 127)
        return false;
    return strchr(" \t()<>@,;:\\\"/[]?={}", c) == NULL;
}

static bool http_is_uri_char(uint8_t c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c != 0 && strchr(":/?#[]@!$&'()*+,;=-_.~%", c) != NULL;
}

/* Number of blanks at the cursor, without moving it. */
static size_t http_blanks(const struct cursor *c)
{
    size_t k = 0;
    uint8_t b;
    while (cursor_peek_u8(c, k, &b) == 0 && http_is_blank(b))
        k++;
    return k;
}

static bool http_prefix(const struct cursor *c, const char *pre)
{
    size_t n = strlen(pre);
    return cursor_has(c, n) && memcmp(c->p, pre, n) == 0;
}

/* "[0-9].[0-9]" after "HTTP/": major*10+minor, or -1. */
static int http_version_parse(const struct cursor *c)
{
    uint8_t a, dot, b;
    if (cursor_peek_u8(c, 0, &a) < 0 || cursor_peek_u8(c, 1, &dot) < 0 ||
        cursor_peek_u8(c, 2, &b) < 0)
        return -1;
    if (a < '0' || a > '9' || dot != '.' || b < '0' || b > '9')
        return -1;
    return (a - '0') * 10 + (b - '0');
}

void http_set_version(struct http_state *s, int *slot, int v, int64_t ts)
{
    if (v < 0)
        return;
    if (*slot >= 0 && *slot != v)
        http_weird(s, "HTTP_version_mismatch", NULL, ts);
    *slot = v;
    if (v > 10)
        s->keep_alive = true;
}

/* ---- unanswered requests (is the reply to a HEAD?) ---- */

static void http_methods_push(struct http_state *s, bool head)
{
    if (s->methods_n == HTTP_METHODS_MAX) /* cap: forget the oldest */
        http_methods_pop(s);
    s->methods_head[(s->methods_first + s->methods_n) % HTTP_METHODS_MAX] = head;
    s->methods_n++;
}

void http_methods_pop(struct http_state *s)
{
    if (s->methods_n == 0)
        return;
    s->methods_first = (s->methods_first + 1) % HTTP_METHODS_MAX;
    s->methods_n--;
}

bool http_unanswered_head(const struct http_state *s)
{
    return s->methods_n > 0 && s->methods_head[s->methods_first];
}

/* ---- start lines ---- */

/*
 * Zeek's HTTP_RequestLine + ParseRequest: a token method, blanks, the URI
 * (to the last blank before "HTTP/" or to the end: HTTP/0.9), the version.
 * 1 parsed, 0 not a request line (weird raised).
 */
static int http_request_line(struct http_state *s, struct http_msg *m, int64_t ts)
{
    struct cursor c, uri_start, v;
    cursor_init(&c, m->line, m->line_len);
    const uint8_t *method = c.p;
    uint8_t b;
    while (cursor_peek_u8(&c, 0, &b) == 0 && http_is_token(b))
        cursor_skip(&c, 1);
    size_t mlen = (size_t)(c.p - method);
    if (mlen == 0) {
        bool with_version = m->line_len >= 9 && memcmp(m->line + m->line_len - 9, " HTTP/", 6) == 0;
        http_weird(s, with_version ? "bad_HTTP_request_with_version" : "bad_HTTP_request", NULL, ts);
        return 0;
    }
    size_t bl = http_blanks(&c);
    if (bl == 0) {
        http_weird(s, "bad_HTTP_request", NULL, ts);
        return 0;
    }
    cursor_skip(&c, bl);
    uri_start = c;
    while (cursor_peek_u8(&c, 0, &b) == 0 && http_is_uri_char(b))
        cursor_skip(&c, 1);
    const uint8_t *uri_end = c.p;
    if (cursor_left(&c) == 0 && http_prefix(&uri_start, "HTTP/")) {
        http_weird(s, "missing_HTTP_uri", NULL, ts);
        uri_end = uri_start.p;
        c = uri_start;
    }
    /* The version starts at the first "HTTP/" after blanks; the URI ends before those blanks. */
    int version = -1;
    bool found = false;
    while (cursor_left(&c) > 0) {
        uri_end = c.p;
        v = c;
        cursor_skip(&v, http_blanks(&v));
        if (http_prefix(&v, "HTTP/")) {
            found = true;
            c = v;
            break;
        }
        c = v;
        cursor_skip(&c, 1);
    }
    if (!found) {
        version = 9;
        uri_end = m->line + m->line_len;
    } else if (cursor_has(&c, 8)) {
        cursor_skip(&c, 5);
        version = http_version_parse(&c);
    }
    size_t ulen = (size_t)(uri_end - uri_start.p);
    if (version == 9 && (mlen < 3 || ulen == 0)) {
        http_weird(s, "bad_HTTP_request", NULL, ts);
        return 0;
    }
    http_set_version(s, &s->req_version, version, ts);
    if (version == 9 && !(mlen == 3 && memcmp(method, "GET", 3) == 0)) {
        char addl[64];
        size_t k = mlen < sizeof(addl) - 1 ? mlen : sizeof(addl) - 1;
        memcpy(addl, method, k);
        addl[k] = 0;
        http_weird(s, "invalid_http_09_request_method", addl, ts);
    }
    s->n_requests++;
    if (!s->keep_alive && s->n_requests > 1)
        http_weird(s, "unexpected_multiple_HTTP_requests", NULL, ts);
    http_methods_push(s, mlen == 4 && memcmp(method, "HEAD", 4) == 0);
    s->connect_request = mlen == 7 && memcmp(method, "CONNECT", 7) == 0;
    proto_confirm(s->ctx);
    http_on_request(s, method, mlen, uri_start.p, ulen, ts);
    if (version == 9)
        s->http09_reply = true;
    return 1;
}

/* Zeek's HTTP_ReplyLine: "HTTP/" version, blanks, 3-digit code, blanks, reason. */
static int http_status_line(struct http_state *s, struct http_msg *m, int64_t ts)
{
    struct cursor c;
    uint8_t b;
    cursor_init(&c, m->line, m->line_len);
    if (!http_prefix(&c, "HTTP/"))
        return 0;
    cursor_skip(&c, 5);
    http_set_version(s, &s->resp_version, http_version_parse(&c), ts);
    while (cursor_peek_u8(&c, 0, &b) == 0 && !http_is_blank(b))
        cursor_skip(&c, 1);
    if (cursor_left(&c) == 0)
        return 0;
    cursor_skip(&c, http_blanks(&c));
    const uint8_t *code;
    if (cursor_ptr(&c, 3, &code) < 0)
        return 0;
    s->reply_code = 0;
    if (code[0] >= '0' && code[0] <= '9' && code[1] >= '0' && code[1] <= '9' && code[2] >= '0' &&
        code[2] <= '9')
        s->reply_code = (unsigned)((code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0'));
    while (cursor_peek_u8(&c, 0, &b) == 0 && !http_is_blank(b))
        cursor_skip(&c, 1);
    s->reason_set = false;
    if (cursor_left(&c) > 0) {
        cursor_skip(&c, http_blanks(&c));
        hstr_set(&s->reason, c.p, cursor_left(&c));
        s->reason_set = true;
    }
    return 1;
}

/* ---- headers ---- */

static void http_header_flush(struct http_state *s, struct http_msg *m, int64_t ts)
{
    if (!m->hdr_pending)
        return;
    m->hdr_pending = false;
    if (++m->n_headers > HTTP_HEADERS_MAX) {
        if (m->n_headers == HTTP_HEADERS_MAX + 1)
            http_weird(s, "HTTP_too_many_headers", NULL, ts);
        return;
    }
    struct cursor c;
    uint8_t b;
    cursor_init(&c, m->hdr, m->hdr_len);
    const uint8_t *name = c.p;
    while (cursor_peek_u8(&c, 0, &b) == 0 && b != ':')
        cursor_skip(&c, 1);
    if (cursor_left(&c) == 0)
        return; /* no colon: Zeek's MIME "illegal format", ignored */
    size_t nlen = (size_t)(c.p - name);
    while (nlen > 0 && http_is_blank(name[nlen - 1]))
        nlen--;
    cursor_skip(&c, 1);
    cursor_skip(&c, http_blanks(&c));
    size_t vlen = cursor_left(&c);
    while (vlen > 0 && http_is_blank(c.p[vlen - 1]))
        vlen--;
    http_on_header(s, m->dir, name, nlen, c.p, vlen, ts);
}

static int http_buf_append(uint8_t **buf, size_t *len, size_t *cap, const uint8_t *p, size_t n)
{
    if (*len + n > HTTP_LINE_MAX)
        n = HTTP_LINE_MAX - *len;
    if (*len + n > *cap) {
        size_t nc = *cap ? *cap : 256;
        while (nc < *len + n)
            nc *= 2;
        if (nc > HTTP_LINE_MAX)
            nc = HTTP_LINE_MAX;
        uint8_t *q = realloc(*buf, nc);
        if (!q)
            return -1;
        *buf = q;
        *cap = nc;
    }
    if (n)
        memcpy(*buf + *len, p, n);
    *len += n;
    return 0;
}

static void http_header_line(struct http_state *s, struct http_msg *m, int64_t ts)
{
    if (m->line_len > 0 && http_is_blank(m->line[0]) && m->hdr_pending) {
        http_buf_append(&m->hdr, &m->hdr_len, &m->hdr_cap, m->line, m->line_len); /* folding */
        detect_http_cap_header(&m->dc, m->line, m->line_len);
        return;
    }
    http_header_flush(s, m, ts);
    detect_http_cap_header(&m->dc, m->line, m->line_len);
    m->hdr_len = 0;
    if (http_buf_append(&m->hdr, &m->hdr_len, &m->hdr_cap, m->line, m->line_len) == 0)
        m->hdr_pending = true;
}

/* ---- message boundaries ---- */

void http_msg_reset(struct http_msg *m)
{
    m->st = HTTP_S_FIRST;
    m->ongoing = false;
    m->hdr_pending = false;
    m->hdr_len = 0;
    m->n_headers = 0;
    m->content_length = -1;
    m->chunked_hdr = m->multipart = m->expect_body = m->close_body = false;
    m->enc = HTTP_ENC_IDENTITY;
    m->remaining = 0;
    m->body.len = 0;
    hstr_free(&m->ctype);
    hstr_free(&m->cdisp);
    hstr_free(&m->crange);
}

void http_msg_free(struct http_msg *m)
{
    http_body_free(&m->body);
    detect_http_cap_free(&m->dc);
    free(m->line);
    free(m->hdr);
    hstr_free(&m->ctype);
    hstr_free(&m->cdisp);
    hstr_free(&m->crange);
    m->line = m->hdr = NULL;
}

/* The signature engine's look at the transaction at stage (detect_http.h). */
static void http_detect(struct http_state *s, struct http_msg *m, enum detect_http_stage stage,
                        int64_t ts)
{
    if (!m->dc.on || (m->dir == PROTO_RESP && s->reply_code >= 100 && s->reply_code < 200))
        return;
    if (m->dir == PROTO_ORIG)
        detect_http_tx(proto_conn(s->ctx), stage, &m->dc, NULL, ts ? ts : s->last_ts);
    else
        detect_http_tx(proto_conn(s->ctx), stage, http_txn_request_cap(s), &m->dc,
                       ts ? ts : s->last_ts);
}

/* The message of m's direction has ended (Zeek's RequestMade/ReplyMade). */
static void http_msg_done(struct http_state *s, struct http_msg *m, bool complete, int64_t ts)
{
    if (!m->ongoing)
        return;
    http_body_end(s, m, complete);
    if (m->dc.on) {
        if (!m->dc.hdrs_done) /* ended inside the headers: inspect what came */
            http_detect(s, m, m->dir == PROTO_ORIG ? DETECT_HTTP_REQ_HEADERS
                                                   : DETECT_HTTP_RESP_HEADERS, ts);
        http_detect(s, m, m->dir == PROTO_ORIG ? DETECT_HTTP_REQ_BODY : DETECT_HTTP_RESP_BODY, ts);
        if (m->dir == PROTO_ORIG)
            http_txn_keep_request(s, &m->dc);
    }
    detect_http_cap_reset(&m->dc);
    http_on_message_done(s, m->dir, ts);
    enum http_msg_state next = complete ? HTTP_S_FIRST : HTTP_S_NOTHING;
    if (m->dir == PROTO_RESP) {
        bool info = s->reply_code >= 100 && s->reply_code < 200;
        if (s->reply_code == 101 && s->methods_n == 1 && s->upgrade_conn && s->upgrade_proto) {
            s->upgraded = true; /* websocket & co: no more HTTP on this session */
            next = HTTP_S_NOTHING;
        }
        if (!info)
            http_methods_pop(s);
        s->reply_code = 0;
        s->reason_set = false;
        s->upgrade_conn = s->upgrade_proto = false;
    }
    http_msg_reset(m);
    m->st = next;
    if (s->upgraded)
        s->msg[PROTO_ORIG].st = s->msg[PROTO_RESP].st = HTTP_S_NOTHING;
}

void http_msg_finish(struct http_state *s, enum proto_dir dir, bool complete, int64_t ts)
{
    http_msg_done(s, &s->msg[dir], complete, ts);
}

/* After the empty line: how long is the body?  (RFC 9112 §6.3, as Zeek reads it) */
static void http_headers_done(struct http_state *s, struct http_msg *m, int64_t ts)
{
    bool resp = m->dir == PROTO_RESP;
    if (m->dc.on) {
        detect_http_cap_header(&m->dc, NULL, 0);
        http_detect(s, m, resp ? DETECT_HTTP_RESP_HEADERS : DETECT_HTTP_REQ_HEADERS, ts);
    }
    if (resp && s->connect_request) {
        /* A 2xx to CONNECT: what follows is the tunnel's own protocol. */
        s->tunnel = true;
        return;
    }
    bool expected;
    if (resp)
        expected = !(http_unanswered_head(s) || (s->reply_code >= 100 && s->reply_code < 200) ||
                     s->reply_code == 204 || s->reply_code == 304);
    else
        expected = false; /* HTTP_BODY_MAYBE */
    int version = resp ? s->resp_version : s->req_version;
    bool chunked = m->chunked_hdr && version == 11;
    m->close_body = false;
    if (resp && !expected) {
        http_msg_done(s, m, true, ts);
        return;
    }
    if (chunked) {
        if (m->multipart)
            http_weird(s, "HTTP_chunked_transfer_for_multipart_message", NULL, ts);
        http_body_begin(s, m, ts);
        m->st = HTTP_S_CHUNK_SIZE;
    } else if (m->content_length > 0) {
        http_body_begin(s, m, ts);
        m->remaining = (uint64_t)m->content_length;
        m->st = HTTP_S_BODY;
    } else if (m->content_length == 0) {
        http_msg_done(s, m, true, ts);
    } else if (s->connection_close || m->enc != HTTP_ENC_IDENTITY || expected) {
        http_body_begin(s, m, ts);
        m->close_body = true;
        m->st = HTTP_S_BODY;
    } else {
        http_msg_done(s, m, true, ts);
    }
}

static void http_first_line(struct http_state *s, struct http_msg *m, int64_t ts)
{
    if (m->dir == PROTO_ORIG) {
        if (m->line_len == 0) {
            http_weird(s, "empty_http_request", NULL, ts);
            return;
        }
        if (!http_request_line(s, m, ts)) {
            m->st = HTTP_S_NOTHING; /* Zeek: "not a http request line" */
            return;
        }
    } else {
        if (!http_status_line(s, m, ts)) {
            if (m->line_len > 0)
                m->st = HTTP_S_NOTHING; /* "not a http reply line" */
            return;
        }
        if (s->methods_n > 0)
            proto_confirm(s->ctx);
        if (s->connect_request && s->reply_code != 200)
            s->connect_request = false;
        http_on_reply(s, ts);
    }
    detect_http_cap_begin(&m->dc, m->line, m->line_len);
    m->ongoing = true;
    m->st = HTTP_S_HEADERS;
}

static void http_line_done(struct http_state *s, struct http_msg *m, int64_t ts)
{
    uint64_t size;
    switch (m->st) {
    case HTTP_S_FIRST:
        http_first_line(s, m, ts);
        break;
    case HTTP_S_HEADERS:
        if (m->line_len > 0) {
            http_header_line(s, m, ts);
            break;
        }
        http_header_flush(s, m, ts);
        http_headers_done(s, m, ts);
        break;
    case HTTP_S_CHUNK_SIZE:
        if (!http_chunk_size_parse(m->line, m->line_len, &size)) {
            http_weird(s, "HTTP_bad_chunk_size", NULL, ts);
            size = 0;
        }
        m->remaining = size;
        m->st = size > 0 ? HTTP_S_CHUNK_DATA : HTTP_S_TRAILERS;
        break;
    case HTTP_S_CHUNK_CRLF:
        m->st = HTTP_S_CHUNK_SIZE; /* data before the CRLF: Zeek's "inaccurate chunk size" */
        break;
    case HTTP_S_TRAILERS:
        if (m->line_len == 0)
            http_msg_done(s, m, true, ts);
        else if (++m->n_headers == HTTP_HEADERS_MAX + 1)
            http_weird(s, "HTTP_too_many_headers", NULL, ts);
        break;
    default:
        break;
    }
}

/*
 * Take bytes of one line.  A line ends at LF, CRLF or a bare CR; after a
 * CR the line waits for the next byte to see whether it is the LF of a
 * CRLF.  Returns the bytes used; *done when the line is complete.
 */
static size_t http_line_take(struct http_state *s, struct http_msg *m, const uint8_t *p, size_t n,
                             bool *done, int64_t ts)
{
    struct cursor c;
    uint8_t b;
    cursor_init(&c, p, n);
    *done = false;
    while (cursor_peek_u8(&c, 0, &b) == 0) {
        if (m->cr) {
            m->cr = false;
            if (b == '\n')
                cursor_skip(&c, 1);
            *done = true;
            break;
        }
        cursor_skip(&c, 1);
        if (b == '\n') {
            *done = true;
            break;
        }
        if (b == '\r') {
            m->cr = true;
            continue;
        }
        if (m->line_len >= HTTP_LINE_MAX) {
            if (!m->over)
                http_weird(s, "contentline_size_exceeded", NULL, ts);
            m->over = true;
            continue;
        }
        if (m->line_len == m->line_cap &&
            http_buf_append(&m->line, &m->line_len, &m->line_cap, &b, 1) == 0)
            continue;
        if (m->line_len < m->line_cap)
            m->line[m->line_len++] = b;
    }
    return (size_t)(c.p - p);
}

/* Complete a line left open by a CR at the end of the stream. */
void http_msg_flush_line(struct http_state *s, struct http_msg *m, int64_t ts)
{
    if (m->cr) {
        m->cr = false;
        http_line_done(s, m, ts);
        m->line_len = 0;
        m->over = false;
    }
}

static size_t http_body_take(struct http_state *s, struct http_msg *m, const uint8_t *p, size_t n,
                             int64_t ts)
{
    size_t k = n;
    if (!m->close_body || m->st == HTTP_S_CHUNK_DATA)
        k = m->remaining < n ? (size_t)m->remaining : n;
    if (m->st == HTTP_S_RAW09 || (m->st == HTTP_S_BODY && m->close_body)) {
        http_body_input(s, m, p, n);
        return n;
    }
    http_body_input(s, m, p, k);
    m->remaining -= k;
    if (m->remaining == 0) {
        if (m->st == HTTP_S_CHUNK_DATA)
            m->st = HTTP_S_CHUNK_CRLF;
        else
            http_msg_done(s, m, true, ts);
    }
    return k;
}

/* The responder's first bytes after an HTTP/0.9 request: a raw reply. */
static void http_reply09_begin(struct http_state *s, struct http_msg *m, int64_t ts)
{
    http_set_version(s, &s->resp_version, 9, ts);
    if (s->methods_n > 0)
        proto_confirm(s->ctx);
    s->connection_close = true;
    s->reply_code = 0;
    s->reason_set = false;
    http_on_reply(s, ts);
    detect_http_cap_begin(&m->dc, NULL, 0);
    detect_http_cap_header(&m->dc, NULL, 0);
    m->ongoing = true;
    http_body_begin(s, m, ts);
    m->close_body = true;
    m->st = HTTP_S_RAW09;
}

/* Feed bytes to one direction.  Returns the bytes consumed (fewer only when
 * the session leaves HTTP: CONNECT tunnel or upgrade). */
size_t http_msg_feed(struct http_state *s, struct http_msg *m, const uint8_t *p, size_t n,
                     int64_t ts)
{
    size_t off = 0;
    while (off < n && !s->tunnel && !s->upgraded) {
        bool done;
        switch (m->st) {
        case HTTP_S_NOTHING:
            return n;
        case HTTP_S_BODY:
        case HTTP_S_CHUNK_DATA:
        case HTTP_S_RAW09:
            off += http_body_take(s, m, p + off, n - off, ts);
            break;
        case HTTP_S_FIRST:
            if (m->dir == PROTO_RESP && s->http09_reply && !m->cr && m->line_len == 0) {
                http_reply09_begin(s, m, ts);
                break;
            }
            /* fall through */
        default:
            off += http_line_take(s, m, p + off, n - off, &done, ts);
            if (done) {
                http_line_done(s, m, ts);
                m->line_len = 0;
                m->over = false;
            }
            break;
        }
    }
    return off;
}
