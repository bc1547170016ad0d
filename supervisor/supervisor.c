#include "supervisor/supervisor.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ipc/io.h"
#include "sandbox/limits.h"
#include "supervisor/cgroup.h"
#include "supervisor/cgroup1.h"
#include "supervisor/core.h"
#include "supervisor/deps.h"
#include "supervisor/devlog.h"
#include "supervisor/group.h"
#include "supervisor/guard.h"
#include "supervisor/hooks.h"
#include "supervisor/log.h"
#include "supervisor/mainlog.h"
#include "supervisor/loop.h"
#include "supervisor/notify.h"
#include "supervisor/process.h"
#include "supervisor/reexec.h"
#include "supervisor/handover.h"
#include "supervisor/state.h"
#include "supervisor/reload.h"
#include "supervisor/roster.h"
#include "supervisor/sdlog.h"
#include "supervisor/sdnotify.h"
#include "supervisor/sockets.h"
#include "supervisor/spawn.h"

/* How long start-up and exit wait for a scope to empty. */
#define SCOPE_WAIT_MS 5000

/* What supervisor.c alone holds; what the core's parts share is in core.h. */
static struct {
	int sigfd;
	struct watch sig_watch, report_watch;
	bool restart;               /* exec corrald anew once everything is down */
	bool reexec;                /* exec corrald, handing everything over, after this turn */
	bool done;
	bool init_group;            /* --init -g: signals go to the main program's process group */
	int exit_status;            /* what corrald exits with after a clean shutdown */
	pid_t guard;                /* kills the scope if corrald dies; 0: none */
	int guard_pipe;             /* its stdin: end of file when corrald is gone */
	int guard_pidfd;
	uint64_t guard_window_ms;   /* guard_replace(): the minute its count is of */
	int guard_replaced;         /* guards started again in that minute */
	struct deadline die_report; /* shutting down: the next "waiting for ... to die" */
	struct deadline hold_end;   /* shutting down: a stop held back (hooks.h) is due */
	int64_t shutdown_ms;        /* when the shutdown began */
	const char *identifier;     /* corrald -i: wins over the config's; NULL: none */
	void (*up)(void);           /* a daemon's (main.c), once up; NULL when done or none */
	struct pidmap helpers;      /* pid -> struct helper: children of the parts (supervisor_child_add) */
} S = { .sigfd = -1, .guard_pipe = -1, .guard_pidfd = -1,
      .sig_watch = { .fd = -1 }, .report_watch = { .fd = -1 },
      .die_report = { .node = { .index = HEAP_NONE } },
      .hold_end = { .node = { .index = HEAP_NONE } } };

/* ---- the core's face (supervisor.h): each verb is carried out by the
 * part of the core that owns it ---- */

struct program *supervisor_programs(void)
{
	return core.programs;
}

const char *program_group_name(const struct program *prog)
{
	return core_group_name(prog);
}

const char *supervisor_process_name(const struct process *p)
{
	return core_process_name(p);
}

const char *program_group_state(const struct program *prog)
{
	return group_state(prog);
}

bool supervisor_waiting_for(const struct process *p, char *buf, size_t len)
{
	return deps_waiting_for(p, buf, len);
}

void supervisor_start(struct process *p)
{
	deps_start(p);
}

void supervisor_stop(struct process *p)
{
	deps_stop(p, false);
}

void supervisor_stop_to_restart(struct process *p)
{
	deps_stop(p, true);
}

void supervisor_restart_alone(struct process *p)
{
	p->alone = true;
	deps_stop(p, true);
}

struct program *supervisor_find_program(const char *name)
{
	return core_find_program(name);
}

const char *supervisor_scale_problem(const struct program *prog)
{
	if (prog->retiring || prog->transient || prog->waiting)
		return "it is being replaced or removed: try again";
	return roster_scale_problem(prog->cfg);
}

int supervisor_scale(struct program *prog, int n, char *why, size_t whylen)
{
	return roster_scale(prog, n, false, why, whylen);
}

int supervisor_signal(struct process *p, int sig)
{
	return process_signal(p, sig);
}

void supervisor_kill_tree(struct process *p)
{
	process_kill_tree(p);
}

void supervisor_ready(struct process *p)
{
	struct pinput in = { .event = PEV_READY };
	process_drive(p, &in);
}

void supervisor_unhealthy(struct process *p)
{
	struct pinput in = { .event = PEV_UNHEALTHY };
	process_drive(p, &in);
}

/* A child of a part's: who reaps it. */
struct helper {
	void (*fn)(void *ctx);
	void *ctx;
};

int supervisor_child_add(pid_t pid, void (*fn)(void *ctx), void *ctx)
{
	struct helper *h = malloc(sizeof *h);
	if (!h)
		return -ENOMEM;
	h->fn = fn;
	h->ctx = ctx;
	int r = pidmap_put(&S.helpers, pid, h);
	if (r < 0)
		free(h);
	return r;
}

void supervisor_child_del(pid_t pid)
{
	free(pidmap_get(&S.helpers, pid));
	pidmap_del(&S.helpers, pid);
}

int supervisor_tree_count(const struct process *p)
{
	return process_tree_count(p);
}

const char *supervisor_log_path(const struct process *p, int which, char *buf, size_t len)
{
	return process_log_path(p, which, buf, len);
}

int supervisor_reload(void (*line)(void *ctx, const char *text),
		      void (*done)(void *ctx, bool ok), void *ctx)
{
	return reload_run(line, done, ctx);
}

int supervisor_reread(char ***added, char ***changed, char ***removed, char *err, size_t errlen)
{
	return reload_reread(added, changed, removed, err, errlen);
}

bool supervisor_group_rolls(const char *name)
{
	return reload_group_rolls(name);
}

int supervisor_group_roll(const char *name)
{
	return reload_group_roll(name);
}

const struct corral_config *supervisor_pending_config(void)
{
	return reload_pending_config();
}

int supervisor_group_add(const char *name)
{
	return reload_group_add(name);
}

int supervisor_group_remove(const char *name)
{
	return reload_group_remove(name);
}

