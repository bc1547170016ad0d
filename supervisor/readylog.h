/* readylog — ready = log:REGEX: a process is ready (STARTING -> RUNNING)
 * once a whole line of its stdout or stderr matches the program's POSIX
 * extended regular expression. A part above the core: it reads the output
 * through the core's on_output hook (hooks.h), which it passes on
 * untouched, and says so with supervisor_ready(); the loop and the core
 * know nothing of it. start_timeout bounds the wait, as for the other
 * readiness kinds (program.c).
 *
 * Only while a process is STARTING does it hold anything: the line being
 * read on each stream, at most the program's log_line_max bytes of it (a
 * longer line is matched on those). */
#ifndef CORRAL_READYLOG_H
#define CORRAL_READYLOG_H

/* Subscribe to the core's hooks. 0, or -ENOSPC. */
int readylog_init(void);

#endif
