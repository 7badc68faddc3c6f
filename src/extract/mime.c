/*
 * mime.c - the resumable MIME entity parser: e-mail messages (RFC 5322
 * headers, RFC 2045-2047 MIME) and multipart bodies (RFC 2046, RFC 7578
 * multipart/form-data), split into leaf entities whose decoded bodies go
 * to struct mime_ops (file extraction).
 *
 * Modelled on Zeek's MIME analyzer (src/analyzer/protocol/mime/MIME.cc),
 * which is what files.log's hashes are compared with: the input is cut
 * into lines at CRLF (a bare LF is data); a line that is a
 * delimiter of any enclosing multipart ends the entities inside it; a
 * multipart's preamble and epilogue are dropped; message/rfc822 bodies
 * are parsed as a nested message; leaf bodies are decoded per
 * Content-Transfer-Encoding - base64 (Zeek's Base64Converter: bad
 * characters skipped, a short last group padded), quoted-printable (soft
 * breaks, '=' without hex passed through, CRLF after every hard line) or
 * none (lines re-joined with CRLF; inside a multipart the CRLF before the
 * next delimiter is the delimiter's: Zeek's delay_adding_implicit_CRLF).
 * The parser's depth counts entities begun, as Zeek's mime_depth (files.log
 * depth for SMTP).
 *
 *                 ┌────────── delimiter of an enclosing multipart ─────────┐
 *                 ▼                                                         │
 *   HEADERS ──empty line──► multipart? ──► PREAMBLE ──"--b"──► child HEADERS
 *                           message/rfc822? ──► child HEADERS               │
 *                           else ──► LEAF BODY (decode, part_data) ─────────┘
 *                                    "--b--" ──► EPILOGUE (dropped)
 *
 * Caps: MIME_LINE_MAX per line (longer body lines pass through in pieces;
 * longer header or delimiter lines are cut), MIME_HDR_MAX per unfolded
 * header, MIME_HDRS_MAX headers per entity, MIME_DEPTH_MAX nested entities.
 * Every read of the input goes through a struct cursor.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/cursor.h"
#include "extract/mime.h"

static void mime_anomaly(struct mime_parser *m, const char *name)
{
    m->anomalies++;
    if (m->ops->anomaly)
        m->ops->anomaly(m->arg, name);
}

static struct mime_entity *mime_top(struct mime_parser *m)
{
    return m->n ? &m->st[m->n - 1] : NULL;
}

static bool mime_entity_push(struct mime_parser *m, bool parent_multipart)
{
    if (m->n >= MIME_DEPTH_MAX) {
        mime_anomaly(m, "MIME_depth_exceeded");
        return false;
    }
    struct mime_entity *e = &m->st[m->n++];
    memset(e, 0, sizeof(*e));
    e->in_headers = true;
    e->parent_multipart = parent_multipart;
    e->depth = ++m->depth;
    m->hdr_len = 0;
    m->hdr_pending = false;
    return true;
}

static void mime_deliver(struct mime_parser *m, struct mime_entity *e, const uint8_t *p, size_t n)
{
    if (n && e->h && m->ops->part_data)
        m->ops->part_data(m->arg, e->h, p, n);
}

static void mime_entity_pop(struct mime_parser *m, bool complete)
{
    struct mime_entity *e = mime_top(m);
    if (!e)
        return;
    if (e->started && e->cte == MIME_CTE_BASE64) {
        uint8_t out[3];
        size_t k = mime_b64_finish(e, out);
        if (k)
            mime_anomaly(m, "incomplete base64 group");
        mime_deliver(m, e, out, k);
    }
    if (e->started && m->ops->part_close)
        m->ops->part_close(m->arg, e->h, complete);
    free(e->filename);
    memset(e, 0, sizeof(*e));
    m->n--;
}

/* ---- headers ---- */

static void mime_set_filename(struct mime_entity *e, const char *v, size_t n)
{
    char name[1024];
    size_t k = mime_filename_extract(v, n, name, sizeof(name));
    free(e->filename);
    e->filename = malloc(k + 1);
    if (e->filename)
        memcpy(e->filename, name, k + 1);
}

static bool mime_contains_ci(const char *v, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (strncasecmp(v + i, needle, k) == 0)
            return true;
    return false;
}

/* Zeek's /[nN][aA][mM][eE][:blank:]*=/ */
static bool mime_has_name_eq(const char *v, size_t n)
{
    for (size_t i = 0; i + 4 <= n; i++) {
        if (strncasecmp(v + i, "name", 4) != 0)
            continue;
        size_t j = i + 4;
        while (j < n && (v[j] == ' ' || v[j] == '\t'))
            j++;
        if (j < n && v[j] == '=')
            return true;
    }
    return false;
}

