#include "sandbox/filter.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* ---- groups --------------------------------------------------------------
 *
 * Built by purpose from the kernel's x86_64 system call table
 * (arch/x86/entry/syscalls/syscall_64.tbl) with the names libseccomp uses;
 * every call of that table is in exactly one of the purpose groups below
 * @system-service, or in one of the groups that are left out of it on
 * purpose. A few names of other architectures are listed where they share
 * a purpose; on x86_64 they have no effect. */

static const struct group {
	const char *name, *about, *members;
} groups[] = {
	{ "@default", "what every process needs to start, run and exit",
	  "execve execveat exit exit_group rt_sigreturn restart_syscall brk mmap munmap "
	  "mprotect mremap madvise arch_prctl set_tid_address set_robust_list "
	  "get_robust_list rseq set_thread_area get_thread_area futex futex_waitv "
	  "futex_wake futex_wait futex_requeue getpid gettid getppid getuid geteuid getgid "
	  "getegid getresuid getresgid getgroups getrandom clock_gettime clock_getres "
	  "clock_nanosleep gettimeofday time nanosleep sched_yield getcpu membarrier "
	  "getrlimit prlimit64 uname sysinfo" },
	{ "@basic-io", "reading, writing and moving data through open descriptors",
	  "read write readv writev pread64 pwrite64 preadv pwritev preadv2 pwritev2 lseek "
	  "close close_range dup dup2 dup3 pipe pipe2 sendfile splice tee vmsplice "
	  "copy_file_range fcntl ioctl readahead fadvise64 cachestat" },
	{ "@file-system", "naming, opening and describing files and directories",
	  "open openat openat2 creat stat lstat fstat newfstatat statx statfs fstatfs access "
	  "faccessat faccessat2 getcwd chdir fchdir mkdir mkdirat rmdir rename renameat "
	  "renameat2 link linkat symlink symlinkat unlink unlinkat readlink readlinkat chmod "
	  "fchmod fchmodat fchmodat2 truncate ftruncate fallocate getdents getdents64 utime "
	  "utimes utimensat futimesat mknod mknodat umask flock inotify_init inotify_init1 "
	  "inotify_add_watch inotify_rm_watch getxattr lgetxattr fgetxattr listxattr "
	  "llistxattr flistxattr setxattr lsetxattr fsetxattr removexattr lremovexattr "
	  "fremovexattr name_to_handle_at" },
	{ "@chown", "changing the owner of files", "chown fchown lchown fchownat" },
	{ "@sync", "flushing data to storage",
	  "sync syncfs fsync fdatasync sync_file_range msync" },
	{ "@io-event", "waiting for descriptors to be ready",
	  "poll ppoll select pselect6 epoll_create epoll_create1 epoll_ctl epoll_wait "
	  "epoll_pwait epoll_pwait2 eventfd eventfd2" },
	{ "@aio", "the kernel's asynchronous I/O (io_submit)",
	  "io_setup io_destroy io_getevents io_pgetevents io_submit io_cancel" },
	{ "@network-io", "sockets (socket() only for address_families)",
	  "socket socketpair bind listen accept accept4 connect getsockname getpeername "
	  "getsockopt setsockopt sendto recvfrom sendmsg recvmsg sendmmsg recvmmsg shutdown" },
	{ "@process", "creating, waiting for and describing processes and threads",
	  "clone clone3 fork vfork wait4 waitid prctl setpgid setsid getpgrp getpgid getsid "
	  "capget capset personality pidfd_open process_mrelease times getrusage "
	  "sched_getaffinity sched_setaffinity sched_getparam sched_getscheduler "
	  "sched_getattr sched_get_priority_max sched_get_priority_min sched_rr_get_interval "
	  "seccomp landlock_create_ruleset landlock_add_rule landlock_restrict_self" },
	{ "@signal", "sending, waiting for and handling signals",
	  "rt_sigaction rt_sigprocmask rt_sigpending rt_sigtimedwait rt_sigqueueinfo "
	  "rt_tgsigqueueinfo rt_sigsuspend sigaltstack signalfd signalfd4 kill tkill tgkill "
	  "pause pidfd_send_signal" },
	{ "@timer", "timers and alarms",
	  "alarm getitimer setitimer timer_create timer_settime timer_gettime "
	  "timer_getoverrun timer_delete timerfd_create timerfd_settime timerfd_gettime" },
	{ "@ipc", "System V and POSIX message queues, semaphores and shared memory",
	  "shmget shmat shmdt shmctl semget semop semtimedop semctl msgget msgsnd msgrcv "
	  "msgctl mq_open mq_unlink mq_timedsend mq_timedreceive mq_notify mq_getsetattr" },
	{ "@memory", "locking, placing and sharing memory",
	  "mlock mlock2 munlock mlockall munlockall mincore mbind get_mempolicy "
	  "set_mempolicy set_mempolicy_home_node migrate_pages move_pages memfd_create "
	  "memfd_secret pkey_mprotect pkey_alloc pkey_free map_shadow_stack" },
	{ "@credentials", "changing the process's own user and groups",
	  "setuid setgid setreuid setregid setresuid setresgid setfsuid setfsgid setgroups" },
	{ "@resources", "limits, priorities and scheduling policies",
	  "setrlimit getpriority setpriority sched_setparam sched_setscheduler "
	  "sched_setattr ioprio_get ioprio_set" },
	{ "@system-service", "what a typical service needs: the groups above",
	  "@default @basic-io @file-system @chown @sync @io-event @aio @network-io @process "
	  "@signal @timer @ipc @memory @credentials @resources" },
	/* Left out of @system-service: */
	{ "@io-uring", "io_uring, a second way into much of the kernel that filters cannot see",
	  "io_uring_setup io_uring_enter io_uring_register" },
	{ "@namespaces", "creating and joining namespaces", "unshare setns" },
	{ "@mount", "mounting and changing the root",
	  "mount umount2 pivot_root chroot open_tree move_mount fsopen fsconfig fsmount "
	  "fspick mount_setattr" },
	{ "@module", "loading kernel modules",
	  "init_module finit_module delete_module create_module query_module "
	  "get_kernel_syms" },
	{ "@raw-io", "raw access to I/O ports and devices",
	  "ioperm iopl pciconfig_iobase pciconfig_read pciconfig_write" },
	{ "@reboot", "rebooting and loading a new kernel",
	  "reboot kexec_load kexec_file_load" },
	{ "@swap", "enabling and disabling swap", "swapon swapoff" },
	{ "@clock", "setting the system clock",
	  "adjtimex clock_adjtime settimeofday clock_settime stime" },
	{ "@debug", "tracing and inspecting other processes",
	  "ptrace perf_event_open process_vm_readv process_vm_writev kcmp pidfd_getfd "
	  "process_madvise" },
	{ "@keyring", "the kernel's key retention service", "add_key request_key keyctl" },
	{ "@bpf", "loading BPF programs", "bpf" },
	{ "@cpu-emulation", "old CPU modes and segment tables", "modify_ldt vm86 vm86old" },
	{ "@obsolete", "calls no current program should make",
	  "uselib _sysctl ustat sysfs afs_syscall tuxcall security getpmsg putpmsg vserver "
	  "create_module get_kernel_syms query_module nfsservctl remap_file_pages "
	  "epoll_ctl_old epoll_wait_old lookup_dcookie bdflush idle" },
	{ "@privileged", "calls that need a capability to do anything useful",
	  "@clock @module @mount @raw-io @reboot @swap @bpf acct quotactl quotactl_fd "
	  "sethostname setdomainname vhangup open_by_handle_at syslog fanotify_init "
	  "fanotify_mark userfaultfd" },
};
#define NGROUPS (sizeof groups / sizeof groups[0])
#define MAX_GROUP_DEPTH 4

