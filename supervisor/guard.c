#include "supervisor/guard.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ipc/io.h"
#include "supervisor/cgroup.h"
#include "supervisor/cgroup1.h"
#include "supervisor/spawn.h"

pid_t guard_start(const char *scope_path, int err_fd, int *pipe_fd, int *pidfd)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	char *argv[] = { "corrald", "--guard", (char *)scope_path, NULL };
	char *envp[] = { NULL };
	struct spawn_request req = {
		.argv = argv,
		.envp = envp,
		.umask = -1,
		.stdio = { p[0], err_fd, err_fd },
		.cgroup_fd = -1,          /* stays out of the scope it guards */
		.outlive_parent = true,   /* its whole point */
	};
	/* /proc/self/exe in the child is corrald's own binary. */
	argv[0] = "/proc/self/exe";
	struct spawn_result res;
	int r = spawn_process(&req, &res);
	close(p[0]);
	if (r < 0) {
		close(p[1]);
		return r;
	}
	*pipe_fd = p[1];
	*pidfd = res.pidfd;
	return res.pid;
}

void guard_stop(pid_t pid, int pipe_fd, int pidfd, int timeout_ms)
{
	if (pipe_fd >= 0)
		close(pipe_fd);
	(void)pid;
	if (pidfd < 0)
		return;
	struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
	while (poll(&pfd, 1, timeout_ms) < 0 && errno == EINTR)
		;
	siginfo_t si;
	si.si_pid = 0;
	if (waitid(P_PIDFD, (id_t)pidfd, &si, WEXITED | WNOHANG) == 0 && si.si_pid == 0)
		/* Still there after TIMEOUT_MS: do not leave it behind. */
		(void)syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
	close(pidfd);
}

int guard_main(const char *scope_path)
{
	/* corrald handles the terminal's and the service manager's signals; the
	 * guard outlives them until corrald is gone. */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	char buf[64];
	ssize_t n;
	while ((n = io_read_some(STDIN_FILENO, buf, sizeof buf)) > 0)
		;
	struct stat st;
	if (stat(scope_path, &st) < 0)
		return 0; /* corrald cleaned up after itself */

	char root[PATH_MAX];
	snprintf(root, sizeof root, "%s", scope_path);
	char *slash = strrchr(root, '/');
	if (!slash || slash == root) {
		fprintf(stderr, "corrald guard: bad scope path %s\n", scope_path);
		return 2;
	}
	*slash = '\0';
	int procs = 0, leaves = 0;
	char err[512];
	cgroup_scope_lock_patience(5000);
	int r = cgroup_scope_open(root, slash + 1, 5000, &procs, &leaves, err, sizeof err);
	if (r == 0)
		r = cgroup_scope_close(5000);
	/* and its cgroup v1 cgroups (limits), empty now */
	if (r == 0 && cgroup1_open(slash + 1, 0))
		cgroup1_close();
	if (r < 0)
		fprintf(stderr, "corrald guard: %s: %s\n", scope_path, r == -ETIMEDOUT ? "timed out" : err);
	else if (procs || leaves)
		fprintf(stderr,
			"corrald guard: corrald died without stopping its programs: killed %d "
			"processes in %s and removed it\n",
			procs, scope_path);
	return r < 0 ? 1 : 0;
}
