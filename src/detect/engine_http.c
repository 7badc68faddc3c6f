/*
 * engine_http.c - HTTP transaction inspection (detect_http.h): the
 * captures the HTTP parser keeps while rules are loaded, the buffers built
 * from them (Suricata's http.* sticky buffers and legacy modifiers), and
 * the hook that evaluates each rule at the moment of the transaction its
 * buffers need.
 *
 * Buffers (docs/alerts.md): the request line's method, URI (raw and
 * normalised the way libhtp's defaults do), protocol; the header block
 * (normalised "Name: value\r\n" without cookies, raw, names, one entry per
 * header for http.request_header / http.response_header); single headers
 * (Host, User-Agent, Cookie, Content-Type, ...); the status line's code
 * and message; the decoded bodies.  Header-derived buffers of a response
 * inspection come from the response (Suricata's to_client side), the
 * request-only ones from its request.  Strings that are not a slice of a
 * capture are built in one per-inspection arena sized up front (never
 * reallocated while pointers into it are live); bodies are not copied.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/hex.h"
#include "core/cursor.h"
#include "detect/detect_http.h"
#include "detect/engine_int.h"
#include "proto/proto.h"

static uint32_t body_limit[2] = {DETECT_HTTP_BODY_LIMIT_DEFAULT, DETECT_HTTP_BODY_LIMIT_DEFAULT};

void detect_http_set_body_limits(uint32_t request, uint32_t response)
{
    body_limit[0] = request ? request : DETECT_HTTP_BODY_LIMIT_DEFAULT;
    body_limit[1] = response ? response : DETECT_HTTP_BODY_LIMIT_DEFAULT;
}

bool detect_http_active(void)
{
    const struct detect_engine *e = det_current();
    return e && e->g[DG_HTTP].n_rules;
}

/* ---- captures ---------------------------------------------------------------- */

static int cap_append(uint8_t **buf, uint32_t *len, uint32_t *cap, const uint8_t *p, size_t n,
                      uint32_t max)
{
    if (*len >= max)
        return -1;
    if (n > max - *len)
        n = max - *len;
    if (*len + n > *cap) {
        uint32_t nc = *cap ? *cap : 256;
        while (nc < *len + n)
            nc *= 2;
        uint8_t *q = realloc(*buf, nc);
        if (!q)
            return -1;
        *buf = q;
        *cap = nc;
    }
    if (n)
        memcpy(*buf + *len, p, n);
    *len += (uint32_t)n;
    return 0;
}

/* A capture buffer larger than this is freed between messages instead of
 * kept for the connection's next one: a keep-alive connection that once
 * carried a 100 KiB body would otherwise hold it while idle (with ET Open
 * on the workload: ~16 MB of body captures at a time). */
#define CAP_KEEP (16u * 1024)

static void cap_shrink(uint8_t **buf, uint32_t *cap)
{
    if (*cap > CAP_KEEP) {
        free(*buf);
        *buf = NULL;
        *cap = 0;
    }
}

void detect_http_cap_reset(struct detect_http_cap *c)
{
    c->on = c->hdrs_done = false;
    c->line_len = c->hdrs_len = c->body_len = 0;
    c->body_total = 0;
    cap_shrink(&c->hdrs, &c->hdrs_cap);
    cap_shrink(&c->body, &c->body_cap);
}

void detect_http_cap_free(struct detect_http_cap *c)
{
    free(c->line);
    free(c->hdrs);
    free(c->body);
    memset(c, 0, sizeof(*c));
}

void detect_http_cap_begin(struct detect_http_cap *c, const uint8_t *line, size_t n)
{
    detect_http_cap_reset(c);
    c->on = detect_http_active();
    if (c->on)
        cap_append(&c->line, &c->line_len, &c->line_cap, line, n, DETECT_HTTP_HDRS_MAX);
}

