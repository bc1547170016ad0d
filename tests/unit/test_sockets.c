/* Unit tests for supervisor/sockets.c: the address parser, binding on
 * loopback and in a temp dir, the held set across prepare/commit/abort,
 * and the [socket:NAME] sections config.c reads into it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "supervisor/config.h"
#include "supervisor/sockets.h"

static struct corral_config cfg;
static struct config_errors errs;
static char tmpdir[64];

/* ---- the parser ------------------------------------------------------- */

/* SPEC parses, and formats back as CANON. */
static void parse_ok(const char *spec, const char *canon)
{
	struct socket_addr a;
	char err[160] = "", text[SOCKETS_ADDR_STRLEN];
	int rc = sockets_parse(spec, &a, err, sizeof err);
	if (rc != 0)
		fail_msg("sockets_parse(\"%s\") = %d: %s", spec, rc, err);
	sockets_format(&a, text, sizeof text);
	assert_string_equal(text, canon);
	/* The canonical text parses to the same address. */
	struct socket_addr b;
	assert_int_equal(sockets_parse(canon, &b, err, sizeof err), 0);
	assert_true(sockets_addr_equal(&a, &b));
}

static void parse_bad(const char *spec, const char *why)
{
	struct socket_addr a;
	char err[160] = "";
	assert_int_equal(sockets_parse(spec, &a, err, sizeof err), -EINVAL);
	if (strcmp(err, why) != 0)
		fail_msg("sockets_parse(\"%s\") says\n  \"%s\", expected\n  \"%s\"", spec, err, why);
}

static void test_parse_inet(void **state)
{
	struct socket_addr a;
	char err[160];
	assert_int_equal(sockets_parse("tcp:127.0.0.1:8080", &a, err, sizeof err), 0);
	assert_int_equal(a.kind, SOCKET_TCP);
	assert_int_equal(a.ss.ss_family, AF_INET);
	assert_int_equal(a.len, sizeof(struct sockaddr_in));
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&a.ss;
	assert_int_equal(ntohs(sin->sin_port), 8080);
	assert_int_equal(ntohl(sin->sin_addr.s_addr), 0x7f000001);

	assert_int_equal(sockets_parse("udp:[::1]:53", &a, err, sizeof err), 0);
	assert_int_equal(a.kind, SOCKET_UDP);
	assert_int_equal(a.ss.ss_family, AF_INET6);
	assert_int_equal(a.len, sizeof(struct sockaddr_in6));
	assert_int_equal(ntohs(((const struct sockaddr_in6 *)&a.ss)->sin6_port), 53);

	parse_ok("tcp:127.0.0.1:8080", "tcp:127.0.0.1:8080");
	parse_ok("tcp:*:1", "tcp:*:1");
	parse_ok("tcp:0.0.0.0:65535", "tcp:*:65535");
	parse_ok("udp:10.1.2.3:00053", "udp:10.1.2.3:53");
	parse_ok("tcp:[::]:80", "tcp:[::]:80");
	parse_ok("tcp:[0:0:0:0:0:0:0:1]:443", "tcp:[::1]:443");
	parse_ok("udp:[fe80::1:2]:5353", "udp:[fe80::1:2]:5353");
	parse_ok("tcp:[::ffff:127.0.0.1]:9", "tcp:[::ffff:127.0.0.1]:9");
}

static void test_parse_unix(void **state)
{
	struct socket_addr a;
	char err[160], path[200];
	assert_int_equal(sockets_parse("unix:/run/x.sock", &a, err, sizeof err), 0);
	assert_int_equal(a.kind, SOCKET_UNIX);
	assert_int_equal(a.ss.ss_family, AF_UNIX);
	/* The path and its NUL. */
	assert_int_equal(a.len, offsetof(struct sockaddr_un, sun_path) + strlen("/run/x.sock") + 1);
	assert_int_equal(sockets_parse("unix:@corral-test", &a, err, sizeof err), 0);
	/* Abstract: a NUL, the name, nothing after it. */
	assert_int_equal(a.len, offsetof(struct sockaddr_un, sun_path) + 1 + strlen("corral-test"));
	assert_int_equal(((const struct sockaddr_un *)&a.ss)->sun_path[0], '\0');

	parse_ok("unix:/run/x.sock", "unix:/run/x.sock");
	parse_ok("unix:/a,b c", "unix:/a,b c");
	parse_ok("unix:@name", "unix:@name");

	/* The longest path: 107 bytes and its NUL fill sun_path. */
	memset(path, 'p', sizeof path);
	memcpy(path, "unix:/", 6);
	path[5 + 107] = '\0';
	assert_int_equal(sockets_parse(path, &a, err, sizeof err), 0);
	path[5 + 107] = 'p';
	path[5 + 108] = '\0';
	parse_bad(path, "path too long (at most 107 bytes)");
	/* An abstract name may take all 107 bytes after the NUL. */
	memcpy(path, "unix:@", 6);
	path[5 + 108] = '\0';
	assert_int_equal(sockets_parse(path, &a, err, sizeof err), 0);
	path[5 + 108] = 'p';
	path[5 + 109] = '\0';
	parse_bad(path, "name too long (at most 107 bytes after '@')");
}

