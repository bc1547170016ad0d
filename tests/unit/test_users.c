/* Unit tests for sandbox/users.c (they read this machine's passwd and group
 * databases: root and nobody exist everywhere corral runs). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox/users.h"

static struct passwd *nobody(void)
{
	struct passwd *pw = getpwnam("nobody");
	if (!pw)
		skip();
	return pw;
}

static void test_user_by_name(void **state)
{
	(void)state;
	struct passwd pw = *nobody();
	struct users u = { 0 };
	char err[128] = "";
	assert_int_equal(users_set_user(&u, "nobody", err, sizeof err), 0);
	assert_true(u.has_user);
	assert_int_equal(u.uid, pw.pw_uid);
	assert_int_equal(u.gid, pw.pw_gid);
	assert_string_equal(u.user_name, "nobody");
	assert_true(users_active(&u));
	/* the user's own groups, from the group database, primary included */
	assert_int_equal(users_finish(&u, err, sizeof err), 0);
	assert_true(u.ngroups >= 1);
	bool primary = false;
	for (size_t i = 0; i < u.ngroups; i++)
		primary |= u.groups[i] == pw.pw_gid;
	assert_true(primary);
	users_free(&u);
}

static void test_user_by_number(void **state)
{
	(void)state;
	struct users u = { 0 };
	char err[128] = "";
	/* uid 0 has an entry: it brings its name and group */
	assert_int_equal(users_set_user(&u, "0", err, sizeof err), 0);
	assert_int_equal(u.uid, 0);
	assert_int_equal(u.gid, 0);
	assert_string_equal(u.user_name, "root");
	assert_int_equal(users_finish(&u, err, sizeof err), 0);
	users_free(&u);

	/* a uid without an entry is fine, but it has no group of its own */
	assert_int_equal(users_set_user(&u, "4000123", err, sizeof err), 0);
	assert_int_equal(u.uid, 4000123);
	assert_int_equal(users_finish(&u, err, sizeof err), -EINVAL);
	assert_string_equal(err, "user 4000123 has no passwd entry: set group too");
	assert_int_equal(users_set_group(&u, "4000123", err, sizeof err), 0);
	assert_int_equal(users_finish(&u, err, sizeof err), 0);
	assert_int_equal(u.gid, 4000123);
	assert_int_equal(u.ngroups, 0);
	users_free(&u);
}

static void test_unknown(void **state)
{
	(void)state;
	struct users u = { 0 };
	char err[128] = "";
	assert_int_equal(users_set_user(&u, "no-such-user-corral", err, sizeof err), -EINVAL);
	assert_string_equal(err, "unknown user 'no-such-user-corral'");
	assert_false(u.has_user);
	assert_int_equal(users_set_group(&u, "no-such-group-corral", err, sizeof err), -EINVAL);
	assert_string_equal(err, "unknown group 'no-such-group-corral'");
	assert_int_equal(users_set_groups(&u, "root no-such-group-corral", err, sizeof err),
			 -EINVAL);
	assert_string_equal(err, "unknown group 'no-such-group-corral'");
	assert_false(u.has_groups);
	/* -1 means "unchanged" to setresuid: never an id */
	assert_int_equal(users_set_user(&u, "4294967295", err, sizeof err), -EINVAL);
	assert_false(users_active(&u));
	users_free(&u);
}

static void test_group_order(void **state)
{
	(void)state;
	struct passwd pw = *nobody();
	struct users u = { 0 };
	char err[128];
	/* group wins over the user's primary group, whichever comes first */
	assert_int_equal(users_set_group(&u, "0", err, sizeof err), 0);
	assert_int_equal(users_set_user(&u, "nobody", err, sizeof err), 0);
	assert_int_equal(u.gid, 0);
	users_free(&u);
	assert_int_equal(users_set_user(&u, "nobody", err, sizeof err), 0);
	assert_int_equal(u.gid, pw.pw_gid);
	assert_int_equal(users_set_group(&u, "root", err, sizeof err), 0);
	assert_int_equal(u.gid, 0);
	users_free(&u);
}

