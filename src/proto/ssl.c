/*
 * ssl.c - the TLS/SSL parser ("ssl"): record layer, encryption tracking,
 * the session's state and ssl.log.
 *
 * Owns the parser descriptor (probe, state, parse, free), the record layer
 * of each direction (records reassembled across chunks, capped at
 * SSL_RECORD_MAX) and ssl.log.  Handshake messages (reassembled across
 * records) are decoded in ssl_hello.c, certificates in x509.c, names of
 * wire values in tls_names.c.
 *
 * Specs: RFC 6101 (SSLv3), RFC 2246/4346/5246 (TLS 1.0-1.2), RFC 8446
 * (TLS 1.3), RFC 6066 (SNI), RFC 7301 (ALPN), RFC 5246 appendix E.2
 * (SSLv2-compatible ClientHello).  Log: Zeek 8's ssl.log as written by
 * base/protocols/ssl/main.zeek (field list of the corpus's *.zeek8-ssl.log)
 * followed by community_id, ja3, ja3s and ja4 (docs/logs/ssl.md).
 *
 * Encryption tracking is Zeek's: a side is encrypted after its
 * ChangeCipherSpec (TLS <= 1.2), or after its first application_data
 * record once TLS 1.3 was negotiated; the first record that arrives
 * encrypted while both sides are encrypted makes the session established,
 * writes the ssl.log row and ends parsing (Zeek's
 * SSL::disable_analyzer_after_detection).  A session that never gets there
 * is written when it ends (or on a protocol violation).
 *
 *   record header (5) ──► body ──► plaintext?  CCS: 'i', encrypted
 *                                              alert: 'l', last_alert
 *                                              handshake: reassemble ──► ssl_hello.c
 *                                   ciphertext: both encrypted? ──► established, log, DONE
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/ssl_int.h"

/* ---- ssl.log ---- */

struct ssl_record {
    struct record_hdr hdr;
    int64_t ts;
    struct rstr uid;
    struct raddr orig_h;
    uint64_t orig_p;
    struct raddr resp_h;
    uint64_t resp_p;
    struct rstr version, cipher, curve, server_name;
    bool resumed;
    struct rstr last_alert, next_protocol;
    bool established;
    struct rstr ssl_history;
    struct rstrvec cert_chain_fps, client_cert_chain_fps;
    bool sni_matches_cert;
    struct rstr community_id, ja3, ja3s, ja4;
};

enum ssl_field {
    SF_TS, SF_UID, SF_ORIG_H, SF_ORIG_P, SF_RESP_H, SF_RESP_P, SF_VERSION, SF_CIPHER, SF_CURVE,
    SF_SERVER_NAME, SF_RESUMED, SF_LAST_ALERT, SF_NEXT_PROTOCOL, SF_ESTABLISHED, SF_HISTORY,
    SF_CERT_FPS, SF_CLIENT_FPS, SF_SNI_MATCHES, SF_COMMUNITY_ID, SF_JA3, SF_JA3S, SF_JA4, SF_N
};

#define F(name, type, member) {name, type, offsetof(struct ssl_record, member)}

static const struct record_field ssl_fields[SF_N] = {
    F("ts", RT_TIME, ts),
    F("uid", RT_STRING, uid),
    F("id.orig_h", RT_ADDR, orig_h),
    F("id.orig_p", RT_PORT, orig_p),
    F("id.resp_h", RT_ADDR, resp_h),
    F("id.resp_p", RT_PORT, resp_p),
    F("version", RT_STRING, version),
    F("cipher", RT_STRING, cipher),
    F("curve", RT_STRING, curve),
    F("server_name", RT_STRING, server_name),
    F("resumed", RT_BOOL, resumed),
    F("last_alert", RT_STRING, last_alert),
    F("next_protocol", RT_STRING, next_protocol),
    F("established", RT_BOOL, established),
    F("ssl_history", RT_STRING, ssl_history),
    F("cert_chain_fps", RT_VEC_STRING, cert_chain_fps),
    F("client_cert_chain_fps", RT_VEC_STRING, client_cert_chain_fps),
    F("sni_matches_cert", RT_BOOL, sni_matches_cert),
    F("community_id", RT_STRING, community_id),
    F("ja3", RT_STRING, ja3),
    F("ja3s", RT_STRING, ja3s),
    F("ja4", RT_STRING, ja4),
};

