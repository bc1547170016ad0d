/* corralctl — send one request to corrald and print its answer.
 *
 * The order it runs in: parse options, check the verb locally (so a typo
 * never needs a daemon), find the socket, connect, send one request frame,
 * read one answer frame, print it, and exit with the answer's result byte. */
#include "ctl/migrate.h"
#include "ctl/submit.h"
#include "ctl/top.h"
#include "ipc/io.h"
#include "ipc/proto.h"
#include "ipc/statusjson.h"
#include "ipc/utf8.h"
#include "ipc/verbs.h"
#include "supervisor/config_api.h"

#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <math.h> /* isfinite, a macro: no -lm */
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_SOCKET CONFIG_DEFAULT_SOCKET
#define NAME_COLUMN    20
#define STATE_COLUMN   10

/* Exit statuses decided here rather than by the daemon. */
#define EXIT_USAGE      PROTO_USAGE
#define EXIT_NO_DAEMON  PROTO_REFUSED

/* What corralctl was asked besides the verb and its words. */
struct ctl {
	const char *config;     /* -c CONFIG */
	const char *socket;     /* -s SOCKET */
	double timeout;         /* -t SECONDS; 0: none */
	bool json;
};

/* Kept word for word equal to the SYNOPSIS of corralctl(1). */
static const char *const synopsis[] = {
	"corralctl [-c CONFIG | -s SOCKET] [-t SECONDS] [--json] VERB [ARG ...]",
	"corralctl [-c CONFIG | -s SOCKET] run [--timeout SECONDS] [--scope NAME] -- COMMAND [ARG ...]",
	"corralctl -h | --help | --version",
};
static void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarnx(fmt, ap);
	va_end(ap);
	fprintf(stderr, "usage: %s\n       %s\n       %s\n", synopsis[0], synopsis[1],
		synopsis[2]);
	exit(EXIT_USAGE);
}

/* One form of a verb in --help: the summary starts in the column after
 * the synopsis, or under it when the synopsis is too long. */
#define HELP_COLUMN 24

static void help_form(const struct verb_help *h)
{
	const char *line = h->summary;
	size_t n = strcspn(line, "\n");
	if (strlen(h->synopsis) + 3 <= HELP_COLUMN)
		printf("  %-*s%.*s\n", HELP_COLUMN - 2, h->synopsis, (int)n, line);
	else
		printf("  %s\n%*s%.*s\n", h->synopsis, HELP_COLUMN, "", (int)n, line);
	while (line[n]) {
		line += n + 1;
		n = strcspn(line, "\n");
		printf("%*s%.*s\n", HELP_COLUMN, "", (int)n, line);
	}
}

/* --help: the synopsis, then each verb from the protocol's table. */
static void help(void)
{
	printf("%s\n%s\n%s\n\nverbs:\n", synopsis[0], synopsis[1], synopsis[2]);
	for (int i = 0; i < VERB_COUNT; i++)
		for (size_t k = 0; k < 2 && verbs_table[i].help[k].synopsis; k++)
			help_form(&verbs_table[i].help[k]);
	printf("\nSEL is NAME, GROUP, GROUP:* or all.\n");
}

/* ---- finding the socket ---- */

/* The socket corrald takes from CONFIG, read by corrald's own reader so
 * that both agree, defaults and all; the rest of the file is corrald's to
 * judge (corrald --check), so its errors are not ours to report. */
static char *socket_of_config(const char *path)
{
	char *sock, msg[512];
	if (config_api_socket(path, &sock, msg, sizeof msg) < 0)
		errx(EXIT_USAGE, "%s", msg);
	return sock; /* the caller frees it */
}

/* -s, then -c CONFIG, then $CORRAL_SOCKET, then the default. */
static char *socket_path(const char *opt_socket, const char *opt_config)
{
	const char *env;
	char *p;

	if (opt_socket)
		p = strdup(opt_socket);
	else if (opt_config)
		return socket_of_config(opt_config);
	else if ((env = getenv("CORRAL_SOCKET")) && *env)
		p = strdup(env);
	else
		p = strdup(DEFAULT_SOCKET);
	if (!p)
		err(EXIT_USAGE, "strdup");
	return p;
}

/* ---- talking to corrald ---- */

struct deadline {
	bool forever;
	struct timespec at; /* CLOCK_MONOTONIC */
};

