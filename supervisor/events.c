#include "supervisor/events.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "ipc/io.h"
#include "sandbox/limits.h"
#include "supervisor/echo.h"
#include "supervisor/eventproto.h"
#include "supervisor/handover.h"
#include "supervisor/hooks.h"
#include "supervisor/log.h"
#include "supervisor/loop.h"
#include "supervisor/sdlog.h"
#include "supervisor/pyrepr.h"
#include "supervisor/supervisor.h"

/* What supervisor_send_stdin() queues for one process at most. */
#define STDIN_MAX (1024 * 1024)
/* A listener's stdout is read this much at a time (one read per turn). */
#define LISTENER_READ 4096
/* After its exit, what a listener wrote last is read up to this many times. */
#define LISTENER_LAST_READS 16
/* The largest read a log stream makes (logstream.c's READ_MAX), plus a token. */
#define OUTPUT_MAX (1024 * 1024 + 64)

static const char BEGIN_TOKEN[] = "<!--XSUPERVISOR:BEGIN-->";
static const char END_TOKEN[] = "<!--XSUPERVISOR:END-->";

/* A listener program's pool: its buffer and serials. One per program
 * generation, as supervisord makes a new pool when a reload changes one. */
struct evpool {
	struct program *prog;
	struct evbuf buf;
	uint64_t serial;        /* the next poolserial */
	bool active;            /* hears events: its group was added and not removed */
	struct evpool *next;
};

/* Capture mode of one stream: what came between the tokens. */
struct capture {
	bool on;                /* after BEGIN, before END */
	char tail[sizeof BEGIN_TOKEN]; /* output that may be the start of a token, held */
	size_t taillen;
	char *data;             /* captured: about the last capture_maxbytes; owned */
	size_t len, cap;
};

/* A process's pipes held here (p->ev). */
struct evproc {
	struct process *p;
	struct evpool *pool;    /* a listener's pool; NULL for any other process */
	int in_fd;              /* our end of its stdin, -1: none */
	int out_fd;             /* a listener's stdout, -1: none */
	int child[2];           /* its ends until the spawn is done */
	struct watch in_w, out_w;
	bool in_watched;
	char *q;                /* for its stdin; owned */
	size_t qlen, qsent, qcap;
	struct eventproto_parser parser;
	bool busy;              /* an event in flight: inflight */
	struct evbuf_item inflight;
	struct capture cap[2];
};

static struct {
	struct evpool *pools;
	uint64_t serial;        /* supervisord's global serial: the next event's */
	struct deadline ticks[3];   /* TICK_5, _60, _3600 */
	bool ticks_ready;           /* their heap nodes are set up */
	int64_t last_tick[3];   /* epoch seconds of the last tick of each period */
	char *out;              /* events_output()'s buffer, OUTPUT_MAX; owned */
} E;

static const int tick_period[3] = { 5, 60, 3600 };

/* ---- pools ---- */

static const char *pool_name(const struct evpool *pl)
{
	return pl->prog->cfg->name;
}

static void accept_item(struct evpool *pl, struct evbuf_item it, bool front)
{
	struct evbuf_item dropped;
	if (evbuf_push(&pl->buf, it, front, &dropped)) {
		log_err("pool %s event buffer overflowed, discarding event %llu", pool_name(pl),
			(unsigned long long)dropped.msg->serial);
		evmsg_put(dropped.msg);
	}
}

static void in_flush(struct evproc *e);
static loop_watch_fn stdin_writable, stdout_readable;

/* A listener that may take an event now: its process RUNNING, it READY. */
static struct evproc *ready_listener(struct evpool *pl)
{
	struct program *prog = pl->prog;
	for (int i = 0; i < prog->nprocs; i++) {
		struct evproc *e = prog->procs[i]->ev;
		if (e && e->pool == pl && prog->procs[i]->fsm.state == PSTATE_RUNNING &&
		    e->parser.state == LISTENER_READY && e->in_fd >= 0)
			return e;
	}
	return NULL;
}

static int queue_add(struct evproc *e, const char *data, size_t len)
{
	if (e->qsent && e->qsent == e->qlen)
		e->qsent = e->qlen = 0;
	if (e->qlen + len > e->qcap) {
		size_t cap = e->qcap ? e->qcap : 4096;
		while (cap < e->qlen + len)
			cap *= 2;
		char *q = realloc(e->q, cap);
		if (!q)
			return -ENOMEM;
		e->q = q;
		e->qcap = cap;
	}
	memcpy(e->q + e->qlen, data, len);
	e->qlen += len;
	return 0;
}

/* Hand the oldest events to READY listeners, as long as there are both. */
static void dispatch(struct evpool *pl)
{
	struct evproc *e;
	while (pl->buf.n && (e = ready_listener(pl))) {
		struct evbuf_item it;
		evbuf_pop(&pl->buf, &it);
		char head[256];
		int n = eventproto_header(head, sizeof head, it.msg->serial, pool_name(pl),
					  it.poolserial, it.msg->type, it.msg->len);
		if (n < 0 || queue_add(e, head, (size_t)n) < 0 ||
		    queue_add(e, it.msg->payload, it.msg->len) < 0) {
			log_err("%s: out of memory sending event %llu", e->p->name,
				(unsigned long long)it.msg->serial);
			accept_item(pl, it, true);
			return;
		}
		eventproto_sent(&e->parser);
		e->busy = true;
		e->inflight = it;
		sdlog_listener_state(supervisor_process_name(e->p), "READY", "BUSY");
		log_debug("%s: event %llu (%s) sent", e->p->name, (unsigned long long)it.msg->serial,
			  eventproto_type_name(it.msg->type));
		in_flush(e);
	}
}

