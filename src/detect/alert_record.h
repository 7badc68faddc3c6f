/*
 * alert_record.h - the "alert" record: one signature hit, keyed to its
 * session uid, described once for every writer (Zeek TSV/JSON alert.log,
 * EVE JSON, the store).  Field names follow Suricata's EVE alert object
 * ("alert.signature_id", "http.hostname", ...); the EVE writer nests them
 * on the dots.  id.* are the session's originator/responder as in every
 * Vigil record; src_ip/src_port/dest_ip/dest_port are the direction of
 * the packet or transaction that alerted, as Suricata writes them.
 */
#ifndef VIGIL_DETECT_ALERT_RECORD_H
#define VIGIL_DETECT_ALERT_RECORD_H

#include "core/record.h"

struct alert_record {
    struct record_hdr hdr;
    int64_t ts;
    struct rstr uid;
    struct raddr orig_h;
    uint64_t orig_p;
    struct raddr resp_h;
    uint64_t resp_p;
    uint64_t flow_id;
    uint64_t pcap_cnt;
    struct raddr src_ip;
    uint64_t src_port;
    struct raddr dest_ip;
    uint64_t dest_port;
    struct rstr proto;
    struct rstr app_proto;
    struct rstr community_id;
    struct rstr action;
    uint64_t gid, sid, rev;
    struct rstr signature;
    struct rstr category;
    uint64_t severity;
    struct rstrvec metadata; /* "key value" pairs in rule order */
    struct rstr http_hostname, http_url, http_user_agent, http_method, http_protocol;
    uint64_t http_status, http_length;
    struct rstr dns_rrname, tls_sni, tls_ja3, ssh_client, ssh_server;
    /* --eve-alert extras (alert_payload.c), unset unless asked for */
    struct rstr in_iface;          /* live capture: the interface the packet came in on */
    struct rstr payload;           /* base64 */
    struct rstr payload_printable; /* printable bytes, others as '.' */
    uint64_t stream;               /* 1: payload is reassembled stream data */
    struct rstr packet;            /* base64 of the frame as captured */
    uint64_t packet_linktype;      /* packet_info.linktype: libpcap DLT_* */
};

enum alert_field {
    AF_TS, AF_UID, AF_ORIG_H, AF_ORIG_P, AF_RESP_H, AF_RESP_P, AF_FLOW_ID, AF_PCAP_CNT,
    AF_SRC_IP, AF_SRC_PORT, AF_DEST_IP, AF_DEST_PORT, AF_PROTO, AF_APP_PROTO, AF_COMMUNITY_ID,
    AF_ACTION, AF_GID, AF_SID, AF_REV, AF_SIGNATURE, AF_CATEGORY, AF_SEVERITY, AF_METADATA,
    AF_HTTP_HOSTNAME, AF_HTTP_URL, AF_HTTP_USER_AGENT, AF_HTTP_METHOD, AF_HTTP_PROTOCOL,
    AF_HTTP_STATUS, AF_HTTP_LENGTH, AF_DNS_RRNAME, AF_TLS_SNI, AF_TLS_JA3, AF_SSH_CLIENT,
    AF_SSH_SERVER, AF_IN_IFACE, AF_PKT_PAYLOAD, AF_PKT_PRINTABLE, AF_PKT_STREAM, AF_PKT_FRAME,
    AF_PKT_LINKTYPE, AF_N
};

extern const struct record_type alert_record_type;

/* *r: type set, every optional field (app_proto on) unset. */
void alert_record_init(struct alert_record *r);

#endif
