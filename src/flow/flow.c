/*
 * flow.c - the flow table: pool, seeded hash, timers, eviction, and the
 * per-packet dispatch that turns decoded IP layers into sessions.
 *
 * Owns: the preallocated pool of struct flow (flow_int.h), the bucket
 * array, the timer lists and the counters.  TCP state lives in
 * flow_tcp.c; conn.log records are built in flow_conn.c.
 *
 * Behaviour follows Zeek 8 (zeek/zeek src/packet_analysis/protocol/ip/
 * IPBasedAnalyzer.cc, tcp/TCP.cc, udp/UDP.cc, icmp/ICMP.cc):
 *   - one session per (proto, address pair, port pair), both directions;
 *     ICMP uses the type as source "port" and the counterpart type (echo
 *     8 <-> 0, ...) or the code as destination "port"; a message type with
 *     no counterpart makes a one-way key that is not canonicalised;
 *   - the first packet's sender is the originator, except Zeek's flips:
 *     UDP when only the source port is a likely server port, TCP when the
 *     first packet is not a bare SYN and the ports say so (flow_tcp_want);
 *   - sessions end on inactivity, on TCP close/reset delays, on reuse (a
 *     new SYN, Zeek's IsReuse), or at the end of input.
 *
 * Timers: Zeek schedules timers per connection; here a flow sits in one
 * list per timer class, each sorted by anchor time (anchors are always the
 * current packet time, so appending keeps the order), and its deadline is
 * anchor + the class delay.  Expiry pops list heads whose deadline passed:
 *
 *    packet ──► classify (state) ──► list[class] tail ──► head expires ──► emit
 *
 * Hash: keys are hashed with a seeded 64-bit mix (random seed per process
 * unless configured) so traffic cannot aim collisions at one bucket.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/hash.h"
#include "flow/flow_int.h"

#define NS 1000000000LL

void flow_config_default(struct flow_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->tcp_inactivity_timeout = 300 * NS;
    cfg->udp_inactivity_timeout = 60 * NS;
    cfg->icmp_inactivity_timeout = 60 * NS;
    cfg->other_inactivity_timeout = 60 * NS;
    cfg->tcp_attempt_delay = 5 * NS;
    cfg->tcp_close_delay = 5 * NS;
    cfg->tcp_reset_delay = 5 * NS;
    cfg->tcp_partial_close_delay = 3 * NS;
    cfg->dns_session_timeout = 10 * NS;
    cfg->memcap = (size_t)256 << 20;
    cfg->vlan_in_key = false;
    cfg->private_is_local = true;
}

size_t flow_table_bytes_per_flow(void)
{
    /* All-in for an idle flow: its pool slot plus its share of the bucket
     * array.  flow_table_new makes at most one bucket per slot (a power of
     * two <= the slot count), so the share is at most one uint32_t; the
     * table header is a constant a few hundred bytes for the whole table.
     * The side block (struct flow_ext: history past 16 letters, gap ranges,
     * tunnel parents) is allocated only by flows that need it and is not
     * part of an idle flow's cost. */
    return sizeof(struct flow) + sizeof(uint32_t);
}

/* ---- seeded hash ---------------------------------------------------- */

static inline uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static uint64_t key_hash(uint64_t seed, const struct flow_key *k)
{
    const uint8_t *p = (const uint8_t *)k;
    uint64_t h = seed ^ (sizeof(*k) * 0x9e3779b97f4a7c15ULL);
    for (size_t i = 0; i + 8 <= sizeof(*k); i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h = mix64(h ^ w) + 0x9e3779b97f4a7c15ULL;
    }
    return mix64(h);
}

static uint64_t seed_random(void)
{
    uint64_t k[2];
    core_random_key(k);
    return k[0] ^ k[1];
}

/* ---- table ------------------------------------------------------------ */

