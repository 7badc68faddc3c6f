/*
 * pcapindex.h - the full-content archive's per-file flow index: its
 * on-disk format and the reader API (`vigil pcap`, crash recovery, tests).
 *
 * ARCHIVE LAYOUT (ARCHITECTURE.md §5, Security Onion's):
 *
 *   DATA/sensor_data/<sensor>/dailylogs/<YYYY-MM-DD>/<sensor>.<epoch>.pcap
 *   DATA/sensor_data/<sensor>/dailylogs/<YYYY-MM-DD>/<sensor>.<epoch>.pcap.idx
 *   DATA/sensor_data/<sensor>/dailylogs/<YYYY-MM-DD>/<sensor>.<epoch>.pcap.idx.open
 *
 * <YYYY-MM-DD> is the UTC day of the file's first packet; <epoch> its
 * second (UTC).  A file never spans a UTC midnight.  The pcap is classic
 * libpcap format, NANOSECOND magic (0xa1b23c4d, host byte order - little
 * endian on the machines we build for; readers here accept both orders and
 * both magics), snaplen 262144, link type of the source (a change of link
 * type starts a new file).  Records are whole: the writer only ever writes
 * whole records, and recovery cuts a crashed file after its last whole one.
 *
 * .idx    the index of a CLOSED file, written once when the file closes
 *         (temp file + fsync + rename, so it is either absent or whole).
 * .idx.open  the journal of the OPEN file (append-only, flushed every
 *         second with the pcap data); removed when the .idx is in place.
 *         A pcap with neither is a file a crash left open (or a foreign
 *         pcap): pcapindex_open() rebuilds its index from the packets.
 *
 * .idx FORMAT, version 2 (all integers little endian unless said).  Built
 * for lookups that read only what they need (pcapindex_read.c): a fixed
 * header, three sorted tables of fixed-size entries searched in place
 * (mmap), then one block per session.
 *
 *   0       8       12      16              24              32
 *   +-------+-------+-------+---------------+---------------+
 *   | magic |version| flags |   first_ns    |    last_ns    |
 *   +-------+-------+-------+---------------+---------------+
 *   32              40              48              56      60      64
 *   +---------------+---------------+---------------+-------+-------+
 *   |  pcap_bytes   |    packets    |   sessions    | link  | page  |
 *   +---------------+---------------+---------------+-------+-------+
 *   64: three table descriptors, 24 bytes each (directory, hosts, ports)
 *   +---------------+---------------+-----------+---------+---------+
 *   |  off (file)   |  n (entries)  | fence_crc | ent_len | key_len |
 *   +---------------+---------------+-----------+---------+---------+
 *   136             144             152     156     160
 *   +---------------+---------------+-------+-------+
 *   |  blocks_off   |  blocks_len   |  0    |hdr_crc|
 *   +---------------+---------------+-------+-------+
 *
 *   magic "VGLIDX\0\1"; version 2 (version 1, one zlib body holding every
 *   session, is not read: such a file counts as having no index and is
 *   rebuilt from its packets - in memory by `vigil pcap`, on disk by
 *   pcapindex_recover and by pcapindex_open with write_rebuilt); flags 0;
 *   hdr_crc: crc32 (zlib's) of bytes 0..155.  first_ns/last_ns: first and
 *   last packet time of the file (ns since the epoch); pcap_bytes: size of
 *   the pcap the index covers; packets: records in it (including those of
 *   no session: ARP, non-IP); page: entries per page (64).
 *
 *   Each table: n entries of ent_len bytes sorted by their first key_len
 *   bytes (memcmp), then one fence per page of `page` entries:
 *     key_len bytes (the page's first key), u32 crc32 of the page's entries
 *   fence_crc is the crc32 of the fence array.  A lookup binary-searches
 *   the fences, checks one page's CRC, binary-searches the page.
 *
 *   directory (64 bytes, key: uid)
 *   +--------------------------+------------+-------------+
 *   | uid, NUL padded (24)     | first_ns   | last_ns     |
 *   +------------+------+------+------+--+---+---+-------+
 *   | block_off  | len  | crc  |n_pkts|pr|fam| 0 0 |
 *   +------------+------+------+------+--+---+---+
 *   hosts (40 bytes, key: family + address, 17 bytes)
 *   +---+--------------+-----+---+------------+-----+-----+
 *   |fam| address (16) |0 0 0| n | posting off| len | crc |
 *   +---+--------------+-----+---+------------+-----+-----+
 *   ports (24 bytes, key: port, big endian)
 *   +------+-----+---+------------+-----+-----+
 *   | port | 0 0 | n | posting off| len | crc |
 *   +------+-----+---+------------+-----+-----+
 *
 *   sid: session number = directory position.  One host entry per distinct
 *   address on either side of any session (IPv4 in the first 4 bytes, the
 *   rest 0), one port entry per distinct port; each names its posting
 *   list: n sids, ascending, as LEB128 deltas (the first from 0), len bytes
 *   at posting off from blocks_off, crc32 of them.  Directory first_ns/
 *   last_ns: the session's packet time range in this file; block_off from
 *   blocks_off, block len and crc32; pr/fam: IP protocol and 4 or 6.
 *
 *   The blocks area holds every session's block, then the posting lists.
 *   Block: u8 encoding (0 raw, 1 zlib: then varint raw_len and the deflate
 *   stream; used when the raw block is >= 256 bytes and shrinks by an
 *   eighth), raw:
 *     u8 proto, u8 family, addr a (4 or 16 bytes), addr b, u16 port a,
 *     u16 port b (big endian)
 *     n_pkts x { varint offset delta, varint zigzag(ts delta ns) }
 *
 *   a/b are the source/destination of the session's first packet in the
 *   file (not necessarily Zeek's originator).  Offsets are byte offsets of
 *   the pcap record header, delta to the previous packet of the session
 *   (the first to 0); timestamps delta to the previous one (the first to
 *   the entry's first_ns).  Varints are LEB128 (7 bits a byte, low first).
 *   A packet carried in a tunnel appears under the tunnel session(s) and
 *   the inner one.  ICMP sessions store the first packet's type and code as
 *   port a and port b; protocols without ports store 0.
 *
 * .idx.open FORMAT: a header frame then frames appended every second:
 *     u32 payload_len, u32 crc32(payload), payload
 *   payload = sequence of entries:
 *     'H' u32 linktype, i64 first_ns, u8 sensor_len, sensor   (first frame)
 *     'S' varint session_no, session key as in .idx (uid, proto, family,
 *         a, b, port a, port b)                     (first use in the file)
 *     'P' varint offset, i64 ts_ns, u8 n, n x varint session_no
 *   A reader stops at the first short or bad-CRC frame (a crash mid-write).
 */
