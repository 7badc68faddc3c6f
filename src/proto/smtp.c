/*
 * smtp.c - the SMTP parser ("smtp") and smtp.log.
 *
 * Owns the parser descriptor, the per-session state (both directions' line
 * assembly, the command/reply state machine, the pending command queue),
 * the transaction (Zeek's SMTP::Info) and the smtp.log record.  The
 * message's headers and the message sink are in smtp_mime.c.
 *
 * Specs: RFC 5321 (SMTP), RFC 2920 (PIPELINING), RFC 3030 (CHUNKING/BDAT),
 * RFC 3207 (STARTTLS), RFC 4954 (AUTH), RFC 5322 (message headers).  Log:
 * Zeek 8's smtp.log (base/protocols/smtp/main.zeek), plus community_id.
 * The state machine follows Zeek's SMTP analyzer so that records split the
 * same way: replies pair with commands in order (pipelining is always
 * assumed), DATA enters the message at once (a reply other than 354 leaves
 * it), "." ends it, BDAT n [LAST] takes n raw bytes.
 *
 *   CONNECTED ─220─► INITIATED ─EHLO─► READY ─MAIL─► MAIL_OK ─RCPT─► RCPT_OK
 *        READY ◄─reply─ AFTER_DATA ◄─"."─ IN_DATA ◄─DATA───────────────┘
 *        READY ─AUTH/334─► IN_AUTH (client lines are answers) ─235/5xx─► INITIATED
 *        READY ─STARTTLS/220─► IN_TLS: proto_switch("ssl"), nothing more parsed
 *        any ─gap─► AFTER_GAP (client lines dropped) ─reply─► GAP_RECOVERY ─354─► IN_DATA
 *
 * Records (one per mail transaction, Zeek's rules): a row is written when
 * MAIL FROM starts a new transaction, when the reply to "." (or to BDAT
 * after BDAT ... LAST) arrives, and at session end - each only if the
 * transaction saw MAIL, RCPT or STARTTLS (has_client_activity).  RSET and
 * QUIT write nothing of their own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/cursor.h"
#include "proto/smtp.h"

/* ---- smtp.log ---- */

struct smtp_record {
    struct record_hdr hdr;
    int64_t ts;
    struct rstr uid;
    struct raddr orig_h;
    uint64_t orig_p;
    struct raddr resp_h;
    uint64_t resp_p;
    uint64_t trans_depth;
    struct rstr helo, mailfrom;
    struct rstrvec rcptto;
    struct rstr date, from;
    struct rstrvec to, cc;
    struct rstr reply_to, msg_id, in_reply_to, subject;
    struct raddr x_originating_ip;
    struct rstr first_received, second_received, last_reply;
    struct raddrvec path;
    struct rstr user_agent;
    bool tls;
    struct rstrvec fuids;
    struct rstr community_id;
};

enum smtp_field {
    SF_TS, SF_UID, SF_ORIG_H, SF_ORIG_P, SF_RESP_H, SF_RESP_P, SF_TRANS_DEPTH, SF_HELO,
    SF_MAILFROM, SF_RCPTTO, SF_DATE, SF_FROM, SF_TO, SF_CC, SF_REPLY_TO, SF_MSG_ID,
    SF_IN_REPLY_TO, SF_SUBJECT, SF_X_ORIG_IP, SF_FIRST_RECV, SF_SECOND_RECV, SF_LAST_REPLY,
    SF_PATH, SF_USER_AGENT, SF_TLS, SF_FUIDS, SF_COMMUNITY_ID, SF_N
};

#define F(name, type, member) {name, type, offsetof(struct smtp_record, member)}

static const struct record_field smtp_fields[SF_N] = {
    F("ts", RT_TIME, ts),
    F("uid", RT_STRING, uid),
    F("id.orig_h", RT_ADDR, orig_h),
    F("id.orig_p", RT_PORT, orig_p),
    F("id.resp_h", RT_ADDR, resp_h),
    F("id.resp_p", RT_PORT, resp_p),
    F("trans_depth", RT_COUNT, trans_depth),
    F("helo", RT_STRING, helo),
    F("mailfrom", RT_STRING, mailfrom),
    F("rcptto", RT_SET_STRING, rcptto),
    F("date", RT_STRING, date),
    F("from", RT_STRING, from),
    F("to", RT_SET_STRING, to),
    F("cc", RT_SET_STRING, cc),
    F("reply_to", RT_STRING, reply_to),
    F("msg_id", RT_STRING, msg_id),
    F("in_reply_to", RT_STRING, in_reply_to),
    F("subject", RT_STRING, subject),
    F("x_originating_ip", RT_ADDR, x_originating_ip),
    F("first_received", RT_STRING, first_received),
    F("second_received", RT_STRING, second_received),
    F("last_reply", RT_STRING, last_reply),
    F("path", RT_SET_ADDR, path), /* Zeek: vector[addr]; record.h has no vector of addr */
    F("user_agent", RT_STRING, user_agent),
    F("tls", RT_BOOL, tls),
    F("fuids", RT_VEC_STRING, fuids),
    F("community_id", RT_STRING, community_id),
};

