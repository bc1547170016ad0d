/* http — corrald's HTTP/1.1 server (see http.h).
 *
 * A client is one connection: its requests are read with httpreq, one at
 * a time (a pipelined one waits in the input buffer until the answer
 * before it is out), each bounded in size and in the time it may take to
 * arrive; an idle kept-alive connection may stay, as supervisorctl's shell
 * keeps one. On a server with credentials, a connection that has not made
 * a request with them within AUTH_TIMEOUT_MS is closed, and when every
 * place is taken such a one makes room first. A whole request goes to the
 * route that serves its path and method. */
#include "supervisor/http.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ipc/io.h"
#include "sandbox/users.h"
#include "supervisor/config.h"
#include "supervisor/handover.h"
#include "supervisor/log.h"
#include "supervisor/loop.h"
#include "supervisor/sockets.h"

/* A request must arrive whole within this once its first byte has. */
#define REQUEST_TIMEOUT_MS 30000
/* An answer must be taken within this; a client that reads nothing is dropped. */
#define WRITE_TIMEOUT_MS 60000
/* On a server with credentials, a connection must have made a request with
 * the right ones within this of its accept, or it is closed: one without
 * them never holds a client slot longer. */
#define AUTH_TIMEOUT_MS 10000
#define MAX_CLIENTS 128

enum hold {
	HOLD_NONE,
	HOLD_DEFER,             /* an answer owed: http_defer() */
	HOLD_STREAM,            /* a chunked answer going on: http_stream_begin() */
};

struct http_conn {
	struct watch watch;
	int fd;
	struct httpreq *req;    /* owned; its requests */
	char *in;               /* bytes read, not yet parsed */
	size_t inlen, incap;
	bool started;           /* the current request's first byte arrived */
	bool parsing;           /* inside client_parse(): it goes on to the next request */
	bool parse_due;         /* the timer is set to parse what waits (client_flush) */
	bool answered;          /* the handler answered, deferred or began a stream */
	bool keepalive;
	char *out;              /* the answer going out */
	size_t outlen, outcap, sent;
	bool close_after;       /* close once the answer is out */
	enum hold hold;
	http_gone_fn *gone;     /* with HOLD_*: told when the connection closes first */
	void *gone_ctx;
	uint64_t skipped;       /* stream bytes a slow reader missed */
	struct deadline timer;
	bool authed;            /* it made a request with the right credentials (or none are asked) */
	uint64_t serial;        /* which connection this is: never 0, never given twice */
	int64_t auth_by;        /* !authed: closed at this time (ms) */
	const struct listener *l; /* the server it came to */
	struct http_conn *next;
};

struct listener {
	struct watch watch;
	int fd;
	char *path;             /* unix: to unlink at exit; owned */
	dev_t dev;              /* the file made, so that we never remove */
	ino_t ino;              /* one someone else put there since */
	/* its own credentials, as supervisord checks each server's; owned
	 * copies (a reload frees the config); NULL: none asked */
	char *username, *password;
	char *hkey;             /* its name in a handover record (handover.h); owned */
	bool is_unix;
	char *token;            /* api_token_file's bearer token; owned; NULL: none */
	bool read_only;         /* read_only = true */
};

static struct {
	struct listener l[2];
	int nl;
	struct http_conn *clients, *dead;
	int nclients;
	uint64_t refused;       /* requests and connections refused for their credentials */
	char *url;              /* SUPERVISOR_SERVER_URL; owned */
	const struct http_route *routes[HTTP_ROUTES_MAX];
	size_t nroutes;
	/* the headers the routes read, NULL-terminated (one place is
	 * Authorization's, which every reader keeps); what httpreq_new() gets */
	const char *want[HTTPREQ_HEADERS_MAX];
} H = { .l = { { .fd = -1, .watch = { .fd = -1 } }, { .fd = -1, .watch = { .fd = -1 } } } };

static loop_watch_fn client_event;
static loop_timer_fn client_due;
static void client_flush(struct http_conn *c);
static void client_parse(struct http_conn *c);

/* ---- routes ---- */

int http_route_add(const struct http_route *r)
{
	if (H.nroutes == HTTP_ROUTES_MAX)
		return -ENOSPC;
	size_t nwant = 0, add = 0;
	while (H.want[nwant])
		nwant++;
	/* room for all of its headers first, then they are taken */
	for (int pass = 0; pass < 2; pass++) {
		for (const char *const *h = r->headers; h && *h; h++) {
			bool known = false;
			for (size_t i = 0; i < nwant; i++)
				known |= strcmp(H.want[i], *h) == 0;
			if (known)
				continue;
			if (pass == 0)
				add++;
			else
				H.want[nwant++] = *h;
		}
		/* Authorization is not in WANT, its NULL is */
		if (pass == 0 && nwant + add >= HTTPREQ_HEADERS_MAX)
			return -ENOSPC;
	}
	H.routes[H.nroutes++] = r;
	return 0;
}