void detect_http_cap_header(struct detect_http_cap *c, const uint8_t *line, size_t n)
{
    if (!c->on || c->hdrs_done)
        return;
    if (!line)
        c->hdrs_done = true;
    else if (cap_append(&c->hdrs, &c->hdrs_len, &c->hdrs_cap, line, n, DETECT_HTTP_HDRS_MAX - 4) < 0)
        return;
    cap_append(&c->hdrs, &c->hdrs_len, &c->hdrs_cap, (const uint8_t *)"\r\n", 2,
               DETECT_HTTP_HDRS_MAX);
}

void detect_http_cap_body(struct detect_http_cap *c, int dir, const uint8_t *p, size_t n)
{
    if (!c->on || n == 0)
        return;
    c->body_total += n;
    uint32_t lim = body_limit[dir ? 1 : 0];
    if (c->body_len < lim)
        cap_append(&c->body, &c->body_len, &c->body_cap, p, n, lim);
}

/* ---- builders ------------------------------------------------------------------ */

/* RFC 3986 5.2.4 on a decoded path in place (starts with '/'). */
static size_t remove_dot_segments(uint8_t *p, size_t n)
{
    size_t o = 0, i = 0;
    while (i < n) {
        /* p[i] is '/' here (the path starts with one, segments end at one) */
        size_t j = i + 1;
        while (j < n && p[j] != '/')
            j++;
        size_t seg = j - i - 1;
        if (seg == 1 && p[i + 1] == '.') {
            if (j == n)
                p[o++] = '/';
        } else if (seg == 2 && p[i + 1] == '.' && p[i + 2] == '.') {
            while (o > 0 && p[o - 1] != '/')
                o--; /* drop the last output segment and its '/' */
            if (o > 0)
                o--;
            if (j == n)
                p[o++] = '/';
        } else {
            memmove(p + o, p + i, j - i);
            o += j - i;
        }
        i = j;
    }
    return o;
}

size_t detect_http_uri_normalize(const uint8_t *in, size_t n, uint8_t *out)
{
    size_t i = 0;
    /* absolute-form: drop "scheme://authority" */
    const uint8_t *sep = n > 3 ? memchr(in, ':', n < 16 ? n : 16) : NULL;
    if (sep && (size_t)(sep - in) + 3 <= n && sep[1] == '/' && sep[2] == '/' && in[0] != '/') {
        i = (size_t)(sep - in) + 3;
        while (i < n && in[i] != '/' && in[i] != '?')
            i++;
    }
    size_t qs = i;
    while (qs < n && in[qs] != '?')
        qs++;
    size_t o = 0;
    if (i == n || in[i] != '/')
        out[o++] = '/';
    for (; i < qs; i++) {
        uint8_t c = in[i];
        if (c == '%' && i + 2 < qs && core_hexval(in[i + 1]) >= 0 && core_hexval(in[i + 2]) >= 0) {
            c = (uint8_t)(core_hexval(in[i + 1]) * 16 + core_hexval(in[i + 2]));
            i += 2;
        }
        if (c == '/' && o > 0 && out[o - 1] == '/')
            continue; /* "//" -> "/" */
        out[o++] = c;
    }
    o = remove_dot_segments(out, o);
    if (qs < n) {
        memcpy(out + o, in + qs, n - qs);
        o += n - qs;
    }
    return o;
}

size_t detect_http_host_normalize(const uint8_t *in, size_t n, uint8_t *out)
{
    size_t end = n;
    if (n > 0 && in[0] == '[') {
        const uint8_t *rb = memchr(in, ']', n);
        if (rb)
            end = (size_t)(rb - in) + 1;
    } else {
        const uint8_t *colon = memchr(in, ':', n);
        if (colon)
            end = (size_t)(colon - in);
    }
    for (size_t i = 0; i < end; i++)
        out[i] = (uint8_t)((in[i] >= 'A' && in[i] <= 'Z') ? in[i] + 32 : in[i]);
    return end;
}

static int is_blank(uint8_t c)
{
    return c == ' ' || c == '\t';
}