const struct record_type smtp_record_type = {
    .path = "smtp",
    .fields = smtp_fields,
    .n_fields = SF_N,
    .size = sizeof(struct smtp_record),
};

/* ---- commands (Zeek's SMTP_cmd.def, plus the pseudo commands) ---- */

enum smtp_cmd {
    SC_NONE = -1,
    SC_CONN = 0, /* ">": the greeting's "command" */
    SC_EOD,      /* "." */
    SC_AUTH_ANSWER,
    SC_EHLO, SC_HELO, SC_MAIL, SC_RCPT, SC_DATA, SC_RSET, SC_SEND, SC_SOML, SC_SAML, SC_VRFY,
    SC_EXPN, SC_HELP, SC_NOOP, SC_QUIT, SC_TURN, SC_STARTTLS, SC_BDAT, SC_ETRN, SC_AUTH,
    SC_ATRN, SC_X_ANONYMOUSTLS, SC_XEXCH50, SC_X_EXPS, SC_X_LINK2STATE, SC_N
};

static const char *const smtp_cmd_words[SC_N] = {
    ">", ".", "***", "EHLO", "HELO", "MAIL", "RCPT", "DATA", "RSET", "SEND", "SOML", "SAML",
    "VRFY", "EXPN", "HELP", "NOOP", "QUIT", "TURN", "STARTTLS", "BDAT", "ETRN", "AUTH", "ATRN",
    "X-ANONYMOUSTLS", "XEXCH50", "X-EXPS", "X-LINK2STATE",
};

enum smtp_st {
    ST_CONNECTED, ST_INITIATED, ST_NOT_AVAILABLE, ST_READY, ST_MAIL_OK, ST_RCPT_OK, ST_IN_DATA,
    ST_AFTER_DATA, ST_IN_AUTH, ST_IN_TLS, ST_QUIT, ST_AFTER_GAP, ST_GAP_RECOVERY
};

/* One direction's line assembly. */
struct smtp_lbuf {
    uint8_t buf[SMTP_LINE_MAX];
    size_t len;
    bool over;     /* this line overflowed the buffer */
    bool cont;     /* data mode: this line's start was already delivered */
};

struct smtp_state {
    struct proto_ctx *ctx;
    struct smtp_lbuf lb[2];
    enum smtp_st st;
    int first_cmd, last_replied;
    int *queue; /* pending commands (ring) */
    size_t q_head, q_n;
    int pending_reply;
    uint64_t bdat_left;
    bool bdat_chunk_last;
    bool confirmed;
    bool late;        /* not on 25/587: Zeek attaches at the client's first line */
    bool seen_client;
    /* Zeek's SMTP::State */
    struct smtp_str helo;
    uint64_t messages_transferred;
    bool mail_from_seen, rcpt_to_seen, bdat_last_observed;
    uint64_t invalid;
    bool disabled;
    /* Zeek's c$smtp */
    struct smtp_info info;
    bool have_info;
    struct smtp_msg msg;
    /* the signature engine's view (Suricata's): command arguments as sent */
    struct smtp_str det_helo, det_from;
    struct smtp_strset det_rcpt;
    uint64_t det_mails; /* MAIL commands seen */
};

static const uint16_t smtp_ports[] = {25, 587, 0};

/* ---- the transaction ---- */

static void smtp_info_clear(struct smtp_info *i)
{
    struct smtp_str *strs[] = {&i->helo, &i->mailfrom, &i->date, &i->from, &i->reply_to,
                               &i->msg_id, &i->in_reply_to, &i->subject, &i->first_received,
                               &i->second_received, &i->last_reply, &i->user_agent};
    for (size_t k = 0; k < sizeof(strs) / sizeof(strs[0]); k++)
        smtp_str_free(strs[k]);
    for (size_t k = 0; k < i->n_fuids; k++)
        smtp_str_free(&i->fuids[k]);
    smtp_strset_free(&i->rcptto);
    smtp_strset_free(&i->to);
    smtp_strset_free(&i->cc);
    free(i->path);
    memset(i, 0, sizeof(*i));
}

/* Zeek's new_smtp_log(). */
static void smtp_info_new(struct smtp_state *s, int64_t ts)
{
    smtp_info_clear(&s->info);
    struct smtp_info *i = &s->info;
    const struct proto_conn *c = proto_conn(s->ctx);
    i->ts = ts;
    i->trans_depth = s->messages_transferred + 1;
    if (s->helo.set)
        smtp_str_set(&i->helo, s->helo.p, s->helo.len);
    i->process_received_from = true;
    i->path = malloc(4 * sizeof(*i->path));
    if (i->path) {
        i->cap_path = 4;
        i->path[0] = c->resp_h;
        i->path[1] = c->orig_h;
        i->n_path = 2;
    }
    s->have_info = true;
}

/* Zeek's set_smtp_session().  Off the registered ports Zeek's DPD starts
 * the analyzer when the client's first line matches and replays what came
 * before at that packet's time: the transaction's ts is fixed up then. */
