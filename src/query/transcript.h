/*
 * transcript.h - one conversation as text: Sguil's transcript pivot
 * (`vigil transcript`, docs/transcript.md).
 *
 * transcript.c collects: it runs the analysis pipeline over captures (the
 * same flow table, so the same uids as `vigil analyze` writes for the same
 * sensor name), picks one session - by uid, or the Nth TCP/UDP session a
 * BPF expression matches - and reassembles its two directions with the
 * reassembler of src/stream (stream_dir_*: the app layer's overlap and gap
 * policy) into per-direction byte buffers and a list of chunks in delivery
 * order.  transcript_render.c prints it: Sguil's header and SRC:/DST:
 * labelled text, a hex dump, HTTP bodies decoded, or one direction raw.
 *
 * Ownership: struct transcript owns its buffers; transcript_free() frees
 * them (not the struct itself).
 */
#ifndef VIGIL_QUERY_TRANSCRIPT_H
#define VIGIL_QUERY_TRANSCRIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/record.h"

enum { TRANSCRIPT_ORIG = 0, TRANSCRIPT_RESP = 1 };

/* One delivery: data (buf[dir][off, off+len)) or a gap of len bytes. */
struct transcript_chunk {
    uint8_t dir;  /* TRANSCRIPT_ORIG / TRANSCRIPT_RESP */
    uint8_t gap;  /* 1: len bytes missing */
    int64_t ts;   /* ns */
    uint64_t off; /* data: offset in buf[dir]; gap: bytes of buf[dir] before it */
    uint64_t len;
};

/* One candidate session of a filter (transcript_collect's list). */
struct transcript_session {
    char uid[24];
    uint8_t proto;              /* 6 or 17 */
    struct raddr orig_h, resp_h;
    uint16_t orig_p, resp_p;
    bool have_conn;             /* orig/resp from the conn record */
};

struct transcript {
    char uid[24];
    char sensor[64];
    uint8_t proto;              /* 6 TCP, 17 UDP */
    struct raddr orig_h, resp_h;
    uint16_t orig_p, resp_p;
    int64_t first_ns, last_ns;  /* first and last packet of the session */
    uint64_t packets;
    uint8_t *buf[2];            /* delivered bytes per direction, gaps not included */
    size_t len[2], cap[2];
    uint64_t missing[2];        /* gap bytes per direction */
    bool eof[2];                /* the direction ended with a FIN that was reached */
    struct transcript_chunk *chunks;
    size_t n_chunks, cap_chunks;
    /* Selection by filter: the sessions it matched (first match order). */
    struct transcript_session *cand;
    size_t n_cand, cap_cand;
    size_t chosen;              /* index in cand of the session collected */
};

struct transcript_query {
    const char *const *paths;   /* capture files, directories, globs */
    int npaths;
    const char *sensor;         /* default "vigil" */
    const char *uid;            /* select by uid ... */
    const char *bpf;            /* ... or the index-th session a packet of which matches */
    unsigned index;             /* 1-based; 0 = the first */
    bool list_only;             /* fill cand only (every TCP/UDP session when bpf is NULL) */
    bool progress;              /* progress line on a TTY */
    size_t memcap;              /* reassembly memory cap; 0 = the app layer's default */
    bool vlan_key;              /* VLANs in the session key (analyze --vlan-key) */
};

/* transcript_collect() results besides 0. */
enum {
    TRANSCRIPT_ERROR = -1,      /* input unreadable, out of memory: sentence in err */
    TRANSCRIPT_NOT_FOUND = -2,  /* no such uid / nothing matched / index too big: sentence */
    TRANSCRIPT_BAD_FILTER = -3, /* the BPF expression does not compile: sentence */
    TRANSCRIPT_DAMAGED = 1,     /* collected, but some input was damaged (warning in err) */
};

/* Collect the session q selects into *t (zeroed first). */
int transcript_collect(const struct transcript_query *q, struct transcript *t, char *err,
                       size_t errlen);

void transcript_free(struct transcript *t);

/* ---- rendering (transcript_render.c) ---- */

enum transcript_mode { TRANSCRIPT_TEXT, TRANSCRIPT_HEX };

struct transcript_render_opts {
    enum transcript_mode mode;
    bool decode;                /* HTTP bodies de-chunked and decompressed */
    bool color;                 /* ANSI colours: SRC red, DST blue */
    bool header;                /* Sguil's header block (default on) */
};

/* Sguil's header, then every chunk labelled.  0, or -1 on a write error. */
int transcript_render(FILE *out, const struct transcript *t,
                      const struct transcript_render_opts *o);

/* Gaps up to this size are written as NUL bytes by transcript_write_raw. */
#define TRANSCRIPT_GAP_FILL_MAX (1u << 20)

/* One direction's bytes exactly, gaps up to TRANSCRIPT_GAP_FILL_MAX written
 * as that many NUL bytes (offsets stay those of the stream, as tcpflow
 * leaves holes); bigger gaps (a capture that missed most of a transfer)
 * are left out and their bytes added to *unfilled.  0, or -1 on a write
 * error. */
int transcript_write_raw(FILE *out, const struct transcript *t, int dir, uint64_t *unfilled);

/* "192.0.2.1" / "2001:db8::1" into buf. */
void transcript_addr_text(const struct raddr *a, char *buf, size_t len);

/* ---- HTTP bodies for --decode (transcript_http.c) ---- */

/* One message body whose wire form differs from its content (chunked
 * framing or a gzip/deflate coding): wire bytes [start, end) of the
 * direction's buffer stand for data[0, len). */
struct transcript_body {
    uint64_t start, end;
    uint8_t *data;
    size_t len;
    char desc[96];              /* "chunked, gzip: 1234 bytes on the wire" */
};

/* Frame one direction's bytes (buf[0, len), no gaps inside) as HTTP/1.x
 * messages and decode every chunked or compressed body.  Returns the
 * number of bodies in *out (caller frees with transcript_bodies_free), 0
 * when the direction is not HTTP or has none, -1 when out of memory. */
long transcript_http_bodies(const uint8_t *buf, size_t len, struct transcript_body **out);

void transcript_bodies_free(struct transcript_body *b, long n);

#endif
