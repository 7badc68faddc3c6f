/*
 * rule_keywords.c - the keyword table (every option keyword Vigil accepts:
 * name -> parser -> flags, one slot each, as Suricata registers its
 * keywords) and the parsers of the flow, state and packet keywords: flow,
 * flowbits, xbits, flowint, noalert, dsize, ttl, itype, icode, ip_proto,
 * urilen, window, id, seq, ack, icmp_id, icmp_seq, flags, stream_size,
 * threshold, detection_filter, tag, tls.version, app-layer-event,
 * ftpbounce.
 *
 * Follows the Suricata rules reference ("Flow keywords", "Header
 * keywords", "Thresholding keywords", "Flowint", "Xbits").  Grammars:
 *
 *     flow      := FLOWOPT ("," FLOWOPT)*
 *     flowbits  := noalert | (set|isset|isnotset|unset|toggle) "," NAME
 *     xbits     := CMD "," NAME "," "track" (ip_src|ip_dst|ip_pair) ["," "expire" N]
 *     flags     := [MOD] FLAGCHARS [MOD] ["," FLAGCHARS]     MOD := + * !
 *     threshold := "type" T "," "track" K "," "count" N "," "seconds" N
 *                  (fields in any order)
 *
 * Anything a keyword does not understand is an error naming the keyword.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "detect/rule_int.h"
#include "detect/rule_pkt.h"

static int kw_flow(struct rule_pctx *p, char *val, int arg)
{
    static const struct {
        const char *name;
        uint32_t bit;
    } opts[] = {
        {"established", RULE_FLOW_ESTABLISHED}, {"not_established", RULE_FLOW_NOT_ESTABLISHED},
        {"stateless", RULE_FLOW_STATELESS},     {"to_server", RULE_FLOW_TO_SERVER},
        {"from_client", RULE_FLOW_TO_SERVER},   {"to_client", RULE_FLOW_TO_CLIENT},
        {"from_server", RULE_FLOW_TO_CLIENT},   {"only_stream", RULE_FLOW_ONLY_STREAM},
        {"no_stream", RULE_FLOW_NO_STREAM},     {"only_frag", RULE_FLOW_ONLY_FRAG},
        {"no_frag", RULE_FLOW_NO_FRAG},
    };
    (void)arg;
    char *parts[16];
    int n = rule_split(val, ',', parts, 16);
    if (n < 0)
        return rule_fail(p, RULE_ERR_INVALID, "too many options");
    if (p->r->flow)
        return rule_fail(p, RULE_ERR_INVALID, "given twice");
    for (int i = 0; i < n; i++) {
        size_t k;
        for (k = 0; k < sizeof opts / sizeof opts[0]; k++)
            if (strcmp(parts[i], opts[k].name) == 0)
                break;
        if (k == sizeof opts / sizeof opts[0])
            return rule_fail(p, RULE_ERR_INVALID, "unknown option '%.40s'", parts[i]);
        if (p->r->flow & opts[k].bit)
            return rule_fail(p, RULE_ERR_INVALID, "option '%s' given twice", parts[i]);
        p->r->flow |= opts[k].bit;
    }
    uint32_t f = p->r->flow;
    if ((f & RULE_FLOW_TO_SERVER) && (f & RULE_FLOW_TO_CLIENT))
        return rule_fail(p, RULE_ERR_INVALID, "to_server and to_client contradict");
    if ((f & RULE_FLOW_ESTABLISHED) && (f & (RULE_FLOW_NOT_ESTABLISHED | RULE_FLOW_STATELESS)))
        return rule_fail(p, RULE_ERR_INVALID, "established contradicts not_established/stateless");
    if ((f & RULE_FLOW_ONLY_STREAM) && (f & RULE_FLOW_NO_STREAM))
        return rule_fail(p, RULE_ERR_INVALID, "only_stream and no_stream contradict");
    if ((f & RULE_FLOW_ONLY_FRAG) && (f & RULE_FLOW_NO_FRAG))
        return rule_fail(p, RULE_ERR_INVALID, "only_frag and no_frag contradict");
    return 0;
}

static int bit_add(struct rule_pctx *p, int cmd, int scope, const char *name, uint32_t expire)
{
    struct rule *r = p->r;
    if (r->n_bits >= 64)
        return rule_fail(p, RULE_ERR_INVALID, "more than 64 bit operations");
    struct rule_bit *nb = realloc(r->bits, (r->n_bits + 1) * sizeof *nb);
    if (!nb)
        return rule_fail(p, RULE_ERR_INVALID, "out of memory");
    r->bits = nb;
    char *nm = rule_strndup(name, strlen(name));
    if (!nm)
        return rule_fail(p, RULE_ERR_INVALID, "out of memory");
    nb[r->n_bits++] = (struct rule_bit){(uint8_t)cmd, (uint8_t)scope, nm, expire};
    return 0;
}

static int bit_cmd(const char *s)
{
    static const char *const cmds[] = {"set", "isset", "isnotset", "unset", "toggle"};
    for (int i = 0; i < 5; i++)
        if (strcmp(s, cmds[i]) == 0)
            return i;
    return -1;
}

static int kw_flowbits(struct rule_pctx *p, char *val, int arg)
{
    (void)arg;
    char *parts[3];
    int n = rule_split(val, ',', parts, 2);
    if (n == 1 && strcmp(parts[0], "noalert") == 0) {
        p->r->noalert = 1;
        return 0;
    }
    if (n != 2)
        return rule_fail(p, RULE_ERR_INVALID, "expected 'command,name' or 'noalert'");
    int cmd = bit_cmd(parts[0]);
    if (cmd < 0)
        return rule_fail(p, RULE_ERR_INVALID, "unknown command '%.40s'", parts[0]);
    if (!rule_valid_name(parts[1]))
        return rule_fail(p, RULE_ERR_INVALID, "bad flowbit name '%.40s'", parts[1]);
    if ((cmd == RULE_BIT_TOGGLE || cmd == RULE_BIT_UNSET) && strpbrk(parts[1], "|&"))
        return rule_fail(p, RULE_ERR_INVALID, "'|' and '&' only combine names for isset/isnotset/set");
    return bit_add(p, cmd, RULE_BITS_FLOW, parts[1], 0);
}

static int kw_xbits(struct rule_pctx *p, char *val, int arg)
{
    (void)arg;
    char *parts[5];
    int n = rule_split(val, ',', parts, 4);
    if (n < 3)
        return rule_fail(p, RULE_ERR_INVALID, "expected 'command,name,track TYPE[,expire N]'");
    int cmd = bit_cmd(parts[0]);
    if (cmd < 0)
        return rule_fail(p, RULE_ERR_INVALID, "unknown command '%.40s'", parts[0]);
    if (!rule_valid_name(parts[1]))
        return rule_fail(p, RULE_ERR_INVALID, "bad name '%.40s'", parts[1]);
    int scope;
    if (strcmp(parts[2], "track ip_src") == 0)
        scope = RULE_BITS_IP_SRC;
    else if (strcmp(parts[2], "track ip_dst") == 0)
        scope = RULE_BITS_IP_DST;
    else if (strcmp(parts[2], "track ip_pair") == 0)
        scope = RULE_BITS_IP_PAIR;
    else
        return rule_fail(p, RULE_ERR_INVALID, "'%.40s' is not track ip_src|ip_dst|ip_pair",
                         parts[2]);
    uint32_t expire = 0;
    if (n == 4 && (strncmp(parts[3], "expire", 6) != 0 ||
                   rule_parse_u32(parts[3] + 6, 0xffffffffu, &expire) < 0 || expire == 0))
        return rule_fail(p, RULE_ERR_INVALID, "'%.40s' is not 'expire N'", parts[3]);
    return bit_add(p, cmd, scope, parts[1], expire);
}

static int kw_flowint(struct rule_pctx *p, char *val, int arg)
{
    static const char *const ops[] = {"=", "+", "-", "==", "!=", "<", "<=", ">", ">=",
                                      "isset", "notset", "isnotset"};
    (void)arg;
    char *parts[4];
    int n = rule_split(val, ',', parts, 3);
    if (n < 2 || !rule_valid_name(parts[0]))
        return rule_fail(p, RULE_ERR_INVALID, "expected 'name,op[,value]'");
    size_t k;
    for (k = 0; k < sizeof ops / sizeof ops[0]; k++)
        if (strcmp(parts[1], ops[k]) == 0)
            break;
    if (k == sizeof ops / sizeof ops[0])
        return rule_fail(p, RULE_ERR_INVALID, "unknown operator '%.20s'", parts[1]);
    int unary = k >= 9;
    if (unary != (n == 2))
        return rule_fail(p, RULE_ERR_INVALID, "operator '%s' %s a value", ops[k],
                         unary ? "takes no" : "needs");
    struct rule *r = p->r;
    if (r->n_flowints >= 32)
        return rule_fail(p, RULE_ERR_INVALID, "more than 32 flowint operations");
    struct rule_flowint fi = {0};
    snprintf(fi.op, sizeof fi.op, "%s", ops[k]);
    if (!unary && rule_parse_u64(parts[2], 0xffffffffu, &fi.value) < 0) {
        if (!rule_valid_name(parts[2]))
            return rule_fail(p, RULE_ERR_INVALID, "'%.40s' is not a number or a flowint",
                             parts[2]);
        fi.var = rule_strndup(parts[2], strlen(parts[2]));
    }
    fi.name = rule_strndup(parts[0], strlen(parts[0]));
    struct rule_flowint *nf = realloc(r->flowints, (r->n_flowints + 1) * sizeof *nf);
    if (!nf || !fi.name) {
        free(fi.name);
        free(fi.var);
        if (nf)
            r->flowints = nf;
        return rule_fail(p, RULE_ERR_INVALID, "out of memory");
    }
    r->flowints = nf;
    nf[r->n_flowints++] = fi;
    return 0;
}

/* Numeric packet keywords: arg selects the field (bit in rule->has). */
static int kw_num(struct rule_pctx *p, char *val, int arg)
{
    struct rule *r = p->r;
    struct rule_cond *c = rule_cond_get(p);
    if (!c)
        return -1;
    struct {
        uint32_t bit;
        struct rule_num *n;
        uint64_t max;
    } f[] = {
        {RULE_HAS_DSIZE, &c->dsize, 65535},     {RULE_HAS_TTL, &c->ttl, 255},
        {RULE_HAS_ITYPE, &c->itype, 255},       {RULE_HAS_ICODE, &c->icode, 255},
        {RULE_HAS_URILEN, &c->urilen, 65535},   {RULE_HAS_WINDOW, &c->window, 65535},
        {RULE_HAS_ID, &c->ipid, 65535},         {RULE_HAS_SEQ, &c->seq, 0xffffffffu},
        {RULE_HAS_ACK, &c->ack, 0xffffffffu},   {RULE_HAS_ICMP_ID, &c->icmp_id, 65535},
        {RULE_HAS_ICMP_SEQ, &c->icmp_seq, 65535},
    };
    if (arg < 0 || (size_t)arg >= sizeof f / sizeof f[0])
        return rule_fail(p, RULE_ERR_INVALID, "internal: bad field");
    if (r->has & f[arg].bit)
        return rule_fail(p, RULE_ERR_INVALID, "given twice");
    if (f[arg].bit == RULE_HAS_URILEN) {
        char *parts[3];
        int n = rule_split(val, ',', parts, 2);
        if (n == 2) {
            if (strcmp(parts[1], "raw") == 0)
                r->urilen_raw = 1;
            else if (strcmp(parts[1], "norm") != 0)
                return rule_fail(p, RULE_ERR_INVALID, "'%.20s' is not norm or raw", parts[1]);
        }
        val = parts[0];
        if (rule_buffer_check_proto(p, RULE_BUF_HTTP_URI) < 0)
            return -1;
    }
    if (rule_parse_num(val, f[arg].max, f[arg].n) < 0)
        return rule_fail(p, RULE_ERR_INVALID, "'%.40s' is not a number, comparison or range up "
                         "to %llu", val, (unsigned long long)f[arg].max);
    r->has |= f[arg].bit;
    return 0;
}

