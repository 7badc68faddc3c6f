/*
 * ftp.c - the FTP control parser ("ftp"), ftp.log, and the data-channel
 * parser ("ftp-data") that file extraction will hang off.
 *
 * Owns both descriptors, the control session state (line assembly both
 * ways, the multi-line reply state, Zeek's FTP::Info with its table of
 * pending commands) and the ftp.log record.  Data-channel parsing of
 * PORT/PASV/EPRT/EPSV text is here too; the sink interface is in ftp.h.
 *
 * Specs: RFC 959 (FTP), RFC 2428 (EPRT/EPSV, IPv6), RFC 3659 (SIZE, MDTM),
 * RFC 4217 (AUTH TLS).  Log: Zeek 8's ftp.log as written by
 * base/protocols/ftp/main.zeek (+ utils.zeek, utils-commands.zeek), plus
 * community_id.  Zeek's pairing is reproduced: each command is queued with
 * a sequence number; a reply goes to the queued command that scores best
 * for its code and text (cmd_reply_code); a command's row is written when
 * the next command arrives after it was answered, or at once when more
 * than one command waits, and at session end for everything still queued;
 * only logged_commands (APPE DELE RETR STOR STOU ACCT PORT PASV EPRT EPSV)
 * make rows.  File commands' arg is ftp://<server><cwd-tracked path>.
 *
 *   client line ──► (row for the answered previous command) ──► queue cmd
 *                   USER/PASS remembered; PORT/EPRT ──► data_channel, proto_expect
 *   reply line  ──► "xyz-" opens a multi-line reply ... "xyz " closes it
 *                   match a queued cmd ──► reply_code/msg; 150/213: file_size;
 *                   227/229 to PASV/EPSV ──► data_channel, proto_expect;
 *                   250/200/257 to CWD/CDUP/PWD ──► cwd; 234 to AUTH TLS ──► "ssl"
 *   session end ──► a row for every queued command
 *
 * GSI (GridFTP, RFC 2228): after "AUTH GSSAPI", a 334 reply opens an "ssl"
 * child parser (proto_child_open); every later "ADAT <base64>" command and
 * "334/335/235 ADAT=<base64>" reply is decoded and fed to it by direction,
 * as Zeek's FTP_ADAT analyzer does (the first client token must look like a
 * TLS handshake record; 232/234/235/4xx/5xx/63x replies or a new AUTH end
 * the exchange).  The child's ssl.log/x509.log rows carry this session's uid;
 * TLS established there adds the "gridftp" service (gridftp.zeek).  That
 * part, with its base64 decoder, is ftp_adat.c.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/cursor.h"
#include "proto/ftp.h"

/* ---- ftp.log ---- */

struct ftp_record {
    struct record_hdr hdr;
    int64_t ts;
    struct rstr uid;
    struct raddr orig_h;
    uint64_t orig_p;
    struct raddr resp_h;
    uint64_t resp_p;
    struct rstr user, password, command, arg, mime_type;
    uint64_t file_size, reply_code;
    struct rstr reply_msg;
    bool dc_passive;
    struct raddr dc_orig_h, dc_resp_h;
    uint64_t dc_resp_p;
    struct rstr fuid;
    struct rstr community_id;
};

enum ftp_field {
    FF_TS, FF_UID, FF_ORIG_H, FF_ORIG_P, FF_RESP_H, FF_RESP_P, FF_USER, FF_PASSWORD, FF_COMMAND,
    FF_ARG, FF_MIME_TYPE, FF_FILE_SIZE, FF_REPLY_CODE, FF_REPLY_MSG, FF_DC_PASSIVE,
    FF_DC_ORIG_H, FF_DC_RESP_H, FF_DC_RESP_P, FF_FUID, FF_COMMUNITY_ID, FF_N
};

#define F(name, type, member) {name, type, offsetof(struct ftp_record, member)}

static const struct record_field ftp_fields[FF_N] = {
    F("ts", RT_TIME, ts),
    F("uid", RT_STRING, uid),
    F("id.orig_h", RT_ADDR, orig_h),
    F("id.orig_p", RT_PORT, orig_p),
    F("id.resp_h", RT_ADDR, resp_h),
    F("id.resp_p", RT_PORT, resp_p),
    F("user", RT_STRING, user),
    F("password", RT_STRING, password),
    F("command", RT_STRING, command),
    F("arg", RT_STRING, arg),
    F("mime_type", RT_STRING, mime_type),
    F("file_size", RT_COUNT, file_size),
    F("reply_code", RT_COUNT, reply_code),
    F("reply_msg", RT_STRING, reply_msg),
    F("data_channel.passive", RT_BOOL, dc_passive),
    F("data_channel.orig_h", RT_ADDR, dc_orig_h),
    F("data_channel.resp_h", RT_ADDR, dc_resp_h),
    F("data_channel.resp_p", RT_PORT, dc_resp_p),
    F("fuid", RT_STRING, fuid),
    F("community_id", RT_STRING, community_id),
};

const struct record_type ftp_record_type = {
    .path = "ftp",
    .fields = ftp_fields,
    .n_fields = FF_N,
    .size = sizeof(struct ftp_record),
};

static bool ftp_capture_password;
static const struct ftp_data_ops *ftp_data_sink;

void ftp_config_capture_password(bool on)
{
    ftp_capture_password = on;
}

void ftp_data_ops_set(const struct ftp_data_ops *ops)
{
    ftp_data_sink = ops;
}

/* ---- state ---- */

struct ftp_buf {
    char *p;
    size_t len;
    bool set;
};

static void ftp_buf_set(struct ftp_buf *b, const void *p, size_t n)
{
    char *q = malloc(n + 1);
    if (!q)
        return;
    if (n)
        memcpy(q, p, n);
    q[n] = 0;
    free(b->p);
    b->p = q;
    b->len = n;
    b->set = true;
}

static void ftp_buf_free(struct ftp_buf *b)
{
    free(b->p);
    memset(b, 0, sizeof(*b));
}

/* Zeek's FTP::CmdArg. */
struct ftp_cmdarg {
    int64_t ts;           /* -1: missing (no command to match) */
    char cmd[24];
    struct ftp_buf arg;
    uint64_t seq;
    bool cwd_consumed;
};

struct ftp_lbuf {
    uint8_t buf[FTP_LINE_MAX];
    size_t len;
    bool over;
};

