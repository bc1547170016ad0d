/* healthspec — the pure parts of health checks (health.h): what a
 * healthcheck = value says (the config reader checks it with this), and
 * the counting of failures that turns a process unhealthy. No I/O, no
 * loop: unit-tested alone (tests/unit/test_healthspec.c). */
#ifndef CORRAL_HEALTHSPEC_H
#define CORRAL_HEALTHSPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

enum health_kind { HEALTH_NONE, HEALTH_HTTP, HEALTH_TCP, HEALTH_EXEC };

#define HEALTH_PATH_MAX 1024

struct health_spec {
	enum health_kind kind;
	/* http and tcp: the numeric address (names are never resolved) */
	struct sockaddr_storage addr;
	socklen_t addrlen;
	char host[80];          /* http: the Host header, "127.0.0.1:8080" or "[::1]:80" */
	char path[HEALTH_PATH_MAX]; /* http: "/health" (with its query, if any) */
	const char *command;    /* exec: what follows "exec:" (into the value parsed) */
};

/* Read VALUE ("http://127.0.0.1:8080/health", "tcp:127.0.0.1:5432",
 * "exec:/usr/local/bin/check arg ...") into S. 0, or -EINVAL with ERR
 * saying what is wrong. S->command points into VALUE. */
int healthspec_parse(const char *value, struct health_spec *s, char *err, size_t errlen);

/* The failure counter of one process. */
struct health_count {
	int failures;           /* consecutive failures counted */
	bool known;             /* one check has counted */
	bool healthy;           /* known: the state it is in */
	bool passed;            /* one check has passed since the process started */
};

/* What a result changed. */
enum health_change { HEALTH_SAME, HEALTH_BECAME_HEALTHY, HEALTH_BECAME_UNHEALTHY };

/* A fresh process (started at START_MS). */
void health_count_reset(struct health_count *c);
/* One check's result OK at NOW_MS for a process started at START_MS:
 * failures inside START_PERIOD_MS of the start are not counted (unless one
 * check already passed, as Docker does); RETRIES failures in a row make
 * it unhealthy, one success healthy. */
enum health_change health_count_result(struct health_count *c, bool ok, int64_t now_ms,
				       int64_t start_ms, int64_t start_period_ms, int retries);

#endif
