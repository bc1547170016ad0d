/* Unit tests for supervisor/config_api.c: the config reader's public face
 * gives what corrald's own reader resolved. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "supervisor/config_api.h"

/* CONF in a temporary file, whose path goes to PATH (unlink it after). */
static void write_conf(char *path, const char *conf)
{
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, conf, strlen(conf)), (ssize_t)strlen(conf));
	assert_int_equal(close(fd), 0);
}

struct walk {
	int sections, keys;
	bool superseded;
};

static void count(void *arg, const struct config_item *it)
{
	struct walk *w = arg;
	if (!it->key)
		w->sections++;
	else
		w->keys++;
	w->superseded |= it->superseded;
}

static void test_socket(void **state)
{
	(void)state;
	char path[] = "/tmp/corral-test-config-api-XXXXXX", err[256], *sock;
	write_conf(path, "[program:x]\ncommand = /bin/true\n");
	assert_int_equal(config_api_socket(path, &sock, err, sizeof err), 0);
	assert_string_equal(sock, CONFIG_DEFAULT_SOCKET);
	free(sock);
	unlink(path);
	/* errors elsewhere in the file do not hide the socket */
	char path2[] = "/tmp/corral-test-config-api-XXXXXX";
	write_conf(path2, "[corral]\nsocket = /tmp/api.sock\n[program:x]\nnumprocs = many\n");
	assert_int_equal(config_api_socket(path2, &sock, err, sizeof err), 0);
	assert_string_equal(sock, "/tmp/api.sock");
	free(sock);
	unlink(path2);
	assert_true(config_api_socket("/nonexistent/corral.conf", &sock, err, sizeof err) < 0);
	assert_non_null(strstr(err, "/nonexistent/corral.conf"));
}

static void test_read(void **state)
{
	(void)state;
	char path[] = "/tmp/corral-test-config-api-XXXXXX";
	write_conf(path, "[supervisord]\nidentifier = sup\nminfds = 10\nminfds = 20\n"
		   "[program:w]\ncommand = /bin/sleep %(process_num)d\n"
		   "process_name = w%(process_num)d\nnumprocs = 2\nnumprocs_start = 3\n"
		   "[program:s]\ncommand = /bin/true\numask = 022\n"
		   "[group:g]\nprograms = s\n");
	struct config_errors errs = { 0 };
	struct config_file *cf;
	struct walk walk = { 0 };
	assert_int_equal(config_api_read(path, count, &walk, &cf, &errs), 0);
	assert_int_equal(walk.sections, 4);
	assert_int_equal(walk.keys, 10);
	assert_true(walk.superseded);

	struct config_api_main m;
	config_api_main(cf, &m);
	assert_string_equal(m.identifier, "sup");
	assert_int_equal(m.minfds, 20);
	assert_int_equal(m.minprocs, 200);
	assert_false(m.nodaemon);

	assert_int_equal(config_api_nprograms(cf), 2);
	struct config_api_program p;
	assert_int_equal(config_api_find_program(cf, "nope", &p), -ENOENT);
	assert_int_equal(config_api_find_program(cf, "w", &p), 0);
	assert_true(p.per_process);
	assert_int_equal(p.numprocs, 2);
	assert_int_equal(p.numprocs_start, 3);
	assert_null(p.group);
	assert_false(p.is_fcgi);
	struct config_api_process v;
	config_api_process(cf, &p, 1, &v);
	assert_string_equal(v.command, "/bin/sleep 4");
	char name[64];
	assert_int_equal(config_api_process_name(cf, &p, 4, name, sizeof name), 0);
	assert_string_equal(name, "w4");
	assert_int_equal(config_api_process_name(cf, &p, 4, name, 2), -ENAMETOOLONG);

	assert_int_equal(config_api_find_program(cf, "s", &p), 0);
	assert_false(p.per_process);
	assert_string_equal(p.group, "g");
	assert_int_equal(p.umask, 022);
	config_api_process(cf, &p, 0, &v);
	assert_string_equal(v.command, "/bin/true");
	assert_true(config_api_has_group(cf, "g"));
	assert_false(config_api_has_group(cf, "s"));
	config_api_free(cf);
	config_api_errors_free(&errs);
	unlink(path);
}

static void test_read_errors(void **state)
{
	(void)state;
	char path[] = "/tmp/corral-test-config-api-XXXXXX";
	write_conf(path, "[program:x]\nnumprocs = many\n");
	struct config_errors errs = { 0 };
	struct config_file *cf = (struct config_file *)&errs; /* set to NULL on failure */
	assert_int_equal(config_api_read(path, NULL, NULL, &cf, &errs), -EINVAL);
	assert_null(cf);
	assert_true(errs.n > 0);
	assert_non_null(strstr(errs.msgs[0], "[program:x]"));
	config_api_errors_free(&errs);
	assert_int_equal(errs.n, 0);
	unlink(path);
}

