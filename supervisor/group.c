#include "supervisor/group.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor/core.h"
#include "supervisor/deps.h"
#include "supervisor/hooks.h"
#include "supervisor/log.h"
#include "supervisor/pipeline.h"
#include "supervisor/process.h"
#include "supervisor/strategy.h"

static struct group *groups; /* every group, made by group_take */

struct group *group_find(const char *name)
{
	for (struct group *g = groups; g; g = g->next)
		if (strcmp(g->name, name) == 0)
			return g;
	return NULL;
}

int group_take(const struct group_config *gc)
{
	struct group *g = group_find(gc->name);
	if (!g) {
		g = calloc(1, sizeof *g);
		if (!g || !(g->name = strdup(gc->name))) {
			free(g);
			return -ENOMEM;
		}
		g->next = groups;
		groups = g;
	}
	g->cfg = gc;
	int r = pipeline_open(g);
	if (r < 0)
		log_err("pipeline %s: %s", g->name, strerror(-r));
	return r;
}

int group_apply(const struct corral_config *cfg)
{
	for (struct group *g = groups; g; g = g->next)
		g->cfg = NULL;
	for (size_t i = 0; i < cfg->ngroups; i++) {
		int r = group_take(&cfg->groups[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

int group_handover(struct handover *h)
{
	for (struct group *g = groups; g; g = g->next)
		if (g->npipes && pipeline_handover(g, h) < 0)
			return -ENOMEM;
	return 0;
}

void group_free_all(void)
{
	while (groups) {
		struct group *g = groups;
		groups = g->next;
		strategy_window_free(&g->window);
		pipeline_close(g);
		free(g->name);
		free(g);
	}
}

/* Position of PROG in its group's list of programs. */
static size_t member_index(const struct group *g, const struct program *prog)
{
	size_t i = 0;
	for (char **n = g->cfg->programs; *n; n++, i++)
		if (strcmp(*n, prog->cfg->name) == 0)
			return i;
	return i;
}

static size_t member_count(const struct group *g)
{
	size_t n = 0;
	while (g->cfg->programs[n])
		n++;
	return n;
}

/* Take P, whose main process just exited, down without the restart its
 * state machine would do, so that its group can restart it with the others. */
static void hold_down(struct process *p, const struct pinput *in)
{
	struct pinput stop = { .event = PEV_STOP };
	process_drive(p, &stop); /* RUNNING -> STOPPING; there is no process left to signal */
	process_deliver_exit(p, in);
}

/* G's next member from *K on that is not retiring (its namesake of a
 * newer generation may be in G's list too), or NULL past the last. */
static struct program *live_member(const struct group *g, size_t *k)
{
	struct program *prog;
	while ((prog = core_member(g, (*k)++)))
		if (prog->group == g && !prog->retiring)
			return prog;
	return NULL;
}

bool group_member_failed(struct process *p, const struct pinput *in)
{
	struct group *g = p->prog->group;
	if (!g || !g->cfg || p->prog->retiring || core.shutting_down ||
	    p->fsm.state != PSTATE_RUNNING)
		return false;
	const struct program_config *c = p->prog->cfg;
	/* (a restart for health is one whatever autorestart says) */
	bool restarts = c->autorestart == AUTORESTART_TRUE || p->fsm.killing == PFAIL_UNHEALTHY ||
			(c->autorestart == AUTORESTART_UNEXPECTED && !in->expected);
	/* Completed, or a failed start: the member's own business; and so is
	 * an exit soon after the spawn (startsecs = 0), which its own machine
	 * restarts at most once a second, where the group's restart would
	 * turn every member over as fast as that one exits. */
	if (!restarts || in->spawn_error || in->uptime_ms < program_start_window_ms(c) ||
	    in->uptime_ms < PROGRAM_RESTART_MIN_MS)
		return false;

	if (strategy_record_restart(&g->window, loop_now_ms(), g->cfg->restart_intensity,
				    (int64_t)g->cfg->restart_period * 1000)) {
		log_err("group %s: more than %d restarts in %ds: stopping the group (FATAL)",
			g->name, g->cfg->restart_intensity, g->cfg->restart_period);
		g->fatal = true;
		g->restarting = false;
		struct program *prog;
		for (size_t k = 0; (prog = live_member(g, &k));) {
			for (int i = 0; i < prog->nprocs; i++) {
				struct process *q = prog->procs[i];
				q->restart_pending = false;
				if (q != p && !process_down(q))
					process_stop(q);
			}
		}
		hold_down(p, in);
		return true;
	}
	if (g->cfg->strategy == STRATEGY_ONE_FOR_ONE)
		return false;

	size_t n = member_count(g);
	bool restart[n ? n : 1];
	strategy_members(g->cfg->strategy, n, member_index(g, p->prog), restart);
	log_warn("group %s: %s failed: %s, stopping %s", g->name, p->name,
		 strategy_name(g->cfg->strategy),
		 g->cfg->strategy == STRATEGY_ONE_FOR_ALL ? "every member" : "it and the members after it");
	g->restarting = true;
	p->restart_pending = true;
	struct program *prog;
	for (size_t k = 0; (prog = live_member(g, &k));) {
		size_t idx = member_index(g, prog);
		if (idx >= n || !restart[idx])
			continue;
		for (int i = 0; i < prog->nprocs; i++) {
			struct process *q = prog->procs[i];
			/* One already stopping was asked to by someone else: it stays down. */
			if (q == p || process_down(q) || q->fsm.state == PSTATE_STOPPING)
				continue;
			q->restart_pending = true;
			q->info = "stopped by its group's restart";
			process_stop(q);
		}
	}
	hold_down(p, in);
	return true;
}

void group_check(struct group *g)
{
	static bool busy, again;
	if (busy) {
		again = true;
		return;
	}
	busy = true;
	do {
		again = false;
		bool all_down = true, pending_down = true;
		struct program *prog;
		for (size_t k = 0; (prog = live_member(g, &k));) {
			for (int i = 0; i < prog->nprocs; i++) {
				struct process *q = prog->procs[i];
				all_down &= process_down(q) || q->fsm.state == PSTATE_BACKOFF;
				if (q->restart_pending && !process_down(q))
					pending_down = false;
			}
		}
		if (g->fatal && all_down) {
			for (size_t k = 0; (prog = live_member(g, &k));) {
				for (int i = 0; i < prog->nprocs; i++) {
					struct process *q = prog->procs[i];
					if (q->fsm.state == PSTATE_BACKOFF)
						process_stop(q);
					if (q->fsm.state != PSTATE_FATAL && process_down(q)) {
						q->fsm.state = PSTATE_FATAL;
						q->info = "its group restarted too often";
						hooks_process_changed(q, false);
					}
				}
			}
		}
		if (g->restarting && pending_down && g->cfg) {
			g->restarting = false;
			log_info("group %s: every tree is down, starting them again", g->name);
			/* In the order the group lists them. */
			for (char **n = g->cfg->programs; *n; n++)
				for (size_t k = 0; (prog = live_member(g, &k));) {
					if (strcmp(prog->cfg->name, *n) != 0)
						continue;
					for (int i = 0; i < prog->nprocs; i++) {
						struct process *q = prog->procs[i];
						if (!q->restart_pending)
							continue;
						q->restart_pending = false;
						deps_start(q);
					}
				}
		}
	} while (again);
	busy = false;
}

const char *group_state(const struct program *prog)
{
	struct group *g = prog->group;
	if (!g)
		return "";
	if (g->fatal)
		return "FATAL";
	if (g->restarting)
		return "RESTARTING";
	bool all_running = true, all_down = true;
	struct program *q;
	for (size_t k = 0; (q = live_member(g, &k));) {
		for (int i = 0; i < q->nprocs; i++) {
			all_running &= q->procs[i]->fsm.state == PSTATE_RUNNING;
			all_down &= process_down(q->procs[i]);
		}
	}
	return all_running ? "RUNNING" : all_down ? "STOPPED" : "PARTIAL";
}
