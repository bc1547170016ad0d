#include "supervisor/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/sched.h>
#include <linux/close_range.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ipc/io.h"
#include "sandbox/fds.h"
#include "sandbox/sandbox.h"

static const char *const step_names[] = {
	[SPAWN_STEP_CGROUP1] = "cgroup v1", [SPAWN_STEP_SIGNALS] = "signals",
	[SPAWN_STEP_PDEATHSIG] = "pdeathsig",
	[SPAWN_STEP_SETSID] = "setsid", [SPAWN_STEP_STDIO] = "stdio",
	[SPAWN_STEP_NAMESPACES] = "namespaces", [SPAWN_STEP_MOUNTS] = "mounts",
	[SPAWN_STEP_RLIMITS] = "setrlimit", [SPAWN_STEP_UMASK] = "umask",
	[SPAWN_STEP_USER] = "user", [SPAWN_STEP_USERNS] = "user namespace",
	[SPAWN_STEP_CHDIR] = "chdir", [SPAWN_STEP_CAPS] = "capabilities",
	[SPAWN_STEP_NNP] = "no_new_privs", [SPAWN_STEP_FDS] = "close fds",
	[SPAWN_STEP_SECCOMP] = "seccomp", [SPAWN_STEP_EXEC] = "exec",
};

/* The sandbox part of each spawn step that has one. */
static const struct {
	enum spawn_step step;
	enum sandbox_step sbx;
} sandbox_steps[] = {
	{ SPAWN_STEP_NAMESPACES, SANDBOX_NAMESPACES }, { SPAWN_STEP_MOUNTS, SANDBOX_MOUNTS },
	{ SPAWN_STEP_RLIMITS, SANDBOX_RLIMITS }, { SPAWN_STEP_USER, SANDBOX_USER },
	{ SPAWN_STEP_USERNS, SANDBOX_USERNS }, { SPAWN_STEP_CAPS, SANDBOX_CAPS },
	{ SPAWN_STEP_NNP, SANDBOX_NNP }, { SPAWN_STEP_SECCOMP, SANDBOX_SECCOMP },
};

/* What the child works from. In the shared spawn (below) it lives on
 * corrald's stack, which the child may read but never writes: corrald waits,
 * suspended, until the child has exec'd or exited. */
struct child_ctx {
	const struct spawn_request *req;
	int report;                     /* the report pipe's write end, as the child sees it */
	pid_t parent;                   /* corrald */
	int stdio[3];                   /* req->stdio as the child sees them */
	int extra[SPAWN_MAX_EXTRA];     /* req->extra[i][0] as the child sees them */
	unsigned keep_below;            /* shared: the fd table is unshared, keeping only these */
};

/* In a new PID namespace getpid() says 1; the /proc corrald mounted (not
 * yet replaced: that is a later step) still names us as corrald sees us. */
static pid_t outer_pid(void)
{
	char self[32];
	ssize_t n = readlink("/proc/self", self, sizeof self - 1);
	int pid = 0;
	for (ssize_t i = 0; i < n && self[i] >= '0' && self[i] <= '9'; i++)
		pid = pid * 10 + (self[i] - '0');
	return pid > 0 ? pid : getpid();
}

/* Where the child reports a failure, and the pid corrald knows it by. */
struct reporter {
	int fd;
	pid_t pid;
};

static _Noreturn void child_fail_at(const struct reporter *to, enum spawn_step step, int err,
				    int detail)
{
	struct spawn_report rep = { .pid = to->pid, .step = step, .err = err, .detail = detail };
	/* One small write to a pipe is atomic; nothing more can be done if it fails. */
	(void)!write(to->fd, &rep, sizeof rep);
	_exit(127);
}

static _Noreturn void child_fail(const struct reporter *to, enum spawn_step step, int err)
{
	child_fail_at(to, step, err, 0);
}

static int report_pipe[2] = { -1, -1 };

