/* web — supervisord's web page and its actions (web.h). */
#include "supervisor/web.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "supervisor/hooks.h"
#include "supervisor/http.h"
#include "supervisor/log.h"
#include "supervisor/restartq.h"
#include "supervisor/rpclog.h"
#include "supervisor/sdview.h"
#include "supervisor/spawn.h"
#include "supervisor/state.h"
#include "supervisor/supervisor.h"
#include "supervisor/webform.h"
#include "supervisor/webpage.h"

/* The tail page's default and largest LIMIT (supervisord's least is its
 * default, 1024). */
#define TAIL_MIN 1024
#define TAIL_MAX (1024 * 1024)

static bool web_down(const struct process *p);
static void web_start_again(struct process *p);

/* The processes a restart stopped, to be started again once down. */
static struct restartq restarts = { .down = web_down, .start = web_start_again };

/* ---- answers ---- */

/* A page built by FN into a memory stream, sent with STATUS. */
static void answer_page(struct http_conn *c, int status, int (*fn)(FILE *, const void *),
			const void *arg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	if (!out) {
		log_err("web: open_memstream: %m");
		http_respond_error(c, 500);
		return;
	}
	int r = fn(out, arg);
	if (fclose(out) != 0 || r < 0) {
		log_err("web: out of memory for a page");
		http_respond_error(c, 500);
	} else {
		/* a page of now, never one from a cache */
		http_respond_with(c, status, "text/html;charset=utf-8",
				  "Cache-Control: no-store\r\n", buf, len);
	}
	free(buf);
}

static int status_page(FILE *out, const void *message)
{
	return webpage_status(out, message);
}

static int refused_page(FILE *out, const void *why)
{
	return webpage_refused(out, why);
}

/* supervisord's answer to an action: to the status page with MESSAGE. A
 * 303 rather than its 301, which a browser may keep and replay. */
static void answer_done(struct http_conn *c, const char *message)
{
	char *q = webform_quote(message);
	char head[HTTP_HEADERS_MAX];
	if (!q || snprintf(head, sizeof head, "Location: /?message=%s\r\nCache-Control: no-store\r\n",
			   q) >= (int)sizeof head) {
		free(q);
		http_respond_error(c, 500);
		return;
	}
	free(q);
	static const char body[] = "<!DOCTYPE html>\n<p><a href=\"/\">Back to the status page</a>\n";
	http_respond_with(c, 303, "text/html;charset=utf-8", head, body, sizeof body - 1);
}

/* ---- actions, through the core's verbs ---- */

/* Start P as startProcess does, or say why not into MSG. */
static void start(struct process *p, char *msg, size_t len)
{
	char why[PATH_MAX + 64];
	char *const *argv = p->prog->cfg->argv;
	if (sdview_running(p->fsm.state)) {
		snprintf(msg, len, "ERROR: Process %s: already started", p->name);
	} else if (p->fsm.state == PSTATE_STOPPING || p->fsm.state == PSTATE_UNKNOWN) {
		snprintf(msg, len, "ERROR: Process %s: still stopping", p->name);
	} else if (state_disabled(p->prog->cfg->name)) {
		snprintf(msg, len, "ERROR: Process %s: disabled (corralctl enable %s)", p->name,
			 p->prog->cfg->name);
	} else if (argv && argv[0] && !p->prog->cfg->is_pool &&
		   spawn_check_command(argv[0], p->prog->cfg->environment, why, sizeof why) < 0) {
		snprintf(msg, len, "ERROR: Process %s: %s", p->name, why);
	} else {
		supervisor_start(p);
		if (p->spawnerr)
			snprintf(msg, len, "ERROR: Process %s: spawn error: %s", p->name, p->spawnerr);
		else
			snprintf(msg, len, "Process %s starting", p->name);
	}
}

static void restart(struct process *p, bool to_restart, char *msg, size_t len)
{
	if (!sdview_running(p->fsm.state)) {
		start(p, msg, len);
		return;
	}
	if (!restartq_add(&restarts, p)) {
		snprintf(msg, len, "ERROR: Process %s: out of memory", p->name);
		return;
	}
	if (to_restart)
		supervisor_stop_to_restart(p);
	else
		supervisor_stop(p);
	snprintf(msg, len, "Process %s restarting", p->name);
}

static bool web_down(const struct process *p)
{
	return sdview_stopped(p->fsm.state);
}

static void web_start_again(struct process *p)
{
	char msg[PATH_MAX + 600];
	start(p, msg, sizeof msg);
	log_info("web: restart: %s", msg);
}

static void web_process_changed(struct process *p, bool gone)
{
	restartq_changed(&restarts, p, gone);
}

/* stopall, restartall: every process, in supervisord's order. */
static void all(bool restart_them, char *msg, size_t len)
{
	struct process **v;
	size_t n = sdview_processes(NULL, false, &v);
	size_t failed = 0;
	for (size_t i = 0; i < n; i++) {
		char one[PATH_MAX + 600];
		one[0] = '\0';
		if (restart_them) {
			restart(v[i], false, one, sizeof one);
		} else {
			restartq_cancel(&restarts, v[i]);
			if (sdview_running(v[i]->fsm.state))
				supervisor_stop(v[i]);
		}
		if (!strncmp(one, "ERROR", 5)) {
			failed++;
			log_warn("web: restartall: %s", one);
		}
	}
	free(v);
	if (!restart_them)
		snprintf(msg, len, "All stopping");
	else if (failed)
		snprintf(msg, len, "All restarting; %zu could not start (corrald's log says why)",
			 failed);
	else
		snprintf(msg, len, "All restarting");
}