static void deadline_set(struct deadline *d, double seconds)
{
	d->forever = seconds <= 0;
	if (d->forever)
		return;
	clock_gettime(CLOCK_MONOTONIC, &d->at);
	d->at.tv_sec += (time_t)seconds;
	d->at.tv_nsec += (long)((seconds - (double)(time_t)seconds) * 1e9);
	if (d->at.tv_nsec >= 1000000000L) {
		d->at.tv_sec++;
		d->at.tv_nsec -= 1000000000L;
	}
}

/* Milliseconds left for poll(): -1 forever, 0 when passed. */
static int deadline_ms(const struct deadline *d)
{
	struct timespec now;
	long long ms;

	if (d->forever)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(d->at.tv_sec - now.tv_sec) * 1000 +
	     (d->at.tv_nsec - now.tv_nsec) / 1000000;
	if (ms <= 0)
		return 0;
	return ms > 1000000000 ? 1000000000 : (int)ms;
}

/* io_connect_unix(), or exit 4 with the reason. */
static int connect_socket(const char *path, double timeout)
{
	int fd = io_connect_unix(path, timeout);
	if (fd == -EAGAIN || fd == -EINPROGRESS)
		errx(EXIT_NO_DAEMON, "cannot connect to %s: no answer within %g second%s",
		     path, timeout, timeout == 1 ? "" : "s");
	if (fd < 0)
		errx(EXIT_NO_DAEMON, "cannot connect to %s: %s (is corrald running?)", path,
		     strerror(-fd));
	return fd;
}

/* Read exactly LEN bytes before the deadline: 0, -EPIPE at an early end of
 * file, -ETIMEDOUT, or -errno. *GOT tells how far it came. */
static int read_before(int fd, void *buf, size_t len, const struct deadline *d, size_t *got)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char *p = buf;
	ssize_t n;
	int rc;

	*got = 0;
	while (*got < len) {
		rc = poll(&pfd, 1, deadline_ms(d));
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (rc == 0)
			return -ETIMEDOUT;
		n = io_read_some(fd, p + *got, len - *got);
		if (n < 0)
			return (int)n;
		if (n == 0)
			return -EPIPE;
		*got += (size_t)n;
	}
	return 0;
}

/* Exit 4 with the reason a whole answer did not arrive. */
static void __attribute__((noreturn))
answer_failed(const char *path, int rc, size_t so_far, double timeout)
{
	if (rc == -ETIMEDOUT)
		errx(EXIT_NO_DAEMON, "%s: no answer within %g second%s", path, timeout,
		     timeout == 1 ? "" : "s");
	/* A reset is how a server that refused to read us says goodbye. */
	if ((rc == -EPIPE || rc == -ECONNRESET) && so_far == 0)
		errx(EXIT_NO_DAEMON, "%s: connection closed without an answer", path);
	if (rc == -EPIPE || rc == -ECONNRESET)
		errx(EXIT_NO_DAEMON, "%s: connection closed in the middle of an answer", path);
	errx(EXIT_NO_DAEMON, "%s: reading the answer: %s", path, strerror(-rc));
}

/* Read one frame of kind WANT before the deadline D: its payload (malloc'd,
 * the caller frees it) and length. NULL at a clean end of file when EOF_OK;
 * any other failure exits 4. */
static uint8_t *read_frame(int fd, const char *path, char want, const struct deadline *d,
			   double timeout, uint32_t *len, bool eof_ok)
{
	uint8_t hdr[PROTO_HEADER_SIZE];
	size_t got;
	char kind;
	int rc = read_before(fd, hdr, sizeof hdr, d, &got);
	if ((rc == -EPIPE || rc == -ECONNRESET) && got == 0 && eof_ok)
		return NULL;
	if (rc < 0)
		answer_failed(path, rc, got, timeout);
	rc = proto_header_unpack(hdr, &kind, len, PROTO_MAX_ANSWER);
	if (rc == 0 && kind != want)
		rc = -EPROTO;
	if (rc < 0)
		errx(EXIT_NO_DAEMON, "%s: bad frame header: %s", path, strerror(-rc));
	uint8_t *payload = malloc(*len ? *len : 1);
	if (!payload)
		err(EXIT_NO_DAEMON, "reading the answer");
	rc = read_before(fd, payload, *len, d, &got);
	if (rc < 0)
		answer_failed(path, rc, sizeof hdr + got, timeout);
	return payload;
}

