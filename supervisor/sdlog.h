/* sdlog — the lines supervisord 4.2 writes to its log about its processes
 * and itself, worded exactly as it words them ("spawned: 'web' with pid 42",
 * "exited: web (exit status 1; not expected)", "gave up: ..."), at its
 * levels (its INFO is info, its WARN a warning), so that what supervisord's
 * users grep and alert on is in corrald's log as well. corrald's own lines
 * stay beside them; these say nothing supervisord would not.
 *
 * NAME is supervisord's name of a process: its name within its group
 * (supervisor_process_name()). Each function only formats and logs. */
#ifndef CORRAL_SDLOG_H
#define CORRAL_SDLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "supervisor/config.h"
#include "supervisor/program.h"

/* "supervisord started with pid N" */
void sdlog_started(pid_t pid);

/* "spawned: 'NAME' with pid N" */
void sdlog_spawned(const char *name, pid_t pid);

/* "spawnerr: MSG": a process could not be started. */
void sdlog_spawnerr(const char *msg);

/* supervisord's spawnerr words when NAME's spawn failed with -ERR outside
 * the child (no descriptors, no fork) and it has words for that; else NULL. */
const char *sdlog_spawn_words(const char *name, int err, bool at_fork, char *buf, size_t len);

/* "success: NAME entered RUNNING state, process has stayed up for > than
 * N seconds (startsecs)"; with ready = notify, fd:N or none, what made it
 * RUNNING instead of the startsecs clause. */
void sdlog_running(const char *name, const struct program_config *cfg);

/* Its main process was reaped: "exited: NAME (exit status 3; expected)",
 * "exited: NAME (terminated by SIGKILL; not expected)", or with
 * PEXIT_STOPPED "stopped: NAME (terminated by SIGTERM)", a warning unless
 * EXPECTED (its code is in exitcodes). CODE is its exit status, or SIG the
 * signal that killed it (CORE: it dumped core). PEXIT_NONE logs nothing. */
void sdlog_exit(const char *name, enum pexit kind, bool expected, int code, int sig, bool core);

/* "gave up: NAME entered FATAL state, too many start retries too quickly" */
void sdlog_gave_up(const char *name);

/* "waiting for NAME to stop": asked to stop, it is STOPPING. */
void sdlog_stopping(const char *name);

/* "killing 'NAME' (N) with SIGKILL": stopwaitsecs passed. */
void sdlog_killing(const char *name, pid_t pid);

/* "waiting for NAMES to die" (NAMES: "a, b"): shutting down. */
void sdlog_waiting_to_die(const char *names);

/* "received SIGTERM indicating exit request", "... restart request",
 * "... log reopen request"; IGNORED: a SIGHUP while shutting down. */
void sdlog_signal(int sig, bool ignored);

/* "reaped unknown pid N (exit status 0)": a stray. */
void sdlog_stray(pid_t pid, int code, int sig, bool core);

/* Debug: an event listener's protocol state changed, in supervisord's names
 * for them (ACKNOWLEDGED, READY, BUSY, UNKNOWN): "NAME: BUSY -> ACKNOWLEDGED". */
void sdlog_listener_state(const char *name, const char *from, const char *to);

/* What wait() said, in supervisord's words: "exit status 3",
 * "terminated by SIGSEGV (core dumped)". */
void sdlog_wait_status(int code, int sig, bool core, char *buf, size_t len);

/* supervisord's name of signal SIG: "SIGTERM", "SIGRTMIN", "signal 40". */
const char *sdlog_signame(int sig, char *buf, size_t len);

#endif
