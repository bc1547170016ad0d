#include "supervisor/strategy.h"

#include <stdlib.h>
#include <string.h>

bool strategy_record_restart(struct restart_window *w, int64_t now, int intensity,
			     int64_t period_ms)
{
	if (intensity <= 0)
		return false;
	size_t want = (size_t)intensity + 1;
	if (w->cap != want) {
		/* The limit changed (or first use): start a fresh window. */
		int64_t *t = realloc(w->times, want * sizeof *t);
		if (!t) {
			strategy_window_reset(w);
			return false;
		}
		w->times = t;
		w->cap = want;
		w->n = 0;
	}
	/* Forget what fell out of the period. */
	size_t drop = 0;
	while (drop < w->n && w->times[drop] <= now - period_ms)
		drop++;
	if (drop) {
		memmove(w->times, w->times + drop, (w->n - drop) * sizeof *w->times);
		w->n -= drop;
	}
	if (w->n == w->cap) { /* full: the oldest goes */
		memmove(w->times, w->times + 1, (w->n - 1) * sizeof *w->times);
		w->n--;
	}
	w->times[w->n++] = now;
	return w->n > (size_t)intensity;
}

void strategy_window_reset(struct restart_window *w)
{
	w->n = 0;
}

void strategy_window_free(struct restart_window *w)
{
	free(w->times);
	w->times = NULL;
	w->n = w->cap = 0;
}

void strategy_members(enum group_strategy strategy, size_t nmembers, size_t failed,
		      bool *restart)
{
	for (size_t i = 0; i < nmembers; i++) {
		switch (strategy) {
		case STRATEGY_ONE_FOR_ONE:
			restart[i] = i == failed;
			break;
		case STRATEGY_ONE_FOR_ALL:
			restart[i] = true;
			break;
		case STRATEGY_REST_FOR_ONE:
			restart[i] = i >= failed;
			break;
		}
	}
}

const char *strategy_name(enum group_strategy strategy)
{
	switch (strategy) {
	case STRATEGY_ONE_FOR_ONE:
		return "one_for_one";
	case STRATEGY_ONE_FOR_ALL:
		return "one_for_all";
	case STRATEGY_REST_FOR_ONE:
		return "rest_for_one";
	}
	return "?";
}
