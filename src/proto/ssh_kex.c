/*
 * ssh_kex.c - SSH-2 key exchange: SSH_MSG_KEXINIT name-lists of both sides,
 * the negotiated algorithms, HASSH / HASSH-server, and the server host key
 * taken from the key exchange reply.
 *
 * Specs: RFC 4253 7.1 (KEXINIT), 8 (KEXDH_REPLY), RFC 4419 (DH group
 * exchange), RFC 5656 (ECDH), RFC 4462 (GSS), RFC 4432 (RSA kex), RFC 4251
 * 5 (string, name-list).  Zeek's semantics (base/protocols/ssh/main.zeek
 * and the analyzer's update_kex): an algorithm is the first client entry
 * also in the server's list ("Algorithm negotiation failed" when none);
 * cipher, MAC and compression are negotiated per direction and logged as
 * "To server: X, to client: Y" when the two differ.  HASSH (Salesforce):
 * MD5 over "kex;enc;mac;comp" of the client lists (client to server
 * columns), HASSH-server the same over the server's server-to-client
 * lists.
 *
 *   KEXINIT(client) ─┐
 *                    ├─► negotiate ─► kex kind ─► reply 30/31/33 ─► K_S ─► fingerprint
 *   KEXINIT(server) ─┘
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "core/cursor.h"
#include "proto/ssh_int.h"

/* Read one SSH string (uint32 length + bytes); weird when over Zeek's cap. */
static int ssh_kex_string(struct cursor *c, const uint8_t **p, size_t *len,
                          struct proto_ctx *ctx, int64_t ts)
{
    struct cursor save = *c;
    uint32_t n;
    if (cursor_u32be(c, &n) < 0)
        return -1;
    if (n > SSH_STRING_MAX) {
        char addl[64];
        snprintf(addl, sizeof(addl), "%u > %u", n, (unsigned)SSH_STRING_MAX);
        proto_weird(ctx, "SSH_max_string_length_exceeded", addl, ts);
        *c = save;
        return -1;
    }
    if (cursor_ptr(c, n, p) < 0) {
        *c = save;
        return -1;
    }
    *len = n;
    return 0;
}

/* Next non-empty name of a comma-separated list from *pos; 0 at the end. */
static int ssh_kex_next_name(const char *list, size_t len, size_t *pos, const char **name,
                             size_t *nlen)
{
    while (*pos < len) {
        size_t start = *pos;
        while (*pos < len && list[*pos] != ',')
            (*pos)++;
        size_t n = *pos - start;
        if (*pos < len)
            (*pos)++; /* past the comma */
        if (n > 0) {
            *name = list + start;
            *nlen = n;
            return 1;
        }
    }
    return 0;
}

static bool ssh_kex_in_list(const char *list, size_t len, const char *name, size_t nlen)
{
    size_t pos = 0;
    const char *s;
    size_t sl;
    while (ssh_kex_next_name(list, len, &pos, &s, &sl))
        if (sl == nlen && memcmp(s, name, nlen) == 0)
            return true;
    return false;
}

/* Zeek's find_alg(): the first client entry also in the server list. */
static void ssh_kex_find(const struct ssh_kex *k, enum ssh_list l, char *out, size_t outlen)
{
    const char *cl = k->side[PROTO_ORIG].list[l], *sl = k->side[PROTO_RESP].list[l];
    size_t cn = k->side[PROTO_ORIG].len[l], sn = k->side[PROTO_RESP].len[l];
    size_t pos = 0;
    const char *name;
    size_t nlen;
    while (cl && sl && ssh_kex_next_name(cl, cn, &pos, &name, &nlen)) {
        if (ssh_kex_in_list(sl, sn, name, nlen)) {
            snprintf(out, outlen, "%.*s", (int)nlen, name);
            return;
        }
    }
    snprintf(out, outlen, "%s", "Algorithm negotiation failed");
}

/* Zeek's find_bidirectional_alg(). */
static void ssh_kex_find_bidi(const struct ssh_kex *k, enum ssh_list cs, char *out,
                              size_t outlen)
{
    char a[SSH_ALG_MAX], b[SSH_ALG_MAX];
    ssh_kex_find(k, cs, a, sizeof(a));
    ssh_kex_find(k, (enum ssh_list)(cs + 1), b, sizeof(b));
    if (strcmp(a, b) == 0)
        snprintf(out, outlen, "%s", a);
    else
        snprintf(out, outlen, "To server: %.200s, to client: %.200s", a, b);
}

