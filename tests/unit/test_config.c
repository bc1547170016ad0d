/* Unit tests for supervisor/config.c */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "supervisor/config.h"
#include "supervisor/eventproto.h"
#include "supervisor/log.h"
#include "supervisor/sockets.h"
#include "supervisor/supervisord.h"

/* Each test loads into cfg and errs (config_load.h); the teardown frees them. */
#include "tests/unit/config_load.h"

static char tmpdir[64];

/* Load the file PATH; it must fail with exactly the listed messages. */
static void expect_file_errors(const char *path, ...)
{
	config_free(&cfg);
	config_errors_free(&errs);
	int rc = config_load(path, &cfg, &errs);
	assert_int_equal(rc, -EINVAL);
	assert_zeroed(&cfg);
	va_list ap;
	va_start(ap, path);
	check_messages(ap);
	va_end(ap);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int setup_tmp(void **state)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/corral-test-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_tmp(void **state)
{
	teardown(state);
	return nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Write TEXT to tmpdir/NAME; returns the full path in a static buffer. */
static const char *write_file(const char *name, const char *text)
{
	static char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/%s", tmpdir, name);
	char *slash = strrchr(path, '/');
	*slash = '\0';
	mkdir(path, 0700); /* a subdirectory, when NAME has one */
	*slash = '/';
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	return path;
}

static char *repeat(char c, size_t n)
{
	char *s = malloc(n + 1);
	assert_non_null(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	va_start(ap, fmt);
	assert_true(vasprintf(&s, fmt, ap) >= 0);
	va_end(ap);
	return s;
}

static char *cwd(void)
{
	char *d = getcwd(NULL, 0);
	assert_non_null(d);
	return d;
}

/* ---- values and defaults ---------------------------------------------- */

static void test_defaults(void **state)
{
	load_ok("[program:web]\ncommand=/bin/true\n");
	assert_string_equal(cfg.path, "t.conf");
	assert_string_equal(cfg.socket, CONFIG_DEFAULT_SOCKET);
	assert_string_equal(cfg.logdir, CONFIG_DEFAULT_LOGDIR);
	assert_int_equal(cfg.socket_mode, 0600);
	assert_null(cfg.pidfile);
	assert_int_equal(cfg.nprograms, 1);

	struct program_config *p = &cfg.programs[0];
	assert_string_equal(p->name, "web");
	assert_string_equal(p->file, "t.conf");
	assert_int_equal(p->line, 1);
	assert_string_equal(p->command, "/bin/true");
	assert_string_equal(p->argv[0], "/bin/true");
	assert_null(p->argv[1]);
	assert_int_equal(p->numprocs, 1);
	assert_int_equal(p->numprocs_start, 0);
	assert_string_equal(p->process_name, "%(program_name)s");
	assert_true(p->autostart);
	assert_int_equal(p->autorestart, AUTORESTART_UNEXPECTED);
	assert_int_equal(p->startsecs, 1);
	assert_int_equal(p->startretries, 3);
	assert_true(program_config_expected_exit(p, 0));
	for (int c = 1; c < 256; c++)
		assert_false(program_config_expected_exit(p, c));
	assert_false(program_config_expected_exit(p, -1));
	assert_false(program_config_expected_exit(p, 256));
	assert_int_equal(p->stopsignal, SIGTERM);
	assert_int_equal(p->stopwaitsecs, 10);
	assert_null(p->directory);
	assert_non_null(p->environment);
	assert_null(p->environment[0]);
	assert_int_equal(p->umask, -1);
	assert_int_equal(p->priority, 999);
	assert_false(p->redirect_stderr);
	assert_null(p->stdout_logfile);
	assert_null(p->stderr_logfile);

	char name[32];
	assert_int_equal(program_config_process_name(p, 0, name, sizeof name), 0);
	assert_string_equal(name, "web");
}

static void test_empty_config(void **state)
{
	load_ok("");
	assert_int_equal(cfg.nprograms, 0);
	assert_null(cfg.programs);
	load_ok("; nothing\n# at all\n\n[corral]\n");
	assert_int_equal(cfg.nprograms, 0);
}

static void test_corral_keys(void **state)
{
	char *here = cwd();
	load_ok("[corral]\n"
		"socket = %(here)s/run/c.sock\n"
		"socket_mode = 0660\n"
		"logdir = /var/log/x\n"
		"pidfile = /run/c.pid\n");
	char *sock = xasprintf("%s/run/c.sock", here);
	assert_string_equal(cfg.socket, sock);
	assert_int_equal(cfg.socket_mode, 0660);
	assert_string_equal(cfg.logdir, "/var/log/x");
	assert_string_equal(cfg.pidfile, "/run/c.pid");
	free(sock);
	free(here);

	load_ok("[corral]\nsocket_mode=0\n");
	assert_int_equal(cfg.socket_mode, 0);
	load_ok("[corral]\nsocket_mode=777\n");
	assert_int_equal(cfg.socket_mode, 0777);
}

static void test_program_all_keys(void **state)
{
	struct program_config *p = load_prog(
		"[program:app]\n"
		"command = /usr/bin/app --port 8080 \"a b\"\n"
		"numprocs = 3\n"
		"numprocs_start = 5\n"
		"process_name = %(program_name)s-%(process_num)d\n"
		"autostart = false\n"
		"autorestart = true\n"
		"startsecs = 0\n"
		"startretries = 7\n"
		"exitcodes = 0, 2,255\n"
		"stopsignal = INT\n"
		"stopwaitsecs = 30\n"
		"directory = /srv/app\n"
		"environment = A=1,B=\"two\"\n"
		"umask = 022\n"
		"priority = -5\n"
		"redirect_stderr = true\n"
		"stdout_logfile = /var/log/app.out\n"
		"stderr_logfile = /var/log/app.err\n");
	assert_string_equal(p->name, "app");
	assert_string_equal(p->command, "/usr/bin/app --port 8080 \"a b\"");
	assert_string_equal(p->argv[0], "/usr/bin/app");
	assert_string_equal(p->argv[1], "--port");
	assert_string_equal(p->argv[2], "8080");
	assert_string_equal(p->argv[3], "a b");
	assert_null(p->argv[4]);
	assert_int_equal(p->numprocs, 3);
	assert_int_equal(p->numprocs_start, 5);
	assert_string_equal(p->process_name, "%(program_name)s-%(process_num)d");
	assert_false(p->autostart);
	assert_int_equal(p->autorestart, AUTORESTART_TRUE);
	assert_int_equal(p->startsecs, 0);
	assert_int_equal(p->startretries, 7);
	assert_true(program_config_expected_exit(p, 0));
	assert_false(program_config_expected_exit(p, 1));
	assert_true(program_config_expected_exit(p, 2));
	assert_true(program_config_expected_exit(p, 255));
	assert_int_equal(p->stopsignal, SIGINT);
	assert_int_equal(p->stopwaitsecs, 30);
	assert_string_equal(p->directory, "/srv/app");
	assert_string_equal(p->environment[0], "A=1");
	assert_string_equal(p->environment[1], "B=two");
	assert_null(p->environment[2]);
	assert_int_equal(p->umask, 022);
	assert_int_equal(p->priority, -5);
	assert_true(p->redirect_stderr);
	assert_string_equal(p->stdout_logfile, "/var/log/app.out");
	assert_string_equal(p->stderr_logfile, "/var/log/app.err");

	char name[32];
	assert_int_equal(program_config_process_name(p, 5, name, sizeof name), 0);
	assert_string_equal(name, "app-5");
	assert_int_equal(program_config_process_name(p, 7, name, sizeof name), 0);
	assert_string_equal(name, "app-7");
}

static void test_colon_separator(void **state)
{
	struct program_config *p = load_prog("[program:a]\ncommand: /bin/echo a:b\npriority : 3\n");
	assert_string_equal(p->command, "/bin/echo a:b");
	assert_int_equal(p->priority, 3);
}

static void test_booleans(void **state)
{
	static const char *const yes[] = { "true", "TRUE", "True", "yes", "YES", "on", "On", "1" };
	static const char *const no[] = { "false", "FALSE", "no", "No", "off", "OFF", "0" };
	for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) {
		char *t = xasprintf("[program:a]\ncommand=x\nautostart=%s\nredirect_stderr=%s\n",
				    yes[i], yes[i]);
		struct program_config *p = load_prog(t);
		assert_true(p->autostart);
		assert_true(p->redirect_stderr);
		free(t);
	}
	for (size_t i = 0; i < sizeof no / sizeof *no; i++) {
		char *t = xasprintf("[program:a]\ncommand=x\nautostart=%s\nredirect_stderr=%s\n",
				    no[i], no[i]);
		struct program_config *p = load_prog(t);
		assert_false(p->autostart);
		assert_false(p->redirect_stderr);
		free(t);
	}
	expect_errors("[program:a]\ncommand=x\nautostart=maybe\nredirect_stderr=\n",
		      "t.conf:3: [program:a]: bad value for autostart: 'maybe' (expected true or false)",
		      "t.conf:4: [program:a]: bad value for redirect_stderr: '' (expected true or false)",
		      NULL);
	expect_errors("[program:a]\ncommand=x\nautostart=2\n",
		      "t.conf:3: [program:a]: bad value for autostart: '2' (expected true or false)",
		      NULL);
}

static void test_scope_keys(void **state)
{
	struct program_config *p = load_prog("[program:a]\ncommand=x\n");
	assert_int_equal(p->killmode, KILLMODE_GROUP);
	assert_false(p->stopasgroup);
	assert_true(p->killasgroup);
	assert_int_equal(cfg.scopes, SCOPES_AUTO);

	p = load_prog("[program:a]\ncommand=x\nkillmode=process\nstopasgroup=true\n"
		      "killasgroup=false\n");
	assert_int_equal(p->killmode, KILLMODE_PROCESS);
	assert_true(p->stopasgroup);
	assert_false(p->killasgroup);
	assert_int_equal(load_prog("[program:a]\ncommand=x\nkillmode=GROUP\n")->killmode,
			 KILLMODE_GROUP);

	load_ok("[corral]\nscopes=cgroup\n");
	assert_int_equal(cfg.scopes, SCOPES_CGROUP);
	load_ok("[corral]\nscopes=process-group\n");
	assert_int_equal(cfg.scopes, SCOPES_PROCESS_GROUP);
	load_ok("[corral]\nscopes=auto\n");
	assert_int_equal(cfg.scopes, SCOPES_AUTO);
	load_ok("[corral]\nscopes=cgroup2\n");
	assert_int_equal(cfg.scopes, SCOPES_CGROUP2);
	load_ok("[corral]\nscopes=CGROUP1\n");
	assert_int_equal(cfg.scopes, SCOPES_CGROUP1);

	expect_errors("[corral]\nscopes=jail\n[program:a]\ncommand=x\nkillmode=all\n"
		      "stopasgroup=maybe\n",
		      "t.conf:2: [corral]: bad value for scopes: 'jail' "
		      "(expected auto, cgroup, process-group, cgroup2 or cgroup1)",
		      "t.conf:5: [program:a]: bad value for killmode: 'all' (expected group or process)",
		      "t.conf:6: [program:a]: bad value for stopasgroup: 'maybe' (expected true or false)",
		      NULL);

	/* A reload restarts a program whose scope settings changed. */
	struct corral_config a, b;
	struct config_errors e = { 0 };
	assert_int_equal(config_load_string("a.conf", "[program:a]\ncommand=x\n", &a, &e), 0);
	assert_int_equal(config_load_string("b.conf", "[program:a]\ncommand=x\nkillmode=process\n",
					    &b, &e), 0);
	assert_false(program_config_equal(&a.programs[0], &b.programs[0]));
	config_free(&a);
	config_free(&b);
	config_errors_free(&e);
}

/* healthcheck and its keys: defaults, values, and bad ones with file:line. */
static void test_health_keys(void **state)
{
	(void)state;
	struct program_config *p = load_prog("[program:a]\ncommand=x\n");
	assert_null(p->healthcheck);
	assert_int_equal(p->health_interval, 30);
	assert_int_equal(p->health_timeout, 10);
	assert_int_equal(p->health_retries, 3);
	assert_int_equal(p->health_start_period, 0);
	assert_int_equal(p->on_unhealthy, ON_UNHEALTHY_RESTART);
	p = load_prog("[program:a]\ncommand=x\nhealthcheck = http://127.0.0.1:8080/health\n"
		      "health_interval=2\nhealth_timeout=1\nhealth_retries=5\n"
		      "health_start_period=20\non_unhealthy=stop\nready=health\n");
	assert_string_equal(p->healthcheck, "http://127.0.0.1:8080/health");
	assert_int_equal(p->health_interval, 2);
	assert_int_equal(p->health_timeout, 1);
	assert_int_equal(p->health_retries, 5);
	assert_int_equal(p->health_start_period, 20);
	assert_int_equal(p->on_unhealthy, ON_UNHEALTHY_STOP);
	assert_int_equal(p->ready, READY_HEALTH);
	assert_int_equal(load_prog("[program:a]\ncommand=x\non_unhealthy=none\n")->on_unhealthy,
			 ON_UNHEALTHY_NONE);
	expect_errors("[program:a]\ncommand=x\nhealthcheck=http://localhost:80/\n"
		      "[program:b]\ncommand=x\nhealthcheck=tcp:127.0.0.1\nhealth_interval=0\n"
		      "on_unhealthy=reboot\n",
		      "t.conf:3: [program:a]: healthcheck: 'localhost' is not a numeric IPv4 or "
		      "[IPv6] address (names are not resolved)",
		      "t.conf:6: [program:b]: healthcheck: a port is needed: HOST:PORT",
		      "t.conf:7: [program:b]: bad value for health_interval: '0' "
		      "(expected an integer from 1 to 1000000)",
		      "t.conf:8: [program:b]: bad value for on_unhealthy: 'reboot' "
		      "(expected restart, stop or none)",
		      NULL);
}

static void test_readiness_and_dependency_keys(void **state)
{
	struct program_config *p = load_prog("[program:a]\ncommand=x\n");
	assert_int_equal(p->ready, READY_STARTSECS);
	assert_int_equal(p->start_timeout, 90);
	assert_int_equal(p->watchdog_sec, 0);
	assert_null(p->requires);
	p = load_prog("[program:a]\ncommand=x\nready=fd:7\nstart_timeout=5\nwatchdog_sec=3\n");
	assert_int_equal(p->ready, READY_FD);
	assert_int_equal(p->ready_fd, 7);
	assert_int_equal(p->start_timeout, 5);
	assert_int_equal(p->watchdog_sec, 3);
	assert_int_equal(load_prog("[program:a]\ncommand=x\nready=notify\n")->ready, READY_NOTIFY);
	assert_int_equal(load_prog("[program:a]\ncommand=x\nready=none\n")->ready, READY_NONE);
	assert_int_equal(load_prog("[program:a]\ncommand=x\nready=health\n")->ready, READY_HEALTH);
	load_ok("[program:a]\ncommand=x\nrequires = b, c\nafter=c\n[program:b]\ncommand=x\n"
		"[program:c]\ncommand=x\nafter=b\n");
	p = &cfg.programs[0];
	assert_string_equal(p->name, "a");
	assert_string_equal(p->requires[0], "b");
	assert_string_equal(p->requires[1], "c");
	assert_null(p->requires[2]);
	assert_string_equal(p->after[0], "c");
	expect_errors("[program:a]\ncommand=x\nready=fd:2\n[program:b]\ncommand=x\nready=maybe\n",
		      "t.conf:3: [program:a]: bad value for ready: 'fd:2' "
		      "(expected none, startsecs, notify, fd:N (N from 3 to 1023), health, log:REGEX or health+log:REGEX)",
		      "t.conf:6: [program:b]: bad value for ready: 'maybe' "
		      "(expected none, startsecs, notify, fd:N (N from 3 to 1023), health, log:REGEX or health+log:REGEX)",
		      NULL);
	expect_errors("[program:a]\ncommand=x\nrequires=b\n[program:b]\ncommand=x\n"
		      "after=a\n[program:c]\ncommand=x\nafter=zz\n",
		      "t.conf:4: [program:b]: dependency cycle: a -> b -> a",
		      "t.conf:7: [program:c]: after: unknown program 'zz'",
		      NULL);
}

/* ready = log:REGEX and watch = (readylog.c, watch.c): read, and refused
 * with file:line. */
static void test_readylog_and_watch_keys(void **state)
{
	struct program_config *p = load_prog("[program:a]\ncommand=x\nready=log:^listening on [0-9]+$\n"
					     "watch = /srv/app /etc/a.conf\nwatch_exclude=*.swp .git\n"
					     "watch_debounce=100\nwatch_cascade=true\n");
	assert_int_equal(p->ready, READY_LOG);
	assert_string_equal(p->ready_log, "^listening on [0-9]+$");
	assert_string_equal(p->watch[0], "/srv/app");
	assert_string_equal(p->watch[1], "/etc/a.conf");
	assert_null(p->watch[2]);
	assert_string_equal(p->watch_exclude[1], ".git");
	assert_int_equal(p->watch_debounce, 100);
	assert_true(p->watch_cascade);
	p = load_prog("[program:a]\ncommand=x\n");
	assert_int_equal(p->watch_debounce, 500);
	assert_null(p->watch);
	assert_false(p->watch_cascade);
	expect_errors("[program:a]\ncommand=x\nready=log:(unclosed\n[program:b]\ncommand=x\n"
		      "watch=/ok relative/path\n[program:c]\ncommand=x\nready=log:\n",
		      "t.conf:3: [program:a]: ready = log: invalid regular expression "
		      "\"(unclosed\": Unmatched ( or \\(",
		      "t.conf:6: [program:b]: watch: \"relative/path\" is not an absolute path",
		      "t.conf:9: [program:c]: ready = log: needs a regular expression (log:REGEX)",
		      NULL);
	p = load_prog("[program:a]\ncommand=x\nready=health+log:^up$\n"
		      "healthcheck=tcp:127.0.0.1:80\n");
	assert_int_equal(p->ready, READY_LOG);
	assert_true(p->ready_health);
	assert_string_equal(p->ready_log, "^up$");
	expect_errors("[program:a]\ncommand=x\nready=health+log:up\n",
		      "t.conf:1: [program:a]: ready = health+log: needs a healthcheck", NULL);
}

static void test_main_key(void **state)
{
	assert_false(load_prog("[program:a]\ncommand=x\n")->main);
	assert_true(load_prog("[program:a]\ncommand=x\nmain=true\n")->main);
	expect_errors("[program:a]\ncommand=x\nmain=true\n[program:b]\ncommand=y\nmain=yes\n"
		      "[program:c]\ncommand=z\nmain=true\nnumprocs=2\nprocess_name=c%(process_num)d\n",
		      "t.conf:4: [program:b]: main = true is already set in [program:a] at t.conf:1",
		      "t.conf:7: [program:c]: main = true needs numprocs = 1",
		      "t.conf:7: [program:c]: main = true is already set in [program:a] at t.conf:1",
		      "t.conf:7: [program:c]: main = true is already set in [program:b] at t.conf:4",
		      NULL);
}

static void test_groups(void **state)
{
	load_ok("[program:a]\ncommand=x\n[program:b]\ncommand=y\nnumprocs=2\n"
		"process_name=b%(process_num)d\n[program:c]\ncommand=z\npriority=5\n"
		"[group:g]\nprograms = b, a\nstrategy=one_for_all\nrestart_intensity=3\n"
		"restart_period=10\npriority=7\n");
	assert_int_equal(cfg.ngroups, 1);
	struct group_config *g = &cfg.groups[0];
	assert_string_equal(g->name, "g");
	assert_int_equal(g->line, 10);
	assert_string_equal(g->programs[0], "b");
	assert_string_equal(g->programs[1], "a");
	assert_null(g->programs[2]);
	assert_int_equal(g->strategy, STRATEGY_ONE_FOR_ALL);
	assert_int_equal(g->restart_intensity, 3);
	assert_int_equal(g->restart_period, 10);
	/* Members take the group's name and priority; others keep theirs. Each
	 * keeps its own as its process priority (supervisord's process_prio). */
	for (size_t i = 0; i < cfg.nprograms; i++) {
		struct program_config *p = &cfg.programs[i];
		if (strcmp(p->name, "c") == 0) {
			assert_null(p->group);
			assert_int_equal(p->priority, 5);
			assert_int_equal(p->process_priority, 5);
		} else {
			assert_string_equal(p->group, "g");
			assert_int_equal(p->priority, 7);
			assert_int_equal(p->process_priority, 999);
		}
	}

	/* Defaults, and space-separated lists. */
	load_ok("[program:a]\ncommand=x\n[program:b]\ncommand=y\n[group:h]\nprograms=a b\n");
	assert_int_equal(cfg.groups[0].strategy, STRATEGY_ONE_FOR_ONE);
	assert_int_equal(cfg.groups[0].restart_intensity, 0);
	assert_int_equal(cfg.groups[0].restart_period, 60);
	assert_false(cfg.groups[0].has_priority);
	load_ok("[program:a]\ncommand=x\n[group:h]\nprograms=a\nstrategy=rest_for_one\n");
	assert_int_equal(cfg.groups[0].strategy, STRATEGY_REST_FOR_ONE);

	expect_errors("[program:a]\ncommand=x\n[group:g]\nprograms=a,nope\nstrategy=all_for_one\n"
		      "[group:h]\nprograms=a\n[group:i]\nstrategy=one_for_one\n"
		      "[program:g2]\ncommand=x\n[group:g2]\nprograms=a\n[group:bad name]\nprograms=a\n",
		      "t.conf:3: [group:g]: unknown program 'nope' in programs",
		      "t.conf:5: [group:g]: bad value for strategy: 'all_for_one' "
		      "(expected one_for_one, one_for_all or rest_for_one)",
		      "t.conf:6: [group:h]: program 'a' is already in [group:g]",
		      "t.conf:8: [group:i]: missing programs",
		      "t.conf:12: [group:g2]: program 'a' is already in [group:g]",
		      "t.conf:12: [group:g2]: group name 'g2' is also the name of [program:g2] at "
		      "t.conf:10, which is not in it",
		      "t.conf:14: [group:bad name]: bad group name 'bad name' (it must be non-empty, "
		      "without whitespace, ':', '/' or '*')",
		      NULL);

	/* A program that joins a group is a change for reload. */
	struct corral_config a, b;
	struct config_errors e = { 0 };
	assert_int_equal(config_load_string("a.conf", "[program:a]\ncommand=x\n", &a, &e), 0);
	assert_int_equal(config_load_string("b.conf", "[program:a]\ncommand=x\n[group:g]\nprograms=a\n",
					    &b, &e), 0);
	assert_false(program_config_equal(&a.programs[0], &b.programs[0]));
	config_free(&a);
	config_free(&b);
	config_errors_free(&e);
}

static void test_autorestart(void **state)
{
	assert_int_equal(load_prog("[program:a]\ncommand=x\nautorestart=unexpected\n")->autorestart,
			 AUTORESTART_UNEXPECTED);
	assert_int_equal(load_prog("[program:a]\ncommand=x\nautorestart=UNEXPECTED\n")->autorestart,
			 AUTORESTART_UNEXPECTED);
	assert_int_equal(load_prog("[program:a]\ncommand=x\nautorestart=true\n")->autorestart,
			 AUTORESTART_TRUE);
	assert_int_equal(load_prog("[program:a]\ncommand=x\nautorestart=yes\n")->autorestart,
			 AUTORESTART_TRUE);
	assert_int_equal(load_prog("[program:a]\ncommand=x\nautorestart=false\n")->autorestart,
			 AUTORESTART_FALSE);
	assert_int_equal(load_prog("[program:a]\ncommand=x\nautorestart=off\n")->autorestart,
			 AUTORESTART_FALSE);
	expect_errors("[program:a]\ncommand=x\nautorestart=sometimes\n",
		      "t.conf:3: [program:a]: bad value for autorestart: 'sometimes' "
		      "(expected true, false or unexpected)",
		      NULL);
}

static void test_exitcodes(void **state)
{
	struct program_config *p = load_prog("[program:a]\ncommand=x\nexitcodes=1\n");
	assert_false(program_config_expected_exit(p, 0));
	assert_true(program_config_expected_exit(p, 1));
	p = load_prog("[program:a]\ncommand=x\nexitcodes= 3 ,  4,5 \n");
	for (int c = 0; c < 256; c++)
		assert_int_equal(program_config_expected_exit(p, c), c >= 3 && c <= 5);
	p = load_prog("[program:a]\ncommand=x\nexitcodes=0,0,255\n");
	assert_true(program_config_expected_exit(p, 255));

	static const char *const bad[] = { "256", "-1", "", "1,,2", "1,", ",1", "a", "1 2", "0x1",
					   "99999999999" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		char *t = xasprintf("[program:a]\ncommand=x\nexitcodes=%s\n", bad[i]);
		char *m = xasprintf("t.conf:3: [program:a]: bad value for exitcodes: '%s' "
				    "(expected a comma-separated list of integers from 0 to 255)",
				    bad[i]);
		expect_errors(t, m, NULL);
		free(t);
		free(m);
	}
}

static void test_stopsignal(void **state)
{
	static const struct {
		const char *name;
		int sig;
	} ok[] = {
		{ "TERM", SIGTERM }, { "SIGTERM", SIGTERM }, { "term", SIGTERM }, { "sigterm", SIGTERM },
		{ "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT }, { "KILL", SIGKILL },
		{ "USR1", SIGUSR1 }, { "USR2", SIGUSR2 }, { "WINCH", SIGWINCH }, { "CONT", SIGCONT },
		{ "9", SIGKILL }, { "15", SIGTERM }, { "IOT", SIGABRT }, { "RTMIN", 0 },
	};
	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
		char *t = xasprintf("[program:a]\ncommand=x\nstopsignal=%s\n", ok[i].name);
		int want = ok[i].sig ? ok[i].sig : SIGRTMIN;
		assert_int_equal(load_prog(t)->stopsignal, want);
		free(t);
	}
	static const char *const bad[] = { "FOO", "SIG", "", "0", "-1", "65", "1000", "TERM2",
					   "SIGSIGTERM", "RTMIN+99", "RTMAX+1" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		char *t = xasprintf("[program:a]\ncommand=x\nstopsignal=%s\n", bad[i]);
		char *m = xasprintf("t.conf:3: [program:a]: bad value for stopsignal: '%s' "
				    "(expected a signal name or number)",
				    bad[i]);
		expect_errors(t, m, NULL);
		free(t);
		free(m);
	}
}

static void test_octal(void **state)
{
	assert_int_equal(load_prog("[program:a]\ncommand=x\numask=0\n")->umask, 0);
	assert_int_equal(load_prog("[program:a]\ncommand=x\numask=077\n")->umask, 077);
	assert_int_equal(load_prog("[program:a]\ncommand=x\numask=0777\n")->umask, 0777);
	assert_int_equal(load_prog("[program:a]\ncommand=x\numask=002\n")->umask, 02);
	static const char *const bad[] = { "8", "0o22", "1000", "-1", "", "22a", "0x12" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		char *t = xasprintf("[program:a]\ncommand=x\numask=%s\n[corral]\nsocket_mode=%s\n",
				    bad[i], bad[i]);
		char *m1 = xasprintf("t.conf:3: [program:a]: bad value for umask: '%s' "
				     "(expected an octal mask from 0 to 0777)",
				     bad[i]);
		char *m2 = xasprintf("t.conf:5: [corral]: bad value for socket_mode: '%s' "
				     "(expected an octal mode from 0 to 0777)",
				     bad[i]);
		expect_errors(t, m1, m2, NULL);
		free(t);
		free(m1);
		free(m2);
	}
}

static void test_numbers(void **state)
{
	struct program_config *p = load_prog("[program:a]\ncommand=x\nstartsecs=+5\n"
					     "priority=-2147483648\nstopwaitsecs=0\n"
					     "startretries=0\nnumprocs_start=1000000\n");
	assert_int_equal(p->startsecs, 5);
	assert_int_equal(p->priority, INT_MIN);
	assert_int_equal(p->stopwaitsecs, 0);
	assert_int_equal(p->startretries, 0);
	assert_int_equal(p->numprocs_start, 1000000);
	assert_int_equal(load_prog("[program:a]\ncommand=x\npriority=2147483647\n")->priority,
			 INT_MAX);

	expect_errors("[program:a]\n"
		      "command=x\n"
		      "numprocs=0\n"
		      "numprocs_start=-1\n"
		      "startsecs=abc\n"
		      "startretries=1.5\n"
		      "stopwaitsecs=-3\n"
		      "priority=2147483648\n",
		      "t.conf:3: [program:a]: bad value for numprocs: '0' "
		      "(expected an integer from 1 to 1000)",
		      "t.conf:4: [program:a]: bad value for numprocs_start: '-1' "
		      "(expected an integer from 0 to 1000000)",
		      "t.conf:5: [program:a]: bad value for startsecs: 'abc' "
		      "(expected an integer from 0 to 1000000)",
		      "t.conf:6: [program:a]: bad value for startretries: '1.5' "
		      "(expected an integer from 0 to 1000000)",
		      "t.conf:7: [program:a]: bad value for stopwaitsecs: '-3' "
		      "(expected an integer from 0 to 1000000)",
		      "t.conf:8: [program:a]: bad value for priority: '2147483648' (expected an integer)",
		      NULL);
	expect_errors("[program:a]\ncommand=x\nnumprocs=1001\npriority=\nstartsecs= 1 2\n",
		      "t.conf:3: [program:a]: bad value for numprocs: '1001' "
		      "(expected an integer from 1 to 1000)",
		      "t.conf:4: [program:a]: bad value for priority: '' (expected an integer)",
		      "t.conf:5: [program:a]: bad value for startsecs: '1 2' "
		      "(expected an integer from 0 to 1000000)",
		      NULL);
	expect_errors("[program:a]\ncommand=x\npriority=99999999999999999999999\n",
		      "t.conf:3: [program:a]: bad value for priority: '99999999999999999999999' "
		      "(expected an integer)",
		      NULL);
}

static void test_long_value_in_message(void **state)
{
	char *v = repeat('9', 100);
	char *t = xasprintf("[program:a]\ncommand=x\nstartsecs=%s\n", v);
	expect_errors(t, "t.conf:3: [program:a]: bad value for startsecs: "
			 "'999999999999999999999999999999999999999999999999999999999...' "
			 "(expected an integer from 0 to 1000000)",
		      NULL);
	free(t);
	free(v);
}

/* ---- environment ------------------------------------------------------ */

static void check_env(const char *value, ...)
{
	char *t = xasprintf("[program:a]\ncommand=x\nenvironment=%s\n", value);
	struct program_config *p = load_prog(t);
	free(t);
	va_list ap;
	va_start(ap, value);
	size_t i = 0;
	for (const char *want; (want = va_arg(ap, const char *)); i++) {
		if (!p->environment[i])
			fail_msg("environment=%s: entry %zu missing (%s)", value, i, want);
		assert_string_equal(p->environment[i], want);
	}
	va_end(ap);
	if (p->environment[i])
		fail_msg("environment=%s: extra entry %s", value, p->environment[i]);
}

static void test_environment(void **state)
{
	check_env("A=1", "A=1", NULL);
	check_env("KEY=\"value\",KEY2=value2", "KEY=value", "KEY2=value2", NULL);
	check_env("A=\"x, y\",B='p,q'", "A=x, y", "B=p,q", NULL);
	check_env("A = hello world , B=2", "A=hello world", "B=2", NULL);
	check_env("A=\"  padded  \"", "A=  padded  ", NULL);
	check_env("A=\"say \\\"hi\\\" \\\\ \\n\"", "A=say \"hi\" \\ \\n", NULL);
	check_env("A='it''s'", "A=its", NULL);
	check_env("A=\"it's\"", "A=it's", NULL);
	check_env("A='say \"x\"'", "A=say \"x\"", NULL);
	check_env("A=x\"y z\"w", "A=xy zw", NULL);
	check_env("A=,B=", "A=", "B=", NULL);
	check_env("A=\"\"", "A=", NULL);
	check_env("A=1,", "A=1", NULL);
	check_env("A=1,,B=2", "A=1", "B=2", NULL);
	check_env("PATH=/usr/bin:/bin,HOME=/root", "PATH=/usr/bin:/bin", "HOME=/root", NULL);
	check_env("A=x=y", "A=x=y", NULL);
	check_env("A=%(here)s", "A=%(here)s", NULL); /* no expansion here */
	check_env("A=a;b", "A=a;b", NULL);
	check_env("", NULL);

	/* continuation lines, as supervisord users write long lists */
	struct program_config *p = load_prog("[program:a]\ncommand=x\n"
					     "environment=A=1,\n"
					     "    B=\"two words\",\n"
					     "    C=3\n");
	assert_string_equal(p->environment[0], "A=1");
	assert_string_equal(p->environment[1], "B=two words");
	assert_string_equal(p->environment[2], "C=3");
	assert_null(p->environment[3]);
}

static void test_environment_errors(void **state)
{
	expect_errors("[program:a]\ncommand=x\nenvironment=A=\"x,y\n",
		      "t.conf:3: [program:a]: environment: unterminated double quote", NULL);
	expect_errors("[program:a]\ncommand=x\nenvironment=A='x,y\n",
		      "t.conf:3: [program:a]: environment: unterminated single quote", NULL);
	expect_errors("[program:a]\ncommand=x\nenvironment=A\n",
		      "t.conf:3: [program:a]: environment: expected '=' after 'A'", NULL);
	expect_errors("[program:a]\ncommand=x\nenvironment=A B=1\n",
		      "t.conf:3: [program:a]: environment: expected '=' after 'A'", NULL);
	expect_errors("[program:a]\ncommand=x\nenvironment==1\n",
		      "t.conf:3: [program:a]: environment: expected KEY=value at '=1'", NULL);
	expect_errors("[program:a]\ncommand=x\nenvironment=A=1,A=2\n",
		      "t.conf:3: [program:a]: environment: duplicate key 'A'", NULL);
	expect_errors("[program:a]\ncommand=x\nenvironment=\"A\"=1\n",
		      "t.conf:3: [program:a]: environment: expected KEY=value at '\"A\"=1'", NULL);
}

/* ---- expansions ------------------------------------------------------- */

static void check_names(struct program_config *p, ...)
{
	va_list ap;
	va_start(ap, p);
	for (int i = 0; i < p->numprocs; i++) {
		const char *want = va_arg(ap, const char *);
		assert_non_null(want);
		char name[64];
		assert_int_equal(program_config_process_name(p, p->numprocs_start + i, name,
							     sizeof name), 0);
		assert_string_equal(name, want);
	}
	assert_null(va_arg(ap, const char *));
	va_end(ap);
}

static void test_process_name(void **state)
{
	struct program_config *p = load_prog("[program:w]\ncommand=x\nnumprocs=3\n"
					     "process_name=%(program_name)s_%(process_num)02d\n");
	check_names(p, "w_00", "w_01", "w_02", NULL);

	p = load_prog("[program:w]\ncommand=x\nnumprocs=2\nnumprocs_start=9\n"
		      "process_name=%(group_name)s-%(process_num)03d\n");
	check_names(p, "w-009", "w-010", NULL);

	p = load_prog("[program:w]\ncommand=x\nnumprocs=2\nprocess_name=n%(process_num)d\n");
	check_names(p, "n0", "n1", NULL);

	p = load_prog("[program:w]\ncommand=x\nnumprocs=2\nprocess_name=n%(process_num)s\n");
	check_names(p, "n0", "n1", NULL);

}

static void test_process_name_formats(void **state)
{
	/* formats tried on the API directly, since padding makes bad names */
	struct program_config p = { .name = "web", .numprocs = 1 };
	char buf[64];
	static const struct {
		const char *tmpl;
		int num;
		const char *want;
	} cases[] = {
		{ "%(program_name)s", 0, "web" },
		{ "%(process_num)d", 7, "7" },
		{ "%(process_num)i", 7, "7" },
		{ "%(process_num)02d", 7, "07" },
		{ "%(process_num)05d", 123, "00123" },
		{ "%(process_num)2d", 123, "123" },
		{ "%(process_num)4d|", 12, "  12|" },
		{ "%(process_num)-4d|", 12, "12  |" },
		{ "%(process_num)+d", 3, "+3" },
		{ "%(process_num)03d", -4, "-04" },
		{ "%(program_name)6s|", 0, "   web|" },
		{ "%(program_name)-6s|", 0, "web   |" },
		{ "%(group_name)s", 0, "web" },
		{ "100%%-%(process_num)d", 1, "100%-1" },
		{ "a%b", 1, "a%b" },
		{ "trailing%", 1, "trailing%" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		p.process_name = (char *)cases[i].tmpl;
		assert_int_equal(program_config_process_name(&p, cases[i].num, buf, sizeof buf), 0);
		assert_string_equal(buf, cases[i].want);
	}
	p.process_name = "%(program_name)s_%(process_num)02d";
	assert_int_equal(program_config_process_name(&p, 1, buf, 7), 0);
	assert_string_equal(buf, "web_01");
	assert_int_equal(program_config_process_name(&p, 1, buf, 6), -ENAMETOOLONG);
	assert_int_equal(program_config_process_name(&p, 1, buf, 0), -ENAMETOOLONG);
	p.process_name = "%(nope)s";
	assert_int_equal(program_config_process_name(&p, 1, buf, sizeof buf), -EINVAL);
	p.process_name = NULL; /* the default */
	assert_int_equal(program_config_process_name(&p, 1, buf, sizeof buf), 0);
	assert_string_equal(buf, "web");
}

static void test_process_name_errors(void **state)
{
	expect_errors("[program:w]\ncommand=x\nnumprocs=2\n",
		      "t.conf:1: [program:w]: %(process_num) must be present within process_name "
		      "when numprocs > 1",
		      NULL);
	expect_errors("[program:w]\ncommand=x\nnumprocs=2\nprocess_name=%(program_name)s\n",
		      "t.conf:1: [program:w]: %(process_num) must be present within process_name "
		      "when numprocs > 1",
		      NULL);
	expect_errors("[program:w]\ncommand=x\nprocess_name=%(nope)s\n",
		      "t.conf:3: [program:w]: process_name: unknown name in '%(nope)s'", NULL);
	expect_errors("[program:w]\ncommand=x\nprocess_name=%(program_name\n",
		      "t.conf:3: [program:w]: process_name: unterminated '%('", NULL);
	expect_errors("[program:w]\ncommand=x\nprocess_name=%(program_name)\n",
		      "t.conf:3: [program:w]: process_name: incomplete format '%(program_name)'",
		      NULL);
	expect_errors("[program:w]\ncommand=x\nprocess_name=%(program_name)x\n",
		      "t.conf:3: [program:w]: process_name: bad format '%(program_name)x' "
		      "(expected s or d after the name)",
		      NULL);
	expect_errors("[program:w]\ncommand=x\nprocess_name=%(program_name)d\n",
		      "t.conf:3: [program:w]: process_name: bad format '%(program_name)d' "
		      "(a string needs s)",
		      NULL);
	expect_errors("[program:w]\ncommand=x\nprocess_name=%(process_num)1000d\n",
		      "t.conf:3: [program:w]: process_name: field width too large in "
		      "'%(process_num)1000d'",
		      NULL);
	expect_errors("[program:w]\ncommand=x\nprocess_name=%(here)s\n",
		      "t.conf:3: [program:w]: process_name: cannot use '%(here)s' here", NULL);
	expect_errors("[program:w]\ncommand=x\nnumprocs=2\nprocess_name=n%(process_num)-3dx\n",
		      "t.conf:1: [program:w]: bad process name 'n0  x' (it must be non-empty, "
		      "without whitespace, ':', '/' or '*')",
		      NULL);
	expect_errors("[program:w]\ncommand=x\nprocess_name=a/b\n",
		      "t.conf:1: [program:w]: bad process name 'a/b' (it must be non-empty, "
		      "without whitespace, ':', '/' or '*')",
		      NULL);
	expect_errors("[program:w]\ncommand=x\nprocess_name=\n",
		      "t.conf:1: [program:w]: bad process name '' (it must be non-empty, "
		      "without whitespace, ':', '/' or '*')",
		      NULL);
}

static void test_here_expansion(void **state)
{
	char *here = cwd();
	struct program_config *p = load_prog(
		"[program:web]\n"
		"command=%(here)s/bin/run --name %(program_name)s --group=%(group_name)s 100%%\n"
		"directory=%(here)s/srv\n"
		"stdout_logfile=%(here)s/%(program_name)s.out\n"
		"stderr_logfile=%(here)s/e.log\n");
	char *cmd = xasprintf("%s/bin/run --name web --group=web 100%%", here);
	char *dir = xasprintf("%s/srv", here);
	char *out = xasprintf("%s/web.out", here);
	char *err = xasprintf("%s/e.log", here);
	char *argv0 = xasprintf("%s/bin/run", here);
	assert_string_equal(p->command, cmd);
	assert_string_equal(p->argv[0], argv0);
	assert_string_equal(p->argv[2], "web");
	assert_string_equal(p->argv[3], "--group=web");
	assert_string_equal(p->argv[4], "100%");
	assert_string_equal(p->directory, dir);
	assert_string_equal(p->stdout_logfile, out);
	assert_string_equal(p->stderr_logfile, err);
	free(cmd);
	free(dir);
	free(out);
	free(err);
	free(argv0);
	free(here);

	/* a lone % is kept, so date formats need no doubling */
	p = load_prog("[program:d]\ncommand=date +%s\n");
	assert_string_equal(p->argv[1], "+%s");

	expect_errors("[program:web]\ncommand=run %(process_num)d\n",
		      "t.conf:2: [program:web]: command: cannot use '%(process_num)d' (only "
		      "process_name has a process number)",
		      NULL);
	expect_errors("[program:web]\ncommand=x\ndirectory=%(foo)s\nstdout_logfile=%(here)d\n",
		      "t.conf:3: [program:web]: directory: unknown name in '%(foo)s'",
		      "t.conf:4: [program:web]: stdout_logfile: bad format '%(here)d' (a string needs s)",
		      NULL);
	expect_errors("[corral]\nsocket=%(program_name)s.sock\n",
		      "t.conf:2: [corral]: socket: cannot use '%(program_name)s' here", NULL);
}

static void test_logfiles(void **state)
{
	struct program_config *p = load_prog("[program:a]\ncommand=x\nstdout_logfile=NONE\n"
					     "stderr_logfile=none\n");
	assert_string_equal(p->stdout_logfile, "NONE");
	assert_string_equal(p->stderr_logfile, "NONE");
	p = load_prog("[program:a]\ncommand=x\nstdout_logfile=AUTO\nstderr_logfile=auto\n");
	assert_null(p->stdout_logfile);
	assert_null(p->stderr_logfile);
	p = load_prog("[program:a]\ncommand=x\nstdout_logfile=rel/a.log\n");
	assert_string_equal(p->stdout_logfile, "rel/a.log");
	expect_errors("[program:a]\ncommand=x\nstdout_logfile=\ndirectory=\n",
		      "t.conf:3: [program:a]: bad value for stdout_logfile: '' "
		      "(expected a path, AUTO or NONE)",
		      "t.conf:4: [program:a]: bad value for directory: '' (expected a path)", NULL);
	expect_errors("[corral]\nlogdir=\npidfile=\nsocket=\n",
		      "t.conf:2: [corral]: bad value for logdir: '' (expected a path)",
		      "t.conf:3: [corral]: bad value for pidfile: '' (expected a path)",
		      "t.conf:4: [corral]: bad value for socket: '' (expected a path)", NULL);
}

/* ---- lines ------------------------------------------------------------ */

static void test_inline_comments(void **state)
{
	struct program_config *p = load_prog("[program:a] ; trailing words are ignored\n"
					     "command=/bin/echo a;b ; comment\n"
					     "priority=3\t;tab comment\n"
					     "; whole line\n"
					     "# whole line\n"
					     "   ; indented comment\n");
	assert_string_equal(p->command, "/bin/echo a;b");
	assert_int_equal(p->priority, 3);
	p = load_prog("[program:a]\ncommand= ;only a comment\n"
		      "  /bin/true\n");
	assert_string_equal(p->command, "/bin/true");
	/* '#' does not start an inline comment */
	p = load_prog("[program:a]\ncommand=/bin/echo #x\n");
	assert_string_equal(p->argv[1], "#x");
}

static void test_continuation_lines(void **state)
{
	struct program_config *p = load_prog("[program:a]\n"
					     "command=/bin/echo\n"
					     "    one\n"
					     "\ttwo   ; a comment\n"
					     "\n"
					     "  ; comment between\n"
					     "    three\n"
					     "priority=4\n");
	assert_string_equal(p->command, "/bin/echo one two three");
	assert_int_equal(p->priority, 4);
	/* right after a section header an indented line is a key, but the
	 * next indented line continues it, as in inih and configparser */
	p = load_prog("[program:a]\n  command=/bin/true\n  priority=2\n");
	assert_string_equal(p->command, "/bin/true priority=2");
	assert_int_equal(p->priority, 999);
	/* an empty first line */
	p = load_prog("[program:a]\ncommand=\n  /bin/echo x\n");
	assert_string_equal(p->command, "/bin/echo x");
	/* quotes may span the joined lines */
	p = load_prog("[program:a]\ncommand=sh -c 'echo a\n  b'\n");
	assert_string_equal(p->argv[2], "echo a b");
}

static void test_crlf_and_bom(void **state)
{
	struct program_config *p = load_prog("\xef\xbb\xbf[program:a]\r\ncommand=/bin/true\r\n"
					     "priority=1\r\n");
	assert_string_equal(p->command, "/bin/true");
	assert_int_equal(p->priority, 1);
	expect_errors("\xef\xbb\xbf[program:a]\r\ncomand=/bin/true\r\n",
		      "t.conf:1: [program:a]: missing command",
		      "t.conf:2: [program:a]: unknown key 'comand'", NULL);
}

static void test_long_lines(void **state)
{
	/* a command far over inih's 200-byte line buffer */
	char *arg = repeat('a', 1500);
	char *t = xasprintf("[program:long]\ncommand=/bin/echo %s end   ; comment\npriority=7\n"
			    "[program:b]\ncomand=x\n",
			    arg);
	expect_errors(t, "t.conf:4: [program:b]: missing command",
		      "t.conf:5: [program:b]: unknown key 'comand'", NULL);
	free(t);
	t = xasprintf("[program:long]\ncommand=/bin/echo %s end   ; comment\npriority=7\n", arg);
	struct program_config *p = load_prog(t);
	char *want = xasprintf("/bin/echo %s end", arg);
	assert_string_equal(p->command, want);
	assert_string_equal(p->argv[1], arg);
	assert_string_equal(p->argv[2], "end");
	assert_int_equal(p->priority, 7);
	free(want);
	free(t);

	/* long environment, with quotes holding commas and runs of spaces */
	char *sp = repeat(' ', 400);
	t = xasprintf("[program:e]\ncommand=x\nenvironment=A=\"%s,%s\",B='%s',C=%s , D=1\n", sp,
		      arg, sp, arg);
	p = load_prog(t);
	char *a = xasprintf("A=%s,%s", sp, arg);
	char *b = xasprintf("B=%s", sp);
	char *c = xasprintf("C=%s", arg);
	assert_string_equal(p->environment[0], a);
	assert_string_equal(p->environment[1], b);
	assert_string_equal(p->environment[2], c);
	assert_string_equal(p->environment[3], "D=1");
	assert_null(p->environment[4]);
	free(a);
	free(b);
	free(c);
	free(t);

	/* a long continuation line */
	t = xasprintf("[program:c]\ncommand=/bin/echo\n    %s\n    x\n", arg);
	p = load_prog(t);
	assert_string_equal(p->argv[1], arg);
	assert_string_equal(p->argv[2], "x");
	free(t);
	free(sp);
	free(arg);
}

/* Every split point: values of many lengths, whitespace and ';' anywhere,
 * must come back byte for byte. */
static void test_long_line_boundaries(void **state)
{
	static const char pattern[] = "ab c;d  e\t;f\"g";
	for (size_t len = 150; len < 700; len += 7) {
		char *v = malloc(len + 1);
		assert_non_null(v);
		for (size_t i = 0; i < len; i++)
			v[i] = pattern[i % (sizeof pattern - 1)];
		/* no whitespace at either end, and no " ;" (an inline comment) */
		v[0] = 'x';
		v[len - 1] = 'y';
		for (size_t i = 1; i < len; i++)
			if (v[i] == ';' && (v[i - 1] == ' ' || v[i - 1] == '\t'))
				v[i] = ',';
		v[len] = '\0';
		char *t = xasprintf("[program:a]\ncommand=x\nstdout_logfile=%s\n", v);
		struct program_config *p = load_prog(t);
		assert_string_equal(p->stdout_logfile, v);
		free(t);
		t = xasprintf("[program:a]\ncommand=x\nstdout_logfile=\n\t%s\n", v);
		p = load_prog(t);
		assert_string_equal(p->stdout_logfile, v);
		free(t);
		free(v);
	}
}

static void test_long_names(void **state)
{
	/* longer than inih's line buffer, as long as a process name may be */
	char *name = repeat('n', CONFIG_FULL_NAME_MAX);
	char *t = xasprintf("[program:%s]\ncommand=/bin/true\n", name);
	struct program_config *p = load_prog(t);
	assert_string_equal(p->name, name);
	free(t);
	char *key = repeat('k', 300);
	t = xasprintf("[program:%s]\ncommand=/bin/true\n%s=1\n", name, key);
	char *m = xasprintf("t.conf:3: [program:%s]: unknown key '%s'", name, key);
	expect_errors(t, m, NULL);
	free(m);
	free(t);
	free(key);
	free(name);
}

static void test_long_comment_and_error_lines(void **state)
{
	char *junk = repeat('j', 5000);
	char *t = xasprintf("; %s\n[program:a]\ncommand=/bin/true\n", junk);
	load_prog(t);
	free(t);
	t = xasprintf("[program:a]\ncommand=/bin/true\n%s\n[%s\n", junk, junk);
	expect_errors(t,
		      "t.conf:3: [program:a]: syntax error: expected KEY=VALUE, [SECTION] or a "
		      "comment",
		      "t.conf:4: [program:a]: syntax error: missing ']'", NULL);
	free(t);
	free(junk);
}

/* ---- errors ----------------------------------------------------------- */

static void test_unknown_key(void **state)
{
	expect_errors("[program:web]\ncommand=x\ncomand=y\n",
		      "t.conf:3: [program:web]: unknown key 'comand'", NULL);
	expect_errors("[corral]\nsockett=/x\n", "t.conf:2: [corral]: unknown key 'sockett'", NULL);
	expect_errors("[include]\nfile=x\n", "t.conf:1: [include]: missing files",
		      "t.conf:2: [include]: unknown key 'file'", NULL);
}

static void test_unknown_section(void **state)
{
	/* [supervisord] is known since issue 8: a near miss stands in for it */
	expect_errors("[programm:x]\ncommand=y\nwhatever=1\n[supervisor]\n[program:ok]\ncommand=z\n",
		      "t.conf:1: [programm:x]: unknown section",
		      "t.conf:4: [supervisor]: unknown section", NULL);
	expect_errors("[Program:x]\n", "t.conf:1: [Program:x]: unknown section", NULL);
	expect_errors("[]\n", "t.conf:1: []: unknown section", NULL);
}

static void test_bad_program_name(void **state)
{
	expect_errors("[program:]\ncommand=x\n",
		      "t.conf:1: [program:]: bad program name '' (it must be non-empty, without "
		      "whitespace, ':', '/' or '*')",
		      NULL);
	expect_errors("[program:a b]\n[program:a:b]\n[program:a/b]\n[program:all]\n",
		      "t.conf:1: [program:a b]: bad program name 'a b' (it must be non-empty, "
		      "without whitespace, ':', '/' or '*')",
		      "t.conf:2: [program:a:b]: bad program name 'a:b' (it must be non-empty, "
		      "without whitespace, ':', '/' or '*')",
		      "t.conf:3: [program:a/b]: bad program name 'a/b' (it must be non-empty, "
		      "without whitespace, ':', '/' or '*')",
		      "t.conf:4: [program:all]: bad program name 'all' (reserved)", NULL);
}

static void test_duplicates(void **state)
{
	expect_errors("[program:web]\ncommand=x\n[corral]\n[program:web]\ncommand=y\n[corral]\n",
		      "t.conf:4: [program:web]: duplicate section (first at t.conf:1)",
		      "t.conf:6: [corral]: duplicate section (first at t.conf:3)", NULL);
	expect_errors("[program:web]\ncommand=x\ncommand=y\npriority=1\npriority=2\n",
		      "t.conf:3: [program:web]: duplicate key 'command'",
		      "t.conf:5: [program:web]: duplicate key 'priority'", NULL);
	expect_errors("[corral]\nsocket=/a\nsocket=/b\n",
		      "t.conf:3: [corral]: duplicate key 'socket'", NULL);
	expect_errors("[include]\nfiles=x\nfiles=y\n[include]\nfiles=z\n",
		      "t.conf:3: [include]: duplicate key 'files'",
		      "t.conf:4: [include]: duplicate section (first at t.conf:1)", NULL);
}

static void test_duplicate_process_names(void **state)
{
	expect_errors("[program:a_b]\ncommand=x\n[program:a]\ncommand=y\nprocess_name=b\n",
		      "t.conf:3: [program:a]: duplicate process name 'a:b' (same as 'a_b' of "
		      "[program:a_b] at t.conf:1 once ':' becomes '_')",
		      NULL);
	expect_errors("[program:w_x_01]\ncommand=x\n[program:w]\ncommand=y\nnumprocs=2\n"
		      "process_name=x_%(process_num)02d\n",
		      "t.conf:3: [program:w]: duplicate process name 'w:x_01' (same as 'w_x_01' of "
		      "[program:w_x_01] at t.conf:1 once ':' becomes '_')",
		      NULL);
	/* the same process name in two groups is fine */
	load_ok("[program:a]\ncommand=x\nprocess_name=p\n[program:b]\ncommand=y\n"
		"process_name=p\n");
}

static void test_missing_command(void **state)
{
	expect_errors("[program:web]\npriority=1\n",
		      "t.conf:1: [program:web]: missing command", NULL);
	expect_errors("\n\n[program:web]\ncommand=\npriority=1\n",
		      "t.conf:3: [program:web]: empty command", NULL);
	expect_errors("[program:web]\ncommand=   ; just a comment\n",
		      "t.conf:1: [program:web]: empty command", NULL);
	expect_errors("[program:web]\ncommand=\"\" x\n[program:ok]\ncommand=x\n"
		      "[program:web2]\n",
		      "t.conf:2: [program:web]: command: empty program name",
		      "t.conf:5: [program:web2]: missing command", NULL);
}

static void test_command_quotes(void **state)
{
	expect_errors("[program:web]\ncommand=sh -c 'echo hi\n",
		      "t.conf:2: [program:web]: command: unterminated single quote", NULL);
	expect_errors("[program:web]\ncommand=sh -c \"echo hi\n",
		      "t.conf:2: [program:web]: command: unterminated double quote", NULL);
	expect_errors("[program:web]\ncommand=sh -c \\\n",
		      "t.conf:2: [program:web]: command: trailing backslash", NULL);
}

static void test_syntax_errors(void **state)
{
	expect_errors("[program:web\ncommand=x\n",
		      "t.conf:1: syntax error: missing ']'",
		      "t.conf:2: key 'command' outside any section", NULL);
	expect_errors("[program:web]\ncommand=x\njust words\n=value\n  ; ok\n",
		      "t.conf:3: [program:web]: syntax error: expected KEY=VALUE, [SECTION] or a "
		      "comment",
		      "t.conf:4: [program:web]: syntax error: missing key before '='", NULL);
	expect_errors("[program:web]\ncommand=x\n[a ;]\n",
		      "t.conf:3: [program:web]: syntax error: missing ']'", NULL);
	expect_errors("[program:web]\ncommand=x\nkey ;=v\n",
		      "t.conf:3: [program:web]: syntax error: expected KEY=VALUE, [SECTION] or a "
		      "comment",
		      NULL);
	expect_errors("priority=1\n[program:a]\ncommand=x\n",
		      "t.conf:1: key 'priority' outside any section", NULL);
}

static void test_syntax_error_keeps_continuation(void **state)
{
	/* as in inih, a bad line does not end the value above it */
	expect_errors("[program:a]\ncommand=/bin/echo\nbad\n  more\n",
		      "t.conf:3: [program:a]: syntax error: expected KEY=VALUE, [SECTION] or a "
		      "comment",
		      NULL);
}

static void test_socket_too_long(void **state)
{
	char *path = repeat('s', 120);
	char *t = xasprintf("[corral]\nsocket=/%s\n", path);
	expect_errors(t, "t.conf:2: [corral]: socket path too long (at most 107 bytes)", NULL);
	free(t);
	free(path);
}

static void test_all_errors_collected(void **state)
{
	expect_errors("[corral]\n"                      /* 1 */
		      "socket_mode=999\n"               /* 2 */
		      "[program:web]\n"                 /* 3 */
		      "comand=/bin/true\n"              /* 4 */
		      "autostart=perhaps\n"             /* 5 */
		      "stopsignal=TERMINATE\n"          /* 6 */
		      "exitcodes=0,1000\n"              /* 7 */
		      "umask=9\n"                       /* 8 */
		      "oops\n"                          /* 9 */
		      "environment=A=\"x\n"             /* 10 */
		      "[programm:x]\n"                  /* 11 */
		      "[program:web]\n"                 /* 12 */
		      "[program:w]\n"                   /* 13 */
		      "command=sh -c 'x\n"              /* 14 */
		      "numprocs=-2\n",                  /* 15 */
		      "t.conf:2: [corral]: bad value for socket_mode: '999' "
		      "(expected an octal mode from 0 to 0777)",
		      "t.conf:3: [program:web]: missing command",
		      "t.conf:4: [program:web]: unknown key 'comand'",
		      "t.conf:5: [program:web]: bad value for autostart: 'perhaps' "
		      "(expected true or false)",
		      "t.conf:6: [program:web]: bad value for stopsignal: 'TERMINATE' "
		      "(expected a signal name or number)",
		      "t.conf:7: [program:web]: bad value for exitcodes: '0,1000' "
		      "(expected a comma-separated list of integers from 0 to 255)",
		      "t.conf:8: [program:web]: bad value for umask: '9' "
		      "(expected an octal mask from 0 to 0777)",
		      "t.conf:9: [program:web]: syntax error: expected KEY=VALUE, [SECTION] or a "
		      "comment",
		      "t.conf:10: [program:web]: environment: unterminated double quote",
		      "t.conf:11: [programm:x]: unknown section",
		      "t.conf:12: [program:web]: duplicate section (first at t.conf:3)",
		      "t.conf:14: [program:w]: command: unterminated single quote",
		      "t.conf:15: [program:w]: bad value for numprocs: '-2' "
		      "(expected an integer from 1 to 1000)",
		      NULL);
}

static void test_too_many_errors(void **state)
{
	struct buf {
		char *s;
		size_t n;
	} b = { 0 };
	FILE *f = open_memstream(&b.s, &b.n);
	assert_non_null(f);
	fputs("[program:a]\ncommand=x\n", f);
	for (int i = 0; i < 150; i++)
		fprintf(f, "bad%d=1\n", i);
	fclose(f);
	config_errors_free(&errs);
	assert_int_equal(config_load_string("t.conf", b.s, &cfg, &errs), -EINVAL);
	assert_int_equal(errs.n, 101);
	assert_string_equal(errs.msgs[0], "t.conf:3: [program:a]: unknown key 'bad0'");
	assert_string_equal(errs.msgs[99], "t.conf:102: [program:a]: unknown key 'bad99'");
	assert_string_equal(errs.msgs[100], "t.conf: too many errors, 50 more not shown");
	free(b.s);
}

static void test_errors_appended(void **state)
{
	config_errors_free(&errs);
	assert_int_equal(config_load_string("a.conf", "[x]\n", &cfg, &errs), -EINVAL);
	assert_int_equal(config_load_string("b.conf", "[program:p]\n", &cfg, &errs), -EINVAL);
	assert_int_equal(errs.n, 2);
	assert_string_equal(errs.msgs[0], "a.conf:1: [x]: unknown section");
	assert_string_equal(errs.msgs[1], "b.conf:1: [program:p]: missing command");
	/* a good load adds nothing */
	assert_int_equal(config_load_string("c.conf", "", &cfg, &errs), 0);
	assert_int_equal(errs.n, 2);
}

static void test_cannot_open(void **state)
{
	expect_file_errors("/nonexistent/corral.conf",
			   "cannot open /nonexistent/corral.conf: No such file or directory", NULL);
	expect_file_errors("/", "cannot open /: Is a directory", NULL);
	expect_file_errors("/dev/null", "cannot open /dev/null: not a regular file", NULL);
}

/* ---- names that become paths ------------------------------------------ */

#define CHARS "(it must be non-empty, without whitespace, ':', '/' or '*')"
#define DOTS "('.' and '..' name directories: its cgroup and log files would not be its own)"
#define CGROUP "(names that start with a cgroup controller and '.', as cgroup.procs or " \
	"memory.max, are the kernel's files in every cgroup)"

static void test_name_rule(void **state)
{
	const char *bad[] = { "", ".", "..", "a/b", "/", "a b", "a:b", "a*", "a\tb", "a\x7f",
			      "cgroup.procs", "cgroup.kill", "memory.max", "pids.max", "cpu.pressure",
			      "io.x", "irq.pressure", "cpuset.cpus", "hugetlb.2MB.max", "misc.max",
			      "rdma.max", NULL };
	for (const char **n = bad; *n; n++)
		if (!config_name_problem(*n))
			fail_msg("'%s' is taken as a name", *n);
	/* a dot elsewhere, or a word that is only like a controller's, is fine */
	const char *good[] = { "a", "a.b", "...", ".hidden", "web.1", "memory", "cgroup",
			       "cgroupx.y", "xmemory.max", "a..b", "run-1", NULL };
	for (const char **n = good; *n; n++)
		if (config_name_problem(*n))
			fail_msg("'%s' is refused: %s", *n, config_name_problem(*n));
}

static void test_dot_names_refused(void **state)
{
	expect_errors("[program:..]\ncommand=x\n[program:.]\ncommand=x\n[pool:..]\ncommand=x\n"
		      "[eventlistener:..]\ncommand=x\nevents=TICK_5\n[fcgi-program:.]\ncommand=x\n"
		      "socket=unix:///tmp/x.sock\n[group:..]\nprograms=a\n[pipeline:.]\n"
		      "programs=a,b\n[socket:..]\nlisten=tcp:127.0.0.1:1\nprogram=a\n",
		      "t.conf:1: [program:..]: bad program name '..' " DOTS,
		      "t.conf:3: [program:.]: bad program name '.' " DOTS,
		      "t.conf:5: [pool:..]: bad program name '..' " DOTS,
		      "t.conf:7: [eventlistener:..]: bad program name '..' " DOTS,
		      "t.conf:10: [fcgi-program:.]: bad program name '.' " DOTS,
		      "t.conf:13: [group:..]: bad group name '..' " DOTS,
		      "t.conf:15: [pipeline:.]: bad group name '.' " DOTS,
		      "t.conf:17: [socket:..]: bad socket name '..' " DOTS, NULL);
}

static void test_cgroup_file_names_refused(void **state)
{
	expect_errors("[program:cgroup.procs]\ncommand=x\n[group:memory.max]\nprograms=a\n"
		      "[pool:pids.max]\ncommand=x\n",
		      "t.conf:1: [program:cgroup.procs]: bad program name 'cgroup.procs' " CGROUP,
		      "t.conf:3: [group:memory.max]: bad group name 'memory.max' " CGROUP,
		      "t.conf:5: [pool:pids.max]: bad program name 'pids.max' " CGROUP, NULL);
	load_ok("[program:web.1]\ncommand=x\n[program:memory]\ncommand=x\n");
}

static void test_process_name_paths(void **state)
{
	/* what process_name expands to follows the same rule, whatever it
	 * came from: the program's name, a number, corrald's environment */
	expect_errors("[program:x]\ncommand=x\nprocess_name=%(program_name)s/..\n",
		      "t.conf:1: [program:x]: bad process name 'x/..' " CHARS, NULL);
	expect_errors("[program:x]\ncommand=x\nprocess_name=..\n",
		      "t.conf:1: [program:x]: bad process name '..' " DOTS, NULL);
	setenv("CORRAL_TEST_DOTS", "..", 1);
	setenv("CORRAL_TEST_SLASH", "../../etc", 1);
	expect_errors("[program:x]\ncommand=x\nprocess_name=%(ENV_CORRAL_TEST_DOTS)s\n"
		      "[program:y]\ncommand=x\nprocess_name=%(ENV_CORRAL_TEST_SLASH)s\n",
		      "t.conf:1: [program:x]: bad process name '..' " DOTS,
		      "t.conf:4: [program:y]: bad process name '../../etc' " CHARS, NULL);
	unsetenv("CORRAL_TEST_DOTS");
	unsetenv("CORRAL_TEST_SLASH");
	expect_errors("[program:x]\ncommand=x\nnumprocs=2\nprocess_name=cgroup.%(process_num)d\n",
		      "t.conf:1: [program:x]: bad process name 'cgroup.0' " CGROUP, NULL);
	/* a dotted name that is not '.' or '..' is an ordinary name */
	struct program_config *p = load_prog("[program:x]\ncommand=x\nnumprocs=2\n"
					     "process_name=.%(process_num)d.\n");
	char buf[64];
	assert_int_equal(program_config_process_name(p, 1, buf, sizeof buf), 0);
	assert_string_equal(buf, ".1.");
}

static void test_full_name_length(void **state)
{
	/* the longest: its log file NAME.out.1000 is a file name of 255 bytes */
	char *name = repeat('n', CONFIG_FULL_NAME_MAX);
	char *t = xasprintf("[program:%s]\ncommand=x\n", name);
	load_ok(t);
	free(t);
	free(name);
	name = repeat('n', CONFIG_FULL_NAME_MAX + 1);
	t = xasprintf("[program:%s]\ncommand=x\n", name);
	char *m = xasprintf("t.conf:1: [program:%s]: process name '%.57s...' is longer than %d "
			    "bytes (its cgroup and log files are named after it)", name, name,
			    CONFIG_FULL_NAME_MAX);
	expect_errors(t, m, NULL);
	free(m);
	free(t);
	free(name);
	/* a group member's name is GROUP:PROCESS: both count */
	char *g = repeat('g', 200), *pn = repeat('p', 46);
	t = xasprintf("[group:%s]\nprograms=a\n[program:a]\ncommand=x\nprocess_name=%s\n", g, pn);
	m = xasprintf("t.conf:3: [program:a]: process name '%.57s...' is longer than %d bytes "
		      "(its cgroup and log files are named after it)", g, CONFIG_FULL_NAME_MAX);
	expect_errors(t, m, NULL);
	free(m);
	free(t);
	free(g);
	free(pn);
}

static void test_log_name_collisions(void **state)
{
	/* GROUP:PROCESS writes GROUP_PROCESS.out: a program of that name would
	 * share its log files */
	expect_errors("[group:g]\nprograms=x\n[program:x]\ncommand=x\n[program:g_x]\ncommand=y\n",
		      "t.conf:5: [program:g_x]: duplicate process name 'g_x' (same as 'g:x' of "
		      "[program:x] at t.conf:3 once ':' becomes '_')",
		      NULL);
	/* a pool's workers are POOL:POOL_N */
	expect_errors("[pool:p]\ncommand=x\n[program:p_p_0]\ncommand=y\n",
		      "t.conf:3: [program:p_p_0]: duplicate process name 'p_p_0' (same as 'p:p_0' "
		      "of [pool:p] at t.conf:1 once ':' becomes '_')",
		      NULL);
}

static void test_transient_names(void **state)
{
	char *argv[] = { "/bin/true", NULL };
	char err[256];
	struct corral_config t;
	const struct {
		const char *name, *why;
	} bad[] = {
		{ "..", "bad name '..' " DOTS },
		{ ".", "bad name '.' " DOTS },
		{ "a/b", "bad name 'a/b' " CHARS },
		{ "", "bad name '' " CHARS },
		{ "cgroup.kill", "bad name 'cgroup.kill' " CGROUP },
		{ "all", "bad name 'all' (reserved)" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(config_transient(bad[i].name, argv, NULL, &t, err, sizeof err),
				 -EINVAL);
		assert_string_equal(err, bad[i].why);
		assert_zeroed(&t);
	}
	char *name = repeat('r', CONFIG_FULL_NAME_MAX + 1);
	assert_int_equal(config_transient(name, argv, NULL, &t, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "too long"));
	free(name);
	assert_int_equal(config_transient("run-42", argv, NULL, &t, err, sizeof err), 0);
	assert_string_equal(t.programs[0].name, "run-42");
	config_free(&t);
}

/* ---- what a config file may be ------------------------------------------ */

static void test_pseudo_files_refused(void **state)
{
	/* a "regular file" that never ends: read, --check would never return */
	expect_file_errors("/proc/self/pagemap",
			   "cannot read /proc/self/pagemap: not a regular file on a real file "
			   "system (proc)", NULL);
	char *mainp = strdup(write_file("main.conf", "[program:a]\ncommand=x\n[include]\n"
						    "files=/proc/self/pagemap /sys/kernel/address_bits\n"));
	char *m1 = xasprintf("%s:4: [include]: cannot read /proc/self/pagemap: not a regular "
			     "file on a real file system (proc)", mainp);
	char *m2 = xasprintf("%s:4: [include]: cannot read /sys/kernel/address_bits: not a "
			     "regular file on a real file system (sysfs)", mainp);
	bool sys = access("/sys/kernel/address_bits", R_OK) == 0;
	expect_file_errors(mainp, m1, sys ? m2 : NULL, NULL);
	free(m1);
	free(m2);
	free(mainp);
}

static void test_fifo_and_dir_in_glob(void **state)
{
	write_file("d/a.conf", "[program:a]\ncommand=x\n");
	char fifo[PATH_MAX], dir[PATH_MAX];
	snprintf(fifo, sizeof fifo, "%s/d/b.conf", tmpdir);
	snprintf(dir, sizeof dir, "%s/d/c.conf", tmpdir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(mkdir(dir, 0700), 0);
	char *mainp = strdup(write_file("main.conf", "[include]\nfiles=d/*.conf\n"));
	char *m1 = xasprintf("%s:2: [include]: cannot open %s: not a regular file", mainp, fifo);
	char *m2 = xasprintf("%s:2: [include]: cannot open %s: Is a directory", mainp, dir);
	expect_file_errors(mainp, m1, m2, NULL);
	free(m1);
	free(m2);
	free(mainp);
}

/* A file of SIZE bytes of comment lines. */
static const char *write_big(const char *name, size_t size)
{
	char *text = malloc(size + 1);
	assert_non_null(text);
	for (size_t i = 0; i < size; i++)
		text[i] = i % 64 == 63 ? '\n' : '#';
	text[size] = '\0';
	const char *path = write_file(name, text);
	free(text);
	return path;
}

static void test_file_size_bounds(void **state)
{
	/* 4 MiB is read; a byte more is refused, its reason named */
	char *mainp = strdup(write_big("four.conf", 4 << 20));
	assert_int_equal(config_load(mainp, &cfg, &errs), 0);
	free(mainp);
	mainp = strdup(write_big("big.conf", (4 << 20) + 1));
	char *m = xasprintf("cannot read %s: larger than 4 MiB, the most one config file may "
			    "hold", mainp);
	expect_file_errors(mainp, m, NULL);
	free(m);
	/* included: said at the [include] that names it */
	char *inc = mainp;
	mainp = strdup(write_file("main.conf", "[include]\nfiles=big.conf\n"));
	m = xasprintf("%s:2: [include]: cannot read %s: larger than 4 MiB, the most one config "
		      "file may hold", mainp, inc);
	expect_file_errors(mainp, m, NULL);
	free(m);
	free(inc);
	free(mainp);
	/* together: five files of 3.5 MiB pass 16 MiB at the fifth */
	for (int i = 0; i < 5; i++) {
		char name[32];
		snprintf(name, sizeof name, "part/%d.conf", i);
		write_big(name, (7 << 20) / 2);
	}
	mainp = strdup(write_file("main.conf", "[include]\nfiles=part/*.conf\n"));
	m = xasprintf("%s:2: [include]: cannot read %s/part/4.conf: the config files together "
		      "are larger than 16 MiB, the most they may hold", mainp, tmpdir);
	expect_file_errors(mainp, m, NULL);
	free(m);
	free(mainp);
}

/* ---- files and includes ----------------------------------------------- */

static void test_load_file(void **state)
{
	const char *path = write_file("main.conf", "[corral]\nlogdir=%(here)s/log\n\n"
						   "[program:web]\ncommand=/bin/true\n");
	char *mainp = strdup(path);
	config_free(&cfg);
	assert_int_equal(config_load(mainp, &cfg, &errs), 0);
	assert_string_equal(cfg.path, mainp);
	char *real = realpath(tmpdir, NULL);
	char *logdir = xasprintf("%s/log", real);
	assert_string_equal(cfg.logdir, logdir);
	assert_string_equal(cfg.programs[0].file, mainp);
	assert_int_equal(cfg.programs[0].line, 4);
	free(logdir);

	write_file("bad.conf", "[program:web]\n\ncommand=/bin/true\nnumprocs=x\n");
	char *bad = xasprintf("%s/bad.conf", tmpdir);
	char *m = xasprintf("%s:4: [program:web]: bad value for numprocs: 'x' "
			    "(expected an integer from 1 to 1000)",
			    bad);
	expect_file_errors(bad, m, NULL);
	free(m);

	/* long lines from a real file too */
	char *arg = repeat('z', 3000);
	char *text = xasprintf("[program:long]\ncommand=/bin/echo %s\n[program:x]\n", arg);
	write_file("long.conf", text);
	char *lp = xasprintf("%s/long.conf", tmpdir);
	m = xasprintf("%s:3: [program:x]: missing command", lp);
	expect_file_errors(lp, m, NULL);
	free(m);
	free(text);
	text = xasprintf("[program:long]\ncommand=/bin/echo %s\n", arg);
	write_file("long.conf", text);
	config_free(&cfg);
	assert_int_equal(config_load(lp, &cfg, &errs), 0);
	assert_string_equal(cfg.programs[0].argv[1], arg);
	free(text);
	free(lp);
	free(arg);

	/* a NUL byte in a file */
	FILE *f = fopen(bad, "w");
	assert_non_null(f);
	fwrite("[program:a]\ncommand=x\0y\n", 1, 24, f);
	fclose(f);
	m = xasprintf("%s:2: [program:a]: NUL byte in line", bad);
	char *m2 = xasprintf("%s:1: [program:a]: missing command", bad);
	expect_file_errors(bad, m2, m, NULL);
	free(m);
	free(m2);
	free(bad);
	free(real);
	free(mainp);
}

static void test_includes(void **state)
{
	write_file("conf.d/10-db.conf", "[program:db]\ncommand=/bin/db\npriority=1\n");
	write_file("conf.d/20-web.conf", "[program:web]\ncommand=%(here)s/web\n"
					 "[corral]\nsocket=/tmp/x.sock\n");
	write_file("conf.d/ignored.txt", "[program:nope]\ncommand=x\n");
	write_file("more/a.conf", "[program:a]\ncommand=/bin/a\n[include]\nfiles=../deep/*.conf\n");
	write_file("deep/b.conf", "[program:b]\ncommand=/bin/b\n");
	char *mainp = strdup(write_file(
		"main.conf", "[include]\n"
			     "files = conf.d/*.conf\n"
			     "  nothing-matches-*.conf more/a.conf\n"
			     "[program:top]\ncommand=/bin/top\n"));
	config_free(&cfg);
	int rc = config_load(mainp, &cfg, &errs);
	if (rc)
		dump_errors();
	assert_int_equal(rc, 0);
	assert_int_equal(cfg.nprograms, 5);
	/* sorted by priority, then name */
	assert_string_equal(cfg.programs[0].name, "db");
	assert_string_equal(cfg.programs[1].name, "a");
	assert_string_equal(cfg.programs[2].name, "b");
	assert_string_equal(cfg.programs[3].name, "top");
	assert_string_equal(cfg.programs[4].name, "web");
	assert_string_equal(cfg.socket, "/tmp/x.sock");
	char *real = realpath(tmpdir, NULL);
	char *web = xasprintf("%s/conf.d/web", real);
	assert_string_equal(cfg.programs[4].command, web);
	char *file = xasprintf("%s/conf.d/20-web.conf", tmpdir);
	assert_string_equal(cfg.programs[4].file, file);
	assert_int_equal(cfg.programs[4].line, 1);
	char *bfile = xasprintf("%s/more/../deep/b.conf", tmpdir);
	assert_string_equal(cfg.programs[2].file, bfile);
	free(bfile);
	free(file);
	free(web);
	free(real);
	free(mainp);
}

static void test_include_errors(void **state)
{
	write_file("inc/bad.conf", "[program:web]\ncommand=x\nstartsecs=-1\n[corral]\n");
	char *mainp = strdup(write_file("main.conf", "[corral]\n[program:web]\ncommand=y\n"
						    "[include]\nfiles=inc/*.conf\n"
						    "[program:z]\n"));
	char *m1 = xasprintf("%s:6: [program:z]: missing command", mainp);
	char *m2 = xasprintf("%s/inc/bad.conf:1: [program:web]: duplicate section (first at "
			     "%s:2)", tmpdir, mainp);
	char *m3 = xasprintf("%s/inc/bad.conf:4: [corral]: duplicate section (first at %s:1)",
			     tmpdir, mainp);
	expect_file_errors(mainp, m1, m2, m3, NULL);
	free(m1);
	free(m2);
	free(m3);

	/* an included file that cannot be read */
	write_file("main.conf", "[include]\nfiles=inc\n");
	m1 = xasprintf("%s:2: [include]: cannot open %s/inc: Is a directory", mainp, tmpdir);
	expect_file_errors(mainp, m1, NULL);
	free(m1);
	write_file("main.conf", "[include]\nfiles=inc/bad.conf\n");
	char *bad = xasprintf("%s/inc/bad.conf", tmpdir);
	assert_int_equal(chmod(bad, 0), 0);
	if (access(bad, R_OK) == 0) {
		/* root reads anything; nothing to test then */
		chmod(bad, 0600);
	} else {
		m1 = xasprintf("%s:2: [include]: cannot open %s: Permission denied", mainp, bad);
		expect_file_errors(mainp, m1, NULL);
		free(m1);
		chmod(bad, 0600);
	}
	free(bad);

	/* [include] without files */
	write_file("main.conf", "[include]\n[program:a]\ncommand=x\n");
	m1 = xasprintf("%s:1: [include]: missing files", mainp);
	expect_file_errors(mainp, m1, NULL);
	free(m1);

	/* bad expansions in files */
	write_file("main.conf", "[include]\nfiles=%(program_name)s.conf\n");
	m1 = xasprintf("%s:2: [include]: files: cannot use '%%(program_name)s' here", mainp);
	expect_file_errors(mainp, m1, NULL);
	free(m1);

	/* a glob that matches nothing is fine; %(here)s works */
	write_file("main.conf", "[include]\nfiles=nothing/*.conf %(here)s/none.conf\n");
	config_free(&cfg);
	assert_int_equal(config_load(mainp, &cfg, &errs), 0);
	free(mainp);
}

static void test_include_cycle(void **state)
{
	char *mainp = strdup(write_file("main.conf", "[include]\nfiles=a.conf\n"));
	write_file("a.conf", "[program:a]\ncommand=x\n[include]\nfiles=main.conf\n");
	char *m = xasprintf("%s/a.conf:4: [include]: include cycle: %s/main.conf is already "
			    "being read", tmpdir, tmpdir);
	expect_file_errors(mainp, m, NULL);
	free(m);

	/* a file including itself */
	write_file("main.conf", "[include]\nfiles=*.conf\n");
	m = xasprintf("%s:2: [include]: include cycle: %s/main.conf is already being read", mainp,
		      tmpdir);
	char *m2 = xasprintf("%s/a.conf:4: [include]: include cycle: %s/main.conf is already "
			     "being read", tmpdir, tmpdir);
	expect_file_errors(mainp, m, m2, NULL);
	free(m);
	free(m2);

	/* a string naming a real file is that file */
	config_free(&cfg);
	config_errors_free(&errs);
	assert_int_equal(config_load_string(mainp, "[include]\nfiles=main.conf\n", &cfg, &errs),
			 -EINVAL);
	assert_int_equal(errs.n, 1);
	m = xasprintf("%s:2: [include]: include cycle: %s/main.conf is already being read", mainp,
		      tmpdir);
	assert_string_equal(errs.msgs[0], m);
	free(m);
	free(mainp);
}

static void test_include_depth(void **state)
{
	/* f0 includes f1 ... each file includes the next; 10 levels are fine */
	char name[32], text[64];
	for (int i = 0; i <= 11; i++) {
		snprintf(name, sizeof name, "f%d.conf", i);
		snprintf(text, sizeof text, "[program:p%d]\ncommand=x\n[include]\nfiles=f%d.conf\n",
			 i, i + 1);
		write_file(name, text);
	}
	char *f1 = xasprintf("%s/f1.conf", tmpdir);
	config_free(&cfg);
	int rc = config_load(f1, &cfg, &errs);
	if (rc)
		dump_errors();
	assert_int_equal(rc, 0); /* f1 -> f11: ten includes deep */
	assert_int_equal(cfg.nprograms, 11);
	free(f1);

	char *f0 = xasprintf("%s/f0.conf", tmpdir);
	char *m = xasprintf("%s/f10.conf:4: [include]: cannot include %s/f11.conf: includes "
			    "nested more than 10 deep", tmpdir, tmpdir);
	expect_file_errors(f0, m, NULL);
	free(m);
	free(f0);
}

static void test_include_relative_to_cwd(void **state)
{
	/* a mainp file named without a directory: globs are relative to cwd */
	char *old = cwd();
	assert_int_equal(chdir(tmpdir), 0);
	write_file("x.conf", "[program:x]\ncommand=x\n");
	config_free(&cfg);
	int rc = config_load_string("main.conf", "[include]\nfiles=x.conf\n", &cfg, &errs);
	assert_int_equal(chdir(old), 0);
	free(old);
	assert_int_equal(rc, 0);
	assert_string_equal(cfg.programs[0].file, "x.conf");
}

/* ---- whole configs ---------------------------------------------------- */

static void test_sorted(void **state)
{
	load_ok("[program:c]\ncommand=x\n"
		"[program:b]\ncommand=x\npriority=5\n"
		"[program:a]\ncommand=x\n"
		"[program:z]\ncommand=x\npriority=-1\n"
		"[program:d]\ncommand=x\npriority=5\n");
	assert_int_equal(cfg.nprograms, 5);
	const char *order[] = { "z", "b", "d", "a", "c" };
	for (size_t i = 0; i < 5; i++)
		assert_string_equal(cfg.programs[i].name, order[i]);
}

static const char full_program[] =
	"[program:p]\n"
	"command=/bin/p -x 'a b'\n"
	"numprocs=2\n"
	"numprocs_start=1\n"
	"process_name=%(program_name)s%(process_num)d\n"
	"autostart=false\n"
	"autorestart=true\n"
	"startsecs=2\n"
	"startretries=4\n"
	"exitcodes=0,3\n"
	"stopsignal=QUIT\n"
	"stopwaitsecs=5\n"
	"directory=/tmp\n"
	"environment=A=1,B=2\n"
	"umask=027\n"
	"priority=9\n"
	"redirect_stderr=true\n"
	"stdout_logfile=/tmp/o\n"
	"stderr_logfile=/tmp/e\n";

static void test_program_config_equal(void **state)
{
	struct corral_config a, b;
	struct config_errors e = { 0 };
	assert_int_equal(config_load_string("a.conf", full_program, &a, &e), 0);
	/* the same program elsewhere in another file is still equal */
	char *moved = xasprintf("\n\n; moved\n%s", full_program);
	assert_int_equal(config_load_string("b.conf", moved, &b, &e), 0);
	free(moved);
	struct program_config *pa = &a.programs[0], *pb = &b.programs[0];
	assert_true(program_config_equal(pa, pb));
	assert_true(program_config_equal(pa, pa));

	/* change one field at a time in a copy */
	for (int field = 0; field < 21; field++) {
		struct program_config c = *pb;
		char *argv2[] = { "/bin/p", "-x", "a  b", NULL };
		char *env2[] = { "A=1", "B=3", NULL };
		char *env3[] = { "A=1", NULL };
		switch (field) {
		case 0: c.name = "q"; break;
		case 1: c.command = "/bin/p -y"; break;
		case 2: c.argv = argv2; break;
		case 3: c.numprocs = 3; break;
		case 4: c.numprocs_start = 0; break;
		case 5: c.process_name = "%(process_num)d"; break;
		case 6: c.autostart = true; break;
		case 7: c.autorestart = AUTORESTART_FALSE; break;
		case 8: c.startsecs = 1; break;
		case 9: c.startretries = 3; break;
		case 10: c.exitcodes[0] ^= 2; break;
		case 11: c.stopsignal = SIGTERM; break;
		case 12: c.stopwaitsecs = 6; break;
		case 13: c.directory = NULL; break;
		case 14: c.environment = env2; break;
		case 15: c.environment = env3; break;
		case 16: c.umask = -1; break;
		case 17: c.priority = 10; break;
		case 18: c.redirect_stderr = false; break;
		case 19: c.stdout_logfile = NULL; break;
		case 20: c.stderr_logfile = "NONE"; break;
		}
		if (program_config_equal(pa, &c))
			fail_msg("change %d not noticed", field);
		if (program_config_equal(&c, pa))
			fail_msg("change %d not noticed (reversed)", field);
	}
	config_free(&a);
	config_free(&b);
	config_errors_free(&e);
}

static void test_config_free_twice(void **state)
{
	load_ok(full_program);
	config_free(&cfg);
	assert_zeroed(&cfg);
	config_free(&cfg);
	config_free(NULL);
	config_errors_free(NULL);
}

static void test_demo_conf(void **state)
{
	if (access("examples/demo.conf", R_OK) != 0)
		skip(); /* run from the repository root */
	config_free(&cfg);
	int rc = config_load("examples/demo.conf", &cfg, &errs);
	if (rc)
		dump_errors();
	assert_int_equal(rc, 0);
	assert_string_equal(cfg.socket, "/tmp/corral-demo/corral.sock");
	assert_string_equal(cfg.logdir, "/tmp/corral-demo/log");
	bool web = false, worker = false, ticker = false;
	for (size_t i = 0; i < cfg.nprograms; i++) {
		struct program_config *p = &cfg.programs[i];
		web |= strcmp(p->name, "web") == 0;
		ticker |= strcmp(p->name, "ticker") == 0;
		if (strcmp(p->name, "worker") == 0) {
			worker = true;
			assert_int_equal(p->numprocs, 2);
		}
	}
	assert_true(web && worker && ticker);
}

/* ---- supervisord's format (issue 8) ----------------------------------- */

/* The warnings of the last load are exactly the NULL-terminated list. */
static void expect_warnings(const char *first, ...)
{
	va_list ap;
	size_t i = 0;
	va_start(ap, first);
	for (const char *want = first; want; want = va_arg(ap, const char *), i++) {
		if (i >= errs.nwarnings)
			fail_msg("missing warning %zu: %s", i, want);
		if (strcmp(errs.warnings[i], want) != 0)
			fail_msg("warning %zu is\n  \"%s\", expected\n  \"%s\"", i,
				 errs.warnings[i], want);
	}
	va_end(ap);
	for (size_t k = i; k < errs.nwarnings; k++)
		print_message("  extra warning: %s\n", errs.warnings[k]);
	assert_int_equal(errs.nwarnings, i);
}

static void test_supervisord_main_section(void **state)
{
	load_ok("[supervisord]\n"                       /* 1 */
		"pidfile=/run/sd.pid\n"                 /* 2 */
		"childlogdir=/var/log/sd\n"             /* 3 */
		"nodaemon=true\n"                       /* 4: corrald's way */
		"minfds=1024\n"                         /* 5: supervisord's default */
		"minprocs=0200\n"                       /* 6 */
		"loglevel=info\n"                       /* 7 */
		"logfile=/tmp/sd.log\n"                 /* 8 */
		"umask=077\n"                           /* 9 */
		"silent=false\n"                        /* 10 */
		"nocleanup=true\n"                      /* 11 */
		"strip_ansi=off\n"                      /* 12 */
		"identifier=supervisor\n"               /* 13 */
		"environment=A=1\n"                     /* 14 */
		"user=nobody\n"                         /* 15 */
		"directory=/tmp\n"                      /* 16 */
		"logfile_maxbytes=50MB\n"               /* 17 */
		"logfile_backups=10\n"                  /* 18 */
		"[program:a]\ncommand=x\n");
	assert_string_equal(cfg.pidfile, "/run/sd.pid");
	assert_string_equal(cfg.logdir, "/var/log/sd");
	assert_int_equal(errs.n, 0);
	expect_warnings("t.conf:15: [supervisord]: corral ignores user: start corrald as that user "
			"instead; programs take user =",
			NULL);
	/* corrald keeps its own log where supervisord kept its */
	assert_string_equal(cfg.logfile, "/tmp/sd.log");
	assert_int_equal(cfg.logfile_maxbytes, 50 * 1024 * 1024);
	assert_int_equal(cfg.logfile_backups, 10);
	/* what supervisord's programs inherit from it */
	struct program_config *p = &cfg.programs[0];
	assert_int_equal(p->umask, 077);
	assert_string_equal(p->directory, "/tmp");
	assert_string_equal(p->environment[0], "A=1");
	assert_null(p->environment[1]);
	p = load_prog("[supervisord]\nenvironment=A=1,B=2\n[program:a]\ncommand=x\n"
		      "environment=B=3,C=4\numask=002\ndirectory=/srv\n");
	assert_int_equal(p->umask, 002);
	assert_string_equal(p->directory, "/srv");
	assert_string_equal(p->environment[0], "A=1");
	assert_string_equal(p->environment[1], "B=3");
	assert_string_equal(p->environment[2], "C=4");
	assert_null(p->environment[3]);
	p = load_prog("[supervisord]\n[program:a]\ncommand=x\n");
	assert_int_equal(p->umask, 022); /* supervisord's default */
	assert_null(p->directory);
	assert_false(p->strip_ansi);
	assert_int_equal(cfg.loglevel, -1);
	/* strip_ansi is every program's; loglevel is corrald's own */
	p = load_prog("[supervisord]\nstrip_ansi=true\nloglevel=DEBUG\n[program:a]\ncommand=x\n");
	assert_true(p->strip_ansi);
	assert_int_equal(cfg.loglevel, LOG_DEBUG);
	assert_int_equal(errs.nwarnings, 0);
	static const struct {
		const char *value;
		int level;
	} levels[] = {
		{ "critical", LOG_CRIT }, { "error", LOG_ERR }, { "warn", LOG_WARN },
		{ "info", LOG_INFO }, { "debug", LOG_DEBUG }, { "trace", LOG_TRACE },
		{ "blather", LOG_BLATHER },
	};
	for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++) {
		char text[128];
		snprintf(text, sizeof text, "[supervisord]\nloglevel=%s\n", levels[i].value);
		load_ok(text);
		assert_int_equal(cfg.loglevel, levels[i].level);
	}
	/* [corral] takes them too, as it takes [supervisord]'s other keys */
	p = load_prog("[corral]\nstrip_ansi=on\nloglevel=warn\n[program:a]\ncommand=x\n");
	assert_true(p->strip_ansi);
	assert_int_equal(cfg.loglevel, LOG_WARN);
	p = load_prog("[corral]\n[program:a]\ncommand=x\n");
	assert_int_equal(p->umask, -1); /* corral's: inherited from corrald */
	/* [supervisord] is [corral]: corral's keys work there too */
	load_ok("[supervisord]\nsocket=/tmp/c.sock\nnodaemon=false\n");
	assert_string_equal(cfg.socket, "/tmp/c.sock");
	assert_int_equal(cfg.socket_rule, SOCKET_RULE_SET);
	assert_int_equal(errs.nwarnings, 0);
	expect_errors("[supervisord]\nnodaemon=perhaps\nminfds=-1\nloglevel=loud\numask=9\n"
		      "logfile_maxbytes=5XB\nenvironment=A\n",
		      "t.conf:2: [supervisord]: bad value for nodaemon: 'perhaps' (expected true "
		      "or false)",
		      "t.conf:3: [supervisord]: bad value for minfds: '-1' (expected an integer "
		      ">= 0)",
		      "t.conf:4: [supervisord]: bad value for loglevel: 'loud' (expected critical, "
		      "error, warn, info, debug, trace or blather)",
		      "t.conf:5: [supervisord]: bad value for umask: '9' (expected an octal mask "
		      "from 0 to 0777)",
		      "t.conf:6: [supervisord]: bad value for logfile_maxbytes: '5XB' (expected a "
		      "size in bytes, with KB, MB or GB)",
		      "t.conf:7: [supervisord]: environment: expected '=' after 'A'",
		      NULL);
	/* a key of each, in [supervisord] and [corral]: corral's section, its rule */
	expect_errors("[supervisord]\nlogfile=/a\n[corral]\nlogfile=/b\n",
		      "t.conf:4: [corral]: duplicate key 'logfile'", NULL);
}

/* nodaemon, silent, minfds and minprocs: carried out (main.c), with
 * supervisord's defaults in its format and corral's in corral's */
static void test_supervisord_carried_out(void **state)
{
	load_ok("[supervisord]\n");
	assert_false(cfg.nodaemon);
	assert_false(cfg.silent);
	assert_int_equal(cfg.minfds, 1024);
	assert_int_equal(cfg.minprocs, 200);
	load_ok("[supervisord]\nnodaemon=true\nsilent=on\nminfds=4096\nminprocs=0\n");
	assert_true(cfg.nodaemon && cfg.silent);
	assert_int_equal(cfg.minfds, 4096);
	assert_int_equal(cfg.minprocs, 0);
	assert_int_equal(errs.nwarnings, 0);
	load_ok("[corral]\n");
	assert_true(cfg.nodaemon);
	assert_false(cfg.silent);
	assert_int_equal(cfg.minfds, 0);
	assert_int_equal(cfg.minprocs, 0);
	load_ok("[corral]\nnodaemon=no\nminfds=2048\n");
	assert_false(cfg.nodaemon);
	assert_int_equal(cfg.minfds, 2048);
	expect_errors("[supervisord]\nsilent=loud\nminprocs=x\n",
		      "t.conf:2: [supervisord]: bad value for silent: 'loud' (expected true or "
		      "false)",
		      "t.conf:3: [supervisord]: bad value for minprocs: 'x' (expected an integer "
		      ">= 0)", NULL);
}

/* A key set twice in a section of a supervisord config: supervisord's
 * parser keeps the last value, and says nothing; corral says it. */
static void test_supervisord_repeated_keys(void **state)
{
	struct program_config *p = load_prog(
		"[supervisord]\n"                      /* 1 */
		"nodaemon = true\n"                    /* 2 */
		"pidfile = /tmp/a.pid\n"               /* 3 */
		"nodaemon = false\n"                   /* 4 */
		"[program:a]\n"                        /* 5 */
		"command = /bin/first\n"               /* 6 */
		"  --with continuation\n"              /* 7 */
		"startsecs = bad\n"                    /* 8: never read, as in supervisord */
		"command = /bin/second\n"              /* 9 */
		"startsecs = 3\n"                      /* 10 */
		"command = /bin/third\n"               /* 11 */
		"[program:b]\n"                        /* 12: its own section, its own keys */
		"command = /bin/b\n");
	assert_false(cfg.nodaemon);
	assert_string_equal(p->command, "/bin/third");
	assert_null(p->argv[1]);
	assert_int_equal(p->startsecs, 3);
	assert_string_equal(cfg.programs[1].command, "/bin/b");
	expect_warnings("t.conf:2: [supervisord]: duplicate key 'nodaemon': supervisord takes the "
			"last value, at line 4",
			"t.conf:6: [program:a]: duplicate key 'command': supervisord takes the last "
			"value, at line 11",
			"t.conf:8: [program:a]: duplicate key 'startsecs': supervisord takes the last "
			"value, at line 10",
			"t.conf:9: [program:a]: duplicate key 'command': supervisord takes the last "
			"value, at line 11",
			NULL);
	/* supervisord's fixture issue-1224.conf */
	load_ok("[supervisord]\nnodaemon = true\npidfile = /tmp/issue-1224.pid\nnodaemon = true\n"
		"logfile = /dev/stdout\nlogfile_maxbytes = 0\n\n[program:cat]\n"
		"command = /bin/cat\nstartsecs = 0\n");
	assert_true(cfg.nodaemon);
	assert_string_equal(errs.warnings[0], "t.conf:2: [supervisord]: duplicate key 'nodaemon': "
			    "supervisord takes the last value, at line 4");
	/* the last [supervisord] environment is the one programs expand */
	p = load_prog("[program:e]\ncommand=/bin/echo %(ENV_CORRAL_T_E)s\n"
		      "[supervisord]\nenvironment=CORRAL_T_E=first\nenvironment=CORRAL_T_E=last\n");
	assert_string_equal(p->command, "/bin/echo last");
	/* corral's own format: still an error */
	expect_errors("[corral]\nlogdir=/a\nlogdir=/b\n",
		      "t.conf:3: [corral]: duplicate key 'logdir'", NULL);
}

/* The control socket of a supervisord config that does not name one */
static void test_supervisord_socket_default(void **state)
{
	load_ok("[supervisord]\n[unix_http_server]\nfile=/tmp/sd/supervisor.sock\n");
	assert_string_equal(cfg.socket, "/tmp/sd/supervisor.sock.corral");
	assert_int_equal(cfg.socket_rule, SOCKET_RULE_HTTP);
	/* no [unix_http_server]: named after the config file (t.conf does not
	 * exist: its name as given) */
	load_ok("[supervisord]\n[inet_http_server]\nport=127.0.0.1:9001\n");
	assert_int_equal(cfg.socket_rule, SOCKET_RULE_CONFIG);
	assert_string_equal(cfg.socket, "/run/corral/supervisord-87dd8b0514d6a75b.sock");
	/* a [unix_http_server] path too long to take ".corral" */
	char *longp = repeat('d', 100);
	char *text = xasprintf("[supervisord]\n[unix_http_server]\nfile=/%s\n", longp);
	load_ok(text);
	assert_int_equal(cfg.socket_rule, SOCKET_RULE_CONFIG);
	free(text);
	free(longp);
	load_ok("[corral]\n[unix_http_server]\nfile=/tmp/sd/supervisor.sock\n");
	assert_string_equal(cfg.socket, CONFIG_DEFAULT_SOCKET);
	assert_int_equal(cfg.socket_rule, SOCKET_RULE_DEFAULT);
}

/* config_socket(), for corralctl -c: the same socket, errors or not */
static void test_config_socket(void **state)
{
	char *path = strdup(write_file("sd.conf", "[supervisord]\n[program:x]\n"
						 "startsecs=-1\n" /* errors: no command, bad value */
						 "[unix_http_server]\nfile=%(here)s/x.sock\n"));
	char *sock, err[256];
	enum socket_rule rule;
	assert_int_equal(config_socket(path, &sock, &rule, err, sizeof err), 0);
	char *real = realpath(tmpdir, NULL);
	char *want = xasprintf("%s/x.sock.corral", real);
	assert_string_equal(sock, want);
	assert_int_equal(rule, SOCKET_RULE_HTTP);
	free(want);
	free(sock);
	/* the hash is of the real path, however the file is named */
	write_file("plain.conf", "[supervisord]\n");
	char *a = xasprintf("%s/plain.conf", tmpdir), *b = xasprintf("%s/./plain.conf", real);
	char *sa, *sb;
	assert_int_equal(config_socket(a, &sa, &rule, err, sizeof err), 0);
	assert_int_equal(config_socket(b, &sb, &rule, err, sizeof err), 0);
	assert_int_equal(rule, SOCKET_RULE_CONFIG);
	assert_string_equal(sa, sb);
	assert_true(strncmp(sa, "/run/corral/supervisord-", 24) == 0);
	free(sa);
	free(sb);
	free(a);
	free(b);
	char *missing = xasprintf("%s/missing.conf", tmpdir);
	assert_int_equal(config_socket(missing, &sock, &rule, err, sizeof err), -ENOENT);
	assert_null(sock);
	assert_non_null(strstr(err, "missing.conf: No such file or directory"));
	free(missing);
	free(real);
	free(path);
}

/* %(ENV_X)s with X from [supervisord] environment, and from a program's
 * own environment, where options.py expands them */
static void test_supervisord_environment_names(void **state)
{
	unsetenv("FOO");
	/* supervisord's fixtures issue-1170a, b and c */
	struct program_config *p = load_prog(
		"[supervisord]\nnodaemon=true\nenvironment=FOO=\"set from [supervisord] section\"\n"
		"[program:echo]\ncommand=bash -c \"echo '%(ENV_FOO)s'\"\nstartsecs=0\n");
	assert_string_equal(p->command, "bash -c \"echo 'set from [supervisord] section'\"");
	assert_string_equal(p->environment[0], "FOO=set from [supervisord] section");
	p = load_prog("[supervisord]\nenvironment=FOO=\"set from [supervisord] section\"\n"
		      "[program:echo]\ncommand=bash -c \"echo '%(ENV_FOO)s'\"\n"
		      "environment=FOO=\"set from [program] section\"\n");
	assert_string_equal(p->command, "bash -c \"echo 'set from [program] section'\"");
	p = load_prog("[supervisord]\nenvironment=FOO=\"set from [supervisord] section\"\n"
		      "[eventlistener:echo]\ncommand=bash -c \"echo '%(ENV_FOO)s' >&2\"\n"
		      "environment=FOO=\"set from [eventlistener] section\"\n"
		      "events=PROCESS_STATE_FATAL\n");
	assert_string_equal(p->command, "bash -c \"echo 'set from [eventlistener] section' >&2\"");
	/* a program above [supervisord]; directory and log files too; an
	 * fcgi socket and [unix_http_server] see [supervisord]'s alone */
	load_ok("[program:a]\ncommand=/bin/%(ENV_P)s\ndirectory=/d/%(ENV_P)s\n"
		"stdout_logfile=/l/%(ENV_S)s.%(ENV_P)s\nenvironment=P=own\n"
		"[fcgi-program:f]\ncommand=/bin/f\nsocket=unix:///tmp/%(ENV_S)s.sock\n"
		"[unix_http_server]\nfile=/tmp/%(ENV_S)s-http.sock\n"
		"[supervisord]\nenvironment=S=sd,P=sd\n");
	const struct program_config *a = &cfg.programs[0];
	assert_string_equal(a->name, "a");
	assert_string_equal(a->command, "/bin/own");
	assert_string_equal(a->directory, "/d/own");
	assert_string_equal(a->stdout_logfile, "/l/sd.own");
	char text[SOCKETS_ADDR_STRLEN];
	sockets_format(cfg.programs[1].fcgi_socket, text, sizeof text);
	assert_string_equal(text, "unix:/tmp/sd.sock");
	assert_string_equal(cfg.unix_http.file, "/tmp/sd-http.sock");
	/* per process, when the environment differs by %(process_num)d */
	p = load_prog("[supervisord]\n[program:q]\ncommand=/bin/q %(ENV_N)s\nnumprocs=2\n"
		      "process_name=q%(process_num)d\nenvironment=N=n%(process_num)d\n");
	struct program_instance v;
	program_config_instance(p, 1, &v);
	assert_string_equal(v.command, "/bin/q n1");
	program_config_instance(p, 0, &v);
	assert_string_equal(v.command, "/bin/q n0");
	/* what supervisord reads before [supervisord] environment does not see
	 * it: [supervisord]'s own keys, [include]; a program's environment
	 * does not see itself */
	expect_errors("[supervisord]\nidentifier=%(ENV_FOO)s\nenvironment=FOO=1\n"
		      "[include]\nfiles=%(ENV_FOO)s.conf\n"
		      "[program:x]\ncommand=x\nenvironment=A=1,B=%(ENV_A)s\n",
		      "t.conf:2: [supervisord]: identifier: unknown name in '%(ENV_FOO)s' (no such "
		      "environment variable)",
		      "t.conf:5: [include]: files: unknown name in '%(ENV_FOO)s' (no such "
		      "environment variable)",
		      "t.conf:8: [program:x]: environment: unknown name in '%(ENV_A)s' (no such "
		      "environment variable)", NULL);
	/* corral's own format: corrald's environment only */
	expect_errors("[program:x]\ncommand=%(ENV_A)s\nenvironment=A=1\n",
		      "t.conf:2: [program:x]: command: unknown name in '%(ENV_A)s' (no such "
		      "environment variable)", NULL);
}

static void test_supervisord_unknown_is_warning(void **state)
{
	/* even above [supervisord], and in any section */
	load_ok("[program:a]\ncommand=x\ncomand=y\n[supervisord]\nlogfil=x\n[weird]\nk=v\n"
		"[unix_http_server]\nfile=/tmp/s.sock\nsockchmod=0700\n");
	assert_int_equal(cfg.nprograms, 1);
	expect_warnings("t.conf:3: [program:a]: unknown key 'comand'",
			"t.conf:5: [supervisord]: unknown key 'logfil'",
			"t.conf:6: [weird]: unknown section",
			"t.conf:10: [unix_http_server]: unknown key 'sockchmod'", NULL);
	/* errors are still errors */
	expect_errors("[supervisord]\n[program:a]\ncommand=x\nstartsecs=-1\nfoo=1\n",
		      "t.conf:4: [program:a]: bad value for startsecs: '-1' (expected an integer "
		      "from 0 to 1000000)", NULL);
	assert_int_equal(errs.nwarnings, 1);
	/* corral's own format: unknown is an error, supervisord's sections still load */
	expect_errors("[supervisorctl]\nserverurl=unix:///tmp/s.sock\nbogus=1\n",
		      "t.conf:3: [supervisorctl]: unknown key 'bogus'", NULL);
}

static void test_supervisord_sections(void **state)
{
	load_ok("[supervisord]\n"                                       /* 1 */
		"[inet_http_server]\nport=127.0.0.1:9001\nusername=u\npassword=p\n" /* 2-5 */
		"[supervisorctl]\nserverurl=http://127.0.0.1:9001\nprompt=x\n"      /* 6-8 */
		"history_file=~/.h\nusername=u\npassword=p\n"                   /* 9-11 */
		"[rpcinterface:supervisor]\n"                                   /* 12 */
		"supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n"
		"retries = 1\n"                                                 /* 14: the factory's */
		"[ctlplugin:x]\nsupervisor.ctl_factory = x:y\n"                 /* 15-16 */
		"[eventlistener:ev]\ncommand=/bin/cat\nevents=TICK_5\n"         /* 17-19 */
		"buffer_size=10\nresult_handler=a:b\nnumprocs=2\n"              /* 20-22 */
		"process_name=%(program_name)s_%(process_num)d\n"               /* 23 */
		"[fcgi-program:f]\ncommand=/bin/true\nsocket=unix:///tmp/f.sock\n" /* 24-26 */
		"socket_backlog=5\nsocket_owner=root:root\nsocket_mode=0760\n"  /* 27-29 */
		"[group:g]\nprograms=p\npriority=5\n[program:p]\ncommand=x\n");
	/* an event listener is a program, first by supervisord's priority; the
	 * FastCGI program is a program with a socket */
	assert_int_equal(cfg.nprograms, 3);
	struct program_config *ev = &cfg.programs[0];
	assert_string_equal(ev->name, "ev");
	assert_true(ev->is_listener);
	assert_int_equal(ev->priority, -1);
	assert_int_equal(ev->process_priority, 999); /* its processes among themselves */
	assert_int_equal(ev->numprocs, 2);
	assert_int_equal(ev->buffer_size, 10);
	assert_int_equal(ev->listener_events, EV_BIT(EV_TICK_5));
	assert_true(ev->stdin_pipe && cfg.programs[1].stdin_pipe && cfg.supervisord);
	const struct program_config *f = &cfg.programs[2]; /* after p, whose group has priority 5 */
	assert_string_equal(f->name, "f");
	assert_true(f->is_fcgi);
	assert_int_equal(f->fcgi_socket->kind, SOCKET_UNIX);
	assert_int_equal(f->fcgi_backlog, 5);
	assert_int_equal(f->fcgi_mode, 0760);
	assert_true(f->fcgi_owner);
	assert_int_equal(f->fcgi_uid, 0);
	/* corrald serves [inet_http_server] and the main rpcinterface itself */
	expect_warnings("t.conf:15: [ctlplugin:x]: supervisorctl plugins are not loaded by corralctl",
			"t.conf:21: [eventlistener:ev]: corral ignores result_handler: only "
			"supervisord's default (OK accepts an event, anything else rejects it) is "
			"supported",
			NULL);
	expect_errors("[supervisord]\n[eventlistener:e]\ncommand=x\nbuffer_size=big\n"
		      "[eventlistener:e]\n",
		      "t.conf:2: [eventlistener:e]: missing events",
		      "t.conf:4: [eventlistener:e]: bad value for buffer_size: 'big' (expected an "
		      "integer from 1 to 100000)",
		      "t.conf:5: [eventlistener:e]: duplicate section (first at t.conf:2)", NULL);
	/* supervisord's other refusals, each at its line */
	expect_errors("[supervisord]\n[eventlistener:e]\ncommand=x\n"
		      "events=PROCESS_STATE, TICK_10\nbuffer_size=0\nredirect_stderr=true\n",
		      "t.conf:2: [eventlistener:e]: redirect_stderr = true is not allowed: it would "
		      "mix stderr into the listener protocol",
		      "t.conf:4: [eventlistener:e]: unknown event type TICK_10 in events",
		      "t.conf:5: [eventlistener:e]: bad value for buffer_size: '0' (expected an "
		      "integer from 1 to 100000)", NULL);
	/* a listener's own priority is both its pool's and its processes' */
	load_ok("[supervisord]\n[eventlistener:e]\ncommand=x\nevents=TICK_5\npriority=3\n");
	assert_int_equal(cfg.programs[0].priority, 3);
	assert_int_equal(cfg.programs[0].process_priority, 3);
	/* corral's own format takes them too; its programs keep /dev/null */
	load_ok("[eventlistener:e]\ncommand=x\nevents=process_state_exited,TICK\n"
		"buffer_size=3\n[program:p]\ncommand=x\n");
	assert_true(cfg.programs[0].is_listener);
	assert_int_equal(cfg.programs[0].listener_events,
			 EV_BIT(EV_PROCESS_STATE_EXITED) | EV_BIT(EV_TICK_5) | EV_BIT(EV_TICK_60) |
				 EV_BIT(EV_TICK_3600));
	assert_int_equal(cfg.programs[0].buffer_size, 3);
	assert_false(cfg.programs[1].stdin_pipe || cfg.supervisord);
}

/* [unix_http_server] and [inet_http_server]: what corrald serves, and its refusals */
static void test_http_servers(void **state)
{
	load_ok("[supervisord]\n[unix_http_server]\nfile=/tmp/x.sock\nchmod=0770\n"
		"[inet_http_server]\nport=9001\nusername=u\n"
		"password={SHA}40BD001563085FC35165329EA1FF5C5ECBDBBEEF\n");
	assert_true(cfg.unix_http.enabled && cfg.inet_http.enabled);
	assert_string_equal(cfg.unix_http.file, "/tmp/x.sock");
	assert_int_equal(cfg.unix_http.chmod, 0770);
	assert_string_equal(cfg.inet_http.host, "");
	assert_string_equal(cfg.inet_http.port, "9001");
	/* compared with lowercase hex */
	assert_string_equal(cfg.inet_http.password, "{SHA}40bd001563085fc35165329ea1ff5c5ecbdbbeef");
	assert_string_equal(cfg.identifier, "supervisor");
	expect_errors("[supervisord]\n[inet_http_server]\nport=*:9001\n"
		      "[unix_http_server]\nchmod=0700\nusername=u\n",
		      "t.conf:2: [inet_http_server]: port *:9001 is reachable from other hosts: set "
		      "username and password, or bind 127.0.0.1",
		      "t.conf:4: [unix_http_server]: missing file (the socket's path)",
		      "t.conf:4: [unix_http_server]: username without password", NULL);
	expect_errors("[supervisord]\n[inet_http_server]\nport=127.0.0.1:99999\n"
		      "[unix_http_server]\nfile=/x\nusername=u\npassword={SHA}abc\n",
		      "t.conf:3: [inet_http_server]: bad value for port: '127.0.0.1:99999' (expected "
		      "[HOST:]PORT with PORT from 1 to 65535)",
		      "t.conf:4: [unix_http_server]: password {SHA}...: expected the SHA-1 of the "
		      "password, 40 hex digits", NULL);
}

static void test_supervisord_program_keys(void **state)
{
	/* every key of supervisord 4.2's [program:x], at its default */
	struct program_config *p = load_prog(
		"[supervisord]\n[program:a]\ncommand=/bin/cat\nprocess_name=%(program_name)s\n"
		"numprocs=1\nnumprocs_start=0\npriority=999\nautostart=true\nstartsecs=1\n"
		"startretries=3\nautorestart=unexpected\nexitcodes=0\nstopsignal=TERM\n"
		"stopwaitsecs=10\nstopasgroup=false\nkillasgroup=false\nredirect_stderr=false\n"
		"stdout_logfile=AUTO\nstdout_logfile_maxbytes=50MB\nstdout_logfile_backups=10\n"
		"stdout_capture_maxbytes=0\nstdout_events_enabled=false\nstdout_syslog=false\n"
		"stderr_logfile=AUTO\nstderr_logfile_maxbytes=50MB\nstderr_logfile_backups=10\n"
		"stderr_capture_maxbytes=0\nstderr_events_enabled=false\nstderr_syslog=false\n"
		"environment=A=1\ndirectory=/tmp\numask=022\nserverurl=AUTO\n");
	assert_int_equal(errs.nwarnings, 0);
	assert_string_equal(p->environment[0], "A=1");
	assert_int_equal(p->umask, 022);
	assert_false(p->events_enabled[0] || p->events_enabled[1]);
	assert_int_equal(p->capture_maxbytes[0], 0);
	p = load_prog("[supervisord]\n[program:a]\ncommand=/bin/cat\nstdout_capture_maxbytes=1MB\n"
		      "stderr_events_enabled=true\nstdout_syslog=true\nserverurl=http://x\n");
	/* the event keys are corral's now */
	assert_int_equal(p->capture_maxbytes[0], 1024 * 1024);
	assert_int_equal(p->capture_maxbytes[1], 0);
	assert_true(p->events_enabled[1]);
	assert_false(p->events_enabled[0]);
	/* and so are the syslog keys */
	assert_true(p->syslog[0]);
	assert_false(p->syslog[1]);
	expect_warnings("t.conf:7: [program:a]: corral ignores serverurl: SUPERVISOR_SERVER_URL is "
			"always corrald's own XML-RPC server",
			NULL);
	/* corral's format takes them too */
	p = load_prog("[program:a]\ncommand=/bin/cat\nstderr_syslog=1\n");
	assert_int_equal(errs.nwarnings, 0);
	assert_true(p->syslog[1]);
	assert_false(p->syslog[0]);
	/* supervisord's old spelling: a log file named syslog is syslog, and no
	 * file, whatever _syslog says (its warning says so) */
	p = load_prog("[supervisord]\n[program:a]\ncommand=/bin/cat\nstdout_logfile=Syslog\n"
		      "stdout_syslog=false\nstderr_logfile=/tmp/e\n");
	assert_true(p->syslog[0]);
	assert_false(p->syslog[1]);
	assert_string_equal(p->stdout_logfile, "NONE");
	assert_string_equal(p->stderr_logfile, "/tmp/e");
	expect_warnings("t.conf:4: [program:a]: stdout_logfile = syslog is deprecated (as in "
			"supervisord): it is stdout_syslog = true without a log file",
			NULL);
	expect_errors("[program:a]\ncommand=x\nstdout_syslog=maybe\nstdout_syslog=1\n",
		      "t.conf:3: [program:a]: bad value for stdout_syslog: 'maybe' (expected true "
		      "or false)",
		      "t.conf:4: [program:a]: duplicate key 'stdout_syslog'", NULL);
}

static void test_supervisord_expansions(void **state)
{
	setenv("CORRAL_TEST_X", "ex", 1);
	char host[256];
	assert_int_equal(gethostname(host, sizeof host), 0);
	host[sizeof host - 1] = '\0';
	/* %(numprocs)d used above numprocs: the section is read whole */
	struct program_config *p = load_prog(
		"[supervisord]\n"
		"[program:w]\n"
		"command=/bin/w %(ENV_CORRAL_TEST_X)s %(host_node_name)s %(numprocs)d "
		"%(group_name)s 100%%\n"
		"process_name=%(program_name)s-%(process_num)03d-of-%(numprocs)d\n"
		"numprocs=2\nnumprocs_start=7\n"
		"environment=X=\"%(ENV_CORRAL_TEST_X)s\",N=%(numprocs)d\n"
		"directory=%(here)s\n");
	char *want = xasprintf("/bin/w ex %s 2 w 100%%", host);
	assert_string_equal(p->command, want);
	free(want);
	assert_string_equal(p->argv[4], "w");
	assert_string_equal(p->environment[0], "X=ex");
	assert_string_equal(p->environment[1], "N=2");
	char name[64];
	assert_int_equal(program_config_process_name(p, 8, name, sizeof name), 0);
	assert_string_equal(name, "w-008-of-2");
	expect_errors("[program:a]\ncommand=%(ENV_CORRAL_TEST_NOT_SET)s\n",
		      "t.conf:2: [program:a]: command: unknown name in '%(ENV_CORRAL_TEST_NOT_SET)s' "
		      "(no such environment variable)", NULL);
	expect_errors("[corral]\nlogdir=/l/%(numprocs)d\n",
		      "t.conf:2: [corral]: logdir: cannot use '%(numprocs)d' outside a program",
		      NULL);
	/* corral's own format keeps environment values as written */
	p = load_prog("[program:a]\ncommand=x\nenvironment=P=100%\n");
	assert_string_equal(p->environment[0], "P=100%");
	unsetenv("CORRAL_TEST_X");
}

static void test_supervisord_process_num_values(void **state)
{
	struct program_config *p = load_prog(
		"[supervisord]\n[program:q]\n"
		"command=/bin/q --id %(process_num)d --of %(numprocs)d\n"
		"numprocs=2\nnumprocs_start=5\nprocess_name=%(program_name)s_%(process_num)d\n"
		"directory=/srv/%(process_num)02d\nstdout_logfile=/l/q-%(process_num)s.log\n"
		"stderr_logfile=/l/q.err\nenvironment=N=\"%(process_num)d\",K=v\n");
	assert_non_null(p->instances);
	struct program_instance v;
	program_config_instance(p, 1, &v);
	assert_string_equal(v.command, "/bin/q --id 6 --of 2");
	assert_string_equal(v.argv[2], "6");
	assert_string_equal(v.directory, "/srv/06");
	assert_string_equal(v.stdout_logfile, "/l/q-6.log");
	assert_string_equal(v.stderr_logfile, "/l/q.err"); /* the program's own */
	assert_string_equal(v.environment[0], "N=6");
	assert_string_equal(v.environment[1], "K=v");
	program_config_instance(p, 0, &v);
	assert_string_equal(v.argv[2], "5");
	assert_string_equal(v.stdout_logfile, "/l/q-5.log");
	/* a reload of the same text changes nothing; another number does */
	struct corral_config a, b;
	struct config_errors e = { 0 };
	const char *t1 = "[supervisord]\n[program:q]\ncommand=/bin/q %(process_num)d\nnumprocs=2\n"
			 "process_name=q%(process_num)d\n";
	const char *t2 = "[supervisord]\n[program:q]\ncommand=/bin/q %(process_num)d\nnumprocs=2\n"
			 "process_name=q%(process_num)d\nnumprocs_start=1\n";
	assert_int_equal(config_load_string("t.conf", t1, &a, &e), 0);
	assert_int_equal(config_load_string("t.conf", t1, &b, &e), 0);
	assert_true(program_config_equal(&a.programs[0], &b.programs[0]));
	config_free(&b);
	assert_int_equal(config_load_string("t.conf", t2, &b, &e), 0);
	assert_false(program_config_equal(&a.programs[0], &b.programs[0]));
	config_free(&a);
	config_free(&b);
	config_errors_free(&e);
	/* no %(process_num): nothing per process */
	p = load_prog("[supervisord]\n[program:q]\ncommand=/bin/q\nnumprocs=2\n"
		      "process_name=q%(process_num)d\n");
	assert_null(p->instances);
	program_config_instance(p, 1, &v);
	assert_string_equal(v.command, "/bin/q");
}

static void test_supervisord_search_path(void **state)
{
	static const char *const want[] = {
		"/opt/sd/bin/../etc/supervisord.conf", "/opt/sd/bin/../supervisord.conf",
		"supervisord.conf", "etc/supervisord.conf", "/etc/supervisord.conf",
		"/etc/supervisor/supervisord.conf",
	};
	char buf[4096];
	size_t i = 0;
	for (; supervisord_search_path(i, "/opt/sd/bin", buf, sizeof buf); i++) {
		assert_true(i < sizeof want / sizeof want[0]);
		assert_string_equal(buf, want[i]);
	}
	assert_int_equal(i, sizeof want / sizeof want[0]);
	assert_false(supervisord_search_path(0, "/opt/sd/bin", buf, 10));
}

static void test_supervisord_sample(void **state)
{
	if (access("tests/fixtures/supervisord/sample.conf", R_OK) != 0)
		skip(); /* run from the repository root */
	config_free(&cfg);
	int rc = config_load("tests/fixtures/supervisord/sample.conf", &cfg, &errs);
	if (rc)
		dump_errors();
	assert_int_equal(rc, 0);
	assert_string_equal(cfg.pidfile, "/tmp/supervisord.pid");
	assert_string_equal(cfg.logfile, "/tmp/supervisord.log");
}

int main(void)
{
#define T(f) cmocka_unit_test_teardown(f, teardown)
#define TT(f) cmocka_unit_test_setup_teardown(f, setup_tmp, teardown_tmp)
	const struct CMUnitTest tests[] = {
		T(test_defaults),
		T(test_empty_config),
		T(test_corral_keys),
		T(test_program_all_keys),
		T(test_colon_separator),
		T(test_booleans),
		T(test_autorestart),
		T(test_scope_keys),
		T(test_groups),
		T(test_main_key),
		T(test_readylog_and_watch_keys),
		T(test_readiness_and_dependency_keys),
		T(test_health_keys),
		T(test_exitcodes),
		T(test_stopsignal),
		T(test_octal),
		T(test_numbers),
		T(test_long_value_in_message),
		T(test_environment),
		T(test_environment_errors),
		T(test_process_name),
		T(test_process_name_formats),
		T(test_process_name_errors),
		T(test_here_expansion),
		T(test_logfiles),
		T(test_inline_comments),
		T(test_continuation_lines),
		T(test_crlf_and_bom),
		T(test_long_lines),
		T(test_long_line_boundaries),
		T(test_long_names),
		T(test_long_comment_and_error_lines),
		T(test_unknown_key),
		T(test_unknown_section),
		T(test_bad_program_name),
		T(test_duplicates),
		T(test_duplicate_process_names),
		T(test_missing_command),
		T(test_command_quotes),
		T(test_syntax_errors),
		T(test_syntax_error_keeps_continuation),
		T(test_socket_too_long),
		T(test_all_errors_collected),
		T(test_too_many_errors),
		T(test_errors_appended),
		T(test_cannot_open),
		T(test_name_rule),
		T(test_dot_names_refused),
		T(test_cgroup_file_names_refused),
		T(test_process_name_paths),
		T(test_full_name_length),
		T(test_log_name_collisions),
		T(test_transient_names),
		TT(test_pseudo_files_refused),
		TT(test_fifo_and_dir_in_glob),
		TT(test_file_size_bounds),
		TT(test_load_file),
		TT(test_includes),
		TT(test_include_errors),
		TT(test_include_cycle),
		TT(test_include_depth),
		TT(test_include_relative_to_cwd),
		T(test_sorted),
		T(test_program_config_equal),
		T(test_config_free_twice),
		T(test_demo_conf),
		T(test_supervisord_main_section),
		T(test_supervisord_carried_out),
		T(test_supervisord_repeated_keys),
		T(test_supervisord_socket_default),
		TT(test_config_socket),
		T(test_supervisord_environment_names),
		T(test_supervisord_unknown_is_warning),
		T(test_supervisord_sections),
		T(test_http_servers),
		T(test_supervisord_program_keys),
		T(test_supervisord_expansions),
		T(test_supervisord_process_num_values),
		T(test_supervisord_search_path),
		T(test_supervisord_sample),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
