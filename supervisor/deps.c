#include "supervisor/deps.h"

#include <stdio.h>
#include <string.h>

#include "supervisor/core.h"
#include "supervisor/log.h"
#include "supervisor/process.h"
#include "supervisor/state.h"
#include "supervisor/strategy.h"

static size_t dep_waiting;   /* processes waiting to start (p->dep_waiting) */
static size_t stop_deferred; /* stops waiting for what requires them (p->stop_after_deps) */

/* Does X name PROG in its requires (or, with AFTER, in its after too)?
 * (What names PROG at all, core_naming() finds without a walk.) */
static bool names_dependency(const struct program *x, const struct program *prog, bool after)
{
	for (int k = 0; k < (after ? 2 : 1); k++)
		for (char **d = k ? x->cfg->after : x->cfg->requires; d && *d; d++)
			if (strcmp(*d, prog->cfg->name) == 0)
				return true;
	return false;
}

/* RUNNING, and not about to stop (a stop that waits for what requires it). */
static bool program_ready(const struct program *q)
{
	for (int i = 0; i < q->nprocs; i++)
		if (q->procs[i]->fsm.state != PSTATE_RUNNING || q->procs[i]->stop_after_deps)
			return false;
	return true;
}

/* On its way up: "after" waits for it; one that is not coming is not waited for. */
static bool program_coming(const struct program *q)
{
	for (int i = 0; i < q->nprocs; i++) {
		const struct process *x = q->procs[i];
		if (x->fsm.state == PSTATE_STARTING || x->fsm.state == PSTATE_BACKOFF ||
		    x->fsm.restart_due || x->start_queued || x->dep_waiting || x->restart_pending ||
		    x->draining)
			return true;
	}
	return false;
}

bool deps_waiting_for(const struct process *p, char *buf, size_t len)
{
	const struct program_config *c = p->prog->cfg;
	size_t n = 0;
	buf[0] = '\0';
	for (int k = 0; k < 2; k++)
		for (char **d = k ? c->after : c->requires; d && *d; d++) {
			struct program *q = core_find_program(*d);
			bool wait = k ? q && !program_ready(q) && program_coming(q) : !q || !program_ready(q);
			if (wait && n < len)
				n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? ", " : "", *d);
		}
	return n > 0;
}

static void set_dep_waiting(struct process *p, bool on)
{
	if (p->dep_waiting == on)
		return;
	p->dep_waiting = on;
	if (on)
		dep_waiting++;
	else
		dep_waiting--;
}

void deps_adopt(struct process *p, bool waiting, bool restart)
{
	set_dep_waiting(p, waiting);
	p->dep_restart = restart;
}

void deps_start(struct process *p)
{
	core_unqueue(p);
	struct group *g = p->prog->group;
	if (g && g->fatal && !core.shutting_down) {
		/* Someone starts a member by hand: the group gets a fresh start
		 * (the one thing of a group's that is written here). */
		log_info("group %s: started again after FATAL", g->name);
		g->fatal = false;
		strategy_window_reset(&g->window);
	}
	/* Disabled (corralctl disable): kept down until it is enabled, whoever
	 * asks, a requirer included. */
	if (p->prog->waiting || core.shutting_down || state_disabled(p->prog->cfg->name))
		return;
	char why[256];
	if ((p->prog->cfg->requires || p->prog->cfg->after) && process_down(p) &&
	    deps_waiting_for(p, why, sizeof why)) {
		/* Not yet: what it requires is started, and it follows when ready. */
		if (!p->dep_waiting)
			log_info("%s: waiting for %s", p->name, why);
		set_dep_waiting(p, true);
		for (char **d = p->prog->cfg->requires; d && *d; d++) {
			struct program *q = core_find_program(*d);
			if (!q)
				continue;
			for (int i = 0; i < q->nprocs; i++)
				if (process_down(q->procs[i]) && !q->procs[i]->dep_waiting)
					deps_start(q->procs[i]);
		}
		return;
	}
	set_dep_waiting(p, false);
	p->dep_restart = false;
	struct pinput in = { .event = PEV_START };
	process_drive(p, &in);
}

static void stop_ordered(struct process *p, bool again);

/* Does a program that requires PROG still run (or start)? */
static bool has_live_requirers(const struct program *prog)
{
	struct program *x;
	for (size_t k = 0; (x = core_naming(prog->cfg->name, k)); k++) {
		if (x == prog || x->retiring || !names_dependency(x, prog, false))
			continue;
		for (int i = 0; i < x->nprocs; i++)
			if (!process_down(x->procs[i]))
				return true;
	}
	return false;
}

