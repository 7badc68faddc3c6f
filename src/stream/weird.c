/*
 * weird.c - weird.log: the record type and Zeek's rules for which weirds
 * reach the log.
 *
 * Owns: weird_record_type (Zeek 8's Weird::Info columns: ts, uid, id.*,
 * name, addl, notice, peer, source) and struct weird_filter, the
 * suppression state.  Follows zeek/zeek scripts/base/frameworks/notice/
 * weird.zeek (do_weird):
 *
 *   name's action ── IGNORE ─────────────────────────────► drop
 *        │  (name, identifier) logged < 10 min ago ──────► drop   (weird_ignore, create_expire 10min)
 *        │  LOG_PER_ORIG / NOTICE_PER_ORIG: (name, orig_h) seen today ─► drop  (did_log/did_notice, 1 day)
 *        │  LOG_PER_CONN: (name, identifier) seen today ───► drop
 *        └► log (notice=T for NOTICE_*); remember (name, identifier) unless a checksum name
 *
 * identifier: the connection's "orig_h:orig_p > resp_h:resp_p" for
 * connection weirds, "src -> dst" for flow weirds, "" for net weirds.
 * Zeek's C++ sampling (Weird::sampling_threshold 1000 per connection and
 * name) can never trigger under the 10-minute rule for one connection, so
 * it is not modelled.  The table holds hashes of the keys, at most
 * WEIRD_FILTER_MAX; when full it starts over (a repeat may be logged again).
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "stream/stream.h"

#define F(name, type, member) {name, type, offsetof(struct weird_record, member)}

static const struct record_field weird_fields[WEIRD_N_FIELDS] = {
    F("ts", RT_TIME, ts),
    F("uid", RT_STRING, uid),
    F("id.orig_h", RT_ADDR, orig_h),
    F("id.orig_p", RT_PORT, orig_p),
    F("id.resp_h", RT_ADDR, resp_h),
    F("id.resp_p", RT_PORT, resp_p),
    F("name", RT_STRING, name),
    F("addl", RT_STRING, addl),
    F("notice", RT_BOOL, notice),
    F("peer", RT_STRING, peer),
    F("source", RT_STRING, source),
};

const struct record_type weird_record_type = {
    .path = "weird",
    .fields = weird_fields,
    .n_fields = WEIRD_N_FIELDS,
    .size = sizeof(struct weird_record),
};

void weird_record_init(struct weird_record *r)
{
    memset(r, 0, sizeof(*r));
    r->hdr.type = &weird_record_type;
    for (size_t i = 0; i < WEIRD_N_FIELDS; i++)
        record_set_unset(&r->hdr, i, true);
    record_set_unset(&r->hdr, WEIRD_NOTICE, false);
}

/* ---- actions (weird.zeek's Weird::actions; default ACTION_LOG) ---------- */

enum weird_action { WA_LOG, WA_IGNORE, WA_PER_ORIG, WA_PER_CONN, WA_NOTICE_PER_ORIG };

static const struct {
    const char *name;
    enum weird_action action;
} weird_actions[] = {
    {"unsolicited_SYN_response", WA_IGNORE},
    {"FIN_after_reset", WA_IGNORE},
    {"spontaneous_FIN", WA_IGNORE},
    {"spontaneous_RST", WA_IGNORE},
    {"bad_ICMP_checksum", WA_PER_ORIG},
    {"bad_RPC", WA_PER_ORIG},
    {"bad_TCP_checksum", WA_PER_ORIG},
    {"bad_UDP_checksum", WA_PER_ORIG},
    {"bad_IP_checksum", WA_PER_ORIG},
    {"connection_originator_SYN_ack", WA_PER_ORIG},
    {"DNS_label_forward_compress_offset", WA_PER_ORIG},
    {"DNS_label_len_gt_name_len", WA_PER_ORIG},
    {"DNS_label_len_gt_pkt", WA_PER_ORIG},
    {"DNS_label_too_long", WA_PER_ORIG},
    {"excess_RPC", WA_PER_ORIG},
    {"originator_RPC_reply", WA_PER_ORIG},
    {"partial_RPC", WA_PER_ORIG},
    {"responder_RPC_call", WA_PER_ORIG},
    {"SYN_with_data", WA_PER_ORIG},
    {"UDP_datagram_length_mismatch", WA_PER_ORIG},
    {"excessively_small_fragment", WA_PER_ORIG},
    {"fragment_inconsistency", WA_PER_ORIG},
    {"fragment_overlap", WA_PER_ORIG},
    {"fragment_size_inconsistency", WA_PER_ORIG},
    {"FTP_max_command_length_exceeded", WA_PER_CONN},
    {"FTP_too_many_pending_commands", WA_PER_CONN},
    {"FTP_user_too_long", WA_PER_CONN},
    {"FTP_reply_msg_too_long", WA_PER_CONN},
    {"FTP_arg_too_long", WA_PER_CONN},
    {"FTP_password_too_long", WA_PER_CONN},
    {"simultaneous_open", WA_PER_CONN},
    {"smtp_mail_transaction_invalid", WA_PER_CONN},
    {"smtp_excessive_invalid_mail_transactions", WA_PER_CONN},
    {"smb_tree_connect_andx_response_without_tree", WA_PER_CONN},
    {"FIN_storm", WA_NOTICE_PER_ORIG},
    {"SYN_after_partial", WA_NOTICE_PER_ORIG},
    {"successful_RPC_reply_to_invalid_request", WA_NOTICE_PER_ORIG},
};

