/* sdview — corrald's processes as supervisord names and describes them
 * (see sdview.h). */
#include "supervisor/sdview.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "supervisor/logstream.h"
#include "supervisor/schedule.h"
#include "supervisor/supervisor.h"
#include "supervisor/health.h"

static int state_code(enum pstate s)
{
	switch (s) {
	case PSTATE_STOPPED: return 0;
	case PSTATE_STARTING: return 10;
	case PSTATE_RUNNING: return 20;
	case PSTATE_BACKOFF: return 30;
	case PSTATE_STOPPING: return 40;
	case PSTATE_EXITED: return 100;
	case PSTATE_FATAL: return 200;
	default: return 1000;
	}
}

/* supervisord's RUNNING_STATES, STOPPED_STATES and SIGNALLABLE_STATES. */
bool sdview_running(enum pstate s)
{
	return s == PSTATE_RUNNING || s == PSTATE_BACKOFF || s == PSTATE_STARTING;
}

bool sdview_stopped(enum pstate s)
{
	return s == PSTATE_STOPPED || s == PSTATE_EXITED || s == PSTATE_FATAL ||
	       s == PSTATE_UNKNOWN;
}

bool sdview_signallable(enum pstate s)
{
	return s == PSTATE_RUNNING || s == PSTATE_STARTING || s == PSTATE_STOPPING;
}

/* The processes the API sees: not a generation being replaced, not a
 * corralctl run. */
static bool visible(const struct program *prog)
{
	return !prog->retiring && !prog->transient;
}

/* supervisord's split_namespec: "g:n" -> g, n; "g:*" or "g:" -> g, NULL;
 * "n" -> n, n. GROUP is written into BUF. */
void sdview_split_namespec(const char *spec, char *buf, size_t len, const char **group,
			   const char **name)
{
	const char *colon = strchr(spec, ':');
	if (!colon) {
		*group = *name = spec;
		return;
	}
	size_t n = (size_t)(colon - spec);
	if (n >= len)
		n = len - 1;
	memcpy(buf, spec, n);
	buf[n] = '\0';
	*group = buf;
	*name = colon[1] && strcmp(colon + 1, "*") != 0 ? colon + 1 : NULL;
}

bool sdview_group_exists(const char *group)
{
	for (struct program *prog = supervisor_programs(); prog; prog = prog->next)
		if (visible(prog) && strcmp(program_group_name(prog), group) == 0)
			return true;
	return false;
}

struct process *sdview_find(const char *group, const char *name)
{
	for (struct program *prog = supervisor_programs(); prog; prog = prog->next) {
		if (!visible(prog) || strcmp(program_group_name(prog), group) != 0)
			continue;
		for (int i = 0; i < prog->nprocs; i++)
			if (strcmp(supervisor_process_name(prog->procs[i]), name) == 0)
				return prog->procs[i];
	}
	return NULL;
}

struct process *sdview_named(const char *spec)
{
	char gbuf[256];
	const char *group, *name;
	sdview_split_namespec(spec, gbuf, sizeof gbuf, &group, &name);
	return name ? sdview_find(group, name) : NULL;
}

/* A group's priority as supervisord sorts by it: its [group:]'s, or the
 * program's own when it is in none. */
static int group_priority(const struct program *prog)
{
	if (!prog->group)
		return prog->cfg->priority;
	const struct group_config *g = prog->group->cfg;
	return g && g->has_priority ? g->priority : 999;
}

/* supervisord's order for what it does to many processes: groups by
 * priority then name, a group's processes by their own priority then name. */
static int by_group_then_process(const void *a, const void *b)
{
	const struct process *p = *(struct process *const *)a, *q = *(struct process *const *)b;
	int gp = group_priority(p->prog), gq = group_priority(q->prog);
	if (gp != gq)
		return gp < gq ? -1 : 1;
	int c = strcmp(program_group_name(p->prog), program_group_name(q->prog));
	if (c)
		return c;
	int pp = p->prog->cfg->process_priority, pq = q->prog->cfg->process_priority;
	if (pp != pq)
		return pp < pq ? -1 : 1;
	return strcmp(supervisor_process_name(p), supervisor_process_name(q));
}

/* getAllProcessInfo's order (so supervisorctl status's): group names, then
 * process names, as strings. */
static int by_names(const void *a, const void *b)
{
	const struct process *p = *(struct process *const *)a, *q = *(struct process *const *)b;
	int c = strcmp(program_group_name(p->prog), program_group_name(q->prog));
	return c ? c : strcmp(supervisor_process_name(p), supervisor_process_name(q));
}

