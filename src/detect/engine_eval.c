/*
 * engine_eval.c - one inspection (a packet, or a transaction's buffers)
 * against one rule group: the Vectorscan prefilter marks candidate rules,
 * each candidate (plus the group's always-evaluate list) is evaluated in
 * full, and matches become alert records (docs/alerts.md).
 *
 * Evaluation order follows Suricata's: protocol, header addresses and
 * ports (both ways for "<>"), flow keyword, packet keywords (dsize, ttl,
 * flags, itype, ...), the detection lists of every buffer (match.c),
 * flowbit and flowint conditions; the rule_px keywords (vlan, fragbits,
 * flow.age, events: engine_pkt.c) with the packet keywords.  On a match
 * the flowbit and flowint actions run (also for noalert rules), then
 * threshold/detection_filter decide whether the alert is written
 * (backoff: the count-th match, then count x multiplier, ...).  Threshold state: a table of DETECT_THRESH_MAX slots
 * direct-mapped by a seeded hash of (rule, tracked address); a collision
 * replaces the older entry and is counted.
 */
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "detect/alert_payload.h"
#include "detect/engine_int.h"
#include "proto/proto.h"

static void mark_cand(uint32_t id, void *ctx)
{
    struct detect_engine *e = ctx;
    if (id < e->n_rules && e->mark[id] != e->gen) {
        e->mark[id] = e->gen;
        e->cand[e->n_cand++] = id;
    }
}

static int on_match(unsigned int id, unsigned long long from, unsigned long long to,
                    unsigned int flags, void *ctx)
{
    (void)from, (void)to, (void)flags;
    mark_cand(id, ctx);
    return 0;
}

/* ---- conditions ------------------------------------------------------------ */

static int proto_ok(const struct rule *r, const struct det_insp *in)
{
    uint8_t p = in->ip_proto;
    switch (r->proto) {
    case RULE_PROTO_IP: return 1;
    case RULE_PROTO_TCP: case RULE_PROTO_TCP_PKT: case RULE_PROTO_TCP_STREAM: return p == 6;
    case RULE_PROTO_UDP: return p == 17;
    case RULE_PROTO_ICMP: return p == 1 || p == 58;
    case RULE_PROTO_DNS: return (p == 6 || p == 17) && in->app == RULE_PROTO_DNS;
    /* Suricata: a dcerpc rule also applies to SMB (RPC over named pipes) */
    case RULE_PROTO_DCERPC:
        return p == 6 && (in->app == RULE_PROTO_DCERPC || in->app == RULE_PROTO_SMB);
    default: return (p == 6) && in->app == r->proto;
    }
}

static int header_dir_ok(const struct rule *r, const struct raddr *s, uint16_t sp,
                         const struct raddr *d, uint16_t dp, int ports)
{
    /* ports first: a few compares, where an address list (IP reputation,
     * $HOME_NET) can be hundreds of ranges */
    if (ports && (!rule_port_set_match(&r->dport, dp) || !rule_port_set_match(&r->sport, sp)))
        return 0;
    return rule_addr_set_match(&r->src, s->family, s->a) &&
           rule_addr_set_match(&r->dst, d->family, d->a);
}

static int header_ok(const struct rule *r, const struct det_insp *in)
{
    int ports = in->ip_proto == 6 || in->ip_proto == 17 || in->ip_proto == 132;
    if (header_dir_ok(r, &in->src, in->sport, &in->dst, in->dport, ports))
        return 1;
    return r->bidir && header_dir_ok(r, &in->dst, in->dport, &in->src, in->sport, ports);
}

static int flow_ok(const struct rule *r, const struct det_insp *in)
{
    uint32_t f = r->flow;
    if (!f)
        return 1;
    int known = in->fs != NULL;
    if ((f & RULE_FLOW_TO_SERVER) && !(known && in->to_server))
        return 0;
    if ((f & RULE_FLOW_TO_CLIENT) && !(known && !in->to_server))
        return 0;
    int est = 0;
    if (known)
        est = in->ip_proto == 6 ? ((in->rec || in->stage) ? 1 : in->fs->tcp == 3)
                                : in->fs->seen == 3;
    if ((f & RULE_FLOW_ESTABLISHED) && !est)
        return 0;
    if ((f & RULE_FLOW_NOT_ESTABLISHED) && est)
        return 0;
    if ((f & RULE_FLOW_NO_FRAG) && in->pkt && (in->pkt->flags & PKT_F_REASSEMBLED))
        return 0;
    return 1;
}

