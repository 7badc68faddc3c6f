/*
 * dhcp.c - DHCP over UDP 67/68 (RFC 2131 messages, RFC 2132 options,
 * RFC 4702 client FQDN) into dhcp.log as Zeek 8 writes it
 * (base/protocols/dhcp/main.zeek DHCP::Info: ts uids client_addr
 * server_addr mac host_name client_fqdn domain requested_addr
 * assigned_addr lease_time client_message server_message msg_types
 * duration, plus community_id of the first message's session).
 *
 *   op htype hlen hops | xid | secs flags | ciaddr yiaddr siaddr giaddr
 *   | chaddr[16] | sname[64] | file[128] | 63 82 53 63 | options (code len data)... ff
 *
 * Zeek logs one row per transaction id across sessions (DHCP runs over
 * broadcast, so one exchange spans several "connections"): the messages
 * of one xid are joined while they keep coming (a row is written once its
 * xid has been watched for 10 s and was quiet for 5 s or watched for
 * DHCP::max_txid_watch_time = 30 s), or when it collects 10 uids or 50
 * message types; what is left is written when the last DHCP session ends
 * (Zeek: at shutdown).  The join table is per thread (one pipeline per
 * thread) and capped at DHCP_MAX_TXNS.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cursor.h"
#include "proto/proto.h"

#define NS 1000000000LL
#define DHCP_MAX_TXNS 4096
#define DHCP_MAX_UIDS 10      /* DHCP::max_uids_per_log_entry */
#define DHCP_MAX_TYPES 50     /* DHCP::max_msg_types_per_log_entry */
#define DHCP_WATCH (30 * NS)  /* DHCP::max_txid_watch_time */
#define DHCP_STR 256          /* an option's value is at most 255 bytes */
#define DHCP_MAGIC 0x63825363u

struct dhcp_record {
    struct record_hdr hdr;
    int64_t ts;
    struct rstrvec uids;
    struct raddr client_addr, server_addr;
    struct rstr mac, host_name, client_fqdn, domain;
    struct raddr requested_addr, assigned_addr;
    int64_t lease_time;
    struct rstr client_message, server_message;
    struct rstrvec msg_types;
    int64_t duration;
    struct rstr community_id;
};

enum dhcp_field {
    DH_TS, DH_UIDS, DH_CLIENT_ADDR, DH_SERVER_ADDR, DH_MAC, DH_HOST_NAME, DH_CLIENT_FQDN,
    DH_DOMAIN, DH_REQUESTED_ADDR, DH_ASSIGNED_ADDR, DH_LEASE_TIME, DH_CLIENT_MESSAGE,
    DH_SERVER_MESSAGE, DH_MSG_TYPES, DH_DURATION, DH_COMMUNITY_ID, DH_N_FIELDS
};

#define F(name, type, member) {name, type, offsetof(struct dhcp_record, member)}
static const struct record_field dhcp_fields[DH_N_FIELDS] = {
    F("ts", RT_TIME, ts),
    F("uids", RT_SET_STRING, uids),
    F("client_addr", RT_ADDR, client_addr),
    F("server_addr", RT_ADDR, server_addr),
    F("mac", RT_STRING, mac),
    F("host_name", RT_STRING, host_name),
    F("client_fqdn", RT_STRING, client_fqdn),
    F("domain", RT_STRING, domain),
    F("requested_addr", RT_ADDR, requested_addr),
    F("assigned_addr", RT_ADDR, assigned_addr),
    F("lease_time", RT_INTERVAL, lease_time),
    F("client_message", RT_STRING, client_message),
    F("server_message", RT_STRING, server_message),
    F("msg_types", RT_VEC_STRING, msg_types),
    F("duration", RT_INTERVAL, duration),
    F("community_id", RT_STRING, community_id),
};

const struct record_type dhcp_record_type = {
    .path = "dhcp",
    .fields = dhcp_fields,
    .n_fields = DH_N_FIELDS,
    .size = sizeof(struct dhcp_record),
};

/* An owned short string; len < 0: unset. */
struct dhcp_str {
    char p[DHCP_STR];
    int len;
};

