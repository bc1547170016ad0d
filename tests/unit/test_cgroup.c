/* Unit tests for the pure parts of supervisor/cgroup.c: finding corrald's
 * own cgroup from mountinfo and /proc/self/cgroup, and reading
 * cgroup.events. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <errno.h>
#include <cmocka.h>

#include "supervisor/cgroup.h"
#include "supervisor/cgroup1.h"

static char dir[] = "/tmp/corral-test-cgroup-XXXXXX";
static char mi[64 + sizeof dir], cg[64 + sizeof dir];

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(mi, sizeof mi, "%s/mountinfo", dir);
	snprintf(cg, sizeof cg, "%s/cgroup", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(mi);
	unlink(cg);
	return rmdir(dir);
}

/* A hybrid layout like this machine's: v1 controllers and v2 at .../unified. */
static const char hybrid[] =
	"31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
	"35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
	"41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

static void test_root_cgroup(void **state)
{
	(void)state;
	char root[256], err[256];
	put(mi, hybrid);
	put(cg, "4:memory:/some/where\n0::/\n");
	assert_int_equal(cgroup_find_own(mi, cg, root, sizeof root, err, sizeof err), 0);
	assert_string_equal(root, "/sys/fs/cgroup/unified");
}

static void test_nested_cgroup_and_escaped_mount(void **state)
{
	(void)state;
	char root[256], err[256];
	/* mountinfo writes a blank in a path as \040. */
	put(mi, "29 1 0:26 / /sys/fs/my\\040cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n");
	put(cg, "0::/system.slice/corrald.service\n");
	assert_int_equal(cgroup_find_own(mi, cg, root, sizeof root, err, sizeof err), 0);
	assert_string_equal(root, "/sys/fs/my cgroup/system.slice/corrald.service");
}