/* Connect and send one request; the connected fd. Any failure exits. */
static int send_request(const char *path, int argc, char **argv, double timeout)
{
	struct proto_buf req;
	int rc = proto_request_pack(argc, argv, &req);
	if (rc == -EMSGSIZE || rc == -E2BIG)
		usage_error("request too long (at most %u bytes and %d words)",
			    PROTO_MAX_REQUEST, PROTO_MAX_ARGS);
	if (rc < 0)
		errx(EXIT_USAGE, "cannot build the request: %s", strerror(-rc));
	int fd = connect_socket(path, timeout);
	int wrc = io_write_all(fd, req.data, req.len);
	proto_buf_free(&req);
	if (wrc == -EAGAIN)
		errx(EXIT_NO_DAEMON, "%s: request not taken within %g second%s", path, timeout,
		     timeout == 1 ? "" : "s");
	/* On EPIPE or ECONNRESET an answer (a refusal) may still be waiting. */
	if (wrc < 0 && wrc != -EPIPE && wrc != -ECONNRESET)
		errx(EXIT_NO_DAEMON, "%s: sending the request: %s", path, strerror(-wrc));
	/* No shutdown(SHUT_WR): a server may take our end of file as the
	 * client giving up on a start or stop it is still waiting for. */
	return fd;
}

/* Send the request and read the answer's frame: its payload (malloc'd, the
 * caller frees it) and length, the connection in *FDP (the caller closes
 * it). When AGAIN (the verb is VERB_AGAIN) and the connection ends before
 * any answer, as corrald re-executing itself ends those it has not answered,
 * ask again, every 50 ms, within the same timeout. Any other failure exits 4. */