static bool ssh_kex_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The analyzer's update_kex(): which messages carry the host key. */
static enum ssh_kex_kind ssh_kex_kind_of(const char *kex)
{
    static const char *const dh[] = {
        "diffie-hellman-group1-sha1", "diffie-hellman-group14-sha1",
        "diffie-hellman-group14-sha256", "diffie-hellman-group16-sha512",
        "diffie-hellman-group18-sha512", "diffie-hellman-group15-sha512",
        "diffie-hellman-group17-sha512",
    };
    if (strcmp(kex, "rsa1024-sha1") == 0 || strcmp(kex, "rsa2048-sha256") == 0)
        return SSH_KEX_RSA;
    for (size_t i = 0; i < sizeof(dh) / sizeof(dh[0]); i++)
        if (strcmp(kex, dh[i]) == 0)
            return SSH_KEX_DH;
    if (ssh_kex_prefix(kex, "diffie-hellman-group-exchange-"))
        return SSH_KEX_DH_GEX;
    if (ssh_kex_prefix(kex, "gss-"))
        return SSH_KEX_GSS;
    if (ssh_kex_prefix(kex, "ecdh-sha2-") || strcmp(kex, "ecmqv-sha2") == 0 ||
        ssh_kex_prefix(kex, "curve25519-sha256") || ssh_kex_prefix(kex, "curve448-sha512") ||
        ssh_kex_prefix(kex, "sntrup761x25519-sha512") || ssh_kex_prefix(kex, "mlkem768"))
        return SSH_KEX_ECC;
    return SSH_KEX_UNKNOWN;
}

