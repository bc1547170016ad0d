/* api — the JSON API under /api/v1/ (api.h). */
#include "supervisor/api.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uriparser/Uri.h>

#include "ipc/io.h"
#include "supervisor/apidoc.h"
#include "supervisor/apievents.h"
#include "supervisor/apijson.h"
#include "supervisor/hooks.h"
#include "supervisor/http.h"
#include "supervisor/log.h"
#include "supervisor/restartq.h"
#include "supervisor/logfile.h"
#include "supervisor/logstream.h"
#include "supervisor/sdview.h"
#include "supervisor/signame.h"
#include "supervisor/state.h"
#include "supervisor/supervisor.h"
#include "supervisor/webform.h"

#define PREFIX "/api/v1/"
/* GET .../log: the most it answers at once, and what it answers unasked */
#define LOG_READ_MAX (1024 * 1024)
#define LOG_READ_DEFAULT (64 * 1024)

static bool api_down(const struct process *p);
static void api_start_again(struct process *p);

/* The processes a restart stopped, to be started again once down (a
 * restart answers 202 at once: what it does is seen in the status and
 * the event stream). */
static struct restartq restarts = { .down = api_down, .start = api_start_again };

/* ---- a request's parts ---- */

/* What the target says after PREFIX: up to three path segments,
 * percent-decoded, and the query (uriparser's list, NULL when none). */
struct target {
	char *buf;              /* owned: the segments point into it */
	char *seg[3];
	int nseg;
	UriQueryListA *query;   /* owned */
};

static void target_free(struct target *t)
{
	free(t->buf);
	if (t->query)
		uriFreeQueryListA(t->query);
}

/* 0; -EINVAL: more segments than any endpoint has, or an empty one;
 * -EBADMSG: a query uriparser cannot read; -ENOMEM. */
static int target_parse(const char *rest, struct target *t)
{
	memset(t, 0, sizeof *t);
	size_t plen = strcspn(rest, "?");
	if (!(t->buf = strndup(rest, plen)))
		return -ENOMEM;
	for (char *s = t->buf, *slash; *s; s = slash + 1) {
		if (t->nseg == 3)
			return -EINVAL;
		t->seg[t->nseg++] = s;
		slash = strchr(s, '/');
		if (slash)
			*slash = '\0';
		uriUnescapeInPlaceA(s);
		if (!*s)
			return -EINVAL;
		if (!slash)
			break;
		if (!slash[1])
			return -EINVAL;
	}
	if (rest[plen] == '?' && rest[plen + 1]) {
		int n;
		const char *q = rest + plen + 1;
		if (uriDissectQueryMallocA(&t->query, &n, q, q + strlen(q)) != URI_SUCCESS) {
			t->query = NULL;
			return -EBADMSG;
		}
	}
	return 0;
}

/* The value of query field KEY (the first), NULL when absent. */
static const char *query_get(const struct target *t, const char *key)
{
	for (const UriQueryListA *q = t->query; q; q = q->next)
		if (strcmp(q->key, key) == 0)
			return q->value ? q->value : "";
	return NULL;
}

/* A query field other than those KNOWN names (NULL-terminated). */
static const char *query_unknown(const struct target *t, const char *const *known)
{
	for (const UriQueryListA *q = t->query; q; q = q->next) {
		bool ok = false;
		for (const char *const *k = known; *k && !ok; k++)
			ok = strcmp(q->key, *k) == 0;
		if (!ok)
			return q->key;
	}
	return NULL;
}

/* ---- answers ---- */

/* {"processes": [...]} of SEL, with STATUS. */
static void answer_processes(struct http_conn *c, int status, const struct selection *sel,
			     bool usage)
{
	json_t *o = json_object(), *a = json_array();
	bool bad = !o || !a;
	for (size_t i = 0; i < sel->n && !bad; i++)
		bad = json_array_append_new(a, apijson_process(sel->v[i], usage)) < 0;
	if (!bad && json_object_set_new(o, "processes", a) < 0)
		a = NULL, bad = true;
	else
		a = NULL;
	json_decref(a);
	if (bad) {
		json_decref(o);
		o = NULL;
	}
	apijson_answer(c, status, o, "");
}

/* NAME's processes into SEL (supervisor_select()'s words: a program, a
 * process "grp:web_00", a group "grp:*", "all"); false after answering
 * why not (404, 500). */