struct flow_table *flow_table_new(const struct flow_config *cfg, const char *sensor,
                                  flow_emit_fn emit, void *ctx, char *err, size_t errlen)
{
    struct flow_table *t = calloc(1, sizeof(*t));
    if (!t) {
        snprintf(err, errlen, "out of memory creating the flow table");
        return NULL;
    }
    t->cfg = *cfg;
    snprintf(t->sensor, sizeof(t->sensor), "%s", sensor ? sensor : "vigil");
    t->emit = emit;
    t->emit_ctx = ctx;
    size_t per = flow_table_bytes_per_flow();
    size_t n = cfg->memcap / per;
    if (n < 16) {
        snprintf(err, errlen, "the flow memory cap (%zu bytes) holds fewer than 16 flows of %zu bytes",
                 cfg->memcap, per);
        free(t);
        return NULL;
    }
    if (n > 0x7fffffffu)
        n = 0x7fffffffu;
    uint32_t nb = 16;
    while (nb < n && nb < 0x40000000u)
        nb <<= 1;
    if (nb > n)
        nb >>= 1; /* keep buckets <= slots so the memcap holds */
    t->n_slots = (uint32_t)n;
    t->pool = calloc(n, sizeof(struct flow));
    t->buckets = calloc(nb, sizeof(uint32_t));
    if (!t->pool || !t->buckets) {
        snprintf(err, errlen, "cannot allocate %zu flows (memory cap %zu bytes)", n, cfg->memcap);
        free(t->pool);
        free(t->buckets);
        free(t);
        return NULL;
    }
    t->mask = nb - 1;
    /* Free list threaded through hnext; slots are touched lazily by the
     * kernel (calloc), so an unused cap costs address space only. */
    t->free_head = 0;
    t->seed = cfg->hash_seed_set ? cfg->hash_seed : seed_random();
    return t;
}

static struct flow *slot_alloc(struct flow_table *t)
{
    if (t->free_head) {
        struct flow *f = &t->pool[t->free_head - 1];
        t->free_head = f->hnext;
        return f;
    }
    if (t->fresh < t->n_slots)
        return &t->pool[t->fresh++];
    return NULL;
}

static inline uint32_t idx_of(const struct flow_table *t, const struct flow *f)
{
    return (uint32_t)(f - t->pool) + 1;
}

static int64_t class_delay(const struct flow_table *t, int c)
{
    switch (c) {
    case TC_PARTIAL: return t->cfg.tcp_partial_close_delay;
    case TC_ATTEMPT: return t->cfg.tcp_attempt_delay;
    case TC_CLOSE: return t->cfg.tcp_close_delay;
    case TC_TCP: return t->cfg.tcp_inactivity_timeout;
    case TC_UDP: return t->cfg.udp_inactivity_timeout;
    case TC_ICMP: return t->cfg.icmp_inactivity_timeout;
    case TC_DNS: return t->cfg.dns_session_timeout;
    default: return t->cfg.other_inactivity_timeout;
    }
}

static void tlist_unlink(struct flow_table *t, struct flow *f, int c)
{
    if (f->tprev)
        t->pool[f->tprev - 1].tnext = f->tnext;
    else
        t->thead[c] = f->tnext;
    if (f->tnext)
        t->pool[f->tnext - 1].tprev = f->tprev;
    else
        t->ttail[c] = f->tprev;
    f->tprev = f->tnext = 0;
}

static void tlist_append(struct flow_table *t, struct flow *f, int c)
{
    uint32_t i = idx_of(t, f);
    f->tprev = t->ttail[c];
    f->tnext = 0;
    if (t->ttail[c])
        t->pool[t->ttail[c] - 1].tnext = i;
    else
        t->thead[c] = i;
    t->ttail[c] = i;
}

/* ---- app-layer hooks ------------------------------------------------------ */

void flow_table_set_app(struct flow_table *t, const struct flow_app_hooks *h)
{
    if (h)
        t->app = *h;
    else
        memset(&t->app, 0, sizeof(t->app));
}

