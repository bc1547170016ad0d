/* readyline — the lines of a stream for ready = log: (readyline.h). */
#include "supervisor/readyline.h"

#include <string.h>

bool readyline_feed(struct readyline *l, const char *in, size_t len,
		    bool (*match)(void *ctx, const char *line), void *ctx)
{
	while (len > 0) {
		const char *nl = memchr(in, '\n', len);
		size_t n = nl ? (size_t)(nl - in) : len;
		size_t room = l->cap - l->len;
		size_t take = n < room ? n : room; /* past the cap: not held */
		memcpy(l->buf + l->len, in, take);
		l->len += take;
		if (!nl)
			return false;
		l->buf[l->len] = '\0';
		l->len = 0;
		if (match(ctx, l->buf))
			return true;
		in = nl + 1;
		len -= n + 1;
	}
	return false;
}
