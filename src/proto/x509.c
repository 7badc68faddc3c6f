/*
 * x509.c - certificates seen in TLS handshakes, parsed with OpenSSL into
 * x509.log; SHA-256 fingerprints; the SNI-to-certificate check.
 *
 * Owns x509.log and the set of certificates already logged.  Every
 * certificate (DER, from ssl_hello.c) is fingerprinted with SHA-256 (the
 * value ssl.log's cert_chain_fps carries) and, unless the same
 * (fingerprint, host_cert, client_cert) was logged within the last day
 * (Zeek 8's X509::relog_known_certificates_after), written as one row.
 * Decoding is OpenSSL's (d2i_X509 and accessors): no ASN.1 by hand.
 *
 * Specs: RFC 5280 (certificate, SubjectAltName, BasicConstraints),
 * RFC 2253 (the subject/issuer text, via X509_NAME_print_ex with
 * XN_FLAG_RFC2253, as Zeek prints them).  Log: Zeek 8's x509.log
 * (base/files/x509/main.zeek, field list of the corpus's *.zeek8-x509.log)
 * followed by uid and community_id of the session that first carried the
 * certificate.  san.ip is typed set[addr] here (Zeek: vector[addr]): same
 * values and order.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "proto/ssl_int.h"

#define X509_SAN_MAX   500   /* names kept per SAN kind (Zeek 8 logs at most 500) */
#define X509_TEXT_MAX  4096  /* subject / issuer text */
#define X509_SEEN_CAP  65536 /* dedup table slots (cleared when 3/4 full) */
#define X509_RELOG_NS  (86400LL * 1000000000LL)

struct x509_record {
    struct record_hdr hdr;
    int64_t ts;
    struct rstr fingerprint;
    uint64_t version;
    struct rstr serial, subject, issuer;
    int64_t not_before, not_after;
    struct rstr key_alg, sig_alg, key_type;
    uint64_t key_length;
    struct rstr exponent, curve;
    struct rstrvec san_dns, san_uri, san_email;
    struct raddrvec san_ip;
    bool bc_ca;
    uint64_t bc_path_len;
    bool host_cert, client_cert;
    struct rstr uid, community_id;
};

enum x509_field {
    XF_TS, XF_FP, XF_VERSION, XF_SERIAL, XF_SUBJECT, XF_ISSUER, XF_NOT_BEFORE, XF_NOT_AFTER,
    XF_KEY_ALG, XF_SIG_ALG, XF_KEY_TYPE, XF_KEY_LENGTH, XF_EXPONENT, XF_CURVE, XF_SAN_DNS,
    XF_SAN_URI, XF_SAN_EMAIL, XF_SAN_IP, XF_BC_CA, XF_BC_PATH_LEN, XF_HOST_CERT,
    XF_CLIENT_CERT, XF_UID, XF_COMMUNITY_ID, XF_N
};

#define F(name, type, member) {name, type, offsetof(struct x509_record, member)}

static const struct record_field x509_fields[XF_N] = {
    F("ts", RT_TIME, ts),
    F("fingerprint", RT_STRING, fingerprint),
    F("certificate.version", RT_COUNT, version),
    F("certificate.serial", RT_STRING, serial),
    F("certificate.subject", RT_STRING, subject),
    F("certificate.issuer", RT_STRING, issuer),
    F("certificate.not_valid_before", RT_TIME, not_before),
    F("certificate.not_valid_after", RT_TIME, not_after),
    F("certificate.key_alg", RT_STRING, key_alg),
    F("certificate.sig_alg", RT_STRING, sig_alg),
    F("certificate.key_type", RT_STRING, key_type),
    F("certificate.key_length", RT_COUNT, key_length),
    F("certificate.exponent", RT_STRING, exponent),
    F("certificate.curve", RT_STRING, curve),
    F("san.dns", RT_VEC_STRING, san_dns),
    F("san.uri", RT_VEC_STRING, san_uri),
    F("san.email", RT_VEC_STRING, san_email),
    F("san.ip", RT_SET_ADDR, san_ip),
    F("basic_constraints.ca", RT_BOOL, bc_ca),
    F("basic_constraints.path_len", RT_COUNT, bc_path_len),
    F("host_cert", RT_BOOL, host_cert),
    F("client_cert", RT_BOOL, client_cert),
    F("uid", RT_STRING, uid),
    F("community_id", RT_STRING, community_id),
};

