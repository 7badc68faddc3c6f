/*
 * conn_record.h - the session record: one row of Zeek's conn.log.
 *
 * Field names, order and meanings follow Zeek 8's conn.log as written with
 * the default scripts plus policy/protocols/conn/community-id-logging
 * (the corpus's *.zeek8-conn.log), followed by the vlan fields of
 * policy/protocols/conn/vlan-logging.  The table conn_record_type in
 * conn_record.c describes it for every writer and for the filter language.
 */
#ifndef VIGIL_FLOW_CONN_RECORD_H
#define VIGIL_FLOW_CONN_RECORD_H

#include "core/record.h"

struct conn_record {
    struct record_hdr hdr;
    int64_t ts;              /* first packet, ns */
    struct rstr uid;
    struct raddr orig_h;
    uint64_t orig_p;         /* port, or ICMP type */
    struct raddr resp_h;
    uint64_t resp_p;         /* port, or ICMP code */
    struct rstr proto;       /* "tcp", "udp", "icmp", "unknown_transport" */
    struct rstr service;     /* e.g. "http", "ssl,smtp"; unset until detected */
    int64_t duration;        /* ns */
    uint64_t orig_bytes, resp_bytes;
    struct rstr conn_state;
    bool local_orig, local_resp;
    uint64_t missed_bytes;
    struct rstr history;
    uint64_t orig_pkts, orig_ip_bytes, resp_pkts, resp_ip_bytes;
    struct rstrvec tunnel_parents; /* uids of the enclosing tunnel sessions */
    uint64_t ip_proto;
    struct rstr community_id;
    int64_t vlan, inner_vlan;
    char buf[96];            /* backing store for short strings (uid, history, community_id) */
};

/* Indexes into conn_record_type.fields, for record_set_unset(). */
enum conn_field {
    CONN_TS, CONN_UID, CONN_ORIG_H, CONN_ORIG_P, CONN_RESP_H, CONN_RESP_P, CONN_PROTO,
    CONN_SERVICE, CONN_DURATION, CONN_ORIG_BYTES, CONN_RESP_BYTES, CONN_CONN_STATE,
    CONN_LOCAL_ORIG, CONN_LOCAL_RESP, CONN_MISSED_BYTES, CONN_HISTORY, CONN_ORIG_PKTS,
    CONN_ORIG_IP_BYTES, CONN_RESP_PKTS, CONN_RESP_IP_BYTES, CONN_TUNNEL_PARENTS, CONN_IP_PROTO,
    CONN_COMMUNITY_ID, CONN_VLAN, CONN_INNER_VLAN, CONN_N_FIELDS
};

extern const struct record_type conn_record_type;

/* Initialise *r: type set, every field unset. */
void conn_record_init(struct conn_record *r);

#endif
