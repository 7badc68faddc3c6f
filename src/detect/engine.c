/*
 * engine.c - the signature engine's construction and its hooks into the
 * pipeline (engine.h, docs/alerts.md).
 *
 * Build: every rule the engine can evaluate (detect_rule_check) goes to a
 * group - packet rules by IP protocol (tcp, udp, icmp, other; "ip" rules
 * to all), transaction rules by application protocol (http, dns, tls,
 * ssh, smtp, ftp with ftp-data).  Each rule's fast pattern (the
 * fast_pattern content, else its longest positive content;
 * fast_pattern:off,len chops it) goes into the
 * group's Vectorscan block-mode database for that buffer, compiled with
 * hs_compile_multi (every byte \xHH-escaped, see fp_render;
 * HS_FLAG_CASELESS for nocase, HS_FLAG_SINGLEMATCH); rules without a usable
 * content go to the group's always-evaluate list, or a header index
 * (engine_index.c).  Evaluation is engine_eval.c.
 *
 * State that outlives one engine (so a SIGHUP reload loses no flow): the
 * per-flow table (flowbits, flowints, TCP state, confirmed app protocol,
 * first-packet time and per-direction counts for flow.age/pkts/bytes), a
 * hash table of the live flows by session uid (open addressing on a seeded
 * hash, doubled at half full; each flow's state allocated on its own so
 * pointers to it stay valid while the table grows), an entry freed when
 * its flow ends (detect_flow_end, from the flow table's end of every flow,
 * carried out before the next packet's inspection so that windows and
 * files still pending see it); and the flowbit name table (names only
 * grow, capped at DETECT_FLOWBITS_MAX).  (Until 2026-11-29 the flow table
 * was direct-mapped, 65,536 slots, entries never freed: a new flow took
 * the slot of whichever flow hashed there, live or not - 11,800 times on
 * the benchmark workload - so a live flow could lose its flowbits and TCP
 * state, and with the random hash key the evaluations varied by a few
 * between runs of the same capture.)  The
 * engine in use, the per-flow table and the current packet's stash are
 * per thread: with several analysis workers each thread installs its own
 * copy of the engine (engine_worker.c) and owns its flows' state.
 */
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "detect/detect_http.h"
#include "detect/engine_int.h"
#include "detect/hs_cache.h"
#include "detect/rule_pkt.h"
#include "flow/flow.h"
#include "proto/proto.h"

/* The live flows' state: slots of (hash, state), a power of two, at most
 * half full; the uids of flows that ended, freed at the next packet. */
struct det_fslot {
    uint64_t h;
    struct det_flow *fs; /* NULL: free */
};
static _Thread_local struct det_fslot *ftab;
static _Thread_local uint32_t fcap, fcount;
static _Thread_local char (*fgone)[24];
static _Thread_local uint32_t n_fgone, cap_fgone;
static _Thread_local uint64_t flow_key[2];
static _Thread_local struct det_flow *flow_last; /* det_flow_find's last answer */
static char *bit_names[DETECT_FLOWBITS_MAX];
static uint32_t n_bit_names;
static _Thread_local struct detect_engine *current;
static _Thread_local struct det_stash stash;
static int inspect_encrypted; /* --inspect-encrypted: keep inspecting encrypted payloads */

/* ---- shared state ---------------------------------------------------------- */

/* One writer at a time (the engine being built: at start, or a reload's
 * builder thread) while the packet thread reads: a new name is written
 * before the count that publishes it (release/acquire). */
int det_bit_index(const char *name, size_t len, int create)
{
    uint32_t n = __atomic_load_n(&n_bit_names, __ATOMIC_ACQUIRE);
    for (uint32_t i = 0; i < n; i++)
        if (strlen(bit_names[i]) == len && memcmp(bit_names[i], name, len) == 0)
            return (int)i;
    if (!create || n >= DETECT_FLOWBITS_MAX)
        return -1;
    char *s = malloc(len + 1);
    if (!s)
        return -1;
    memcpy(s, name, len);
    s[len] = 0;
    bit_names[n] = s;
    __atomic_store_n(&n_bit_names, n + 1, __ATOMIC_RELEASE);
    return (int)n;
}

#define FTAB_MIN 1024u

int det_state_init(void)
{
    if (ftab)
        return 0;
    ftab = calloc(FTAB_MIN, sizeof(*ftab));
    if (!ftab)
        return -1;
    fcap = FTAB_MIN;
    fcount = 0;
    core_random_key(flow_key);
    return 0;
}

/* Free every flow's state and the table. */
static void flows_free(void)
{
    for (uint32_t i = 0; ftab && i < fcap; i++)
        if (ftab[i].fs) {
            det_flow_release(ftab[i].fs);
            free(ftab[i].fs);
        }
    free(ftab);
    ftab = NULL;
    fcap = fcount = 0;
    flow_last = NULL;
    free(fgone);
    fgone = NULL;
    n_fgone = cap_fgone = 0;
}

static int ftab_grow(void)
{
    uint32_t nc = fcap * 2;
    struct det_fslot *n = calloc(nc, sizeof(*n));
    if (!n)
        return -1;
    for (uint32_t i = 0; i < fcap; i++)
        if (ftab[i].fs) {
            uint32_t j = (uint32_t)ftab[i].h & (nc - 1);
            while (n[j].fs)
                j = (j + 1) & (nc - 1);
            n[j] = ftab[i];
        }
    free(ftab);
    ftab = n;
    fcap = nc;
    return 0;
}

/* The slot of uid (n bytes, hash h), or of the free slot ending its probe. */
static uint32_t ftab_probe(const char *uid, size_t n, uint64_t h)
{
    uint32_t i = (uint32_t)h & (fcap - 1);
    while (ftab[i].fs && !(ftab[i].h == h && memcmp(ftab[i].fs->uid, uid, n) == 0 &&
                           ftab[i].fs->uid[n] == 0))
        i = (i + 1) & (fcap - 1);
    return i;
}

/* Remove slot i, moving later entries of its probe run back (linear
 * probing without tombstones). */
