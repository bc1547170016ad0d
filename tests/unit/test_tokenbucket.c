/* Unit tests for supervisor/tokenbucket.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "supervisor/tokenbucket.h"

static void test_burst_then_rate(void **state)
{
	(void)state;
	struct token_bucket b;
	tb_init(&b, 1000, 100, 0);
	/* A full bucket gives the burst at once, then nothing. */
	assert_int_equal(tb_take(&b, 150, 0), 100);
	assert_int_equal(tb_take(&b, 1, 0), 0);
	/* 1000/s is one a millisecond. */
	assert_int_equal(tb_wait_ms(&b, 0), 1);
	assert_int_equal(tb_take(&b, 10, 5), 5);
	assert_int_equal(tb_take(&b, 10, 5), 0);
	/* Never more than the burst, however long it waited. */
	assert_int_equal(tb_take(&b, 1000000, 100000000), 100);
}

static void test_slow_rate(void **state)
{
	(void)state;
	struct token_bucket b;
	tb_init(&b, 3, 1, 0);
	assert_int_equal(tb_take(&b, 1, 0), 1);
	/* A token each 333.3 ms: the wait rounds up, and the fraction carries. */
	assert_int_equal(tb_wait_ms(&b, 0), 334);
	assert_int_equal(tb_take(&b, 1, 333), 0);
	assert_int_equal(tb_take(&b, 1, 334), 1);
	assert_int_equal(tb_take(&b, 1, 667), 0);
	assert_int_equal(tb_take(&b, 1, 668), 1);
	/* Over 10 s at 3/s exactly 30 tokens come, not 29 or 31. */
	uint64_t total = 0;
	for (int64_t t = 1000; t <= 11000; t++)
		total += tb_take(&b, 1, t);
	assert_true(total >= 30 && total <= 31);
}

static void test_unlimited_and_clock(void **state)
{
	(void)state;
	struct token_bucket b;
	tb_init(&b, 0, 0, 0);
	assert_int_equal(tb_take(&b, 123456, 0), 123456);
	assert_int_equal(tb_wait_ms(&b, 0), 0);
	/* A clock that does not move (or moves back) adds nothing. */
	tb_init(&b, 10, 1, 1000);
	assert_int_equal(tb_take(&b, 1, 1000), 1);
	assert_int_equal(tb_take(&b, 1, 900), 0);
	assert_int_equal(tb_take(&b, 1, 1000), 0);
	/* Huge rates and gaps do not overflow. */
	tb_init(&b, UINT64_MAX / 2000000, 5, 0);
	assert_int_equal(tb_take(&b, 5, 0), 5);
	assert_int_equal(tb_take(&b, 10, INT64_MAX / 2), 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_then_rate),
		cmocka_unit_test(test_slow_rate),
		cmocka_unit_test(test_unlimited_and_clock),
	};
	return cmocka_run_group_tests_name("tokenbucket", tests, NULL, NULL);
}
