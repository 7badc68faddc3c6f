/*
 * proto.h - application-layer parsers behind one small interface.
 *
 * Every application protocol (dns, http, ssl, smtp, ftp, ssh, dhcp, ...)
 * is one file in src/proto/ that fills one struct proto_parser and one
 * line in the registry table (proto_registry.c).  A parser never sees
 * packets, flows or storage: the app layer (src/stream) hands it in-order
 * bytes per direction of a TCP stream (after reassembly) or one UDP
 * datagram at a time, and the parser hands back records and anomalies
 * through the struct proto_ctx functions below.  That is the whole contract.
 *
 *   probe ──► state_new ──► parse(dir, chunk) ... gap(dir, n) ... eof(dir) ──► state_free
 *              (once the app layer picked the parser)               (flow ended: flush)
 *
 * Resumable: parse() gets whatever bytes arrived - a header may be split
 * over any number of chunks, or several messages may share one - and must
 * give the same records either way.  It keeps what it needs between calls
 * in its own state (with caps on every buffer, length, count and depth),
 * and reads bytes only through struct cursor (src/core/cursor.h).
 *
 * Results (Suricata's three-way result): PROTO_OK (consumed, go on),
 * PROTO_ERROR (this is not my protocol or the stream is beyond repair:
 * the app layer reports a protocol violation, stops feeding this parser
 * and frees it), PROTO_DONE (nothing more of interest, e.g. after an SSH
 * key exchange: stop feeding, keep the state until the flow ends).
 *
 * Records: a parser builds its log's record (a struct that begins with
 * struct record_hdr, described by a struct record_type table in the
 * parser's file) and calls proto_emit().  The record and everything it
 * points to need only live during that call: outputs copy or format what
 * they keep.  Every record carries ts, uid, the connection id fields and
 * community_id: proto_conn() gives them (proto_fill_id() copies them).
 *
 * Ownership: the app layer owns the ctx and calls state_free(); the parser
 * owns its state and everything hanging off it.
 */
#ifndef VIGIL_PROTO_H
#define VIGIL_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/record.h"

enum proto_dir {
    PROTO_ORIG = 0, /* originator -> responder ("client", Zeek's is_orig) */
    PROTO_RESP = 1,
};

enum proto_result {
    PROTO_OK = 0,
    PROTO_DONE = 1,
    PROTO_ERROR = -1,
};

enum proto_probe {
    PROTO_PROBE_NO = 0,    /* not this protocol */
    PROTO_PROBE_YES = 1,   /* this protocol: start the parser */
    PROTO_PROBE_MAYBE = 2, /* cannot tell yet: ask again with more bytes */
};

/* What the parser may know of its connection (read-only).  orig is the
 * client as the app layer sees it (PROTO_ORIG's sender): conn.log's
 * originator, except on a TCP session picked up midstream that the app
 * layer reversed (stream_config.midstream_reverse, docs/stream.md): then
 * reversed is 1 and orig/resp are conn.log's resp/orig.  Log rows take
 * their id fields from proto_fill_id(), which is always conn.log's. */
struct proto_conn {
    const char *uid;          /* the session's uid ("C...") */
    const char *community_id; /* "1:..." */
    struct raddr orig_h, resp_h;
    uint16_t orig_p, resp_p;
    uint8_t ip_proto;         /* 6 TCP, 17 UDP */
    uint8_t reversed;         /* orig/resp are swapped against conn.log's */
    int64_t start_ts;         /* first packet of the session, ns */
};

/* The id fields every Zeek log carries, in this order, after ts and uid. */
struct proto_id {
    struct raddr orig_h;
    uint64_t orig_p;
    struct raddr resp_h;
    uint64_t resp_p;
};

struct proto_ctx; /* owned by the app layer */

struct proto_parser {
    const char *name;      /* Zeek's analyzer/service name: "dns", "http", "ssl", "ftp-data" ... */
    uint8_t ip_proto;      /* 6 (TCP) or 17 (UDP); a protocol on both has two descriptors */
    const uint16_t *ports; /* well-known responder ports (tried first), 0-terminated */

    /*
     * Does this look like my protocol?  data/len: the first bytes seen in
     * direction dir (for UDP: the first datagram); ports of the session.
     * Pure function: no state.  NULL: port-only detection.  On a TCP
     * session picked up midstream (with midstream_reverse) the app layer
     * also asks about the responder's first bytes as PROTO_ORIG, with the
     * ports swapped: YES there and not as PROTO_RESP (a client's request,
     * e.g. an HTTP request line) makes that side the client.
     */
    enum proto_probe (*probe)(const uint8_t *data, size_t len, enum proto_dir dir,
                              uint16_t orig_p, uint16_t resp_p);

    /* New parser state for one session; NULL when out of memory. */
    void *(*state_new)(struct proto_ctx *ctx);

    /* In-order bytes of direction dir (TCP), or one datagram (UDP); ts = packet time (ns). */
    enum proto_result (*parse)(void *state, struct proto_ctx *ctx, enum proto_dir dir,
                               const uint8_t *data, size_t len, int64_t ts);

