/*
 * eve.c - the EVE JSON and fast.log writer for alert records (eve.h).
 *
 * eve.json follows Suricata's EVE alert event: timestamp (UTC,
 * "2016-04-05T14:57:40.361227+0000"), flow_id, pcap_cnt, event_type,
 * src_ip, src_port, dest_ip, dest_port, proto, community_id, alert {action,
 * gid, signature_id, rev, signature, category, severity, metadata}, the
 * application object (http, dns, tls, ssh) when the alert came from a
 * transaction, app_proto, and Vigil's uid.  The record's field table
 * drives it: a field "a.b" is written as member b of object a, so a new
 * field of the alert record reaches eve.json without a change here.
 * alert.metadata ("key value" strings) becomes Suricata's
 * {"key": ["value", ...]}.  fast.log:
 *   MM/DD/YYYY-HH:MM:SS.ffffff  [**] [gid:sid:rev] msg [**]
 *   [Classification: c] [Priority: n] {PROTO} src:port -> dst:port
 * (one line).  Both files are written through stdio and flushed on flush().
 */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "detect/alert_record.h"
#include "store/eve.h"

struct eve_out {
    struct output base;
    FILE *eve, *fast;
};

static void eve_time(int64_t ns, char *buf, size_t n, int fast)
{
    time_t s = (time_t)(ns / 1000000000LL);
    long us = (long)((ns % 1000000000LL) / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    if (fast)
        snprintf(buf, n, "%02d/%02d/%04d-%02d:%02d:%02d.%06ld", tm.tm_mon + 1, tm.tm_mday,
                 tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec, us);
    else
        snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02d.%06ld+0000", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, us);
}

static void addr_text(const struct raddr *a, char *buf, size_t n)
{
    if (!inet_ntop(a->family == 6 ? AF_INET6 : AF_INET, a->a, buf, (socklen_t)n))
        snprintf(buf, n, "?");
}

static json_t *rstr_json(const struct rstr *s)
{
    json_t *j = json_stringn_nocheck(s->p ? s->p : "", s->len);
    return j ? j : json_string("");
}

static json_t *metadata_json(const struct rstrvec *v)
{
    json_t *o = json_object();
    for (size_t i = 0; i < v->n; i++) {
        const char *p = v->v[i].p;
        size_t len = v->v[i].len, k = 0;
        while (k < len && p[k] != ' ')
            k++;
        char key[128];
        snprintf(key, sizeof(key), "%.*s", (int)k, p);
        json_t *arr = json_object_get(o, key);
        if (!arr) {
            arr = json_array();
            json_object_set_new(o, key, arr);
        }
        json_array_append_new(arr, json_stringn_nocheck(p + (k < len ? k + 1 : k),
                                                       len - (k < len ? k + 1 : k)));
    }
    return o;
}

static json_t *field_json(const struct record_hdr *rec, size_t f)
{
    const void *v = record_field_ptr(rec, f);
    char tmp[64];
    switch (rec->type->fields[f].type) {
    case RT_COUNT: case RT_PORT: return json_integer((json_int_t) * (const uint64_t *)v);
    case RT_STRING: case RT_ENUM: return rstr_json(v);
    case RT_ADDR: addr_text(v, tmp, sizeof(tmp)); return json_string(tmp);
    case RT_VEC_STRING: return metadata_json(v);
    default: return NULL;
    }
}

/* Put value at "a.b.c" inside root, creating the objects on the way. */
static void json_put_path(json_t *root, const char *name, json_t *val)
{
    const char *dot;
    json_t *o = root;
    while ((dot = strchr(name, '.')) != NULL) {
        char key[64];
        snprintf(key, sizeof(key), "%.*s", (int)(dot - name), name);
        json_t *sub = json_object_get(o, key);
        if (!sub) {
            sub = json_object();
            json_object_set_new(o, key, sub);
        }
        o = sub;
        name = dot + 1;
    }
    json_object_set_new(o, name, val);
}

static char *eve_line(const struct record_hdr *rec)
{
    const struct alert_record *a = (const struct alert_record *)rec;
    json_t *root = json_object();
    char ts[64];
    eve_time(a->ts, ts, sizeof(ts), 0);
    json_object_set_new(root, "timestamp", json_string(ts));
    json_object_set_new(root, "flow_id", json_integer((json_int_t)a->flow_id));
    if (!record_unset(rec, AF_PCAP_CNT))
        json_object_set_new(root, "pcap_cnt", json_integer((json_int_t)a->pcap_cnt));
    if (!record_unset(rec, AF_IN_IFACE))
        json_object_set_new(root, "in_iface", rstr_json(&a->in_iface));
    json_object_set_new(root, "event_type", json_string("alert"));
    for (size_t f = 0; f < rec->type->n_fields; f++) {
        const char *name = rec->type->fields[f].name;
        if (f == AF_TS || f == AF_FLOW_ID || f == AF_PCAP_CNT || f == AF_UID || f == AF_IN_IFACE ||
            strncmp(name, "id.", 3) == 0 || record_unset(rec, f))
            continue;
        json_t *v = field_json(rec, f);
        if (v)
            json_put_path(root, name, v);
    }
    if (a->uid.len)
        json_object_set_new(root, "uid", rstr_json(&a->uid));
    char *s = json_dumps(root, JSON_PRESERVE_ORDER | JSON_COMPACT);
    json_decref(root);
    return s;
}

static int eve_fast(struct eve_out *o, const struct alert_record *a)
{
    char ts[64], s[64], d[64];
    eve_time(a->ts, ts, sizeof(ts), 1);
    addr_text(&a->src_ip, s, sizeof(s));
    addr_text(&a->dest_ip, d, sizeof(d));
    int ports = a->proto.len == 3 && (memcmp(a->proto.p, "TCP", 3) == 0 ||
                                      memcmp(a->proto.p, "UDP", 3) == 0);
    fprintf(o->fast, "%s  [**] [%llu:%llu:%llu] %.*s [**] [Classification: %.*s] [Priority: %llu] "
                     "{%.*s} ",
            ts, (unsigned long long)a->gid, (unsigned long long)a->sid,
            (unsigned long long)a->rev, (int)a->signature.len, a->signature.p,
            (int)(record_unset(&a->hdr, AF_CATEGORY) ? 0 : a->category.len),
            a->category.p ? a->category.p : "", (unsigned long long)a->severity,
            (int)a->proto.len, a->proto.p);
    if (ports)
        fprintf(o->fast, "%s:%llu -> %s:%llu\n", s, (unsigned long long)a->src_port, d,
                (unsigned long long)a->dest_port);
    else
        fprintf(o->fast, "%s -> %s\n", s, d);
    return ferror(o->fast) ? -1 : 0;
}

static int eve_write(struct output *out, const struct record_hdr *rec)
{
    struct eve_out *o = (struct eve_out *)out;
    if (rec->type != &alert_record_type)
        return 0;
    char *line = eve_line(rec);
    if (!line) {
        snprintf(out->err, sizeof(out->err), "out of memory formatting an alert");
        return -1;
    }
    fputs(line, o->eve);
    fputc('\n', o->eve);
    free(line);
    if (eve_fast(o, (const struct alert_record *)rec) < 0 || ferror(o->eve)) {
        snprintf(out->err, sizeof(out->err), "cannot write eve.json/fast.log: %s",
                 strerror(errno));
        return -1;
    }
    return 0;
}

static int eve_flush(struct output *out)
{
    struct eve_out *o = (struct eve_out *)out;
    if (fflush(o->eve) != 0 || fflush(o->fast) != 0) {
        snprintf(out->err, sizeof(out->err), "cannot write eve.json/fast.log: %s",
                 strerror(errno));
        return -1;
    }
    return 0;
}

static void eve_close(struct output *out)
{
    struct eve_out *o = (struct eve_out *)out;
    if (o->eve)
        fclose(o->eve);
    if (o->fast)
        fclose(o->fast);
    free(o);
}

static const struct output_ops eve_ops = {
    .name = "eve", .write = eve_write, .flush = eve_flush, .close = eve_close,
};

struct output *output_eve_open(const char *dir, char *err, size_t errlen)
{
    struct eve_out *o = calloc(1, sizeof(*o));
    char path[4096];
    if (!o) {
        snprintf(err, errlen, "out of memory opening eve.json");
        return NULL;
    }
    o->base.ops = &eve_ops;
    snprintf(path, sizeof(path), "%s/eve.json", dir);
    o->eve = fopen(path, "w");
    if (o->eve) {
        snprintf(path, sizeof(path), "%s/fast.log", dir);
        o->fast = fopen(path, "w");
    }
    if (!o->eve || !o->fast) {
        snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
        eve_close(&o->base);
        return NULL;
    }
    return &o->base;
}
