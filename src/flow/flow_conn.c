/*
 * flow_conn.c - turns a finished flow into a conn.log record (Zeek 8's
 * base/protocols/conn/main.zeek set_conn() and conn_state()), and makes
 * uids.
 *
 * Owns: uid derivation, local-network matching, the record's string
 * storage (conn_record.buf).  Zeek rules kept here: duration, orig_bytes
 * and resp_bytes are set only when the duration is > 0; missed_bytes is
 * always set; history only when not empty; local_orig/local_resp only when
 * local networks exist (Zeek 8 counts private address space as local by
 * default, Site::private_address_space_is_local); tunnel_parents lists the
 * uids of the enclosing tunnels.
 *
 * uid: "C" + 6 base62 digits of the session's first packet second (the
 * epoch, most significant digit first; 62^6 s reaches the year 3770) + 11
 * base62 digits of the first 65 bits of SHA-256(sensor, 0, first packet
 * time (ns, big endian), flow key, salt), so the same input gives the same
 * uids; the salt separates sessions of one key that start in the same
 * nanosecond (port reuse).  Zeek's uids are 96 random bits; ours keep its
 * shape ("C" + 17 base62 digits) but carry their start time on purpose:
 * `vigil pcap --uid` reads the second back (flow_uid_time) and opens only
 * the archive files from that second on, instead of every file's index or
 * a conn.log search that grows with the archive.  65 bits of hash per
 * sensor-second leave collisions as unlikely as Zeek's.  Tunnel uids
 * (flow_tunnel_uid) have no start time and stay 96 hashed bits.  The inputs are
 * fixed when the flow is created, so a table that reports each packet's
 * sessions (flow_table_packet_refs, for the archive) computes a flow's uid
 * once and keeps it in a per-slot cache (flow_uid_get).
 */
#include <arpa/inet.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/str.h"
#include "flow/flow_int.h"

static const char b62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

static void uid_from_digest(const uint8_t *d, char *out, size_t outlen)
{
    /* 96 bits as three 32-bit limbs, repeatedly divided by 62 */
    uint32_t limb[3];
    for (int i = 0; i < 3; i++)
        limb[i] = (uint32_t)d[4 * i] << 24 | (uint32_t)d[4 * i + 1] << 16 |
                  (uint32_t)d[4 * i + 2] << 8 | d[4 * i + 3];
    char tmp[18];
    for (int k = 16; k >= 0; k--) {
        uint64_t rem = 0;
        for (int i = 0; i < 3; i++) {
            uint64_t cur = (rem << 32) | limb[i];
            limb[i] = (uint32_t)(cur / 62);
            rem = cur % 62;
        }
        tmp[k] = b62[rem];
    }
    snprintf(out, outlen, "C%.17s", tmp);
}

/* The digest and its context are fetched once per thread and reused: with
 * OpenSSL 3, EVP_sha256() looks the algorithm up again on every init and a
 * context is a malloc, which together cost more than the hash of a uid. */
static _Thread_local EVP_MD *sha_alg;
static _Thread_local EVP_MD_CTX *sha_ctx;

void flow_thread_free(void)
{
    EVP_MD_free(sha_alg);
    EVP_MD_CTX_free(sha_ctx);
    sha_alg = NULL;
    sha_ctx = NULL;
    community_id_thread_free();
}

static void sha256_parts(const void *const *parts, const size_t *lens, int n, uint8_t *md)
{
    unsigned int mdlen = 0;
    memset(md, 0, 32);
    if (!sha_alg)
        sha_alg = EVP_MD_fetch(NULL, "SHA256", NULL);
    if (!sha_ctx)
        sha_ctx = EVP_MD_CTX_new();
    if (!sha_alg || !sha_ctx)
        return;
    if (EVP_DigestInit_ex(sha_ctx, sha_alg, NULL) == 1) {
        for (int i = 0; i < n; i++)
            EVP_DigestUpdate(sha_ctx, parts[i], lens[i]);
        EVP_DigestFinal_ex(sha_ctx, md, &mdlen);
    }
}

/* n base62 digits of v (most significant first) into out. */
static void b62_digits(uint64_t v, char *out, int n)
{
    for (int k = n - 1; k >= 0; k--) {
        out[k] = b62[v % 62];
        v /= 62;
    }
}

#define UID_TIME_DIGITS 6
#define UID_TIME_MAX 56800235583LL /* 62^6 - 1 */

int flow_uid_time(const char *uid, int64_t *sec)
{
    if (!uid || uid[0] != 'C' || strlen(uid) != 18)
        return -1;
    int64_t v = 0;
    for (int i = 1; i <= 17; i++) {
        const char *p = uid[i] ? strchr(b62, uid[i]) : NULL;
        if (!p)
            return -1;
        if (i <= UID_TIME_DIGITS)
            v = v * 62 + (p - b62);
    }
    *sec = v;
    return 0;
}

