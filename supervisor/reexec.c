/* reexec — corrald execs itself, handing everything over (reexec.h). */
#include "supervisor/reexec.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "supervisor/cgroup.h"
#include "supervisor/core.h"
#include "supervisor/deps.h"
#include "supervisor/group.h"
#include "supervisor/handover.h"
#include "supervisor/hooks.h"
#include "supervisor/log.h"
#include "supervisor/notify.h"
#include "supervisor/process.h"
#include "supervisor/reload.h"
#include "supervisor/sockets.h"

#define PROBE_MS 10000 /* the new binary's --check of the config may take a while */

extern char **environ;

static int saved_argc;
static char **saved_argv;

void reexec_set_argv(int argc, char **argv)
{
	saved_argc = argc;
	saved_argv = argv;
}

int reexec_binary(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);
	if (n < 0)
		return -errno;
	if ((size_t)n >= len - 1)
		return -ENAMETOOLONG;
	buf[n] = '\0';
	static const char deleted[] = " (deleted)";
	size_t d = sizeof deleted - 1;
	if ((size_t)n > d && strcmp(buf + n - d, deleted) == 0)
		buf[n - d] = '\0';
	return 0;
}

/* BIN ARGS... with its output (stdout and stderr) into OUT, at most
 * PROBE_MS. Its exit status, or -errno (-ETIMEDOUT: killed). */
static int probe(const char *bin, char *const args[], char *out, size_t outlen)
{
	out[0] = '\0';
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&fa, p[1], STDERR_FILENO);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawnattr_t at;
	posix_spawnattr_init(&at);
	sigset_t none, all;
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_setsigmask(&at, &none); /* corrald blocks the signals it reads */
	posix_spawnattr_setsigdefault(&at, &all); /* and ignores SIGPIPE */
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	pid_t pid;
	int r = posix_spawn(&pid, bin, &fa, &at, args, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(p[1]);
	if (r != 0) {
		close(p[0]);
		return -r;
	}
	size_t got = 0;
	int64_t deadline = loop_now_ms() + PROBE_MS;
	bool killed = false;
	for (;;) {
		int64_t left = deadline - loop_now_ms();
		struct pollfd pfd = { .fd = p[0], .events = POLLIN };
		int n = left > 0 ? poll(&pfd, 1, (int)left) : 0;
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			kill(pid, SIGKILL);
			killed = true;
			break;
		}
		char buf[512];
		ssize_t k = read(p[0], buf, sizeof buf);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		size_t take = got + (size_t)k < outlen ? (size_t)k : outlen - 1 - got;
		memcpy(out + got, buf, take);
		got += take;
		out[got] = '\0';
	}
	close(p[0]);
	/* Its output is done; its exit, by the same deadline. */
	int pfd = killed ? -1 : (int)syscall(SYS_pidfd_open, pid, 0);
	if (!killed) {
		struct pollfd w = { .fd = pfd, .events = POLLIN };
		int64_t left = deadline - loop_now_ms();
		if (pfd < 0 || left <= 0 || poll(&w, 1, (int)left) <= 0) {
			kill(pid, SIGKILL);
			killed = true;
		}
		if (pfd >= 0)
			close(pfd);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0) /* exited, or killed just now */
		if (errno != EINTR)
			return -errno;
	if (killed)
		return -ETIMEDOUT;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The first line of TEXT, at most 300 bytes, for a message. */
static const char *first_line(char *text)
{
	text[strcspn(text, "\n")] = '\0';
	if (strlen(text) > 300)
		text[300] = '\0';
	return text;
}

/* reexec_binary() into BIN, or -1 with WHY. */
static int binary(char *bin, size_t len, char *why, size_t whylen)
{
	int r = reexec_binary(bin, len);
	if (r < 0)
		snprintf(why, whylen, "/proc/self/exe: %s", strerror(-r));
	return r < 0 ? -1 : 0;
}