void http_route_remove(const struct http_route *r)
{
	for (size_t i = 0; i < H.nroutes; i++)
		if (H.routes[i] == r) {
			memmove(&H.routes[i], &H.routes[i + 1],
				(H.nroutes - i - 1) * sizeof H.routes[0]);
			H.nroutes--;
			return;
		}
}

/* Whether R's path takes TARGET; *REST what follows a prefix. */
static bool path_takes(const struct http_route *r, const char *target, const char **rest)
{
	size_t n = strlen(r->path);
	if (strncmp(target, r->path, n) != 0)
		return false;
	*rest = "";
	if (r->flags & HTTP_ROUTE_PREFIX) {
		*rest = target + n;
		return true;
	}
	return target[n] == '\0' || ((r->flags & HTTP_ROUTE_QUERY) && target[n] == '?');
}

static void route(struct http_conn *c, struct http_request *rq)
{
	const struct http_route *path_only = NULL;
	for (size_t i = 0; i < H.nroutes; i++) {
		const struct http_route *r = H.routes[i];
		const char *rest;
		if (!path_takes(r, rq->target, &rest))
			continue;
		if (!(r->methods & rq->method)) {
			if (!path_only)
				path_only = r;
			continue;
		}
		rq->rest = rest;
		c->answered = false;
		r->fn(c, rq, r->ctx);
		if (c->fd >= 0 && !c->answered) {
			log_err("http: %s: the handler gave no answer", r->path);
			http_respond_error(c, 500);
		}
		return;
	}
	if (path_only)
		http_respond_error(c, path_only->wrong_method ? path_only->wrong_method : 405);
	else
		http_respond_error(c, 404);
}

/* The flags of the route RQ goes to (HTTP_ROUTE_PUBLIC: served without
 * credentials; HTTP_ROUTE_OWN_AUTH: its handler checks them); 0 when none
 * takes it. */
static unsigned route_flags(const struct http_request *rq)
{
	for (size_t i = 0; i < H.nroutes; i++) {
		const struct http_route *r = H.routes[i];
		const char *rest;
		if (path_takes(r, rq->target, &rest) && (r->methods & rq->method))
			return r->flags;
	}
	return 0;
}

/* ---- connections ---- */

static void client_close(struct http_conn *c)
{
	for (struct http_conn **pp = &H.clients; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	H.nclients--;
	loop_unwatch(&c->watch);
	close(c->fd);
	c->fd = -1;
	loop_timer_cancel(&c->timer);
	c->next = H.dead;
	H.dead = c;
	if (c->hold != HOLD_NONE) {
		http_gone_fn *gone = c->gone;
		c->hold = HOLD_NONE;
		c->gone = NULL;
		gone(c->gone_ctx);
	}
	/* room again: accept what waits in the backlog */
	for (int i = 0; i < H.nl; i++)
		if (loop_watch_mod(&H.l[i].watch, EPOLLIN) < 0)
			log_err("http: epoll_ctl on a listening socket: %m");
}

void http_bury(void)
{
	while (H.dead) {
		struct http_conn *c = H.dead;
		H.dead = c->next;
		free(c->in);
		httpreq_free(c->req);
		free(c->out);
		free(c);
	}
}

static int out_add(struct http_conn *c, const char *s, size_t n)
{
	if (c->outlen + n > c->outcap) {
		if (c->sent) { /* reclaim what went out first */
			memmove(c->out, c->out + c->sent, c->outlen - c->sent);
			c->outlen -= c->sent;
			c->sent = 0;
		}
		size_t cap = c->outcap ? c->outcap : 4096;
		while (cap < c->outlen + n)
			cap *= 2;
		if (cap != c->outcap) {
			char *p = realloc(c->out, cap);
			if (!p)
				return -ENOMEM;
			c->out = p;
			c->outcap = cap;
		}
	}
	memcpy(c->out + c->outlen, s, n);
	c->outlen += n;
	return 0;
}

static const char *status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 202: return "Accepted";
	case 303: return "See Other";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 431: return "Request Header Fields Too Large";
	case 503: return "Service Unavailable";
	default: return "Internal Server Error";
	}
}

