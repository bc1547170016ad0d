/* Unit tests for supervisor/state.c: the operator's decisions on disk. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "supervisor/state.h"

static char base[64];

static int setup(void **state)
{
	(void)state;
	snprintf(base, sizeof base, "/tmp/corral-test-state.XXXXXX");
	return mkdtemp(base) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	state_free();
	char cmd[160];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
	return system(cmd) == 0 ? 0 : -1;
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void test_missing_dir_is_empty_and_made_at_first_write(void **state)
{
	(void)state;
	char dir[128], why[512];
	snprintf(dir, sizeof dir, "%s/a/b/corral", base);
	assert_int_equal(state_load(dir, why, sizeof why), 0);
	assert_false(state_disabled("web"));
	struct stat st;
	assert_int_equal(stat(dir, &st), -1); /* nothing written yet */

	const char *v[] = { "web", "db", "web" };
	assert_int_equal(state_set_disabled(v, 3, true, why, sizeof why), 0);
	assert_true(state_disabled("web"));
	assert_true(state_disabled("db"));
	assert_false(state_disabled("cache"));
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);

	/* read back by a fresh load, as a restarted corrald would */
	state_free();
	assert_int_equal(state_load(dir, why, sizeof why), 0);
	assert_true(state_disabled("web"));
	assert_true(state_disabled("db"));

	const char *e[] = { "web" };
	assert_int_equal(state_set_disabled(e, 1, false, why, sizeof why), 0);
	assert_false(state_disabled("web"));
	assert_true(state_disabled("db"));
	state_free();
	assert_int_equal(state_load(dir, why, sizeof why), 0);
	assert_false(state_disabled("web"));
	assert_true(state_disabled("db"));

	/* no temporary file left beside it */
	DIR *d = opendir(dir);
	assert_non_null(d);
	int files = 0;
	for (struct dirent *de; (de = readdir(d));)
		if (de->d_name[0] != '.' || strncmp(de->d_name, ".state.", 7) == 0)
			files++;
	closedir(d);
	assert_int_equal(files, 1);
}

static void test_corrupt_or_newer_file_is_reported_and_ignored(void **state)
{
	(void)state;
	char path[160], why[512];
	snprintf(path, sizeof path, "%s/state", base);

	write_text(path, "corral-state 1\ndisabled web\nbogus line\n");
	assert_int_equal(state_load(base, why, sizeof why), -EINVAL);
	assert_non_null(strstr(why, path));
	assert_non_null(strstr(why, ":3: not understood"));
	assert_false(state_disabled("web")); /* nothing half read */

	write_text(path, "# a comment\ncorral-state 2\ndisabled web\n");
	assert_int_equal(state_load(base, why, sizeof why), -EINVAL);
	assert_non_null(strstr(why, "version 2"));
	assert_false(state_disabled("web"));

	write_text(path, "\x7f" "ELF garbage\n");
	assert_int_equal(state_load(base, why, sizeof why), -EINVAL);
	assert_non_null(strstr(why, "not a corral state file"));

	write_text(path, "");
	assert_int_equal(state_load(base, why, sizeof why), 0);

	write_text(path, "corral-state 1\n\n# note\ndisabled api\n");
	assert_int_equal(state_load(base, why, sizeof why), 0);
	assert_true(state_disabled("api"));
}

/* corralctl scale's numbers: kept beside the disabled programs, read back,
 * the last line for a name counting; --reset (0) drops it; bad lines make
 * the file ignored whole. */
static void test_scale(void **state)
{
	(void)state;
	char dir[128], path[160], why[512];
	snprintf(dir, sizeof dir, "%s/s", base);
	snprintf(path, sizeof path, "%s/state", dir);
	assert_int_equal(state_load(dir, why, sizeof why), 0);
	assert_int_equal(state_scale("web"), 0);
	assert_int_equal(state_set_scale("web", 8, why, sizeof why), 0);
	const char *v[] = { "db" };
	assert_int_equal(state_set_disabled(v, 1, true, why, sizeof why), 0);
	assert_int_equal(state_set_scale("api", 3, why, sizeof why), 0);
	assert_int_equal(state_set_scale("web", 2, why, sizeof why), 0);
	assert_int_equal(state_load(dir, why, sizeof why), 0);
	assert_int_equal(state_scale("web"), 2);
	assert_int_equal(state_scale("api"), 3);
	assert_int_equal(state_scale("we"), 0);
	assert_true(state_disabled("db"));
	assert_int_equal(state_set_scale("web", 0, why, sizeof why), 0);
	assert_int_equal(state_load(dir, why, sizeof why), 0);
	assert_int_equal(state_scale("web"), 0);
	assert_int_equal(state_scale("api"), 3);
	assert_int_equal(state_set_scale("web", STATE_SCALE_MAX + 1, why, sizeof why), -EINVAL);
	assert_int_equal(state_set_scale("a b", 2, why, sizeof why), -EINVAL);

	write_text(path, "corral-state 1\nscale web 4\nscale web 5\n");
	assert_int_equal(state_load(dir, why, sizeof why), 0);
	assert_int_equal(state_scale("web"), 5);
	const char *bad[] = { "scale web 0\n", "scale web x\n", "scale web\n", "scale web -3\n",
			      "scale  web 3\n", "scale web 1001\n" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char text[64];
		snprintf(text, sizeof text, "corral-state 1\n%s", bad[i]);
		write_text(path, text);
		assert_int_equal(state_load(dir, why, sizeof why), -EINVAL);
		assert_non_null(strstr(why, "not understood"));
		assert_int_equal(state_scale("web"), 0);
	}
}

static void test_failed_write_changes_nothing(void **state)
{
	(void)state;
	char dir[128], why[512];
	snprintf(dir, sizeof dir, "%s/ro", base);
	assert_int_equal(state_load(dir, why, sizeof why), 0);
	const char *v[] = { "web" };
	assert_int_equal(state_set_disabled(v, 1, true, why, sizeof why), 0);
	if (geteuid() == 0) {
		/* root writes anywhere: a file where the directory should be */
		char cmd[512];
		snprintf(cmd, sizeof cmd, "rm -rf '%s' && touch '%s'", dir, dir);
		assert_int_equal(system(cmd), 0);
	} else {
		assert_int_equal(chmod(dir, 0500), 0);
	}
	const char *w[] = { "db" };
	assert_true(state_set_disabled(w, 1, true, why, sizeof why) < 0);
	assert_non_null(strstr(why, dir));
	assert_false(state_disabled("db"));
	assert_true(state_disabled("web"));
	const char *bad[] = { "two words" };
	chmod(dir, 0700);
	assert_int_equal(state_set_disabled(bad, 1, true, why, sizeof why), -EINVAL);
	assert_false(state_disabled("two words"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_missing_dir_is_empty_and_made_at_first_write,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_or_newer_file_is_reported_and_ignored,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_write_changes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scale, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