/* Emit an event of type T to every pool that subscribes to it. */
static void emit(enum event_type t, const char *payload, size_t len)
{
	struct evmsg *m = NULL;
	for (struct evpool *pl = E.pools; pl; pl = pl->next) {
		if (!pl->active || !(pl->prog->cfg->listener_events & EV_BIT(t)))
			continue;
		/* supervisord numbers only the events some pool takes */
		if (!m && !(m = evmsg_new(t, E.serial++, payload, len))) {
			log_err("out of memory for a %s event", eventproto_type_name(t));
			return;
		}
		m->refs++;
		accept_item(pl, (struct evbuf_item){ .msg = m, .poolserial = pl->serial++ }, false);
	}
	evmsg_put(m); /* emit's own reference */
	for (struct evpool *pl = E.pools; m && pl; pl = pl->next)
		dispatch(pl);
}

/* ---- ticks ---- */

static int64_t real_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts); /* vDSO: no system call */
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void tick_set(int k)
{
	int64_t now = real_ms(), period = tick_period[k] * 1000LL;
	int64_t next = (now / period + 1) * period;
	if (loop_timer_set(&E.ticks[k], loop_now_ms() + (next - now)) < 0)
		log_err("out of memory for the TICK_%d deadline", tick_period[k]);
}

/* Ticks run only while a pool wants them. */
static void ticks_arm(void)
{
	for (int k = 0; k < 3; k++) {
		bool want = false;
		for (struct evpool *pl = E.pools; pl && !want; pl = pl->next)
			want = pl->prog->cfg->listener_events & EV_BIT(EV_TICK_5 + k);
		bool armed = loop_timer_pending(&E.ticks[k]);
		if (want && !armed) {
			/* as supervisord: the first tick is the next period's start */
			int64_t s = real_ms() / 1000;
			E.last_tick[k] = s - s % tick_period[k];
			tick_set(k);
		} else if (!want && armed) {
			loop_timer_cancel(&E.ticks[k]);
		}
	}
}

static void tick_due(struct deadline *d)
{
	int k = (int)(d - E.ticks);
	if (k < 0 || k > 2)
		return;
	int64_t s = real_ms() / 1000;
	int64_t slice = s - s % tick_period[k];
	if (slice != E.last_tick[k]) {
		/* a timer a little early (clocks drift apart) just comes again */
		E.last_tick[k] = slice;
		char payload[64];
		int n = snprintf(payload, sizeof payload, "when:%lld", (long long)slice);
		emit(EV_TICK_5 + k, payload, (size_t)n);
	}
	tick_set(k);
}

/* ---- programs and processes ---- */

static struct evpool *pool_of(const struct program *prog)
{
	for (struct evpool *pl = E.pools; pl; pl = pl->next)
		if (pl->prog == prog)
			return pl;
	return NULL;
}

int events_program_new(struct program *prog)
{
	if (!prog->cfg->is_listener)
		return 0;
	struct evpool *pl = calloc(1, sizeof *pl);
	if (!pl)
		return -ENOMEM;
	if (evbuf_init(&pl->buf, (size_t)prog->cfg->buffer_size) < 0) {
		free(pl);
		return -ENOMEM;
	}
	pl->prog = prog;
	/* it hears events once its group is added: events_started(), events_group() */
	struct evpool **pp = &E.pools;
	while (*pp)
		pp = &(*pp)->next;
	*pp = pl;
	if (!E.ticks_ready) {
		for (int k = 0; k < 3; k++)
			loop_timer_init(&E.ticks[k], tick_due, NULL);
		E.ticks_ready = true;
	}
	ticks_arm();
	return 0;
}

/* FD, watched by W or not (harmless then). */
static void close_fd(int *fd, struct watch *w)
{
	if (*fd < 0)
		return;
	loop_unwatch(w);
	close(*fd);
	*fd = -1;
}

static void in_close(struct evproc *e)
{
	close_fd(&e->in_fd, &e->in_w);
	e->in_watched = false;
	e->qlen = e->qsent = 0;
}

/* An event in flight goes back to the front of its pool's buffer. */
static void rebuffer(struct evproc *e)
{
	if (!e->busy)
		return;
	e->busy = false;
	if (e->pool) {
		log_info("%s: event %llu goes back to pool %s", e->p->name,
			 (unsigned long long)e->inflight.msg->serial, pool_name(e->pool));
		accept_item(e->pool, e->inflight, true);
	} else {
		evmsg_put(e->inflight.msg);
	}
}

static void evproc_free(struct evproc *e)
{
	rebuffer(e);
	in_close(e);
	close_fd(&e->out_fd, &e->out_w);
	for (int k = 0; k < 2; k++) {
		if (e->child[k] >= 0)
			close(e->child[k]);
		free(e->cap[k].data);
	}
	free(e->q);
	e->p->ev = NULL;
	free(e);
}

