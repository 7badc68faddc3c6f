/*
 * proto_fake.h - a fake app layer for the unit tests that run a protocol
 * parser through its descriptor without src/stream/applayer.c (test_http.c,
 * test_smtp.c, test_ftp.c, test_dns.c, test_dhcp.c, test_ssh.c,
 * test_ssl.c): the struct proto_ctx the parser is handed and what it
 * records, for the tests to assert on.
 */
#ifndef VIGIL_TESTS_PROTO_FAKE_H
#define VIGIL_TESTS_PROTO_FAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/proto.h"

struct proto_ctx {
    struct proto_conn conn;
    /* each record as Zeek TSV from field proto_fake_first on (default 1:
     * without ts), proto_fake_sep (default '|') between fields; its log */
    char rows[64][4096];
    const struct record_type *row_type[64];
    int n_rows;
    char weirds[2048]; /* "name;" per weird */
    int n_weirds;
    int confirms, switches, expects;
    char switched_to[16];
    struct raddr exp_orig, exp_resp;
    uint16_t exp_port;
    /* the fake child (one at a time): what it was fed, by direction */
    int child_opens, child_closes, child_open_now;
    char child_name[16];
    uint8_t child_bytes[2][256];
    size_t child_len[2];
    uint8_t child_done_on; /* a fed byte that makes the child answer PROTO_DONE */
    char services[64];     /* "name;" per proto_service_add() */
    /* the signature engine's inspection points, when proto_fake_inspect is
     * set: "DIR/TX:ID=TEXT,ID=TEXT... #NUM=V...;" per proto_inspect() (ID:
     * enum proto_ibuf, NUM: enum proto_inum, bytes outside 0x20..0x7e as '.') */
    char insp[4096];
    int n_insp;
    int encrypted; /* proto_encrypted() calls */
};

/* proto_inspecting()'s answer in every fake ctx (default false). */
extern bool proto_fake_inspect;

/* Copied into child_done_on of every new fake ctx. */
extern uint8_t proto_fake_done_on;

/* How proto_emit renders a record into rows[]: the first field written
 * (default 1, all but ts) and the character between fields (default '|';
 * '\t' is never inside a value, the TSV writer escapes it). */
extern size_t proto_fake_first;
extern char proto_fake_sep;

/* A new fake ctx (free() it): TCP 10.0.0.1:40000 -> 10.0.0.2:resp_p,
 * uid "CUnitTest". */
struct proto_ctx *proto_fake_new(uint16_t resp_p);

/* One chunk of a dialogue: the bytes of a NUL-terminated string. */
struct proto_fake_step {
    enum proto_dir dir;
    const char *data;
};

/* Run steps through p on a new fake ctx (resp_p: port), step i at ts i+1 s;
 * step split_step is cut in two at byte split (0: not cut).  The caller
 * frees the ctx returned. */
struct proto_ctx *proto_fake_run(const struct proto_parser *p, uint16_t port,
                                 const struct proto_fake_step *steps, size_t n, size_t split_step,
                                 size_t split);

/* The value of field `name` in row `row` ("" when the row or the field is
 * not there, or the field is before proto_fake_first); a static buffer. */
const char *proto_fake_field(const struct proto_ctx *c, int row, const char *name);

/* cmocka assertions: every step of the dialogue cut at every byte offset
 * gives the rows of the uncut run. */
void proto_fake_check_splits(const struct proto_parser *p, uint16_t port,
                             const struct proto_fake_step *steps, size_t n);

#endif
