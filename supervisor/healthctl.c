/* healthctl — health as the servers show it (healthctl.h). */
#include "supervisor/healthctl.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "supervisor/controlint.h"
#include "supervisor/health.h"
#include "supervisor/http.h"
#include "supervisor/state.h"
#include "supervisor/supervisor.h"

/* ---- corralctl health [NAME ...] ---- */

static void health_line(struct client *c, struct process *p)
{
	char why[300];
	if (health_ok(p, why, sizeof why)) {
		ctl_outf(c, "%s\thealthy", p->name);
	} else {
		ctl_outf(c, "%s\t%s", p->name, why);
		ctl_fail(c, PROTO_FAILED);
	}
}

static void verb_health(struct client *c, char **argv, int argc)
{
	if (argc > 1) {
		struct selection sel = { 0 };
		const char *bad = NULL;
		int r = supervisor_select(argv + 1, argc - 1, &sel, &bad);
		if (r == -ENOENT) {
			ctl_outf(c, "no such process: %s", bad);
			ctl_fail(c, PROTO_USAGE);
		} else if (r < 0) {
			ctl_outf(c, "%s", strerror(-r));
			ctl_fail(c, PROTO_FAILED);
		} else {
			for (size_t i = 0; i < sel.n; i++)
				health_line(c, sel.v[i]);
		}
		selection_free(&sel);
		ctl_answer(c);
		return;
	}
	for (struct program *prog = supervisor_programs(); prog; prog = prog->next) {
		if (prog->retiring)
			continue;
		for (int i = 0; i < prog->nprocs; i++)
			health_line(c, prog->procs[i]);
	}
	ctl_answer(c);
}

/* ---- GET /healthz and /readyz ---- */

static void healthz_serve(struct http_conn *c, const struct http_request *rq, void *ctx)
{
	http_respond(c, 200, "text/plain; charset=utf-8", "ok\n", 3);
}

/* Ready: every process of every autostart program (but those disabled,
 * and corralctl run's) RUNNING and healthy. The reasons name processes and
 * their state only: the failures' text is corralctl health's. */
static void readyz_serve(struct http_conn *c, const struct http_request *rq, void *ctx)
{
	char body[4096];
	size_t n = 0;
	int bad = 0, all = 0;
	for (struct program *prog = supervisor_programs(); prog; prog = prog->next) {
		if (prog->retiring || prog->transient || !prog->cfg->autostart ||
		    state_disabled(prog->cfg->name))
			continue;
		for (int i = 0; i < prog->nprocs; i++) {
			struct process *p = prog->procs[i];
			char why[300];
			all++;
			if (health_ok(p, why, sizeof why))
				continue;
			bad++;
			const char *shortwhy = p->fsm.state != PSTATE_RUNNING
						       ? program_state_name(p->fsm.state)
					       : strncmp(why, "unhealthy", 9) == 0 ? "unhealthy"
										  : why;
			if (n < sizeof body - 1) {
				int k = snprintf(body + n, sizeof body - n, "%s: %s\n", p->name, shortwhy);
				n = k < 0 ? n : n + (size_t)k;
				if (n >= sizeof body)
					n = sizeof body - 1;
			}
		}
	}
	if (!bad) {
		http_respond(c, 200, "text/plain; charset=utf-8", "ready\n", 6);
		return;
	}
	char out[sizeof body + 96];
	int k = snprintf(out, sizeof out, "not ready: %d of %d processes\n%.*s", bad, all, (int)n,
			 body);
	http_respond(c, 503, "text/plain; charset=utf-8", out,
		     k < 0 ? 0 : (size_t)k < sizeof out ? (size_t)k : sizeof out - 1);
}

static const struct http_route healthz_route = {
	.path = "/healthz", .flags = HTTP_ROUTE_QUERY | HTTP_ROUTE_PUBLIC,
	.methods = HTTPREQ_GET, .name = "/healthz and /readyz",
	.fn = healthz_serve,
};

static const struct http_route readyz_route = {
	.path = "/readyz", .flags = HTTP_ROUTE_QUERY | HTTP_ROUTE_PUBLIC,
	.methods = HTTPREQ_GET, .fn = readyz_serve,
};

int healthctl_init(void)
{
	int r;
	ctl_verb_set(VERB_HEALTH, verb_health);
	if ((r = http_route_add(&healthz_route)) < 0 || (r = http_route_add(&readyz_route)) < 0)
		return r;
	return 0;
}