static void test_parse_errors(void **state)
{
	const char *host = "bad host (expected a numeric IPv4 address, [IPv6 address] or *)";
	const char *range = "port out of range (expected 1 to 65535)";
	parse_bad("", "expected tcp:HOST:PORT, udp:HOST:PORT or unix:PATH");
	parse_bad("sctp:1.2.3.4:5", "expected tcp:HOST:PORT, udp:HOST:PORT or unix:PATH");
	parse_bad("TCP:1.2.3.4:5", "expected tcp:HOST:PORT, udp:HOST:PORT or unix:PATH");
	parse_bad("127.0.0.1:80", "expected tcp:HOST:PORT, udp:HOST:PORT or unix:PATH");
	parse_bad("tcp:1.2.3.4", "expected HOST:PORT");
	parse_bad("tcp:", "expected HOST:PORT");
	parse_bad("tcp::80", "missing host (use * for every address)");
	parse_bad("tcp:1.2.3.4:", "missing port");
	parse_bad("tcp:1.2.3.4:0", range);
	parse_bad("tcp:1.2.3.4:65536", range);
	parse_bad("tcp:1.2.3.4:99999999999999999999999", range);
	parse_bad("tcp:1.2.3.4:-1", "bad port (expected a number from 1 to 65535)");
	parse_bad("tcp:1.2.3.4:+80", "bad port (expected a number from 1 to 65535)");
	parse_bad("tcp:1.2.3.4:8o", "bad port (expected a number from 1 to 65535)");
	parse_bad("tcp:1.2.3.4: 80", "bad port (expected a number from 1 to 65535)");
	parse_bad("tcp:localhost:80", host);
	parse_bad("tcp:example.com:80", host);
	parse_bad("tcp:1.2.3:80", host);
	parse_bad("tcp:256.1.1.1:80", host);
	parse_bad("tcp:**:80", host);
	parse_bad("udp:a-very-long-host-name-that-is-longer-than-an-address:53", host);
	parse_bad("tcp:::1:80", "an IPv6 address goes in brackets: [ADDRESS]:PORT");
	parse_bad("tcp:[::1:80", "missing ']' after the IPv6 address");
	parse_bad("tcp:[::1]80", "expected ':PORT' after ']'");
	parse_bad("tcp:[::1]", "expected ':PORT' after ']'");
	parse_bad("tcp:[]:80", "missing host (use * for every address)");
	parse_bad("tcp:[zz::1]:80", "bad IPv6 address");
	parse_bad("tcp:[1.2.3.4]:80", "bad IPv6 address");
	parse_bad("tcp:[fe80::1%eth0]:80", "bad IPv6 address");
	parse_bad("tcp:[::1]:0", range);
	parse_bad("unix:", "the path must be absolute (or @NAME for an abstract socket)");
	parse_bad("unix:run/x.sock", "the path must be absolute (or @NAME for an abstract socket)");
	parse_bad("unix:@", "missing name after '@'");
}

static void test_addr_equal(void **state)
{
	struct socket_addr a, b;
	char err[160];
	assert_int_equal(sockets_parse("tcp:127.0.0.1:80", &a, err, sizeof err), 0);
	assert_int_equal(sockets_parse("udp:127.0.0.1:80", &b, err, sizeof err), 0);
	assert_false(sockets_addr_equal(&a, &b)); /* same address, not the same socket */
	assert_int_equal(sockets_parse("tcp:127.0.0.1:81", &b, err, sizeof err), 0);
	assert_false(sockets_addr_equal(&a, &b));
	assert_int_equal(sockets_parse("tcp:127.0.0.2:80", &b, err, sizeof err), 0);
	assert_false(sockets_addr_equal(&a, &b));
	assert_int_equal(sockets_parse("tcp:127.0.0.1:0080", &b, err, sizeof err), 0);
	assert_true(sockets_addr_equal(&a, &b));
	assert_int_equal(sockets_parse("unix:/x", &a, err, sizeof err), 0);
	assert_int_equal(sockets_parse("unix:@x", &b, err, sizeof err), 0);
	assert_false(sockets_addr_equal(&a, &b));
	assert_int_equal(sockets_parse("unix:/xy", &b, err, sizeof err), 0);
	assert_false(sockets_addr_equal(&a, &b));
}

/* ---- binding ---------------------------------------------------------- */