static void test_supplementary(void **state)
{
	(void)state;
	struct users u = { 0 };
	char err[128];
	assert_int_equal(users_set_groups(&u, "root, 4000123  0", err, sizeof err), 0);
	assert_true(u.has_groups);
	assert_int_equal(u.ngroups, 3);
	assert_int_equal(u.groups[0], 0);
	assert_int_equal(u.groups[1], 4000123);
	assert_int_equal(u.groups[2], 0);
	/* given explicitly: users_finish leaves them alone */
	assert_int_equal(users_set_user(&u, "nobody", err, sizeof err), 0);
	assert_int_equal(users_finish(&u, err, sizeof err), 0);
	assert_int_equal(u.ngroups, 3);
	assert_int_equal(users_set_groups(&u, "none", err, sizeof err), 0);
	assert_int_equal(u.ngroups, 0);
	assert_null(u.groups);
	assert_int_equal(users_set_groups(&u, " , ", err, sizeof err), -EINVAL);
	assert_string_equal(err, "expected group names or none");
	users_free(&u);
}

static void test_equal(void **state)
{
	(void)state;
	struct users a = { 0 }, b = { 0 };
	char err[128];
	assert_true(users_equal(&a, &b));
	users_set_user(&a, "nobody", err, sizeof err);
	assert_false(users_equal(&a, &b));
	users_set_user(&b, "nobody", err, sizeof err);
	assert_true(users_equal(&a, &b));
	users_set_groups(&a, "root", err, sizeof err);
	users_set_groups(&b, "0", err, sizeof err);
	assert_true(users_equal(&a, &b));
	users_set_groups(&b, "0 0", err, sizeof err);
	assert_false(users_equal(&a, &b));
	users_free(&a);
	users_free(&b);
}

/* Really switch, in a child: needs root. */
static void test_apply(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	struct passwd pw = *nobody();
	struct users u = { 0 };
	char err[128];
	assert_int_equal(users_set_user(&u, "nobody", err, sizeof err), 0);
	assert_int_equal(users_set_groups(&u, "0 4000123", err, sizeof err), 0);
	assert_int_equal(users_finish(&u, err, sizeof err), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int failed = -1;
		if (users_apply(&u, false, true, &failed) != 0)
			_exit(1);
		uid_t r, e, s;
		gid_t rg, eg, sg, groups[8];
		getresuid(&r, &e, &s);
		getresgid(&rg, &eg, &sg);
		if (r != pw.pw_uid || e != pw.pw_uid || s != pw.pw_uid)
			_exit(2);
		if (rg != pw.pw_gid || eg != pw.pw_gid || sg != pw.pw_gid)
			_exit(3);
		int n = getgroups(8, groups);
		if (n != 2 || groups[0] != 0 || groups[1] != 4000123)
			_exit(4);
		if (prctl(PR_GET_DUMPABLE) != 1)
			_exit(5);
		/* and there is no way back */
		if (setresuid(0, 0, 0) == 0)
			_exit(6);
		_exit(0);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	users_free(&u);
}

/* A failing call is named. */
static void test_apply_failure(void **state)
{
	(void)state;
	struct users u = { 0 };
	char err[128];
	assert_int_equal(users_set_groups(&u, "0", err, sizeof err), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int failed = -1;
		/* as root nothing here fails: become nobody first */
		if (geteuid() == 0 && setresuid(65534, 65534, 65534) < 0)
			_exit(2);
		_exit(users_apply(&u, false, false, &failed) == -EPERM && failed == USERS_SETGROUPS
			      ? 0 : 1);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(WEXITSTATUS(status), 0);
	users_free(&u);
}

static void test_call_names(void **state)
{
	(void)state;
	assert_string_equal(users_call_name(USERS_SETGROUPS), "setgroups");
	assert_string_equal(users_call_name(USERS_SETGID), "setresgid");
	assert_string_equal(users_call_name(USERS_SETUID), "setresuid");
	assert_string_equal(users_call_name(42), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_user_by_name),
		cmocka_unit_test(test_user_by_number),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_group_order),
		cmocka_unit_test(test_supplementary),
		cmocka_unit_test(test_equal),
		cmocka_unit_test(test_apply),
		cmocka_unit_test(test_apply_failure),
		cmocka_unit_test(test_call_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
