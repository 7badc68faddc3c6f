/*
 * extract_range.c - HTTP byte-range downloads stitched into one file, as
 * Zeek does (base/protocols/http/files.zeek, HTTP::get_file_handle): a
 * response to a request that carried a Range header belongs to the file
 * named by the client address and the URL (build_url: Host[:port] + URI),
 * whatever connection carries it; each 206 piece is placed at the start of
 * its Content-Range, and total_bytes comes from the "/total".
 *
 * The table holds at most EXTRACT_RANGES_MAX such files, process-wide (the
 * pieces may come on different connections).  A file ends when its stream
 * offset reaches total_bytes (complete), when no piece arrived for
 * Files::default_timeout_interval (2 min, timedout=T), when the table is
 * full (the oldest goes, timedout=T), or at the end of the run
 * (extract_range_flush: Zeek expires its file timers at termination, so
 * the incomplete files it logs then say timedout=T).
 *
 *   piece open ─► extract_range_get(key) ─► data_at(Content-Range start + n)
 *   piece close ─► extract_range_release ─► complete? close : wait
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extract/extract.h"

#define EXTRACT_RANGE_USERS 8 /* bodies feeding one file at once */

struct extract_range {
    char *key;
    struct extract_file *f;
    struct proto_ctx *users[EXTRACT_RANGE_USERS]; /* live bodies holding f */
    size_t n_users;
    pthread_t owner; /* the thread that opened it (several workers) */
};

static struct extract_range ex_ranges[EXTRACT_RANGES_MAX];
static bool ex_range_threaded;

/* --workers N: each worker's packet time is its own, and one far ahead in
 * time must not end another's files, so a file idles out only on the clock
 * of the worker that opened it (its pieces from the same client host
 * come to that worker); the rest end at the end of input. */
void extract_range_threaded(bool on)
{
    ex_range_threaded = on;
}

static void extract_range_close_slot(struct extract_range *r, bool timedout)
{
    if (timedout && !extract_file_complete(r->f))
        extract_file_set_timedout(r->f);
    extract_file_close(r->f, !timedout);
    free(r->key);
    memset(r, 0, sizeof(*r));
}

/* Files no session feeds that were idle for the timeout (their rows go
 * through ctx, the session at hand, as Zeek's timers fire in packet time). */
static void extract_range_expire(int64_t now)
{
    for (size_t i = 0; i < EXTRACT_RANGES_MAX; i++) {
        struct extract_range *r = &ex_ranges[i];
        if (r->f && r->n_users == 0 &&
            (!ex_range_threaded || pthread_equal(r->owner, pthread_self())) &&
            now - extract_file_last_ts(r->f) > EXTRACT_TIMEOUT_NS)
            extract_range_close_slot(r, true);
    }
}

struct extract_file *extract_range_get(struct proto_ctx *ctx, const char *key, int64_t ts)
{
    extract_range_expire(ts);
    struct extract_range *free_slot = NULL, *oldest = NULL;
    for (size_t i = 0; i < EXTRACT_RANGES_MAX; i++) {
        struct extract_range *r = &ex_ranges[i];
        if (!r->f) {
            if (!free_slot)
                free_slot = r;
            continue;
        }
        if (strcmp(r->key, key) == 0) {
            if (r->n_users >= EXTRACT_RANGE_USERS)
                return NULL;
            r->users[r->n_users++] = ctx;
            extract_file_attach(r->f, ctx);
            extract_file_touch(r->f, ts);
            return r->f;
        }
        if (r->n_users == 0 &&
            (!oldest || extract_file_last_ts(r->f) < extract_file_last_ts(oldest->f)))
            oldest = r;
    }
    if (!free_slot && oldest) { /* the cap: the idlest file ends */
        extract_range_close_slot(oldest, true);
        free_slot = oldest;
    }
    if (!free_slot)
        return NULL;
    free_slot->key = strdup(key);
    if (!free_slot->key)
        return NULL;
    free_slot->f = extract_file_open(ctx, "HTTP", false, 0, ts);
    if (!free_slot->f) {
        free(free_slot->key);
        free_slot->key = NULL;
        return NULL;
    }
    free_slot->users[0] = ctx;
    free_slot->n_users = 1;
    free_slot->owner = pthread_self();
    return free_slot->f;
}

const char *extract_range_release(struct extract_file *f, struct proto_ctx *ctx)
{
    static char fuid[EXTRACT_FUID_LEN];
    for (size_t i = 0; i < EXTRACT_RANGES_MAX; i++) {
        struct extract_range *r = &ex_ranges[i];
        if (r->f != f)
            continue;
        /* the fuid of a file still waiting for pieces is already known */
        const char *id = extract_file_fuid(f);
        snprintf(fuid, sizeof(fuid), "%s", id ? id : "");
        for (size_t k = 0; k < r->n_users; k++) {
            if (r->users[k] == ctx) {
                r->users[k] = r->users[--r->n_users];
                break;
            }
        }
        extract_file_detach(f, ctx);
        if (r->n_users)
            extract_file_attach(f, r->users[0]);
        else if (extract_file_complete(f))
            extract_range_close_slot(r, false);
        return fuid[0] ? fuid : NULL;
    }
    return NULL;
}

void extract_range_flush(void)
{
    for (size_t i = 0; i < EXTRACT_RANGES_MAX; i++)
        if (ex_ranges[i].f)
            extract_range_close_slot(&ex_ranges[i], true);
}