const struct record_type x509_record_type = {
    .path = "x509",
    .fields = x509_fields,
    .n_fields = XF_N,
    .size = sizeof(struct x509_record),
};

void tls_hash_hex(const char *alg, const void *data, size_t len, char *out, size_t outlen)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    static const char hx[] = "0123456789abcdef";
    const EVP_MD *m = strcmp(alg, "MD5") == 0 ? EVP_md5() : EVP_sha256();
    out[0] = '\0';
    if (!EVP_Digest(data, len, md, &n, m, NULL))
        return;
    size_t o = 0;
    for (unsigned i = 0; i < n && o + 2 < outlen; i++) {
        out[o++] = hx[md[i] >> 4];
        out[o++] = hx[md[i] & 15];
    }
    out[o] = '\0';
}

/* ---- dedup (Zeek's known certificates, per process) ---- */

struct x509_seen {
    uint8_t key[33]; /* sha-256 + flags; key[32] == 0: empty slot */
    int64_t ts;
};

static struct x509_seen *x509_seen_tab;
static size_t x509_seen_n;
static pthread_mutex_t x509_seen_mu = PTHREAD_MUTEX_INITIALIZER;

/* True when this certificate should be logged now (and remember it). */
static bool x509_seen_should_log(const uint8_t fp[32], bool host, bool client, int64_t ts)
{
    uint8_t key[33];
    memcpy(key, fp, 32);
    key[32] = (uint8_t)(1 | (host ? 2 : 0) | (client ? 4 : 0));
    bool log = true;
    pthread_mutex_lock(&x509_seen_mu);
    if (!x509_seen_tab || x509_seen_n >= X509_SEEN_CAP / 4 * 3) {
        free(x509_seen_tab);
        x509_seen_tab = calloc(X509_SEEN_CAP, sizeof(*x509_seen_tab));
        x509_seen_n = 0;
    }
    if (x509_seen_tab) {
        size_t h = ((size_t)fp[0] << 8 | fp[1] | (size_t)fp[2] << 16) ^ key[32];
        for (size_t i = 0; i < X509_SEEN_CAP; i++) {
            struct x509_seen *e = &x509_seen_tab[(h + i) % X509_SEEN_CAP];
            if (e->key[32] == 0) {
                memcpy(e->key, key, 33);
                e->ts = ts;
                x509_seen_n++;
                break;
            }
            if (memcmp(e->key, key, 33) == 0) {
                /* either way in time: with --workers N a later connection
                 * can reach here first (docs/pipeline.md) */
                if (ts - e->ts < X509_RELOG_NS && e->ts - ts < X509_RELOG_NS)
                    log = false;
                else
                    e->ts = ts;
                break;
            }
        }
    }
    pthread_mutex_unlock(&x509_seen_mu);
    return log;
}

/* ---- field extraction ---- */

/* Text arena for one record's strings. */
struct x509_arena {
    char buf[65536];
    size_t used;
};

static struct rstr x509_keep(struct x509_arena *a, const char *p, size_t n)
{
    struct rstr r = {"", 0};
    if (a->used + n + 1 > sizeof(a->buf))
        n = a->used + 1 < sizeof(a->buf) ? sizeof(a->buf) - a->used - 1 : 0;
    memcpy(a->buf + a->used, p, n);
    a->buf[a->used + n] = '\0';
    r.p = a->buf + a->used;
    r.len = n;
    a->used += n + 1;
    return r;
}