static bool select_name(struct http_conn *c, const char *name, struct selection *sel)
{
	char *words[] = { (char *)name };
	const char *bad = NULL;
	int r = supervisor_select(words, 1, sel, &bad);
	if (r == -ENOENT) {
		apijson_error(c, 404, "no_such_program", "no program or process named %.200s",
			      name);
		return false;
	}
	if (r < 0) {
		apijson_error(c, 500, "internal", "%s", strerror(-r));
		return false;
	}
	return true;
}

/* ---- restarts ---- */

static bool api_down(const struct process *p)
{
	return program_down(&p->fsm);
}

static void api_start_again(struct process *p)
{
	log_info("api: restart: starting %s", p->name);
	supervisor_start(p);
}

static void api_process_changed(struct process *p, bool gone)
{
	restartq_changed(&restarts, p, gone);
}

static void api_free_all(void)
{
	restartq_free(&restarts);
}

/* ---- the endpoints ---- */

static void programs_list(struct http_conn *c, const struct http_request *rq,
			  const struct target *t)
{
	struct selection sel = { 0 };
	if (select_name(c, "all", &sel))
		answer_processes(c, 200, &sel, true);
	selection_free(&sel);
}

static void program_get(struct http_conn *c, const struct http_request *rq,
			const struct target *t)
{
	struct selection sel = { 0 };
	if (select_name(c, t->seg[1], &sel))
		answer_processes(c, 200, &sel, true);
	selection_free(&sel);
}

/* "name: why" of the first process of SEL for which BAD holds. */
static bool any(const struct selection *sel, bool (*bad)(const struct process *),
		const struct process **which)
{
	for (size_t i = 0; i < sel->n; i++)
		if (bad(sel->v[i])) {
			*which = sel->v[i];
			return true;
		}
	return false;
}

static bool is_disabled(const struct process *p)
{
	return state_disabled(p->prog->cfg->name);
}

static bool is_down(const struct process *p)
{
	return program_down(&p->fsm);
}

static bool is_up(const struct process *p)
{
	return !program_down(&p->fsm);
}

static void program_start(struct http_conn *c, const struct selection *sel)
{
	const struct process *p;
	if (any(sel, is_disabled, &p)) {
		apijson_error(c, 409, "disabled", "%s: disabled (corralctl enable %s)", p->name,
			      p->prog->cfg->name);
		return;
	}
	if (!any(sel, is_down, &p)) {
		apijson_error(c, 409, "already_started", "%s: already started",
			      sel->n == 1 ? sel->v[0]->name : "every process");
		return;
	}
	for (size_t i = 0; i < sel->n; i++)
		if (program_down(&sel->v[i]->fsm)) {
			restartq_cancel(&restarts, sel->v[i]);
			supervisor_start(sel->v[i]);
		}
	answer_processes(c, 202, sel, false);
}

static void program_stop(struct http_conn *c, const struct selection *sel)
{
	const struct process *p;
	if (!any(sel, is_up, &p)) {
		apijson_error(c, 409, "not_running", "%s: not running",
			      sel->n == 1 ? sel->v[0]->name : "no process");
		return;
	}
	for (size_t i = 0; i < sel->n; i++) {
		restartq_cancel(&restarts, sel->v[i]);
		if (!program_down(&sel->v[i]->fsm))
			supervisor_stop(sel->v[i]);
	}
	answer_processes(c, 202, sel, false);
}

static void program_restart(struct http_conn *c, const struct selection *sel)
{
	const struct process *p;
	if (any(sel, is_disabled, &p)) {
		apijson_error(c, 409, "disabled", "%s: disabled (corralctl enable %s)", p->name,
			      p->prog->cfg->name);
		return;
	}
	for (size_t i = 0; i < sel->n; i++) {
		struct process *q = sel->v[i];
		if (program_down(&q->fsm)) {
			restartq_cancel(&restarts, q);
			supervisor_start(q);
		} else if (!restartq_add(&restarts, q)) {
			apijson_error(c, 500, "internal", "out of memory");
			return;
		} else {
			supervisor_stop_to_restart(q);
		}
	}
	answer_processes(c, 202, sel, false);
}