static int check_binary(const char *bin, char *why, size_t whylen)
{
	struct stat st;
	if (stat(bin, &st) < 0) {
		snprintf(why, whylen, "%s: %s", bin, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode) || access(bin, X_OK) < 0) {
		snprintf(why, whylen, "%s: not an executable file", bin);
		return -1;
	}
	char out[4096], want[64];
	char *vargs[] = { (char *)bin, "--handover-version", NULL };
	int r = probe(bin, vargs, out, sizeof out);
	/* one line per version it reads */
	snprintf(want, sizeof want, "corral-handover %d", HANDOVER_VERSION);
	bool reads = false;
	for (const char *l = out; r == 0 && !reads && *l; l += strcspn(l, "\n"), l += *l == '\n')
		reads = strncmp(l, want, strlen(want)) == 0 &&
			(l[strlen(want)] == '\n' || l[strlen(want)] == '\0');
	if (!reads) {
		snprintf(why, whylen, "%s does not take over from this corrald (it reads no "
			 "handover record of version %d: %s)", bin, HANDOVER_VERSION,
			 r < 0 ? strerror(-r) : out[0] ? first_line(out) : "says nothing");
		return -1;
	}
	char *cargs[] = { (char *)bin, "--check", "-c", (char *)core.config_path, NULL };
	r = probe(bin, cargs, out, sizeof out);
	if (r != 0) {
		snprintf(why, whylen, "%s --check -c %s fails%s%s", bin, core.config_path,
			 r < 0 ? ": " : ": ", r < 0 ? strerror(-r) : first_line(out));
		return -1;
	}
	return 0;
}

/* corralctl run's program PROG: a part "run" of its name (str directory,
 * "" for none; u32 n, then n strs: its command line), and its caller's
 * stdin, stdout and stderr as "run-stdio" "NAME/0" to "NAME/2". 0 or -ENOMEM. */
