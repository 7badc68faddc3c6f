/*
 * ssl_int.h - shared types of the TLS parser (ssl.c, ssl_hello.c, x509.c,
 * tls_names.c).  Not a public interface: the parser's only public face is
 * its struct proto_parser "ssl" in the registry.
 *
 * One struct ssl_state per session holds everything Zeek's SSL::Info holds
 * (base/protocols/ssl/main.zeek) plus the record-layer and handshake
 * reassembly buffers of each direction and the fingerprints' inputs.
 */
#ifndef VIGIL_PROTO_SSL_INT_H
#define VIGIL_PROTO_SSL_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/cursor.h"
#include "proto/proto.h"

/* Caps. */
#define SSL_RECORD_MAX   (16384 + 2048 + 256) /* TLSCiphertext max (RFC 5246 6.2.3) + slack */
#define SSL_HS_MAX       (1u << 20)           /* one handshake message (a certificate chain) */
#define SSL_HISTORY_MAX  100                  /* Zeek's SSL::max_ssl_history_length */
#define SSL_CHAIN_MAX    16                   /* certificates per chain kept */
#define SSL_NAME_MAX     255                  /* server_name, next_protocol */
#define SSL_LIST_MAX     128                  /* ciphers/extensions/groups kept for fingerprints */
#define SSL_ALERTS_MAX   10                   /* Zeek's SSL::max_alerts_per_record */
#define SSL_ALPN_RAW_MAX 256                  /* ALPN list bytes kept per side for detection */

/* One direction of the stream. */
struct ssl_dir {
    uint8_t *rec;          /* current record: 5-byte header + body */
    size_t rec_len;        /* bytes of it held */
    uint8_t *hs;           /* handshake bytes not yet a whole message */
    size_t hs_len, hs_cap;
    bool encrypted;        /* Zeek's STATE_ENCRYPTED for this side */
    bool hs_dead;          /* a handshake message over the cap: stop parsing handshakes */
};

/* What a ClientHello offered (for JA3 and JA4). */
struct ssl_hello_fp {
    uint16_t version;
    uint16_t ciphers[SSL_LIST_MAX];
    size_t n_ciphers;
    uint16_t exts[SSL_LIST_MAX];
    size_t n_exts;
    uint16_t groups[SSL_LIST_MAX];
    size_t n_groups;
    uint8_t point_formats[SSL_LIST_MAX];
    size_t n_point_formats;
    uint16_t sig_algs[SSL_LIST_MAX];
    size_t n_sig_algs;
    uint16_t max_supported_version; /* highest non-GREASE supported_versions entry, 0 none */
    bool has_sni;
    char alpn_first[SSL_NAME_MAX + 1]; /* first ALPN protocol offered */
    size_t alpn_first_len;
    bool has_alpn;
};

struct ssl_state {
    struct ssl_dir dir[2];
    bool session;          /* Zeek's set_session() ran: ts is set */
    int64_t ts;
    int64_t now;           /* latest packet time handed in: Zeek's network_time */
    uint16_t record_layer_version; /* 0: not yet known */
    bool sslv2;                    /* record layer is SSLv2 */
    uint16_t version_num;  bool have_version;
    uint16_t negotiated_version;   /* SSL::GetNegotiatedVersion(): 0 unknown */
    uint16_t cipher;       bool have_cipher;
    uint16_t curve;        bool have_curve;
    char server_name[SSL_NAME_MAX + 1]; size_t server_name_len; bool have_server_name;
    char session_id[65];   bool have_session_id; /* hex of the client's session id */
    bool resumed, client_ticket_empty_session_seen, client_key_exchange_seen;
    bool client_psk_seen, hrr_seen;
    uint8_t last_alert;    bool have_last_alert;
    char next_protocol[SSL_NAME_MAX + 1]; size_t next_protocol_len; bool have_next_protocol;
    bool established, logged, confirmed, client_hello_seen;
    char history[SSL_HISTORY_MAX + 1]; size_t history_len;
    bool chain_set;        /* cert_chain_fps / client_cert_chain_fps exist (maybe empty) */
    char fps[SSL_CHAIN_MAX][65]; size_t n_fps;
    char client_fps[SSL_CHAIN_MAX][65]; size_t n_client_fps;
    uint8_t *host_cert;    size_t host_cert_len; /* DER of the server's first certificate */
    struct ssl_hello_fp ch;
    char ja3[33], ja3s[33], ja4[40];
    bool have_ja3, have_ja3s, have_ja4;
    /* what the signature engine inspects (ssl_detect.c) */
    char *ja3_str, *ja3s_str;     /* the hashed strings (malloc), NULL until known */
    uint8_t random[2][32];        /* per direction: the hello's random */
    bool have_random[2];
    uint8_t alpn[2][SSL_ALPN_RAW_MAX]; /* per direction: ALPN protocol list as on the wire */
    size_t alpn_len[2];
    uint16_t hello_version[2];    /* per direction: the hello's version (server: negotiated) */
};

