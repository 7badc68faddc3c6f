/*
 * rule.h - Vigil's compiled form of Suricata signatures and the loader
 * that produces it.
 *
 * A rule is parsed once into a struct rule that the engine (prefilter,
 * evaluation, alert output) reads and never re-parses: the header becomes
 * match structures (address and port sets with variables expanded, CIDR
 * and ranges resolved to numeric ranges), the options become metadata,
 * packet/flow conditions and, per inspection buffer, an ordered list of
 * detection elements (content with its modifiers and bytes decoded, pcre
 * compiled with PCRE2, byte_test/jump/extract, isdataat, bsize, ...).
 *
 * Ownership: a struct ruleset owns its rules; ruleset_free() frees all of
 * them.  Rule text is never kept; strings a rule needs are copies: msg and
 * references in one block the rule owns, classtype and metadata strings
 * in the ruleset's string pool, header address/port ranges the rule's own
 * or (rule->sets_shared) the ruleset's, shared with the rules that give
 * the same set text.  A rule must therefore not outlive its ruleset.
 * Errors are sentences with file:line and sid.
 */
#ifndef VIGIL_DETECT_RULE_H
#define VIGIL_DETECT_RULE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Caps: every length and count in a rule is bounded. */
#define RULE_TEXT_MAX (256u * 1024) /* one rule, continuation lines joined */
#define RULE_OPTS_MAX 512           /* options in one rule */
#define RULE_CONTENT_MAX 65535      /* decoded bytes of one content */
#define RULE_ADDR_ITEMS_MAX 65536   /* ranges in one address or port set */
#define RULE_VAR_DEPTH_MAX 16       /* $VAR nesting */
#define RULE_NAME_MAX 256           /* flowbit / variable / keyword names */
#define RULE_BYTE_VARS_MAX 16       /* byte_extract variables per rule */
#define RULE_ERR_MAX 512

enum rule_action {
    RULE_ACTION_ALERT,
    RULE_ACTION_PASS,
    RULE_ACTION_DROP,
    RULE_ACTION_REJECT,
    RULE_ACTION_REJECTSRC,
    RULE_ACTION_REJECTDST,
    RULE_ACTION_REJECTBOTH,
};

/* Header protocols: packet protocols and application protocols. */
enum rule_proto {
    RULE_PROTO_IP,
    RULE_PROTO_TCP,
    RULE_PROTO_TCP_PKT,
    RULE_PROTO_TCP_STREAM,
    RULE_PROTO_UDP,
    RULE_PROTO_ICMP,
    RULE_PROTO_SCTP,
    /* application protocols from here on (RULE_PROTO_IS_APP) */
    RULE_PROTO_HTTP,
    RULE_PROTO_HTTP2,
    RULE_PROTO_DNS,
    RULE_PROTO_TLS,
    RULE_PROTO_SSH,
    RULE_PROTO_SMTP,
    RULE_PROTO_FTP,
    RULE_PROTO_FTP_DATA,
    RULE_PROTO_SMB,
    RULE_PROTO_DCERPC,
    RULE_PROTO_DHCP,
    RULE_PROTO_NTP,
    RULE_PROTO_TFTP,
    RULE_PROTO_KRB5,
    RULE_PROTO_SNMP,
    RULE_PROTO_SIP,
    RULE_PROTO_RDP,
    RULE_PROTO_IMAP,
    RULE_PROTO_POP3,
    RULE_PROTO_MODBUS,
    RULE_PROTO_DNP3,
    RULE_PROTO_ENIP,
    RULE_PROTO_FILE,
    RULE_PROTO_COUNT
};
#define RULE_PROTO_IS_APP(p) ((p) >= RULE_PROTO_HTTP)

