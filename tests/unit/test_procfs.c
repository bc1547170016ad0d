/* Unit tests for supervisor/procfs.c: CPU time and resident memory from the
 * text of /proc/PID/stat and /proc/PID/statm, as the kernel writes them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "supervisor/procfs.h"

static void test_cpu_ticks(void **state)
{
	(void)state;
	/* utime 1500 and stime 42: fields 14 and 15 */
	assert_int_equal(procfs_cpu_ticks("1234 (python3) S 1 1234 1234 0 -1 4194560 7470 0 0 0 "
					  "1500 42 0 0 20 0 1 0 12345 26050560 2264 ..."), 1542);
	/* a name with blanks and parentheses: counted from the last ')' */
	assert_int_equal(procfs_cpu_ticks("77 (a (b) c) R 1 77 77 0 -1 0 0 0 0 0 7 3 0 0 20 0 1 0 "
					  "1 2 3"), 10);
	/* cut short, or no name at all */
	assert_int_equal(procfs_cpu_ticks("77 (x) R 1 77 77 0 -1 0 0 0 0 0 7"), -1);
	assert_int_equal(procfs_cpu_ticks("77 x R"), -1);
	assert_int_equal(procfs_cpu_ticks(""), -1);
}

static void test_start_ticks(void **state)
{
	(void)state;
	/* starttime: field 22 */
	assert_int_equal(procfs_start_ticks("1234 (python3) S 1 1234 1234 0 -1 4194560 7470 0 0 0 "
					    "1500 42 0 0 20 0 1 0 12345 26050560 2264 ..."), 12345);
	assert_int_equal(procfs_start_ticks("77 (a (b) c) R 1 77 77 0 -1 0 0 0 0 0 7 3 0 0 20 0 1 0 "
					    "99 2 3"), 99);
	/* cut short before it */
	assert_int_equal(procfs_start_ticks("77 (x) R 1 77 77 0 -1 0 0 0 0 0 7 3 0 0 20 0 1 0"), -1);
	assert_int_equal(procfs_start_ticks(""), -1);
}

static void test_resident_pages(void **state)
{
	(void)state;
	assert_int_equal(procfs_resident_pages("6360 2264 1470 641 0 1128 0\n"), 2264);
	assert_int_equal(procfs_resident_pages("6360"), -1);
	assert_int_equal(procfs_resident_pages("x 1"), -1);
	assert_int_equal(procfs_resident_pages(""), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpu_ticks),
		cmocka_unit_test(test_start_ticks),
		cmocka_unit_test(test_resident_pages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
