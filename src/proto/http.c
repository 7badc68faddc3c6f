/*
 * http.c - the HTTP/1.x parser ("http") and http.log.
 *
 * This file owns the parser descriptor (probe, state, parse, gap, eof,
 * free), the transactions and the http.log record.  Message framing is in
 * http_parse.c, bodies in http_body.c, content typing in http_mime.c; the
 * shared types are in http.h.
 *
 * Specs: RFC 9112 (HTTP/1.1 messages), RFC 9110 (semantics), RFC 7617
 * (Basic authentication).  Log: Zeek 8's http.log as written by
 * base/protocols/http/main.zeek, plus community_id at the end; the pairing
 * of requests and replies is the script's: a table of pending transactions
 * indexed by current_request / current_response, trans_depth counted per
 * session, a reply without a request gets a row of its own, a 1xx reply
 * stays with its request (info_code/info_msg), a row is written when its
 * reply message ends and at session end for whatever is still pending.
 *
 *   request line ──► txn[++cur_req] (ts, method, uri)      headers ──► host, referrer, ...
 *   status line  ──► txn[cur_resp or ++cur_resp] (status, version)
 *   reply done   ──► response_body_len, write row, drop    session end ──► write the rest
 *
 * uri is the URI with %-escapes decoded (Zeek logs unescaped_URI), with
 * Zeek's weirds for bad escapes.  Strings are capped at HTTP_FIELD_MAX
 * bytes; the pending table at HTTP_PENDING_MAX (Zeek's
 * HTTP::max_pending_requests, weird "HTTP_excessive_pipelining").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/hex.h"
#include "core/cursor.h"
#include "proto/http.h"

/* ---- http.log ---- */

struct http_record {
    struct record_hdr hdr;
    int64_t ts;
    struct rstr uid;
    struct raddr orig_h;
    uint64_t orig_p;
    struct raddr resp_h;
    uint64_t resp_p;
    uint64_t trans_depth;
    struct rstr method, host, uri, referrer, version, user_agent, origin;
    uint64_t request_body_len, response_body_len, status_code;
    struct rstr status_msg;
    uint64_t info_code;
    struct rstr info_msg;
    struct rstrvec tags;
    struct rstr username, password;
    struct rstrvec proxied;
    struct rstrvec orig_fuids, orig_filenames, orig_mime_types;
    struct rstrvec resp_fuids, resp_filenames, resp_mime_types;
    struct rstr community_id;
};

enum http_field {
    HF_TS, HF_UID, HF_ORIG_H, HF_ORIG_P, HF_RESP_H, HF_RESP_P, HF_TRANS_DEPTH, HF_METHOD,
    HF_HOST, HF_URI, HF_REFERRER, HF_VERSION, HF_USER_AGENT, HF_ORIGIN, HF_REQ_LEN,
    HF_RESP_LEN, HF_STATUS_CODE, HF_STATUS_MSG, HF_INFO_CODE, HF_INFO_MSG, HF_TAGS,
    HF_USERNAME, HF_PASSWORD, HF_PROXIED, HF_ORIG_FUIDS, HF_ORIG_FILENAMES, HF_ORIG_MIMES,
    HF_RESP_FUIDS, HF_RESP_FILENAMES, HF_RESP_MIMES, HF_COMMUNITY_ID, HF_N
};

#define F(name, type, member) {name, type, offsetof(struct http_record, member)}

static const struct record_field http_fields[HF_N] = {
    F("ts", RT_TIME, ts),
    F("uid", RT_STRING, uid),
    F("id.orig_h", RT_ADDR, orig_h),
    F("id.orig_p", RT_PORT, orig_p),
    F("id.resp_h", RT_ADDR, resp_h),
    F("id.resp_p", RT_PORT, resp_p),
    F("trans_depth", RT_COUNT, trans_depth),
    F("method", RT_STRING, method),
    F("host", RT_STRING, host),
    F("uri", RT_STRING, uri),
    F("referrer", RT_STRING, referrer),
    F("version", RT_STRING, version),
    F("user_agent", RT_STRING, user_agent),
    F("origin", RT_STRING, origin),
    F("request_body_len", RT_COUNT, request_body_len),
    F("response_body_len", RT_COUNT, response_body_len),
    F("status_code", RT_COUNT, status_code),
    F("status_msg", RT_STRING, status_msg),
    F("info_code", RT_COUNT, info_code),
    F("info_msg", RT_STRING, info_msg),
    F("tags", RT_SET_STRING, tags), /* Zeek: set[enum], always empty */
    F("username", RT_STRING, username),
    F("password", RT_STRING, password),
    F("proxied", RT_SET_STRING, proxied),
    F("orig_fuids", RT_VEC_STRING, orig_fuids),
    F("orig_filenames", RT_VEC_STRING, orig_filenames),
    F("orig_mime_types", RT_VEC_STRING, orig_mime_types),
    F("resp_fuids", RT_VEC_STRING, resp_fuids),
    F("resp_filenames", RT_VEC_STRING, resp_filenames),
    F("resp_mime_types", RT_VEC_STRING, resp_mime_types),
    F("community_id", RT_STRING, community_id),
};

