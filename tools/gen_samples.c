/*
 * gen_samples.c - writes Vigil's own sample captures (no third-party data).
 *
 * `make demo` and parts of the test suite run on captures that the project
 * makes itself, so their ground truth is known exactly.  This program
 * builds them packet by packet: Ethernet/802.1Q, IPv4 (with a fragmented
 * datagram), IPv6, ARP, ICMP echo, DNS over UDP, TCP conversations with a
 * real handshake, data both ways, ACKs and FIN/RST teardown (an HTTP
 * request/response, an SMTP dialogue, an SSH banner exchange), a refused
 * connection and a small SYN scan.  Checksums are correct (RFC 791/793/768
 * and the IPv6 pseudo-header of RFC 8200).  Times start at 2026-11-02
 * 09:00:00 UTC and only move forward; the output is byte-identical on
 * every run.
 *
 * Usage: gen_samples DIR   writes DIR/office.pcap and DIR/office.facts
 * (the facts file lists what the capture holds, one "key value" a line,
 * for tests to compare against).
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAXFRAME 2048

struct gen {
    pcap_dumper_t *dump;
    int64_t t_us;       /* current capture time, microseconds */
    uint16_t ip_id;
    unsigned long frames, bytes, tcp, udp, icmp, arp, ip6, vlan, frags, tcp_conns;
};

struct host {
    uint8_t mac[6];
    uint8_t ip4[4];
    uint8_t ip6[16];
};

static const struct host client = {{0x02, 0x00, 0x5e, 0x10, 0x00, 0x21},
                                   {192, 168, 56, 21},
                                   {0xfd, 0x56, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x21}};
static const struct host server = {{0x02, 0x00, 0x5e, 0x20, 0x00, 0x80},
                                   {203, 0, 113, 80},
                                   {0xfd, 0x56, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0x80}};
static const struct host resolver = {{0x02, 0x00, 0x5e, 0x20, 0x00, 0x53},
                                     {192, 168, 56, 53},
                                     {0xfd, 0x56, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53}};
static const struct host scanner = {{0x02, 0x00, 0x5e, 0x66, 0x00, 0x66},
                                    {198, 51, 100, 66},
                                    {0}};

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        s += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (n & 1)
        s += (uint32_t)(p[n - 1] << 8);
    return s;
}

