/*
 * cmd_read.c - `vigil read`: print packets from captures or an interface,
 * with tcpdump's habits (docs/read.md).
 *
 * Owns: the command line (tcpdump's flags: -r -i -B -s -c -n -t.. -e -x -X
 * -v -w -q, a trailing BPF expression), the output stream, and the one-line
 * rendering of a decoded packet.  It opens a capture source (src/capture),
 * decodes each frame with reassembly off (src/decode: tcpdump prints
 * fragments one by one) and prints it the way tcpdump 4.99 does: time,
 * "IP"/"IP6", addresses and ports, the transport summary; tunnels are
 * printed outer first, then ": " and the inner packet, as tcpdump does.
 * TCP sequence numbers are relative to the conversation's first ones, as
 * tcpdump prints them (read_seq.c); -S prints them absolute.  With -w nothing is
 * decoded or formatted: the BPF filter already chose the packets, and they
 * go straight to pcap_dump().
 *
 * Exit codes are cli.h's: 0 ok, 1 error, 2 usage, 3 some input damaged.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <pcap/pcap.h>

#include "capture/capture.h"
#include "cli/cli.h"
#include "cli/read_seq.h"
#include "core/cursor.h"
#include "core/progress.h"
#include "decode/decode.h"

#define READ_MAX_INPUTS 256
#define READ_OUTBUF (1u << 20)

struct read_opts {
    const char *inputs[READ_MAX_INPUTS];
    int ninputs;
    const char *iface;
    int buffer_mb, snaplen;
    long long count; /* -c, 0 = all */
    int tstamp;      /* number of -t */
    int link;        /* -e */
    int hex;         /* -x count; -X adds ascii */
    int ascii;
    int verbose;
    int quiet;
    int absolute;    /* -S */
    const char *wfile;
    char *bpf;
};

/* The per-run printing state. */
struct read_printer {
    const struct read_opts *o;
    FILE *out;
    int64_t first_sec, prev_sec;
    uint32_t first_nsec, prev_nsec;
    int have_first;
    int64_t cached_sec; /* the second whose local time is in cached_hms */
    char cached_hms[32];
    struct read_seq *seq; /* relative sequence numbers; NULL with -S */
};

static volatile sig_atomic_t read_stop;
static void *read_live_pcap;

static void read_on_signal(int sig)
{
    (void)sig;
    read_stop = 1;
    if (read_live_pcap)
        pcap_breakloop(read_live_pcap);
}

static void read_usage(FILE *f)
{
    fputs("usage: vigil read [-r FILE|DIR|GLOB]... [-i IFACE [-B MiB] [-s SNAPLEN]]\n"
          "                  [-c N] [-n] [-t|-tt|-ttt|-tttt|-ttttt] [-e] [-x|-xx|-X|-XX] [-v]\n"
          "                  [-S] [-w FILE|-] [-q] [BPF expression]\n\n"
          "Print packets the way tcpdump does, from pcap/pcapng files (several files,\n"
          "directories and glob patterns are merged in time order) or an interface.\n\n"
          "  -r PATH   read a file, a directory (recursively), a glob or - (standard\n"
          "            input); repeatable\n"
          "  -i IFACE  capture live from an interface\n"
          "  -B MIB    kernel capture buffer, MiB (default 64)\n"
          "  -s LEN    snapshot length (default 262144)\n"
          "  -c N      stop after N packets\n"
          "  -n        accepted for tcpdump habits: vigil never resolves names\n"
          "  -t        no time; -tt epoch seconds; -ttt delta since previous;\n"
          "            -tttt date and local time; -ttttt delta since first\n"
          "  -e        print the link-layer header (MACs, ethertype, VLAN tags)\n"
          "  -x, -X    hex (and ASCII) dump from the network header; -xx, -XX from the link header\n"
          "  -v        IP details: tos, ttl, id, offset, flags, proto, length\n"
          "  -S        absolute TCP sequence numbers (default: relative, as tcpdump)\n"
          "  -w FILE   write the selected packets to a pcap file ('-' = stdout); no printing\n"
          "  -q        quieter: shorter lines, no progress line\n\n"
          "exit codes: 0 ok, 1 error, 2 usage, 3 damaged input (docs/exit-codes.md)\n",
          f);
}

static int read_parse_int(const char *flag, const char *s, long long lo, long long hi,
                          long long *out)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    if (!*s || *end || v < lo || v > hi) {
        cli_error("read: %s wants a number from %lld to %lld, not '%s'", flag, lo, hi, s);
        return -1;
    }
    *out = v;
    return 0;
}

