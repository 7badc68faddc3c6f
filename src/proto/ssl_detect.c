/*
 * ssl_detect.c - the TLS parser's inspection points for the signature
 * engine (proto.h, struct proto_insp), at the moments Suricata inspects
 * them: after a ClientHello (tls.sni, ja3.hash, ja3.string, the client's
 * tls.random and tls.alpn, tls.version), after a ServerHello (ja3s.hash,
 * ja3s.string, the server's random, ALPN and version) and after a
 * Certificate message (tls.cert_subject, tls.cert_issuer, tls.cert_serial,
 * tls.cert_fingerprint and tls.subjectaltname of the first certificate,
 * tls.certs: every certificate's DER, tls.cert_chain_len).  Each moment
 * also repeats what is already known of that side (the client's SNI and
 * JA3, the server's JA3S, the side's random/ALPN/version), as Suricata's
 * one TLS transaction holds it; the engine alerts once per rule and
 * direction.
 *
 * Nothing is computed unless an engine listens (proto_inspecting).  The
 * first certificate's fields are remembered by its SHA-256 (a small
 * direct-mapped table shared by the analysis workers): servers send the
 * same few certificates session after session, and parsing one with
 * OpenSSL was most of a Certificate message's cost with rules loaded.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/hex.h"
#include "proto/ssl_int.h"

#define SSL_DET_MEMO 16 /* certificates whose fields are remembered */

struct ssl_det_memo {
    char fp[65]; /* SHA-256 (hex) of the DER, "" unused */
    int rc;      /* x509_detect_fields' result */
    struct x509_det x;
};
static struct ssl_det_memo det_memo[SSL_DET_MEMO];
static pthread_mutex_t det_memo_mu = PTHREAD_MUTEX_INITIALIZER;

/* x509_detect_fields of der, whose SHA-256 is fp (hex; "": not known). */
static int cert_fields(const uint8_t *der, size_t len, const char *fp, struct x509_det *out)
{
    int hi = core_hexval(fp[0]), lo = hi < 0 ? -1 : core_hexval(fp[1]);
    if (lo < 0 || strlen(fp) != 64)
        return x509_detect_fields(der, len, out);
    struct ssl_det_memo *m = &det_memo[(unsigned)(hi << 4 | lo) % SSL_DET_MEMO];
    pthread_mutex_lock(&det_memo_mu);
    int hit = strcmp(m->fp, fp) == 0, rc = m->rc;
    if (hit)
        memcpy(out, &m->x, sizeof(*out));
    pthread_mutex_unlock(&det_memo_mu);
    if (hit)
        return rc;
    rc = x509_detect_fields(der, len, out);
    pthread_mutex_lock(&det_memo_mu);
    memcpy(m->fp, fp, sizeof(m->fp));
    m->rc = rc;
    memcpy(&m->x, out, sizeof(*out));
    pthread_mutex_unlock(&det_memo_mu);
    return rc;
}

void ssl_detect_alpn(struct ssl_state *s, enum proto_dir dir, const uint8_t *p, size_t n)
{
    struct cursor c, l;
    uint16_t list_len;
    cursor_init(&c, p, n);
    if (cursor_u16be(&c, &list_len) < 0 || cursor_sub(&c, list_len, &l) < 0)
        return;
    size_t keep = 0; /* whole entries only */
    const uint8_t *start = p + 2;
    while (cursor_left(&l) > 0) {
        uint8_t len;
        if (cursor_u8(&l, &len) < 0 || cursor_skip(&l, len) < 0)
            break;
        if (keep + 1u + len > SSL_ALPN_RAW_MAX)
            break;
        keep += 1u + len;
    }
    memcpy(s->alpn[dir], start, keep);
    s->alpn_len[dir] = keep;
}

/* What every moment of direction dir carries. */
static void ssl_detect_base(struct ssl_state *s, enum proto_dir dir, struct proto_insp *in)
{
    proto_insp_init(in, dir, 0);
    if (dir == PROTO_ORIG && s->have_server_name)
        proto_insp_buf(in, PI_TLS_SNI, s->server_name, s->server_name_len);
    if (dir == PROTO_ORIG && s->have_ja3) {
        proto_insp_buf(in, PI_JA3_HASH, s->ja3, strlen(s->ja3));
        if (s->ja3_str)
            proto_insp_buf(in, PI_JA3_STRING, s->ja3_str, strlen(s->ja3_str));
    }
    if (dir == PROTO_RESP && s->have_ja3s) {
        proto_insp_buf(in, PI_JA3S_HASH, s->ja3s, strlen(s->ja3s));
        if (s->ja3s_str)
            proto_insp_buf(in, PI_JA3S_STRING, s->ja3s_str, strlen(s->ja3s_str));
    }
    if (s->have_random[dir])
        proto_insp_buf(in, PI_TLS_RANDOM, s->random[dir], 32);
    for (size_t i = 0; i < s->alpn_len[dir];) {
        size_t len = s->alpn[dir][i];
        if (i + 1 + len > s->alpn_len[dir])
            break;
        proto_insp_buf(in, PI_TLS_ALPN, s->alpn[dir] + i + 1, len);
        i += 1 + len;
    }
    if (s->hello_version[dir])
        proto_insp_num(in, PN_TLS_VERSION, s->hello_version[dir]);
}

void ssl_detect_hello(struct ssl_state *s, struct proto_ctx *ctx, enum proto_dir dir)
{
    if (!proto_inspecting(ctx))
        return;
    struct proto_insp in;
    ssl_detect_base(s, dir, &in);
    proto_inspect(ctx, &in);
}

void ssl_detect_certs(struct ssl_state *s, struct proto_ctx *ctx, enum proto_dir dir,
                      const uint8_t *const *certs, const size_t *lens, size_t n,
                      size_t chain_len, const char *fp0)
{
    if (!proto_inspecting(ctx))
        return;
    struct proto_insp in;
    ssl_detect_base(s, dir, &in);
    proto_insp_num(&in, PN_TLS_CHAIN_LEN, chain_len);
    struct x509_det *x = n ? malloc(sizeof(*x)) : NULL;
    if (x && cert_fields(certs[0], lens[0], fp0, x) == 0) {
        if (x->subject_len)
            proto_insp_buf(&in, PI_TLS_CERT_SUBJECT, x->subject, x->subject_len);
        if (x->issuer_len)
            proto_insp_buf(&in, PI_TLS_CERT_ISSUER, x->issuer, x->issuer_len);
        if (x->serial_len)
            proto_insp_buf(&in, PI_TLS_CERT_SERIAL, x->serial, x->serial_len);
        if (x->fingerprint_len)
            proto_insp_buf(&in, PI_TLS_CERT_FINGERPRINT, x->fingerprint, x->fingerprint_len);
        for (size_t i = 0; i < x->n_san; i++)
            proto_insp_buf(&in, PI_TLS_SAN, x->san_text + x->san_off[i], x->san_len[i]);
    }
    for (size_t i = 0; i < n; i++)
        proto_insp_buf(&in, PI_TLS_CERTS, certs[i], lens[i]);
    proto_inspect(ctx, &in);
    free(x);
}
