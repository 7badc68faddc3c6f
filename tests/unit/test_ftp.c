/*
 * test_ftp.c - the FTP parsers (src/proto/ftp.c) through their
 * descriptors, with the fake struct proto_ctx of proto_fake.c: ftp.log rows
 * rendered as Zeek TSV without ts, expectations and switches recorded.
 *
 * Covered: a dialogue split at every byte offset gives the same rows;
 * PASV/RETR with file_size from the 150 reply and the cwd-tracked URL;
 * PORT/EPRT from the client; multi-line replies; AUTH TLS hands over to
 * "ssl"; password hiding; PORT/PASV/EPRT/EPSV text parsing incl. garbage;
 * path compression; the probe; GSI over ADAT (AUTH GSSAPI, 334, base64
 * tokens both ways fed to an "ssl" child, the first-token check, bad
 * base64, the replies and commands that end the exchange, "gridftp") and
 * the base64 decoder.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/ftp.h"
#include "proto/proto.h"
#include "store/zeeklog.h"

#include "proto_fake.h"

extern const struct proto_parser proto_ftp, proto_ftp_data;

/* ---- dialogues ---- */

/* Login with a multi-line 230, CWD, PASV, RETR with a 150 giving the size,
 * PORT, then QUIT. */
static const struct proto_fake_step dlg_retr[] = {
    {PROTO_RESP, "220 ftp ready\r\n"},
    {PROTO_ORIG, "USER bob\r\n"},
    {PROTO_RESP, "331 password?\r\n"},
    {PROTO_ORIG, "PASS secret\r\n"},
    {PROTO_RESP, "230-welcome\r\n230-  rules apply\r\n230 logged in\r\n"}, /* multi-line */
    {PROTO_ORIG, "CWD pub\r\n"},
    {PROTO_RESP, "250 ok\r\n"},
    {PROTO_ORIG, "PASV\r\n"},
    {PROTO_RESP, "227 Entering Passive Mode (10,0,0,2,4,1).\r\n"}, /* 10.0.0.2:1025 */
    {PROTO_ORIG, "RETR a.txt\r\n"},
    {PROTO_RESP, "150 Opening BINARY mode data connection for a.txt (77 bytes).\r\n"
                 "226 Transfer complete.\r\n"},
    {PROTO_ORIG, "PORT 10,0,0,1,7,208\r\n"}, /* 10.0.0.1:2000 */
    {PROTO_RESP, "200 PORT ok\r\n"},
    {PROTO_ORIG, "QUIT\r\n"},
    {PROTO_RESP, "221 bye\r\n"},
};

static void test_retr(void **st)
{
    (void)st;
    struct proto_ctx *c = proto_fake_run(&proto_ftp, 21, dlg_retr, 15, (size_t)-1, 0);
    assert_int_equal(c->n_rows, 3);
    assert_string_equal(c->rows[0], "CUnitTest|10.0.0.1|40000|10.0.0.2|21|bob|<hidden>|PASV|-|-|-|"
                                     "227|Entering Passive Mode (10,0,0,2,4,1).|T|10.0.0.1|"
                                     "10.0.0.2|1025|-|1:test");
    assert_string_equal(c->rows[1], "CUnitTest|10.0.0.1|40000|10.0.0.2|21|bob|<hidden>|RETR|"
                                     "ftp://10.0.0.2/./pub/a.txt|-|77|226|Transfer complete.|"
                                     "-|-|-|-|-|1:test");
    assert_string_equal(c->rows[2], "CUnitTest|10.0.0.1|40000|10.0.0.2|21|bob|<hidden>|PORT|"
                                     "10,0,0,1,7,208|-|-|200|PORT ok|F|10.0.0.2|10.0.0.1|2000|-|"
                                     "1:test");
    assert_int_equal(c->expects, 2);
    assert_int_equal(c->exp_port, 2000);
    free(c);
    proto_fake_check_splits(&proto_ftp, 21, dlg_retr, 15);
}

/* ftpbounce's inspection point: a PORT naming the client itself (10.0.0.1)
 * is no bounce, one naming another host is; each PORT is a transaction. */