void flow_uid_make(const char *sensor, int64_t first_ns, const struct flow_key *k, uint8_t salt,
                   char *out, size_t outlen)
{
    uint8_t ts[8];
    for (int i = 0; i < 8; i++)
        ts[i] = (uint8_t)((uint64_t)first_ns >> (56 - 8 * i));
    const void *parts[] = {sensor, "", ts, k, &salt};
    size_t lens[] = {strlen(sensor), 1, 8, sizeof(*k), 1};
    uint8_t md[32];
    sha256_parts(parts, lens, 5, md);
    int64_t sec = first_ns >= 0 ? first_ns / 1000000000LL : 0;
    if (sec > UID_TIME_MAX)
        sec = UID_TIME_MAX;
    /* 65 bits of the digest: its first 8 bytes and the top bit of the ninth
     * (62^11 > 2^65, so 11 digits hold them) */
    uint64_t hi = 0;
    for (int i = 0; i < 8; i++)
        hi = hi << 8 | md[i];
    char tmp[19];
    tmp[0] = 'C';
    b62_digits((uint64_t)sec, tmp + 1, UID_TIME_DIGITS);
    /* 65 bits v = 2 * hi + bit: the last digit is v mod 62 = 2 (hi mod 31)
     * + bit, and v / 62 = hi / 31, whose 10 digits are plain base 62. */
    tmp[17] = b62[2 * (hi % 31) + (md[8] >> 7)];
    b62_digits(hi / 31, tmp + 1 + UID_TIME_DIGITS, 10);
    tmp[18] = '\0';
    snprintf(out, outlen, "%s", tmp);
}

void flow_uid_get(const struct flow_table *t, const struct flow *f, char *out, size_t outlen)
{
    if (!t->uid_cache) {
        flow_uid_make(t->sensor, f->first_ns, &f->key, f->uid_salt, out, outlen);
        return;
    }
    char *c = t->uid_cache[f - t->pool];
    if (c[0] == '\0')
        flow_uid_make(t->sensor, f->first_ns, &f->key, f->uid_salt, c, FLOW_UID_CACHE);
    if (outlen) /* asked for on every packet with rules loaded: no snprintf */
        core_strcpy(out, outlen, c);
}

void flow_tunnel_uid(const char *sensor, const struct pkt_ip *outer, char *out, size_t outlen)
{
    size_t alen = outer->version == 6 ? 16 : 4;
    const uint8_t *a = outer->src, *b = outer->dst;
    if (memcmp(a, b, alen) > 0) {
        a = outer->dst;
        b = outer->src;
    }
    uint8_t kind = (uint8_t)outer->encap;
    const void *parts[] = {sensor, "\0tunnel", a, b, &kind};
    size_t lens[] = {strlen(sensor), 7, alen, alen, 1};
    uint8_t md[32];
    sha256_parts(parts, lens, 5, md);
    uid_from_digest(md, out, outlen);
}

/* ---- local networks ------------------------------------------------------ */

static int inet_pton_any(const char *s, uint8_t *addr, uint8_t *family)
{
    if (inet_pton(AF_INET, s, addr) == 1) {
        *family = 4;
        return 0;
    }
    if (inet_pton(AF_INET6, s, addr) == 1) {
        *family = 6;
        return 0;
    }
    return -1;
}

static int parse_net(const char *s, size_t n, struct flow_local_net *net)
{
    char buf[64];
    if (n == 0 || n >= sizeof(buf))
        return -1;
    memcpy(buf, s, n);
    buf[n] = 0;
    char *slash = strchr(buf, '/');
    long prefix = -1;
    if (slash) {
        char *end;
        *slash = 0;
        prefix = strtol(slash + 1, &end, 10);
        if (*end || end == slash + 1)
            return -1;
    }
    memset(net, 0, sizeof(*net));
    if (inet_pton_any(buf, net->addr, &net->family) < 0)
        return -1;
    int max = net->family == 6 ? 128 : 32;
    if (prefix < 0)
        prefix = max;
    if (prefix > max)
        return -1;
    net->prefix = (uint8_t)prefix;
    return 0;
}

int flow_config_parse_local_nets(struct flow_config *cfg, const char *list, char *err,
                                 size_t errlen)
{
    cfg->n_local_nets = 0;
    const char *p = list;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        while (n && *p == ' ') {
            p++;
            n--;
        }
        if (n) {
            if (cfg->n_local_nets >= FLOW_MAX_LOCAL_NETS) {
                snprintf(err, errlen, "too many local networks (at most %d)", FLOW_MAX_LOCAL_NETS);
                return -1;
            }
            if (parse_net(p, n, &cfg->local_nets[cfg->n_local_nets]) < 0) {
                snprintf(err, errlen, "'%.*s' is not a network (expected CIDR such as 10.0.0.0/8 "
                         "or fd00::/8)", (int)n, p);
                return -1;
            }
            cfg->n_local_nets++;
        }
        if (!e)
            break;
        p = e + 1;
    }
    return 0;
}

