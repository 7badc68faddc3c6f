/*
 * ssh.c - the SSH parser ("ssh"): identification lines, the binary packet
 * protocol up to SSH_MSG_NEWKEYS, Zeek's authentication inference from
 * encrypted segment sizes, and ssh.log.
 *
 * Owns the parser descriptor (probe, state, parse, gap, free), the per
 * direction framing (lines, then packets: uint32 packet_length, byte
 * padding_length, payload, padding; no MAC before NEWKEYS) and ssh.log.
 * Key exchange contents (KEXINIT name-lists, negotiation, HASSH, host key)
 * are decoded in ssh_kex.c.
 *
 * Specs: RFC 4253 (4.2 identification and the lines a server may send
 * before it, 6 binary packets, 7 key exchange), RFC 4251 (data types),
 * RFC 4419 / 5656 (GEX and ECDH replies).  Log: Zeek 8's ssh.log as
 * base/protocols/ssh/main.zeek writes it (field list of the corpus's
 * *.zeek8-ssh.log) followed by community_id and the fields of the
 * Salesforce hassh package (hasshVersion, hassh, hasshAlgorithms,
 * hasshServer, hasshServerAlgorithms, cshka, sshka); docs/logs/ssh.md.
 *
 * Zeek's behaviour kept here: version from both banners (1.99 counts as
 * 2 against 2, as 1 against 1.x); a direction becomes encrypted after
 * its NEWKEYS; each delivered segment's encrypted byte count feeds the
 * analyzer's size heuristic (first server size after client data is
 * SERVICE_ACCEPT; 16 less is USERAUTH_SUCCESS; the next other size is
 * USERAUTH_FAILURE and repeats count attempts; a first reply > 256 bytes
 * bigger is skipped once as a banner); nothing counts with zlib
 * compression.  The row is written at once on success, else when the
 * session ends; after a content gap nothing more is parsed.
 *
 *   BANNER ──line "SSH-"──► BINARY ──packet 21 (NEWKEYS)──► ENCRYPTED ──► size heuristic
 *     │ (server: other lines skipped)  │ 20 KEXINIT, 30/31/33 reply        └─ success: log, DONE
 *     └─ SSH-1.x session: STOP         └─ framing error: weird, STOP
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cursor.h"
#include "proto/ssh_int.h"

/* ---- ssh.log ---- */

struct ssh_record {
    struct record_hdr hdr;
    int64_t ts;
    struct rstr uid;
    struct raddr orig_h;
    uint64_t orig_p;
    struct raddr resp_h;
    uint64_t resp_p;
    uint64_t version;
    bool auth_success;
    uint64_t auth_attempts;
    struct rstr direction, client, server;
    struct rstr cipher_alg, mac_alg, compression_alg, kex_alg, host_key_alg, host_key;
    struct rstr community_id;
    struct rstr hassh_version, hassh, hassh_algs, hassh_server, hassh_server_algs, cshka, sshka;
};

enum ssh_field {
    SSF_TS, SSF_UID, SSF_ORIG_H, SSF_ORIG_P, SSF_RESP_H, SSF_RESP_P, SSF_VERSION,
    SSF_AUTH_SUCCESS, SSF_AUTH_ATTEMPTS, SSF_DIRECTION, SSF_CLIENT, SSF_SERVER, SSF_CIPHER,
    SSF_MAC, SSF_COMP, SSF_KEX, SSF_HOST_KEY_ALG, SSF_HOST_KEY, SSF_COMMUNITY_ID,
    SSF_HASSH_VERSION, SSF_HASSH, SSF_HASSH_ALGS, SSF_HASSH_SERVER, SSF_HASSH_SERVER_ALGS,
    SSF_CSHKA, SSF_SSHKA, SSF_N
};

#define F(name, type, member) {name, type, offsetof(struct ssh_record, member)}

