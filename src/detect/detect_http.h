/*
 * detect_http.h - the HTTP parser's hook into the signature engine
 * (engine_http.c, docs/alerts.md "What is matched where").
 *
 * While an engine with HTTP rules is installed, the parser captures each
 * message's start line, its header lines as received and the first
 * body-limit bytes of its decoded body (de-chunked, gzip/deflate
 * inflated) into a struct detect_http_cap it owns, and calls
 * detect_http_tx() at four moments of a transaction:
 *
 *   REQ_HEADERS   the request's empty line was read (request rules)
 *   REQ_BODY      the request ended (rules on http.request_body / file.data to_server)
 *   RESP_HEADERS  the response's empty line was read (response rules)
 *   RESP_BODY     the response ended (http.response_body, file.data)
 *
 * Each rule is evaluated at exactly one of these (the latest its buffers
 * need), so it alerts at most once per transaction.  The engine builds the
 * buffers (normalised URI, host, header, cookie, ...) from the captures
 * for the one inspection and keeps no pointer after the call; bodies are
 * inspected in place.  Without an engine nothing is captured.
 */
#ifndef VIGIL_DETECT_DETECT_HTTP_H
#define VIGIL_DETECT_DETECT_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct proto_conn;

/* Suricata's request-body-limit / response-body-limit defaults (100 KiB). */
#define DETECT_HTTP_BODY_LIMIT_DEFAULT (100u * 1024)
#define DETECT_HTTP_HDRS_MAX (64u * 1024) /* captured header bytes per message */

/* One message as the engine needs it; owned by the parser. */
struct detect_http_cap {
    bool on;              /* capturing (an engine with HTTP rules was installed) */
    bool hdrs_done;       /* the empty line after the headers was seen */
    uint8_t *line;        /* request or status line, no EOL */
    uint32_t line_len, line_cap;
    uint8_t *hdrs;        /* header lines as received, each + CRLF, then the empty line */
    uint32_t hdrs_len, hdrs_cap;
    uint8_t *body;        /* decoded body: the first body-limit bytes */
    uint32_t body_len, body_cap;
    uint64_t body_total;  /* decoded bytes seen, also past the limit */
};

enum detect_http_stage {
    DETECT_HTTP_REQ_HEADERS = 1,
    DETECT_HTTP_REQ_BODY = 2,
    DETECT_HTTP_RESP_HEADERS = 3,
    DETECT_HTTP_RESP_BODY = 4,
};

/* Is an engine with HTTP transaction rules installed?  (Capture or not.) */
bool detect_http_active(void);

/* Body inspection limits (bytes, 0: the default). */
void detect_http_set_body_limits(uint32_t request, uint32_t response);

/* Start capturing a message (on = detect_http_active()) and take its start line. */
void detect_http_cap_begin(struct detect_http_cap *c, const uint8_t *line, size_t n);
/* One header line as received (a folded continuation too); NULL, 0: the empty line. */
void detect_http_cap_header(struct detect_http_cap *c, const uint8_t *line, size_t n);
/* Decoded body bytes, in order (dir: 0 request, 1 response, for the limit). */
void detect_http_cap_body(struct detect_http_cap *c, int dir, const uint8_t *p, size_t n);
/* Forget the message (keeps the allocations). */
void detect_http_cap_reset(struct detect_http_cap *c);
void detect_http_cap_free(struct detect_http_cap *c);

/* Inspect the transaction's rules of stage: req / resp may be NULL (a
 * response without its request).  ts: the packet time (ns). */
void detect_http_tx(const struct proto_conn *conn, enum detect_http_stage stage,
                    const struct detect_http_cap *req, const struct detect_http_cap *resp,
                    int64_t ts);

/* ---- the buffer builders (exposed for the unit tests) ---- */

/* Suricata's (libhtp's) normalised URI of a request-target: an absolute
 * URI's scheme and authority dropped, the path %-decoded, "//" collapsed,
 * "." and ".." segments removed, the query kept as sent.  out holds at
 * least n + 1 bytes; returns the length written. */
size_t detect_http_uri_normalize(const uint8_t *in, size_t n, uint8_t *out);

/* http.host from a Host value: lowercased, port removed.  out holds n bytes. */
size_t detect_http_host_normalize(const uint8_t *in, size_t n, uint8_t *out);

/* One parsed header: name and value (leading/trailing blanks trimmed). */
struct detect_http_hdr {
    const uint8_t *name, *value;
    uint32_t nlen, vlen;
};

/* Split a capture's header block into headers (folded lines are left as
 * their own entries with an empty name).  Returns the count (<= max). */
uint32_t detect_http_headers_split(const uint8_t *hdrs, size_t n, struct detect_http_hdr *h,
                                   uint32_t max);

/* http.header: "Name: value\r\n" per header without Cookie/Set-Cookie, then
 * "\r\n" (Suricata's normalised header buffer).  out holds n + 2 bytes
 * (n = the capture's header block length) ; returns the length. */
size_t detect_http_header_buffer(const struct detect_http_hdr *h, uint32_t nh, uint8_t *out,
                                 size_t cap);
/* http.header_names: "\r\n" then "Name\r\n" per header, then "\r\n". */
size_t detect_http_header_names(const struct detect_http_hdr *h, uint32_t nh, uint8_t *out,
                                size_t cap);

#endif