void http_respond(struct http_conn *c, int status, const char *type, const char *body,
		  size_t len)
{
	http_respond_with(c, status, type, "", body, len);
}

void http_respond_with(struct http_conn *c, int status, const char *type, const char *headers,
		       const char *body, size_t len)
{
	if (c->fd < 0 || c->hold == HOLD_STREAM)
		return;
	c->answered = true;
	c->hold = HOLD_NONE; /* a deferred answer: owed no more */
	c->gone = NULL;
	char head[512 + HTTP_HEADERS_MAX];
	int n = snprintf(head, sizeof head,
			 "HTTP/1.1 %d %s\r\nServer: corrald/%s\r\nContent-Type: %s\r\n"
			 "Content-Length: %zu\r\n%s%s%s\r\n",
			 status, status_text(status), CORRAL_VERSION, type, len,
			 headers,
			 status == 401 ? "WWW-Authenticate: Basic realm=\"default\"\r\n" : "",
			 c->keepalive && !c->close_after ? "" : "Connection: close\r\n");
	if (n < 0 || (size_t)n >= sizeof head) {
		log_err("http: an answer's head is too long (%zu bytes of headers)", strlen(headers));
		client_close(c);
		return;
	}
	if (out_add(c, head, (size_t)n) < 0 || out_add(c, body, len) < 0) {
		log_err("http: out of memory for an answer");
		client_close(c);
		return;
	}
	client_flush(c);
}

void http_respond_error(struct http_conn *c, int status)
{
	char body[128];
	int n = snprintf(body, sizeof body, "%d %s\n", status, status_text(status));
	/* After a 401 the connection goes: a client without the credentials
	 * must not keep its slot by asking again and again. A 404 keeps it,
	 * unless the request said it would not stay. */
	if (status != 404)
		c->close_after = true;
	http_respond(c, status, "text/plain", body, (size_t)n);
}

uint64_t http_conn_serial(const struct http_conn *c)
{
	return c->serial;
}

void http_defer(struct http_conn *c, http_gone_fn *gone, void *ctx)
{
	c->answered = true;
	c->hold = HOLD_DEFER;
	c->gone = gone;
	c->gone_ctx = ctx;
	loop_timer_cancel(&c->timer);
}

int http_stream_begin(struct http_conn *c, const char *type, http_gone_fn *gone, void *ctx)
{
	char head[256];
	int n = snprintf(head, sizeof head,
			 "HTTP/1.1 200 OK\r\nServer: corrald/%s\r\nContent-Type: %s\r\n"
			 "X-Accel-Buffering: no\r\nTransfer-Encoding: chunked\r\n\r\n",
			 CORRAL_VERSION, type);
	c->answered = true;
	if (n < 0 || (size_t)n >= sizeof head || out_add(c, head, (size_t)n) < 0) {
		client_close(c);
		return -1;
	}
	c->hold = HOLD_STREAM;
	c->gone = gone;
	c->gone_ctx = ctx;
	c->close_after = true; /* the stream ends only when the connection does */
	/* sent with the first chunk, or once the handler returns */
	return 0;
}

/* One chunk into C's buffer; NOW: written at once as far as the socket
 * takes it, else when the loop sees the socket writable. */
static int stream_add(struct http_conn *c, const struct iovec *iov, int n, bool now)
{
	if (c->fd < 0 || c->hold != HOLD_STREAM)
		return -1;
	size_t bytes = 0;
	for (int i = 0; i < n; i++)
		bytes += iov[i].iov_len;
	if (!bytes) /* an empty chunk would end the stream */
		return 0;
	if (c->outlen - c->sent + bytes > HTTP_STREAM_BEHIND) {
		c->skipped += bytes; /* never held back for a slow reader */
		return 1;
	}
	char head[32];
	int m = snprintf(head, sizeof head, "%zx\r\n", bytes);
	int r = out_add(c, head, (size_t)m);
	for (int i = 0; i < n && r == 0; i++)
		r = out_add(c, iov[i].iov_base, iov[i].iov_len);
	if (r == 0)
		r = out_add(c, "\r\n", 2);
	if (r < 0) {
		client_close(c);
		return -1;
	}
	if (c->watch.events & EPOLLOUT)
		return 0; /* it goes once the socket takes more */
	if (now)
		client_flush(c);
	else if (loop_watch_mod(&c->watch, EPOLLOUT) < 0)
		client_close(c);
	return c->fd < 0 ? -1 : 0;
}

int http_stream_write(struct http_conn *c, const struct iovec *iov, int n)
{
	return stream_add(c, iov, n, true);
}

