#include "supervisor/core.h"

#include <stdlib.h>
#include <string.h>

struct core core = { .devnull = -1 };

struct program *core_find_program(const char *name)
{
	for (struct program *prog = core.programs; prog; prog = prog->next)
		if (!prog->retiring && !prog->transient && strcmp(prog->cfg->name, name) == 0)
			return prog;
	return NULL;
}

void core_insert(struct program *prog)
{
	struct program **pp = &core.programs;
	while (*pp && ((*pp)->cfg->priority < prog->cfg->priority ||
		       ((*pp)->cfg->priority == prog->cfg->priority &&
			strcmp((*pp)->cfg->name, prog->cfg->name) <= 0)))
		pp = &(*pp)->next;
	prog->next = *pp;
	*pp = prog;
}

void core_unlink(struct program *prog)
{
	for (struct program **pp = &core.programs; *pp; pp = &(*pp)->next) {
		if (*pp == prog) {
			*pp = prog->next;
			return;
		}
	}
}

void core_config_put(struct config_ref *ref)
{
	if (ref && --ref->refs == 0) {
		config_free(&ref->cfg);
		free(ref);
	}
}

const char *core_group_name(const struct program *prog)
{
	return prog->cfg->group ? prog->cfg->group : prog->cfg->name;
}

const char *core_process_name(const struct process *p)
{
	const char *colon = strchr(p->name, ':');
	return colon ? colon + 1 : p->name;
}

void core_autostart(struct program *prog)
{
	if (!prog->cfg->autostart)
		return;
	for (int i = 0; i < prog->nprocs; i++)
		if (!prog->procs[i].start_queued) {
			prog->procs[i].start_queued = true;
			core.start_queued++;
		}
}

void core_unqueue(struct process *p)
{
	if (p->start_queued) {
		p->start_queued = false;
		core.start_queued--;
	}
}
