/*
 * fuzz_multipart.c - libFuzzer harness for multipart bodies (src/extract/mime.c,
 * multipart.c) as the HTTP sink feeds them: byte 2 picks the boundary
 * length (1 + b % 70, taken from the next bytes), then the body.
 *
 * Input: byte 0 seeds the chunking (each chunk is 1 + (seed * k) % 97 bytes),
 * byte 1 bit 0 reports a gap of 7 bytes after the first chunk, bit 1 ends
 * the message as cut short; the rest is the message.  Every part's bytes
 * are checksummed (so the sanitizers see every byte delivered) and every
 * opened part must be closed exactly once.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mime_harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    static struct mime_parser m; /* large: not on the stack */
    struct mime_harness_sink f = {0};
    uint8_t seed = data[0], flags = data[1];
    data += 2, size -= 2;
    size_t blen = 1 + (size ? data[0] % 70 : 0);
    if (size < 1 + blen)
        return 0;
    char boundary[72];
    memcpy(boundary, data + 1, blen);
    data += 1 + blen, size -= 1 + blen;
    mime_parser_init_multipart(&m, &mime_harness_ops, &f, boundary, blen);
    mime_harness_feed(&m, &f, seed, flags, data, size);
    return 0;
}