static const struct proto_fake_step dlg_bounce[] = {
    {PROTO_RESP, "220 ready\r\n"},
    {PROTO_ORIG, "USER bob\r\nPORT 10,0,0,1,7,208\r\n"},
    {PROTO_RESP, "331 ok\r\n200 PORT ok\r\n"},
    {PROTO_ORIG, "PORT 192,168,9,9,0,80\r\n"},
    {PROTO_RESP, "200 PORT ok\r\n"},
};

static void test_detect_bounce(void **st)
{
    (void)st;
    proto_fake_inspect = true;
    struct proto_ctx *c = proto_fake_run(&proto_ftp, 21, dlg_bounce, 5, (size_t)-1, 0);
    proto_fake_inspect = false;
    char want[128];
    snprintf(want, sizeof(want), "0/0: #%d=0;0/1: #%d=1;", PN_FTP_BOUNCE, PN_FTP_BOUNCE);
    assert_string_equal(c->insp, want);
    free(c);
}

/* Anonymous logins keep their password; EPSV/EPRT over the same code paths. */
static const struct proto_fake_step dlg_anon[] = {
    {PROTO_RESP, "220 ready\r\n"},
    {PROTO_ORIG, "USER anonymous\r\nPASS me@x\r\n"}, /* pipelined */
    {PROTO_RESP, "331 ok\r\n230 ok\r\n"},
    {PROTO_ORIG, "EPSV\r\n"},
    {PROTO_RESP, "229 Entering Extended Passive Mode (|||50000|)\r\n"},
    {PROTO_ORIG, "EPRT |1|10.0.0.1|6000|\r\n"},
    {PROTO_RESP, "200 EPRT ok\r\n"},
};

static void test_anonymous_epsv(void **st)
{
    (void)st;
    struct proto_ctx *c = proto_fake_run(&proto_ftp, 21, dlg_anon, 7, (size_t)-1, 0);
    assert_int_equal(c->n_rows, 2);
    assert_non_null(strstr(c->rows[0], "|anonymous|me@x|EPSV|-|-|-|229|"));
    assert_non_null(strstr(c->rows[0], "|T|10.0.0.1|10.0.0.2|50000|")); /* [::] -> server */
    assert_non_null(strstr(c->rows[1], "|EPRT||1|10.0.0.1|6000||-|-|200|EPRT ok|F|"));
    free(c);
    proto_fake_check_splits(&proto_ftp, 21, dlg_anon, 7);
}

/* AUTH TLS: the 234 reply hands the stream to "ssl". */
static const struct proto_fake_step dlg_tls[] = {
    {PROTO_RESP, "220 ready\r\n"},
    {PROTO_ORIG, "AUTH TLS\r\n"},
    {PROTO_RESP, "234 Proceed with negotiation.\r\n"},
    {PROTO_ORIG, "\x16\x03\x01\x00\x05hello"}, /* a TLS record, not FTP */
};

static void test_auth_tls(void **st)
{
    (void)st;
    struct proto_ctx *c = proto_fake_run(&proto_ftp, 21, dlg_tls, 4, (size_t)-1, 0);
    assert_int_equal(c->switches, 1);
    assert_string_equal(c->switched_to, "ssl");
    assert_int_equal(c->n_rows, 0); /* AUTH is not a logged command */
    free(c);
}

/* GSI (GridFTP): AUTH GSSAPI, a 334, then base64 TLS tokens both ways. */
static const struct proto_fake_step dlg_gsi[] = {
    {PROTO_RESP, "220 GridFTP ready\r\n"},
    {PROTO_ORIG, "AUTH GSSAPI\r\n"},
    {PROTO_RESP, "334 Using authentication type; ADAT must follow.\r\n"}, /* opens the child */
    {PROTO_ORIG, "ADAT FgMBAAKquw==\r\n"},  /* 16 03 01 00 02 aa bb: a handshake record */
    {PROTO_RESP, "335-ADAT=FgMBAAEO\r\n335 more\r\n"}, /* 16 03 01 00 01 0e; no token */
    {PROTO_ORIG, "ADAT FAMBAAEB\r\n"},      /* 14 03 01 00 01 01: change_cipher_spec */
    {PROTO_RESP, "235 ADAT=FwMBAAGZ\r\n"},  /* 17 03 01 00 01 99, and the exchange ends */
    {PROTO_ORIG, "ADAT Zm9vYmFy\r\n"},      /* "foobar": after the end, not fed */
    {PROTO_ORIG, "QUIT\r\n"},
};

