#include "supervisor/process.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ipc/io.h"
#include "supervisor/cgroup.h"
#include "supervisor/cgroup1.h"
#include "supervisor/core.h"
#include "supervisor/hooks.h"
#include "supervisor/log.h"
#include "supervisor/path.h"
#include "supervisor/pipeline.h"
#include "supervisor/sdlog.h"
#include "supervisor/sockets.h"
#include "supervisor/spawn.h"

extern char **environ;

/* A tree being killed that is not empty after this long is killed again
 * (and the log says so): a process stuck in the kernel must not make the
 * wait unbounded or silent. */
#define DRAIN_REPEAT_MS 5000
/* A scope without cgroup.events (cgroup v1) is counted this often as it empties. */
#define DRAIN_POLL_MS 10

/* The variables a worker gets besides corrald's and its program's. */
#define ENV_HOOKS 2    /* from the hooks' on_spawn_env, at most */
#define ENV_NAMES (9 + ENV_HOOKS) /* 4 names, NOTIFY_SOCKET, WATCHDOG_USEC, 3 LISTEN_* */

/* What follows for the others when a process changes (the core's). */
static const struct process_policy *policy;

static loop_watch_fn pidfd_readable, cgevents_readable, ready_readable;
static loop_timer_fn process_due;

void process_set_policy(const struct process_policy *pol)
{
	policy = pol;
}

static int pidfd_signal(int pidfd, int sig)
{
	return syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0 ? -errno : 0;
}

/* ---- a process made and unmade ---- */

static void close_ready(struct process *p);

void process_init(struct process *p, struct program *prog, char *name)
{
	memset(p, 0, sizeof *p);
	p->prog = prog;
	p->name = name;
	program_init(&p->fsm);
	p->pidfd = -1;
	loop_watch_init(&p->pid_watch, pidfd_readable, p);
	p->events_fd = -1;
	loop_watch_init(&p->events_watch, cgevents_readable, p);
	p->stdio[0] = p->stdio[1] = p->stdio[2] = -1;
	p->ready_pipe = -1;
	loop_watch_init(&p->ready_watch, ready_readable, p);
	logstream_init(&p->out, p, p->name, LOG_STDOUT);
	logstream_init(&p->err, p, p->name, LOG_STDERR);
	loop_timer_init(&p->timer, process_due, p);
	p->exitcode = -1;
	p->info = "not started";
}

void process_release(struct process *p)
{
	core_unqueue(p);
	if (p->fsm.state == PSTATE_STOPPING)
		core.stopping--;
	hooks_process_changed(p, true);
	loop_timer_cancel(&p->timer);
	logstream_close(&p->out);
	logstream_close(&p->err);
	if (p->events_fd >= 0) {
		loop_unwatch(&p->events_watch);
		close(p->events_fd);
	}
	if (core.cgroups && p->leaf_used && cgroup_leaf_remove(p->name) < 0)
		log_debug("%s: cgroup not removed (processes left in it)", p->name);
	if (p->leaf1_used && cgroup1_leaf_remove(p->name) < 0)
		log_debug("%s: cgroup v1 cgroups not removed (processes left in them)", p->name);
	if (p->pidfd >= 0) { /* only at exit, after everything was stopped */
		loop_unwatch(&p->pid_watch);
		close(p->pidfd);
		pidmap_del(&core.pids, p->pid);
	}
	for (int k = 0; k < 3; k++)
		if (p->stdio[k] >= 0)
			close(p->stdio[k]);
	close_ready(p);
	free(p->status_text);
	free(p->spawnerr);
	free(p->name);
}

bool process_down(const struct process *p)
{
	return program_down(&p->fsm);
}

static void set_spawnerr(struct process *p, const char *msg)
{
	free(p->spawnerr);
	p->spawnerr = msg ? strdup(msg) : NULL;
}

/* P's command, directory, log files and environment: its own where the
 * config gave each process its own (supervisord's %(process_num)d). */
static struct program_instance process_values(const struct process *p)
{
	struct program_instance v;
	program_config_instance(p->prog->cfg, p->index, &v);
	return v;
}

/* ---- spawning ---- */

/* P's log file for one stream: the one configured, or NULL for NONE, or by
 * default LOGDIR/NAME.SUFFIX. NULL with *ERR set (-EINVAL, -ENAMETOOLONG)
 * when the default cannot be made inside logdir; it is logged here. */
static const char *log_path(const struct process *p, const char *configured, const char *suffix,
			    char *buf, size_t len, int *err)
{
	*err = 0;
	if (configured && strcmp(configured, "NONE") == 0)
		return NULL;
	if (configured && strcmp(configured, "AUTO") != 0)
		return configured;
	char file[NAME_MAX + 1];
	int n = snprintf(file, sizeof file, "%s.%s", p->name, suffix);
	if (n < 0 || (size_t)n >= sizeof file)
		*err = -ENAMETOOLONG;
	/* "group:proc" is a fine file name, but "group_proc" is kinder to
	 * shells. The config refuses names that are not one path component;
	 * should one get here all the same, it is refused, not joined. */
	for (char *c = file; !*err && *c; c++)
		if (*c == ':')
			*c = '_';
	if (!*err)
		*err = path_join(buf, len, core.current->cfg.logdir, file);
	if (*err) {
		log_err("%s: no %s log file in %s: %s", p->name, suffix, core.current->cfg.logdir,
			*err == -EINVAL ? "its name is not one path component" : strerror(-*err));
		return NULL;
	}
	return buf;
}

const char *process_log_path(const struct process *p, int which, char *buf, size_t len)
{
	const struct program_config *c = p->prog->cfg;
	struct program_instance v = process_values(p);
	int err;
	if (which == LOG_STDERR && c->redirect_stderr)
		return NULL;
	return log_path(p, which == LOG_STDOUT ? v.stdout_logfile : v.stderr_logfile,
			which == LOG_STDOUT ? "out" : "err", buf, len, &err);
}

/* KEY=value entries: corrald's environment, overridden by the program's, and
 * the names that tell a worker who it is, in NAMES. The array is one
 * allocation; the strings it points to live in NAMES or elsewhere and
 * outlive the spawn. *LISTEN_PID is set to the placeholder the child fills
 * in (NULL: none). */
