/* Unit tests for sandbox/sandbox.c: keys, the checks between them, what
 * `show` says, and the child's steps run for real, in order, in a child,
 * without one allocation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox/sandbox.h"

/* ---- counting allocations ----
 * Outside the sanitizer build, malloc and friends are interposed here, so
 * that libraries' calls (libcap's, libseccomp's) are counted too. ASan has
 * its own allocator in the way; there the count stays 0 and the test that
 * needs it says it cannot tell. */
#if defined(__SANITIZE_ADDRESS__)
#define COUNTING 0
static unsigned long allocations; /* stays 0 */
#else
#define COUNTING 1
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
static volatile unsigned long allocations;
void *malloc(size_t n);
void *calloc(size_t n, size_t m);
void *realloc(void *p, size_t n);
void *malloc(size_t n)
{
	allocations++;
	return __libc_malloc(n);
}
void *calloc(size_t n, size_t m)
{
	allocations++;
	return __libc_calloc(n, m);
}
void *realloc(void *p, size_t n)
{
	allocations++;
	return __libc_realloc(p, n);
}
#endif

static struct sandbox s;

static int setup(void **state)
{
	sandbox_init(&s);
	return 0;
}

static int teardown(void **state)
{
	sandbox_free(&s);
	return 0;
}

static void set_ok(const char *key, const char *value)
{
	char err[256] = "";
	int r = sandbox_set(&s, key, value, err, sizeof err);
	if (r != 0)
		fail_msg("%s = %s: %d %s", key, value, r, err);
}

static void finish_ok(void)
{
	char err[256] = "";
	if (sandbox_finish(&s, err, sizeof err) != 0)
		fail_msg("sandbox_finish: %s", err);
}

static void test_keys(void **state)
{
	(void)state;
	size_t n = 0;
	for (const char *const *k = sandbox_keys; *k; k++, n++)
		assert_true(sandbox_is_key(*k));
	assert_int_equal(n, 28);
	assert_false(sandbox_is_key("command"));
	assert_false(sandbox_is_key("User"));
	assert_true(s.no_new_privs);
	char err[128];
	assert_int_equal(sandbox_set(&s, "command", "x", err, sizeof err), -EINVAL);
}

/* -EDOM: ERR is what was expected; -EINVAL: ERR is the message. */
static void test_error_kinds(void **state)
{
	(void)state;
	char err[256];
	assert_int_equal(sandbox_set(&s, "private_tmp", "maybe", err, sizeof err), -EDOM);
	assert_string_equal(err, "true or false");
	assert_int_equal(sandbox_set(&s, "user", "", err, sizeof err), -EDOM);
	assert_string_equal(err, "a value");
	assert_int_equal(sandbox_set(&s, "rlimit_nofile", "x", err, sizeof err), -EDOM);
	assert_int_equal(sandbox_set(&s, "rlimit_nofile", "9:1", err, sizeof err), -EINVAL);
	assert_string_equal(err, "rlimit_nofile: the soft limit is above the hard limit");
	assert_int_equal(sandbox_set(&s, "seccomp", "nope", err, sizeof err), -EINVAL);
	assert_string_equal(err, "unknown system call 'nope' in seccomp");
	assert_int_equal(sandbox_set(&s, "seccomp_action", "nope", err, sizeof err), -EDOM);
	assert_int_equal(sandbox_set(&s, "memory_max", "1Q", err, sizeof err), -EDOM);
}

/* protect_kernel_tunables: auto is on when capabilities are dropped or a
 * namespace is asked for, and off for a program that does neither. */
static void test_protect_kernel_tunables(void **state)
{
	(void)state;
	char err[256];
	finish_ok();
	assert_false(s.mounts.protect_tunables);
	assert_false(s.ns & NS_MOUNT);
	sandbox_free(&s);

	sandbox_init(&s);
	set_ok("capabilities", "none");
	finish_ok();
	assert_true(s.mounts.protect_tunables);
	assert_true(s.ns & NS_MOUNT);
	sandbox_free(&s);

	sandbox_init(&s);
	set_ok("namespaces", "uts");
	set_ok("protect_kernel_tunables", "no");
	finish_ok();
	assert_false(s.mounts.protect_tunables);
	assert_int_equal(s.ns, NS_UTS);
	sandbox_free(&s);

	sandbox_init(&s);
	set_ok("protect_kernel_tunables", "yes");
	finish_ok();
	assert_true(s.mounts.protect_tunables);
	assert_true(s.ns & NS_MOUNT);
	/* a change of it is a change of the sandbox (a reload restarts) */
	struct sandbox other;
	sandbox_init(&other);
	assert_int_equal(sandbox_finish(&other, err, sizeof err), 0);
	assert_false(sandbox_equal(&s, &other));
	sandbox_free(&other);
	sandbox_free(&s);

	sandbox_init(&s);
	assert_int_equal(sandbox_set(&s, "protect_kernel_tunables", "maybe", err, sizeof err), -EDOM);
	assert_string_equal(err, "auto, true or false");
	set_ok("protect_kernel_tunables", "auto");
	assert_int_equal(s.protect_tunables, -1);
}

