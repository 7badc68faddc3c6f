/*
 * mime.h - the resumable MIME entity parser (mime.c) and its multipart and
 * header-parameter helpers (multipart.c), used for SMTP messages and HTTP
 * multipart bodies.
 *
 * Bytes go in in any chunking; every leaf entity (not multipart) comes out
 * as part_open / part_data ... / part_close with its body decoded
 * (base64, quoted-printable) exactly as Zeek's MIME analyzer delivers it
 * (src/analyzer/protocol/mime/MIME.cc): text lines re-joined with CRLF, the
 * CRLF before a boundary left to the boundary.
 *
 * Ownership: the caller owns struct mime_parser (mime_parser_new/free);
 * handles returned by part_open belong to the caller and are always closed
 * through part_close (mime_parser_end / mime_parser_free).
 */
#ifndef VIGIL_EXTRACT_MIME_H
#define VIGIL_EXTRACT_MIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MIME_LINE_MAX (16 * 1024)   /* bytes of one line kept (longer body lines pass in pieces) */
#define MIME_HDR_MAX (16 * 1024)    /* one unfolded header */
#define MIME_HDRS_MAX 256           /* headers per entity */
#define MIME_BOUNDARY_MAX 70        /* RFC 2046 §5.1.1 */
#define MIME_TYPE_MAX 128
#define MIME_DEPTH_MAX 16           /* nested entities */
#define MIME_RANGE_MAX 96           /* bytes kept of a Content-Range value */

/* What a leaf entity's opener is told. */
struct mime_part {
    uint64_t depth;             /* Zeek's mime_depth: entities begun so far in this parser */
    const char *content_type;   /* "type/subtype" lower case, "" when absent */
    const char *filename;       /* Zeek's extract_filename_from_content_disposition, or NULL */
    unsigned level;             /* nesting level (0: the top entity) */
    const char *content_range;  /* the entity's Content-Range value, or NULL
                                   (multipart/byteranges parts) */
};

struct mime_ops {
    void *(*part_open)(void *arg, const struct mime_part *part);
    void (*part_data)(void *arg, void *h, const uint8_t *p, size_t n);
    void (*part_gap)(void *arg, void *h, uint64_t n);
    void (*part_close)(void *arg, void *h, bool complete);
    /* a named anomaly (Zeek's weird/IllegalEncoding text); may be NULL */
    void (*anomaly)(void *arg, const char *name);
};

enum mime_cte { MIME_CTE_OTHER, MIME_CTE_BASE64, MIME_CTE_QP };

struct mime_entity {
    bool in_headers;
    bool multipart, in_part;    /* multipart: a part has begun (after the first delimiter) */
    bool ended;                 /* multipart: close delimiter seen */
    bool parent_multipart;
    bool delay_crlf;            /* Zeek's delay_adding_implicit_CRLF */
    bool started;               /* part_open called */
    uint64_t depth;             /* the parser's depth when this entity began */
    enum mime_cte cte;
    char type[MIME_TYPE_MAX];
    char boundary[MIME_BOUNDARY_MAX + 1];
    size_t boundary_len;
    char *filename;
    char range[MIME_RANGE_MAX]; /* Content-Range value, "" when absent */
    unsigned n_hdrs;
    uint8_t b64[4];             /* base64 group */
    unsigned b64_n;
    bool b64_done;              /* padding seen: the rest is ignored */
    void *h;
};

struct mime_parser {
    const struct mime_ops *ops;
    void *arg;
    struct mime_entity st[MIME_DEPTH_MAX];
    unsigned n;                 /* entities on the stack */
    uint64_t depth;             /* entities begun */
    uint8_t line[MIME_LINE_MAX];
    size_t line_len;
    bool line_cont;             /* the current line's start was already delivered */
    bool line_over;             /* the current line passed the cap (header/boundary: rest dropped) */
    uint8_t hdr[MIME_HDR_MAX];  /* the current header of the top entity, unfolded */
    size_t hdr_len;
    bool hdr_pending;
    uint64_t anomalies;
};

/* A parser whose top entity starts with headers (an e-mail message). */
void mime_parser_init(struct mime_parser *m, const struct mime_ops *ops, void *arg);
/* A parser whose top entity is a multipart body with boundary (HTTP
 * multipart/form-data: the headers were HTTP's). */
void mime_parser_init_multipart(struct mime_parser *m, const struct mime_ops *ops, void *arg,
                                const char *boundary, size_t blen);
void mime_parser_feed(struct mime_parser *m, const uint8_t *p, size_t n);
/* n bytes missing: the open leaf entities lose them (no resynchronisation
 * inside an entity; boundaries are found again at the next line). */
void mime_parser_gap(struct mime_parser *m, uint64_t n);
/* End of input (complete=false: cut short): flush and close every entity. */
void mime_parser_end(struct mime_parser *m, bool complete);

/* ---- multipart.c: header parameters, boundaries, file names ---- */

/* The value of parameter name (RFC 2045 §5.1 token or quoted-string) of a
 * header value into out (NUL-terminated); false when absent. */
bool mime_param_get(const char *v, size_t n, const char *name, char *out, size_t outlen);

/* The lower-case "type/subtype" of a Content-Type value into out. */
void mime_type_get(const char *v, size_t n, char *out, size_t outlen);

/* Zeek's extract_filename_from_content_disposition (base/utils/files.zeek):
 * the text after the last "name[blanks][*]=", unquoted, RFC 2231's
 * charset'language' prefix removed, %XX unescaped.  Into out; its length. */
size_t mime_filename_extract(const char *v, size_t n, char *out, size_t outlen);

/* Content-Range "bytes FIRST-LAST/TOTAL" (RFC 9110 §14.4); *total is -1
 * for "*".  false when it does not parse. */
bool mime_content_range_parse(const char *v, size_t n, uint64_t *first, uint64_t *last,
                              int64_t *total);

/* Does a line (without its line end) delimit boundary b?  1: "--b",
 * 2: the close delimiter "--b--", 0: no. */
int mime_boundary_match(const uint8_t *line, size_t n, const char *b, size_t blen);

/* Base64 (Zeek's Base64Converter): decode the characters of p into out
 * (room for 3 * (n / 4 + 2) bytes); group state in e.  Returns bytes out;
 * *bad counts characters ignored. */
size_t mime_b64_decode(struct mime_entity *e, const uint8_t *p, size_t n, uint8_t *out,
                       uint64_t *bad);
/* The last, incomplete group padded as Zeek does ("incomplete base64 group"). */
size_t mime_b64_finish(struct mime_entity *e, uint8_t out[3]);

/* Quoted-printable, one line (Zeek's DecodeQuotedPrintable): into out
 * (room for n + 2); *soft: the line ended with a soft break.  Returns bytes out. */
size_t mime_qp_decode_line(const uint8_t *p, size_t n, uint8_t *out, bool *soft, uint64_t *bad);

#endif
