/*
 * intel.c - intel.log and the matcher (intel.h): an output that looks at
 * every record the pipeline emits, looks each indicator-bearing field up
 * in the store, and writes Zeek's intel.log row, an alert and (meta
 * do_notice=T) an Intel::Notice notice for each hit, to the outputs it
 * was given.  docs/intel.md lists where each log's fields are "seen".
 *
 * The fields are found by name in the record's own field table (the same
 * names Zeek's logs use), cached per record type, so no parser header is
 * included here and a log that gains a field gains matching by one line
 * in seen_rules[].
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "detect/alert_record.h"
#include "detect/intel.h"
#include "store/notice.h"

#define F(name, type, member) {name, type, offsetof(struct intel_record, member)}

static const struct record_field intel_fields[IF_N] = {
    F("ts", RT_TIME, ts),
    F("uid", RT_STRING, uid),
    F("id.orig_h", RT_ADDR, orig_h),
    F("id.orig_p", RT_PORT, orig_p),
    F("id.resp_h", RT_ADDR, resp_h),
    F("id.resp_p", RT_PORT, resp_p),
    F("seen.indicator", RT_STRING, indicator),
    F("seen.indicator_type", RT_ENUM, indicator_type),
    F("seen.where", RT_ENUM, where),
    F("seen.node", RT_STRING, node),
    F("matched", RT_SET_STRING, matched),
    F("sources", RT_SET_STRING, sources),
    F("fuid", RT_STRING, fuid),
    F("file_mime_type", RT_STRING, file_mime_type),
    F("file_desc", RT_STRING, file_desc),
};

#undef F

const struct record_type intel_record_type = {
    .path = "intel",
    .fields = intel_fields,
    .n_fields = IF_N,
    .size = sizeof(struct intel_record),
};

/* ---- the fields looked at, by name ---- */

enum fname {
    FN_TS, FN_UID, FN_ORIG_H, FN_ORIG_P, FN_RESP_H, FN_RESP_P, FN_CID, FN_PROTO, FN_STATE,
    FN_QUERY, FN_ANSWERS, FN_HOST, FN_URI, FN_REFERRER, FN_UA, FN_SNI, FN_JA3, FN_CERTS,
    FN_CCERTS, FN_SAN_DNS, FN_SAN_EMAIL, FN_MAILFROM, FN_RCPTTO, FN_FROM, FN_TO, FN_CC,
    FN_REPLY_TO, FN_XOIP, FN_PATH, FN_MD5, FN_SHA1, FN_SHA256, FN_FILENAME, FN_FUID, FN_MIME,
    FN_N
};

static const char *const fnames[FN_N] = {
    "ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "community_id", "proto",
    "conn_state", "query", "answers", "host", "uri", "referrer", "user_agent", "server_name",
    "ja3", "cert_chain_fps", "client_cert_chain_fps", "san.dns", "san.email", "mailfrom",
    "rcptto", "from", "to", "cc", "reply_to", "x_originating_ip", "path", "md5", "sha1",
    "sha256", "filename", "fuid", "mime_type",
};

enum how {
    H_PLAIN,    /* the field's value(s) as the rule's type; addr fields as ADDR */
    H_CONN,     /* a session address: TCP only once established (Zeek's conn-established) */
    H_HOST,     /* HTTP Host: port stripped; an address is ADDR, else DOMAIN */
    H_URL,      /* host[:port] + uri, as Zeek's HTTP::build_url */
    H_REFERRER, /* a URL with its scheme */
    H_ANSWER,   /* DNS answers: addresses ADDR, names DOMAIN, other rdata skipped */
    H_EMAIL,    /* every address in a header value ("Name <a@b>, c@d") */
};

struct seen_rule {
    const char *path;
    uint8_t field, type, how;
    const char *where;
};

