/* Unit tests for supervisor/ansi.c: supervisord's strip_ansi, the bytes it
 * takes out and the ones it leaves. */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "supervisor/ansi.h"

/* IN stripped in pieces of CHUNK bytes (0: whole), as a NUL-terminated string. */
static const char *strip(const char *in, size_t chunk)
{
	static char out[512];
	struct ansi_strip st;
	char piece[512];
	size_t len = strlen(in), n = 0;
	ansi_strip_init(&st);
	if (!chunk)
		chunk = len ? len : 1;
	for (size_t off = 0; off < len; off += chunk) {
		size_t c = len - off < chunk ? len - off : chunk;
		memcpy(piece, in + off, c);
		c = ansi_strip(&st, piece, c);
		memcpy(out + n, piece, c);
		n += c;
	}
	out[n] = '\0';
	return out;
}

static void test_colours_and_cursor_moves(void **state)
{
	(void)state;
	assert_string_equal(strip("\033[31mred\033[0m plain\n", 0), "red plain\n");
	assert_string_equal(strip("\033[1;32mbold\033[0m\n", 0), "bold\n");
	assert_string_equal(strip("\033[38;5;208mx\033[m\n", 0), "x\n");
	assert_string_equal(strip("\033[2J\033[Hcleared\033[K\n", 0), "cleared\n");
	assert_string_equal(strip("a\033[3Ab\033[10Cc\033[s\033[u\n", 0), "abc\n");
	assert_string_equal(strip("\033[?25lhidden cursor\033[?25h\n", 0), "hidden cursor\n");
	assert_string_equal(strip("no escapes at all\n", 0), "no escapes at all\n");
	assert_string_equal(strip("", 0), "");
}

static void test_only_esc_bracket_starts_a_sequence(void **state)
{
	(void)state;
	/* OSC, charset switches and a lone ESC or '[' stay as they are */
	assert_string_equal(strip("t \033]0;title\007 e\n", 0), "t \033]0;title\007 e\n");
	assert_string_equal(strip("k \033(B e\n", 0), "k \033(B e\n");
	assert_string_equal(strip("[31m \033 x\n", 0), "[31m \033 x\n");
	/* supervisord drops up to the first terminator, whatever comes before
	 * it: 'n' is none, so "\033[5nh" goes */
	assert_string_equal(strip("a\033[5nhello\n", 0), "aello\n");
	/* an unterminated sequence takes the rest */
	assert_string_equal(strip("left\033[12;", 0), "left");
	/* an ESC inside a sequence is just dropped with it */
	assert_string_equal(strip("\033[1\033[0mz", 0), "z");
}

static void test_split_reads(void **state)
{
	(void)state;
	/* a sequence split after its ESC '[' is taken out whole, however the
	 * input is cut */
	const char *in = "ab\033[31mred\033[0m\033[2Jok\n";
	for (size_t chunk = 1; chunk < 24; chunk++) {
		bool esc_ends_a_read = false;
		for (size_t end = chunk; end < strlen(in); end += chunk)
			esc_ends_a_read |= in[end - 1] == '\033';
		if (!esc_ends_a_read)
			assert_string_equal(strip(in, chunk), "abredok\n");
	}
	/* an ESC that ends a read stays, as in supervisord, and the '[' that
	 * follows is text */
	assert_string_equal(strip("ab\033[31mx", 3), "ab\033[31mx");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_colours_and_cursor_moves),
		cmocka_unit_test(test_only_esc_bracket_starts_a_sequence),
		cmocka_unit_test(test_split_reads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
