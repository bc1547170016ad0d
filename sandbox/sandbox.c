#include "sandbox/sandbox.h"

#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>

const char *const sandbox_keys[] = {
	"user", "group", "supplementary_groups", "no_new_privs", "capabilities", "seccomp",
	"seccomp_action", "address_families", "namespaces", "private_tmp", "read_only_paths",
	"inaccessible_paths", "bind_paths", "protect_kernel_tunables", "rlimit_nofile", "rlimit_nproc", "rlimit_as",
	"rlimit_core", "rlimit_cpu", "rlimit_fsize", "memory_max", "pids_max", "cpu_max",
	"memory_high", "cpu_weight", "memory_swap_max", "io_weight",
	"strict_limits", NULL,
};

bool sandbox_is_key(const char *key)
{
	for (const char *const *k = sandbox_keys; *k; k++)
		if (strcmp(*k, key) == 0)
			return true;
	return false;
}

void sandbox_init(struct sandbox *s)
{
	memset(s, 0, sizeof *s);
	s->no_new_privs = true;
	s->protect_tunables = -1;
}

bool sandbox_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return true;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return true;
		}
	}
	return false;
}

int sandbox_set(struct sandbox *s, const char *key, const char *value, char *err,
		size_t errlen)
{
	int i;
	bool b;

	if (!*value && strcmp(key, "supplementary_groups") != 0) {
		snprintf(err, errlen, "a value");
		return -EDOM;
	}
	if (strcmp(key, "user") == 0)
		return users_set_user(&s->users, value, err, errlen);
	if (strcmp(key, "group") == 0)
		return users_set_group(&s->users, value, err, errlen);
	if (strcmp(key, "supplementary_groups") == 0) {
		if (!*value) {
			snprintf(err, errlen, "group names or none");
			return -EDOM;
		}
		return users_set_groups(&s->users, value, err, errlen);
	}
	if (strcmp(key, "no_new_privs") == 0 || strcmp(key, "private_tmp") == 0 ||
	    strcmp(key, "strict_limits") == 0) {
		if (!sandbox_parse_bool(value, &b)) {
			snprintf(err, errlen, "true or false");
			return -EDOM;
		}
		if (key[0] == 'n')
			s->no_new_privs = b;
		else if (key[0] == 'p')
			s->mounts.private_tmp = b;
		else
			s->strict_limits = b;
		return 0;
	}
	if (strcmp(key, "protect_kernel_tunables") == 0) {
		if (strcasecmp(value, "auto") == 0) {
			s->protect_tunables = -1;
			return 0;
		}
		if (!sandbox_parse_bool(value, &b)) {
			snprintf(err, errlen, "auto, true or false");
			return -EDOM;
		}
		s->protect_tunables = b;
		return 0;
	}
	if (strcmp(key, "capabilities") == 0) {
		int r = caps_parse(value, &s->caps.keep, err, errlen);
		if (r == 0)
			s->caps.set = true;
		return r;
	}
	if (strcmp(key, "seccomp") == 0)
		return filter_parse_list(&s->filter, value, err, errlen);
	if (strcmp(key, "seccomp_action") == 0)
		return filter_parse_action(&s->filter, value, err, errlen);
	if (strcmp(key, "address_families") == 0)
		return filter_parse_families(&s->filter, value, err, errlen);
	if (strcmp(key, "namespaces") == 0)
		return namespaces_parse(value, &s->namespaces, err, errlen);
	if (strcmp(key, "read_only_paths") == 0)
		return mounts_add_paths(&s->mounts, MOUNT_READ_ONLY, value, err, errlen);
	if (strcmp(key, "inaccessible_paths") == 0)
		return mounts_add_paths(&s->mounts, MOUNT_INACCESSIBLE, value, err, errlen);
	if (strcmp(key, "bind_paths") == 0)
		return mounts_add_binds(&s->mounts, value, err, errlen);
	if ((i = rlimits_key(key)) >= 0) {
		struct rlimit l;
		int r = rlimits_parse(i, value, &l, err, errlen);
		if (r == -EINVAL)
			return -EDOM; /* ERR says what was expected */
		if (r < 0) {
			char why[64];
			snprintf(why, sizeof why, "%s", err);
			snprintf(err, errlen, "%s: %s", key, why);
			return -EINVAL;
		}
		s->rlimits.set[i] = true;
		s->rlimits.lim[i] = l;
		return 0;
	}
	if ((i = limits_key(key)) >= 0)
		return limits_parse(&s->limits, i, value, err, errlen);
	snprintf(err, errlen, "unknown key '%s'", key);
	return -EINVAL;
}

static bool runs_as_root(const struct sandbox *s)
{
	return !s->users.has_user || s->users.uid == 0;
}