const char *supervisor_scope_kind(void)
{
	return !core.cgroups ? "process-group" : cgroup_scope_v1() ? "cgroup1" : "cgroup";
}

bool supervisor_shutting_down(void)
{
	return core.shutting_down;
}

void supervisor_restart(void)
{
	S.restart = true;
	supervisor_shutdown();
}

bool supervisor_restart_requested(void)
{
	return S.restart;
}

const struct corral_config *supervisor_config(void)
{
	return &core.current->cfg;
}

void supervisor_set_identifier(const char *identifier)
{
	S.identifier = identifier;
}

const char *supervisor_identifier(void)
{
	return S.identifier ? S.identifier : core.current->cfg.identifier;
}

void supervisor_daemon(void (*fn)(void))
{
	S.up = fn;
}

void supervisor_init_forward_to_group(void)
{
	S.init_group = true;
}

/* ---- selection ---- */

/* Each selection has its own mark, so a process named twice ("web all") is
 * listed once without a quadratic search. */
static unsigned sel_generation;

static int sel_add(struct selection *sel, struct process *p, size_t *cap)
{
	if (p->sel_mark == sel_generation)
		return 0;
	p->sel_mark = sel_generation;
	if (sel->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;
		struct process **v = reallocarray(sel->v, ncap, sizeof *v);
		if (!v)
			return -ENOMEM;
		sel->v = v;
		*cap = ncap;
	}
	sel->v[sel->n++] = p;
	return 0;
}

struct sel_add_ctx {
	struct selection *sel;
	size_t *cap;
	size_t matched;             /* processes the word named, listed before or not */
};

static int sel_add_cb(void *ctx, struct process *p)
{
	struct sel_add_ctx *a = ctx;
	a->matched++;
	return sel_add(a->sel, p, a->cap);
}

/* Each word through the indexes (core_select()), or, for "all" or when an
 * index is broken, a walk of every program. */
int supervisor_select(char *const words[], int n, struct selection *sel, const char **bad)
{
	size_t cap = 0;
	sel->v = NULL;
	sel->n = 0;
	if (++sel_generation == 0) { /* wrapped: forget every old mark */
		for (struct program *prog = core.programs; prog; prog = prog->next)
			for (int i = 0; i < prog->nprocs; i++)
				prog->procs[i]->sel_mark = 0;
		sel_generation = 1;
	}
	for (int w = 0; w < n; w++) {
		const char *word = words[w];
		bool all = strcmp(word, "all") == 0;
		const char *colon = strchr(word, ':');
		size_t glen = colon ? (size_t)(colon - word) : strlen(word);
		bool star = colon && strcmp(colon + 1, "*") == 0;
		struct sel_add_ctx ac = { sel, &cap, 0 };
		int found = all ? 1 : core_select(word, sel_add_cb, &ac);
		if (found < 0) {
			selection_free(sel);
			return found;
		}
		for (struct program *prog = found ? core.programs : NULL; prog; prog = prog->next) {
			if (prog->retiring)
				continue;
			const char *gname = core_group_name(prog);
			bool group = all || (strlen(gname) == glen && strncmp(gname, word, glen) == 0 &&
					     (star || !colon));
			for (int i = 0; i < prog->nprocs; i++) {
				struct process *p = prog->procs[i];
				if (group || strcmp(p->name, word) == 0) {
					ac.matched++;
					int r = sel_add(sel, p, &cap);
					if (r < 0) {
						selection_free(sel);
						return r;
					}
				}
			}
		}
		/* A word that names only processes named before ("all web")
		 * still names them. */
		if (!ac.matched && !all) {
			*bad = word;
			selection_free(sel);
			return -ENOENT;
		}
	}
	return 0;
}

void selection_free(struct selection *sel)
{
	free(sel->v);
	sel->v = NULL;
	sel->n = 0;
}

/* ---- corralctl run, reopen ---- */

/* As supervisor_run_transient(), started when START. */
static struct process *transient(const char *name, char *const argv[], const char *directory,
				 int fds[3], bool start, char *err, size_t errlen)
{
	struct config_ref *ref = NULL;
	struct process *p = NULL;
	if (core.shutting_down) {
		snprintf(err, errlen, "corrald is shutting down");
		goto fail;
	}
	for (struct program *prog = core.programs; prog; prog = prog->next)
		if (strcmp(prog->cfg->name, name) == 0 || strcmp(core_group_name(prog), name) == 0) {
			snprintf(err, errlen, "a program named %s already exists", name);
			goto fail;
		}
	if (!(ref = calloc(1, sizeof *ref))) {
		snprintf(err, errlen, "%s", strerror(ENOMEM));
		goto fail;
	}
	if (config_transient(name, argv, directory, &ref->cfg, err, errlen) < 0)
		goto fail;
	struct program *prog = roster_new(&ref->cfg.programs[0], ref);
	if (!prog) {
		snprintf(err, errlen, "%s", strerror(ENOMEM));
		goto fail;
	}
	ref = NULL; /* now held by the program */
	prog->transient = true;
	p = prog->procs[0];
	memcpy(p->stdio, fds, sizeof p->stdio);
	core_insert(prog);
	if (start) {
		log_info("%s: run for a client: %s", p->name, prog->cfg->command);
		deps_start(p);
	}
	return p;
fail:
	if (ref) {
		config_free(&ref->cfg);
		free(ref);
	}
	for (int k = 0; k < 3; k++)
		if (fds[k] >= 0)
			close(fds[k]);
	return NULL;
}

struct process *supervisor_run_transient(const char *name, char *const argv[],
					 const char *directory, int fds[3], char *err,
					 size_t errlen)
{
	return transient(name, argv, directory, fds, true, err, errlen);
}


/* After the exec: corralctl run's program of part PT made again, not
 * started (its process is taken over next). 0, or -1 with WHY. */
