/*
 * rule_int.h - what the rule parser's files share: the parse context, the
 * keyword table entry, and small bounded string/number helpers.  Not part
 * of the detect module's public interface (that is rule.h).
 */
#ifndef VIGIL_DETECT_RULE_INT_H
#define VIGIL_DETECT_RULE_INT_H

#include "detect/rule.h"

struct rule_pctx {
    const struct ruleset *rs;
    struct rule *r;
    const char *file;
    unsigned line;
    struct rule_error *e;
    const char *kw;   /* keyword being parsed */
    int cur_buf;      /* sticky buffer in force, RULE_BUF_PKT when none */
    int sticky_set;   /* a sticky buffer keyword was seen */
    int last_list;    /* last content: list index, or -1 */
    int last_elem;    /* last content: element index */
    int last_rel_list; /* last content or pcre (for relative keywords) */
    int fp_seen;      /* fast_pattern used */
    uint8_t xforms[RULE_XFORMS_MAX]; /* transforms on the sticky buffer */
    uint8_t n_xforms;
    /* byte_extract variable names, by index (only needed while parsing) */
    uint32_t n_byte_vars;
    char byte_vars[RULE_BYTE_VARS_MAX][RULE_NAME_MAX];
};

/* Keyword flags. */
#define RULE_KW_NOARG 0x01u   /* takes no value */
#define RULE_KW_ARG 0x02u     /* needs a value */
#define RULE_KW_OPTARG 0x04u  /* value optional */
#define RULE_KW_CONTENT_MOD 0x08u /* modifies the previous content */
#define RULE_KW_STICKY 0x10u  /* sets the inspection buffer */

struct rule_keyword {
    const char *name;
    int (*parse)(struct rule_pctx *p, char *val, int arg);
    unsigned flags;
    int arg;
};

/* rule_keywords.c: the table. */
const struct rule_keyword *rule_keyword_find(const char *name);