static uint16_t fold(uint32_t s)
{
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

static void emit(struct gen *g, const uint8_t *frame, size_t len, int64_t advance_us)
{
    struct pcap_pkthdr h;
    g->t_us += advance_us;
    h.ts.tv_sec = (time_t)(g->t_us / 1000000);
    h.ts.tv_usec = (suseconds_t)(g->t_us % 1000000);
    h.caplen = h.len = (bpf_u_int32)len;
    pcap_dump((u_char *)g->dump, &h, frame);
    g->frames++;
    g->bytes += len;
}

/* Ethernet header (with an optional 802.1Q tag); returns its length. */
static size_t eth(uint8_t *f, const uint8_t *src, const uint8_t *dst, uint16_t type, int vlan)
{
    memcpy(f, dst, 6);
    memcpy(f + 6, src, 6);
    if (vlan > 0) {
        put16(f + 12, 0x8100);
        put16(f + 14, (uint16_t)vlan);
        put16(f + 16, type);
        return 18;
    }
    put16(f + 12, type);
    return 14;
}

/* IPv4 header at f; returns 20.  frag = offset in 8-byte units | MF bit (0x2000). */
static size_t ip4(struct gen *g, uint8_t *f, const uint8_t *src, const uint8_t *dst, uint8_t proto,
                  size_t payload, uint16_t frag)
{
    memset(f, 0, 20);
    f[0] = 0x45;
    put16(f + 2, (uint16_t)(20 + payload));
    put16(f + 4, g->ip_id);
    put16(f + 6, frag ? frag : 0x4000); /* DF unless fragmenting */
    f[8] = 64;
    f[9] = proto;
    memcpy(f + 12, src, 4);
    memcpy(f + 16, dst, 4);
    put16(f + 10, fold(sum16(f, 20, 0)));
    return 20;
}

static size_t ip6(uint8_t *f, const uint8_t *src, const uint8_t *dst, uint8_t proto, size_t payload)
{
    memset(f, 0, 40);
    f[0] = 0x60;
    put16(f + 4, (uint16_t)payload);
    f[6] = proto;
    f[7] = 64;
    memcpy(f + 8, src, 16);
    memcpy(f + 24, dst, 16);
    return 40;
}

/* Transport checksum over the pseudo-header of the IP header at iph. */
static uint16_t l4sum(const uint8_t *iph, int v6, uint8_t proto, const uint8_t *l4, size_t len)
{
    uint32_t s = 0;
    if (v6) {
        s = sum16(iph + 8, 32, 0);
    } else {
        s = sum16(iph + 12, 8, 0);
    }
    s += proto;
    s += (uint32_t)len;
    s = sum16(l4, len, s);
    return fold(s);
}

struct ep {
    const struct host *h;
    uint16_t port;
    uint32_t seq; /* next sequence number this side sends */
};

struct tcpconn {
    struct ep a, b; /* a = client */
    int v6, vlan;
};

/* One TCP segment from `from` to `to` with flags and payload. */
static void tcp_seg(struct gen *g, struct tcpconn *c, int from_a, uint8_t flags, const void *data,
                    size_t n, int64_t adv)
{
    uint8_t f[MAXFRAME];
    struct ep *s = from_a ? &c->a : &c->b, *d = from_a ? &c->b : &c->a;
    size_t off = eth(f, s->h->mac, d->h->mac, c->v6 ? 0x86dd : 0x0800, c->vlan);
    size_t iph = off;
    size_t hl = (flags & 0x02) ? 24 : 20; /* SYNs carry an MSS option */
    off += c->v6 ? ip6(f + off, s->h->ip6, d->h->ip6, 6, hl + n)
                 : ip4(g, f + off, s->h->ip4, d->h->ip4, 6, hl + n, 0);
    uint8_t *t = f + off;
    memset(t, 0, hl);
    put16(t, s->port);
    put16(t + 2, d->port);
    put32(t + 4, s->seq);
    put32(t + 8, (flags & 0x10) ? d->seq : 0);
    t[12] = (uint8_t)((hl / 4) << 4);
    t[13] = flags;
    put16(t + 14, 64240);
    if (hl == 24) {
        t[20] = 2; /* MSS 1460 */
        t[21] = 4;
        put16(t + 22, 1460);
    }
    memcpy(t + hl, data, n);
    put16(t + 16, l4sum(f + iph, c->v6, 6, t, hl + n));
    emit(g, f, off + hl + n, adv);
    s->seq += (uint32_t)n + ((flags & 0x03) ? 1 : 0);
    g->tcp++;
    g->ip_id++;
    if (c->v6)
        g->ip6++;
    if (c->vlan)
        g->vlan++;
}

static void tcp_open(struct gen *g, struct tcpconn *c)
{
    tcp_seg(g, c, 1, 0x02, "", 0, 150000);
    tcp_seg(g, c, 0, 0x12, "", 0, 21000);
    tcp_seg(g, c, 1, 0x10, "", 0, 300);
    g->tcp_conns++;
}

static void tcp_send(struct gen *g, struct tcpconn *c, int from_a, const char *text)
{
    size_t n = strlen(text);
    while (n) {
        size_t k = n > 1400 ? 1400 : n;
        tcp_seg(g, c, from_a, 0x18, text, k, 2000);
        tcp_seg(g, c, !from_a, 0x10, "", 0, 400);
        text += k;
        n -= k;
    }
}

static void tcp_close(struct gen *g, struct tcpconn *c)
{
    tcp_seg(g, c, 1, 0x11, "", 0, 5000);
    tcp_seg(g, c, 0, 0x11, "", 0, 20000);
    tcp_seg(g, c, 1, 0x10, "", 0, 300);
}

static void udp_pkt(struct gen *g, const struct host *s, uint16_t sp, const struct host *d,
                    uint16_t dp, const uint8_t *data, size_t n, int v6, int64_t adv)
{
    uint8_t f[MAXFRAME];
    size_t off = eth(f, s->mac, d->mac, v6 ? 0x86dd : 0x0800, 0);
    size_t iph = off;
    off += v6 ? ip6(f + off, s->ip6, d->ip6, 17, 8 + n) : ip4(g, f + off, s->ip4, d->ip4, 17, 8 + n, 0);
    uint8_t *u = f + off;
    put16(u, sp);
    put16(u + 2, dp);
    put16(u + 4, (uint16_t)(8 + n));
    put16(u + 6, 0);
    memcpy(u + 8, data, n);
    uint16_t ck = l4sum(f + iph, v6, 17, u, 8 + n);
    put16(u + 6, ck ? ck : 0xffff);
    emit(g, f, off + 8 + n, adv);
    g->udp++;
    g->ip_id++;
    if (v6)
        g->ip6++;
}

/* A DNS query for name (type A=1 or AAAA=28) and its answer. */
static void dns_exchange(struct gen *g, const char *name, uint16_t qtype, uint16_t id,
                         uint16_t sport, int v6)
{
    uint8_t q[512], r[512];
    size_t n = 12;
    memset(q, 0, sizeof(q));
    put16(q, id);
    put16(q + 2, 0x0100); /* RD */
    put16(q + 4, 1);
    for (const char *p = name; *p;) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        q[n++] = (uint8_t)len;
        memcpy(q + n, p, len);
        n += len;
        p += len + (dot ? 1 : 0);
    }
    q[n++] = 0;
    put16(q + n, qtype);
    put16(q + n + 2, 1);
    n += 4;
    udp_pkt(g, &client, sport, &resolver, 53, q, n, v6, 80000);
    memcpy(r, q, n);
    put16(r + 2, 0x8180); /* response, RD RA */
    put16(r + 6, 1);
    size_t m = n;
    put16(r + m, 0xc00c); /* name: pointer to the question */
    put16(r + m + 2, qtype);
    put16(r + m + 4, 1);
    put32(r + m + 6, 300);
    if (qtype == 28) {
        put16(r + m + 10, 16);
        memcpy(r + m + 12, server.ip6, 16);
        m += 28;
    } else {
        put16(r + m + 10, 4);
        memcpy(r + m + 12, server.ip4, 4);
        m += 16;
    }
    udp_pkt(g, &resolver, 53, &client, sport, r, m, v6, 12000);
}