size_t filter_group_count(void)
{
	return NGROUPS;
}

const char *filter_group_name(size_t i)
{
	return i < NGROUPS ? groups[i].name : NULL;
}

const char *filter_group_members(size_t i)
{
	return i < NGROUPS ? groups[i].members : NULL;
}

const char *filter_group_about(size_t i)
{
	return i < NGROUPS ? groups[i].about : NULL;
}

static const struct group *syscall_group_find(const char *name, size_t len)
{
	for (size_t i = 0; i < NGROUPS; i++)
		if (strlen(groups[i].name) == len && strncmp(groups[i].name, name, len) == 0)
			return &groups[i];
	return NULL;
}

static void bit_set(uint64_t *set, int nr)
{
	set[nr / 64] |= 1ull << (nr % 64);
}

static bool bit_get(const uint64_t *set, int nr)
{
	return nr >= 0 && nr < FILTER_MAX_NR && (set[nr / 64] >> (nr % 64) & 1);
}

/* Add the system call NAME (LEN bytes) to SET. A name libseccomp knows but
 * this architecture does not have is accepted and does nothing. */
static int add_name(uint64_t *set, const char *name, size_t len)
{
	char buf[64];
	if (len >= sizeof buf)
		return -ENOENT;
	memcpy(buf, name, len);
	buf[len] = '\0';
	int nr = seccomp_syscall_resolve_name(buf);
	if (nr == __NR_SCMP_ERROR)
		return -ENOENT;
	if (nr >= 0 && nr < FILTER_MAX_NR)
		bit_set(set, nr);
	return 0;
}

