/* probe — one health check over the network, from corrald's loop without
 * ever blocking it: a non-blocking connect (tcp:), then for http:// an
 * HTTP/1.1 GET with Connection: close whose status line alone is read.
 * The whole check is bounded by a deadline of the loop's. Addresses are
 * numeric (healthspec.h): nothing waits on DNS. */
#ifndef CORRAL_PROBE_H
#define CORRAL_PROBE_H

#include <stdbool.h>
#include <stddef.h>

#include "supervisor/healthspec.h"
#include "supervisor/loop.h"

/* An answer's status line is read in at most this many bytes. */
#define HEALTH_STATUS_MAX 512

/* The status code of an HTTP answer that starts with BUF (LEN bytes,
 * maybe incomplete), read by http-parser: the code (100-999), 0 when more
 * bytes are needed, -1 when it is not an HTTP/1.x status line (or none
 * came in HEALTH_STATUS_MAX bytes). */
int probe_status_line(const char *buf, size_t len);

struct probe;
/* The check is over: OK, or WHY it failed ("connect: Connection refused",
 * "HTTP 500", "timed out after 2s"). The probe may be started again from
 * here. */
typedef void probe_done_fn(struct probe *pr, bool ok, const char *why);

struct probe {
	int fd;                     /* -1: idle */
	struct watch w;
	struct deadline d;
	const struct health_spec *spec; /* the caller's, while running */
	bool connected;
	char req[HEALTH_PATH_MAX + 160];
	size_t reqlen, sent;
	char buf[HEALTH_STATUS_MAX + 1];
	size_t got;
	int timeout_s;
	probe_done_fn *done;
	void *ctx;                  /* the caller's */
};

/* An idle probe. */
void probe_init(struct probe *pr, probe_done_fn *done, void *ctx);
/* Start a check of SPEC (http or tcp) that gives up after TIMEOUT_S
 * seconds. 0; or -errno when it could not even begin (no socket): DONE is
 * not called then. */
int probe_start(struct probe *pr, const struct health_spec *spec, int timeout_s);
/* Stop a running check (its socket closed); DONE is not called. */
void probe_cancel(struct probe *pr);
static inline bool probe_running(const struct probe *pr)
{
	return pr->fd >= 0;
}

#endif
