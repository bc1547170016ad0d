/* rpc — supervisord's XML-RPC interface, served by corrald itself on the
 * sockets of [unix_http_server] and [inet_http_server], so that the stock
 * supervisorctl and the tools written against supervisord's API drive
 * corrald. HTTP/1.1 is read with http-parser, XML with expat (xmlrpc.c);
 * every client lives in corrald's one event loop, with bounded requests
 * and deadlines, like corralctl's (control.c). */
#ifndef CORRAL_RPC_H
#define CORRAL_RPC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "supervisor/config.h"

struct process;

/* Listen where CFG says; nothing when it names no server. 0, or -1 after
 * logging why (corrald does not start then). */
int rpc_open(const struct corral_config *cfg);
void rpc_close(void);
/* Free the clients closed during the last batch of events. */
void rpc_bury(void);
/* P changed state, or is about to be freed (GONE). */
void rpc_process_changed(struct process *p, bool gone);
/* Output of P's stream WHICH went to its log: /logtail clients get it. */
void rpc_log_data(struct process *p, int which, const struct iovec *iov, int n);
/* The URL programs find in SUPERVISOR_SERVER_URL ("unix:///path" or
 * "http://host:port"), or NULL when no server is configured. */
const char *rpc_server_url(void);

#endif
