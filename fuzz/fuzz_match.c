/*
 * fuzz_match.c - libFuzzer harness for the detection engine's matcher:
 * the input is rules text, a NUL byte, then a buffer.  The rules are
 * loaded with the real parser, an engine is built over them (Vectorscan
 * databases included), every rule's detection lists are evaluated on the
 * buffer directly, and the buffer is inspected as a TCP packet payload
 * through detect_packet().  The buffer is also handed to the HTTP hook
 * (detect_http_tx) as a request and a response: its first line the start
 * line, the lines up to an empty one the headers, the rest the body - so
 * the URI/host normalisation and header buffer builders see it too.  Any
 * crash, leak, hang or sanitizer report is a bug in src/detect.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "detect/detect_http.h"
#include "detect/engine.h"
#include "proto/proto.h"

static void ignore_alert(void *ctx, const struct record_hdr *rec)
{
    (void)ctx;
    (void)rec;
}

/* buf as an HTTP message: start line, header lines, empty line, body. */
static void cap_from(struct detect_http_cap *c, int dir, const uint8_t *buf, uint32_t blen)
{
    const uint8_t *p = buf, *end = buf + blen;
    const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
    const uint8_t *le = nl ? nl : end;
    detect_http_cap_begin(c, p, (size_t)(le - p));
    p = nl ? nl + 1 : end;
    while (p < end) {
        nl = memchr(p, '\n', (size_t)(end - p));
        le = nl ? nl : end;
        if (le == p)
            break;
        detect_http_cap_header(c, p, (size_t)(le - p));
        p = nl ? nl + 1 : end;
    }
    detect_http_cap_header(c, NULL, 0);
    if (p < end)
        p++;
    if (p < end)
        detect_http_cap_body(c, dir, p, (size_t)(end - p));
}

static void http_hook(const uint8_t *buf, uint32_t blen)
{
    struct proto_conn conn;
    memset(&conn, 0, sizeof(conn));
    conn.uid = "CFuzzHttp";
    conn.community_id = "1:fuzz";
    conn.ip_proto = 6;
    conn.orig_h.family = conn.resp_h.family = 4;
    struct detect_http_cap req, resp;
    memset(&req, 0, sizeof(req));
    memset(&resp, 0, sizeof(resp));
    cap_from(&req, 0, buf, blen);
    cap_from(&resp, 1, buf, blen);
    for (int st = DETECT_HTTP_REQ_HEADERS; st <= DETECT_HTTP_RESP_BODY; st++)
        detect_http_tx(&conn, (enum detect_http_stage)st, &req, &resp, 1);
    detect_http_cap_free(&req);
    detect_http_cap_free(&resp);
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
        http_hook(buf, blen);
        detect_engine_install(NULL);
    }
    detect_engine_free(e);
    ruleset_free(&rs);
    return 0;
}
