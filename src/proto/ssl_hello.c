/*
 * ssl_hello.c - TLS handshake messages: ClientHello, ServerHello (and
 * HelloRetryRequest), Certificate, ServerKeyExchange, ClientKeyExchange,
 * and the fingerprints JA3, JA3S and JA4 computed from the hellos.
 *
 * Called by ssl.c with one whole handshake message (reassembled across
 * records).  Fills struct ssl_state the way Zeek's event handlers in
 * base/protocols/ssl/main.zeek fill SSL::Info: extension events first,
 * then the hello event, then ssl_handshake_message (the history letter).
 *
 * Specs: RFC 5246 7.4 (handshake), RFC 8446 4.1-4.2 (TLS 1.3 hellos,
 * HelloRetryRequest's magic random, supported_versions, key_share,
 * pre_shared_key), RFC 6066 3 (server_name), RFC 7301 (ALPN), RFC 4492 /
 * RFC 8422 (supported_groups, ec_point_formats, ECDHE ServerKeyExchange),
 * RFC 8701 (GREASE).  JA3/JA3S: Salesforce's definition (decimal values,
 * '-' within and ',' between fields, GREASE removed, MD5).  JA4: FoxIO's
 * JA4 specification (t, version, d/i, counts, ALPN, SHA-256 truncated to 12).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/ssl_int.h"

/* RFC 8446 4.1.3: a ServerHello with this random is a HelloRetryRequest. */
static const uint8_t ssl_hrr_random[32] = {
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
    0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
};

enum {
    EXT_SERVER_NAME = 0, EXT_SUPPORTED_GROUPS = 10, EXT_EC_POINT_FORMATS = 11,
    EXT_SIGNATURE_ALGORITHMS = 13, EXT_ALPN = 16, EXT_SESSION_TICKET = 35,
    EXT_KEY_SHARE_OLD = 40 /* TLS 1.3 drafts before 23 */, EXT_PRE_SHARED_KEY = 41,
    EXT_SUPPORTED_VERSIONS = 43, EXT_KEY_SHARE = 51,
};

static void ssl_hex(const uint8_t *p, size_t n, char *out, size_t outlen)
{
    static const char hx[] = "0123456789abcdef";
    size_t o = 0;
    for (size_t i = 0; i < n && o + 2 < outlen; i++) {
        out[o++] = hx[p[i] >> 4];
        out[o++] = hx[p[i] & 15];
    }
    out[o] = '\0';
}

/* Bounded append to a string buffer. */
struct sbuf {
    char *p;
    size_t len, cap;
};

static void sb_put(struct sbuf *b, const char *str)
{
    while (*str && b->len + 1 < b->cap)
        b->p[b->len++] = *str++;
    b->p[b->len] = '\0';
}

/* Append v in decimal, or as four lower-case hex digits. */
static void sb_num(struct sbuf *b, const char *prefix, unsigned v, bool hex4)
{
    char tmp[16];
    if (hex4)
        snprintf(tmp, sizeof(tmp), "%04x", v & 0xFFFFu);
    else
        snprintf(tmp, sizeof(tmp), "%u", v);
    sb_put(b, prefix);
    sb_put(b, tmp);
}

/* JA3 list: decimal, '-' separated, GREASE removed. */
static void sb_list16(struct sbuf *b, const uint16_t *v, size_t n)
{
    bool first = true;
    for (size_t i = 0; i < n; i++) {
        if (tls_is_grease(v[i]))
            continue;
        sb_num(b, first ? "" : "-", v[i], false);
        first = false;
    }
}

/* ---- extensions ---- */

static void ssl_u16_list(struct cursor *c, uint16_t *out, size_t *n)
{
    uint16_t v;
    while (cursor_u16be(c, &v) == 0)
        if (*n < SSL_LIST_MAX)
            out[(*n)++] = v;
}

