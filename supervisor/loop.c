#include "supervisor/loop.h"

#include <errno.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "ipc/io.h"
#include "supervisor/log.h"

/* Events taken from epoll per turn: the rest wait for the next turn, so
 * one busy batch cannot starve the deadlines and the start queue. */
#define LOOP_MAX_EVENTS 64

static struct {
	int epfd, timerfd;
	struct watch timer_watch;
	struct heap heap;
	int64_t armed;          /* the deadline the timerfd is set to, -1: disarmed */
	/* The batch being dispatched: ready[next .. nready) are still to come. */
	struct epoll_event ready[LOOP_MAX_EVENTS];
	int next, nready;
	uint64_t turns;         /* loop_run_once() calls that waited */
} L = { .epfd = -1, .timerfd = -1, .armed = -1 };

int64_t loop_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts); /* vDSO: no system call */
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int loop_watch(int fd, uint32_t events, struct watch *w)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };
	if (epoll_ctl(L.epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	w->fd = fd;
	w->events = events;
	return 0;
}

int loop_watch_mod(struct watch *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };
	if (w->fd < 0)
		return -ENOENT;
	if (epoll_ctl(L.epfd, EPOLL_CTL_MOD, w->fd, &ev) < 0)
		return -errno;
	w->events = events;
	return 0;
}

void loop_unwatch(struct watch *w)
{
	if (w->fd < 0)
		return;
	/* Closing the fd would also remove it, but only once every duplicate is
	 * closed; be explicit. */
	if (epoll_ctl(L.epfd, EPOLL_CTL_DEL, w->fd, NULL) < 0 && errno != ENOENT && errno != EBADF)
		log_warn("epoll_ctl(DEL, %d): %m", w->fd);
	w->fd = -1;
	/* Its owner may free it before this batch is over. */
	for (int i = L.next; i < L.nready; i++)
		if (L.ready[i].data.ptr == w)
			L.ready[i].data.ptr = NULL;
}

int loop_timer_set(struct deadline *d, int64_t when)
{
	return heap_set(&L.heap, &d->node, when);
}

void loop_timer_cancel(struct deadline *d)
{
	heap_remove(&L.heap, &d->node);
}

/* The timerfd fired: every deadline that has passed, earliest first. One
 * whose callback sets another that is due already runs in this turn too. */
static void timers_due(struct watch *w, uint32_t events)
{
	uint64_t ticks;
	(void)io_read_some(L.timerfd, &ticks, sizeof ticks);
	L.armed = -1; /* it fired: disarmed until set again */
	int64_t now = loop_now_ms();
	struct heap_node *node;
	while ((node = heap_pop_expired(&L.heap, now))) {
		struct deadline *d = container_of(node, struct deadline, node);
		d->fn(d);
	}
}

/* Point the timerfd at the earliest deadline; only when it changed, so that
 * an idle corrald makes no system call at all. */
static void arm_timer(void)
{
	struct heap_node *top = heap_top(&L.heap);
	int64_t want = top ? top->when : -1;
	if (want == L.armed)
		return;
	struct itimerspec its = { 0 };
	if (want >= 0) {
		/* 0 would disarm: an already-passed deadline fires in 1 ns. */
		its.it_value.tv_sec = want / 1000;
		its.it_value.tv_nsec = (want % 1000) * 1000000;
		if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
			its.it_value.tv_nsec = 1;
	}
	if (timerfd_settime(L.timerfd, TFD_TIMER_ABSTIME, &its, NULL) < 0) {
		log_err("timerfd_settime: %m");
		return;
	}
	L.armed = want;
}

int loop_run_once(int timeout_ms)
{
	arm_timer();
	int n = epoll_wait(L.epfd, L.ready, LOOP_MAX_EVENTS, timeout_ms);
	L.turns++;
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (L.next = 0, L.nready = n; L.next < L.nready;) {
		struct epoll_event *ev = &L.ready[L.next++];
		struct watch *w = ev->data.ptr;
		if (w) /* NULL: unwatched earlier in this batch */
			w->fn(w, ev->events);
	}
	L.next = L.nready = 0;
	return n;
}

uint64_t loop_turns(void)
{
	return L.turns;
}

int loop_init(void)
{
	int r;
	L.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (L.epfd < 0)
		return -errno;
	L.timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (L.timerfd < 0) {
		r = -errno;
		goto fail;
	}
	loop_watch_init(&L.timer_watch, timers_due, NULL);
	if ((r = loop_watch(L.timerfd, EPOLLIN, &L.timer_watch)) < 0)
		goto fail;
	L.armed = -1;
	return 0;
fail:
	loop_close();
	return r;
}

void loop_close(void)
{
	if (L.timerfd >= 0)
		close(L.timerfd);
	if (L.epfd >= 0)
		close(L.epfd);
	L.timerfd = L.epfd = -1;
	L.armed = -1;
	/* What is still queued is not any more: a later cancel is harmless. */
	for (size_t i = 0; i < L.heap.n; i++)
		L.heap.v[i]->index = HEAP_NONE;
	heap_free(&L.heap);
}
