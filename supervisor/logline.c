#include "supervisor/logline.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

void logline_init(struct logline *st)
{
	st->at_line_start = true;
	st->continued = false;
	st->line_len = 0;
}

size_t logline_piece(const struct logline *st, size_t line_max, const char *in, size_t inlen,
		     bool *ends, bool *cut)
{
	*ends = false;
	*cut = false;
	if (line_max && st->line_len >= line_max) {
		/* The line is full: it ends here, or it is cut before this byte. */
		if (in[0] == '\n') {
			*ends = true;
			return 1;
		}
		*cut = true;
		return 0;
	}
	size_t room = inlen;
	if (line_max && line_max - st->line_len < room)
		room = line_max - st->line_len;
	const char *nl = memchr(in, '\n', room);
	if (nl) {
		*ends = true;
		return (size_t)(nl - in) + 1;
	}
	return room;
}

void logline_advance(struct logline *st, size_t len, bool ends, bool cut)
{
	if (ends || cut) {
		st->at_line_start = true;
		st->continued = cut;
		st->line_len = 0;
	} else {
		st->at_line_start = false;
		st->line_len += len;
	}
}

size_t logline_stamp(char *buf, size_t len, const struct timespec *ts)
{
	struct tm tm;
	if (!len)
		return 0;
	if (!gmtime_r(&ts->tv_sec, &tm)) {
		buf[0] = '\0';
		return 0;
	}
	int n = snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ ", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
			 ts->tv_nsec / 1000);
	if (n < 0)
		return 0;
	return (size_t)n < len ? (size_t)n : len - 1;
}

bool logline_rotate_due(uint64_t size, uint64_t maxbytes)
{
	return maxbytes && size >= maxbytes;
}

int logline_backup_name(const char *path, int n, char *buf, size_t len)
{
	int r = snprintf(buf, len, "%s.%d", path, n);
	return r < 0 || (size_t)r >= len ? -ENAMETOOLONG : 0;
}

bool logline_parse_bytes(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	const char *p = s;
	while (isspace((unsigned char)*p))
		p++;
	if (!isdigit((unsigned char)*p))
		return false;
	for (; isdigit((unsigned char)*p); p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	while (isspace((unsigned char)*p))
		p++;
	uint64_t mult = 1;
	if (strcasecmp(p, "KB") == 0)
		mult = 1024;
	else if (strcasecmp(p, "MB") == 0)
		mult = 1024 * 1024;
	else if (strcasecmp(p, "GB") == 0)
		mult = 1024ull * 1024 * 1024;
	else if (*p)
		return false;
	if (v > UINT64_MAX / mult)
		return false;
	*out = v * mult;
	return true;
}
