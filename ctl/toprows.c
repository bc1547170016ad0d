/* toprows — corralctl top's table without a screen (toprows.h). */
#include "ctl/toprows.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static long num(const char *s, long def)
{
	char *end;
	if (!s || !*s)
		return def;
	errno = 0;
	long v = strtol(s, &end, 10);
	return errno || *end ? def : v;
}

static int64_t num64(const char *s)
{
	char *end;
	if (!s || !*s)
		return -1;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	return errno || *end || v < 0 ? -1 : (int64_t)v;
}

/* queue=N of a worker's pool figures, -1 when none. */
static long pool_queue(const char *stats)
{
	for (const char *p = stats; p && *p;) {
		if (strncmp(p, "queue=", 6) == 0) {
			char *end;
			long v = strtol(p + 6, &end, 10);
			return end > p + 6 && (*end == ' ' || !*end) && v >= 0 ? v : -1;
		}
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	return -1;
}

static int find(const struct top_table *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->v[i].f[PS_NAME], name) == 0)
			return (int)i;
	return -1;
}

const struct top_row *top_table_find(const struct top_table *t, const char *name)
{
	int i = find(t, name);
	return i < 0 ? NULL : &t->v[i];
}

int top_table_update(struct top_table *t, const char *line, size_t len, int64_t now_ms)
{
	char *copy = malloc(len + 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, line, len);
	copy[len] = '\0';
	struct top_row r = { .line = copy };
	char *f[PS_NFIELDS];
	int n = proto_split_fields(copy, f, PS_NFIELDS);
	for (int i = 0; i < PS_NFIELDS; i++)
		r.f[i] = i < n ? f[i] : "";
	int at = find(t, r.f[PS_NAME]);
	if (n <= 1) { /* the name alone: it is gone */
		if (at >= 0) {
			free(t->v[at].line);
			memmove(&t->v[at], &t->v[at + 1], (t->n - (size_t)at - 1) * sizeof *t->v);
			t->n--;
		}
		free(copy);
		return 0;
	}
	r.pid = num(r.f[PS_PID], 0);
	r.uptime = num(r.f[PS_UPTIME], 0);
	r.restarts = num(r.f[PS_RESTARTS], 0);
	r.tree = num(r.f[PS_TREE], -1);
	r.queue = *r.f[PS_POOL] ? pool_queue(r.f[PS_POOLSTATS]) : -1;
	r.cpu_usec = num64(r.f[PS_CPU]);
	r.mem = num64(r.f[PS_MEM]);
	r.cpu_pct = -1;
	r.at_ms = now_ms;
	if (at >= 0) {
		struct top_row *old = &t->v[at];
		/* A record without usage (a change) keeps the last one's figures
		 * while the process is the same one. */
		if (r.cpu_usec < 0 && old->pid == r.pid && r.pid > 0) {
			r.cpu_usec = old->cpu_usec;
			r.mem = old->mem;
			r.cpu_pct = old->cpu_pct;
		} else if (r.cpu_usec >= 0 && old->cpu_usec >= 0 && old->pid == r.pid &&
			   now_ms > old->at_ms && r.cpu_usec >= old->cpu_usec) {
			r.cpu_pct = (double)(r.cpu_usec - old->cpu_usec) / 10.0 /
				    (double)(now_ms - old->at_ms);
		}
		free(old->line);
		*old = r;
		return 0;
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 32;
		struct top_row *v = reallocarray(t->v, cap, sizeof *v);
		if (!v) {
			free(copy);
			return -ENOMEM;
		}
		t->v = v;
		t->cap = cap;
	}
	t->v[t->n++] = r;
	return 0;
}

void top_table_clear(struct top_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].line);
	t->n = 0;
}

void top_table_free(struct top_table *t)
{
	top_table_clear(t);
	free(t->v);
	t->v = NULL;
	t->cap = 0;
}

/* The group of NAME ("web" of "web:web_1"): its length, 0 when in none. */
static size_t group_len(const char *name)
{
	const char *colon = strchr(name, ':');
	return colon ? (size_t)(colon - name) : 0;
}

