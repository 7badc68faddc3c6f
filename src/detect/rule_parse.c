/*
 * rule_parse.c - one Suricata signature from text to struct rule: the
 * header (action, protocol, addresses, ports, direction), the option list
 * split on unescaped ';', and dispatch of each option to its keyword's
 * parser through the table in rule_keywords.c.
 *
 * Follows the Suricata rules reference ("Rules format": action, header,
 * rule options).  Grammar:
 *
 *     rule    := action WS proto WS addr WS port WS dir WS addr WS port WS
 *                "(" option* ")"
 *     action  := alert | pass | drop | reject | rejectsrc | rejectdst | rejectboth
 *     dir     := "->" | "<>"
 *     option  := name [":" value] ";"       ';' and '"' inside a value are
 *                                           escaped with '\'
 *
 * The sid is looked up before anything else so that every error sentence,
 * even one about the header, names the rule.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "detect/rule_int.h"
#include "detect/rule_pkt.h"

static const char *const proto_names[RULE_PROTO_COUNT] = {
    [RULE_PROTO_IP] = "ip",         [RULE_PROTO_TCP] = "tcp",
    [RULE_PROTO_TCP_PKT] = "tcp-pkt", [RULE_PROTO_TCP_STREAM] = "tcp-stream",
    [RULE_PROTO_UDP] = "udp",       [RULE_PROTO_ICMP] = "icmp",
    [RULE_PROTO_SCTP] = "sctp",     [RULE_PROTO_HTTP] = "http",
    [RULE_PROTO_HTTP2] = "http2",   [RULE_PROTO_DNS] = "dns",
    [RULE_PROTO_TLS] = "tls",       [RULE_PROTO_SSH] = "ssh",
    [RULE_PROTO_SMTP] = "smtp",     [RULE_PROTO_FTP] = "ftp",
    [RULE_PROTO_FTP_DATA] = "ftp-data", [RULE_PROTO_SMB] = "smb",
    [RULE_PROTO_DCERPC] = "dcerpc", [RULE_PROTO_DHCP] = "dhcp",
    [RULE_PROTO_NTP] = "ntp",       [RULE_PROTO_TFTP] = "tftp",
    [RULE_PROTO_KRB5] = "krb5",     [RULE_PROTO_SNMP] = "snmp",
    [RULE_PROTO_SIP] = "sip",       [RULE_PROTO_RDP] = "rdp",
    [RULE_PROTO_IMAP] = "imap",     [RULE_PROTO_POP3] = "pop3",
    [RULE_PROTO_MODBUS] = "modbus", [RULE_PROTO_DNP3] = "dnp3",
    [RULE_PROTO_ENIP] = "enip",     [RULE_PROTO_FILE] = "file",
};

const char *rule_proto_name(unsigned proto)
{
    return proto < RULE_PROTO_COUNT ? proto_names[proto] : "?";
}

static int proto_lookup(const char *s)
{
    if (strcmp(s, "pkthdr") == 0 || strcmp(s, "ipv4") == 0 || strcmp(s, "ipv6") == 0 ||
        strcmp(s, "ip4") == 0 || strcmp(s, "ip6") == 0)
        return RULE_PROTO_IP;
    if (strcmp(s, "icmpv4") == 0 || strcmp(s, "icmpv6") == 0)
        return RULE_PROTO_ICMP;
    if (strcmp(s, "http1") == 0)
        return RULE_PROTO_HTTP;
    if (strcmp(s, "ssl") == 0)
        return RULE_PROTO_TLS;
    if (strcmp(s, "smtp-data") == 0)
        return RULE_PROTO_SMTP;
    for (int i = 0; i < RULE_PROTO_COUNT; i++)
        if (strcmp(s, proto_names[i]) == 0)
            return i;
    return -1;
}

static int action_lookup(const char *s)
{
    static const char *const names[] = {"alert",     "pass",      "drop",      "reject",
                                        "rejectsrc", "rejectdst", "rejectboth"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(s, names[i]) == 0)
            return (int)i;
    return -1;
}

/* Split the header into words; brackets group (address lists may hold
 * spaces after commas). */
static int header_words(char *h, char **w, int max)
{
    int n = 0, depth = 0;
    char *q = h;
    while (*q) {
        while (*q && isspace((unsigned char)*q))
            q++;
        if (!*q)
            break;
        if (n >= max)
            return -1;
        w[n++] = q;
        while (*q && (depth > 0 || !isspace((unsigned char)*q))) {
            if (*q == '[')
                depth++;
            else if (*q == ']' && depth > 0)
                depth--;
            q++;
        }
        if (*q)
            *q++ = '\0';
    }
    return n;
}

