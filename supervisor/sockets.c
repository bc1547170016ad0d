#include "supervisor/sockets.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "supervisor/cfgmodel.h"
#include "supervisor/handover.h"

/* ---- addresses -------------------------------------------------------- */

static int parse_fail(char *err, size_t errlen, const char *why)
{
	snprintf(err, errlen, "%s", why);
	return -EINVAL;
}

/* PORT: decimal, 1 to 65535. */
static int parse_port(const char *s, in_port_t *out, char *err, size_t errlen)
{
	unsigned long n = 0;
	if (!*s)
		return parse_fail(err, errlen, "missing port");
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return parse_fail(err, errlen, "bad port (expected a number from 1 to 65535)");
		if (n <= 65535)
			n = n * 10 + (unsigned long)(*p - '0');
	}
	if (n < 1 || n > 65535)
		return parse_fail(err, errlen, "port out of range (expected 1 to 65535)");
	*out = htons((in_port_t)n);
	return 0;
}

static int parse_inet(const char *s, struct socket_addr *out, char *err, size_t errlen)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *port;
	size_t hlen;
	bool v6 = *s == '[';

	if (v6) {
		const char *close = strchr(s, ']');
		if (!close)
			return parse_fail(err, errlen, "missing ']' after the IPv6 address");
		if (close[1] != ':')
			return parse_fail(err, errlen, "expected ':PORT' after ']'");
		hlen = (size_t)(close - s - 1);
		s++;
		port = close + 2;
	} else {
		const char *colon = strrchr(s, ':');
		if (!colon)
			return parse_fail(err, errlen, "expected HOST:PORT");
		hlen = (size_t)(colon - s);
		if (memchr(s, ':', hlen))
			return parse_fail(err, errlen, "an IPv6 address goes in brackets: [ADDRESS]:PORT");
		port = colon + 1;
	}
	if (!hlen)
		return parse_fail(err, errlen, "missing host (use * for every address)");
	if (hlen >= sizeof host)
		return parse_fail(err, errlen, v6 ? "bad IPv6 address" :
				  "bad host (expected a numeric IPv4 address, [IPv6 address] or *)");
	memcpy(host, s, hlen);
	host[hlen] = '\0';

	in_port_t nport;
	int r = parse_port(port, &nport, err, errlen);
	if (r < 0)
		return r;
	if (v6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&out->ss;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = nport;
		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
			return parse_fail(err, errlen, "bad IPv6 address");
		out->len = sizeof *sin6;
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)&out->ss;
		sin->sin_family = AF_INET;
		sin->sin_port = nport;
		if (strcmp(host, "*") == 0)
			sin->sin_addr.s_addr = htonl(INADDR_ANY);
		else if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
			return parse_fail(err, errlen, "bad host (expected a numeric IPv4 address, "
					  "[IPv6 address] or *)");
		out->len = sizeof *sin;
	}
	return 0;
}

static int parse_unix(const char *s, struct socket_addr *out, char *err, size_t errlen)
{
	struct sockaddr_un *sun = (struct sockaddr_un *)&out->ss;
	size_t n = strlen(s);

	sun->sun_family = AF_UNIX;
	if (*s == '@') {
		/* Abstract: a NUL then the name, and no terminator counted. */
		if (n < 2)
			return parse_fail(err, errlen, "missing name after '@'");
		if (n > sizeof sun->sun_path)
			return parse_fail(err, errlen, "name too long (at most 107 bytes after '@')");
		memcpy(sun->sun_path + 1, s + 1, n - 1);
		out->len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
		return 0;
	}
	if (*s != '/')
		return parse_fail(err, errlen, "the path must be absolute (or @NAME for an abstract socket)");
	if (n >= sizeof sun->sun_path)
		return parse_fail(err, errlen, "path too long (at most 107 bytes)");
	memcpy(sun->sun_path, s, n);
	out->len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	return 0;
}