const struct record_type http_record_type = {
    .path = "http",
    .fields = http_fields,
    .n_fields = HF_N,
    .size = sizeof(struct http_record),
};

static bool http_capture_password;

void http_config_capture_password(bool on)
{
    http_capture_password = on;
}

/* ---- small strings ---- */

void hstr_set(struct hstr *h, const void *p, size_t n)
{
    if (n > HTTP_FIELD_MAX)
        n = HTTP_FIELD_MAX;
    char *q = malloc(n + 1);
    if (!q)
        return;
    if (n)
        memcpy(q, p, n);
    q[n] = 0;
    free(h->p);
    h->p = q;
    h->len = n;
    h->set = true;
}

void hstr_free(struct hstr *h)
{
    free(h->p);
    h->p = NULL;
    h->len = 0;
    h->set = false;
}

static void http_rstr(struct http_record *r, size_t field, struct rstr *dst, const struct hstr *h)
{
    if (!h->set)
        return;
    dst->p = h->p;
    dst->len = h->len;
    record_set_unset(&r->hdr, field, false);
}

void http_weird(struct http_state *s, const char *name, const char *addl, int64_t ts)
{
    proto_weird(s->ctx, name, addl, ts ? ts : s->last_ts);
}

/* ---- transactions ---- */

static void http_txn_free(struct http_txn *t)
{
    struct hstr *all[] = {&t->method, &t->host, &t->uri, &t->referrer, &t->version,
                          &t->user_agent, &t->origin, &t->status_msg, &t->info_msg,
                          &t->username, &t->password};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        hstr_free(all[i]);
    for (size_t i = 0; i < t->n_proxied; i++)
        hstr_free(&t->proxied[i]);
    for (int d = 0; d < 2; d++) {
        for (size_t i = 0; i < t->n_mimes[d]; i++)
            hstr_free(&t->mimes[d][i]);
        for (size_t i = 0; i < t->n_fuids[d]; i++)
            hstr_free(&t->fuids[d][i]);
        for (size_t i = 0; i < t->n_filenames[d]; i++)
            hstr_free(&t->filenames[d][i]);
    }
    if (t->dreq) {
        detect_http_cap_free(t->dreq);
        free(t->dreq);
    }
    free(t);
}

static struct http_txn *http_txn_find(struct http_state *s, uint64_t key)
{
    for (size_t i = 0; i < s->n_pending; i++)
        if (s->pending[i]->key == key)
            return s->pending[i];
    return NULL;
}

/* The pending transaction key, created (Zeek's new_http_session) when missing. */
struct http_txn *http_txn_get(struct http_state *s, uint64_t key, int64_t ts)
{
    struct http_txn *t = http_txn_find(s, key);
    if (t)
        return t;
    if (s->n_pending == HTTP_PENDING_MAX + 2) /* hard cap: write out the oldest */
        http_txn_emit(s, s->pending[0]);
    t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->key = key;
    t->ts = ts;
    t->trans_depth = ++s->depth;
    s->pending[s->n_pending++] = t;
    return t;
}

void http_txn_drop(struct http_state *s, uint64_t key)
{
    for (size_t i = 0; i < s->n_pending; i++) {
        if (s->pending[i]->key != key)
            continue;
        http_txn_free(s->pending[i]);
        memmove(&s->pending[i], &s->pending[i + 1], (s->n_pending - i - 1) * sizeof(s->pending[0]));
        s->n_pending--;
        return;
    }
}