static int run_make(const struct handover_part *pt, char *why, size_t whylen)
{
	struct handover_in in = { pt->data, pt->data + pt->len, false };
	char *dir = handover_get_str(&in);
	size_t n = handover_get_count(&in, 4);
	char **argv = calloc(n + 1, sizeof *argv);
	for (size_t i = 0; argv && i < n; i++)
		argv[i] = handover_get_str(&in);
	int fds[3];
	char key[PATH_MAX];
	for (int k = 0; k < 3; k++) {
		snprintf(key, sizeof key, "%s/%d", pt->key, k);
		if ((fds[k] = handover_take_fd("run-stdio", key)) >= 0)
			(void)fcntl(fds[k], F_SETFD, FD_CLOEXEC);
	}
	int r = -1;
	if (!argv || in.bad || in.p != in.end || !n) {
		snprintf(why, whylen, "%s: its part of the record does not parse", pt->key);
		for (int k = 0; k < 3; k++)
			if (fds[k] >= 0)
				close(fds[k]);
	} else if (transient(pt->key, argv, dir && dir[0] ? dir : NULL, fds, false, why,
			     whylen)) { /* the fds are its own now, or closed */
		r = 0;
	}
	for (size_t i = 0; argv && i < n; i++)
		free(argv[i]);
	free(argv);
	free(dir);
	return r;
}

/* After an exec: every corralctl run of the record made again (reexec.c
 * carried them: a part "run" each), before the processes are taken over. */
static void runs_make(const struct handover *h)
{
	char why[PATH_MAX + 256];
	for (size_t i = 0; i < h->nparts; i++)
		if (strcmp(h->parts[i].kind, "run") == 0 && run_make(&h->parts[i], why, sizeof why) < 0)
			log_err("handover: corralctl run %s: %s", h->parts[i].key, why);
}

void supervisor_reopen_logs(void)
{
	mainlog_reopen();
	for (struct program *prog = core.programs; prog; prog = prog->next)
		for (int i = 0; i < prog->nprocs; i++) {
			struct process *p = prog->procs[i];
			struct logstream *ss[] = { &p->out, &p->err };
			for (int k = 0; k < 2; k++) {
				char why[PATH_MAX + 160];
				if (logstream_reopen(ss[k], why, sizeof why) < 0)
					log_err("%s: reopening %s log: %s", p->name,
						k ? "stderr" : "stdout", why);
			}
		}
	log_info("log files reopened");
}

/* ---- shutdown ---- */

/* Is P's stop held back (an event listener answering the event in
 * flight, hooks.h)? At most until its stopwaitsecs from the shutdown's
 * start: *DUE then becomes that time if it is sooner. */
static bool stop_held(const struct process *p, int64_t *due)
{
	int64_t until = S.shutdown_ms + (int64_t)p->prog->cfg->stopwaitsecs * 1000;
	if (loop_now_ms() >= until || !hooks_stop_hold(p))
		return false;
	if (until < *due)
		*due = until;
	return true;
}

/* Stop programs in reverse priority order, one priority at a time: the
 * next lower priority is asked to stop only when everything above it is
 * down. Called at every state change while shutting down, when a held stop
 * is let go, and when one is due. */
static void shutdown_step(void)
{
	static bool busy; /* deps_stop below re-enters through process_drive() */
	if (busy)
		return;
	busy = true;
	for (;;) {
		/* Still stopping: the next priority waits. Counted, not looked
		 * for: this runs at every change while shutting down. */
		if (core.stopping)
			break;
		int prio = INT_MIN;
		for (struct program *prog = core.programs; prog; prog = prog->next)
			for (int i = 0; i < prog->nprocs; i++) {
				struct process *p = prog->procs[i];
				deps_unwait(p); /* nothing starts any more */
				if (!process_down(p) && prog->cfg->priority > prio &&
				    !deps_has_live_dependents(prog))
					prio = prog->cfg->priority;
			}
		if (prio == INT_MIN) {
			S.done = true;
			loop_timer_cancel(&S.die_report);
			loop_timer_cancel(&S.hold_end);
			break;
		}
		/* What requires or comes after a program stops first; with no
		 * cycles (the config refuses them) one always can. */
		int64_t due = INT64_MAX;
		bool held = false;
		for (struct program *prog = core.programs; prog; prog = prog->next)
			if (prog->cfg->priority == prio && !deps_has_live_dependents(prog))
				for (int i = 0; i < prog->nprocs; i++) {
					struct process *p = prog->procs[i];
					if (process_down(p))
						continue;
					if (stop_held(p, &due))
						held = true;
					else
						deps_stop(p, false);
				}
		if (held) {
			if (loop_timer_set(&S.hold_end, due) < 0)
				log_err("out of memory for a deadline");
			break;
		}
	}
	busy = false;
}

static void hold_end_due(struct deadline *d)
{
	shutdown_step();
}

void supervisor_shutdown_recheck(void)
{
	if (core.shutting_down && !S.done)
		shutdown_step();
}

/* supervisord's "waiting for a, b to die": what is not down yet, every
 * few seconds until everything is. */
#define DIE_REPORT_MS 3000

static void die_report(void)
{
	static const char more[] = ", ...";
	char names[4096];
	size_t n = 0;
	for (struct program *prog = core.programs; prog; prog = prog->next)
		for (int i = 0; i < prog->nprocs; i++) {
			const struct process *p = prog->procs[i];
			if (process_down(p))
				continue;
			const char *name = core_process_name(p);
			if (n + 2 + strlen(name) + sizeof more > sizeof names) {
				memcpy(names + n, more, sizeof more); /* bounded: the rest is "..." */
				n += sizeof more - 1;
				goto full;
			}
			n += (size_t)snprintf(names + n, sizeof names - n, "%s%s", n ? ", " : "", name);
		}
full:
	if (!n)
		return;
	sdlog_waiting_to_die(names);
	if (loop_timer_set(&S.die_report, loop_now_ms() + DIE_REPORT_MS) < 0)
		log_err("out of memory for a deadline");
}

static void die_report_due(struct deadline *d)
{
	die_report();
}

void supervisor_shutdown(void)
{
	if (core.shutting_down)
		return;
	log_info("shutting down");
	core.shutting_down = true;
	S.shutdown_ms = loop_now_ms();
	(void)sdnotify_send("STOPPING=1");
	hooks_stopping();
	shutdown_step();
	if (!S.done)
		die_report();
}