struct dhcp_txn {
    uint32_t xid;
    int64_t ts, last;
    char uids[DHCP_MAX_UIDS][32];
    size_t n_uids;
    char community_id[64];
    struct raddr client_addr, server_addr, requested_addr, assigned_addr; /* family 0: unset */
    struct dhcp_str mac, host_name, client_fqdn, domain, client_msg, server_msg, chaddr;
    bool has_lease;
    int64_t lease;
    uint8_t types[DHCP_MAX_TYPES];
    size_t n_types;
};

/* What one message says (options as pointers into the datagram). */
struct dhcp_msg {
    uint8_t op, type;
    uint32_t xid;
    uint8_t yiaddr[4];
    uint8_t chaddr[16];
    const uint8_t *host_name, *domain, *message, *client_id, *fqdn;
    uint8_t host_name_len, domain_len, message_len, client_id_len, fqdn_len;
    const uint8_t *requested, *lease;
};

static _Thread_local struct dhcp_txn **dhcp_txns;
static _Thread_local size_t dhcp_n, dhcp_cap, dhcp_live;

struct dhcp_session {
    struct proto_ctx *ctx;
};

static const char *const dhcp_type_names[] = {
    NULL, "DISCOVER", "OFFER", "REQUEST", "DECLINE", "ACK", "NAK", "RELEASE", "INFORM",
    "FORCERENEW", "LEASEQUERY", "LEASEUNASSIGNED", "LEASEUNKNOWN", "LEASEACTIVE",
    "BULKLEASEQUERY", "LEASEQUERYDONE", "ACTIVELEASEQUERY", "LEASEQUERYSTATUS", "TLS",
};
#define DHCP_N_TYPES (sizeof(dhcp_type_names) / sizeof(dhcp_type_names[0]))

static void dhcp_str_set(struct dhcp_str *s, const void *p, size_t n)
{
    if (n >= DHCP_STR)
        n = DHCP_STR - 1;
    memcpy(s->p, p, n);
    s->len = (int)n;
}

/* Zeek's fmt_mac(): 6 groups, or 8 when bytes 6 and 7 are not both zero;
 * "" for fewer than 6 bytes or 7. */
static void dhcp_fmt_mac(struct dhcp_str *s, const uint8_t *m, size_t len)
{
    char buf[32];
    if (len < 8 && len != 6) {
        s->len = 0;
        return;
    }
    if (len == 6 || (m[6] == 0 && m[7] == 0))
        snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4],
                 m[5]);
    else
        snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2],
                 m[3], m[4], m[5], m[6], m[7]);
    dhcp_str_set(s, buf, strlen(buf));
}

static struct rstr dhcp_rstr(const struct dhcp_str *s)
{
    return (struct rstr){s->p, (size_t)s->len};
}

static void dhcp_opt_str(struct dhcp_record *r, enum dhcp_field f, struct rstr *dst,
                         const struct dhcp_str *s)
{
    if (s->len >= 0) {
        *dst = dhcp_rstr(s);
        record_set_unset(&r->hdr, f, false);
    }
}

static void dhcp_opt_addr(struct dhcp_record *r, enum dhcp_field f, struct raddr *dst,
                          const struct raddr *a)
{
    if (a->family) {
        *dst = *a;
        record_set_unset(&r->hdr, f, false);
    }
}

