/* Unit tests for supervisor/heap.c: the deadline heap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "supervisor/heap.h"

static void test_empty(void **state)
{
	(void)state;
	struct heap h = { 0 };
	assert_null(heap_top(&h));
	assert_null(heap_pop_expired(&h, INT64_MAX));
	heap_free(&h);
}

static void test_orders_by_deadline(void **state)
{
	(void)state;
	struct heap h = { 0 };
	struct heap_node n[5];
	int64_t when[5] = { 50, 10, 40, 20, 30 };
	for (int i = 0; i < 5; i++) {
		heap_node_init(&n[i]);
		assert_int_equal(heap_set(&h, &n[i], when[i]), 0);
		assert_true(heap_node_queued(&n[i]));
	}
	assert_ptr_equal(heap_top(&h), &n[1]);
	/* Nothing expires before its deadline. */
	assert_null(heap_pop_expired(&h, 9));
	int64_t last = -1;
	for (int i = 0; i < 5; i++) {
		struct heap_node *top = heap_pop_expired(&h, 100);
		assert_non_null(top);
		assert_true(top->when >= last);
		assert_false(heap_node_queued(top));
		last = top->when;
	}
	assert_null(heap_top(&h));
	heap_free(&h);
}

static void test_remove_and_move(void **state)
{
	(void)state;
	struct heap h = { 0 };
	struct heap_node n[4];
	for (int i = 0; i < 4; i++) {
		heap_node_init(&n[i]);
		assert_int_equal(heap_set(&h, &n[i], (i + 1) * 10), 0);
	}
	heap_remove(&h, &n[0]);
	assert_false(heap_node_queued(&n[0]));
	heap_remove(&h, &n[0]); /* harmless twice */
	assert_ptr_equal(heap_top(&h), &n[1]);
	/* Moving a queued node later and earlier re-sorts it. */
	assert_int_equal(heap_set(&h, &n[1], 100), 0);
	assert_ptr_equal(heap_top(&h), &n[2]);
	assert_int_equal(heap_set(&h, &n[3], 1), 0);
	assert_ptr_equal(heap_top(&h), &n[3]);
	assert_int_equal(h.n, 3);
	heap_free(&h);
}

/* Random operations against a brute-force model. */
static void test_random_against_model(void **state)
{
	(void)state;
	enum { N = 300 };
	struct heap h = { 0 };
	struct heap_node n[N];
	for (int i = 0; i < N; i++)
		heap_node_init(&n[i]);
	srand(12345);
	for (int step = 0; step < 20000; step++) {
		int i = rand() % N;
		if (rand() % 3 == 0)
			heap_remove(&h, &n[i]);
		else
			assert_int_equal(heap_set(&h, &n[i], rand() % 1000), 0);
		/* Heap property and index bookkeeping. */
		for (size_t k = 0; k < h.n; k++) {
			assert_int_equal(h.v[k]->index, k);
			if (k)
				assert_true(h.v[(k - 1) / 2]->when <= h.v[k]->when);
		}
		int64_t min = INT64_MAX;
		size_t queued = 0;
		for (int k = 0; k < N; k++)
			if (heap_node_queued(&n[k])) {
				queued++;
				if (n[k].when < min)
					min = n[k].when;
			}
		assert_int_equal(queued, h.n);
		if (queued)
			assert_int_equal(heap_top(&h)->when, min);
	}
	heap_free(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_orders_by_deadline),
		cmocka_unit_test(test_remove_and_move),
		cmocka_unit_test(test_random_against_model),
	};
	return cmocka_run_group_tests_name("heap", tests, NULL, NULL);
}