static int kw_ip_proto(struct rule_pctx *p, char *val, int arg)
{
    static const struct {
        const char *name;
        unsigned num;
    } names[] = {{"ip", 0},   {"hopopt", 0}, {"icmp", 1},  {"igmp", 2},  {"ipip", 4},
                 {"tcp", 6},  {"udp", 17},   {"ipv6", 41}, {"rsvp", 46}, {"gre", 47},
                 {"esp", 50}, {"ah", 51},    {"ipv6-icmp", 58}, {"icmpv6", 58}, {"pim", 103},
                 {"sctp", 132}};
    (void)arg;
    char buf[64];
    snprintf(buf, sizeof buf, "%s", val);
    char *t = buf;
    char prefix[3] = "";
    if (*t == '!' || *t == '<' || *t == '>') {
        prefix[0] = *t++;
    }
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(t, names[i].name) == 0) {
            snprintf(buf, sizeof buf, "%s%u", prefix, names[i].num);
            break;
        }
    }
    if (p->r->has & RULE_HAS_IP_PROTO)
        return rule_fail(p, RULE_ERR_INVALID, "given twice");
    struct rule_cond *c = rule_cond_get(p);
    if (!c)
        return -1;
    if (rule_parse_num(buf, 255, &c->ip_proto) < 0 || c->ip_proto.op == RULE_NUM_RANGE)
        return rule_fail(p, RULE_ERR_INVALID, "'%.40s' is not a protocol number or name", val);
    p->r->has |= RULE_HAS_IP_PROTO;
    return 0;
}

