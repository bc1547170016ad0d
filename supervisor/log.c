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

static log_sink_fn *sink;
static bool in_sink; /* what the sink logs goes to stderr only */

static const char *const level_names[] = {
	[LOG_CRIT] = "critical", [LOG_ERR] = "error", [LOG_WARN] = "warning",
	[LOG_INFO] = "info", [LOG_DEBUG] = "debug", [LOG_TRACE] = "trace",
	[LOG_BLATHER] = "blather",
};

void log_set_sink(log_sink_fn *fn)
{
	sink = fn;
}

void log_set_config_level(int level)
{
	if (log_verbose && level < LOG_DEBUG)
		log_threshold = LOG_DEBUG;
	else if (level >= LOG_CRIT && level <= LOG_BLATHER)
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
	bool to_sink = sink && !in_sink;
	bool to_stderr = !log_silent || level <= LOG_ERR;
	if (level > log_threshold || (!to_sink && !to_stderr))
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
	if (to_sink) {
		in_sink = true;
		sink(level, line, n);
		in_sink = false;
	}
	for (size_t off = 0; to_stderr && off < n;) {
		ssize_t w = write(STDERR_FILENO, line + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break; /* nowhere to say it */
		off += (size_t)w;
	}
	errno = saved;
}