static void ftab_remove(uint32_t i)
{
    if (ftab[i].fs == flow_last)
        flow_last = NULL;
    det_flow_release(ftab[i].fs);
    free(ftab[i].fs);
    ftab[i].fs = NULL;
    fcount--;
    for (uint32_t j = (i + 1) & (fcap - 1); ftab[j].fs; j = (j + 1) & (fcap - 1)) {
        uint32_t home = (uint32_t)ftab[j].h & (fcap - 1);
        /* j's entry may move to i when its home is not in (i, j] */
        if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
            ftab[i] = ftab[j];
            ftab[j].fs = NULL;
            i = j;
        }
    }
}

void detect_flow_end(const char *uid)
{
    if (!ftab || !uid || !*uid)
        return;
    if (n_fgone == cap_fgone) {
        uint32_t nc = cap_fgone ? cap_fgone * 2 : 64;
        char(*n)[24] = realloc(fgone, nc * sizeof(*n));
        if (!n)
            return; /* kept until the end of the run */
        fgone = n;
        cap_fgone = nc;
    }
    snprintf(fgone[n_fgone++], sizeof(fgone[0]), "%s", uid);
}

/* The flows that ended since the last packet: their state goes now that
 * nothing pending refers to it. */
void det_flows_gone(void)
{
    for (uint32_t k = 0; k < n_fgone; k++) {
        size_t n = strnlen(fgone[k], sizeof(fgone[k]) - 1);
        uint32_t i = ftab_probe(fgone[k], n, core_siphash(flow_key, fgone[k], n));
        if (ftab[i].fs)
            ftab_remove(i);
    }
    n_fgone = 0;
}

struct det_stash *det_stash_get(void)
{
    return &stash;
}

struct detect_engine *det_current(void)
{
    return current;
}

static void det_state_free(void)
{
    flows_free();
    det_flowint_names_free();
    det_xbits_free();
    for (uint32_t i = 0; i < n_bit_names; i++)
        free(bit_names[i]);
    n_bit_names = 0;
    memset(&stash, 0, sizeof(stash));
}

/* A worker thread's own state, at its end (engine_worker.c). */
void det_thread_state_free(void)
{
    flows_free();
    current = NULL;
    memset(&stash, 0, sizeof(stash));
    det_http_thread_free();
}

struct det_flow *det_flow_find(const char *uid, int create)
{
    if (!ftab || !uid || !*uid)
        return NULL;
    /* the flow asked for last (a packet's hooks ask several times): no
     * hash (flow_last is cleared when its flow's state is freed) */
    struct det_flow *last = flow_last;
    if (last && strncmp(last->uid, uid, sizeof(last->uid)) == 0)
        return last;
    size_t n = strnlen(uid, sizeof(ftab->fs->uid) - 1);
    uint64_t h = core_siphash(flow_key, uid, n);
    uint32_t i = ftab_probe(uid, n, h);
    if (ftab[i].fs || !create)
        return ftab[i].fs ? (flow_last = ftab[i].fs) : NULL;
    if ((fcount + 1) * 2 > fcap) {
        if (ftab_grow() < 0)
            return NULL;
        i = ftab_probe(uid, n, h);
    }
    struct det_flow *fs = calloc(1, sizeof(*fs));
    if (!fs)
        return NULL;
    memcpy(fs->uid, uid, n);
    ftab[i].h = h;
    ftab[i].fs = fs;
    fcount++;
    return flow_last = fs;
}

/* ---- what the engine evaluates ---------------------------------------------- */

/* An HTTP buffer the HTTP hook fills (engine_http.c), in a rule it reaches. */
static int det_http_buffer(const struct rule *r, unsigned b)
{
    uint8_t app = r->app_proto ? r->app_proto : r->proto;
    if (b == RULE_BUF_FILE_DATA)
        return app == RULE_PROTO_HTTP;
    return b >= RULE_BUF_HTTP_URI && b <= RULE_BUF_HTTP_RESPONSE_HEADER;
}

void detect_rule_skip_print(FILE *f, const struct rule *r, const char *kw)
{
    fprintf(f, "rule sid %u: keyword '%s' is parsed but not evaluated by the engine: rule skipped\n",
            r->sid, kw ? kw : "?");
}

