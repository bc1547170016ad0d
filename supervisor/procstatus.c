/* procstatus — one process's status as text fields (procstatus.h). */
#include "supervisor/procstatus.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "sandbox/filter.h"
#include "sandbox/limits.h"
#include "supervisor/cgroup.h"
#include "supervisor/cgroup1.h"
#include "supervisor/health.h"
#include "supervisor/loop.h"
#include "supervisor/pool.h"
#include "supervisor/roll.h"
#include "supervisor/schedule.h"
#include "supervisor/watch.h"
#include "supervisor/state.h"
#include "supervisor/usage.h"


/* The cgroup limits corrald can enforce now (a mask of 1 << enum
 * limits_index): the controllers its scope enables for the leaves. Read at
 * most once a second; 0 without cgroup scopes, -1 when unknown. */
int procstatus_limits_enforced(void)
{
	static int64_t read_ms = -1;
	static int mask;
	int64_t now = loop_now_ms();
	if (read_ms >= 0 && now - read_ms < 1000)
		return mask;
	read_ms = now;
	if (strcmp(supervisor_scope_kind(), "cgroup1") == 0)
		mask = (int)cgroup1_mask(); /* a v1 scope: limits through v1 only */
	else if (strcmp(supervisor_scope_kind(), "cgroup") != 0 || !cgroup_scope_path())
		mask = 0;
	else if ((mask = limits_enabled(cgroup_scope_path())) < 0)
		mask = -1;
	else
		mask |= (int)cgroup1_mask();
	return mask;
}

/* Which call seccomp killed P's last process for. corrald only sees the
 * SIGSYS; the kernel's audit record of the kill (in the kernel log when no
 * audit daemon takes it) names the call. Found names are kept; a miss is
 * looked up again a few times, since the record is written asynchronously. */
static void blocked_call(const struct process *p, char *buf, size_t len)
{
	static struct {
		const struct process *p;
		pid_t pid;
		int64_t started, tried_ms;
		int tries, err;
		char name[64];
	} cache[16];
	static unsigned next;
	int64_t now = loop_now_ms();
	size_t i = 0;
	for (; i < sizeof cache / sizeof cache[0]; i++)
		if (cache[i].p == p && cache[i].pid == p->exit_pid && cache[i].started == p->started_ms)
			break;
	if (i == sizeof cache / sizeof cache[0]) {
		i = next++ % (sizeof cache / sizeof cache[0]);
		cache[i].p = p;
		cache[i].pid = p->exit_pid;
		cache[i].started = p->started_ms;
		cache[i].tries = 0;
		cache[i].err = -ENOENT;
		cache[i].tried_ms = 0;
	}
	if (cache[i].err != 0 && cache[i].tries < 5 && now - cache[i].tried_ms >= 200) {
		cache[i].err = filter_audit_find(p->exit_pid, cache[i].name, sizeof cache[i].name);
		cache[i].tries++;
		cache[i].tried_ms = now;
	}
	if (cache[i].err == 0)
		snprintf(buf, len, "blocked system call %s", cache[i].name);
	else if (cache[i].err == -ENOENT)
		snprintf(buf, len, "blocked system call (seccomp; the kernel log does not say which)");
	else
		snprintf(buf, len, "blocked system call (seccomp; the kernel log: %s)",
			 strerror(-cache[i].err));
}

/* N as a field, empty when negative (unknown). */
static void number_field(char *buf, size_t len, int64_t n)
{
	if (n < 0)
		buf[0] = '\0';
	else
		snprintf(buf, len, "%lld", (long long)n);
}

