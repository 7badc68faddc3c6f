/*
 * proto_harness.h - the fake app layer and the chunk driver shared by the
 * protocol fuzz harnesses (fuzz/fuzz_<proto>.c).
 *
 * A harness fills a struct proto_conn, picks the input format its stored
 * seeds (fuzz/corpus/<harness>/, fuzz/regress/<harness>/) are written in
 * and calls harness_drive(); the formats are described at enum
 * harness_format.
 */
#ifndef VIGIL_FUZZ_PROTO_HARNESS_H
#define VIGIL_FUZZ_PROTO_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include "proto/proto.h"

enum harness_format {
    /* Pieces split at each "\n--\n", in alternating directions (orig
     * first); a piece "GAP" is a content gap of 7 bytes (when the parser
     * has a gap callback).  Results are ignored; ts starts at ts0 and
     * grows by ts_step after each piece. */
    HARNESS_SPLIT,
    /* Steps: a control byte, a length byte, that many payload bytes.
     * Control bit 0: direction; bit 1: eof after the payload; bit 2: a gap
     * of (control >> 3) * 37 bytes before it.  The probe sees the first
     * non-empty chunk of each direction; feeding stops at the first result
     * that is not PROTO_OK (a gap: PROTO_DONE); a closed direction is fed
     * no more.  ts grows by ts_step before each step. */
    HARNESS_STEP_EOF,
    /* Steps as above, but control bit 1 is a gap of (control >> 2) * 13
     * bytes before the payload and there is no eof; the probe sees every
     * chunk; results are ignored.  ts grows by ts_step before each step. */
    HARNESS_STEP_GAP,
    /* Frames: one header byte (bit 7: direction, 0 orig / 1 resp; bits
     * 0-6: length 0..127) and that many bytes.  Feeding stops at the
     * first result that is not PROTO_OK; flags below choose the rest.
     * ts starts at ts0 and grows by ts_step after each frame. */
    HARNESS_FRAME,
};

/* HARNESS_FRAME options. */
#define HARNESS_PROBE_FIRST 1u    /* the probe sees each direction's first frame */
#define HARNESS_EMPTY_GAP 2u      /* an empty frame is a content gap of 10 bytes (no gap(): stop) */
#define HARNESS_EMPTY_SKIP 4u     /* an empty frame is not fed (else: parsed empty) */
#define HARNESS_STOP_ON_SWITCH 8u /* nothing more is fed after a proto_switch() */
#define HARNESS_TS_OFFSET 16u     /* ts is the frame's offset in the input * 1000 */

struct harness_opts {
    enum harness_format format;
    unsigned flags;
    int64_t ts0, ts_step;
    int switch_ret; /* what proto_switch() returns */
    int expect_ret; /* what proto_expect() returns */
    /* The ports the probe is called with (HARNESS_STEP_EOF); the other
     * formats use the connection's own. */
    uint16_t probe_orig_p, probe_resp_p;
};

/* Run one input through parser p on a fake connection that is a copy of
 * conn: state_new, the chunks as o->format reads them, state_free. */
void harness_drive(const struct proto_parser *p, const struct proto_conn *conn, const uint8_t *data,
                   size_t size, const struct harness_opts *o);

/* harness_drive on the TCP session the framed harnesses share:
 * 10.0.0.0:40000 -> 8.0.0.0:resp_p, uid "Cfuzz". */
void harness_drive_tcp(const struct proto_parser *p, uint16_t resp_p, const uint8_t *data,
                       size_t size, const struct harness_opts *o);

/* The options of the STARTTLS-style parsers (IMAP, POP3, SOCKS): framed,
 * each side's first frame through the probe, empty frames skipped, nothing
 * fed after a switch (which succeeds), expectations refused. */
extern const struct harness_opts harness_opts_switching;

/* The options of the framing-only identifiers (SMB, DCE/RPC): framed, each
 * side's first frame through the probe, an empty frame a gap (they have no
 * gap(): feeding stops), switches and expectations refused. */
extern const struct harness_opts harness_opts_framing;

#endif
