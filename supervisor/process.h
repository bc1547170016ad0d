/* process — one supervised process through its life: its state machine
 * (program.h) fed events and its actions carried out, its worker spawned,
 * signalled and reaped by pidfd, its scope emptied before a restart, its
 * log files and its ready fd.
 *
 * What one process's change means for the others (its group, what
 * requires it, its program's retirement, shutdown) is not decided here:
 * the core above sets a policy (process_set_policy) that is told of each
 * exit and each change, so that this file calls nothing above it by name. */
#ifndef CORRAL_PROCESS_H
#define CORRAL_PROCESS_H

#include <stdbool.h>
#include <stddef.h>

#include "supervisor/program.h"
#include "supervisor/handover.h"
#include "supervisor/supervisor_types.h"

struct process_policy {
	/* P's main process exited with IN, before its state machine hears of
	 * it: true when the policy took the exit over (its group restarts it
	 * with the others), false to let the machine have it. */
	bool (*exited)(struct process *p, const struct pinput *in);
	/* P's state machine went from BEFORE to where it is now (or what
	 * status says of it changed), and the hooks have been told. */
	void (*changed)(struct process *p, enum pstate before);
};

/* The policy, kept by pointer; set once, before any process is driven. */
void process_set_policy(const struct process_policy *policy);

/* P, a stopped process of PROG named NAME (taken over: freed with P). */
void process_init(struct process *p, struct program *prog, char *name);
/* Everything P holds, before its program frees it: its log streams, its
 * scope, its descriptors, its strings; the hooks hear that it is gone. */
void process_release(struct process *p);

/* Down and staying so: an EXITED process whose restart is due is not. */
bool process_down(const struct process *p);

/* Feed IN to P's state machine and carry out what it says. */
void process_drive(struct process *p, const struct pinput *in);
/* Stop P now: a stop that corrald itself decides (its group's restart, a
 * required program's fall), which neither waits for what requires P nor
 * cancels a restart P has pending. */
void process_stop(struct process *p);
/* Give IN, the exit of P's main process, to its state machine: at once,
 * or with killmode = group once what the process left in its scope is
 * killed and the scope is empty. */
void process_deliver_exit(struct process *p, const struct pinput *in);

/* P's main process is gone, or may be (SIGCHLD): reap it through its
 * pidfd and handle its exit. Harmless when it is not gone yet. */
void process_exited(struct process *p);
/* Read the reports of children that failed before exec (the shared report
 * pipe is readable, or an exit is about to be handled). */
void process_read_reports(void);

/* SIG to P's main process. 0, -ESRCH when it has none, or -errno. */
int process_signal(struct process *p, int sig);
/* A pool kills P's whole tree (a job over its time, cancel = kill, a
 * worker that broke the framing); its exit starts a new one at once. */
void process_kill_tree(struct process *p);
/* Live processes in P's scope, or -1 when the mechanism cannot count them. */
int process_tree_count(const struct process *p);

/* The log file of P's stream WHICH (enum log_which) into BUF, or NULL when
 * it has none (NONE, merged into stdout, or too long). */
const char *process_log_path(const struct process *p, int which, char *buf, size_t len);

/* P's part of a handover (handover.h) into HP: true, or false with WHY
 * when P is not in a state that goes across an exec (between states, or
 * something not handed over yet). */
bool process_carry(const struct process *p, struct handover_proc *hp, char *why, size_t whylen);

/* P as HP left it before the exec: its pid, pidfd, state machine, times,
 * exit and log pipes. 0, or -errno with WHY. */
int process_adopt(struct process *p, const struct handover_proc *hp, char *why, size_t whylen);

#endif