static int tcp_flags_ok(const struct rule_tcp_flags *t, uint8_t fl)
{
    uint8_t f = fl & (uint8_t)~t->mask;
    switch (t->modifier) {
    case '+': return (f & t->set) == t->set;
    case '*': return (f & t->set) != 0;
    case '!': return (f & t->set) == 0;
    default: return f == t->set;
    }
}

static int pkt_keywords_ok(const struct rule *r, const struct det_insp *in)
{
    uint32_t h = r->has & ~(uint32_t)(RULE_HAS_TAG | RULE_HAS_URILEN | RULE_HAS_STREAM_SIZE);
    if (h && !in->pkt)
        return 0;
    const struct pkt_ip *ip = in->ip;
    const struct pkt_l4 *l = ip ? &ip->t : NULL;
    int icmp = in->ip_proto == 1 || in->ip_proto == 58;
    if ((h & RULE_HAS_DSIZE) && !rule_num_match(&r->cond->dsize, in->len[RULE_BUF_PKT]))
        return 0;
    if ((h & RULE_HAS_TTL) && !rule_num_match(&r->cond->ttl, ip->ttl))
        return 0;
    if ((h & RULE_HAS_IP_PROTO) && !rule_num_match(&r->cond->ip_proto, ip->proto))
        return 0;
    if ((h & RULE_HAS_ID) && !rule_num_match(&r->cond->ipid, ip->id))
        return 0;
    if ((h & (RULE_HAS_ITYPE | RULE_HAS_ICODE | RULE_HAS_ICMP_ID | RULE_HAS_ICMP_SEQ)) &&
        (!icmp || !l->valid))
        return 0;
    if ((h & RULE_HAS_ITYPE) && !rule_num_match(&r->cond->itype, l->icmp_type))
        return 0;
    if ((h & RULE_HAS_ICODE) && !rule_num_match(&r->cond->icode, l->icmp_code))
        return 0;
    if ((h & RULE_HAS_ICMP_ID) && !rule_num_match(&r->cond->icmp_id, l->icmp_id))
        return 0;
    if ((h & RULE_HAS_ICMP_SEQ) && !rule_num_match(&r->cond->icmp_seq, l->icmp_seq))
        return 0;
    if ((h & (RULE_HAS_FLAGS | RULE_HAS_WINDOW | RULE_HAS_SEQ | RULE_HAS_ACK)) &&
        (in->ip_proto != 6 || !l->valid))
        return 0;
    if ((h & RULE_HAS_FLAGS) && !tcp_flags_ok(&r->flags, l->tcp_flags))
        return 0;
    if ((h & RULE_HAS_WINDOW) && !rule_num_match(&r->cond->window, l->win))
        return 0;
    if ((h & RULE_HAS_SEQ) && !rule_num_match(&r->cond->seq, l->seq))
        return 0;
    if ((h & RULE_HAS_ACK) && !rule_num_match(&r->cond->ack, l->ack))
        return 0;
    if ((r->has & RULE_HAS_URILEN) &&
        (!in->have[RULE_BUF_HTTP_URI] ||
         !rule_num_match(&r->cond->urilen, in->len[RULE_BUF_HTTP_URI])))
        return 0;
    return 1;
}

static int bit_get(const struct det_flow *fs, int idx)
{
    return fs && idx >= 0 && ((fs->bits[idx / 64] >> (idx % 64)) & 1);
}

/* isset/isnotset on "a", "a|b" (any) or "a&b" (all). */
static int bit_cond(const struct det_flow *fs, const struct rule_bit *b)
{
    int any = strchr(b->name, '|') != NULL, res = any ? 0 : 1;
    for (const char *q = b->name; *q;) {
        size_t n = strcspn(q, "|&");
        int v = bit_get(fs, det_bit_index(q, n, 0));
        if (b->cmd == RULE_BIT_ISNOTSET)
            v = !v;
        res = any ? (res || v) : (res && v);
        q += n;
        if (*q)
            q++;
    }
    return res;
}

static int bits_ok(const struct rule *r, const struct det_insp *in)
{
    for (uint32_t i = 0; i < r->n_bits; i++) {
        const struct rule_bit *b = &r->bits[i];
        int cond = b->cmd == RULE_BIT_ISSET || b->cmd == RULE_BIT_ISNOTSET;
        if (cond && b->scope != RULE_BITS_FLOW ? !det_xbit_cond(b, in) : cond && !bit_cond(in->fs, b))
            return 0;
    }
    return 1;
}

