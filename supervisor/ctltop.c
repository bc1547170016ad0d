/* ctltop — the control verb top: a subscription to the status of every
 * process, for corralctl top's screen (ipc/proto.h has the frames).
 *
 * The answer is `status` of every process; after it, what changes is
 * pushed. The core's on_process_changed only marks the process; the
 * frame is made once per turn of the loop, in on_bury, so a burst of
 * changes (a group restarting) costs one frame and no write happens
 * inside the core's hook. With no subscriber, nothing is marked and
 * nothing runs. CPU and memory move without any change the core hears
 * of: a subscriber that asks for them (--usage) gets them once a second,
 * and the timer for it runs only while one such subscriber is connected,
 * so a screen without those columns costs corrald no system call while
 * its programs do not change. What a subscriber has not read is bounded
 * (TOP_MAX past its first answer, or 4 times that answer): past it, it is
 * told so and dropped, never waited for. */
#include "supervisor/ctltop.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipc/proto.h"
#include "supervisor/controlint.h"
#include "supervisor/hooks.h"
#include "supervisor/log.h"
#include "supervisor/loop.h"
#include "supervisor/procstatus.h"
#include "supervisor/supervisor.h"

/* What a subscriber has not read yet, past its first answer, at most
 * (or 4 times that answer, for thousands of processes). */
#ifndef TOP_MAX /* -DTOP_MAX=N: a build that drops subscribers sooner, to try it */
#define TOP_MAX (4u * 1024 * 1024)
#endif
/* A frame that says the subscriber is dropped always fits beside it. */
#define TOP_NOTE_ROOM 256
/* Processes named in one "changed" frame at most; past it, "all". */
#define TOP_DIRTY_MAX 64
/* A dropped subscriber's last frame waits this long to be read. */
#define TOP_DROP_MS 10000
/* CPU and memory are read again this often for --usage subscribers. */
#define TOP_USAGE_MS 1000

struct sub {
	struct client *c;
	bool usage;
	size_t base;       /* bytes of its first answer: not counted in its limit */
	size_t limit;      /* TOP_MAX, or room for 4 of its first answer when more */
	struct sub *next;
};

static struct {
	struct sub *subs;       /* heap, each owned here */
	int nusage;             /* of them, with --usage */
	struct deadline tick;   /* the --usage refresh, pending only while nusage > 0 */
	/* What changed this turn: processes, names of those gone (owned), or
	 * everything (too many to name, or no memory to name them). */
	struct process *dirty[TOP_DIRTY_MAX];
	int ndirty;
	char *gone[TOP_DIRTY_MAX];
	int ngone;
	bool all;
} T;