void events_program_free(struct program *prog)
{
	struct evpool *pl = pool_of(prog);
	for (int i = 0; i < prog->nprocs; i++) {
		struct evproc *e = prog->procs[i]->ev;
		if (!e)
			continue;
		e->pool = NULL; /* its event in flight goes with the pool */
		evproc_free(e);
	}
	if (!pl)
		return;
	for (struct evpool **pp = &E.pools; *pp; pp = &(*pp)->next)
		if (*pp == pl) {
			*pp = pl->next;
			break;
		}
	evbuf_free(&pl->buf);
	free(pl);
	ticks_arm();
	if (!E.pools) {
		free(E.out);
		E.out = NULL;
	}
}

int events_spawn_prepare(struct process *p, bool stdin_free, int child[2], char *err,
			 size_t errlen)
{
	const struct program_config *c = p->prog->cfg;
	child[0] = child[1] = -1;
	bool listener = c->is_listener;
	bool want_in = listener || (stdin_free && c->stdin_pipe);
	if (!want_in && !c->capture_maxbytes[0] && !c->capture_maxbytes[1]) {
		if (p->ev)
			evproc_free(p->ev);
		return 0;
	}
	struct evproc *e = p->ev;
	if (!e) {
		if (!(e = calloc(1, sizeof *e))) {
			snprintf(err, errlen, "event pipes: %s", strerror(ENOMEM));
			return -ENOMEM;
		}
		e->p = p;
		e->in_fd = e->out_fd = -1;
		e->child[0] = e->child[1] = -1;
		loop_watch_init(&e->in_w, stdin_writable, e);
		loop_watch_init(&e->out_w, stdout_readable, e);
		p->ev = e;
	}
	/* each run starts afresh: ACKNOWLEDGED, nothing captured */
	rebuffer(e);
	in_close(e);
	close_fd(&e->out_fd, &e->out_w);
	e->pool = listener ? pool_of(p->prog) : NULL;
	eventproto_parser_init(&e->parser);
	for (int k = 0; k < 2; k++) {
		free(e->cap[k].data);
		e->cap[k] = (struct capture){ .on = false };
	}
	int in[2] = { -1, -1 }, out[2] = { -1, -1 };
	if (want_in && pipe2(in, O_CLOEXEC) < 0)
		goto fail;
	if (listener && pipe2(out, O_CLOEXEC) < 0)
		goto fail;
	/* our ends never block corrald; its ends block it */
	if ((in[1] >= 0 && fcntl(in[1], F_SETFL, O_NONBLOCK) < 0) ||
	    (out[0] >= 0 && fcntl(out[0], F_SETFL, O_NONBLOCK) < 0))
		goto fail;
	e->in_fd = in[1];
	e->child[0] = child[0] = in[0];
	e->out_fd = out[0];
	e->child[1] = child[1] = out[1];
	return 0;
fail:;
	int r = -errno;
	snprintf(err, errlen, "%s pipes: %s", listener ? "listener" : "stdin", strerror(errno));
	for (int k = 0; k < 2; k++) {
		if (in[k] >= 0)
			close(in[k]);
		if (out[k] >= 0)
			close(out[k]);
	}
	return r;
}

/* ---- across an exec of corrald (corralctl reexec) ----
 *
 * Each process's pipes go in the record's table ("stdin" and "listener-out",
 * keyed by its name); what a process has in hand, in a part "evproc" of its
 * name: bytes for its stdin not yet written; bool listener, and for a
 * listener its parser (u32 state, bytes line, bool in_result, u64 need,
 * bytes result) and bool busy, then the event in flight when busy. The
 * part "events" "" holds u64 the next serial, i64 x3 the last ticks, u32 n
 * pools: str program name, u64 its next serial, bool active, u32 n events
 * in its buffer, oldest first. An event is u32 type, u64 serial, u64 pool
 * serial, bytes payload. Capture mode, with output held between tokens,
 * does not go across: the exec is refused until the capture is over. */

static void put_item(struct handover_out *o, const struct evbuf_item *it)
{
	handover_put_u32(o, it->msg->type);
	handover_put_u64(o, it->msg->serial);
	handover_put_u64(o, it->poolserial);
	handover_put_bytes(o, it->msg->payload, it->msg->len);
}

/* An event read back into IT (one reference): 0, or -1 (IN bad, or no memory). */
static int get_item(struct handover_in *in, struct evbuf_item *it)
{
	uint32_t type = handover_get_u32(in);
	uint64_t serial = handover_get_u64(in);
	it->poolserial = handover_get_u64(in);
	size_t len;
	char *payload = handover_get_bytes(in, &len);
	it->msg = in->bad || type >= EV_NTYPES ? NULL : evmsg_new(type, serial, payload, len);
	free(payload);
	if (!it->msg)
		in->bad = true;
	return it->msg ? 0 : -1;
}

static int evproc_carry(struct handover *h, const struct evproc *e, const char *name)
{
	if ((e->in_fd >= 0 && handover_add_fd(h, "stdin", name, e->in_fd) < 0) ||
	    (e->out_fd >= 0 && handover_add_fd(h, "listener-out", name, e->out_fd) < 0))
		return -ENOMEM;
	if (!e->pool && e->qsent == e->qlen)
		return 0; /* nothing in hand */
	struct handover_out o = { 0 };
	handover_put_bytes(&o, e->qlen ? e->q + e->qsent : NULL, e->qlen - e->qsent);
	handover_put_bool(&o, e->pool != NULL);
	if (e->pool) {
		const struct eventproto_parser *ps = &e->parser;
		handover_put_u32(&o, ps->state);
		handover_put_bytes(&o, ps->line, ps->linelen);
		handover_put_bool(&o, ps->in_result);
		handover_put_u64(&o, ps->need);
		handover_put_bytes(&o, ps->result, ps->resultlen);
		handover_put_bool(&o, e->busy);
		if (e->busy)
			put_item(&o, &e->inflight);
	}
	return handover_add_part(h, "evproc", name, &o);
}