static int tcp_flag_bit(char c, uint8_t *bit)
{
    static const char chars[] = "FSRPAUCE";
    const char *q = strchr(chars, c);
    if (c && q) {
        *bit = (uint8_t)(1u << (q - chars));
        return 0;
    }
    if (c == '1') {
        *bit = 0x40; /* CWR, old name */
        return 0;
    }
    if (c == '2') {
        *bit = 0x80; /* ECE, old name */
        return 0;
    }
    return -1;
}

static int kw_flags(struct rule_pctx *p, char *val, int arg)
{
    (void)arg;
    struct rule_tcp_flags *f = &p->r->flags;
    if (p->r->has & RULE_HAS_FLAGS)
        return rule_fail(p, RULE_ERR_INVALID, "given twice");
    char *parts[3];
    int n = rule_split(val, ',', parts, 2);
    if (n < 1 || !*parts[0])
        return rule_fail(p, RULE_ERR_INVALID, "expected '[+*!]FLAGS[,MASK]'");
    for (const char *s = parts[0]; *s; s++) {
        uint8_t bit;
        if (*s == '+' || *s == '*' || *s == '!') {
            if (f->modifier)
                return rule_fail(p, RULE_ERR_INVALID, "more than one modifier");
            f->modifier = *s;
        } else if (*s == '0') {
            if (parts[0][1] && parts[0][0] == '0')
                return rule_fail(p, RULE_ERR_INVALID, "'0' (no flags) stands alone");
        } else if (tcp_flag_bit(*s, &bit) == 0) {
            f->set |= bit;
        } else {
            return rule_fail(p, RULE_ERR_INVALID, "unknown flag '%c'", *s);
        }
    }
    for (const char *s = n == 2 ? parts[1] : ""; *s; s++) {
        uint8_t bit;
        if (tcp_flag_bit(*s, &bit) < 0)
            return rule_fail(p, RULE_ERR_INVALID, "unknown mask flag '%c'", *s);
        f->mask |= bit;
    }
    f->present = 1;
    p->r->has |= RULE_HAS_FLAGS;
    return 0;
}

