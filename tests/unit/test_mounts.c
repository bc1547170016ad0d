/* Unit tests for sandbox/mounts.c */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox/mounts.h"

static struct mounts m;
static char tmp[64];

static int teardown(void **state)
{
	mounts_free(&m);
	return 0;
}

static void test_paths(void **state)
{
	(void)state;
	char err[160];
	assert_int_equal(mounts_add_paths(&m, MOUNT_READ_ONLY, "/etc  /usr\t-/opt/x", err, sizeof err), 0);
	assert_int_equal(m.n, 3);
	assert_string_equal(m.v[0].path, "/etc");
	assert_false(m.v[0].optional);
	assert_string_equal(m.v[2].path, "/opt/x");
	assert_true(m.v[2].optional);
	assert_int_equal(m.v[1].kind, MOUNT_READ_ONLY);
	assert_true(mounts_active(&m, false));
	const char *bad[] = { "etc", "/a/../b", "/a/./b", "/..", "-", "-rel" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(mounts_add_paths(&m, MOUNT_INACCESSIBLE, bad[i], err, sizeof err),
				 -EINVAL);
		assert_non_null(strstr(err, "inaccessible_paths: '"));
		assert_non_null(strstr(err, "is not an absolute path (without . or ..)"));
	}
	assert_int_equal(m.n, 3);
	assert_int_equal(mounts_add_paths(&m, MOUNT_READ_ONLY, " ", err, sizeof err), -EINVAL);
	assert_string_equal(err, "read_only_paths: expected absolute paths");
	/* "..." and "a..b" are names, not parents */
	assert_int_equal(mounts_add_paths(&m, MOUNT_READ_ONLY, "/a.../b..c/", err, sizeof err), 0);
}

static void test_binds(void **state)
{
	(void)state;
	char err[160];
	assert_int_equal(mounts_add_binds(&m, "/srv:/mnt /data -/x:/y:ro /p:/q:rw", err, sizeof err), 0);
	assert_int_equal(m.n, 4);
	assert_string_equal(m.v[0].src, "/srv");
	assert_string_equal(m.v[0].path, "/mnt");
	assert_string_equal(m.v[1].src, "/data");
	assert_string_equal(m.v[1].path, "/data");
	assert_true(m.v[2].read_only);
	assert_true(m.v[2].optional);
	assert_false(m.v[3].read_only);
	assert_int_equal(mounts_add_binds(&m, "/a:/b:xx", err, sizeof err), -EINVAL);
	assert_string_equal(err, "bind_paths: '/a:/b:xx': expected SRC:DST:ro or :rw");
	assert_int_equal(mounts_add_binds(&m, "/a:b", err, sizeof err), -EINVAL);
	assert_string_equal(err, "bind_paths: '/a:b': expected SRC:DST with absolute paths");
	assert_int_equal(mounts_add_binds(&m, "/a::/b", err, sizeof err), -EINVAL);
}

