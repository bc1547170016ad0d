#include "sandbox/limits.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "ipc/io.h"

static const struct {
	const char *key, *controller, *file;
} table[LIMITS_N] = {
	[LIMITS_MEMORY] = { "memory_max", "memory", "memory.max" },
	[LIMITS_PIDS] = { "pids_max", "pids", "pids.max" },
	[LIMITS_CPU] = { "cpu_max", "cpu", "cpu.max" },
	[LIMITS_MEMORY_HIGH] = { "memory_high", "memory", "memory.high" },
	[LIMITS_CPU_WEIGHT] = { "cpu_weight", "cpu", "cpu.weight" },
	[LIMITS_MEMORY_SWAP] = { "memory_swap_max", "memory", "memory.swap.max" },
	[LIMITS_IO_WEIGHT] = { "io_weight", "io", "io.weight" },
};

/* cgroup v1's: the controller, and the file that says the hierarchy has the limit */
static const struct {
	const char *controller, *file;
} v1_table[LIMITS_N] = {
	[LIMITS_MEMORY] = { "memory", NULL },
	[LIMITS_PIDS] = { "pids", NULL },   /* (the root cgroup has no pids.max: no probe) */
	[LIMITS_CPU] = { "cpu", NULL },
	[LIMITS_MEMORY_HIGH] = { NULL, NULL },
	[LIMITS_CPU_WEIGHT] = { "cpu", NULL },
	[LIMITS_MEMORY_SWAP] = { "memory", "memory.memsw.limit_in_bytes" },
	[LIMITS_IO_WEIGHT] = { "blkio", "blkio.weight" },
};

int limits_key(const char *key)
{
	for (int i = 0; i < LIMITS_N; i++)
		if (strcmp(key, table[i].key) == 0)
			return i;
	return -1;
}

const char *limits_key_name(int i)
{
	return i >= 0 && i < LIMITS_N ? table[i].key : "?";
}

const char *limits_controller(int i)
{
	return i >= 0 && i < LIMITS_N ? table[i].controller : "?";
}

const char *limits_file(int i)
{
	return i >= 0 && i < LIMITS_N ? table[i].file : "?";
}

/* A decimal number of at most 18 digits, then whatever follows in *END. */
static bool number(const char *s, unsigned long long *out, const char **end)
{
	unsigned long long v = 0;
	int digits = 0;
	for (; *s >= '0' && *s <= '9'; s++, digits++) {
		if (digits == 18)
			return false;
		v = v * 10 + (unsigned long long)(*s - '0');
	}
	*out = v;
	*end = s;
	return digits > 0;
}

int limits_parse(struct limits *l, int i, const char *value, char *err, size_t errlen)
{
	char *out = l->value[i];
	size_t outlen = sizeof l->value[i];
	unsigned long long n, period = 100000;
	const char *end;

	bool weight = i == LIMITS_CPU_WEIGHT || i == LIMITS_IO_WEIGHT;
	if (!weight && (strcasecmp(value, "max") == 0 || strcasecmp(value, "infinity") == 0)) {
		snprintf(out, outlen, i == LIMITS_CPU ? "max 100000" : "max");
		l->set[i] = true;
		return 0;
	}
	switch (i) {
	case LIMITS_MEMORY:
	case LIMITS_MEMORY_HIGH:
	case LIMITS_MEMORY_SWAP:
		if (number(value, &n, &end)) {
			int shift = 0;
			static const char units[] = "KMGT";
			if (*end && !end[1]) {
				const char *u = strchr(units, *end & ~0x20);
				shift = u && *u ? (int)(u - units + 1) * 10 : -1;
			} else if (*end) {
				shift = -1;
			}
			if (shift >= 0 && n <= (ULLONG_MAX >> shift)) {
				snprintf(out, outlen, "%llu", n << shift);
				l->set[i] = true;
				return 0;
			}
		}
		snprintf(err, errlen, "a size in bytes (K, M, G or T after it) or max");
		return -EDOM;
	case LIMITS_PIDS:
		if (number(value, &n, &end) && !*end && n > 0 && n <= INT_MAX) {
			snprintf(out, outlen, "%llu", n);
			l->set[i] = true;
			return 0;
		}
		snprintf(err, errlen, "a number of processes or max");
		return -EDOM;
	case LIMITS_CPU:
		if (number(value, &n, &end) && end[0] == '%' && !end[1] && n > 0 && n <= 100000) {
			/* N% of one CPU: N/100 of every period */
			snprintf(out, outlen, "%llu %llu", n * period / 100, period);
			l->set[i] = true;
			return 0;
		}
		if (number(value, &n, &end) && *end == ' ') {
			const char *q = end + strspn(end, " ");
			if (number(q, &period, &end) && !*end && n >= 1000 && period >= 1000 &&
			    period <= 1000000) {
				snprintf(out, outlen, "%llu %llu", n, period);
				l->set[i] = true;
				return 0;
			}
		}
		snprintf(err, errlen, "a share of one CPU (\"50%%\"), QUOTA PERIOD in microseconds, "
				      "or max");
		return -EDOM;
	case LIMITS_CPU_WEIGHT:
	case LIMITS_IO_WEIGHT:
		if (number(value, &n, &end) && !*end && n >= 1 && n <= 10000) {
			snprintf(out, outlen, "%llu", n);
			l->set[i] = true;
			return 0;
		}
		snprintf(err, errlen, "a weight from 1 to 10000 (100 is the default)");
		return -EDOM;
	}
	return -EINVAL;
}