static void bits_apply(const struct rule *r, const struct det_insp *in)
{
    struct det_flow *fs = in->fs;
    for (uint32_t i = 0; i < r->n_bits; i++) {
        const struct rule_bit *b = &r->bits[i];
        if (b->cmd == RULE_BIT_ISSET || b->cmd == RULE_BIT_ISNOTSET)
            continue;
        if (b->scope != RULE_BITS_FLOW) {
            det_xbit_apply(b, in);
            continue;
        }
        if (!fs)
            continue;
        for (const char *q = b->name; *q;) {
            size_t n = strcspn(q, "|&");
            int idx = det_bit_index(q, n, 0);
            if (idx >= 0) {
                uint64_t m = (uint64_t)1 << (idx % 64);
                if (b->cmd == RULE_BIT_SET)
                    fs->bits[idx / 64] |= m;
                else if (b->cmd == RULE_BIT_UNSET)
                    fs->bits[idx / 64] &= ~m;
                else
                    fs->bits[idx / 64] ^= m;
            }
            q += n;
            if (*q)
                q++;
        }
    }
}

/* r's base64_data list (r->base64 is set). */
static const struct rule_buflist *det_rule_b64_list(const struct rule *r)
{
    for (uint32_t b = 0; b < r->n_bufs; b++)
        if (r->bufs[b].buffer == RULE_BUF_BASE64_DATA)
            return &r->bufs[b];
    return NULL;
}

/* Does list bl match its buffer, or (multi-buffer) any instance of it? */
static int list_matches(struct detect_engine *e, const struct rule_buflist *bl,
                        const struct det_insp *in)
{
    unsigned id = bl->buffer;
    if (!in->have[id])
        return 0;
    if (detect_match_list(&e->m, bl, in->buf[id], in->len[id]))
        return 1;
    for (uint32_t k = 0; k < in->n_more; k++)
        if (in->more[k].buf == id && detect_match_list(&e->m, bl, in->more[k].p, in->more[k].len))
            return 1;
    return 0;
}

int det_rule_matches(struct detect_engine *e, const struct rule *r, const struct det_insp *in)
{
    if (!proto_ok(r, in) || !header_ok(r, in) || !flow_ok(r, in) || !pkt_keywords_ok(r, in) ||
        !det_px_ok(r, in) || !det_app_ok(r, in) || !det_file_ok(r, in))
        return 0;
    memset(e->m.vars, 0, sizeof(e->m.vars));
    e->m.b64 = r->base64 ? det_rule_b64_list(r) : NULL;
    for (uint32_t b = 0; b < r->n_bufs; b++) {
        if ((r->bufs[b].n == 0 && !r->bufs[b].n_xforms) || r->bufs[b].buffer == RULE_BUF_BASE64_DATA)
            continue; /* base64_data: run by base64_decode */
        if (det_http_is_multi(r->bufs[b].buffer)) {
            if (!det_http_match_multi(e, &r->bufs[b], in))
                return 0;
            continue;
        }
        if (!list_matches(e, &r->bufs[b], in))
            return 0;
    }
    if ((r->has & RULE_HAS_STREAM_SIZE) && (in->ip_proto != 6 || !det_stream_size_ok(r, in->fs)))
        return 0;
    return bits_ok(r, in) && det_flowint_ok(r, in->fs);
}

/* ---- threshold / detection_filter ---------------------------------------------- */

/* Count this match in s: 1, or 0 when unique_on saw its port already. */
static int thresh_count(struct detect_engine *e, struct det_thresh *s,
                        const struct rule_threshold *t, const struct det_insp *in)
{
    if (t->unique_on && !s->ports && e->n_port_maps < DETECT_UNIQUE_MAPS_MAX &&
        (s->ports = calloc(1, 65536 / 8)) != NULL)
        e->n_port_maps++;
    if (t->unique_on && s->ports) { /* without a set (cap reached): every match counts */
        uint16_t port = t->unique_on == RULE_UNIQUE_SRC_PORT ? in->sport : in->dport;
        uint8_t bit = (uint8_t)(1u << (port & 7));
        if (s->ports[port >> 3] & bit)
            return 0;
        s->ports[port >> 3] |= bit;
    }
    s->count++;
    return 1;
}

/* The slot of key h: its own, else a free one, else the oldest of its set
 * (DETECT_THRESH_WAYS slots), which the caller evicts.  Set-associative so
 * that a tracked address loses its count only when that many others share
 * its set - not on the first collision, which with a random hash key made
 * results differ between runs of the same capture. */