/* Inspection buffers.  RULE_BUF_PKT is the packet payload / stream. */
enum rule_buffer {
    RULE_BUF_PKT,
    RULE_BUF_HTTP_URI,
    RULE_BUF_HTTP_URI_RAW,
    RULE_BUF_HTTP_METHOD,
    RULE_BUF_HTTP_HOST,
    RULE_BUF_HTTP_HOST_RAW,
    RULE_BUF_HTTP_USER_AGENT,
    RULE_BUF_HTTP_HEADER,
    RULE_BUF_HTTP_HEADER_RAW,
    RULE_BUF_HTTP_HEADER_NAMES,
    RULE_BUF_HTTP_COOKIE,
    RULE_BUF_HTTP_REQUEST_BODY,
    RULE_BUF_HTTP_STAT_CODE,
    RULE_BUF_HTTP_STAT_MSG,
    RULE_BUF_HTTP_RESPONSE_BODY,
    RULE_BUF_HTTP_CONTENT_TYPE,
    RULE_BUF_HTTP_CONTENT_LEN,
    RULE_BUF_HTTP_SERVER,
    RULE_BUF_HTTP_REFERER,
    RULE_BUF_HTTP_LOCATION,
    RULE_BUF_HTTP_ACCEPT,
    RULE_BUF_HTTP_ACCEPT_ENC,
    RULE_BUF_HTTP_ACCEPT_LANG,
    RULE_BUF_HTTP_CONNECTION,
    RULE_BUF_HTTP_START,
    RULE_BUF_HTTP_PROTOCOL,
    RULE_BUF_HTTP_REQUEST_LINE,
    RULE_BUF_HTTP_RESPONSE_LINE,
    RULE_BUF_HTTP_REQUEST_HEADER,  /* multi-buffer: one "name: value" per header */
    RULE_BUF_HTTP_RESPONSE_HEADER,
    RULE_BUF_DNS_QUERY,
    RULE_BUF_TLS_SNI,
    RULE_BUF_TLS_CERT_SUBJECT,
    RULE_BUF_TLS_CERT_ISSUER,
    RULE_BUF_TLS_CERT_SERIAL,
    RULE_BUF_TLS_CERTS,
    RULE_BUF_JA3_HASH,
    RULE_BUF_JA3_STRING,
    RULE_BUF_JA3S_HASH,
    RULE_BUF_SSH_PROTO,
    RULE_BUF_SSH_SOFTWARE,
    /* application buffers evaluated from the parsers' inspection points (engine_app.c) */
    RULE_BUF_TLS_CERT_FINGERPRINT,
    RULE_BUF_TLS_SAN,
    RULE_BUF_TLS_ALPN,
    RULE_BUF_TLS_RANDOM,
    RULE_BUF_TLS_RANDOM_TIME,
    RULE_BUF_TLS_RANDOM_BYTES,
    RULE_BUF_JA3S_STRING,
    RULE_BUF_SSH_HASSH,
    RULE_BUF_SSH_HASSH_STRING,
    RULE_BUF_SSH_HASSH_SERVER,
    RULE_BUF_SSH_HASSH_SERVER_STRING,
    RULE_BUF_DNS_QUERIES_RRNAME,
    RULE_BUF_DNS_ANSWERS_RRNAME,
    RULE_BUF_SMTP_HELO,
    RULE_BUF_SMTP_MAIL_FROM,
    RULE_BUF_SMTP_RCPT_TO,
    RULE_BUF_FILE_DATA,
    RULE_BUF_FILE_NAME,
    RULE_BUF_BASE64_DATA,
    RULE_BUF_FILE_MAGIC, /* libmagic's description of the file (filemagic, file.magic) */
    RULE_BUF_COUNT
};

/* Numeric comparison, shared by dsize, ttl, itype, icode, urilen, bsize,
 * ip_proto, stream_size, ...: EQ a, NE a, LT a, LE a, GT a, GE a, or
 * RANGE a < x < b (Suricata's "a<>b"). */
enum rule_num_op {
    RULE_NUM_EQ,
    RULE_NUM_NE,
    RULE_NUM_LT,
    RULE_NUM_LE,
    RULE_NUM_GT,
    RULE_NUM_GE,
    RULE_NUM_RANGE
};
struct rule_num {
    uint8_t op;
    uint64_t a, b;
};