static void smtp_session(struct smtp_state *s, int64_t ts)
{
    if (!s->have_info) {
        smtp_info_new(s, ts);
        s->info.ts_provisional = s->late && !s->seen_client;
    }
}

static void smtp_rs(struct smtp_record *r, size_t f, struct rstr *dst, const struct smtp_str *src)
{
    if (!src->set)
        return;
    dst->p = src->p;
    dst->len = src->len;
    record_set_unset(&r->hdr, f, false);
}

static void smtp_rv(struct smtp_record *r, size_t f, struct rstrvec *dst, struct rstr *buf,
                    const struct smtp_strset *src, bool has)
{
    if (!has)
        return;
    for (size_t k = 0; k < src->n; k++) {
        buf[k].p = src->v[k];
        buf[k].len = src->len[k];
    }
    dst->v = buf;
    dst->n = src->n;
    record_set_unset(&r->hdr, f, false);
}

static void smtp_record_strings(struct smtp_record *r, const struct smtp_info *i)
{
    smtp_rs(r, SF_HELO, &r->helo, &i->helo);
    smtp_rs(r, SF_MAILFROM, &r->mailfrom, &i->mailfrom);
    smtp_rs(r, SF_DATE, &r->date, &i->date);
    smtp_rs(r, SF_FROM, &r->from, &i->from);
    smtp_rs(r, SF_REPLY_TO, &r->reply_to, &i->reply_to);
    smtp_rs(r, SF_MSG_ID, &r->msg_id, &i->msg_id);
    smtp_rs(r, SF_IN_REPLY_TO, &r->in_reply_to, &i->in_reply_to);
    smtp_rs(r, SF_SUBJECT, &r->subject, &i->subject);
    smtp_rs(r, SF_FIRST_RECV, &r->first_received, &i->first_received);
    smtp_rs(r, SF_SECOND_RECV, &r->second_received, &i->second_received);
    smtp_rs(r, SF_LAST_REPLY, &r->last_reply, &i->last_reply);
    smtp_rs(r, SF_USER_AGENT, &r->user_agent, &i->user_agent);
}

/* Write the current transaction to smtp.log. */
static void smtp_info_emit(struct smtp_state *s)
{
    const struct smtp_info *i = &s->info;
    struct smtp_record r;
    memset(&r, 0, sizeof(r));
    r.hdr.type = &smtp_record_type;
    for (size_t f = SF_TRANS_DEPTH + 1; f < SF_N; f++)
        record_set_unset(&r.hdr, f, true);
    const struct proto_conn *c = proto_conn(s->ctx);
    struct proto_id id;
    proto_fill_id(s->ctx, &id);
    r.ts = i->ts;
    r.uid.p = c->uid ? c->uid : "";
    r.uid.len = strlen(r.uid.p);
    r.orig_h = id.orig_h;
    r.orig_p = id.orig_p;
    r.resp_h = id.resp_h;
    r.resp_p = id.resp_p;
    r.trans_depth = i->trans_depth;
    smtp_record_strings(&r, i);
    size_t nv = i->rcptto.n + i->to.n + i->cc.n + 1;
    struct rstr *vb = calloc(nv, sizeof(*vb));
    if (vb) {
        smtp_rv(&r, SF_RCPTTO, &r.rcptto, vb, &i->rcptto, i->has_rcptto);
        smtp_rv(&r, SF_TO, &r.to, vb + i->rcptto.n, &i->to, i->has_to);
        smtp_rv(&r, SF_CC, &r.cc, vb + i->rcptto.n + i->to.n, &i->cc, i->has_cc);
    }
    if (i->x_originating_ip.family) {
        r.x_originating_ip = i->x_originating_ip;
        record_set_unset(&r.hdr, SF_X_ORIG_IP, false);
    }
    r.path.v = i->path;
    r.path.n = i->n_path;
    record_set_unset(&r.hdr, SF_PATH, i->path == NULL);
    r.tls = i->tls;
    record_set_unset(&r.hdr, SF_TLS, false);
    struct rstr fu[8];
    for (size_t k = 0; k < i->n_fuids; k++) {
        fu[k].p = i->fuids[k].p;
        fu[k].len = i->fuids[k].len;
    }
    r.fuids.v = fu;
    r.fuids.n = i->n_fuids;
    record_set_unset(&r.hdr, SF_FUIDS, false);
    if (c->community_id) {
        r.community_id.p = c->community_id;
        r.community_id.len = strlen(c->community_id);
        record_set_unset(&r.hdr, SF_COMMUNITY_ID, false);
    }
    proto_emit(s->ctx, &r.hdr);
    free(vb);
}

/* Zeek's smtp_message(): write if the client did something, start anew. */
static void smtp_message(struct smtp_state *s, int64_t ts)
{
    if (s->have_info && s->info.has_client_activity) {
        smtp_info_emit(s);
        smtp_info_new(s, ts);
    }
}

/* ---- the message (DATA/BDAT) ---- */