static const struct record_field ssh_fields[SSF_N] = {
    F("ts", RT_TIME, ts),
    F("uid", RT_STRING, uid),
    F("id.orig_h", RT_ADDR, orig_h),
    F("id.orig_p", RT_PORT, orig_p),
    F("id.resp_h", RT_ADDR, resp_h),
    F("id.resp_p", RT_PORT, resp_p),
    F("version", RT_COUNT, version),
    F("auth_success", RT_BOOL, auth_success),
    F("auth_attempts", RT_COUNT, auth_attempts),
    F("direction", RT_ENUM, direction),
    F("client", RT_STRING, client),
    F("server", RT_STRING, server),
    F("cipher_alg", RT_STRING, cipher_alg),
    F("mac_alg", RT_STRING, mac_alg),
    F("compression_alg", RT_STRING, compression_alg),
    F("kex_alg", RT_STRING, kex_alg),
    F("host_key_alg", RT_STRING, host_key_alg),
    F("host_key_fingerprint", RT_STRING, host_key),
    F("community_id", RT_STRING, community_id),
    F("hasshVersion", RT_STRING, hassh_version),
    F("hassh", RT_STRING, hassh),
    F("hasshAlgorithms", RT_STRING, hassh_algs),
    F("hasshServer", RT_STRING, hassh_server),
    F("hasshServerAlgorithms", RT_STRING, hassh_server_algs),
    F("cshka", RT_STRING, cshka),
    F("sshka", RT_STRING, sshka),
};

const struct record_type ssh_record_type = {
    .path = "ssh",
    .fields = ssh_fields,
    .n_fields = SSF_N,
    .size = sizeof(struct ssh_record),
};

/* ---- state ---- */

enum ssh_phase {
    SSH_P_BANNER,    /* identification line (server: pre-banner lines allowed) */
    SSH_P_BINARY,    /* SSH-2 binary packets before NEWKEYS */
    SSH_P_ENCRYPTED, /* after this side's NEWKEYS: sizes only */
    SSH_P_STOP,      /* nothing more of interest on this side */
};

struct ssh_dir {
    enum ssh_phase phase;
    char line[SSH_LINE_MAX];
    size_t line_len;
    bool line_over;        /* the current line passed SSH_LINE_MAX: skipping to LF */
    unsigned pre_lines;    /* server lines before the banner */
    char *banner;          /* identification line without CR LF (malloc) */
    size_t banner_len;
    uint8_t hdr[6];        /* packet_length, padding_length, message number */
    size_t hdr_len;
    size_t body_left;      /* bytes of the current packet after hdr */
    uint8_t *msg;          /* payload being buffered (messages we decode) */
    size_t msg_len, msg_want;
    bool collect;
    uint8_t cur_msg;
};

struct ssh_state {
    struct ssh_dir dir[2];
    struct ssh_kex kex;
    bool session;          /* a banner was seen: the row exists (Zeek's set_session) */
    bool have_ts;
    int64_t ts;
    int version;           /* -1 until both banners give one */
    bool confirmed, logged, had_gap;
    /* Zeek's SSH_Analyzer::ProcessEncrypted */
    bool auth_decided, skipped_banner, saw_client_data;
    int64_t service_accept_size, userauth_failure_size;
    bool auth_known, auth_success;
    uint64_t auth_attempts;
};

static const uint16_t ssh_ports[] = {22, 0};

/* ---- the row ---- */

static struct rstr ssh_rs(const char *p, size_t n)
{
    struct rstr r = {p, n};
    return r;
}

static struct rstr ssh_rsz(const char *s)
{
    return ssh_rs(s, strlen(s));
}

/* Zeek's Site::private_address_space, local when no local nets are given. */
static bool ssh_addr_local(const struct raddr *a)
{
    if (a->family == 4) {
        uint32_t v = (uint32_t)a->a[0] << 24 | (uint32_t)a->a[1] << 16 | (uint32_t)a->a[2] << 8 |
                     a->a[3];
        return (v >> 24) == 10 || (v >> 20) == (172u << 4 | 1) || (v >> 16) == (192u << 8 | 168) ||
               (v >> 22) == (100u << 2 | 1) || (v >> 24) == 127 || (v >> 16) == (169u << 8 | 254);
    }
    if (a->family == 6) {
        static const uint8_t loop[16] = {[15] = 1};
        return (a->a[0] & 0xfe) == 0xfc || (a->a[0] == 0xfe && (a->a[1] & 0xc0) == 0x80) ||
               memcmp(a->a, loop, 16) == 0;
    }
    return false;
}