/* Add group G's members to SET. -ENOENT (with the bad member in ERR) only
 * for a broken table, which the unit tests rule out. */
static int add_group(uint64_t *set, const struct group *g, int depth)
{
	if (depth > MAX_GROUP_DEPTH)
		return -ELOOP;
	for (const char *p = g->members; *p;) {
		p += strspn(p, " ");
		size_t len = strcspn(p, " ");
		if (!len)
			break;
		int r;
		if (*p == '@') {
			const struct group *sub = syscall_group_find(p, len);
			r = sub ? add_group(set, sub, depth + 1) : -ENOENT;
		} else {
			r = add_name(set, p, len);
		}
		if (r < 0)
			return r;
		p += len;
	}
	return 0;
}

int filter_parse_list(struct filter *f, const char *value, char *err, size_t errlen)
{
	uint64_t allow[FILTER_WORDS] = { 0 }, deny[FILTER_WORDS] = { 0 };
	bool any_allow = false, any = false;
	for (const char *p = value; *p;) {
		p += strspn(p, " \t,");
		size_t len = strcspn(p, " \t,");
		if (!len)
			break;
		const char *word = p;
		p += len;
		bool neg = *word == '~';
		if (neg) {
			word++;
			len--;
		}
		if (!len) {
			snprintf(err, errlen, "'~' without a system call in seccomp");
			return -EINVAL;
		}
		uint64_t *set = neg ? deny : allow;
		any = true;
		any_allow |= !neg;
		if (*word == '@') {
			const struct group *g = syscall_group_find(word, len);
			if (!g) {
				snprintf(err, errlen, "unknown system call group '%.*s' in seccomp",
					 (int)(len > 64 ? 64 : len), word);
				return -EINVAL;
			}
			int r = add_group(set, g, 0);
			if (r < 0) {
				snprintf(err, errlen, "system call group %s: %s", g->name, strerror(-r));
				return -EINVAL;
			}
		} else if (add_name(set, word, len) < 0) {
			snprintf(err, errlen, "unknown system call '%.*s' in seccomp",
				 (int)(len > 64 ? 64 : len), word);
			return -EINVAL;
		}
	}
	if (!any) {
		snprintf(err, errlen, "seccomp needs system calls or @groups");
		return -EINVAL;
	}
	if (any_allow) {
		/* @default always: a filter that kills the exec it runs before
		 * helps nobody. A '~' may still take one of its calls away. */
		int r = add_group(allow, syscall_group_find("@default", 8), 0);
		if (r < 0)
			return r;
	}
	f->set = f->has_list = true;
	f->allow_list = any_allow;
	memcpy(f->allowed, allow, sizeof allow);
	memcpy(f->denied, deny, sizeof deny);
	return 0;
}