static uint8_t *ask(const char *path, int argc, char **argv, double timeout, bool again,
		    int *fdp, uint32_t *len)
{
	struct deadline d;
	deadline_set(&d, timeout);
	for (int tries = 0;; tries++) {
		int fd = send_request(path, argc, argv, timeout);
		uint8_t *payload = read_frame(fd, path, PROTO_KIND_ANSWER, &d, timeout, len,
					      again && tries < 100);
		if (payload) {
			*fdp = fd;
			return payload;
		}
		close(fd);
		struct timespec ts = { 0, 50 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
}

/* ---- printing ---- */

/* "SIGKILL", "SIGRTMIN+3", or NULL for a number without a name. */
static const char *signal_name(long sig, char *buf, size_t size)
{
	const char *abbrev;

	if (sig <= 0 || sig >= NSIG)
		return NULL;
	abbrev = sigabbrev_np((int)sig);
	if (abbrev) {
		snprintf(buf, size, "SIG%s", abbrev);
		return buf;
	}
	if (sig >= SIGRTMIN && sig <= SIGRTMAX) {
		snprintf(buf, size, "SIGRTMIN+%ld", sig - SIGRTMIN);
		return buf;
	}
	return NULL;
}

/* A number field; a missing or garbled one reads as DEF. */
static long field_long(const char *s, long def)
{
	char *end;
	long v;

	if (!s || !*s)
		return def;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end)
		return def;
	return v;
}

struct status_line {
	const char *f[PS_NFIELDS];
	long pid, uptime, exitcode, signal, tree;
};

static void status_parse(char *line, struct status_line *st)
{
	char *f[PS_NFIELDS];
	int n = proto_split_fields(line, f, PS_NFIELDS);

	for (int i = 0; i < PS_NFIELDS; i++)
		st->f[i] = i < n ? f[i] : "";
	st->pid = field_long(st->f[PS_PID], 0);
	st->uptime = field_long(st->f[PS_UPTIME], 0);
	if (st->uptime < 0)
		st->uptime = 0;
	st->exitcode = field_long(st->f[PS_EXITCODE], -1);
	st->signal = field_long(st->f[PS_SIGNAL], 0);
	st->tree = *st->f[PS_TREE] ? field_long(st->f[PS_TREE], -1) : -1;
}

/* A time() field as local "YYYY-MM-DD HH:MM:SS" into BUF; left as it is
 * when empty or unreadable. */
static void schedule_time(const char *field, char *buf, size_t len)
{
	long t = field_long(field, -1);
	time_t tt = (time_t)t;
	struct tm tm;
	if (t > 0 && localtime_r(&tt, &tm))
		strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
}

static void status_print_text(const struct status_line *st, int width)
{
	const char *info = st->f[PS_INFO];
	char desc[512] = "", name[32];
	size_t n = 0;

	if (st->pid > 0) {
		long up = st->uptime;
		n = (size_t)snprintf(desc, sizeof(desc), "pid %ld, uptime %ld:%02ld:%02ld",
				     st->pid, up / 3600, up / 60 % 60, up % 60);
	} else if (*st->f[PS_SPAWNERR]) {
		n = (size_t)snprintf(desc, sizeof(desc), "spawn error: %s", st->f[PS_SPAWNERR]);
	} else if (st->exitcode >= 0) {
		n = (size_t)snprintf(desc, sizeof(desc), "exit status %ld", st->exitcode);
	} else if (st->signal > 0) {
		const char *sn = signal_name(st->signal, name, sizeof(name));
		if (sn)
			n = (size_t)snprintf(desc, sizeof(desc), "killed by %s", sn);
		else
			n = (size_t)snprintf(desc, sizeof(desc), "killed by signal %ld",
					     st->signal);
	}
	if (n >= sizeof(desc))
		n = sizeof(desc) - 1;
	/* its health check's verdict: "pid 42, uptime 0:00:05, healthy" */
	if (*st->f[PS_HEALTH]) {
		n += (size_t)snprintf(desc + n, sizeof(desc) - n, "%s%s", n ? ", " : "",
				      st->f[PS_HEALTH]);
		if (n >= sizeof(desc))
			n = sizeof(desc) - 1;
	}

	/* watch =: the inotify watches its program uses */
	if (*st->f[PS_WATCHES]) {
		n += (size_t)snprintf(desc + n, sizeof(desc) - n, "%swatching (%ld inotify watches)",
				      n ? ", " : "", field_long(st->f[PS_WATCHES], 0));
		if (n >= sizeof(desc))
			n = sizeof(desc) - 1;
	}

	/* A schedule: its last run, that run's status, its next run. */
	char sched[384] = "";
	if (*st->f[PS_SCHEDULE]) {
		char last[48] = "never", next[32] = "none", status[32] = "";
		schedule_time(st->f[PS_LASTRUN], last, sizeof last);
		schedule_time(st->f[PS_NEXTRUN], next, sizeof next);
		if (*st->f[PS_LASTSTATUS])
			snprintf(status, sizeof status, " (status %s)", st->f[PS_LASTSTATUS]);
		else if (*st->f[PS_LASTRUN])
			snprintf(status, sizeof status, " (running)");
		snprintf(sched, sizeof sched, "schedule %s: last run %s%s, next run %s, %ld skipped",
			 st->f[PS_SCHEDULE], last, status, next, field_long(st->f[PS_SKIPPED], 0));
	}
	char merged[1024];
	if (*sched) {
		snprintf(merged, sizeof merged, "%s%s%s", info, *info ? ", " : "", sched);
		info = merged;
	}
	/* A rolling restart of its program: "rolling 1/4, replacing web:web_1". */
	char rolled[1700];
	if (*st->f[PS_ROLL]) {
		snprintf(rolled, sizeof rolled, "%s%s%s", info, *info ? ", " : "", st->f[PS_ROLL]);
		info = rolled;
	}
	/* corralctl scale: "scaled to 8 (numprocs 4)" */
	char scaled[1800];
	if (*st->f[PS_SCALE]) {
		snprintf(scaled, sizeof scaled, "%s%sscaled to %s (numprocs %s)", info,
			 *info ? ", " : "", st->f[PS_SCALE], st->f[PS_NUMPROCS]);
		info = scaled;
	}

	/* No trailing blanks when there is nothing to describe. */
	if (n == 0 && !*info) {
		if (*st->f[PS_STATE])
			printf("%-*s %s\n", width, st->f[PS_NAME], st->f[PS_STATE]);
		else
			printf("%s\n", st->f[PS_NAME]);
		return;
	}
	/* "killed by SIGSYS: blocked system call ptrace" */
	const char *sep = st->signal == SIGSYS && strncmp(info, "blocked system call", 19) == 0
				  ? ": " : ", ";
	printf("%-*s %-*s %s%s%s\n", width, st->f[PS_NAME], STATE_COLUMN, st->f[PS_STATE],
	       desc, n && *info ? sep : "", info);
}

/* One process's object (ipc/statusjson.h: the JSON API's too), on a
 * line of its own. */
static void status_print_json(const struct status_line *st, bool first)
{
	json_t *o = statusjson_process(st->f);
	char *text = o ? json_dumps(o, STATUSJSON_DUMP) : NULL;
	json_decref(o);
	if (!text)
		errx(PROTO_FAILED, "printing the status: out of memory");
	printf("%s  %s", first ? "" : ",\n", text);
	free(text);
}

/* The status lines, aligned in columns or as a JSON array. */
static void status_print(const char *text, size_t len, bool json)
{
	struct status_line *lines = NULL, *grown;
	size_t nlines = 0, cap = 0, i, w;
	char *copy, *p, *nl;
	int width = NAME_COLUMN;

	/* A NUL-terminated copy, cut into lines and fields in place; the
	 * lines point into it. Both are freed below. */
	copy = malloc(len + 1);
	if (!copy)
		err(PROTO_FAILED, "printing the status");
	memcpy(copy, text, len);
	copy[len] = '\0';

	for (p = copy; p < copy + len; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(copy + len - p));
		if (!nl)
			nl = copy + len;
		*nl = '\0';
		if (!*p)
			continue;
		if (nlines == cap) {
			cap = cap ? cap * 2 : 64;
			grown = reallocarray(lines, cap, sizeof(*lines));
			if (!grown)
				err(PROTO_FAILED, "printing the status");
			lines = grown;
		}
		status_parse(p, &lines[nlines]);
		w = strlen(lines[nlines].f[PS_NAME]);
		if (w > (size_t)width)
			width = w > 4096 ? 4096 : (int)w;
		nlines++;
	}

	if (json) {
		fputs(nlines ? "[\n" : "[", stdout);
		for (i = 0; i < nlines; i++)
			status_print_json(&lines[i], i == 0);
		fputs(nlines ? "\n]\n" : "]\n", stdout);
	} else {
		for (i = 0; i < nlines; i++)
			status_print_text(&lines[i], width);
	}
	free(lines);
	free(copy);
}

