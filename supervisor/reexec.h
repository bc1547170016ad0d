/* reexec — corrald execs itself (corralctl reexec, SIGUSR1): the binary on
 * disk at corrald's own path (the new one after a package upgrade) takes
 * over every process, log pipe, listening socket, the scope and the guard,
 * from a record (handover.h) in a memfd named on its command line. The
 * programs see nothing; the control socket is unanswered for the time of
 * the exec, its clients waiting in the backlog.
 *
 * What cannot go across yet is refused before anything changes, with the
 * reason: a binary that is missing or not executable, that does not read
 * this record's version, whose --check of the config in force fails; a
 * config file changed since it was loaded (the exec is not a reload);
 * a process between states, or a part that holds what it cannot hand over
 * now (a pool worker being replaced, capture mode) or at all yet
 * (corralctl run). */
#ifndef CORRAL_REEXEC_H
#define CORRAL_REEXEC_H

#include <stddef.h>
#include <sys/types.h>

/* corrald's command line, kept for the exec (main.c, at start). */
void reexec_set_argv(int argc, char **argv);

/* The binary a reexec runs into BUF: corrald's own path, as the kernel
 * knows it (/proc/self/exe, without " (deleted)" once an upgrade replaced
 * the file). 0 or -errno. */
int reexec_binary(char *buf, size_t len);

/* Whether corrald may exec itself now: 0, or -1 with WHY. Runs the binary
 * twice (--handover-version, --check), each for at most a few seconds. */
int reexec_check(char *why, size_t whylen);

/* The guard, which goes across as it is. */
struct reexec_guard {
	pid_t pid;
	int pipe, pidfd;
};

/* Build the record and exec. Returns only when that failed, with WHY;
 * corrald then goes on as before. */
int reexec_exec(const struct reexec_guard *g, char *why, size_t whylen);

/* After the exec, every program created: each process of the record takes
 * up where it was. 0, or -1 once some could not (they are killed by their
 * pidfd: nothing is left unsupervised; WHY says the first). */
int reexec_adopt(char *why, size_t whylen);

#endif
