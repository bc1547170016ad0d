#include "sandbox/namespaces.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static const struct {
	const char *name;
	unsigned bit;
	unsigned long long flag;
} table[] = {
	{ "pid", NS_PID, CLONE_NEWPID }, { "net", NS_NET, CLONE_NEWNET },
	{ "ipc", NS_IPC, CLONE_NEWIPC }, { "uts", NS_UTS, CLONE_NEWUTS },
	{ "mount", NS_MOUNT, CLONE_NEWNS }, { "user", NS_USER, CLONE_NEWUSER },
	{ "cgroup", NS_CGROUP, CLONE_NEWCGROUP },
};
#define NTABLE (sizeof table / sizeof table[0])

int namespaces_parse(const char *value, unsigned *mask, char *err, size_t errlen)
{
	unsigned m = 0;
	size_t words = 0;
	for (const char *p = value; *p;) {
		p += strspn(p, " \t,");
		size_t len = strcspn(p, " \t,");
		if (!len)
			break;
		words++;
		size_t i = 0;
		for (; i < NTABLE; i++)
			if (strlen(table[i].name) == len && strncmp(table[i].name, p, len) == 0)
				break;
		if (i == NTABLE) {
			snprintf(err, errlen, "unknown namespace '%.*s' (expected pid, net, ipc, uts, "
					      "mount, user or cgroup)", (int)(len > 32 ? 32 : len), p);
			return -EINVAL;
		}
		m |= table[i].bit;
		p += len;
	}
	if (!words) {
		snprintf(err, errlen, "expected namespace names (pid net ipc uts mount user cgroup)");
		return -EINVAL;
	}
	*mask = m;
	return 0;
}

void namespaces_format(unsigned mask, char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < NTABLE; i++) {
		if (!(mask & table[i].bit))
			continue;
		int n = snprintf(buf + off, len - off, "%s%s", off ? " " : "", table[i].name);
		if (n < 0 || (size_t)n >= len - off)
			return;
		off += (size_t)n;
	}
	if (!off)
		snprintf(buf, len, "none");
}

unsigned long long namespaces_clone_flags(unsigned mask)
{
	unsigned long long flags = 0;
	for (size_t i = 0; i < NTABLE; i++)
		if ((mask & table[i].bit) && table[i].bit != NS_USER)
			flags |= table[i].flag;
	return flags;
}

int namespaces_loopback_up(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	memcpy(ifr.ifr_name, "lo", 3);
	int r = 0;
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0) {
		r = -errno;
	} else if (!(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
			r = -errno;
	}
	close(fd);
	return r;
}

/* Write TEXT (LEN bytes) to PATH in one write(), as the map files want. */
static int write_file(const char *path, const char *text, size_t len)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = write(fd, text, len);
	int r = n < 0 ? -errno : (size_t)n != len ? -EIO : 0;
	close(fd);
	return r;
}

/* "ID ID 1\n" without snprintf (not async-signal-safe). */
static size_t map_line(char *buf, unsigned id)
{
	char digits[16];
	size_t n = 0, len = 0;
	do {
		digits[n++] = (char)('0' + id % 10);
		id /= 10;
	} while (id);
	for (int k = 0; k < 2; k++) {
		for (size_t i = n; i > 0; i--)
			buf[len++] = digits[i - 1];
		buf[len++] = ' ';
	}
	buf[len++] = '1';
	buf[len++] = '\n';
	return len;
}

int namespaces_enter_user(uid_t uid, gid_t gid, int *failed)
{
	char line[48];
	int r;
	if (unshare(CLONE_NEWUSER) < 0) {
		*failed = NS_CALL_UNSHARE;
		return -errno;
	}
	/* Without CAP_SETGID in the parent namespace, a gid_map may only be
	 * written once setgroups() is switched off for good. */
	if ((r = write_file("/proc/self/setgroups", "deny", 4)) < 0) {
		*failed = NS_CALL_SETGROUPS;
		return r;
	}
	if ((r = write_file("/proc/self/uid_map", line, map_line(line, (unsigned)uid))) < 0) {
		*failed = NS_CALL_UID_MAP;
		return r;
	}
	if ((r = write_file("/proc/self/gid_map", line, map_line(line, (unsigned)gid))) < 0) {
		*failed = NS_CALL_GID_MAP;
		return r;
	}
	return 0;
}

const char *namespaces_call_name(int call)
{
	switch (call) {
	case NS_CALL_UNSHARE: return "unshare(CLONE_NEWUSER)";
	case NS_CALL_SETGROUPS: return "/proc/self/setgroups";
	case NS_CALL_UID_MAP: return "/proc/self/uid_map";
	case NS_CALL_GID_MAP: return "/proc/self/gid_map";
	}
	return "?";
}