static int events_carry(struct handover *h)
{
	struct handover_out o = { 0 };
	handover_put_u64(&o, E.serial);
	for (int k = 0; k < 3; k++)
		handover_put_i64(&o, E.last_tick[k]);
	uint32_t n = 0;
	for (struct evpool *pl = E.pools; pl; pl = pl->next)
		n++;
	handover_put_u32(&o, n);
	for (struct evpool *pl = E.pools; pl; pl = pl->next) {
		handover_put_str(&o, pool_name(pl));
		handover_put_u64(&o, pl->serial);
		handover_put_bool(&o, pl->active);
		handover_put_u32(&o, (uint32_t)pl->buf.n);
		for (size_t i = 0; i < pl->buf.n; i++)
			put_item(&o, &pl->buf.v[(pl->buf.head + i) % pl->buf.cap]);
	}
	return handover_add_part(h, "events", "", &o);
}

static int events_handover(struct handover *h, char *why, size_t whylen)
{
	for (struct program *prog = supervisor_programs(); prog; prog = prog->next)
		for (int i = 0; i < prog->nprocs; i++) {
			const struct evproc *e = prog->procs[i]->ev;
			if (!e)
				continue;
			const char *name = prog->procs[i]->name;
			if (e->cap[0].on || e->cap[1].on) {
				snprintf(why, whylen, "%s is in capture mode (between %s and %s): "
					 "try again", name, BEGIN_TOKEN, END_TOKEN);
				return -1;
			}
			if (evproc_carry(h, e, name) < 0) {
				snprintf(why, whylen, "out of memory");
				return -1;
			}
		}
	if (E.pools && events_carry(h) < 0) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	return 0;
}

/* The listener's side of part IN into E; false when it does not parse. */
static bool listener_adopt(struct evproc *e, struct handover_in *in)
{
	struct eventproto_parser *ps = &e->parser;
	uint32_t st = handover_get_u32(in);
	size_t len, rlen;
	char *line = handover_get_bytes(in, &len);
	ps->in_result = handover_get_bool(in);
	ps->need = handover_get_u64(in);
	char *result = handover_get_bytes(in, &rlen);
	bool ok = !in->bad && st <= LISTENER_UNKNOWN && len <= sizeof ps->line &&
		  rlen <= sizeof ps->result;
	if (ok) {
		ps->state = st;
		memcpy(ps->line, line, len);
		ps->linelen = len;
		memcpy(ps->result, result, rlen);
		ps->resultlen = rlen;
	}
	free(line);
	free(result);
	if (ok && handover_get_bool(in)) {
		ok = get_item(in, &e->inflight) == 0;
		e->busy = ok;
	}
	return ok && !in->bad;
}

/* After the exec: P's pipes, and what it had in hand, as they were. */
static void events_process_adopted(struct process *p)
{
	int in_fd = handover_take_fd("stdin", p->name);
	int out_fd = handover_take_fd("listener-out", p->name);
	const struct handover_part *part = handover_find_part("evproc", p->name);
	if (in_fd < 0 && out_fd < 0 && !part)
		return;
	struct evproc *e = calloc(1, sizeof *e);
	if (!e || (in_fd >= 0 && fcntl(in_fd, F_SETFD, FD_CLOEXEC) < 0) ||
	    (out_fd >= 0 && fcntl(out_fd, F_SETFD, FD_CLOEXEC) < 0)) {
		log_err("%s: its pipes after the exec: %s", p->name, strerror(e ? errno : ENOMEM));
		free(e);
		if (in_fd >= 0)
			close(in_fd);
		if (out_fd >= 0)
			close(out_fd);
		return;
	}
	e->p = p;
	e->in_fd = in_fd;
	e->out_fd = out_fd;
	e->child[0] = e->child[1] = -1;
	loop_watch_init(&e->in_w, stdin_writable, e);
	loop_watch_init(&e->out_w, stdout_readable, e);
	eventproto_parser_init(&e->parser);
	p->ev = e;
	if (p->prog->cfg->is_listener)
		e->pool = pool_of(p->prog);
	if (part) {
		struct handover_in in = { part->data, part->data + part->len, false };
		size_t len;
		char *q = handover_get_bytes(&in, &len);
		bool listener = handover_get_bool(&in);
		bool ok = !in.bad && (!len || queue_add(e, q, len) == 0);
		free(q);
		if (ok && listener)
			ok = e->pool && listener_adopt(e, &in);
		if (!ok || in.p != in.end) {
			log_err("%s: what it had in hand at the exec is lost (its part of the record "
				"does not parse)", p->name);
			e->qlen = e->qsent = 0;
			e->parser.state = LISTENER_UNKNOWN;
		}
	}
	int r;
	if (e->out_fd >= 0 && (r = loop_watch(e->out_fd, EPOLLIN, &e->out_w)) < 0) {
		log_err("%s: watching its stdout: %s; it gets no events", p->name, strerror(-r));
		close_fd(&e->out_fd, &e->out_w);
		e->parser.state = LISTENER_UNKNOWN;
	}
	in_flush(e);
}

