/* rpc — supervisord's XML-RPC interface (see rpc.h).
 *
 * Two routes of the HTTP server (http.h): POST /RPC2 carries a methodCall;
 * GET /logtail/NAME[/CHANNEL] streams a log as supervisord does (its last
 * 1 KiB, then what is written, chunked). The methods are supervisord 4.2's,
 * with its names for processes ("group:name"), its fields, its fault codes
 * and its rules for what may be started, stopped or signalled; start and
 * stop with wait = true answer once the processes got there, like
 * corralctl's: the answer is deferred on its connection until the core
 * publishes (hooks.h) that they did. Values are read and written by
 * xmlrpc.c. */
#include "supervisor/rpc.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "ipc/io.h"
#include "supervisor/events.h"
#include "supervisor/hooks.h"
#include "supervisor/http.h"
#include "supervisor/log.h"
#include "supervisor/logfile.h"
#include "supervisor/logstream.h"
#include "supervisor/loop.h"
#include "supervisor/signame.h"
#include "supervisor/spawn.h"
#include "supervisor/supervisor.h"
#include "supervisor/xmlrpc.h"

/* A log read (readProcessStdoutLog ...) returns at most this much. */
#define READ_MAX (8 * 1024 * 1024)

/* supervisord's fault codes (supervisor/xmlrpc.py). */
enum fault {
	F_UNKNOWN_METHOD = 1, F_INCORRECT_PARAMETERS = 2, F_BAD_ARGUMENTS = 3,
	F_SIGNATURE_UNSUPPORTED = 4, F_SHUTDOWN_STATE = 6, F_BAD_NAME = 10, F_BAD_SIGNAL = 11,
	F_NO_FILE = 20, F_NOT_EXECUTABLE = 21, F_FAILED = 30, F_ABNORMAL_TERMINATION = 40,
	F_SPAWN_ERROR = 50, F_ALREADY_STARTED = 60, F_NOT_RUNNING = 70, F_SUCCESS = 80,
	F_ALREADY_ADDED = 90, F_STILL_RUNNING = 91, F_CANT_REREAD = 92,
};

static const char *fault_name(int code)
{
	switch (code) {
	case F_UNKNOWN_METHOD: return "UNKNOWN_METHOD";
	case F_INCORRECT_PARAMETERS: return "INCORRECT_PARAMETERS";
	case F_BAD_ARGUMENTS: return "BAD_ARGUMENTS";
	case F_SIGNATURE_UNSUPPORTED: return "SIGNATURE_UNSUPPORTED";
	case F_SHUTDOWN_STATE: return "SHUTDOWN_STATE";
	case F_BAD_NAME: return "BAD_NAME";
	case F_BAD_SIGNAL: return "BAD_SIGNAL";
	case F_NO_FILE: return "NO_FILE";
	case F_NOT_EXECUTABLE: return "NOT_EXECUTABLE";
	case F_FAILED: return "FAILED";
	case F_ABNORMAL_TERMINATION: return "ABNORMAL_TERMINATION";
	case F_SPAWN_ERROR: return "SPAWN_ERROR";
	case F_ALREADY_STARTED: return "ALREADY_STARTED";
	case F_NOT_RUNNING: return "NOT_RUNNING";
	case F_SUCCESS: return "SUCCESS";
	case F_ALREADY_ADDED: return "ALREADY_ADDED";
	case F_STILL_RUNNING: return "STILL_RUNNING";
	case F_CANT_REREAD: return "CANT_REREAD";
	default: return "FAILED";
	}
}

/* ---- processes as supervisord names and describes them ---- */

static int state_code(enum pstate s)
{
	switch (s) {
	case PSTATE_STOPPED: return 0;
	case PSTATE_STARTING: return 10;
	case PSTATE_RUNNING: return 20;
	case PSTATE_BACKOFF: return 30;
	case PSTATE_STOPPING: return 40;
	case PSTATE_EXITED: return 100;
	case PSTATE_FATAL: return 200;
	default: return 1000;
	}
}

/* supervisord's RUNNING_STATES, STOPPED_STATES and SIGNALLABLE_STATES. */
static bool running_state(enum pstate s)
{
	return s == PSTATE_RUNNING || s == PSTATE_BACKOFF || s == PSTATE_STARTING;
}

static bool stopped_state(enum pstate s)
{
	return s == PSTATE_STOPPED || s == PSTATE_EXITED || s == PSTATE_FATAL ||
	       s == PSTATE_UNKNOWN;
}

static bool signallable_state(enum pstate s)
{
	return s == PSTATE_RUNNING || s == PSTATE_STARTING || s == PSTATE_STOPPING;
}

/* The processes the API sees: not a generation being replaced, not a
 * corralctl run. */
static bool visible(const struct program *prog)
{
	return !prog->retiring && !prog->transient;
}

/* supervisord's split_namespec: "g:n" -> g, n; "g:*" or "g:" -> g, NULL;
 * "n" -> n, n. GROUP is written into BUF. */
static void split_namespec(const char *spec, char *buf, size_t len, const char **group,
			   const char **name)
{
	const char *colon = strchr(spec, ':');
	if (!colon) {
		*group = *name = spec;
		return;
	}
	size_t n = (size_t)(colon - spec);
	if (n >= len)
		n = len - 1;
	memcpy(buf, spec, n);
	buf[n] = '\0';
	*group = buf;
	*name = colon[1] && strcmp(colon + 1, "*") != 0 ? colon + 1 : NULL;
}

static bool group_exists(const char *group)
{
	for (struct program *prog = supervisor_programs(); prog; prog = prog->next)
		if (visible(prog) && strcmp(program_group_name(prog), group) == 0)
			return true;
	return false;
}

static struct process *find_process(const char *group, const char *name)
{
	for (struct program *prog = supervisor_programs(); prog; prog = prog->next) {
		if (!visible(prog) || strcmp(program_group_name(prog), group) != 0)
			continue;
		for (int i = 0; i < prog->nprocs; i++)
			if (strcmp(supervisor_process_name(&prog->procs[i]), name) == 0)
				return &prog->procs[i];
	}
	return NULL;
}

/* A group's priority as supervisord sorts by it: its [group:]'s, or the
 * program's own when it is in none. */
static int group_priority(const struct program *prog)
{
	if (!prog->group)
		return prog->cfg->priority;
	const struct group_config *g = prog->group->cfg;
	return g && g->has_priority ? g->priority : 999;
}

/* supervisord's order for what it does to many processes: groups by
 * priority then name, a group's processes by their own priority then name. */
static int by_group_then_process(const void *a, const void *b)
{
	const struct process *p = *(struct process *const *)a, *q = *(struct process *const *)b;
	int gp = group_priority(p->prog), gq = group_priority(q->prog);
	if (gp != gq)
		return gp < gq ? -1 : 1;
	int c = strcmp(program_group_name(p->prog), program_group_name(q->prog));
	if (c)
		return c;
	int pp = p->prog->cfg->process_priority, pq = q->prog->cfg->process_priority;
	if (pp != pq)
		return pp < pq ? -1 : 1;
	return strcmp(supervisor_process_name(p), supervisor_process_name(q));
}

/* getAllProcessInfo's order (so supervisorctl status's): group names, then
 * process names, as strings. */
static int by_names(const void *a, const void *b)
{
	const struct process *p = *(struct process *const *)a, *q = *(struct process *const *)b;
	int c = strcmp(program_group_name(p->prog), program_group_name(q->prog));
	return c ? c : strcmp(supervisor_process_name(p), supervisor_process_name(q));
}

/* The visible processes (of GROUP only, unless NULL) in supervisord's
 * order: by_group_then_process, or by_names when LEXICAL. A heap array
 * into *OUT (NULL when none or out of memory); their number. */
static size_t processes(const char *group, bool lexical, struct process ***out)
{
	size_t n = 0, k = 0;
	for (struct program *prog = supervisor_programs(); prog; prog = prog->next)
		if (visible(prog) && (!group || strcmp(program_group_name(prog), group) == 0))
			n += (size_t)prog->nprocs;
	*out = n ? calloc(n, sizeof **out) : NULL;
	if (!*out)
		return 0;
	for (struct program *prog = supervisor_programs(); prog; prog = prog->next)
		if (visible(prog) && (!group || strcmp(program_group_name(prog), group) == 0))
			for (int i = 0; i < prog->nprocs; i++)
				(*out)[k++] = &prog->procs[i];
	qsort(*out, n, sizeof **out, lexical ? by_names : by_group_then_process);
	return n;
}

/* Python's str(timedelta): "0:00:05", "1 day, 2:03:04". */
static void format_uptime(long long secs, char *buf, size_t len)
{
	if (secs < 0)
		secs = 0;
	long long days = secs / 86400;
	secs %= 86400;
	if (days)
		snprintf(buf, len, "%lld day%s, %lld:%02lld:%02lld", days, days == 1 ? "" : "s",
			 secs / 3600, secs / 60 % 60, secs % 60);
	else
		snprintf(buf, len, "%lld:%02lld:%02lld", secs / 3600, secs / 60 % 60, secs % 60);
}