static char **build_env(const struct process *p, char names[ENV_NAMES][PATH_MAX],
			char **listen_pid)
{
	const struct program_config *c = p->prog->cfg;
	char **penv = process_values(p).environment;
	const char *proc = strchr(p->name, ':') ? strchr(p->name, ':') + 1 : p->name;
	const char *group = core_group_name(p->prog);
	size_t nnames = 4;
	/* What the parts above add: supervisord's SUPERVISOR_SERVER_URL, for
	 * childutils.getRPCInterface() and the like. */
	nnames += hooks_spawn_env(p, names + nnames, ENV_HOOKS);
	snprintf(names[0], PATH_MAX, "CORRAL_PROCESS_NAME=%s", proc);
	snprintf(names[1], PATH_MAX, "CORRAL_GROUP_NAME=%s", group);
	snprintf(names[2], PATH_MAX, "SUPERVISOR_PROCESS_NAME=%s", proc);
	snprintf(names[3], PATH_MAX, "SUPERVISOR_GROUP_NAME=%s", group);
	/* sd_notify, as systemd offers it to Type=notify services. */
	if ((c->ready == READY_NOTIFY || c->watchdog_sec > 0) && core.notify_path[0])
		snprintf(names[nnames++], PATH_MAX, "NOTIFY_SOCKET=%s", core.notify_path);
	if (c->watchdog_sec > 0)
		snprintf(names[nnames++], PATH_MAX, "WATCHDOG_USEC=%lld",
			 (long long)c->watchdog_sec * 1000000);
	/* Socket activation, as systemd passes sockets (sd_listen_fds(3)). The
	 * names fit: at most 15 of at most 255 bytes (config.c). */
	*listen_pid = NULL;
	if (c->nlisten) {
		snprintf(names[nnames++], PATH_MAX, "LISTEN_FDS=%d", c->nlisten);
		snprintf(names[nnames], PATH_MAX, "LISTEN_PID=%11s", "");
		*listen_pid = names[nnames++] + strlen("LISTEN_PID=");
		int len = snprintf(names[nnames], PATH_MAX, "LISTEN_FDNAMES=");
		for (int i = 0; i < c->nlisten && len < PATH_MAX; i++)
			len += snprintf(names[nnames] + len, (size_t)(PATH_MAX - len), "%s%s",
					i ? ":" : "", c->listen_names[i]);
		nnames++;
	}

	size_t nenv = 0, nprog = 0;
	while (environ[nenv])
		nenv++;
	while (penv[nprog])
		nprog++;
	char **env = calloc(nenv + nprog + ENV_NAMES + 1, sizeof *env);
	if (!env)
		return NULL;
	size_t n = 0;
	for (size_t i = 0; i < nenv; i++) {
		const char *eq = strchr(environ[i], '=');
		size_t klen = eq ? (size_t)(eq - environ[i]) : strlen(environ[i]);
		bool overridden = false;
		for (size_t j = 0; j < nprog && !overridden; j++)
			overridden = strncmp(penv[j], environ[i], klen) == 0 && penv[j][klen] == '=';
		for (size_t j = 0; j < nnames && !overridden; j++)
			overridden = strncmp(names[j], environ[i], klen) == 0 && names[j][klen] == '=';
		if (!overridden)
			env[n++] = environ[i];
	}
	for (size_t j = 0; j < nprog; j++)
		env[n++] = penv[j];
	for (size_t j = 0; j < nnames; j++)
		env[n++] = names[j];
	env[n] = NULL;
	return env;
}

/* One spawn: what it makes before the fork, and who owns each of those
 * until then. The plan owns every descriptor a step makes for the spawn
 * until a step hands it over (it sets its field to -1, "now owned by");
 * spawn_plan_release() closes what the plan still owns, spawned or not,
 * and is the only place that does: no step closes anything on its error
 * path. The descriptors a spawn borrows (the group's pipeline pipes,
 * corrald's sockets and /dev/null, corralctl run's stdio) it never closes. */
struct spawn_plan {
	struct process *p;
	const struct program_config *c;
	struct program_instance v;
	/* owned by the plan */
	int out_child, err_child;   /* the log pipes' ends for the worker's stdout, stderr */
	int cgroup_fd;              /* its new cgroup leaf, to be born in */
	int cg1[LIMITS_N + 1];      /* cgroup.procs of its v1 cgroups, for it to join:
				     * its scope's leaf (a v1 scope), its limits' */
	int ncg1;
	int ready[2];               /* ready = fd:N: our end, and the worker's */
	char **env;                 /* the array; its strings live in names or elsewhere */
	bool hooks_prepared;        /* the parts above made pipes: they hear how it went */
	/* borrowed */
	bool own_stdio;             /* corralctl run: the caller's stdio (p->stdio) */
	int pipe_in, pipe_out;      /* a pipeline stage's pipes (the group's) */
	int fcgi_fd;                /* an [fcgi-program:]'s socket (sockets.c's) */
	int extra[SPAWN_MAX_EXTRA][2]; /* the worker's fds above 2: [0] becomes [1] */
	int nextra;
	char *listen_pid;           /* in names: where the child writes its pid */
	char names[ENV_NAMES][PATH_MAX];
	struct spawn_request req;
	/* why it failed, for status and the log */
	char msg[PATH_MAX + 192];
	bool at_fork;               /* the failure is a plain fork's */
};

static void spawn_plan_init(struct spawn_plan *sp, struct process *p)
{
	sp->p = p;
	sp->c = p->prog->cfg;
	sp->v = process_values(p);
	sp->out_child = sp->err_child = sp->cgroup_fd = -1;
	sp->ncg1 = 0;
	sp->ready[0] = sp->ready[1] = -1;
	sp->env = NULL;
	sp->hooks_prepared = false;
	sp->own_stdio = p->stdio[0] >= 0;
	/* A pipeline stage reads the pipe before it and writes the one after,
	 * both held by corrald, instead of /dev/null and its stdout log. */
	sp->pipe_in = sp->pipe_out = -1;
	pipeline_ends(p, &sp->pipe_in, &sp->pipe_out);
	sp->fcgi_fd = -1;
	sp->nextra = 0;
	sp->listen_pid = NULL;
	sp->msg[0] = '\0';
	sp->at_fork = false;
}

