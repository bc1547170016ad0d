/* Unit tests for the sandbox keys as supervisor/config.c reads them: every
 * bad value is an error with its file, line and section, in the config's
 * own format. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pwd.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor/config.h"

#include "tests/unit/config_load.h"

#define PROG "[program:a]\ncommand = /bin/true\n"

/* Each of the sandbox's keys is a key of [program:x], and none is set by
 * default but no_new_privs. */
static void test_keys_known(void **state)
{
	(void)state;
	struct program_config *p = load_prog(PROG);
	assert_true(p->sandbox.no_new_privs);
	assert_false(p->sandbox.users.has_user);
	assert_false(p->sandbox.caps.set);
	assert_false(p->sandbox.filter.set);
	assert_int_equal(p->sandbox.ns, 0);
	assert_int_equal(p->sandbox.mounts.n, 0);
	for (const char *const *k = sandbox_keys; *k; k++) {
		char text[256];
		snprintf(text, sizeof text, PROG "%s = ???\n", *k);
		config_free(&cfg);
		config_errors_free(&errs);
		(void)config_load_string("t.conf", text, &cfg, &errs);
		for (size_t i = 0; i < errs.n; i++)
			if (strstr(errs.msgs[i], "unknown key"))
				fail_msg("%s: %s", *k, errs.msgs[i]);
		if (!errs.n)
			fail_msg("%s = ??? was accepted", *k);
	}
}

static void test_users(void **state)
{
	(void)state;
	struct passwd *pw = getpwnam("nobody");
	if (!pw)
		skip();
	uid_t uid = pw->pw_uid;
	struct program_config *p = load_prog(PROG "user = nobody\nsupplementary_groups = root\n");
	assert_true(p->sandbox.users.has_user);
	assert_int_equal(p->sandbox.users.uid, uid);
	assert_int_equal(p->sandbox.users.ngroups, 1);
	assert_int_equal(p->sandbox.users.groups[0], 0);
	p = load_prog(PROG "group = root\n");
	assert_false(p->sandbox.users.has_user);
	assert_true(p->sandbox.users.has_group);
	expect_errors(PROG "user = nosuchuser-corral\ngroup = nosuchgroup-corral\n"
			   "supplementary_groups = root,nosuchgroup-corral\n",
		      "t.conf:3: [program:a]: unknown user 'nosuchuser-corral'",
		      "t.conf:4: [program:a]: unknown group 'nosuchgroup-corral'",
		      "t.conf:5: [program:a]: unknown group 'nosuchgroup-corral'", NULL);
	expect_errors(PROG "user =\n",
		      "t.conf:3: [program:a]: bad value for user: '' (expected a value)", NULL);
	expect_errors(PROG "supplementary_groups =\n",
		      "t.conf:3: [program:a]: bad value for supplementary_groups: '' "
		      "(expected group names or none)", NULL);
	/* a bare uid needs a group; the error is the section's */
	expect_errors(PROG "user = 4000123\n",
		      "t.conf:1: [program:a]: user 4000123 has no passwd entry: set group too", NULL);
}

static void test_no_new_privs(void **state)
{
	(void)state;
	assert_false(load_prog(PROG "no_new_privs = false\n")->sandbox.no_new_privs);
	assert_true(load_prog(PROG "no_new_privs = yes\n")->sandbox.no_new_privs);
	expect_errors(PROG "no_new_privs = maybe\n",
		      "t.conf:3: [program:a]: bad value for no_new_privs: 'maybe' "
		      "(expected true or false)", NULL);
}

