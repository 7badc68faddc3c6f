/*
 * rule_app.c - parsers of the application keywords that are not sticky
 * buffers: dns.opcode, dns.rcode, dns.rrtype, tls.cert_chain_len (numeric
 * comparisons), ftpdata_command, and the legacy TLS keywords tls.subject,
 * tls.issuerdn and tls.fingerprint, which become a content on the
 * matching buffer (tls.cert_subject, tls.cert_issuer,
 * tls.cert_fingerprint).  The engine evaluates them in engine_app.c.
 *
 * Follows the Suricata rules reference ("DNS keywords", "SSL/TLS
 * keywords", "FTP/FTP-DATA keywords"):
 *
 *     dns.opcode / dns.rcode / dns.rrtype / tls.cert_chain_len := NUM
 *          (NUM: "N", "!N", "<N", ">N", "<=N", ">=N", "N<>M", "N-M")
 *     ftpdata_command := "retr" | "stor"
 *     tls.subject / tls.issuerdn := ["!"] '"' TEXT '"'
 *          (substring match, case sensitive: nocase is refused, as Suricata)
 *     tls.fingerprint := ["!"] '"' HEX ":" HEX ... '"'
 *          (the SHA-1 of the certificate, whole value, any case)
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "detect/rule_int.h"

/* The buffer whose protocol the keyword needs (sets/checks app_proto). */
static int app_need(struct rule_pctx *p, unsigned proto)
{
    struct rule *r = p->r;
    if (r->app_proto == 0 && !RULE_PROTO_IS_APP(r->proto))
        r->app_proto = (uint8_t)proto;
    if (r->app_proto != proto)
        return rule_fail(p, RULE_ERR_INVALID, "cannot be used in a %s rule",
                         rule_proto_name(r->app_proto ? r->app_proto : r->proto));
    return 0;
}

int rule_kw_app_num(struct rule_pctx *p, char *val, int arg)
{
    struct rule *r = p->r;
    static const struct {
        uint32_t bit;
        uint8_t proto;
        uint64_t max;
    } f[] = {
        {RULE_APP_DNS_OPCODE, RULE_PROTO_DNS, 15},
        {RULE_APP_DNS_RCODE, RULE_PROTO_DNS, 4095},
        {RULE_APP_DNS_RRTYPE, RULE_PROTO_DNS, 65535},
        {RULE_APP_TLS_CHAIN_LEN, RULE_PROTO_TLS, 0xffffffffu},
    };
    struct rule_cond *c = rule_cond_get(p);
    if (!c)
        return -1;
    struct rule_num *dst[] = {&c->dns_opcode, &c->dns_rcode, &c->dns_rrtype, &c->tls_chain_len};
    if (arg < 0 || (size_t)arg >= sizeof f / sizeof f[0])
        return rule_fail(p, RULE_ERR_INVALID, "internal: bad field");
    if (r->app_has & f[arg].bit)
        return rule_fail(p, RULE_ERR_INVALID, "given twice");
    if (app_need(p, f[arg].proto) < 0)
        return -1;
    val = rule_unquote(rule_trim(val));
    if (rule_parse_num(val, f[arg].max, dst[arg]) < 0)
        return rule_fail(p, RULE_ERR_INVALID, "'%.40s' is not a number or comparison up to %llu",
                         val, (unsigned long long)f[arg].max);
    r->app_has |= f[arg].bit;
    return 0;
}

int rule_kw_ftpdata_command(struct rule_pctx *p, char *val, int arg)
{
    (void)arg;
    struct rule *r = p->r;
    if (r->app_has & RULE_APP_FTPDATA_CMD)
        return rule_fail(p, RULE_ERR_INVALID, "given twice");
    val = rule_trim(val);
    if (strcmp(val, "retr") == 0)
        r->ftpdata_cmd = 1;
    else if (strcmp(val, "stor") == 0)
        r->ftpdata_cmd = 2;
    else
        return rule_fail(p, RULE_ERR_INVALID, "'%.20s' is not retr or stor", val);
    if (app_need(p, RULE_PROTO_FTP_DATA) < 0)
        return -1;
    r->app_has |= RULE_APP_FTPDATA_CMD;
    return 0;
}

/* tls.subject (arg 0), tls.issuerdn (1), tls.fingerprint (2). */
int rule_kw_tls_legacy(struct rule_pctx *p, char *val, int arg)
{
    static const int bufs[] = {RULE_BUF_TLS_CERT_SUBJECT, RULE_BUF_TLS_CERT_ISSUER,
                               RULE_BUF_TLS_CERT_FINGERPRINT};
    if (arg < 0 || arg > 2)
        return rule_fail(p, RULE_ERR_INVALID, "internal: bad field");
    int neg = rule_take_neg(&val);
    val = rule_unquote(val);
    size_t n = strlen(val);
    if (n == 0 || n > RULE_CONTENT_MAX)
        return rule_fail(p, RULE_ERR_INVALID, "needs a non-empty value");
    if (arg == 2)
        for (size_t i = 0; i < n; i++)
            if (!isxdigit((unsigned char)val[i]) && val[i] != ':')
                return rule_fail(p, RULE_ERR_INVALID, "'%.60s' is not colon-separated hex", val);
    if (rule_buffer_check_proto(p, bufs[arg]) < 0)
        return -1;
    uint8_t *bytes = malloc(n);
    if (!bytes)
        return rule_fail(p, RULE_ERR_INVALID, "out of memory");
    for (size_t i = 0; i < n; i++)
        bytes[i] = arg == 2 ? (uint8_t)tolower((unsigned char)val[i]) : (uint8_t)val[i];
    uint8_t saved_nx = p->n_xforms;
    int saved_buf = p->cur_buf;
    p->cur_buf = bufs[arg];
    p->n_xforms = 0;
    int li, ei;
    struct rule_elem *el = rule_elem_add(p, bufs[arg], &li, &ei);
    p->cur_buf = saved_buf;
    p->n_xforms = saved_nx;
    if (!el) {
        free(bytes);
        return rule_fail(p, RULE_ERR_INVALID, "out of memory");
    }
    el->kind = RULE_ELEM_CONTENT;
    struct rule_content *c = &el->u.content;
    c->bytes = bytes;
    c->len = (uint32_t)n;
    c->flags = neg ? RULE_CONTENT_NEGATED : 0;
    if (arg == 2) /* the whole fingerprint */
        c->flags |= RULE_CONTENT_STARTSWITH | RULE_CONTENT_ENDSWITH | RULE_CONTENT_NOCASE;
    c->offset.var = c->depth.var = c->distance.var = c->within.var = -1;
    p->last_list = -1; /* not a content later modifiers (nocase, ...) may change */
    p->last_rel_list = -1;
    return 0;
}