int detect_rule_check(const struct rule *r, const char **kw)
{
    static const uint8_t tx_bufs[] = {
        RULE_BUF_HTTP_URI,       RULE_BUF_HTTP_URI_RAW,  RULE_BUF_HTTP_METHOD,
        RULE_BUF_HTTP_HOST,      RULE_BUF_HTTP_HOST_RAW, RULE_BUF_HTTP_USER_AGENT,
        RULE_BUF_HTTP_STAT_CODE, RULE_BUF_HTTP_STAT_MSG, RULE_BUF_HTTP_REFERER,
        RULE_BUF_HTTP_PROTOCOL,  RULE_BUF_DNS_QUERY,     RULE_BUF_TLS_SNI,
        RULE_BUF_JA3_HASH,       RULE_BUF_JA3S_HASH,     RULE_BUF_SSH_PROTO,
        RULE_BUF_SSH_SOFTWARE,
        /* from the parsers' inspection points (engine_app.c) */
        RULE_BUF_TLS_CERT_SUBJECT, RULE_BUF_TLS_CERT_ISSUER, RULE_BUF_TLS_CERT_SERIAL,
        RULE_BUF_TLS_CERTS, RULE_BUF_JA3_STRING, RULE_BUF_TLS_CERT_FINGERPRINT,
        RULE_BUF_TLS_SAN, RULE_BUF_TLS_ALPN, RULE_BUF_TLS_RANDOM, RULE_BUF_TLS_RANDOM_TIME,
        RULE_BUF_TLS_RANDOM_BYTES, RULE_BUF_JA3S_STRING, RULE_BUF_SSH_HASSH,
        RULE_BUF_SSH_HASSH_STRING, RULE_BUF_SSH_HASSH_SERVER, RULE_BUF_SSH_HASSH_SERVER_STRING,
        RULE_BUF_DNS_QUERIES_RRNAME, RULE_BUF_DNS_ANSWERS_RRNAME, RULE_BUF_SMTP_HELO,
        RULE_BUF_SMTP_MAIL_FROM, RULE_BUF_SMTP_RCPT_TO};
    if (r->app_event)
        return *kw = "app-layer-event", -1;
    if (r->px && r->px->unmapped)
        return *kw = r->px->unmapped, -1; /* an event with no counterpart, named */
    if (r->flow & (RULE_FLOW_ONLY_FRAG))
        return *kw = "flow:only_frag", -1;
    switch (r->proto) {
    case RULE_PROTO_IP: case RULE_PROTO_TCP: case RULE_PROTO_TCP_PKT: case RULE_PROTO_TCP_STREAM:
    case RULE_PROTO_UDP:
    case RULE_PROTO_ICMP: case RULE_PROTO_HTTP: case RULE_PROTO_DNS: case RULE_PROTO_TLS:
    case RULE_PROTO_SSH: case RULE_PROTO_SMTP: case RULE_PROTO_FTP: case RULE_PROTO_FTP_DATA:
        break;
    case RULE_PROTO_SMB: case RULE_PROTO_DCERPC:
        /* identified (src/proto/smb.c, dcerpc.c), not parsed: payload only */
        for (uint32_t b = 0; b < r->n_bufs; b++)
            if (r->bufs[b].buffer != RULE_BUF_PKT)
                return *kw = rule_buffer_name(r->bufs[b].buffer), -1;
        break;
    default:
        return *kw = rule_proto_name(r->proto), -1;
    }
    for (uint32_t b = 0; b < r->n_bufs; b++) {
        const struct rule_buflist *bl = &r->bufs[b];
        int ok = bl->buffer == RULE_BUF_PKT || det_http_buffer(r, bl->buffer) ||
                 det_file_buffer(r, bl->buffer) || bl->buffer == RULE_BUF_BASE64_DATA;
        for (size_t k = 0; !ok && k < sizeof(tx_bufs); k++)
            ok = bl->buffer == tx_bufs[k];
        if (!ok)
            return *kw = rule_buffer_name(bl->buffer), -1;
        if (bl->buffer == RULE_BUF_BASE64_DATA && bl->n_xforms)
            return *kw = "transform", -1; /* not applied to the decoded bytes */
        for (uint8_t x = 0; x < bl->n_xforms; x++)
            if (bl->xforms[x] == RULE_XFORM_HEADER_LOWERCASE ||
                bl->xforms[x] == RULE_XFORM_STRIP_PSEUDO_HEADERS)
                return *kw = "transform", -1;
        for (uint32_t i = 0; i < bl->n; i++) {
            if (bl->elems[i].kind == RULE_ELEM_BASE64_DECODE &&
                (bl->buffer == RULE_BUF_BASE64_DATA || !r->base64))
                return *kw = "base64_decode", -1; /* in base64_data, or without one */
            if ((bl->elems[i].kind == RULE_ELEM_BYTE_TEST || bl->elems[i].kind == RULE_ELEM_BYTE_JUMP ||
                 bl->elems[i].kind == RULE_ELEM_BYTE_EXTRACT) &&
                (bl->elems[i].u.byte.flags & RULE_BYTE_DCE))
                return *kw = "byte_test:dce", -1;
        }
    }
    return 0;
}

static int buf_is_response(unsigned b)
{
    return b == RULE_BUF_HTTP_STAT_CODE || b == RULE_BUF_HTTP_STAT_MSG || b == RULE_BUF_JA3S_HASH;
}

/* The bytes of content c the prefilter looks for: the content, or its
 * fast_pattern:off,len chop. */
static uint32_t fp_bytes(const struct rule_content *c, const uint8_t **p)
{
    if (c->flags & RULE_CONTENT_FP_CHOP) {
        *p = c->bytes + c->fp_off;
        return c->fp_len;
    }
    *p = c->bytes;
    return c->len;
}

/* Only a dotprefix transform: the buffer as matched is "." + the buffer. */
static int xforms_dotprefix(const struct rule_buflist *bl)
{
    return bl->n_xforms == 1 && bl->xforms[0] == RULE_XFORM_DOTPREFIX;
}

/* The rule's fast pattern: buffer, bytes, nocase; 0 when it has none.  The
 * fast_pattern content, else the longest positive content.  A rule without
 * one is evaluated on every inspection of its group (or of its header
 * index, engine_index.c).  The prefilter scans buffers untransformed, so a
 * transformed buffer gives no fast pattern - except dotprefix (ET's 1,076
 * "dns.query; dotprefix; content:\".evil.example\"" and tls.sni rules):
 * any string found in "." + B, less a leading '.', is found in B. */
int det_rule_fast_pattern(const struct rule *r, uint8_t *buf, const uint8_t **p, uint32_t *len,
                             int *nocase)
{
    const struct rule_content *best = NULL;
    uint32_t best_n = 0;
    for (uint32_t b = 0; b < r->n_bufs; b++) {
        const struct rule_buflist *bl = &r->bufs[b];
        if (bl->buffer == RULE_BUF_BASE64_DATA)
            continue; /* decoded at evaluation: not a buffer the prefilter scans */
        int dot = xforms_dotprefix(bl);
        if (bl->n_xforms && !dot)
            continue; /* the pattern must be found in the buffer as inspected */
        for (uint32_t i = 0; i < bl->n; i++) {
            const struct rule_content *c = &bl->elems[i].u.content;
            const uint8_t *cp;
            if (bl->elems[i].kind != RULE_ELEM_CONTENT || (c->flags & RULE_CONTENT_NEGATED))
                continue;
            uint32_t n = fp_bytes(c, &cp);
            if (dot && n && cp[0] == '.')
                cp++, n--;
            if (n == 0)
                continue;
            if (!(c->flags & RULE_CONTENT_FAST_PATTERN) && n <= best_n)
                continue;
            best = c, best_n = n, *buf = bl->buffer, *p = cp;
            if (c->flags & RULE_CONTENT_FAST_PATTERN)
                goto found;
        }
    }
    if (!best)
        return 0;
found:
    *len = best_n;
    *nocase = (best->flags & RULE_CONTENT_NOCASE) != 0;
    return 1;
}

