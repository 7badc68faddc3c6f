/*
 * stats_hosts.c - top talkers and top ports.
 *
 * Owns the host table and the port counters of struct stats.  The host
 * table maps an IP address (the innermost IP layer's source and
 * destination) to packets and wire bytes sent and received.  Its keys come
 * from traffic, so it is an open-addressing table (linear probing, power of
 * two size, load <= 1/2) indexed by SipHash-2-4 under a random 128-bit key
 * (Aumasson & Bernstein, "SipHash: a fast short-input PRF", 2012), which an
 * attacker cannot aim collisions at.  It holds at most cfg.max_hosts
 * addresses; traffic of addresses that arrive once it is full is counted
 * in shed.host_packets/host_bytes, never silently lost.
 *
 * Ports are counted per (tcp|udp, service port) in two fixed arrays of
 * 65536 counters, which bound themselves.
 */
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "stats/stats_int.h"

int stats_hosts_init(struct stats *st)
{
    if (st->cfg.seed[0] == 0 && st->cfg.seed[1] == 0)
        core_random_key(st->cfg.seed);
    st->cap_hosts = 1024;
    st->hosts = calloc(st->cap_hosts, sizeof(*st->hosts));
    st->ports[0] = calloc(65536, sizeof(struct stats_port_count));
    st->ports[1] = calloc(65536, sizeof(struct stats_port_count));
    if (!st->hosts || !st->ports[0] || !st->ports[1])
        return -1;
    return 0;
}

void stats_hosts_free(struct stats *st)
{
    free(st->hosts);
    free(st->ports[0]);
    free(st->ports[1]);
}

static size_t host_hash(const struct stats *st, uint8_t version, const uint8_t addr[16])
{
    uint8_t key[17];
    key[0] = version;
    memcpy(key + 1, addr, 16);
    return (size_t)core_siphash(st->cfg.seed, key, sizeof(key));
}

/* Double the table; 0, or -1 when out of memory (the table is unchanged). */
static int hosts_grow(struct stats *st)
{
    size_t cap = st->cap_hosts * 2;
    struct stats_host_slot *t = calloc(cap, sizeof(*t));
    if (!t)
        return -1;
    for (size_t i = 0; i < st->cap_hosts; i++) {
        if (!st->hosts[i].used)
            continue;
        size_t j = host_hash(st, st->hosts[i].h.version, st->hosts[i].h.addr) & (cap - 1);
        while (t[j].used)
            j = (j + 1) & (cap - 1);
        t[j] = st->hosts[i];
    }
    free(st->hosts);
    st->hosts = t;
    st->cap_hosts = cap;
    return 0;
}

/* The entry for the address, made when new; NULL when full (shed). */
static struct stats_host *hosts_lookup(struct stats *st, uint8_t version, const uint8_t addr[16])
{
    size_t mask = st->cap_hosts - 1;
    size_t i = host_hash(st, version, addr) & mask;
    while (st->hosts[i].used) {
        struct stats_host *h = &st->hosts[i].h;
        if (h->version == version && memcmp(h->addr, addr, 16) == 0)
            return h;
        i = (i + 1) & mask;
    }
    if (st->n_hosts >= st->cfg.max_hosts) {
        st->shed.hosts++;
        return NULL;
    }
    if ((st->n_hosts + 1) * 2 > st->cap_hosts) {
        if (hosts_grow(st) < 0) {
            st->shed.hosts++;
            return NULL;
        }
        return hosts_lookup(st, version, addr);
    }
    st->hosts[i].used = 1;
    struct stats_host *h = &st->hosts[i].h;
    memset(h, 0, sizeof(*h));
    h->version = version;
    memcpy(h->addr, addr, 16);
    st->n_hosts++;
    return h;
}

static void hosts_count(struct stats *st, const struct pkt_ip *ip, uint32_t wirelen)
{
    uint8_t version = ip->version == 6 ? 6 : 4;
    struct stats_host *h = hosts_lookup(st, version, ip->src);
    if (h) {
        h->tx_packets++;
        h->tx_bytes += wirelen;
    } else {
        st->shed.host_packets++;
        st->shed.host_bytes += wirelen;
    }
    h = hosts_lookup(st, version, ip->dst);
    if (h) {
        h->rx_packets++;
        h->rx_bytes += wirelen;
    } else {
        st->shed.host_packets++;
        st->shed.host_bytes += wirelen;
    }
}

