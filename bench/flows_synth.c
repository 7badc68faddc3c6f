/*
 * flows_synth.c - a synthetic capture with many concurrent flows, for
 * measuring flow-table memory per flow and peak RSS (bench/README.md).
 *
 *   flows_synth [-p PAYLOAD] OUT.pcap [FLOWS [TCP_PERCENT]]
 *                                        (defaults 32, 1000000, 50)
 *
 * Every flow is opened in the first 10 s of capture time and gets its data in
 * the next 10 s; none is ever closed, so at the end of the capture all FLOWS
 * flows are alive at once and idle - the worst case for the flow table.  The
 * packets of one flow's handshake are 1 us apart (Zeek gives up on a lone SYN
 * after tcp_attempt_delay, 5 s), and the whole file spans 20 s, inside Zeek's
 * default inactivity timeouts (TCP 5 min, UDP 1 min):
 *
 *   phase         TCP flow (client -> server:5001)    UDP flow (-> server:5001)
 *   0  (0-10 s)   SYN, SYN-ACK, ACK                   request, response
 *   1 (10-20 s)   PAYLOAD bytes each way (PSH+ACK)     request, response
 *
 * (Zeek: TCP conn_state S1, history ShADd; UDP SF, Dd.)  With -p 0 phase 1
 * carries no payload (TCP: a bare ACK each way, UDP: empty datagrams): no
 * flow ever has payload, so nothing but the flow table holds state for it.  Flow i comes from
 * 10.0.0.0 + i/64 + 1 port 10000 + 7*(i%64) and goes to 172.16.(i%16).10, so
 * every 5-tuple is distinct; port 5001 (iperf) wakes no application analyzer.
 * Frames are Ethernet/IPv4 with correct IP, TCP and UDP checksums, in time
 * order; the file is a classic microsecond pcap (LINKTYPE_ETHERNET) of 4.5
 * packets per flow, 360 MB for a million flows (287 MB with -p 0).  Output is deterministic.
 *
 * Exit codes: 0 ok, 1 I/O error, 2 usage.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* payload bytes of each phase-1 packet (-p; 32 by default) */
static uint32_t payload = 32;
#define PHASE_US 10000000ull

/* what a packet is: its direction and, for TCP, its flags and numbers */
enum step { SYN, SYNACK, ACK, DATA_C, DATA_S, UDP_REQ, UDP_RESP };

#define T0 1700000000ull

struct flow_spec {
    uint32_t cli, srv;
    uint16_t cport, sport;
    int tcp;
};

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p + 2, (uint16_t)v);
}

static void le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        s += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (n & 1)
        s += (uint32_t)p[n - 1] << 8;
    return s;
}

