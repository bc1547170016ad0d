/* guard — makes "nothing outlives corrald" hold when corrald is SIGKILLed.
 *
 * PR_SET_PDEATHSIG reaches only corrald's direct children, not what they
 * forked. So corrald starts one small helper, itself run as
 * `corrald --guard SCOPE`, outside the scope and not tied to corrald's
 * death. It holds the read end of a pipe whose only writer is corrald: end
 * of file means corrald is gone. Then it kills the scope's cgroup, waits for
 * it to empty, removes it and exits. After a clean shutdown the scope is
 * already gone and the guard just exits. */
#ifndef CORRAL_GUARD_H
#define CORRAL_GUARD_H

#include <sys/types.h>

/* In corrald: start the guard for SCOPE_PATH, with ERR_FD as its standard
 * error. Returns its pid, or -errno; *PIPE_FD is the write end corrald
 * keeps (close-on-exec), *PIDFD its pidfd. */
pid_t guard_start(const char *scope_path, int err_fd, int *pipe_fd, int *pidfd);

/* In corrald, at a clean exit: close the pipe and reap the guard, waiting at
 * most TIMEOUT_MS. */
void guard_stop(pid_t pid, int pipe_fd, int pidfd, int timeout_ms);

/* `corrald --guard SCOPE_PATH`: the guard itself. Returns the exit status. */
int guard_main(const char *scope_path);

#endif