int http_stream_queue(struct http_conn *c, const struct iovec *iov, int n)
{
	return stream_add(c, iov, n, false);
}

void http_stream_end(struct http_conn *c)
{
	if (c->fd < 0 || c->hold != HOLD_STREAM)
		return;
	c->hold = HOLD_NONE;
	c->gone = NULL;
	(void)out_add(c, "0\r\n\r\n", 5); /* the end of the chunked stream */
	/* out from the loop, as the chunks before it (a caller may be inside
	 * one of the core's hooks); the connection closes once it is */
	if (!(c->watch.events & EPOLLOUT) && loop_watch_mod(&c->watch, EPOLLOUT) < 0)
		client_close(c);
}

size_t http_stream_pending(const struct http_conn *c)
{
	return c->hold == HOLD_STREAM ? c->outlen - c->sent : 0;
}

/* RQ says "Authorization: Bearer T" with T the listener's token; as long
 * whatever matches, as httpreq_authorized() is. */
static bool bearer_matches(const struct listener *l, const struct http_request *rq)
{
	const char *a = httpreq_header(rq, "authorization");
	if (!l->token || !a || strncasecmp(a, "Bearer ", 7) != 0)
		return false;
	a += 7;
	size_t n = strlen(a), m = strlen(l->token);
	unsigned char diff = n != m;
	for (size_t i = 0; i < m; i++)
		diff |= (unsigned char)(l->token[i] ^ (i < n ? a[i] : 0));
	return diff == 0;
}

static void count_refused(void)
{
	H.refused++;
	log_warn("http: refused a request without the right credentials (%llu refused so far)",
		 (unsigned long long)H.refused);
}

bool http_authorize(struct http_conn *c, const struct http_request *rq)
{
	const struct listener *l = c->l;
	bool ok;
	if (l->token) /* the token, or the Basic credentials when there are some */
		ok = bearer_matches(l, rq) ||
		     (l->username && httpreq_authorized(rq, l->username, l->password));
	else
		ok = httpreq_authorized(rq, l->username, l->password);
	if (ok) {
		c->authed = true;
		return true;
	}
	count_refused();
	c->close_after = true;
	return false;
}

bool http_read_only(const struct http_conn *c)
{
	return c->l->read_only;
}

/* A whole request: its credentials checked, then to its route. */
static void handle_request(struct http_conn *c)
{
	c->started = false;
	loop_timer_cancel(&c->timer);
	struct http_request *rq = httpreq_request(c->req);
	c->keepalive = rq->keepalive;
	if (!c->keepalive)
		c->close_after = true;
	unsigned flags = route_flags(rq);
	/* checked here unless public or its handler checks (http_authorize) */
	bool checked = !(flags & (HTTP_ROUTE_PUBLIC | HTTP_ROUTE_OWN_AUTH));
	if (checked && !httpreq_authorized(rq, c->l->username, c->l->password)) {
		count_refused();
		http_respond_error(c, 401);
	} else {
		/* (a public route's request proves nothing of its sender) */
		if (checked)
			c->authed = true;
		route(c, rq);
		/* a stream's head, when no chunk took it out */
		if (c->fd >= 0 && c->sent < c->outlen && !(c->watch.events & EPOLLOUT))
			client_flush(c);
	}
	httpreq_next(c->req);
}

/* Parse what is buffered; handle a request once one is whole. A loop,
 * never a recursion: an answer written at once does not parse the next
 * request from inside the handler (client_flush), or a client that
 * pipelines thousands of requests would overflow corrald's stack. */
static void client_parse(struct http_conn *c)
{
	if (c->parsing)
		return;
	c->parsing = true;
	c->parse_due = false;
	while (c->inlen && c->hold == HOLD_NONE && c->fd >= 0 && c->outlen == c->sent) {
		if (!c->started) {
			c->started = true;
			int64_t by = loop_now_ms() + REQUEST_TIMEOUT_MS;
			if (!c->authed && c->auth_by < by)
				by = c->auth_by;
			if (loop_timer_set(&c->timer, by) < 0) {
				client_close(c);
				break;
			}
		}
		size_t n;
		int st = httpreq_feed(c->req, c->in, c->inlen, &n);
		memmove(c->in, c->in + n, c->inlen - n);
		c->inlen -= n;
		if (st >= 400) {
			if (st == 400)
				log_debug("http: bad HTTP: %s", httpreq_why(c->req));
			c->close_after = true;
			http_respond_error(c, st);
			break;
		}
		if (st == 0)
			break; /* wait for more */
		handle_request(c);
	}
	c->parsing = false;
}

