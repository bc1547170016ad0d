/* Unit tests for supervisor/pidmap.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "supervisor/pidmap.h"

static void test_put_get_del(void **state)
{
	(void)state;
	struct pidmap m = { 0 };
	int a, b;
	assert_null(pidmap_get(&m, 1));
	assert_int_equal(pidmap_put(&m, 100, &a), 0);
	assert_int_equal(pidmap_put(&m, 200, &b), 0);
	assert_ptr_equal(pidmap_get(&m, 100), &a);
	assert_ptr_equal(pidmap_get(&m, 200), &b);
	assert_int_equal(pidmap_put(&m, 100, &b), 0); /* replace */
	assert_ptr_equal(pidmap_get(&m, 100), &b);
	assert_int_equal(m.n, 2);
	pidmap_del(&m, 100);
	assert_null(pidmap_get(&m, 100));
	assert_ptr_equal(pidmap_get(&m, 200), &b);
	pidmap_del(&m, 12345); /* absent: harmless */
	assert_int_equal(m.n, 1);
	assert_int_equal(pidmap_put(&m, 0, &a), -EINVAL);
	assert_int_equal(pidmap_put(&m, -5, &a), -EINVAL);
	pidmap_free(&m);
}

/* Many inserts and deletes against a plain array model, so that growth and
 * backward-shift deletion are exercised with long probe runs. */
static void test_random_against_model(void **state)
{
	(void)state;
	enum { MAXPID = 5000 };
	static void *model[MAXPID];
	static int tag[MAXPID];
	struct pidmap m = { 0 };
	srand(777);
	size_t count = 0;
	for (int step = 0; step < 100000; step++) {
		pid_t pid = 1 + rand() % (MAXPID - 1);
		if (rand() % 2) {
			if (!model[pid])
				count++;
			model[pid] = &tag[pid];
			assert_int_equal(pidmap_put(&m, pid, &tag[pid]), 0);
		} else {
			if (model[pid])
				count--;
			model[pid] = NULL;
			pidmap_del(&m, pid);
		}
		assert_int_equal(m.n, count);
		if (step % 1000 == 0)
			for (pid_t p = 1; p < MAXPID; p++)
				assert_ptr_equal(pidmap_get(&m, p), model[p]);
	}
	pidmap_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_get_del),
		cmocka_unit_test(test_random_against_model),
	};
	return cmocka_run_group_tests_name("pidmap", tests, NULL, NULL);
}