/* Lines of any other answer: to stdout on success, else to stderr. */
static void text_print(const char *text, size_t len, enum proto_result result)
{
	FILE *out = result == PROTO_OK ? stdout : stderr;

	if (len == 0)
		return;
	fwrite(text, 1, len, out);
	if (text[len - 1] != '\n')
		fputc('\n', out);
}

static double parse_timeout(const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < 0 || v > 1e9)
		usage_error("bad timeout '%s': expected a number of seconds", s);
	return v;
}

/* ---- run ---- */

static volatile sig_atomic_t run_fd = -1;

/* Ctrl-C (or TERM, HUP): tell corrald by closing our side; it kills the
 * command's tree and still answers, so we return only once it is gone. */
static void run_cancel(int sig)
{
	(void)sig;
	int fd = run_fd;
	if (fd >= 0) {
		shutdown(fd, SHUT_WR);
		run_fd = -1;
	}
}

/* Send FRAME with our stdin, stdout and stderr attached: the command uses
 * them directly, so its output streams here as it is written. */
static void send_with_stdio(int fd, const char *path, const struct proto_buf *frame)
{
	int fds[3] = { STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO };
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof fds)];
	} ctl;
	memset(&ctl, 0, sizeof ctl);
	struct iovec iov = { .iov_base = frame->data, .iov_len = frame->len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof fds);
	memcpy(CMSG_DATA(cm), fds, sizeof fds);
	ssize_t n;
	do
		n = sendmsg(fd, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		err(EXIT_NO_DAEMON, "%s: sending the request", path);
	/* The rest, if the socket took only part (the descriptors went with it). */
	if ((size_t)n < frame->len) {
		int rc = io_write_all(fd, frame->data + n, frame->len - (size_t)n);
		if (rc < 0)
			errx(EXIT_NO_DAEMON, "%s: sending the request: %s", path, strerror(-rc));
	}
}

