#include "sandbox/rlimits.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const struct {
	const char *key, *name;
	int resource;
	bool bytes;             /* takes K, M, G, T */
} table[RLIMITS_N] = {
	[RLIMITS_NOFILE] = { "rlimit_nofile", "RLIMIT_NOFILE", RLIMIT_NOFILE, false },
	[RLIMITS_NPROC] = { "rlimit_nproc", "RLIMIT_NPROC", RLIMIT_NPROC, false },
	[RLIMITS_AS] = { "rlimit_as", "RLIMIT_AS", RLIMIT_AS, true },
	[RLIMITS_CORE] = { "rlimit_core", "RLIMIT_CORE", RLIMIT_CORE, true },
	[RLIMITS_CPU] = { "rlimit_cpu", "RLIMIT_CPU", RLIMIT_CPU, false },
	[RLIMITS_FSIZE] = { "rlimit_fsize", "RLIMIT_FSIZE", RLIMIT_FSIZE, true },
};

int rlimits_key(const char *key)
{
	for (int i = 0; i < RLIMITS_N; i++)
		if (strcmp(key, table[i].key) == 0)
			return i;
	return -1;
}

const char *rlimits_key_name(int i)
{
	return i >= 0 && i < RLIMITS_N ? table[i].key : "rlimit";
}

const char *rlimits_name(int i)
{
	return i >= 0 && i < RLIMITS_N ? table[i].name : "RLIMIT_?";
}

/* One side of a value: S up to END. */
static bool parse_one(const char *s, const char *end, bool bytes, rlim_t *out)
{
	size_t n = (size_t)(end - s);
	if ((n == 8 && strncasecmp(s, "infinity", 8) == 0) ||
	    (n == 9 && strncasecmp(s, "unlimited", 9) == 0)) {
		*out = RLIM_INFINITY;
		return true;
	}
	uint64_t v = 0;
	const char *p = s;
	if (p == end || *p < '0' || *p > '9')
		return false;
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (p < end) {
		static const char units[] = "KMGT";
		const char *u = bytes && p + 1 == end ? strchr(units, *p & ~0x20) : NULL;
		if (!u || !*u)
			return false;
		for (int shift = (int)(u - units + 1) * 10; shift > 0; shift -= 10) {
			if (v > UINT64_MAX >> 10)
				return false;
			v <<= 10;
		}
	}
	/* RLIM_INFINITY is all ones: a number that large would mean it by accident. */
	if (v >= (uint64_t)RLIM_INFINITY)
		return false;
	*out = (rlim_t)v;
	return true;
}

int rlimits_parse(int i, const char *value, struct rlimit *out, char *err, size_t errlen)
{
	if (i < 0 || i >= RLIMITS_N)
		return -EINVAL;
	bool bytes = table[i].bytes;
	const char *colon = strchr(value, ':');
	const char *end = value + strlen(value);
	struct rlimit l;
	bool ok;
	if (colon)
		ok = parse_one(value, colon, bytes, &l.rlim_cur) &&
		     parse_one(colon + 1, end, bytes, &l.rlim_max);
	else
		ok = parse_one(value, end, bytes, &l.rlim_cur) && (l.rlim_max = l.rlim_cur, true);
	if (!ok) {
		snprintf(err, errlen, "%s, SOFT:HARD or infinity",
			 bytes ? "a size in bytes (K, M, G or T after it)"
			       : i == RLIMITS_CPU ? "a number of seconds" : "a number");
		return -EINVAL;
	}
	if (l.rlim_max != RLIM_INFINITY &&
	    (l.rlim_cur == RLIM_INFINITY || l.rlim_cur > l.rlim_max)) {
		snprintf(err, errlen, "the soft limit is above the hard limit");
		return -ERANGE;
	}
	*out = l;
	return 0;
}

static void format_one(rlim_t v, bool bytes, char *buf, size_t len)
{
	if (v == RLIM_INFINITY) {
		snprintf(buf, len, "infinity");
		return;
	}
	static const char units[] = "KMGT";
	int u = -1;
	while (bytes && v && u < 3 && (v & 1023) == 0) {
		v >>= 10;
		u++;
	}
	if (u >= 0)
		snprintf(buf, len, "%llu%c", (unsigned long long)v, units[u]);
	else
		snprintf(buf, len, "%llu", (unsigned long long)v);
}

void rlimits_format(int i, const struct rlimit *l, char *buf, size_t len)
{
	bool bytes = i >= 0 && i < RLIMITS_N && table[i].bytes;
	char a[32], b[32];
	format_one(l->rlim_cur, bytes, a, sizeof a);
	if (l->rlim_cur == l->rlim_max) {
		snprintf(buf, len, "%s", a);
		return;
	}
	format_one(l->rlim_max, bytes, b, sizeof b);
	snprintf(buf, len, "%s:%s", a, b);
}

int rlimits_apply(const struct rlimits *r, int *failed)
{
	for (int i = 0; i < RLIMITS_N; i++) {
		if (!r->set[i])
			continue;
		if (setrlimit((__rlimit_resource_t)table[i].resource, &r->lim[i]) < 0) {
			*failed = i;
			return -errno;
		}
	}
	return 0;
}