/* ---- building -------------------------------------------------------------- */

struct fp_list {
    const char **pat;
    size_t *len;
    unsigned *flags, *ids;
    uint32_t n, cap;
};

static int fp_add(struct fp_list *l, const uint8_t *p, uint32_t len, int nocase, uint32_t id)
{
    if (l->n == l->cap) {
        uint32_t nc = l->cap ? l->cap * 2 : 64;
        const char **np = realloc(l->pat, nc * sizeof(*np));
        if (np)
            l->pat = np;
        size_t *nl = realloc(l->len, nc * sizeof(*nl));
        if (nl)
            l->len = nl;
        unsigned *nf = realloc(l->flags, nc * sizeof(*nf));
        if (nf)
            l->flags = nf;
        unsigned *ni = realloc(l->ids, nc * sizeof(*ni));
        if (ni)
            l->ids = ni;
        if (!np || !nl || !nf || !ni)
            return -1;
        l->cap = nc;
    }
    l->pat[l->n] = (const char *)p;
    l->len[l->n] = len;
    l->flags[l->n] = HS_FLAG_SINGLEMATCH | (nocase ? HS_FLAG_CASELESS : 0);
    l->ids[l->n] = id;
    l->n++;
    return 0;
}

/* A group's fast pattern lists, by HTTP stage (0 for the other groups) and
 * buffer. */
typedef struct fp_list fp_lists[DET_STAGES][RULE_BUF_COUNT];

static void fp_free(struct fp_list *l)
{
    free(l->pat);
    free(l->len);
    free(l->flags);
    free(l->ids);
    memset(l, 0, sizeof(*l));
}

static int group_always_add(struct det_group *g, uint32_t id)
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

/* Which groups a rule belongs to (bit per enum det_grp). */
static unsigned rule_groups(const struct det_rule *dr)
{
    const struct rule *r = dr->r;
    if (r->px && (r->px->ev.kind == RULE_EV_DECODE || r->px->ev.kind == RULE_EV_STREAM ||
                  r->px->ev.kind == RULE_EV_APP))
        return 0; /* event rules: the engine's ev list */
    if (dr->tx) {
        if (r->ftpbounce)
            return 1u << DG_FTP;
        uint8_t app = r->app_proto ? r->app_proto : r->proto;
        if (r->px && r->px->ev.kind == RULE_EV_RECORD)
            app = r->px->ev.app;
        switch (app) {
        case RULE_PROTO_HTTP: return 1u << DG_HTTP;
        case RULE_PROTO_DNS: return 1u << DG_DNS;
        case RULE_PROTO_TLS: return 1u << DG_TLS;
        case RULE_PROTO_SSH: return 1u << DG_SSH;
        case RULE_PROTO_SMTP: return 1u << DG_SMTP;
        case RULE_PROTO_FTP: case RULE_PROTO_FTP_DATA: return 1u << DG_FTP;
        default: return 0;
        }
    }
    switch (r->proto) {
    case RULE_PROTO_TCP: case RULE_PROTO_TCP_PKT: case RULE_PROTO_TCP_STREAM: case RULE_PROTO_HTTP:
    case RULE_PROTO_TLS: case RULE_PROTO_SSH: case RULE_PROTO_SMTP: case RULE_PROTO_FTP:
    case RULE_PROTO_FTP_DATA: case RULE_PROTO_SMB: case RULE_PROTO_DCERPC:
        return 1u << DG_TCP;
    case RULE_PROTO_UDP: return 1u << DG_UDP;
    case RULE_PROTO_ICMP: return 1u << DG_ICMP;
    case RULE_PROTO_DNS: return (1u << DG_TCP) | (1u << DG_UDP);
    default: break;
    }
    /* "ip" with ip_proto:N (ET's 6in4 rule, ip_proto:41): N's group only */
    if ((r->has & RULE_HAS_IP_PROTO) && r->cond->ip_proto.op == RULE_NUM_EQ)
        return r->cond->ip_proto.a == 6    ? 1u << DG_TCP
               : r->cond->ip_proto.a == 17 ? 1u << DG_UDP
               : (r->cond->ip_proto.a == 1 || r->cond->ip_proto.a == 58) ? 1u << DG_ICMP
                                                             : 1u << DG_OTHER;
    return (1u << DG_TCP) | (1u << DG_UDP) | (1u << DG_ICMP) | (1u << DG_OTHER);
}

static int det_rule_setup(struct det_rule *dr, const struct rule *r)
{
    dr->r = r;
    dr->pass = r->action == RULE_ACTION_PASS;
    for (uint32_t b = 0; b < r->n_bufs; b++) {
        if (r->bufs[b].buffer != RULE_BUF_PKT && r->bufs[b].buffer != RULE_BUF_BASE64_DATA &&
            r->bufs[b].n)
            dr->tx = 1;
        if (buf_is_response(r->bufs[b].buffer))
            dr->to_client = 1;
    }
    if (r->app_has || r->tls_version || r->ftpbounce)
        dr->tx = 1;
    if (r->flow & RULE_FLOW_TO_CLIENT)
        dr->to_client = 1;
    if (r->px && r->px->ev.kind == RULE_EV_RECORD)
        dr->tx = 1;
    dr->file = (uint8_t)det_file_rule(r);
    for (uint32_t b = 0; b < r->n_bufs; b++)
        if (r->bufs[b].buffer == RULE_BUF_PKT && (r->bufs[b].n || r->bufs[b].n_xforms))
            dr->payload = 1;
    if ((r->has & RULE_HAS_DSIZE) && !rule_num_match(&r->cond->dsize, 0))
        dr->payload = 1; /* as Suricata: dsize:0 and dsize:<N need no payload */
    if (det_flowint_setup(r) < 0)
        return -1;
    /* HTTP buffers: inspected by detect_http_tx at their stage; an HTTP
     * rule on a record event (app-layer-event) stays on http.log records,
     * but the one computed from the request's headers */
    if (dr->tx && (r->app_proto ? r->app_proto : r->proto) == RULE_PROTO_HTTP &&
        !(r->px && r->px->ev.kind == RULE_EV_RECORD && r->px->ev.rec != RULE_EVR_HTTP_TE_INVALID) &&
        !dr->file)
        dr->stage = det_http_stage_of(r);
    for (uint32_t i = 0; i < r->n_bits && i < 8; i++) {
        const char *nm = r->bits[i].name;
        size_t len = strcspn(nm, "|&");
        int idx = det_bit_index(nm, len, 1);
        if (idx < 0)
            return -1;
        dr->bit_idx[i] = (uint16_t)idx;
        /* the other names of "a|b" / "a&b" are looked up when evaluated */
        for (const char *q = nm + len; *q; q += strcspn(q, "|&")) {
            q++;
            if (det_bit_index(q, strcspn(q, "|&"), 1) < 0)
                return -1;
        }
    }
    return 0;
}

