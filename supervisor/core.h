/* core — what the parts of the supervision core share, and nothing else:
 * the list of programs, the config they run with, the pid of each live
 * process, and a few facts about corrald that several parts read. It is
 * for the core's own files (process, deps, group, notify, roster, reload,
 * supervisor); the parts above it (control, rpc, pool, events) go through
 * supervisor.h.
 *
 * Each field says who writes it; any part of the core may read it. What
 * one part alone needs (the groups, the counts of waiting processes, the
 * notify socket, the guard) is that part's own, static in its file. */
#ifndef CORRAL_CORE_H
#define CORRAL_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/resource.h>

#include "supervisor/pidmap.h"
#include "supervisor/supervisor_types.h"

struct core {
	/* Every program, in priority order (core_insert, core_unlink: the
	 * roster, reload and `corralctl run` add and take out). */
	struct program *programs;
	/* The config programs run with: a reload swaps it (reload.c). */
	struct config_ref *current;
	/* The config file, as corrald was started with it (supervisor.c). */
	const char *config_path;
	/* pid -> process of each main process (process.c puts and deletes). */
	struct pidmap pids;
	/* Scopes are cgroup leaves; else process groups (supervisor.c, at
	 * start-up). */
	bool cgroups;
	/* Shutdown has begun: nothing starts any more (supervisor.c). */
	bool shutting_down;
	/* --init: a container's PID 1 (supervisor.c); the TERM or INT the
	 * container was stopped with, which its main program gets. */
	bool init;
	int init_stop_sig;
	/* /dev/null, for the stdio a worker has nothing else for (supervisor.c). */
	int devnull;
	/* RLIMIT_NOFILE as corrald found it, which workers get back (supervisor.c). */
	struct rlimit nofile;
	/* NOTIFY_SOCKET for workers (notify.c); "" while there is none. */
	char notify_path[108];
	/* Processes in the autostart queue (core_autostart, core_unqueue). */
	size_t start_queued;
	/* Where the autostart queue's next batch looks first, NULL: at the
	 * start. Nothing is queued before it unless start_rewind says so
	 * (core_autostart sets it; the queue's runner moves start_from on and
	 * back; core_unlink moves it off a program). */
	struct program *start_from;
	bool start_rewind;
	/* Processes in STOPPING (process.c counts them). */
	size_t stopping;
	/* Programs retiring (roster.c counts them). */
	size_t retiring;
};

extern struct core core;

/* The program of the config named NAME (not a retiring one, nor a
 * `corralctl run` one), or NULL. O(1): an index by name. */
struct program *core_find_program(const char *name);
/* The process named NAME ("web", "group:web") of a program that is not
 * retiring, the first in list order, or NULL. O(1): an index by name. */
struct process *core_find_process(const char *name);
/* The I-th (from 0) of the programs that list NAME in their requires or
 * after, retiring ones too, in the order of core.programs; NULL past the
 * last. O(1) each: an index by the names listed. A loop over them may
 * unlink programs as it goes (then it may miss one, as a walk of the list
 * would), not insert any. */
struct program *core_naming(const char *name, size_t i);
/* The I-th (from 0) program of group G, retiring ones too, in the order
 * of core.programs; NULL past the last. O(1) each, as core_naming(). */
struct program *core_member(const struct group *g, size_t i);
/* supervisor_select() for one WORD (not "all"): FN for each process a
 * walk of core.programs would take for it (a process's full name; a group's
 * name, or "GROUP:*", for every process of its programs; a program's own
 * name when it is in no group), in list order. Through the indexes: the
 * cost is what it finds, not the number of programs. 0, FN's first
 * failure, -ENOMEM, or 1 when an index is broken: walk then. */
int core_select(const char *word, int (*fn)(void *ctx, struct process *p), void *ctx);
/* PROG into core.programs in priority order, after others of the same
 * priority and name, and into the indexes by name. O(N): a config's
 * programs go in together by core_insert_all(). (Out of memory for an
 * index, the lookups walk the list instead: slower, never wrong.) */
void core_insert(struct program *prog);
/* The N programs V (in any order) into core.programs as core_insert()
 * would put each, in O(N log N) for all of them together; sorts V. */
void core_insert_all(struct program **v, size_t n);
/* PROG out of core.programs and the indexes (it stays allocated). */
void core_unlink(struct program *prog);

/* Let go of REF: the config is freed with its last holder. NULL is harmless. */
void core_config_put(struct config_ref *ref);

/* Its [group:] name, or its own name when it is in none. */
const char *core_group_name(const struct program *prog);
/* supervisord's name of P: its name in its [group:] ("web" for "grp:web"). */
const char *core_process_name(const struct process *p);

/* Autostart goes through a queue that the loop works off a batch at a
 * time, in priority order (supervisor.c): every process of PROG joins it
 * when PROG is set to autostart. */
void core_autostart(struct program *prog);
/* P, a process added to (ADD) or taken from a program in the list by a
 * scale (roster.h), joins or leaves the index by name. */
void core_index_process(struct process *p, bool add);
/* P leaves the queue, when it is in it. */
void core_unqueue(struct process *p);

#endif
