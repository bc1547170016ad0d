/* Unit tests for supervisor/log.c: each message is one line in one write,
 * whatever its length, and the level threshold holds. Standard error is a
 * SOCK_SEQPACKET socket during each test, so each write(2) arrives as one
 * packet and a line written in pieces shows as several. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "supervisor/log.h"

struct capture {
	int saved;   /* the real stderr */
	int reader;  /* the other end of the socket now on fd 2 */
};

static int setup(void **state)
{
	static struct capture c;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	c.saved = dup(STDERR_FILENO);
	if (c.saved < 0 || dup2(sv[1], STDERR_FILENO) < 0)
		return -1;
	close(sv[1]);
	c.reader = sv[0];
	log_threshold = LOG_INFO;
	log_silent = false;
	*state = &c;
	return 0;
}

static int teardown(void **state)
{
	struct capture *c = *state;
	dup2(c->saved, STDERR_FILENO);
	close(c->saved);
	close(c->reader);
	return 0;
}

/* The next packet into BUF (NUL-terminated); its length, or -1 when none. */
static ssize_t packet(struct capture *c, char *buf, size_t len)
{
	ssize_t n = recv(c->reader, buf, len - 1, MSG_DONTWAIT);
	buf[n > 0 ? n : 0] = '\0';
	return n;
}

static void test_one_line_one_write(void **state)
{
	struct capture *c = *state;
	char buf[8192];
	log_info("%s: spawned pid %d", "web", 42);
	ssize_t n = packet(c, buf, sizeof buf);
	assert_true(n > 0);
	/* "YYYY-MM-DD HH:MM:SS corrald info: web: spawned pid 42\n", whole */
	assert_int_equal(buf[4], '-');
	assert_non_null(strstr(buf, " corrald info: web: spawned pid 42\n"));
	assert_int_equal(buf[n - 1], '\n');
	assert_ptr_equal(strchr(buf, '\n'), buf + n - 1);
	assert_int_equal(packet(c, buf, sizeof buf), -1); /* nothing more */
}

static void test_errno_kept_for_percent_m(void **state)
{
	struct capture *c = *state;
	char buf[8192];
	errno = ENOENT;
	log_err("open: %m");
	assert_int_equal(errno, ENOENT);
	assert_true(packet(c, buf, sizeof buf) > 0);
	assert_non_null(strstr(buf, "corrald error: open: No such file or directory\n"));
}

static void test_long_message_cut_marked(void **state)
{
	struct capture *c = *state;
	static char big[10000], buf[16384];
	memset(big, 'x', sizeof big - 1);
	log_warn("%s", big);
	ssize_t n = packet(c, buf, sizeof buf);
	assert_int_equal(n, 4096);
	assert_memory_equal(buf + n - 4, "...\n", 4);
	assert_int_equal(packet(c, buf, sizeof buf), -1);
	/* exactly filling the line still ends it */
	char fits[4096];
	size_t prefix = strlen("2026-12-06 07:00:00 corrald warning: ");
	memset(fits, 'y', sizeof fits);
	fits[4096 - prefix - 1] = '\0';
	log_warn("%s", fits);
	n = packet(c, buf, sizeof buf);
	assert_int_equal(n, 4096);
	assert_int_equal(buf[n - 2], 'y');
	assert_int_equal(buf[n - 1], '\n');
}

static void test_threshold_and_silent(void **state)
{
	struct capture *c = *state;
	char buf[8192];
	log_debug("not shown");
	assert_int_equal(packet(c, buf, sizeof buf), -1);
	log_silent = true;
	log_info("not shown either");
	assert_int_equal(packet(c, buf, sizeof buf), -1);
	log_err("but errors are");
	assert_true(packet(c, buf, sizeof buf) > 0);
	assert_non_null(strstr(buf, "corrald error: but errors are\n"));
	log_silent = false;
}

/* What the sink (corrald's log file) got. */
static char sunk[8192];
static size_t nsunk;
static int sink_calls;
static enum log_level sunk_level;

static void test_sink(enum log_level level, const char *line, size_t len)
{
	sink_calls++;
	sunk_level = level;
	if (nsunk + len < sizeof sunk) {
		memcpy(sunk + nsunk, line, len);
		nsunk += len;
		sunk[nsunk] = '\0';
	}
	log_err("said from inside the sink"); /* to stderr only, never back here */
}

/* The sink gets each line the threshold lets through, whole, silent or
 * not; what it logs itself goes to stderr only; supervisord's seven
 * levels filter as its loglevel does. */
static void test_sink_levels_and_silent(void **state)
{
	struct capture *c = *state;
	char buf[8192];
	nsunk = 0;
	sink_calls = 0;
	log_set_sink(test_sink);
	log_silent = true;
	log_info("to the file only");
	assert_int_equal(sink_calls, 1);
	assert_int_equal(sunk_level, LOG_INFO);
	assert_non_null(strstr(sunk, "corrald info: to the file only\n"));
	assert_true(packet(c, buf, sizeof buf) > 0); /* the sink's own error, on stderr */
	assert_non_null(strstr(buf, "said from inside the sink"));
	assert_int_equal(packet(c, buf, sizeof buf), -1); /* and not the info line */
	log_silent = false;
	log_trace("not at info");
	assert_int_equal(sink_calls, 1);
	log_set_config_level(LOG_TRACE);
	log_trace("XML-RPC method called: x()");
	assert_int_equal(sink_calls, 2);
	assert_non_null(strstr(sunk, "corrald trace: XML-RPC method called: x()\n"));
	log_set_config_level(LOG_CRIT);
	log_err("an error is not critical");
	assert_int_equal(sink_calls, 2);
	log_crit("critical");
	assert_int_equal(sink_calls, 3);
	assert_non_null(strstr(sunk, "corrald critical: critical\n"));
	log_set_config_level(-1);
	assert_int_equal(log_threshold, LOG_INFO);
	log_set_sink(NULL);
	while (packet(c, buf, sizeof buf) > 0)
		;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_one_line_one_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errno_kept_for_percent_m, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_message_cut_marked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_threshold_and_silent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sink_levels_and_silent, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
