/*
 * engine_pkt.c - evaluation of the keywords kept in struct rule_px
 * (rule_pkt.h: vlan.id, vlan.layers, icmpv6.mtu, fragbits, fragoffset,
 * ipopts, sameip, flow.age, flow.pkts, flow.bytes, the event keywords),
 * the flowint variables, and the hooks that turn decoder anomalies, TCP
 * flow weirds, reassembly gaps and parser weirds into event inspections.
 *
 * flowint, as Suricata's detect-flowint: per flow, up to
 * DETECT_FLOWINTS_MAX named unsigned 32-bit values (the names are shared
 * by every engine, like flowbit names).  Conditions (== != < <= > >=
 * isset notset isnotset) are checked with the rule's other conditions;
 * modifiers (= + -) run after the whole rule matched.  A comparison on an
 * unset variable does not match; "+" on an unset variable sets it to the
 * value, "-" sets it to 0; a value given as another variable that is not
 * set makes a comparison fail and a modifier do nothing.  Values are kept
 * in a block allocated for the flow's slot on the first modifier and
 * freed when the slot is reused (det_flow_release).
 *
 * Events: rules with decode-event, stream-event or a parser-weird
 * app-layer-event are in no prefilter group; the engine keeps them in one
 * list (e->ev) evaluated only when such an event happens, with
 * in->ev_kind/ev_name saying which.  app-layer-events computed from a
 * transaction's record (dns.z_flag_set, http.double_encoded_uri,
 * http.request_header_host_invalid) are ordinary transaction rules.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/hex.h"
#include "detect/engine_int.h"
#include "detect/rule_pkt.h"
#include "flow/flow.h"
#include "proto/proto.h"

#define DETECT_FLOWINTS_MAX 64

struct det_ints {
    uint64_t set; /* bit per name index */
    uint32_t v[DETECT_FLOWINTS_MAX];
};

static char *int_names[DETECT_FLOWINTS_MAX];
static uint32_t n_int_names;

/* ---- flowint ---------------------------------------------------------------- */

static int int_index(const char *name, int create)
{
    for (uint32_t i = 0; i < n_int_names; i++)
        if (strcmp(int_names[i], name) == 0)
            return (int)i;
    if (!create || n_int_names >= DETECT_FLOWINTS_MAX)
        return -1;
    size_t n = strlen(name);
    char *s = malloc(n + 1);
    if (!s)
        return -1;
    memcpy(s, name, n + 1);
    int_names[n_int_names] = s;
    return (int)n_int_names++;
}

int det_flowint_setup(const struct rule *r)
{
    for (uint32_t i = 0; i < r->n_flowints; i++) {
        if (int_index(r->flowints[i].name, 1) < 0)
            return -1;
        if (r->flowints[i].var && int_index(r->flowints[i].var, 1) < 0)
            return -1;
    }
    return 0;
}

void det_flowint_names_free(void)
{
    for (uint32_t i = 0; i < n_int_names; i++)
        free(int_names[i]);
    n_int_names = 0;
}

void det_flow_release(struct det_flow *fs)
{
    free(fs->ints);
    fs->ints = NULL;
}

static int int_get(const struct det_flow *fs, const char *name, uint32_t *v)
{
    int i = int_index(name, 0);
    if (i < 0 || !fs || !fs->ints || !((fs->ints->set >> i) & 1))
        return 0;
    *v = fs->ints->v[i];
    return 1;
}

/* The operand of fi: its number, or the value of the variable it names. */
static int int_operand(const struct det_flow *fs, const struct rule_flowint *fi, uint32_t *v)
{
    if (!fi->var) {
        *v = (uint32_t)fi->value;
        return 1;
    }
    return int_get(fs, fi->var, v);
}

static int int_is_modifier(const char *op)
{
    return !strcmp(op, "=") || !strcmp(op, "+") || !strcmp(op, "-");
}

