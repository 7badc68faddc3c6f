/*
 * cmd_sessions.c - `vigil sessions`: session records from captures or
 * conn.logs, filtered, aggregated and sorted with racluster's habits.
 *
 *   vigil sessions [-n] [-u] -r FILE... [-s FIELD...] [-m KEY...] [-S FIELD[,-FIELD]]
 *                  [-N COUNT] [--json | --zeek] [-] [FILTER...]
 *
 * Owns: the command line, the in-memory session list and the racluster
 * vocabulary over conn records (docs/sessions.md):
 *   stime=ts  ltime=ts+duration  dur  saddr=id.orig_h  sport  daddr  dport
 *   proto  spkts=orig_pkts  dpkts=resp_pkts  pkts  sbytes=orig_ip_bytes
 *   dbytes=resp_ip_bytes  bytes  sappbytes=orig_bytes  dappbytes=resp_bytes
 *   state (Argus-style, from conn_state)  trans (sessions in a row)
 * plus every Zeek conn.log field by name.  Inputs are told apart by content
 * (pcap/pcapng magic, a Zeek "#" header, or a JSON object); captures go
 * through the pipeline into an output of our own (sessions_output) that
 * keeps each conn record, so both kinds of input share all the code after.
 * The filter (query.h) is applied as records arrive; -m groups by the key
 * columns and sums as racluster does (trans, pkts, bytes; stime = min,
 * ltime = max, dur = ltime - stime).
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli/cli.h"
#include "flow/conn_record.h"
#include "pipeline/pipeline.h"
#include "query/query.h"
#include "store/output.h"
#include "store/zeeklog.h"

#define SESS_MAX_COLS 64
#define SESS_MAX_FILES 4096

/* ---- columns ---- */

enum col_kind {
    C_STIME, C_LTIME, C_DUR, C_SADDR, C_SPORT, C_DADDR, C_DPORT, C_PROTO, C_PKTS, C_BYTES,
    C_SPKTS, C_DPKTS, C_SBYTES, C_DBYTES, C_SAPP, C_DAPP, C_STATE, C_TRANS, C_ZEEK
};

static const struct {
    const char *name, *header;
    enum col_kind kind;
} col_names[] = {
    {"stime", "StartTime", C_STIME}, {"ltime", "LastTime", C_LTIME}, {"dur", "Dur", C_DUR},
    {"saddr", "SrcAddr", C_SADDR},   {"sport", "Sport", C_SPORT},    {"daddr", "DstAddr", C_DADDR},
    {"dport", "Dport", C_DPORT},     {"proto", "Proto", C_PROTO},    {"pkts", "TotPkts", C_PKTS},
    {"bytes", "TotBytes", C_BYTES},  {"spkts", "SrcPkts", C_SPKTS},  {"dpkts", "DstPkts", C_DPKTS},
    {"sbytes", "SrcBytes", C_SBYTES}, {"dbytes", "DstBytes", C_DBYTES},
    {"sappbytes", "SAppBytes", C_SAPP}, {"dappbytes", "DAppBytes", C_DAPP},
    {"state", "State", C_STATE},     {"trans", "Trans", C_TRANS},
};

struct col {
    enum col_kind kind;
    int field;        /* C_ZEEK: conn field index */
    char name[64];    /* as the user wrote it, without a sort sign */
    const char *header;
    bool desc;        /* sort order */
};

/* A value of a column in one row. */
enum cval_kind { CV_UNSET, CV_NUM, CV_INT, CV_TIME, CV_DUR, CV_ADDR, CV_TEXT };

struct cval {
    enum cval_kind kind;
    uint64_t u;
    int64_t i; /* CV_INT, CV_TIME, CV_DUR (ns) */
    struct raddr a;
    char text[256];
};

/* One output row: a session, or a group of them (-m).  A row carries
 * every racluster column itself (about 140 bytes), so the session list
 * keeps whole conn records (rec) only when a column, key, sort field or
 * the output format names another conn.log field (s->need_rec). */
struct srow {
    const struct conn_record *rec; /* the first session of the row, or NULL */
    int64_t stime, ltime;
    uint64_t spkts, dpkts, sbytes, dbytes, sapp, dapp, trans;
    uint64_t varies; /* bit k: display column k differs inside the group */
    size_t order;    /* arrival order, the last sort key */
    struct raddr saddr, daddr;
    uint16_t sport, dport;
    uint8_t unset;   /* ROW_NO_* bits: the first session lacked that field */
    char proto[8];   /* "tcp", "udp", "icmp", "unknown" (as conn.log, cut) */
    const char *state; /* Argus-style state (static string) */
};

enum { ROW_NO_SADDR = 1, ROW_NO_SPORT = 2, ROW_NO_DADDR = 4, ROW_NO_DPORT = 8 };