/* Parse argv into *o; 0 ok, otherwise an exit code. */
static int read_parse_args(int argc, char **argv, struct read_opts *o)
{
    int c;
    long long v;
    opterr = 0;
    optind = 1;
    while ((c = getopt(argc, argv, "r:i:B:s:c:w:ntexXvqSh")) != -1) {
        switch (c) {
        case 'r':
            if (o->ninputs == READ_MAX_INPUTS) {
                cli_error("read: more than %d -r arguments; name a directory or a glob instead",
                          READ_MAX_INPUTS);
                return VIGIL_EXIT_USAGE;
            }
            o->inputs[o->ninputs++] = optarg;
            break;
        case 'i': o->iface = optarg; break;
        case 'B':
            if (read_parse_int("-B", optarg, 1, 1 << 20, &v) < 0)
                return VIGIL_EXIT_USAGE;
            o->buffer_mb = (int)v;
            break;
        case 's':
            if (read_parse_int("-s", optarg, 0, 262144, &v) < 0)
                return VIGIL_EXIT_USAGE;
            o->snaplen = v ? (int)v : 262144;
            break;
        case 'c':
            if (read_parse_int("-c", optarg, 1, (long long)1 << 62, &v) < 0)
                return VIGIL_EXIT_USAGE;
            o->count = v;
            break;
        case 'w': o->wfile = optarg; break;
        case 'n': break;
        case 't': o->tstamp++; break;
        case 'e': o->link = 1; break;
        case 'x': o->hex++; break;
        case 'X': o->hex++; o->ascii = 1; break;
        case 'v': o->verbose++; break;
        case 'q': o->quiet = 1; break;
        case 'S': o->absolute = 1; break;
        case 'h': read_usage(stdout); return -1;
        default:
            if (optopt && strchr("riBscw", optopt))
                cli_error("read: -%c needs a value; 'vigil read --help' lists the flags", optopt);
            else
                cli_error("read: unknown flag '%s'; 'vigil read --help' lists the flags",
                          argv[optind - 1]);
            return VIGIL_EXIT_USAGE;
        }
    }
    if (o->tstamp > 5) {
        cli_error("read: at most five -t (-ttttt); got %d", o->tstamp);
        return VIGIL_EXIT_USAGE;
    }
    if (!o->ninputs == !o->iface) {
        cli_error("read: give -r FILE (files, directories, globs) or -i IFACE, not %s",
                  o->ninputs ? "both" : "neither");
        return VIGIL_EXIT_USAGE;
    }
    o->bpf = cli_join_args(argc, argv, optind);
    return 0;
}

/* ---------------------------------------------------------------- time */

static void read_print_hms(FILE *out, uint64_t secs, uint32_t usec)
{
    fprintf(out, "%02llu:%02llu:%02llu.%06u ", (unsigned long long)(secs / 3600),
            (unsigned long long)(secs / 60 % 60), (unsigned long long)(secs % 60), usec);
}

static void read_print_delta(FILE *out, int64_t s, uint32_t ns, int64_t s0, uint32_t ns0)
{
    int64_t d = (s - s0) * 1000000000LL + ((int64_t)ns - (int64_t)ns0);
    if (d < 0) {
        fputc('-', out);
        d = -d;
    } else {
        fputc(' ', out);
    }
    read_print_hms(out, (uint64_t)d / 1000000000u, (uint32_t)((uint64_t)d % 1000000000u / 1000u));
}

static void read_print_time(struct read_printer *pr, const struct packet *p)
{
    FILE *out = pr->out;
    uint32_t usec = p->ts_nsec / 1000u;
    switch (pr->o->tstamp) {
    case 1:
        return;
    case 2:
        fprintf(out, "%lld.%06u ", (long long)p->ts_sec, usec);
        return;
    case 3:
        read_print_delta(out, p->ts_sec, p->ts_nsec, pr->have_first ? pr->prev_sec : p->ts_sec,
                         pr->have_first ? pr->prev_nsec : p->ts_nsec);
        break;
    case 5:
        read_print_delta(out, p->ts_sec, p->ts_nsec, pr->have_first ? pr->first_sec : p->ts_sec,
                         pr->have_first ? pr->first_nsec : p->ts_nsec);
        break;
    default:
        if (p->ts_sec != pr->cached_sec || !pr->cached_hms[0]) {
            time_t t = (time_t)p->ts_sec;
            struct tm tm;
            if (!localtime_r(&t, &tm))
                memset(&tm, 0, sizeof(tm));
            strftime(pr->cached_hms, sizeof(pr->cached_hms),
                     pr->o->tstamp == 4 ? "%Y-%m-%d %H:%M:%S" : "%H:%M:%S", &tm);
            pr->cached_sec = p->ts_sec;
        }
        fprintf(out, "%s.%06u ", pr->cached_hms, usec);
        break;
    }
    if (!pr->have_first) {
        pr->first_sec = p->ts_sec;
        pr->first_nsec = p->ts_nsec;
        pr->have_first = 1;
    }
    pr->prev_sec = p->ts_sec;
    pr->prev_nsec = p->ts_nsec;
}

