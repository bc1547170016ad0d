/* program — the state machine of one supervised process, supervisord's
 * states, as a pure function: (state, event) -> (state, actions). It does
 * no I/O; process.c carries out the actions it asks for. Every cell of
 * the state × event table is decided in program_step(), even "ignore". */
#ifndef CORRAL_PROGRAM_H
#define CORRAL_PROGRAM_H

#include <stdbool.h>
#include <stdint.h>

#include "supervisor/config.h"

enum pstate {
	PSTATE_STOPPED,
	PSTATE_STARTING,
	PSTATE_RUNNING,
	PSTATE_BACKOFF,
	PSTATE_STOPPING,
	PSTATE_EXITED,
	PSTATE_FATAL,
	PSTATE_UNKNOWN,
};

enum pevent {
	PEV_START,        /* the user (or autostart) asks for it to run */
	PEV_STOP,         /* the user (or shutdown, or a reload) asks it to stop */
	PEV_SPAWN_FAILED, /* corrald could not even create the process */
	PEV_EXIT,         /* the main process is gone (reaped) */
	PEV_TIMER,        /* the deadline the machine asked for has passed */
	PEV_READY,        /* it said it is ready (READY=1, or a newline on its ready fd) */
	PEV_WATCHDOG,     /* it pinged its watchdog (WATCHDOG=1) */
	PEV_WATCHDOG_TRIGGER, /* it asked to be treated as hung (WATCHDOG=trigger) */
	PEV_UNHEALTHY,    /* its health check failed health_retries times: restart it (health.h) */
};

/* What the caller must do, as flags. */
enum paction {
	PACT_SPAWN       = 1 << 0, /* create the process */
	PACT_STOPSIGNAL  = 1 << 1, /* send stopsignal */
	PACT_KILL        = 1 << 2, /* send SIGKILL */
	PACT_TIMER       = 1 << 3, /* (re)arm the deadline at now + timer_ms */
	PACT_TIMER_STOP  = 1 << 4, /* cancel the deadline */
};

/* Why the machine killed its process itself. */
enum pfailure { PFAIL_NONE, PFAIL_START_TIMEOUT, PFAIL_WATCHDOG,
		PFAIL_POOL_KILL /* its pool killed it (pool.c) */,
		PFAIL_UNHEALTHY /* its health check failed (health.h) */ };

struct pmachine {
	enum pstate state;
	int retries;        /* failed starts in a row */
	bool restart_due;   /* EXITED: autorestart spawns it again when the timer fires */
	enum pfailure killing; /* killed for this; its exit is handled accordingly */
	enum pfailure last;    /* the last such failure, for status */
};

struct pinput {
	enum pevent event;
	int64_t uptime_ms;  /* PEV_EXIT: how long the process lived */
	bool expected;      /* PEV_EXIT: exit code listed in exitcodes */
	bool spawn_error;   /* PEV_EXIT: the child failed before exec */
};

struct poutput {
	unsigned actions;   /* enum paction flags */
	int64_t timer_ms;   /* for PACT_TIMER */
	bool changed;       /* state differs from before */
};

/* A stopped machine. */
void program_init(struct pmachine *m);

/* Apply IN to M under CFG's startsecs, startretries, autorestart and
 * stopwaitsecs; fill OUT with what to do. */
void program_step(struct pmachine *m, const struct program_config *cfg,
		  const struct pinput *in, struct poutput *out);

/* What an exit (PEV_EXIT) means in M's state, as supervisord logs it. */
enum pexit {
	PEXIT_NONE,         /* no process was expected to exit: stale */
	PEXIT_STOPPED,      /* it was asked to stop ("stopped:") */
	PEXIT_FAILED_START, /* before it counted as started ("exited: ...; not expected") */
	PEXIT_EXPECTED,     /* from RUNNING, its code in exitcodes */
	PEXIT_UNEXPECTED,   /* from RUNNING, another code or a signal */
};
enum pexit program_exit_kind(const struct pmachine *m, const struct program_config *cfg,
			     const struct pinput *in);

/* An exit sooner than this after the spawn is a failed start: startsecs
 * with ready = startsecs, else 0 (with startsecs = 0 or ready = none a
 * process is RUNNING at once and its exit is an exit, as in supervisord). */
int64_t program_start_window_ms(const struct program_config *cfg);

/* autorestart spawns a process again no sooner than this after its last
 * spawn (supervisord's loop, which wakes once a second, does about the
 * same): a command that exits at once costs a fork a second, no more. */
#define PROGRAM_RESTART_MIN_MS 1000

/* Delay before retry number RETRIES (1-based): 1 s, 2 s, 4 s ... capped at 60 s. */
int64_t program_backoff_ms(int retries);

/* "RUNNING" etc. */
const char *program_state_name(enum pstate s);

/* True in states where a process exists (STARTING, RUNNING, STOPPING). */
bool program_state_alive(enum pstate s);

/* Down, and staying down until asked: STOPPED, FATAL, or EXITED without a
 * restart due. */
bool program_down(const struct pmachine *m);

#endif