/* The action F asks for: its message into MSG; false when F asks for
 * none corrald knows (a 400). */
static bool act(const struct webform *f, char *msg, size_t len)
{
	const char *a = f->action;
	if (supervisor_shutting_down()) {
		snprintf(msg, len, "ERROR: corrald is shutting down");
		return true;
	}
	if (!strcmp(a, "stopall") || !strcmp(a, "restartall")) {
		all(a[0] == 'r', msg, len);
		return true;
	}
	if (strcmp(a, "start") && strcmp(a, "stop") && strcmp(a, "restart") && strcmp(a, "clearlog"))
		return false;
	if (!f->processname || !*f->processname)
		return false;
	struct process *p = sdview_named(f->processname);
	if (!p) {
		snprintf(msg, len, "No such process named %.400s", f->processname);
		return true;
	}
	if (!strcmp(a, "start")) {
		start(p, msg, len);
	} else if (!strcmp(a, "restart")) {
		restart(p, true, msg, len);
	} else if (!strcmp(a, "stop")) {
		restartq_cancel(&restarts, p);
		if (!sdview_running(p->fsm.state)) {
			snprintf(msg, len, "ERROR: Process %s: not running", p->name);
		} else {
			supervisor_stop(p);
			snprintf(msg, len, "Process %s %s", p->name,
				 sdview_stopped(p->fsm.state) ? "stopped" : "stopping");
		}
	} else { /* clearlog */
		int r = rpclog_clear_files(p);
		supervisor_reopen_logs();
		if (r < 0)
			snprintf(msg, len, "ERROR: Log for %s not cleared: %s", p->name, strerror(-r));
		else
			snprintf(msg, len, "Log for %s cleared", p->name);
	}
	return true;
}

/* ---- routes ---- */

/* /, /index.html: the status page, or an action then a 303 to it. */
static void index_serve(struct http_conn *c, const struct http_request *rq, void *ctx)
{
	struct webform f;
	int r = webform_parse(rq->target, &f);
	if (r < 0) {
		webform_free(&f);
		http_respond_error(c, r == -ENOMEM ? 500 : 400);
		return;
	}
	if (!f.action || !*f.action) {
		answer_page(c, 200, status_page, f.message);
	} else if (!strcmp(f.action, "refresh")) { /* changes nothing */
		char msg[64];
		time_t now = time(NULL);
		struct tm tm;
		if (!localtime_r(&now, &tm) || !strftime(msg, sizeof msg, "Page refreshed at %a %b %e %H:%M:%S %Y", &tm))
			snprintf(msg, sizeof msg, "Page refreshed");
		answer_done(c, msg);
	} else {
		const char *why = webform_cross_site(
			httpreq_header(rq, "host"), httpreq_header(rq, "origin"),
			httpreq_header(rq, "sec-fetch-site"), httpreq_header(rq, "referer"));
		char msg[PATH_MAX + 600];
		if (why) {
			log_warn("web: refused action %.40s from another site: %s", f.action, why);
			answer_page(c, 403, refused_page, why);
		} else if (!act(&f, msg, sizeof msg)) {
			http_respond_error(c, 400);
		} else {
			log_info("web: %s", msg);
			answer_done(c, msg);
		}
	}
	webform_free(&f);
}

struct tail_arg {
	const char *spec;
	size_t limit;
};

static int tail_page(FILE *out, const void *arg)
{
	const struct tail_arg *t = arg;
	return webpage_tail(out, t->spec, t->limit);
}

/* /tail.html?processname=NAME[&limit=N]: the last N bytes of its stdout. */
static void tail_serve(struct http_conn *c, const struct http_request *rq, void *ctx)
{
	struct webform f;
	int r = webform_parse(rq->target, &f);
	if (r < 0 || !f.processname || !*f.processname) {
		webform_free(&f);
		http_respond_error(c, r == -ENOMEM ? 500 : 400);
		return;
	}
	unsigned long limit = f.limit ? strtoul(f.limit, NULL, 10) : 0;
	struct tail_arg t = {
		.spec = f.processname,
		.limit = limit < TAIL_MIN ? TAIL_MIN : limit > TAIL_MAX ? TAIL_MAX : limit,
	};
	/* a name that is no process's: the page says so, with a 404 */
	answer_page(c, sdview_named(t.spec) ? 200 : 404, tail_page, &t);
	webform_free(&f);
}

/* What the cross-site rule reads (webform_cross_site()). */
static const char *const web_headers[] = { "host", "origin", "sec-fetch-site", "referer", NULL };

static const struct http_route routes[] = {
	{ .path = "/", .flags = HTTP_ROUTE_QUERY, .methods = HTTPREQ_GET,
	  .name = "supervisord's web page", .headers = web_headers, .fn = index_serve },
	{ .path = "/index.html", .flags = HTTP_ROUTE_QUERY, .methods = HTTPREQ_GET,
	  .headers = web_headers, .fn = index_serve },
	{ .path = "/tail.html", .flags = HTTP_ROUTE_QUERY, .methods = HTTPREQ_GET,
	  .fn = tail_serve },
};

/* At exit: restarts still owed are dropped. */
static void web_free_all(void)
{
	restartq_free(&restarts);
}

static const struct hooks web_hooks = {
	.on_free_all = web_free_all,
	.on_process_changed = web_process_changed,
};

int web_init(void)
{
	for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
		int r = http_route_add(&routes[i]);
		if (r < 0)
			return r;
	}
	return hooks_subscribe(&web_hooks);
}
