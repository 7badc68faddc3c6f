/*
 * flow_tcp.c - TCP endpoint state, history letters, sizes and content gaps
 * as Zeek 8 computes them for conn.log.
 *
 * Owns the struct flow_endp pair of a TCP flow.  Follows zeek/zeek
 * src/packet_analysis/protocol/tcp/TCPSessionAdapter.cc (Process,
 * UpdateStateMachine, IsReuse), src/analyzer/protocol/tcp/TCP_Endpoint.cc
 * (Size, history scaling) and TCP_Reassembler.cc (AckReceived, Undelivered:
 * the gaps behind missed_bytes), rewritten for Vigil's compact state.
 * Sequence numbers are relative to the endpoint's SYN (or to one before
 * its first byte when the SYN was missed); 32-bit wraps are counted.
 *
 * Endpoint states (Zeek's TCP_ENDPOINT_*):
 *
 *   INACTIVE --SYN--> SYN_SENT --(peer SYN-ACK)--> ESTABLISHED --FIN--> CLOSED
 *      |  \--SYN-ACK--> ESTABLISHED (responder)        |                 |
 *      |---data/ACK--> PARTIAL ------------------------+--RST--> RESET <-+
 *      \---FIN--> CLOSED, ---RST--> RESET
 *
 * History: S h A D F R per direction (upper case originator), T/t scaled
 * retransmissions, G/g scaled gaps, W/w scaled zero windows, I/i FIN+RST,
 * Q/q other multi-flag packets, ^ role flip.  Checksums are not verified
 * (Zeek -C), so C/c never appear.
 */
#include <string.h>

#include "flow/flow_int.h"

#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_ACK 0x10
#define F_URG 0x20

#define TOO_LARGE_SEQ_DELTA 1048576
#define MAX_ABOVE_HOLE_NO_ACKS 16384

static inline int32_t seq_delta(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b);
}

static inline uint64_t full_seq(uint32_t seq, uint32_t wraps)
{
    return ((uint64_t)wraps << 32) | seq;
}

static void endp_update_last(struct flow_endp *e, uint32_t seq)
{
    if (seq < e->last_seq)
        e->seq_wraps++;
    e->last_seq = seq;
}

static void endp_update_ack(struct flow_endp *e, uint32_t seq)
{
    if (seq < e->ack_seq)
        e->ack_wraps++;
    e->ack_seq = seq;
}

static void endp_init(struct flow_endp *e, uint32_t seq)
{
    e->start_seq = e->ack_seq = e->last_seq = seq;
    e->seq_wraps = e->ack_wraps = 0;
}

static void endp_set_state(struct flow_endp *e, int s)
{
    if (s != e->state) {
        e->prev_state = e->state;
        e->state = (uint8_t)s;
    }
}

/* Zeek's seq_between: low <= seq <= high in sequence space. */
static bool seq_between(uint32_t seq, uint32_t low, uint32_t high)
{
    return seq_delta(seq, low) >= 0 && seq_delta(seq, high) <= 0;
}

/* A TCP analyzer weird (Zeek's Analyzer::Weird: source "TCP"); the ones
 * Zeek raises through Conn()->Weird have no source (tcp_conn_weird). */
static void tcp_weird(struct flow_table *tb, struct flow *f, const char *name)
{
    flow_weird(tb, f, name, "TCP");
}

static void tcp_conn_weird(struct flow_table *tb, struct flow *f, const char *name)
{
    flow_weird(tb, f, name, NULL);
}

static bool no_data_acked(const struct flow_endp *e)
{
    return e->ack_seq == e->start_seq || e->ack_seq == e->start_seq + 1;
}

uint64_t flow_tcp_size(const struct flow *f, int side)
{
    const struct flow_endp *e = &f->u.tcp[side], *p = &f->u.tcp[side ^ 1];
    if (e->prev_state == FT_SYN_SENT && e->state == FT_RESET && p->state == FT_INACTIVE &&
        !no_data_acked(e))
        return 0;
    uint64_t last = full_seq(e->last_seq, e->seq_wraps);
    uint64_t ack = full_seq(e->ack_seq, e->ack_wraps);
    uint64_t top = last > ack ? last : ack;
    uint64_t size = top - e->start_seq;
    if (size)
        size--;
    if (e->fin_cnt && size)
        size--;
    return size;
}

