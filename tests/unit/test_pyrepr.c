/* Unit tests for supervisor/pyrepr.c: Python's repr() of text and bytes,
 * and what supervisord makes of output that is not UTF-8 (each expected
 * value is what Python 3 prints for the same input). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "supervisor/pyrepr.h"

static void expect_repr(const char *in, size_t len, bool bytes, const char *want)
{
	char out[PYREPR_MAX(64)];
	assert_true(len <= 64);
	size_t n = bytes ? pyrepr_bytes(out, in, len) : pyrepr_str(out, in, len);
	assert_true(n <= PYREPR_MAX(len));
	out[n] = '\0';
	assert_string_equal(out, want);
}

static void test_str(void **state)
{
	(void)state;
	expect_repr("web", 3, false, "'web'");
	expect_repr("it's", 4, false, "\"it's\"");
	expect_repr("a'b\"c", 5, false, "'a\\'b\"c'");
	expect_repr("back\\slash", 10, false, "'back\\\\slash'");
	expect_repr("caf\xc3\xa9", 5, false, "'caf\xc3\xa9'");
	expect_repr("", 0, false, "''");
}

static void test_bytes(void **state)
{
	(void)state;
	expect_repr("READY\n", 6, true, "b'READY\\n'");
	expect_repr("\t\r\x1b\x7f\xff\x00", 6, true, "b'\\t\\r\\x1b\\x7f\\xff\\x00'");
	expect_repr("it's", 4, true, "b\"it's\"");
	expect_repr("'\"", 2, true, "b'\\'\"'");
	expect_repr("caf\xc3\xa9", 5, true, "b'caf\\xc3\\xa9'");
}

static void test_utf8(void **state)
{
	(void)state;
	assert_true(pyrepr_utf8("plain", 5));
	assert_true(pyrepr_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\x8e", 15));
	assert_true(pyrepr_utf8("nul \0 is text", 13));
	assert_false(pyrepr_utf8("\xff", 1));
	assert_false(pyrepr_utf8("cut \xc3", 5));         /* a sequence cut short */
	assert_false(pyrepr_utf8("\xc0\xaf", 2));         /* overlong */
	assert_false(pyrepr_utf8("\xed\xa0\x80", 3));     /* a surrogate */
	assert_false(pyrepr_utf8("\xf4\x90\x80\x80", 4)); /* past U+10FFFF */
}

static void test_undecodable(void **state)
{
	(void)state;
	size_t n;
	/* 'Undecodable: %r' % b'\xff\xfe bad\n' */
	char *s = pyrepr_undecodable("\xff\xfe bad\n", 7, &n);
	assert_non_null(s);
	assert_int_equal(n, strlen("Undecodable: b'\\xff\\xfe bad\\n'"));
	assert_memory_equal(s, "Undecodable: b'\\xff\\xfe bad\\n'", n);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_str),
		cmocka_unit_test(test_bytes),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_undecodable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