static struct det_thresh *thresh_slot(struct detect_engine *e, uint64_t h)
{
    struct det_thresh *set = &e->thresh[h & (DETECT_THRESH_MAX - DETECT_THRESH_WAYS)];
    struct det_thresh *pick = NULL;
    for (uint32_t i = 0; i < DETECT_THRESH_WAYS; i++) {
        struct det_thresh *s = &set[i];
        if (s->used && s->key == h)
            return s;
        if (!pick || (pick->used && (!s->used || s->start < pick->start)))
            pick = s;
    }
    return pick;
}

static int thresh_one(struct detect_engine *e, const struct rule *r,
                      const struct rule_threshold *t, const struct det_insp *in, int64_t ts)
{
    uint8_t key[80];
    size_t n = 0;
    memcpy(key, &r->sid, 4), n += 4;
    memcpy(key + n, &r->gid, 4), n += 4;
    key[n++] = t->type;
    const struct raddr *a = t->track == RULE_TRACK_DST ? &in->dst : &in->src;
    if (t->track == RULE_TRACK_SRC || t->track == RULE_TRACK_DST || t->track == RULE_TRACK_BOTH) {
        memcpy(key + n, a->a, 16), n += 16;
        if (t->track == RULE_TRACK_BOTH)
            memcpy(key + n, in->dst.a, 16), n += 16;
    } else if (t->track == RULE_TRACK_FLOW && in->fs) {
        memcpy(key + n, in->fs->uid, 24), n += 24;
    }
    uint64_t h = core_siphash(e->thresh_key, key, n);
    struct det_thresh *s = thresh_slot(e, h);
    int64_t win = (int64_t)t->seconds * 1000000000LL;
    int expired = t->type != RULE_THRESH_BACKOFF && ts - s->start > win;
    if (!s->used || s->key != h || expired) {
        if (s->used && s->key != h)
            e->ctr.thresh_evictions++;
        s->used = 1, s->key = h, s->start = ts, s->count = 0, s->fired = 0;
        s->next = t->count;
        if (s->ports)
            memset(s->ports, 0, 65536 / 8);
    }
    if (!thresh_count(e, s, t, in))
        return t->type == RULE_THRESH_DETECTION_FILTER && s->count > t->count;
    switch (t->type) {
    case RULE_THRESH_BACKOFF: /* alert on the count-th match, then count*multiplier, ... */
        if (s->count != s->next)
            return 0;
        s->next = (uint64_t)s->next * t->multiplier > 0xffffffffu
                      ? 0xffffffffu
                      : s->next * (t->multiplier ? t->multiplier : 1);
        return 1;
    case RULE_THRESH_LIMIT: return s->count <= t->count;
    case RULE_THRESH_THRESHOLD:
        if (s->count >= t->count) {
            s->count = 0;
            return 1;
        }
        return 0;
    case RULE_THRESH_BOTH:
        if (s->count >= t->count && !s->fired) {
            s->fired = 1;
            return 1;
        }
        return 0;
    case RULE_THRESH_DETECTION_FILTER: return s->count > t->count;
    default: return 1;
    }
}

static int thresh_pass(struct detect_engine *e, const struct rule *r, const struct det_insp *in,
                       int64_t ts)
{
    int ok = 1;
    det_shared_lock(); /* the table spans workers (engine_worker.c) */
    if (r->detection_filter.type != RULE_THRESH_NONE &&
        !thresh_one(e, r, &r->detection_filter, in, ts))
        ok = 0;
    else if (r->threshold.type != RULE_THRESH_NONE && !thresh_one(e, r, &r->threshold, in, ts))
        ok = 0;
    det_shared_unlock();
    return ok;
}

/* ---- alerts ---------------------------------------------------------------- */

static struct rstr rstr_of(const char *s)
{
    struct rstr r = {s ? s : "", s ? strlen(s) : 0};
    return r;
}

static const char *app_name(uint8_t app)
{
    switch (app) {
    case RULE_PROTO_HTTP: return "http";
    case RULE_PROTO_DNS: return "dns";
    case RULE_PROTO_TLS: return "tls";
    case RULE_PROTO_SSH: return "ssh";
    case RULE_PROTO_SMTP: return "smtp";
    case RULE_PROTO_FTP: return "ftp";
    case RULE_PROTO_FTP_DATA: return "ftp-data";
    case RULE_PROTO_SMB: return "smb";
    case RULE_PROTO_DCERPC: return "dcerpc";
    default: return NULL;
    }
}

