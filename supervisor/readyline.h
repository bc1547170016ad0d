/* readyline — the lines of a stream as ready = log: reads them
 * (readylog.h), pure: bytes in, whole lines to a matcher, at most a cap of
 * each line held (a longer line is matched on its first CAP bytes). */
#ifndef CORRAL_READYLINE_H
#define CORRAL_READYLINE_H

#include <stdbool.h>
#include <stddef.h>

/* A stream's line so far. */
struct readyline {
	char *buf;      /* heap (the caller's), cap bytes and a NUL */
	size_t len, cap;
};

/* Feed LEN bytes at IN to L: MATCH(CTX, line) is called on each line that
 * ends (without its newline, NUL-terminated) until it returns true; then
 * true is returned and the rest is not read. */
bool readyline_feed(struct readyline *l, const char *in, size_t len,
		    bool (*match)(void *ctx, const char *line), void *ctx);

#endif