/* Pattern i of l as a Vectorscan expression: every byte \xHH-escaped.
 * Not the literal API (hs_compile_lit_multi): Vectorscan 5.4 takes a
 * literal whose first byte is 0x00 for an empty string and refuses the
 * whole database ("Pure literal API doesn't support empty string"), which
 * ET rules such as sid 2006417 (content "|00 11 22 ..|") hit.  Suricata
 * hands its fast patterns to Hyperscan escaped the same way. */
static char *fp_render(const struct fp_list *l, uint32_t i)
{
    static const char hx[] = "0123456789abcdef";
    char *s = malloc(l->len[i] * 4 + 1), *q = s;
    if (!s)
        return NULL;
    for (size_t k = 0; k < l->len[i]; k++, q += 4) { /* no snprintf: 450,000 bytes in ET */
        uint8_t c = (uint8_t)l->pat[i][k];
        q[0] = '\\', q[1] = 'x', q[2] = hx[c >> 4], q[3] = hx[c & 15];
    }
    *q = 0;
    return s;
}

static int group_compile_one(hs_database_t **db, const struct fp_list *l, unsigned b, char *err,
                             size_t errlen)
{
    char **ex = calloc(l->n, sizeof(*ex));
    int rc = -1;
    if (!ex)
        goto oom;
    for (uint32_t i = 0; i < l->n; i++)
        if ((ex[i] = fp_render(l, i)) == NULL)
            goto oom;
    hs_compile_error_t *ce = NULL;
    if (det_hs_compile_multi((const char *const *)ex, l->flags, l->ids, l->n, HS_MODE_BLOCK, db,
                             &ce) != HS_SUCCESS) {
        snprintf(err, errlen, "Vectorscan could not compile the %s patterns: %s (pattern %d)",
                 rule_buffer_name(b), ce ? ce->message : "unknown error", ce ? ce->expression : -1);
        hs_free_compile_error(ce);
        goto out;
    }
    rc = 0;
    goto out;
oom:
    snprintf(err, errlen, "out of memory compiling the %s patterns", rule_buffer_name(b));
out:
    for (uint32_t i = 0; ex && i < l->n; i++)
        free(ex[i]);
    free(ex);
    return rc;
}

static int group_compile(struct detect_engine *e, fp_lists *fps, char *err, size_t errlen)
{
    for (int g = 0; g < DG_COUNT; g++)
        for (int s = 0; s < DET_STAGES; s++)
            for (int b = 0; b < RULE_BUF_COUNT; b++) {
                struct fp_list *l = &fps[g][s][b];
                hs_database_t **db = &e->g[g].db[s][b];
                if (!l->n)
                    continue;
                if (group_compile_one(db, l, (unsigned)b, err, errlen) < 0)
                    return -1;
                e->g[g].dbuf[s][e->g[g].n_dbuf[s]++] = (uint8_t)b;
                e->g[g].n_fp[b] += l->n;
                if (hs_alloc_scratch(*db, &e->scratch) != HS_SUCCESS) {
                    snprintf(err, errlen, "out of memory for Vectorscan scratch");
                    return -1;
                }
            }
    return 0;
}

/* The list of rule id's fast pattern on buf in group g.  A body is scanned
 * once: an HTTP rule's file.data pattern joins the request or response
 * body's list, as at the rule's stage (REQ_BODY, RESP_BODY) file.data and
 * that body are the same bytes (engine_http.c, http_buffers). */
static struct fp_list *fp_slot(const struct detect_engine *e, fp_lists *fps, int g, uint32_t id,
                               uint8_t buf)
{
    const struct det_rule *dr = &e->rules[id];
    if (g == DG_HTTP && buf == RULE_BUF_FILE_DATA && dr->stage == DETECT_HTTP_REQ_BODY)
        buf = RULE_BUF_HTTP_REQUEST_BODY;
    else if (g == DG_HTTP && buf == RULE_BUF_FILE_DATA && dr->stage == DETECT_HTTP_RESP_BODY)
        buf = RULE_BUF_HTTP_RESPONSE_BODY;
    return &fps[g][dr->stage][buf];
}

/* A TCP packet whose payload went into a stream window unchanged needs the
 * candidates of packet-only and both-mode rules only (a default or
 * stream-only rule is not evaluated on it, pkt_wanted), and most come from
 * the window's scan (det_stream_derives): the others' patterns are searched
 * for in the payload (e->covered; not a Vectorscan database of their own:
 * Vectorscan 5.4.9 missed ET's "|00 00 00|" in such a small database
 * depending on where the payload lay in memory). */
static int tcp_covered_needs(struct det_rule *dr)
{
    uint8_t mode = det_stream_mode(dr);
    dr->pderive = (uint8_t)det_stream_derives(dr);
    return (mode == DS_PKT || mode == DS_BOTH) && !dr->pderive;
}

