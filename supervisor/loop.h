/* loop — corrald's one event loop: file descriptors in one epoll set, and
 * deadlines in a min-heap (heap.h) behind one timerfd.
 *
 * It knows nothing of what it serves (as redis's ae, or libuv): a watch
 * and a deadline each carry their owner's callback and context, and each
 * part registers its own. Both are embedded in their owners; the loop
 * holds pointers to them, never copies, and owns only its epoll and timer
 * descriptors and the heap's array. One thread, one loop: its state is
 * this file's, and every callback runs to its end before the next. */
#ifndef CORRAL_LOOP_H
#define CORRAL_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#include "supervisor/heap.h"

struct watch;
struct deadline;

/* EVENTS: what epoll said (EPOLLIN, EPOLLOUT, EPOLLHUP ...). */
typedef void loop_watch_fn(struct watch *w, uint32_t events);
typedef void loop_timer_fn(struct deadline *d);

/* A file descriptor in the loop. */
struct watch {
	int fd;                 /* while watched; -1: not */
	uint32_t events;        /* what it is watched for */
	loop_watch_fn *fn;
	void *ctx;              /* its owner's */
};

/* A deadline: node.when, CLOCK_MONOTONIC milliseconds, while queued. */
struct deadline {
	struct heap_node node;
	loop_timer_fn *fn;
	void *ctx;              /* its owner's */
};

#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - __builtin_offsetof(type, member)))

/* Before first use of W or D, and again to give it to another owner. */
static inline void loop_watch_init(struct watch *w, loop_watch_fn *fn, void *ctx)
{
	w->fd = -1;
	w->events = 0;
	w->fn = fn;
	w->ctx = ctx;
}

static inline void loop_timer_init(struct deadline *d, loop_timer_fn *fn, void *ctx)
{
	heap_node_init(&d->node);
	d->fn = fn;
	d->ctx = ctx;
}

static inline bool loop_timer_pending(const struct deadline *d)
{
	return heap_node_queued(&d->node);
}

/* The epoll set and the timerfd. 0 or -errno. */
int loop_init(void);
/* Close them and forget every deadline (at exit). */
void loop_close(void);

/* Watch FD for EVENTS; W's callback runs when epoll reports it. 0, or
 * -errno (-EEXIST when FD is watched already). */
int loop_watch(int fd, uint32_t events, struct watch *w);
/* Watch W's descriptor for EVENTS instead (0: nothing but errors and
 * hang-ups). 0 or -errno. */
int loop_watch_mod(struct watch *w, uint32_t events);
/* Stop watching W's descriptor (before it is closed); harmless when not
 * watched. An event of the batch at hand that W has not been called for
 * yet is dropped: a callback may unwatch, and its owner free, any watch. */
void loop_unwatch(struct watch *w);

/* Fire D at WHEN (loop_now_ms() time), or move it there. 0 or -ENOMEM. */
int loop_timer_set(struct deadline *d, int64_t when);
/* Harmless when D is not pending. */
void loop_timer_cancel(struct deadline *d);

/* CLOCK_MONOTONIC in milliseconds (no system call: the vDSO's). */
int64_t loop_now_ms(void);

/* One turn: wait up to TIMEOUT_MS (-1: until something happens, 0: not at
 * all) for events, then run the callback of each, and of each deadline
 * that has passed. The number of events, 0 when interrupted by a signal,
 * or -errno when the loop cannot wait any more. */
int loop_run_once(int timeout_ms);
/* Turns of the loop (loop_run_once() calls) since corrald started: a
 * counter read by metrics, never reset. */
uint64_t loop_turns(void);

#endif
