/* events — supervisord's events at run time: [eventlistener:NAME] pools,
 * the events corrald emits to them, and the stdin pipes corrald holds for
 * the processes of a config in supervisord's format.
 *
 * Each [eventlistener:] program is a pool with a buffer of buffer_size
 * events (the oldest is dropped when it is full); each of its processes
 * speaks the listener protocol (eventproto.h) over its stdin and stdout,
 * both pipes held by corrald and never blocking it. An event goes to any
 * READY listener of a RUNNING process; one rejected (FAIL), or in flight
 * when its listener broke the protocol or died, goes back to the front of
 * the buffer and is delivered again. Ticks are armed only while some pool
 * subscribes to them, so an idle corrald without listeners stays silent. */
#ifndef CORRAL_EVENTS_H
#define CORRAL_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "supervisor/program.h"

struct process;
struct program;

/* XML-RPC sendRemoteCommEvent: emit REMOTE_COMMUNICATION to subscribed listeners. */
void events_remote_comm(const char *type, const char *data);
/* XML-RPC sendProcessStdin: queue LEN bytes of DATA for P's stdin.
 * 0; -ENOTCONN when P is not running or has no stdin pipe; -ENOBUFS past a bound. */
int supervisor_send_stdin(struct process *p, const char *data, size_t len);

/* corral's own PROCESS_HEALTH_HEALTHY / _UNHEALTHY for P (health.c):
 * "processname:web groupname:web pid:12 failures:3 reason:HTTP_500", the
 * reason's blanks and colons made '_' so that the payload splits as
 * supervisord's do. */
void events_process_health(struct process *p, bool healthy, int failures, const char *reason);

/* A corral event of type T (enum event_type) about P, from another part
 * (schedule.c): "processname:NAME groupname:GROUP pid:PID" and EXTRA
 * ("KEY:VALUE ...", "" for none) to the pools that subscribe to it. */
void events_process_note(int t, const struct process *p, const char *extra);
/* Subscribe the functions below to the core's hooks (hooks.h), as named
 * there. 0, or -ENOSPC. */
int events_init(void);

/* ---- the core's hooks (exported for tests/unit/test_events_loop.c) ---- */

/* program_new / program_free: a listener program's pool. new: 0 or -ENOMEM. */
int events_program_new(struct program *prog);
void events_program_free(struct program *prog);

/* spawn_prepare: the pipes P gets from here: CHILD[0] its stdin (a pipe for a
 * listener, or for any process of a supervisord config when STDIN_FREE:
 * nothing else gives it one), CHILD[1] its stdout (listeners only); -1
 * where none. 0, or -errno with ERR filled. spawn_done closes the child's
 * ends and, when SPAWNED, starts talking to it. */
int events_spawn_prepare(struct process *p, bool stdin_free, int child[2], char *err,
			 size_t errlen);
void events_spawn_done(struct process *p, bool spawned);
/* P's main process was reaped, before its state changes: an event in
 * flight goes back to its pool; its pipes close. */
void events_process_exited(struct process *p);
/* process_state: one input IN took P's machine from BEFORE to AFTER, spawning
 * a process on the way when SPAWNED: PROCESS_STATE_* to the listeners, as
 * supervisord emits them (one per state it passes through); a listener
 * that is RUNNING now may take events. */
void events_process_state(struct process *p, enum pstate before, enum pstate after,
			  const struct pinput *in, bool spawned);

/* Start-up, before anything starts: PROCESS_GROUP_ADDED for each group in
 * priority order (a pool hears those of the groups after its own, as with
 * supervisord, whose listeners come first), then SUPERVISOR_STATE_CHANGE_RUNNING. */
void events_started(void);
/* Shutdown begins: SUPERVISOR_STATE_CHANGE_STOPPING. */
void events_stopping(void);
/* A reload added PROG (a new generation of it, or a new one), or is
 * about to retire it: PROCESS_GROUP_ADDED or _REMOVED for its group. A
 * listener's pool that is removed hears no more events. */
void events_group(const struct program *prog, bool added);

/* At exit, once every program is freed. */
void events_free_all(void);

/* output: LEN bytes read from stream WHICH (enum log_which) of P.
 * Emits PROCESS_LOG_* (stdout/stderr_events_enabled) and, in capture mode
 * (*_capture_maxbytes), PROCESS_COMMUNICATION_*; returns how many bytes
 * go to the log, at *OUT (IN itself, or a buffer of events.c valid until
 * the next call). */
size_t events_output(struct process *p, int which, const char *in, size_t len, const char **out);

#endif
