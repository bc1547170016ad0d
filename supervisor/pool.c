/* pool — jobs from producers, through a bounded queue, to a program's
 * processes, and their results back (see pool.h).
 *
 * Where a job is: WAITING in the pool's queue (bounded) or in its retry
 * list (jobs whose worker crashed, served first; at most the jobs that
 * were in flight); RUNNING on one worker; DONE, holding its result until
 * every earlier job of its producer is answered. A job that has a producer
 * is also on that producer's list, in the order it was submitted, which is
 * the order of the answers.
 *
 * Nothing is freed while an event of the current batch may still point at
 * it: closed producers, gone workers and empty pools wait for pool_bury(). */
#include "supervisor/pool.h"
#include "supervisor/poolint.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "ipc/channel.h"
#include "ipc/framing.h"
#include "ipc/io.h"
#include "ipc/proto.h"
#include "ipc/verbs.h"
#include "supervisor/hooks.h"
#include "supervisor/log.h"
#include "supervisor/loop.h"
#include "supervisor/supervisor.h"
#include "supervisor/tokenbucket.h"

/* Read from a producer at once, and the size its buffer goes back to. */
#define PRODUCER_READ     (64 * 1024)
/* Jobs of one producer submitted and not yet answered, at most. */
#define PRODUCER_WINDOW   1024
/* Answers held for one producer (results waiting for an earlier one, and
 * frames it has not read yet): past this its next job waits. */
#define PRODUCER_HELD_MAX (1024 * 1024)
/* Producers connected at once, over all pools. */
#define MAX_PRODUCERS     4096
/* Read from a worker at once; what it writes is held up to one result. */
#define WORKER_READ       (64 * 1024)
#define WORKER_IN_MAX     (PROTO_MAX_JOB + FRAMING_HEADER_MAX + 1)
/* What is taken from a dead worker's stdout, at most, before its jobs are
 * given to others. */
#define WORKER_LAST_READS 16
/* A worker that closed its stdout with jobs in flight is mostly exiting;
 * if it is still there this much later, it is killed. */
#define WORKER_EOF_GRACE_MS 1000

struct pool_all pool_all;

static void producer_gone(struct producer *pr, const char *why);
static loop_watch_fn producer_event, worker_writable, worker_readable;
static loop_timer_fn job_due, rate_due;

/* ---- pools ---- */

struct pool *pool_find(const char *name)
{
	for (struct pool *pl = pool_all.pools; pl; pl = pl->next)
		if (strcmp(pl->name, name) == 0)
			return pl;
	return NULL;
}

static const struct pool_config *pool_cfg(const struct pool *pl)
{
	return pl->prog ? &pl->prog->cfg->pool : NULL;
}

/* Nothing refers to it any more: freed after the batch. */
static void pool_maybe_free(struct pool *pl)
{
	if (pl->dead || pl->nprogs || pl->producers || pl->njobs || pl->workers || pl->pumping)
		return;
	for (struct pool **pp = &pool_all.pools; *pp; pp = &(*pp)->next)
		if (*pp == pl) {
			*pp = pl->next;
			break;
		}
	pl->dead = true;
	loop_timer_cancel(&pl->rate_timer);
	pl->next = pool_all.dead_pools;
	pool_all.dead_pools = pl;
}

/* ---- jobs ---- */

struct job *pool_job_new(struct pool *pl, const void *data, size_t len)
{
	struct job *j = calloc(1, sizeof *j);
	if (!j)
		return NULL;
	j->data = malloc(len ? len : 1);
	if (!j->data) {
		free(j);
		return NULL;
	}
	memcpy(j->data, data, len);
	j->len = len;
	j->pool = pl;
	loop_timer_init(&j->timer, job_due, j);
	pl->njobs++;
	return j;
}

static void job_free(struct job *j)
{
	struct pool *pl = j->pool;
	loop_timer_cancel(&j->timer);
	free(j->data);
	free(j);
	pl->njobs--;
	pool_maybe_free(pl);
}

static void retry_unlink(struct pool *pl, struct job *j)
{
	struct job **pp = &pl->retry, *prev = NULL;
	for (; *pp; prev = *pp, pp = &(*pp)->next)
		if (*pp == j) {
			*pp = j->next;
			if (pl->retry_tail == j)
				pl->retry_tail = prev;
			pl->nretry--;
			j->next = NULL;
			j->in_retry = false;
			return;
		}
}

/* Take RUNNING job J off its worker. */
static void job_unrun(struct job *j)
{
	struct pool_worker *w = j->worker;
	if (!w)
		return;
	for (struct job **pp = &w->jobs; *pp; pp = &(*pp)->next)
		if (*pp == j) {
			*pp = j->next;
			break;
		}
	w->njobs--;
	j->next = NULL;
	j->worker = NULL;
	loop_timer_cancel(&j->timer);
}

static const char *status_word(int status)
{
	switch (status) {
	case PROTO_JOB_DONE: return "done";
	case PROTO_JOB_FAILED: return "failed";
	case PROTO_JOB_TIMEOUT: return "timed out";
	case PROTO_JOB_BUSY: return "refused";
	default: return "accepted";
	}
}

static void producer_deliver(struct producer *pr);

/* J is over with STATUS and DATA as its result (or why it failed). J may
 * be freed here. */
static void job_finish(struct job *j, int status, const void *data, size_t len)
{
	struct pool *pl = j->pool;
	job_unrun(j);
	if (j->in_retry)
		retry_unlink(pl, j);
	if (status == PROTO_JOB_DONE)
		pl->st.done++;
	else if (status == PROTO_JOB_TIMEOUT)
		pl->st.timed_out++;
	else
		pl->st.failed++;
	j->state = JOB_DONE;
	j->status = status;
	if (!j->owner) {
		if (j->detached)
			log_info("pool %s: job %llu %s%s%.*s", pl->name, (unsigned long long)j->id,
				 status_word(status), status == PROTO_JOB_DONE ? "" : ": ",
				 status == PROTO_JOB_DONE ? 0 : (int)(len > 200 ? 200 : len),
				 (const char *)data);
		job_free(j); /* nobody waits for it */
		return;
	}
	uint8_t *copy = malloc(len ? len : 1);
	free(j->data);
	j->data = copy;
	j->len = copy ? len : 0;
	if (copy)
		memcpy(copy, data, len);
	else
		j->status = PROTO_JOB_FAILED; /* out of memory for its result */
	j->owner->held += j->len;
	producer_deliver(j->owner);
}