struct ftp_state {
    struct proto_ctx *ctx;
    struct ftp_lbuf lb[2];
    int pending_reply;            /* code of an open multi-line reply */
    bool auth_tls, in_tls;
    struct ftp_adat adat;         /* GSI exchange (ftp_adat.c) */
    bool confirmed;
    /* Zeek's FTP::Info */
    bool have_info;
    struct ftp_cmdarg pending[FTP_PENDING_MAX + 1];
    size_t n_pending;
    uint64_t command_seq;
    struct ftp_cmdarg cur;        /* c$ftp$cmdarg */
    bool have_cur;
    struct ftp_buf user, password, reply_msg, cwd;
    uint64_t reply_code, file_size;
    bool has_reply_code, has_file_size;
    bool dc_set, dc_passive;
    struct raddr dc_orig, dc_resp;
    uint16_t dc_port;
    struct ftp_buf fuid, mime;    /* of the data channel's file, for the next row */
    struct ftp_link *link;        /* what data sessions hold of this session */
    uint64_t det_ports;           /* PORT/EPRT commands handed to the signature engine */
};

/* ---- data channels back to their control session ----
 *
 * Zeek's ftp_data_expected: [resp_h, resp_p] of an announced data channel
 * -> the control session's FTP::Info, through which the data file's fuid
 * and sniffed type reach the RETR/STOR row.  A link outlives whichever of
 * the two sessions ends first: refs counts the control session, the table
 * entries and the data sessions holding it; s is NULL once the control
 * session is gone. */
struct ftp_link {
    struct ftp_state *s;
    unsigned refs;
};

struct ftp_expected {
    struct raddr h;
    uint16_t p;
    struct ftp_link *link;
};

static _Thread_local struct ftp_expected ftp_expected[FTP_LINKS_MAX];
static _Thread_local size_t ftp_n_expected;

static bool ftp_raddr_eq(const struct raddr *a, const struct raddr *b)
{
    return a->family == b->family && memcmp(a->a, b->a, a->family == 6 ? 16 : 4) == 0;
}

static void ftp_link_put(struct ftp_link *l)
{
    if (l && --l->refs == 0)
        free(l);
}

static void ftp_expected_drop(size_t i)
{
    ftp_link_put(ftp_expected[i].link);
    ftp_expected[i] = ftp_expected[--ftp_n_expected];
}

/* A data channel announced by s: [h, p] leads back to it (a newer entry for
 * the same key replaces the older; the oldest goes when the table is full). */
static void ftp_expected_add(struct ftp_state *s, const struct raddr *h, uint16_t p)
{
    if (!s->link) {
        s->link = calloc(1, sizeof(*s->link));
        if (!s->link)
            return;
        s->link->s = s;
        s->link->refs = 1;
    }
    for (size_t i = 0; i < ftp_n_expected; i++)
        if (ftp_expected[i].p == p && ftp_raddr_eq(&ftp_expected[i].h, h))
            ftp_expected_drop(i--);
    if (ftp_n_expected == FTP_LINKS_MAX)
        ftp_expected_drop(0);
    struct ftp_expected *e = &ftp_expected[ftp_n_expected++];
    e->h = *h;
    e->p = p;
    e->link = s->link;
    s->link->refs++;
}

/* The control session of a data session (a reference the caller puts), or NULL. */
static struct ftp_link *ftp_expected_find(const struct proto_conn *c)
{
    for (size_t i = 0; i < ftp_n_expected; i++) {
        struct ftp_expected *e = &ftp_expected[i];
        if (e->p == c->resp_p && ftp_raddr_eq(&e->h, &c->resp_h) && e->link->s) {
            e->link->refs++;
            return e->link;
        }
    }
    return NULL;
}

/* The control session ends: its entries go, data sessions see s == NULL. */
static void ftp_link_release(struct ftp_state *s)
{
    if (!s->link)
        return;
    for (size_t i = 0; i < ftp_n_expected; i++)
        if (ftp_expected[i].link == s->link)
            ftp_expected_drop(i--);
    s->link->s = NULL;
    ftp_link_put(s->link);
    s->link = NULL;
}

static const uint16_t ftp_ports[] = {21, 2811, 0};

static void ftp_cmdarg_free(struct ftp_cmdarg *c)
{
    ftp_buf_free(&c->arg);
}

static void ftp_cmdarg_copy(struct ftp_cmdarg *dst, const struct ftp_cmdarg *src)
{
    ftp_cmdarg_free(dst);
    *dst = *src;
    memset(&dst->arg, 0, sizeof(dst->arg));
    if (src->arg.set)
        ftp_buf_set(&dst->arg, src->arg.p, src->arg.len);
}

static void ftp_pending_add(struct ftp_state *s, const char *cmd, const uint8_t *arg, size_t n,
                            int64_t ts)
{
    struct ftp_cmdarg *c = &s->pending[s->n_pending++];
    memset(c, 0, sizeof(*c));
    c->ts = ts;
    snprintf(c->cmd, sizeof(c->cmd), "%s", cmd);
    ftp_buf_set(&c->arg, arg, n);
    c->seq = ++s->command_seq;
}

static bool ftp_pending_remove(struct ftp_state *s, uint64_t seq)
{
    for (size_t i = 0; i < s->n_pending; i++) {
        if (s->pending[i].seq != seq)
            continue;
        ftp_cmdarg_free(&s->pending[i]);
        memmove(&s->pending[i], &s->pending[i + 1], (s->n_pending - i - 1) * sizeof(s->pending[0]));
        s->n_pending--;
        return true;
    }
    return false;
}

/* Zeek's set_ftp_session(): the Info, with the "<init>" shim command. */
static void ftp_session(struct ftp_state *s, int64_t ts)
{
    if (s->have_info)
        return;
    s->have_info = true;
    ftp_buf_set(&s->user, "<unknown>", 9);
    ftp_buf_set(&s->cwd, ".", 1);
    ftp_pending_add(s, "<init>", NULL, 0, ts);
}

/* ---- Zeek's cmd_reply_code table ---- */

struct ftp_codes {
    const char *cmd;
    uint16_t codes[20];
};

