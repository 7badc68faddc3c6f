/*
 * smtp_mime.c - the mail message as smtp.log sees it: the top-level header
 * block (RFC 5322 section 2.2: "Name: value" lines, folded lines joined),
 * the message sink extraction plugs into, and the text helpers Zeek's
 * scripts apply to header values (base/utils/email.zeek's address
 * extractors, base/utils/addrs.zeek's extract_ip_addresses).
 *
 *   bytes ──► line (LF or CRLF) ──► starts with SP/HT? ──yes──► append to the current header
 *                 │                        │no
 *                 │                        ▼
 *                 │          apply the current header, start a new one
 *                 └── empty line ──► apply, headers over (the body only goes to the sink)
 *
 * Zeek's MIME analyzer joins a folded header's lines without their CRLF
 * (the continuation keeps its leading white space), upper-cases the name
 * and skips the white space after the colon; only the top-level entity's
 * headers reach smtp.log (base/protocols/smtp/main.zeek stops at the
 * second entity).  Every header line is capped at SMTP_LINE_MAX, an
 * unfolded header at SMTP_HDR_MAX, the count at SMTP_HDRS_MAX.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/cursor.h"
#include "proto/smtp.h"

static const struct smtp_msg_ops *smtp_sink;

void smtp_msg_ops_set(const struct smtp_msg_ops *ops)
{
    smtp_sink = ops;
}

/* ---- small strings and sets ---- */

void smtp_str_set(struct smtp_str *s, const void *p, size_t n)
{
    if (n > SMTP_FIELD_MAX)
        n = SMTP_FIELD_MAX;
    char *q = malloc(n + 1);
    if (!q)
        return;
    if (n)
        memcpy(q, p, n);
    q[n] = 0;
    free(s->p);
    s->p = q;
    s->len = n;
    s->set = true;
}

void smtp_str_free(struct smtp_str *s)
{
    free(s->p);
    memset(s, 0, sizeof(*s));
}

void smtp_strset_add(struct smtp_strset *s, const char *p, size_t n)
{
    if (n > SMTP_FIELD_MAX)
        n = SMTP_FIELD_MAX;
    for (size_t i = 0; i < s->n; i++)
        if (s->len[i] == n && memcmp(s->v[i], p, n) == 0)
            return;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 4;
        char **v = realloc(s->v, cap * sizeof(*v));
        if (!v)
            return;
        s->v = v;
        size_t *l = realloc(s->len, cap * sizeof(*l));
        if (!l)
            return;
        s->len = l;
        s->cap = cap;
    }
    char *q = malloc(n + 1);
    if (!q)
        return;
    memcpy(q, p, n);
    q[n] = 0;
    s->v[s->n] = q;
    s->len[s->n++] = n;
}

void smtp_strset_free(struct smtp_strset *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    free(s->len);
    memset(s, 0, sizeof(*s));
}

/* ---- base/utils/email.zeek ---- */

static bool smtp_is_blank(uint8_t c)
{
    return c == ' ' || c == '\t';
}

/* The start class [<,:[:blank:]] of Zeek's address pattern. */
static bool smtp_addr_start(uint8_t c)
{
    return c == '<' || c == ',' || c == ':' || smtp_is_blank(c);
}

static bool smtp_addr_end(uint8_t c)
{
    return c == '>' || c == ',' || c == ';' || smtp_is_blank(c);
}

/* One match of (^|[<,:[:blank:]])[^<,:[:blank:]@]+@[^>,;[:blank:]]+([>,;[:blank:]]|$)
 * starting at i: its end, or 0. */
static size_t smtp_addr_match(const uint8_t *s, size_t n, size_t i)
{
    size_t j;
    if (smtp_addr_start(s[i]))
        j = i + 1;
    else if (i == 0)
        j = 0;
    else
        return 0;
    size_t local = j;
    while (j < n && !smtp_addr_start(s[j]) && s[j] != '@')
        j++;
    if (j == local || j >= n || s[j] != '@')
        return 0;
    size_t dom = ++j;
    while (j < n && !smtp_addr_end(s[j]))
        j++;
    if (j == dom)
        return 0;
    return j < n ? j + 1 : j;
}

void smtp_email_addrs(const uint8_t *s, size_t n, void (*fn)(void *arg, const char *a, size_t l),
                      void *arg)
{
    char buf[SMTP_FIELD_MAX];
    size_t i = 0;
    while (i < n) {
        size_t end = smtp_addr_match(s, n, i);
        if (!end) {
            i++;
            continue;
        }
        size_t k = 0;
        for (size_t j = i; j < end && k < sizeof(buf); j++)
            if (!smtp_addr_end(s[j]) && s[j] != '<' && s[j] != ':')
                buf[k++] = (char)s[j];
        fn(arg, buf, k);
        i = end;
    }
}

