/*
 * test_rule_file.c - the file keywords (src/detect/rule_file.c) and their
 * evaluation when a file ends (engine_file.c): the hash-list loader reads
 * md5sum output, bare hashes, comments and CRLF, and names the file and
 * line of a bad line; filemd5 lists are found beside the rules file;
 * filesize units, filename / fileext / filemagic, filestore options parse
 * (bad values rejected); a file's MD5 (or its absence, with "!"), name,
 * size and bytes reach the rules; SMTP files without a name (message
 * bodies) and files with gaps behave as in Suricata.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "detect/alert_record.h"
#include "detect/engine.h"
#include "proto/proto.h"

static char dir[64];

static void write_file(const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void **st)
{
    (void)st;
    snprintf(dir, sizeof(dir), "/tmp/vigil-rule-file-XXXXXX");
    assert_non_null(mkdtemp(dir));
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    return 0;
}

static const uint8_t md5_a[16] = {0x44, 0xd8, 0x86, 0x12, 0xfe, 0xa8, 0xa8, 0xf3,
                                  0x6d, 0xe8, 0x2e, 0x12, 0x78, 0xab, 0xb0, 0x2f};

static void test_hashlist_load(void **st)
{
    (void)st;
    char path[256], err[512];
    write_file("good.md5", "# md5sum output and bare hashes\r\n"
                           "44d88612fea8a8f36de82e1278abb02f  eicar.com\r\n"
                           "\n"
                           "   E19C1283C925B3206685FF522ACFE3E6\n"
                           "44d88612fea8a8f36de82e1278abb02f\tagain\n"
                           "00000000000000000000000000000000");
    snprintf(path, sizeof(path), "%s/good.md5", dir);
    struct rule_hashlist *h = rule_hashlist_load(path, 16, err, sizeof(err));
    assert_non_null(h);
    assert_int_equal(h->n, 3); /* the duplicate counted once */
    assert_true(rule_hashlist_has(h, md5_a));
    uint8_t other[16] = {0xe1, 0x9c, 0x12, 0x83, 0xc9, 0x25, 0xb3, 0x20,
                         0x66, 0x85, 0xff, 0x52, 0x2a, 0xcf, 0xe3, 0xe6};
    assert_true(rule_hashlist_has(h, other));
    other[15] ^= 1;
    assert_false(rule_hashlist_has(h, other));
    rule_hashlist_free(h);

    /* a bad line: the file and line named */
    write_file("bad.md5", "44d88612fea8a8f36de82e1278abb02f\n# fine\nnot-a-hash here\n");
    snprintf(path, sizeof(path), "%s/bad.md5", dir);
    assert_null(rule_hashlist_load(path, 16, err, sizeof(err)));
    char want[512];
    snprintf(want, sizeof(want), "%s:3: 'not-a-hash' is not a 32-digit hex MD5", path);
    assert_string_equal(err, want);

    /* an MD5 in a SHA-256 list: wrong length */
    snprintf(path, sizeof(path), "%s/good.md5", dir);
    assert_null(rule_hashlist_load(path, 32, err, sizeof(err)));
    assert_non_null(strstr(err, "good.md5:2: '44d88612fea8a8f36de82e1278abb02f' is not a "
                                "64-digit hex SHA-256"));
    /* hex run into a name without a blank */
    write_file("glued.sha1", "02c077f1f491e48dcc5d0f16ef2cca0acbf634b3x\n");
    snprintf(path, sizeof(path), "%s/glued.sha1", dir);
    assert_null(rule_hashlist_load(path, 20, err, sizeof(err)));
    assert_non_null(strstr(err, "glued.sha1:1: "));
    assert_non_null(strstr(err, "40-digit hex SHA-1"));

    /* not there, not a regular file */
    snprintf(path, sizeof(path), "%s/none.md5", dir);
    assert_null(rule_hashlist_load(path, 16, err, sizeof(err)));
    assert_non_null(strstr(err, "cannot read hash list"));
    assert_non_null(strstr(err, "none.md5"));
    assert_null(rule_hashlist_load(dir, 16, err, sizeof(err)));
    assert_non_null(strstr(err, "not a regular file"));
    /* an empty list loads (and matches nothing) */
    write_file("empty.md5", "# nothing\n");
    snprintf(path, sizeof(path), "%s/empty.md5", dir);
    h = rule_hashlist_load(path, 16, err, sizeof(err));
    assert_non_null(h);
    assert_int_equal(h->n, 0);
    assert_false(rule_hashlist_has(h, md5_a));
    rule_hashlist_free(h);
}

