/* Unit tests for supervisor/program.c: the state × event table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <signal.h>
#include <cmocka.h>

#include "supervisor/program.h"

static struct program_config cfg(int startsecs, int startretries, enum autorestart ar)
{
	struct program_config c;
	memset(&c, 0, sizeof c);
	c.startsecs = startsecs;
	c.startretries = startretries;
	c.autorestart = ar;
	c.stopwaitsecs = 7;
	c.stopsignal = SIGTERM;
	c.numprocs = 1;
	return c;
}

static struct poutput step(struct pmachine *m, const struct program_config *c, enum pevent ev,
			   int64_t uptime, bool expected)
{
	struct pinput in = { .event = ev, .uptime_ms = uptime, .expected = expected };
	struct poutput out;
	program_step(m, c, &in, &out);
	return out;
}

static void test_start_waits_startsecs(void **state)
{
	(void)state;
	struct program_config c = cfg(3, 3, AUTORESTART_UNEXPECTED);
	struct pmachine m;
	program_init(&m);
	struct poutput o = step(&m, &c, PEV_START, 0, false);
	assert_int_equal(m.state, PSTATE_STARTING);
	assert_true(o.actions & PACT_SPAWN);
	assert_true(o.actions & PACT_TIMER);
	assert_int_equal(o.timer_ms, 3000);
	assert_true(o.changed);
	o = step(&m, &c, PEV_TIMER, 0, false);
	assert_int_equal(m.state, PSTATE_RUNNING);
	assert_int_equal(o.actions & ~(unsigned)PACT_TIMER_STOP, 0);
}

static void test_startsecs_zero_runs_at_once(void **state)
{
	(void)state;
	struct program_config c = cfg(0, 3, AUTORESTART_UNEXPECTED);
	struct pmachine m;
	program_init(&m);
	struct poutput o = step(&m, &c, PEV_START, 0, false);
	assert_int_equal(m.state, PSTATE_RUNNING);
	assert_true(o.actions & PACT_SPAWN);
	assert_false(o.actions & PACT_TIMER);
}

/* Exits before startsecs back off 1 s, 2 s, 4 s, then FATAL after startretries. */
static void test_backoff_then_fatal(void **state)
{
	(void)state;
	struct program_config c = cfg(1, 3, AUTORESTART_TRUE);
	struct pmachine m;
	program_init(&m);
	step(&m, &c, PEV_START, 0, false);
	int64_t expect[] = { 1000, 2000, 4000 };
	for (int i = 0; i < 3; i++) {
		struct poutput o = step(&m, &c, PEV_EXIT, 100, true);
		assert_int_equal(m.state, PSTATE_BACKOFF);
		assert_true(o.actions & PACT_TIMER);
		assert_false(o.actions & PACT_SPAWN);
		assert_int_equal(o.timer_ms, expect[i]);
		o = step(&m, &c, PEV_TIMER, 0, false);
		assert_int_equal(m.state, PSTATE_STARTING);
		assert_true(o.actions & PACT_SPAWN);
	}
	struct poutput o = step(&m, &c, PEV_EXIT, 100, true);
	assert_int_equal(m.state, PSTATE_FATAL);
	assert_false(o.actions & PACT_SPAWN);
	/* FATAL stays FATAL until someone starts it. */
	o = step(&m, &c, PEV_TIMER, 0, false);
	assert_int_equal(m.state, PSTATE_FATAL);
	assert_int_equal(o.actions, 0);
	o = step(&m, &c, PEV_START, 0, false);
	assert_int_equal(m.state, PSTATE_STARTING);
	assert_int_equal(m.retries, 0);
}

/* startsecs = 0, as supervisord: RUNNING at the spawn, and an exit, however
 * soon, is an exit (EXITED), never a failed start. A one-shot program ends
 * EXITED, whatever its startretries. */
