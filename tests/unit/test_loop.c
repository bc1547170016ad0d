/* Unit tests for supervisor/loop.c: watches on real pipes call their
 * owners back with their context, deadlines fire in order on the real
 * timerfd, and callbacks may unwatch, free and set what they like. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <cmocka.h>

#include "supervisor/loop.h"

/* Turns a test waits for something, at most (each up to a second). */
#define MAX_TURNS 20

/* ---- watches ---- */

struct reader {
	struct watch w;
	int fd[2];
	int calls;
	uint32_t events;
	struct reader *other;   /* unwatched (and freed) by this one's callback */
};

static void reader_open(struct reader *r, loop_watch_fn *fn)
{
	memset(r, 0, sizeof *r);
	assert_int_equal(pipe2(r->fd, O_CLOEXEC | O_NONBLOCK), 0);
	loop_watch_init(&r->w, fn, r);
}

static void reader_close(struct reader *r)
{
	loop_unwatch(&r->w);
	close(r->fd[0]);
	close(r->fd[1]);
}

static void counted(struct watch *w, uint32_t events)
{
	struct reader *r = w->ctx;
	assert_ptr_equal(&r->w, w);
	r->calls++;
	r->events = events;
	char buf[16];
	(void)!read(r->fd[0], buf, sizeof buf);
}

static void test_watch_calls_its_owner(void **state)
{
	(void)state;
	struct reader a, b;
	reader_open(&a, counted);
	reader_open(&b, counted);
	assert_int_equal(loop_watch(a.fd[0], EPOLLIN, &a.w), 0);
	assert_int_equal(loop_watch(b.fd[0], EPOLLIN, &b.w), 0);
	assert_int_equal(a.w.fd, a.fd[0]);
	assert_int_equal(loop_watch(a.fd[0], EPOLLIN, &a.w), -EEXIST);
	/* nothing to read: nothing called */
	assert_int_equal(loop_run_once(0), 0);
	assert_int_equal(a.calls + b.calls, 0);
	assert_int_equal(write(b.fd[1], "x", 1), 1);
	assert_int_equal(loop_run_once(1000), 1);
	assert_int_equal(a.calls, 0);
	assert_int_equal(b.calls, 1);
	assert_true(b.events & EPOLLIN);
	/* watched for nothing: data waits, no call */
	assert_int_equal(loop_watch_mod(&b.w, 0), 0);
	assert_int_equal(write(b.fd[1], "y", 1), 1);
	assert_int_equal(loop_run_once(0), 0);
	assert_int_equal(loop_watch_mod(&b.w, EPOLLIN), 0);
	assert_int_equal(loop_run_once(1000), 1);
	assert_int_equal(b.calls, 2);
	/* unwatched: never called again; twice is harmless */
	loop_unwatch(&b.w);
	assert_int_equal(b.w.fd, -1);
	loop_unwatch(&b.w);
	assert_int_equal(loop_watch_mod(&b.w, EPOLLIN), -ENOENT);
	assert_int_equal(write(b.fd[1], "z", 1), 1);
	assert_int_equal(loop_run_once(0), 0);
	assert_int_equal(b.calls, 2);
	reader_close(&a);
	reader_close(&b);
}

/* Unwatches itself, and unwatches and frees the other reader: an event of
 * the other in the same batch must not reach it (ASan would see it). */
static struct reader *survivor;

static void unwatch_both(struct watch *w, uint32_t events)
{
	struct reader *r = w->ctx;
	r->calls++;
	survivor = r;
	loop_unwatch(w);
	if (r->other) {
		reader_close(r->other);
		free(r->other);
		r->other = NULL;
	}
}

static void test_callback_unwatches_others(void **state)
{
	(void)state;
	struct reader *a = malloc(sizeof *a), *b = malloc(sizeof *b);
	assert_non_null(a);
	assert_non_null(b);
	reader_open(a, unwatch_both);
	reader_open(b, unwatch_both);
	a->other = b;
	b->other = a;
	assert_int_equal(loop_watch(a->fd[0], EPOLLIN, &a->w), 0);
	assert_int_equal(loop_watch(b->fd[0], EPOLLIN, &b->w), 0);
	/* both ready in one batch; whichever comes first frees the other */
	assert_int_equal(write(a->fd[1], "x", 1), 1);
	assert_int_equal(write(b->fd[1], "x", 1), 1);
	survivor = NULL;
	assert_int_equal(loop_run_once(1000), 2);
	assert_non_null(survivor);
	assert_int_equal(survivor->calls, 1);
	assert_int_equal(survivor->w.fd, -1);
	/* and, unwatched, it is not called again */
	assert_int_equal(write(survivor->fd[1], "y", 1), 1);
	assert_int_equal(loop_run_once(0), 0);
	assert_int_equal(survivor->calls, 1);
	reader_close(survivor);
	free(survivor);
}

/* ---- deadlines ---- */

struct timed {
	struct deadline d;
	int id;
};

static int fired[16];
static int nfired;