static void test_keywords_parse(void **st)
{
    (void)st;
    struct ruleset rs;
    char path[256];
    assert_int_equal(ruleset_init(&rs), 0);
    write_file("target.md5", "44d88612fea8a8f36de82e1278abb02f\n");
    write_file("bad.sha256", "xyz\n");
    write_file("t.rules",
               "alert smtp any any -> any any (filemd5:target.md5; sid:1;)\n"
               "alert http any any -> any any (filemd5:!target.md5; filestore:response,tx; sid:2;)\n"
               "alert tcp any any -> any any (filesize:2KB<>1MB; fileext:\"pdf\"; sid:3;)\n"
               "alert http any any -> any any (filename:\"Secret\"; filemagic:\"PDF\"; "
               "filestore; sid:4;)\n"
               "alert smtp any any -> any any (filesha256:bad.sha256; sid:5;)\n"
               "alert smtp any any -> any any (filesize:3TB; sid:6;)\n"
               "alert smtp any any -> any any (filestore:sideways; sid:7;)\n"
               "alert dns any any -> any any (filename:\"x\"; sid:8;)\n"
               "alert smtp any any -> any any (filemd5:target.md5; filemd5:target.md5; sid:9;)\n");
    snprintf(path, sizeof(path), "%s/t.rules", dir);
    char err[256];
    assert_int_equal(ruleset_load_file(&rs, path, err, sizeof(err)), 0);
    assert_int_equal(rs.n, 4);
    assert_int_equal(rs.rejected, 5);
    const struct rule *r = rs.rules[0];
    assert_non_null(r->file);
    assert_non_null(r->file->hash[RULE_FILE_MD5]);
    assert_int_equal(r->file->hash_neg[RULE_FILE_MD5], 0);
    assert_true(rule_hashlist_has(r->file->hash[RULE_FILE_MD5], md5_a));
    r = rs.rules[1];
    assert_int_equal(r->file->hash_neg[RULE_FILE_MD5], 1);
    assert_int_equal(r->filestore, 0x80 | RULE_STORE_DIR_TO_CLIENT << 2 | RULE_STORE_SCOPE_TX);
    r = rs.rules[2];
    assert_int_equal(r->file->size.op, RULE_NUM_RANGE);
    assert_int_equal(r->file->size.a, 2048);
    assert_int_equal(r->file->size.b, 1048576);
    assert_int_equal(r->n_bufs, 1);
    assert_int_equal(r->bufs[0].buffer, RULE_BUF_FILE_NAME);
    const struct rule_content *c = &r->bufs[0].elems[0].u.content;
    assert_int_equal(c->len, 4);
    assert_memory_equal(c->bytes, ".pdf", 4);
    assert_true(c->flags & RULE_CONTENT_NOCASE);
    assert_true(c->flags & RULE_CONTENT_ENDSWITH);
    r = rs.rules[3];
    assert_null(r->file); /* filestore alone is no file condition */
    assert_int_equal(r->filestore, 0x80);
    assert_int_equal(r->n_bufs, 2);
    assert_int_equal(r->bufs[1].buffer, RULE_BUF_FILE_MAGIC);
    assert_false(r->bufs[0].elems[0].u.content.flags & RULE_CONTENT_ENDSWITH);
    /* the list's error names the keyword and the list's file and line */
    assert_non_null(strstr(rs.errors[0].msg, "t.rules:5: rule sid 5: filesha256: "));
    assert_non_null(strstr(rs.errors[0].msg, "bad.sha256:1: 'xyz' is not a 64-digit hex SHA-256"));
    assert_string_equal(rs.errors[1].keyword, "filesize");
    assert_string_equal(rs.errors[2].keyword, "filestore");
    assert_string_equal(rs.errors[3].keyword, "filename");
    assert_string_equal(rs.errors[4].keyword, "filemd5");
    for (size_t i = 0; i < rs.n; i++) { /* every one the engine evaluates */
        const char *kw = NULL;
        assert_int_equal(detect_rule_check(rs.rules[i], &kw), 0);
    }
    ruleset_free(&rs);
}