#ifndef VIGIL_STORE_PCAPINDEX_H
#define VIGIL_STORE_PCAPINDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/packet.h"

#define PCAPINDEX_MAX_REFS PKT_MAX_LAYERS
#define PCAPINDEX_MAGIC "VGLIDX\0\1"
#define PCAPINDEX_VERSION 2
#define PCAPINDEX_HDR_LEN 160

/* pcap file header and record header sizes (classic libpcap format). */
#define PCAPFILE_HDR_LEN 24
#define PCAPFILE_REC_LEN 16
#define PCAPFILE_SNAPLEN 262144

/* Session key, as stored. */
struct pcapindex_key {
    uint8_t proto;           /* IP protocol */
    uint8_t family;          /* 4 or 6 */
    uint8_t a[16], b[16];    /* network order; IPv4 in the first 4 bytes */
    uint16_t port_a, port_b; /* host order */
};

/* One packet of a session: where its record header starts in the pcap. */
struct pcapindex_pkt {
    uint64_t offset; /* byte offset of the pcap record header */
    int64_t ts_ns;   /* packet time, ns since the epoch */
};

struct pcapindex_session {
    char uid[24];
    struct pcapindex_key key;
    uint32_t n_pkts;
    const struct pcapindex_pkt *pkts; /* n_pkts, in file order; owned by the index */
};

/* What one file's index says about the file (cheap: header only). */
struct pcapindex_info {
    int64_t first_ns, last_ns; /* packet time range; last_ns INT64_MAX for the open file */
    uint64_t pcap_bytes;       /* bytes covered */
    uint64_t packets;
    uint64_t sessions;
    uint32_t linktype;
    bool open;                 /* from the journal of a file being written */
    bool rebuilt;              /* no usable index: rebuilt from the packets */
};

