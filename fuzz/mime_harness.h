/*
 * mime_harness.h - the sink and the chunked feed shared by the MIME fuzz
 * harnesses (fuzz_mime.c, fuzz_multipart.c).
 */
#ifndef VIGIL_FUZZ_MIME_HARNESS_H
#define VIGIL_FUZZ_MIME_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include "extract/mime.h"

/* The checksumming sink: counts the parts open, sums every byte seen. */
struct mime_harness_sink {
    unsigned open;
    uint64_t sum;
};

extern const struct mime_ops mime_harness_ops;

/* Feed data to m (initialised with mime_harness_ops and sink) in chunks of
 * 1 + (seed * k) % 97 bytes; flags bit 0 reports a gap of 7 bytes after the
 * first chunk, bit 1 ends the message as cut short.  Aborts when a part
 * is left open. */
void mime_harness_feed(struct mime_parser *m, struct mime_harness_sink *sink, uint8_t seed,
                       uint8_t flags, const uint8_t *data, size_t size);

#endif
