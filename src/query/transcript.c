/*
 * transcript.c - collecting one conversation for `vigil transcript`
 * (docs/transcript.md): which session, and its bytes in order.
 *
 * Owns: the selection passes and the per-direction buffers of struct
 * transcript.  It runs the analysis pipeline (src/pipeline) over the
 * captures with the app layer off and a packet sink, so sessions and uids
 * come from the same flow table `vigil analyze` uses (a uid depends on the
 * sensor name, the first packet's time and the flow key only).
 *
 *   --uid U:       one pass; packets whose session is U feed the reassembler
 *   filter [-i N]: pass 1 lists the TCP/UDP sessions a packet of which
 *                  matches the BPF expression (first match order, packets
 *                  tested with pcap_offline_filter, so the flow table still
 *                  sees every packet), pass 2 collects the Nth as by uid
 *
 * TCP bytes come from src/stream's reassembler (stream_dir_segment /
 * _ack / _flush), driven as the app layer drives it (applayer.c app_tcp):
 * the SYN starts a direction, an ACK without RST acknowledges the other
 * direction (holes below it become gaps), the end of input flushes what is
 * held.  So the transcript shows the bytes the parsers saw: first data wins
 * on overlaps, retransmissions are dropped.  UDP: each datagram a chunk.
 * Directions are the flow key's sides while reading (side 0 = first
 * sender) and become orig/resp from the session's conn record at the end.
 */
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "flow/conn_record.h"
#include "pipeline/pipeline.h"
#include "query/transcript.h"
#include "store/output.h"
#include "stream/stream.h"

#define TR_BPF_CACHE 4

struct tr_bpf {
    int linktype;
    struct bpf_program prog;
    bool ok;
};

struct tr_run {
    struct output out;            /* first: the pipeline's output for conn records */
    const struct transcript_query *q;
    struct transcript *t;
    const char *target;           /* pass 2: the uid collected */
    /* pass 1: candidate uids (open-addressing set of indexes + 1 into t->cand) */
    uint32_t *set;
    size_t set_cap;
    struct tr_bpf bpf[TR_BPF_CACHE];
    int n_bpf;
    bool bpf_failed;
    char bpf_err[256];
    /* pass 2: reassembly by flow key side */
    struct stream_mem mem;
    struct stream_dir sd[2];
    bool side0_set;
    uint8_t side0_addr[16];
    uint16_t side0_port;
    bool oom;
};

/* ---- buffers ---------------------------------------------------------------------------- */

static bool tr_chunk_add(struct transcript *t, int dir, bool gap, uint64_t off, uint64_t len,
                         int64_t ts)
{
    if (t->n_chunks == t->cap_chunks) {
        size_t nc = t->cap_chunks ? t->cap_chunks * 2 : 64;
        struct transcript_chunk *c = realloc(t->chunks, nc * sizeof(*c));
        if (!c)
            return false;
        t->chunks = c;
        t->cap_chunks = nc;
    }
    struct transcript_chunk *c = &t->chunks[t->n_chunks++];
    c->dir = (uint8_t)dir;
    c->gap = gap;
    c->ts = ts;
    c->off = off;
    c->len = len;
    return true;
}

static bool tr_bytes_add(struct transcript *t, int dir, const uint8_t *p, size_t n)
{
    if (t->len[dir] + n > t->cap[dir]) {
        size_t nc = t->cap[dir] ? t->cap[dir] : 4096;
        while (nc < t->len[dir] + n)
            nc *= 2;
        uint8_t *b = realloc(t->buf[dir], nc);
        if (!b)
            return false;
        t->buf[dir] = b;
        t->cap[dir] = nc;
    }
    memcpy(t->buf[dir] + t->len[dir], p, n);
    t->len[dir] += n;
    return true;
}

/* TCP deliveries of one direction in a row join one chunk (a new label
 * only when the direction changes); UDP datagrams stay apart. */
