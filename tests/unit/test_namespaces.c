/* Unit tests for sandbox/namespaces.c */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <grp.h>
#include <stdbool.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox/namespaces.h"

static void test_parse(void **state)
{
	(void)state;
	unsigned m = 0;
	char err[160], buf[128];
	assert_int_equal(namespaces_parse("pid net", &m, err, sizeof err), 0);
	assert_int_equal(m, NS_PID | NS_NET);
	assert_int_equal(namespaces_parse("cgroup,user  mount\tuts ipc pid net", &m, err, sizeof err), 0);
	assert_int_equal(m, NS_PID | NS_NET | NS_IPC | NS_UTS | NS_MOUNT | NS_USER | NS_CGROUP);
	namespaces_format(m, buf, sizeof buf);
	assert_string_equal(buf, "pid net ipc uts mount user cgroup");
	namespaces_format(0, buf, sizeof buf);
	assert_string_equal(buf, "none");
	m = 7;
	assert_int_equal(namespaces_parse("pid Net", &m, err, sizeof err), -EINVAL);
	assert_string_equal(err, "unknown namespace 'Net' (expected pid, net, ipc, uts, mount, user "
				 "or cgroup)");
	assert_int_equal(m, 7);
	assert_int_equal(namespaces_parse("  ", &m, err, sizeof err), -EINVAL);
}

static void test_clone_flags(void **state)
{
	(void)state;
	assert_int_equal(namespaces_clone_flags(NS_PID | NS_NET | NS_USER),
			 CLONE_NEWPID | CLONE_NEWNET);
	assert_int_equal(namespaces_clone_flags(NS_IPC | NS_UTS | NS_MOUNT | NS_CGROUP),
			 CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNS | CLONE_NEWCGROUP);
	assert_int_equal(namespaces_clone_flags(NS_USER), 0);
	assert_string_equal(namespaces_call_name(NS_CALL_UID_MAP), "/proc/self/uid_map");
}

static int child_status(pid_t pid)
{
	int status;
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* In a new network namespace lo starts down; after the call it is up. */
static void test_loopback(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (unshare(CLONE_NEWNET) < 0)
			_exit(1);
		int fd = socket(AF_INET, SOCK_DGRAM, 0);
		struct ifreq ifr = { 0 };
		strcpy(ifr.ifr_name, "lo");
		if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0 || (ifr.ifr_flags & IFF_UP))
			_exit(2);
		if (namespaces_loopback_up() != 0)
			_exit(3);
		if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0 || !(ifr.ifr_flags & IFF_UP))
			_exit(4);
		/* up already: nothing to do, no error */
		_exit(namespaces_loopback_up() == 0 ? 0 : 5);
	}
	assert_int_equal(child_status(pid), 0);
}

static int read_map(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

/* Become nobody, as users_apply does (DUMPABLE: and stay dumpable). */
static void become_nobody(bool dumpable)
{
	if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
	    setresuid(65534, 65534, 65534) < 0)
		_exit(90);
	if (dumpable && prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
		_exit(91);
}

/* As nobody, a user namespace that maps nobody to itself and nothing else. */
static void test_enter_user(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int failed = -1;
		char map[128];
		unsigned in, out, count;
		become_nobody(true);
		if (namespaces_enter_user(65534, 65534, &failed) != 0)
			_exit(10 + failed);
		if (read_map("/proc/self/uid_map", map, sizeof map) < 0)
			_exit(4);
		if (sscanf(map, "%u %u %u", &in, &out, &count) != 3 || in != 65534 || out != 65534 ||
		    count != 1 || strchr(map, '\n') != map + strlen(map) - 1)
			_exit(5);
		if (read_map("/proc/self/gid_map", map, sizeof map) < 0 ||
		    sscanf(map, "%u %u %u", &in, &out, &count) != 3 || in != 65534 || count != 1)
			_exit(6);
		if (getuid() != 65534)
			_exit(7);
		_exit(0);
	}
	assert_int_equal(child_status(pid), 0);
}

/* Undumpable after the change of uid, the process cannot write its own
 * map files: the step says which file refused. */
static void test_enter_user_failure(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int failed = -1;
		become_nobody(false);
		int r = namespaces_enter_user(65534, 65534, &failed);
		_exit(r == -EACCES && failed == NS_CALL_SETGROUPS ? 0 : 1);
	}
	assert_int_equal(child_status(pid), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_clone_flags),
		cmocka_unit_test(test_loopback),
		cmocka_unit_test(test_enter_user),
		cmocka_unit_test(test_enter_user_failure),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