static void test_sections_and_keys(void **state)
{
	(void)state;
	assert_int_equal(config_api_section("supervisord"), CONFIG_API_SECTION_SUPERVISORD);
	assert_int_equal(config_api_section("corral"), CONFIG_API_SECTION_CORRAL);
	assert_int_equal(config_api_section("program:x"), CONFIG_API_SECTION_CORRAL);
	assert_int_equal(config_api_section("unix_http_server"), CONFIG_API_SECTION_HTTP);
	assert_int_equal(config_api_section("inet_http_server"), CONFIG_API_SECTION_HTTP);
	assert_int_equal(config_api_section("supervisorctl"), CONFIG_API_SECTION_SUPERVISORCTL);
	assert_int_equal(config_api_section("rpcinterface:x"), CONFIG_API_SECTION_RPCINTERFACE);
	assert_int_equal(config_api_section("ctlplugin:x"), CONFIG_API_SECTION_CTLPLUGIN);
	assert_int_equal(config_api_section("eventlistener:x"), CONFIG_API_SECTION_EVENTLISTENER);
	assert_int_equal(config_api_section("fcgi-program:x"), CONFIG_API_SECTION_FCGI);
	assert_true(*config_api_section_note(CONFIG_API_SECTION_CTLPLUGIN) != '\0');
	assert_string_equal(config_api_section_note(CONFIG_API_SECTION_CORRAL), "");

	/* each key as its row says */
	struct config_api_key k;
	assert_int_equal(config_api_key("program:x", "command", &k), 0);
	assert_int_equal(k.migrate, CONFIG_API_PER_PROCESS);
	assert_string_equal(k.name, "command");
	assert_null(k.note);
	assert_int_equal(config_api_key("program:x", "no_such_key", &k), -ENOENT);
	assert_int_equal(config_api_key("program:x", "numprocs", &k), 0);
	assert_int_equal(k.migrate, CONFIG_API_SPLIT);
	assert_int_equal(config_api_key("program:x", "user", &k), 0); /* the sandbox's */
	assert_int_equal(k.migrate, CONFIG_API_AS_WRITTEN);
	assert_string_equal(k.name, "user");
	assert_int_equal(config_api_key("program:x", "serverurl", &k), 0);
	assert_int_equal(k.migrate, CONFIG_API_IGNORED);
	assert_non_null(k.note);
	/* a key of one program kind only */
	assert_int_equal(config_api_key("program:x", "socket", &k), -ENOENT);
	assert_int_equal(config_api_key("fcgi-program:x", "socket", &k), 0);
	assert_int_equal(k.migrate, CONFIG_API_RESOLVED);
	assert_int_equal(config_api_key("supervisord", "childlogdir", &k), 0);
	assert_int_equal(k.migrate, CONFIG_API_RESOLVED);
	assert_string_equal(k.name, "logdir");
	assert_int_equal(config_api_key("supervisord", "umask", &k), 0);
	assert_int_equal(k.migrate, CONFIG_API_TO_PROGRAMS);
	assert_int_equal(config_api_key("supervisord", "logfile", &k), 0);
	assert_int_equal(k.migrate, CONFIG_API_RESOLVED); /* corrald keeps its own log there */
	assert_int_equal(config_api_key("supervisord", "user", &k), 0);
	assert_int_equal(k.migrate, CONFIG_API_IGNORED);
	assert_int_equal(config_api_key("supervisord", "no_such_key", &k), -ENOENT);
	assert_int_equal(config_api_key("rpcinterface:x", "anything", &k), -ENOENT);
}

/* The values corrald resolved, by key: [corral]'s and a program's. */
static void test_key_values(void **state)
{
	(void)state;
	char path[] = "/tmp/corral-test-config-api-XXXXXX", value[256];
	write_conf(path, "[supervisord]\nchildlogdir = %(here)s/logs\n"
		   "[fcgi-program:f]\ncommand = /bin/true\nsocket = unix:///tmp/%(program_name)s.sock\n"
		   "[program:p]\ncommand = /bin/true\n");
	struct config_errors errs = { 0 };
	struct config_file *cf;
	assert_int_equal(config_api_read(path, NULL, NULL, &cf, &errs), 0);
	assert_int_equal(config_api_key_value(cf, "supervisord", "childlogdir", NULL, value,
					      sizeof value), 0);
	assert_string_equal(value, "/tmp/logs");
	assert_int_equal(config_api_key_value(cf, "supervisord", "childlogdir", NULL, value, 4),
			 -ENAMETOOLONG);
	struct config_api_program p;
	assert_int_equal(config_api_find_program(cf, "f", &p), 0);
	assert_int_equal(config_api_key_value(cf, "fcgi-program:f", "socket", &p, value,
					      sizeof value), 0);
	assert_string_equal(value, "unix:///tmp/f.sock");
	assert_int_equal(config_api_key_value(cf, "fcgi-program:f", "nope", &p, value,
					      sizeof value), -ENOENT);
	config_api_free(cf);
	config_api_errors_free(&errs);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_socket),
		cmocka_unit_test(test_read),
		cmocka_unit_test(test_read_errors),
		cmocka_unit_test(test_sections_and_keys),
		cmocka_unit_test(test_key_values),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