/* Write t's row through ctx (Zeek's join_data_expiration). */
static void dhcp_txn_emit(struct proto_ctx *ctx, struct dhcp_txn *t)
{
    struct dhcp_record r;
    struct rstr uids[DHCP_MAX_UIDS], types[DHCP_MAX_TYPES];
    memset(&r, 0, sizeof(r));
    r.hdr.type = &dhcp_record_type;
    for (size_t i = 0; i < DH_N_FIELDS; i++)
        record_set_unset(&r.hdr, i, true);
    if (t->mac.len < 0 && t->chaddr.len >= 0)
        t->mac = t->chaddr;
    r.ts = t->ts;
    for (size_t i = 0; i < t->n_uids; i++)
        uids[i] = (struct rstr){t->uids[i], strlen(t->uids[i])};
    r.uids = (struct rstrvec){uids, t->n_uids};
    for (size_t i = 0; i < t->n_types; i++)
        types[i] = (struct rstr){dhcp_type_names[t->types[i]], strlen(dhcp_type_names[t->types[i]])};
    r.msg_types = (struct rstrvec){types, t->n_types};
    r.duration = t->last - t->ts;
    record_set_unset(&r.hdr, DH_TS, false);
    record_set_unset(&r.hdr, DH_UIDS, false);
    record_set_unset(&r.hdr, DH_MSG_TYPES, false);
    record_set_unset(&r.hdr, DH_DURATION, false);
    dhcp_opt_addr(&r, DH_CLIENT_ADDR, &r.client_addr, &t->client_addr);
    dhcp_opt_addr(&r, DH_SERVER_ADDR, &r.server_addr, &t->server_addr);
    dhcp_opt_addr(&r, DH_REQUESTED_ADDR, &r.requested_addr, &t->requested_addr);
    dhcp_opt_addr(&r, DH_ASSIGNED_ADDR, &r.assigned_addr, &t->assigned_addr);
    dhcp_opt_str(&r, DH_MAC, &r.mac, &t->mac);
    dhcp_opt_str(&r, DH_HOST_NAME, &r.host_name, &t->host_name);
    dhcp_opt_str(&r, DH_CLIENT_FQDN, &r.client_fqdn, &t->client_fqdn);
    dhcp_opt_str(&r, DH_DOMAIN, &r.domain, &t->domain);
    dhcp_opt_str(&r, DH_CLIENT_MESSAGE, &r.client_message, &t->client_msg);
    dhcp_opt_str(&r, DH_SERVER_MESSAGE, &r.server_message, &t->server_msg);
    if (t->has_lease) {
        r.lease_time = t->lease;
        record_set_unset(&r.hdr, DH_LEASE_TIME, false);
    }
    if (t->community_id[0]) {
        r.community_id = (struct rstr){t->community_id, strlen(t->community_id)};
        record_set_unset(&r.hdr, DH_COMMUNITY_ID, false);
    }
    proto_emit(ctx, &r.hdr);
}

static void dhcp_table_remove(size_t i)
{
    free(dhcp_txns[i]);
    dhcp_txns[i] = dhcp_txns[--dhcp_n];
}

/* Write and drop the transactions Zeek's table expiry would have by now. */
static void dhcp_table_expire(struct proto_ctx *ctx, int64_t now, bool all)
{
    for (size_t i = 0; i < dhcp_n;) {
        struct dhcp_txn *t = dhcp_txns[i];
        bool due = now - t->ts >= 10 * NS && (now - t->last > 5 * NS || now - t->ts > DHCP_WATCH);
        if (all || due) {
            dhcp_txn_emit(ctx, t);
            dhcp_table_remove(i);
        } else {
            i++;
        }
    }
    if (dhcp_n == 0) {
        free(dhcp_txns);
        dhcp_txns = NULL;
        dhcp_cap = 0;
    }
}

static struct dhcp_txn *dhcp_table_get(struct proto_ctx *ctx, uint32_t xid, int64_t ts)
{
    for (size_t i = 0; i < dhcp_n; i++)
        if (dhcp_txns[i]->xid == xid)
            return dhcp_txns[i];
    if (dhcp_n >= DHCP_MAX_TXNS) {
        proto_weird(ctx, "DHCP_too_many_transactions", NULL, ts);
        return NULL;
    }
    if (dhcp_n == dhcp_cap) {
        size_t cap = dhcp_cap ? dhcp_cap * 2 : 16;
        struct dhcp_txn **n = realloc(dhcp_txns, cap * sizeof(*n));
        if (!n)
            return NULL;
        dhcp_txns = n;
        dhcp_cap = cap;
    }
    struct dhcp_txn *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->xid = xid;
    t->ts = ts;
    t->mac.len = t->host_name.len = t->client_fqdn.len = t->domain.len = -1;
    t->client_msg.len = t->server_msg.len = t->chaddr.len = -1;
    const struct proto_conn *c = proto_conn(ctx);
    if (c && c->community_id)
        snprintf(t->community_id, sizeof(t->community_id), "%s", c->community_id);
    dhcp_txns[dhcp_n++] = t;
    return t;
}

/* ---- one message ---- */

