#include "supervisor/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ipc/io.h"
#include "sandbox/fds.h"

static const char *const step_names[] = {
	[SPAWN_STEP_SIGNALS] = "signals", [SPAWN_STEP_PDEATHSIG] = "pdeathsig",
	[SPAWN_STEP_SETSID] = "setsid", [SPAWN_STEP_STDIO] = "stdio",
	[SPAWN_STEP_RLIMITS] = "setrlimit", [SPAWN_STEP_UMASK] = "umask", [SPAWN_STEP_CHDIR] = "chdir",
	[SPAWN_STEP_FDS] = "close fds", [SPAWN_STEP_EXEC] = "exec",
};

static _Noreturn void child_fail(int fd, enum spawn_step step, int err)
{
	struct spawn_report rep = { .pid = getpid(), .step = step, .err = err };
	/* One small write to a pipe is atomic; nothing more can be done if it fails. */
	(void)!write(fd, &rep, sizeof rep);
	_exit(127);
}

/* The child between fork and exec: only async-signal-safe calls, and the
 * steps in this order. Signals first so nothing corrald blocked leaks into
 * the worker; pdeathsig before anything slow so a corrald that dies now
 * still takes the child along; chdir after stdio so its error can be
 * reported by the same pipe either way. */
static _Noreturn void child(const struct spawn_request *req, int report, pid_t parent)
{
	sigset_t all;
	sigemptyset(&all);
	if (sigprocmask(SIG_SETMASK, &all, NULL) < 0)
		child_fail(report, SPAWN_STEP_SIGNALS, errno);
	/* corrald ignores SIGPIPE; the worker must get the default back.
	 * (Handlers are reset by CLONE_CLEAR_SIGHAND, ignored ones are not.) */
	if (signal(SIGPIPE, SIG_DFL) == SIG_ERR)
		child_fail(report, SPAWN_STEP_SIGNALS, errno);

	if (!req->outlive_parent) {
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
			child_fail(report, SPAWN_STEP_PDEATHSIG, errno);
		if (getppid() != parent)  /* corrald died before prctl took effect */
			_exit(127);
	}

	if (setsid() < 0)
		child_fail(report, SPAWN_STEP_SETSID, errno);

	for (int i = 0; i < 3; i++) {
		if (req->stdio[i] == i) {
			/* Already in place: dup2 would be a no-op that keeps CLOEXEC. */
			int fl = fcntl(i, F_GETFD);
			if (fl < 0 || fcntl(i, F_SETFD, fl & ~FD_CLOEXEC) < 0)
				child_fail(report, SPAWN_STEP_STDIO, errno);
		} else if (dup2(req->stdio[i], i) < 0) {
			child_fail(report, SPAWN_STEP_STDIO, errno);
		}
	}

	if (req->nofile && setrlimit(RLIMIT_NOFILE, req->nofile) < 0)
		child_fail(report, SPAWN_STEP_RLIMITS, errno);

	if (req->umask >= 0)
		umask((mode_t)req->umask);

	if (req->directory && chdir(req->directory) < 0)
		child_fail(report, SPAWN_STEP_CHDIR, errno);

	int r = fds_cloexec_from(3);
	if (r < 0)
		child_fail(report, SPAWN_STEP_FDS, -r);

	execvpe(req->argv[0], req->argv, req->envp);
	child_fail(report, SPAWN_STEP_EXEC, errno);
}

static int report_pipe[2] = { -1, -1 };

int spawn_init(void)
{
	if (pipe2(report_pipe, O_CLOEXEC) < 0)
		return -errno;
	/* Only our end is non-blocking: a child may wait to write its report. */
	if (fcntl(report_pipe[0], F_SETFL, O_NONBLOCK) < 0) {
		int e = errno;
		spawn_fini();
		return -e;
	}
	return report_pipe[0];
}

void spawn_fini(void)
{
	for (int i = 0; i < 2; i++)
		if (report_pipe[i] >= 0) {
			close(report_pipe[i]);
			report_pipe[i] = -1;
		}
}

int spawn_process(const struct spawn_request *req, struct spawn_result *res)
{
	if (report_pipe[1] < 0)
		return -EBADF;
	pid_t parent = getpid();
	int pidfd = -1;
	/* A plain fork (no CLONE_VFORK): children exec in parallel while
	 * corrald goes on spawning; failures come back through the shared pipe. */
	struct clone_args args = {
		.flags = CLONE_PIDFD | CLONE_CLEAR_SIGHAND,
		.pidfd = (uint64_t)(uintptr_t)&pidfd,
		.exit_signal = SIGCHLD,
	};
	if (req->cgroup_fd >= 0) {
		args.flags |= CLONE_INTO_CGROUP;
		args.cgroup = (uint64_t)req->cgroup_fd;
	}
	long pid = syscall(SYS_clone3, &args, sizeof args);
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		close(report_pipe[0]);
		child(req, report_pipe[1], parent);
	}
	res->pid = (pid_t)pid;
	res->pidfd = pidfd; /* pidfds from clone3 are always close-on-exec */
	return 0;
}

int spawn_next_report(struct spawn_report *rep)
{
	ssize_t n = io_read_some(report_pipe[0], rep, sizeof *rep);
	if (n == -EAGAIN || n == 0)
		return 0;
	if (n < 0)
		return (int)n;
	if ((size_t)n != sizeof *rep) /* cannot happen: writes of this size are atomic */
		return -EPROTO;
	return 1;
}

void spawn_describe(const struct spawn_report *rep, const char *directory, const char *argv0,
		    char *buf, size_t len)
{
	const char *name = "spawn";
	if (rep->step > 0 && (size_t)rep->step < sizeof step_names / sizeof step_names[0])
		name = step_names[rep->step];
	const char *arg = NULL;
	if (rep->step == SPAWN_STEP_CHDIR)
		arg = directory;
	else if (rep->step == SPAWN_STEP_EXEC)
		arg = argv0;
	snprintf(buf, len, "%s%s%s: %s", name, arg ? " " : "", arg ? arg : "", strerror(rep->err));
}
