/* Unit tests for supervisor/events.c: a listener pool driven through real
 * pipes, with the event loop faked (the loop_* functions below), so
 * that what the XML-RPC server calls (events_remote_comm(),
 * supervisor_send_stdin()), re-delivery and capture mode are tested
 * without a daemon. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <cmocka.h>

#include "supervisor/eventproto.h"
#include "supervisor/events.h"
#include "supervisor/log.h"
#include "supervisor/supervisor.h"

/* ---- the loop, faked ---- */

#define MAX_FDS 1024
static struct watch *watched[MAX_FDS];
static char logged[8192];
static struct program *programs;

int loop_watch(int fd, uint32_t events, struct watch *w)
{
	assert_true(fd >= 0 && fd < MAX_FDS);
	watched[fd] = w;
	w->fd = fd;
	w->events = events;
	return 0;
}

void loop_unwatch(struct watch *w)
{
	if (w->fd >= 0 && w->fd < MAX_FDS)
		watched[w->fd] = NULL;
	w->fd = -1;
}

int loop_timer_set(struct deadline *d, int64_t when)
{
	d->node.when = when;
	d->node.index = 0; /* queued */
	return 0;
}

void loop_timer_cancel(struct deadline *d)
{
	heap_node_init(&d->node);
}

int64_t loop_now_ms(void)
{
	return 1000;
}

/* A listener's answer lets a stop held at shutdown go (hooks.h): counted. */
static int rechecks;
void supervisor_shutdown_recheck(void)
{
	rechecks++;
}

struct program *supervisor_programs(void)
{
	return programs;
}

const char *program_group_name(const struct program *prog)
{
	return prog->cfg->group ? prog->cfg->group : prog->cfg->name;
}

const char *supervisor_process_name(const struct process *p)
{
	const char *colon = strchr(p->name, ':');
	return colon ? colon + 1 : p->name;
}

/* below debug: echo.c repeats no output here */
enum log_level log_threshold = LOG_INFO;

void log_msg(enum log_level level, const char *fmt, ...)
{
	size_t n = strlen(logged);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(logged + n, sizeof logged - n, fmt, ap);
	va_end(ap);
	n = strlen(logged);
	if (n + 1 < sizeof logged)
		strcpy(logged + n, "\n");
}

/* ---- a program with one process ---- */

struct fixture {
	struct program_config cfg;
	struct program prog;
	struct process proc;
	struct process *procs[1]; /* the program's array of its processes */
	int in, out; /* the listener's ends: its stdin to read, its stdout to write */
};

static void fixture_init(struct fixture *f, const char *name, bool listener, uint32_t mask)
{
	memset(f, 0, sizeof *f);
	f->cfg.name = (char *)name;
	f->cfg.numprocs = 1;
	f->cfg.is_listener = listener;
	f->cfg.listener_events = mask;
	f->cfg.buffer_size = 3;
	f->cfg.stdin_pipe = true;
	f->prog.cfg = &f->cfg;
	f->procs[0] = &f->proc;
	f->prog.procs = f->procs;
	f->prog.nprocs = 1;
	f->proc.prog = &f->prog;
	f->proc.name = (char *)name;
	f->proc.fsm.state = PSTATE_STOPPED;
	f->in = f->out = -1;
	f->prog.next = programs;
	programs = &f->prog;
	assert_int_equal(events_program_new(&f->prog), 0);
}

/* Spawned and RUNNING, its ends kept by the test. */
static void fixture_run(struct fixture *f, pid_t pid)
{
	int child[2];
	char err[128];
	assert_int_equal(events_spawn_prepare(&f->proc, true, child, err, sizeof err), 0);
	assert_true(child[0] >= 0);
	f->in = dup(child[0]);
	f->out = child[1] >= 0 ? dup(child[1]) : -1;
	assert_true(f->in >= 0);
	assert_int_equal(fcntl(f->in, F_SETFL, O_NONBLOCK), 0);
	events_spawn_done(&f->proc, true);
	f->proc.pid = pid;
	f->proc.fsm.state = PSTATE_RUNNING;
	struct pinput in = { .event = PEV_TIMER };
	events_process_state(&f->proc, PSTATE_STARTING, PSTATE_RUNNING, &in, false);
}

