/* cgroup — scopes: one cgroup leaf per process instance, all under one
 * directory of corrald's own (the scope root), so that a whole tree can be
 * killed (cgroup.kill) and known to be empty (cgroup.events "populated 0")
 * however its processes fork, setsid or re-parent themselves. cgroup v2;
 * or, on a host without a writable v2 hierarchy, cgroup v1 (the freezer's
 * hierarchy, or the pids one), with the same functions doing the same by
 * v1's means (cgroup_scope_v1()).
 *
 * The scope root is NAME under corrald's own cgroup, found from
 * /proc/self/cgroup and /proc/self/mountinfo. Leaves are addressed by name
 * relative to it; a name that is not one path component (path.h) is
 * refused with -EINVAL, so that no leaf is ever outside the scope. Nothing
 * here prints; functions return 0 or -errno and may fill an error message. */
#ifndef CORRAL_CGROUP_H
#define CORRAL_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Find the cgroup2 mount and corrald's own cgroup in the given files (so
 * tests can feed their own), and join them into ROOT: the directory under
 * which corrald may create cgroups. -ENOENT with a reason in ERR when there
 * is no cgroup2 mount or no v2 line in the cgroup file. */
int cgroup_find_own(const char *mountinfo, const char *proc_cgroup, char *root, size_t len,
		    char *err, size_t errlen);

/* Create (or take over) the scope root ROOT/NAME. A scope left by a
 * predecessor that died is emptied first: its trees are killed and waited
 * for (at most TIMEOUT_MS) and its leaves removed; *LEFTOVER_PROCS and
 * *LEFTOVER_LEAVES say what was found. 0, or -errno with ERR filled. */
/* The guard: wait up to MS for the lock of a corrald that is dying (its
 * pipe to the guard may close before its scope's descriptor does); corrald
 * itself does not wait (0, the default): a held scope is another's. */
void cgroup_scope_lock_patience(int ms);

int cgroup_scope_open(const char *root, const char *name, int timeout_ms, int *leftover_procs,
		      int *leftover_leaves, char *err, size_t errlen);
/* Whether the scope is a cgroup v1 one (found from the file system of the
 * directory): no cgroup.kill (a kill freezes, kills every pid, thaws), no
 * cgroup.events (cgroup_leaf_events() says -EOPNOTSUPP: count instead),
 * no CLONE_INTO_CGROUP (a worker joins by writing cgroup.procs). And
 * whether its hierarchy has the freezer. */
bool cgroup_scope_v1(void);
bool cgroup_scope_freezer(void);
/* The scope root's path, or NULL when no scope is open. */
const char *cgroup_scope_path(void);
/* The scope directory's descriptor, which holds its lock (-1: none): what
 * goes across an exec of corrald. */
int cgroup_scope_fd(void);
/* After the exec: FD (from cgroup_scope_fd before it) is the scope at PATH
 * again, nothing in it killed. 0 or -errno. */
int cgroup_scope_adopt(int fd, const char *path);
/* Kill everything in the scope, wait for it to empty (at most TIMEOUT_MS),
 * remove every leaf and the scope root itself. Safe when none is open. */
int cgroup_scope_close(int timeout_ms);

/* A directory fd for leaf NAME (created if missing), for CLONE_INTO_CGROUP.
 * The caller closes it. -ENOENT when the scope itself is gone. */
int cgroup_leaf_open(const char *name);

/* The scope directory was removed from outside while corrald runs (by hand,
 * or a cleaning tool): make it again at the same path and use it. 1 when it
 * was made again, 0 when it was there, -errno. */
int cgroup_scope_repair(void);

/* Remove the empty directories named PREFIX... under ROOT (beside our own
 * scope) that no live corrald holds: what a corrald killed as a container's
 * PID 1 (no guard there) leaves. How many were removed, or -errno. */
int cgroup_sweep_orphans(const char *root, const char *prefix);
/* Kill every process in leaf NAME (cgroup.kill). */
int cgroup_leaf_kill(const char *name);
/* Send SIG to every process in leaf NAME. Returns how many were signalled
 * or -errno. */
int cgroup_leaf_signal(const char *name, int sig);
/* How many processes are in leaf NAME (and its sub-cgroups), or -errno. */
int cgroup_leaf_count(const char *name);
/* An fd on leaf NAME's cgroup.events; it polls EPOLLPRI when "populated"
 * changes. The caller closes it. */
int cgroup_leaf_events(const char *name);
/* 1 when the cgroup behind an events fd is populated, 0 when empty, -errno. */
int cgroup_events_populated(int fd);
/* Remove leaf NAME and any sub-cgroups a worker made in it. They must be
 * empty; -EBUSY otherwise. Missing is fine. */
int cgroup_leaf_remove(const char *name);

/* What a leaf's processes used, from its cgroup's files; -1 where it does
 * not say (a v1 scope, a v2 hierarchy without the memory controller). */
struct cgroup_usage {
	int64_t cpu_usec;      /* CPU time, user and system */
	int64_t mem, mem_peak; /* memory now, and the most since it was made */
};
/* Leaf NAME's usage into U (its fields -1 first). 0 or -errno. */
int cgroup_leaf_usage(const char *name, struct cgroup_usage *u);
/* How many times the OOM killer killed in leaf NAME (memory.events'
 * oom_kill), or -errno (no memory controller for the leaves, a v1 scope). */
long cgroup_leaf_oom_kills(const char *name);
/* Each pid of leaf NAME (and its sub-cgroups) to FN, at most MAX. How many,
 * or -errno. */
int cgroup_leaf_pids(const char *name, void (*fn)(pid_t pid, void *ctx), void *ctx, int max);
/* The number after "KEY " on a line of TEXT (cpu.stat's usage_usec), or -1. */
int64_t cgroup_parse_key(const char *text, const char *key);

/* Parse the text of a cgroup.events file: 1 populated, 0 empty, -EINVAL. */
int cgroup_parse_populated(const char *text);

#endif