struct sess {
    struct col show[SESS_MAX_COLS], keys[SESS_MAX_COLS], sort[SESS_MAX_COLS];
    int nshow, nkeys, nsort;
    const char *files[SESS_MAX_FILES];
    int nfiles;
    long limit;
    bool json, zeek, epoch;
    bool whole_json; /* --json without -s or -m: whole conn records */
    char *filter_text;
    struct query *filter;
    bool need_rec;   /* keep whole conn records (see struct srow) */
    struct srow *rows;
    size_t nrows, caprows;
};

static int col_lookup(const char *name, struct col *c)
{
    memset(c, 0, sizeof(*c));
    c->desc = name[0] == '-';
    if (name[0] == '-' || name[0] == '+')
        name++;
    snprintf(c->name, sizeof(c->name), "%.*s", (int)strcspn(name, ","), name);
    for (size_t i = 0; i < sizeof(col_names) / sizeof(col_names[0]); i++)
        if (strcmp(c->name, col_names[i].name) == 0) {
            c->kind = col_names[i].kind;
            c->header = col_names[i].header;
            return 0;
        }
    const char *z = strncmp(c->name, "conn.", 5) == 0 ? c->name + 5 : c->name;
    c->field = record_field_index(&conn_record_type, z);
    if (c->field < 0)
        return -1;
    c->kind = C_ZEEK;
    c->header = conn_record_type.fields[c->field].name;
    return 0;
}

/* Argus-style state from Zeek's conn_state. */
static const char *argus_state(const struct conn_record *r)
{
    char st[16] = "", proto[16] = "";
    if (!record_unset(&r->hdr, CONN_CONN_STATE))
        snprintf(st, sizeof(st), "%.*s", (int)r->conn_state.len, r->conn_state.p);
    if (!record_unset(&r->hdr, CONN_PROTO))
        snprintf(proto, sizeof(proto), "%.*s", (int)r->proto.len, r->proto.p);
    if (strcmp(proto, "tcp") == 0) {
        if (!strcmp(st, "SF") || !strcmp(st, "S2") || !strcmp(st, "S3") || !strcmp(st, "SH") ||
            !strcmp(st, "SHR"))
            return "FIN";
        if (!strncmp(st, "RST", 3) || !strcmp(st, "REJ"))
            return "RST";
        if (!strcmp(st, "S0"))
            return "REQ";
        return "CON";
    }
    bool answered = !record_unset(&r->hdr, CONN_RESP_PKTS) && r->resp_pkts > 0;
    return answered ? "CON" : "INT";
}

static uint64_t cnt(const struct conn_record *r, int f, uint64_t v)
{
    return record_unset(&r->hdr, (size_t)f) ? 0 : v;
}

static void row_addr(struct cval *v, const struct raddr *a, int unset)
{
    v->kind = unset ? CV_UNSET : CV_ADDR;
    v->a = *a;
}

static void row_port(struct cval *v, uint16_t port, int unset)
{
    v->kind = unset ? CV_UNSET : CV_NUM;
    v->u = port;
}

static void cval_zeek(const struct conn_record *r, int f, struct cval *v)
{
    const struct record_hdr *h = &r->hdr;
    if (record_unset(h, (size_t)f)) {
        v->kind = CV_UNSET;
        return;
    }
    const void *p = record_field_ptr(h, (size_t)f);
    switch (conn_record_type.fields[f].type) {
    case RT_COUNT:
    case RT_PORT:
        v->kind = CV_NUM, v->u = *(const uint64_t *)p;
        return;
    case RT_INT:
        v->kind = CV_INT, v->i = *(const int64_t *)p;
        return;
    case RT_TIME:
        v->kind = CV_TIME, v->i = *(const int64_t *)p;
        return;
    case RT_INTERVAL:
        v->kind = CV_DUR, v->i = *(const int64_t *)p;
        return;
    case RT_ADDR:
        v->kind = CV_ADDR, v->a = *(const struct raddr *)p;
        return;
    default: {
        struct zbuf b = {0};
        v->kind = CV_TEXT;
        if (zeek_field_tsv(&b, h, (size_t)f) == 0)
            snprintf(v->text, sizeof(v->text), "%s", b.p);
        zbuf_free(&b);
    }
    }
}

