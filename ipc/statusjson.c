/* statusjson — a process's status as one JSON object (statusjson.h). */
#include "ipc/statusjson.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipc/proto.h"
#include "ipc/utf8.h"

json_t *statusjson_string(const char *s, size_t len)
{
	json_t *j = json_stringn(s, len);
	if (j)
		return j;
	/* not UTF-8 (or out of memory): each bad byte as U+FFFD */
	char *buf = malloc(len * 3 + 1); /* freed below */
	if (!buf)
		return NULL;
	const unsigned char *u = (const unsigned char *)s;
	size_t n = 0;
	while (len) {
		size_t k = utf8_seq_len(u, len);
		if (k == 0 || (k == 1 && *u == 0)) {
			memcpy(buf + n, "\xef\xbf\xbd", 3);
			n += 3;
			k = 1;
		} else {
			memcpy(buf + n, u, k);
			n += k;
		}
		u += k;
		len -= k;
	}
	j = json_stringn(buf, n);
	free(buf);
	return j;
}

static json_t *str(const char *s)
{
	return statusjson_string(s, strlen(s));
}

/* A number field, or null when it is empty. */
static json_t *num_or_null(const char *field)
{
	return *field ? json_integer(strtoll(field, NULL, 10)) : json_null();
}

static json_t *str_or_null(const char *field)
{
	return *field ? str(field) : json_null();
}

/* "SIGKILL", "SIGRTMIN+3", or the number as text, as corralctl names it. */
static json_t *signal_json(long sig)
{
	char buf[32];
	if (sig <= 0)
		return json_null();
	const char *abbrev = sig < NSIG ? sigabbrev_np((int)sig) : NULL;
	if (abbrev)
		snprintf(buf, sizeof buf, "SIG%s", abbrev);
	else if (sig >= SIGRTMIN && sig <= SIGRTMAX)
		snprintf(buf, sizeof buf, "SIGRTMIN+%ld", sig - SIGRTMIN);
	else
		snprintf(buf, sizeof buf, "%ld", sig);
	return str(buf);
}

/* A pool worker's "pool" object: its pool, what it does, and the pool's
 * figures (KEY=N words) as numbers. */
static json_t *pool_json(const char *const *f)
{
	const char *worker = f[PS_WORKER];
	json_t *o = json_object();
	if (!o)
		return NULL;
	json_object_set_new(o, "name", str(f[PS_POOL]));
	json_object_set_new(o, "worker", str(strncmp(worker, "busy", 4) == 0 ? "busy" : worker));
	json_object_set_new(o, "job", strncmp(worker, "busy job ", 9) == 0
					      ? json_integer(strtoll(worker + 9, NULL, 10))
					      : json_null());
	for (const char *p = f[PS_POOLSTATS]; *p;) {
		size_t klen = strcspn(p, "= ");
		const char *v = p + klen;
		if (*v == '=' && v[1] >= '0' && v[1] <= '9' && klen < 64) {
			char key[64];
			memcpy(key, p, klen);
			key[klen] = '\0';
			json_object_set_new(o, key, json_integer(strtoll(v + 1, NULL, 10)));
		}
		p += klen + strcspn(p + klen, " ");
		p += strspn(p, " ");
	}
	return o;
}

json_t *statusjson_process(const char *const *f)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	long long uptime = strtoll(f[PS_UPTIME], NULL, 10);
	long long exitcode = *f[PS_EXITCODE] ? strtoll(f[PS_EXITCODE], NULL, 10) : -1;
	long long tree = *f[PS_TREE] ? strtoll(f[PS_TREE], NULL, 10) : -1;
	int bad = 0;
	bad |= json_object_set_new(o, "name", str(f[PS_NAME]));
	bad |= json_object_set_new(o, "group", str(f[PS_GROUP]));
	bad |= json_object_set_new(o, "state", str(f[PS_STATE]));
	bad |= json_object_set_new(o, "pid", json_integer(strtoll(f[PS_PID], NULL, 10)));
	bad |= json_object_set_new(o, "uptime", json_integer(uptime < 0 ? 0 : uptime));
	bad |= json_object_set_new(o, "exitcode", exitcode >= 0 ? json_integer(exitcode)
								 : json_null());
	bad |= json_object_set_new(o, "signal", signal_json(strtol(f[PS_SIGNAL], NULL, 10)));
	bad |= json_object_set_new(o, "spawnerr", str_or_null(f[PS_SPAWNERR]));
	bad |= json_object_set_new(o, "info", str(f[PS_INFO]));
	bad |= json_object_set_new(o, "tree", tree >= 0 ? json_integer(tree) : json_null());
	bad |= json_object_set_new(o, "scope", str(f[PS_SCOPE]));
	bad |= json_object_set_new(o, "group_state", str_or_null(f[PS_GROUPSTATE]));
	bad |= json_object_set_new(o, "log_dropped",
				   json_integer(strtoll(f[PS_LOGDROPPED], NULL, 10)));
	bad |= json_object_set_new(o, "log_blocked_ms",
				   json_integer(strtoll(f[PS_LOGBLOCKED], NULL, 10)));
	bad |= json_object_set_new(o, "syslog_dropped",
				   json_integer(strtoll(f[PS_SYSLOGDROPPED], NULL, 10)));
	bad |= json_object_set_new(o, "cpu_seconds",
				   *f[PS_CPU] ? json_real((double)strtoll(f[PS_CPU], NULL, 10) / 1e6)
					      : json_null());
	bad |= json_object_set_new(o, "memory_bytes", num_or_null(f[PS_MEM]));
	bad |= json_object_set_new(o, "memory_peak_bytes", num_or_null(f[PS_MEMPEAK]));
	bad |= json_object_set_new(o, "health", str_or_null(f[PS_HEALTH]));
	if (*f[PS_POOL])
		bad |= json_object_set_new(o, "pool", pool_json(f));
	json_t *sched = json_null();
	if (*f[PS_SCHEDULE]) {
		sched = json_object();
		if (sched) {
			json_object_set_new(sched, "expression", str(f[PS_SCHEDULE]));
			json_object_set_new(sched, "last_run", num_or_null(f[PS_LASTRUN]));
			json_object_set_new(sched, "last_status", num_or_null(f[PS_LASTSTATUS]));
			json_object_set_new(sched, "next_run", num_or_null(f[PS_NEXTRUN]));
			json_object_set_new(sched, "skipped",
					    json_integer(strtoll(f[PS_SKIPPED], NULL, 10)));
		}
	}
	bad |= json_object_set_new(o, "schedule", sched);
	bad |= json_object_set_new(o, "watches", num_or_null(f[PS_WATCHES]));
	bad |= json_object_set_new(o, "roll", str_or_null(f[PS_ROLL]));
	bad |= json_object_set_new(o, "scale", num_or_null(f[PS_SCALE]));
	if (*f[PS_NUMPROCS])
		bad |= json_object_set_new(o, "numprocs", num_or_null(f[PS_NUMPROCS]));
	if (bad) { /* a NULL value: out of memory */
		json_decref(o);
		return NULL;
	}
	return o;
}
