#include "supervisor/eventproto.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const type_names[EV_NTYPES] = {
	[EV_PROCESS_STATE_STOPPED] = "PROCESS_STATE_STOPPED",
	[EV_PROCESS_STATE_EXITED] = "PROCESS_STATE_EXITED",
	[EV_PROCESS_STATE_STARTING] = "PROCESS_STATE_STARTING",
	[EV_PROCESS_STATE_STOPPING] = "PROCESS_STATE_STOPPING",
	[EV_PROCESS_STATE_BACKOFF] = "PROCESS_STATE_BACKOFF",
	[EV_PROCESS_STATE_FATAL] = "PROCESS_STATE_FATAL",
	[EV_PROCESS_STATE_RUNNING] = "PROCESS_STATE_RUNNING",
	[EV_PROCESS_STATE_UNKNOWN] = "PROCESS_STATE_UNKNOWN",
	[EV_PROCESS_COMMUNICATION_STDOUT] = "PROCESS_COMMUNICATION_STDOUT",
	[EV_PROCESS_COMMUNICATION_STDERR] = "PROCESS_COMMUNICATION_STDERR",
	[EV_PROCESS_LOG_STDOUT] = "PROCESS_LOG_STDOUT",
	[EV_PROCESS_LOG_STDERR] = "PROCESS_LOG_STDERR",
	[EV_REMOTE_COMMUNICATION] = "REMOTE_COMMUNICATION",
	[EV_SUPERVISOR_STATE_CHANGE_RUNNING] = "SUPERVISOR_STATE_CHANGE_RUNNING",
	[EV_SUPERVISOR_STATE_CHANGE_STOPPING] = "SUPERVISOR_STATE_CHANGE_STOPPING",
	[EV_TICK_5] = "TICK_5",
	[EV_TICK_60] = "TICK_60",
	[EV_TICK_3600] = "TICK_3600",
	[EV_PROCESS_GROUP_ADDED] = "PROCESS_GROUP_ADDED",
	[EV_PROCESS_GROUP_REMOVED] = "PROCESS_GROUP_REMOVED",
	[EV_PROCESS_OOM] = "PROCESS_OOM",
	[EV_PROCESS_HEALTH_HEALTHY] = "PROCESS_HEALTH_HEALTHY",
	[EV_PROCESS_HEALTH_UNHEALTHY] = "PROCESS_HEALTH_UNHEALTHY",
	[EV_PROCESS_SCHEDULE_TIMEOUT] = "PROCESS_SCHEDULE_TIMEOUT",
	[EV_PROCESS_SCHEDULE_SKIPPED] = "PROCESS_SCHEDULE_SKIPPED",
};

#define RANGE(a, b) ((EV_BIT(b) << 1) - EV_BIT(a))

/* supervisord's abstract types: each covers its subclasses. */
static const struct {
	const char *name;
	uint32_t mask;
} abstract[] = {
	{ "EVENT", RANGE(0, EV_NTYPES - 1) },
	{ "PROCESS_STATE", RANGE(EV_PROCESS_STATE_STOPPED, EV_PROCESS_STATE_UNKNOWN) },
	{ "PROCESS_COMMUNICATION",
	  RANGE(EV_PROCESS_COMMUNICATION_STDOUT, EV_PROCESS_COMMUNICATION_STDERR) },
	{ "PROCESS_LOG", RANGE(EV_PROCESS_LOG_STDOUT, EV_PROCESS_LOG_STDERR) },
	{ "SUPERVISOR_STATE_CHANGE",
	  RANGE(EV_SUPERVISOR_STATE_CHANGE_RUNNING, EV_SUPERVISOR_STATE_CHANGE_STOPPING) },
	{ "TICK", RANGE(EV_TICK_5, EV_TICK_3600) },
	{ "PROCESS_GROUP", RANGE(EV_PROCESS_GROUP_ADDED, EV_PROCESS_GROUP_REMOVED) },
	{ "PROCESS_HEALTH", RANGE(EV_PROCESS_HEALTH_HEALTHY, EV_PROCESS_HEALTH_UNHEALTHY) },
	{ "PROCESS_SCHEDULE", RANGE(EV_PROCESS_SCHEDULE_TIMEOUT, EV_PROCESS_SCHEDULE_SKIPPED) },
};

const char *eventproto_type_name(enum event_type t)
{
	return (unsigned)t < EV_NTYPES ? type_names[t] : "?";
}

uint32_t eventproto_subscription(const char *name)
{
	for (int t = 0; t < EV_NTYPES; t++)
		if (strcasecmp(name, type_names[t]) == 0)
			return EV_BIT(t);
	for (size_t i = 0; i < sizeof abstract / sizeof abstract[0]; i++)
		if (strcasecmp(name, abstract[i].name) == 0)
			return abstract[i].mask;
	return 0;
}