/* ssl.c */
void ssl_session_set(struct ssl_state *s, int64_t ts);
void ssl_history_add(struct ssl_state *s, struct proto_ctx *ctx, bool is_client, char c,
                     int64_t ts);
bool ssl_is_tls13(uint16_t v);

/* ssl_hello.c: one whole handshake message of direction dir (type, body). */
void ssl_handshake_message(struct ssl_state *s, struct proto_ctx *ctx, enum proto_dir dir,
                           uint8_t type, struct cursor *body, int64_t ts);
/* SSLv2-compatible ClientHello (RFC 5246 appendix E.2): the record body after the type byte. */
void ssl_v2_client_hello(struct ssl_state *s, struct proto_ctx *ctx, uint16_t version, struct cursor *c,
                         int64_t ts);

/* x509.c */
/* Log one certificate (DER) of a chain to x509.log (deduplicated as Zeek's
 * X509::relog_known_certificates_after) and put its SHA-256 fingerprint in fp. */
void x509_cert_seen(struct proto_ctx *ctx, const uint8_t *der, size_t len, bool host_cert,
                    bool client_cert, int64_t ts, char fp[65]);
/* Does the certificate (DER) match hostname, as Zeek's x509_check_cert_hostname? -1 on bad DER. */
/* File extraction's certificate sink (files.log, source SSL): called with
 * every certificate x509_cert_seen() gets.  NULL: none.  Call before traffic. */
void x509_cert_sink_set(void (*fn)(struct proto_ctx *ctx, const uint8_t *der, size_t len,
                                   bool host_cert, bool client_cert, int64_t ts));
/* ssl_hello.c: file extraction's sink for stapled OCSP responses
 * (certificate_status).  NULL: none. */
void ssl_ocsp_sink_set(void (*fn)(struct proto_ctx *ctx, const uint8_t *der, size_t len,
                                  bool is_orig, int64_t ts));
int x509_check_hostname(const uint8_t *der, size_t len, const char *name, size_t name_len);
/* Hex of digest of data (md5 or sha256) into out (2*n+1 bytes). */
void tls_hash_hex(const char *alg, const void *data, size_t len, char *out, size_t outlen);

/* x509.c: the fields Suricata's TLS keywords inspect, of one certificate
 * (DER): subject and issuer as "C=US, O=..., CN=..." (RDNs in certificate
 * order, short names), the serial as upper-case colon hex of the DER
 * integer's bytes, the SHA-1 fingerprint as lower-case colon hex, and the
 * DNS names of the SubjectAltName extension.  -1 on bad DER. */
#define X509_DET_TEXT 1024
#define X509_DET_SANS 64
struct x509_det {
    char subject[X509_DET_TEXT], issuer[X509_DET_TEXT];
    char serial[3 * 64], fingerprint[3 * 20];
    size_t subject_len, issuer_len, serial_len, fingerprint_len;
    char san_text[4096];
    size_t san_off[X509_DET_SANS], san_len[X509_DET_SANS], n_san;
};
int x509_detect_fields(const uint8_t *der, size_t len, struct x509_det *out);

/* ssl_detect.c: the signature engine's inspection points (proto.h) after a
 * ClientHello / ServerHello of direction dir, and after a Certificate
 * message (certs: the chain's first n DER certificates of chain_len; fp0
 * the first one's SHA-256 in hex from x509_cert_seen, "" when unknown). */
void ssl_detect_hello(struct ssl_state *s, struct proto_ctx *ctx, enum proto_dir dir);
void ssl_detect_certs(struct ssl_state *s, struct proto_ctx *ctx, enum proto_dir dir,
                      const uint8_t *const *certs, const size_t *lens, size_t n,
                      size_t chain_len, const char *fp0);
/* ALPN extension body (list length + entries): keep it for direction dir. */
void ssl_detect_alpn(struct ssl_state *s, enum proto_dir dir, const uint8_t *p, size_t n);

/* tls_names.c */
const char *tls_cipher_name(uint16_t v, char *buf, size_t len);
const char *tls_group_name(uint16_t v, char *buf, size_t len);
const char *tls_alert_name(uint8_t v, char *buf, size_t len);
const char *tls_version_name(uint16_t v, char *buf, size_t len);
bool tls_is_grease(uint16_t v);

#endif
