/* rpc — supervisord's XML-RPC interface, served by corrald itself on the
 * sockets of [unix_http_server] and [inet_http_server], so that the stock
 * supervisorctl and the tools written against supervisord's API drive
 * corrald. HTTP/1.1 is read with http-parser, XML with expat (xmlrpc.c);
 * every client lives in corrald's one event loop, with bounded requests
 * and deadlines, like corralctl's (control.c). */
#ifndef CORRAL_RPC_H
#define CORRAL_RPC_H

/* Subscribe to the core's hooks (hooks.h): the server listens where the
 * config says from start-up to shutdown, programs find it in their
 * environment, and waiting answers and /logtail follow what the core
 * publishes. 0, or -ENOSPC. */
int rpc_init(void);

#endif