/* A TCP port on 127.0.0.1 that was free a moment ago. */
static int free_port(int type)
{
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof sin;
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	close(fd);
	return ntohs(sin.sin_port);
}

static int connect_tcp(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((in_port_t)port),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	assert_true(fd >= 0);
	if (connect(fd, (struct sockaddr *)&sin, sizeof sin) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

static int connect_unix(const char *path)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	assert_true(fd >= 0);
	assert_true(strlen(path) < sizeof sun.sun_path);
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

static void addr(struct socket_addr *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void addr(struct socket_addr *a, const char *fmt, ...)
{
	char spec[256], err[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(spec, sizeof spec, fmt, ap);
	va_end(ap);
	if (sockets_parse(spec, a, err, sizeof err) < 0)
		fail_msg("%s: %s", spec, err);
}

static void test_open_tcp(void **state)
{
	struct socket_addr a;
	char err[160] = "";
	int port = free_port(SOCK_STREAM);
	addr(&a, "tcp:127.0.0.1:%d", port);
	int fd = sockets_open(&a, 4, 0, err, sizeof err);
	assert_true(fd >= 0);
	/* Close-on-exec for corrald, blocking for the worker, as systemd passes them. */
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_false(fcntl(fd, F_GETFL) & O_NONBLOCK);
	int v = 0;
	socklen_t len = sizeof v;
	assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &len), 0);
	assert_int_equal(v, 1);
	/* Nobody accepts yet: a client is queued, not refused. */
	int c = connect_tcp(port);
	assert_true(c >= 0);
	assert_int_equal(write(c, "hi", 2), 2);
	int s = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
	assert_true(s >= 0);
	char buf[4];
	assert_int_equal(read(s, buf, sizeof buf), 2);
	close(s);
	close(c);

	/* Bound twice: the second says why. */
	assert_int_equal(sockets_open(&a, 4, 0, err, sizeof err), -EADDRINUSE);
	assert_string_equal(err, "bind: Address already in use");
	close(fd);
}

static void test_open_udp(void **state)
{
	struct socket_addr a;
	char err[160] = "";
	int port = free_port(SOCK_DGRAM);
	addr(&a, "udp:127.0.0.1:%d", port);
	int fd = sockets_open(&a, 128, 0, err, sizeof err);
	assert_true(fd >= 0);
	int type = 0;
	socklen_t len = sizeof type;
	assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len), 0);
	assert_int_equal(type, SOCK_DGRAM);
	close(fd);
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
	sockets_close_all();
	config_free(&cfg);
	config_errors_free(&errs);
	return nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void test_open_unix(void **state)
{
	struct socket_addr a;
	char err[160] = "", path[PATH_MAX];
	struct stat st;
	snprintf(path, sizeof path, "%s/a.sock", tmpdir);
	addr(&a, "unix:%s", path);
	int fd = sockets_open(&a, 8, 0640, err, sizeof err);
	assert_true(fd >= 0);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0640);
	int c = connect_unix(path);
	assert_true(c >= 0);
	close(c);
	/* Left behind (corrald was killed): a stale socket is replaced. */
	close(fd);
	fd = sockets_open(&a, 8, 0666, err, sizeof err);
	assert_true(fd >= 0);
	assert_int_equal(lstat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0666);
	close(fd);
	/* A live one is not replaced. */
	fd = sockets_open(&a, 8, 0666, err, sizeof err);
	assert_true(fd >= 0);
	assert_int_equal(sockets_open(&a, 8, 0666, err, sizeof err), -EADDRINUSE);
	assert_string_equal(err, "something is listening there: not replaced");
	c = connect_unix(path);
	assert_true(c >= 0);
	close(c);
	close(fd);
	/* Anything else is not ours to remove. */
	assert_int_equal(unlink(path), 0);
	int f = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	assert_true(f >= 0);
	close(f);
	assert_int_equal(sockets_open(&a, 8, 0666, err, sizeof err), -EEXIST);
	assert_string_equal(err, "a regular file is there, not a socket: left alone");
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	/* No directory: the bind says so. */
	addr(&a, "unix:%s/no/such/dir.sock", tmpdir);
	assert_int_equal(sockets_open(&a, 8, 0666, err, sizeof err), -ENOENT);
	assert_string_equal(err, "bind: No such file or directory");
}

/* What sockets_reclaim_path() does with what it finds at a path: only a
 * socket nobody answers on goes. */