static uint8_t ascii_fold(uint8_t c, int nocase)
{
    return nocase ? det_lower(c) : c;
}

static int covered_add(struct detect_engine *e, const uint8_t *p, uint32_t len, int nocase,
                       uint32_t id)
{
    struct det_covered *n = realloc(e->covered, (e->n_covered + 1) * sizeof(*n));
    if (!n)
        return -1;
    e->covered = n;
    const uint8_t *z = memchr(p, 0, len);
    struct det_covered c = {p, len, z ? (uint32_t)(z - p) : UINT32_MAX, id,
                            (uint8_t)(nocase != 0), 0, 0, 0};
    if (!nocase && len <= 4) { /* covered_candidates compares a 4-byte load, masked */
        uint8_t v[4] = {0}, m[4] = {0};
        memcpy(v, p, len);
        memset(m, 0xff, len);
        memcpy(&c.val, v, 4);
        memcpy(&c.mask, m, 4);
        c.word = 1;
    }
    uint32_t i = e->n_covered++;
    n[i] = c;
    e->n_cov_nul += c.nul != UINT32_MAX;
    if (i < DET_COV_MASKED && c.nul != UINT32_MAX) { /* covered_candidates' filter */
        uint64_t bit = 1ULL << i;
        for (unsigned b = 0; b < 256; b++) {
            if (c.nul == 0 || ascii_fold(p[c.nul - 1], nocase) == ascii_fold((uint8_t)b, nocase))
                e->cov_prev[b] |= bit;
            if (c.nul + 1 == len ||
                ascii_fold(p[c.nul + 1], nocase) == ascii_fold((uint8_t)b, nocase))
                e->cov_next[b] |= bit;
        }
        e->cov_head |= c.nul == 0 ? bit : 0;
        e->cov_tail |= c.nul + 1 == len ? bit : 0;
    }
    return 0;
}

static int engine_place(struct detect_engine *e, uint32_t id, fp_lists *fps)
{
    unsigned groups = rule_groups(&e->rules[id]);
    uint8_t buf = 0;
    const uint8_t *p;
    uint32_t len;
    int nocase;
    const struct rule *r = e->rules[id].r;
    if (r->px && (r->px->ev.kind == RULE_EV_DECODE || r->px->ev.kind == RULE_EV_STREAM ||
                  r->px->ev.kind == RULE_EV_APP)) {
        uint32_t *n = realloc(e->ev, (e->n_ev + 1) * sizeof(*n));
        if (!n)
            return -1;
        e->ev = n;
        e->ev[e->n_ev++] = id;
        return 0;
    }
    if (e->rules[id].file) { /* file rules: the file list (engine_file.c) */
        uint32_t *n = realloc(e->files, (e->n_files + 1) * sizeof(*n));
        if (!n)
            return -1;
        e->files = n;
        e->files[e->n_files++] = id;
        for (uint32_t b = 0; b < r->n_bufs; b++) {
            e->file_data |= r->bufs[b].buffer == RULE_BUF_FILE_DATA;
            e->file_magic |= r->bufs[b].buffer == RULE_BUF_FILE_MAGIC;
        }
        for (int h = 0; r->file && h < RULE_FILE_HASHES; h++)
            e->file_hashes |= r->file->hash[h] != NULL;
        return 0;
    }
    int has_fp = det_rule_fast_pattern(r, &buf, &p, &len, &nocase), in_db = 0;
    for (int g = 0; g < DG_COUNT; g++) {
        if (!(groups & (1u << g)))
            continue;
        e->g[g].n_rules++;
        /* a 1-2 byte pattern selects most packets: the port index fewer */
        int fp = has_fp && !(len <= 2 && g < DG_FIRST_TX && det_index_by_port(r, (enum det_grp)g));
        in_db |= fp;
        if (fp ? fp_add(fp_slot(e, fps, g, id, buf), p, len, nocase, id)
               : group_always_add(&e->g[g], id))
            return -1;
        if (fp && g == DG_TCP && tcp_covered_needs(&e->rules[id]) &&
            covered_add(e, p, len, nocase, id) < 0)
            return -1;
    }
    if (in_db)
        e->ctr.prefilter_rules++;
    return 0;
}

static int engine_build(struct detect_engine *e, FILE *warn, char *err, size_t errlen)
{
    const struct ruleset *rs = e->rs;
    fp_lists *fps = calloc(DG_COUNT, sizeof(*fps));
    e->rules = calloc(rs->n ? rs->n : 1, sizeof(*e->rules));
    int rc = -1;
    if (!fps || !e->rules)
        goto oom;
    for (size_t i = 0; i < rs->n; i++) {
        const struct rule *r = rs->rules[i];
        const char *kw = NULL;
        if (detect_rule_check(r, &kw) < 0) {
            e->ctr.rules_skipped++;
            if (warn && kw)
                detect_rule_skip_print(warn, r, kw);
            continue;
        }
        uint32_t id = e->n_rules;
        if (det_rule_setup(&e->rules[id], r) < 0)
            goto oom;
        e->n_rules++;
        if (engine_place(e, id, fps) < 0)
            goto oom;
    }
    e->ctr.rules = e->n_rules;
    e->mark = calloc(e->n_rules + 1, sizeof(*e->mark));
    e->cand = calloc(e->n_rules + 1, sizeof(*e->cand));
    if (!e->mark || !e->cand)
        goto oom;
    for (int g = 0; g < DG_COUNT; g++)
        if (det_index_build(e, (enum det_grp)g) < 0)
            goto oom;
    rc = group_compile(e, fps, err, errlen);
    if (rc == 0)
        rc = det_stream_build(e, err, errlen);
    goto out;
oom:
    snprintf(err, errlen, "out of memory building the detection engine");
out:
    if (fps)
        for (int g = 0; g < DG_COUNT; g++)
            for (int s = 0; s < DET_STAGES; s++)
                for (int b = 0; b < RULE_BUF_COUNT; b++)
                    fp_free(&fps[g][s][b]);
    free(fps);
    return rc;
}

