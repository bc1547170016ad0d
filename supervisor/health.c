/* health — health checks per program (health.h). */
#include "supervisor/health.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "supervisor/cgroup.h"
#include "supervisor/cmdline.h"
#include "supervisor/events.h"
#include "supervisor/healthspec.h"
#include "supervisor/hooks.h"
#include "supervisor/log.h"
#include "supervisor/loop.h"
#include "supervisor/probe.h"
#include "supervisor/spawn.h"
#include "supervisor/state.h"
#include "supervisor/supervisor.h"

/* The first check comes this soon after a start (or health_interval, when
 * shorter): ready = health should not wait a whole interval. */
#define FIRST_CHECK_MS 1000

struct health {
	struct process *p;
	struct health_spec spec;
	char **argv;                /* exec: the command, split */
	struct probe probe;         /* http, tcp */
	struct deadline next;       /* the next check */
	/* exec: the check's process while it runs */
	pid_t pid;                  /* 0: none */
	int pidfd;
	struct watch pid_w;
	struct deadline kill_d;     /* health_timeout */
	bool timed_out;
	unsigned exec_run;          /* the run of its process it checks (run below) */
	bool leaf;                  /* it is in a cgroup leaf of its own, leafname */
	char leafname[300];
	/* the verdict */
	struct health_count count;
	bool active;                /* its process is STARTING or RUNNING */
	unsigned run;               /* activations: a check of an earlier process counts not */
	int64_t start_ms;
	char reason[160];           /* the last failure's */
	char last_run[200];         /* how its previous run ended, when unhealthy */
	uint64_t failures_total;
};

static int devnull = -1;

static int pidfd_kill(int pidfd)
{
	return (int)syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
}

static const struct program_config *cfg_of(const struct health *h)
{
	return h->p->prog->cfg;
}

/* ---- the verdict ---- */

static void schedule(struct health *h, int64_t delay_ms)
{
	if (loop_timer_set(&h->next, loop_now_ms() + delay_ms) < 0)
		log_err("%s: out of memory for its next health check", h->p->name);
}

static void result(struct health *h, bool ok, const char *why)
{
	if (!h->active)
		return;
	struct process *p = h->p;
	const struct program_config *c = cfg_of(h);
	if (!ok) {
		h->failures_total++;
		snprintf(h->reason, sizeof h->reason, "%s", why);
	}
	log_debug("%s: health check %s: %s", p->name, ok ? "passed" : "failed", why);
	enum health_change ch = health_count_result(&h->count, ok, loop_now_ms(), h->start_ms,
						    (int64_t)c->health_start_period * 1000,
						    c->health_retries);
	schedule(h, (int64_t)c->health_interval * 1000);
	if (ch == HEALTH_BECAME_HEALTHY) {
		h->last_run[0] = '\0'; /* what a restart for health was for is over */
		log_info("%s: healthy (%s)", p->name, why);
		events_process_health(p, true, 0, why);
		hooks_process_health(p, true, 0, why);
	} else if (ch == HEALTH_BECAME_UNHEALTHY) {
		log_warn("%s: unhealthy: %d failed health checks in a row, the last: %s", p->name,
			 h->count.failures, h->reason);
		events_process_health(p, false, h->count.failures, h->reason);
		hooks_process_health(p, false, h->count.failures, h->reason);
	}
	/* What the core does next may change P's state (and call us back). */
	/* ready = health; or ready = log: with ready_health once its line came */
	if (ok && p->fsm.state == PSTATE_STARTING &&
	    (c->ready == READY_HEALTH ||
	     (c->ready == READY_LOG && c->ready_health && p->ready_line_seen))) {
		supervisor_ready(p);
		return;
	}
	if (ch != HEALTH_BECAME_UNHEALTHY || p->fsm.state != PSTATE_RUNNING)
		return;
	snprintf(h->last_run, sizeof h->last_run, "%d failures: %s", h->count.failures, h->reason);
	switch (c->on_unhealthy) {
	case ON_UNHEALTHY_RESTART:
		supervisor_unhealthy(p);
		break;
	case ON_UNHEALTHY_STOP:
		log_warn("%s: stopping it (on_unhealthy = stop)", p->name);
		supervisor_stop(p);
		break;
	case ON_UNHEALTHY_NONE:
		break;
	}
}

/* ---- exec: a check that is a process ---- */

