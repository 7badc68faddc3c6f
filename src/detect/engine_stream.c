/*
 * engine_stream.c - reassembled-stream inspection of TCP packet rules
 * (docs/alerts.md "Stream inspection").
 *
 * The app layer hands every in-order chunk of a TCP direction (as it is
 * delivered to the parsers, after the reassembler resolved overlaps and
 * holes) to detect_stream_data().  Packet rules whose pkt_data applies to
 * the stream (det_rule.stream, chosen as Suricata does: tcp rules with
 * payload content are stream rules unless flow:no_stream/tcp-pkt or a
 * packet keyword such as dsize; content with offset/depth inspects both)
 * are matched on a window: the tail of the previous chunk (stail bytes, the
 * longest span a stream rule's contents can cover, at most
 * DETECT_STREAM_TAIL_MAX) followed by the new chunk.  So content split over
 * segments is found, and a gap (a hole the reassembler gave up on) ends
 * the window: nothing matches across it.
 *
 * Each rule alerts once per match position: a rule sees the window from
 * its own tail (det_rule.stail: its span less one, so a whole match never
 * fits in it) and is selected by the prefilter (a block-mode Vectorscan
 * database over the stream rules' fast patterns, compiled without
 * SINGLEMATCH so every occurrence is reported) when its fast pattern ends
 * in that view, or always when it has none; it alerts when it matches the
 * view and not its tail alone (a match there was reported with the
 * previous chunk).  The database is the window's signature group's
 * (engine_sgh.c: by direction and server port).
 *
 * The tail is not scanned again: a window is scanned when it is queued
 * (stream_scan), and the matches that lie wholly in the part of it kept as
 * the next tail are remembered with the flow's direction (det_sdir.mem, at
 * most DET_SMEM_MAX); the next window takes those and scans only from its
 * group's longest pattern's reach before the new bytes.  A literal's match
 * depends on its bytes only, so the matches are those a scan of the whole
 * window would give (ET: the stream bytes scanned drop by about the tail's
 * share, a third).  A gap, a new engine or a group change forgets them.
 *
 * The packet whose payload a window holds as its new bytes (the common
 * case: in-order data, delivered with its packet) is not scanned with the
 * TCP packet database: the window's scan gives its candidates too
 * (det_stream_cover, pkt_match).  The database has, besides the stream
 * rules' patterns, an entry (id | SDB_PKT) for each packet-only TCP rule;
 * a both-ways rule's stream pattern or such an entry makes the rule a
 * candidate of the packet when the match, with the NULs its pattern lost,
 * lies wholly in the new bytes, as the packet's own scan would find it.
 *
 * Why block mode over a tail rather than Vectorscan streaming mode
 * (hs_open_stream per flow direction): the full rule (relative contents,
 * pcre, byte_*) must be evaluated on real bytes anyway, so a tail is kept
 * either way, and the streaming state of a large literal database is
 * larger than the tail (hs_stream_size reports several hundred bytes to
 * kilobytes for ET-sized databases, against stail bytes here, allocated
 * only for directions that carried data).
 *
 * The per-flow state (struct detect_stream) belongs to the app layer's
 * flow context and is freed with it (detect_stream_free).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/str.h"
#include "detect/engine_int.h"
#include "detect/hs_cache.h"
#include "proto/proto.h"

struct det_sdir {
    uint8_t *tail;
    uint32_t len, cap;
    /* the stream database matches that lie wholly in the tail (offsets in
     * it), those starting at mem_from or later, found with group mem_grp:
     * the next window takes them instead of scanning the tail again */
    struct det_smatch *mem;
    uint32_t n_mem, cap_mem, mem_from;
    uint64_t mem_build; /* the engine build (sgh_build) that found them */
    uint8_t mem_ok, mem_grp;
};

struct detect_stream {
    struct det_sdir d[2]; /* 0 to server, 1 to client */
};

/* ---- building ------------------------------------------------------------ */

