/* rpc — supervisord's XML-RPC interface, served by corrald itself on the
 * HTTP server (http.h) of [unix_http_server] and [inet_http_server], so
 * that the stock supervisorctl and the tools written against supervisord's
 * API drive corrald: its methods at /RPC2 (values read and written by
 * xmlrpc.c), and its log tails at /logtail/. */
#ifndef CORRAL_RPC_H
#define CORRAL_RPC_H

/* Register the routes on the HTTP server, and subscribe to the core's
 * hooks (hooks.h): programs find the server in their environment, and
 * waiting answers and /logtail follow what the core publishes. 0, or
 * -ENOSPC. */
int rpc_init(void);

#endif