static const struct seen_rule seen_rules[] = {
    {"conn", FN_ORIG_H, INTEL_ADDR, H_CONN, "Conn::IN_ORIG"},
    {"conn", FN_RESP_H, INTEL_ADDR, H_CONN, "Conn::IN_RESP"},
    {"dns", FN_QUERY, INTEL_DOMAIN, H_PLAIN, "DNS::IN_REQUEST"},
    {"dns", FN_ANSWERS, INTEL_DOMAIN, H_ANSWER, "DNS::IN_RESPONSE"},
    {"http", FN_HOST, INTEL_DOMAIN, H_HOST, "HTTP::IN_HOST_HEADER"},
    {"http", FN_URI, INTEL_URL, H_URL, "HTTP::IN_URL"},
    {"http", FN_REFERRER, INTEL_URL, H_REFERRER, "HTTP::IN_REFERRER_HEADER"},
    {"http", FN_UA, INTEL_SOFTWARE, H_PLAIN, "HTTP::IN_USER_AGENT_HEADER"},
    {"ssl", FN_SNI, INTEL_DOMAIN, H_PLAIN, "SSL::IN_SERVER_NAME"},
    {"ssl", FN_JA3, INTEL_JA3, H_PLAIN, "SSL::IN_JA3"},
    {"ssl", FN_CERTS, INTEL_CERT_HASH, H_PLAIN, "X509::IN_CERT"},
    {"ssl", FN_CCERTS, INTEL_CERT_HASH, H_PLAIN, "X509::IN_CERT"},
    {"x509", FN_SAN_DNS, INTEL_DOMAIN, H_PLAIN, "X509::IN_CERT"},
    {"x509", FN_SAN_EMAIL, INTEL_EMAIL, H_EMAIL, "X509::IN_CERT"},
    {"smtp", FN_MAILFROM, INTEL_EMAIL, H_EMAIL, "SMTP::IN_MAIL_FROM"},
    {"smtp", FN_RCPTTO, INTEL_EMAIL, H_EMAIL, "SMTP::IN_RCPT_TO"},
    {"smtp", FN_FROM, INTEL_EMAIL, H_EMAIL, "SMTP::IN_FROM"},
    {"smtp", FN_TO, INTEL_EMAIL, H_EMAIL, "SMTP::IN_TO"},
    {"smtp", FN_CC, INTEL_EMAIL, H_EMAIL, "SMTP::IN_CC"},
    {"smtp", FN_REPLY_TO, INTEL_EMAIL, H_EMAIL, "SMTP::IN_REPLY_TO"},
    {"smtp", FN_XOIP, INTEL_ADDR, H_PLAIN, "SMTP::IN_X_ORIGINATING_IP_HEADER"},
    {"smtp", FN_PATH, INTEL_ADDR, H_PLAIN, "SMTP::IN_RECEIVED_HEADER"},
    {"smtp", FN_UA, INTEL_SOFTWARE, H_PLAIN, "SMTP::IN_HEADER"},
    {"files", FN_MD5, INTEL_FILE_HASH, H_PLAIN, "Files::IN_HASH"},
    {"files", FN_SHA1, INTEL_FILE_HASH, H_PLAIN, "Files::IN_HASH"},
    {"files", FN_SHA256, INTEL_FILE_HASH, H_PLAIN, "Files::IN_HASH"},
    {"files", FN_FILENAME, INTEL_FILE_NAME, H_PLAIN, "Files::IN_NAME"},
};

#define TYPE_CACHE 32
#define NOTICE_RECENT 256
#define PENDING_MAX 64

/* An x509.log hit waiting for its session's id: x509.log has the uid but
 * no addresses, and comes before the ssl.log row that has them. */
struct pending {
    char uid[48];
    int64_t ts;
    char ind[256];
    size_t len;
    uint8_t type;
    const char *where;
    struct intel_match m;
};

struct type_idx {
    const struct record_type *t;
    int16_t idx[FN_N];
};

struct intel_out {
    struct output base;
    const struct intel_store *st;
    struct output *const *down;
    int ndown;
    char node[128];
    struct intel_counters ctr;
    struct type_idx cache[TYPE_CACHE];
    size_t ncache;
    struct { /* Zeek suppresses Intel::Notice per (indicator, where) for an hour */
        uint64_t h;
        int64_t ts;
    } recent[NOTICE_RECENT];
    size_t nrecent;
    struct pending pend[PENDING_MAX];
    size_t npend;
};

static const int16_t *field_idx(struct intel_out *o, const struct record_type *t)
{
    for (size_t i = 0; i < o->ncache; i++)
        if (o->cache[i].t == t)
            return o->cache[i].idx;
    struct type_idx *c = &o->cache[o->ncache < TYPE_CACHE ? o->ncache++ : TYPE_CACHE - 1];
    c->t = t;
    for (int f = 0; f < FN_N; f++)
        c->idx[f] = (int16_t)record_field_index(t, fnames[f]);
    return c->idx;
}