static void ssh_set(struct ssh_record *r, enum ssh_field f, struct rstr v)
{
    *(struct rstr *)((char *)r + ssh_fields[f].offset) = v;
    record_set_unset(&r->hdr, f, false);
}

static void ssh_fill_kex(const struct ssh_state *s, struct ssh_record *r)
{
    const struct ssh_kex *k = &s->kex;
    if (k->negotiated) {
        ssh_set(r, SSF_CIPHER, ssh_rsz(k->cipher));
        ssh_set(r, SSF_MAC, ssh_rsz(k->mac));
        ssh_set(r, SSF_COMP, ssh_rsz(k->comp));
        ssh_set(r, SSF_KEX, ssh_rsz(k->kex));
        ssh_set(r, SSF_HOST_KEY_ALG, ssh_rsz(k->host_key_alg));
    }
    if (k->have_host_key && k->host_key[0])
        ssh_set(r, SSF_HOST_KEY, ssh_rsz(k->host_key));
    if (k->hassh[0] || k->hassh_server[0])
        ssh_set(r, SSF_HASSH_VERSION, ssh_rsz("1.1"));
    if (k->hassh[0]) {
        ssh_set(r, SSF_HASSH, ssh_rsz(k->hassh));
        ssh_set(r, SSF_HASSH_ALGS, ssh_rsz(k->hassh_alg));
        ssh_set(r, SSF_CSHKA, ssh_rs(k->side[PROTO_ORIG].list[SSH_L_HOSTKEY],
                                     k->side[PROTO_ORIG].len[SSH_L_HOSTKEY]));
    }
    if (k->hassh_server[0]) {
        ssh_set(r, SSF_HASSH_SERVER, ssh_rsz(k->hassh_server));
        ssh_set(r, SSF_HASSH_SERVER_ALGS, ssh_rsz(k->hassh_server_alg));
        ssh_set(r, SSF_SSHKA, ssh_rs(k->side[PROTO_RESP].list[SSH_L_HOSTKEY],
                                     k->side[PROTO_RESP].len[SSH_L_HOSTKEY]));
    }
}

/* Write the row once (Zeek: a row needs its version, so a session with
 * fewer than two usable banners writes none). */
static void ssh_log(struct ssh_state *s, struct proto_ctx *ctx)
{
    if (s->logged || !s->session || s->version < 0)
        return;
    s->logged = true;
    struct ssh_record r;
    memset(&r, 0, sizeof(r));
    r.hdr.type = &ssh_record_type;
    for (size_t i = 0; i < SSF_N; i++)
        record_set_unset(&r.hdr, i, true);
    const struct proto_conn *pc = proto_conn(ctx);
    struct proto_id id;
    proto_fill_id(ctx, &id);
    r.ts = s->ts;
    r.uid = ssh_rsz(pc && pc->uid ? pc->uid : "");
    r.orig_h = id.orig_h;
    r.orig_p = id.orig_p;
    r.resp_h = id.resp_h;
    r.resp_p = id.resp_p;
    r.version = (uint64_t)s->version;
    r.auth_attempts = s->auth_attempts;
    for (size_t i = SSF_TS; i <= SSF_VERSION; i++)
        record_set_unset(&r.hdr, i, false);
    record_set_unset(&r.hdr, SSF_AUTH_ATTEMPTS, false);
    if (s->auth_known) {
        r.auth_success = s->auth_success;
        record_set_unset(&r.hdr, SSF_AUTH_SUCCESS, false);
    }
    bool lo = ssh_addr_local(&id.orig_h), lr = ssh_addr_local(&id.resp_h);
    if (lo != lr)
        ssh_set(&r, SSF_DIRECTION, ssh_rsz(lo ? "OUTBOUND" : "INBOUND"));
    if (s->dir[PROTO_ORIG].banner)
        ssh_set(&r, SSF_CLIENT, ssh_rs(s->dir[PROTO_ORIG].banner, s->dir[PROTO_ORIG].banner_len));
    if (s->dir[PROTO_RESP].banner)
        ssh_set(&r, SSF_SERVER, ssh_rs(s->dir[PROTO_RESP].banner, s->dir[PROTO_RESP].banner_len));
    ssh_fill_kex(s, &r);
    if (pc && pc->community_id)
        ssh_set(&r, SSF_COMMUNITY_ID, ssh_rsz(pc->community_id));
    proto_emit(ctx, &r.hdr);
}

