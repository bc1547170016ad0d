/* eventproto — supervisord's event listener protocol, as pure functions:
 * the event types and what a subscription name covers, the envelope and
 * the payloads corrald writes, the parser of what a listener answers, and
 * a pool's bounded buffer of events. No I/O and no event loop here
 * (events.c does those), so that it links alone into its unit test.
 *
 * The protocol (supervisord 4.2's, version 3.0): a listener starts
 * ACKNOWLEDGED and writes "READY\n" to its stdout (READY); corrald writes
 * one event to its stdin, a header line
 *   ver:3.0 server:supervisor serial:N pool:NAME poolserial:N eventname:TYPE len:N\n
 * and LEN bytes of payload (BUSY); the listener answers "RESULT n\n" and n
 * bytes: "OK" (ACKNOWLEDGED again) or anything else (the event is rejected
 * and delivered again). Anything else it writes puts it in UNKNOWN: it gets
 * no more events until it is started again. */
#ifndef CORRAL_EVENTPROTO_H
#define CORRAL_EVENTPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The concrete event types; a subscription is a bit mask of them. */
enum event_type {
	EV_PROCESS_STATE_STOPPED,
	EV_PROCESS_STATE_EXITED,
	EV_PROCESS_STATE_STARTING,
	EV_PROCESS_STATE_STOPPING,
	EV_PROCESS_STATE_BACKOFF,
	EV_PROCESS_STATE_FATAL,
	EV_PROCESS_STATE_RUNNING,
	EV_PROCESS_STATE_UNKNOWN,
	EV_PROCESS_COMMUNICATION_STDOUT,
	EV_PROCESS_COMMUNICATION_STDERR,
	EV_PROCESS_LOG_STDOUT,
	EV_PROCESS_LOG_STDERR,
	EV_REMOTE_COMMUNICATION,
	EV_SUPERVISOR_STATE_CHANGE_RUNNING,
	EV_SUPERVISOR_STATE_CHANGE_STOPPING,
	EV_TICK_5,
	EV_TICK_60,
	EV_TICK_3600,
	EV_PROCESS_GROUP_ADDED,
	EV_PROCESS_GROUP_REMOVED,
	EV_PROCESS_OOM,         /* corral's own: the OOM killer killed in a process's tree */
	EV_PROCESS_HEALTH_HEALTHY,   /* corral's own: its health check passes again (health.h) */
	EV_PROCESS_HEALTH_UNHEALTHY, /* ... failed health_retries times in a row */
	EV_PROCESS_SCHEDULE_TIMEOUT, /* corral's own: a scheduled run over schedule_timeout */
	EV_PROCESS_SCHEDULE_SKIPPED, /* corral's own: a trigger skipped, the last run still going */
	EV_NTYPES
};

#define EV_BIT(t) (UINT32_C(1) << (t))

/* "PROCESS_STATE_EXITED" for EV_PROCESS_STATE_EXITED. */
const char *eventproto_type_name(enum event_type t);

/* The types a subscription NAME covers (case-insensitive, as supervisord
 * upper-cases it): a concrete type, or an abstract one such as EVENT,
 * PROCESS_STATE or TICK with all of its subtypes. 0: no such type. */
uint32_t eventproto_subscription(const char *name);

/* Parse supervisord's events = value (comma-separated names, spaces
 * around them ignored) into *MASK. 0; -EINVAL with the unknown name in
 * BAD; -ENODATA when there is no name at all. */
int eventproto_parse_events(const char *value, uint32_t *mask, char *bad, size_t badlen);

/* The envelope's header line for an event, into BUF. Its length, or -1
 * when it does not fit. */
int eventproto_header(char *buf, size_t len, uint64_t serial, const char *pool,
		      uint64_t poolserial, enum event_type t, size_t payload_len);

/* PROCESS_STATE_* payloads, with the extra values supervisord gives each
 * type: tries for STARTING and BACKOFF, expected and pid for EXITED, pid
 * for RUNNING, STOPPING and STOPPED. Its length, or -1 when it does not fit. */
int eventproto_process_state(char *buf, size_t len, enum event_type t, const char *processname,
			     const char *groupname, const char *from_state, int tries, long pid,
			     bool expected);

/* A listener's state, supervisord's names. */
enum listener_state { LISTENER_ACKNOWLEDGED, LISTENER_READY, LISTENER_BUSY, LISTENER_UNKNOWN };
const char *eventproto_listener_state_name(enum listener_state s);

/* A RESULT line longer than this without its newline is garbage. */
#define EVENTPROTO_LINE_MAX 128

/* What a listener said, from its stdout. */
struct eventproto_parser {
	enum listener_state state;
	char line[EVENTPROTO_LINE_MAX]; /* a READY token or RESULT line not yet whole */
	size_t linelen;
	bool in_result;      /* reading the n bytes of a result */
	uint64_t need;       /* bytes of the result still to come */
	char result[8];      /* its first bytes, enough to tell OK */
	size_t resultlen;    /* bytes of the result seen */
};

enum eventproto_outcome {
	EVP_NONE,       /* nothing new: all was taken */
	EVP_READY,      /* ACKNOWLEDGED -> READY */
	EVP_OK,         /* BUSY -> ACKNOWLEDGED: the event was handled */
	EVP_REJECTED,   /* BUSY -> ACKNOWLEDGED: the result was not OK; deliver it again */
	EVP_GARBAGE,    /* -> UNKNOWN: a protocol violation (an event in flight goes back) */
};

void eventproto_parser_init(struct eventproto_parser *p);
/* An event was written to it: READY -> BUSY. */
void eventproto_sent(struct eventproto_parser *p);
/* Take bytes from DATA (LEN of them) until something happens: returns it
 * and sets *USED to the bytes taken; call again with the rest. EVP_NONE
 * when everything was taken without an outcome. For EVP_GARBAGE, WHAT
 * says what was wrong (for the log). */
enum eventproto_outcome eventproto_feed(struct eventproto_parser *p, const char *data,
					size_t len, size_t *used, char *what, size_t whatlen);

/* An event as it is sent: shared by the buffers of every pool that
 * subscribes to it (counted references), freed with the last. */
struct evmsg {
	int refs;
	enum event_type type;
	uint64_t serial;      /* supervisord's global serial */
	size_t len;
	char payload[];
};

/* A new event holding a copy of PAYLOAD, one reference; NULL when out of memory. */
struct evmsg *evmsg_new(enum event_type t, uint64_t serial, const char *payload, size_t len);
void evmsg_put(struct evmsg *m);

/* A pool's buffer: at most CAP events (at least 1), oldest first, each
 * with the serial the pool gave it. */
struct evbuf_item {
	struct evmsg *msg;
	uint64_t poolserial;
};
struct evbuf {
	struct evbuf_item *v; /* ring of cap; owned */
	size_t cap, head, n;
};

/* 0 or -ENOMEM. */
int evbuf_init(struct evbuf *b, size_t cap);
/* Free the ring and drop every event's reference. */
void evbuf_free(struct evbuf *b);
/* Add IT at the end (or, for an event delivered again, at the front),
 * taking its reference. When the buffer is full the oldest is dropped
 * first, as supervisord does even for one put back at the front: true
 * then, with it in *DROPPED (its reference is the caller's). */
bool evbuf_push(struct evbuf *b, struct evbuf_item it, bool front, struct evbuf_item *dropped);
/* Take the oldest (its reference now the caller's). False when empty. */
bool evbuf_pop(struct evbuf *b, struct evbuf_item *out);

#endif
