#include "sandbox/mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

const char *const mounts_tunables[] = {
	"/proc/sys", "/proc/sysrq-trigger", "/proc/acpi", "/proc/apm", "/proc/asound",
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/latency_stats", "/proc/mtrr",
	"/proc/scsi", "/proc/timer_stats", "/sys", NULL,
};

const char *mounts_kind_key(enum mount_kind kind)
{
	switch (kind) {
	case MOUNT_BIND: return "bind_paths";
	case MOUNT_READ_ONLY: return "read_only_paths";
	case MOUNT_INACCESSIBLE: return "inaccessible_paths";
	}
	return "?";
}

/* An absolute path without "." or ".." parts, not too long. */
static bool good_path(const char *p, size_t len)
{
	if (!len || p[0] != '/' || len >= PATH_MAX)
		return false;
	for (size_t i = 0; i < len;) {
		while (i < len && p[i] == '/')
			i++;
		size_t j = i;
		while (j < len && p[j] != '/')
			j++;
		size_t part = j - i;
		if ((part == 1 && p[i] == '.') || (part == 2 && p[i] == '.' && p[i + 1] == '.'))
			return false;
		i = j;
	}
	return true;
}

static int add(struct mounts *m, struct mount_entry *e)
{
	struct mount_entry *v = realloc(m->v, (m->n + 1) * sizeof *v);
	if (!v)
		return -ENOMEM;
	m->v = v;
	v[m->n++] = *e; /* its strings now owned by m */
	return 0;
}

int mounts_add_paths(struct mounts *m, enum mount_kind kind, const char *value, char *err,
		     size_t errlen)
{
	size_t words = 0;
	for (const char *p = value; *p;) {
		p += strspn(p, " \t");
		size_t len = strcspn(p, " \t");
		if (!len)
			break;
		words++;
		struct mount_entry e = { .kind = kind };
		const char *path = p;
		if (*path == '-') {
			e.optional = true;
			path++;
		}
		size_t plen = len - (size_t)(path - p);
		if (!good_path(path, plen)) {
			snprintf(err, errlen, "%s: '%.*s' is not an absolute path (without . or ..)",
				 mounts_kind_key(kind), (int)(len > 64 ? 64 : len), p);
			return -EINVAL;
		}
		if (!(e.path = strndup(path, plen)) || add(m, &e) < 0) {
			free(e.path);
			return -ENOMEM;
		}
		p += len;
	}
	if (!words) {
		snprintf(err, errlen, "%s: expected absolute paths", mounts_kind_key(kind));
		return -EINVAL;
	}
	return 0;
}

int mounts_add_binds(struct mounts *m, const char *value, char *err, size_t errlen)
{
	size_t words = 0;
	for (const char *p = value; *p;) {
		p += strspn(p, " \t");
		size_t len = strcspn(p, " \t");
		if (!len)
			break;
		words++;
		struct mount_entry e = { .kind = MOUNT_BIND };
		const char *src = p, *end = p + len;
		if (*src == '-') {
			e.optional = true;
			src++;
		}
		const char *c1 = memchr(src, ':', (size_t)(end - src));
		const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(end - c1 - 1)) : NULL;
		const char *dst = c1 ? c1 + 1 : src;
		const char *dend = c2 ? c2 : end;
		const char *send = c1 ? c1 : end;
		if (c2) {
			size_t olen = (size_t)(end - c2 - 1);
			if (olen == 2 && strncmp(c2 + 1, "ro", 2) == 0) {
				e.read_only = true;
			} else if (!(olen == 2 && strncmp(c2 + 1, "rw", 2) == 0)) {
				snprintf(err, errlen, "bind_paths: '%.*s': expected SRC:DST:ro or :rw",
					 (int)(len > 64 ? 64 : len), p);
				return -EINVAL;
			}
		}
		if (!good_path(src, (size_t)(send - src)) || !good_path(dst, (size_t)(dend - dst))) {
			snprintf(err, errlen, "bind_paths: '%.*s': expected SRC:DST with absolute paths",
				 (int)(len > 64 ? 64 : len), p);
			return -EINVAL;
		}
		e.src = strndup(src, (size_t)(send - src));
		e.path = strndup(dst, (size_t)(dend - dst));
		if (!e.src || !e.path || add(m, &e) < 0) {
			free(e.src);
			free(e.path);
			return -ENOMEM;
		}
		p += len;
	}
	if (!words) {
		snprintf(err, errlen, "bind_paths: expected SRC:DST pairs");
		return -EINVAL;
	}
	return 0;
}

