/*
 * stats_phs.c - the protocol hierarchy: frames and wire bytes per protocol
 * path, the numbers `tshark -q -z io,phs` prints.
 *
 * Owns the hierarchy tree of struct stats (an array of nodes linked by
 * index, capped at cfg.max_nodes) and the port -> service table.  A
 * packet's path is read from the fields the decoder filled in struct
 * packet: the link layer (by DLT), each 802.1Q tag, MPLS label and PPPoE
 * session, then ARP, a non-IP ethertype, or each IP layer with the tunnel
 * that carries the next one (GRE, UDP > VXLAN > eth, UDP > Geneve, ...),
 * then the innermost transport protocol.  Vigil has no dissector behind
 * most ports, so an application name is a guess from the well-known port
 * (IANA service names) and is labelled so: "dns (port)".  It is only given
 * to segments that carry payload, as tshark only dissects an application
 * when there are bytes for it.  Node names follow tshark's filter names
 * (eth, vlan, ip, ipv6, tcp, udp, icmp, icmpv6, arp, gre, vxlan).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats/stats_int.h"

#define STATS_PATH_MAX 48

struct stats_path {
    int n;
    char name[STATS_PATH_MAX][STATS_NAME_MAX];
};

static void path_push(struct stats_path *p, const char *name)
{
    if (p->n < STATS_PATH_MAX)
        snprintf(p->name[p->n++], STATS_NAME_MAX, "%s", name);
}

struct port_service {
    uint16_t port;
    uint8_t tcp, udp; /* is the name registered for the protocol */
    const char *name;
};

/* IANA service names (service-names-port-numbers registry), short forms. */
static const struct port_service port_services[] = {
    {20, 1, 0, "ftp-data"}, {21, 1, 0, "ftp"},       {22, 1, 0, "ssh"},
    {23, 1, 0, "telnet"},   {25, 1, 0, "smtp"},      {53, 1, 1, "dns"},
    {67, 0, 1, "dhcp"},     {68, 0, 1, "dhcp"},      {69, 0, 1, "tftp"},
    {80, 1, 0, "http"},     {88, 1, 1, "kerberos"},  {110, 1, 0, "pop3"},
    {111, 1, 1, "sunrpc"},  {119, 1, 0, "nntp"},     {123, 0, 1, "ntp"},
    {135, 1, 0, "msrpc"},   {137, 0, 1, "nbns"},     {138, 0, 1, "nbdgm"},
    {139, 1, 0, "nbss"},    {143, 1, 0, "imap"},     {161, 0, 1, "snmp"},
    {162, 0, 1, "snmptrap"}, {179, 1, 0, "bgp"},     {389, 1, 1, "ldap"},
    {443, 1, 1, "tls"},     {445, 1, 0, "smb"},      {465, 1, 0, "smtps"},
    {500, 0, 1, "isakmp"},  {514, 0, 1, "syslog"},   {520, 0, 1, "rip"},
    {546, 0, 1, "dhcpv6"},  {547, 0, 1, "dhcpv6"},   {587, 1, 0, "submission"},
    {636, 1, 0, "ldaps"},   {853, 1, 1, "dot"},      {873, 1, 0, "rsync"},
    {989, 1, 0, "ftps-data"}, {990, 1, 0, "ftps"},   {993, 1, 0, "imaps"},
    {995, 1, 0, "pop3s"},   {1080, 1, 0, "socks"},   {1194, 1, 1, "openvpn"},
    {1433, 1, 0, "mssql"},  {1723, 1, 0, "pptp"},    {1812, 0, 1, "radius"},
    {1813, 0, 1, "radius-acct"}, {1900, 0, 1, "ssdp"}, {2049, 1, 1, "nfs"},
    {3306, 1, 0, "mysql"},  {3389, 1, 0, "rdp"},     {3478, 1, 1, "stun"},
    {4500, 0, 1, "ipsec-nat-t"}, {5060, 1, 1, "sip"}, {5353, 0, 1, "mdns"},
    {5355, 0, 1, "llmnr"},  {5432, 1, 0, "postgresql"}, {5900, 1, 0, "vnc"},
    {6379, 1, 0, "redis"},  {6667, 1, 0, "irc"},     {8080, 1, 0, "http-alt"},
    {8443, 1, 0, "https-alt"},
};

