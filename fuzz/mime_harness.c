/*
 * mime_harness.c - the sink and the chunked feed shared by the MIME fuzz
 * harnesses (see mime_harness.h).  Every part's bytes are checksummed (so
 * the sanitizers see every byte delivered) and every opened part must be
 * closed exactly once, else the harness aborts.
 */
#include "mime_harness.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static void *sink_open(void *arg, const struct mime_part *p)
{
    struct mime_harness_sink *f = arg;
    f->open++;
    f->sum += strlen(p->content_type) + (p->filename ? strlen(p->filename) : 0);
    return f;
}

static void sink_data(void *arg, void *h, const uint8_t *p, size_t n)
{
    struct mime_harness_sink *f = arg;
    (void)h;
    for (size_t i = 0; i < n; i++)
        f->sum += p[i];
}

static void sink_gap(void *arg, void *h, uint64_t n)
{
    (void)arg, (void)h, (void)n;
}

static void sink_close(void *arg, void *h, bool complete)
{
    struct mime_harness_sink *f = arg;
    (void)h, (void)complete;
    if (f->open == 0)
        abort();
    f->open--;
}

const struct mime_ops mime_harness_ops = {sink_open, sink_data, sink_gap, sink_close, NULL};

void mime_harness_feed(struct mime_parser *m, struct mime_harness_sink *sink, uint8_t seed,
                       uint8_t flags, const uint8_t *data, size_t size)
{
    for (size_t off = 0, k = 0; off < size; k++) {
        size_t n = 1 + (seed * (k + 1)) % 97;
        if (n > size - off)
            n = size - off;
        mime_parser_feed(m, data + off, n);
        if (k == 0 && (flags & 1))
            mime_parser_gap(m, 7);
        off += n;
    }
    mime_parser_end(m, !(flags & 2));
    if (sink->open != 0)
        abort();
}
