/*
 * lines.h - the line reader of the line-based parsers without a log of
 * their own (imap.c, pop3.c): bytes are gathered per direction up to LF,
 * a CR before it dropped; a line longer than the caller's buffer is
 * skipped to its LF (the bytes of such a line are not commands worth
 * reading before authentication, and a parser never sees it cut).
 *
 * The buffer, its fill and the over flag live in the caller's per-direction
 * state, so a line may span any number of segments.
 */
#ifndef VIGIL_PROTO_LINES_H
#define VIGIL_PROTO_LINES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/cursor.h"

/* Read from c to the end of the next whole line that fits buf[cap]: true
 * with its length (CR dropped) in *n, the line in buf, *len reset for the
 * next one; false when c ran out first (the partial line kept in buf and
 * *len, *over set if it has passed cap). */
static inline bool proto_line_next(struct cursor *c, char *buf, size_t cap, size_t *len,
                                   bool *over, size_t *n)
{
    uint8_t b;
    while (cursor_u8(c, &b) == 0) {
        if (b != '\n') {
            if (*len < cap)
                buf[(*len)++] = (char)b;
            else
                *over = true;
            continue;
        }
        size_t l = *len;
        if (l && buf[l - 1] == '\r')
            l--;
        bool skip = *over;
        *len = 0;
        *over = false;
        if (skip)
            continue;
        *n = l;
        return true;
    }
    return false;
}

#endif
