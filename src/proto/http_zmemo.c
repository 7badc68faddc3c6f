/*
 * http_zmemo.c - a memo of inflated HTTP bodies: a compressed body whose
 * bytes arrive as those of a body inflated before in this thread gets that
 * body's decoded output replayed instead of running zlib over it again
 * (http_body.c uses it; docs/http.md).
 *
 * Why the replay is exact: http_body.c calls inflate once per piece of
 * compressed body it is given, and what one call delivers (its output
 * pieces, a weird, the decoder ending) depends only on the bytes of that
 * call and of the calls before it.  So an entry records, call by call, the
 * compressed bytes given, what came out in order (each delivery's bytes, each
 * weird's name) and the body's state after it (bytes inflated, decoder
 * finished); a body whose calls bring the same bytes in the same pieces
 * (length and memcmp) gets the same deliveries, weirds and state.  At the
 * first call that differs, http_body.c looks for another entry with the same
 * history and that call; failing that it runs zlib over the history without
 * delivering anything (which rebuilds the decoder's state) and goes on live,
 * recording a new entry that starts with the old one's history.
 *
 * Owns: one table per thread (entries chained in buckets by a key of their
 * first call), each entry's bytes (compressed input, decoded output, calls,
 * events).  Entries are only added, or freed all at once: an entry held by a
 * body (a reference per body replaying or recording it) stays; the others go
 * when the table would outgrow ZM_TOTAL.  An entry stops recording (sealed)
 * at ZM_ENTRY_MAX decoded bytes, when the budget is out, or when its body
 * ends; replaying past its last call is a difference like any other.
 */
#include <stdlib.h>
#include <string.h>

#include "proto/http.h"

#define ZM_BUCKETS 1024
#define ZM_TOTAL ((size_t)16 << 20)      /* bytes of all entries, per thread */
#define ZM_ENTRY_MAX ((size_t)4 << 20)   /* decoded bytes of one entry */
#define ZM_KEY_BYTES 64                  /* bytes of the first call in the key */

struct zm_call {
    uint32_t in_off, in_len; /* its compressed bytes in in[] */
    uint32_t ev_first, ev_n; /* its events in ev[] */
    uint64_t inflated;       /* the body's state after it */
    bool dead;
};

struct zm_ev {
    const char *weird; /* a weird's name (a string literal), or NULL: a delivery */
    uint32_t off, len; /* the delivery's bytes in out[] */
};

struct http_zmemo {
    struct http_zmemo *next; /* bucket chain */
    uint64_t key;
    uint32_t refs;
    bool sealed;
    uint8_t *in, *out;
    size_t in_len, in_cap, out_len, out_cap;
    struct zm_call *calls; /* n_calls complete; calls[n_calls] is the one recording */
    uint32_t n_calls, n_ev;
    size_t calls_cap, ev_cap;
    struct zm_ev *ev;
    size_t bytes; /* accounted in the table */
};

struct zm_table {
    struct http_zmemo *b[ZM_BUCKETS];
    size_t bytes;
};

static _Thread_local struct zm_table *zm_tab;
static _Thread_local struct http_zmemo_counters zm_ctr;

