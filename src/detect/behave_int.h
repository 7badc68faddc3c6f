/*
 * behave_int.h - what the behavioural detectors share inside src/detect:
 * the wrapper output, a small bounded hash table keyed by addresses and a
 * port, and the notice/alert emitter.  behave.c owns the wrapper and the
 * options, behave_scan.c the scan and SSH guessing tables, behave_beacon.c
 * the beacon pairs and RITA's score.
 */
#ifndef VIGIL_DETECT_BEHAVE_INT_H
#define VIGIL_DETECT_BEHAVE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/record.h"
#include "detect/behave.h"

/* The key of every table: a kind, up to two addresses and a port. */
struct bkey {
    uint8_t kind;
    uint8_t fam1, fam2;
    uint8_t pad;
    uint16_t port;
    uint8_t a1[16], a2[16];
};

/* A node begins with this; the owner's state follows. */
struct bnode {
    struct bnode *next;
    uint64_t h;
    struct bkey key;
};

struct btab {
    struct bnode **b;
    size_t nb, n, max;
    uint64_t seed[2];
};

int btab_init(struct btab *t, size_t max);
/* The node of key, or NULL. */
struct bnode *btab_find(struct btab *t, const struct bkey *k);
/* Adds a zeroed node of size bytes for key (not already there); NULL when
 * the table is full or out of memory. */
struct bnode *btab_add(struct btab *t, const struct bkey *k, size_t size);
/* Removes and frees (with fr first, if set) every node for which
 * drop(node, ctx) is true. */
void btab_sweep(struct btab *t, bool (*drop)(struct bnode *, void *), void *ctx,
                void (*fr)(struct bnode *));
void btab_free(struct btab *t, void (*fr)(struct bnode *));

/* Notes, their alert sid (gid BEHAVE_GID) and names. */
#define BEHAVE_GID 9000
enum behave_note { BN_ADDRESS_SCAN = 1, BN_PORT_SCAN, BN_SSH_GUESSING, BN_FTP_BRUTEFORCE,
                   BN_BEACON };

struct behave_notice {
    enum behave_note note;
    int64_t ts;
    const char *msg, *sub;
    const struct raddr *src, *dst;
    int has_p;
    uint64_t p;
    const char *proto;            /* "tcp"/"udp" for p, or NULL */
    const struct raddr *ident;    /* suppression identifier (Zeek's $identifier) */
    uint16_t ident_port;          /* part of the identifier (beacons: none) */
    const struct raddr *ident2;   /* second address of the identifier, or NULL */
    int has_n;
    uint64_t n;                   /* notice.log n */
    int64_t suppress_ns;          /* 0: the configured suppress_ns */
};

struct behave;
struct behave_scan;
struct behave_beacon;

/* Writes the notice and its alert downstream unless (note, identifier)
 * is suppressed; 1 written, 0 suppressed. */
int behave_raise(struct behave *b, const struct behave_notice *n);
const struct behave_config *behave_cfg(const struct behave *b);
struct behave_counters *behave_ctr(struct behave *b);

struct behave_scan *behave_scan_new(struct behave *b);
void behave_scan_conn(struct behave_scan *s, const struct record_hdr *conn);
void behave_scan_ssh(struct behave_scan *s, const struct record_hdr *ssh);
void behave_scan_free(struct behave_scan *s);

struct behave_beacon *behave_beacon_new(struct behave *b);
void behave_beacon_conn(struct behave_beacon *s, const struct record_hdr *conn);
/* Scores every pair over the window ending at the latest record time. */
void behave_beacon_run(struct behave_beacon *s);
void behave_beacon_free(struct behave_beacon *s);

/* "1.2.3.4" / "2001:db8::1" */
void behave_addr_text(const struct raddr *a, char *buf, size_t n);

#endif
