/*
 * test_smtp.c - the SMTP parser (src/proto/smtp*.c) through its descriptor,
 * with the fake struct proto_ctx of proto_fake.c (so the parser runs
 * without the app layer): every record emitted is rendered as a Zeek TSV
 * line without ts, weirds and switches are counted.
 *
 * Covered: a dialogue split at every byte offset gives the same rows;
 * pipelining; DATA with dot-stuffing and folded headers; BDAT chunks with
 * LAST; multi-line replies (last_reply is the last line); STARTTLS hands
 * over to "ssl"; RSET and a second transaction; the probe; the address and
 * IP extractors.
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
#include "proto/smtp.h"
#include "store/zeeklog.h"

#include "proto_fake.h"

extern const struct proto_parser proto_smtp;

/* ---- dialogues ---- */

/* A pipelined ESMTP session: greeting, multi-line EHLO reply, MAIL+RCPT+DATA
 * in one segment, a message with a folded Received header, a dot-stuffed
 * line and the end-of-data dot, then QUIT. */
static const struct proto_fake_step dlg_data[] = {
    {PROTO_RESP, "220 mx.example ESMTP\r\n"},                     /* greeting */
    {PROTO_ORIG, "EHLO client.example\r\n"},                      /* helo */
    {PROTO_RESP, "250-mx.example\r\n250-PIPELINING\r\n250 8BITMIME\r\n"}, /* multi-line */
    {PROTO_ORIG, "MAIL FROM:<a@example.com> SIZE=10\r\n"          /* pipelined group */
                 "RCPT TO:<b@example.org>\r\nRCPT TO:<c@example.org>\r\nDATA\r\n"},
    {PROTO_RESP, "250 ok\r\n250 ok\r\n250 ok\r\n354 go ahead\r\n"}, /* four replies */
    {PROTO_ORIG, "Received: from a (a [192.0.2.7])\r\n\tby mx; Mon, 1 Jan 2024\r\n" /* folded */
                 "From: A <a@example.com>\r\nTo: b@example.org, \"C, D\" <c@example.org>\r\n"
                 "Subject: hi\r\nX-Mailer: unit\r\n\r\n"                 /* end of headers */
                 "..leading dot\r\nbody\r\n.\r\n"},                        /* stuffed, end */
    {PROTO_RESP, "250 queued as 1\r\n"},                          /* reply to "." */
    {PROTO_ORIG, "QUIT\r\n"},
    {PROTO_RESP, "221 bye\r\n"},
};

static const char row_data[] =
    "CUnitTest|10.0.0.1|40000|10.0.0.2|25|1|client.example|a@example.com|"
    "b@example.org,c@example.org|-|A <a@example.com>|b@example.org,\"C,D\" <c@example.org>|-|-|"
    "-|-|hi|-|from a (a [192.0.2.7])\\x09by mx; Mon, 1 Jan 2024|-|250 queued as 1|"
    "10.0.0.2,10.0.0.1,192.0.2.7|unit|F|(empty)|1:test";

static void test_data_dialogue(void **st)
{
    (void)st;
    struct proto_ctx *c = proto_fake_run(&proto_smtp, 25, dlg_data, 9, (size_t)-1, 0);
    assert_int_equal(c->n_rows, 1);
    assert_string_equal(c->rows[0], row_data);
    assert_true(c->confirms == 1);
    free(c);
}

static void test_data_splits(void **st)
{
    (void)st;
    proto_fake_check_splits(&proto_smtp, 25, dlg_data, 9);
}