static const struct ftp_codes ftp_cmd_codes[] = {
    {"<init>", {120, 220, 421, 0}},
    {"USER", {230, 331, 332, 421, 530, 500, 501}},
    {"PASS", {230, 202, 332, 421, 530, 500, 501, 503}},
    {"ACCT", {230, 202, 421, 530, 500, 501, 503}},
    {"CWD", {250, 421, 500, 501, 502, 530, 550}},
    {"CDUP", {200, 250, 421, 500, 501, 502, 530, 550}},
    {"SMNT", {202, 250, 421, 500, 501, 502, 530, 550}},
    {"REIN", {120, 220, 421, 500, 502}},
    {"QUIT", {221, 500, 0}},
    {"PORT", {200, 421, 500, 501, 530}},
    {"PASV", {227, 421, 500, 501, 502, 530}},
    {"MODE", {200, 421, 500, 501, 502, 504, 530}},
    {"TYPE", {200, 421, 500, 501, 504, 530}},
    {"STRU", {200, 421, 500, 501, 504, 530}},
    {"ALLO", {200, 202, 421, 500, 501, 504, 530}},
    {"REST", {200, 350, 421, 500, 501, 502, 530}},
    {"STOR", {110, 125, 150, 226, 250, 421, 425, 426, 451, 551, 552, 532, 450, 452, 553, 500,
              501, 530, 550}},
    {"STOU", {110, 125, 150, 226, 250, 421, 425, 426, 451, 551, 552, 532, 450, 452, 553, 500,
              501, 530, 550}},
    {"RETR", {110, 125, 150, 226, 250, 421, 425, 426, 451, 450, 500, 501, 530, 550}},
    {"LIST", {125, 150, 226, 250, 421, 425, 426, 451, 450, 500, 501, 502, 530, 550}},
    {"NLST", {125, 150, 226, 250, 421, 425, 426, 451, 450, 500, 501, 502, 530, 550}},
    {"APPE", {125, 150, 226, 250, 421, 425, 426, 451, 551, 552, 532, 450, 550, 452, 553, 500,
              501, 502, 530}},
    {"RNFR", {350, 421, 450, 550, 500, 501, 502, 530}},
    {"RNTO", {250, 421, 532, 553, 500, 501, 502, 503, 530}},
    {"DELE", {250, 421, 450, 550, 500, 501, 502, 530}},
    {"RMD", {250, 421, 500, 501, 502, 530, 550}},
    {"MKD", {257, 421, 500, 501, 502, 530, 550}},
    {"PWD", {257, 421, 500, 501, 502, 550}},
    {"ABOR", {225, 226, 421, 500, 501, 502}},
    {"SYST", {215, 421, 500, 501, 502, 530}},
    {"STAT", {211, 212, 213, 421, 450, 500, 501, 502, 530}},
    {"HELP", {200, 211, 214, 421, 500, 501, 502}},
    {"SITE", {200, 202, 214, 500, 501, 502, 530}},
    {"NOOP", {200, 421, 500}},
    {"LPRT", {500, 501, 521}},
    {"FEAT", {211, 500, 502}},
    {"OPTS", {200, 451, 501}},
    {"EPSV", {229, 500, 501}},
    {"EPRT", {200, 500, 501, 522}},
    {"SIZE", {213, 500, 501, 550}},
    {"MDTM", {213, 500, 501, 550}},
    {"MLST", {150, 226, 250, 500, 501, 550}},
    {"MLSD", {150, 226, 250, 500, 501, 550}},
    {"CLNT", {200, 500}},
    {"MACB", {200, 500, 550}},
    {"<missing>", {0}},
};

/* Is [cmd, code] in cmd_reply_code?  (Code 0 is listed for <init>,
 * <missing> and QUIT: the table rows above end at the first 0 otherwise.) */
static bool ftp_code_ok(const char *cmd, unsigned code)
{
    for (size_t i = 0; i < sizeof(ftp_cmd_codes) / sizeof(ftp_cmd_codes[0]); i++) {
        if (strcmp(ftp_cmd_codes[i].cmd, cmd) != 0)
            continue;
        const uint16_t *c = ftp_cmd_codes[i].codes;
        for (size_t k = 0; k < 20; k++) {
            if (c[k] == code && (code != 0 || strcmp(cmd, "<init>") == 0 ||
                                 strcmp(cmd, "<missing>") == 0 || strcmp(cmd, "QUIT") == 0))
                return true;
            if (c[k] == 0)
                break;
        }
    }
    return false;
}

/* Zeek's strstr(big, little) > 0 (an empty little is found at 1). */
static bool ftp_contains(const char *big, size_t bl, const char *little, size_t ll)
{
    if (ll == 0)
        return true;
    if (ll > bl)
        return false;
    for (size_t i = 0; i + ll <= bl; i++)
        if (memcmp(big + i, little, ll) == 0)
            return true;
    return false;
}

/* Zeek's get_pending_cmd(). */
static void ftp_match(struct ftp_state *s, unsigned code, const char *msg, size_t ml)
{
    int best = -1;
    size_t bi = 0;
    for (size_t i = 0; i < s->n_pending; i++) {
        const struct ftp_cmdarg *c = &s->pending[i];
        int score = 0;
        if (code == 500 || ftp_code_ok(c->cmd, code))
            score += 100;
        if (ftp_contains(msg, ml, c->cmd, strlen(c->cmd)))
            score += 20;
        if (ftp_contains(msg, ml, c->arg.p ? c->arg.p : "", c->arg.len))
            score += 10;
        if (score > best || (score == best && s->pending[bi].seq > c->seq)) {
            best = score;
            bi = i;
        }
    }
    if (best < 0) {
        ftp_cmdarg_free(&s->cur);
        memset(&s->cur, 0, sizeof(s->cur));
        s->cur.ts = -1;
        snprintf(s->cur.cmd, sizeof(s->cur.cmd), "<unknown>");
    } else
        ftp_cmdarg_copy(&s->cur, &s->pending[bi]);
    s->have_cur = true;
}

/* ---- paths (base/utils/paths.zeek, Zeek's normalize_path) ---- */