/* corralctl run: argv[0] is "run". Returns the command's status. */
static int run_main(const struct verb *v, const struct ctl *o, int argc, char **argv)
{
	const char *timeout = NULL, *scope = NULL;
	int i = 1;
	signal(SIGPIPE, SIG_IGN);
	char *path = socket_path(o->socket, o->config);
	while (i < argc && strcmp(argv[i], "--") != 0 && argv[i][0] == '-') {
		if (i + 1 >= argc)
			usage_error("run: option '%s' needs an argument", argv[i]);
		if (strcmp(argv[i], "--timeout") == 0) {
			(void)parse_timeout(argv[i + 1]); /* checked here, sent as written */
			timeout = argv[i + 1];
		} else if (strcmp(argv[i], "--scope") == 0) {
			scope = argv[i + 1];
		} else {
			usage_error("run: unknown option '%s'", argv[i]);
		}
		i += 2;
	}
	if (i < argc && strcmp(argv[i], "--") == 0)
		i++;
	if (i >= argc)
		usage_error("run needs a command");

	char cwd[4096];
	if (!getcwd(cwd, sizeof cwd))
		err(EXIT_USAGE, "getcwd");
	int n = 0;
	char **words = calloc((size_t)(argc - i) + 9, sizeof *words);
	if (!words)
		err(EXIT_USAGE, "run");
	words[n++] = "run";
	if (timeout) {
		words[n++] = "--timeout";
		words[n++] = (char *)timeout;
	}
	if (scope) {
		words[n++] = "--scope";
		words[n++] = (char *)scope;
	}
	words[n++] = "--cwd";
	words[n++] = cwd;
	words[n++] = "--";
	for (; i < argc; i++)
		words[n++] = argv[i];

	struct proto_buf req;
	int rc = proto_request_pack(n, words, &req);
	free(words);
	if (rc < 0)
		usage_error("request too long (at most %u bytes and %d words)", PROTO_MAX_REQUEST,
			    PROTO_MAX_ARGS);
	int fd = connect_socket(path, 0);
	send_with_stdio(fd, path, &req);
	proto_buf_free(&req);

	run_fd = fd;
	struct sigaction sa = { .sa_handler = run_cancel };
	sigemptyset(&sa.sa_mask);
	for (int sig = 0, sigs[] = { SIGINT, SIGTERM, SIGHUP }; sig < 3; sig++)
		if (sigaction(sigs[sig], &sa, NULL) < 0)
			err(EXIT_USAGE, "sigaction");

	struct deadline none;
	deadline_set(&none, 0);
	uint32_t len;
	uint8_t *payload = read_frame(fd, path, PROTO_KIND_ANSWER, &none, 0, &len, false);
	run_fd = -1;
	close(fd);

	enum proto_result result;
	const char *text;
	size_t textlen;
	if (proto_answer_unpack(payload, len, &result, &text, &textlen) < 0)
		errx(EXIT_NO_DAEMON, "%s: bad answer", path);
	/* Every line but the last "status N" is news for the user. */
	int status = result;
	for (const char *l = text, *end = text + textlen; l < end;) {
		const char *nl = memchr(l, '\n', (size_t)(end - l));
		size_t ll = nl ? (size_t)(nl - l) : (size_t)(end - l);
		int st;
		char tail;
		char line[256];
		snprintf(line, sizeof line, "%.*s", (int)ll, l);
		if (result == PROTO_OK && sscanf(line, "status %d%c", &st, &tail) == 1)
			status = st;
		else if (ll)
			warnx("%s", line);
		l += ll + 1;
	}
	free(payload);
	free(path);
	return status;
}

/* ---- tail ---- */

static volatile sig_atomic_t tail_stop;

static void tail_interrupt(int sig)
{
	(void)sig;
	tail_stop = 1;
}

/* tail -f's (maintail -f's) connection ended: corrald went away with the program, or is
 * re-executing itself. Ask again to follow, from now on (-n 0): a new
 * connection in *FD, or false when there is nothing more to follow. */
static bool tail_again(int *fd, const char *path, int argc, char **argv)
{
	char *again[PROTO_MAX_ARGS];
	int n = 0;
	again[n++] = argv[0]; /* tail, maintail */
	again[n++] = "-f";
	again[n++] = "-n";
	again[n++] = "0";
	for (int i = 1; i < argc && n < PROTO_MAX_ARGS; i++) {
		if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
			i++;
		else if (strcmp(argv[i], "-f") != 0)
			again[n++] = argv[i];
	}
	struct proto_buf req;
	if (proto_request_pack(n, again, &req) < 0)
		return false;
	bool ok = false;
	for (int tries = 0; tries < 100 && !ok && !tail_stop; tries++) {
		int s = io_connect_unix(path, 30);
		if (s < 0)
			break; /* no corrald: it is gone, and the program with it */
		if (io_write_all(s, req.data, req.len) < 0) {
			close(s);
			break;
		}
		struct deadline d;
		deadline_set(&d, 30);
		uint32_t len;
		uint8_t *payload = read_frame(s, path, PROTO_KIND_ANSWER, &d, 30, &len, true);
		enum proto_result result;
		const char *text;
		size_t textlen;
		if (!payload) { /* closed before any answer: still re-executing */
			close(s);
			struct timespec ts = { 0, 50 * 1000 * 1000 };
			nanosleep(&ts, NULL);
			continue;
		}
		if (proto_answer_unpack(payload, len, &result, &text, &textlen) == 0 &&
		    result == PROTO_OK) {
			close(*fd);
			*fd = s;
			ok = true;
		} else {
			close(s);
		}
		free(payload);
		if (!ok)
			break; /* the program is gone */
	}
	proto_buf_free(&req);
	return ok;
}

/* tail -f: after the answer, 'D' frames until the daemon or the user ends
 * it; across an exec of corrald, on a new connection (tail_again). */
