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

struct sandbox;

/* The child's steps, in the order it runs them. */
enum spawn_step {
	SPAWN_STEP_CGROUP1 = 1, /* into its cgroup v1 cgroups (limits), before anything runs */
	SPAWN_STEP_SIGNALS,     /* unblock signals, default dispositions */
	SPAWN_STEP_PDEATHSIG,   /* die with corrald */
	SPAWN_STEP_SETSID,      /* own session: no terminal signals from corrald's tty */
	SPAWN_STEP_STDIO,       /* stdin, stdout, stderr */
	SPAWN_STEP_NAMESPACES,  /* made by clone3; the loopback brought up */
	SPAWN_STEP_MOUNTS,      /* /proc, private_tmp, bind_paths, read-only, inaccessible */
	SPAWN_STEP_RLIMITS,     /* corrald's raised fd limit back to what it found, then
				 * the program's rlimit_* keys */
	SPAWN_STEP_UMASK,
	SPAWN_STEP_USER,        /* setgroups, setresgid, setresuid */
	SPAWN_STEP_USERNS,      /* the user namespace, mapping that (non-root) user */
	SPAWN_STEP_CHDIR,       /* as the worker's user */
	SPAWN_STEP_CAPS,        /* bounding, permitted, effective, inheritable, ambient */
	SPAWN_STEP_NNP,         /* no_new_privs */
	SPAWN_STEP_FDS,         /* everything above 2 close-on-exec, the given ones
				 * in place (and LISTEN_PID written for them) */
	SPAWN_STEP_SECCOMP,     /* last before exec: the filter covers the exec */
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
	/* cgroup.procs files (cgroup v1) the child writes itself into first of
	 * all, before it can fork: where its limits live on a hybrid host. */
	const int *cgroup1_procs;
	int ncgroup1;
	bool outlive_parent;    /* no PR_SET_PDEATHSIG (corrald's guard only) */
	/* More descriptors the worker gets: extra[i][0] becomes extra[i][1]
	 * (a ready fd, listening sockets at 3...); at most SPAWN_MAX_EXTRA. */
	const int (*extra)[2];
	int nextra;
	/* Socket activation: NULL, or the digits part of a "LISTEN_PID=" entry
	 * of envp with room for 11 bytes. The child writes its own pid there
	 * (getpid(): in a PID namespace of its own, 1), which the parent cannot
	 * know before the fork; it writes into its own copy of the memory. */
	char *listen_pid;
	const struct sandbox *sandbox; /* the program's sandbox, compiled; NULL: none */
};

#define SPAWN_MAX_EXTRA 16

struct spawn_report {
	int32_t pid;            /* the child that failed */
	int32_t step;           /* enum spawn_step */
	int32_t err;            /* errno */
	int32_t detail;         /* which part of the step (see sandbox_describe) */
};

struct spawn_result {
	pid_t pid;
	int pidfd;              /* O_CLOEXEC, owned by the caller */
};

/* Create the report pipe that every child shares: one descriptor for all
 * spawns, none per spawn. A child writes its report (16 bytes: atomic in a
 * pipe) before it exits, so the report of a child is always readable by
 * the time its exit is seen. Also reserves the few low descriptors and the
 * stack the shared spawn works with (spawn.c): call it early, while the
 * lowest free descriptors are low. Returns the read end (O_NONBLOCK,
 * O_CLOEXEC; owned by spawn) or -errno. */
int spawn_init(void);
void spawn_fini(void);

/* Create the process; it runs on without us. 0, or -errno when even the
 * clone failed (then there is no child and nothing to close). Its cost
 * does not grow with corrald's memory or descriptors where the shared
 * spawn works (spawn_shared()): the call returns once the child has
 * exec'd or failed. Else a plain fork, which returns at once. */
int spawn_process(const struct spawn_request *req, struct spawn_result *res);

/* Does spawn_process() use the shared spawn (clone3 with CLONE_VM,
 * CLONE_VFORK and CLONE_FILES)? */
bool spawn_shared(void);

/* Take one report from the shared pipe: 1 with *REP filled, 0 when there
 * is none, or -errno. */
int spawn_next_report(struct spawn_report *rep);

/* "chdir /nope: No such file or directory" for REP, naming the step's
 * argument from REQ-like values (SANDBOX may be NULL). */
void spawn_describe(const struct spawn_report *rep, const char *directory, const char *argv0,
		    const struct sandbox *sandbox, char *buf, size_t len);

/* supervisord's checks of a command before it forks, in its words: 0 when
 * ARGV0, looked up in the PATH of ENVIRONMENT ("K=V" entries; NULL or none
 * there: corrald's PATH, else /usr/local/bin:/usr/bin:/bin) unless it holds
 * a '/', names a file that may be run. Else -ENOENT ("can't find command
 * 'x'") or -EACCES ("command at '/x' is a directory", "... is not
 * executable", "no permission to run command '/x'"), the words in WHY. */
int spawn_check_command(const char *argv0, char *const *environment, char *why, size_t len);

#endif
