/* Unit tests for sandbox/filter.c: the groups, the list and its errors, and
 * real filters installed in children that then make the calls. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <linux/sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox/filter.h"

static struct filter f;

static int teardown(void **state)
{
	filter_free(&f);
	return 0;
}

static void parse_ok(const char *list)
{
	char err[160] = "";
	filter_free(&f);
	if (filter_parse_list(&f, list, err, sizeof err) != 0)
		fail_msg("seccomp = %s: %s", list, err);
}

static int nr(const char *name)
{
	int n = seccomp_syscall_resolve_name(name);
	assert_true(n >= 0);
	return n;
}

/* ---- groups ---- */

/* Every member of every group is a name libseccomp knows, or a group. */
static void test_groups_resolve(void **state)
{
	(void)state;
	for (size_t i = 0; i < filter_group_count(); i++) {
		const char *name = filter_group_name(i);
		assert_int_equal(name[0], '@');
		assert_non_null(filter_group_about(i));
		char list[64];
		snprintf(list, sizeof list, "%s", name);
		parse_ok(list);
		const char *m = filter_group_members(i);
		for (const char *p = m; *p;) {
			p += strspn(p, " ");
			size_t len = strcspn(p, " ");
			if (!len)
				break;
			char word[64];
			snprintf(word, sizeof word, "%.*s", (int)len, p);
			if (word[0] != '@' && seccomp_syscall_resolve_name(word) == __NR_SCMP_ERROR)
				fail_msg("%s: libseccomp does not know '%s'", name, word);
			p += len;
		}
	}
}

/* Every system call of this architecture that libseccomp knows is in a
 * group: the groups cover the whole table. */
static void test_groups_cover_the_table(void **state)
{
	(void)state;
	uint64_t all[FILTER_WORDS] = { 0 };
	for (size_t i = 0; i < filter_group_count(); i++) {
		parse_ok(filter_group_name(i));
		for (int n = 0; n < FILTER_MAX_NR; n++)
			if (filter_allows(&f, n))
				all[n / 64] |= 1ull << (n % 64);
	}
	int missing = 0;
	for (int n = 0; n < FILTER_MAX_NR; n++) {
		char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, n);
		if (!name)
			continue;
		if (!(all[n / 64] >> (n % 64) & 1)) {
			print_message("  %s (%d) is in no group\n", name, n);
			missing++;
		}
		free(name);
	}
	assert_int_equal(missing, 0);
}

/* What @system-service is and is not. */
static void test_system_service(void **state)
{
	(void)state;
	parse_ok("@system-service");
	const char *in[] = { "read", "openat", "execve", "socket", "clone", "clone3", "epoll_wait",
			     "rt_sigaction", "timerfd_create", "futex", "setresuid", "mmap" };
	const char *out[] = { "ptrace", "mount", "unshare", "setns", "keyctl", "bpf",
			      "io_uring_setup", "init_module", "reboot", "swapon",
			      "clock_settime", "perf_event_open", "kexec_load", "iopl",
			      "process_vm_readv", "uselib", "chroot", "pivot_root" };
	for (size_t i = 0; i < sizeof in / sizeof in[0]; i++)
		if (!filter_allows(&f, nr(in[i])))
			fail_msg("@system-service lacks %s", in[i]);
	for (size_t i = 0; i < sizeof out / sizeof out[0]; i++)
		if (filter_allows(&f, nr(out[i])))
			fail_msg("@system-service allows %s", out[i]);
}

/* ---- the list ---- */

