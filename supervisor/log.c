#include "supervisor/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

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

void log_msg(enum log_level level, const char *fmt, ...)
{
	if (level > log_threshold || (log_silent && level != LOG_ERR))
		return;
	int saved = errno; /* callers may format %m after us */
	struct timespec ts;
	struct tm tm;
	char stamp[32] = "";
	if (clock_gettime(CLOCK_REALTIME, &ts) == 0 && localtime_r(&ts.tv_sec, &tm))
		strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);
	fprintf(stderr, "%s corrald %s: ", stamp, level_names[level]);
	va_list ap;
	va_start(ap, fmt);
	errno = saved;
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	errno = saved;
}
