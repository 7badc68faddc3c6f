/*
 * dns.c - DNS over UDP and TCP (RFC 1035, RFC 7766 for TCP framing) into
 * dns.log, as Zeek 8 writes it (base/protocols/dns/main.zeek DNS::Info:
 * ts uid id proto trans_id rtt query qclass qclass_name qtype qtype_name
 * rcode rcode_name AA TC RD RA Z answers TTLs rejected opcode opcode_name,
 * plus community_id).
 *
 * This file owns the per-session state: the TCP framing (a 2-byte length
 * before each message, several messages per connection, a message split
 * over any number of chunks), the transactions and how queries pair with
 * replies.  dns_msg.c walks each message and calls the dns_on_*() hooks
 * here, at the points where Zeek raises its script events.
 *
 * Pairing follows Zeek's DNS::set_session: one fast-path pending query,
 * then FIFO queues per transaction id of unmatched queries and of
 * unmatched replies (each capped as Zeek caps them: more than 50 ids or
 * more than 50 messages for one id logs and drops the lot).  A transaction
 * is logged once it has seen a query and a reply (at the end of the
 * message that completes it); what is still pending when the session ends
 * is logged then: the pending query, the unmatched queries, the unmatched
 * replies.  Only opcodes query, notify and dynamic update are tracked.
 *
 *   TCP, per direction:   LEN_HI ─► LEN_LO ─► BODY (len bytes) ─► parse ─► LEN_HI
 *                                   gap inside BODY: drop the message, resume
 *                                   gap elsewhere: framing lost, direction ignored
 */
#include <stdlib.h>
#include <string.h>

#include "core/cursor.h"
#include "proto/dns.h"
#include "proto/dns_int.h"

#define DNS_MAX_PENDING_IDS 50   /* Zeek's DNS::max_pending_query_ids */
#define DNS_MAX_PENDING_MSGS 50  /* Zeek's DNS::max_pending_msgs */
#define DNS_TXN_MAX_ANSWERS 1000 /* answers kept per transaction */
#define DNS_TXN_MAX_TEXT (256 * 1024)
#define DNS_MAX_TXNS 6000        /* live transactions per session */

enum {
    TX_RTT = 1 << 0,
    TX_QUERY = 1 << 1,
    TX_QUESTION = 1 << 2, /* qclass, qtype and their names */
    TX_RCODE = 1 << 3,
    TX_OPCODE = 1 << 4,
};

struct dns_txn {
    struct dns_txn *next; /* FIFO link in a pending queue */
    int64_t ts, rtt;
    uint32_t has;
    uint16_t trans_id, qclass, qtype, rcode;
    uint8_t z, opcode;
    bool aa, tc, rd, ra, rejected, saw_query, saw_reply, netbios;
    char *query;
    size_t query_len;
    char *text;             /* the answers, back to back */
    size_t text_len, text_cap;
    size_t *ans_off, *ans_len;
    int64_t *ttls;
    size_t n_ans, cap_ans;
};

struct dns_queue {
    uint16_t id;
    struct dns_txn *head, *tail;
    size_t len;
};

struct dns_pending {
    struct dns_queue *q; /* in order of first use */
    size_t n, cap;
};

struct dns_tcp_dir {
    uint8_t state; /* 0 LEN_HI, 1 LEN_LO, 2 BODY, 3 lost */
    uint16_t need;
    size_t have;
    uint64_t skip; /* bytes of a damaged message still to drop */
    uint8_t buf[65535];
};

struct dns_session {
    struct proto_ctx *ctx;
    int64_t now;
    bool tcp, netbios;
    struct dns_txn *pending_query;
    struct dns_pending queries, replies;
    struct dns_txn *cur; /* Zeek's c$dns */
    size_t live;         /* transactions allocated */
    struct dns_sbuf scratch;
    struct dns_tcp_dir *dir[2];
    uint64_t det_msgs; /* messages handed to the signature engine */
};

/* ---- the record type ---- */

#define F(name, type, member) {name, type, offsetof(struct dns_record, member)}

