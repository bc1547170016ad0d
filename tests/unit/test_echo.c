/* Unit tests for supervisor/echo.c: a process's output in corrald's log at
 * debug, in the words supervisord's log uses (checked against Python's
 * repr() of the same values). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "supervisor/echo.h"
#include "supervisor/log.h"

/* echo.c logs through log_msg(): faked, to see what it says. */
enum log_level log_threshold = LOG_INFO;
static char logged[1024];

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(logged, sizeof logged, fmt, ap);
	va_end(ap);
	assert_int_equal(level, LOG_DEBUG);
}

static void expect_format(const char *name, const char *channel, const char *data, size_t len,
			  bool as_bytes, const char *want)
{
	char *got = echo_format(name, channel, data, len, as_bytes);
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void test_text(void **state)
{
	(void)state;
	expect_format("web", "stdout", "red plain\n", 10, false, "'web' stdout output:\nred plain\n");
	expect_format("web_01", "stderr", "a\r\n\tb", 5, false, "'web_01' stderr output:\na\r\n\tb");
	/* UTF-8 is text, whatever the script */
	expect_format("w", "stdout", "caf\xc3\xa9 \xe2\x82\xac\n", 10, false,
		      "'w' stdout output:\ncaf\xc3\xa9 \xe2\x82\xac\n");
	/* names with quotes, as Python quotes them */
	expect_format("it's", "stdout", "x", 1, false, "\"it's\" stdout output:\nx");
	expect_format("a'b\"c", "stdout", "x", 1, false, "'a\\'b\"c' stdout output:\nx");
}

static void test_undecodable(void **state)
{
	(void)state;
	/* Python: 'Undecodable: %r' % b'\xff\xfe bad\n' */
	expect_format("web", "stdout", "\xff\xfe bad\n", 7, false,
		      "'web' stdout output:\nUndecodable: b'\\xff\\xfe bad\\n'");
	/* a cut sequence, a surrogate, an overlong form: not UTF-8 */
	expect_format("w", "stdout", "\xc3", 1, false, "'w' stdout output:\nUndecodable: b'\\xc3'");
	expect_format("w", "stdout", "\xed\xa0\x80", 3, false,
		      "'w' stdout output:\nUndecodable: b'\\xed\\xa0\\x80'");
	expect_format("w", "stdout", "\xc0\xaf", 2, false,
		      "'w' stdout output:\nUndecodable: b'\\xc0\\xaf'");
	/* repr(b"it's \\ \x7f\x1b") */
	expect_format("w", "stdout", "it's \\ \x7f\x1b\xff", 10, false,
		      "'w' stdout output:\nUndecodable: b\"it's \\\\ \\x7f\\x1b\\xff\"");
}

static void test_listener_bytes(void **state)
{
	(void)state;
	/* a listener's stdout, always as bytes: '%r %s output:\n%s' % (name, channel, data) */
	expect_format("lis", "stdout", "READY\n", 6, true, "'lis' stdout output:\nb'READY\\n'");
	expect_format("lis", "stdout", "RESULT 2\nOKREADY\n", 17, true,
		      "'lis' stdout output:\nb'RESULT 2\\nOKREADY\\n'");
}

static void test_only_at_debug(void **state)
{
	(void)state;
	logged[0] = '\0';
	log_threshold = LOG_INFO;
	echo_output("web", 0, "hi\n", 3);
	assert_string_equal(logged, "");
	log_threshold = LOG_DEBUG;
	echo_output("web", 1, "hi\n", 3);
	assert_string_equal(logged, "'web' stderr output:\nhi\n");
	echo_listener("lis", "READY\n", 6);
	assert_string_equal(logged, "'lis' stdout output:\nb'READY\\n'");
	log_threshold = LOG_INFO;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_undecodable),
		cmocka_unit_test(test_listener_bytes),
		cmocka_unit_test(test_only_at_debug),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