/* ---- what one process's change means for the others ---- */

/* --init: the status corrald will exit with is that of the main program's
 * last run, as a shell reports it: the code, or 128 + the signal; a command
 * that never ran is 127. */
static void main_status(const struct process *p)
{
	if (p->spawnerr)
		S.exit_status = 127;
	else if (p->exitsig)
		S.exit_status = 128 + p->exitsig;
	else
		S.exit_status = p->exitcode >= 0 ? p->exitcode : 1;
}

static void main_ended(struct process *p)
{
	log_info("%s (main = true) is %s with status %d: stopping everything",
		 p->name, program_state_name(p->fsm.state), S.exit_status);
	supervisor_shutdown();
}

/* P's main process exited with IN: its group may take the exit over. */
static bool policy_exited(struct process *p, const struct pinput *in)
{
	if (core.init && p->prog->cfg->main)
		main_status(p);
	return group_member_failed(p, in);
}

/* P's state machine went from BEFORE to where it is now. */
static void policy_changed(struct process *p, enum pstate before)
{
	if (p->prog->group && !p->prog->retiring)
		group_check(p->prog->group);
	/* A required program that fails stops what requires it, which
	 * starts again when it is back; a cascade carries that on. */
	if (before == PSTATE_RUNNING && !p->prog->transient && !core.shutting_down &&
	    !(p->alone && p->fsm.state == PSTATE_STOPPING))
		deps_fallen(p->prog, p->fsm.state != PSTATE_STOPPING || p->dep_restart);
	/* A restart alone is over once its stop is (down, or started again
	 * already by whoever restarts it, from a hook run before this one). */
	if (p->fsm.state != PSTATE_STOPPING)
		p->alone = false;
	/* Stops first: a required program whose stop waited for this
	 * one goes now, before this one could be started again. */
	if (process_down(p))
		deps_stops_recheck();
	if (p->fsm.state == PSTATE_RUNNING || process_down(p))
		deps_recheck();
	if (p->prog->transient && !p->prog->retiring && process_down(p))
		roster_retire(p->prog); /* its run is over */
	else if (p->prog->retiring)
		roster_check_retired(p->prog);
	else if (p->surplus)
		roster_check_surplus(p->prog);
	if (core.init && p->prog->cfg->main && !core.shutting_down &&
	    (p->fsm.state == PSTATE_EXITED || p->fsm.state == PSTATE_FATAL) &&
	    process_down(p))
		main_ended(p);
	if (core.shutting_down)
		shutdown_step();
}

static const struct process_policy policy = { .exited = policy_exited, .changed = policy_changed };

/* ---- the autostart queue ---- */

/* Autostart goes through a queue that the loop works off START_BATCH
 * processes at a time, in priority order: with thousands of programs,
 * corrald keeps answering its socket and reaping while it starts them. */
#define START_BATCH 64

static void run_start_queue(void)
{
	int started = 0;
	/* From where the last batch stopped (nothing is queued before it), so
	 * that N queued processes cost O(N) in all, not O(N) a batch; from the
	 * start when something was queued since, or once more when the end
	 * came with nothing started. */
	if (core.start_rewind) {
		core.start_from = NULL;
		core.start_rewind = false;
	}
	bool whole = !core.start_from;
	struct program *prog = whole ? core.programs : core.start_from;
	for (;;) {
		for (; prog; prog = prog->next) {
			if (prog->retiring || prog->waiting)
				continue;
			for (int i = 0; i < prog->nprocs && started < START_BATCH; i++) {
				struct process *p = prog->procs[i];
				if (!p->start_queued)
					continue;
				core_unqueue(p);
				deps_start(p);
				started++;
			}
			if (started == START_BATCH)
				break; /* it may have more queued: the next batch starts here */
		}
		core.start_from = prog;
		if (prog || whole || started || !core.start_queued)
			break;
		whole = true;
		prog = core.programs;
	}
	if (started == 0) {
		/* Only programs that may not start now hold queued processes (cannot
		 * happen: stop and retire unqueue). Never spin on them. */
		for (struct program *q = core.programs; q; q = q->next)
			for (int i = 0; i < q->nprocs; i++)
				q->procs[i]->start_queued = false;
		core.start_queued = 0;
	}
}

/* ---- the guard, signals ---- */

/* The guard's standard error: corrald's own, but for a daemon still
 * starting, whose stderr is the terminal's only until it is up (main.c):
 * the guard outlives that, and must not hold the terminal (or the pipe of
 * whoever waits for the command to end). */
static int guard_stderr(void)
{
	return S.up ? core.devnull : STDERR_FILENO;
}

/* The guard died (killed, or it failed): start another at once, so that
 * "nothing outlives corrald" holds again before corrald could be killed.
 * At most 10 a minute: a guard that cannot run must not become a fork loop. */
static void guard_replace(void)
{
	pid_t old = S.guard;
	S.guard = 0;
	close(S.guard_pidfd);
	S.guard_pidfd = -1;
	close(S.guard_pipe); /* its reader is gone */
	S.guard_pipe = -1;
	if (core.shutting_down)
		return;
	uint64_t now = loop_now_ms();
	if (now - S.guard_window_ms >= 60000) {
		S.guard_window_ms = now;
		S.guard_replaced = 0;
	}
	if (++S.guard_replaced > 10) {
		log_err("the guard (pid %d) died, the 10th this minute: not starting another; "
			"if corrald is killed now, the trees it started survive it", (int)old);
		return;
	}
	pid_t g = guard_start(cgroup_scope_path(), guard_stderr(), &S.guard_pipe, &S.guard_pidfd);
	if (g < 0) {
		log_err("the guard (pid %d) died and another cannot start (%s): if corrald is "
			"killed now, the trees it started survive it", (int)old, strerror((int)-g));
		return;
	}
	S.guard = g;
	log_warn("the guard (pid %d) died: started another, pid %d", (int)old, (int)g);
}