    /* len bytes of direction dir are missing (capture loss): resynchronise or give up.
     * NULL: the app layer stops feeding the parser after a gap. */
    enum proto_result (*gap)(void *state, struct proto_ctx *ctx, enum proto_dir dir, uint64_t len);

    /* Direction dir has ended (FIN or RST).  May be NULL. */
    void (*eof)(void *state, struct proto_ctx *ctx, enum proto_dir dir, int64_t ts);

    /* The session has ended: emit what is still pending (e.g. a DNS query with no
     * reply, an HTTP request with no response), then free the state. */
    void (*state_free)(void *state, struct proto_ctx *ctx);
};

/* ---- what the app layer gives a parser (implemented in src/stream) ---- */

const struct proto_conn *proto_conn(const struct proto_ctx *ctx);

/* Copy the connection's id fields into *id (conn.log's orig/resp, also
 * on a reversed session). */
void proto_fill_id(const struct proto_ctx *ctx, struct proto_id *id);

/* Hand one finished record to every output.  The record is only read during the call. */
void proto_emit(struct proto_ctx *ctx, const struct record_hdr *rec);

/* Does anything read the records (log outputs, the signature engine)?  No
 * in `vigil extract` (pipeline_config.no_records): a parser may skip work
 * whose only product is a field of its log rows (http.log's sniffed mime
 * types); what it still emits is dropped. */
bool proto_logging(const struct proto_ctx *ctx);

/* The parser has seen valid protocol traffic: the session's conn.log
 * service gets this parser's name (Zeek's protocol confirmation). */
void proto_confirm(struct proto_ctx *ctx);

/* Raise a named anomaly for weird.log (Zeek's weird name where it has one);
 * addl may be NULL.  Counted; also rate-limited per session as Zeek does. */
void proto_weird(struct proto_ctx *ctx, const char *name, const char *addl, int64_t ts);
/* A Suricata app-layer event with no Zeek weird (SMTP's BDAT chunk overrun):
 * to the signature engine's app-layer-event rules only, no weird.log row. */
void proto_event(struct proto_ctx *ctx, const char *name, int64_t ts);

/* Hand the rest of the stream, both directions, to another parser by name
 * (STARTTLS: smtp/ftp/imap/pop3 -> "ssl"; HTTP CONNECT -> content probing
 * again with name NULL).  Bytes after the current chunk go to the new
 * parser; the current parser's state_free() runs when the session ends. */
int proto_switch(struct proto_ctx *ctx, const char *name);

/* Expect a new session (FTP data channel, ...): the next session from orig
 * (NULL = any address) to resp:resp_p within timeout_ns gets the parser
 * named name (e.g. "ftp-data") and its service set.  0 or <0. */
int proto_expect(struct proto_ctx *ctx, const struct raddr *orig, const struct raddr *resp,
                 uint16_t resp_p, const char *name, int64_t timeout_ns);

/*
 * Child parsers: a parser runs another on bytes it extracts from its own
 * messages (Zeek's child analyzers).  GridFTP's GSI authentication is a TLS
 * handshake sent base64-encoded in FTP "ADAT" commands and "335 ADAT=" /
 * "235 ADAT=" replies (RFC 2228): ftp.c decodes them and feeds an "ssl"
 * child.  The child runs through the same ctx: its records carry this
 * session's uid and id fields, its proto_confirm() adds its name to
 * conn.log's service (without confirming the parent), its weirds name it as
 * source, proto_expect() works as usual; a proto_switch() from a child is
 * ignored.  A child sees only what its parent hands it: no probe, no gaps.
 *
 * Ownership: the parent owns the handle and closes it, at the latest in its
 * own state_free(); closing runs the child's state_free() (which may emit
 * pending records, e.g. an unfinished ssl.log row) and frees the handle.
 */
struct proto_child;

/* A child running the parser named name (the session's ip_proto); NULL when
 * there is no such parser or memory is short. */
struct proto_child *proto_child_open(struct proto_ctx *ctx, const char *name);

/* In-order bytes of direction dir for the child; returns its result: PROTO_OK,
 * PROTO_DONE (it wants no more, e.g. TLS established) or PROTO_ERROR (not its
 * protocol: counted as a violation, its state freed at once).  After DONE or
 * ERROR, bytes are dropped and that result returned again.  NULL child: ERROR. */
enum proto_result proto_child_data(struct proto_child *child, enum proto_dir dir,
                                   const uint8_t *data, size_t len, int64_t ts);

/* Run the child's state_free() (if not yet run) and free the handle.  NULL: no-op. */
void proto_child_close(struct proto_child *child);

/* Add a service label that is no parser's name (Zeek scripts' add
 * c$service[...]: "gridftp" for an FTP control channel whose AUTH GSSAPI
 * exchange established TLS, base/protocols/ftp/gridftp.zeek). */
void proto_service_add(struct proto_ctx *ctx, const char *name);