static void client_flush(struct http_conn *c)
{
	while (c->sent < c->outlen) {
		ssize_t n = io_write_some(c->fd, c->out + c->sent, c->outlen - c->sent);
		if (n == -EAGAIN)
			break;
		if (n < 0) {
			client_close(c);
			return;
		}
		c->sent += (size_t)n;
	}
	if (c->sent < c->outlen) {
		if (loop_watch_mod(&c->watch, EPOLLOUT) < 0 ||
		    loop_timer_set(&c->timer, loop_now_ms() + WRITE_TIMEOUT_MS) < 0)
			client_close(c);
		return;
	}
	c->sent = c->outlen = 0;
	if (c->hold == HOLD_STREAM) {
		/* a stream never times out on an empty buffer, and reads nothing */
		loop_timer_cancel(&c->timer);
		if (loop_watch_mod(&c->watch, EPOLLIN) < 0) /* to see it hang up */
			client_close(c);
		return;
	}
	if (c->close_after) {
		client_close(c);
		return;
	}
	if (c->authed)
		loop_timer_cancel(&c->timer);
	else if (loop_timer_set(&c->timer, c->auth_by) < 0) {
		client_close(c);
		return;
	}
	if (loop_watch_mod(&c->watch, EPOLLIN) < 0) {
		client_close(c);
		return;
	}
	/* A pipelined request may be waiting: inside client_parse() its loop
	 * goes on; else (an answer that waited, or went out on EPOLLOUT) from
	 * a deadline at once, never from inside whatever answered. */
	if (!c->parsing && c->inlen && c->hold == HOLD_NONE) {
		c->parse_due = true;
		if (loop_timer_set(&c->timer, loop_now_ms()) < 0)
			client_close(c);
	}
}

static void client_read(struct http_conn *c)
{
	for (;;) {
		if (c->inlen == c->incap) {
			if (c->incap >= 2 * HTTPREQ_BODY_MAX) {
				/* only while a request is handled: stop reading */
				if (loop_watch_mod(&c->watch, 0) < 0)
					client_close(c);
				return;
			}
			size_t cap = c->incap ? c->incap * 2 : 4096;
			char *in = realloc(c->in, cap);
			if (!in) {
				client_close(c);
				return;
			}
			c->in = in;
			c->incap = cap;
		}
		ssize_t n = io_read_some(c->fd, c->in + c->inlen, c->incap - c->inlen);
		if (n == -EAGAIN)
			break;
		if (n <= 0) { /* hung up, or an error */
			client_close(c);
			return;
		}
		if (c->hold == HOLD_STREAM) { /* a stream's reader has nothing more to say */
			c->inlen = 0;
			continue;
		}
		c->inlen += (size_t)n;
		client_parse(c);
		if (c->fd < 0)
			return;
	}
}

/* The client to close to make room: the oldest that has not authenticated
 * (on a server that asks for credentials), else the oldest idle kept-alive
 * one (nothing asked, nothing owed); NULL when none. */
static struct http_conn *oldest_idle(void)
{
	struct http_conn *idle = NULL, *unauthed = NULL;
	for (struct http_conn *c = H.clients; c; c = c->next) { /* newest first */
		if (c->hold != HOLD_NONE)
			continue;
		if (!c->authed)
			unauthed = c;
		else if (!c->started && c->outlen == c->sent)
			idle = c;
	}
	return unauthed ? unauthed : idle;
}

static void client_accept(struct listener *l)
{
	for (;;) {
		if (H.nclients >= MAX_CLIENTS) {
			/* idle connections must not lock others out: the oldest goes */
			struct http_conn *idle = oldest_idle();
			if (!idle) {
				if (loop_watch_mod(&l->watch, 0) < 0)
					log_err("http: epoll_ctl on a listening socket: %m");
				return;
			}
			log_warn("http: %d clients: closing %s", MAX_CLIENTS,
				 idle->authed ? "an idle one" : "one that has not authenticated");
			client_close(idle);
		}
		int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				log_warn("http: accept: %m");
			return;
		}
		struct http_conn *c = calloc(1, sizeof *c);
		if (!c) {
			log_err("http: out of memory");
			close(fd);
			continue;
		}
		static uint64_t serials;
		loop_watch_init(&c->watch, client_event, c);
		c->fd = fd;
		c->serial = ++serials;
		c->l = l;
		loop_timer_init(&c->timer, client_due, c);
		c->authed = !l->username;
		c->auth_by = loop_now_ms() + AUTH_TIMEOUT_MS;
		if (!c->authed && loop_timer_set(&c->timer, c->auth_by) < 0) {
			close(fd);
			free(c);
			continue;
		}
		c->req = httpreq_new(H.want);
		if (!c->req || loop_watch(fd, EPOLLIN, &c->watch) < 0) {
			loop_timer_cancel(&c->timer);
			close(fd);
			httpreq_free(c->req);
			free(c);
			continue;
		}
		c->next = H.clients;
		H.clients = c;
		H.nclients++;
		client_read(c);
	}
}