struct pcapindex;

struct pcapindex_open_opts {
    const char *sensor;  /* sensor name for uids when the index must be rebuilt
                            (default: taken from the file name <sensor>.<epoch>.pcap) */
    bool write_rebuilt;  /* write a rebuilt index to <pcap>.idx (atomic) */
    bool force_rebuild;  /* ignore .idx and journal (they were found damaged) */
};

/*
 * Open the index of pcap_path: <pcap_path>.idx (mapped; only its header
 * and fences are read now), else the open file's
 * journal <pcap_path>.idx.open, else (or when either is damaged) rebuild it
 * by reading the pcap and re-running decoder + flow table (uids are then
 * those `vigil analyze` of that one file would give; sessions that began in
 * an earlier file get a new uid).  opts may be NULL.  0, or <0 with a
 * sentence naming the file in err.
 */
int pcapindex_open(const char *pcap_path, const struct pcapindex_open_opts *opts,
                   struct pcapindex **out, char *err, size_t errlen);
void pcapindex_free(struct pcapindex *ix);

/* Header only (no body read): time range etc.  For the open file (journal)
 * last_ns is INT64_MAX.  0, or <0 (no usable index: caller may treat the
 * file as overlapping any range, or call pcapindex_open). */
int pcapindex_read_info(const char *pcap_path, struct pcapindex_info *info, char *err,
                        size_t errlen);

void pcapindex_get_info(const struct pcapindex *ix, struct pcapindex_info *info);

/* Sessions, sorted by uid.  Sessions are decoded from their blocks on
 * first use and kept by the index (hence not const); NULL when i is out of
 * range or its block is damaged (then pcapindex_damaged says so). */
size_t pcapindex_session_count(const struct pcapindex *ix);
const struct pcapindex_session *pcapindex_session_at(struct pcapindex *ix, size_t i);

/* The session with this uid, or NULL (binary search of the fences, then
 * of one page; one block decoded). */
const struct pcapindex_session *pcapindex_find_uid(struct pcapindex *ix, const char *uid);

/* A page or block read so far failed its CRC (or did not parse): results
 * may be missing sessions; reopen with force_rebuild. */
bool pcapindex_damaged(const struct pcapindex *ix);

/* Check every page and block (tests, `vigil pcap` after a damage report).
 * 0, or -1 when something is damaged. */
int pcapindex_verify(struct pcapindex *ix);

/* Host/port/5-tuple selection.  Unset members match anything; a host or
 * port matches either side; with both host and host2 (or port and port2)
 * set, one must be on each side (a 5-tuple is host+port, host2+port2,
 * proto: matched in either direction). */
struct pcapindex_match {
    bool has_host, has_host2;
    uint8_t host_family, host2_family; /* 4 or 6 */
    uint8_t host[16], host2[16];
    bool has_port, has_port2;
    uint16_t port, port2;
    bool has_proto;
    uint8_t proto;
};

bool pcapindex_session_matches(const struct pcapindex_session *s, const struct pcapindex_match *m);

/* Every packet of every matching session, de-duplicated (a tunnelled
 * packet is in two sessions) and in file order.  *pkts is malloc'd, caller
 * frees; *n may be 0.  Also the matching uids when uids != NULL (malloc'd
 * array of pointers into the index, caller frees the array only).
 * Planned by the query: a host reads the run of the hosts table under it,
 * else a port that of the ports table, else every session; each candidate
 * block is then matched against the whole query.  -1 out of memory or a
 * damaged table (pcapindex_damaged). */
int pcapindex_select(struct pcapindex *ix, const struct pcapindex_match *m,
                     struct pcapindex_pkt **pkts, size_t *n, const char ***uids, size_t *nuids);
/* The same, only sessions whose time range meets [lo, hi). */
int pcapindex_select_window(struct pcapindex *ix, const struct pcapindex_match *m, int64_t lo,
                            int64_t hi, struct pcapindex_pkt **pkts, size_t *n,
                            const char ***uids, size_t *nuids);

/* --- writer side: building an index (src/store/pcapstore.c, rebuilds) --- */

/* A session a packet belongs to: its uid and (used at first sight) key. */
struct pcapindex_ref {
    const char *uid;
    struct pcapindex_key key;
};