/* Kill whatever is left of the check's tree. */
static void exec_kill_tree(struct health *h)
{
	int r;
	if (h->leaf) {
		if ((r = cgroup_leaf_kill(h->leafname)) < 0 && r != -ENOENT)
			log_warn("%s: cgroup.kill: %s", h->leafname, strerror(-r));
	} else if (h->pid > 0 && kill(-h->pid, SIGKILL) < 0 && errno != ESRCH) {
		log_warn("%s: kill health check's process group %d: %m", h->p->name, (int)h->pid);
	}
	if (h->pidfd >= 0 && pidfd_kill(h->pidfd) < 0 && errno != ESRCH)
		log_warn("%s: kill health check %d: %m", h->p->name, (int)h->pid);
}

/* Its main process is gone: reap it, end the rest of its tree. */
static void exec_reap(void *ctx)
{
	struct health *h = ctx;
	if (h->pidfd < 0)
		return;
	siginfo_t si = { 0 };
	if (waitid(P_PIDFD, (id_t)h->pidfd, &si, WEXITED | WNOHANG) < 0) {
		if (errno != ECHILD) {
			log_err("%s: waitid(health check %d): %m", h->p->name, (int)h->pid);
			return;
		}
		si.si_pid = h->pid;
		si.si_code = CLD_KILLED;
		si.si_status = SIGKILL;
	}
	if (si.si_pid == 0)
		return; /* not yet */
	loop_unwatch(&h->pid_w);
	close(h->pidfd);
	h->pidfd = -1;
	loop_timer_cancel(&h->kill_d);
	supervisor_child_del(h->pid);
	exec_kill_tree(h); /* what it left running (killmode = group's rule) */
	h->pid = 0;
	if (h->leaf && cgroup_leaf_remove(h->leafname) == 0)
		h->leaf = false;
	char why[96];
	bool ok = false;
	if (h->timed_out)
		snprintf(why, sizeof why, "timed out after %ds (its tree killed)",
			 cfg_of(h)->health_timeout);
	else if (si.si_code == CLD_EXITED && si.si_status == 0)
		ok = true, snprintf(why, sizeof why, "exit status 0");
	else if (si.si_code == CLD_EXITED)
		snprintf(why, sizeof why, "exit status %d", si.si_status);
	else
		snprintf(why, sizeof why, "killed by SIG%s",
			 sigabbrev_np(si.si_status) ? sigabbrev_np(si.si_status) : "?");
	h->timed_out = false;
	if (h->exec_run == h->run) /* (one of the process before is only reaped) */
		result(h, ok, why);
}

static void exec_readable(struct watch *w, uint32_t events)
{
	exec_reap(w->ctx);
}

static void exec_timeout(struct deadline *d)
{
	struct health *h = d->ctx;
	if (h->pid <= 0)
		return;
	log_warn("%s: health check pid %d still running after %ds, killing its tree", h->p->name,
		 (int)h->pid, cfg_of(h)->health_timeout);
	h->timed_out = true;
	exec_kill_tree(h);
	/* its exit comes through its pidfd */
}

/* The check's environment, as its process's: corrald's own, what the
 * program's environment sets over it, and CORRAL_PROCESS_NAME and
 * CORRAL_GROUP_NAME. A heap array whose strings are borrowed but the last
 * two (in NAMES); NULL when out of memory. */
static char **exec_env(const struct process *p, char *const *penv, char names[2][300])
{
	extern char **environ;
	size_t nenv = 0, nprog = 0, n = 0;
	while (environ[nenv])
		nenv++;
	while (penv && penv[nprog])
		nprog++;
	char **env = calloc(nenv + nprog + 3, sizeof *env);
	if (!env)
		return NULL;
	for (size_t i = 0; i < nenv; i++) {
		size_t klen = strcspn(environ[i], "=");
		bool overridden = strncmp(environ[i], "CORRAL_PROCESS_NAME=", 20) == 0 ||
				  strncmp(environ[i], "CORRAL_GROUP_NAME=", 18) == 0;
		for (size_t j = 0; j < nprog && !overridden; j++)
			overridden = strncmp(penv[j], environ[i], klen) == 0 && penv[j][klen] == '=';
		if (!overridden)
			env[n++] = environ[i];
	}
	for (size_t j = 0; j < nprog; j++)
		env[n++] = penv[j];
	const char *proc = strchr(p->name, ':') ? strchr(p->name, ':') + 1 : p->name;
	snprintf(names[0], sizeof names[0], "CORRAL_PROCESS_NAME=%s", proc);
	snprintf(names[1], sizeof names[1], "CORRAL_GROUP_NAME=%s", program_group_name(p->prog));
	env[n++] = names[0];
	env[n++] = names[1];
	return env;
}

