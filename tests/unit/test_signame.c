/* Unit tests for supervisor/signame.c: signal names both ways. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <string.h>

#include "supervisor/signame.h"

static void test_signal_names(void **state)
{
	(void)state;
	assert_int_equal(signame_number("TERM"), SIGTERM);
	assert_int_equal(signame_number("SIGKILL"), SIGKILL);
	assert_int_equal(signame_number("sigusr1"), SIGUSR1);
	assert_int_equal(signame_number("2"), SIGINT);
	assert_int_equal(signame_number("RTMIN+1"), SIGRTMIN + 1);
	assert_int_equal(signame_number("RTMAX-1"), SIGRTMAX - 1);
	assert_int_equal(signame_number("RTMAX"), SIGRTMAX);
	assert_int_equal(signame_number("POLL"), SIGIO);
	assert_int_equal(signame_number(""), -1);
	assert_int_equal(signame_number(NULL), -1);
	assert_int_equal(signame_number("NOPE"), -1);
	assert_int_equal(signame_number("0"), -1);
	assert_int_equal(signame_number("RTMIN-1"), -1);

	assert_string_equal(signame_name(SIGTERM), "TERM");
	assert_string_equal(signame_name(SIGKILL), "KILL");
	assert_string_equal(signame_name(SIGHUP), "HUP");
	assert_string_equal(signame_name(SIGABRT), "ABRT");
	assert_string_equal(signame_name(SIGIO), "IO");
	assert_string_equal(signame_name(SIGCHLD), "CHLD");
	assert_string_equal(signame_name(SIGRTMIN), "RTMIN");
	assert_string_equal(signame_name(SIGRTMIN + 2), "RTMIN+2");
	assert_string_equal(signame_name(SIGRTMAX), "RTMAX");
	assert_string_equal(signame_name(0), "?");
	assert_string_equal(signame_name(-3), "?");
	assert_string_equal(signame_name(1000), "?");
	/* every name given back is understood */
	for (int s = 1; s <= SIGRTMAX; s++)
		if (strcmp(signame_name(s), "?") != 0)
			assert_int_equal(signame_number(signame_name(s)), s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signal_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
