/*
 * progress.c - the progress line on stderr (see progress.h).
 *
 * Owns nothing but the terminal line it draws.  The line is
 *   "  42.0% 420.0 MiB of 1.0 GiB  3120456 packets  210.3 MiB/s  ETA 0:03"
 * redrawn with a carriage return and erased with "\r\033[K" at the end.
 * Rate and ETA are averages since the start, which is steady enough for
 * sequential reads.
 */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "core/progress.h"

#define PROGRESS_PERIOD_NS 250000000ull /* four redraws a second at most */

static uint64_t progress_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void progress_begin(struct progress *pg, const char *what, int enable)
{
    pg->enabled = enable && isatty(STDERR_FILENO);
    pg->what = what ? what : "items";
    pg->t_start_ns = pg->t_last_ns = progress_now_ns();
    pg->calls = 0;
    pg->drawn = 0;
}

/* "1.5 GiB" style, into buf. */
static const char *progress_bytes(char *buf, size_t len, double v)
{
    static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (v >= 1024.0 && u < 4) {
        v /= 1024.0;
        u++;
    }
    snprintf(buf, len, u ? "%.1f %s" : "%.0f %s", v, units[u]);
    return buf;
}

void progress_update_now(struct progress *pg, uint64_t done, uint64_t total, uint64_t items)
{
    if (!pg->enabled)
        return;
    uint64_t now = progress_now_ns();
    if (now - pg->t_last_ns < PROGRESS_PERIOD_NS)
        return;
    pg->t_last_ns = now;
    double secs = (double)(now - pg->t_start_ns) / 1e9;
    double rate = secs > 0 ? (double)done / secs : 0;
    char a[32], b[32], r[32], eta[32] = "";
    if (total && rate > 0 && done <= total) {
        uint64_t left = (uint64_t)((double)(total - done) / rate);
        snprintf(eta, sizeof(eta), "  ETA %llu:%02llu", (unsigned long long)(left / 60),
                 (unsigned long long)(left % 60));
    }
    if (total)
        fprintf(stderr, "\r\033[K%5.1f%% %s of %s  %llu %s  %s/s%s",
                100.0 * (double)done / (double)total, progress_bytes(a, sizeof(a), (double)done),
                progress_bytes(b, sizeof(b), (double)total), (unsigned long long)items, pg->what,
                progress_bytes(r, sizeof(r), rate), eta);
    else
        fprintf(stderr, "\r\033[K%llu %s  %.0f %s/s", (unsigned long long)items, pg->what,
                secs > 0 ? (double)items / secs : 0.0, pg->what);
    fflush(stderr);
    pg->drawn = 1;
}

void progress_end(struct progress *pg)
{
    if (pg->enabled && pg->drawn) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
    pg->drawn = 0;
}