bool filter_allows(const struct filter *f, int nr)
{
	if (bit_get(f->denied, nr))
		return false;
	return f->allow_list ? bit_get(f->allowed, nr) : true;
}

/* ---- actions ---------------------------------------------------------- */

static int errno_number(const char *s)
{
	if (*s >= '0' && *s <= '9') {
		int n = 0;
		for (; *s; s++) {
			if (*s < '0' || *s > '9' || n > 4095)
				return -1;
			n = n * 10 + (*s - '0');
		}
		return n >= 1 && n <= 4095 ? n : -1;
	}
	for (int e = 1; e < 4096; e++) {
		const char *name = strerrorname_np(e);
		if (name && strcasecmp(name, s) == 0)
			return e;
	}
	return -1;
}

int filter_parse_action(struct filter *f, const char *value, char *err, size_t errlen)
{
	if (strcasecmp(value, "kill") == 0) {
		f->action = FILTER_KILL;
	} else if (strcasecmp(value, "log") == 0) {
		f->action = FILTER_LOG;
	} else if (strncasecmp(value, "errno:", 6) == 0) {
		int e = errno_number(value + 6);
		if (e < 0) {
			snprintf(err, errlen, "kill, log or errno:NAME (an errno name such as EPERM, or "
					      "a number from 1 to 4095)");
			return -EDOM;
		}
		f->action = FILTER_ERRNO;
		f->errno_value = e;
	} else {
		snprintf(err, errlen, "kill, log or errno:NAME");
		return -EDOM;
	}
	f->has_action = true;
	return 0;
}

void filter_action_format(const struct filter *f, char *buf, size_t len)
{
	switch (f->action) {
	case FILTER_KILL:
		snprintf(buf, len, "kill");
		break;
	case FILTER_LOG:
		snprintf(buf, len, "log");
		break;
	case FILTER_ERRNO: {
		const char *name = strerrorname_np(f->errno_value);
		if (name)
			snprintf(buf, len, "errno:%s", name);
		else
			snprintf(buf, len, "errno:%d", f->errno_value);
		break;
	}
	}
}

/* ---- address families ------------------------------------------------- */

static const struct {
	const char *name;
	int af;
} families[] = {
	{ "AF_UNIX", AF_UNIX }, { "AF_LOCAL", AF_LOCAL }, { "AF_INET", AF_INET },
	{ "AF_INET6", AF_INET6 }, { "AF_NETLINK", AF_NETLINK }, { "AF_PACKET", AF_PACKET },
	{ "AF_KEY", AF_KEY }, { "AF_ALG", AF_ALG }, { "AF_VSOCK", AF_VSOCK },
	{ "AF_BLUETOOTH", AF_BLUETOOTH }, { "AF_CAN", AF_CAN }, { "AF_TIPC", AF_TIPC },
	{ "AF_XDP", AF_XDP }, { "AF_RDS", AF_RDS }, { "AF_LLC", AF_LLC }, { "AF_IB", AF_IB },
	{ "AF_MPLS", AF_MPLS }, { "AF_QIPCRTR", AF_QIPCRTR }, { "AF_SMC", AF_SMC },
	{ "AF_NFC", AF_NFC }, { "AF_APPLETALK", AF_APPLETALK }, { "AF_X25", AF_X25 },
	{ "AF_AX25", AF_AX25 }, { "AF_IPX", AF_IPX }, { "AF_PPPOX", AF_PPPOX },
	{ "AF_RXRPC", AF_RXRPC }, { "AF_ISDN", AF_ISDN }, { "AF_PHONET", AF_PHONET },
	{ "AF_IEEE802154", AF_IEEE802154 }, { "AF_CAIF", AF_CAIF }, { "AF_KCM", AF_KCM },
};
#define NFAMILIES (sizeof families / sizeof families[0])

