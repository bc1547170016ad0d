/* Unit tests for supervisor/httpreq.c: requests as clients send them, in
 * one piece, byte by byte and pipelined; each bound and the status past
 * it; the headers kept; Basic credentials, plain and supervisord's {SHA}. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "supervisor/httpreq.h"

static const char *const want[] = { "accept", "x-long-header-name-cut-at-31-chars", NULL };

/* Feed S whole: the status httpreq_feed() returns, with *USED. */
static int feed(struct httpreq *r, const char *s, size_t *used)
{
	return httpreq_feed(r, s, strlen(s), used);
}

static void test_post_whole(void **state)
{
	(void)state;
	struct httpreq *r = httpreq_new(want);
	assert_non_null(r);
	const char *s = "POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
			"Accept: text/xml\r\n\r\nhello";
	size_t used;
	assert_int_equal(feed(r, s, &used), 1);
	assert_int_equal(used, strlen(s));
	struct http_request *rq = httpreq_request(r);
	assert_non_null(rq);
	assert_int_equal(rq->method, HTTPREQ_POST);
	assert_string_equal(rq->target, "/RPC2");
	assert_int_equal(rq->bodylen, 5);
	assert_string_equal(rq->body, "hello");
	assert_true(rq->keepalive);
	assert_string_equal(rq->rest, "");
	assert_string_equal(httpreq_header(rq, "accept"), "text/xml");
	assert_null(httpreq_header(rq, "authorization"));
	assert_null(httpreq_header(rq, "host")); /* not kept */
	httpreq_next(r);
	assert_null(httpreq_request(r));
	httpreq_free(r);
}

/* Any split gives the same request; nothing is read with no bytes. */
static void test_byte_by_byte(void **state)
{
	(void)state;
	struct httpreq *r = httpreq_new(NULL);
	const char *s = "GET /logtail/web/stderr?x=1 HTTP/1.0\r\nAuthorization: Basic "
			"YTpi\r\n\r\n";
	size_t n = strlen(s), used;
	assert_int_equal(httpreq_feed(r, s, 0, &used), 0);
	assert_int_equal(used, 0);
	for (size_t i = 0; i < n; i++) {
		int st = httpreq_feed(r, s + i, 1, &used);
		assert_int_equal(used, 1);
		assert_int_equal(st, i + 1 == n ? 1 : 0);
	}
	struct http_request *rq = httpreq_request(r);
	assert_int_equal(rq->method, HTTPREQ_GET);
	assert_string_equal(rq->target, "/logtail/web/stderr?x=1");
	assert_false(rq->keepalive); /* HTTP/1.0 without keep-alive */
	assert_string_equal(httpreq_header(rq, "authorization"), "Basic YTpi");
	assert_int_equal(rq->bodylen, 0);
	assert_string_equal(rq->body, "");
	httpreq_free(r);
}

/* Two requests in one buffer: the first is read, the second waits. */
static void test_pipelined(void **state)
{
	(void)state;
	struct httpreq *r = httpreq_new(want);
	const char *one = "GET /a HTTP/1.1\r\nAccept: x\r\n\r\n";
	const char *two = "DELETE /b HTTP/1.1\r\nConnection: close\r\n\r\n";
	char both[256];
	snprintf(both, sizeof both, "%s%s", one, two);
	size_t used;
	assert_int_equal(feed(r, both, &used), 1);
	assert_int_equal(used, strlen(one));
	assert_string_equal(httpreq_request(r)->target, "/a");
	/* no further byte is read before httpreq_next() */
	size_t more;
	assert_int_equal(httpreq_feed(r, both + used, strlen(both) - used, &more), 1);
	assert_int_equal(more, 0);
	httpreq_next(r);
	assert_int_equal(feed(r, both + used, &more), 1);
	assert_int_equal(more, strlen(two));
	struct http_request *rq = httpreq_request(r);
	assert_int_equal(rq->method, HTTPREQ_DELETE);
	assert_string_equal(rq->target, "/b");
	assert_false(rq->keepalive);
	assert_null(httpreq_header(rq, "accept")); /* the first one's is gone */
	httpreq_free(r);
}

static void test_methods(void **state)
{
	(void)state;
	static const struct { const char *m; unsigned bit; } v[] = {
		{ "GET", HTTPREQ_GET }, { "HEAD", HTTPREQ_HEAD }, { "POST", HTTPREQ_POST },
		{ "PUT", HTTPREQ_PUT }, { "DELETE", HTTPREQ_DELETE },
		{ "OPTIONS", HTTPREQ_OPTIONS }, { "PATCH", HTTPREQ_PATCH },
		{ "TRACE", HTTPREQ_OTHER }, { "PROPFIND", HTTPREQ_OTHER },
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		struct httpreq *r = httpreq_new(NULL);
		char s[128];
		snprintf(s, sizeof s, "%s / HTTP/1.1\r\n\r\n", v[i].m);
		size_t used;
		assert_int_equal(feed(r, s, &used), 1);
		assert_int_equal(httpreq_request(r)->method, v[i].bit);
		httpreq_free(r);
	}
}

/* The header kept twice runs together; a name is read lowercased and cut
 * at 31 characters, as the server always read Authorization's. */
static void test_headers(void **state)
{
	(void)state;
	struct httpreq *r = httpreq_new(want);
	const char *s = "GET / HTTP/1.1\r\nACCEPT: a\r\naccept: b\r\n"
			"X-Long-Header-Name-Cut-At-31-Chars-And-More: cut\r\n\r\n";
	size_t used;
	assert_int_equal(feed(r, s, &used), 1);
	struct http_request *rq = httpreq_request(r);
	assert_string_equal(httpreq_header(rq, "accept"), "ab");
	assert_null(httpreq_header(rq, "x-long-header-name-cut-at-31-chars"));
	httpreq_free(r);
}