static uint64_t rel_seq_of(const struct flow_endp *e, uint32_t cur, uint32_t last, uint32_t wraps,
                           bool *underflow)
{
    int32_t d = seq_delta(cur, last);
    if (d < 0) {
        if (wraps && cur > last)
            wraps--;
    } else if (d > 0) {
        if (cur < last)
            wraps++;
    }
    if (wraps == 0) {
        d = seq_delta(cur, e->start_seq);
        if (underflow && d < 0)
            *underflow = true;
        return (uint64_t)(int64_t)d;
    }
    return full_seq(cur, wraps) - e->start_seq;
}

/* ---- gaps (Zeek's TCP_Reassembler, ranges only) ------------------------- */

static bool is_clean(const struct flow_endp *a)
{
    return a->state == FT_ESTABLISHED || (a->state == FT_CLOSED && a->prev_state == FT_ESTABLISHED);
}

static void reasm_gap(struct flow *f, int side, uint32_t len)
{
    struct flow_endp *e = &f->u.tcp[side], *p = &f->u.tcp[side ^ 1];
    if (!(is_clean(e) && is_clean(p)) || len == 0)
        return;
    flow_hist_scaled(f, side == f->orig_side ? 'G' : 'g', &e->gap_cnt);
    struct flow_ext *x = flow_ext_get(f);
    if (x)
        x->missed += len;
}

/* Advance reassem over the out-of-order ranges it now touches. */
static void reasm_advance(struct flow *f, int side)
{
    struct flow_endp *e = &f->u.tcp[side];
    struct flow_ext *x = f->ext;
    if (!x)
        return;
    int n = x->n_ooo[side], k = 0;
    struct flow_ooo *r = x->ooo[side];
    for (int i = 0; i < n; i++) {
        if ((int32_t)(r[i].lo - e->reassem) <= 0) {
            if ((int32_t)(r[i].hi - e->reassem) > 0)
                e->reassem = r[i].hi;
        } else {
            r[k++] = r[i];
        }
    }
    x->n_ooo[side] = (uint8_t)k;
}

static void reasm_insert(struct flow *f, int side, uint32_t lo, uint32_t hi)
{
    struct flow_ext *x = flow_ext_get(f);
    if (!x)
        return;
    struct flow_ooo *r = x->ooo[side];
    int n = x->n_ooo[side];
    /* merge with overlapping/adjacent ranges, keep sorted */
    int i = 0;
    while (i < n && (int32_t)(r[i].hi - lo) < 0)
        i++;
    int j = i;
    while (j < n && (int32_t)(r[j].lo - hi) <= 0) {
        if ((int32_t)(r[j].lo - lo) < 0)
            lo = r[j].lo;
        if ((int32_t)(r[j].hi - hi) > 0)
            hi = r[j].hi;
        j++;
    }
    if (j == i && n == FLOW_OOO_MAX) {
        /* full: fold into the last range (loses a hole, keeps counting) */
        i = n - 1;
        j = n;
        if ((int32_t)(r[i].lo - lo) < 0)
            lo = r[i].lo;
        if ((int32_t)(r[i].hi - hi) > 0)
            hi = r[i].hi;
    }
    memmove(&r[i + 1], &r[j], (size_t)(n - j) * sizeof(*r));
    r[i].lo = lo;
    r[i].hi = hi;
    x->n_ooo[side] = (uint8_t)(n - (j - i) + 1);
}

static void reasm_data(struct flow_table *tb, struct flow *f, int side, uint32_t seq,
                       uint32_t len)
{
    struct flow_endp *e = &f->u.tcp[side];
    if (e->skip || len == 0)
        return;
    uint32_t ack = (uint32_t)(full_seq(e->ack_seq, e->ack_wraps) - e->start_seq);
    uint32_t upper = seq + len;
    if ((int32_t)(seq - ack) < 0) {
        if ((int32_t)(upper - ack) <= 0)
            return;
        seq = ack;
    }
    if ((int32_t)(upper - e->trim) <= 0)
        return;
    if ((int32_t)(seq - e->trim) < 0)
        seq = e->trim;
    if ((int32_t)(seq - e->reassem) <= 0) {
        if ((int32_t)(upper - e->reassem) > 0)
            e->reassem = upper;
        reasm_advance(f, side);
    } else {
        reasm_insert(f, side, seq, upper);
    }
    if (no_data_acked(e) && f->ext && f->ext->n_ooo[side]) {
        uint32_t top = f->ext->ooo[side][f->ext->n_ooo[side] - 1].hi;
        if (top - e->reassem > MAX_ABOVE_HOLE_NO_ACKS) {
            tcp_weird(tb, f, "above_hole_data_without_any_acks");
            f->ext->n_ooo[side] = 0;
            e->skip = 1;
        }
    }
}