/* An allow-list that names socket but not the families: what services use. */
static const uint64_t default_families =
	1ull << AF_UNIX | 1ull << AF_INET | 1ull << AF_INET6 | 1ull << AF_NETLINK;

int filter_parse_families(struct filter *f, const char *value, char *err, size_t errlen)
{
	uint64_t mask = 0;
	bool any = false;
	size_t words = 0;
	for (const char *p = value; *p;) {
		p += strspn(p, " \t,");
		size_t len = strcspn(p, " \t,");
		if (!len)
			break;
		words++;
		if (len == 3 && strncasecmp(p, "any", 3) == 0) {
			any = true;
		} else if (len == 4 && strncasecmp(p, "none", 4) == 0) {
			/* nothing: no socket() at all */
		} else {
			size_t i = 0;
			for (; i < NFAMILIES; i++)
				if (strlen(families[i].name) == len &&
				    strncasecmp(families[i].name, p, len) == 0)
					break;
			if (i == NFAMILIES) {
				snprintf(err, errlen, "unknown address family '%.*s' in address_families",
					 (int)(len > 32 ? 32 : len), p);
				return -EINVAL;
			}
			mask |= 1ull << families[i].af;
		}
		p += len;
	}
	if (!words || (any && words > 1)) {
		snprintf(err, errlen, "AF_ names, none or any");
		return -EDOM;
	}
	f->set = true;
	f->families_set = true;
	f->families_any = any;
	f->families = mask;
	return 0;
}

/* Whether socket() is restricted, and to which families. */
static bool families_restricted(const struct filter *f, uint64_t *mask)
{
	if (f->families_set) {
		*mask = f->families;
		return !f->families_any;
	}
	*mask = default_families;
	return f->has_list && f->allow_list;
}

void filter_families_format(const struct filter *f, char *buf, size_t len)
{
	uint64_t mask;
	size_t off = 0;
	buf[0] = '\0';
	if (!families_restricted(f, &mask)) {
		snprintf(buf, len, "any");
		return;
	}
	if (!mask) {
		snprintf(buf, len, "none");
		return;
	}
	for (int af = 0; af < 64; af++) {
		if (!(mask & (1ull << af)))
			continue;
		const char *name = NULL;
		for (size_t i = 0; i < NFAMILIES && !name; i++)
			if (families[i].af == af)
				name = families[i].name;
		int n = name ? snprintf(buf + off, len - off, "%s%s", off ? " " : "", name)
			     : snprintf(buf + off, len - off, "%s%d", off ? " " : "", af);
		if (n < 0 || (size_t)n >= len - off)
			return;
		off += (size_t)n;
	}
}

/* ---- compiling -------------------------------------------------------- */

void filter_rules_format(const struct filter *f, char *buf, size_t len)
{
	uint64_t fam;
	size_t off = 0;
	bool ns_denied = !filter_allows(f, SCMP_SYS(unshare));
	const char *parts[4];
	int n = 0;
	buf[0] = '\0';
	if (ns_denied && filter_allows(f, SCMP_SYS(clone)))
		parts[n++] = "clone only without CLONE_NEW* flags, clone3 fails with ENOSYS";
	if (families_restricted(f, &fam) && filter_allows(f, SCMP_SYS(socket)))
		parts[n++] = "socket only for address_families";
	if (filter_allows(f, SCMP_SYS(ioctl)))
		parts[n++] = "ioctl TIOCSTI and TIOCLINUX fail with EPERM";
	for (int i = 0; i < n; i++) {
		int w = snprintf(buf + off, len - off, "%s%s", i ? "; " : "", parts[i]);
		if (w < 0 || (size_t)w >= len - off)
			return;
		off += (size_t)w;
	}
}