/* Zeek's compress_path. */
static void ftp_path_compress(const char *in, char *out, size_t outlen)
{
    size_t n = strlen(in);
    if (!strstr(in, "/.") && !strstr(in, "//")) {
        if (n > 1 && in[n - 1] == '/')
            n--;
        snprintf(out, outlen, "%.*s", (int)n, in);
        return;
    }
    const char *comp[256];
    size_t clen[256], k = 0;
    if (in[0] == '/') {
        comp[k] = "/";
        clen[k++] = 1;
    }
    for (const char *p = in; *p && k < 256;) {
        const char *e = strchr(p, '/');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        bool first = k == 0;
        if (l && !(l == 1 && p[0] == '.' && !first)) {
            comp[k] = p;
            clen[k++] = l;
            if (l == 2 && p[0] == '.' && p[1] == '.' && k > 1) {
                const char *lc = comp[k - 2];
                size_t ll = clen[k - 2];
                bool keep = (ll == 1 && (lc[0] == '/' || lc[0] == '.')) ||
                            (ll == 2 && lc[0] == '.' && lc[1] == '.');
                if (!keep)
                    k -= 2;
            }
        }
        if (!e)
            break;
        p = e + 1;
    }
    size_t o = 0;
    out[0] = 0;
    for (size_t i = 0; i < k && o + 1 < outlen; i++) {
        if (o && out[o - 1] != '/' && o + 1 < outlen)
            out[o++] = '/';
        size_t l = clen[i] < outlen - o - 1 ? clen[i] : outlen - o - 1;
        memcpy(out + o, comp[i], l);
        o += l;
    }
    out[o] = 0;
}

static bool ftp_path_absolute(const char *f)
{
    if (f[0] == '/')
        return true;
    return isalpha((unsigned char)f[0]) && f[1] == ':' && (f[2] == '\\' || f[2] == '/');
}

void ftp_path_build(const char *dir, const char *file, char *out, size_t outlen)
{
    char tmp[FTP_PATH_MAX * 2 + 2];
    size_t dl = strlen(dir);
    if (ftp_path_absolute(file) || dl == 0)
        snprintf(tmp, sizeof(tmp), "%s", file);
    else
        snprintf(tmp, sizeof(tmp), "%s%s%s", dir, dir[dl - 1] == '/' ? "" : "/", file);
    ftp_path_compress(tmp, out, outlen);
}

/* Zeek's extract_path (the PWD reply's directory). */
static void ftp_path_extract(const char *msg, char *out, size_t outlen)
{
    out[0] = 0;
    for (const char *q = strchr(msg, '"'); q; q = strchr(q + 1, '"')) {
        const char *e = strchr(q + 1, '"');
        if (!e)
            break;
        if (ftp_path_absolute(q + 1)) {
            snprintf(out, outlen, "%.*s", (int)(e - q - 1), q + 1);
            return;
        }
    }
    for (const char *p = msg; *p; p++) {
        if (!ftp_path_absolute(p))
            continue;
        size_t l = 0;
        while (p[l] && p[l] != '"' && p[l] != ' ')
            l++;
        snprintf(out, outlen, "%.*s", (int)l, p);
        return;
    }
}

/* ---- data channel text (Zeek's parse_ftp_port, parse_ftp_pasv, parse_eftp_port) ---- */

/* sscanf's %d: white space, a sign, digits.  false: no number. */
static bool ftp_scan_int(struct cursor *c, long *v)
{
    uint8_t b;
    while (cursor_peek_u8(c, 0, &b) == 0 && isspace(b))
        cursor_skip(c, 1);
    bool neg = false;
    if (cursor_peek_u8(c, 0, &b) == 0 && (b == '+' || b == '-')) {
        neg = b == '-';
        cursor_skip(c, 1);
    }
    size_t nd = 0;
    long x = 0;
    while (cursor_peek_u8(c, 0, &b) == 0 && isdigit(b)) {
        if (x < 100000000L)
            x = x * 10 + (b - '0');
        cursor_skip(c, 1);
        nd++;
    }
    *v = neg ? -x : x;
    return nd > 0;
}

struct ftp_hostport ftp_parse_port(const uint8_t *s, size_t n)
{
    struct ftp_hostport r;
    memset(&r, 0, sizeof(r));
    struct cursor c;
    cursor_init(&c, s, n);
    long v[6];
    for (int i = 0; i < 6; i++) {
        uint8_t b;
        if (!ftp_scan_int(&c, &v[i]) || v[i] < 0 || v[i] > 255)
            return r;
        if (i < 5 && (cursor_u8(&c, &b) < 0 || b != ','))
            return r;
    }
    r.h.family = 4;
    for (int i = 0; i < 4; i++)
        r.h.a[i] = (uint8_t)v[i];
    r.p = (uint16_t)(v[4] << 8 | v[5]);
    r.valid = true;
    return r;
}

struct ftp_hostport ftp_parse_pasv(const uint8_t *s, size_t n)
{
    const uint8_t *paren = memchr(s, '(', n);
    if (paren)
        return ftp_parse_port(paren + 1, n - (size_t)(paren + 1 - s));
    for (size_t i = 0; i + 4 <= n; i++)
        if (memcmp(s + i, "PORT", 4) == 0) {
            size_t off = i + 5 < n ? i + 5 : n;
            return ftp_parse_port(s + off, n - off);
        }
    const uint8_t *comma = memchr(s, ',', n);
    if (comma) {
        const uint8_t *p = comma;
        while (p > s && isdigit(p[-1]))
            p--;
        return ftp_parse_port(p, n - (size_t)(p - s));
    }
    struct ftp_hostport r;
    memset(&r, 0, sizeof(r));
    return r;
}

/* strtol at c: digits (with white space and sign), stopping at the first other byte. */
static long ftp_strtol(struct cursor *c)
{
    long v = 0;
    (void)ftp_scan_int(c, &v);
    return v;
}

struct ftp_hostport ftp_parse_eprt(const uint8_t *s, size_t n)
{
    struct ftp_hostport r;
    memset(&r, 0, sizeof(r));
    struct cursor c;
    cursor_init(&c, s, n);
    uint8_t b, delim;
    while (cursor_peek_u8(&c, 0, &b) == 0 && isspace(b))
        cursor_skip(&c, 1);
    if (cursor_u8(&c, &delim) < 0)
        return r;
    bool good = true;
    (void)ftp_strtol(&c); /* net-prt: not used */
    if (cursor_u8(&c, &b) < 0 || b != delim)
        good = false;
    if (cursor_peek_u8(&c, 0, &b) == 0 && b != delim) {
        const uint8_t *e = memchr(c.p, delim, cursor_left(&c));
        size_t l = e ? (size_t)(e - c.p) : cursor_left(&c);
        char ip[64];
        if (!e || l >= sizeof(ip))
            good = false;
        else {
            memcpy(ip, c.p, l);
            ip[l] = 0;
            if (inet_pton(AF_INET, ip, r.h.a) == 1)
                r.h.family = 4;
            else if (inet_pton(AF_INET6, ip, r.h.a) == 1)
                r.h.family = 6;
            else
                good = false;
        }
        cursor_skip(&c, l);
    }
    if (cursor_u8(&c, &b) < 0)
        good = false;
    long port = ftp_strtol(&c);
    if (cursor_u8(&c, &b) < 0 || b != delim || port < 0 || port > 65535)
        good = false;
    r.p = (uint16_t)port;
    r.valid = good;
    return r;
}