/* The signals a child may find ignored, bit S-1 for signal S: those
 * ignored when spawn_init ran (what started corrald may have ignored
 * some; corrald ignores SIGPIPE) and SIGPIPE. The child resets only
 * these: CLONE_CLEAR_SIGHAND has reset every handled one, and 64 system
 * calls a spawn, while corrald waits for the exec, were a fortieth of a
 * spawn's cost. A signal corrald comes to ignore after spawn_init must
 * be added here. */
static uint64_t ignored = 1ULL << (SIGPIPE - 1);

static void ignored_init(void)
{
	for (int s = 1; s < _NSIG && s <= 64; s++) {
		unsigned long old[8] = { 0 }; /* the kernel's struct: handler first */
		if (syscall(SYS_rt_sigaction, s, NULL, old, (size_t)(_NSIG / 8)) == 0 &&
		    old[0] == (unsigned long)SIG_IGN)
			ignored |= 1ULL << (s - 1);
	}
}

/* PID in decimal, NUL-terminated, at BUF (room for 11 bytes). */
static void put_pid(char *buf, pid_t pid)
{
	char digits[12];
	int n = 0;
	unsigned long v = pid > 0 ? (unsigned long)pid : 0;
	do
		digits[n++] = (char)('0' + v % 10);
	while ((v /= 10) && n < 10);
	for (int i = 0; i < n; i++)
		buf[i] = digits[n - 1 - i];
	buf[n] = '\0';
}

/* execve of ARGV[0], looked for, when it has no '/', in the PATH of the
 * program's own environment, as supervisord looks (execvpe would search
 * corrald's), else corrald's, else supervisord's default. Returns only on
 * failure, with errno: EACCES when some candidate was found but could not
 * be run, else the last error. Async-signal-safe: no allocation. */
static void exec_in_path(char *const argv[], char *const envp[])
{
	const char *file = argv[0];
	if (strchr(file, '/')) {
		execve(file, argv, envp);
		return;
	}
	const char *dirs = NULL;
	for (char *const *e = envp; *e && !dirs; e++)
		if (strncmp(*e, "PATH=", 5) == 0)
			dirs = *e + 5;
	if (!dirs)
		dirs = getenv("PATH");
	if (!dirs)
		dirs = "/usr/local/bin:/usr/bin:/bin";
	char path[PATH_MAX];
	size_t flen = strlen(file);
	bool denied = false;
	int last = ENOENT;
	for (const char *d = dirs;;) {
		size_t n = strcspn(d, ":");
		if (n + 1 + flen < sizeof path) {
			/* an empty entry is the working directory */
			size_t off = 0;
			if (n) {
				memcpy(path, d, n);
				path[n] = '/';
				off = n + 1;
			}
			memcpy(path + off, file, flen + 1);
			execve(path, argv, envp);
			if (errno == EACCES)
				denied = true;
			else if (errno != ENOENT && errno != ENOTDIR)
				last = errno; /* found, but not runnable: say why */
			if (errno != ENOENT && errno != ENOTDIR && errno != EACCES)
				return;
		}
		if (!d[n])
			break;
		d += n + 1;
	}
	errno = denied ? EACCES : last;
}

/* The child between fork and exec: only async-signal-safe calls, and the
 * steps in this order. Signals first so nothing corrald blocked leaks into
 * the worker; pdeathsig before anything slow so a corrald that dies now
 * still takes the child along; chdir after stdio so its error can be
 * reported by the same pipe either way. */