/* RFC 3030 example: BDAT chunks, the last one with LAST; pipelined. */
static const struct proto_fake_step dlg_bdat[] = {
    {PROTO_RESP, "220 mx ESMTP\r\n"},
    {PROTO_ORIG, "EHLO c\r\n"},
    {PROTO_RESP, "250-mx\r\n250 CHUNKING\r\n"},
    {PROTO_ORIG, "MAIL FROM:<x@y.z>\r\nRCPT TO:<p@q.r>\r\n"
                 "BDAT 24\r\nSubject: chunky\r\nTo: p\r\n"  /* 24 raw bytes */
                 "BDAT 6 LAST\r\nbody\r\n"},               /* 6 raw bytes, LAST */
    {PROTO_RESP, "250 ok\r\n250 ok\r\n250 24 octets\r\n250 done\r\n"},
};

static void test_bdat(void **st)
{
    (void)st;
    struct proto_ctx *c = proto_fake_run(&proto_smtp, 25, dlg_bdat, 5, (size_t)-1, 0);
    assert_int_equal(c->n_rows, 1);
    /* Zeek writes at the first BDAT reply after "BDAT ... LAST" was seen */
    assert_non_null(strstr(c->rows[0], "|1|c|x@y.z|p@q.r|-|-|p|-|-|-|-|chunky|"));
    assert_non_null(strstr(c->rows[0], "|250 24 octets|"));
    free(c);
    proto_fake_check_splits(&proto_smtp, 25, dlg_bdat, 5);
}

/* Suricata's smtp.bdat_chunk_len_exceeded: a chunk not ending with a line's
 * end (the first: "To: p\r" leaves "\n" outside); the exact chunks of two
 * transactions with RSET between (suricata-verify smtp-rset) raise nothing. */
static const struct proto_fake_step dlg_bdat_over[] = {
    {PROTO_RESP, "220 mx ESMTP\r\n"},
    {PROTO_ORIG, "EHLO c\r\n"},
    {PROTO_RESP, "250-mx\r\n250 CHUNKING\r\n"},
    {PROTO_ORIG, "MAIL FROM:<x@y.z>\r\nRCPT TO:<p@q.r>\r\n"
                 "BDAT 23\r\nSubject: chunky\r\nTo: p\r"   /* 23 raw bytes */
                 "\nBDAT 6 LAST\r\nbody\r\n"},
    {PROTO_RESP, "250 ok\r\n250 ok\r\n250 23 octets\r\n250 done\r\n"},
};
static const struct proto_fake_step dlg_bdat_rset[] = {
    {PROTO_RESP, "220 mx ESMTP\r\n"},
    {PROTO_ORIG, "EHLO c\r\n"},
    {PROTO_RESP, "250-mx\r\n250 CHUNKING\r\n"},
    {PROTO_ORIG, "MAIL FROM:<x@y.z>\r\nRCPT TO:<p@q.r>\r\nBDAT 11 LAST\r\nMessage 1\r\n"},
    {PROTO_RESP, "250 ok\r\n250 ok\r\n250 11 bytes queued\r\n"},
    {PROTO_ORIG, "RSET\r\n"},
    {PROTO_RESP, "250 ok\r\n"},
    {PROTO_ORIG, "MAIL FROM:<x@y.z>\r\nRCPT TO:<p@q.r>\r\nBDAT 13 LAST\r\nMessage Two\r\n"},
    {PROTO_RESP, "250 ok\r\n250 ok\r\n250 13 bytes queued\r\n"},
};

static void test_bdat_chunk_len(void **st)
{
    (void)st;
    struct proto_ctx *c = proto_fake_run(&proto_smtp, 25, dlg_bdat_over, 5, (size_t)-1, 0);
    assert_string_equal(c->weirds, "event:smtp_bdat_chunk_len_exceeded;");
    assert_int_equal(c->n_rows, 1);
    free(c);
    c = proto_fake_run(&proto_smtp, 25, dlg_bdat_rset, 9, (size_t)-1, 0);
    assert_string_equal(c->weirds, "");
    assert_int_equal(c->n_rows, 2);
    free(c);
}