unsigned limits_parse_controllers(const char *text)
{
	unsigned mask = 0;
	for (const char *p = text; *p;) {
		p += strspn(p, " \t\n");
		size_t len = strcspn(p, " \t\n");
		if (!len)
			break;
		for (int i = 0; i < LIMITS_N; i++)
			if (strlen(table[i].controller) == len &&
			    strncmp(table[i].controller, p, len) == 0)
				mask |= 1u << i;
		p += len;
	}
	return mask;
}

unsigned limits_wanted(const struct limits *l)
{
	unsigned mask = 0;
	for (int i = 0; i < LIMITS_N; i++)
		if (l->set[i])
			mask |= 1u << i;
	return mask;
}

static int read_mask(const char *dir, const char *file)
{
	char path[PATH_MAX], text[512];
	if (snprintf(path, sizeof path, "%s/%s", dir, file) >= (int)sizeof path)
		return -ENAMETOOLONG;
	ssize_t n = io_read_text(path, text, sizeof text);
	return n < 0 ? (int)n : (int)limits_parse_controllers(text);
}

int limits_enabled(const char *dir)
{
	return read_mask(dir, "cgroup.subtree_control");
}

int limits_enable(const char *dir, unsigned want, char *err, size_t errlen)
{
	int avail = read_mask(dir, "cgroup.controllers");
	if (avail < 0) {
		snprintf(err, errlen, "cannot read %s/cgroup.controllers: %s", dir, strerror(-avail));
		return avail;
	}
	int on = limits_enabled(dir);
	if (on < 0) {
		snprintf(err, errlen, "cannot read %s/cgroup.subtree_control: %s", dir, strerror(-on));
		return on;
	}
	err[0] = '\0';
	for (int i = 0; i < LIMITS_N; i++) {
		unsigned bit = 1u << i;
		if (!(want & bit) || (on & (int)bit))
			continue;
		if (!(avail & (int)bit)) {
			snprintf(err, errlen, "the %s controller is not enabled in the cgroup v2 "
					      "hierarchy (%s/cgroup.controllers does not list it)",
				 table[i].controller, dir);
			continue;
		}
		char path[PATH_MAX], text[32];
		snprintf(path, sizeof path, "%s/cgroup.subtree_control", dir);
		int len = snprintf(text, sizeof text, "+%s", table[i].controller);
		int fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, text, (size_t)len) != len) {
			snprintf(err, errlen, "enabling the %s controller in %s: %s", table[i].controller,
				 path, strerror(errno));
		} else {
			on |= (int)bit;
		}
		if (fd >= 0)
			close(fd);
	}
	return on;
}

/* TEXT into the file NAME of directory DIRFD. 0 or -errno. */
static int put_file(int dirfd, const char *name, const char *text)
{
	errno = 0;
	int fd = openat(dirfd, name, O_WRONLY | O_CLOEXEC);
	size_t len = strlen(text);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len) {
		int e = errno ? errno : EIO;
		if (fd >= 0)
			close(fd);
		return -e;
	}
	close(fd);
	return 0;
}