static void program_signal(struct http_conn *c, const struct http_request *rq,
			   const struct selection *sel)
{
	json_error_t jerr;
	json_t *body = json_loadb(rq->body, rq->bodylen, 0, &jerr);
	const char *name = NULL;
	if (!body) {
		apijson_error(c, 400, "bad_body", "the body is not JSON: %s (at %d)", jerr.text,
			      jerr.position);
		return;
	}
	json_t *v = json_is_object(body) ? json_object_get(body, "signal") : NULL;
	if (!json_is_string(v) || !*(name = json_string_value(v))) {
		json_decref(body);
		apijson_error(c, 400, "bad_body", "the body must be {\"signal\": NAME}, NAME as "
			      "\"HUP\", \"SIGHUP\" or \"1\"");
		return;
	}
	int sig = signame_number(name);
	if (sig <= 0) {
		apijson_error(c, 400, "bad_signal", "no signal named %.100s", name);
		json_decref(body);
		return;
	}
	json_decref(body);
	size_t sent = 0;
	int err = 0;
	for (size_t i = 0; i < sel->n; i++) {
		int r = supervisor_signal(sel->v[i], sig);
		if (r == 0)
			sent++;
		else if (r != -ESRCH)
			err = r;
	}
	if (err && !sent) {
		apijson_error(c, 500, "internal", "%s", strerror(-err));
		return;
	}
	if (!sent) {
		apijson_error(c, 409, "not_running", "%s: not running",
			      sel->n == 1 ? sel->v[0]->name : "no process");
		return;
	}
	answer_processes(c, 200, sel, false);
}

/* Read a number from a query field: false when it is not one in [MIN, MAX]. */
static bool query_number(const char *s, long long min, long long max, long long *out)
{
	char *end;
	errno = 0;
	long long n = strtoll(s, &end, 10);
	if (!*s || *end || errno || n < min || n > max)
		return false;
	*out = n;
	return true;
}

/* GET programs/NAME/log?stream=stdout|stderr&offset=N&length=N */
static void program_log(struct http_conn *c, const struct http_request *rq,
			const struct target *t)
{
	const char *stream = query_get(t, "stream"), *off = query_get(t, "offset"),
		   *lenq = query_get(t, "length");
	long long offset = 0, length = LOG_READ_DEFAULT;
	if (stream && strcmp(stream, "stdout") && strcmp(stream, "stderr")) {
		apijson_error(c, 400, "bad_parameter", "stream: stdout or stderr");
		return;
	}
	if (off && !query_number(off, INT64_MIN / 2, INT64_MAX / 2, &offset)) {
		apijson_error(c, 400, "bad_parameter", "offset: an integer (< 0: from the end)");
		return;
	}
	if (lenq && !query_number(lenq, 0, LOG_READ_MAX, &length)) {
		apijson_error(c, 400, "bad_parameter", "length: an integer from 0 to %d",
			      LOG_READ_MAX);
		return;
	}
	if (!off && !lenq)
		offset = -LOG_READ_DEFAULT; /* unasked: the end of the log */
	struct process *p = sdview_named(t->seg[1]);
	if (!p) {
		struct selection sel = { 0 };
		if (select_name(c, t->seg[1], &sel)) {
			if (sel.n == 1)
				p = sel.v[0];
			else
				apijson_error(c, 400, "ambiguous_name", "%.200s names %zu processes: "
					      "name one (GET /api/v1/programs/%.200s lists them)",
					      t->seg[1], sel.n, t->seg[1]);
		}
		selection_free(&sel);
		if (!p)
			return;
	}
	int which = stream && !strcmp(stream, "stderr") ? LOG_STDERR : LOG_STDOUT;
	char path[PATH_MAX], why[PATH_MAX + 64];
	const char *f = supervisor_log_path(p, which, path, sizeof path);
	if (!f) {
		apijson_error(c, 404, "no_log_file", "%s: its %s goes to no file", p->name,
			      which == LOG_STDERR ? "stderr" : "stdout");
		return;
	}
	uint64_t fsize = 0;
	int fd = logfile_open_read(f, &fsize, why, sizeof why);
	if (fd < 0 && fd != -ENOENT) {
		apijson_error(c, 500, "log_unreadable", "%s", why);
		return;
	}
	long long size = fd < 0 ? 0 : (long long)fsize, from;
	if (offset < 0)
		from = -offset > size ? 0 : size + offset;
	else
		from = offset > size ? size : offset;
	long long want = offset < 0 && !lenq ? size - from
					    : (length < size - from ? length : size - from);
	if (want > LOG_READ_MAX)
		want = LOG_READ_MAX;
	char *buf = malloc(want > 0 ? (size_t)want : 1); /* freed below */
	if (!buf) {
		if (fd >= 0)
			close(fd);
		apijson_error(c, 500, "internal", "out of memory");
		return;
	}
	size_t got = fd >= 0 && want > 0 ? io_pread_upto(fd, buf, (size_t)want, (off_t)from) : 0;
	if (fd >= 0)
		close(fd);
	json_t *o = json_pack("{s:o, s:s, s:I, s:I, s:I, s:o}", "name",
			      statusjson_string(p->name, strlen(p->name)), "stream",
			      which == LOG_STDERR ? "stderr" : "stdout", "offset", (json_int_t)from,
			      "length", (json_int_t)got, "size", (json_int_t)size, "text",
			      statusjson_string(buf, got));
	free(buf);
	apijson_answer(c, 200, o, "");
}