static void tr_data(struct tr_run *r, int dir, const uint8_t *p, size_t n, int64_t ts, bool join)
{
    struct transcript *t = r->t;
    uint64_t off = t->len[dir];
    if (n == 0 || r->oom)
        return;
    if (!tr_bytes_add(t, dir, p, n)) {
        r->oom = true;
        return;
    }
    struct transcript_chunk *last = t->n_chunks ? &t->chunks[t->n_chunks - 1] : NULL;
    if (join && last && last->dir == dir && !last->gap && last->off + last->len == off) {
        last->len += n;
        return;
    }
    if (!tr_chunk_add(t, dir, false, off, n, ts))
        r->oom = true;
}

static void sink_data(void *ctx, int dir, const uint8_t *data, size_t len, int64_t ts)
{
    tr_data(ctx, dir, data, len, ts, true);
}

static void sink_gap(void *ctx, int dir, uint64_t len, int64_t ts)
{
    struct tr_run *r = ctx;
    r->t->missing[dir] += len;
    if (!r->oom && !tr_chunk_add(r->t, dir, true, r->t->len[dir], len, ts))
        r->oom = true;
}

static void sink_eof(void *ctx, int dir, int64_t ts)
{
    struct tr_run *r = ctx;
    (void)ts;
    r->t->eof[dir] = true;
}

static const struct stream_sink tr_sink_ops = {.data = sink_data, .gap = sink_gap, .eof = sink_eof};

/* ---- pass 1: the candidate set ---------------------------------------------------------- */

static uint64_t tr_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ULL;
    return h;
}

/* Index of uid in t->cand, or -1. */
static long tr_cand_find(const struct tr_run *r, const char *uid)
{
    if (!r->set_cap)
        return -1;
    for (size_t i = tr_hash(uid) & (r->set_cap - 1);; i = (i + 1) & (r->set_cap - 1)) {
        if (!r->set[i])
            return -1;
        if (strcmp(r->t->cand[r->set[i] - 1].uid, uid) == 0)
            return (long)r->set[i] - 1;
    }
}

static bool tr_set_grow(struct tr_run *r)
{
    size_t nc = r->set_cap ? r->set_cap * 2 : 1024;
    uint32_t *s = calloc(nc, sizeof(*s));
    if (!s)
        return false;
    for (size_t k = 0; k < r->t->n_cand; k++) {
        size_t i = tr_hash(r->t->cand[k].uid) & (nc - 1);
        while (s[i])
            i = (i + 1) & (nc - 1);
        s[i] = (uint32_t)k + 1;
    }
    free(r->set);
    r->set = s;
    r->set_cap = nc;
    return true;
}

static void tr_cand_add(struct tr_run *r, const char *uid, uint8_t proto)
{
    struct transcript *t = r->t;
    if (tr_cand_find(r, uid) >= 0 || r->oom)
        return;
    if ((t->n_cand + 1) * 2 > r->set_cap && !tr_set_grow(r))
        goto oom;
    if (t->n_cand == t->cap_cand) {
        size_t nc = t->cap_cand ? t->cap_cand * 2 : 64;
        struct transcript_session *c = realloc(t->cand, nc * sizeof(*c));
        if (!c)
            goto oom;
        t->cand = c;
        t->cap_cand = nc;
    }
    struct transcript_session *s = &t->cand[t->n_cand];
    memset(s, 0, sizeof(*s));
    snprintf(s->uid, sizeof(s->uid), "%s", uid);
    s->proto = proto;
    size_t i = tr_hash(uid) & (r->set_cap - 1);
    while (r->set[i])
        i = (i + 1) & (r->set_cap - 1);
    r->set[i] = (uint32_t)t->n_cand + 1;
    t->n_cand++;
    return;
oom:
    r->oom = true;
}