static void http_vec(struct http_record *r, size_t field, struct rstrvec *dst, struct rstr *buf,
                     const struct hstr *src, size_t n)
{
    if (n == 0)
        return;
    for (size_t i = 0; i < n; i++) {
        buf[i].p = src[i].p;
        buf[i].len = src[i].len;
    }
    dst->v = buf;
    dst->n = n;
    record_set_unset(&r->hdr, field, false);
}

static void http_record_build(struct http_state *s, const struct http_txn *t, struct http_record *r)
{
    memset(r, 0, sizeof(*r));
    r->hdr.type = &http_record_type;
    for (size_t i = 0; i < HF_N; i++)
        record_set_unset(&r->hdr, i, i > HF_RESP_P);
    const struct proto_conn *c = proto_conn(s->ctx);
    struct proto_id id;
    proto_fill_id(s->ctx, &id);
    r->ts = t->ts;
    r->uid.p = c->uid ? c->uid : "";
    r->uid.len = strlen(r->uid.p);
    r->orig_h = id.orig_h;
    r->orig_p = id.orig_p;
    r->resp_h = id.resp_h;
    r->resp_p = id.resp_p;
    r->trans_depth = t->trans_depth;
    r->request_body_len = t->req_body_len;
    r->response_body_len = t->resp_body_len;
    r->status_code = t->status_code;
    r->info_code = t->info_code;
    static const size_t always[] = {HF_TRANS_DEPTH, HF_REQ_LEN, HF_RESP_LEN, HF_TAGS};
    for (size_t i = 0; i < sizeof(always) / sizeof(always[0]); i++)
        record_set_unset(&r->hdr, always[i], false);
    record_set_unset(&r->hdr, HF_STATUS_CODE, !t->has_status);
    record_set_unset(&r->hdr, HF_INFO_CODE, !t->has_info);
    http_rstr(r, HF_METHOD, &r->method, &t->method);
    http_rstr(r, HF_HOST, &r->host, &t->host);
    http_rstr(r, HF_URI, &r->uri, &t->uri);
    http_rstr(r, HF_REFERRER, &r->referrer, &t->referrer);
    http_rstr(r, HF_VERSION, &r->version, &t->version);
    http_rstr(r, HF_USER_AGENT, &r->user_agent, &t->user_agent);
    http_rstr(r, HF_ORIGIN, &r->origin, &t->origin);
    http_rstr(r, HF_STATUS_MSG, &r->status_msg, &t->status_msg);
    http_rstr(r, HF_INFO_MSG, &r->info_msg, &t->info_msg);
    http_rstr(r, HF_USERNAME, &r->username, &t->username);
    http_rstr(r, HF_PASSWORD, &r->password, &t->password);
    if (c->community_id) {
        r->community_id.p = c->community_id;
        r->community_id.len = strlen(c->community_id);
        record_set_unset(&r->hdr, HF_COMMUNITY_ID, false);
    }
}

/* Write t to http.log and drop it. */
void http_txn_emit(struct http_state *s, struct http_txn *t)
{
    struct http_record r;
    struct rstr prox[HTTP_PROXIED_MAX], mimes[2][HTTP_MIMES_MAX], fuids[2][HTTP_MIMES_MAX];
    struct rstr names[2][HTTP_MIMES_MAX];
    http_record_build(s, t, &r);
    http_vec(&r, HF_PROXIED, &r.proxied, prox, t->proxied, t->n_proxied);
    http_vec(&r, HF_ORIG_MIMES, &r.orig_mime_types, mimes[0], t->mimes[0], t->n_mimes[0]);
    http_vec(&r, HF_RESP_MIMES, &r.resp_mime_types, mimes[1], t->mimes[1], t->n_mimes[1]);
    http_vec(&r, HF_ORIG_FUIDS, &r.orig_fuids, fuids[0], t->fuids[0], t->n_fuids[0]);
    http_vec(&r, HF_RESP_FUIDS, &r.resp_fuids, fuids[1], t->fuids[1], t->n_fuids[1]);
    http_vec(&r, HF_ORIG_FILENAMES, &r.orig_filenames, names[0], t->filenames[0],
             t->n_filenames[0]);
    http_vec(&r, HF_RESP_FILENAMES, &r.resp_filenames, names[1], t->filenames[1],
             t->n_filenames[1]);
    proto_emit(s->ctx, &r.hdr);
    http_txn_drop(s, t->key);
}

