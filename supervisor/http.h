/* http — corrald's one HTTP/1.1 server, on the sockets of [unix_http_server]
 * and [inet_http_server]: connections in corrald's event loop, requests
 * read one at a time within bounds (httpreq.h) and deadlines, keep-alive,
 * Basic auth, and a route table.
 *
 * What is served is not known here: each part registers its routes (rpc.c
 * supervisord's XML-RPC at /RPC2 and its /logtail/; a web page, a JSON
 * API, /metrics or /healthz the same way), and answers through the
 * functions below: whole, later (a call that waits for processes), or as
 * a chunked stream that goes on. */
#ifndef CORRAL_HTTP_H
#define CORRAL_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "supervisor/httpreq.h"

/* A client's connection; the server's. A pointer to one stays valid while
 * its answer is owed (from the handler's call until the answer, or until
 * the gone callback), never after. */
struct http_conn;

/* Serve request RQ of connection C; CTX is the route's. RQ and what it
 * points to (the body) are valid during the call only. Before it returns
 * a handler does one of:
 *   - http_respond() or http_respond_error(): the whole answer;
 *   - http_defer(): the answer comes later, by http_respond();
 *   - http_stream_begin(): a chunked answer, http_stream_write() and
 *     http_stream_end() then.
 * One that does none gets a 500 answered for it. */
typedef void http_handler_fn(struct http_conn *c, const struct http_request *rq, void *ctx);

/* The connection of a deferred answer or a stream closed before the
 * answer was done: the client went, a write failed, or corrald stops. CTX
 * is what http_defer() or http_stream_begin() was given; the connection
 * is no longer to be used. */
typedef void http_gone_fn(void *ctx);

enum {
	HTTP_ROUTE_PREFIX = 1u << 0, /* PATH is a prefix; rq->rest: what follows it */
	HTTP_ROUTE_QUERY = 1u << 1,  /* PATH exactly, or followed by "?" and a query */
	/* Served without the listener's credentials (an orchestrator's probe,
	 * /healthz and /readyz, that cannot send them): it must say nothing a
	 * stranger should not know. */
	HTTP_ROUTE_PUBLIC = 1u << 2,
	/* Its handler checks the credentials itself, with http_authorize(), so
	 * that it can refuse in its own format; the listener's bearer token
	 * (api_token_file) counts for it. */
	HTTP_ROUTE_OWN_AUTH = 1u << 3,
};

struct http_route {
	const char *path;       /* "/RPC2"; with HTTP_ROUTE_PREFIX "/logtail/" */
	unsigned flags;         /* HTTP_ROUTE_*; 0: PATH exactly */
	unsigned methods;       /* the HTTPREQ_ bits it serves */
	int wrong_method;       /* the status a request with another method gets; 0: 405 */
	/* What it serves, for the log line of each listener ("serving NAME on
	 * ..."); NULL: a route of a part another route names. */
	const char *name;
	/* Headers its handler reads (httpreq_header()): lowercase names,
	 * NULL-terminated; NULL: none. Authorization is the server's. */
	const char *const *headers;
	http_handler_fn *fn;
	void *ctx;
};

/* Routes at most: a fixed table, no heap. */
#define HTTP_ROUTES_MAX 16

/* Serve R (kept by pointer: it must outlive the server). A request goes
 * to the first route added whose path and methods match it; one whose
 * path matches a route but no method gets the first such route's
 * wrong_method; any other, a 404. 0, or -ENOSPC: no room for it, or for
 * its headers (HTTPREQ_HEADERS_MAX in all). */
int http_route_add(const struct http_route *r);
/* R serves nothing more. */
void http_route_remove(const struct http_route *r);

/* ---- what a route with HTTP_ROUTE_OWN_AUTH asks of its connection ---- */

