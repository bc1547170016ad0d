/* filter — the seccomp system call filter of one program, with libseccomp.
 *
 * `seccomp = LIST` names system calls and groups of them ("@file-system");
 * an entry that starts with '~' denies. A list with at least one allowed
 * entry is an allow-list: those calls and @default (what any process needs
 * to start and exit) are allowed, the denied ones removed, everything else
 * blocked. A list of denials only blocks just those. A blocked call gets
 * the program's action: kill the whole process (SCMP_ACT_KILL_PROCESS),
 * fail with an errno, or only be logged. Calls of another architecture
 * (i386 through int 0x80, and x32, which shares x86_64's audit token and
 * is told apart by bit 30 of the call number) are blocked the same way.
 *
 * Some rules look at arguments:
 *   - socket() takes only the address families in address_families (by
 *     default, in an allow-list, AF_UNIX AF_INET AF_INET6 AF_NETLINK);
 *   - when unshare is not allowed, namespaces may not be created: clone()
 *     with a CLONE_NEW* flag is blocked, and clone3(), whose flags sit in
 *     memory a filter cannot read, fails with ENOSYS so that libc falls
 *     back to clone();
 *   - ioctl(TIOCSTI) and ioctl(TIOCLINUX), which push input into a
 *     terminal, fail with EPERM. The kernel reads ioctl's request as 32
 *     bits, so the rule compares the low 32 bits only: high bits set by the
 *     caller cannot slip past it.
 *
 * The filter is compiled into BPF once, when the config is read; the child
 * only hands it to the kernel. Nothing here prints. */
#ifndef CORRAL_FILTER_H
#define CORRAL_FILTER_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define FILTER_MAX_NR 1024       /* native system call numbers are below this */
#define FILTER_WORDS (FILTER_MAX_NR / 64)

enum filter_action { FILTER_KILL, FILTER_ERRNO, FILTER_LOG };

struct filter {
	bool set;                    /* seccomp (or address_families) was given */
	bool has_list;               /* seccomp was given */
	bool allow_list;             /* else: only the denied calls are blocked */
	uint64_t allowed[FILTER_WORDS]; /* allow-list: what the list allows */
	uint64_t denied[FILTER_WORDS];  /* what it denies with '~' */
	enum filter_action action;
	int errno_value;             /* FILTER_ERRNO */
	bool has_action;
	bool families_set;           /* address_families was given */
	bool families_any;
	uint64_t families;           /* bit N: address family N may be used */
	struct sock_fprog progs[2];  /* compiled: installed in this order; heap */
	int nprogs;
};

/* Parse `seccomp`. -EINVAL with ERR ("unknown system call 'foo'"). */
int filter_parse_list(struct filter *f, const char *value, char *err, size_t errlen);
/* Parse `seccomp_action`: kill, errno:NAME, errno:NUMBER or log. */
int filter_parse_action(struct filter *f, const char *value, char *err, size_t errlen);
/* Parse `address_families`: AF_ names, or any. */
int filter_parse_families(struct filter *f, const char *value, char *err, size_t errlen);

/* The effective set: true when system call NR passes the list (before
 * argument rules). */
bool filter_allows(const struct filter *f, int nr);

/* Compile F into BPF (f->progs). 0, or -errno with ERR. */
int filter_compile(struct filter *f, char *err, size_t errlen);

/* In the child, last before exec: install the compiled filters. 0, or
 * -errno. Async-signal-safe, no allocation. */
int filter_install(const struct filter *f);

void filter_free(struct filter *f);
bool filter_equal(const struct filter *a, const struct filter *b);

/* "kill", "errno:EPERM", "log". */
void filter_action_format(const struct filter *f, char *buf, size_t len);
/* Space-separated names of the native calls that are allowed (allow-list)
 * or denied (deny-list), with a count; heap string the caller frees, or
 * NULL. */
char *filter_list_format(const struct filter *f, size_t *count);
/* The argument rules in force, "clone only without CLONE_NEW* flags; ...",
 * "" when none. */
void filter_rules_format(const struct filter *f, char *buf, size_t len);
/* "AF_UNIX AF_INET" or "any". */
void filter_families_format(const struct filter *f, char *buf, size_t len);

/* Groups, for tests and documentation: the number of groups, the name and
 * members text of group I. */
size_t filter_group_count(void);
const char *filter_group_name(size_t i);
const char *filter_group_members(size_t i);
const char *filter_group_about(size_t i);

/* The kernel logs a call that seccomp killed or logged as an audit
 * record ("audit: type=1326 ... pid=N ... sig=31 arch=c000003e
 * syscall=101 ..."); without auditd it goes to the kernel log. Parse one
 * such record: 0 with the fields, -EINVAL when TEXT is not one. */
int filter_audit_parse(const char *text, pid_t *pid, int *sig, uint32_t *arch, int *nr);
/* Look in the kernel log (/dev/kmsg, read without blocking) for the last
 * record of PID killed by seccomp; the call's name into NAME. 0, -ENOENT
 * when there is none, or -errno (no access to the kernel log). */
int filter_audit_find(pid_t pid, char *name, size_t len);

#endif
