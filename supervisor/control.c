/* control — the control socket: accepts corralctl's connections, checks
 * who they are, decodes one request (ipc/proto), answers it, and closes.
 * start, stop and restart answer when the operation is complete, so a
 * client waits on the processes it named; every other wait has a deadline. */
#include "supervisor/control.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ipc/io.h"
#include "ipc/proto.h"
#include "ipc/verbs.h"
#include "supervisor/controlint.h"
#include "supervisor/cgroup.h"
#include "supervisor/handover.h"
#include "supervisor/hooks.h"
#include "supervisor/log.h"
#include "supervisor/logfile.h"
#include "supervisor/loop.h"
#include "supervisor/metrics.h"
#include "supervisor/pool.h"
#include "supervisor/procstatus.h"
#include "supervisor/signame.h"
#include "supervisor/sockets.h"
#include "supervisor/state.h"
#include "supervisor/supervisor.h"

/* A client must send its whole request within this; a stalled one is dropped. */
#define REQUEST_TIMEOUT_MS 5000
/* ...and read its answer within this. */
#define ANSWER_TIMEOUT_MS 30000
/* At most this many clients at once; more wait in the listen backlog. */
#define MAX_CLIENTS 256

static struct {
	int fd;
	struct watch watch;
	char *path;           /* owned */
	dev_t dev;            /* the socket file made, so that we never */
	ino_t ino;            /* remove one someone else put there since */
	uid_t owner;
	struct client *clients;
	struct client *dead;  /* closed, freed after the batch */
	int nclients;
	bool checking, again;
} C = { .fd = -1, .watch = { .fd = -1 } };

struct client *ctl_clients(void)
{
	return C.clients;
}

static loop_watch_fn client_event;
static loop_timer_fn client_due;

static void control_bury(void);

/* Close C now; its memory is freed by control_bury() after the current
 * batch of events, one of which may still point at it. */
void ctl_client_free(struct client *c)
{
	for (struct client **pp = &C.clients; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	C.nclients--;
	if (c->unfollow)
		c->unfollow(c);
	loop_timer_cancel(&c->timer);
	if (c->fd >= 0) { /* -1: handed over (submit) */
		loop_unwatch(&c->watch);
		close(c->fd);
		c->fd = -1;
	}
	for (int i = 0; i < 3; i++)
		if (c->fds[i] >= 0) {
			close(c->fds[i]);
			c->fds[i] = -1;
		}
	c->next = C.dead;
	C.dead = c;
	/* A slot is free again: accept what waited in the backlog. */
	if (C.nclients == MAX_CLIENTS - 1 && C.fd >= 0)
		loop_watch_mod(&C.watch, EPOLLIN);
}

void ctl_flush(struct client *c)
{
	while (c->sent < c->out.len) {
		ssize_t n = io_write_some(c->fd, c->out.data + c->sent, c->out.len - c->sent);
		if (n == -EAGAIN) {
			if (c->phase == CLIENT_FOLLOW)
				loop_watch_mod(&c->watch, EPOLLOUT | EPOLLRDHUP);
			return; /* EPOLLOUT brings us back */
		}
		if (n < 0) {
			ctl_client_free(c);
			return;
		}
		c->sent += (size_t)n;
	}
	if (!c->unfollow) { /* not a follower: the answer was all */
		ctl_client_free(c);
		return;
	}
	/* tail -f: the answer is out; from now on, frames of more log. */
	if (c->phase != CLIENT_FOLLOW) {
		c->phase = CLIENT_FOLLOW;
		loop_timer_cancel(&c->timer);
	}
	c->out.len = 0;
	c->sent = 0;
	loop_watch_mod(&c->watch, EPOLLRDHUP);
}

/* The answer is complete: send it. */
void ctl_answer(struct client *c)
{
	proto_answer_finish(&c->out, c->result);
	c->phase = CLIENT_WRITE;
	if (loop_timer_set(&c->timer, loop_now_ms() + ANSWER_TIMEOUT_MS) < 0 ||
	    loop_watch_mod(&c->watch, EPOLLOUT) < 0) {
		ctl_client_free(c);
		return;
	}
	ctl_flush(c);
}

void ctl_outf(struct client *c, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof buf)
		n = sizeof buf - 1;
	/* A full answer buffer loses the tail; the result code still tells. */
	(void)proto_buf_append(&c->out, buf, (size_t)n);
	(void)proto_buf_append(&c->out, "\n", 1);
}

void ctl_fail(struct client *c, enum proto_result r)
{
	if (c->result == PROTO_OK || (r == PROTO_USAGE))
		c->result = r;
}

/* A request of verb ID that it cannot read: its usage line, and answered. */
void ctl_usage(struct client *c, enum verb_id id)
{
	ctl_outf(c, "%s: %s", verbs_table[id].name, verbs_table[id].usage);
	ctl_fail(c, PROTO_USAGE);
	ctl_answer(c);
}

/* supervisor_select() failed with R on BAD, the name of a WHAT. */
static void select_failed(struct client *c, int r, const char *bad, const char *what)
{
	if (r == -ENOENT) {
		ctl_outf(c, "no such %s: %s", what, bad);
		ctl_fail(c, PROTO_USAGE);
	} else {
		ctl_outf(c, "%s", strerror(-r));
		ctl_fail(c, PROTO_FAILED);
	}
}

