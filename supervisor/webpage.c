/* webpage — the web page's HTML (webpage.h). */
#include "supervisor/webpage.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ipc/io.h"
#include "supervisor/logfile.h"
#include "supervisor/logstream.h"
#include "supervisor/pool.h"
#include "supervisor/procstatus.h"
#include "supervisor/sdview.h"
#include "supervisor/supervisor.h"
#include "supervisor/webform.h"

/* One style sheet for every page, in the page itself: nothing else to
 * fetch, no path to install. */
static const char STYLE[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#222;background:#fafafa}"
	"header,footer{background:#2d4a5a;color:#fff;padding:.5em 1em}"
	"header h1{font-size:1.2em;margin:0}footer a,header a{color:#cde}"
	"main{padding:1em}"
	".message{background:#ffd;border:1px solid #cc9;padding:.5em 1em}"
	".refused{background:#fdd;border:1px solid #c99;padding:.5em 1em}"
	"nav a,td.action a{margin-right:.8em}"
	"table{border-collapse:collapse;width:100%;background:#fff}"
	"th,td{text-align:left;padding:.3em .6em;border-bottom:1px solid #ddd;vertical-align:top}"
	"th{background:#eee}tr:nth-child(even) td{background:#f6f8fa}"
	".running{color:#070;font-weight:bold}.error{color:#b00;font-weight:bold}"
	".nominal{color:#555}small{color:#666}"
	"pre{background:#fff;border:1px solid #ddd;padding:.5em;white-space:pre-wrap}"
	"td.cpu,td.mem,td.action a{white-space:nowrap}";

static void esc(FILE *out, const char *s)
{
	(void)webform_html(out, s); /* a failed write shows in ferror(OUT) */
}

/* The head of a page titled TITLE, refreshed every REFRESH s (0: never). */
static void head(FILE *out, const char *title, int refresh)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n", out);
	if (refresh > 0)
		fprintf(out, "<meta http-equiv=\"refresh\" content=\"%d\">\n", refresh);
	fputs("<title>", out);
	esc(out, title);
	fprintf(out, "</title>\n<style>%s</style>\n</head><body>\n<header><h1>", STYLE);
	esc(out, title);
	fputs("</h1></header>\n<main>\n", out);
}

static int foot(FILE *out)
{
	fprintf(out, "</main>\n<footer>corrald %s &middot; <a href=\"index.html\">status</a>"
		" &middot; <a href=\"mainlogtail\">corrald's log</a></footer>\n</body></html>\n",
		CORRAL_VERSION);
	return ferror(out) ? -1 : 0;
}

/* supervisord's CSS class of a state. */
static const char *state_class(enum pstate s)
{
	if (s == PSTATE_RUNNING)
		return "running";
	if (s == PSTATE_FATAL || s == PSTATE_BACKOFF)
		return "error";
	return "nominal";
}

/* An action link: supervisord's href, its name, and the data-action a
 * test or a script finds it by. */
static void action(FILE *out, const char *quoted, const char *act, const char *label)
{
	fprintf(out, "<a href=\"index.html?processname=%s&amp;action=%s\" class=\"act-%s\">%s</a>",
		quoted, act, act, label);
}

/* Readiness: how the process says it is ready, and whether it did. */
static void readiness(FILE *out, const struct process *p)
{
	static const char *const how[] = {
		[READY_STARTSECS] = "startsecs", [READY_NONE] = "at once",
		[READY_NOTIFY] = "notify", [READY_FD] = "fd", [READY_HEALTH] = "health",
		[READY_LOG] = "log",
	};
	enum ready_mode m = p->prog->cfg->ready;
	const char *mode = (size_t)m < sizeof how / sizeof how[0] && how[m] ? how[m] : "?";
	if (p->fsm.state == PSTATE_RUNNING)
		fprintf(out, "ready <small>(%s)</small>", mode);
	else if (p->fsm.state == PSTATE_STARTING)
		fprintf(out, "not yet <small>(%s)</small>", mode);
	else
		fprintf(out, "&ndash; <small>(%s)</small>", mode);
}