static const struct rule_buflist *pkt_list(const struct rule *r)
{
    for (uint32_t b = 0; b < r->n_bufs; b++)
        if (r->bufs[b].buffer == RULE_BUF_PKT && r->bufs[b].n)
            return &r->bufs[b];
    return NULL;
}

static int tcp_capable(uint8_t proto)
{
    switch (proto) {
    case RULE_PROTO_IP: case RULE_PROTO_TCP: case RULE_PROTO_TCP_STREAM: case RULE_PROTO_HTTP:
    case RULE_PROTO_TLS: case RULE_PROTO_SSH: case RULE_PROTO_DNS: case RULE_PROTO_SMB:
    case RULE_PROTO_DCERPC:
        return 1;
    default:
        return 0;
    }
}

uint8_t det_stream_mode(const struct det_rule *dr)
{
    const struct rule *r = dr->r;
    const struct rule_buflist *bl = pkt_list(r);
    if (dr->tx || !bl || !tcp_capable(r->proto))
        return DS_PKT;
    if (r->proto == RULE_PROTO_TCP_PKT || (r->flow & RULE_FLOW_NO_STREAM))
        return DS_PKT;
    if ((r->has & ~(uint32_t)(RULE_HAS_TAG | RULE_HAS_URILEN)) || r->px)
        return DS_PKT; /* dsize, flags, ttl, vlan, events ...: properties of one packet */
    if (r->proto == RULE_PROTO_TCP_STREAM || (r->flow & RULE_FLOW_ONLY_STREAM))
        return DS_ONLY;
    for (uint32_t i = 0; i < bl->n; i++)
        if (bl->elems[i].kind == RULE_ELEM_CONTENT &&
            (bl->elems[i].u.content.flags &
             (RULE_CONTENT_OFFSET | RULE_CONTENT_DEPTH | RULE_CONTENT_STARTSWITH)))
            return DS_BOTH;
    return DS_DEFAULT;
}

/* The rule's stream pattern: its fast pattern on pkt_data less leading NUL
 * bytes (Vectorscan 5.4's literal API takes a pattern starting with a NUL
 * byte for an empty string and refuses the whole database: the prefilter
 * is only a filter, so the rest, which still ends where the content ends,
 * is the pattern; all NULs: none).  A 1-2 byte one (ET's "|03|" for RDP,
 * "|00 00 00 47|" less its NULs) occurs in most windows of any port: the
 * port index selects fewer, so such a rule goes there when it can.  The
 * number of leading NULs left out in *nul. */
static int stream_pattern(const struct det_rule *dr, const uint8_t **p, uint32_t *plen,
                          int *nocase, uint32_t *nul)
{
    uint8_t buf;
    *nul = 0;
    if (!det_rule_fast_pattern(dr->r, &buf, p, plen, nocase) || buf != RULE_BUF_PKT)
        return 0;
    while (*plen > 0 && **p == 0)
        (*p)++, (*plen)--, (*nul)++;
    if (*plen <= 2 && det_index_by_port(dr->r, DG_TCP))
        return 0;
    return *plen > 0;
}

/* A packet-only rule's entry in the stream database: its pkt_data fast
 * pattern less leading NULs when at least SDB_PKT_MIN bytes are left (a
 * shorter one would report in most windows). */
#define SDB_PKT DET_SDB_PKT /* id bit of such an entry */
#define SDB_PKT_MIN 3

static int pkt_entry(const struct det_rule *dr, const uint8_t **p, uint32_t *plen, int *nocase,
                     uint32_t *nul)
{
    uint8_t buf;
    *nul = 0;
    if (!det_rule_fast_pattern(dr->r, &buf, p, plen, nocase) || buf != RULE_BUF_PKT)
        return 0;
    while (*plen > 0 && **p == 0)
        (*p)++, (*plen)--, (*nul)++;
    return *plen >= SDB_PKT_MIN;
}

