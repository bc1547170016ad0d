/* Unit tests for supervisor/logfile.c: which log directories are refused,
 * and that opening, rotating and reading never go through a symbolic link
 * or block on a FIFO. Runs in a temp dir under /tmp; the cases that give a
 * directory or file to another user need root and are skipped otherwise. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "supervisor/logfile.h"

#define NOBODY 65534

static char tmpdir[64];

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int setup_tmp(void **state)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/corral-test-XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	return chmod(tmpdir, 0755);
}

static int teardown_tmp(void **state)
{
	return nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static const char *at(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* TMPDIR/<formatted>, in one of rotating buffers: more than a test uses. */
static const char *at(const char *fmt, ...)
{
	static char bufs[64][PATH_MAX];
	static int next;
	char *b = bufs[next++ % 64];
	char rel[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(rel, sizeof rel, fmt, ap);
	va_end(ap);
	snprintf(b, PATH_MAX, "%s/%s", tmpdir, rel);
	return b;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void expect_content(const char *path, const char *text)
{
	char buf[256];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
	assert_string_equal(buf, text);
}

static void expect_refused(const char *dir, uid_t uid, const char *why)
{
	char err[PATH_MAX + 160] = "", want[PATH_MAX + 160];
	assert_int_equal(logfile_check_dir(dir, uid, err, sizeof err), -EPERM);
	snprintf(want, sizeof want, "%s %s", dir, why);
	assert_string_equal(err, want);
}

static void test_check_dir(void **state)
{
	char err[PATH_MAX + 160] = "";
	const char *d = at("log");
	assert_int_equal(mkdir(d, 0755), 0);
	assert_int_equal(logfile_check_dir(d, LOGFILE_NO_USER, err, sizeof err), 0);
	/* the sticky bit keeps each writer to their own names */
	assert_int_equal(chmod(d, 01777), 0);
	assert_int_equal(logfile_check_dir(d, LOGFILE_NO_USER, err, sizeof err), 0);
	assert_int_equal(chmod(d, 0777), 0);
	expect_refused(d, LOGFILE_NO_USER,
		       "is writable by every user (mode 0777) without the sticky bit: refused for log files");
	assert_int_equal(chmod(d, 0775), 0);
	expect_refused(d, LOGFILE_NO_USER,
		       "is writable by its group (mode 0775) without the sticky bit: refused for log files");
	/* one under such a directory: it could be swapped whole */
	const char *sub = at("log/sub");
	assert_int_equal(mkdir(sub, 0755), 0);
	char err2[PATH_MAX + 160];
	assert_int_equal(logfile_check_dir(sub, LOGFILE_NO_USER, err2, sizeof err2), -EPERM);
	snprintf(err, sizeof err, "%s is writable by its group (mode 0775) without the sticky bit: "
				  "refused for log files", d);
	assert_string_equal(err2, err);
	/* reached through a symbolic link: the directories it leads through count */
	const char *link = at("link");
	assert_int_equal(symlink(sub, link), 0);
	assert_int_equal(logfile_check_dir(link, LOGFILE_NO_USER, err2, sizeof err2), -EPERM);
	assert_string_equal(err2, err);
	assert_int_equal(chmod(d, 0755), 0);
	assert_int_equal(logfile_check_dir(link, LOGFILE_NO_USER, err, sizeof err), 0);
	/* not there yet: nothing to refuse */
	assert_int_equal(logfile_check_dir(at("log/sub/none/deeper"), LOGFILE_NO_USER, err, sizeof err), 0);
}

static void test_check_dir_owner(void **state)
{
	if (geteuid() != 0)
		skip();
	char err[PATH_MAX + 160] = "";
	const char *d = at("log");
	assert_int_equal(mkdir(d, 0755), 0);
	assert_int_equal(chown(d, NOBODY, NOBODY), 0);
	/* the program's own user may own it; anyone else may not */
	assert_int_equal(logfile_check_dir(d, NOBODY, err, sizeof err), 0);
	expect_refused(d, LOGFILE_NO_USER,
		       "is owned by uid 65534, neither root nor the program's user: refused for log files");
	expect_refused(d, 1234,
		       "is owned by uid 65534, neither root nor the program's user: refused for log files");
}

static void test_open_append(void **state)
{
	char err[PATH_MAX + 160] = "";
	uint64_t size = 99;
	const char *d = at("log");
	assert_int_equal(mkdir(d, 01777), 0);
	assert_int_equal(chmod(d, 01777), 0);
	/* made anew, then appended to */
	const char *f = at("log/p.out");
	int fd = logfile_open_append(f, LOGFILE_NO_USER, &size, err, sizeof err);
	assert_true(fd >= 0);
	assert_int_equal(size, 0);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_true(fcntl(fd, F_GETFL) & O_APPEND);
	assert_int_equal(write(fd, "one\n", 4), 4);
	close(fd);
	fd = logfile_open_append(f, LOGFILE_NO_USER, &size, err, sizeof err);
	assert_true(fd >= 0);
	assert_int_equal(size, 4);
	assert_int_equal(write(fd, "two\n", 4), 4);
	close(fd);
	expect_content(f, "one\ntwo\n");

	/* a symbolic link is never followed */
	const char *secret = at("secret");
	write_file(secret, "secret\n", 0600);
	const char *q = at("log/q.out");
	assert_int_equal(symlink(secret, q), 0);
	assert_int_equal(logfile_open_append(q, LOGFILE_NO_USER, &size, err, sizeof err), -ELOOP);
	char want[PATH_MAX + 160];
	snprintf(want, sizeof want, "%s is a symbolic link: not followed", q);
	assert_string_equal(err, want);
	expect_content(secret, "secret\n");
	/* nor is a dangling one made to point somewhere new */
	const char *r = at("log/r.out");
	assert_int_equal(symlink(at("made-through-link"), r), 0);
	assert_int_equal(logfile_open_append(r, LOGFILE_NO_USER, &size, err, sizeof err), -ELOOP);
	assert_int_equal(access(at("made-through-link"), F_OK), -1);

	/* a FIFO neither blocks the open nor is taken */
	const char *fifo = at("log/f.out");
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(logfile_open_append(fifo, LOGFILE_NO_USER, &size, err, sizeof err), -EPERM);
	snprintf(want, sizeof want, "%s is a FIFO or a socket, not a regular file: refused", fifo);
	assert_string_equal(err, want);

	/* a device named by the config is meant */
	fd = logfile_open_append("/dev/null", LOGFILE_NO_USER, &size, err, sizeof err);
	assert_true(fd >= 0);
	close(fd);

	/* a directory that others may write without the sticky bit */
	assert_int_equal(chmod(d, 0777), 0);
	assert_int_equal(logfile_open_append(f, LOGFILE_NO_USER, &size, err, sizeof err), -EPERM);
	snprintf(want, sizeof want, "%s is writable by every user (mode 0777) without the sticky bit: "
				    "refused for log files", d);
	assert_string_equal(err, want);
}

/* In a shared (sticky) directory, a file another user made first is
 * theirs: not written to. */
static void test_open_append_owner(void **state)
{
	if (geteuid() != 0)
		skip();
	char err[PATH_MAX + 160] = "";
	uint64_t size;
	const char *d = at("log");
	assert_int_equal(mkdir(d, 01777), 0);
	assert_int_equal(chmod(d, 01777), 0);
	const char *f = at("log/p.out");
	write_file(f, "theirs\n", 0666);
	assert_int_equal(chown(f, NOBODY, NOBODY), 0);
	assert_int_equal(logfile_open_append(f, 1234, &size, err, sizeof err), -EPERM);
	/* the program's own user's is fine */
	int fd = logfile_open_append(f, NOBODY, &size, err, sizeof err);
	assert_true(fd >= 0);
	close(fd);
	/* and in a directory only root writes, whatever is there was put by root */
	assert_int_equal(chmod(d, 0755), 0);
	fd = logfile_open_append(f, 1234, &size, err, sizeof err);
	assert_true(fd >= 0);
	close(fd);
}

static void test_rotate(void **state)
{
	char err[PATH_MAX + 160] = "", want[PATH_MAX + 160];
	const char *d = at("log");
	assert_int_equal(mkdir(d, 0755), 0);
	const char *f = at("log/p.out");
	write_file(f, "3\n", 0644);
	write_file(at("log/p.out.1"), "2\n", 0644);
	write_file(at("log/p.out.2"), "1\n", 0644);
	assert_int_equal(logfile_rotate(f, 2, LOGFILE_NO_USER, err, sizeof err), 0);
	assert_int_equal(access(f, F_OK), -1);
	expect_content(at("log/p.out.1"), "3\n");
	expect_content(at("log/p.out.2"), "2\n");

	/* a symbolic link among the names: nothing moves, nothing is followed */
	const char *secret = at("secret");
	write_file(secret, "secret\n", 0600);
	write_file(f, "4\n", 0644);
	assert_int_equal(unlink(at("log/p.out.1")), 0);
	assert_int_equal(symlink(secret, at("log/p.out.1")), 0);
	assert_int_equal(logfile_rotate(f, 2, LOGFILE_NO_USER, err, sizeof err), -ELOOP);
	snprintf(want, sizeof want, "%s.1 is a symbolic link: not followed, nothing rotated", f);
	assert_string_equal(err, want);
	expect_content(f, "4\n");
	expect_content(at("log/p.out.2"), "2\n");
	expect_content(secret, "secret\n");
	struct stat st;
	assert_int_equal(lstat(at("log/p.out.1"), &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	/* the oldest, which would be removed, counts too */
	assert_int_equal(unlink(at("log/p.out.1")), 0);
	assert_int_equal(unlink(at("log/p.out.2")), 0);
	assert_int_equal(symlink(secret, at("log/p.out.2")), 0);
	assert_int_equal(logfile_rotate(f, 2, LOGFILE_NO_USER, err, sizeof err), -ELOOP);
	assert_int_equal(lstat(at("log/p.out.2"), &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	expect_content(f, "4\n");
	/* and the file itself */
	assert_int_equal(unlink(at("log/p.out.2")), 0);
	assert_int_equal(unlink(f), 0);
	assert_int_equal(symlink(secret, f), 0);
	assert_int_equal(logfile_rotate(f, 0, LOGFILE_NO_USER, err, sizeof err), -ELOOP);
	assert_int_equal(lstat(f, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	expect_content(secret, "secret\n");
	/* no backups: the file just goes */
	assert_int_equal(unlink(f), 0);
	write_file(f, "5\n", 0644);
	assert_int_equal(logfile_rotate(f, 0, LOGFILE_NO_USER, err, sizeof err), 0);
	assert_int_equal(access(f, F_OK), -1);
}

static void test_open_read(void **state)
{
	char err[PATH_MAX + 160] = "", want[PATH_MAX + 160];
	uint64_t size = 99;
	const char *d = at("log");
	assert_int_equal(mkdir(d, 0755), 0);
	const char *f = at("log/p.out");
	assert_int_equal(logfile_open_read(f, &size, err, sizeof err), -ENOENT);
	write_file(f, "hello\n", 0644);
	int fd = logfile_open_read(f, &size, err, sizeof err);
	assert_true(fd >= 0);
	assert_int_equal(size, 6);
	close(fd);
	const char *secret = at("secret");
	write_file(secret, "secret\n", 0600);
	const char *q = at("log/q.out");
	assert_int_equal(symlink(secret, q), 0);
	assert_int_equal(logfile_open_read(q, &size, err, sizeof err), -ELOOP);
	snprintf(want, sizeof want, "%s is a symbolic link: not followed", q);
	assert_string_equal(err, want);
	/* a FIFO does not block, and is not read */
	const char *fifo = at("log/f.out");
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(logfile_open_read(fifo, &size, err, sizeof err), -EPERM);
	/* a device keeps nothing to read */
	assert_int_equal(logfile_open_read("/dev/null", &size, err, sizeof err), -ENOENT);
}

static void test_dirname(void **state)
{
	char dir[PATH_MAX], small[4];
	assert_int_equal(logfile_dirname("/var/log/x.log", dir, sizeof dir), 0);
	assert_string_equal(dir, "/var/log");
	assert_int_equal(logfile_dirname("/x.log", dir, sizeof dir), 0);
	assert_string_equal(dir, "/");
	assert_int_equal(logfile_dirname("x.log", dir, sizeof dir), 0);
	assert_string_equal(dir, ".");
	assert_int_equal(logfile_dirname("/long/x", small, sizeof small), -ENAMETOOLONG);
}

int main(void)
{
#define TT(f) cmocka_unit_test_setup_teardown(f, setup_tmp, teardown_tmp)
	const struct CMUnitTest tests[] = {
		TT(test_check_dir),
		TT(test_check_dir_owner),
		TT(test_open_append),
		TT(test_open_append_owner),
		TT(test_rotate),
		TT(test_open_read),
		cmocka_unit_test(test_dirname),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