static void describe(const struct process *p, char *buf, size_t len)
{
	enum pstate s = p->fsm.state;
	if (s == PSTATE_RUNNING) {
		char up[64];
		format_uptime((long long)time(NULL) - p->start_wall, up, sizeof up);
		snprintf(buf, len, "pid %d, uptime %s", (int)p->pid, up);
	} else if (s == PSTATE_FATAL || s == PSTATE_BACKOFF) {
		if (p->spawnerr)
			snprintf(buf, len, "%s", p->spawnerr);
		else if (p->info && strcmp(p->info, "exited too quickly") != 0)
			snprintf(buf, len, "%s", p->info);
		else
			snprintf(buf, len, "Exited too quickly (process log may have details)");
	} else if (s == PSTATE_STOPPED || s == PSTATE_EXITED) {
		time_t stop = (time_t)p->stop_wall;
		struct tm tm;
		if (!p->start_wall || !localtime_r(&stop, &tm) ||
		    !strftime(buf, len, "%b %d %I:%M %p", &tm))
			snprintf(buf, len, "Not started");
	} else {
		buf[0] = '\0';
	}
}

static void process_info(struct xbuf *b, const struct process *p)
{
	char desc[PATH_MAX + 64], out[PATH_MAX], err[PATH_MAX];
	const char *o = supervisor_log_path(p, LOG_STDOUT, out, sizeof out);
	const char *e = supervisor_log_path(p, LOG_STDERR, err, sizeof err);
	describe(p, desc, sizeof desc);
	int exitstatus = p->exitcode >= 0 ? p->exitcode : p->exitsig ? -1 : 0;
	xb_struct_begin(b);
	xb_member_string(b, "name", supervisor_process_name(p));
	xb_member_string(b, "group", program_group_name(p->prog));
	xb_member_int(b, "start", p->start_wall);
	xb_member_int(b, "stop", p->stop_wall);
	xb_member_int(b, "now", (long long)time(NULL));
	xb_member_int(b, "state", state_code(p->fsm.state));
	xb_member_string(b, "statename", program_state_name(p->fsm.state));
	xb_member_string(b, "spawnerr", p->spawnerr ? p->spawnerr : "");
	xb_member_int(b, "exitstatus", exitstatus);
	xb_member_string(b, "logfile", o ? o : "");
	xb_member_string(b, "stdout_logfile", o ? o : "");
	xb_member_string(b, "stderr_logfile", e ? e : "");
	xb_member_int(b, "pid", program_state_alive(p->fsm.state) ? p->pid : 0);
	xb_member_string(b, "description", desc);
	xb_struct_end(b);
}

/* ---- answers that wait ---- */

struct went {               /* one process a deferred call waits for */
	struct process *p;      /* NULL once it is gone */
	char *name, *group;     /* owned */
	int status;             /* 0 while waiting, then a fault code or F_SUCCESS */
	char *desc;             /* owned; the fault's text */
};

enum wait_kind { WAIT_START, WAIT_STOP };

/* A system.multicall under way: its calls run one after the other, each
 * that waits holding back the rest, as supervisord runs them. */
struct rmulti {
	struct xcall call;      /* owned once a call waited: the request */
	const struct xval *calls; /* its array of {methodName, params} */
	size_t next;            /* the first call not yet made */
	struct xbuf results;    /* the answers so far, each a value */
};

struct rwait {
	enum wait_kind kind;
	bool list;              /* a group call: answer the array of results */
	struct xbuf known;      /* list: the results known when it was called */
	struct went *v;
	size_t n, cap;
	struct rmulti *multi;   /* owned; the multicall it is a call of, NULL: none */
};

/* A call whose answer waits for processes, deferred on its connection. */
struct rpending {
	struct http_conn *conn;
	struct rwait *wait;     /* owned; NULL while its multicall goes on */
	struct rmulti *resume;  /* owned; a multicall to go on with at its deadline */
	struct deadline timer;  /* for RESUME */
	struct rpending *next;
};

/* A /logtail reader: the stream of a process's log on its connection. */
struct rtail {
	struct http_conn *conn;
	struct process *p;
	int which;              /* LOG_STDOUT, LOG_STDERR */
	struct rtail *next;
};

static struct {
	struct rpending *pending;
	struct rtail *tails;
} R;

static void multi_free(struct rmulti *m)
{
	if (!m)
		return;
	xcall_free(&m->call);
	xb_free(&m->results);
	free(m);
}

static void wait_free(struct rwait *w)
{
	if (!w)
		return;
	multi_free(w->multi);
	for (size_t i = 0; i < w->n; i++) {
		free(w->v[i].name);
		free(w->v[i].group);
		free(w->v[i].desc);
	}
	free(w->v);
	xb_free(&w->known);
	free(w);
}

/* ---- calls ---- */

struct rcall {
	bool can_wait;          /* false: a call that would wait answers at once */
	struct xbuf *out;       /* the value */
	int fault;              /* 0, or the fault it ended with */
	char msg[PATH_MAX + 128];
	struct rwait *wait;     /* set by a call that answers later */
	long long num[4];       /* args(): each 'i' and 'b' argument as a number */
};

static void fault(struct rcall *rc, int code, const char *extra) __attribute__((nonnull(1)));
static void fault(struct rcall *rc, int code, const char *extra)
{
	rc->fault = code;
	if (extra)
		snprintf(rc->msg, sizeof rc->msg, "%s: %s", fault_name(code), extra);
	else
		snprintf(rc->msg, sizeof rc->msg, "%s", fault_name(code));
}

static bool shutting_down(struct rcall *rc);

/* Python's int() of an XML-RPC value, as supervisord converts its numeric
 * arguments: an int, a boolean, a double (truncated), or a string of
 * digits with blanks around, a sign, and single underscores between
 * digits. False for anything else. */
static bool py_int(const struct xval *v, long long *out)
{
	switch (v->type) {
	case XV_INT:
	case XV_BOOL:
		*out = v->i;
		return true;
	case XV_DOUBLE:
		if (!(v->d > -9.2e18 && v->d < 9.2e18)) /* NaN too */
			return false;
		*out = (long long)v->d;
		return true;
	case XV_STRING:
		break;
	default:
		return false;
	}
	const char *p = v->s, *end = v->s + v->slen;
	while (p < end && strchr(" \t\n\r\f\v", *p))
		p++;
	while (end > p && strchr(" \t\n\r\f\v", end[-1]))
		end--;
	bool neg = p < end && *p == '-';
	if (p < end && (*p == '-' || *p == '+'))
		p++;
	if (p == end)
		return false;
	unsigned long long n = 0;
	for (const char *q = p; q < end; q++) {
		if (*q == '_' && q > p && q + 1 < end && q[-1] != '_' && q[1] != '_')
			continue;
		if (*q < '0' || *q > '9' || n > (unsigned long long)INT64_MAX / 10)
			return false;
		n = n * 10 + (unsigned long long)(*q - '0');
		if (n > (unsigned long long)INT64_MAX)
			return false;
	}
	*out = neg ? -(long long)n : (long long)n;
	return true;
}

/* Python's truth of an XML-RPC value: supervisord's test of a wait flag. */
static bool py_truth(const struct xval *v)
{
	switch (v->type) {
	case XV_INT:
	case XV_BOOL:
		return v->i != 0;
	case XV_DOUBLE:
		return v->d != 0;
	case XV_STRING:
	case XV_BASE64:
		return v->slen > 0;
	case XV_ARRAY:
	case XV_STRUCT:
		return v->n > 0;
	case XV_NIL:
		return false;
	default:
		return true;
	}
}

/* Check PARAMS against SIG: one letter each, s string, i a number as
 * Python's int() takes it, b anything (its truth), x string or number;
 * letters after '|' may be left out. The 'i' and 'b' arguments go into
 * rc->num. */
static bool args(struct rcall *rc, const struct xval *params, const char *sig)
{
	size_t i = 0;
	bool optional = false;
	for (const char *s = sig; *s; s++) {
		if (*s == '|') {
			optional = true;
			continue;
		}
		if (i >= params->n) {
			if (optional)
				return true;
			fault(rc, F_INCORRECT_PARAMETERS, NULL);
			return false;
		}
		const struct xval *v = &params->items[i];
		enum xv_type t = v->type;
		bool ok = i < sizeof rc->num / sizeof rc->num[0] &&
			  ((*s == 's' && t == XV_STRING) || *s == 'b' ||
			   (*s == 'i' && py_int(v, &rc->num[i])) ||
			   (*s == 'x' && (t == XV_STRING || t == XV_INT || t == XV_BOOL ||
					  t == XV_DOUBLE)));
		if (!ok) {
			fault(rc, F_INCORRECT_PARAMETERS, NULL);
			return false;
		}
		if (*s == 'b')
			rc->num[i] = py_truth(v);
		i++;
	}
	if (i != params->n) {
		fault(rc, F_INCORRECT_PARAMETERS, NULL);
		return false;
	}
	return true;
}