/* After the exec, every process taken over: the pools' buffers and serials. */
static void events_taken_over(void)
{
	const struct handover_part *part = handover_find_part("events", "");
	if (!part)
		return;
	struct handover_in in = { part->data, part->data + part->len, false };
	uint64_t serial = handover_get_u64(&in);
	if (serial > E.serial)
		E.serial = serial;
	int64_t slice[3];
	for (int k = 0; k < 3; k++)
		slice[k] = handover_get_i64(&in);
	size_t n = handover_get_count(&in, 17);
	for (size_t i = 0; i < n && !in.bad; i++) {
		char *name = handover_get_str(&in);
		struct evpool *pl = E.pools;
		while (pl && name && strcmp(pool_name(pl), name) != 0)
			pl = pl->next;
		free(name);
		uint64_t pserial = handover_get_u64(&in);
		bool active = handover_get_bool(&in);
		size_t items = handover_get_count(&in, 24);
		if (pl) {
			pl->serial = pserial;
			pl->active = active;
		}
		for (size_t k = 0; k < items && !in.bad; k++) {
			struct evbuf_item it;
			if (get_item(&in, &it) < 0)
				break;
			if (pl)
				accept_item(pl, it, false);
			else
				evmsg_put(it.msg);
		}
	}
	if (in.bad || in.p != in.end)
		log_err("handover: the event pools' part of the record does not parse: events "
			"buffered at the exec may be lost");
	/* Ticks: where the old corrald was; one due during the exec comes now. */
	for (int k = 0; k < 3; k++)
		if (loop_timer_pending(&E.ticks[k]) && slice[k]) {
			int64_t s = real_ms() / 1000;
			E.last_tick[k] = slice[k];
			if (s - s % tick_period[k] != slice[k])
				(void)loop_timer_set(&E.ticks[k], loop_now_ms());
		}
	for (struct evpool *pl = E.pools; pl; pl = pl->next)
		dispatch(pl);
}

void events_spawn_done(struct process *p, bool spawned)
{
	struct evproc *e = p->ev;
	if (!e)
		return;
	for (int k = 0; k < 2; k++)
		if (e->child[k] >= 0) {
			close(e->child[k]);
			e->child[k] = -1;
		}
	int r;
	if (!spawned) {
		in_close(e);
		close_fd(&e->out_fd, &e->out_w);
	} else if (e->out_fd >= 0 && (r = loop_watch(e->out_fd, EPOLLIN, &e->out_w)) < 0) {
		log_err("%s: watching its stdout: %s; it gets no events", p->name, strerror(-r));
		close_fd(&e->out_fd, &e->out_w);
		e->parser.state = LISTENER_UNKNOWN;
	}
}

static void in_flush(struct evproc *e)
{
	while (e->in_fd >= 0 && e->qsent < e->qlen) {
		ssize_t n = io_write_some(e->in_fd, e->q + e->qsent, e->qlen - e->qsent);
		if (n == -EAGAIN) {
			int r;
			if (!e->in_watched &&
			    (r = loop_watch(e->in_fd, EPOLLOUT, &e->in_w)) < 0)
				log_err("%s: watching its stdin: %s", e->p->name, strerror(-r));
			else
				e->in_watched = true;
			return;
		}
		if (n < 0) {
			/* mostly a process on its way out (EPIPE): its exit is handled as such */
			log_warn("%s: writing to its stdin: %s; %zu bytes dropped", e->p->name,
				 strerror((int)-n), e->qlen - e->qsent);
			in_close(e);
			return;
		}
		e->qsent += (size_t)n;
	}
	e->qlen = e->qsent = 0;
	if (e->in_watched) {
		loop_unwatch(&e->in_w);
		e->in_watched = false;
	}
}

/* What a listener said: 1 when something came, 0 when nothing is there
 * now, -1 at its end of file. */
static int listener_read(struct evproc *e)
{
	char buf[LISTENER_READ];
	ssize_t n = io_read_some(e->out_fd, buf, sizeof buf);
	if (n == -EAGAIN)
		return 0;
	if (n <= 0) {
		if (n < 0)
			log_warn("%s: reading its stdout: %s", e->p->name, strerror((int)-n));
		close_fd(&e->out_fd, &e->out_w);
		return -1;
	}
	echo_listener(supervisor_process_name(e->p), buf, (size_t)n);
	size_t off = 0;
	while (off < (size_t)n) {
		size_t used;
		char what[160];
		enum eventproto_outcome o =
			eventproto_feed(&e->parser, buf + off, (size_t)n - off, &used, what, sizeof what);
		off += used;
		if (o == EVP_NONE)
			break;
		/* supervisord's words for each step at debug, its warnings as
		 * warnings, beside corrald's own lines */
		const char *name = supervisor_process_name(e->p);
		if (o == EVP_READY) {
			log_debug("%s: listener READY", e->p->name);
			sdlog_listener_state(name, "ACKNOWLEDGED", "READY");
		} else if (o == EVP_OK) {
			log_debug("%s: event %llu processed", e->p->name,
				  (unsigned long long)e->inflight.msg->serial);
			log_debug("%s: event was processed", name);
			sdlog_listener_state(name, "BUSY", "ACKNOWLEDGED");
			e->busy = false;
			evmsg_put(e->inflight.msg);
			supervisor_shutdown_recheck(); /* its stop may have waited for this */
		} else if (o == EVP_REJECTED) {
			log_warn("%s: event %llu rejected", e->p->name,
				 (unsigned long long)e->inflight.msg->serial);
			log_warn("%s: event was rejected", name);
			sdlog_listener_state(name, "BUSY", "ACKNOWLEDGED");
			rebuffer(e);
		} else { /* EVP_GARBAGE */
			log_warn("%s: listener protocol broken (%s): it is UNKNOWN and gets no "
				 "events until it is started again", e->p->name, what);
			sdlog_listener_state(name, e->busy ? "BUSY" : "ACKNOWLEDGED", "UNKNOWN");
			log_warn("%s: has entered the UNKNOWN state and will no longer receive events, "
				 "this usually indicates the process violated the eventlistener protocol",
				 name);
			rebuffer(e);
		}
	}
	return 1;
}

