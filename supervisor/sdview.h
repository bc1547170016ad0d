/* sdview — corrald's processes as supervisord names and describes them:
 * its state codes, which states count as running, stopped or signallable,
 * its names ("group:name", "group:*"), its orders, and the fields of its
 * getProcessInfo with their description ("pid 42, uptime 0:00:05").
 *
 * Used by supervisord's XML-RPC methods (rpc.c and its method files); no
 * wire format here, so that a web page or a JSON API can show processes
 * the same way. Reads the core through supervisor.h, changes nothing.
 * The processes it sees are those of the running config: not a generation
 * being replaced, not a corralctl run. */
#ifndef CORRAL_SDVIEW_H
#define CORRAL_SDVIEW_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "supervisor/program.h"

struct process;

/* supervisord's RUNNING_STATES, STOPPED_STATES and SIGNALLABLE_STATES. */
bool sdview_running(enum pstate s);
bool sdview_stopped(enum pstate s);
bool sdview_signallable(enum pstate s);

/* supervisord's split_namespec: "g:n" -> g, n; "g:*" or "g:" -> g, NULL;
 * "n" -> n, n. GROUP is written into BUF. */
void sdview_split_namespec(const char *spec, char *buf, size_t len, const char **group,
			   const char **name);
/* GROUP has a process the API sees. */
bool sdview_group_exists(const char *group);
/* The process NAME of GROUP, or NULL. */
struct process *sdview_find(const char *group, const char *name);
/* The one process SPEC names ("g:n", "n"), or NULL: none, or a group. */
struct process *sdview_named(const char *spec);

/* The processes (of GROUP only, unless NULL) in supervisord's order: for
 * what it does to many, groups by priority then name and a group's
 * processes by their own priority then name; when LEXICAL, getAllProcessInfo's
 * (so supervisorctl status's): group names, then process names. A heap
 * array into *OUT (NULL when none or out of memory); their number. */
size_t sdview_processes(const char *group, bool lexical, struct process ***out);

/* getProcessInfo's fields of a process. The strings without room here
 * point into the process: good while it lives. */
struct sdview_info {
	const char *name, *group;
	long long start, stop, now;         /* time(): 0 never */
	int state;                          /* supervisord's code: RUNNING 20 ... */
	const char *statename;
	const char *spawnerr;               /* "" when none */
	int exitstatus;
	const char *stdout_logfile;         /* "" when none */
	const char *stderr_logfile;
	long long pid;                      /* 0 unless alive */
	char description[PATH_MAX + 64];    /* "pid 42, uptime 0:00:05", "Not started" */
	char room[2][PATH_MAX];             /* where the log files' names may be */
};

void sdview_info(const struct process *p, struct sdview_info *out);

#endif