static void arp_exchange(struct gen *g)
{
    uint8_t f[64];
    static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    memset(f, 0, sizeof(f));
    size_t off = eth(f, client.mac, bcast, 0x0806, 0);
    uint8_t *a = f + off;
    put16(a, 1);
    put16(a + 2, 0x0800);
    a[4] = 6;
    a[5] = 4;
    put16(a + 6, 1);
    memcpy(a + 8, client.mac, 6);
    memcpy(a + 14, client.ip4, 4);
    memcpy(a + 24, resolver.ip4, 4);
    emit(g, f, 60, 1000);
    memcpy(f, client.mac, 6);
    memcpy(f + 6, resolver.mac, 6);
    put16(a + 6, 2);
    memcpy(a + 8, resolver.mac, 6);
    memcpy(a + 14, resolver.ip4, 4);
    memcpy(a + 18, client.mac, 6);
    memcpy(a + 24, client.ip4, 4);
    emit(g, f, 60, 300);
    g->arp += 2;
}

static void icmp_echo(struct gen *g, uint16_t id, uint16_t seq, int reply)
{
    uint8_t f[128];
    const struct host *s = reply ? &server : &client, *d = reply ? &client : &server;
    size_t off = eth(f, s->mac, d->mac, 0x0800, 0);
    off += ip4(g, f + off, s->ip4, d->ip4, 1, 8 + 32, 0);
    uint8_t *ic = f + off;
    ic[0] = reply ? 0 : 8;
    ic[1] = 0;
    put16(ic + 2, 0);
    put16(ic + 4, id);
    put16(ic + 6, seq);
    for (int i = 0; i < 32; i++)
        ic[8 + i] = (uint8_t)('a' + i % 23);
    put16(ic + 2, fold(sum16(ic, 40, 0)));
    emit(g, f, off + 40, reply ? 11000 : 990000);
    g->icmp++;
    g->ip_id++;
}