static const char *proto_text(uint8_t p, char *buf, size_t n)
{
    switch (p) {
    case 6: return "TCP";
    case 17: return "UDP";
    case 1: return "ICMP";
    case 58: return "IPv6-ICMP";
    case 132: return "SCTP";
    default: snprintf(buf, n, "%03u", p); return buf;
    }
}

static void alert_set_str(struct alert_record *a, int f, struct rstr *dst,
                          const struct record_hdr *rec, const char *name)
{
    int i = record_field_index(rec->type, name);
    if (i < 0 || record_unset(rec, (size_t)i))
        return;
    enum rtype t = rec->type->fields[i].type;
    if (t != RT_STRING && t != RT_ENUM)
        return;
    *dst = *(const struct rstr *)record_field_ptr(rec, (size_t)i);
    record_set_unset(&a->hdr, (size_t)f, false);
}

static void alert_set_count(struct alert_record *a, int f, uint64_t *dst,
                            const struct record_hdr *rec, const char *name)
{
    int i = record_field_index(rec->type, name);
    if (i < 0 || record_unset(rec, (size_t)i) || rec->type->fields[i].type != RT_COUNT)
        return;
    *dst = *(const uint64_t *)record_field_ptr(rec, (size_t)i);
    record_set_unset(&a->hdr, (size_t)f, false);
}

static void alert_app_fields(struct alert_record *a, const struct record_hdr *rec, char *proto,
                             size_t plen)
{
    const char *path = rec->type->path;
    if (strcmp(path, "http") == 0) {
        alert_set_str(a, AF_HTTP_HOSTNAME, &a->http_hostname, rec, "host");
        alert_set_str(a, AF_HTTP_URL, &a->http_url, rec, "uri");
        alert_set_str(a, AF_HTTP_USER_AGENT, &a->http_user_agent, rec, "user_agent");
        alert_set_str(a, AF_HTTP_METHOD, &a->http_method, rec, "method");
        alert_set_count(a, AF_HTTP_STATUS, &a->http_status, rec, "status_code");
        alert_set_count(a, AF_HTTP_LENGTH, &a->http_length, rec, "response_body_len");
        struct rstr v = {0};
        alert_set_str(a, AF_HTTP_PROTOCOL, &v, rec, "version");
        if (!record_unset(&a->hdr, AF_HTTP_PROTOCOL)) {
            int n = snprintf(proto, plen, "HTTP/%.*s", (int)v.len, v.p);
            a->http_protocol.p = proto;
            a->http_protocol.len = n > 0 ? (size_t)n : 0;
        }
    } else if (strcmp(path, "dns") == 0) {
        alert_set_str(a, AF_DNS_RRNAME, &a->dns_rrname, rec, "query");
    } else if (strcmp(path, "ssl") == 0) {
        alert_set_str(a, AF_TLS_SNI, &a->tls_sni, rec, "server_name");
        alert_set_str(a, AF_TLS_JA3, &a->tls_ja3, rec, "ja3");
    } else if (strcmp(path, "ssh") == 0) {
        alert_set_str(a, AF_SSH_CLIENT, &a->ssh_client, rec, "client");
        alert_set_str(a, AF_SSH_SERVER, &a->ssh_server, rec, "server");
    }
}

/* Alerts from an inspection point: the fields its buffers give. */
static void alert_insp_fields(struct alert_record *a, const struct det_insp *in)
{
    static const struct {
        int field;
        uint8_t buf;
    } f[] = {{AF_TLS_SNI, RULE_BUF_TLS_SNI},
             {AF_TLS_JA3, RULE_BUF_JA3_HASH},
             {AF_DNS_RRNAME, RULE_BUF_DNS_QUERIES_RRNAME}};
    struct rstr *dst[] = {&a->tls_sni, &a->tls_ja3, &a->dns_rrname};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        if (in->have[f[i].buf]) {
            dst[i]->p = (const char *)in->buf[f[i].buf];
            dst[i]->len = in->len[f[i].buf];
            record_set_unset(&a->hdr, (size_t)f[i].field, false);
        }
}

static uint64_t flow_id_of(const char *uid)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a: stable across runs, as flow_id must be */
    for (; *uid; uid++)
        h = (h ^ (uint8_t)*uid) * 1099511628211ULL;
    return h & ((1ULL << 51) - 1);
}