static int state_rank(const char *s)
{
	/* the ones that need a look first */
	static const char *const order[] = { "FATAL", "BACKOFF", "EXITED", "UNKNOWN", "STARTING",
					     "STOPPING", "STOPPED", "RUNNING" };
	for (size_t i = 0; i < sizeof order / sizeof *order; i++)
		if (strcmp(s, order[i]) == 0)
			return (int)i;
	return (int)(sizeof order / sizeof *order);
}

static int cmp_num(double a, double b)
{
	return a < b ? -1 : a > b;
}

/* Rows compared by a column: numbers from the largest down, as top does;
 * names and states from the first up; the name breaks ties. */
static int cmp_rows(const struct top_row *a, const struct top_row *b, enum top_col c)
{
	int r = 0;
	switch (c) {
	case TC_NAME:
		break;
	case TC_STATE:
		r = state_rank(a->f[PS_STATE]) - state_rank(b->f[PS_STATE]);
		break;
	case TC_PID:
		r = cmp_num((double)b->pid, (double)a->pid);
		break;
	case TC_UPTIME:
		r = cmp_num((double)(b->pid ? b->uptime : -1), (double)(a->pid ? a->uptime : -1));
		break;
	case TC_RESTARTS:
		r = cmp_num((double)b->restarts, (double)a->restarts);
		break;
	case TC_CPU:
		r = cmp_num(b->cpu_pct, a->cpu_pct);
		break;
	case TC_MEM:
		r = cmp_num((double)b->mem, (double)a->mem);
		break;
	case TC_HEALTH:
		r = strcmp(a->f[PS_HEALTH], b->f[PS_HEALTH]);
		break;
	case TC_READY:
		r = (strcmp(b->f[PS_STATE], "RUNNING") == 0) - (strcmp(a->f[PS_STATE], "RUNNING") == 0);
		break;
	case TC_TREE:
		r = cmp_num((double)b->tree, (double)a->tree);
		break;
	case TC_QUEUE:
		r = cmp_num((double)b->queue, (double)a->queue);
		break;
	case TC_N:
		break;
	}
	return r ? r : strcmp(a->f[PS_NAME], b->f[PS_NAME]);
}

static enum top_col sort_col;
static bool sort_reverse;

static int cmp_ptr(const void *pa, const void *pb)
{
	const struct top_row *a = *(const struct top_row *const *)pa;
	const struct top_row *b = *(const struct top_row *const *)pb;
	int r = cmp_rows(a, b, sort_col);
	return sort_reverse ? -r : r;
}

static bool matches(const struct top_row *r, const char *filter)
{
	return !filter || !*filter || strcasestr(r->f[PS_NAME], filter) ||
	       strcasestr(r->f[PS_STATE], filter) || strcasestr(r->f[PS_PROGRAM], filter);
}

size_t top_view(const struct top_table *t, enum top_col sort, bool reverse, const char *filter,
		struct top_item *out)
{
	if (!t->n)
		return 0;
	const struct top_row **rows = malloc(t->n * sizeof *rows);
	bool *done = calloc(t->n, sizeof *done);
	size_t n = 0, k = 0;
	if (!rows || !done) {
		free(rows);
		free(done);
		return 0;
	}
	for (size_t i = 0; i < t->n; i++)
		if (matches(&t->v[i], filter))
			rows[n++] = &t->v[i];
	sort_col = sort;
	sort_reverse = reverse;
	qsort(rows, n, sizeof *rows, cmp_ptr);
	for (size_t i = 0; i < n; i++) {
		if (done[i])
			continue;
		const char *name = rows[i]->f[PS_NAME];
		size_t gl = group_len(name);
		if (!gl) {
			out[k++] = (struct top_item){ .row = rows[i] };
			continue;
		}
		/* the heading, then every row of its group, in their order */
		out[k++] = (struct top_item){ .row = NULL, .group = name, .glen = gl };
		for (size_t j = i; j < n; j++) {
			const char *other = rows[j]->f[PS_NAME];
			if (!done[j] && group_len(other) == gl && strncmp(other, name, gl) == 0) {
				out[k++] = (struct top_item){ .row = rows[j], .group = other, .glen = gl };
				done[j] = true;
			}
		}
	}
	free(rows);
	free(done);
	return k;
}

