/*
 * transcript_render.c - printing a collected conversation the way Sguil's
 * transcript window shows it (docs/transcript.md).
 *
 * Owns: the output format only.  Header: Sensor Name, Timestamp (first
 * packet, UTC), Connection ID (the uid), Src IP, Dst IP, Src Port, Dst
 * Port, then Protocol and the session's end; a rule of '='.  Then every
 * chunk in delivery order, every line of it prefixed "SRC: " (originator)
 * or "DST: " (responder).  Text escaping (chosen, documented): bytes 0x20
 * to 0x7e and tab print as themselves (a '\' too: the text is for reading;
 * --hex and --raw are exact); LF ends the line and a CR right before it is
 * dropped; every other byte prints as \xNN.  A gap is
 * its own line "[N bytes missing]".  --hex: per chunk, lines of 16 bytes
 * "OFFSET  hex  |ascii|" with the offset in the direction's stream.
 * --decode: HTTP bodies that are chunked or compressed print decoded
 * after a line "[http body: <framing>: N bytes on the wire]".  Colour:
 * SRC red, DST blue (Wireshark's Follow Stream colours), reset per line.
 */
#include <arpa/inet.h>
#include <string.h>
#include <time.h>

#include "query/transcript.h"

#define C_SRC "\033[31m"
#define C_DST "\033[34m"
#define C_OFF "\033[0m"

struct tr_pen {
    FILE *out;
    const struct transcript_render_opts *o;
    int dir;
    bool at_bol;                /* at the beginning of a line */
};

void transcript_addr_text(const struct raddr *a, char *buf, size_t len)
{
    if (!a->family || !inet_ntop(a->family == 6 ? AF_INET6 : AF_INET, a->a, buf, (socklen_t)len))
        snprintf(buf, len, "-");
}

static void ts_text(int64_t ns, char *buf, size_t len)
{
    time_t s = (time_t)(ns / 1000000000LL);
    struct tm tm;
    char d[32];
    gmtime_r(&s, &tm);
    strftime(d, sizeof(d), "%Y-%m-%d %H:%M:%S", &tm);
    snprintf(buf, len, "%s.%06ld UTC", d, (long)((ns % 1000000000LL) / 1000));
}

static void render_header(FILE *out, const struct transcript *t)
{
    char a[64], b[64], s[64], e[64];
    transcript_addr_text(&t->orig_h, a, sizeof(a));
    transcript_addr_text(&t->resp_h, b, sizeof(b));
    ts_text(t->first_ns, s, sizeof(s));
    ts_text(t->last_ns, e, sizeof(e));
    fprintf(out,
            "Sensor Name:   %s\nTimestamp:     %s\nConnection ID: %s\nSrc IP:        %s\n"
            "Dst IP:        %s\nSrc Port:      %u\nDst Port:      %u\nProtocol:      %s\n"
            "End:           %s\n",
            t->sensor, s, t->uid, a, b, t->orig_p, t->resp_p, t->proto == 6 ? "tcp" : "udp", e);
    fprintf(out, "======================================================================"
                 "==========\n\n");
}

static void pen_bol(struct tr_pen *pn)
{
    if (!pn->at_bol)
        return;
    if (pn->o->color)
        fputs(pn->dir == TRANSCRIPT_ORIG ? C_SRC : C_DST, pn->out);
    fputs(pn->dir == TRANSCRIPT_ORIG ? "SRC: " : "DST: ", pn->out);
    pn->at_bol = false;
}

static void pen_eol(struct tr_pen *pn)
{
    if (pn->at_bol)
        return;
    if (pn->o->color)
        fputs(C_OFF, pn->out);
    fputc('\n', pn->out);
    pn->at_bol = true;
}

/* Escaped text of p[0, n) (see the file comment). */
static void pen_text(struct tr_pen *pn, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        if (c == '\n') {
            pen_bol(pn);
            pen_eol(pn);
            continue;
        }
        pen_bol(pn);
        if (c == '\r' && i + 1 < n && p[i + 1] == '\n')
            continue;
        if ((c >= 0x20 && c < 0x7f) || c == '\t')
            fputc(c, pn->out);
        else
            fprintf(pn->out, "\\x%02x", c);
    }
}

/* Hex dump of p[0, n) whose first byte is at stream offset off. */
static void pen_hex(struct tr_pen *pn, const uint8_t *p, size_t n, uint64_t off)
{
    for (size_t i = 0; i < n; i += 16) {
        size_t k = n - i < 16 ? n - i : 16;
        pen_bol(pn);
        fprintf(pn->out, "%08llx  ", (unsigned long long)(off + i));
        for (size_t j = 0; j < 16; j++) {
            if (j < k)
                fprintf(pn->out, "%02x ", p[i + j]);
            else
                fputs("   ", pn->out);
            if (j == 7)
                fputc(' ', pn->out);
        }
        fputs(" |", pn->out);
        for (size_t j = 0; j < k; j++)
            fputc(p[i + j] >= 0x20 && p[i + j] < 0x7f ? p[i + j] : '.', pn->out);
        fputc('|', pn->out);
        pen_eol(pn);
    }
}