uint32_t detect_http_headers_split(const uint8_t *hdrs, size_t n, struct detect_http_hdr *h,
                                   uint32_t max)
{
    struct cursor c;
    cursor_init(&c, hdrs, n);
    uint32_t k = 0;
    while (cursor_left(&c) > 0 && k < max) {
        const uint8_t *line = c.p;
        const uint8_t *crlf = memchr(line, '\r', cursor_left(&c));
        size_t len = crlf ? (size_t)(crlf - line) : cursor_left(&c);
        cursor_skip(&c, len);
        cursor_skip(&c, cursor_left(&c) >= 2 ? 2 : cursor_left(&c));
        if (len == 0)
            continue; /* the empty line ending the block */
        struct detect_http_hdr *x = &h[k];
        const uint8_t *colon = memchr(line, ':', len);
        if (is_blank(line[0]) || !colon) {
            x->name = line, x->nlen = 0; /* folded continuation or no colon */
            x->value = line, x->vlen = (uint32_t)len;
        } else {
            size_t nl = (size_t)(colon - line);
            while (nl > 0 && is_blank(line[nl - 1]))
                nl--;
            const uint8_t *v = colon + 1, *end = line + len;
            while (v < end && is_blank(*v))
                v++;
            while (end > v && is_blank(end[-1]))
                end--;
            x->name = line, x->nlen = (uint32_t)nl;
            x->value = v, x->vlen = (uint32_t)(end - v);
        }
        while (x->vlen > 0 && is_blank(x->value[0]))
            x->value++, x->vlen--;
        k++;
    }
    return k;
}

static int name_is(const struct detect_http_hdr *h, const char *want)
{
    return strlen(want) == h->nlen && strncasecmp((const char *)h->name, want, h->nlen) == 0;
}

static size_t put(uint8_t *out, size_t o, size_t cap, const void *p, size_t n)
{
    if (o + n > cap)
        n = o < cap ? cap - o : 0;
    if (n)
        memcpy(out + o, p, n);
    return o + n;
}

size_t detect_http_header_buffer(const struct detect_http_hdr *h, uint32_t nh, uint8_t *out,
                                 size_t cap)
{
    size_t o = 0;
    for (uint32_t i = 0; i < nh; i++) {
        if (h[i].nlen == 0 || name_is(&h[i], "cookie") || name_is(&h[i], "set-cookie"))
            continue;
        o = put(out, o, cap, h[i].name, h[i].nlen);
        o = put(out, o, cap, ": ", 2);
        o = put(out, o, cap, h[i].value, h[i].vlen);
        o = put(out, o, cap, "\r\n", 2);
    }
    return put(out, o, cap, "\r\n", 2);
}

size_t detect_http_header_names(const struct detect_http_hdr *h, uint32_t nh, uint8_t *out,
                                size_t cap)
{
    size_t o = put(out, 0, cap, "\r\n", 2);
    for (uint32_t i = 0; i < nh; i++) {
        if (h[i].nlen == 0)
            continue;
        o = put(out, o, cap, h[i].name, h[i].nlen);
        o = put(out, o, cap, "\r\n", 2);
    }
    return put(out, o, cap, "\r\n", 2);
}

/* ---- one inspection -------------------------------------------------------------- */

#define HDRS_MAX 256

/* The parts of one message, and the arena the built buffers live in. */
struct det_http {
    struct detect_http_hdr h[2][HDRS_MAX];
    uint32_t nh[2];
    const struct detect_http_cap *cap[2];
    uint8_t *arena;
    size_t used, size;
    int64_t ts;
};

static _Thread_local struct det_http http_x; /* per analysis worker, as the engine's state */

void det_http_thread_free(void)
{
    free(http_x.arena);
    memset(&http_x, 0, sizeof(http_x));
}

static uint8_t *arena_take(struct det_http *x, size_t n)
{
    if (x->used + n > x->size)
        return NULL;
    uint8_t *p = x->arena + x->used;
    x->used += n;
    return p;
}

static void set_buf(struct det_insp *in, unsigned b, const uint8_t *p, size_t n)
{
    in->buf[b] = p;
    in->len[b] = (uint32_t)n;
    in->have[b] = 1;
}

static const struct detect_http_hdr *hdr_find(const struct det_http *x, int side, const char *name)
{
    for (uint32_t i = 0; i < x->nh[side]; i++)
        if (name_is(&x->h[side][i], name))
            return &x->h[side][i];
    return NULL;
}