static const struct {
	const char *name;
	int width;
} cols[TC_N] = {
	[TC_NAME] = { "NAME", 12 },    [TC_STATE] = { "STATE", 8 },  [TC_PID] = { "PID", 7 },
	[TC_UPTIME] = { "UPTIME", 9 }, [TC_RESTARTS] = { "RST", 4 }, [TC_CPU] = { "CPU%", 6 },
	[TC_MEM] = { "MEM", 6 },       [TC_HEALTH] = { "HEALTH", 9 }, [TC_READY] = { "READY", 5 },
	[TC_TREE] = { "TREE", 4 },     [TC_QUEUE] = { "QUEUE", 5 },
};

const char *top_col_name(enum top_col c)
{
	return cols[c].name;
}

int top_col_width(enum top_col c)
{
	return cols[c].width;
}

void top_fmt_uptime(long s, char *buf, size_t len)
{
	if (s < 0)
		s = 0;
	if (s >= 86400)
		snprintf(buf, len, "%ldd %02ld:%02ld", s / 86400, s / 3600 % 24, s / 60 % 60);
	else
		snprintf(buf, len, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
}

void top_fmt_bytes(int64_t b, char *buf, size_t len)
{
	static const char units[] = "KMGTP";
	if (b < 0) {
		snprintf(buf, len, "-");
		return;
	}
	if (b < 1024) {
		snprintf(buf, len, "%lldB", (long long)b);
		return;
	}
	double v = (double)b / 1024;
	int u = 0;
	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (v < 10)
		snprintf(buf, len, "%.1f%c", v, units[u]);
	else
		snprintf(buf, len, "%.0f%c", v, units[u]);
}

void top_cell(const struct top_row *r, enum top_col c, int64_t now_ms, char *buf, size_t len)
{
	const char *state = r->f[PS_STATE];
	switch (c) {
	case TC_NAME:
		snprintf(buf, len, "%s", r->f[PS_NAME]);
		break;
	case TC_STATE:
		snprintf(buf, len, "%s", state);
		break;
	case TC_PID:
		snprintf(buf, len, r->pid > 0 ? "%ld" : "-", r->pid);
		break;
	case TC_UPTIME:
		if (r->pid > 0)
			top_fmt_uptime(r->uptime + (long)((now_ms - r->at_ms) / 1000), buf, len);
		else
			snprintf(buf, len, "-");
		break;
	case TC_RESTARTS:
		snprintf(buf, len, "%ld", r->restarts);
		break;
	case TC_CPU:
		if (r->cpu_pct >= 0)
			snprintf(buf, len, "%.1f", r->cpu_pct);
		else
			snprintf(buf, len, "-");
		break;
	case TC_MEM:
		top_fmt_bytes(r->pid > 0 ? r->mem : -1, buf, len);
		break;
	case TC_HEALTH: {
		size_t n = strcspn(r->f[PS_HEALTH], " ");
		if (n)
			snprintf(buf, len, "%.*s", (int)n, r->f[PS_HEALTH]);
		else
			snprintf(buf, len, "-");
		break;
	}
	case TC_READY:
		/* ready = gates RUNNING: STARTING is a process not ready yet */
		snprintf(buf, len, "%s", strcmp(state, "RUNNING") == 0	  ? "yes"
					 : strcmp(state, "STARTING") == 0 ? "no"
									  : "-");
		break;
	case TC_TREE:
		snprintf(buf, len, r->tree >= 0 ? "%ld" : "-", r->tree);
		break;
	case TC_QUEUE:
		snprintf(buf, len, r->queue >= 0 ? "%ld" : "-", r->queue);
		break;
	case TC_N:
		buf[0] = '\0';
		break;
	}
}

bool top_col_has_data(const struct top_table *t, enum top_col c)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct top_row *r = &t->v[i];
		if ((c == TC_CPU && r->cpu_usec >= 0) || (c == TC_MEM && r->mem >= 0) ||
		    (c == TC_HEALTH && *r->f[PS_HEALTH]) || (c == TC_QUEUE && r->queue >= 0) ||
		    (c != TC_CPU && c != TC_MEM && c != TC_HEALTH && c != TC_QUEUE))
			return true;
	}
	return false;
}
