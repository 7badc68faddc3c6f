/*
 * fsutil.h - the few file-system loops several modules need: mkdir -p and
 * whole reads/writes that retry short transfers and EINTR.
 */
#ifndef VIGIL_CORE_FSUTIL_H
#define VIGIL_CORE_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

/* Make path and every missing parent with mode (existing ones are fine).
 * 0, or -1 with errno (ENAMETOOLONG past 4095 bytes). */
int core_mkdirs(const char *path, mode_t mode);

/* Write all n bytes of p to fd: 0, or -1 with errno. */
int core_write_all(int fd, const void *p, size_t n);

/* Read exactly n bytes from fd into p: 0, or -1 (errno, or 0 at an early
 * end of file). */
int core_read_all(int fd, void *p, size_t n);

#endif