/* One address range [lo, hi] of one family (4 or 6), network order. */
struct rule_addr_range {
    uint8_t family;
    uint8_t lo[16], hi[16];
};
/* 4 / 8 network-order address bytes as a number: addresses are compared
 * as numbers (the header check, rule_addr.c; the address index,
 * engine_index.c), not with memcmp or a byte loop. */
static inline uint32_t rule_be32(const uint8_t *p)
{
    uint32_t v;
    __builtin_memcpy(&v, p, 4);
    return __builtin_bswap32(v);
}
static inline uint64_t rule_be64(const uint8_t *p)
{
    uint64_t v;
    __builtin_memcpy(&v, p, 8);
    return __builtin_bswap64(v);
}
/* An address set matches x when (n_pos == 0 or x is in a pos range) and x
 * is in no neg range.  "any" is n_pos == n_neg == 0. */
struct rule_addr_set {
    struct rule_addr_range *pos, *neg;
    uint32_t n_pos, n_neg;
};
struct rule_port_range {
    uint16_t lo, hi;
};
struct rule_port_set {
    struct rule_port_range *pos, *neg;
    uint32_t n_pos, n_neg;
};

/* Variables ($HOME_NET, $HTTP_PORTS, ...): name -> text. */
struct rule_var {
    char *name, *value;
};
struct rule_vars {
    struct rule_var *v;
    size_t n, cap;
    uint32_t gen; /* bumped by every change (the set memo's entries name theirs) */
};

/* ---- detection elements -------------------------------------------- */

enum rule_elem_kind {
    RULE_ELEM_CONTENT,
    RULE_ELEM_PCRE,
    RULE_ELEM_BYTE_TEST,
    RULE_ELEM_BYTE_JUMP,
    RULE_ELEM_BYTE_EXTRACT,
    RULE_ELEM_ISDATAAT,
    RULE_ELEM_BSIZE,
    RULE_ELEM_BASE64_DECODE,
    RULE_ELEM_ASN1,
};

/* A position value: a number or a byte_extract variable (index). */
struct rule_pos {
    int32_t v;
    int8_t var; /* -1: literal v; else a byte_extract variable (index, in rule order) */
};

#define RULE_CONTENT_NOCASE 0x0001u
#define RULE_CONTENT_NEGATED 0x0002u
#define RULE_CONTENT_STARTSWITH 0x0004u
#define RULE_CONTENT_ENDSWITH 0x0008u
#define RULE_CONTENT_FAST_PATTERN 0x0010u
#define RULE_CONTENT_FP_ONLY 0x0020u
#define RULE_CONTENT_FP_CHOP 0x0040u
#define RULE_CONTENT_OFFSET 0x0080u
#define RULE_CONTENT_DEPTH 0x0100u
#define RULE_CONTENT_DISTANCE 0x0200u
#define RULE_CONTENT_WITHIN 0x0400u
#define RULE_CONTENT_RAWBYTES 0x0800u

struct rule_content {
    uint8_t *bytes; /* decoded (|hex| and escapes), owned */
    uint32_t len;
    uint32_t flags;
    struct rule_pos offset, depth, distance, within;
    uint16_t fp_off, fp_len; /* fast_pattern:off,len chop */
};

#define RULE_PCRE_RELATIVE 0x01u
#define RULE_PCRE_NEGATED 0x02u
#define RULE_PCRE_RAWBYTES 0x04u
#define RULE_PCRE_NO_LIMITS 0x08u /* O: ignore the configured match limits */

struct rule_pcre {
    void *code; /* pcre2_code *, owned */
    char *pattern;
    uint32_t options; /* PCRE2 compile options */
    uint8_t flags;
};

#define RULE_BYTE_RELATIVE 0x0001u
#define RULE_BYTE_LITTLE 0x0002u
#define RULE_BYTE_STRING 0x0004u
#define RULE_BYTE_DCE 0x0008u
#define RULE_BYTE_ALIGN 0x0010u
#define RULE_BYTE_FROM_BEGIN 0x0020u
#define RULE_BYTE_FROM_END 0x0040u
#define RULE_BYTE_NEGATE 0x0080u
#define RULE_BYTE_BITMASK 0x0100u
#define RULE_BYTE_BIG 0x0200u