/* Does the packet match the filter?  Compiled once per link type. */
static bool tr_bpf_match(struct tr_run *r, const struct packet *pkt)
{
    struct tr_bpf *b = NULL;
    for (int i = 0; i < r->n_bpf; i++)
        if (r->bpf[i].linktype == pkt->linktype)
            b = &r->bpf[i];
    if (!b) {
        if (r->n_bpf == TR_BPF_CACHE)
            return false;
        b = &r->bpf[r->n_bpf++];
        b->linktype = pkt->linktype;
        pcap_t *p = pcap_open_dead(pkt->linktype, 262144);
        b->ok = p && pcap_compile(p, &b->prog, r->q->bpf, 1, PCAP_NETMASK_UNKNOWN) == 0;
        if (!b->ok && !r->bpf_failed) {
            r->bpf_failed = true;
            snprintf(r->bpf_err, sizeof(r->bpf_err), "the filter '%s' does not compile: %s",
                     r->q->bpf, p ? pcap_geterr(p) : "out of memory");
        }
        if (p)
            pcap_close(p);
    }
    if (!b->ok)
        return false;
    struct pcap_pkthdr h;
    memset(&h, 0, sizeof(h));
    h.caplen = pkt->caplen;
    h.len = pkt->wirelen;
    return pcap_offline_filter(&b->prog, &h, pkt->data) != 0;
}

static void tr_sink_pass1(void *ctx, const struct packet *pkt, const struct flow_packet_refs *refs)
{
    struct tr_run *r = ctx;
    if (refs->n == 0)
        return;
    int k = refs->n - 1;
    const struct pkt_ip *ip = &pkt->layer[refs->ref[k].layer];
    if (ip->proto != 6 && ip->proto != 17)
        return;
    if (r->q->bpf && !tr_bpf_match(r, pkt))
        return;
    tr_cand_add(r, refs->ref[k].uid, ip->proto);
}

/* ---- pass 2: the session's bytes -------------------------------------------------------- */

static int tr_side(struct tr_run *r, const struct pkt_ip *ip)
{
    size_t n = ip->version == 6 ? 16 : 4;
    if (!r->side0_set) {
        r->side0_set = true;
        memcpy(r->side0_addr, ip->src, 16);
        r->side0_port = ip->t.sport;
        return 0;
    }
    return (memcmp(ip->src, r->side0_addr, n) == 0 && ip->t.sport == r->side0_port) ? 0 : 1;
}

/* As applayer.c's app_tcp: the segment to its direction, its ACK to the other. */
static void tr_tcp(struct tr_run *r, int side, const struct pkt_l4 *l, int64_t ts)
{
    struct stream_sink s = tr_sink_ops;
    s.ctx = r;
    uint8_t fl = 0;
    if (l->tcp_flags & 0x01)
        fl |= STREAM_F_FIN;
    if (l->tcp_flags & 0x02)
        fl |= STREAM_F_SYN;
    if (l->tcp_flags & 0x04)
        fl |= STREAM_F_RST;
    uint32_t len = l->payload ? l->payload_len : 0;
    stream_dir_segment(&r->mem, &r->sd[side], &s, side, l->seq, fl, l->payload, len, ts);
    if ((l->tcp_flags & 0x10) && !(l->tcp_flags & 0x04))
        stream_dir_ack(&r->mem, &r->sd[side ^ 1], &s, side ^ 1, l->ack, ts);
}

static void tr_sink_pass2(void *ctx, const struct packet *pkt, const struct flow_packet_refs *refs)
{
    struct tr_run *r = ctx;
    int k;
    for (k = refs->n - 1; k >= 0; k--)
        if (strcmp(refs->ref[k].uid, r->target) == 0)
            break;
    if (k < 0)
        return;
    const struct pkt_ip *ip = &pkt->layer[refs->ref[k].layer];
    int64_t ts = pkt->ts_sec * 1000000000LL + pkt->ts_nsec;
    struct transcript *t = r->t;
    if (t->packets++ == 0)
        t->first_ns = ts;
    t->last_ns = ts;
    if (!t->proto)
        t->proto = ip->proto;
    if (!ip->t.valid || (ip->proto != 6 && ip->proto != 17))
        return;
    int side = tr_side(r, ip);
    if (ip->proto == 6)
        tr_tcp(r, side, &ip->t, ts);
    else if (ip->t.payload && ip->t.payload_len)
        tr_data(r, side, ip->t.payload, ip->t.payload_len, ts, false);
}

/* ---- conn records ----------------------------------------------------------------------- */

