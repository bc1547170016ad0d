/* scalectl — corralctl scale NAME N | --reset (scalectl.h). */
#include "supervisor/scalectl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor/controlint.h"
#include "supervisor/hooks.h"
#include "supervisor/log.h"
#include "supervisor/roll.h"
#include "supervisor/state.h"
#include "supervisor/supervisor.h"

/* A scale down a caller waits for: answered once PROG runs TARGET. */
struct down {
	struct client *c;
	struct program *prog;
	int from, target;
	struct down *next;
};

static struct down *downs;

static void down_drop(struct down *d)
{
	for (struct down **pp = &downs; *pp; pp = &(*pp)->next)
		if (*pp == d) {
			*pp = d->next;
			break;
		}
	d->c->unfollow = NULL;
	free(d);
}

static void downs_check(void)
{
	for (struct down *d = downs, *next; d; d = next) {
		next = d->next;
		if (d->prog->nprocs > d->target)
			continue;
		struct client *c = d->c;
		ctl_outf(c, "%s: scaled from %d to %d", d->prog->cfg->name, d->from, d->target);
		down_drop(d);
		ctl_answer(c);
	}
}

/* control.c frees C: nobody to tell. */
static void caller_gone(struct client *c)
{
	for (struct down *d = downs; d; d = d->next)
		if (d->c == c) {
			down_drop(d);
			return;
		}
	roll_forget_caller(c);
}

static void scale_line(void *ctx, const char *text)
{
	ctl_outf(ctx, "%s", text);
}

static void scale_done(void *ctx, bool ok)
{
	struct client *c = ctx;
	c->unfollow = NULL;
	if (!ok)
		ctl_fail(c, PROTO_FAILED);
	ctl_answer(c);
}

/* "NAME: WHY", and answered with R. */
static void refuse(struct client *c, enum proto_result r, const char *name, const char *why)
{
	ctl_outf(c, "%s: %s", name, why);
	ctl_fail(c, r);
	ctl_answer(c);
}

static void verb_scale(struct client *c, char **argv, int argc)
{
	const char *name = argv[1], *word = argv[2];
	bool reset = strcmp(word, "--reset") == 0;
	long n = 0;
	if (!reset) {
		char *end;
		errno = 0;
		n = strtol(word, &end, 10);
		if (errno || end == word || *end || n < 1 || n > STATE_SCALE_MAX) {
			ctl_outf(c, "bad count: '%.40s' (expected a number from 1 to %d, or --reset)",
				 word, STATE_SCALE_MAX);
			ctl_usage(c, VERB_SCALE);
			return;
		}
	}
	struct program *prog = supervisor_find_program(name);
	if (!prog) {
		ctl_outf(c, "no such program: %s", name);
		ctl_fail(c, PROTO_USAGE);
		ctl_answer(c);
		return;
	}
	int from = prog->nprocs, target = reset ? prog->cfg->numprocs : (int)n;
	const char *problem = supervisor_scale_problem(prog);
	if (problem && target != from)
	{
		char text[400];
		snprintf(text, sizeof text, "cannot scale: %s", problem);
		return refuse(c, PROTO_FAILED, name, text);
	}
	if (roll_busy(prog))
		return refuse(c, PROTO_FAILED, name,
			      "a rolling restart or a scale of it is going on: try again");
	for (struct down *d = downs; d; d = d->next)
		if (d->prog == prog)
			return refuse(c, PROTO_FAILED, name,
				      "a scale down of it is going on: try again");
	/* The decision first, so that what runs never differs from it. */
	char why[PATH_MAX + 256];
	if (state_set_scale(name, reset ? 0 : (int)n, why, sizeof why) < 0)
		return refuse(c, PROTO_FAILED, name, why);
	log_info("%s: scale %d (was %d; numprocs = %d)%s", name, target, from,
		 prog->cfg->numprocs, reset ? ", reset" : "");
	if (supervisor_scale(prog, target, why, sizeof why) < 0)
		return refuse(c, PROTO_FAILED, name, why);
	if (target > from && !state_disabled(name)) {
		/* The new ones, started one at a time, each ready before the next. */
		struct process **v = calloc((size_t)(target - from), sizeof *v);
		if (!v)
			return refuse(c, PROTO_FAILED, name, strerror(ENOMEM));
		for (int i = from; i < target; i++)
			v[i - from] = prog->procs[i];
		c->unfollow = caller_gone;
		struct roll *roll;
		int r = roll_begin(v, (size_t)(target - from), 1, false, "started", scale_line, scale_done,
				   c, &roll, why, sizeof why);
		free(v);
		if (r < 0) {
			c->unfollow = NULL;
			refuse(c, PROTO_FAILED, name, why);
		}
		return;
	}
	if (prog->nprocs > target) {
		struct down *d = calloc(1, sizeof *d);
		if (!d)
			return refuse(c, PROTO_FAILED, name, strerror(ENOMEM));
		*d = (struct down){ .c = c, .prog = prog, .from = from, .target = target,
				    .next = downs };
		downs = d;
		c->unfollow = caller_gone;
		return;
	}
	ctl_outf(c, "%s: scaled from %d to %d", name, from, target);
	ctl_answer(c);
}

/* ---- hooks ---- */

static void scale_process_changed(struct process *p, bool gone)
{
	if (downs)
		downs_check();
}

/* A scale down's program retired (a reload replaced it): the caller is
 * told, the new generation runs what the state says. */
static void scale_program_free(struct program *prog)
{
	for (struct down *d = downs, *next; d; d = next) {
		next = d->next;
		if (d->prog != prog)
			continue;
		struct client *c = d->c;
		ctl_outf(c, "%s: replaced by a reload while it scaled down", prog->cfg->name);
		ctl_fail(c, PROTO_FAILED);
		down_drop(d);
		ctl_answer(c);
	}
}

/* An exec while processes are taken away would lose them: refused. */
static int scale_handover(struct handover *h, char *why, size_t whylen)
{
	for (struct program *prog = supervisor_programs(); prog; prog = prog->next)
		for (int i = 0; i < prog->nprocs; i++)
			if (prog->procs[i]->surplus) {
				snprintf(why, whylen, "%s is being scaled down: try again once it is done",
					 prog->cfg->name);
				return -1;
			}
	return 0;
}

static void scale_free_all(void)
{
	while (downs) {
		struct down *d = downs;
		downs = d->next;
		free(d);
	}
}

static const struct hooks scale_hooks = {
	.on_process_changed = scale_process_changed,
	.on_program_free = scale_program_free,
	.on_handover = scale_handover,
	.on_free_all = scale_free_all,
};

int scalectl_init(void)
{
	ctl_verb_set(VERB_SCALE, verb_scale);
	return hooks_subscribe(&scale_hooks);
}
