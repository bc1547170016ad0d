/* rlimits — the resource limits (setrlimit) a worker starts with.
 *
 * A value is "N" (soft and hard limit both N), "SOFT:HARD", or "infinity"
 * in either place; limits counted in bytes take K, M, G or T (powers of
 * 1024), rlimit_cpu takes seconds. Nothing here prints. */
#ifndef CORRAL_RLIMITS_H
#define CORRAL_RLIMITS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/resource.h>

enum rlimits_index {
	RLIMITS_NOFILE, RLIMITS_NPROC, RLIMITS_AS, RLIMITS_CORE, RLIMITS_CPU, RLIMITS_FSIZE,
	RLIMITS_N
};

struct rlimits {
	bool set[RLIMITS_N];
	struct rlimit lim[RLIMITS_N];
};

/* The index for a config key ("rlimit_nofile"), or -1. */
int rlimits_key(const char *key);
/* "rlimit_nofile" and "RLIMIT_NOFILE" for index I. */
const char *rlimits_key_name(int i);
const char *rlimits_name(int i);

/* Parse VALUE for index I into *OUT. 0, or -EINVAL with the reason in ERR. */
int rlimits_parse(int i, const char *value, struct rlimit *out, char *err, size_t errlen);

/* "1024", "1024:4096", "infinity", "4G" — the form rlimits_parse reads. */
void rlimits_format(int i, const struct rlimit *l, char *buf, size_t len);

/* In the child: set every configured limit. 0, or -errno with *FAILED the
 * index of the limit that was refused. Async-signal-safe, no allocation. */
int rlimits_apply(const struct rlimits *r, int *failed);

#endif