void procstatus_fill(const struct process *p, struct procstatus *ps, bool usage)
{
	char *pid = ps->pid, *uptime = ps->uptime, *code = ps->code, *sig = ps->sig,
	     *info = ps->info, *tree = ps->tree, *dropped = ps->dropped, *blocked = ps->blocked,
	     *syslog_dropped = ps->syslog_dropped;
	snprintf(pid, sizeof ps->pid, "%d", (int)p->pid);
	snprintf(uptime, sizeof ps->uptime, "%lld",
		 p->pid ? (long long)((loop_now_ms() - p->started_ms) / 1000) : 0LL);
	snprintf(code, sizeof ps->code, "%d", p->pid ? -1 : p->exitcode);
	snprintf(sig, sizeof ps->sig, "%d", p->pid ? 0 : p->exitsig);
	info[0] = '\0';
	if (p->fsm.state == PSTATE_BACKOFF)
		snprintf(info, sizeof ps->info, "retry %d of %d", p->fsm.retries,
			 p->prog->cfg->startretries);
	else if (p->info && !p->pid)
		snprintf(info, sizeof ps->info, "%s", p->info);
	char why[120];
	if (!p->pid && state_disabled(p->prog->cfg->name))
		snprintf(info, sizeof ps->info, "disabled");
	else if (p->dep_waiting && supervisor_waiting_for(p, why, sizeof why))
		snprintf(info, sizeof ps->info, "waiting for %s", why);
	else if (p->status_text && p->pid) /* what it says of itself (sd_notify STATUS=) */
		snprintf(info, sizeof ps->info, "%s%s", p->status_text,
			 p->fsm.last == PFAIL_WATCHDOG ? " (restarted after a watchdog timeout)" : "");
	else if (p->pid && p->fsm.last == PFAIL_WATCHDOG)
		snprintf(info, sizeof ps->info, "restarted after a watchdog timeout");
	else if (p->pid && p->fsm.state == PSTATE_STARTING && p->prog->cfg->ready == READY_HEALTH)
		snprintf(info, sizeof ps->info, "waiting for its first passing health check");
	else if (p->pid && p->fsm.state == PSTATE_STARTING && p->prog->cfg->ready == READY_LOG &&
		 p->ready_line_seen)
		snprintf(info, sizeof ps->info, "its line came, waiting for its first passing "
			 "health check");
	else if (p->pid && p->fsm.state == PSTATE_STARTING && p->prog->cfg->ready == READY_LOG)
		snprintf(info, sizeof ps->info, "waiting for a line matching log:%s",
			 p->prog->cfg->ready_log);
	else if (p->pid && p->fsm.state == PSTATE_STARTING && p->prog->cfg->ready != READY_STARTSECS)
		snprintf(info, sizeof ps->info, "waiting for it to say it is ready");
	snprintf(dropped, sizeof ps->dropped, "%llu", (unsigned long long)(p->out.dropped + p->err.dropped));
	snprintf(blocked, sizeof ps->blocked, "%llu",
		 (unsigned long long)(p->out.blocked_ms + p->err.blocked_ms));
	snprintf(syslog_dropped, sizeof ps->syslog_dropped, "%llu",
		 (unsigned long long)(p->out.syslog_dropped + p->err.syslog_dropped));
	/* the usage first: where it walked the tree's processes, it counted them */
	struct usage u = { -1, -1, -1, -1 };
	if (usage)
		usage_read(p, &u);
	int live = u.tree >= 0 ? u.tree : supervisor_tree_count(p);
	snprintf(tree, sizeof ps->tree, "%d", live);
	char *pool = ps->pool, *worker = ps->worker, *pstats = ps->pstats;
	pool[0] = worker[0] = pstats[0] = '\0';
	if (pool_status(p, pool, sizeof ps->pool, worker, sizeof ps->worker, pstats, sizeof ps->pstats) && !info[0])
		snprintf(info, sizeof ps->info, "%s", worker);
	/* killmode = process: say what the last run left behind. */
	if (!p->pid && live > 0) {
		size_t n = strlen(info);
		snprintf(info + n, sizeof ps->info - n, "%s%d process%s left in its scope", n ? ", " : "",
			 live, live == 1 ? "" : "es");
	}
	/* A log file that cannot be opened or rotated (a symbolic link planted
	 * where it should be) is said while it lasts. */
	const struct logstream *ls[] = { &p->out, &p->err };
	for (int k = 0; k < 2; k++)
		if (ls[k]->error) {
			size_t n = strlen(info);
			snprintf(info + n, sizeof ps->info - n, "%s%s log: %s", n ? ", " : "",
				 k ? "stderr" : "stdout", ls[k]->error);
		}
	/* Its tree went over memory_max: said until its next run. */
	if (!p->pid && p->oom_kills > 0) {
		size_t n = strlen(info);
		char max[32];
		snprintf(info + n, sizeof ps->info - n, "%sout of memory: %s by the OOM killer "
			 "(memory_max = %s)", n ? ", " : "",
			 p->exitsig == SIGKILL ? "killed" : "a process of its tree killed",
			 limits_show(&p->prog->cfg->sandbox.limits, LIMITS_MEMORY, max, sizeof max));
	}
	/* A limit it asked for that is not enforced is said every time. */
	const struct limits *lim = &p->prog->cfg->sandbox.limits;
	int enforced = limits_wanted(lim) ? procstatus_limits_enforced() : 0;
	for (int i = 0; i < LIMITS_N && enforced >= 0; i++)
		if (lim->set[i] && !(enforced & (1 << i))) {
			size_t n = strlen(info);
			snprintf(info + n, sizeof ps->info - n, "%s%s not enforced", n ? ", " : "",
				 limits_key_name(i));
		}
	/* Killed by its seccomp filter: say which call, first. */
	if (!p->pid && p->exitsig == SIGSYS && p->prog->cfg->sandbox.filter.has_list) {
		char call[128], merged[sizeof call + sizeof ps->info + 2];
		blocked_call(p, call, sizeof call);
		snprintf(merged, sizeof merged, "%s%s%s", call, info[0] ? ", " : "", info);
		snprintf(info, sizeof ps->info, "%.*s", (int)sizeof ps->info - 1, merged);
	}
	const char *fields[PS_NFIELDS] = {
		[PS_NAME] = p->name,
		[PS_GROUP] = program_group_name(p->prog),
		[PS_STATE] = program_state_name(p->fsm.state),
		[PS_PID] = pid,
		[PS_UPTIME] = uptime,
		[PS_EXITCODE] = code,
		[PS_SIGNAL] = sig,
		[PS_SPAWNERR] = p->spawnerr ? p->spawnerr : "",
		[PS_INFO] = info,
		[PS_TREE] = tree,
		[PS_SCOPE] = supervisor_scope_kind(),
		[PS_GROUPSTATE] = program_group_state(p->prog),
		[PS_LOGDROPPED] = dropped,
		[PS_LOGBLOCKED] = blocked,
		[PS_POOL] = pool,
		[PS_WORKER] = worker,
		[PS_POOLSTATS] = pstats,
		[PS_SYSLOGDROPPED] = syslog_dropped,
	};
	memcpy(ps->fields, fields, sizeof fields);
	number_field(ps->cpu, sizeof ps->cpu, u.cpu_usec);
	number_field(ps->mem, sizeof ps->mem, u.mem);
	number_field(ps->mempeak, sizeof ps->mempeak, u.mem_peak);
	ps->fields[PS_CPU] = ps->cpu;
	ps->fields[PS_MEM] = ps->mem;
	ps->fields[PS_MEMPEAK] = ps->mempeak;
	health_describe(p, ps->health, sizeof ps->health);
	ps->fields[PS_HEALTH] = ps->health;
	/* its schedule (schedule.h): empty fields when it has none */
	struct schedule_info si;
	bool sched = schedule_info(p->prog, &si);
	number_field(ps->lastrun, sizeof ps->lastrun, sched && si.last_run ? si.last_run : -1);
	number_field(ps->laststatus, sizeof ps->laststatus, sched ? si.last_status : -1);
	number_field(ps->nextrun, sizeof ps->nextrun, sched && si.next_run ? si.next_run : -1);
	number_field(ps->skipped, sizeof ps->skipped, sched ? (int64_t)si.skipped : -1);
	ps->fields[PS_SCHEDULE] = sched ? si.expr : "";
	ps->fields[PS_LASTRUN] = ps->lastrun;
	ps->fields[PS_LASTSTATUS] = ps->laststatus;
	ps->fields[PS_NEXTRUN] = ps->nextrun;
	ps->fields[PS_SKIPPED] = ps->skipped;
	/* its watch = (watch.h): the inotify watches its program uses */
	number_field(ps->watches, sizeof ps->watches, watch_count(p->prog));
	ps->fields[PS_WATCHES] = ps->watches;
	/* a rolling restart of its program (roll.h) */
	if (!roll_describe(p, ps->roll, sizeof ps->roll))
		ps->roll[0] = '\0';
	ps->fields[PS_ROLL] = ps->roll;
	/* corralctl scale (state.h) */
	int scaled = p->prog->transient ? 0 : state_scale(p->prog->cfg->name);
	number_field(ps->scale, sizeof ps->scale, scaled > 0 ? scaled : -1);
	number_field(ps->numprocs, sizeof ps->numprocs, p->prog->cfg->numprocs);
	ps->fields[PS_SCALE] = ps->scale;
	ps->fields[PS_NUMPROCS] = ps->numprocs;
	number_field(ps->restarts, sizeof ps->restarts, (int64_t)p->restarts);
	ps->fields[PS_RESTARTS] = ps->restarts;
	ps->fields[PS_PROGRAM] = p->prog->cfg->name;
}

