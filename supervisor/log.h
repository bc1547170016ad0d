/* log — corrald's own messages, with a level prefix: to stderr, and to
 * the sink that keeps corrald's log file ([supervisord] logfile,
 * mainlog.h) when one is set. */
#ifndef CORRAL_LOG_H
#define CORRAL_LOG_H

#include <stdbool.h>
#include <stddef.h>

/* supervisord's seven levels, most severe first. corrald -v is debug. */
enum log_level { LOG_CRIT, LOG_ERR, LOG_WARN, LOG_INFO, LOG_DEBUG, LOG_TRACE, LOG_BLATHER };

/* Messages above this level are dropped; corrald -v raises it. */
extern enum log_level log_threshold;
/* Only errors (and critical messages) go to stderr (supervisord's silent =
 * true, and a daemon, whose stderr is /dev/null once it is up); the sink
 * still gets every message the threshold lets through. */
extern bool log_silent;

/* corrald -v: debug, whatever the config says. */
extern bool log_verbose;

/* The level of a config's [supervisord] loglevel (-1: not set, info),
 * unless log_verbose: at start and at each reload. */
void log_set_config_level(int level);

/* Where each line goes besides stderr: LINE (LEN bytes, the newline
 * included) of LEVEL. Called with no message being logged from inside it:
 * what the sink itself logs goes to stderr only. NULL: none. */
typedef void log_sink_fn(enum log_level level, const char *line, size_t len);
void log_set_sink(log_sink_fn *fn);

void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_crit(...)  log_msg(LOG_CRIT, __VA_ARGS__)
#define log_err(...)   log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_trace(...) log_msg(LOG_TRACE, __VA_ARGS__)

#endif