static const struct record_field dns_fields[DNS_F_N_FIELDS] = {
    F("ts", RT_TIME, ts),
    F("uid", RT_STRING, uid),
    F("id.orig_h", RT_ADDR, orig_h),
    F("id.orig_p", RT_PORT, orig_p),
    F("id.resp_h", RT_ADDR, resp_h),
    F("id.resp_p", RT_PORT, resp_p),
    F("proto", RT_ENUM, proto),
    F("trans_id", RT_COUNT, trans_id),
    F("rtt", RT_INTERVAL, rtt),
    F("query", RT_STRING, query),
    F("qclass", RT_COUNT, qclass),
    F("qclass_name", RT_STRING, qclass_name),
    F("qtype", RT_COUNT, qtype),
    F("qtype_name", RT_STRING, qtype_name),
    F("rcode", RT_COUNT, rcode),
    F("rcode_name", RT_STRING, rcode_name),
    F("AA", RT_BOOL, AA),
    F("TC", RT_BOOL, TC),
    F("RD", RT_BOOL, RD),
    F("RA", RT_BOOL, RA),
    F("Z", RT_COUNT, Z),
    F("answers", RT_VEC_STRING, answers),
    F("TTLs", RT_VEC_INTERVAL, TTLs),
    F("rejected", RT_BOOL, rejected),
    F("opcode", RT_COUNT, opcode),
    F("opcode_name", RT_STRING, opcode_name),
    F("community_id", RT_STRING, community_id),
};

const struct record_type dns_record_type = {
    .path = "dns",
    .fields = dns_fields,
    .n_fields = DNS_F_N_FIELDS,
    .size = sizeof(struct dns_record),
};

/* ---- transactions ---- */

static void dns_txn_free(struct dns_session *s, struct dns_txn *t)
{
    if (!t)
        return;
    free(t->query);
    free(t->text);
    free(t->ans_off);
    free(t->ans_len);
    free(t->ttls);
    free(t);
    s->live--;
}

static struct rstr dns_rstr(const char *p)
{
    return (struct rstr){p, strlen(p)};
}

static void dns_set(struct dns_record *r, enum dns_field f)
{
    record_set_unset(&r->hdr, f, false);
}

static void dns_record_question(struct dns_record *r, const struct dns_txn *t, char *b1,
                                char *b2, size_t blen)
{
    if (t->has & TX_QUERY) {
        r->query = (struct rstr){t->query, t->query_len};
        dns_set(r, DNS_F_QUERY);
    }
    if (t->has & TX_QUESTION) {
        r->qclass = t->qclass;
        r->qclass_name = dns_rstr(dns_qclass_name(t->qclass, b1, blen));
        r->qtype = t->qtype;
        const char *tn = dns_qtype_name(t->qtype, b2, blen);
        if (t->netbios && t->qtype == 33) /* SRV's number is NetBIOS's NBSTAT */
            tn = "NBSTAT";
        r->qtype_name = dns_rstr(tn);
        dns_set(r, DNS_F_QCLASS);
        dns_set(r, DNS_F_QCLASS_NAME);
        dns_set(r, DNS_F_QTYPE);
        dns_set(r, DNS_F_QTYPE_NAME);
    }
}