static bool net_match(const struct flow_local_net *n, int family, const uint8_t *a)
{
    if (n->family != family)
        return false;
    int bits = n->prefix, i = 0;
    for (; bits >= 8; bits -= 8, i++)
        if (a[i] != n->addr[i])
            return false;
    if (bits) {
        uint8_t m = (uint8_t)(0xff << (8 - bits));
        if ((a[i] & m) != (n->addr[i] & m))
            return false;
    }
    return true;
}

/* Zeek's Site::private_address_space (the common part): 10.0.0.0/8,
 * 172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10, 127.0.0.0/8,
 * 169.254.0.0/16, fc00::/7, fe80::/10, ::1/128 (as constants: this runs
 * for every conn record, and parsing the text each time cost two
 * inet_pton calls per network). */
static const struct flow_local_net private_nets[] = {
    {4, 8, {10}},          {4, 12, {172, 16}}, {4, 16, {192, 168}}, {4, 10, {100, 64}},
    {4, 8, {127}},         {4, 16, {169, 254}}, {6, 7, {0xfc}},      {6, 10, {0xfe, 0x80}},
    {6, 128, {[15] = 1}},
};

static bool is_local(const struct flow_table *t, int family, const uint8_t *a)
{
    for (int i = 0; i < t->cfg.n_local_nets; i++)
        if (net_match(&t->cfg.local_nets[i], family, a))
            return true;
    if (t->cfg.n_local_nets == 0 && t->cfg.private_is_local)
        for (size_t i = 0; i < sizeof(private_nets) / sizeof(private_nets[0]); i++)
            if (net_match(&private_nets[i], family, a))
                return true;
    return false;
}

/* ---- the record ---------------------------------------------------------------- */

static struct rstr rs(const char *s)
{
    struct rstr r = {s, strlen(s)};
    return r;
}

static const char *proto_name(uint8_t p)
{
    switch (p) {
    case 6: return "tcp";
    case 17: return "udp";
    case 1:
    case 58: return "icmp";
    default: return "unknown_transport";
    }
}

static const char *udp_state(const struct flow *f)
{
    bool o = f->pkts[f->orig_side] > 0, r = f->pkts[f->orig_side ^ 1] > 0;
    if (o)
        return r ? "SF" : "S0";
    return r ? "SHR" : "OTH";
}

static void set(struct conn_record *r, int field)
{
    record_set_unset(&r->hdr, (size_t)field, false);
}

static void conn_fill_ids(struct flow_table *t, struct flow *f, struct conn_record *r)
{
    int o = f->orig_side;
    const struct flow_key *k = &f->key;
    r->orig_h.family = r->resp_h.family = k->family;
    memcpy(r->orig_h.a, o ? k->b : k->a, 16);
    memcpy(r->resp_h.a, o ? k->a : k->b, 16);
    r->orig_p = o ? k->pb : k->pa;
    r->resp_p = o ? k->pa : k->pb;
    set(r, CONN_ORIG_H);
    set(r, CONN_ORIG_P);
    set(r, CONN_RESP_H);
    set(r, CONN_RESP_P);
    r->proto = rs(proto_name(k->proto));
    set(r, CONN_PROTO);
    r->ip_proto = k->proto;
    set(r, CONN_IP_PROTO);
    if (t->cfg.n_local_nets > 0 || t->cfg.private_is_local) {
        r->local_orig = is_local(t, k->family, r->orig_h.a);
        r->local_resp = is_local(t, k->family, r->resp_h.a);
        set(r, CONN_LOCAL_ORIG);
        set(r, CONN_LOCAL_RESP);
    }
    if (k->vlan != 0xffff) {
        r->vlan = k->vlan;
        set(r, CONN_VLAN);
    }
    if (k->inner_vlan != 0xffff) {
        r->inner_vlan = k->inner_vlan;
        set(r, CONN_INNER_VLAN);
    }
}

static void conn_fill_cid(struct flow_table *t, struct flow *f, struct conn_record *r, char *buf,
                          size_t len)
{
    const struct flow_key *k = &f->key;
    bool ports = k->proto == 6 || k->proto == 17 || k->proto == 132 || k->proto == 1 ||
                 k->proto == 58;
    int n = community_id_v1(t->cfg.community_id_seed, r->orig_h.a, r->resp_h.a,
                            k->family == 6 ? 16 : 4, k->proto, (uint16_t)r->orig_p,
                            (uint16_t)r->resp_p, ports, buf, len);
    if (n > 0) {
        r->community_id.p = buf;
        r->community_id.len = (size_t)n;
        set(r, CONN_COMMUNITY_ID);
    }
}