static void row_value(const struct srow *row, const struct col *c, struct cval *v)
{
    const struct conn_record *r = row->rec;
    memset(v, 0, offsetof(struct cval, text));
    v->text[0] = '\0';
    v->kind = CV_NUM;
    switch (c->kind) {
    case C_STIME: v->kind = CV_TIME, v->i = row->stime; return;
    case C_LTIME: v->kind = CV_TIME, v->i = row->ltime; return;
    case C_DUR: v->kind = CV_DUR, v->i = row->ltime - row->stime; return;
    case C_SADDR: row_addr(v, &row->saddr, row->unset & ROW_NO_SADDR); return;
    case C_SPORT: row_port(v, row->sport, row->unset & ROW_NO_SPORT); return;
    case C_DADDR: row_addr(v, &row->daddr, row->unset & ROW_NO_DADDR); return;
    case C_DPORT: row_port(v, row->dport, row->unset & ROW_NO_DPORT); return;
    case C_PROTO: v->kind = CV_TEXT, snprintf(v->text, sizeof(v->text), "%s", row->proto); return;
    case C_PKTS: v->u = row->spkts + row->dpkts; return;
    case C_BYTES: v->u = row->sbytes + row->dbytes; return;
    case C_SPKTS: v->u = row->spkts; return;
    case C_DPKTS: v->u = row->dpkts; return;
    case C_SBYTES: v->u = row->sbytes; return;
    case C_DBYTES: v->u = row->dbytes; return;
    case C_SAPP: v->u = row->sapp; return;
    case C_DAPP: v->u = row->dapp; return;
    case C_TRANS: v->u = row->trans; return;
    case C_STATE: v->kind = CV_TEXT, snprintf(v->text, sizeof(v->text), "%s", row->state); return;
    case C_ZEEK: cval_zeek(r, c->field, v); return;
    }
}

static void cval_format(const struct cval *v, bool epoch, char *buf, size_t len)
{
    switch (v->kind) {
    case CV_UNSET: snprintf(buf, len, "-"); return;
    case CV_NUM: snprintf(buf, len, "%" PRIu64, v->u); return;
    case CV_INT: snprintf(buf, len, "%" PRId64, v->i); return;
    case CV_DUR: zeek_time_text(v->i, buf, len); return;
    case CV_TIME: {
        if (epoch) {
            zeek_time_text(v->i, buf, len);
            return;
        }
        /* Rows come mostly sorted by time: the date of the last second
         * formatted is kept (every cell is formatted twice when printed). */
        static time_t last_s = -1;
        static char t[64];
        char us[32];
        time_t s = (time_t)(v->i / 1000000000);
        if (s != last_s) {
            struct tm tm;
            gmtime_r(&s, &tm);
            strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%S", &tm);
            last_s = s;
        }
        zeek_time_text(v->i, us, sizeof(us));
        const char *dot = strchr(us, '.');
        snprintf(buf, len, "%s%s", t, dot ? dot : "");
        return;
    }
    case CV_ADDR: {
        if (v->a.family == 4) { /* as Zeek writes it; IPv6 goes through Zeek's formatter */
            snprintf(buf, len, "%u.%u.%u.%u", v->a.a[0], v->a.a[1], v->a.a[2], v->a.a[3]);
            return;
        }
        struct zbuf b = {0};
        struct conn_record tmp;
        conn_record_init(&tmp);
        tmp.orig_h = v->a;
        record_set_unset(&tmp.hdr, CONN_ORIG_H, false);
        if (zeek_field_tsv(&b, &tmp.hdr, CONN_ORIG_H) == 0)
            snprintf(buf, len, "%s", b.p);
        zbuf_free(&b);
        return;
    }
    case CV_TEXT: snprintf(buf, len, "%s", v->text); return;
    }
}

static int cval_cmp(const struct cval *a, const struct cval *b)
{
    if (a->kind != b->kind)
        return a->kind == CV_UNSET ? -1 : b->kind == CV_UNSET ? 1 : (int)a->kind - (int)b->kind;
    switch (a->kind) {
    case CV_UNSET: return 0;
    case CV_NUM: return a->u < b->u ? -1 : a->u > b->u;
    case CV_INT:
    case CV_TIME:
    case CV_DUR: return a->i < b->i ? -1 : a->i > b->i;
    case CV_ADDR:
        if (a->a.family != b->a.family)
            return a->a.family - b->a.family;
        return memcmp(a->a.a, b->a.a, 16);
    case CV_TEXT: return strcmp(a->text, b->text);
    }
    return 0;
}

/* ---- collecting records ---- */

static void row_init(struct srow *row, const struct conn_record *r, size_t order);

/* One session that passed the filter becomes one row (and, when a column
 * needs it, a copy of its record). */
static int sess_keep(struct sess *s, const struct record_hdr *rec)
{
    if (s->filter && !query_match(s->filter, rec))
        return 0;
    if (s->nrows == s->caprows) {
        size_t cap = s->caprows ? s->caprows * 2 : 1024;
        struct srow *n = realloc(s->rows, cap * sizeof(*n));
        if (!n)
            return -1;
        s->rows = n;
        s->caprows = cap;
    }
    struct srow *row = &s->rows[s->nrows];
    row_init(row, (const struct conn_record *)rec, s->nrows);
    row->rec = NULL;
    if (s->need_rec) {
        struct record_hdr *c = store_record_clone(rec);
        if (!c)
            return -1;
        row->rec = (const struct conn_record *)c;
    }
    s->nrows++;
    return 0;
}

/* The output the pipeline writes into: keeps each conn record. */
struct sessions_output {
    struct output base;
    struct sess *s;
};