static _Noreturn void child(const struct child_ctx *cx)
{
	const struct spawn_request *req = cx->req;
	const struct sandbox *sbx = req->sandbox;
	bool new_pid = sbx && sandbox_new_pid(sbx);
	struct reporter report_to = { .fd = cx->report, .pid = new_pid ? outer_pid() : getpid() };
	const struct reporter *report = &report_to;
	/* Its v1 cgroups (limits), while the descriptors are corrald's still
	 * (the table may be shared until the next step): "0" is the writer. */
	for (int i = 0; i < req->ncgroup1; i++)
		if (write(req->cgroup1_procs[i], "0", 1) != 1)
			child_fail(report, SPAWN_STEP_CGROUP1, errno ? errno : EIO);
	/* Shared spawn: a table of our own, with only the few descriptors
	 * below keep_below copied (stdio, the report pipe, what is handed
	 * over): the kernel copies and the exec closes those, not corrald's
	 * thousands. Before anything else: until then, every change to the
	 * table would be corrald's. */
	if (cx->keep_below &&
	    syscall(SYS_close_range, cx->keep_below, ~0U, CLOSE_RANGE_UNSHARE) < 0)
		child_fail(report, SPAWN_STEP_FDS, errno);
	sigset_t all;
	sigemptyset(&all);
	if (sigprocmask(SIG_SETMASK, &all, NULL) < 0)
		child_fail(report, SPAWN_STEP_SIGNALS, errno);
	/* Every disposition back to the default: corrald ignores SIGPIPE, and
	 * whatever started corrald may have ignored others (nohup ignores
	 * SIGHUP), which exec keeps and which a shell's trap then cannot undo.
	 * (Handlers are reset by CLONE_CLEAR_SIGHAND, ignored ones are not.)
	 * The system call itself, not sigaction(): the C library refuses the
	 * real-time signals it keeps for itself (32, 33), which can arrive
	 * ignored all the same. All zeroes is SIG_DFL with no flags and an
	 * empty mask in the kernel's struct on every architecture. EINVAL:
	 * SIGKILL and SIGSTOP. */
	for (int s = 1; s < _NSIG; s++) {
		static const unsigned long dfl[8];
		if (!(ignored & (1ULL << (s - 1))))
			continue; /* handled (reset by the clone) or already SIG_DFL */
		if (syscall(SYS_rt_sigaction, s, dfl, NULL, (size_t)(_NSIG / 8)) < 0 && errno != EINVAL)
			child_fail(report, SPAWN_STEP_SIGNALS, errno);
	}

	int detail = 0, r;

	if (!req->outlive_parent) {
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
			child_fail(report, SPAWN_STEP_PDEATHSIG, errno);
		/* corrald died before prctl took effect. (A parent in another PID
		 * namespace reads as 0: there, corrald's guard covers the window.) */
		if (getppid() != (new_pid ? 0 : cx->parent))
			_exit(127);
	}

	if (setsid() < 0)
		child_fail(report, SPAWN_STEP_SETSID, errno);

	for (int i = 0; i < 3; i++) {
		if (cx->stdio[i] == i) {
			/* Already in place: dup2 would be a no-op that keeps CLOEXEC. */
			int fl = fcntl(i, F_GETFD);
			if (fl < 0 || fcntl(i, F_SETFD, fl & ~FD_CLOEXEC) < 0)
				child_fail(report, SPAWN_STEP_STDIO, errno);
		} else if (dup2(cx->stdio[i], i) < 0) {
			child_fail(report, SPAWN_STEP_STDIO, errno);
		}
	}

	/* The sandbox's steps in the order sandbox.h explains; the cgroup and
	 * the namespaces came with clone3. */
	if (sbx && (r = sandbox_child_namespaces(sbx, &detail)) < 0)
		child_fail_at(report, SPAWN_STEP_NAMESPACES, -r, detail);
	if (sbx && (r = sandbox_child_mounts(sbx, &detail)) < 0)
		child_fail_at(report, SPAWN_STEP_MOUNTS, -r, detail);

	if (req->nofile && setrlimit(RLIMIT_NOFILE, req->nofile) < 0)
		child_fail_at(report, SPAWN_STEP_RLIMITS, errno, RLIMITS_NOFILE);
	if (sbx && (r = sandbox_child_rlimits(sbx, &detail)) < 0)
		child_fail_at(report, SPAWN_STEP_RLIMITS, -r, detail);

	if (req->umask >= 0)
		umask((mode_t)req->umask);

	if (sbx && (r = sandbox_child_user(sbx, &detail)) < 0)
		child_fail_at(report, SPAWN_STEP_USER, -r, detail);
	if (sbx && (r = sandbox_child_userns(sbx, &detail)) < 0)
		child_fail_at(report, SPAWN_STEP_USERNS, -r, detail);

	/* As the worker's user, so its permissions decide. */
	if (req->directory && chdir(req->directory) < 0)
		child_fail(report, SPAWN_STEP_CHDIR, errno);

	if (sbx && (r = sandbox_child_caps(sbx, &detail)) < 0)
		child_fail_at(report, SPAWN_STEP_CAPS, -r, detail);
	if (sbx && (r = sandbox_child_nnp(sbx, &detail)) < 0)
		child_fail_at(report, SPAWN_STEP_NNP, -r, detail);

	r = fds_cloexec_from(3);
	if (r < 0)
		child_fail(report, SPAWN_STEP_FDS, -r);
	/* The descriptors it is given on purpose: first out of the way (a
	 * source may sit where another goes), then into place, open at exec. */
	int moved[SPAWN_MAX_EXTRA];
	for (int i = 0; i < req->nextra; i++)
		if ((moved[i] = fcntl(cx->extra[i], F_DUPFD_CLOEXEC, 64)) < 0)
			child_fail(report, SPAWN_STEP_FDS, errno);
	for (int i = 0; i < req->nextra; i++)
		if (dup2(moved[i], req->extra[i][1]) < 0)
			child_fail(report, SPAWN_STEP_FDS, errno);
	/* sd_listen_fds(3) believes LISTEN_FDS only when LISTEN_PID is the
	 * pid of the process reading it, which only now is known: written
	 * into the environment's placeholder, without allocating (in the
	 * shared spawn, corrald's own copy, which it no longer needs). */
	if (req->listen_pid)
		put_pid(req->listen_pid, getpid());

	/* Last: from here on only what the filter allows, and exec must be. */
	if (sbx && (r = sandbox_child_seccomp(sbx, &detail)) < 0)
		child_fail_at(report, SPAWN_STEP_SECCOMP, -r, detail);

	exec_in_path(req->argv, req->envp);
	child_fail(report, SPAWN_STEP_EXEC, errno);
}