/* A 3000-byte UDP datagram (syslog-like) sent as three IPv4 fragments. */
static void udp_fragmented(struct gen *g)
{
    uint8_t dgram[3008], f[MAXFRAME];
    put16(dgram, 5140);
    put16(dgram + 2, 514);
    put16(dgram + 4, sizeof(dgram));
    put16(dgram + 6, 0);
    for (size_t i = 8; i < sizeof(dgram); i++)
        dgram[i] = (uint8_t)('A' + i % 26);
    uint8_t ph[20];
    ip4(g, ph, client.ip4, resolver.ip4, 17, sizeof(dgram), 0);
    put16(dgram + 6, l4sum(ph, 0, 17, dgram, sizeof(dgram)));
    size_t chunk = 1480;
    for (size_t off = 0; off < sizeof(dgram); off += chunk) {
        size_t n = sizeof(dgram) - off < chunk ? sizeof(dgram) - off : chunk;
        uint16_t fo = (uint16_t)(off / 8) | (off + n < sizeof(dgram) ? 0x2000 : 0);
        size_t e = eth(f, client.mac, resolver.mac, 0x0800, 0);
        size_t h = ip4(g, f + e, client.ip4, resolver.ip4, 17, n, fo);
        memcpy(f + e + h, dgram + off, n);
        emit(g, f, e + h + n, 200);
        g->frags++;
    }
    g->udp++; /* one UDP datagram */
    g->ip_id++;
}

static void http_session(struct gen *g, int v6, int vlan, uint16_t sport)
{
    struct tcpconn c = {{&client, sport, 0x1a2b3c4d + sport}, {&server, 80, 0x5e6f7081}, v6, vlan};
    static char body[2600];
    if (!body[0]) {
        size_t n = 0;
        n += (size_t)snprintf(body, sizeof(body), "<html><head><title>Vigil sample</title></head><body>\n");
        while (n < 2400)
            n += (size_t)snprintf(body + n, sizeof(body) - n, "<p>network security monitoring</p>\n");
        snprintf(body + n, sizeof(body) - n, "</body></html>\n");
    }
    char req[256], resp[3000];
    snprintf(req, sizeof(req),
             "GET /index.html HTTP/1.1\r\nHost: www.example.test\r\nUser-Agent: vigil-sample/1.0\r\n"
             "Accept: */*\r\n\r\n");
    snprintf(resp, sizeof(resp),
             "HTTP/1.1 200 OK\r\nServer: sample\r\nContent-Type: text/html\r\nContent-Length: %zu\r\n\r\n%s",
             strlen(body), body);
    tcp_open(g, &c);
    tcp_send(g, &c, 1, req);
    tcp_send(g, &c, 0, resp);
    tcp_close(g, &c);
}

static void smtp_session(struct gen *g)
{
    struct tcpconn c = {{&client, 49731, 0x11111111}, {&server, 25, 0x22222222}, 0, 0};
    static const char *dialogue[][2] = {
        {"", "220 mail.example.test ESMTP ready\r\n"},
        {"EHLO ws21.example.test\r\n", "250-mail.example.test\r\n250 8BITMIME\r\n"},
        {"MAIL FROM:<alice@example.test>\r\n", "250 OK\r\n"},
        {"RCPT TO:<bob@example.test>\r\n", "250 OK\r\n"},
        {"DATA\r\n", "354 End data with <CR><LF>.<CR><LF>\r\n"},
        {"From: alice@example.test\r\nTo: bob@example.test\r\nSubject: sensor report\r\n\r\n"
         "The sensor is up.\r\n.\r\n",
         "250 OK queued\r\n"},
        {"QUIT\r\n", "221 bye\r\n"},
    };
    tcp_open(g, &c);
    for (size_t i = 0; i < sizeof(dialogue) / sizeof(dialogue[0]); i++) {
        if (dialogue[i][0][0])
            tcp_send(g, &c, 1, dialogue[i][0]);
        tcp_send(g, &c, 0, dialogue[i][1]);
    }
    tcp_close(g, &c);
}

