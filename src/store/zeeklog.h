/*
 * zeeklog.h - Zeek logs in and out, generic over record types.
 *
 * The writer side is output_zeek_open() / output_zeek_open_stream() in
 * store/output.h.  This header has the pieces others reuse: one field
 * formatted as Zeek's TSV writer would write it, one record as a Zeek JSON
 * object (a newly allocated line), the reader of Zeek logs (TSV with a
 * #fields header, or JSON lines) into records of a given type, and a deep
 * copy of a record into one heap block.
 */
#ifndef VIGIL_STORE_ZEEKLOG_H
#define VIGIL_STORE_ZEEKLOG_H

#include <stddef.h>
#include <stdio.h>

#include "core/record.h"

/* A growable byte buffer (the writers build lines in it). */
struct zbuf {
    char *p;
    size_t len, cap;
};

int zbuf_put(struct zbuf *b, const void *data, size_t n);
int zbuf_puts(struct zbuf *b, const char *s);
void zbuf_free(struct zbuf *b);

/*
 * Append field `field` of rec to b as Zeek's ASCII writer writes it: "-"
 * when unset, "(empty)" for an empty string or set, times and intervals
 * with 6 decimals, bools T/F, sets joined with ",", strings escaped
 * (\xNN for separators, backslashes and non-printable bytes that are not
 * valid UTF-8).  0 or -1 (out of memory).
 */
int zeek_field_tsv(struct zbuf *b, const struct record_hdr *rec, size_t field);

/*
 * rec as one JSON object of Zeek's LogAscii::use_json=T form, without the
 * newline: unset fields omitted, times and intervals as numbers (epoch
 * seconds, shortest form that reads back the same), sets and vectors as
 * arrays, bools true/false.  Newly allocated; NULL on error.
 */
char *zeek_record_json(const struct record_hdr *rec);

/* Seconds.microseconds text of a time/interval in ns ("1467818432.676047"). */
void zeek_time_text(int64_t ns, char *buf, size_t len);

/* ---- reading ---- */

struct zeek_reader;

/*
 * Open a Zeek log (TSV or JSON lines: told apart by content) whose rows are
 * read into records of type.  path "-" reads standard input.  NULL on error
 * with a sentence in err.
 */
struct zeek_reader *zeek_reader_open(const char *path, const struct record_type *type, char *err,
                                     size_t errlen);

/*
 * Next row into rec (type->size bytes, owned by the caller): 1 read, 0 end
 * of file, -1 error (sentence naming the file and line in err).  Fields not
 * in the log are unset; columns the type does not know are ignored.
 * Strings and vectors in rec point into the reader and stay valid until
 * the next call; store_record_clone() keeps a row.
 */
int zeek_reader_next(struct zeek_reader *r, struct record_hdr *rec, char *err, size_t errlen);
void zeek_reader_close(struct zeek_reader *r);

/* What a file holds, from its first bytes. */
enum zeek_input_kind { ZEEK_INPUT_UNKNOWN, ZEEK_INPUT_PCAP, ZEEK_INPUT_ZEEK_TSV, ZEEK_INPUT_JSON };
enum zeek_input_kind zeek_input_sniff(const char *path);

/*
 * A deep copy of rec in one malloc'd block (the struct, then its strings
 * and vectors); free() frees it.  NULL when out of memory.
 */
struct record_hdr *store_record_clone(const struct record_hdr *rec);

#endif