/* The shared spawn: clone3 with CLONE_VM | CLONE_VFORK | CLONE_FILES, as
 * posix_spawn does with clone. The kernel then copies neither corrald's
 * page tables nor its fd table, which grow with the number of programs
 * (a pidfd and log pipes each): a plain fork copied both, and the exec
 * closed the copies one by one, so that N programs cost O(N^2). corrald
 * waits, suspended, until the child has exec'd (or failed and exited);
 * the child runs on a stack of its own and writes no memory of corrald's
 * (its locals are on that stack). Its first act is to unshare the fd
 * table, keeping only the descriptors below keep_below: corrald's first
 * few, the report pipe, and SLOTS reserved at start-up, which hold the
 * spawn's descriptors (its stdio's and the ones it is handed) for the
 * time of the clone and otherwise a copy of the report pipe's write end.
 * Where there is no trampoline (below) for the machine, or under a
 * sanitizer, which does not follow a stack switch, the plain fork. */
#if defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
#define SHARED_SPAWN 1
#else
#define SHARED_SPAWN 0
#endif

#if SHARED_SPAWN
#define SLOTS (3 + SPAWN_MAX_EXTRA)
#define CHILD_STACK (256 * 1024)
static int slot[SLOTS];
static unsigned keep_below;      /* above every slot and the report pipe; 0: no shared spawn */
static void *child_stack;        /* CHILD_STACK bytes above a guard page */

/* clone3 that runs FN(ARG) in the child, on ARGS's stack, and never
 * returns there (FN must not return either; if it does, the child exits
 * with its value). The parent gets the pid, or -errno. A plain syscall()
 * cannot do this: the child would return through corrald's stack frame. */
