/* rpc — supervisord's XML-RPC interface (see rpc.h).
 *
 * Two routes of the HTTP server (http.h): POST /RPC2 carries a methodCall;
 * GET /logtail/NAME[/CHANNEL] streams a log as supervisord does (its last
 * 1 KiB, then what is written, chunked). The methods are supervisord 4.2's,
 * with its names for processes ("group:name"), its fields, its fault codes
 * and its rules for what may be started, stopped or signalled; start and
 * stop with wait = true answer once the processes got there, like
 * corralctl's: the answer is deferred on its connection until the core
 * publishes (hooks.h) that they did.
 *
 * Here: the methods on processes and on corrald itself, the table of all
 * methods with system.*, the answers that wait, and the two routes. The
 * methods on logs are rpclog.c's, those on the config rpcconfig.c's; a
 * call as they all see it is rcall.h's, processes as supervisord names
 * and describes them sdview.h's. Values are read and written by
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
#include <unistd.h>

#include "ipc/io.h"
#include "supervisor/events.h"
#include "supervisor/hooks.h"
#include "supervisor/http.h"
#include "supervisor/log.h"
#include "supervisor/logfile.h"
#include "supervisor/logstream.h"
#include "supervisor/loop.h"
#include "supervisor/rcall.h"
#include "supervisor/rpcconfig.h"
#include "supervisor/rpclog.h"
#include "supervisor/sdview.h"
#include "supervisor/signame.h"
#include "supervisor/spawn.h"
#include "supervisor/state.h"
#include "supervisor/supervisor.h"
#include "supervisor/xmlrpc.h"

/* ---- answers that wait ---- */

