/*
 * smtp.h - the SMTP parser's internal interface (smtp.c: the session,
 * commands, replies and smtp.log; smtp_mime.c: the message's top-level
 * headers and the address/IP extraction Zeek's scripts apply to them) and
 * the message sink that file extraction (issue 6) plugs into.
 *
 * Message bytes - the DATA body after dot-unstuffing, or the BDAT chunks,
 * headers included, CRLF line ends - flow through smtp_msg_deliver() to
 * the top-level header parser and to the process-wide sink installed with
 * smtp_msg_ops_set().  No sink: messages are only parsed for their headers.
 */
#ifndef VIGIL_PROTO_SMTP_H
#define VIGIL_PROTO_SMTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/record.h"
#include "proto/proto.h"

/* ---- caps ---- */
#define SMTP_LINE_MAX (16 * 1024)   /* one command/reply line, one header line kept */
#define SMTP_HDR_MAX (32 * 1024)    /* one (unfolded) header */
#define SMTP_HDRS_MAX 512           /* header lines per message */
#define SMTP_FIELD_MAX (8 * 1024)   /* bytes kept of one logged string */
#define SMTP_SET_MAX 1000           /* Zeek's max_rcptto/to/cc_addresses */
#define SMTP_PATH_MAX 1000          /* Zeek's max_path_length */
#define SMTP_PENDING_MAX 1000       /* Zeek's max_pending_cmd_q_size */
#define SMTP_INVALID_MAX 25         /* Zeek's max_invalid_mail_transactions */

/* ---- the message sink (file extraction hangs off this) ---- */

struct smtp_msg_ops {
    /* A message begins (DATA accepted or first BDAT chunk): a handle or NULL. */
    void *(*open)(struct proto_ctx *ctx, uint64_t trans_depth, int64_t ts);
    /* Message bytes in order (unstuffed, CRLF line ends); ts their packet time. */
    void (*data)(void *h, const uint8_t *p, size_t n, int64_t ts);
    /* n bytes are missing (capture loss). */
    void (*gap)(void *h, uint64_t n);
    /* The message ended; complete=false: cut short.  Frees h.  May return
     * the file's id for fuids (static until the next call), or NULL. */
    const char *(*close)(void *h, bool complete);
};

/* Install the process-wide message sink (NULL: none).  Call before traffic. */
void smtp_msg_ops_set(const struct smtp_msg_ops *ops);

/* ---- one growable set of strings (rcptto, to, cc) ---- */

struct smtp_strset {
    char **v;
    size_t *len;
    size_t n, cap;
};

void smtp_strset_add(struct smtp_strset *s, const char *p, size_t n);
void smtp_strset_free(struct smtp_strset *s);

/* ---- the transaction (Zeek's SMTP::Info) ---- */

struct smtp_str {
    char *p;
    size_t len;
    bool set;
};

void smtp_str_set(struct smtp_str *s, const void *p, size_t n);
void smtp_str_free(struct smtp_str *s);

struct smtp_info {
    int64_t ts;
    uint64_t trans_depth;
    struct smtp_str helo, mailfrom, date, from, reply_to, msg_id, in_reply_to, subject;
    struct smtp_str first_received, second_received, last_reply, user_agent;
    struct smtp_strset rcptto, to, cc;
    bool has_rcptto, has_to, has_cc;
    struct raddr x_originating_ip;
    struct raddr *path;
    size_t n_path, cap_path;
    bool tls;
    bool has_client_activity;
    bool ts_provisional; /* ts moves to the client's first line (smtp.c) */
    bool process_received_from;
    struct smtp_str fuids[8];
    size_t n_fuids;
};

/* The message (header) parser of one mail, fed by smtp_msg_deliver(). */
struct smtp_msg {
    bool open;            /* a message is in progress */
    bool in_headers;      /* still in the top-level header block */
    bool at_bol;          /* next byte starts a line */
    uint8_t *hdr;         /* current (unfolded) header */
    size_t hdr_len;
    bool hdr_over;
    size_t n_hdrs;
    uint8_t line[SMTP_LINE_MAX]; /* current header line being assembled */
    size_t line_len;
    bool line_over;
    void *sink;           /* handle from smtp_msg_ops.open */
};

/* Handle one complete unfolded header "Name: value" for info (Zeek's
 * mime_one_header handlers of base/protocols/smtp/main.zeek). */
void smtp_header_apply(struct proto_ctx *ctx, struct smtp_info *info, const uint8_t *h, size_t n,
                       int64_t ts);

/* Message bytes: begin, deliver, end. */
void smtp_msg_begin(struct smtp_msg *m, struct proto_ctx *ctx, uint64_t trans_depth, int64_t ts);
void smtp_msg_deliver(struct smtp_msg *m, struct proto_ctx *ctx, struct smtp_info *info,
                      const uint8_t *p, size_t n, int64_t ts);
void smtp_msg_gap(struct smtp_msg *m, uint64_t n);
void smtp_msg_end(struct smtp_msg *m, struct proto_ctx *ctx, struct smtp_info *info,
                  bool complete, int64_t ts);
void smtp_msg_free(struct smtp_msg *m);

/* ---- Zeek's script helpers (smtp_mime.c) ---- */

/* extract_email_addrs: call fn for each address found in s (in order). */
void smtp_email_addrs(const uint8_t *s, size_t n, void (*fn)(void *arg, const char *a, size_t l),
                      void *arg);

/* split_mime_email_addresses: call fn for each stripped part. */
void smtp_mime_addrs(const uint8_t *s, size_t n, void (*fn)(void *arg, const char *a, size_t l),
                     void *arg);

/* extract_ip_addresses (IPv4 and IPv6 text): up to max addresses into out;
 * check_wrapping as Zeek's.  Returns the count. */
size_t smtp_ip_addrs(const uint8_t *s, size_t n, bool check_wrapping, struct raddr *out,
                     size_t max);

#endif