static void ssl_ext_sni(struct ssl_state *s, struct proto_ctx *ctx, struct cursor *c,
                        int64_t ts)
{
    uint16_t list_len;
    struct cursor l;
    size_t names = 0;
    if (cursor_u16be(c, &list_len) < 0 || cursor_sub(c, list_len, &l) < 0)
        return;
    while (cursor_left(&l) > 0) {
        uint8_t type;
        uint16_t len;
        const uint8_t *name;
        if (cursor_u8(&l, &type) < 0 || cursor_u16be(&l, &len) < 0 ||
            cursor_ptr(&l, len, &name) < 0)
            break;
        if (type != 0)
            continue;
        if (names++ == 0) {
            size_t n = len > SSL_NAME_MAX ? SSL_NAME_MAX : len;
            memcpy(s->server_name, name, n);
            s->server_name[n] = '\0';
            s->server_name_len = n;
            s->have_server_name = true;
        }
    }
    if (names > 1)
        proto_weird(ctx, "SSL_many_server_names", NULL, ts);
}

/* ALPN list: the first protocol into out (for the server: next_protocol). */
static bool ssl_ext_alpn_first(struct cursor *c, char *out, size_t *out_len)
{
    uint16_t list_len;
    uint8_t len;
    struct cursor l;
    const uint8_t *p;
    if (cursor_u16be(c, &list_len) < 0 || cursor_sub(c, list_len, &l) < 0 ||
        cursor_u8(&l, &len) < 0 || cursor_ptr(&l, len, &p) < 0)
        return false;
    memcpy(out, p, len); /* len <= 255 == SSL_NAME_MAX */
    out[len] = '\0';
    *out_len = len;
    return true;
}

static void ssl_client_ext(struct ssl_state *s, struct proto_ctx *ctx, uint16_t type,
                           struct cursor *c, int64_t ts)
{
    struct ssl_hello_fp *fp = &s->ch;
    uint16_t len16;
    uint8_t len8;
    struct cursor l;
    switch (type) {
    case EXT_SERVER_NAME:
        fp->has_sni = true;
        ssl_ext_sni(s, ctx, c, ts);
        break;
    case EXT_SUPPORTED_GROUPS:
        if (cursor_u16be(c, &len16) == 0 && cursor_sub(c, len16, &l) == 0)
            ssl_u16_list(&l, fp->groups, &fp->n_groups);
        break;
    case EXT_EC_POINT_FORMATS:
        if (cursor_u8(c, &len8) == 0 && cursor_sub(c, len8, &l) == 0)
            while (cursor_u8(&l, &len8) == 0)
                if (fp->n_point_formats < SSL_LIST_MAX)
                    fp->point_formats[fp->n_point_formats++] = len8;
        break;
    case EXT_SIGNATURE_ALGORITHMS:
        if (cursor_u16be(c, &len16) == 0 && cursor_sub(c, len16, &l) == 0)
            ssl_u16_list(&l, fp->sig_algs, &fp->n_sig_algs);
        break;
    case EXT_ALPN: {
        const uint8_t *raw;
        struct cursor peek = *c;
        size_t rl = cursor_left(&peek);
        if (cursor_ptr(&peek, rl, &raw) == 0)
            ssl_detect_alpn(s, PROTO_ORIG, raw, rl);
        fp->has_alpn = ssl_ext_alpn_first(c, fp->alpn_first, &fp->alpn_first_len);
        break;
    }
    case EXT_SESSION_TICKET:
        if (cursor_left(c) > 0)
            s->client_ticket_empty_session_seen = true;
        break;
    case EXT_PRE_SHARED_KEY:
        s->client_psk_seen = true;
        break;
    case EXT_SUPPORTED_VERSIONS:
        if (cursor_u8(c, &len8) == 0 && cursor_sub(c, len8, &l) == 0)
            while (cursor_u16be(&l, &len16) == 0)
                if (!tls_is_grease(len16) && len16 > fp->max_supported_version)
                    fp->max_supported_version = len16;
        break;
    default:
        break;
    }
}

