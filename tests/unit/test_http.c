/* Unit tests for supervisor/http.c: the server on a real unix socket in
 * the real event loop, with routes of the tests' own: which route takes a
 * request (exact, with a query, prefix; by method), the answers a handler
 * gives (whole, deferred, streamed, none), the headers it asked for, the
 * connection closed under a deferred answer or a stream, and Basic auth. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "supervisor/config.h"
#include "supervisor/http.h"
#include "supervisor/loop.h"

/* Turns a test waits for an answer, at most (each up to 50 ms). */
#define MAX_TURNS 100

static char dir[64], sock[96];

/* ---- the routes ---- */

/* Answers "METHOD-BITS TARGET REST BODY" in plain text. */
static void echo(struct http_conn *c, const struct http_request *rq, void *ctx)
{
	char out[8192];
	const char *x = httpreq_header(rq, "x-test");
	int n = snprintf(out, sizeof out, "%s %u %s [%s] %s %s", (const char *)ctx, rq->method,
			 rq->target, rq->rest, x ? x : "-", rq->body);
	http_respond(c, 200, "text/plain", out, (size_t)n);
}

static void silent(struct http_conn *c, const struct http_request *rq, void *ctx)
{
	(void)c;
	(void)rq;
	(void)ctx;
}

static struct http_conn *held;
static int gone_calls;

static void gone(void *ctx)
{
	assert_ptr_equal(ctx, &held);
	gone_calls++;
	held = NULL;
}

static void later(struct http_conn *c, const struct http_request *rq, void *ctx)
{
	held = c;
	http_defer(c, gone, &held);
}

static void stream(struct http_conn *c, const struct http_request *rq, void *ctx)
{
	assert_int_equal(http_stream_begin(c, "text/plain", gone, &held), 0);
	held = c;
	struct iovec iov[2] = { { .iov_base = (void *)"ab", .iov_len = 2 },
				{ .iov_base = (void *)"c", .iov_len = 1 } };
	assert_int_equal(http_stream_write(c, iov, 2), 0);
}

static const char *const x_test[] = { "x-test", NULL };

static const struct http_route routes[] = {
	{ .path = "/exact", .methods = HTTPREQ_GET | HTTPREQ_POST, .name = "the tests",
	  .fn = echo, .ctx = (void *)"exact" },
	{ .path = "/query", .flags = HTTP_ROUTE_QUERY, .methods = HTTPREQ_GET,
	  .fn = echo, .ctx = (void *)"query", .headers = x_test },
	{ .path = "/pre/", .flags = HTTP_ROUTE_PREFIX, .methods = HTTPREQ_GET,
	  .wrong_method = 400, .fn = echo, .ctx = (void *)"prefix" },
	/* the same path, another method: another route */
	{ .path = "/exact", .methods = HTTPREQ_DELETE, .fn = echo, .ctx = (void *)"delete" },
	{ .path = "/silent", .methods = HTTPREQ_GET, .fn = silent },
	{ .path = "/later", .methods = HTTPREQ_GET, .fn = later },
	{ .path = "/stream", .methods = HTTPREQ_GET, .fn = stream },
};

/* ---- the server and its clients ---- */

static int serve(const char *user, const char *password)
{
	struct corral_config cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.unix_http.enabled = true;
	cfg.unix_http.file = sock;
	cfg.unix_http.chmod = 0700;
	cfg.unix_http.where = (char *)"test";
	cfg.unix_http.username = (char *)user;
	cfg.unix_http.password = (char *)password;
	return http_open(&cfg);
}

static int setup(void **state)
{
	snprintf(dir, sizeof dir, "/tmp/corral-test-http-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(sock, sizeof sock, "%s/http.sock", dir);
	if (loop_init() < 0)
		return -1;
	for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
		if (http_route_add(&routes[i]) < 0)
			return -1;
	return serve(NULL, NULL);
}

static int teardown(void **state)
{
	http_close();
	loop_close();
	rmdir(dir);
	return 0;
}

static int client(void)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	assert_true(fd >= 0);
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	snprintf(a.sun_path, sizeof a.sun_path, "%s", sock);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
	return fd;
}