const char *stats_port_service(uint8_t proto, uint16_t port)
{
    size_t lo = 0, hi = sizeof(port_services) / sizeof(port_services[0]);
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (port_services[mid].port < port) {
            lo = mid + 1;
        } else if (port_services[mid].port > port) {
            hi = mid;
        } else {
            const struct port_service *ps = &port_services[mid];
            if ((proto == 6 && ps->tcp) || (proto == 17 && ps->udp))
                return ps->name;
            return NULL;
        }
    }
    return NULL;
}

uint16_t stats_service_port(uint8_t proto, uint16_t sport, uint16_t dport)
{
    int sk = stats_port_service(proto, sport) != NULL;
    int dk = stats_port_service(proto, dport) != NULL;
    if (dk && !sk)
        return dport;
    if (sk && !dk)
        return sport;
    return sport < dport ? sport : dport;
}

static const char *link_name(int dlt, char *buf, size_t len)
{
    switch (dlt) {
    case 0: /* DLT_NULL */
    case 108: /* DLT_LOOP */
        return "null";
    case 1:
        return "eth";
    case 9:
        return "ppp";
    case 12: /* DLT_RAW on most systems */
    case 14:
    case 101: /* LINKTYPE_RAW */
        return "raw";
    case 105:
        return "wlan";
    case 113:
        return "sll";
    case 127:
        return "radiotap";
    case 228: /* LINKTYPE_IPV4 */
        return "ipv4";
    case 229: /* LINKTYPE_IPV6 */
        return "ipv6";
    case 276:
        return "sll2";
    default:
        snprintf(buf, len, "dlt-%d", dlt);
        return buf;
    }
}

static const char *ethertype_name(uint16_t et, char *buf, size_t len)
{
    switch (et) {
    case 0x0806: return "arp";
    case 0x8035: return "rarp";
    case 0x809b: return "appletalk";
    case 0x8137: return "ipx";
    case 0x8809: return "slow"; /* LACP, marker */
    case 0x8863: return "pppoed";
    case 0x888e: return "eapol";
    case 0x88a8: return "vlan";
    case 0x88cc: return "lldp";
    case 0x88e5: return "macsec";
    case 0x88f7: return "ptp";
    case 0x9000: return "loop";
    default:
        break;
    }
    if (et < 0x0600)
        return "llc"; /* 802.3 length field: an LLC frame (STP, CDP, ...) */
    snprintf(buf, len, "ethertype-0x%04x", et);
    return buf;
}

static const char *ipproto_name(uint8_t proto, char *buf, size_t len)
{
    switch (proto) {
    case 1: return "icmp";
    case 2: return "igmp";
    case 6: return "tcp";
    case 17: return "udp";
    case 41: return "ipv6";
    case 47: return "gre";
    case 50: return "esp";
    case 51: return "ah";
    case 58: return "icmpv6";
    case 59: return "ipv6-nonxt";
    case 89: return "ospf";
    case 103: return "pim";
    case 112: return "vrrp";
    case 132: return "sctp";
    default:
        snprintf(buf, len, "ipproto-%u", proto);
        return buf;
    }
}

/* The nodes between IP layer ip and the next one, by how it is carried. */
static void path_push_tunnel(struct stats_path *p, const struct pkt_ip *ip)
{
    if (ip->proto == 17)
        path_push(p, "udp");
    switch (ip->encap) {
    case PKT_ENCAP_GRE:
        path_push(p, "gre");
        break;
    case PKT_ENCAP_VXLAN:
        path_push(p, "vxlan");
        path_push(p, "eth"); /* VXLAN always carries an Ethernet frame */
        break;
    case PKT_ENCAP_GENEVE:
        path_push(p, "geneve");
        break;
    case PKT_ENCAP_TEREDO:
        path_push(p, "teredo");
        break;
    case PKT_ENCAP_AYIYA:
        path_push(p, "ayiya");
        break;
    case PKT_ENCAP_GTPU:
        path_push(p, "gtp");
        break;
    case PKT_ENCAP_IPIP:
    case PKT_ENCAP_NONE:
        break;
    }
}

/* Transport and, for TCP/UDP segments with payload, the port's service. */
static void path_push_transport(struct stats_path *p, const struct pkt_ip *ip)
{
    char buf[STATS_NAME_MAX];
    if (ip->is_fragment && ip->frag_offset > 0 && !ip->reassembled)
        return; /* a later fragment: no transport header in it */
    path_push(p, ipproto_name(ip->proto, buf, sizeof(buf)));
    if ((ip->proto != 6 && ip->proto != 17) || !ip->t.valid)
        return;
    if (ip->t.payload_wire_len == 0 && ip->t.payload_len == 0)
        return;
    uint16_t port = stats_service_port(ip->proto, ip->t.sport, ip->t.dport);
    const char *svc = stats_port_service(ip->proto, port);
    if (svc) {
        snprintf(buf, sizeof(buf), "%s (port)", svc);
        path_push(p, buf);
    }
}

