/* probe — one health check over the network (probe.h). */
#include "supervisor/probe.h"

#include <errno.h>
#include <http_parser.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

/* The status code is whole once the reason phrase, a header or the
 * headers' end begins: stop there. */
static int status_seen(http_parser *hp)
{
	*(bool *)hp->data = true;
	return 1;
}

static int status_seen_data(http_parser *hp, const char *at, size_t len)
{
	return status_seen(hp);
}

static const http_parser_settings status_settings = {
	.on_status = status_seen_data,
	.on_header_field = status_seen_data,
	.on_headers_complete = status_seen,
};

int probe_status_line(const char *buf, size_t len)
{
	http_parser hp;
	bool seen = false;
	http_parser_init(&hp, HTTP_RESPONSE);
	hp.data = &seen;
	(void)http_parser_execute(&hp, &status_settings, buf, len);
	if (seen)
		return hp.status_code >= 100 && hp.status_code <= 999 ? (int)hp.status_code : -1;
	enum http_errno e = HTTP_PARSER_ERRNO(&hp);
	if (e != HPE_OK)
		return -1;
	return len > HEALTH_STATUS_MAX ? -1 : 0;
}

static void finish(struct probe *pr, bool ok, const char *why)
{
	probe_cancel(pr);
	pr->done(pr, ok, why);
}

static void fail_errno(struct probe *pr, const char *what, int err)
{
	char why[160];
	snprintf(why, sizeof why, "%s: %s", what, strerror(err));
	finish(pr, false, why);
}

/* Connected: tcp is done; http sends its request. */
static void connected(struct probe *pr)
{
	pr->connected = true;
	if (pr->spec->kind == HEALTH_TCP) {
		finish(pr, true, "connected");
		return;
	}
	int n = snprintf(pr->req, sizeof pr->req,
			 "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: corrald-health\r\n"
			 "Accept: */*\r\nConnection: close\r\n\r\n",
			 pr->spec->path, pr->spec->host);
	if (n < 0 || (size_t)n >= sizeof pr->req) {
		finish(pr, false, "request too long");
		return;
	}
	pr->reqlen = (size_t)n;
	pr->sent = 0;
	pr->got = 0;
	int r = loop_watch_mod(&pr->w, EPOLLOUT | EPOLLIN);
	if (r < 0)
		fail_errno(pr, "epoll", -r);
}

static void send_some(struct probe *pr)
{
	while (pr->sent < pr->reqlen) {
		ssize_t n = send(pr->fd, pr->req + pr->sent, pr->reqlen - pr->sent, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			fail_errno(pr, "send", errno);
			return;
		}
		pr->sent += (size_t)n;
	}
	int r = loop_watch_mod(&pr->w, EPOLLIN);
	if (r < 0)
		fail_errno(pr, "epoll", -r);
}

static void read_some(struct probe *pr)
{
	for (;;) {
		ssize_t n = recv(pr->fd, pr->buf + pr->got, sizeof pr->buf - 1 - pr->got, 0);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			fail_errno(pr, "recv", errno);
			return;
		}
		pr->got += (size_t)n;
		int code = probe_status_line(pr->buf, pr->got);
		char why[64];
		if (code > 0) {
			snprintf(why, sizeof why, "HTTP %d", code);
			finish(pr, code >= 200 && code < 400, why);
			return;
		}
		if (code < 0) {
			finish(pr, false, "not an HTTP answer");
			return;
		}
		if (n == 0) {
			finish(pr, false, pr->got ? "connection closed in the status line"
					       : "connection closed before an answer");
			return;
		}
		if (pr->got >= sizeof pr->buf - 1) {
			finish(pr, false, "status line too long");
			return;
		}
	}
}

static void probe_ready(struct watch *w, uint32_t events)
{
	struct probe *pr = w->ctx;
	if (pr->fd < 0)
		return;
	if (!pr->connected) {
		int err = 0;
		socklen_t len = sizeof err;
		if (getsockopt(pr->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err) {
			fail_errno(pr, "connect", err);
			return;
		}
		if (!(events & EPOLLOUT)) {
			if (events & (EPOLLERR | EPOLLHUP))
				finish(pr, false, "connect: connection closed");
			return;
		}
		connected(pr);
		return;
	}
	if ((events & EPOLLOUT) && pr->sent < pr->reqlen) {
		send_some(pr);
		if (pr->fd < 0)
			return;
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		read_some(pr);
}

static void probe_timeout(struct deadline *d)
{
	struct probe *pr = d->ctx;
	char why[64];
	snprintf(why, sizeof why, "timed out after %ds%s", pr->timeout_s,
		 !pr->connected ? " connecting" : pr->spec->kind == HEALTH_HTTP ? " waiting for an answer" : "");
	finish(pr, false, why);
}

void probe_init(struct probe *pr, probe_done_fn *done, void *ctx)
{
	memset(pr, 0, sizeof *pr);
	pr->fd = -1;
	pr->done = done;
	pr->ctx = ctx;
	loop_watch_init(&pr->w, probe_ready, pr);
	loop_timer_init(&pr->d, probe_timeout, pr);
}

int probe_start(struct probe *pr, const struct health_spec *spec, int timeout_s)
{
	if (pr->fd >= 0)
		return -EBUSY;
	if (spec->kind != HEALTH_HTTP && spec->kind != HEALTH_TCP)
		return -EINVAL;
	int fd = socket(spec->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	pr->fd = fd;
	pr->spec = spec;
	pr->connected = false;
	pr->timeout_s = timeout_s;
	pr->got = pr->sent = pr->reqlen = 0;
	int r;
	if ((r = loop_timer_set(&pr->d, loop_now_ms() + (int64_t)timeout_s * 1000)) < 0) {
		probe_cancel(pr);
		return r;
	}
	if (connect(fd, (const struct sockaddr *)&spec->addr, spec->addrlen) == 0) {
		if ((r = loop_watch(fd, EPOLLIN, &pr->w)) < 0) {
			probe_cancel(pr);
			return r;
		}
		connected(pr);
		return 0;
	}
	if (errno != EINPROGRESS) {
		/* refused at once (a closed port on the loopback): a failed check */
		fail_errno(pr, "connect", errno);
		return 0;
	}
	if ((r = loop_watch(fd, EPOLLOUT, &pr->w)) < 0) {
		probe_cancel(pr);
		return r;
	}
	return 0;
}

void probe_cancel(struct probe *pr)
{
	loop_timer_cancel(&pr->d);
	if (pr->fd < 0)
		return;
	loop_unwatch(&pr->w);
	close(pr->fd); /* (a socket: its close cannot fail in a way that matters) */
	pr->fd = -1;
}
