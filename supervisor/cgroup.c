#include "supervisor/cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>

#include "ipc/io.h"
#include "supervisor/path.h"

static int scope_fd = -1;         /* the scope root directory */
static char scope_path[PATH_MAX];
/* A cgroup v1 scope (no cgroup.kill, no cgroup.events, no CLONE_INTO_CGROUP):
 * killed by freezing, SIGKILL of every pid, thawing; known empty by reading
 * cgroup.procs. FREEZER: its hierarchy has the freezer controller. */
static bool v1, freezer;

static void seterr(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t len, const char *fmt, ...)
{
	if (!err || !len)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

int cgroup_find_own(const char *mountinfo, const char *proc_cgroup, char *root, size_t len,
		    char *err, size_t errlen)
{
	char mount[PATH_MAX] = "", own[PATH_MAX] = "", *line = NULL;
	size_t cap = 0;
	FILE *f = fopen(mountinfo, "re");
	if (!f) {
		int e = errno;
		seterr(err, errlen, "%s: %s", mountinfo, strerror(e));
		return -e;
	}
	/* "36 35 0:31 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw" */
	while (getline(&line, &cap, f) > 0) {
		char *sep = strstr(line, " - ");
		if (!sep || strncmp(sep + 3, "cgroup2 ", 8) != 0)
			continue;
		char *save = NULL, *field = strtok_r(line, " ", &save);
		for (int i = 0; field && i < 4; i++)
			field = strtok_r(NULL, " ", &save);
		if (field && strlen(field) < sizeof mount) {
			strcpy(mount, field);
			path_unescape_octal(mount);
			break;
		}
	}
	fclose(f);
	if (!mount[0]) {
		free(line);
		seterr(err, errlen, "no cgroup2 file system is mounted");
		return -ENOENT;
	}
	f = fopen(proc_cgroup, "re");
	if (!f) {
		int e = errno;
		free(line);
		seterr(err, errlen, "%s: %s", proc_cgroup, strerror(e));
		return -e;
	}
	/* The v2 line is "0::/path". */
	while (getline(&line, &cap, f) > 0) {
		if (strncmp(line, "0::", 3) != 0)
			continue;
		line[strcspn(line, "\n")] = '\0';
		if (strlen(line + 3) < sizeof own)
			strcpy(own, line + 3);
		break;
	}
	fclose(f);
	free(line);
	if (!own[0]) {
		seterr(err, errlen, "%s has no cgroup v2 entry", proc_cgroup);
		return -ENOENT;
	}
	/* A cgroup that was removed under us reads "/path (deleted)". */
	if (strstr(own, " (deleted)")) {
		seterr(err, errlen, "corrald's own cgroup %s was removed", own);
		return -ENOENT;
	}
	int n = snprintf(root, len, "%s%s", mount, strcmp(own, "/") == 0 ? "" : own);
	if (n < 0 || (size_t)n >= len) {
		seterr(err, errlen, "cgroup path too long");
		return -ENAMETOOLONG;
	}
	return 0;
}

int cgroup_parse_populated(const char *text)
{
	const char *p = text;
	while ((p = strstr(p, "populated ")) != NULL) {
		if (p == text || p[-1] == '\n') {
			if (p[10] == '0')
				return 0;
			if (p[10] == '1')
				return 1;
			return -EINVAL;
		}
		p += 10;
	}
	return -EINVAL;
}

int cgroup_events_populated(int fd)
{
	char buf[256];
	ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return cgroup_parse_populated(buf);
}

static int write_at(int at, const char *path, const char *text)
{
	int fd = openat(at, path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = io_write_all(fd, text, strlen(text));
	if (close(fd) < 0 && r == 0)
		r = -errno;
	return r;
}

static int count_procs_at(int at, const char *rel);

static int pids_at(int at, const char *rel, void (*fn)(pid_t, void *), void *ctx, int max);

static void kill_pid(pid_t pid, void *ctx)
{
	(void)ctx;
	(void)kill(pid, SIGKILL); /* ESRCH: gone meanwhile */
}

/* The start of file REL/FILE under AT (a small one) into BUF with a NUL:
 * its length, or -errno. */
static ssize_t read_at(int at, const char *rel, const char *file, char *buf, size_t len)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/%s", rel, file);
	return io_read_text_at(at, path, buf, len);
}

/* cgroup v1's cgroup.kill: with the freezer, the tree is frozen first (no
 * fork can slip between reading the pids and the kill), every pid killed,
 * then thawed, and the kills land. Without it, the pids are killed as read;
 * the caller kills again until the cgroup is empty. */
static int v1_kill_at(int at, const char *rel)
{
	char state[PATH_MAX];
	snprintf(state, sizeof state, "%s/freezer.state", rel);
	bool frozen = freezer && write_at(at, state, "FROZEN") == 0;
	for (int i = 0; frozen && i < 50; i++) { /* FREEZING, then FROZEN: mostly at once */
		char text[32];
		if (read_at(at, rel, "freezer.state", text, sizeof text) > 0 &&
		    strncmp(text, "FROZEN", 6) == 0)
			break;
		struct timespec ts = { 0, 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	(void)pids_at(at, rel, kill_pid, NULL, INT_MAX);
	if (frozen)
		(void)write_at(at, state, "THAWED");
	return 0;
}

/* Kill everything in the cgroup REL under AT. */
static int kill_at(int at, const char *rel)
{
	if (v1)
		return v1_kill_at(at, rel);
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/cgroup.kill", rel);
	return write_at(at, path, "1");
}

/* cgroup v1 has no cgroup.events: its cgroup.procs, read every few
 * milliseconds, killing again every tenth time, at most TIMEOUT_MS. */
static int v1_wait_empty(int at, const char *rel, int timeout_ms)
{
	for (int waited = 0;; waited += 5) {
		int n = count_procs_at(at, rel);
		if (n <= 0)
			return n;
		if (waited >= timeout_ms)
			return -ETIMEDOUT;
		if (waited % 50 == 45)
			(void)v1_kill_at(at, rel);
		struct timespec ts = { 0, 5 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
}

/* Wait until the cgroup at DIRFD/REL is empty, at most TIMEOUT_MS. Only for
 * start-up and exit, where corrald has nothing else to do; the loop waits
 * on cgroup.events through epoll instead. */
static int wait_empty(int at, const char *rel, int timeout_ms)
{
	if (v1)
		return v1_wait_empty(at, rel, timeout_ms);
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/cgroup.events", rel);
	int fd = openat(at, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	int r;
	for (;;) {
		r = cgroup_events_populated(fd);
		if (r <= 0)
			break;
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		long elapsed = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
		if (elapsed >= timeout_ms) {
			r = -ETIMEDOUT;
			break;
		}
		struct pollfd pfd = { .fd = fd, .events = POLLPRI };
		if (poll(&pfd, 1, (int)(timeout_ms - elapsed)) < 0 && errno != EINTR) {
			r = -errno;
			break;
		}
	}
	close(fd);
	return r;
}

static int count_procs_at(int at, const char *rel)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/cgroup.procs", rel);
	int fd = openat(at, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	char buf[4096];
	int count = 0;
	ssize_t n;
	while ((n = io_read_some(fd, buf, sizeof buf)) > 0)
		for (ssize_t i = 0; i < n; i++)
			count += buf[i] == '\n';
	close(fd);
	if (n < 0)
		return (int)n;
	/* Sub-cgroups a worker made hold processes too. A cgroup directory's
	 * links are 2 and one per child: most have none, and are not read (a
	 * status or a scrape counts a thousand trees). */
	struct stat st;
	if (fstatat(at, rel, &st, 0) == 0 && st.st_nlink == 2)
		return count;
	int sub = openat(at, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sub < 0)
		return count;
	DIR *d = fdopendir(sub);
	if (!d) {
		close(sub);
		return count;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		int c = count_procs_at(dirfd(d), de->d_name);
		if (c > 0)
			count += c;
	}
	closedir(d);
	return count;
}

/* rmdir, and when the kernel still holds the cgroup for a moment after its
 * last process was reaped (EBUSY), try again for up to PATIENCE_MS. */
static int rmdir_at(int at, const char *rel, int patience_ms)
{
	for (int waited = 0;; waited += 10) {
		if (unlinkat(at, rel, AT_REMOVEDIR) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY || waited >= patience_ms)
			return -errno;
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
}

/* rmdir REL under DIRFD, children first. */
static int remove_tree(int at, const char *rel, int patience_ms)
{
	int fd = openat(at, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	DIR *d = fdopendir(fd);
	if (!d) {
		int e = errno;
		close(fd);
		return -e;
	}
	int r = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		int rr = remove_tree(dirfd(d), de->d_name, patience_ms);
		if (rr < 0 && r == 0)
			r = rr;
	}
	closedir(d);
	int rr = rmdir_at(at, rel, patience_ms);
	return r ? r : rr;
}

/* Remove every leaf of the scope; how many there were. */
static int remove_leaves(void)
{
	int fd = fcntl(scope_fd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* fdopendir takes over the dup; the scope fd stays ours. */
	if (lseek(fd, 0, SEEK_SET) < 0) {
		close(fd);
		return -errno;
	}
	DIR *d = fdopendir(fd);
	if (!d) {
		int e = errno;
		close(fd);
		return -e;
	}
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		n++;
		(void)remove_tree(scope_fd, de->d_name, 1000);
	}
	closedir(d);
	return n;
}

/* Which cgroup version the scope directory is, and whether a v1 one has
 * the freezer. */
static void detect(void)
{
	struct statfs sf;
	v1 = fstatfs(scope_fd, &sf) == 0 && sf.f_type == CGROUP_SUPER_MAGIC;
	freezer = v1 && faccessat(scope_fd, "freezer.state", W_OK, 0) == 0;
}

bool cgroup_scope_v1(void)
{
	return scope_fd >= 0 && v1;
}

bool cgroup_scope_freezer(void)
{
	return scope_fd >= 0 && freezer;
}

/* How long cgroup_scope_open() waits for another holder's lock to go. */
static int lock_patience_ms;

void cgroup_scope_lock_patience(int ms)
{
	lock_patience_ms = ms;
}

int cgroup_scope_open(const char *root, const char *name, int timeout_ms, int *leftover_procs,
		      int *leftover_leaves, char *err, size_t errlen)
{
	*leftover_procs = 0;
	*leftover_leaves = 0;
	int n = path_join(scope_path, sizeof scope_path, root, name);
	if (n < 0) {
		if (n == -EINVAL)
			seterr(err, errlen, "scope name '%s' is not one path component", name);
		else
			seterr(err, errlen, "cgroup path %s/%s too long", root, name);
		scope_path[0] = '\0';
		return n;
	}
	bool existed = false;
	if (mkdir(scope_path, 0755) < 0) {
		if (errno != EEXIST) {
			int e = errno;
			seterr(err, errlen, "mkdir %s: %s", scope_path, strerror(e));
			return -e;
		}
		existed = true;
	}
	scope_fd = open(scope_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (scope_fd < 0) {
		int e = errno;
		seterr(err, errlen, "open %s: %s", scope_path, strerror(e));
		return -e;
	}
	detect();
	const char *need = v1 ? "cgroup.procs" : "cgroup.kill";
	if (faccessat(scope_fd, need, W_OK, 0) < 0) {
		int e = errno;
		seterr(err, errlen, "%s/%s: %s%s", scope_path, need, strerror(e),
		       v1 ? "" : " (cgroup.kill needs Linux 5.14)");
		cgroup_scope_close(0);
		return -e;
	}
	/* The lock says a live corrald holds this scope: the kernel drops it
	 * when that corrald dies, however. One with the same socket path in
	 * another mount namespace must not take (and kill) what it holds. */
	int e = 0;
	for (int waited = 0;; waited += 10) {
		if (flock(scope_fd, LOCK_EX | LOCK_NB) == 0)
			break;
		e = errno;
		if (e != EWOULDBLOCK || waited >= lock_patience_ms)
			break;
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
		e = 0;
	}
	if (e) {
		if (e == EWOULDBLOCK)
			seterr(err, errlen, "%s is held by a running corrald (the same socket path, "
				   "in another mount namespace?)", scope_path);
		else
			seterr(err, errlen, "flock %s: %s", scope_path, strerror(e));
		close(scope_fd);
		scope_fd = -1;
		return e == EWOULDBLOCK ? -EBUSY : -e;
	}
	if (existed) {
		/* A predecessor died without cleaning up: nothing of it may run
		 * beside what we start. */
		int c = count_procs_at(scope_fd, ".");
		*leftover_procs = c > 0 ? c : 0;
		int r = kill_at(scope_fd, ".");
		if (r < 0) {
			seterr(err, errlen, "killing leftovers in %s: %s", scope_path, strerror(-r));
			return r;
		}
		r = wait_empty(scope_fd, ".", timeout_ms);
		if (r < 0) {
			seterr(err, errlen, "leftovers in %s did not die: %s", scope_path, strerror(-r));
			return r;
		}
		int leaves = remove_leaves();
		*leftover_leaves = leaves > 0 ? leaves : 0;
	}
	return 0;
}

const char *cgroup_scope_path(void)
{
	return scope_fd >= 0 ? scope_path : NULL;
}

int cgroup_scope_fd(void)
{
	return scope_fd;
}

int cgroup_scope_adopt(int fd, const char *path)
{
	if (snprintf(scope_path, sizeof scope_path, "%s", path) >= (int)sizeof scope_path)
		return -ENAMETOOLONG;
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
		return -errno;
	scope_fd = fd; /* its flock came with it: the same open file */
	detect();
	return 0;
}

int cgroup_scope_close(int timeout_ms)
{
	if (scope_fd < 0)
		return 0;
	int r = 0;
	if (timeout_ms > 0) {
		r = kill_at(scope_fd, ".");
		if (r == 0)
			r = wait_empty(scope_fd, ".", timeout_ms);
		(void)remove_leaves();
	}
	close(scope_fd);
	scope_fd = -1;
	if (timeout_ms > 0) {
		int rr = rmdir_at(AT_FDCWD, scope_path, 1000);
		if (r == 0)
			r = rr;
	}
	return r;
}

int cgroup_scope_repair(void)
{
	if (scope_fd < 0)
		return -ENODEV;
	struct stat held, named;
	if (fstat(scope_fd, &held) < 0)
		return -errno;
	if (stat(scope_path, &named) == 0 && named.st_ino == held.st_ino &&
	    named.st_dev == held.st_dev)
		return 0; /* still there */
	if (mkdir(scope_path, 0755) < 0 && errno != EEXIST)
		return -errno;
	int fd = open(scope_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	close(scope_fd);
	scope_fd = fd;
	return 1;
}

int cgroup_sweep_orphans(const char *root, const char *prefix)
{
	int rfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rfd < 0)
		return -errno;
	DIR *d = fdopendir(rfd);
	if (!d) {
		int e = errno;
		close(rfd);
		return -e;
	}
	int removed = 0;
	size_t plen = strlen(prefix);
	const char *own = strrchr(scope_path, '/');
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR || strncmp(de->d_name, prefix, plen) != 0 ||
		    (own && strcmp(de->d_name, own + 1) == 0))
			continue;
		int fd = openat(rfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			continue;
		/* A scope a minute old or less may be one whose corrald has made
		 * it and not yet locked it. */
		struct stat st;
		if (fstat(fd, &st) < 0 || time(NULL) - st.st_mtime < 60) {
			close(fd);
			continue;
		}
		/* Held: its corrald lives (or is an older one, which holds no
		 * lock: then it is left alone unless empty, below). */
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			close(fd);
			continue;
		}
		/* Only an empty one: processes in a scope whose owner is gone
		 * are its successor's to find (same socket path), not ours. */
		if (count_procs_at(fd, ".") == 0 && remove_tree(rfd, de->d_name, 0) == 0)
			removed++;
		close(fd);
	}
	closedir(d);
	return removed;
}

/* Every leaf is named by its caller: one that is not a single path
 * component (".." above all) would reach outside the scope. */
static int leaf_check(const char *name)
{
	if (scope_fd < 0)
		return -ENODEV;
	return path_component_ok(name) ? 0 : -EINVAL;
}

int cgroup_leaf_open(const char *name)
{
	int r = leaf_check(name);
	if (r < 0)
		return r;
	if (mkdirat(scope_fd, name, 0755) < 0 && errno != EEXIST)
		return -errno;
	int fd = openat(scope_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int cgroup_leaf_kill(const char *name)
{
	int r = leaf_check(name);
	return r < 0 ? r : kill_at(scope_fd, name);
}

int cgroup_leaf_signal(const char *name, int sig)
{
	int r = leaf_check(name);
	if (r < 0)
		return r;
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/cgroup.procs", name);
	int fd = openat(scope_fd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	FILE *f = fdopen(fd, "r");
	if (!f) {
		int e = errno;
		close(fd);
		return -e;
	}
	int n = 0;
	long pid;
	/* A pid read here may exit before the kill (ESRCH is fine). The window
	 * in which it could also be reaped and reused is the one every
	 * cgroup-walking killer has; cgroup.kill, used for SIGKILL, has none. */
	while (fscanf(f, "%ld", &pid) == 1)
		if (pid > 0 && kill((pid_t)pid, sig) == 0)
			n++;
	fclose(f);
	return n;
}

int cgroup_leaf_count(const char *name)
{
	int r = leaf_check(name);
	if (r < 0)
		return r;
	return count_procs_at(scope_fd, name);
}

int cgroup_leaf_events(const char *name)
{
	int r = leaf_check(name);
	if (r < 0)
		return r;
	if (v1)
		return -EOPNOTSUPP; /* no cgroup.events: cgroup_leaf_count() */
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/cgroup.events", name);
	int fd = openat(scope_fd, path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int cgroup_leaf_remove(const char *name)
{
	if (scope_fd < 0)
		return 0;
	if (!path_component_ok(name))
		return -EINVAL;
	return remove_tree(scope_fd, name, 0);
}

int64_t cgroup_parse_key(const char *text, const char *key)
{
	size_t n = strlen(key);
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p += p != NULL) {
		if (strncmp(p, key, n) == 0 && p[n] == ' ') {
			char *end;
			long long v = strtoll(p + n + 1, &end, 10);
			return end > p + n + 1 && v >= 0 ? v : -1;
		}
	}
	return -1;
}

/* The single number in file NAME/FILE of the scope, or -1. */
static int64_t read_number(const char *name, const char *file)
{
	char text[64], *end;
	if (read_at(scope_fd, name, file, text, sizeof text) <= 0)
		return -1;
	long long v = strtoll(text, &end, 10);
	return end > text && v >= 0 ? v : -1;
}

int cgroup_leaf_usage(const char *name, struct cgroup_usage *u)
{
	u->cpu_usec = u->mem = u->mem_peak = -1;
	int r = leaf_check(name);
	if (r < 0 || v1)
		return r < 0 ? r : 0;
	char text[512];
	ssize_t n = read_at(scope_fd, name, "cpu.stat", text, sizeof text);
	if (n < 0)
		return (int)n;
	u->cpu_usec = cgroup_parse_key(text, "usage_usec");
	/* Without the memory controller no leaf has memory.current: once one
	 * says so, the others are not asked for a second (a scrape asks a
	 * thousand); then it is looked for again. */
	static struct timespec absent_until;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now); /* vDSO: no system call */
	if (now.tv_sec < absent_until.tv_sec ||
	    (now.tv_sec == absent_until.tv_sec && now.tv_nsec < absent_until.tv_nsec))
		return 0;
	char num[64], *end;
	ssize_t got = read_at(scope_fd, name, "memory.current", num, sizeof num);
	if (got == -ENOENT) {
		absent_until = now;
		absent_until.tv_sec += 1;
	}
	long long v = got > 0 ? strtoll(num, &end, 10) : -1;
	u->mem = got > 0 && end > num && v >= 0 ? v : -1;
	/* since Linux 5.19; only where memory.current is (a metrics scrape
	 * asks for a thousand leaves) */
	u->mem_peak = u->mem >= 0 ? read_number(name, "memory.peak") : -1;
	return 0;
}

/* The pids of REL's cgroup.procs, to FN, at most MAX of them: 0 or more,
 * or -errno. */
static int procs_at(int at, const char *rel, void (*fn)(pid_t, void *), void *ctx, int max)
{
	/* Most cgroups hold a process or two: one read says it all (a metrics
	 * scrape asks a thousand of them). A list that may not have fit is
	 * read again through stdio. */
	char text[1024];
	ssize_t got = read_at(at, rel, "cgroup.procs", text, sizeof text);
	if (got < 0)
		return (int)got;
	int n = 0;
	if ((size_t)got + 16 < sizeof text) {
		char *p = text, *end;
		for (long pid; n < max && (pid = strtol(p, &end, 10), end != p); p = end)
			if (pid > 0) {
				fn((pid_t)pid, ctx);
				n++;
			}
		return n;
	}
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/cgroup.procs", rel);
	int fd = openat(at, path, O_RDONLY | O_CLOEXEC);
	FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
	if (!f) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return -e;
	}
	long pid;
	while (n < max && fscanf(f, "%ld", &pid) == 1)
		if (pid > 0) {
			fn((pid_t)pid, ctx);
			n++;
		}
	fclose(f);
	return n;
}

static int pids_at(int at, const char *rel, void (*fn)(pid_t, void *), void *ctx, int max)
{
	int n = procs_at(at, rel, fn, ctx, max);
	if (n < 0)
		return n;
	/* A cgroup directory's links are 2 and one per child cgroup: most
	 * have none, and are not read (a metrics scrape asks for a thousand). */
	struct stat st;
	if (fstatat(at, rel, &st, 0) == 0 && st.st_nlink == 2)
		return n;
	int sub = openat(at, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = sub >= 0 ? fdopendir(sub) : NULL;
	if (!d) {
		if (sub >= 0)
			close(sub);
		return n;
	}
	struct dirent *de;
	while (n < max && (de = readdir(d)))
		if (de->d_type == DT_DIR && de->d_name[0] != '.') {
			int k = pids_at(dirfd(d), de->d_name, fn, ctx, max - n);
			n += k > 0 ? k : 0;
		}
	closedir(d);
	return n;
}

int cgroup_leaf_pids(const char *name, void (*fn)(pid_t pid, void *ctx), void *ctx, int max)
{
	int r = leaf_check(name);
	return r < 0 ? r : pids_at(scope_fd, name, fn, ctx, max);
}

long cgroup_leaf_oom_kills(const char *name)
{
	int r = leaf_check(name);
	if (r < 0)
		return r;
	if (v1)
		return -EOPNOTSUPP;
	char text[512];
	ssize_t n = read_at(scope_fd, name, "memory.events", text, sizeof text);
	if (n < 0)
		return (long)n; /* no memory controller for the leaves */
	int64_t k = cgroup_parse_key(text, "oom_kill");
	return k < 0 ? -ENOENT : (long)k;
}