int sockets_parse(const char *spec, struct socket_addr *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	if (strncmp(spec, "tcp:", 4) == 0) {
		out->kind = SOCKET_TCP;
		return parse_inet(spec + 4, out, err, errlen);
	}
	if (strncmp(spec, "udp:", 4) == 0) {
		out->kind = SOCKET_UDP;
		return parse_inet(spec + 4, out, err, errlen);
	}
	if (strncmp(spec, "unix:", 5) == 0) {
		out->kind = SOCKET_UNIX;
		return parse_unix(spec + 5, out, err, errlen);
	}
	return parse_fail(err, errlen, "expected tcp:HOST:PORT, udp:HOST:PORT or unix:PATH");
}

void sockets_format(const struct socket_addr *a, char *buf, size_t len)
{
	const char *kind = a->kind == SOCKET_TCP ? "tcp" : a->kind == SOCKET_UDP ? "udp" : "unix";
	char host[INET6_ADDRSTRLEN];

	if (a->ss.ss_family == AF_UNIX) {
		const struct sockaddr_un *sun = (const struct sockaddr_un *)&a->ss;
		size_t n = a->len - offsetof(struct sockaddr_un, sun_path);
		if (n && sun->sun_path[0] == '\0')
			snprintf(buf, len, "%s:@%.*s", kind, (int)n - 1, sun->sun_path + 1);
		else
			snprintf(buf, len, "%s:%.*s", kind, (int)n, sun->sun_path);
	} else if (a->ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&a->ss;
		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof host);
		snprintf(buf, len, "%s:[%s]:%u", kind, host, ntohs(sin6->sin6_port));
	} else {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)&a->ss;
		if (sin->sin_addr.s_addr == htonl(INADDR_ANY))
			snprintf(host, sizeof host, "*");
		else
			inet_ntop(AF_INET, &sin->sin_addr, host, sizeof host);
		snprintf(buf, len, "%s:%s:%u", kind, host, ntohs(sin->sin_port));
	}
}

bool sockets_addr_equal(const struct socket_addr *a, const struct socket_addr *b)
{
	return a->kind == b->kind && a->len == b->len && memcmp(&a->ss, &b->ss, a->len) == 0;
}

/* ---- binding ---------------------------------------------------------- */

/* The path of a unix address that has one (not abstract), else NULL. */
static const char *unix_path(const struct socket_addr *a)
{
	const struct sockaddr_un *sun = (const struct sockaddr_un *)&a->ss;
	if (a->kind != SOCKET_UNIX || !sun->sun_path[0])
		return NULL;
	return sun->sun_path;
}

static int open_fail(int fd, char *err, size_t errlen, const char *what, int e)
{
	snprintf(err, errlen, "%s: %s", what, strerror(e));
	if (fd >= 0)
		close(fd);
	return -e;
}

static const char *file_kind(mode_t m)
{
	return S_ISREG(m) ? "a regular file" : S_ISDIR(m) ? "a directory"
	       : S_ISLNK(m) ? "a symbolic link" : S_ISFIFO(m) ? "a FIFO"
	       : S_ISCHR(m) ? "a character device" : S_ISBLK(m) ? "a block device"
	       : "a file of unknown type";
}

