#include "supervisor/logbuild.h"

#include <stdint.h>
#include <string.h>

#define CUT_LEN  (sizeof LOGLINE_CUT - 1)
#define CONT_LEN (sizeof LOGLINE_CONT - 1)

void logbuild_init(struct logbuild *b, char *stage, size_t cap)
{
	b->stage = stage;
	b->cap = cap;
	logbuild_reset(b);
}

void logbuild_reset(struct logbuild *b)
{
	b->n = 0;
	b->bytes = 0;
	b->used = 0;
}

/* Whether bytes at P can be added: they follow the last segment in
 * memory (and join it), or there is a segment free. */
static bool seg_ok(const struct logbuild *b, const char *p)
{
	if (b->n < LOGBUILD_IOVS)
		return true;
	const struct iovec *last = &b->v[b->n - 1];
	return (const char *)last->iov_base + last->iov_len == p;
}

/* Add LEN bytes at P, as they are; seg_ok() said yes. */
static void add_ref(struct logbuild *b, const char *p, size_t len)
{
	struct iovec *last = b->n ? &b->v[b->n - 1] : NULL;
	if (last && (const char *)last->iov_base + last->iov_len == p) {
		last->iov_len += len;
	} else {
		b->v[b->n].iov_base = (void *)p;
		b->v[b->n].iov_len = len;
		b->n++;
	}
	b->bytes += len;
}

bool logbuild_ref(struct logbuild *b, const void *p, size_t len)
{
	if (!len)
		return true;
	if (!seg_ok(b, p))
		return false;
	add_ref(b, p, len);
	return true;
}

bool logbuild_room(const struct logbuild *b, size_t len, int segs)
{
	return b->cap - b->used >= len && b->n + segs <= LOGBUILD_IOVS;
}

bool logbuild_copy(struct logbuild *b, const void *p, size_t len)
{
	if (!len)
		return true;
	if (b->cap - b->used < len || !seg_ok(b, b->stage + b->used))
		return false;
	char *to = b->stage + b->used;
	memcpy(to, p, len);
	b->used += len;
	add_ref(b, to, len);
	return true;
}

/* Without stamps and without a count of lines, the lines of IN up to the
 * last newline within the current line's room (LINE_MAX less what it
 * holds) all end within it, none needs cutting, and none needs anything
 * added at its start: they go as one piece. Its length, 0 when there is
 * no such newline or when a line start inside would reach STOP. */
static size_t span(const struct logbuild *b, const struct logline *st, size_t line_max,
		   const char *in, size_t inlen, size_t stop)
{
	size_t window = inlen;
	if (line_max) {
		if (st->line_len >= line_max)
			return 0;
		if (line_max - st->line_len < window)
			window = line_max - st->line_len;
	}
	const char *nl = memrchr(in, '\n', window);
	if (!nl)
		return 0;
	size_t len = (size_t)(nl - in) + 1;
	/* The line starts inside are at B's bytes + up to LEN - 1. */
	if (stop != SIZE_MAX && b->bytes + len > stop)
		return 0;
	return len;
}

/* Stamped, with no count of lines and ST at the start of a line that
 * continues none: whole lines of IN, each ending within LINE_MAX, copied
 * with their stamps as long as they fit, in one segment, stopping before
 * a line start (other than the one at IN when the caller DECIDED it) once
 * B holds STOP bytes. The bytes of IN taken; ST stays at a line start. */
static size_t stamped_lines(struct logbuild *b, size_t line_max, const char *stamp,
			    size_t stamplen, const char *in, size_t inlen, size_t stop,
			    bool decided)
{
	char *o = b->stage + b->used;
	if (!seg_ok(b, o))
		return 0;
	char *const o0 = o, *const end = b->stage + b->cap;
	const char *p = in, *const e = in + inlen;
	size_t lim = line_max ? line_max : SIZE_MAX;
	while (p < e) {
		if (!decided && b->bytes + (size_t)(o - o0) >= stop)
			break;
		size_t w = (size_t)(e - p) < lim ? (size_t)(e - p) : lim;
		const char *nl = memchr(p, '\n', w);
		if (!nl)
			break;
		size_t k = (size_t)(nl - p) + 1;
		if ((size_t)(end - o) < stamplen + k)
			break;
		memcpy(o, stamp, stamplen);
		memcpy(o + stamplen, p, k);
		o += stamplen + k;
		p += k;
		decided = false;
	}
	if (o > o0) {
		b->used += (size_t)(o - o0);
		add_ref(b, o0, (size_t)(o - o0));
	}
	return (size_t)(p - in);
}

enum logbuild_stop logbuild_lines(struct logbuild *b, struct logline *st, size_t line_max,
				  const char *stamp, size_t stamplen, const char *in,
				  size_t inlen, size_t stop, size_t lines, size_t *used)
{
	bool copy = stamplen > 0;
	bool decided = st->at_line_start; /* the line start at IN: the caller's */
	size_t pos = 0;
	size_t started = 0;
	enum logbuild_stop why = LOGBUILD_DONE;

	while (pos < inlen) {
		if (copy && lines == SIZE_MAX && st->at_line_start && !st->continued) {
			size_t k = stamped_lines(b, line_max, stamp, stamplen, in + pos, inlen - pos,
						 stop, decided);
			if (k) {
				pos += k;
				decided = false;
				continue;
			}
		}
		if (st->at_line_start) {
			size_t need = stamplen + (st->continued ? CONT_LEN : 0);
			if (!decided) {
				if (started >= lines || b->bytes >= stop) {
					why = LOGBUILD_LINE;
					break;
				}
				started++;
			}
			/* The start and at least a byte of the line (which is
			 * never cut at its start: LINE_MAX is 0 or at least 64). */
			if (copy ? !logbuild_room(b, need + 1, 1)
				 : need ? !logbuild_room(b, need, 2) : !seg_ok(b, in + pos)) {
				why = LOGBUILD_FULL;
				break;
			}
			decided = false;
			logbuild_copy(b, stamp, stamplen);
			if (st->continued)
				logbuild_copy(b, LOGLINE_CONT, CONT_LEN);
			logline_advance(st, 0, false, false); /* begun */
		}
		if (!copy && lines == SIZE_MAX) {
			size_t k = span(b, st, line_max, in + pos, inlen - pos, stop);
			if (k && seg_ok(b, in + pos)) {
				add_ref(b, in + pos, k);
				logline_advance(st, k, true, false);
				pos += k;
				continue;
			}
		}
		bool ends, cut;
		size_t k = logline_piece(st, line_max, in + pos, inlen - pos, &ends, &cut);
		if (cut) {
			if (!logbuild_copy(b, LOGLINE_CUT, CUT_LEN)) {
				why = LOGBUILD_FULL;
				break;
			}
			logline_advance(st, 0, false, true);
			continue;
		}
		size_t m = k;
		if (copy) {
			if (b->cap - b->used < m)
				m = b->cap - b->used;
			if (!m || !logbuild_copy(b, in + pos, m)) {
				why = LOGBUILD_FULL;
				break;
			}
		} else {
			if (!seg_ok(b, in + pos)) {
				why = LOGBUILD_FULL;
				break;
			}
			add_ref(b, in + pos, m);
		}
		logline_advance(st, m, m == k && ends, false);
		pos += m;
	}
	*used = pos;
	return why;
}
