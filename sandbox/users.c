#include "sandbox/users.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

/* A decimal id with nothing around it; ids of -1 (all ones) are refused,
 * since setresuid reads that as "leave unchanged". */
static bool parse_id(const char *s, unsigned long *out)
{
	unsigned long v = 0;
	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (UINT_MAX - 9) / 10)
			return false;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	if (v >= UINT_MAX)
		return false;
	*out = v;
	return true;
}

/* getpwnam_r/getgrnam_r want a buffer whose size they do not know in
 * advance: grow it on ERANGE. */
static int lookup_user(const char *name, bool by_id, uid_t id, struct passwd *pw, char **buf)
{
	size_t len = 1024;
	for (;;) {
		char *b = realloc(*buf, len);
		if (!b)
			return -ENOMEM;
		*buf = b;
		struct passwd *res = NULL;
		int r = by_id ? getpwuid_r(id, pw, b, len, &res) : getpwnam_r(name, pw, b, len, &res);
		if (r == ERANGE && len < (1u << 20)) {
			len *= 2;
			continue;
		}
		if (r != 0)
			return -r;
		return res ? 0 : -ENOENT;
	}
}

static int lookup_group(const char *name, bool by_id, gid_t id, struct group *gr, char **buf)
{
	size_t len = 1024;
	for (;;) {
		char *b = realloc(*buf, len);
		if (!b)
			return -ENOMEM;
		*buf = b;
		struct group *res = NULL;
		int r = by_id ? getgrgid_r(id, gr, b, len, &res) : getgrnam_r(name, gr, b, len, &res);
		if (r == ERANGE && len < (1u << 20)) {
			len *= 2;
			continue;
		}
		if (r != 0)
			return -r;
		return res ? 0 : -ENOENT;
	}
}

int users_set_user(struct users *u, const char *value, char *err, size_t errlen)
{
	struct passwd pw;
	char *buf = NULL;
	unsigned long id = 0;
	bool numeric = parse_id(value, &id);
	int r = lookup_user(value, numeric, (uid_t)id, &pw, &buf);
	if (r == -ENOMEM) {
		free(buf);
		return r;
	}
	free(u->user_name);
	u->user_name = NULL;
	if (r < 0 && !numeric) {
		free(buf);
		if (r == -ENOENT)
			snprintf(err, errlen, "unknown user '%s'", value);
		else
			snprintf(err, errlen, "cannot look up user '%s': %s", value, strerror(-r));
		return -EINVAL;
	}
	u->has_user = true;
	if (r == 0) {
		u->uid = pw.pw_uid;
		if (!u->has_group)
			u->gid = pw.pw_gid;
		u->user_name = strdup(pw.pw_name);
	} else {
		/* a bare uid: valid, but it brings no group (users_finish checks) */
		u->uid = (uid_t)id;
		u->user_name = strdup(value);
	}
	free(buf);
	return u->user_name ? 0 : -ENOMEM;
}

static int resolve_group(const char *value, gid_t *gid, char *err, size_t errlen)
{
	struct group gr;
	char *buf = NULL;
	unsigned long id = 0;
	bool numeric = parse_id(value, &id);
	if (numeric) {
		*gid = (gid_t)id; /* a bare gid needs no entry */
		return 0;
	}
	int r = lookup_group(value, false, 0, &gr, &buf);
	if (r == 0)
		*gid = gr.gr_gid;
	free(buf);
	if (r == -ENOMEM)
		return r;
	if (r == -ENOENT)
		snprintf(err, errlen, "unknown group '%s'", value);
	else if (r < 0)
		snprintf(err, errlen, "cannot look up group '%s': %s", value, strerror(-r));
	return r < 0 ? -EINVAL : 0;
}

int users_set_group(struct users *u, const char *value, char *err, size_t errlen)
{
	gid_t g;
	int r = resolve_group(value, &g, err, errlen);
	if (r < 0)
		return r;
	u->has_group = true;
	u->gid = g;
	return 0;
}

