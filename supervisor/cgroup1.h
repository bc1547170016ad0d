/* cgroup1 — limits through cgroup v1 controllers where the v2 scope has
 * none: on a hybrid host (Debian 10, Ubuntu 20.04, RHEL 8, Amazon Linux 2)
 * v2 tracks processes but memory, pids and cpu sit on v1 hierarchies.
 * There, each instance gets a cgroup of its own in each v1 hierarchy that
 * holds a controller one of its limits needs: NAME under a scope directory
 * below corrald's own cgroup of that hierarchy, its limits written before
 * the worker joins it (the worker writes itself into cgroup.procs first of
 * all, spawn.h). The v2 scope (cgroup.h) still tracks and kills the tree;
 * these hold the limits and their counts, and go with the instance.
 *
 * Masks are of 1 << enum limits_index (sandbox/limits.h). Nothing here
 * prints; functions return 0 or -errno. */
#ifndef CORRAL_CGROUP1_H
#define CORRAL_CGROUP1_H

#include <stddef.h>
#include <stdint.h>

#include "sandbox/limits.h"

/* The directory of corrald's own cgroup in the v1 hierarchy that holds
 * CONTROLLER, from the given files (so tests can feed their own), into
 * DIR. -ENOENT when no v1 hierarchy holds it. */
int cgroup1_find(const char *mountinfo, const char *proc_cgroup, const char *controller,
		 char *dir, size_t len);

/* Find the v1 hierarchies of the limits not in SKIP (those the v2 scope
 * enforces) where corrald may make cgroups; the scope directory NAME in
 * each is made when a limit first needs it (taken over when it is there:
 * after an exec, or left by a corrald that died, whose empty cgroups are
 * removed). Returns the mask of limits enforceable through v1 (0: none). */
unsigned cgroup1_open(const char *name, unsigned skip);
/* That mask. */
unsigned cgroup1_mask(void);
/* The mask cgroup1_open(NAME, SKIP) would give, making nothing (--check). */
unsigned cgroup1_available(unsigned skip);

/* Instance NAME's cgroups for the limits of L in MASK (a subset of
 * cgroup1_mask()), made afresh (an old one of the name is removed first)
 * with L's values written: into FDS (at least LIMITS_N) the descriptors
 * of their cgroup.procs files (O_WRONLY, close-on-exec), for the worker to
 * join. How many, or -errno with *FAILED the limit whose cgroup or file
 * failed (those made are removed again). */
int cgroup1_leaf_make(const char *name, const struct limits *l, unsigned mask, int *fds,
		      int *failed);
/* Remove instance NAME's cgroups. They must be empty; missing is fine. */
int cgroup1_leaf_remove(const char *name);
/* How many times the kernel's OOM killer killed in instance NAME's memory
 * cgroup (memory.oom_control's oom_kill), or -errno. */
long cgroup1_oom_kills(const char *name);
/* Instance NAME's memory now and its peak (memory.usage_in_bytes,
 * memory.max_usage_in_bytes) where it has a v1 memory cgroup: 0, or
 * -ENOENT (then *MEM and *PEAK are -1). */
int cgroup1_memory(const char *name, int64_t *mem, int64_t *peak);
/* Remove every instance's cgroup and the scope directories. */
void cgroup1_close(void);

#endif
