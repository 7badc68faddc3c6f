/*
 * dns_detect.c - the DNS parser's inspection points for the signature
 * engine (proto.h, struct proto_insp): every DNS message, request or
 * response, at the moment it is parsed, with the names of its questions
 * (dns.query on requests, dns.queries.rrname), the owner names of its
 * answers (dns.answers.rrname), its opcode and rcode, and the rrtypes of
 * its questions (requests) or answers (responses, or the questions when
 * there is no answer), as Suricata 8's DNS keywords see them.
 *
 * The message is walked again with its own cursor (the log's walk in
 * dns_msg.c follows Zeek's events and keeps no names): names are decoded
 * with compression pointers (at most 64 hops, at most 255 bytes), and a
 * malformed message gives what was read before the damage.  Only done
 * when an engine listens (proto_inspecting).
 */
#include <string.h>

#include "core/cursor.h"
#include "proto/dns.h"
#include "proto/dns_int.h"

#define DNS_DET_NAMES 16   /* names handed per message */
#define DNS_DET_NAME_MAX 255

/* Read the name at c (message msg, len) into out as dotted text; the
 * cursor moves past the name's bytes in place.  -1 when malformed. */
static int det_name(struct cursor *c, const uint8_t *msg, size_t len, char *out, size_t *out_len)
{
    size_t n = 0;
    struct cursor at = *c;
    int jumped = 0;
    for (int hops = 0; hops < 64; hops++) {
        uint8_t l;
        if (cursor_u8(&at, &l) < 0)
            return -1;
        if ((l & 0xc0) == 0xc0) {
            uint8_t lo;
            if (cursor_u8(&at, &lo) < 0)
                return -1;
            size_t off = ((size_t)(l & 0x3f) << 8) | lo;
            if (off >= len)
                return -1;
            if (!jumped)
                *c = at;
            jumped = 1;
            cursor_init(&at, msg + off, len - off);
            continue;
        }
        if (l == 0) {
            if (!jumped)
                *c = at;
            *out_len = n;
            return 0;
        }
        const uint8_t *p;
        if (l > 63 || cursor_ptr(&at, l, &p) < 0)
            return -1;
        if (n + (n ? 1u : 0u) + l > DNS_DET_NAME_MAX)
            return -1;
        if (n)
            out[n++] = '.';
        memcpy(out + n, p, l);
        n += l;
    }
    return -1;
}

void dns_detect_message(struct proto_ctx *ctx, enum proto_dir dir, const uint8_t *msg,
                        size_t len, uint64_t tx)
{
    char names[DNS_DET_NAMES][DNS_DET_NAME_MAX + 1];
    struct proto_insp in;
    struct cursor c;
    struct dns_hdr h;
    if (len < 12 || !proto_inspecting(ctx))
        return;
    memset(&h, 0, sizeof(h));
    cursor_init(&c, msg, len);
    dns_hdr_parse(&c, &h);
    proto_insp_init(&in, dir, tx);
    proto_insp_num(&in, PN_DNS_OPCODE, h.opcode);
    proto_insp_num(&in, PN_DNS_RCODE, h.rcode);
    size_t nn = 0;
    uint16_t qtypes[PROTO_INSP_RRTYPES];
    uint32_t nq = 0;
    for (unsigned i = 0; i < h.qdcount; i++) {
        size_t l;
        uint16_t type, cls;
        if (nn >= DNS_DET_NAMES || det_name(&c, msg, len, names[nn], &l) < 0 ||
            cursor_u16be(&c, &type) < 0 || cursor_u16be(&c, &cls) < 0)
            goto done;
        proto_insp_buf(&in, PI_DNS_QUERY, names[nn++], l);
        if (nq < PROTO_INSP_RRTYPES)
            qtypes[nq++] = type;
    }
    for (unsigned i = 0; h.qr && i < h.ancount; i++) {
        size_t l;
        uint16_t type, cls, rdlen;
        uint32_t ttl;
        if (nn >= DNS_DET_NAMES || det_name(&c, msg, len, names[nn], &l) < 0 ||
            cursor_u16be(&c, &type) < 0 || cursor_u16be(&c, &cls) < 0 ||
            cursor_u32be(&c, &ttl) < 0 || cursor_u16be(&c, &rdlen) < 0 ||
            cursor_skip(&c, rdlen) < 0)
            goto done;
        proto_insp_buf(&in, PI_DNS_ANSWER_NAME, names[nn++], l);
        if (in.n_rrtype < PROTO_INSP_RRTYPES)
            in.rrtype[in.n_rrtype++] = type;
    }
done:
    if (in.n_rrtype == 0) { /* requests, and responses without answers: the questions */
        memcpy(in.rrtype, qtypes, nq * sizeof(qtypes[0]));
        in.n_rrtype = nq;
    }
    proto_inspect(ctx, &in);
}