static void test_startsecs_zero_exit_is_an_exit(void **state)
{
	(void)state;
	struct program_config c = cfg(0, 0, AUTORESTART_FALSE);
	struct pmachine m;
	program_init(&m);
	step(&m, &c, PEV_START, 0, false);
	struct pinput in = { .event = PEV_EXIT, .uptime_ms = 3, .expected = true };
	assert_int_equal(program_exit_kind(&m, &c, &in), PEXIT_EXPECTED);
	struct poutput o = step(&m, &c, PEV_EXIT, 3, true);
	assert_int_equal(m.state, PSTATE_EXITED);
	assert_false(o.actions & (PACT_SPAWN | PACT_TIMER));
	assert_false(m.restart_due);
	assert_true(program_down(&m));
	assert_int_equal(m.retries, 0);
	/* Nothing more happens by itself. */
	assert_int_equal(step(&m, &c, PEV_TIMER, 0, false).actions, 0);
	assert_int_equal(m.state, PSTATE_EXITED);

	/* Not expected: EXITED too (autorestart = false), not BACKOFF. */
	program_init(&m);
	step(&m, &c, PEV_START, 0, false);
	in.expected = false;
	assert_int_equal(program_exit_kind(&m, &c, &in), PEXIT_UNEXPECTED);
	step(&m, &c, PEV_EXIT, 3, false);
	assert_int_equal(m.state, PSTATE_EXITED);

	/* ready = none is the same. */
	c = cfg(5, 0, AUTORESTART_FALSE);
	c.ready = READY_NONE;
	program_init(&m);
	step(&m, &c, PEV_START, 0, false);
	assert_int_equal(m.state, PSTATE_RUNNING);
	step(&m, &c, PEV_EXIT, 3, true);
	assert_int_equal(m.state, PSTATE_EXITED);
}

/* autorestart after a short run: EXITED until a second after the spawn,
 * then started again, for ever: no BACKOFF, no FATAL. */
static void test_startsecs_zero_restart_waits_a_second(void **state)
{
	(void)state;
	struct program_config c = cfg(0, 2, AUTORESTART_UNEXPECTED);
	struct pmachine m;
	program_init(&m);
	step(&m, &c, PEV_START, 0, false);
	for (int i = 0; i < 10; i++) {
		struct poutput o = step(&m, &c, PEV_EXIT, 300, false);
		assert_int_equal(m.state, PSTATE_EXITED);
		assert_true(m.restart_due);
		assert_false(program_down(&m));
		assert_false(o.actions & PACT_SPAWN);
		assert_true(o.actions & PACT_TIMER);
		assert_int_equal(o.timer_ms, PROGRAM_RESTART_MIN_MS - 300);
		assert_int_equal(m.retries, 0);
		o = step(&m, &c, PEV_TIMER, 0, false);
		assert_int_equal(m.state, PSTATE_RUNNING);
		assert_true(o.actions & PACT_SPAWN);
		assert_false(m.restart_due);
	}
	/* A run that lasted the second starts again at once. */
	struct poutput o = step(&m, &c, PEV_EXIT, 1500, false);
	assert_int_equal(m.state, PSTATE_RUNNING);
	assert_true(o.actions & PACT_SPAWN);
	/* An expected code is not restarted (autorestart = unexpected). */
	o = step(&m, &c, PEV_EXIT, 10, true);
	assert_int_equal(m.state, PSTATE_EXITED);
	assert_false(m.restart_due);
	assert_true(o.actions & PACT_TIMER_STOP);

	/* A stop while the restart is due: STOPPED, the restart cancelled. */
	program_init(&m);
	step(&m, &c, PEV_START, 0, false);
	step(&m, &c, PEV_EXIT, 10, false);
	o = step(&m, &c, PEV_STOP, 0, false);
	assert_int_equal(m.state, PSTATE_STOPPED);
	assert_true(o.changed);
	assert_true(o.actions & PACT_TIMER_STOP);
	assert_false(o.actions & (PACT_STOPSIGNAL | PACT_KILL));
	assert_int_equal(step(&m, &c, PEV_TIMER, 0, false).actions, 0);
	assert_int_equal(m.state, PSTATE_STOPPED);

	/* A start while it is due: now. */
	program_init(&m);
	step(&m, &c, PEV_START, 0, false);
	step(&m, &c, PEV_EXIT, 10, false);
	o = step(&m, &c, PEV_START, 0, false);
	assert_int_equal(m.state, PSTATE_RUNNING);
	assert_true(o.actions & PACT_SPAWN);
	assert_false(m.restart_due);
}

