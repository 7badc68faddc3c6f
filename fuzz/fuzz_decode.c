/*
 * fuzz_decode.c - libFuzzer harness for src/decode/.
 *
 * Input: byte 0 picks a link type from link_types[] (and bit 7 turns
 * checksum verification on), byte 1 the tunnel depth; then frames, each a
 * 2-byte big-endian length and that many bytes (a short last frame takes
 * what is left).  All frames go through one decoder with reassembly ON and
 * a small memory cap, one second apart, so fragment state, overlaps,
 * evictions and timeouts are exercised across frames.  Every decoded
 * pointer is read back so the sanitizers see out-of-bounds views.
 */
#include <stdint.h>
#include <stdlib.h>

#include "core/cursor.h"
#include "decode/decode.h"

static const int link_types[] = {1, 0, 108, 12, 101, 228, 229, 113, 276, 14};

static unsigned fuzz_touch(const uint8_t *p, uint32_t n)
{
    unsigned s = 0;
    for (uint32_t i = 0; p && i < n; i++)
        s += p[i];
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cursor c;
    uint8_t sel = 0, depth = 0;
    cursor_init(&c, data, size);
    if (cursor_u8(&c, &sel) < 0 || cursor_u8(&c, &depth) < 0)
        return 0;
    struct decode_config cfg;
    decode_config_default(&cfg);
    cfg.reassemble = 1;
    cfg.frag_memcap = 64 * 1024;
    cfg.frag_timeout = 3;
    cfg.max_tunnel_depth = depth % 4;
    cfg.check_checksums = (sel & 0x80) != 0;
    struct decoder *d = decoder_new(&cfg);
    if (!d)
        return 0;
    int lt = link_types[(sel & 0x7f) % (sizeof(link_types) / sizeof(link_types[0]))];
    volatile unsigned sink = 0;
    for (int64_t n = 0; cursor_left(&c) > 0 && n < 256; n++) {
        uint16_t len = 0;
        const uint8_t *frame;
        if (cursor_u16be(&c, &len) < 0)
            break;
        if (len > cursor_left(&c))
            len = (uint16_t)cursor_left(&c);
        cursor_ptr(&c, len, &frame);
        /* Copy so ASan sees reads past the frame itself. */
        uint8_t *copy = malloc(len ? len : 1);
        if (!copy)
            break;
        memcpy(copy, frame, len);
        struct packet pkt = {0};
        pkt.ts_sec = n;
        pkt.caplen = len;
        pkt.wirelen = len + (n % 3 == 2 ? 100u : 0u);
        pkt.linktype = lt;
        pkt.data = copy;
        decode_packet(d, &pkt);
        for (int i = 0; i < pkt.n_layers; i++) {
            const struct pkt_ip *ip = &pkt.layer[i];
            uint32_t hl = ip->hdr ? ip->hdr_len : 0;
            /* hdr_len is the declared length: the capture may hold less. */
            if (ip->hdr >= copy && ip->hdr <= copy + len && hl > (uint32_t)(copy + len - ip->hdr))
                hl = (uint32_t)(copy + len - ip->hdr);
            sink += fuzz_touch(ip->hdr, hl);
            sink += fuzz_touch(ip->l4, ip->l4_len);
            sink += fuzz_touch(ip->t.payload, ip->t.payload_len);
        }
        for (int i = 0; i < pkt.n_anomalies; i++)
            sink += (unsigned)decode_anomaly_name(pkt.anomalies[i])[0];
        free(copy);
    }
    (void)sink;
    decoder_free(d);
    return 0;
}
