/* Unit tests for supervisor/healthspec.c (what healthcheck = says, the
 * failure counting) and probe.c's status line reader. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "supervisor/healthspec.h"
#include "supervisor/probe.h"

static void test_http_url(void **state)
{
	(void)state;
	struct health_spec s;
	char err[200] = "";
	assert_int_equal(healthspec_parse("http://127.0.0.1:8080/health?x=1", &s, err, sizeof err), 0);
	assert_int_equal(s.kind, HEALTH_HTTP);
	assert_string_equal(s.path, "/health?x=1");
	assert_string_equal(s.host, "127.0.0.1:8080");
	const struct sockaddr_in *in = (const struct sockaddr_in *)&s.addr;
	assert_int_equal(in->sin_family, AF_INET);
	assert_int_equal(ntohs(in->sin_port), 8080);
	assert_int_equal(s.addrlen, sizeof *in);
	/* no path: "/"; a fragment is not sent */
	assert_int_equal(healthspec_parse("http://127.0.0.1:80", &s, err, sizeof err), 0);
	assert_string_equal(s.path, "/");
	assert_int_equal(healthspec_parse("http://127.0.0.1:80/a#frag", &s, err, sizeof err), 0);
	assert_string_equal(s.path, "/a");
	/* IPv6 */
	assert_int_equal(healthspec_parse("http://[::1]:9000/h", &s, err, sizeof err), 0);
	assert_int_equal(s.addr.ss_family, AF_INET6);
	assert_string_equal(s.host, "[::1]:9000");
}

static void test_bad_values(void **state)
{
	(void)state;
	struct health_spec s;
	char err[200];
	static const char *const bad[] = {
		"http://localhost:80/",        /* a name: never resolved */
		"http://127.0.0.1/",           /* no port */
		"http://127.0.0.1:0/",
		"http://127.0.0.1:65536/",
		"http://127.0.0.1:8x/",
		"http://127.0.0.1:80/a b",     /* a blank would split the request line */
		"http://127.0.0.1:80/a\r\nX: y",
		"http://[::1/",
		"tcp:127.0.0.1",
		"tcp::80",
		"tcp:1.2.3:80",
		"exec:check",                  /* not an absolute path */
		"exec:",
		"https://127.0.0.1:443/",
		"",
		"ftp://x",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = '\0';
		if (healthspec_parse(bad[i], &s, err, sizeof err) != -EINVAL)
			fail_msg("accepted %s", bad[i]);
		assert_true(err[0] != '\0');
	}
	healthspec_parse("http://localhost:80/", &s, err, sizeof err);
	assert_non_null(strstr(err, "not resolved"));
}

static void test_tcp_and_exec(void **state)
{
	(void)state;
	struct health_spec s;
	char err[200];
	assert_int_equal(healthspec_parse("tcp:10.0.0.1:5432", &s, err, sizeof err), 0);
	assert_int_equal(s.kind, HEALTH_TCP);
	assert_int_equal(ntohs(((const struct sockaddr_in *)&s.addr)->sin_port), 5432);
	assert_int_equal(healthspec_parse("tcp:[::1]:1", &s, err, sizeof err), 0);
	assert_int_equal(s.addr.ss_family, AF_INET6);
	assert_int_equal(healthspec_parse("exec: /bin/check -v 'a b'", &s, err, sizeof err), 0);
	assert_int_equal(s.kind, HEALTH_EXEC);
	assert_string_equal(s.command, "/bin/check -v 'a b'");
}

static void test_status_line(void **state)
{
	(void)state;
	const char *full = "HTTP/1.1 204 No Content\r\nServer: x\r\n\r\n";
	assert_int_equal(probe_status_line(full, strlen(full)), 204);
	/* any prefix before the code is whole asks for more */
	assert_int_equal(probe_status_line(full, 0), 0);
	assert_int_equal(probe_status_line(full, 5), 0);
	assert_int_equal(probe_status_line(full, 11), 0);
	/* once the reason phrase begins the code is known */
	assert_int_equal(probe_status_line(full, 14), 204);
	assert_int_equal(probe_status_line("HTTP/1.0 503 Busy\r\n", 19), 503);
	const char *noreason = "HTTP/1.1 301\r\nLocation: /\r\n\r\n";
	assert_int_equal(probe_status_line(noreason, strlen(noreason)), 301);
	/* not HTTP */
	assert_int_equal(probe_status_line("SSH-2.0-OpenSSH\r\n", 17), -1);
	assert_int_equal(probe_status_line("HTTP/1.1 2x0 OK\r\n", 17), -1);
	assert_int_equal(probe_status_line("hello", 5), -1);
}

static void test_counting(void **state)
{
	(void)state;
	struct health_count c;
	health_count_reset(&c);
	/* inside start_period (10 s from 1000): failures are not counted */
	assert_int_equal(health_count_result(&c, false, 2000, 1000, 10000, 2), HEALTH_SAME);
	assert_int_equal(c.failures, 0);
	assert_false(c.known);
	/* after it: RETRIES in a row turn it unhealthy, once */
	assert_int_equal(health_count_result(&c, false, 12000, 1000, 10000, 2), HEALTH_SAME);
	assert_int_equal(c.failures, 1);
	assert_int_equal(health_count_result(&c, false, 13000, 1000, 10000, 2),
			 HEALTH_BECAME_UNHEALTHY);
	assert_true(c.known);
	assert_false(c.healthy);
	assert_int_equal(health_count_result(&c, false, 14000, 1000, 10000, 2), HEALTH_SAME);
	assert_int_equal(c.failures, 3);
	/* one pass: healthy, the count starts again */
	assert_int_equal(health_count_result(&c, true, 15000, 1000, 10000, 2), HEALTH_BECAME_HEALTHY);
	assert_int_equal(c.failures, 0);
	assert_int_equal(health_count_result(&c, true, 16000, 1000, 10000, 2), HEALTH_SAME);
	/* a failure between passes does not make it unhealthy */
	assert_int_equal(health_count_result(&c, false, 17000, 1000, 10000, 2), HEALTH_SAME);
	assert_true(c.healthy);
	assert_int_equal(health_count_result(&c, true, 18000, 1000, 10000, 2), HEALTH_SAME);
}

static void test_start_period_ends_at_first_pass(void **state)
{
	(void)state;
	struct health_count c;
	health_count_reset(&c);
	/* first verdict: healthy */
	assert_int_equal(health_count_result(&c, true, 1500, 1000, 60000, 1), HEALTH_BECAME_HEALTHY);
	/* once it passed, failures count even inside start_period (Docker's rule) */
	assert_int_equal(health_count_result(&c, false, 2500, 1000, 60000, 1),
			 HEALTH_BECAME_UNHEALTHY);
	/* retries = 1 with no start period: the first failure decides */
	health_count_reset(&c);
	assert_int_equal(health_count_result(&c, false, 1, 0, 0, 1), HEALTH_BECAME_UNHEALTHY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http_url),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_tcp_and_exec),
		cmocka_unit_test(test_status_line),
		cmocka_unit_test(test_counting),
		cmocka_unit_test(test_start_period_ends_at_first_pass),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