static void reasm_undelivered(struct flow *f, int side, uint32_t up_to)
{
    struct flow_endp *e = &f->u.tcp[side];
    if (up_to <= 2 && f->is_partial)
        return;
    if (!e->skip) {
        struct flow_ext *x = f->ext;
        while (x && x->n_ooo[side] && (int32_t)(x->ooo[side][0].lo - up_to) < 0) {
            uint32_t lo = x->ooo[side][0].lo;
            reasm_gap(f, side, lo - e->reassem);
            e->reassem = lo;
            reasm_advance(f, side);
        }
        if ((int32_t)(up_to - e->reassem) > 0)
            reasm_gap(f, side, up_to - e->reassem);
    }
    if ((int32_t)(up_to - e->reassem) > 0)
        e->reassem = up_to;
}

static void reasm_ack(struct flow *f, int side, uint64_t seq64)
{
    struct flow_endp *e = &f->u.tcp[side];
    uint32_t seq = (uint32_t)seq64;
    if (e->fin_cnt && (int32_t)(seq - e->fin_seq) >= 0)
        seq = e->fin_seq - 1;
    if ((int32_t)(seq - e->trim) <= 0)
        return;
    if ((int32_t)(seq - e->reassem) > 0)
        reasm_undelivered(f, side, seq);
    struct flow_ext *x = f->ext;
    if (x) {
        int k = 0;
        for (int i = 0; i < x->n_ooo[side]; i++)
            if ((int32_t)(x->ooo[side][i].hi - seq) > 0)
                x->ooo[side][k++] = x->ooo[side][i];
        x->n_ooo[side] = (uint8_t)k;
    }
    e->trim = seq;
}

/* ---- history ------------------------------------------------------------ */

static void tcp_history(struct flow *f, int side, uint8_t fl, uint64_t rel, uint32_t len)
{
    struct flow_endp *e = &f->u.tcp[side];
    bool o = side == f->orig_side;
    int bits = !!(fl & F_SYN) + !!(fl & F_FIN) + !!(fl & F_RST);
    uint32_t r32 = (uint32_t)rel;
    if (bits > 1) {
        if ((fl & F_FIN) && (fl & F_RST))
            flow_hist_check(f, HIST_FIN_RST_PKT, o, 'I');
        else
            flow_hist_check(f, HIST_MULTI_FLAG_PKT, o, 'Q');
    } else if (bits == 1) {
        if (fl & F_SYN) {
            char c = (fl & F_ACK) ? 'H' : 'S';
            if (flow_hist_check(f, HIST_SYN_PKT, o, c) && r32 != e->hist_last_syn)
                flow_hist_add(f, o ? c : (char)(c | 0x20));
            e->hist_last_syn = r32;
        }
        if (fl & F_FIN) {
            if (flow_hist_check(f, HIST_FIN_PKT, o, 'F') && r32 + len != e->hist_last_fin)
                flow_hist_add(f, o ? 'F' : 'f');
            e->hist_last_fin = r32 + len;
        }
        if (fl & F_RST) {
            if (flow_hist_check(f, HIST_RST_PKT, o, 'R') && r32 != e->hist_last_rst)
                flow_hist_add(f, o ? 'R' : 'r');
            e->hist_last_rst = r32;
        }
    } else if (len) {
        flow_hist_check(f, HIST_DATA_PKT, o, 'D');
    } else if (fl & F_ACK) {
        flow_hist_check(f, HIST_ACK_PKT, o, 'A');
    }
}

/* ---- connection setup and reuse ---------------------------------------- */

void flow_tcp_want(const struct pkt_l4 *t, bool *flip)
{
    *flip = false;
    uint8_t fl = t->tcp_flags;
    if (!(fl & F_SYN) || (fl & F_ACK)) {
        if (flow_likely_server_port(6, t->sport)) {
            if (flow_likely_server_port(6, t->dport))
                *flip = !(fl & F_SYN) && t->sport < t->dport;
            else
                *flip = true;
        }
    }
}