/* ---- status ---- */

static void status_line(struct client *c, const struct process *p, bool usage)
{
	struct procstatus ps;
	procstatus_fill(p, &ps, usage);
	for (int i = 0; i < PS_NFIELDS; i++)
		(void)proto_field(&c->out, ps.fields[i], i == PS_NFIELDS - 1 ? '\n' : '\t');
}

/* ---- waiting for operations ---- */

/* Down and staying so (an EXITED process whose restart is due is not: a
 * stop cancels the restart). */
static bool down(const struct process *p)
{
	return program_down(&p->fsm);
}

static void start_or_wait(struct client *c, struct pending *pd)
{
	struct process *p = pd->p;
	if (state_disabled(p->prog->cfg->name)) {
		ctl_outf(c, "%s: disabled (corralctl enable %s)", p->name, p->prog->cfg->name);
		ctl_fail(c, PROTO_FAILED);
		pd->what = WAIT_NONE;
		return;
	}
	supervisor_start(p);
	pd->what = WAIT_STARTED;
}

/* corralctl run: its process is down and its tree empty. The answer's last
 * line is "status N", N as a shell would give it. */
static void run_finished(struct client *c, const struct process *p)
{
	int status;
	if (c->run_end == RUN_TIMED_OUT) {
		ctl_outf(c, "%s: timed out, killed", p->name);
		status = 124; /* as timeout(1) */
	} else if (c->run_end == RUN_CANCELLED) {
		status = 130; /* as a shell reports Ctrl-C */
	} else if (p->spawnerr) {
		ctl_outf(c, "%s: spawn error: %s", p->name, p->spawnerr);
		status = 127;
	} else if (p->exitsig) {
		status = 128 + p->exitsig;
	} else {
		status = p->exitcode >= 0 ? p->exitcode : 1;
	}
	ctl_outf(c, "status %d", status);
}

/* Why P is FATAL, as status says it: the spawn error, or what ended its
 * last try ("not ready within start_timeout", "exited too quickly") with
 * how it ended ("killed by SIGKILL", "exit status 3"). */
static void fatal_reason(const struct process *p, char *buf, size_t len)
{
	if (p->spawnerr) {
		snprintf(buf, len, "spawn error: %s", p->spawnerr);
		return;
	}
	char how[48];
	if (p->exitsig)
		snprintf(how, sizeof how, "killed by SIG%s",
			 sigabbrev_np(p->exitsig) ? sigabbrev_np(p->exitsig) : "?");
	else
		snprintf(how, sizeof how, "exit status %d", p->exitcode);
	snprintf(buf, len, "%s, %s", p->info ? p->info : "exited too quickly", how);
}

/* Has PD reached what it waits for? Decided from the current state only, so
 * it may be asked again at any time. */
static void pending_check(struct client *c, struct pending *pd)
{
	struct process *p = pd->p;
	switch (pd->what) {
	case WAIT_NONE:
		return;
	case WAIT_STOPPED_THEN_START:
		if (!down(p))
			return;
		ctl_outf(c, "%s: stopped", p->name);
		start_or_wait(c, pd);
		/* It may be RUNNING (startsecs = 0) or FATAL already. */
		__attribute__((fallthrough));
	case WAIT_STARTED:
		switch (p->fsm.state) {
		case PSTATE_RUNNING:
			ctl_outf(c, "%s: started", p->name);
			break;
		case PSTATE_FATAL: {
			char why[320];
			fatal_reason(p, why, sizeof why);
			ctl_outf(c, "%s: ERROR (%s)", p->name, why);
			ctl_fail(c, PROTO_FAILED);
			break;
		}
		case PSTATE_STOPPED:
		case PSTATE_EXITED:
			if (p->dep_waiting)
				return; /* it starts once what it requires is ready */
			ctl_outf(c, "%s: ERROR (stopped before it was running)", p->name);
			ctl_fail(c, PROTO_FAILED);
			break;
		default:
			return;
		}
		break;
	case WAIT_STOPPED:
		if (!down(p))
			return;
		ctl_outf(c, "%s: stopped", p->name);
		break;
	case WAIT_RUN:
		if (!down(p))
			return;
		run_finished(c, p);
		break;
	case WAIT_READY: /* corralctl wait: RUNNING is ready; FATAL will not be */
		if (p->fsm.state == PSTATE_RUNNING) {
			ctl_outf(c, "%s: ready", p->name);
		} else if (p->fsm.state == PSTATE_FATAL) {
			ctl_outf(c, "%s: ERROR (FATAL: %s)", p->name,
			     p->spawnerr ? p->spawnerr : p->info ? p->info : "failed");
			ctl_fail(c, PROTO_FAILED);
		} else {
			return;
		}
		break;
	}
	pd->what = WAIT_NONE;
}

static bool client_settled(struct client *c)
{
	for (size_t i = 0; i < c->npend; i++)
		if (c->pend[i].what != WAIT_NONE)
			return false;
	return true;
}

static void check_all(void)
{
	if (C.checking) {
		C.again = true; /* re-entered from a start below: look again after */
		return;
	}
	C.checking = true;
	do {
		C.again = false;
		for (struct client *c = C.clients, *next; c; c = next) {
			next = c->next;
			if (c->phase != CLIENT_WAIT)
				continue;
			for (size_t i = 0; i < c->npend; i++)
				pending_check(c, &c->pend[i]);
			if (client_settled(c))
				ctl_answer(c);
		}
	} while (C.again);
	C.checking = false;
}

