/* Unit tests for supervisor/path.c: a name joined to a directory stays in it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <string.h>

#include "supervisor/path.h"

static void test_component(void **state)
{
	(void)state;
	const char *bad[] = { "", ".", "..", "/", "a/b", "../x", "x/..", "/etc", "a/", NULL };
	for (const char **n = bad; *n; n++)
		if (path_component_ok(*n))
			fail_msg("'%s' taken as one path component", *n);
	assert_false(path_component_ok(NULL));
	const char *good[] = { "a", "...", ".a", "a.", "g:p", "a..b", "run-1", NULL };
	for (const char **n = good; *n; n++)
		if (!path_component_ok(*n))
			fail_msg("'%s' refused as a path component", *n);
	char name[NAME_MAX + 2];
	memset(name, 'n', sizeof name - 1);
	name[NAME_MAX] = '\0';
	assert_true(path_component_ok(name));
	name[NAME_MAX] = 'n';
	name[NAME_MAX + 1] = '\0';
	assert_false(path_component_ok(name));
}

static void test_join(void **state)
{
	(void)state;
	char buf[32];
	assert_int_equal(path_join(buf, sizeof buf, "/var/log/corral", "web.out"), 0);
	assert_string_equal(buf, "/var/log/corral/web.out");
	assert_int_equal(path_join(buf, sizeof buf, "/var/log/corral", ".."), -EINVAL);
	assert_int_equal(path_join(buf, sizeof buf, "/var/log/corral", "../../etc"), -EINVAL);
	assert_int_equal(path_join(buf, sizeof buf, "/var/log/corral", "."), -EINVAL);
	assert_int_equal(path_join(buf, sizeof buf, "/var/log/corral", ""), -EINVAL);
	assert_int_equal(path_join(buf, sizeof buf, "/var/log/corral", "a-rather-long-name"),
			 -ENAMETOOLONG);
	/* exactly filling the buffer, NUL included */
	assert_int_equal(path_join(buf, sizeof buf, "/d", "0123456789012345678901234567"), 0);
	assert_int_equal(strlen(buf), sizeof buf - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_component),
		cmocka_unit_test(test_join),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
