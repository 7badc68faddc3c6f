/*
 * dns_msg.c - one DNS message on the wire (RFC 1035 section 4), walked as
 * Zeek 8's DNS analyzer walks it so that dns.log comes out the same.
 *
 *      0  1  2  3  4  5  6  7  8  9 10 11 12 13 14 15
 *    +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 *    |                      ID                       |
 *    |QR|  Opcode   |AA|TC|RD|RA|  Z (Z AD CD)|  RCODE |
 *    |          QDCOUNT / ANCOUNT / NSCOUNT / ARCOUNT |
 *    +-----------------------------------------------+
 *    | question: QNAME QTYPE QCLASS            x QDCOUNT
 *    | answer:   NAME TYPE CLASS TTL RDLENGTH RDATA  x ANCOUNT
 *    | authority, additional (same RR form)
 *
 * What is parsed: the header, every question and the answer section; for a
 * dynamic update (RFC 2136) the prerequisite (answer-count) and update
 * (authority-count) sections.  Zeek by default skips authority and
 * additional RRs (dns_skip_all_auth/addl = T), so their contents - EDNS's
 * OPT RR (RFC 6891) included - never reach dns.log; an OPT RR met in the
 * answer section is stepped over by its RDLENGTH.
 *
 * Names (RFC 1035 4.1.4): labels joined with '.', the trailing dot dropped,
 * lower-cased; a compression pointer must point strictly backwards (Zeek's
 * rule, which also makes loops impossible), at most DNS_MAX_HOPS of them
 * per name, and a name holds at most DNS_NAME_ROOM bytes.  Answers are
 * rendered as Zeek's base/protocols/dns/main.zeek renders them ("TXT 35
 * v=spf1 ...", "RRSIG 5 cmu.edu", "<unknown type=N>", ...).  Anomalies get
 * Zeek's weird names.  Every read goes through struct cursor.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include "core/cursor.h"
#include "proto/dns.h"
#include "proto/dns_int.h"

/* RR types with their own rendering (IANA numbers). */
enum {
    T_A = 1, T_NS = 2, T_CNAME = 5, T_SOA = 6, T_WKS = 11, T_PTR = 12, T_HINFO = 13, T_MX = 15,
    T_TXT = 16, T_AAAA = 28, T_LOC = 29, T_NB = 32, T_SRV = 33, T_NAPTR = 35, T_A6 = 38,
    T_OPT = 41, T_DS = 43, T_SSHFP = 44, T_RRSIG = 46, T_NSEC = 47, T_DNSKEY = 48, T_NSEC3 = 50,
    T_NSEC3PARAM = 51, T_SVCB = 64, T_HTTPS = 65, T_SPF = 99, T_TSIG = 250, T_CAA = 257,
    T_BINDS = 65534,
};

#define C_NONE 254
#define C_ANY 255
#define T_ANY 255

struct dns_walk {
    struct dns_session *s;
    const uint8_t *start;
    struct cursor c; /* the rest of the message */
    struct dns_hdr h;
    enum dns_section sec;
    /* the RR being parsed */
    char rrname[DNS_NAME_ROOM + 1];
    size_t rrname_len;
    uint16_t atype, aclass;
    uint32_t ttl;
};

/* ---- the scratch text buffer ---- */

void dns_sbuf_reset(struct dns_sbuf *b)
{
    b->len = 0;
    b->overflow = false;
}

