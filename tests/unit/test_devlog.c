/* Unit tests for supervisor/devlog.c: the messages syslog gets, lines put
 * together across reads and cut when too long, and what is dropped and
 * said when the socket will not take them. connect(2) and send(2) are
 * faked (-Wl,--wrap), and so is the loop's clock and timer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <cmocka.h>

#include "supervisor/devlog.h"
#include "supervisor/log.h"
#include "supervisor/loop.h"

/* ---- fakes ---- */

static int64_t now_ms = 1000;
static int64_t timer_at = -1;       /* the deadline devlog.c set, -1: none */
static struct deadline *timer;      /* ... and which one */
static char said[4][512];           /* corrald's log */
static int nsaid;
static char sent[8][DEVLOG_LINE_MAX + 512]; /* the messages, without their stamp */
static size_t sentlen[8];
static int nsent;
static int send_err;                /* errno send() fails with, 0: it takes the message */
static int connect_err;             /* errno connect() fails with */
static int connects;

enum log_level log_threshold = LOG_INFO;

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (nsaid < 4)
		vsnprintf(said[nsaid++], sizeof said[0], fmt, ap);
	va_end(ap);
	assert_int_equal(level, LOG_WARN);
}

int64_t loop_now_ms(void)
{
	return now_ms;
}

int loop_timer_set(struct deadline *d, int64_t when)
{
	d->node.index = 0; /* queued */
	d->node.when = when;
	timer_at = when;
	timer = d;
	return 0;
}

void loop_timer_cancel(struct deadline *d)
{
	d->node.index = HEAP_NONE;
	timer_at = -1;
}

int __wrap_connect(int fd, const struct sockaddr *a, socklen_t len);
int __wrap_connect(int fd, const struct sockaddr *a, socklen_t len)
{
	(void)fd;
	(void)len;
	assert_string_equal(((const struct sockaddr_un *)(const void *)a)->sun_path, "/dev/log");
	connects++;
	if (connect_err) {
		errno = connect_err;
		return -1;
	}
	return 0;
}

ssize_t __wrap_send(int fd, const void *buf, size_t len, int flags);
ssize_t __wrap_send(int fd, const void *buf, size_t len, int flags)
{
	(void)fd;
	/* never a wait */
	assert_true(flags & MSG_DONTWAIT);
	if (send_err) {
		errno = send_err;
		return -1;
	}
	/* "<14>Mmm dd hh:mm:ss " is 20 bytes; the rest is kept */
	assert_true(len >= 20 && memcmp(buf, "<14>", 4) == 0);
	assert_true(nsent < 8);
	memcpy(sent[nsent], (const char *)buf + 20, len - 20);
	sentlen[nsent++] = len - 20;
	return (ssize_t)len;
}

static void reset(void)
{
	nsent = nsaid = 0;
	send_err = connect_err = 0;
	connects = 0;
}

static void expect_sent(int i, const char *msg)
{
	assert_true(i < nsent);
	assert_int_equal(sentlen[i], strlen(msg));
	assert_memory_equal(sent[i], msg, sentlen[i]);
}

/* ---- tests ---- */

static void test_format(void **state)
{
	(void)state;
	char buf[256];
	struct tm tm = { .tm_mon = 11, .tm_mday = 6, .tm_hour = 1, .tm_min = 45, .tm_sec = 4 };
	size_t n = devlog_format(buf, sizeof buf, &tm, "supervisord", "web", "a line", 6);
	buf[n] = '\0';
	/* glibc's syslog(3), as supervisord's Python calls it */
	assert_string_equal(buf, "<14>Dec  6 01:45:04 supervisord: web a line");
	tm.tm_mday = 16;
	n = devlog_format(buf, sizeof buf, &tm, "corrald", "w_00", "", 0);
	buf[n] = '\0';
	assert_string_equal(buf, "<14>Dec 16 01:45:04 corrald: w_00 ");
	/* a line longer than the buffer is cut */
	n = devlog_format(buf, 48, &tm, "corrald", "web", "0123456789abcdef0123456789", 26);
	assert_int_equal(n, 48);
	assert_memory_equal(buf + 33, "0123456789abcde", 15);
}

static void test_lines(void **state)
{
	(void)state;
	struct devlog_stream d;
	reset();
	assert_int_equal(devlog_stream_open(&d, "web", "stdout"), 0);
	/* whole lines go at once, an empty one too; a partial one waits */
	assert_int_equal(devlog_stream_feed(&d, "one\n\ntw", 7), 0);
	assert_int_equal(nsent, 2);
	expect_sent(0, "corrald: web one");
	expect_sent(1, "corrald: web ");
	assert_int_equal(devlog_stream_feed(&d, "o\r\nthr", 6), 0);
	expect_sent(2, "corrald: web two\r");
	/* the end of the output sends what is left */
	assert_int_equal(devlog_stream_close(&d), 0);
	assert_int_equal(nsent, 4);
	expect_sent(3, "corrald: web thr");
	assert_null(d.line);
	assert_int_equal(devlog_stream_feed(&d, "off\n", 4), 0); /* closed: nothing */
	assert_int_equal(nsent, 4);
}