static int tail_follow(int *fdp, const char *path, int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = tail_interrupt };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	struct deadline none;
	deadline_set(&none, 0);
	while (!tail_stop) {
		uint32_t len;
		struct pollfd pfd = { .fd = *fdp, .events = POLLIN };
		if (poll(&pfd, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			err(EXIT_NO_DAEMON, "poll");
		}
		uint8_t *buf = read_frame(*fdp, path, PROTO_KIND_DATA, &none, 0, &len, true);
		if (!buf) {
			if (tail_again(fdp, path, argc, argv))
				continue;
			return 0; /* corrald closed it: the program went away */
		}
		if (fwrite(buf, 1, len, stdout) != len || fflush(stdout) == EOF)
			err(PROTO_FAILED, "stdout");
		free(buf);
	}
	return 0;
}

static int tail_main(const struct verb *v, const struct ctl *o, int argc, char **argv)
{
	double timeout = o->timeout;
	bool follow = false;
	signal(SIGPIPE, SIG_IGN);
	char *path = socket_path(o->socket, o->config);
	for (int i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-f") == 0)
			follow = true;
		else if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
			i++;
		else
			usage_error("%s: unknown option '%s'", argv[0], argv[i]);
	}
	int fd;
	uint32_t len;
	uint8_t *payload = ask(path, argc, argv, timeout, v->flags & VERB_AGAIN, &fd, &len);
	int rc;
	enum proto_result result;
	const char *text;
	size_t textlen;
	if (proto_answer_unpack(payload, len, &result, &text, &textlen) < 0)
		errx(EXIT_NO_DAEMON, "%s: bad answer", path);
	if (result != PROTO_OK) {
		text_print(text, textlen, result);
		rc = result;
	} else {
		if (fwrite(text, 1, textlen, stdout) != textlen || fflush(stdout) == EOF)
			err(PROTO_FAILED, "stdout");
		rc = follow ? tail_follow(&fd, path, argc, argv) : 0;
	}
	free(payload);
	close(fd);
	free(path);
	return rc;
}

/* corralctl submit: a producer of jobs (submit.c). */
static int submit_verb(const struct verb *v, const struct ctl *o, int argc, char **argv)
{
	struct submit_opts so;
	char msg[256];
	if (submit_parse(argc, argv, &so, msg, sizeof msg) < 0)
		usage_error("%s", msg);
	signal(SIGPIPE, SIG_IGN);
	char *path = socket_path(o->socket, o->config);
	int status = submit_main(connect_socket(path, 0), path, &so);
	free(path);
	return status;
}

/* corralctl top: the live screen (top.c). */
static int top_verb(const struct verb *v, const struct ctl *o, int argc, char **argv)
{
	struct top_opts to;
	char msg[256];
	if (top_parse(argc, argv, &to, msg, sizeof msg) < 0)
		usage_error("%s", msg);
	char *path = socket_path(o->socket, o->config);
	int status = top_main(path, &to);
	free(path);
	return status;
}

/* corralctl migrate FILE: no daemon involved. */
static int migrate_main(const struct verb *v, const struct ctl *o, int argc, char **argv)
{
	const char *path = argv[1];
	struct config_errors errs = { 0 };
	int rc = migrate_supervisord(path, stdout, &errs);
	for (size_t i = 0; i < errs.n; i++)
		warnx("migrate: %s", errs.msgs[i]);
	config_api_errors_free(&errs);
	if (rc == -ENOTSUP)
		errx(PROTO_FAILED, "migrate: %s: not a supervisord config (it has no [supervisord] "
		     "section): corrald reads it in corral's format already", path);
	if (rc == -ENOMEM)
		errx(PROTO_FAILED, "migrate: %s: out of memory", path);
	if (rc < 0)
		return PROTO_FAILED;
	if (fflush(stdout) == EOF || ferror(stdout))
		err(PROTO_FAILED, "stdout");
	return 0;
}