static void set_hdr(struct det_insp *in, const struct det_http *x, int side, unsigned b,
                    const char *name)
{
    const struct detect_http_hdr *h = hdr_find(x, side, name);
    if (h)
        set_buf(in, b, h->value, h->vlen);
}

/* The request line's protocol: the last "HTTP/" after a blank in
 * (from, end), or NULL (HTTP/0.9). */
static const uint8_t *line_proto(const uint8_t *from, const uint8_t *end)
{
    for (const uint8_t *q = end; q > from; q--)
        if (is_blank(q[-1]) && (size_t)(end - q) >= 5 && memcmp(q, "HTTP/", 5) == 0)
            return q;
    return NULL;
}

/* Is the request line's protocol exactly "HTTP/x.y", 1.1 or later? */
static int req_proto_11(const struct detect_http_cap *c)
{
    if (!c->line_len)
        return 0;
    const uint8_t *end = c->line + c->line_len, *q = line_proto(c->line, end);
    if (!q || end - q != 8 || !isdigit(q[5]) || q[6] != '.' || !isdigit(q[7]))
        return 0;
    return q[5] > '1' || (q[5] == '1' && q[7] >= '1');
}

/* libhtp 0.5's HTP_REQUEST_INVALID_T_E, Suricata's app-layer-event
 * http.invalid_transfer_encoding_value_in_request: the request has a
 * Transfer-Encoding whose value is not "chunked" (in any case, blanks
 * around it aside; libhtp joins a repeated header into "chunked, chunked",
 * so two are invalid too), or is chunked below HTTP/1.1. */
int det_http_te_invalid(const struct det_http *x)
{
    const struct detect_http_cap *c = x->cap[0];
    const struct detect_http_hdr *te = NULL;
    uint32_t n = 0;
    for (uint32_t i = 0; c && i < x->nh[0]; i++)
        if (name_is(&x->h[0][i], "transfer-encoding"))
            te = &x->h[0][i], n++;
    if (!te)
        return 0;
    const uint8_t *v = te->value, *e = te->value + te->vlen;
    while (v < e && is_blank(*v))
        v++;
    while (e > v && is_blank(e[-1]))
        e--;
    if (n > 1 || e - v != 7 || strncasecmp((const char *)v, "chunked", 7) != 0)
        return 1;
    return !req_proto_11(c);
}

/* Request line: method, target, protocol. */
static void req_line(struct det_insp *in, struct det_http *x, const struct detect_http_cap *c)
{
    if (!c->line_len)
        return;
    const uint8_t *l = c->line, *end = c->line + c->line_len;
    set_buf(in, RULE_BUF_HTTP_REQUEST_LINE, l, c->line_len);
    const uint8_t *sp = l;
    while (sp < end && !is_blank(*sp))
        sp++;
    set_buf(in, RULE_BUF_HTTP_METHOD, l, (size_t)(sp - l));
    const uint8_t *u = sp;
    while (u < end && is_blank(*u))
        u++;
    const uint8_t *ue = end, *proto = line_proto(u, end);
    if (proto) { /* the target ends before the blanks before it */
        ue = proto - 1;
        while (ue > u && is_blank(ue[-1]))
            ue--;
    }
    if (ue > u) {
        set_buf(in, RULE_BUF_HTTP_URI_RAW, u, (size_t)(ue - u));
        uint8_t *norm = arena_take(x, (size_t)(ue - u) + 1);
        if (norm)
            set_buf(in, RULE_BUF_HTTP_URI, norm,
                    detect_http_uri_normalize(u, (size_t)(ue - u), norm));
    }
    if (proto)
        set_buf(in, RULE_BUF_HTTP_PROTOCOL, proto, (size_t)(end - proto));
}

