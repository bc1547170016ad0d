/* users — who a worker runs as: its user, its group and its supplementary
 * groups, looked up when the config is read (a name that does not exist is
 * a config error, not a spawn failure) and set in the child in the one safe
 * order: setgroups, setresgid, setresuid. Nothing here prints. */
#ifndef CORRAL_USERS_H
#define CORRAL_USERS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define USERS_MAX_GROUPS 1024

struct users {
	bool has_user, has_group, has_groups;
	uid_t uid;
	gid_t gid;              /* the group's, or else the user's primary group */
	gid_t *groups;          /* supplementary; heap, owned; NULL when none */
	size_t ngroups;
	char *user_name;        /* as looked up, for show; heap, owned */
};

/* The system call that failed in users_apply(). */
enum users_call { USERS_SETGROUPS, USERS_SETGID, USERS_SETUID, USERS_KEEPCAPS, USERS_DUMPABLE };

/* "user": a name or a number. A name takes its uid and primary group; a
 * number without a passwd entry needs `group` too (checked by
 * users_finish). -EINVAL with ERR "unknown user 'x'", or -ENOMEM. */
int users_set_user(struct users *u, const char *value, char *err, size_t errlen);
/* "group": a name or a number. */
int users_set_group(struct users *u, const char *value, char *err, size_t errlen);
/* "supplementary_groups": names or numbers separated by blanks or commas,
 * or "none". */
int users_set_groups(struct users *u, const char *value, char *err, size_t errlen);

/* Once every key is read: the primary group and, when supplementary_groups
 * was not given, the user's groups from the group database (as login
 * would). 0, or -EINVAL with ERR, or -ENOMEM. */
int users_finish(struct users *u, char *err, size_t errlen);

/* True when the worker changes its ids at all. */
bool users_active(const struct users *u);

/* In the child. KEEP_CAPS: keep the permitted capabilities across the uid
 * change (the capability step needs them); DUMPABLE: stay dumpable so the
 * worker can still write its own /proc files (the user namespace step
 * needs that). 0, or -errno with *FAILED an enum users_call.
 * Async-signal-safe, no allocation. */
int users_apply(const struct users *u, bool keep_caps, bool dumpable, int *failed);

const char *users_call_name(int call);

void users_free(struct users *u);
bool users_equal(const struct users *a, const struct users *b);

#endif