static int kw_stream_size(struct rule_pctx *p, char *val, int arg)
{
    static const char *const sides[] = {"server", "client", "both", "either"};
    (void)arg;
    char *parts[4];
    if (rule_split(val, ',', parts, 3) != 3)
        return rule_fail(p, RULE_ERR_INVALID, "expected 'side,operator,bytes'");
    int side = -1;
    for (int i = 0; i < 4; i++)
        if (strcmp(parts[0], sides[i]) == 0)
            side = i;
    if (side < 0)
        return rule_fail(p, RULE_ERR_INVALID, "'%.20s' is not server|client|both|either",
                         parts[0]);
    char expr[64];
    snprintf(expr, sizeof expr, "%s%s", strcmp(parts[1], "=") == 0 ? "" : parts[1], parts[2]);
    if (strcmp(parts[1], "!=") == 0)
        snprintf(expr, sizeof expr, "!%s", parts[2]);
    struct rule_cond *c = rule_cond_get(p);
    if (!c)
        return -1;
    if (rule_parse_num(expr, 0xffffffffu, &c->stream_size.num) < 0 ||
        c->stream_size.num.op == RULE_NUM_RANGE)
        return rule_fail(p, RULE_ERR_INVALID, "bad comparison '%.10s %.20s'", parts[1], parts[2]);
    c->stream_size.side = (uint8_t)side;
    p->r->has |= RULE_HAS_STREAM_SIZE;
    return 0;
}

static int track_parse(const char *s, int allow_flow)
{
    static const char *const t[] = {"by_src", "by_dst", "by_rule", "by_both", "by_flow"};
    for (int i = 0; i < (allow_flow ? 5 : 4); i++)
        if (strcmp(s, t[i]) == 0)
            return i;
    return -1;
}

/* threshold (arg 0) and detection_filter (arg 1). */
static int kw_threshold(struct rule_pctx *p, char *val, int arg)
{
    static const char *const types[] = {"", "limit", "threshold", "both", "backoff"};
    struct rule_threshold *t = arg ? &p->r->detection_filter : &p->r->threshold;
    if (t->type != RULE_THRESH_NONE)
        return rule_fail(p, RULE_ERR_INVALID, "given twice");
    char *parts[6];
    int n = rule_split(val, ',', parts, 5);
    int have_track = 0, have_count = 0, have_seconds = 0, have_mult = 0;
    t->type = arg ? RULE_THRESH_DETECTION_FILTER : RULE_THRESH_NONE;
    for (int i = 0; i < n; i++) {
        char *sp = strchr(parts[i], ' ');
        if (!sp)
            return rule_fail(p, RULE_ERR_INVALID, "'%.40s' is not 'name value'", parts[i]);
        *sp = '\0';
        char *v = rule_trim(sp + 1);
        int ok = 0;
        if (strcmp(parts[i], "type") == 0 && !arg) {
            for (int k = 1; k < 5; k++)
                if (strcmp(v, types[k]) == 0)
                    t->type = (uint8_t)k, ok = 1;
        } else if (strcmp(parts[i], "track") == 0) {
            int tr = track_parse(v, 1); /* by_flow: Suricata 7 */
            ok = tr >= 0 && !have_track++;
            t->track = (uint8_t)(tr < 0 ? 0 : tr);
        } else if (strcmp(parts[i], "count") == 0) {
            ok = rule_parse_u32(v, 0xffffffffu, &t->count) == 0 && !have_count++;
        } else if (strcmp(parts[i], "seconds") == 0) {
            ok = rule_parse_u32(v, 0xffffffffu, &t->seconds) == 0 && !have_seconds++;
        } else if (strcmp(parts[i], "multiplier") == 0) {
            ok = rule_parse_u32(v, 0xffffffffu, &t->multiplier) == 0 && !have_mult++;
        } else if (strcmp(parts[i], "unique_on") == 0 && arg && !t->unique_on) {
            t->unique_on = strcmp(v, "src_port") == 0   ? RULE_UNIQUE_SRC_PORT
                           : strcmp(v, "dst_port") == 0 ? RULE_UNIQUE_DST_PORT
                                                        : 0;
            ok = t->unique_on != 0;
        }
        if (!ok)
            return rule_fail(p, RULE_ERR_INVALID, "bad or repeated field '%.20s %.20s'", parts[i],
                             v);
    }
    if (!arg && t->type == RULE_THRESH_NONE)
        return rule_fail(p, RULE_ERR_INVALID, "needs 'type limit|threshold|both|backoff'");
    if (!have_track || !have_count)
        return rule_fail(p, RULE_ERR_INVALID, "needs track and count");
    if (t->type == RULE_THRESH_BACKOFF ? !have_mult || have_seconds : !have_seconds || have_mult)
        return rule_fail(p, RULE_ERR_INVALID, t->type == RULE_THRESH_BACKOFF
                                                  ? "backoff needs multiplier and no seconds"
                                                  : "needs seconds");
    if (t->count == 0 && t->type != RULE_THRESH_LIMIT)
        return rule_fail(p, RULE_ERR_INVALID, "count must be at least 1");
    return 0;
}

