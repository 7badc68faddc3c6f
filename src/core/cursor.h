/*
 * cursor.h - the one bounds-checked reader for untrusted bytes.
 *
 * Every parser of network bytes in Vigil reads through a struct cursor.
 * A cursor is a [p, end) window over memory the caller owns.  Each read
 * either succeeds and advances, or fails (returns -1) and leaves the
 * cursor exactly where it was, so a parser can try, fail and report a
 * named anomaly without ever reading past the window.  No parser casts
 * packet bytes to structs or does pointer arithmetic of its own.
 *
 * Ownership: a cursor never owns or frees memory.
 */
#ifndef VIGIL_CORE_CURSOR_H
#define VIGIL_CORE_CURSOR_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct cursor {
    const uint8_t *p;
    const uint8_t *end;
};

static inline void cursor_init(struct cursor *c, const void *p, size_t len)
{
    c->p = (const uint8_t *)p;
    c->end = len ? c->p + len : c->p; /* (NULL, 0) is an empty cursor, without NULL + 0 */
}

static inline size_t cursor_left(const struct cursor *c)
{
    return (size_t)(c->end - c->p);
}

static inline int cursor_has(const struct cursor *c, size_t n)
{
    return cursor_left(c) >= n;
}

static inline int cursor_skip(struct cursor *c, size_t n)
{
    if (!cursor_has(c, n))
        return -1;
    c->p += n;
    return 0;
}

static inline int cursor_u8(struct cursor *c, uint8_t *v)
{
    if (!cursor_has(c, 1))
        return -1;
    *v = c->p[0];
    c->p += 1;
    return 0;
}

static inline int cursor_u16be(struct cursor *c, uint16_t *v)
{
    if (!cursor_has(c, 2))
        return -1;
    *v = (uint16_t)((uint16_t)c->p[0] << 8 | c->p[1]);
    c->p += 2;
    return 0;
}

static inline int cursor_u16le(struct cursor *c, uint16_t *v)
{
    if (!cursor_has(c, 2))
        return -1;
    *v = (uint16_t)((uint16_t)c->p[1] << 8 | c->p[0]);
    c->p += 2;
    return 0;
}

static inline int cursor_u24be(struct cursor *c, uint32_t *v)
{
    if (!cursor_has(c, 3))
        return -1;
    *v = (uint32_t)c->p[0] << 16 | (uint32_t)c->p[1] << 8 | c->p[2];
    c->p += 3;
    return 0;
}

static inline int cursor_u32be(struct cursor *c, uint32_t *v)
{
    if (!cursor_has(c, 4))
        return -1;
    *v = (uint32_t)c->p[0] << 24 | (uint32_t)c->p[1] << 16 | (uint32_t)c->p[2] << 8 | c->p[3];
    c->p += 4;
    return 0;
}

static inline int cursor_u32le(struct cursor *c, uint32_t *v)
{
    if (!cursor_has(c, 4))
        return -1;
    *v = (uint32_t)c->p[3] << 24 | (uint32_t)c->p[2] << 16 | (uint32_t)c->p[1] << 8 | c->p[0];
    c->p += 4;
    return 0;
}

static inline int cursor_u64be(struct cursor *c, uint64_t *v)
{
    uint32_t hi, lo;
    struct cursor save = *c;
    if (cursor_u32be(c, &hi) < 0 || cursor_u32be(c, &lo) < 0) {
        *c = save;
        return -1;
    }
    *v = (uint64_t)hi << 32 | lo;
    return 0;
}

/* Copy n bytes out.  On failure nothing is copied. */
static inline int cursor_bytes(struct cursor *c, void *out, size_t n)
{
    if (!cursor_has(c, n))
        return -1;
    memcpy(out, c->p, n);
    c->p += n;
    return 0;
}

/* Point *out at the next n bytes (no copy) and advance past them. */
static inline int cursor_ptr(struct cursor *c, size_t n, const uint8_t **out)
{
    if (!cursor_has(c, n))
        return -1;
    *out = c->p;
    c->p += n;
    return 0;
}

/* Split off the next n bytes as a sub-cursor and advance past them. */
static inline int cursor_sub(struct cursor *c, size_t n, struct cursor *sub)
{
    if (!cursor_has(c, n))
        return -1;
    sub->p = c->p;
    sub->end = c->p + n;
    c->p += n;
    return 0;
}

/* Peek without advancing. */
static inline int cursor_peek_u8(const struct cursor *c, size_t off, uint8_t *v)
{
    if (cursor_left(c) <= off)
        return -1;
    *v = c->p[off];
    return 0;
}

static inline int cursor_peek_u16be(const struct cursor *c, size_t off, uint16_t *v)
{
    if (cursor_left(c) < off + 2 || off + 2 < off)
        return -1;
    *v = (uint16_t)((uint16_t)c->p[off] << 8 | c->p[off + 1]);
    return 0;
}

#endif