/* The visible processes (of GROUP only, unless NULL) in supervisord's
 * order: by_group_then_process, or by_names when LEXICAL. A heap array
 * into *OUT (NULL when none or out of memory); their number. */
size_t sdview_processes(const char *group, bool lexical, struct process ***out)
{
	size_t n = 0, k = 0;
	for (struct program *prog = supervisor_programs(); prog; prog = prog->next)
		if (visible(prog) && (!group || strcmp(program_group_name(prog), group) == 0))
			n += (size_t)prog->nprocs;
	*out = n ? calloc(n, sizeof **out) : NULL;
	if (!*out)
		return 0;
	for (struct program *prog = supervisor_programs(); prog; prog = prog->next)
		if (visible(prog) && (!group || strcmp(program_group_name(prog), group) == 0))
			for (int i = 0; i < prog->nprocs; i++)
				(*out)[k++] = prog->procs[i];
	qsort(*out, n, sizeof **out, lexical ? by_names : by_group_then_process);
	return n;
}

/* Python's str(timedelta): "0:00:05", "1 day, 2:03:04". */
static void format_uptime(long long secs, char *buf, size_t len)
{
	if (secs < 0)
		secs = 0;
	long long days = secs / 86400;
	secs %= 86400;
	if (days)
		snprintf(buf, len, "%lld day%s, %lld:%02lld:%02lld", days, days == 1 ? "" : "s",
			 secs / 3600, secs / 60 % 60, secs % 60);
	else
		snprintf(buf, len, "%lld:%02lld:%02lld", secs / 3600, secs / 60 % 60, secs % 60);
}

static void describe(const struct process *p, char *buf, size_t len)
{
	enum pstate s = p->fsm.state;
	if (s == PSTATE_RUNNING) {
		char up[64];
		format_uptime((long long)time(NULL) - p->start_wall, up, sizeof up);
		snprintf(buf, len, "pid %d, uptime %s", (int)p->pid, up);
	} else if (s == PSTATE_FATAL || s == PSTATE_BACKOFF) {
		if (p->spawnerr)
			snprintf(buf, len, "%s", p->spawnerr);
		else if (p->info && strcmp(p->info, "exited too quickly") != 0)
			snprintf(buf, len, "%s", p->info);
		else
			snprintf(buf, len, "Exited too quickly (process log may have details)");
	} else if (s == PSTATE_STOPPED || s == PSTATE_EXITED) {
		time_t stop = (time_t)p->stop_wall;
		struct tm tm;
		if (!p->start_wall || !localtime_r(&stop, &tm) ||
		    !strftime(buf, len, "%b %d %I:%M %p", &tm))
			snprintf(buf, len, "Not started");
	} else {
		buf[0] = '\0';
	}
	/* its health check's verdict: "pid 42, uptime 0:00:05, healthy" */
	char health[300];
	size_t n = strlen(buf);
	if (health_describe(p, health, sizeof health) && n < len)
		snprintf(buf + n, len - n, "%s%s", n ? ", " : "", health);
	/* a scheduled program, between runs: its last run's status, its next run */
	struct schedule_info si;
	if ((s == PSTATE_STOPPED || s == PSTATE_EXITED) && schedule_info(p->prog, &si)) {
		size_t k = strlen(buf);
		if (si.last_status >= 0 && k < len)
			k += (size_t)snprintf(buf + k, len - k, ", status %d", si.last_status);
		time_t next = (time_t)si.next_run;
		struct tm tm;
		char when[64];
		if (si.next_run && k < len && localtime_r(&next, &tm) &&
		    strftime(when, sizeof when, "%b %d %I:%M %p", &tm))
			snprintf(buf + k, len - k, ", next run %s", when);
	}
}

void sdview_info(const struct process *p, struct sdview_info *out)
{
	const char *o = supervisor_log_path(p, LOG_STDOUT, out->room[0], sizeof out->room[0]);
	const char *e = supervisor_log_path(p, LOG_STDERR, out->room[1], sizeof out->room[1]);
	out->stdout_logfile = o ? o : "";
	out->stderr_logfile = e ? e : "";
	describe(p, out->description, sizeof out->description);
	out->name = supervisor_process_name(p);
	out->group = program_group_name(p->prog);
	out->start = p->start_wall;
	out->stop = p->stop_wall;
	out->now = (long long)time(NULL);
	out->state = state_code(p->fsm.state);
	out->statename = program_state_name(p->fsm.state);
	out->spawnerr = p->spawnerr ? p->spawnerr : "";
	out->exitstatus = p->exitcode >= 0 ? p->exitcode : p->exitsig ? -1 : 0;
	out->pid = program_state_alive(p->fsm.state) ? p->pid : 0;
}