static void check_gsi(const struct proto_ctx *c)
{
    assert_int_equal(c->child_opens, 1);
    assert_int_equal(c->child_closes, 1);
    assert_string_equal(c->child_name, "ssl");
    assert_int_equal(c->child_len[PROTO_ORIG], 13);
    assert_memory_equal(c->child_bytes[PROTO_ORIG],
                        "\x16\x03\x01\x00\x02\xaa\xbb\x14\x03\x01\x00\x01\x01", 13);
    assert_int_equal(c->child_len[PROTO_RESP], 12);
    assert_memory_equal(c->child_bytes[PROTO_RESP],
                        "\x16\x03\x01\x00\x01\x0e\x17\x03\x01\x00\x01\x99", 12);
    assert_string_equal(c->weirds, "");
}

static void test_adat_gsi(void **st)
{
    (void)st;
    proto_fake_done_on = 0x99; /* the child "establishes" on the server's last token */
    struct proto_ctx *c = proto_fake_run(&proto_ftp, 2811, dlg_gsi, 9, (size_t)-1, 0);
    check_gsi(c);
    assert_string_equal(c->services, "gridftp;");
    assert_int_equal(c->n_rows, 0); /* AUTH/ADAT are not logged commands */
    free(c);
    for (size_t i = 0; i < 9; i++) /* every step split at every offset feeds the same */
        for (size_t k = 1; k < strlen(dlg_gsi[i].data); k++) {
            c = proto_fake_run(&proto_ftp, 2811, dlg_gsi, 9, i, k);
            check_gsi(c);
            free(c);
        }
    proto_fake_done_on = 0; /* never established: no gridftp */
    c = proto_fake_run(&proto_ftp, 2811, dlg_gsi, 9, (size_t)-1, 0);
    assert_string_equal(c->services, "");
    free(c);
}

/* A first client token that is not a TLS handshake record ends the exchange. */
static const struct proto_fake_step dlg_gsi_not_tls[] = {
    {PROTO_ORIG, "AUTH GSSAPI\r\n"},
    {PROTO_RESP, "334 ADAT must follow\r\n"},
    {PROTO_ORIG, "ADAT Zm9vYmFy\r\n"},     /* "foobar" */
    {PROTO_RESP, "335 ADAT=FgMBAAEO\r\n"}, /* not fed: the child is gone */
};

/* Bad base64 first (the exchange ends), then later (skipped, the exchange goes
 * on); a 535 ends it; a new AUTH GSSAPI and 334 start another child. */
static const struct proto_fake_step dlg_gsi_bad[] = {
    {PROTO_ORIG, "AUTH GSSAPI\r\n"},
    {PROTO_RESP, "334 ADAT must follow\r\n"},
    {PROTO_ORIG, "ADAT Fg!MBAAKquw==\r\n"}, /* '!' is no base64 */
    {PROTO_ORIG, "AUTH GSSAPI\r\n"},
    {PROTO_RESP, "334 ADAT must follow\r\n"},
    {PROTO_ORIG, "ADAT FgMBAAWq\r\n"},       /* 16 03 01 00 05 aa: length 5 but 1 byte */
    {PROTO_ORIG, "AUTH GSSAPI\r\n"},
    {PROTO_RESP, "334 ADAT must follow\r\n"},
    {PROTO_ORIG, "ADAT FgMBAAEO\r\n"},       /* fed */
    {PROTO_RESP, "335 ADAT=Zg==Zm9v\r\n"},   /* a group after padding: skipped */
    {PROTO_RESP, "335 ADAT=FAMBAAE\r\n"},    /* unfinished group: padded, fed (14 03 01 00 01) */
    {PROTO_RESP, "535 no\r\n"},              /* ends it */
    {PROTO_ORIG, "ADAT FgMBAAEO\r\n"},
};