void **flow_app_slot(struct flow *f)
{
    struct flow_ext *x = flow_ext_get(f);
    return x ? &x->app : NULL;
}

void *flow_app_get(const struct flow *f)
{
    return f->ext ? f->ext->app : NULL;
}

/* Whether the side block holds nothing but an empty app slot. */
static bool ext_unused(const struct flow *f)
{
    const struct flow_ext *x = f->ext;
    return !x->app && f->hist_len <= FLOW_HIST_INLINE && !x->n_ooo[0] && !x->n_ooo[1] &&
           !x->tunnel_uid[0][0] && !x->tunnel_uid[1][0] && !x->service && !x->missed;
}

void flow_app_off(struct flow *f)
{
    f->app_off = 1;
    if (f->ext && ext_unused(f)) {
        free(f->ext);
        f->ext = NULL;
    }
}

bool flow_app_is_off(const struct flow *f)
{
    return f->app_off;
}

bool flow_app_tcp_syn_seq(const struct flow *f, int side, uint32_t *isn)
{
    if (f->key.proto != 6)
        return false;
    uint32_t bit = side == f->orig_side ? HIST_SYN_PKT : HIST_SYN_PKT << 16;
    if (!(f->hist_seen & bit))
        return false;
    *isn = f->u.tcp[side].start_seq;
    return true;
}

static void flow_app_release(struct flow_table *t, struct flow *f)
{
    if (!f->ext || !f->ext->app)
        return;
    if (t->app.release)
        t->app.release(t->app.ctx, f->ext->app);
    f->ext->app = NULL;
}

void flow_weird(struct flow_table *tb, struct flow *f, const char *name, const char *source)
{
    f->did_weird = 1;
    if (tb->app.weird)
        tb->app.weird(tb->app.ctx, tb, f, name, source, tb->now_ns);
}

/* ---- history ---------------------------------------------------------- */

struct flow_ext *flow_ext_get(struct flow *f)
{
    if (!f->ext)
        f->ext = calloc(1, sizeof(*f->ext));
    return f->ext;
}

void flow_hist_add(struct flow *f, char c)
{
    if (f->hist_len < FLOW_HIST_INLINE) {
        f->hist[f->hist_len++] = c;
        return;
    }
    struct flow_ext *x = flow_ext_get(f);
    if (!x || f->hist_len >= FLOW_HIST_MAX - 1)
        return;
    if (f->hist_len == FLOW_HIST_INLINE)
        memcpy(x->history, f->hist, FLOW_HIST_INLINE);
    x->history[f->hist_len++] = c;
}

/* Zeek's Connection::CheckHistory: add the letter the first time the bit is
 * seen; returns true when it had been seen before. */
bool flow_hist_check(struct flow *f, uint32_t mask, bool is_orig, char c)
{
    if (!is_orig) {
        mask <<= 16;
        c = (char)(c | 0x20);
    }
    if ((f->hist_seen & mask) == 0) {
        f->hist_seen |= mask;
        flow_hist_add(f, c);
        return false;
    }
    return true;
}

/* Zeek's Connection::ScaledHistoryEntry with base 10: the letter is added
 * at the 1st, 10th, 100th, 1000th ... occurrence. */
void flow_hist_scaled(struct flow *f, char c, uint32_t *cnt)
{
    uint32_t n = ++*cnt;
    uint32_t th = 1;
    while (th < n && th <= 100000000u)
        th *= 10;
    if (th == n)
        flow_hist_add(f, c);
}

void flow_flip(struct flow *f)
{
    f->orig_side ^= 1;
    f->first_seen = (uint8_t)(((f->first_seen & 1) << 1) | ((f->first_seen >> 1) & 1));
    flow_hist_add(f, '^');
}

/* ---- keys --------------------------------------------------------------- */

/* Zeek's ICMP4_counterpart / ICMP6_counterpart: the reply type of a
 * request (and back), or -1 for a one-way message. */
