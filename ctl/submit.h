/* submit — `corralctl submit`: a producer of jobs for a pool.
 *
 * Part of corralctl, not of the ipc library: it prints and exits
 * as corralctl does (err(3)-style messages, its exit statuses). */
#ifndef CORRAL_SUBMIT_H
#define CORRAL_SUBMIT_H

#include <stdbool.h>
#include <stddef.h>

/* Exit statuses of submit beyond corralctl's own. */
#define SUBMIT_EXIT_TIMEOUT 124  /* a job over job_timeout, as timeout(1) */
#define SUBMIT_EXIT_BUSY    75   /* EX_TEMPFAIL: --no-wait and the queue is full */

struct submit_opts {
	bool lines;         /* each line of stdin is a job */
	bool no_wait;
	bool detach;
	const char *pool;
	const char *data;   /* the job; NULL: read stdin */
};

/* Parse ARGV (argv[0] is "submit"). 0, or -EINVAL with a message in ERR. */
int submit_parse(int argc, char **argv, struct submit_opts *o, char *err, size_t errlen);

/* Run the producer on FD, connected to corrald at PATH (for messages).
 * Returns corralctl's exit status: 0, 1 when a job failed, 124 when one
 * timed out, 75 when one was refused (--no-wait), 2 or 4 as corralctl. */
int submit_main(int fd, const char *path, const struct submit_opts *o);

#endif
