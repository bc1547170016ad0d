/* logbench — the worker of the log throughput figure (bench/logbench.py).
 *
 *   logbench write BYTES STARTFILE
 *
 * Writes BYTES (rounded down to whole lines) of 100-byte lines to its
 * standard output as fast as write(2) takes them, from one prepared buffer
 * in a loop, so that the worker costs next to nothing and what is measured
 * is the path from its stdout to the log file. Before the first write it
 * puts its CLOCK_MONOTONIC start time (nanoseconds) into STARTFILE. Exits 0
 * when all was written, 1 on a write error. The same binary serves every
 * supervisor and logger measured. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LINE 100
#define PER 655 /* lines per write: 65,500 bytes, about one pipe's worth */

int main(int argc, char **argv)
{
	if (argc != 4 || strcmp(argv[1], "write") != 0) {
		fprintf(stderr, "usage: logbench write BYTES STARTFILE\n");
		return 2;
	}
	unsigned long long lines = strtoull(argv[2], NULL, 10) / LINE;
	static char buf[LINE * PER];
	for (int i = 0; i < PER; i++) {
		char *p = buf + i * LINE;
		int n = snprintf(p, LINE, "logbench line %03d of the buffer ", i);
		for (int k = n; k < LINE - 1; k++)
			p[k] = (char)('a' + (i + k) % 26);
		p[LINE - 1] = '\n';
	}
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	FILE *f = fopen(argv[3], "w");
	if (!f || fprintf(f, "%lld\n", (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec) < 0 ||
	    fclose(f) != 0) {
		perror(argv[3]);
		return 1;
	}
	while (lines > 0) {
		size_t n = (lines < PER ? (size_t)lines : PER) * LINE;
		size_t off = 0;
		while (off < n) {
			ssize_t w = write(1, buf + off, n - off);
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				perror("logbench: write");
				return 1;
			}
			off += (size_t)w;
		}
		lines -= n / LINE;
	}
	return 0;
}
