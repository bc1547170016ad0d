/* sockets — the listening sockets of socket activation ([socket:NAME]).
 *
 * corrald binds them before the programs that use them start and holds them
 * for as long as a config names them. A worker gets copies at fds 3, 4 ...
 * with LISTEN_FDS, LISTEN_PID and LISTEN_FDNAMES, as systemd's
 * sd_listen_fds(3) expects; since corrald keeps its own, a client that
 * connects while the worker restarts waits in the backlog instead of being
 * refused.
 *
 * The address functions are pure. The held set is the only state, changed
 * in two steps so that a reload applies whole or not at all:
 * sockets_prepare() binds what a new config adds, then sockets_commit()
 * closes what it dropped (or sockets_abort() undoes the prepare). Nothing
 * here prints: errors come back as -errno with a message in ERR. */
#ifndef CORRAL_SOCKETS_H
#define CORRAL_SOCKETS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "supervisor/cfgmodel.h" /* struct socket_addr */

/* The most listening sockets one program gets (fds 3 to 17): with a
 * ready = fd:N pipe that fills the spawner's SPAWN_MAX_EXTRA. */
#define SOCKETS_MAX_PER_PROGRAM 15

/* Room for sockets_format()'s text ("unix:" and a 107-byte path). */
#define SOCKETS_ADDR_STRLEN 128

/* Parse "tcp:HOST:PORT", "udp:HOST:PORT" or "unix:PATH". HOST is a numeric
 * IPv4 address, an IPv6 address in brackets, or "*" for every IPv4 address:
 * names are not resolved, so that corrald never waits on DNS. PORT is 1 to
 * 65535. PATH is absolute, or "@NAME" for Linux's abstract namespace.
 * 0 with *OUT filled, or -EINVAL with the reason in ERR. */
int sockets_parse(const char *spec, struct socket_addr *out, char *err, size_t errlen);

/* The canonical text of A ("tcp:127.0.0.1:8080", "udp:[::1]:53",
 * "unix:/run/x.sock", "unix:@x") into BUF. */
void sockets_format(const struct socket_addr *a, char *buf, size_t len);

bool sockets_addr_equal(const struct socket_addr *a, const struct socket_addr *b);

/* Make PATH free for a unix socket to be bound there: nothing is there,
 * or a socket nobody answers on (what a server that died leaves), which is
 * removed. Anything else is left alone: a regular file, a directory, a
 * symbolic link (never followed), a FIFO, a socket something listens on.
 * 0, or -errno with the reason in ERR (-EEXIST: not a socket;
 * -EADDRINUSE: something answers there). */
int sockets_reclaim_path(const char *path, char *err, size_t errlen);

struct sockaddr_un;

/* Bind FD to the unix address ADDR (LEN bytes), the file made with MODE
 * (no chmod by path afterwards). 0 or -errno. */
int sockets_bind_unix(int fd, const struct sockaddr_un *addr, socklen_t len, unsigned mode);

/* Is PATH still the file (DEV, INO) corrald made? Only then is it removed
 * at close: never a file someone put there since. */
bool sockets_same_file(const char *path, dev_t dev, ino_t ino);

/* Bind and (for streams) listen on A: a close-on-exec, blocking socket, as
 * systemd passes them. A unix path is made free by
 * sockets_reclaim_path() first; MODE is given to it. The fd, or -errno
 * with "bind: Address already in use"-like text in ERR. */
int sockets_open(const struct socket_addr *a, int backlog, unsigned mode, char *err,
		 size_t errlen);

/* As sockets_open(), and with REUSEPORT one of several sockets bound to
 * the same TCP or UDP address (SO_REUSEPORT). */
int sockets_open_as(const struct socket_addr *a, bool reuseport, int backlog, unsigned mode,
		    char *err, size_t errlen);

struct corral_config;
struct socket_config;

/* Bind every address of CFG's [socket:] sections and [fcgi-program:]
 * sockets that is not held yet (a reuseport section's: one for each
 * instance of its program, sockets_instances());
 * those already held are kept (their backlog and mode change at commit).
 * 0, or -errno with "[socket:NAME] ADDRESS: bind: ..." in ERR and nothing
 * changed. A prepare not yet committed is aborted first. */
int sockets_prepare(const struct corral_config *cfg, char *err, size_t errlen);

/* The prepared config is in force: close (and unlink) what it no longer
 * names, give kept sockets their new backlog and mode. */
void sockets_commit(void);

/* Undo the last sockets_prepare(): close what it bound. */
void sockets_abort(void);

/* The held socket for A, or -1 when there is none. A reuseport address
 * has no shared one: -1. */
int sockets_fd(const struct socket_addr *a);

/* The socket instance INSTANCE (0 ...) of a program is given for A: the
 * shared one, or with reuseport its own. -1 when there is none. */
int sockets_fd_for(const struct socket_addr *a, int instance);

/* How many instances the program of S runs (its numprocs), 0 when S names
 * no program of CFG. */
int sockets_instances(const struct corral_config *cfg, const struct socket_config *s);

/* How many sockets are held (prepared ones included). */
size_t sockets_count(void);

/* Close every held socket and remove the unix paths corrald made. */
void sockets_close_all(void);

struct handover;
/* corrald execs itself: every socket held goes across (handover.h), each by
 * its address; the prepare after the exec takes each back instead of
 * binding it. 0 or -ENOMEM. */
int sockets_handover(struct handover *h);

#endif