/* ---- URI unescaping (Zeek's unescape_URI, with its weirds) ---- */

/* Decode one %-escape at c (just past the '%') into out; returns bytes written. */
static size_t http_unescape_one(struct http_state *s, struct cursor *c, uint8_t *out, int64_t ts)
{
    uint8_t a = 0, b = 0, u[5];
    if (cursor_left(c) == 0) {
        http_weird(s, "illegal_%_at_end_of_URI", NULL, ts);
        out[0] = '%';
        return 1;
    }
    if (cursor_left(c) == 1) {
        cursor_u8(c, &a);
        http_weird(s, "partial_escape_at_end_of_URI", NULL, ts);
        out[0] = '%';
        out[1] = a;
        return 2;
    }
    cursor_peek_u8(c, 0, &a);
    cursor_peek_u8(c, 1, &b);
    if (a == '%') {
        http_weird(s, "double_%_in_URI", NULL, ts);
        return 0; /* the first '%' is dropped; the second starts a new escape */
    }
    if (core_hexval(a) >= 0 && core_hexval(b) >= 0) {
        cursor_skip(c, 2);
        out[0] = (uint8_t)(core_hexval(a) << 4 | core_hexval(b));
        return 1;
    }
    if (cursor_has(c, 5) && c->p[0] == 'u') {
        memcpy(u, c->p, 5);
        if (core_hexval(u[1]) >= 0 && core_hexval(u[2]) >= 0 && core_hexval(u[3]) >= 0 &&
            core_hexval(u[4]) >= 0) {
            size_t k = 0;
            cursor_skip(c, 5);
            if (!(u[1] == '0' && u[2] == '0'))
                out[k++] = (uint8_t)(core_hexval(u[1]) << 4 | core_hexval(u[2]));
            out[k++] = (uint8_t)(core_hexval(u[3]) << 4 | core_hexval(u[4]));
            return k;
        }
    }
    http_weird(s, "unescaped_%_in_URI", NULL, ts);
    cursor_skip(c, 1);
    out[0] = '%';
    out[1] = a;
    return 2;
}

static void http_uri_set(struct http_state *s, struct hstr *dst, const uint8_t *p, size_t n,
                         int64_t ts)
{
    if (n > HTTP_FIELD_MAX)
        n = HTTP_FIELD_MAX;
    uint8_t *out = malloc(n + 1);
    if (!out)
        return;
    size_t k = 0;
    struct cursor c;
    uint8_t b;
    cursor_init(&c, p, n);
    while (cursor_u8(&c, &b) == 0) {
        if (b != '%') {
            out[k++] = b;
            continue;
        }
        k += http_unescape_one(s, &c, out + k, ts);
    }
    hstr_set(dst, out, k);
    free(out);
}

/* ---- events from the framing layer ---- */

static const char *const http_known_methods[] = {
    "GET", "POST", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE", "CONNECT", "PROPFIND",
    "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "POLL", "REPORT", "SUBSCRIBE",
    "BMOVE", "SEARCH", NULL,
};

static bool http_method_known(const uint8_t *m, size_t n)
{
    for (size_t i = 0; http_known_methods[i]; i++)
        if (strlen(http_known_methods[i]) == n && memcmp(http_known_methods[i], m, n) == 0)
            return true;
    return false;
}

void http_on_request(struct http_state *s, const uint8_t *method, size_t mlen, const uint8_t *uri,
                     size_t ulen, int64_t ts)
{
    if (s->cur_req < s->cur_resp) {
        http_weird(s, "HTTP_response_before_request", NULL, ts);
        s->cur_req = s->cur_resp;
    }
    if (s->n_pending > HTTP_PENDING_MAX) {
        http_weird(s, "HTTP_excessive_pipelining", NULL, ts);
        if (s->cur_resp == 0)
            s->cur_resp++;
        for (; s->cur_resp < s->cur_req; s->cur_resp++) {
            struct http_txn *old = http_txn_find(s, s->cur_resp);
            if (old)
                http_txn_emit(s, old);
        }
    }
    s->cur_req++;
    struct http_txn *t = http_txn_get(s, s->cur_req, ts);
    if (!t)
        return;
    hstr_set(&t->method, method, mlen);
    http_uri_set(s, &t->uri, uri, ulen, ts);
    if (!http_method_known(method, mlen)) {
        char addl[64];
        snprintf(addl, sizeof(addl), "%.*s", (int)(mlen < 63 ? mlen : 63), (const char *)method);
        http_weird(s, "unknown_HTTP_method", addl, ts);
    }
}