static void reload_line(void *ctx, const char *text)
{
	json_array_append_new(ctx, statusjson_string(text, strlen(text)));
}

static void reload(struct http_conn *c, const struct http_request *rq, const struct target *t)
{
	json_t *lines = json_array();
	if (!lines) {
		apijson_error(c, 500, "internal", "out of memory");
		return;
	}
	int r = supervisor_reload(reload_line, NULL, lines); /* a rolling update goes on */
	if (r < 0) {
		json_t *o = json_pack("{s:s, s:s, s:o}", "code", "reload_refused", "message",
				      "the config was not applied: nothing changed", "errors", lines);
		apijson_answer(c, 409, o, "");
		return;
	}
	apijson_answer(c, 200, json_pack("{s:o}", "changes", lines), "");
}

static void openapi(struct http_conn *c, const struct http_request *rq, const struct target *t)
{
	size_t len;
	const char *text = apidoc_text(&len);
	http_respond_with(c, 200, "application/json", "", text, len);
}

static void events(struct http_conn *c, const struct http_request *rq, const struct target *t)
{
	apievents_serve(c, httpreq_header(rq, "last-event-id"), query_get(t, "logs"));
}

/* ---- routing ---- */

enum { ACT_NONE, ACT_START, ACT_STOP, ACT_RESTART, ACT_SIGNAL };

struct endpoint {
	const char *seg[3];     /* NULL: any name (segment 1) */
	int nseg;
	unsigned method;        /* HTTPREQ_GET or HTTPREQ_POST */
	void (*fn)(struct http_conn *, const struct http_request *, const struct target *);
	int act;                /* POST programs/NAME/ACT */
	const char *const *params; /* the query's fields it reads; others are a 400 */
};

static const char *const no_params[] = { NULL };
static const char *const log_params[] = { "stream", "offset", "length", NULL };
static const char *const events_params[] = { "logs", NULL };

static const struct endpoint endpoints[] = {
	{ { "programs" }, 1, HTTPREQ_GET, programs_list, 0, no_params },
	{ { "programs", NULL }, 2, HTTPREQ_GET, program_get, 0, no_params },
	{ { "programs", NULL, "start" }, 3, HTTPREQ_POST, NULL, ACT_START, no_params },
	{ { "programs", NULL, "stop" }, 3, HTTPREQ_POST, NULL, ACT_STOP, no_params },
	{ { "programs", NULL, "restart" }, 3, HTTPREQ_POST, NULL, ACT_RESTART, no_params },
	{ { "programs", NULL, "signal" }, 3, HTTPREQ_POST, NULL, ACT_SIGNAL, no_params },
	{ { "programs", NULL, "log" }, 3, HTTPREQ_GET, program_log, 0, log_params },
	{ { "reload" }, 1, HTTPREQ_POST, reload, 0, no_params },
	{ { "events" }, 1, HTTPREQ_GET, events, 0, events_params },
	{ { "openapi.json" }, 1, HTTPREQ_GET, openapi, 0, no_params },
};

static const struct endpoint *endpoint_find(const struct target *t)
{
	for (size_t i = 0; i < sizeof endpoints / sizeof endpoints[0]; i++) {
		const struct endpoint *e = &endpoints[i];
		bool ok = e->nseg == t->nseg;
		for (int k = 0; k < t->nseg && ok; k++)
			ok = !e->seg[k] || strcmp(e->seg[k], t->seg[k]) == 0;
		if (ok)
			return e;
	}
	return NULL;
}

