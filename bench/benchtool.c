/* benchtool — the timing half of corral's benchmark (bench/run.sh builds it
 * into a temporary directory; it is not part of corral itself).
 *
 *   benchtool spawnloop ROUNDS N PATH
 *	ROUNDS times: N serial posix_spawn+waitpid of PATH. Prints the
 *	nanoseconds of each round, one per line.
 *
 *   benchtool forkexec N ARGV... [-- ARGV...]...
 *	N serial fork+execvp+waitpid of each ARGV (stdout/stderr to /dev/null),
 *	interleaved: A B A B ... For each ARGV prints a line
 *	"median_ns p99_ns failures" (failures: non-zero exits).
 *
 *   benchtool run-until TIMEOUT_MS INTERVAL_US LOGFILE POLL... -- DAEMON ARGV...
 *	Takes the time, forks DAEMON (stdin /dev/null, stdout+stderr to
 *	LOGFILE), then polls until the daemon reports every program up:
 *	  proto SOCK      corral control protocol: "status" answers result 0
 *	  rpc SOCK N      supervisord XML-RPC getAllProcessInfo: N RUNNING
 *	  s6 N DIR        N service dirs DIR/p1..pN with a pid in supervise/status
 *	  runit N DIR     N service dirs DIR/p1..pN with "run" in supervise/stat
 *	  cmd ARGV...     ARGV exits 0 (ends at the "--")
 *	Prints "pid P", then "ready_ns T polls K" or "timeout polls K", then
 *	stays the daemon's parent until it exits and prints "exit STATUS". */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "benchtool: %s: %s\n", what, strerror(errno));
	exit(111);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static int spawnloop(int rounds, int n, char *path)
{
	char *argv[] = { path, NULL };

	for (int r = 0; r < rounds; r++) {
		int64_t t0 = now_ns();

		for (int i = 0; i < n; i++) {
			pid_t pid;
			int st;

			if (posix_spawn(&pid, path, NULL, NULL, argv, environ) != 0)
				die("posix_spawn");
			if (waitpid(pid, &st, 0) < 0)
				die("waitpid");
		}
		printf("%lld\n", (long long)(now_ns() - t0));
	}
	return 0;
}

/* fork+exec+wait; returns the exit status, or -1. */
static int run_wait(char **argv)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		die("fork");
	if (pid == 0) {
		int fd = open("/dev/null", O_RDWR);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0)
		die("waitpid");
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void print_stats(int64_t *t, int n, int fails)
{
	qsort(t, (size_t)n, sizeof(*t), cmp_i64);
	int p99 = (n * 99 + 99) / 100 - 1;	/* nearest rank */

	printf("%lld %lld %d\n", (long long)t[n / 2], (long long)t[p99 < n ? p99 : n - 1], fails);
}

/* N rounds; each runs every command once, in turn, so that all of them
 * see the same machine. One line of statistics per command. */
static int forkexec(int n, char **argv)
{
	char **cmd[8];
	int ncmd = 0, fails[8] = { 0 };
	int64_t *t[8];

	cmd[ncmd++] = argv;
	for (char **a = argv; *a; a++) {
		if (!strcmp(*a, "--") && ncmd < 8) {
			*a = NULL;
			cmd[ncmd++] = a + 1;
		}
	}
	for (int c = 0; c < ncmd; c++) {
		t[c] = calloc((size_t)n, sizeof(*t[c]));
		if (!t[c])
			die("calloc");
	}
	for (int i = 0; i < n; i++) {
		for (int c = 0; c < ncmd; c++) {
			int64_t t0 = now_ns();

			if (run_wait(cmd[c]) != 0)
				fails[c]++;
			t[c][i] = now_ns() - t0;
		}
	}
	for (int c = 0; c < ncmd; c++) {
		print_stats(t[c], n, fails[c]);
		free(t[c]);
	}
	return 0;
}