/* A child that failed before exec is a spawn error with startsecs = 0 too:
 * BACKOFF, then FATAL after startretries (supervisord's "can't find
 * command" never even forks). */
static void test_startsecs_zero_spawn_error_backs_off(void **state)
{
	(void)state;
	struct program_config c = cfg(0, 2, AUTORESTART_TRUE);
	struct pmachine m;
	program_init(&m);
	step(&m, &c, PEV_START, 0, false);
	struct pinput in = { .event = PEV_EXIT, .uptime_ms = 10, .spawn_error = true };
	struct poutput o;
	for (int i = 0; i < 2; i++) {
		assert_int_equal(program_exit_kind(&m, &c, &in), PEXIT_FAILED_START);
		program_step(&m, &c, &in, &o);
		assert_int_equal(m.state, PSTATE_BACKOFF);
		step(&m, &c, PEV_TIMER, 0, false);
		assert_int_equal(m.state, PSTATE_RUNNING);
	}
	program_step(&m, &c, &in, &o);
	assert_int_equal(m.state, PSTATE_FATAL);
}

/* What an exit means, state by state, for the log lines. */
static void test_exit_kind(void **state)
{
	(void)state;
	struct program_config c = cfg(2, 3, AUTORESTART_TRUE);
	struct pmachine m = { .state = PSTATE_STARTING };
	struct pinput in = { .event = PEV_EXIT, .uptime_ms = 100, .expected = true };
	assert_int_equal(program_exit_kind(&m, &c, &in), PEXIT_FAILED_START);
	in.uptime_ms = 2500; /* past startsecs, before its deadline was seen */
	assert_int_equal(program_exit_kind(&m, &c, &in), PEXIT_EXPECTED);
	m.state = PSTATE_RUNNING;
	in.expected = false;
	assert_int_equal(program_exit_kind(&m, &c, &in), PEXIT_UNEXPECTED);
	m.state = PSTATE_STOPPING;
	assert_int_equal(program_exit_kind(&m, &c, &in), PEXIT_STOPPED);
	m.state = PSTATE_BACKOFF;
	assert_int_equal(program_exit_kind(&m, &c, &in), PEXIT_NONE);
	c.ready = READY_NOTIFY; /* an exit before READY=1, however late */
	m.state = PSTATE_STARTING;
	in.uptime_ms = 60000;
	assert_int_equal(program_exit_kind(&m, &c, &in), PEXIT_FAILED_START);
}

static void test_spawn_error_is_a_failed_start(void **state)
{
	(void)state;
	struct program_config c = cfg(1, 0, AUTORESTART_TRUE);
	struct pmachine m;
	program_init(&m);
	step(&m, &c, PEV_START, 0, false);
	struct pinput in = { .event = PEV_EXIT, .uptime_ms = 5000, .spawn_error = true };
	struct poutput o;
	program_step(&m, &c, &in, &o);
	/* startretries = 0: the first failure is final. */
	assert_int_equal(m.state, PSTATE_FATAL);
	program_init(&m);
	c.startretries = 1;
	step(&m, &c, PEV_START, 0, false);
	o = step(&m, &c, PEV_SPAWN_FAILED, 0, false);
	assert_int_equal(m.state, PSTATE_BACKOFF);
}