int eventproto_parse_events(const char *value, uint32_t *mask, char *bad, size_t badlen)
{
	uint32_t m = 0;
	const char *s = value;
	bool any = false;
	while (*s) {
		size_t n = strcspn(s, ",");
		const char *a = s, *e = s + n;
		while (a < e && (*a == ' ' || *a == '\t'))
			a++;
		while (e > a && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (e > a) {
			char name[64];
			size_t k = (size_t)(e - a);
			uint32_t sub = 0;
			if (k < sizeof name) {
				memcpy(name, a, k);
				name[k] = '\0';
				sub = eventproto_subscription(name);
			}
			if (!sub) {
				snprintf(bad, badlen, "%.*s", (int)k, a);
				return -EINVAL;
			}
			m |= sub;
			any = true;
		}
		s += n;
		if (*s == ',')
			s++;
	}
	if (!any)
		return -ENODATA;
	*mask = m;
	return 0;
}

int eventproto_header(char *buf, size_t len, uint64_t serial, const char *pool,
		      uint64_t poolserial, enum event_type t, size_t payload_len)
{
	int n = snprintf(buf, len,
			 "ver:3.0 server:supervisor serial:%" PRIu64 " pool:%s poolserial:%" PRIu64
			 " eventname:%s len:%zu\n",
			 serial, pool, poolserial, eventproto_type_name(t), payload_len);
	return n < 0 || (size_t)n >= len ? -1 : n;
}

int eventproto_process_state(char *buf, size_t len, enum event_type t, const char *processname,
			     const char *groupname, const char *from_state, int tries, long pid,
			     bool expected)
{
	int n = snprintf(buf, len, "processname:%s groupname:%s from_state:%s", processname,
			 groupname, from_state);
	if (n < 0 || (size_t)n >= len)
		return -1;
	int m = 0;
	switch (t) {
	case EV_PROCESS_STATE_STARTING:
	case EV_PROCESS_STATE_BACKOFF:
		m = snprintf(buf + n, len - (size_t)n, " tries:%d", tries);
		break;
	case EV_PROCESS_STATE_EXITED:
		m = snprintf(buf + n, len - (size_t)n, " expected:%d pid:%ld", expected ? 1 : 0, pid);
		break;
	case EV_PROCESS_STATE_RUNNING:
	case EV_PROCESS_STATE_STOPPING:
	case EV_PROCESS_STATE_STOPPED:
		m = snprintf(buf + n, len - (size_t)n, " pid:%ld", pid);
		break;
	default:
		break;
	}
	if (m < 0 || (size_t)(n + m) >= len)
		return -1;
	return n + m;
}

const char *eventproto_listener_state_name(enum listener_state s)
{
	switch (s) {
	case LISTENER_ACKNOWLEDGED:
		return "ACKNOWLEDGED";
	case LISTENER_READY:
		return "READY";
	case LISTENER_BUSY:
		return "BUSY";
	case LISTENER_UNKNOWN:
		return "UNKNOWN";
	}
	return "?";
}

/* ---- the listener's side ---- */

#define READY_TOKEN "READY\n"
#define RESULT_TOKEN "RESULT "
/* supervisord takes results of any length; corrald only needs to tell OK,
 * but a length past this is surely no listener speaking the protocol. */
#define RESULT_MAX (UINT64_C(1) << 32)

void eventproto_parser_init(struct eventproto_parser *p)
{
	memset(p, 0, sizeof *p);
	p->state = LISTENER_ACKNOWLEDGED;
}

void eventproto_sent(struct eventproto_parser *p)
{
	p->state = LISTENER_BUSY;
	p->linelen = 0;
	p->in_result = false;
	p->resultlen = 0;
}

/* WHY and the offending bytes, printable, into WHAT; the listener is UNKNOWN. */
static enum eventproto_outcome garbage(struct eventproto_parser *p, char *what, size_t whatlen,
				       const char *why, const char *text, size_t n)
{
	char shown[64];
	size_t k = 0;
	for (size_t i = 0; i < n && k + 5 < sizeof shown; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c >= 0x20 && c < 0x7f && c != '\\')
			shown[k++] = (char)c;
		else
			k += (size_t)snprintf(shown + k, sizeof shown - k, "\\x%02x", c);
	}
	shown[k] = '\0';
	snprintf(what, whatlen, "%s: '%s'", why, shown);
	p->state = LISTENER_UNKNOWN;
	p->linelen = 0;
	p->in_result = false;
	return EVP_GARBAGE;
}

/* "RESULT n": n, or -1. */
static int64_t result_length(const char *line, size_t n)
{
	size_t k = sizeof RESULT_TOKEN - 1;
	if (n <= k || memcmp(line, RESULT_TOKEN, k) != 0)
		return -1;
	uint64_t v = 0;
	size_t i = k;
	while (i < n && line[i] == ' ')
		i++;
	size_t digits = i;
	for (; i < n && line[i] >= '0' && line[i] <= '9'; i++) {
		v = v * 10 + (uint64_t)(line[i] - '0');
		if (v > RESULT_MAX)
			return -1;
	}
	if (i == digits)
		return -1;
	while (i < n && (line[i] == ' ' || line[i] == '\r'))
		i++;
	return i == n ? (int64_t)v : -1;
}