/* Only "AUTH GSSAPI" exactly (as Zeek) opens a child. */
static const struct proto_fake_step dlg_gsi_none[] = {
    {PROTO_ORIG, "AUTH gssapi\r\n"},
    {PROTO_RESP, "334 ADAT must follow\r\n"},
    {PROTO_ORIG, "ADAT FgMBAAEO\r\n"},
    {PROTO_ORIG, "AUTH TLS\r\n"},
    {PROTO_RESP, "334 ADAT=FgMBAAEO\r\n"},
};

static void test_adat_bad(void **st)
{
    (void)st;
    proto_fake_done_on = 0;
    struct proto_ctx *c = proto_fake_run(&proto_ftp, 2811, dlg_gsi_not_tls, 4, (size_t)-1, 0);
    assert_int_equal(c->child_opens, 1);
    assert_int_equal(c->child_closes, 1);
    assert_int_equal(c->child_len[0] + c->child_len[1], 0);
    free(c);
    c = proto_fake_run(&proto_ftp, 2811, dlg_gsi_bad, 13, (size_t)-1, 0);
    assert_int_equal(c->child_opens, 3);
    assert_int_equal(c->child_closes, 3);
    assert_int_equal(c->child_open_now, 0);
    assert_string_equal(c->weirds, "base64_illegal_encoding;ftp_adat_bad_first_token_encoding;"
                                   "base64_illegal_encoding;base64_illegal_encoding;");
    assert_int_equal(c->child_len[PROTO_ORIG], 6);
    assert_memory_equal(c->child_bytes[PROTO_ORIG], "\x16\x03\x01\x00\x01\x0e", 6);
    assert_int_equal(c->child_len[PROTO_RESP], 5);
    assert_memory_equal(c->child_bytes[PROTO_RESP], "\x14\x03\x01\x00\x01", 5);
    assert_string_equal(c->services, "");
    free(c);
    c = proto_fake_run(&proto_ftp, 2811, dlg_gsi_none, 5, (size_t)-1, 0);
    assert_int_equal(c->child_opens, 0);
    free(c);
}

static void b64(const char *in, int want_rc, const char *want, size_t want_len, bool want_msg)
{
    uint8_t out[64];
    size_t ol = 99;
    char msg[80];
    int rc = ftp_base64_decode((const uint8_t *)in, strlen(in), out, sizeof(out), &ol, msg,
                               sizeof(msg));
    assert_int_equal(rc, want_rc);
    assert_int_equal(ol, want_len);
    assert_memory_equal(out, want, want_len);
    assert_int_equal(msg[0] != 0, want_msg);
}

static void test_base64(void **st)
{
    (void)st;
    b64("Zm9vYmFy", 0, "foobar", 6, false);
    b64("Zm9vYg==", 0, "foob", 4, false);
    b64("Zm9vYmE=", 0, "fooba", 5, false);
    b64("", 0, "", 0, false);
    b64("Zm9vYg", 0, "foob", 4, true);        /* unfinished group: padded with zero bits */
    b64("Zm9vY", 0, "foo", 3, true);          /* 6 bits left: no whole byte */
    b64("+/+/", 0, "\xfb\xff\xbf", 3, false); /* the last two letters of the alphabet */
    b64("Zm9v YmFy", -1, "", 0, true);        /* a blank is no base64 */
    b64("Zg==Zm9v", -1, "", 0, true);         /* a group after padding */
    b64("Zm9v\xff", -1, "", 0, true);         /* a high byte */
}

static struct ftp_hostport hp(struct ftp_hostport (*fn)(const uint8_t *, size_t), const char *s)
{
    return fn((const uint8_t *)s, strlen(s));
}