static struct rstr x509_name_text(struct x509_arena *a, const X509_NAME *name)
{
    struct rstr r = {"", 0};
    BIO *b = BIO_new(BIO_s_mem());
    if (!b)
        return r;
    X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253);
    char *p;
    long n = BIO_get_mem_data(b, &p);
    if (n > 0)
        r = x509_keep(a, p, (size_t)n > X509_TEXT_MAX ? X509_TEXT_MAX : (size_t)n);
    BIO_free(b);
    return r;
}

static struct rstr x509_obj_text(struct x509_arena *a, const ASN1_OBJECT *o)
{
    char buf[256];
    int n = OBJ_obj2txt(buf, sizeof(buf), o, 0);
    if (n < 0)
        n = 0;
    if ((size_t)n >= sizeof(buf))
        n = sizeof(buf) - 1;
    return x509_keep(a, buf, (size_t)n);
}

/* Seconds since the epoch as ns.  Vigil's time type (int64 ns) ends on
 * 2262-04-11: later validity ends (9999-12-31 certificates) are clamped to
 * the last representable microsecond, 9223372036.854775, where Zeek prints
 * 253402300799.000000 (docs/logs/x509.md). */
static int64_t x509_time(const ASN1_TIME *t)
{
    struct tm tm;
    if (!t || !ASN1_TIME_to_tm(t, &tm))
        return 0;
    int64_t sec = (int64_t)timegm(&tm);
    if (sec > INT64_MAX / 1000000000LL)
        return INT64_MAX / 1000 * 1000;
    if (sec < INT64_MIN / 1000000000LL)
        return INT64_MIN / 1000 * 1000;
    return sec * 1000000000LL;
}

static struct rstr x509_serial(struct x509_arena *a, const ASN1_INTEGER *s)
{
    static const char hx[] = "0123456789ABCDEF";
    char buf[2 * 64 + 1];
    size_t o = 0;
    int n = s ? ASN1_STRING_length(s) : 0;
    const unsigned char *p = s ? ASN1_STRING_get0_data(s) : NULL;
    for (int i = 0; i < n && o + 2 < sizeof(buf); i++) {
        buf[o++] = hx[p[i] >> 4];
        buf[o++] = hx[p[i] & 15];
    }
    if (o == 0) {
        buf[o++] = '0';
        buf[o++] = '0';
    }
    return x509_keep(a, buf, o);
}

static void x509_key(struct x509_record *r, struct x509_arena *a, X509 *x)
{
    X509_PUBKEY *pub = X509_get_X509_PUBKEY(x);
    ASN1_OBJECT *alg = NULL;
    if (pub && X509_PUBKEY_get0_param(&alg, NULL, NULL, NULL, pub) && alg) {
        r->key_alg = x509_obj_text(a, alg);
        record_set_unset(&r->hdr, XF_KEY_ALG, false);
    }
    EVP_PKEY *k = X509_get0_pubkey(x);
    if (!k)
        return;
    int id = EVP_PKEY_get_base_id(k);
    const char *type = id == EVP_PKEY_RSA ? "rsa" : id == EVP_PKEY_DSA ? "dsa"
                       : id == EVP_PKEY_EC ? "ecdsa" : NULL;
    if (!type)
        return;
    r->key_type = x509_keep(a, type, strlen(type));
    record_set_unset(&r->hdr, XF_KEY_TYPE, false);
    int bits = EVP_PKEY_get_bits(k);
    if (bits > 0) {
        r->key_length = (uint64_t)bits;
        record_set_unset(&r->hdr, XF_KEY_LENGTH, false);
    }
    if (id == EVP_PKEY_RSA) {
        BIGNUM *e = NULL;
        if (EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_E, &e) && e) {
            char *dec = BN_bn2dec(e);
            if (dec) {
                r->exponent = x509_keep(a, dec, strlen(dec));
                record_set_unset(&r->hdr, XF_EXPONENT, false);
                OPENSSL_free(dec);
            }
            BN_free(e);
        }
    } else if (id == EVP_PKEY_EC) {
        char group[80];
        size_t glen = 0;
        if (EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                           &glen)) {
            int nid = OBJ_sn2nid(group);
            if (nid == NID_undef)
                nid = EC_curve_nist2nid(group);
            const char *sn = nid != NID_undef ? OBJ_nid2sn(nid) : group;
            r->curve = x509_keep(a, sn, strlen(sn));
            record_set_unset(&r->hdr, XF_CURVE, false);
        }
    }
}

