/* limits — cgroup limits of a worker's scope: memory_max, pids_max,
 * cpu_max. They are written into the worker's own cgroup before it is
 * started: its v2 leaf where the controller is enabled for corrald's
 * cgroups (read from cgroup.controllers and said, never assumed), else its
 * cgroup in the v1 hierarchy of the controller (supervisor/cgroup1.h).
 * Nothing here prints. */
#ifndef CORRAL_LIMITS_H
#define CORRAL_LIMITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum limits_index { LIMITS_MEMORY, LIMITS_PIDS, LIMITS_CPU, LIMITS_MEMORY_HIGH, LIMITS_CPU_WEIGHT,
		    LIMITS_MEMORY_SWAP, LIMITS_IO_WEIGHT, LIMITS_N };

struct limits {
	bool set[LIMITS_N];
	int line[LIMITS_N];         /* where the key was written (the config's), for messages */
	char value[LIMITS_N][48];   /* as the cgroup file takes it: "268435456", "max",
				     * "50000 100000" */
};

/* The index for a config key ("memory_max"), or -1. */
int limits_key(const char *key);
const char *limits_key_name(int i);
/* The controller ("memory", "pids", "cpu") and its file ("memory.max"). */
const char *limits_controller(int i);
const char *limits_file(int i);

/* Parse VALUE for index I: memory_max, memory_high and memory_swap_max
 * take bytes with K, M, G or T, or max; pids_max a number or max; cpu_max a
 * percentage of one CPU ("50%", "200%"), "QUOTA PERIOD" in microseconds, or
 * max; cpu_weight and io_weight 1 to 10000 (100 is everyone's default).
 * -EDOM with what was expected in ERR. */
int limits_parse(struct limits *l, int i, const char *value, char *err, size_t errlen);

/* Controllers named in the text of a cgroup.controllers file, as a mask
 * of 1 << index. */
unsigned limits_parse_controllers(const char *text);
/* The mask of limits L asks for. */
unsigned limits_wanted(const struct limits *l);

/* The controllers enabled for the children of the cgroup directory DIR
 * (its cgroup.subtree_control) as a mask; -errno when it cannot be read. */
int limits_enabled(const char *dir);
/* Enable the controllers in WANT for DIR's children where DIR's
 * cgroup.controllers offers them. Returns the mask now enabled, or -errno;
 * ERR says why a wanted one is not. */
int limits_enable(const char *dir, unsigned want, char *err, size_t errlen);

/* Write the limits in ENABLED into the cgroup directory fd DIRFD.
 * 0, or -errno with *FAILED the index. */
int limits_apply(int dirfd, const struct limits *l, unsigned enabled, int *failed);

/* Whether cgroup v1 has limit I (memory_high it has not: v1's soft limit
 * is another thing). */
bool limits_v1_has(int i);
/* Limit I's controller in cgroup v1 ("blkio" for io_weight), and the file
 * its hierarchy must have for it, where that depends on the kernel
 * (blkio.weight exists only with the CFQ or BFQ scheduler, memory.memsw.*
 * only with swap accounting), else NULL. */
const char *limits_v1_controller(int i);
const char *limits_v1_file(int i);
/* Write limit I of L into the cgroup v1 directory DIRFD of its controller:
 * memory.limit_in_bytes, pids.max, cpu.cfs_period_us then cpu.cfs_quota_us,
 * cpu.shares (1024 for a weight of 100), memory.memsw.limit_in_bytes
 * (memory and swap together in v1: memory_max + memory_swap_max, so it
 * needs memory_max, -EINVAL without), or blkio.weight (10 to 1000: the
 * weight over 10). 0 or -errno (-EOPNOTSUPP: v1 has none). */
int limits_apply_v1(int dirfd, const struct limits *l, int i);

/* Limit I of L as the config would say it ("64M" for memory_max), in BUF. */
const char *limits_show(const struct limits *l, int i, char *buf, size_t len);

bool limits_equal(const struct limits *a, const struct limits *b);

#endif