int det_flowint_ok(const struct rule *r, const struct det_flow *fs)
{
    for (uint32_t i = 0; i < r->n_flowints; i++) {
        const struct rule_flowint *fi = &r->flowints[i];
        const char *op = fi->op;
        if (int_is_modifier(op))
            continue;
        uint32_t cur, want;
        int have = int_get(fs, fi->name, &cur);
        if (!strcmp(op, "isset")) {
            if (!have)
                return 0;
            continue;
        }
        if (!strcmp(op, "notset") || !strcmp(op, "isnotset")) {
            if (have)
                return 0;
            continue;
        }
        if (!have || !int_operand(fs, fi, &want))
            return 0;
        int ok = !strcmp(op, "==")   ? cur == want
                 : !strcmp(op, "!=") ? cur != want
                 : !strcmp(op, "<")  ? cur < want
                 : !strcmp(op, "<=") ? cur <= want
                 : !strcmp(op, ">")  ? cur > want
                                     : cur >= want;
        if (!ok)
            return 0;
    }
    return 1;
}

void det_flowint_apply(const struct rule *r, struct det_flow *fs)
{
    if (!fs)
        return;
    for (uint32_t i = 0; i < r->n_flowints; i++) {
        const struct rule_flowint *fi = &r->flowints[i];
        uint32_t val;
        int idx = int_index(fi->name, 0);
        if (!int_is_modifier(fi->op) || idx < 0 || !int_operand(fs, fi, &val))
            continue;
        if (!fs->ints && !(fs->ints = calloc(1, sizeof(*fs->ints))))
            return;
        uint64_t bit = (uint64_t)1 << idx;
        uint32_t *v = &fs->ints->v[idx];
        int have = (fs->ints->set & bit) != 0;
        if (fi->op[0] == '=')
            *v = val;
        else if (fi->op[0] == '+')
            *v = have ? *v + val : val;
        else
            *v = have ? *v - val : 0;
        fs->ints->set |= bit;
    }
}

/* ---- packet and flow conditions ---------------------------------------------- */

void det_flow_count(struct det_flow *fs, const struct packet *pkt, int to_server)
{
    int64_t ts = pkt->ts_sec * 1000000000LL + pkt->ts_nsec;
    if (!fs->first_ts)
        fs->first_ts = ts ? ts : 1;
    int d = to_server ? 0 : 1;
    fs->pkts[d]++;
    fs->bytes[d] += pkt->caplen;
    const struct pkt_ip *ip = packet_inner_const(pkt);
    if (!ip || ip->proto != 6 || !ip->t.valid)
        return;
    const struct pkt_l4 *t = &ip->t;
    int syn = (t->tcp_flags & 0x02) != 0, fin = (t->tcp_flags & 0x01) != 0;
    if (!fs->have_isn[d]) { /* midstream: the sequence before this segment's, as Suricata */
        fs->isn[d] = syn ? t->seq : t->seq - 1;
        fs->nxt[d] = fs->isn[d] + 1;
        fs->have_isn[d] = 1;
    }
    uint32_t end = t->seq + t->payload_len + (uint32_t)syn + (uint32_t)fin;
    if ((int32_t)(end - fs->nxt[d]) > 0)
        fs->nxt[d] = end;
}

int det_stream_size_ok(const struct rule *r, const struct det_flow *fs)
{
    if (!fs || !fs->have_isn[0])
        return 0;
    const struct rule_stream_size *s = &r->cond->stream_size;
    uint64_t client = fs->nxt[0] - fs->isn[0];
    uint64_t server = fs->have_isn[1] ? fs->nxt[1] - fs->isn[1] : 0;
    int c = rule_num_match(&s->num, client), sv = rule_num_match(&s->num, server);
    switch (s->side) {
    case 0: return sv;
    case 1: return c;
    case 2: return c && sv;
    default: return c || sv;
    }
}

static int vlan_ok(const struct rule_px *x, const struct packet *pkt)
{
    int n = pkt->link.n_vlan < PKT_MAX_VLAN ? pkt->link.n_vlan : PKT_MAX_VLAN;
    if (x->vlan_layer == RULE_VLAN_ANY || x->vlan_layer == RULE_VLAN_ALL) {
        int all = x->vlan_layer == RULE_VLAN_ALL, hits = 0;
        for (int i = 0; i < n; i++)
            hits += rule_num_match(&x->vlan_id, pkt->link.vlan[i]);
        return all ? n > 0 && hits == n : hits > 0;
    }
    int i = x->vlan_layer < 0 ? n + x->vlan_layer : x->vlan_layer;
    return i >= 0 && i < n && rule_num_match(&x->vlan_id, pkt->link.vlan[i]);
}