struct detect_engine *detect_engine_new(const struct ruleset *rs, detect_emit_fn emit,
                                        void *emit_ctx, FILE *warn, char *err, size_t errlen)
{
    struct detect_engine *e = calloc(1, sizeof(*e));
    if (!e || detect_match_init(&e->m) < 0) {
        snprintf(err, errlen, "out of memory creating the detection engine");
        free(e);
        return NULL;
    }
    e->rs = rs;
    e->emit = emit;
    e->emit_ctx = emit_ctx;
    e->thresh = calloc(DETECT_THRESH_MAX, sizeof(*e->thresh));
    core_random_key(e->thresh_key);
    if (!e->thresh) {
        snprintf(err, errlen, "out of memory for threshold tracking");
        detect_engine_free(e);
        return NULL;
    }
    if (engine_build(e, warn, err, errlen) < 0) {
        detect_engine_free(e);
        return NULL;
    }
    return e;
}

void detect_engine_free(struct detect_engine *e)
{
    if (!e)
        return;
    if (current == e)
        current = NULL;
    for (int g = 0; g < DG_COUNT; g++) {
        for (int s = 0; s < DET_STAGES; s++)
            for (int b = 0; b < RULE_BUF_COUNT; b++)
                hs_free_database(e->g[g].db[s][b]);
        free(e->g[g].always);
        det_index_free(&e->g[g]);
    }
    det_stream_engine_free(e);
    hs_free_scratch(e->scratch);
    detect_match_free(&e->m);
    free(e->rules);
    free(e->mark);
    free(e->cand);
    for (uint32_t i = 0; e->thresh && i < DETECT_THRESH_MAX; i++)
        free(e->thresh[i].ports);
    free(e->thresh);
    free(e->ev);
    free(e->files);
    free(e->covered);
    free(e);
}

struct detect_engine *detect_engine_install(struct detect_engine *e)
{
    struct detect_engine *old = current;
    if (old)
        det_stream_flush_pending(old);
    if (old && !e)
        det_file_flush(); /* files held for an ACK: inspected by the engine going */
    /* the installing thread's per-flow table (not the reload builder's) */
    if (e && det_state_init() < 0)
        e = NULL;
    current = e;
    if (!e) {
        det_file_magic_free();
        det_state_free();
    }
    return old;
}

void detect_engine_counters(const struct detect_engine *e, struct detect_counters *c)
{
    *c = e->ctr;
}

/* ---- hooks ----------------------------------------------------------------- */

static void track_tcp(struct det_flow *fs, uint8_t fl)
{
    if ((fl & 0x02) && !(fl & 0x10))
        fs->tcp = fs->tcp < 1 ? 1 : fs->tcp;
    else if ((fl & 0x12) == 0x12)
        fs->tcp = fs->tcp < 2 ? 2 : fs->tcp;
    else if (fs->tcp == 2 && (fl & 0x10))
        fs->tcp = 3;
    else if (fs->tcp == 0)
        fs->tcp = 3; /* picked up midstream: established, as Suricata's stream.midstream */
}

const char *det_stash_cid(struct det_stash *st)
{
    if (!st->cid[0] && st->f)
        flow_community_id(st->t, st->f, st->cid, sizeof(st->cid));
    return st->cid;
}

void detect_packet_flow(struct flow_table *t, struct flow *f, const struct packet *pkt,
                        const struct pkt_ip *ip, int side, int orig_side)
{
    if (!current)
        return;
    det_stream_flush_pending(current); /* windows a previous packet left */
    if (n_fgone)
        det_flows_gone();
    struct flow_app_info in;
    flow_table_cache_uids(t); /* the uid is asked for on every packet */
    flow_app_ids(t, f, &in);
    struct det_flow *fs = det_flow_find(in.uid, 1);
    memset(&stash, 0, sizeof(stash));
    stash.pkt = pkt;
    stash.num = pkt->num;
    stash.ts = pkt->ts_sec * 1000000000LL + pkt->ts_nsec;
    stash.fs = fs;
    stash.to_server = (side == orig_side) ^ (fs ? fs->rev : 0);
    memcpy(stash.uid, in.uid, sizeof(stash.uid));
    stash.t = t;
    stash.f = f;
    stash.orig_h = in.orig_h;
    stash.resp_h = in.resp_h;
    stash.orig_p = in.orig_p;
    stash.resp_p = in.resp_p;
    if (!fs)
        return;
    fs->seen |= stash.to_server ? 1 : 2;
    det_flow_count(fs, pkt, stash.to_server);
    if (ip->proto == 6 && ip->t.valid)
        track_tcp(fs, ip->t.tcp_flags);
}

void detect_flow_reverse(const char *uid)
{
    struct det_flow *fs = current ? det_flow_find(uid, 1) : NULL;
    if (!fs)
        return;
    fs->rev ^= 1;
    uint64_t u;
    u = fs->pkts[0], fs->pkts[0] = fs->pkts[1], fs->pkts[1] = u;
    u = fs->bytes[0], fs->bytes[0] = fs->bytes[1], fs->bytes[1] = u;
    uint32_t w;
    w = fs->isn[0], fs->isn[0] = fs->isn[1], fs->isn[1] = w;
    w = fs->nxt[0], fs->nxt[0] = fs->nxt[1], fs->nxt[1] = w;
    uint8_t b = fs->have_isn[0];
    fs->have_isn[0] = fs->have_isn[1], fs->have_isn[1] = b;
    fs->seen = (uint8_t)((fs->seen & 1) << 1 | (fs->seen & 2) >> 1);
    if (stash.num && strncmp(stash.uid, uid, sizeof(stash.uid)) == 0)
        stash.to_server = !stash.to_server;
}

static enum det_grp pkt_group(uint8_t proto)
{
    return proto == 6 ? DG_TCP : proto == 17 ? DG_UDP : (proto == 1 || proto == 58) ? DG_ICMP
                                                                                  : DG_OTHER;
}