bool flow_tcp_is_reuse(const struct flow *f, int side, const struct pkt_l4 *t)
{
    (void)side;
    uint8_t fl = t->tcp_flags;
    const struct flow_endp *orig = &f->u.tcp[f->orig_side];
    const struct flow_endp *resp = &f->u.tcp[f->orig_side ^ 1];
    const struct flow_endp *conn_orig = orig;
    if (t->tcp_hlen < 20 || !(fl & F_SYN))
        return false;
    if (fl & F_ACK) {
        if (orig->state != FT_INACTIVE)
            return false;
        conn_orig = resp;
    }
    if (!orig->did_close && !resp->did_close) {
        if (t->seq == conn_orig->start_seq)
            return false;
        if (!(fl & F_ACK) && conn_orig->state == FT_SYN_ACK_SENT && resp->state == FT_INACTIVE &&
            t->seq == resp->start_seq)
            return false;
    }
    return true;
}

/* The weird Zeek's IsReuse raises on the old connection when a SYN reuses
 * its ports (flow_tcp_is_reuse said yes; tcp_connection_linger is 5 s). */
void flow_tcp_reuse_weird(struct flow_table *tb, struct flow *f, const struct pkt_l4 *t,
                          int64_t now)
{
    const struct flow_endp *orig = &f->u.tcp[f->orig_side];
    const struct flow_endp *resp = &f->u.tcp[f->orig_side ^ 1];
    const struct flow_endp *conn_orig = (t->tcp_flags & F_ACK) ? resp : orig;
    bool active = (orig->state != FT_INACTIVE && !orig->did_close) ||
                  (resp->state != FT_INACTIVE && !resp->did_close);
    bool reset = orig->state == FT_RESET || resp->state == FT_RESET;
    if (!orig->did_close && !resp->did_close)
        tcp_weird(tb, f, conn_orig->state == FT_SYN_SENT ? "SYN_seq_jump"
                                                          : "active_connection_reuse");
    else if (active && !reset)
        tcp_weird(tb, f, "active_connection_reuse");
    else if (now - f->last_ns < 5000000000LL && !reset)
        tcp_weird(tb, f, "premature_connection_reuse");
}

static void init_endpoint(struct flow_table *tb, struct flow *f, int side, uint8_t fl,
                          uint32_t seq, uint32_t last)
{
    struct flow_endp *e = &f->u.tcp[side];
    switch (e->state) {
    case FT_INACTIVE:
        if (fl & F_SYN) {
            e->ack_seq = e->start_seq = seq;
        } else {
            e->ack_seq = e->start_seq = seq - 1;
            last = seq;
        }
        e->seq_wraps = e->ack_wraps = 0;
        e->last_seq = last;
        break;
    case FT_SYN_SENT:
    case FT_SYN_ACK_SENT:
        if ((fl & F_SYN) && seq != e->start_seq) {
            tcp_weird(tb, f, "SYN_seq_jump");
            e->start_seq = e->ack_seq = seq;
            e->last_seq = last;
        }
        break;
    case FT_ESTABLISHED:
    case FT_PARTIAL:
        if (fl & F_SYN) {
            if (flow_tcp_size(f, side) > 0)
                tcp_conn_weird(tb, f, "SYN_inside_connection");
            if (seq != e->start_seq)
                tcp_weird(tb, f, "SYN_seq_jump");
            e->start_seq = e->ack_seq = seq;
            e->last_seq = last;
        }
        break;
    case FT_RESET:
        if ((fl & F_SYN) && e->prev_state == FT_INACTIVE) {
            e->start_seq = e->ack_seq = seq;
            e->last_seq = last;
        }
        break;
    default:
        break;
    }
}

static int32_t update_last_seq(struct flow *f, int side, uint32_t last, uint8_t fl, uint32_t len)
{
    struct flow_endp *e = &f->u.tcp[side];
    int32_t d = seq_delta(last, e->last_seq);
    if ((fl & (F_SYN | F_RST)) && (d > TOO_LARGE_SEQ_DELTA || d < -TOO_LARGE_SEQ_DELTA))
        ;
    else if ((fl & F_FIN) && e->last_seq == e->start_seq + 1)
        endp_update_last(e, last);
    else if (e->state == FT_RESET)
        ;
    else if (d > 0)
        endp_update_last(e, last);
    else if (len > 0)
        flow_hist_scaled(f, side == f->orig_side ? 'T' : 't', &e->rxmt_cnt);
    return d;
}