static int sessions_output_write(struct output *out, const struct record_hdr *rec)
{
    struct sessions_output *so = (struct sessions_output *)out;
    if (rec->type != &conn_record_type)
        return 0;
    if (sess_keep(so->s, rec) < 0) {
        snprintf(out->err, sizeof(out->err), "Out of memory keeping session records.");
        return -1;
    }
    return 0;
}

static int sessions_output_flush(struct output *out)
{
    (void)out;
    return 0;
}

static int sessions_output_rotate(struct output *out, int64_t now_ns)
{
    (void)out;
    (void)now_ns;
    return 0;
}

static void sessions_output_close(struct output *out)
{
    (void)out;
}

static const struct output_ops sessions_output_ops = {
    .name = "sessions",
    .write = sessions_output_write,
    .flush = sessions_output_flush,
    .rotate = sessions_output_rotate,
    .close = sessions_output_close,
};

/* Whether a column is a conn.log field the rows do not carry. */
static bool cols_name_field(const struct col *c, int n)
{
    for (int k = 0; k < n; k++)
        if (c[k].kind == C_ZEEK)
            return true;
    return false;
}

static bool cols_use_service(const struct col *c, int n)
{
    for (int k = 0; k < n; k++)
        if (c[k].kind == C_ZEEK && c[k].field == CONN_SERVICE)
            return true;
    return false;
}

/* Whether the records need the app layer: only conn.log's service comes
 * from it (parsers claiming the flow).  Whole records (--zeek, --json
 * without -s) print it; a column, key or sort field may name it, and so
 * may the filter (any word "service" in it, to be safe). */
static bool sess_needs_app(const struct sess *s)
{
    if (s->zeek || s->whole_json)
        return true;
    if (cols_use_service(s->show, s->nshow) || cols_use_service(s->keys, s->nkeys) ||
        cols_use_service(s->sort, s->nsort))
        return true;
    for (const char *p = s->filter_text; p && (p = strstr(p, "service")); p += 7) {
        bool left = p == s->filter_text || !(isalnum((unsigned char)p[-1]) || p[-1] == '_');
        bool right = !(isalnum((unsigned char)p[7]) || p[7] == '_');
        if (left && right)
            return true;
    }
    return false;
}

static int load_pcaps(struct sess *s, const char **paths, int n)
{
    char err[512];
    struct pipeline_config cfg;
    pipeline_config_default(&cfg);
    /* Session records need no reassembly, parsers, file hashes or MIME
     * sniffing: the flow table alone makes them, at a fraction of the
     * cost (docs/sessions.md). */
    cfg.no_app_layer = !sess_needs_app(s);
    struct sessions_output so = {.base = {.ops = &sessions_output_ops}, .s = s};
    struct output *outs[1] = {&so.base};
    struct capture_file_opts fo = {0};
    struct capture_source *src = capture_open_files(paths, n, &fo, err, sizeof(err));
    if (!src) {
        cli_error("%s", err);
        return VIGIL_EXIT_ERROR;
    }
    struct pipeline *p = pipeline_new(&cfg, outs, 1, err, sizeof(err));
    if (!p) {
        capture_close(src);
        cli_error("%s", err);
        return VIGIL_EXIT_ERROR;
    }
    int rc = pipeline_run(p, src) < 0 ? VIGIL_EXIT_ERROR : VIGIL_EXIT_OK;
    if (rc != VIGIL_EXIT_OK)
        cli_error("%s", pipeline_error(p));
    else if (capture_damaged(src))
        rc = VIGIL_EXIT_DAMAGED;
    pipeline_free(p);
    capture_close(src);
    return rc;
}

static int load_log(struct sess *s, const char *path)
{
    char err[512];
    struct zeek_reader *r = zeek_reader_open(path, &conn_record_type, err, sizeof(err));
    if (!r) {
        cli_error("%s", err);
        return VIGIL_EXIT_ERROR;
    }
    struct conn_record rec;
    int rc;
    while ((rc = zeek_reader_next(r, &rec.hdr, err, sizeof(err))) > 0)
        if (sess_keep(s, &rec.hdr) < 0) {
            snprintf(err, sizeof(err), "Out of memory keeping session records.");
            rc = -1;
            break;
        }
    zeek_reader_close(r);
    if (rc < 0) {
        cli_error("%s", err);
        return VIGIL_EXIT_ERROR;
    }
    return VIGIL_EXIT_OK;
}