int users_set_groups(struct users *u, const char *value, char *err, size_t errlen)
{
	gid_t *v = NULL;
	size_t n = 0;
	int r = 0;
	if (strcmp(value, "none") != 0) {
		for (const char *p = value; *p;) {
			p += strspn(p, " \t,");
			size_t len = strcspn(p, " \t,");
			if (!len)
				break;
			char name[256];
			if (len >= sizeof name) {
				snprintf(err, errlen, "group name too long: '%.32s...'", p);
				r = -EINVAL;
				goto fail;
			}
			memcpy(name, p, len);
			name[len] = '\0';
			p += len;
			if (n == USERS_MAX_GROUPS) {
				snprintf(err, errlen, "more than %d supplementary groups", USERS_MAX_GROUPS);
				r = -EINVAL;
				goto fail;
			}
			gid_t *nv = realloc(v, (n + 1) * sizeof *v);
			if (!nv) {
				r = -ENOMEM;
				goto fail;
			}
			v = nv;
			if ((r = resolve_group(name, &v[n], err, errlen)) < 0)
				goto fail;
			n++;
		}
		if (!n) {
			snprintf(err, errlen, "expected group names or none");
			r = -EINVAL;
			goto fail;
		}
	}
	free(u->groups);
	u->groups = v; /* now owned by u */
	u->ngroups = n;
	u->has_groups = true;
	return 0;
fail:
	free(v);
	return r;
}

int users_finish(struct users *u, char *err, size_t errlen)
{
	if (!u->has_user)
		return 0;
	struct passwd pw;
	char *buf = NULL;
	int r = lookup_user(NULL, true, u->uid, &pw, &buf);
	if (r == -ENOMEM) {
		free(buf);
		return r;
	}
	if (r < 0 && !u->has_group) {
		free(buf);
		snprintf(err, errlen, "user %u has no passwd entry: set group too", (unsigned)u->uid);
		return -EINVAL;
	}
	if (r == 0 && !u->has_groups) {
		/* the user's own groups, as login and supervisord give them */
		int n = 32;
		for (;;) {
			gid_t *v = realloc(u->groups, (size_t)n * sizeof *v);
			if (!v) {
				free(buf);
				return -ENOMEM;
			}
			u->groups = v;
			int want = n;
			if (getgrouplist(pw.pw_name, u->gid, v, &want) >= 0) {
				u->ngroups = (size_t)want;
				break;
			}
			if (want <= n || want > USERS_MAX_GROUPS) {
				free(buf);
				snprintf(err, errlen, "user '%s' is in more than %d groups", pw.pw_name,
					 USERS_MAX_GROUPS);
				return -EINVAL;
			}
			n = want;
		}
	}
	free(buf);
	return 0;
}

bool users_active(const struct users *u)
{
	return u->has_user || u->has_group || u->has_groups;
}

int users_apply(const struct users *u, bool keep_caps, bool dumpable, int *failed)
{
	if (!users_active(u))
		return 0;
	/* Supplementary groups first, while we may still change them; then
	 * the group, then the user, after which none of this is allowed. */
	if (setgroups(u->ngroups, u->groups) < 0) {
		*failed = USERS_SETGROUPS;
		return -errno;
	}
	if ((u->has_group || u->has_user) && setresgid(u->gid, u->gid, u->gid) < 0) {
		*failed = USERS_SETGID;
		return -errno;
	}
	if (!u->has_user)
		return 0;
	if (keep_caps && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) {
		*failed = USERS_KEEPCAPS;
		return -errno;
	}
	if (setresuid(u->uid, u->uid, u->uid) < 0) {
		*failed = USERS_SETUID;
		return -errno;
	}
	/* A change of uid makes the process undumpable, and its /proc files
	 * root's: it could not write its own uid_map. */
	if (dumpable && prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0) {
		*failed = USERS_DUMPABLE;
		return -errno;
	}
	return 0;
}

const char *users_call_name(int call)
{
	switch (call) {
	case USERS_SETGROUPS: return "setgroups";
	case USERS_SETGID: return "setresgid";
	case USERS_SETUID: return "setresuid";
	case USERS_KEEPCAPS: return "prctl(PR_SET_KEEPCAPS)";
	case USERS_DUMPABLE: return "prctl(PR_SET_DUMPABLE)";
	}
	return "?";
}

void users_free(struct users *u)
{
	free(u->groups);
	free(u->user_name);
	memset(u, 0, sizeof *u);
}

bool users_equal(const struct users *a, const struct users *b)
{
	return a->has_user == b->has_user && a->has_group == b->has_group &&
	       a->has_groups == b->has_groups && a->uid == b->uid && a->gid == b->gid &&
	       a->ngroups == b->ngroups &&
	       (!a->ngroups || memcmp(a->groups, b->groups, a->ngroups * sizeof *a->groups) == 0);
}
