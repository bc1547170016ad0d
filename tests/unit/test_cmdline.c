/* Unit tests for supervisor/cmdline.c */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor/cmdline.h"

/* Split S and compare with the NULL-terminated list that follows. */
static void check_split(const char *s, ...)
{
	char **argv = NULL;
	char err[128] = "unchanged";
	int rc = cmdline_split(s, &argv, err, sizeof err);
	if (rc != 0)
		fail_msg("cmdline_split(\"%s\") = %d (%s)", s, rc, err);
	assert_string_equal(err, "");

	va_list ap;
	va_start(ap, s);
	size_t i = 0;
	for (const char *want; (want = va_arg(ap, const char *)); i++) {
		if (!argv[i])
			fail_msg("\"%s\": word %zu missing, expected \"%s\"", s, i, want);
		assert_string_equal(argv[i], want);
	}
	va_end(ap);
	if (argv[i])
		fail_msg("\"%s\": extra word %zu \"%s\"", s, i, argv[i]);
	cmdline_free(argv);
}

static void check_error(const char *s, const char *msg)
{
	char **argv = (char **)&argv; /* must be reset to NULL */
	char err[128] = "";
	assert_int_equal(cmdline_split(s, &argv, err, sizeof err), -EINVAL);
	assert_null(argv);
	assert_string_equal(err, msg);
}

static void test_plain_words(void **state)
{
	check_split("/bin/echo", "/bin/echo", NULL);
	check_split("/bin/echo hello world", "/bin/echo", "hello", "world", NULL);
	check_split("  a \t b\n\nc  ", "a", "b", "c", NULL);
	check_split("a\tb", "a", "b", NULL);
}

static void test_single_quotes(void **state)
{
	check_split("sh -c 'echo a  b; exit 3'", "sh", "-c", "echo a  b; exit 3", NULL);
	check_split("'a\\b' '\"x\"'", "a\\b", "\"x\"", NULL);
	check_split("'$HOME' '`id`'", "$HOME", "`id`", NULL);
	check_split("'multi\nline'", "multi\nline", NULL);
}

static void test_double_quotes(void **state)
{
	check_split("\"a b\"", "a b", NULL);
	check_split("\"q\\\"q\" \"b\\\\s\" \"d\\$x\" \"t\\`x\"", "q\"q", "b\\s", "d$x", "t`x",
		    NULL);
	/* other backslashes stay */
	check_split("\"a\\nb\\'c\"", "a\\nb\\'c", NULL);
	/* backslash-newline inside double quotes disappears */
	check_split("\"ab\\\ncd\"", "abcd", NULL);
	check_split("\"it's\"", "it's", NULL);
}

static void test_backslash_outside_quotes(void **state)
{
	check_split("a\\ b c", "a b", "c", NULL);
	check_split("\\'x\\' \\\"y\\\"", "'x'", "\"y\"", NULL);
	check_split("a\\\\b", "a\\b", NULL);
	check_split("a\\\nb", "ab", NULL);
	check_split("a \\\n b", "a", "b", NULL);
}

static void test_concatenation(void **state)
{
	check_split("a'b'\"c\"d", "abcd", NULL);
	check_split("--opt='x y'", "--opt=x y", NULL);
	check_split("\"\"'x'\"\"", "x", NULL);
}

static void test_empty_words(void **state)
{
	check_split("a '' b", "a", "", "b", NULL);
	check_split("\"\"", "", NULL);
	check_split("'' \"\"", "", "", NULL);
	check_split("x ''", "x", "", NULL);
}

static void test_no_expansion(void **state)
{
	check_split("echo $HOME ~ *.c `id` $(id) a|b c>d e;f &",
		    "echo", "$HOME", "~", "*.c", "`id`", "$(id)", "a|b", "c>d", "e;f", "&", NULL);
	check_split("# not a comment", "#", "not", "a", "comment", NULL);
}

static void test_errors(void **state)
{
	check_error("sh -c 'echo", "unterminated single quote");
	check_error("sh -c \"echo", "unterminated double quote");
	check_error("echo \"a\\\"", "unterminated double quote");
	check_error("echo a\\", "trailing backslash");
	check_error("", "empty command");
	check_error(" \t\n ", "empty command");
	check_error("\\\n", "empty command");
}

static void test_error_buffer_optional(void **state)
{
	char **argv;
	assert_int_equal(cmdline_split("'x", &argv, NULL, 0), -EINVAL);
	assert_null(argv);
	char small[6];
	assert_int_equal(cmdline_split("'x", &argv, small, sizeof small), -EINVAL);
	assert_string_equal(small, "unter");
	assert_int_equal(cmdline_split("ok", &argv, NULL, 0), 0);
	cmdline_free(argv);
}

static void test_long_input(void **state)
{
	size_t n = 20000;
	char *s = malloc(n + 1);
	assert_non_null(s);
	for (size_t i = 0; i < n; i++)
		s[i] = (i % 10 == 9) ? ' ' : 'a' + (char)(i % 26);
	s[n] = '\0';
	char **argv;
	char err[64];
	assert_int_equal(cmdline_split(s, &argv, err, sizeof err), 0);
	size_t words = 0;
	for (char **a = argv; *a; a++, words++)
		assert_int_equal(strlen(*a), 9);
	assert_int_equal(words, n / 10);
	cmdline_free(argv);

	/* one huge quoted word */
	memset(s, 'x', n);
	s[0] = '"';
	s[n - 1] = '"';
	assert_int_equal(cmdline_split(s, &argv, err, sizeof err), 0);
	assert_int_equal(strlen(argv[0]), n - 2);
	assert_null(argv[1]);
	cmdline_free(argv);
	free(s);
}

static void test_free_null(void **state)
{
	cmdline_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_words),
		cmocka_unit_test(test_single_quotes),
		cmocka_unit_test(test_double_quotes),
		cmocka_unit_test(test_backslash_outside_quotes),
		cmocka_unit_test(test_concatenation),
		cmocka_unit_test(test_empty_words),
		cmocka_unit_test(test_no_expansion),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_error_buffer_optional),
		cmocka_unit_test(test_long_input),
		cmocka_unit_test(test_free_null),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