static void listen_event(struct watch *w, uint32_t events)
{
	client_accept(w->ctx);
}

static void client_event(struct watch *w, uint32_t events)
{
	struct http_conn *c = w->ctx;
	if (c->fd < 0)
		return;
	if (events & (EPOLLERR | EPOLLHUP)) {
		client_close(c);
		return;
	}
	if (events & EPOLLOUT)
		client_flush(c);
	if (c->fd >= 0 && (events & EPOLLIN))
		client_read(c);
}

static void client_due(struct deadline *d)
{
	struct http_conn *c = d->ctx;
	if (c->fd < 0)
		return;
	if (c->parse_due) {
		client_parse(c);
		return;
	}
	if (!c->authed && loop_now_ms() >= c->auth_by) {
		H.refused++;
		log_warn("http: a client made no request with the right credentials within %d s: "
			 "closed (%llu refused so far)", AUTH_TIMEOUT_MS / 1000,
			 (unsigned long long)H.refused);
		client_close(c);
		return;
	}
	if (c->sent < c->outlen) {
		log_warn("http: a client took no answer for %d s: dropped", WRITE_TIMEOUT_MS / 1000);
		client_close(c);
		return;
	}
	log_warn("http: a request did not arrive whole within %d s: dropped",
		 REQUEST_TIMEOUT_MS / 1000);
	c->close_after = true;
	http_respond_error(c, 408);
}

const char *http_server_url(void)
{
	return H.url;
}

/* ---- listening ---- */

/* "user[:group]" into ids; false with ERR when either is unknown. */
static bool owner_ids(const char *spec, uid_t *uid, gid_t *gid, char *err, size_t errlen)
{
	char user[256];
	snprintf(user, sizeof user, "%s", spec);
	char *colon = strchr(user, ':');
	if (colon)
		*colon = '\0';
	struct users u = { 0 };
	bool ok = users_set_user(&u, user, err, errlen) == 0 &&
		  (!colon || users_set_group(&u, colon + 1, err, errlen) == 0);
	*uid = u.uid;
	*gid = u.gid;
	users_free(&u);
	return ok;
}

/* The key of H's listener in a handover record (handover.h). */
static void listener_key(const struct http_config *h, bool unix_, char *buf, size_t len)
{
	if (unix_)
		snprintf(buf, len, "%s", h->file);
	else
		snprintf(buf, len, "%s:%s", h->host ? h->host : "", h->port);
}

/* After an exec of corrald: the listening socket it had for H, taken back;
 * 1 when there was one (L then set, or -1 after logging why), else 0. */
static int adopt_listener(struct listener *l, const struct http_config *h, bool unix_)
{
	char key[PATH_MAX + 64];
	listener_key(h, unix_, key, sizeof key);
	int fd = handover_take_fd(unix_ ? "http-unix" : "http-inet", key);
	if (fd < 0)
		return 0;
	struct stat st;
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 || (unix_ && lstat(h->file, &st) < 0)) {
		log_err("%s: %s: %m", h->where, key);
		close(fd);
		return -1;
	}
	if (unix_) {
		l->dev = st.st_dev;
		l->ino = st.st_ino;
		if (!(l->path = strdup(h->file))) {
			close(fd);
			return -1;
		}
	}
	const char *host = h->host && *h->host && strcmp(h->host, "*") != 0 ? h->host : NULL;
	int n = unix_ ? asprintf(&H.url, "unix://%s", h->file)
		      : asprintf(&H.url, "http://%s:%s", host ? host : "127.0.0.1", h->port);
	if (n < 0) {
		H.url = NULL;
		free(l->path);
		l->path = NULL;
		close(fd);
		return -1;
	}
	l->fd = fd;
	return 1;
}

