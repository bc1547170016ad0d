/* loop — what corrald's one event loop dispatches on: epoll events and
 * deadlines, each tagged with the kind of its owner, which embeds it. */
#ifndef CORRAL_LOOP_H
#define CORRAL_LOOP_H

#include <stdint.h>

#include "supervisor/heap.h"

enum watch_kind {
	WATCH_SIGNAL, WATCH_TIMER, WATCH_LISTEN, WATCH_CLIENT,
	WATCH_PIDFD, WATCH_LOG, WATCH_REPORTS, WATCH_CGEVENTS, WATCH_READY, WATCH_NOTIFY,
	WATCH_POOL,   /* pool.c: producers and workers' pipes */
	WATCH_RPC,    /* rpc.c: the XML-RPC server's sockets and clients */
	WATCH_EVENTS, /* events.c: stdin pipes and event listeners' stdout */
};

struct watch {
	enum watch_kind kind;
};

#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - __builtin_offsetof(type, member)))

/* A deadline in the heap, tagged with what kind of owner it belongs to. */
enum deadline_owner { DEADLINE_PROCESS, DEADLINE_CLIENT, DEADLINE_LOG,
		      DEADLINE_POOL /* a pool job's job_timeout */,
		      DEADLINE_RPC /* an XML-RPC client's (rpc.c) */,
		      DEADLINE_EVENTS /* events.c: TICK_* */,
		      DEADLINE_SHUTDOWN /* supervisor.c: "waiting for ... to die" */,
		      DEADLINE_DEVLOG /* devlog.c: the report of lines syslog did not take */ };

struct deadline {
	struct heap_node node;
	enum deadline_owner owner;
};

/* Deadlines for anyone, on the loop's one timerfd. */
int supervisor_timer_set(struct deadline *d, int64_t when);
void supervisor_timer_cancel(struct deadline *d);
/* Watch FD in the event loop with W as its owner tag. */
int supervisor_watch(int fd, uint32_t events, struct watch *w);
int supervisor_watch_mod(int fd, uint32_t events, struct watch *w);
void supervisor_unwatch(int fd);
int64_t supervisor_now_ms(void);

#endif
