/* poolcarry — a pool across an exec of corrald (corralctl reexec): its
 * queue, retry list, jobs in flight, answers held, producers and workers'
 * pipes go into a part of the handover record (handover.h), of kind
 * "pool" and keyed by the pool's name; the new corrald, once every
 * process is taken over, builds the pool again from it. The producers'
 * sockets and the workers' pipes stay open across the exec, so a producer
 * waiting for its answers and a worker in the middle of a job see nothing.
 *
 * The part, in the order written (handover_put_*):
 *     u64 next job id; u64 x7 counts (struct pool_stats)
 *     u32 n jobs: u64 id, u32 state, bool detached, i32 status,
 *                 i32 crashes, i64 deadline (ms, CLOCK_MONOTONIC; 0: none),
 *                 bytes (the job, or its result once DONE)
 *     u32 n, job indexes: the queue, oldest first
 *     u32 n, job indexes: the retry list
 *     u32 n workers: str process name, bytes not yet written to its stdin,
 *                 bytes read from its stdout not yet a whole result,
 *                 u32 n, job indexes in flight, oldest first
 *     u32 n producers (the ring, from the next one to serve):
 *                 bool no_wait, detach, throttled, bad; bytes read and not
 *                 yet taken; bytes of answers not yet written;
 *                 u32 n, job indexes owed, in submission order
 * Descriptors go in the record's table: "pool" "NAME/PROCESS/stdin" and
 * ".../stdout" for a worker, "pool" "NAME/producer/I" for a producer. */
#include "supervisor/poolint.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "supervisor/core.h"
#include "supervisor/handover.h"
#include "supervisor/log.h"
#include "supervisor/supervisor.h"

#define KIND "pool"

/* ---- the corrald that execs ---- */

struct marks {
	struct job **v;
	size_t n, cap;
	bool nomem;
};

/* J gets the next index, once. */
static void mark(struct marks *m, struct job *j)
{
	if (j->mark || m->nomem)
		return;
	if (m->n == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 64;
		struct job **v = realloc(m->v, cap * sizeof *v);
		if (!v) {
			m->nomem = true;
			return;
		}
		m->v = v;
		m->cap = cap;
	}
	m->v[m->n++] = j;
	j->mark = (uint32_t)m->n;
}

static void put_index(struct handover_out *o, const struct job *j)
{
	handover_put_u32(o, j->mark - 1);
}