static int kw_tag(struct rule_pctx *p, char *val, int arg)
{
    (void)arg;
    char *parts[5];
    int n = rule_split(val, ',', parts, 4);
    struct rule_cond *c = rule_cond_get(p);
    if (!c)
        return -1;
    struct rule_tag *t = &c->tag;
    if (n < 1 || (strcmp(parts[0], "session") != 0 && strcmp(parts[0], "host") != 0))
        return rule_fail(p, RULE_ERR_INVALID, "expected 'session|host[,count,metric[,dir]]'");
    t->host = parts[0][0] == 'h';
    t->count = 256;
    if (n >= 2 && (n < 3 || rule_parse_u32(parts[1], 0xffffffffu, &t->count) < 0))
        return rule_fail(p, RULE_ERR_INVALID, "expected a count and a metric");
    if (n >= 3) {
        if (strcmp(parts[2], "packets") == 0)
            t->metric = 0;
        else if (strcmp(parts[2], "seconds") == 0)
            t->metric = 1;
        else if (strcmp(parts[2], "bytes") == 0)
            t->metric = 2;
        else
            return rule_fail(p, RULE_ERR_INVALID, "'%.20s' is not packets|seconds|bytes", parts[2]);
    }
    if (n == 4) {
        if (strcmp(parts[3], "src") == 0)
            t->dir = 1;
        else if (strcmp(parts[3], "dst") == 0)
            t->dir = 2;
        else
            return rule_fail(p, RULE_ERR_INVALID, "'%.20s' is not src|dst", parts[3]);
    } else if (t->host) {
        return rule_fail(p, RULE_ERR_INVALID, "host tagging needs src or dst");
    }
    p->r->has |= RULE_HAS_TAG;
    return 0;
}

/* tls.version (arg 0) and app-layer-event (arg 1): a checked name. */
static int kw_string_opt(struct rule_pctx *p, char *val, int arg)
{
    char **dst = arg ? &p->r->app_event : &p->r->tls_version;
    val = rule_unquote(val);
    if (*dst)
        return rule_fail(p, RULE_ERR_INVALID, "given twice");
    if (!arg && strcmp(val, "1.0") && strcmp(val, "1.1") && strcmp(val, "1.2") &&
        strcmp(val, "1.3") && strcmp(val, "sslv2") && strcmp(val, "sslv3") &&
        strcmp(val, "tls1.0") && strcmp(val, "tls1.1") && strcmp(val, "tls1.2") &&
        strcmp(val, "tls1.3"))
        return rule_fail(p, RULE_ERR_INVALID, "unknown version '%.20s'", val);
    if (arg && (!rule_valid_name(val) || !strchr(val, '.')))
        return rule_fail(p, RULE_ERR_INVALID, "'%.40s' is not 'protocol.event'", val);
    if (!arg && rule_buffer_check_proto(p, RULE_BUF_TLS_SNI) < 0)
        return -1;
    *dst = rule_strndup(val, strlen(val));
    return *dst ? 0 : rule_fail(p, RULE_ERR_INVALID, "out of memory");
}

static int kw_flag_only(struct rule_pctx *p, char *val, int arg)
{
    (void)val;
    if (arg == 0)
        p->r->noalert = 1;
    else
        p->r->ftpbounce = 1;
    return 0;
}

#define NUMKW(name, i) {name, kw_num, RULE_KW_ARG, i}
#define STICKY(name, b) {name, rule_kw_sticky, RULE_KW_NOARG | RULE_KW_STICKY, b}
#define LEGACY(name, b) {name, rule_kw_legacy_buf, RULE_KW_NOARG | RULE_KW_CONTENT_MOD, b}
#define LEGACY2(name, b) \
    {name, rule_kw_legacy_buf, RULE_KW_NOARG | RULE_KW_CONTENT_MOD, (b) | RULE_LEGACY_ALSO_STICKY}
#define MOD(name, m, f) {name, rule_kw_content_mod, (f) | RULE_KW_CONTENT_MOD, m}

