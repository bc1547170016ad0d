/* pool — [pool:NAME] at run time: a bounded queue of jobs in front of a
 * program's processes (its workers), the producers that fill it, and the
 * jobs in flight.
 *
 * A pool outlives the generations of its program (a reload that changes
 * it starts a new generation; the queue and its producers stay) and goes
 * once no program, producer or job refers to it. A worker's stdin and
 * stdout are pipes that corrald holds: jobs go in as lines or
 * length-framed messages (ipc/framing.h), results come back the same way;
 * its stderr is logged as any program's.
 *
 * Bounds: the queue holds at most `queue` jobs; each worker at most
 * `mailbox` in flight; a producer is read only while it has no whole job
 * waiting for room, so a full queue stops corrald reading its socket and
 * the kernel blocks the producer; its answers held for it are bounded too.
 * Producers are taken round robin, one job at a time. */
#ifndef CORRAL_POOL_H
#define CORRAL_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct process;

/* Subscribe to the core's hooks (hooks.h): a [pool:] program joins its
 * pool when it is made and leaves it when freed, its workers get their
 * pipes when spawned and take jobs while RUNNING. 0, or -ENOSPC. */
int pool_init(void);

/* control.c: `submit [--no-wait] [--detach] POOL`. check: 0, or the
 * result (enum proto_result) with a message in ERR. submit takes over FD
 * (unwatched by the caller) as a producer of that pool. */
int pool_submit_check(char **argv, int argc, char *err, size_t errlen);
void pool_submit(int fd, char **argv, int argc);

/* Status of worker P: its pool's name (false when P is no worker), what
 * it does ("idle", "busy job 12", ...), and the pool's figures as
 * space-separated KEY=N. */
bool pool_status(const struct process *p, char *pool, size_t plen, char *worker, size_t wlen,
		 char *stats, size_t slen);

/* One pool's figures as they stand, for metrics. NAME is the pool's own,
 * valid until the loop turns. */
struct pool_figures {
	const char *name;
	uint64_t queued;        /* waiting: in the queue, and to be tried again */
	uint64_t queue_max;     /* its queue =; 0 once its program is removed */
	uint64_t in_flight;     /* given to a worker, not yet answered */
	uint64_t producers;     /* connected */
	uint64_t done, failed, timed_out, retried, cancelled, refused;
};

/* Every pool's figures into a heap array at *OUT (NULL when none); how
 * many, or -ENOMEM. */
long pool_figures(struct pool_figures **out);

#endif
