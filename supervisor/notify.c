#include "supervisor/notify.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "supervisor/cgroup.h"
#include "supervisor/core.h"
#include "supervisor/handover.h"
#include "supervisor/log.h"
#include "supervisor/process.h"
#include "supervisor/sockets.h"

static struct {
	int fd;                     /* the datagram socket, -1: none */
	struct watch watch;
	dev_t dev;                  /* the file made, so that we never remove */
	ino_t ino;                  /* one someone else put there since */
} N = { .fd = -1, .watch = { .fd = -1 } };

/* The process whose tree PID belongs to, or NULL: only those are believed. */
static struct process *sender_process(pid_t pid)
{
	struct process *p = pidmap_get(&core.pids, pid);
	if (p)
		return p;
	char path[64], line[PATH_MAX + 8];
	if (core.cgroups && cgroup_scope_path()) {
		/* Its cgroup says which scope, and so which process. */
		snprintf(path, sizeof path, "/proc/%d/cgroup", (int)pid);
		FILE *f = fopen(path, "re");
		if (!f)
			return NULL;
		const char *scope = strrchr(cgroup_scope_path(), '/');
		char *leaf = NULL;
		while (fgets(line, sizeof line, f))
			if (strncmp(line, "0::", 3) == 0) {
				line[strcspn(line, "\n")] = '\0';
				char *at = strstr(line, scope);
				if (at && at[strlen(scope)] == '/') {
					leaf = at + strlen(scope) + 1;
					leaf[strcspn(leaf, "/")] = '\0';
				}
				break;
			}
		fclose(f);
		if (!leaf)
			return NULL;
		return core_find_process(leaf);
	}
	/* Process groups: every worker leads its own session. */
	pid_t sid = getsid(pid);
	return sid > 0 ? pidmap_get(&core.pids, sid) : NULL;
}

static void notify_message(struct process *p, char *msg)
{
	const struct program_config *c = p->prog->cfg;
	struct pinput in = { 0 };
	for (char *line = msg, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (strcmp(line, "READY=1") == 0 && c->ready == READY_NOTIFY) {
			log_info("%s: ready (sd_notify)", p->name);
			in.event = PEV_READY;
			process_drive(p, &in);
		} else if (strncmp(line, "STATUS=", 7) == 0) {
			free(p->status_text);
			p->status_text = strdup(line + 7);
		} else if (strcmp(line, "WATCHDOG=1") == 0) {
			in.event = PEV_WATCHDOG;
			process_drive(p, &in);
		} else if (strcmp(line, "WATCHDOG=trigger") == 0) {
			log_warn("%s: asked for its watchdog to fire", p->name);
			in.event = PEV_WATCHDOG_TRIGGER;
			process_drive(p, &in);
		} else if (strncmp(line, "EXTEND_TIMEOUT_USEC=", 20) == 0) {
			char *end;
			unsigned long long us = strtoull(line + 20, &end, 10);
			if (!*end && p->fsm.state == PSTATE_STARTING && !p->fsm.killing &&
			    c->ready == READY_NOTIFY && c->start_timeout > 0)
				loop_timer_set(&p->timer, loop_now_ms() + (int64_t)(us / 1000));
		} else if (strncmp(line, "ERRNO=", 6) == 0) {
			int e = atoi(line + 6);
			log_warn("%s: says it failed: %s", p->name, strerror(e));
			free(p->status_text);
			if (asprintf(&p->status_text, "errno %d (%s)", e, strerror(e)) < 0)
				p->status_text = NULL;
		} else if (strcmp(line, "STOPPING=1") == 0 || strcmp(line, "RELOADING=1") == 0) {
			log_info("%s: %s", p->name, line[0] == 'S' ? "stopping" : "reloading");
		} else if (strncmp(line, "MAINPID=", 8) == 0) {
			/* Believed only as a note: corrald keeps watching the process it
			 * started, whose whole tree is its scope anyway. */
			log_debug("%s: says its main pid is %s", p->name, line + 8);
		}
	}
}

/* Datagrams on the notify socket: a bounded number per turn. Credentials
 * (SO_PASSCRED) say who sent each; received descriptors are closed, which
 * is also the answer to BARRIER=1: everything sent before it is handled. */