static uint16_t fold(uint32_t s)
{
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

static struct flow_spec flow_of(uint64_t i, int tcp_percent)
{
    struct flow_spec f;
    f.cli = 0x0A000000u + (uint32_t)(i / 64) + 1;
    f.cport = (uint16_t)(10000 + 7 * (i % 64));
    f.srv = 0xAC10000Au | (uint32_t)(i % 16) << 8;
    f.tcp = (int)(i % 100) < tcp_percent;
    f.sport = 5001; /* iperf: no application-layer analyzer to wake */
    return f;
}

/* Builds the frame of step st of flow f into buf; returns its length. */
static size_t frame_build(uint8_t *buf, const struct flow_spec *f, enum step st)
{
    static const uint8_t mac_c[6] = {0x02, 0, 0, 0, 0, 0x01};
    static const uint8_t mac_s[6] = {0x02, 0, 0, 0, 0, 0x02};
    /* client ISN 1000, server ISN 5000 */
    static const uint32_t seq[] = {[SYN] = 1000, [SYNACK] = 5000, [ACK] = 1001, [DATA_C] = 1001,
                                   [DATA_S] = 5001};
    const uint32_t ack[] = {[SYN] = 0, [SYNACK] = 1001, [ACK] = 5001, [DATA_C] = 5001,
                            [DATA_S] = 1001 + payload};
    const uint8_t push = payload ? 0x08 : 0;
    const uint8_t flags[] = {[SYN] = 0x02, [SYNACK] = 0x12, [ACK] = 0x10, [DATA_C] = 0x10 | push,
                             [DATA_S] = 0x10 | push};
    int to_srv = st == SYN || st == ACK || st == DATA_C || st == UDP_REQ;
    uint32_t src = to_srv ? f->cli : f->srv, dst = to_srv ? f->srv : f->cli;
    uint16_t sp = to_srv ? f->cport : f->sport, dp = to_srv ? f->sport : f->cport;
    size_t l4hdr = f->tcp ? 20 : 8;
    size_t pay = (st == SYN || st == SYNACK || st == ACK) ? 0 : payload;
    size_t iplen = 20 + l4hdr + pay;
    uint8_t *ip = buf + 14, *l4 = ip + 20;

    memcpy(buf, to_srv ? mac_s : mac_c, 6);
    memcpy(buf + 6, to_srv ? mac_c : mac_s, 6);
    put16(buf + 12, 0x0800);

    memset(ip, 0, 20);
    ip[0] = 0x45;
    put16(ip + 2, (uint16_t)iplen);
    put16(ip + 4, (uint16_t)(st + 1));
    ip[6] = 0x40; /* DF */
    ip[8] = 64;
    ip[9] = f->tcp ? 6 : 17;
    put32(ip + 12, src);
    put32(ip + 16, dst);
    put16(ip + 10, fold(sum16(ip, 20, 0)));

    memset(l4, 0, l4hdr);
    put16(l4, sp);
    put16(l4 + 2, dp);
    for (size_t k = 0; k < pay; k++)
        l4[l4hdr + k] = (uint8_t)('a' + (k + (size_t)st) % 26);
    if (f->tcp) {
        put32(l4 + 4, seq[st]);
        put32(l4 + 8, ack[st]);
        l4[12] = 5 << 4;
        l4[13] = flags[st];
        put16(l4 + 14, 64240);
    } else {
        put16(l4 + 4, (uint16_t)(8 + pay));
    }
    uint8_t pseudo[12];
    put32(pseudo, src);
    put32(pseudo + 4, dst);
    pseudo[8] = 0;
    pseudo[9] = ip[9];
    put16(pseudo + 10, (uint16_t)(l4hdr + pay));
    uint16_t ck = fold(sum16(l4, l4hdr + pay, sum16(pseudo, 12, 0)));
    if (!f->tcp && ck == 0)
        ck = 0xffff;
    put16(l4 + (f->tcp ? 16 : 6), ck);
    return 14 + iplen;
}

static int parse_count(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

int main(int argc, char **argv)
{
    uint64_t flows = 1000000, tcp_percent = 50;
    uint64_t pay = 32;
    uint8_t hdr[24], rec[16], frame[14 + 20 + 20 + 1024];

    if (argc > 2 && strcmp(argv[1], "-p") == 0) {
        if (parse_count(argv[2], 0, 1024, &pay) < 0)
            argc = 0;
        argc -= 2;
        argv += 2;
    }
    if (argc < 2 || argc > 4 || argv[1][0] == '-' || (argc > 2 && parse_count(argv[2], 1, 3000000, &flows) < 0) ||
        (argc > 3 && parse_count(argv[3], 0, 100, &tcp_percent) < 0)) {
        fprintf(stderr, "usage: flows_synth [-p PAYLOAD (0..1024)] OUT.pcap [FLOWS (1..3000000) "
                        "[TCP_PERCENT]]\n");
        return 2;
    }
    payload = (uint32_t)pay;
    FILE *out = fopen(argv[1], "wb");
    if (!out) {
        fprintf(stderr, "flows_synth: %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    static char obuf[1 << 20];
    setvbuf(out, obuf, _IOFBF, sizeof(obuf));

    le32(hdr, 0xa1b2c3d4);
    hdr[4] = 2, hdr[5] = 0, hdr[6] = 4, hdr[7] = 0; /* version 2.4 */
    le32(hdr + 8, 0);
    le32(hdr + 12, 0);
    le32(hdr + 16, 65535);
    le32(hdr + 20, 1); /* LINKTYPE_ETHERNET */
    fwrite(hdr, 1, sizeof(hdr), out);

    static const enum step tcp_steps[2][3] = {{SYN, SYNACK, ACK}, {DATA_C, DATA_S}};
    static const enum step udp_steps[2][3] = {{UDP_REQ, UDP_RESP}, {UDP_REQ, UDP_RESP}};
    static const int tcp_n[2] = {3, 2}, udp_n[2] = {2, 2};
    uint64_t packets = 0;
    for (int ph = 0; ph < 2; ph++) {
        for (uint64_t i = 0; i < flows; i++) {
            struct flow_spec f = flow_of(i, (int)tcp_percent);
            /* a flow's packets 1 us apart, flows >= 3 us apart: time order */
            uint64_t t = T0 * 1000000ull + (uint64_t)ph * PHASE_US + i * PHASE_US / flows;
            int n = f.tcp ? tcp_n[ph] : udp_n[ph];
            for (int k = 0; k < n; k++, t++) {
                size_t len = frame_build(frame, &f, f.tcp ? tcp_steps[ph][k] : udp_steps[ph][k]);
                le32(rec, (uint32_t)(t / 1000000ull));
                le32(rec + 4, (uint32_t)(t % 1000000ull));
                le32(rec + 8, (uint32_t)len);
                le32(rec + 12, (uint32_t)len);
                fwrite(rec, 1, sizeof(rec), out);
                fwrite(frame, 1, len, out);
                packets++;
            }
        }
    }
    if (fclose(out) != 0) {
        fprintf(stderr, "flows_synth: %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    printf("flows %llu (tcp %llu%%) packets %llu payload %u\n", (unsigned long long)flows,
           (unsigned long long)tcp_percent, (unsigned long long)packets, payload);
    return 0;
}