enum rule_byte_op {
    RULE_BOP_LT,
    RULE_BOP_GT,
    RULE_BOP_EQ,
    RULE_BOP_LE,
    RULE_BOP_GE,
    RULE_BOP_AND,
    RULE_BOP_XOR,
};

/* byte_test / byte_jump / byte_extract share one shape. */
struct rule_byte {
    uint8_t nbytes;
    uint8_t base; /* 8, 10, 16 with RULE_BYTE_STRING */
    uint8_t op;   /* byte_test */
    uint16_t flags;
    struct rule_pos value;  /* byte_test: compared value */
    struct rule_pos offset;
    int32_t multiplier;     /* byte_jump / byte_extract, 0 = none */
    int32_t post_offset;    /* byte_jump */
    uint32_t align;         /* byte_extract align 2/4 */
    uint32_t bitmask;
    int8_t var;             /* byte_extract: variable index it sets */
};

struct rule_isdataat {
    struct rule_pos pos;
    uint8_t relative, negated, rawbytes;
};

struct rule_b64 {
    uint32_t bytes, offset;
    uint8_t relative;
};

/* asn1 (Suricata's): BER objects decoded from an offset, each checked. */
#define RULE_ASN1_BITSTRING 0x01u /* bitstring_overflow */
#define RULE_ASN1_DOUBLE 0x02u    /* double_overflow */
#define RULE_ASN1_OVERSIZE 0x04u  /* oversize_length N */
#define RULE_ASN1_ABSOLUTE 0x08u  /* absolute_offset N (from the buffer's start) */
#define RULE_ASN1_RELATIVE 0x10u  /* relative_offset N (from the previous match) */
struct rule_asn1 {
    uint32_t oversize;
    int32_t offset;
    uint8_t flags;
};

struct rule_elem {
    uint8_t kind; /* enum rule_elem_kind */
    union {
        struct rule_content content;
        struct rule_pcre pcre;
        struct rule_byte byte;
        struct rule_isdataat isdataat;
        struct rule_num bsize;
        struct rule_b64 b64;
        struct rule_asn1 asn1;
    } u;
};

/* Transforms applied to a sticky buffer before inspection, in order. */
enum rule_xform {
    RULE_XFORM_DOTPREFIX,
    RULE_XFORM_TO_LOWERCASE,
    RULE_XFORM_TO_UPPERCASE,
    RULE_XFORM_STRIP_WHITESPACE,
    RULE_XFORM_COMPRESS_WHITESPACE,
    RULE_XFORM_URL_DECODE,
    RULE_XFORM_TO_MD5,
    RULE_XFORM_TO_SHA1,
    RULE_XFORM_TO_SHA256,
    RULE_XFORM_HEADER_LOWERCASE,
    RULE_XFORM_STRIP_PSEUDO_HEADERS,
};
#define RULE_XFORMS_MAX 8

/* The elements of one buffer (after its transforms), in rule order. */
struct rule_buflist {
    uint8_t buffer; /* enum rule_buffer */
    uint8_t xforms[RULE_XFORMS_MAX];
    uint8_t n_xforms;
    struct rule_elem *elems;
    uint32_t n, cap;
};

/* ---- flow, state, rate -------------------------------------------- */

#define RULE_FLOW_ESTABLISHED 0x0001u
#define RULE_FLOW_NOT_ESTABLISHED 0x0002u
#define RULE_FLOW_STATELESS 0x0004u
#define RULE_FLOW_TO_SERVER 0x0008u
#define RULE_FLOW_TO_CLIENT 0x0010u
#define RULE_FLOW_ONLY_STREAM 0x0020u
#define RULE_FLOW_NO_STREAM 0x0040u
#define RULE_FLOW_ONLY_FRAG 0x0080u
#define RULE_FLOW_NO_FRAG 0x0100u

