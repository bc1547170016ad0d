/* health — health checks per program (healthcheck =, corral.conf(5)): a
 * part above the supervision core. It subscribes to the core's hooks
 * (hooks.h) and, for each process of a program with a healthcheck, runs a
 * check every health_interval seconds while the process is STARTING or
 * RUNNING: http:// and tcp: from corrald's loop without blocking it
 * (probe.h), exec: as a child in the program's sandbox and a scope of its
 * own, its whole tree killed on health_timeout. health_retries failures in
 * a row make the process unhealthy, a pass healthy again; the core is
 * told what follows (supervisor_ready, supervisor_unhealthy,
 * supervisor_stop), listeners hear PROCESS_HEALTH_*. What status shows
 * of it comes from here (health_describe); corralctl health, /healthz and
 * /readyz are healthctl.c's, above. */
#ifndef CORRAL_HEALTH_H
#define CORRAL_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct process;

/* Subscribe to the hooks. 0 or -errno. */
int health_init(void);

/* What status says of P's health into BUF: "healthy", "unhealthy (3
 * failures: HTTP 500)", "starting" (no verdict yet); false (BUF empty)
 * when P has no healthcheck or is not alive. */
bool health_describe(const struct process *p, char *buf, size_t len);

/* P counts as healthy: RUNNING, and its check passed last (or it has no
 * healthcheck). False with WHY ("STOPPED", "unhealthy (...)"). */
bool health_ok(const struct process *p, char *why, size_t len);

/* For metrics: P has a healthcheck (false: the rest is not set); its
 * verdict (1 healthy, 0 unhealthy, -1 none yet) and the checks that
 * failed since corrald started. */
bool health_figures(const struct process *p, int *healthy, uint64_t *failures_total);

#endif
