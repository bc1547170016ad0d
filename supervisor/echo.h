/* echo — what a process writes, repeated in corrald's own log at debug
 * level (corrald -v, or loglevel = debug in a supervisord configuration),
 * in supervisord's words:
 *
 *     ... corrald debug: 'web' stdout output:
 *     what it wrote
 *
 * one message for each piece supervisord would log at once (a read, or a
 * part of one around capture mode's tokens), after strip_ansi. Output
 * that is not UTF-8 shows as "Undecodable: b'...'", as supervisord shows
 * it; an event listener's stdout, which carries the protocol, always as
 * Python bytes (b'READY\n'), again as supervisord does. */
#ifndef CORRAL_ECHO_H
#define CORRAL_ECHO_H

#include <stdbool.h>
#include <stddef.h>

/* Whether output is echoed now (corrald logs debug messages). */
bool echo_enabled(void);

/* LEN bytes of DATA from stream WHICH (0 stdout, 1 stderr) of the process
 * supervisord calls NAME (the name in its group); nothing below debug. */
void echo_output(const char *name, int which, const char *data, size_t len);
/* The same for an event listener's stdout. */
void echo_listener(const char *name, const char *data, size_t len);

/* The message echo_output() (AS_BYTES false) or echo_listener() (true)
 * logs, without the time and level: heap, the caller frees it; NULL when
 * out of memory. */
char *echo_format(const char *name, const char *channel, const char *data, size_t len,
		  bool as_bytes);

#endif