/* SIGCHLD: find every child that has exited. Ours are reaped by pidfd;
 * anything else is a stray (a daemonizing grandchild re-parented to us, the
 * subreaper) and is reaped and logged, never left a zombie. */
static void reap_all(void)
{
	for (;;) {
		siginfo_t si = { 0 };
		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0) {
			if (errno != ECHILD)
				log_err("waitid: %m");
			return;
		}
		if (si.si_pid == 0)
			return;
		struct process *p = pidmap_get(&core.pids, si.si_pid);
		if (p) {
			process_exited(p);
			if (p->pid == si.si_pid) /* could not reap it: do not spin */
				return;
			continue;
		}
		struct helper *h = pidmap_get(&S.helpers, si.si_pid);
		if (h) {
			h->fn(h->ctx); /* its owner reaps it (and calls supervisor_child_del) */
			if (pidmap_get(&S.helpers, si.si_pid))
				return; /* could not reap it: do not spin */
			continue;
		}
		if (si.si_pid == S.guard)
			guard_replace();
		int status;
		pid_t r = waitpid(si.si_pid, &status, WNOHANG);
		if (r < 0) {
			log_err("waitpid(%d): %m", (int)si.si_pid);
			return;
		}
		log_info("reaped stray process %d (%s %d)", (int)si.si_pid,
			 WIFSIGNALED(status) ? "signal" : "status",
			 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
		sdlog_stray(si.si_pid, WIFEXITED(status) ? WEXITSTATUS(status) : -1,
			    WIFSIGNALED(status) ? WTERMSIG(status) : 0, WCOREDUMP(status));
	}
}

/* --init: a signal for the container (docker kill -s HUP, a terminal's
 * WINCH, ...) goes to the main program, as tini gives it to its child; with
 * -g to its process group (the main process leads one of its own). */
static void init_forward(int sig)
{
	struct process *main = NULL;
	for (struct program *prog = core.programs; prog && !main; prog = prog->next)
		if (prog->cfg->main && !prog->retiring && prog->nprocs && prog->procs[0]->pid)
			main = prog->procs[0];
	const char *name = sigabbrev_np(sig);
	char num[16];
	if (!name) {
		snprintf(num, sizeof num, "%d", sig);
		name = num;
	}
	if (!main) {
		log_info("got SIG%s: no main program running to forward it to", name);
		return;
	}
	log_debug("got SIG%s: forwarding it to %s (pid %d%s)", name, main->name, (int)main->pid,
		  S.init_group ? ", its process group" : "");
	int r = S.init_group ? (kill(-main->pid, sig) < 0 ? -errno : 0) : process_signal(main, sig);
	if (r < 0 && r != -ESRCH)
		log_warn("%s: forwarding SIG%s: %s", main->name, name, strerror(-r));
}

static void handle_signals(void)
{
	struct signalfd_siginfo si;
	for (;;) {
		ssize_t n = io_read_some(S.sigfd, &si, sizeof si);
		if (n == -EAGAIN)
			return;
		if (n != (ssize_t)sizeof si) {
			log_err("reading signalfd: %s", n < 0 ? strerror((int)-n) : "short read");
			return;
		}
		switch (si.ssi_signo) {
		case SIGCHLD:
			sdlog_signal(SIGCHLD, false);
			reap_all();
			break;
		case SIGTERM:
		case SIGINT:
			sdlog_signal((int)si.ssi_signo, false);
			if (core.init && !core.shutting_down)
				core.init_stop_sig = (int)si.ssi_signo;
			supervisor_shutdown();
			break;
		case SIGHUP:
			if (core.init) {
				init_forward((int)si.ssi_signo);
				break;
			}
			sdlog_signal(SIGHUP, core.shutting_down);
			log_info("got SIGHUP: reloading %s", core.config_path);
			reload_run(NULL, NULL, NULL);
			break;
		case SIGUSR1:
			if (core.init) {
				init_forward((int)si.ssi_signo);
				break;
			}
			sdlog_signal(SIGUSR1, false);
			supervisor_reexec(NULL, NULL);
			break;
		case SIGUSR2:
			if (core.init) {
				init_forward((int)si.ssi_signo);
				break;
			}
			sdlog_signal(SIGUSR2, false);
			supervisor_reopen_logs();
			break;
		default:
			if (core.init)
				init_forward((int)si.ssi_signo);
			break;
		}
	}
}

static void signals_readable(struct watch *w, uint32_t events)
{
	handle_signals();
}

static void reports_readable(struct watch *w, uint32_t events)
{
	process_read_reports();
}

/* ---- corrald execs itself (reexec.h) ---- */

int supervisor_reexec(void (*line)(void *ctx, const char *text), void *ctx)
{
	char why[PATH_MAX + 512];
	if (reexec_check(why, sizeof why) < 0) {
		log_err("reexec refused: %s", why);
		if (line)
			line(ctx, why);
		return -1;
	}
	char bin[PATH_MAX];
	if (reexec_binary(bin, sizeof bin) < 0)
		snprintf(bin, sizeof bin, "corrald");
	if (line) {
		char msg[PATH_MAX + 32];
		snprintf(msg, sizeof msg, "re-executing %s", bin);
		line(ctx, msg);
	}
	S.reexec = true; /* once this turn's answers are out */
	return 0;
}

static void reexec_now(void)
{
	S.reexec = false;
	char why[PATH_MAX + 512];
	struct reexec_guard g = { S.guard, S.guard_pipe, S.guard_pidfd };
	if (reexec_exec(&g, why, sizeof why) < 0)
		log_err("reexec failed, corrald goes on as it was: %s", why);
}

/* Limits the v2 scope at PATH cannot hold go through cgroup v1 where a
 * hierarchy there has the controller (a hybrid host), in a scope
 * directory of the same name; said once. */