static void alert_emit(struct detect_engine *e, const struct rule *r, const struct det_insp *in,
                       int64_t ts)
{
    struct alert_record a;
    char ptxt[8], hproto[32], meta[32][160];
    struct rstr mv[32];
    alert_record_init(&a);
    a.ts = ts;
    const char *uid = in->conn ? in->conn->uid : in->st ? in->st->uid : "";
    a.uid = rstr_of(uid);
    if (in->conn) {
        const struct proto_conn *c = in->conn;
        int rv = c->reversed; /* the id fields are conn.log's */
        a.orig_h = rv ? c->resp_h : c->orig_h, a.resp_h = rv ? c->orig_h : c->resp_h;
        a.orig_p = rv ? c->resp_p : c->orig_p, a.resp_p = rv ? c->orig_p : c->resp_p;
        a.community_id = rstr_of(in->conn->community_id);
        record_set_unset(&a.hdr, AF_COMMUNITY_ID, false);
        if (in->st) {
            a.pcap_cnt = in->st->num;
            record_set_unset(&a.hdr, AF_PCAP_CNT, false);
        }
    } else if (in->st) {
        a.orig_h = in->st->orig_h, a.resp_h = in->st->resp_h;
        a.orig_p = in->st->orig_p, a.resp_p = in->st->resp_p;
        a.community_id = rstr_of(det_stash_cid(in->st));
        a.pcap_cnt = in->st->num;
        record_set_unset(&a.hdr, AF_PCAP_CNT, false);
        record_set_unset(&a.hdr, AF_COMMUNITY_ID, false);
    } else {
        a.orig_h = in->src, a.resp_h = in->dst, a.orig_p = in->sport, a.resp_p = in->dport;
    }
    if (in->pkt) {
        a.pcap_cnt = in->pkt->num;
        record_set_unset(&a.hdr, AF_PCAP_CNT, false);
    }
    a.flow_id = flow_id_of(uid);
    a.src_ip = in->src, a.dest_ip = in->dst, a.src_port = in->sport, a.dest_port = in->dport;
    a.proto = rstr_of(proto_text(in->ip_proto, ptxt, sizeof(ptxt)));
    const char *app = app_name(in->fs ? in->fs->app : in->app);
    if (app) {
        a.app_proto = rstr_of(app);
        record_set_unset(&a.hdr, AF_APP_PROTO, false);
    }
    a.action = rstr_of("allowed");
    a.gid = r->gid ? r->gid : 1, a.sid = r->sid, a.rev = r->rev;
    a.signature = rstr_of(r->msg);
    a.category = rstr_of(r->class_desc ? r->class_desc : "");
    a.severity = (uint64_t)(r->priority > 0 ? r->priority : 3);
    record_set_unset(&a.hdr, AF_ACTION, false);
    for (int f = AF_GID; f <= AF_SEVERITY; f++)
        record_set_unset(&a.hdr, (size_t)f, false);
    if (!r->class_desc)
        record_set_unset(&a.hdr, AF_CATEGORY, true);
    uint32_t nm = r->n_metadata < 32 ? r->n_metadata : 32;
    for (uint32_t i = 0; i < nm; i++) {
        int n = snprintf(meta[i], sizeof(meta[i]), "%s %s", r->metadata[i].key,
                         r->metadata[i].value ? r->metadata[i].value : "");
        mv[i].p = meta[i];
        mv[i].len = n < 0 ? 0 : (size_t)n >= sizeof(meta[i]) ? sizeof(meta[i]) - 1 : (size_t)n;
    }
    if (nm) {
        a.metadata.v = mv, a.metadata.n = nm;
        record_set_unset(&a.hdr, AF_METADATA, false);
    }
    if (in->rec)
        alert_app_fields(&a, in->rec, hproto, sizeof(hproto));
    else if (in->http)
        det_http_alert_fields(&a, in);
    else if (in->pi)
        alert_insp_fields(&a, in);
    struct alert_payload_bufs pb;
    alert_payload_fill(&a, in, &pb);
    e->ctr.alerts++;
    if (e->emit)
        e->emit(e->emit_ctx, &a.hdr);
    alert_payload_release(&pb);
}

/* ---- one inspection ---------------------------------------------------------- */