/* SubjectAltName lists (only the kinds present become set). */
struct x509_sans {
    struct rstr dns[X509_SAN_MAX], uri[X509_SAN_MAX], email[X509_SAN_MAX];
    struct raddr ip[X509_SAN_MAX];
    size_t n_dns, n_uri, n_email, n_ip;
};

static void x509_san_one(struct x509_sans *s, struct x509_arena *a, const GENERAL_NAME *g)
{
    int type;
    void *v = GENERAL_NAME_get0_value(g, &type);
    const ASN1_STRING *str = v;
    if (!str)
        return;
    const char *p = (const char *)ASN1_STRING_get0_data(str);
    size_t n = (size_t)ASN1_STRING_length(str);
    if (type == GEN_DNS && s->n_dns < X509_SAN_MAX)
        s->dns[s->n_dns++] = x509_keep(a, p, n);
    else if (type == GEN_URI && s->n_uri < X509_SAN_MAX)
        s->uri[s->n_uri++] = x509_keep(a, p, n);
    else if (type == GEN_EMAIL && s->n_email < X509_SAN_MAX)
        s->email[s->n_email++] = x509_keep(a, p, n);
    else if (type == GEN_IPADD && s->n_ip < X509_SAN_MAX && (n == 4 || n == 16)) {
        struct raddr *ip = &s->ip[s->n_ip++];
        memset(ip, 0, sizeof(*ip));
        ip->family = n == 4 ? 4 : 6;
        memcpy(ip->a, p, n);
    }
}

static void x509_sans(struct x509_record *r, struct x509_sans *s, struct x509_arena *a, X509 *x)
{
    GENERAL_NAMES *names = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    if (!names)
        return;
    for (int i = 0; i < sk_GENERAL_NAME_num(names); i++)
        x509_san_one(s, a, sk_GENERAL_NAME_value(names, i));
    GENERAL_NAMES_free(names);
    r->san_dns.v = s->dns, r->san_dns.n = s->n_dns;
    r->san_uri.v = s->uri, r->san_uri.n = s->n_uri;
    r->san_email.v = s->email, r->san_email.n = s->n_email;
    r->san_ip.v = s->ip, r->san_ip.n = s->n_ip;
    record_set_unset(&r->hdr, XF_SAN_DNS, s->n_dns == 0);
    record_set_unset(&r->hdr, XF_SAN_URI, s->n_uri == 0);
    record_set_unset(&r->hdr, XF_SAN_EMAIL, s->n_email == 0);
    record_set_unset(&r->hdr, XF_SAN_IP, s->n_ip == 0);
}

static void x509_constraints(struct x509_record *r, X509 *x)
{
    BASIC_CONSTRAINTS *bc = X509_get_ext_d2i(x, NID_basic_constraints, NULL, NULL);
    if (!bc)
        return;
    r->bc_ca = bc->ca != 0;
    record_set_unset(&r->hdr, XF_BC_CA, false);
    if (bc->pathlen) {
        long pl = ASN1_INTEGER_get(bc->pathlen);
        if (pl >= 0) {
            r->bc_path_len = (uint64_t)pl;
            record_set_unset(&r->hdr, XF_BC_PATH_LEN, false);
        }
    }
    BASIC_CONSTRAINTS_free(bc);
}