void dns_sbuf_put(struct dns_sbuf *b, const void *data, size_t n)
{
    if (b->overflow || n > b->max - b->len) {
        b->overflow = true;
        return;
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->overflow = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    if (n)
        memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void dns_sbuf_puts(struct dns_sbuf *b, const char *s)
{
    dns_sbuf_put(b, s, strlen(s));
}

void dns_sbuf_printf(struct dns_sbuf *b, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n > 0)
        dns_sbuf_put(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

void dns_sbuf_free(struct dns_sbuf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

/* ---- names ---- */

/*
 * One name at *c into name (DNS_NAME_ROOM + 1 bytes); returns its length.
 * *c advances over the name as it appears here (up to and including the
 * first compression pointer); a bad label ends the name with a weird, as
 * in Zeek, and the caller goes on from wherever *c stopped.
 */
static size_t dns_name_read(struct dns_walk *w, struct cursor *c, char *name)
{
    size_t n = 0, room = DNS_NAME_ROOM;
    unsigned hops = 0;
    struct cursor sub, *cur = c;
    for (;;) {
        const uint8_t *at = cur->p;
        uint8_t l, lo;
        if (cursor_u8(cur, &l) < 0 || cursor_left(cur) == 0 || l == 0)
            break;
        if ((l & 0xc0) == 0xc0) {
            (void)cursor_u8(cur, &lo);
            size_t off = (size_t)(l & 0x3f) << 8 | lo;
            size_t here = (size_t)(at - w->start);
            if (off >= here) {
                dns_on_weird(w->s, "DNS_label_forward_compress_offset", NULL);
                break;
            }
            if (++hops > DNS_MAX_HOPS) {
                dns_on_weird(w->s, "DNS_label_too_many_pointers", NULL);
                break;
            }
            cursor_init(&sub, w->start + off, here - off);
            cur = &sub;
            continue;
        }
        if (l > cursor_left(cur)) {
            dns_on_weird(w->s, "DNS_label_len_gt_pkt", NULL);
            (void)cursor_skip(cur, cursor_left(cur));
            break;
        }
        if (l > 63 && !w->h.netbios) {
            dns_on_weird(w->s, "DNS_label_too_long", NULL);
            break;
        }
        if (l >= room) {
            dns_on_weird(w->s, "DNS_label_len_gt_name_len", NULL);
            break;
        }
        (void)cursor_bytes(cur, name + n, l);
        name[n + l] = '.';
        n += (size_t)l + 1;
        room -= (size_t)l + 1;
    }
    if (n >= 255)
        dns_on_weird(w->s, "DNS_NAME_too_long", NULL);
    if (n >= 2 && name[n - 1] == '.')
        n--;
    for (size_t i = 0; i < n; i++)
        if (name[i] >= 'A' && name[i] <= 'Z')
            name[i] = (char)(name[i] - 'A' + 'a');
    name[n] = '\0';
    return n;
}

/* Zeek's ExtractShort/ExtractLong: 0 and nothing consumed when short. */
static uint16_t dns_short(struct cursor *c)
{
    uint16_t v = 0;
    (void)cursor_u16be(c, &v);
    return v;
}

static uint32_t dns_long(struct cursor *c)
{
    uint32_t v = 0;
    (void)cursor_u32be(c, &v);
    return v;
}

static size_t dns_consumed(const struct dns_walk *w, const uint8_t *from)
{
    return (size_t)(w->c.p - from);
}

static void dns_check_len(struct dns_walk *w, const uint8_t *from, uint16_t rdlength)
{
    if (dns_consumed(w, from) != rdlength)
        dns_on_weird(w->s, "DNS_RR_length_mismatch", NULL);
}

/* Step to the end of the RDATA when the parse stopped short of it. */
static void dns_to_rdata_end(struct dns_walk *w, const uint8_t *from, uint16_t rdlength)
{
    size_t used = dns_consumed(w, from);
    if (used < rdlength)
        (void)cursor_skip(&w->c, rdlength - used);
}

static void dns_reply(struct dns_walk *w, const char *text, size_t len)
{
    dns_on_reply(w->s, &w->h, w->sec, w->rrname, w->rrname_len, w->ttl, text, len);
}

static void dns_reply_sbuf(struct dns_walk *w, struct dns_sbuf *b)
{
    dns_reply(w, b->p ? b->p : "", b->len);
}

/* ---- RR types ---- */

static bool dns_rr_a(struct dns_walk *w, uint16_t rdlength)
{
    uint8_t a[4];
    char txt[INET_ADDRSTRLEN];
    if (rdlength != 4) {
        dns_on_weird(w->s, "DNS_RR_bad_length", NULL);
        return false;
    }
    if (cursor_bytes(&w->c, a, 4) < 0)
        return false;
    inet_ntop(AF_INET, a, txt, sizeof(txt));
    struct dns_sbuf *b = dns_on_scratch(w->s);
    dns_sbuf_reset(b);
    if (w->h.opcode == DNS_OP_UPDATE && !w->h.netbios)
        dns_sbuf_printf(b, "A %s %s", w->rrname, txt);
    else
        dns_sbuf_puts(b, txt);
    dns_reply_sbuf(w, b);
    return true;
}

/* AAAA and A6 as Zeek reads them: four longs, whatever RDLENGTH says. */
static bool dns_rr_aaaa(struct dns_walk *w)
{
    uint8_t a[16];
    char txt[INET6_ADDRSTRLEN];
    for (int i = 0; i < 4; i++) {
        uint32_t v = dns_long(&w->c);
        a[4 * i] = (uint8_t)(v >> 24);
        a[4 * i + 1] = (uint8_t)(v >> 16);
        a[4 * i + 2] = (uint8_t)(v >> 8);
        a[4 * i + 3] = (uint8_t)v;
    }
    inet_ntop(AF_INET6, a, txt, sizeof(txt));
    struct dns_sbuf *b = dns_on_scratch(w->s);
    dns_sbuf_reset(b);
    if (w->h.opcode == DNS_OP_UPDATE && !w->h.netbios)
        dns_sbuf_printf(b, "%s %s %s", w->atype == T_A6 ? "A6" : "AAAA", w->rrname, txt);
    else
        dns_sbuf_puts(b, txt);
    dns_reply_sbuf(w, b);
    return true;
}

/* NS, CNAME, PTR (the target), MX (preference, exchange), SRV (priority,
 * weight, port, target): the answer is the name. */
static bool dns_rr_name(struct dns_walk *w, uint16_t rdlength, size_t skip_shorts)
{
    char name[DNS_NAME_ROOM + 1];
    const uint8_t *from = w->c.p;
    for (size_t i = 0; i < skip_shorts; i++)
        (void)dns_short(&w->c);
    size_t n = dns_name_read(w, &w->c, name);
    dns_check_len(w, from, rdlength);
    dns_reply(w, name, n);
    return true;
}

static bool dns_rr_soa(struct dns_walk *w, uint16_t rdlength)
{
    char mname[DNS_NAME_ROOM + 1], rname[DNS_NAME_ROOM + 1];
    const uint8_t *from = w->c.p;
    size_t n = dns_name_read(w, &w->c, mname);
    (void)dns_name_read(w, &w->c, rname);
    if (cursor_skip(&w->c, 20) < 0) /* serial refresh retry expire minimum */
        return false;
    dns_check_len(w, from, rdlength);
    dns_reply(w, mname, n);
    return true;
}

/*
 * TXT and SPF (RFC 1035 3.3.14, RFC 7208): character-strings, each "TXT
 * <len> <text>", joined by spaces.  A string running past RDLENGTH stops
 * the list (weird) and the rest of the message.
 */
static bool dns_rr_txt(struct dns_walk *w, uint16_t rdlength, const char *tag)
{
    struct dns_sbuf *b = dns_on_scratch(w->s);
    size_t left = rdlength, count = 0;
    dns_sbuf_reset(b);
    while (left > 0) {
        uint8_t slen;
        const uint8_t *p;
        if (cursor_u8(&w->c, &slen) < 0)
            break;
        left--;
        if (slen > left) {
            dns_on_weird(w->s, "DNS_TXT_char_str_past_rdlen", NULL);
            break;
        }
        if (cursor_ptr(&w->c, slen, &p) < 0)
            break;
        left -= slen;
        if (count++)
            dns_sbuf_puts(b, " ");
        dns_sbuf_printf(b, "%s %u ", tag, (unsigned)slen);
        dns_sbuf_put(b, p, slen);
    }
    dns_reply_sbuf(w, b);
    return left == 0;
}

/* One character-string bounded by *left (NAPTR); -1 past the RDATA. */
static int dns_char_string(struct dns_walk *w, size_t *left, struct dns_sbuf *b)
{
    uint8_t slen;
    const uint8_t *p;
    if (*left == 0 || cursor_u8(&w->c, &slen) < 0)
        return -1;
    (*left)--;
    if (slen > *left || cursor_ptr(&w->c, slen, &p) < 0)
        return -1;
    *left -= slen;
    dns_sbuf_put(b, p, slen);
    return 0;
}

/* NAPTR (RFC 3403): "NAPTR order preference flags service regexp replacement". */
static bool dns_rr_naptr(struct dns_walk *w, uint16_t rdlength)
{
    const uint8_t *from = w->c.p;
    struct dns_sbuf *b = dns_on_scratch(w->s);
    char repl[DNS_NAME_ROOM + 1];
    size_t left = rdlength;
    if (rdlength < 4)
        return false;
    uint16_t order = dns_short(&w->c), pref = dns_short(&w->c);
    left -= 4;
    dns_sbuf_reset(b);
    dns_sbuf_printf(b, "NAPTR %u %u ", (unsigned)order, (unsigned)pref);
    if (dns_char_string(w, &left, b) < 0)
        return false;
    dns_sbuf_puts(b, " ");
    if (dns_char_string(w, &left, b) < 0)
        return false;
    dns_sbuf_puts(b, " ");
    size_t before = b->len;
    if (dns_char_string(w, &left, b) < 0)
        return false;
    size_t rn = dns_name_read(w, &w->c, repl);
    if (rn > 0) {
        if (b->len > before)
            dns_sbuf_puts(b, " ");
        dns_sbuf_put(b, repl, rn);
    }
    dns_check_len(w, from, rdlength);
    dns_reply_sbuf(w, b);
    return true;
}

/* RRSIG (RFC 4034 3.1): "RRSIG <type covered> <signer>" (<Root> for ""). */
static bool dns_rr_rrsig(struct dns_walk *w, uint16_t rdlength)
{
    const uint8_t *from = w->c.p;
    char signer[DNS_NAME_ROOM + 1];
    if (rdlength < 18 || !cursor_has(&w->c, 18))
        return false;
    uint16_t covered = dns_short(&w->c);
    (void)cursor_skip(&w->c, 16); /* algorithm labels ttl expiration inception key tag */
    size_t n = dns_name_read(w, &w->c, signer);
    dns_to_rdata_end(w, from, rdlength);
    struct dns_sbuf *b = dns_on_scratch(w->s);
    dns_sbuf_reset(b);
    dns_sbuf_printf(b, "RRSIG %u ", (unsigned)covered);
    dns_sbuf_puts(b, n ? signer : "<Root>");
    dns_reply_sbuf(w, b);
    return true;
}

/* DNSKEY (RFC 4034 2.1) "DNSKEY <alg>"; DS (5.1) "DS <alg> <digest type>";
 * SSHFP (RFC 4255) "SSHFP: <hex fingerprint>". */
static bool dns_rr_dnssec(struct dns_walk *w, uint16_t rdlength)
{
    struct dns_sbuf *b = dns_on_scratch(w->s);
    struct cursor rd;
    uint8_t x, y;
    uint16_t flags;
    if (cursor_sub(&w->c, rdlength, &rd) < 0)
        return false;
    dns_sbuf_reset(b);
    if (w->atype == T_DNSKEY) {
        if (cursor_u16be(&rd, &flags) < 0 || cursor_u8(&rd, &x) < 0 || cursor_u8(&rd, &y) < 0)
            return false;
        if (x != 3)
            dns_on_weird(w->s, "DNSSEC_DNSKEY_Invalid_Protocol", NULL);
        dns_sbuf_printf(b, "DNSKEY %u", (unsigned)y);
    } else if (w->atype == T_DS) {
        if (cursor_skip(&rd, 2) < 0 || cursor_u8(&rd, &x) < 0 || cursor_u8(&rd, &y) < 0)
            return false;
        dns_sbuf_printf(b, "DS %u %u", (unsigned)x, (unsigned)y);
    } else { /* SSHFP */
        if (cursor_u8(&rd, &x) < 0 || cursor_u8(&rd, &y) < 0)
            return false;
        dns_sbuf_puts(b, "SSHFP: ");
        while (cursor_u8(&rd, &x) == 0)
            dns_sbuf_printf(b, "%02x", (unsigned)x);
    }
    dns_reply_sbuf(w, b);
    return true;
}

/* NSEC (RFC 4034 4.1): "NSEC <owner> <next>". */
static bool dns_rr_nsec(struct dns_walk *w, uint16_t rdlength)
{
    const uint8_t *from = w->c.p;
    char next[DNS_NAME_ROOM + 1];
    (void)dns_name_read(w, &w->c, next);
    dns_to_rdata_end(w, from, rdlength);
    struct dns_sbuf *b = dns_on_scratch(w->s);
    dns_sbuf_reset(b);
    dns_sbuf_printf(b, "NSEC %s %s", w->rrname, next);
    dns_reply_sbuf(w, b);
    return true;
}

/* LOC (RFC 1876): "LOC:  <size> <horiz pre> <vert pre>". */
static bool dns_rr_loc(struct dns_walk *w, uint16_t rdlength)
{
    struct cursor rd;
    uint8_t ver, size, hp, vp;
    if (cursor_sub(&w->c, rdlength, &rd) < 0 || cursor_u8(&rd, &ver) < 0 ||
        cursor_u8(&rd, &size) < 0 || cursor_u8(&rd, &hp) < 0 || cursor_u8(&rd, &vp) < 0)
        return false;
    if (ver != 0)
        dns_on_weird(w->s, "DNS_LOC_version_unrecognized", NULL);
    struct dns_sbuf *b = dns_on_scratch(w->s);
    dns_sbuf_reset(b);
    dns_sbuf_printf(b, "LOC:  %u %u %u", (unsigned)size, (unsigned)hp, (unsigned)vp);
    dns_reply_sbuf(w, b);
    return true;
}

/* CAA (RFC 8659): flags, tag length, tag, value.  Zeek logs no answer. */
static bool dns_rr_caa(struct dns_walk *w, uint16_t rdlength)
{
    struct cursor rd;
    uint8_t flags, taglen;
    if (cursor_sub(&w->c, rdlength, &rd) < 0 || cursor_u8(&rd, &flags) < 0 ||
        cursor_u8(&rd, &taglen) < 0)
        return false;
    if ((int)taglen >= (int)rdlength - 2) {
        dns_on_weird(w->s, "DNS_CAA_char_str_past_rdlen", NULL);
        return false;
    }
    return true;
}

/* A stepped-over RR with a fixed rendering (or none when text is NULL). */
static bool dns_rr_fixed(struct dns_walk *w, uint16_t rdlength, const char *text)
{
    if (cursor_skip(&w->c, rdlength) < 0)
        return false;
    if (text)
        dns_reply(w, text, strlen(text));
    return true;
}

static bool dns_rr_unknown(struct dns_walk *w, uint16_t rdlength)
{
    char num[16], txt[40];
    snprintf(num, sizeof(num), "%u", (unsigned)w->atype);
    snprintf(txt, sizeof(txt), "<unknown type=%u>", (unsigned)w->atype);
    dns_reply(w, txt, strlen(txt));
    dns_on_weird(w->s, "DNS_RR_unknown_type", num);
    return cursor_skip(&w->c, rdlength) == 0;
}

static bool dns_rr_dispatch(struct dns_walk *w, uint16_t rdlength)
{
    switch (w->atype) {
    case T_A: return dns_rr_a(w, rdlength);
    case T_AAAA:
    case T_A6: return dns_rr_aaaa(w);
    case T_NS:
    case T_CNAME:
    case T_PTR: return dns_rr_name(w, rdlength, 0);
    case T_MX: return dns_rr_name(w, rdlength, 1);
    case T_SRV:
        if (w->h.netbios) /* NBSTAT: Zeek leaves it, and the cursor, alone */
            return true;
        return dns_rr_name(w, rdlength, 3);
    case T_SOA: return dns_rr_soa(w, rdlength);
    case T_TXT: return dns_rr_txt(w, rdlength, "TXT");
    case T_SPF: return dns_rr_txt(w, rdlength, "SPF");
    case T_NAPTR: return dns_rr_naptr(w, rdlength);
    case T_RRSIG: return dns_rr_rrsig(w, rdlength);
    case T_DNSKEY:
    case T_DS:
    case T_SSHFP: return dns_rr_dnssec(w, rdlength);
    case T_NSEC: return dns_rr_nsec(w, rdlength);
    case T_NSEC3: return dns_rr_fixed(w, rdlength, "NSEC3");
    case T_NSEC3PARAM: return dns_rr_fixed(w, rdlength, "NSEC3PARAM");
    case T_BINDS: return dns_rr_fixed(w, rdlength, "BIND9 signing signal");
    case T_LOC: return dns_rr_loc(w, rdlength);
    case T_WKS: return dns_rr_fixed(w, rdlength, "");
    case T_CAA: return dns_rr_caa(w, rdlength);
    case T_HINFO:
    case T_NB:
    case T_OPT:
    case T_TSIG:
    case T_SVCB:
    case T_HTTPS: return dns_rr_fixed(w, rdlength, NULL);
    default: return dns_rr_unknown(w, rdlength);
    }
}

/* RFC 2136 prerequisites and deletions: "pre: ..." / "del: ..." as Zeek's
 * dns_dynamic_update_pre/_del handlers write them. */
static void dns_rr_update_meta(struct dns_walk *w)
{
    char tb[32];
    const char *tn = dns_qtype_name(w->atype, tb, sizeof(tb));
    struct dns_sbuf *b = dns_on_scratch(w->s);
    dns_sbuf_reset(b);
    if (w->sec == DNS_SEC_PREREQ) {
        if (w->aclass == C_NONE && w->atype == T_ANY)
            dns_sbuf_printf(b, "pre: NameNotInUse %s", w->rrname);
        else if (w->aclass == C_ANY && w->atype == T_ANY)
            dns_sbuf_printf(b, "pre: NameInUse %s", w->rrname);
        else if (w->aclass == C_NONE)
            dns_sbuf_printf(b, "pre: NoRRSet %s %s", tn, w->rrname);
        else
            dns_sbuf_printf(b, "pre: RRSetExists %s %s", tn, w->rrname);
    } else {
        if (w->aclass == C_ANY && w->atype == T_ANY)
            dns_sbuf_printf(b, "del: RRSet * %s", w->rrname);
        else if (w->aclass == C_NONE)
            dns_sbuf_printf(b, "del: RR %s %s", tn, w->rrname);
        else
            dns_sbuf_printf(b, "del: RRSet %s", tn);
    }
    dns_reply_sbuf(w, b);
}

static bool dns_parse_rr(struct dns_walk *w)
{
    w->rrname_len = dns_name_read(w, &w->c, w->rrname);
    if (!cursor_has(&w->c, 4)) {
        dns_on_weird(w->s, "DNS_truncated_ans_too_short", NULL);
        return false;
    }
    w->atype = dns_short(&w->c);
    w->aclass = dns_short(&w->c);
    w->ttl = dns_long(&w->c);
    uint16_t rdlength = dns_short(&w->c);
    if (rdlength > cursor_left(&w->c)) {
        dns_on_weird(w->s, "DNS_truncated_RR_rdlength_lt_len", NULL);
        return false;
    }
    bool meta = (w->sec == DNS_SEC_PREREQ &&
                 (rdlength == 0 || w->aclass == C_NONE || w->aclass == C_ANY)) ||
                (w->sec == DNS_SEC_UPDATE && (w->aclass == C_NONE || w->aclass == C_ANY));
    if (meta) {
        dns_rr_update_meta(w);
        return cursor_skip(&w->c, rdlength) == 0;
    }
    if (rdlength == 0 && cursor_left(&w->c) > 0 && w->atype != T_OPT) {
        dns_on_weird(w->s, "DNS_zero_rdlength", NULL);
        return false;
    }
    return dns_rr_dispatch(w, rdlength);
}

static bool dns_parse_rrs(struct dns_walk *w, unsigned n, enum dns_section sec)
{
    w->sec = sec;
    while (n > 0 && dns_parse_rr(w))
        n--;
    return n == 0;
}

static bool dns_parse_question(struct dns_walk *w)
{
    char name[DNS_NAME_ROOM + 1];
    uint16_t qtype, qclass;
    size_t n = dns_name_read(w, &w->c, name);
    if (!cursor_has(&w->c, 4)) {
        dns_on_weird(w->s, "DNS_truncated_quest_too_short", NULL);
        return false;
    }
    qtype = dns_short(&w->c);
    qclass = dns_short(&w->c);
    if (!w->h.qr) {
        /* An update's zone section is not a question (RFC 2136 2.3). */
        if (!(w->h.opcode == DNS_OP_UPDATE && !w->h.netbios))
            dns_on_request(w->s, &w->h, name, n, qtype, qclass);
    } else if (w->h.ancount == 0 && w->h.nscount == 0 && w->h.arcount == 0) {
        dns_on_rejected(w->s);
    }
    return true;
}

void dns_hdr_parse(struct cursor *c, struct dns_hdr *h)
{
    uint16_t flags = 0;
    (void)cursor_u16be(c, &h->id);
    (void)cursor_u16be(c, &flags);
    (void)cursor_u16be(c, &h->qdcount);
    (void)cursor_u16be(c, &h->ancount);
    (void)cursor_u16be(c, &h->nscount);
    (void)cursor_u16be(c, &h->arcount);
    h->qr = flags >> 15;
    h->opcode = (uint8_t)((flags >> 11) & 0xf);
    h->aa = (flags >> 10) & 1;
    h->tc = (flags >> 9) & 1;
    h->rd = (flags >> 8) & 1;
    h->ra = (flags >> 7) & 1;
    h->z = (uint8_t)((flags >> 4) & 7);
    h->rcode = (uint8_t)(flags & 0xf);
}

void dns_msg_parse(struct dns_session *s, const uint8_t *data, size_t len, int64_t ts)
{
    struct dns_walk w;
    (void)ts;
    if (len < DNS_HDR_LEN) {
        dns_on_weird(s, "DNS_truncated_len_lt_hdr_len", NULL);
        return;
    }
    memset(&w.h, 0, sizeof(w.h));
    w.s = s;
    w.start = data;
    cursor_init(&w.c, data, len);
    dns_hdr_parse(&w.c, &w.h);
    w.h.netbios = dns_on_netbios(s);
    dns_on_message(s, &w.h);
    if (w.h.qdcount > DNS_MAX_QUERIES) {
        dns_on_weird(s, "DNS_Conn_count_too_large", NULL);
        goto end;
    }
    for (unsigned n = w.h.qdcount; n > 0; n--)
        if (!dns_parse_question(&w))
            goto end;
    bool update = w.h.opcode == DNS_OP_UPDATE;
    if (!dns_parse_rrs(&w, w.h.ancount, update ? DNS_SEC_PREREQ : DNS_SEC_ANS))
        goto end;
    dns_on_confirm(s);
    if (update)
        (void)dns_parse_rrs(&w, w.h.nscount, DNS_SEC_UPDATE);
end:
    dns_on_end(s, &w.h);
}