static void record(struct deadline *d)
{
	struct timed *t = d->ctx;
	assert_ptr_equal(&t->d, d);
	assert_false(loop_timer_pending(d));
	assert_true(nfired < 16);
	fired[nfired++] = t->id;
}

/* Run turns until N deadlines have fired (or give up). */
static void run_until_fired(int n)
{
	for (int i = 0; i < MAX_TURNS && nfired < n; i++)
		assert_true(loop_run_once(1000) >= 0);
}

static void test_deadlines_fire_in_order(void **state)
{
	(void)state;
	nfired = 0;
	struct timed t[4];
	int64_t now = loop_now_ms();
	int64_t at[4] = { now + 60, now + 20, now - 5 /* passed already */, now + 40 };
	for (int i = 0; i < 4; i++) {
		t[i].id = i;
		loop_timer_init(&t[i].d, record, &t[i]);
		assert_false(loop_timer_pending(&t[i].d));
		assert_int_equal(loop_timer_set(&t[i].d, at[i]), 0);
		assert_true(loop_timer_pending(&t[i].d));
	}
	run_until_fired(4);
	assert_int_equal(nfired, 4);
	assert_int_equal(fired[0], 2);
	assert_int_equal(fired[1], 1);
	assert_int_equal(fired[2], 3);
	assert_int_equal(fired[3], 0);
	assert_true(loop_now_ms() >= now + 60);
}

/* Every turn counts, one with events or none (the metrics' counter). */
static void test_turns_counted(void **state)
{
	(void)state;
	uint64_t before = loop_turns();
	assert_int_equal(loop_run_once(0), 0);
	assert_int_equal(loop_run_once(0), 0);
	assert_true(loop_turns() == before + 2);
}

static void test_cancel_and_move(void **state)
{
	(void)state;
	nfired = 0;
	struct timed a = { .id = 1 }, b = { .id = 2 }, c = { .id = 3 };
	loop_timer_init(&a.d, record, &a);
	loop_timer_init(&b.d, record, &b);
	loop_timer_init(&c.d, record, &c);
	int64_t now = loop_now_ms();
	assert_int_equal(loop_timer_set(&a.d, now + 10), 0);
	assert_int_equal(loop_timer_set(&b.d, now + 20), 0);
	assert_int_equal(loop_timer_set(&c.d, now + 5), 0);
	loop_timer_cancel(&a.d);
	assert_false(loop_timer_pending(&a.d));
	loop_timer_cancel(&a.d); /* harmless twice */
	/* moved later than B: fires after it */
	assert_int_equal(loop_timer_set(&c.d, now + 40), 0);
	run_until_fired(2);
	assert_int_equal(nfired, 2);
	assert_int_equal(fired[0], 2);
	assert_int_equal(fired[1], 3);
	/* nothing left: A never comes */
	assert_int_equal(loop_run_once(50), 0);
	assert_int_equal(nfired, 2);
}

struct chain {
	struct deadline d, next, later;
	int rounds;
};

static void chain_next(struct deadline *d)
{
	nfired++;
}

/* Sets another deadline that is due now (it runs in this same turn), one
 * for later, and itself again, twice. */
static void chain_first(struct deadline *d)
{
	struct chain *c = d->ctx;
	nfired++;
	assert_int_equal(loop_timer_set(&c->next, loop_now_ms()), 0);
	assert_int_equal(loop_timer_set(&c->later, loop_now_ms() + 20), 0);
	if (++c->rounds < 3)
		assert_int_equal(loop_timer_set(d, loop_now_ms() + 5), 0);
}

static void test_deadline_sets_deadlines(void **state)
{
	(void)state;
	nfired = 0;
	struct chain c = { .rounds = 0 };
	loop_timer_init(&c.d, chain_first, &c);
	loop_timer_init(&c.next, chain_next, &c);
	loop_timer_init(&c.later, chain_next, &c);
	assert_int_equal(loop_timer_set(&c.d, loop_now_ms()), 0);
	assert_int_equal(loop_run_once(1000), 1);
	assert_int_equal(nfired, 2); /* the first and the one due now */
	assert_true(loop_timer_pending(&c.later));
	for (int i = 0; i < MAX_TURNS && (loop_timer_pending(&c.d) ||
					    loop_timer_pending(&c.next) ||
					    loop_timer_pending(&c.later)); i++)
		assert_true(loop_run_once(1000) >= 0);
	assert_int_equal(c.rounds, 3);
	/* three rounds of two, and LATER once: each round moved it on */
	assert_int_equal(nfired, 7);
	assert_false(loop_timer_pending(&c.later));
}

static int setup(void **state)
{
	(void)state;
	return loop_init() == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	loop_close();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_watch_calls_its_owner, setup, teardown),
		cmocka_unit_test_setup_teardown(test_callback_unwatches_others, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deadlines_fire_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_and_move, setup, teardown),
		cmocka_unit_test_setup_teardown(test_turns_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deadline_sets_deadlines, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
