/* namespaces — which of the kernel's namespaces a worker gets for itself.
 *
 * All but the user namespace are made by clone3() itself, so the worker is
 * born in them: with `pid` it is PID 1 of its own namespace (and /proc is
 * mounted again, which needs the mount namespace); with `net` it sees only
 * a loopback interface, which is brought up; with `cgroup` its cgroup is
 * the root of what it sees. The user namespace is made last, by the child
 * once it runs as its (non-root) user, so that it maps exactly that uid and
 * gid and the other namespaces stay owned by the host's root: nothing the
 * worker holds inside its user namespace lets it undo its mounts.
 * Nothing here prints. */
#ifndef CORRAL_NAMESPACES_H
#define CORRAL_NAMESPACES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

enum {
	NS_PID = 1 << 0, NS_NET = 1 << 1, NS_IPC = 1 << 2, NS_UTS = 1 << 3,
	NS_MOUNT = 1 << 4, NS_USER = 1 << 5, NS_CGROUP = 1 << 6,
};

/* What failed in namespaces_enter_user(). */
enum namespaces_call { NS_CALL_UNSHARE, NS_CALL_SETGROUPS, NS_CALL_UID_MAP, NS_CALL_GID_MAP };

/* "pid net ipc uts mount user cgroup" (any subset, blanks or commas) into
 * *MASK. -EINVAL with ERR. */
int namespaces_parse(const char *value, unsigned *mask, char *err, size_t errlen);
/* "pid net mount" for MASK; "none" when empty. */
void namespaces_format(unsigned mask, char *buf, size_t len);

/* The CLONE_NEW* flags for clone3() (all of MASK but user). */
unsigned long long namespaces_clone_flags(unsigned mask);

/* In the child, in a new network namespace: bring "lo" up. 0 or -errno. */
int namespaces_loopback_up(void);

/* In the child, running as UID/GID: a new user namespace that maps UID to
 * itself and GID to itself, and nothing else. 0, or -errno with *FAILED an
 * enum namespaces_call. Async-signal-safe, no allocation. */
int namespaces_enter_user(uid_t uid, gid_t gid, int *failed);
const char *namespaces_call_name(int call);

#endif
