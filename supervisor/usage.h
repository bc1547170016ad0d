/* usage — what a process's tree uses, CPU time and memory, for `status
 * --json` (and the metrics to come): from its cgroup where the cgroup
 * counts it (v2's cpu.stat, memory.current and memory.peak; the v1 memory
 * cgroup of its limits), else summed over the tree's live processes in
 * /proc (their user and system time, their resident memory); -1 where
 * neither says. */
#ifndef CORRAL_USAGE_H
#define CORRAL_USAGE_H

#include <stdint.h>

struct process;

struct usage {
	int64_t cpu_usec;      /* CPU time, user and system, in microseconds */
	int64_t mem;           /* memory in bytes */
	int64_t mem_peak;      /* the most memory since it started, in bytes (cgroups only) */
	/* The processes of its cgroup tree, when the read walked them (for
	 * what the cgroups did not say), so a status need not count them
	 * again; -1: not walked. */
	int tree;
};

/* P's usage now (all -1 when it is not running). */
void usage_read(const struct process *p, struct usage *u);

#endif
