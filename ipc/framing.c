/* framing — jobs and results cut out of byte streams (see framing.h).
 *
 * Every byte parsed here comes from a worker or a producer, neither of
 * which is trusted: lengths are checked before use and numbers are parsed
 * by hand, digit by digit, so that nothing can overflow. */
#include "ipc/framing.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* The reply payload: status byte, 8-byte big-endian id, data. */
#define REPLY_FIXED 9

int framing_line(const char *buf, size_t len, size_t max, size_t *linelen)
{
	size_t look = len < max + 1 ? len : max + 1;
	const char *nl = memchr(buf, '\n', look);
	if (nl) {
		*linelen = (size_t)(nl - buf) + 1;
		return 1;
	}
	return len > max ? -EMSGSIZE : 0;
}

size_t framing_job_header(char *buf, uint64_t id, size_t len)
{
	int n = snprintf(buf, FRAMING_HEADER_MAX, "%llu %zu\n", (unsigned long long)id, len);
	return n < 0 ? 0 : (size_t)n;
}

/* A decimal number of at most LIMIT at *P, advancing *P; false when there
 * is no digit or it is too large. */
static bool number(const char **p, const char *end, uint64_t limit, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	if (s >= end || *s < '0' || *s > '9')
		return false;
	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		unsigned d = (unsigned)(*s - '0');
		if (v > (limit - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*p = s;
	*out = v;
	return true;
}

int framing_result_header(const char *buf, size_t len, size_t max, struct framing_result *out)
{
	size_t look = len < FRAMING_HEADER_MAX ? len : FRAMING_HEADER_MAX;
	const char *nl = memchr(buf, '\n', look);
	if (!nl)
		return len >= FRAMING_HEADER_MAX ? -EPROTO : 0;
	const char *p = buf, *end = nl;
	uint64_t id, n;
	if (!number(&p, end, INT64_MAX, &id) || id == 0 || p >= end || *p++ != ' ')
		return -EPROTO;
	if ((size_t)(end - p) >= 3 && memcmp(p, "ok ", 3) == 0) {
		out->ok = true;
		p += 3;
	} else if ((size_t)(end - p) >= 5 && memcmp(p, "fail ", 5) == 0) {
		out->ok = false;
		p += 5;
	} else {
		return -EPROTO;
	}
	if (!number(&p, end, UINT64_MAX, &n) || p != end)
		return -EPROTO;
	if (n > max)
		return -EMSGSIZE;
	out->id = id;
	out->len = (size_t)n;
	out->hdrlen = (size_t)(nl - buf) + 1;
	return 1;
}

int framing_job_pack(struct proto_buf *b, const void *data, size_t len)
{
	uint8_t hdr[PROTO_HEADER_SIZE];
	if (len > PROTO_MAX_JOB)
		return -EMSGSIZE;
	proto_header_pack(hdr, PROTO_KIND_JOB, (uint32_t)len);
	size_t was = b->len;
	int r = proto_buf_append(b, hdr, sizeof hdr);
	if (r == 0)
		r = proto_buf_append(b, data, len);
	if (r < 0)
		b->len = was;
	return r;
}

int framing_reply_pack(struct proto_buf *b, int status, uint64_t id, const void *data,
		       size_t len)
{
	uint8_t hdr[PROTO_HEADER_SIZE], fixed[REPLY_FIXED];
	if (len > PROTO_MAX_JOB)
		return -EMSGSIZE;
	proto_header_pack(hdr, PROTO_KIND_REPLY, (uint32_t)(REPLY_FIXED + len));
	fixed[0] = (uint8_t)status;
	for (int i = 0; i < 8; i++)
		fixed[1 + i] = (uint8_t)(id >> (56 - 8 * i));
	/* All or nothing: a half frame would garble the stream. */
	size_t was = b->len;
	int r = proto_buf_append(b, hdr, sizeof hdr);
	if (r == 0)
		r = proto_buf_append(b, fixed, sizeof fixed);
	if (r == 0)
		r = proto_buf_append(b, data, len);
	if (r < 0)
		b->len = was;
	return r;
}

int framing_reply_unpack(const uint8_t *payload, size_t len, int *status, uint64_t *id,
			 const uint8_t **data, size_t *dlen)
{
	if (len < REPLY_FIXED || payload[0] > PROTO_JOB_LAST)
		return -EPROTO;
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | payload[1 + i];
	*status = payload[0];
	*id = v;
	*data = payload + REPLY_FIXED;
	*dlen = len - REPLY_FIXED;
	return 0;
}