int det_stream_derives(const struct det_rule *dr)
{
    const uint8_t *p;
    uint32_t plen, nul;
    int nocase, ok;
    switch (det_stream_mode(dr)) {
    case DS_BOTH: ok = stream_pattern(dr, &p, &plen, &nocase, &nul); break;
    case DS_PKT: ok = pkt_entry(dr, &p, &plen, &nocase, &nul); break;
    default: return 0;
    }
    return ok && nul <= UINT16_MAX;
}

/* Bytes a rule's contents can span: what the tail must hold (less one). */
static uint32_t rule_span(const struct rule *r)
{
    const struct rule_buflist *bl = pkt_list(r);
    uint64_t span = 0;
    for (uint32_t i = 0; bl && i < bl->n; i++) {
        const struct rule_elem *el = &bl->elems[i];
        if (el->kind == RULE_ELEM_CONTENT) {
            const struct rule_content *c = &el->u.content;
            span += c->len;
            if ((c->flags & RULE_CONTENT_DISTANCE) && c->distance.var < 0 && c->distance.v > 0)
                span += (uint32_t)c->distance.v;
        } else if (el->kind == RULE_ELEM_PCRE) {
            span += 64; /* unbounded in general: a pcre gets some context */
        }
    }
    return span > DETECT_STREAM_TAIL_MAX ? DETECT_STREAM_TAIL_MAX : (uint32_t)span;
}

static int always_add(struct det_group *g, uint32_t id)
{
    if (g->n_always == g->cap_always) {
        uint32_t nc = g->cap_always ? g->cap_always * 2 : 16;
        uint32_t *n = realloc(g->always, nc * sizeof(*n));
        if (!n)
            return -1;
        g->always = n;
        g->cap_always = nc;
    }
    g->always[g->n_always++] = id;
    return 0;
}

int det_stream_build(struct detect_engine *e, char *err, size_t errlen)
{
    uint32_t n = 0, span = 0;
    const char **pat = calloc(e->n_rules + 1, sizeof(*pat));
    size_t *len = calloc(e->n_rules + 1, sizeof(*len));
    unsigned *flags = calloc(e->n_rules + 1, sizeof(*flags)), *ids = calloc(e->n_rules + 1, sizeof(*ids));
    e->spkt = calloc(e->n_rules + 1, sizeof(*e->spkt));
    int rc = -1;
    if (!pat || !len || !flags || !ids || !e->spkt)
        goto oom;
    for (uint32_t id = 0; id < e->n_rules; id++) {
        struct det_rule *dr = &e->rules[id];
        dr->stream = det_stream_mode(dr);
        const uint8_t *p;
        uint32_t plen, nul;
        int nocase;
        if (dr->stream == DS_PKT) {
            if (dr->pderive && pkt_entry(dr, &p, &plen, &nocase, &nul)) {
                dr->splen = plen, dr->pnul = (uint16_t)nul;
                pat[n] = (const char *)p;
                len[n] = plen;
                flags[n] = nocase ? HS_FLAG_CASELESS : 0;
                ids[n++] = id | SDB_PKT;
            }
            continue;
        }
        e->n_stream++;
        uint32_t s = rule_span(dr->r);
        span = s > span ? s : span;
        dr->stail = (uint16_t)(s > 1 ? s - 1 : 0);
        if (stream_pattern(dr, &p, &plen, &nocase, &nul)) {
            dr->splen = plen, dr->pnul = (uint16_t)(nul <= UINT16_MAX ? nul : 0);
            pat[n] = (const char *)p;
            len[n] = plen;
            flags[n] = nocase ? HS_FLAG_CASELESS : 0;
            ids[n] = id;
            n++;
        } else if (always_add(&e->sidx, id) < 0) {
            goto oom;
        }
    }
    if (det_index_group(e, &e->sidx, 1) < 0)
        goto oom;
    e->stail = span > 1 ? span - 1 : 0;
    rc = n ? det_sgh_build(e, pat, len, flags, ids, n, err, errlen) : 0;
    goto out;
oom:
    snprintf(err, errlen, "out of memory building the stream rules");
out:
    free(pat);
    free(len);
    free(flags);
    free(ids);
    return rc;
}

