/*
 * engine_file.c - file rules: filemd5/filesha1/filesha256, filesize,
 * file.name (filename, fileext), file.magic (filemagic) on any protocol,
 * and file.data outside HTTP (SMTP attachments, FTP data transfers), all
 * evaluated once per file when it ends (extract.c calls detect_file()).
 *
 * Which rules: a rule with a file condition (rule_file.c) or a file.name /
 * file.magic buffer, or with file.data on a protocol other than HTTP (HTTP
 * file.data is the body, inspected by engine_http.c as it streams).  They
 * are in none of the groups: the engine's file list is evaluated, without
 * prefilter, on each file inspection.
 *
 * What a file inspection has: file.data the file's first
 * DETECT_FILE_DATA_MAX bytes (decoded: MIME parts are base64/QP-decoded,
 * HTTP bodies de-chunked and decompressed), file.name its name, file.magic
 * libmagic's description of its first bytes, its size and (without gaps)
 * its MD5/SHA-1/SHA-256.  The direction is the file's (to_server when the
 * session's originator sent it), the addresses the session's.  As Suricata:
 * SMTP files are attachments only (MIME parts with a file name), and an
 * FTP data channel is a file only for RETR and STOR transfers (a LIST or
 * NLST listing is not).
 *
 * When (Suricata in IDS mode): a TCP direction's data is inspected once
 * the other side acknowledged it, at the next packet of that direction.
 * A file that ends is held until the peer's ACK covers the sequence
 * number its direction had reached, and inspected with the first packet
 * of its direction after that (that packet is the alert's pcap_cnt); a
 * held file is inspected at the end of its session at the latest
 * (detect_app_end), and when DETECT_FILE_PENDING are held the oldest
 * goes first.  Without TCP sequence tracking (UDP) it is inspected at once.
 * A held file keeps extraction's data buffer (detect_file returns 1: taken
 * over, freed when inspected) and a copy of its head and name in a buffer
 * its slot keeps from file to file: no allocation and no copy of the
 * bytes per file.  A packet looks at the held files only while there are,
 * and only when its flow may hold one: a 256-bit filter by flow slot,
 * rebuilt from the held files when one is inspected.
 */
#include <magic.h>
#include <stdlib.h>
#include <string.h>

#include "core/hex.h"
#include "detect/engine_int.h"
#include "proto/proto.h"

#define DETECT_FILE_PENDING 64 /* files held for their acknowledgement */

/* ---- which rules ---------------------------------------------------------- */

int det_file_rule(const struct rule *r)
{
    if (r->file)
        return 1;
    uint8_t app = r->app_proto ? r->app_proto : r->proto;
    for (uint32_t b = 0; b < r->n_bufs; b++) {
        unsigned id = r->bufs[b].buffer;
        if (id == RULE_BUF_FILE_NAME || id == RULE_BUF_FILE_MAGIC)
            return 1;
        if (id == RULE_BUF_FILE_DATA && app != RULE_PROTO_HTTP)
            return 1;
    }
    return 0;
}

/* A buffer a file inspection fills, for rule r. */
int det_file_buffer(const struct rule *r, unsigned b)
{
    if (b == RULE_BUF_FILE_NAME || b == RULE_BUF_FILE_MAGIC)
        return 1;
    return b == RULE_BUF_FILE_DATA && det_file_rule(r);
}

