/*
 * rule_content.c - content and its modifiers, and the inspection buffers:
 * sticky buffers (http.uri, dns.query, file.data, ...) that set the
 * buffer for what follows, and the older content modifiers (http_uri,
 * http_header, ...) that move the content just before them.
 *
 * Follows the Suricata rules reference ("Payload keywords": content,
 * nocase, depth, offset, distance, within, startswith, endswith,
 * fast_pattern, rawbytes; "HTTP keywords"; "dotprefix").  Grammar:
 *
 *     content  := ["!"] '"' ( CHAR | "\" ESC | "|" HEX (" "* HEX)* "|" )+ '"'
 *     ESC      := '"' | ';' | '\' | ':'
 *     fast_pattern := "" | "only" | OFFSET "," LENGTH
 *
 * Checks made here, as Suricata makes them: a modifier needs a content
 * before it; a modifier is given once per content; offset/depth (absolute)
 * and distance/within (relative) do not mix with startswith; depth and
 * within are not shorter than the content; one fast_pattern per rule; a
 * legacy modifier is not used after a sticky buffer; a buffer belongs to
 * the rule's application protocol.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "detect/rule_int.h"

/* Buffer names and the application protocol each needs (0: any; FILE:
 * any protocol that carries files). */
#define APP_FILES 0xfe
static const struct {
    const char *name;
    uint8_t app;
} buffers[RULE_BUF_COUNT] = {
    [RULE_BUF_PKT] = {"pkt_data", 0},
    [RULE_BUF_HTTP_URI] = {"http.uri", RULE_PROTO_HTTP},
    [RULE_BUF_HTTP_URI_RAW] = {"http.uri.raw", RULE_PROTO_HTTP},
    [RULE_BUF_HTTP_METHOD] = {"http.method", RULE_PROTO_HTTP},
    [RULE_BUF_HTTP_HOST] = {"http.host", RULE_PROTO_HTTP},
    [RULE_BUF_HTTP_HOST_RAW] = {"http.host.raw", RULE_PROTO_HTTP},
    [RULE_BUF_HTTP_USER_AGENT] = {"http.user_agent", RULE_PROTO_HTTP},
    [RULE_BUF_HTTP_HEADER] = {"http.header", RULE_PROTO_HTTP},
    [RULE_BUF_HTTP_HEADER_RAW] = {"http.header.raw", RULE_PROTO_HTTP},
    [RULE_BUF_HTTP_HEADER_NAMES] = {"http.header_names", RULE_PROTO_HTTP},
    [RULE_BUF_HTTP_COOKIE] = {"http.cookie", RULE_PROTO_HTTP},
    [RULE_BUF_HTTP_REQUEST_BODY] = {"http.request_body", RULE_PROTO_HTTP},
    [RULE_BUF_HTTP_STAT_CODE] = {"http.stat_code", RULE_PROTO_HTTP},
    [RULE_BUF_HTTP_STAT_MSG] = {"http.stat_msg", RULE_PROTO_HTTP},
    [RULE_BUF_HTTP_RESPONSE_BODY] = {"http.response_body", RULE_PROTO_HTTP},
    [RULE_BUF_HTTP_CONTENT_TYPE] = {"http.content_type", RULE_PROTO_HTTP},
    [RULE_BUF_HTTP_CONTENT_LEN] = {"http.content_len", RULE_PROTO_HTTP},
    [RULE_BUF_HTTP_SERVER] = {"http.server", RULE_PROTO_HTTP},
    [RULE_BUF_HTTP_REFERER] = {"http.referer", RULE_PROTO_HTTP},
    [RULE_BUF_HTTP_LOCATION] = {"http.location", RULE_PROTO_HTTP},
    [RULE_BUF_HTTP_ACCEPT] = {"http.accept", RULE_PROTO_HTTP},
    [RULE_BUF_HTTP_ACCEPT_ENC] = {"http.accept_enc", RULE_PROTO_HTTP},
    [RULE_BUF_HTTP_ACCEPT_LANG] = {"http.accept_lang", RULE_PROTO_HTTP},
    [RULE_BUF_HTTP_CONNECTION] = {"http.connection", RULE_PROTO_HTTP},
    [RULE_BUF_HTTP_START] = {"http.start", RULE_PROTO_HTTP},
    [RULE_BUF_HTTP_PROTOCOL] = {"http.protocol", RULE_PROTO_HTTP},
    [RULE_BUF_HTTP_REQUEST_LINE] = {"http.request_line", RULE_PROTO_HTTP},
    [RULE_BUF_HTTP_RESPONSE_LINE] = {"http.response_line", RULE_PROTO_HTTP},
    [RULE_BUF_HTTP_REQUEST_HEADER] = {"http.request_header", RULE_PROTO_HTTP},
    [RULE_BUF_HTTP_RESPONSE_HEADER] = {"http.response_header", RULE_PROTO_HTTP},
    [RULE_BUF_DNS_QUERY] = {"dns.query", RULE_PROTO_DNS},
    [RULE_BUF_TLS_SNI] = {"tls.sni", RULE_PROTO_TLS},
    [RULE_BUF_TLS_CERT_SUBJECT] = {"tls.cert_subject", RULE_PROTO_TLS},
    [RULE_BUF_TLS_CERT_ISSUER] = {"tls.cert_issuer", RULE_PROTO_TLS},
    [RULE_BUF_TLS_CERT_SERIAL] = {"tls.cert_serial", RULE_PROTO_TLS},
    [RULE_BUF_TLS_CERTS] = {"tls.certs", RULE_PROTO_TLS},
    [RULE_BUF_JA3_HASH] = {"ja3.hash", RULE_PROTO_TLS},
    [RULE_BUF_JA3_STRING] = {"ja3.string", RULE_PROTO_TLS},
    [RULE_BUF_JA3S_HASH] = {"ja3s.hash", RULE_PROTO_TLS},
    [RULE_BUF_SSH_PROTO] = {"ssh.proto", RULE_PROTO_SSH},
    [RULE_BUF_SSH_SOFTWARE] = {"ssh.software", RULE_PROTO_SSH},
    [RULE_BUF_TLS_CERT_FINGERPRINT] = {"tls.cert_fingerprint", RULE_PROTO_TLS},
    [RULE_BUF_TLS_SAN] = {"tls.subjectaltname", RULE_PROTO_TLS},
    [RULE_BUF_TLS_ALPN] = {"tls.alpn", RULE_PROTO_TLS},
    [RULE_BUF_TLS_RANDOM] = {"tls.random", RULE_PROTO_TLS},
    [RULE_BUF_TLS_RANDOM_TIME] = {"tls.random_time", RULE_PROTO_TLS},
    [RULE_BUF_TLS_RANDOM_BYTES] = {"tls.random_bytes", RULE_PROTO_TLS},
    [RULE_BUF_JA3S_STRING] = {"ja3s.string", RULE_PROTO_TLS},
    [RULE_BUF_SSH_HASSH] = {"ssh.hassh", RULE_PROTO_SSH},
    [RULE_BUF_SSH_HASSH_STRING] = {"ssh.hassh.string", RULE_PROTO_SSH},
    [RULE_BUF_SSH_HASSH_SERVER] = {"ssh.hassh.server", RULE_PROTO_SSH},
    [RULE_BUF_SSH_HASSH_SERVER_STRING] = {"ssh.hassh.server.string", RULE_PROTO_SSH},
    [RULE_BUF_DNS_QUERIES_RRNAME] = {"dns.queries.rrname", RULE_PROTO_DNS},
    [RULE_BUF_DNS_ANSWERS_RRNAME] = {"dns.answers.rrname", RULE_PROTO_DNS},
    [RULE_BUF_SMTP_HELO] = {"smtp.helo", RULE_PROTO_SMTP},
    [RULE_BUF_SMTP_MAIL_FROM] = {"smtp.mail_from", RULE_PROTO_SMTP},
    [RULE_BUF_SMTP_RCPT_TO] = {"smtp.rcpt_to", RULE_PROTO_SMTP},
    [RULE_BUF_FILE_DATA] = {"file.data", APP_FILES},
    [RULE_BUF_FILE_NAME] = {"file.name", APP_FILES},
    [RULE_BUF_BASE64_DATA] = {"base64_data", 0},
    [RULE_BUF_FILE_MAGIC] = {"file.magic", APP_FILES},
};