static int unix_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -1;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t w = write(fd, c, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Read until EOF into a growing buffer; returns the length or -1. */
static ssize_t read_all(int fd, char **buf, size_t *cap)
{
	size_t len = 0;

	for (;;) {
		if (len + 4096 > *cap) {
			*cap = *cap ? *cap * 2 : 65536;
			*buf = realloc(*buf, *cap);
			if (!*buf)
				die("realloc");
		}
		ssize_t r = read(fd, *buf + len, *cap - len - 1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		len += (size_t)r;
	}
	(*buf)[len] = 0;
	return (ssize_t)len;
}

static char *rbuf;
static size_t rcap;

/* corral: header 'C' 'R' 1 'Q' len32be, payload "status\0"; answer
 * header, then the result byte. */
static int poll_proto(const char *sock)
{
	static const char req[] = { 'C', 'R', 1, 'Q', 0, 0, 0, 7,
				    's', 't', 'a', 't', 'u', 's', 0 };
	int fd = unix_connect(sock), ok = 0;

	if (fd < 0)
		return 0;
	if (write_all(fd, req, sizeof(req)) == 0) {
		ssize_t n = read_all(fd, &rbuf, &rcap);

		ok = n >= 9 && rbuf[0] == 'C' && rbuf[1] == 'R' && rbuf[3] == 'A' && rbuf[8] == 0;
	}
	close(fd);
	return ok;
}

/* supervisord: count RUNNING states in getAllProcessInfo. */
static int poll_rpc(const char *sock, int n)
{
	static const char body[] =
		"<?xml version='1.0'?>\n<methodCall>\n<methodName>supervisor.getAllProcessInfo"
		"</methodName>\n<params>\n</params>\n</methodCall>\n";
	char req[512];
	int fd = unix_connect(sock), count = 0;

	if (fd < 0)
		return 0;
	int len = snprintf(req, sizeof(req),
			   "POST /RPC2 HTTP/1.0\r\nHost: localhost\r\nContent-Type: text/xml\r\n"
			   "Content-Length: %zu\r\n\r\n%s", sizeof(body) - 1, body);
	if (write_all(fd, req, (size_t)len) == 0 && read_all(fd, &rbuf, &rcap) > 0) {
		const char *p = rbuf;
		const char *key = "<name>statename</name>";

		while ((p = strstr(p, key))) {
			p += strlen(key);
			while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')
				p++;
			if (!strncmp(p, "<value><string>RUNNING</string>", 31))
				count++;
		}
	}
	close(fd);
	return count >= n;
}

/* Read a small file; returns bytes read or -1. */
static ssize_t read_small(const char *path, char *buf, size_t n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	ssize_t r = read(fd, buf, n);

	close(fd);
	return r;
}

/* Services are checked in order; *next remembers the first one not yet up,
 * so that every poll reads only what is still unknown. */
static int poll_s6(int n, const char *dir, int *next)
{
	char path[4096], st[64];

	while (*next <= n) {
		snprintf(path, sizeof(path), "%s/p%d/supervise/status", dir, *next);
		/* s6 2.11: tain(12) readystamp(12) pid(8, big-endian) wstat(2) flags(1) */
		if (read_small(path, st, sizeof(st)) < 32)
			return 0;
		uint64_t pid = 0;

		for (int i = 24; i < 32; i++)
			pid = pid << 8 | (uint8_t)st[i];
		if (!pid)
			return 0;
		(*next)++;
	}
	return 1;
}

static int poll_runit(int n, const char *dir, int *next)
{
	char path[4096], st[64];

	while (*next <= n) {
		snprintf(path, sizeof(path), "%s/p%d/supervise/stat", dir, *next);
		ssize_t r = read_small(path, st, sizeof(st));

		if (r < 3 || strncmp(st, "run", 3))
			return 0;
		(*next)++;
	}
	return 1;
}

static int run_until(int argc, char **argv)
{
	if (argc < 6)
		return 2;
	long timeout_ms = atol(argv[0]), interval_us = atol(argv[1]);
	const char *logfile = argv[2];
	char **poll = argv + 3;
	int i = 3;

	while (i < argc && strcmp(argv[i], "--"))
		i++;
	if (i >= argc - 1)
		return 2;
	argv[i] = NULL;
	char **daemon = argv + i + 1;

	signal(SIGPIPE, SIG_IGN);
	int64_t t0 = now_ns();
	pid_t pid = fork();

	if (pid < 0)
		die("fork");
	if (pid == 0) {
		int in = open("/dev/null", O_RDONLY);
		int out = open(logfile, O_WRONLY | O_CREAT | O_APPEND, 0644);

		if (in < 0 || out < 0)
			_exit(127);
		dup2(in, 0);
		dup2(out, 1);
		dup2(out, 2);
		signal(SIGPIPE, SIG_DFL);
		execvp(daemon[0], daemon);
		_exit(127);
	}
	printf("pid %d\n", (int)pid);
	fflush(stdout);

	long polls = 0;
	int next = 1, up = 0, st;
	struct timespec iv = { interval_us / 1000000, (interval_us % 1000000) * 1000 };

	for (;;) {
		polls++;
		if (!strcmp(poll[0], "proto"))
			up = poll_proto(poll[1]);
		else if (!strcmp(poll[0], "rpc"))
			up = poll_rpc(poll[1], atoi(poll[2]));
		else if (!strcmp(poll[0], "s6"))
			up = poll_s6(atoi(poll[1]), poll[2], &next);
		else if (!strcmp(poll[0], "runit"))
			up = poll_runit(atoi(poll[1]), poll[2], &next);
		else if (!strcmp(poll[0], "cmd"))
			up = run_wait(poll + 1) == 0;
		else {
			fprintf(stderr, "benchtool: unknown poll %s\n", poll[0]);
			up = 0;
			break;
		}
		int64_t t = now_ns() - t0;

		if (up) {
			printf("ready_ns %lld polls %ld\n", (long long)t, polls);
			break;
		}
		if (waitpid(pid, &st, WNOHANG) == pid) {
			printf("timeout polls %ld\nexit %d\n", polls, st);
			return 0;
		}
		if (t / 1000000 > timeout_ms) {
			printf("timeout polls %ld\n", polls);
			break;
		}
		if (interval_us > 0)
			nanosleep(&iv, NULL);
	}
	fflush(stdout);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	printf("exit %d\n", st);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 5 && !strcmp(argv[1], "spawnloop"))
		return spawnloop(atoi(argv[2]), atoi(argv[3]), argv[4]);
	if (argc >= 4 && !strcmp(argv[1], "forkexec"))
		return forkexec(atoi(argv[2]), argv + 3);
	if (argc >= 2 && !strcmp(argv[1], "run-until")) {
		int r = run_until(argc - 2, argv + 2);

		if (r == 2)
			fprintf(stderr, "benchtool: bad run-until arguments\n");
		return r;
	}
	fprintf(stderr, "usage: benchtool spawnloop|forkexec|run-until ...\n");
	return 2;
}
