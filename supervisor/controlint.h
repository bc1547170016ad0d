/* controlint — the control server's insides, for the files of verbs
 * above it: control.c keeps the clients, reads requests, sends answers
 * and carries out the verbs on processes; a file of more verbs (ctllog.c:
 * tail, maintail, reopen) sets its handlers here at its init and writes
 * its answers through these functions, and control.c names none of it.
 * Not for any other part: they talk to the control server through hooks
 * only. */
#ifndef CORRAL_CONTROLINT_H
#define CORRAL_CONTROLINT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "ipc/proto.h"
#include "ipc/verbs.h"
#include "supervisor/loop.h"
#include "supervisor/mainlog.h"

struct process;

/* READ: the request is arriving. BUSY: it is being handled (synchronous
 * verbs answer before the handler returns). WAIT: start/stop/restart wait
 * for processes. WRITE: the answer is going out. */
enum client_phase { CLIENT_READ, CLIENT_BUSY, CLIENT_WAIT, CLIENT_WRITE, CLIENT_FOLLOW };

/* What a waiting client still expects of one process. */
enum wait_for { WAIT_NONE, WAIT_STARTED, WAIT_STOPPED, WAIT_STOPPED_THEN_START, WAIT_RUN,
		WAIT_READY };

struct pending {
	struct process *p;    /* NULL once the process was removed */
	enum wait_for what;
};

struct client {
	struct watch watch;
	int fd;
	enum client_phase phase;
	uint8_t hdr[PROTO_HEADER_SIZE];
	size_t got;           /* bytes of header + payload read so far */
	uint8_t *payload;     /* heap, owned */
	uint32_t plen;
	struct proto_buf out; /* the answer */
	size_t sent;
	enum proto_result result;
	struct pending *pend; /* heap, owned */
	size_t npend;
	struct deadline timer;
	int fds[3];           /* passed with the request (SCM_RIGHTS), -1: none; owned */
	int nfds;
	pid_t peer_pid;
	enum { RUN_NORMAL, RUN_TIMED_OUT, RUN_CANCELLED } run_end;
	struct process *follow;  /* tail -f: the process whose log it follows */
	int follow_which;
	struct mainlog_follower mainlog; /* maintail -f: following corrald's log when .following */
	/* A follower (tail -f, maintail -f): its answer goes on after the
	 * first, until it goes; called as it goes. NULL: not a follower. */
	void (*unfollow)(struct client *c);
	uint64_t skipped;        /* bytes not sent to a slow follower */
	struct client *next;
};

/* ---- control.c's, for the files of verbs ---- */

typedef void verb_handler(struct client *c, char **argv, int argc);
/* Requests of verb ID go to FN (at init, before any client). */
void ctl_verb_set(enum verb_id id, verb_handler *fn);
/* The handler of verb ID now: control.c's own, for a file that takes some
 * of its requests and passes the others on (rollctl.c: restart). */
verb_handler *ctl_verb_get(enum verb_id id);

/* A line of the answer, printf-style. */
void ctl_outf(struct client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The answer's result is R (the first failure stays, but for a usage error). */
void ctl_fail(struct client *c, enum proto_result r);
/* The answer is complete: send it. */
void ctl_answer(struct client *c);
/* A request of verb ID that it cannot read: its usage line, and answered. */
void ctl_usage(struct client *c, enum verb_id id);
/* Send what is queued; once an answer is out, a follower goes on. */
void ctl_flush(struct client *c);
/* Close C (a follower whose process is gone); freed after the turn. */
void ctl_client_free(struct client *c);
/* Every client, for a walk that may free the one it is at (keep next). */
struct client *ctl_clients(void);

#endif
