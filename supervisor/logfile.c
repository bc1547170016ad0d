#include "supervisor/logfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "supervisor/logline.h"

/* ---- who may change a directory ---- */

static bool trusted_owner(uid_t owner, uid_t uid)
{
	return owner == 0 || owner == geteuid() || (uid != LOGFILE_NO_USER && owner == uid);
}

/* Could someone other than root, corrald's user and UID change what DIR's
 * names point to? Its owner can, whatever the mode says; its group or
 * everybody can when they may write it, unless the sticky bit keeps each of
 * them to the names they made themselves (which O_NOFOLLOW and O_EXCL then
 * take care of). 0, or -EPERM with the reason in ERR. */
static int dir_rule(const char *dir, const struct stat *st, uid_t uid, char *err, size_t errlen)
{
	if (!trusted_owner(st->st_uid, uid)) {
		snprintf(err, errlen, "%s is owned by uid %u, neither root nor the program's user: "
				      "refused for log files", dir, (unsigned)st->st_uid);
		return -EPERM;
	}
	if (!(st->st_mode & S_ISVTX) && (st->st_mode & (S_IWGRP | S_IWOTH))) {
		snprintf(err, errlen, "%s is writable by %s (mode %04o) without the sticky bit: "
				      "refused for log files", dir,
			 st->st_mode & S_IWOTH ? "every user" : "its group",
			 (unsigned)(st->st_mode & 07777));
		return -EPERM;
	}
	return 0;
}

/* One directory of a walk: 0 when it may be gone through, 1 when it is not
 * there (or not a directory: the open says so later), or -errno. */
static int check_one(const char *dir, uid_t uid, char *err, size_t errlen)
{
	struct stat st;
	if (stat(dir, &st) < 0) {
		int e = errno;
		if (e == ENOENT || e == ENOTDIR)
			return 1;
		snprintf(err, errlen, "%s: %s", dir, strerror(e));
		return -e;
	}
	if (!S_ISDIR(st.st_mode))
		return 1;
	return dir_rule(dir, &st, uid, err, errlen);
}

/* PATH and each directory above it, from the top: whoever can change one
 * of them can swap everything below it. stat() follows a symbolic link met
 * on the way, so its target is checked as the directory it stands for. */
static int check_chain(const char *path, uid_t uid, char *err, size_t errlen)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);
	if (len >= sizeof buf) {
		snprintf(err, errlen, "%s: %s", path, strerror(ENAMETOOLONG));
		return -ENAMETOOLONG;
	}
	memcpy(buf, path, len + 1);
	int r = check_one(path[0] == '/' ? "/" : ".", uid, err, errlen);
	for (size_t i = 1; i <= len && r == 0; i++) {
		/* each prefix that ends a component ("//" and a trailing slash
		 * add none) */
		if ((i < len && buf[i] != '/') || buf[i - 1] == '/')
			continue;
		char c = buf[i];
		buf[i] = '\0';
		r = check_one(buf, uid, err, errlen);
		buf[i] = c;
	}
	return r < 0 ? r : 0;
}

int logfile_check_dir(const char *dir, uid_t uid, char *err, size_t errlen)
{
	int r = check_chain(dir, uid, err, errlen);
	if (r < 0)
		return r;
	/* The directories a symbolic link on the way leads through are not
	 * above DIR as written: walk the resolved path too. */
	char real[PATH_MAX];
	if (!realpath(dir, real))
		return 0; /* not there yet */
	return strcmp(real, dir) == 0 ? 0 : check_chain(real, uid, err, errlen);
}

/* ---- names ---- */