/* A process changed state (or is about to be freed when GONE): answers
 * that wait on it may now be complete. */
static void control_process_changed(struct process *p, bool gone)
{
	if (gone) {
		for (struct client *c = C.clients; c; c = c->next)
			for (size_t i = 0; i < c->npend; i++)
				if (c->pend[i].p == p) {
					if (c->pend[i].what != WAIT_NONE) {
						ctl_outf(c, "%s: ERROR (removed by a reload)", p->name);
						ctl_fail(c, PROTO_FAILED);
					}
					c->pend[i].what = WAIT_NONE;
					c->pend[i].p = NULL;
				}
		return;
	}
	check_all();
}

/* ---- verbs ---- */

static void reload_line(void *ctx, const char *text)
{
	ctl_outf(ctx, "%s", text);
}

/* Start, stop or restart: set up what to wait for, then let check_all
 * decide (some are done at once). */
static void verb_lifecycle(struct client *c, const char *verb, struct selection *sel)
{
	c->pend = calloc(sel->n ? sel->n : 1, sizeof *c->pend);
	if (!c->pend) {
		ctl_outf(c, "out of memory");
		ctl_fail(c, PROTO_FAILED);
		return;
	}
	c->npend = sel->n;
	for (size_t i = 0; i < sel->n; i++)
		c->pend[i].p = sel->v[i];
	c->phase = CLIENT_WAIT;
	C.checking = true; /* hold the checks until every process was asked */
	for (size_t i = 0; i < sel->n; i++) {
		struct pending *pd = &c->pend[i];
		struct process *p = pd->p;
		if (strcmp(verb, "start") == 0) {
			if (p->fsm.state == PSTATE_RUNNING) {
				ctl_outf(c, "%s: already started", p->name);
				pd->what = WAIT_NONE;
			} else if (p->fsm.state == PSTATE_STOPPING) {
				pd->what = WAIT_STOPPED_THEN_START;
			} else {
				start_or_wait(c, pd);
			}
		} else if (strcmp(verb, "stop") == 0) {
			if (down(p)) {
				ctl_outf(c, "%s: not running", p->name);
				pd->what = WAIT_NONE;
			} else {
				supervisor_stop(p);
				pd->what = WAIT_STOPPED;
			}
		} else { /* restart */
			if (down(p)) {
				start_or_wait(c, pd);
			} else {
				supervisor_stop_to_restart(p);
				pd->what = WAIT_STOPPED_THEN_START;
			}
		}
	}
	C.checking = false;
	check_all();
}

/* run [--timeout S] [--scope NAME] [--cwd DIR] -- CMD ARG...: a transient
 * program in its own scope, with the caller's stdin, stdout and stderr
 * (passed with the request); answered when its tree is empty. */
static void verb_run(struct client *c, char **argv, int argc)
{
	const char *scope = NULL, *cwd = NULL;
	double timeout = 0;
	int i = 1;
	for (; i < argc && strcmp(argv[i], "--") != 0; i += 2) {
		if (i + 1 >= argc)
			break;
		if (strcmp(argv[i], "--timeout") == 0) {
			char *end;
			timeout = strtod(argv[i + 1], &end);
			if (*end || !(timeout > 0) || timeout > 1e6)
				break;
		} else if (strcmp(argv[i], "--scope") == 0) {
			scope = argv[i + 1];
		} else if (strcmp(argv[i], "--cwd") == 0) {
			cwd = argv[i + 1];
		} else {
			break;
		}
	}
	if (i >= argc || strcmp(argv[i], "--") != 0 || i + 1 >= argc) {
		ctl_usage(c, VERB_RUN);
		return;
	}
	if (c->nfds != 3) {
		ctl_outf(c, "run: the request must carry stdin, stdout and stderr (SCM_RIGHTS)");
		ctl_fail(c, PROTO_USAGE);
		ctl_answer(c);
		return;
	}
	char name[64], err[256];
	if (!scope) {
		snprintf(name, sizeof name, "run-%d", (int)c->peer_pid);
		scope = name;
	}
	struct process *p = supervisor_run_transient(scope, argv + i + 1, cwd, c->fds, err,
						     sizeof err);
	c->fds[0] = c->fds[1] = c->fds[2] = -1; /* handed over, even on failure */
	c->nfds = 0;
	if (!p) {
		ctl_outf(c, "run: %s", err);
		ctl_fail(c, PROTO_FAILED);
		ctl_answer(c);
		return;
	}
	c->pend = calloc(1, sizeof *c->pend);
	if (!c->pend) {
		supervisor_stop(p);
		ctl_outf(c, "out of memory");
		ctl_fail(c, PROTO_FAILED);
		ctl_answer(c);
		return;
	}
	c->pend[0] = (struct pending){ .p = p, .what = WAIT_RUN };
	c->npend = 1;
	c->phase = CLIENT_WAIT;
	if (timeout > 0)
		loop_timer_set(&c->timer, loop_now_ms() + (int64_t)(timeout * 1000));
	check_all();
}

/* wait [--timeout S] SEL...: answered when every one is RUNNING (ready),
 * or one is FATAL, or the time is up (result 1 then). */
