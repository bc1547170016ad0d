/* strategy — the pure parts of a group's restart strategy: which members
 * restart when one fails, and whether the group restarts too often.
 * No I/O; group.c applies the decisions. */
#ifndef CORRAL_STRATEGY_H
#define CORRAL_STRATEGY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "supervisor/config.h"

/* The restarts of one group within its period: a ring of at most
 * LIMIT + 1 times, so it never grows. Owns its array. */
struct restart_window {
	int64_t *times;   /* monotonic ms, oldest first */
	size_t n, cap;
};

/* Record a restart at NOW. True when that makes more than INTENSITY
 * restarts within PERIOD_MS (INTENSITY 0: never). -ENOMEM is reported as
 * false after forgetting the history. */
bool strategy_record_restart(struct restart_window *w, int64_t now, int intensity,
			     int64_t period_ms);
void strategy_window_reset(struct restart_window *w);
void strategy_window_free(struct restart_window *w);

/* Which of NMEMBERS members (in the order the group lists them) restart
 * when member FAILED fails under STRATEGY: RESTART[i] is set for each. */
void strategy_members(enum group_strategy strategy, size_t nmembers, size_t failed,
		      bool *restart);

const char *strategy_name(enum group_strategy strategy);

#endif