static void test_data_channel_text(void **st)
{
    (void)st;
    struct ftp_hostport r = hp(ftp_parse_port, "192,168,1,2,4,1"); /* 192.168.1.2:1025 */
    assert_true(r.valid);
    assert_memory_equal(r.h.a, "\xc0\xa8\x01\x02", 4);
    assert_int_equal(r.p, 1025);
    assert_true(hp(ftp_parse_port, " 1, 2,3,4,0,21").valid);  /* %d skips blanks */
    assert_false(hp(ftp_parse_port, "1,2,3,4,0").valid);      /* five numbers */
    assert_false(hp(ftp_parse_port, "1,2,3,256,0,21").valid); /* octet > 255 */
    assert_false(hp(ftp_parse_port, "1,2,3,-4,0,21").valid);  /* negative */
    assert_false(hp(ftp_parse_port, "garbage").valid);
    r = hp(ftp_parse_pasv, "Entering Passive Mode (10,0,0,9,1,2)"); /* 10.0.0.9:258 */
    assert_true(r.valid);
    assert_int_equal(r.p, 258);
    r = hp(ftp_parse_pasv, "Entering Passive Mode 10,0,0,9,1,3"); /* no parenthesis */
    assert_true(r.valid);
    assert_int_equal(r.p, 259);
    assert_false(hp(ftp_parse_pasv, "Entering Passive Mode").valid);
    r = hp(ftp_parse_eprt, "|2|2001:db8::1|5282|"); /* IPv6 */
    assert_true(r.valid);
    assert_int_equal(r.h.family, 6);
    assert_int_equal(r.p, 5282);
    assert_false(hp(ftp_parse_eprt, "|1|10.0.0.1|5282").valid);   /* no closing delimiter */
    assert_false(hp(ftp_parse_eprt, "|1|10.0.0.300|5282|").valid); /* bad address */
    assert_false(hp(ftp_parse_eprt, "|1|10.0.0.1|70000|").valid);  /* port > 65535 */
    assert_false(hp(ftp_parse_eprt, "").valid);
    r = hp(ftp_parse_epsv, "Entering Extended Passive Mode (|||6446|)");
    assert_true(r.valid);
    assert_int_equal(r.h.family, 0); /* the control session's server */
    assert_int_equal(r.p, 6446);
    assert_false(hp(ftp_parse_epsv, "Entering Extended Passive Mode |||6446|").valid);
}

static void test_paths(void **st)
{
    (void)st;
    char out[256];
    ftp_path_build(".", "a.txt", out, sizeof(out));
    assert_string_equal(out, "./a.txt");
    ftp_path_build("/pub/", "a.txt", out, sizeof(out));
    assert_string_equal(out, "/pub/a.txt");
    ftp_path_build("/pub", "/etc/x", out, sizeof(out)); /* absolute file */
    assert_string_equal(out, "/etc/x");
    ftp_path_build("./pub", "..", out, sizeof(out));
    assert_string_equal(out, ".");
    ftp_path_build("/a/b", "../c//d/./e", out, sizeof(out));
    assert_string_equal(out, "/a/c/d/e");
}

static void test_probe(void **st)
{
    (void)st;
    assert_int_equal(proto_ftp.probe((const uint8_t *)"220 hi\r\n", 8, PROTO_RESP, 1, 21),
                     PROTO_PROBE_YES);
    assert_int_equal(proto_ftp.probe((const uint8_t *)"220 hi\r\n", 8, PROTO_RESP, 1, 2121),
                     PROTO_PROBE_MAYBE);
    assert_int_equal(proto_ftp.probe((const uint8_t *)"USER x\r\n", 8, PROTO_ORIG, 1, 2121),
                     PROTO_PROBE_YES);
    assert_int_equal(proto_ftp.probe((const uint8_t *)"EHLO x\r\n", 8, PROTO_ORIG, 1, 21),
                     PROTO_PROBE_NO);
    assert_null(proto_ftp_data.probe); /* only through proto_expect */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_retr),  cmocka_unit_test(test_detect_bounce),
        cmocka_unit_test(test_anonymous_epsv),
        cmocka_unit_test(test_auth_tls), cmocka_unit_test(test_data_channel_text),
        cmocka_unit_test(test_paths), cmocka_unit_test(test_probe),
        cmocka_unit_test(test_adat_gsi), cmocka_unit_test(test_adat_bad),
        cmocka_unit_test(test_base64),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
