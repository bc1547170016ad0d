/* pool-worker — a corral pool worker for framing = length, in C.
 *
 * It upper-cases each job (any bytes; only ASCII letters change) and
 * fails an empty one, to show both answers. Build and run it:
 *
 *     cc -O2 -o /tmp/corral-pool-demo/pool-worker examples/pool-worker.c
 *
 *     [pool:shout]
 *     command = /tmp/corral-pool-demo/pool-worker
 *     framing = length
 *     workers = 2
 *     mailbox = 4
 *
 *     corralctl submit shout 'hello'          prints HELLO
 *
 * The wire format (corral.conf(5), POOLS): corrald writes "ID LEN\n" and
 * LEN bytes of job to stdin; the worker answers on stdout with
 * "ID ok LEN\n" or "ID fail LEN\n" and LEN bytes of result (or of why it
 * failed). With mailbox = N up to N jobs are written before the first
 * answer; answers may come in any order, each with its job's ID. stderr
 * goes to the pool's log. At the end of stdin the worker exits. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void)
{
	char header[64];
	unsigned long long id;
	size_t len;

	/* Full buffering both ways; each answer is flushed as a whole. */
	while (fgets(header, sizeof header, stdin)) {
		if (sscanf(header, "%llu %zu", &id, &len) != 2) {
			fprintf(stderr, "pool-worker: bad header: %s", header);
			return 1;
		}
		char *job = malloc(len ? len : 1);
		if (!job || fread(job, 1, len, stdin) != len) {
			fprintf(stderr, "pool-worker: job %llu cut short\n", id);
			return 1;
		}
		if (len == 0) {
			static const char why[] = "an empty job";
			printf("%llu fail %zu\n%s", id, sizeof why - 1, why);
		} else {
			for (size_t i = 0; i < len; i++)
				job[i] = (char)toupper((unsigned char)job[i]);
			printf("%llu ok %zu\n", id, len);
			fwrite(job, 1, len, stdout);
		}
		free(job);
		if (fflush(stdout) == EOF)
			return 1; /* corrald is gone */
	}
	return 0;
}
