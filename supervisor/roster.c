#include "supervisor/roster.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor/core.h"
#include "supervisor/deps.h"
#include "supervisor/group.h"
#include "supervisor/hooks.h"
#include "supervisor/log.h"
#include "supervisor/process.h"
#include "supervisor/state.h"

/* Programs taken out of service during one batch of events; freed after it,
 * since a later event of the same batch may still point at them. */
static struct program *graveyard;
/* The same for processes a scale took away (linked by same_hash, which
 * they no longer need: they left the index). */
static struct process *proc_graveyard;

/* "web", or "group:proc" when it is in a group, or one of numprocs. */
static char *process_full_name(const struct program_config *c, int num)
{
	char pname[256];
	if (program_config_process_name(c, num, pname, sizeof pname) < 0)
		return NULL;
	char *name;
	if (!c->group && c->numprocs == 1 && strcmp(pname, c->name) == 0)
		name = strdup(c->name);
	else if (asprintf(&name, "%s:%s", c->group ? c->group : c->name, pname) < 0)
		name = NULL;
	return name;
}

const char *roster_scale_problem(const struct program_config *c)
{
	if (c->is_pool || c->is_listener)
		return "a pool's or an event listener's workers are its own: not scaled";
	if (c->main || c->schedule)
		return "main = true and schedule = run one process: not scaled";
	if (c->instances)
		return "its command, directory, logs or environment use %(process_num)d or "
		       "%(ENV_X)s per process: change numprocs in the config instead";
	for (int k = 0; k < c->nlisten; k++)
		if (c->listen[k].reuseport)
			return "its [socket:] has reuseport = true (one socket per instance, bound "
			       "at a reload): change numprocs in the config instead";
	char a[256], b[256];
	if (program_config_process_name(c, c->numprocs_start, a, sizeof a) < 0 ||
	    program_config_process_name(c, c->numprocs_start + 1, b, sizeof b) < 0 ||
	    strcmp(a, b) == 0)
		return "its process_name has no %(process_num)d: its processes would have one name";
	return NULL;
}

int roster_instances(const struct program_config *c)
{
	int n = state_scale(c->name);
	if (n <= 0 || n == c->numprocs)
		return c->numprocs;
	const char *why = roster_scale_problem(c);
	if (why) {
		log_warn("%s: scale %d in %s ignored: %s", c->name, n, state_path(), why);
		return c->numprocs;
	}
	return n;
}

struct program *roster_new(struct program_config *c, struct config_ref *ref)
{
	int n = roster_instances(c);
	struct program *prog = calloc(1, sizeof *prog);
	if (!prog)
		return NULL;
	prog->procs = calloc((size_t)n, sizeof *prog->procs);
	if (!prog->procs) {
		free(prog);
		return NULL;
	}
	prog->cap = n;
	prog->cfg = c;
	prog->ref = ref;
	prog->group = c->group ? group_find(c->group) : NULL;
	ref->refs++;
	for (int i = 0; i < n; i++) {
		char *name = process_full_name(c, c->numprocs_start + i);
		struct process *p = name ? malloc(sizeof *p) : NULL;
		if (!p) {
			free(name);
			for (int j = 0; j < i; j++) {
				free(prog->procs[j]->name);
				free(prog->procs[j]);
			}
			free(prog->procs);
			core_config_put(ref);
			free(prog);
			return NULL;
		}
		process_init(p, prog, name);
		p->index = i;
		prog->procs[i] = p;
	}
	prog->nprocs = n;
	if (hooks_program_new(prog) < 0) {
		roster_free(prog);
		return NULL;
	}
	return prog;
}

void roster_free(struct program *prog)
{
	hooks_program_free(prog); /* a pool's workers' jobs go back to it */
	for (int i = 0; i < prog->nprocs; i++) {
		struct process *p = prog->procs[i];
		deps_forget(p);
		process_release(p);
		free(p);
	}
	free(prog->procs);
	core_config_put(prog->ref);
	free(prog);
}

/* A retiring program is freed once every process is down; then the new
 * generation, if any, may start: two generations never overlap. */
void roster_check_retired(struct program *prog)
{
	for (int i = 0; i < prog->nprocs; i++)
		if (!process_down(prog->procs[i]))
			return;
	struct program *succ = prog->successor;
	if (prog->link)
		core.retiring--;
	core_unlink(prog);
	for (int i = 0; i < prog->nprocs; i++) {
		hooks_process_changed(prog->procs[i], true);
		loop_timer_cancel(&prog->procs[i]->timer);
	}
	prog->next = graveyard;
	graveyard = prog;
	if (succ) {
		succ->waiting = false;
		for (int i = 0; i < succ->nprocs; i++)
			succ->procs[i]->info = "not started";
		core_autostart(succ);
	}
}