static void test_sort_and_describe(void **state)
{
	(void)state;
	char err[160], buf[128];
	assert_int_equal(mounts_add_paths(&m, MOUNT_INACCESSIBLE, "/i1", err, sizeof err), 0);
	assert_int_equal(mounts_add_paths(&m, MOUNT_READ_ONLY, "/r1 /r2", err, sizeof err), 0);
	assert_int_equal(mounts_add_binds(&m, "/s:/d", err, sizeof err), 0);
	assert_int_equal(mounts_add_paths(&m, MOUNT_INACCESSIBLE, "/i2", err, sizeof err), 0);
	mounts_sort(&m);
	const char *order[] = { "/d", "/r1", "/r2", "/i1", "/i2" };
	for (size_t i = 0; i < 5; i++)
		assert_string_equal(m.v[i].path, order[i]);
	mounts_describe(&m, 0, buf, sizeof buf);
	assert_string_equal(buf, "bind_paths /s:/d");
	mounts_describe(&m, 2, buf, sizeof buf);
	assert_string_equal(buf, "read_only_paths /r2");
	mounts_describe(&m, 4, buf, sizeof buf);
	assert_string_equal(buf, "inaccessible_paths /i2");
	mounts_describe(&m, MOUNTS_AT_TMP, buf, sizeof buf);
	assert_string_equal(buf, "private_tmp /tmp");
	mounts_describe(&m, 99, buf, sizeof buf);
	assert_string_equal(buf, "mounts");
	struct mounts o = { 0 };
	assert_false(mounts_equal(&m, &o));
	assert_true(mounts_equal(&o, &o));
	assert_false(mounts_active(&o, false));
	assert_true(mounts_active(&o, true));
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void make_tree(void)
{
	char p[128];
	snprintf(tmp, sizeof tmp, "/tmp/corral-mounts-XXXXXX");
	assert_non_null(mkdtemp(tmp));
	const char *dirs[] = { "ro", "ro/sub", "hidden", "src", "dst" };
	for (size_t i = 0; i < 5; i++) {
		snprintf(p, sizeof p, "%s/%s", tmp, dirs[i]);
		assert_int_equal(mkdir(p, 0755), 0);
	}
	const char *files[] = { "hidden/secret", "secret.txt", "src/marker", "ro/sub/f" };
	for (size_t i = 0; i < 4; i++) {
		snprintf(p, sizeof p, "%s/%s", tmp, files[i]);
		FILE *f = fopen(p, "w");
		assert_non_null(f);
		fputs("secret", f);
		fclose(f);
	}
}

static int child_status(pid_t pid)
{
	int status;
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void add(enum mount_kind kind, const char *value)
{
	char err[160];
	int r = kind == MOUNT_BIND ? mounts_add_binds(&m, value, err, sizeof err)
				   : mounts_add_paths(&m, kind, value, err, sizeof err);
	if (r)
		fail_msg("%s: %s", value, err);
}

/* Real mounts, in a child with its own mount namespace. */
static void test_apply(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	make_tree();
	char v[256];
	snprintf(v, sizeof v, "%s/src:%s/dst:ro", tmp, tmp);
	add(MOUNT_BIND, v);
	snprintf(v, sizeof v, "%s/ro -%s/missing", tmp, tmp);
	add(MOUNT_READ_ONLY, v);
	snprintf(v, sizeof v, "%s/hidden %s/secret.txt", tmp, tmp);
	add(MOUNT_INACCESSIBLE, v);
	m.private_tmp = true;
	mounts_sort(&m);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char p[160];
		int failed = 0;
		if (unshare(CLONE_NEWNS) < 0)
			_exit(1);
		/* private_tmp would hide the tree (it is under /tmp): apply the
		 * rest first, then check /tmp separately */
		m.private_tmp = false;
		if (mounts_apply(&m, false, &failed) != 0)
			_exit(2);
		snprintf(p, sizeof p, "%s/ro/new", tmp);
		if (open(p, O_CREAT | O_WRONLY, 0600) >= 0 || errno != EROFS)
			_exit(3);
		snprintf(p, sizeof p, "%s/ro/sub/f", tmp); /* submounts too: recursive */
		if (open(p, O_WRONLY) >= 0 || errno != EROFS)
			_exit(4);
		snprintf(p, sizeof p, "%s/dst/marker", tmp);
		if (access(p, F_OK) != 0)
			_exit(5);
		if (open(p, O_WRONLY) >= 0 || errno != EROFS)
			_exit(6);
		snprintf(p, sizeof p, "%s/hidden/secret", tmp);
		if (access(p, F_OK) == 0)
			_exit(7);
		snprintf(p, sizeof p, "%s/secret.txt", tmp);
		char buf[16];
		int fd = open(p, O_RDONLY);
		if (fd < 0 || read(fd, buf, sizeof buf) != 0) /* empty, even for root */
			_exit(8);
		close(fd);
		struct stat st;
		if (stat(p, &st) < 0 || (st.st_mode & 07777) != 0)
			_exit(9);
		/* now a private /tmp: the tree is gone from view */
		struct mounts t = { .private_tmp = true };
		if (mounts_apply(&t, false, &failed) != 0)
			_exit(10);
		if (access(tmp, F_OK) == 0)
			_exit(11);
		_exit(0);
	}
	int rc = child_status(pid);
	/* nothing leaked: the host still sees the files, the target is empty */
	char p[160];
	snprintf(p, sizeof p, "%s/hidden/secret", tmp);
	int hidden = access(p, F_OK);
	snprintf(p, sizeof p, "%s/dst/marker", tmp);
	int bound = access(p, F_OK);
	nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	assert_int_equal(rc, 0);
	assert_int_equal(hidden, 0);
	assert_int_equal(bound, -1);
}

/* A path that does not exist fails, and says which. */
static void test_apply_failure(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	char err[160];
	assert_int_equal(mounts_add_paths(&m, MOUNT_READ_ONLY, "-/nonexistent-1 /nonexistent-2",
					  err, sizeof err), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int failed = -9;
		if (unshare(CLONE_NEWNS) < 0)
			_exit(1);
		int r = mounts_apply(&m, false, &failed);
		_exit(r == -ENOENT && failed == 1 ? 0 : 2);
	}
	assert_int_equal(child_status(pid), 0);
}

int main(void)
{
#define T(t) cmocka_unit_test_teardown(t, teardown)
	const struct CMUnitTest tests[] = {
		T(test_paths),
		T(test_binds),
		T(test_sort_and_describe),
		T(test_apply),
		T(test_apply_failure),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