/* RQ, come to C, carries the listener's credentials: its Basic ones, or
 * "Authorization: Bearer TOKEN" with the listener's token; true too when
 * the listener asks for neither. When false the refusal is counted and
 * logged, and C closes after the answer (a 401 from the caller). */
bool http_authorize(struct http_conn *c, const struct http_request *rq);
/* A token (api_token_file) has at most this many bytes. */
#define HTTP_TOKEN_MAX 256
/* The listener C came to has read_only = true. */
bool http_read_only(const struct http_conn *c);

/* ---- answers ---- */

/* The whole answer: STATUS, Content-Type TYPE, LEN bytes of BODY. Also
 * the answer a handler deferred. C may be closed on return (the request
 * asked for it, or the write failed). */
void http_respond(struct http_conn *c, int status, const char *type, const char *body,
		  size_t len);
/* The same with HEADERS too: whole lines ("Location: /\r\n..."), "" for
 * none; more than HTTP_HEADERS_MAX bytes of them are an error (logged, the
 * connection closed). */
void http_respond_with(struct http_conn *c, int status, const char *type, const char *headers,
		       const char *body, size_t len);
#define HTTP_HEADERS_MAX 1024
/* An error answer, "STATUS Reason" in plain text; the connection closes
 * after it, but after a 404 of a request that may stay. */
void http_respond_error(struct http_conn *c, int status);
/* The answer comes later (http_respond()): until then the connection
 * reads no further request and has no deadline; GONE(CTX) if it closes
 * first. */
void http_defer(struct http_conn *c, http_gone_fn *gone, void *ctx);

/* Which connection C is, for a client's calls that go together (a
 * supervisorctl command's calls come on one connection): never 0, and
 * never the same for two connections, unlike C itself. */
uint64_t http_conn_serial(const struct http_conn *c);

/* A 200 with Content-Type TYPE whose body is chunks written as they come;
 * the connection ends with it. GONE(CTX) when it closes before
 * http_stream_end(). 0, or -1: out of memory, the connection closed
 * (GONE not called). */
int http_stream_begin(struct http_conn *c, const char *type, http_gone_fn *gone, void *ctx);
/* One chunk of N pieces. A reader that has more than HTTP_STREAM_BEHIND
 * bytes waiting never holds corrald back: what would pass it is skipped
 * (and counted). 0 queued (or nothing to write), 1 skipped, -1 the
 * connection closed (after GONE). */
int http_stream_write(struct http_conn *c, const struct iovec *iov, int n);
/* The same, but nothing is written now: the chunk waits in C's buffer
 * until the loop sees the socket writable (for a caller inside one of the
 * core's hooks, which must not write). */
int http_stream_queue(struct http_conn *c, const struct iovec *iov, int n);
/* The last chunk; the connection closes once it is out (written from the
 * loop, when the socket takes it). */
void http_stream_end(struct http_conn *c);
/* Bytes of C's stream not yet taken by its reader (0 when C is no stream). */
size_t http_stream_pending(const struct http_conn *c);

#define HTTP_STREAM_BEHIND (1024 * 1024)

/* Where programs find the server: "unix:///path" (the unix socket when
 * there is one) or "http://host:port"; NULL when none is configured. */
const char *http_server_url(void);

/* ---- the server's life: main.c calls these from the core's hooks ---- */

struct corral_config;

/* Listen where CFG's [unix_http_server] and [inet_http_server] say;
 * nothing when it names neither. 0, or -1 after logging why (and closing
 * what it opened). */
int http_open(const struct corral_config *cfg);
/* Stop serving: each client's last answer goes out if it can at once,
 * every connection closes (a deferred answer's or a stream's part is told),
 * the listeners close and the unix socket is removed. */
void http_close(void);

struct handover;
/* corrald execs itself: the listening sockets go across (hooks.h's
 * on_handover); http_open takes them back after the exec. */
int http_handover(struct handover *h, char *why, size_t whylen);
/* After each turn of the loop: free the connections closed during it. */
void http_bury(void);

#endif
