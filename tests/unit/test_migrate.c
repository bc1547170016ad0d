/* Unit tests for ctl/migrate.c: the values it writes read back the same. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ctl/migrate.h"
#include "supervisor/config.h"
#include "supervisor/sockets.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_escape(void **state)
{
	(void)state;
	char *s = migrate_escape("100% %(here)s");
	assert_string_equal(s, "100%% %%(here)s");
	free(s);
	s = migrate_escape("");
	assert_string_equal(s, "");
	free(s);
}

/* What migrate_environment() writes, read back by corral's format, is
 * the same list: quotes, backslashes, commas, '%' and blanks included. */
static void test_environment_round_trip(void **state)
{
	(void)state;
	char *env[] = { "A=1", "Q=say \"hi\", \\o/", "P=100% %(here)s", "S= padded ", "E=", NULL };
	char *e = migrate_environment(env), *text;
	assert_non_null(e);
	assert_true(asprintf(&text, "[program:x]\ncommand = /bin/true\nenvironment = %s\n", e) > 0);
	struct corral_config cfg;
	struct config_errors errs = { 0 };
	int rc = config_load_string("mem.conf", text, &cfg, &errs);
	if (rc < 0)
		fail_msg("%s", errs.n ? errs.msgs[0] : "?");
	for (size_t i = 0; env[i]; i++)
		assert_string_equal(cfg.programs[0].environment[i], env[i]);
	assert_null(cfg.programs[0].environment[5]);
	config_free(&cfg);
	config_errors_free(&errs);
	free(text);
	free(e);
	char *none[] = { NULL };
	e = migrate_environment(none);
	assert_string_equal(e, "");
	free(e);
}

static char *migrate_text(const char *conf, int *rc)
{
	char path[] = "/tmp/corral-test-migrate-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, conf, strlen(conf)), (ssize_t)strlen(conf));
	close(fd);
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	assert_non_null(out);
	struct config_errors errs = { 0 };
	*rc = migrate_supervisord(path, out, &errs);
	fclose(out);
	config_errors_free(&errs);
	unlink(path);
	return buf;
}

/* A program whose processes differ becomes one program per process, in a
 * group that keeps their names; its group lists the parts. */
static void test_split(void **state)
{
	(void)state;
	int rc;
	char *out = migrate_text("[supervisord]\n[program:w]\ncommand = /bin/sleep %(process_num)d\n"
				 "process_name = w%(process_num)d\nnumprocs = 2\n"
				 "[program:s]\ncommand = /bin/true\n"
				 "[group:g]\nprograms = s,w\n", &rc);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "\n[program:w0]\ncommand = /bin/sleep 0\nprocess_name = w0\n"));
	assert_non_null(strstr(out, "\n[program:w1]\ncommand = /bin/sleep 1\nprocess_name = w1\n"));
	assert_non_null(strstr(out, "\n[group:g]\nprograms = s,w0,w1\n"));
	assert_null(strstr(out, "[group:w]"));
	free(out);
}

static void test_not_supervisord(void **state)
{
	(void)state;
	int rc;
	char *out = migrate_text("[program:x]\ncommand = /bin/true\n", &rc);
	assert_int_equal(rc, -ENOTSUP);
	assert_string_equal(out, "");
	free(out);
	out = migrate_text("[supervisord]\nnodaemon = perhaps\n", &rc);
	assert_int_equal(rc, -EINVAL);
	free(out);
	/* a split that would take a name already used */
	out = migrate_text("[supervisord]\n[program:w]\ncommand = /bin/sleep %(process_num)d\n"
			   "process_name = w%(process_num)d\nnumprocs = 2\n"
			   "[program:w1]\ncommand = /bin/true\n", &rc);
	assert_int_equal(rc, -EINVAL);
	assert_string_equal(out, "");
	free(out);
}

/* A key set again in its section is written once, the values before it
 * commented out; what supervisord's format implies is written out. */
static void test_repeated_keys_and_defaults(void **state)
{
	(void)state;
	int rc;
	char *out = migrate_text("[supervisord]\nminfds = 10\nminfds = 20\n"
				 "[unix_http_server]\nfile = /tmp/m.sock\nchmod = 0700\n"
				 "chmod = 0770\n[program:p]\ncommand = /bin/a\ncommand = /bin/b\n", &rc);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "\n[corral]\n# minfds = 10  ; set again below: supervisord "
				    "takes the last value\nminfds = 20\n"));
	assert_non_null(strstr(out, "\nsocket = /tmp/m.sock.corral\n"));
	assert_non_null(strstr(out, "\nnodaemon = false\nminprocs = 200\n"));
	assert_null(strstr(out, "minfds = 1024"));
	assert_non_null(strstr(out, "\n# chmod = 0700  ; set again below: supervisord takes the "
				    "last value\nchmod = 0770\n"));
	assert_non_null(strstr(out, "\n[program:p]\n# command = /bin/a  ; set again below: "
				    "supervisord takes the last value\ncommand = /bin/b\n"));
	free(out);
}

/* A value written as corrald resolved it reads back the same: '%' is
 * doubled in each, an [fcgi-program:]'s socket too. */
static void test_resolved_round_trip(void **state)
{
	(void)state;
	int rc;
	char *out = migrate_text("[supervisord]\nchildlogdir = /tmp/l%%(x)s\n"
				 "[fcgi-program:f]\ncommand = /bin/true\n"
				 "socket = unix:///tmp/f%%(here)s.sock\n", &rc);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "\nlogdir = /tmp/l%%(x)s\n"));
	assert_non_null(strstr(out, "\nsocket = unix:///tmp/f%%(here)s.sock\n"));
	struct corral_config cfg;
	struct config_errors errs = { 0 };
	rc = config_load_string("mem.conf", out, &cfg, &errs);
	if (rc < 0)
		fail_msg("%s", errs.n ? errs.msgs[0] : "?");
	assert_string_equal(cfg.logdir, "/tmp/l%(x)s");
	char text[SOCKETS_ADDR_STRLEN];
	sockets_format(cfg.programs[0].fcgi_socket, text, sizeof text);
	assert_string_equal(text, "unix:/tmp/f%(here)s.sock");
	config_free(&cfg);
	config_errors_free(&errs);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_environment_round_trip),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_not_supervisord),
		cmocka_unit_test(test_repeated_keys_and_defaults),
		cmocka_unit_test(test_resolved_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