static void path_build(const struct packet *pkt, struct stats_path *p)
{
    char buf[STATS_NAME_MAX];
    p->n = 0;
    path_push(p, link_name(pkt->linktype, buf, sizeof(buf)));
    for (int i = 0; i < pkt->link.n_vlan && i < PKT_MAX_VLAN; i++)
        path_push(p, "vlan");
    for (int i = 0; i < pkt->link.n_mpls && i < PKT_MAX_MPLS; i++)
        path_push(p, "mpls");
    if (pkt->link.pppoe) {
        path_push(p, "pppoes");
        path_push(p, "ppp");
    }
    if (pkt->flags & PKT_F_ARP) {
        path_push(p, "arp");
        return;
    }
    if (pkt->n_layers == 0) {
        if (pkt->flags & PKT_F_NON_IP)
            path_push(p, ethertype_name(pkt->link.ethertype, buf, sizeof(buf)));
        return;
    }
    int n = pkt->n_layers < PKT_MAX_LAYERS ? pkt->n_layers : PKT_MAX_LAYERS;
    for (int i = 0; i < n; i++) {
        const struct pkt_ip *ip = &pkt->layer[i];
        path_push(p, ip->version == 6 ? "ipv6" : "ip");
        if (i + 1 < n)
            path_push_tunnel(p, ip);
        else
            path_push_transport(p, ip);
    }
}

int stats_phs_init(struct stats *st)
{
    st->cap_nodes = 64;
    st->nodes = calloc(st->cap_nodes, sizeof(*st->nodes));
    if (!st->nodes)
        return -1;
    st->nodes[0].first_child = st->nodes[0].last_child = st->nodes[0].next_sibling = -1;
    st->n_nodes = 1;
    return 0;
}

/* The child of parent called name, made when new; -1 when the cap is hit. */
static int32_t phs_child(struct stats *st, int32_t parent, const char *name)
{
    for (int32_t c = st->nodes[parent].first_child; c >= 0; c = st->nodes[c].next_sibling)
        if (strcmp(st->nodes[c].name, name) == 0)
            return c;
    if (st->n_nodes >= st->cfg.max_nodes + 1u)
        return -1;
    if (st->n_nodes == st->cap_nodes) {
        size_t cap = st->cap_nodes * 2;
        struct stats_node *n = realloc(st->nodes, cap * sizeof(*n));
        if (!n)
            return -1;
        st->nodes = n;
        st->cap_nodes = cap;
    }
    int32_t c = (int32_t)st->n_nodes++;
    struct stats_node *node = &st->nodes[c];
    memset(node, 0, sizeof(*node));
    snprintf(node->name, sizeof(node->name), "%s", name);
    node->first_child = node->last_child = node->next_sibling = -1;
    if (st->nodes[parent].last_child >= 0)
        st->nodes[st->nodes[parent].last_child].next_sibling = c;
    else
        st->nodes[parent].first_child = c;
    st->nodes[parent].last_child = c;
    return c;
}

void stats_phs_add(struct stats *st, const struct packet *pkt)
{
    struct stats_path path;
    path_build(pkt, &path);
    int32_t at = 0;
    for (int i = 0; i < path.n; i++) {
        int32_t c = phs_child(st, at, path.name[i]);
        if (c < 0) {
            st->shed.phs_frames++;
            return;
        }
        st->nodes[c].frames++;
        st->nodes[c].bytes += pkt->wirelen;
        at = c;
    }
}

static int phs_walk_node(const struct stats *st, int32_t node, int depth,
                         int (*fn)(const struct stats_phs_entry *e, void *arg), void *arg)
{
    for (int32_t c = st->nodes[node].first_child; c >= 0; c = st->nodes[c].next_sibling) {
        struct stats_phs_entry e = {st->nodes[c].name, depth, st->nodes[c].frames,
                                    st->nodes[c].bytes};
        int rc = fn(&e, arg);
        if (rc)
            return rc;
        rc = phs_walk_node(st, c, depth + 1, fn, arg);
        if (rc)
            return rc;
    }
    return 0;
}

int stats_phs_walk(const struct stats *st, int (*fn)(const struct stats_phs_entry *e, void *arg),
                   void *arg)
{
    return phs_walk_node(st, 0, 0, fn, arg);
}