static long clone3_run(struct clone_args *args, void (*fn)(const struct child_ctx *),
		       const struct child_ctx *arg)
{
	long ret;
	register void (*r8)(const struct child_ctx *) __asm__("r8") = fn;
	register const struct child_ctx *r9 __asm__("r9") = arg;
	__asm__ volatile("syscall\n\t"
			 "test %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 "xor %%ebp, %%ebp\n\t"
			 "mov %%r9, %%rdi\n\t"
			 "call *%%r8\n\t"
			 "mov %%eax, %%edi\n\t"
			 "mov %[exit], %%eax\n\t"
			 "syscall\n\t"
			 "hlt\n"
			 "1:"
			 : "=a"(ret)
			 : "0"((long)SYS_clone3), "D"(args), "S"(sizeof *args), "r"(r8), "r"(r9),
			   [exit] "i"(SYS_exit)
			 : "rcx", "r11", "memory", "cc");
	return ret;
}

static void child_start(const struct child_ctx *cx)
{
	child(cx);
}

static void slots_free(void)
{
	for (int i = 0; i < SLOTS; i++)
		if (slot[i] >= 0) {
			close(slot[i]);
			slot[i] = -1;
		}
	if (child_stack) {
		munmap((char *)child_stack - 4096, CHILD_STACK + 4096);
		child_stack = NULL;
	}
	keep_below = 0;
}

/* The slots, at the lowest free numbers (spawn_init runs early: low ones),
 * and the child's stack. Without them, the plain fork. */
