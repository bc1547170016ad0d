/* supervisor_types — the supervision core's objects at run time: programs,
 * their processes and groups, as the core's own parts (core.h and what
 * includes it) and the parts above it (through supervisor.h) see them.
 * Types only: what may be done with them is in supervisor.h. */
#ifndef CORRAL_SUPERVISOR_TYPES_H
#define CORRAL_SUPERVISOR_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "supervisor/config.h"
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
struct health;
struct readylog;

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
	unsigned drain_polls; /* ... counted so far (cgroup v1: no cgroup.events) */
	bool leaf_used;       /* its cgroup leaf exists */
	bool leaf1_used;      /* it has cgroup v1 cgroups (cgroup1.h) */
	long oom_kills;       /* its last run: processes of its tree the OOM killer killed */
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
	bool alone;           /* this stop restarts it alone: what requires it is left
			       * running (supervisor_restart_alone); false once it is
			       * not STOPPING any more */
	bool stop_after_deps; /* asked to stop; stops once what requires it is down */
	struct pool_worker *worker; /* a pool's worker: its pipes and jobs (pool.c); NULL: none */
	int64_t start_wall;   /* time(): when it was last spawned, 0: never */
	uint64_t restarts;    /* spawns after its first: automatic and asked for alike */
	int64_t stop_wall;    /* time(): when its last run ended, 0: never */
	struct evproc *ev;    /* its stdin pipe, listener protocol, capture (events.c); NULL: none */
	struct health *health; /* its health checks (health.c); NULL: none */
	struct readylog *readylog; /* ready = log: its lines so far (readylog.c); NULL: none */
	bool ready_line_seen; /* ready = log: its line came (ready_health: health.c's turn) */
	struct process *same_hash; /* the next in its bucket of core's index by name */
	int index;            /* its place in its program's procs: process_num - numprocs_start */
	bool surplus;         /* corralctl scale (or a reload) took it away: freed once down */
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
	/* Its processes, each its own allocation, so that a scale (roster.h)
	 * that grows the array never moves a live one: hooks and indexes keep
	 * pointers to them. cfg->numprocs of them, or what a scale says;
	 * owned. */
	struct process **procs;
	int nprocs;
	int cap;                     /* room in procs */
	bool retiring;               /* removed or replaced by a reload: stopping, then freed */
	struct program *successor;   /* the new generation that waits for this one to stop */
	bool waiting;                /* a new generation: starts once its predecessor is gone */
	struct group *group;         /* NULL when in no [group:] */
	bool transient;              /* corralctl run: removed once its process is down */
	struct pool *pool;           /* a [pool:]: its queue and jobs (pool.c); NULL: a program */
	struct program *next;        /* corrald's list, in priority order */
	struct program **link;       /* what points to it in that list (&core.programs or a next) */
	struct program *same_hash;   /* the next in its bucket of core's index by name */
	unsigned mark;               /* a pass over every program has seen it (reload.c) */
};

/* Selected processes, for the control verbs. */
struct selection {
	struct process **v;   /* heap; owned by the selection */
	size_t n;
};

#endif