void det_stream_engine_free(struct detect_engine *e)
{
    det_sgh_free(e);
    free(e->sidx.always);
    det_index_free(&e->sidx);
    free(e->spkt);
    free(e->swin);
    free(e->spend);
    free(e->spairs);
    free(e->smem);
}

/* ---- inspection ------------------------------------------------------------ */

/* A window waiting for its packet's inspection: stream rules and packet
 * rules then run together in rule order (flowbits set by one are seen by
 * the next, as in Suricata, where stream inspection is part of the packet's
 * detection).  The connection's fields are copied: the flow may end before
 * the packet is inspected. */
struct det_spend {
    uint32_t off, len, old; /* window bytes in e->swin; old: the tail's share */
    uint32_t moff, mn;      /* its pattern matches: e->smem[moff, moff + mn) */
    uint8_t to_server;
    int64_t ts;
    struct proto_conn conn;
    char uid[24], cid[64];
};

#define SPEND_MAX 64           /* windows queued for one packet */
#define SPEND_BYTES (1u << 20) /* window bytes queued for one packet */
#define DET_SMEM_MAX 1024      /* matches remembered for a direction's next window */

struct smatch_ctx {
    struct detect_engine *e;
    uint32_t old; /* bytes of the window that were inspected before (the tail) */
    uint8_t src;  /* window index */
    uint8_t pkt;  /* the window's new bytes are the inspected packet's payload */
    const uint8_t *win;
};

static int pair_add(struct detect_engine *e, uint32_t id, uint8_t src)
{
    if (e->n_spairs == e->cap_spairs) {
        uint32_t nc = e->cap_spairs ? e->cap_spairs * 2 : 64;
        uint64_t *n = realloc(e->spairs, nc * sizeof(*n));
        if (!n)
            return -1;
        e->spairs = n;
        e->cap_spairs = nc;
    }
    e->spairs[e->n_spairs++] = (uint64_t)id << 8 | src;
    return 0;
}

/* A window's marks: gen - 1 the rule is paired with the window, gen with
 * the window and (derived, det_stream_cover) with the packet. */
static int paired(const struct detect_engine *e, uint32_t id)
{
    return e->mark[id] == e->gen || e->mark[id] == e->gen - 1;
}

static void pair_once(struct detect_engine *e, uint32_t id, uint8_t src)
{
    if (id < e->n_rules && !paired(e, id)) {
        e->mark[id] = e->gen - 1;
        pair_add(e, id, src);
    }
}

static void on_sindex(uint32_t id, void *ctx)
{
    const struct smatch_ctx *m = ctx;
    pair_once(m->e, id, m->src);
}

/* Is the match of dr's pattern ending at to, with the NULs left out of it
 * before it, wholly in the window's new bytes (the packet's payload)?  Then
 * the packet's own scan with the whole pattern finds it too. */
static int pkt_match(const struct smatch_ctx *m, const struct det_rule *dr, unsigned long long to)
{
    unsigned long long at = to - dr->splen;
    if (to < dr->splen || at < (unsigned long long)m->old + dr->pnul)
        return 0;
    for (uint32_t i = 1; i <= dr->pnul; i++)
        if (m->win[at - i])
            return 0;
    return 1;
}