/* ---- versions ---- */

static bool ssh_is_199(const char *b, size_t n)
{
    return n > 7 && b[6] == '9' && b[7] == '9';
}

/* Zeek's set_version(): -1 while undetermined. */
static int ssh_version_of(const struct ssh_state *s)
{
    const struct ssh_dir *c = &s->dir[PROTO_ORIG], *v = &s->dir[PROTO_RESP];
    if (!c->banner || !v->banner || c->banner_len <= 4 || v->banner_len <= 4)
        return -1;
    char cm = c->banner[4], sm = v->banner[4];
    bool c199 = ssh_is_199(c->banner, c->banner_len), s199 = ssh_is_199(v->banner, v->banner_len);
    if (cm == '1' && sm == '2')
        return c199 ? 2 : 0;
    if (cm == '2' && sm == '1')
        return s199 ? 2 : 0;
    if (cm == '1' && sm == '1')
        return s199 && c199 ? 2 : 1;
    if (cm == '2' && sm == '2')
        return 2;
    return -1;
}

/* The protocol a side speaks after its banner: 2 (binary packets) or 1. */
static int ssh_wire_version(const struct ssh_state *s, enum proto_dir d)
{
    if (s->version >= 0)
        return s->version;
    const struct ssh_dir *x = &s->dir[d];
    if (x->banner_len > 4 && (x->banner[4] == '2' || ssh_is_199(x->banner, x->banner_len)))
        return 2;
    return 1;
}

/* ---- identification lines ---- */

static void ssh_detect(struct ssh_state *s, struct proto_ctx *ctx, enum proto_dir d);

static int ssh_banner_take(struct ssh_state *s, struct proto_ctx *ctx, enum proto_dir d,
                           int64_t ts)
{
    struct ssh_dir *x = &s->dir[d];
    size_t n = x->line_len;
    if (n > 0 && x->line[n - 1] == '\r')
        n--;
    if (n < 4 || memcmp(x->line, "SSH-", 4) != 0) {
        /* RFC 4253 4.2: a server may send other lines first */
        if (d == PROTO_RESP && ++x->pre_lines <= SSH_PRE_BANNER_MAX)
            return 0;
        proto_weird(ctx, "malformed_ssh_identification", NULL, ts);
        return -1;
    }
    x->banner = malloc(n + 1);
    if (!x->banner)
        return -1;
    memcpy(x->banner, x->line, n);
    x->banner[n] = '\0';
    x->banner_len = n;
    /* Zeek's ts: its first version event.  Off port 22 the analyzer only
     * starts once both sides' signatures matched (dpd.sig), so the later
     * banner's packet. */
    const struct proto_conn *pc = proto_conn(ctx);
    bool by_port = !pc || pc->resp_p == 22;
    if (!s->have_ts && (by_port || s->dir[d ^ 1].banner)) {
        s->have_ts = true;
        s->ts = ts;
    }
    s->session = true;
    s->version = ssh_version_of(s);
    if (s->dir[d ^ 1].banner && !s->confirmed) {
        s->confirmed = true;
        proto_confirm(ctx);
    }
    ssh_detect(s, ctx, d);
    x->phase = ssh_wire_version(s, d) == 2 ? SSH_P_BINARY : SSH_P_STOP;
    /* a 1.99 side that went binary early stops once the session is SSH-1 */
    if (s->version >= 0 && s->version != 2)
        for (int i = 0; i < 2; i++)
            if (s->dir[i].phase == SSH_P_BINARY)
                s->dir[i].phase = SSH_P_STOP;
    return 0;
}

/* The signature engine's inspection point after a side's banner or KEXINIT
 * (proto.h): ssh.proto / ssh.software from "SSH-2.0-OpenSSH_7.4 comment",
 * and that side's HASSH (client: ssh.hassh, server: ssh.hassh.server) with
 * the hashed string.  One transaction per session. */