static void ssl_server_ext(struct ssl_state *s, uint16_t type, struct cursor *c)
{
    uint16_t v;
    switch (type) {
    case EXT_SUPPORTED_VERSIONS: /* the server's choice: one version */
        if (cursor_left(c) == 2 && cursor_u16be(c, &v) == 0) {
            s->version_num = v;
            s->have_version = true;
            s->negotiated_version = v;
        }
        break;
    case EXT_KEY_SHARE: /* ServerHello: group + key; HelloRetryRequest: group only */
    case EXT_KEY_SHARE_OLD:
        if (cursor_u16be(c, &v) == 0) {
            s->curve = v;
            s->have_curve = true;
        }
        break;
    case EXT_PRE_SHARED_KEY:
        if (s->client_psk_seen)
            s->resumed = true;
        break;
    case EXT_ALPN: {
        const uint8_t *raw;
        struct cursor peek = *c;
        size_t rl = cursor_left(&peek);
        if (cursor_ptr(&peek, rl, &raw) == 0)
            ssl_detect_alpn(s, PROTO_RESP, raw, rl);
    }
        s->have_next_protocol =
            ssl_ext_alpn_first(c, s->next_protocol, &s->next_protocol_len) ||
            s->have_next_protocol;
        break;
    default:
        break;
    }
}

/* Walk the extensions block (if any); exts/n_exts collect the types in order. */
static int ssl_extensions(struct ssl_state *s, struct proto_ctx *ctx, bool client,
                          struct cursor *c, uint16_t *exts, size_t *n_exts, int64_t ts)
{
    uint16_t total;
    struct cursor all;
    if (cursor_left(c) == 0)
        return 0;
    if (cursor_u16be(c, &total) < 0 || cursor_sub(c, total, &all) < 0)
        return -1;
    while (cursor_left(&all) > 0) {
        uint16_t type, len;
        struct cursor body;
        if (cursor_u16be(&all, &type) < 0 || cursor_u16be(&all, &len) < 0 ||
            cursor_sub(&all, len, &body) < 0)
            return -1;
        if (*n_exts < SSL_LIST_MAX)
            exts[(*n_exts)++] = type;
        if (client)
            ssl_client_ext(s, ctx, type, &body, ts);
        else
            ssl_server_ext(s, type, &body);
    }
    return 0;
}

/* ---- fingerprints ---- */

static void ssl_ja3(struct ssl_state *s)
{
    const struct ssl_hello_fp *fp = &s->ch;
    char buf[4096];
    struct sbuf b = {buf, 0, sizeof(buf)};
    buf[0] = '\0';
    sb_num(&b, "", fp->version, false);
    sb_put(&b, ",");
    sb_list16(&b, fp->ciphers, fp->n_ciphers);
    sb_put(&b, ",");
    sb_list16(&b, fp->exts, fp->n_exts);
    sb_put(&b, ",");
    sb_list16(&b, fp->groups, fp->n_groups);
    sb_put(&b, ",");
    for (size_t i = 0; i < fp->n_point_formats; i++)
        sb_num(&b, i ? "-" : "", fp->point_formats[i], false);
    tls_hash_hex("MD5", buf, b.len, s->ja3, sizeof(s->ja3));
    s->have_ja3 = true;
    free(s->ja3_str);
    s->ja3_str = strndup(buf, b.len);
}

static const char *ssl_ja4_version(uint16_t v)
{
    switch (v) {
    case 0x0304: return "13";
    case 0x0303: return "12";
    case 0x0302: return "11";
    case 0x0301: return "10";
    case 0x0300: return "s3";
    case 0x0002: return "s2";
    case 0xFEFF: return "d1";
    case 0xFEFD: return "d2";
    case 0xFEFC: return "d3";
    default: return "00";
    }
}

static int ssl_u16_cmp(const void *a, const void *b)
{
    uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;
    return (x > y) - (x < y);
}

