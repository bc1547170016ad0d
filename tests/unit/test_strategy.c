/* Unit tests for supervisor/strategy.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "supervisor/strategy.h"

static void test_members(void **state)
{
	(void)state;
	bool r[4];
	strategy_members(STRATEGY_ONE_FOR_ONE, 4, 2, r);
	assert_false(r[0]);
	assert_false(r[1]);
	assert_true(r[2]);
	assert_false(r[3]);
	strategy_members(STRATEGY_ONE_FOR_ALL, 4, 2, r);
	for (int i = 0; i < 4; i++)
		assert_true(r[i]);
	strategy_members(STRATEGY_REST_FOR_ONE, 4, 1, r);
	assert_false(r[0]);
	assert_true(r[1]);
	assert_true(r[2]);
	assert_true(r[3]);
	strategy_members(STRATEGY_REST_FOR_ONE, 4, 3, r);
	assert_false(r[2]);
	assert_true(r[3]);
	assert_string_equal(strategy_name(STRATEGY_REST_FOR_ONE), "rest_for_one");
}

/* Three restarts allowed in 10 s: the fourth within the window trips. */
static void test_intensity(void **state)
{
	(void)state;
	struct restart_window w = { 0 };
	assert_false(strategy_record_restart(&w, 1000, 3, 10000));
	assert_false(strategy_record_restart(&w, 2000, 3, 10000));
	assert_false(strategy_record_restart(&w, 3000, 3, 10000));
	assert_true(strategy_record_restart(&w, 4000, 3, 10000));
	strategy_window_reset(&w);
	/* Spread out, they never trip: old ones leave the window. */
	for (int64_t t = 0; t < 200000; t += 4000)
		assert_false(strategy_record_restart(&w, t, 3, 10000));
	/* The window is bounded by the limit, however many restarts. */
	assert_true(w.n <= 4);
	assert_int_equal(w.cap, 4);
	strategy_window_free(&w);
}

static void test_no_limit_and_limit_change(void **state)
{
	(void)state;
	struct restart_window w = { 0 };
	for (int i = 0; i < 100; i++)
		assert_false(strategy_record_restart(&w, i, 0, 10000));
	assert_null(w.times);
	assert_false(strategy_record_restart(&w, 0, 1, 10000));
	assert_true(strategy_record_restart(&w, 1, 1, 10000));
	/* A reload that raises the limit starts a fresh window. */
	assert_false(strategy_record_restart(&w, 2, 2, 10000));
	assert_false(strategy_record_restart(&w, 3, 2, 10000));
	assert_true(strategy_record_restart(&w, 4, 2, 10000));
	/* Exactly at the edge of the period the oldest no longer counts. */
	strategy_window_reset(&w);
	assert_false(strategy_record_restart(&w, 0, 1, 1000));
	assert_false(strategy_record_restart(&w, 1000, 1, 1000));
	strategy_window_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_members),
		cmocka_unit_test(test_intensity),
		cmocka_unit_test(test_no_limit_and_limit_change),
	};
	return cmocka_run_group_tests_name("strategy", tests, NULL, NULL);
}