const struct record_type ssl_record_type = {
    .path = "ssl",
    .fields = ssl_fields,
    .n_fields = SF_N,
    .size = sizeof(struct ssl_record),
};

static struct rstr ssl_rs(const char *p, size_t len)
{
    struct rstr r = {p, len};
    return r;
}

static struct rstr ssl_rsz(const char *p)
{
    return ssl_rs(p, strlen(p));
}

/* Zeek's sni_matches_cert (ssl_finishing hook): host certificate and SNI both present. */
static int ssl_sni_matches(const struct ssl_state *s)
{
    if (!s->have_server_name || !s->host_cert)
        return -1;
    return x509_check_hostname(s->host_cert, s->host_cert_len, s->server_name,
                               s->server_name_len);
}

static void ssl_fill_names(const struct ssl_state *s, struct ssl_record *r, char bufs[4][32])
{
    if (s->have_version) {
        r->version = ssl_rsz(tls_version_name(s->version_num, bufs[0], sizeof(bufs[0])));
        record_set_unset(&r->hdr, SF_VERSION, false);
    }
    if (s->have_cipher) {
        r->cipher = ssl_rsz(tls_cipher_name(s->cipher, bufs[1], sizeof(bufs[1])));
        record_set_unset(&r->hdr, SF_CIPHER, false);
    }
    if (s->have_curve) {
        r->curve = ssl_rsz(tls_group_name(s->curve, bufs[2], sizeof(bufs[2])));
        record_set_unset(&r->hdr, SF_CURVE, false);
    }
    if (s->have_last_alert) {
        r->last_alert = ssl_rsz(tls_alert_name(s->last_alert, bufs[3], sizeof(bufs[3])));
        record_set_unset(&r->hdr, SF_LAST_ALERT, false);
    }
}

/* Write the ssl.log row (Zeek's finish(): once per session). */
static void ssl_log(struct ssl_state *s, struct proto_ctx *ctx)
{
    if (s->logged || !s->session)
        return;
    s->logged = true;
    struct ssl_record r;
    memset(&r, 0, sizeof(r));
    r.hdr.type = &ssl_record_type;
    for (size_t i = 0; i < SF_N; i++)
        record_set_unset(&r.hdr, i, true);
    const struct proto_conn *pc = proto_conn(ctx);
    struct proto_id id;
    proto_fill_id(ctx, &id);
    r.ts = s->ts;
    r.uid = ssl_rsz(pc->uid ? pc->uid : "");
    r.orig_h = id.orig_h;
    r.orig_p = id.orig_p;
    r.resp_h = id.resp_h;
    r.resp_p = id.resp_p;
    for (size_t i = SF_TS; i <= SF_RESP_P; i++)
        record_set_unset(&r.hdr, i, false);
    char bufs[4][32];
    ssl_fill_names(s, &r, bufs);
    if (s->have_server_name) {
        r.server_name = ssl_rs(s->server_name, s->server_name_len);
        record_set_unset(&r.hdr, SF_SERVER_NAME, false);
    }
    r.resumed = s->resumed;
    record_set_unset(&r.hdr, SF_RESUMED, false);
    if (s->have_next_protocol) {
        r.next_protocol = ssl_rs(s->next_protocol, s->next_protocol_len);
        record_set_unset(&r.hdr, SF_NEXT_PROTOCOL, false);
    }
    r.established = s->established;
    record_set_unset(&r.hdr, SF_ESTABLISHED, false);
    r.ssl_history = ssl_rs(s->history, s->history_len);
    record_set_unset(&r.hdr, SF_HISTORY, false);
    struct rstr fps[SSL_CHAIN_MAX], cfps[SSL_CHAIN_MAX];
    if (s->chain_set) {
        for (size_t i = 0; i < s->n_fps; i++)
            fps[i] = ssl_rsz(s->fps[i]);
        for (size_t i = 0; i < s->n_client_fps; i++)
            cfps[i] = ssl_rsz(s->client_fps[i]);
        r.cert_chain_fps.v = fps;
        r.cert_chain_fps.n = s->n_fps;
        r.client_cert_chain_fps.v = cfps;
        r.client_cert_chain_fps.n = s->n_client_fps;
        record_set_unset(&r.hdr, SF_CERT_FPS, false);
        record_set_unset(&r.hdr, SF_CLIENT_FPS, false);
    }
    int m = ssl_sni_matches(s);
    if (m >= 0) {
        r.sni_matches_cert = m == 1;
        record_set_unset(&r.hdr, SF_SNI_MATCHES, false);
    }
    if (pc->community_id) {
        r.community_id = ssl_rsz(pc->community_id);
        record_set_unset(&r.hdr, SF_COMMUNITY_ID, false);
    }
    if (s->have_ja3) {
        r.ja3 = ssl_rsz(s->ja3);
        record_set_unset(&r.hdr, SF_JA3, false);
    }
    if (s->have_ja3s) {
        r.ja3s = ssl_rsz(s->ja3s);
        record_set_unset(&r.hdr, SF_JA3S, false);
    }
    if (s->have_ja4) {
        r.ja4 = ssl_rsz(s->ja4);
        record_set_unset(&r.hdr, SF_JA4, false);
    }
    proto_emit(ctx, &r.hdr);
}