/* ---- one record's context ---- */

struct seen_ctx {
    struct intel_out *o;
    const struct record_hdr *rec;
    const int16_t *idx;
    const char *path;
    bool defer;                 /* x509: hold hits until the session's id is known */
    const int64_t *ts_ov;       /* a held hit: its own ts and uid */
    const struct rstr *uid_ov;
};

static void pend_push(const struct seen_ctx *c, const char *ind, size_t len, int type,
                      const char *where, const struct intel_match *m);

static const void *fval(const struct seen_ctx *c, int fn, enum rtype want)
{
    int i = c->idx[fn];
    if (i < 0 || record_unset(c->rec, (size_t)i) || c->rec->type->fields[i].type != want)
        return NULL;
    return record_field_ptr(c->rec, (size_t)i);
}

static const struct rstr *fstr(const struct seen_ctx *c, int fn)
{
    const struct rstr *s = fval(c, fn, RT_STRING);
    if (!s)
        s = fval(c, fn, RT_ENUM);
    return s && s->len ? s : NULL;
}

static struct rstr rstr_c(const char *s)
{
    struct rstr r = {s, strlen(s)};
    return r;
}

static void addr_text(const struct raddr *a, char *buf, size_t n)
{
    if (!inet_ntop(a->family == 6 ? AF_INET6 : AF_INET, a->a, buf, (socklen_t)n))
        snprintf(buf, n, "?");
}

static uint64_t flow_id_of(const struct rstr *uid)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a of the uid, as the rule engine's flow_id */
    for (size_t i = 0; uid && i < uid->len; i++)
        h = (h ^ (uint8_t)uid->p[i]) * 1099511628211ULL;
    return h & ((1ULL << 51) - 1);
}

/* The distinct sources of every matched item, the first description and URL. */
static size_t collect_sources(const struct intel_match *m, struct rstr *src, size_t max,
                              const char **desc, const char **url, bool *notice)
{
    size_t n = 0;
    *desc = *url = NULL;
    *notice = false;
    for (size_t i = 0; i < m->n; i++)
        for (const struct intel_meta *me = m->metas[i]; me; me = me->next) {
            if (!*desc && me->desc)
                *desc = me->desc;
            if (!*url && me->url)
                *url = me->url;
            *notice |= me->do_notice;
            size_t k = 0;
            while (k < n && strcmp(src[k].p, me->source) != 0)
                k++;
            if (k == n && n < max)
                src[n++] = rstr_c(me->source);
        }
    return n;
}

static void write_down(struct intel_out *o, const struct record_hdr *r)
{
    for (int i = 0; i < o->ndown; i++)
        if (o->down[i])
            output_write(o->down[i], r);
}

static const char *app_of(const char *path)
{
    if (strcmp(path, "ssl") == 0 || strcmp(path, "x509") == 0)
        return "tls";
    if (strcmp(path, "dns") == 0 || strcmp(path, "http") == 0 || strcmp(path, "smtp") == 0)
        return path;
    return NULL;
}