static void ssh_kex_md5_hex(const char *s, char out[33])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    out[0] = '\0';
    if (!EVP_Digest(s, strlen(s), md, &n, EVP_md5(), NULL) || n != 16)
        return;
    for (unsigned i = 0; i < 16; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* Names of one list joined by "," with empty entries dropped (as Zeek's vectors). */
static size_t ssh_kex_join(const char *list, size_t len, char *out, size_t cap)
{
    size_t o = 0, pos = 0;
    const char *name;
    size_t nlen;
    while (list && ssh_kex_next_name(list, len, &pos, &name, &nlen)) {
        if (o + nlen + 2 > cap)
            break;
        if (o)
            out[o++] = ',';
        memcpy(out + o, name, nlen);
        o += nlen;
    }
    out[o] = '\0';
    return o;
}

/* "kex;enc;mac;comp" of one side (first = the c2s or s2c column). */
static char *ssh_kex_hassh_string(const struct ssh_kexinit *s, int dir_off)
{
    static const enum ssh_list cols[4] = {SSH_L_KEX, SSH_L_ENC_CS, SSH_L_MAC_CS, SSH_L_COMP_CS};
    size_t cap = 4 * SSH_LIST_MAX + 8, o = 0;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    for (int i = 0; i < 4; i++) {
        enum ssh_list l = (enum ssh_list)(cols[i] + (i ? dir_off : 0));
        if (i)
            out[o++] = ';';
        o += ssh_kex_join(s->list[l], s->len[l], out + o, cap - o - 1);
    }
    out[o] = '\0';
    return out;
}

static void ssh_kex_negotiate(struct ssh_kex *k, struct proto_ctx *ctx, int64_t ts)
{
    ssh_kex_find_bidi(k, SSH_L_ENC_CS, k->cipher, sizeof(k->cipher));
    ssh_kex_find_bidi(k, SSH_L_MAC_CS, k->mac, sizeof(k->mac));
    ssh_kex_find_bidi(k, SSH_L_COMP_CS, k->comp, sizeof(k->comp));
    ssh_kex_find(k, SSH_L_KEX, k->kex, sizeof(k->kex));
    ssh_kex_find(k, SSH_L_HOSTKEY, k->host_key_alg, sizeof(k->host_key_alg));
    k->negotiated = true;
    if (strcmp(k->kex, "Algorithm negotiation failed") != 0) {
        k->kind = ssh_kex_kind_of(k->kex);
        if (k->kind == SSH_KEX_UNKNOWN)
            proto_weird(ctx, "ssh_unknown_kex_algorithm", k->kex, ts);
    }
}

static void ssh_kex_hassh(struct ssh_kex *k, enum proto_dir dir)
{
    if (dir == PROTO_ORIG && !k->hassh_alg) {
        k->hassh_alg = ssh_kex_hassh_string(&k->side[PROTO_ORIG], 0);
        if (k->hassh_alg)
            ssh_kex_md5_hex(k->hassh_alg, k->hassh);
    } else if (dir == PROTO_RESP && !k->hassh_server_alg) {
        k->hassh_server_alg = ssh_kex_hassh_string(&k->side[PROTO_RESP], 1);
        if (k->hassh_server_alg)
            ssh_kex_md5_hex(k->hassh_server_alg, k->hassh_server);
    }
}

int ssh_kex_kexinit(struct ssh_kex *k, struct proto_ctx *ctx, enum proto_dir dir,
                    const uint8_t *p, size_t len, int64_t ts)
{
    struct ssh_kexinit *s = &k->side[dir];
    if (s->seen) /* a repeated KEXINIT of the same side is ignored, as Zeek's script does */
        return 0;
    struct cursor c;
    cursor_init(&c, p, len);
    const uint8_t *v[SSH_L_N];
    size_t vl[SSH_L_N];
    if (cursor_skip(&c, 16) < 0) /* cookie */
        return -1;
    for (int i = 0; i < SSH_L_N; i++)
        if (ssh_kex_string(&c, &v[i], &vl[i], ctx, ts) < 0)
            return -1;
    for (int i = 0; i < SSH_L_N; i++) {
        size_t n = vl[i] > SSH_LIST_MAX ? SSH_LIST_MAX : vl[i];
        if (vl[i] > SSH_LIST_MAX)
            proto_weird(ctx, "ssh_name_list_too_long", NULL, ts);
        s->list[i] = malloc(n + 1);
        if (!s->list[i])
            return -1;
        memcpy(s->list[i], v[i], n);
        s->list[i][n] = '\0';
        s->len[i] = n;
    }
    s->seen = true;
    ssh_kex_hassh(k, dir);
    if (k->side[dir ^ 1].seen && !k->negotiated)
        ssh_kex_negotiate(k, ctx, ts);
    return 0;
}

void ssh_kex_reply(struct ssh_kex *k, struct proto_ctx *ctx, uint8_t msg, const uint8_t *p,
                   size_t len, int64_t ts)
{
    bool carries = (k->kind == SSH_KEX_DH && msg == 31) || (k->kind == SSH_KEX_ECC && msg == 31) ||
                   (k->kind == SSH_KEX_DH_GEX && msg == 33) ||
                   (k->kind == SSH_KEX_GSS && msg == 33) || (k->kind == SSH_KEX_RSA && msg == 30);
    if (!carries || k->have_host_key)
        return;
    struct cursor c;
    cursor_init(&c, p, len);
    const uint8_t *blob;
    size_t bl;
    if (ssh_kex_string(&c, &blob, &bl, ctx, ts) < 0)
        return;
    /* Zeek 8 reads the key blob as SSH strings too (type, then the key's
     * parts): a part over its string cap loses the fingerprint. */
    struct cursor kc;
    cursor_init(&kc, blob, bl);
    while (cursor_left(&kc) >= 4) {
        const uint8_t *part;
        size_t pl;
        uint32_t n;
        struct cursor peek = kc;
        (void)cursor_u32be(&peek, &n);
        if (n <= SSH_STRING_MAX && n > cursor_left(&peek))
            break;
        if (ssh_kex_string(&kc, &part, &pl, ctx, ts) < 0)
            return;
    }
    ssh_kex_fingerprint(blob, bl, k->host_key, sizeof(k->host_key));
    k->have_host_key = true;
}

/*
 * Zeek 8 logs "SHA256:" and the first 32 characters of the base64 form of
 * SHA-256 over the key blob (what the corpus's *.zeek8-ssh.log hold: the
 * first 24 digest bytes, no padding).
 */
void ssh_kex_fingerprint(const uint8_t *blob, size_t len, char *out, size_t outlen)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    unsigned char b64[64];
    if (outlen == 0)
        return;
    out[0] = '\0';
    if (!EVP_Digest(blob, len, md, &n, EVP_sha256(), NULL) || n != 32)
        return;
    int m = EVP_EncodeBlock(b64, md, 24); /* 24 bytes -> 32 characters */
    if (m != 32)
        return;
    snprintf(out, outlen, "SHA256:%.32s", (const char *)b64);
}

bool ssh_kex_compressed(const struct ssh_kex *k)
{
    return k->negotiated && (strcmp(k->comp, "zlib") == 0 || strcmp(k->comp, "zlib@openssh.com") == 0);
}

void ssh_kex_free(struct ssh_kex *k)
{
    for (int d = 0; d < 2; d++)
        for (int i = 0; i < SSH_L_N; i++)
            free(k->side[d].list[i]);
    free(k->hassh_alg);
    free(k->hassh_server_alg);
    memset(k, 0, sizeof(*k));
}