static void mime_header_apply(struct mime_entity *e, const char *h, size_t n)
{
    const char *colon = memchr(h, ':', n);
    if (!colon)
        return;
    size_t nl = (size_t)(colon - h);
    while (nl > 0 && (h[nl - 1] == ' ' || h[nl - 1] == '\t'))
        nl--;
    const char *v = colon + 1;
    size_t vl = n - (size_t)(v - h);
    while (vl > 0 && (*v == ' ' || *v == '\t'))
        v++, vl--;
    if (nl == 12 && strncasecmp(h, "content-type", 12) == 0) {
        mime_type_get(v, vl, e->type, sizeof(e->type));
        char b[MIME_BOUNDARY_MAX + 2];
        if (mime_param_get(v, vl, "boundary", b, sizeof(b))) {
            e->boundary_len = strlen(b) > MIME_BOUNDARY_MAX ? MIME_BOUNDARY_MAX : strlen(b);
            memcpy(e->boundary, b, e->boundary_len);
            e->boundary[e->boundary_len] = '\0';
        }
        if (mime_has_name_eq(v, vl))
            mime_set_filename(e, v, vl);
    } else if (nl == 19 && strncasecmp(h, "content-disposition", 19) == 0) {
        if (mime_contains_ci(v, vl, "filename"))
            mime_set_filename(e, v, vl);
    } else if (nl == 13 && strncasecmp(h, "content-range", 13) == 0) {
        size_t k = vl < MIME_RANGE_MAX - 1 ? vl : MIME_RANGE_MAX - 1;
        memcpy(e->range, v, k);
        e->range[k] = '\0';
    } else if (nl == 25 && strncasecmp(h, "content-transfer-encoding", 25) == 0) {
        char t[64];
        mime_type_get(v, vl, t, sizeof(t));
        if (strcmp(t, "base64") == 0)
            e->cte = MIME_CTE_BASE64;
        else if (strcmp(t, "quoted-printable") == 0)
            e->cte = MIME_CTE_QP;
    }
}

static void mime_header_flush(struct mime_parser *m, struct mime_entity *e)
{
    if (!m->hdr_pending)
        return;
    m->hdr_pending = false;
    if (++e->n_hdrs > MIME_HDRS_MAX) {
        if (e->n_hdrs == MIME_HDRS_MAX + 1)
            mime_anomaly(m, "MIME_too_many_headers");
        return;
    }
    mime_header_apply(e, (const char *)m->hdr, m->hdr_len);
    m->hdr_len = 0;
}

static void mime_headers_end(struct mime_parser *m, struct mime_entity *e)
{
    e->in_headers = false;
    if (strncmp(e->type, "multipart/", 10) == 0 && e->boundary_len > 0) {
        e->multipart = true;
        return;
    }
    if (strncmp(e->type, "multipart/", 10) == 0)
        mime_anomaly(m, "MIME_multipart_no_boundary");
    if (strcmp(e->type, "message/rfc822") == 0) { /* a nested message: its own headers */
        if (mime_entity_push(m, false))
            return;
    }
    e->started = true;
    struct mime_part part = {
        .depth = e->depth,
        .content_type = e->type,
        .filename = e->filename,
        .level = (unsigned)(e - m->st),
        .content_range = e->range[0] ? e->range : NULL,
    };
    e->h = m->ops->part_open ? m->ops->part_open(m->arg, &part) : NULL;
}

static void mime_header_line(struct mime_parser *m, struct mime_entity *e, const uint8_t *p,
                             size_t n)
{
    if (n == 0) {
        mime_header_flush(m, e);
        mime_headers_end(m, e);
        return;
    }
    if ((p[0] == ' ' || p[0] == '\t') && m->hdr_pending) { /* folded: unfold */
        size_t k = MIME_HDR_MAX - m->hdr_len;
        memcpy(m->hdr + m->hdr_len, p, n < k ? n : k);
        m->hdr_len += n < k ? n : k;
        return;
    }
    mime_header_flush(m, e);
    size_t k = n < MIME_HDR_MAX ? n : MIME_HDR_MAX;
    memcpy(m->hdr, p, k);
    m->hdr_len = k;
    m->hdr_pending = true;
}

/* ---- bodies ---- */

static void mime_leaf_line(struct mime_parser *m, struct mime_entity *e, const uint8_t *p,
                           size_t n, bool eol)
{
    static const uint8_t crlf[2] = {'\r', '\n'};
    uint8_t out[MIME_LINE_MAX + 8];
    uint64_t bad = 0;
    switch (e->cte) {
    case MIME_CTE_BASE64: {
        size_t k = mime_b64_decode(e, p, n, out, &bad);
        mime_deliver(m, e, out, k);
        break;
    }
    case MIME_CTE_QP: {
        bool soft;
        size_t k = mime_qp_decode_line(p, n, out, &soft, &bad);
        if (!eol && !soft)
            k -= 2; /* a piece of a long line: its CRLF comes with the line's end */
        mime_deliver(m, e, out, k);
        break;
    }
    default:
        if (e->delay_crlf) {
            e->delay_crlf = false;
            mime_deliver(m, e, crlf, 2);
        }
        mime_deliver(m, e, p, n);
        if (eol) {
            if (e->parent_multipart)
                e->delay_crlf = true;
            else
                mime_deliver(m, e, crlf, 2);
        }
        break;
    }
    if (bad)
        mime_anomaly(m, e->cte == MIME_CTE_BASE64 ? "base64_illegal_encoding"
                                                  : "qp_illegal_encoding");
}