static int dhcp_options(struct cursor *c, struct dhcp_msg *m)
{
    for (unsigned n = 0; n < 512; n++) {
        uint8_t code, len;
        const uint8_t *p;
        if (cursor_u8(c, &code) < 0 || code == 255)
            return 0;
        if (code == 0)
            continue;
        if (cursor_u8(c, &len) < 0 || cursor_ptr(c, len, &p) < 0)
            return -1;
        switch (code) {
        case 53: if (len >= 1) m->type = p[0]; break;
        case 12: m->host_name = p, m->host_name_len = len; break;
        case 15: m->domain = p, m->domain_len = len; break;
        case 56: m->message = p, m->message_len = len; break;
        case 61: m->client_id = p, m->client_id_len = len; break;
        case 81: m->fqdn = p, m->fqdn_len = len; break;
        case 50: if (len == 4) m->requested = p; break;
        case 51: if (len == 4) m->lease = p; break;
        default: break;
        }
    }
    return 0;
}

static int dhcp_msg_parse(const uint8_t *data, size_t len, struct dhcp_msg *m)
{
    struct cursor c;
    uint8_t htype, hlen, hops;
    uint32_t magic;
    memset(m, 0, sizeof(*m));
    cursor_init(&c, data, len);
    if (cursor_u8(&c, &m->op) < 0 || cursor_u8(&c, &htype) < 0 || cursor_u8(&c, &hlen) < 0 ||
        cursor_u8(&c, &hops) < 0 || cursor_u32be(&c, &m->xid) < 0 || cursor_skip(&c, 8) < 0 ||
        cursor_bytes(&c, m->yiaddr, 4) < 0 || cursor_skip(&c, 8) < 0 ||
        cursor_bytes(&c, m->chaddr, 16) < 0 || cursor_skip(&c, 192) < 0 ||
        cursor_u32be(&c, &magic) < 0)
        return -1;
    if ((m->op != 1 && m->op != 2) || magic != DHCP_MAGIC)
        return -1;
    return dhcp_options(&c, m);
}

static void dhcp_addr4(struct raddr *a, const uint8_t *p)
{
    memset(a, 0, sizeof(*a));
    a->family = 4;
    memcpy(a->a, p, 4);
}

static bool dhcp_addr_is(const struct raddr *a, uint32_t v)
{
    uint32_t x = (uint32_t)a->a[0] << 24 | (uint32_t)a->a[1] << 16 | (uint32_t)a->a[2] << 8 |
                 a->a[3];
    return a->family == 4 && x == v;
}

static void dhcp_client_side(struct dhcp_txn *t, const struct dhcp_msg *m,
                             const struct proto_id *id)
{
    if (!dhcp_addr_is(&id->orig_h, 0) && !dhcp_addr_is(&id->orig_h, 0xffffffffu))
        t->client_addr = id->orig_h;
    if (m->host_name)
        dhcp_str_set(&t->host_name, m->host_name, m->host_name_len);
    if (m->fqdn && m->fqdn_len >= 3)
        dhcp_str_set(&t->client_fqdn, m->fqdn + 3, m->fqdn_len - 3u);
    if (m->client_id && m->client_id_len >= 1 && m->client_id[0] == 1)
        dhcp_fmt_mac(&t->mac, m->client_id + 1, m->client_id_len - 1u);
    else
        dhcp_fmt_mac(&t->chaddr, m->chaddr, 16);
    if (m->requested)
        dhcp_addr4(&t->requested_addr, m->requested);
}

static void dhcp_server_side(struct dhcp_txn *t, const struct dhcp_msg *m,
                             const struct proto_id *id, bool is_orig)
{
    static const uint8_t zero[4] = {0};
    bool yi = memcmp(m->yiaddr, zero, 4) != 0;
    struct dhcp_str mac;
    if (yi)
        t->server_addr = is_orig ? id->orig_h : id->resp_h;
    dhcp_fmt_mac(&mac, m->chaddr, 16);
    if (mac.len > 0 && t->mac.len < 0)
        t->mac = mac;
    if (yi)
        dhcp_addr4(&t->assigned_addr, m->yiaddr);
    if (!t->client_addr.family && t->assigned_addr.family)
        t->client_addr = t->assigned_addr;
    if (m->domain)
        dhcp_str_set(&t->domain, m->domain, m->domain_len);
    if (m->lease) {
        uint32_t s = (uint32_t)m->lease[0] << 24 | (uint32_t)m->lease[1] << 16 |
                     (uint32_t)m->lease[2] << 8 | m->lease[3];
        t->lease = (int64_t)s * NS;
        t->has_lease = true;
    }
}