static int hex_to_bin(const char *hex, uint8_t *out, size_t n)
{
    if (!hex || strlen(hex) != 2 * n)
        return -1;
    for (size_t i = 0; i < n; i++) {
        int hi = core_hexval(hex[2 * i]), lo = core_hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

int det_file_ok(const struct rule *r, const struct det_insp *in)
{
    const struct rule_file *rf = r->file;
    if (!rf)
        return 1;
    const struct detect_file *f = in->file;
    if (!f)
        return 0;
    const char *hex[RULE_FILE_HASHES] = {f->md5, f->sha1, f->sha256};
    for (int i = 0; i < RULE_FILE_HASHES; i++) {
        if (!rf->hash[i])
            continue;
        uint8_t d[32];
        /* no hash (a gap): neither listed nor known to be absent */
        if (hex_to_bin(hex[i], d, rf->hash[i]->hlen) < 0)
            return 0;
        if (rule_hashlist_has(rf->hash[i], d) == rf->hash_neg[i])
            return 0;
    }
    if (rf->has_size) {
        /* a file with gaps: only "greater than" can be known (Suricata) */
        if (f->gaps && rf->size.op != RULE_NUM_GT && rf->size.op != RULE_NUM_GE)
            return 0;
        if (!rule_num_match(&rf->size, f->size))
            return 0;
    }
    return 1;
}

/* ---- file.magic ------------------------------------------------------------ */

static _Thread_local magic_t file_magic; /* per analysis worker (libmagic is not thread-safe) */
static _Thread_local int file_magic_failed;

static const char *magic_describe(const uint8_t *p, size_t n)
{
    if (!n || file_magic_failed)
        return NULL;
    if (!file_magic) {
        file_magic = magic_open(MAGIC_NO_CHECK_COMPRESS);
        if (!file_magic || magic_load(file_magic, NULL) != 0) {
            if (file_magic)
                magic_close(file_magic);
            file_magic = NULL;
            file_magic_failed = 1;
            return NULL;
        }
    }
    return magic_buffer(file_magic, p, n);
}

void det_file_magic_free(void)
{
    if (file_magic)
        magic_close(file_magic);
    file_magic = NULL;
    file_magic_failed = 0;
}

/* ---- inspections ------------------------------------------------------------ */

static uint8_t app_of_source(const char *source)
{
    if (!source)
        return 0;
    if (strcmp(source, "HTTP") == 0)
        return RULE_PROTO_HTTP;
    if (strcmp(source, "SMTP") == 0)
        return RULE_PROTO_SMTP;
    if (strcmp(source, "FTP_DATA") == 0)
        return RULE_PROTO_FTP_DATA;
    return 0; /* certificates (SSL) and others are not files to Suricata's rules */
}

int detect_file_wanted(void)
{
    struct detect_engine *e = det_current();
    if (!e || !e->n_files)
        return 0;
    return DETECT_FILE_WANT | (e->file_data ? DETECT_FILE_DATA : 0) |
           (e->file_hashes ? DETECT_FILE_HASHES : 0);
}

static void file_inspect(struct detect_engine *e, const struct detect_file *f)
{
    uint8_t app = app_of_source(f->source);
    struct det_insp in;
    det_tx_insp_init(&in, f->conn, app, f->to_server);
    e->ctr.records++;
    in.file = f;
    in.buf[RULE_BUF_FILE_DATA] = f->data;
    in.len[RULE_BUF_FILE_DATA] = f->data_len;
    in.have[RULE_BUF_FILE_DATA] = 1;
    if (f->name) {
        in.buf[RULE_BUF_FILE_NAME] = (const uint8_t *)f->name;
        in.len[RULE_BUF_FILE_NAME] = (uint32_t)f->name_len;
        in.have[RULE_BUF_FILE_NAME] = 1;
    }
    const char *magic = e->file_magic ? magic_describe(f->head, f->head_len) : NULL;
    if (magic) {
        in.buf[RULE_BUF_FILE_MAGIC] = (const uint8_t *)magic;
        in.len[RULE_BUF_FILE_MAGIC] = (uint32_t)strlen(magic);
        in.have[RULE_BUF_FILE_MAGIC] = 1;
    }
    det_inspect_list(e, e->files, e->n_files, &in);
}

/* ---- files held for their acknowledgement ----------------------------------- */

/* A held file.  Its data is the caller's buffer, taken over (owned), or a
 * copy; its head and name are copied.  The copy buffer stays with the slot
 * from file to file (no allocation per file once it is big enough). */
struct file_pending {
    int used;
    uint64_t order;
    char uid[32], cid[64];
    struct proto_conn conn;
    struct detect_file f;
    char source[12], md5[33], sha1[41], sha256[65];
    const struct det_flow *fs; /* its flow's slot (the uid's: compared first) */
    uint8_t *owned; /* the caller's data buffer, freed when the file is inspected */
    uint8_t *copy;  /* head, name (and data when not owned) */
    size_t copy_cap;
    uint32_t end_seq; /* the file's direction had reached this sequence number */
    int acked;
};
static _Thread_local struct file_pending pending[DETECT_FILE_PENDING]; /* per worker */
static _Thread_local uint64_t pending_order;
static _Thread_local int pending_used; /* slots in use: 0, and a packet looks at none */
static _Thread_local uint64_t pending_flows[4]; /* filter: a bit per hashed flow slot held */

static unsigned flow_bit(const struct det_flow *fs)
{
    uint64_t h = (uint64_t)(uintptr_t)fs * 0x9e3779b97f4a7c15ULL;
    return (unsigned)(h >> 56); /* 0-255 */
}

static void flows_mark(const struct det_flow *fs)
{
    unsigned b = flow_bit(fs);
    pending_flows[b / 64] |= (uint64_t)1 << (b % 64);
}

static int flows_may_hold(const struct det_flow *fs)
{
    unsigned b = flow_bit(fs);
    return (pending_flows[b / 64] >> (b % 64)) & 1;
}

static void pending_fire(struct file_pending *p)
{
    struct detect_engine *e = det_current();
    p->used = 0;
    pending_used--;
    memset(pending_flows, 0, sizeof(pending_flows)); /* the filter, from the files still held */
    for (int i = 0; i < DETECT_FILE_PENDING; i++)
        if (pending[i].used)
            flows_mark(pending[i].fs);
    if (e)
        file_inspect(e, &p->f);
    free(p->owned);
    p->owned = NULL;
}

static void hexcpy(char *dst, size_t n, const char *src, const char **out)
{
    if (src) {
        snprintf(dst, n, "%s", src);
        *out = dst;
    } else {
        *out = NULL;
    }
}

/* Hold f in a slot (the oldest is inspected when all are in use): 1 held
 * with f->data_buf taken over, 0 held (copied), -1 not held. */
static int pending_add(const struct detect_file *f, const struct det_flow *fs, uint32_t end_seq)
{
    struct file_pending *p = NULL, *oldest = NULL;
    for (int i = 0; i < DETECT_FILE_PENDING && !p; i++) {
        if (!pending[i].used)
            p = &pending[i];
        else if (!oldest || pending[i].order < oldest->order)
            oldest = &pending[i];
    }
    if (!p) {
        pending_fire(oldest);
        p = oldest;
    }
    int take = f->data_buf && f->data_buf == f->data;
    size_t total = (take ? 0 : (size_t)f->data_len) + f->head_len + f->name_len + 1;
    if (total > p->copy_cap) {
        uint8_t *c = realloc(p->copy, total);
        if (!c)
            return -1;
        p->copy = c;
        p->copy_cap = total;
    }
    uint8_t *copy = p->copy;
    size_t copy_cap = p->copy_cap;
    memset(p, 0, sizeof(*p));
    p->copy = copy;
    p->copy_cap = copy_cap;
    p->f = *f;
    p->f.data_buf = NULL;
    size_t at = 0;
    if (take) {
        p->owned = f->data_buf;
    } else {
        if (f->data_len)
            memcpy(copy, f->data, f->data_len);
        p->f.data = copy;
        at = f->data_len;
    }
    if (f->head_len)
        memcpy(copy + at, f->head, f->head_len);
    p->f.head = copy + at;
    at += f->head_len;
    char *name = (char *)copy + at;
    if (f->name_len)
        memcpy(name, f->name, f->name_len);
    name[f->name_len] = '\0';
    p->f.name = f->name ? name : NULL;
    snprintf(p->uid, sizeof(p->uid), "%s", f->conn->uid ? f->conn->uid : "");
    snprintf(p->cid, sizeof(p->cid), "%s", f->conn->community_id ? f->conn->community_id : "");
    p->conn = *f->conn;
    p->conn.uid = p->uid;
    p->conn.community_id = p->cid;
    p->f.conn = &p->conn;
    snprintf(p->source, sizeof(p->source), "%s", f->source ? f->source : "");
    p->f.source = p->source;
    hexcpy(p->md5, sizeof(p->md5), f->md5, &p->f.md5);
    hexcpy(p->sha1, sizeof(p->sha1), f->sha1, &p->f.sha1);
    hexcpy(p->sha256, sizeof(p->sha256), f->sha256, &p->f.sha256);
    p->fs = fs;
    p->end_seq = end_seq;
    p->order = ++pending_order;
    p->used = 1;
    pending_used++;
    flows_mark(fs);
    return take;
}

int detect_file(const struct detect_file *f)
{
    struct detect_engine *e = det_current();
    if (!e || !e->n_files || !f || !f->conn || !f->conn->uid)
        return 0;
    uint8_t app = app_of_source(f->source);
    if (!app)
        return 0;
    if (app == RULE_PROTO_SMTP && !f->name)
        return 0; /* Suricata: SMTP files are the attachments */
    struct det_flow *fs = det_flow_find(f->conn->uid, 0);
    if (app == RULE_PROTO_FTP_DATA && !(fs && fs->ftp_xfer))
        return 0; /* Suricata: ftp-data is a RETR or STOR transfer */
    int d = f->to_server ? 0 : 1;
    if (f->conn->ip_proto == 6 && fs && fs->have_isn[d] && fs->have_isn[1 - d]) {
        int held = pending_add(f, fs, fs->nxt[d]);
        if (held >= 0)
            return held;
    }
    file_inspect(e, f);
    return 0;
}

void det_file_packet(const struct det_stash *st)
{
    if (!pending_used || !st || !st->pkt || !flows_may_hold(st->fs))
        return;
    const struct pkt_ip *ip = packet_inner_const(st->pkt);
    if (!ip || ip->proto != 6 || !ip->t.valid)
        return;
    int n = pending_used; /* (a slot fired below still counts as looked at) */
    for (int i = 0, seen = 0; i < DETECT_FILE_PENDING && seen < n; i++) {
        struct file_pending *p = &pending[i];
        if (!p->used)
            continue;
        seen++;
        /* a uid has one slot: another slot is another flow */
        if (p->fs != st->fs || strncmp(p->uid, st->uid, sizeof(st->uid)) != 0)
            continue;
        if (p->f.to_server == st->to_server) {
            if (p->acked)
                pending_fire(p);
        } else if ((ip->t.tcp_flags & 0x10) && (int32_t)(ip->t.ack - p->end_seq) >= 0) {
            p->acked = 1;
        }
    }
}

void detect_app_end(const struct proto_conn *conn)
{
    if (!pending_used || !conn || !conn->uid)
        return;
    for (int i = 0; i < DETECT_FILE_PENDING; i++)
        if (pending[i].used && strcmp(pending[i].uid, conn->uid) == 0)
            pending_fire(&pending[i]);
}

void det_file_flush(void)
{
    for (int i = 0; i < DETECT_FILE_PENDING; i++) {
        if (pending[i].used)
            pending_fire(&pending[i]);
        free(pending[i].copy);
        pending[i].copy = NULL;
        pending[i].copy_cap = 0;
    }
    pending_order = 0;
    pending_used = 0;
}
