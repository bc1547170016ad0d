/* cgroup1 — limits through cgroup v1 controllers (cgroup1.h). */
#include "supervisor/cgroup1.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ipc/io.h"
#include "supervisor/cgroup.h"
#include "supervisor/path.h"

static struct {
	/* The scope directory in the hierarchy of each limit; "" for none.
	 * Two limits may share one (cpu and cpuacct mounted together). */
	char scope[LIMITS_N][PATH_MAX];
	unsigned mask;
} G;

/* Whether TOKEN is one of the comma-separated words of LIST. */
static int has_word(const char *list, const char *token)
{
	size_t n = strlen(token);
	for (const char *p = list; p && *p;) {
		size_t w = strcspn(p, ",");
		if (w == n && strncmp(p, token, n) == 0)
			return 1;
		p += w;
		p += *p == ',';
	}
	return 0;
}

int cgroup1_find(const char *mountinfo, const char *proc_cgroup, const char *controller,
		 char *dir, size_t len)
{
	char mount[PATH_MAX] = "", mroot[PATH_MAX] = "", own[PATH_MAX] = "", *line = NULL;
	size_t cap = 0;
	FILE *f = fopen(mountinfo, "re");
	if (!f)
		return -errno;
	/* "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory" */
	while (!mount[0] && getline(&line, &cap, f) > 0) {
		line[strcspn(line, "\n")] = '\0';
		char *sep = strstr(line, " - cgroup ");
		if (!sep)
			continue;
		char *opts = strrchr(sep, ' ');
		if (!opts || !has_word(opts + 1, controller))
			continue;
		*sep = '\0';
		char *save = NULL, *field = strtok_r(line, " ", &save), *root = NULL;
		for (int i = 0; field && i < 4; i++) {
			field = strtok_r(NULL, " ", &save);
			if (i == 2)
				root = field;
		}
		if (field && root && strlen(field) < sizeof mount && strlen(root) < sizeof mroot) {
			strcpy(mount, field);
			strcpy(mroot, root);
			path_unescape_octal(mount);
			path_unescape_octal(mroot);
		}
	}
	fclose(f);
	if (!mount[0]) {
		free(line);
		return -ENOENT;
	}
	if (!(f = fopen(proc_cgroup, "re"))) {
		int e = errno;
		free(line);
		return -e;
	}
	/* "4:memory:/path"; the controllers of a line are comma-separated */
	while (!own[0] && getline(&line, &cap, f) > 0) {
		line[strcspn(line, "\n")] = '\0';
		char *a = strchr(line, ':'), *b = a ? strchr(a + 1, ':') : NULL;
		if (!b)
			continue;
		*b = '\0';
		if (has_word(a + 1, controller) && strlen(b + 1) < sizeof own)
			strcpy(own, b + 1);
	}
	fclose(f);
	free(line);
	if (!own[0] || strstr(own, " (deleted)"))
		return -ENOENT;
	/* In a container the mount's root is its own cgroup: the path below it. */
	const char *rel = own;
	size_t rl = strlen(mroot);
	if (strcmp(mroot, "/") != 0 && strncmp(own, mroot, rl) == 0 &&
	    (own[rl] == '/' || own[rl] == '\0'))
		rel = own + rl;
	int n = snprintf(dir, len, "%s%s", mount, strcmp(rel, "/") == 0 ? "" : rel);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Remove every empty cgroup directly under DIR. */
static void remove_empty_children(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_type != DT_DIR || !path_component_ok(e->d_name))
			continue;
		(void)unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR); /* EBUSY: still in use */
	}
	closedir(d);
}

/* Whether limit I's scope is the same directory as an earlier one's. */
static bool shared_with_earlier(int i)
{
	for (int j = 0; j < i; j++)
		if ((G.mask & (1u << j)) && strcmp(G.scope[j], G.scope[i]) == 0)
			return true;
	return false;
}

/* Limit I's v1 hierarchy, corrald's cgroup in it into DIR, when corrald
 * may make cgroups there and it has the limit's file (blkio.weight only
 * with CFQ or BFQ, memsw only with swap accounting). */
static bool usable(int i, char *dir, size_t len)
{
	char probe[PATH_MAX];
	const char *file = limits_v1_file(i);
	return limits_v1_has(i) &&
	       cgroup1_find("/proc/self/mountinfo", "/proc/self/cgroup", limits_v1_controller(i), dir,
			    len) == 0 &&
	       access(dir, W_OK) == 0 &&
	       (!file || (path_join(probe, sizeof probe, dir, file) == 0 && access(probe, F_OK) == 0));
}

unsigned cgroup1_open(const char *name, unsigned skip)
{
	G.mask = 0;
	if (!path_component_ok(name))
		return 0;
	for (int i = 0; i < LIMITS_N; i++) {
		char dir[PATH_MAX];
		G.scope[i][0] = '\0';
		/* the scope is made when a limit first needs it (cgroup1_leaf_make) */
		if ((skip & (1u << i)) || !usable(i, dir, sizeof dir) ||
		    path_join(G.scope[i], sizeof G.scope[i], dir, name) < 0) {
			G.scope[i][0] = '\0';
			continue;
		}
		G.mask |= 1u << i;
		if (!shared_with_earlier(i))
			remove_empty_children(G.scope[i]);
	}
	return G.mask;
}

