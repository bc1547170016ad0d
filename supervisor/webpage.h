/* webpage — the web page's HTML (web.c serves it): the status page, with
 * what supervisord's shows of each process (state, description, action
 * links, a link to its tail) and what corral knows besides (its scope and
 * tree, readiness, CPU and memory of its tree, its pool and the pool's
 * queue); the tail page of a process's stdout log; the page that says why
 * an action was refused. Plain HTML and CSS, compiled in; no JavaScript.
 * Every text that comes from a config, a process or a log is escaped
 * (webform.h).
 *
 * Reads the core through supervisor.h, sdview.h and procstatus.h; changes
 * nothing. Each function writes a whole page to OUT and returns 0, or -1
 * when writing to OUT failed (out of memory). */
#ifndef CORRAL_WEBPAGE_H
#define CORRAL_WEBPAGE_H

#include <stddef.h>
#include <stdio.h>

/* Seconds between the status page's own refreshes (none while it shows a
 * message: the operator reads it first). */
#define WEBPAGE_REFRESH 5

/* The status page; MESSAGE (NULL: none) is the outcome of an action,
 * shown above the table. */
int webpage_status(FILE *out, const char *message);

/* The tail page of the process SPEC names ("web", "grp:web"): the last
 * LIMIT bytes of its stdout log, refreshed every WEBPAGE_REFRESH s; or
 * that there is no such process, or no log file. */
int webpage_tail(FILE *out, const char *spec, size_t limit);

/* The page of a refused action: WHY (a sentence), and what to do. */
int webpage_refused(FILE *out, const char *why);

#endif