static int64_t insp_ts(const struct det_insp *in)
{
    if (in->ts)
        return in->ts;
    if (in->pkt)
        return in->pkt->ts_sec * 1000000000LL + in->pkt->ts_nsec;
    if (in->st)
        return in->st->ts;
    if (!in->rec)
        return in->ev_ts; /* events; 0 for an inspection point outside packet processing */
    int i = record_field_index(in->rec->type, "ts");
    return i >= 0 ? *(const int64_t *)record_field_ptr(in->rec, (size_t)i) : 0;
}

/* A TCP packet inspection of a stream rule (engine_stream.c): is the
 * packet's payload still for it?  Suricata's order: the stream first, the
 * packet only when its data did not go into a stream (default), never
 * (only_stream), or unless the stream matched on this packet (both). */
static int pkt_wanted(const struct detect_engine *e, const struct det_rule *dr,
                      const struct det_insp *in)
{
    if (!in->pkt || in->ip_proto != 6 || dr->stream == DS_PKT)
        return 1;
    switch (dr->stream) {
    case DS_ONLY: return 0;
    case DS_DEFAULT: return !(in->st && in->st->stream_add);
    default: return !(in->st && in->st->num && e->spkt[dr - e->rules] == in->st->num);
    }
}

int det_eval_one(struct detect_engine *e, enum det_grp g, const struct det_rule *dr,
                 const struct det_insp *in0)
{
    if (!pkt_wanted(e, dr, in0))
        return 0;
    struct det_insp flipped;
    const struct det_insp *in = in0;
    if (in0->stage != dr->stage) /* HTTP rules: only at their moment of the transaction */
        return 0;
    if (in0->nopayload && dr->payload) /* an encrypted flow's packet (detect_app_encrypted) */
        return 0;
    if (in0->rec && g != DG_SSH && dr->to_client) {
        flipped = *in0;
        flipped.to_server = 0;
        flipped.src = in0->dst, flipped.dst = in0->src;
        flipped.sport = in0->dport, flipped.dport = in0->sport;
        in = &flipped;
    }
    const struct rule *r = dr->r;
    e->ctr.candidates++;
    if (!det_rule_matches(e, r, in))
        return 0;
    if (in->pi && !det_app_once(in->fs, r, in->pi->tx, in->to_server))
        return 0; /* matched this transaction already */
    bits_apply(r, in);
    det_flowint_apply(r, in->fs);
    if (dr->pass) {
        if (in->fs)
            in->fs->passed = 1;
        return 1;
    }
    int64_t ts = insp_ts(in);
    if (!thresh_pass(e, r, in, ts)) {
        e->ctr.suppressed++;
        return 1;
    }
    if (in->stream && in->st)
        e->spkt[dr - e->rules] = in->st->num;
    if (!r->noalert)
        alert_emit(e, r, in, ts);
    return 1;
}

void det_inspect_list(struct detect_engine *e, const uint32_t *ids, uint32_t n,
                      struct det_insp *in)
{
    if (in->fs && in->fs->passed)
        return;
    for (uint32_t i = 0; i < n; i++)
        if (e->rules[ids[i]].pass && det_eval_one(e, DG_COUNT, &e->rules[ids[i]], in))
            return;
    for (uint32_t i = 0; i < n; i++)
        if (!e->rules[ids[i]].pass)
            det_eval_one(e, DG_COUNT, &e->rules[ids[i]], in);
}

/* Does c's pattern start at h (HS_FLAG_CASELESS: ASCII letters either case)? */
static int covered_at(const uint8_t *h, const struct det_covered *c)
{
    if (!c->nocase)
        return memcmp(h, c->p, c->len) == 0;
    for (uint32_t k = 0; k < c->len; k++)
        if (det_lower(h[k]) != det_lower(c->p[k]))
            return 0;
    return 1;
}

/* Does c's pattern start at offset s of the payload p (n bytes; s + c->len
 * <= n)?  A short case-sensitive one is a masked 4-byte load when 4 bytes
 * are there. */
static int covered_hit(const uint8_t *p, uint32_t n, uint32_t s, const struct det_covered *c)
{
    if (c->word && s + 4 <= n) {
        uint32_t w;
        memcpy(&w, p + s, 4);
        return (w & c->mask) == c->val;
    }
    return covered_at(p + s, c);
}

/* Is pattern c (not yet a candidate) at the payload's NUL at? */
static int covered_nul(const struct detect_engine *e, const struct det_covered *c,
                       const uint8_t *p, uint32_t n, uint32_t at)
{
    return at >= c->nul && at - c->nul + c->len <= n && e->mark[c->id] != e->gen &&
           covered_hit(p, n, at - c->nul, c);
}

