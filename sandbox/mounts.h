/* mounts — what a worker sees of the file system, changed in its own mount
 * namespace: /proc mounted again for a worker in its own PID namespace,
 * private_tmp, bind_paths, read_only_paths, inaccessible_paths.
 *
 * They are applied in that order, each after the ones before it: a path
 * under /tmp or /var/tmp means the private one when private_tmp is on, a
 * read-only path may lie inside a bound one, and an inaccessible path wins
 * over both. Mounts are made private (slave) first: nothing made here is
 * seen outside, while mounts made outside later still show inside. A path
 * written with a leading '-' may be missing; any other must exist.
 * Nothing here prints. */
#ifndef CORRAL_MOUNTS_H
#define CORRAL_MOUNTS_H

#include <stdbool.h>
#include <stddef.h>

enum mount_kind { MOUNT_BIND, MOUNT_READ_ONLY, MOUNT_INACCESSIBLE };

struct mount_entry {
	enum mount_kind kind;
	char *src;              /* MOUNT_BIND: the source; heap, owned */
	char *path;             /* where it applies; heap, owned */
	bool read_only;         /* MOUNT_BIND: src:dst:ro */
	bool optional;          /* written with a leading '-' */
};

struct mounts {
	bool private_tmp;
	bool protect_tunables;  /* the kernel's tunables read-only: mounts_tunables */
	struct mount_entry *v;  /* in the order they are applied; heap, owned */
	size_t n;
};

/* Where mounts_apply() failed: an index into v, or one of these. */
enum {
	MOUNTS_AT_PROPAGATION = -1, MOUNTS_AT_PROC = -2, MOUNTS_AT_TMP = -3,
	MOUNTS_AT_VAR_TMP = -4, MOUNTS_AT_EMPTY = -5,
	MOUNTS_AT_TUNABLE = -100, /* minus the index in mounts_tunables */
};

/* What protect_kernel_tunables makes read-only, last of all (after /proc
 * is mounted again for a PID namespace), where it exists: the files and
 * directories through which root changes the running kernel (/proc/sys
 * checks the uid, not a capability) and the whole of /sys. NULL-ended. */
extern const char *const mounts_tunables[];

/* Add the paths of `read_only_paths` or `inaccessible_paths` (KIND),
 * absolute, separated by blanks. -EINVAL with ERR, -ENOMEM. */
int mounts_add_paths(struct mounts *m, enum mount_kind kind, const char *value, char *err,
		     size_t errlen);
/* Add `bind_paths`: SRC, SRC:DST or SRC:DST:ro|rw, separated by blanks. */
int mounts_add_binds(struct mounts *m, const char *value, char *err, size_t errlen);
/* Put the entries in the order they are applied (binds, read-only,
 * inaccessible), keeping the written order within each kind. */
void mounts_sort(struct mounts *m);

/* True when anything is to be mounted (PROC: /proc is remounted too). */
bool mounts_active(const struct mounts *m, bool proc);

/* In the child, in its own mount namespace, as root. 0, or -errno with
 * *FAILED saying where. Async-signal-safe, no allocation. */
int mounts_apply(const struct mounts *m, bool proc, int *failed);
/* "read_only_paths /srv/data" for a failure at FAILED. */
void mounts_describe(const struct mounts *m, int failed, char *buf, size_t len);

const char *mounts_kind_key(enum mount_kind kind);

void mounts_free(struct mounts *m);
bool mounts_equal(const struct mounts *a, const struct mounts *b);

#endif