/* Close what SP still owns. SPAWNED: the worker has its own copies of the
 * child's ends; else our ends go too, and P's log streams opened for it. */
static void spawn_plan_release(struct spawn_plan *sp, bool spawned)
{
	if (sp->hooks_prepared)
		hooks_spawn_done(sp->p, spawned);
	free(sp->env);
	while (sp->ncg1 > 0)
		close(sp->cg1[--sp->ncg1]);
	int *fds[] = { &sp->cgroup_fd, &sp->out_child, &sp->err_child, &sp->ready[1], &sp->ready[0] };
	for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
		if (*fds[i] >= 0) {
			close(*fds[i]);
			*fds[i] = -1;
		}
	if (!spawned) {
		logstream_close(&sp->p->out);
		logstream_close(&sp->p->err);
	}
}

/* Its stdout and stderr logs: the pipes' read ends are P's streams', the
 * write ends the plan's. */
static int plan_logs(struct spawn_plan *sp)
{
	struct process *p = sp->p;
	const struct program_config *c = sp->c;
	char path[PATH_MAX], why[PATH_MAX + 160];
	int r = 0;
	/* A pool worker's stdout carries its results (pool.c), not a log:
	 * nothing of corrald's reads it (NULL). */
	bool stdout_elsewhere = sp->own_stdio || p->prog->pool || sp->pipe_out >= 0 || c->is_listener;
	const char *opath = stdout_elsewhere ? NULL
			    : log_path(p, sp->v.stdout_logfile, "out", path, sizeof path, &r);
	if (r < 0) {
		snprintf(sp->msg, sizeof sp->msg, "open log %s.out in %s: %s", p->name,
			 core.current->cfg.logdir, strerror(-r));
		return r;
	}
	if (!opath && !stdout_elsewhere)
		opath = "NONE";
	if ((r = logstream_open(&p->out, c, opath, &sp->out_child, why, sizeof why)) < 0) {
		snprintf(sp->msg, sizeof sp->msg, "open log: %s", why);
		return r;
	}
	if (c->redirect_stderr || sp->own_stdio)
		return 0;
	const char *epath = log_path(p, sp->v.stderr_logfile, "err", path, sizeof path, &r);
	if (r < 0) {
		snprintf(sp->msg, sizeof sp->msg, "open log %s.err in %s: %s", p->name,
			 core.current->cfg.logdir, strerror(-r));
		return r;
	}
	if ((r = logstream_open(&p->err, c, epath ? epath : "NONE", &sp->err_child, why,
				sizeof why)) < 0)
		snprintf(sp->msg, sizeof sp->msg, "open log: %s", why);
	return r;
}

/* Its scope: a new cgroup leaf with the program's limits written into it,
 * which the worker is born in; nothing where scopes are process groups. */