struct ftp_hostport ftp_parse_epsv(const uint8_t *s, size_t n)
{
    const uint8_t *paren = memchr(s, '(', n);
    if (!paren) {
        struct ftp_hostport r;
        memset(&r, 0, sizeof(r));
        return r;
    }
    return ftp_parse_eprt(paren + 1, n - (size_t)(paren + 1 - s));
}

/* ---- the row (Zeek's ftp_message) ---- */

static const char *const ftp_file_cmds[] = {"APPE", "CWD", "DELE", "MKD", "RETR", "RMD", "RNFR",
                                            "RNTO", "STOR", "STOU", "REST", "SIZE", "MDTM"};
static const char *const ftp_logged_cmds[] = {"APPE", "DELE", "RETR", "STOR", "STOU",
                                              "ACCT", "PORT", "PASV", "EPRT", "EPSV"};

static bool ftp_in(const char *cmd, const char *const *set, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(cmd, set[i]) == 0)
            return true;
    return false;
}

static bool ftp_hide_password(const struct ftp_state *s)
{
    static const char *const guests[] = {"anonymous", "ftp", "ftpuser", "guest"};
    if (ftp_capture_password)
        return false;
    for (size_t i = 0; i < 4; i++)
        if (s->user.p && strcasecmp(s->user.p, guests[i]) == 0 && strlen(guests[i]) == s->user.len)
            return false;
    return true;
}

static void ftp_rs(struct ftp_record *r, size_t f, struct rstr *dst, const char *p, size_t n)
{
    dst->p = p;
    dst->len = n;
    record_set_unset(&r->hdr, f, false);
}

/* ftp://<server><path> for file commands (Zeek's build_url_ftp). */
static void ftp_url(const struct ftp_state *s, const char *arg, char *out, size_t outlen)
{
    const struct proto_conn *c = proto_conn(s->ctx);
    char host[INET6_ADDRSTRLEN + 2] = "";
    char a[INET6_ADDRSTRLEN];
    if (inet_ntop(c->resp_h.family == 6 ? AF_INET6 : AF_INET, c->resp_h.a, a, sizeof(a)))
        snprintf(host, sizeof(host), c->resp_h.family == 6 ? "[%s]" : "%s", a);
    char path[FTP_PATH_MAX];
    ftp_path_build(s->cwd.p ? s->cwd.p : ".", arg, path, sizeof(path));
    snprintf(out, outlen, "ftp://%s%s%s", host, path[0] == '/' ? "" : "/", path);
}

static void ftp_record_base(struct ftp_state *s, struct ftp_record *r)
{
    memset(r, 0, sizeof(*r));
    r->hdr.type = &ftp_record_type;
    for (size_t f = FF_USER; f < FF_N; f++)
        record_set_unset(&r->hdr, f, true);
    const struct proto_conn *c = proto_conn(s->ctx);
    struct proto_id id;
    proto_fill_id(s->ctx, &id);
    r->ts = s->cur.ts;
    r->uid.p = c->uid ? c->uid : "";
    r->uid.len = strlen(r->uid.p);
    r->orig_h = id.orig_h;
    r->orig_p = id.orig_p;
    r->resp_h = id.resp_h;
    r->resp_p = id.resp_p;
    if (c->community_id)
        ftp_rs(r, FF_COMMUNITY_ID, &r->community_id, c->community_id, strlen(c->community_id));
}

static void ftp_message(struct ftp_state *s, int64_t ts)
{
    if (!s->have_info || !s->have_cur || s->cur.ts < 0)
        return; /* Zeek's handler stops at the missing cmdarg$ts */
    static _Thread_local char argbuf[FTP_ARG_MAX + FTP_PATH_MAX + 64]; /* per worker */
    const char *arg = s->cur.arg.p ? s->cur.arg.p : "";
    size_t al = s->cur.arg.len;
    if (ftp_in(s->cur.cmd, ftp_file_cmds, 13)) {
        ftp_url(s, arg, argbuf, sizeof(argbuf));
        arg = argbuf;
        al = strlen(argbuf);
    }
    if (al > FTP_ARG_MAX) {
        char n[32];
        snprintf(n, sizeof(n), "%zu", al);
        proto_weird(s->ctx, "FTP_arg_too_long", n, ts);
        al = FTP_ARG_MAX;
    }
    size_t ml = s->reply_msg.len;
    if (s->reply_msg.set && ml > FTP_REPLY_MSG_MAX) {
        char n[32];
        snprintf(n, sizeof(n), "%zu", ml);
        proto_weird(s->ctx, "FTP_reply_msg_too_long", n, ts);
        ml = FTP_REPLY_MSG_MAX;
    }
    bool hide = ftp_hide_password(s);
    if (strcmp(s->cur.cmd, "PASS") == 0 && hide) {
        arg = "<hidden>";
        al = 8;
    }
    if (s->password.set && hide)
        ftp_buf_set(&s->password, "<hidden>", 8);
    if (ftp_in(s->cur.cmd, ftp_logged_cmds, 10)) {
        struct ftp_record r;
        ftp_record_base(s, &r);
        ftp_rs(&r, FF_USER, &r.user, s->user.p, s->user.len);
        if (s->password.set)
            ftp_rs(&r, FF_PASSWORD, &r.password, s->password.p, s->password.len);
        ftp_rs(&r, FF_COMMAND, &r.command, s->cur.cmd, strlen(s->cur.cmd));
        if (al)
            ftp_rs(&r, FF_ARG, &r.arg, arg, al);
        r.file_size = s->file_size;
        record_set_unset(&r.hdr, FF_FILE_SIZE, !s->has_file_size);
        r.reply_code = s->reply_code;
        record_set_unset(&r.hdr, FF_REPLY_CODE, !s->has_reply_code);
        if (s->reply_msg.set)
            ftp_rs(&r, FF_REPLY_MSG, &r.reply_msg, s->reply_msg.p, ml);
        if (s->mime.set)
            ftp_rs(&r, FF_MIME_TYPE, &r.mime_type, s->mime.p, s->mime.len);
        if (s->fuid.set)
            ftp_rs(&r, FF_FUID, &r.fuid, s->fuid.p, s->fuid.len);
        if (s->dc_set) {
            r.dc_passive = s->dc_passive;
            r.dc_orig_h = s->dc_orig;
            r.dc_resp_h = s->dc_resp;
            r.dc_resp_p = s->dc_port;
            for (size_t f = FF_DC_PASSIVE; f <= FF_DC_RESP_P; f++)
                record_set_unset(&r.hdr, f, false);
        }
        proto_emit(s->ctx, &r.hdr);
    }
    s->has_file_size = false;
    s->dc_set = false;
    ftp_buf_free(&s->mime); /* main.zeek: specific to one transfer, deleted after a row */
    ftp_buf_free(&s->fuid);
}