static void slots_init(void)
{
	int top = report_pipe[1];
	for (int i = 0; i < SLOTS; i++)
		slot[i] = -1;
	for (int i = 0; i < SLOTS; i++) {
		if ((slot[i] = fcntl(report_pipe[1], F_DUPFD_CLOEXEC, 0)) < 0) {
			slots_free();
			return;
		}
		if (slot[i] > top)
			top = slot[i];
	}
	/* close_range(2) with CLOSE_RANGE_UNSHARE: Linux 5.9. (Closing an fd
	 * that is not there does nothing.) */
	if (syscall(SYS_close_range, ~0U, ~0U, CLOSE_RANGE_UNSHARE) < 0) {
		slots_free();
		return;
	}
	void *m = mmap(NULL, CHILD_STACK + 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (m == MAP_FAILED || mprotect(m, 4096, PROT_NONE) < 0) {
		if (m != MAP_FAILED)
			munmap(m, CHILD_STACK + 4096);
		slots_free();
		return;
	}
	child_stack = (char *)m + 4096;
	keep_below = (unsigned)top + 1;
}

/* The clone puts the pidfd at corrald's lowest free descriptor while the
 * child shares corrald's table (CLONE_FILES), and a shared table that must
 * grow waits for an RCU grace period (expand_fdtable's synchronize_rcu):
 * 10 to 33 ms each time on this machine, a third of the start of 100
 * programs when corrald began with a 64-slot table (perf sched_switch:
 * expand_files <- alloc_fd <- pidfd_prepare <- copy_process). So the slot
 * is taken and given back first, while the table is corrald's alone: it
 * grows then, if it must, without the wait. */
static void room_for_pidfd(void)
{
	int fd = fcntl(report_pipe[1], F_DUPFD_CLOEXEC, 0);
	if (fd >= 0)
		close(fd);
}

/* FD as the child will see it: itself when it is below keep_below (and not
 * a slot, which no spawn is given), else copied into the next free slot.
 * One that cannot be copied stays as it is: the child finds it closed and
 * reports the step, as it would have after a fork. */
static int slot_put(int fd, int *used)
{
	if (fd < 0 || (unsigned)fd < keep_below)
		return fd;
	if (dup3(fd, slot[*used], O_CLOEXEC) < 0)
		return fd;
	return slot[(*used)++];
}

/* The slots used back to the report pipe: the spawn's descriptors are not
 * held a moment longer. */
static void slots_reset(int used)
{
	for (int i = 0; i < used; i++)
		(void)dup3(report_pipe[1], slot[i], O_CLOEXEC);
}
#endif

int spawn_init(void)
{
	ignored_init();
	if (pipe2(report_pipe, O_CLOEXEC) < 0)
		return -errno;
	/* Only our end is non-blocking: a child may wait to write its report. */
	if (fcntl(report_pipe[0], F_SETFL, O_NONBLOCK) < 0) {
		int e = errno;
		spawn_fini();
		return -e;
	}
#if SHARED_SPAWN
	slots_init();
#endif
	return report_pipe[0];
}

void spawn_fini(void)
{
#if SHARED_SPAWN
	slots_free();
#endif
	for (int i = 0; i < 2; i++)
		if (report_pipe[i] >= 0) {
			close(report_pipe[i]);
			report_pipe[i] = -1;
		}
}

bool spawn_shared(void)
{
#if SHARED_SPAWN
	return keep_below > 0;
#else
	return false;
#endif
}

int spawn_process(const struct spawn_request *req, struct spawn_result *res)
{
	if (report_pipe[1] < 0)
		return -EBADF;
	if (req->nextra < 0 || req->nextra > SPAWN_MAX_EXTRA)
		return -E2BIG;
	int pidfd = -1;
	struct clone_args args = {
		.flags = CLONE_PIDFD | CLONE_CLEAR_SIGHAND,
		.pidfd = (uint64_t)(uintptr_t)&pidfd,
		.exit_signal = SIGCHLD,
	};
	if (req->cgroup_fd >= 0) {
		args.flags |= CLONE_INTO_CGROUP;
		args.cgroup = (uint64_t)req->cgroup_fd;
	}
	/* Born in its namespaces: a worker with its own PID namespace must be
	 * its PID 1, which unshare() cannot make the caller. */
	if (req->sandbox)
		args.flags |= sandbox_clone_flags(req->sandbox);
	struct child_ctx cx = { .req = req, .report = report_pipe[1], .parent = getpid() };
	long pid;
#if SHARED_SPAWN
	if (keep_below) {
		int used = 0;
		for (int i = 0; i < 3; i++)
			cx.stdio[i] = req->stdio[i] == i ? i : slot_put(req->stdio[i], &used);
		for (int i = 0; i < req->nextra; i++)
			cx.extra[i] = slot_put(req->extra[i][0], &used);
		cx.keep_below = keep_below;
		room_for_pidfd();
		struct clone_args shared = args;
		shared.flags |= CLONE_VM | CLONE_VFORK | CLONE_FILES;
		shared.stack = (uint64_t)(uintptr_t)child_stack;
		shared.stack_size = CHILD_STACK;
		pid = clone3_run(&shared, child_start, &cx);
		slots_reset(used);
		if (pid < 0)
			return (int)pid;
		res->pid = (pid_t)pid;
		res->pidfd = pidfd; /* pidfds from clone3 are always close-on-exec */
		return 0;
	}
#endif
	/* The plain fork (no CLONE_VFORK): children exec in parallel while
	 * corrald goes on spawning; failures come back through the shared pipe. */
	for (int i = 0; i < 3; i++)
		cx.stdio[i] = req->stdio[i];
	for (int i = 0; i < req->nextra; i++)
		cx.extra[i] = req->extra[i][0];
	pid = syscall(SYS_clone3, &args, sizeof args);
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		close(report_pipe[0]);
		child(&cx);
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
		    const struct sandbox *sandbox, char *buf, size_t len)
{
	const char *name = "spawn";
	if (rep->step > 0 && (size_t)rep->step < sizeof step_names / sizeof step_names[0] &&
	    step_names[rep->step])
		name = step_names[rep->step];
	const char *arg = NULL;
	char part[PATH_MAX + 64];
	if (rep->step == SPAWN_STEP_CHDIR)
		arg = directory;
	else if (rep->step == SPAWN_STEP_EXEC)
		arg = argv0;
	else if (rep->step == SPAWN_STEP_RLIMITS)
		arg = rlimits_name(rep->detail);
	for (size_t i = 0; i < sizeof sandbox_steps / sizeof sandbox_steps[0] && sandbox; i++)
		if ((int)sandbox_steps[i].step == rep->step) {
			sandbox_describe(sandbox, sandbox_steps[i].sbx, rep->detail, part, sizeof part);
			arg = part[0] ? part : NULL;
		}
	snprintf(buf, len, "%s%s%s: %s", name, arg ? " " : "", arg ? arg : "", strerror(rep->err));
}

/* Append PIECE to BUF (N bytes used of LEN), as much as fits. */
static size_t append(char *buf, size_t len, size_t n, const char *piece)
{
	for (; *piece && n + 1 < len; piece++)
		buf[n++] = *piece;
	buf[n] = '\0';
	return n;
}

/* Python's repr() of a string, as supervisord's %r writes it: in single
 * quotes, or in double quotes when it holds a single quote and no double
 * one; backslashes, that quote and control characters escaped. */
static void py_repr(const char *s, char *buf, size_t len)
{
	char q = strchr(s, '\'') && !strchr(s, '"') ? '"' : '\'';
	char piece[8] = { q, '\0' };
	size_t n = append(buf, len, 0, piece);
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if (*c == '\\' || *c == (unsigned char)q)
			snprintf(piece, sizeof piece, "\\%c", *c);
		else if (*c == '\n')
			snprintf(piece, sizeof piece, "\\n");
		else if (*c == '\r')
			snprintf(piece, sizeof piece, "\\r");
		else if (*c == '\t')
			snprintf(piece, sizeof piece, "\\t");
		else if (*c < 0x20 || *c == 0x7f)
			snprintf(piece, sizeof piece, "\\x%02x", *c);
		else
			snprintf(piece, sizeof piece, "%c", *c);
		n = append(buf, len, n, piece);
	}
	piece[0] = q;
	piece[1] = '\0';
	append(buf, len, n, piece);
}

