/*
 * fuzz_mime.c - libFuzzer harness for the MIME entity parser (src/extract/mime.c,
 * multipart.c): e-mail messages as the SMTP sink feeds them.
 *
 * Input: byte 0 seeds the chunking (each chunk is 1 + (seed * k) % 97 bytes),
 * byte 1 bit 0 reports a gap of 7 bytes after the first chunk, bit 1 ends
 * the message as cut short; the rest is the message.  Every part's bytes
 * are checksummed (so the sanitizers see every byte delivered) and every
 * opened part must be closed exactly once.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "extract/mime.h"

struct fz {
    unsigned open;
    uint64_t sum;
};

static void *fz_open(void *arg, const struct mime_part *p)
{
    struct fz *f = arg;
    f->open++;
    f->sum += strlen(p->content_type) + (p->filename ? strlen(p->filename) : 0);
    return f;
}

static void fz_data(void *arg, void *h, const uint8_t *p, size_t n)
{
    struct fz *f = arg;
    (void)h;
    for (size_t i = 0; i < n; i++)
        f->sum += p[i];
}

static void fz_gap(void *arg, void *h, uint64_t n)
{
    (void)arg, (void)h, (void)n;
}

static void fz_close(void *arg, void *h, bool complete)
{
    struct fz *f = arg;
    (void)h, (void)complete;
    if (f->open == 0)
        abort();
    f->open--;
}

static const struct mime_ops fz_ops = {fz_open, fz_data, fz_gap, fz_close, NULL};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    static struct mime_parser m; /* large: not on the stack */
    struct fz f = {0};
    uint8_t seed = data[0], flags = data[1];
    data += 2, size -= 2;
    mime_parser_init(&m, &fz_ops, &f);
    for (size_t off = 0, k = 0; off < size; k++) {
        size_t n = 1 + (seed * (k + 1)) % 97;
        if (n > size - off)
            n = size - off;
        mime_parser_feed(&m, data + off, n);
        if (k == 0 && (flags & 1))
            mime_parser_gap(&m, 7);
        off += n;
    }
    mime_parser_end(&m, !(flags & 2));
    if (f.open != 0)
        abort();
    return 0;
}