static void pen_bytes(struct tr_pen *pn, const uint8_t *p, size_t n, uint64_t off)
{
    if (pn->o->mode == TRANSCRIPT_HEX)
        pen_hex(pn, p, n, off);
    else
        pen_text(pn, p, n);
}

/* A line of its own in brackets: a gap or a decoded body's heading. */
static void pen_note(struct tr_pen *pn, const char *text)
{
    pen_eol(pn);
    pen_bol(pn);
    fputs(text, pn->out);
    pen_eol(pn);
}

struct tr_dirbodies {
    struct transcript_body *b;
    long n, next;               /* next: first body not yet passed */
    bool on;                    /* decoding applies (no gap before this point) */
};

/* A data chunk with decoded bodies substituted for their wire bytes. */
static void render_decoded(struct tr_pen *pn, const struct transcript *t,
                           const struct transcript_chunk *c, struct tr_dirbodies *db)
{
    const uint8_t *buf = t->buf[c->dir];
    uint64_t p = c->off, end = c->off + c->len;
    while (p < end) {
        while (db->next < db->n && db->b[db->next].end <= p)
            db->next++;
        struct transcript_body *b = db->next < db->n ? &db->b[db->next] : NULL;
        if (!b || b->start >= end) {
            pen_bytes(pn, buf + p, end - p, p);
            return;
        }
        if (b->start > p) {
            pen_bytes(pn, buf + p, b->start - p, p);
            p = b->start;
        }
        if (b->start == p) { /* the body starts here: print it decoded once */
            char note[160];
            snprintf(note, sizeof(note), "[http body: %zu bytes decoded from %s]", b->len,
                     b->desc);
            pen_note(pn, note);
            pen_bytes(pn, b->data, b->len, 0);
            pen_eol(pn);
        }
        p = b->end < end ? b->end : end;
    }
}

int transcript_render(FILE *out, const struct transcript *t,
                      const struct transcript_render_opts *o)
{
    struct tr_pen pn = {.out = out, .o = o, .dir = -1, .at_bol = true};
    struct tr_dirbodies db[2];
    memset(db, 0, sizeof(db));
    if (o->header)
        render_header(out, t);
    for (int d = 0; d < 2 && o->decode && t->proto == 6; d++) {
        /* bodies are framed on the bytes before the direction's first gap */
        uint64_t upto = t->len[d];
        for (size_t i = 0; i < t->n_chunks; i++)
            if (t->chunks[i].dir == d && t->chunks[i].gap) {
                upto = t->chunks[i].off;
                break;
            }
        db[d].n = transcript_http_bodies(t->buf[d], (size_t)upto, &db[d].b);
        if (db[d].n < 0)
            db[d].n = 0;
    }
    for (size_t i = 0; i < t->n_chunks; i++) {
        const struct transcript_chunk *c = &t->chunks[i];
        if ((int)c->dir != pn.dir || t->proto == 17) {
            pen_eol(&pn);
            pn.dir = c->dir;
        }
        if (c->gap) {
            char note[64];
            snprintf(note, sizeof(note), "[%llu bytes missing]", (unsigned long long)c->len);
            pen_note(&pn, note);
            continue;
        }
        if (db[c->dir].n)
            render_decoded(&pn, t, c, &db[c->dir]);
        else
            pen_bytes(&pn, t->buf[c->dir] + c->off, (size_t)c->len, c->off);
    }
    pen_eol(&pn);
    for (int d = 0; d < 2; d++)
        transcript_bodies_free(db[d].b, db[d].n);
    fflush(out);
    return ferror(out) ? -1 : 0;
}

int transcript_write_raw(FILE *out, const struct transcript *t, int dir, uint64_t *unfilled)
{
    static const uint8_t zeros[4096];
    *unfilled = 0;
    for (size_t i = 0; i < t->n_chunks; i++) {
        const struct transcript_chunk *c = &t->chunks[i];
        if (c->dir != dir)
            continue;
        if (!c->gap) {
            if (fwrite(t->buf[dir] + c->off, 1, (size_t)c->len, out) != c->len)
                return -1;
            continue;
        }
        if (c->len > TRANSCRIPT_GAP_FILL_MAX) {
            *unfilled += c->len;
            continue;
        }
        for (uint64_t left = c->len; left > 0;) {
            size_t k = left > sizeof(zeros) ? sizeof(zeros) : (size_t)left;
            if (fwrite(zeros, 1, k, out) != k)
                return -1;
            left -= k;
        }
    }
    return fflush(out) == 0 && !ferror(out) ? 0 : -1;
}