static void verb_wait(struct client *c, char **argv, int argc)
{
	double timeout = 0;
	int i = 1;
	if (i + 1 < argc && strcmp(argv[i], "--timeout") == 0) {
		char *end;
		timeout = strtod(argv[i + 1], &end);
		if (*end || !(timeout > 0) || timeout > 1e6) {
			ctl_outf(c, "wait: bad timeout: %s", argv[i + 1]);
			ctl_fail(c, PROTO_USAGE);
			ctl_answer(c);
			return;
		}
		i += 2;
	}
	struct selection sel = { 0 };
	const char *bad = NULL;
	int r = i < argc ? supervisor_select(argv + i, argc - i, &sel, &bad) : -EINVAL;
	if (r == -ENOENT) {
		ctl_outf(c, "no such process: %s", bad);
		ctl_fail(c, PROTO_USAGE);
		ctl_answer(c);
		return;
	}
	if (r < 0) {
		ctl_usage(c, VERB_WAIT);
		return;
	}
	c->pend = calloc(sel.n ? sel.n : 1, sizeof *c->pend);
	if (!c->pend) {
		selection_free(&sel);
		ctl_outf(c, "out of memory");
		ctl_fail(c, PROTO_FAILED);
		ctl_answer(c);
		return;
	}
	for (size_t k = 0; k < sel.n; k++)
		c->pend[k] = (struct pending){ .p = sel.v[k], .what = WAIT_READY };
	c->npend = sel.n;
	selection_free(&sel);
	c->phase = CLIENT_WAIT;
	if (timeout > 0)
		loop_timer_set(&c->timer, loop_now_ms() + (int64_t)(timeout * 1000));
	check_all();
}

/* The caller of a run gave up (Ctrl-C), or its time is up: kill the tree;
 * the answer follows once it is empty. */
static void run_stop(struct client *c, int why)
{
	if (c->npend != 1 || c->pend[0].what != WAIT_RUN || !c->pend[0].p)
		return;
	if (c->run_end == RUN_NORMAL)
		c->run_end = why;
	supervisor_stop(c->pend[0].p);
}

static void show_line(void *ctx, const char *text)
{
	ctl_outf(ctx, "%s", text);
}

/* The effective sandbox of each program SEL names. */
static void show_sandboxes(struct client *c, const struct selection *sel)
{
	int enforced = procstatus_limits_enforced();
	for (size_t i = 0; i < sel->n; i++) {
		const struct program *prog = sel->v[i]->prog;
		bool seen = false;
		for (size_t k = 0; k < i && !seen; k++)
			seen = sel->v[k]->prog == prog;
		if (seen)
			continue;
		const struct program_config *cfg = prog->cfg;
		if (i)
			ctl_outf(c, "%s", "");
		ctl_outf(c, "program: %s (%s:%d)", cfg->name, cfg->file, cfg->line);
		sandbox_show(&cfg->sandbox, enforced, show_line, c);
	}
}

/* submit [--no-wait] [--detach] POOL: the connection becomes a producer
 * of the pool (pool.c), which answers it from now on. */
static void verb_submit(struct client *c, char **argv, int argc)
{
	char err[256];
	int r = pool_submit_check(argv, argc, err, sizeof err);
	if (r) {
		ctl_outf(c, "%s", err);
		ctl_fail(c, r);
		ctl_answer(c);
		return;
	}
	int fd = c->fd;
	loop_unwatch(&c->watch);
	c->fd = -1; /* now the pool's */
	ctl_client_free(c);
	pool_submit(fd, argv, argc);
}

/* start, stop or restart SEL...: answered by check_all, now or later. */
static void verb_start_stop(struct client *c, char **argv, int argc)
{
	struct selection sel = { 0 };
	const char *bad = NULL;
	int r = supervisor_select(argv + 1, argc - 1, &sel, &bad);
	if (r < 0) {
		select_failed(c, r, bad, "process");
		selection_free(&sel);
		ctl_answer(c);
		return;
	}
	verb_lifecycle(c, argv[0], &sel);
	selection_free(&sel);
}

/* disable SEL... / enable SEL...: the programs of the selected processes
 * are written to state_dir (all or nothing), then stopped, or, enabled,
 * those with autostart started; answered when they are down or up. */
static void verb_disable_enable(struct client *c, char **argv, int argc)
{
	bool on = strcmp(argv[0], "disable") == 0;
	struct selection sel = { 0 }, act = { 0 };
	const char *bad = NULL;
	int r = supervisor_select(argv + 1, argc - 1, &sel, &bad);
	const char **names = calloc(sel.n ? sel.n : 1, sizeof *names);
	act.v = calloc(sel.n ? sel.n : 1, sizeof *act.v);
	if (r < 0 || !names || !act.v) {
		if (r < 0) {
			select_failed(c, r, bad, "process");
		} else {
			ctl_outf(c, "out of memory");
			ctl_fail(c, PROTO_FAILED);
		}
		goto out;
	}
	size_t n = 0;
	for (size_t i = 0; i < sel.n; i++) {
		struct program *prog = sel.v[i]->prog;
		if (prog->transient) {
			ctl_outf(c, "%s: a corralctl run scope, not a program", sel.v[i]->name);
			ctl_fail(c, PROTO_USAGE);
			goto out;
		}
		if (!n || strcmp(names[n - 1], prog->cfg->name) != 0)
			names[n++] = prog->cfg->name; /* a program's processes come together */
		if (on || (prog->cfg->autostart && !prog->retiring))
			act.v[act.n++] = sel.v[i];
	}
	char why[PATH_MAX + 256];
	if ((r = state_set_disabled(names, n, on, why, sizeof why)) < 0) {
		ctl_outf(c, "%s", why);
		ctl_fail(c, PROTO_FAILED);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		log_info("%s: %s (%s)", names[i], on ? "disabled" : "enabled", state_path());
		ctl_outf(c, "%s: %s", names[i], on ? "disabled" : "enabled");
	}
	free(names);
	names = NULL;
	verb_lifecycle(c, on ? "stop" : "start", &act);
	selection_free(&sel);
	selection_free(&act);
	return;
out:
	free(names);
	selection_free(&sel);
	selection_free(&act);
	ctl_answer(c);
}