/* Zeek's DHCP::aggregate_msgs handlers. */
static void dhcp_aggregate(struct proto_ctx *ctx, const struct dhcp_msg *m, bool is_orig,
                           int64_t ts)
{
    struct proto_id id;
    const struct proto_conn *c = proto_conn(ctx);
    struct dhcp_txn *t = dhcp_table_get(ctx, m->xid, ts);
    if (!t)
        return;
    proto_fill_id(ctx, &id);
    t->last = ts;
    const char *uid = c && c->uid ? c->uid : "";
    bool have = false;
    for (size_t i = 0; i < t->n_uids; i++)
        have |= strcmp(t->uids[i], uid) == 0;
    if (!have && t->n_uids < DHCP_MAX_UIDS)
        snprintf(t->uids[t->n_uids++], sizeof(t->uids[0]), "%s", uid);
    if (t->n_types < DHCP_MAX_TYPES)
        t->types[t->n_types++] = m->type;
    bool is_client = is_orig && (dhcp_addr_is(&id.orig_h, 0) || id.orig_p == 68 ||
                                 id.resp_p == 67);
    if (m->message)
        dhcp_str_set(is_client ? &t->client_msg : &t->server_msg, m->message, m->message_len);
    if (is_client)
        dhcp_client_side(t, m, &id);
    else
        dhcp_server_side(t, m, &id, is_orig);
    if (t->n_uids >= DHCP_MAX_UIDS || t->n_types >= DHCP_MAX_TYPES) {
        for (size_t i = 0; i < dhcp_n; i++)
            if (dhcp_txns[i] == t) {
                dhcp_txn_emit(ctx, t);
                dhcp_table_remove(i);
                break;
            }
    }
}

/* ---- the parser interface ---- */

static const uint16_t dhcp_ports[] = {67, 68, 4011, 0};

static enum proto_probe dhcp_probe(const uint8_t *data, size_t len, enum proto_dir dir,
                                   uint16_t orig_p, uint16_t resp_p)
{
    struct dhcp_msg m;
    (void)dir, (void)orig_p, (void)resp_p;
    return dhcp_msg_parse(data, len, &m) == 0 && m.type != 0 ? PROTO_PROBE_YES : PROTO_PROBE_NO;
}

static void *dhcp_state_new(struct proto_ctx *ctx)
{
    struct dhcp_session *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->ctx = ctx;
    dhcp_live++;
    return s;
}

static enum proto_result dhcp_parse(void *state, struct proto_ctx *ctx, enum proto_dir dir,
                                    const uint8_t *data, size_t len, int64_t ts)
{
    struct dhcp_session *s = state;
    struct dhcp_msg m;
    s->ctx = ctx;
    dhcp_table_expire(ctx, ts, false);
    if (dhcp_msg_parse(data, len, &m) < 0) {
        proto_weird(ctx, "DHCP_malformed_message", NULL, ts);
        return PROTO_OK;
    }
    if (m.type == 0 || m.type >= DHCP_N_TYPES) {
        proto_weird(ctx, "DHCP_unknown_message_type", NULL, ts);
        return PROTO_OK;
    }
    proto_confirm(ctx);
    dhcp_aggregate(ctx, &m, dir == PROTO_ORIG, ts);
    return PROTO_OK;
}

static void dhcp_state_free(void *state, struct proto_ctx *ctx)
{
    if (!state)
        return;
    free(state);
    if (dhcp_live > 0)
        dhcp_live--;
    if (dhcp_live == 0) /* the last DHCP session: Zeek's zeek_done flush */
        dhcp_table_expire(ctx, 0, true);
}

const struct proto_parser proto_dhcp = {
    .name = "dhcp",
    .ip_proto = 17,
    .ports = dhcp_ports,
    .probe = dhcp_probe,
    .state_new = dhcp_state_new,
    .parse = dhcp_parse,
    .gap = NULL,
    .eof = NULL,
    .state_free = dhcp_state_free,
};