static void ssh_detect(struct ssh_state *s, struct proto_ctx *ctx, enum proto_dir d)
{
    if (!proto_inspecting(ctx))
        return;
    struct proto_insp in;
    proto_insp_init(&in, d, 0);
    const struct ssh_dir *x = &s->dir[d];
    if (x->banner && x->banner_len > 4) {
        const char *p = x->banner + 4, *end = x->banner + x->banner_len;
        const char *dash = memchr(p, '-', (size_t)(end - p));
        if (dash) {
            proto_insp_buf(&in, PI_SSH_PROTO, p, (size_t)(dash - p));
            const char *sw = dash + 1, *sp = memchr(sw, ' ', (size_t)(end - sw));
            proto_insp_buf(&in, PI_SSH_SOFTWARE, sw, (size_t)((sp ? sp : end) - sw));
        }
    }
    const char *h = d == PROTO_ORIG ? s->kex.hassh : s->kex.hassh_server;
    const char *hs = d == PROTO_ORIG ? s->kex.hassh_alg : s->kex.hassh_server_alg;
    if (h[0] && hs) {
        proto_insp_buf(&in, d == PROTO_ORIG ? PI_SSH_HASSH : PI_SSH_HASSH_SERVER, h, strlen(h));
        proto_insp_buf(&in, d == PROTO_ORIG ? PI_SSH_HASSH_STRING : PI_SSH_HASSH_SERVER_STRING,
                       hs, strlen(hs));
    }
    if (in.n)
        proto_inspect(ctx, &in);
}

/* Consume line bytes from c; -1 when this is not SSH. */
static int ssh_lines(struct ssh_state *s, struct proto_ctx *ctx, enum proto_dir d,
                     struct cursor *c, int64_t ts)
{
    struct ssh_dir *x = &s->dir[d];
    while (x->phase == SSH_P_BANNER && cursor_left(c) > 0) {
        uint8_t b;
        (void)cursor_u8(c, &b);
        if (b != '\n') {
            if (x->line_len < SSH_LINE_MAX)
                x->line[x->line_len++] = (char)b;
            else
                x->line_over = true;
            continue;
        }
        if (x->line_over) {
            proto_weird(ctx, "ssh_identification_too_long", NULL, ts);
            if (d != PROTO_RESP || memcmp(x->line, "SSH-", 4) == 0)
                return -1;
        }
        int r = x->line_over ? 0 : ssh_banner_take(s, ctx, d, ts);
        if (x->line_over && ++x->pre_lines > SSH_PRE_BANNER_MAX)
            r = -1;
        x->line_len = 0;
        x->line_over = false;
        if (r < 0)
            return -1;
    }
    return 0;
}

/* ---- binary packets (RFC 4253 6) ---- */

static void ssh_packet_done(struct ssh_state *s, struct proto_ctx *ctx, enum proto_dir d,
                            int64_t ts)
{
    struct ssh_dir *x = &s->dir[d];
    if (x->collect && x->msg_len == x->msg_want) {
        if (x->cur_msg == 20) {
            if (ssh_kex_kexinit(&s->kex, ctx, d, x->msg, x->msg_len, ts) < 0)
                proto_weird(ctx, "ssh_malformed_kexinit", NULL, ts);
            else
                ssh_detect(s, ctx, d);
        } else if (d == PROTO_RESP) {
            ssh_kex_reply(&s->kex, ctx, x->cur_msg, x->msg, x->msg_len, ts);
        }
    }
    free(x->msg);
    x->msg = NULL;
    x->msg_len = x->msg_want = 0;
    x->collect = false;
    x->hdr_len = 0;
    if (x->cur_msg == 21) { /* SSH_MSG_NEWKEYS */
        x->phase = SSH_P_ENCRYPTED;
        if (s->dir[0].phase == SSH_P_ENCRYPTED && s->dir[1].phase == SSH_P_ENCRYPTED)
            proto_encrypted(ctx); /* both sides: no more payload inspection */
    }
}

