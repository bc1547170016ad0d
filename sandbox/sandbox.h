/* sandbox — the compiled sandbox of one program: who it runs as, what it
 * may do and see, and its limits; read from the config keys, checked as a
 * whole, compiled (users looked up, capability sets and the seccomp filter
 * built) once per config load, then applied by the spawner's child.
 *
 * The child applies it between fork and exec in this order, each step
 * before the ones that would stop it from working:
 *
 *   cgroup        clone3(CLONE_INTO_CGROUP): born in its own cgroup, with
 *                 memory_max, pids_max and cpu_max written there first
 *   namespaces    clone3(CLONE_NEW*): born in them; loopback brought up
 *   mounts        private propagation, /proc, private_tmp, bind_paths,
 *                 read_only_paths, inaccessible_paths, the kernel's
 *                 tunables read-only (as root, before the user changes)
 *   rlimits       setrlimit (before the user changes: raising a hard
 *                 limit needs root)
 *   user/group    setgroups, setresgid, setresuid; then the user namespace
 *                 (it must map the unprivileged uid)
 *   capabilities  bounding set, permitted/effective/inheritable, ambient
 *   no_new_privs  PR_SET_NO_NEW_PRIVS
 *   seccomp       last, right before exec, so the filter covers the exec
 *                 and nothing between needs to be allowed by it
 *
 * Nothing here prints or exits; the child-side functions allocate nothing. */
#ifndef CORRAL_SANDBOX_H
#define CORRAL_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>

#include "sandbox/caps.h"
#include "sandbox/filter.h"
#include "sandbox/limits.h"
#include "sandbox/mounts.h"
#include "sandbox/namespaces.h"
#include "sandbox/rlimits.h"
#include "sandbox/users.h"

struct sandbox {
	struct users users;
	bool no_new_privs;          /* default true */
	struct caps caps;
	struct filter filter;
	unsigned namespaces;        /* NS_* as written */
	unsigned ns;                /* NS_* in effect: with what mounts and pid imply */
	struct mounts mounts;
	int protect_tunables;       /* protect_kernel_tunables: -1 auto (the default), 0, 1 */
	struct rlimits rlimits;
	struct limits limits;
	bool strict_limits;         /* a limit that cannot be enforced stops the start */
	bool ambient;               /* kept capabilities are made ambient (non-root) */
	bool finished;              /* sandbox_finish() succeeded */
};

/* The config keys, NULL-terminated, and whether KEY is one of them. */
extern const char *const sandbox_keys[];
bool sandbox_is_key(const char *key);

/* A boolean as the config writes it, supervisord's words: true, yes, on,
 * 1 or false, no, off, 0, in any case. False when S is none of them. The
 * sandbox's keys are read with it, and the config reader's others too. */
bool sandbox_parse_bool(const char *s, bool *out);

/* Defaults: nothing changed, no_new_privs on. */
void sandbox_init(struct sandbox *s);

/* Apply one key. 0; -EDOM with ERR saying what was expected (the caller
 * says "bad value for KEY: 'VALUE' (expected ERR)"); -EINVAL with ERR the
 * whole message; -ENOMEM. */
int sandbox_set(struct sandbox *s, const char *key, const char *value, char *err,
		size_t errlen);

/* After the last key: check the keys against each other, look up the
 * user's groups, build capability sets, compile the filter. 0, or -EINVAL
 * with ERR, or -ENOMEM. */
int sandbox_finish(struct sandbox *s, char *err, size_t errlen);

void sandbox_free(struct sandbox *s);
bool sandbox_equal(const struct sandbox *a, const struct sandbox *b);

/* ---- for the spawner ---- */

/* The CLONE_NEW* flags clone3 must create the worker with. */
unsigned long long sandbox_clone_flags(const struct sandbox *s);
/* True when the worker is PID 1 of its own PID namespace. */
bool sandbox_new_pid(const struct sandbox *s);

/* The child's steps, in their order. Each returns 0 or -errno and, for a
 * step of several parts, puts in *DETAIL which part failed (for
 * sandbox_describe). Async-signal-safe, no allocation. */
enum sandbox_step {
	SANDBOX_NAMESPACES, SANDBOX_MOUNTS, SANDBOX_RLIMITS, SANDBOX_USER, SANDBOX_USERNS,
	SANDBOX_CAPS, SANDBOX_NNP, SANDBOX_SECCOMP,
};
int sandbox_child_namespaces(const struct sandbox *s, int *detail);
int sandbox_child_mounts(const struct sandbox *s, int *detail);
int sandbox_child_rlimits(const struct sandbox *s, int *detail);
int sandbox_child_user(const struct sandbox *s, int *detail);
int sandbox_child_userns(const struct sandbox *s, int *detail);
int sandbox_child_caps(const struct sandbox *s, int *detail);
int sandbox_child_nnp(const struct sandbox *s, int *detail);
int sandbox_child_seccomp(const struct sandbox *s, int *detail);

/* What part DETAIL of STEP was: "setresuid 65534", "read_only_paths /srv",
 * "" when nothing more is known. */
void sandbox_describe(const struct sandbox *s, enum sandbox_step step, int detail, char *buf,
		      size_t len);

/* ---- for `corralctl show` ---- */

/* Call LINE with each line of S described, "key: value", and last the
 * exposure summary. ENFORCED: the cgroup limits corrald can enforce (a
 * mask of 1 << enum limits_index); -1 when it cannot tell. */
void sandbox_show(const struct sandbox *s, int enforced,
		  void (*line)(void *ctx, const char *text), void *ctx);

/* A one-line exposure summary and a score from 0 (everything locked) to
 * 10 (nothing), in the spirit of systemd-analyze security. */
int sandbox_exposure(const struct sandbox *s, char *buf, size_t len);

#endif
