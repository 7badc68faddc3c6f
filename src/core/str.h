/*
 * str.h - small string helpers shared across modules.
 */
#ifndef VIGIL_CORE_STR_H
#define VIGIL_CORE_STR_H

#include <stddef.h>
#include <string.h>

/* src into dst (n > 0 bytes), cut to fit and NUL-terminated.  For copies
 * made per packet or per stream window, where snprintf(dst, n, "%s", src)'s
 * format parsing showed in profiles. */
static inline void core_strcpy(char *dst, size_t n, const char *src)
{
    size_t l = strnlen(src, n - 1);
    memcpy(dst, src, l);
    dst[l] = '\0';
}

#endif