void mounts_sort(struct mounts *m)
{
	/* A stable insertion sort by kind: a handful of entries. */
	for (size_t i = 1; i < m->n; i++) {
		struct mount_entry e = m->v[i];
		size_t j = i;
		for (; j > 0 && m->v[j - 1].kind > e.kind; j--)
			m->v[j] = m->v[j - 1];
		m->v[j] = e;
	}
}

bool mounts_active(const struct mounts *m, bool proc)
{
	return proc || m->private_tmp || m->protect_tunables || m->n > 0;
}

/* Make the mount at PATH, and every mount under it, read-only. */
static int make_read_only(const char *path)
{
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
	if (syscall(SYS_mount_setattr, AT_FDCWD, path, AT_RECURSIVE, &attr, sizeof attr) == 0)
		return 0;
	if (errno != ENOSYS)
		return -errno;
	/* Before Linux 5.12: the top mount only. */
	if (mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
		return -errno;
	return 0;
}

/* Something empty and read-only to put over an inaccessible path: a small
 * tmpfs, not attached anywhere, holding an empty directory and an empty
 * file, both mode 0. Returns its mount fd or -errno. */
static int empty_tree(void)
{
	int fs = (int)syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC);
	if (fs < 0)
		return -errno;
	int r = 0, mnt = -1;
	if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "size", "4k", 0) < 0 ||
	    syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "mode", "0755", 0) < 0 ||
	    syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0 ||
	    (mnt = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC,
				MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC)) < 0) {
		r = -errno;
		close(fs);
		return r;
	}
	close(fs);
	int fd = -1;
	if (mkdirat(mnt, "dir", 0) < 0 ||
	    (fd = openat(mnt, "file", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0)) < 0) {
		r = -errno;
	} else {
		close(fd);
		struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
		if (syscall(SYS_mount_setattr, mnt, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0)
			r = -errno;
	}
	if (r < 0) {
		close(mnt);
		return r;
	}
	return mnt;
}

