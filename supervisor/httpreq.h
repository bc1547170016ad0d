/* httpreq — HTTP/1.1 requests read from the bytes a client sends, one at a
 * time, with http-parser and within bounds; and what a request's
 * Authorization says against a server's credentials (Basic, plain or
 * supervisord's "{SHA}" form).
 *
 * No socket and no loop: the server (http.c) feeds a reader what it read
 * from a connection, the fuzzer (tests/fuzz/fuzz_http.c) what it made up,
 * through the same code and the same limits. */
#ifndef CORRAL_HTTPREQ_H
#define CORRAL_HTTPREQ_H

#include <stdbool.h>
#include <stddef.h>

/* A request's method, as a bit, so that a route may serve several. */
enum {
	HTTPREQ_GET = 1u << 0,
	HTTPREQ_HEAD = 1u << 1,
	HTTPREQ_POST = 1u << 2,
	HTTPREQ_PUT = 1u << 3,
	HTTPREQ_DELETE = 1u << 4,
	HTTPREQ_OPTIONS = 1u << 5,
	HTTPREQ_PATCH = 1u << 6,
	HTTPREQ_OTHER = 1u << 7,        /* CONNECT, TRACE, WebDAV's ... */
};

/* The bounds, and the status a request past one gets (its connection is
 * closed after it). The request line and headers together are bounded by
 * http-parser (HTTP_MAX_HEADER_SIZE, 80 KiB): 400. */
#define HTTPREQ_TARGET_MAX 4096         /* the request target: 431 */
#define HTTPREQ_VALUE_MAX 511           /* a header kept (Authorization ...): 431 */
#define HTTPREQ_BODY_MAX (1024 * 1024)  /* the body: 413 */
/* Headers a request keeps, Authorization included; the others are read
 * past. */
#define HTTPREQ_HEADERS_MAX 8

/* A whole request, valid until httpreq_next() or httpreq_free(). */
struct http_request {
	unsigned method;                /* one HTTPREQ_ bit */
	const char *target;             /* as sent ("/RPC2?x"); "/" when empty */
	const char *body;               /* BODYLEN bytes, then a NUL; "" when none */
	size_t bodylen;
	bool keepalive;                 /* the connection may stay after the answer */
	/* The server's: what follows the path of the prefix route that took
	 * the request (http.h); "" for any other. */
	const char *rest;
	/* The headers kept: NAMES[i]'s value is VALUES[i], NULL when it was
	 * not sent (httpreq_header() finds one by name). */
	const char *names[HTTPREQ_HEADERS_MAX];
	const char *values[HTTPREQ_HEADERS_MAX];
};

struct httpreq;

/* A reader for one connection: Authorization is kept, and the headers
 * WANT names (lowercase, NULL-terminated; NULL for none), read at each
 * header, so that names added later count; WANT must outlive the reader.
 * NULL when out of memory. Freed with httpreq_free(). */
struct httpreq *httpreq_new(const char *const *want);
void httpreq_free(struct httpreq *r);

/* Read from IN (LEN bytes); *USED: how many were taken (the rest belongs
 * to the next request, or was not read past an error). 0: the request is
 * not whole yet, feed more; 1: it is (httpreq_request()), and no byte
 * after it is read until httpreq_next(); else the HTTP status that refuses
 * it (400 malformed, 413, 431, 500 out of memory): the reader is then done
 * with this connection (httpreq_why() says why). LEN 0 reads nothing. */
int httpreq_feed(struct httpreq *r, const char *in, size_t len, size_t *used);
/* After httpreq_feed() returned 1. */
struct http_request *httpreq_request(struct httpreq *r);
/* Done with the request: its parts are freed, the next may be read. */
void httpreq_next(struct httpreq *r);
/* Why the last httpreq_feed() refused the request, for a log. */
const char *httpreq_why(const struct httpreq *r);

/* The value of header NAME (lowercase) if it is one RQ kept, else NULL. */
const char *httpreq_header(const struct http_request *rq, const char *name);

/* RQ's Authorization gives USERNAME and PASSWORD (plain, or "{SHA}" and
 * the hex SHA-1 of it, as supervisord takes it); true when USERNAME is
 * NULL: no credentials asked. The comparison takes as long whatever
 * matches. */
bool httpreq_authorized(const struct http_request *rq, const char *username,
			const char *password);

#endif