/* Status line: protocol, code, message. */
static void resp_line(struct det_insp *in, const struct detect_http_cap *c)
{
    if (!c->line_len)
        return;
    const uint8_t *l = c->line, *end = c->line + c->line_len;
    set_buf(in, RULE_BUF_HTTP_RESPONSE_LINE, l, c->line_len);
    const uint8_t *sp = l;
    while (sp < end && !is_blank(*sp))
        sp++;
    set_buf(in, RULE_BUF_HTTP_PROTOCOL, l, (size_t)(sp - l));
    while (sp < end && is_blank(*sp))
        sp++;
    const uint8_t *code = sp;
    while (sp < end && !is_blank(*sp))
        sp++;
    set_buf(in, RULE_BUF_HTTP_STAT_CODE, code, (size_t)(sp - code));
    while (sp < end && is_blank(*sp))
        sp++;
    set_buf(in, RULE_BUF_HTTP_STAT_MSG, sp, (size_t)(end - sp));
}

/* The header-derived buffers of one side (0 request, 1 response). */
static void side_headers(struct det_insp *in, struct det_http *x, int side)
{
    const struct detect_http_cap *c = x->cap[side];
    size_t n = c->hdrs_len + 4;
    uint8_t *hb = arena_take(x, n), *names = arena_take(x, n + 4);
    uint8_t *start = arena_take(x, c->line_len + 2 + c->hdrs_len);
    uint8_t *all = arena_take(x, n);
    if (hb)
        set_buf(in, RULE_BUF_HTTP_HEADER, hb, detect_http_header_buffer(x->h[side], x->nh[side],
                                                                        hb, n));
    if (names)
        set_buf(in, RULE_BUF_HTTP_HEADER_NAMES, names,
                detect_http_header_names(x->h[side], x->nh[side], names, n + 4));
    set_buf(in, RULE_BUF_HTTP_HEADER_RAW, c->hdrs, c->hdrs_len);
    if (start) {
        size_t o = put(start, 0, SIZE_MAX, c->line, c->line_len);
        o = put(start, o, SIZE_MAX, "\r\n", 2);
        o = put(start, o, SIZE_MAX, c->hdrs, c->hdrs_len);
        set_buf(in, RULE_BUF_HTTP_START, start, o);
    }
    if (all) { /* the request_header / response_header entries, one after another (prefilter) */
        size_t o = 0;
        for (uint32_t i = 0; i < x->nh[side]; i++) {
            const struct detect_http_hdr *h = &x->h[side][i];
            o = put(all, o, n, h->name, h->nlen);
            o = put(all, o, n, ": ", 2);
            o = put(all, o, n, h->value, h->vlen);
        }
        set_buf(in, side ? RULE_BUF_HTTP_RESPONSE_HEADER : RULE_BUF_HTTP_REQUEST_HEADER, all, o);
    }
    set_hdr(in, x, side, RULE_BUF_HTTP_COOKIE, side ? "set-cookie" : "cookie");
    set_hdr(in, x, side, RULE_BUF_HTTP_CONTENT_TYPE, "content-type");
    set_hdr(in, x, side, RULE_BUF_HTTP_CONTENT_LEN, "content-length");
    set_hdr(in, x, side, RULE_BUF_HTTP_CONNECTION, "connection");
    if (side) {
        set_hdr(in, x, side, RULE_BUF_HTTP_SERVER, "server");
        set_hdr(in, x, side, RULE_BUF_HTTP_LOCATION, "location");
    }
}

static void req_headers(struct det_insp *in, struct det_http *x)
{
    set_hdr(in, x, 0, RULE_BUF_HTTP_USER_AGENT, "user-agent");
    set_hdr(in, x, 0, RULE_BUF_HTTP_REFERER, "referer");
    set_hdr(in, x, 0, RULE_BUF_HTTP_ACCEPT, "accept");
    set_hdr(in, x, 0, RULE_BUF_HTTP_ACCEPT_ENC, "accept-encoding");
    set_hdr(in, x, 0, RULE_BUF_HTTP_ACCEPT_LANG, "accept-language");
    const struct detect_http_hdr *h = hdr_find(x, 0, "host");
    if (h) {
        set_buf(in, RULE_BUF_HTTP_HOST_RAW, h->value, h->vlen);
        uint8_t *o = arena_take(x, h->vlen + 1);
        if (o)
            set_buf(in, RULE_BUF_HTTP_HOST, o, detect_http_host_normalize(h->value, h->vlen, o));
    }
}

