/*
 * test_dhcp.c - the DHCP parser (src/proto/dhcp.c) through the fake struct
 * proto_ctx of proto_fake.c: a synthetic DISCOVER / OFFER / REQUEST / ACK exchange (what
 * the corpus lacks; its one Zeek dhcp.log, encap/zeek-teredo, is a lone
 * REQUEST and is compared by tests/compat/dhcp_vs_zeek.py) gives one
 * dhcp.log row with Zeek's values; a second xid far later is its own row;
 * malformed input raises a weird and no row.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/proto.h"
#include "store/zeeklog.h"

#include "proto_fake.h"

extern const struct proto_parser proto_dhcp;

/* A BOOTP message: op, xid, yiaddr, chaddr 00:1a:e9:9d:53:b7, the magic
 * cookie 63 82 53 63, option 53 (type), the given options, end (ff). */
static size_t dhcp_msg(uint8_t *b, uint8_t op, uint8_t type, uint32_t xid, const uint8_t *yi,
                       const uint8_t *opts, size_t olen)
{
    memset(b, 0, 240);
    b[0] = op, b[1] = 1, b[2] = 6;                       /* op, htype ethernet, hlen 6 */
    b[4] = (uint8_t)(xid >> 24), b[5] = (uint8_t)(xid >> 16);
    b[6] = (uint8_t)(xid >> 8), b[7] = (uint8_t)xid;     /* xid */
    if (yi)
        memcpy(b + 16, yi, 4);                           /* yiaddr */
    memcpy(b + 28, "\x00\x1a\xe9\x9d\x53\xb7", 6);       /* chaddr */
    memcpy(b + 236, "\x63\x82\x53\x63", 4);              /* magic cookie */
    size_t n = 240;
    b[n++] = 53, b[n++] = 1, b[n++] = type;              /* message type */
    if (olen)
        memcpy(b + n, opts, olen);
    n += olen;
    b[n++] = 255;                                        /* end */
    return n;
}

static const uint8_t yi[4] = {192, 168, 2, 18};

static void feed(struct proto_ctx *ctx, void *st, int client, const uint8_t *b, size_t n,
                 int64_t ts)
{
    /* client 0.0.0.0:68 -> 255.255.255.255:67; server 192.168.2.1:67 -> 192.168.2.18:68 */
    memset(&ctx->conn.orig_h, 0, sizeof(ctx->conn.orig_h));
    ctx->conn.orig_h.family = ctx->conn.resp_h.family = 4;
    if (client) {
        memset(ctx->conn.resp_h.a, 255, 4);
        ctx->conn.orig_p = 68, ctx->conn.resp_p = 67;
        ctx->conn.uid = "Cclient";
    } else {
        memcpy(ctx->conn.orig_h.a, "\xc0\xa8\x02\x01", 4);
        memcpy(ctx->conn.resp_h.a, yi, 4);
        ctx->conn.orig_p = 67, ctx->conn.resp_p = 68;
        ctx->conn.uid = "Cserver";
    }
    proto_dhcp.parse(st, ctx, PROTO_ORIG, b, n, ts);
}

static void test_dora(void **state)
{
    (void)state;
    uint8_t b[400];
    struct proto_ctx *ctx = proto_fake_new(67);
    ctx->conn = (struct proto_conn){0}; /* feed() sets the ids; no community id */
    proto_fake_sep = '\t';             /* rows: the fields from uids on */
    void *st = proto_dhcp.state_new(ctx);
    int64_t t0 = 1210953058000000000LL;
    /* DISCOVER with host name "Wii" (option 12) */
    feed(ctx, st, 1, b, dhcp_msg(b, 1, 1, 0x1234abcd, NULL, (const uint8_t *)"\x0c\x03Wii", 5), t0);
    /* OFFER: lease 3600 s (51), domain "example" (15) */
    feed(ctx, st, 0, b,
         dhcp_msg(b, 2, 2, 0x1234abcd, yi,
                  (const uint8_t *)"\x33\x04\x00\x00\x0e\x10\x0f\x07" "example", 15),
         t0 + 100000000);
    /* REQUEST: requested 192.168.2.18 (50), client id type 1 + MAC (61) */
    feed(ctx, st, 1, b,
         dhcp_msg(b, 1, 3, 0x1234abcd, NULL,
                  (const uint8_t *)"\x32\x04\xc0\xa8\x02\x12\x3d\x07\x01\x00\x1a\xe9\x9d\x53\xb7",
                  15),
         t0 + 200000000);
    /* ACK: lease 3600 s */
    feed(ctx, st, 0, b,
         dhcp_msg(b, 2, 5, 0x1234abcd, yi, (const uint8_t *)"\x33\x04\x00\x00\x0e\x10", 6),
         t0 + 300000000);
    /* garbage: no magic cookie */
    feed(ctx, st, 1, (const uint8_t *)"\x01\x01\x06\x00", 4, t0 + 400000000);
    assert_int_equal(ctx->n_rows, 0); /* joined, not yet written */
    /* another xid 60 s later: the first is written (watched 10 s, quiet 5 s) */
    feed(ctx, st, 1, b, dhcp_msg(b, 1, 8, 0x99, NULL, NULL, 0), t0 + 60000000000LL);
    assert_int_equal(ctx->n_rows, 1);
    assert_string_equal(ctx->rows[0],
                        "Cclient,Cserver\t192.168.2.18\t192.168.2.1\t00:1a:e9:9d:53:b7\tWii\t-"
                        "\texample\t192.168.2.18\t192.168.2.18\t3600.000000\t-\t-"
                        "\tDISCOVER,OFFER,REQUEST,ACK\t0.300000\t-");
    proto_dhcp.state_free(st, ctx); /* the last DHCP session: the INFORM row */
    assert_int_equal(ctx->n_rows, 2);
    assert_string_equal(ctx->rows[1], "Cclient\t-\t-\t00:1a:e9:9d:53:b7\t-\t-\t-\t-\t-\t-\t-\t-"
                                      "\tINFORM\t0.000000\t-");
    assert_non_null(strstr(ctx->weirds, "DHCP_malformed_message"));
    free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dora),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