static int header_parse(struct rule_pctx *p, char *h)
{
    char *w[8];
    char err[256];
    struct rule *r = p->r;
    p->kw = "header";
    int n = header_words(h, w, 8);
    if (n != 7)
        return rule_fail(p, RULE_ERR_INVALID,
                         "expected 'action proto src sport -> dst dport' before '(' (%d words)", n);
    int a = action_lookup(w[0]);
    if (a < 0)
        return rule_fail(p, RULE_ERR_INVALID, "unknown action '%.40s'", w[0]);
    r->action = (uint8_t)a;
    int pr = proto_lookup(w[1]);
    if (pr < 0) {
        p->kw = "protocol";
        return rule_fail(p, RULE_ERR_UNSUPPORTED, "unsupported protocol '%.40s'", w[1]);
    }
    r->proto = (uint8_t)pr;
    r->app_proto = RULE_PROTO_IS_APP(pr) ? (uint8_t)pr : 0;
    if (strcmp(w[4], "->") == 0)
        r->bidir = 0;
    else if (strcmp(w[4], "<>") == 0)
        r->bidir = 1;
    else
        return rule_fail(p, RULE_ERR_INVALID, "direction must be '->' or '<>', not '%.20s'", w[4]);
    /* 1: the ranges are the ruleset's (rule_addr.c's memo), rule_free leaves them */
    static const uint8_t bit[4] = {RULE_SHARED_SRC, RULE_SHARED_DST, RULE_SHARED_SPORT,
                                   RULE_SHARED_DPORT};
    for (int i = 0; i < 4; i++) {
        int rc = i == 0   ? rule_addr_parse(p->rs, w[2], &r->src, err, sizeof err)
                 : i == 1 ? rule_addr_parse(p->rs, w[5], &r->dst, err, sizeof err)
                 : i == 2 ? rule_port_parse(p->rs, w[3], &r->sport, err, sizeof err)
                          : rule_port_parse(p->rs, w[6], &r->dport, err, sizeof err);
        if (rc < 0)
            return rule_fail(p, RULE_ERR_INVALID, "%s", err);
        if (rc == 1)
            r->sets_shared |= bit[i];
    }
    return 0;
}

/* Split the option text (between the parentheses) on unescaped ';'. */
static int options_split(char *s, char **opts, int max)
{
    int n = 0;
    char *start = s;
    for (char *q = s; *q; q++) {
        if (*q == '\\' && q[1]) {
            q++;
            continue;
        }
        if (*q == ';') {
            *q = '\0';
            char *t = rule_trim(start);
            if (*t) {
                if (n >= max)
                    return -1;
                opts[n++] = t;
            }
            start = q + 1;
        }
    }
    if (*rule_trim(start))
        return -2; /* text after the last ';' */
    return n;
}

static void option_name_value(char *opt, char **name, char **val)
{
    char *colon = strchr(opt, ':');
    *val = NULL;
    if (colon) {
        *colon = '\0';
        *val = rule_trim(colon + 1);
    }
    *name = rule_trim(opt);
}

/* The sid, found before the rest is parsed so errors can name it. */
static void sid_prescan(char **opts, int n, struct rule_error *e)
{
    for (int i = 0; i < n; i++) {
        const char *o = opts[i];
        while (isspace((unsigned char)*o))
            o++;
        if (strncmp(o, "sid", 3) != 0)
            continue;
        o += 3;
        while (isspace((unsigned char)*o))
            o++;
        if (*o != ':')
            continue;
        char *end;
        unsigned long v = strtoul(o + 1, &end, 10);
        if (v > 0 && v <= 0xffffffffUL)
            e->sid = (uint32_t)v;
        return;
    }
}

static int option_apply(struct rule_pctx *p, char *opt)
{
    char *name, *val;
    option_name_value(opt, &name, &val);
    p->kw = name;
    const struct rule_keyword *kw = rule_keyword_find(name);
    if (!kw) {
        char nm[64];
        snprintf(nm, sizeof nm, "%s", name);
        p->kw = nm;
        int rc = rule_fail(p, RULE_ERR_UNSUPPORTED, "unsupported keyword '%s'", nm);
        p->kw = NULL;
        return rc;
    }
    p->kw = kw->name;
    if ((kw->flags & RULE_KW_NOARG) && val && *val)
        return rule_fail(p, RULE_ERR_INVALID, "takes no value");
    if ((kw->flags & RULE_KW_ARG) && (!val || !*val))
        return rule_fail(p, RULE_ERR_INVALID, "needs a value");
    return kw->parse(p, val ? val : (char *)"", kw->arg);
}

/* Give back the unused tail of each element list (lists grow by doubling
 * from 4; most hold one or two elements). */
static void elems_trim(struct rule *r)
{
    for (uint32_t b = 0; b < r->n_bufs; b++) {
        struct rule_buflist *l = &r->bufs[b];
        if (l->n == 0 || l->n == l->cap)
            continue;
        struct rule_elem *ne = realloc(l->elems, l->n * sizeof *ne);
        if (ne) {
            l->elems = ne;
            l->cap = l->n;
        }
    }
}