void http_on_reply(struct http_state *s, int64_t ts)
{
    struct http_txn *cur = http_txn_find(s, s->cur_resp);
    if (!cur || (cur->has_status && !(cur->status_code >= 100 && cur->status_code <= 199)))
        s->cur_resp++;
    struct http_txn *t = http_txn_get(s, s->cur_resp, ts);
    if (!t)
        return;
    char v[32];
    int ver = s->resp_version < 0 || s->resp_version > 99 ? 0 : s->resp_version;
    snprintf(v, sizeof(v), "%d.%d", ver / 10, ver % 10);
    hstr_set(&t->version, v, strlen(v));
    t->status_code = s->reply_code;
    t->has_status = true;
    if (s->reason_set)
        hstr_set(&t->status_msg, s->reason.p, s->reason.len);
    else
        hstr_set(&t->status_msg, "<empty>", 7);
    if (s->reply_code >= 100 && s->reply_code <= 199) {
        t->info_code = s->reply_code;
        t->has_info = true;
        hstr_set(&t->info_msg, t->status_msg.p, t->status_msg.len);
    }
}

static bool http_name_is(const uint8_t *name, size_t n, const char *want)
{
    return strlen(want) == n && strncasecmp((const char *)name, want, n) == 0;
}

/* The first token of a header value (Zeek's get_value_token), case-insensitively. */
static bool http_token_is(const uint8_t *v, size_t n, const char *want)
{
    size_t k = 0;
    while (k < n && v[k] != ',' && v[k] != ';' && v[k] != ' ' && v[k] != '\t')
        k++;
    return http_name_is(v, k, want);
}

static size_t http_b64_decode(const uint8_t *in, size_t n, uint8_t *out)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    uint32_t acc = 0;
    int bits = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const char *q = in[i] ? strchr(tab, in[i]) : NULL;
        if (!q)
            continue; /* '=' padding and stray bytes are skipped */
        acc = acc << 6 | (uint32_t)(q - tab);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[k++] = (uint8_t)(acc >> bits);
        }
    }
    return k;
}

/* Authorization: Basic <base64 user:pass> (main.zeek's rules). */
static void http_basic_auth(struct http_txn *t, const uint8_t *v, size_t n)
{
    if (n < 6 || strncasecmp((const char *)v, "basic ", 6) != 0)
        return;
    size_t i = 5;
    while (i < n && (v[i] == ' ' || v[i] == '\t'))
        i++;
    uint8_t dec[HTTP_FIELD_MAX];
    size_t in = n - i > (HTTP_FIELD_MAX / 4) * 3 ? (HTTP_FIELD_MAX / 4) * 3 : n - i;
    size_t k = http_b64_decode(v + i, in, dec);
    const uint8_t *colon = memchr(dec, ':', k);
    if (colon) {
        hstr_set(&t->username, dec, (size_t)(colon - dec));
        if (http_capture_password)
            hstr_set(&t->password, colon + 1, k - (size_t)(colon - dec) - 1);
        return;
    }
    char buf[HTTP_FIELD_MAX];
    int w = snprintf(buf, sizeof(buf), "<problem-decoding> (%.*s)", (int)(n < 4096 ? n : 4096),
                     (const char *)v);
    if (w > 0)
        hstr_set(&t->username, buf, (size_t)w < sizeof(buf) ? (size_t)w : sizeof(buf) - 1);
    if (http_capture_password)
        hstr_set(&t->password, dec, k);
}

static const char *const http_proxy_headers[] = {
    "FORWARDED", "X-FORWARDED-FOR", "X-FORWARDED-FROM", "CLIENT-IP", "VIA", "XROXY-CONNECTION",
    "PROXY-CONNECTION", NULL,
};