/* Fill in's buffers for stage from the captures.  At REQ_BODY file.data is
 * the request body and at RESP_BODY the response body, set together: the
 * prefilter scans one database for both (engine.c, fp_slot). */
static void http_buffers(struct det_insp *in, struct det_http *x, enum detect_http_stage stage)
{
    int resp = stage >= DETECT_HTTP_RESP_HEADERS;
    const struct detect_http_cap *req = x->cap[0], *rsp = x->cap[1];
    if (req) {
        req_line(in, x, req);
        req_headers(in, x);
        if (!resp)
            side_headers(in, x, 0);
        if ((stage == DETECT_HTTP_REQ_BODY || resp) && req->body_len)
            set_buf(in, RULE_BUF_HTTP_REQUEST_BODY, req->body, req->body_len);
        if (stage == DETECT_HTTP_REQ_BODY && req->body_len)
            set_buf(in, RULE_BUF_FILE_DATA, req->body, req->body_len);
    }
    if (resp && rsp) {
        resp_line(in, rsp);
        side_headers(in, x, 1);
        if (stage == DETECT_HTTP_RESP_BODY && rsp->body_len) {
            set_buf(in, RULE_BUF_HTTP_RESPONSE_BODY, rsp->body, rsp->body_len);
            set_buf(in, RULE_BUF_FILE_DATA, rsp->body, rsp->body_len);
        }
    }
}

/* ---- rule placement ------------------------------------------------------------- */

static int buf_resp_only(unsigned b)
{
    return b == RULE_BUF_HTTP_STAT_CODE || b == RULE_BUF_HTTP_STAT_MSG ||
           b == RULE_BUF_HTTP_RESPONSE_BODY || b == RULE_BUF_HTTP_SERVER ||
           b == RULE_BUF_HTTP_LOCATION || b == RULE_BUF_HTTP_RESPONSE_LINE ||
           b == RULE_BUF_HTTP_RESPONSE_HEADER;
}

uint8_t det_http_stage_of(const struct rule *r)
{
    int resp = (r->flow & RULE_FLOW_TO_CLIENT) != 0, body = 0, file = 0;
    for (uint32_t b = 0; b < r->n_bufs; b++) {
        unsigned id = r->bufs[b].buffer;
        if (!r->bufs[b].n && !r->bufs[b].n_xforms)
            continue;
        if (buf_resp_only(id))
            resp = 1;
        if (id == RULE_BUF_HTTP_REQUEST_BODY || id == RULE_BUF_HTTP_RESPONSE_BODY)
            body = 1;
        if (id == RULE_BUF_FILE_DATA)
            file = 1;
    }
    if (file && !(r->flow & RULE_FLOW_TO_SERVER))
        resp = 1; /* file.data without a direction: the response's body */
    if (resp)
        return body || file ? DETECT_HTTP_RESP_BODY : DETECT_HTTP_RESP_HEADERS;
    return body || file ? DETECT_HTTP_REQ_BODY : DETECT_HTTP_REQ_HEADERS;
}

int det_http_is_multi(unsigned b)
{
    return b == RULE_BUF_HTTP_REQUEST_HEADER || b == RULE_BUF_HTTP_RESPONSE_HEADER;
}

/* http.request_header / http.response_header: does any one header ("name: value") match? */
int det_http_match_multi(struct detect_engine *e, const struct rule_buflist *bl,
                         const struct det_insp *in)
{
    const struct det_http *x = in->http;
    int side = bl->buffer == RULE_BUF_HTTP_RESPONSE_HEADER;
    if (!x || !x->cap[side] || (side && in->stage < DETECT_HTTP_RESP_HEADERS) ||
        (!side && in->stage >= DETECT_HTTP_RESP_HEADERS))
        return 0;
    uint8_t one[1024];
    for (uint32_t i = 0; i < x->nh[side]; i++) {
        const struct detect_http_hdr *h = &x->h[side][i];
        if (h->nlen == 0)
            continue;
        size_t o = put(one, 0, sizeof(one), h->name, h->nlen);
        o = put(one, o, sizeof(one), ": ", 2);
        o = put(one, o, sizeof(one), h->value, h->vlen);
        int64_t saved[RULE_BYTE_VARS_MAX];
        memcpy(saved, e->m.vars, sizeof(saved));
        if (detect_match_list(&e->m, bl, one, (uint32_t)o))
            return 1;
        memcpy(e->m.vars, saved, sizeof(saved));
    }
    return 0;
}

