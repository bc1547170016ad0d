/* httpreq — HTTP/1.1 requests read within bounds (see httpreq.h).
 *
 * http-parser calls back with the pieces of a request as they arrive, a
 * piece possibly in several calls; each is kept (target, body, the headers
 * wanted) or read past, and a bound broken marks the request bad, which
 * stops the parser. Once a request is whole the parser is paused, so that
 * a pipelined one waits in the caller's buffer until the answer before it
 * is out. */
#include "supervisor/httpreq.h"

#include <errno.h>
#include <limits.h>
#include <resolv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <http_parser.h>
#include <nettle/sha1.h>

struct httpreq {
	http_parser hp;
	const char *const *want;        /* the caller's; not owned */
	struct http_request rq;         /* filled once the request is whole */
	bool complete;                  /* the current request is whole */
	int bad;                        /* 0, or the status that refuses it */
	const char *why;                /* for the log */
	char *target;                   /* owned */
	size_t targetlen;
	char *body;                     /* owned */
	size_t bodylen;
	char field[32];                 /* the header being read, lowercased, cut */
	size_t fieldlen;
	bool in_value;
	char *value[HTTPREQ_HEADERS_MAX]; /* owned; the kept headers', by index */
	size_t valuelen[HTTPREQ_HEADERS_MAX];
};

/* Index 0 is Authorization, the server's own; then WANT's, in order. */
static const char *kept_name(const struct httpreq *r, size_t i)
{
	if (i == 0)
		return "authorization";
	if (!r->want)
		return NULL;
	for (size_t k = 0; k < i; k++)
		if (!r->want[k])
			return NULL;
	return r->want[i - 1];
}

static void forget(struct httpreq *r)
{
	free(r->target);
	r->target = NULL;
	r->targetlen = 0;
	free(r->body);
	r->body = NULL;
	r->bodylen = 0;
	for (size_t i = 0; i < HTTPREQ_HEADERS_MAX; i++) {
		free(r->value[i]);
		r->value[i] = NULL;
		r->valuelen[i] = 0;
	}
	r->fieldlen = 0;
	r->field[0] = '\0';
	r->in_value = false;
	r->complete = false;
}

static int refuse(struct httpreq *r, int status, const char *why)
{
	r->bad = status;
	r->why = why;
	return 1; /* stops the parser (skips the body from on_headers_complete) */
}

/* Append LEN bytes at AT to the NUL-terminated *BUF of *BUFLEN bytes. */
static bool append(char **buf, size_t *buflen, const char *at, size_t len)
{
	char *p = realloc(*buf, *buflen + len + 1);
	if (!p)
		return false;
	memcpy(p + *buflen, at, len);
	*buflen += len;
	p[*buflen] = '\0';
	*buf = p;
	return true;
}

static int on_message_begin(http_parser *hp)
{
	forget(hp->data);
	return 0;
}

static int on_url(http_parser *hp, const char *at, size_t len)
{
	struct httpreq *r = hp->data;
	if (r->targetlen + len > HTTPREQ_TARGET_MAX)
		return refuse(r, 431, "the request target is too long");
	if (!append(&r->target, &r->targetlen, at, len))
		return refuse(r, 500, "out of memory");
	return 0;
}

static int on_header_field(http_parser *hp, const char *at, size_t len)
{
	struct httpreq *r = hp->data;
	if (r->in_value) {
		r->fieldlen = 0;
		r->in_value = false;
	}
	for (size_t i = 0; i < len && r->fieldlen < sizeof r->field - 1; i++)
		r->field[r->fieldlen++] = (char)(at[i] >= 'A' && at[i] <= 'Z' ? at[i] + 32 : at[i]);
	r->field[r->fieldlen] = '\0';
	return 0;
}

static int on_header_value(http_parser *hp, const char *at, size_t len)
{
	struct httpreq *r = hp->data;
	r->in_value = true;
	const char *name;
	for (size_t i = 0; i < HTTPREQ_HEADERS_MAX && (name = kept_name(r, i)); i++) {
		if (strcmp(r->field, name) != 0)
			continue;
		/* a header sent twice: its values run together, as one */
		if (r->valuelen[i] + len > HTTPREQ_VALUE_MAX)
			return refuse(r, 431, "a header is too long");
		if (!append(&r->value[i], &r->valuelen[i], at, len))
			return refuse(r, 500, "out of memory");
		break;
	}
	return 0;
}

static int on_headers_complete(http_parser *hp)
{
	struct httpreq *r = hp->data;
	if (hp->content_length != ULLONG_MAX && hp->content_length > HTTPREQ_BODY_MAX)
		return refuse(r, 413, "the body is too large");
	return 0;
}

static int on_body(http_parser *hp, const char *at, size_t len)
{
	struct httpreq *r = hp->data;
	if (r->bodylen + len > HTTPREQ_BODY_MAX)
		return refuse(r, 413, "the body is too large");
	if (!append(&r->body, &r->bodylen, at, len))
		return refuse(r, 500, "out of memory");
	return 0;
}

static int on_message_complete(http_parser *hp)
{
	struct httpreq *r = hp->data;
	r->complete = true;
	http_parser_pause(hp, 1); /* one request at a time */
	return 0;
}