const char *rule_buffer_name(unsigned buf)
{
    return buf < RULE_BUF_COUNT ? buffers[buf].name : "?";
}

static int carries_files(unsigned proto)
{
    return proto == RULE_PROTO_HTTP || proto == RULE_PROTO_HTTP2 || proto == RULE_PROTO_SMTP ||
           proto == RULE_PROTO_FTP_DATA || proto == RULE_PROTO_FTP || proto == RULE_PROTO_SMB ||
           proto == RULE_PROTO_FILE || proto == RULE_PROTO_IMAP || proto == RULE_PROTO_POP3;
}

int rule_buffer_check_proto(struct rule_pctx *p, int buf)
{
    struct rule *r = p->r;
    unsigned need = buffers[buf].app;
    if (need == 0)
        return 0;
    if (need == APP_FILES) {
        if (r->app_proto && !carries_files(r->app_proto))
            return rule_fail(p, RULE_ERR_INVALID, "%s cannot be used in a %s rule",
                             buffers[buf].name, rule_proto_name(r->app_proto));
        return 0; /* tcp/udp rules: any file-carrying protocol */
    }
    if (r->app_proto == 0) {
        r->app_proto = (uint8_t)need;
        return 0;
    }
    if (r->app_proto == need || (need == RULE_PROTO_HTTP && r->app_proto == RULE_PROTO_HTTP2))
        return 0;
    return rule_fail(p, RULE_ERR_INVALID, "%s cannot be used in a %s rule", buffers[buf].name,
                     rule_proto_name(r->app_proto));
}