/* ---- workers ---- */

static int worker_mailbox(const struct pool_worker *w)
{
	const struct program_config *c = w->proc->prog->cfg;
	return c->pool.framing == POOL_FRAMING_LINE ? 1 : c->pool.mailbox;
}

static bool worker_free(const struct pool_worker *w)
{
	return w->proc && !w->killed && w->to_fd >= 0 && w->from_fd >= 0 &&
	       w->proc->fsm.state == PSTATE_RUNNING &&
	       !w->proc->prog->retiring && w->njobs < worker_mailbox(w);
}

/* The least recently served worker with room for a job, or NULL. */
static struct pool_worker *idle_worker(struct pool *pl)
{
	for (struct pool_worker *w = pl->workers; w; w = w->next)
		if (worker_free(w))
			return w;
	return NULL;
}

static void workers_unlink(struct pool *pl, struct pool_worker *w)
{
	if (w->prev)
		w->prev->next = w->next;
	else
		pl->workers = w->next;
	if (w->next)
		w->next->prev = w->prev;
	else
		pl->workers_tail = w->prev;
	w->prev = w->next = NULL;
}

static void workers_append(struct pool *pl, struct pool_worker *w)
{
	w->prev = pl->workers_tail;
	w->next = NULL;
	if (pl->workers_tail)
		pl->workers_tail->next = w;
	else
		pl->workers = w;
	pl->workers_tail = w;
}

/* Kill W's whole tree; its exit brings a new worker. With FAULT its jobs
 * count a crash; without, they go to another worker as they are. */
static void worker_kill(struct pool_worker *w, bool fault)
{
	if (w->killed || !w->proc)
		return;
	w->killed = true;
	w->fault = fault;
	supervisor_kill_tree(w->proc);
}

void pool_worker_flush(struct pool_worker *w)
{
	while (w->sent < w->out.len) {
		ssize_t n = io_write_some(w->to_fd, w->out.data + w->sent, w->out.len - w->sent);
		if (n == -EAGAIN) {
			if (!w->to_watched && loop_watch(w->to_fd, EPOLLOUT, &w->to_watch) == 0)
				w->to_watched = true;
			return;
		}
		if (n < 0) {
			log_warn("%s: writing a job to its stdin: %s; killing its tree", w->proc->name,
				 strerror((int)-n));
			w->out.len = w->sent = 0;
			worker_kill(w, true);
			return;
		}
		w->sent += (size_t)n;
	}
	w->out.len = w->sent = 0;
	if (w->to_watched) {
		loop_unwatch(&w->to_watch);
		w->to_watched = false;
	}
}

void pool_worker_add_job(struct pool_worker *w, struct job *j)
{
	j->state = JOB_RUNNING;
	j->worker = w;
	j->next = NULL;
	struct job **pp = &w->jobs;
	while (*pp)
		pp = &(*pp)->next;
	*pp = j;
	w->njobs++;
}

/* Give job J to worker W. */
static void worker_take(struct pool_worker *w, struct job *j)
{
	struct pool *pl = w->pool;
	const struct pool_config *pc = &w->proc->prog->cfg->pool;
	size_t was = w->out.len;
	int r;
	if (pc->framing == POOL_FRAMING_LINE) {
		r = proto_buf_append(&w->out, j->data, j->len);
		if (r == 0)
			r = proto_buf_append(&w->out, "\n", 1);
	} else {
		char hdr[FRAMING_HEADER_MAX];
		r = proto_buf_append(&w->out, hdr, framing_job_header(hdr, j->id, j->len));
		if (r == 0)
			r = proto_buf_append(&w->out, j->data, j->len);
	}
	if (r < 0) {
		w->out.len = was;
		static const char oom[] = "out of memory handing it to a worker";
		job_finish(j, PROTO_JOB_FAILED, oom, sizeof oom - 1);
		return;
	}
	pool_worker_add_job(w, j);
	if (pc->job_timeout_ms > 0 &&
	    loop_timer_set(&j->timer, loop_now_ms() + pc->job_timeout_ms) < 0)
		log_err("pool %s: out of memory for a job's deadline", pl->name);
	/* Next time, the others first. */
	workers_unlink(pl, w);
	workers_append(pl, w);
	pool_worker_flush(w);
}

/* Back in line, ahead of the queue; nobody waits for one whose producer
 * went away. */
void pool_job_requeue(struct pool *pl, struct job *j)
{
	job_unrun(j);
	if (!j->owner && !j->detached) {
		job_free(j);
		return;
	}
	j->state = JOB_WAITING;
	j->in_retry = true;
	j->next = NULL;
	if (pl->retry_tail)
		pl->retry_tail->next = j;
	else
		pl->retry = j;
	pl->retry_tail = j;
	pl->nretry++;
}

/* Cut the results out of what W wrote. */
static void worker_parse(struct pool_worker *w)
{
	bool line = w->proc->prog->cfg->pool.framing == POOL_FRAMING_LINE;
	size_t off = 0;
	while (off < w->inlen && !w->killed) {
		const char *b = w->in + off;
		size_t avail = w->inlen - off, n;
		if (line) {
			int r = framing_line(b, avail, PROTO_MAX_JOB, &n);
			if (r == 0)
				break;
			if (r < 0) {
				log_warn("%s: a result line longer than %u bytes; killing its tree",
					 w->proc->name, PROTO_MAX_JOB);
				worker_kill(w, true);
				break;
			}
			if (w->jobs)
				job_finish(w->jobs, PROTO_JOB_DONE, b, n);
			else
				log_warn("%s: a line on stdout with no job in flight, ignored: %.*s",
					 w->proc->name, (int)(n - 1 > 200 ? 200 : n - 1), b);
			off += n;
			continue;
		}
		struct framing_result fr;
		int r = framing_result_header(b, avail, PROTO_MAX_JOB, &fr);
		if (r == 0 || (r > 0 && avail - fr.hdrlen < fr.len))
			break;
		struct job *j = NULL;
		if (r > 0)
			for (j = w->jobs; j && j->id != fr.id; j = j->next)
				;
		if (!j) {
			log_warn("%s: %s on stdout; killing its tree", w->proc->name,
				 r == -EMSGSIZE ? "a result longer than 1 MiB"
				 : r < 0 ? "not a result header (framing = length)"
					 : "a result for a job it does not have");
			worker_kill(w, true);
			break;
		}
		job_finish(j, fr.ok ? PROTO_JOB_DONE : PROTO_JOB_FAILED, b + fr.hdrlen, fr.len);
		off += fr.hdrlen + fr.len;
	}
	if (w->killed) {
		w->inlen = 0; /* what a killed worker says no longer counts */
		return;
	}
	memmove(w->in, w->in + off, w->inlen - off);
	w->inlen -= off;
}

