/* Unit tests for supervisor/eventproto.c: subscriptions, the envelope and
 * payloads, the parser of what a listener says, and a pool's buffer. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "supervisor/eventproto.h"

static void test_subscriptions(void **state)
{
	(void)state;
	uint32_t all = eventproto_subscription("EVENT");
	for (int t = 0; t < EV_NTYPES; t++)
		assert_true(all & EV_BIT(t));
	uint32_t ps = eventproto_subscription("PROCESS_STATE");
	assert_true(ps & EV_BIT(EV_PROCESS_STATE_EXITED));
	assert_true(ps & EV_BIT(EV_PROCESS_STATE_UNKNOWN));
	assert_false(ps & EV_BIT(EV_PROCESS_LOG_STDOUT));
	assert_false(ps & EV_BIT(EV_TICK_5));
	/* a concrete type is only itself */
	assert_int_equal(eventproto_subscription("PROCESS_STATE_EXITED"),
			 EV_BIT(EV_PROCESS_STATE_EXITED));
	assert_int_equal(eventproto_subscription("tick_60"), EV_BIT(EV_TICK_60));
	assert_int_equal(eventproto_subscription("TICK"),
			 EV_BIT(EV_TICK_5) | EV_BIT(EV_TICK_60) | EV_BIT(EV_TICK_3600));
	assert_int_equal(eventproto_subscription("PROCESS_LOG"),
			 EV_BIT(EV_PROCESS_LOG_STDOUT) | EV_BIT(EV_PROCESS_LOG_STDERR));
	assert_int_equal(eventproto_subscription("PROCESS_COMMUNICATION"),
			 EV_BIT(EV_PROCESS_COMMUNICATION_STDOUT) |
				 EV_BIT(EV_PROCESS_COMMUNICATION_STDERR));
	assert_int_equal(eventproto_subscription("SUPERVISOR_STATE_CHANGE"),
			 EV_BIT(EV_SUPERVISOR_STATE_CHANGE_RUNNING) |
				 EV_BIT(EV_SUPERVISOR_STATE_CHANGE_STOPPING));
	assert_int_equal(eventproto_subscription("PROCESS_GROUP"),
			 EV_BIT(EV_PROCESS_GROUP_ADDED) | EV_BIT(EV_PROCESS_GROUP_REMOVED));
	assert_int_equal(eventproto_subscription("REMOTE_COMMUNICATION"),
			 EV_BIT(EV_REMOTE_COMMUNICATION));
	assert_int_equal(eventproto_subscription("PROCESS_STATES"), 0);
	assert_int_equal(eventproto_subscription("TICK_10"), 0);

	uint32_t m = 0;
	char bad[64] = "";
	assert_int_equal(eventproto_parse_events(" PROCESS_STATE_EXITED , tick_5,", &m, bad,
						 sizeof bad), 0);
	assert_int_equal(m, EV_BIT(EV_PROCESS_STATE_EXITED) | EV_BIT(EV_TICK_5));
	assert_int_equal(eventproto_parse_events("TICK_5,NOPE", &m, bad, sizeof bad), -EINVAL);
	assert_string_equal(bad, "NOPE");
	assert_int_equal(eventproto_parse_events(" , ", &m, bad, sizeof bad), -ENODATA);
}

