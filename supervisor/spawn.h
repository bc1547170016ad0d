/* spawn — create one worker process and report, step by step, why it could
 * not exec. The child runs its steps in a fixed order (below); when one fails
 * it writes a struct spawn_report to a close-on-exec pipe and exits 127, so
 * the parent learns "chdir /nope: No such file or directory" instead of a
 * bare exit code. */
#ifndef CORRAL_SPAWN_H
#define CORRAL_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

/* The child's steps, in the order it runs them. */
enum spawn_step {
	SPAWN_STEP_SIGNALS = 1, /* unblock signals, default dispositions */
	SPAWN_STEP_PDEATHSIG,   /* die with corrald */
	SPAWN_STEP_SETSID,      /* own session: no terminal signals from corrald's tty */
	SPAWN_STEP_STDIO,       /* stdin, stdout, stderr */
	SPAWN_STEP_RLIMITS,     /* corrald's raised fd limit back to what it found */
	SPAWN_STEP_UMASK,
	SPAWN_STEP_CHDIR,
	SPAWN_STEP_FDS,         /* everything above 2 close-on-exec */
	SPAWN_STEP_EXEC,
};

struct spawn_request {
	char *const *argv;      /* argv[0] is looked up in PATH */
	char *const *envp;
	const char *directory;  /* NULL: stay */
	int umask;              /* -1: inherit */
	const struct rlimit *nofile; /* RLIMIT_NOFILE for the worker, NULL: inherit */
	int stdio[3];           /* fds to become 0, 1 and 2 in the child */
	int cgroup_fd;          /* >= 0: born in this cgroup (CLONE_INTO_CGROUP), no window
				 * in which it or an early fork runs outside its scope */
	bool outlive_parent;    /* no PR_SET_PDEATHSIG (corrald's guard only) */
};

struct spawn_report {
	int32_t pid;            /* the child that failed */
	int32_t step;           /* enum spawn_step */
	int32_t err;            /* errno */
};

struct spawn_result {
	pid_t pid;
	int pidfd;              /* O_CLOEXEC, owned by the caller */
};

/* Create the report pipe that every child shares: one descriptor for all
 * spawns, none per spawn, and no waiting for exec. A child writes its
 * report (12 bytes: atomic in a pipe) before it exits, so the report of a
 * child is always readable by the time its exit is seen. Returns the read
 * end (O_NONBLOCK, O_CLOEXEC; owned by spawn) or -errno. */
int spawn_init(void);
void spawn_fini(void);

/* Create the process; it runs on without us. 0, or -errno when even the
 * fork failed (then there is no child and nothing to close). */
int spawn_process(const struct spawn_request *req, struct spawn_result *res);

/* Take one report from the shared pipe: 1 with *REP filled, 0 when there
 * is none, or -errno. */
int spawn_next_report(struct spawn_report *rep);

/* "chdir /nope: No such file or directory" for REP, naming the step's
 * argument from REQ-like values. */
void spawn_describe(const struct spawn_report *rep, const char *directory, const char *argv0,
		    char *buf, size_t len);

#endif
