/* readylog — ready = log:REGEX (readylog.h). */
#include "supervisor/readylog.h"

#include <errno.h>
#include <regex.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor/health.h"
#include "supervisor/hooks.h"
#include "supervisor/log.h"
#include "supervisor/readyline.h"
#include "supervisor/loop.h"
#include "supervisor/supervisor.h"

/* What is held of a line when log_line_max = 0 (no limit for the log). */
#define LINE_CAP_UNLIMITED (64 * 1024)

struct readylog {
	struct process *p;
	regex_t re;
	bool compiled;
	bool active;                   /* STARTING, no line matched yet */
	struct readyline line[2];  /* stdout, stderr */
	struct deadline ready_d;       /* the match, told on the loop's next turn */
};

/* ---- a process's ---- */

static bool regex_match(void *ctx, const char *line)
{
	struct readylog *r = ctx;
	return regexec(&r->re, line, 0, NULL, 0) == 0;
}

static void ready_due(struct deadline *d)
{
	struct readylog *r = d->ctx;
	/* What the core does next may call us back: nothing of R after this. */
	if (r->p->pid && r->p->fsm.state == PSTATE_STARTING)
		supervisor_ready(r->p);
}

static void deactivate(struct readylog *r)
{
	r->active = false;
	for (int k = 0; k < 2; k++) {
		free(r->line[k].buf);
		r->line[k] = (struct readyline){ 0 };
	}
}

static void readylog_free(struct process *p)
{
	struct readylog *r = p->readylog;
	if (!r)
		return;
	p->readylog = NULL;
	loop_timer_cancel(&r->ready_d);
	deactivate(r);
	if (r->compiled)
		regfree(&r->re);
	free(r);
}

/* A new process of P's is STARTING: its lines are read from now. */
static void activate(struct process *p)
{
	const struct program_config *c = p->prog->cfg;
	struct readylog *r = p->readylog;
	if (!r) {
		if (!(r = calloc(1, sizeof *r))) {
			log_err("%s: out of memory for ready = log:", p->name);
			return;
		}
		r->p = p;
		loop_timer_init(&r->ready_d, ready_due, r);
		int rc = regcomp(&r->re, c->ready_log, REG_EXTENDED | REG_NOSUB);
		if (rc != 0) { /* the config reader compiled it already */
			char why[160];
			regerror(rc, &r->re, why, sizeof why);
			log_err("%s: ready = log:%s: %s", p->name, c->ready_log, why);
			free(r);
			return;
		}
		r->compiled = true;
		p->readylog = r;
	}
	loop_timer_cancel(&r->ready_d);
	deactivate(r);
	p->ready_line_seen = false;
	size_t cap = c->log_line_max ? (size_t)c->log_line_max : LINE_CAP_UNLIMITED;
	for (int k = 0; k < 2; k++) {
		if (!(r->line[k].buf = malloc(cap + 1))) {
			log_err("%s: out of memory for ready = log:", p->name);
			deactivate(r);
			return;
		}
		r->line[k].cap = cap;
	}
	r->active = true;
}

/* ---- the core's hooks ---- */

static void readylog_process_state(struct process *p, enum pstate before, enum pstate after,
				   const struct pinput *in, bool spawned)
{
	(void)before;
	(void)in;
	if (p->prog->cfg->ready != READY_LOG)
		return;
	if (spawned && after == PSTATE_STARTING)
		activate(p);
	else if (after != PSTATE_STARTING && p->readylog && p->readylog->active)
		deactivate(p->readylog);
}

static void readylog_process_adopted(struct process *p)
{
	/* after an exec: the line read so far is lost, the next ones count */
	if (p->prog->cfg->ready == READY_LOG && p->pid > 0 && p->fsm.state == PSTATE_STARTING)
		activate(p);
}

static size_t readylog_output(struct process *p, int which, const char *in, size_t len,
			      const char **out)
{
	*out = in;
	struct readylog *r = p->readylog;
	if (!r || !r->active || p->fsm.state != PSTATE_STARTING || which < 0 || which > 1)
		return len;
	if (readyline_feed(&r->line[which], in, len, regex_match, r)) {
		const struct program_config *c = p->prog->cfg;
		deactivate(r);
		p->ready_line_seen = true;
		int healthy = -1;
		uint64_t failures;
		if (c->ready_health && !(health_figures(p, &healthy, &failures) && healthy == 1)) {
			/* health.c says ready at its first passing check */
			log_info("%s: a line matched ready = log:%s; waiting for its health check",
				 p->name, c->ready_log);
			return len;
		}
		log_info("%s: ready (a line matched ready = log:%s%s)", p->name, c->ready_log,
			 c->ready_health ? ", and its health check passed" : "");
		/* the core hears of it from the loop, not from inside its read */
		if (loop_timer_set(&r->ready_d, loop_now_ms()) < 0)
			log_err("%s: out of memory to say it is ready", p->name);
	}
	return len;
}

static void readylog_process_changed(struct process *p, bool gone)
{
	if (gone)
		readylog_free(p);
}

static void readylog_program_free(struct program *prog)
{
	for (int i = 0; i < prog->nprocs; i++)
		readylog_free(prog->procs[i]);
}

static const struct hooks readylog_hooks = {
	.on_program_free = readylog_program_free,
	.on_process_adopted = readylog_process_adopted,
	.on_process_state = readylog_process_state,
	.on_process_changed = readylog_process_changed,
	.on_output = readylog_output,
};

int readylog_init(void)
{
	return hooks_subscribe(&readylog_hooks);
}
