/* spawn — create one worker process and report, step by step, why it could
 * not exec. The child runs its steps in a fixed order (below); when one fails
 * it writes a struct spawn_report to a close-on-exec pipe and exits 127, so
 * the parent learns "chdir /nope: No such file or directory" instead of a
 * bare exit code. A successful exec closes the pipe: end of file, no report. */
#ifndef CORRAL_SPAWN_H
#define CORRAL_SPAWN_H

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
};

struct spawn_report {
	int32_t step;           /* enum spawn_step; 0 when the exec succeeded */
	int32_t err;            /* errno */
};

struct spawn_result {
	pid_t pid;
	int pidfd;              /* O_CLOEXEC, owned by the caller */
	struct spawn_report report; /* step 0: running the new program */
};

/* Create the process and wait, as vfork(2) and posix_spawn(3) do, until it
 * has exec'd or failed trying; res->report says which. Either way there is
 * a child to reap through res->pidfd. Returns 0, or -errno when even the
 * fork failed (then there is no child and nothing to close). */
int spawn_process(const struct spawn_request *req, struct spawn_result *res);

/* "chdir /nope: No such file or directory" for REP, naming the step's
 * argument from REQ-like values. */
void spawn_describe(const struct spawn_report *rep, const char *directory, const char *argv0,
		    char *buf, size_t len);

#endif