static int tr_out_write(struct output *out, const struct record_hdr *rec)
{
    struct tr_run *r = (struct tr_run *)out;
    if (rec->type != &conn_record_type)
        return 0;
    const struct conn_record *c = (const struct conn_record *)rec;
    char uid[24];
    snprintf(uid, sizeof(uid), "%.*s", (int)c->uid.len, c->uid.p);
    struct transcript *t = r->t;
    if (r->target) {
        if (strcmp(uid, r->target) != 0)
            return 0;
        t->orig_h = c->orig_h;
        t->resp_h = c->resp_h;
        t->orig_p = (uint16_t)c->orig_p;
        t->resp_p = (uint16_t)c->resp_p;
        return 0;
    }
    long i = tr_cand_find(r, uid);
    if (i >= 0) {
        struct transcript_session *s = &t->cand[i];
        s->orig_h = c->orig_h;
        s->resp_h = c->resp_h;
        s->orig_p = (uint16_t)c->orig_p;
        s->resp_p = (uint16_t)c->resp_p;
        s->have_conn = true;
    }
    return 0;
}

static int tr_out_flush(struct output *out)
{
    (void)out;
    return 0;
}

static void tr_out_close(struct output *out)
{
    (void)out;
}

static const struct output_ops tr_out_ops = {
    .name = "transcript", .write = tr_out_write, .flush = tr_out_flush, .close = tr_out_close,
};

/* ---- the passes ------------------------------------------------------------------------- */

/* One pipeline run over the inputs with sink.  0, 1 damaged, <0 error. */
static int tr_pass(struct tr_run *r,
                   void (*sink)(void *, const struct packet *, const struct flow_packet_refs *),
                   char *err, size_t errlen)
{
    const struct transcript_query *q = r->q;
    struct capture_file_opts fo = {0};
    struct capture_source *src = capture_open_files(q->paths, q->npaths, &fo, err, errlen);
    if (!src)
        return TRANSCRIPT_ERROR;
    struct pipeline_config cfg;
    pipeline_config_default(&cfg);
    cfg.sensor = q->sensor;
    cfg.progress = q->progress;
    cfg.no_app_layer = 1;
    cfg.flow.vlan_in_key = q->vlan_key;
    cfg.packet_sink = sink;
    cfg.packet_sink_ctx = r;
    struct output *outs[1] = {&r->out};
    struct pipeline *p = pipeline_new(&cfg, outs, 1, err, errlen);
    if (!p) {
        capture_close(src);
        return TRANSCRIPT_ERROR;
    }
    int rc = pipeline_run(p, src);
    if (rc < 0)
        snprintf(err, errlen, "%s", pipeline_error(p));
    else if (capture_damaged(src)) {
        snprintf(err, errlen, "some input is damaged: %s",
                 src->damage_log ? src->damage_log : capture_error(src));
        size_t n = strlen(err);
        if (n && err[n - 1] == '\n')
            err[n - 1] = 0;
        rc = TRANSCRIPT_DAMAGED;
    }
    pipeline_free(p);
    capture_close(src);
    return rc < 0 ? TRANSCRIPT_ERROR : rc;
}

/* Pass 1: the candidates; picks q->index.  0, or <0 with a sentence. */
static int tr_select(struct tr_run *r, char *err, size_t errlen, int *damaged)
{
    const struct transcript_query *q = r->q;
    struct transcript *t = r->t;
    int rc = tr_pass(r, tr_sink_pass1, err, errlen);
    if (rc < 0)
        return rc;
    *damaged |= rc == TRANSCRIPT_DAMAGED;
    if (r->bpf_failed) {
        snprintf(err, errlen, "%s", r->bpf_err);
        return TRANSCRIPT_BAD_FILTER;
    }
    if (r->oom) {
        snprintf(err, errlen, "out of memory listing the sessions");
        return TRANSCRIPT_ERROR;
    }
    if (q->list_only)
        return 0;
    if (t->n_cand == 0) {
        snprintf(err, errlen, "no TCP or UDP session matches the filter '%s'", q->bpf);
        return TRANSCRIPT_NOT_FOUND;
    }
    size_t idx = q->index ? q->index - 1 : 0;
    if (idx >= t->n_cand) {
        snprintf(err, errlen, "--index %u is beyond the %zu session%s the filter matches",
                 q->index, t->n_cand, t->n_cand == 1 ? "" : "s");
        return TRANSCRIPT_NOT_FOUND;
    }
    t->chosen = idx;
    return 0;
}

