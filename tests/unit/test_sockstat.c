/* Unit tests for supervisor/sockstat.c: a listening socket's accept queue
 * and backlog as the kernel reports them, on real sockets (TCP on
 * 127.0.0.1, a unix socket in the abstract namespace): a connection
 * nobody accepted is counted, one accepted is not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "supervisor/sockstat.h"

/* A TCP listener on 127.0.0.1 at a port below the ephemeral range, and its
 * address. */
static int tcp_listener(struct sockaddr_in *sin, int backlog)
{
	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	for (int tries = 0; tries < 100; tries++) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		assert_true(fd >= 0);
		*sin = (struct sockaddr_in){ .sin_family = AF_INET,
					     .sin_port = htons((uint16_t)(20000 + rand() % 12000)),
					     .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		if (bind(fd, (struct sockaddr *)sin, sizeof *sin) == 0 && listen(fd, backlog) == 0)
			return fd;
		close(fd);
	}
	fail_msg("no free port on 127.0.0.1");
	return -1;
}

static void test_tcp(void **state)
{
	(void)state;
	struct sockaddr_in sin;
	int l = tcp_listener(&sin, 7);
	uint32_t q = 99, b = 99;
	assert_int_equal(sockstat_listen_queue(l, SOCKET_TCP, &q, &b), 0);
	assert_int_equal(q, 0);
	assert_int_equal(b, 7);
	int c[2];
	for (int i = 0; i < 2; i++) {
		c[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		assert_int_equal(connect(c[i], (struct sockaddr *)&sin, sizeof sin), 0);
	}
	assert_int_equal(sockstat_listen_queue(l, SOCKET_TCP, &q, &b), 0);
	assert_int_equal(q, 2);
	int a = accept(l, NULL, NULL);
	assert_true(a >= 0);
	assert_int_equal(sockstat_listen_queue(l, SOCKET_TCP, &q, &b), 0);
	assert_int_equal(q, 1);
	/* not a listener */
	assert_int_equal(sockstat_listen_queue(a, SOCKET_TCP, &q, &b), -EINVAL);
	close(a);
	close(c[0]);
	close(c[1]);
	close(l);
}

static void test_unix(void **state)
{
	(void)state;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int n = snprintf(sun.sun_path + 1, sizeof sun.sun_path - 1, "corral-test-sockstat-%d",
			 (int)getpid());
	socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
	int l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(l, (struct sockaddr *)&sun, len), 0);
	assert_int_equal(listen(l, 5), 0);
	uint32_t q = 99, b = 99;
	assert_int_equal(sockstat_listen_queue(l, SOCKET_UNIX, &q, &b), 0);
	assert_int_equal(q, 0);
	assert_int_equal(b, 5);
	int c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(connect(c, (struct sockaddr *)&sun, len), 0);
	assert_int_equal(sockstat_listen_queue(l, SOCKET_UNIX, &q, &b), 0);
	assert_int_equal(q, 1);
	int a = accept(l, NULL, NULL);
	assert_true(a >= 0);
	assert_int_equal(sockstat_listen_queue(l, SOCKET_UNIX, &q, &b), 0);
	assert_int_equal(q, 0);
	/* a connected socket is no listener */
	assert_int_equal(sockstat_listen_queue(a, SOCKET_UNIX, &q, &b), -EINVAL);
	close(a);
	close(c);
	close(l);
}

static void test_udp_has_no_queue(void **state)
{
	(void)state;
	int u = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	uint32_t q, b;
	assert_int_equal(sockstat_listen_queue(u, SOCKET_UDP, &q, &b), -EOPNOTSUPP);
	close(u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp),
		cmocka_unit_test(test_unix),
		cmocka_unit_test(test_udp_has_no_queue),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