static void x509_fill(struct x509_record *r, struct x509_sans *sans, struct x509_arena *a,
                      X509 *x)
{
    r->version = (uint64_t)X509_get_version(x) + 1;
    r->serial = x509_serial(a, X509_get0_serialNumber(x));
    r->subject = x509_name_text(a, X509_get_subject_name(x));
    r->issuer = x509_name_text(a, X509_get_issuer_name(x));
    r->not_before = x509_time(X509_get0_notBefore(x));
    r->not_after = x509_time(X509_get0_notAfter(x));
    for (size_t i = XF_VERSION; i <= XF_NOT_AFTER; i++)
        record_set_unset(&r->hdr, i, false);
    const X509_ALGOR *sig = NULL;
    const ASN1_OBJECT *obj = NULL;
    X509_get0_signature(NULL, &sig, x);
    if (sig) {
        X509_ALGOR_get0(&obj, NULL, NULL, sig);
        if (obj) {
            r->sig_alg = x509_obj_text(a, obj);
            record_set_unset(&r->hdr, XF_SIG_ALG, false);
        }
    }
    x509_key(r, a, x);
    x509_sans(r, sans, a, x);
    x509_constraints(r, x);
}

static void (*x509_cert_sink)(struct proto_ctx *ctx, const uint8_t *der, size_t len,
                              bool host_cert, bool client_cert, int64_t ts);

/* Certificates (their SHA-256) that d2i_X509 parsed before, and names checked
 * against them: the same bytes parse (and match) the same way, so a repeated
 * certificate that is not logged again is not parsed again.  Direct-mapped. */
#define X509_MEMO_SLOTS 1024
struct x509_memo {
    uint8_t md[32];
    bool used;
    int match;                  /* x509_check_hostname's answer for name */
    uint8_t name_len;
    char name[255];
};
static struct x509_memo x509_parsed[X509_MEMO_SLOTS], x509_matched[X509_MEMO_SLOTS];
static pthread_mutex_t x509_memo_mu = PTHREAD_MUTEX_INITIALIZER;

static size_t x509_memo_slot(const uint8_t md[32], const char *name, size_t name_len)
{
    uint64_t h;
    memcpy(&h, md, sizeof(h));
    for (size_t i = 0; i < name_len; i++)
        h = (h ^ (uint8_t)name[i]) * 0x100000001b3ull;
    return (size_t)(h % X509_MEMO_SLOTS);
}

static bool x509_memo_find(struct x509_memo *tab, const uint8_t md[32], const char *name,
                           size_t name_len, int *match)
{
    pthread_mutex_lock(&x509_memo_mu);
    const struct x509_memo *e = &tab[x509_memo_slot(md, name, name_len)];
    bool hit = e->used && memcmp(e->md, md, 32) == 0 && e->name_len == name_len &&
               memcmp(e->name, name, name_len) == 0;
    if (hit && match)
        *match = e->match;
    pthread_mutex_unlock(&x509_memo_mu);
    return hit;
}

static void x509_memo_put(struct x509_memo *tab, const uint8_t md[32], const char *name,
                          size_t name_len, int match)
{
    if (name_len > sizeof(tab->name))
        return;
    pthread_mutex_lock(&x509_memo_mu);
    struct x509_memo *e = &tab[x509_memo_slot(md, name, name_len)];
    memcpy(e->md, md, 32);
    memcpy(e->name, name, name_len);
    e->name_len = (uint8_t)name_len;
    e->match = match;
    e->used = true;
    pthread_mutex_unlock(&x509_memo_mu);
}

void x509_cert_sink_set(void (*fn)(struct proto_ctx *ctx, const uint8_t *der, size_t len,
                                   bool host_cert, bool client_cert, int64_t ts))
{
    x509_cert_sink = fn;
}