/* status [SEL...] */
static void verb_status(struct client *c, char **argv, int argc)
{
	struct selection sel = { 0 };
	const char *bad = NULL;
	char *allw[] = { "all" };
	/* --usage (status --json): what each tree uses, read for it */
	bool usage = argc > 1 && strcmp(argv[1], "--usage") == 0;
	argv += usage;
	argc -= usage;
	int r = argc > 1 ? supervisor_select(argv + 1, argc - 1, &sel, &bad)
			 : supervisor_select(allw, 1, &sel, &bad);
	if (r < 0)
		select_failed(c, r, bad, "process");
	for (size_t i = 0; i < sel.n; i++) {
		status_line(c, sel.v[i], usage);
		if (sel.v[i]->fsm.state != PSTATE_RUNNING)
			ctl_fail(c, PROTO_NOT_RUNNING);
	}
	selection_free(&sel);
	ctl_answer(c);
}

/* signal SIG SEL... */
static void verb_signal(struct client *c, char **argv, int argc)
{
	struct selection sel = { 0 };
	const char *bad = NULL;
	int r, sig = signame_number(argv[1]);
	if (sig <= 0) {
		ctl_outf(c, "bad signal name: %s", argv[1]);
		ctl_fail(c, PROTO_USAGE);
	} else if ((r = supervisor_select(argv + 2, argc - 2, &sel, &bad)) < 0) {
		select_failed(c, r, bad, "process");
	} else {
		for (size_t i = 0; i < sel.n; i++) {
			r = supervisor_signal(sel.v[i], sig);
			if (r == 0) {
				ctl_outf(c, "%s: signalled", sel.v[i]->name);
			} else {
				ctl_outf(c, "%s: ERROR (%s)", sel.v[i]->name,
				     r == -ESRCH ? "not running" : strerror(-r));
				ctl_fail(c, PROTO_FAILED);
			}
		}
	}
	selection_free(&sel);
	ctl_answer(c);
}

/* show NAME: the effective sandbox of a program. */
static void verb_show(struct client *c, char **argv, int argc)
{
	struct selection sel = { 0 };
	const char *bad = NULL;
	int r = supervisor_select(argv + 1, 1, &sel, &bad);
	if (r < 0)
		select_failed(c, r, bad, "program");
	else
		show_sandboxes(c, &sel);
	selection_free(&sel);
	ctl_answer(c);
}

/* pid [SEL...]: corrald's, or each process's. */
static void verb_pid(struct client *c, char **argv, int argc)
{
	struct selection sel = { 0 };
	const char *bad = NULL;
	int r;
	if (argc == 1) {
		ctl_outf(c, "%d", (int)getpid());
	} else if ((r = supervisor_select(argv + 1, argc - 1, &sel, &bad)) < 0) {
		select_failed(c, r, bad, "process");
	} else {
		for (size_t i = 0; i < sel.n; i++) {
			ctl_outf(c, "%d", (int)sel.v[i]->pid);
			if (!sel.v[i]->pid)
				ctl_fail(c, PROTO_FAILED);
		}
	}
	selection_free(&sel);
	ctl_answer(c);
}

/* Answered first: the stop that follows takes corrald with it. */
/* reexec: checked now, answered, then corrald execs itself (reexec.h). */
static void verb_reexec(struct client *c, char **argv, int argc)
{
	if (supervisor_reexec(reload_line, c) < 0)
		ctl_fail(c, PROTO_FAILED);
	ctl_answer(c);
}

static void verb_shutdown(struct client *c, char **argv, int argc)
{
	ctl_outf(c, "shutting down");
	ctl_answer(c);
	supervisor_shutdown();
}

static void verb_version(struct client *c, char **argv, int argc)
{
	ctl_outf(c, "%s", CORRAL_VERSION);
	ctl_answer(c);
}

/* metrics [--openmetrics]: what GET /metrics answers (metrics.h). */
static void verb_metrics(struct client *c, char **argv, int argc)
{
	if (argc > 1 && strcmp(argv[1], "--openmetrics") != 0) {
		ctl_usage(c, VERB_METRICS);
		return;
	}
	if (metrics_append(&c->out, argc > 1) < 0)
		ctl_fail(c, PROTO_FAILED);
	ctl_answer(c);
}

/* What corrald does for each verb of the protocol (ipc/verbs.h), once the
 * request has the shape the verb takes. Each handler answers, at once or
 * when what it waits for is done. A verb without one (migrate, which
 * corralctl does alone) is unknown here. */