static void limits_v1_open(const char *path)
{
	char why[PATH_MAX + 160] = "";
	int v2 = cgroup_scope_v1() ? 0 : limits_enable(path, (1u << LIMITS_N) - 1, why, sizeof why);
	const char *name = strrchr(path, '/');
	unsigned v1 = cgroup1_open(name ? name + 1 : path, v2 > 0 ? (unsigned)v2 : 0);
	char list[64] = "";
	for (int i = 0; i < LIMITS_N; i++)
		if (v1 & (1u << i))
			snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
				 list[0] ? ", " : "", limits_key_name(i));
	if (v1)
		log_info("scopes: %s through cgroup v1%s", list,
			 cgroup_scope_v1() ? "" : (v1 & (v1 - 1)) ? " (cgroup v2 has not the controllers here)"
								  : " (cgroup v2 has not the controller here)");
}

/* After the exec: the scope and the guard as they were, nothing killed. */
static int scopes_adopt(const struct handover *h)
{
	int fd = h->scope_path[0] ? handover_take_fd("scope", h->scope_path) : -1;
	if (fd < 0) {
		log_warn("handover: no cgroup scope: using process groups");
		return 0;
	}
	int r = cgroup_scope_adopt(fd, h->scope_path);
	if (r < 0) {
		log_err("handover: scope %s: %s", h->scope_path, strerror(-r));
		close(fd);
		return -1;
	}
	core.cgroups = true;
	limits_v1_open(h->scope_path);
	if (h->guard_pid > 0 && h->guard_pipe >= 0 && h->guard_pidfd >= 0) {
		S.guard = h->guard_pid;
		S.guard_pipe = h->guard_pipe;
		S.guard_pidfd = h->guard_pidfd;
		(void)fcntl(S.guard_pipe, F_SETFD, FD_CLOEXEC);
		(void)fcntl(S.guard_pidfd, F_SETFD, FD_CLOEXEC);
	}
	log_info("scopes: cgroup %s, taken over under %s (guard pid %d)",
		 cgroup_scope_v1() ? "v1" : "v2", h->scope_path,
		 (int)S.guard);
	return 0;
}

/* ---- start-up and the loop ---- */

static int setup(void)
{
	sigset_t mask;
	sigemptyset(&mask);
	int sigs[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2 };
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		sigaddset(&mask, sigs[i]);
	if (core.init) {
		/* A container's init takes every signal it can, to forward it;
		 * not those that report a fault of its own, nor SIGPIPE (ignored:
		 * a client that hangs up is an EPIPE, not a signal to pass on). */
		sigfillset(&mask);
		int own[] = { SIGKILL, SIGSTOP, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP,
			      SIGSYS, SIGPIPE };
		for (size_t i = 0; i < sizeof own / sizeof own[0]; i++)
			sigdelset(&mask, own[i]);
	}
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0) {
		log_err("sigprocmask: %m");
		return -1;
	}
	/* A client that hangs up mid-answer must not kill us. */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
		log_err("signal(SIGPIPE): %m");
		return -1;
	}
	/* Grandchildren that daemonize are re-parented to us, so they can be reaped. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		log_warn("PR_SET_CHILD_SUBREAPER: %m (strays will go to init)");

	/* Each worker costs a pidfd and up to two pipes and two files: raise the
	 * soft limit as far as allowed (and, as root, the hard one), and give
	 * workers the limits corrald started with. */
	if (getrlimit(RLIMIT_NOFILE, &core.nofile) < 0) {
		log_err("getrlimit(RLIMIT_NOFILE): %m");
		return -1;
	}
	struct rlimit raised = core.nofile;
	raised.rlim_cur = raised.rlim_max;
	if (geteuid() == 0) {
		FILE *f = fopen("/proc/sys/fs/nr_open", "re");
		unsigned long nr_open = 0;
		if (f) {
			if (fscanf(f, "%lu", &nr_open) == 1 && nr_open > raised.rlim_max)
				raised.rlim_max = raised.rlim_cur = nr_open;
			fclose(f);
		}
	}
	if (setrlimit(RLIMIT_NOFILE, &raised) < 0) {
		raised.rlim_max = core.nofile.rlim_max;
		raised.rlim_cur = raised.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &raised) < 0)
			log_warn("setrlimit(RLIMIT_NOFILE): %m");
	}

	int r = loop_init();
	if (r < 0) {
		log_err("setting up the event loop: %s", strerror(-r));
		return -1;
	}
	core.devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	S.sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (core.devnull < 0 || S.sigfd < 0) {
		log_err("setting up the event loop: %m");
		return -1;
	}
	loop_watch_init(&S.sig_watch, signals_readable, NULL);
	loop_watch_init(&S.report_watch, reports_readable, NULL);
	loop_timer_init(&S.die_report, die_report_due, NULL);
	loop_timer_init(&S.hold_end, hold_end_due, NULL);
	int reports = spawn_init();
	if (reports < 0) {
		log_err("spawn report pipe: %s", strerror(-reports));
		return -1;
	}
	if ((r = loop_watch(S.sigfd, EPOLLIN, &S.sig_watch)) < 0 ||
	    (r = loop_watch(reports, EPOLLIN, &S.report_watch)) < 0) {
		log_err("epoll_ctl: %s", strerror(-r));
		return -1;
	}
	return 0;
}

/* The scope directory NAME under ROOT, taken: what a predecessor left is
 * killed and removed, and so are empty scopes of corralds that are gone. */
static int scope_take(const char *root, const char *name, char *err, size_t errlen)
{
	int procs = 0, leaves = 0;
	int r = cgroup_scope_open(root, name, SCOPE_WAIT_MS, &procs, &leaves, err, errlen);
	if (r == 0 && (procs || leaves))
		log_warn("scopes: a previous corrald left %d processes in %d cgroups under %s: "
			 "killed and removed them", procs, leaves, cgroup_scope_path());
	int swept = r == 0 ? cgroup_sweep_orphans(root, "corral-") : 0;
	if (swept > 0)
		log_info("scopes: removed %d empty scope%s under %s left by corralds that are gone",
			 swept, swept == 1 ? "" : "s", root);
	return r;
}

/* A cgroup v1 scope: in the freezer's hierarchy (a tree is frozen, killed,
 * thawed), else in the pids one; below corrald's own cgroup there. */
