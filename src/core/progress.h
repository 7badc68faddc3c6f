/*
 * progress.h - one progress line on stderr for long-running work.
 *
 * Shown only when stderr is a terminal: bytes done of the total, items
 * (packets), rate and time left, redrawn at most four times a second and
 * erased by progress_end() so nothing of it remains in the output.
 * progress_update() is cheap enough to call once per packet: it reads the
 * clock only every 256 calls.
 *
 * Ownership: the caller owns the struct (on its stack is fine).
 */
#ifndef VIGIL_CORE_PROGRESS_H
#define VIGIL_CORE_PROGRESS_H

#include <stdint.h>

struct progress {
    int enabled;          /* stderr is a TTY and the caller wants it */
    const char *what;     /* "packets", "records", ... */
    uint64_t t_start_ns;  /* monotonic */
    uint64_t t_last_ns;   /* last redraw */
    uint32_t calls;       /* since the last clock read */
    int drawn;            /* a line is on the screen */
};

/* enable = 0 forces it off (e.g. -q); it is also off when stderr is no TTY. */
void progress_begin(struct progress *pg, const char *what, int enable);

/* Redraw with done/total bytes (total 0 = unknown) and items so far, if
 * the last redraw is at least a quarter second old. */
void progress_update_now(struct progress *pg, uint64_t done, uint64_t total, uint64_t items);

/* Cheap per-item check: nonzero when it is time to call progress_update_now(). */
static inline int progress_due(struct progress *pg)
{
    return pg->enabled && ((++pg->calls & 255u) == 0);
}

/* Erase the line. */
void progress_end(struct progress *pg);

#endif