#define NS_FLAGS (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | \
		  CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWTIME)

static uint32_t blocked_action(const struct filter *f)
{
	switch (f->action) {
	case FILTER_ERRNO:
		return SCMP_ACT_ERRNO((uint32_t)f->errno_value);
	case FILTER_LOG:
		return SCMP_ACT_LOG;
	case FILTER_KILL:
		break;
	}
	return SCMP_ACT_KILL_PROCESS;
}

/* Turn CTX into BPF in OUT. seccomp_export_bpf() writes to a descriptor
 * (libseccomp 2.5 has no in-memory export), so a memfd stands between. */
static int export(scmp_filter_ctx ctx, struct sock_fprog *out)
{
	int fd = memfd_create("corral-filter", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = seccomp_export_bpf(ctx, fd);
	struct stat st;
	struct sock_filter *prog = NULL;
	if (r < 0)
		goto out;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out;
	}
	if (st.st_size <= 0 || st.st_size % (off_t)sizeof *prog ||
	    st.st_size / (off_t)sizeof *prog > BPF_MAXINSNS) {
		r = -E2BIG;
		goto out;
	}
	prog = malloc((size_t)st.st_size);
	if (!prog) {
		r = -ENOMEM;
		goto out;
	}
	ssize_t n = pread(fd, prog, (size_t)st.st_size, 0);
	if (n != st.st_size) {
		r = n < 0 ? -errno : -EIO;
		goto out;
	}
	out->len = (unsigned short)(st.st_size / (off_t)sizeof *prog);
	out->filter = prog; /* now owned by OUT */
	prog = NULL;
	r = 0;
out:
	free(prog);
	close(fd);
	return r;
}

static scmp_filter_ctx new_ctx(uint32_t def, uint32_t badarch)
{
	scmp_filter_ctx ctx = seccomp_init(def);
	if (!ctx)
		return NULL;
	/* Only the native architecture is in the filter: i386 calls (int 0x80)
	 * meet the bad-architecture action, and so do x32 calls, which
	 * libseccomp tells apart by bit 30 of the number (it checks for it in
	 * an x86_64-only filter). NNP is our own step, not the filter's. */
	if (seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, badarch) < 0 ||
	    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0) < 0 ||
	    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2) < 0) {
		seccomp_release(ctx);
		return NULL;
	}
	return ctx;
}

/* The list, with its argument rules. */
static int build_main(const struct filter *f, scmp_filter_ctx *out)
{
	uint32_t blocked = blocked_action(f);
	scmp_filter_ctx ctx = new_ctx(f->allow_list ? blocked : SCMP_ACT_ALLOW, blocked);
	if (!ctx)
		return -ENOMEM;
	int r = 0;
	int nr_clone = SCMP_SYS(clone), nr_clone3 = SCMP_SYS(clone3);
	int nr_socket = SCMP_SYS(socket);
	bool ns_denied = !filter_allows(f, SCMP_SYS(unshare));
	uint64_t fam;
	bool restrict_fam = families_restricted(f, &fam);

	for (int nr = 0; nr < FILTER_MAX_NR && r == 0; nr++) {
		bool ok = filter_allows(f, nr);
		if (nr == nr_clone3) {
			if (ok && !ns_denied) {
				if (f->allow_list)
					r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
			} else if (filter_allows(f, nr_clone)) {
				r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), nr, 0);
			} else if (!f->allow_list) {
				r = seccomp_rule_add(ctx, blocked, nr, 0);
			}
			continue;
		}
		if (!ok) {
			if (!f->allow_list)
				r = seccomp_rule_add(ctx, blocked, nr, 0);
			continue;
		}
		if (nr == nr_clone && ns_denied) {
			if (f->allow_list) {
				r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
						     SCMP_A0(SCMP_CMP_MASKED_EQ, NS_FLAGS, 0));
			} else {
				for (uint64_t bit = 1; bit && r == 0; bit <<= 1)
					if (NS_FLAGS & bit)
						r = seccomp_rule_add(ctx, blocked, nr, 1,
								     SCMP_A0(SCMP_CMP_MASKED_EQ, bit, bit));
			}
		} else if (nr == nr_socket && restrict_fam) {
			/* socket()'s family is an int: compare its 32 bits only */
			for (int af = 0; af < 64 && r == 0; af++) {
				bool want = fam & (1ull << af);
				if (want == f->allow_list)
					r = seccomp_rule_add(ctx, want ? SCMP_ACT_ALLOW : blocked, nr, 1,
							     SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffu,
								     (uint64_t)af));
			}
		} else if (f->allow_list) {
			r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
		}
	}
	if (r < 0) {
		seccomp_release(ctx);
		return r;
	}
	*out = ctx;
	return 0;
}