/* Log t (through the session's ctx) and free it. */
static void dns_txn_emit(struct dns_session *s, struct dns_txn *t)
{
    struct dns_record r;
    struct proto_id id;
    char b1[32], b2[32], b3[32], b4[32];
    struct rstr *ans = NULL;
    const struct proto_conn *conn = proto_conn(s->ctx);

    memset(&r, 0, sizeof(r));
    r.hdr.type = &dns_record_type;
    for (size_t i = 0; i < DNS_F_N_FIELDS; i++)
        record_set_unset(&r.hdr, i, true);
    proto_fill_id(s->ctx, &id);
    r.ts = t->ts;
    r.orig_h = id.orig_h;
    r.orig_p = id.orig_p;
    r.resp_h = id.resp_h;
    r.resp_p = id.resp_p;
    r.uid = dns_rstr(conn && conn->uid ? conn->uid : "");
    r.proto = dns_rstr(s->tcp ? "tcp" : "udp");
    for (int f = DNS_F_TS; f <= DNS_F_TRANS_ID; f++)
        dns_set(&r, (enum dns_field)f);
    r.trans_id = t->trans_id;
    if (t->has & TX_RTT) {
        r.rtt = t->rtt;
        dns_set(&r, DNS_F_RTT);
    }
    dns_record_question(&r, t, b1, b2, sizeof(b1));
    if (t->has & TX_RCODE) {
        r.rcode = t->rcode;
        r.rcode_name = dns_rstr(dns_rcode_name(t->rcode, b3, sizeof(b3)));
        dns_set(&r, DNS_F_RCODE);
        dns_set(&r, DNS_F_RCODE_NAME);
    }
    r.AA = t->aa;
    r.TC = t->tc;
    r.RD = t->rd;
    r.RA = t->ra;
    r.Z = t->z;
    r.rejected = t->rejected;
    for (int f = DNS_F_AA; f <= DNS_F_Z; f++)
        dns_set(&r, (enum dns_field)f);
    dns_set(&r, DNS_F_REJECTED);
    if (t->n_ans > 0)
        ans = calloc(t->n_ans, sizeof(*ans));
    if (ans) {
        for (size_t i = 0; i < t->n_ans; i++)
            ans[i] = (struct rstr){t->text + t->ans_off[i], t->ans_len[i]};
        r.answers = (struct rstrvec){ans, t->n_ans};
        r.TTLs = (struct rnumvec){t->ttls, t->n_ans};
        dns_set(&r, DNS_F_ANSWERS);
        dns_set(&r, DNS_F_TTLS);
    }
    if (t->has & TX_OPCODE) {
        r.opcode = t->opcode;
        r.opcode_name = dns_rstr(dns_opcode_name(t->opcode, t->netbios, b4, sizeof(b4)));
        dns_set(&r, DNS_F_OPCODE);
        dns_set(&r, DNS_F_OPCODE_NAME);
    }
    if (conn && conn->community_id) {
        r.community_id = dns_rstr(conn->community_id);
        dns_set(&r, DNS_F_COMMUNITY_ID);
    }
    proto_emit(s->ctx, &r.hdr);
    free(ans);
    if (s->cur == t)
        s->cur = NULL;
    dns_txn_free(s, t);
}

static struct dns_txn *dns_txn_new(struct dns_session *s, uint16_t id)
{
    if (s->live >= DNS_MAX_TXNS) {
        proto_weird(s->ctx, "DNS_too_many_transactions", NULL, s->now);
        return NULL;
    }
    struct dns_txn *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    s->live++;
    t->ts = s->now;
    t->trans_id = id;
    t->netbios = s->netbios;
    return t;
}

/* ---- pending queues (Zeek's PendingMessages) ---- */

static struct dns_queue *dns_pending_find(struct dns_pending *p, uint16_t id)
{
    for (size_t i = 0; i < p->n; i++)
        if (p->q[i].id == id && p->q[i].len > 0)
            return &p->q[i];
    return NULL;
}

static void dns_queue_flush(struct dns_session *s, struct dns_queue *q)
{
    while (q->head) {
        struct dns_txn *t = q->head;
        q->head = t->next;
        dns_txn_emit(s, t);
    }
    q->tail = NULL;
    q->len = 0;
}

static void dns_pending_flush(struct dns_session *s, struct dns_pending *p)
{
    for (size_t i = 0; i < p->n; i++)
        dns_queue_flush(s, &p->q[i]);
    p->n = 0;
}

static void dns_pending_put(struct dns_session *s, struct dns_pending *p, struct dns_txn *t)
{
    struct dns_queue *q = dns_pending_find(p, t->trans_id);
    if (!q) {
        if (p->n > DNS_MAX_PENDING_IDS)
            dns_pending_flush(s, p);
        if (p->n == p->cap) {
            size_t cap = p->cap ? p->cap * 2 : 8;
            struct dns_queue *nq = realloc(p->q, cap * sizeof(*nq));
            if (!nq) {
                dns_txn_emit(s, t);
                return;
            }
            p->q = nq;
            p->cap = cap;
        }
        q = &p->q[p->n++];
        memset(q, 0, sizeof(*q));
        q->id = t->trans_id;
    } else if (q->len > DNS_MAX_PENDING_MSGS) {
        dns_queue_flush(s, q);
    }
    t->next = NULL;
    if (q->tail)
        q->tail->next = t;
    else
        q->head = t;
    q->tail = t;
    q->len++;
}