static void ssh_banner(struct gen *g)
{
    struct tcpconn c = {{&client, 50122, 0x33333333}, {&server, 22, 0x44444444}, 0, 0};
    tcp_open(g, &c);
    tcp_send(g, &c, 0, "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n");
    tcp_send(g, &c, 1, "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n");
    /* client gives up: RST */
    tcp_seg(g, &c, 1, 0x14, "", 0, 30000);
}

static void refused_and_scan(struct gen *g)
{
    struct tcpconn r = {{&client, 50200, 0x55555555}, {&server, 3389, 0x66666666}, 0, 0};
    tcp_seg(g, &r, 1, 0x02, "", 0, 200000);
    tcp_seg(g, &r, 0, 0x14, "", 0, 900);
    g->tcp_conns++;
    static const uint16_t ports[] = {21, 23, 25, 80, 110, 135, 139, 143, 443, 445, 3306, 8080};
    for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
        struct tcpconn s = {{&scanner, 61000, 0x77770000u + (uint32_t)i}, {&server, ports[i], 0x88880000u}, 0, 0};
        tcp_seg(g, &s, 1, 0x02, "", 0, 700);
        if (ports[i] == 25 || ports[i] == 80 || ports[i] == 443) {
            tcp_seg(g, &s, 0, 0x12, "", 0, 400);
            tcp_seg(g, &s, 1, 0x04, "", 0, 100);
        } else {
            tcp_seg(g, &s, 0, 0x14, "", 0, 400);
        }
        g->tcp_conns++;
    }
}

static int write_office(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/office.pcap", dir);
    pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
    struct gen g;
    memset(&g, 0, sizeof(g));
    g.t_us = (int64_t)1793610000 * 1000000; /* 2026-11-02 09:00:00 UTC */
    g.ip_id = 0x1000;
    g.dump = pcap_dump_open(dead, path);
    if (!g.dump) {
        fprintf(stderr, "gen_samples: cannot write %s: %s\n", path, pcap_geterr(dead));
        pcap_close(dead);
        return -1;
    }
    arp_exchange(&g);
    dns_exchange(&g, "www.example.test", 1, 0x1c2d, 53001, 0);
    dns_exchange(&g, "www.example.test", 28, 0x1c2e, 53002, 0);
    http_session(&g, 0, 0, 49712);
    for (uint16_t s = 1; s <= 3; s++) {
        icmp_echo(&g, 0x0b0b, s, 0);
        icmp_echo(&g, 0x0b0b, s, 1);
    }
    smtp_session(&g);
    http_session(&g, 1, 0, 49800); /* over IPv6 */
    http_session(&g, 0, 42, 49900); /* on VLAN 42 */
    ssh_banner(&g);
    udp_fragmented(&g);
    dns_exchange(&g, "mail.example.test", 1, 0x1c2f, 53003, 1);
    refused_and_scan(&g);
    pcap_dump_close(g.dump);
    pcap_close(dead);

    snprintf(path, sizeof(path), "%s/office.facts", dir);
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "gen_samples: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    fprintf(f, "frames %lu\nbytes %lu\ntcp_segments %lu\nudp_datagrams %lu\nicmp %lu\narp %lu\n"
               "ipv6 %lu\nvlan %lu\nip_fragments %lu\ntcp_connections %lu\n",
            g.frames, g.bytes, g.tcp, g.udp, g.icmp, g.arp, g.ip6, g.vlan, g.frags, g.tcp_conns);
    fclose(f);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: gen_samples DIR\n");
        return 2;
    }
    if (mkdir(argv[1], 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "gen_samples: cannot create %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    return write_office(argv[1]) == 0 ? 0 : 1;
}