int http_handover(struct handover *h, char *why, size_t whylen)
{
	/* Answers ready go out; connections end with the exec. */
	for (struct http_conn *c = H.clients; c; c = c->next)
		if (c->sent < c->outlen)
			(void)io_write_some(c->fd, c->out + c->sent, c->outlen - c->sent);
	for (int i = 0; i < H.nl; i++) {
		if (!H.l[i].hkey || H.l[i].fd < 0)
			continue;
		if (handover_add_fd(h, H.l[i].is_unix ? "http-unix" : "http-inet", H.l[i].hkey,
				    H.l[i].fd) < 0) {
			snprintf(why, whylen, "out of memory");
			return -1;
		}
	}
	return 0;
}

static int open_unix(struct listener *l, const struct http_config *h)
{
	int kept = adopt_listener(l, h, true);
	if (kept)
		return kept < 0 ? -1 : 0;
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	if (strlen(h->file) >= sizeof addr.sun_path) {
		log_err("%s: [unix_http_server] file %s: path too long", h->where, h->file);
		return -1;
	}
	strcpy(addr.sun_path, h->file);
	/* A socket left by a server that died is replaced; a live one, or
	 * any other file, is not. */
	char why[256];
	if (sockets_reclaim_path(h->file, why, sizeof why) < 0) {
		log_err("%s: [unix_http_server] file %s: %s", h->where, h->file, why);
		return -1;
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_err("http: socket: %m");
		return -1;
	}
	uid_t uid;
	gid_t gid;
	int r = sockets_bind_unix(fd, &addr, sizeof addr, h->chmod);
	if (r < 0) {
		log_err("%s: [unix_http_server] bind %s: %s", h->where, h->file, strerror(-r));
		close(fd);
		return -1;
	}
	struct stat st;
	if (lstat(h->file, &st) < 0) {
		log_err("%s: [unix_http_server] %s: %m", h->where, h->file);
		goto fail;
	}
	l->dev = st.st_dev;
	l->ino = st.st_ino;
	if (h->chown) {
		if (!owner_ids(h->chown, &uid, &gid, why, sizeof why)) {
			log_err("%s: [unix_http_server] chown %s: %s", h->where, h->chown, why);
			goto fail;
		}
		if (lchown(h->file, uid, gid) < 0) {
			log_err("%s: [unix_http_server] chown %s: %m", h->where, h->file);
			goto fail;
		}
	}
	if (listen(fd, 128) < 0) {
		log_err("%s: [unix_http_server] listen %s: %m", h->where, h->file);
		goto fail;
	}
	l->path = strdup(h->file);
	if (!l->path || asprintf(&H.url, "unix://%s", h->file) < 0) {
		H.url = NULL;
		log_err("http: out of memory");
		goto fail;
	}
	l->fd = fd;
	return 0;
fail:
	unlink(h->file);
	close(fd);
	free(l->path);
	l->path = NULL;
	return -1;
}

static int open_inet(struct listener *l, const struct http_config *h)
{
	int kept = adopt_listener(l, h, false);
	if (kept)
		return kept < 0 ? -1 : 0;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE },
			*res = NULL;
	const char *host = h->host && *h->host && strcmp(h->host, "*") != 0 ? h->host : NULL;
	int r = getaddrinfo(host, h->port, &hints, &res);
	if (r != 0) {
		log_err("%s: [inet_http_server] port %s:%s: %s", h->where, host ? host : "*", h->port,
			gai_strerror(r));
		return -1;
	}
	int fd = -1;
	for (struct addrinfo *a = res; a; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		int one = 1;
		if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0 &&
		    bind(fd, a->ai_addr, a->ai_addrlen) == 0 && listen(fd, 128) == 0)
			break;
		log_err("%s: [inet_http_server] port %s:%s: %m", h->where, host ? host : "*", h->port);
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return -1;
	if (asprintf(&H.url, "http://%s:%s", host ? host : "127.0.0.1", h->port) < 0) {
		H.url = NULL;
		close(fd);
		return -1;
	}
	l->fd = fd;
	return 0;
}

/* What the routes serve, for the log: their names, ", " between. */
static void served(char *buf, size_t len)
{
	size_t n = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < H.nroutes && n < len; i++) {
		const char *name = H.routes[i]->name;
		bool said = !name;
		for (size_t k = 0; k < i && !said; k++)
			said = H.routes[k]->name && strcmp(H.routes[k]->name, name) == 0;
		if (!said)
			n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? ", " : "", name);
	}
	if (!buf[0])
		snprintf(buf, len, "HTTP");
}

/* The bearer token of H's api_token_file into L: its first line, without
 * the blanks around it. The file's mode was checked at the config's load
 * (cfgsect.c); checked again here, on what is opened. 0, or -1 after
 * logging why. */
