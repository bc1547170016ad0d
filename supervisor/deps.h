/* deps — the order programs start and stop in by their requires and after
 * keys: a process asked to start waits for what it requires (starting
 * that) and for what it comes after; one asked to stop waits for what
 * requires it to stop first; a required program that fails stops what
 * requires it, which starts again once it is back.
 *
 * Its own state: which processes wait, which stops wait (flags on each
 * process, and their counts here, so that the rechecks after each change
 * cost nothing while nobody waits). */
#ifndef CORRAL_DEPS_H
#define CORRAL_DEPS_H

#include <stdbool.h>
#include <stddef.h>

#include "supervisor/supervisor_types.h"

/* After an exec of corrald: P waits (WAITING) for what it requires, as it
 * did, and starts again when it is back (RESTART). */
void deps_adopt(struct process *p, bool waiting, bool restart);
/* Start P, or have it wait until what it requires is RUNNING (started now
 * when down) and what it comes after is up or not coming. Starting a member
 * of a FATAL group gives the group a fresh start. */
void deps_start(struct process *p);
/* A stop asked for from outside (AGAIN: the stop half of a restart): it
 * cancels the restart P's group or a required program had planned, and
 * stops what requires P first; with AGAIN those start again once P is
 * back. */
void deps_stop(struct process *p, bool again);

/* What P waits for before it starts ("a, b"), into BUF; false when nothing. */
bool deps_waiting_for(const struct process *p, char *buf, size_t len);
/* Does a program that requires or comes after PROG still run? Then PROG
 * stops after it (shutdown). */
bool deps_has_live_dependents(const struct program *prog);

/* After a change of a process: start those waiting whose dependencies are
 * now ready (deps_recheck), let deferred stops go whose requirers are down
 * (deps_stops_recheck). */
void deps_recheck(void);
void deps_stops_recheck(void);
/* PROG left RUNNING: what requires it stops; with FAILED it starts again
 * once PROG is back. */
void deps_fallen(struct program *prog, bool failed);

/* P waits no more to start (shutdown: nothing starts any more). */
void deps_unwait(struct process *p);
/* P is about to be freed: it waits for nothing any more. */
void deps_forget(struct process *p);

#endif