/* Decode a content string (quotes removed) into bytes. */
static int content_decode(struct rule_pctx *p, const char *s, uint8_t **out, uint32_t *outlen)
{
    size_t n = strlen(s);
    uint8_t *b = malloc(n + 1);
    if (!b)
        return rule_fail(p, RULE_ERR_INVALID, "out of memory");
    size_t len = 0;
    int hex = 0, nib = -1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '|') {
            if (hex && nib >= 0)
                goto odd;
            hex = !hex;
            continue;
        }
        if (hex) {
            if (c == ' ')
                continue;
            if (!isxdigit(c)) {
                free(b);
                return rule_fail(p, RULE_ERR_INVALID, "'%c' is not a hex digit inside |...|", c);
            }
            int v = isdigit(c) ? c - '0' : (tolower(c) - 'a' + 10);
            if (nib < 0)
                nib = v;
            else {
                b[len++] = (uint8_t)(nib << 4 | v);
                nib = -1;
            }
            continue;
        }
        if (c == '\\') {
            char e = i + 1 < n ? s[i + 1] : '\0';
            if (e != '"' && e != ';' && e != '\\' && e != ':') {
                free(b);
                return rule_fail(p, RULE_ERR_INVALID, "'\\%c' is not a valid escape (only \\\" "
                                 "\\; \\: \\\\)", e ? e : ' ');
            }
            b[len++] = (uint8_t)e;
            i++;
            continue;
        }
        if (c == '"' || c == ';') {
            free(b);
            return rule_fail(p, RULE_ERR_INVALID, "unescaped '%c' inside the string", c);
        }
        b[len++] = c;
    }
    if (hex) {
        free(b);
        return rule_fail(p, RULE_ERR_INVALID, "unterminated |hex| block");
    }
    if (len == 0) {
        free(b);
        return rule_fail(p, RULE_ERR_INVALID, "empty content");
    }
    if (len > RULE_CONTENT_MAX) {
        free(b);
        return rule_fail(p, RULE_ERR_INVALID, "content longer than %u bytes", RULE_CONTENT_MAX);
    }
    *out = b;
    *outlen = (uint32_t)len;
    return 0;