static enum weird_action weird_action_of(const char *name)
{
    for (size_t i = 0; i < sizeof(weird_actions) / sizeof(weird_actions[0]); i++)
        if (strcmp(weird_actions[i].name, name) == 0)
            return weird_actions[i].action;
    return WA_LOG;
}

static bool weird_repeats_kept(const char *name)
{
    return strcmp(name, "bad_IP_checksum") == 0 || strcmp(name, "bad_TCP_checksum") == 0 ||
           strcmp(name, "bad_UDP_checksum") == 0 || strcmp(name, "bad_ICMP_checksum") == 0;
}

/* ---- the filter: hashed keys with an expiry time ----------------------------- */

#define WEIRD_FILTER_MAX 65536 /* slots at most, a power of two; half may be used */
#define WEIRD_FILTER_MIN 64    /* slots at first: the table grows by doubling */
#define NS 1000000000LL
#define WEIRD_IGNORE_NS (600 * NS)
#define WEIRD_DID_LOG_NS (86400 * NS)

struct weird_slot {
    uint64_t key; /* 0 = empty */
    int64_t until;
};

/* Open addressing, linear probing.  The table starts small (1 KiB) and
 * doubles while half full, up to WEIRD_FILTER_MAX slots (1 MiB); full at
 * that size it is cleared, as before.  A run that raises few weirds (a
 * fuzz input, a short capture) so pays for a few slots only. */
struct weird_filter {
    struct weird_slot *slot;
    uint32_t cap;
    uint32_t used;
};

struct weird_filter *weird_filter_new(void)
{
    struct weird_filter *w = calloc(1, sizeof(*w));
    if (!w)
        return NULL;
    w->cap = WEIRD_FILTER_MIN;
    w->slot = calloc(w->cap, sizeof(*w->slot));
    if (!w->slot) {
        free(w);
        return NULL;
    }
    return w;
}

void weird_filter_free(struct weird_filter *w)
{
    if (!w)
        return;
    free(w->slot);
    free(w);
}

static uint64_t key_hash(const char *table, const char *a, const void *b, size_t blen)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    const char *parts[2] = {table, a};
    for (int i = 0; i < 2; i++) {
        for (const char *p = parts[i]; *p; p++)
            h = (h ^ (uint8_t)*p) * 0x100000001b3ULL;
        h = (h ^ 0xff) * 0x100000001b3ULL;
    }
    for (size_t i = 0; i < blen; i++)
        h = (h ^ ((const uint8_t *)b)[i]) * 0x100000001b3ULL;
    return h ? h : 1;
}

static struct weird_slot *slot_find(struct weird_slot *slot, uint32_t cap, uint64_t key)
{
    uint32_t i = (uint32_t)(key ^ (key >> 32)) & (cap - 1);
    for (uint32_t n = 0; n < cap; n++, i = (i + 1) & (cap - 1))
        if (slot[i].key == key || slot[i].key == 0)
            return &slot[i];
    return NULL;
}

static struct weird_slot *filter_find(struct weird_filter *w, uint64_t key)
{
    return slot_find(w->slot, w->cap, key);
}

static bool filter_has(struct weird_filter *w, uint64_t key, int64_t now)
{
    struct weird_slot *s = filter_find(w, key);
    return s && s->key == key && s->until > now;
}

/* Double the table (rehashing every key); false when at the maximum or
 * out of memory. */
static bool filter_grow(struct weird_filter *w)
{
    if (w->cap >= WEIRD_FILTER_MAX)
        return false;
    uint32_t ncap = w->cap * 2;
    struct weird_slot *n = calloc(ncap, sizeof(*n));
    if (!n)
        return false;
    for (uint32_t i = 0; i < w->cap; i++)
        if (w->slot[i].key)
            *slot_find(n, ncap, w->slot[i].key) = w->slot[i];
    free(w->slot);
    w->slot = n;
    w->cap = ncap;
    return true;
}

static void filter_add(struct weird_filter *w, uint64_t key, int64_t until)
{
    if (w->used >= w->cap / 2 && !filter_grow(w)) {
        memset(w->slot, 0, (size_t)w->cap * sizeof(*w->slot));
        w->used = 0;
    }
    struct weird_slot *s = filter_find(w, key);
    if (!s)
        return;
    if (s->key == 0)
        w->used++;
    s->key = key;
    s->until = until;
}

bool weird_filter_pass(struct weird_filter *w, const char *name, const char *ident,
                       const struct raddr *orig, int64_t ts)
{
    enum weird_action a = weird_action_of(name);
    if (a == WA_IGNORE)
        return false;
    uint64_t ik = key_hash("ignore", name, ident, strlen(ident));
    if (filter_has(w, ik, ts))
        return false;
    if (a == WA_PER_ORIG || a == WA_NOTICE_PER_ORIG || a == WA_PER_CONN) {
        uint64_t dk = a == WA_PER_CONN ? key_hash("did_log", name, ident, strlen(ident))
                      : orig ? key_hash("did_log", name, orig, sizeof(*orig))
                             : key_hash("did_log", name, ident, strlen(ident));
        if (filter_has(w, dk, ts))
            return false;
        filter_add(w, dk, ts + WEIRD_DID_LOG_NS);
    }
    if (!weird_repeats_kept(name))
        filter_add(w, ik, ts + WEIRD_IGNORE_NS);
    return true;
}

bool weird_is_notice(const char *name)
{
    return weird_action_of(name) == WA_NOTICE_PER_ORIG;
}
