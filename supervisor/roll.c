/* roll — rolling restarts (roll.h). */
#include "supervisor/roll.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor/hooks.h"
#include "supervisor/log.h"
#include "supervisor/reload.h"
#include "supervisor/state.h"
#include "supervisor/supervisor.h"

enum item_phase {
	ITEM_WAITING,   /* its batch has not come */
	ITEM_STOPPING,  /* asked to stop; started again once down */
	ITEM_STARTING,  /* started; replaced once RUNNING */
	ITEM_DONE,
};

struct item {
	struct process *p;      /* NULL once a reload removed it */
	enum item_phase phase;
};

struct roll {
	struct item *items;
	size_t n;
	size_t next;            /* the first item whose batch has not begun */
	size_t first;           /* the current batch: items [first, next) */
	int batch;
	bool alone;             /* restarts leave what requires them running */
	const char *word;       /* "replaced", "started": static */
	size_t done;
	roll_line_fn *line;     /* NULL once the caller went */
	roll_done_fn *fin;
	void *ctx;
	struct roll *link;
};

static struct {
	struct roll *rolls;
	bool checking, again;   /* check_all() is running / must look again */
} R;

static void say(struct roll *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(struct roll *r, const char *fmt, ...)
{
	char text[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	if (r->line)
		r->line(r->ctx, text);
}

bool roll_can_tell_ready(const struct program_config *c)
{
	return c->ready != READY_NONE && !(c->ready == READY_STARTSECS && c->startsecs == 0);
}

/* Why P did not become ready, as status would say it. */
static void failure(const struct process *p, char *buf, size_t len)
{
	if (p->spawnerr) {
		snprintf(buf, len, "spawn error: %s", p->spawnerr);
		return;
	}
	char how[48] = "";
	if (p->exitsig)
		snprintf(how, sizeof how, ", killed by SIG%s",
			 sigabbrev_np(p->exitsig) ? sigabbrev_np(p->exitsig) : "?");
	else if (p->exitcode >= 0)
		snprintf(how, sizeof how, ", exit status %d", p->exitcode);
	snprintf(buf, len, "%s: %s%s", program_state_name(p->fsm.state),
		 p->info ? p->info : "not ready", how);
}

/* Start the next batch: each of its processes stopped to be started again
 * (or, down already, started). */
static void next_batch(struct roll *r)
{
	r->first = r->next;
	for (int k = 0; k < r->batch && r->next < r->n; k++) {
		struct item *it = &r->items[r->next++];
		log_info("%s: rolling restart %zu/%zu", it->p->name, r->next, r->n);
		if (program_down(&it->p->fsm)) {
			it->phase = ITEM_STARTING;
			supervisor_start(it->p);
		} else {
			it->phase = ITEM_STOPPING;
			if (r->alone)
				supervisor_restart_alone(it->p);
			else
				supervisor_stop_to_restart(it->p);
		}
	}
}

/* Look at R's current batch, and go on. -1: the roll failed, 1: it is
 * done, 0: it waits. */
static int step(struct roll *r)
{
	for (;;) {
		bool waiting = false;
		for (size_t i = r->first; i < r->next; i++) {
			struct item *it = &r->items[i];
			struct process *p = it->p;
			if (it->phase == ITEM_DONE)
				continue;
			if (!p) {
				say(r, "ERROR (a process of the roll was removed by a reload)");
				return -1;
			}
			if (it->phase == ITEM_STOPPING) {
				if (!program_down(&p->fsm)) {
					waiting = true;
					continue;
				}
				say(r, "%s: stopped", p->name);
				if (state_disabled(p->prog->cfg->name)) {
					say(r, "%s: ERROR (disabled meanwhile)", p->name);
					return -1;
				}
				it->phase = ITEM_STARTING;
				supervisor_start(p);
			}
			char why[400];
			switch (p->fsm.state) {
			case PSTATE_RUNNING:
				it->phase = ITEM_DONE;
				r->done++;
				say(r, "%s: started (ready)", p->name);
				continue;
			case PSTATE_STOPPED:
			case PSTATE_EXITED:
				if (p->dep_waiting) {
					waiting = true;
					continue;
				}
				__attribute__((fallthrough));
			case PSTATE_BACKOFF:
			case PSTATE_FATAL:
				failure(p, why, sizeof why);
				say(r, "%s: ERROR (%s)", p->name, why);
				log_warn("%s: rolling restart stopped: %s", p->name, why);
				return -1;
			default:
				waiting = true;
				continue;
			}
		}
		if (waiting)
			return 0;
		if (r->next == r->n)
			return 1;
		next_batch(r);
	}
}

static void finish(struct roll *r, bool ok)
{
	for (struct roll **pp = &R.rolls; *pp; pp = &(*pp)->link)
		if (*pp == r) {
			*pp = r->link;
			break;
		}
	if (!ok && r->next < r->n)
		say(r, "%zu of %zu %s; %zu not reached, left as they are", r->done, r->n, r->word,
		    r->n - r->next);
	else
		say(r, "%zu of %zu %s", r->done, r->n, r->word);
	if (r->fin && r->line)
		r->fin(r->ctx, ok);
	free(r->items);
	free(r);
}

static void check_all(void)
{
	if (R.checking) {
		R.again = true; /* re-entered from a start or stop below */
		return;
	}
	R.checking = true;
	do {
		R.again = false;
		for (struct roll *r = R.rolls, *next; r; r = next) {
			next = r->link;
			int s = step(r);
			if (s) {
				finish(r, s > 0);
				R.again = true; /* the list changed: walk it afresh */
				break;
			}
		}
	} while (R.again);
	R.checking = false;
}

bool roll_busy(const struct program *prog)
{
	for (struct roll *r = R.rolls; r; r = r->link)
		for (size_t i = 0; i < r->n; i++)
			if (r->items[i].p && r->items[i].p->prog == prog)
				return true;
	return false;
}

int roll_begin(struct process *const *v, size_t n, int batch, bool alone, const char *word,
	       roll_line_fn *line, roll_done_fn *done, void *ctx, struct roll **out, char *why,
	       size_t whylen)
{
	for (struct roll *r = R.rolls; r; r = r->link)
		for (size_t i = 0; i < r->n; i++)
			for (size_t k = 0; k < n; k++)
				if (r->items[i].p && r->items[i].p->prog == v[k]->prog) {
					snprintf(why, whylen, "%s: a rolling restart of it is going on",
						 v[k]->name);
					return -EBUSY;
				}
	struct roll *r = calloc(1, sizeof *r);
	if (r)
		r->items = calloc(n ? n : 1, sizeof *r->items);
	if (!r || !r->items) {
		free(r);
		snprintf(why, whylen, "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	for (size_t k = 0; k < n; k++)
		r->items[k] = (struct item){ .p = v[k], .phase = ITEM_WAITING };
	r->n = n;
	r->batch = batch > 0 ? batch : 1;
	r->alone = alone;
	r->word = word;
	r->line = line;
	r->fin = done;
	r->ctx = ctx;
	r->link = R.rolls;
	R.rolls = r;
	*out = r;
	if (!R.checking) {
		R.checking = true; /* the first batch begins before anything is looked at */
		next_batch(r);
		R.checking = false;
	} else {
		next_batch(r);
	}
	check_all();
	return 0;
}

void roll_forget_caller(const void *ctx)
{
	for (struct roll *r = R.rolls; r; r = r->link)
		if (r->ctx == ctx)
			r->line = NULL;
}

bool roll_describe(const struct process *p, char *buf, size_t len)
{
	for (struct roll *r = R.rolls; r; r = r->link) {
		bool mine = false;
		for (size_t i = 0; i < r->n && !mine; i++)
			mine = r->items[i].p && r->items[i].p->prog == p->prog;
		if (!mine)
			continue;
		int k = snprintf(buf, len, "rolling %zu/%zu, replacing", r->done, r->n);
		for (size_t i = r->first; i < r->next && k >= 0 && (size_t)k < len; i++)
			if (r->items[i].p && r->items[i].phase != ITEM_DONE)
				k += snprintf(buf + k, len - (size_t)k, " %s", r->items[i].p->name);
		return true;
	}
	return false;
}

/* ---- hooks ---- */

static void roll_process_changed(struct process *p, bool gone)
{
	if (!R.rolls)
		return;
	if (gone)
		for (struct roll *r = R.rolls; r; r = r->link)
			for (size_t i = 0; i < r->n; i++)
				if (r->items[i].p == p)
					r->items[i].p = NULL;
	check_all();
}

/* An exec would take the roll's caller away, and its state: refused. */
static int roll_handover(struct handover *h, char *why, size_t whylen)
{
	if (!R.rolls)
		return 0;
	snprintf(why, whylen, "a rolling restart is going on: try again once it is done");
	return -1;
}

/* Shutdown stops every process: the rolls end, failed. */
static void roll_stopping(void)
{
	while (R.rolls) {
		struct roll *r = R.rolls;
		say(r, "ERROR (corrald is shutting down)");
		finish(r, false);
	}
}

static void roll_free_all(void)
{
	while (R.rolls) {
		struct roll *r = R.rolls;
		R.rolls = r->link;
		free(r->items);
		free(r);
	}
}

static const struct hooks roll_hooks = {
	.on_process_changed = roll_process_changed,
	.on_handover = roll_handover,
	.on_stopping = roll_stopping,
	.on_free_all = roll_free_all,
};

/* A reload's rolling update: one process at a time. */
static int reload_begin(struct process *const *v, size_t n, const char *word,
			reload_line_fn *line, reload_done_fn *done, void *ctx, char *why,
			size_t whylen)
{
	struct roll *r;
	return roll_begin(v, n, 1, true, word, line, done, ctx, &r, why, whylen);
}

static const struct reload_roller reload_roller = {
	.begin = reload_begin,
	.busy = roll_busy,
};

int roll_init(void)
{
	reload_set_roller(&reload_roller);
	return hooks_subscribe(&roll_hooks);
}