static void test_list(void **state)
{
	(void)state;
	/* an allow-list always has @default */
	parse_ok("read");
	assert_true(f.allow_list);
	assert_true(filter_allows(&f, nr("read")));
	assert_true(filter_allows(&f, nr("execve")));
	assert_true(filter_allows(&f, nr("exit_group")));
	assert_false(filter_allows(&f, nr("write")));
	/* denials win, whatever their order */
	parse_ok("~write @basic-io");
	assert_true(filter_allows(&f, nr("read")));
	assert_false(filter_allows(&f, nr("write")));
	/* a '~' may take a call of @default too */
	parse_ok("@basic-io ~execveat");
	assert_false(filter_allows(&f, nr("execveat")));
	/* denials only: a deny-list */
	parse_ok("~@debug ~mount");
	assert_false(f.allow_list);
	assert_true(filter_allows(&f, nr("read")));
	assert_true(filter_allows(&f, nr("io_uring_setup")));
	assert_false(filter_allows(&f, nr("ptrace")));
	assert_false(filter_allows(&f, nr("mount")));
	/* commas, blanks, a name of another architecture (known, no effect) */
	parse_ok("read,write\tclose , socketcall");
	assert_true(filter_allows(&f, nr("close")));
	assert_false(filter_allows(&f, -1));
	assert_false(filter_allows(&f, FILTER_MAX_NR));
}

static void list_bad(const char *list, const char *msg)
{
	char err[160] = "";
	filter_free(&f);
	assert_int_equal(filter_parse_list(&f, list, err, sizeof err), -EINVAL);
	assert_string_equal(err, msg);
	assert_false(f.set);
}

static void test_list_errors(void **state)
{
	(void)state;
	list_bad("@system-service frobnicate", "unknown system call 'frobnicate' in seccomp");
	list_bad("~@bogus", "unknown system call group '@bogus' in seccomp");
	list_bad("@", "unknown system call group '@' in seccomp");
	list_bad("read ~", "'~' without a system call in seccomp");
	list_bad("", "seccomp needs system calls or @groups");
	list_bad(" , ", "seccomp needs system calls or @groups");
	list_bad("Read", "unknown system call 'Read' in seccomp");
}

static void test_action(void **state)
{
	(void)state;
	char err[160], buf[64];
	assert_int_equal(filter_parse_action(&f, "kill", err, sizeof err), 0);
	filter_action_format(&f, buf, sizeof buf);
	assert_string_equal(buf, "kill");
	assert_int_equal(filter_parse_action(&f, "errno:EPERM", err, sizeof err), 0);
	assert_int_equal(f.action, FILTER_ERRNO);
	assert_int_equal(f.errno_value, EPERM);
	filter_action_format(&f, buf, sizeof buf);
	assert_string_equal(buf, "errno:EPERM");
	assert_int_equal(filter_parse_action(&f, "errno:eacces", err, sizeof err), 0);
	assert_int_equal(f.errno_value, EACCES);
	assert_int_equal(filter_parse_action(&f, "errno:38", err, sizeof err), 0);
	assert_int_equal(f.errno_value, ENOSYS);
	assert_int_equal(filter_parse_action(&f, "LOG", err, sizeof err), 0);
	assert_int_equal(f.action, FILTER_LOG);
	assert_int_equal(filter_parse_action(&f, "errno:ENOPE", err, sizeof err), -EDOM);
	assert_int_equal(filter_parse_action(&f, "errno:0", err, sizeof err), -EDOM);
	assert_int_equal(filter_parse_action(&f, "errno:4096", err, sizeof err), -EDOM);
	assert_int_equal(filter_parse_action(&f, "trap", err, sizeof err), -EDOM);
	assert_string_equal(err, "kill, log or errno:NAME");
}