static int fd_key(char *buf, size_t len, const struct pool *pl, const char *who, const char *what)
{
	int n = snprintf(buf, len, "%s/%s/%s", pl->name, who, what);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Whether PL can go across now: 0, or -1 with WHY. */
static int settled(const struct pool *pl, char *why, size_t whylen)
{
	if (!pl->prog) {
		snprintf(why, whylen, "pool %s was removed and still has jobs: try again once "
			 "they are done", pl->name);
		return -1;
	}
	for (const struct pool_worker *w = pl->workers; w; w = w->next)
		if (!w->proc || w->killed || w->to_fd < 0 || w->from_fd < 0 || w->child[0] >= 0) {
			snprintf(why, whylen, "pool %s: worker %s is being replaced: try again once "
				 "it has settled", pl->name, w->proc ? w->proc->name : "?");
			return -1;
		}
	return 0;
}

static int save(struct handover *h, struct pool *pl, char *why, size_t whylen)
{
	struct marks m = { 0 };
	size_t nq = channel_len(&pl->queue);
	for (size_t i = 0; i < nq; i++)
		mark(&m, channel_at(&pl->queue, i));
	for (struct job *j = pl->retry; j; j = j->next)
		mark(&m, j);
	for (struct pool_worker *w = pl->workers; w; w = w->next)
		for (struct job *j = w->jobs; j; j = j->next)
			mark(&m, j);
	struct producer *pr = pl->producers;
	for (int i = 0; i < pl->nproducers && pr; i++, pr = pr->next)
		for (struct job *j = pr->jobs; j; j = j->onext)
			mark(&m, j);

	struct handover_out o = { 0 };
	handover_put_u64(&o, pool_all.next_id);
	const struct pool_stats *st = &pl->st;
	const uint64_t counts[7] = { st->done, st->failed, st->timed_out, st->retried,
				     st->cancelled, st->throttled, st->refused };
	for (int i = 0; i < 7; i++)
		handover_put_u64(&o, counts[i]);
	handover_put_u32(&o, (uint32_t)m.n);
	for (size_t i = 0; i < m.n; i++) {
		const struct job *j = m.v[i];
		handover_put_u64(&o, j->id);
		handover_put_u32(&o, j->state);
		handover_put_bool(&o, j->detached);
		handover_put_i32(&o, j->status);
		handover_put_i32(&o, j->crashes);
		handover_put_i64(&o, loop_timer_pending(&j->timer) ? j->timer.node.when : 0);
		handover_put_bytes(&o, j->data, j->len);
	}
	handover_put_u32(&o, (uint32_t)nq);
	for (size_t i = 0; i < nq; i++)
		put_index(&o, channel_at(&pl->queue, i));
	handover_put_u32(&o, (uint32_t)pl->nretry);
	for (struct job *j = pl->retry; j; j = j->next)
		put_index(&o, j);

	int r = 0;
	char key[PATH_MAX];
	uint32_t nw = 0;
	for (struct pool_worker *w = pl->workers; w; w = w->next)
		nw++;
	handover_put_u32(&o, nw);
	for (struct pool_worker *w = pl->workers; w && r == 0; w = w->next) {
		handover_put_str(&o, w->proc->name);
		handover_put_bytes(&o, w->out.len ? w->out.data + w->sent : NULL, w->out.len - w->sent);
		handover_put_bytes(&o, w->in, w->inlen);
		handover_put_u32(&o, (uint32_t)w->njobs);
		for (struct job *j = w->jobs; j; j = j->next)
			put_index(&o, j);
		if ((r = fd_key(key, sizeof key, pl, w->proc->name, "stdin")) == 0 &&
		    (r = handover_add_fd(h, KIND, key, w->to_fd)) == 0 &&
		    (r = fd_key(key, sizeof key, pl, w->proc->name, "stdout")) == 0)
			r = handover_add_fd(h, KIND, key, w->from_fd);
	}
	uint32_t np = 0;
	pr = pl->producers;
	for (int i = 0; i < pl->nproducers && pr; i++, pr = pr->next)
		np += !pr->dead;
	handover_put_u32(&o, np);
	pr = pl->producers;
	for (uint32_t i = 0, k = 0; i < (uint32_t)pl->nproducers && pr && r == 0; i++, pr = pr->next) {
		if (pr->dead)
			continue;
		handover_put_bool(&o, pr->no_wait);
		handover_put_bool(&o, pr->detach);
		handover_put_bool(&o, pr->throttled);
		handover_put_bool(&o, pr->bad);
		handover_put_bytes(&o, pr->inlen ? pr->in + pr->inoff : NULL, pr->inlen - pr->inoff);
		handover_put_bytes(&o, pr->out.len ? pr->out.data + pr->sent : NULL, pr->out.len - pr->sent);
		handover_put_u32(&o, (uint32_t)pr->njobs);
		for (struct job *j = pr->jobs; j; j = j->onext)
			put_index(&o, j);
		char idx[16];
		snprintf(idx, sizeof idx, "%u", k++);
		if ((r = fd_key(key, sizeof key, pl, "producer", idx)) == 0)
			r = handover_add_fd(h, KIND, key, pr->fd);
	}
	for (size_t i = 0; i < m.n; i++)
		m.v[i]->mark = 0;
	free(m.v);
	if (m.nomem)
		r = -ENOMEM;
	if (r == 0)
		r = handover_add_part(h, KIND, pl->name, &o);
	free(o.data);
	if (r < 0)
		snprintf(why, whylen, "pool %s: %s", pl->name, strerror(-r));
	return r < 0 ? -1 : 0;
}

int pool_handover(struct handover *h, char *why, size_t whylen)
{
	for (struct pool *pl = pool_all.pools; pl; pl = pl->next)
		if (settled(pl, why, whylen) < 0 || save(h, pl, why, whylen) < 0)
			return -1;
	return 0;
}

/* ---- the corrald exec'd: the part read whole and checked first ---- */

struct cjob {
	uint64_t id;
	uint32_t state;
	bool detached;
	int32_t status, crashes;
	int64_t deadline;
	void *data;
	size_t len;
	int placed, owned;        /* in the queue, retry list or a worker; owed to a producer */
	struct job *job;          /* made */
};

struct clist {
	uint32_t *v;
	size_t n;
};

struct cworker {
	char *name;
	void *out, *in;
	size_t outlen, inlen;
	struct clist jobs;
	int fd[2];                /* stdin, stdout */
};

struct cproducer {
	bool no_wait, detach, throttled, bad;
	void *in, *out;
	size_t inlen, outlen;
	struct clist jobs;
	int fd;
};

struct carried {
	uint64_t next_id;
	uint64_t counts[7];
	struct cjob *jobs;
	size_t njobs;
	struct clist queue, retry;
	struct cworker *workers;
	size_t nworkers;
	struct cproducer *producers;
	size_t nproducers;
};

static void get_list(struct handover_in *in, struct clist *l, struct carried *c)
{
	l->v = handover_get_array(in, 4, sizeof *l->v, &l->n);
	for (size_t i = 0; l->v && i < l->n; i++)
		if ((l->v[i] = handover_get_u32(in)) >= c->njobs)
			in->bad = true;
}

static void carried_free(struct carried *c)
{
	for (size_t i = 0; i < c->njobs; i++)
		free(c->jobs[i].data);
	free(c->jobs);
	free(c->queue.v);
	free(c->retry.v);
	for (size_t i = 0; i < c->nworkers; i++) {
		struct cworker *w = &c->workers[i];
		free(w->name);
		free(w->out);
		free(w->in);
		free(w->jobs.v);
		for (int k = 0; k < 2; k++)
			if (w->fd[k] >= 0)
				close(w->fd[k]);
	}
	free(c->workers);
	for (size_t i = 0; i < c->nproducers; i++) {
		struct cproducer *p = &c->producers[i];
		free(p->in);
		free(p->out);
		free(p->jobs.v);
		if (p->fd >= 0)
			close(p->fd);
	}
	free(c->producers);
}

/* Each job in exactly one place, as its state says: 0, or -1. */
static int consistent(struct carried *c)
{
	const struct clist *places[2] = { &c->queue, &c->retry };
	for (int k = 0; k < 2; k++)
		for (size_t i = 0; i < places[k]->n; i++)
			if (c->jobs[places[k]->v[i]].state != JOB_WAITING)
				return -1;
			else
				c->jobs[places[k]->v[i]].placed++;
	for (size_t w = 0; w < c->nworkers; w++)
		for (size_t i = 0; i < c->workers[w].jobs.n; i++)
			if (c->jobs[c->workers[w].jobs.v[i]].state != JOB_RUNNING)
				return -1;
			else
				c->jobs[c->workers[w].jobs.v[i]].placed++;
	for (size_t p = 0; p < c->nproducers; p++)
		for (size_t i = 0; i < c->producers[p].jobs.n; i++)
			c->jobs[c->producers[p].jobs.v[i]].owned++;
	for (size_t i = 0; i < c->njobs; i++) {
		const struct cjob *j = &c->jobs[i];
		bool done = j->state == JOB_DONE;
		if (j->state > JOB_DONE || j->placed + done != 1 || j->owned > 1 ||
		    (done && !j->owned) || (j->detached && j->owned))
			return -1;
	}
	return 0;
}

static int decode(const struct handover_part *part, struct carried *c)
{
	struct handover_in in = { part->data, part->data + part->len, false };
	c->next_id = handover_get_u64(&in);
	for (int i = 0; i < 7; i++)
		c->counts[i] = handover_get_u64(&in);
	c->jobs = handover_get_array(&in, 33, sizeof *c->jobs, &c->njobs);
	for (size_t i = 0; i < c->njobs && !in.bad; i++) {
		struct cjob *j = &c->jobs[i];
		j->id = handover_get_u64(&in);
		j->state = handover_get_u32(&in);
		j->detached = handover_get_bool(&in);
		j->status = handover_get_i32(&in);
		j->crashes = handover_get_i32(&in);
		j->deadline = handover_get_i64(&in);
		j->data = handover_get_bytes(&in, &j->len);
	}
	get_list(&in, &c->queue, c); /* (nothing more is read once IN is bad) */
	get_list(&in, &c->retry, c);
	size_t nw;
	c->workers = handover_get_array(&in, 16, sizeof *c->workers, &nw);
	for (size_t i = 0; i < nw && !in.bad; i++, c->nworkers++) {
		struct cworker *w = &c->workers[i];
		w->fd[0] = w->fd[1] = -1;
		w->name = handover_get_str(&in);
		w->out = handover_get_bytes(&in, &w->outlen);
		w->in = handover_get_bytes(&in, &w->inlen);
		get_list(&in, &w->jobs, c);
	}
	size_t np;
	c->producers = handover_get_array(&in, 16, sizeof *c->producers, &np);
	for (size_t i = 0; i < np && !in.bad; i++, c->nproducers++) {
		struct cproducer *p = &c->producers[i];
		p->fd = -1;
		p->no_wait = handover_get_bool(&in);
		p->detach = handover_get_bool(&in);
		p->throttled = handover_get_bool(&in);
		p->bad = handover_get_bool(&in);
		p->in = handover_get_bytes(&in, &p->inlen);
		p->out = handover_get_bytes(&in, &p->outlen);
		get_list(&in, &p->jobs, c);
	}
	if (in.bad || in.p != in.end)
		return -1;
	return consistent(c);
}

/* Every descriptor of C from the record: 0, or -1 when one is missing. */
static int take_fds(const struct pool *pl, struct carried *c)
{
	char key[PATH_MAX], idx[24];
	static const char *const ends[2] = { "stdin", "stdout" };
	for (size_t i = 0; i < c->nworkers; i++)
		for (int k = 0; k < 2; k++)
			if (fd_key(key, sizeof key, pl, c->workers[i].name, ends[k]) < 0 ||
			    (c->workers[i].fd[k] = handover_take_fd(KIND, key)) < 0)
				return -1;
	for (size_t i = 0; i < c->nproducers; i++) {
		snprintf(idx, sizeof idx, "%zu", i);
		if (fd_key(key, sizeof key, pl, "producer", idx) < 0 ||
		    (c->producers[i].fd = handover_take_fd(KIND, key)) < 0)
			return -1;
	}
	return 0;
}

static void cloexec(int fd)
{
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
		log_warn("handover: fd %d: close-on-exec: %s", fd, strerror(errno));
}

static void make_producer(struct pool *pl, struct carried *c, struct cproducer *cp)
{
	cloexec(cp->fd);
	struct producer *pr = pool_producer_new(pl, cp->fd, cp->no_wait, cp->detach);
	cp->fd = -1; /* the producer's now, or closed */
	if (!pr) {
		log_err("pool %s: out of memory taking a producer over: its jobs run for nobody",
			pl->name);
		return;
	}
	pr->throttled = cp->throttled;
	pr->bad = cp->bad;
	if (cp->inlen) {
		pr->in = cp->in;
		pr->inlen = pr->incap = cp->inlen;
		cp->in = NULL;
	}
	if (cp->outlen && proto_buf_append(&pr->out, cp->out, cp->outlen) < 0)
		log_err("pool %s: out of memory taking a producer's answers over", pl->name);
	for (size_t i = 0; i < cp->jobs.n; i++) {
		struct job *j = c->jobs[cp->jobs.v[i]].job;
		if (!j)
			continue;
		pool_producer_append(pr, j);
		if (j->state == JOB_DONE)
			pr->held += j->len;
	}
}

static void make_worker(struct pool *pl, struct carried *c, struct cworker *cw)
{
	struct process *p = core_find_process(cw->name);
	struct pool_worker *w = NULL;
	if (p && p->prog->pool == pl && p->pid > 0 && !p->worker)
		w = pool_worker_new(pl, p);
	if (!w) {
		log_err("pool %s: worker %s was not taken over: its %zu job%s go back in line",
			pl->name, cw->name, cw->jobs.n, cw->jobs.n == 1 ? "" : "s");
		for (size_t i = 0; i < cw->jobs.n; i++)
			if (c->jobs[cw->jobs.v[i]].job)
				pool_job_requeue(pl, c->jobs[cw->jobs.v[i]].job);
		return;
	}
	for (int k = 0; k < 2; k++)
		cloexec(cw->fd[k]);
	w->to_fd = cw->fd[0];
	w->from_fd = cw->fd[1];
	cw->fd[0] = cw->fd[1] = -1;
	if (cw->inlen) {
		w->in = cw->in;
		w->inlen = w->incap = cw->inlen;
		cw->in = NULL;
	}
	for (size_t i = 0; i < cw->jobs.n; i++) {
		const struct cjob *cj = &c->jobs[cw->jobs.v[i]];
		if (!cj->job)
			continue;
		pool_worker_add_job(w, cj->job);
		if (cj->deadline > 0 && loop_timer_set(&cj->job->timer, cj->deadline) < 0)
			log_err("pool %s: out of memory for a job's deadline", pl->name);
	}
	int r = loop_watch(w->from_fd, EPOLLIN, &w->from_watch);
	if (r < 0)
		log_err("%s: watching its stdout: %s", p->name, strerror(-r));
	if (cw->outlen) {
		if (proto_buf_append(&w->out, cw->out, cw->outlen) < 0)
			log_err("%s: out of memory for the jobs not yet written to it", p->name);
		pool_worker_flush(w);
	}
}

static void take(struct pool *pl, const struct handover_part *part)
{
	struct carried c = { 0 };
	if (decode(part, &c) < 0 || take_fds(pl, &c) < 0) {
		log_err("handover: pool %s: its part of the record is malformed: its jobs and "
			"producers are lost", pl->name);
		carried_free(&c);
		return;
	}
	if (c.next_id > pool_all.next_id)
		pool_all.next_id = c.next_id;
	struct pool_stats *st = &pl->st;
	uint64_t *counts[7] = { &st->done, &st->failed, &st->timed_out, &st->retried,
				&st->cancelled, &st->throttled, &st->refused };
	for (int i = 0; i < 7; i++)
		*counts[i] = c.counts[i];
	size_t lost = 0;
	for (size_t i = 0; i < c.njobs; i++) {
		struct cjob *cj = &c.jobs[i];
		struct job *j = cj->job = pool_job_new(pl, cj->data, cj->len);
		if (!j) {
			lost++;
			continue;
		}
		j->id = cj->id;
		j->state = cj->state == JOB_DONE ? JOB_DONE : JOB_WAITING;
		j->detached = cj->detached;
		j->status = cj->status;
		j->crashes = cj->crashes;
	}
	if (lost)
		log_err("pool %s: out of memory taking %zu jobs over", pl->name, lost);
	for (size_t i = 0; i < c.nproducers; i++)
		make_producer(pl, &c, &c.producers[i]);
	/* The queue as it was, even over a bound a reload lowered (the pump
	 * brings the bound back). */
	if (c.queue.n > pl->queue.bound && channel_set_bound(&pl->queue, c.queue.n) < 0)
		log_err("pool %s: out of memory for its queue", pl->name);
	for (size_t i = 0; i < c.queue.n; i++) {
		struct job *j = c.jobs[c.queue.v[i]].job;
		if (j && channel_push(&pl->queue, j) < 0)
			pool_job_requeue(pl, j);
	}
	for (size_t i = 0; i < c.retry.n; i++)
		if (c.jobs[c.retry.v[i]].job)
			pool_job_requeue(pl, c.jobs[c.retry.v[i]].job);
	for (size_t i = 0; i < c.nworkers; i++)
		make_worker(pl, &c, &c.workers[i]);
	log_info("pool %s: took over %zu jobs, %zu producers and %zu workers", pl->name, c.njobs,
		 c.nproducers, c.nworkers);
	carried_free(&c);
	pool_pump(pl);
}

void pool_taken_over(void)
{
	for (struct pool *pl = pool_all.pools; pl; pl = pl->next) {
		const struct handover_part *part = handover_find_part(KIND, pl->name);
		if (part)
			take(pl, part);
	}
}