static const char *sarg(const struct xval *params, size_t i)
{
	return params->items[i].s;
}

/* The boolean argument I (checked by args()), or DFLT when left out. */
static bool barg(const struct rcall *rc, const struct xval *params, size_t i, bool dflt)
{
	return i < params->n ? rc->num[i] != 0 : dflt;
}

/* The one process NAME names (not a group): BAD_NAME otherwise. */
static struct process *named(struct rcall *rc, const char *spec)
{
	char gbuf[256];
	const char *group, *name;
	split_namespec(spec, gbuf, sizeof gbuf, &group, &name);
	struct process *p = name ? find_process(group, name) : NULL;
	if (!p)
		fault(rc, F_BAD_NAME, spec);
	return p;
}

static void m_version(struct rcall *rc, const struct xval *pa)
{
	if (args(rc, pa, "") && !shutting_down(rc))
		xb_string(rc->out, "3.0"); /* the API's version, as supervisord 4.2 says */
}

static void m_supervisor_version(struct rcall *rc, const struct xval *pa)
{
	if (args(rc, pa, "") && !shutting_down(rc))
		xb_string(rc->out, "4.2.5 (corrald " CORRAL_VERSION ")");
}

static void m_identification(struct rcall *rc, const struct xval *pa)
{
	if (args(rc, pa, "") && !shutting_down(rc))
		xb_string(rc->out, supervisor_identifier());
}

static void m_state(struct rcall *rc, const struct xval *pa)
{
	if (!args(rc, pa, "") || shutting_down(rc))
		return;
	xb_struct_begin(rc->out);
	xb_member_int(rc->out, "statecode", 1);
	xb_member_string(rc->out, "statename", "RUNNING");
	xb_struct_end(rc->out);
}

static void m_pid(struct rcall *rc, const struct xval *pa)
{
	if (args(rc, pa, "") && !shutting_down(rc))
		xb_int(rc->out, getpid());
}

static void m_process_info(struct rcall *rc, const struct xval *pa)
{
	struct process *p;
	if (args(rc, pa, "s") && !shutting_down(rc) && (p = named(rc, sarg(pa, 0))))
		process_info(rc->out, p);
}

static void m_all_process_info(struct rcall *rc, const struct xval *pa)
{
	if (!args(rc, pa, "") || shutting_down(rc))
		return;
	xb_array_begin(rc->out);
	struct process **v;
	size_t n = processes(NULL, true, &v);
	for (size_t i = 0; i < n; i++)
		process_info(rc->out, v[i]);
	free(v);
	xb_array_end(rc->out);
}

/* A result of a group call: {name, group, status, description}. */
static void result_struct(struct xbuf *b, const char *name, const char *group, int status,
			  const char *desc)
{
	xb_struct_begin(b);
	xb_member_string(b, "name", name);
	xb_member_string(b, "group", group);
	xb_member_int(b, "status", status);
	xb_member_string(b, "description", desc);
	xb_struct_end(b);
}

static struct went *wait_add(struct rcall *rc, enum wait_kind kind, bool list, struct process *p)
{
	if (!rc->wait) {
		rc->wait = calloc(1, sizeof *rc->wait);
		if (!rc->wait)
			return NULL;
		rc->wait->kind = kind;
		rc->wait->list = list;
	}
	struct rwait *w = rc->wait;
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 8;
		struct went *v = realloc(w->v, cap * sizeof *v);
		if (!v)
			return NULL;
		w->v = v;
		w->cap = cap;
	}
	struct went *e = &w->v[w->n];
	memset(e, 0, sizeof *e);
	e->p = p;
	e->name = strdup(supervisor_process_name(p));
	e->group = strdup(program_group_name(p->prog));
	if (!e->name || !e->group) {
		free(e->name);
		free(e->group);
		return NULL;
	}
	w->n++;
	return e;
}

/* Where a waited-for process stands: 0 while it is on its way. */
static int wait_status(enum wait_kind kind, const struct process *p)
{
	if (!p)
		return F_FAILED;
	enum pstate s = p->fsm.state;
	if (kind == WAIT_STOP)
		return stopped_state(s) ? F_SUCCESS : 0;
	/* supervisord counts an exit before startsecs as a spawn error too
	 * ("Exited too quickly") */
	if (p->spawnerr || s == PSTATE_BACKOFF || s == PSTATE_FATAL)
		return F_SPAWN_ERROR;
	if (s == PSTATE_RUNNING)
		return F_SUCCESS;
	if (s == PSTATE_STARTING || (s == PSTATE_STOPPED && p->dep_waiting))
		return 0;
	return F_ABNORMAL_TERMINATION;
}

/* The file argv[0] names is there and may be run: supervisord's checks
 * before a spawn, with its faults. */
static bool executable(struct rcall *rc, const struct process *p)
{
	char *const *argv = p->prog->cfg->argv;
	if (!argv || !argv[0] || p->prog->cfg->is_pool)
		return true;
	char why[PATH_MAX + 64]; /* a longer one is cut */
	int r = spawn_check_command(argv[0], p->prog->cfg->environment, why, sizeof why);
	if (r < 0)
		fault(rc, r == -ENOENT ? F_NO_FILE : F_NOT_EXECUTABLE, why);
	return r == 0;
}

static bool shutting_down(struct rcall *rc)
{
	if (supervisor_shutting_down()) {
		fault(rc, F_SHUTDOWN_STATE, NULL);
		return true;
	}
	return false;
}

/* startProcess / stopProcess on one process: 0 done, 1 waiting (an entry
 * added to rc->wait), -1 a fault in rc. */
static int start_one(struct rcall *rc, struct process *p, bool wait, bool list)
{
	char spec[512];
	snprintf(spec, sizeof spec, "%s", p->name);
	if (!executable(rc, p))
		return -1;
	if (running_state(p->fsm.state)) {
		fault(rc, F_ALREADY_STARTED, spec);
		return -1;
	}
	if (p->fsm.state == PSTATE_STOPPING || p->fsm.state == PSTATE_UNKNOWN) {
		fault(rc, F_FAILED, "it is still stopping");
		return -1;
	}
	supervisor_start(p);
	int st = wait_status(WAIT_START, p);
	if (st == F_SPAWN_ERROR || (!wait && p->spawnerr)) {
		fault(rc, F_SPAWN_ERROR, spec);
		return -1;
	}
	if (!wait || st == F_SUCCESS)
		return 0;
	if (!rc->can_wait)
		return 0;
	if (!wait_add(rc, WAIT_START, list, p)) {
		fault(rc, F_FAILED, "out of memory");
		return -1;
	}
	return 1;
}

static int stop_one(struct rcall *rc, struct process *p, bool wait, bool list)
{
	if (!running_state(p->fsm.state)) {
		fault(rc, F_NOT_RUNNING, p->name);
		return -1;
	}
	supervisor_stop(p);
	if (!wait || stopped_state(p->fsm.state) || !rc->can_wait)
		return 0;
	if (!wait_add(rc, WAIT_STOP, list, p)) {
		fault(rc, F_FAILED, "out of memory");
		return -1;
	}
	return 1;
}

/* startProcessGroup, startAllProcesses, stop...: each process the
 * predicate picks, in order; GROUP NULL: every process. */
static void group_op(struct rcall *rc, const char *group, bool start, bool wait)
{
	if (group && !group_exists(group)) {
		fault(rc, F_BAD_NAME, group);
		return;
	}
	struct xbuf res = { 0 };
	struct process **v;
	size_t n = processes(group, false, &v);
	for (size_t i = 0; i < n; i++) {
		struct process *p = v[i];
		if (running_state(p->fsm.state) == start)
			continue; /* isNotRunning / isRunning */
		struct rcall one = { .can_wait = rc->can_wait, .wait = rc->wait };
		int r = start ? start_one(&one, p, wait, true) : stop_one(&one, p, wait, true);
		rc->wait = one.wait;
		if (r < 0)
			result_struct(&res, supervisor_process_name(p), program_group_name(p->prog),
				      one.fault, one.msg);
		else if (r == 0)
			result_struct(&res, supervisor_process_name(p), program_group_name(p->prog),
				      F_SUCCESS, "OK");
	}
	free(v);
	if (rc->wait) {
		/* the results known now go first, as supervisord lists them */
		rc->wait->list = true;
		rc->wait->known = res;
		return;
	}
	xb_array_begin(rc->out);
	xb_raw(rc->out, res.p ? res.p : "", res.len);
	xb_array_end(rc->out);
	if (res.oom)
		rc->out->oom = true;
	xb_free(&res);
}