static void worker_close_from(struct pool_worker *w)
{
	if (w->from_fd < 0)
		return;
	loop_unwatch(&w->from_watch);
	close(w->from_fd);
	w->from_fd = -1;
}

/* Read what W wrote: 1 when something came, 0 when nothing is there now,
 * -1 at its end (or an error). */
static int worker_read(struct pool_worker *w)
{
	if (w->incap - w->inlen < WORKER_READ && w->incap < WORKER_IN_MAX) {
		size_t cap = w->inlen + WORKER_READ;
		if (cap > WORKER_IN_MAX)
			cap = WORKER_IN_MAX;
		char *in = realloc(w->in, cap);
		if (!in) {
			log_err("%s: out of memory for its results", w->proc->name);
			return 0;
		}
		w->in = in;
		w->incap = cap;
	}
	ssize_t n = io_read_some(w->from_fd, w->in + w->inlen, w->incap - w->inlen);
	if (n == -EAGAIN)
		return 0;
	if (n <= 0) {
		if (n < 0)
			log_warn("%s: reading its stdout: %s", w->proc->name, strerror((int)-n));
		return -1;
	}
	w->inlen += (size_t)n;
	worker_parse(w);
	return 1;
}

/* W's stdout: results. */
static void worker_readable(struct watch *ww, uint32_t events)
{
	struct pool_worker *w = ww->ctx;
	if (w->from_fd < 0 || !w->proc)
		return;
	if (worker_read(w) < 0) {
		/* Mostly a worker on its way out (its exit is handled as such);
		 * it gets no more jobs. One that stays with jobs it cannot
		 * answer any more is killed when its first job's deadline, made
		 * short now, passes (job_due). */
		worker_close_from(w);
		struct job *j = w->jobs;
		int64_t soon = loop_now_ms() + WORKER_EOF_GRACE_MS;
		if (j && !w->killed && (!loop_timer_pending(&j->timer) || j->timer.node.when > soon))
			(void)loop_timer_set(&j->timer, soon);
	}
	pool_pump(w->pool);
}

static void worker_release(struct pool_worker *w)
{
	worker_close_from(w);
	if (w->to_fd >= 0) {
		if (w->to_watched)
			loop_unwatch(&w->to_watch);
		close(w->to_fd);
		w->to_fd = -1;
		w->to_watched = false;
	}
	for (int k = 0; k < 2; k++)
		if (w->child[k] >= 0) {
			close(w->child[k]);
			w->child[k] = -1;
		}
	proto_buf_free(&w->out);
	free(w->in);
	w->in = NULL;
	w->inlen = w->incap = 0;
}

/* W's process is gone for good (exited, or freed): its jobs go back in
 * line, or fail after job_retries crashes. */
static void worker_gone(struct pool_worker *w, const char *why)
{
	struct pool *pl = w->pool;
	struct process *p = w->proc;
	bool stopping = p && p->fsm.state == PSTATE_STOPPING;
	int retries = pl->prog ? pl->prog->cfg->pool.job_retries : 0;
	worker_release(w);
	while (w->jobs) {
		struct job *j = w->jobs;
		if (!pl->prog) {
			char msg[160];
			int m = snprintf(msg, sizeof msg, "pool %s was removed", pl->name);
			job_finish(j, PROTO_JOB_FAILED, msg, (size_t)m);
		} else if ((w->killed && !w->fault) || stopping) {
			pool_job_requeue(pl, j); /* not its fault, nor this job's */
		} else if (++j->crashes > retries) {
			char msg[200];
			int m = snprintf(msg, sizeof msg, "%s%s (tried %d time%s)", p ? p->name : "its worker",
					 why, j->crashes, j->crashes == 1 ? "" : "s");
			job_finish(j, PROTO_JOB_FAILED, msg, (size_t)m);
		} else {
			pl->st.retried++;
			log_info("pool %s: job %llu: %s%s, trying again", pl->name,
				 (unsigned long long)j->id, p ? p->name : "its worker", why);
			pool_job_requeue(pl, j);
		}
	}
	if (p)
		p->worker = NULL;
	w->proc = NULL;
	workers_unlink(pl, w);
	w->next = pool_all.dead_workers;
	pool_all.dead_workers = w;
	pool_maybe_free(pl);
}

struct pool_worker *pool_worker_new(struct pool *pl, struct process *p)
{
	struct pool_worker *w = calloc(1, sizeof *w);
	if (!w)
		return NULL;
	w->pool = pl;
	w->proc = p;
	w->to_fd = w->from_fd = -1;
	w->child[0] = w->child[1] = -1;
	loop_watch_init(&w->to_watch, worker_writable, w);
	loop_watch_init(&w->from_watch, worker_readable, w);
	proto_buf_init(&w->out, (size_t)worker_mailbox(w) * (PROTO_MAX_JOB + FRAMING_HEADER_MAX + 1));
	workers_append(pl, w);
	p->worker = w;
	return w;
}

/* A worker of a pool: pipes for its stdin and stdout (CHILD[0] and
 * CHILD[1], its ends); any other process: none. 0, or -errno with ERR
 * filled. pool_spawn_done closes the child's ends and, when SPAWNED,
 * starts talking to it. */