static void emit_alert(const struct seen_ctx *c, const struct intel_record *ir,
                       const struct rstr *src, size_t nsrc, const char *desc, const char *url,
                       int type)
{
    struct alert_record a;
    char sig[512], srcs[256] = "", meta[12][160], ptxt[16] = "TCP";
    struct rstr mv[12];
    alert_record_init(&a);
    a.ts = ir->ts;
    a.uid = ir->uid;
    a.orig_h = ir->orig_h, a.orig_p = ir->orig_p, a.resp_h = ir->resp_h, a.resp_p = ir->resp_p;
    a.src_ip = ir->orig_h, a.src_port = ir->orig_p, a.dest_ip = ir->resp_h, a.dest_port = ir->resp_p;
    a.flow_id = flow_id_of(&ir->uid);
    const struct rstr *pr = fstr(c, FN_PROTO);
    if (pr) {
        size_t k = 0;
        for (; k < pr->len && k + 1 < sizeof(ptxt); k++)
            ptxt[k] = (char)toupper((unsigned char)pr->p[k]);
        ptxt[k] = '\0';
    }
    a.proto = rstr_c(ptxt);
    const char *app = app_of(c->path);
    if (app) {
        a.app_proto = rstr_c(app);
        record_set_unset(&a.hdr, AF_APP_PROTO, false);
    }
    const struct rstr *cid = fstr(c, FN_CID);
    if (cid) {
        a.community_id = *cid;
        record_set_unset(&a.hdr, AF_COMMUNITY_ID, false);
    }
    for (size_t i = 0; i < nsrc; i++) {
        size_t l = strlen(srcs);
        snprintf(srcs + l, sizeof(srcs) - l, "%s%.*s", i ? "," : "", (int)src[i].len, src[i].p);
    }
    snprintf(sig, sizeof(sig), "VIGIL INTEL %s hit %.*s (%s)", intel_type_name(type) + 7,
             (int)(ir->indicator.len > 300 ? 300 : ir->indicator.len), ir->indicator.p, srcs);
    a.action = rstr_c("allowed");
    a.gid = INTEL_ALERT_GID, a.sid = INTEL_ALERT_SID_BASE + (uint64_t)type, a.rev = 1;
    a.signature = rstr_c(sig);
    a.category = rstr_c(desc ? desc : "");
    a.severity = 2;
    record_set_unset(&a.hdr, AF_ACTION, false);
    for (int f = AF_GID; f <= AF_SEVERITY; f++)
        record_set_unset(&a.hdr, (size_t)f, false);
    if (!desc)
        record_set_unset(&a.hdr, AF_CATEGORY, true);
    size_t nm = 0;
    snprintf(meta[nm++], sizeof(meta[0]), "intel_where %.*s", (int)ir->where.len, ir->where.p);
    for (size_t i = 0; i < nsrc && nm < 11; i++)
        snprintf(meta[nm++], sizeof(meta[0]), "intel_source %.*s", (int)src[i].len, src[i].p);
    if (url)
        snprintf(meta[nm++], sizeof(meta[0]), "intel_url %s", url);
    for (size_t i = 0; i < nm; i++)
        mv[i] = rstr_c(meta[i]);
    a.metadata.v = mv, a.metadata.n = nm;
    record_set_unset(&a.hdr, AF_METADATA, false);
    if (strcmp(c->path, "dns") == 0) {
        const struct rstr *q = fstr(c, FN_QUERY);
        if (q) {
            a.dns_rrname = *q;
            record_set_unset(&a.hdr, AF_DNS_RRNAME, false);
        }
    } else if (strcmp(c->path, "ssl") == 0) {
        const struct rstr *s = fstr(c, FN_SNI), *j = fstr(c, FN_JA3);
        if (s) {
            a.tls_sni = *s;
            record_set_unset(&a.hdr, AF_TLS_SNI, false);
        }
        if (j) {
            a.tls_ja3 = *j;
            record_set_unset(&a.hdr, AF_TLS_JA3, false);
        }
    } else if (strcmp(c->path, "http") == 0) {
        const struct rstr *h = fstr(c, FN_HOST), *u = fstr(c, FN_URI), *ua = fstr(c, FN_UA);
        if (h) {
            a.http_hostname = *h;
            record_set_unset(&a.hdr, AF_HTTP_HOSTNAME, false);
        }
        if (u) {
            a.http_url = *u;
            record_set_unset(&a.hdr, AF_HTTP_URL, false);
        }
        if (ua) {
            a.http_user_agent = *ua;
            record_set_unset(&a.hdr, AF_HTTP_USER_AGENT, false);
        }
    }
    write_down(c->o, &a.hdr);
}

