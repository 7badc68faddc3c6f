/*
 * fuzz_match.c - libFuzzer harness for the detection engine's matcher:
 * the input is rules text, a NUL byte, then a buffer.  The rules are
 * loaded with the real parser, an engine is built over them (Vectorscan
 * databases included), every rule's detection lists are evaluated on the
 * buffer directly, and the buffer is inspected as a TCP packet payload
 * through detect_packet().  Any crash, leak, hang or sanitizer report is
 * a bug in src/detect.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "detect/engine.h"

static void ignore_alert(void *ctx, const struct record_hdr *rec)
{
    (void)ctx;
    (void)rec;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    if (!nul || size > 65536)
        return 0;
    size_t rlen = (size_t)(nul - data);
    const uint8_t *buf = nul + 1;
    uint32_t blen = (uint32_t)(size - rlen - 1);
    struct ruleset rs;
    if (ruleset_init(&rs) < 0)
        return 0;
    ruleset_load_text(&rs, "fuzz.rules", (const char *)data, rlen);
    char err[512];
    struct detect_engine *e = detect_engine_new(&rs, ignore_alert, NULL, NULL, err, sizeof(err));
    struct detect_match m;
    if (e && detect_match_init(&m) == 0) {
        for (size_t i = 0; i < rs.n; i++)
            for (uint32_t b = 0; b < rs.rules[i]->n_bufs; b++)
                (void)detect_match_list(&m, &rs.rules[i]->bufs[b], buf, blen);
        detect_match_free(&m);
        struct packet pkt;
        memset(&pkt, 0, sizeof(pkt));
        pkt.flags = PKT_F_IP;
        pkt.n_layers = 1;
        pkt.num = 1;
        pkt.layer[0].version = 4;
        pkt.layer[0].proto = 6;
        pkt.layer[0].t.valid = true;
        pkt.layer[0].t.payload = buf;
        pkt.layer[0].t.payload_len = blen;
        detect_engine_install(e);
        detect_packet(&pkt);
        detect_engine_install(NULL);
    }
    detect_engine_free(e);
    ruleset_free(&rs);
    return 0;
}