static bool ssl_alnum(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* JA4 part a's last two characters: the first ALPN value's first and last. */
static void ssl_ja4_alpn(const struct ssl_hello_fp *fp, char out[3])
{
    if (!fp->has_alpn || fp->alpn_first_len == 0) {
        memcpy(out, "00", 3);
        return;
    }
    char f = fp->alpn_first[0], l = fp->alpn_first[fp->alpn_first_len - 1];
    if (ssl_alnum(f) && ssl_alnum(l)) {
        out[0] = f;
        out[1] = l;
    } else {
        static const char hx[] = "0123456789abcdef";
        out[0] = hx[(uint8_t)f >> 4];
        out[1] = hx[(uint8_t)l & 15];
    }
    out[2] = '\0';
}

/* Sorted non-GREASE values (minus SNI and ALPN when drop_sni_alpn) as 4-hex, SHA-256/12. */
static void ssl_ja4_hash(const uint16_t *v, size_t n, bool drop_sni_alpn, const uint16_t *sig,
                         size_t n_sig, char out[13])
{
    uint16_t tmp[SSL_LIST_MAX];
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (tls_is_grease(v[i]) || (drop_sni_alpn && (v[i] == EXT_SERVER_NAME || v[i] == EXT_ALPN)))
            continue;
        tmp[k++] = v[i];
    }
    if (k == 0) {
        memcpy(out, "000000000000", 13);
        return;
    }
    if (k > 0)
        qsort(tmp, k, sizeof(tmp[0]), ssl_u16_cmp);
    char buf[2048];
    struct sbuf b = {buf, 0, sizeof(buf)};
    buf[0] = '\0';
    for (size_t i = 0; i < k; i++)
        sb_num(&b, i ? "," : "", tmp[i], true);
    bool first = true;
    for (size_t i = 0; i < n_sig; i++) {
        if (tls_is_grease(sig[i]))
            continue;
        sb_num(&b, first ? "_" : ",", sig[i], true);
        first = false;
    }
    char full[65];
    tls_hash_hex("SHA256", buf, b.len, full, sizeof(full));
    memcpy(out, full, 12);
    out[12] = '\0';
}

static size_t ssl_count_nongrease(const uint16_t *v, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += !tls_is_grease(v[i]);
    return k > 99 ? 99 : k;
}

static void ssl_ja4(struct ssl_state *s)
{
    const struct ssl_hello_fp *fp = &s->ch;
    char alpn[3], b[13], c[13];
    uint16_t v = fp->max_supported_version ? fp->max_supported_version : fp->version;
    ssl_ja4_alpn(fp, alpn);
    ssl_ja4_hash(fp->ciphers, fp->n_ciphers, false, NULL, 0, b);
    ssl_ja4_hash(fp->exts, fp->n_exts, true, fp->sig_algs, fp->n_sig_algs, c);
    snprintf(s->ja4, sizeof(s->ja4), "t%s%c%02zu%02zu%s_%s_%s", ssl_ja4_version(v),
             fp->has_sni ? 'd' : 'i', ssl_count_nongrease(fp->ciphers, fp->n_ciphers),
             ssl_count_nongrease(fp->exts, fp->n_exts), alpn, b, c);
    s->have_ja4 = true;
}

static void ssl_ja3s(struct ssl_state *s, uint16_t version, uint16_t cipher,
                     const uint16_t *exts, size_t n_exts)
{
    char buf[2048];
    struct sbuf b = {buf, 0, sizeof(buf)};
    buf[0] = '\0';
    sb_num(&b, "", version, false);
    sb_num(&b, ",", cipher, false);
    sb_put(&b, ",");
    sb_list16(&b, exts, n_exts);
    tls_hash_hex("MD5", buf, b.len, s->ja3s, sizeof(s->ja3s));
    s->have_ja3s = true;
    free(s->ja3s_str);
    s->ja3s_str = strndup(buf, b.len);
}

/* ---- hellos ---- */

static bool ssl_client_version_ok(uint16_t v)
{
    return v == 0x0002 || (v >= 0x0300 && v <= 0x0304) || (v >> 8) == 0x7F || v == 0xFEFF ||
           v == 0xFEFD || v == 0xFEFC;
}