enum rule_bit_cmd {
    RULE_BIT_SET,
    RULE_BIT_ISSET,
    RULE_BIT_ISNOTSET,
    RULE_BIT_UNSET,
    RULE_BIT_TOGGLE,
};
enum rule_bit_scope { RULE_BITS_FLOW, RULE_BITS_IP_SRC, RULE_BITS_IP_DST, RULE_BITS_IP_PAIR };

/* flowbits and xbits: cmd on names (names may be "a|b" for isset OR). */
struct rule_bit {
    uint8_t cmd, scope;
    char *name;
    uint32_t expire; /* xbits */
};

struct rule_flowint {
    char *name;
    char op[12]; /* = + - == != < <= > >= isset notset isnotset */
    char *var;  /* value given as another flowint, or NULL */
    uint64_t value;
};

enum rule_track { RULE_TRACK_SRC, RULE_TRACK_DST, RULE_TRACK_RULE, RULE_TRACK_BOTH, RULE_TRACK_FLOW };
enum rule_thresh_type {
    RULE_THRESH_NONE,
    RULE_THRESH_LIMIT,
    RULE_THRESH_THRESHOLD,
    RULE_THRESH_BOTH,
    RULE_THRESH_BACKOFF,
    RULE_THRESH_DETECTION_FILTER
};
#define RULE_UNIQUE_SRC_PORT 1
#define RULE_UNIQUE_DST_PORT 2
struct rule_threshold {
    uint8_t type, track;
    uint8_t unique_on; /* detection_filter: 0, or count distinct RULE_UNIQUE_*_PORT values */
    uint32_t count, seconds, multiplier;
};

struct rule_tcp_flags {
    uint8_t set;   /* flags that must be set */
    uint8_t mask;  /* flags ignored */
    char modifier; /* 0 exact, '+' all of these and any other, '*' any of, '!' none of */
    uint8_t present;
};

struct rule_stream_size {
    uint8_t side; /* 0 server 1 client 2 both 3 either */
    struct rule_num num;
};

struct rule_tag {
    uint8_t host; /* 0 session, 1 host */
    uint8_t metric; /* 0 packets 1 seconds 2 bytes */
    uint8_t dir;    /* 0 none 1 src 2 dst */
    uint32_t count;
};

struct rule_kv {
    char *key, *value;
};

/* Which packet-level conditions a rule carries (bit per struct field). */
#define RULE_HAS_DSIZE 0x0001u
#define RULE_HAS_TTL 0x0002u
#define RULE_HAS_ITYPE 0x0004u
#define RULE_HAS_ICODE 0x0008u
#define RULE_HAS_IP_PROTO 0x0010u
#define RULE_HAS_URILEN 0x0020u
#define RULE_HAS_FLAGS 0x0040u
#define RULE_HAS_STREAM_SIZE 0x0080u
#define RULE_HAS_WINDOW 0x0100u
#define RULE_HAS_ID 0x0200u
#define RULE_HAS_SEQ 0x0400u
#define RULE_HAS_ACK 0x0800u
#define RULE_HAS_ICMP_ID 0x1000u
#define RULE_HAS_ICMP_SEQ 0x2000u
#define RULE_HAS_TAG 0x4000u

struct rule_px;

/* ---- file conditions (rule_file.c, evaluated when a file ends: engine_file.c) ---- */

#define RULE_HASHLIST_MAX (64u * 1024 * 1024) /* hashes in one list */
/* A hash list (filemd5, filesha1, filesha256): sorted binary digests. */
struct rule_hashlist {
    uint8_t *h;
    size_t n, cap;
    size_t hlen; /* 16, 20 or 32 */
};
enum { RULE_FILE_MD5, RULE_FILE_SHA1, RULE_FILE_SHA256, RULE_FILE_HASHES };
struct rule_file {
    struct rule_hashlist *hash[RULE_FILE_HASHES]; /* NULL: not used */
    uint8_t hash_neg[RULE_FILE_HASHES];            /* "!": the hash must not be listed */
    struct rule_num size;                          /* filesize */
    uint8_t has_size;
};
/* filestore: 0x80 | direction << 2 | scope (0: no filestore) */
enum { RULE_STORE_DIR_RULE, RULE_STORE_DIR_TO_SERVER, RULE_STORE_DIR_TO_CLIENT, RULE_STORE_DIR_BOTH };
enum { RULE_STORE_SCOPE_FILE, RULE_STORE_SCOPE_TX, RULE_STORE_SCOPE_FLOW };

