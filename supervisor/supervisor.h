/* supervisor — the supervision core as the parts above it (control,
 * XML-RPC, pools, event listeners, main.c) see it: corrald's programs and
 * their processes (supervisor_types.h), and its verbs. The state changes
 * only in the callbacks of the one event loop (loop.h); one thread, so
 * nothing here needs a lock.
 *
 * Each verb is carried out by the part of the core that owns it, which the
 * parts above need not know: a process's life (process.h), the order of
 * starts and stops (deps.h), groups (group.h), reloads (reload.h). What
 * supervisor.c itself does: corrald's run (start-up, signals, the loop,
 * shutdown), the autostart queue, selection, and the policy that ties one
 * process's change to the others. */
#ifndef CORRAL_SUPERVISOR_H
#define CORRAL_SUPERVISOR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "supervisor/config.h"
#include "supervisor/supervisor_types.h"

/* The control layer (control.c) calls these. */
struct program *supervisor_programs(void);
/* What P waits for before it starts ("a, b"), into BUF; false when nothing. */
bool supervisor_waiting_for(const struct process *p, char *buf, size_t len);
/* Its [group:] name, or its own name when it is in none. */
const char *program_group_name(const struct program *prog);
/* supervisord's name of P: its name in its [group:] ("web" for "grp:web"). */
const char *supervisor_process_name(const struct process *p);
/* RUNNING, PARTIAL, STOPPED, RESTARTING or FATAL; "" when in no group. */
const char *program_group_state(const struct program *prog);
/* Fill SEL from the words ("all", "web", "grp:*", "grp:name"). -ENOENT with
 * the offending word in *BAD when one matches nothing; -ENOMEM. */
int supervisor_select(char *const words[], int n, struct selection *sel, const char **bad);
void selection_free(struct selection *sel);
void supervisor_start(struct process *p);
void supervisor_stop(struct process *p);
/* The stop half of a restart: what requires P stops first and starts again
 * once P is back (RUNNING). */
void supervisor_stop_to_restart(struct process *p);
/* The same, leaving what requires P running, as though P were alone
 * (watch_cascade = false): P stops at once, and its leaving RUNNING stops
 * no dependent. The caller starts it again. */
void supervisor_restart_alone(struct process *p);
/* The program NAME (not one being replaced or removed), or NULL. */
struct program *supervisor_find_program(const char *name);
/* corralctl scale (roster.h): why PROG's number of processes cannot
 * change, or NULL; then make it N (new ones stopped: the caller starts
 * them; surplus ones stopped, the highest first, and taken away once
 * down). 0, or -errno with WHY. */
const char *supervisor_scale_problem(const struct program *prog);
int supervisor_scale(struct program *prog, int n, char *why, size_t whylen);
int supervisor_signal(struct process *p, int sig);
/* A pool kills P's whole tree (a job over its time, cancel = kill, a
 * worker that broke the framing); its exit starts a new one at once. */
void supervisor_kill_tree(struct process *p);
/* health.c: P's health check passed for the first time (ready = health:
 * STARTING -> RUNNING), or failed health_retries times (on_unhealthy =
 * restart: its tree is killed and it starts again, as any restart, counted
 * by its group). */
void supervisor_ready(struct process *p);
void supervisor_unhealthy(struct process *p);
/* A child a part spawned that is no program's process (a health check's
 * command): FN(CTX) is called when it has exited and must reap it (by its
 * pidfd) and call supervisor_child_del(); until then corrald's sweep for
 * strays leaves it alone. 0 or -ENOMEM. */
int supervisor_child_add(pid_t pid, void (*fn)(void *ctx), void *ctx);
void supervisor_child_del(pid_t pid);
/* Live processes in P's scope, or -1 when the mechanism cannot count them. */
int supervisor_tree_count(const struct process *p);
/* "cgroup" or "process-group". */
const char *supervisor_scope_kind(void);
/* Re-read the config and apply it whole, or not at all. LINE is called
 * with each line of the summary ("added: web") or, on -EINVAL, of the
 * errors; nothing changes then. */