/* Zeek's ssl_client_hello handler, after the extension events. */
static void ssl_client_hello_done(struct ssl_state *s, struct proto_ctx *ctx,
                                  const uint8_t *sid, size_t sid_len)
{
    static const uint8_t zeros[32];
    if (sid_len > 0 && !(sid_len == 32 && memcmp(sid, zeros, 32) == 0)) {
        ssl_hex(sid, sid_len, s->session_id, sizeof(s->session_id));
        s->have_session_id = true;
        s->client_ticket_empty_session_seen = false;
    }
    s->client_hello_seen = true;
    ssl_ja3(s);
    ssl_ja4(s);
    if (ssl_client_version_ok(s->ch.version) && !s->confirmed) {
        s->confirmed = true;
        proto_confirm(ctx);
    }
}

static int ssl_client_hello(struct ssl_state *s, struct proto_ctx *ctx, struct cursor *c,
                            int64_t ts)
{
    struct ssl_hello_fp *fp = &s->ch;
    uint8_t sid_len, comp_len;
    uint16_t cs_len;
    const uint8_t *sid, *random;
    struct cursor cs, comp;
    memset(fp, 0, sizeof(*fp));
    s->alpn_len[PROTO_ORIG] = 0;
    if (cursor_u16be(c, &fp->version) < 0 || cursor_ptr(c, 32, &random) < 0 ||
        cursor_u8(c, &sid_len) < 0 || sid_len > 32 || cursor_ptr(c, sid_len, &sid) < 0 ||
        cursor_u16be(c, &cs_len) < 0 || cs_len < 2 || cs_len % 2 ||
        cursor_sub(c, cs_len, &cs) < 0 || cursor_u8(c, &comp_len) < 0 || comp_len == 0 ||
        cursor_sub(c, comp_len, &comp) < 0)
        return -1;
    ssl_u16_list(&cs, fp->ciphers, &fp->n_ciphers);
    if (ssl_extensions(s, ctx, true, c, fp->exts, &fp->n_exts, ts) < 0)
        return -1;
    ssl_client_hello_done(s, ctx, sid, sid_len);
    memcpy(s->random[PROTO_ORIG], random, 32);
    s->have_random[PROTO_ORIG] = true;
    s->hello_version[PROTO_ORIG] = fp->version;
    ssl_detect_hello(s, ctx, PROTO_ORIG);
    return 0;
}

void ssl_v2_client_hello(struct ssl_state *s, struct proto_ctx *ctx, uint16_t version,
                         struct cursor *c, int64_t ts)
{
    struct ssl_hello_fp *fp = &s->ch;
    uint16_t cs_len, sid_len, chal_len;
    const uint8_t *sid;
    struct cursor cs;
    memset(fp, 0, sizeof(*fp));
    fp->version = version;
    if (cursor_u16be(c, &cs_len) < 0 || cursor_u16be(c, &sid_len) < 0 ||
        cursor_u16be(c, &chal_len) < 0 || cursor_sub(c, cs_len, &cs) < 0 ||
        cursor_ptr(c, sid_len, &sid) < 0 || cursor_skip(c, chal_len) < 0) {
        proto_weird(ctx, "SSL_v2_client_hello_malformed", NULL, ts);
        return;
    }
    uint32_t v;
    while (cursor_u24be(&cs, &v) == 0)
        if (v <= 0xFFFF && fp->n_ciphers < SSL_LIST_MAX) /* SSLv3+ suites as 0x00XXXX */
            fp->ciphers[fp->n_ciphers++] = (uint16_t)v;
    ssl_history_add(s, ctx, true, 'c', ts);
    ssl_client_hello_done(s, ctx, sid, sid_len > 32 ? 32 : sid_len);
}

/* Zeek's ssl_server_hello handler, after the extension events. */
static void ssl_server_hello_done(struct ssl_state *s, uint16_t version, const uint8_t *random,
                                  const uint8_t *sid, size_t sid_len, uint16_t cipher)
{
    if (!s->have_version) {
        s->version_num = version;
        s->have_version = true;
    }
    s->negotiated_version = s->version_num;
    s->cipher = cipher;
    s->have_cipher = true;
    if (memcmp(random, ssl_hrr_random, 32) == 0)
        s->hrr_seen = true;
    char hex[65];
    ssl_hex(sid, sid_len, hex, sizeof(hex));
    /* Zeek's test, including its division by 0xFF for the draft versions. */
    if (s->have_session_id && strcmp(s->session_id, hex) == 0 &&
        s->version_num / 0xFF != 0x7F && s->version_num != 0x0304)
        s->resumed = true;
}

