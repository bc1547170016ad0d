/* restartq — restarts that answer before the process is back: the web
 * page's and the JSON API's (the control socket and XML-RPC wait
 * instead). A restart stops the process and puts it in a queue; each
 * process of the queue that is down is started again, from the caller's
 * on_process_changed hook (restartq_changed). A stop asked meanwhile
 * takes it out (restartq_cancel): it stays down.
 *
 * On the core's face only (supervisor.h); one queue per caller, which
 * says what "down" means to it and how it starts a process. */
#ifndef CORRAL_RESTARTQ_H
#define CORRAL_RESTARTQ_H

#include <stdbool.h>

struct process;
struct restartq_item;

struct restartq {
	/* Is P down, to be started again? */
	bool (*down)(const struct process *p);
	/* Start P again (not called while corrald shuts down). */
	void (*start)(struct process *p);
	struct restartq_item *items;  /* owned */
	bool checking, again;         /* a start re-enters restartq_changed() */
};

/* P goes into Q (once). False when out of memory. */
bool restartq_add(struct restartq *q, struct process *p);
/* P leaves Q, if it is in it. */
void restartq_cancel(struct restartq *q, const struct process *p);
/* Call from on_process_changed: the processes of Q that are down are
 * started again; P, GONE, leaves Q. */
void restartq_changed(struct restartq *q, struct process *p, bool gone);
/* At exit: what is still owed is dropped. */
void restartq_free(struct restartq *q);

#endif