static void test_rlimits(void **state)
{
	(void)state;
	struct program_config *p = load_prog(PROG "rlimit_nofile = 100:200\nrlimit_core = 0\n"
					     "rlimit_as = 1G\n");
	const struct rlimits *r = &p->sandbox.rlimits;
	assert_true(r->set[RLIMITS_NOFILE]);
	assert_int_equal(r->lim[RLIMITS_NOFILE].rlim_cur, 100);
	assert_int_equal(r->lim[RLIMITS_NOFILE].rlim_max, 200);
	assert_int_equal(r->lim[RLIMITS_AS].rlim_max, 1 << 30);
	assert_false(r->set[RLIMITS_CPU]);
	expect_errors(PROG "rlimit_nofile = many\nrlimit_as = 4X\nrlimit_cpu = 20:10\n",
		      "t.conf:3: [program:a]: bad value for rlimit_nofile: 'many' "
		      "(expected a number, SOFT:HARD or infinity)",
		      "t.conf:4: [program:a]: bad value for rlimit_as: '4X' "
		      "(expected a size in bytes (K, M, G or T after it), SOFT:HARD or infinity)",
		      "t.conf:5: [program:a]: rlimit_cpu: the soft limit is above the hard limit",
		      NULL);
}

static void test_capabilities(void **state)
{
	(void)state;
	struct program_config *p = load_prog(PROG "capabilities = CAP_NET_BIND_SERVICE cap_chown\n");
	assert_true(p->sandbox.caps.set);
	assert_int_equal(p->sandbox.caps.keep, (1ull << CAP_NET_BIND_SERVICE) | (1ull << CAP_CHOWN));
	p = load_prog(PROG "capabilities = none\n");
	assert_true(p->sandbox.caps.set);
	assert_int_equal(p->sandbox.caps.keep, 0);
	expect_errors(PROG "capabilities = CAP_NET_BIND_SERVICE CAP_FLY\n",
		      "t.conf:3: [program:a]: unknown capability 'CAP_FLY'", NULL);
	expect_errors(PROG "capabilities = none CAP_CHOWN\n",
		      "t.conf:3: [program:a]: none cannot be listed with capabilities", NULL);
}

static void test_seccomp(void **state)
{
	(void)state;
	struct program_config *p = load_prog(PROG "seccomp = @system-service ~@debug\n"
					     "seccomp_action = errno:EPERM\n");
	assert_true(p->sandbox.filter.set);
	assert_true(p->sandbox.filter.allow_list);
	assert_true(p->sandbox.filter.nprogs >= 1); /* compiled at load */
	expect_errors(PROG "seccomp = @system-service foo\n",
		      "t.conf:3: [program:a]: unknown system call 'foo' in seccomp", NULL);
	expect_errors(PROG "seccomp = @system-service ~@nope\n",
		      "t.conf:3: [program:a]: unknown system call group '@nope' in seccomp", NULL);
	expect_errors(PROG "seccomp = read ~\n",
		      "t.conf:3: [program:a]: '~' without a system call in seccomp", NULL);
	expect_errors(PROG "seccomp = @basic-io\nseccomp_action = explode\n",
		      "t.conf:4: [program:a]: bad value for seccomp_action: 'explode' "
		      "(expected kill, log or errno:NAME)", NULL);
	expect_errors(PROG "seccomp_action = kill\n",
		      "t.conf:1: [program:a]: seccomp_action needs seccomp", NULL);
	expect_errors(PROG "user = nobody\nseccomp = @basic-io\nno_new_privs = false\n",
		      "t.conf:1: [program:a]: seccomp needs no_new_privs = true when the worker "
		      "does not keep CAP_SYS_ADMIN", NULL);
	expect_errors(PROG "address_families = AF_INET AF_MARTIAN\n",
		      "t.conf:3: [program:a]: unknown address family 'AF_MARTIAN' in "
		      "address_families", NULL);
}