static int load_inputs(struct sess *s)
{
    const char *pcaps[SESS_MAX_FILES];
    int npcaps = 0, rc = VIGIL_EXIT_OK;
    for (int i = 0; i < s->nfiles; i++) {
        struct stat st;
        enum zeek_input_kind k = ZEEK_INPUT_PCAP;
        if (strcmp(s->files[i], "-") == 0) { /* standard input: a capture (not sniffed: */
            pcaps[npcaps++] = s->files[i];     /* its first bytes cannot be read twice) */
            continue;
        }
        if (stat(s->files[i], &st) != 0) {
            cli_error("Cannot open %s: %s.", s->files[i], strerror(errno));
            return VIGIL_EXIT_ERROR;
        }
        if (!S_ISDIR(st.st_mode))
            k = zeek_input_sniff(s->files[i]);
        if (k == ZEEK_INPUT_UNKNOWN) {
            cli_error("%s is neither a capture (pcap/pcapng) nor a Zeek log (TSV or JSON).",
                      s->files[i]);
            return VIGIL_EXIT_ERROR;
        }
        if (k == ZEEK_INPUT_PCAP)
            pcaps[npcaps++] = s->files[i];
        else if ((rc = load_log(s, s->files[i])) != VIGIL_EXIT_OK)
            return rc;
    }
    return npcaps ? load_pcaps(s, pcaps, npcaps) : VIGIL_EXIT_OK;
}

/* ---- rows and groups ---- */

static void row_init(struct srow *row, const struct conn_record *r, size_t order)
{
    const struct record_hdr *h = &r->hdr;
    memset(row, 0, sizeof(*row));
    row->rec = r;
    row->order = order;
    row->saddr = r->orig_h, row->daddr = r->resp_h;
    row->sport = (uint16_t)r->orig_p, row->dport = (uint16_t)r->resp_p;
    row->unset = (uint8_t)((record_unset(h, CONN_ORIG_H) ? ROW_NO_SADDR : 0) |
                           (record_unset(h, CONN_ORIG_P) ? ROW_NO_SPORT : 0) |
                           (record_unset(h, CONN_RESP_H) ? ROW_NO_DADDR : 0) |
                           (record_unset(h, CONN_RESP_P) ? ROW_NO_DPORT : 0));
    if (!record_unset(h, CONN_PROTO))
        snprintf(row->proto, sizeof(row->proto), "%.*s", (int)r->proto.len, r->proto.p);
    row->state = argus_state(r);
    row->stime = record_unset(&r->hdr, CONN_TS) ? 0 : r->ts;
    row->ltime = row->stime + (record_unset(&r->hdr, CONN_DURATION) ? 0 : r->duration);
    row->spkts = cnt(r, CONN_ORIG_PKTS, r->orig_pkts);
    row->dpkts = cnt(r, CONN_RESP_PKTS, r->resp_pkts);
    row->sbytes = cnt(r, CONN_ORIG_IP_BYTES, r->orig_ip_bytes);
    row->dbytes = cnt(r, CONN_RESP_IP_BYTES, r->resp_ip_bytes);
    row->sapp = cnt(r, CONN_ORIG_BYTES, r->orig_bytes);
    row->dapp = cnt(r, CONN_RESP_BYTES, r->resp_bytes);
    row->trans = 1;
}

static bool col_is_summary(enum col_kind k)
{
    return k == C_STIME || k == C_LTIME || k == C_DUR || (k >= C_PKTS && k <= C_DAPP) ||
           k == C_TRANS;
}

static void row_merge(struct sess *s, struct srow *into, const struct srow *add)
{
    for (int k = 0; k < s->nshow && k < 64; k++) {
        if (col_is_summary(s->show[k].kind) || (into->varies >> k & 1))
            continue;
        struct cval a, b;
        row_value(into, &s->show[k], &a);
        row_value(add, &s->show[k], &b);
        if (cval_cmp(&a, &b) != 0)
            into->varies |= (uint64_t)1 << k;
    }
    if (add->stime < into->stime)
        into->stime = add->stime;
    if (add->ltime > into->ltime)
        into->ltime = add->ltime;
    into->spkts += add->spkts, into->dpkts += add->dpkts;
    into->sbytes += add->sbytes, into->dbytes += add->dbytes;
    into->sapp += add->sapp, into->dapp += add->dapp;
    into->trans += add->trans;
}

static int row_key(struct sess *s, const struct srow *row, struct zbuf *b)
{
    b->len = 0;
    for (int k = 0; k < s->nkeys; k++) {
        struct cval v;
        char t[300];
        row_value(row, &s->keys[k], &v);
        cval_format(&v, true, t, sizeof(t));
        if (zbuf_puts(b, t) < 0 || zbuf_put(b, "\x1f", 1) < 0)
            return -1;
    }
    return 0;
}

static uint64_t key_hash(const char *p, size_t n, uint64_t seed)
{
    uint64_t h = 1469598103934665603ULL ^ seed;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
    return h ^ (h >> 29);
}