static void test_families(void **state)
{
	(void)state;
	char err[160], buf[128];
	parse_ok("@system-service");
	filter_families_format(&f, buf, sizeof buf);
	assert_string_equal(buf, "AF_UNIX AF_INET AF_INET6 AF_NETLINK");
	assert_int_equal(filter_parse_families(&f, "AF_INET, af_packet", err, sizeof err), 0);
	filter_families_format(&f, buf, sizeof buf);
	assert_string_equal(buf, "AF_INET AF_PACKET");
	assert_int_equal(filter_parse_families(&f, "any", err, sizeof err), 0);
	filter_families_format(&f, buf, sizeof buf);
	assert_string_equal(buf, "any");
	assert_int_equal(filter_parse_families(&f, "none", err, sizeof err), 0);
	filter_families_format(&f, buf, sizeof buf);
	assert_string_equal(buf, "none");
	assert_int_equal(filter_parse_families(&f, "AF_INET AF_BOGUS", err, sizeof err), -EINVAL);
	assert_string_equal(err, "unknown address family 'AF_BOGUS' in address_families");
	assert_int_equal(filter_parse_families(&f, "any AF_INET", err, sizeof err), -EDOM);
	/* a deny-list does not restrict families unless told to */
	filter_free(&f);
	parse_ok("~ptrace");
	filter_families_format(&f, buf, sizeof buf);
	assert_string_equal(buf, "any");
}

static void test_list_format(void **state)
{
	(void)state;
	size_t n = 0;
	parse_ok("~ptrace ~bpf");
	char *s = filter_list_format(&f, &n);
	assert_non_null(s);
	assert_int_equal(n, 2);
	assert_string_equal(s, "ptrace bpf");
	free(s);
	parse_ok("@system-service");
	s = filter_list_format(&f, &n);
	assert_true(n > 200);
	assert_non_null(strstr(s, " openat "));
	assert_null(strstr(s, "ptrace"));
	free(s);
}

static void test_equal(void **state)
{
	(void)state;
	struct filter a = { 0 }, b = { 0 };
	char err[160];
	assert_int_equal(filter_parse_list(&a, "@system-service ~setuid", err, sizeof err), 0);
	assert_int_equal(filter_parse_list(&b, "~setuid @system-service", err, sizeof err), 0);
	assert_true(filter_equal(&a, &b));
	filter_parse_action(&b, "log", err, sizeof err);
	assert_false(filter_equal(&a, &b));
	filter_free(&a);
	filter_free(&b);
}

static void test_audit_parse(void **state)
{
	(void)state;
	pid_t pid;
	int sig, n;
	uint32_t arch;
	const char *rec = "5,346,1843679965,-;audit: type=1326 audit(1795733991.831:2): "
			  "auid=4294967295 uid=0 gid=0 ses=4294967295 pid=32192 comm=\"t\" "
			  "exe=\"/tmp/t\" sig=31 arch=c000003e syscall=110 compat=0 "
			  "ip=0x7ff87d83e4f7 code=0x80000000\n";
	assert_int_equal(filter_audit_parse(rec, &pid, &sig, &arch, &n), 0);
	assert_int_equal(pid, 32192);
	assert_int_equal(sig, SIGSYS);
	assert_int_equal(arch, 0xc000003e);
	assert_int_equal(n, 110);
	/* ppid= must not be read as pid=, and other records are not ours */
	assert_int_equal(filter_audit_parse("audit: type=1326 ppid=5 sig=31 arch=c000003e "
					    "syscall=1", &pid, &sig, &arch, &n), -EINVAL);
	assert_int_equal(filter_audit_parse("audit: type=1300 pid=5 sig=31 arch=c000003e "
					    "syscall=1", &pid, &sig, &arch, &n), -EINVAL);
	assert_int_equal(filter_audit_parse("audit: type=1326 pid=x sig=31 arch=c000003e "
					    "syscall=1", &pid, &sig, &arch, &n), -EINVAL);
	assert_int_equal(filter_audit_parse("", &pid, &sig, &arch, &n), -EINVAL);
}

/* ---- real filters ---- */

struct outcome {
	int signal;     /* the child was killed by it */
	int code;       /* or exited with it */
};

/* Compile LIST with ACTION, install it in a child, run CALL there: the
 * child exits with CALL's errno (0: it worked) or dies. */