odd:
    free(b);
    return rule_fail(p, RULE_ERR_INVALID, "odd number of hex digits inside |...|");
}

int rule_kw_content(struct rule_pctx *p, char *val, int arg)
{
    (void)arg;
    int neg = rule_take_neg(&val);
    size_t n = strlen(val);
    if (n < 2 || val[0] != '"' || val[n - 1] != '"' || rule_escaped(val, n - 1))
        return rule_fail(p, RULE_ERR_INVALID, "value must be a quoted string");
    val[n - 1] = '\0';
    uint8_t *bytes = NULL;
    uint32_t len = 0;
    if (content_decode(p, val + 1, &bytes, &len) < 0)
        return -1;
    int li, ei;
    struct rule_elem *el = rule_elem_add(p, p->cur_buf, &li, &ei);
    if (!el) {
        free(bytes);
        return rule_fail(p, RULE_ERR_INVALID, "out of memory");
    }
    el->kind = RULE_ELEM_CONTENT;
    struct rule_content *c = &el->u.content;
    c->bytes = bytes;
    c->len = len;
    c->flags = neg ? RULE_CONTENT_NEGATED : 0;
    c->offset.var = c->depth.var = c->distance.var = c->within.var = -1;
    p->last_list = li;
    p->last_elem = ei;
    p->last_rel_list = li;
    return 0;
}

static int mod_position(struct rule_pctx *p, struct rule_content *c, int mod, const char *val)
{
    static const uint32_t bit[] = {[RULE_MOD_OFFSET] = RULE_CONTENT_OFFSET,
                                   [RULE_MOD_DEPTH] = RULE_CONTENT_DEPTH,
                                   [RULE_MOD_DISTANCE] = RULE_CONTENT_DISTANCE,
                                   [RULE_MOD_WITHIN] = RULE_CONTENT_WITHIN};
    struct rule_pos *pos = mod == RULE_MOD_OFFSET   ? &c->offset
                           : mod == RULE_MOD_DEPTH  ? &c->depth
                           : mod == RULE_MOD_DISTANCE ? &c->distance
                                                      : &c->within;
    if (c->flags & bit[mod])
        return rule_fail(p, RULE_ERR_INVALID, "given twice for one content");
    if (c->flags & RULE_CONTENT_STARTSWITH)
        return rule_fail(p, RULE_ERR_INVALID, "cannot be combined with startswith");
    int rel = mod == RULE_MOD_DISTANCE || mod == RULE_MOD_WITHIN;
    if (rel ? (c->flags & (RULE_CONTENT_OFFSET | RULE_CONTENT_DEPTH))
            : (c->flags & (RULE_CONTENT_DISTANCE | RULE_CONTENT_WITHIN)))
        return rule_fail(p, RULE_ERR_INVALID,
                         "relative (distance/within) and absolute (offset/depth) positions "
                         "cannot be mixed on one content");
    if (rule_parse_pos(p, val, pos) < 0)
        return rule_fail(p, RULE_ERR_INVALID, "'%.40s' is not a number or byte_extract variable",
                         val);
    if (pos->var < 0) {
        if ((mod == RULE_MOD_OFFSET || mod == RULE_MOD_DEPTH) && pos->v < 0)
            return rule_fail(p, RULE_ERR_INVALID, "must not be negative");
        if ((mod == RULE_MOD_DEPTH || mod == RULE_MOD_WITHIN) && (uint32_t)pos->v < c->len &&
            pos->v >= 0)
            return rule_fail(p, RULE_ERR_INVALID, "%d is less than the content's length %u",
                             pos->v, c->len);
        if (mod == RULE_MOD_WITHIN && pos->v < 0)
            return rule_fail(p, RULE_ERR_INVALID, "must not be negative");
    }
    c->flags |= bit[mod];
    return 0;
}