static int icmp_counterpart(bool v6, int type)
{
    static const uint8_t v4[][2] = {{8, 0}, {0, 8}, {13, 14}, {14, 13}, {15, 16}, {16, 15},
                                    {10, 9}, {9, 10}, {17, 18}, {18, 17}};
    static const uint8_t v6m[][2] = {{128, 129}, {129, 128}, {133, 134}, {134, 133},
                                     {135, 136}, {136, 135}, {130, 131}, {131, 130},
                                     {139, 140}, {140, 139}, {144, 145}, {145, 144}};
    if (!v6) {
        for (size_t i = 0; i < sizeof(v4) / sizeof(v4[0]); i++)
            if (v4[i][0] == type)
                return v4[i][1];
    } else {
        for (size_t i = 0; i < sizeof(v6m) / sizeof(v6m[0]); i++)
            if (v6m[i][0] == type)
                return v6m[i][1];
    }
    return -1;
}

/* Build the key of one IP layer; *side = key side of the sender. */
static void key_build(const struct flow_table *t, const struct packet *pkt,
                      const struct pkt_ip *ip, struct flow_key *k, int *side)
{
    memset(k, 0, sizeof(*k));
    k->family = ip->version == 6 ? 6 : 4;
    k->proto = ip->proto;
    k->vlan = k->inner_vlan = 0xffff;
    if (t->cfg.vlan_in_key) {
        if (pkt->link.n_vlan > 0)
            k->vlan = pkt->link.vlan[0];
        if (pkt->link.n_vlan > 1)
            k->inner_vlan = pkt->link.vlan[1];
    }
    int alen = k->family == 6 ? 16 : 4;
    uint16_t sp = 0, dp = 0;
    const struct pkt_l4 *l = &ip->t;
    if (ip->proto == 6 || ip->proto == 17 || ip->proto == 132) {
        sp = l->sport;
        dp = l->dport;
    } else if (ip->proto == 1 || ip->proto == 58) {
        int cp = icmp_counterpart(ip->proto == 58, l->icmp_type);
        sp = l->icmp_type;
        if (cp < 0) {
            dp = l->icmp_code;
            k->one_way = 1;
        } else {
            dp = (uint16_t)cp;
        }
    }
    int c = memcmp(ip->src, ip->dst, (size_t)alen);
    bool lt = c < 0 || (c == 0 && sp < dp);
    if (k->one_way || lt || (c == 0 && sp == dp)) {
        memcpy(k->a, ip->src, (size_t)alen);
        memcpy(k->b, ip->dst, (size_t)alen);
        k->pa = sp;
        k->pb = dp;
        *side = 0;
    } else {
        memcpy(k->a, ip->dst, (size_t)alen);
        memcpy(k->b, ip->src, (size_t)alen);
        k->pa = dp;
        k->pb = sp;
        *side = 1;
    }
}

static struct flow *table_find(struct flow_table *t, const struct flow_key *k, uint32_t b)
{
    for (uint32_t i = t->buckets[b]; i; i = t->pool[i - 1].hnext)
        if (memcmp(&t->pool[i - 1].key, k, sizeof(*k)) == 0)
            return &t->pool[i - 1];
    return NULL;
}

static void table_unhash(struct flow_table *t, struct flow *f)
{
    uint32_t b = (uint32_t)key_hash(t->seed, &f->key) & t->mask;
    uint32_t me = idx_of(t, f);
    uint32_t *pp = &t->buckets[b];
    while (*pp && *pp != me)
        pp = &t->pool[*pp - 1].hnext;
    if (*pp)
        *pp = f->hnext;
}