int limits_apply(int dirfd, const struct limits *l, unsigned enabled, int *failed)
{
	for (int i = 0; i < LIMITS_N; i++) {
		if (!l->set[i] || !(enabled & (1u << i)))
			continue;
		int r = put_file(dirfd, table[i].file, l->value[i]);
		if (r < 0) {
			*failed = i;
			return r;
		}
	}
	return 0;
}

bool limits_v1_has(int i)
{
	return i >= 0 && i < LIMITS_N && v1_table[i].controller;
}

const char *limits_v1_controller(int i)
{
	return limits_v1_has(i) ? v1_table[i].controller : "?";
}

const char *limits_v1_file(int i)
{
	return limits_v1_has(i) ? v1_table[i].file : NULL;
}

int limits_apply_v1(int dirfd, const struct limits *l, int i)
{
	const char *v = l->value[i];
	bool max = strncmp(v, "max", 3) == 0;
	switch (i) {
	case LIMITS_MEMORY:
		return put_file(dirfd, "memory.limit_in_bytes", max ? "-1" : v);
	case LIMITS_PIDS:
		return put_file(dirfd, "pids.max", v);
	case LIMITS_CPU: {
		/* "QUOTA PERIOD": the period first, so the quota fits it */
		char quota[24] = "-1";
		const char *sp = strchr(v, ' ');
		if (!sp)
			return -EINVAL;
		if (!max)
			snprintf(quota, sizeof quota, "%.*s", (int)(sp - v), v);
		int r = put_file(dirfd, "cpu.cfs_period_us", sp + 1);
		return r < 0 ? r : put_file(dirfd, "cpu.cfs_quota_us", quota);
	}
	case LIMITS_CPU_WEIGHT: {
		/* v2's default weight 100 is v1's 1024 shares; v1 takes 2 at least */
		char shares[24];
		unsigned long long w = strtoull(v, NULL, 10) * 1024 / 100;
		snprintf(shares, sizeof shares, "%llu", w < 2 ? 2 : w);
		return put_file(dirfd, "cpu.shares", shares);
	}
	case LIMITS_MEMORY_SWAP: {
		/* v1 limits memory and swap together: the sum, after memory's own */
		char sum[24] = "-1";
		if (!max) {
			if (!l->set[LIMITS_MEMORY] || strncmp(l->value[LIMITS_MEMORY], "max", 3) == 0)
				return -EINVAL;
			snprintf(sum, sizeof sum, "%llu",
				 strtoull(l->value[LIMITS_MEMORY], NULL, 10) + strtoull(v, NULL, 10));
		}
		return put_file(dirfd, "memory.memsw.limit_in_bytes", sum);
	}
	case LIMITS_IO_WEIGHT: {
		char w[24];
		unsigned long long n = strtoull(v, NULL, 10) / 10;
		snprintf(w, sizeof w, "%llu", n < 10 ? 10 : n > 1000 ? 1000 : n);
		return put_file(dirfd, "blkio.weight", w);
	}
	case LIMITS_MEMORY_HIGH:
		return -EOPNOTSUPP;
	default:
		return -EINVAL;
	}
}

const char *limits_show(const struct limits *l, int i, char *buf, size_t len)
{
	const char *v = l->value[i];
	char *end;
	unsigned long long n = strtoull(v, &end, 10);
	if ((i != LIMITS_MEMORY && i != LIMITS_MEMORY_HIGH && i != LIMITS_MEMORY_SWAP) || end == v ||
	    *end || n == 0) {
		snprintf(buf, len, "%s", v);
		return buf;
	}
	static const char units[] = "KMGT";
	int u = -1;
	while (u < 3 && n % 1024 == 0) {
		n /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%llu", n);
	else
		snprintf(buf, len, "%llu%c", n, units[u]);
	return buf;
}

bool limits_equal(const struct limits *a, const struct limits *b)
{
	for (int i = 0; i < LIMITS_N; i++)
		if (a->set[i] != b->set[i] || (a->set[i] && strcmp(a->value[i], b->value[i]) != 0))
			return false;
	return true;
}