void x509_cert_seen(struct proto_ctx *ctx, const uint8_t *der, size_t len, bool host_cert,
                    bool client_cert, int64_t ts, char fp[65])
{
    unsigned char md[32];
    if (x509_cert_sink)
        x509_cert_sink(ctx, der, len, host_cert, client_cert, ts);
    unsigned int n = 0;
    static const char hx[] = "0123456789abcdef";
    fp[0] = '\0';
    if (!EVP_Digest(der, len, md, &n, EVP_sha256(), NULL) || n != 32)
        return;
    for (int i = 0; i < 32; i++) {
        fp[2 * i] = hx[md[i] >> 4];
        fp[2 * i + 1] = hx[md[i] & 15];
    }
    fp[64] = '\0';
    const unsigned char *p = der;
    X509 *x = NULL;
    if (!x509_memo_find(x509_parsed, md, "", 0, NULL)) {
        x = d2i_X509(NULL, &p, (long)len);
        if (!x) {
            proto_weird(ctx, "x509_certificate_parse_error", NULL, ts); /* Zeek's weird name */
            return;
        }
        x509_memo_put(x509_parsed, md, "", 0, 1);
    }
    if (!x509_seen_should_log(md, host_cert, client_cert, ts)) {
        X509_free(x);
        return;
    }
    if (!x && !(x = d2i_X509(NULL, &p, (long)len)))
        return;
    struct x509_record *r = calloc(1, sizeof(*r));
    struct x509_sans *sans = calloc(1, sizeof(*sans));
    struct x509_arena *a = malloc(sizeof(*a));
    if (r && sans && a) {
        a->used = 0;
        r->hdr.type = &x509_record_type;
        for (size_t i = 0; i < XF_N; i++)
            record_set_unset(&r->hdr, i, true);
        r->ts = ts;
        r->fingerprint.p = fp, r->fingerprint.len = 64;
        r->host_cert = host_cert;
        r->client_cert = client_cert;
        record_set_unset(&r->hdr, XF_TS, false);
        record_set_unset(&r->hdr, XF_FP, false);
        record_set_unset(&r->hdr, XF_HOST_CERT, false);
        record_set_unset(&r->hdr, XF_CLIENT_CERT, false);
        x509_fill(r, sans, a, x);
        const struct proto_conn *pc = proto_conn(ctx);
        if (pc->uid) {
            r->uid = x509_keep(a, pc->uid, strlen(pc->uid));
            record_set_unset(&r->hdr, XF_UID, false);
        }
        if (pc->community_id) {
            r->community_id = x509_keep(a, pc->community_id, strlen(pc->community_id));
            record_set_unset(&r->hdr, XF_COMMUNITY_ID, false);
        }
        proto_emit(ctx, &r->hdr);
    }
    free(r);
    free(sans);
    free(a);
    X509_free(x);
}

/* One name against one pattern: case-insensitive, "*." matching exactly one label. */
static bool x509_name_match(const char *pat, size_t plen, const char *name, size_t nlen)
{
    if (plen > 2 && pat[0] == '*' && pat[1] == '.') {
        const char *dot = memchr(name, '.', nlen);
        if (!dot || dot == name)
            return false;
        size_t rest = nlen - (size_t)(dot - name);
        return rest == plen - 1 && strncasecmp(dot, pat + 1, rest) == 0;
    }
    return plen == nlen && strncasecmp(pat, name, nlen) == 0;
}

/* Zeek's x509_check_cert_hostname: the DNS SANs if any, else the last (most specific) CN. */
static int x509_check_hostname_parse(const uint8_t *der, size_t len, const char *name,
                                     size_t name_len);

int x509_check_hostname(const uint8_t *der, size_t len, const char *name, size_t name_len)
{
    unsigned char md[32];
    unsigned int n = 0;
    int r;
    if (!EVP_Digest(der, len, md, &n, EVP_sha256(), NULL) || n != 32)
        return x509_check_hostname_parse(der, len, name, name_len);
    if (x509_memo_find(x509_matched, md, name, name_len, &r))
        return r;
    r = x509_check_hostname_parse(der, len, name, name_len);
    x509_memo_put(x509_matched, md, name, name_len, r);
    return r;
}