static int run_carry(struct handover *h, const struct program *prog)
{
	const struct program_config *c = prog->cfg;
	struct handover_out o = { 0 };
	handover_put_str(&o, c->directory ? c->directory : "");
	uint32_t n = 0;
	while (c->argv[n])
		n++;
	handover_put_u32(&o, n);
	for (uint32_t i = 0; i < n; i++)
		handover_put_str(&o, c->argv[i]);
	if (handover_add_part(h, "run", c->name, &o) < 0)
		return -ENOMEM;
	char key[PATH_MAX];
	for (int k = 0; k < 3; k++) {
		snprintf(key, sizeof key, "%s/%d", c->name, k);
		if (prog->procs[0]->stdio[k] >= 0 &&
		    handover_add_fd(h, "run-stdio", key, prog->procs[0]->stdio[k]) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* The record of everything that goes across, into H; 0, or -1 with WHY. */
static int build(struct handover *h, const struct reexec_guard *g, char *why, size_t whylen)
{
	h->version = strdup(CORRAL_VERSION);
	h->config_path = strdup(core.config_path);
	h->scope_path = strdup(core.cgroups && cgroup_scope_path() ? cgroup_scope_path() : "");
	if (!h->version || !h->config_path || !h->scope_path) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	if (core.cgroups && cgroup_scope_fd() >= 0 &&
	    handover_add_fd(h, "scope", h->scope_path, cgroup_scope_fd()) < 0) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	h->guard_pid = g ? g->pid : 0;
	h->guard_pipe = g ? g->pipe : -1;
	h->guard_pidfd = g ? g->pidfd : -1;
	for (struct program *prog = core.programs; prog; prog = prog->next) {
		if (prog->retiring || prog->waiting) {
			snprintf(why, whylen, "%s is being replaced by a reload: try again once it "
				 "is done", prog->cfg->name);
			return -1;
		}
		if (prog->transient && run_carry(h, prog) < 0) {
			snprintf(why, whylen, "out of memory");
			return -1;
		}
		for (int i = 0; i < prog->nprocs; i++) {
			struct handover_proc *hp = handover_add_proc(h, prog->procs[i]->name);
			if (!hp) {
				snprintf(why, whylen, "out of memory");
				return -1;
			}
			if (!process_carry(prog->procs[i], hp, why, whylen))
				return -1;
		}
	}
	if (sockets_handover(h) < 0 || group_handover(h) < 0 || notify_handover(h) < 0) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	return hooks_handover(h, why, whylen) < 0 ? -1 : 0;
}

int reexec_check(char *why, size_t whylen)
{
	why[0] = '\0';
	if (core.shutting_down) {
		snprintf(why, whylen, "corrald is shutting down");
		return -1;
	}
	char bin[PATH_MAX];
	if (binary(bin, sizeof bin, why, whylen) < 0)
		return -1;
	struct handover h = { 0 };
	int r = build(&h, NULL, why, whylen);
	handover_free(&h);
	if (r < 0 || reload_unchanged(why, whylen) < 0 || check_binary(bin, why, whylen) < 0)
		return -1;
	return 0;
}

/* FD open across the exec (or back to close-on-exec). */
static void keep(int fd, bool on)
{
	if (fd >= 0)
		(void)fcntl(fd, F_SETFD, on ? 0 : FD_CLOEXEC);
}

static void keep_all(const struct handover *h, bool on)
{
	for (size_t i = 0; i < h->nfds; i++)
		keep(h->fds[i].fd, on);
	keep(h->guard_pipe, on);
	keep(h->guard_pidfd, on);
	for (size_t i = 0; i < h->nprocs; i++) {
		keep(h->procs[i].pidfd, on);
		keep(h->procs[i].out.pipe_fd, on);
		keep(h->procs[i].err.pipe_fd, on);
		keep(h->procs[i].ready_fd, on);
	}
}

int reexec_exec(const struct reexec_guard *g, char *why, size_t whylen)
{
	char bin[PATH_MAX];
	if (binary(bin, sizeof bin, why, whylen) < 0)
		return -1;
	struct handover h = { 0 };
	if (build(&h, g, why, whylen) < 0) {
		handover_free(&h);
		return -1;
	}
	int fd = handover_write(&h);
	if (fd < 0) {
		snprintf(why, whylen, "the handover record: %s", strerror(-fd));
		handover_free(&h);
		return -1;
	}
	/* corrald's command line without an earlier --handover, then the new one;
	 * in the foreground: a daemon is in the background already. */
	char **args = calloc((size_t)saved_argc + 5, sizeof *args);
	char fdtext[16];
	snprintf(fdtext, sizeof fdtext, "%d", fd);
	if (!args) {
		snprintf(why, whylen, "out of memory");
		close(fd);
		handover_free(&h);
		return -1;
	}
	int n = 0;
	args[n++] = bin;
	for (int i = 1; i < saved_argc; i++) {
		if (strcmp(saved_argv[i], "--handover") == 0) {
			i++;
			continue;
		}
		if (strncmp(saved_argv[i], "--handover=", 11) == 0 ||
		    strcmp(saved_argv[i], "--nodaemon") == 0) /* added below, once */
			continue;
		args[n++] = saved_argv[i];
	}
	args[n++] = "--nodaemon";
	args[n++] = "--handover";
	args[n++] = fdtext;
	args[n] = NULL;
	struct stat st;
	long long bytes = fstat(fd, &st) == 0 ? (long long)st.st_size : -1;
	log_info("re-executing %s (%zu processes, %zu descriptors handed over; a record of "
		 "%lld bytes)", bin, h.nprocs, h.nfds, bytes);
	keep_all(&h, true);
	execve(bin, args, environ);
	int r = errno;
	keep_all(&h, false);
	close(fd);
	free(args);
	handover_free(&h);
	snprintf(why, whylen, "exec %s: %s", bin, strerror(r));
	return -1;
}

int reexec_adopt(char *why, size_t whylen)
{
	const struct handover *h = handover_current();
	if (!h)
		return 0;
	int r = 0;
	char msg[PATH_MAX + 256];
	for (size_t i = 0; i < h->nprocs; i++) {
		const struct handover_proc *hp = &h->procs[i];
		struct process *p = core_find_process(hp->name);
		int e = p ? process_adopt(p, hp, msg, sizeof msg) : -ENOENT;
		if (e == 0) {
			deps_adopt(p, hp->dep_waiting, hp->dep_restart);
			hooks_process_adopted(p);
			continue;
		}
		if (!p)
			snprintf(msg, sizeof msg, "%s: not in the config any more", hp->name);
		log_err("handover: %s: killing pid %d", msg, hp->pid);
		if (hp->pidfd >= 0) {
			syscall(SYS_pidfd_send_signal, hp->pidfd, SIGKILL, NULL, 0);
			if (!p || p->pidfd != hp->pidfd)
				close(hp->pidfd);
		}
		/* Its log pipes, unless a stream of it took them. */
		const int ends[2] = { hp->out.pipe_fd, hp->err.pipe_fd };
		for (int k = 0; k < 2; k++)
			if (ends[k] >= 0 && (!p || (p->out.pipe_fd != ends[k] &&
						  p->err.pipe_fd != ends[k])))
				close(ends[k]);
		if (hp->ready_fd >= 0 && (!p || p->ready_pipe != hp->ready_fd))
			close(hp->ready_fd);
		if (r == 0)
			snprintf(why, whylen, "%s", msg);
		r = -1;
	}
	return r;
}
