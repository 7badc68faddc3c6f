/*
 * test_pcapquery.c - the parts of src/store/pcapquery.c that need no
 * archive: TIME parsing (epoch, ISO 8601 with and without offsets,
 * relative) and the "no archive at DATA" answer.  Retrieval itself is
 * tested end to end against tshark in tests/pcap/pcap_pivot.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "store/pcapquery.h"

#define NOW (1800000000LL * 1000000000LL) /* 2027-01-15T08:00:00Z */
#define SEC 1000000000LL

static int64_t parse_ok(const char *s)
{
    char err[256];
    int64_t ns = 0;
    assert_int_equal(pcapquery_time_parse(s, NOW, &ns, err, sizeof(err)), 0);
    return ns;
}

static void test_time_epoch(void **state)
{
    (void)state;
    assert_true(parse_ok("1478102400") == 1478102400LL * SEC);
    assert_true(parse_ok("1478102400.25") == 1478102400LL * SEC + 250000000);
    assert_true(parse_ok("1478102400.123456789") == 1478102400LL * SEC + 123456789);
    assert_true(parse_ok("now") == NOW);
}

static void test_time_iso(void **state)
{
    (void)state;
    /* 2026-11-02T09:00:00Z = 1793610000 */
    assert_true(parse_ok("2026-11-02T09:00:00Z") == 1793610000LL * SEC);
    assert_true(parse_ok("2026-11-02 09:00:00") == 1793610000LL * SEC);
    assert_true(parse_ok("2026-11-02T10:00:00+01:00") == 1793610000LL * SEC);
    assert_true(parse_ok("2026-11-02T08:30-0030") == 1793610000LL * SEC);
    assert_true(parse_ok("2026-11-02T09:00:00.5Z") == 1793610000LL * SEC + SEC / 2);
    assert_true(parse_ok("2026-11-02") == (1793610000LL - 9 * 3600) * SEC);
}

static void test_time_relative(void **state)
{
    (void)state;
    assert_true(parse_ok("-1h") == NOW - 3600 * SEC);
    assert_true(parse_ok("-30m") == NOW - 1800 * SEC);
    assert_true(parse_ok("-90s") == NOW - 90 * SEC);
    assert_true(parse_ok("-2d") == NOW - 2 * 86400 * SEC);
    assert_true(parse_ok("-1w") == NOW - 604800 * SEC);
}

static void test_time_bad(void **state)
{
    (void)state;
    static const char *bad[] = {"", "yesterday", "-1y", "2026-13-01", "2026-11-02T25:00",
                                "2026-11-02X", "12abc", "-h", "1478102400.5.5",
                                "2026-11-02T09:00:00Q"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char err[256] = "";
        int64_t ns;
        assert_int_equal(pcapquery_time_parse(bad[i], NOW, &ns, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "is not a time"));
    }
}

static void test_no_archive(void **state)
{
    (void)state;
    struct pcapquery q;
    char err[512];
    memset(&q, 0, sizeof(q));
    q.data_dir = "/nonexistent/vigil-test";
    q.start_ns = INT64_MIN;
    q.end_ns = INT64_MAX;
    q.count_only = true;
    assert_int_equal(pcapquery_run(&q, -1, NULL, err, sizeof(err)), PCAPQUERY_NO_ARCHIVE);
    assert_non_null(strstr(err, "no archive at /nonexistent/vigil-test"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time_epoch),    cmocka_unit_test(test_time_iso),
        cmocka_unit_test(test_time_relative), cmocka_unit_test(test_time_bad),
        cmocka_unit_test(test_no_archive),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