static void http_client_header(struct http_txn *t, const uint8_t *name, size_t nlen,
                               const uint8_t *v, size_t vlen)
{
    if (http_name_is(name, nlen, "referer"))
        hstr_set(&t->referrer, v, vlen);
    else if (http_name_is(name, nlen, "host"))
        hstr_set(&t->host, v, vlen);
    else if (http_name_is(name, nlen, "origin"))
        hstr_set(&t->origin, v, vlen);
    else if (http_name_is(name, nlen, "user-agent"))
        hstr_set(&t->user_agent, v, vlen);
    else if (http_name_is(name, nlen, "authorization") ||
             http_name_is(name, nlen, "proxy-authorization"))
        http_basic_auth(t, v, vlen);
    for (size_t i = 0; http_proxy_headers[i]; i++) {
        if (!http_name_is(name, nlen, http_proxy_headers[i]) || t->n_proxied >= HTTP_PROXIED_MAX)
            continue;
        char buf[HTTP_FIELD_MAX];
        int w = snprintf(buf, sizeof(buf), "%s -> %.*s", http_proxy_headers[i],
                         (int)(vlen < 8000 ? vlen : 8000), (const char *)v);
        for (size_t j = 0; j < t->n_proxied; j++) /* a set: no duplicates */
            if (w > 0 && t->proxied[j].len == (size_t)w && memcmp(t->proxied[j].p, buf, w) == 0)
                w = -1;
        if (w > 0)
            hstr_set(&t->proxied[t->n_proxied++], buf, (size_t)w);
    }
}

/* Content-Range of a 206 (Zeek: the range's length stands in for Content-Length). */
static void http_content_range(struct http_state *s, struct http_msg *m, const uint8_t *v,
                               size_t n, int64_t ts)
{
    char buf[128];
    unsigned long long a, b;
    snprintf(buf, sizeof(buf), "%.*s", (int)(n < 127 ? n : 127), (const char *)v);
    if (sscanf(buf, "bytes %llu - %llu", &a, &b) != 2 || b < a) {
        http_weird(s, "HTTP_content_range_cannot_parse", NULL, ts);
        return;
    }
    int64_t len = (int64_t)(b - a + 1);
    if (len <= 0)
        return;
    if (m->content_length > 0 && m->content_length != len) {
        http_weird(s, "HTTP_range_not_matching_len", NULL, ts);
        if (len > m->content_length)
            m->content_length = len;
    } else if (m->content_length <= 0) {
        m->content_length = len;
    }
}

/* Headers that shape the message itself (Zeek's HTTP_Entity::SubmitHeader). */
static void http_entity_header(struct http_state *s, struct http_msg *m, const uint8_t *name,
                               size_t nlen, const uint8_t *v, size_t vlen, int64_t ts)
{
    if (http_name_is(name, nlen, "content-length")) {
        int64_t len = 0;
        size_t i = 0, digits = 0;
        while (i < vlen && v[i] >= '0' && v[i] <= '9' && len < (INT64_MAX - 9) / 10) {
            len = len * 10 + (v[i++] - '0');
            digits++;
        }
        m->content_length = digits ? len : 0;
    } else if (http_name_is(name, nlen, "content-range") && m->dir == PROTO_RESP &&
               s->reply_code == 206) {
        http_content_range(s, m, v, vlen, ts);
        hstr_set(&m->crange, v, vlen);
    } else if (http_name_is(name, nlen, "transfer-encoding")) {
        if (http_token_is(v, vlen, "chunked"))
            m->chunked_hdr = true;
    } else if (http_name_is(name, nlen, "content-encoding")) {
        if (http_token_is(v, vlen, "gzip") || http_token_is(v, vlen, "x-gzip"))
            m->enc = HTTP_ENC_GZIP;
        if (http_token_is(v, vlen, "deflate"))
            m->enc = HTTP_ENC_DEFLATE;
    } else if (http_name_is(name, nlen, "content-type")) {
        hstr_set(&m->ctype, v, vlen);
        m->multipart = vlen >= 10 && strncasecmp((const char *)v, "multipart/", 10) == 0;
    } else if (http_name_is(name, nlen, "content-disposition")) {
        hstr_set(&m->cdisp, v, vlen);
    }
}