static int on_smatch(unsigned int id, unsigned long long from, unsigned long long to,
                     unsigned int flags, void *ctx)
{
    struct smatch_ctx *m = ctx;
    struct detect_engine *e = m->e;
    (void)from, (void)flags;
    if (id & SDB_PKT) { /* a packet-only rule's entry */
        id &= ~SDB_PKT;
        if (m->pkt && id < e->n_rules && e->mark[id] != e->gen && pkt_match(m, &e->rules[id], to)) {
            e->mark[id] = e->gen;
            pair_add(e, id, 0xff);
        }
        return 0;
    }
    if (id >= e->n_rules)
        return 0;
    const struct det_rule *dr = &e->rules[id];
    if (m->pkt && dr->pderive && pkt_match(m, dr, to)) {
        if (e->mark[id] != e->gen) {
            if (e->mark[id] != e->gen - 1)
                pair_add(e, id, m->src);
            pair_add(e, id, 0xff);
            e->mark[id] = e->gen;
        }
        return 0;
    }
    uint32_t back = dr->stail < m->old ? dr->stail : m->old;
    if (to > m->old - back && !paired(e, id)) {
        e->mark[id] = e->gen - 1;
        pair_add(e, id, m->src);
    }
    return 0;
}

static void insp_setup(struct det_insp *in, const struct det_spend *w, const uint8_t *win)
{
    const struct proto_conn *conn = &w->conn;
    int to_server = w->to_server;
    det_insp_clear(in);
    in->buf[RULE_BUF_PKT] = win;
    in->len[RULE_BUF_PKT] = w->len;
    in->have[RULE_BUF_PKT] = 1;
    in->ip_proto = 6;
    in->to_server = to_server;
    in->src = to_server ? conn->orig_h : conn->resp_h;
    in->dst = to_server ? conn->resp_h : conn->orig_h;
    in->sport = to_server ? conn->orig_p : conn->resp_p;
    in->dport = to_server ? conn->resp_p : conn->orig_p;
    in->conn = conn;
    in->ts = w->ts;
    in->stream = 1;
    in->fs = det_flow_find(conn->uid, 1);
    in->app = in->fs ? in->fs->app : 0;
    struct det_stash *st = det_stash_get();
    if (st->num && strncmp(st->uid, conn->uid, sizeof(st->uid)) == 0)
        in->st = st;
}

/* Narrow window inspection in to what rule dr sees: its own tail
 * (dr->stail bytes of the previous chunk, the longest its contents can
 * span less one) and the new chunk; *cut: the bytes left out before them
 * (view_end puts them back).  0 when the rule matches within that tail
 * alone: that match was seen with the previous chunk.  In place: a copy
 * of the inspection per candidate showed in profiles. */
static int rule_view(struct detect_engine *e, const struct det_rule *dr, struct det_insp *in,
                     uint32_t old, uint32_t *cut)
{
    uint32_t back = dr->stail < old ? dr->stail : old;
    *cut = old - back;
    in->buf[RULE_BUF_PKT] += *cut;
    in->len[RULE_BUF_PKT] -= *cut;
    if (!back)
        return 1;
    uint32_t full = in->len[RULE_BUF_PKT];
    in->len[RULE_BUF_PKT] = back;
    int m = det_rule_matches(e, dr->r, in);
    in->len[RULE_BUF_PKT] = full;
    return !m;
}

static void view_end(struct det_insp *in, uint32_t cut)
{
    in->buf[RULE_BUF_PKT] -= cut;
    in->len[RULE_BUF_PKT] += cut;
}

/* Candidates of window k, inspection in (pairs rule << 8 | k). */
static void window_candidates(struct detect_engine *e, uint8_t k, const struct det_insp *in)
{
    const struct det_spend *w = &e->spend[k];
    if (e->gen > UINT32_MAX - 2) {
        memset(e->mark, 0, (e->n_rules + 1) * sizeof(*e->mark));
        e->gen = 0;
    }
    e->gen += 2; /* two marks a window (paired) */
    struct smatch_ctx m = {e, w->old, k, e->pwin == k + 1, e->swin + w->off};
    for (uint32_t i = 0; i < w->mn; i++) /* found when it was queued (stream_scan) */
        on_smatch(e->smem[w->moff + i].id, 0, e->smem[w->moff + i].to, 0, &m);
    for (uint32_t i = 0; i < e->sidx.n_always; i++)
        pair_once(e, e->sidx.always[i], k);
    if (e->sidx.n_indexed)
        det_index_each(&e->sidx, in, on_sindex, &m);
    e->ctr.stream_chunks++;
}