/* corralctl reexec, SIGUSR1: check that corrald can exec itself and hand
 * everything over (reexec.h); LINE hears why not, or "re-executing BIN".
 * The exec follows at the end of the loop's turn, once answers are out.
 * 0, or -1 when refused (nothing changed). */
int supervisor_reexec(void (*line)(void *ctx, const char *text), void *ctx);

/* Re-read the config file and apply it (reload.h, reload_run): 0, or 1
 * when a rolling update began whose end DONE (when not NULL) will hear,
 * or -errno after LINE heard why. */
int supervisor_reload(void (*line)(void *ctx, const char *text),
		      void (*done)(void *ctx, bool ok), void *ctx);
/* supervisorctl update of group NAME that rolls (reload.h,
 * reload_group_rolls and reload_group_roll). */
bool supervisor_group_rolls(const char *name);
int supervisor_group_roll(const char *name);
void supervisor_shutdown(void);
/* Shutting down: a stop held back (hooks.h, on_stop_hold) may go now. */
void supervisor_shutdown_recheck(void);
/* The log file of P's stream WHICH (enum log_which) into BUF, or NULL when
 * it has none (NONE, merged into stdout, or too long). */
const char *supervisor_log_path(const struct process *p, int which, char *buf, size_t len);
/* Reopen every log file by its path (SIGUSR2, corralctl reopen). */
void supervisor_reopen_logs(void);
/* corralctl run: start ARGV as the transient program NAME in DIRECTORY with
 * the caller's FDS as its stdin, stdout and stderr (taken over: closed here
 * on failure, else when the program is gone). The process, or NULL with ERR. */
struct process *supervisor_run_transient(const char *name, char *const argv[],
					 const char *directory, int fds[3], char *err,
					 size_t errlen);

/* What supervisord's XML-RPC interface (rpc.c) needs besides the above. */
bool supervisor_shutting_down(void);
/* Stop everything, then run corrald anew (supervisord's restart). */
void supervisor_restart(void);
bool supervisor_restart_requested(void);
/* The config programs run with. */
const struct corral_config *supervisor_config(void);
/* What getIdentification answers: corrald -i's, else the config's
 * identifier (supervisord's order). */
const char *supervisor_identifier(void);
/* The config last read by supervisor_reread(), else the running one. */
const struct corral_config *supervisor_pending_config(void);
/* supervisord's reloadConfig: read the config file again, keep it as the
 * pending config, and name the process groups (a [group:]'s name, or a
 * program's own) it adds, changes and removes against what runs; each a
 * NULL-terminated heap vector. 0; -EINVAL with ERR (the first error). */
int supervisor_reread(char ***added, char ***changed, char ***removed, char *err,
		      size_t errlen);
/* addProcessGroup: run group NAME of the pending config (autostart as
 * configured). 0; -EEXIST when it runs already; -ENOENT when the pending
 * config lacks it; -ENOMEM. */
int supervisor_group_add(const char *name);
/* removeProcessGroup: take group NAME out of service. 0; -EBUSY while one
 * of its processes runs; -ENOENT when no such group runs. */
int supervisor_group_remove(const char *name);

/* corrald --init -g: signals forwarded to the main program go to its
 * process group, as tini -g sends them. Before supervisor_run(). */
void supervisor_init_forward_to_group(void);
/* main.c: run until shutdown with CFG (taken over, freed here). With INIT,
 * as a container's PID 1: shut down when the main = true program ends and
 * return its status; other signals go to the main program. Returns the
 * exit status for corrald. */
int supervisor_run(const char *config_path, struct corral_config *cfg, bool init);
/* main.c, before supervisor_run(): corrald -i IDENTIFIER, kept across
 * reloads (NULL: the config's). */
void supervisor_set_identifier(const char *identifier);
/* main.c, before supervisor_run(): corrald is a daemon whose standard
 * error is the terminal's only until it is up: FN is called once then
 * (its sockets listen, its pidfile is written, no program has started),
 * and what it starts before (its guard) gets /dev/null instead. */
void supervisor_daemon(void (*fn)(void));

#endif