/*
 * Inspection points for the signature engine (src/detect, docs/alerts.md).
 * A parser that knows a protocol moment Suricata's rules inspect (a TLS
 * ClientHello, ServerHello or Certificate, a DNS request or response, an
 * SSH banner or KEXINIT, an SMTP command, an FTP PORT command, an FTP data
 * channel) fills one struct proto_insp with the buffers and numbers rules
 * may look at and calls proto_inspect() at that moment, instead of the
 * engine waiting for the log row.  A buffer given several times is a
 * multi-buffer (tls.certs, dns.query per question, smtp.rcpt_to): a rule
 * matches when its list matches any one instance.  tx numbers the
 * transaction: a rule alerts at most once per transaction of a session
 * and direction (dir: whose message it is), as in Suricata, so a moment
 * may repeat what an earlier one of the same side gave.
 * proto_inspecting() says whether anything listens (no rules: skip the
 * work).  The buffers need only live during the call.
 */
enum proto_ibuf {
    PI_TLS_SNI, PI_TLS_CERT_SUBJECT, PI_TLS_CERT_ISSUER, PI_TLS_CERT_SERIAL,
    PI_TLS_CERT_FINGERPRINT, PI_TLS_CERTS, PI_TLS_SAN, PI_TLS_ALPN, PI_TLS_RANDOM,
    PI_JA3_HASH, PI_JA3_STRING, PI_JA3S_HASH, PI_JA3S_STRING,
    PI_SSH_PROTO, PI_SSH_SOFTWARE, PI_SSH_HASSH, PI_SSH_HASSH_STRING, PI_SSH_HASSH_SERVER,
    PI_SSH_HASSH_SERVER_STRING,
    PI_DNS_QUERY, PI_DNS_ANSWER_NAME,
    PI_SMTP_HELO, PI_SMTP_MAIL_FROM, PI_SMTP_RCPT_TO,
    PI_COUNT
};
enum proto_inum {
    PN_TLS_VERSION,   /* wire version of this side's hello */
    PN_TLS_CHAIN_LEN, /* certificates in this side's Certificate message */
    PN_DNS_OPCODE, PN_DNS_RCODE,
    PN_FTP_BOUNCE,    /* PORT/EPRT names an address other than the client's: 1 */
    PN_FTPDATA_CMD,   /* data channel of a 1 RETR, 2 STOR */
    PN_COUNT
};
#define PROTO_INSP_ITEMS 64
#define PROTO_INSP_RRTYPES 16
struct proto_insp_item {
    const uint8_t *p;
    uint32_t len;
    uint8_t id; /* enum proto_ibuf */
};
struct proto_insp {
    enum proto_dir dir;
    uint64_t tx;
    struct proto_insp_item item[PROTO_INSP_ITEMS];
    uint32_t n;
    uint32_t num_have; /* bit per enum proto_inum */
    uint64_t num[PN_COUNT];
    uint16_t rrtype[PROTO_INSP_RRTYPES]; /* DNS: the rrtypes of the questions / answers */
    uint32_t n_rrtype;
};

static inline void proto_insp_init(struct proto_insp *in, enum proto_dir dir, uint64_t tx)
{
    in->dir = dir;
    in->tx = tx;
    in->n = 0;
    in->num_have = 0;
    in->n_rrtype = 0;
}

/* Add one buffer instance (dropped beyond PROTO_INSP_ITEMS). */
static inline void proto_insp_buf(struct proto_insp *in, enum proto_ibuf id, const void *p,
                                  size_t len)
{
    if (in->n < PROTO_INSP_ITEMS && p) {
        in->item[in->n].p = (const uint8_t *)p;
        in->item[in->n].len = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
        in->item[in->n].id = (uint8_t)id;
        in->n++;
    }
}

static inline void proto_insp_num(struct proto_insp *in, enum proto_inum id, uint64_t v)
{
    in->num[id] = v;
    in->num_have |= 1u << id;
}

/* Is a signature engine listening?  (No: do not build the buffers.) */
bool proto_inspecting(const struct proto_ctx *ctx);
/* Hand one moment to the signature engine. */
void proto_inspect(struct proto_ctx *ctx, const struct proto_insp *in);
/* The session's payload is encrypted from here on (TLS application data
 * after the ServerHello, SSH after both NEWKEYS): the signature engine
 * stops inspecting its payload, as Suricata does (docs/alerts.md,
 * "Encrypted sessions").  Parsing and logging go on as before. */
void proto_encrypted(struct proto_ctx *ctx);

/* ---- the registry (proto_registry.c) ---- */

/* Every parser, NULL-terminated, in detection priority order. */
extern const struct proto_parser *const proto_parsers[];

/* The parser named name for ip_proto, or NULL. */
const struct proto_parser *proto_find(const char *name, uint8_t ip_proto);

/* Free what the parsers keep per thread across sessions (HTTP's memo of
 * inflated bodies): a worker thread calls it at its end. */
void proto_thread_free(void);

#endif