void det_stream_run(struct detect_engine *e, enum det_grp g, const struct det_insp *pin,
                    const uint32_t *pids, uint32_t n_pids)
{
    struct det_insp ins[SPEND_MAX];
    uint32_t nw = e->n_spend;
    e->n_spairs = 0;
    for (uint32_t k = 0; k < nw; k++) {
        insp_setup(&ins[k], &e->spend[k], e->swin + e->spend[k].off);
        window_candidates(e, (uint8_t)k, &ins[k]);
    }
    for (uint32_t i = 0; pin && i < n_pids; i++)
        pair_add(e, pids[i], 0xff); /* the packet after the windows of the same rule */
    det_sort_u64(e->spairs, e->n_spairs);
    const struct det_flow *fs = nw ? ins[0].fs : pin ? pin->fs : NULL;
    for (int pass = 1; pass >= 0 && !(fs && fs->passed); pass--) /* pass rules first */
        for (uint32_t i = 0; i < e->n_spairs; i++) {
            uint32_t id = (uint32_t)(e->spairs[i] >> 8);
            uint8_t src = (uint8_t)e->spairs[i];
            if (e->rules[id].pass != pass)
                continue;
            if (src == 0xff) {
                if (det_eval_one(e, g, &e->rules[id], pin) && pass)
                    break;
                continue;
            }
            uint32_t cut;
            int hit = rule_view(e, &e->rules[id], &ins[src], e->spend[src].old, &cut) &&
                      det_eval_one(e, DG_TCP, &e->rules[id], &ins[src]);
            view_end(&ins[src], cut);
            if (hit && pass)
                break;
        }
    e->n_spend = 0;
    e->swlen = 0;
    e->n_spairs = 0;
    e->n_smem = 0;
    e->pwin = 0;
}

int det_stream_pending(const struct detect_engine *e)
{
    return e->n_spend != 0;
}

int det_stream_cover(struct detect_engine *e, const struct det_insp *in)
{
    const uint8_t *p = in->buf[RULE_BUF_PKT];
    uint32_t n = in->len[RULE_BUF_PKT];
    e->pwin = 0;
    if (!in->pkt || !in->st || !in->st->stream_add || !p || !n || !e->n_sgh)
        return 0;
    for (uint32_t k = 0; k < e->n_spend; k++) {
        const struct det_spend *w = &e->spend[k];
        /* the window's group was chosen by its direction and ports: the
         * packet's must be the same for its candidates to come from the
         * window's scan */
        uint16_t sp = w->to_server ? w->conn.orig_p : w->conn.resp_p;
        uint16_t dp = w->to_server ? w->conn.resp_p : w->conn.orig_p;
        if (w->len - w->old == n && (in->to_server != 0) == w->to_server && in->sport == sp &&
            in->dport == dp && memcmp(e->swin + w->off + w->old, p, n) == 0) {
            e->pwin = (uint8_t)(k + 1);
            return 1;
        }
    }
    return 0;
}

/* ---- hooks ------------------------------------------------------------------ */

int detect_stream_wanted(void)
{
    struct detect_engine *e = det_current();
    return e && e->n_stream;
}

void detect_stream_added(void)
{
    det_stash_get()->stream_add = 1;
}

static int win_reserve(struct detect_engine *e, uint32_t need)
{
    if (need <= e->swcap)
        return 0;
    uint32_t nc = e->swcap ? e->swcap : 4096;
    while (nc < need)
        nc *= 2;
    uint8_t *n = realloc(e->swin, nc);
    if (!n)
        return -1;
    e->swin = n;
    e->swcap = nc;
    return 0;
}