/* ---- evaluation ---------------------------------------------------------------- */

static unsigned alerts[16];

static void emit(void *ctx, const struct record_hdr *rec)
{
    (void)ctx;
    const struct alert_record *a = (const struct alert_record *)rec;
    if (a->sid < 16)
        alerts[a->sid]++;
}

static void test_file_rules(void **st)
{
    (void)st;
    struct ruleset rs;
    char path[256], err[256];
    assert_int_equal(ruleset_init(&rs), 0);
    write_file("target.md5", "44d88612fea8a8f36de82e1278abb02f\n");
    write_file("f.rules",
               "alert smtp any any -> any any (filemd5:target.md5; sid:1;)\n"
               "alert smtp any any -> any any (filemd5:!target.md5; sid:2;)\n"
               "alert smtp any any -> any any (flow:to_server; file.data; content:\"Added\"; "
               "sid:3;)\n"
               "alert smtp any any -> any any (flow:to_client; file_data; content:\"Added\"; "
               "sid:4;)\n"
               "alert http any any -> any any (fileext:\"TXT\"; filesize:>10; sid:5;)\n"
               "alert tcp any any -> any any (filesize:<100; sid:6;)\n"
               "alert tcp any any -> any any (filesize:>=100; sid:7;)\n");
    snprintf(path, sizeof(path), "%s/f.rules", dir);
    assert_int_equal(ruleset_load_file(&rs, path, err, sizeof(err)), 0);
    assert_int_equal(rs.rejected, 0);
    struct detect_engine *eng = detect_engine_new(&rs, emit, NULL, NULL, err, sizeof(err));
    assert_non_null(eng);
    detect_engine_install(eng);
    /* file.data: the bytes are wanted; filemd5: the digests */
    assert_int_equal(detect_file_wanted(), DETECT_FILE_WANT | DETECT_FILE_DATA | DETECT_FILE_HASHES);
    memset(alerts, 0, sizeof(alerts));
    struct proto_conn conn = {.uid = "CFileRules1", .community_id = "1:x", .ip_proto = 6};
    conn.orig_h.family = conn.resp_h.family = 4;
    conn.orig_h.a[0] = 10, conn.resp_h.a[0] = 11;
    conn.orig_p = 40000, conn.resp_p = 25;

    static const char body[] = "* Added support for the interface keyword\r\n";
    struct detect_file f = {
        .conn = &conn, .source = "SMTP", .to_server = 1,
        .data = (const uint8_t *)body, .data_len = sizeof(body) - 1,
        .head = (const uint8_t *)body, .head_len = sizeof(body) - 1,
        .name = "NEWS.txt", .name_len = 8, .md5 = "44d88612fea8a8f36de82e1278abb02f",
        .sha1 = NULL, .sha256 = NULL, .size = sizeof(body) - 1,
    };
    detect_file(&f);
    assert_int_equal(alerts[1], 1);
    assert_int_equal(alerts[2], 0);
    assert_int_equal(alerts[3], 1);
    assert_int_equal(alerts[4], 0); /* the file went to the server */
    assert_int_equal(alerts[5], 0); /* an http rule: not an SMTP file */
    assert_int_equal(alerts[6], 1);
    assert_int_equal(alerts[7], 0);

    /* another hash: only the negated list matches */
    f.md5 = "e19c1283c925b3206685ff522acfe3e6";
    detect_file(&f);
    assert_int_equal(alerts[1], 1);
    assert_int_equal(alerts[2], 1);
    assert_int_equal(alerts[6], 2);

    /* a gap: no hash, neither listed nor known to be absent; only ">" sizes */
    f.md5 = NULL;
    f.gaps = 1;
    f.size = 150;
    detect_file(&f);
    assert_int_equal(alerts[1], 1);
    assert_int_equal(alerts[2], 1);
    assert_int_equal(alerts[6], 2); /* <100: unknowable with a gap */
    assert_int_equal(alerts[7], 1); /* >=100: seen */
    f.size = 50;
    detect_file(&f);
    assert_int_equal(alerts[6], 2);

    /* an SMTP message body (no file name): not a file to Suricata's rules */
    f.name = NULL;
    f.name_len = 0;
    f.gaps = 0;
    f.md5 = "44d88612fea8a8f36de82e1278abb02f";
    unsigned data_before = alerts[3];
    assert_int_equal(data_before, 4); /* file.data matched each named file */
    detect_file(&f);
    assert_int_equal(alerts[1], 1);
    assert_int_equal(alerts[3], data_before);

    /* an HTTP response file: fileext (nocase, the whole extension) and filesize */
    conn.uid = "CFileRules2";
    conn.resp_p = 80;
    f.source = "HTTP";
    f.to_server = 0;
    f.name = "notes.txt";
    f.name_len = 9;
    detect_file(&f);
    assert_int_equal(alerts[5], 1);
    f.name = "notes.txtx";
    f.name_len = 10;
    detect_file(&f);
    assert_int_equal(alerts[5], 1);
    /* certificates and other sources are no files here */
    f.source = "SSL";
    f.name = "notes.txt";
    f.name_len = 9;
    detect_file(&f);
    assert_int_equal(alerts[5], 1);

    detect_engine_install(NULL);
    detect_engine_free(eng);
    ruleset_free(&rs);
}

