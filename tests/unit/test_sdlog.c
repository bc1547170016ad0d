/* Unit tests for supervisor/sdlog.c: supervisord's words for wait statuses,
 * signals and spawn errors, and the lines at its levels; and for
 * spawn_check_command (supervisor/spawn.c), its checks of a command. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "supervisor/sdlog.h"
#include "supervisor/spawn.h"

static void test_signal_names(void **state)
{
	(void)state;
	char b[32];
	assert_string_equal(sdlog_signame(SIGTERM, b, sizeof b), "SIGTERM");
	assert_string_equal(sdlog_signame(SIGIO, b, sizeof b), "SIGPOLL"); /* Python's name */
	assert_string_equal(sdlog_signame(SIGRTMIN, b, sizeof b), "SIGRTMIN");
	assert_string_equal(sdlog_signame(SIGRTMIN + 6, b, sizeof b), "signal 40");
	assert_string_equal(sdlog_signame(SIGRTMAX, b, sizeof b), "SIGRTMAX");
}

static void test_wait_status(void **state)
{
	(void)state;
	char b[64];
	sdlog_wait_status(3, 0, false, b, sizeof b);
	assert_string_equal(b, "exit status 3");
	sdlog_wait_status(-1, SIGSEGV, true, b, sizeof b);
	assert_string_equal(b, "terminated by SIGSEGV (core dumped)");
	sdlog_wait_status(-1, SIGKILL, false, b, sizeof b);
	assert_string_equal(b, "terminated by SIGKILL");
}

static void test_spawn_words(void **state)
{
	(void)state;
	char b[128];
	assert_string_equal(sdlog_spawn_words("web", EMFILE, false, b, sizeof b),
			    "too many open files to spawn 'web'");
	assert_string_equal(sdlog_spawn_words("web", EAGAIN, true, b, sizeof b),
			    "Too many processes in process table to spawn 'web'");
	assert_string_equal(sdlog_spawn_words("web", ENOMEM, true, b, sizeof b),
			    "unknown error during fork for 'web': ENOMEM");
	assert_null(sdlog_spawn_words("web", ENOENT, false, b, sizeof b));
}

/* What the calls write to stderr, with the time stamp cut off. */
static char *captured(void (*fn)(void))
{
	char path[] = "/tmp/corral-test-sdlog-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	fflush(stderr);
	int saved = dup(2);
	assert_true(saved >= 0 && dup2(fd, 2) == 2);
	fn();
	fflush(stderr);
	assert_true(dup2(saved, 2) == 2);
	close(saved);
	static char text[4096];
	ssize_t n = pread(fd, text, sizeof text - 1, 0);
	close(fd);
	assert_true(n >= 0);
	text[n] = '\0';
	/* "2026-01-02 03:04:05 corrald info: ..." -> "corrald info: ..." */
	char *out = text, *w = text;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		char *c = strstr(line, "corrald ");
		size_t len = strlen(c ? c : line);
		memmove(w, c ? c : line, len);
		w += len;
		*w++ = '\n';
	}
	*w = '\0';
	return out;
}

static void exits(void)
{
	sdlog_exit("web", PEXIT_EXPECTED, true, 0, 0, false);
	sdlog_exit("web", PEXIT_UNEXPECTED, false, 3, 0, false);
	sdlog_exit("web", PEXIT_FAILED_START, true, 0, 0, false);
	sdlog_exit("web", PEXIT_STOPPED, false, -1, SIGTERM, false);
	sdlog_exit("web", PEXIT_STOPPED, true, 0, 0, false);
	sdlog_exit("web", PEXIT_NONE, true, 0, 0, false);
}

static void test_exit_lines(void **state)
{
	(void)state;
	assert_string_equal(captured(exits),
			    "corrald info: exited: web (exit status 0; expected)\n"
			    "corrald warning: exited: web (exit status 3; not expected)\n"
			    "corrald warning: exited: web (exit status 0; not expected)\n"
			    "corrald warning: stopped: web (terminated by SIGTERM)\n"
			    "corrald info: stopped: web (exit status 0)\n");
}

static void others(void)
{
	struct program_config c;
	memset(&c, 0, sizeof c);
	c.startsecs = 1;
	sdlog_running("web", &c);
	c.ready = READY_FD;
	c.ready_fd = 3;
	sdlog_running("web", &c);
	sdlog_gave_up("web");
	sdlog_spawned("web", 42);
	sdlog_killing("web", 42);
	sdlog_signal(SIGTERM, false);
	sdlog_signal(SIGHUP, true);
	sdlog_signal(SIGCHLD, false); /* nothing at these levels */
	sdlog_stray(43, -1, SIGKILL, false);
}

static void test_other_lines(void **state)
{
	(void)state;
	assert_string_equal(captured(others),
			    "corrald info: success: web entered RUNNING state, process has stayed "
			    "up for > than 1 seconds (startsecs)\n"
			    "corrald info: success: web entered RUNNING state, process said it is "
			    "ready (ready = fd:3)\n"
			    "corrald info: gave up: web entered FATAL state, too many start retries "
			    "too quickly\n"
			    "corrald info: spawned: 'web' with pid 42\n"
			    "corrald warning: killing 'web' (42) with SIGKILL\n"
			    "corrald warning: received SIGTERM indicating exit request\n"
			    "corrald warning: ignored SIGHUP indicating restart request (shutdown in "
			    "progress)\n"
			    "corrald info: reaped unknown pid 43 (terminated by SIGKILL)\n");
}

/* supervisord's checks before a fork, and its quoting (Python's repr). */
static void test_check_command(void **state)
{
	(void)state;
	char dir[] = "/tmp/corral-test-cmd-XXXXXX", path[256], why[512];
	assert_non_null(mkdtemp(dir));
	char env0[300];
	snprintf(env0, sizeof env0, "PATH=/nonexistent-dir:%s", dir);
	char *env[] = { env0, NULL };

	assert_int_equal(spawn_check_command("corral-no-such", env, why, sizeof why), -ENOENT);
	assert_string_equal(why, "can't find command 'corral-no-such'");
	assert_int_equal(spawn_check_command("it's", env, why, sizeof why), -ENOENT);
	assert_string_equal(why, "can't find command \"it's\"");
	assert_int_equal(spawn_check_command("/nonexistent/x", env, why, sizeof why), -ENOENT);
	assert_string_equal(why, "can't find command '/nonexistent/x'");

	snprintf(path, sizeof path, "%s/plain", dir);
	int fd = open(path, O_CREAT | O_WRONLY, 0644);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(spawn_check_command("plain", env, why, sizeof why), -EACCES);
	char want[512];
	snprintf(want, sizeof want, "command at '%s' is not executable", path);
	assert_string_equal(why, want);
	assert_int_equal(chmod(path, 0755), 0);
	assert_int_equal(spawn_check_command("plain", env, why, sizeof why), 0);
	unlink(path);

	snprintf(path, sizeof path, "%s/sub", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(spawn_check_command(path, env, why, sizeof why), -EACCES);
	snprintf(want, sizeof want, "command at '%s' is a directory", path);
	assert_string_equal(why, want);
	rmdir(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signal_names),
		cmocka_unit_test(test_wait_status),
		cmocka_unit_test(test_spawn_words),
		cmocka_unit_test(test_exit_lines),
		cmocka_unit_test(test_other_lines),
		cmocka_unit_test(test_check_command),
	};
	return cmocka_run_group_tests_name("sdlog", tests, NULL, NULL);
}
