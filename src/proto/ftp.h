/*
 * ftp.h - the FTP parsers' configuration and the data-channel sink that
 * file extraction (issue 6) plugs into.
 *
 * The control channel ("ftp", ftp.c) announces every data channel it sees
 * (PORT/EPRT from the client, 227/229 replies to PASV/EPSV) with
 * proto_expect(..., "ftp-data", ...); the app layer starts the "ftp-data"
 * parser on the matching session, and its bytes flow to the sink installed
 * with ftp_data_ops_set().  No sink: data bytes are only counted.
 */
#ifndef VIGIL_PROTO_FTP_H
#define VIGIL_PROTO_FTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/proto.h"

#define FTP_LINE_MAX (8 * 1024)  /* one command or reply line kept */
#define FTP_PENDING_MAX 20        /* Zeek's FTP::max_pending_commands */
#define FTP_USER_MAX 128          /* Zeek's FTP::max_user_length */
#define FTP_PASSWORD_MAX 128      /* Zeek's FTP::max_password_length */
#define FTP_ARG_MAX 4096          /* Zeek's FTP::max_arg_length */
#define FTP_REPLY_MSG_MAX 4096    /* Zeek's FTP::max_reply_msg_length */
#define FTP_PATH_MAX 4096         /* the tracked working directory */
#define FTP_EXPECT_NS (300LL * 1000000000LL) /* data channel expected for 5 min, as Zeek */
#define FTP_LINKS_MAX 64          /* data channels remembered for their control session */

/* Zeek's FTP::default_capture_password (default false: "<hidden>" except
 * for the guest ids anonymous, ftp, ftpuser, guest). */
void ftp_config_capture_password(bool on);

/* The data channel sink. */
struct ftp_data_ops {
    /* A data session begins: a handle or NULL. */
    void *(*open)(struct proto_ctx *ctx, int64_t ts);
    /* Bytes in order; dir tells upload (PROTO_ORIG/RESP of the data session);
     * ts the packet time of the chunk (files.log duration). */
    void (*data)(void *h, enum proto_dir dir, const uint8_t *p, size_t n, int64_t ts);
    void (*gap)(void *h, enum proto_dir dir, uint64_t n);
    /* What the sink knows of the file h carries (the newest one): its fuid,
     * and its sniffed type once typed (first 4 KiB seen, a gap, or final:
     * the session is ending).  NULLs: not known (yet).  The strings stay
     * valid until close.  Optional.  ftp.c writes them on the control
     * session's RETR/STOR row (Zeek's ftp/files.zeek: ftp_data_expected). */
    void (*info)(void *h, bool final, const char **fuid, const char **mime_type);
    /* The data session ended.  Frees h. */
    void (*close)(void *h);
};

void ftp_data_ops_set(const struct ftp_data_ops *ops);

/* ---- parsing helpers (exposed for the unit tests) ---- */

struct ftp_hostport {
    struct raddr h; /* family 0: unspecified (EPSV's empty address) */
    uint16_t p;
    bool valid;
};

/* Zeek's parse_ftp_port ("h1,h2,h3,h4,p1,p2"). */
struct ftp_hostport ftp_parse_port(const uint8_t *s, size_t n);
/* Zeek's parse_ftp_pasv (the 227 reply text). */
struct ftp_hostport ftp_parse_pasv(const uint8_t *s, size_t n);
/* Zeek's parse_eftp_port ("|1|h|p|" / "|2|h|p|" / "|||p|"). */
struct ftp_hostport ftp_parse_eprt(const uint8_t *s, size_t n);
/* Zeek's parse_ftp_epsv (the 229 reply text). */
struct ftp_hostport ftp_parse_epsv(const uint8_t *s, size_t n);

/* Zeek's decode_base64 (for ADAT tokens): a character outside the alphabet
 * or a group after '=' padding is an error (-1, msg tells which); a last
 * group left unfinished is padded with zero bits (0, msg set too).  out
 * holds (n + 3) / 4 * 3 bytes at most; *outlen gets the decoded length. */
int ftp_base64_decode(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *outlen,
                      char *msg, size_t msglen);

/* ---- GSI ADAT exchanges (ftp_adat.c), used by ftp.c ---- */

struct ftp_adat {
    bool auth_gssapi;        /* the last AUTH argument is exactly "GSSAPI" */
    bool auth_gssapi_like;   /* ... contains "GSSAPI" (gridftp.zeek's test) */
    bool later;              /* the first client ADAT token has been checked */
    struct proto_child *child; /* the "ssl" child of a GSI exchange */
};

/* Would Zeek's FTP analyzer hand this line on to its children?  -1: no;
 * else the reply code as it sees it (0 inside a multi-line reply, whose
 * code pending_reply is). */
int ftp_adat_pre(int pending_reply, enum proto_dir dir, const uint8_t *p, size_t n);
/* A line Zeek's analyzer forwards (pre >= 0): open, feed, close the child. */
void ftp_adat_line(struct ftp_adat *a, struct proto_ctx *ctx, enum proto_dir dir, const uint8_t *p,
                   size_t n, int pre, int64_t ts);
/* The three-digit reply code a line starts with, or 0. */
unsigned ftp_code3(const uint8_t *p, size_t n);

/* Zeek's build_path_compressed(dir, file) into out (NUL-terminated). */
void ftp_path_build(const char *dir, const char *file, char *out, size_t outlen);

#endif