/* Zeek's Intel::Notice, suppressed per (indicator, where) for an hour. */
static void emit_notice(const struct seen_ctx *c, const struct intel_record *ir)
{
    struct intel_out *o = c->o;
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < ir->indicator.len; i++)
        h = (h ^ (uint8_t)ir->indicator.p[i]) * 1099511628211ULL;
    for (size_t i = 0; i < ir->where.len; i++)
        h = (h ^ (uint8_t)ir->where.p[i]) * 1099511628211ULL;
    size_t n = o->nrecent < NOTICE_RECENT ? o->nrecent : NOTICE_RECENT;
    for (size_t i = 0; i < n; i++)
        if (o->recent[i].h == h && ir->ts - o->recent[i].ts < NOTICE_SUPPRESS_NS)
            return;
    o->recent[o->nrecent++ % NOTICE_RECENT].h = h;
    o->recent[(o->nrecent - 1) % NOTICE_RECENT].ts = ir->ts;
    struct notice_record r;
    char msg[600], sub[300], proto[16] = "";
    notice_record_init(&r);
    r.ts = ir->ts;
    record_set_unset(&r.hdr, NF_TS, false);
    if (!record_unset(&ir->hdr, IF_UID)) {
        r.uid = ir->uid;
        record_set_unset(&r.hdr, NF_UID, false);
    }
    if (!record_unset(&ir->hdr, IF_ORIG_H)) {
        r.orig_h = ir->orig_h, r.orig_p = ir->orig_p, r.resp_h = ir->resp_h, r.resp_p = ir->resp_p;
        r.src = ir->orig_h, r.dst = ir->resp_h, r.p = ir->resp_p;
        static const enum notice_field set[] = {NF_ORIG_H, NF_ORIG_P, NF_RESP_H, NF_RESP_P,
                                                NF_SRC, NF_DST, NF_P};
        for (size_t i = 0; i < sizeof(set) / sizeof(set[0]); i++)
            record_set_unset(&r.hdr, set[i], false);
        const struct rstr *pr = fstr(c, FN_PROTO);
        snprintf(proto, sizeof(proto), "%.*s", pr ? (int)pr->len : 3, pr ? pr->p : "tcp");
        notice_record_str(&r, NF_PROTO, proto);
    }
    static const struct { enum intel_field i; enum notice_field n; } files[] = {
        {IF_FUID, NF_FUID}, {IF_FILE_MIME_TYPE, NF_FILE_MIME_TYPE}, {IF_FILE_DESC, NF_FILE_DESC}};
    for (size_t i = 0; i < 3; i++)
        if (!record_unset(&ir->hdr, files[i].i)) {
            *(struct rstr *)((char *)&r + notice_record_type.fields[files[i].n].offset) =
                *(const struct rstr *)record_field_ptr(&ir->hdr, files[i].i);
            record_set_unset(&r.hdr, files[i].n, false);
        }
    snprintf(msg, sizeof(msg), "Intel hit on %.*s at %.*s",
             (int)(ir->indicator.len > 400 ? 400 : ir->indicator.len), ir->indicator.p,
             (int)ir->where.len, ir->where.p);
    snprintf(sub, sizeof(sub), "%.*s", (int)(ir->indicator.len > 299 ? 299 : ir->indicator.len),
             ir->indicator.p);
    notice_record_str(&r, NF_NOTE, "Intel::Notice");
    notice_record_str(&r, NF_MSG, msg);
    notice_record_str(&r, NF_SUB, sub);
    write_down(o, &r.hdr);
    o->ctr.notices++;
}