static const struct rule_keyword keywords[] = {
    /* meta (rule_meta.c) */
    {"msg", rule_kw_meta, RULE_KW_ARG, 0},
    {"sid", rule_kw_meta, RULE_KW_ARG, 1},
    {"rev", rule_kw_meta, RULE_KW_ARG, 2},
    {"gid", rule_kw_meta, RULE_KW_ARG, 3},
    {"priority", rule_kw_meta, RULE_KW_ARG, 4},
    {"target", rule_kw_meta, RULE_KW_ARG, 5},
    {"classtype", rule_kw_classtype, RULE_KW_ARG, 0},
    {"reference", rule_kw_reference, RULE_KW_ARG, 0},
    {"metadata", rule_kw_metadata, RULE_KW_ARG, 0},
    /* payload (rule_content.c, rule_pcre.c, rule_byte.c) */
    {"content", rule_kw_content, RULE_KW_ARG, 0},
    {"uricontent", rule_kw_uricontent, RULE_KW_ARG, 0},
    MOD("nocase", RULE_MOD_NOCASE, RULE_KW_NOARG),
    MOD("offset", RULE_MOD_OFFSET, RULE_KW_ARG),
    MOD("depth", RULE_MOD_DEPTH, RULE_KW_ARG),
    MOD("distance", RULE_MOD_DISTANCE, RULE_KW_ARG),
    MOD("within", RULE_MOD_WITHIN, RULE_KW_ARG),
    MOD("startswith", RULE_MOD_STARTSWITH, RULE_KW_NOARG),
    MOD("endswith", RULE_MOD_ENDSWITH, RULE_KW_NOARG),
    MOD("fast_pattern", RULE_MOD_FAST_PATTERN, RULE_KW_OPTARG),
    MOD("rawbytes", RULE_MOD_RAWBYTES, RULE_KW_NOARG),
    /* transforms */
    {"dotprefix", rule_kw_transform, RULE_KW_NOARG, RULE_XFORM_DOTPREFIX},
    {"to_lowercase", rule_kw_transform, RULE_KW_NOARG, RULE_XFORM_TO_LOWERCASE},
    {"to_uppercase", rule_kw_transform, RULE_KW_NOARG, RULE_XFORM_TO_UPPERCASE},
    {"strip_whitespace", rule_kw_transform, RULE_KW_NOARG, RULE_XFORM_STRIP_WHITESPACE},
    {"compress_whitespace", rule_kw_transform, RULE_KW_NOARG, RULE_XFORM_COMPRESS_WHITESPACE},
    {"url_decode", rule_kw_transform, RULE_KW_NOARG, RULE_XFORM_URL_DECODE},
    {"to_md5", rule_kw_transform, RULE_KW_NOARG, RULE_XFORM_TO_MD5},
    {"to_sha1", rule_kw_transform, RULE_KW_NOARG, RULE_XFORM_TO_SHA1},
    {"to_sha256", rule_kw_transform, RULE_KW_NOARG, RULE_XFORM_TO_SHA256},
    {"header_lowercase", rule_kw_transform, RULE_KW_NOARG, RULE_XFORM_HEADER_LOWERCASE},
    {"strip_pseudo_headers", rule_kw_transform, RULE_KW_NOARG, RULE_XFORM_STRIP_PSEUDO_HEADERS},
    {"pcre", rule_kw_pcre, RULE_KW_ARG, 0},
    {"byte_test", rule_kw_byte, RULE_KW_ARG, RULE_ELEM_BYTE_TEST},
    {"byte_jump", rule_kw_byte, RULE_KW_ARG, RULE_ELEM_BYTE_JUMP},
    {"byte_extract", rule_kw_byte, RULE_KW_ARG, RULE_ELEM_BYTE_EXTRACT},
    {"isdataat", rule_kw_isdataat, RULE_KW_ARG, 0},
    {"bsize", rule_kw_bsize, RULE_KW_ARG, 0},
    {"base64_decode", rule_kw_base64_decode, RULE_KW_OPTARG, 0},
    {"asn1", rule_kw_asn1, RULE_KW_ARG, 0},
    /* sticky buffers */
    STICKY("pkt_data", RULE_BUF_PKT),
    STICKY("http.uri", RULE_BUF_HTTP_URI),
    STICKY("http.uri.raw", RULE_BUF_HTTP_URI_RAW),
    STICKY("http.method", RULE_BUF_HTTP_METHOD),
    STICKY("http.host", RULE_BUF_HTTP_HOST),
    STICKY("http.host.raw", RULE_BUF_HTTP_HOST_RAW),
    STICKY("http.user_agent", RULE_BUF_HTTP_USER_AGENT),
    STICKY("http.header", RULE_BUF_HTTP_HEADER),
    STICKY("http.header.raw", RULE_BUF_HTTP_HEADER_RAW),
    STICKY("http.header_names", RULE_BUF_HTTP_HEADER_NAMES),
    STICKY("http.cookie", RULE_BUF_HTTP_COOKIE),
    STICKY("http.request_body", RULE_BUF_HTTP_REQUEST_BODY),
    STICKY("http.client_body", RULE_BUF_HTTP_REQUEST_BODY),
    STICKY("http.stat_code", RULE_BUF_HTTP_STAT_CODE),
    STICKY("http.stat_msg", RULE_BUF_HTTP_STAT_MSG),
    STICKY("http.response_body", RULE_BUF_HTTP_RESPONSE_BODY),
    STICKY("http.content_type", RULE_BUF_HTTP_CONTENT_TYPE),
    STICKY("http.content_len", RULE_BUF_HTTP_CONTENT_LEN),
    STICKY("http.server", RULE_BUF_HTTP_SERVER),
    STICKY("http.referer", RULE_BUF_HTTP_REFERER),
    STICKY("http.location", RULE_BUF_HTTP_LOCATION),
    STICKY("http.accept", RULE_BUF_HTTP_ACCEPT),
    STICKY("http.accept_enc", RULE_BUF_HTTP_ACCEPT_ENC),
    STICKY("http.accept_lang", RULE_BUF_HTTP_ACCEPT_LANG),
    STICKY("http.connection", RULE_BUF_HTTP_CONNECTION),
    STICKY("http.start", RULE_BUF_HTTP_START),
    STICKY("http.protocol", RULE_BUF_HTTP_PROTOCOL),
    STICKY("http.request_line", RULE_BUF_HTTP_REQUEST_LINE),
    STICKY("http.response_line", RULE_BUF_HTTP_RESPONSE_LINE),
    STICKY("http.request_header", RULE_BUF_HTTP_REQUEST_HEADER),
    STICKY("http.response_header", RULE_BUF_HTTP_RESPONSE_HEADER),
    STICKY("dns.query", RULE_BUF_DNS_QUERY),
    STICKY("tls.sni", RULE_BUF_TLS_SNI),
    STICKY("tls.cert_subject", RULE_BUF_TLS_CERT_SUBJECT),
    STICKY("tls.cert_issuer", RULE_BUF_TLS_CERT_ISSUER),
    STICKY("tls.cert_serial", RULE_BUF_TLS_CERT_SERIAL),
    STICKY("tls.certs", RULE_BUF_TLS_CERTS),
    STICKY("ja3.hash", RULE_BUF_JA3_HASH),
    STICKY("ja3.string", RULE_BUF_JA3_STRING),
    STICKY("ja3s.hash", RULE_BUF_JA3S_HASH),
    STICKY("ssh.proto", RULE_BUF_SSH_PROTO),
    STICKY("ssh.software", RULE_BUF_SSH_SOFTWARE),
    STICKY("tls.cert_fingerprint", RULE_BUF_TLS_CERT_FINGERPRINT),
    STICKY("tls.subjectaltname", RULE_BUF_TLS_SAN),
    STICKY("tls.alpn", RULE_BUF_TLS_ALPN),
    STICKY("tls.random", RULE_BUF_TLS_RANDOM),
    STICKY("tls.random_time", RULE_BUF_TLS_RANDOM_TIME),
    STICKY("tls.random_bytes", RULE_BUF_TLS_RANDOM_BYTES),
    STICKY("ja3s.string", RULE_BUF_JA3S_STRING),
    STICKY("ssh.hassh", RULE_BUF_SSH_HASSH),
    STICKY("ssh.hassh.string", RULE_BUF_SSH_HASSH_STRING),
    STICKY("ssh.hassh.server", RULE_BUF_SSH_HASSH_SERVER),
    STICKY("ssh.hassh.server.string", RULE_BUF_SSH_HASSH_SERVER_STRING),
    STICKY("dns.queries.rrname", RULE_BUF_DNS_QUERIES_RRNAME),
    STICKY("dns.answers.rrname", RULE_BUF_DNS_ANSWERS_RRNAME),
    STICKY("dns.answer.name", RULE_BUF_DNS_ANSWERS_RRNAME),
    STICKY("smtp.helo", RULE_BUF_SMTP_HELO),
    STICKY("smtp.mail_from", RULE_BUF_SMTP_MAIL_FROM),
    STICKY("smtp.rcpt_to", RULE_BUF_SMTP_RCPT_TO),
    STICKY("file.data", RULE_BUF_FILE_DATA),
    STICKY("file_data", RULE_BUF_FILE_DATA),
    STICKY("file.name", RULE_BUF_FILE_NAME),
    STICKY("file.magic", RULE_BUF_FILE_MAGIC),
    STICKY("base64_data", RULE_BUF_BASE64_DATA),
    /* the older sticky spellings */
    STICKY("dns_query", RULE_BUF_DNS_QUERY),
    STICKY("tls_sni", RULE_BUF_TLS_SNI),
    STICKY("tls_cert_subject", RULE_BUF_TLS_CERT_SUBJECT),
    STICKY("tls_cert_issuer", RULE_BUF_TLS_CERT_ISSUER),
    STICKY("tls_cert_serial", RULE_BUF_TLS_CERT_SERIAL),
    STICKY("tls_cert_fingerprint", RULE_BUF_TLS_CERT_FINGERPRINT),
    STICKY("ssh_hassh", RULE_BUF_SSH_HASSH),
    STICKY("ssh_hassh_string", RULE_BUF_SSH_HASSH_STRING),
    STICKY("ssh_hassh_server", RULE_BUF_SSH_HASSH_SERVER),
    STICKY("ssh_hassh_server_string", RULE_BUF_SSH_HASSH_SERVER_STRING),
    STICKY("ja3_hash", RULE_BUF_JA3_HASH),
    STICKY("ja3_string", RULE_BUF_JA3_STRING),
    STICKY("ja3s_hash", RULE_BUF_JA3S_HASH),
    STICKY("ssh_proto", RULE_BUF_SSH_PROTO),
    STICKY("ssh_software", RULE_BUF_SSH_SOFTWARE),
    /* content modifiers of the pre-5.0 syntax */
    LEGACY("http_uri", RULE_BUF_HTTP_URI),
    LEGACY("http_raw_uri", RULE_BUF_HTTP_URI_RAW),
    LEGACY("http_method", RULE_BUF_HTTP_METHOD),
    LEGACY("http_host", RULE_BUF_HTTP_HOST),
    LEGACY("http_raw_host", RULE_BUF_HTTP_HOST_RAW),
    LEGACY("http_user_agent", RULE_BUF_HTTP_USER_AGENT),
    LEGACY("http_header", RULE_BUF_HTTP_HEADER),
    LEGACY("http_raw_header", RULE_BUF_HTTP_HEADER_RAW),
    LEGACY2("http_header_names", RULE_BUF_HTTP_HEADER_NAMES),
    LEGACY("http_cookie", RULE_BUF_HTTP_COOKIE),
    LEGACY("http_client_body", RULE_BUF_HTTP_REQUEST_BODY),
    LEGACY("http_stat_code", RULE_BUF_HTTP_STAT_CODE),
    LEGACY("http_stat_msg", RULE_BUF_HTTP_STAT_MSG),
    LEGACY2("http_server_body", RULE_BUF_HTTP_RESPONSE_BODY),
    LEGACY2("http_content_type", RULE_BUF_HTTP_CONTENT_TYPE),
    LEGACY2("http_server", RULE_BUF_HTTP_SERVER),
    LEGACY2("http_referer", RULE_BUF_HTTP_REFERER),
    LEGACY2("http_accept", RULE_BUF_HTTP_ACCEPT),
    LEGACY2("http_accept_enc", RULE_BUF_HTTP_ACCEPT_ENC),
    LEGACY2("http_accept_lang", RULE_BUF_HTTP_ACCEPT_LANG),
    LEGACY2("http_connection", RULE_BUF_HTTP_CONNECTION),
    LEGACY2("http_start", RULE_BUF_HTTP_START),
    LEGACY2("http_protocol", RULE_BUF_HTTP_PROTOCOL),
    LEGACY2("http_request_line", RULE_BUF_HTTP_REQUEST_LINE),
    LEGACY2("http_response_line", RULE_BUF_HTTP_RESPONSE_LINE),
    /* flow and state */
    {"flow", kw_flow, RULE_KW_ARG, 0},
    {"flowbits", kw_flowbits, RULE_KW_ARG, 0},
    {"xbits", kw_xbits, RULE_KW_ARG, 0},
    {"flowint", kw_flowint, RULE_KW_ARG, 0},
    {"noalert", kw_flag_only, RULE_KW_NOARG, 0},
    {"stream_size", kw_stream_size, RULE_KW_ARG, 0},
    {"threshold", kw_threshold, RULE_KW_ARG, 0},
    {"detection_filter", kw_threshold, RULE_KW_ARG, 1},
    {"tag", kw_tag, RULE_KW_ARG, 0},
    {"tls.version", kw_string_opt, RULE_KW_ARG, 0},
    {"app-layer-event", rule_kw_app_event, RULE_KW_ARG, 0},
    {"ftpbounce", kw_flag_only, RULE_KW_NOARG, 1},
    /* application conditions (rule_app.c) */
    {"dns.opcode", rule_kw_app_num, RULE_KW_ARG, 0},
    {"dns.rcode", rule_kw_app_num, RULE_KW_ARG, 1},
    {"dns.rrtype", rule_kw_app_num, RULE_KW_ARG, 2},
    {"tls.cert_chain_len", rule_kw_app_num, RULE_KW_ARG, 3},
    {"ftpdata_command", rule_kw_ftpdata_command, RULE_KW_ARG, 0},
    /* file keywords (rule_file.c) */
    {"filemd5", rule_kw_filehash, RULE_KW_ARG, RULE_FILE_MD5},
    {"filesha1", rule_kw_filehash, RULE_KW_ARG, RULE_FILE_SHA1},
    {"filesha256", rule_kw_filehash, RULE_KW_ARG, RULE_FILE_SHA256},
    {"filesize", rule_kw_filesize, RULE_KW_ARG, 0},
    {"filename", rule_kw_filename, RULE_KW_ARG, 0},
    {"fileext", rule_kw_filename, RULE_KW_ARG, 1},
    {"filemagic", rule_kw_filename, RULE_KW_ARG, 2},
    {"filestore", rule_kw_filestore, RULE_KW_OPTARG, 0},
    {"tls.subject", rule_kw_tls_legacy, RULE_KW_ARG, 0},
    {"tls.issuerdn", rule_kw_tls_legacy, RULE_KW_ARG, 1},
    {"tls.fingerprint", rule_kw_tls_legacy, RULE_KW_ARG, 2},
    /* packet header */
    NUMKW("dsize", 0),
    NUMKW("ttl", 1),
    NUMKW("itype", 2),
    NUMKW("icode", 3),
    NUMKW("urilen", 4),
    NUMKW("window", 5),
    NUMKW("id", 6),
    NUMKW("seq", 7),
    NUMKW("ack", 8),
    NUMKW("icmp_id", 9),
    NUMKW("icmp_seq", 10),
    {"ip_proto", kw_ip_proto, RULE_KW_ARG, 0},
    {"flags", kw_flags, RULE_KW_ARG, 0},
    {"tcp.flags", kw_flags, RULE_KW_ARG, 0}, /* Suricata 7's name of flags */
};