/* Load a hash list of hlen-byte digests (one hex digest per line, rest of
 * the line ignored, '#' comments).  NULL with "PATH:LINE: ..." in err. */
struct rule_hashlist *rule_hashlist_load(const char *path, size_t hlen, char *err, size_t errlen);
int rule_hashlist_has(const struct rule_hashlist *h, const uint8_t *digest);
void rule_hashlist_free(struct rule_hashlist *h);
void rule_file_free(struct rule_file *f);

/* Which application conditions a rule carries (rule->app_has). */
#define RULE_APP_DNS_OPCODE 0x01u
#define RULE_APP_DNS_RCODE 0x02u
#define RULE_APP_DNS_RRTYPE 0x04u
#define RULE_APP_TLS_CHAIN_LEN 0x08u
#define RULE_APP_FTPDATA_CMD 0x10u

/* Packet and application comparisons that few rules use: out of line
 * (rule->cond, allocated by the first such keyword, NULL when none) so that
 * the other rules do not carry ~450 bytes of unused fields.  A bit in
 * rule->has (RULE_HAS_*) or rule->app_has (RULE_APP_*) says which are set;
 * cond is non-NULL whenever one is. */
struct rule_cond {
    struct rule_num dsize, ttl, itype, icode, ip_proto, urilen, window, ipid, seq, ack;
    struct rule_num icmp_id, icmp_seq;
    struct rule_stream_size stream_size;
    struct rule_tag tag;
    struct rule_num dns_opcode, dns_rcode, dns_rrtype, tls_chain_len;
};

/* rule->meta_flags (rule_meta.c) */
#define RULE_META_PACKED 0x01u /* msg, refs, metadata array: one block, msg's */
#define RULE_META_POOLED 0x02u /* classtype, class_desc, metadata strings: the ruleset's pool */

#define RULE_SHARED_SRC 0x01u
#define RULE_SHARED_DST 0x02u
#define RULE_SHARED_SPORT 0x04u
#define RULE_SHARED_DPORT 0x08u

struct rule_set_memo;
struct rule_strpool;

/* Field order keeps the small members together (no padding holes): one
 * struct per loaded rule, 24,764 of them with ET Open. */
struct rule {
    /* header */
    uint8_t action, proto, app_proto; /* app_proto: from header or buffers */
    uint8_t bidir;                    /* "<>" */
    uint8_t target;                   /* 0 none, 1 src_ip, 2 dest_ip */
    uint8_t urilen_raw;               /* urilen:N,raw */
    uint8_t noalert;
    uint8_t ftpbounce;
    uint8_t ftpdata_cmd;              /* ftpdata_command: 1 retr, 2 stor */
    uint8_t filestore;                /* filestore keyword (RULE_STORE_*), 0 none */
    uint8_t meta_flags;               /* RULE_META_*: who owns the meta strings */
    uint8_t sets_shared;              /* RULE_SHARED_*: ranges owned by the ruleset's memo */
    uint8_t base64;                   /* has a base64_data list (base64_decode runs it) */
    struct rule_tcp_flags flags;
    struct rule_addr_set src, dst;
    struct rule_port_set sport, dport;

    /* meta */
    uint32_t sid, rev, gid;
    int priority;       /* priority keyword, else the class's, else 3 */
    char *msg;
    char *classtype;    /* NULL when none */
    char *class_desc;   /* from classification.config, or NULL */
    struct rule_kv *refs;     /* key = system, value = id; url prefix in ref_urls */
    char **ref_urls;          /* reference.config URL + id, or NULL entries */
    struct rule_kv *metadata;
    uint32_t n_refs;
    uint32_t n_metadata;