static int fragbits_ok(const struct rule_px *x, const struct pkt_ip *ip)
{
    if (ip->version != 4 || !ip->hdr)
        return 0;
    uint8_t b = (uint8_t)((ip->mf ? RULE_FRAG_M : 0) | (ip->df ? RULE_FRAG_D : 0) |
                          ((ip->hdr[6] & 0x80) ? RULE_FRAG_R : 0));
    switch (x->fragbits_mod) {
    case '+': return (b & x->fragbits) == x->fragbits;
    case '*': return (b & x->fragbits) != 0;
    case '!': return (b & x->fragbits) != x->fragbits;
    default: return b == x->fragbits;
    }
}

static int icmpv6_mtu_ok(const struct rule_px *x, const struct pkt_ip *ip)
{
    /* Packet Too Big (type 2, code 0) carries the MTU in bytes 4-7 */
    if (ip->proto != 58 || !ip->t.valid || ip->t.icmp_type != 2 || ip->t.icmp_code != 0 ||
        !ip->l4 || ip->l4_len < 8)
        return 0;
    const uint8_t *m = ip->l4 + 4;
    uint32_t mtu = (uint32_t)m[0] << 24 | (uint32_t)m[1] << 16 | (uint32_t)m[2] << 8 | m[3];
    return rule_num_match(&x->icmpv6_mtu, mtu);
}

static int dir_count_ok(const struct rule_num *n, uint8_t dir, const uint64_t c[2])
{
    if (dir == RULE_DIR_EITHER)
        return rule_num_match(n, c[0]) || rule_num_match(n, c[1]);
    return rule_num_match(n, c[dir == RULE_DIR_TOSERVER ? 0 : 1]);
}

static int flow_conds_ok(const struct rule_px *x, const struct det_insp *in)
{
    const struct det_flow *fs = in->fs;
    if (!fs || !fs->first_ts)
        return 0;
    if (x->has & RULE_PX_FLOW_AGE) {
        int64_t now = in->pkt   ? in->pkt->ts_sec
                      : in->st ? in->st->ts / 1000000000LL
                               : -1;
        int64_t age = now - fs->first_ts / 1000000000LL;
        if (now < 0 || age < 0 || !rule_num_match(&x->flow_age, (uint64_t)age))
            return 0;
    }
    if ((x->has & RULE_PX_FLOW_PKTS) && !dir_count_ok(&x->flow_pkts, x->pkts_dir, fs->pkts))
        return 0;
    if ((x->has & RULE_PX_FLOW_BYTES) && !dir_count_ok(&x->flow_bytes, x->bytes_dir, fs->bytes))
        return 0;
    return 1;
}

static int pkt_conds_ok(const struct rule_px *x, const struct det_insp *in)
{
    const struct pkt_ip *ip = in->ip;
    if (!in->pkt || !ip)
        return 0;
    if ((x->has & RULE_PX_VLAN_ID) && !vlan_ok(x, in->pkt))
        return 0;
    if ((x->has & RULE_PX_VLAN_LAYERS) && !rule_num_match(&x->vlan_layers, in->pkt->link.n_vlan))
        return 0;
    if ((x->has & RULE_PX_ICMPV6_MTU) && !icmpv6_mtu_ok(x, ip))
        return 0;
    if ((x->has & RULE_PX_FRAGBITS) && !fragbits_ok(x, ip))
        return 0;
    if ((x->has & RULE_PX_FRAGOFFSET) && !rule_num_match(&x->fragoffset, ip->frag_offset / 8u))
        return 0;
    if ((x->has & RULE_PX_IPOPTS) &&
        (ip->version != 4 || !(ip->ip_options & (x->ipopts == 0xffffu ? 0xffffu : x->ipopts))))
        return 0;
    if ((x->has & RULE_PX_SAMEIP) &&
        (in->src.family != in->dst.family || memcmp(in->src.a, in->dst.a, 16) != 0))
        return 0;
    return 1;
}

/* ---- events ----------------------------------------------------------------- */