/* ---- session helpers shared with ssl_hello.c ---- */

void ssl_session_set(struct ssl_state *s, int64_t ts)
{
    if (!s->session) {
        s->session = true;
        s->ts = ts;
    }
}

/* Zeek's add_to_history(): client letters upper case, server lower case. */
void ssl_history_add(struct ssl_state *s, struct proto_ctx *ctx, bool is_client, char c,
                     int64_t ts)
{
    if (s->history_len >= SSL_HISTORY_MAX)
        return;
    if (is_client && c >= 'a' && c <= 'z')
        c = (char)(c - 'a' + 'A');
    s->history[s->history_len++] = c;
    s->history[s->history_len] = '\0';
    if (s->history_len == SSL_HISTORY_MAX)
        proto_weird(ctx, "SSL_max_ssl_history_length_reached", NULL, ts);
}

/* Anything but SSLv2..TLS 1.2 counts as TLS 1.3 once negotiated (Zeek's determine_state). */
bool ssl_is_tls13(uint16_t v)
{
    return v != 0 && v != 0x0002 && v != 0x0300 && v != 0x0301 && v != 0x0302 && v != 0x0303;
}

/* ---- record layer ---- */

static bool ssl_version_ok_record(uint16_t v)
{
    return v == 0x0300 || v == 0x0301 || v == 0x0302 || v == 0x0303;
}

/*
 * Zeek's determine_ssl_record_layer(): the record's version and whether
 * the stream is still SSL.  Returns 0 and sets *v2 for SSLv2 framing, -1
 * when the header is not SSL/TLS (a protocol violation).
 */
static int ssl_record_check(struct ssl_state *s, const uint8_t h[5], bool is_orig, bool *v2)
{
    *v2 = false;
    if (s->record_layer_version && !s->sslv2) {
        uint16_t v = (uint16_t)(h[1] << 8 | h[2]);
        return ssl_version_ok_record(v) ? 0 : -1;
    }
    if (s->sslv2) {
        *v2 = true;
        return 0;
    }
    if (h[0] & 0x80) {
        uint16_t v = (uint16_t)(h[3] << 8 | h[4]);
        if (h[2] == 0x01 && is_orig && (v == 0x0002 || ssl_version_ok_record(v))) {
            *v2 = true;
            return 0;
        }
        if (h[2] == 0x04 && h[4] < 2 && !is_orig) {
            s->sslv2 = true;
            s->record_layer_version = 0x0002;
            *v2 = true;
            return 0;
        }
        return -1;
    }
    uint16_t v = (uint16_t)(h[1] << 8 | h[2]);
    if (!ssl_version_ok_record(v) || h[0] < 20 || h[0] > 30)
        return -1;
    s->record_layer_version = v;
    return 0;
}

/* An encrypted record: the session may now be established. */
static enum proto_result ssl_ciphertext(struct ssl_state *s, struct proto_ctx *ctx)
{
    if (s->dir[0].encrypted && s->dir[1].encrypted && !s->established) {
        s->established = true;
        ssl_log(s, ctx);
        proto_encrypted(ctx); /* parsing ends here: application data from now on */
        return PROTO_DONE;
    }
    return PROTO_OK;
}