/* A byte count or microseconds as a person reads it; "" unknown. */
static void amount(FILE *out, const char *field, bool usec)
{
	if (!*field) {
		fputs("&ndash;", out);
		return;
	}
	double v = strtod(field, NULL);
	if (usec) {
		fprintf(out, "%.2f s", v / 1e6);
		return;
	}
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	int u = 0;
	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	fprintf(out, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
}

static void row(FILE *out, const struct process *p)
{
	struct sdview_info v;
	struct procstatus ps;
	sdview_info(p, &v);
	procstatus_fill(p, &ps, true);
	char spec[512];
	snprintf(spec, sizeof spec, "%s", p->name); /* supervisord's "group:name" */
	char *quoted = webform_quote(spec);
	if (!quoted) {
		fputs("<tr><td colspan=\"10\">out of memory</td></tr>\n", out);
		return;
	}
	enum pstate s = p->fsm.state;
	fputs("<tr class=\"process\" data-name=\"", out);
	esc(out, spec);
	fprintf(out, "\" data-state=\"%s\">", v.statename);
	/* supervisord shows the state in lower case */
	char lower[32];
	size_t i = 0;
	for (; v.statename[i] && i < sizeof lower - 1; i++)
		lower[i] = (char)(v.statename[i] >= 'A' && v.statename[i] <= 'Z' ? v.statename[i] + 32
										  : v.statename[i]);
	lower[i] = '\0';
	fprintf(out, "<td class=\"state\"><span class=\"%s\">%s</span></td>", state_class(s), lower);
	fputs("<td class=\"desc\">", out);
	esc(out, v.description);
	const char *info = ps.fields[PS_INFO];
	if (*info && strcmp(info, v.description) != 0) {
		fputs("<br><small>", out);
		esc(out, info);
		fputs("</small>", out);
	}
	fprintf(out, "</td><td class=\"name\"><a href=\"tail.html?processname=%s\">", quoted);
	esc(out, spec);
	fprintf(out, "</a></td><td class=\"scope\">%s", ps.fields[PS_SCOPE]);
	if (strcmp(ps.fields[PS_TREE], "-1") != 0)
		fprintf(out, ", %s process%s", ps.fields[PS_TREE],
			strcmp(ps.fields[PS_TREE], "1") ? "es" : "");
	fputs("</td><td class=\"ready\">", out);
	readiness(out, p);
	fprintf(out, "</td><td class=\"restarts\">%llu", (unsigned long long)p->restarts);
	fputs("</td><td class=\"cpu\">", out);
	amount(out, ps.fields[PS_CPU], true);
	fputs("</td><td class=\"mem\">", out);
	amount(out, ps.fields[PS_MEM], false);
	fputs("</td><td class=\"pool\">", out);
	if (*ps.fields[PS_POOL]) {
		esc(out, ps.fields[PS_POOL]);
		fputs(": ", out);
		esc(out, ps.fields[PS_WORKER]);
	}
	fputs("</td><td class=\"action\">", out);
	/* supervisord's actions for each state */
	if (s == PSTATE_RUNNING) {
		action(out, quoted, "restart", "Restart");
		action(out, quoted, "stop", "Stop");
	} else if (s == PSTATE_STOPPED || s == PSTATE_EXITED || s == PSTATE_FATAL) {
		action(out, quoted, "start", "Start");
	}
	action(out, quoted, "clearlog", "Clear Log");
	fprintf(out, "<a href=\"logtail/%s\" target=\"_blank\">Tail -f Stdout</a>"
		"<a href=\"logtail/%s/stderr\" target=\"_blank\">Tail -f Stderr</a></td></tr>\n",
		quoted, quoted);
	free(quoted);
}

/* Each pool once (its first worker's figures): its name and queue. */
static void pools(FILE *out, struct process **v, size_t n)
{
	bool any = false;
	for (size_t i = 0; i < n; i++) {
		const struct process *p = v[i];
		char pool[128], worker[64], stats[320];
		if (p != p->prog->procs[0] ||
		    !pool_status(p, pool, sizeof pool, worker, sizeof worker, stats, sizeof stats))
			continue;
		if (!any)
			fputs("<h2>Pools</h2>\n<table id=\"pools\"><thead><tr><th>Pool</th>"
			      "<th>Queue</th><th>Figures</th></tr></thead><tbody>\n", out);
		any = true;
		const char *q = strstr(stats, "queue=");
		fputs("<tr class=\"pool\" data-name=\"", out);
		esc(out, pool);
		fputs("\"><td>", out);
		esc(out, pool);
		fprintf(out, "</td><td class=\"queue\">%ld</td><td><small>",
			q ? strtol(q + 6, NULL, 10) : 0L);
		esc(out, stats);
		fputs("</small></td></tr>\n", out);
	}
	if (any)
		fputs("</tbody></table>\n", out);
}

int webpage_status(FILE *out, const char *message)
{
	char title[300];
	snprintf(title, sizeof title, "corrald: %s", supervisor_identifier());
	head(out, title, message ? 0 : WEBPAGE_REFRESH);
	if (message) {
		fputs("<p class=\"message\" id=\"message\">", out);
		esc(out, message);
		fputs("</p>\n", out);
	}
	fputs("<nav><a href=\"index.html?action=refresh\">Refresh</a>"
	      "<a href=\"index.html?action=restartall\">Restart All</a>"
	      "<a href=\"index.html?action=stopall\">Stop All</a></nav>\n", out);
	struct process **v;
	size_t n = sdview_processes(NULL, true, &v);
	if (!n) {
		fputs("<p id=\"status\">No programs to manage</p>\n", out);
	} else {
		fputs("<table id=\"status\"><thead><tr><th>State</th><th>Description</th>"
		      "<th>Name</th><th>Scope</th><th>Ready</th><th>Restarts</th><th>CPU</th><th>Memory</th>"
		      "<th>Pool</th><th>Action</th></tr></thead>\n<tbody>\n", out);
		for (size_t i = 0; i < n; i++)
			row(out, v[i]);
		fputs("</tbody></table>\n", out);
		pools(out, v, n);
	}
	free(v);
	return foot(out);
}

int webpage_tail(FILE *out, const char *spec, size_t limit)
{
	struct process *p = sdview_named(spec);
	char title[600];
	snprintf(title, sizeof title, "corrald: tail of %s", spec);
	head(out, title, p ? WEBPAGE_REFRESH : 0);
	char *quoted = webform_quote(spec);
	if (quoted) {
		fprintf(out, "<nav><a href=\"tail.html?processname=%s&amp;limit=%zu\" "
			"id=\"refresh\">Refresh</a><a href=\"logtail/%s\">Tail -f</a></nav>\n",
			quoted, limit, quoted);
		free(quoted);
	}
	char lpath[PATH_MAX], why[PATH_MAX + 160];
	uint64_t size = 0;
	const char *f = p ? supervisor_log_path(p, LOG_STDOUT, lpath, sizeof lpath) : NULL;
	int fd = f ? logfile_open_read(f, &size, why, sizeof why) : -1;
	char *buf = fd >= 0 ? malloc(limit + 1) : NULL;
	fputs("<pre id=\"tail\">", out);
	if (!p) {
		fputs("No such process ", out);
		esc(out, spec);
	} else if (fd < 0) {
		fputs("No file for ", out);
		esc(out, spec);
	} else if (!buf) {
		fputs("out of memory", out);
	} else {
		off_t from = size > limit ? (off_t)(size - limit) : 0;
		size_t got = io_pread_upto(fd, buf, limit, from);
		buf[got] = '\0';
		/* a NUL in the log ends what is shown; it is text */
		esc(out, buf);
	}
	fputs("</pre>\n", out);
	free(buf);
	if (fd >= 0)
		close(fd);
	return foot(out);
}

int webpage_refused(FILE *out, const char *why)
{
	head(out, "corrald: action refused", 0);
	fputs("<p class=\"refused\" id=\"refused\">Refused: ", out);
	esc(out, why);
	fputs(".</p>\n<p>corrald takes actions (start, stop, restart, clear a log) only from its "
	      "own page, so that another web site cannot make the browser of a logged-in "
	      "operator change the processes. Open <a href=\"index.html\">the status page</a> "
	      "and use its links.</p>\n", out);
	return foot(out);
}