/* The table by name: an open-addressed hash of the keywords[] slots, made
 * once (ET Open asks 345,000 times; a walk of the table cost 22 strcmp a
 * lookup, 3% of loading the rules). */
#define KW_HASH_SLOTS 512
static const struct rule_keyword *kw_hash[KW_HASH_SLOTS];
static pthread_once_t kw_hash_once = PTHREAD_ONCE_INIT;
_Static_assert(sizeof keywords / sizeof keywords[0] < KW_HASH_SLOTS / 2, "grow KW_HASH_SLOTS");

static uint32_t kw_hash_of(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}

static void kw_hash_build(void)
{
    for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++) {
        uint32_t h = kw_hash_of(keywords[i].name) & (KW_HASH_SLOTS - 1);
        while (kw_hash[h] && strcmp(kw_hash[h]->name, keywords[i].name) != 0)
            h = (h + 1) & (KW_HASH_SLOTS - 1);
        if (!kw_hash[h]) /* the first slot of a name wins, as the walk did */
            kw_hash[h] = &keywords[i];
    }
}

const struct rule_keyword *rule_keyword_find(const char *name)
{
    pthread_once(&kw_hash_once, kw_hash_build);
    for (uint32_t h = kw_hash_of(name) & (KW_HASH_SLOTS - 1); kw_hash[h];
         h = (h + 1) & (KW_HASH_SLOTS - 1))
        if (strcmp(name, kw_hash[h]->name) == 0)
            return kw_hash[h];
    return rule_pkt_keyword_find(name); /* rule_pkt.c: packet, flow and event keywords */
}