static void test_reclaim_path(void **state)
{
	char err[160], path[PATH_MAX], target[PATH_MAX];
	struct stat st;
	snprintf(path, sizeof path, "%s/r.sock", tmpdir);
	snprintf(target, sizeof target, "%s/target", tmpdir);
	/* nothing there */
	assert_int_equal(sockets_reclaim_path(path, err, sizeof err), 0);
	/* a regular file, untouched */
	int f = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	assert_true(f >= 0);
	assert_int_equal(write(f, "keep", 4), 4);
	close(f);
	assert_int_equal(sockets_reclaim_path(path, err, sizeof err), -EEXIST);
	assert_string_equal(err, "a regular file is there, not a socket: left alone");
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_size, 4);
	assert_int_equal(unlink(path), 0);
	/* a directory */
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(sockets_reclaim_path(path, err, sizeof err), -EEXIST);
	assert_string_equal(err, "a directory is there, not a socket: left alone");
	assert_int_equal(rmdir(path), 0);
	/* a FIFO */
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(sockets_reclaim_path(path, err, sizeof err), -EEXIST);
	assert_string_equal(err, "a FIFO is there, not a socket: left alone");
	assert_int_equal(unlink(path), 0);
	/* a symbolic link, even to a stale socket: not followed, not removed */
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	memcpy(sun.sun_path, target, strlen(target) + 1);
	assert_int_equal(bind(s, (struct sockaddr *)&sun, sizeof sun), 0);
	close(s);
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(sockets_reclaim_path(path, err, sizeof err), -EEXIST);
	assert_string_equal(err, "a symbolic link is there, not a socket: left alone");
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(lstat(target, &st), 0);
	assert_int_equal(unlink(path), 0);
	/* a stale socket goes */
	assert_int_equal(sockets_reclaim_path(target, err, sizeof err), 0);
	assert_int_equal(lstat(target, &st), -1);
	/* a live one stays, whether it listens or is a datagram socket */
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(s, (struct sockaddr *)&sun, sizeof sun), 0);
	assert_int_equal(listen(s, 1), 0);
	assert_int_equal(sockets_reclaim_path(target, err, sizeof err), -EADDRINUSE);
	assert_int_equal(lstat(target, &st), 0);
	close(s);
	assert_int_equal(unlink(target), 0);
	s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(s, (struct sockaddr *)&sun, sizeof sun), 0);
	assert_int_equal(sockets_reclaim_path(target, err, sizeof err), -EADDRINUSE);
	assert_int_equal(lstat(target, &st), 0);
	close(s);
}

/* ---- the held set ----------------------------------------------------- */