static void hit(const struct seen_ctx *c, const char *ind, size_t len, int type,
                const char *where, const struct intel_match *m)
{
    if (c->defer) {
        pend_push(c, ind, len, type, where, m);
        return;
    }
    struct intel_record ir;
    memset(&ir, 0, sizeof(ir));
    ir.hdr.type = &intel_record_type;
    for (size_t f = 0; f < IF_N; f++)
        record_set_unset(&ir.hdr, f, true);
    const int64_t *ts = c->ts_ov ? c->ts_ov : fval(c, FN_TS, RT_TIME);
    ir.ts = ts ? *ts : 0;
    record_set_unset(&ir.hdr, IF_TS, false);
    const struct rstr *uid = c->uid_ov ? c->uid_ov : fstr(c, FN_UID);
    if (uid) {
        ir.uid = *uid;
        record_set_unset(&ir.hdr, IF_UID, false);
    }
    const struct raddr *oh = fval(c, FN_ORIG_H, RT_ADDR), *rh = fval(c, FN_RESP_H, RT_ADDR);
    const uint64_t *op = fval(c, FN_ORIG_P, RT_PORT), *rp = fval(c, FN_RESP_P, RT_PORT);
    if (oh && rh && op && rp) {
        ir.orig_h = *oh, ir.resp_h = *rh, ir.orig_p = *op, ir.resp_p = *rp;
        for (size_t f = IF_ORIG_H; f <= IF_RESP_P; f++)
            record_set_unset(&ir.hdr, f, false);
    }
    ir.indicator.p = ind, ir.indicator.len = len;
    ir.indicator_type = rstr_c(intel_type_name(type));
    ir.where = rstr_c(where);
    ir.node = rstr_c(c->o->node);
    struct rstr matched[2];
    size_t nmatched = 0;
    if (type == INTEL_ADDR) {
        if (m->via_addr)
            matched[nmatched++] = rstr_c(intel_type_name(INTEL_ADDR));
        if (m->via_subnet)
            matched[nmatched++] = rstr_c(intel_type_name(INTEL_SUBNET));
    } else {
        matched[nmatched++] = ir.indicator_type;
    }
    ir.matched.v = matched, ir.matched.n = nmatched;
    struct rstr src[INTEL_MATCH_MAX * 4];
    const char *desc, *url;
    bool notice;
    ir.sources.n = collect_sources(m, src, sizeof(src) / sizeof(src[0]), &desc, &url, &notice);
    ir.sources.v = src;
    for (size_t f = IF_INDICATOR; f <= IF_SOURCES; f++)
        record_set_unset(&ir.hdr, f, false);
    if (strcmp(c->path, "files") == 0) {
        static const struct { int fn; enum intel_field f; } ff[] = {
            {FN_FUID, IF_FUID}, {FN_MIME, IF_FILE_MIME_TYPE}, {FN_FILENAME, IF_FILE_DESC}};
        for (size_t i = 0; i < 3; i++) {
            const struct rstr *s = fstr(c, ff[i].fn);
            if (s) {
                *(struct rstr *)((char *)&ir + intel_fields[ff[i].f].offset) = *s;
                record_set_unset(&ir.hdr, ff[i].f, false);
            }
        }
    }
    c->o->ctr.hits++;
    write_down(c->o, &ir.hdr);
    emit_alert(c, &ir, src, ir.sources.n, desc, url, type);
    if (notice)
        emit_notice(c, &ir);
}

/* ---- held x509 hits ---- */

/* Emit held hit i with the id of rec (NULL: without one) and drop it. */
static void pend_emit(struct intel_out *o, size_t i, const struct record_hdr *rec)
{
    struct pending p = o->pend[i];
    memmove(&o->pend[i], &o->pend[i + 1], (o->npend - i - 1) * sizeof(o->pend[0]));
    o->npend--;
    int16_t none[FN_N];
    memset(none, 0xff, sizeof(none)); /* every field absent */
    struct rstr uid = {p.uid, strlen(p.uid)};
    struct seen_ctx c = {o, rec, none, "x509", false, &p.ts, &uid};
    if (rec) {
        c.idx = field_idx(o, rec->type);
        c.path = rec->type->path;
    }
    hit(&c, p.ind, p.len, p.type, p.where, &p.m);
}

static void pend_push(const struct seen_ctx *c, const char *ind, size_t len, int type,
                      const char *where, const struct intel_match *m)
{
    struct intel_out *o = c->o;
    const struct rstr *uid = fstr(c, FN_UID);
    const int64_t *ts = fval(c, FN_TS, RT_TIME);
    if (!uid || uid->len >= sizeof(o->pend[0].uid) || len >= sizeof(o->pend[0].ind)) {
        struct seen_ctx now = *c;
        now.defer = false;
        hit(&now, ind, len, type, where, m);
        return;
    }
    if (o->npend == PENDING_MAX)
        pend_emit(o, 0, NULL);
    struct pending *p = &o->pend[o->npend++];
    memcpy(p->uid, uid->p, uid->len);
    p->uid[uid->len] = '\0';
    p->ts = ts ? *ts : 0;
    memcpy(p->ind, ind, len);
    p->ind[len] = '\0';
    p->len = len;
    p->type = (uint8_t)type;
    p->where = where;
    p->m = *m;
}

/* A record with a uid and an id: the held hits of that session get it. */
static void pend_resolve(struct intel_out *o, const struct record_hdr *rec)
{
    int iu = record_field_index(rec->type, "uid");
    if (iu < 0 || record_unset(rec, (size_t)iu) || rec->type->fields[iu].type != RT_STRING ||
        record_field_index(rec->type, "id.resp_h") < 0)
        return;
    const struct rstr *u = record_field_ptr(rec, (size_t)iu);
    for (size_t i = 0; i < o->npend;) {
        if (strlen(o->pend[i].uid) == u->len && memcmp(o->pend[i].uid, u->p, u->len) == 0)
            pend_emit(o, i, rec);
        else
            i++;
    }
}