static int ssl_server_hello(struct ssl_state *s, struct proto_ctx *ctx, struct cursor *c,
                            int64_t ts)
{
    uint16_t version, cipher;
    const uint8_t *random, *sid = NULL;
    uint8_t sid_len = 0, comp;
    uint16_t exts[SSL_LIST_MAX];
    size_t n_exts = 0;
    if (cursor_u16be(c, &version) < 0 || cursor_ptr(c, 32, &random) < 0)
        return -1;
    /* TLS 1.3 drafts before 22 dropped session id and compression. */
    bool old_draft = (version >> 8) == 0x7F && (version & 0xFF) < 22;
    if (!old_draft && (cursor_u8(c, &sid_len) < 0 || sid_len > 32 ||
                       cursor_ptr(c, sid_len, &sid) < 0))
        return -1;
    if (cursor_u16be(c, &cipher) < 0 || (!old_draft && cursor_u8(c, &comp) < 0))
        return -1;
    if (ssl_extensions(s, ctx, false, c, exts, &n_exts, ts) < 0)
        return -1;
    ssl_server_hello_done(s, version, random, sid ? sid : random, sid_len, cipher);
    ssl_ja3s(s, version, cipher, exts, n_exts);
    memcpy(s->random[PROTO_RESP], random, 32);
    s->have_random[PROTO_RESP] = true;
    s->hello_version[PROTO_RESP] = s->version_num;
    ssl_detect_hello(s, ctx, PROTO_RESP);
    return 0;
}

/* ---- certificates and key exchange ---- */

static void ssl_certificates(struct ssl_state *s, struct proto_ctx *ctx, bool is_client,
                             struct cursor *c, int64_t ts)
{
    uint32_t total;
    struct cursor all;
    if (ssl_is_tls13(s->negotiated_version)) { /* TLS 1.3: request context first */
        uint8_t ctx_len;
        if (cursor_u8(c, &ctx_len) < 0 || cursor_skip(c, ctx_len) < 0)
            return;
    }
    if (cursor_u24be(c, &total) < 0 || cursor_sub(c, total, &all) < 0)
        return;
    const uint8_t *ders[SSL_CHAIN_MAX];
    size_t der_lens[SSL_CHAIN_MAX], n_certs = 0, chain_len = 0;
    char fp0[65] = ""; /* the first certificate's SHA-256 */
    for (size_t i = 0; cursor_left(&all) > 0; i++) {
        uint32_t len;
        const uint8_t *der;
        if (cursor_u24be(&all, &len) < 0 || cursor_ptr(&all, len, &der) < 0) {
            proto_weird(ctx, "SSL_certificate_list_malformed", NULL, ts);
            return;
        }
        if (ssl_is_tls13(s->negotiated_version)) { /* per-certificate extensions */
            uint16_t elen;
            if (cursor_u16be(&all, &elen) < 0 || cursor_skip(&all, elen) < 0)
                return;
        }
        if (n_certs < SSL_CHAIN_MAX) {
            ders[n_certs] = der;
            der_lens[n_certs++] = len;
        }
        s->chain_set = true;
        char fp[65];
        bool host = i == 0; /* Zeek: the first of any chain, client chains too */
        x509_cert_seen(ctx, der, len, host, is_client, ts, fp);
        if (host)
            memcpy(fp0, fp, sizeof(fp0));
        if (is_client && s->n_client_fps < SSL_CHAIN_MAX)
            memcpy(s->client_fps[s->n_client_fps++], fp, 65);
        if (!is_client && s->n_fps < SSL_CHAIN_MAX)
            memcpy(s->fps[s->n_fps++], fp, 65);
        if (host && !is_client && !s->host_cert && (s->host_cert = malloc(len ? len : 1))) {
            memcpy(s->host_cert, der, len);
            s->host_cert_len = len;
        }
        chain_len = i + 1;
    }
    ssl_detect_certs(s, ctx, is_client ? PROTO_ORIG : PROTO_RESP, ders, der_lens, n_certs,
                     chain_len, fp0);
}