/* -m: one row per distinct key, through an open-addressing table of row indexes. */
static int build_groups(struct sess *s)
{
    size_t cap = 64, n = s->nrows;
    while (cap < n * 2)
        cap *= 2;
    size_t *slot = malloc(cap * sizeof(*slot));
    char **keys = calloc(n ? n : 1, sizeof(*keys));
    struct zbuf b = {0};
    int rc = (slot && keys) ? 0 : -1;
    uint64_t seed = (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ULL;
    for (size_t i = 0; slot && i < cap; i++)
        slot[i] = SIZE_MAX;
    s->nrows = 0; /* groups are written in place: group k <= row i */
    for (size_t i = 0; rc == 0 && i < n; i++) {
        struct srow row = s->rows[i];
        if (row_key(s, &row, &b) < 0) {
            rc = -1;
            break;
        }
        size_t h = (size_t)key_hash(b.p, b.len, seed) & (cap - 1);
        while (slot[h] != SIZE_MAX && strcmp(keys[slot[h]], b.p) != 0)
            h = (h + 1) & (cap - 1);
        if (slot[h] != SIZE_MAX) {
            row_merge(s, &s->rows[slot[h]], &row);
            free((void *)row.rec); /* a group shows its first session only */
            continue;
        }
        if (!(keys[s->nrows] = strdup(b.p))) {
            rc = -1;
            break;
        }
        slot[h] = s->nrows;
        s->rows[s->nrows++] = row;
    }
    for (size_t i = 0; keys && i < s->nrows; i++)
        free(keys[i]);
    free(keys);
    free(slot);
    zbuf_free(&b);
    return rc;
}

static struct sess *sort_ctx;

static int row_cmp(const void *pa, const void *pb)
{
    const struct srow *a = pa, *b = pb;
    for (int k = 0; k < sort_ctx->nsort; k++) {
        struct cval va, vb;
        row_value(a, &sort_ctx->sort[k], &va);
        row_value(b, &sort_ctx->sort[k], &vb);
        int c = cval_cmp(&va, &vb);
        if (c)
            return sort_ctx->sort[k].desc ? -c : c;
    }
    return a->order < b->order ? -1 : a->order > b->order;
}

static int build_rows(struct sess *s)
{
    if (s->nkeys && build_groups(s) < 0)
        return -1;
    if (s->nsort == 0) {
        col_lookup("stime", &s->sort[0]);
        s->nsort = 1;
    }
    sort_ctx = s;
    if (s->nrows)
        qsort(s->rows, s->nrows, sizeof(*s->rows), row_cmp);
    if (s->limit >= 0 && (size_t)s->limit < s->nrows)
        s->nrows = (size_t)s->limit;
    return 0;
}

/* ---- printing ---- */

static void cell_text(struct sess *s, const struct srow *row, int k, char *buf, size_t len)
{
    struct cval v;
    if (s->nkeys && row->varies >> k & 1) {
        snprintf(buf, len, "*");
        return;
    }
    row_value(row, &s->show[k], &v);
    cval_format(&v, s->epoch, buf, len);
}

static int print_plain(struct sess *s)
{
    size_t width[SESS_MAX_COLS];
    char buf[300];
    for (int k = 0; k < s->nshow; k++)
        width[k] = strlen(s->show[k].header);
    for (size_t r = 0; r < s->nrows; r++)
        for (int k = 0; k < s->nshow; k++) {
            cell_text(s, &s->rows[r], k, buf, sizeof(buf));
            if (strlen(buf) > width[k])
                width[k] = strlen(buf);
        }
    for (int k = 0; k < s->nshow; k++)
        printf("%s%*s", k ? " " : "", (int)width[k], s->show[k].header);
    putchar('\n');
    for (size_t r = 0; r < s->nrows; r++) {
        for (int k = 0; k < s->nshow; k++) {
            cell_text(s, &s->rows[r], k, buf, sizeof(buf));
            printf("%s%*s", k ? " " : "", (int)width[k], buf);
        }
        putchar('\n');
    }
    return ferror(stdout) ? -1 : 0;
}

static json_t *cval_json(const struct cval *v)
{
    switch (v->kind) {
    case CV_NUM: return json_integer((json_int_t)v->u);
    case CV_INT: return json_integer((json_int_t)v->i);
    case CV_TIME:
    case CV_DUR: return json_real((double)v->i / 1e9);
    case CV_UNSET: return NULL;
    default: {
        char buf[300];
        cval_format(v, true, buf, sizeof(buf));
        return json_string(buf);
    }
    }
}

static int print_json(struct sess *s, bool whole)
{
    for (size_t r = 0; r < s->nrows; r++) {
        char *line = NULL;
        if (whole) {
            line = zeek_record_json(&s->rows[r].rec->hdr);
        } else {
            json_t *o = json_object();
            for (int k = 0; o && k < s->nshow; k++) {
                struct cval v;
                row_value(&s->rows[r], &s->show[k], &v);
                json_t *j = (s->nkeys && s->rows[r].varies >> k & 1) ? json_string("*")
                                                                      : cval_json(&v);
                if (j)
                    json_object_set_new(o, s->show[k].name, j);
            }
            line = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(16))
                     : NULL;
            json_decref(o);
        }
        if (!line)
            return -1;
        puts(line);
        free(line);
    }
    return ferror(stdout) ? -1 : 0;
}