/* ---- the ways a value is looked at ---- */

static void seen_addr(const struct seen_ctx *c, const struct raddr *a, const char *where)
{
    struct intel_match m;
    if (!intel_lookup_addr(c->o->st, a, &m))
        return;
    char txt[64];
    addr_text(a, txt, sizeof(txt));
    hit(c, txt, strlen(txt), INTEL_ADDR, where, &m);
}

static bool parse_addr(const char *s, size_t len, struct raddr *a)
{
    char buf[64];
    if (len == 0 || len >= sizeof(buf))
        return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    memset(a, 0, sizeof(*a));
    if (inet_pton(AF_INET, buf, a->a) == 1)
        a->family = 4;
    else if (inet_pton(AF_INET6, buf, a->a) == 1)
        a->family = 6;
    return a->family != 0;
}

static void seen_str(const struct seen_ctx *c, const char *s, size_t len, int type,
                     const char *where)
{
    struct intel_match m;
    if (intel_lookup_str(c->o->st, (enum intel_type)type, s, len, &m))
        hit(c, s, len, type, where, &m);
}

static void seen_emails(const struct seen_ctx *c, const char *s, size_t len, const char *where)
{
    size_t i = 0;
    while (i < len) {
        while (i < len && strchr(" \t,;<>\"'()", s[i]))
            i++;
        size_t b = i;
        while (i < len && !strchr(" \t,;<>\"'()", s[i]))
            i++;
        if (i > b && memchr(s + b, '@', i - b))
            seen_str(c, s + b, i - b, INTEL_EMAIL, where);
    }
}

static void seen_one(const struct seen_ctx *c, const struct seen_rule *r, const char *s,
                     size_t len)
{
    struct raddr a;
    switch (r->how) {
    case H_EMAIL: seen_emails(c, s, len, r->where); return;
    case H_ANSWER:
        if (parse_addr(s, len, &a))
            seen_addr(c, &a, r->where);
        else if (!memchr(s, ' ', len))
            seen_str(c, s, len, INTEL_DOMAIN, r->where);
        return;
    case H_HOST: {
        size_t n = len;
        if (len && s[0] == '[') { /* [v6]:port */
            const char *e = memchr(s, ']', len);
            if (e && parse_addr(s + 1, (size_t)(e - s - 1), &a)) {
                seen_addr(c, &a, r->where);
                return;
            }
        }
        const char *colon = memchr(s, ':', len);
        if (colon && !memchr(colon + 1, ':', len - (size_t)(colon - s) - 1))
            n = (size_t)(colon - s);
        if (parse_addr(s, n, &a))
            seen_addr(c, &a, r->where);
        else
            seen_str(c, s, n, INTEL_DOMAIN, r->where);
        return;
    }
    case H_REFERRER: seen_str(c, s, len, INTEL_URL, r->where); return;
    default: seen_str(c, s, len, r->type, r->where); return;
    }
}

static void seen_url(const struct seen_ctx *c, const struct seen_rule *r)
{
    const struct rstr *uri = fstr(c, FN_URI), *host = fstr(c, FN_HOST);
    const uint64_t *rp = fval(c, FN_RESP_P, RT_PORT);
    const struct raddr *rh = fval(c, FN_RESP_H, RT_ADDR);
    if (!uri)
        return;
    if (uri->len > 7 && (strncasecmp(uri->p, "http://", 7) == 0 ||
                         strncasecmp(uri->p, "https://", 8) == 0)) { /* proxy request */
        seen_str(c, uri->p, uri->len, INTEL_URL, r->where);
        return;
    }
    char buf[2048], hb[64] = "";
    if (!host && rh)
        addr_text(rh, hb, sizeof(hb));
    const char *h = host ? host->p : rh ? hb : "";
    size_t hl = host ? host->len : strlen(h);
    bool has_port = host && memchr(host->p, ':', host->len) && host->p[0] != '[';
    int n;
    if (rp && *rp != 80 && !has_port)
        n = snprintf(buf, sizeof(buf), "%.*s:%llu%.*s", (int)hl, h, (unsigned long long)*rp,
                     (int)uri->len, uri->p);
    else
        n = snprintf(buf, sizeof(buf), "%.*s%.*s", (int)hl, h, (int)uri->len, uri->p);
    if (n > 0 && (size_t)n < sizeof(buf))
        seen_str(c, buf, (size_t)n, INTEL_URL, r->where);
}