static struct dns_txn *dns_queue_pop(struct dns_pending *p, struct dns_queue *q)
{
    struct dns_txn *t = q->head;
    q->head = t->next;
    if (!q->head)
        q->tail = NULL;
    q->len--;
    t->next = NULL;
    if (q->len == 0) { /* Zeek deletes the table entry */
        size_t i = (size_t)(q - p->q);
        memmove(&p->q[i], &p->q[i + 1], (p->n - i - 1) * sizeof(*q));
        p->n--;
    }
    return t;
}

/* Zeek's DNS::set_session for a query. */
static void dns_session_query(struct dns_session *s, uint16_t id)
{
    struct dns_queue *q = dns_pending_find(&s->replies, id);
    if (q) {
        s->cur = dns_queue_pop(&s->replies, q);
        return;
    }
    s->cur = dns_txn_new(s, id);
    if (!s->cur)
        return;
    if (!s->pending_query)
        s->pending_query = s->cur;
    else
        dns_pending_put(s, &s->queries, s->cur);
}

/* Zeek's DNS::set_session for a reply. */
static void dns_session_reply(struct dns_session *s, uint16_t id)
{
    struct dns_queue *q;
    if (s->pending_query && s->pending_query->trans_id == id) {
        s->cur = s->pending_query;
        s->pending_query = NULL;
        q = dns_pending_find(&s->queries, id);
        if (!q && s->queries.n > 0)
            q = &s->queries.q[0];
        if (q)
            s->pending_query = dns_queue_pop(&s->queries, q);
        return;
    }
    q = dns_pending_find(&s->queries, id);
    if (q) {
        s->cur = dns_queue_pop(&s->queries, q);
        return;
    }
    s->cur = dns_txn_new(s, id);
    if (s->cur)
        dns_pending_put(s, &s->replies, s->cur);
}

/* ---- hooks called by dns_msg.c ---- */

static bool dns_tracked(const struct dns_hdr *h)
{
    return h->opcode == DNS_OP_QUERY || h->opcode == DNS_OP_NOTIFY ||
           h->opcode == DNS_OP_UPDATE;
}

bool dns_on_netbios(const struct dns_session *s)
{
    return s->netbios;
}

void dns_on_weird(struct dns_session *s, const char *name, const char *addl)
{
    proto_weird(s->ctx, name, addl, s->now);
}

void dns_on_confirm(struct dns_session *s)
{
    proto_confirm(s->ctx);
}

struct dns_sbuf *dns_on_scratch(struct dns_session *s)
{
    return &s->scratch;
}

void dns_on_message(struct dns_session *s, const struct dns_hdr *h)
{
    if (!dns_tracked(h))
        return;
    if (h->qr)
        dns_session_reply(s, h->id);
    else
        dns_session_query(s, h->id);
    struct dns_txn *t = s->cur;
    if (!t)
        return;
    if (h->qr) {
        t->rcode = h->rcode;
        t->has |= TX_RCODE;
        if (h->rcode != 0 && h->qdcount == 0)
            t->rejected = true;
    }
    t->opcode = h->opcode;
    t->has |= TX_OPCODE;
}

/* Zeek's decode_netbios_name(): 32 letters 'A'..'P', two per byte; the
 * 16th byte (the name type) dropped, trailing spaces and NULs too. */
static size_t dns_netbios_decode(const char *q, size_t n, char *out)
{
    if (n != 32)
        return 0;
    for (size_t i = 0; i < 16; i++) {
        /* unsigned: a byte outside 'A'..'P' gives Zeek's value modulo 256, not UB */
        unsigned hi = (unsigned)((q[2 * i] & ~0x20) - 'A'), lo = (unsigned)((q[2 * i + 1] & ~0x20) - 'A');
        out[i] = (char)(uint8_t)((hi << 4) + lo);
    }
    size_t len = 15;
    while (len > 0 && (out[len - 1] == ' ' || out[len - 1] == '\0'))
        len--;
    return len;
}