static void ssl_alerts(struct ssl_state *s, struct proto_ctx *ctx, bool is_client,
                       struct cursor *c, int64_t ts)
{
    size_t max = ssl_is_tls13(s->negotiated_version) ? 1 : SSL_ALERTS_MAX;
    size_t n = cursor_left(c) / 2;
    if (n > max) {
        char addl[24];
        snprintf(addl, sizeof(addl), "%zu", n);
        proto_weird(ctx, "SSL_excessive_alerts_in_record", addl, ts);
        n = max;
    }
    for (size_t i = 0; i < n; i++) {
        uint8_t level, desc;
        if (cursor_u8(c, &level) < 0 || cursor_u8(c, &desc) < 0)
            break;
        ssl_history_add(s, ctx, is_client, 'l', ts);
        s->last_alert = desc;
        s->have_last_alert = true;
    }
}

/* Handshake bytes of one record: reassemble and hand on whole messages. */
static void ssl_handshake_bytes(struct ssl_state *s, struct proto_ctx *ctx, enum proto_dir d,
                                const uint8_t *p, size_t n, int64_t ts)
{
    struct ssl_dir *sd = &s->dir[d];
    if (sd->hs_dead || n == 0) /* nothing new: the whole messages before went on already */
        return;
    if (sd->hs_len + n > sd->hs_cap) {
        size_t cap = sd->hs_cap ? sd->hs_cap : 4096;
        while (cap < sd->hs_len + n)
            cap *= 2;
        if (cap > SSL_HS_MAX + 4) {
            proto_weird(ctx, "SSL_handshake_message_too_large", NULL, ts);
            sd->hs_dead = true;
            return;
        }
        uint8_t *nb = realloc(sd->hs, cap);
        if (!nb) {
            sd->hs_dead = true;
            return;
        }
        sd->hs = nb;
        sd->hs_cap = cap;
    }
    memcpy(sd->hs + sd->hs_len, p, n);
    sd->hs_len += n;
    size_t off = 0;
    for (;;) {
        struct cursor c;
        cursor_init(&c, sd->hs + off, sd->hs_len - off);
        uint8_t type;
        uint32_t len;
        struct cursor body;
        if (cursor_u8(&c, &type) < 0 || cursor_u24be(&c, &len) < 0)
            break;
        if (len > SSL_HS_MAX) {
            proto_weird(ctx, "SSL_handshake_message_too_large", NULL, ts);
            sd->hs_dead = true;
            sd->hs_len = 0;
            return;
        }
        if (cursor_sub(&c, len, &body) < 0)
            break;
        off += 4 + (size_t)len;
        ssl_handshake_message(s, ctx, d, type, &body, ts);
    }
    if (off > 0) {
        memmove(sd->hs, sd->hs + off, sd->hs_len - off);
        sd->hs_len -= off;
    }
}

/* SSLv2 records (RFC 6101 appendix E / SSLv2 spec): only what Zeek reads of them. */
static enum proto_result ssl_v2_record(struct ssl_state *s, struct proto_ctx *ctx,
                                       const uint8_t h[5], struct cursor *body, int64_t ts)
{
    ssl_session_set(s, ts);
    if (h[2] == 0x01) { /* CLIENT-HELLO: version in head3/4, the rest in the body */
        ssl_v2_client_hello(s, ctx, (uint16_t)(h[3] << 8 | h[4]), body, ts);
        return PROTO_OK;
    }
    if (h[2] == 0x04) { /* SERVER-HELLO */
        s->version_num = 0x0002;
        s->have_version = true;
        s->negotiated_version = 0x0002;
        ssl_history_add(s, ctx, false, 's', ts);
        return PROTO_OK;
    }
    if (h[2] == 0x02) { /* CLIENT-MASTER-KEY: encryption starts on both sides */
        s->dir[0].encrypted = s->dir[1].encrypted = true;
        proto_encrypted(ctx);
        if (!s->established) {
            s->established = true;
            ssl_log(s, ctx);
            return PROTO_DONE;
        }
    }
    return PROTO_OK;
}