static void test_namespaces_and_mounts(void **state)
{
	(void)state;
	struct program_config *p = load_prog(PROG "namespaces = pid net\n");
	assert_int_equal(p->sandbox.namespaces, NS_PID | NS_NET);
	assert_int_equal(p->sandbox.ns, NS_PID | NS_NET | NS_MOUNT); /* /proc needs mount */
	assert_int_equal(sandbox_clone_flags(&p->sandbox), CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWNS);
	p = load_prog(PROG "read_only_paths = /etc -/nope\nbind_paths = /srv:/mnt:ro\n"
			   "inaccessible_paths = /root\nprivate_tmp = yes\n");
	assert_int_equal(p->sandbox.ns, NS_MOUNT);
	assert_int_equal(p->sandbox.mounts.n, 4);
	assert_int_equal(p->sandbox.mounts.v[0].kind, MOUNT_BIND); /* binds first */
	expect_errors(PROG "namespaces = pid time\n",
		      "t.conf:3: [program:a]: unknown namespace 'time' (expected pid, net, ipc, uts, "
		      "mount, user or cgroup)", NULL);
	expect_errors(PROG "namespaces = user\n",
		      "t.conf:1: [program:a]: namespaces = user needs user = a user other than root "
		      "(the uid the worker is mapped to)", NULL);
	expect_errors(PROG "read_only_paths = etc\n",
		      "t.conf:3: [program:a]: read_only_paths: 'etc' is not an absolute path "
		      "(without . or ..)", NULL);
	expect_errors(PROG "bind_paths = /a:/b:rx\n",
		      "t.conf:3: [program:a]: bind_paths: '/a:/b:rx': expected SRC:DST:ro or :rw",
		      NULL);
	expect_errors(PROG "inaccessible_paths = /srv/../etc\n",
		      "t.conf:3: [program:a]: inaccessible_paths: '/srv/../etc' is not an absolute "
		      "path (without . or ..)", NULL);
}

static void test_limits(void **state)
{
	(void)state;
	struct program_config *p = load_prog(PROG "memory_max = 256M\npids_max = 100\n"
					     "cpu_max = 50%\nstrict_limits = true\n");
	assert_string_equal(p->sandbox.limits.value[LIMITS_MEMORY], "268435456");
	assert_string_equal(p->sandbox.limits.value[LIMITS_PIDS], "100");
	assert_string_equal(p->sandbox.limits.value[LIMITS_CPU], "50000 100000");
	assert_true(p->sandbox.strict_limits);
	expect_errors(PROG "memory_max = lots\npids_max = 0\ncpu_max = 50\n",
		      "t.conf:3: [program:a]: bad value for memory_max: 'lots' "
		      "(expected a size in bytes (K, M, G or T after it) or max)",
		      "t.conf:4: [program:a]: bad value for pids_max: '0' "
		      "(expected a number of processes or max)",
		      "t.conf:5: [program:a]: bad value for cpu_max: '50' "
		      "(expected a share of one CPU (\"50%\"), QUOTA PERIOD in microseconds, or max)",
		      NULL);
}

/* A reload restarts a program whose sandbox changed, and only then. */
static void test_equal(void **state)
{
	(void)state;
	const char *a = PROG "user = nobody\nseccomp = @system-service\ncapabilities = none\n";
	const char *b = PROG "capabilities = none\nseccomp = @system-service\nuser = nobody\n";
	struct corral_config c1, c2;
	struct config_errors e = { 0 };
	assert_int_equal(config_load_string("t.conf", a, &c1, &e), 0);
	assert_int_equal(config_load_string("u.conf", b, &c2, &e), 0);
	assert_true(program_config_equal(&c1.programs[0], &c2.programs[0]));
	config_free(&c2);
	assert_int_equal(config_load_string("u.conf", PROG "user = nobody\n"
						      "seccomp = @system-service ~ptrace\n"
						      "capabilities = none\n", &c2, &e), 0);
	assert_false(program_config_equal(&c1.programs[0], &c2.programs[0]));
	config_free(&c2);
	config_free(&c1);
	config_errors_free(&e);
}

int main(void)
{
#define T(f) cmocka_unit_test_teardown(f, teardown)
	const struct CMUnitTest tests[] = {
		T(test_keys_known),
		T(test_users),
		T(test_no_new_privs),
		T(test_rlimits),
		T(test_capabilities),
		T(test_seccomp),
		T(test_namespaces_and_mounts),
		T(test_limits),
		T(test_equal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
