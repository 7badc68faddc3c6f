/*
 * engine_app.c - transaction rules at the parsers' inspection points
 * (proto.h, struct proto_insp): a TLS ClientHello / ServerHello /
 * Certificate, a DNS request or response, an SSH banner or KEXINIT, an
 * SMTP command, an FTP PORT command, an FTP data channel.  The parser
 * hands the buffers and numbers of that moment; this file maps them to
 * the rules' buffers (tls.random also gives tls.random_time and
 * tls.random_bytes; a DNS request's names are dns.query and
 * dns.queries.rrname), evaluates the numeric application keywords
 * (dns.opcode, dns.rcode, dns.rrtype, tls.cert_chain_len, tls.version,
 * ftpbounce, ftpdata_command) and keeps Suricata's rule: a rule alerts at
 * most once per transaction of a session and direction.
 *
 * Buffers given more than once (tls.certs, tls.subjectaltname, tls.alpn,
 * dns.query, smtp.rcpt_to) are multi-buffers: the first instance is the
 * inspection's buffer, the others are in det_insp.more, and a rule's list
 * matches when it matches any one instance (engine_eval.c).
 */
#include <string.h>

#include "detect/engine_int.h"
#include "proto/proto.h"

static const uint8_t pi_buf[PI_COUNT] = {
    [PI_TLS_SNI] = RULE_BUF_TLS_SNI,
    [PI_TLS_CERT_SUBJECT] = RULE_BUF_TLS_CERT_SUBJECT,
    [PI_TLS_CERT_ISSUER] = RULE_BUF_TLS_CERT_ISSUER,
    [PI_TLS_CERT_SERIAL] = RULE_BUF_TLS_CERT_SERIAL,
    [PI_TLS_CERT_FINGERPRINT] = RULE_BUF_TLS_CERT_FINGERPRINT,
    [PI_TLS_CERTS] = RULE_BUF_TLS_CERTS,
    [PI_TLS_SAN] = RULE_BUF_TLS_SAN,
    [PI_TLS_ALPN] = RULE_BUF_TLS_ALPN,
    [PI_TLS_RANDOM] = RULE_BUF_TLS_RANDOM,
    [PI_JA3_HASH] = RULE_BUF_JA3_HASH,
    [PI_JA3_STRING] = RULE_BUF_JA3_STRING,
    [PI_JA3S_HASH] = RULE_BUF_JA3S_HASH,
    [PI_JA3S_STRING] = RULE_BUF_JA3S_STRING,
    [PI_SSH_PROTO] = RULE_BUF_SSH_PROTO,
    [PI_SSH_SOFTWARE] = RULE_BUF_SSH_SOFTWARE,
    [PI_SSH_HASSH] = RULE_BUF_SSH_HASSH,
    [PI_SSH_HASSH_STRING] = RULE_BUF_SSH_HASSH_STRING,
    [PI_SSH_HASSH_SERVER] = RULE_BUF_SSH_HASSH_SERVER,
    [PI_SSH_HASSH_SERVER_STRING] = RULE_BUF_SSH_HASSH_SERVER_STRING,
    [PI_DNS_QUERY] = RULE_BUF_DNS_QUERY,
    [PI_DNS_ANSWER_NAME] = RULE_BUF_DNS_ANSWERS_RRNAME,
    [PI_SMTP_HELO] = RULE_BUF_SMTP_HELO,
    [PI_SMTP_MAIL_FROM] = RULE_BUF_SMTP_MAIL_FROM,
    [PI_SMTP_RCPT_TO] = RULE_BUF_SMTP_RCPT_TO,
};

/* Room for every item plus the buffers derived from one (random: 2 more,
 * a DNS name: 1 more). */
#define DET_MORE_MAX (PROTO_INSP_ITEMS * 3)

static void put(struct det_insp *in, struct det_more *more, uint32_t *n_more, unsigned b,
                const uint8_t *p, uint32_t len)
{
    if (!in->have[b]) {
        in->buf[b] = p;
        in->len[b] = len;
        in->have[b] = 1;
    } else if (*n_more < DET_MORE_MAX) {
        more[*n_more].p = p;
        more[*n_more].len = len;
        more[*n_more].buf = (uint8_t)b;
        (*n_more)++;
    }
}

/* Fill in's buffers from pi (more: room for DET_MORE_MAX). */
void det_app_buffers(struct det_insp *in, const struct proto_insp *pi, struct det_more *more)
{
    uint32_t n_more = 0;
    for (uint32_t i = 0; i < pi->n; i++) {
        const struct proto_insp_item *it = &pi->item[i];
        if (it->id >= PI_COUNT)
            continue;
        if (it->id == PI_TLS_RANDOM) {
            if (it->len != 32)
                continue;
            put(in, more, &n_more, RULE_BUF_TLS_RANDOM, it->p, 32);
            put(in, more, &n_more, RULE_BUF_TLS_RANDOM_TIME, it->p, 4);
            put(in, more, &n_more, RULE_BUF_TLS_RANDOM_BYTES, it->p + 4, 28);
            continue;
        }
        if (it->id == PI_DNS_QUERY) {
            if (pi->dir == PROTO_ORIG) /* dns.query: requests, as Suricata */
                put(in, more, &n_more, RULE_BUF_DNS_QUERY, it->p, it->len);
            put(in, more, &n_more, RULE_BUF_DNS_QUERIES_RRNAME, it->p, it->len);
            continue;
        }
        put(in, more, &n_more, pi_buf[it->id], it->p, it->len);
    }
    in->more = more;
    in->n_more = n_more;
    in->pi = pi;
}

