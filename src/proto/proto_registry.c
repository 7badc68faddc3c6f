/*
 * proto_registry.c - the table of application-layer parsers.
 *
 * A new protocol is one file in src/proto/ plus one line here.  Order is
 * detection priority when several probes say yes for the same bytes.
 */
#include <string.h>

#include "proto/http.h"
#include "proto/proto.h"

/* One extern line and one table line per parser. */
extern const struct proto_parser proto_dns_udp, proto_dns_tcp;
extern const struct proto_parser proto_dhcp;
extern const struct proto_parser proto_http;
extern const struct proto_parser proto_ssl;
extern const struct proto_parser proto_smtp;
extern const struct proto_parser proto_ssh;
extern const struct proto_parser proto_ftp, proto_ftp_data;
extern const struct proto_parser proto_socks;
extern const struct proto_parser proto_imap;
extern const struct proto_parser proto_pop3;
extern const struct proto_parser proto_smb;
extern const struct proto_parser proto_dce_rpc;

const struct proto_parser *const proto_parsers[] = {
    &proto_dns_udp, &proto_dns_tcp,
    &proto_dhcp,
    &proto_http,
    &proto_ssl,
    &proto_smtp,
    &proto_ssh,
    &proto_ftp, &proto_ftp_data,
    &proto_socks,
    &proto_imap,
    &proto_pop3,
    &proto_smb,
    &proto_dce_rpc,
    NULL,
};

const struct proto_parser *proto_find(const char *name, uint8_t ip_proto)
{
    for (size_t i = 0; proto_parsers[i]; i++)
        if (proto_parsers[i]->ip_proto == ip_proto && strcmp(proto_parsers[i]->name, name) == 0)
            return proto_parsers[i];
    return NULL;
}

void proto_thread_free(void)
{
    http_zmemo_thread_free();
}