static uint64_t zm_key(const uint8_t *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull ^ n;
    size_t k = n < ZM_KEY_BYTES ? n : ZM_KEY_BYTES;
    for (size_t i = 0; i < k; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

static void zm_entry_free(struct http_zmemo *e)
{
    free(e->in);
    free(e->out);
    free(e->calls);
    free(e->ev);
    free(e);
}

/* Free every entry no body holds. */
static void zm_evict(struct zm_table *t)
{
    for (size_t i = 0; i < ZM_BUCKETS; i++)
        for (struct http_zmemo **pp = &t->b[i]; *pp;) {
            struct http_zmemo *e = *pp;
            if (e->refs) {
                pp = &e->next;
                continue;
            }
            *pp = e->next;
            t->bytes -= e->bytes;
            zm_entry_free(e);
        }
}

/* n more bytes for an entry: false when the budget is out. */
static bool zm_account(struct http_zmemo *e, size_t n)
{
    struct zm_table *t = zm_tab;
    if (t->bytes + n > ZM_TOTAL)
        zm_evict(t);
    if (t->bytes + n > ZM_TOTAL)
        return false;
    t->bytes += n;
    e->bytes += n;
    return true;
}

/* arr (capacity *cap elements of sz bytes) with room for need (> 0)
 * elements: arr itself, moved, or NULL (arr untouched) when the budget or
 * memory is out. */
static void *zm_grow(struct http_zmemo *e, void *arr, size_t *cap, size_t need, size_t sz)
{
    if (need <= *cap)
        return arr;
    size_t nc = *cap ? *cap : 16;
    while (nc < need)
        nc *= 2;
    if (!zm_account(e, (nc - *cap) * sz))
        return NULL;
    void *a = realloc(arr, nc * sz);
    if (!a) {
        zm_tab->bytes -= (nc - *cap) * sz;
        e->bytes -= (nc - *cap) * sz;
        return NULL;
    }
    *cap = nc;
    return a;
}

#define ZM_GROW(e, field, capf, need)                                                   \
    ((tmp = zm_grow((e), (e)->field, &(e)->capf, (need), sizeof(*(e)->field))) != NULL \
         ? ((e)->field = tmp, true)                                                     \
         : false)

/* Does call k of e bring exactly (p, n)? */
static bool zm_call_is(const struct http_zmemo *e, uint32_t k, const uint8_t *p, size_t n)
{
    return k < e->n_calls && e->calls[k].in_len == n &&
           memcmp(e->in + e->calls[k].in_off, p, n) == 0;
}

/* Do a and b have the same first k calls? */
static bool zm_same_history(const struct http_zmemo *a, const struct http_zmemo *b, uint32_t k)
{
    if (a->n_calls < k || b->n_calls < k)
        return false;
    for (uint32_t i = 0; i < k; i++)
        if (a->calls[i].in_len != b->calls[i].in_len)
            return false;
    size_t bytes = k ? a->calls[k - 1].in_off + a->calls[k - 1].in_len : 0;
    return memcmp(a->in, b->in, bytes) == 0;
}

struct http_zmemo *http_zmemo_find(struct http_zmemo *cur, uint32_t k, const uint8_t *p, size_t n)
{
    if (!zm_tab || n == 0 || (k > 0 && !cur))
        return NULL;
    if (cur && zm_call_is(cur, k, p, n))
        return cur;
    uint64_t key = k == 0 ? zm_key(p, n) : cur->key;
    for (struct http_zmemo *e = zm_tab->b[key % ZM_BUCKETS]; e; e = e->next)
        if (e != cur && e->key == key && e->n_calls > k && zm_call_is(e, k, p, n) &&
            (k == 0 || zm_same_history(e, cur, k)))
            return e;
    return NULL;
}

void http_zmemo_hold(struct http_zmemo *e)
{
    if (e)
        e->refs++;
}

/* Where the decoded bytes of the first nev events end. */
static size_t zm_out_end(const struct http_zmemo *e, size_t nev)
{
    for (size_t i = nev; i > 0; i--)
        if (!e->ev[i - 1].weird)
            return (size_t)e->ev[i - 1].off + e->ev[i - 1].len;
    return 0;
}

/* The recording call (if any) is dropped and nothing more is recorded. */
static void zm_seal(struct http_zmemo *e)
{
    if (e->sealed)
        return;
    e->sealed = true;
    const struct zm_call *c = e->n_calls ? &e->calls[e->n_calls - 1] : NULL;
    e->in_len = c ? (size_t)c->in_off + c->in_len : 0;
    e->n_ev = c ? c->ev_first + c->ev_n : 0;
    e->out_len = zm_out_end(e, e->n_ev);
}

void http_zmemo_release(struct http_zmemo *e, bool recorder)
{
    if (!e)
        return;
    if (recorder)
        zm_seal(e);
    if (e->refs)
        e->refs--;
}

void http_zmemo_replay(const struct http_zmemo *e, uint32_t k, const struct http_zmemo_sink *s,
                       uint64_t *inflated, bool *dead)
{
    const struct zm_call *c = &e->calls[k];
    for (uint32_t i = 0; i < c->ev_n; i++) {
        const struct zm_ev *v = &e->ev[c->ev_first + i];
        if (v->weird)
            s->weird(s->ctx, v->weird);
        else
            s->out(s->ctx, e->out + v->off, v->len);
    }
    *inflated = c->inflated;
    *dead = c->dead;
    zm_ctr.replayed++;
}

void http_zmemo_history(const struct http_zmemo *e, uint32_t k,
                        void (*call)(void *ctx, const uint8_t *p, size_t n), void *ctx)
{
    zm_ctr.rebuilt++;
    for (uint32_t i = 0; i < k && i < e->n_calls; i++)
        call(ctx, e->in + e->calls[i].in_off, e->calls[i].in_len);
}

/* Start recording call n_calls with input (p, n). */
static bool zm_call_begin(struct http_zmemo *e, const uint8_t *p, size_t n)
{
    void *tmp;
    if (e->sealed || e->in_len + n > UINT32_MAX / 2 || !ZM_GROW(e, in, in_cap, e->in_len + n) ||
        !ZM_GROW(e, calls, calls_cap, (size_t)e->n_calls + 1))
        return false;
    struct zm_call *c = &e->calls[e->n_calls];
    memset(c, 0, sizeof(*c));
    c->in_off = (uint32_t)e->in_len;
    c->in_len = (uint32_t)n;
    c->ev_first = e->n_ev;
    memcpy(e->in + e->in_len, p, n);
    e->in_len += n;
    return true;
}

bool http_zmemo_call_begin(struct http_zmemo *e, const uint8_t *p, size_t n)
{
    if (zm_call_begin(e, p, n))
        return true;
    zm_seal(e);
    return false;
}

struct http_zmemo *http_zmemo_record(const struct http_zmemo *from, uint32_t k, const uint8_t *p,
                                     size_t n)
{
    if (n == 0 || (k > 0 && (!from || from->n_calls < k)))
        return NULL;
    if (!zm_tab && !(zm_tab = calloc(1, sizeof(*zm_tab))))
        return NULL;
    struct http_zmemo *e = calloc(1, sizeof(*e));
    if (!e)
        return NULL;
    e->key = k == 0 ? zm_key(p, n) : from->key;
    e->refs = 1;
    zm_tab->bytes += sizeof(*e);
    e->bytes = sizeof(*e);
    if (k > 0) { /* the history: from's first k calls, their bytes and events */
        const struct zm_call *last = &from->calls[k - 1];
        size_t in = (size_t)last->in_off + last->in_len, nev = (size_t)last->ev_first + last->ev_n;
        size_t out = zm_out_end(from, nev);
        void *tmp;
        if (!ZM_GROW(e, in, in_cap, in) || !ZM_GROW(e, out, out_cap, out ? out : 1) ||
            !ZM_GROW(e, calls, calls_cap, k) || !ZM_GROW(e, ev, ev_cap, nev ? nev : 1)) {
            zm_tab->bytes -= e->bytes;
            zm_entry_free(e);
            return NULL;
        }
        memcpy(e->in, from->in, in);
        if (out)
            memcpy(e->out, from->out, out);
        memcpy(e->calls, from->calls, k * sizeof(*e->calls));
        if (nev)
            memcpy(e->ev, from->ev, nev * sizeof(*e->ev));
        e->in_len = in;
        e->out_len = out;
        e->n_calls = k;
        e->n_ev = (uint32_t)nev;
    }
    if (!zm_call_begin(e, p, n)) {
        zm_tab->bytes -= e->bytes;
        zm_entry_free(e);
        return NULL;
    }
    struct http_zmemo **b = &zm_tab->b[e->key % ZM_BUCKETS];
    e->next = *b;
    *b = e;
    return e;
}

/* One more event of the recording call; false: the entry is sealed. */
static bool zm_event(struct http_zmemo *e, const char *weird, const uint8_t *p, size_t n)
{
    void *tmp;
    if (e->sealed)
        return false;
    if ((!weird && (e->out_len + n > ZM_ENTRY_MAX || !ZM_GROW(e, out, out_cap, e->out_len + n))) ||
        !ZM_GROW(e, ev, ev_cap, (size_t)e->n_ev + 1)) {
        zm_seal(e);
        return false;
    }
    struct zm_ev *v = &e->ev[e->n_ev++];
    v->weird = weird;
    v->off = (uint32_t)e->out_len;
    v->len = weird ? 0 : (uint32_t)n;
    if (!weird) {
        memcpy(e->out + e->out_len, p, n);
        e->out_len += n;
    }
    e->calls[e->n_calls].ev_n++;
    return true;
}

bool http_zmemo_out(struct http_zmemo *e, const uint8_t *p, size_t n)
{
    return zm_event(e, NULL, p, n);
}

bool http_zmemo_weird(struct http_zmemo *e, const char *name)
{
    return zm_event(e, name, NULL, 0);
}

bool http_zmemo_call_end(struct http_zmemo *e, uint64_t inflated, bool dead)
{
    if (e->sealed)
        return false;
    struct zm_call *c = &e->calls[e->n_calls++];
    c->inflated = inflated;
    c->dead = dead;
    zm_ctr.recorded++;
    if (dead)
        zm_seal(e); /* no call follows a finished decoder */
    return true;
}

void http_zmemo_thread_free(void)
{
    if (!zm_tab)
        return;
    for (size_t i = 0; i < ZM_BUCKETS; i++)
        while (zm_tab->b[i]) {
            struct http_zmemo *e = zm_tab->b[i];
            zm_tab->b[i] = e->next;
            zm_entry_free(e);
        }
    free(zm_tab);
    zm_tab = NULL;
}

void http_zmemo_counters(struct http_zmemo_counters *c)
{
    *c = zm_ctr;
}