static struct outcome run_filtered(const char *list, const char *action, const char *families,
				   long (*call)(void))
{
	char err[160] = "";
	filter_free(&f);
	if (filter_parse_list(&f, list, err, sizeof err) < 0 ||
	    (action && filter_parse_action(&f, action, err, sizeof err) < 0) ||
	    (families && filter_parse_families(&f, families, err, sizeof err) < 0) ||
	    filter_compile(&f, err, sizeof err) < 0)
		fail_msg("%s: %s", list, err);
	assert_true(f.nprogs >= 1);
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || filter_install(&f) < 0)
			_exit(200);
		errno = 0;
		long r = call();
		_exit(r < 0 ? (errno & 0x7f) : 0);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_false(WIFEXITED(status) && WEXITSTATUS(status) == 200);
	struct outcome o = { 0, 0 };
	if (WIFSIGNALED(status))
		o.signal = WTERMSIG(status);
	else
		o.code = WEXITSTATUS(status);
	return o;
}

static long call_getpid(void) { return syscall(SYS_getpid); }
static long call_ptrace(void) { return syscall(SYS_ptrace, 0 /* PTRACE_TRACEME */, 0, 0, 0); }
static long call_mount(void) { return syscall(SYS_mount, "none", "/nonexistent", "tmpfs", 0, 0); }
static long call_unshare(void) { return syscall(SYS_unshare, CLONE_NEWUTS); }
static long call_keyctl(void) { return syscall(SYS_keyctl, 0, 0, 0, 0, 0); }
static long call_bpf(void) { return syscall(SYS_bpf, 0, 0, 0); }
static long call_io_uring(void) { return syscall(SYS_io_uring_setup, 1, 0); }
static long call_packet(void) { return syscall(SYS_socket, AF_PACKET, SOCK_RAW, 0); }
static long call_unix(void)
{
	long fd = syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0);
	return fd < 0 ? fd : close((int)fd);
}
/* AF_UNIX in the low 32 bits, junk above: the kernel reads an int. */
static long call_unix_high(void)
{
	long fd = syscall(SYS_socket, 0x100000000L | AF_UNIX, SOCK_STREAM, 0);
	return fd < 0 ? fd : close((int)fd);
}
static long call_packet_high(void) { return syscall(SYS_socket, 0x700000000L | AF_PACKET, SOCK_RAW, 0); }
/* getpid through the x32 ABI: x86_64's token, bit 30 set. */
static long call_x32(void) { return syscall(0x40000000 | SYS_getpid); }
static long call_clone3(void)
{
	struct clone_args a = { .flags = CLONE_NEWUTS, .exit_signal = SIGCHLD };
	long r = syscall(SYS_clone3, &a, sizeof a);
	if (r == 0)
		_exit(0);
	return r;
}
static long call_clone_ns(void)
{
	long r = syscall(SYS_clone, CLONE_NEWUTS | SIGCHLD, 0, 0, 0, 0);
	if (r == 0)
		_exit(0);
	return r;
}
static long call_clone_plain(void)
{
	long r = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
	if (r == 0)
		_exit(0);
	if (r > 0)
		waitpid((pid_t)r, NULL, 0);
	return r < 0 ? r : 0;
}
static long call_fork(void)
{
	pid_t p = fork(); /* glibc: clone (or clone3, then clone on ENOSYS) */
	if (p == 0)
		_exit(0);
	if (p > 0)
		waitpid(p, NULL, 0);
	return p < 0 ? -1 : 0;
}
/* TIOCSTI on stdin with junk in the high bits of the request: the kernel
 * reads the low 32. A filter comparing 64 bits would let it through. */
static long call_tiocsti_high(void)
{
	char c = 'x';
	return syscall(SYS_ioctl, 0, 0x500000000L | TIOCSTI, &c);
}
static long call_tiocsti(void)
{
	char c = 'x';
	return syscall(SYS_ioctl, 0, (long)TIOCSTI, &c);
}
static long call_fionread(void)
{
	int n, p[2];
	if (pipe(p) < 0)
		return -1;
	return syscall(SYS_ioctl, p[0], (long)FIONREAD, &n);
}