/* Room in its stdin pipe again. */
static void stdin_writable(struct watch *w, uint32_t events)
{
	in_flush(w->ctx);
}

/* A listener said something. */
static void stdout_readable(struct watch *w, uint32_t events)
{
	struct evproc *e = w->ctx;
	if (e->out_fd < 0)
		return;
	listener_read(e);
	if (e->pool)
		dispatch(e->pool);
}

/* Shutdown: a listener answers the event in flight before it is stopped
 * (SUPERVISOR_STATE_CHANGE_STOPPING among them), as supervisord's, which
 * stops listeners last, gives it time to. */
static bool events_stop_hold(const struct process *p)
{
	const struct evproc *e = p->ev;
	return e && e->pool && e->busy && e->out_fd >= 0;
}

void events_process_note(int t, const struct process *p, const char *extra)
{
	if (!E.pools || t < 0 || t >= EV_NTYPES)
		return;
	char payload[512];
	int n = snprintf(payload, sizeof payload, "processname:%s groupname:%s pid:%d%s%s",
			 supervisor_process_name(p), program_group_name(p->prog), (int)p->pid,
			 *extra ? " " : "", extra);
	if (n > 0 && (size_t)n < sizeof payload)
		emit((enum event_type)t, payload, (size_t)n);
}

void events_process_health(struct process *p, bool healthy, int failures, const char *reason)
{
	if (!E.pools)
		return;
	char payload[512], why[160];
	snprintf(why, sizeof why, "%s", reason && *reason ? reason : "-");
	for (char *c = why; *c; c++)
		if (*c == ' ' || *c == ':' || *c == '\t' || *c == '\n')
			*c = '_';
	int n = snprintf(payload, sizeof payload,
			 "processname:%s groupname:%s pid:%d failures:%d reason:%s",
			 supervisor_process_name(p), program_group_name(p->prog), (int)p->pid,
			 failures, why);
	if (n > 0 && (size_t)n < sizeof payload)
		emit(healthy ? EV_PROCESS_HEALTH_HEALTHY : EV_PROCESS_HEALTH_UNHEALTHY, payload,
		     (size_t)n);
}

void events_process_exited(struct process *p)
{
	/* corral's own event: its tree went over memory_max */
	if (p->oom_kills > 0 && E.pools) {
		char payload[512], max[32];
		int n = snprintf(payload, sizeof payload,
				 "processname:%s groupname:%s pid:%d memory_max:%s oom_kills:%ld",
				 supervisor_process_name(p), program_group_name(p->prog), (int)p->pid,
				 limits_show(&p->prog->cfg->sandbox.limits, LIMITS_MEMORY, max,
					     sizeof max), p->oom_kills);
		if (n > 0 && (size_t)n < sizeof payload)
			emit(EV_PROCESS_OOM, payload, (size_t)n);
	}
	struct evproc *e = p->ev;
	if (!e)
		return;
	/* an answer written just before it died is still in the pipe */
	for (int i = 0; i < LISTENER_LAST_READS && e->out_fd >= 0; i++)
		if (listener_read(e) <= 0)
			break;
	rebuffer(e);
	in_close(e);
	close_fd(&e->out_fd, &e->out_w);
	if (e->pool)
		dispatch(e->pool);
}

/* The pid supervisord's event names for a move into TO. */
static long event_pid(const struct process *p, enum pstate from, enum pstate to)
{
	switch (to) {
	case PSTATE_RUNNING:
	case PSTATE_STOPPING:
		return (long)p->pid;
	case PSTATE_EXITED: /* the process that just ended */
		return (long)p->exit_pid;
	case PSTATE_STOPPED:
		return from == PSTATE_STOPPING ? (long)p->exit_pid : 0;
	default:
		return 0;
	}
}

static void state_event(struct process *p, enum pstate from, enum pstate to, bool expected)
{
	static const enum event_type types[] = {
		[PSTATE_STOPPED] = EV_PROCESS_STATE_STOPPED,
		[PSTATE_STARTING] = EV_PROCESS_STATE_STARTING,
		[PSTATE_RUNNING] = EV_PROCESS_STATE_RUNNING,
		[PSTATE_BACKOFF] = EV_PROCESS_STATE_BACKOFF,
		[PSTATE_STOPPING] = EV_PROCESS_STATE_STOPPING,
		[PSTATE_EXITED] = EV_PROCESS_STATE_EXITED,
		[PSTATE_FATAL] = EV_PROCESS_STATE_FATAL,
		[PSTATE_UNKNOWN] = EV_PROCESS_STATE_UNKNOWN,
	};
	char payload[1024];
	int n = eventproto_process_state(payload, sizeof payload, types[to],
					 supervisor_process_name(p), program_group_name(p->prog),
					 program_state_name(from), p->fsm.retries,
					 event_pid(p, from, to), expected);
	if (n >= 0)
		emit(types[to], payload, (size_t)n);
}