static const http_parser_settings settings = {
	.on_message_begin = on_message_begin,
	.on_url = on_url,
	.on_header_field = on_header_field,
	.on_header_value = on_header_value,
	.on_headers_complete = on_headers_complete,
	.on_body = on_body,
	.on_message_complete = on_message_complete,
};

struct httpreq *httpreq_new(const char *const *want)
{
	struct httpreq *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	http_parser_init(&r->hp, HTTP_REQUEST);
	r->hp.data = r;
	r->want = want;
	return r;
}

void httpreq_free(struct httpreq *r)
{
	if (!r)
		return;
	forget(r);
	free(r);
}

static unsigned method_bit(unsigned m)
{
	switch (m) {
	case HTTP_GET: return HTTPREQ_GET;
	case HTTP_HEAD: return HTTPREQ_HEAD;
	case HTTP_POST: return HTTPREQ_POST;
	case HTTP_PUT: return HTTPREQ_PUT;
	case HTTP_DELETE: return HTTPREQ_DELETE;
	case HTTP_OPTIONS: return HTTPREQ_OPTIONS;
	case HTTP_PATCH: return HTTPREQ_PATCH;
	default: return HTTPREQ_OTHER;
	}
}

int httpreq_feed(struct httpreq *r, const char *in, size_t len, size_t *used)
{
	*used = 0;
	if (r->bad)
		return r->bad;
	/* never 0 bytes: to http-parser that says the connection ended */
	if (!len || r->complete)
		return r->complete ? 1 : 0;
	if (HTTP_PARSER_ERRNO(&r->hp) == HPE_PAUSED)
		http_parser_pause(&r->hp, 0);
	/* http-parser bounds the line and headers (HTTP_MAX_HEADER_SIZE) */
	*used = http_parser_execute(&r->hp, &settings, in, len);
	enum http_errno e = HTTP_PARSER_ERRNO(&r->hp);
	if (r->bad)
		return r->bad;
	if (e != HPE_OK && e != HPE_PAUSED) {
		r->why = http_errno_description(e);
		return r->bad = 400;
	}
	if (!r->complete)
		return 0;
	struct http_request *rq = &r->rq;
	memset(rq, 0, sizeof *rq);
	rq->method = method_bit(r->hp.method);
	rq->target = r->target ? r->target : "/";
	rq->body = r->body ? r->body : "";
	rq->bodylen = r->bodylen;
	rq->keepalive = http_should_keep_alive(&r->hp);
	rq->rest = "";
	const char *name;
	for (size_t i = 0; i < HTTPREQ_HEADERS_MAX && (name = kept_name(r, i)); i++) {
		rq->names[i] = name;
		rq->values[i] = r->value[i];
	}
	return 1;
}

struct http_request *httpreq_request(struct httpreq *r)
{
	return r->complete && !r->bad ? &r->rq : NULL;
}

void httpreq_next(struct httpreq *r)
{
	forget(r);
	memset(&r->rq, 0, sizeof r->rq);
}

const char *httpreq_why(const struct httpreq *r)
{
	return r->why ? r->why : "";
}

const char *httpreq_header(const struct http_request *rq, const char *name)
{
	for (size_t i = 0; i < HTTPREQ_HEADERS_MAX && rq->names[i]; i++)
		if (strcmp(rq->names[i], name) == 0)
			return rq->values[i];
	return NULL;
}

bool httpreq_authorized(const struct http_request *rq, const char *username,
			const char *password)
{
	if (!username)
		return true;
	const char *v = httpreq_header(rq, "authorization");
	if (!v || strncasecmp(v, "Basic ", 6) != 0)
		return false;
	v += 6;
	while (*v == ' ')
		v++;
	/* HTTPREQ_VALUE_MAX of base64 decodes to less than this */
	unsigned char plain[400];
	int n = b64_pton(v, plain, sizeof plain - 1);
	if (n < 0)
		return false;
	plain[n] = '\0';
	char *colon = strchr((char *)plain, ':');
	if (!colon)
		return false;
	*colon = '\0';
	const char *user = (const char *)plain, *pass = colon + 1, *want = password;
	char hex[2 * SHA1_DIGEST_SIZE + 1];
	if (strncmp(password, "{SHA}", 5) == 0) {
		/* supervisord's form: the SHA-1 of the password, in hex */
		struct sha1_ctx ctx;
		uint8_t digest[SHA1_DIGEST_SIZE];
		sha1_init(&ctx);
		sha1_update(&ctx, strlen(pass), (const uint8_t *)pass);
		sha1_digest(&ctx, sizeof digest, digest);
		for (size_t i = 0; i < sizeof digest; i++)
			snprintf(hex + 2 * i, 3, "%02x", digest[i]);
		pass = hex;
		want = password + 5;
	}
	/* compare all of it whatever matches, so timing says nothing */
	size_t ul = strlen(user), pl = strlen(pass), eu = strlen(username), ep = strlen(want);
	unsigned diff = (unsigned)(ul != eu) | (unsigned)(pl != ep);
	for (size_t i = 0; i < ul && i < eu; i++)
		diff |= (unsigned)(user[i] ^ username[i]);
	for (size_t i = 0; i < pl && i < ep; i++)
		diff |= (unsigned)(pass[i] ^ want[i]);
	return diff == 0;
}