void http_on_header(struct http_state *s, enum proto_dir dir, const uint8_t *name, size_t nlen,
                    const uint8_t *value, size_t vlen, int64_t ts)
{
    struct http_msg *m = &s->msg[dir];
    if (dir == PROTO_ORIG && http_name_is(name, nlen, "connection") &&
        http_token_is(value, vlen, "keep-alive"))
        s->keep_alive = true;
    if (dir == PROTO_RESP && http_name_is(name, nlen, "connection")) {
        if (http_token_is(value, vlen, "close"))
            s->connection_close = true;
        else if (http_token_is(value, vlen, "upgrade"))
            s->upgrade_conn = true;
    }
    if (dir == PROTO_RESP && http_name_is(name, nlen, "upgrade") && vlen > 0)
        s->upgrade_proto = true;
    http_entity_header(s, m, name, nlen, value, vlen, ts);
    struct http_txn *t = http_txn_get(s, dir == PROTO_ORIG ? s->cur_req : s->cur_resp, ts);
    if (t && dir == PROTO_ORIG)
        http_client_header(t, name, nlen, value, vlen);
    if (t && dir == PROTO_ORIG && http_name_is(name, nlen, "range"))
        t->range_request = true;
}

void http_on_message_done(struct http_state *s, enum proto_dir dir, int64_t ts)
{
    uint64_t key = dir == PROTO_ORIG ? s->cur_req : s->cur_resp;
    struct http_txn *t = http_txn_get(s, key, ts);
    if (!t)
        return;
    if (dir == PROTO_ORIG) {
        t->req_body_len = s->msg[dir].body.len;
        return;
    }
    t->resp_body_len = s->msg[dir].body.len;
    if (!(t->has_status && t->status_code >= 100 && t->status_code <= 199))
        http_txn_emit(s, t);
}

const struct detect_http_cap *http_txn_request_cap(struct http_state *s)
{
    struct http_txn *t = http_txn_find(s, s->cur_resp);
    if (t && t->dreq)
        return t->dreq;
    if (s->cur_req == s->cur_resp && s->msg[PROTO_ORIG].dc.on)
        return &s->msg[PROTO_ORIG].dc; /* the request is still coming */
    return NULL;
}

void http_txn_keep_request(struct http_state *s, struct detect_http_cap *c)
{
    struct http_txn *t = c->on ? http_txn_find(s, s->cur_req) : NULL;
    if (!t)
        return;
    if (!t->dreq)
        t->dreq = calloc(1, sizeof(*t->dreq));
    if (!t->dreq)
        return;
    struct detect_http_cap old = *t->dreq; /* swap: no copy of the bytes */
    *t->dreq = *c;
    *c = old;
    detect_http_cap_reset(c);
}

/* ---- the parser descriptor ---- */

static const char *const http_probe_methods[] = {
    "GET", "POST", "HEAD", "PUT", "OPTIONS", "DELETE", "CONNECT", "TRACE", "PATCH",
    "PROPFIND", NULL,
};

static enum proto_probe http_probe(const uint8_t *data, size_t len, enum proto_dir dir,
                                   uint16_t orig_p, uint16_t resp_p)
{
    (void)orig_p;
    (void)resp_p;
    struct cursor c;
    uint8_t b;
    cursor_init(&c, data, len);
    if (dir == PROTO_RESP) {
        const char *want = "HTTP/1";
        size_t n = len < 6 ? len : 6;
        if (memcmp(data, want, n) != 0)
            return PROTO_PROBE_NO;
        return len < 6 ? PROTO_PROBE_MAYBE : PROTO_PROBE_YES;
    }
    while (cursor_peek_u8(&c, 0, &b) == 0 && (b == ' ' || b == '\t' || b == '\r' || b == '\n'))
        cursor_skip(&c, 1);
    size_t left = cursor_left(&c);
    enum proto_probe best = PROTO_PROBE_NO;
    for (size_t i = 0; http_probe_methods[i]; i++) {
        size_t ml = strlen(http_probe_methods[i]);
        if (left <= ml) {
            if (memcmp(c.p, http_probe_methods[i], left) == 0)
                best = PROTO_PROBE_MAYBE;
            continue;
        }
        if (memcmp(c.p, http_probe_methods[i], ml) == 0 && c.p[ml] == ' ')
            return PROTO_PROBE_YES;
    }
    return best;
}