unsigned cgroup1_available(unsigned skip)
{
	unsigned mask = 0;
	for (int i = 0; i < LIMITS_N; i++) {
		char dir[PATH_MAX];
		if (!(skip & (1u << i)) && usable(i, dir, sizeof dir))
			mask |= 1u << i;
	}
	return mask;
}

unsigned cgroup1_mask(void)
{
	return G.mask;
}

int cgroup1_leaf_remove(const char *name)
{
	if (!path_component_ok(name))
		return -EINVAL;
	int r = 0;
	for (int i = 0; i < LIMITS_N; i++) {
		char path[PATH_MAX];
		if (!(G.mask & (1u << i)) || shared_with_earlier(i) ||
		    path_join(path, sizeof path, G.scope[i], name) < 0)
			continue;
		if (rmdir(path) < 0 && errno != ENOENT && r == 0)
			r = -errno;
	}
	return r;
}

int cgroup1_leaf_make(const char *name, const struct limits *l, unsigned mask, int *fds,
		      int *failed)
{
	if (!path_component_ok(name))
		return -EINVAL;
	int n = 0, r = 0;
	for (int i = 0; i < LIMITS_N && r == 0; i++) {
		if (!(mask & G.mask & (1u << i)) || !l->set[i])
			continue;
		char path[PATH_MAX];
		if ((r = path_join(path, sizeof path, G.scope[i], name)) < 0) {
			*failed = i;
			break;
		}
		bool shared = false; /* this hierarchy's cgroup was made for an earlier limit */
		for (int j = 0; j < i && !shared; j++)
			shared = (mask & G.mask & (1u << j)) && l->set[j] &&
				 strcmp(G.scope[j], G.scope[i]) == 0;
		if (!shared) {
			/* afresh, so that its counts are this run's; one still
			 * holding processes (killmode = process) is used as it is */
			if (mkdir(G.scope[i], 0755) < 0 && errno != EEXIST)
				r = -errno;
			else if (rmdir(path) < 0 && errno != ENOENT && errno != EBUSY) {
				r = -errno;
			} else if (mkdir(path, 0755) < 0 && errno != EEXIST) {
				r = -errno;
			}
		}
		int dfd = r == 0 ? open(path, O_DIRECTORY | O_CLOEXEC) : -1;
		if (r == 0 && dfd < 0)
			r = -errno;
		if (r == 0)
			r = limits_apply_v1(dfd, l, i);
		if (r == 0 && !shared) {
			int pfd = openat(dfd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
			if (pfd < 0)
				r = -errno;
			else
				fds[n++] = pfd;
		}
		if (dfd >= 0)
			close(dfd);
		if (r < 0)
			*failed = i;
	}
	if (r < 0) {
		while (n > 0)
			close(fds[--n]);
		(void)cgroup1_leaf_remove(name);
		return r;
	}
	return n;
}

/* Instance NAME's FILE in the memory hierarchy into BUF: its length, or -errno. */
static ssize_t memory_file(const char *name, const char *file, char *buf, size_t len)
{
	char leaf[PATH_MAX], path[PATH_MAX];
	if (!(G.mask & (1u << LIMITS_MEMORY)))
		return -ENOENT;
	if (path_join(leaf, sizeof leaf, G.scope[LIMITS_MEMORY], name) < 0 ||
	    path_join(path, sizeof path, leaf, file) < 0)
		return -ENAMETOOLONG;
	return io_read_text(path, buf, len);
}

long cgroup1_oom_kills(const char *name)
{
	char text[256];
	ssize_t n = memory_file(name, "memory.oom_control", text, sizeof text);
	if (n < 0)
		return (long)n;
	/* "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n" (the last since Linux 4.13) */
	int64_t k = cgroup_parse_key(text, "oom_kill");
	return k < 0 ? -ENOENT : (long)k;
}

/* The number in NAME's FILE in the memory hierarchy, or -1. */
static int64_t memory_number(const char *name, const char *file)
{
	char text[64], *end;
	if (memory_file(name, file, text, sizeof text) <= 0)
		return -1;
	long long v = strtoll(text, &end, 10);
	return end > text && v >= 0 ? v : -1;
}

int cgroup1_memory(const char *name, int64_t *mem, int64_t *peak)
{
	*mem = *peak = -1;
	if (!path_component_ok(name))
		return -ENOENT;
	*mem = memory_number(name, "memory.usage_in_bytes");
	*peak = memory_number(name, "memory.max_usage_in_bytes");
	return *mem < 0 ? -ENOENT : 0;
}

void cgroup1_close(void)
{
	for (int i = 0; i < LIMITS_N; i++) {
		if (!(G.mask & (1u << i)) || shared_with_earlier(i))
			continue;
		remove_empty_children(G.scope[i]);
		(void)rmdir(G.scope[i]);
	}
	G.mask = 0;
}