/* Side 0 is the first sender: swap when the conn record says it is the responder. */
static void tr_orient(struct tr_run *r)
{
    struct transcript *t = r->t;
    size_t n = t->orig_h.family == 6 ? 16 : 4;
    if (!t->orig_h.family || !r->side0_set)
        return;
    if (memcmp(t->orig_h.a, r->side0_addr, n) == 0 && t->orig_p == r->side0_port)
        return;
    uint8_t *b = t->buf[0];
    t->buf[0] = t->buf[1];
    t->buf[1] = b;
    size_t z = t->len[0];
    t->len[0] = t->len[1];
    t->len[1] = z;
    z = t->cap[0];
    t->cap[0] = t->cap[1];
    t->cap[1] = z;
    uint64_t m = t->missing[0];
    t->missing[0] = t->missing[1];
    t->missing[1] = m;
    bool e = t->eof[0];
    t->eof[0] = t->eof[1];
    t->eof[1] = e;
    for (size_t i = 0; i < t->n_chunks; i++)
        t->chunks[i].dir ^= 1;
}

int transcript_collect(const struct transcript_query *q, struct transcript *t, char *err,
                       size_t errlen)
{
    struct tr_run *r = calloc(1, sizeof(*r));
    int damaged = 0, rc = 0;
    memset(t, 0, sizeof(*t));
    if (!r) {
        snprintf(err, errlen, "out of memory starting the transcript");
        return TRANSCRIPT_ERROR;
    }
    snprintf(t->sensor, sizeof(t->sensor), "%s", q->sensor && *q->sensor ? q->sensor : "vigil");
    r->out.ops = &tr_out_ops;
    r->q = q;
    r->t = t;
    if (!q->uid || q->list_only) {
        rc = tr_select(r, err, errlen, &damaged);
        if (rc < 0 || q->list_only)
            goto done;
    }
    snprintf(t->uid, sizeof(t->uid), "%s", q->uid && !q->list_only ? q->uid : t->cand[t->chosen].uid);
    r->target = t->uid;
    struct stream_config sc;
    stream_config_default(&sc);
    stream_mem_init(&r->mem, q->memcap ? q->memcap : sc.memcap);
    rc = tr_pass(r, tr_sink_pass2, err, errlen);
    if (rc < 0)
        goto done;
    damaged |= rc == TRANSCRIPT_DAMAGED;
    struct stream_sink s = tr_sink_ops;
    s.ctx = r;
    for (int i = 0; i < 2; i++) {
        stream_dir_flush(&r->mem, &r->sd[i], &s, i, t->last_ns);
        stream_dir_free(&r->mem, &r->sd[i]);
    }
    rc = 0;
    if (r->oom) {
        snprintf(err, errlen, "out of memory holding the session's bytes");
        rc = TRANSCRIPT_ERROR;
    } else if (t->packets == 0) {
        snprintf(err, errlen,
                 "no session has uid %s in the input (uids depend on --sensor, here '%s'; "
                 "`vigil analyze` writes them to conn.log)", t->uid, t->sensor);
        rc = TRANSCRIPT_NOT_FOUND;
    } else if (t->proto != 6 && t->proto != 17) {
        snprintf(err, errlen, "session %s is neither TCP nor UDP: it has no stream to show",
                 t->uid);
        rc = TRANSCRIPT_NOT_FOUND;
    } else {
        tr_orient(r);
    }
done:
    for (int i = 0; i < r->n_bpf; i++)
        if (r->bpf[i].ok)
            pcap_freecode(&r->bpf[i].prog);
    free(r->set);
    free(r);
    if (rc == 0 && damaged)
        rc = TRANSCRIPT_DAMAGED;
    return rc;
}

void transcript_free(struct transcript *t)
{
    free(t->buf[0]);
    free(t->buf[1]);
    free(t->chunks);
    free(t->cand);
    memset(t, 0, sizeof(*t));
}
