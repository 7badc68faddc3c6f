/*
 * record.h - records (one row of one log) and the tables that describe them.
 *
 * Each log type (conn, dns, http, ...) is described once by a struct
 * record_type: its Zeek path and a table of fields - the Zeek name, the
 * Zeek type and where the value lives in the C struct (offsetof).  Every
 * writer (Zeek TSV, Zeek JSON, EVE JSON, SQL), the filter language and the
 * readers of logs work from these tables and know no log by name, so a new
 * field is one line in one table.
 *
 * A record struct begins with struct record_hdr.  A field is "unset" (Zeek's
 * "-", absent in JSON) when its bit is set in hdr.unset (record_unset()).
 *
 * C representation of each field type:
 *   RT_TIME, RT_INTERVAL  int64_t   nanoseconds (since the epoch / duration)
 *   RT_COUNT, RT_PORT     uint64_t
 *   RT_INT                int64_t
 *   RT_DOUBLE             double
 *   RT_BOOL               bool
 *   RT_STRING, RT_ENUM    struct rstr
 *   RT_ADDR               struct raddr
 *   RT_SUBNET             struct rsubnet
 *   RT_SET_STRING,        struct rstrvec  (set[string] / vector[string])
 *   RT_VEC_STRING
 *   RT_VEC_INTERVAL,      struct rnumvec  (vector[interval] ns / vector[count])
 *   RT_VEC_COUNT
 *   RT_SET_ADDR           struct raddrvec
 *
 * Ownership: strings and vectors point at memory owned by whoever built the
 * record (usually a per-record arena); writers only read them.
 */
#ifndef VIGIL_CORE_RECORD_H
#define VIGIL_CORE_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum rtype {
    RT_TIME,
    RT_INTERVAL,
    RT_COUNT,
    RT_PORT,
    RT_INT,
    RT_DOUBLE,
    RT_BOOL,
    RT_STRING,
    RT_ENUM,
    RT_ADDR,
    RT_SUBNET,
    RT_SET_STRING,
    RT_VEC_STRING,
    RT_VEC_INTERVAL,
    RT_VEC_COUNT,
    RT_SET_ADDR,
};

struct rstr {
    const char *p; /* not necessarily NUL-terminated; may hold any byte */
    size_t len;
};

struct raddr {
    uint8_t family; /* 4 or 6; 0 = unset */
    uint8_t a[16];  /* network order; IPv4 in the first 4 bytes */
};

struct rsubnet {
    struct raddr addr;
    uint8_t prefix;
};

struct rstrvec {
    const struct rstr *v;
    size_t n;
};

struct rnumvec {
    const int64_t *v; /* intervals in ns, counts as non-negative values */
    size_t n;
};

struct raddrvec {
    const struct raddr *v;
    size_t n;
};

#define RECORD_MAX_FIELDS 128

struct record_type;

struct record_hdr {
    const struct record_type *type;
    uint64_t unset[RECORD_MAX_FIELDS / 64];
};

struct record_field {
    const char *name;  /* Zeek column name, e.g. "id.orig_h" */
    enum rtype type;
    size_t offset;     /* offsetof(struct xxx_record, member) */
};

struct record_type {
    const char *path;  /* Zeek log path: "conn", "dns", ... */
    const struct record_field *fields;
    size_t n_fields;
    size_t size;       /* sizeof the record struct */
};

static inline void record_set_unset(struct record_hdr *h, size_t field, bool unset)
{
    if (unset)
        h->unset[field / 64] |= (uint64_t)1 << (field % 64);
    else
        h->unset[field / 64] &= ~((uint64_t)1 << (field % 64));
}

static inline bool record_unset(const struct record_hdr *h, size_t field)
{
    return (h->unset[field / 64] >> (field % 64)) & 1;
}

static inline const void *record_field_ptr(const struct record_hdr *h, size_t field)
{
    return (const char *)h + h->type->fields[field].offset;
}

/* Index of the field named name in type, or -1. */
int record_field_index(const struct record_type *type, const char *name);

/* Zeek's name of a field type: "time", "count", "set[string]", ... */
const char *rtype_zeek_name(enum rtype t);

#endif