static int plan_scope(struct spawn_plan *sp)
{
	struct process *p = sp->p;
	const struct sandbox *sbx = &sp->c->sandbox;
	int r;
	if (core.cgroups) {
		/* A fresh cgroup for each run: this kernel kills a process born by
		 * CLONE_INTO_CGROUP into a cgroup that was ever cgroup.kill'ed (the
		 * fork's kill sequence is taken from the parent's cgroup). Removing
		 * the empty leaf and making it anew also drops anything a worker
		 * left in it (sub-cgroups). It fails, harmlessly, only when
		 * killmode = process left processes in it. */
		if (p->leaf_used)
			(void)cgroup_leaf_remove(p->name);
		int fd = cgroup_leaf_open(p->name);
		if (fd == -ENOENT && cgroup_scope_repair() == 1) {
			log_warn("scopes: %s was removed while corrald ran (not by corrald): made "
				 "it again", cgroup_scope_path());
			fd = cgroup_leaf_open(p->name);
		}
		if (fd >= 0 && cgroup_scope_v1()) {
			/* v1: no CLONE_INTO_CGROUP; the worker writes itself into
			 * the leaf's cgroup.procs first of all, before it can fork */
			int procs = openat(fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
			int e = errno;
			close(fd);
			fd = procs < 0 ? -e : procs;
			if (procs >= 0)
				sp->cg1[sp->ncg1++] = procs;
		} else if (fd >= 0) {
			sp->cgroup_fd = fd;
		}
		if (fd < 0) {
			snprintf(sp->msg, sizeof sp->msg, "cgroup %s/%s: %s", cgroup_scope_path(),
				 p->name, fd == -EINVAL ? "the name is not one path component"
							: strerror(-fd));
			return fd;
		}
	}
	/* cgroup limits: written into the new leaf before the worker is born
	 * in it; where the controller is not there, strict_limits refuses. */
	unsigned want = limits_wanted(&sbx->limits);
	if (!want)
		return 0;
	int on = core.cgroups ? limits_enabled(cgroup_scope_path()) : 0, at = 0;
	if (on < 0)
		on = 0;
	/* what v2 cannot hold, a v1 hierarchy may (a hybrid host) */
	unsigned v1 = core.cgroups ? want & ~(unsigned)on & cgroup1_mask() : 0;
	for (int i = 0; i < LIMITS_N; i++)
		if ((want & ~(unsigned)on & ~v1 & (1u << i)) && sbx->strict_limits) {
			snprintf(sp->msg, sizeof sp->msg, "%s: not enforced: the %s controller is not "
							  "enabled for corrald's cgroups (strict_limits)",
				 limits_key_name(i), limits_controller(i));
			return -EOPNOTSUPP;
		}
	if (sp->cgroup_fd >= 0 && (r = limits_apply(sp->cgroup_fd, &sbx->limits, (unsigned)on, &at)) < 0) {
		snprintf(sp->msg, sizeof sp->msg, "%s: writing %s: %s", limits_key_name(at),
			 limits_file(at), strerror(-r));
		return r;
	}
	if (v1) {
		if ((r = cgroup1_leaf_make(p->name, &sbx->limits, v1, sp->cg1 + sp->ncg1, &at)) < 0) {
			if (r == -EINVAL && at == LIMITS_MEMORY_SWAP)
				snprintf(sp->msg, sizeof sp->msg, "memory_swap_max: cgroup v1 limits "
					 "memory and swap together: it needs memory_max too");
			else
				snprintf(sp->msg, sizeof sp->msg, "%s: its cgroup v1 %s cgroup: %s",
					 limits_key_name(at), limits_v1_controller(at), strerror(-r));
			return r;
		}
		sp->ncg1 += r;
		p->leaf1_used = true;
	}
	return 0;
}

/* "socket HOST:PORT: not open", for a socket that should be. */
static int socket_missing(struct spawn_plan *sp, const struct socket_addr *a)
{
	char text[SOCKETS_ADDR_STRLEN];
	sockets_format(a, text, sizeof text);
	snprintf(sp->msg, sizeof sp->msg, "socket %s: not open", text);
	return -EBADF;
}

/* Its listening sockets at 3, 4 ...: copies of corrald's, which stay open
 * (and queue clients) while it restarts: the same ones to every instance,
 * or a reuseport section's own one to each. An [fcgi-program:]'s socket is
 * every process's stdin, held by corrald across restarts as the [socket:]
 * ones are. All borrowed. */
static int plan_sockets(struct spawn_plan *sp)
{
	const struct program_config *c = sp->c;
	int instance = sp->p->index;
	for (int i = 0; i < c->nlisten; i++) {
		if ((sp->extra[sp->nextra][0] = sockets_fd_for(&c->listen[i], instance)) < 0)
			return socket_missing(sp, &c->listen[i]);
		sp->extra[sp->nextra++][1] = 3 + i;
	}
	if (c->fcgi_socket && (sp->fcgi_fd = sockets_fd(c->fcgi_socket)) < 0)
		return socket_missing(sp, c->fcgi_socket);
	return 0;
}

static int plan_env(struct spawn_plan *sp)
{
	if (!(sp->env = build_env(sp->p, sp->names, &sp->listen_pid))) {
		snprintf(sp->msg, sizeof sp->msg, "environment: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	return 0;
}

/* The request: what becomes its stdin, stdout and stderr. Nothing is made. */
static int plan_request(struct spawn_plan *sp)
{
	const struct program_config *c = sp->c;
	int out = sp->out_child >= 0 ? sp->out_child : core.devnull;
	sp->req = (struct spawn_request){
		.argv = sp->v.argv,
		.envp = sp->env,
		.directory = sp->v.directory,
		.umask = c->umask,
		.nofile = &core.nofile,
		.cgroup_fd = sp->cgroup_fd,
		.cgroup1_procs = sp->cg1,
		.ncgroup1 = sp->ncg1,
		.sandbox = &c->sandbox,
		.stdio = { core.devnull, out,
			   c->redirect_stderr ? out
					      : sp->err_child >= 0 ? sp->err_child : core.devnull },
	};
	if (sp->own_stdio)
		memcpy(sp->req.stdio, sp->p->stdio, sizeof sp->req.stdio);
	if (sp->fcgi_fd >= 0)
		sp->req.stdio[0] = sp->fcgi_fd;
	if (sp->pipe_in >= 0)
		sp->req.stdio[0] = sp->pipe_in;
	if (sp->pipe_out >= 0) {
		sp->req.stdio[1] = sp->pipe_out;
		if (c->redirect_stderr)
			sp->req.stdio[2] = sp->pipe_out;
	}
	return 0;
}

/* s6's readiness: a newline on fd N, a pipe whose other end corrald
 * watches once the worker runs. */
static int plan_ready(struct spawn_plan *sp)
{
	if (sp->c->ready == READY_FD) {
		if (pipe2(sp->ready, O_CLOEXEC) < 0 || fcntl(sp->ready[0], F_SETFL, O_NONBLOCK) < 0) {
			int r = -errno;
			snprintf(sp->msg, sizeof sp->msg, "ready pipe: %s", strerror(-r));
			return r;
		}
		sp->extra[sp->nextra][0] = sp->ready[1];
		sp->extra[sp->nextra++][1] = sp->c->ready_fd;
	}
	sp->req.extra = sp->extra;
	sp->req.nextra = sp->nextra;
	sp->req.listen_pid = sp->listen_pid;
	return 0;
}

/* Pipes held by the parts above: a pool worker's stdin and stdout, an
 * event listener's, a supervisord program's stdin. They own them; the
 * plan tells them how the spawn went (spawn_plan_release). */
static int plan_hooks(struct spawn_plan *sp)
{
	bool stdin_free = !sp->own_stdio && sp->pipe_in < 0 && sp->fcgi_fd < 0;
	int r = hooks_spawn_prepare(sp->p, stdin_free, sp->req.stdio, sp->msg, sizeof sp->msg);
	sp->hooks_prepared = r == 0;
	return r;
}

/* The fork itself: clone3 makes the namespaces, so its failure is theirs. */
static int plan_fork(struct spawn_plan *sp, struct spawn_result *res)
{
	int r = spawn_process(&sp->req, res);
	if (r < 0) {
		const struct sandbox *sbx = &sp->c->sandbox;
		char ns[64];
		namespaces_format(sbx->ns & ~NS_USER, ns, sizeof ns);
		if (sandbox_clone_flags(sbx))
			snprintf(sp->msg, sizeof sp->msg, "namespaces %s: clone3: %s", ns, strerror(-r));
		else
			snprintf(sp->msg, sizeof sp->msg, "fork: %s", strerror(-r));
		sp->at_fork = !sandbox_clone_flags(sbx);
	}
	return r;
}

/* The parent's steps, in the order they run; each 0, or -errno with
 * sp->msg saying why. */
static int (*const plan_steps[])(struct spawn_plan *) = {
	plan_logs, plan_scope, plan_sockets, plan_env, plan_request, plan_ready, plan_hooks,
};

/* Create the worker for P. 0, or -errno with p->spawnerr set when the
 * parent side failed (the child's own failures arrive by report). */
static int do_spawn(struct process *p)
{
	set_spawnerr(p, NULL);
	p->exitcode = -1;
	p->exitsig = 0;
	p->info = NULL;
	free(p->status_text); /* each run says its own */
	p->status_text = NULL;

	struct spawn_plan sp;
	struct spawn_result res;
	spawn_plan_init(&sp, p);
	int r = 0;
	for (size_t i = 0; r == 0 && i < sizeof plan_steps / sizeof plan_steps[0]; i++)
		r = plan_steps[i](&sp);
	if (r == 0)
		r = plan_fork(&sp, &res);
	if (r < 0) {
		spawn_plan_release(&sp, false);
		set_spawnerr(p, sp.msg);
		log_err("%s: spawn error: %s", p->name, sp.msg);
		char words[256];
		const char *sd = sdlog_spawn_words(core_process_name(p), -r, sp.at_fork, words,
						   sizeof words);
		sdlog_spawnerr(sd ? sd : sp.msg);
		return r;
	}
	p->ready_pipe = sp.ready[0];
	sp.ready[0] = -1; /* now owned by p (close_ready) */
	spawn_plan_release(&sp, true);
	if (p->ready_pipe >= 0 && loop_watch(p->ready_pipe, EPOLLIN, &p->ready_watch) < 0)
		close_ready(p);

	p->pid = res.pid;
	p->pidfd = res.pidfd;
	p->started_ms = loop_now_ms();
	p->oom_kills = 0;
	if (p->start_wall)
		p->restarts++;
	p->start_wall = (int64_t)time(NULL);
	p->leaf_used = core.cgroups;
	/* (The log pipes are watched since logstream_open.) */
	if ((r = pidmap_put(&core.pids, p->pid, p)) < 0 ||
	    (r = loop_watch(p->pidfd, EPOLLIN, &p->pid_watch)) < 0) {
		/* The child exists: kill it; its exit is reaped as usual (by the
		 * SIGCHLD path, since its pidfd may not be watched). */
		log_err("%s: watching pid %d: %s", p->name, (int)p->pid, strerror(-r));
		pidfd_signal(p->pidfd, SIGKILL);
	}
	log_info("%s: spawned pid %d", p->name, (int)p->pid);
	sdlog_spawned(core_process_name(p), p->pid);
	return 0;
}

/* Read the reports of children that failed before exec. Each belongs to a
 * process that is ours until its exit is handled, which drains this first. */
void process_read_reports(void)
{
	struct spawn_report rep;
	int r;
	while ((r = spawn_next_report(&rep)) > 0) {
		struct process *p = pidmap_get(&core.pids, rep.pid);
		if (!p)
			continue;
		char msg[PATH_MAX + 128];
		const struct program_config *c = p->prog->cfg;
		struct program_instance v = process_values(p);
		spawn_describe(&rep, v.directory, v.argv[0], &c->sandbox, msg, sizeof msg);
		set_spawnerr(p, msg);
		log_err("%s: spawn error: %s", p->name, msg);
		/* A command that is not there, or may not be run, is said in
		 * supervisord's words: it finds that out before it forks. */
		char words[PATH_MAX * 2 + 64];
		if (rep.step == SPAWN_STEP_EXEC &&
		    spawn_check_command(v.argv[0], v.environment, words, sizeof words) < 0)
			sdlog_spawnerr(words);
		else
			sdlog_spawnerr(msg);
	}
	if (r < 0)
		log_err("reading spawn reports: %s", strerror(-r));
}

/* ---- its ready fd (ready = fd:N) ---- */

static void close_ready(struct process *p)
{
	if (p->ready_pipe < 0)
		return;
	loop_unwatch(&p->ready_watch);
	close(p->ready_pipe);
	p->ready_pipe = -1;
}

/* ready = fd:N: a newline is the word. End of file without one is not. */
static void ready_readable(struct watch *w, uint32_t events)
{
	struct process *p = w->ctx;
	if (p->ready_pipe < 0)
		return;
	char buf[256];
	ssize_t n = io_read_some(p->ready_pipe, buf, sizeof buf);
	if (n == -EAGAIN)
		return;
	if (n > 0 && !memchr(buf, '\n', (size_t)n))
		return;
	close_ready(p);
	if (n > 0) {
		log_info("%s: ready (fd %d)", p->name, p->prog->cfg->ready_fd);
		struct pinput in = { .event = PEV_READY };
		process_drive(p, &in);
	}
}

/* ---- its state machine driven ---- */

/* The stop signal goes to the main process, or with stopasgroup to every
 * process in the scope. */
static void stop_signal(struct process *p)
{
	const struct program_config *c = p->prog->cfg;
	int sig = c->stopsignal;
	/* As a container's init, the main program gets the signal the
	 * container was stopped with, as under tini. */
	if (core.init && c->main && core.init_stop_sig)
		sig = core.init_stop_sig;
	log_info("%s: stopping pid %d with SIG%s%s", p->name, (int)p->pid,
		 sigabbrev_np(sig) ? sigabbrev_np(sig) : "?", c->stopasgroup ? " (whole scope)" : "");
	int r = 0;
	if (c->stopasgroup && core.cgroups)
		r = cgroup_leaf_signal(p->name, sig);
	else if (c->stopasgroup)
		r = kill(-p->pid, sig) < 0 ? -errno : 0;
	if (r < 0 || !c->stopasgroup)
		r = pidfd_signal(p->pidfd, sig) < 0 ? -errno : 0;
	if (r < 0 && r != -ESRCH)
		log_warn("%s: kill: %s", p->name, strerror(-r));
}

/* SIGKILL for the whole tree: cgroup.kill reaches every process however it
 * forked or setsid'd; the fallback reaches the process group. */
static void sigkill_tree(struct process *p)
{
	int r;
	if (core.cgroups) {
		if ((r = cgroup_leaf_kill(p->name)) < 0)
			log_warn("%s: cgroup.kill: %s", p->name, strerror(-r));
	} else if (p->pid && kill(-p->pid, SIGKILL) < 0 && errno != ESRCH) {
		log_warn("%s: kill process group %d: %m", p->name, (int)p->pid);
	}
	if (p->pidfd >= 0 && pidfd_signal(p->pidfd, SIGKILL) < 0 && errno != ESRCH)
		log_warn("%s: kill: %m", p->name);
}

/* Feed one event to P's state machine and carry out what it says. */
void process_drive(struct process *p, const struct pinput *in)
{
	struct poutput out;
	enum pstate before = p->fsm.state;
	/* Nothing starts again once corrald is shutting down (supervisord's
	 * rule too): a restart that comes due is a stop instead. */
	static const struct pinput stop = { .event = PEV_STOP };
	if (core.shutting_down && in->event == PEV_TIMER &&
	    (p->fsm.restart_due || p->fsm.state == PSTATE_BACKOFF))
		in = &stop;
	program_step(&p->fsm, p->prog->cfg, in, &out);
	if (p->fsm.state != before) {
		/* How many are stopping, for a shutdown's next step. */
		if (before == PSTATE_STOPPING)
			core.stopping--;
		if (p->fsm.state == PSTATE_STOPPING)
			core.stopping++;
	}

	if (out.actions & PACT_TIMER_STOP)
		loop_timer_cancel(&p->timer);
	if ((out.actions & PACT_STOPSIGNAL) && p->pidfd >= 0)
		stop_signal(p);
	if ((out.actions & PACT_KILL) && p->pidfd >= 0) {
		if (p->fsm.killing == PFAIL_WATCHDOG)
			log_warn("%s: pid %d missed its watchdog, killing its tree", p->name, (int)p->pid);
		else if (p->fsm.killing == PFAIL_START_TIMEOUT)
			log_warn("%s: pid %d not ready within %ds, killing its tree", p->name,
				 (int)p->pid, p->prog->cfg->start_timeout);
		else if (p->fsm.killing == PFAIL_UNHEALTHY)
			log_warn("%s: pid %d is unhealthy, killing its tree to restart it", p->name,
				 (int)p->pid);
		else
			log_warn("%s: pid %d still alive after %ds, killing its tree", p->name,
				 (int)p->pid, p->prog->cfg->stopwaitsecs);
		if (p->fsm.state == PSTATE_STOPPING)
			sdlog_killing(core_process_name(p), p->pid);
		sigkill_tree(p);
	}
	if (out.actions & PACT_TIMER) {
		if (loop_timer_set(&p->timer, loop_now_ms() + out.timer_ms) < 0)
			log_err("%s: out of memory for a deadline", p->name);
	}
	if (out.actions & PACT_SPAWN) {
		if (do_spawn(p) < 0) {
			hooks_process_state(p, before, PSTATE_STARTING, in, true);
			struct pinput failed = { .event = PEV_SPAWN_FAILED };
			process_drive(p, &failed);
			return;
		}
	}
	/* supervisord's lines for what the machine did (the exit itself was
	 * logged when it was reaped) */
	const char *sdname = core_process_name(p);
	if (p->fsm.state == PSTATE_RUNNING && (before != PSTATE_RUNNING || (out.actions & PACT_SPAWN)))
		sdlog_running(sdname, p->prog->cfg);
	else if (p->fsm.state == PSTATE_FATAL && before != PSTATE_FATAL)
		sdlog_gave_up(sdname);
	else if (p->fsm.state == PSTATE_STOPPING && before != PSTATE_STOPPING && p->pidfd >= 0 &&
		 !core.shutting_down)
		sdlog_stopping(sdname);
	/* (a restart in RUNNING is an event too, though no change here) */
	hooks_process_state(p, before, p->fsm.state, in, out.actions & PACT_SPAWN);
	if (out.changed || before != p->fsm.state) {
		if (p->fsm.last == PFAIL_WATCHDOG)
			p->info = "watchdog timeout";
		else if (p->fsm.last == PFAIL_START_TIMEOUT)
			p->info = "not ready within start_timeout";
		else if (p->fsm.last == PFAIL_UNHEALTHY)
			p->info = "restarted: unhealthy";
		else if (p->fsm.state == PSTATE_FATAL && !p->spawnerr)
			p->info = "exited too quickly";
		else if (p->fsm.state == PSTATE_STOPPED &&
			 (before == PSTATE_STOPPING || before == PSTATE_EXITED))
			p->info = "stopped"; /* (from EXITED: its restart cancelled) */
		log_info("%s: %s -> %s", p->name, program_state_name(before),
			 program_state_name(p->fsm.state));
		hooks_process_changed(p, false);
		/* what follows for the others: its group, what requires it ... */
		policy->changed(p, before);
	}
}

void process_stop(struct process *p)
{
	core_unqueue(p);
	struct pinput in = { .event = PEV_STOP };
	process_drive(p, &in);
}

static void drain_done(struct process *p);

/* P's deadline: its state machine's timer, or, while its scope is being
 * emptied, the next kill of what is left in it. */
static void process_due(struct deadline *d)
{
	struct process *p = d->ctx;
	if (p->draining) {
		/* Without cgroup.events to say it emptied, counted: done yet? */
		bool counted = p->events_fd < 0;
		if (counted && cgroup_leaf_count(p->name) <= 0) {
			drain_done(p);
			return;
		}
		if (!counted || ++p->drain_polls % (DRAIN_REPEAT_MS / DRAIN_POLL_MS) == 0) {
			log_warn("%s: its scope is still not empty, killing it again", p->name);
			sigkill_tree(p);
		}
		loop_timer_set(&p->timer, loop_now_ms() + (counted ? DRAIN_POLL_MS : DRAIN_REPEAT_MS));
		return;
	}
	struct pinput in = { .event = PEV_TIMER };
	process_drive(p, &in);
}

int process_signal(struct process *p, int sig)
{
	if (p->pidfd < 0)
		return -ESRCH;
	return pidfd_signal(p->pidfd, sig);
}

void process_kill_tree(struct process *p)
{
	if (p->pidfd < 0)
		return;
	log_info("%s: killing its tree for its pool", p->name);
	p->fsm.killing = PFAIL_POOL_KILL;
	sigkill_tree(p);
}

int process_tree_count(const struct process *p)
{
	if (!core.cgroups)
		return -1;
	if (!p->leaf_used)
		return 0;
	int n = cgroup_leaf_count(p->name);
	return n < 0 ? -1 : n;
}

/* ---- its exit, and its scope emptied ---- */

static void drain_done(struct process *p)
{
	if (p->events_fd >= 0) {
		loop_unwatch(&p->events_watch);
		close(p->events_fd);
		p->events_fd = -1;
	}
	p->drain_polls = 0;
	p->draining = false;
	loop_timer_cancel(&p->timer);
	struct pinput in = p->exit_input;
	process_drive(p, &in);
}

/* The main process is gone; with killmode = group whatever it left in its
 * scope is killed, and the exit reaches the state machine only once the
 * scope is empty: a restart never overlaps what is left of the last run. */
static void drain_then_drive(struct process *p, const struct pinput *in)
{
	if (!core.cgroups) {
		/* Fallback: the process group the worker led. */
		if (kill(-p->exit_pid, SIGKILL) < 0 && errno != ESRCH)
			log_warn("%s: kill process group %d: %m", p->name, (int)p->exit_pid);
		process_drive(p, in);
		return;
	}
	/* Open the events file before the kill, so its change cannot be
	 * missed; a scope without one (cgroup v1: -EOPNOTSUPP) is counted
	 * every few milliseconds instead. */
	int fd = cgroup_leaf_events(p->name);
	bool counted = fd == -EOPNOTSUPP;
	int populated = fd >= 0 ? cgroup_events_populated(fd)
			: counted ? cgroup_leaf_count(p->name) > 0 : fd;
	if (populated <= 0) {
		if (populated < 0)
			log_warn("%s: cgroup.events: %s", p->name, strerror(-populated));
		if (fd >= 0)
			close(fd);
		process_drive(p, in);
		return;
	}
	int r = cgroup_leaf_kill(p->name);
	if (r < 0 || (fd >= 0 && (r = loop_watch(fd, EPOLLPRI, &p->events_watch)) < 0)) {
		log_warn("%s: killing what is left in its scope: %s", p->name, strerror(-r));
		if (fd >= 0)
			close(fd);
		process_drive(p, in);
		return;
	}
	log_info("%s: killing what pid %d left in its scope", p->name, (int)p->exit_pid);
	p->events_fd = counted ? -1 : fd;
	p->draining = true;
	p->exit_input = *in;
	loop_timer_set(&p->timer, loop_now_ms() + (counted ? DRAIN_POLL_MS : DRAIN_REPEAT_MS));
}

void process_deliver_exit(struct process *p, const struct pinput *in)
{
	if (p->prog->cfg->killmode == KILLMODE_GROUP)
		drain_then_drive(p, in);
	else
		process_drive(p, in);
}

/* Its cgroup.events changed: empty yet? */
static void cgevents_readable(struct watch *w, uint32_t events)
{
	struct process *p = w->ctx;
	if (p->events_fd < 0)
		return; /* closed earlier in this batch */
	int populated = cgroup_events_populated(p->events_fd);
	if (populated == 0 || populated < 0) {
		if (populated < 0)
			log_warn("%s: cgroup.events: %s", p->name, strerror(-populated));
		drain_done(p);
	}
}

/* Reaped through its pidfd, so a recycled pid can never be mistaken for it. */
void process_exited(struct process *p)
{
	if (p->pidfd < 0)
		return; /* reaped earlier in this batch, through SIGCHLD */
	siginfo_t si = { 0 };
	if (waitid(P_PIDFD, (id_t)p->pidfd, &si, WEXITED | WNOHANG) < 0) {
		log_err("%s: waitid(pid %d): %m", p->name, (int)p->pid);
		if (errno != ECHILD)
			return;
		si.si_pid = p->pid; /* someone else reaped it: treat as gone */
		si.si_code = CLD_KILLED;
		si.si_status = 0;
	}
	if (si.si_pid == 0)
		return; /* not yet */

	/* A child that failed before exec wrote its report before exiting. */
	process_read_reports();
	close_ready(p);
	int64_t uptime = loop_now_ms() - p->started_ms;
	if (si.si_code == CLD_EXITED) {
		p->exitcode = si.si_status;
		p->exitsig = 0;
	} else {
		p->exitcode = -1;
		p->exitsig = si.si_status;
	}
	loop_unwatch(&p->pid_watch);
	close(p->pidfd);
	p->pidfd = -1;
	pidmap_del(&core.pids, p->pid);
	/* Take what the worker wrote before it died (up to a bound; a stream
	 * that is held finishes on its own), and end a partial last line. */
	logstream_finish(&p->out);
	logstream_finish(&p->err);
	/* A pool worker's last results, then its jobs go back in line; a
	 * listener's event in flight goes back. */
	/* Over its memory_max: the kernel's OOM killer, not someone's kill
	 * (known before the parts above hear of the exit: an event says so). */
	long oom = core.cgroups && p->leaf_used ? cgroup_leaf_oom_kills(p->name) : -1;
	if (oom < 0 && p->leaf1_used)
		oom = cgroup1_oom_kills(p->name);
	p->oom_kills = oom > 0 ? oom : 0;
	hooks_process_exited(p);
	char max[32];
	if (p->oom_kills && p->exitsig == SIGKILL)
		log_warn("%s: pid %d killed by the kernel's OOM killer: out of memory (memory_max = "
			 "%s)", p->name, (int)p->pid,
			 limits_show(&p->prog->cfg->sandbox.limits, LIMITS_MEMORY, max, sizeof max));
	else if (p->exitsig)
		log_info("%s: pid %d killed by SIG%s", p->name, (int)p->pid,
			 sigabbrev_np(p->exitsig) ? sigabbrev_np(p->exitsig) : "?");
	else
		log_info("%s: pid %d exited with status %d", p->name, (int)p->pid, p->exitcode);
	p->exit_pid = p->pid;
	p->pid = 0;
	p->stop_wall = (int64_t)time(NULL);

	struct pinput in = {
		.event = PEV_EXIT,
		.uptime_ms = uptime,
		.expected = !p->exitsig && program_config_expected_exit(p->prog->cfg, p->exitcode),
		.spawn_error = p->spawnerr != NULL,
	};
	sdlog_exit(core_process_name(p), program_exit_kind(&p->fsm, p->prog->cfg, &in),
		   in.expected, p->exitcode, p->exitsig, si.si_code == CLD_DUMPED);
	if (policy->exited(p, &in))
		return;
	process_deliver_exit(p, &in);
}

static void pidfd_readable(struct watch *w, uint32_t events)
{
	process_exited(w->ctx);
}

/* ---- across an exec of corrald (handover.h) ---- */

bool process_carry(const struct process *p, struct handover_proc *hp, char *why, size_t whylen)
{
	/* Any state goes, with its deadline; not the moments between two
	 * (a tree being emptied, a start or a stop waiting on others). */
	if (p->draining || p->start_queued || p->stop_after_deps || p->restart_pending ||
	    p->fsm.state == PSTATE_UNKNOWN) {
		snprintf(why, whylen, "%s is between states: try again once it has settled",
			 p->name);
		return false;
	}
	hp->pid = p->pid;
	hp->pidfd = p->pidfd;
	hp->state = p->fsm.state;
	hp->retries = p->fsm.retries;
	hp->restart_due = p->fsm.restart_due;
	hp->killing = p->fsm.killing;
	hp->last = p->fsm.last;
	hp->started_ms = p->started_ms;
	hp->start_wall = p->start_wall;
	hp->stop_wall = p->stop_wall;
	hp->restarts = p->restarts;
	hp->exitcode = p->exitcode;
	hp->exitsig = p->exitsig;
	hp->exit_pid = p->exit_pid;
	if (p->spawnerr && !(hp->spawnerr = strdup(p->spawnerr))) {
		snprintf(why, whylen, "out of memory");
		return false;
	}
	hp->leaf_used = p->leaf_used;
	hp->timer_ms = loop_timer_pending(&p->timer) ? p->timer.node.when : 0;
	hp->dep_waiting = p->dep_waiting;
	hp->dep_restart = p->dep_restart;
	hp->ready_fd = p->ready_pipe;
	return logstream_carry(&p->out, &hp->out, why, whylen) &&
	       logstream_carry(&p->err, &hp->err, why, whylen);
}

int process_adopt(struct process *p, const struct handover_proc *hp, char *why, size_t whylen)
{
	const struct program_config *c = p->prog->cfg;
	p->fsm.state = (enum pstate)hp->state;
	p->fsm.retries = hp->retries;
	p->fsm.restart_due = hp->restart_due;
	p->fsm.killing = (enum pfailure)hp->killing;
	p->fsm.last = (enum pfailure)hp->last;
	p->started_ms = hp->started_ms;
	p->start_wall = hp->start_wall;
	p->stop_wall = hp->stop_wall;
	p->restarts = hp->restarts;
	p->exitcode = hp->exitcode;
	p->exitsig = hp->exitsig;
	p->exit_pid = hp->exit_pid;
	set_spawnerr(p, hp->spawnerr);
	p->leaf_used = hp->leaf_used;
	p->leaf1_used = hp->leaf_used && cgroup1_mask(); /* removing a missing one is harmless */
	p->info = hp->start_wall ? NULL : "not started";
	int r = 0;
	char path[PATH_MAX], msg[PATH_MAX + 160] = "no file name";
	struct program_instance v = process_values(p);
	struct logstream *ls[2] = { &p->out, &p->err };
	const struct handover_stream *hs[2] = { &hp->out, &hp->err };
	const char *files[2] = { v.stdout_logfile, v.stderr_logfile };
	static const char *const suffix[2] = { "out", "err" };
	for (int k = 0; k < 2 && r == 0; k++) {
		if (hs[k]->pipe_fd < 0)
			continue;
		const char *lp = log_path(p, files[k], suffix[k], path, sizeof path, &r);
		if (r == 0)
			r = logstream_adopt(ls[k], c, lp ? lp : "NONE", hs[k]->pipe_fd, hs[k], msg,
					    sizeof msg);
	}
	if (r < 0) {
		snprintf(why, whylen, "%s: its log: %s", p->name, msg);
		return r;
	}
	if (hp->pid > 0) {
		p->pid = hp->pid;
		p->pidfd = hp->pidfd;
		if (fcntl(p->pidfd, F_SETFD, FD_CLOEXEC) < 0 ||
		    (r = pidmap_put(&core.pids, p->pid, p)) < 0 ||
		    (r = loop_watch(p->pidfd, EPOLLIN, &p->pid_watch)) < 0) {
			r = r < 0 ? r : -errno;
			snprintf(why, whylen, "%s: watching pid %d: %s", p->name, (int)p->pid,
				 strerror(-r));
			return r;
		}
	}
	if (hp->ready_fd >= 0) { /* ready = fd:N, not yet ready */
		p->ready_pipe = hp->ready_fd;
		if (fcntl(p->ready_pipe, F_SETFD, FD_CLOEXEC) < 0 ||
		    (r = loop_watch(p->ready_pipe, EPOLLIN, &p->ready_watch)) < 0) {
			r = r < 0 ? r : -errno;
			snprintf(why, whylen, "%s: its readiness pipe: %s", p->name, strerror(-r));
			return r;
		}
	}
	/* Its state's deadline, where it was: a backoff, startsecs, start_timeout,
	 * stopwaitsecs; but a watchdog from now, the pings of the exec's moment
	 * having gone unheard. */
	int64_t due = hp->timer_ms;
	if (p->fsm.state == PSTATE_RUNNING && c->watchdog_sec > 0 && p->pid > 0)
		due = loop_now_ms() + (int64_t)c->watchdog_sec * 1000;
	if (due > 0 && loop_timer_set(&p->timer, due) < 0)
		return -ENOMEM;
	if (p->fsm.state == PSTATE_STOPPING)
		core.stopping++;
	hooks_process_changed(p, false);
	return 0;
}