/* A second filter that allows everything but terminal input injection.
 * It cannot live in an allow-list, where ioctl is allowed outright and an
 * unconditional rule overrides conditional ones of the same call; the
 * kernel runs every installed filter and keeps the strictest answer. */
static int build_tty(scmp_filter_ctx *out)
{
	scmp_filter_ctx ctx = new_ctx(SCMP_ACT_ALLOW, SCMP_ACT_ALLOW);
	if (!ctx)
		return -ENOMEM;
	static const unsigned long reqs[] = { TIOCSTI, TIOCLINUX };
	int r = 0;
	for (size_t i = 0; i < sizeof reqs / sizeof reqs[0] && r == 0; i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1,
				     SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, reqs[i]));
	if (r < 0) {
		seccomp_release(ctx);
		return r;
	}
	*out = ctx;
	return 0;
}

static void free_progs(struct filter *f)
{
	for (int i = 0; i < f->nprogs; i++)
		free(f->progs[i].filter);
	memset(f->progs, 0, sizeof f->progs);
	f->nprogs = 0;
}

int filter_compile(struct filter *f, char *err, size_t errlen)
{
	free_progs(f);
	if (!f->set)
		return 0;
	scmp_filter_ctx ctx = NULL;
	int r;
	/* The tty filter goes in first: it allows the seccomp() call that
	 * installs the main one. */
	if (filter_allows(f, SCMP_SYS(ioctl))) {
		if ((r = build_tty(&ctx)) < 0 || (r = export(ctx, &f->progs[f->nprogs])) < 0)
			goto fail;
		f->nprogs++;
		seccomp_release(ctx);
		ctx = NULL;
	}
	if ((r = build_main(f, &ctx)) < 0 || (r = export(ctx, &f->progs[f->nprogs])) < 0)
		goto fail;
	f->nprogs++;
	seccomp_release(ctx);
	return 0;
fail:
	if (ctx)
		seccomp_release(ctx);
	free_progs(f);
	snprintf(err, errlen, "compiling the seccomp filter: %s", strerror(-r));
	return r;
}

int filter_install(const struct filter *f)
{
	for (int i = 0; i < f->nprogs; i++)
		if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &f->progs[i]) < 0)
			return -errno;
	return 0;
}

void filter_free(struct filter *f)
{
	free_progs(f);
	memset(f, 0, sizeof *f);
}

bool filter_equal(const struct filter *a, const struct filter *b)
{
	if (a->set != b->set || a->has_list != b->has_list || a->allow_list != b->allow_list ||
	    memcmp(a->allowed, b->allowed, sizeof a->allowed) != 0 ||
	    memcmp(a->denied, b->denied, sizeof a->denied) != 0 || a->action != b->action ||
	    a->errno_value != b->errno_value || a->families_set != b->families_set ||
	    a->families_any != b->families_any || a->families != b->families)
		return false;
	return true;
}