void dns_on_request(struct dns_session *s, const struct dns_hdr *h, const char *query,
                    size_t qlen, uint16_t qtype, uint16_t qclass)
{
    struct dns_txn *t = s->cur;
    char nb[16];
    if (!dns_tracked(h) || !t)
        return;
    t->rd = h->rd;
    t->tc = h->tc;
    t->qclass = qclass;
    t->qtype = qtype;
    t->z = h->z;
    t->has |= TX_QUESTION;
    if (h->netbios) {
        size_t dn = dns_netbios_decode(query, qlen, nb);
        if (dn > 0) {
            query = nb;
            qlen = dn;
        }
    }
    char *copy = malloc(qlen + 1);
    if (!copy)
        return;
    memcpy(copy, query, qlen);
    copy[qlen] = '\0';
    free(t->query);
    t->query = copy;
    t->query_len = qlen;
    t->has |= TX_QUERY;
}

void dns_on_rejected(struct dns_session *s)
{
    if (s->cur)
        s->cur->rejected = true;
}

static int dns_txn_add_answer(struct dns_txn *t, const char *prefix, const char *text, size_t len,
                              uint32_t ttl)
{
    size_t plen = strlen(prefix);
    if (t->n_ans >= DNS_TXN_MAX_ANSWERS || len + plen > DNS_TXN_MAX_TEXT - t->text_len)
        return -1;
    if (t->n_ans == t->cap_ans) {
        size_t cap = t->cap_ans ? t->cap_ans * 2 : 8;
        size_t *o = realloc(t->ans_off, cap * sizeof(*o));
        if (!o)
            return -1;
        t->ans_off = o;
        size_t *l = realloc(t->ans_len, cap * sizeof(*l));
        if (!l)
            return -1;
        t->ans_len = l;
        int64_t *tt = realloc(t->ttls, cap * sizeof(*tt));
        if (!tt)
            return -1;
        t->ttls = tt;
        t->cap_ans = cap;
    }
    if (t->text_len + plen + len > t->text_cap) {
        size_t cap = t->text_cap ? t->text_cap : 256;
        while (cap < t->text_len + plen + len)
            cap *= 2;
        char *p = realloc(t->text, cap);
        if (!p)
            return -1;
        t->text = p;
        t->text_cap = cap;
    }
    t->ans_off[t->n_ans] = t->text_len;
    memcpy(t->text + t->text_len, prefix, plen);
    if (len)
        memcpy(t->text + t->text_len + plen, text, len);
    t->ans_len[t->n_ans] = plen + len;
    t->ttls[t->n_ans] = (int64_t)ttl * 1000000000LL;
    t->text_len += plen + len;
    t->n_ans++;
    return 0;
}

/* Zeek's DNS::do_reply hook. */
void dns_on_reply(struct dns_session *s, const struct dns_hdr *h, enum dns_section sec,
                  const char *rrname, size_t rrlen, uint32_t ttl, const char *reply, size_t rlen)
{
    struct dns_txn *t = s->cur;
    if (!dns_tracked(h) || !h->qr || !t)
        return;
    if (sec != DNS_SEC_ANS && sec != DNS_SEC_PREREQ && sec != DNS_SEC_UPDATE)
        return;
    if (!(t->has & TX_QUERY)) {
        char *copy = malloc(rrlen + 1);
        if (copy) {
            memcpy(copy, rrname, rrlen);
            copy[rrlen] = '\0';
            t->query = copy;
            t->query_len = rrlen;
            t->has |= TX_QUERY;
        }
    }
    t->aa = h->aa;
    t->ra = h->ra;
    if (!(t->has & TX_RTT) && s->now != t->ts) {
        t->rtt = s->now - t->ts;
        t->has |= TX_RTT;
    }
    if (rlen == 0)
        return;
    const char *prefix = "";
    if (h->opcode == DNS_OP_UPDATE && sec == DNS_SEC_UPDATE &&
        !(rlen >= 4 && memcmp(reply, "del:", 4) == 0))
        prefix = "add: ";
    if (dns_txn_add_answer(t, prefix, reply, rlen, ttl) < 0)
        proto_weird(s->ctx, "DNS_too_many_answers", NULL, s->now);
}

/* Zeek's two dns_end handlers. */
void dns_on_end(struct dns_session *s, const struct dns_hdr *h)
{
    struct dns_txn *t = s->cur;
    if (!dns_tracked(h) || !t)
        return;
    if (h->qr)
        t->saw_reply = true;
    else
        t->saw_query = true;
    if (t->saw_reply && t->saw_query)
        dns_txn_emit(s, t);
}