static void test_no_cgroup2(void **state)
{
	(void)state;
	char root[256], err[256] = "";
	put(mi, "31 23 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n"
		"35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n");
	put(cg, "4:memory:/\n");
	assert_int_equal(cgroup_find_own(mi, cg, root, sizeof root, err, sizeof err), -ENOENT);
	assert_non_null(strstr(err, "no cgroup2"));

	/* Mounted, but this process has no v2 line. */
	put(mi, hybrid);
	put(cg, "4:memory:/\n");
	assert_int_equal(cgroup_find_own(mi, cg, root, sizeof root, err, sizeof err), -ENOENT);
	assert_non_null(strstr(err, "no cgroup v2 entry"));

	/* Our own cgroup was removed under us. */
	put(cg, "0::/gone (deleted)\n");
	assert_int_equal(cgroup_find_own(mi, cg, root, sizeof root, err, sizeof err), -ENOENT);
	assert_non_null(strstr(err, "removed"));

	/* Unreadable files say which. */
	assert_true(cgroup_find_own("/nonexistent/mountinfo", cg, root, sizeof root, err,
				    sizeof err) == -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/mountinfo"));
}

static void test_too_long(void **state)
{
	(void)state;
	char root[24], err[256];
	put(mi, hybrid);
	put(cg, "0::/a/rather/long/path/indeed\n");
	assert_int_equal(cgroup_find_own(mi, cg, root, sizeof root, err, sizeof err), -ENAMETOOLONG);
}

/* cgroup v1: the hierarchy of a controller, and corrald's cgroup in it. */
static void test_find_v1(void **state)
{
	(void)state;
	char d[256];
	put(mi, "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\n"
		"35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
		"39 31 0:36 /lxc/box /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
		"41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n");
	put(cg, "8:pids:/lxc/box/inner\n4:memory:/process_api/f46\n1:cpu,cpuacct:/\n0::/\n");
	assert_int_equal(cgroup1_find(mi, cg, "memory", d, sizeof d), 0);
	assert_string_equal(d, "/sys/fs/cgroup/memory/process_api/f46");
	/* two controllers on one hierarchy; corrald at its root */
	assert_int_equal(cgroup1_find(mi, cg, "cpu", d, sizeof d), 0);
	assert_string_equal(d, "/sys/fs/cgroup/cpu,cpuacct");
	assert_int_equal(cgroup1_find(mi, cg, "cpuacct", d, sizeof d), 0);
	assert_string_equal(d, "/sys/fs/cgroup/cpu,cpuacct");
	/* a container's mount whose root is its own cgroup: the path below it */
	assert_int_equal(cgroup1_find(mi, cg, "pids", d, sizeof d), 0);
	assert_string_equal(d, "/sys/fs/cgroup/pids/inner");
	/* a controller no v1 hierarchy holds, and a word that only starts one */
	assert_int_equal(cgroup1_find(mi, cg, "blkio", d, sizeof d), -ENOENT);
	assert_int_equal(cgroup1_find(mi, cg, "mem", d, sizeof d), -ENOENT);
	/* mounted, but corrald is in none of its cgroups */
	put(cg, "0::/\n");
	assert_int_equal(cgroup1_find(mi, cg, "memory", d, sizeof d), -ENOENT);
}

/* cpu.stat's usage_usec, on whichever line it is. */
static void test_parse_key(void **state)
{
	(void)state;
	const char *stat = "usage_usec 5436\nuser_usec 3000\nsystem_usec 2436\n";
	assert_int_equal(cgroup_parse_key(stat, "usage_usec"), 5436);
	assert_int_equal(cgroup_parse_key(stat, "system_usec"), 2436);
	assert_int_equal(cgroup_parse_key(stat, "usage"), -1);    /* a prefix is not the key */
	assert_int_equal(cgroup_parse_key(stat, "nr_periods"), -1);
	assert_int_equal(cgroup_parse_key("usage_usec x\n", "usage_usec"), -1);
	assert_int_equal(cgroup_parse_key("", "usage_usec"), -1);
}

static void test_parse_populated(void **state)
{
	(void)state;
	assert_int_equal(cgroup_parse_populated("populated 1\nfrozen 0\n"), 1);
	assert_int_equal(cgroup_parse_populated("populated 0\nfrozen 0\n"), 0);
	assert_int_equal(cgroup_parse_populated("frozen 1\npopulated 0\n"), 0);
	/* Only a whole key counts. */
	assert_int_equal(cgroup_parse_populated("xpopulated 1\n"), -EINVAL);
	assert_int_equal(cgroup_parse_populated("populated x\n"), -EINVAL);
	assert_int_equal(cgroup_parse_populated(""), -EINVAL);
}

/* Without an open scope, every leaf operation refuses instead of touching
 * some other cgroup. */
static void test_no_scope(void **state)
{
	(void)state;
	assert_null(cgroup_scope_path());
	assert_int_equal(cgroup_leaf_open("x"), -ENODEV);
	assert_int_equal(cgroup_leaf_kill("x"), -ENODEV);
	assert_int_equal(cgroup_leaf_signal("x", 15), -ENODEV);
	assert_int_equal(cgroup_leaf_count("x"), -ENODEV);
	assert_int_equal(cgroup_leaf_events("x"), -ENODEV);
	assert_int_equal(cgroup_leaf_remove("x"), 0);
	assert_int_equal(cgroup_scope_close(1000), 0);
}

/* A scope in a plain directory, with the files cgroup_scope_open() reads:
 * enough to see what the leaf operations would touch. */
static void test_leaf_outside_scope_refused(void **state)
{
	(void)state;
	char scope[sizeof dir + 16], other[sizeof dir + 16], f[sizeof dir + 64], err[512];
	snprintf(scope, sizeof scope, "%s/scope", dir);
	snprintf(other, sizeof other, "%s/other", dir);
	assert_int_equal(mkdir(scope, 0700), 0);
	assert_int_equal(mkdir(other, 0700), 0);
	const char *files[] = { "cgroup.kill", "cgroup.procs", "cgroup.events" };
	for (size_t i = 0; i < 3; i++) {
		snprintf(f, sizeof f, "%s/%s", scope, files[i]);
		put(f, i == 2 ? "populated 0\n" : "");
	}
	int procs, leaves;
	/* the scope's own name is checked as well */
	assert_int_equal(cgroup_scope_open(dir, "..", 0, &procs, &leaves, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "not one path component"));
	assert_null(cgroup_scope_path());
	assert_int_equal(cgroup_scope_open(dir, "scope", 0, &procs, &leaves, err, sizeof err), 0);

	const char *bad[] = { "..", ".", "", "../other", "a/b" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(cgroup_leaf_open(bad[i]), -EINVAL);
		assert_int_equal(cgroup_leaf_kill(bad[i]), -EINVAL);
		assert_int_equal(cgroup_leaf_signal(bad[i], 0), -EINVAL);
		assert_int_equal(cgroup_leaf_count(bad[i]), -EINVAL);
		assert_int_equal(cgroup_leaf_events(bad[i]), -EINVAL);
		/* remove_tree() on ".." would rmdir the scope's siblings */
		assert_int_equal(cgroup_leaf_remove(bad[i]), -EINVAL);
	}
	struct stat st;
	assert_int_equal(stat(other, &st), 0);

	int fd = cgroup_leaf_open("web");
	assert_true(fd >= 0);
	close(fd);
	snprintf(f, sizeof f, "%s/web", scope);
	assert_int_equal(stat(f, &st), 0);
	assert_int_equal(cgroup_leaf_remove("web"), 0);
	assert_int_equal(cgroup_scope_close(0), 0);
	for (size_t i = 0; i < 3; i++) {
		snprintf(f, sizeof f, "%s/%s", scope, files[i]);
		unlink(f);
	}
	assert_int_equal(rmdir(scope), 0);
	assert_int_equal(rmdir(other), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_root_cgroup),
		cmocka_unit_test(test_nested_cgroup_and_escaped_mount),
		cmocka_unit_test(test_no_cgroup2),
		cmocka_unit_test(test_too_long),
		cmocka_unit_test(test_find_v1),
		cmocka_unit_test(test_parse_key),
		cmocka_unit_test(test_parse_populated),
		cmocka_unit_test(test_no_scope),
		cmocka_unit_test(test_leaf_outside_scope_refused),
	};
	return cmocka_run_group_tests_name("cgroup", tests, setup, teardown);
}