static verb_handler *verb_handlers[VERB_COUNT] = {
	[VERB_STATUS] = verb_status,
	[VERB_START] = verb_start_stop,
	[VERB_STOP] = verb_start_stop,
	[VERB_REEXEC] = verb_reexec,
	[VERB_DISABLE] = verb_disable_enable,
	[VERB_ENABLE] = verb_disable_enable,
	[VERB_RESTART] = verb_start_stop,
	[VERB_SIGNAL] = verb_signal,
	[VERB_PID] = verb_pid,
	[VERB_SHUTDOWN] = verb_shutdown,
	[VERB_VERSION] = verb_version,
	[VERB_SHOW] = verb_show,
	[VERB_WAIT] = verb_wait,
	[VERB_RUN] = verb_run,
	[VERB_SUBMIT] = verb_submit,
	[VERB_METRICS] = verb_metrics,
};

void ctl_verb_set(enum verb_id id, verb_handler *fn)
{
	verb_handlers[id] = fn;
}

verb_handler *ctl_verb_get(enum verb_id id)
{
	return verb_handlers[id];
}

static void handle_request(struct client *c, char **argv, int argc)
{
	const struct verb *v = verbs_find(argv[0]);
	if (!v || !verb_handlers[v->id]) {
		ctl_outf(c, "unknown verb: %s", argv[0]);
		ctl_fail(c, PROTO_USAGE);
		ctl_answer(c);
		return;
	}
	if (!verbs_args_fit(v, argc - 1)) {
		ctl_usage(c, v->id);
		return;
	}
	verb_handlers[v->id](c, argv, argc);
}

/* ---- reading requests ---- */

/* read() that also takes descriptors passed with SCM_RIGHTS (corralctl run
 * passes its stdin, stdout and stderr); at most three are kept, the rest
 * closed at once. */
static ssize_t recv_fds(struct client *c, void *buf, size_t len)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(8 * sizeof(int))];
	} ctl;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf };
	ssize_t n;
	do
		n = recvmsg(c->fd, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		size_t nfd = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		int *fds = (int *)(void *)CMSG_DATA(cm);
		for (size_t i = 0; i < nfd; i++) {
			if (c->nfds < 3)
				c->fds[c->nfds++] = fds[i];
			else
				close(fds[i]);
		}
	}
	if (msg.msg_flags & MSG_CTRUNC)
		log_warn("control: descriptors passed by a client were cut short");
	return n;
}

static void client_read(struct client *c)
{
	for (;;) {
		uint8_t *dst;
		size_t want;
		if (c->got < PROTO_HEADER_SIZE) {
			dst = c->hdr + c->got;
			want = PROTO_HEADER_SIZE - c->got;
		} else {
			dst = c->payload + (c->got - PROTO_HEADER_SIZE);
			want = PROTO_HEADER_SIZE + c->plen - c->got;
		}
		if (want == 0)
			break;
		ssize_t n = recv_fds(c, dst, want);
		if (n == -EAGAIN)
			return;
		if (n <= 0) { /* closed, or an error: nobody to answer */
			ctl_client_free(c);
			return;
		}
		c->got += (size_t)n;
		if (c->got == PROTO_HEADER_SIZE) {
			char kind;
			if (proto_header_unpack(c->hdr, &kind, &c->plen, PROTO_MAX_REQUEST) < 0 ||
			    kind != PROTO_KIND_REQUEST || c->plen == 0) {
				log_debug("control: malformed request header, closing");
				ctl_client_free(c);
				return;
			}
			c->payload = malloc(c->plen);
			if (!c->payload) {
				ctl_client_free(c);
				return;
			}
		}
	}
	char **argv;
	int argc;
	if (proto_request_unpack(c->payload, c->plen, &argv, &argc) < 0) {
		log_debug("control: malformed request, closing");
		ctl_client_free(c);
		return;
	}
	loop_timer_cancel(&c->timer);
	if (loop_watch_mod(&c->watch, EPOLLRDHUP) < 0) {
		free(argv);
		ctl_client_free(c);
		return;
	}
	c->phase = CLIENT_BUSY;
	handle_request(c, argv, argc);
	free(argv);
}

/* A client on FD, in the list and unwatched; NULL: no memory (FD closed). */
static struct client *client_new(int fd)
{
	struct client *c = calloc(1, sizeof *c);
	if (!c || proto_answer_begin(&c->out) < 0) {
		log_err("control: out of memory");
		free(c);
		close(fd);
		return NULL;
	}
	loop_watch_init(&c->watch, client_event, c);
	c->fd = fd;
	c->fds[0] = c->fds[1] = c->fds[2] = -1;
	loop_timer_init(&c->timer, client_due, c);
	c->next = C.clients;
	C.clients = c;
	C.nclients++;
	return c;
}