static int x509_check_hostname_parse(const uint8_t *der, size_t len, const char *name,
                                     size_t name_len)
{
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    if (!x)
        return -1;
    int r = 0, dns = 0;
    GENERAL_NAMES *names = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    for (int i = 0; names && i < sk_GENERAL_NAME_num(names) && !r; i++) {
        int type;
        const ASN1_STRING *str = GENERAL_NAME_get0_value(sk_GENERAL_NAME_value(names, i), &type);
        if (type != GEN_DNS || !str)
            continue;
        dns++;
        r = x509_name_match((const char *)ASN1_STRING_get0_data(str),
                            (size_t)ASN1_STRING_length(str), name, name_len);
    }
    GENERAL_NAMES_free(names);
    if (!dns) {
        const X509_NAME *subj = X509_get_subject_name(x);
        int last = -1;
        for (int j = -1; (j = X509_NAME_get_index_by_NID(subj, NID_commonName, j)) >= 0;)
            last = j;
        if (last >= 0) {
            const ASN1_STRING *cn = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, last));
            r = x509_name_match((const char *)ASN1_STRING_get0_data(cn),
                                (size_t)ASN1_STRING_length(cn), name, name_len);
        }
    }
    X509_free(x);
    return r;
}

/* ---- what the signature engine inspects (Suricata's formats) ---- */

static size_t x509_det_name(const X509_NAME *name, char *out, size_t cap)
{
    BIO *b = BIO_new(BIO_s_mem());
    size_t n = 0;
    if (!b)
        return 0;
    /* "C=US, ST=..., CN=..." in certificate order, as Suricata prints them */
    X509_NAME_print_ex(b, name, 0,
                       XN_FLAG_SEP_CPLUS_SPC | XN_FLAG_FN_SN | ASN1_STRFLGS_UTF8_CONVERT);
    char *p;
    long len = BIO_get_mem_data(b, &p);
    if (len > 0) {
        n = (size_t)len < cap ? (size_t)len : cap - 1;
        memcpy(out, p, n);
    }
    out[n] = '\0';
    BIO_free(b);
    return n;
}

static size_t x509_det_hex(const uint8_t *p, size_t n, bool upper, char *out, size_t cap)
{
    const char *hx = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    size_t o = 0;
    for (size_t i = 0; i < n && o + 3 < cap; i++) {
        if (i)
            out[o++] = ':';
        out[o++] = hx[p[i] >> 4];
        out[o++] = hx[p[i] & 15];
    }
    out[o] = '\0';
    return o;
}

int x509_detect_fields(const uint8_t *der, size_t len, struct x509_det *out)
{
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    out->n_san = 0;
    out->subject_len = out->issuer_len = out->serial_len = out->fingerprint_len = 0;
    if (!x)
        return -1;
    out->subject_len = x509_det_name(X509_get_subject_name(x), out->subject, sizeof(out->subject));
    out->issuer_len = x509_det_name(X509_get_issuer_name(x), out->issuer, sizeof(out->issuer));
    unsigned char *ser = NULL; /* the DER integer: 02 len bytes (with a leading 00 if any) */
    int sl = i2d_ASN1_INTEGER(X509_get0_serialNumber(x), &ser);
    if (sl > 2 && ser[1] < 0x80)
        out->serial_len = x509_det_hex(ser + 2, (size_t)sl - 2, true, out->serial,
                                       sizeof(out->serial));
    OPENSSL_free(ser);
    unsigned char md[20];
    unsigned int mdl = 0;
    if (EVP_Digest(der, len, md, &mdl, EVP_sha1(), NULL) && mdl == 20)
        out->fingerprint_len = x509_det_hex(md, 20, false, out->fingerprint,
                                            sizeof(out->fingerprint));
    GENERAL_NAMES *names = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    size_t used = 0;
    for (int i = 0; names && i < sk_GENERAL_NAME_num(names) && out->n_san < X509_DET_SANS; i++) {
        int type;
        const ASN1_STRING *str = GENERAL_NAME_get0_value(sk_GENERAL_NAME_value(names, i), &type);
        if (type != GEN_DNS || !str)
            continue;
        size_t n = (size_t)ASN1_STRING_length(str);
        if (n > sizeof(out->san_text) - used)
            break;
        memcpy(out->san_text + used, ASN1_STRING_get0_data(str), n);
        out->san_off[out->n_san] = used;
        out->san_len[out->n_san++] = n;
        used += n;
    }
    GENERAL_NAMES_free(names);
    X509_free(x);
    return 0;
}