static int refused(const char *s, size_t len)
{
	struct httpreq *r = httpreq_new(NULL);
	size_t used;
	int st = httpreq_feed(r, s, len, &used);
	assert_true(used <= len);
	if (st >= 400) {
		assert_true(httpreq_why(r)[0] != '\0');
		assert_null(httpreq_request(r));
		/* the reader stays done */
		assert_int_equal(httpreq_feed(r, "GET / HTTP/1.1\r\n\r\n", 18, &used), st);
		assert_int_equal(used, 0);
	}
	httpreq_free(r);
	return st;
}

static void test_bounds(void **state)
{
	(void)state;
	size_t big = 100 * 1024;
	char *s = malloc(big + 256);
	assert_non_null(s);

	/* the target: 4096 bytes pass, one more is 431 */
	for (int extra = 0; extra <= 1; extra++) {
		int n = sprintf(s, "GET /");
		memset(s + n, 'a', 4095 + (size_t)extra);
		n += 4095 + extra;
		n += sprintf(s + n, " HTTP/1.1\r\n\r\n");
		assert_int_equal(refused(s, (size_t)n), extra ? 431 : 1);
	}
	/* a kept header: 511 bytes pass, 512 are 431 */
	for (int extra = 0; extra <= 1; extra++) {
		int n = sprintf(s, "GET / HTTP/1.1\r\nAuthorization: ");
		memset(s + n, 'b', 511 + (size_t)extra);
		n += 511 + extra;
		n += sprintf(s + n, "\r\n\r\n");
		assert_int_equal(refused(s, (size_t)n), extra ? 431 : 1);
	}
	/* the body: a Content-Length past 1 MiB is refused before it comes */
	sprintf(s, "POST /RPC2 HTTP/1.1\r\nContent-Length: %d\r\n\r\n", 1024 * 1024 + 1);
	assert_int_equal(refused(s, strlen(s)), 413);
	sprintf(s, "POST /RPC2 HTTP/1.1\r\nContent-Length: %d\r\n\r\n", 1024 * 1024);
	assert_int_equal(refused(s, strlen(s)), 0); /* allowed: waits for it */
	/* ...and a chunked one once it has grown past */
	struct httpreq *r = httpreq_new(NULL);
	size_t used;
	const char *head = "POST /RPC2 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
	assert_int_equal(httpreq_feed(r, head, strlen(head), &used), 0);
	int st = 0;
	for (int i = 0; i < 20 && st == 0; i++) {
		int n = sprintf(s, "10000\r\n");
		memset(s + n, 'c', 0x10000);
		n += 0x10000;
		n += sprintf(s + n, "\r\n");
		st = httpreq_feed(r, s, (size_t)n, &used);
	}
	assert_int_equal(st, 413);
	httpreq_free(r);
	/* headers past http-parser's 80 KiB */
	int n = sprintf(s, "GET / HTTP/1.1\r\nX-Big: ");
	memset(s + n, 'd', big);
	n += (int)big;
	n += sprintf(s + n, "\r\n\r\n");
	assert_int_equal(refused(s, (size_t)n), 400);
	free(s);
}

static void test_malformed(void **state)
{
	(void)state;
	static const char *const v[] = {
		"GET\r\n\r\n",
		"GET / HTTP/9.9.9\r\n\r\n",
		"\x01\x02\x03 / HTTP/1.1\r\n\r\n",
		"GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
		"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
		assert_int_equal(refused(v[i], strlen(v[i])), 400);
}

static int auth(const char *value, const char *user, const char *password)
{
	struct httpreq *r = httpreq_new(NULL);
	char s[1024];
	if (value)
		snprintf(s, sizeof s, "GET / HTTP/1.1\r\nAuthorization: %s\r\n\r\n", value);
	else
		snprintf(s, sizeof s, "GET / HTTP/1.1\r\n\r\n");
	size_t used;
	assert_int_equal(feed(r, s, &used), 1);
	int ok = httpreq_authorized(httpreq_request(r), user, password);
	httpreq_free(r);
	return ok;
}

static void test_authorized(void **state)
{
	(void)state;
	/* base64("alice:s3cret") */
	const char *alice = "Basic YWxpY2U6czNjcmV0";
	assert_true(auth(NULL, NULL, NULL));
	assert_true(auth("anything", NULL, NULL));
	assert_true(auth(alice, "alice", "s3cret"));
	assert_true(auth("basic   YWxpY2U6czNjcmV0", "alice", "s3cret"));
	assert_false(auth(alice, "alice", "s3cre"));
	assert_false(auth(alice, "alic", "s3cret"));
	assert_false(auth(alice, "bob", "s3cret"));
	assert_false(auth(NULL, "alice", "s3cret"));
	assert_false(auth("Bearer YWxpY2U6czNjcmV0", "alice", "s3cret"));
	assert_false(auth("Basic !!!", "alice", "s3cret"));
	assert_false(auth("Basic YWxpY2U=", "alice", "s3cret")); /* "alice": no colon */
	/* supervisord's {SHA}: the hex SHA-1 of "s3cret" */
	assert_true(auth(alice, "alice", "{SHA}fef341f85d87439e7d91a2d465b9871ef66b5e98"));
	assert_false(auth(alice, "alice", "{SHA}fef341f85d87439e7d91a2d465b9871ef66b5e99"));
	assert_false(auth(alice, "alice", "{SHA}s3cret"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_post_whole),
		cmocka_unit_test(test_byte_by_byte),
		cmocka_unit_test(test_pipelined),
		cmocka_unit_test(test_methods),
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_authorized),
	};
	return cmocka_run_group_tests_name("httpreq", tests, NULL, NULL);
}
