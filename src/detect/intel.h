/*
 * intel.h - the intelligence (IOC) framework: Zeek intel files loaded into
 * an indicator store, and an observer that matches every record the
 * pipeline emits against it, writing intel.log rows (Zeek's Intel::Info),
 * an alert per hit (eve.json) and, for items with meta.do_notice=T, a
 * notice.log row (Intel::Notice).  docs/intel.md.
 *
 * Why an observer output and not a hook in the parsers: the indicators can
 * appear in any log (conn addresses, DNS queries and answers, HTTP host and
 * URL, TLS SNI, certificate fingerprints, SMTP addresses, file hashes,
 * JA3), and every one of them is already a field of a record.  Matching on
 * the records keeps the parsers untouched and lets `vigil hunt` later run
 * the same matcher over stored records.
 *
 * Store: one open-addressing hash table (SipHash, random key) keyed by
 * (type, normalised indicator); ADDR keys are the 16-byte address (IPv4
 * mapped into ::ffff:0:0/96), SUBNET keys the masked address plus prefix,
 * looked up once per prefix length present (longest and shorter prefixes
 * all match, as Zeek's matching_subnets).  String indicators are compared
 * lowercased, as Zeek does; domains lose a trailing dot; URLs lose an
 * http:// or https:// scheme (Zeek's Intel::URL is "host/path").
 */
#ifndef VIGIL_DETECT_INTEL_H
#define VIGIL_DETECT_INTEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/record.h"
#include "store/output.h"

enum intel_type {
    INTEL_ADDR,
    INTEL_SUBNET,
    INTEL_URL,
    INTEL_SOFTWARE,
    INTEL_EMAIL,
    INTEL_DOMAIN,
    INTEL_USER_NAME,
    INTEL_CERT_HASH,
    INTEL_PUBKEY_HASH,
    INTEL_FILE_HASH,
    INTEL_FILE_NAME,
    INTEL_JA3,
    INTEL_N_TYPES
};

/* "Intel::ADDR", ... */
const char *intel_type_name(enum intel_type t);
/* Type from "Intel::ADDR" (or "ADDR"); -1 when unknown. */
int intel_type_parse(const char *s, size_t len);

/* The meta data of one item (one source's view of an indicator). */
struct intel_meta {
    char *source, *desc, *url;
    bool do_notice;
    struct intel_meta *next;
};

struct intel_store;

/* Per-file load report. */
struct intel_load_report {
    uint64_t loaded;    /* items stored (new or updated) */
    uint64_t rejected;  /* lines that were not usable */
    uint64_t skipped;   /* comment, blank and header lines */
    /* the first bad lines (1-based) and why */
    size_t n_bad;
    struct {
        uint64_t line;
        char why[160];
    } bad[8];
};

struct intel_store *intel_store_new(void);
void intel_store_free(struct intel_store *st);
/* Distinct (type, indicator) pairs stored. */
size_t intel_store_count(const struct intel_store *st);
size_t intel_store_count_type(const struct intel_store *st, enum intel_type t);

/*
 * Load the text of one intel file (name: for messages; a ".csv" name, or
 * a text without a "#fields" header whose rows start with a 32-digit hex
 * value, is read as a JA3 CSV list: abuse.ch SSLBL or Salesforce's, the
 * first column the JA3 MD5, the last the description, the file name the
 * source).  Never fails on content: bad lines are counted in *rep.
 * <0 only when out of memory.
 */
int intel_load_text(struct intel_store *st, const char *name, const char *text, size_t len,
                    struct intel_load_report *rep);

/*
 * Load a file, or every *.intel and *.csv in a directory and its subdirectories (sorted).  Each
 * file's counts go to log (NULL: silent) as "intel: FILE: N loaded, M
 * rejected" plus a line per bad line (FILE:LINE: why).  <0 when a path
 * cannot be read (sentence in err); a file of garbage is not an error.
 */
int intel_load_path(struct intel_store *st, const char *path, FILE *log, char *err,
                    size_t errlen);

/* Add one item (the loader's primitive; also for tests).  0, or -1 when
 * the indicator is not valid for its type (why in err). */
int intel_store_add(struct intel_store *st, enum intel_type t, const char *ind, size_t len,
                    const char *source, const char *desc, const char *url, bool do_notice,
                    char *err, size_t errlen);

/* A lookup's result: the metas of every item that matched. */
#define INTEL_MATCH_MAX 16
struct intel_match {
    size_t n;
    const struct intel_meta *metas[INTEL_MATCH_MAX]; /* the first meta of each item */
    bool via_addr, via_subnet;                       /* for ADDR lookups */
};

/* String lookup (seen value as observed; normalised here).  true on a hit. */
bool intel_lookup_str(const struct intel_store *st, enum intel_type t, const char *s, size_t len,
                      struct intel_match *m);
/* Address lookup: ADDR items and every SUBNET containing it. */
bool intel_lookup_addr(const struct intel_store *st, const struct raddr *a,
                       struct intel_match *m);

/* ---- intel.log and the matcher ---- */

struct intel_record {
    struct record_hdr hdr;
    int64_t ts;
    struct rstr uid;
    struct raddr orig_h;
    uint64_t orig_p;
    struct raddr resp_h;
    uint64_t resp_p;
    struct rstr indicator, indicator_type, where, node;
    struct rstrvec matched, sources;
    struct rstr fuid, file_mime_type, file_desc;
};

enum intel_field {
    IF_TS, IF_UID, IF_ORIG_H, IF_ORIG_P, IF_RESP_H, IF_RESP_P, IF_INDICATOR, IF_INDICATOR_TYPE,
    IF_WHERE, IF_NODE, IF_MATCHED, IF_SOURCES, IF_FUID, IF_FILE_MIME_TYPE, IF_FILE_DESC, IF_N
};

extern const struct record_type intel_record_type;

/* Alerts for intel hits: gid 9, sid 9000000 + 1 + type (docs/intel.md). */
#define INTEL_ALERT_GID 9
#define INTEL_ALERT_SID_BASE 9000001

struct intel_counters {
    uint64_t records;  /* records looked at */
    uint64_t hits;     /* intel.log rows */
    uint64_t notices;
};

/*
 * The matcher as an output: give it to the pipeline with the other
 * outputs; for every record it is handed (intel, alert and notice records
 * excepted) it looks each indicator-bearing field up and writes the hits
 * to down[0..ndown) (not owned; they must outlive it).  node: seen.node
 * (the sensor name).  st is not owned either.
 */
struct output *intel_output_open(const struct intel_store *st, struct output *const *down,
                                 int ndown, const char *node, char *err, size_t errlen);
void intel_output_counters(const struct output *o, struct intel_counters *c);

#endif