static enum proto_result ssl_record(struct ssl_state *s, struct proto_ctx *ctx, enum proto_dir d,
                                    const uint8_t h[5], bool v2, struct cursor *body, int64_t ts)
{
    bool is_client = d == PROTO_ORIG;
    if (v2)
        return ssl_v2_record(s, ctx, h, body, ts);
    uint8_t ct = h[0];
    struct ssl_dir *sd = &s->dir[d];
    if (!sd->encrypted && ct == 23 && ssl_is_tls13(s->negotiated_version))
        sd->encrypted = true;
    if (ct == 23 && s->have_version) /* application data after the ServerHello (not 0-RTT */
        proto_encrypted(ctx);        /* early data): the signature engine stops here */
    if (sd->encrypted)
        return ssl_ciphertext(s, ctx);
    switch (ct) {
    case 20: /* change_cipher_spec */
        ssl_session_set(s, ts);
        if (cursor_left(body) != 1)
            return PROTO_OK;
        if (!ssl_is_tls13(s->negotiated_version))
            sd->encrypted = true;
        ssl_history_add(s, ctx, is_client, 'i', ts);
        if (is_client && s->client_ticket_empty_session_seen && !s->client_key_exchange_seen)
            s->resumed = true;
        return PROTO_OK;
    case 21: /* alert */
        ssl_session_set(s, ts);
        ssl_alerts(s, ctx, is_client, body, ts);
        return PROTO_OK;
    case 22: /* handshake */
        ssl_handshake_bytes(s, ctx, d, body->p, cursor_left(body), ts);
        return PROTO_OK;
    case 23: /* application data in the clear: Zeek's ssl_early_application_data */
        ssl_session_set(s, ts);
        if (s->have_version && !s->established)
            proto_weird(ctx, "ssl_early_application_data", NULL, ts);
        return PROTO_OK;
    case 24: /* heartbeat */
        ssl_session_set(s, ts);
        ssl_history_add(s, ctx, is_client, 'b', ts);
        return PROTO_OK;
    default:
        return PROTO_ERROR; /* Zeek: "unknown SSL record type" violation */
    }
}

/* Header fields of a record: body length (-1: not SSL). */
static long ssl_record_len(struct ssl_state *s, const uint8_t h[5], bool is_orig, bool *v2)
{
    if (ssl_record_check(s, h, is_orig, v2) < 0)
        return -1;
    long len = *v2 ? (long)(((h[0] & 0x7f) << 8) | h[1]) - 3 : (long)(h[3] << 8 | h[4]);
    if (len < 0 || len > SSL_RECORD_MAX)
        return -1;
    return len;
}

/* Take up to n bytes of in into the record buffer; true when it holds want bytes. */
static bool ssl_fill(struct ssl_dir *sd, struct cursor *in, size_t want)
{
    size_t take = want - sd->rec_len;
    if (take > cursor_left(in))
        take = cursor_left(in);
    cursor_bytes(in, sd->rec + sd->rec_len, take);
    sd->rec_len += take;
    return sd->rec_len == want;
}

static enum proto_result ssl_parse(void *state, struct proto_ctx *ctx, enum proto_dir d,
                                   const uint8_t *data, size_t len, int64_t ts)
{
    struct ssl_state *s = state;
    struct ssl_dir *sd = &s->dir[d];
    bool is_orig = d == PROTO_ORIG;
    enum proto_result r = PROTO_OK;
    struct cursor in, body;
    /* Bytes held for a hole arrive with their own (earlier) packet time, after
     * the packet that filled the hole: Zeek parses them at network_time, the
     * latest packet's time (an x509 row's ts is when its file was seen). */
    if (ts < s->now)
        ts = s->now;
    s->now = ts;
    cursor_init(&in, data, len);
    while (cursor_left(&in) > 0) {
        bool v2;
        long blen;
        if (sd->rec_len == 0 && cursor_left(&in) >= 5) { /* fast path: no copy */
            if ((blen = ssl_record_len(s, in.p, is_orig, &v2)) < 0)
                goto violation;
            if (cursor_left(&in) >= 5 + (size_t)blen) {
                const uint8_t *h;
                cursor_ptr(&in, 5, &h);
                cursor_sub(&in, (size_t)blen, &body);
                if ((r = ssl_record(s, ctx, d, h, v2, &body, ts)) != PROTO_OK)
                    goto stop;
                continue;
            }
        }
        if (!sd->rec && !(sd->rec = malloc(5 + SSL_RECORD_MAX)))
            return PROTO_ERROR;
        if (sd->rec_len < 5 && !ssl_fill(sd, &in, 5))
            break;
        if ((blen = ssl_record_len(s, sd->rec, is_orig, &v2)) < 0)
            goto violation;
        if (!ssl_fill(sd, &in, 5 + (size_t)blen))
            break;
        cursor_init(&body, sd->rec + 5, (size_t)blen);
        sd->rec_len = 0;
        if ((r = ssl_record(s, ctx, d, sd->rec, v2, &body, ts)) != PROTO_OK)
            goto stop;
    }
    return PROTO_OK;
stop:
    if (r == PROTO_DONE)
        return PROTO_DONE;
violation:
    ssl_log(s, ctx);
    return PROTO_ERROR;
}