static void smtp_begin_data(struct smtp_state *s, int64_t ts)
{
    s->st = ST_IN_DATA;
    if (s->msg.open) {
        proto_weird(s->ctx, "smtp_nested_mail_transaction", NULL, ts);
        smtp_msg_end(&s->msg, s->ctx, s->have_info ? &s->info : NULL, false, ts);
    }
    smtp_session(s, ts);
    smtp_msg_begin(&s->msg, s->ctx, s->info.trans_depth, ts);
}

static void smtp_end_data(struct smtp_state *s, bool complete, int64_t ts)
{
    if (!s->msg.open) {
        proto_weird(s->ctx, "smtp_unmatched_end_of_data", NULL, ts);
        return;
    }
    smtp_msg_end(&s->msg, s->ctx, s->have_info ? &s->info : NULL, complete, ts);
}

static void smtp_data_bytes(struct smtp_state *s, const uint8_t *p, size_t n, int64_t ts)
{
    smtp_session(s, ts);
    smtp_msg_deliver(&s->msg, s->ctx, &s->info, p, n, ts);
}

/* ---- the script's request handler (Zeek's smtp_request event) ---- */

static void smtp_invalid(struct smtp_state *s, const char *addl, int64_t ts)
{
    proto_weird(s->ctx, "smtp_mail_transaction_invalid", addl, ts);
    if (++s->invalid > SMTP_INVALID_MAX && !s->disabled) {
        char n[32];
        snprintf(n, sizeof(n), "%llu/%d", (unsigned long long)s->invalid, SMTP_INVALID_MAX);
        proto_weird(s->ctx, "smtp_excessive_invalid_mail_transactions", n, ts);
        s->disabled = true;
    }
}

static void smtp_add_rcpt(void *arg, const char *a, size_t l)
{
    struct smtp_state *s = arg;
    static const char orcpt[] = "ORCPT=rfc822";
    char buf[SMTP_FIELD_MAX];
    size_t k = 0;
    for (size_t i = 0; i < l && k < sizeof(buf); i++) {
        if (l - i >= sizeof(orcpt) - 1 && memcmp(a + i, orcpt, sizeof(orcpt) - 1) == 0) {
            i += sizeof(orcpt) - 2;
            if (i + 1 < l && a[i + 1] == ';')
                i++;
            continue;
        }
        buf[k++] = a[i];
    }
    if (s->info.rcptto.n >= SMTP_SET_MAX) {
        proto_weird(s->ctx, "smtp_too_many_rcptto_addresses", NULL, 0);
        return;
    }
    smtp_strset_add(&s->info.rcptto, buf, k);
}

static void smtp_first_addr(void *arg, const char *a, size_t l)
{
    struct smtp_str *dst = arg;
    if (!dst->set && l)
        smtp_str_set(dst, a, l);
}

static bool smtp_prefix_ci(const uint8_t *p, size_t n, const char *pre)
{
    size_t l = strlen(pre);
    return n >= l && strncasecmp((const char *)p, pre, l) == 0;
}

/* ---- the signature engine's inspection point ---- */

/* The argument after "FROM:" / "TO:" as sent, up to the first space after it. */
static void smtp_det_arg(const uint8_t *arg, size_t alen, size_t skip, const uint8_t **p,
                         size_t *n)
{
    size_t i = skip;
    while (i < alen && arg[i] == ' ')
        i++;
    size_t j = i;
    while (j < alen && arg[j] != ' ')
        j++;
    *p = arg + i;
    *n = j - i;
}

/* After each client command (proto.h): smtp.helo, and the mail
 * transaction's smtp.mail_from and smtp.rcpt_to (one instance per RCPT).
 * A transaction starts with the second MAIL command, so HELO and the
 * first mail are one transaction, as Suricata 8.0.7 counts them. */
static void smtp_detect(struct smtp_state *s, int cmd, const uint8_t *arg, size_t alen)
{
    const uint8_t *p;
    size_t n;
    if (!proto_inspecting(s->ctx))
        return;
    if (cmd == SC_HELO || cmd == SC_EHLO) {
        smtp_str_set(&s->det_helo, arg, alen);
    } else if (cmd == SC_MAIL && smtp_prefix_ci(arg, alen, "from:")) {
        s->det_mails++;
        smtp_det_arg(arg, alen, 5, &p, &n);
        smtp_str_set(&s->det_from, p, n);
        smtp_strset_free(&s->det_rcpt);
    } else if (cmd == SC_RCPT && smtp_prefix_ci(arg, alen, "to:")) {
        smtp_det_arg(arg, alen, 3, &p, &n);
        if (s->det_rcpt.n < SMTP_SET_MAX)
            smtp_strset_add(&s->det_rcpt, (const char *)p, n);
    }
    struct proto_insp in;
    proto_insp_init(&in, PROTO_ORIG, s->det_mails ? s->det_mails - 1 : 0);
    if (s->det_helo.set)
        proto_insp_buf(&in, PI_SMTP_HELO, s->det_helo.p, s->det_helo.len);
    if (s->det_from.set)
        proto_insp_buf(&in, PI_SMTP_MAIL_FROM, s->det_from.p, s->det_from.len);
    for (size_t i = 0; i < s->det_rcpt.n; i++)
        proto_insp_buf(&in, PI_SMTP_RCPT_TO, s->det_rcpt.v[i], s->det_rcpt.len[i]);
    if (in.n)
        proto_inspect(s->ctx, &in);
}