/* Every other verb: one request, one answer. */
static int request_main(const struct verb *v, const struct ctl *o, int argc, char **argv)
{
	enum proto_result result;
	const char *text;
	size_t len, textlen;

	/* A daemon that hangs up early must not kill us before we say so. */
	signal(SIGPIPE, SIG_IGN);

	char *path = socket_path(o->socket, o->config);
	int fd;
	uint32_t len32;
	/* status --json: with what each tree uses (CPU, memory) */
	char **usage_argv = NULL;
	if (v->id == VERB_STATUS && o->json) {
		usage_argv = calloc((size_t)argc + 2, sizeof *usage_argv);
		if (!usage_argv)
			err(PROTO_FAILED, "status");
		usage_argv[0] = argv[0];
		usage_argv[1] = "--usage";
		memcpy(usage_argv + 2, argv + 1, (size_t)(argc - 1) * sizeof *argv);
		argv = usage_argv;
		argc++;
	}
	uint8_t *payload;
	for (;;) {
		payload = ask(path, argc, argv, o->timeout, v->flags & VERB_AGAIN, &fd, &len32);
		close(fd);
		len = len32;
		if (proto_answer_unpack(payload, len, &result, &text, &textlen) < 0)
			errx(EXIT_NO_DAEMON, "%s: bad answer: %s", path,
			     len ? "unknown result code" : "empty");
		/* a corrald older than --usage (this corralctl installed by an
		 * upgrade before the running corrald re-executes) takes it for
		 * a name: ask again without, and the usage fields are null */
		if (argv != usage_argv || result != PROTO_USAGE ||
		    !memmem(text, textlen, "--usage", 7))
			break;
		free(payload);
		argv = usage_argv + 1;
		argv[0] = usage_argv[0];
		argc--;
	}
	free(usage_argv);

	if (v->id == VERB_STATUS && (result == PROTO_OK || result == PROTO_NOT_RUNNING))
		status_print(text, textlen, o->json);
	else if (v->id == VERB_HEALTH && result == PROTO_FAILED)
		text_print(text, textlen, PROTO_OK); /* the verdict, not an error: on stdout */
	else
		text_print(text, textlen, result);

	free(payload);
	free(path);
	if (fflush(stdout) == EOF || ferror(stdout))
		err(PROTO_FAILED, "stdout");
	return result;
}

/* How corralctl carries out a verb (ARGV[0]); its exit status. */
typedef int verb_main(const struct verb *v, const struct ctl *o, int argc, char **argv);

/* The verbs that are more than one request and one answer; the others
 * are request_main()'s. */
static verb_main *const verb_mains[VERB_COUNT] = {
	[VERB_TAIL] = tail_main,
	[VERB_MAINTAIL] = tail_main,
	[VERB_RUN] = run_main,
	[VERB_SUBMIT] = submit_verb,
	[VERB_MIGRATE] = migrate_main,
	[VERB_TOP] = top_verb,
};

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "socket", required_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl o = { 0 };
	const struct verb *verb;
	int c, nargs;

	/* Our own messages, so they name "corralctl" whatever argv[0] is. */
	opterr = 0;
	/* `run` passes its command's words on untouched: options are parsed
	 * only up to a verb that has options of its own. */
	const char *optstring = ":c:s:t:h";
	for (int k = 1; k < argc; k++) {
		if (argv[k][0] != '-') {
			verb = verbs_find(argv[k]);
			if (verb && (verb->flags & VERB_OWN_OPTIONS))
				optstring = "+:c:s:t:h";
			break;
		}
		if (strcmp(argv[k], "--") == 0)
			break;
		if (!strchr(argv[k], '=') && (strcmp(argv[k], "-c") == 0 || strcmp(argv[k], "-s") == 0 ||
					     strcmp(argv[k], "-t") == 0 || strcmp(argv[k], "--config") == 0 ||
					     strcmp(argv[k], "--socket") == 0 ||
					     strcmp(argv[k], "--timeout") == 0))
			k++;
	}
	while ((c = getopt_long(argc, argv, optstring, longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o.config = optarg;
			break;
		case 's':
			o.socket = optarg;
			break;
		case 't':
			o.timeout = parse_timeout(optarg);
			break;
		case 'j':
			o.json = true;
			break;
		case 'h':
			help();
			return 0;
		case 'V':
			puts("corralctl " CORRAL_VERSION);
			return 0;
		case ':':
			usage_error("option '%s' needs an argument", argv[optind - 1]);
		default:
			if (optopt)
				usage_error("unknown option '-%c'", optopt);
			usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		usage_error("missing verb");
	verb = verbs_find(argv[optind]);
	if (!verb)
		usage_error("unknown verb '%s'", argv[optind]);
	/* Too few words never need a daemon to say so; too many are for the
	 * side that carries the verb out to judge. */
	nargs = argc - optind - 1;
	if (nargs < verb->min_args ||
	    ((verb->flags & VERB_LOCAL) && !verbs_args_fit(verb, nargs)))
		usage_error("%s needs %s", verb->name, verb->needs);
	verb_main *run = verb_mains[verb->id] ? verb_mains[verb->id] : request_main;
	return run(verb, &o, argc - optind, argv + optind);
}