void events_process_state(struct process *p, enum pstate before, enum pstate after,
			  const struct pinput *in, bool spawned)
{
	if (after == before && !spawned)
		return;
	if (E.pools) {
		/* corral's machine takes in one step what supervisord takes in
		 * several, each with its event: an exit and the restart
		 * (EXITED, STARTING), a spawn with startsecs = 0 (STARTING,
		 * RUNNING), the last failed start (BACKOFF, then FATAL) */
		enum pstate path[4];
		int n = 0;
		bool exit = in->event == PEV_EXIT;
		if (spawned) {
			if (exit)
				path[n++] = PSTATE_EXITED;
			path[n++] = PSTATE_STARTING;
			if (after == PSTATE_RUNNING)
				path[n++] = PSTATE_RUNNING;
		} else {
			if (after == PSTATE_FATAL && before != PSTATE_BACKOFF)
				path[n++] = PSTATE_BACKOFF;
			path[n++] = after;
		}
		/* a spawn that failed was reported as STARTING (with
		 * startsecs = 0 the machine had moved on to RUNNING) */
		enum pstate from = in->event == PEV_SPAWN_FAILED ? PSTATE_STARTING : before;
		for (int i = 0; i < n; i++) {
			state_event(p, from, path[i], exit && in->expected);
			from = path[i];
		}
	}
	if (p->ev && p->ev->pool && after == PSTATE_RUNNING)
		dispatch(p->ev->pool);
}

/* ---- corrald's own events ---- */

static void group_event(const char *name, bool added)
{
	char payload[512];
	int n = snprintf(payload, sizeof payload, "groupname:%s\n", name);
	if (n > 0 && (size_t)n < sizeof payload)
		emit(added ? EV_PROCESS_GROUP_ADDED : EV_PROCESS_GROUP_REMOVED, payload, (size_t)n);
}

void events_started(void)
{
	if (!E.pools)
		return; /* nobody to tell: no walk over every program */
	if (handover_active())
		return; /* an exec: nothing started, the pools are as they were (events_taken_over) */
	/* supervisord adds its groups one by one in priority order; a pool
	 * hears of its own group and those after it */
	for (struct program *prog = supervisor_programs(); prog; prog = prog->next) {
		struct evpool *pl = pool_of(prog);
		if (pl)
			pl->active = true;
		const char *g = program_group_name(prog);
		bool seen = false;
		for (struct program *q = supervisor_programs(); q != prog && !seen; q = q->next)
			seen = strcmp(program_group_name(q), g) == 0;
		if (!seen)
			group_event(g, true);
	}
	emit(EV_SUPERVISOR_STATE_CHANGE_RUNNING, "", 0);
}

void events_stopping(void)
{
	emit(EV_SUPERVISOR_STATE_CHANGE_STOPPING, "", 0);
}

void events_group(const struct program *prog, bool added)
{
	/* as supervisord's, a pool hears of its own group's addition, and
	 * nothing more once removed, not even that */
	struct evpool *pl = pool_of(prog);
	if (pl)
		pl->active = added;
	group_event(program_group_name(prog), added);
}

void events_free_all(void)
{
	free(E.out);
	E.out = NULL;
}

void events_remote_comm(const char *type, const char *data)
{
	size_t tl = strlen(type), dl = strlen(data);
	char *payload = malloc(tl + dl + 7);
	if (!payload) {
		log_err("out of memory for a REMOTE_COMMUNICATION event");
		return;
	}
	int n = sprintf(payload, "type:%s\n", type);
	memcpy(payload + n, data, dl);
	emit(EV_REMOTE_COMMUNICATION, payload, (size_t)n + dl);
	free(payload);
}

int supervisor_send_stdin(struct process *p, const char *data, size_t len)
{
	struct evproc *e = p->ev;
	if (!p->pid || !e || e->in_fd < 0)
		return -ENOTCONN;
	if (e->qlen - e->qsent + len > STDIN_MAX)
		return -ENOBUFS;
	if (queue_add(e, data, len) < 0)
		return -ENOBUFS;
	in_flush(e);
	return 0;
}

/* ---- program output ---- */

/* PROCESS_LOG_* or PROCESS_COMMUNICATION_* with DATA; as supervisord,
 * data that is not UTF-8 goes as the text "Undecodable: b'...'". */
static void output_event(struct process *p, enum event_type t, const char *data, size_t len,
			 bool with_channel)
{
	if (!E.pools)
		return;
	char *text = NULL;
	if (!pyrepr_utf8(data, len)) {
		if (!(text = pyrepr_undecodable(data, len, &len))) {
			log_err("%s: out of memory for a %s event", p->name, eventproto_type_name(t));
			return;
		}
		data = text;
	}
	char head[600];
	long pid = p->pid ? (long)p->pid : (long)p->exit_pid;
	int n = snprintf(head, sizeof head, "processname:%s groupname:%s pid:%ld%s%s\n",
			 supervisor_process_name(p), program_group_name(p->prog), pid,
			 with_channel ? " channel:" : "",
			 with_channel ? (t == EV_PROCESS_LOG_STDOUT ? "stdout" : "stderr") : "");
	char *payload = NULL;
	if (n < 0 || (size_t)n >= sizeof head)
		goto out;
	if (!(payload = malloc((size_t)n + len))) {
		log_err("%s: out of memory for a %s event", p->name, eventproto_type_name(t));
		goto out;
	}
	memcpy(payload, head, (size_t)n);
	memcpy(payload + n, data, len);
	emit(t, payload, (size_t)n + len);
out:
	free(payload);
	free(text);
}