static void load(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void load(const char *fmt, ...)
{
	char text[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	config_free(&cfg);
	config_errors_free(&errs);
	if (config_load_string("t.conf", text, &cfg, &errs) != 0) {
		for (size_t i = 0; i < errs.n; i++)
			print_message("  error: %s\n", errs.msgs[i]);
		fail_msg("config_load_string failed");
	}
}

static bool is_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

static void test_held_set(void **state)
{
	char err[512] = "", path[PATH_MAX];
	int port = free_port(SOCK_STREAM), port2 = free_port(SOCK_STREAM);
	struct socket_addr tcp, tcp2, un;
	snprintf(path, sizeof path, "%s/h.sock", tmpdir);
	addr(&tcp, "tcp:127.0.0.1:%d", port);
	addr(&tcp2, "tcp:127.0.0.1:%d", port2);
	addr(&un, "unix:%s", path);

	load("[program:a]\ncommand=x\n[socket:s]\nlisten = tcp:127.0.0.1:%d unix:%s\nprogram=a\n",
	     port, path);
	assert_int_equal(sockets_prepare(&cfg, err, sizeof err), 0);
	assert_int_equal(sockets_count(), 2);
	sockets_commit();
	int ftcp = sockets_fd(&tcp), fun = sockets_fd(&un);
	assert_true(ftcp >= 0 && fun >= 0);
	assert_int_equal(sockets_fd(&tcp2), -1);

	/* The same config again: nothing is bound anew. */
	assert_int_equal(sockets_prepare(&cfg, err, sizeof err), 0);
	sockets_commit();
	assert_int_equal(sockets_fd(&tcp), ftcp);
	assert_int_equal(sockets_fd(&un), fun);

	/* A reload that is abandoned changes nothing: the new socket goes,
	 * the dropped ones stay. */
	load("[program:a]\ncommand=x\n[socket:s]\nlisten = tcp:127.0.0.1:%d\nprogram=a\n", port2);
	assert_int_equal(sockets_prepare(&cfg, err, sizeof err), 0);
	assert_int_equal(sockets_count(), 3);
	int f2 = sockets_fd(&tcp2);
	assert_true(f2 >= 0);
	sockets_abort();
	assert_int_equal(sockets_count(), 2);
	assert_int_equal(sockets_fd(&tcp2), -1);
	assert_int_equal(connect_tcp(port2), -ECONNREFUSED);
	assert_int_equal(sockets_fd(&tcp), ftcp);

	/* A bind error: nothing bound by that prepare stays. */
	int blocker = connect_tcp(port); /* proves the old one still listens */
	assert_true(blocker >= 0);
	close(blocker);
	int other = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof sin;
	assert_int_equal(bind(other, (struct sockaddr *)&sin, sizeof sin), 0);
	assert_int_equal(getsockname(other, (struct sockaddr *)&sin, &len), 0);
	int taken = ntohs(sin.sin_port);
	load("[program:a]\ncommand=x\n[socket:s]\nlisten = tcp:127.0.0.1:%d\nprogram=a\n"
	     "[socket:t]\nlisten = tcp:127.0.0.1:%d\nprogram=a\n", port2, taken);
	assert_int_equal(sockets_prepare(&cfg, err, sizeof err), -EADDRINUSE);
	char want[128];
	snprintf(want, sizeof want, "[socket:t] tcp:127.0.0.1:%d: bind: Address already in use", taken);
	assert_string_equal(err, want);
	assert_int_equal(sockets_count(), 2);
	assert_int_equal(connect_tcp(port2), -ECONNREFUSED);
	close(other);

	/* Committed: what the config no longer names is closed, its path gone. */
	load("[program:a]\ncommand=x\n[socket:s]\nlisten = tcp:127.0.0.1:%d\nprogram=a\n", port2);
	assert_int_equal(sockets_prepare(&cfg, err, sizeof err), 0);
	sockets_commit();
	assert_int_equal(sockets_count(), 1);
	assert_int_equal(sockets_fd(&tcp), -1);
	assert_int_equal(sockets_fd(&un), -1);
	assert_int_equal(connect_tcp(port), -ECONNREFUSED);
	assert_int_equal(access(path, F_OK), -1);
	int c = connect_tcp(port2);
	assert_true(c >= 0);
	close(c);

	f2 = sockets_fd(&tcp2);
	sockets_close_all();
	assert_int_equal(sockets_count(), 0);
	assert_false(is_open(f2));
}

/* numprocs = 3: a shared socket is one, given to each instance; with
 * reuseport each instance has its own, all bound to the same port, and
 * they go across an exec each under its own name. */
static void test_held_reuseport(void **state)
{
	char err[512] = "";
	int port = free_port(SOCK_STREAM);
	struct socket_addr tcp;
	addr(&tcp, "tcp:127.0.0.1:%d", port);

	load("[program:a]\ncommand=x\nnumprocs=3\nprocess_name=a%%(process_num)d\n"
	     "[socket:s]\nlisten = tcp:127.0.0.1:%d\nprogram=a\n", port);
	assert_int_equal(sockets_prepare(&cfg, err, sizeof err), 0);
	sockets_commit();
	assert_int_equal(sockets_count(), 1);
	int shared = sockets_fd(&tcp);
	assert_true(shared >= 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(sockets_fd_for(&cfg.programs[0].listen[0], i), shared);

	/* reuseport: the shared one cannot stay beside them (it has no
	 * SO_REUSEPORT): the reload fails whole and keeps it. */
	load("[program:a]\ncommand=x\nnumprocs=3\nprocess_name=a%%(process_num)d\n"
	     "[socket:s]\nlisten = tcp:127.0.0.1:%d\nprogram=a\nreuseport=true\n", port);
	assert_true(cfg.programs[0].listen[0].reuseport);
	assert_int_equal(sockets_prepare(&cfg, err, sizeof err), -EADDRINUSE);
	assert_int_equal(sockets_count(), 1);
	assert_int_equal(sockets_fd(&tcp), shared);
	sockets_close_all();

	assert_int_equal(sockets_prepare(&cfg, err, sizeof err), 0);
	sockets_commit();
	assert_int_equal(sockets_count(), 3);
	assert_int_equal(sockets_fd(&tcp), -1);
	int fd[3];
	for (int i = 0; i < 3; i++) {
		fd[i] = sockets_fd_for(&cfg.programs[0].listen[0], i);
		assert_true(fd[i] >= 0);
		int one = 0;
		socklen_t len = sizeof one;
		assert_int_equal(getsockopt(fd[i], SOL_SOCKET, SO_REUSEPORT, &one, &len), 0);
		assert_int_equal(one, 1);
		for (int k = 0; k < i; k++)
			assert_int_not_equal(fd[i], fd[k]);
	}
	assert_int_equal(sockets_fd_for(&cfg.programs[0].listen[0], 3), -1);
	int c = connect_tcp(port);
	assert_true(c >= 0);
	close(c);
	/* The same config again keeps them. */
	assert_int_equal(sockets_prepare(&cfg, err, sizeof err), 0);
	sockets_commit();
	for (int i = 0; i < 3; i++)
		assert_int_equal(sockets_fd_for(&cfg.programs[0].listen[0], i), fd[i]);
	sockets_close_all();
	assert_int_equal(connect_tcp(port), -ECONNREFUSED);
}

/* A path that someone else bound after us is not removed by our close. */
static void test_held_path_not_ours(void **state)
{
	char err[512] = "", path[PATH_MAX], moved[PATH_MAX];
	snprintf(path, sizeof path, "%s/m.sock", tmpdir);
	snprintf(moved, sizeof moved, "%s/old.sock", tmpdir);
	load("[program:a]\ncommand=x\n[socket:s]\nlisten = unix:%s\nprogram=a\n", path);
	assert_int_equal(sockets_prepare(&cfg, err, sizeof err), 0);
	sockets_commit();
	assert_int_equal(rename(path, moved), 0);
	int f = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	assert_true(f >= 0);
	close(f);
	sockets_close_all();
	assert_int_equal(access(path, F_OK), 0);
}

/* Backlog and mode of a kept socket change at commit. */
static void test_held_mode_change(void **state)
{
	char err[512] = "", path[PATH_MAX];
	struct stat st;
	snprintf(path, sizeof path, "%s/mode.sock", tmpdir);
	load("[program:a]\ncommand=x\n[socket:s]\nlisten = unix:%s\nprogram=a\nsocket_mode=0600\n", path);
	assert_int_equal(sockets_prepare(&cfg, err, sizeof err), 0);
	sockets_commit();
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	struct socket_addr un;
	addr(&un, "unix:%s", path);
	int fd = sockets_fd(&un);
	load("[program:a]\ncommand=x\n[socket:s]\nlisten = unix:%s\nprogram=a\nsocket_mode=0660\n"
	     "backlog=5\n", path);
	assert_int_equal(sockets_prepare(&cfg, err, sizeof err), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600); /* not before the commit */
	sockets_commit();
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0660);
	assert_int_equal(sockets_fd(&un), fd);
}

/* ---- [socket:NAME] in the config -------------------------------------- */

static int teardown(void **state)
{
	config_free(&cfg);
	config_errors_free(&errs);
	return 0;
}

static void expect_errors(const char *text, ...)
{
	config_free(&cfg);
	config_errors_free(&errs);
	assert_int_equal(config_load_string("t.conf", text, &cfg, &errs), -EINVAL);
	va_list ap;
	va_start(ap, text);
	size_t i = 0;
	for (const char *want; (want = va_arg(ap, const char *)); i++) {
		if (i >= errs.n || strcmp(errs.msgs[i], want) != 0) {
			for (size_t k = 0; k < errs.n; k++)
				print_message("  error: %s\n", errs.msgs[k]);
			fail_msg("error %zu: expected \"%s\"", i, want);
		}
	}
	va_end(ap);
	if (i != errs.n) {
		for (size_t k = 0; k < errs.n; k++)
			print_message("  error: %s\n", errs.msgs[k]);
		fail_msg("%zu errors, expected %zu", errs.n, i);
	}
}

static void test_config_sockets(void **state)
{
	char text[SOCKETS_ADDR_STRLEN];
	load("[socket:web]\n"
	     "listen = tcp:127.0.0.1:8080\n"
	     "   unix:/run/web.sock\n"         /* a continuation line */
	     "program = w\n"
	     "[program:w]\ncommand=x\npriority=5\n"
	     "[program:v]\ncommand=y\n"
	     "[socket:admin]\nlisten = udp:[::1]:9000\nprogram = w\nbacklog = 16\n"
	     "socket_mode = 0600\naccept = false\n");
	assert_int_equal(cfg.nsockets, 2);
	struct socket_config *s = &cfg.sockets[0];
	assert_string_equal(s->name, "web");
	assert_string_equal(s->program, "w");
	assert_int_equal(s->line, 1);
	assert_int_equal(s->nlisten, 2);
	assert_int_equal(s->backlog, 128);
	assert_int_equal(s->socket_mode, 0666);
	s = &cfg.sockets[1];
	assert_string_equal(s->name, "admin");
	assert_int_equal(s->backlog, 16);
	assert_int_equal(s->socket_mode, 0600);

	/* The program's fds: sections in the order written. */
	struct program_config *w = &cfg.programs[0], *v = &cfg.programs[1];
	assert_string_equal(w->name, "w");
	assert_int_equal(w->nlisten, 3);
	const char *want[] = { "tcp:127.0.0.1:8080", "unix:/run/web.sock", "udp:[::1]:9000" };
	const char *names[] = { "web", "web", "admin" };
	for (int i = 0; i < 3; i++) {
		sockets_format(&w->listen[i], text, sizeof text);
		assert_string_equal(text, want[i]);
		assert_string_equal(w->listen_names[i], names[i]);
	}
	assert_null(w->listen_names[3]);
	assert_int_equal(v->nlisten, 0);
	assert_null(v->listen);
}

static void test_config_equal(void **state)
{
	struct corral_config a, b;
	struct config_errors e = { 0 };
	const char *base = "[program:w]\ncommand=x\n[socket:s]\nprogram=w\nlisten=";
	char t[512];
	snprintf(t, sizeof t, "%s%s\n", base, "tcp:127.0.0.1:1 tcp:127.0.0.1:2");
	assert_int_equal(config_load_string("a.conf", t, &a, &e), 0);
	/* Elsewhere in the file, and backlog and mode changed: the same fds. */
	assert_int_equal(config_load_string("b.conf", "\n[socket:s]\nprogram=w\n"
					    "listen=tcp:127.0.0.1:1 tcp:127.0.0.1:2\nbacklog=3\n"
					    "[program:w]\ncommand=x\n", &b, &e), 0);
	assert_true(program_config_equal(&a.programs[0], &b.programs[0]));
	config_free(&b);
	/* The other order: other fds. */
	snprintf(t, sizeof t, "%s%s\n", base, "tcp:127.0.0.1:2 tcp:127.0.0.1:1");
	assert_int_equal(config_load_string("b.conf", t, &b, &e), 0);
	assert_false(program_config_equal(&a.programs[0], &b.programs[0]));
	config_free(&b);
	/* Another name: another LISTEN_FDNAMES. */
	assert_int_equal(config_load_string("b.conf", "[program:w]\ncommand=x\n[socket:r]\nprogram=w\n"
					    "listen=tcp:127.0.0.1:1 tcp:127.0.0.1:2\n", &b, &e), 0);
	assert_false(program_config_equal(&a.programs[0], &b.programs[0]));
	config_free(&b);
	/* None. */
	assert_int_equal(config_load_string("b.conf", "[program:w]\ncommand=x\n", &b, &e), 0);
	assert_false(program_config_equal(&a.programs[0], &b.programs[0]));
	config_free(&b);
	config_free(&a);
	assert_int_equal(e.n, 0);
}

static void test_config_errors(void **state)
{
	expect_errors("[program:w]\ncommand=x\n"
		      "[socket:a]\n"                      /* 3 */
		      "listen = tcp:localhost:80\n"       /* 4 */
		      "program = w\n"
		      "[socket:b]\n"                      /* 6 */
		      "listen = tcp:1.2.3.4:0 unix:rel\n" /* 7 */
		      "program = nope\n"                  /* 8 */
		      "backlog = 0\n"                     /* 9 */
		      "socket_mode = 999\n"               /* 10 */
		      "accept = true\n"                   /* 11 */
		      "[socket:c]\n"                      /* 12 */
		      "accept = maybe\n"                  /* 13 */
		      "lisen = x\n"                       /* 14 */
		      "listen = \n",                      /* 15 */
		      "t.conf:4: [socket:a]: listen: 'tcp:localhost:80': bad host (expected a "
		      "numeric IPv4 address, [IPv6 address] or *)",
		      "t.conf:7: [socket:b]: listen: 'tcp:1.2.3.4:0': port out of range "
		      "(expected 1 to 65535)",
		      "t.conf:7: [socket:b]: listen: 'unix:rel': the path must be absolute (or "
		      "@NAME for an abstract socket)",
		      "t.conf:8: [socket:b]: unknown program 'nope'",
		      "t.conf:9: [socket:b]: bad value for backlog: '0' (expected an integer "
		      "from 1 to 65535)",
		      "t.conf:10: [socket:b]: bad value for socket_mode: '999' (expected an "
		      "octal mode from 0 to 0777)",
		      "t.conf:11: [socket:b]: accept = true is not supported: the program is given "
		      "the listening socket and accepts its own connections (accept = false)",
		      "t.conf:12: [socket:c]: missing program",
		      "t.conf:13: [socket:c]: bad value for accept: 'maybe' (expected false)",
		      "t.conf:14: [socket:c]: unknown key 'lisen'",
		      "t.conf:15: [socket:c]: bad value for listen: '' (expected tcp:HOST:PORT, "
		      "udp:HOST:PORT or unix:PATH)",
		      NULL);

	/* Checks across sections, each at the line of the key concerned. */
	expect_errors("[program:w]\ncommand=x\nnumprocs=2\nprocess_name=w%(process_num)d\n"
		      "[program:r]\ncommand=x\nready=fd:4\n"    /* 5 */
		      "[socket:a]\nprogram = w\n"                /* 8, 9 */
		      "listen = tcp:127.0.0.1:80\n"              /* 10 */
		      "[socket:b]\nlisten = tcp:127.0.0.1:80 unix:/x unix:/x\n" /* 11, 12 */
		      "program = w\n"
		      "[socket:c]\nlisten = unix:@a unix:@b\n"   /* 14, 15 */
		      "program = nope\n"                         /* 16 */
		      "[socket:d]\nlisten = udp:*:53 tcp:*:53\nprogram = r\n" /* 17, 18, 19 */
		      "[socket:e]\nprogram = r\n"                /* 20 */
		      "[socket:f]\nlisten = tcp:*:81 unix:@f\n"   /* 22, 23 */
		      "reuseport = true\nprogram = w\n"          /* 24, 25 */
		      "[socket:g]\nlisten = tcp:*:82\nprogram = w\nreuseport = sometimes\n", /* 26-29 */
		      "t.conf:5: [program:r]: ready = fd:4 is taken by its listening sockets "
		      "(fds 3 to 4)",
		      "t.conf:12: [socket:b]: listen: tcp:127.0.0.1:80 is already in [socket:a] at "
		      "t.conf:10",
		      "t.conf:12: [socket:b]: listen: unix:/x is listed twice",
		      "t.conf:16: [socket:c]: unknown program 'nope'",
		      "t.conf:20: [socket:e]: missing listen",
		      "t.conf:24: [socket:f]: reuseport = true needs tcp: or udp: addresses; "
		      "unix:@f is a unix socket (leave reuseport out: its one socket is shared by "
		      "every instance)",
		      "t.conf:29: [socket:g]: bad value for reuseport: 'sometimes' (expected true "
		      "or false)",
		      NULL);

	/* Names: what LISTEN_FDNAMES can carry. */
	char long_name[300];
	memset(long_name, 'n', sizeof long_name);
	long_name[256] = '\0';
	char text[600], msg[1024];
	snprintf(text, sizeof text, "[socket:%s]\nlisten=unix:/x\nprogram=p\n", long_name);
	snprintf(msg, sizeof msg, "t.conf:1: [socket:%s]: bad socket name '%s' (it must be "
		 "non-empty printable ASCII, without whitespace, ':', '/' or '*', at most 255 bytes)",
		 long_name, long_name);
	expect_errors(text, msg, NULL);
	long_name[255] = '\0';
	snprintf(text, sizeof text, "[program:p]\ncommand=x\n[socket:%s]\nlisten=unix:/x\nprogram=p\n",
		 long_name);
	load("%s", text);
	expect_errors("[socket:]\nlisten=unix:/x\n",
		      "t.conf:1: [socket:]: bad socket name '' (it must be non-empty printable "
		      "ASCII, without whitespace, ':', '/' or '*', at most 255 bytes)", NULL);
	expect_errors("[socket:caf\xc3\xa9]\n",
		      "t.conf:1: [socket:caf\xc3\xa9]: bad socket name 'caf\xc3\xa9' (it must be "
		      "non-empty printable ASCII, without whitespace, ':', '/' or '*', at most "
		      "255 bytes)", NULL);
	expect_errors("[program:p]\ncommand=x\n[socket:s]\nlisten=unix:/x\nprogram=p\n"
		      "[socket:s]\nlisten=unix:/y\nprogram=p\n",
		      "t.conf:6: [socket:s]: duplicate section (first at t.conf:3)", NULL);
}

/* At most 15 sockets a program: fds 3 to 17. */
static void test_config_limit(void **state)
{
	char text[2048] = "[program:p]\ncommand=x\n[socket:a]\nprogram=p\nlisten=";
	for (int i = 1; i <= 10; i++)
		snprintf(text + strlen(text), sizeof text - strlen(text), " unix:@a%d", i);
	strcat(text, "\n[socket:b]\nprogram=p\nlisten=");
	for (int i = 1; i <= 5; i++)
		snprintf(text + strlen(text), sizeof text - strlen(text), " unix:@b%d", i);
	load("%s", text);
	assert_int_equal(cfg.programs[0].nlisten, 15);
	strcat(text, " unix:@b6\n");
	expect_errors(text, "t.conf:7: [socket:b]: program 'p' would get 16 listening sockets "
			    "(at most 15)", NULL);

	char many[2048] = "[program:p]\ncommand=x\n[socket:a]\nprogram=p\nlisten=";
	for (int i = 1; i <= 16; i++)
		snprintf(many + strlen(many), sizeof many - strlen(many), " unix:@m%d", i);
	expect_errors(many, "t.conf:5: [socket:a]: listen: more than 15 addresses", NULL);
}

int main(void)
{
#define T(f) cmocka_unit_test_teardown(f, teardown)
#define TT(f) cmocka_unit_test_setup_teardown(f, setup_tmp, teardown_tmp)
	const struct CMUnitTest tests[] = {
		T(test_parse_inet),
		T(test_parse_unix),
		T(test_parse_errors),
		T(test_addr_equal),
		T(test_open_tcp),
		T(test_open_udp),
		TT(test_open_unix),
		TT(test_reclaim_path),
		TT(test_held_set),
		TT(test_held_reuseport),
		TT(test_held_path_not_ours),
		TT(test_held_mode_change),
		T(test_config_sockets),
		T(test_config_equal),
		T(test_config_errors),
		T(test_config_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