static int rule_finish(struct rule_pctx *p)
{
    struct rule *r = p->r;
    p->kw = "sid";
    if (r->sid == 0)
        return rule_fail(p, RULE_ERR_INVALID, "the rule has no sid");
    p->kw = "msg";
    if (!r->msg) {
        r->msg = rule_strndup("", 0);
        if (!r->msg)
            return rule_fail(p, RULE_ERR_INVALID, "out of memory");
    }
    if (r->gid == 0)
        r->gid = 1;
    if (r->priority == 0)
        r->priority = 3;
    if (rule_content_finish(p) < 0)
        return -1;
    elems_trim(r);
    rule_meta_pack(r);
    return 0;
}

/* Rules up to this long are split in a stack buffer (ET Open's longest is
 * under 4 KiB); longer ones in a malloc'd copy.  A 4 KiB malloc per rule
 * (the option array) made glibc consolidate its fast bins every time. */
#define RULE_PARSE_STACK_TEXT 8192

struct rule *rule_parse(const struct ruleset *rs, const char *text, size_t len, const char *file,
                        unsigned line, struct rule_error *e)
{
    memset(e, 0, sizeof *e);
    struct rule_pctx pc = {.rs = rs, .file = file, .line = line, .e = e, .last_list = -1,
                           .last_rel_list = -1, .cur_buf = RULE_BUF_PKT};
    struct rule *r = calloc(1, sizeof *r);
    char sbuf[RULE_PARSE_STACK_TEXT];
    char *opts[RULE_OPTS_MAX];
    char *buf = NULL;
    if (!r)
        return NULL;
    pc.r = r;
    if (rs->strpool) /* classtype and metadata strings go there as they are parsed */
        r->meta_flags = RULE_META_POOLED;
    if (len > RULE_TEXT_MAX) {
        rule_fail(&pc, RULE_ERR_INVALID, "rule is longer than %u bytes", RULE_TEXT_MAX);
        goto fail;
    }
    if (len < sizeof sbuf) {
        memcpy(sbuf, text, len);
        sbuf[len] = '\0';
        buf = sbuf;
    } else if ((buf = rule_strndup(text, len)) == NULL) {
        rule_fail(&pc, RULE_ERR_INVALID, "out of memory");
        goto fail;
    }
    char *t = rule_trim(buf);
    char *open = strchr(t, '(');
    size_t tl = strlen(t);
    if (!open || tl == 0 || t[tl - 1] != ')') {
        rule_fail(&pc, RULE_ERR_INVALID, "options must be enclosed in '(' ... ')'");
        goto fail;
    }
    *open = '\0';
    t[tl - 1] = '\0';
    int n = options_split(open + 1, opts, RULE_OPTS_MAX);
    if (n < 0) {
        rule_fail(&pc, RULE_ERR_INVALID,
                  n == -1 ? "more than %d options" : "text after the last ';' (option %d)",
                  RULE_OPTS_MAX);
        goto fail;
    }
    sid_prescan(opts, n, e);
    if (header_parse(&pc, t) < 0)
        goto fail;
    for (int i = 0; i < n; i++)
        if (option_apply(&pc, opts[i]) < 0)
            goto fail;
    pc.kw = NULL;
    if (rule_finish(&pc) < 0)
        goto fail;
    if (buf != sbuf)
        free(buf);
    return r;
fail:
    if (e->kind == RULE_ERR_NONE)
        rule_fail(&pc, RULE_ERR_INVALID, "out of memory");
    if (buf != sbuf)
        free(buf);
    rule_free(r);
    return NULL;
}

void rule_free(struct rule *r)
{
    if (!r)
        return;
    if (!(r->sets_shared & RULE_SHARED_SRC))
        rule_addr_set_free(&r->src);
    if (!(r->sets_shared & RULE_SHARED_DST))
        rule_addr_set_free(&r->dst);
    if (!(r->sets_shared & RULE_SHARED_SPORT))
        rule_port_set_free(&r->sport);
    if (!(r->sets_shared & RULE_SHARED_DPORT))
        rule_port_set_free(&r->dport);
    rule_meta_free(r);
    for (uint32_t i = 0; i < r->n_bits; i++)
        free(r->bits[i].name);
    free(r->bits);
    for (uint32_t i = 0; i < r->n_flowints; i++) {
        free(r->flowints[i].name);
        free(r->flowints[i].var);
    }
    free(r->flowints);
    rule_px_free(r->px);
    free(r->cond);
    free(r->app_event);
    free(r->tls_version);
    rule_file_free(r->file);
    for (uint32_t b = 0; b < r->n_bufs; b++) {
        struct rule_buflist *l = &r->bufs[b];
        for (uint32_t i = 0; i < l->n; i++) {
            struct rule_elem *el = &l->elems[i];
            if (el->kind == RULE_ELEM_CONTENT)
                free(el->u.content.bytes);
            else if (el->kind == RULE_ELEM_PCRE)
                rule_pcre_free(&el->u.pcre);
        }
        free(l->elems);
    }
    free(r->bufs);
    free(r);
}