static void sub_free(struct sub *s)
{
	for (struct sub **pp = &T.subs; *pp; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	if (s->usage && --T.nusage == 0)
		loop_timer_cancel(&T.tick);
	free(s);
}

static struct sub *sub_of(const struct client *c)
{
	for (struct sub *s = T.subs; s; s = s->next)
		if (s->c == c)
			return s;
	return NULL;
}

/* The client goes (closed, or dropped): it is no subscriber any more. */
static void top_unfollow(struct client *c)
{
	struct sub *s = sub_of(c);
	if (s)
		sub_free(s);
	c->unfollow = NULL;
}

static void status_record(struct proto_buf *b, const struct process *p, bool usage)
{
	struct procstatus ps;
	procstatus_fill(p, &ps, usage);
	for (int i = 0; i < PS_NFIELDS; i++)
		(void)proto_field(b, ps.fields[i], i == PS_NFIELDS - 1 ? '\n' : '\t');
}

/* Every process (RUNNING_ONLY: those with a process) into B. */
static void every_record(struct proto_buf *b, bool usage, bool running_only)
{
	for (struct program *prog = supervisor_programs(); prog; prog = prog->next)
		for (int i = 0; i < prog->nprocs; i++)
			if (!running_only || prog->procs[i]->pid)
				status_record(b, prog->procs[i], usage);
}

/* Queue a 'D' frame of PAYLOAD for S: false when S was dropped for it. */
static bool sub_push(struct sub *s, const struct proto_buf *payload)
{
	struct client *c = s->c;
	size_t waiting = c->out.len - c->sent;
	size_t unread = waiting > s->base ? waiting - s->base : 0;
	if (unread + payload->len + PROTO_HEADER_SIZE + TOP_NOTE_ROOM > s->limit) {
		/* It cannot keep up: the last frame says so, and it goes once
		 * that is out (or at the answer's deadline, ctl_flush's). */
		char note[TOP_NOTE_ROOM - PROTO_HEADER_SIZE];
		int n = snprintf(note, sizeof note, "dropped\ncorrald: this reader fell behind by "
				 "more than %zu KiB of changes; ask again\n", s->limit / 1024);
		if (n < 0 || (size_t)n >= sizeof note)
			n = (int)sizeof note - 1;
		uint8_t hdr[PROTO_HEADER_SIZE];
		proto_header_pack(hdr, PROTO_KIND_DATA, (uint32_t)n);
		(void)proto_buf_append(&c->out, hdr, sizeof hdr);
		(void)proto_buf_append(&c->out, note, (size_t)n);
		log_warn("control: a top subscriber (pid %d) fell behind, dropped", (int)c->peer_pid);
		top_unfollow(c); /* frees S; ctl_flush closes C once the note is out */
		/* ...or, when it reads nothing more, at this deadline */
		if (loop_timer_set(&c->timer, loop_now_ms() + TOP_DROP_MS) < 0) {
			ctl_client_free(c);
			return false;
		}
		ctl_flush(c);
		return false;
	}
	/* What was sent of the first answer is gone: reclaim the room. */
	if (c->phase == CLIENT_FOLLOW && c->sent) {
		memmove(c->out.data, c->out.data + c->sent, waiting);
		c->out.len = waiting;
		c->sent = 0;
	}
	if (s->base > waiting)
		s->base = waiting;
	uint8_t hdr[PROTO_HEADER_SIZE];
	proto_header_pack(hdr, PROTO_KIND_DATA, (uint32_t)payload->len);
	if (proto_buf_append(&c->out, hdr, sizeof hdr) < 0 ||
	    proto_buf_append(&c->out, payload->data, payload->len) < 0) {
		ctl_client_free(c); /* a frame cut short would garble the rest */
		return false;
	}
	if (c->phase == CLIENT_FOLLOW && waiting == 0)
		ctl_flush(c);
	return true;
}

/* FRAME (its first line) to every subscriber that asked for USAGE (or
 * to all, when ALL_SUBS), made once for each kind. */
static void push_to(const char *kind, bool all_subs, bool usage_wanted)
{
	struct proto_buf b[2]; /* [0] without usage, [1] with */
	bool made[2] = { false, false };
	for (struct sub *s = T.subs, *next; s; s = next) {
		next = s->next;
		if (!all_subs && s->usage != usage_wanted)
			continue;
		int k = s->usage;
		if (!made[k]) {
			proto_buf_init(&b[k], PROTO_MAX_ANSWER);
			(void)proto_buf_printf(&b[k], "%s\n", kind);
			if (strcmp(kind, "usage") == 0) {
				every_record(&b[k], true, true);
			} else if (strcmp(kind, "all") == 0) {
				every_record(&b[k], k, false);
			} else {
				for (int i = 0; i < T.ngone; i++)
					(void)proto_field(&b[k], T.gone[i], '\n');
				for (int i = 0; i < T.ndirty; i++)
					status_record(&b[k], T.dirty[i], k);
			}
			made[k] = true;
		}
		sub_push(s, &b[k]);
	}
	for (int k = 0; k < 2; k++)
		if (made[k])
			proto_buf_free(&b[k]);
}

static void dirty_clear(void)
{
	for (int i = 0; i < T.ngone; i++)
		free(T.gone[i]);
	T.ngone = T.ndirty = 0;
	T.all = false;
}

/* The end of a turn of the loop: what changed in it goes out. */
static void top_bury(void)
{
	if (!T.all && !T.ndirty && !T.ngone)
		return;
	if (T.subs)
		push_to(T.all ? "all" : "changed", true, false);
	dirty_clear();
}

static void top_process_changed(struct process *p, bool gone)
{
	int i = 0;
	while (i < T.ndirty && T.dirty[i] != p)
		i++;
	/* it will not be there to describe (even when its subscriber left
	 * and another may come in this turn) */
	if (gone && i < T.ndirty)
		T.dirty[i] = T.dirty[--T.ndirty];
	if (!T.subs || T.all)
		return;
	if (gone) {
		if (T.ngone == TOP_DIRTY_MAX || !(T.gone[T.ngone] = strdup(p->name)))
			T.all = true;
		else
			T.ngone++;
		return;
	}
	if (i < T.ndirty)
		return;
	if (T.ndirty == TOP_DIRTY_MAX)
		T.all = true;
	else
		T.dirty[T.ndirty++] = p;
}

/* A restart in place (RUNNING to RUNNING through a new spawn, startsecs =
 * 0) is no change of state for on_process_changed, but its pid and
 * restarts are new: it is marked here. */
static void top_process_state(struct process *p, enum pstate before, enum pstate after,
			      const struct pinput *in, bool spawned)
{
	if (spawned || before != after)
		top_process_changed(p, false);
}

static void top_tick(struct deadline *d)
{
	if (!T.nusage)
		return;
	push_to("usage", false, true);
	if (T.nusage && loop_timer_set(&T.tick, loop_now_ms() + TOP_USAGE_MS) < 0)
		log_warn("control: top: no memory for the usage timer");
}

/* top [--usage] */
static void verb_top(struct client *c, char **argv, int argc)
{
	bool usage = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--usage") != 0) {
			ctl_usage(c, VERB_TOP);
			return;
		}
		usage = true;
	}
	struct sub *s = calloc(1, sizeof *s);
	if (!s) {
		ctl_outf(c, "top: %s", strerror(ENOMEM));
		ctl_fail(c, PROTO_FAILED);
		ctl_answer(c);
		return;
	}
	every_record(&c->out, usage, false);
	s->c = c;
	s->usage = usage;
	s->base = c->out.len;
	/* a big config's one change of every process ("all") must fit a few times */
	s->limit = s->base > TOP_MAX / 4 ? 4 * s->base : TOP_MAX;
	s->next = T.subs;
	T.subs = s;
	c->unfollow = top_unfollow;
	if (usage && T.nusage++ == 0 &&
	    loop_timer_set(&T.tick, loop_now_ms() + TOP_USAGE_MS) < 0)
		log_warn("control: top: no memory for the usage timer");
	ctl_answer(c);
}

static const struct hooks top_hooks = {
	.on_process_changed = top_process_changed,
	.on_process_state = top_process_state,
	.on_bury = top_bury,
};

int ctltop_init(void)
{
	loop_timer_init(&T.tick, top_tick, NULL);
	ctl_verb_set(VERB_TOP, verb_top);
	return hooks_subscribe(&top_hooks);
}
