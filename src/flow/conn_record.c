/*
 * conn_record.c - the field table of conn.log (Zeek 8 names and types).
 * Reference: Zeek's base/protocols/conn/main.zeek Conn::Info, plus
 * community-id-logging (community_id) and vlan-logging (vlan, inner_vlan).
 */
#include <stddef.h>
#include <string.h>

#include "flow/conn_record.h"

#define F(name, type, member) {name, type, offsetof(struct conn_record, member)}

static const struct record_field conn_fields[CONN_N_FIELDS] = {
    F("ts", RT_TIME, ts),
    F("uid", RT_STRING, uid),
    F("id.orig_h", RT_ADDR, orig_h),
    F("id.orig_p", RT_PORT, orig_p),
    F("id.resp_h", RT_ADDR, resp_h),
    F("id.resp_p", RT_PORT, resp_p),
    F("proto", RT_ENUM, proto),
    F("service", RT_STRING, service),
    F("duration", RT_INTERVAL, duration),
    F("orig_bytes", RT_COUNT, orig_bytes),
    F("resp_bytes", RT_COUNT, resp_bytes),
    F("conn_state", RT_STRING, conn_state),
    F("local_orig", RT_BOOL, local_orig),
    F("local_resp", RT_BOOL, local_resp),
    F("missed_bytes", RT_COUNT, missed_bytes),
    F("history", RT_STRING, history),
    F("orig_pkts", RT_COUNT, orig_pkts),
    F("orig_ip_bytes", RT_COUNT, orig_ip_bytes),
    F("resp_pkts", RT_COUNT, resp_pkts),
    F("resp_ip_bytes", RT_COUNT, resp_ip_bytes),
    F("tunnel_parents", RT_SET_STRING, tunnel_parents),
    F("ip_proto", RT_COUNT, ip_proto),
    F("community_id", RT_STRING, community_id),
    F("vlan", RT_INT, vlan),
    F("inner_vlan", RT_INT, inner_vlan),
};

const struct record_type conn_record_type = {
    .path = "conn",
    .fields = conn_fields,
    .n_fields = CONN_N_FIELDS,
    .size = sizeof(struct conn_record),
};

void conn_record_init(struct conn_record *r)
{
    memset(r, 0, sizeof(*r));
    r->hdr.type = &conn_record_type;
    for (size_t i = 0; i < CONN_N_FIELDS; i++)
        record_set_unset(&r->hdr, i, true);
}
