/*
 * dns_int.h - what dns.c (sessions, transactions, framing, records) and
 * dns_msg.c (one DNS message on the wire) share.  Not a public interface.
 *
 * dns_msg_parse() walks one message as Zeek's DNS analyzer does and calls
 * the dns_on_*() hooks (dns.c) at the points where Zeek raises its
 * script events (dns_message, dns_request, dns_rejected, the dns_*_reply
 * family, dns_end).
 */
#ifndef VIGIL_PROTO_DNS_INT_H
#define VIGIL_PROTO_DNS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/cursor.h"
#include "proto/proto.h"

#define DNS_HDR_LEN 12
#define DNS_NAME_ROOM 512    /* Zeek's 513-byte name buffer, less its NUL */
#define DNS_MAX_HOPS 128     /* compression pointers followed per name */
#define DNS_MAX_QUERIES 25   /* Zeek's dns_max_queries */
#define DNS_REPLY_MAX 70000  /* one rendered answer (a TXT RR is < 64 KiB) */

enum dns_opcode {
    DNS_OP_QUERY = 0,
    DNS_OP_NOTIFY = 4,
    DNS_OP_UPDATE = 5,
};

/* Which section an RR came from (Zeek's dns_answer$answer_type). */
enum dns_section {
    DNS_SEC_ANS,
    DNS_SEC_AUTH,
    DNS_SEC_ADDL,
    DNS_SEC_PREREQ, /* dynamic update (RFC 2136): the answer-count section */
    DNS_SEC_UPDATE, /* dynamic update: the authority-count section */
};

struct dns_hdr {
    uint16_t id, qdcount, ancount, nscount, arcount;
    bool qr, aa, tc, rd, ra;
    uint8_t opcode, rcode, z;
    bool netbios; /* NetBIOS name service (port 137) */
};

/* A growable text buffer with a hard cap (appends past it are dropped). */
struct dns_sbuf {
    char *p;
    size_t len, cap, max;
    bool overflow;
};

void dns_sbuf_reset(struct dns_sbuf *b);
void dns_sbuf_put(struct dns_sbuf *b, const void *data, size_t n);
void dns_sbuf_puts(struct dns_sbuf *b, const char *s);
void dns_sbuf_printf(struct dns_sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void dns_sbuf_free(struct dns_sbuf *b);

struct dns_session;

/* The 12-byte header at c (the caller checked there are 12 bytes). */
void dns_hdr_parse(struct cursor *c, struct dns_hdr *h);

/* One DNS message (data, len) at time ts; resp_p of the session decides
 * the NetBIOS rules.  Everything it finds goes to the dns_on_*() hooks. */
void dns_msg_parse(struct dns_session *s, const uint8_t *data, size_t len, int64_t ts);

/* dns_detect.c: the signature engine's inspection point for one message
 * of direction dir (transaction number tx). */
void dns_detect_message(struct proto_ctx *ctx, enum proto_dir dir, const uint8_t *msg,
                        size_t len, uint64_t tx);

/* ---- hooks implemented in dns.c ---- */

bool dns_on_netbios(const struct dns_session *s);
void dns_on_weird(struct dns_session *s, const char *name, const char *addl);
void dns_on_confirm(struct dns_session *s);
/* dns_message: only for the opcodes Zeek tracks (query, notify, update). */
void dns_on_message(struct dns_session *s, const struct dns_hdr *h);
void dns_on_request(struct dns_session *s, const struct dns_hdr *h, const char *query,
                    size_t qlen, uint16_t qtype, uint16_t qclass);
void dns_on_rejected(struct dns_session *s);
/* One RR that Zeek's scripts turn into an answer: rrname is the RR's owner
 * (ans$query), reply the rendered text ("" for none); has_text false when
 * Zeek has no script handler for the type (nothing is logged at all). */
void dns_on_reply(struct dns_session *s, const struct dns_hdr *h, enum dns_section sec,
                  const char *rrname, size_t rrlen, uint32_t ttl, const char *reply, size_t rlen);
void dns_on_end(struct dns_session *s, const struct dns_hdr *h);
struct dns_sbuf *dns_on_scratch(struct dns_session *s);

#endif