struct pcapindex_builder;

/* The key of the session of pkt->layer[layer], as the archive stores it. */
void pcapindex_key_from_layer(const struct packet *pkt, int layer, struct pcapindex_key *k);

/* journal: also keep the .idx.open entries for pcapindex_builder_journal. */
struct pcapindex_builder *pcapindex_builder_new(uint32_t linktype, int64_t first_ns,
                                                const char *sensor, bool journal);
void pcapindex_builder_free(struct pcapindex_builder *b);

/* One packet (record header at offset) of sessions refs[0..n) (n may be 0). */
int pcapindex_builder_add(struct pcapindex_builder *b, uint64_t offset, int64_t ts_ns,
                          const struct pcapindex_ref *refs, int n);

/* The journal bytes pending since the last call, as one whole frame
 * (len, crc, payload) ready to append to .idx.open; *len 0 when none.
 * The pointer is valid until the next builder call. */
void pcapindex_builder_journal(struct pcapindex_builder *b, const uint8_t **frame, size_t *len);

/* Write the closed file's index atomically (idx_path.tmp, fsync, rename,
 * fsync of the directory).  pcap_bytes: size of the finished pcap.
 * *idx_bytes: size written.  0, or <0 with a sentence. */
int pcapindex_builder_write(struct pcapindex_builder *b, const char *idx_path,
                            uint64_t pcap_bytes, bool compress, uint64_t *idx_bytes, char *err,
                            size_t errlen);

/* Crash recovery of a file left open: cut the pcap after its last whole
 * record (truncate(2)), index it from its journal (when there is one) and
 * from the packets past the journal, write <pcap>.idx, remove the journal.
 * *cut_bytes: bytes removed.  0, or <0 with a sentence. */
int pcapindex_recover(const char *pcap_path, const char *sensor, uint64_t *cut_bytes,
                      char *err, size_t errlen);

/* --- pcap files --- */

/* One record header, as read from a pcap. */
struct pcapfile_rec {
    int64_t ts_ns;
    uint32_t caplen, wirelen;
};

struct pcapfile_hdr {
    bool swapped; /* file in the other byte order */
    bool nano;    /* nanosecond magic */
    uint32_t snaplen;
    uint32_t linktype;
};

/* Parse a 24-byte pcap file header.  0, or <0 when it is not a pcap. */
int pcapfile_parse_hdr(const uint8_t *b, size_t len, struct pcapfile_hdr *h);
/* Parse a 16-byte record header. */
void pcapfile_parse_rec(const struct pcapfile_hdr *h, const uint8_t *b, struct pcapfile_rec *r);

/* Walk a pcap's records: cb for each whole record (offset of its header,
 * the record header, the caplen bytes).  *good_end: byte offset just after
 * the last whole record (where a crashed file is cut).  Returns 0 when the
 * file ended on a whole record, 1 when a partial/garbage tail follows
 * *good_end, <0 on an I/O error or a bad file header (sentence in err). */
typedef int (*pcapfile_rec_fn)(void *ctx, uint64_t offset, const struct pcapfile_rec *r,
                               const uint8_t *data);
int pcapfile_walk(const char *path, struct pcapfile_hdr *hdr, pcapfile_rec_fn cb, void *ctx,
                  uint64_t *good_end, char *err, size_t errlen);

/* --- the archive --- */

/* One pcap file of the archive. */
struct pcapindex_file {
    char *path;       /* full path of the .pcap */
    int64_t epoch;    /* from the name: first packet second */
    char day[11];     /* YYYY-MM-DD directory */
};

/* Every <sensor>.<epoch>.pcap under DATA/sensor_data/<sensor>/dailylogs/
 * (all sensors when sensor is NULL), sorted by epoch then path.  0, or <0
 * with a sentence.  *n may be 0 (no archive yet). */
int pcapindex_archive_list(const char *data_dir, const char *sensor,
                           struct pcapindex_file **files, size_t *n, char *err, size_t errlen);
void pcapindex_archive_free(struct pcapindex_file *files, size_t n);

/* DATA dir: --data value if given, else $VIGIL_DATA, else "/nsm". */
const char *pcapindex_data_dir(const char *flag_value);

#endif