/* A packet held by a stream window: the rules not derived from the
 * window's scan, by their pattern in its payload (engine.c, covered_add).
 * Their patterns have a NUL byte (ET's all do): only the places around the
 * payload's NULs are compared (memchr, or the next byte in a run of NULs),
 * and at each only the patterns whose bytes next to their first NUL are
 * the payload's there (cov_prev, cov_next: most NULs have none); one
 * without a NUL is searched for whole. */
static void covered_candidates(struct detect_engine *e, const uint8_t *p, uint32_t n)
{
    uint32_t left = e->n_cov_nul;
    for (uint32_t i = 0; left < e->n_covered && i < e->n_covered; i++) {
        const struct det_covered *c = &e->covered[i];
        if (c->nul != UINT32_MAX)
            continue;
        for (uint32_t at = 0; at + c->len <= n; at++)
            if (covered_hit(p, n, at, c)) {
                mark_cand(c->id, e);
                break;
            }
    }
    const uint8_t *end = p + n;
    for (const uint8_t *q = left ? memchr(p, 0, n) : NULL; q && left;
         q = q + 1 == end ? NULL : q[1] == 0 ? q + 1 : memchr(q + 1, 0, (size_t)(end - q - 1))) {
        uint32_t at = (uint32_t)(q - p);
        uint64_t m = (at ? e->cov_prev[q[-1]] : e->cov_head) &
                     (at + 1 < n ? e->cov_next[q[1]] : e->cov_tail);
        for (; m; m &= m - 1) {
            const struct det_covered *c = &e->covered[__builtin_ctzll(m)];
            if (covered_nul(e, c, p, n, at)) {
                mark_cand(c->id, e);
                left--;
            }
        }
        for (uint32_t i = DET_COV_MASKED; i < e->n_covered; i++) {
            const struct det_covered *c = &e->covered[i];
            if (c->nul != UINT32_MAX && covered_nul(e, c, p, n, at)) {
                mark_cand(c->id, e);
                left--;
            }
        }
    }
}

void det_inspect(struct detect_engine *e, enum det_grp g, struct det_insp *in)
{
    struct det_group *grp = &e->g[g];
    if (++e->gen == 0) {
        memset(e->mark, 0, (e->n_rules + 1) * sizeof(*e->mark));
        e->gen = 1;
    }
    e->n_cand = 0;
    unsigned stage = in->stage < DET_STAGES ? in->stage : 0;
    hs_database_t *const *db = grp->db[stage];
    uint32_t n_db = grp->n_dbuf[stage]; /* scanned: the buffers with a database */
    if (in->nopayload) {
        n_db = 0; /* encrypted: the payload is not scanned */
    } else if (g == DG_TCP && det_stream_cover(e, in)) {
        covered_candidates(e, in->buf[RULE_BUF_PKT], in->len[RULE_BUF_PKT]);
        n_db = 0;
    }
    for (uint32_t k = 0; k < n_db; k++) {
        unsigned b = grp->dbuf[stage][k];
        if (!in->have[b] || !in->len[b] || !in->buf[b])
            continue;
        hs_scan(db[b], (const char *)in->buf[b], in->len[b], 0, e->scratch, on_match, e);
    }
    for (uint32_t k = 0; n_db && k < in->n_more; k++) {
        const struct det_more *m = &in->more[k];
        if (db[m->buf] && m->len && m->p)
            hs_scan(db[m->buf], (const char *)m->p, m->len, 0, e->scratch, on_match, e);
    }
    for (uint32_t i = 0; i < grp->n_always; i++)
        mark_cand(grp->always[i], e);
    if (grp->n_indexed)
        det_index_each(grp, in, mark_cand, e);
    det_sort_u32(e->cand, e->n_cand); /* candidates in rule order */
    uint32_t n = e->n_cand;
    uint32_t *ids = e->cand;
    if (det_stream_pending(e)) { /* the packet's reassembled data: in rule order with it */
        det_stream_run(e, g, in, ids, n);
        return;
    }
    if (in->fs && in->fs->passed)
        return;
    for (uint32_t i = 0; i < n; i++) /* pass rules first, as Suricata orders actions */
        if (e->rules[ids[i]].pass && det_eval_one(e, g, &e->rules[ids[i]], in))
            return;
    for (uint32_t i = 0; i < n; i++)
        if (!e->rules[ids[i]].pass)
            det_eval_one(e, g, &e->rules[ids[i]], in);
}