static void smtp_request(struct smtp_state *s, int cmd, const uint8_t *arg, size_t alen,
                         int64_t ts)
{
    if (!s->confirmed) {
        s->confirmed = true;
        proto_confirm(s->ctx);
    }
    smtp_session(s, ts);
    if (cmd == SC_HELO || cmd == SC_EHLO) {
        smtp_str_set(&s->helo, arg, alen);
        smtp_str_set(&s->info.helo, arg, alen);
    } else if (cmd == SC_RCPT && smtp_prefix_ci(arg, alen, "to:")) {
        s->info.has_rcptto = true;
        smtp_email_addrs(arg, alen, smtp_add_rcpt, s);
        s->info.has_client_activity = true;
        s->rcpt_to_seen = true;
        if (!s->mail_from_seen)
            smtp_invalid(s, "rcpt to missing mail from", ts);
    } else if (cmd == SC_MAIL && smtp_prefix_ci(arg, alen, "from:")) {
        smtp_message(s, ts);
        struct smtp_str first = {0};
        smtp_email_addrs(arg, alen, smtp_first_addr, &first);
        if (first.set)
            smtp_str_set(&s->info.mailfrom, first.p, first.len);
        smtp_str_free(&first);
        s->info.has_client_activity = true;
        s->mail_from_seen = true;
        s->rcpt_to_seen = false;
    } else if (cmd == SC_DATA || cmd == SC_BDAT) {
        if (!s->rcpt_to_seen)
            smtp_invalid(s, "data missing rcpt to", ts);
        if (cmd == SC_BDAT && alen >= 5 && memcmp(arg + alen - 5, " LAST", 5) == 0) {
            s->mail_from_seen = s->rcpt_to_seen = false;
            s->bdat_last_observed = true;
        }
    } else if (cmd == SC_EOD) {
        s->mail_from_seen = s->rcpt_to_seen = false;
    }
    smtp_detect(s, cmd, arg, alen);
}

/* ---- the script's reply handlers (Zeek's smtp_reply event) ---- */

static void smtp_reply_event(struct smtp_state *s, int code, int cmd, const uint8_t *msg,
                             size_t mlen, bool cont, int64_t ts)
{
    smtp_session(s, ts);
    char buf[SMTP_FIELD_MAX];
    int k = snprintf(buf, sizeof(buf), "%d ", code);
    size_t n = mlen < sizeof(buf) - (size_t)k ? mlen : sizeof(buf) - (size_t)k;
    memcpy(buf + k, msg, n);
    smtp_str_set(&s->info.last_reply, buf, (size_t)k + n);
    if (cmd == SC_EOD || (!cont && cmd == SC_BDAT && s->bdat_last_observed)) {
        s->messages_transferred++;
        s->bdat_last_observed = false;
        smtp_message(s, ts);
        smtp_info_new(s, ts);
    }
}

static void smtp_starttls(struct smtp_state *s, int64_t ts)
{
    s->st = ST_IN_TLS;
    smtp_session(s, ts);
    s->info.tls = true;
    s->info.has_client_activity = true;
    proto_switch(s->ctx, "ssl");
}

/* ---- the state machine (Zeek's UpdateState, reduced to what moves it) ---- */

static void smtp_update(struct smtp_state *s, int cmd, int reply, int64_t ts)
{
    switch (cmd) {
    case SC_CONN:
        if (reply == 0)
            s->st = ST_INITIATED;
        else if (reply == 421 || reply == 554)
            s->st = ST_NOT_AVAILABLE;
        break;
    case SC_EHLO:
    case SC_HELO:
        if (reply == 0)
            s->st = ST_READY;
        else if (reply == 421 || reply == 500 || reply == 501 || reply == 504 || reply == 550)
            s->st = ST_INITIATED;
        break;
    case SC_MAIL:
    case SC_SEND:
    case SC_SOML:
    case SC_SAML:
        if (reply == 0)
            s->st = ST_MAIL_OK;
        else if (reply >= 400 && s->st != ST_IN_DATA)
            s->st = ST_READY;
        break;
    case SC_RCPT:
        if (reply == 0)
            s->st = ST_RCPT_OK;
        break;
    case SC_DATA:
        if (reply == 0)
            smtp_begin_data(s, ts);
        else if (reply != 354) {
            if (s->st == ST_IN_DATA)
                smtp_end_data(s, false, ts);
            s->st = reply == 421 ? ST_QUIT : ST_READY;
        }
        break;
    case SC_EOD:
        if (reply == 0) {
            smtp_end_data(s, true, ts);
            s->st = ST_AFTER_DATA;
        } else
            s->st = ST_READY;
        break;
    case SC_RSET:
        if (reply == 0)
            s->st = ST_READY;
        break;
    case SC_QUIT:
        if (reply == 0)
            s->st = ST_QUIT;
        break;
    case SC_AUTH:
    case SC_AUTH_ANSWER:
        if (reply == 334)
            s->st = ST_IN_AUTH;
        else if (reply != 0)
            s->st = ST_INITIATED;
        break;
    case SC_STARTTLS:
    case SC_X_ANONYMOUSTLS:
        if (reply == 220)
            smtp_starttls(s, ts);
        break;
    default:
        if (s->st == ST_GAP_RECOVERY && reply == 354)
            smtp_begin_data(s, ts);
        break;
    }
}

