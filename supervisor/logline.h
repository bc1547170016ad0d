/* logline — how corrald cuts a worker's output into lines for its log:
 * where a line ends, where an overlong one is split, the time stamp that
 * starts a line, and the names of rotated files. Pure: no I/O. */
#ifndef CORRAL_LOGLINE_H
#define CORRAL_LOGLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* An overlong line is cut after log_line_max bytes: the piece ends with
 * CUT, the rest goes on in a new line that starts with CONT. */
#define LOGLINE_CUT  " [...]\n"
#define LOGLINE_CONT "[...] "

struct logline {
	bool at_line_start;   /* the next byte starts a line */
	bool continued;       /* ... which continues one that was cut */
	size_t line_len;      /* bytes of the current line so far */
};

void logline_init(struct logline *st);

/* The next piece of IN (INLEN > 0) to write: up to and including the next
 * newline, or up to where the current line reaches LINE_MAX bytes (0: no
 * limit). Returns its length; *ENDS tells that it ends with a newline. When
 * the line is full and IN does not end it, the length is 0 and *CUT is set:
 * the caller writes LOGLINE_CUT, and the rest is a new, continued line. */
size_t logline_piece(const struct logline *st, size_t line_max, const char *in, size_t inlen,
		     bool *ends, bool *cut);
/* The piece of length LEN was written. */
void logline_advance(struct logline *st, size_t len, bool ends, bool cut);

/* "2026-11-26T23:14:00.123456Z " (RFC 3339, UTC) into BUF; its length. */
size_t logline_stamp(char *buf, size_t len, const struct timespec *ts);

/* Whether a file of SIZE bytes must be rotated before a new line starts. */
bool logline_rotate_due(uint64_t size, uint64_t maxbytes);

/* "PATH.N" into BUF (N >= 1). 0, or -ENAMETOOLONG. */
int logline_backup_name(const char *path, int n, char *buf, size_t len);

/* "50MB", "10 KB", "1GB", "123": bytes (KB = 1024, as supervisord).
 * False when not a number or too big. */
bool logline_parse_bytes(const char *s, uint64_t *out);

#endif