/* What requires PROG is asked to stop, in the same order. AGAIN (PROG is
 * restarted): those that run start again once PROG is back, as systemd
 * restarts the units that require a restarted one; else they stay down. */
static void stop_requirers(const struct program *prog, bool again)
{
	struct program *x;
	for (size_t k = 0; (x = core_naming(prog->cfg->name, k)); k++) {
		if (x == prog || x->retiring || !names_dependency(x, prog, false))
			continue;
		for (int i = 0; i < x->nprocs; i++) {
			struct process *q = x->procs[i];
			if (again && !process_down(q)) {
				q->dep_restart = true;
				set_dep_waiting(q, true);
				log_info("%s: stopping, %s is restarted; starts again once it is back",
					 q->name, prog->cfg->name);
			} else if (!again) {
				q->dep_restart = false;
				set_dep_waiting(q, false);
			}
			if (!process_down(q))
				stop_ordered(q, again);
		}
	}
}

/* Stop P after whatever requires it has stopped ("stops before it"). */
static void stop_ordered(struct process *p, bool again)
{
	if (!core.shutting_down && !p->prog->retiring && !process_down(p) && !p->alone &&
	    p->fsm.state != PSTATE_STOPPING && has_live_requirers(p->prog)) {
		if (!p->stop_after_deps) {
			p->stop_after_deps = true;
			stop_deferred++;
			log_info("%s: stops once what requires it has stopped", p->name);
		}
		stop_requirers(p->prog, again);
		return;
	}
	if (p->stop_after_deps) {
		p->stop_after_deps = false;
		stop_deferred--;
	}
	core_unqueue(p);
	struct pinput in = { .event = PEV_STOP };
	process_drive(p, &in);
}

void deps_stop(struct process *p, bool again)
{
	/* A stop from outside wins over a restart the group (or a required
	 * program) had planned. */
	p->restart_pending = false;
	p->dep_restart = false;
	set_dep_waiting(p, false);
	stop_ordered(p, again);
}

/* Start those waiting whose dependencies are now ready, and put those
 * whose required program failed back in line. Cheap when nobody waits. */
void deps_recheck(void)
{
	static bool busy, again;
	if (!dep_waiting)
		return;
	if (busy) {
		again = true;
		return;
	}
	busy = true;
	do {
		again = false;
		char why[256];
		for (struct program *prog = core.programs; prog; prog = prog->next)
			for (int i = 0; i < prog->nprocs; i++) {
				struct process *p = prog->procs[i];
				if (!p->dep_waiting || prog->retiring)
					continue;
				/* Still stopping (what it requires came back before it
				 * was down): it is looked at again once it is down. */
				if (!process_down(p))
					continue;
				if (deps_waiting_for(p, why, sizeof why))
					continue;
				set_dep_waiting(p, false);
				log_info("%s: what it waits for is ready, starting", p->name);
				deps_start(p);
			}
	} while (again);
	busy = false;
}

/* Deferred stops whose requirers are now down go ahead. */
void deps_stops_recheck(void)
{
	if (!stop_deferred)
		return;
	for (struct program *prog = core.programs; prog; prog = prog->next)
		for (int i = 0; i < prog->nprocs; i++) {
			struct process *p = prog->procs[i];
			if (p->stop_after_deps && !has_live_requirers(prog))
				stop_ordered(p, false);
		}
}

void deps_fallen(struct program *prog, bool failed)
{
	struct program *x;
	for (size_t k = 0; (x = core_naming(prog->cfg->name, k)); k++) {
		if (x->retiring || x == prog || !names_dependency(x, prog, false))
			continue;
		for (int i = 0; i < x->nprocs; i++) {
			struct process *q = x->procs[i];
			if (process_down(q) && !q->dep_waiting)
				continue;
			log_info("%s: stopping, %s is down", q->name, prog->cfg->name);
			if (failed) {
				q->dep_restart = true;
				set_dep_waiting(q, true); /* starts again when it is back */
			}
			if (!process_down(q))
				process_stop(q);
		}
	}
}

bool deps_has_live_dependents(const struct program *prog)
{
	struct program *x;
	for (size_t k = 0; (x = core_naming(prog->cfg->name, k)); k++) {
		if (x == prog || !names_dependency(x, prog, true))
			continue;
		for (int i = 0; i < x->nprocs; i++)
			if (!process_down(x->procs[i]))
				return true;
	}
	return false;
}

void deps_unwait(struct process *p)
{
	set_dep_waiting(p, false);
}

void deps_forget(struct process *p)
{
	set_dep_waiting(p, false);
	if (p->stop_after_deps) {
		p->stop_after_deps = false;
		stop_deferred--;
	}
}
