/*
 * alert_payload.c - the optional parts of an alert that Suricata's eve-log
 * alert type writes when asked (`payload: yes`, `payload-printable: yes`,
 * `packet: yes`), and in_iface for live capture.  `--eve-alert LIST` sets
 * them (docs/alerts.md, "EVE extras"); this file fills the alert record's
 * fields from the inspection that alerted.
 *
 * What the payload is, by inspection:
 *   - a reassembled-stream inspection: the stream window the rule matched
 *     in, stream 1 (Suricata: the reassembled stream data, stream 1);
 *   - a packet inspection: the packet's transport payload, stream 0;
 *   - a transaction or protocol-moment inspection: the transport payload
 *     of the packet that completed it, stream 0.  Suricata writes the
 *     reassembled stream data of the direction here; Vigil keeps no copy of
 *     it past the parsers, so the packet's payload is what there is.
 * payload is capped at ALERT_PAYLOAD_MAX bytes (Suricata's default
 * payload-buffer-size, 4 KiB).  packet is the whole captured frame with
 * its link type in packet_info.linktype.  Base64 by OpenSSL.
 */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "detect/alert_payload.h"
#include "detect/engine_int.h"

#define ALERT_PAYLOAD_MAX 4096

static unsigned eve_extras;

void detect_set_eve_extras(unsigned flags)
{
    eve_extras = flags;
}

unsigned detect_eve_extras(void)
{
    return eve_extras;
}

int detect_eve_extras_parse(const char *list, unsigned *flags, char *err, size_t errlen)
{
    static const struct {
        const char *name;
        unsigned flag;
    } names[] = {{"payload", DET_EVE_PAYLOAD},
                 {"payload-printable", DET_EVE_PAYLOAD_PRINTABLE},
                 {"packet", DET_EVE_PACKET},
                 {"all", DET_EVE_PAYLOAD | DET_EVE_PAYLOAD_PRINTABLE | DET_EVE_PACKET}};
    const char *p = list;
    unsigned f = 0;
    while (*p) {
        size_t n = strcspn(p, ",");
        size_t i;
        for (i = 0; i < sizeof names / sizeof names[0]; i++)
            if (strlen(names[i].name) == n && strncmp(p, names[i].name, n) == 0)
                break;
        if (i == sizeof names / sizeof names[0]) {
            snprintf(err, errlen,
                     "--eve-alert: '%.*s' is not one of payload, payload-printable, packet, all",
                     (int)n, p);
            return -1;
        }
        f |= names[i].flag;
        p += n;
        if (*p == ',')
            p++;
    }
    if (!f) {
        snprintf(err, errlen, "--eve-alert wants a list: payload, payload-printable, packet, all");
        return -1;
    }
    *flags = f;
    return 0;
}

/* The packet that alerted or that completed the inspected transaction. */
static const struct packet *insp_packet(const struct det_insp *in)
{
    if (in->pkt)
        return in->pkt;
    return in->st ? in->st->pkt : NULL;
}

static char *b64(const uint8_t *p, size_t n, size_t *len)
{
    char *out = malloc(4 * ((n + 2) / 3) + 1);
    if (!out)
        return NULL;
    *len = (size_t)EVP_EncodeBlock((unsigned char *)out, p, (int)n);
    return out;
}

/* The frame as captured; for a datagram rebuilt from fragments at the
 * outermost IP layer, the link header followed by the rebuilt datagram
 * (fragment header gone), as Suricata logs its reassembled packet. */
static char *frame_b64(const struct packet *pkt, size_t *len)
{
    const struct pkt_ip *ip = pkt->n_layers ? &pkt->layer[0] : NULL;
    if (!ip || !ip->reassembled || !ip->l4 || pkt->link.hdr_len > pkt->caplen)
        return b64(pkt->data, pkt->caplen, len);
    size_t pre = pkt->link.hdr_len, dlen = (size_t)(ip->l4 - ip->hdr) + ip->l4_len;
    uint8_t *f = malloc(pre + dlen + 1);
    if (!f)
        return NULL;
    memcpy(f, pkt->data, pre);
    memcpy(f + pre, ip->hdr, dlen);
    char *out = b64(f, pre + dlen, len);
    free(f);
    return out;
}

static char *printable(const uint8_t *p, size_t n)
{
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++)
        out[i] = (p[i] >= 0x20 && p[i] < 0x7f) || p[i] == '\n' || p[i] == '\r' || p[i] == '\t'
                     ? (char)p[i]
                     : '.';
    out[n] = 0;
    return out;
}

static void set(struct alert_record *a, int f, struct rstr *dst, char *s, size_t len,
                struct alert_payload_bufs *b)
{
    if (!s)
        return;
    b->p[b->n++] = s;
    dst->p = s;
    dst->len = len;
    record_set_unset(&a->hdr, (size_t)f, false);
}

void alert_payload_fill(struct alert_record *a, const struct det_insp *in,
                        struct alert_payload_bufs *b)
{
    b->n = 0;
    const struct packet *pkt = insp_packet(in);
    if (pkt && pkt->origin && pkt->origin_offset < 0) {
        a->in_iface.p = pkt->origin;
        a->in_iface.len = strlen(pkt->origin);
        record_set_unset(&a->hdr, AF_IN_IFACE, false);
    }
    unsigned x = eve_extras;
    if (!x)
        return;
    const uint8_t *pl = NULL;
    size_t pn = 0;
    int stream = 0;
    if ((in->stream || in->pkt) && in->have[RULE_BUF_PKT]) {
        pl = in->buf[RULE_BUF_PKT], pn = in->len[RULE_BUF_PKT], stream = in->stream != 0;
    } else if (pkt) {
        const struct pkt_ip *ip = packet_inner_const(pkt);
        if (ip && ip->t.payload)
            pl = ip->t.payload, pn = ip->t.payload_len;
    }
    if (pn > ALERT_PAYLOAD_MAX)
        pn = ALERT_PAYLOAD_MAX;
    size_t len = 0;
    if (x & (DET_EVE_PAYLOAD | DET_EVE_PAYLOAD_PRINTABLE)) {
        if (x & DET_EVE_PAYLOAD) {
            char *s = b64(pl ? pl : (const uint8_t *)"", pn, &len);
            set(a, AF_PKT_PAYLOAD, &a->payload, s, len, b);
        }
        if (x & DET_EVE_PAYLOAD_PRINTABLE) {
            char *s = printable(pl ? pl : (const uint8_t *)"", pn);
            set(a, AF_PKT_PRINTABLE, &a->payload_printable, s, pn, b);
        }
        a->stream = (uint64_t)stream;
        record_set_unset(&a->hdr, AF_PKT_STREAM, false);
    }
    if ((x & DET_EVE_PACKET) && pkt && pkt->data) {
        char *f = frame_b64(pkt, &len);
        set(a, AF_PKT_FRAME, &a->packet, f, len, b);
        a->packet_linktype = (uint64_t)pkt->linktype;
        record_set_unset(&a->hdr, AF_PKT_LINKTYPE, false);
    }
}

void alert_payload_release(struct alert_payload_bufs *b)
{
    for (int i = 0; i < b->n; i++)
        free(b->p[i]);
    b->n = 0;
}