/* Zeek's NewCmd: the first unanswered command, then a queue. */
static void smtp_new_cmd(struct smtp_state *s, int cmd, int64_t ts)
{
    if (s->first_cmd < 0) {
        s->first_cmd = cmd;
        return;
    }
    if (s->q_n == SMTP_PENDING_MAX) {
        proto_weird(s->ctx, "smtp_excessive_pending_cmds", NULL, ts);
        s->q_n = 0;
    }
    if (!s->queue && !(s->queue = malloc(SMTP_PENDING_MAX * sizeof(*s->queue))))
        return;
    s->queue[(s->q_head + s->q_n++) % SMTP_PENDING_MAX] = cmd;
}

static void smtp_new_reply(struct smtp_state *s, int code, int64_t ts)
{
    if (s->st == ST_AFTER_GAP) {
        s->st = ST_GAP_RECOVERY;
        smtp_request(s, SC_NONE, NULL, 0, ts);
    }
    int cmd = s->first_cmd;
    s->last_replied = cmd;
    s->first_cmd = -1;
    if (s->q_n) {
        s->first_cmd = s->queue[s->q_head];
        s->q_head = (s->q_head + 1) % SMTP_PENDING_MAX;
        s->q_n--;
    }
    smtp_update(s, cmd, code, ts);
}

/* ---- lines ---- */

static int smtp_cmd_parse(const uint8_t *w, size_t n)
{
    for (int c = SC_EHLO; c < SC_N; c++)
        if (strlen(smtp_cmd_words[c]) == n && strncasecmp((const char *)w, smtp_cmd_words[c], n) == 0)
            return c;
    return SC_NONE;
}

/* BDAT's argument: the chunk size and LAST. */
static void smtp_bdat_arg(struct smtp_state *s, const uint8_t *arg, size_t n, int64_t ts)
{
    uint64_t v = 0;
    size_t i = 0;
    while (i < n && arg[i] >= '0' && arg[i] <= '9' && v < (1ULL << 40))
        v = v * 10 + (uint64_t)(arg[i++] - '0');
    if (i == 0) {
        proto_weird(s->ctx, "smtp_bdat_invalid_chunk_size", NULL, ts);
        return;
    }
    while (i < n && (arg[i] == ' ' || arg[i] == '\t'))
        i++;
    s->bdat_chunk_last = n - i == 4 && strncasecmp((const char *)arg + i, "LAST", 4) == 0;
    if (!s->msg.open) {
        smtp_session(s, ts);
        smtp_msg_begin(&s->msg, s->ctx, s->info.trans_depth, ts);
    }
    s->bdat_left = v;
    if (v == 0 && s->bdat_chunk_last)
        smtp_end_data(s, true, ts);
}

static void smtp_client_cmd(struct smtp_state *s, const uint8_t *line, size_t n, int64_t ts)
{
    struct cursor c;
    cursor_init(&c, line, n);
    size_t wl = 0;
    uint8_t b;
    while (cursor_peek_u8(&c, wl, &b) == 0 && b != ' ' && b != '\t')
        wl++;
    const uint8_t *word = c.p;
    cursor_skip(&c, wl);
    while (cursor_peek_u8(&c, 0, &b) == 0 && (b == ' ' || b == '\t'))
        cursor_skip(&c, 1);
    int cmd = smtp_cmd_parse(word, wl);
    if (cmd == SC_NONE)
        return; /* Zeek: "unknown command", no event */
    smtp_new_cmd(s, cmd, ts);
    if (wl || cursor_left(&c))
        smtp_request(s, cmd, c.p, cursor_left(&c), ts);
    smtp_update(s, cmd, 0, ts);
    if (cmd == SC_BDAT && s->st != ST_IN_TLS)
        smtp_bdat_arg(s, c.p, cursor_left(&c), ts);
}

/* One complete client line (without its line end). */
static void smtp_client_line(struct smtp_state *s, const uint8_t *line, size_t n, int64_t ts)
{
    if (s->st == ST_AFTER_GAP || s->disabled)
        return;
    if (s->st == ST_IN_DATA && n == 1 && line[0] == '.') {
        smtp_new_cmd(s, SC_EOD, ts);
        smtp_update(s, SC_EOD, 0, ts);
        smtp_request(s, SC_EOD, NULL, 0, ts);
        return;
    }
    if (s->st == ST_IN_DATA) {
        if (n && line[0] == '.') {
            line++;
            n--;
        }
        smtp_data_bytes(s, line, n, ts);
        smtp_data_bytes(s, (const uint8_t *)"\r\n", 2, ts);
        return;
    }
    if (s->st == ST_IN_AUTH) {
        smtp_new_cmd(s, SC_AUTH_ANSWER, ts);
        smtp_request(s, SC_AUTH_ANSWER, line, n, ts);
        smtp_update(s, SC_AUTH_ANSWER, 0, ts);
        return;
    }
    smtp_client_cmd(s, line, n, ts);
}

