/* pidmap — pid to owner, for reaping: SIGCHLD says "some child", waitid
 * with WNOWAIT says which pid, and this says whether it is one of ours or a
 * stray (a re-parented grandchild). Open addressing with linear probing and
 * backward-shift deletion, so there are no tombstones to clean up. The map
 * owns only its slot array. */
#ifndef CORRAL_PIDMAP_H
#define CORRAL_PIDMAP_H

#include <stddef.h>
#include <sys/types.h>

struct pidmap_slot {
	pid_t pid;   /* 0: empty */
	void *value;
};

struct pidmap {
	struct pidmap_slot *slots;
	size_t n, cap;   /* cap is a power of two or 0 */
};

/* Insert or replace. 0, -EINVAL for pid <= 0, or -ENOMEM. */
int pidmap_put(struct pidmap *m, pid_t pid, void *value);
/* The value for PID, or NULL. */
void *pidmap_get(const struct pidmap *m, pid_t pid);
/* Remove PID if present. */
void pidmap_del(struct pidmap *m, pid_t pid);
void pidmap_free(struct pidmap *m);

#endif