/* End a flow: emit its record, unlink it and return the slot. */
static void flow_end(struct flow_table *t, struct flow *f, uint64_t *counter)
{
    if (f->ext && f->ext->app && t->app.end)
        t->app.end(t->app.ctx, t, f, f->ext->app);
    flow_conn_emit(t, f);
    if (t->app.gone)
        t->app.gone(t->app.ctx, t, f);
    table_unhash(t, f);
    tlist_unlink(t, f, f->tclass);
    if (f->ext) {
        flow_app_release(t, f);
        free(f->ext);
    }
    memset(f, 0, sizeof(*f));
    f->hnext = t->free_head;
    t->free_head = idx_of(t, f);
    (*counter)++;
    t->ctr.active--;
}

static int64_t flow_deadline(const struct flow_table *t, const struct flow *f)
{
    return f->anchor_ns + class_delay(t, f->tclass);
}

/* Evict the flow whose deadline is nearest to make room (memory cap). */
static bool table_evict_one(struct flow_table *t)
{
    struct flow *best = NULL;
    for (int c = 0; c < TC_N; c++) {
        if (!t->thead[c])
            continue;
        struct flow *f = &t->pool[t->thead[c] - 1];
        if (!best || flow_deadline(t, f) < flow_deadline(t, best))
            best = f;
    }
    if (!best)
        return false;
    if (!t->warned_memcap) {
        fprintf(stderr,
                "vigil: warning: the flow table is full (memory cap %zu bytes, %u flows); "
                "evicting the flows nearest to their timeout (counted as evicted)\n",
                t->cfg.memcap, t->n_slots);
        t->warned_memcap = true;
    }
    flow_end(t, best, &t->ctr.evicted);
    return true;
}

static struct flow *flow_create(struct flow_table *t, const struct flow_key *k, uint32_t b,
                                int64_t now)
{
    struct flow *f = slot_alloc(t);
    if (!f) {
        if (!table_evict_one(t))
            return NULL;
        f = slot_alloc(t);
        if (!f)
            return NULL;
    }
    memset(f, 0, sizeof(*f));
    if (t->uid_cache)
        t->uid_cache[idx_of(t, f) - 1][0] = '\0';
    f->key = *k;
    f->in_use = 1;
    f->first_ns = f->last_ns = f->anchor_ns = now;
    f->hnext = t->buckets[b];
    t->buckets[b] = idx_of(t, f);
    f->tclass = k->proto == 6 ? TC_TCP : k->proto == 17 ? TC_UDP
              : (k->proto == 1 || k->proto == 58) ? TC_ICMP : TC_OTHER;
    tlist_append(t, f, f->tclass);
    t->ctr.created++;
    if (++t->ctr.active > t->ctr.peak)
        t->ctr.peak = t->ctr.active;
    return f;
}

/* Zeek's DNS analyzer (ports 53, 137, 5353, 5355) shortens the UDP
 * session timeout to dns_session_timeout. */
static int udp_class(const struct flow *f)
{
    uint16_t rp = f->orig_side ? f->key.pa : f->key.pb;
    return (rp == 53 || rp == 137 || rp == 5353 || rp == 5355) ? TC_DNS : TC_UDP;
}

/* Put f in the timer list its state asks for. */
static void flow_rearm(struct flow_table *t, struct flow *f, int64_t now)
{
    int c;
    int64_t anchor;
    if (f->key.proto == 6) {
        flow_tcp_timer(t, f, &c, &anchor);
    } else {
        c = f->key.proto == 17 ? udp_class(f)
            : (f->key.proto == 1 || f->key.proto == 58) ? TC_ICMP : TC_OTHER;
        anchor = now;
    }
    if (c == f->tclass && anchor == f->anchor_ns)
        return;
    tlist_unlink(t, f, f->tclass);
    f->tclass = (uint8_t)c;
    f->anchor_ns = anchor;
    tlist_append(t, f, c);
}