/* The 6-byte head is complete: check lengths, decide whether to buffer. */
static int ssh_packet_start(struct ssh_state *s, struct proto_ctx *ctx, enum proto_dir d,
                            int64_t ts)
{
    struct ssh_dir *x = &s->dir[d];
    struct cursor h;
    uint32_t plen;
    uint8_t pad;
    cursor_init(&h, x->hdr, sizeof(x->hdr));
    (void)cursor_u32be(&h, &plen);
    (void)cursor_u8(&h, &pad);
    (void)cursor_u8(&h, &x->cur_msg);
    if (plen < 2 || (uint32_t)pad + 2 > plen || plen > SSH_STRING_MAX) {
        proto_weird(ctx, "ssh_bad_packet_length", NULL, ts);
        return -1;
    }
    x->body_left = plen - 2;
    uint8_t m = x->cur_msg;
    bool want = m == 20 || (d == PROTO_RESP && (m == 30 || m == 31 || m == 33));
    size_t payload = plen - 2 - pad;
    if (want && payload > SSH_PACKET_MAX) {
        proto_weird(ctx, "ssh_packet_too_large", NULL, ts);
        want = false;
    }
    if (want) {
        x->msg = malloc(payload ? payload : 1);
        if (!x->msg)
            return -1;
        x->msg_want = payload;
        x->collect = true;
    }
    return 0;
}

/* Consume packet bytes from c until this side is encrypted; -1 on a framing error. */
static int ssh_packets(struct ssh_state *s, struct proto_ctx *ctx, enum proto_dir d,
                       struct cursor *c, int64_t ts)
{
    struct ssh_dir *x = &s->dir[d];
    while (x->phase == SSH_P_BINARY && cursor_left(c) > 0) {
        if (x->hdr_len < sizeof(x->hdr)) {
            size_t n = sizeof(x->hdr) - x->hdr_len;
            if (n > cursor_left(c))
                n = cursor_left(c);
            (void)cursor_bytes(c, x->hdr + x->hdr_len, n);
            x->hdr_len += n;
            if (x->hdr_len < sizeof(x->hdr))
                return 0;
            if (ssh_packet_start(s, ctx, d, ts) < 0)
                return -1;
        }
        size_t n = x->body_left < cursor_left(c) ? x->body_left : cursor_left(c);
        const uint8_t *p;
        (void)cursor_ptr(c, n, &p);
        if (x->collect && x->msg_len < x->msg_want) {
            size_t k = x->msg_want - x->msg_len < n ? x->msg_want - x->msg_len : n;
            memcpy(x->msg + x->msg_len, p, k);
            x->msg_len += k;
        }
        x->body_left -= n;
        if (x->body_left == 0)
            ssh_packet_done(s, ctx, d, ts);
    }
    return 0;
}

/* ---- encrypted sizes (Zeek's SSH_Analyzer::ProcessEncrypted) ---- */

static void ssh_auth_attempted(struct ssh_state *s, bool ok)
{
    if (s->auth_known && s->auth_success)
        return;
    if (ssh_kex_compressed(&s->kex))
        return; /* Zeek cannot tell through compression */
    s->auth_known = true;
    s->auth_success = ok;
    s->auth_attempts++;
}

static void ssh_encrypted(struct ssh_state *s, enum proto_dir d, int64_t len)
{
    if (s->auth_decided || s->version != 2)
        return;
    if (d == PROTO_ORIG) {
        s->saw_client_data = true;
        return;
    }
    if (!s->saw_client_data)
        return;
    if (!s->service_accept_size) {
        s->service_accept_size = len;
        return;
    }
    if (!s->userauth_failure_size && len + 16 == s->service_accept_size) {
        s->auth_decided = true;
        ssh_auth_attempted(s, true);
        return;
    }
    if (!s->userauth_failure_size) {
        if (!s->skipped_banner && len - s->service_accept_size > 256) {
            s->skipped_banner = true;
            return;
        }
        s->userauth_failure_size = len;
        return;
    }
    if (len == s->userauth_failure_size) {
        ssh_auth_attempted(s, false);
        return;
    }
    if (len - s->service_accept_size == -16) {
        s->auth_decided = true;
        ssh_auth_attempted(s, true);
    }
}

