/* hooks — what the supervision core (supervisor.c and its parts,
 * logstream.c) tells the parts above it: the control server, the HTTP
 * server and supervisord's XML-RPC methods on it, pools, event listeners,
 * and whatever comes next (metrics, a web page).
 *
 * The core names none of them: each part subscribes one struct hooks at
 * its init, with the members it wants (the others NULL), and the core
 * calls every subscriber's member in the order they subscribed, but for
 * on_close, which goes the other way. So a new part touches no core file, and
 * dependencies point one way: the parts use the core's API, the core
 * publishes here. */
#ifndef CORRAL_HOOKS_H
#define CORRAL_HOOKS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/uio.h>

#include "supervisor/program.h"

struct corral_config;
struct handover;
struct process;
struct program;

/* Subscribers at most: a fixed table, no heap. */
#define HOOKS_MAX 32

struct hooks {
	/* ---- corrald's life ---- */

	/* Start-up, the config read and no program started: listen where CFG
	 * says. 0, or -1 after logging why; corrald does not start then,
	 * and those that opened before are closed again. */
	int (*on_open)(const struct corral_config *cfg);
	/* Shutdown, every program down: stop serving (in reverse order). */
	void (*on_close)(void);
	/* After each turn of the loop: free what was closed during it, which
	 * an event of the same turn may still have pointed at. */
	void (*on_bury)(void);
	/* At exit, once every program is freed. */
	void (*on_free_all)(void);
	/* Every program of the config exists, none is started yet. */
	void (*on_started)(void);
	/* Shutdown begins. */
	void (*on_stopping)(void);
	/* corrald is about to exec itself (corralctl reexec): add to H what
	 * goes across (listening sockets: handover_add_fd) and return 0, or
	 * -1 with WHY when something cannot go across yet (nothing is then
	 * changed). After the exec, on_open takes back what it gave
	 * (handover_take_fd) instead of binding anew. */
	int (*on_handover)(struct handover *h, char *why, size_t whylen);
	/* After an exec, every process of the record taken over (and
	 * on_process_adopted called for each), before the loop runs: take
	 * back the rest of what this part handed over (handover_find_part). */
	void (*on_taken_over)(void);

	/* ---- programs ---- */

	/* PROG was created: 0, or -ENOMEM (it is then freed again, and
	 * on_program_free called for it whatever this one did). */
	int (*on_program_new)(struct program *prog);
	/* PROG is about to be freed. */
	void (*on_program_free)(struct program *prog);
	/* A reload added PROG (a new generation of it, or a new one), or is
	 * about to retire it: its group comes or goes. */
	void (*on_group)(const struct program *prog, bool added);

	/* ---- processes ---- */

	/* P is about to be spawned: pipes of this part for its stdin
	 * (CHILD[0]) and stdout (CHILD[1]), the child's ends; -1 where none.
	 * STDIN_FREE: nothing else gives it a stdin (the caller's, a pipeline
	 * stage's, an earlier subscriber's). 0, or -errno with ERR filled;
	 * on_spawn_done(P, false) then goes to those before. */
	int (*on_spawn_prepare)(struct process *p, bool stdin_free, int child[2], char *err,
				size_t errlen);
	/* The spawn was made (SPAWNED) or not: close the child's ends. */
	void (*on_spawn_done)(struct process *p, bool spawned);
	/* One variable for P's environment: "NAME=value" into BUF (LEN bytes),
	 * true; false for none. */
	bool (*on_spawn_env)(const struct process *p, char *buf, size_t len);
	/* After an exec of corrald, P was taken over from the record
	 * (handover.h): take back what this part handed over for it. */
	void (*on_process_adopted)(struct process *p);
	/* P's main process was reaped, before its state machine hears of it. */
	void (*on_process_exited)(struct process *p);
	/* One input IN took P's state machine from BEFORE to AFTER (the same
	 * when nothing changed), spawning a process on the way when SPAWNED. */
	void (*on_process_state)(struct process *p, enum pstate before, enum pstate after,
				 const struct pinput *in, bool spawned);
	/* P changed: its state, or what status says of it; or it is about to
	 * be freed (GONE). */
	void (*on_process_changed)(struct process *p, bool gone);
	/* Shutdown: P is next to be stopped. True holds its stop back while
	 * it finishes what it has in hand (an event listener, the event in
	 * flight); the subscriber calls supervisor_shutdown_recheck() once it
	 * lets go. The core holds no process past its stopwaitsecs from the
	 * start of the shutdown. */
	bool (*on_stop_hold)(const struct process *p);
	/* P's health check's verdict changed (health.c): HEALTHY, or not after
	 * FAILURES failures in a row, the last for REASON. */
	void (*on_process_health)(struct process *p, bool healthy, int failures,
				  const char *reason);

	/* ---- output ---- */

	/* LEN bytes read from P's stream WHICH (enum log_which), before they
	 * are logged: returns how many go on to the log, at *OUT (IN itself,
	 * or a buffer of the subscriber's valid until its next call). */
	size_t (*on_output)(struct process *p, int which, const char *in, size_t len,
			    const char **out);
	/* What went to the log of P's stream WHICH (called only while the
	 * stream has followers: logstream.h). */
	void (*on_log_data)(struct process *p, int which, const struct iovec *iov, int n);
};

/* Subscribe H (kept by pointer: it must outlive corrald's loop). 0, or
 * -ENOSPC past HOOKS_MAX. */
int hooks_subscribe(const struct hooks *h);
/* H hears nothing more. Not from inside a hook. */
void hooks_unsubscribe(const struct hooks *h);

/* ---- the core's side: each calls the member of every subscriber ---- */

/* 0, or -1 when one failed (those opened before it are closed). */
int hooks_open(const struct corral_config *cfg);
void hooks_close(void);
void hooks_bury(void);
void hooks_free_all(void);
void hooks_started(void);
void hooks_stopping(void);
/* 0, or the first refusal (-1, WHY filled). */
int hooks_handover(struct handover *h, char *why, size_t whylen);
/* 0, or the first failure (-ENOMEM); those after it are not called. */
int hooks_program_new(struct program *prog);
void hooks_program_free(struct program *prog);
void hooks_group(const struct program *prog, bool added);
/* STDIO[0] and STDIO[1], the child's stdin and stdout so far, take each
 * subscriber's pipes where it gives one. 0, or the first failure. */
int hooks_spawn_prepare(struct process *p, bool stdin_free, int stdio[2], char *err,
			size_t errlen);
void hooks_spawn_done(struct process *p, bool spawned);
/* Up to MAX variables into NAMES; how many. */
size_t hooks_spawn_env(const struct process *p, char (*names)[PATH_MAX], size_t max);
void hooks_process_exited(struct process *p);
void hooks_process_adopted(struct process *p);
void hooks_taken_over(void);
void hooks_process_state(struct process *p, enum pstate before, enum pstate after,
			 const struct pinput *in, bool spawned);
void hooks_process_changed(struct process *p, bool gone);
void hooks_process_health(struct process *p, bool healthy, int failures, const char *reason);
/* True when one subscriber holds P's stop back. */
bool hooks_stop_hold(const struct process *p);
/* Through every subscriber's output in turn. */
size_t hooks_output(struct process *p, int which, const char *in, size_t len, const char **out);
void hooks_log_data(struct process *p, int which, const struct iovec *iov, int n);

#endif