/* A program still stopping after a reload removed it, with a process of
 * the same name as one of PROG's (a program removed, then added again
 * before it was down): PROG must wait for it, or its processes would be
 * born into the old ones' cgroup and die with them. NULL when none. */
static struct program *retiring_namesake(const struct program *prog)
{
	if (!core.retiring)
		return NULL; /* the usual case, without a walk */
	for (struct program *old = core.programs; old; old = old->next) {
		if (!old->retiring || old->successor || old == prog)
			continue;
		for (int i = 0; i < old->nprocs; i++) {
			if (process_down(old->procs[i]))
				continue;
			for (int k = 0; k < prog->nprocs; k++)
				if (strcmp(old->procs[i]->name, prog->procs[k]->name) == 0)
					return old;
		}
	}
	return NULL;
}

/* PROG starts once OLD is gone (roster_check_retired). */
static void wait_for(struct program *prog, struct program *old)
{
	prog->waiting = true;
	for (int k = 0; k < prog->nprocs; k++)
		prog->procs[k]->info = "waiting for the old generation to stop";
	old->successor = prog;
}

void roster_added(struct program *prog)
{
	struct program *old = retiring_namesake(prog);
	if (old)
		wait_for(prog, old);
	else
		core_autostart(prog);
}

void roster_replace(struct program *old, struct program *succ)
{
	wait_for(succ, old);
	roster_retire(old); /* starts the successor once it is down */
}

void roster_retire(struct program *prog)
{
	/* Mark it retiring only after asking every process to stop: a process
	 * that is down at once would otherwise free the program under this loop. */
	for (int i = 0; i < prog->nprocs; i++)
		deps_stop(prog->procs[i], false);
	if (!prog->retiring && prog->link)
		core.retiring++;
	prog->retiring = true;
	roster_check_retired(prog);
}

int roster_scale(struct program *prog, int n, bool queue, char *why, size_t whylen)
{
	const struct program_config *c = prog->cfg;
	const char *problem = roster_scale_problem(c);
	if (prog->retiring || prog->transient || prog->waiting)
		problem = "it is being replaced or removed: try again";
	if (problem && n != prog->nprocs) {
		snprintf(why, whylen, "%s: %s", c->name, problem);
		return -EINVAL;
	}
	/* Up: those of a scale down still stopping are kept (left stopped),
	 * then new ones made, in the index, not started. */
	for (int i = 0; i < prog->nprocs && i < n; i++)
		prog->procs[i]->surplus = false;
	if (n > prog->cap) {
		struct process **v = reallocarray(prog->procs, (size_t)n, sizeof *v);
		if (!v) {
			snprintf(why, whylen, "%s", strerror(ENOMEM));
			return -ENOMEM;
		}
		prog->procs = v;
		prog->cap = n;
	}
	for (int i = prog->nprocs; i < n; i++) {
		char *name = process_full_name(c, c->numprocs_start + i);
		struct process *p = name ? malloc(sizeof *p) : NULL;
		if (!p) {
			free(name);
			snprintf(why, whylen, "%s", strerror(ENOMEM));
			return -ENOMEM; /* those made so far stay */
		}
		process_init(p, prog, name);
		p->index = i;
		p->info = "not started (scaled up)";
		prog->procs[i] = p;
		prog->nprocs = i + 1;
		core_index_process(p, true);
		if (queue && c->autostart && !state_disabled(c->name)) {
			p->start_queued = true;
			core.start_queued++;
			core.start_rewind = true;
		}
	}
	/* Down: the highest first, each taken away once down. */
	for (int i = prog->nprocs - 1; i >= n; i--) {
		struct process *p = prog->procs[i];
		if (p->surplus)
			continue;
		p->surplus = true;
		core_unqueue(p);
		deps_stop(p, false);
	}
	roster_check_surplus(prog);
	return 0;
}

void roster_check_surplus(struct program *prog)
{
	while (prog->nprocs > 0) {
		struct process *p = prog->procs[prog->nprocs - 1];
		if (!p->surplus || !process_down(p))
			return;
		prog->nprocs--;
		prog->procs[prog->nprocs] = NULL;
		core_unqueue(p);
		core_index_process(p, false);
		loop_timer_cancel(&p->timer);
		log_info("%s: removed (scaled down)", p->name);
		p->same_hash = proc_graveyard;
		proc_graveyard = p;
	}
}

void roster_bury(void)
{
	while (proc_graveyard) {
		struct process *p = proc_graveyard;
		proc_graveyard = p->same_hash;
		deps_forget(p);
		process_release(p);
		free(p);
	}
	while (graveyard) {
		struct program *prog = graveyard;
		graveyard = prog->next;
		roster_free(prog);
	}
}