static void client_accept(void)
{
	for (;;) {
		if (C.nclients >= MAX_CLIENTS) {
			/* Stop accepting until one leaves; the backlog holds the rest. */
			loop_watch_mod(&C.watch, 0);
			return;
		}
		int fd = accept4(C.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				log_warn("control: accept: %m");
			return;
		}
		struct client *c = client_new(fd);
		if (!c)
			continue;

		struct ucred cred;
		socklen_t len = sizeof cred;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
			log_warn("control: SO_PEERCRED: %m");
			ctl_client_free(c);
			continue;
		}
		c->peer_pid = cred.pid;
		if (loop_watch(fd, EPOLLIN, &c->watch) < 0) {
			ctl_client_free(c);
			continue;
		}
		if (cred.uid != 0 && cred.uid != C.owner) {
			log_warn("control: refused uid %u (pid %d)", (unsigned)cred.uid, (int)cred.pid);
			ctl_outf(c, "permission denied: uid %u is not root or the socket owner",
			     (unsigned)cred.uid);
			c->result = PROTO_REFUSED;
			ctl_answer(c);
			continue;
		}
		if (loop_timer_set(&c->timer, loop_now_ms() + REQUEST_TIMEOUT_MS) < 0) {
			ctl_client_free(c);
			continue;
		}
		client_read(c);
	}
}

/* Free the clients closed during the last turn. */
static void control_bury(void)
{
	while (C.dead) {
		struct client *c = C.dead;
		C.dead = c->next;
		free(c->payload);
		free(c->pend);
		proto_buf_free(&c->out);
		free(c);
	}
}

static void listen_event(struct watch *w, uint32_t events)
{
	client_accept();
}

static void client_event(struct watch *w, uint32_t events)
{
	struct client *c = w->ctx;
	if (c->fd < 0)
		return; /* closed earlier in this batch */
	switch (c->phase) {
	case CLIENT_READ:
		client_read(c);
		break;
	case CLIENT_BUSY: /* not reached: handled within one event */
	case CLIENT_WAIT:
		if (c->npend == 1 && c->pend[0].what == WAIT_RUN) {
			/* corralctl run shuts its side on Ctrl-C and waits for the tree
			 * to be gone; a vanished caller's run is stopped all the same. */
			run_stop(c, RUN_CANCELLED);
			if (events & (EPOLLHUP | EPOLLERR))
				ctl_client_free(c);
			else
				loop_watch_mod(&c->watch, 0);
			break;
		}
		/* The client gave up; the operation goes on without it. */
		if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
			ctl_client_free(c);
		break;
	case CLIENT_WRITE:
		ctl_flush(c);
		break;
	case CLIENT_FOLLOW:
		if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
			ctl_client_free(c); /* Ctrl-C */
		else
			ctl_flush(c);
		break;
	}
}

static void client_due(struct deadline *d)
{
	struct client *c = d->ctx;
	if (c->phase == CLIENT_WAIT && c->npend && c->pend[0].what == WAIT_READY) {
		/* corralctl wait --timeout: say who is not ready, and fail. */
		for (size_t i = 0; i < c->npend; i++)
			if (c->pend[i].what == WAIT_READY && c->pend[i].p) {
				ctl_outf(c, "%s: not ready (%s)", c->pend[i].p->name,
				     program_state_name(c->pend[i].p->fsm.state));
				c->pend[i].what = WAIT_NONE;
			}
		ctl_fail(c, PROTO_FAILED);
		ctl_answer(c);
		return;
	}
	if (c->phase == CLIENT_WAIT && c->npend == 1 && c->pend[0].what == WAIT_RUN) {
		log_info("control: run of %s timed out", c->pend[0].p ? c->pend[0].p->name : "?");
		run_stop(c, RUN_TIMED_OUT);
		return;
	}
	log_debug("control: client timed out in phase %d, closing", (int)c->phase);
	ctl_client_free(c);
}

/* ---- the socket ---- */

static int make_parent_dir(const char *path)
{
	char dir[PATH_MAX];
	if (snprintf(dir, sizeof dir, "%s", path) >= (int)sizeof dir)
		return -ENAMETOOLONG;
	char *slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	for (char *c = dir + 1; *c; c++) {
		if (*c != '/')
			continue;
		*c = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return -errno;
		*c = '/';
	}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* Serve on FD, listening at CFG's socket (the file lstat'ed as ST): made
 * now (MADE: on failure its file goes too), or taken back after an exec of
 * corrald, clients waiting in its backlog. 0, or -1 with FD closed. */
static int control_serve(const struct corral_config *cfg, int fd, bool made)
{
	struct stat st;
	if (lstat(cfg->socket, &st) < 0) {
		log_err("control socket %s: %m", cfg->socket);
		goto fail;
	}
	C.dev = st.st_dev;
	C.ino = st.st_ino;
	C.path = strdup(cfg->socket);
	C.owner = geteuid();
	C.fd = fd;
	loop_watch_init(&C.watch, listen_event, NULL);
	if (!C.path || loop_watch(fd, EPOLLIN, &C.watch) < 0) {
		log_err("control socket setup failed");
		free(C.path);
		C.path = NULL;
		C.fd = -1;
		goto fail;
	}
	return 0;
fail:
	if (made)
		unlink(cfg->socket);
	close(fd);
	return -1;
}