/* Zeek's SynWeirds. */
static void tcp_syn_weirds(struct flow_table *tb, struct flow *f, uint8_t fl, uint32_t len)
{
    if (fl & F_RST)
        tcp_weird(tb, f, "TCP_christmas");
    if (fl & F_URG)
        tcp_weird(tb, f, "baroque_SYN");
    if (len > 0)
        tcp_weird(tb, f, "SYN_with_data");
}

/* ---- state machine --------------------------------------------------------- */

struct tcp_pkt {
    uint8_t fl;
    uint32_t seq, ack, len;
    bool is_orig;
    bool do_close;
};

static void st_inactive(struct flow *f, int side, struct tcp_pkt *p, int64_t now,
                        struct flow_table *tb)
{
    struct flow_endp *e = &f->u.tcp[side], *peer = &f->u.tcp[side ^ 1];
    if (p->fl & F_SYN) {
        if (p->is_orig) {
            if (p->fl & F_ACK)
                tcp_weird(tb, f, "connection_originator_SYN_ack");
            endp_set_state(e, (p->fl & F_ACK) ? FT_SYN_ACK_SENT : FT_SYN_SENT);
            f->attempt_armed = 1;
            tb->pend_class = TC_ATTEMPT;
            tb->pend_anchor = now;
        } else {
            if (p->fl & F_ACK) {
                if (peer->state != FT_INACTIVE && peer->state != FT_PARTIAL &&
                    !seq_between(p->ack, peer->start_seq, peer->last_seq))
                    tcp_weird(tb, f, "bad_SYN_ack");
            } else if (!(peer->state == FT_SYN_ACK_SENT && p->seq == e->start_seq)) {
                tcp_weird(tb, f, "simultaneous_open");
            }
            if (!(p->fl & F_ACK) && peer->state == FT_SYN_ACK_SENT && p->seq == e->start_seq) {
                /* SYN / SYN-ACK reversal: flip and establish */
                f->is_partial = 0;
                flow_flip(f);
                p->is_orig = true;
                endp_set_state(peer, FT_ESTABLISHED);
                f->first_seen |= 1;
            }
            if (peer->state == FT_SYN_SENT)
                endp_set_state(peer, FT_ESTABLISHED);
            else if (peer->state == FT_INACTIVE)
                tcp_weird(tb, f, "unsolicited_SYN_response");
            endp_set_state(e, FT_ESTABLISHED);
        }
    }
    if (p->fl & F_FIN) {
        endp_set_state(e, FT_CLOSED);
        p->do_close = true;
        if (peer->state != FT_PARTIAL && !(p->fl & F_SYN))
            tcp_weird(tb, f, "spontaneous_FIN");
    }
    if (p->fl & F_RST) {
        endp_set_state(e, FT_RESET);
        p->do_close = true;
        bool reject = p->is_orig ? peer->state == FT_ESTABLISHED
                                 : peer->state == FT_SYN_SENT || peer->state == FT_SYN_ACK_SENT;
        if (!reject && peer->state == FT_INACTIVE)
            tcp_weird(tb, f, "spontaneous_RST");
    }
    if (e->state == FT_INACTIVE) {
        const struct flow_endp *orig = &f->u.tcp[f->orig_side];
        if (!p->is_orig && p->len == 0 && orig->state == FT_SYN_SENT)
            ;
        else if ((p->fl & F_ACK) && peer->state == FT_ESTABLISHED) {
            endp_set_state(e, FT_ESTABLISHED);
            f->is_partial = 0;
            f->first_seen |= p->is_orig ? 1 : 2;
        } else {
            endp_set_state(e, FT_PARTIAL);
        }
    }
}

/* Zeek's UpdateSYN_SentState. */
static void st_syn_sent(struct flow_table *tb, struct flow *f, int side, struct tcp_pkt *p)
{
    struct flow_endp *e = &f->u.tcp[side], *peer = &f->u.tcp[side ^ 1];
    if (p->fl & F_SYN) {
        if (p->is_orig) {
            if ((p->fl & F_ACK) && !(p->fl & (F_FIN | F_RST)) && e->state != FT_SYN_ACK_SENT)
                tcp_weird(tb, f, "repeated_SYN_with_ack");
        } else if (!(p->fl & F_ACK) && e->state != FT_SYN_SENT) {
            tcp_weird(tb, f, "repeated_SYN_reply_wo_ack");
        }
    }
    if (p->fl & F_FIN) {
        if (peer->state == FT_INACTIVE || peer->state == FT_SYN_SENT)
            tcp_weird(tb, f, "inappropriate_FIN");
        endp_set_state(e, FT_CLOSED);
        p->do_close = true;
    }
    if (p->fl & F_RST) {
        endp_set_state(e, FT_RESET);
        p->do_close = true;
    } else if (p->len > 0) {
        tcp_weird(tb, f, "data_before_established");
    }
}

