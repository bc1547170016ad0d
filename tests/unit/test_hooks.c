/* Unit tests for supervisor/hooks.c: the core's hook list. Subscribers
 * hear in the order they subscribed (close the other way), those without
 * the member are passed over, and one that unsubscribed hears nothing. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "supervisor/hooks.h"

/* What the subscribers heard, in order: "a:open b:open ..." */
static char heard[1024];

static void hear(const char *who, const char *what)
{
	size_t n = strlen(heard);
	snprintf(heard + n, sizeof heard - n, "%s%s:%s", n ? " " : "", who, what);
}

/* Three subscribers, a, b and c; c has only some members. */
static int open_fails;   /* 'a', 'b' or 'c': its open fails */
static int prepare_fails;

#define PART(X)                                                                        \
	static int X##_open(const struct corral_config *cfg)                          \
	{                                                                              \
		hear(#X, "open");                                                      \
		return open_fails == #X[0] ? -1 : 0;                                   \
	}                                                                              \
	static void X##_close(void)                                                    \
	{                                                                              \
		hear(#X, "close");                                                     \
	}                                                                              \
	static void X##_changed(struct process *p, bool gone)                          \
	{                                                                              \
		hear(#X, gone ? "gone" : "changed");                                   \
	}                                                                              \
	static int X##_prepare(struct process *p, bool stdin_free, int child[2],       \
			       char *err, size_t errlen)                               \
	{                                                                              \
		hear(#X, stdin_free ? "prepare(free)" : "prepare");                    \
		if (prepare_fails == #X[0]) {                                          \
			snprintf(err, errlen, "%s failed", #X);                        \
			return -EMFILE;                                                \
		}                                                                      \
		return 0;                                                              \
	}                                                                              \
	static void X##_done(struct process *p, bool spawned)                          \
	{                                                                              \
		hear(#X, spawned ? "done" : "undone");                                 \
	}

PART(a)
PART(b)

/* a gives the child a stdin, b a stdout */
static int a_prepare_pipe(struct process *p, bool stdin_free, int child[2], char *err,
			  size_t errlen)
{
	child[0] = 10;
	return a_prepare(p, stdin_free, child, err, errlen);
}

static int b_prepare_pipe(struct process *p, bool stdin_free, int child[2], char *err,
			  size_t errlen)
{
	child[1] = 21;
	return b_prepare(p, stdin_free, child, err, errlen);
}

static bool a_env(const struct process *p, char *buf, size_t len)
{
	snprintf(buf, len, "A=1");
	return true;
}

static bool b_env(const struct process *p, char *buf, size_t len)
{
	return false; /* none from b */
}

/* output: a upper-cases into its own buffer, b drops the first byte */
static char a_buf[64];

static size_t a_output(struct process *p, int which, const char *in, size_t len,
		       const char **out)
{
	for (size_t i = 0; i < len; i++)
		a_buf[i] = (char)(in[i] >= 'a' && in[i] <= 'z' ? in[i] - 32 : in[i]);
	*out = a_buf;
	return len;
}

static size_t b_output(struct process *p, int which, const char *in, size_t len,
		       const char **out)
{
	*out = in + 1;
	return len - 1;
}

static void c_changed(struct process *p, bool gone)
{
	hear("c", gone ? "gone" : "changed");
}

static const struct hooks A = {
	.on_open = a_open, .on_close = a_close, .on_process_changed = a_changed,
	.on_spawn_prepare = a_prepare_pipe, .on_spawn_done = a_done, .on_spawn_env = a_env,
	.on_output = a_output,
};
static const struct hooks B = {
	.on_open = b_open, .on_close = b_close, .on_process_changed = b_changed,
	.on_spawn_prepare = b_prepare_pipe, .on_spawn_done = b_done, .on_spawn_env = b_env,
	.on_output = b_output,
};
static const struct hooks C = { .on_process_changed = c_changed };

static int setup(void **state)
{
	(void)state;
	heard[0] = '\0';
	open_fails = prepare_fails = 0;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	hooks_unsubscribe(&A);
	hooks_unsubscribe(&B);
	hooks_unsubscribe(&C);
	return 0;
}

static void test_called_in_order(void **state)
{
	(void)state;
	/* nobody subscribed: nothing happens, nothing fails */
	assert_int_equal(hooks_open(NULL), 0);
	hooks_process_changed(NULL, false);
	assert_string_equal(heard, "");
	assert_int_equal(hooks_subscribe(&B), 0);
	assert_int_equal(hooks_subscribe(&C), 0);
	assert_int_equal(hooks_subscribe(&A), 0);
	hooks_process_changed(NULL, false);
	hooks_process_changed(NULL, true);
	assert_string_equal(heard, "b:changed c:changed a:changed b:gone c:gone a:gone");
	/* C has no open: passed over; close goes the other way */
	heard[0] = '\0';
	assert_int_equal(hooks_open(NULL), 0);
	hooks_close();
	assert_string_equal(heard, "b:open a:open a:close b:close");
	/* members nobody has */
	hooks_bury();
	hooks_started();
	assert_string_equal(heard, "b:open a:open a:close b:close");
}

static void test_unsubscribe(void **state)
{
	(void)state;
	assert_int_equal(hooks_subscribe(&A), 0);
	assert_int_equal(hooks_subscribe(&B), 0);
	assert_int_equal(hooks_subscribe(&C), 0);
	hooks_unsubscribe(&B);
	hooks_unsubscribe(&B); /* harmless twice */
	hooks_process_changed(NULL, false);
	assert_string_equal(heard, "a:changed c:changed");
	/* back, last now */
	heard[0] = '\0';
	assert_int_equal(hooks_subscribe(&B), 0);
	hooks_process_changed(NULL, false);
	assert_string_equal(heard, "a:changed c:changed b:changed");
}

static void test_table_is_bounded(void **state)
{
	(void)state;
	static const struct hooks many[HOOKS_MAX + 1];
	for (int i = 0; i < HOOKS_MAX; i++)
		assert_int_equal(hooks_subscribe(&many[i]), 0);
	assert_int_equal(hooks_subscribe(&many[HOOKS_MAX]), -ENOSPC);
	for (int i = 0; i < HOOKS_MAX; i++)
		hooks_unsubscribe(&many[i]);
	assert_int_equal(hooks_subscribe(&A), 0);
}

static void test_open_failure_closes_those_before(void **state)
{
	(void)state;
	assert_int_equal(hooks_subscribe(&A), 0);
	assert_int_equal(hooks_subscribe(&C), 0);
	assert_int_equal(hooks_subscribe(&B), 0);
	open_fails = 'b';
	assert_int_equal(hooks_open(NULL), -1);
	assert_string_equal(heard, "a:open b:open a:close");
	heard[0] = '\0';
	open_fails = 'a';
	assert_int_equal(hooks_open(NULL), -1);
	assert_string_equal(heard, "a:open");
}

static void test_spawn(void **state)
{
	(void)state;
	assert_int_equal(hooks_subscribe(&A), 0);
	assert_int_equal(hooks_subscribe(&B), 0);
	char err[64] = "";
	/* a's stdin and b's stdout replace what the core had; once a gave a
	 * stdin, b is told it is not free */
	int stdio[2] = { 0, 1 };
	assert_int_equal(hooks_spawn_prepare(NULL, true, stdio, err, sizeof err), 0);
	assert_int_equal(stdio[0], 10);
	assert_int_equal(stdio[1], 21);
	hooks_spawn_done(NULL, true);
	assert_string_equal(heard, "a:prepare(free) b:prepare a:done b:done");
	/* b fails: a, before it, is told the spawn is off; nobody after */
	heard[0] = '\0';
	prepare_fails = 'b';
	assert_int_equal(hooks_spawn_prepare(NULL, false, stdio, err, sizeof err), -EMFILE);
	assert_string_equal(err, "b failed");
	assert_string_equal(heard, "a:prepare b:prepare a:undone");
	/* the environment: a's one variable, bounded */
	char names[2][PATH_MAX];
	assert_int_equal(hooks_spawn_env(NULL, names, 2), 1);
	assert_string_equal(names[0], "A=1");
	assert_int_equal(hooks_spawn_env(NULL, names, 0), 0);
}

static void test_output_goes_through_each(void **state)
{
	(void)state;
	const char *out;
	/* nobody: as it came */
	assert_int_equal(hooks_output(NULL, 0, "hello", 5, &out), 5);
	assert_memory_equal(out, "hello", 5);
	assert_int_equal(hooks_subscribe(&A), 0);
	assert_int_equal(hooks_subscribe(&B), 0);
	assert_int_equal(hooks_output(NULL, 0, "hello", 5, &out), 4);
	assert_memory_equal(out, "ELLO", 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_called_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unsubscribe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_table_is_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_failure_closes_those_before, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spawn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_output_goes_through_each, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
