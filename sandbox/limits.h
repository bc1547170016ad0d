/* limits — cgroup v2 limits of a worker's scope: memory_max, pids_max,
 * cpu_max. They are written into the worker's own cgroup before it is
 * started, and only work where the controller is enabled for corrald's
 * cgroups; whether it is, is read from cgroup.controllers and said, never
 * assumed. Nothing here prints. */
#ifndef CORRAL_LIMITS_H
#define CORRAL_LIMITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum limits_index { LIMITS_MEMORY, LIMITS_PIDS, LIMITS_CPU, LIMITS_N };

struct limits {
	bool set[LIMITS_N];
	char value[LIMITS_N][48];   /* as the cgroup file takes it: "268435456", "max",
				     * "50000 100000" */
};

/* The index for a config key ("memory_max"), or -1. */
int limits_key(const char *key);
const char *limits_key_name(int i);
/* The controller ("memory", "pids", "cpu") and its file ("memory.max"). */
const char *limits_controller(int i);
const char *limits_file(int i);

/* Parse VALUE for index I: memory_max takes bytes with K, M, G or T, or
 * max; pids_max a number or max; cpu_max a percentage of one CPU ("50%",
 * "200%"), "QUOTA PERIOD" in microseconds, or max. -EDOM with what was
 * expected in ERR. */
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

bool limits_equal(const struct limits *a, const struct limits *b);

#endif