static void test_autorestart(void **state)
{
	(void)state;
	struct pmachine m;
	struct poutput o;
	/* true: any exit after a good run restarts, and resets the retry count. */
	struct program_config c = cfg(1, 3, AUTORESTART_TRUE);
	program_init(&m);
	step(&m, &c, PEV_START, 0, false);
	step(&m, &c, PEV_TIMER, 0, false);
	m.retries = 2;
	o = step(&m, &c, PEV_EXIT, 60000, true);
	assert_int_equal(m.state, PSTATE_STARTING);
	assert_true(o.actions & PACT_SPAWN);
	assert_int_equal(m.retries, 0);

	/* unexpected: an expected exit code stays EXITED, another restarts. */
	c = cfg(1, 3, AUTORESTART_UNEXPECTED);
	program_init(&m);
	step(&m, &c, PEV_START, 0, false);
	step(&m, &c, PEV_TIMER, 0, false);
	o = step(&m, &c, PEV_EXIT, 5000, true);
	assert_int_equal(m.state, PSTATE_EXITED);
	assert_false(o.actions & PACT_SPAWN);
	step(&m, &c, PEV_START, 0, false);
	step(&m, &c, PEV_TIMER, 0, false);
	o = step(&m, &c, PEV_EXIT, 5000, false);
	assert_int_equal(m.state, PSTATE_STARTING);
	assert_true(o.actions & PACT_SPAWN);

	/* false: never. */
	c = cfg(1, 3, AUTORESTART_FALSE);
	program_init(&m);
	step(&m, &c, PEV_START, 0, false);
	step(&m, &c, PEV_TIMER, 0, false);
	o = step(&m, &c, PEV_EXIT, 5000, false);
	assert_int_equal(m.state, PSTATE_EXITED);
	assert_false(o.actions & PACT_SPAWN);
}

static void test_stop_escalates(void **state)
{
	(void)state;
	struct program_config c = cfg(1, 3, AUTORESTART_TRUE);
	struct pmachine m;
	program_init(&m);
	step(&m, &c, PEV_START, 0, false);
	step(&m, &c, PEV_TIMER, 0, false);
	struct poutput o = step(&m, &c, PEV_STOP, 0, false);
	assert_int_equal(m.state, PSTATE_STOPPING);
	assert_true(o.actions & PACT_STOPSIGNAL);
	assert_true(o.actions & PACT_TIMER);
	assert_int_equal(o.timer_ms, 7000);
	/* A second stop or a start changes nothing while stopping. */
	o = step(&m, &c, PEV_STOP, 0, false);
	assert_int_equal(o.actions, 0);
	o = step(&m, &c, PEV_START, 0, false);
	assert_int_equal(o.actions, 0);
	assert_int_equal(m.state, PSTATE_STOPPING);
	/* stopwaitsecs passed: SIGKILL, and keep a deadline. */
	o = step(&m, &c, PEV_TIMER, 0, false);
	assert_true(o.actions & PACT_KILL);
	assert_true(o.actions & PACT_TIMER);
	assert_int_equal(m.state, PSTATE_STOPPING);
	/* The exit of a stopping process never restarts it, whatever autorestart says. */
	o = step(&m, &c, PEV_EXIT, 9000, false);
	assert_int_equal(m.state, PSTATE_STOPPED);
	assert_false(o.actions & PACT_SPAWN);
	assert_true(o.actions & PACT_TIMER_STOP);
}

static void test_stop_while_starting_and_backoff(void **state)
{
	(void)state;
	struct program_config c = cfg(5, 3, AUTORESTART_TRUE);
	struct pmachine m;
	program_init(&m);
	step(&m, &c, PEV_START, 0, false);
	struct poutput o = step(&m, &c, PEV_STOP, 0, false);
	assert_int_equal(m.state, PSTATE_STOPPING);
	assert_true(o.actions & PACT_STOPSIGNAL);

	program_init(&m);
	step(&m, &c, PEV_START, 0, false);
	step(&m, &c, PEV_EXIT, 10, false);
	assert_int_equal(m.state, PSTATE_BACKOFF);
	o = step(&m, &c, PEV_STOP, 0, false);
	assert_int_equal(m.state, PSTATE_STOPPED);
	assert_true(o.actions & PACT_TIMER_STOP);
	assert_false(o.actions & PACT_STOPSIGNAL);
}