/* supervisord's _log(): to the log (or, in capture mode, the capture), to
 * corrald's log at debug, and as a PROCESS_LOG event. */
static void take(struct process *p, int which, struct capture *c, const char *data, size_t len,
		 char *out, size_t *outlen)
{
	if (!len)
		return;
	echo_output(supervisor_process_name(p), which, data, len);
	if (c && c->on) {
		/* like supervisord's bounded capture: room is made by dropping as
		 * much from the front as comes in */
		size_t max = (size_t)p->prog->cfg->capture_maxbytes[which];
		if (c->len + len > max) {
			size_t drop = len < c->len ? len : c->len;
			memmove(c->data, c->data + drop, c->len - drop);
			c->len -= drop;
		}
		if (c->len + len > c->cap) {
			char *d = realloc(c->data, c->len + len);
			if (!d) {
				log_err("%s: out of memory capturing its output", p->name);
				return;
			}
			c->data = d;
			c->cap = c->len + len;
		}
		memcpy(c->data + c->len, data, len);
		c->len += len;
	} else {
		memmove(out + *outlen, data, len);
		*outlen += len;
	}
	if (p->prog->cfg->events_enabled[which])
		output_event(p, which ? EV_PROCESS_LOG_STDERR : EV_PROCESS_LOG_STDOUT, data, len, true);
}

/* The longest end of DATA that is the start of TOKEN. */
static size_t prefix_at_end(const char *data, size_t len, const char *token, size_t toklen)
{
	for (size_t k = len < toklen - 1 ? len : toklen - 1; k > 0; k--)
		if (memcmp(data + len - k, token, k) == 0)
			return k;
	return 0;
}

size_t events_output(struct process *p, int which, const char *in, size_t len, const char **out)
{
	const struct program_config *cfg = p->prog->cfg;
	*out = in;
	if (which < 0 || which > 1)
		return len;
	if (!cfg->capture_maxbytes[which] || !p->ev) {
		echo_output(supervisor_process_name(p), which, in, len);
		if (cfg->events_enabled[which] && len)
			output_event(p, which ? EV_PROCESS_LOG_STDERR : EV_PROCESS_LOG_STDOUT, in, len,
				     true);
		return len;
	}
	struct capture *c = &p->ev->cap[which];
	if (!E.out && !(E.out = malloc(OUTPUT_MAX))) {
		log_err("%s: out of memory for capture mode", p->name);
		return len;
	}
	/* the held tail, then what was read; what goes to the log is written
	 * over it from the start, never ahead of what is still to be read */
	if (c->taillen + len > OUTPUT_MAX)
		len = OUTPUT_MAX - c->taillen;
	char *buf = E.out;
	memcpy(buf, c->tail, c->taillen);
	memcpy(buf + c->taillen, in, len);
	size_t n = c->taillen + len, at = 0, outlen = 0;
	c->taillen = 0;
	for (;;) {
		const char *token = c->on ? END_TOKEN : BEGIN_TOKEN;
		size_t toklen = c->on ? sizeof END_TOKEN - 1 : sizeof BEGIN_TOKEN - 1;
		size_t left = n - at;
		if (left <= toklen) { /* too little to tell: held, as supervisord does */
			memcpy(c->tail, buf + at, left);
			c->taillen = left;
			break;
		}
		const char *hit = memmem(buf + at, left, token, toklen);
		if (!hit) {
			size_t keep = prefix_at_end(buf + at, left, token, toklen);
			take(p, which, c, buf + at, left - keep, buf, &outlen);
			memcpy(c->tail, buf + n - keep, keep);
			c->taillen = keep;
			break;
		}
		size_t before = (size_t)(hit - (buf + at));
		take(p, which, c, buf + at, before, buf, &outlen);
		at += before + toklen;
		c->on = !c->on;
		if (!c->on) {
			output_event(p, which ? EV_PROCESS_COMMUNICATION_STDERR
					      : EV_PROCESS_COMMUNICATION_STDOUT,
				     c->data ? c->data : "", c->len, false);
			c->len = 0;
		}
		if (at == n)
			break;
	}
	*out = buf;
	return outlen;
}

static const struct hooks events_hooks = {
	.on_free_all = events_free_all,
	.on_started = events_started,
	.on_stopping = events_stopping,
	.on_program_new = events_program_new,
	.on_program_free = events_program_free,
	.on_group = events_group,
	.on_spawn_prepare = events_spawn_prepare,
	.on_spawn_done = events_spawn_done,
	.on_process_exited = events_process_exited,
	.on_process_state = events_process_state,
	.on_stop_hold = events_stop_hold,
	.on_output = events_output,
	.on_handover = events_handover,
	.on_process_adopted = events_process_adopted,
	.on_taken_over = events_taken_over,
};

int events_init(void)
{
	return hooks_subscribe(&events_hooks);
}
