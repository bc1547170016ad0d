/* apievents — the JSON API's event stream (apievents.h). */
#include "supervisor/apievents.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>

#include "supervisor/apijson.h"
#include "supervisor/hooks.h"
#include "supervisor/http.h"
#include "supervisor/log.h"
#include "supervisor/logstream.h"
#include "supervisor/supervisor.h"

/* Names a subscriber may ask the output of. */
#define LOGS_MAX 16
/* The most output one log event carries. */
#define LOG_PIECE (16 * 1024)

struct sub {
	struct http_conn *c;    /* NULL once its stream is over (freed at the next prune) */
	char *logs;             /* owned: the names, NUL-separated; NULL: no output */
	size_t nlogs;
	struct sub *next;
};

/* One event with an id, as it is sent: "id: N\nevent: ...\ndata: ...\n\n". */
struct kept {
	uint64_t id;
	char *text;             /* owned */
	size_t len;
};

static struct {
	struct sub *subs;       /* owned */
	unsigned nsubs;
	uint64_t dropped;
	uint64_t next_id;       /* 0 until the first event */
	struct kept ring[APIEVENTS_RING];
	size_t head, n;         /* the oldest at HEAD */
	bool publishing;        /* a gone callback during a walk only marks */
} E;

uint64_t apievents_dropped(void)
{
	return E.dropped;
}

unsigned apievents_subscribers(void)
{
	return E.nsubs;
}

static char *format(uint64_t id, const char *type, json_t *data, size_t *len);

/* ---- subscribers ---- */

static void sub_free(struct sub *s)
{
	free(s->logs);
	free(s);
}

/* Subscribers whose stream is over go. */
static void prune(void)
{
	if (E.publishing)
		return;
	for (struct sub **sp = &E.subs, *s; (s = *sp);) {
		if (s->c) {
			sp = &s->next;
			continue;
		}
		*sp = s->next;
		E.nsubs--;
		sub_free(s);
	}
}

static void sub_gone(void *ctx)
{
	struct sub *s = ctx;
	s->c = NULL;
	prune();
}

/* TEXT to S, or S dropped when it is too far behind: it is told so, and
 * its stream ends once what waits is out. */
static void sub_send(struct sub *s, const char *text, size_t len)
{
	if (!s->c)
		return;
	size_t pending = http_stream_pending(s->c);
	/* (an event is far smaller than the bound: one alone always goes) */
	if (pending && pending + len > APIEVENTS_BEHIND) {
		size_t n = 0;
		char *msg = format(0, "dropped", json_pack("{s:s, s:I}", "message",
				   "this subscriber fell behind: reconnect with Last-Event-ID",
				   "pending_bytes", (json_int_t)pending), &n);
		E.dropped++;
		log_warn("api: an event stream's reader fell %zu bytes behind: dropped (%llu so "
			 "far)", pending, (unsigned long long)E.dropped);
		struct http_conn *c = s->c;
		s->c = NULL; /* told nothing more: the stream is over for it */
		struct iovec iov = { msg, n };
		if (!msg || http_stream_queue(c, &iov, 1) >= 0)
			http_stream_end(c);
		free(msg);
		return;
	}
	struct iovec iov = { (void *)text, len };
	/* queued: written from the loop when the socket takes it, never from
	 * inside the hook that made the event */
	if (http_stream_queue(s->c, &iov, 1) < 0)
		s->c = NULL; /* closed (its gone callback ran) */
}

/* Whether S asked for the output of P. */
static bool sub_wants_log(const struct sub *s, const struct process *p)
{
	const char *n = s->logs;
	for (size_t i = 0; i < s->nlogs; i++, n += strlen(n) + 1)
		if (strcmp(n, p->prog->cfg->name) == 0 || strcmp(n, p->name) == 0 ||
		    strcmp(n, program_group_name(p->prog)) == 0)
			return true;
	return false;
}

/* ---- events ---- */

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)(ts.tv_nsec / 1000000) / 1e3;
}