/* ---- the parser interface ---- */

static const uint16_t dns_udp_ports[] = {53, 137, 5353, 5355, 0};
static const uint16_t dns_tcp_ports[] = {53, 0};

static void *dns_state_new_common(struct proto_ctx *ctx, bool tcp)
{
    struct dns_session *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->ctx = ctx;
    s->tcp = tcp;
    s->scratch.max = DNS_REPLY_MAX;
    const struct proto_conn *c = proto_conn(ctx);
    s->netbios = c && c->resp_p == 137;
    return s;
}

static void *dns_udp_state_new(struct proto_ctx *ctx)
{
    return dns_state_new_common(ctx, false);
}

static void *dns_tcp_state_new(struct proto_ctx *ctx)
{
    return dns_state_new_common(ctx, true);
}

static enum proto_result dns_udp_parse(void *state, struct proto_ctx *ctx, enum proto_dir dir,
                                       const uint8_t *data, size_t len, int64_t ts)
{
    struct dns_session *s = state;
    s->ctx = ctx;
    s->now = ts;
    dns_msg_parse(s, data, len, ts);
    dns_detect_message(ctx, dir, data, len, s->det_msgs++);
    return PROTO_OK;
}

/* Feed TCP bytes of one direction through the length framing. */
static enum proto_result dns_tcp_parse(void *state, struct proto_ctx *ctx, enum proto_dir dir,
                                       const uint8_t *data, size_t len, int64_t ts)
{
    struct dns_session *s = state;
    struct dns_tcp_dir *d;
    struct cursor c;
    s->ctx = ctx;
    s->now = ts;
    if (!s->dir[dir] && !(s->dir[dir] = calloc(1, sizeof(*d))))
        return PROTO_OK;
    d = s->dir[dir];
    cursor_init(&c, data, len);
    while (cursor_left(&c) > 0 && d->state != 3) {
        uint8_t b;
        if (d->skip > 0) {
            size_t n = cursor_left(&c) < d->skip ? cursor_left(&c) : (size_t)d->skip;
            (void)cursor_skip(&c, n);
            d->skip -= n;
            continue;
        }
        if (d->state == 0 || d->state == 1) {
            (void)cursor_u8(&c, &b);
            d->need = d->state == 0 ? (uint16_t)(b << 8) : (uint16_t)(d->need | b);
            d->state++;
            d->have = 0;
        } else {
            size_t n = d->need - d->have;
            if (n > cursor_left(&c))
                n = cursor_left(&c);
            (void)cursor_bytes(&c, d->buf + d->have, n);
            d->have += n;
        }
        if (d->state == 2 && d->have == d->need) {
            dns_msg_parse(s, d->buf, d->need, ts);
            dns_detect_message(ctx, dir, d->buf, d->need, s->det_msgs++);
            d->state = 0;
        }
    }
    return PROTO_OK;
}

static enum proto_result dns_tcp_gap(void *state, struct proto_ctx *ctx, enum proto_dir dir,
                                     uint64_t len)
{
    struct dns_session *s = state;
    struct dns_tcp_dir *d = s->dir[dir];
    s->ctx = ctx;
    if (!d && !(d = s->dir[dir] = calloc(1, sizeof(*d))))
        return PROTO_OK;
    if (d->state == 2 && len <= (uint64_t)(d->need - d->have)) {
        /* the gap falls inside this message: drop it, keep the framing */
        d->skip = (uint64_t)(d->need - d->have) - len;
        d->state = 0;
        proto_weird(ctx, "DNS_message_lost_in_gap", NULL, s->now);
        return PROTO_OK;
    }
    if (d->skip >= len) {
        d->skip -= len;
        return PROTO_OK;
    }
    d->state = 3;
    return PROTO_OK;
}

static void dns_state_free(void *state, struct proto_ctx *ctx)
{
    struct dns_session *s = state;
    if (!s)
        return;
    s->ctx = ctx;
    /* Zeek's finalize_dns: the pending query, then unmatched queries, then replies. */
    if (s->pending_query) {
        struct dns_txn *t = s->pending_query;
        s->pending_query = NULL;
        dns_txn_emit(s, t);
    }
    dns_pending_flush(s, &s->queries);
    dns_pending_flush(s, &s->replies);
    free(s->queries.q);
    free(s->replies.q);
    dns_sbuf_free(&s->scratch);
    free(s->dir[0]);
    free(s->dir[1]);
    free(s);
}