static void st_machine(struct flow_table *tb, struct flow *f, int side, struct tcp_pkt *p,
                       int32_t delta_last, int64_t now)
{
    struct flow_endp *e = &f->u.tcp[side], *peer = &f->u.tcp[side ^ 1];
    switch (e->state) {
    case FT_INACTIVE:
        st_inactive(f, side, p, now, tb);
        break;
    case FT_SYN_SENT:
    case FT_SYN_ACK_SENT:
        st_syn_sent(tb, f, side, p);
        break;
    case FT_ESTABLISHED:
    case FT_PARTIAL:
        if ((p->fl & F_SYN) && e->state == FT_PARTIAL && peer->state == FT_INACTIVE &&
            !(p->fl & F_ACK)) {
            tcp_weird(tb, f, "SYN_after_partial");
            endp_set_state(e, FT_SYN_SENT);
        }
        if ((p->fl & F_FIN) && !(p->fl & F_RST)) {
            endp_set_state(e, FT_CLOSED);
            if (peer->state == FT_RESET && peer->prev_state == FT_CLOSED)
                endp_set_state(peer, FT_CLOSED);
            p->do_close = true;
        }
        if (p->fl & F_RST) {
            endp_set_state(e, FT_RESET);
            p->do_close = true;
        }
        break;
    case FT_CLOSED:
        if (p->fl & F_SYN)
            tcp_weird(tb, f, "SYN_after_close");
        if ((p->fl & F_FIN) && delta_last > 0)
            tcp_weird(tb, f, "FIN_advanced_last_seq");
        if ((p->fl & F_RST) && peer->state != FT_CLOSED) {
            endp_set_state(e, FT_RESET);
            if (!e->did_close)
                p->do_close = true;
            if (!f->close_armed) {
                f->close_armed = 1;
                tb->pend_class = TC_CLOSE;
                tb->pend_anchor = now;
            }
        }
        break;
    case FT_RESET:
        if (p->fl & F_SYN)
            tcp_weird(tb, f, "SYN_after_reset");
        if (p->fl & F_FIN)
            tcp_weird(tb, f, "FIN_after_reset");
        if (p->len > 0 && !(p->fl & F_RST))
            tcp_weird(tb, f, "data_after_reset");
        break;
    default:
        break;
    }
}

/* Zeek's ConnectionClosed (without deferral for pending data). */
static void tcp_closed(struct flow_table *tb, struct flow *f, int side)
{
    struct flow_endp *e = &f->u.tcp[side], *peer = &f->u.tcp[side ^ 1];
    if (e->did_close)
        return;
    e->did_close = 1;
    bool complete = e->state == FT_RESET || peer->did_close || peer->state == FT_INACTIVE;
    if (complete) {
        if (!f->close_armed) {
            f->close_armed = 1;
            tb->pend_class = TC_CLOSE;
            tb->pend_anchor = f->last_ns;
        }
    } else if (e->prev_state == FT_INACTIVE) {
        f->partial_armed = 1;
    }
}

/* The ack of a segment from key side `side` (Zeek's Process, ACK part):
 * starts the peer's numbering when it is inactive (init_peer), else
 * advances its acked sequence.  Returns the relative ack. */
