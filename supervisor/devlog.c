#include "supervisor/devlog.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "supervisor/log.h"
#include "supervisor/loop.h"

/* Nobody listens at DEVLOG_PATH: tried again at most this often, not at
 * every line. */
#define RECONNECT_MS 1000
/* The tag and the name are cut to this much in a message. */
#define TAG_MAX 64
#define NAME_MAX_SHOWN 256

static struct {
	int fd;                 /* connected to DEVLOG_PATH; -1: not */
	int64_t retry_at;       /* no connect() before this (monotonic ms) */
	int connect_err;        /* why the last connect() failed, -errno */
	/* lines dropped and not yet said in corrald's log */
	uint64_t unsaid;
	int last_err;
	char last_from[NAME_MAX_SHOWN + 16];
	int64_t next_report;    /* said no sooner than this */
	struct deadline timer;
	bool timer_ready;
} D = { .fd = -1 };

static loop_timer_fn report_due;

int devlog_stream_open(struct devlog_stream *d, const char *name, const char *channel)
{
	memset(d, 0, sizeof *d);
	d->name = strdup(name);
	d->line = malloc(DEVLOG_LINE_MAX);
	if (!d->name || !d->line) {
		free(d->name);
		free(d->line);
		memset(d, 0, sizeof *d);
		return -ENOMEM;
	}
	d->channel = channel;
	return 0;
}

size_t devlog_format(char *buf, size_t len, const struct tm *tm, const char *tag,
		     const char *name, const char *line, size_t linelen)
{
	char stamp[32];
	/* glibc's "%h %e %T" in the C locale: "Dec  6 01:45:14" */
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	snprintf(stamp, sizeof stamp, "%s %2d %02d:%02d:%02d",
		 months[tm->tm_mon >= 0 && tm->tm_mon < 12 ? tm->tm_mon : 0], tm->tm_mday,
		 tm->tm_hour, tm->tm_min, tm->tm_sec);
	int n = snprintf(buf, len, "<%d>%s %.*s: %.*s ", 1 << 3 | 6 /* LOG_USER | LOG_INFO */,
			 stamp, TAG_MAX, tag, NAME_MAX_SHOWN, name);
	if (n < 0)
		return 0;
	if ((size_t)n >= len)
		return len - 1;
	size_t k = (size_t)n;
	if (linelen > len - k)
		linelen = len - k;
	memcpy(buf + k, line, linelen);
	return k + linelen;
}

static void report(int64_t now)
{
	if (!D.unsaid)
		return;
	const char *why = D.last_err == -EAGAIN ? "its socket is full"
			: D.last_err == -ENOENT || D.last_err == -ECONNREFUSED
			? "nobody listens there" : strerror(-D.last_err);
	log_warn("syslog: %llu line%s dropped, %s did not take them (%s; the last: %s); the "
		 "programs were not held back", (unsigned long long)D.unsaid,
		 D.unsaid == 1 ? "" : "s", DEVLOG_PATH, why, D.last_from);
	D.unsaid = 0;
	D.next_report = now + DEVLOG_REPORT_MS;
}

/* A line of D was not taken, for the reason ERR (-errno). */
static void dropped(const struct devlog_stream *d, int err)
{
	int64_t now = loop_now_ms();
	D.unsaid++;
	D.last_err = err;
	snprintf(D.last_from, sizeof D.last_from, "%.*s's %s", NAME_MAX_SHOWN, d->name,
		 d->channel);
	if (now >= D.next_report) {
		report(now);
		return;
	}
	if (!D.timer_ready) {
		loop_timer_init(&D.timer, report_due, NULL);
		D.timer_ready = true;
	}
	if (!loop_timer_pending(&D.timer) && loop_timer_set(&D.timer, D.next_report) < 0)
		report(now); /* no memory for the deadline: said now rather than never */
}

static int devlog_connect(int64_t now)
{
	if (now < D.retry_at)
		return D.connect_err;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int r = 0;
	if (fd < 0) {
		r = -errno;
	} else {
		struct sockaddr_un a = { .sun_family = AF_UNIX };
		memcpy(a.sun_path, DEVLOG_PATH, sizeof DEVLOG_PATH);
		if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
			r = -errno;
			close(fd);
		}
	}
	if (r < 0) {
		D.retry_at = now + RECONNECT_MS;
		D.connect_err = r;
		return r;
	}
	D.fd = fd;
	return 0;
}

/* MSG to the syslog daemon, without waiting. 0, or -errno. */
static int devlog_send(const char *msg, size_t len)
{
	int64_t now = loop_now_ms();
	for (int attempt = 0;; attempt++) {
		int r;
		if (D.fd < 0 && (r = devlog_connect(now)) < 0)
			return r;
		ssize_t n;
		do
			n = send(D.fd, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		while (n < 0 && errno == EINTR);
		if (n >= 0)
			return 0;
		r = -errno;
		if (r == -EAGAIN || r == -EMSGSIZE || r == -ENOBUFS || r == -ENOMEM)
			return r;
		/* ECONNREFUSED and the like: the daemon went away, perhaps to
		 * come back on a new socket at the same path (a restart) */
		close(D.fd);
		D.fd = -1;
		if (attempt)
			return r;
	}
}

/* One line of D (without its newline) to syslog; 1 when it was dropped. */
static uint64_t send_line(const struct devlog_stream *d, const char *line, size_t len)
{
	char msg[DEVLOG_LINE_MAX + TAG_MAX + NAME_MAX_SHOWN + 64];
	time_t t = time(NULL);
	struct tm tm;
	if (!localtime_r(&t, &tm))
		memset(&tm, 0, sizeof tm);
	size_t n = devlog_format(msg, sizeof msg, &tm, program_invocation_short_name, d->name,
				 line, len);
	int r = devlog_send(msg, n);
	if (r < 0) {
		dropped(d, r);
		return 1;
	}
	return 0;
}

uint64_t devlog_stream_feed(struct devlog_stream *d, const char *data, size_t len)
{
	uint64_t lost = 0;
	if (!d->line)
		return 0;
	while (len > 0) {
		const char *nl = memchr(data, '\n', len);
		size_t n = nl ? (size_t)(nl - data) : len;
		if (!d->len && nl && n <= DEVLOG_LINE_MAX) {
			/* a whole line: from where it is */
			lost += send_line(d, data, n);
			data += n + 1;
			len -= n + 1;
			continue;
		}
		size_t room = DEVLOG_LINE_MAX - d->len, k = n < room ? n : room;
		memcpy(d->line + d->len, data, k);
		d->len += k;
		if (nl && k == n) {
			lost += send_line(d, d->line, d->len);
			d->len = 0;
			data += n + 1;
			len -= n + 1;
			continue;
		}
		if (d->len == DEVLOG_LINE_MAX) {
			/* too long to wait for its end: this much goes now */
			lost += send_line(d, d->line, d->len);
			d->len = 0;
		}
		data += k;
		len -= k;
	}
	return lost;
}

uint64_t devlog_stream_close(struct devlog_stream *d)
{
	uint64_t lost = 0;
	if (d->line && d->len)
		lost = send_line(d, d->line, d->len);
	free(d->name);
	free(d->line);
	memset(d, 0, sizeof *d);
	return lost;
}

/* The report of dropped lines is due. */
static void report_due(struct deadline *d)
{
	report(loop_now_ms());
}

void devlog_shutdown(void)
{
	report(loop_now_ms());
	if (D.timer_ready)
		loop_timer_cancel(&D.timer);
	if (D.fd >= 0)
		close(D.fd);
	D.fd = -1;
}