/* The record's uri is already percent-decoded once (Zeek's unescaped_URI:
 * every valid %XX is decoded), so a valid %XX left in it was "%25XX" on
 * the wire: a double-encoded URI. */
static int uri_double_encoded(const uint8_t *u, uint32_t n)
{
    for (uint32_t i = 0; i + 2 < n; i++)
        if (u[i] == '%' && core_hexval(u[i + 1]) >= 0 && core_hexval(u[i + 2]) >= 0)
            return 1;
    return 0;
}

/* The DNS header's Z bit (0x0040 of the flags) in the packet's payload
 * (after the 2-byte length over TCP). */
static int dns_z_flag(const struct det_insp *in)
{
    if (!in->pkt || !in->ip || in->app != RULE_PROTO_DNS)
        return 0;
    const uint8_t *p = in->buf[RULE_BUF_PKT];
    uint32_t n = in->len[RULE_BUF_PKT], off = in->ip_proto == 6 ? 2 : 0;
    return p && n >= off + 12 && (p[off + 3] & 0x40) != 0;
}

/* A Host value that is neither a DNS name nor a bracketed IPv6 address,
 * with an optional numeric port. */
static int host_invalid(const uint8_t *h, uint32_t n)
{
    uint32_t end = n;
    if (n && h[0] == '[') {
        const uint8_t *rb = memchr(h, ']', n);
        if (!rb)
            return 1;
        for (const uint8_t *q = h + 1; q < rb; q++)
            if (!isxdigit(*q) && *q != ':' && *q != '.')
                return 1;
        end = (uint32_t)(rb - h) + 1;
    } else {
        const uint8_t *colon = memchr(h, ':', n);
        if (colon)
            end = (uint32_t)(colon - h);
        if (end == 0)
            return 1;
        for (uint32_t i = 0; i < end; i++)
            if (!isalnum(h[i]) && h[i] != '-' && h[i] != '.' && h[i] != '_')
                return 1;
    }
    if (end < n) {
        if (h[end] != ':' || end + 1 == n)
            return 1;
        for (uint32_t i = end + 1; i < n; i++)
            if (!isdigit(h[i]))
                return 1;
    }
    return 0;
}

static int rec_field(const struct record_hdr *rec, const char *name, enum rtype want)
{
    int i = record_field_index(rec->type, name);
    if (i < 0 || record_unset(rec, (size_t)i) || rec->type->fields[i].type != want)
        return -1;
    return i;
}

static int record_event_ok(const struct rule_event *ev, const struct det_insp *in)
{
    const struct record_hdr *rec = in->rec;
    if (ev->rec == RULE_EVR_HTTP_TE_INVALID)
        return in->http && det_http_te_invalid(in->http);
    if (!rec)
        return 0;
    int i;
    switch (ev->rec) {
    case RULE_EVR_HTTP_DOUBLE_ENCODED_URI:
        i = rec_field(rec, "uri", RT_STRING);
        if (i < 0)
            return 0;
        {
            const struct rstr *s = record_field_ptr(rec, (size_t)i);
            return uri_double_encoded((const uint8_t *)s->p, (uint32_t)s->len);
        }
    case RULE_EVR_HTTP_HOST_INVALID:
        i = rec_field(rec, "host", RT_STRING);
        if (i < 0)
            return 0;
        {
            const struct rstr *s = record_field_ptr(rec, (size_t)i);
            return host_invalid((const uint8_t *)s->p, (uint32_t)s->len);
        }
    default: return 0;
    }
}

static int decode_event_ok(const struct rule_event *ev, const struct det_insp *in)
{
    const struct packet *pkt = in->pkt;
    if (!pkt)
        return 0;
    if (in->ip && ev->version && in->ip->version != ev->version)
        return 0;
    if (in->ip && ev->ip_proto && in->ip->proto != ev->ip_proto)
        return 0;
    for (uint8_t i = 0; i < pkt->n_anomalies && i < PKT_MAX_ANOMALIES; i++)
        if (pkt->anomalies[i] == ev->anom[0] || (ev->anom[1] && pkt->anomalies[i] == ev->anom[1]))
            return 1;
    return 0;
}