/* Put EMPTY's "dir" or "file" (whichever PATH is) over PATH. */
static int cover(int empty, const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return -errno;
	int tree = (int)syscall(SYS_open_tree, empty, S_ISDIR(st.st_mode) ? "dir" : "file",
				OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (tree < 0)
		return -errno;
	int r = 0;
	if (syscall(SYS_move_mount, tree, "", AT_FDCWD, path, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		r = -errno;
	close(tree);
	return r;
}

static int mount_tmp(const char *path)
{
	if (mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") < 0)
		return -errno;
	return 0;
}

int mounts_apply(const struct mounts *m, bool proc, int *failed)
{
	int r, empty = -1;
	if (!mounts_active(m, proc))
		return 0;
	/* Nothing mounted here may reach the host; mounts the host makes
	 * later may still reach us. */
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0) {
		*failed = MOUNTS_AT_PROPAGATION;
		return -errno;
	}
	if (proc && mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
		*failed = MOUNTS_AT_PROC;
		return -errno;
	}
	if (m->private_tmp) {
		if ((r = mount_tmp("/tmp")) < 0) {
			*failed = MOUNTS_AT_TMP;
			return r;
		}
		if (access("/var/tmp", F_OK) == 0 && (r = mount_tmp("/var/tmp")) < 0) {
			*failed = MOUNTS_AT_VAR_TMP;
			return r;
		}
	}
	for (size_t i = 0; i < m->n; i++) {
		const struct mount_entry *e = &m->v[i];
		if (e->kind != MOUNT_BIND)
			break;
		r = 0;
		if (mount(e->src, e->path, NULL, MS_BIND | MS_REC, NULL) < 0)
			r = -errno;
		else if (e->read_only)
			r = make_read_only(e->path);
		if (r < 0 && !(r == -ENOENT && e->optional)) {
			*failed = (int)i;
			return r;
		}
	}
	for (size_t i = 0; i < m->n; i++) {
		const struct mount_entry *e = &m->v[i];
		if (e->kind == MOUNT_BIND)
			continue;
		if (e->kind == MOUNT_READ_ONLY) {
			/* a bind of the path onto itself makes it a mount of its own */
			r = 0;
			if (mount(e->path, e->path, NULL, MS_BIND | MS_REC, NULL) < 0)
				r = -errno;
			else
				r = make_read_only(e->path);
		} else {
			if (empty < 0 && (empty = empty_tree()) < 0) {
				*failed = MOUNTS_AT_EMPTY;
				return empty;
			}
			r = cover(empty, e->path);
		}
		if (r < 0 && !(r == -ENOENT && e->optional)) {
			if (empty >= 0)
				close(empty);
			*failed = (int)i;
			return r;
		}
	}
	if (empty >= 0)
		close(empty);
	for (int i = 0; m->protect_tunables && mounts_tunables[i]; i++) {
		const char *path = mounts_tunables[i];
		if (access(path, F_OK) < 0)
			continue; /* not on this kernel, or not configured in */
		/* a bind of the path onto itself makes it a mount of its own */
		r = 0;
		if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0)
			r = -errno;
		else
			r = make_read_only(path);
		if (r < 0) {
			*failed = MOUNTS_AT_TUNABLE - i;
			return r;
		}
	}
	return 0;
}

void mounts_describe(const struct mounts *m, int failed, char *buf, size_t len)
{
	switch (failed) {
	case MOUNTS_AT_PROPAGATION:
		snprintf(buf, len, "making / private");
		return;
	case MOUNTS_AT_PROC:
		snprintf(buf, len, "mounting /proc");
		return;
	case MOUNTS_AT_TMP:
		snprintf(buf, len, "private_tmp /tmp");
		return;
	case MOUNTS_AT_VAR_TMP:
		snprintf(buf, len, "private_tmp /var/tmp");
		return;
	case MOUNTS_AT_EMPTY:
		snprintf(buf, len, "inaccessible_paths (making an empty file system)");
		return;
	}
	if (failed <= MOUNTS_AT_TUNABLE) {
		int i = MOUNTS_AT_TUNABLE - failed, n = 0;
		while (mounts_tunables[n])
			n++;
		snprintf(buf, len, "protect_kernel_tunables %s", i < n ? mounts_tunables[i] : "");
		return;
	}
	if (failed < 0 || (size_t)failed >= m->n) {
		snprintf(buf, len, "mounts");
		return;
	}
	const struct mount_entry *e = &m->v[failed];
	if (e->kind == MOUNT_BIND)
		snprintf(buf, len, "bind_paths %s:%s", e->src, e->path);
	else
		snprintf(buf, len, "%s %s", mounts_kind_key(e->kind), e->path);
}

void mounts_free(struct mounts *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->v[i].src);
		free(m->v[i].path);
	}
	free(m->v);
	memset(m, 0, sizeof *m);
}

static bool str_eq(const char *a, const char *b)
{
	return (!a || !b) ? a == b : strcmp(a, b) == 0;
}

bool mounts_equal(const struct mounts *a, const struct mounts *b)
{
	if (a->private_tmp != b->private_tmp || a->protect_tunables != b->protect_tunables ||
	    a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		const struct mount_entry *x = &a->v[i], *y = &b->v[i];
		if (x->kind != y->kind || x->read_only != y->read_only ||
		    x->optional != y->optional || !str_eq(x->src, y->src) ||
		    !str_eq(x->path, y->path))
			return false;
	}
	return true;
}
