/* metrics — what corrald, its processes, pools and sockets do, for
 * Prometheus: GET /metrics on corrald's HTTP servers ([unix_http_server],
 * [inet_http_server], with their authentication) and `corralctl metrics`,
 * in the text exposition format 0.0.4, or OpenMetrics 1.0.0 when the
 * scraper asks for it (promtext.h writes both).
 *
 * Nothing is kept or computed between scrapes: each one reads the core's
 * counters (supervisor.h, pool.h, loop.h), and the kernel's for what the
 * core does not count (a tree's CPU and memory: usage.h; a listening
 * socket's queue; corrald's own memory and descriptors). corrald(8) lists
 * every metric. */
#ifndef CORRAL_METRICS_H
#define CORRAL_METRICS_H

#include <stdbool.h>
#include <stddef.h>

/* Register GET /metrics on the HTTP server. 0, or -ENOSPC. */
int metrics_init(void);

/* The whole text, OpenMetrics when OPENMETRICS, into a heap buffer at
 * *OUT (the caller frees it) of *LEN bytes. 0, or -ENOMEM. */
int metrics_render(bool openmetrics, char **out, size_t *len);

struct proto_buf;
/* The same, appended to B (corralctl metrics's answer). 0, or -ENOMEM or
 * -EMSGSIZE after logging why. */
int metrics_append(struct proto_buf *b, bool openmetrics);

#endif
