/* logbench — the worker of the log throughput figure (bench/logbench.py).
 *
 *   logbench write BYTES STARTFILE [LINE]
 *
 * Writes BYTES (rounded down to whole lines) of LINE-byte lines (default
 * 128, newline included; 2 to 65,536) to its standard output as fast as
 * write(2) takes them, 64 KiB of whole lines a write (one pipe's worth),
 * from one prepared buffer in a loop, so that the worker costs next to
 * nothing and what is measured is the path from its stdout to the log file.
 * Before the first write it puts its CLOCK_MONOTONIC start time
 * (nanoseconds) into STARTFILE. Exits 0 when all was written, 1 on a write
 * error, 2 on usage errors. The same binary serves every supervisor and
 * logger measured. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CHUNK 65536 /* bytes of whole lines per write, at most */

int main(int argc, char **argv)
{
	if ((argc != 4 && argc != 5) || strcmp(argv[1], "write") != 0) {
		fprintf(stderr, "usage: logbench write BYTES STARTFILE [LINE]\n");
		return 2;
	}
	unsigned long line = argc == 5 ? strtoul(argv[4], NULL, 10) : 128;
	if (line < 2 || line > CHUNK) {
		fprintf(stderr, "logbench: LINE must be 2 to %d bytes\n", CHUNK);
		return 2;
	}
	unsigned long long lines = strtoull(argv[2], NULL, 10) / line;
	size_t per = CHUNK / line; /* lines per write */
	static char buf[CHUNK];
	for (size_t i = 0; i < per; i++) {
		char *p = buf + i * line;
		int n = snprintf(p, line, "logbench line %03zu of the buffer ", i % 1000);
		if (n < 0 || (size_t)n > line - 1)
			n = (int)line - 1;
		for (size_t k = (size_t)n; k < line - 1; k++)
			p[k] = (char)('a' + (i + k) % 26);
		p[line - 1] = '\n';
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
		size_t n = (lines < per ? (size_t)lines : per) * line;
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
		lines -= n / line;
	}
	return 0;
}