enum eventproto_outcome eventproto_feed(struct eventproto_parser *p, const char *data,
					size_t len, size_t *used, char *what, size_t whatlen)
{
	size_t i = 0;
	enum eventproto_outcome out = EVP_NONE;
	while (i < len && out == EVP_NONE) {
		switch (p->state) {
		case LISTENER_UNKNOWN:
			i = len; /* nothing it says counts any more */
			break;
		case LISTENER_READY:
			/* it has said it waits: anything more breaks the protocol */
			out = garbage(p, what, whatlen, "unexpected output while READY",
				      data + i, len - i);
			i = len;
			break;
		case LISTENER_ACKNOWLEDGED: {
			size_t want = sizeof READY_TOKEN - 1 - p->linelen;
			size_t k = len - i < want ? len - i : want;
			memcpy(p->line + p->linelen, data + i, k);
			p->linelen += k;
			i += k;
			if (memcmp(p->line, READY_TOKEN, p->linelen) != 0) {
				/* what it said instead: what came before, and this read */
				char said[EVENTPROTO_LINE_MAX];
				size_t m = p->linelen - k, r = len - (i - k);
				if (r > sizeof said - m)
					r = sizeof said - m;
				memcpy(said, p->line, m);
				memcpy(said + m, data + i - k, r);
				out = garbage(p, what, whatlen, "expected READY", said, m + r);
				i = len;
			} else if (p->linelen == sizeof READY_TOKEN - 1) {
				p->linelen = 0;
				p->state = LISTENER_READY;
				out = EVP_READY;
			}
			break;
		}
		case LISTENER_BUSY:
			if (p->in_result) {
				size_t k = len - i < p->need ? len - i : (size_t)p->need;
				for (size_t j = 0; j < k; j++, p->resultlen++)
					if (p->resultlen < sizeof p->result)
						p->result[p->resultlen] = data[i + j];
				p->need -= k;
				i += k;
				if (p->need == 0) {
					bool ok = p->resultlen == 2 && memcmp(p->result, "OK", 2) == 0;
					p->in_result = false;
					p->state = LISTENER_ACKNOWLEDGED;
					out = ok ? EVP_OK : EVP_REJECTED;
				}
				break;
			}
			const char *nl = memchr(data + i, '\n', len - i);
			size_t k = nl ? (size_t)(nl - (data + i)) : len - i;
			if (p->linelen + k >= sizeof p->line) {
				out = garbage(p, what, whatlen, "bad result line", p->line,
					      p->linelen);
				i = len;
				break;
			}
			memcpy(p->line + p->linelen, data + i, k);
			p->linelen += k;
			i += k;
			if (!nl)
				break;
			i++; /* the newline */
			int64_t n = result_length(p->line, p->linelen);
			if (n < 0) {
				out = garbage(p, what, whatlen, "bad result line", p->line,
					      p->linelen);
				i = len;
				break;
			}
			p->linelen = 0;
			p->in_result = true;
			p->need = (uint64_t)n;
			p->resultlen = 0;
			if (n == 0) { /* an empty result: not OK */
				p->in_result = false;
				p->state = LISTENER_ACKNOWLEDGED;
				out = EVP_REJECTED;
			}
			break;
		}
	}
	*used = i;
	return out;
}

/* ---- events and buffers ---- */

struct evmsg *evmsg_new(enum event_type t, uint64_t serial, const char *payload, size_t len)
{
	struct evmsg *m = malloc(sizeof *m + len + 1);
	if (!m)
		return NULL;
	m->refs = 1;
	m->type = t;
	m->serial = serial;
	m->len = len;
	if (len)
		memcpy(m->payload, payload, len);
	m->payload[len] = '\0';
	return m;
}

void evmsg_put(struct evmsg *m)
{
	if (m && --m->refs == 0)
		free(m);
}

int evbuf_init(struct evbuf *b, size_t cap)
{
	if (cap < 1)
		cap = 1;
	b->v = calloc(cap, sizeof *b->v);
	if (!b->v)
		return -ENOMEM;
	b->cap = cap;
	b->head = b->n = 0;
	return 0;
}

void evbuf_free(struct evbuf *b)
{
	struct evbuf_item it;
	while (b->v && evbuf_pop(b, &it))
		evmsg_put(it.msg);
	free(b->v);
	b->v = NULL;
	b->cap = 0;
}

bool evbuf_pop(struct evbuf *b, struct evbuf_item *out)
{
	if (!b->n)
		return false;
	*out = b->v[b->head];
	b->head = (b->head + 1) % b->cap;
	b->n--;
	return true;
}

bool evbuf_push(struct evbuf *b, struct evbuf_item it, bool front, struct evbuf_item *dropped)
{
	bool drop = b->n >= b->cap && evbuf_pop(b, dropped);
	if (front) {
		b->head = (b->head + b->cap - 1) % b->cap;
		b->v[b->head] = it;
	} else {
		b->v[(b->head + b->n) % b->cap] = it;
	}
	b->n++;
	return drop;
}
