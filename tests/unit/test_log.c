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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_one_line_one_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errno_kept_for_percent_m, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_message_cut_marked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_threshold_and_silent, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
