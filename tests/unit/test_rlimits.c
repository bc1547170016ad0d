/* Unit tests for sandbox/rlimits.c */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox/rlimits.h"

static void parse_ok(int i, const char *value, rlim_t cur, rlim_t max)
{
	struct rlimit l;
	char err[128] = "";
	int r = rlimits_parse(i, value, &l, err, sizeof err);
	if (r != 0)
		fail_msg("rlimits_parse(%s, '%s') = %d (%s)", rlimits_key_name(i), value, r, err);
	assert_int_equal(l.rlim_cur, cur);
	assert_int_equal(l.rlim_max, max);
}

static void parse_bad(int i, const char *value, int want, const char *msg)
{
	struct rlimit l = { 7, 7 };
	char err[128] = "";
	int r = rlimits_parse(i, value, &l, err, sizeof err);
	if (r != want)
		fail_msg("rlimits_parse(%s, '%s') = %d, expected %d", rlimits_key_name(i), value, r,
			 want);
	assert_string_equal(err, msg);
	assert_int_equal(l.rlim_cur, 7); /* untouched */
}

static void test_keys(void **state)
{
	(void)state;
	assert_int_equal(rlimits_key("rlimit_nofile"), RLIMITS_NOFILE);
	assert_int_equal(rlimits_key("rlimit_fsize"), RLIMITS_FSIZE);
	assert_int_equal(rlimits_key("rlimit_stack"), -1);
	assert_int_equal(rlimits_key("RLIMIT_NOFILE"), -1);
	for (int i = 0; i < RLIMITS_N; i++) {
		assert_int_equal(rlimits_key(rlimits_key_name(i)), i);
		assert_non_null(strstr(rlimits_name(i), "RLIMIT_"));
	}
	assert_string_equal(rlimits_name(RLIMITS_AS), "RLIMIT_AS");
	assert_string_equal(rlimits_name(99), "RLIMIT_?");
}

static void test_parse(void **state)
{
	(void)state;
	parse_ok(RLIMITS_NOFILE, "1024", 1024, 1024);
	parse_ok(RLIMITS_NOFILE, "1024:4096", 1024, 4096);
	parse_ok(RLIMITS_NOFILE, "0", 0, 0);
	parse_ok(RLIMITS_NPROC, "infinity", RLIM_INFINITY, RLIM_INFINITY);
	parse_ok(RLIMITS_NPROC, "unlimited", RLIM_INFINITY, RLIM_INFINITY);
	parse_ok(RLIMITS_NPROC, "10:infinity", 10, RLIM_INFINITY);
	parse_ok(RLIMITS_CORE, "0", 0, 0);
	parse_ok(RLIMITS_AS, "4G", 4ull << 30, 4ull << 30);
	parse_ok(RLIMITS_AS, "512m:1g", 512ull << 20, 1ull << 30);
	parse_ok(RLIMITS_FSIZE, "10K", 10240, 10240);
	parse_ok(RLIMITS_FSIZE, "2T", 2ull << 40, 2ull << 40);
	parse_ok(RLIMITS_CPU, "30:60", 30, 60);
}

