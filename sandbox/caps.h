/* caps — the capabilities a worker keeps, with libcap.
 *
 * `capabilities = CAP_A CAP_B` reduces the bounding set to exactly those
 * and sets them permitted, effective and inheritable; a worker that runs as
 * a non-root user also gets them as ambient capabilities, so that they
 * survive its exec. `capabilities = none` drops every one. The cap_t sets
 * the child installs are built when the config is read: between fork and
 * exec nothing is allocated. Nothing here prints. */
#ifndef CORRAL_CAPS_H
#define CORRAL_CAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/capability.h>

struct caps {
	bool set;               /* the key was given */
	uint64_t keep;          /* bit N: capability N */
	cap_t raise;            /* corrald's permitted set, all effective: enough to
				 * drop the bounding set after a change of uid */
	cap_t final;            /* keep, as permitted, effective and inheritable */
};

/* What failed in caps_apply(). */
enum caps_call { CAPS_RAISE, CAPS_BOUND, CAPS_SET, CAPS_AMBIENT_CLEAR, CAPS_AMBIENT };

/* "CAP_NET_BIND_SERVICE cap_chown, ..." or "none" into *KEEP.
 * -EINVAL with ERR ("unknown capability 'CAP_FOO'"). */
int caps_parse(const char *value, uint64_t *keep, char *err, size_t errlen);

/* Build the cap_t sets for KEEP. 0 or -errno (-ENOMEM). */
int caps_prepare(struct caps *c);

/* In the child, once it runs as its user. AMBIENT: also raise the kept
 * capabilities as ambient ones (for a non-root worker). 0, or -errno with
 * *FAILED an enum caps_call and *CAP the capability concerned (-1: none).
 * Async-signal-safe, no allocation (libcap's cap_set_proc, cap_drop_bound
 * and cap_set_ambient are thin wrappers of system calls). */
int caps_apply(const struct caps *c, bool ambient, int *failed, int *cap);

const char *caps_call_name(int call);

/* "CAP_CHOWN CAP_NET_BIND_SERVICE" or "none" for MASK. */
void caps_format(uint64_t mask, char *buf, size_t len);
/* The name of capability N, "CAP_NET_BIND_SERVICE", written into BUF. */
const char *caps_name(int cap, char *buf, size_t len);

/* The highest capability number this kernel knows, plus one. */
int caps_count(void);

void caps_free(struct caps *c);

#endif