int sockets_reclaim_path(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st, again;
	if (strlen(path) >= sizeof sun.sun_path) {
		snprintf(err, errlen, "path too long (at most %zu bytes)", sizeof sun.sun_path - 1);
		return -ENAMETOOLONG;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	/* lstat: a symbolic link there is itself what is there, never where
	 * it points. */
	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s", strerror(errno));
		return -errno;
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "%s is there, not a socket: left alone", file_kind(st.st_mode));
		return -EEXIST;
	}
	/* A socket: replaced only when nobody answers on it, which is what a
	 * server that died leaves (ECONNREFUSED). Non-blocking, so that a
	 * listener with a full backlog (EAGAIN) cannot stop corrald here; a
	 * live socket of another type says EPROTOTYPE. */
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -errno;
	}
	int e = connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0 ? 0 : errno;
	close(fd);
	if (e == ENOENT)
		return 0; /* gone meanwhile */
	if (e != ECONNREFUSED) {
		if (e == 0 || e == EAGAIN || e == EINPROGRESS || e == EPROTOTYPE)
			snprintf(err, errlen, "something is listening there: not replaced");
		else
			snprintf(err, errlen, "cannot tell whether something listens there "
					      "(connect: %s): not replaced", strerror(e));
		return -EADDRINUSE;
	}
	/* Only the very socket looked at goes, not one put there since. */
	if (lstat(path, &again) < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s", strerror(errno));
		return -errno;
	}
	if (again.st_dev != st.st_dev || again.st_ino != st.st_ino) {
		snprintf(err, errlen, "changed while it was looked at: left alone");
		return -EEXIST;
	}
	if (unlink(path) < 0 && errno != ENOENT) {
		snprintf(err, errlen, "removing the stale socket: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

int sockets_bind_unix(int fd, const struct sockaddr_un *addr, socklen_t len, unsigned mode)
{
	/* The mode is given as the file is made, through the umask, rather
	 * than by a chmod of the path afterwards, which would follow whatever
	 * was put at the path in between. corrald has one thread: nothing
	 * else makes a file meanwhile. */
	mode_t old = umask(~(mode_t)mode & 0777);
	int r = bind(fd, (const struct sockaddr *)addr, len) < 0 ? -errno : 0;
	umask(old);
	return r;
}

bool sockets_same_file(const char *path, dev_t dev, ino_t ino)
{
	struct stat st;
	return lstat(path, &st) == 0 && st.st_dev == dev && st.st_ino == ino;
}

int sockets_open(const struct socket_addr *a, int backlog, unsigned mode, char *err,
		 size_t errlen)
{
	return sockets_open_as(a, false, backlog, mode, err, errlen);
}

int sockets_open_as(const struct socket_addr *a, bool reuseport, int backlog, unsigned mode,
		    char *err, size_t errlen)
{
	int type = a->kind == SOCKET_UDP ? SOCK_DGRAM : SOCK_STREAM;
	const char *path = unix_path(a);
	int one = 1;

	int fd = socket(a->ss.ss_family, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return open_fail(-1, err, errlen, "socket", errno);
	/* A corrald started again binds at once, whatever connections of the
	 * last one are still in TIME_WAIT. */
	if (a->kind != SOCKET_UNIX &&
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0)
		return open_fail(fd, err, errlen, "setsockopt SO_REUSEADDR", errno);
	/* One of several bound to the same address, the kernel hashing each
	 * new connection (or datagram) to one of them. */
	if (reuseport && a->kind != SOCKET_UNIX &&
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0)
		return open_fail(fd, err, errlen, "setsockopt SO_REUSEPORT", errno);
	int r;
	if (path && (r = sockets_reclaim_path(path, err, errlen)) < 0) {
		close(fd);
		return r;
	}
	if (path)
		r = sockets_bind_unix(fd, (const struct sockaddr_un *)&a->ss, a->len, mode);
	else
		r = bind(fd, (const struct sockaddr *)&a->ss, a->len) < 0 ? -errno : 0;
	if (r < 0)
		return open_fail(fd, err, errlen, "bind", -r);
	if (type == SOCK_STREAM && listen(fd, backlog) < 0) {
		int e = errno;
		if (path)
			unlink(path);
		return open_fail(fd, err, errlen, "listen", e);
	}
	return fd;
}

/* ---- the held set ----------------------------------------------------- */

struct held {
	struct socket_addr addr;
	int slot;               /* 0: the one shared socket; reuseport: instance + 1 */
	int fd;
	int backlog;            /* as it listens now */
	unsigned mode;
	int new_backlog;        /* what the prepared config says */
	unsigned new_mode;
	bool owner, new_owner;  /* an [fcgi-program:]'s socket_owner: chown the path */
	uid_t uid, new_uid;
	gid_t gid, new_gid;
	bool wanted;            /* named by the prepared config */
	bool pending;           /* bound by the prepare, not committed yet */
	dev_t dev;              /* a unix path: the file we made, so that we never */
	ino_t ino;              /* remove one someone else put there since */
};

/* Heap, grown as configs name more sockets; freed by sockets_close_all(). */
static struct held *held;
static size_t nheld, heldcap;
static bool prepared;

static void held_close(struct held *h)
{
	const char *path = unix_path(&h->addr);
	if (path && sockets_same_file(path, h->dev, h->ino))
		unlink(path);
	close(h->fd);
	h->fd = -1;
}

/* Close and drop every entry for which DROP says so. */
static void held_sweep(bool (*drop)(const struct held *))
{
	size_t k = 0;
	for (size_t i = 0; i < nheld; i++) {
		if (drop(&held[i]))
			held_close(&held[i]);
		else
			held[k++] = held[i];
	}
	nheld = k;
}

static bool is_pending(const struct held *h)
{
	return h->pending;
}

static bool is_unwanted(const struct held *h)
{
	return !h->wanted;
}

static bool is_any(const struct held *h)
{
	return true;
}

static struct held *held_find(const struct socket_addr *a, int slot)
{
	for (size_t i = 0; i < nheld; i++)
		if (held[i].slot == slot && sockets_addr_equal(&held[i].addr, a))
			return &held[i];
	return NULL;
}

/* The name a socket goes across an exec under: its address, and for a
 * reuseport one its instance ("tcp:127.0.0.1:80#2"). */
static void held_name(const struct socket_addr *a, int slot, char *buf, size_t len)
{
	char text[SOCKETS_ADDR_STRLEN];
	sockets_format(a, text, sizeof text);
	if (slot)
		snprintf(buf, len, "%s#%d", text, slot - 1);
	else
		snprintf(buf, len, "%s", text);
}

void sockets_abort(void)
{
	held_sweep(is_pending);
	for (size_t i = 0; i < nheld; i++)
		held[i].wanted = true;
	prepared = false;
}

/* Keep the held socket for W's address with W's new values, or bind it
 * (and chown a unix path when W has an owner). On failure everything
 * prepared is undone and ERR names [KIND:NAME] and the address. */
static void held_want(struct held *h, const struct held *w)
{
	h->wanted = true;
	h->new_backlog = w->new_backlog;
	h->new_mode = w->new_mode;
	h->new_owner = w->new_owner;
	h->new_uid = w->new_uid;
	h->new_gid = w->new_gid;
}

static int hold(const struct held *w, const char *kind, const char *name, char *err,
		size_t errlen)
{
	char why[256], text[SOCKETS_ADDR_STRLEN + 16];
	struct held *h = held_find(&w->addr, w->slot);
	if (h) {
		held_want(h, w);
		return 0;
	}
	if (nheld == heldcap) {
		size_t cap = heldcap ? heldcap * 2 : 8;
		struct held *v = reallocarray(held, cap, sizeof *v);
		if (!v) {
			sockets_abort();
			snprintf(err, errlen, "[%s:%s]: %s", kind, name, strerror(ENOMEM));
			return -ENOMEM;
		}
		held = v;
		heldcap = cap;
	}
	const char *path = unix_path(&w->addr);
	/* After an exec of corrald, the socket it held (handover.h): the same
	 * one the workers were given, clients waiting in its backlog. */
	held_name(&w->addr, w->slot, text, sizeof text);
	int fd = handover_take_fd("socket", text);
	bool kept = fd >= 0;
	if (kept && fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
		close(fd);
		kept = false;
		fd = -1;
	}
	if (!kept)
		fd = sockets_open_as(&w->addr, w->slot > 0, w->new_backlog, w->new_mode, why,
				     sizeof why);
	if (fd >= 0 && !kept && path && w->new_owner && lchown(path, w->new_uid, w->new_gid) < 0) {
		snprintf(why, sizeof why, "chown %u:%u: %s", (unsigned)w->new_uid,
			 (unsigned)w->new_gid, strerror(errno));
		unlink(path);
		close(fd);
		fd = -EPERM;
	}
	if (fd < 0) {
		sockets_abort();
		held_name(&w->addr, w->slot, text, sizeof text);
		snprintf(err, errlen, "[%s:%s] %s: %s", kind, name, text, why);
		return fd;
	}
	h = &held[nheld++];
	*h = (struct held){ .addr = w->addr, .slot = w->slot, .fd = fd, .backlog = w->new_backlog,
			    .mode = w->new_mode, .owner = w->new_owner, .uid = w->new_uid,
			    .gid = w->new_gid, .pending = true };
	held_want(h, w);
	struct stat st;
	if (path && lstat(path, &st) == 0) {
		h->dev = st.st_dev;
		h->ino = st.st_ino;
	}
	return 0;
}

int sockets_prepare(const struct corral_config *cfg, char *err, size_t errlen)
{
	if (prepared)
		sockets_abort();
	prepared = true;
	for (size_t i = 0; i < nheld; i++)
		held[i].wanted = false;
	for (size_t i = 0; i < cfg->nsockets; i++) {
		const struct socket_config *s = &cfg->sockets[i];
		int slots = s->reuseport ? sockets_instances(cfg, s) : 0;
		for (int k = 0; k < s->nlisten; k++) {
			/* Shared: slot 0 only; reuseport: 1 to the instances. */
			for (int slot = s->reuseport ? 1 : 0; slot <= slots; slot++) {
				struct held want = { .addr = s->listen[k], .slot = slot,
						     .new_backlog = s->backlog,
						     .new_mode = s->socket_mode };
				int r = hold(&want, "socket", s->name, err, errlen);
				if (r < 0)
					return r;
			}
		}
	}
	for (size_t i = 0; i < cfg->nprograms; i++) {
		const struct program_config *p = &cfg->programs[i];
		if (!p->is_fcgi || !p->fcgi_socket)
			continue;
		struct held want = { .addr = *p->fcgi_socket, .new_backlog = p->fcgi_backlog,
				     .new_mode = p->fcgi_mode, .new_owner = p->fcgi_owner,
				     .new_uid = p->fcgi_uid, .new_gid = p->fcgi_gid };
		int r = hold(&want, "fcgi-program", p->name, err, errlen);
		if (r < 0)
			return r;
	}
	return 0;
}

void sockets_commit(void)
{
	held_sweep(is_unwanted);
	for (size_t i = 0; i < nheld; i++) {
		struct held *h = &held[i];
		h->pending = false;
		/* Both are best effort: listen() again only resizes the queue of
		 * a socket that listens already, and the file is ours. */
		if (h->new_backlog != h->backlog && h->addr.kind != SOCKET_UDP &&
		    listen(h->fd, h->new_backlog) == 0)
			h->backlog = h->new_backlog;
		const char *path = unix_path(&h->addr);
		if (h->new_mode != h->mode && path && chmod(path, h->new_mode) == 0)
			h->mode = h->new_mode;
		if (h->new_owner && (!h->owner || h->new_uid != h->uid || h->new_gid != h->gid) &&
		    path && lchown(path, h->new_uid, h->new_gid) == 0) {
			h->owner = true;
			h->uid = h->new_uid;
			h->gid = h->new_gid;
		}
	}
	prepared = false;
}

int sockets_fd(const struct socket_addr *a)
{
	struct held *h = held_find(a, 0);
	return h ? h->fd : -1;
}

int sockets_fd_for(const struct socket_addr *a, int instance)
{
	struct held *h = held_find(a, a->reuseport ? instance + 1 : 0);
	return h ? h->fd : -1;
}

int sockets_instances(const struct corral_config *cfg, const struct socket_config *s)
{
	for (size_t i = 0; s->program && i < cfg->nprograms; i++)
		if (strcmp(cfg->programs[i].name, s->program) == 0)
			return cfg->programs[i].numprocs;
	return 0;
}


size_t sockets_count(void)
{
	return nheld;
}

void sockets_close_all(void)
{
	held_sweep(is_any);
	free(held);
	held = NULL;
	nheld = heldcap = 0;
	prepared = false;
}

int sockets_handover(struct handover *h)
{
	char text[SOCKETS_ADDR_STRLEN + 16];
	for (size_t i = 0; i < nheld; i++) {
		held_name(&held[i].addr, held[i].slot, text, sizeof text);
		if (handover_add_fd(h, "socket", text, held[i].fd) < 0)
			return -ENOMEM;
	}
	return 0;
}
