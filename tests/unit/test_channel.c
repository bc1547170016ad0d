/* Unit tests for ipc/channel.c. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ipc/channel.h"

static int items[64];

static void test_fifo_and_bound(void **state)
{
	(void)state;
	struct channel ch;
	assert_int_equal(channel_init(&ch, 3), 0);
	assert_null(channel_pop(&ch));
	assert_null(channel_peek(&ch));
	for (int i = 0; i < 3; i++)
		assert_int_equal(channel_push(&ch, &items[i]), 0);
	/* Exactly the bound, then refused. */
	assert_true(channel_full(&ch));
	assert_int_equal(channel_push(&ch, &items[3]), -EAGAIN);
	assert_int_equal(channel_len(&ch), 3);
	assert_ptr_equal(channel_peek(&ch), &items[0]);
	assert_ptr_equal(channel_pop(&ch), &items[0]);
	/* Wrap around the ring many times, order kept. */
	int next_in = 3, next_out = 1;
	for (int round = 0; round < 50; round++) {
		assert_int_equal(channel_push(&ch, &items[next_in % 64]), 0);
		next_in++;
		assert_ptr_equal(channel_pop(&ch), &items[next_out % 64]);
		next_out++;
	}
	assert_int_equal(channel_len(&ch), 2);
	/* Read in place, oldest first, across the wrap. */
	assert_int_equal(channel_push(&ch, &items[next_in % 64]), 0);
	for (int i = 0; i < 3; i++)
		assert_ptr_equal(channel_at(&ch, (size_t)i), &items[(next_out + i) % 64]);
	assert_null(channel_at(&ch, 3));
	assert_int_equal(channel_len(&ch), 3);
	assert_ptr_equal(channel_pop(&ch), &items[next_out % 64]);
	assert_int_equal(channel_push(&ch, NULL), -EINVAL);
	channel_free(&ch);
}

static void test_rendezvous(void **state)
{
	(void)state;
	struct channel ch;
	assert_int_equal(channel_init(&ch, 0), 0);
	/* bound 0 holds nothing: the sender must find a receiver itself. */
	assert_true(channel_full(&ch));
	assert_int_equal(channel_push(&ch, &items[0]), -EAGAIN);
	assert_null(channel_pop(&ch));
	assert_int_equal(channel_len(&ch), 0);
	channel_free(&ch);
	assert_int_equal(channel_init(&ch, CHANNEL_MAX_BOUND + 1), -EINVAL);
}

static void test_set_bound_keeps_items(void **state)
{
	(void)state;
	struct channel ch;
	assert_int_equal(channel_init(&ch, 4), 0);
	/* Put the head in the middle of the ring first. */
	channel_push(&ch, &items[0]);
	channel_push(&ch, &items[1]);
	channel_pop(&ch);
	channel_pop(&ch);
	for (int i = 0; i < 4; i++)
		assert_int_equal(channel_push(&ch, &items[10 + i]), 0);
	/* A smaller bound (a reload): nothing is lost, push refuses. */
	assert_int_equal(channel_set_bound(&ch, 1), 0);
	assert_int_equal(channel_len(&ch), 4);
	assert_int_equal(channel_push(&ch, &items[20]), -EAGAIN);
	assert_ptr_equal(channel_pop(&ch), &items[10]);
	assert_ptr_equal(channel_pop(&ch), &items[11]);
	assert_ptr_equal(channel_pop(&ch), &items[12]);
	assert_int_equal(channel_push(&ch, &items[21]), -EAGAIN);
	assert_ptr_equal(channel_pop(&ch), &items[13]);
	assert_int_equal(channel_push(&ch, &items[22]), 0);
	assert_int_equal(channel_push(&ch, &items[23]), -EAGAIN);
	/* Larger: more room, order kept. */
	assert_int_equal(channel_set_bound(&ch, 5), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(channel_push(&ch, &items[30 + i]), 0);
	assert_int_equal(channel_push(&ch, &items[40]), -EAGAIN);
	assert_ptr_equal(channel_pop(&ch), &items[22]);
	for (int i = 0; i < 4; i++)
		assert_ptr_equal(channel_pop(&ch), &items[30 + i]);
	assert_null(channel_pop(&ch));
	/* Down to a rendezvous and back. */
	assert_int_equal(channel_set_bound(&ch, 0), 0);
	assert_int_equal(channel_push(&ch, &items[0]), -EAGAIN);
	assert_int_equal(channel_set_bound(&ch, 2), 0);
	assert_int_equal(channel_push(&ch, &items[0]), 0);
	channel_free(&ch);
}

static bool odd(void *item, void *ctx)
{
	int *seen = ctx;
	int i = (int)((int *)item - items);
	if (i % 2) {
		(*seen)++;
		return true;
	}
	return false;
}

static void test_remove_if(void **state)
{
	(void)state;
	struct channel ch;
	assert_int_equal(channel_init(&ch, 8), 0);
	for (int i = 0; i < 5; i++)
		channel_push(&ch, &items[i]);
	channel_pop(&ch);
	channel_pop(&ch);
	for (int i = 5; i < 10; i++)
		channel_push(&ch, &items[i]);
	/* 2..9 in a wrapped ring; drop the odd ones. */
	int seen = 0;
	assert_int_equal(channel_remove_if(&ch, odd, &seen), 4);
	assert_int_equal(seen, 4);
	assert_int_equal(channel_len(&ch), 4);
	for (int i = 2; i < 10; i += 2)
		assert_ptr_equal(channel_pop(&ch), &items[i]);
	assert_null(channel_pop(&ch));
	/* Room again for the whole bound. */
	for (int i = 0; i < 8; i++)
		assert_int_equal(channel_push(&ch, &items[i]), 0);
	assert_int_equal(channel_remove_if(&ch, odd, &seen), 4);
	channel_free(&ch);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fifo_and_bound),
		cmocka_unit_test(test_rendezvous),
		cmocka_unit_test(test_set_bound_keeps_items),
		cmocka_unit_test(test_remove_if),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