/* A line that begins a delimiter of an enclosing multipart: true when handled. */
static bool mime_boundary_line(struct mime_parser *m, const uint8_t *p, size_t n)
{
    if (n < 2 || p[0] != '-' || p[1] != '-')
        return false;
    for (unsigned i = m->n; i-- > 0;) {
        struct mime_entity *e = &m->st[i];
        if (!e->multipart || e->in_headers)
            continue;
        int k = mime_boundary_match(p, n, e->boundary, e->boundary_len);
        if (k == 0)
            continue;
        while (m->n > i + 1)
            mime_entity_pop(m, true);
        if (k == 2) {
            e->ended = true;
            e->in_part = false;
        } else if (!e->ended) {
            e->in_part = true;
            mime_entity_push(m, true);
        }
        return true;
    }
    return false;
}

/* One line (eol: it ended with LF; cont: its beginning went out already). */
static void mime_line(struct mime_parser *m, const uint8_t *p, size_t n, bool eol, bool cont)
{
    if (!cont && mime_boundary_line(m, p, n))
        return;
    struct mime_entity *e = mime_top(m);
    if (!e)
        return; /* after the top entity ended */
    if (e->in_headers) {
        if (!cont)
            mime_header_line(m, e, p, n);
        return;
    }
    if (e->multipart)
        return; /* preamble, epilogue */
    mime_leaf_line(m, e, p, n, eol);
}

static bool mime_in_leaf_body(struct mime_parser *m)
{
    struct mime_entity *e = mime_top(m);
    return e && !e->in_headers && !e->multipart;
}

void mime_parser_init(struct mime_parser *m, const struct mime_ops *ops, void *arg)
{
    memset(m, 0, sizeof(*m));
    m->ops = ops;
    m->arg = arg;
    mime_entity_push(m, false);
}

void mime_parser_init_multipart(struct mime_parser *m, const struct mime_ops *ops, void *arg,
                                const char *boundary, size_t blen)
{
    mime_parser_init(m, ops, arg);
    struct mime_entity *e = mime_top(m);
    e->in_headers = false;
    e->multipart = true;
    snprintf(e->type, sizeof(e->type), "multipart/form-data");
    e->boundary_len = blen > MIME_BOUNDARY_MAX ? MIME_BOUNDARY_MAX : blen;
    memcpy(e->boundary, boundary, e->boundary_len);
    e->boundary[e->boundary_len] = '\0';
}

/* Append bytes of the current line; pass a full buffer on as a piece when in a body. */
static void mime_line_append(struct mime_parser *m, const uint8_t *p, size_t n)
{
    while (n > 0) {
        size_t room = MIME_LINE_MAX - m->line_len;
        if (room == 0) {
            if (mime_in_leaf_body(m) && !m->line_over) {
                mime_line(m, m->line, m->line_len, false, m->line_cont);
                m->line_cont = true;
                m->line_len = 0;
                continue;
            }
            m->line_over = true; /* a header or delimiter line: the rest is dropped */
            return;
        }
        size_t k = n < room ? n : room;
        memcpy(m->line + m->line_len, p, k);
        m->line_len += k;
        p += k;
        n -= k;
    }
}

void mime_parser_feed(struct mime_parser *m, const uint8_t *p, size_t n)
{
    struct cursor c;
    cursor_init(&c, p, n);
    while (cursor_left(&c) > 0) {
        const uint8_t *lf = memchr(c.p, '\n', cursor_left(&c));
        size_t k = lf ? (size_t)(lf - c.p) : cursor_left(&c);
        const uint8_t *seg = c.p;
        cursor_skip(&c, k);
        mime_line_append(m, seg, k);
        if (!lf)
            break;
        cursor_skip(&c, 1);
        size_t len = m->line_len;
        if (len == 0 || m->line[len - 1] != '\r') { /* a bare LF is data, as in Zeek */
            mime_line_append(m, lf, 1);
            continue;
        }
        mime_line(m, m->line, len - 1, true, m->line_cont);
        m->line_len = 0;
        m->line_cont = m->line_over = false;
    }
}

void mime_parser_gap(struct mime_parser *m, uint64_t n)
{
    struct mime_entity *e = mime_top(m);
    if (mime_in_leaf_body(m)) {
        if (m->line_len)
            mime_line(m, m->line, m->line_len, false, m->line_cont);
        if (e->h && m->ops->part_gap)
            m->ops->part_gap(m->arg, e->h, n);
    }
    m->line_len = 0;
    m->line_cont = true; /* the bytes after a gap are not known to begin a line */
    m->line_over = false;
}

void mime_parser_end(struct mime_parser *m, bool complete)
{
    if (m->line_len > 0) {
        size_t len = m->line_len;
        if (m->line[len - 1] == '\r')
            len--;
        mime_line(m, m->line, len, false, m->line_cont);
    }
    m->line_len = 0;
    struct mime_entity *e = mime_top(m);
    if (e && e->in_headers && m->hdr_pending)
        mime_header_flush(m, e);
    while (m->n > 0)
        mime_entity_pop(m, complete);
}
