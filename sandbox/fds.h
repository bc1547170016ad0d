/* fds — what a worker inherits: exactly the fds it is given, nothing else. */
#ifndef CORRAL_FDS_H
#define CORRAL_FDS_H

/* Mark every fd >= FIRST close-on-exec, so that exec leaves only 0..FIRST-1
 * (a failure-report pipe stays usable until exec). Uses close_range(2) and
 * falls back to walking /proc/self/fd on old kernels. 0 or -errno.
 * Async-signal-safe: meant for the child between fork and exec. */
int fds_cloexec_from(int first);

#endif