struct went {               /* one process a deferred call waits for */
	struct process *p;      /* NULL once it is gone */
	char *name, *group;     /* owned */
	int status;             /* 0 while waiting, then a fault code or RCALL_SUCCESS */
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

/* ---- corrald's state, and its processes ---- */

static void m_version(struct rcall *rc, const struct xval *pa)
{
	if (rcall_args(rc, pa, "") && !rcall_shutting_down(rc))
		xb_string(rc->out, "3.0"); /* the API's version, as supervisord 4.2 says */
}

static void m_supervisor_version(struct rcall *rc, const struct xval *pa)
{
	if (rcall_args(rc, pa, "") && !rcall_shutting_down(rc))
		xb_string(rc->out, "4.2.5 (corrald " CORRAL_VERSION ")");
}

static void m_identification(struct rcall *rc, const struct xval *pa)
{
	if (rcall_args(rc, pa, "") && !rcall_shutting_down(rc))
		xb_string(rc->out, supervisor_identifier());
}

static void m_state(struct rcall *rc, const struct xval *pa)
{
	if (!rcall_args(rc, pa, "") || rcall_shutting_down(rc))
		return;
	xb_struct_begin(rc->out);
	xb_member_int(rc->out, "statecode", 1);
	xb_member_string(rc->out, "statename", "RUNNING");
	xb_struct_end(rc->out);
}

static void m_pid(struct rcall *rc, const struct xval *pa)
{
	if (rcall_args(rc, pa, "") && !rcall_shutting_down(rc))
		xb_int(rc->out, getpid());
}

/* getProcessInfo's struct of P. */
static void process_info(struct xbuf *b, const struct process *p)
{
	struct sdview_info v;
	sdview_info(p, &v);
	xb_struct_begin(b);
	xb_member_string(b, "name", v.name);
	xb_member_string(b, "group", v.group);
	xb_member_int(b, "start", v.start);
	xb_member_int(b, "stop", v.stop);
	xb_member_int(b, "now", v.now);
	xb_member_int(b, "state", v.state);
	xb_member_string(b, "statename", v.statename);
	xb_member_string(b, "spawnerr", v.spawnerr);
	xb_member_int(b, "exitstatus", v.exitstatus);
	xb_member_string(b, "logfile", v.stdout_logfile);
	xb_member_string(b, "stdout_logfile", v.stdout_logfile);
	xb_member_string(b, "stderr_logfile", v.stderr_logfile);
	xb_member_int(b, "pid", v.pid);
	xb_member_string(b, "description", v.description);
	xb_struct_end(b);
}

static void m_process_info(struct rcall *rc, const struct xval *pa)
{
	struct process *p;
	if (rcall_args(rc, pa, "s") && !rcall_shutting_down(rc) &&
	    (p = rcall_named(rc, rcall_sarg(pa, 0))))
		process_info(rc->out, p);
}

static void m_all_process_info(struct rcall *rc, const struct xval *pa)
{
	if (!rcall_args(rc, pa, "") || rcall_shutting_down(rc))
		return;
	xb_array_begin(rc->out);
	struct process **v;
	size_t n = sdview_processes(NULL, true, &v);
	for (size_t i = 0; i < n; i++)
		process_info(rc->out, v[i]);
	free(v);
	xb_array_end(rc->out);
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
		return RCALL_FAILED;
	enum pstate s = p->fsm.state;
	if (kind == WAIT_STOP)
		return sdview_stopped(s) ? RCALL_SUCCESS : 0;
	/* supervisord counts an exit before startsecs as a spawn error too
	 * ("Exited too quickly") */
	if (p->spawnerr || s == PSTATE_BACKOFF || s == PSTATE_FATAL)
		return RCALL_SPAWN_ERROR;
	if (s == PSTATE_RUNNING)
		return RCALL_SUCCESS;
	if (s == PSTATE_STARTING || (s == PSTATE_STOPPED && p->dep_waiting))
		return 0;
	return RCALL_ABNORMAL_TERMINATION;
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
		rcall_fault(rc, r == -ENOENT ? RCALL_NO_FILE : RCALL_NOT_EXECUTABLE, why);
	return r == 0;
}


/* startProcess / stopProcess on one process: 0 done, 1 waiting (an entry
 * added to rc->wait), -1 a fault in rc. */
static int start_one(struct rcall *rc, struct process *p, bool wait, bool list)
{
	char spec[512];
	snprintf(spec, sizeof spec, "%s", p->name);
	if (!executable(rc, p))
		return -1;
	if (sdview_running(p->fsm.state)) {
		rcall_fault(rc, RCALL_ALREADY_STARTED, spec);
		return -1;
	}
	if (p->fsm.state == PSTATE_STOPPING || p->fsm.state == PSTATE_UNKNOWN) {
		rcall_fault(rc, RCALL_FAILED, "it is still stopping");
		return -1;
	}
	if (state_disabled(p->prog->cfg->name)) {
		char why[1024];
		snprintf(why, sizeof why, "%.500s: disabled (corralctl enable %.400s)", spec,
			 p->prog->cfg->name);
		rcall_fault(rc, RCALL_FAILED, why);
		return -1;
	}
	supervisor_start(p);
	int st = wait_status(WAIT_START, p);
	if (st == RCALL_SPAWN_ERROR || (!wait && p->spawnerr)) {
		rcall_fault(rc, RCALL_SPAWN_ERROR, spec);
		return -1;
	}
	if (!wait || st == RCALL_SUCCESS)
		return 0;
	if (!rc->can_wait)
		return 0;
	if (!wait_add(rc, WAIT_START, list, p)) {
		rcall_fault(rc, RCALL_FAILED, "out of memory");
		return -1;
	}
	return 1;
}

static int stop_one(struct rcall *rc, struct process *p, bool wait, bool list)
{
	if (!sdview_running(p->fsm.state)) {
		rcall_fault(rc, RCALL_NOT_RUNNING, p->name);
		return -1;
	}
	supervisor_stop(p);
	if (!wait || sdview_stopped(p->fsm.state) || !rc->can_wait)
		return 0;
	if (!wait_add(rc, WAIT_STOP, list, p)) {
		rcall_fault(rc, RCALL_FAILED, "out of memory");
		return -1;
	}
	return 1;
}

/* startProcessGroup, startAllProcesses, stop...: each process the
 * predicate picks, in order; GROUP NULL: every process. */
static void group_op(struct rcall *rc, const char *group, bool start, bool wait)
{
	if (group && !sdview_group_exists(group)) {
		rcall_fault(rc, RCALL_BAD_NAME, group);
		return;
	}
	struct xbuf res = { 0 };
	struct process **v;
	size_t n = sdview_processes(group, false, &v);
	for (size_t i = 0; i < n; i++) {
		struct process *p = v[i];
		if (sdview_running(p->fsm.state) == start)
			continue; /* isNotRunning / isRunning */
		struct rcall one = { .can_wait = rc->can_wait, .wait = rc->wait, .conn = rc->conn };
		int r = start ? start_one(&one, p, wait, true) : stop_one(&one, p, wait, true);
		rc->wait = one.wait;
		if (r < 0)
			rcall_result(&res, supervisor_process_name(p), program_group_name(p->prog),
				     one.fault, one.msg);
		else if (r == 0)
			rcall_result(&res, supervisor_process_name(p), program_group_name(p->prog),
				     RCALL_SUCCESS, "OK");
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
	if (!rcall_args(rc, pa, "s|b") || rcall_shutting_down(rc))
		return;
	char gbuf[256];
	const char *group, *name;
	sdview_split_namespec(rcall_sarg(pa, 0), gbuf, sizeof gbuf, &group, &name);
	bool wait = rcall_barg(rc, pa, 1, true);
	if (!name) {
		if (!sdview_group_exists(group))
			rcall_fault(rc, RCALL_BAD_NAME, rcall_sarg(pa, 0)); /* "GROUP:*" as given */
		else
			group_op(rc, group, start, wait);
		return;
	}
	struct process *p = rcall_named(rc, rcall_sarg(pa, 0));
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
	if (rcall_args(rc, pa, "s|b") && !rcall_shutting_down(rc))
		group_op(rc, rcall_sarg(pa, 0), true, rcall_barg(rc, pa, 1, true));
}

static void m_stop_group(struct rcall *rc, const struct xval *pa)
{
	if (!rcall_args(rc, pa, "s|b") || rcall_shutting_down(rc))
		return;
	if (rpcconfig_update_skips_stop(rc, rcall_sarg(pa, 0))) {
		xb_array_begin(rc->out); /* nothing stopped: it rolls (rpcconfig.h) */
		xb_array_end(rc->out);
		return;
	}
	group_op(rc, rcall_sarg(pa, 0), false, rcall_barg(rc, pa, 1, true));
}

static void m_start_all(struct rcall *rc, const struct xval *pa)
{
	if (rcall_args(rc, pa, "|b") && !rcall_shutting_down(rc))
		group_op(rc, NULL, true, rcall_barg(rc, pa, 0, true));
}

static void m_stop_all(struct rcall *rc, const struct xval *pa)
{
	if (rcall_args(rc, pa, "|b") && !rcall_shutting_down(rc))
		group_op(rc, NULL, false, rcall_barg(rc, pa, 0, true));
}

/* A signal given as "HUP", "sighup", " 1 " or 1; 0 (no signal: the
 * process is only checked for) as supervisord takes it too. -1: none. */
static int signal_arg(const struct xval *v)
{
	long long n;
	if (rcall_py_int(v, &n))
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
		rcall_fault(rc, RCALL_BAD_SIGNAL, v->type == XV_STRING ? v->s : num);
		return -1;
	}
	if (!sdview_signallable(p->fsm.state)) {
		rcall_fault(rc, RCALL_NOT_RUNNING, p->name);
		return -1;
	}
	int r = supervisor_signal(p, sig);
	if (r < 0) {
		rcall_fault(rc, RCALL_FAILED, strerror(-r));
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
	size_t n = sdview_processes(group, false, &pv);
	for (size_t i = 0; i < n; i++) {
		struct process *p = pv[i];
		if (!sdview_signallable(p->fsm.state))
			continue;
		struct rcall one = { 0 };
		bool ok = signal_one(&one, p, v) == 0;
		rcall_result(rc->out, supervisor_process_name(p), program_group_name(p->prog),
			     ok ? RCALL_SUCCESS : one.fault, ok ? "OK" : one.msg);
	}
	free(pv);
	xb_array_end(rc->out);
}

static void m_signal(struct rcall *rc, const struct xval *pa)
{
	if (!rcall_args(rc, pa, "sx") || rcall_shutting_down(rc))
		return;
	char gbuf[256];
	const char *group, *name;
	sdview_split_namespec(rcall_sarg(pa, 0), gbuf, sizeof gbuf, &group, &name);
	if (!name) {
		if (!sdview_group_exists(group))
			rcall_fault(rc, RCALL_BAD_NAME, rcall_sarg(pa, 0)); /* "GROUP:*" as given */
		else
			signal_group(rc, group, &pa->items[1]);
		return;
	}
	struct process *p = rcall_named(rc, rcall_sarg(pa, 0));
	if (p && signal_one(rc, p, &pa->items[1]) == 0)
		xb_bool(rc->out, true);
}

static void m_signal_group(struct rcall *rc, const struct xval *pa)
{
	if (!rcall_args(rc, pa, "sx") || rcall_shutting_down(rc))
		return;
	if (!sdview_group_exists(rcall_sarg(pa, 0)))
		rcall_fault(rc, RCALL_BAD_NAME, rcall_sarg(pa, 0));
	else
		signal_group(rc, rcall_sarg(pa, 0), &pa->items[1]);
}

static void m_signal_all(struct rcall *rc, const struct xval *pa)
{
	if (rcall_args(rc, pa, "x") && !rcall_shutting_down(rc))
		signal_group(rc, NULL, &pa->items[0]);
}


/* ---- stdin and events ---- */

static void m_send_stdin(struct rcall *rc, const struct xval *pa)
{
	struct process *p;
	if (!rcall_args(rc, pa, "ss") || rcall_shutting_down(rc) ||
	    !(p = rcall_named(rc, rcall_sarg(pa, 0))))
		return;
	if (!p->pid || p->fsm.state == PSTATE_STOPPING) {
		rcall_fault(rc, RCALL_NOT_RUNNING, rcall_sarg(pa, 0));
		return;
	}
	int r = supervisor_send_stdin(p, pa->items[1].s, pa->items[1].slen);
	if (r == -ENOTCONN) /* corral's own format: its stdin is /dev/null */
		rcall_fault(rc, RCALL_NO_FILE, rcall_sarg(pa, 0));
	else if (r < 0)
		rcall_fault(rc, RCALL_FAILED, "its stdin queue is full");
	else
		xb_bool(rc->out, true);
}

static void m_remote_comm(struct rcall *rc, const struct xval *pa)
{
	if (!rcall_args(rc, pa, "ss"))
		return;
	events_remote_comm(rcall_sarg(pa, 0), rcall_sarg(pa, 1));
	xb_bool(rc->out, true);
}

/* ---- corrald itself ---- */

static void m_shutdown(struct rcall *rc, const struct xval *pa)
{
	if (!rcall_args(rc, pa, "") || rcall_shutting_down(rc))
		return;
	log_info("rpc: shutdown asked over XML-RPC");
	supervisor_shutdown();
	xb_bool(rc->out, true);
}

static void m_restart(struct rcall *rc, const struct xval *pa)
{
	if (!rcall_args(rc, pa, "") || rcall_shutting_down(rc))
		return;
	log_info("rpc: restart asked over XML-RPC");
	supervisor_restart();
	xb_bool(rc->out, true);
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
	{ "supervisor.addProcessGroup", rpcconfig_add_group, "boolean,string",
	  "Add the process group NAME from the config last read by reloadConfig." },
	{ "supervisor.clearAllProcessLogs", rpclog_clear_all, "array",
	  "Remove every process's log files; they are created anew." },
	{ "supervisor.clearLog", rpclog_clear_main, "boolean",
	  "corrald has no main log file: always NO_FILE." },
	{ "supervisor.clearProcessLog", rpclog_clear, "boolean,string",
	  "Alias of clearProcessLogs." },
	{ "supervisor.clearProcessLogs", rpclog_clear, "boolean,string",
	  "Remove the log files of process NAME; they are created anew." },
	{ "supervisor.getAPIVersion", m_version, "string", "The API's version: 3.0." },
	{ "supervisor.getAllConfigInfo", rpcconfig_all_info, "array",
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
	{ "supervisor.readLog", rpclog_read_main, "string,int,int",
	  "corrald has no main log file: NO_FILE (BAD_ARGUMENTS for what no file could "
	  "answer)." },
	{ "supervisor.readMainLog", rpclog_read_main, "string,int,int", "Alias of readLog." },
	{ "supervisor.readProcessLog", rpclog_read_stdout, "string,string,int,int",
	  "Alias of readProcessStdoutLog." },
	{ "supervisor.readProcessStderrLog", rpclog_read_stderr, "string,string,int,int",
	  "LENGTH bytes of NAME's stderr log from OFFSET (OFFSET < 0: from the end)." },
	{ "supervisor.readProcessStdoutLog", rpclog_read_stdout, "string,string,int,int",
	  "LENGTH bytes of NAME's stdout log from OFFSET (OFFSET < 0: from the end)." },
	{ "supervisor.reloadConfig", rpcconfig_reload, "array",
	  "Read the config again: [[added, changed, removed]] process groups." },
	{ "supervisor.removeProcessGroup", rpcconfig_remove_group, "boolean,string",
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
	{ "supervisor.tailProcessLog", rpclog_tail_stdout, "array,string,int,int",
	  "Alias of tailProcessStdoutLog." },
	{ "supervisor.tailProcessStderrLog", rpclog_tail_stderr, "array,string,int,int",
	  "[bytes, offset, overflow] from NAME's stderr log." },
	{ "supervisor.tailProcessStdoutLog", rpclog_tail_stdout, "array,string,int,int",
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
	if (!rcall_args(rc, pa, ""))
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
		rcall_fault(rc, RCALL_INCORRECT_PARAMETERS, NULL);
		return NULL;
	}
	if (pa->items[0].type == XV_STRING)
		m = method_find(rcall_sarg(pa, 0));
	if (!m)
		rcall_fault(rc, RCALL_SIGNATURE_UNSUPPORTED, NULL);
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
		rcall_fault(rc, RCALL_UNKNOWN_METHOD, NULL);
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
		struct rcall sub = { .can_wait = rc->can_wait, .out = &one, .conn = rc->conn };
		if (!name || name->type != XV_STRING)
			rcall_fault(&sub, RCALL_INCORRECT_PARAMETERS, "a call without methodName");
		else if (strcmp(name->s, "system.multicall") == 0)
			rcall_fault(&sub, RCALL_INCORRECT_PARAMETERS,
				    "system.multicall inside system.multicall");
		else if (params && params->type != XV_ARRAY)
			rcall_fault(&sub, RCALL_INCORRECT_PARAMETERS, "params is not an array");
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
		rcall_fault(rc, RCALL_INCORRECT_PARAMETERS, NULL);
		return;
	}
	struct rmulti *m = calloc(1, sizeof *m);
	if (!m) {
		rcall_fault(rc, RCALL_FAILED, "out of memory");
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
		xb_fault(&b, RCALL_FAILED, "FAILED: out of memory");
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
		if (e->status && e->status != RCALL_SUCCESS) {
			char d[600];
			const char *what = rcall_fault_name(e->status);
			snprintf(d, sizeof d, "%s: %s:%s", what, e->group, e->name);
			if (strcmp(e->group, e->name) == 0)
				snprintf(d, sizeof d, "%s: %s", what, e->name);
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
		if (w->v[0].status == RCALL_SUCCESS) {
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
			const char *desc = e->desc ? e->desc : "FAILED";
			rcall_result(&b, e->name, e->group, e->status,
				     e->status == RCALL_SUCCESS ? "OK" : desc);
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
	struct rcall rc = { .can_wait = true, .out = &value, .conn = http_conn_serial(c) };
	log_trace("XML-RPC method called: %s()", call.method); /* supervisord's line, at its level */
	call_method(&rc, call.method, &call.params);
	if (rc.wait && rc.wait->multi)
		rc.wait->multi->call = call; /* its calls go on later: now the multicall's */
	else
		xcall_free(&call);
	if (rc.wait) { /* answered when the processes get there */
		struct rpending *pd = calloc(1, sizeof *pd);
		if (!pd) {
			wait_free(rc.wait);
			answer_fault(c, RCALL_FAILED, "FAILED: out of memory");
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
	char spec[512];
	snprintf(spec, sizeof spec, "%s", rq->rest);
	char *slash = strchr(spec, '/');
	const char *channel = "stdout";
	if (slash) {
		*slash = '\0';
		channel = slash + 1;
	}
	struct process *p = sdview_named(spec);
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
	int r = rpclog_init();
	return r < 0 ? r : hooks_subscribe(&rpc_hooks);
}