int logfile_dirname(const char *path, char *dir, size_t len)
{
	const char *slash = strrchr(path, '/');
	int n;
	if (!slash)
		n = snprintf(dir, len, ".");
	else
		n = snprintf(dir, len, "%.*s", slash == path ? 1 : (int)(slash - path), path);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* PATH's directory, opened to work in by name (openat, renameat), and
 * checked again: a directory made, or swapped in, since corrald started is
 * held to the same rule. The fd, or -errno with ERR; *ST its status. */
static int open_dir(const char *path, uid_t uid, struct stat *st, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	if (logfile_dirname(path, dir, sizeof dir) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(ENAMETOOLONG));
		return -ENAMETOOLONG;
	}
	int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		int e = errno;
		snprintf(err, errlen, "%s: %s", dir, strerror(e));
		return -e;
	}
	if (fstat(dfd, st) < 0) {
		int e = errno;
		snprintf(err, errlen, "%s: %s", dir, strerror(e));
		close(dfd);
		return -e;
	}
	int r = dir_rule(dir, st, uid, err, errlen);
	if (r < 0) {
		close(dfd);
		return r;
	}
	return dfd;
}

/* ---- appending ---- */

int logfile_open_append(const char *path, uid_t uid, uint64_t *size, char *err, size_t errlen)
{
	struct stat dst, st;
	int dfd = open_dir(path, uid, &dst, err, errlen);
	if (dfd < 0)
		return dfd;
	const char *name = base_name(path);
	/* Non-blocking: a FIFO put there must not stop corrald in open(), and
	 * a slow device is retried as a slow pass-through reader is. */
	int flags = O_WRONLY | O_APPEND | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK;
	int fd = -1, e = 0;
	/* A file that is there is appended to; a missing one is made, only if
	 * it is still missing: a name that appears in between (a symbolic link
	 * planted in a shared directory) is looked at again, never opened
	 * through. Two rounds are enough unless someone keeps racing. */
	for (int round = 0; fd < 0 && round < 3; round++) {
		fd = openat(dfd, name, flags);
		if (fd >= 0 || (e = errno) != ENOENT)
			break;
		fd = openat(dfd, name, flags | O_CREAT | O_EXCL, 0644);
		if (fd < 0 && (e = errno) != EEXIST)
			break;
	}
	close(dfd);
	if (fd < 0) {
		if (e == ELOOP)
			snprintf(err, errlen, "%s is a symbolic link: not followed", path);
		else if (e == ENXIO)
			snprintf(err, errlen, "%s is a FIFO or a socket, not a regular file: refused", path);
		else
			snprintf(err, errlen, "%s: %s", path, strerror(e));
		return e == ENXIO ? -EPERM : -e;
	}
	if (fstat(fd, &st) < 0) {
		e = errno;
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		close(fd);
		return -e;
	}
	/* A device can only be made by root: one named by the config
	 * (/dev/null, /dev/console) is meant. */
	if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode)) {
		snprintf(err, errlen, "%s is not a regular file: refused", path);
		close(fd);
		return -EPERM;
	}
	/* In a directory others may write (sticky), a file one of them made
	 * first would be theirs to read and truncate. */
	if (S_ISREG(st.st_mode) && (dst.st_mode & (S_IWGRP | S_IWOTH)) &&
	    !trusted_owner(st.st_uid, uid)) {
		snprintf(err, errlen, "%s is owned by uid %u, neither root nor the program's user, "
				      "in a directory others may write: refused", path,
			 (unsigned)st.st_uid);
		close(fd);
		return -EPERM;
	}
	/* A hard link planted there (where protected_hardlinks is off) would
	 * have the output appended to a file elsewhere, as a symlink would. */
	if (S_ISREG(st.st_mode) && (dst.st_mode & (S_IWGRP | S_IWOTH)) && st.st_nlink > 1) {
		snprintf(err, errlen, "%s has %ju hard links, in a directory others may write: "
				      "refused", path, (uintmax_t)st.st_nlink);
		close(fd);
		return -EPERM;
	}
	*size = S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
	return fd;
}

/* ---- rotating ---- */