/* startProcess / stopProcess: one process, or a group's with "GROUP:*". */
static void start_or_stop(struct rcall *rc, const struct xval *pa, bool start)
{
	if (!args(rc, pa, "s|b") || shutting_down(rc))
		return;
	char gbuf[256];
	const char *group, *name;
	split_namespec(sarg(pa, 0), gbuf, sizeof gbuf, &group, &name);
	bool wait = barg(rc, pa, 1, true);
	if (!name) {
		if (!group_exists(group))
			fault(rc, F_BAD_NAME, sarg(pa, 0)); /* the name as given, "GROUP:*" */
		else
			group_op(rc, group, start, wait);
		return;
	}
	struct process *p = named(rc, sarg(pa, 0));
	if (p && (start ? start_one(rc, p, wait, false) : stop_one(rc, p, wait, false)) == 0)
		xb_bool(rc->out, true);
}

static void m_start(struct rcall *rc, const struct xval *pa)
{
	start_or_stop(rc, pa, true);
}

static void m_stop(struct rcall *rc, const struct xval *pa)
{
	start_or_stop(rc, pa, false);
}

static void m_start_group(struct rcall *rc, const struct xval *pa)
{
	if (args(rc, pa, "s|b") && !shutting_down(rc))
		group_op(rc, sarg(pa, 0), true, barg(rc, pa, 1, true));
}

static void m_stop_group(struct rcall *rc, const struct xval *pa)
{
	if (args(rc, pa, "s|b") && !shutting_down(rc))
		group_op(rc, sarg(pa, 0), false, barg(rc, pa, 1, true));
}

static void m_start_all(struct rcall *rc, const struct xval *pa)
{
	if (args(rc, pa, "|b") && !shutting_down(rc))
		group_op(rc, NULL, true, barg(rc, pa, 0, true));
}

static void m_stop_all(struct rcall *rc, const struct xval *pa)
{
	if (args(rc, pa, "|b") && !shutting_down(rc))
		group_op(rc, NULL, false, barg(rc, pa, 0, true));
}

/* A signal given as "HUP", "sighup", " 1 " or 1; 0 (no signal: the
 * process is only checked for) as supervisord takes it too. -1: none. */
static int signal_arg(const struct xval *v)
{
	long long n;
	if (py_int(v, &n))
		return n >= 0 && n < NSIG ? (int)n : -1;
	if (v->type != XV_STRING)
		return -1;
	char name[32];
	const char *p = v->s;
	while (*p && strchr(" \t\n\r\f\v", *p))
		p++;
	size_t len = strcspn(p, " \t\n\r\f\v");
	if (len >= sizeof name || p[len + strspn(p + len, " \t\n\r\f\v")])
		return -1;
	memcpy(name, p, len);
	name[len] = '\0';
	return signame_number(name);
}

/* signalProcess on one process: BAD_SIGNAL (V is not a signal) before
 * NOT_RUNNING, as supervisord checks them. 0, or -1 with a fault in RC. */
static int signal_one(struct rcall *rc, struct process *p, const struct xval *v)
{
	int sig = signal_arg(v);
	if (sig < 0) {
		char num[64];
		if (v->type == XV_DOUBLE)
			snprintf(num, sizeof num, "%g", v->d);
		else
			snprintf(num, sizeof num, "%lld", v->i);
		fault(rc, F_BAD_SIGNAL, v->type == XV_STRING ? v->s : num);
		return -1;
	}
	if (!signallable_state(p->fsm.state)) {
		fault(rc, F_NOT_RUNNING, p->name);
		return -1;
	}
	int r = supervisor_signal(p, sig);
	if (r < 0) {
		fault(rc, F_FAILED, strerror(-r));
		return -1;
	}
	return 0;
}

/* signalProcessGroup, signalAllProcesses (GROUP NULL): a result per
 * process that may be signalled, even when V is no signal (each then says
 * BAD_SIGNAL, as supervisord's answers do). */
static void signal_group(struct rcall *rc, const char *group, const struct xval *v)
{
	xb_array_begin(rc->out);
	struct process **pv;
	size_t n = processes(group, false, &pv);
	for (size_t i = 0; i < n; i++) {
		struct process *p = pv[i];
		if (!signallable_state(p->fsm.state))
			continue;
		struct rcall one = { 0 };
		bool ok = signal_one(&one, p, v) == 0;
		result_struct(rc->out, supervisor_process_name(p), program_group_name(p->prog),
			      ok ? F_SUCCESS : one.fault, ok ? "OK" : one.msg);
	}
	free(pv);
	xb_array_end(rc->out);
}

static void m_signal(struct rcall *rc, const struct xval *pa)
{
	if (!args(rc, pa, "sx") || shutting_down(rc))
		return;
	char gbuf[256];
	const char *group, *name;
	split_namespec(sarg(pa, 0), gbuf, sizeof gbuf, &group, &name);
	if (!name) {
		if (!group_exists(group))
			fault(rc, F_BAD_NAME, sarg(pa, 0)); /* the name as given, "GROUP:*" */
		else
			signal_group(rc, group, &pa->items[1]);
		return;
	}
	struct process *p = named(rc, sarg(pa, 0));
	if (p && signal_one(rc, p, &pa->items[1]) == 0)
		xb_bool(rc->out, true);
}

static void m_signal_group(struct rcall *rc, const struct xval *pa)
{
	if (!args(rc, pa, "sx") || shutting_down(rc))
		return;
	if (!group_exists(sarg(pa, 0)))
		fault(rc, F_BAD_NAME, sarg(pa, 0));
	else
		signal_group(rc, sarg(pa, 0), &pa->items[1]);
}

static void m_signal_all(struct rcall *rc, const struct xval *pa)
{
	if (args(rc, pa, "x") && !shutting_down(rc))
		signal_group(rc, NULL, &pa->items[0]);
}

/* ---- logs ---- */

/* supervisord's readFile: OFFSET < 0 reads that many bytes back from the
 * end (LENGTH must then be 0); else LENGTH bytes (0: to the end) at OFFSET. */
static void read_file(struct rcall *rc, const char *path, long long offset, long long length)
{
	/* Never through a symbolic link (logfile.c): one planted in a log
	 * directory would hand the client any file corrald can read. */
	char why[PATH_MAX]; /* room in a fault's message */
	uint64_t fsize;
	int fd = logfile_open_read(path, &fsize, why, sizeof why);
	if (fd < 0) {
		fault(rc, fd == -ENOENT ? F_NO_FILE : F_FAILED, fd == -ENOENT ? path : why);
		return;
	}
	long long size = (long long)fsize, from, want;
	if (offset < 0) {
		if (length) {
			close(fd);
			fault(rc, F_BAD_ARGUMENTS, NULL);
			return;
		}
		/* no more than the file: -offset cannot overflow then */
		want = offset < -size ? size : -offset;
		from = size - want;
	} else {
		if (length < 0) {
			close(fd);
			fault(rc, F_BAD_ARGUMENTS, NULL);
			return;
		}
		from = offset > size ? size : offset;
		want = length && length < size ? length : size - from;
	}
	if (want > size - from)
		want = size - from;
	if (want < 0)
		want = 0;
	if (want > READ_MAX)
		want = READ_MAX;
	char *buf = malloc(want ? (size_t)want : 1);
	if (!buf) {
		close(fd);
		fault(rc, F_FAILED, "out of memory");
		return;
	}
	size_t got = io_pread_upto(fd, buf, (size_t)want, (off_t)from);
	close(fd);
	xb_string_n(rc->out, buf, got);
	free(buf);
}

static const char *log_of(struct rcall *rc, const struct process *p, int which, char *buf,
			  size_t len)
{
	const char *path = supervisor_log_path(p, which, buf, len);
	if (!path) /* no file at all: NO_FILE alone; a missing one: read_file() names it */
		fault(rc, F_NO_FILE, NULL);
	return path;
}

static void read_log(struct rcall *rc, const struct xval *pa, int which)
{
	struct process *p;
	char path[PATH_MAX];
	const char *f;
	if (args(rc, pa, "sii") && !shutting_down(rc) && (p = named(rc, sarg(pa, 0))) &&
	    (f = log_of(rc, p, which, path, sizeof path)))
		read_file(rc, f, rc->num[1], rc->num[2]);
}

static void m_read_stdout(struct rcall *rc, const struct xval *pa)
{
	read_log(rc, pa, LOG_STDOUT);
}

static void m_read_stderr(struct rcall *rc, const struct xval *pa)
{
	read_log(rc, pa, LOG_STDERR);
}