/* ---- alerts ---------------------------------------------------------------------- */

static void af_str(struct alert_record *a, int f, struct rstr *dst, const struct det_insp *in,
                   unsigned b)
{
    if (!in->have[b])
        return;
    dst->p = (const char *)in->buf[b];
    dst->len = in->len[b];
    record_set_unset(&a->hdr, (size_t)f, false);
}

void det_http_alert_fields(struct alert_record *a, const struct det_insp *in)
{
    af_str(a, AF_HTTP_HOSTNAME, &a->http_hostname, in, RULE_BUF_HTTP_HOST);
    af_str(a, AF_HTTP_URL, &a->http_url, in, RULE_BUF_HTTP_URI_RAW);
    af_str(a, AF_HTTP_USER_AGENT, &a->http_user_agent, in, RULE_BUF_HTTP_USER_AGENT);
    af_str(a, AF_HTTP_METHOD, &a->http_method, in, RULE_BUF_HTTP_METHOD);
    af_str(a, AF_HTTP_PROTOCOL, &a->http_protocol, in, RULE_BUF_HTTP_PROTOCOL);
    if (in->have[RULE_BUF_HTTP_STAT_CODE]) {
        uint64_t v = 0;
        for (uint32_t i = 0; i < in->len[RULE_BUF_HTTP_STAT_CODE] && i < 3; i++)
            v = v * 10 + (uint64_t)(in->buf[RULE_BUF_HTTP_STAT_CODE][i] - '0');
        a->http_status = v;
        record_set_unset(&a->hdr, AF_HTTP_STATUS, false);
    }
    const struct det_http *x = in->http;
    if (in->stage == DETECT_HTTP_RESP_BODY && x && x->cap[1]) {
        a->http_length = x->cap[1]->body_total;
        record_set_unset(&a->hdr, AF_HTTP_LENGTH, false);
    }
}

/* ---- the hook -------------------------------------------------------------------- */

void detect_http_tx(const struct proto_conn *conn, enum detect_http_stage stage,
                    const struct detect_http_cap *req, const struct detect_http_cap *resp,
                    int64_t ts)
{
    struct detect_engine *e = det_current();
    if (!e || !conn || (!req && !resp))
        return;
    if (req && !req->on)
        req = NULL;
    if (resp && !resp->on)
        resp = NULL;
    int is_resp = stage >= DETECT_HTTP_RESP_HEADERS;
    if (is_resp ? !resp : !req)
        return;
    http_x.cap[0] = req;
    http_x.cap[1] = is_resp ? resp : NULL;
    http_x.ts = ts;
    size_t need = 64;
    for (int s = 0; s < 2; s++) {
        http_x.nh[s] = http_x.cap[s] ? detect_http_headers_split(http_x.cap[s]->hdrs, http_x.cap[s]->hdrs_len, http_x.h[s],
                                                       HDRS_MAX)
                           : 0;
        if (http_x.cap[s])
            need += 6 * ((size_t)http_x.cap[s]->hdrs_len + http_x.cap[s]->line_len) + 64;
    }
    if (need > http_x.size) {
        uint8_t *a = realloc(http_x.arena, need);
        if (!a)
            return;
        http_x.arena = a;
        http_x.size = need;
    }
    http_x.used = 0;
    struct det_insp in;
    det_tx_insp_init(&in, conn, RULE_PROTO_HTTP, !is_resp);
    in.http = &http_x;
    in.stage = (uint8_t)stage;
    in.ev_ts = ts;
    http_buffers(&in, &http_x, stage);
    e->ctr.records++;
    det_inspect(e, DG_HTTP, &in);
}