static void act(struct http_conn *c, const struct http_request *rq, const struct endpoint *e,
		const struct target *t)
{
	if (e->act != ACT_SIGNAL && rq->bodylen && strspn(rq->body, " \t\r\n") != rq->bodylen) {
		/* a body it would not read: say so rather than ignore it */
		json_t *b = json_loadb(rq->body, rq->bodylen, 0, NULL);
		bool empty = json_is_object(b) && json_object_size(b) == 0;
		json_decref(b);
		if (!empty) {
			apijson_error(c, 400, "bad_body", "this takes no body (or {})");
			return;
		}
	}
	struct selection sel = { 0 };
	if (!select_name(c, t->seg[1], &sel))
		goto out;
	switch (e->act) {
	case ACT_START: program_start(c, &sel); break;
	case ACT_STOP: program_stop(c, &sel); break;
	case ACT_RESTART: program_restart(c, &sel); break;
	default: program_signal(c, rq, &sel); break;
	}
out:
	selection_free(&sel);
}

static void api_serve(struct http_conn *c, const struct http_request *rq, void *ctx)
{
	if (!http_authorize(c, rq)) {
		apijson_error(c, 401, "unauthorized", "this server asks for its username and "
			      "password (Basic) or its API token (Authorization: Bearer)");
		return;
	}
	struct target t;
	const char *bad;
	int r = target_parse(rq->rest, &t);
	const struct endpoint *e = r == 0 || r == -EBADMSG ? endpoint_find(&t) : NULL;
	const char *cross = e && e->method == HTTPREQ_POST
				    ? webform_cross_site(httpreq_header(rq, "host"),
							 httpreq_header(rq, "origin"),
							 httpreq_header(rq, "sec-fetch-site"),
							 httpreq_header(rq, "referer"))
				    : NULL;
	if (r == -ENOMEM) {
		apijson_error(c, 500, "internal", "out of memory");
	} else if (!e) {
		apijson_error(c, 404, "not_found", "no endpoint %s%.200s (GET %sopenapi.json lists "
			      "them)", PREFIX, rq->rest, PREFIX);
	} else if (rq->method != e->method) {
		char allow[64];
		snprintf(allow, sizeof allow, "Allow: %s\r\n",
			 e->method == HTTPREQ_GET ? "GET" : "POST");
		apijson_error_with(c, 405, allow, "method_not_allowed", "this endpoint answers %s only",
				   e->method == HTTPREQ_GET ? "GET" : "POST");
	} else if (r == -EBADMSG) {
		apijson_error(c, 400, "bad_parameter", "a query that cannot be read");
	} else if ((bad = query_unknown(&t, e->params))) {
		apijson_error(c, 400, "bad_parameter", "no parameter %.100s here", bad);
	} else if (e->method == HTTPREQ_POST && http_read_only(c)) {
		apijson_error(c, 403, "read_only", "this server's JSON API is read-only "
			      "(read_only = true): it answers GET only");
	} else if (cross) {
		log_warn("api: refused a POST %s%.100s from another site: %s", PREFIX, rq->rest,
			 cross);
		apijson_error(c, 403, "cross_site", "%s", cross);
	} else if (e->method == HTTPREQ_POST && supervisor_shutting_down()) {
		apijson_error(c, 503, "shutting_down", "corrald is shutting down");
	} else if (e->fn) {
		e->fn(c, rq, &t);
	} else {
		act(c, rq, e, &t);
	}
	target_free(&t);
}

/* What the cross-site rule reads (webform_cross_site()), and where an
 * event stream resumes. */
static const char *const api_headers[] = { "host", "origin", "sec-fetch-site", "referer",
					   "last-event-id", NULL };

static const struct http_route api_route = {
	.path = PREFIX, .flags = HTTP_ROUTE_PREFIX | HTTP_ROUTE_OWN_AUTH,
	.methods = HTTPREQ_GET | HTTPREQ_HEAD | HTTPREQ_POST | HTTPREQ_PUT | HTTPREQ_DELETE |
		   HTTPREQ_OPTIONS | HTTPREQ_PATCH | HTTPREQ_OTHER,
	.name = "the JSON API", .headers = api_headers, .fn = api_serve,
};

static const struct hooks api_hooks = {
	.on_free_all = api_free_all,
	.on_process_changed = api_process_changed,
};

int api_init(void)
{
	int r = http_route_add(&api_route);
	if (r < 0)
		return r;
	if ((r = hooks_subscribe(&api_hooks)) < 0)
		return r;
	return apievents_init();
}