static void test_finish_checks(void **state)
{
	(void)state;
	char err[256];
	set_ok("namespaces", "user");
	assert_int_equal(sandbox_finish(&s, err, sizeof err), -EINVAL);
	assert_string_equal(err, "namespaces = user needs user = a user other than root "
				 "(the uid the worker is mapped to)");
	set_ok("user", "root");
	assert_int_equal(sandbox_finish(&s, err, sizeof err), -EINVAL);
	set_ok("user", "nobody");
	finish_ok();
	assert_true(s.finished);
	/* a namespace asked for: the kernel's tunables read-only, in a mount
	 * namespace of its own */
	assert_int_equal(s.ns, NS_USER | NS_MOUNT);
	assert_true(s.mounts.protect_tunables);
	/* the user namespace is made by the child, not clone3 */
	assert_int_equal(sandbox_clone_flags(&s), CLONE_NEWNS);
	sandbox_free(&s);

	sandbox_init(&s);
	set_ok("namespaces", "user");
	set_ok("user", "nobody");
	set_ok("protect_kernel_tunables", "false");
	finish_ok();
	assert_int_equal(s.ns, NS_USER);
	assert_false(s.mounts.protect_tunables);
	assert_int_equal(sandbox_clone_flags(&s), 0);
	sandbox_free(&s);

	sandbox_init(&s);
	set_ok("seccomp_action", "log");
	assert_int_equal(sandbox_finish(&s, err, sizeof err), -EINVAL);
	assert_string_equal(err, "seccomp_action needs seccomp");
	sandbox_free(&s);

	/* no_new_privs off: only a worker that keeps CAP_SYS_ADMIN may load a filter */
	sandbox_init(&s);
	set_ok("seccomp", "@system-service");
	set_ok("no_new_privs", "false");
	finish_ok();
	set_ok("capabilities", "CAP_NET_ADMIN");
	assert_int_equal(sandbox_finish(&s, err, sizeof err), -EINVAL);
	set_ok("capabilities", "CAP_SYS_ADMIN");
	finish_ok();
	set_ok("user", "nobody");
	assert_int_equal(sandbox_finish(&s, err, sizeof err), -EINVAL);
	assert_false(s.finished);
}

static void test_implied(void **state)
{
	(void)state;
	set_ok("namespaces", "pid");
	finish_ok();
	assert_int_equal(s.ns, NS_PID | NS_MOUNT);
	assert_true(sandbox_new_pid(&s));
	assert_int_equal(sandbox_clone_flags(&s), CLONE_NEWPID | CLONE_NEWNS);
	sandbox_free(&s);
	sandbox_init(&s);
	set_ok("inaccessible_paths", "/root");
	finish_ok();
	assert_int_equal(s.ns, NS_MOUNT);
	assert_false(sandbox_new_pid(&s));
	/* capabilities for a non-root user are ambient */
	sandbox_free(&s);
	sandbox_init(&s);
	set_ok("capabilities", "CAP_NET_BIND_SERVICE");
	finish_ok();
	assert_false(s.ambient);
	set_ok("user", "nobody");
	finish_ok();
	assert_true(s.ambient);
}

static void test_equal(void **state)
{
	(void)state;
	struct sandbox t;
	char err[256];
	sandbox_init(&t);
	assert_true(sandbox_equal(&s, &t));
	set_ok("rlimit_core", "0");
	assert_false(sandbox_equal(&s, &t));
	assert_int_equal(sandbox_set(&t, "rlimit_core", "0:0", err, sizeof err), 0);
	assert_true(sandbox_equal(&s, &t));
	set_ok("bind_paths", "/a:/b");
	assert_false(sandbox_equal(&s, &t));
	assert_int_equal(sandbox_set(&t, "bind_paths", "/a:/b:rw", err, sizeof err), 0);
	assert_true(sandbox_equal(&s, &t));
	set_ok("memory_max", "1G");
	assert_int_equal(sandbox_set(&t, "memory_max", "1073741824", err, sizeof err), 0);
	assert_true(sandbox_equal(&s, &t));
	set_ok("strict_limits", "true");
	assert_false(sandbox_equal(&s, &t));
	sandbox_free(&t);
}

