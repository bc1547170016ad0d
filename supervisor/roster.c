#include "supervisor/roster.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor/core.h"
#include "supervisor/deps.h"
#include "supervisor/group.h"
#include "supervisor/hooks.h"
#include "supervisor/process.h"

/* Programs taken out of service during one batch of events; freed after it,
 * since a later event of the same batch may still point at them. */
static struct program *graveyard;

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

struct program *roster_new(struct program_config *c, struct config_ref *ref)
{
	struct program *prog = calloc(1, sizeof *prog);
	if (!prog)
		return NULL;
	prog->procs = calloc((size_t)c->numprocs, sizeof *prog->procs);
	if (!prog->procs) {
		free(prog);
		return NULL;
	}
	prog->cfg = c;
	prog->ref = ref;
	prog->group = c->group ? group_find(c->group) : NULL;
	ref->refs++;
	for (int i = 0; i < c->numprocs; i++) {
		char *name = process_full_name(c, c->numprocs_start + i);
		if (!name) {
			for (int j = 0; j < i; j++)
				free(prog->procs[j].name);
			free(prog->procs);
			core_config_put(ref);
			free(prog);
			return NULL;
		}
		process_init(&prog->procs[i], prog, name);
	}
	prog->nprocs = c->numprocs;
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
		struct process *p = &prog->procs[i];
		deps_forget(p);
		process_release(p);
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
		if (!process_down(&prog->procs[i]))
			return;
	struct program *succ = prog->successor;
	if (prog->link)
		core.retiring--;
	core_unlink(prog);
	for (int i = 0; i < prog->nprocs; i++) {
		hooks_process_changed(&prog->procs[i], true);
		loop_timer_cancel(&prog->procs[i].timer);
	}
	prog->next = graveyard;
	graveyard = prog;
	if (succ) {
		succ->waiting = false;
		for (int i = 0; i < succ->nprocs; i++)
			succ->procs[i].info = "not started";
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
			if (process_down(&old->procs[i]))
				continue;
			for (int k = 0; k < prog->nprocs; k++)
				if (strcmp(old->procs[i].name, prog->procs[k].name) == 0)
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
		prog->procs[k].info = "waiting for the old generation to stop";
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
		deps_stop(&prog->procs[i], false);
	if (!prog->retiring && prog->link)
		core.retiring++;
	prog->retiring = true;
	roster_check_retired(prog);
}

void roster_bury(void)
{
	while (graveyard) {
		struct program *prog = graveyard;
		graveyard = prog->next;
		roster_free(prog);
	}
}