static int read_token(struct listener *l, const struct http_config *h)
{
	char buf[HTTP_TOKEN_MAX + 2];
	const char *at = h->api_token_where ? h->api_token_where : h->where;
	int fd = open(h->api_token_file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		log_err("%s: api_token_file %s: %m", at, h->api_token_file);
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		log_err("%s: api_token_file %s: fstat: %m", at, h->api_token_file);
		close(fd);
		return -1;
	}
	if (st.st_mode & 077) { /* changed since the config was read */
		log_err("%s: api_token_file %s: group or others may read it: chmod 600 it", at,
			h->api_token_file);
		close(fd);
		return -1;
	}
	size_t n = io_pread_upto(fd, buf, sizeof buf - 1, 0);
	close(fd);
	buf[n] = '\0';
	char *t = buf + strspn(buf, " \t");
	t[strcspn(t, "\r\n")] = '\0';
	size_t len = strlen(t);
	while (len && (t[len - 1] == ' ' || t[len - 1] == '\t'))
		t[--len] = '\0';
	if (!len || len > HTTP_TOKEN_MAX) {
		log_err("%s: api_token_file %s: %s", at, h->api_token_file,
			len ? "a token longer than 256 bytes" : "no token in it");
		explicit_bzero(buf, sizeof buf);
		return -1;
	}
	l->token = strdup(t);
	explicit_bzero(buf, sizeof buf);
	if (!l->token) {
		log_err("http: out of memory");
		return -1;
	}
	return 0;
}

int http_open(const struct corral_config *cfg)
{
	const struct http_config *hs[] = { &cfg->unix_http, &cfg->inet_http };
	char what[256];
	served(what, sizeof what);
	for (int i = 0; i < 2; i++) {
		const struct http_config *h = hs[i];
		if (!h->enabled)
			continue;
		struct listener *l = &H.l[H.nl];
		char *keep = H.url;
		H.url = NULL;
		int r = i == 0 ? open_unix(l, h) : open_inet(l, h);
		if (r == 0) {
			char key[PATH_MAX + 64];
			listener_key(h, i == 0, key, sizeof key);
			l->is_unix = i == 0;
			l->hkey = strdup(key); /* NULL: not handed over, said at the exec */
		}
		if (keep) { /* SUPERVISOR_SERVER_URL: the unix socket when there is one */
			free(H.url);
			H.url = keep;
		}
		if (r < 0) {
			http_close();
			return -1;
		}
		loop_watch_init(&l->watch, listen_event, l);
		H.nl++;
		if (loop_watch(l->fd, EPOLLIN, &l->watch) < 0) {
			log_err("http: epoll_ctl: %m");
			http_close();
			return -1;
		}
		if (h->username && (!(l->username = strdup(h->username)) ||
				    !(l->password = strdup(h->password)))) {
			log_err("http: out of memory");
			http_close();
			return -1;
		}
		l->read_only = h->read_only;
		if (h->api_token_file && read_token(l, h) < 0) {
			http_close();
			return -1;
		}
		log_info("serving %s on %s%s%s%s", what, i == 0 ? h->file : h->port,
			 h->username ? " (with a password)" : "",
			 l->token ? " (the JSON API with a bearer token too)" : "",
			 l->read_only ? " (the JSON API read-only)" : "");
	}
	return 0;
}

void http_close(void)
{
	while (H.clients) {
		struct http_conn *c = H.clients;
		if (c->sent < c->outlen) /* a last answer (shutdown's) goes out if it can */
			(void)io_write_some(c->fd, c->out + c->sent, c->outlen - c->sent);
		client_close(c);
	}
	for (int i = 0; i < H.nl; i++) {
		if (H.l[i].fd >= 0) {
			loop_unwatch(&H.l[i].watch);
			close(H.l[i].fd);
			H.l[i].fd = -1;
		}
		if (H.l[i].path) {
			if (sockets_same_file(H.l[i].path, H.l[i].dev, H.l[i].ino))
				unlink(H.l[i].path);
			free(H.l[i].path);
			H.l[i].path = NULL;
		}
		free(H.l[i].username);
		free(H.l[i].password);
		free(H.l[i].hkey);
		if (H.l[i].token)
			explicit_bzero(H.l[i].token, strlen(H.l[i].token));
		free(H.l[i].token);
		H.l[i].username = H.l[i].password = H.l[i].hkey = H.l[i].token = NULL;
		H.l[i].read_only = false;
	}
	H.nl = 0;
	http_bury();
	free(H.url);
	H.url = NULL;
}