/* ServerKeyExchange: the named curve of ECDHE parameters (RFC 8422 5.4). */
static void ssl_server_key_exchange(struct ssl_state *s, struct cursor *c)
{
    char buf[32];
    uint8_t curve_type;
    uint16_t curve;
    if (!s->have_cipher || !strstr(tls_cipher_name(s->cipher, buf, sizeof(buf)), "_ECDH"))
        return;
    if (cursor_u8(c, &curve_type) < 0 || curve_type != 3 || cursor_u16be(c, &curve) < 0)
        return;
    s->curve = curve;
    s->have_curve = true;
}

/* Zeek's history letter of a handshake message type (main.zeek ssl_handshake_message). */
static char ssl_history_letter(struct ssl_state *s, uint8_t type)
{
    static const char letters[] = {
        [0] = 'h', [1] = 'c', [3] = 'v', [4] = 't', [5] = 'e', [6] = 'j', [8] = 'o',
        [11] = 'x', [12] = 'k', [13] = 'r', [14] = 'n', [15] = 'y', [16] = 'g',
        [20] = 'f', [21] = 'w', [22] = 'u', [23] = 'a', [24] = 'p',
    };
    if (type == 2) {
        if (s->hrr_seen) {
            s->hrr_seen = false;
            return 'j';
        }
        return 's';
    }
    if (type == 254)
        return 'm';
    if (type < sizeof(letters) && letters[type])
        return letters[type];
    return 'z';
}

static void (*ssl_ocsp_sink)(struct proto_ctx *ctx, const uint8_t *der, size_t len, bool is_orig,
                             int64_t ts);

void ssl_ocsp_sink_set(void (*fn)(struct proto_ctx *ctx, const uint8_t *der, size_t len,
                                  bool is_orig, int64_t ts))
{
    ssl_ocsp_sink = fn;
}

/* certificate_status (RFC 6066 §8): status_type 1 (ocsp), a 24-bit length,
 * the OCSP response - handed to file extraction (Zeek's files.log, source SSL). */
static void ssl_certificate_status(struct proto_ctx *ctx, bool is_client, struct cursor *body,
                                   int64_t ts)
{
    uint8_t st;
    uint32_t n;
    const uint8_t *p;
    if (!ssl_ocsp_sink || cursor_u8(body, &st) < 0 || st != 1 || cursor_u24be(body, &n) < 0 ||
        cursor_ptr(body, n, &p) < 0)
        return;
    ssl_ocsp_sink(ctx, p, n, is_client, ts);
}

void ssl_handshake_message(struct ssl_state *s, struct proto_ctx *ctx, enum proto_dir dir,
                           uint8_t type, struct cursor *body, int64_t ts)
{
    bool is_client = dir == PROTO_ORIG;
    int rc = 0;
    ssl_session_set(s, ts);
    switch (type) {
    case 1:
        if (is_client)
            rc = ssl_client_hello(s, ctx, body, ts);
        break;
    case 2:
        if (!is_client)
            rc = ssl_server_hello(s, ctx, body, ts);
        break;
    case 11:
        ssl_certificates(s, ctx, is_client, body, ts);
        break;
    case 12:
        if (!is_client)
            ssl_server_key_exchange(s, body);
        break;
    case 16:
        if (is_client)
            s->client_key_exchange_seen = true;
        break;
    case 22:
        ssl_certificate_status(ctx, is_client, body, ts);
        break;
    default:
        break;
    }
    if (rc < 0)
        proto_weird(ctx, type == 1 ? "SSL_client_hello_malformed" : "SSL_server_hello_malformed",
                    NULL, ts);
    ssl_history_add(s, ctx, is_client, ssl_history_letter(s, type), ts);
}