static int print_zeek(struct sess *s)
{
    char err[512];
    struct output *o = output_zeek_open_stream(stdout, ZEEK_LOG_TSV, err, sizeof(err));
    if (!o) {
        cli_error("%s", err);
        return -1;
    }
    int rc = 0;
    for (size_t r = 0; rc == 0 && r < s->nrows; r++)
        rc = output_write(o, &s->rows[r].rec->hdr);
    if (rc < 0)
        cli_error("%s", o->err);
    output_close(o);
    return rc;
}

/* ---- command line ---- */

static void usage(FILE *out)
{
    fputs("usage: vigil sessions [-n] [-u] -r FILE... [-s FIELD...] [-m KEY...]\n"
          "                      [-S|--sort FIELD[,-FIELD]] [-N COUNT] [--json|--zeek]\n"
          "                      [-] [FILTER...]\n"
          "Session records from captures (pcap/pcapng) or Zeek conn.logs (TSV or JSON),\n"
          "filtered, aggregated (-m) and sorted with racluster's habits.\n"
          "fields: stime ltime dur saddr sport daddr dport proto pkts bytes spkts dpkts\n"
          "        sbytes dbytes sappbytes dappbytes state trans, and any conn.log field\n"
          "  -r FILE...   inputs (told apart by content; - is a capture on standard input)\n"
          "  -n           no name resolution (always)\n"
          "  -s FIELD...  columns to print                   -m KEY...  aggregate by keys\n"
          "  -S FIELD     sort (',' separated, '-' = descending; default stime)\n"
          "  -N COUNT     print at most COUNT rows           -u  times as epoch seconds\n"
          "  --json       JSON lines    --zeek  Zeek TSV records\n"
          "  - FILTER     the filter language (docs/filter-language.md): tcp and dst port 21\n",
          out);
}

/* Words naming columns, as many as follow (also "a,b,c"). */
static int take_cols(char **argv, int argc, int *i, struct col *cols, int *n, const char *opt)
{
    int start = *i;
    /* "-" right after -r is standard input (as ra -r -); elsewhere it starts the filter */
    while (*i + 1 < argc &&
           (argv[*i + 1][0] != '-' || (*i == start && strcmp(argv[*i + 1], "-") == 0))) {
        char word[256];
        snprintf(word, sizeof(word), "%s", argv[*i + 1]);
        struct col c[SESS_MAX_COLS];
        int nc = 0;
        bool all = true;
        for (char *p = word, *e; p && all; p = e ? e + 1 : NULL) {
            e = strchr(p, ',');
            if (e)
                *e = '\0';
            if (*p && (nc >= SESS_MAX_COLS || col_lookup(argv[*i + 1] + (p - word), &c[nc]) < 0))
                all = false;
            if (*p && all)
                nc++;
        }
        if (!all)
            break;
        for (int k = 0; k < nc && *n < SESS_MAX_COLS; k++)
            cols[(*n)++] = c[k];
        (*i)++;
    }
    if (*i == start) {
        cli_error("%s needs field names (stime saddr daddr pkts bytes ... or conn.log fields); "
                  "'%s' is not one.", opt, start + 1 < argc ? argv[start + 1] : "");
        return -1;
    }
    return 0;
}

static int parse_sort(const char *arg, struct sess *s)
{
    char word[512];
    snprintf(word, sizeof(word), "%s", arg);
    for (char *p = word, *e; p; p = e ? e + 1 : NULL) {
        e = strchr(p, ',');
        if (e)
            *e = '\0';
        if (!*p)
            continue;
        if (s->nsort >= SESS_MAX_COLS || col_lookup(arg + (p - word), &s->sort[s->nsort]) < 0) {
            cli_error("--sort: '%s' is not a session field.", p);
            return -1;
        }
        s->nsort++;
    }
    return 0;
}

static int parse_files(char **argv, int argc, int *i, struct sess *s)
{
    int start = *i;
    /* "-" right after -r is standard input (as ra -r -); elsewhere it starts the filter */
    while (*i + 1 < argc &&
           (argv[*i + 1][0] != '-' || (*i == start && strcmp(argv[*i + 1], "-") == 0))) {
        struct stat st;
        if (*i > start && stat(argv[*i + 1], &st) != 0)
            break; /* not a file: the filter begins */
        if (s->nfiles >= SESS_MAX_FILES) {
            cli_error("-r: at most %d inputs.", SESS_MAX_FILES);
            return -1;
        }
        s->files[s->nfiles++] = argv[++*i];
    }
    if (*i == start) {
        cli_error("-r needs a file.");
        return -1;
    }
    return 0;
}