static bool smtp_is_space(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* find_all(line, /(\"[^"]*\")?[^,]+/) with each part stripped. */
void smtp_mime_addrs(const uint8_t *s, size_t n, void (*fn)(void *arg, const char *a, size_t l),
                     void *arg)
{
    size_t i = 0;
    while (i < n) {
        if (s[i] == ',') {
            i++;
            continue;
        }
        size_t end = i;
        while (end < n && s[end] != ',')
            end++;
        if (s[i] == '"') { /* the quoted alternative, if it is longer */
            size_t q = i + 1;
            while (q < n && s[q] != '"')
                q++;
            if (q < n && q + 1 < n && s[q + 1] != ',') {
                size_t e2 = q + 1;
                while (e2 < n && s[e2] != ',')
                    e2++;
                if (e2 > end)
                    end = e2;
            }
        }
        size_t a = i, b = end;
        while (a < b && smtp_is_space(s[a]))
            a++;
        while (b > a && smtp_is_space(s[b - 1]))
            b--;
        fn(arg, (const char *)s + a, b - a);
        i = end;
    }
}

/* ---- base/utils/addrs.zeek: extract_ip_addresses ---- */

/* One ipv4_decim at s[i..]: try 3, 2, 1 digits (longest first), then the rest. */
static size_t smtp_v4_from(const uint8_t *s, size_t n, size_t i, int octet, uint8_t *out)
{
    for (int len = 3; len >= 1; len--) {
        if (i + (size_t)len > n)
            continue;
        int v = 0;
        bool ok = true;
        for (int k = 0; k < len; k++) {
            if (s[i + k] < '0' || s[i + k] > '9') {
                ok = false;
                break;
            }
            v = v * 10 + (s[i + k] - '0');
        }
        if (!ok || v > 255)
            continue;
        size_t j = i + (size_t)len;
        out[octet] = (uint8_t)v;
        if (octet == 3)
            return j;
        if (j < n && s[j] == '.') {
            size_t e = smtp_v4_from(s, n, j + 1, octet + 1, out);
            if (e)
                return e;
        }
    }
    return 0;
}

static bool smtp_hexc(uint8_t c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* An IPv6 text at s[i..]: the longest run of hex, ':' and '.' that parses. */
static size_t smtp_v6_from(const uint8_t *s, size_t n, size_t i, uint8_t *out)
{
    size_t j = i, colons = 0;
    while (j < n && j - i < 45 && (smtp_hexc(s[j]) || s[j] == ':' || s[j] == '.'))
        colons += s[j++] == ':';
    if (colons < 2)
        return 0;
    char buf[48];
    for (size_t e = j; e > i + 1; e--) {
        memcpy(buf, s + i, e - i);
        buf[e - i] = 0;
        if (inet_pton(AF_INET6, buf, out) == 1)
            return e;
    }
    return 0;
}

size_t smtp_ip_addrs(const uint8_t *s, size_t n, bool check_wrapping, struct raddr *out,
                     size_t max)
{
    size_t starts[64], ends[64], k = 0;
    struct raddr found[64];
    size_t i = 0;
    while (i < n && k < 64) {
        struct raddr a;
        memset(&a, 0, sizeof(a));
        size_t e = smtp_v6_from(s, n, i, a.a);
        if (e)
            a.family = 6;
        else if ((e = smtp_v4_from(s, n, i, 0, a.a)) != 0)
            a.family = 4;
        if (!e) {
            i++;
            continue;
        }
        starts[k] = i;
        ends[k] = e;
        found[k++] = a;
        i = e;
    }
    size_t m = 0;
    for (size_t x = 0; x < k && m < max; x++) {
        if (check_wrapping) {
            size_t p1s = x ? ends[x - 1] : 0, p3e = x + 1 < k ? starts[x + 1] : n;
            bool p1e = p1s == starts[x], p3z = ends[x] == p3e;
            uint8_t b = p1e ? 0 : s[starts[x] - 1], a = p3z ? 0 : s[ends[x]];
            if (!((p1e && p3z) || (b == '[' && a == ']') || (b == '(' && a == ')') ||
                  (b == '{' && a == '}') || (b == ' ' && a == ' ')))
                continue;
        }
        out[m++] = found[x];
    }
    return m;
}

/* ---- headers (Zeek's mime_one_header handlers) ---- */

struct smtp_setarg {
    struct smtp_proto_ctx_pair {
        struct proto_ctx *ctx;
        int64_t ts;
    } c;
    struct smtp_strset *set;
    const char *weird;
};

static void smtp_set_add(void *arg, const char *a, size_t l)
{
    struct smtp_setarg *sa = arg;
    if (sa->set->n >= SMTP_SET_MAX) {
        if (sa->weird) {
            proto_weird(sa->c.ctx, sa->weird, NULL, sa->c.ts);
            sa->weird = NULL;
        }
        return;
    }
    smtp_strset_add(sa->set, a, l);
}

static void smtp_path_add(struct proto_ctx *ctx, struct smtp_info *info, const uint8_t *v,
                          size_t n, int64_t ts)
{
    struct raddr ips[2];
    size_t k = smtp_ip_addrs(v, n, true, ips, 2);
    if (!k || !info->process_received_from)
        return;
    struct raddr ip = ips[k > 1 ? 1 : 0];
    if (info->n_path) {
        struct raddr *last = &info->path[info->n_path - 1];
        if (last->family == ip.family && memcmp(last->a, ip.a, 16) == 0)
            return;
    }
    if (info->n_path >= SMTP_PATH_MAX) {
        proto_weird(ctx, "smtp_max_path_length_exceeded", NULL, ts);
        return;
    }
    if (info->n_path == info->cap_path) {
        size_t cap = info->cap_path ? info->cap_path * 2 : 4;
        struct raddr *p = realloc(info->path, cap * sizeof(*p));
        if (!p)
            return;
        info->path = p;
        info->cap_path = cap;
    }
    info->path[info->n_path++] = ip;
}

static void smtp_header_set(struct proto_ctx *ctx, struct smtp_info *info, struct smtp_strset *set,
                            bool *has, const char *weird, const uint8_t *v, size_t n, int64_t ts)
{
    struct smtp_setarg sa = {{ctx, ts}, set, weird};
    *has = true;
    smtp_mime_addrs(v, n, smtp_set_add, &sa);
    (void)info;
}

void smtp_header_apply(struct proto_ctx *ctx, struct smtp_info *info, const uint8_t *h, size_t n,
                       int64_t ts)
{
    struct cursor c;
    cursor_init(&c, h, n);
    uint8_t b;
    while (cursor_peek_u8(&c, 0, &b) == 0 && smtp_is_blank(b))
        cursor_skip(&c, 1);
    const uint8_t *name = c.p;
    size_t nl = 0;
    while (cursor_peek_u8(&c, nl, &b) == 0 && b > 32 && b < 127 && b != ':')
        nl++;
    if (!nl)
        return;
    cursor_skip(&c, nl);
    while (cursor_peek_u8(&c, 0, &b) == 0 && smtp_is_blank(b))
        cursor_skip(&c, 1);
    if (cursor_u8(&c, &b) < 0 || b != ':')
        return;
    while (cursor_peek_u8(&c, 0, &b) == 0 && smtp_is_space(b))
        cursor_skip(&c, 1);
    const uint8_t *v = c.p;
    size_t vl = cursor_left(&c);
#define IS(s) (nl == sizeof(s) - 1 && strncasecmp((const char *)name, s, nl) == 0)
    if (IS("MESSAGE-ID"))
        smtp_str_set(&info->msg_id, v, vl);
    else if (IS("RECEIVED")) {
        if (info->first_received.set)
            smtp_str_set(&info->second_received, info->first_received.p,
                         info->first_received.len);
        smtp_str_set(&info->first_received, v, vl);
        smtp_path_add(ctx, info, v, vl, ts);
    } else if (IS("IN-REPLY-TO"))
        smtp_str_set(&info->in_reply_to, v, vl);
    else if (IS("SUBJECT"))
        smtp_str_set(&info->subject, v, vl);
    else if (IS("FROM"))
        smtp_str_set(&info->from, v, vl);
    else if (IS("REPLY-TO"))
        smtp_str_set(&info->reply_to, v, vl);
    else if (IS("DATE"))
        smtp_str_set(&info->date, v, vl);
    else if (IS("TO"))
        smtp_header_set(ctx, info, &info->to, &info->has_to, "smtp_too_many_to_addresses", v,
                        vl, ts);
    else if (IS("CC"))
        smtp_header_set(ctx, info, &info->cc, &info->has_cc, "smtp_too_many_cc_addresses", v,
                        vl, ts);
    else if (IS("X-ORIGINATING-IP")) {
        struct raddr ip;
        if (smtp_ip_addrs(v, vl, false, &ip, 1) == 1)
            info->x_originating_ip = ip;
    } else if (IS("X-MAILER") || IS("USER-AGENT") || IS("X-USER-AGENT"))
        smtp_str_set(&info->user_agent, v, vl);
#undef IS
}

/* ---- the message ---- */

void smtp_msg_begin(struct smtp_msg *m, struct proto_ctx *ctx, uint64_t trans_depth, int64_t ts)
{
    m->open = true;
    m->in_headers = true;
    m->at_bol = true;
    m->hdr_len = 0;
    m->hdr_over = false;
    m->n_hdrs = 0;
    m->line_len = 0;
    m->line_over = false;
    m->sink = smtp_sink && smtp_sink->open ? smtp_sink->open(ctx, trans_depth, ts) : NULL;
}

static void smtp_hdr_flush(struct smtp_msg *m, struct proto_ctx *ctx, struct smtp_info *info,
                           int64_t ts)
{
    if (m->hdr_len && info)
        smtp_header_apply(ctx, info, m->hdr, m->hdr_len, ts);
    m->hdr_len = 0;
    m->hdr_over = false;
}

static void smtp_hdr_append(struct smtp_msg *m, const uint8_t *p, size_t n)
{
    if (!m->hdr) {
        m->hdr = malloc(SMTP_HDR_MAX);
        if (!m->hdr)
            return;
    }
    if (n > SMTP_HDR_MAX - m->hdr_len) {
        n = SMTP_HDR_MAX - m->hdr_len;
        m->hdr_over = true;
    }
    memcpy(m->hdr + m->hdr_len, p, n);
    m->hdr_len += n;
}

/* One complete header-block line (without its line end). */
static void smtp_msg_line(struct smtp_msg *m, struct proto_ctx *ctx, struct smtp_info *info,
                          int64_t ts)
{
    size_t n = m->line_len;
    while (n && m->line[n - 1] == '\r')
        n--;
    if (n == 0) {
        smtp_hdr_flush(m, ctx, info, ts);
        m->in_headers = false;
        return;
    }
    if (smtp_is_blank(m->line[0])) {
        if (m->hdr_len)
            smtp_hdr_append(m, m->line, n);
        return;
    }
    smtp_hdr_flush(m, ctx, info, ts);
    if (++m->n_hdrs > SMTP_HDRS_MAX) {
        proto_weird(ctx, "smtp_too_many_headers", NULL, ts);
        m->in_headers = false;
        return;
    }
    smtp_hdr_append(m, m->line, n);
}

void smtp_msg_deliver(struct smtp_msg *m, struct proto_ctx *ctx, struct smtp_info *info,
                      const uint8_t *p, size_t n, int64_t ts)
{
    if (!m->open)
        return;
    if (m->sink && smtp_sink->data)
        smtp_sink->data(m->sink, p, n, ts);
    struct cursor c;
    cursor_init(&c, p, n);
    while (m->in_headers && cursor_left(&c)) {
        const uint8_t *nl = memchr(c.p, '\n', cursor_left(&c));
        size_t take = nl ? (size_t)(nl - c.p) : cursor_left(&c);
        size_t room = sizeof(m->line) - m->line_len;
        if (take > room) {
            if (!m->line_over)
                proto_weird(ctx, "smtp_header_line_too_long", NULL, ts);
            m->line_over = true;
        }
        memcpy(m->line + m->line_len, c.p, take < room ? take : room);
        m->line_len += take < room ? take : room;
        cursor_skip(&c, take);
        if (!nl)
            break;
        cursor_skip(&c, 1);
        smtp_msg_line(m, ctx, info, ts);
        m->line_len = 0;
        m->line_over = false;
    }
}

void smtp_msg_gap(struct smtp_msg *m, uint64_t n)
{
    if (m->open && m->sink && smtp_sink->gap)
        smtp_sink->gap(m->sink, n);
    m->in_headers = false;
}

void smtp_msg_end(struct smtp_msg *m, struct proto_ctx *ctx, struct smtp_info *info,
                  bool complete, int64_t ts)
{
    if (!m->open)
        return;
    if (m->in_headers) {
        if (m->line_len)
            smtp_msg_line(m, ctx, info, ts);
        smtp_hdr_flush(m, ctx, info, ts);
    }
    m->in_headers = false;
    m->open = false;
    if (m->sink) {
        const char *fuid = smtp_sink->close ? smtp_sink->close(m->sink, complete) : NULL;
        /* one fuid per MIME part, comma-separated */
        for (const char *f = fuid; info && f && *f;) {
            size_t k = strcspn(f, ",");
            if (info->n_fuids < sizeof(info->fuids) / sizeof(info->fuids[0]))
                smtp_str_set(&info->fuids[info->n_fuids++], f, k);
            f += k + (f[k] == ',');
        }
    }
    m->sink = NULL;
}

void smtp_msg_free(struct smtp_msg *m)
{
    if (m->sink && smtp_sink && smtp_sink->close)
        smtp_sink->close(m->sink, false);
    m->sink = NULL;
    free(m->hdr);
    m->hdr = NULL;
    m->open = false;
}