static int pool_spawn_prepare(struct process *p, bool stdin_free, int child[2], char *err,
			      size_t errlen)
{
	struct pool *pl = p->prog->pool;
	if (!pl)
		return 0;
	if (p->worker) /* cannot happen: its last process was reaped first */
		worker_gone(p->worker, " was replaced");
	struct pool_worker *w = pool_worker_new(pl, p);
	if (!w) {
		snprintf(err, errlen, "pool worker: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	/* Its stdin and stdout: our ends do not block, its ends do. */
	int in[2], out[2];
	if (pipe2(in, O_CLOEXEC) < 0)
		goto fail;
	if (pipe2(out, O_CLOEXEC) < 0) {
		int e = errno;
		close(in[0]);
		close(in[1]);
		errno = e;
		goto fail;
	}
	w->child[0] = in[0];
	w->to_fd = in[1];
	w->from_fd = out[0];
	w->child[1] = out[1];
	if (fcntl(w->to_fd, F_SETFL, O_NONBLOCK) < 0 || fcntl(w->from_fd, F_SETFL, O_NONBLOCK) < 0)
		goto fail;
	child[0] = w->child[0];
	child[1] = w->child[1];
	return 0;
fail:;
	int r = -errno;
	snprintf(err, errlen, "pool pipes: %s", strerror(errno));
	worker_gone(w, " could not be spawned");
	return r;
}

static void pool_spawn_done(struct process *p, bool spawned)
{
	struct pool_worker *w = p->worker;
	if (!w)
		return;
	for (int k = 0; k < 2; k++)
		if (w->child[k] >= 0) {
			close(w->child[k]);
			w->child[k] = -1;
		}
	int r;
	if (spawned && (r = loop_watch(w->from_fd, EPOLLIN, &w->from_watch)) < 0) {
		log_err("%s: watching its stdout: %s", p->name, strerror(-r));
		worker_kill(w, false);
	}
	struct pool *pl = w->pool;
	if (!spawned)
		worker_gone(w, " could not be spawned");
	/* A restart in RUNNING is no change of state: the new worker asks
	 * for work itself. */
	pool_pump(pl);
}

/* Worker P's main process was reaped (exitcode/exitsig set, state not yet
 * changed): take its last results, then requeue or fail its jobs. */
static void pool_worker_exited(struct process *p)
{
	struct pool_worker *w = p->worker;
	if (!w)
		return;
	/* A result written just before it died is still in the pipe. */
	for (int i = 0; i < WORKER_LAST_READS && w->from_fd >= 0 && !w->killed; i++)
		if (worker_read(w) <= 0)
			break;
	char why[96];
	if (p->exitsig)
		snprintf(why, sizeof why, " was killed by SIG%s",
			 sigabbrev_np(p->exitsig) ? sigabbrev_np(p->exitsig) : "?");
	else
		snprintf(why, sizeof why, " exited with status %d", p->exitcode);
	struct pool *pl = w->pool;
	worker_gone(w, why);
	pool_pump(pl);
}

/* P (of a pool) changed state: it may take jobs now, or no more. */
static void pool_process_changed(struct process *p, bool gone)
{
	if (!gone && p->prog->pool)
		pool_pump(p->prog->pool);
}

/* ---- producers ---- */

static void producer_rearm(struct producer *pr);

static void producer_flush(struct producer *pr)
{
	while (!pr->dead && pr->sent < pr->out.len) {
		ssize_t n = io_write_some(pr->fd, pr->out.data + pr->sent, pr->out.len - pr->sent);
		if (n == -EAGAIN)
			break;
		if (n < 0) {
			producer_gone(pr, strerror((int)-n));
			return;
		}
		pr->sent += (size_t)n;
	}
	if (pr->sent == pr->out.len) {
		/* Everything went: start over, and give a large buffer back. */
		if (pr->out.cap > PRODUCER_READ)
			proto_buf_free(&pr->out);
		pr->out.len = pr->sent = 0;
	}
	producer_rearm(pr);
}

/* Answers for the jobs at the head of its list that are DONE. */
static void producer_deliver(struct producer *pr)
{
	if (pr->dead)
		return;
	while (pr->jobs && pr->jobs->state == JOB_DONE) {
		struct job *j = pr->jobs;
		pr->jobs = j->onext;
		if (!pr->jobs)
			pr->jobs_tail = NULL;
		pr->njobs--;
		pr->held -= j->len;
		int r = framing_reply_pack(&pr->out, j->status, j->id, j->data, j->len);
		job_free(j);
		if (r < 0) {
			producer_gone(pr, "out of memory for its answers");
			return;
		}
	}
	producer_flush(pr);
}

void pool_producer_append(struct producer *pr, struct job *j)
{
	j->owner = pr;
	j->onext = NULL;
	if (pr->jobs_tail)
		pr->jobs_tail->onext = j;
	else
		pr->jobs = j;
	pr->jobs_tail = j;
	pr->njobs++;
}

/* Answer at once, after the answers still owed. */
static void reply_now(struct producer *pr, int status, uint64_t id, const char *text)
{
	size_t len = strlen(text);
	if (!pr->jobs) {
		if (framing_reply_pack(&pr->out, status, id, text, len) < 0)
			producer_gone(pr, "out of memory for its answers");
		else
			producer_flush(pr);
		return;
	}
	struct job *j = pool_job_new(pr->pool, text, len);
	if (!j) {
		producer_gone(pr, "out of memory for its answers");
		return;
	}
	j->id = id;
	j->state = JOB_DONE;
	j->status = status;
	pool_producer_append(pr, j);
	pr->held += len;
}

/* 1 with the job at the head of PR's buffer; 0 when it is not whole yet;
 * -EPROTO when what is there is no job frame. */
static int producer_frame(const struct producer *pr, const uint8_t **data, uint32_t *len)
{
	size_t avail = pr->inlen - pr->inoff;
	if (avail < PROTO_HEADER_SIZE)
		return 0;
	char kind;
	uint32_t n;
	if (proto_header_unpack(pr->in + pr->inoff, &kind, &n, PROTO_MAX_JOB) < 0 ||
	    kind != PROTO_KIND_JOB)
		return -EPROTO;
	if (avail - PROTO_HEADER_SIZE < n)
		return 0;
	*data = pr->in + pr->inoff + PROTO_HEADER_SIZE;
	*len = n;
	return 1;
}

static void producer_consume(struct producer *pr, uint32_t len)
{
	pr->inoff += PROTO_HEADER_SIZE + len;
	if (pr->inoff == pr->inlen) {
		pr->inoff = pr->inlen = 0;
		if (pr->incap > PRODUCER_READ) { /* a big job passed: shrink back */
			free(pr->in);
			pr->in = NULL;
			pr->incap = 0;
		}
	}
}

/* May another job of PR be taken now, as far as PR's own bounds go? */
static bool producer_may_submit(const struct producer *pr)
{
	return !pr->dead && pr->njobs < PRODUCER_WINDOW &&
	       pr->held + (pr->out.len - pr->sent) < PRODUCER_HELD_MAX;
}

static bool producer_has_job(struct producer *pr, const uint8_t **data, uint32_t *len)
{
	if (pr->dead || pr->bad)
		return false;
	int r = producer_frame(pr, data, len);
	if (r < 0)
		pr->bad = true; /* closed by the pump */
	return r > 0;
}

static void producer_rearm(struct producer *pr)
{
	if (pr->dead)
		return;
	const uint8_t *data;
	uint32_t len;
	/* Read only when the job at the head is not whole: a job waiting for
	 * room is where the producer is held back. */
	uint32_t ev = EPOLLRDHUP;
	if (!producer_has_job(pr, &data, &len) && !pr->bad)
		ev |= EPOLLIN;
	if (pr->sent < pr->out.len)
		ev |= EPOLLOUT;
	if (ev != pr->events && loop_watch_mod(&pr->watch, ev) == 0)
		pr->events = ev;
}

static void producer_readable(struct producer *pr)
{
	if (pr->dead)
		return;
	if (pr->inoff) {
		memmove(pr->in, pr->in + pr->inoff, pr->inlen - pr->inoff);
		pr->inlen -= pr->inoff;
		pr->inoff = 0;
	}
	/* Room for a read, and for the whole of a big job at the head. */
	size_t want = PRODUCER_READ;
	char kind;
	uint32_t n;
	if (pr->inlen >= PROTO_HEADER_SIZE) {
		if (proto_header_unpack(pr->in, &kind, &n, PROTO_MAX_JOB) < 0 || kind != PROTO_KIND_JOB) {
			producer_gone(pr, "sent something that is not a job");
			return;
		}
		if (PROTO_HEADER_SIZE + (size_t)n > want)
			want = PROTO_HEADER_SIZE + (size_t)n;
	}
	if (pr->incap < want) {
		uint8_t *in = realloc(pr->in, want);
		if (!in) {
			producer_gone(pr, "out of memory for its jobs");
			return;
		}
		pr->in = in;
		pr->incap = want;
	}
	if (pr->inlen == pr->incap) { /* a whole job is there: the pump takes it */
		pool_pump(pr->pool);
		return;
	}
	ssize_t got = io_read_some(pr->fd, pr->in + pr->inlen, pr->incap - pr->inlen);
	if (got == -EAGAIN)
		return;
	if (got <= 0) {
		producer_gone(pr, got == 0 ? NULL : strerror((int)-got));
		return;
	}
	pr->inlen += (size_t)got;
	pool_pump(pr->pool);
}

static bool owned_by(void *item, void *ctx)
{
	return ((struct job *)item)->owner == ctx;
}

/* PR went away (or must go): its waiting jobs are dropped at once, its
 * jobs in flight finish for nobody (cancel = finish) or are killed with
 * their worker's tree (cancel = kill). */
static void producer_gone(struct producer *pr, const char *why)
{
	if (pr->dead)
		return;
	struct pool *pl = pr->pool;
	pr->dead = true;
	if (why)
		log_info("pool %s: a producer went away (%s)", pl->name, why);
	loop_unwatch(&pr->watch);
	close(pr->fd);
	pr->fd = -1;
	(void)channel_remove_if(&pl->queue, owned_by, pr);
	bool kill_them = pl->prog && pl->prog->cfg->pool.cancel == POOL_CANCEL_KILL;
	size_t cancelled = 0;
	while (pr->jobs) {
		struct job *j = pr->jobs;
		pr->jobs = j->onext;
		j->onext = NULL;
		j->owner = NULL;
		if (j->state == JOB_DONE) {
			job_free(j);
			continue;
		}
		cancelled++;
		if (j->state == JOB_WAITING) {
			if (j->in_retry)
				retry_unlink(pl, j);
			job_free(j);
		} else if (kill_them && j->worker) {
			log_info("pool %s: job %llu cancelled, killing %s's tree (cancel = kill)", pl->name,
				 (unsigned long long)j->id, j->worker->proc ? j->worker->proc->name : "?");
			worker_kill(j->worker, false);
		}
	}
	pr->jobs_tail = NULL;
	pr->njobs = 0;
	pr->held = 0;
	pl->st.cancelled += cancelled;
	if (cancelled)
		log_info("pool %s: %zu job%s cancelled", pl->name, cancelled, cancelled == 1 ? "" : "s");
	pool_pump(pl);
}

/* Unlink the dead producers from PL's ring; they are freed after the batch. */
static void producers_sweep(struct pool *pl)
{
	struct producer *pr = pl->producers;
	for (int i = 0, n = pl->nproducers; i < n && pr; i++) {
		struct producer *next = pr->next;
		if (pr->bad && !pr->dead)
			producer_gone(pr, "sent something that is not a job");
		if (pr->dead) {
			if (next == pr) {
				pl->producers = NULL;
			} else {
				pr->prev->next = next;
				next->prev = pr->prev;
				if (pl->producers == pr)
					pl->producers = next;
			}
			pl->nproducers--;
			pool_all.nproducers--;
			pr->dnext = pool_all.dead_producers;
			pool_all.dead_producers = pr;
		}
		pr = next;
	}
}

/* ---- the pump ---- */

static struct job *next_waiting(struct pool *pl)
{
	struct job *j = pl->retry;
	if (j) {
		pl->retry = j->next;
		if (!pl->retry)
			pl->retry_tail = NULL;
		pl->nretry--;
		j->next = NULL;
		j->in_retry = false;
		return j;
	}
	return channel_pop(&pl->queue);
}

/* A job from PR, whose bytes are DATA: into the pool. */
static void admit(struct pool *pl, struct producer *pr, const uint8_t *data, uint32_t len)
{
	size_t n = len;
	if (pl->prog->cfg->pool.framing == POOL_FRAMING_LINE) {
		if (n && data[n - 1] == '\n')
			n--;
		if (memchr(data, '\n', n)) {
			pl->st.failed++;
			reply_now(pr, PROTO_JOB_FAILED, 0,
				  "a job for a line pool is one line: this one has a newline inside");
			return;
		}
	}
	struct job *j = pool_job_new(pl, data, n);
	if (!j) {
		reply_now(pr, PROTO_JOB_FAILED, 0, "out of memory");
		return;
	}
	j->id = ++pool_all.next_id;
	if (pr->detach) {
		char id[24];
		snprintf(id, sizeof id, "%llu", (unsigned long long)j->id);
		j->detached = true;
		reply_now(pr, PROTO_JOB_ACCEPTED, j->id, id);
	} else {
		pool_producer_append(pr, j);
	}
	struct pool_worker *w = idle_worker(pl);
	if (w)
		worker_take(w, j);
	else if (channel_push(&pl->queue, j) < 0) /* cannot happen: the caller saw room */
		job_finish(j, PROTO_JOB_FAILED, "queue full", 10);
}

/* Bring bucket B to the pool's submit_rate and submit_burst if they
 * changed (a reload). */
static void rate_sync(struct token_bucket *b, const struct pool_config *pc, int64_t now)
{
	uint64_t rate = (uint64_t)pc->submit_rate;
	uint64_t burst = (uint64_t)(pc->submit_burst ? pc->submit_burst : pc->submit_rate);
	if (b->rate != rate || b->burst != (burst ? burst : 1))
		tb_init(b, rate, burst, now);
}

/* Milliseconds until B has a token (0: now); the earliest is kept in *SOONEST. */
static int64_t rate_wait(struct token_bucket *b, int64_t now, int64_t *soonest)
{
	int64_t w = tb_wait_ms(b, now);
	if (w > 0 && (*soonest < 0 || w < *soonest))
		*soonest = w;
	return w;
}

static bool has_room(struct pool *pl)
{
	return !channel_full(&pl->queue) || idle_worker(pl);
}

/* Take jobs from the producers, one each in turn, while there is room and
 * submit_rate allows: a producer over its rate is skipped, never served
 * ahead of the others. */
static void admit_round(struct pool *pl)
{
	const struct pool_config *pc = pool_cfg(pl);
	int64_t now = loop_now_ms(), soonest = -1;
	rate_sync(&pl->tb, pc, now);
	while (pl->producers && has_room(pl)) {
		if (rate_wait(&pl->tb, now, &soonest) > 0)
			break;
		struct producer *start = pl->producers, *pr = start, *found = NULL;
		const uint8_t *data = NULL;
		uint32_t len = 0;
		do {
			if (producer_may_submit(pr) && producer_has_job(pr, &data, &len)) {
				rate_sync(&pr->tb, pc, now);
				if (rate_wait(&pr->tb, now, &soonest) == 0) {
					found = pr;
					break;
				}
			}
			pr = pr->next;
		} while (pr != start);
		if (!found)
			break;
		(void)tb_take(&pl->tb, 1, now);
		(void)tb_take(&found->tb, 1, now);
		found->throttled = false;
		admit(pl, found, data, len);
		producer_consume(found, len);
		pl->producers = found->next; /* the next turn starts after it */
	}
	/* Tokens are due: look again then. */
	if (soonest > 0 && (!loop_timer_pending(&pl->rate_timer) ||
			    pl->rate_timer.node.when > now + soonest))
		(void)loop_timer_set(&pl->rate_timer, now + soonest);
}

/* What cannot go in now: --no-wait jobs are refused when the queue is
 * full, the others wait (and their producers are no longer read); a
 * removed pool fails them all. */
static void refuse_or_hold(struct pool *pl)
{
	bool room = has_room(pl);
	struct producer *pr = pl->producers;
	for (int i = 0, n = pl->nproducers; i < n && pr; i++, pr = pr->next) {
		const uint8_t *data;
		uint32_t len;
		while (producer_may_submit(pr) && producer_has_job(pr, &data, &len)) {
			if (!pl->prog) {
				char msg[160];
				snprintf(msg, sizeof msg, "pool %s was removed", pl->name);
				pl->st.failed++;
				reply_now(pr, PROTO_JOB_FAILED, 0, msg);
			} else if (pr->no_wait && !room) {
				pl->st.refused++;
				reply_now(pr, PROTO_JOB_BUSY, 0, "");
			} else {
				if (!pr->throttled) {
					pr->throttled = true;
					pl->st.throttled++;
				}
				break;
			}
			producer_consume(pr, len);
		}
	}
}

/* Move jobs along: waiting ones to free workers, producers' jobs into the
 * queue, and say no to those that may not wait. Called after every event
 * that can change any of it; re-entered calls are folded into the outer one. */
void pool_pump(struct pool *pl)
{
	if (pl->pumping) {
		pl->again = true;
		return;
	}
	pl->pumping = true;
	do {
		pl->again = false;
		const struct pool_config *pc = pool_cfg(pl);
		if (pc && pl->queue.bound != (size_t)pc->queue &&
		    channel_set_bound(&pl->queue, (size_t)pc->queue) < 0)
			log_err("pool %s: out of memory resizing its queue", pl->name);
		struct pool_worker *w;
		while ((pl->retry || channel_len(&pl->queue)) && (w = idle_worker(pl)))
			worker_take(w, next_waiting(pl));
		if (pl->prog)
			admit_round(pl);
		refuse_or_hold(pl);
		producers_sweep(pl);
	} while (pl->again);
	struct producer *pr = pl->producers;
	for (int i = 0, n = pl->nproducers; i < n && pr; i++, pr = pr->next)
		producer_rearm(pr);
	pl->pumping = false;
	pool_maybe_free(pl);
}

/* ---- attaching programs ---- */

/* PROG, a [pool:], joins the pool of its name (made when there is none).
 * 0 or -ENOMEM; any other program: 0. */
static int pool_attach(struct program *prog)
{
	if (!prog->cfg->is_pool)
		return 0;
	struct pool *pl = pool_find(prog->cfg->name);
	if (!pl) {
		pl = calloc(1, sizeof *pl);
		if (!pl || !(pl->name = strdup(prog->cfg->name)) ||
		    channel_init(&pl->queue, (size_t)prog->cfg->pool.queue) < 0) {
			if (pl)
				free(pl->name);
			free(pl);
			return -ENOMEM;
		}
		loop_timer_init(&pl->rate_timer, rate_due, pl);
		pl->next = pool_all.pools;
		pool_all.pools = pl;
	}
	prog->pool = pl;
	pl->nprogs++;
	/* A new generation counts once its predecessor is gone (detach). */
	if (!pl->prog)
		pl->prog = prog;
	return 0;
}

/* The pool is gone from the config: whatever waits fails now. */
static void pool_orphan(struct pool *pl)
{
	char msg[160];
	int m = snprintf(msg, sizeof msg, "pool %s was removed", pl->name);
	struct job *j;
	size_t n = 0;
	for (; (j = next_waiting(pl)); n++)
		job_finish(j, PROTO_JOB_FAILED, msg, (size_t)m);
	if (n)
		log_info("pool %s: removed, %zu waiting job%s failed", pl->name, n, n == 1 ? "" : "s");
}

/* PROG leaves its pool, if it is in one: its workers' jobs go back to it. */
static void pool_detach(struct program *prog)
{
	struct pool *pl = prog->pool;
	if (!pl)
		return;
	for (int i = 0; i < prog->nprocs; i++)
		if (prog->procs[i]->worker)
			worker_gone(prog->procs[i]->worker, " was removed");
	prog->pool = NULL;
	pl->nprogs--;
	if (pl->prog == prog) {
		pl->prog = NULL;
		for (struct program *q = supervisor_programs(); q && !pl->prog; q = q->next)
			if (q != prog && q->pool == pl && !q->retiring)
				pl->prog = q;
		if (!pl->prog)
			pool_orphan(pl);
	}
	pool_pump(pl);
}

/* ---- the loop ---- */

static void producer_event(struct watch *w, uint32_t events)
{
	struct producer *pr = w->ctx;
	if (pr->dead)
		return;
	if (events & (EPOLLHUP | EPOLLRDHUP | EPOLLERR)) {
		producer_gone(pr, NULL); /* Ctrl-C, or it is done */
		return;
	}
	if (events & EPOLLOUT)
		producer_flush(pr);
	if (!pr->dead && (events & EPOLLIN))
		producer_readable(pr);
	if (!pr->dead && (events & EPOLLOUT))
		pool_pump(pr->pool); /* its answers went: it may submit again */
}

/* Room in W's stdin again. */
static void worker_writable(struct watch *ww, uint32_t events)
{
	struct pool_worker *w = ww->ctx;
	if (w->proc && w->to_fd >= 0)
		pool_worker_flush(w);
}

/* submit_rate: a token is there. */
static void rate_due(struct deadline *d)
{
	pool_pump(d->ctx);
}

/* A job over its job_timeout, or on a worker that closed its stdout. */
static void job_due(struct deadline *d)
{
	struct job *j = d->ctx;
	if (j->state != JOB_RUNNING || !j->worker)
		return;
	struct pool_worker *w = j->worker;
	struct pool *pl = j->pool;
	const char *name = w->proc ? w->proc->name : "?";
	if (w->from_fd < 0) {
		log_warn("%s: closed its stdout with jobs in flight; killing its tree", name);
		worker_kill(w, true); /* its jobs go on when it is reaped */
		return;
	}
	int64_t ms = pl->prog ? pl->prog->cfg->pool.job_timeout_ms : 0;
	char msg[200];
	int m = snprintf(msg, sizeof msg, "over job_timeout (%lld.%03llds): %s and its tree were killed",
			 (long long)(ms / 1000), (long long)(ms % 1000), name);
	log_warn("pool %s: job %llu over its time on %s, killing its tree", pl->name,
		 (unsigned long long)j->id, name);
	job_finish(j, PROTO_JOB_TIMEOUT, msg, (size_t)m);
	worker_kill(w, false);
	pool_pump(pl);
}

/* ---- submit ---- */

static int submit_parse(char **argv, int argc, bool *no_wait, bool *detach, const char **name)
{
	int i = 1;
	*no_wait = *detach = false;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--no-wait") == 0)
			*no_wait = true;
		else if (strcmp(argv[i], "--detach") == 0)
			*detach = true;
		else
			return -EINVAL;
	}
	if (argc - i != 1)
		return -EINVAL;
	*name = argv[i];
	return 0;
}

int pool_submit_check(char **argv, int argc, char *err, size_t errlen)
{
	bool no_wait, detach;
	const char *name;
	if (submit_parse(argv, argc, &no_wait, &detach, &name) < 0) {
		snprintf(err, errlen, "submit: %s", verbs_table[VERB_SUBMIT].usage);
		return PROTO_USAGE;
	}
	struct pool *pl = pool_find(name);
	if (!pl || !pl->prog) {
		snprintf(err, errlen, "no such pool: %s", name);
		return PROTO_USAGE;
	}
	if (pool_all.nproducers >= MAX_PRODUCERS) {
		snprintf(err, errlen, "submit: too many producers (at most %d at once)", MAX_PRODUCERS);
		return PROTO_FAILED;
	}
	return 0;
}

void pool_submit(int fd, char **argv, int argc)
{
	bool no_wait, detach;
	const char *name;
	struct pool *pl;
	if (submit_parse(argv, argc, &no_wait, &detach, &name) < 0 || !(pl = pool_find(name))) {
		close(fd);
		return;
	}
	(void)pool_producer_new(pl, fd, no_wait, detach);
}

struct producer *pool_producer_new(struct pool *pl, int fd, bool no_wait, bool detach)
{
	struct producer *pr = calloc(1, sizeof *pr);
	if (!pr) {
		close(fd);
		return NULL;
	}
	loop_watch_init(&pr->watch, producer_event, pr);
	pr->fd = fd;
	pr->pool = pl;
	pr->no_wait = no_wait;
	pr->detach = detach;
	pr->events = EPOLLIN | EPOLLRDHUP;
	proto_buf_init(&pr->out, PROTO_MAX_ANSWER);
	if (loop_watch(fd, pr->events, &pr->watch) < 0) {
		close(fd);
		free(pr);
		return NULL;
	}
	/* Into the ring just before the next one to serve: last in this turn. */
	if (!pl->producers) {
		pr->prev = pr->next = pr;
		pl->producers = pr;
	} else {
		struct producer *at = pl->producers;
		pr->next = at;
		pr->prev = at->prev;
		at->prev->next = pr;
		at->prev = pr;
	}
	pl->nproducers++;
	pool_all.nproducers++;
	return pr;
}

/* ---- status ---- */

bool pool_status(const struct process *p, char *pool, size_t plen, char *worker, size_t wlen,
		 char *stats, size_t slen)
{
	const struct pool *pl = p->prog->pool;
	if (!pl)
		return false;
	snprintf(pool, plen, "%s", pl->name);
	const struct pool_worker *w = p->worker;
	if (!w || !p->pid)
		snprintf(worker, wlen, "down");
	else if (w->killed)
		snprintf(worker, wlen, "killed");
	else if (w->from_fd < 0)
		snprintf(worker, wlen, "closed its stdout");
	else if (w->njobs == 1)
		snprintf(worker, wlen, "busy job %llu", (unsigned long long)w->jobs->id);
	else if (w->njobs > 1)
		snprintf(worker, wlen, "busy %d jobs", w->njobs);
	else if (p->fsm.state == PSTATE_RUNNING)
		snprintf(worker, wlen, "idle");
	else
		snprintf(worker, wlen, "%s", p->fsm.state == PSTATE_STARTING ? "starting" : "stopping");
	const struct pool_config *pc = pool_cfg(pl);
	snprintf(stats, slen,
		 "queue=%zu queue_max=%d done=%llu failed=%llu timed_out=%llu retried=%llu "
		 "cancelled=%llu refused=%llu throttled=%llu producers=%d",
		 channel_len(&pl->queue) + pl->nretry, pc ? pc->queue : 0,
		 (unsigned long long)pl->st.done, (unsigned long long)pl->st.failed,
		 (unsigned long long)pl->st.timed_out, (unsigned long long)pl->st.retried,
		 (unsigned long long)pl->st.cancelled, (unsigned long long)pl->st.refused,
		 (unsigned long long)pl->st.throttled, pl->nproducers);
	return true;
}

long pool_figures(struct pool_figures **out)
{
	size_t n = 0, k = 0;
	for (const struct pool *pl = pool_all.pools; pl; pl = pl->next)
		n++;
	*out = NULL;
	if (!n)
		return 0;
	struct pool_figures *v = calloc(n, sizeof *v); /* the caller's to free */
	if (!v)
		return -ENOMEM;
	for (const struct pool *pl = pool_all.pools; pl; pl = pl->next, k++) {
		const struct pool_config *pc = pool_cfg(pl);
		struct pool_figures *f = &v[k];
		*f = (struct pool_figures){
			.name = pl->name, .queued = channel_len(&pl->queue) + pl->nretry,
			.queue_max = pc ? (uint64_t)pc->queue : 0,
			.producers = (uint64_t)pl->nproducers,
			.done = pl->st.done, .failed = pl->st.failed, .timed_out = pl->st.timed_out,
			.retried = pl->st.retried, .cancelled = pl->st.cancelled,
			.refused = pl->st.refused,
		};
		for (const struct pool_worker *w = pl->workers; w; w = w->next)
			f->in_flight += (uint64_t)w->njobs;
	}
	*out = v;
	return (long)n;
}

/* ---- freeing ---- */

/* Free what was closed during the last turn. */
static void pool_bury(void)
{
	while (pool_all.dead_producers) {
		struct producer *pr = pool_all.dead_producers;
		pool_all.dead_producers = pr->dnext;
		free(pr->in);
		proto_buf_free(&pr->out);
		free(pr);
	}
	while (pool_all.dead_workers) {
		struct pool_worker *w = pool_all.dead_workers;
		pool_all.dead_workers = w->next;
		free(w);
	}
	while (pool_all.dead_pools) {
		struct pool *pl = pool_all.dead_pools;
		pool_all.dead_pools = pl->next;
		channel_free(&pl->queue);
		free(pl->name);
		free(pl);
	}
}

/* At exit: close every producer, free every job and pool. */
static void pool_free_all(void)
{
	for (struct pool *pl = pool_all.pools; pl; pl = pl->next) {
		pl->pumping = true; /* no pumping, no freeing under this loop */
		while (pl->producers && pl->nproducers) {
			struct producer *pr = pl->producers;
			producer_gone(pr, NULL);
			pr->bad = false;
			producers_sweep(pl);
		}
		struct job *j;
		while ((j = next_waiting(pl)))
			job_free(j);
		while (pl->workers)
			worker_gone(pl->workers, " is gone");
		pl->pumping = false;
	}
	while (pool_all.pools) {
		struct pool *pl = pool_all.pools;
		pl->nprogs = 0;
		pool_maybe_free(pl);
		if (pool_all.pools == pl) { /* still referred to: cannot happen */
			pool_all.pools = pl->next;
			pl->next = pool_all.dead_pools;
			pool_all.dead_pools = pl;
		}
	}
	pool_bury();
}

static const struct hooks pool_hooks = {
	.on_bury = pool_bury,
	.on_free_all = pool_free_all,
	.on_program_new = pool_attach,
	.on_program_free = pool_detach,
	.on_spawn_prepare = pool_spawn_prepare,
	.on_spawn_done = pool_spawn_done,
	.on_process_exited = pool_worker_exited,
	.on_process_changed = pool_process_changed,
	.on_handover = pool_handover,
	.on_taken_over = pool_taken_over,
};

int pool_init(void)
{
	return hooks_subscribe(&pool_hooks);
}
