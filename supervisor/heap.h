/* heap — a binary min-heap of deadlines, for the one timerfd of corrald.
 *
 * Nodes are embedded in their owners (a process, a control client); the
 * heap stores pointers and keeps each node's index, so removing or moving a
 * node is O(log n) and needs no search. A node not in a heap has
 * index HEAP_NONE. The heap owns only its pointer array. */
#ifndef CORRAL_HEAP_H
#define CORRAL_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HEAP_NONE ((size_t)-1)

struct heap_node {
	int64_t when;   /* deadline, CLOCK_MONOTONIC milliseconds */
	size_t index;   /* position in the heap, HEAP_NONE when not queued */
};

struct heap {
	struct heap_node **v;
	size_t n, cap;
};

static inline void heap_node_init(struct heap_node *node)
{
	node->when = 0;
	node->index = HEAP_NONE;
}

static inline bool heap_node_queued(const struct heap_node *node)
{
	return node->index != HEAP_NONE;
}

/* Queue NODE at WHEN, or move it there if already queued. 0 or -ENOMEM. */
int heap_set(struct heap *h, struct heap_node *node, int64_t when);
/* Remove NODE if queued; harmless otherwise. */
void heap_remove(struct heap *h, struct heap_node *node);
/* The earliest node, or NULL. */
struct heap_node *heap_top(const struct heap *h);
/* Remove and return the earliest node if its deadline is <= NOW, else NULL. */
struct heap_node *heap_pop_expired(struct heap *h, int64_t now);
void heap_free(struct heap *h);

#endif
