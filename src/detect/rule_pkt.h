/*
 * rule_pkt.h - the packet, flow and event keywords that live beside the
 * core struct rule (rule.h) in their own extension, struct rule_px:
 * vlan.id, vlan.layers, icmpv6.mtu, fragbits, fragoffset, ipopts, sameip,
 * flow.age, flow.pkts, flow.bytes, prefilter, decode-event, stream-event,
 * app-layer-event (parsed in rule_pkt.c, evaluated in engine_pkt.c).
 *
 * A rule without any of them has r->px == NULL.  The event keywords are
 * resolved when the rule is parsed; a Suricata event name Vigil has no
 * counterpart for is kept in px->unmapped and the engine skips the rule
 * naming the event (detect_rule_check; docs/rules.md lists the tables).
 */
#ifndef VIGIL_DETECT_RULE_PKT_H
#define VIGIL_DETECT_RULE_PKT_H

#include "detect/rule.h"

#define RULE_PX_VLAN_ID 0x0001u
#define RULE_PX_VLAN_LAYERS 0x0002u
#define RULE_PX_ICMPV6_MTU 0x0004u
#define RULE_PX_FRAGBITS 0x0008u
#define RULE_PX_FRAGOFFSET 0x0010u
#define RULE_PX_IPOPTS 0x0020u
#define RULE_PX_SAMEIP 0x0040u
#define RULE_PX_FLOW_AGE 0x0080u
#define RULE_PX_FLOW_PKTS 0x0100u
#define RULE_PX_FLOW_BYTES 0x0200u
#define RULE_PX_PREFILTER 0x0400u

/* vlan.id layer selection: 0.. from the outermost tag, -1.. from the
 * innermost, or one of these. */
#define RULE_VLAN_ANY (-100) /* no layer given: any tag matches */
#define RULE_VLAN_ALL (-101) /* "all": every tag matches */

/* fragbits bits (Suricata's M D R) */
#define RULE_FRAG_M 0x01u
#define RULE_FRAG_D 0x02u
#define RULE_FRAG_R 0x04u

/* flow.pkts / flow.bytes direction */
enum { RULE_DIR_TOSERVER, RULE_DIR_TOCLIENT, RULE_DIR_EITHER };

/* Where an event keyword's event comes from. */
enum rule_ev_kind {
    RULE_EV_NONE,
    RULE_EV_DECODE, /* decode-event: the decoder's anomalies on the packet */
    RULE_EV_STREAM, /* stream-event: a TCP flow weird or a reassembly gap */
    RULE_EV_APP,    /* app-layer-event raised as a parser weird */
    RULE_EV_RECORD, /* app-layer-event computed from the transaction's record */
    RULE_EV_PKT,    /* app-layer-event computed from the packet's payload */
};

/* Predicates of RULE_EV_RECORD and RULE_EV_PKT events (engine_pkt.c). */
enum rule_ev_rec {
    RULE_EVR_DNS_Z_FLAG,
    RULE_EVR_HTTP_DOUBLE_ENCODED_URI,
    RULE_EVR_HTTP_HOST_INVALID,
    RULE_EVR_HTTP_TE_INVALID, /* from the request's headers (the captures), not the record */
};

struct rule_event {
    uint8_t kind;         /* enum rule_ev_kind */
    uint8_t app;          /* RULE_PROTO_* of an app-layer event, 0 otherwise */
    uint8_t rec;          /* enum rule_ev_rec for RULE_EV_RECORD */
    uint8_t version;      /* decode: IP version the anomaly must be on (0 any) */
    uint8_t ip_proto;     /* decode: transport protocol (0 any) */
    uint16_t anom[2];     /* decode: enum decode_anomaly values (0 unused) */
    const char *weird;    /* stream/app: the weird name (static) */
    const char *name;     /* the Suricata event name (static) */
};

struct rule_px {
    uint32_t has; /* RULE_PX_* */
    struct rule_num vlan_id, vlan_layers, icmpv6_mtu, fragoffset, flow_age;
    struct rule_num flow_pkts, flow_bytes;
    int16_t vlan_layer;
    uint8_t pkts_dir, bytes_dir;
    uint8_t fragbits, fragbits_mod; /* mod: 0 exact, '+', '*', '!' */
    uint16_t ipopts;                /* PKT_IPOPT_* bits; 0xffff: any option */
    struct rule_event ev;           /* ev.kind RULE_EV_NONE: no event keyword */
    char *unmapped;                 /* "keyword:event" of an event Vigil has no counterpart
                                     * for: parsed, but the engine skips the rule naming it */
};

struct rule_pctx;
struct rule_keyword;

/* The keywords of rule_pkt.c (consulted after rule_keywords.c's table). */
const struct rule_keyword *rule_pkt_keyword_find(const char *name);
/* app-layer-event (rule_keywords.c's table points here). */
int rule_kw_app_event(struct rule_pctx *p, char *val, int arg);
void rule_px_free(struct rule_px *px);

/* The event tables (for docs and tests): the i-th Suricata name of a kind,
 * NULL past the end. */
const char *rule_event_name(int kind, size_t i);

#endif