/* STARTTLS: the 220 reply hands the stream to "ssl"; the row has tls T. */
static const struct proto_fake_step dlg_tls[] = {
    {PROTO_RESP, "220 mx ESMTP\r\n"},
    {PROTO_ORIG, "EHLO c\r\n"},
    {PROTO_RESP, "250-mx\r\n250 STARTTLS\r\n"},
    {PROTO_ORIG, "STARTTLS\r\n"},
    {PROTO_RESP, "220 2.0.0 Ready to start TLS\r\n"},
    {PROTO_ORIG, "\x16\x03\x01\x00\x05hello"}, /* TLS record: not parsed as SMTP */
};

static void test_starttls(void **st)
{
    (void)st;
    struct proto_ctx *c = proto_fake_run(&proto_smtp, 25, dlg_tls, 6, (size_t)-1, 0);
    assert_int_equal(c->switches, 1);
    assert_string_equal(c->switched_to, "ssl");
    assert_int_equal(c->n_rows, 1);
    assert_non_null(strstr(c->rows[0], "|220 2.0.0 Ready to start TLS|10.0.0.2,10.0.0.1|-|T|"));
    free(c);
}

/* Two transactions with RSET between; RCPT before MAIL raises Zeek's weird. */
static const struct proto_fake_step dlg_two[] = {
    {PROTO_RESP, "220 mx\r\n"},
    {PROTO_ORIG, "HELO c\r\nRCPT TO:<early@x.y>\r\n"},
    {PROTO_RESP, "250 hi\r\n503 need MAIL\r\n"},
    {PROTO_ORIG, "RSET\r\nMAIL FROM:<m@x.y>\r\nRCPT TO:<r@x.y>\r\nDATA\r\n"},
    {PROTO_RESP, "250 reset\r\n250 ok\r\n250 ok\r\n354 go\r\n"},
    {PROTO_ORIG, "Subject: two\r\n\r\n.\r\n"},
    {PROTO_RESP, "250 sent\r\n"},
};

static void test_two_transactions(void **st)
{
    (void)st;
    struct proto_ctx *c = proto_fake_run(&proto_smtp, 25, dlg_two, 7, (size_t)-1, 0);
    assert_int_equal(c->n_rows, 2);
    assert_non_null(strstr(c->rows[0], "|1|c|-|early@x.y|"));  /* flushed by MAIL */
    assert_non_null(strstr(c->rows[1], "|1|c|m@x.y|r@x.y|"));
    assert_non_null(strstr(c->weirds, "smtp_mail_transaction_invalid"));
    free(c);
    proto_fake_check_splits(&proto_smtp, 25, dlg_two, 7);
}

/* The signature engine's inspection point after each client command:
 * smtp.helo, smtp.mail_from and smtp.rcpt_to as sent (angle brackets kept),
 * one rcpt_to instance per RCPT; HELO and the first mail are transaction 0,
 * the second MAIL starts transaction 1. */
static const struct proto_fake_step dlg_detect[] = {
    {PROTO_RESP, "220 mx\r\n"},
    {PROTO_ORIG, "HELO GP\r\nMAIL FROM:<g@p.in> SIZE=10\r\nRCPT TO:<a@y.in>\r\n"
                 "RCPT TO:<b@y.in>\r\nRSET\r\nMAIL FROM:<h@p.in>\r\n"},
};

static void test_detect_points(void **st)
{
    (void)st;
    proto_fake_inspect = true;
    struct proto_ctx *c = proto_fake_run(&proto_smtp, 25, dlg_detect, 2, (size_t)-1, 0);
    proto_fake_inspect = false;
    char want[512];
    snprintf(want, sizeof(want), "0/0:%d=GP;", PI_SMTP_HELO);
    assert_non_null(strstr(c->insp, want));
    snprintf(want, sizeof(want), "0/0:%d=GP,%d=<g@p.in>,%d=<a@y.in>,%d=<b@y.in>;", PI_SMTP_HELO,
             PI_SMTP_MAIL_FROM, PI_SMTP_RCPT_TO, PI_SMTP_RCPT_TO);
    assert_non_null(strstr(c->insp, want));
    snprintf(want, sizeof(want), "0/1:%d=GP,%d=<h@p.in>;", PI_SMTP_HELO, PI_SMTP_MAIL_FROM);
    assert_non_null(strstr(c->insp, want));
    assert_int_equal(c->n_insp, 6);
    free(c);
    /* nothing listening: no inspection */
    c = proto_fake_run(&proto_smtp, 25, dlg_detect, 2, (size_t)-1, 0);
    assert_int_equal(c->n_insp, 0);
    free(c);
}