static void test_parse_errors(void **state)
{
	(void)state;
	const char *count = "a number, SOFT:HARD or infinity";
	const char *bytes = "a size in bytes (K, M, G or T after it), SOFT:HARD or infinity";
	parse_bad(RLIMITS_NOFILE, "", -EINVAL, count);
	parse_bad(RLIMITS_NOFILE, "lots", -EINVAL, count);
	parse_bad(RLIMITS_NOFILE, "10K", -EINVAL, count);   /* units only for bytes */
	parse_bad(RLIMITS_NOFILE, "-1", -EINVAL, count);
	parse_bad(RLIMITS_NOFILE, "1:", -EINVAL, count);
	parse_bad(RLIMITS_NOFILE, ":1", -EINVAL, count);
	parse_bad(RLIMITS_NOFILE, "1:2:3", -EINVAL, count);
	parse_bad(RLIMITS_NOFILE, " 1", -EINVAL, count);
	parse_bad(RLIMITS_NOFILE, "99999999999999999999", -EINVAL, count);
	/* all ones is RLIM_INFINITY: spelled as a number it is refused */
	parse_bad(RLIMITS_NOFILE, "18446744073709551615", -EINVAL, count);
	parse_bad(RLIMITS_AS, "4Q", -EINVAL, bytes);
	parse_bad(RLIMITS_AS, "4GB", -EINVAL, bytes);
	parse_bad(RLIMITS_AS, "99999999999T", -EINVAL, bytes);
	parse_bad(RLIMITS_CPU, "1h", -EINVAL, "a number of seconds, SOFT:HARD or infinity");
	parse_bad(RLIMITS_NOFILE, "4096:1024", -ERANGE, "the soft limit is above the hard limit");
	parse_bad(RLIMITS_NOFILE, "infinity:1024", -ERANGE,
		  "the soft limit is above the hard limit");
}

static void format_is(int i, const char *value, const char *want)
{
	struct rlimit l;
	char err[128], buf[64];
	assert_int_equal(rlimits_parse(i, value, &l, err, sizeof err), 0);
	rlimits_format(i, &l, buf, sizeof buf);
	assert_string_equal(buf, want);
}

static void test_format(void **state)
{
	(void)state;
	format_is(RLIMITS_NOFILE, "1024", "1024");
	format_is(RLIMITS_NOFILE, "1024:2048", "1024:2048");
	format_is(RLIMITS_NOFILE, "unlimited", "infinity");
	format_is(RLIMITS_AS, "1048576", "1M");
	format_is(RLIMITS_AS, "1025", "1025");
	format_is(RLIMITS_AS, "3G:infinity", "3G:infinity");
	format_is(RLIMITS_CORE, "0", "0");
}

/* The limits really land, in a child (lowering needs no privilege). */
static void test_apply(void **state)
{
	(void)state;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimits r = { 0 };
		char err[64];
		int failed = -1;
		r.set[RLIMITS_CORE] = true;
		rlimits_parse(RLIMITS_CORE, "0", &r.lim[RLIMITS_CORE], err, sizeof err);
		r.set[RLIMITS_NOFILE] = true;
		rlimits_parse(RLIMITS_NOFILE, "64:128", &r.lim[RLIMITS_NOFILE], err, sizeof err);
		if (rlimits_apply(&r, &failed) != 0)
			_exit(1);
		struct rlimit got;
		getrlimit(RLIMIT_NOFILE, &got);
		if (got.rlim_cur != 64 || got.rlim_max != 128)
			_exit(2);
		getrlimit(RLIMIT_CORE, &got);
		if (got.rlim_cur != 0 || got.rlim_max != 0)
			_exit(3);
		/* above the hard limit: refused, and the index says which */
		struct rlimits up = { 0 };
		up.set[RLIMITS_NOFILE] = true;
		up.lim[RLIMITS_NOFILE] = (struct rlimit){ 256, 256 };
		if (geteuid() == 0)
			_exit(0); /* root may raise it (with CAP_SYS_RESOURCE) */
		if (rlimits_apply(&up, &failed) != -EPERM || failed != RLIMITS_NOFILE)
			_exit(4);
		_exit(0);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* A refused limit names itself. */
static void test_apply_failure(void **state)
{
	(void)state;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimits r = { 0 };
		int failed = -1;
		/* soft above hard: EINVAL from the kernel, whoever we are */
		r.set[RLIMITS_FSIZE] = true;
		r.lim[RLIMITS_FSIZE] = (struct rlimit){ 10, 5 };
		_exit(rlimits_apply(&r, &failed) == -EINVAL && failed == RLIMITS_FSIZE ? 0 : 1);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_apply),
		cmocka_unit_test(test_apply_failure),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