static int event_ok(const struct rule_event *ev, const struct det_insp *in)
{
    if (ev->kind == RULE_EV_RECORD)
        return !in->ev_kind && record_event_ok(ev, in);
    if (ev->kind == RULE_EV_PKT)
        return !in->ev_kind && ev->rec == RULE_EVR_DNS_Z_FLAG && dns_z_flag(in);
    if (ev->kind != in->ev_kind)
        return 0;
    if (ev->kind == RULE_EV_DECODE)
        return decode_event_ok(ev, in);
    return in->ev_name && strcmp(in->ev_name, ev->weird) == 0;
}

int det_px_ok(const struct rule *r, const struct det_insp *in)
{
    const struct rule_px *x = r->px;
    if (!x)
        return !in->ev_kind;
    if (x->ev.kind == RULE_EV_NONE ? in->ev_kind != 0 : !event_ok(&x->ev, in))
        return 0;
    if ((x->has & (RULE_PX_VLAN_ID | RULE_PX_VLAN_LAYERS | RULE_PX_ICMPV6_MTU | RULE_PX_FRAGBITS |
                   RULE_PX_FRAGOFFSET | RULE_PX_IPOPTS | RULE_PX_SAMEIP)) &&
        !pkt_conds_ok(x, in))
        return 0;
    if ((x->has & (RULE_PX_FLOW_AGE | RULE_PX_FLOW_PKTS | RULE_PX_FLOW_BYTES)) &&
        !flow_conds_ok(x, in))
        return 0;
    return 1;
}

/* ---- event hooks --------------------------------------------------------------- */

/* An event inspection on connection conn: direction from the packet being
 * handled when it belongs to conn, else orig -> resp. */
static void ev_inspect(struct detect_engine *e, const struct proto_conn *conn, int kind,
                       const char *name, int64_t ts)
{
    struct det_insp in;
    memset(&in, 0, sizeof(in));
    in.conn = conn;
    in.ip_proto = conn->ip_proto;
    in.fs = det_flow_find(conn->uid, 1);
    in.app = in.fs ? in.fs->app : 0;
    in.ev_kind = (uint8_t)kind;
    in.ev_name = name;
    in.ev_ts = ts;
    int to_server = 1;
    struct det_stash *st = det_stash_get();
    if (st->num && strncmp(st->uid, conn->uid, sizeof(st->uid)) == 0) {
        in.st = st;
        to_server = st->to_server;
    }
    in.to_server = to_server;
    in.src = to_server ? conn->orig_h : conn->resp_h;
    in.dst = to_server ? conn->resp_h : conn->orig_h;
    in.sport = to_server ? conn->orig_p : conn->resp_p;
    in.dport = to_server ? conn->resp_p : conn->orig_p;
    det_inspect_list(e, e->ev, e->n_ev, &in);
}

void detect_app_weird(const struct proto_conn *conn, const char *name, int64_t ts)
{
    struct detect_engine *e = det_current();
    if (e && e->n_ev && conn && conn->uid && name)
        ev_inspect(e, conn, RULE_EV_APP, name, ts);
}

void detect_stream_event(const struct flow_app_info *info, const char *name, int64_t ts)
{
    struct detect_engine *e = det_current();
    if (!e || !e->n_ev || !info || !name)
        return;
    const struct det_flow *fs = det_flow_find(info->uid, 0);
    int r = fs && fs->rev; /* the client's view, as the app layer's conn */
    struct proto_conn conn = {
        .uid = info->uid, .community_id = info->community_id,
        .orig_h = r ? info->resp_h : info->orig_h, .resp_h = r ? info->orig_h : info->resp_h,
        .orig_p = r ? info->resp_p : info->orig_p, .resp_p = r ? info->orig_p : info->resp_p,
        .ip_proto = info->proto, .reversed = (uint8_t)r, .start_ts = info->first_ns,
    };
    ev_inspect(e, &conn, RULE_EV_STREAM, name, ts);
}

void det_packet_events(struct detect_engine *e, struct det_insp *in)
{
    if (!e->n_ev || !in->pkt->n_anomalies)
        return;
    in->ev_kind = RULE_EV_DECODE;
    det_inspect_list(e, e->ev, e->n_ev, in);
    in->ev_kind = RULE_EV_NONE;
}