static int scope_v1(const char *name, char *err, size_t errlen)
{
	char root[PATH_MAX];
	static const char *const ctl[] = { "freezer", "pids" };
	for (size_t i = 0; i < 2; i++)
		if (cgroup1_find("/proc/self/mountinfo", "/proc/self/cgroup", ctl[i], root,
				 sizeof root) == 0)
			return scope_take(root, name, err, errlen);
	snprintf(err, errlen, "no cgroup v1 hierarchy with the freezer or pids controller");
	return -ENOENT;
}

/* Scopes: a cgroup directory of our own, named after the control socket
 * (two corralds never share one), so that a successor finds what a killed
 * predecessor left: cgroup v2, else v1, else process groups (auto), and
 * says which and why. */
static int scopes_open(const struct corral_config *cfg)
{
	char root[PATH_MAX], err[PATH_MAX + 128] = "", err1[PATH_MAX + 128] = "", name[32];
	enum scopes want = cfg->scopes == SCOPES_CGROUP2 ? SCOPES_CGROUP : cfg->scopes;
	/* FNV-1a of the socket path. */
	uint64_t h = 1469598103934665603ull;
	for (const char *c = cfg->socket; *c; c++)
		h = (h ^ (unsigned char)*c) * 1099511628211ull;
	snprintf(name, sizeof name, "corral-%016llx", (unsigned long long)h);
	int r = -ENOENT;
	if (want == SCOPES_AUTO || want == SCOPES_CGROUP) {
		r = cgroup_find_own("/proc/self/mountinfo", "/proc/self/cgroup", root, sizeof root,
				    err, sizeof err);
		if (r == 0)
			r = scope_take(root, name, err, sizeof err);
	} else if (want == SCOPES_CGROUP1) {
		snprintf(err, sizeof err, "scopes = cgroup1 in the config");
	} else {
		snprintf(err, sizeof err, "scopes = process-group in the config");
	}
	if (r == -EBUSY) { /* another corrald's: falling back would hide that */
		log_err("scopes: %s", err);
		return -1;
	}
	if (r < 0 && want == SCOPES_CGROUP) {
		log_err("scopes: cgroup v2 is required (scopes = %s) but not usable: %s",
			 cfg->scopes == SCOPES_CGROUP2 ? "cgroup2" : "cgroup", err);
		return -1;
	}
	bool tried_v1 = r < 0 && (want == SCOPES_AUTO || want == SCOPES_CGROUP1);
	if (tried_v1) {
		r = scope_v1(name, err1, sizeof err1);
		if (r == -EBUSY) {
			log_err("scopes: %s", err1);
			return -1;
		}
		if (r < 0 && want == SCOPES_CGROUP1) {
			log_err("scopes: cgroup v1 is required (scopes = cgroup1) but not usable: %s",
				 err1);
			return -1;
		}
	}
	if (r < 0) {
		log_warn("scopes: cgroup v2 not usable (%s)%s%s; using process groups: a process "
			 "that leaves its process group escapes a stop, and if corrald is killed "
			 "only the main processes die with it", err, tried_v1 ? ", nor v1: " : "",
			 tried_v1 ? err1 : "");
		return 0;
	}
	core.cgroups = true;
	limits_v1_open(cgroup_scope_path());
	/* As PID 1 of a PID namespace, the kernel kills everything in it when
	 * corrald dies: no guard needed. */
	pid_t g = getpid() == 1 ? 0 : guard_start(cgroup_scope_path(), guard_stderr(),
						  &S.guard_pipe, &S.guard_pidfd);
	if (g < 0)
		log_warn("scopes: cannot start the guard (%s): if corrald is killed, the trees it "
			 "started survive it", strerror((int)-g));
	else
		S.guard = g;
	char kind[160];
	if (!cgroup_scope_v1())
		snprintf(kind, sizeof kind, "cgroup v2");
	else
		snprintf(kind, sizeof kind, "cgroup v1 (%s; %s)",
			 cgroup_scope_freezer() ? "freezer: a tree is frozen, killed and thawed"
						: "pids, without the freezer: a tree is killed until empty",
			 want == SCOPES_CGROUP1 ? "scopes = cgroup1" : err);
	if (S.guard)
		log_info("scopes: %s, one cgroup per process under %s (guard pid %d)", kind,
			 cgroup_scope_path(), (int)S.guard);
	else
		log_info("scopes: %s, one cgroup per process under %s (PID 1: everything dies "
			 "with corrald)", kind, cgroup_scope_path());
	return 0;
}

static int write_pidfile(const char *path)
{
	char tmp[PATH_MAX], text[32];
	if (snprintf(tmp, sizeof tmp, "%s.new", path) >= (int)sizeof tmp)
		return -ENAMETOOLONG;
	/* PATH.new is ours to replace, and only as a new file: a FIFO there
	 * would block the open until a reader came, a symlink would have the
	 * pid written (as root) over whatever it points to. */
	if (unlink(tmp) < 0 && errno != ENOENT)
		return -errno;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	int n = snprintf(text, sizeof text, "%d\n", (int)getpid());
	int r = io_write_all(fd, text, (size_t)n);
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	return r;
}

/* Only a pidfile that still holds our pid is ours to remove: one written
 * over it since (another corrald, an operator) is left alone. */
static void remove_pidfile(const char *path)
{
	char text[32];
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t n = io_read_some(fd, text, sizeof text - 1);
	close(fd);
	if (n <= 0)
		return;
	text[n] = '\0';
	char *end;
	long pid = strtol(text, &end, 10);
	if (pid != (long)getpid() || (*end && *end != '\n')) {
		log_warn("pidfile %s no longer holds pid %d: left as it is", path, (int)getpid());
		return;
	}
	if (unlink(path) < 0)
		log_warn("pidfile %s: %m", path);
}