/* The name of PATH's backup I in its directory (I = 0: PATH's own). */
static int rel_name(const char *path, int i, char *buf, size_t len)
{
	if (i > 0)
		return logline_backup_name(base_name(path), i, buf, len);
	int n = snprintf(buf, len, "%s", base_name(path));
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Say which of PATH's files ERR is about: PATH or PATH.I. */
static void say(char *err, size_t errlen, const char *path, int i, const char *what)
{
	if (i > 0)
		snprintf(err, errlen, "%s.%d %s", path, i, what);
	else
		snprintf(err, errlen, "%s %s", path, what);
}

/* Is NAME (PATH's file I) absent or a regular file? 0, or -errno with ERR. */
static int rotatable(int dfd, const char *name, const char *path, int i, char *err, size_t errlen)
{
	struct stat st;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;
		int e = errno;
		char what[128];
		snprintf(what, sizeof what, ": %s", strerror(e));
		say(err, errlen, path, i, what);
		return -e;
	}
	if (S_ISLNK(st.st_mode)) {
		say(err, errlen, path, i, "is a symbolic link: not followed, nothing rotated");
		return -ELOOP;
	}
	if (!S_ISREG(st.st_mode)) {
		say(err, errlen, path, i, "is not a regular file: nothing rotated");
		return -EPERM;
	}
	return 0;
}

/* FROM becomes TO, which was just looked at or made free: if something is
 * there now, it appeared meanwhile and is not replaced. */
static int move(int dfd, const char *from, const char *to)
{
	if (renameat2(dfd, from, dfd, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -errno;
	/* a filesystem without RENAME_NOREPLACE: as close as it gets */
	return renameat(dfd, from, dfd, to) == 0 ? 0 : -errno;
}

int logfile_rotate(const char *path, int backups, uid_t uid, char *err, size_t errlen)
{
	struct stat dst;
	char from[NAME_MAX + 16], to[NAME_MAX + 16];
	int dfd = open_dir(path, uid, &dst, err, errlen);
	if (dfd < 0)
		return dfd;
	int r = 0;
	/* Look at every name first: nothing moves unless all of them can. */
	for (int i = 0; i <= backups && r == 0; i++) {
		if ((r = rel_name(path, i, to, sizeof to)) < 0)
			snprintf(err, errlen, "%s: %s", path, strerror(-r));
		else
			r = rotatable(dfd, to, path, i, err, errlen);
	}
	if (r < 0)
		goto out;
	if (backups == 0) {
		if (unlinkat(dfd, base_name(path), 0) < 0 && errno != ENOENT) {
			r = -errno;
			snprintf(err, errlen, "removing %s: %s", path, strerror(-r));
		}
		goto out;
	}
	(void)rel_name(path, backups, to, sizeof to); /* fits: looked at above */
	if (unlinkat(dfd, to, 0) < 0 && errno != ENOENT) {
		r = -errno;
		snprintf(err, errlen, "removing %s.%d: %s", path, backups, strerror(-r));
		goto out;
	}
	for (int i = backups - 1; i >= 0; i--) {
		(void)rel_name(path, i, from, sizeof from);
		(void)rel_name(path, i + 1, to, sizeof to);
		int m = move(dfd, from, to);
		if (m == -ENOENT)
			continue;
		if (m < 0) {
			r = m;
			char what[160];
			if (m == -EEXIST)
				snprintf(what, sizeof what, "appeared while rotating: not replaced");
			else
				snprintf(what, sizeof what, "could not take the place of the one before: %s",
					 strerror(-m));
			say(err, errlen, path, i + 1, what);
			break;
		}
	}
out:
	close(dfd);
	return r;
}

/* ---- reading ---- */

int logfile_open_read(const char *path, uint64_t *size, char *err, size_t errlen)
{
	/* Non-blocking: a FIFO put there must not stop corrald in open(). */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0) {
		int e = errno;
		if (e == ELOOP)
			snprintf(err, errlen, "%s is a symbolic link: not followed", path);
		else
			snprintf(err, errlen, "%s: %s", path, strerror(e));
		return -e;
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int e = errno;
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		close(fd);
		return -e;
	}
	if (S_ISREG(st.st_mode)) {
		*size = (uint64_t)st.st_size;
		return fd;
	}
	close(fd);
	if (S_ISCHR(st.st_mode)) { /* /dev/null and the like keep nothing */
		snprintf(err, errlen, "%s: %s", path, strerror(ENOENT));
		return -ENOENT;
	}
	snprintf(err, errlen, "%s is not a regular file: not read", path);
	return -EPERM;
}