/* Every cell of the table is decided: no event takes a machine to an
 * invalid state, and events that make no sense in a state do nothing. */
static void test_every_cell(void **state)
{
	(void)state;
	struct program_config c = cfg(1, 3, AUTORESTART_TRUE);
	for (int s = PSTATE_STOPPED; s <= PSTATE_UNKNOWN; s++)
		for (int e = PEV_START; e <= PEV_WATCHDOG_TRIGGER; e++) {
			struct pmachine m = { .state = (enum pstate)s, .retries = 1 };
			struct poutput o = step(&m, &c, (enum pevent)e, 100, false);
			struct pmachine due = { .state = (enum pstate)s, .restart_due = true };
			struct poutput od = step(&due, &c, (enum pevent)e, 100, false);
			if (s == PSTATE_EXITED && e == PEV_TIMER) /* the restart */
				assert_true(od.actions & PACT_SPAWN);
			else if (s == PSTATE_EXITED && e == PEV_STOP) /* cancelled */
				assert_int_equal(due.state, PSTATE_STOPPED);
			assert_true(od.changed == (due.state != (enum pstate)s));
			assert_true(m.state >= PSTATE_STOPPED && m.state <= PSTATE_UNKNOWN);
			assert_true(o.changed == (m.state != (enum pstate)s));
			bool down = s == PSTATE_STOPPED || s == PSTATE_EXITED || s == PSTATE_FATAL ||
				    s == PSTATE_UNKNOWN;
			if (down && e != PEV_START) {
				assert_int_equal(o.actions, 0);
				assert_int_equal(m.state, s);
			}
			/* Signals are only ever sent to a process that exists. */
			if (o.actions & (PACT_STOPSIGNAL | PACT_KILL))
				assert_true(program_state_alive((enum pstate)s));
		}
}

/* ready = notify: STARTING until READY=1; not ready within start_timeout
 * is a failed start, after the process is killed. */
static void test_ready_notify(void **state)
{
	(void)state;
	struct program_config c = cfg(1, 1, AUTORESTART_TRUE);
	c.ready = READY_NOTIFY;
	c.start_timeout = 5;
	struct pmachine m;
	program_init(&m);
	struct poutput o = step(&m, &c, PEV_START, 0, false);
	assert_int_equal(m.state, PSTATE_STARTING);
	assert_int_equal(o.timer_ms, 5000);
	/* Long alive, still not ready: a watchdog ping changes nothing either. */
	step(&m, &c, PEV_WATCHDOG, 0, false);
	assert_int_equal(m.state, PSTATE_STARTING);
	o = step(&m, &c, PEV_READY, 0, false);
	assert_int_equal(m.state, PSTATE_RUNNING);
	assert_true(o.actions & PACT_TIMER_STOP);

	/* An exit before READY=1 is a failed start, however late. */
	program_init(&m);
	step(&m, &c, PEV_START, 0, false);
	step(&m, &c, PEV_EXIT, 60000, true);
	assert_int_equal(m.state, PSTATE_BACKOFF);

	/* start_timeout: killed, then its exit is a failed start. */
	program_init(&m);
	step(&m, &c, PEV_START, 0, false);
	o = step(&m, &c, PEV_TIMER, 0, false);
	assert_true(o.actions & PACT_KILL);
	assert_int_equal(m.state, PSTATE_STARTING);
	assert_int_equal(m.last, PFAIL_START_TIMEOUT);
	step(&m, &c, PEV_READY, 0, false); /* too late */
	assert_int_equal(m.state, PSTATE_STARTING);
	step(&m, &c, PEV_EXIT, 5000, false);
	assert_int_equal(m.state, PSTATE_BACKOFF);
	step(&m, &c, PEV_TIMER, 0, false);
	step(&m, &c, PEV_TIMER, 0, false);
	step(&m, &c, PEV_EXIT, 5000, false);
	assert_int_equal(m.state, PSTATE_FATAL); /* startretries = 1 */
}

