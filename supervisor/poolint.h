/* poolint — the inside of a pool (pool.h), shared by pool.c, which runs
 * it, and poolcarry.c, which hands it across an exec of corrald. Nothing
 * else includes this. */
#ifndef CORRAL_POOLINT_H
#define CORRAL_POOLINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ipc/channel.h"
#include "ipc/proto.h"
#include "supervisor/loop.h"
#include "supervisor/tokenbucket.h"

struct handover;
struct process;
struct producer;
struct pool_worker;

enum job_state { JOB_WAITING, JOB_RUNNING, JOB_DONE };

struct job {
	uint64_t id;
	struct pool *pool;
	struct producer *owner;   /* NULL: detached, or its producer went away */
	struct job *onext;        /* the owner's jobs, in submission order */
	struct job *next;         /* a worker's jobs in flight, or the retry list */
	struct pool_worker *worker; /* RUNNING: on it */
	struct deadline timer;    /* job_timeout while RUNNING */
	enum job_state state;
	bool in_retry;            /* WAITING in the retry list, not the queue */
	bool detached;            /* runs for nobody (--detach) */
	int status;               /* DONE: enum proto_job */
	int crashes;              /* workers that died with it */
	uint32_t mark;            /* poolcarry.c, while it writes the record: its index + 1 */
	uint8_t *data;            /* the job, then its result; heap, owned */
	size_t len;
};

struct pool_worker {
	struct process *proc;     /* NULL once its process is gone */
	struct pool *pool;
	int to_fd, from_fd;       /* our ends of its stdin and stdout, -1: closed */
	int child[2];             /* while it is being spawned: its ends */
	struct watch to_watch, from_watch;
	bool to_watched;          /* to_fd is in the loop (something is left to write) */
	struct proto_buf out;     /* jobs framed for it, not yet written */
	size_t sent;
	char *in;                 /* read from it, not yet a whole result; heap */
	size_t inlen, incap;
	struct job *jobs;         /* in flight, oldest first */
	int njobs;
	bool killed;              /* its tree is being killed: no more jobs */
	bool fault;               /* ... for something it did: its jobs count a crash */
	struct pool_worker *prev, *next; /* the pool's workers, least recently given a job first */
};

struct producer {
	struct watch watch;
	int fd;
	struct pool *pool;
	bool no_wait, detach;
	bool dead;                /* gone: freed after the batch */
	bool bad;                 /* sent something that is no job frame */
	bool throttled;           /* has a job that waits for room */
	struct token_bucket tb;   /* its submit_rate */
	uint32_t events;          /* what the loop watches it for now */
	uint8_t *in;              /* read, not yet taken; heap */
	size_t inoff, inlen, incap;
	struct proto_buf out;     /* 'R' frames not yet written */
	size_t sent;
	struct job *jobs, *jobs_tail; /* submitted, not yet answered */
	size_t njobs;
	size_t held;              /* bytes of results of DONE jobs on that list */
	struct producer *prev, *next; /* the pool's producers: a ring */
	struct producer *dnext;   /* the list of dead ones */
};

struct pool_stats {
	uint64_t done, failed, timed_out, retried, cancelled, throttled, refused;
};

struct pool {
	char *name;               /* heap, owned */
	struct program *prog;     /* the generation whose settings count; NULL: removed */
	int nprogs;               /* generations attached */
	struct channel queue;
	struct job *retry, *retry_tail;
	size_t nretry;
	struct pool_worker *workers, *workers_tail;
	struct producer *producers; /* the ring, at the next one to serve */
	int nproducers;
	size_t njobs;             /* jobs alive */
	bool pumping, again;
	bool dead;
	struct token_bucket tb;   /* submit_rate for the whole pool */
	struct deadline rate_timer; /* a token is due */
	struct pool_stats st;
	struct pool *next;
};

struct pool_all {
	struct pool *pools;
	struct pool *dead_pools;
	struct producer *dead_producers;
	struct pool_worker *dead_workers;
	uint64_t next_id;
	int nproducers;
};
extern struct pool_all pool_all;

/* ---- pool.c, for poolcarry.c ---- */

struct pool *pool_find(const char *name);
/* A job of PL holding a copy of DATA (LEN bytes), WAITING, in no list; NULL: no memory. */
struct job *pool_job_new(struct pool *pl, const void *data, size_t len);
/* J last in the answers PR owes. */
void pool_producer_append(struct producer *pr, struct job *j);
/* A producer of PL on socket FD (taken over), last of this turn; NULL: FD closed. */
struct producer *pool_producer_new(struct pool *pl, int fd, bool no_wait, bool detach);
/* The worker of process P, with no pipes yet, last in PL's workers; NULL: no memory. */
struct pool_worker *pool_worker_new(struct pool *pl, struct process *p);
/* J, RUNNING, last in W's jobs in flight (its deadline is the caller's). */
void pool_worker_add_job(struct pool_worker *w, struct job *j);
/* Write what W has to write; watch its stdin when it is full. */
void pool_worker_flush(struct pool_worker *w);
/* J back in line, ahead of the queue (as when its worker is gone). */
void pool_job_requeue(struct pool *pl, struct job *j);
void pool_pump(struct pool *pl);

/* ---- poolcarry.c ---- */

/* Hooks (hooks.h) of the pools: everything of each pool into H, or -1 with
 * WHY when a pool is not settled (a worker being replaced). */
int pool_handover(struct handover *h, char *why, size_t whylen);
/* After an exec of corrald, every process taken over: each pool takes
 * back its jobs, producers and workers' pipes. */
void pool_taken_over(void);

#endif
