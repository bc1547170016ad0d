/* Unit tests for supervisor/watchmatch.c: which paths watch_exclude =
 * leaves out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "supervisor/watchmatch.h"

static void no_globs_excludes_nothing(void **state)
{
	(void)state;
	assert_false(watchmatch_excluded(NULL, "a.txt"));
	char *none[] = { NULL };
	assert_false(watchmatch_excluded(none, "a.txt"));
}

static void basename_globs(void **state)
{
	(void)state;
	char *g[] = { "*.swp", "*~", NULL };
	assert_true(watchmatch_excluded(g, "a.swp"));
	assert_true(watchmatch_excluded(g, "sub/dir/.a.swp"));
	assert_true(watchmatch_excluded(g, "notes~"));
	assert_false(watchmatch_excluded(g, "a.swp.txt"));
	assert_false(watchmatch_excluded(g, "main.c"));
}

static void excluded_directory_excludes_below(void **state)
{
	(void)state;
	char *g[] = { ".git", "node_modules", NULL };
	assert_true(watchmatch_excluded(g, ".git"));
	assert_true(watchmatch_excluded(g, ".git/objects/ab/cdef"));
	assert_true(watchmatch_excluded(g, "web/node_modules/x/index.js"));
	assert_false(watchmatch_excluded(g, "gitignore"));
	assert_false(watchmatch_excluded(g, "src/git.c"));
}

static void slash_globs_match_the_relative_path(void **state)
{
	(void)state;
	char *g[] = { "build/tmp", "gen/*.c", NULL };
	assert_true(watchmatch_excluded(g, "build/tmp"));
	assert_true(watchmatch_excluded(g, "build/tmp/x/y.o"));
	assert_false(watchmatch_excluded(g, "build/out.o"));
	assert_false(watchmatch_excluded(g, "src/build/tmp")); /* anchored at the root */
	assert_true(watchmatch_excluded(g, "gen/a.c"));
	assert_false(watchmatch_excluded(g, "gen/sub/a.c")); /* a star crosses no '/' */
}

static void root_is_never_excluded(void **state)
{
	(void)state;
	char *g[] = { "*", NULL };
	assert_false(watchmatch_excluded(g, ""));
	assert_true(watchmatch_excluded(g, "anything"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(no_globs_excludes_nothing),
		cmocka_unit_test(basename_globs),
		cmocka_unit_test(excluded_directory_excludes_below),
		cmocka_unit_test(slash_globs_match_the_relative_path),
		cmocka_unit_test(root_is_never_excluded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