static uint64_t tcp_ack(struct flow_table *tb, struct flow *f, int side, const struct tcp_pkt *p)
{
    struct flow_endp *e = &f->u.tcp[side], *peer = &f->u.tcp[side ^ 1];
    if (peer->state == FT_INACTIVE) {
        if (!(p->fl & (F_SYN | F_FIN | F_RST)) &&
            (e->state == FT_SYN_SENT || e->state == FT_SYN_ACK_SENT ||
             e->state == FT_ESTABLISHED) && !f->did_weird)
            tcp_conn_weird(tb, f, "possible_split_routing");
        endp_init(peer, p->ack - 1);
        return 1;
    }
    bool au = false;
    uint64_t rel_ack = rel_seq_of(peer, p->ack, peer->ack_seq, peer->ack_wraps, &au);
    if (au) {
        tcp_weird(tb, f, "TCP_ack_underflow_or_misorder");
        return 0;
    }
    if (!(p->fl & F_RST)) { /* acks of RSTs are not trusted */
        int32_t da = seq_delta(p->ack, peer->ack_seq);
        if (!(p->ack == 0 && da > TOO_LARGE_SEQ_DELTA) && da > 0)
            endp_update_ack(peer, p->ack);
    }
    return rel_ack;
}

void flow_tcp_packet(struct flow_table *tb, struct flow *f, int side, const struct pkt_l4 *t,
                     int64_t now)
{
    struct flow_endp *e = &f->u.tcp[side], *peer = &f->u.tcp[side ^ 1];
    struct tcp_pkt p = {.fl = t->tcp_flags, .seq = t->seq, .ack = t->ack,
                        .len = t->payload_wire_len, .is_orig = side == f->orig_side};
    tb->pend_class = -1;
    if (f->pkts[0] + f->pkts[1] == 1) {
        f->u.tcp[0].reassem = f->u.tcp[0].trim = 1;
        f->u.tcp[1].reassem = f->u.tcp[1].trim = 1;
    }
    /* Zeek's SetPartialStatus */
    int bit = p.is_orig ? 1 : 2;
    if (p.is_orig) {
        if (!(f->first_seen & 1))
            f->is_partial = !(p.fl & F_SYN) || (p.fl & F_ACK);
    } else if (!(f->first_seen & 2) && !f->is_partial) {
        f->is_partial = !(p.fl & F_SYN);
    }
    uint32_t seg = p.len + !!(p.fl & F_SYN) + !!(p.fl & F_FIN);
    if (p.fl & F_RST)
        seg -= p.len;
    init_endpoint(tb, f, side, p.fl, p.seq, p.seq + seg);
    bool under = false;
    uint64_t rel = rel_seq_of(e, p.seq, e->last_seq, e->seq_wraps, &under);
    if (under && !(p.fl & F_RST))
        tcp_weird(tb, f, "TCP_seq_underflow_or_misorder");
    tcp_history(f, side, p.fl, rel, p.len);
    if (t->win == 0 && !(p.fl & F_RST) && peer->state != FT_CLOSED && e->state != FT_RESET)
        flow_hist_scaled(f, p.is_orig ? 'W' : 'w', &e->win0_cnt);
    if (!e->did_close || !peer->did_close)
        f->last_ns = now;
    if (p.fl & F_SYN)
        tcp_syn_weirds(tb, f, p.fl, p.len);
    if (p.fl & F_FIN) {
        e->fin_cnt = 1;
        e->fin_seq = (uint32_t)(rel + seg);
    }
    if (p.fl & F_RST)
        e->rst_cnt = 1;
    uint64_t rel_ack = (p.fl & F_ACK) ? tcp_ack(tb, f, side, &p) : 0;
    int32_t dl = update_last_seq(f, side, p.seq + seg, p.fl, p.len);
    st_machine(tb, f, side, &p, dl, now);
    /* a flip inside the state machine changed who is who */
    bit = p.is_orig ? 1 : 2;
    if (p.fl & F_ACK)
        reasm_ack(f, side ^ 1, rel_ack);
    f->first_seen |= (uint8_t)bit;
    if (p.len > 0 && !(p.fl & F_RST) && !under) {
        /* Zeek's TCP_Endpoint::DataSent: a segment cut by the snap length
         * is not reassembled (a packet shorter than its IP length on the
         * wire never reaches Zeek's TCP analyzer: truncated_IP_len) */
        if (t->payload_len >= p.len)
            reasm_data(tb, f, side, (uint32_t)((p.fl & F_SYN) ? rel + 1 : rel), p.len);
        else if (tb->snapped)
            tcp_weird(tb, f, "truncated_tcp_payload");
    }
    if (p.do_close)
        tcp_closed(tb, f, side);
}

/* ---- timers ---------------------------------------------------------------- */