void flow_conn_emit(struct flow_table *t, struct flow *f)
{
    if (!t->emit)
        return; /* nobody reads conn records (pipeline_config.no_records) */
    struct conn_record r;
    conn_record_init(&r);
    int o = f->orig_side;
    r.ts = f->first_ns;
    set(&r, CONN_TS);
    char *uid = r.buf;
    flow_uid_get(t, f, uid, 24);
    r.uid = rs(uid);
    set(&r, CONN_UID);
    conn_fill_ids(t, f, &r);
    if (f->ext && f->ext->service) {
        r.service = rs(f->ext->service);
        set(&r, CONN_SERVICE);
    } else if (f->ext && f->ext->app && t->app.service) {
        const char *svc = t->app.service(t->app.ctx, f->ext->app);
        if (svc && *svc) {
            r.service = rs(svc);
            set(&r, CONN_SERVICE);
        }
    }
    int64_t dur = f->last_ns - f->first_ns;
    if (dur > 0) {
        r.duration = dur;
        if (f->key.proto == 6) {
            r.orig_bytes = flow_tcp_size(f, o);
            r.resp_bytes = flow_tcp_size(f, o ^ 1);
        } else {
            r.orig_bytes = f->u.bytes[o];
            r.resp_bytes = f->u.bytes[o ^ 1];
        }
        set(&r, CONN_DURATION);
        set(&r, CONN_ORIG_BYTES);
        set(&r, CONN_RESP_BYTES);
    }
    const char *hist = f->hist_len > FLOW_HIST_INLINE && f->ext ? f->ext->history : f->hist;
    char hbuf[FLOW_HIST_MAX];
    snprintf(hbuf, sizeof(hbuf), "%.*s", (int)f->hist_len, hist);
    r.conn_state = rs(f->key.proto == 6 ? flow_tcp_conn_state(f, hbuf)
                      : f->key.proto == 17 ? udp_state(f) : "OTH");
    set(&r, CONN_CONN_STATE);
    r.missed_bytes = f->ext ? f->ext->missed : 0;
    set(&r, CONN_MISSED_BYTES);
    if (f->hist_len) {
        r.history.p = hbuf;
        r.history.len = f->hist_len;
        set(&r, CONN_HISTORY);
    }
    r.orig_pkts = f->pkts[o];
    r.orig_ip_bytes = f->ip_bytes[o];
    r.resp_pkts = f->pkts[o ^ 1];
    r.resp_ip_bytes = f->ip_bytes[o ^ 1];
    set(&r, CONN_ORIG_PKTS);
    set(&r, CONN_ORIG_IP_BYTES);
    set(&r, CONN_RESP_PKTS);
    set(&r, CONN_RESP_IP_BYTES);
    struct rstr parents[2];
    size_t np = 0;
    for (int i = 0; f->ext && i < 2; i++)
        if (f->ext->tunnel_uid[i][0])
            parents[np++] = rs(f->ext->tunnel_uid[i]);
    if (np) {
        r.tunnel_parents.v = parents;
        r.tunnel_parents.n = np;
        set(&r, CONN_TUNNEL_PARENTS);
    }
    conn_fill_cid(t, f, &r, r.buf + 24, sizeof(r.buf) - 24);
    t->emit(t->emit_ctx, &r);
}

/* Identity of a flow for the app layer (src/stream): computed once per
 * flow with app state, and again only when roles flip. */
void flow_app_info(const struct flow_table *t, const struct flow *f, struct flow_app_info *out)
{
    flow_app_ids(t, f, out);
    flow_community_id(t, f, out->community_id, sizeof(out->community_id));
}

void flow_community_id(const struct flow_table *t, const struct flow *f, char *out, size_t outlen)
{
    struct conn_record r;
    conn_record_init(&r);
    conn_fill_ids((struct flow_table *)t, (struct flow *)f, &r);
    conn_fill_cid((struct flow_table *)t, (struct flow *)f, &r, out, outlen);
}

/* Called for every packet when rules are loaded: the identity straight
 * from the key (conn_fill_ids' roles), without a conn record. */
void flow_app_ids(const struct flow_table *t, const struct flow *f, struct flow_app_info *out)
{
    int o = f->orig_side;
    const struct flow_key *k = &f->key;
    memset(out, 0, sizeof(*out));
    flow_uid_get(t, f, out->uid, sizeof(out->uid));
    out->orig_h.family = out->resp_h.family = k->family;
    memcpy(out->orig_h.a, o ? k->b : k->a, 16);
    memcpy(out->resp_h.a, o ? k->a : k->b, 16);
    out->orig_p = o ? k->pb : k->pa;
    out->resp_p = o ? k->pa : k->pb;
    out->proto = k->proto;
    out->orig_side = f->orig_side;
    out->first_ns = f->first_ns;
}
