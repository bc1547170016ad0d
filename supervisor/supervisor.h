/* supervisor — corrald's state: programs and their processes, changed
 * only by the callbacks of the one event loop (loop.h). One thread: every
 * state change happens in one callback, so nothing here needs a lock. */
#ifndef CORRAL_SUPERVISOR_H
#define CORRAL_SUPERVISOR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "supervisor/config.h"
#include "supervisor/heap.h"
#include "supervisor/logstream.h"
#include "supervisor/loop.h"
#include "supervisor/program.h"
#include "supervisor/strategy.h"

/* A loaded config shared by the programs whose settings live in it; freed
 * when the last program lets go (a reload moves unchanged programs to the
 * new one). */
struct config_ref {
	struct corral_config cfg;
	int refs;
};

struct program;
struct pool;
struct pool_worker;
struct evproc;

struct process {
	struct program *prog;
	char *name;           /* "web" or "group:proc"; owned */
	struct pmachine fsm;
	pid_t pid;            /* 0 when none */
	int pidfd;            /* -1 when none */
	struct watch pid_watch;
	struct logstream out, err;
	struct deadline timer;
	int64_t started_ms;   /* monotonic, when the current process was spawned */
	int exitcode;         /* -1: none (or killed by a signal) */
	int exitsig;          /* 0: none */
	char *spawnerr;       /* owned, NULL when none */
	const char *info;     /* static text for status: "not started" ... */
	unsigned sel_mark;    /* last selection that included it */
	int events_fd;        /* its cgroup.events while its scope is being emptied */
	struct watch events_watch;
	bool draining;        /* main process gone, waiting for its scope to empty */
	bool leaf_used;       /* its cgroup leaf exists */
	pid_t exit_pid;       /* pid of the last main process */
	struct pinput exit_input; /* its exit, for the state machine once drained */
	bool start_queued;    /* in the autostart queue */
	bool restart_pending; /* its group restarts it once every such member is down */
	int stdio[3];         /* corralctl run: the caller's stdin/out/err, owned; -1: none */
	int ready_pipe;       /* ready = fd:N: our end of its readiness pipe, -1: none */
	struct watch ready_watch;
	char *status_text;    /* STATUS= from sd_notify; owned, NULL: none */
	bool dep_waiting;     /* asked to start; waits for what it requires or comes after */
	bool dep_restart;     /* stopped because something it requires failed: starts again */
	bool stop_after_deps; /* asked to stop; stops once what requires it is down */
	struct pool_worker *worker; /* a pool's worker: its pipes and jobs (pool.c); NULL: none */
	int64_t start_wall;   /* time(): when it was last spawned, 0: never */
	int64_t stop_wall;    /* time(): when its last run ended, 0: never */
	struct evproc *ev;    /* its stdin pipe, listener protocol, capture (events.c); NULL: none */
};

/* A [group:] at run time: its strategy and its recent restarts. Lives as
 * long as corrald; a reload updates its settings. */
struct group {
	char *name;                       /* owned */
	const struct group_config *cfg;   /* in the current config */
	struct restart_window window;
	bool restarting;                  /* members stopping, to start again together */
	bool fatal;                       /* restarted too often; waits for a start */
	int (*pipes)[2];                  /* a pipeline's pipes between stages; owned */
	int npipes;
	struct group *next;
};

struct program {
	struct program_config *cfg;  /* lives in ref->cfg */
	struct config_ref *ref;
	struct process *procs;       /* cfg->numprocs of them; owned */
	int nprocs;
	bool retiring;               /* removed or replaced by a reload: stopping, then freed */
	struct program *successor;   /* the new generation that waits for this one to stop */
	bool waiting;                /* a new generation: starts once its predecessor is gone */
	struct group *group;         /* NULL when in no [group:] */
	bool transient;              /* corralctl run: removed once its process is down */
	struct pool *pool;           /* a [pool:]: its queue and jobs (pool.c); NULL: a program */
	struct program *next;        /* corrald's list, in priority order */
};

/* Selected processes, for the control verbs. */
struct selection {
	struct process **v;   /* heap; owned by the selection */
	size_t n;
};

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
int supervisor_signal(struct process *p, int sig);
/* A pool kills P's whole tree (a job over its time, cancel = kill, a
 * worker that broke the framing); its exit starts a new one at once. */
void supervisor_kill_tree(struct process *p);
/* Live processes in P's scope, or -1 when the mechanism cannot count them. */
int supervisor_tree_count(const struct process *p);
/* "cgroup" or "process-group". */
const char *supervisor_scope_kind(void);
/* Re-read the config and apply it whole, or not at all. LINE is called
 * with each line of the summary ("added: web") or, on -EINVAL, of the
 * errors; nothing changes then. */
int supervisor_reload(void (*line)(void *ctx, const char *text), void *ctx);
void supervisor_shutdown(void);
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