/* supervisord's tailFile: [bytes, offset, overflow]. */
static void tail_log(struct rcall *rc, const struct xval *pa, int which)
{
	struct process *p;
	if (!args(rc, pa, "sii") || shutting_down(rc) || !(p = named(rc, sarg(pa, 0))))
		return;
	long long offset = rc->num[1], length = rc->num[2];
	/* clients' numbers, kept where the arithmetic below cannot overflow */
	if (length > READ_MAX)
		length = READ_MAX;
	if (offset > INT64_MAX / 4)
		offset = INT64_MAX / 4;
	if (offset < -(INT64_MAX / 4))
		offset = -(INT64_MAX / 4);
	if (length < -(INT64_MAX / 4))
		length = -(INT64_MAX / 4);
	char path[PATH_MAX], why[PATH_MAX]; /* room in a fault's message */
	const char *f = supervisor_log_path(p, which, path, sizeof path);
	uint64_t fsize;
	int fd = -ENOENT;
	if (f && (fd = logfile_open_read(f, &fsize, why, sizeof why)) < 0 && fd != -ENOENT) {
		fault(rc, F_FAILED, why); /* a symbolic link, not followed */
		return;
	}
	if (fd < 0) { /* no log file, or none there (yet): supervisord's empty answer */
		xb_array_begin(rc->out);
		xb_string(rc->out, "");
		xb_int(rc->out, 0);
		xb_bool(rc->out, false);
		xb_array_end(rc->out);
		return;
	}
	long long size = (long long)fsize;
	bool overflow = false;
	if (size > offset + length) {
		overflow = true;
		offset = size - 1;
	}
	if (offset + length > size) {
		if (offset > size - 1)
			length = 0;
		offset = size - length;
	}
	if (offset < 0)
		offset = 0;
	if (length < 0)
		length = 0;
	if (length > READ_MAX)
		length = READ_MAX;
	char *buf = malloc(length ? (size_t)length : 1);
	size_t got = buf ? io_pread_upto(fd, buf, (size_t)length, (off_t)offset) : 0;
	close(fd);
	xb_array_begin(rc->out);
	xb_string_n(rc->out, buf ? buf : "", got);
	xb_int(rc->out, size);
	xb_bool(rc->out, overflow);
	xb_array_end(rc->out);
	free(buf);
}

static void m_tail_stdout(struct rcall *rc, const struct xval *pa)
{
	tail_log(rc, pa, LOG_STDOUT);
}

static void m_tail_stderr(struct rcall *rc, const struct xval *pa)
{
	tail_log(rc, pa, LOG_STDERR);
}

/* Remove P's log files and their rotated copies; corrald reopens them. */
static int clear_logs(const struct process *p)
{
	int rc = 0;
	for (int which = LOG_STDOUT; which <= LOG_STDERR; which++) {
		char path[PATH_MAX], old[PATH_MAX + 16];
		const char *f = supervisor_log_path(p, which, path, sizeof path);
		if (!f)
			continue;
		if (unlink(f) < 0 && errno != ENOENT)
			rc = -errno;
		int backups = which == LOG_STDOUT ? p->prog->cfg->stdout_backups
						  : p->prog->cfg->stderr_backups;
		for (int i = 1; i <= backups; i++) {
			snprintf(old, sizeof old, "%s.%d", f, i);
			if (unlink(old) < 0 && errno != ENOENT)
				rc = -errno;
		}
	}
	return rc;
}

static void m_clear_logs(struct rcall *rc, const struct xval *pa)
{
	struct process *p;
	if (!args(rc, pa, "s") || shutting_down(rc) || !(p = named(rc, sarg(pa, 0))))
		return;
	if (clear_logs(p) < 0) {
		fault(rc, F_FAILED, sarg(pa, 0));
		return;
	}
	supervisor_reopen_logs();
	xb_bool(rc->out, true);
}

static void m_clear_all_logs(struct rcall *rc, const struct xval *pa)
{
	if (!args(rc, pa, "") || shutting_down(rc))
		return;
	xb_array_begin(rc->out);
	struct process **v;
	size_t n = processes(NULL, false, &v);
	for (size_t i = 0; i < n; i++) {
		bool ok = clear_logs(v[i]) == 0;
		result_struct(rc->out, supervisor_process_name(v[i]), program_group_name(v[i]->prog),
			      ok ? F_SUCCESS : F_FAILED, ok ? "OK" : "FAILED");
	}
	free(v);
	xb_array_end(rc->out);
	supervisor_reopen_logs();
}

/* corrald logs to its standard error (or the journal): no main log file.
 * Arguments supervisord's readFile refuses are BAD_ARGUMENTS still, as
 * with its log file there; the others find no file. */
static void m_read_main_log(struct rcall *rc, const struct xval *pa)
{
	if (!args(rc, pa, "ii") || shutting_down(rc))
		return;
	long long offset = rc->num[0], length = rc->num[1];
	if ((offset < 0 && length != 0) || (offset >= 0 && length < 0))
		fault(rc, F_BAD_ARGUMENTS, NULL);
	else
		fault(rc, F_NO_FILE, "corrald logs to its standard error");
}

static void m_clear_main_log(struct rcall *rc, const struct xval *pa)
{
	if (args(rc, pa, "") && !shutting_down(rc))
		fault(rc, F_NO_FILE, "corrald logs to its standard error");
}

/* ---- stdin and events ---- */

static void m_send_stdin(struct rcall *rc, const struct xval *pa)
{
	struct process *p;
	if (!args(rc, pa, "ss") || shutting_down(rc) || !(p = named(rc, sarg(pa, 0))))
		return;
	if (!p->pid || p->fsm.state == PSTATE_STOPPING) {
		fault(rc, F_NOT_RUNNING, sarg(pa, 0));
		return;
	}
	int r = supervisor_send_stdin(p, pa->items[1].s, pa->items[1].slen);
	if (r == -ENOTCONN) /* corral's own format: its stdin is /dev/null */
		fault(rc, F_NO_FILE, sarg(pa, 0));
	else if (r < 0)
		fault(rc, F_FAILED, "its stdin queue is full");
	else
		xb_bool(rc->out, true);
}

static void m_remote_comm(struct rcall *rc, const struct xval *pa)
{
	if (!args(rc, pa, "ss"))
		return;
	events_remote_comm(sarg(pa, 0), sarg(pa, 1));
	xb_bool(rc->out, true);
}

/* ---- corrald itself ---- */

static void m_shutdown(struct rcall *rc, const struct xval *pa)
{
	if (!args(rc, pa, "") || shutting_down(rc))
		return;
	log_info("rpc: shutdown asked over XML-RPC");
	supervisor_shutdown();
	xb_bool(rc->out, true);
}

static void m_restart(struct rcall *rc, const struct xval *pa)
{
	if (!args(rc, pa, "") || shutting_down(rc))
		return;
	log_info("rpc: restart asked over XML-RPC");
	supervisor_restart();
	xb_bool(rc->out, true);
}

static void names_array(struct xbuf *b, char **v)
{
	xb_array_begin(b);
	for (; v && *v; v++)
		xb_string(b, *v);
	xb_array_end(b);
}

static void strv_free(char **v)
{
	for (char **s = v; s && *s; s++)
		free(*s);
	free(v);
}

static void m_reload_config(struct rcall *rc, const struct xval *pa)
{
	if (!args(rc, pa, "") || shutting_down(rc))
		return;
	char **added = NULL, **changed = NULL, **removed = NULL;
	char err[1024];
	int r = supervisor_reread(&added, &changed, &removed, err, sizeof err);
	if (r < 0) {
		fault(rc, r == -EINVAL ? F_CANT_REREAD : F_FAILED, err);
		return;
	}
	xb_array_begin(rc->out);
	xb_array_begin(rc->out);
	names_array(rc->out, added);
	names_array(rc->out, changed);
	names_array(rc->out, removed);
	xb_array_end(rc->out);
	xb_array_end(rc->out);
	strv_free(added);
	strv_free(changed);
	strv_free(removed);
}

/* addProcessGroup / removeProcessGroup, with supervisord's faults. */
static void add_or_remove(struct rcall *rc, const struct xval *pa, bool add)
{
	if (!args(rc, pa, "s") || shutting_down(rc))
		return;
	const char *name = sarg(pa, 0);
	int r = add ? supervisor_group_add(name) : supervisor_group_remove(name);
	if (r == -EEXIST)
		fault(rc, F_ALREADY_ADDED, name);
	else if (r == -EBUSY)
		fault(rc, F_STILL_RUNNING, name);
	else if (r == -ENOENT)
		fault(rc, F_BAD_NAME, name);
	else if (r < 0)
		fault(rc, F_FAILED, strerror(-r));
	else
		xb_bool(rc->out, true);
}

static void m_add_group(struct rcall *rc, const struct xval *pa)
{
	add_or_remove(rc, pa, true);
}

static void m_remove_group(struct rcall *rc, const struct xval *pa)
{
	add_or_remove(rc, pa, false);
}

/* One process of the last config read, as getAllConfigInfo lists it. */
struct config_entry {
	const struct program_config *p;
	int index;              /* 0 .. numprocs - 1 */
	const char *group;
	int group_prio;
	char name[256];
};

/* supervisord sorts the list by process name alone; a name in several
 * groups keeps its groups' order (priority, then name). */
static int by_config_name(const void *a, const void *b)
{
	const struct config_entry *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	if (c)
		return c;
	if (x->group_prio != y->group_prio)
		return x->group_prio < y->group_prio ? -1 : 1;
	return strcmp(x->group, y->group);
}

/* A log file as supervisord's config holds it: "none" for NONE; for AUTO
 * (corral's NULL) the file of process LIVE, NULL: "auto". */