static int parse_option(char **argv, int argc, int *i, struct sess *s)
{
    const char *a = argv[*i];
    char *end;
    if (!strcmp(a, "-r"))
        return parse_files(argv, argc, i, s);
    if (!strcmp(a, "-s"))
        return take_cols(argv, argc, i, s->show, &s->nshow, "-s");
    if (!strcmp(a, "-m"))
        return take_cols(argv, argc, i, s->keys, &s->nkeys, "-m");
    if (!strcmp(a, "-n"))
        return 0;
    if (!strcmp(a, "-u"))
        return s->epoch = true, 0;
    if (!strcmp(a, "--json"))
        return s->json = true, 0;
    if (!strcmp(a, "--zeek"))
        return s->zeek = true, 0;
    if ((!strcmp(a, "-S") || !strcmp(a, "--sort")) && *i + 1 < argc)
        return parse_sort(argv[++*i], s);
    if (!strncmp(a, "--sort=", 7))
        return parse_sort(a + 7, s);
    if (!strcmp(a, "-N") && *i + 1 < argc) {
        errno = 0;
        s->limit = strtol(argv[++*i], &end, 10);
        if (errno || *end || s->limit < 0 || end == argv[*i]) {
            cli_error("-N needs a non-negative count, not '%s'.", argv[*i]);
            return -1;
        }
        return 0;
    }
    cli_error("unknown option or missing value: %s ('vigil sessions --help' lists them)", a);
    return -1;
}

static int parse_args(int argc, char **argv, struct sess *s)
{
    int i;
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-") || !strcmp(argv[i], "--")) {
            i++;
            break;
        }
        if (argv[i][0] != '-')
            break;
        if (parse_option(argv, argc, &i, s) < 0)
            return -1;
    }
    s->filter_text = cli_join_args(argc, argv, i);
    if (s->nfiles == 0) {
        cli_error("no input: give captures or conn.logs with -r.");
        return -1;
    }
    if (s->json && s->zeek) {
        cli_error("--json and --zeek are two output formats; choose one.");
        return -1;
    }
    if (s->zeek && s->nkeys) {
        cli_error("--zeek prints whole session records; it does not combine with -m.");
        return -1;
    }
    return 0;
}

static void default_columns(struct sess *s)
{
    static const char *const plain[] = {"stime", "proto", "saddr", "sport", "daddr",
                                        "dport", "pkts", "bytes", "state"};
    if (s->nshow)
        return;
    if (s->nkeys) {
        for (int k = 0; k < s->nkeys; k++)
            s->show[s->nshow++] = s->keys[k];
        const char *const agg[] = {"trans", "pkts", "bytes"};
        for (int k = 0; k < 3; k++)
            col_lookup(agg[k], &s->show[s->nshow++]);
        return;
    }
    for (size_t k = 0; k < sizeof(plain) / sizeof(plain[0]); k++)
        col_lookup(plain[k], &s->show[s->nshow++]);
}

static void filter_error(const char *text, const char *err)
{
    cli_error("bad filter: %s", err);
    int col = query_error_column(err);
    if (col > 0 && col <= (int)strlen(text) + 1)
        fprintf(stderr, "  %s\n  %*s^\n", text, col - 1, "");
}

static void sess_free(struct sess *s)
{
    for (size_t i = 0; i < s->nrows; i++)
        free((void *)s->rows[i].rec);
    free(s->rows);
    free(s->filter_text);
    query_free(s->filter);
}

int cmd_sessions(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return VIGIL_EXIT_OK;
    }
    struct sess s;
    memset(&s, 0, sizeof(s));
    s.limit = -1;
    int rc = VIGIL_EXIT_USAGE;
    char err[512];
    if (parse_args(argc, argv, &s) < 0)
        goto out;
    if (s.filter_text) {
        s.filter = query_parse(s.filter_text, &conn_record_type, err, sizeof(err));
        if (!s.filter) {
            filter_error(s.filter_text, err);
            goto out;
        }
    }
    s.whole_json = s.json && !s.nshow && !s.nkeys;
    default_columns(&s);
    s.need_rec = s.zeek || s.whole_json || cols_name_field(s.show, s.nshow) ||
                 cols_name_field(s.keys, s.nkeys) || cols_name_field(s.sort, s.nsort);
    rc = load_inputs(&s);
    if (rc != VIGIL_EXIT_OK && rc != VIGIL_EXIT_DAMAGED)
        goto out;
    if (build_rows(&s) < 0) {
        cli_error("Out of memory building the session table.");
        rc = VIGIL_EXIT_ERROR;
        goto out;
    }
    int prc = s.zeek ? print_zeek(&s) : s.json ? print_json(&s, s.whole_json) : print_plain(&s);
    if (prc < 0 || fflush(stdout) != 0) {
        cli_error("Cannot write the output.");
        rc = VIGIL_EXIT_ERROR;
    }
out:
    sess_free(&s);
    return rc;
}