static int spend_reserve(struct detect_engine *e)
{
    if (e->n_spend < e->cap_spend)
        return 0;
    uint32_t nc = e->cap_spend ? e->cap_spend * 2 : 4;
    struct det_spend *n = realloc(e->spend, nc * sizeof(*n));
    if (!n)
        return -1;
    e->spend = n;
    e->cap_spend = nc;
    return 0;
}

static int smem_add(struct detect_engine *e, uint32_t id, uint32_t to)
{
    if (e->n_smem == e->cap_smem) {
        uint32_t nc = e->cap_smem ? e->cap_smem * 2 : 256;
        struct det_smatch *n = realloc(e->smem, nc * sizeof(*n));
        if (!n)
            return -1;
        e->smem = n;
        e->cap_smem = nc;
    }
    e->smem[e->n_smem++] = (struct det_smatch){id, to};
    return 0;
}

struct scollect {
    struct detect_engine *e;
    uint32_t from;
    int bad;
};

static int on_scollect(unsigned int id, unsigned long long from, unsigned long long to,
                       unsigned int flags, void *ctx)
{
    struct scollect *c = ctx;
    (void)from, (void)flags;
    if (smem_add(c->e, id, (uint32_t)(to + c->from)) < 0)
        c->bad = 1;
    return 0;
}

/* Bytes of entry id's pattern. */
static uint32_t entry_len(const struct detect_engine *e, uint32_t id)
{
    return e->rules[id & ~SDB_PKT].splen;
}

/* Find window w's stream database matches (e->smem) when it is queued, with
 * its group's database from as far back in the tail as the group's rules
 * need (at).  The matches lying wholly in the tail were found with the
 * previous window of the direction: they come from d->mem and only the
 * bytes from the last pattern's reach before the new ones are scanned.
 * Then d->mem keeps the matches that lie wholly in the next tail (keep
 * bytes).  Same matches as a scan of the window from at (a literal's match
 * depends on its bytes only).  A window whose matches could not all be
 * kept leaves no memory: the next one scans its whole tail. */
static void stream_scan(struct detect_engine *e, struct det_spend *w, struct det_sdir *d,
                        uint32_t keep)
{
    uint16_t sp = w->to_server ? w->conn.orig_p : w->conn.resp_p;
    uint16_t dp = w->to_server ? w->conn.resp_p : w->conn.orig_p;
    const struct det_sgh *h = det_sgh_of(e, w->to_server, sp, dp);
    w->moff = e->n_smem, w->mn = 0;
    uint8_t grp = h ? (uint8_t)(h - e->sgh) : 0;
    int remembered = d->mem_ok && d->mem_grp == grp && d->mem_build == e->sgh_build &&
                     d->len == w->old;
    d->mem_ok = 0;
    if (!h || !h->db)
        return;
    const uint8_t *win = e->swin + w->off;
    uint32_t at = w->old > h->back ? w->old - h->back : 0, from = at;
    if (remembered && d->mem_from <= at) {
        uint32_t reach = h->maxlen ? h->maxlen - 1 : 0;
        from = w->old > at + reach ? w->old - reach : at;
        for (uint32_t i = 0; i < d->n_mem; i++) {
            uint32_t st = d->mem[i].to - entry_len(e, d->mem[i].id);
            if (st >= at && st < from && smem_add(e, d->mem[i].id, d->mem[i].to) < 0)
                return;
        }
    }
    struct scollect c = {e, from, 0};
    hs_scan(h->db, (const char *)win + from, w->len - from, 0, e->scratch, on_scollect, &c);
    e->ctr.stream_scanned += w->len - from;
    w->mn = e->n_smem - w->moff;
    if (c.bad)
        return;
    /* remember the matches wholly in the next tail (the window's last keep bytes) */
    uint32_t base = w->len - keep;
    d->n_mem = 0;
    for (uint32_t i = w->moff; i < e->n_smem; i++) {
        const struct det_smatch *x = &e->smem[i];
        if ((x->id & SDB_PKT) || x->to - entry_len(e, x->id) < base)
            continue; /* a packet-only entry counts in the new bytes only */
        if (d->n_mem == d->cap_mem) {
            uint32_t nc = d->cap_mem ? d->cap_mem * 2 : 8;
            struct det_smatch *n = nc <= DET_SMEM_MAX ? realloc(d->mem, nc * sizeof(*n)) : NULL;
            if (!n)
                return;
            d->mem = n;
            d->cap_mem = nc;
        }
        d->mem[d->n_mem++] = (struct det_smatch){x->id, x->to - base};
    }
    d->mem_from = at > base ? at - base : 0;
    d->mem_grp = grp;
    d->mem_build = e->sgh_build;
    d->mem_ok = 1;
}