void flow_table_expire(struct flow_table *t, int64_t now)
{
    t->now_ns = now;
    for (int c = 0; c < TC_N; c++) {
        int64_t d = class_delay(t, c);
        while (t->thead[c]) {
            struct flow *f = &t->pool[t->thead[c] - 1];
            if (f->anchor_ns + d > now)
                break;
            /* Inactivity: Zeek reschedules when there was activity since. */
            if (c >= TC_TCP && f->last_ns + d > now) {
                tlist_unlink(t, f, c);
                f->anchor_ns = f->last_ns;
                tlist_append(t, f, c);
                continue;
            }
            flow_end(t, f, &t->ctr.expired);
        }
    }
}

/* ---- per packet ----------------------------------------------------------- */

static void flow_account_other(struct flow *f, int side, const struct pkt_ip *ip)
{
    bool is_orig = side == f->orig_side;
    const struct pkt_l4 *l = &ip->t;
    if (f->key.proto == 17) {
        f->u.bytes[side] += l->valid ? l->payload_wire_len : 0;
        flow_hist_check(f, HIST_DATA_PKT, is_orig, 'D');
    } else if (f->key.proto == 1 || f->key.proto == 58) {
        uint32_t icmp_len = ip->total_len > ip->hdr_len ? ip->total_len - ip->hdr_len : 0;
        f->u.bytes[side] += icmp_len >= 8 ? icmp_len - 8 : 0;
    }
}

/* Create the flow for the first packet of a session and decide roles. */
static struct flow *flow_start(struct flow_table *t, const struct flow_key *k, uint32_t b,
                               int side, const struct pkt_ip *ip, int64_t now)
{
    struct flow *f = flow_create(t, k, b, now);
    if (!f)
        return NULL;
    f->orig_side = (uint8_t)side;
    f->uid_salt = t->reuse_salt;
    t->reuse_salt = 0;
    bool flip = false;
    const struct pkt_l4 *l = &ip->t;
    if (k->proto == 6 && l->valid) {
        flow_tcp_want(l, &flip);
    } else if (k->proto == 17 && l->valid) {
        flip = flow_likely_server_port(17, l->sport) && !flow_likely_server_port(17, l->dport);
    }
    if (flip)
        flow_flip(f);
    return f;
}

/* One IP layer of a packet: find or create its flow and account the
 * packet.  Returns the flow (NULL when the table could not hold it). */
static struct flow *flow_layer(struct flow_table *t, const struct packet *pkt,
                               const struct pkt_ip *ip, int64_t now, int *sidep, bool *first)
{
    struct flow_key k;
    int side;
    key_build(t, pkt, ip, &k, &side);
    *sidep = side;
    *first = false;
    uint32_t b = (uint32_t)key_hash(t->seed, &k) & t->mask;
    struct flow *f = table_find(t, &k, b);
    if (f && k.proto == 6 && ip->t.valid && flow_tcp_is_reuse(f, side, &ip->t)) {
        uint8_t salt = f->first_ns == now ? (uint8_t)(f->uid_salt + 1) : 0;
        flow_tcp_reuse_weird(t, f, &ip->t, now);
        flow_end(t, f, &t->ctr.reused);
        t->reuse_salt = salt;
        f = NULL;
    }
    if (!f) {
        f = flow_start(t, &k, b, side, ip, now);
        *first = true;
    }
    if (!f)
        return NULL;
    f->pkts[side]++;
    f->ip_bytes[side] += ip->total_len;
    if (k.proto == 6) {
        t->snapped = pkt->wirelen > pkt->caplen;
        if (ip->t.valid)
            flow_tcp_packet(t, f, side, &ip->t, now);
    } else {
        f->last_ns = now;
        flow_account_other(f, side, ip);
    }
    flow_rearm(t, f, now);
    return f;
}

static const char *encap_service(enum pkt_encap e)
{
    switch (e) {
    case PKT_ENCAP_VXLAN: return "vxlan";
    case PKT_ENCAP_GENEVE: return "geneve";
    case PKT_ENCAP_TEREDO: return "teredo";
    case PKT_ENCAP_AYIYA: return "ayiya";
    case PKT_ENCAP_GTPU: return "gtpv1";
    default: return NULL;
    }
}