static void test_header_and_payloads(void **state)
{
	(void)state;
	char buf[512];
	int n = eventproto_header(buf, sizeof buf, 12, "listener", 3, EV_PROCESS_STATE_EXITED, 77);
	assert_string_equal(buf, "ver:3.0 server:supervisor serial:12 pool:listener poolserial:3 "
				 "eventname:PROCESS_STATE_EXITED len:77\n");
	assert_int_equal(n, (int)strlen(buf));
	assert_int_equal(eventproto_header(buf, 20, 1, "p", 1, EV_TICK_5, 1), -1);

	n = eventproto_process_state(buf, sizeof buf, EV_PROCESS_STATE_EXITED, "cat", "cats",
				     "RUNNING", 0, 1234, false);
	assert_string_equal(buf, "processname:cat groupname:cats from_state:RUNNING expected:0 "
				 "pid:1234");
	assert_int_equal(n, (int)strlen(buf));
	/* the extra values supervisord gives each type */
	static const struct {
		enum event_type t;
		const char *from;
		int tries;
		long pid;
		const char *want;
	} cases[] = {
		{ EV_PROCESS_STATE_STARTING, "BACKOFF", 2, 0, "from_state:BACKOFF tries:2" },
		{ EV_PROCESS_STATE_BACKOFF, "STARTING", 1, 0, "from_state:STARTING tries:1" },
		{ EV_PROCESS_STATE_RUNNING, "STARTING", 0, 42, "from_state:STARTING pid:42" },
		{ EV_PROCESS_STATE_STOPPING, "RUNNING", 0, 42, "from_state:RUNNING pid:42" },
		{ EV_PROCESS_STATE_STOPPED, "STOPPING", 0, 42, "from_state:STOPPING pid:42" },
		{ EV_PROCESS_STATE_FATAL, "BACKOFF", 4, 0, "from_state:BACKOFF" },
		{ EV_PROCESS_STATE_UNKNOWN, "RUNNING", 0, 9, "from_state:RUNNING" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char want[128];
		snprintf(want, sizeof want, "processname:a groupname:g %s", cases[i].want);
		eventproto_process_state(buf, sizeof buf, cases[i].t, "a", "g", cases[i].from,
					 cases[i].tries, cases[i].pid, true);
		assert_string_equal(buf, want);
	}
	assert_int_equal(eventproto_process_state(buf, 30, EV_PROCESS_STATE_FATAL, "a", "g",
						  "BACKOFF", 0, 0, true), -1);
}

/* Feed TEXT in pieces of STEP bytes; the outcomes, as letters, into OUT. */
static void feed(struct eventproto_parser *p, const char *text, size_t step, char *out)
{
	static const char letters[] = { [EVP_NONE] = '-', [EVP_READY] = 'R', [EVP_OK] = 'O',
					[EVP_REJECTED] = 'F', [EVP_GARBAGE] = 'G' };
	size_t len = strlen(text), k = 0;
	char what[160];
	for (size_t at = 0; at < len; at += step) {
		size_t n = len - at < step ? len - at : step, off = 0;
		while (off < n) {
			size_t used;
			enum eventproto_outcome o =
				eventproto_feed(p, text + at + off, n - off, &used, what, sizeof what);
			assert_true(used <= n - off);
			off += used;
			if (o == EVP_NONE) {
				assert_int_equal(off, n);
				break;
			}
			out[k++] = letters[o];
			/* an event goes to a READY listener at once */
			if (o == EVP_READY)
				eventproto_sent(p);
		}
	}
	out[k] = '\0';
}

static void test_parser_whole_and_partial(void **state)
{
	(void)state;
	const char *talk = "READY\nRESULT 2\nOKREADY\nRESULT 4\nFAILREADY\nRESULT 2\nOK";
	for (size_t step = 1; step <= strlen(talk); step++) {
		struct eventproto_parser p;
		char out[32];
		eventproto_parser_init(&p);
		assert_int_equal(p.state, LISTENER_ACKNOWLEDGED);
		feed(&p, talk, step, out);
		assert_string_equal(out, "RORFRO");
		assert_int_equal(p.state, LISTENER_ACKNOWLEDGED);
	}
	/* a result of any other bytes, or none, rejects the event */
	struct eventproto_parser p;
	char out[32];
	eventproto_parser_init(&p);
	feed(&p, "READY\nRESULT 3\nOK!READY\nRESULT 0\n", 5, out);
	assert_string_equal(out, "RFRF");
	/* a long result is counted, not kept */
	eventproto_parser_init(&p);
	feed(&p, "READY\nRESULT 100\n", 100, out);
	char big[101];
	memset(big, 'x', 100);
	big[100] = '\0';
	feed(&p, big, 7, out);
	assert_string_equal(out, "F");
}

static void test_parser_garbage(void **state)
{
	(void)state;
	struct eventproto_parser p;
	char out[32], what[160];
	size_t used;

	eventproto_parser_init(&p);
	feed(&p, "HELLO\n", 6, out);
	assert_string_equal(out, "G");
	assert_int_equal(p.state, LISTENER_UNKNOWN);
	/* UNKNOWN takes everything and says nothing more */
	assert_int_equal(eventproto_feed(&p, "READY\n", 6, &used, what, sizeof what), EVP_NONE);
	assert_int_equal(used, 6);

	/* output while READY breaks the protocol */
	eventproto_parser_init(&p);
	assert_int_equal(eventproto_feed(&p, "READY\n", 6, &used, what, sizeof what), EVP_READY);
	assert_int_equal(eventproto_feed(&p, "x", 1, &used, what, sizeof what), EVP_GARBAGE);
	assert_non_null(strstr(what, "READY"));

	/* a bad result line, and one that never ends */
	const char *bad[] = { "RESULT x\n", "RESULT\n", "RESULT -1\n", "OK\n", "RESULT 2 3\n" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		eventproto_parser_init(&p);
		assert_int_equal(eventproto_feed(&p, "READY\n", 6, &used, what, sizeof what),
				 EVP_READY);
		eventproto_sent(&p);
		assert_int_equal(eventproto_feed(&p, bad[i], strlen(bad[i]), &used, what, sizeof what),
				 EVP_GARBAGE);
		assert_non_null(strstr(what, "bad result line"));
	}
	eventproto_parser_init(&p);
	eventproto_parser_init(&p);
	p.state = LISTENER_BUSY;
	char line[EVENTPROTO_LINE_MAX + 10];
	memset(line, 'R', sizeof line);
	assert_int_equal(eventproto_feed(&p, line, sizeof line, &used, what, sizeof what),
			 EVP_GARBAGE);
	/* a control byte is shown escaped */
	eventproto_parser_init(&p);
	assert_int_equal(eventproto_feed(&p, "\x01", 1, &used, what, sizeof what), EVP_GARBAGE);
	assert_non_null(strstr(what, "\\x01"));
}

static struct evbuf_item item(uint64_t serial)
{
	struct evmsg *m = evmsg_new(EV_TICK_5, serial, "when:5", 6);
	assert_non_null(m);
	return (struct evbuf_item){ .msg = m, .poolserial = serial };
}

static void test_buffer_drops_oldest(void **state)
{
	(void)state;
	struct evbuf b;
	struct evbuf_item it, dropped;
	assert_int_equal(evbuf_init(&b, 3), 0);
	for (uint64_t s = 0; s < 3; s++)
		assert_false(evbuf_push(&b, item(s), false, &dropped));
	/* full: the oldest goes */
	assert_true(evbuf_push(&b, item(3), false, &dropped));
	assert_int_equal(dropped.msg->serial, 0);
	evmsg_put(dropped.msg);
	/* a rejected event goes back to the front; the oldest still goes first */
	assert_true(evbuf_push(&b, item(9), true, &dropped));
	assert_int_equal(dropped.msg->serial, 1);
	evmsg_put(dropped.msg);
	uint64_t want[] = { 9, 2, 3 };
	for (int i = 0; i < 3; i++) {
		assert_true(evbuf_pop(&b, &it));
		assert_int_equal(it.msg->serial, want[i]);
		assert_string_equal(it.msg->payload, "when:5");
		evmsg_put(it.msg);
	}
	assert_false(evbuf_pop(&b, &it));
	/* wrapping around the ring many times keeps the order */
	for (uint64_t s = 0; s < 100; s++) {
		bool d = evbuf_push(&b, item(s), false, &dropped);
		assert_int_equal(d, s >= 3);
		if (d) {
			assert_int_equal(dropped.msg->serial, s - 3);
			evmsg_put(dropped.msg);
		}
	}
	/* freed with what is left in it (ASan checks the references) */
	evbuf_free(&b);

	/* buffer_size 0 would still hold one, as supervisord's does */
	assert_int_equal(evbuf_init(&b, 0), 0);
	assert_int_equal(b.cap, 1);
	struct evbuf_item shared = item(7);
	shared.msg->refs++; /* in two places */
	assert_false(evbuf_push(&b, shared, false, &dropped));
	evbuf_free(&b);
	assert_int_equal(shared.msg->refs, 1);
	evmsg_put(shared.msg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_subscriptions),
		cmocka_unit_test(test_header_and_payloads),
		cmocka_unit_test(test_parser_whole_and_partial),
		cmocka_unit_test(test_parser_garbage),
		cmocka_unit_test(test_buffer_drops_oldest),
	};
	return cmocka_run_group_tests_name("events", tests, NULL, NULL);
}