/* watchdog_sec: once RUNNING, no ping in time kills the tree and starts it
 * again, autorestart or not; a ping pushes the deadline. */
static void test_watchdog(void **state)
{
	(void)state;
	struct program_config c = cfg(0, 3, AUTORESTART_FALSE);
	c.watchdog_sec = 2;
	struct pmachine m;
	program_init(&m);
	struct poutput o = step(&m, &c, PEV_START, 0, false);
	assert_int_equal(m.state, PSTATE_RUNNING);
	assert_true(o.actions & PACT_TIMER);
	assert_int_equal(o.timer_ms, 2000);
	o = step(&m, &c, PEV_WATCHDOG, 0, false);
	assert_true(o.actions & PACT_TIMER);
	assert_int_equal(o.timer_ms, 2000);
	o = step(&m, &c, PEV_TIMER, 0, false);
	assert_true(o.actions & PACT_KILL);
	assert_int_equal(m.last, PFAIL_WATCHDOG);
	o = step(&m, &c, PEV_EXIT, 9000, false);
	assert_true(o.actions & PACT_SPAWN);
	assert_int_equal(m.state, PSTATE_RUNNING);
	/* WATCHDOG=trigger: the same at once. */
	o = step(&m, &c, PEV_WATCHDOG_TRIGGER, 0, false);
	assert_true(o.actions & PACT_KILL);
	/* A stop while it is being killed ends STOPPED, not restarted. */
	step(&m, &c, PEV_STOP, 0, false);
	assert_int_equal(m.state, PSTATE_STOPPING);
	o = step(&m, &c, PEV_EXIT, 9000, false);
	assert_int_equal(m.state, PSTATE_STOPPED);
	assert_false(o.actions & PACT_SPAWN);
	/* No watchdog configured: pings and timers do nothing. */
	c.watchdog_sec = 0;
	program_init(&m);
	step(&m, &c, PEV_START, 0, false);
	assert_int_equal(step(&m, &c, PEV_WATCHDOG, 0, false).actions, 0);
	assert_int_equal(step(&m, &c, PEV_TIMER, 0, false).actions, 0);
}

/* Its pool killed it (a job over job_timeout): it starts again at once,
 * even right after a spawn, and the kill is no failed start. */
static void test_pool_kill_restarts_at_once(void **state)
{
	(void)state;
	struct program_config c = cfg(0, 3, AUTORESTART_FALSE);
	struct pmachine m;
	program_init(&m);
	step(&m, &c, PEV_START, 0, false);
	assert_int_equal(m.state, PSTATE_RUNNING);
	m.killing = PFAIL_POOL_KILL; /* what supervisor_kill_tree() sets */
	struct poutput o = step(&m, &c, PEV_EXIT, 10, false);
	assert_true(o.actions & PACT_SPAWN);
	assert_int_equal(m.state, PSTATE_RUNNING);
	assert_int_equal(m.retries, 0);
	assert_int_equal(m.killing, PFAIL_NONE);
	/* The same exit without the kill is an exit (startsecs = 0). */
	o = step(&m, &c, PEV_EXIT, 10, false);
	assert_int_equal(m.state, PSTATE_EXITED);
	assert_false(o.actions & PACT_SPAWN);
}

static void test_backoff_delays_are_capped(void **state)
{
	(void)state;
	assert_int_equal(program_backoff_ms(1), 1000);
	assert_int_equal(program_backoff_ms(2), 2000);
	assert_int_equal(program_backoff_ms(3), 4000);
	assert_int_equal(program_backoff_ms(6), 32000);
	assert_int_equal(program_backoff_ms(7), 60000);
	assert_int_equal(program_backoff_ms(100), 60000);
	assert_string_equal(program_state_name(PSTATE_BACKOFF), "BACKOFF");
	assert_string_equal(program_state_name((enum pstate)99), "UNKNOWN");
}

