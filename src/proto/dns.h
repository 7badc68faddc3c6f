/*
 * dns.h - the dns.log record and the two DNS parsers (UDP, TCP).
 *
 * Field names, order and meanings follow Zeek 8's dns.log (the corpus's
 * *.zeek8-dns.log: base/protocols/dns/main.zeek DNS::Info) followed by
 * community_id, which every Vigil record carries.  dns_record_type in
 * dns.c describes it for the writers and the filter language.
 */
#ifndef VIGIL_PROTO_DNS_H
#define VIGIL_PROTO_DNS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/record.h"
#include "proto/proto.h"

struct dns_record {
    struct record_hdr hdr;
    int64_t ts; /* the first message of the transaction, ns */
    struct rstr uid;
    struct raddr orig_h;
    uint64_t orig_p;
    struct raddr resp_h;
    uint64_t resp_p;
    struct rstr proto; /* "udp" / "tcp" */
    uint64_t trans_id;
    int64_t rtt; /* query to first answer, ns */
    struct rstr query;
    uint64_t qclass;
    struct rstr qclass_name;
    uint64_t qtype;
    struct rstr qtype_name;
    uint64_t rcode;
    struct rstr rcode_name;
    bool AA, TC, RD, RA;
    uint64_t Z;
    struct rstrvec answers;
    struct rnumvec TTLs; /* ns */
    bool rejected;
    uint64_t opcode;
    struct rstr opcode_name;
    struct rstr community_id;
};

/* Indexes into dns_record_type.fields. */
enum dns_field {
    DNS_F_TS, DNS_F_UID, DNS_F_ORIG_H, DNS_F_ORIG_P, DNS_F_RESP_H, DNS_F_RESP_P, DNS_F_PROTO,
    DNS_F_TRANS_ID, DNS_F_RTT, DNS_F_QUERY, DNS_F_QCLASS, DNS_F_QCLASS_NAME, DNS_F_QTYPE,
    DNS_F_QTYPE_NAME, DNS_F_RCODE, DNS_F_RCODE_NAME, DNS_F_AA, DNS_F_TC, DNS_F_RD, DNS_F_RA,
    DNS_F_Z, DNS_F_ANSWERS, DNS_F_TTLS, DNS_F_REJECTED, DNS_F_OPCODE, DNS_F_OPCODE_NAME,
    DNS_F_COMMUNITY_ID, DNS_F_N_FIELDS
};

extern const struct record_type dns_record_type;

extern const struct proto_parser proto_dns_udp;
extern const struct proto_parser proto_dns_tcp;

/* Zeek's names (base/protocols/dns/consts.zeek) with their &default
 * renderings for unknown values; written into buf (at least 32 bytes). */
const char *dns_qtype_name(uint16_t qtype, char *buf, size_t len);
const char *dns_qclass_name(uint16_t qclass, char *buf, size_t len);
const char *dns_rcode_name(uint16_t rcode, char *buf, size_t len);
const char *dns_opcode_name(uint8_t opcode, bool netbios, char *buf, size_t len);

#endif