static void expect_killed(struct outcome o, const char *what)
{
	if (o.signal != SIGSYS)
		fail_msg("%s: expected SIGSYS, got signal %d / exit %d", what, o.signal, o.code);
}

static void expect_errno(struct outcome o, int e, const char *what)
{
	if (o.signal || o.code != e)
		fail_msg("%s: expected errno %d, got signal %d / exit %d", what, e, o.signal, o.code);
}

static void test_kill(void **state)
{
	(void)state;
	const char *ss = "@system-service";
	expect_errno(run_filtered(ss, NULL, NULL, call_getpid), 0, "getpid");
	expect_killed(run_filtered(ss, NULL, NULL, call_ptrace), "ptrace");
	expect_killed(run_filtered(ss, NULL, NULL, call_mount), "mount");
	expect_killed(run_filtered(ss, NULL, NULL, call_unshare), "unshare");
	expect_killed(run_filtered(ss, NULL, NULL, call_keyctl), "keyctl");
	expect_killed(run_filtered(ss, NULL, NULL, call_bpf), "bpf");
	expect_killed(run_filtered(ss, NULL, NULL, call_io_uring), "io_uring_setup");
	expect_killed(run_filtered(ss, NULL, NULL, call_packet), "socket(AF_PACKET)");
	expect_killed(run_filtered(ss, NULL, NULL, call_packet_high), "socket(AF_PACKET|high)");
	expect_errno(run_filtered(ss, NULL, NULL, call_unix), 0, "socket(AF_UNIX)");
	expect_errno(run_filtered(ss, NULL, NULL, call_unix_high), 0, "socket(AF_UNIX|high)");
	expect_killed(run_filtered(ss, NULL, NULL, call_x32), "x32 getpid");
	/* kill is the whole process: a sibling thread does not survive it,
	 * which the exit by signal (not by a thread's death) shows */
}

static void test_errno_and_log(void **state)
{
	(void)state;
	const char *ss = "@system-service";
	expect_errno(run_filtered(ss, "errno:EPERM", NULL, call_ptrace), EPERM, "ptrace");
	expect_errno(run_filtered(ss, "errno:EPERM", NULL, call_packet), EPERM, "AF_PACKET");
	expect_errno(run_filtered(ss, "errno:EACCES", NULL, call_bpf), EACCES, "bpf");
	/* log: allowed (the kernel answers keyctl(KEYCTL_GET_KEYRING_ID, 0) EINVAL) */
	expect_errno(run_filtered(ss, "log", NULL, call_keyctl), EINVAL, "keyctl logged");
	/* another architecture is blocked the way the list says */
	expect_errno(run_filtered(ss, "errno:EPERM", NULL, call_x32), EPERM, "x32");
	/* a deny-list blocks only what it names */
	expect_errno(run_filtered("~@debug", "errno:EPERM", NULL, call_ptrace), EPERM, "~@debug");
	expect_errno(run_filtered("~@debug", "errno:EPERM", NULL, call_getpid), 0, "getpid");
	expect_killed(run_filtered("~@debug", NULL, NULL, call_x32), "deny-list x32");
}

static void test_families_rule(void **state)
{
	(void)state;
	expect_errno(run_filtered("@system-service", "errno:EPERM", "AF_INET", call_unix), EPERM,
		     "AF_UNIX not listed");
	/* any: the kernel decides (AF_PACKET as root works, as a user EPERM) */
	struct outcome o = run_filtered("@system-service", "errno:EACCES", "any", call_packet);
	assert_true(o.signal == 0 && o.code != EACCES);
	/* a deny-list with families */
	expect_errno(run_filtered("~ptrace", "errno:EPERM", "AF_INET AF_INET6", call_unix), EPERM,
		     "deny-list AF_UNIX");
	expect_errno(run_filtered("~ptrace", "errno:EPERM", "AF_UNIX", call_unix_high), 0,
		     "deny-list AF_UNIX|high");
}