static void smtp_server_line(struct smtp_state *s, const uint8_t *line, size_t n, int64_t ts)
{
    if (s->disabled)
        return;
    int code = -1;
    if (n >= 3 && line[0] >= '0' && line[0] <= '9' && line[1] >= '0' && line[1] <= '9' &&
        line[2] >= '0' && line[2] <= '9')
        code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
    if (code < 100 || code > 599) {
        proto_weird(s->ctx, "smtp_reply_code_out_of_range", NULL, ts);
        return;
    }
    if (s->pending_reply && code != s->pending_reply)
        s->pending_reply = 0;
    if (!s->pending_reply)
        smtp_new_reply(s, code, ts);
    size_t off;
    if (n > 3 && line[3] == '-') {
        s->pending_reply = code;
        off = 4;
    } else {
        s->pending_reply = 0;
        off = 3;
    }
    while (off < n && (line[off] == ' ' || line[off] == '\t'))
        off++;
    smtp_reply_event(s, code, s->last_replied, line + off, n - off, s->pending_reply > 0, ts);
}

static void smtp_line(struct smtp_state *s, enum proto_dir dir, const uint8_t *p, size_t n,
                      int64_t ts)
{
    while (n && p[n - 1] == '\r')
        n--;
    if (dir == PROTO_ORIG)
        smtp_client_line(s, p, n, ts);
    else
        smtp_server_line(s, p, n, ts);
}

/* Data mode and a full buffer: hand the line's start to the message now. */
static void smtp_line_spill(struct smtp_state *s, struct smtp_lbuf *lb, int64_t ts)
{
    if (s->st == ST_IN_DATA) {
        const uint8_t *p = lb->buf;
        size_t n = lb->len;
        if (!lb->cont && n && p[0] == '.') {
            p++;
            n--;
        }
        smtp_data_bytes(s, p, n, ts);
        lb->cont = true;
    } else if (!lb->over) {
        proto_weird(s->ctx, "smtp_line_too_long", NULL, ts);
        lb->over = true;
        return;
    }
    lb->len = 0;
}

static void smtp_line_done(struct smtp_state *s, enum proto_dir dir, struct smtp_lbuf *lb,
                           int64_t ts)
{
    if (lb->cont) {
        if (s->st == ST_IN_DATA) {
            size_t n = lb->len;
            while (n && lb->buf[n - 1] == '\r')
                n--;
            smtp_data_bytes(s, lb->buf, n, ts);
            smtp_data_bytes(s, (const uint8_t *)"\r\n", 2, ts);
        }
    } else
        smtp_line(s, dir, lb->buf, lb->len, ts);
    lb->len = 0;
    lb->over = lb->cont = false;
}

/* Raw BDAT chunk bytes; returns how many were taken. */
static size_t smtp_bdat_bytes(struct smtp_state *s, const uint8_t *p, size_t n, int64_t ts)
{
    size_t take = n < s->bdat_left ? n : (size_t)s->bdat_left;
    smtp_data_bytes(s, p, take, ts);
    s->bdat_left -= take;
    /* Suricata reads a chunk line by line: a chunk that does not end with a
     * line's end runs past its length (app-layer-event smtp.bdat_chunk_len_exceeded) */
    if (take && s->bdat_left == 0 && p[take - 1] != '\n')
        proto_event(s->ctx, "smtp_bdat_chunk_len_exceeded", ts);
    if (s->bdat_left == 0 && s->bdat_chunk_last)
        smtp_end_data(s, true, ts);
    return take;
}

static enum proto_result smtp_parse(void *state, struct proto_ctx *ctx, enum proto_dir dir,
                                    const uint8_t *data, size_t len, int64_t ts)
{
    struct smtp_state *s = state;
    s->ctx = ctx;
    struct smtp_lbuf *lb = &s->lb[dir];
    if (dir == PROTO_ORIG && !s->seen_client && len) {
        s->seen_client = true;
        if (s->have_info && s->info.ts_provisional)
            s->info.ts = ts;
        s->info.ts_provisional = false;
    }
    struct cursor c;
    cursor_init(&c, data, len);
    while (cursor_left(&c) && s->st != ST_IN_TLS) {
        if (dir == PROTO_ORIG && s->bdat_left && lb->len == 0) {
            cursor_skip(&c, smtp_bdat_bytes(s, c.p, cursor_left(&c), ts));
            continue;
        }
        /* Lines end at LF (Zeek's ContentLine); trailing CRs are stripped. */
        const uint8_t *nl = memchr(c.p, '\n', cursor_left(&c));
        size_t take = nl ? (size_t)(nl - c.p) : cursor_left(&c);
        while (take) {
            if (lb->len == sizeof(lb->buf))
                smtp_line_spill(s, lb, ts);
            size_t room = sizeof(lb->buf) - lb->len, k = take < room ? take : room;
            if (k == 0) { /* overflowing command line: drop the rest */
                cursor_skip(&c, take);
                take = 0;
                break;
            }
            memcpy(lb->buf + lb->len, c.p, k);
            lb->len += k;
            cursor_skip(&c, k);
            take -= k;
        }
        if (nl) {
            cursor_skip(&c, 1);
            smtp_line_done(s, dir, lb, ts);
        }
    }
    return PROTO_OK;
}