/* ---- content detection ---- */

/* Does a question section start at c with a name of sane labels? */
static bool dns_probe_question(struct cursor *c)
{
    uint8_t l;
    unsigned labels = 0;
    for (;;) {
        if (cursor_u8(c, &l) < 0)
            return false;
        if (l == 0)
            break;
        if ((l & 0xc0) == 0xc0 || l > 63 || ++labels > 64 || cursor_skip(c, l) < 0)
            return false;
    }
    uint16_t qtype, qclass;
    if (cursor_u16be(c, &qtype) < 0 || cursor_u16be(c, &qclass) < 0)
        return false;
    qclass &= 0x7fff; /* mDNS's unicast-response bit */
    return qtype != 0 && (qclass == 1 || qclass == 3 || qclass == 4 || qclass == 255);
}

static enum proto_probe dns_probe_msg(const uint8_t *data, size_t len)
{
    struct cursor c;
    struct dns_hdr h;
    if (len < DNS_HDR_LEN)
        return PROTO_PROBE_NO;
    cursor_init(&c, data, len);
    memset(&h, 0, sizeof(h));
    dns_hdr_parse(&c, &h);
    if (!dns_tracked(&h) || h.qdcount == 0 || h.qdcount > 4 || h.z > 3)
        return PROTO_PROBE_NO;
    if (!h.qr && (h.ancount > 0 || h.nscount > 0 || h.arcount > 2 || h.rcode != 0))
        return PROTO_PROBE_NO;
    return dns_probe_question(&c) ? PROTO_PROBE_YES : PROTO_PROBE_NO;
}

static bool dns_port_in(const uint16_t *ports, uint16_t orig_p, uint16_t resp_p)
{
    for (size_t i = 0; ports[i]; i++)
        if (ports[i] == resp_p || ports[i] == orig_p)
            return true;
    return false;
}

/* On its well-known ports Zeek attaches the DNS analyzer by port alone, so
 * do we; elsewhere the bytes must look like a DNS message. */
static enum proto_probe dns_udp_probe(const uint8_t *data, size_t len, enum proto_dir dir,
                                      uint16_t orig_p, uint16_t resp_p)
{
    (void)dir;
    if (dns_port_in(dns_udp_ports, orig_p, resp_p))
        return PROTO_PROBE_YES;
    return dns_probe_msg(data, len);
}

static enum proto_probe dns_tcp_probe(const uint8_t *data, size_t len, enum proto_dir dir,
                                      uint16_t orig_p, uint16_t resp_p)
{
    struct cursor c;
    uint16_t mlen;
    (void)dir;
    if (dns_port_in(dns_tcp_ports, orig_p, resp_p))
        return PROTO_PROBE_YES;
    cursor_init(&c, data, len);
    if (cursor_u16be(&c, &mlen) < 0)
        return PROTO_PROBE_MAYBE;
    if (mlen < DNS_HDR_LEN + 5)
        return PROTO_PROBE_NO;
    if (cursor_left(&c) < mlen)
        return cursor_left(&c) < 64 ? PROTO_PROBE_MAYBE : dns_probe_msg(c.p, cursor_left(&c));
    return dns_probe_msg(c.p, mlen);
}

const struct proto_parser proto_dns_udp = {
    .name = "dns",
    .ip_proto = 17,
    .ports = dns_udp_ports,
    .probe = dns_udp_probe,
    .state_new = dns_udp_state_new,
    .parse = dns_udp_parse,
    .gap = NULL,
    .eof = NULL,
    .state_free = dns_state_free,
};

const struct proto_parser proto_dns_tcp = {
    .name = "dns",
    .ip_proto = 6,
    .ports = dns_tcp_ports,
    .probe = dns_tcp_probe,
    .state_new = dns_tcp_state_new,
    .parse = dns_tcp_parse,
    .gap = dns_tcp_gap,
    .eof = NULL,
    .state_free = dns_state_free,
};