/* ------------------------------------------------------- link layer (-e) */

static void read_print_mac(FILE *out, const uint8_t *m)
{
    fprintf(out, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static const char *read_ethertype_name(uint16_t t)
{
    switch (t) {
    case 0x0800: return "IPv4";
    case 0x86dd: return "IPv6";
    case 0x0806: return "ARP";
    case 0x8100: return "802.1Q";
    case 0x88a8: return "802.1Q-QinQ";
    case 0x9100: return "802.1Q-9100";
    case 0x8847: return "MPLS unicast";
    case 0x8848: return "MPLS multicast";
    case 0x8863: return "PPPoE D";
    case 0x8864: return "PPPoE S";
    case 0x88cc: return "LLDP";
    case 0x8035: return "Reverse ARP";
    default: return "Unknown";
    }
}

/* Ethernet header and VLAN tags as tcpdump -e prints them, read from the frame. */
static void read_print_ether(FILE *out, const struct packet *p)
{
    struct cursor c;
    const uint8_t *dst, *src;
    uint16_t type;
    cursor_init(&c, p->data, p->caplen);
    if (cursor_ptr(&c, 6, &dst) < 0 || cursor_ptr(&c, 6, &src) < 0 || cursor_u16be(&c, &type) < 0) {
        fprintf(out, "[|ether] ");
        return;
    }
    read_print_mac(out, src);
    fputs(" > ", out);
    read_print_mac(out, dst);
    if (type <= 1500) {
        fprintf(out, ", 802.3, length %u: ", p->wirelen);
        return;
    }
    fprintf(out, ", ethertype %s (0x%04x), length %u: ", read_ethertype_name(type), type,
            p->wirelen);
    int tags = 0;
    while ((type == 0x8100 || type == 0x88a8 || type == 0x9100) && tags++ < 8) {
        uint16_t tci;
        if (cursor_u16be(&c, &tci) < 0 || cursor_u16be(&c, &type) < 0)
            return;
        fprintf(out, "vlan %u, p %u, %sethertype %s (0x%04x), ", tci & 0x0fffu, tci >> 13,
                (tci & 0x1000) ? "DEI, " : "", read_ethertype_name(type), type);
    }
}

static void read_print_link(FILE *out, const struct packet *p)
{
    switch (p->linktype) {
    case DLT_EN10MB:
        read_print_ether(out, p);
        break;
    case DLT_NULL:
    case DLT_LOOP:
        fprintf(out, "AF %s, length %u: ",
                p->n_layers && p->layer[0].version == 6 ? "IPv6" : "IPv4", p->wirelen);
        break;
    case DLT_LINUX_SLL:
    case DLT_LINUX_SLL2:
        if (p->link.has_mac) {
            read_print_mac(out, p->link.src_mac);
            fputc(' ', out);
        }
        fprintf(out, "ethertype %s (0x%04x), length %u: ", read_ethertype_name(p->link.ethertype),
                p->link.ethertype, p->wirelen);
        break;
    default:
        break;
    }
}

/* ------------------------------------------------------------ hex dumps */

static void read_print_hex(FILE *out, const uint8_t *d, uint32_t len, int ascii)
{
    for (uint32_t off = 0; off < len; off += 16) {
        uint32_t n = len - off < 16 ? len - off : 16;
        int col = 0;
        fprintf(out, "\n\t0x%04x: ", off);
        for (uint32_t i = 0; i < n; i += 2) {
            if (i + 1 < n)
                col += fprintf(out, " %02x%02x", d[off + i], d[off + i + 1]);
            else
                col += fprintf(out, " %02x", d[off + i]);
        }
        if (!ascii)
            continue;
        fprintf(out, "%*s  ", 40 - col, "");
        for (uint32_t i = 0; i < n; i++) {
            uint8_t ch = d[off + i];
            fputc(ch > 0x20 && ch < 0x7f ? ch : '.', out);
        }
    }
}

/* ---------------------------------------------------------- IP and up */

static void read_print_addr(FILE *out, const struct pkt_ip *ip, const uint8_t *a)
{
    char buf[INET6_ADDRSTRLEN];
    inet_ntop(ip->version == 6 ? AF_INET6 : AF_INET, a, buf, sizeof(buf));
    fputs(buf, out);
}

/* Ports straight from the transport header bytes, as tcpdump prints them
 * even when the rest of the header was cut off by the snaplen. */
static int read_ports(const struct pkt_ip *ip, uint16_t *sport, uint16_t *dport)
{
    struct cursor c;
    if (!ip->l4 || !(ip->proto == 6 || ip->proto == 17 || ip->proto == 132 || ip->proto == 33))
        return 0;
    cursor_init(&c, ip->l4, ip->l4_len);
    return cursor_u16be(&c, sport) == 0 && cursor_u16be(&c, dport) == 0;
}

static const char *read_proto_name(uint8_t proto)
{
    switch (proto) {
    case 1: return "ICMP";
    case 2: return "IGMP";
    case 4: return "IPIP";
    case 6: return "TCP";
    case 17: return "UDP";
    case 41: return "IPv6";
    case 47: return "GRE";
    case 50: return "ESP";
    case 51: return "AH";
    case 58: return "ICMPv6";
    case 132: return "SCTP";
    default: return "unknown";
    }
}

/* "(tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto TCP (6), length 60)" for -v. */
static void read_print_ip_verbose(FILE *out, const struct pkt_ip *ip)
{
    if (ip->version == 4)
        fprintf(out, "(tos 0x%x, ttl %u, id %u, offset %u, flags [%s], proto %s (%u), length %u)\n    ",
                ip->tos, ip->ttl, ip->id, ip->frag_offset,
                ip->df ? (ip->mf ? "DF+" : "DF") : (ip->mf ? "+" : "none"),
                read_proto_name(ip->proto), ip->proto, ip->total_len);
    else
        fprintf(out, "(%sflowlabel 0x%05x, hlim %u, next-header %s (%u) payload length: %u) ",
                ip->tos ? "class 0x" : "", ip->flow_label, ip->ttl, read_proto_name(ip->proto),
                ip->proto, ip->total_len >= 40 ? ip->total_len - 40 : 0);
}

/* tcpdump's order: F S R P . U E W; "none" when no flag is set. */
static void read_print_tcp_flags(FILE *out, uint8_t f)
{
    static const struct {
        uint8_t bit;
        char ch;
    } names[] = {{0x01, 'F'}, {0x02, 'S'}, {0x04, 'R'}, {0x08, 'P'},
                 {0x10, '.'}, {0x20, 'U'}, {0x40, 'E'}, {0x80, 'W'}};
    char s[9];
    int n = 0;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (f & names[i].bit)
            s[n++] = names[i].ch;
    s[n] = '\0';
    fprintf(out, "Flags [%s]", n ? s : "none");
}

/* TCP options from the header bytes, as tcpdump lists them; SACK block
 * edges are printed relative to sack_base (the peer's base, 0 with -S). */
static void read_print_tcp_options(FILE *out, const struct pkt_ip *ip, uint32_t sack_base)
{
    struct cursor c;
    if (!ip->l4 || ip->t.tcp_hlen <= 20 || ip->l4_len < ip->t.tcp_hlen)
        return;
    cursor_init(&c, ip->l4 + 20, (size_t)ip->t.tcp_hlen - 20);
    fputs(", options [", out);
    for (int first = 1; cursor_left(&c) > 0; first = 0) {
        uint8_t kind, len = 0;
        uint16_t v16;
        uint32_t a, b;
        cursor_u8(&c, &kind);
        if (!first)
            fputc(',', out);
        if (kind == 0) {
            fputs("eol", out);
            break;
        }
        if (kind == 1) {
            fputs("nop", out);
            continue;
        }
        if (cursor_u8(&c, &len) < 0 || len < 2 || !cursor_has(&c, (size_t)len - 2)) {
            fputs("bad opt", out);
            break;
        }
        struct cursor o;
        cursor_sub(&c, (size_t)len - 2, &o);
        if (kind == 2 && cursor_u16be(&o, &v16) == 0) {
            fprintf(out, "mss %u", v16);
        } else if (kind == 3 && len == 3) {
            fprintf(out, "wscale %u", o.p[0]);
        } else if (kind == 4) {
            fputs("sackOK", out);
        } else if (kind == 5) {
            fprintf(out, "sack %u ", (unsigned)cursor_left(&o) / 8);
            while (cursor_u32be(&o, &a) == 0 && cursor_u32be(&o, &b) == 0)
                fprintf(out, "{%u:%u}", a - sack_base, b - sack_base);
        } else if (kind == 8 && cursor_u32be(&o, &a) == 0 && cursor_u32be(&o, &b) == 0) {
            fprintf(out, "TS val %u ecr %u", a, b);
        } else if (kind == 34 || ((kind == 253 || kind == 254) &&
                                  cursor_peek_u16be(&o, 0, &v16) == 0 && v16 == 0xf989)) {
            /* TCP Fast Open (RFC 7413), or its experimental form with magic 0xf989 */
            if (kind != 34)
                cursor_skip(&o, 2);
            fputs(kind == 34 ? "tfo" : "exp-tfo", out);
            if (!cursor_left(&o))
                fputs(" cookiereq", out);
            else
                fputs(" cookie ", out);
            while (cursor_left(&o)) {
                uint8_t x;
                cursor_u8(&o, &x);
                fprintf(out, "%02x", x);
            }
        } else {
            fprintf(out, "opt-%u:", kind);
            while (cursor_left(&o)) {
                uint8_t x;
                cursor_u8(&o, &x);
                fprintf(out, "%02x", x);
            }
        }
    }
    fputc(']', out);
}

static void read_print_tcp(FILE *out, const struct pkt_ip *ip, int quiet, struct read_seq *rs)
{
    const struct pkt_l4 *t = &ip->t;
    uint32_t len = t->payload_wire_len;
    uint32_t seq = t->seq, ack = t->ack, sack_base = 0;
    if (quiet) {
        fprintf(out, "tcp %u", len);
        return;
    }
    read_seq_adjust(rs, ip, &seq, &ack, &sack_base);
    read_print_tcp_flags(out, t->tcp_flags);
    if ((t->tcp_flags & 0x07) || len) {
        fprintf(out, ", seq %u", seq);
        if (len)
            fprintf(out, ":%u", seq + len);
    }
    if (t->tcp_flags & 0x10)
        fprintf(out, ", ack %u", ack);
    fprintf(out, ", win %u", t->win);
    if (t->tcp_flags & 0x20)
        fprintf(out, ", urg %u", t->urg);
    read_print_tcp_options(out, ip, sack_base);
    fprintf(out, ", length %u", len);
}

static void read_print_icmp(FILE *out, const struct pkt_ip *ip)
{
    const struct pkt_l4 *t = &ip->t;
    uint32_t len = ip->total_len > ip->hdr_len ? ip->total_len - ip->hdr_len : 0;
    switch (t->icmp_type) {
    case 0:
    case 8:
        fprintf(out, "ICMP echo %s, id %u, seq %u, length %u",
                t->icmp_type ? "request" : "reply", t->icmp_id, t->icmp_seq, len);
        return;
    case 3: fprintf(out, "ICMP unreachable (code %u)", t->icmp_code); break;
    case 5: fputs("ICMP redirect", out); break;
    case 11: fprintf(out, "ICMP time exceeded %s", t->icmp_code ? "reassembly" : "in-transit"); break;
    case 13: fputs("ICMP time stamp query", out); break;
    case 14: fputs("ICMP time stamp reply", out); break;
    default: fprintf(out, "ICMP type-#%u", t->icmp_type); break;
    }
    fprintf(out, ", length %u", len);
}

static void read_print_icmp6(FILE *out, const struct pkt_ip *ip)
{
    const struct pkt_l4 *t = &ip->t;
    uint32_t len = ip->total_len > ip->hdr_len ? ip->total_len - ip->hdr_len : 0;
    const char *name = NULL;
    switch (t->icmp_type) {
    case 1: name = "destination unreachable"; break;
    case 2: name = "packet too big"; break;
    case 3: name = "time exceeded in-transit"; break;
    case 4: name = "parameter problem"; break;
    case 128:
    case 129:
        fprintf(out, "ICMP6, echo %s, id %u, seq %u, length %u",
                t->icmp_type == 128 ? "request" : "reply", t->icmp_id, t->icmp_seq, len);
        return;
    case 130: name = "multicast listener query"; break;
    case 131: name = "multicast listener report"; break;
    case 133: name = "router solicitation"; break;
    case 134: name = "router advertisement"; break;
    case 135: name = "neighbor solicitation"; break;
    case 136: name = "neighbor advertisement"; break;
    case 143: name = "multicast listener report v2"; break;
    default: break;
    }
    if (name && (t->icmp_type == 135 || t->icmp_type == 136) && ip->l4 && ip->l4_len >= 24) {
        char buf[INET6_ADDRSTRLEN];
        inet_ntop(AF_INET6, ip->l4 + 8, buf, sizeof(buf));
        fprintf(out, "ICMP6, %s, %s %s, length %u", name,
                t->icmp_type == 135 ? "who has" : "tgt is", buf, len);
    } else if (name) {
        fprintf(out, "ICMP6, %s, length %u", name, len);
    } else {
        fprintf(out, "ICMP6, type-#%u, length %u", t->icmp_type, len);
    }
}

/* What carries layer i+1 inside layer i, in tcpdump's words; then ": ". */
static void read_print_encap(FILE *out, const struct pkt_ip *ip)
{
    const uint8_t *h = ip->t.payload;
    uint32_t hl = ip->t.payload_len;
    switch (ip->encap) {
    case PKT_ENCAP_GRE:
        fprintf(out, "GREv0, length %u: ", ip->total_len > ip->hdr_len ? ip->total_len - ip->hdr_len : 0);
        break;
    case PKT_ENCAP_VXLAN:
        if (h && hl >= 8)
            fprintf(out, "VXLAN, flags [%s] (0x%02x), vni %u: ", (h[0] & 0x08) ? "I" : ".", h[0],
                    (unsigned)h[4] << 16 | (unsigned)h[5] << 8 | h[6]);
        else
            fputs("VXLAN: ", out);
        break;
    case PKT_ENCAP_GENEVE:
        if (h && hl >= 8)
            fprintf(out, "Geneve, vni 0x%x: ", (unsigned)h[4] << 16 | (unsigned)h[5] << 8 | h[6]);
        else
            fputs("Geneve: ", out);
        break;
    case PKT_ENCAP_TEREDO: fputs("Teredo: ", out); break;
    case PKT_ENCAP_AYIYA: fputs("AYIYA: ", out); break;
    case PKT_ENCAP_GTPU: fputs("GTPv1-U: ", out); break;
    default: break; /* IP-in-IP: tcpdump goes straight on to the inner header */
    }
}

/* One IP layer: "[IP|IP6] [(-v)] src[.port] > dst[.port]: <transport>". */
static void read_print_ip(struct read_printer *pr, const struct packet *p, int i, int bare)
{
    FILE *out = pr->out;
    const struct pkt_ip *ip = &p->layer[i];
    uint16_t sport = 0, dport = 0;
    int ports = read_ports(ip, &sport, &dport);
    /* The addresses as the header has them (for IPv6 the decoder may have
     * put a routing header's final destination in ip->dst). */
    const uint8_t *src = ip->src, *dst = ip->dst;
    if (ip->version == 6 && ip->hdr) {
        src = ip->hdr + 8;
        dst = ip->hdr + 24;
    }
    if (!bare)
        fputs(ip->version == 6 ? "IP6 " : "IP ", out);
    if (pr->o->verbose)
        read_print_ip_verbose(out, ip);
    read_print_addr(out, ip, src);
    if (ports)
        fprintf(out, ".%u", sport);
    fputs(" > ", out);
    read_print_addr(out, ip, dst);
    if (ports)
        fprintf(out, ".%u", dport);
    fputs(": ", out);
    if (i + 1 < p->n_layers) {
        read_print_encap(out, ip);
        return;
    }
    if (!ip->l4) {
        fprintf(out, "ip-proto-%u", ip->proto);
        if (ip->is_fragment)
            fprintf(out, " (frag %u:%u@%u%s)", ip->frag_id,
                    ip->total_len > ip->hdr_len ? ip->total_len - ip->hdr_len : 0,
                    ip->frag_offset, ip->mf ? "+" : "");
        return;
    }
    if (!ip->t.valid && (ip->proto == 6 || ip->proto == 17)) {
        fprintf(out, "[|%s]", ip->proto == 6 ? "tcp" : "udp");
        return;
    }
    switch (ip->proto) {
    case 6: read_print_tcp(out, ip, pr->o->quiet, pr->seq); break;
    case 17: fprintf(out, "UDP, length %u", ip->t.payload_wire_len); break;
    case 1: read_print_icmp(out, ip); break;
    case 58: read_print_icmp6(out, ip); break;
    default:
        fprintf(out, "%s %u", read_proto_name(ip->proto),
                ip->total_len > ip->hdr_len ? ip->total_len - ip->hdr_len : 0);
        break;
    }
}

static void read_print_arp(FILE *out, const struct packet *p)
{
    const struct pkt_arp *a = &p->arp;
    char spa[INET_ADDRSTRLEN], tpa[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, a->spa, spa, sizeof(spa));
    inet_ntop(AF_INET, a->tpa, tpa, sizeof(tpa));
    uint32_t len = p->caplen > p->link.hdr_len ? p->wirelen - p->link.hdr_len : 0;
    if (a->op == 1) {
        fprintf(out, "ARP, Request who-has %s tell %s, length %u", tpa, spa, len);
    } else if (a->op == 2) {
        fprintf(out, "ARP, Reply %s is-at ", spa);
        read_print_mac(out, a->sha);
        fprintf(out, ", length %u", len);
    } else {
        fprintf(out, "ARP, op %u, length %u", a->op, len);
    }
}

/* Where the network layer starts, for -x/-X (tcpdump dumps from there). */
static uint32_t read_net_offset(const struct packet *p)
{
    if (p->n_layers && p->layer[0].hdr)
        return (uint32_t)(p->layer[0].hdr - p->data);
    return p->link.hdr_len <= p->caplen ? p->link.hdr_len : 0;
}

static void read_print_packet(struct read_printer *pr, struct packet *p)
{
    FILE *out = pr->out;
    read_print_time(pr, p);
    if (pr->o->link)
        read_print_link(out, p);
    int bare = pr->o->link && (p->linktype == DLT_EN10MB || p->linktype == DLT_NULL ||
                               p->linktype == DLT_LOOP || p->linktype == DLT_LINUX_SLL);
    if (p->n_layers) {
        if (p->link.pppoe && !bare)
            fputs("PPPoE ", out);
        for (int i = 0; i < p->n_layers; i++)
            read_print_ip(pr, p, i, i == 0 ? bare : 0);
    } else if (p->flags & PKT_F_ARP) {
        read_print_arp(out, p);
    } else if (!pr->o->link) {
        if (p->linktype == DLT_EN10MB && p->link.ethertype > 1500)
            fprintf(out, "ethertype %s (0x%04x), length %u", read_ethertype_name(p->link.ethertype),
                    p->link.ethertype, p->wirelen);
        else if (p->linktype == DLT_EN10MB)
            fprintf(out, "802.3, length %u", p->wirelen);
        else
            fprintf(out, "%s, length %u", capture_linktype_name(p->linktype), p->wirelen);
    } else {
        fprintf(out, "length %u", p->caplen);
    }
    if (pr->o->hex) {
        uint32_t off = pr->o->hex >= 2 ? 0 : read_net_offset(p);
        read_print_hex(out, p->data + off, p->caplen - off, pr->o->ascii);
    }
    fputc('\n', out);
}

/* -------------------------------------------------------------- driver */

/* Print damage sentences that appeared since the last call. */
static void read_report_damage(struct capture_source *src, size_t *shown)
{
    if (src->damage_len <= *shown || !src->damage_log)
        return;
    fflush(stdout);
    const char *p = src->damage_log + *shown, *end = src->damage_log + src->damage_len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        fprintf(stderr, "vigil: %.*s\n", (int)n, p);
        p += n + 1;
    }
    *shown = src->damage_len;
}

struct read_writer {
    FILE *fp;
    pcap_t *dead;
    pcap_dumper_t *dumper;
    int linktype;
};

/* Write one packet to -w; -1 (sentence printed) when it cannot. */
static int read_write_packet(struct read_writer *w, const struct read_opts *o,
                             const struct packet *p)
{
    if (!w->dumper) {
        w->linktype = p->linktype;
        w->dead = pcap_open_dead_with_tstamp_precision(p->linktype, 262144,
                                                       PCAP_TSTAMP_PRECISION_MICRO);
        if (!w->dead || !(w->dumper = pcap_dump_fopen(w->dead, w->fp))) {
            cli_error("read: %s: cannot write pcap: %s", o->wfile,
                      w->dead ? pcap_geterr(w->dead) : "out of memory");
            return -1;
        }
    } else if (p->linktype != w->linktype) {
        cli_error("read: %s (packet %llu) has link type %s but earlier packets have %s; one pcap "
                  "file holds one link type, so write each kind to its own file",
                  p->origin, (unsigned long long)p->num, capture_linktype_name(p->linktype),
                  capture_linktype_name(w->linktype));
        return -1;
    }
    struct pcap_pkthdr h;
    h.ts.tv_sec = (time_t)p->ts_sec;
    h.ts.tv_usec = (suseconds_t)(p->ts_nsec / 1000u);
    h.caplen = p->caplen;
    h.len = p->wirelen;
    pcap_dump((u_char *)w->dumper, &h, p->data);
    return 0;
}

static int read_open_writer(struct read_writer *w, const char *path)
{
    static char wbuf[READ_OUTBUF];
    if (strcmp(path, "-") == 0)
        w->fp = stdout;
    else if (!(w->fp = fopen(path, "wb"))) {
        cli_error("read: cannot write %s: %m", path);
        return -1;
    }
    setvbuf(w->fp, wbuf, _IOFBF, sizeof(wbuf));
    return 0;
}

static int read_close_writer(struct read_writer *w, const char *path)
{
    int bad = 0;
    if (w->dumper) {
        bad = pcap_dump_flush(w->dumper) < 0;
        if (w->fp == stdout) {
            fflush(stdout);
        } else {
            pcap_dump_close(w->dumper); /* closes w->fp */
            w->fp = NULL;
        }
    } else if (w->fp) {
        /* No packet selected: still leave a valid, empty pcap behind. */
        pcap_t *d = pcap_open_dead(DLT_EN10MB, 262144);
        pcap_dumper_t *dd = d ? pcap_dump_fopen(d, w->fp) : NULL;
        if (dd) {
            bad = pcap_dump_flush(dd) < 0;
            if (w->fp != stdout)
                pcap_dump_close(dd);
            w->fp = w->fp == stdout ? stdout : NULL;
        }
        if (d)
            pcap_close(d);
    }
    if (w->fp && w->fp != stdout)
        bad |= fclose(w->fp) != 0;
    if (w->dead)
        pcap_close(w->dead);
    if (bad) {
        cli_error("read: writing %s failed (disk full?)", path);
        return -1;
    }
    return 0;
}

static struct capture_source *read_open_source(struct read_opts *o, int *rc)
{
    char err[1024] = "";
    struct capture_source *src;
    if (o->bpf && capture_filter_check(o->bpf, DLT_EN10MB, err, sizeof(err)) < 0) {
        cli_error("read: %s", err);
        *rc = VIGIL_EXIT_USAGE;
        return NULL;
    }
    if (o->iface) {
        struct capture_live_opts lo = {.bpf = o->bpf, .snaplen = o->snaplen ? o->snaplen : 262144,
                                       .buffer_mb = o->buffer_mb ? o->buffer_mb : 64,
                                       .promisc = 1, .timeout_ms = 100};
        src = capture_open_live(o->iface, &lo, err, sizeof(err));
    } else {
        struct capture_file_opts fo = {.bpf = o->bpf, .nano = 1};
        src = capture_open_files(o->inputs, o->ninputs, &fo, err, sizeof(err));
    }
    if (!src) {
        cli_error("read: %s", err);
        *rc = strstr(err, "bad filter expression") ? VIGIL_EXIT_USAGE : VIGIL_EXIT_ERROR;
    }
    return src;
}

/* The packet loop; returns the exit code. */
static int read_loop(struct read_opts *o, struct capture_source *src)
{
    static char obuf[READ_OUTBUF];
    struct read_printer pr = {.o = o, .out = stdout, .cached_sec = -1};
    struct read_writer w = {0};
    struct decoder *dec = NULL;
    struct decode_config cfg;
    struct packet pkt;
    struct progress pg;
    size_t shown = 0;
    int rc = VIGIL_EXIT_OK, n = 0;
    long long done = 0;
    if (o->wfile) {
        if (read_open_writer(&w, o->wfile) < 0)
            return VIGIL_EXIT_ERROR;
    } else {
        setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
        decode_config_default(&cfg);
        cfg.reassemble = 0;
        if (!(dec = decoder_new(&cfg)) || (!o->absolute && !(pr.seq = read_seq_new()))) {
            cli_error("read: out of memory creating the decoder");
            decoder_free(dec);
            return VIGIL_EXIT_ERROR;
        }
    }
    progress_begin(&pg, "packets", !o->quiet && !o->iface && !(o->wfile && !strcmp(o->wfile, "-")));
    while (!read_stop && (n = capture_next(src, &pkt)) > 0) {
        if (src->damage_len != shown)
            read_report_damage(src, &shown);
        if (o->wfile) {
            if (read_write_packet(&w, o, &pkt) < 0) {
                rc = VIGIL_EXIT_ERROR;
                break;
            }
        } else {
            decode_packet(dec, &pkt);
            read_print_packet(&pr, &pkt);
        }
        if (progress_due(&pg)) {
            uint64_t d, t;
            capture_progress(src, &d, &t);
            progress_update_now(&pg, d, t, (uint64_t)done);
        }
        if (++done == o->count)
            break;
    }
    progress_end(&pg);
    if (!read_stop && done != o->count && n < 0) {
        cli_error("read: %s", capture_error(src));
        rc = VIGIL_EXIT_ERROR;
    }
    if (o->wfile && read_close_writer(&w, o->wfile) < 0)
        rc = VIGIL_EXIT_ERROR;
    if (fflush(stdout) != 0 && rc == VIGIL_EXIT_OK) {
        cli_error("read: writing the output failed");
        rc = VIGIL_EXIT_ERROR;
    }
    read_report_damage(src, &shown);
    if (rc == VIGIL_EXIT_OK && capture_damaged(src))
        rc = VIGIL_EXIT_DAMAGED;
    decoder_free(dec);
    read_seq_free(pr.seq);
    return rc;
}

int cmd_read(int argc, char **argv)
{
    struct read_opts o = {0};
    int rc = 0;
    if (cli_wants_help(argc, argv)) {
        read_usage(stdout);
        return VIGIL_EXIT_OK;
    }
    rc = read_parse_args(argc, argv, &o);
    if (rc != 0) {
        free(o.bpf);
        return rc < 0 ? VIGIL_EXIT_OK : rc;
    }
    struct capture_source *src = read_open_source(&o, &rc);
    if (!src) {
        free(o.bpf);
        return rc;
    }
    read_live_pcap = capture_live_handle(src);
    signal(SIGINT, read_on_signal);
    signal(SIGTERM, read_on_signal);
    if (o.iface && !o.quiet)
        fprintf(stderr, "vigil: listening on %s, snapshot length %d bytes\n", o.iface,
                o.snaplen ? o.snaplen : 262144);
    rc = read_loop(&o, src);
    if (o.iface && !o.quiet) {
        struct capture_stats st;
        capture_stats(src, &st);
        fprintf(stderr, "%llu packets captured\n%llu packets received by filter\n"
                        "%llu packets dropped by kernel\n%llu packets dropped by interface\n",
                (unsigned long long)st.packets, (unsigned long long)st.ps_recv,
                (unsigned long long)st.ps_drop, (unsigned long long)st.ps_ifdrop);
    }
    capture_close(src);
    free(o.bpf);
    return rc;
}
