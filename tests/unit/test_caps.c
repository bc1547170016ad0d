/* Unit tests for sandbox/caps.c */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox/caps.h"

static void test_parse(void **state)
{
	(void)state;
	uint64_t m = 0;
	char err[128] = "";
	assert_int_equal(caps_parse("CAP_NET_BIND_SERVICE", &m, err, sizeof err), 0);
	assert_int_equal(m, 1ull << CAP_NET_BIND_SERVICE);
	assert_int_equal(caps_parse("cap_chown, CAP_KILL\tcap_net_raw", &m, err, sizeof err), 0);
	assert_int_equal(m, 1ull << CAP_CHOWN | 1ull << CAP_KILL | 1ull << CAP_NET_RAW);
	assert_int_equal(caps_parse("none", &m, err, sizeof err), 0);
	assert_int_equal(m, 0);
	assert_int_equal(caps_parse(" NONE ", &m, err, sizeof err), 0);
	assert_int_equal(m, 0);
	m = 42;
	assert_int_equal(caps_parse("CAP_CHOWN CAP_BOGUS", &m, err, sizeof err), -EINVAL);
	assert_string_equal(err, "unknown capability 'CAP_BOGUS'");
	assert_int_equal(m, 42); /* untouched */
	assert_int_equal(caps_parse("0", &m, err, sizeof err), -EINVAL);
	assert_string_equal(err, "unknown capability '0'");
	assert_int_equal(caps_parse("none CAP_KILL", &m, err, sizeof err), -EINVAL);
	assert_string_equal(err, "none cannot be listed with capabilities");
	assert_int_equal(caps_parse(" , ", &m, err, sizeof err), -EINVAL);
	assert_string_equal(err, "expected capability names or none");
}

static void test_names(void **state)
{
	(void)state;
	char buf[256];
	assert_string_equal(caps_name(CAP_NET_BIND_SERVICE, buf, sizeof buf), "CAP_NET_BIND_SERVICE");
	assert_string_equal(caps_name(CAP_SYS_ADMIN, buf, sizeof buf), "CAP_SYS_ADMIN");
	caps_format(0, buf, sizeof buf);
	assert_string_equal(buf, "none");
	caps_format(1ull << CAP_CHOWN | 1ull << CAP_NET_BIND_SERVICE, buf, sizeof buf);
	assert_string_equal(buf, "CAP_CHOWN CAP_NET_BIND_SERVICE");
	/* every capability the kernel knows round-trips through its name */
	for (int i = 0; i < caps_count(); i++) {
		uint64_t m;
		char err[64];
		caps_name(i, buf, sizeof buf);
		assert_int_equal(caps_parse(buf, &m, err, sizeof err), 0);
		assert_int_equal(m, 1ull << i);
	}
	assert_true(caps_count() > CAP_SYS_ADMIN);
	assert_string_equal(caps_call_name(CAPS_BOUND), "drop from bounding set");
}

/* The caps of this process from /proc/self/status. */
static uint64_t status_caps(const char *key)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	uint64_t v = ~0ull;
	while (f && fgets(line, sizeof line, f))
		if (strncmp(line, key, strlen(key)) == 0 && line[strlen(key)] == ':')
			v = strtoull(line + strlen(key) + 1, NULL, 16);
	if (f)
		fclose(f);
	return v;
}

static int child_status(pid_t pid)
{
	int status;
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* capabilities = none, as root: nothing left anywhere. */
static void test_apply_none(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	struct caps c = { .set = true, .keep = 0 };
	assert_int_equal(caps_prepare(&c), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int failed = -1, cap = -1;
		if (caps_apply(&c, false, &failed, &cap) != 0)
			_exit(1);
		const char *keys[] = { "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb" };
		for (int i = 0; i < 5; i++)
			if (status_caps(keys[i]) != 0)
				_exit(10 + i);
		_exit(0);
	}
	assert_int_equal(child_status(pid), 0);
	caps_free(&c);
}

/* One capability kept by a non-root user: bounding set exactly it, and
 * ambient so that it survives exec. */
static void test_apply_kept_as_user(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	struct caps c = { .set = true, .keep = 1ull << CAP_NET_BIND_SERVICE };
	assert_int_equal(caps_prepare(&c), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int failed = -1, cap = -1;
		uint64_t want = 1ull << CAP_NET_BIND_SERVICE;
		if (prctl(PR_SET_KEEPCAPS, 1) < 0 || setresgid(65534, 65534, 65534) < 0 ||
		    setresuid(65534, 65534, 65534) < 0)
			_exit(2);
		if (caps_apply(&c, true, &failed, &cap) != 0)
			_exit(1);
		if (status_caps("CapBnd") != want)
			_exit(3);
		if (status_caps("CapPrm") != want || status_caps("CapEff") != want)
			_exit(4);
		if (status_caps("CapAmb") != want || status_caps("CapInh") != want)
			_exit(5);
		/* and it survives exec */
		execl("/bin/sh", "sh", "-c",
		      "grep -q '^CapEff:.0000000000000400$' /proc/self/status && "
		      "grep -q '^CapAmb:.0000000000000400$' /proc/self/status", (char *)NULL);
		_exit(6);
	}
	assert_int_equal(child_status(pid), 0);
	caps_free(&c);
}

/* Without the permitted set (no KEEPCAPS before the uid change), the first
 * step fails and says so. */
static void test_apply_failure(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	struct caps c = { .set = true, .keep = 1ull << CAP_CHOWN };
	assert_int_equal(caps_prepare(&c), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int failed = -1, cap = -1;
		if (setresuid(65534, 65534, 65534) < 0)
			_exit(2);
		int r = caps_apply(&c, true, &failed, &cap);
		_exit(r == -EPERM && failed == CAPS_RAISE ? 0 : 1);
	}
	assert_int_equal(child_status(pid), 0);
	caps_free(&c);
}

/* Not set: nothing is touched. */
static void test_apply_unset(void **state)
{
	(void)state;
	struct caps c = { 0 };
	int failed = -1, cap = -1;
	uint64_t before = status_caps("CapBnd");
	assert_int_equal(caps_apply(&c, true, &failed, &cap), 0);
	assert_int_equal(status_caps("CapBnd"), before);
	caps_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_apply_none),
		cmocka_unit_test(test_apply_kept_as_user),
		cmocka_unit_test(test_apply_failure),
		cmocka_unit_test(test_apply_unset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