static void notify_readable(struct watch *w, uint32_t events)
{
	for (int k = 0; k < 64; k++) {
		char buf[4096];
		union {
			struct cmsghdr align;
			char buf[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(16 * sizeof(int))];
		} ctl;
		struct iovec iov = { .iov_base = buf, .iov_len = sizeof buf - 1 };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
				      .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf };
		ssize_t n = recvmsg(N.fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				log_warn("notify socket: %m");
			return;
		}
		struct ucred *cred = NULL;
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
			if (cm->cmsg_level != SOL_SOCKET)
				continue;
			if (cm->cmsg_type == SCM_CREDENTIALS)
				cred = (struct ucred *)(void *)CMSG_DATA(cm);
			else if (cm->cmsg_type == SCM_RIGHTS) {
				int *fds = (int *)(void *)CMSG_DATA(cm);
				size_t nfd = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
				for (size_t i = 0; i < nfd; i++)
					close(fds[i]);
			}
		}
		if (!cred || (size_t)n >= sizeof buf)
			continue; /* no credentials, or too long: not believed */
		buf[n] = '\0';
		struct process *p = sender_process(cred->pid);
		if (!p) {
			log_debug("notify from pid %d, which is none of ours: ignored", (int)cred->pid);
			continue;
		}
		notify_message(p, buf);
	}
}

/* FD, bound at ADDR, as the notify socket: 0, or -1 (logged; FD closed,
 * the file removed). */
static int notify_use(int fd, const struct sockaddr_un *addr)
{
	int one = 1;
	struct stat st;
	if (lstat(addr->sun_path, &st) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) < 0) {
		log_warn("notify socket %s: %m", addr->sun_path);
		unlink(addr->sun_path);
		close(fd);
		return -1;
	}
	N.dev = st.st_dev;
	N.ino = st.st_ino;
	loop_watch_init(&N.watch, notify_readable, NULL);
	if (loop_watch(fd, EPOLLIN, &N.watch) < 0) {
		close(fd);
		unlink(addr->sun_path);
		return -1;
	}
	N.fd = fd;
	memcpy(core.notify_path, addr->sun_path, sizeof core.notify_path);
	return 0;
}

void notify_open(const struct corral_config *cfg)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	if (snprintf(addr.sun_path, sizeof addr.sun_path, "%s.notify", cfg->socket) >=
	    (int)sizeof addr.sun_path) {
		log_warn("notify socket: %s.notify is too long a path; ready = notify will not work",
			 cfg->socket);
		return;
	}
	/* After an exec the socket is the one bound before: nothing sent
	 * meanwhile is lost. */
	int fd = handover_take_fd("notify", addr.sun_path);
	if (fd >= 0) {
		if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
			log_warn("notify socket: close-on-exec: %m");
		(void)notify_use(fd, &addr);
		return;
	}
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		log_warn("notify socket: %m");
		return;
	}
	/* Only a socket nobody answers on (left by a corrald that died) is
	 * replaced; any other file there is not ours. */
	char why[256];
	if (sockets_reclaim_path(addr.sun_path, why, sizeof why) < 0) {
		log_warn("notify socket %s: %s; ready = notify will not work", addr.sun_path, why);
		close(fd);
		return;
	}
	/* Anyone may send (workers may run as other users); only the trees of
	 * our processes are believed. */
	int r = sockets_bind_unix(fd, &addr, sizeof addr, 0666);
	if (r < 0) {
		log_warn("notify socket %s: bind: %s", addr.sun_path, strerror(-r));
		close(fd);
		return;
	}
	(void)notify_use(fd, &addr);
}

int notify_handover(struct handover *h)
{
	return N.fd < 0 ? 0 : handover_add_fd(h, "notify", core.notify_path, N.fd);
}

void notify_close(void)
{
	if (N.fd < 0)
		return;
	loop_unwatch(&N.watch);
	close(N.fd);
	N.fd = -1;
	if (sockets_same_file(core.notify_path, N.dev, N.ino))
		unlink(core.notify_path);
}