/* What the file rules ask of file tracking: names and sizes only need no
 * bytes and no digests (extract.c then neither keeps nor hashes a file). */
static void test_file_wanted(void **st)
{
    (void)st;
    static const struct {
        const char *rules;
        int want;
    } cases[] = {
        {"alert http any any -> any any (filename:\"a.exe\"; sid:1;)\n", DETECT_FILE_WANT},
        {"alert http any any -> any any (filesize:>10; sid:1;)\n"
         "alert smtp any any -> any any (file.magic; content:\"PDF\"; sid:2;)\n",
         DETECT_FILE_WANT},
        {"alert smtp any any -> any any (file.data; content:\"x\"; sid:1;)\n",
         DETECT_FILE_WANT | DETECT_FILE_DATA},
        {"alert http any any -> any any (filesha256:h.sha256; sid:1;)\n",
         DETECT_FILE_WANT | DETECT_FILE_HASHES},
        {"alert http any any -> any any (content:\"GET\"; http_method; sid:1;)\n", 0},
    };
    write_file("h.sha256",
               "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f\n");
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct ruleset rs;
        char path[256], err[256];
        assert_int_equal(ruleset_init(&rs), 0);
        write_file("w.rules", cases[i].rules);
        snprintf(path, sizeof(path), "%s/w.rules", dir);
        assert_int_equal(ruleset_load_file(&rs, path, err, sizeof(err)), 0);
        assert_int_equal(rs.rejected, 0);
        struct detect_engine *eng = detect_engine_new(&rs, emit, NULL, NULL, err, sizeof(err));
        assert_non_null(eng);
        detect_engine_install(eng);
        assert_int_equal(detect_file_wanted(), cases[i].want);
        detect_engine_install(NULL);
        detect_engine_free(eng);
        ruleset_free(&rs);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_hashlist_load, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keywords_parse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_wanted, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