int sandbox_finish(struct sandbox *s, char *err, size_t errlen)
{
	int r;
	s->finished = false;
	if ((r = users_finish(&s->users, err, errlen)) < 0)
		return r;
	s->ns = s->namespaces;
	if (s->ns & NS_PID)
		s->ns |= NS_MOUNT; /* for its own /proc */
	/* A root worker that drops its capabilities still writes /proc/sys,
	 * which checks the uid alone; one asked into namespaces means to be
	 * contained. Both get the kernel's tunables read-only unless the
	 * config says otherwise, as systemd's ProtectKernelTunables=. */
	s->mounts.protect_tunables = s->protect_tunables == 1 ||
				     (s->protect_tunables < 0 && (s->caps.set || s->namespaces));
	if (mounts_active(&s->mounts, false))
		s->ns |= NS_MOUNT;
	mounts_sort(&s->mounts);
	if ((s->ns & NS_USER) && runs_as_root(s)) {
		snprintf(err, errlen, "namespaces = user needs user = a user other than root "
				      "(the uid the worker is mapped to)");
		return -EINVAL;
	}
	s->ambient = s->caps.set && !runs_as_root(s);
	if (s->caps.set && (r = caps_prepare(&s->caps)) < 0) {
		snprintf(err, errlen, "capabilities: %s", strerror(-r));
		return r;
	}
	if (s->filter.has_action && !s->filter.has_list) {
		snprintf(err, errlen, "seccomp_action needs seccomp");
		return -EINVAL;
	}
	/* Without no_new_privs, the kernel takes a filter only from a process
	 * with CAP_SYS_ADMIN, which a worker that drops it no longer has. */
	if (s->filter.set && !s->no_new_privs &&
	    ((!runs_as_root(s) && !(s->ns & NS_USER)) ||
	     (s->caps.set && !(s->caps.keep & (1ull << CAP_SYS_ADMIN))))) {
		snprintf(err, errlen, "seccomp needs no_new_privs = true when the worker does not "
				      "keep CAP_SYS_ADMIN");
		return -EINVAL;
	}
	if ((r = filter_compile(&s->filter, err, errlen)) < 0)
		return r;
	s->finished = true;
	return 0;
}

void sandbox_free(struct sandbox *s)
{
	users_free(&s->users);
	caps_free(&s->caps);
	filter_free(&s->filter);
	mounts_free(&s->mounts);
	memset(s, 0, sizeof *s);
}

bool sandbox_equal(const struct sandbox *a, const struct sandbox *b)
{
	return users_equal(&a->users, &b->users) && a->no_new_privs == b->no_new_privs &&
	       a->caps.set == b->caps.set && a->caps.keep == b->caps.keep &&
	       filter_equal(&a->filter, &b->filter) && a->namespaces == b->namespaces &&
	       mounts_equal(&a->mounts, &b->mounts) && a->protect_tunables == b->protect_tunables &&
	       memcmp(&a->rlimits, &b->rlimits, sizeof a->rlimits) == 0 &&
	       limits_equal(&a->limits, &b->limits) && a->strict_limits == b->strict_limits;
}

/* ---- the child's steps ---- */

unsigned long long sandbox_clone_flags(const struct sandbox *s)
{
	return namespaces_clone_flags(s->ns);
}

bool sandbox_new_pid(const struct sandbox *s)
{
	return s->ns & NS_PID;
}

int sandbox_child_namespaces(const struct sandbox *s, int *detail)
{
	*detail = 0;
	return (s->ns & NS_NET) ? namespaces_loopback_up() : 0;
}

int sandbox_child_mounts(const struct sandbox *s, int *detail)
{
	if (!(s->ns & NS_MOUNT))
		return 0;
	return mounts_apply(&s->mounts, s->ns & NS_PID, detail);
}

int sandbox_child_rlimits(const struct sandbox *s, int *detail)
{
	return rlimits_apply(&s->rlimits, detail);
}

int sandbox_child_user(const struct sandbox *s, int *detail)
{
	return users_apply(&s->users, s->caps.set && !runs_as_root(s), s->ns & NS_USER, detail);
}

int sandbox_child_userns(const struct sandbox *s, int *detail)
{
	if (!(s->ns & NS_USER))
		return 0;
	return namespaces_enter_user(s->users.uid, s->users.gid, detail);
}

int sandbox_child_caps(const struct sandbox *s, int *detail)
{
	int call = 0, cap = -1;
	int r = caps_apply(&s->caps, s->ambient, &call, &cap);
	/* both fit: call < 8, cap < 64 */
	*detail = call * 64 + (cap < 0 ? 63 : cap);
	return r;
}

