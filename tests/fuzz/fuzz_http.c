/* libFuzzer harness for supervisor/httpreq.c, the HTTP server's request
 * reader: any bytes, as a client would send them on one connection, read
 * the way http.c reads them (a buffer the reader takes what it can from,
 * the rest kept for the next request, no byte fed twice), through the same
 * parsing and limits; each whole request's Authorization checked against
 * credentials, plain and supervisord's {SHA}.
 *
 * The bytes are read twice, all at once and in pieces of ever other sizes,
 * and must give the same requests: where a read ends must not matter. Only
 * the status of a refusal may differ: a target both too long and malformed
 * is refused as too long (431) where the parser handed over its first
 * part before it met the bad byte, as malformed (400) where it did not. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor/httpreq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const want[] = { "accept", "content-type", "x-a", NULL };

/* What the requests read came to, to compare two reads of the same bytes. */
struct summary {
	unsigned long requests;
	int last;               /* the last status: 0 more, 1, or a refusal */
	uint64_t hash;          /* of each request's method, target, body, headers */
};

static uint64_t mix(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

static void check(const struct http_request *rq, struct summary *s)
{
	/* one method bit */
	if (!rq->method || (rq->method & (rq->method - 1)) || rq->method > HTTPREQ_OTHER)
		abort();
	if (!rq->target || strlen(rq->target) > HTTPREQ_TARGET_MAX)
		abort();
	if (!rq->body || rq->bodylen > HTTPREQ_BODY_MAX || rq->body[rq->bodylen] != '\0')
		abort();
	if (!rq->rest || *rq->rest)
		abort();
	s->hash = mix(s->hash, &rq->method, sizeof rq->method);
	s->hash = mix(s->hash, rq->target, strlen(rq->target) + 1);
	s->hash = mix(s->hash, rq->body, rq->bodylen + 1);
	s->hash = mix(s->hash, &rq->keepalive, sizeof rq->keepalive);
	for (size_t i = 0; i < HTTPREQ_HEADERS_MAX && rq->names[i]; i++) {
		const char *v = rq->values[i];
		if (v && strlen(v) > HTTPREQ_VALUE_MAX)
			abort();
		if (httpreq_header(rq, rq->names[i]) != v)
			abort();
		s->hash = mix(s->hash, v ? v : "", v ? strlen(v) + 1 : 1);
	}
	/* any Authorization: it may only pass with the right credentials */
	bool plain = httpreq_authorized(rq, "user", "123");
	bool sha = httpreq_authorized(rq, "user",
				      "{SHA}40bd001563085fc35165329ea1ff5c5ecbdbbeef");
	const char *a = httpreq_header(rq, "authorization");
	if (plain != sha || (plain && !a))
		abort();
	if (!httpreq_authorized(rq, NULL, NULL))
		abort();
	s->hash = mix(s->hash, &plain, sizeof plain);
}

/* Read DATA as a connection does, CHUNK(i) bytes arriving at the i-th read
 * (0: all at once). */
static void read_all(const uint8_t *data, size_t size, size_t (*chunk)(size_t), struct summary *s)
{
	struct httpreq *r = httpreq_new(want);
	if (!r)
		abort();
	char *buf = malloc(size ? size : 1);
	if (!buf)
		abort();
	size_t len = 0, off = 0;
	memset(s, 0, sizeof *s);
	for (size_t turn = 0; off < size || len; turn++) {
		size_t n = chunk ? chunk(turn) : size;
		if (n > size - off)
			n = size - off;
		memcpy(buf + len, data + off, n);
		len += n;
		off += n;
		int st = 0;
		while (len) {
			size_t used;
			st = httpreq_feed(r, buf, len, &used);
			if (used > len)
				abort();
			memmove(buf, buf + used, len - used);
			len -= used;
			if (st != 1)
				break;
			struct http_request *rq = httpreq_request(r);
			if (!rq)
				abort();
			check(rq, s);
			s->requests++;
			httpreq_next(r);
			if (httpreq_request(r))
				abort();
		}
		s->last = st;
		if (st >= 400) {
			if (st != 400 && st != 413 && st != 431 && st != 500)
				abort();
			if (!*httpreq_why(r))
				abort(); /* every refusal says why */
			size_t used;
			if (httpreq_feed(r, "GET / HTTP/1.1\r\n\r\n", 18, &used) != st || used)
				abort(); /* and the reader stays done */
			break;
		}
		if (st != 0 && st != 1)
			abort();
		if (off == size)
			break; /* what is left waits for bytes that never come */
	}
	free(buf);
	httpreq_free(r);
}

static size_t pieces(size_t turn)
{
	static const size_t sizes[] = { 1, 2, 3, 5, 8, 13, 21, 1, 64, 7, 4096 };
	return sizes[turn % (sizeof sizes / sizeof sizes[0])];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct summary whole, cut;
	read_all(data, size, NULL, &whole);
	read_all(data, size, pieces, &cut);
	if (whole.requests != cut.requests || whole.hash != cut.hash)
		abort();
	if (whole.last != cut.last && (whole.last < 400 || cut.last < 400))
		abort();
	return 0;
}