/* ---- the signature engine's inspection points (proto.h) ---- */

/* A PORT/EPRT command: ftpbounce matches when it names an address other
 * than the client's (Suricata's check).  Each such command is a transaction. */
static void ftp_detect_bounce(struct ftp_state *s, bool bounce)
{
    if (!proto_inspecting(s->ctx))
        return;
    struct proto_insp in;
    proto_insp_init(&in, PROTO_ORIG, s->det_ports++);
    proto_insp_num(&in, PN_FTP_BOUNCE, bounce);
    proto_inspect(s->ctx, &in);
}

/* A data channel's first bytes: ftpdata_command (RETR or STOR of the
 * control session).  Suricata inspects the data channel's transaction on
 * packets of both directions, so both are handed (one transaction). */
static void ftp_detect_data(struct proto_ctx *ctx, const struct ftp_state *s)
{
    if (!s || !proto_inspecting(ctx))
        return;
    uint64_t cmd = strcmp(s->cur.cmd, "RETR") == 0 ? 1 : strcmp(s->cur.cmd, "STOR") == 0 ? 2 : 0;
    if (!cmd)
        return;
    for (int d = 0; d < 2; d++) {
        struct proto_insp in;
        proto_insp_init(&in, d ? PROTO_RESP : PROTO_ORIG, 0);
        proto_insp_num(&in, PN_FTPDATA_CMD, cmd);
        proto_inspect(ctx, &in);
    }
}

/* ---- events (Zeek's ftp_request / ftp_reply handlers) ---- */

static void ftp_expect(struct ftp_state *s, bool passive, const struct raddr *orig,
                       const struct raddr *resp, uint16_t port)
{
    s->dc_set = true;
    s->dc_passive = passive;
    s->dc_orig = *orig;
    s->dc_resp = *resp;
    s->dc_port = port;
    ftp_expected_add(s, resp, port);
    proto_expect(s->ctx, orig, resp, port, "ftp-data", FTP_EXPECT_NS);
}

static void ftp_request(struct ftp_state *s, const char *cmd, const uint8_t *arg, size_t n,
                        int64_t ts)
{
    if (s->have_info && s->have_cur && s->has_reply_code && ftp_pending_remove(s, s->cur.seq))
        ftp_message(s, ts);
    ftp_session(s, ts);
    if (s->n_pending < FTP_PENDING_MAX)
        ftp_pending_add(s, cmd, arg, n, ts);
    else {
        char cnt[32];
        snprintf(cnt, sizeof(cnt), "%zu", s->n_pending);
        proto_weird(s->ctx, "FTP_too_many_pending_commands", cnt, ts);
    }
    const struct proto_conn *c = proto_conn(s->ctx);
    if (strcmp(cmd, "USER") == 0) {
        if (n > FTP_USER_MAX) {
            proto_weird(s->ctx, "FTP_user_too_long", NULL, ts);
            n = FTP_USER_MAX;
        }
        ftp_buf_set(&s->user, arg, n);
    } else if (strcmp(cmd, "PASS") == 0) {
        if (n > FTP_PASSWORD_MAX) {
            proto_weird(s->ctx, "FTP_password_too_long", NULL, ts);
            n = FTP_PASSWORD_MAX;
        }
        ftp_buf_set(&s->password, arg, n);
    } else if (strcmp(cmd, "PORT") == 0 || strcmp(cmd, "EPRT") == 0) {
        struct ftp_hostport hp = cmd[0] == 'P' ? ftp_parse_port(arg, n) : ftp_parse_eprt(arg, n);
        if (hp.valid && hp.h.family) {
            ftp_detect_bounce(s, !ftp_raddr_eq(&hp.h, &c->orig_h));
            ftp_expect(s, false, &c->resp_h, &hp.h, hp.p);
        }
    } else if (strcmp(cmd, "AUTH") == 0) {
        s->auth_tls = (n == 3 && (strncasecmp((const char *)arg, "TLS", 3) == 0 ||
                                  strncasecmp((const char *)arg, "SSL", 3) == 0));
        s->adat.auth_gssapi = n == 6 && memcmp(arg, "GSSAPI", 6) == 0;
        s->adat.auth_gssapi_like = ftp_contains((const char *)arg, n, "GSSAPI", 6);
    }
}

/* What a reply changes beyond reply_code/msg (only on a reply's first line). */
static void ftp_reply_effects(struct ftp_state *s, unsigned code, const char *msg, size_t ml)
{
    const struct proto_conn *c = proto_conn(s->ctx);
    const char *cmd = s->cur.cmd;
    if ((code == 150 && strcmp(cmd, "RETR") == 0) || (code == 213 && strcmp(cmd, "SIZE") == 0)) {
        uint64_t v = 0;
        for (size_t i = 0; i < ml;) { /* the last number in the text */
            if (!isdigit((unsigned char)msg[i])) {
                i++;
                continue;
            }
            v = 0;
            for (; i < ml && isdigit((unsigned char)msg[i]); i++)
                if (v < (1ULL << 60))
                    v = v * 10 + (uint64_t)(msg[i] - '0');
        }
        s->file_size = v;
        s->has_file_size = true;
    } else if ((code == 227 || code == 229) && (strcmp(cmd, "PASV") == 0 || strcmp(cmd, "EPSV") == 0)) {
        struct ftp_hostport hp = code == 227 ? ftp_parse_pasv((const uint8_t *)msg, ml)
                                             : ftp_parse_epsv((const uint8_t *)msg, ml);
        if (hp.valid) {
            if (code == 229 && hp.h.family == 0)
                hp.h = c->resp_h;
            ftp_expect(s, true, &c->orig_h, &hp.h, hp.p);
        }
    }
    bool cwd = (strcmp(cmd, "CWD") == 0 && code == 250) ||
               (strcmp(cmd, "CDUP") == 0 && (code == 200 || code == 250)) ||
               ((strcmp(cmd, "PWD") == 0 || strcmp(cmd, "XPWD") == 0) && code == 257);
    if (cwd && !s->cur.cwd_consumed) {
        s->cur.cwd_consumed = true;
        for (size_t i = 0; i < s->n_pending; i++)
            if (s->pending[i].seq == s->cur.seq)
                s->pending[i].cwd_consumed = true;
        char path[FTP_PATH_MAX];
        if (cmd[0] == 'C' && cmd[1] == 'W')
            ftp_path_build(s->cwd.p, s->cur.arg.p ? s->cur.arg.p : "", path, sizeof(path));
        else if (cmd[0] == 'C')
            ftp_path_build(s->cwd.p, "/..", path, sizeof(path));
        else
            ftp_path_extract(msg, path, sizeof(path));
        ftp_buf_set(&s->cwd, path, strlen(path));
    }
}

