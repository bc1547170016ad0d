#include "supervisor/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum log_level log_threshold = LOG_INFO;
bool log_silent;
bool log_verbose;

static const char *const level_names[] = {
	[LOG_ERR] = "error", [LOG_WARN] = "warning",
	[LOG_INFO] = "info", [LOG_DEBUG] = "debug",
};

void log_set_config_level(int level)
{
	if (log_verbose)
		log_threshold = LOG_DEBUG;
	else if (level >= LOG_ERR && level <= LOG_DEBUG)
		log_threshold = (enum log_level)level;
	else
		log_threshold = LOG_INFO;
}

/* One line, one write(2): stderr is unbuffered, and three writes a line
 * (prefix, message, newline) were most of corrald's system calls while
 * it started programs; a single write also keeps a line whole when
 * another process writes to the same file. A message longer than the
 * buffer is cut, marked with "...". */
void log_msg(enum log_level level, const char *fmt, ...)
{
	if (level > log_threshold || (log_silent && level != LOG_ERR))
		return;
	int saved = errno; /* callers may format %m after us */
	struct timespec ts;
	struct tm tm;
	char line[4096];
	size_t n = 0;
	if (clock_gettime(CLOCK_REALTIME, &ts) == 0 && localtime_r(&ts.tv_sec, &tm))
		n = strftime(line, sizeof line, "%Y-%m-%d %H:%M:%S ", &tm);
	int k = snprintf(line + n, sizeof line - n, "corrald %s: ", level_names[level]);
	n += k > 0 ? (size_t)k : 0;
	va_list ap;
	va_start(ap, fmt);
	errno = saved;
	k = vsnprintf(line + n, sizeof line - n, fmt, ap);
	va_end(ap);
	if (k < 0)
		k = 0;
	if ((size_t)k >= sizeof line - n) {
		n = sizeof line - 4;
		memcpy(line + n, "...", 3);
		n += 3;
	} else {
		n += (size_t)k;
	}
	line[n++] = '\n';
	for (size_t off = 0; off < n;) {
		ssize_t w = write(STDERR_FILENO, line + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break; /* nowhere to say it */
		off += (size_t)w;
	}
	errno = saved;
}
