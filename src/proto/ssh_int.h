/*
 * ssh_int.h - shared between the SSH parser's files (ssh.c: descriptor,
 * banners, binary packets, encrypted-size heuristics, ssh.log; ssh_kex.c:
 * KEXINIT name-lists, negotiation, HASSH, host key fingerprint).  Not a
 * public interface: the parser is reached through proto_ssh only.
 */
#ifndef VIGIL_PROTO_SSH_INT_H
#define VIGIL_PROTO_SSH_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/proto.h"

#define SSH_LINE_MAX 1024        /* banner / pre-banner line (RFC 4253 4.2 says 255) */
#define SSH_PRE_BANNER_MAX 64    /* server lines before its "SSH-" line */
#define SSH_PACKET_MAX (256 * 1024) /* a key exchange packet we buffer */
#define SSH_STRING_MAX 2097152   /* Zeek's SSH max string length (weird above it) */
#define SSH_LIST_MAX 8192        /* one KEXINIT name-list kept */
#define SSH_ALG_MAX 512          /* one negotiated algorithm text */

/* The KEXINIT name-lists, in wire order (RFC 4253 7.1). */
enum ssh_list {
    SSH_L_KEX, SSH_L_HOSTKEY, SSH_L_ENC_CS, SSH_L_ENC_SC, SSH_L_MAC_CS, SSH_L_MAC_SC,
    SSH_L_COMP_CS, SSH_L_COMP_SC, SSH_L_LANG_CS, SSH_L_LANG_SC, SSH_L_N
};

/* How the negotiated key exchange sends the server host key (Zeek's kex states). */
enum ssh_kex_kind {
    SSH_KEX_UNKNOWN = 0, /* not negotiated yet, or a method we do not parse */
    SSH_KEX_DH,          /* KEXDH_REPLY (31): K_S, f, signature */
    SSH_KEX_DH_GEX,      /* KEX_DH_GEX_REPLY (33); 31 is the group */
    SSH_KEX_ECC,         /* KEX_ECDH_REPLY (31): K_S, Q_S, signature (also hybrids) */
    SSH_KEX_GSS,         /* KEXGSS_HOSTKEY (33): K_S */
    SSH_KEX_RSA,         /* KEXRSA_PUBKEY (30): K_S, K_T */
};

struct ssh_kexinit {
    bool seen;
    char *list[SSH_L_N]; /* NUL-terminated copies (malloc), capped at SSH_LIST_MAX */
    size_t len[SSH_L_N];
};

struct ssh_kex {
    struct ssh_kexinit side[2]; /* [PROTO_ORIG] client, [PROTO_RESP] server */
    bool negotiated;
    enum ssh_kex_kind kind;
    char cipher[SSH_ALG_MAX], mac[SSH_ALG_MAX], comp[SSH_ALG_MAX];
    char kex[SSH_ALG_MAX], host_key_alg[SSH_ALG_MAX];
    bool have_host_key;
    char host_key[64];                  /* "SHA256:..." as Zeek 8 writes it */
    char hassh[33], hassh_server[33];   /* MD5 hex, "" until known */
    char *hassh_alg, *hassh_server_alg; /* the hashed strings (malloc) */
};

/* Parse one KEXINIT payload (after the message number) of side dir into
 * k; when both sides are in, negotiate (Zeek's find_alg rules) and
 * compute HASSH.  0, or -1 when malformed (weird raised). */
int ssh_kex_kexinit(struct ssh_kex *k, struct proto_ctx *ctx, enum proto_dir dir,
                    const uint8_t *p, size_t len, int64_t ts);

/* A server key exchange reply (message number msg, payload after it):
 * take the host key blob K_S when this kex kind carries it there. */
void ssh_kex_reply(struct ssh_kex *k, struct proto_ctx *ctx, uint8_t msg, const uint8_t *p,
                   size_t len, int64_t ts);

/* The host key fingerprint text Zeek 8 logs for an SSH-2 host key blob. */
void ssh_kex_fingerprint(const uint8_t *blob, size_t len, char *out, size_t outlen);

/* Is the negotiated compression one Zeek cannot see authentication through? */
bool ssh_kex_compressed(const struct ssh_kex *k);

void ssh_kex_free(struct ssh_kex *k);

#endif
