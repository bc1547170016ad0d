/* log — corrald's own messages, to stderr, with a level prefix. */
#ifndef CORRAL_LOG_H
#define CORRAL_LOG_H

#include <stdbool.h>

enum log_level { LOG_ERR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Messages above this level are dropped; corrald -v raises it. */
extern enum log_level log_threshold;
/* Only errors are written (supervisord's silent = true, and a daemon's
 * start, whose terminal hears only why it failed). */
extern bool log_silent;

/* corrald -v: debug, whatever the config says. */
extern bool log_verbose;

/* The level of a config's [supervisord] loglevel (-1: not set, info),
 * unless log_verbose: at start and at each reload. */
void log_set_config_level(int level);

void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_err(...)   log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