int sandbox_child_nnp(const struct sandbox *s, int *detail)
{
	*detail = 0;
	if (s->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	return 0;
}

int sandbox_child_seccomp(const struct sandbox *s, int *detail)
{
	*detail = 0;
	return filter_install(&s->filter);
}

void sandbox_describe(const struct sandbox *s, enum sandbox_step step, int detail, char *buf,
		      size_t len)
{
	char name[64];
	buf[0] = '\0';
	switch (step) {
	case SANDBOX_NAMESPACES:
		snprintf(buf, len, "bringing up lo");
		break;
	case SANDBOX_MOUNTS:
		mounts_describe(&s->mounts, detail, buf, len);
		break;
	case SANDBOX_RLIMITS:
		snprintf(buf, len, "%s", rlimits_name(detail));
		break;
	case SANDBOX_USER:
		if (detail == USERS_SETUID)
			snprintf(buf, len, "setresuid %u", (unsigned)s->users.uid);
		else if (detail == USERS_SETGID)
			snprintf(buf, len, "setresgid %u", (unsigned)s->users.gid);
		else
			snprintf(buf, len, "%s", users_call_name(detail));
		break;
	case SANDBOX_USERNS:
		snprintf(buf, len, "%s", namespaces_call_name(detail));
		break;
	case SANDBOX_CAPS:
		if (detail % 64 != 63)
			snprintf(buf, len, "%s %s", caps_call_name(detail / 64),
				 caps_name(detail % 64, name, sizeof name));
		else
			snprintf(buf, len, "%s", caps_call_name(detail / 64));
		break;
	case SANDBOX_NNP:
	case SANDBOX_SECCOMP:
		break;
	}
}

/* ---- show ---- */

static void linef(void (*line)(void *, const char *), void *ctx, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void linef(void (*line)(void *, const char *), void *ctx, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	line(ctx, buf);
}

int sandbox_exposure(const struct sandbox *s, char *buf, size_t len)
{
	/* Tenths of a point taken off a fully exposed 10.0 for each measure;
	 * what each is worth is a judgement, like systemd-analyze's weights. */
	int score = 100;
	bool root = runs_as_root(s);
	if (!root || (s->ns & NS_USER))
		score -= 25;
	if (s->caps.set)
		score -= !s->caps.keep ? 20 : (s->caps.keep & (1ull << CAP_SYS_ADMIN)) ? 5 : 15;
	else if (!root)
		score -= 15;
	if (s->filter.has_list)
		score -= s->filter.allow_list ? 20 : 10;
	if (s->no_new_privs)
		score -= 5;
	if (s->ns & NS_NET)
		score -= 10;
	if (s->ns & NS_PID)
		score -= 5;
	if (s->mounts.private_tmp)
		score -= 3;
	if (s->mounts.protect_tunables && root)
		score -= 5;
	for (size_t i = 0; i < s->mounts.n; i++)
		if (s->mounts.v[i].kind != MOUNT_BIND) {
			score -= 4;
			break;
		}
	if (s->ns & (NS_IPC | NS_UTS | NS_CGROUP))
		score -= 3;
	if (score < 0)
		score = 0;
	const char *level = score <= 20 ? "OK" : score <= 50 ? "MEDIUM" : score <= 80 ? "EXPOSED"
											 : "UNSAFE";
	char caps[64] = "all capabilities";
	if (s->caps.set)
		snprintf(caps, sizeof caps, "%s", !s->caps.keep ? "no capabilities" : "some capabilities");
	else if (!root)
		snprintf(caps, sizeof caps, "no capabilities");
	snprintf(buf, len, "%d.%d %s: runs as %s with %s, %s, %s, %s", score / 10, score % 10,
		 level, root ? "root" : s->users.user_name ? s->users.user_name : "a user", caps,
		 !s->filter.has_list ? "every system call"
		 : s->filter.allow_list ? "an allow-list of system calls"
					: "a deny-list of system calls",
		 (s->ns & NS_NET) ? "no network" : "the host's network",
		 (s->ns & NS_MOUNT) ? "a file system view of its own" : "the host's file system");
	return score;
}

void sandbox_show(const struct sandbox *s, int enforced,
		  void (*line)(void *ctx, const char *text), void *ctx)
{
	char buf[512];
	const struct users *u = &s->users;

	if (u->has_user) {
		char groups[256] = "";
		size_t off = 0;
		for (size_t i = 0; i < u->ngroups && off < sizeof groups; i++) {
			int n = snprintf(groups + off, sizeof groups - off, "%s%u", i ? "," : "",
					 (unsigned)u->groups[i]);
			if (n < 0)
				break;
			off += (size_t)n;
		}
		linef(line, ctx, "user: %s (uid %u, gid %u, groups %s)", u->user_name,
		      (unsigned)u->uid, (unsigned)u->gid, u->ngroups ? groups : "none");
	} else if (u->has_group || u->has_groups) {
		linef(line, ctx, "user: corrald's (gid %u, %zu supplementary groups)",
		      (unsigned)u->gid, u->ngroups);
	} else {
		line(ctx, "user: corrald's (unchanged)");
	}
	linef(line, ctx, "no_new_privs: %s", s->no_new_privs ? "yes" : "no");
	if (s->caps.set && !s->caps.keep) {
		line(ctx, "capabilities: none (every set empty, the bounding set too)");
	} else if (s->caps.set) {
		caps_format(s->caps.keep, buf, sizeof buf);
		linef(line, ctx, "capabilities: %s (bounding, permitted, effective%s)", buf,
		      s->ambient ? ", ambient" : "");
	} else {
		linef(line, ctx, "capabilities: %s", runs_as_root(s) ? "corrald's (unchanged)"
								   : "none (a non-root user)");
	}
	namespaces_format(s->ns, buf, sizeof buf);
	linef(line, ctx, "namespaces: %s%s", buf,
	      (s->ns & NS_MOUNT) && !(s->namespaces & NS_MOUNT) ? " (mount: implied)" : "");
	linef(line, ctx, "private_tmp: %s", s->mounts.private_tmp ? "yes" : "no");
	linef(line, ctx, "protect_kernel_tunables: %s%s", s->mounts.protect_tunables ? "yes" : "no",
	      s->protect_tunables >= 0 ? ""
	      : s->mounts.protect_tunables ? (s->caps.set ? " (auto: capabilities are dropped)"
							: " (auto: namespaces are asked for)")
					   : " (auto: neither capabilities dropped nor namespaces)");
	if (s->mounts.protect_tunables)
		line(ctx, "protect_kernel_tunables: read-only /proc/sys /proc/sysrq-trigger "
			  "/sys and the other kernel tunables, where they exist");
	for (int kind = MOUNT_BIND; kind <= MOUNT_INACCESSIBLE; kind++) {
		size_t off = 0;
		buf[0] = '\0';
		for (size_t i = 0; i < s->mounts.n; i++) {
			const struct mount_entry *e = &s->mounts.v[i];
			if ((int)e->kind != kind || off >= sizeof buf)
				continue;
			int n = kind == MOUNT_BIND
					? snprintf(buf + off, sizeof buf - off, "%s%s%s:%s%s", off ? " " : "",
						   e->optional ? "-" : "", e->src, e->path,
						   e->read_only ? ":ro" : "")
					: snprintf(buf + off, sizeof buf - off, "%s%s%s", off ? " " : "",
						   e->optional ? "-" : "", e->path);
			if (n < 0)
				break;
			off += (size_t)n;
		}
		if (off)
			linef(line, ctx, "%s: %s", mounts_kind_key(kind), buf);
	}
	if (s->filter.has_list) {
		char action[48];
		size_t count = 0;
		filter_action_format(&s->filter, action, sizeof action);
		char *list = filter_list_format(&s->filter, &count);
		linef(line, ctx, "seccomp: %s of %zu system calls, blocked calls: %s",
		      s->filter.allow_list ? "allow-list" : "deny-list", count, action);
		if (list) {
			/* Long: goes out in pieces of whole names. */
			const char *p = list;
			const char *what = s->filter.allow_list ? "allowed" : "denied";
			while (*p) {
				size_t n = strlen(p);
				if (n > 900) {
					n = 900;
					while (n > 0 && p[n] != ' ')
						n--;
					if (!n)
						n = 900;
				}
				linef(line, ctx, "seccomp %s: %.*s", what, (int)n, p);
				p += n;
				p += strspn(p, " ");
			}
			free(list);
		}
	} else {
		line(ctx, "seccomp: none (every system call allowed)");
	}
	if (s->filter.set) {
		filter_families_format(&s->filter, buf, sizeof buf);
		linef(line, ctx, "address_families: %s", buf);
		filter_rules_format(&s->filter, buf, sizeof buf);
		if (buf[0])
			linef(line, ctx, "seccomp rules: %s", buf);
	}
	for (int i = 0; i < RLIMITS_N; i++) {
		if (!s->rlimits.set[i])
			continue;
		rlimits_format(i, &s->rlimits.lim[i], buf, sizeof buf);
		linef(line, ctx, "%s: %s", rlimits_key_name(i), buf);
	}
	for (int i = 0; i < LIMITS_N; i++) {
		if (!s->limits.set[i])
			continue;
		const char *state = enforced < 0 ? "enforcement unknown"
				    : (enforced & (1 << i)) ? "enforced"
				    : s->strict_limits ? "NOT ENFORCED: the program will not start"
						       : "NOT ENFORCED";
		linef(line, ctx, "%s: %s (%s: %s)", limits_key_name(i), s->limits.value[i],
		      limits_controller(i), state);
	}
	sandbox_exposure(s, buf, sizeof buf);
	linef(line, ctx, "exposure: %s", buf);
}