/* ---- show ---- */

struct lines {
	char text[16384];
	int n;
};

static void collect(void *ctx, const char *line)
{
	struct lines *l = ctx;
	size_t len = strlen(l->text);
	snprintf(l->text + len, sizeof l->text - len, "%s\n", line);
	l->n++;
}

static void test_show(void **state)
{
	(void)state;
	set_ok("user", "nobody");
	set_ok("capabilities", "CAP_NET_BIND_SERVICE");
	set_ok("seccomp", "@system-service");
	set_ok("seccomp_action", "errno:EPERM");
	set_ok("namespaces", "net pid");
	set_ok("read_only_paths", "/etc");
	set_ok("bind_paths", "-/srv:/mnt:ro");
	set_ok("rlimit_nofile", "1024:2048");
	set_ok("memory_max", "256M");
	set_ok("pids_max", "64");
	finish_ok();
	struct lines l = { "", 0 };
	sandbox_show(&s, 1 << LIMITS_PIDS, collect, &l);
	const char *want[] = {
		"\nno_new_privs: yes\n",
		"\ncapabilities: CAP_NET_BIND_SERVICE (bounding, permitted, effective, ambient)\n",
		"\nnamespaces: pid net mount (mount: implied)\n",
		"\nread_only_paths: /etc\n",
		"\nbind_paths: -/srv:/mnt:ro\n",
		"blocked calls: errno:EPERM\n",
		"\nseccomp allowed: read write ",
		"\naddress_families: AF_UNIX AF_INET AF_INET6 AF_NETLINK\n",
		("\nseccomp rules: clone only without CLONE_NEW* flags, clone3 fails with ENOSYS; "
		 "socket only for address_families; ioctl TIOCSTI and TIOCLINUX fail with EPERM\n"),
		"\nrlimit_nofile: 1024:2048\n",
		"\nmemory_max: 268435456 (memory: NOT ENFORCED)\n",
		"\npids_max: 64 (pids: enforced)\n",
		"\nexposure: ",
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		if (!strstr(l.text, want[i]))
			fail_msg("show lacks %s in:\n%s", want[i], l.text);
	assert_true(strncmp(l.text, "user: nobody (uid ", 18) == 0);
	assert_null(strstr(l.text, "ptrace"));
	/* strict_limits says what will happen */
	set_ok("strict_limits", "yes");
	l.text[0] = '\0';
	sandbox_show(&s, 0, collect, &l);
	assert_non_null(strstr(l.text, "(memory: NOT ENFORCED: the program will not start)"));
	l.text[0] = '\0';
	sandbox_show(&s, -1, collect, &l);
	assert_non_null(strstr(l.text, "(memory: enforcement unknown)"));
}

static void test_exposure(void **state)
{
	(void)state;
	char buf[256];
	int open = sandbox_exposure(&s, buf, sizeof buf);
	assert_int_equal(open, 95); /* no_new_privs is the only measure by default */
	assert_string_equal(buf, "9.5 UNSAFE: runs as root with all capabilities, every system call, "
				 "the host's network, the host's file system");
	set_ok("user", "nobody");
	set_ok("capabilities", "none");
	set_ok("seccomp", "@system-service");
	set_ok("namespaces", "pid net ipc uts cgroup");
	set_ok("private_tmp", "yes");
	set_ok("read_only_paths", "/usr");
	finish_ok();
	int closed = sandbox_exposure(&s, buf, sizeof buf);
	assert_true(closed <= 20);
	assert_non_null(strstr(buf, " OK: runs as nobody with no capabilities, an allow-list of "
				    "system calls, no network, a file system view of its own"));
}

/* ---- the child's steps ---- */

static void test_describe(void **state)
{
	(void)state;
	char buf[256];
	set_ok("user", "nobody");
	set_ok("read_only_paths", "/etc /usr");
	set_ok("capabilities", "CAP_CHOWN");
	finish_ok();
	sandbox_describe(&s, SANDBOX_USER, USERS_SETUID, buf, sizeof buf);
	assert_non_null(strstr(buf, "setresuid "));
	sandbox_describe(&s, SANDBOX_USER, USERS_SETGROUPS, buf, sizeof buf);
	assert_string_equal(buf, "setgroups");
	sandbox_describe(&s, SANDBOX_MOUNTS, 1, buf, sizeof buf);
	assert_string_equal(buf, "read_only_paths /usr");
	sandbox_describe(&s, SANDBOX_MOUNTS, MOUNTS_AT_PROPAGATION, buf, sizeof buf);
	assert_string_equal(buf, "making / private");
	sandbox_describe(&s, SANDBOX_RLIMITS, RLIMITS_CORE, buf, sizeof buf);
	assert_string_equal(buf, "RLIMIT_CORE");
	sandbox_describe(&s, SANDBOX_CAPS, CAPS_AMBIENT * 64 + CAP_CHOWN, buf, sizeof buf);
	assert_string_equal(buf, "raise ambient CAP_CHOWN");
	sandbox_describe(&s, SANDBOX_CAPS, CAPS_SET * 64 + 63, buf, sizeof buf);
	assert_string_equal(buf, "capset");
	sandbox_describe(&s, SANDBOX_USERNS, NS_CALL_UID_MAP, buf, sizeof buf);
	assert_string_equal(buf, "/proc/self/uid_map");
	sandbox_describe(&s, SANDBOX_SECCOMP, 0, buf, sizeof buf);
	assert_string_equal(buf, "");
}

/* Every step, in the spawner's order, in a child made the way clone3 would
 * make it (here: unshare), as root: all succeed, and between the first and
 * the last not one allocation happens. Then the child checks what it got. */
static void test_child_steps(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	set_ok("user", "nobody");
	set_ok("supplementary_groups", "none");
	set_ok("capabilities", "CAP_NET_BIND_SERVICE");
	set_ok("seccomp", "@system-service");
	set_ok("namespaces", "net ipc uts user");
	set_ok("read_only_paths", "/usr");
	set_ok("inaccessible_paths", "/root");
	set_ok("private_tmp", "yes");
	set_ok("rlimit_core", "0");
	set_ok("rlimit_nofile", "64");
	finish_ok();
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int detail = 0, r;
		if (unshare((int)sandbox_clone_flags(&s)) < 0)
			_exit(100);
		unsigned long before = COUNTING ? allocations : 0;
		int (*const steps[])(const struct sandbox *, int *) = {
			sandbox_child_namespaces, sandbox_child_mounts, sandbox_child_rlimits,
			sandbox_child_user, sandbox_child_userns, sandbox_child_caps,
			sandbox_child_nnp, sandbox_child_seccomp,
		};
		for (int i = 0; i < 8; i++)
			if ((r = steps[i](&s, &detail)) < 0)
				_exit(10 + i);
		if (COUNTING && allocations != before)
			_exit(50);
		/* now what it got: */
		if (getuid() != 65534 || geteuid() != 65534)
			_exit(60);
		if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
			_exit(61);
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_BIND_SERVICE, 0, 0) != 1)
			_exit(62);
		struct rlimit rl;
		if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur != 64)
			_exit(63);
		if (access("/usr/.corral-probe", F_OK) == 0 || syscall(SYS_mkdir, "/usr/.corral-probe", 0700) == 0 ||
		    errno != EROFS)
			_exit(64);
		/* and the filter is on: ptrace kills us */
		syscall(SYS_ptrace, 0, 0, 0, 0);
		_exit(65);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFEXITED(status))
		fail_msg("the child exited with %d", WEXITSTATUS(status));
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGSYS);
}

/* The counter sees what libraries allocate: libcap's cap_get_proc does. */
static void test_counter_can_see(void **state)
{
	(void)state;
	if (!COUNTING)
		skip();
#if COUNTING
	unsigned long before = allocations;
	free(malloc(1));
	assert_int_equal(allocations, before + 1);
	before = allocations;
	cap_t c = cap_get_proc();
	assert_non_null(c);
	assert_true(allocations > before);
	cap_free(c);
#endif
}

int main(void)
{
#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_keys),
		T(test_error_kinds),
		T(test_protect_kernel_tunables),
		T(test_finish_checks),
		T(test_implied),
		T(test_equal),
		T(test_show),
		T(test_exposure),
		T(test_describe),
		T(test_child_steps),
		T(test_counter_can_see),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