static bool ftp_reply_code_like(const char *msg, size_t ml)
{
    /* Zeek's regex: ^[1-9][0-9]{2} [[:print:]]{10} */
    if (ml < 14 || msg[0] < '1' || msg[0] > '9' || !isdigit((unsigned char)msg[1]) ||
        !isdigit((unsigned char)msg[2]) || msg[3] != ' ')
        return false;
    for (size_t i = 4; i < 14; i++)
        if (!isprint((unsigned char)msg[i]))
            return false;
    return true;
}

static void ftp_reply(struct ftp_state *s, unsigned code, const char *msg, size_t ml, bool cont,
                      int64_t ts)
{
    ftp_session(s, ts);
    if (cont && code == 0 && s->has_reply_code && !ftp_reply_code_like(msg, ml))
        return;
    ftp_match(s, code, msg, ml);
    s->reply_code = code;
    s->has_reply_code = true;
    ftp_buf_set(&s->reply_msg, msg, ml);
    if (cont)
        return;
    ftp_reply_effects(s, code, msg, ml);
    if (code == 234 && s->auth_tls) {
        s->in_tls = true;
        proto_switch(s->ctx, "ssl");
    }
    if (s->n_pending > 1) {
        ftp_pending_remove(s, s->cur.seq);
        ftp_message(s, ts);
    }
}

/* ---- lines (Zeek's FTP analyzer) ---- */

static void ftp_client_line(struct ftp_state *s, const uint8_t *p, size_t n, int64_t ts)
{
    struct cursor c;
    cursor_init(&c, p, n);
    uint8_t b;
    while (cursor_peek_u8(&c, 0, &b) == 0 && (b == ' ' || b == '\t'))
        cursor_skip(&c, 1);
    size_t wl = 0;
    while (cursor_peek_u8(&c, wl, &b) == 0 && b != ' ' && b != '\t')
        wl++;
    char cmd[24];
    if (wl == 0)
        snprintf(cmd, sizeof(cmd), "<missing>");
    else {
        size_t k = wl < sizeof(cmd) - 1 ? wl : sizeof(cmd) - 1;
        for (size_t i = 0; i < k; i++)
            cmd[i] = (char)toupper(c.p[i]);
        cmd[k] = 0;
    }
    cursor_skip(&c, wl);
    while (cursor_peek_u8(&c, 0, &b) == 0 && (b == ' ' || b == '\t'))
        cursor_skip(&c, 1);
    if (!s->confirmed && wl) {
        s->confirmed = true;
        proto_confirm(s->ctx);
    }
    ftp_request(s, cmd, c.p, cursor_left(&c), ts);
}