static const char *config_logfile(const char *f, const struct process *live, int which,
				  char *buf, size_t len)
{
	if (f)
		return strcmp(f, "NONE") == 0 ? "none" : f;
	f = live ? supervisor_log_path(live, which, buf, len) : NULL;
	return f ? f : "auto";
}

static void config_info(struct xbuf *b, const struct config_entry *e)
{
	const struct program_config *p = e->p;
	struct program_instance v;
	program_config_instance(p, e->index, &v);
	/* supervisord names an AUTO file in the config it added the group
	 * from: at start, or by addProcessGroup after a reloadConfig; the
	 * groups it did not add from the config last read say "auto" */
	const struct process *live = find_process(e->group, e->name);
	if (live && live->prog->cfg != p)
		live = NULL;
	char out[PATH_MAX], err[PATH_MAX];
	xb_struct_begin(b);
	xb_member_bool(b, "autostart", p->autostart);
	xb_member_string(b, "directory", v.directory ? v.directory : "none");
	xb_member(b, "uid");
	if (p->sandbox.users.has_user)
		xb_int(b, p->sandbox.users.uid);
	else
		xb_string(b, "none");
	xb_member_end(b);
	xb_member_string(b, "command", v.command);
	xb_member(b, "exitcodes");
	xb_array_begin(b);
	for (int code = 0; code < 256; code++)
		if (program_config_expected_exit(p, code))
			xb_int(b, code);
	xb_array_end(b);
	xb_member_end(b);
	xb_member_string(b, "group", e->group);
	xb_member_int(b, "group_prio", e->group_prio);
	xb_member_bool(b, "inuse", group_exists(e->group));
	xb_member_bool(b, "killasgroup", p->killasgroup);
	xb_member_string(b, "name", e->name);
	xb_member_int(b, "process_prio", p->process_priority);
	xb_member_bool(b, "redirect_stderr", p->redirect_stderr);
	xb_member_int(b, "startretries", p->startretries);
	xb_member_int(b, "startsecs", p->startsecs);
	xb_member_int(b, "stdout_capture_maxbytes", (long long)p->capture_maxbytes[0]);
	xb_member_bool(b, "stdout_events_enabled", p->events_enabled[0]);
	xb_member_string(b, "stdout_logfile",
			 config_logfile(v.stdout_logfile, live, LOG_STDOUT, out, sizeof out));
	xb_member_int(b, "stdout_logfile_backups", p->stdout_backups);
	xb_member_int(b, "stdout_logfile_maxbytes", (long long)p->stdout_maxbytes);
	xb_member_bool(b, "stdout_syslog", p->syslog[0]);
	xb_member_int(b, "stopsignal", p->stopsignal);
	xb_member_int(b, "stopwaitsecs", p->stopwaitsecs);
	xb_member_int(b, "stderr_capture_maxbytes", (long long)p->capture_maxbytes[1]);
	xb_member_bool(b, "stderr_events_enabled", p->events_enabled[1]);
	/* supervisord never opens a redirected stream's file */
	xb_member_string(b, "stderr_logfile",
			 p->redirect_stderr ? "none"
					    : config_logfile(v.stderr_logfile, live, LOG_STDERR, err,
							     sizeof err));
	xb_member_int(b, "stderr_logfile_backups", p->stderr_backups);
	xb_member_int(b, "stderr_logfile_maxbytes", (long long)p->stderr_maxbytes);
	xb_member_bool(b, "stderr_syslog", p->syslog[1]);
	/* supervisord's value for AUTO, the only serverurl corral knows: its own */
	xb_member_string(b, "serverurl", "none");
	xb_struct_end(b);
}

/* getAllConfigInfo: a struct per process of the last config read, with
 * supervisord's fields, values and order. */
static void m_all_config_info(struct rcall *rc, const struct xval *pa)
{
	if (!args(rc, pa, "") || shutting_down(rc))
		return;
	const struct corral_config *cfg = supervisor_pending_config();
	size_t n = 0, k = 0;
	for (size_t i = 0; i < cfg->nprograms; i++)
		n += (size_t)cfg->programs[i].numprocs;
	struct config_entry *v = n ? calloc(n, sizeof *v) : NULL;
	if (n && !v) {
		fault(rc, F_FAILED, "out of memory");
		return;
	}
	for (size_t i = 0; i < cfg->nprograms; i++) {
		const struct program_config *p = &cfg->programs[i];
		const char *group = p->group ? p->group : p->name;
		/* a [group:]'s priority is its own (999 unless set), not its
		 * members'; a program alone is its own group */
		int gprio = p->group ? 999 : p->priority;
		for (size_t g = 0; p->group && g < cfg->ngroups; g++)
			if (strcmp(cfg->groups[g].name, group) == 0 && cfg->groups[g].has_priority)
				gprio = cfg->groups[g].priority;
		for (int j = 0; j < p->numprocs; j++) {
			struct config_entry *e = &v[k];
			if (program_config_process_name(p, p->numprocs_start + j, e->name,
							sizeof e->name) < 0)
				continue;
			e->p = p;
			e->index = j;
			e->group = group;
			e->group_prio = gprio;
			k++;
		}
	}
	if (k)
		qsort(v, k, sizeof *v, by_config_name);
	xb_array_begin(rc->out);
	for (size_t i = 0; i < k; i++)
		config_info(rc->out, &v[i]);
	xb_array_end(rc->out);
	free(v);
}

/* ---- system.* ---- */

typedef void (*method_fn)(struct rcall *rc, const struct xval *params);

struct method {
	const char *name;
	method_fn fn;
	const char *sig;        /* "return,arg,..." as system.methodSignature gives it */
	const char *help;
};

static void m_list_methods(struct rcall *rc, const struct xval *pa);
static void m_method_help(struct rcall *rc, const struct xval *pa);
static void m_method_signature(struct rcall *rc, const struct xval *pa);
static void m_multicall(struct rcall *rc, const struct xval *pa);

static const struct method methods[] = {
	{ "supervisor.addProcessGroup", m_add_group, "boolean,string",
	  "Add the process group NAME from the config last read by reloadConfig." },
	{ "supervisor.clearAllProcessLogs", m_clear_all_logs, "array",
	  "Remove every process's log files; they are created anew." },
	{ "supervisor.clearLog", m_clear_main_log, "boolean",
	  "corrald has no main log file: always NO_FILE." },
	{ "supervisor.clearProcessLog", m_clear_logs, "boolean,string",
	  "Alias of clearProcessLogs." },
	{ "supervisor.clearProcessLogs", m_clear_logs, "boolean,string",
	  "Remove the log files of process NAME; they are created anew." },
	{ "supervisor.getAPIVersion", m_version, "string", "The API's version: 3.0." },
	{ "supervisor.getAllConfigInfo", m_all_config_info, "array",
	  "A struct per process of the config last read." },
	{ "supervisor.getAllProcessInfo", m_all_process_info, "array",
	  "getProcessInfo's struct for every process." },
	{ "supervisor.getIdentification", m_identification, "string",
	  "corrald -i, else [supervisord] identifier (default: supervisor)." },
	{ "supervisor.getPID", m_pid, "int", "corrald's process id." },
	{ "supervisor.getProcessInfo", m_process_info, "struct,string",
	  "The state of process NAME (or GROUP:NAME)." },
	{ "supervisor.getState", m_state, "struct", "corrald's state: statecode, statename." },
	{ "supervisor.getSupervisorVersion", m_supervisor_version, "string",
	  "The supervisord version corrald answers as, and its own." },
	{ "supervisor.getVersion", m_version, "string", "Alias of getAPIVersion." },
	{ "supervisor.readLog", m_read_main_log, "string,int,int",
	  "corrald has no main log file: NO_FILE (BAD_ARGUMENTS for what no file could "
	  "answer)." },
	{ "supervisor.readMainLog", m_read_main_log, "string,int,int", "Alias of readLog." },
	{ "supervisor.readProcessLog", m_read_stdout, "string,string,int,int",
	  "Alias of readProcessStdoutLog." },
	{ "supervisor.readProcessStderrLog", m_read_stderr, "string,string,int,int",
	  "LENGTH bytes of NAME's stderr log from OFFSET (OFFSET < 0: from the end)." },
	{ "supervisor.readProcessStdoutLog", m_read_stdout, "string,string,int,int",
	  "LENGTH bytes of NAME's stdout log from OFFSET (OFFSET < 0: from the end)." },
	{ "supervisor.reloadConfig", m_reload_config, "array",
	  "Read the config again: [[added, changed, removed]] process groups." },
	{ "supervisor.removeProcessGroup", m_remove_group, "boolean,string",
	  "Remove the stopped process group NAME." },
	{ "supervisor.restart", m_restart, "boolean",
	  "Stop every process, then start corrald anew on its config." },
	{ "supervisor.sendProcessStdin", m_send_stdin, "boolean,string,string",
	  "Write CHARS to the standard input of process NAME." },
	{ "supervisor.sendRemoteCommEvent", m_remote_comm, "boolean,string,string",
	  "Send REMOTE_COMMUNICATION with TYPE and DATA to the event listeners." },
	{ "supervisor.shutdown", m_shutdown, "boolean", "Stop every process, then corrald." },
	{ "supervisor.signalAllProcesses", m_signal_all, "array,string",
	  "Send SIGNAL to every process that runs." },
	{ "supervisor.signalProcess", m_signal, "boolean,string,string",
	  "Send SIGNAL (a name or number) to process NAME." },
	{ "supervisor.signalProcessGroup", m_signal_group, "array,string,string",
	  "Send SIGNAL to every process of group NAME that runs." },
	{ "supervisor.startAllProcesses", m_start_all, "array,boolean",
	  "Start every process that does not run." },
	{ "supervisor.startProcess", m_start, "boolean,string,boolean",
	  "Start process NAME (GROUP:* for a group); with WAIT, answer once it runs." },
	{ "supervisor.startProcessGroup", m_start_group, "array,string,boolean",
	  "Start every process of group NAME." },
	{ "supervisor.stopAllProcesses", m_stop_all, "array,boolean",
	  "Stop every process that runs." },
	{ "supervisor.stopProcess", m_stop, "boolean,string,boolean",
	  "Stop process NAME; with WAIT, answer once it is down." },
	{ "supervisor.stopProcessGroup", m_stop_group, "array,string,boolean",
	  "Stop every process of group NAME." },
	{ "supervisor.tailProcessLog", m_tail_stdout, "array,string,int,int",
	  "Alias of tailProcessStdoutLog." },
	{ "supervisor.tailProcessStderrLog", m_tail_stderr, "array,string,int,int",
	  "[bytes, offset, overflow] from NAME's stderr log." },
	{ "supervisor.tailProcessStdoutLog", m_tail_stdout, "array,string,int,int",
	  "[bytes, offset, overflow] from NAME's stdout log." },
	{ "system.listMethods", m_list_methods, "array", "The methods served." },
	{ "system.methodHelp", m_method_help, "string,string", "A method's help." },
	{ "system.methodSignature", m_method_signature, "array,string",
	  "A method's signature: [return type, argument types...]." },
	{ "system.multicall", m_multicall, "array,array",
	  "Run many calls, one after the other: an array of {methodName, params}; an array of "
	  "their answers, each a value or a fault struct." },
};

