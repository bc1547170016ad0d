/* sockstat — what the kernel says of a listening socket that corrald
 * holds and its program accepts on: how many connections wait in its
 * accept queue and how many may (its backlog). corrald cannot count the
 * connections a program accepts (the accept(2) is the program's), but the
 * kernel keeps the queue of those not accepted yet: TCP_INFO gives it for
 * TCP, sock_diag(7) (NETLINK_SOCK_DIAG, UDIAG_SHOW_RQLEN) for unix stream
 * sockets. Nothing here prints. */
#ifndef CORRAL_SOCKSTAT_H
#define CORRAL_SOCKSTAT_H

#include <stdint.h>

#include "supervisor/cfgmodel.h" /* enum socket_kind */

/* The queue of FD, a listening socket of KIND, into *QUEUED and *BACKLOG.
 * 0; -EOPNOTSUPP for a kind that has no accept queue (UDP); -errno. */
int sockstat_listen_queue(int fd, enum socket_kind kind, uint32_t *queued, uint32_t *backlog);

#endif