int supervisor_run(const char *config_path, struct corral_config *cfg, bool init)
{
	int status = 1;
	process_set_policy(&policy);
	core.config_path = config_path;
	core.init = init;
	core.current = calloc(1, sizeof *core.current);
	if (!core.current) {
		log_err("out of memory");
		config_free(cfg);
		return 1;
	}
	core.current->cfg = *cfg;
	core.current->refs = 1;
	memset(cfg, 0, sizeof *cfg); /* now owned by core.current */
	cfg = &core.current->cfg;

	sdnotify_init();
	if (setup() < 0)
		goto out;
	int r = io_mkdir_p(cfg->logdir, 0755);
	if (r < 0) {
		log_err("logdir %s: %s", cfg->logdir, strerror(-r));
		goto out;
	}
	state_open(cfg->state_dir);
	char lerr[2 * PATH_MAX + 256];
	if (reload_check_logdirs(cfg, NULL, lerr, sizeof lerr) < 0) {
		log_err("%s", lerr);
		goto out;
	}
	/* The servers first: a second corrald is told so before it touches
	 * anything (the scopes of the first). */
	if (hooks_open(cfg) < 0)
		goto out;
	if (handover_active() ? scopes_adopt(handover_current()) < 0 : scopes_open(cfg) < 0)
		goto out_control;
	notify_open(cfg);
	reload_announce_limits(cfg);
	if (cfg->pidfile && (r = write_pidfile(cfg->pidfile)) < 0) {
		log_err("pidfile %s: %s", cfg->pidfile, strerror(-r));
		goto out_control;
	}

	/* Sockets before programs: a bind error stops corrald before anything
	 * started (exit 1), and a worker finds its sockets listening. */
	char serr[PATH_MAX + 160];
	if ((r = sockets_prepare(cfg, serr, sizeof serr)) < 0) {
		log_err("%s", serr);
		goto out_pidfile;
	}
	sockets_commit();
	for (size_t i = 0; i < cfg->nsockets; i++)
		for (int k = 0; k < cfg->sockets[i].nlisten; k++) {
			char text[SOCKETS_ADDR_STRLEN];
			sockets_format(&cfg->sockets[i].listen[k], text, sizeof text);
			log_info("socket %s: listening on %s for %s", cfg->sockets[i].name, text,
				 cfg->sockets[i].program);
		}

	if (group_apply(cfg) < 0) {
		log_err("out of memory creating groups");
		goto out_pidfile;
	}
	struct program **made = calloc(cfg->nprograms ? cfg->nprograms : 1, sizeof *made);
	if (!made) {
		log_err("out of memory creating programs");
		goto out_pidfile;
	}
	for (size_t i = 0; i < cfg->nprograms; i++) {
		if (!(made[i] = roster_new(&cfg->programs[i], core.current))) {
			log_err("out of memory creating program %s", cfg->programs[i].name);
			for (size_t j = 0; j < i; j++)
				roster_free(made[j]);
			free(made);
			goto out_pidfile;
		}
	}
	core_insert_all(made, cfg->nprograms); /* sorted together: O(N log N), not O(N^2) */
	free(made);
	log_info("corrald %s started (pid %d), %zu programs, control socket %s", CORRAL_VERSION,
		 (int)getpid(), cfg->nprograms, cfg->socket);
	sdlog_started(getpid());
	if (S.up) {
		S.up();
		S.up = NULL;
	}
	hooks_started();
	if (handover_active()) {
		/* The same config: every process is in the record, where it was. */
		char why[PATH_MAX + 256];
		runs_make(handover_current());
		if (reexec_adopt(why, sizeof why) < 0)
			log_err("handover: not every process was taken over: %s", why);
		hooks_taken_over();
		log_info("took over %zu processes from corrald %s", handover_current()->nprocs,
			 handover_current()->version);
		handover_done();
	} else {
		for (struct program *prog = core.programs; prog; prog = prog->next)
			core_autostart(prog);
	}

	bool ready = false;
	while (!S.done) {
		if (core.start_queued && !core.shutting_down)
			run_start_queue();
		if (!ready && !core.start_queued) {
			/* Every autostart program has been spawned: tell systemd
			 * (Type=notify), once. */
			ready = true;
			char msg[128];
			snprintf(msg, sizeof msg, "READY=1\nSTATUS=supervising %zu programs\nMAINPID=%d",
				 core.current->cfg.nprograms, (int)getpid());
			if ((r = sdnotify_send(msg)) < 0)
				log_warn("sd_notify: %s", strerror(-r));
		}
		/* Never block while the start queue has work. */
		if ((r = loop_run_once(core.start_queued ? 0 : -1)) < 0) {
			log_crit("epoll_wait: %s", strerror(-r));
			/* Cannot wait any more: take everything down the hard way. */
			for (struct program *prog = core.programs; prog; prog = prog->next)
				for (int i = 0; i < prog->nprocs; i++)
					process_signal(prog->procs[i], SIGKILL);
			goto out_pidfile;
		}
		roster_bury();
		hooks_bury();
		if (S.reexec && !core.shutting_down)
			reexec_now();
	}
	status = S.exit_status;
	log_info("all programs stopped, exiting with status %d", status);

out_pidfile:
	if (core.current->cfg.pidfile)
		remove_pidfile(core.current->cfg.pidfile);
out_control:
	notify_close();
	hooks_close();
	/* Whatever is still in a scope (killmode = process leftovers, or
	 * everything after a failure) dies with corrald. */
	if (core.cgroups && (r = cgroup_scope_close(SCOPE_WAIT_MS)) < 0)
		log_warn("scopes: removing %s: %s", cgroup_scope_path() ? cgroup_scope_path() : "scope",
			 strerror(-r));
	cgroup1_close();
	guard_stop(S.guard, S.guard_pipe, S.guard_pidfd, 2000);
out:
	roster_bury();
	logstream_free_detached();
	while (core.programs) {
		struct program *prog = core.programs;
		core.programs = prog->next;
		roster_free(prog);
	}
	/* after the streams, whose last lines it may still send */
	devlog_shutdown();
	core_config_put(core.current);
	reload_free();
	state_free();
	hooks_free_all();
	sockets_close_all();
	group_free_all();
	spawn_fini();
	loop_close();
	pidmap_free(&core.pids);
	pidmap_free(&S.helpers);
	return status;
}