void detect_packet(const struct packet *pkt)
{
    struct detect_engine *e = current;
    const struct pkt_ip *ip = packet_inner_const(pkt);
    if (!e)
        return;
    if (!ip) {
        det_stream_flush_pending(e);
        stash.pkt = NULL;
        return;
    }
    struct det_insp in;
    det_insp_clear(&in);
    in.pkt = pkt;
    in.ip = ip;
    in.ip_proto = ip->proto;
    if (stash.pkt == pkt && stash.num == pkt->num) {
        in.st = &stash;
        in.fs = stash.fs;
        in.to_server = stash.to_server;
        in.app = in.fs ? in.fs->app : 0;
        in.nopayload = in.fs ? in.fs->nopayload : 0;
    }
    size_t al = ip->version == 6 ? 16 : 4;
    in.src.family = in.dst.family = ip->version;
    memcpy(in.src.a, ip->src, al);
    memcpy(in.dst.a, ip->dst, al);
    in.sport = ip->t.sport;
    in.dport = ip->t.dport;
    in.buf[RULE_BUF_PKT] = ip->t.payload;
    in.len[RULE_BUF_PKT] = ip->t.payload ? ip->t.payload_len : 0;
    in.have[RULE_BUF_PKT] = 1;
    det_packet_events(e, &in); /* decode-event rules, also on held fragments */
    if ((pkt->flags & PKT_F_FRAG_HELD) || (ip->is_fragment && !ip->reassembled)) {
        det_stream_flush_pending(e);
        stash.pkt = NULL;
        return;
    }
    e->ctr.packets++;
    det_inspect(e, pkt_group(ip->proto), &in);
    det_stream_flush_pending(e);
    if (in.st)
        det_file_packet(in.st); /* files held for their ACK (engine_file.c) */
    stash.pkt = NULL; /* done: stream data delivered from now on has no packet */
}

uint8_t det_app_of(const char *name)
{
    if (!name)
        return 0;
    if (strcmp(name, "http") == 0)
        return RULE_PROTO_HTTP;
    if (strcmp(name, "dns") == 0)
        return RULE_PROTO_DNS;
    if (strcmp(name, "ssl") == 0)
        return RULE_PROTO_TLS;
    if (strcmp(name, "ssh") == 0)
        return RULE_PROTO_SSH;
    if (strcmp(name, "smtp") == 0)
        return RULE_PROTO_SMTP;
    if (strcmp(name, "ftp") == 0)
        return RULE_PROTO_FTP;
    if (strcmp(name, "ftp-data") == 0)
        return RULE_PROTO_FTP_DATA;
    if (strcmp(name, "smb") == 0)
        return RULE_PROTO_SMB;
    if (strcmp(name, "dce_rpc") == 0)
        return RULE_PROTO_DCERPC;
    return 0;
}

int detect_active(void)
{
    return current != NULL;
}

void detect_app_proto(const struct proto_conn *conn, const char *name)
{
    if (!current)
        return;
    struct det_flow *fs = det_flow_find(conn->uid, 1);
    if (fs && !fs->app)
        fs->app = det_app_of(name);
}

int detect_app_encrypted(const struct proto_conn *conn)
{
    struct detect_engine *e = current;
    if (!e || !conn || !conn->uid || inspect_encrypted)
        return 0;
    struct det_flow *fs = det_flow_find(conn->uid, 1);
    if (!fs)
        return 0;
    fs->nopayload = 1; /* (the chunk that carried the change is still inspected: its
                          window is queued already, as Suricata's raw-stream trigger
                          inspects the data up to that point) */
    return 1;
}

void detect_inspect_encrypted(int on)
{
    inspect_encrypted = on != 0;
}

void det_tx_dir(struct det_insp *in, const struct proto_conn *conn, int to_server)
{
    in->to_server = to_server;
    in->src = to_server ? conn->orig_h : conn->resp_h;
    in->dst = to_server ? conn->resp_h : conn->orig_h;
    in->sport = to_server ? conn->orig_p : conn->resp_p;
    in->dport = to_server ? conn->resp_p : conn->orig_p;
}

void det_tx_insp_init(struct det_insp *in, const struct proto_conn *conn, uint8_t app,
                      int to_server)
{
    memset(in, 0, sizeof(*in));
    in->conn = conn;
    in->app = app;
    in->ip_proto = conn->ip_proto;
    in->fs = det_flow_find(conn->uid, 1);
    if (in->fs && !in->fs->app)
        in->fs->app = app;
    if (stash.num && strncmp(stash.uid, conn->uid, sizeof(stash.uid)) == 0) {
        in->st = &stash;
        if (!stash.cid[0]) /* the app layer has it already */
            snprintf(stash.cid, sizeof(stash.cid), "%s", conn->community_id);
        /* pkt_data in a transaction rule: the packet that completed the transaction */
        const struct pkt_ip *ip = stash.pkt ? packet_inner_const(stash.pkt) : NULL;
        if (ip && ip->t.payload) {
            in->buf[RULE_BUF_PKT] = ip->t.payload;
            in->len[RULE_BUF_PKT] = ip->t.payload_len;
            in->have[RULE_BUF_PKT] = 1;
        }
    }
    det_tx_dir(in, conn, to_server);
}

struct detect_engine *det_tx_begin(struct det_insp *in, const struct proto_conn *conn,
                                   uint8_t app)
{
    struct detect_engine *e = current;
    if (!e || !conn)
        return NULL;
    det_tx_insp_init(in, conn, app, 1);
    e->ctr.records++;
    return e;
}

void detect_record(const struct proto_conn *conn, const struct record_hdr *rec)
{
    /* dns, ssl, ssh, smtp, ftp: the parsers' inspection points (engine_app.c);
     * HTTP buffers: detect_http_tx; here only the HTTP record-event rules */
    struct detect_engine *e = current;
    if (!e || !conn || strcmp(rec->type->path, "http") != 0)
        return;
    struct det_insp in;
    det_tx_insp_init(&in, conn, RULE_PROTO_HTTP, 1);
    in.rec = rec;
    e->ctr.records++;
    det_inspect(e, DG_HTTP, &in);
}