static void exec_start(struct health *h)
{
	const struct program_config *c = cfg_of(h);
	struct program_instance v;
	program_config_instance(c, h->p->index, &v);
	char names[2][300];
	char **env = exec_env(h->p, v.environment, names);
	if (!env) {
		result(h, false, "out of memory");
		return;
	}
	int cgfd = -1, cg1 = -1, r;
	snprintf(h->leafname, sizeof h->leafname, "%s@health", h->p->name);
	/* a fresh leaf each time (process.c's plan_scope says why) */
	(void)cgroup_leaf_remove(h->leafname);
	h->leaf = false;
	int fd = cgroup_leaf_open(h->leafname);
	if (fd >= 0) {
		h->leaf = true;
		if (cgroup_scope_v1()) {
			cg1 = openat(fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
			int e = errno;
			close(fd);
			if (cg1 < 0)
				fd = -e;
		} else {
			cgfd = fd;
		}
	}
	if (fd < 0 && fd != -ENODEV) { /* -ENODEV: no cgroup scopes, a process group */
		char why[sizeof h->leafname + 96];
		snprintf(why, sizeof why, "cgroup %s: %s", h->leafname, strerror(-fd));
		free(env);
		result(h, false, why);
		return;
	}
	struct spawn_request req = {
		.argv = h->argv,
		.envp = env,
		.directory = v.directory,
		.umask = c->umask,
		.stdio = { devnull, devnull, devnull },
		.cgroup_fd = cgfd,
		.cgroup1_procs = cg1 >= 0 ? &cg1 : NULL,
		.ncgroup1 = cg1 >= 0,
		.sandbox = &c->sandbox,
	};
	struct spawn_result res;
	r = spawn_process(&req, &res);
	free(env);
	if (cgfd >= 0)
		close(cgfd);
	if (cg1 >= 0)
		close(cg1);
	if (r < 0) {
		char why[128];
		snprintf(why, sizeof why, "spawn: %s", strerror(-r));
		result(h, false, why);
		return;
	}
	h->pid = res.pid;
	h->pidfd = res.pidfd;
	h->timed_out = false;
	h->exec_run = h->run;
	if ((r = supervisor_child_add(h->pid, exec_reap, h)) < 0 ||
	    (r = loop_watch(h->pidfd, EPOLLIN, &h->pid_w)) < 0 ||
	    (r = loop_timer_set(&h->kill_d, loop_now_ms() + (int64_t)c->health_timeout * 1000)) < 0) {
		log_err("%s: watching health check pid %d: %s", h->p->name, (int)h->pid, strerror(-r));
		h->timed_out = true;
		exec_kill_tree(h);
		/* reaped by its pidfd if watched, else as a stray */
		if (h->pid_w.fd < 0) {
			supervisor_child_del(h->pid);
			close(h->pidfd);
			h->pidfd = -1;
			h->pid = 0;
			result(h, false, "out of memory");
		}
	}
}

/* ---- checks ---- */

static void probe_done(struct probe *pr, bool ok, const char *why)
{
	result(pr->ctx, ok, why);
}

static void check_due(struct deadline *d)
{
	struct health *h = d->ctx;
	if (!h->active)
		return;
	if (probe_running(&h->probe) || h->pid > 0) {
		/* the killed check of the process before is not reaped yet */
		schedule(h, 100);
		return;
	}
	const struct program_config *c = cfg_of(h);
	if (h->spec.kind == HEALTH_EXEC) {
		exec_start(h);
		return;
	}
	int r = probe_start(&h->probe, &h->spec, c->health_timeout);
	if (r < 0) {
		char why[96];
		snprintf(why, sizeof why, "socket: %s", strerror(-r));
		result(h, false, why);
	}
}

/* Stop a check in flight (an exec check's tree is killed; its exit is
 * still reaped through its pidfd). */
static void cancel_check(struct health *h)
{
	probe_cancel(&h->probe);
	if (h->pid > 0) {
		h->timed_out = true;
		exec_kill_tree(h);
	}
}

static struct health *health_new(struct process *p)
{
	const struct program_config *c = p->prog->cfg;
	struct health *h = calloc(1, sizeof *h);
	if (!h)
		return NULL;
	char err[200];
	if (healthspec_parse(c->healthcheck, &h->spec, err, sizeof err) < 0) {
		log_err("%s: healthcheck: %s", p->name, err); /* the config reader checked it */
		free(h);
		return NULL;
	}
	if (h->spec.kind == HEALTH_EXEC && cmdline_split(h->spec.command, &h->argv, err, sizeof err) < 0) {
		log_err("%s: healthcheck: %s", p->name, err);
		free(h);
		return NULL;
	}
	h->p = p;
	h->pidfd = -1;
	probe_init(&h->probe, probe_done, h);
	loop_timer_init(&h->next, check_due, h);
	loop_timer_init(&h->kill_d, exec_timeout, h);
	loop_watch_init(&h->pid_w, exec_readable, h);
	return h;
}

static void health_free(struct process *p)
{
	struct health *h = p->health;
	if (!h)
		return;
	p->health = NULL;
	h->active = false;
	loop_timer_cancel(&h->next);
	cancel_check(h);
	if (h->pid > 0) {
		/* killed: the sweep for strays reaps it */
		loop_unwatch(&h->pid_w);
		loop_timer_cancel(&h->kill_d);
		supervisor_child_del(h->pid);
		close(h->pidfd);
	}
	if (h->argv)
		cmdline_free(h->argv);
	free(h);
}

/* A new process of P's: its checks begin. */
static void activate(struct process *p)
{
	if (!p->health && !(p->health = health_new(p)))
		return;
	struct health *h = p->health;
	cancel_check(h);
	health_count_reset(&h->count);
	h->run++;
	h->active = true;
	h->start_ms = loop_now_ms();
	h->reason[0] = '\0';
	int64_t first = (int64_t)p->prog->cfg->health_interval * 1000;
	schedule(h, first < FIRST_CHECK_MS ? first : FIRST_CHECK_MS);
}

static void deactivate(struct health *h)
{
	h->active = false;
	loop_timer_cancel(&h->next);
	cancel_check(h);
}

/* ---- the core's hooks ---- */

static void health_process_state(struct process *p, enum pstate before, enum pstate after,
				 const struct pinput *in, bool spawned)
{
	if (!p->prog->cfg->healthcheck)
		return;
	bool alive = after == PSTATE_STARTING || after == PSTATE_RUNNING;
	if (spawned && alive)
		activate(p);
	else if (!alive && p->health && p->health->active)
		deactivate(p->health);
}

static void health_process_adopted(struct process *p)
{
	if (p->prog->cfg->healthcheck && p->pid > 0 &&
	    (p->fsm.state == PSTATE_STARTING || p->fsm.state == PSTATE_RUNNING))
		activate(p);
}

static void health_process_changed(struct process *p, bool gone)
{
	if (gone)
		health_free(p);
}

static void health_program_free(struct program *prog)
{
	for (int i = 0; i < prog->nprocs; i++)
		health_free(prog->procs[i]);
}

static const struct hooks health_hooks = {
	.on_program_free = health_program_free,
	.on_process_adopted = health_process_adopted,
	.on_process_state = health_process_state,
	.on_process_changed = health_process_changed,
};

/* ---- what status says ---- */

bool health_describe(const struct process *p, char *buf, size_t len)
{
	const struct health *h = p->health;
	buf[0] = '\0';
	if (!p->prog->cfg->healthcheck || !h || !h->active)
		return false;
	if (!h->count.known) {
		if (h->last_run[0])
			snprintf(buf, len, "starting (restarted unhealthy: %s)", h->last_run);
		else
			snprintf(buf, len, "starting");
	} else if (h->count.healthy) {
		snprintf(buf, len, "healthy");
	} else {
		snprintf(buf, len, "unhealthy (%d failure%s: %s)", h->count.failures,
			 h->count.failures == 1 ? "" : "s", h->reason);
	}
	return true;
}

bool health_ok(const struct process *p, char *why, size_t len)
{
	if (p->fsm.state != PSTATE_RUNNING) {
		snprintf(why, len, "not running (%s)", program_state_name(p->fsm.state));
		return false;
	}
	if (!p->prog->cfg->healthcheck)
		return true;
	const struct health *h = p->health;
	if (!h || !h->count.known) {
		snprintf(why, len, "not checked yet");
		return false;
	}
	if (h->count.healthy)
		return true;
	health_describe(p, why, len);
	return false;
}

bool health_figures(const struct process *p, int *healthy, uint64_t *failures_total)
{
	if (!p->prog->cfg->healthcheck)
		return false;
	const struct health *h = p->health;
	*healthy = h && h->active && h->count.known ? h->count.healthy : -1;
	*failures_total = h ? h->failures_total : 0;
	return true;
}

int health_init(void)
{
	if (devnull < 0 && (devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0)
		return -errno;
	return hooks_subscribe(&health_hooks);
}