#define NMETHODS (sizeof methods / sizeof methods[0])

static const struct method *method_find(const char *name)
{
	for (size_t i = 0; i < NMETHODS; i++)
		if (strcmp(methods[i].name, name) == 0)
			return &methods[i];
	return NULL;
}

static void m_list_methods(struct rcall *rc, const struct xval *pa)
{
	if (!args(rc, pa, ""))
		return;
	xb_array_begin(rc->out);
	for (size_t i = 0; i < NMETHODS; i++)
		xb_string(rc->out, methods[i].name);
	xb_array_end(rc->out);
}

/* The method methodHelp and methodSignature are asked about: any one
 * argument, SIGNATURE_UNSUPPORTED unless it names a method. */
static const struct method *method_asked(struct rcall *rc, const struct xval *pa)
{
	const struct method *m = NULL;
	if (pa->n != 1) {
		fault(rc, F_INCORRECT_PARAMETERS, NULL);
		return NULL;
	}
	if (pa->items[0].type == XV_STRING)
		m = method_find(sarg(pa, 0));
	if (!m)
		fault(rc, F_SIGNATURE_UNSUPPORTED, NULL);
	return m;
}

static void m_method_help(struct rcall *rc, const struct xval *pa)
{
	const struct method *m = method_asked(rc, pa);
	if (m)
		xb_string(rc->out, m->help);
}

static void m_method_signature(struct rcall *rc, const struct xval *pa)
{
	const struct method *m = method_asked(rc, pa);
	if (!m)
		return;
	/* [return type, argument types...]: one signature, not a list of them */
	xb_array_begin(rc->out);
	for (const char *s = m->sig; *s;) {
		size_t n = strcspn(s, ",");
		xb_string_n(rc->out, s, n);
		s += n + (s[n] == ',');
	}
	xb_array_end(rc->out);
}

static void call_method(struct rcall *rc, const char *name, const struct xval *params)
{
	const struct method *m = method_find(name);
	if (!m) {
		fault(rc, F_UNKNOWN_METHOD, NULL);
		return;
	}
	m->fn(rc, params);
}

/* Run M's calls from the next one, each answer into M->results. A call
 * that waits (startProcess ...) stops the run: RC->wait then holds M,
 * which goes on once it has answered (multi_resume). Else the whole answer
 * goes into RC->out and M is freed. */
static void multi_run(struct rcall *rc, struct rmulti *m)
{
	const struct xval *calls = m->calls;
	while (m->next < calls->n) {
		const struct xval *call = &calls->items[m->next++];
		const struct xval *name = xval_member(call, "methodName");
		const struct xval *params = xval_member(call, "params");
		struct xval none = { .type = XV_ARRAY };
		struct xbuf one = { 0 };
		struct rcall sub = { .can_wait = rc->can_wait, .out = &one };
		if (!name || name->type != XV_STRING)
			fault(&sub, F_INCORRECT_PARAMETERS, "a call without methodName");
		else if (strcmp(name->s, "system.multicall") == 0)
			fault(&sub, F_INCORRECT_PARAMETERS, "system.multicall inside system.multicall");
		else if (params && params->type != XV_ARRAY)
			fault(&sub, F_INCORRECT_PARAMETERS, "params is not an array");
		else
			call_method(&sub, name->s, params ? params : &none);
		if (sub.wait) { /* its answer comes later: the rest waits for it */
			xb_free(&one);
			sub.wait->multi = m;
			rc->wait = sub.wait;
			return;
		}
		/* each answer bare and a fault as its struct, as supervisord
		 * answers: no value wrapped in an array of one */
		if (sub.fault)
			xb_fault_value(&m->results, sub.fault, sub.msg);
		else
			xb_raw(&m->results, one.p ? one.p : "", one.len);
		if (one.oom)
			m->results.oom = true;
		xb_free(&one);
	}
	xb_array_begin(rc->out);
	xb_raw(rc->out, m->results.p ? m->results.p : "", m->results.len);
	xb_array_end(rc->out);
	if (m->results.oom)
		rc->out->oom = true;
	multi_free(m);
}

static void m_multicall(struct rcall *rc, const struct xval *pa)
{
	if (pa->n != 1 || pa->items[0].type != XV_ARRAY) {
		fault(rc, F_INCORRECT_PARAMETERS, NULL);
		return;
	}
	struct rmulti *m = calloc(1, sizeof *m);
	if (!m) {
		fault(rc, F_FAILED, "out of memory");
		return;
	}
	m->calls = &pa->items[0]; /* handle_rpc hands M the request if a call waits */
	multi_run(rc, m);
}

/* ---- answering ---- */

static void answer_value(struct http_conn *c, struct xbuf *value)
{
	struct xbuf b = { 0 };
	xb_response_begin(&b);
	xb_raw(&b, value->p ? value->p : "", value->len);
	xb_response_end(&b);
	if (b.oom || value->oom) {
		xb_free(&b);
		xb_fault(&b, F_FAILED, "FAILED: out of memory");
	}
	http_respond(c, 200, "text/xml", b.p ? b.p : "", b.len);
	xb_free(&b);
}

static void answer_fault(struct http_conn *c, int code, const char *msg)
{
	struct xbuf b = { 0 };
	xb_fault(&b, code, msg);
	http_respond(c, 200, "text/xml", b.p ? b.p : "", b.len);
	xb_free(&b);
}

static void pending_free(struct rpending *pd)
{
	for (struct rpending **pp = &R.pending; *pp; pp = &(*pp)->next)
		if (*pp == pd) {
			*pp = pd->next;
			break;
		}
	loop_timer_cancel(&pd->timer);
	wait_free(pd->wait);
	multi_free(pd->resume);
	free(pd);
}

/* Its connection closed before the answer: the answer is dropped. */
static void pending_gone(void *ctx)
{
	pending_free(ctx);
}

/* A deferred call whose processes all got where they were going: its
 * answer goes out (PD is freed then), or into its multicall, which goes on
 * at once (from its deadline, never from inside another process's state
 * change). */
