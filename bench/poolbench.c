/* poolbench — the helpers of bench/poolbench.py.
 *
 *   poolbench echo        a line worker for a pool: each line back as it
 *                         is (what it has read is answered before it
 *                         reads again)
 *   poolbench floor N     the raw floor: this process and an echo child
 *                         ping-pong one line N times over two pipes;
 *                         prints round trips a second
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int echo(int in, int out)
{
	static char buf[1 << 16], outbuf[1 << 16];
	size_t have = 0;
	for (;;) {
		ssize_t n = read(in, buf + have, sizeof buf - have);
		if (n <= 0)
			return n < 0;
		have += (size_t)n;
		size_t used = 0, olen = 0;
		char *nl;
		while ((nl = memchr(buf + used, '\n', have - used))) {
			size_t len = (size_t)(nl - (buf + used)) + 1;
			if (olen + len > sizeof outbuf) {
				if (write(out, outbuf, olen) != (ssize_t)olen)
					return 1;
				olen = 0;
			}
			memcpy(outbuf + olen, buf + used, len);
			olen += len;
			used += len;
		}
		if (olen && write(out, outbuf, olen) != (ssize_t)olen)
			return 1;
		memmove(buf, buf + used, have - used);
		have -= used;
		if (have == sizeof buf)
			return 1; /* a line longer than the buffer */
	}
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int floor_run(long n)
{
	int to[2], from[2];
	if (pipe(to) < 0 || pipe(from) < 0)
		return 1;
	pid_t pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		close(to[1]);
		close(from[0]);
		_exit(echo(to[0], from[1]));
	}
	close(to[0]);
	close(from[1]);
	static const char line[] = "job 123456\n";
	char back[64];
	double t0 = now();
	for (long i = 0; i < n; i++) {
		if (write(to[1], line, sizeof line - 1) != (ssize_t)(sizeof line - 1))
			return 1;
		size_t got = 0;
		while (got < sizeof line - 1) {
			ssize_t r = read(from[0], back + got, sizeof back - got);
			if (r <= 0)
				return 1;
			got += (size_t)r;
		}
	}
	double took = now() - t0;
	close(to[1]);
	waitpid(pid, NULL, 0);
	printf("%.0f\n", (double)n / took);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "echo") == 0)
		return echo(0, 1);
	if (argc == 3 && strcmp(argv[1], "floor") == 0)
		return floor_run(atol(argv[2]));
	fprintf(stderr, "usage: poolbench echo | poolbench floor N\n");
	return 2;
}
