/* roll — rolling restarts: a list of processes restarted BATCH at a time,
 * each batch's new processes ready before the next batch is stopped.
 *
 * Built on the core's face only (supervisor.h) and told of changes by the
 * hooks: a process of a batch is stopped the way any restart stops it (its
 * stop signal, stopwaitsecs, then its tree), started again, and counts as
 * replaced once it is RUNNING, which the core says when its readiness
 * protocol (notify, fd, health) or startsecs does, within start_timeout.
 * The first that does not (BACKOFF, FATAL, stopped meanwhile) ends the
 * roll: the processes not reached are left running untouched, and the
 * caller is told which one failed and why. While a roll goes on, status
 * says so for every process of the programs in it (roll_describe), and an
 * exec of corrald is refused (it would lose the roll's caller). */
#ifndef CORRAL_ROLL_H
#define CORRAL_ROLL_H

#include <stdbool.h>
#include <stddef.h>

struct process;
struct program;
struct program_config;

/* A line for the caller: "web:web_0: stopped", "web:web_0: ready",
 * "web:web_1: ERROR (...)". */
typedef void roll_line_fn(void *ctx, const char *text);
/* The roll is over: OK when every process was replaced. */
typedef void roll_done_fn(void *ctx, bool ok);

struct roll;

/* Subscribe to the hooks. 0, or -ENOSPC. */
int roll_init(void);

/* Roll the N processes of V (copied), BATCH (1 or more) at a time, in
 * order (one that is down is only started: corralctl scale starts its new
 * processes so, each ready before the next). ALONE: each is restarted
 * without what requires it (supervisor_restart_alone), as corralctl
 * restart --rolling and a reload's rolling update do (the program stays
 * up, one process at a time: what requires it has no reason to stop)
 * and watch_cascade = false; else those stop first and start again once
 * it is back. LINE and DONE are called with
 * CTX (DONE exactly once, maybe before this returns); the last line says
 * "K of N WORD" ("replaced", "started"). 0 and *OUT, or -EBUSY (one of
 * them is in a roll already, named in WHY), -ENOMEM. */
int roll_begin(struct process *const *v, size_t n, int batch, bool alone, const char *word,
	       roll_line_fn *line, roll_done_fn *done, void *ctx, struct roll **out, char *why,
	       size_t whylen);

/* Is a roll going on for a process of PROG? */
bool roll_busy(const struct program *prog);

/* The caller CTX went away: its roll goes on, telling nobody. */
void roll_forget_caller(const void *ctx);

/* Can a roll tell when a new instance of C is ready? Not with ready = none,
 * nor with startsecs = 0 and no readiness protocol. */
bool roll_can_tell_ready(const struct program_config *c);

/* For status: "rolling 1/4, replacing web:web_1" when P's program is in a
 * roll; false (BUF untouched) when not. */
bool roll_describe(const struct process *p, char *buf, size_t len);

#endif
