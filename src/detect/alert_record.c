/*
 * alert_record.c - the alert record type (alert_record.h): its field
 * table, read by every writer.  Suricata EVE names (docs/alerts.md);
 * alert.log in Zeek form when logs are written as Zeek TSV/JSON.
 */
#include <stddef.h>
#include <string.h>

#include "detect/alert_record.h"

#define F(name, type, member) {name, type, offsetof(struct alert_record, member)}

static const struct record_field alert_fields[AF_N] = {
    F("ts", RT_TIME, ts),
    F("uid", RT_STRING, uid),
    F("id.orig_h", RT_ADDR, orig_h),
    F("id.orig_p", RT_PORT, orig_p),
    F("id.resp_h", RT_ADDR, resp_h),
    F("id.resp_p", RT_PORT, resp_p),
    F("flow_id", RT_COUNT, flow_id),
    F("pcap_cnt", RT_COUNT, pcap_cnt),
    F("src_ip", RT_ADDR, src_ip),
    F("src_port", RT_PORT, src_port),
    F("dest_ip", RT_ADDR, dest_ip),
    F("dest_port", RT_PORT, dest_port),
    F("proto", RT_STRING, proto),
    F("app_proto", RT_STRING, app_proto),
    F("community_id", RT_STRING, community_id),
    F("alert.action", RT_STRING, action),
    F("alert.gid", RT_COUNT, gid),
    F("alert.signature_id", RT_COUNT, sid),
    F("alert.rev", RT_COUNT, rev),
    F("alert.signature", RT_STRING, signature),
    F("alert.category", RT_STRING, category),
    F("alert.severity", RT_COUNT, severity),
    F("alert.metadata", RT_VEC_STRING, metadata),
    F("http.hostname", RT_STRING, http_hostname),
    F("http.url", RT_STRING, http_url),
    F("http.http_user_agent", RT_STRING, http_user_agent),
    F("http.http_method", RT_STRING, http_method),
    F("http.protocol", RT_STRING, http_protocol),
    F("http.status", RT_COUNT, http_status),
    F("http.length", RT_COUNT, http_length),
    F("dns.rrname", RT_STRING, dns_rrname),
    F("tls.sni", RT_STRING, tls_sni),
    F("tls.ja3.hash", RT_STRING, tls_ja3),
    F("ssh.client.software_version", RT_STRING, ssh_client),
    F("ssh.server.software_version", RT_STRING, ssh_server),
    F("in_iface", RT_STRING, in_iface),
    F("payload", RT_STRING, payload),
    F("payload_printable", RT_STRING, payload_printable),
    F("stream", RT_COUNT, stream),
    F("packet", RT_STRING, packet),
    F("packet_info.linktype", RT_COUNT, packet_linktype),
};

const struct record_type alert_record_type = {
    .path = "alert",
    .fields = alert_fields,
    .n_fields = AF_N,
    .size = sizeof(struct alert_record),
};

void alert_record_init(struct alert_record *r)
{
    memset(r, 0, sizeof(*r));
    r->hdr.type = &alert_record_type;
    for (size_t i = AF_APP_PROTO; i < AF_N; i++)
        record_set_unset(&r->hdr, i, true);
    record_set_unset(&r->hdr, AF_PCAP_CNT, true);
}