    /* packet and flow conditions */
    uint32_t has;     /* RULE_HAS_* (the fields are in cond) */
    uint32_t flow;
    uint32_t app_has; /* RULE_APP_* (the fields are in cond, but ftpdata_cmd) */
    uint32_t n_bits;
    uint32_t n_flowints;
    struct rule_threshold threshold, detection_filter;
    struct rule_cond *cond; /* dsize, ttl, ..., dns.*, or NULL (see above) */
    struct rule_bit *bits;  /* flowbits then xbits, in rule order */
    struct rule_flowint *flowints;
    char *app_event;   /* app-layer-event */
    char *tls_version; /* tls.version */
    struct rule_px *px; /* vlan.*, fragbits, flow.age, events, ... (rule_pkt.h), or NULL */
    struct rule_file *file; /* filemd5, filesha1, filesha256, filesize, or NULL */

    /* detection (byte_extract variable names are only needed while parsing:
     * elements refer to variables by index) */
    struct rule_buflist *bufs;
    uint32_t n_bufs;
};

/* classification.config / reference.config entries. */
struct rule_class {
    char *name, *desc;
    int priority;
};
struct rule_refsys {
    char *name, *url;
};

/* Why a rule was rejected: the keyword at fault ("header" for the rule
 * header, "syntax" for option syntax) and whether it is unsupported or
 * used wrongly. */
enum rule_err_kind { RULE_ERR_NONE, RULE_ERR_UNSUPPORTED, RULE_ERR_INVALID };

struct rule_error {
    uint8_t kind;
    char keyword[64];
    char msg[RULE_ERR_MAX]; /* full sentence: file:line: rule sid N: ... */
    uint32_t sid;
};

struct ruleset {
    struct rule **rules;
    size_t n, cap;
    size_t rejected, disabled;
    struct rule_error *errors; /* one per rejected rule */
    size_t n_errors, cap_errors;
    struct rule_vars vars;
    struct rule_class *classes;
    size_t n_classes;
    struct rule_refsys *refsys;
    size_t n_refsys;
    int have_classes, have_refsys;
    /* address and port sets parsed once per text (rule_addr.c), or NULL */
    struct rule_set_memo *set_memo;
    /* one copy of each classtype and metadata string (rule_meta.c), or NULL */
    struct rule_strpool *strpool;
    /* duplicate sid detection: open addressing on (gid << 32 | sid) */
    uint64_t *sid_slots;
    size_t sid_cap, sid_used;
};

/* ---- ruleset API (rule_load.c) --------------------------------------- */

/* Initialise with Suricata's default variables. */
int ruleset_init(struct ruleset *rs);
void ruleset_free(struct ruleset *rs);
/* Vars file: "NAME: value" lines (# comments).  0, or -1 with err set. */
int ruleset_load_vars(struct ruleset *rs, const char *path, char *err, size_t errlen);
int ruleset_load_classification(struct ruleset *rs, const char *path, char *err, size_t errlen);
int ruleset_load_reference(struct ruleset *rs, const char *path, char *err, size_t errlen);
/* Load a rules file (rejections recorded, not fatal).  -1 only when the
 * file cannot be read (err set). */
int ruleset_load_file(struct ruleset *rs, const char *path, char *err, size_t errlen);
/* Load text from memory as if it were file `name`. */
int ruleset_load_text(struct ruleset *rs, const char *name, const char *text, size_t len);

/* ---- one rule (rule_parse.c) ----------------------------------------- */

/* Parse one rule.  NULL on rejection with *e filled. */
struct rule *rule_parse(const struct ruleset *rs, const char *text, size_t len, const char *file,
                        unsigned line, struct rule_error *e);
void rule_free(struct rule *r);

const char *rule_buffer_name(unsigned buf);
const char *rule_proto_name(unsigned proto);

/* Match helpers for the engine (rule_addr.c). fam 4 or 6. */
int rule_addr_set_match(const struct rule_addr_set *s, unsigned fam, const uint8_t *a);
int rule_port_set_match(const struct rule_port_set *s, uint16_t port);
int rule_num_match(const struct rule_num *n, uint64_t x);

#endif