/* ---- descriptor ---- */

/* "SSH-" at the start of a line; the server may send other lines first. */
static enum proto_probe ssh_probe(const uint8_t *data, size_t len, enum proto_dir dir,
                                  uint16_t orig_p, uint16_t resp_p)
{
    static const char tag[4] = {'S', 'S', 'H', '-'};
    (void)orig_p, (void)resp_p;
    size_t start = 0;
    unsigned lines = 0;
    while (start < len) {
        size_t n = len - start < 4 ? len - start : 4;
        if (memcmp(data + start, tag, n) == 0)
            return n == 4 ? PROTO_PROBE_YES : PROTO_PROBE_MAYBE;
        if (dir != PROTO_RESP || ++lines > SSH_PRE_BANNER_MAX)
            return PROTO_PROBE_NO;
        const uint8_t *lf = memchr(data + start, '\n', len - start);
        if (!lf)
            return len - start < SSH_LINE_MAX ? PROTO_PROBE_MAYBE : PROTO_PROBE_NO;
        start = (size_t)(lf - data) + 1;
    }
    return PROTO_PROBE_MAYBE;
}

static void *ssh_state_new(struct proto_ctx *ctx)
{
    (void)ctx;
    struct ssh_state *s = calloc(1, sizeof(*s));
    if (s)
        s->version = -1;
    return s;
}

static bool ssh_finished(const struct ssh_state *s)
{
    if (s->had_gap || s->logged)
        return true;
    if (s->dir[0].phase == SSH_P_STOP && s->dir[1].phase == SSH_P_STOP)
        return true;
    /* with compression nothing after NEWKEYS changes the row */
    return s->dir[0].phase == SSH_P_ENCRYPTED && s->dir[1].phase == SSH_P_ENCRYPTED &&
           ssh_kex_compressed(&s->kex);
}

static enum proto_result ssh_parse(void *state, struct proto_ctx *ctx, enum proto_dir dir,
                                   const uint8_t *data, size_t len, int64_t ts)
{
    struct ssh_state *s = state;
    struct ssh_dir *x = &s->dir[dir];
    struct cursor c;
    cursor_init(&c, data, len);
    if (s->had_gap)
        return PROTO_DONE;
    if (x->phase == SSH_P_ENCRYPTED) {
        ssh_encrypted(s, dir, (int64_t)len);
    } else {
        if (ssh_lines(s, ctx, dir, &c, ts) < 0) {
            if (!s->session)
                return PROTO_ERROR;
            x->phase = SSH_P_STOP;
        }
        if (ssh_packets(s, ctx, dir, &c, ts) < 0)
            x->phase = SSH_P_STOP;
        if (x->phase == SSH_P_ENCRYPTED && cursor_left(&c) > 0)
            ssh_encrypted(s, dir, (int64_t)cursor_left(&c));
    }
    if (s->auth_decided && s->auth_known && s->auth_success)
        ssh_log(s, ctx); /* Zeek writes a success at once */
    return ssh_finished(s) ? PROTO_DONE : PROTO_OK;
}

static enum proto_result ssh_gap(void *state, struct proto_ctx *ctx, enum proto_dir dir,
                                 uint64_t len)
{
    struct ssh_state *s = state;
    (void)ctx, (void)dir, (void)len;
    s->had_gap = true; /* Zeek's analyzer stops on any content gap */
    return PROTO_DONE;
}

static void ssh_state_free(void *state, struct proto_ctx *ctx)
{
    struct ssh_state *s = state;
    if (!s)
        return;
    ssh_log(s, ctx);
    for (int d = 0; d < 2; d++) {
        free(s->dir[d].banner);
        free(s->dir[d].msg);
    }
    ssh_kex_free(&s->kex);
    free(s);
}

const struct proto_parser proto_ssh = {
    .name = "ssh",
    .ip_proto = 6,
    .ports = ssh_ports,
    .probe = ssh_probe,
    .state_new = ssh_state_new,
    .parse = ssh_parse,
    .gap = ssh_gap,
    .eof = NULL,
    .state_free = ssh_state_free,
};
