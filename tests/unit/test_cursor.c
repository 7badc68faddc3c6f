/*
 * test_cursor.c - struct cursor (src/core/cursor.h): every read either
 * succeeds and advances or fails and leaves the cursor where it was.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/cursor.h"

/* 01 02 03 04 05 06 07 08 09: nine bytes, big-endian 0x0102... */
static const uint8_t nine[] = {1, 2, 3, 4, 5, 6, 7, 8, 9};

static void test_cursor_reads(void **state)
{
    (void)state;
    struct cursor c;
    uint8_t b;
    uint16_t w;
    uint32_t l;
    uint64_t q;
    cursor_init(&c, nine, sizeof(nine));
    assert_int_equal(cursor_left(&c), 9);
    assert_int_equal(cursor_u8(&c, &b), 0);
    assert_int_equal(b, 1);
    assert_int_equal(cursor_u16be(&c, &w), 0);
    assert_int_equal(w, 0x0203);
    assert_int_equal(cursor_u24be(&c, &l), 0);
    assert_int_equal(l, 0x040506);
    assert_int_equal(cursor_u16le(&c, &w), 0);
    assert_int_equal(w, 0x0807);
    assert_int_equal(cursor_left(&c), 1);
    assert_int_equal(cursor_u16be(&c, &w), -1);
    assert_int_equal(cursor_left(&c), 1);
    cursor_init(&c, nine, sizeof(nine));
    assert_int_equal(cursor_u64be(&c, &q), 0);
    assert_true(q == 0x0102030405060708ull);
    assert_int_equal(cursor_u64be(&c, &q), -1);
    assert_int_equal(cursor_left(&c), 1);
    cursor_init(&c, nine, sizeof(nine));
    assert_int_equal(cursor_u32le(&c, &l), 0);
    assert_int_equal(l, 0x04030201);
}

static void test_cursor_fail_keeps_position(void **state)
{
    (void)state;
    struct cursor c, sub;
    uint8_t out[16];
    const uint8_t *p;
    cursor_init(&c, nine, 3);
    assert_int_equal(cursor_skip(&c, 4), -1);
    assert_int_equal(cursor_bytes(&c, out, 4), -1);
    assert_int_equal(cursor_ptr(&c, 4, &p), -1);
    assert_int_equal(cursor_sub(&c, 4, &sub), -1);
    uint32_t l;
    assert_int_equal(cursor_u32be(&c, &l), -1);
    assert_int_equal(cursor_left(&c), 3);
    assert_int_equal(cursor_sub(&c, 2, &sub), 0);
    assert_int_equal(cursor_left(&sub), 2);
    assert_int_equal(cursor_left(&c), 1);
    uint8_t b;
    assert_int_equal(cursor_peek_u8(&c, 0, &b), 0);
    assert_int_equal(b, 3);
    assert_int_equal(cursor_peek_u8(&c, 1, &b), -1);
    uint16_t w;
    assert_int_equal(cursor_peek_u16be(&c, 0, &w), -1);
    assert_int_equal(cursor_peek_u16be(&c, SIZE_MAX, &w), -1);
    cursor_init(&c, nine, 0);
    assert_int_equal(cursor_u8(&c, &b), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cursor_reads),
        cmocka_unit_test(test_cursor_fail_keeps_position),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