static int mod_fast_pattern(struct rule_pctx *p, struct rule_content *c, char *val)
{
    if (p->fp_seen)
        return rule_fail(p, RULE_ERR_INVALID, "only one content per rule can be the fast pattern");
    p->fp_seen = 1;
    c->flags |= RULE_CONTENT_FAST_PATTERN;
    if (!*val)
        return 0;
    if (strcmp(val, "only") == 0) {
        if (c->flags & RULE_CONTENT_NEGATED)
            return rule_fail(p, RULE_ERR_INVALID, "'only' cannot be used on a negated content");
        c->flags |= RULE_CONTENT_FP_ONLY;
        return 0;
    }
    char *parts[3];
    uint32_t off, len;
    if (rule_split(val, ',', parts, 2) != 2 || rule_parse_u32(parts[0], 65535, &off) < 0 ||
        rule_parse_u32(parts[1], 65535, &len) < 0 || len == 0 || off + len > c->len)
        return rule_fail(p, RULE_ERR_INVALID,
                         "value must be 'only' or 'offset,length' within the content");
    c->flags |= RULE_CONTENT_FP_CHOP;
    c->fp_off = (uint16_t)off;
    c->fp_len = (uint16_t)len;
    return 0;
}

/* Transforms (dotprefix, to_lowercase, ...) apply to the sticky buffer in
 * force: elements after them inspect the transformed buffer, a list of its
 * own (same buffer id, its xforms set). */
int rule_kw_transform(struct rule_pctx *p, char *val, int xform)
{
    (void)val;
    if (!p->sticky_set)
        return rule_fail(p, RULE_ERR_INVALID, "needs a sticky buffer before it");
    if (p->n_xforms >= RULE_XFORMS_MAX)
        return rule_fail(p, RULE_ERR_INVALID, "more than %d transforms", RULE_XFORMS_MAX);
    p->xforms[p->n_xforms++] = (uint8_t)xform;
    p->last_list = -1;
    p->last_rel_list = -1;
    return 0;
}

int rule_kw_uricontent(struct rule_pctx *p, char *val, int arg)
{
    if (rule_buffer_check_proto(p, RULE_BUF_HTTP_URI) < 0)
        return -1;
    int saved = p->cur_buf;
    p->cur_buf = RULE_BUF_HTTP_URI;
    int rc = rule_kw_content(p, val, arg);
    p->cur_buf = saved;
    return rc;
}

int rule_kw_content_mod(struct rule_pctx *p, char *val, int mod)
{
    struct rule_content *c = rule_last_content(p);
    if (!c)
        return rule_fail(p, RULE_ERR_INVALID, "needs a content before it");
    switch (mod) {
    case RULE_MOD_NOCASE:
        if (c->flags & RULE_CONTENT_NOCASE)
            return rule_fail(p, RULE_ERR_INVALID, "given twice for one content");
        c->flags |= RULE_CONTENT_NOCASE;
        return 0;
    case RULE_MOD_OFFSET:
    case RULE_MOD_DEPTH:
    case RULE_MOD_DISTANCE:
    case RULE_MOD_WITHIN:
        return mod_position(p, c, mod, val);
    case RULE_MOD_STARTSWITH:
    case RULE_MOD_ENDSWITH: {
        uint32_t bit = mod == RULE_MOD_STARTSWITH ? RULE_CONTENT_STARTSWITH : RULE_CONTENT_ENDSWITH;
        if (c->flags & bit)
            return rule_fail(p, RULE_ERR_INVALID, "given twice for one content");
        if (mod == RULE_MOD_STARTSWITH &&
            (c->flags & (RULE_CONTENT_OFFSET | RULE_CONTENT_DEPTH | RULE_CONTENT_DISTANCE |
                         RULE_CONTENT_WITHIN)))
            return rule_fail(p, RULE_ERR_INVALID,
                             "cannot be combined with offset/depth/distance/within");
        c->flags |= bit;
        return 0;
    }
    case RULE_MOD_FAST_PATTERN:
        return mod_fast_pattern(p, c, val);
    case RULE_MOD_RAWBYTES:
        c->flags |= RULE_CONTENT_RAWBYTES;
        return 0;
    }
    return rule_fail(p, RULE_ERR_INVALID, "unknown modifier");
}