static void *http_state_new(struct proto_ctx *ctx)
{
    struct http_state *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->ctx = ctx;
    s->req_version = s->resp_version = -1;
    for (int d = 0; d < 2; d++) {
        s->msg[d].dir = (enum proto_dir)d;
        http_msg_reset(&s->msg[d]);
    }
    return s;
}

static enum proto_result http_parse(void *state, struct proto_ctx *ctx, enum proto_dir dir,
                                    const uint8_t *data, size_t len, int64_t ts)
{
    struct http_state *s = state;
    s->ctx = ctx;
    s->last_ts = ts;
    if (s->tunnel || s->upgraded)
        return PROTO_DONE;
    http_msg_feed(s, &s->msg[dir], data, len, ts);
    if (s->tunnel) {
        proto_switch(ctx, NULL); /* the CONNECT tunnel's content is probed again */
        return PROTO_OK;
    }
    if (s->upgraded)
        return PROTO_DONE;
    if (s->msg[0].st == HTTP_S_NOTHING && s->msg[1].st == HTTP_S_NOTHING)
        return PROTO_DONE;
    return PROTO_OK;
}

/* Missing bytes: inside a body of known length they are counted and skipped
 * (Zeek's HTTP_Entity::Undelivered); anywhere else the direction is given up. */
static enum proto_result http_gap(void *state, struct proto_ctx *ctx, enum proto_dir dir,
                                  uint64_t len)
{
    struct http_state *s = state;
    struct http_msg *m = &s->msg[dir];
    s->ctx = ctx;
    bool in_body = (m->st == HTTP_S_BODY && !m->close_body) || m->st == HTTP_S_CHUNK_DATA;
    if (in_body && m->remaining >= len && m->body.len > 0) {
        http_body_gap(s, m, len);
        m->remaining -= len;
        if (m->remaining == 0) {
            if (m->st == HTTP_S_CHUNK_DATA)
                m->st = HTTP_S_CHUNK_CRLF;
            else
                http_msg_finish(s, dir, true, s->last_ts);
        }
        return PROTO_OK;
    }
    if (dir == PROTO_ORIG)
        http_msg_finish(s, PROTO_ORIG, false, s->last_ts);
    http_msg_finish(s, PROTO_RESP, false, s->last_ts);
    s->msg[dir].st = HTTP_S_NOTHING;
    if (s->msg[0].st == HTTP_S_NOTHING && s->msg[1].st == HTTP_S_NOTHING)
        return PROTO_DONE;
    return PROTO_OK;
}

static void http_eof(void *state, struct proto_ctx *ctx, enum proto_dir dir, int64_t ts)
{
    struct http_state *s = state;
    s->ctx = ctx;
    if (ts > s->last_ts)
        s->last_ts = ts;
    if (s->tunnel || s->upgraded)
        return;
    http_msg_flush_line(s, &s->msg[dir], ts);
    http_msg_finish(s, dir, true, ts);
}

static int http_txn_cmp(const void *a, const void *b)
{
    const struct http_txn *x = *(const struct http_txn *const *)a;
    const struct http_txn *y = *(const struct http_txn *const *)b;
    return x->key < y->key ? -1 : x->key > y->key;
}

static void http_state_free(void *state, struct proto_ctx *ctx)
{
    struct http_state *s = state;
    if (!s)
        return;
    s->ctx = ctx;
    http_msg_finish(s, PROTO_ORIG, false, s->last_ts);
    http_msg_finish(s, PROTO_RESP, false, s->last_ts);
    if (s->n_pending > 0)
        qsort(s->pending, s->n_pending, sizeof(s->pending[0]), http_txn_cmp);
    while (s->n_pending > 0) {
        struct http_txn *t = s->pending[0];
        if (t->key == 0) /* main.zeek never writes pending[0] */
            http_txn_drop(s, 0);
        else
            http_txn_emit(s, t);
    }
    for (int d = 0; d < 2; d++)
        http_msg_free(&s->msg[d]);
    hstr_free(&s->reason);
    free(s);
}

static const uint16_t http_ports[] = {80, 81, 631, 1080, 3128, 8000, 8080, 8888, 0};

const struct proto_parser proto_http = {
    .name = "http",
    .ip_proto = 6,
    .ports = http_ports,
    .probe = http_probe,
    .state_new = http_state_new,
    .parse = http_parse,
    .gap = http_gap,
    .eof = http_eof,
    .state_free = http_state_free,
};
