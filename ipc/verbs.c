/* verbs — the table of the control protocol's verbs (verbs.h). */
#include "ipc/verbs.h"

#include <string.h>

#define NAMES "at least one process name"

/* corralctl(1) lists the same verbs: keep them together. Each row:
 * name, id, flags, min_args, max_args, needs, usage, help. */
const struct verb verbs_table[VERB_COUNT] = {
	[VERB_STATUS] = { "status", VERB_STATUS, VERB_AGAIN, 0, -1, NULL, NULL,
			  { { "status [SEL ...]", "show processes, all of them without SEL" } } },
	[VERB_START] = { "start", VERB_START, VERB_AGAIN, 1, -1, NAMES, "name required",
			 { { "start SEL ...", "start, wait until running or failed" } } },
	[VERB_STOP] = { "stop", VERB_STOP, VERB_AGAIN, 1, -1, NAMES, "name required",
			{ { "stop SEL ...", "stop, wait until stopped" } } },
	[VERB_RESTART] = { "restart", VERB_RESTART, VERB_OWN_OPTIONS, 1, -1, NAMES,
			   "usage: restart [--rolling [--batch N]] NAME...",
			   { { "restart SEL ...", "stop, then start" },
			     { "restart --rolling [--batch N] SEL ...",
			       "restart N at a time (default 1), each ready\n"
			       "before the next are stopped; 1 if one fails" } } },
	[VERB_SIGNAL] = { "signal", VERB_SIGNAL, 0, 2, -1,
			  "a signal name and at least one process name",
			  "usage: signal SIG NAME...",
			  { { "signal SIG SEL ...", "send signal SIG (HUP, TERM, USR1, ...)" } } },
	[VERB_PID] = { "pid", VERB_PID, VERB_AGAIN, 0, -1, NULL, NULL,
		       { { "pid [SEL ...]", "the pid of corrald, or of each process" } } },
	[VERB_RELOAD] = { "reload", VERB_RELOAD, 0, 0, -1, NULL, NULL,
			  { { "reload", "reread the configuration and apply it" } } },
	[VERB_SHUTDOWN] = { "shutdown", VERB_SHUTDOWN, 0, 0, -1, NULL, NULL,
			    { { "shutdown", "stop every process, then corrald" } } },
	[VERB_VERSION] = { "version", VERB_VERSION, VERB_AGAIN, 0, -1, NULL, NULL,
			   { { "version", "the version of corrald" } } },
	[VERB_SHOW] = { "show", VERB_SHOW, VERB_AGAIN, 1, 1, "a program name", "usage: show NAME",
			{ { "show NAME", "the effective sandbox of program NAME, and its exposure" } } },
	[VERB_TAIL] = { "tail", VERB_TAIL, VERB_OWN_OPTIONS | VERB_AGAIN, 1, -1, "a process name",
			"usage: tail [-f] [-n LINES] NAME [stdout|stderr]",
			{ { "tail [-f] [-n LINES] NAME [stdout | stderr]",
			    "the end of a log; -f follows it until Ctrl-C" } } },
	[VERB_MAINTAIL] = { "maintail", VERB_MAINTAIL, VERB_OWN_OPTIONS | VERB_AGAIN, 0, -1, NULL,
			    "usage: maintail [-f] [-n LINES]",
			    { { "maintail [-f] [-n LINES]",
				"the end of corrald's own log file (logfile); -f follows it" } } },
	[VERB_REOPEN] = { "reopen", VERB_REOPEN, 0, 0, -1, NULL, NULL,
			  { { "reopen", "reopen every log file, corrald's own too (after logrotate moved them)" } } },
	[VERB_WAIT] = { "wait", VERB_WAIT, VERB_OWN_OPTIONS | VERB_AGAIN, 1, -1, NAMES,
			"usage: wait [--timeout SECONDS] NAME...",
			{ { "wait [--timeout S] SEL ...",
			    "wait until each is RUNNING (ready); 1 if one is FATAL" } } },
	/* run's words are its options and the command, judged by its own parser */
	[VERB_RUN] = { "run", VERB_RUN, VERB_OWN_OPTIONS, 0, -1, NULL,
		       "usage: run [--timeout SECONDS] [--scope NAME] -- COMMAND [ARG...]",
		       { { "run [--timeout S] [--scope NAME] -- COMMAND [ARG ...]",
			   "run COMMAND once in a scope of its own, with this\n"
			   "terminal; exit with its status; Ctrl-C kills its tree" } } },
	[VERB_SUBMIT] = { "submit", VERB_SUBMIT, VERB_OWN_OPTIONS, 1, -1, "a pool name",
			  "usage: submit [--no-wait] [--detach] POOL",
			  { { "submit [--no-wait] [--detach] POOL [DATA]",
			      "give a pool one job (DATA, or stdin), print its result;\n"
			      "1 if it failed, 124 if it timed out, 75 if the queue\n"
			      "was full (--no-wait); --detach prints its id at once" },
			    { "submit --lines [--no-wait] [--detach] POOL",
			      "each line of stdin is a job; results in input order" } } },
	[VERB_MIGRATE] = { "migrate", VERB_MIGRATE, VERB_LOCAL, 1, 1, "one file name", NULL,
			   { { "migrate FILE", "print supervisord's config FILE in corral's format" } } },
	[VERB_DISABLE] = { "disable", VERB_DISABLE, VERB_AGAIN, 1, -1, NAMES, "name required",
			   { { "disable SEL ...", "stop, and keep stopped across reloads, restarts\n"
			       "of corrald and reboots, until enable" } } },
	[VERB_ENABLE] = { "enable", VERB_ENABLE, VERB_AGAIN, 1, -1, NAMES, "name required",
			  { { "enable SEL ...", "undo disable; start the autostart ones, wait\n"
			      "until running" } } },
	[VERB_REEXEC] = { "reexec", VERB_REEXEC, 0, 0, 0, NULL, "usage: reexec",
			  { { "reexec", "exec corrald's binary anew (after an upgrade),\n"
			      "every program going on untouched" } } },
	[VERB_METRICS] = { "metrics", VERB_METRICS, VERB_OWN_OPTIONS | VERB_AGAIN, 0, 1, NULL,
			   "usage: metrics [--openmetrics]",
			   { { "metrics [--openmetrics]", "Prometheus metrics of corrald, its processes,\n"
			       "pools and sockets (as GET /metrics)" } } },
	[VERB_HEALTH] = { "health", VERB_HEALTH, VERB_AGAIN, 0, -1, NULL, NULL,
			  { { "health [SEL ...]", "exit 0 when every process (of SEL) is RUNNING\n"
			      "and healthy, else 1 with the reason of each" } } },
	[VERB_SCALE] = { "scale", VERB_SCALE, VERB_OWN_OPTIONS, 2, 2,
			 "a program name and a count (or --reset)", "usage: scale NAME N | NAME --reset",
			 { { "scale NAME N", "run N processes of NAME: new ones started one at\n"
			     "a time, each ready; the highest stopped first" },
			   { "scale NAME --reset", "back to its numprocs" } } },
	/* corralctl's top is a screen; corrald's is the subscription it
	 * reads: the status of every process, then each change as it comes */
	[VERB_TOP] = { "top", VERB_TOP, VERB_OWN_OPTIONS | VERB_AGAIN, 0, 2, NULL,
		       "usage: top [--usage]",
		       { { "top [--once] [--usage]", "a live, full-screen view of every process and\n"
			   "the selected one's log, with keys to act on it;\n"
			   "--once (or no terminal) prints one snapshot" } } },
};

const struct verb *verbs_find(const char *name)
{
	for (int i = 0; i < VERB_COUNT; i++)
		if (strcmp(verbs_table[i].name, name) == 0)
			return &verbs_table[i];
	return NULL;
}

bool verbs_args_fit(const struct verb *v, int nargs)
{
	return nargs >= v->min_args && (v->max_args < 0 || nargs <= v->max_args);
}
