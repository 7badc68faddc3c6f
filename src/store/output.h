/*
 * output.h - where records go, behind one operations struct.
 *
 * The pipeline hands every record to every configured output; an output
 * never changes a record.  Zeek log files (TSV with the #fields header, or
 * Zeek's JSON lines) are one output; the record store and the sensor link
 * will be others.  An output keeps one stream per record type (path) and
 * opens it on the first record of that type.
 */
#ifndef VIGIL_STORE_OUTPUT_H
#define VIGIL_STORE_OUTPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/record.h"

struct output;

struct output_ops {
    const char *name;
    /* 0 on success, <0 on error (sentence in out->err). */
    int (*write)(struct output *out, const struct record_hdr *rec);
    int (*flush)(struct output *out);
    int (*rotate)(struct output *out, int64_t now_ns);
    void (*close)(struct output *out); /* flushes, writes trailers, frees */
};

struct output {
    const struct output_ops *ops;
    char err[512];
};

enum zeek_log_format { ZEEK_LOG_TSV, ZEEK_LOG_JSON };

/*
 * Zeek-style log files in dir: dir/<path>.log for each record type seen.
 * TSV: #separator, #set_separator, #empty_field, #unset_field, #path,
 * #open, #fields, #types header, "-" and "(empty)" conventions, #close
 * trailer.  JSON: one object per line with the same field names, unset
 * fields omitted, as Zeek's LogAscii::use_json.
 */
struct output *output_zeek_open(const char *dir, enum zeek_log_format fmt, char *err,
                                size_t errlen);

/*
 * The same writer on one stream that the caller owns (standard output for
 * `vigil sessions --zeek`): every record type goes to f, each type's rows
 * under its own header block.  close() writes the #close trailers and
 * flushes f but does not close it.
 */
struct output *output_zeek_open_stream(FILE *f, enum zeek_log_format fmt, char *err,
                                       size_t errlen);

static inline int output_write(struct output *o, const struct record_hdr *r)
{
    return o->ops->write(o, r);
}

static inline void output_close(struct output *o)
{
    if (o)
        o->ops->close(o);
}

#endif