static uint64_t new_id(void)
{
	if (!E.next_id) {
		/* ids grow across runs: a client of the last run is told it lost some */
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		E.next_id = (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
	}
	return E.next_id++;
}

/* "id: ID\nevent: TYPE\ndata: DATA\n\n" as a heap string (*LEN bytes), or
 * NULL; no id line when ID is 0. DATA is taken. */
static char *format(uint64_t id, const char *type, json_t *data, size_t *len)
{
	char *json = data ? json_dumps(data, STATUSJSON_DUMP) : NULL;
	json_decref(data);
	if (!json)
		return NULL;
	char *text = NULL;
	int n = id ? asprintf(&text, "id: %llu\nevent: %s\ndata: %s\n\n", (unsigned long long)id,
			      type, json)
		   : asprintf(&text, "event: %s\ndata: %s\n\n", type, json);
	free(json);
	if (n < 0)
		return NULL;
	*len = (size_t)n;
	return text;
}

/* An event with an id: kept in the ring and sent to every subscriber. */
static void publish(const char *type, json_t *data)
{
	uint64_t id = new_id();
	size_t len;
	if (data)
		json_object_set_new(data, "time", json_real(now_seconds()));
	char *text = format(id, type, data, &len);
	if (!text) {
		log_err("api: out of memory for an event");
		return;
	}
	struct kept *k;
	if (E.n == APIEVENTS_RING) { /* the oldest makes room */
		k = &E.ring[E.head];
		free(k->text);
		E.head = (E.head + 1) % APIEVENTS_RING;
	} else {
		k = &E.ring[(E.head + E.n) % APIEVENTS_RING];
		E.n++;
	}
	*k = (struct kept){ .id = id, .text = text, .len = len };
	E.publishing = true;
	for (struct sub *s = E.subs; s; s = s->next)
		sub_send(s, text, len);
	E.publishing = false;
	prune();
}

static void events_process_state(struct process *p, enum pstate before, enum pstate after,
				 const struct pinput *in, bool spawned)
{
	if (before == after)
		return;
	publish("state", json_pack("{s:o, s:o, s:s, s:s, s:I}",
				   "name", statusjson_string(p->name, strlen(p->name)),
				   "group", statusjson_string(p->prog->cfg->name,
							   strlen(p->prog->cfg->name)),
				   "from", program_state_name(before),
				   "to", program_state_name(after),
				   "pid", (json_int_t)p->pid));
}

static void events_process_health(struct process *p, bool healthy, int failures,
				  const char *reason)
{
	publish("health", json_pack("{s:o, s:o, s:b, s:i, s:o}",
				    "name", statusjson_string(p->name, strlen(p->name)),
				    "group", statusjson_string(p->prog->cfg->name,
							    strlen(p->prog->cfg->name)),
				    "healthy", healthy, "failures", failures,
				    "reason", statusjson_string(reason, strlen(reason))));
}

/* Output of P, to those who asked for it: not kept, no id. */
/* Where a log event's piece of IN (LEN bytes, more than LOG_PIECE) ends:
 * after its last newline within LOG_PIECE, else before a UTF-8 sequence
 * that LOG_PIECE would cut. */
static size_t piece_end(const char *in, size_t len)
{
	if (len <= LOG_PIECE)
		return len;
	const char *nl = memrchr(in, '\n', LOG_PIECE);
	if (nl)
		return (size_t)(nl - in) + 1;
	size_t end = LOG_PIECE;
	/* back over continuation bytes (10xxxxxx), at most a sequence's length */
	for (int k = 0; k < 3 && end > 1 && ((unsigned char)in[end] & 0xc0) == 0x80; k++)
		end--;
	return end;
}

/* Output of P, to those who asked for it: not kept, no id; in pieces of
 * at most LOG_PIECE bytes, so that an event stays well inside a
 * subscriber's buffer (escaped, a byte may take 6). */
static size_t events_output(struct process *p, int which, const char *in, size_t len,
			    const char **out)
{
	*out = in;
	bool wanted = false;
	for (struct sub *s = E.subs; s && !wanted; s = s->next)
		wanted = s->c && s->nlogs && sub_wants_log(s, p);
	if (!wanted)
		return len;
	E.publishing = true;
	for (size_t at = 0, n; at < len; at += n) {
		n = piece_end(in + at, len - at);
		size_t tlen;
		char *text = format(0, "log", json_pack("{s:o, s:s, s:o}",
							 "name", statusjson_string(p->name, strlen(p->name)),
							 "stream", which == LOG_STDERR ? "stderr" : "stdout",
							 "text", statusjson_string(in + at, n)), &tlen);
		if (!text) {
			log_err("api: out of memory for a log event");
			break;
		}
		for (struct sub *s = E.subs; s; s = s->next)
			if (s->c && s->nlogs && sub_wants_log(s, p))
				sub_send(s, text, tlen);
		free(text);
	}
	E.publishing = false;
	prune();
	return len;
}

/* ---- a new subscriber ---- */

/* LOGS ("web,grp:*") into S's names, each checked to name something. */
static bool take_logs(struct http_conn *c, struct sub *s, const char *logs)
{
	if (!(s->logs = strdup(logs))) {
		apijson_error(c, 500, "internal", "out of memory");
		return false;
	}
	size_t len = strlen(logs);
	for (char *n = s->logs, *end; n <= s->logs + len; n = end + 1) {
		end = n + strcspn(n, ",");
		*end = '\0';
		if (!*n) {
			apijson_error(c, 400, "bad_parameter", "logs: names separated by commas");
			return false;
		}
		if (++s->nlogs > LOGS_MAX) {
			apijson_error(c, 400, "bad_parameter", "logs: at most %d names", LOGS_MAX);
			return false;
		}
		char *words[] = { n };
		struct selection sel = { 0 };
		const char *bad;
		int r = supervisor_select(words, 1, &sel, &bad);
		selection_free(&sel);
		if (r < 0) {
			if (r == -ENOENT)
				apijson_error(c, 404, "no_such_program", "logs: no program or "
					      "process named %.200s", n);
			else
				apijson_error(c, 500, "internal", "%s", strerror(-r));
			return false;
		}
	}
	return true;
}

/* What S missed since LAST_ID. */
static void replay(struct sub *s, const char *last_id)
{
	char *end;
	errno = 0;
	unsigned long long last = strtoull(last_id, &end, 10);
	bool valid = *last_id && !*end && !errno;
	uint64_t oldest = E.n ? E.ring[E.head].id : E.next_id;
	uint64_t newest = E.n ? E.ring[(E.head + E.n - 1) % APIEVENTS_RING].id : 0;
	if (!valid || !E.n || last + 1 < oldest || last > newest) {
		size_t len;
		json_t *d = json_pack("{s:o, s:o, s:s}", "last_event_id",
				      statusjson_string(last_id, strlen(last_id)), "oldest_id",
				      E.n ? json_integer((json_int_t)oldest) : json_null(),
				      "message", "events after Last-Event-ID are no longer kept (or it "
				      "is not one of this corrald's): every event kept follows");
		char *text = format(0, "lost", d, &len);
		if (text) {
			sub_send(s, text, len);
			free(text);
		}
		last = 0;
	}
	for (size_t i = 0; i < E.n && s->c; i++) {
		const struct kept *k = &E.ring[(E.head + i) % APIEVENTS_RING];
		if (k->id > last)
			sub_send(s, k->text, k->len);
	}
}

void apievents_serve(struct http_conn *c, const char *last_id, const char *logs)
{
	struct sub *s = calloc(1, sizeof *s); /* freed when its stream is over (prune) */
	if (!s) {
		apijson_error(c, 500, "internal", "out of memory");
		return;
	}
	if (logs && !take_logs(c, s, logs)) {
		sub_free(s);
		return;
	}
	if (http_stream_begin(c, "text/event-stream", sub_gone, s) < 0) {
		sub_free(s);
		return;
	}
	s->c = c;
	s->next = E.subs;
	E.subs = s;
	E.nsubs++;
	/* a client that loses the connection tries again after a second */
	static const char hello[] = "retry: 1000\n: corrald's events\n\n";
	E.publishing = true; /* S stays, even if its connection closes under it */
	sub_send(s, hello, sizeof hello - 1);
	if (last_id && s->c)
		replay(s, last_id);
	E.publishing = false;
	prune();
}

/* ---- corrald's life ---- */

/* At exit: the server closed every connection (each stream's gone
 * callback ran), so nothing points at a subscriber any more. */
static void events_free_all(void)
{
	while (E.subs) {
		struct sub *s = E.subs;
		E.subs = s->next;
		sub_free(s);
	}
	E.nsubs = 0;
	for (size_t i = 0; i < E.n; i++)
		free(E.ring[(E.head + i) % APIEVENTS_RING].text);
	E.n = E.head = 0;
}

static const struct hooks apievents_hooks = {
	.on_free_all = events_free_all,
	.on_process_state = events_process_state,
	.on_process_health = events_process_health,
	.on_output = events_output,
};

int apievents_init(void)
{
	return hooks_subscribe(&apievents_hooks);
}
