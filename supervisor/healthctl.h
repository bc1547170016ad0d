/* healthctl — health checks' verdicts as the servers give them:
 * corralctl health [NAME...] (a control verb, set at init through
 * controlint.h) and GET /healthz and /readyz on the HTTP servers, which
 * answer without credentials (HTTP_ROUTE_PUBLIC, corrald(8) says why).
 * Above health.c, which keeps the verdicts (health_ok). */
#ifndef CORRAL_HEALTHCTL_H
#define CORRAL_HEALTHCTL_H

/* After control_init() and health_init(): the verb and the routes. 0, or
 * -ENOSPC. */
int healthctl_init(void);

#endif