char *filter_list_format(const struct filter *f, size_t *count)
{
	size_t cap = 256, len = 0, n = 0;
	char *s = malloc(cap);
	if (!s)
		return NULL;
	s[0] = '\0';
	for (int nr = 0; nr < FILTER_MAX_NR; nr++) {
		bool listed = f->allow_list ? filter_allows(f, nr) : bit_get(f->denied, nr);
		if (!listed)
			continue;
		char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
		if (!name)
			continue;
		size_t need = strlen(name) + 2;
		if (len + need > cap) {
			while (len + need > cap)
				cap *= 2;
			char *ns = realloc(s, cap);
			if (!ns) {
				free(name);
				free(s);
				return NULL;
			}
			s = ns;
		}
		len += (size_t)sprintf(s + len, "%s%s", len ? " " : "", name);
		free(name);
		n++;
	}
	*count = n;
	return s;
}

/* ---- the kernel's record of a blocked call ------------------------------ */

/* The decimal or hex value after " KEY=" in TEXT. */
static bool audit_field(const char *text, const char *key, int base, unsigned long long *out)
{
	size_t klen = strlen(key);
	for (const char *p = text; (p = strstr(p, key)) != NULL; p += klen) {
		if ((p != text && p[-1] != ' ') || p[klen] != '=')
			continue;
		const char *v = p + klen + 1;
		char *end;
		errno = 0;
		unsigned long long n = strtoull(v, &end, base);
		if (end == v || errno || (*end && *end != ' ' && *end != '\n'))
			return false;
		*out = n;
		return true;
	}
	return false;
}

int filter_audit_parse(const char *text, pid_t *pid, int *sig, uint32_t *arch, int *nr)
{
	unsigned long long p, s, a, n;
	if (!strstr(text, "type=1326 ") && !strstr(text, "type=1326\t"))
		return -EINVAL;
	if (!audit_field(text, "pid", 10, &p) || !audit_field(text, "sig", 10, &s) ||
	    !audit_field(text, "arch", 16, &a) || !audit_field(text, "syscall", 10, &n) ||
	    p == 0 || p > 0x7fffffff || s > 64 || a > 0xffffffffull || n > 0x7fffffff)
		return -EINVAL;
	*pid = (pid_t)p;
	*sig = (int)s;
	*arch = (uint32_t)a;
	*nr = (int)n;
	return 0;
}

int filter_audit_find(pid_t pid, char *name, size_t len)
{
	/* Each read() of /dev/kmsg returns one record; EPIPE means records were
	 * overwritten under us, and reading goes on with the next one. */
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	char rec[2048];
	int found = -1;
	uint32_t found_arch = 0;
	for (int records = 0; records < 100000; records++) {
		ssize_t n = read(fd, rec, sizeof rec - 1);
		if (n < 0) {
			if (errno == EPIPE || errno == EINTR)
				continue;
			break; /* EAGAIN: the end */
		}
		rec[n] = '\0';
		pid_t p;
		int sig, nr;
		uint32_t arch;
		if (filter_audit_parse(rec, &p, &sig, &arch, &nr) == 0 && p == pid &&
		    sig == SIGSYS) {
			found = nr;
			found_arch = arch;
		}
	}
	close(fd);
	if (found < 0)
		return -ENOENT;
	/* An x32 call carries x86_64's token and bit 30 in its number. */
	bool x32 = found_arch == SCMP_ARCH_X86_64 && (found & 0x40000000);
	char *s = x32 ? seccomp_syscall_resolve_num_arch(SCMP_ARCH_X32, found)
		      : seccomp_syscall_resolve_num_arch(found_arch, found);
	if (s)
		snprintf(name, len, "%s%s", s, x32 ? " (x32)" : "");
	else
		snprintf(name, len, "%d%s", found & ~0x40000000, x32 ? " (x32)" : "");
	free(s);
	return 0;
}