int rule_kw_sticky(struct rule_pctx *p, char *val, int buf)
{
    (void)val;
    if (rule_buffer_check_proto(p, buf) < 0)
        return -1;
    if (buf == RULE_BUF_BASE64_DATA) { /* as Suricata: only after a base64_decode */
        int dec = 0;
        for (uint32_t b = 0; b < p->r->n_bufs && !dec; b++)
            for (uint32_t i = 0; i < p->r->bufs[b].n && !dec; i++)
                dec = p->r->bufs[b].elems[i].kind == RULE_ELEM_BASE64_DECODE;
        if (!dec)
            return rule_fail(p, RULE_ERR_INVALID, "base64_data without a base64_decode before it");
        p->r->base64 = 1;
    }
    p->cur_buf = buf;
    p->sticky_set = 1;
    p->n_xforms = 0;
    /* relative keywords after a buffer switch refer to that buffer */
    p->last_list = -1;
    p->last_rel_list = -1;
    return 0;
}

/* http_uri, http_header, ... : move the content before it to buffer buf. */
int rule_kw_legacy_buf(struct rule_pctx *p, char *val, int arg)
{
    int buf = arg & 0xff;
    /* Names Suricata also registers as sticky buffers (http_content_type,
     * http_start, ...) act as one when no content precedes them. */
    if ((arg & RULE_LEGACY_ALSO_STICKY) &&
        (p->last_list < 0 || p->sticky_set || p->r->bufs[p->last_list].buffer != RULE_BUF_PKT))
        return rule_kw_sticky(p, val, buf);
    if (p->last_list < 0)
        return rule_fail(p, RULE_ERR_INVALID, "needs a content before it");
    struct rule_buflist *from = &p->r->bufs[p->last_list];
    if (from->buffer != RULE_BUF_PKT || p->sticky_set)
        return rule_fail(p, RULE_ERR_INVALID,
                         "cannot follow a sticky buffer or another buffer modifier");
    if (rule_buffer_check_proto(p, buf) < 0)
        return -1;
    struct rule_elem moved = from->elems[p->last_elem];
    memmove(&from->elems[p->last_elem], &from->elems[p->last_elem + 1],
            (from->n - (uint32_t)p->last_elem - 1) * sizeof moved);
    from->n--;
    int li, ei;
    struct rule_elem *el = rule_elem_add(p, buf, &li, &ei);
    if (!el) {
        free(moved.u.content.bytes);
        return rule_fail(p, RULE_ERR_INVALID, "out of memory");
    }
    *el = moved;
    p->last_list = li;
    p->last_elem = ei;
    p->last_rel_list = li;
    return 0;
}

/* Rule-level checks of the detection lists once every option is read. */
int rule_content_finish(struct rule_pctx *p)
{
    struct rule *r = p->r;
    for (uint32_t b = 0; b < r->n_bufs; b++) {
        struct rule_buflist *l = &r->bufs[b];
        for (uint32_t i = 0; i < l->n; i++) {
            struct rule_content *c = &l->elems[i].u.content;
            if (l->elems[i].kind != RULE_ELEM_CONTENT)
                continue;
            if ((c->flags & RULE_CONTENT_FP_ONLY) &&
                (c->flags & (RULE_CONTENT_OFFSET | RULE_CONTENT_DEPTH | RULE_CONTENT_DISTANCE |
                             RULE_CONTENT_WITHIN))) {
                p->kw = "fast_pattern";
                return rule_fail(p, RULE_ERR_INVALID,
                                 "'only' cannot be combined with positional modifiers");
            }
        }
    }
    return 0;
}