static void test_probe(void **st)
{
    (void)st;
    /* "220 " greeting: yes on 25, maybe elsewhere (FTP greets the same) */
    assert_int_equal(proto_smtp.probe((const uint8_t *)"220 mx\r\n", 8, PROTO_RESP, 1, 25),
                     PROTO_PROBE_YES);
    assert_int_equal(proto_smtp.probe((const uint8_t *)"220 mx\r\n", 8, PROTO_RESP, 1, 2525),
                     PROTO_PROBE_MAYBE);
    /* "ehlo x" from the client: yes on any port */
    assert_int_equal(proto_smtp.probe((const uint8_t *)"ehlo x\r\n", 8, PROTO_ORIG, 1, 2525),
                     PROTO_PROBE_YES);
    /* "EH": could still be EHLO */
    assert_int_equal(proto_smtp.probe((const uint8_t *)"EH", 2, PROTO_ORIG, 1, 2525),
                     PROTO_PROBE_MAYBE);
    /* "GET /": no */
    assert_int_equal(proto_smtp.probe((const uint8_t *)"GET /", 5, PROTO_ORIG, 1, 25),
                     PROTO_PROBE_NO);
}

static void collect(void *arg, const char *a, size_t l)
{
    char *out = arg;
    size_t n = strlen(out);
    snprintf(out + n, 256 - n, "[%.*s]", (int)l, a);
}

static void test_extractors(void **st)
{
    (void)st;
    char out[256] = "";
    /* "TO:<a@b.c> ORCPT=rfc822;a@b.c" -> the bracketed address and the ORCPT one */
    const char *rc = "TO:<a@b.c> NOTIFY=NEVER";
    smtp_email_addrs((const uint8_t *)rc, strlen(rc), collect, out);
    assert_string_equal(out, "[a@b.c]");
    out[0] = 0;
    /* a To: header with a quoted comma: as Zeek's regex, a quote only protects
     * the comma when it opens a part (no blank before it) */
    const char *to = "x@y.z, \"Doe, J\" <j@d.e>,\"E, F\" <g@h.i>,,<k@l.m>";
    smtp_mime_addrs((const uint8_t *)to, strlen(to), collect, out);
    assert_string_equal(out, "[x@y.z][\"Doe][J\" <j@d.e>][\"E, F\" <g@h.i>][<k@l.m>]");
    /* Received: the wrapped IP only ("[IPv6:..." is not wrapped by '[') */
    struct raddr ip[4];
    const char *rv = "from h (h [10.1.2.3]) by mx (1.2.3.4x) id 5.6.7.8";
    assert_int_equal(smtp_ip_addrs((const uint8_t *)rv, strlen(rv), true, ip, 4), 1);
    assert_memory_equal(ip[0].a, "\x0a\x01\x02\x03", 4); /* 10.1.2.3 */
    assert_int_equal(smtp_ip_addrs((const uint8_t *)rv, strlen(rv), false, ip, 4), 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_data_dialogue), cmocka_unit_test(test_data_splits),
        cmocka_unit_test(test_bdat),          cmocka_unit_test(test_bdat_chunk_len),
        cmocka_unit_test(test_starttls),
        cmocka_unit_test(test_two_transactions), cmocka_unit_test(test_detect_points),
        cmocka_unit_test(test_probe),
        cmocka_unit_test(test_extractors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