static void wait_check(struct rpending *pd)
{
	struct rwait *w = pd->wait;
	for (size_t i = 0; i < w->n; i++) {
		struct went *e = &w->v[i];
		if (e->status)
			continue;
		e->status = wait_status(w->kind, e->p);
		if (e->status && e->status != F_SUCCESS) {
			char d[600];
			snprintf(d, sizeof d, "%s: %s:%s", fault_name(e->status), e->group, e->name);
			if (strcmp(e->group, e->name) == 0)
				snprintf(d, sizeof d, "%s: %s", fault_name(e->status), e->name);
			e->desc = strdup(d);
		}
	}
	for (size_t i = 0; i < w->n; i++)
		if (!w->v[i].status)
			return;
	pd->wait = NULL;
	struct xbuf b = { 0 };
	int code = 0;
	const char *msg = NULL;
	if (!w->list) {
		if (w->v[0].status == F_SUCCESS) {
			xb_bool(&b, true);
		} else {
			code = w->v[0].status;
			msg = w->v[0].desc ? w->v[0].desc : "FAILED";
		}
	} else {
		xb_array_begin(&b);
		/* what was known when the call was made, then the waits' results */
		xb_raw(&b, w->known.p ? w->known.p : "", w->known.len);
		if (w->known.oom)
			b.oom = true;
		for (size_t i = 0; i < w->n; i++) {
			struct went *e = &w->v[i];
			result_struct(&b, e->name, e->group, e->status,
				      e->status == F_SUCCESS ? "OK" : e->desc ? e->desc : "FAILED");
		}
		xb_array_end(&b);
	}
	struct rmulti *m = w->multi;
	if (!m) {
		if (code)
			answer_fault(pd->conn, code, msg);
		else
			answer_value(pd->conn, &b);
		pending_free(pd);
	} else {
		if (code)
			xb_fault_value(&m->results, code, msg);
		else
			xb_raw(&m->results, b.p ? b.p : "", b.len);
		if (b.oom)
			m->results.oom = true;
		w->multi = NULL;
		pd->resume = m; /* now owned by the pending call */
		if (loop_timer_set(&pd->timer, loop_now_ms()) < 0) {
			http_respond_error(pd->conn, 500);
			pending_free(pd);
		}
	}
	xb_free(&b);
	wait_free(w);
}

/* The multicall whose waiting call has answered: its next calls. */
static void pending_due(struct deadline *d)
{
	struct rpending *pd = d->ctx;
	struct rmulti *m = pd->resume;
	pd->resume = NULL;
	struct xbuf value = { 0 };
	struct rcall rc = { .can_wait = true, .out = &value };
	multi_run(&rc, m);
	if (rc.wait) {
		pd->wait = rc.wait;
		wait_check(pd);
	} else {
		answer_value(pd->conn, &value);
		pending_free(pd);
	}
	xb_free(&value);
}

/* POST /RPC2: a methodCall, answered now or once its processes got where
 * they were going. */
static void rpc_serve(struct http_conn *c, const struct http_request *rq, void *ctx)
{
	struct xcall call;
	char err[256];
	int r = xmlrpc_parse_call(rq->body, rq->bodylen, &call, err, sizeof err);
	if (r == 0 && !*call.method) {
		snprintf(err, sizeof err, "an empty <methodName>");
		xcall_free(&call);
		r = -EINVAL;
	}
	if (r < 0) { /* not a call: an HTTP error, as supervisord answers */
		log_debug("rpc: bad call: %s", err);
		http_respond_error(c, r == -ENOMEM ? 500 : 400);
		return;
	}
	struct xbuf value = { 0 };
	struct rcall rc = { .can_wait = true, .out = &value };
	log_debug("rpc: %s", call.method);
	call_method(&rc, call.method, &call.params);
	if (rc.wait && rc.wait->multi)
		rc.wait->multi->call = call; /* its calls go on later: now the multicall's */
	else
		xcall_free(&call);
	if (rc.wait) { /* answered when the processes get there */
		struct rpending *pd = calloc(1, sizeof *pd);
		if (!pd) {
			wait_free(rc.wait);
			answer_fault(c, F_FAILED, "FAILED: out of memory");
		} else {
			pd->conn = c;
			pd->wait = rc.wait;
			loop_timer_init(&pd->timer, pending_due, pd);
			pd->next = R.pending;
			R.pending = pd;
			http_defer(c, pending_gone, pd);
			wait_check(pd);
		}
	} else if (rc.fault) {
		answer_fault(c, rc.fault, rc.msg);
	} else {
		answer_value(c, &value);
	}
	xb_free(&value);
}

static void tail_free(struct rtail *t)
{
	for (struct rtail **pp = &R.tails; *pp; pp = &(*pp)->next)
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	(t->which == LOG_STDOUT ? &t->p->out : &t->p->err)->followers--;
	free(t);
}

/* Its reader went. */
static void tail_gone(void *ctx)
{
	tail_free(ctx);
}

/* GET /logtail/NAME[/stdout|/stderr]: the last 1 KiB, then what comes. */
static void logtail_serve(struct http_conn *c, const struct http_request *rq, void *ctx)
{
	char spec[512], gbuf[256];
	snprintf(spec, sizeof spec, "%s", rq->rest);
	char *slash = strchr(spec, '/');
	const char *channel = "stdout";
	if (slash) {
		*slash = '\0';
		channel = slash + 1;
	}
	const char *group, *name;
	split_namespec(spec, gbuf, sizeof gbuf, &group, &name);
	struct process *p = name ? find_process(group, name) : NULL;
	int which = strcmp(channel, "stderr") == 0 ? LOG_STDERR : LOG_STDOUT;
	char lpath[PATH_MAX];
	const char *f = p ? supervisor_log_path(p, which, lpath, sizeof lpath) : NULL;
	char why[PATH_MAX + 160];
	uint64_t fsize;
	int fd = f && (!strcmp(channel, "stdout") || !strcmp(channel, "stderr"))
			 ? logfile_open_read(f, &fsize, why, sizeof why) : -1;
	if (fd < 0) { /* no log, or none written yet: supervisord's 404 */
		http_respond_error(c, 404);
		return;
	}
	char buf[1024];
	off_t from = (off_t)fsize > (off_t)sizeof buf ? (off_t)fsize - (off_t)sizeof buf : 0;
	size_t got = io_pread_upto(fd, buf, sizeof buf, from);
	close(fd);
	struct rtail *t = calloc(1, sizeof *t);
	if (!t) {
		http_respond_error(c, 500);
		return;
	}
	if (http_stream_begin(c, "text/plain;charset=utf-8", tail_gone, t) < 0) {
		free(t);
		return;
	}
	t->conn = c;
	t->p = p;
	t->which = which;
	(which == LOG_STDOUT ? &p->out : &p->err)->followers++;
	t->next = R.tails;
	R.tails = t;
	struct iovec iov = { .iov_base = buf, .iov_len = got };
	(void)http_stream_write(c, &iov, 1); /* on -1, T is gone with C */
}

/* Output of P's stream WHICH went to its log: /logtail readers get it. */
static void rpc_log_data(struct process *p, int which, const struct iovec *iov, int n)
{
	for (struct rtail *t = R.tails, *next; t; t = next) {
		next = t->next;
		if (t->p == p && t->which == which)
			(void)http_stream_write(t->conn, iov, n); /* on -1, T is gone */
	}
}

/* P changed state, or is about to be freed (GONE). */
static void rpc_process_changed(struct process *p, bool gone)
{
	for (struct rtail *t = R.tails, *next; gone && t; t = next) {
		next = t->next;
		if (t->p == p) {
			struct http_conn *c = t->conn;
			tail_free(t);
			http_stream_end(c);
		}
	}
	for (struct rpending *pd = R.pending, *next; pd; pd = next) {
		next = pd->next;
		if (!pd->wait)
			continue; /* its multicall goes on at its deadline */
		if (gone)
			for (size_t i = 0; i < pd->wait->n; i++)
				if (pd->wait->v[i].p == p)
					pd->wait->v[i].p = NULL;
		wait_check(pd);
	}
}

/* SUPERVISOR_SERVER_URL, where programs find this server ("unix:///path"
 * or "http://host:port"); none when no server is configured. */
static bool rpc_spawn_env(const struct process *p, char *buf, size_t len)
{
	const char *url = http_server_url();
	if (!url)
		return false;
	snprintf(buf, len, "SUPERVISOR_SERVER_URL=%s", url);
	return true;
}

/* supervisord's: the methods on /RPC2 (and /RPC2?query, /RPC2/, as
 * supervisord's medusa took them); its log tails, GET only. */
static const struct http_route routes[] = {
	{ .path = "/RPC2", .flags = HTTP_ROUTE_QUERY, .methods = HTTPREQ_POST,
	  .name = "supervisord's XML-RPC interface", .fn = rpc_serve },
	{ .path = "/RPC2/", .methods = HTTPREQ_POST, .fn = rpc_serve },
	{ .path = "/logtail/", .flags = HTTP_ROUTE_PREFIX, .methods = HTTPREQ_GET,
	  .wrong_method = 400, .fn = logtail_serve },
};

static const struct hooks rpc_hooks = {
	.on_spawn_env = rpc_spawn_env,
	.on_process_changed = rpc_process_changed,
	.on_log_data = rpc_log_data,
};

int rpc_init(void)
{
	for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
		int r = http_route_add(&routes[i]);
		if (r < 0)
			return r;
	}
	return hooks_subscribe(&rpc_hooks);
}