static int control_open(const struct corral_config *cfg)
{
	int kept = handover_take_fd("control", cfg->socket);
	if (kept >= 0) {
		if (fcntl(kept, F_SETFD, FD_CLOEXEC) < 0) {
			log_err("control socket %s: %m", cfg->socket);
			close(kept);
			return -1;
		}
		return control_serve(cfg, kept, false);
	}
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	if (strlen(cfg->socket) >= sizeof addr.sun_path) {
		log_err("socket path too long: %s", cfg->socket);
		return -1;
	}
	strcpy(addr.sun_path, cfg->socket);
	int r = make_parent_dir(cfg->socket);
	if (r < 0) {
		log_err("cannot create the directory of %s: %s", cfg->socket, strerror(-r));
		return -1;
	}
	/* A socket file may be left by a corrald that died: reuse it only if
	 * nobody answers on it. Any other file there is not ours. */
	char why[256];
	if ((r = sockets_reclaim_path(cfg->socket, why, sizeof why)) < 0) {
		if (r == -EADDRINUSE)
			log_err("another corrald is already listening on %s", cfg->socket);
		else
			log_err("control socket %s: %s", cfg->socket, why);
		return -1;
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_err("socket: %m");
		return -1;
	}
	if ((r = sockets_bind_unix(fd, &addr, sizeof addr, cfg->socket_mode)) < 0) {
		log_err("bind %s: %s", cfg->socket, strerror(-r));
		goto fail;
	}
	if (listen(fd, 128) < 0) {
		log_err("listen %s: %m", cfg->socket);
		unlink(cfg->socket);
		goto fail;
	}
	return control_serve(cfg, fd, true);
fail:
	close(fd);
	return -1;
}

static void control_close(void)
{
	while (C.clients) {
		struct client *c = C.clients;
		/* Flush what is ready (a "shutting down" answer) without waiting. */
		if (c->phase == CLIENT_WRITE && c->sent < c->out.len)
			(void)io_write_some(c->fd, c->out.data + c->sent, c->out.len - c->sent);
		ctl_client_free(c);
	}
	if (C.fd >= 0) {
		loop_unwatch(&C.watch);
		close(C.fd);
		C.fd = -1;
	}
	control_bury();
	if (C.path) {
		if (sockets_same_file(C.path, C.dev, C.ino))
			unlink(C.path);
		free(C.path);
		C.path = NULL;
	}
}

/* An exec of corrald: the listening socket goes across, and so does the
 * caller of each corralctl run (its connection as "run-client" and a part
 * of the same kind, both keyed by the process's name: i64 its --timeout
 * deadline, 0 for none); what other clients were answered goes out now
 * (the one that asked for the exec), and the others see their connection
 * end (their descriptors close with the exec): corralctl asks again. */
static int control_handover(struct handover *h, char *why, size_t whylen)
{
	if (C.fd < 0)
		return 0;
	for (struct client *c = C.clients; c; c = c->next) {
		if (c->phase == CLIENT_WRITE && c->sent < c->out.len)
			(void)io_write_some(c->fd, c->out.data + c->sent, c->out.len - c->sent);
		if (c->phase != CLIENT_WAIT || c->npend != 1 || c->pend[0].what != WAIT_RUN ||
		    !c->pend[0].p)
			continue;
		if (c->run_end != RUN_NORMAL) {
			snprintf(why, whylen, "%s: its run is being stopped: try again", c->pend[0].p->name);
			return -1;
		}
		struct handover_out o = { 0 };
		handover_put_i64(&o, loop_timer_pending(&c->timer) ? c->timer.node.when : 0);
		if (handover_add_part(h, "run-client", c->pend[0].p->name, &o) < 0 ||
		    handover_add_fd(h, "run-client", c->pend[0].p->name, c->fd) < 0) {
			snprintf(why, whylen, "out of memory");
			return -1;
		}
	}
	if (handover_add_fd(h, "control", C.path, C.fd) < 0) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	return 0;
}

/* After the exec, every process taken over: each corralctl run's caller
 * waits on for its run as before. */
static void control_taken_over(void)
{
	const struct handover *h = handover_current();
	for (size_t i = 0; h && i < h->nparts; i++) {
		const struct handover_part *pt = &h->parts[i];
		if (strcmp(pt->kind, "run-client") != 0)
			continue;
		int fd = handover_take_fd("run-client", pt->key);
		struct selection sel = { 0 };
		char *word[1] = { pt->key };
		const char *bad;
		struct process *p = NULL;
		if (supervisor_select(word, 1, &sel, &bad) == 0 && sel.n == 1)
			p = sel.v[0];
		selection_free(&sel);
		struct handover_in in = { pt->data, pt->data + pt->len, false };
		int64_t deadline = handover_get_i64(&in);
		if (fd < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
			log_err("handover: the caller of %s's run was lost", pt->key);
			if (fd >= 0)
				close(fd);
			continue;
		}
		struct client *c = client_new(fd);
		if (!c)
			continue;
		c->pend = calloc(1, sizeof *c->pend);
		if (!c->pend || !p || in.bad || loop_watch(fd, EPOLLRDHUP, &c->watch) < 0) {
			ctl_outf(c, "run: %s was not taken over from the corrald before the exec",
			     pt->key);
			ctl_fail(c, PROTO_FAILED);
			ctl_answer(c);
			continue;
		}
		c->pend[0] = (struct pending){ .p = p, .what = WAIT_RUN };
		c->npend = 1;
		c->phase = CLIENT_WAIT;
		if (deadline > 0)
			loop_timer_set(&c->timer, deadline);
	}
	check_all();
}

static const struct hooks control_hooks = {
	.on_open = control_open,
	.on_close = control_close,
	.on_handover = control_handover,
	.on_taken_over = control_taken_over,
	.on_bury = control_bury,
	.on_process_changed = control_process_changed,
};

int control_init(void)
{
	return hooks_subscribe(&control_hooks);
}