unsigned ftp_code3(const uint8_t *p, size_t n)
{
    if (n >= 3 && isdigit(p[0]) && isdigit(p[1]) && isdigit(p[2]))
        return (unsigned)((p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0'));
    return 0;
}

static void ftp_server_line(struct ftp_state *s, const uint8_t *p, size_t n, int64_t ts)
{
    unsigned code = ftp_code3(p, n);
    size_t off = 0;
    bool cont;
    if (s->pending_reply) {
        if (code == (unsigned)s->pending_reply && (n == 3 || p[3] == ' ')) {
            off = 3;
            s->pending_reply = 0;
            cont = false;
        } else {
            cont = true;
            code = 0;
        }
    } else if (code > 0 && n > 3 && p[3] == '-') {
        s->pending_reply = (int)code;
        off = 4;
        cont = true;
    } else {
        off = code > 0 ? 3 : 0;
        cont = false;
    }
    if (code > 0 || !cont)
        while (off < n && (p[off] == ' ' || p[off] == '\t'))
            off++;
    ftp_reply(s, code, (const char *)p + off, n - off, cont, ts);
}

static enum proto_result ftp_parse(void *state, struct proto_ctx *ctx, enum proto_dir dir,
                                   const uint8_t *data, size_t len, int64_t ts)
{
    struct ftp_state *s = state;
    s->ctx = ctx;
    struct ftp_lbuf *lb = &s->lb[dir];
    struct cursor c;
    cursor_init(&c, data, len);
    while (cursor_left(&c) && !s->in_tls) {
        const uint8_t *nl = memchr(c.p, '\n', cursor_left(&c));
        size_t take = nl ? (size_t)(nl - c.p) : cursor_left(&c);
        size_t room = sizeof(lb->buf) - lb->len, k = take < room ? take : room;
        if (k < take && !lb->over) {
            proto_weird(ctx, "FTP_line_too_long", NULL, ts);
            lb->over = true;
        }
        memcpy(lb->buf + lb->len, c.p, k);
        lb->len += k;
        cursor_skip(&c, take);
        if (!nl)
            break;
        cursor_skip(&c, 1);
        size_t n = lb->len;
        while (n && lb->buf[n - 1] == '\r')
            n--;
        /* Strings reach the matcher as C strings: cut at a NUL as Zeek's CheckString. */
        const uint8_t *z = memchr(lb->buf, 0, n);
        if (z)
            n = (size_t)(z - lb->buf);
        int pre = ftp_adat_pre(s->pending_reply, dir, lb->buf, n);
        if (dir == PROTO_ORIG)
            ftp_client_line(s, lb->buf, n, ts);
        else
            ftp_server_line(s, lb->buf, n, ts);
        ftp_adat_line(&s->adat, ctx, dir, lb->buf, n, pre, ts);
        lb->len = 0;
        lb->over = false;
    }
    return PROTO_OK;
}

static enum proto_result ftp_gap(void *state, struct proto_ctx *ctx, enum proto_dir dir,
                                 uint64_t len)
{
    struct ftp_state *s = state;
    (void)len;
    s->ctx = ctx;
    s->lb[dir].len = 0;
    s->lb[dir].over = false;
    if (dir == PROTO_RESP)
        s->pending_reply = 0;
    return PROTO_OK;
}

static void *ftp_state_new(struct proto_ctx *ctx)
{
    struct ftp_state *s = calloc(1, sizeof(*s));
    if (s)
        s->ctx = ctx;
    return s;
}

/* Session end (Zeek's finalize_ftp): a row for every queued command. */
static void ftp_state_free(void *state, struct proto_ctx *ctx)
{
    struct ftp_state *s = state;
    s->ctx = ctx;
    while (s->have_info && s->n_pending) {
        ftp_cmdarg_copy(&s->cur, &s->pending[0]);
        s->have_cur = true;
        ftp_cmdarg_free(&s->pending[0]);
        memmove(&s->pending[0], &s->pending[1], (s->n_pending - 1) * sizeof(s->pending[0]));
        s->n_pending--;
        ftp_message(s, s->cur.ts);
    }
    proto_child_close(s->adat.child); /* an unfinished GSI exchange: its ssl.log row now */
    ftp_cmdarg_free(&s->cur);
    ftp_buf_free(&s->user);
    ftp_buf_free(&s->password);
    ftp_buf_free(&s->reply_msg);
    ftp_buf_free(&s->cwd);
    ftp_buf_free(&s->fuid);
    ftp_buf_free(&s->mime);
    ftp_link_release(s);
    free(s);
}

/* Zeek's dpd.sig: "220" from the server (enough on 21/2811), USER/ACCT from the client. */
static enum proto_probe ftp_probe(const uint8_t *data, size_t len, enum proto_dir dir,
                                  uint16_t orig_p, uint16_t resp_p)
{
    (void)orig_p;
    const char *w[2] = {"USER ", "ACCT "};
    if (dir == PROTO_RESP) {
        w[0] = "220 ";
        w[1] = "220-";
    }
    enum proto_probe res = PROTO_PROBE_NO;
    for (int i = 0; i < 2; i++) {
        size_t l = strlen(w[i]), k = len < l ? len : l;
        if (strncasecmp((const char *)data, w[i], k) != 0)
            continue;
        if (len < l)
            res = PROTO_PROBE_MAYBE;
        else if (dir == PROTO_ORIG || resp_p == 21 || resp_p == 2811)
            return PROTO_PROBE_YES;
        else
            res = PROTO_PROBE_MAYBE;
    }
    return res;
}

const struct proto_parser proto_ftp = {
    .name = "ftp",
    .ip_proto = 6,
    .ports = ftp_ports,
    .probe = ftp_probe,
    .state_new = ftp_state_new,
    .parse = ftp_parse,
    .gap = ftp_gap,
    .eof = NULL,
    .state_free = ftp_state_free,
};

/* ---- "ftp-data": started only through proto_expect; counts bytes, feeds the sink ---- */

struct ftp_data_state {
    uint64_t bytes[2];
    void *sink;
    bool opened;
    bool typed;                  /* the control session has the file's type */
    const char *fuid;            /* what the control session was last told */
    struct ftp_link *link;       /* the control session, or NULL */
};

static void *ftp_data_new(struct proto_ctx *ctx)
{
    struct ftp_data_state *d = calloc(1, sizeof(struct ftp_data_state));
    if (d)
        d->link = ftp_expected_find(proto_conn(ctx));
    return d;
}

/* Hand the data file's fuid and type to the control session (Zeek's
 * file_over_new_connection and file_sniff handlers of ftp/files.zeek). */
static void ftp_data_report(struct ftp_data_state *d, bool final)
{
    if (!d->sink || !ftp_data_sink->info || !d->link || !d->link->s || d->typed)
        return;
    const char *fuid = NULL, *mime = NULL;
    ftp_data_sink->info(d->sink, final, &fuid, &mime);
    struct ftp_state *s = d->link->s;
    if (fuid && fuid != d->fuid) {
        d->fuid = fuid;
        ftp_buf_set(&s->fuid, fuid, strlen(fuid));
    }
    if (mime) {
        ftp_buf_set(&s->mime, mime, strlen(mime));
        d->typed = true;
    }
}

static enum proto_result ftp_data_parse(void *state, struct proto_ctx *ctx, enum proto_dir dir,
                                        const uint8_t *data, size_t len, int64_t ts)
{
    struct ftp_data_state *d = state;
    if (!d->opened) {
        d->opened = true;
        d->sink = ftp_data_sink && ftp_data_sink->open ? ftp_data_sink->open(ctx, ts) : NULL;
        ftp_detect_data(ctx, d->link ? d->link->s : NULL);
    }
    d->bytes[dir] += len;
    if (d->sink && ftp_data_sink->data) {
        ftp_data_sink->data(d->sink, dir, data, len, ts);
        ftp_data_report(d, false);
    }
    return PROTO_OK;
}

static enum proto_result ftp_data_gap(void *state, struct proto_ctx *ctx, enum proto_dir dir,
                                      uint64_t len)
{
    struct ftp_data_state *d = state;
    (void)ctx;
    if (d->sink && ftp_data_sink->gap) {
        ftp_data_sink->gap(d->sink, dir, len);
        ftp_data_report(d, false);
    }
    return PROTO_OK;
}

static void ftp_data_free(void *state, struct proto_ctx *ctx)
{
    struct ftp_data_state *d = state;
    (void)ctx;
    ftp_data_report(d, true);
    if (d->sink && ftp_data_sink->close)
        ftp_data_sink->close(d->sink);
    ftp_link_put(d->link);
    free(d);
}

const struct proto_parser proto_ftp_data = {
    .name = "ftp-data",
    .ip_proto = 6,
    .ports = NULL,
    .probe = NULL,
    .state_new = ftp_data_new,
    .parse = ftp_data_parse,
    .gap = ftp_data_gap,
    .eof = NULL,
    .state_free = ftp_data_free,
};