static void fixture_free(struct fixture *f)
{
	events_program_free(&f->prog);
	for (struct program **pp = &programs; *pp; pp = &(*pp)->next)
		if (*pp == &f->prog) {
			*pp = f->prog.next;
			break;
		}
	if (f->in >= 0)
		close(f->in);
	if (f->out >= 0)
		close(f->out);
}

/* The listener says TEXT; corrald reads it. */
static void say(struct fixture *f, const char *text)
{
	assert_int_equal(write(f->out, text, strlen(text)), (ssize_t)strlen(text));
	/* every watch of events.c is woken: only this stdout has data */
	for (int k = 0; k < MAX_FDS; k++)
		if (watched[k])
			watched[k]->fn(watched[k], EPOLLIN);
}

/* What corrald wrote to the listener's stdin, as a string (empty: nothing). */
static char *heard(struct fixture *f)
{
	static char buf[4096];
	ssize_t n = read(f->in, buf, sizeof buf - 1);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void test_remote_comm_and_redelivery(void **state)
{
	(void)state;
	struct fixture l;
	fixture_init(&l, "listener", true, EV_BIT(EV_REMOTE_COMMUNICATION));
	events_group(&l.prog, true);
	fixture_run(&l, 100);
	/* not READY yet: buffered */
	events_remote_comm("greeting", "hello");
	assert_string_equal(heard(&l), "");
	say(&l, "READY\n");
	assert_string_equal(heard(&l), "ver:3.0 server:supervisor serial:0 pool:listener "
				       "poolserial:0 eventname:REMOTE_COMMUNICATION len:19\n"
				       "type:greeting\nhello");
	/* FAIL: it comes again, the same event */
	int before = rechecks;
	say(&l, "RESULT 4\nFAIL");
	assert_non_null(strstr(logged, "listener: event 0 rejected"));
	say(&l, "READY\n");
	assert_non_null(strstr(heard(&l), "serial:0 pool:listener poolserial:0"));
	assert_int_equal(rechecks, before); /* a rejected event is in hand again */
	say(&l, "RESULT 2\nOK");
	assert_int_equal(rechecks, before + 1); /* answered: a held stop may go */
	events_remote_comm("t", "");
	assert_string_equal(heard(&l), "");
	say(&l, "READY\n");
	assert_string_equal(heard(&l), "ver:3.0 server:supervisor serial:1 pool:listener "
				       "poolserial:1 eventname:REMOTE_COMMUNICATION len:7\ntype:t\n");
	/* it dies busy: the event goes back, for its next run */
	l.proc.exit_pid = l.proc.pid;
	l.proc.pid = 0;
	events_process_exited(&l.proc);
	assert_non_null(strstr(logged, "listener: event 1 goes back to pool listener"));
	close(l.in);
	close(l.out);
	fixture_run(&l, 101);
	say(&l, "READY\n");
	assert_non_null(strstr(heard(&l), "serial:1 pool:listener poolserial:1"));
	/* garbage: UNKNOWN, and the event goes back again */
	say(&l, "RESULT x\n");
	assert_non_null(strstr(logged, "listener protocol broken (bad result line: 'RESULT x')"));
	fixture_free(&l);
	logged[0] = '\0';
}

static void test_buffer_overflow_and_state_events(void **state)
{
	(void)state;
	struct fixture l, p;
	fixture_init(&l, "l", true, EV_BIT(EV_PROCESS_STATE_EXITED) | EV_BIT(EV_PROCESS_STATE_FATAL) |
					    EV_BIT(EV_PROCESS_STATE_BACKOFF));
	fixture_init(&p, "p", false, 0);
	p.cfg.group = "grp";
	events_group(&l.prog, true);
	fixture_run(&l, 200);
	/* five exits, nobody READY, room for three: 0 and 1 are dropped */
	struct pinput ex = { .event = PEV_EXIT, .expected = false };
	for (int i = 0; i < 5; i++) {
		p.proc.fsm.state = PSTATE_EXITED;
		p.proc.exit_pid = 300 + i;
		events_process_state(&p.proc, PSTATE_RUNNING, PSTATE_EXITED, &ex, false);
	}
	/* (serials go on from the last test: 0 and 1 went to it) */
	assert_non_null(strstr(logged, "pool l event buffer overflowed, discarding event 2\n"
				       "pool l event buffer overflowed, discarding event 3\n"));
	say(&l, "READY\n");
	assert_string_equal(heard(&l), "ver:3.0 server:supervisor serial:4 pool:l poolserial:2 "
				       "eventname:PROCESS_STATE_EXITED len:65\nprocessname:p "
				       "groupname:grp from_state:RUNNING expected:0 pid:302");
	/* the last failed start: BACKOFF then FATAL, as supervisord says it */
	p.proc.fsm.retries = 4;
	p.proc.fsm.state = PSTATE_FATAL;
	struct pinput quick = { .event = PEV_EXIT, .uptime_ms = 10 };
	events_process_state(&p.proc, PSTATE_STARTING, PSTATE_FATAL, &quick, false);
	/* the buffer held 5 and 6, then 7 and 8 came: 5 went */
	assert_non_null(strstr(logged, "discarding event 5\n"));
	const char *want[] = { "serial:6 pool:l poolserial:4", "serial:7 pool:l poolserial:5",
			       "PROCESS_STATE_BACKOFF len:55\nprocessname:p groupname:grp "
			       "from_state:STARTING tries:4",
			       "PROCESS_STATE_FATAL len:46\nprocessname:p groupname:grp "
			       "from_state:BACKOFF" };
	say(&l, "RESULT 2\nOKREADY\n");
	assert_non_null(strstr(heard(&l), want[0]));
	say(&l, "RESULT 2\nOKREADY\n");
	const char *h = heard(&l);
	assert_non_null(strstr(h, want[1]));
	assert_non_null(strstr(h, want[2]));
	say(&l, "RESULT 2\nOKREADY\n");
	assert_non_null(strstr(heard(&l), want[3]));
	fixture_free(&p);
	fixture_free(&l);
	logged[0] = '\0';
}

static void test_send_stdin(void **state)
{
	(void)state;
	struct fixture p;
	fixture_init(&p, "p", false, 0);
	assert_int_equal(supervisor_send_stdin(&p.proc, "x", 1), -ENOTCONN);
	fixture_run(&p, 400);
	assert_int_equal(supervisor_send_stdin(&p.proc, "line\n", 5), 0);
	assert_string_equal(heard(&p), "line\n");
	/* past what the pipe takes, it is queued; past the bound, refused */
	static char big[256 * 1024];
	memset(big, 'b', sizeof big);
	for (int i = 0; i < 4; i++)
		assert_int_equal(supervisor_send_stdin(&p.proc, big, sizeof big), 0);
	assert_int_equal(supervisor_send_stdin(&p.proc, big, sizeof big), -ENOBUFS);
	/* corral's own format: no pipe */
	p.cfg.stdin_pipe = false;
	close(p.in);
	int child[2];
	char err[64];
	assert_int_equal(events_spawn_prepare(&p.proc, true, child, err, sizeof err), 0);
	assert_int_equal(child[0], -1);
	events_spawn_done(&p.proc, true);
	p.in = -1;
	assert_int_equal(supervisor_send_stdin(&p.proc, "x", 1), -ENOTCONN);
	fixture_free(&p);
}

/* What goes to the log of a capture-mode stream fed PIECES. */
static void capture(struct fixture *p, const char *const *pieces, char *log, size_t len)
{
	log[0] = '\0';
	for (; *pieces; pieces++) {
		const char *out;
		size_t n = events_output(&p->proc, 0, *pieces, strlen(*pieces), &out);
		assert_true(strlen(log) + n < len);
		strncat(log, out, n);
	}
}

static void test_capture_mode(void **state)
{
	(void)state;
	struct fixture l, p;
	fixture_init(&l, "l", true, EV_BIT(EV_PROCESS_COMMUNICATION_STDOUT));
	fixture_init(&p, "talker", false, 0);
	events_group(&l.prog, true);
	fixture_run(&l, 500);
	say(&l, "READY\n");
	p.cfg.capture_maxbytes[0] = 1024;
	fixture_run(&p, 501);
	char log[512];
	/* tokens split across reads, a short read held until more comes */
	const char *pieces[] = { "before the capture <!--XSUPER", "VISOR:BEGIN-->cap",
				 "tured<!--XSUPERVISOR:E", "ND-->", "after it, and enough to show\n",
				 "short\n", NULL };
	capture(&p, pieces, log, sizeof log);
	assert_string_equal(log, "before the capture after it, and enough to show\n");
	assert_non_null(strstr(heard(&l), " pool:l poolserial:0 eventname:PROCESS_COMMUNICATION_STDOUT "
					  "len:52\nprocessname:talker groupname:talker pid:501\ncaptured"));
	/* the short line comes out with what follows it */
	const char *more[] = { "and the next line, long enough\n", NULL };
	capture(&p, more, log, sizeof log);
	assert_string_equal(log, "short\nand the next line, long enough\n");
	/* without capture mode the output is left as it is */
	p.cfg.capture_maxbytes[0] = 0;
	const char *out;
	assert_int_equal(events_output(&p.proc, 0, "<!--XSUPERVISOR:BEGIN-->", 24, &out), 24);
	assert_memory_equal(out, "<!--XSUPERVISOR:BEGIN-->", 24);
	fixture_free(&p);
	fixture_free(&l);
	events_free_all();
	logged[0] = '\0';
}

/* Output that is not UTF-8 goes in an event as supervisord puts it:
 * "Undecodable: " and Python's repr() of the bytes; UTF-8 as it is. */
static void test_undecodable_output_event(void **state)
{
	(void)state;
	struct fixture l, p;
	fixture_init(&l, "l", true, EV_BIT(EV_PROCESS_LOG_STDOUT));
	fixture_init(&p, "talker", false, 0);
	events_group(&l.prog, true);
	fixture_run(&l, 600);
	say(&l, "READY\n");
	p.cfg.events_enabled[0] = true;
	fixture_run(&p, 601);
	const char *out;
	assert_int_equal(events_output(&p.proc, 0, "\xff\xfe it's\n", 8, &out), 8);
	assert_memory_equal(out, "\xff\xfe it's\n", 8); /* the log has the bytes */
	assert_non_null(strstr(heard(&l), "eventname:PROCESS_LOG_STDOUT len:90\n"
					  "processname:talker groupname:talker pid:601 channel:stdout\n"
					  "Undecodable: b\"\\xff\\xfe it's\\n\""));
	say(&l, "RESULT 2\nOKREADY\n");
	assert_int_equal(events_output(&p.proc, 0, "caf\xc3\xa9\n", 6, &out), 6);
	assert_non_null(strstr(heard(&l), "len:65\nprocessname:talker groupname:talker pid:601 "
					  "channel:stdout\ncaf\xc3\xa9\n"));
	fixture_free(&p);
	fixture_free(&l);
	events_free_all();
	logged[0] = '\0';
}

/* Each test starts with no programs (one that failed may have left its own). */
static int setup(void **state)
{
	(void)state;
	programs = NULL;
	logged[0] = '\0';
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_remote_comm_and_redelivery, setup),
		cmocka_unit_test_setup(test_buffer_overflow_and_state_events, setup),
		cmocka_unit_test_setup(test_send_stdin, setup),
		cmocka_unit_test_setup(test_capture_mode, setup),
		cmocka_unit_test_setup(test_undecodable_output_event, setup),
	};
	return cmocka_run_group_tests_name("events_loop", tests, NULL, NULL);
}