void stats_hosts_add(struct stats *st, const struct packet *pkt)
{
    const struct pkt_ip *ip = packet_inner_const(pkt);
    if (!ip)
        return;
    hosts_count(st, ip, pkt->wirelen);
    if ((ip->proto != 6 && ip->proto != 17) || !ip->t.valid)
        return;
    uint16_t port = stats_service_port(ip->proto, ip->t.sport, ip->t.dport);
    struct stats_port_count *pc = &st->ports[ip->proto == 6 ? 0 : 1][port];
    pc->packets++;
    pc->bytes += pkt->wirelen;
}

size_t stats_host_count(const struct stats *st)
{
    return st->n_hosts;
}

static int host_addr_cmp(const struct stats_host *a, const struct stats_host *b)
{
    if (a->version != b->version)
        return a->version < b->version ? -1 : 1;
    return memcmp(a->addr, b->addr, 16);
}

static int u64_desc(uint64_t a, uint64_t b)
{
    return a > b ? -1 : a < b ? 1 : 0;
}

static int host_cmp_bytes(const void *pa, const void *pb)
{
    const struct stats_host *a = pa, *b = pb;
    int c = u64_desc(a->tx_bytes + a->rx_bytes, b->tx_bytes + b->rx_bytes);
    if (!c)
        c = u64_desc(a->tx_packets + a->rx_packets, b->tx_packets + b->rx_packets);
    return c ? c : host_addr_cmp(a, b);
}

static int host_cmp_packets(const void *pa, const void *pb)
{
    const struct stats_host *a = pa, *b = pb;
    int c = u64_desc(a->tx_packets + a->rx_packets, b->tx_packets + b->rx_packets);
    if (!c)
        c = u64_desc(a->tx_bytes + a->rx_bytes, b->tx_bytes + b->rx_bytes);
    return c ? c : host_addr_cmp(a, b);
}

int stats_top_hosts(const struct stats *st, enum stats_order by, struct stats_host *out, size_t n)
{
    if (st->n_hosts == 0 || n == 0)
        return 0;
    struct stats_host *all = malloc(st->n_hosts * sizeof(*all));
    if (!all)
        return -1;
    size_t k = 0;
    for (size_t i = 0; i < st->cap_hosts; i++)
        if (st->hosts[i].used)
            all[k++] = st->hosts[i].h;
    if (k > 0)
        qsort(all, k, sizeof(*all), by == STATS_BY_PACKETS ? host_cmp_packets : host_cmp_bytes);
    if (n > k)
        n = k;
    memcpy(out, all, n * sizeof(*out));
    free(all);
    return (int)n;
}

static int port_cmp_bytes(const void *pa, const void *pb)
{
    const struct stats_port *a = pa, *b = pb;
    int c = u64_desc(a->bytes, b->bytes);
    if (!c)
        c = u64_desc(a->packets, b->packets);
    if (!c)
        c = a->proto != b->proto ? (a->proto < b->proto ? -1 : 1) : (a->port > b->port) - (a->port < b->port);
    return c;
}

static int port_cmp_packets(const void *pa, const void *pb)
{
    const struct stats_port *a = pa, *b = pb;
    int c = u64_desc(a->packets, b->packets);
    if (!c)
        c = u64_desc(a->bytes, b->bytes);
    if (!c)
        c = a->proto != b->proto ? (a->proto < b->proto ? -1 : 1) : (a->port > b->port) - (a->port < b->port);
    return c;
}

int stats_top_ports(const struct stats *st, enum stats_order by, struct stats_port *out, size_t n)
{
    size_t used = 0;
    for (int p = 0; p < 2; p++)
        for (size_t i = 0; i < 65536; i++)
            used += st->ports[p][i].packets != 0;
    if (used == 0 || n == 0)
        return 0;
    struct stats_port *all = malloc(used * sizeof(*all));
    if (!all)
        return -1;
    size_t k = 0;
    for (int p = 0; p < 2; p++)
        for (size_t i = 0; i < 65536; i++)
            if (st->ports[p][i].packets)
                all[k++] = (struct stats_port){p == 0 ? 6 : 17, (uint16_t)i,
                                               st->ports[p][i].packets, st->ports[p][i].bytes};
    if (k > 0)
        qsort(all, k, sizeof(*all), by == STATS_BY_PACKETS ? port_cmp_packets : port_cmp_bytes);
    if (n > k)
        n = k;
    memcpy(out, all, n * sizeof(*out));
    free(all);
    return (int)n;
}