static uint64_t tls_version_num(const char *v)
{
    static const struct {
        const char *name;
        uint16_t num;
    } t[] = {{"1.0", 0x0301},    {"tls1.0", 0x0301}, {"1.1", 0x0302}, {"tls1.1", 0x0302},
             {"1.2", 0x0303},    {"tls1.2", 0x0303}, {"1.3", 0x0304}, {"tls1.3", 0x0304},
             {"sslv3", 0x0300},  {"sslv2", 0x0002}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (strcmp(v, t[i].name) == 0)
            return t[i].num;
    return 0;
}

static int num_ok(const struct proto_insp *pi, enum proto_inum id, const struct rule_num *n)
{
    return (pi->num_have & (1u << id)) && rule_num_match(n, pi->num[id]);
}

int det_app_ok(const struct rule *r, const struct det_insp *in)
{
    if (!r->app_has && !r->tls_version && !r->ftpbounce)
        return 1;
    const struct proto_insp *pi = in->pi;
    if (!pi)
        return 0;
    if ((r->app_has & RULE_APP_DNS_OPCODE) && !num_ok(pi, PN_DNS_OPCODE, &r->cond->dns_opcode))
        return 0;
    if ((r->app_has & RULE_APP_DNS_RCODE) && !num_ok(pi, PN_DNS_RCODE, &r->cond->dns_rcode))
        return 0;
    if ((r->app_has & RULE_APP_TLS_CHAIN_LEN) &&
        !num_ok(pi, PN_TLS_CHAIN_LEN, &r->cond->tls_chain_len))
        return 0;
    if (r->app_has & RULE_APP_DNS_RRTYPE) {
        int any = 0;
        for (uint32_t i = 0; i < pi->n_rrtype && !any; i++)
            any = rule_num_match(&r->cond->dns_rrtype, pi->rrtype[i]);
        if (!any)
            return 0;
    }
    if ((r->app_has & RULE_APP_FTPDATA_CMD) &&
        (!(pi->num_have & (1u << PN_FTPDATA_CMD)) || pi->num[PN_FTPDATA_CMD] != r->ftpdata_cmd))
        return 0;
    if (r->ftpbounce && (!(pi->num_have & (1u << PN_FTP_BOUNCE)) || pi->num[PN_FTP_BOUNCE] != 1))
        return 0;
    if (r->tls_version && (!(pi->num_have & (1u << PN_TLS_VERSION)) ||
                           pi->num[PN_TLS_VERSION] != tls_version_num(r->tls_version)))
        return 0;
    return 1;
}

/* First match of r on this transaction of the flow in this direction
 * (Suricata keeps a transaction's detection state per direction)?
 * Remembers it. */
int det_app_once(struct det_flow *fs, const struct rule *r, uint64_t tx, int to_server)
{
    if (!fs)
        return 1;
    uint64_t k = (tx * 2 + (to_server ? 1 : 2)) * 0x9E3779B97F4A7C15ULL ^
                 (((uint64_t)r->gid << 32) | r->sid);
    k ^= k >> 29;
    k *= 0xBF58476D1CE4E5B9ULL;
    uint32_t key = (uint32_t)(k >> 32) | 1u;
    for (unsigned i = 0; i < DET_TX_DONE; i++)
        if (fs->tx_done[i] == key)
            return 0;
    fs->tx_done[fs->tx_next++ % DET_TX_DONE] = key;
    return 1;
}

void detect_app_inspect(const struct proto_conn *conn, const char *parser,
                        const struct proto_insp *pi)
{
    uint8_t app = det_app_of(parser);
    if (app == RULE_PROTO_HTTP) /* HTTP has its own hook (engine_http.c) */
        app = 0;
    enum det_grp g = app == RULE_PROTO_TLS    ? DG_TLS
                     : app == RULE_PROTO_DNS  ? DG_DNS
                     : app == RULE_PROTO_SSH  ? DG_SSH
                     : app == RULE_PROTO_SMTP ? DG_SMTP
                     : app                    ? DG_FTP
                                              : DG_COUNT;
    struct det_insp in;
    struct detect_engine *e;
    if (g == DG_COUNT || !conn || !(e = det_tx_begin(&in, conn, app)))
        return;
    struct det_more more[DET_MORE_MAX];
    det_app_buffers(&in, pi, more);
    if (in.fs && (pi->num_have & (1u << PN_FTPDATA_CMD)) && pi->num[PN_FTPDATA_CMD])
        in.fs->ftp_xfer = 1; /* its files are Suricata's ftp-data files (engine_file.c) */
    det_tx_dir(&in, conn, pi->dir == PROTO_ORIG);
    det_inspect(e, g, &in);
}