static void say(int fd, const char *s)
{
	assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

static void turn(void)
{
	assert_true(loop_run_once(50) >= 0);
	http_bury();
}

/* Turn the loop until FD has given an answer holding WANT (or, WANT NULL,
 * hung up): what it read, NUL-terminated, into BUF. */
static const char *answer(int fd, const char *want, char *buf, size_t len)
{
	size_t got = 0;
	buf[0] = '\0';
	for (int i = 0; i < MAX_TURNS; i++) {
		turn();
		ssize_t n = -1;
		while (got + 1 < len && (n = read(fd, buf + got, len - 1 - got)) > 0)
			got += (size_t)n;
		buf[got] = '\0';
		if (want && strstr(buf, want))
			return buf;
		if (!want && n == 0)
			return buf;
	}
	fail_msg("no answer with %s: got %s", want ? want : "a hang-up", buf);
	return buf;
}

/* One request on a new connection: its answer (and the connection closed). */
static const char *ask(const char *req, const char *want, char *buf, size_t len)
{
	int fd = client();
	say(fd, req);
	answer(fd, want, buf, len);
	close(fd);
	return buf;
}

/* ---- the tests ---- */

static void test_route_exact(void **state)
{
	char buf[4096];
	ask("GET /exact HTTP/1.1\r\n\r\n", "\r\n\r\nexact 1 /exact []", buf, sizeof buf);
	assert_non_null(strstr(buf, "HTTP/1.1 200 OK\r\n"));
	assert_non_null(strstr(buf, "Content-Type: text/plain\r\n"));
	ask("POST /exact HTTP/1.1\r\nContent-Length: 4\r\n\r\nbody", "exact 4 /exact [] - body",
	    buf, sizeof buf);
	/* the same path, another method, another route */
	ask("DELETE /exact HTTP/1.1\r\n\r\n", "delete 16 /exact", buf, sizeof buf);
	/* no query on an exact route, nor anything after it */
	ask("GET /exact?x HTTP/1.1\r\n\r\n", "HTTP/1.1 404 Not Found", buf, sizeof buf);
	ask("GET /exact/ HTTP/1.1\r\n\r\n", "HTTP/1.1 404 Not Found", buf, sizeof buf);
	ask("GET /exac HTTP/1.1\r\n\r\n", "HTTP/1.1 404 Not Found", buf, sizeof buf);
	/* a method no route of the path serves: 405 */
	ask("PUT /exact HTTP/1.1\r\n\r\n", "HTTP/1.1 405 Method Not Allowed", buf, sizeof buf);
}

static void test_route_query_and_headers(void **state)
{
	char buf[4096];
	ask("GET /query?a=1&b HTTP/1.1\r\nX-Test: yes\r\n\r\n", "query 1 /query?a=1&b [] yes",
	    buf, sizeof buf);
	ask("GET /query HTTP/1.1\r\n\r\n", "query 1 /query [] -", buf, sizeof buf);
	ask("GET /query/x HTTP/1.1\r\n\r\n", "HTTP/1.1 404", buf, sizeof buf);
	/* only the routes that asked for a header see it: all do, it is one
	 * reader per connection, but an unasked one is never kept */
	ask("GET /exact HTTP/1.1\r\nX-Other: no\r\n\r\n", "exact 1 /exact [] -", buf, sizeof buf);
}

static void test_route_prefix(void **state)
{
	char buf[4096];
	ask("GET /pre/a/b?c HTTP/1.1\r\n\r\n", "prefix 1 /pre/a/b?c [a/b?c]", buf, sizeof buf);
	ask("GET /pre/ HTTP/1.1\r\n\r\n", "prefix 1 /pre/ []", buf, sizeof buf);
	ask("GET /pre HTTP/1.1\r\n\r\n", "HTTP/1.1 404", buf, sizeof buf);
	/* its own status for another method, and the connection closes */
	ask("POST /pre/a HTTP/1.1\r\nContent-Length: 0\r\n\r\n", NULL, buf, sizeof buf);
	assert_non_null(strstr(buf, "HTTP/1.1 400 Bad Request\r\n"));
	assert_non_null(strstr(buf, "Connection: close\r\n"));
}

/* Kept alive, pipelined: answered in turn on one connection; a 404 keeps
 * it, an error closes it. */
static void test_keepalive_and_pipelining(void **state)
{
	char buf[8192];
	int fd = client();
	say(fd, "GET /exact HTTP/1.1\r\n\r\nGET /nothing HTTP/1.1\r\n\r\n"
		"GET /query HTTP/1.1\r\n\r\n");
	answer(fd, "query 1 /query", buf, sizeof buf);
	char *a = strstr(buf, "exact 1"), *b = strstr(buf, "404 Not Found"),
	     *c = strstr(buf, "query 1");
	assert_true(a && b && c && a < b && b < c);
	assert_null(strstr(buf, "Connection: close"));
	say(fd, "GET /exact HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n");
	answer(fd, NULL, buf, sizeof buf);
	assert_non_null(strstr(buf, "HTTP/1.1 413 Payload Too Large"));
	close(fd);
	/* HTTP/1.0: the answer says it closes, and it does */
	ask("GET /exact HTTP/1.0\r\n\r\n", NULL, buf, sizeof buf);
	assert_non_null(strstr(buf, "exact 1 /exact"));
	assert_non_null(strstr(buf, "Connection: close\r\n"));
}

static void test_no_answer_is_500(void **state)
{
	char buf[4096];
	ask("GET /silent HTTP/1.1\r\n\r\n", NULL, buf, sizeof buf);
	assert_non_null(strstr(buf, "HTTP/1.1 500 Internal Server Error"));
}

/* A deferred answer: nothing until it is given; the request pipelined
 * behind it waits for it. */
static void test_deferred(void **state)
{
	char buf[4096];
	held = NULL;
	gone_calls = 0;
	int fd = client();
	say(fd, "GET /later HTTP/1.1\r\n\r\nGET /exact HTTP/1.1\r\n\r\n");
	for (int i = 0; i < 10; i++)
		turn();
	assert_non_null(held);
	assert_int_equal(read(fd, buf, sizeof buf), -1); /* nothing yet */
	http_respond(held, 200, "text/plain", "done", 4);
	held = NULL;
	answer(fd, "exact 1 /exact", buf, sizeof buf);
	char *d = strstr(buf, "\r\n\r\ndone"), *e = strstr(buf, "exact 1");
	assert_true(d && e && d < e);
	assert_int_equal(gone_calls, 0);
	/* the client goes before the answer: the handler's part is told */
	say(fd, "GET /later HTTP/1.1\r\n\r\n");
	for (int i = 0; i < 10 && !held; i++)
		turn();
	assert_non_null(held);
	close(fd);
	for (int i = 0; i < 10 && held; i++)
		turn();
	assert_int_equal(gone_calls, 1);
	assert_null(held);
}

static void test_stream(void **state)
{
	char buf[4096];
	held = NULL;
	gone_calls = 0;
	int fd = client();
	say(fd, "GET /stream HTTP/1.1\r\n\r\n");
	answer(fd, "3\r\nabc\r\n", buf, sizeof buf);
	assert_non_null(strstr(buf, "Transfer-Encoding: chunked\r\n"));
	assert_non_null(held);
	struct iovec iov = { .iov_base = (void *)"more", .iov_len = 4 };
	assert_int_equal(http_stream_write(held, &iov, 1), 0);
	answer(fd, "4\r\nmore\r\n", buf, sizeof buf);
	/* a reader that takes nothing: past HTTP_STREAM_BEHIND it is skipped */
	static char big[64 * 1024];
	iov = (struct iovec){ .iov_base = big, .iov_len = sizeof big };
	int r = 0;
	for (int i = 0; i < 1000 && r == 0; i++)
		r = http_stream_write(held, &iov, 1);
	assert_int_equal(r, 1);
	http_stream_end(held);
	held = NULL;
	size_t total = 0;
	ssize_t n;
	for (int i = 0; i < MAX_TURNS * 10; i++) {
		turn();
		while ((n = read(fd, big, sizeof big)) > 0)
			total += (size_t)n;
		if (n == 0)
			break;
	}
	assert_int_equal(n, 0); /* closed after the last chunk */
	assert_true(total > HTTP_STREAM_BEHIND / 2);
	assert_int_equal(gone_calls, 0);
	close(fd);
	/* the reader goes: the handler's part is told */
	fd = client();
	say(fd, "GET /stream HTTP/1.1\r\n\r\n");
	answer(fd, "3\r\nabc\r\n", buf, sizeof buf);
	close(fd);
	for (int i = 0; i < 10 && held; i++)
		turn();
	assert_int_equal(gone_calls, 1);
}

static void test_basic_auth(void **state)
{
	char buf[4096];
	http_close();
	assert_int_equal(serve("alice", "s3cret"), 0);
	ask("GET /exact HTTP/1.1\r\n\r\n", NULL, buf, sizeof buf);
	assert_non_null(strstr(buf, "HTTP/1.1 401 Unauthorized\r\n"));
	assert_non_null(strstr(buf, "WWW-Authenticate: Basic realm=\"default\"\r\n"));
	ask("GET /exact HTTP/1.1\r\nAuthorization: Basic YWxpY2U6czNjcmV0\r\n\r\n",
	    "exact 1 /exact", buf, sizeof buf);
	http_close();
	assert_int_equal(serve(NULL, NULL), 0);
}

static void test_server_url(void **state)
{
	char want[200];
	snprintf(want, sizeof want, "unix://%s", sock);
	assert_string_equal(http_server_url(), want);
}

static void test_route_table_bounds(void **state)
{
	static const char *const many[] = { "a", "b", "c", "d", "e", "f", "g", NULL };
	struct http_route r = { .path = "/h", .methods = HTTPREQ_GET, .fn = echo,
				.headers = many };
	/* x-test is one already: no room for seven more, and none is taken */
	assert_int_equal(http_route_add(&r), -ENOSPC);
	static const char *const six[] = { "a", "b", "c", "d", "e", "f", NULL };
	r.headers = six;
	assert_int_equal(http_route_add(&r), 0);
	http_route_remove(&r);
	static struct http_route fill[HTTP_ROUTES_MAX];
	size_t added = 0;
	for (; added < HTTP_ROUTES_MAX; added++) {
		fill[added] = (struct http_route){ .path = "/fill", .methods = HTTPREQ_GET,
						   .fn = echo, .ctx = (void *)"fill" };
		if (http_route_add(&fill[added]) < 0)
			break;
	}
	assert_int_equal(added, HTTP_ROUTES_MAX - sizeof routes / sizeof routes[0]);
	char buf[4096];
	ask("GET /fill HTTP/1.1\r\n\r\n", "fill 1 /fill", buf, sizeof buf);
	for (size_t i = 0; i < added; i++)
		http_route_remove(&fill[i]);
	ask("GET /fill HTTP/1.1\r\n\r\n", "HTTP/1.1 404", buf, sizeof buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_route_exact),
		cmocka_unit_test(test_route_query_and_headers),
		cmocka_unit_test(test_route_prefix),
		cmocka_unit_test(test_keepalive_and_pipelining),
		cmocka_unit_test(test_no_answer_is_500),
		cmocka_unit_test(test_deferred),
		cmocka_unit_test(test_stream),
		cmocka_unit_test(test_basic_auth),
		cmocka_unit_test(test_server_url),
		cmocka_unit_test(test_route_table_bounds),
	};
	return cmocka_run_group_tests_name("http", tests, setup, teardown);
}
