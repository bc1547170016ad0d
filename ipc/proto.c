/* proto — framing and encoding of the control protocol (see proto.h).
 *
 * Everything here works on bytes that may come from anyone who can connect
 * to the socket, so every length is checked before it is used and no sum
 * is formed that could wrap. */
#include "ipc/proto.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The first allocation of a buffer; it doubles from there up to its max. */
#define PROTO_BUF_MIN 256

void proto_buf_init(struct proto_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void proto_buf_free(struct proto_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

/* Make room for N more bytes; the caller has checked N against max. */
static int proto_buf_reserve(struct proto_buf *b, size_t n)
{
	size_t want = b->len + n, cap = b->cap;
	uint8_t *p;

	if (want <= cap)
		return 0;
	if (cap < PROTO_BUF_MIN)
		cap = PROTO_BUF_MIN;
	while (cap < want)
		cap = cap > SIZE_MAX / 2 ? SIZE_MAX : cap * 2;
	if (cap > b->max)
		cap = b->max;
	p = realloc(b->data, cap);
	if (!p)
		return -ENOMEM;
	b->data = p;
	b->cap = cap;
	return 0;
}

int proto_buf_append(struct proto_buf *b, const void *p, size_t n)
{
	int rc;

	if (n == 0)
		return 0;
	/* len never passes max, so this cannot wrap. */
	if (b->len > b->max || n > b->max - b->len)
		return -EMSGSIZE;
	rc = proto_buf_reserve(b, n);
	if (rc < 0)
		return rc;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

int proto_buf_printf(struct proto_buf *b, const char *fmt, ...)
{
	char small[256], *big = NULL;
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n < sizeof(small))
		return proto_buf_append(b, small, (size_t)n);

	/* Too long for the stack: refuse before allocating if it cannot fit. */
	if (b->len > b->max || (size_t)n > b->max - b->len)
		return -EMSGSIZE;
	big = malloc((size_t)n + 1);
	if (!big)
		return -ENOMEM;
	va_start(ap, fmt);
	rc = vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	if (rc != n)
		rc = -EINVAL;
	else
		rc = proto_buf_append(b, big, (size_t)n);
	free(big);
	return rc;
}

void proto_header_pack(uint8_t hdr[PROTO_HEADER_SIZE], char kind, uint32_t len)
{
	hdr[0] = 'C';
	hdr[1] = 'R';
	hdr[2] = PROTO_VERSION;
	hdr[3] = (uint8_t)kind;
	hdr[4] = (uint8_t)(len >> 24);
	hdr[5] = (uint8_t)(len >> 16);
	hdr[6] = (uint8_t)(len >> 8);
	hdr[7] = (uint8_t)len;
}

int proto_header_unpack(const uint8_t hdr[PROTO_HEADER_SIZE], char *kind, uint32_t *len,
			uint32_t max)
{
	uint32_t n;

	if (hdr[0] != 'C' || hdr[1] != 'R')
		return -EPROTO;
	if (hdr[2] != PROTO_VERSION)
		return -EPROTONOSUPPORT;
	if (hdr[3] != PROTO_KIND_REQUEST && hdr[3] != PROTO_KIND_ANSWER && hdr[3] != PROTO_KIND_DATA &&
	    hdr[3] != PROTO_KIND_JOB && hdr[3] != PROTO_KIND_REPLY)
		return -EPROTO;
	n = (uint32_t)hdr[4] << 24 | (uint32_t)hdr[5] << 16 | (uint32_t)hdr[6] << 8 | hdr[7];
	if (n > max)
		return -EMSGSIZE;
	*kind = (char)hdr[3];
	*len = n;
	return 0;
}

int proto_request_pack(int argc, char *const argv[], struct proto_buf *out)
{
	uint8_t hdr[PROTO_HEADER_SIZE] = { 0 };
	int i, rc;

	proto_buf_init(out, PROTO_HEADER_SIZE + PROTO_MAX_REQUEST);
	/* Refuse here what the server would refuse, so it is never sent. */
	if (argc < 1 || !argv[0] || !argv[0][0])
		return -EINVAL;
	if (argc > PROTO_MAX_ARGS)
		return -E2BIG;
	rc = proto_buf_append(out, hdr, sizeof(hdr));
	for (i = 0; i < argc && rc == 0; i++) {
		if (!argv[i])
			rc = -EINVAL;
		else
			rc = proto_buf_append(out, argv[i], strlen(argv[i]) + 1);
	}
	if (rc < 0) {
		proto_buf_free(out);
		return rc;
	}
	proto_header_pack(out->data, PROTO_KIND_REQUEST, (uint32_t)(out->len - PROTO_HEADER_SIZE));
	return 0;
}

int proto_request_unpack(const uint8_t *payload, size_t len, char ***argv_out, int *argc_out)
{
	size_t i, words = 0;
	char **argv, *strings, *p;
	int k;

	if (len > PROTO_MAX_REQUEST)
		return -EMSGSIZE;
	if (len == 0 || payload[len - 1] != '\0' || payload[0] == '\0')
		return -EPROTO;
	for (i = 0; i < len; i++)
		if (payload[i] == '\0' && ++words > PROTO_MAX_ARGS)
			return -EPROTO;

	/* One block: the pointers, their NULL, then a copy of the words. At
	 * most 4097 pointers and 64 KiB, so the size cannot overflow. */
	argv = malloc((words + 1) * sizeof(*argv) + len);
	if (!argv)
		return -ENOMEM;
	strings = (char *)(argv + words + 1);
	memcpy(strings, payload, len);
	for (p = strings, k = 0; (size_t)k < words; k++) {
		argv[k] = p;
		p += strlen(p) + 1;
	}
	argv[words] = NULL;
	*argv_out = argv;
	*argc_out = (int)words;
	return 0;
}

/* begin accepts a buffer set up by proto_buf_init (its max is kept, but
 * never above what a client accepts) or a zeroed one (max taken as the
 * protocol's limit), and starts it over, keeping its allocation. */
int proto_answer_begin(struct proto_buf *b)
{
	static const uint8_t reserved[PROTO_HEADER_SIZE + 1];
	const size_t limit = PROTO_HEADER_SIZE + (size_t)PROTO_MAX_ANSWER;

	if (b->max == 0 || b->max > limit)
		b->max = limit;
	b->len = 0;
	return proto_buf_append(b, reserved, sizeof(reserved));
}

void proto_answer_finish(struct proto_buf *b, enum proto_result result)
{
	/* A failed begin left nothing to fill in. */
	if (!b->data || b->len < PROTO_HEADER_SIZE + 1)
		return;
	proto_header_pack(b->data, PROTO_KIND_ANSWER, (uint32_t)(b->len - PROTO_HEADER_SIZE));
	b->data[PROTO_HEADER_SIZE] = (uint8_t)result;
}

int proto_answer_unpack(const uint8_t *payload, size_t len, enum proto_result *result,
			const char **text, size_t *textlen)
{
	if (len == 0 || payload[0] > PROTO_REFUSED)
		return -EPROTO;
	*result = (enum proto_result)payload[0];
	*text = (const char *)payload + 1;
	*textlen = len - 1;
	return 0;
}

int proto_field(struct proto_buf *b, const char *s, char sep)
{
	size_t start = b->len;
	const char *run;
	int rc = 0;

	if (!s)
		s = "";
	/* Copy runs of plain bytes in one go, escapes two bytes at a time. */
	while (rc == 0 && *s) {
		run = s;
		while (*s && *s != '\t' && *s != '\n' && *s != '\\')
			s++;
		rc = proto_buf_append(b, run, (size_t)(s - run));
		if (rc == 0 && *s) {
			char esc[2] = { '\\', *s == '\t' ? 't' : *s == '\n' ? 'n' : '\\' };
			rc = proto_buf_append(b, esc, sizeof(esc));
			s++;
		}
	}
	if (rc == 0)
		rc = proto_buf_append(b, &sep, 1);
	/* Never leave half a field behind: the line would no longer parse. */
	if (rc < 0)
		b->len = start;
	return rc;
}

int proto_split_fields(char *line, char **fields, int max)
{
	char *r = line, *w = line;
	int n = 0;

	if (max <= 0)
		return 0;
	/* Unescaping only shrinks, so the write side never overtakes the
	 * read side. A raw TAB ends a field; fields past MAX are dropped,
	 * so a newer server may add fields at the end. */
	fields[n++] = w;
	for (;;) {
		char c = *r++;

		if (c == '\0') {
			*w = '\0';
			break;
		}
		if (c == '\t') {
			*w++ = '\0';
			if (n == max)
				break;
			fields[n++] = w;
			continue;
		}
		if (c == '\\' && (*r == 't' || *r == 'n' || *r == '\\')) {
			c = *r == 't' ? '\t' : *r == 'n' ? '\n' : '\\';
			r++;
		}
		/* An unknown escape or a final backslash is kept as written. */
		*w++ = c;
	}
	return n;
}