int spawn_check_command(const char *argv0, char *const *environment, char *why, size_t len)
{
	const char *dirs = getenv("PATH");
	for (char *const *e = environment; e && *e; e++)
		if (strncmp(*e, "PATH=", 5) == 0)
			dirs = *e + 5;
	if (!dirs)
		dirs = "/usr/local/bin:/usr/bin:/bin";
	char path[PATH_MAX], quoted[PATH_MAX * 2];
	const char *cmd = argv0;
	struct stat st;
	bool found = false;
	if (strchr(argv0, '/')) {
		found = stat(argv0, &st) == 0;
	} else {
		/* The first directory where the name exists, whatever it is
		 * (an empty entry is the working directory). */
		for (const char *d = dirs;;) {
			size_t n = strcspn(d, ":");
			if (n)
				snprintf(path, sizeof path, "%.*s/%s", (int)n, d, argv0);
			else
				snprintf(path, sizeof path, "%s", argv0);
			if (stat(path, &st) == 0) {
				cmd = path;
				found = true;
				break;
			}
			if (!d[n])
				break;
			d += n + 1;
		}
	}
	py_repr(cmd, quoted, sizeof quoted);
	if (!found) {
		snprintf(why, len, "can't find command %s", quoted);
		return -ENOENT;
	}
	if (S_ISDIR(st.st_mode)) {
		snprintf(why, len, "command at %s is a directory", quoted);
		return -EACCES;
	}
	if (!(st.st_mode & 0111)) {
		snprintf(why, len, "command at %s is not executable", quoted);
		return -EACCES;
	}
	if (access(cmd, X_OK) < 0) {
		snprintf(why, len, "no permission to run command %s", quoted);
		return -EACCES;
	}
	return 0;
}