static void tunnel_parent_add(struct flow *f, const char *uid)
{
    struct flow_ext *x = flow_ext_get(f);
    if (!x)
        return;
    for (int i = 0; i < 2; i++) {
        if (strcmp(x->tunnel_uid[i], uid) == 0)
            return;
        if (!x->tunnel_uid[i][0]) {
            snprintf(x->tunnel_uid[i], sizeof(x->tunnel_uid[i]), "%s", uid);
            return;
        }
    }
}

void flow_table_packet(struct flow_table *t, const struct packet *pkt)
{
    flow_table_packet_refs(t, pkt, NULL);
}

void flow_table_cache_uids(struct flow_table *t)
{
    if (!t->uid_cache)
        t->uid_cache = calloc(t->n_slots, sizeof(*t->uid_cache));
}

/* refs (optional): the uid of every session the packet was accounted to,
 * outer tunnel sessions first (for the full-content index). */
static void flow_refs_add(struct flow_table *t, struct flow_packet_refs *refs,
                          const struct flow *f, int layer)
{
    if (!refs || refs->n >= PKT_MAX_LAYERS)
        return;
    flow_uid_get(t, f, refs->ref[refs->n].uid, sizeof(refs->ref[refs->n].uid));
    refs->ref[refs->n].layer = (uint8_t)layer;
    refs->n++;
}

void flow_table_packet_refs(struct flow_table *t, const struct packet *pkt,
                            struct flow_packet_refs *refs)
{
    int64_t now = pkt->ts_sec * NS + pkt->ts_nsec;
    if (refs)
        refs->n = 0;
    if (refs) /* the archive asks for every packet's uids: cache them */
        flow_table_cache_uids(t);
    flow_table_expire(t, now);
    if (!(pkt->flags & PKT_F_IP) || (pkt->flags & PKT_F_FRAG_HELD) || pkt->n_layers == 0)
        return;
    char parent[24] = "";
    for (int i = 0; i < pkt->n_layers; i++) {
        const struct pkt_ip *ip = &pkt->layer[i];
        bool inner = i == pkt->n_layers - 1;
        const char *svc = inner ? NULL : encap_service(ip->encap);
        if (!inner && !svc) {
            /* IP-in-IP, GRE: no session of its own (as Zeek); the inner
             * sessions name the tunnel by a uid of its address pair. */
            flow_tunnel_uid(t->sensor, ip, parent, sizeof(parent));
            continue;
        }
        if (ip->is_fragment && !ip->reassembled && !ip->l4)
            return;
        int side;
        bool first;
        struct flow *f = flow_layer(t, pkt, ip, now, &side, &first);
        if (!f)
            return;
        if (inner && t->app.packet)
            t->app.packet(t->app.ctx, t, f, pkt, ip, side, f->orig_side, first, now);
        if (parent[0])
            tunnel_parent_add(f, parent);
        flow_refs_add(t, refs, f, i);
        if (svc) {
            struct flow_ext *x = flow_ext_get(f);
            if (x)
                x->service = svc;
            flow_uid_get(t, f, parent, sizeof(parent));
        }
    }
}

void flow_table_flush(struct flow_table *t)
{
    for (int c = 0; c < TC_N; c++)
        while (t->thead[c])
            flow_end(t, &t->pool[t->thead[c] - 1], &t->ctr.flushed);
}

void flow_table_counters(const struct flow_table *t, struct flow_counters *c)
{
    *c = t->ctr;
}

void flow_table_free(struct flow_table *t)
{
    if (!t)
        return;
    for (uint32_t i = 0; i < t->fresh; i++)
        if (t->pool[i].in_use && t->pool[i].ext) {
            flow_app_release(t, &t->pool[i]);
            free(t->pool[i].ext);
        }
    free(t->pool);
    free(t->buckets);
    free(t->uid_cache);
    free(t);
}