/* Capture loss (Zeek's Undelivered): the message is cut, the queue is
 * lost, and client lines are ignored until the server's next reply. */
static enum proto_result smtp_gap(void *state, struct proto_ctx *ctx, enum proto_dir dir,
                                  uint64_t len)
{
    struct smtp_state *s = state;
    s->ctx = ctx;
    if (s->st == ST_IN_TLS)
        return PROTO_OK;
    if (s->st == ST_IN_DATA || s->msg.open) {
        smtp_msg_gap(&s->msg, len);
        smtp_end_data(s, false, 0);
    }
    s->lb[dir].len = 0;
    s->lb[dir].over = s->lb[dir].cont = false;
    s->q_n = 0;
    s->first_cmd = s->last_replied = -1;
    s->bdat_left = 0;
    s->pending_reply = 0;
    s->st = ST_AFTER_GAP;
    return PROTO_OK;
}

static void *smtp_state_new(struct proto_ctx *ctx)
{
    struct smtp_state *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->ctx = ctx;
    s->st = ST_CONNECTED;
    s->first_cmd = SC_CONN;
    s->last_replied = -1;
    const struct proto_conn *c = proto_conn(ctx);
    s->late = !c || (c->resp_p != 25 && c->resp_p != 587);
    smtp_update(s, SC_CONN, 0, 0);
    return s;
}

/* Session end: Zeek's Done() ends an open message, then finalize_smtp
 * writes the transaction if the client did something. */
static void smtp_state_free(void *state, struct proto_ctx *ctx)
{
    struct smtp_state *s = state;
    s->ctx = ctx;
    if (s->msg.open)
        smtp_msg_end(&s->msg, ctx, s->have_info ? &s->info : NULL, false, 0);
    if (s->have_info && s->info.has_client_activity)
        smtp_info_emit(s);
    smtp_msg_free(&s->msg);
    smtp_info_clear(&s->info);
    smtp_str_free(&s->helo);
    smtp_str_free(&s->det_helo);
    smtp_str_free(&s->det_from);
    smtp_strset_free(&s->det_rcpt);
    free(s->queue);
    free(s);
}

/* Does p[0..n) start with pre (case-insensitive), or could it still? */
static enum proto_probe smtp_probe_word(const uint8_t *p, size_t n, const char *pre)
{
    size_t l = strlen(pre), k = n < l ? n : l;
    if (strncasecmp((const char *)p, pre, k) != 0)
        return PROTO_PROBE_NO;
    return n >= l ? PROTO_PROBE_YES : PROTO_PROBE_MAYBE;
}

/* Zeek's dpd.sig: a "220" greeting from the server (on 25/587: enough;
 * elsewhere FTP greets the same, so wait for the client) and HELO/EHLO
 * from the client. */
static enum proto_probe smtp_probe(const uint8_t *data, size_t len, enum proto_dir dir,
                                   uint16_t orig_p, uint16_t resp_p)
{
    (void)orig_p;
    if (dir == PROTO_RESP) {
        enum proto_probe a = smtp_probe_word(data, len, "220 ");
        enum proto_probe b = smtp_probe_word(data, len, "220-");
        if (a == PROTO_PROBE_NO && b == PROTO_PROBE_NO)
            return PROTO_PROBE_NO;
        if (a == PROTO_PROBE_YES || b == PROTO_PROBE_YES)
            return (resp_p == 25 || resp_p == 587) ? PROTO_PROBE_YES : PROTO_PROBE_MAYBE;
        return PROTO_PROBE_MAYBE;
    }
    enum proto_probe a = smtp_probe_word(data, len, "EHLO ");
    enum proto_probe b = smtp_probe_word(data, len, "HELO ");
    if (a == PROTO_PROBE_YES || b == PROTO_PROBE_YES)
        return PROTO_PROBE_YES;
    return (a == PROTO_PROBE_MAYBE || b == PROTO_PROBE_MAYBE) ? PROTO_PROBE_MAYBE
                                                               : PROTO_PROBE_NO;
}

const struct proto_parser proto_smtp = {
    .name = "smtp",
    .ip_proto = 6,
    .ports = smtp_ports,
    .probe = smtp_probe,
    .state_new = smtp_state_new,
    .parse = smtp_parse,
    .gap = smtp_gap,
    .eof = NULL,
    .state_free = smtp_state_free,
};
