/* Unit tests for supervisor/logline.c: the line splitter, time stamps and
 * the rotation arithmetic. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include "supervisor/logline.h"

/* Feed IN through the splitter in chunks of CHUNK bytes and render what a
 * log would hold, with the cut markers. */
static void render(const char *in, size_t chunk, size_t line_max, char *out, size_t cap)
{
	struct logline st;
	logline_init(&st);
	size_t n = 0, len = strlen(in);
	for (size_t off = 0; off < len;) {
		size_t c = len - off < chunk ? len - off : chunk;
		const char *p = in + off;
		while (c) {
			bool ends, cut;
			if (st.at_line_start && st.continued)
				n += (size_t)snprintf(out + n, cap - n, "%s", LOGLINE_CONT);
			size_t k = logline_piece(&st, line_max, p, c, &ends, &cut);
			assert_true(k <= c);
			assert_true(k >= 1 || cut);
			n += (size_t)snprintf(out + n, cap - n, "%.*s%s", (int)k, p, cut ? LOGLINE_CUT : "");
			logline_advance(&st, k, ends, cut);
			p += k;
			c -= k;
			off += k;
		}
	}
	out[n] = '\0';
}

static void test_lines_pass_whole(void **state)
{
	(void)state;
	char out[256];
	/* However the input is chunked, lines come out as they went in. */
	for (size_t chunk = 1; chunk < 12; chunk++) {
		render("one\ntwo\n\nthree", chunk, 0, out, sizeof out);
		assert_string_equal(out, "one\ntwo\n\nthree");
	}
}

static void test_long_lines_are_cut_not_dropped(void **state)
{
	(void)state;
	char out[256];
	for (size_t chunk = 1; chunk < 20; chunk++) {
		render("abcdefghij\nxy\n", chunk, 4, out, sizeof out);
		assert_string_equal(out, "abcd [...]\n[...] efgh [...]\n[...] ij\nxy\n");
	}
	/* A line exactly at the limit is not cut. */
	render("abcd\nefgh", 3, 4, out, sizeof out);
	assert_string_equal(out, "abcd\nefgh");
	/* Nor one that ends right after it. */
	render("abcde", 2, 5, out, sizeof out);
	assert_string_equal(out, "abcde");
}

static void test_piece_state(void **state)
{
	(void)state;
	struct logline st;
	bool ends, cut;
	logline_init(&st);
	assert_true(st.at_line_start);
	assert_int_equal(logline_piece(&st, 0, "ab", 2, &ends, &cut), 2);
	assert_int_equal(logline_piece(&st, 1, "ab", 2, &ends, &cut), 1);
	assert_false(ends);
	assert_false(cut);
	logline_advance(&st, 2, ends, cut);
	assert_false(st.at_line_start); /* a partial line: the next run must not glue onto it */
	assert_int_equal(st.line_len, 2);
	assert_int_equal(logline_piece(&st, 0, "c\nd", 3, &ends, &cut), 2);
	assert_true(ends);
	logline_advance(&st, 2, ends, cut);
	assert_true(st.at_line_start);
	assert_int_equal(st.line_len, 0);
}

static void test_stamp(void **state)
{
	(void)state;
	char buf[64];
	struct timespec ts = { .tv_sec = 1795735800, .tv_nsec = 123456789 };
	size_t n = logline_stamp(buf, sizeof buf, &ts);
	assert_string_equal(buf, "2026-11-26T23:30:00.123456Z ");
	assert_int_equal(n, strlen(buf));
	/* Too small a buffer is cut, not overrun. */
	char small[8];
	assert_int_equal(logline_stamp(small, sizeof small, &ts), 7);
	assert_string_equal(small, "2026-11");
}

static void test_rotation_arithmetic(void **state)
{
	(void)state;
	assert_false(logline_rotate_due(0, 0));
	assert_false(logline_rotate_due(1ull << 40, 0)); /* 0: never */
	assert_false(logline_rotate_due(99, 100));
	assert_true(logline_rotate_due(100, 100));
	assert_true(logline_rotate_due(150, 100));
	char buf[16];
	assert_int_equal(logline_backup_name("/l/web.out", 3, buf, sizeof buf), 0);
	assert_string_equal(buf, "/l/web.out.3");
	assert_int_equal(logline_backup_name("/l/web.out", 10, buf, 12), -ENAMETOOLONG);
}

static void test_parse_bytes(void **state)
{
	(void)state;
	uint64_t v;
	assert_true(logline_parse_bytes("50MB", &v));
	assert_int_equal(v, 50ull << 20);
	assert_true(logline_parse_bytes("10 kb", &v));
	assert_int_equal(v, 10240);
	assert_true(logline_parse_bytes("2GB", &v));
	assert_int_equal(v, 2ull << 30);
	assert_true(logline_parse_bytes("0", &v));
	assert_int_equal(v, 0);
	assert_false(logline_parse_bytes("", &v));
	assert_false(logline_parse_bytes("MB", &v));
	assert_false(logline_parse_bytes("-1", &v));
	assert_false(logline_parse_bytes("5TB", &v));
	assert_false(logline_parse_bytes("99999999999999999999", &v));
	assert_false(logline_parse_bytes("18014398509481984GB", &v));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines_pass_whole),
		cmocka_unit_test(test_long_lines_are_cut_not_dropped),
		cmocka_unit_test(test_piece_state),
		cmocka_unit_test(test_stamp),
		cmocka_unit_test(test_rotation_arithmetic),
		cmocka_unit_test(test_parse_bytes),
	};
	return cmocka_run_group_tests_name("logline", tests, NULL, NULL);
}