/* ---- detection (Zeek's dpd_ssl_client / dpd_ssl_server signatures) ---- */

static const uint16_t ssl_ports[] = {443, 563, 585, 614, 636, 989, 990, 992, 993, 995, 5223, 0};

static bool ssl_port_is(uint16_t port)
{
    for (const uint16_t *p = ssl_ports; *p; p++)
        if (*p == port)
            return true;
    return false;
}

/* TLS ClientHello or SSLv2-compatible CLIENT-HELLO at the start: 1 yes, 0 no, 2 need more. */
static int ssl_probe_client(const uint8_t *d, size_t n)
{
    if (n >= 1 && d[0] == 0x16) {
        if (n < 11)
            return 2;
        return d[1] == 3 && d[2] <= 3 && d[5] == 1 && d[9] == 3 && d[10] <= 3;
    }
    if (n < 6)
        return 2;
    if (d[2] == 1 && (d[3] == 0 || d[3] == 3) && d[4] <= 4)
        return 1;
    return d[3] == 1 && (d[4] == 0 || d[4] == 3) && d[5] <= 4;
}

/* TLS ServerHello (optionally after one alert record) or SSLv2 SERVER-HELLO. */
static int ssl_probe_server(const uint8_t *d, size_t n)
{
    size_t o = 0;
    if (n >= 1 && d[0] == 0x15) {
        if (n < 7)
            return 2;
        if (d[1] != 3 || d[2] > 3)
            return 0;
        o = 7;
    }
    if (n > o && d[o] == 0x16) {
        if (n < o + 11)
            return 2;
        if (d[o + 1] != 3 || d[o + 2] > 3 || d[o + 5] != 2)
            return 0;
        return (d[o + 9] == 3 && d[o + 10] <= 4) || (d[o + 9] == 0x7F && d[o + 10] <= 0x50);
    }
    if (n < 8)
        return 2;
    return (d[2] == 4 && d[5] == 0 && d[6] == 2) || (d[3] == 4 && d[6] == 0 && d[7] == 2);
}

static enum proto_probe ssl_probe(const uint8_t *data, size_t len, enum proto_dir dir,
                                  uint16_t orig_p, uint16_t resp_p)
{
    (void)orig_p;
    if (dir == PROTO_ORIG) {
        int r = ssl_probe_client(data, len);
        if (r == 2)
            return PROTO_PROBE_MAYBE;
        if (r == 0)
            return PROTO_PROBE_NO;
        /* Zeek needs the server's hello too, unless the port is an SSL port. */
        return ssl_port_is(resp_p) ? PROTO_PROBE_YES : PROTO_PROBE_MAYBE;
    }
    int r = ssl_probe_server(data, len);
    return r == 2 ? PROTO_PROBE_MAYBE : r ? PROTO_PROBE_YES : PROTO_PROBE_NO;
}

/* ---- state ---- */

static void *ssl_state_new(struct proto_ctx *ctx)
{
    (void)ctx;
    return calloc(1, sizeof(struct ssl_state));
}

static void ssl_state_free(void *state, struct proto_ctx *ctx)
{
    struct ssl_state *s = state;
    if (!s)
        return;
    ssl_log(s, ctx);
    for (int d = 0; d < 2; d++) {
        free(s->dir[d].rec);
        free(s->dir[d].hs);
    }
    free(s->host_cert);
    free(s->ja3_str);
    free(s->ja3s_str);
    free(s);
}

const struct proto_parser proto_ssl = {
    .name = "ssl",
    .ip_proto = 6,
    .ports = ssl_ports,
    .probe = ssl_probe,
    .state_new = ssl_state_new,
    .parse = ssl_parse,
    .gap = NULL,
    .eof = NULL,
    .state_free = ssl_state_free,
};
