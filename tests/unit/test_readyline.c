/* Unit tests for supervisor/readyline.c: the lines ready = log: matches,
 * split across reads, a long line matched on what is held of it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "supervisor/readyline.h"

struct seen {
	char lines[8][64];
	int n;
	const char *want; /* a line equal to it matches */
};

static bool record(void *ctx, const char *line)
{
	struct seen *s = ctx;
	if (s->n < 8)
		snprintf(s->lines[s->n++], sizeof s->lines[0], "%s", line);
	return s->want && strcmp(line, s->want) == 0;
}

static void lines_split_across_reads(void **state)
{
	(void)state;
	char buf[33];
	struct readyline l = { .buf = buf, .cap = 32 };
	struct seen s = { .want = "listening on 8080" };
	assert_false(readyline_feed(&l, "booting\nlisten", 14, record, &s));
	assert_int_equal(s.n, 1);
	assert_string_equal(s.lines[0], "booting");
	assert_true(readyline_feed(&l, "ing on 8080\nafter\n", 18, record, &s));
	assert_int_equal(s.n, 2); /* nothing read after the match */
	assert_string_equal(s.lines[1], "listening on 8080");
}

static void partial_line_is_not_matched(void **state)
{
	(void)state;
	char buf[33];
	struct readyline l = { .buf = buf, .cap = 32 };
	struct seen s = { .want = "ready" };
	assert_false(readyline_feed(&l, "ready", 5, record, &s));
	assert_int_equal(s.n, 0);
	assert_true(readyline_feed(&l, "\n", 1, record, &s));
}

static void long_line_is_cut_to_the_cap(void **state)
{
	(void)state;
	char buf[9];
	struct readyline l = { .buf = buf, .cap = 8 };
	struct seen s = { .want = NULL };
	const char *in = "0123456789abcdef\nnext\n";
	assert_false(readyline_feed(&l, in, strlen(in), record, &s));
	assert_int_equal(s.n, 2);
	assert_string_equal(s.lines[0], "01234567");
	assert_string_equal(s.lines[1], "next"); /* the cut line's rest is not a line */
}

static void empty_lines(void **state)
{
	(void)state;
	char buf[9];
	struct readyline l = { .buf = buf, .cap = 8 };
	struct seen s = { .want = "" };
	assert_true(readyline_feed(&l, "\n", 1, record, &s));
	assert_int_equal(s.n, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lines_split_across_reads),
		cmocka_unit_test(partial_line_is_not_matched),
		cmocka_unit_test(long_line_is_cut_to_the_cap),
		cmocka_unit_test(empty_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