/* Record an error: "file:line: rule sid N: keyword 'kw': <fmt>". -1. */
int rule_fail(struct rule_pctx *p, int kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Helpers (rule_util.c). */
char *rule_strndup(const char *s, size_t n);
/* Hash of string s under seed, for the ruleset's load-time tables (string
 * pool, parsed-set memo; ~240,000 lookups loading ET Open): FNV-1a, not
 * core_siphash - the strings come from the rules files, not the traffic,
 * so a fast unkeyed hash is enough. */
size_t rule_strhash(const char *s, uint64_t seed);
char *rule_trim(char *s);
/* Trim *val and take a leading '!' (then trim again): 1 when negated. */
int rule_take_neg(char **val);
/* Strip one pair of enclosing double quotes in place; returns s+1 or s. */
char *rule_unquote(char *s);
/* Split s in place on commas (not inside quotes), trimming each part.
 * Returns the count, or -1 if there are more than max. */
int rule_split(char *s, char sep, char **parts, int max);
int rule_parse_u64(const char *s, uint64_t max, uint64_t *out);
int rule_parse_u32(const char *s, uint32_t max, uint32_t *out);
int rule_parse_i32(const char *s, int32_t *out);
/* "N", "<N", ">N", "<=N", ">=N", "!N", "=N", "N<>M", "N-M" into n. */
int rule_parse_num(const char *s, uint64_t max, struct rule_num *n);
/* A number or a byte_extract variable name. */
int rule_parse_pos(struct rule_pctx *p, const char *s, struct rule_pos *pos);
/* Add an element to buffer buf's list; NULL on allocation failure. */
struct rule_elem *rule_elem_add(struct rule_pctx *p, int buf, int *list_out, int *elem_out);
struct rule_content *rule_last_content(struct rule_pctx *p);
/* The rule's out-of-line comparisons (allocated on first use); NULL and an
 * error recorded when out of memory. */
struct rule_cond *rule_cond_get(struct rule_pctx *p);
int rule_valid_name(const char *s);

/* rule_addr.c.  The parsers return 0 when *out's ranges are the caller's
 * (rule_*_set_free), 1 when they belong to the ruleset's memo (the same
 * text was parsed before with the same variables: never freed by the
 * rule), -1 on error (err set). */
int rule_addr_parse(const struct ruleset *rs, const char *text, struct rule_addr_set *out,
                    char *err, size_t errlen);
int rule_port_parse(const struct ruleset *rs, const char *text, struct rule_port_set *out,
                    char *err, size_t errlen);
struct rule_set_memo *rule_set_memo_new(void);
void rule_set_memo_free(struct rule_set_memo *m);
void rule_addr_set_free(struct rule_addr_set *s);
void rule_port_set_free(struct rule_port_set *s);
const char *rule_vars_get(const struct rule_vars *v, const char *name);
int rule_vars_set(struct rule_vars *v, const char *name, const char *value);
void rule_vars_free(struct rule_vars *v);

/* Keyword parsers in the other files. */
int rule_kw_content(struct rule_pctx *p, char *val, int arg);
/* uricontent:"x" - a content in http.uri whatever sticky buffer is in force. */
int rule_kw_uricontent(struct rule_pctx *p, char *val, int arg);
int rule_kw_content_mod(struct rule_pctx *p, char *val, int arg);
int rule_kw_sticky(struct rule_pctx *p, char *val, int arg);
#define RULE_LEGACY_ALSO_STICKY 0x100
int rule_kw_transform(struct rule_pctx *p, char *val, int xform);
/* Is s[i] preceded by an odd number of backslashes? */
int rule_escaped(const char *s, size_t i);
int rule_kw_legacy_buf(struct rule_pctx *p, char *val, int arg);
int rule_kw_pcre(struct rule_pctx *p, char *val, int arg);
int rule_kw_byte(struct rule_pctx *p, char *val, int arg);
int rule_kw_isdataat(struct rule_pctx *p, char *val, int arg);
int rule_kw_bsize(struct rule_pctx *p, char *val, int arg);
int rule_kw_asn1(struct rule_pctx *p, char *val, int arg);
int rule_kw_base64_decode(struct rule_pctx *p, char *val, int arg);
int rule_kw_meta(struct rule_pctx *p, char *val, int arg);
int rule_kw_reference(struct rule_pctx *p, char *val, int arg);
int rule_kw_metadata(struct rule_pctx *p, char *val, int arg);
int rule_kw_classtype(struct rule_pctx *p, char *val, int arg);
/* Move msg, the references and the metadata array of a parsed rule into
 * one allocation (r->msg's; without a pool the classtype and metadata
 * strings too); sets RULE_META_PACKED.  Left as they are when out of
 * memory. */
void rule_meta_pack(struct rule *r);
/* The pool: interned strings, freed together. */
struct rule_strpool *rule_strpool_new(void);
void rule_strpool_free(struct rule_strpool *p);
/* The pool's copy of s (added if new); NULL when out of memory. */
char *rule_strpool_get(struct rule_strpool *p, const char *s);
/* Free what rule_meta_pack would pack, packed or not. */
void rule_meta_free(struct rule *r);
/* rule_app.c */
int rule_kw_app_num(struct rule_pctx *p, char *val, int arg);
int rule_kw_ftpdata_command(struct rule_pctx *p, char *val, int arg);
int rule_kw_tls_legacy(struct rule_pctx *p, char *val, int arg);
/* rule_file.c */
int rule_kw_filehash(struct rule_pctx *p, char *val, int arg);
int rule_kw_filesize(struct rule_pctx *p, char *val, int arg);
int rule_kw_filename(struct rule_pctx *p, char *val, int arg);
int rule_kw_filestore(struct rule_pctx *p, char *val, int arg);
/* The content modifier codes (arg of rule_kw_content_mod). */
enum {
    RULE_MOD_NOCASE,
    RULE_MOD_OFFSET,
    RULE_MOD_DEPTH,
    RULE_MOD_DISTANCE,
    RULE_MOD_WITHIN,
    RULE_MOD_STARTSWITH,
    RULE_MOD_ENDSWITH,
    RULE_MOD_FAST_PATTERN,
    RULE_MOD_RAWBYTES,
};
/* Can this rule's protocol use buffer buf?  Sets r->app_proto. */
int rule_buffer_check_proto(struct rule_pctx *p, int buf);
void rule_pcre_free(struct rule_pcre *pc);
/* Final per-rule checks of the detection lists (rule_content.c). */
int rule_content_finish(struct rule_pctx *p);

#endif