static void test_long_lines(void **state)
{
	(void)state;
	static char big[DEVLOG_LINE_MAX * 2 + 2];
	struct devlog_stream d;
	reset();
	assert_int_equal(devlog_stream_open(&d, "w", "stderr"), 0);
	/* exactly the limit: one message, no empty one after it */
	memset(big, 'x', DEVLOG_LINE_MAX);
	big[DEVLOG_LINE_MAX] = '\n';
	devlog_stream_feed(&d, big, DEVLOG_LINE_MAX + 1);
	assert_int_equal(nsent, 1);
	assert_int_equal(sentlen[0], strlen("corrald: w ") + DEVLOG_LINE_MAX);
	/* past it, in pieces of the limit, whether it comes at once or not */
	memset(big, 'y', sizeof big);
	big[DEVLOG_LINE_MAX + 10] = '\n';
	devlog_stream_feed(&d, big, DEVLOG_LINE_MAX + 11);
	assert_int_equal(nsent, 3);
	assert_int_equal(sentlen[1], strlen("corrald: w ") + DEVLOG_LINE_MAX);
	expect_sent(2, "corrald: w yyyyyyyyyy");
	devlog_stream_feed(&d, big, 5);
	devlog_stream_feed(&d, big, DEVLOG_LINE_MAX);
	assert_int_equal(nsent, 4);
	assert_int_equal(sentlen[3], strlen("corrald: w ") + DEVLOG_LINE_MAX);
	devlog_stream_feed(&d, "\n", 1);
	expect_sent(4, "corrald: w yyyyy");
	devlog_stream_close(&d);
	assert_int_equal(nsent, 5);
}

static void test_dropped_and_said(void **state)
{
	(void)state;
	struct devlog_stream d;
	reset();
	assert_int_equal(devlog_stream_open(&d, "web", "stdout"), 0);
	/* a full socket: dropped, counted, said at once the first time */
	send_err = EAGAIN;
	assert_int_equal(devlog_stream_feed(&d, "a\nb\n", 4), 2);
	assert_int_equal(nsaid, 1);
	assert_string_equal(said[0], "syslog: 1 line dropped, /dev/log did not take them (its "
				     "socket is full; the last: web's stdout); the programs were "
				     "not held back");
	/* the next ones within DEVLOG_REPORT_MS wait for the timer */
	assert_int_equal(timer_at, now_ms + DEVLOG_REPORT_MS);
	now_ms += 10;
	assert_int_equal(devlog_stream_feed(&d, "c\n", 2), 1);
	assert_int_equal(nsaid, 1);
	now_ms = timer_at;
	timer->node.index = HEAP_NONE; /* fired: out of the heap */
	timer->fn(timer);
	assert_int_equal(nsaid, 2);
	assert_string_equal(said[1], "syslog: 2 lines dropped, /dev/log did not take them (its "
				     "socket is full; the last: web's stdout); the programs were "
				     "not held back");
	/* the daemon went away: one new try to connect, then dropped; no
	 * connect again before a second has passed */
	send_err = ECONNREFUSED;
	connect_err = ECONNREFUSED;
	connects = 0;
	assert_int_equal(devlog_stream_feed(&d, "d\ne\n", 4), 2);
	assert_int_equal(connects, 1);
	now_ms += 999;
	assert_int_equal(devlog_stream_feed(&d, "f\n", 2), 1);
	assert_int_equal(connects, 1);
	/* back: connected again, sent */
	now_ms += 1;
	send_err = connect_err = 0;
	nsent = 0;
	assert_int_equal(devlog_stream_feed(&d, "g\n", 2), 0);
	assert_int_equal(connects, 2);
	expect_sent(0, "corrald: web g");
	devlog_stream_close(&d);
	/* what was not said yet is said at exit */
	nsaid = 0;
	devlog_shutdown();
	assert_int_equal(nsaid, 1);
	assert_string_equal(said[0], "syslog: 3 lines dropped, /dev/log did not take them (nobody "
				     "listens there; the last: web's stdout); the programs were "
				     "not held back");
}

int main(void)
{
	/* the tag is the program's name, as glibc's syslog(3) takes it */
	program_invocation_short_name = (char *)"corrald";
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_dropped_and_said),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