void detect_stream_data(void **state, const struct proto_conn *conn, int to_server,
                        const uint8_t *data, size_t len, int64_t ts)
{
    struct detect_engine *e = det_current();
    if (!e || !e->n_stream || !conn || !conn->uid || len == 0 || len > SPEND_BYTES * 64)
        return;
    struct detect_stream *s = *state;
    if (!s && (s = *state = calloc(1, sizeof(*s))) == NULL)
        return;
    struct det_sdir *d = &s->d[to_server ? 0 : 1];
    uint32_t old = d->len < e->stail ? d->len : e->stail;
    uint32_t wlen = old + (uint32_t)len;
    if (e->n_spend && (e->n_spend >= SPEND_MAX || e->swlen + wlen > SPEND_BYTES))
        det_stream_flush_pending(e);
    if (win_reserve(e, e->swlen + wlen) < 0 || spend_reserve(e) < 0)
        return;
    uint8_t *win = e->swin + e->swlen;
    if (old)
        memcpy(win, d->tail + (d->len - old), old);
    memcpy(win + old, data, len);
    struct det_spend *w = &e->spend[e->n_spend++];
    memset(w, 0, sizeof(*w));
    w->off = e->swlen, w->len = wlen, w->old = old;
    w->to_server = to_server != 0;
    w->ts = ts;
    w->conn = *conn;
    core_strcpy(w->uid, sizeof(w->uid), conn->uid);
    core_strcpy(w->cid, sizeof(w->cid), conn->community_id ? conn->community_id : "");
    w->conn.uid = w->uid;
    w->conn.community_id = w->cid;
    e->swlen += wlen;
    e->ctr.stream_bytes += len;
    /* keep the last stail bytes of the window for the next chunk */
    uint32_t keep = wlen < e->stail ? wlen : e->stail;
    if (keep > d->cap) {
        uint8_t *n = realloc(d->tail, keep);
        if (!n) {
            d->len = 0;
            keep = 0;
        } else {
            d->tail = n;
            d->cap = keep;
        }
    }
    stream_scan(e, w, d, keep);
    if (keep)
        memcpy(d->tail, win + (wlen - keep), keep);
    else
        d->mem_ok = 0;
    d->len = keep;
    /* not during a packet of this flow (end of flow, timeouts): now */
    const struct det_stash *st = det_stash_get();
    if (!st->pkt || strncmp(st->uid, conn->uid, sizeof(st->uid)) != 0)
        det_stream_flush_pending(e);
}

void det_stream_flush_pending(struct detect_engine *e)
{
    if (e->n_spend)
        det_stream_run(e, DG_TCP, NULL, NULL, 0);
}

void detect_stream_gap(void *state, int to_server)
{
    struct detect_stream *s = state;
    if (s) {
        s->d[to_server ? 0 : 1].len = 0;
        s->d[to_server ? 0 : 1].mem_ok = 0;
    }
}

void detect_stream_free(void *state)
{
    struct detect_stream *s = state;
    if (!s)
        return;
    free(s->d[0].tail);
    free(s->d[1].tail);
    free(s->d[0].mem);
    free(s->d[1].mem);
    free(s);
}