/* Zeek logs Conn::IN_ORIG/IN_RESP on connection_established: for TCP,
 * only sessions whose handshake completed. */
static bool conn_established(const struct seen_ctx *c)
{
    const struct rstr *p = fstr(c, FN_PROTO), *s = fstr(c, FN_STATE);
    if (!p || p->len != 3 || memcmp(p->p, "tcp", 3) != 0)
        return true;
    static const char *const ok[] = {"S1", "S2", "S3", "SF", "RSTO", "RSTR"};
    for (size_t i = 0; s && i < sizeof(ok) / sizeof(ok[0]); i++)
        if (s->len == strlen(ok[i]) && memcmp(s->p, ok[i], s->len) == 0)
            return true;
    return false;
}

static void seen_rule_apply(const struct seen_ctx *c, const struct seen_rule *r)
{
    int i = c->idx[r->field];
    if (i < 0 || record_unset(c->rec, (size_t)i))
        return;
    if (r->how == H_URL) {
        seen_url(c, r);
        return;
    }
    if (r->how == H_CONN && !conn_established(c))
        return;
    const void *v = record_field_ptr(c->rec, (size_t)i);
    switch (c->rec->type->fields[i].type) {
    case RT_STRING: case RT_ENUM: {
        const struct rstr *s = v;
        if (s->len)
            seen_one(c, r, s->p, s->len);
        break;
    }
    case RT_SET_STRING: case RT_VEC_STRING: {
        const struct rstrvec *vs = v;
        for (size_t k = 0; k < vs->n; k++)
            if (vs->v[k].len)
                seen_one(c, r, vs->v[k].p, vs->v[k].len);
        break;
    }
    case RT_ADDR: seen_addr(c, v, r->where); break;
    case RT_SET_ADDR: {
        const struct raddrvec *va = v;
        for (size_t k = 0; k < va->n; k++)
            seen_addr(c, &va->v[k], r->where);
        break;
    }
    default: break;
    }
}

/* ---- the output ---- */

static int intel_write(struct output *out, const struct record_hdr *rec)
{
    struct intel_out *o = (struct intel_out *)out;
    const char *path = rec->type->path;
    if (intel_store_count(o->st) == 0 || strcmp(path, "intel") == 0 ||
        strcmp(path, "alert") == 0 || strcmp(path, "notice") == 0)
        return 0;
    o->ctr.records++;
    struct seen_ctx c = {o, rec, NULL, path, strcmp(path, "x509") == 0, NULL, NULL};
    for (size_t i = 0; i < sizeof(seen_rules) / sizeof(seen_rules[0]); i++) {
        if (strcmp(seen_rules[i].path, path) != 0)
            continue;
        if (!c.idx)
            c.idx = field_idx(o, rec->type);
        seen_rule_apply(&c, &seen_rules[i]);
    }
    if (o->npend && !c.defer)
        pend_resolve(o, rec);
    return 0;
}

static int intel_flush(struct output *out)
{
    (void)out;
    return 0;
}

static int intel_rotate(struct output *out, int64_t now)
{
    (void)out, (void)now;
    return 0;
}

static void intel_close(struct output *out)
{
    struct intel_out *o = (struct intel_out *)out;
    while (o->npend) /* sessions that never showed their id */
        pend_emit(o, 0, NULL);
    free(out);
}

static const struct output_ops intel_ops = {
    .name = "intel",
    .write = intel_write,
    .flush = intel_flush,
    .rotate = intel_rotate,
    .close = intel_close,
};

struct output *intel_output_open(const struct intel_store *st, struct output *const *down,
                                 int ndown, const char *node, char *err, size_t errlen)
{
    struct intel_out *o = calloc(1, sizeof(*o));
    if (!o) {
        snprintf(err, errlen, "out of memory for the intel matcher");
        return NULL;
    }
    o->base.ops = &intel_ops;
    o->st = st;
    o->down = down;
    o->ndown = ndown;
    snprintf(o->node, sizeof(o->node), "%s", node && *node ? node : "zeek");
    return &o->base;
}

void intel_output_counters(const struct output *out, struct intel_counters *c)
{
    *c = ((const struct intel_out *)out)->ctr;
}