void flow_tcp_timer(struct flow_table *tb, struct flow *f, int *tclass, int64_t *anchor)
{
    const struct flow_endp *orig = &f->u.tcp[f->orig_side];
    const struct flow_endp *resp = &f->u.tcp[f->orig_side ^ 1];
    if (f->tclass == TC_CLOSE) {
        *tclass = TC_CLOSE;
        *anchor = f->anchor_ns;
    } else if (tb->pend_class == TC_CLOSE) {
        *tclass = TC_CLOSE;
        *anchor = tb->pend_anchor;
    } else if (f->attempt_armed && (orig->state == FT_SYN_SENT || orig->state == FT_SYN_ACK_SENT) &&
               resp->state == FT_INACTIVE) {
        *tclass = TC_ATTEMPT;
        *anchor = f->tclass == TC_ATTEMPT ? f->anchor_ns
                  : tb->pend_class == TC_ATTEMPT ? tb->pend_anchor : f->last_ns;
    } else if (f->partial_armed && orig->state != FT_INACTIVE && resp->state != FT_INACTIVE &&
               !(orig->did_close && resp->did_close) && orig->state != FT_RESET &&
               resp->state != FT_RESET) {
        *tclass = TC_PARTIAL;
        *anchor = f->tclass == TC_PARTIAL ? f->anchor_ns : f->last_ns;
    } else {
        *tclass = TC_TCP;
        *anchor = f->last_ns;
    }
    tb->pend_class = -1;
}

/* ---- conn_state (base/protocols/conn/main.zeek conn_state()) ----------- */

static bool hist_rstos0(const char *h)
{
    /* /^\^?S[^HAFGIQ]*R.*$/ */
    if (*h == '^')
        h++;
    if (*h != 'S')
        return false;
    for (h++; *h; h++) {
        if (*h == 'R')
            return true;
        if (strchr("HAFGIQ", *h))
            return false;
    }
    return false;
}

const char *flow_tcp_conn_state(const struct flow *f, const char *history)
{
    int os = f->u.tcp[f->orig_side].state, rs = f->u.tcp[f->orig_side ^ 1].state;
    bool oi = os == FT_INACTIVE || os == FT_PARTIAL;
    bool ri = rs == FT_INACTIVE || rs == FT_PARTIAL;
    if (rs == FT_RESET) {
        if (os == FT_SYN_SENT || os == FT_SYN_ACK_SENT ||
            (os == FT_RESET && flow_tcp_size(f, f->orig_side) == 0 &&
             flow_tcp_size(f, f->orig_side ^ 1) == 0))
            return "REJ";
        return oi ? "RSTRH" : "RSTR";
    }
    if (os == FT_RESET) {
        if (ri)
            return hist_rstos0(history) ? "RSTOS0" : "OTH";
        return "RSTO";
    }
    if (rs == FT_CLOSED && os == FT_CLOSED)
        return "SF";
    if (os == FT_CLOSED)
        return ri ? "SH" : "S2";
    if (rs == FT_CLOSED)
        return oi ? "SHR" : "S3";
    if (os == FT_SYN_SENT && rs == FT_INACTIVE)
        return "S0";
    if (os == FT_ESTABLISHED && rs == FT_ESTABLISHED)
        return "S1";
    return "OTH";
}

/* ---- likely server ports ------------------------------------------------ */

/* Zeek 8's likely_server_ports: the ports its default-loaded protocol and
 * tunnel scripts add (`redef likely_server_ports += { ports }`). */
bool flow_likely_server_port(uint8_t proto, uint16_t port)
{
    static const uint16_t tcp[] = {21, 22, 25, 53, 80, 81, 88, 110, 135, 139, 143, 443, 445,
                                   502, 563, 585, 587, 614, 631, 636, 750, 989, 990, 992, 993,
                                   995, 1080, 1434, 2811, 3128, 3306, 3389, 5222, 5223, 5269,
                                   6666, 6667, 6668, 6669, 8000, 8080, 8888, 20000};
    static const uint16_t udp[] = {53, 67, 68, 88, 123, 137, 161, 162, 443, 514, 750, 1812,
                                   2123, 2152, 3544, 4789, 5060, 5072, 5353, 5355, 6081, 20000};
    const uint16_t *v = proto == 6 ? tcp : udp;
    size_t n = proto == 6 ? sizeof(tcp) / sizeof(tcp[0]) : sizeof(udp) / sizeof(udp[0]);
    if (proto != 6 && proto != 17)
        return false;
    for (size_t i = 0; i < n; i++)
        if (v[i] == port)
            return true;
    return false;
}