static void test_namespace_rules(void **state)
{
	(void)state;
	const char *ss = "@system-service";
	/* clone3's flags cannot be seen: ENOSYS, and libc falls back to clone */
	expect_errno(run_filtered(ss, NULL, NULL, call_clone3), ENOSYS, "clone3");
	expect_killed(run_filtered(ss, NULL, NULL, call_clone_ns), "clone(CLONE_NEWUTS)");
	expect_errno(run_filtered(ss, NULL, NULL, call_clone_plain), 0, "clone(SIGCHLD)");
	expect_errno(run_filtered(ss, NULL, NULL, call_fork), 0, "fork()");
	expect_errno(run_filtered(ss, "errno:EPERM", NULL, call_clone_ns), EPERM, "clone errno");
	/* with @namespaces allowed, namespaces are the kernel's business again */
	expect_errno(run_filtered("@system-service @namespaces", NULL, NULL, call_clone_ns),
		     getuid() == 0 ? 0 : EPERM, "clone(CLONE_NEWUTS) allowed");
	expect_errno(run_filtered("@system-service @namespaces", NULL, NULL, call_clone3),
		     getuid() == 0 ? 0 : EPERM, "clone3 allowed");
	/* a deny-list of unshare blocks the clone flags too */
	expect_killed(run_filtered("~unshare", NULL, NULL, call_clone_ns), "deny-list clone");
	expect_errno(run_filtered("~unshare", NULL, NULL, call_clone3), ENOSYS, "deny-list clone3");
	expect_errno(run_filtered("~unshare", NULL, NULL, call_fork), 0, "deny-list fork");
}

static void test_tty_rules(void **state)
{
	(void)state;
	expect_errno(run_filtered("@system-service", NULL, NULL, call_tiocsti), EPERM, "TIOCSTI");
	expect_errno(run_filtered("@system-service", NULL, NULL, call_tiocsti_high), EPERM,
		     "TIOCSTI with high bits");
	expect_errno(run_filtered("@system-service", NULL, NULL, call_fionread), 0, "FIONREAD");
	expect_errno(run_filtered("~ptrace", NULL, NULL, call_tiocsti_high), EPERM,
		     "deny-list TIOCSTI");
	/* two filters: the tty one first, so it may install the main one */
	parse_ok("@system-service");
	char err[160];
	assert_int_equal(filter_compile(&f, err, sizeof err), 0);
	assert_int_equal(f.nprogs, 2);
	/* no ioctl at all: no tty filter */
	parse_ok("read");
	assert_int_equal(filter_compile(&f, err, sizeof err), 0);
	assert_int_equal(f.nprogs, 1);
}

/* A filter the size of @system-service, compiled: well below the kernel's
 * limit of instructions. */
static void test_compile_size(void **state)
{
	(void)state;
	char err[160];
	parse_ok("@system-service @io-uring @namespaces");
	assert_int_equal(filter_compile(&f, err, sizeof err), 0);
	assert_true(f.progs[f.nprogs - 1].len > 50);
	assert_true(f.progs[f.nprogs - 1].len < 4096);
	/* compiling again replaces, never leaks (ASan would say) */
	assert_int_equal(filter_compile(&f, err, sizeof err), 0);
}

int main(void)
{
#define T(t) cmocka_unit_test_teardown(t, teardown)
	const struct CMUnitTest tests[] = {
		T(test_groups_resolve),
		T(test_groups_cover_the_table),
		T(test_system_service),
		T(test_list),
		T(test_list_errors),
		T(test_action),
		T(test_families),
		T(test_list_format),
		T(test_equal),
		T(test_audit_parse),
		T(test_kill),
		T(test_errno_and_log),
		T(test_families_rule),
		T(test_namespace_rules),
		T(test_tty_rules),
		T(test_compile_size),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
