/* Unit tests for supervisor/poolcfg.c: the [pool:] keys as config.c reads
 * them, their defaults, and the errors a user sees. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor/config.h"

#include "tests/unit/config_load.h"

static void test_defaults(void **state)
{
	(void)state;
	struct program_config *p = load_prog("[pool:up]\ncommand = /bin/cat\n");
	assert_true(p->is_pool);
	assert_string_equal(p->name, "up");
	assert_int_equal(p->pool.workers, 1);
	assert_int_equal(p->numprocs, 1);
	assert_int_equal(p->pool.framing, POOL_FRAMING_LINE);
	assert_int_equal(p->pool.mailbox, 1);
	assert_int_equal(p->pool.queue, 64);
	assert_int_equal(p->pool.job_timeout_ms, 60000);
	assert_int_equal(p->pool.job_retries, 1);
	assert_int_equal(p->pool.cancel, POOL_CANCEL_FINISH);
	/* Workers are always replaced, and take jobs at once. */
	assert_int_equal(p->autorestart, AUTORESTART_TRUE);
	assert_int_equal(p->startsecs, 0);
	assert_string_equal(p->process_name, "%(program_name)s_%(process_num)d");
	char name[64];
	assert_int_equal(program_config_process_name(p, 2, name, sizeof name), 0);
	assert_string_equal(name, "up_2");
	/* A program is not a pool. */
	p = load_prog("[program:web]\ncommand = /bin/cat\n");
	assert_false(p->is_pool);
}

static void test_keys(void **state)
{
	(void)state;
	struct program_config *p = load_prog("[pool:w]\ncommand = /bin/cat\nworkers = 4\nframing = length\n"
					"mailbox = 8\nqueue = 0\njob_timeout = 2.5\njob_retries = 0\n"
					"cancel = kill\nautorestart = false\nstartsecs = 2\n");
	assert_int_equal(p->pool.workers, 4);
	assert_int_equal(p->numprocs, 4);
	assert_int_equal(p->pool.framing, POOL_FRAMING_LENGTH);
	assert_int_equal(p->pool.mailbox, 8);
	assert_int_equal(p->pool.queue, 0);
	assert_int_equal(p->pool.job_timeout_ms, 2500);
	assert_int_equal(p->pool.job_retries, 0);
	assert_int_equal(p->pool.cancel, POOL_CANCEL_KILL);
	assert_int_equal(p->autorestart, AUTORESTART_FALSE);
	assert_int_equal(p->startsecs, 2);
	assert_int_equal(p->pool.submit_rate, 0);
	assert_int_equal(p->pool.submit_burst, 0);
	p = load_prog("[pool:w]\ncommand = /bin/cat\nsubmit_rate = 50\nsubmit_burst = 5\n");
	assert_int_equal(p->pool.submit_rate, 50);
	assert_int_equal(p->pool.submit_burst, 5);
	p = load_prog("[pool:w]\ncommand = /bin/cat\njob_timeout = 0\n");
	assert_int_equal(p->pool.job_timeout_ms, 0);
	p = load_prog("[pool:w]\ncommand = /bin/cat\njob_timeout = 0.001\n");
	assert_int_equal(p->pool.job_timeout_ms, 1);
}

static void test_errors(void **state)
{
	(void)state;
	expect_errors("[pool:w]\ncommand = /bin/cat\nworkers = 0\nframing = lines\nqueue = -1\n"
		      "job_timeout = 1.0001\ncancel = later\nmailbox = 2000\n",
		      "t.conf:3: [pool:w]: bad value for workers: '0' (expected an integer from 1 to 1000)",
		      "t.conf:4: [pool:w]: bad value for framing: 'lines' (expected line or length)",
		      "t.conf:5: [pool:w]: bad value for queue: '-1' (expected an integer from 0 to 1000000)",
		      "t.conf:6: [pool:w]: bad value for job_timeout: '1.0001' (expected seconds (0: none), "
		      "at most 1000000, to the millisecond)",
		      "t.conf:7: [pool:w]: bad value for cancel: 'later' (expected finish or kill)",
		      "t.conf:8: [pool:w]: bad value for mailbox: '2000' (expected an integer from 1 to 1024)",
		      NULL);
	expect_errors("[pool:w]\ncommand = /bin/cat\nsubmit_rate = -1\nsubmit_burst = 0\n",
		      "t.conf:3: [pool:w]: bad value for submit_rate: '-1' (expected an integer from 0 to 1000000)",
		      "t.conf:4: [pool:w]: bad value for submit_burst: '0' (expected an integer from 1 to 1000000)",
		      NULL);
	expect_errors("[pool:w]\ncommand = /bin/cat\nnumprocs = 2\nstdout_logfile = /tmp/x\nworkers = 2\n"
		      "workers = 3\n",
		      "t.conf:3: [pool:w]: numprocs: a pool has workers = N instead",
		      "t.conf:4: [pool:w]: stdout_logfile: a pool worker's stdout carries its results, not a log",
		      "t.conf:6: [pool:w]: duplicate key 'workers'",
		      NULL);
	expect_errors("[pool:w]\ncommand = /bin/cat\nmailbox = 2\n",
		      "t.conf:1: [pool:w]: mailbox = 2 needs framing = length (a line worker takes one "
		      "job at a time)",
		      NULL);
	expect_errors("[pool:w]\ncommand = /bin/cat\nredirect_stderr = true\n",
		      "t.conf:1: [pool:w]: redirect_stderr = true would mix its log into its results",
		      NULL);
	/* Pool keys belong to pools. */
	expect_errors("[program:p]\ncommand = /bin/cat\nworkers = 2\n",
		      "t.conf:3: [program:p]: unknown key 'workers'", NULL);
	/* One name, one program. */
	expect_errors("[program:x]\ncommand = /bin/cat\n[pool:x]\ncommand = /bin/cat\n",
		      "t.conf:3: [pool:x]: [program:x] at t.conf:1 has the same name", NULL);
	expect_errors("[pool:a:b]\ncommand = /bin/cat\n",
		      "t.conf:1: [pool:a:b]: bad program name 'a:b' (it must be non-empty, without "
		      "whitespace, ':', '/' or '*')", NULL);
}

static void test_equal(void **state)
{
	(void)state;
	struct corral_config a, b;
	struct config_errors e = { 0 };
	assert_int_equal(config_load_string("a", "[pool:w]\ncommand = /bin/cat\nqueue = 3\n", &a, &e), 0);
	assert_int_equal(config_load_string("b", "[pool:w]\ncommand = /bin/cat\nqueue = 3\n", &b, &e), 0);
	assert_true(program_config_equal(&a.programs[0], &b.programs[0]));
	config_free(&b);
	assert_int_equal(config_load_string("b", "[pool:w]\ncommand = /bin/cat\nqueue = 4\n", &b, &e), 0);
	assert_false(program_config_equal(&a.programs[0], &b.programs[0]));
	config_free(&b);
	assert_int_equal(config_load_string("b", "[program:w]\ncommand = /bin/cat\nautorestart = true\n"
					     "startsecs = 0\nprocess_name = %(program_name)s_%(process_num)d\n",
					     &b, &e), 0);
	assert_false(program_config_equal(&a.programs[0], &b.programs[0]));
	config_free(&a);
	config_free(&b);
	config_errors_free(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_defaults, teardown),
		cmocka_unit_test_teardown(test_keys, teardown),
		cmocka_unit_test_teardown(test_errors, teardown),
		cmocka_unit_test_teardown(test_equal, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