/* ready = health: STARTING until the first passing check (PEV_READY). */
static void test_ready_health(void **state)
{
	(void)state;
	struct program_config c = cfg(1, 3, AUTORESTART_UNEXPECTED);
	c.ready = READY_HEALTH;
	c.start_timeout = 5;
	struct pmachine m;
	program_init(&m);
	struct poutput o = step(&m, &c, PEV_START, 0, false);
	assert_int_equal(m.state, PSTATE_STARTING);
	assert_true(o.actions & PACT_TIMER);
	assert_int_equal(o.timer_ms, 5000); /* start_timeout, not startsecs */
	/* unhealthy while starting changes nothing: start_timeout decides */
	step(&m, &c, PEV_UNHEALTHY, 0, false);
	assert_int_equal(m.state, PSTATE_STARTING);
	step(&m, &c, PEV_READY, 0, false);
	assert_int_equal(m.state, PSTATE_RUNNING);
}

/* PEV_UNHEALTHY in RUNNING kills the tree; the exit restarts it whatever
 * autorestart says; elsewhere it is ignored. */
static void test_unhealthy_restarts(void **state)
{
	(void)state;
	struct program_config c = cfg(0, 3, AUTORESTART_FALSE);
	struct pmachine m;
	program_init(&m);
	step(&m, &c, PEV_START, 0, false);
	assert_int_equal(m.state, PSTATE_RUNNING);
	struct poutput o = step(&m, &c, PEV_UNHEALTHY, 0, false);
	assert_true(o.actions & PACT_KILL);
	assert_int_equal(m.killing, PFAIL_UNHEALTHY);
	assert_int_equal(m.last, PFAIL_UNHEALTHY);
	/* a second verdict while it dies: nothing more */
	o = step(&m, &c, PEV_UNHEALTHY, 0, false);
	assert_false(o.actions & PACT_KILL);
	o = step(&m, &c, PEV_EXIT, 5000, false);
	assert_true(o.actions & PACT_SPAWN);
	assert_int_equal(m.state, PSTATE_RUNNING); /* startsecs = 0 */
	assert_int_equal(m.killing, PFAIL_NONE);
	/* soon after its spawn: EXITED a moment, then the restart */
	step(&m, &c, PEV_UNHEALTHY, 0, false);
	o = step(&m, &c, PEV_EXIT, 200, false);
	assert_int_equal(m.state, PSTATE_EXITED);
	assert_true(m.restart_due);
	assert_int_equal(o.timer_ms, PROGRAM_RESTART_MIN_MS - 200);
	/* stopped: ignored */
	step(&m, &c, PEV_STOP, 0, false);
	assert_int_equal(m.state, PSTATE_STOPPED);
	o = step(&m, &c, PEV_UNHEALTHY, 0, false);
	assert_int_equal(o.actions, 0);
	assert_int_equal(m.state, PSTATE_STOPPED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_start_waits_startsecs),
		cmocka_unit_test(test_startsecs_zero_runs_at_once),
		cmocka_unit_test(test_backoff_then_fatal),
		cmocka_unit_test(test_startsecs_zero_exit_is_an_exit),
		cmocka_unit_test(test_startsecs_zero_restart_waits_a_second),
		cmocka_unit_test(test_startsecs_zero_spawn_error_backs_off),
		cmocka_unit_test(test_exit_kind),
		cmocka_unit_test(test_spawn_error_is_a_failed_start),
		cmocka_unit_test(test_autorestart),
		cmocka_unit_test(test_stop_escalates),
		cmocka_unit_test(test_stop_while_starting_and_backoff),
		cmocka_unit_test(test_every_cell),
		cmocka_unit_test(test_backoff_delays_are_capped),
		cmocka_unit_test(test_ready_notify),
		cmocka_unit_test(test_watchdog),
		cmocka_unit_test(test_pool_kill_restarts_at_once),
		cmocka_unit_test(test_ready_health),
		cmocka_unit_test(test_unhealthy_restarts),
	};
	return cmocka_run_group_tests_name("program", tests, NULL, NULL);
}
