#include "supervisor/heap.h"

#include <errno.h>
#include <stdlib.h>

static void place(struct heap *h, size_t i, struct heap_node *node)
{
	h->v[i] = node;
	node->index = i;
}

static void sift_up(struct heap *h, size_t i)
{
	struct heap_node *node = h->v[i];
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (h->v[parent]->when <= node->when)
			break;
		place(h, i, h->v[parent]);
		i = parent;
	}
	place(h, i, node);
}

static void sift_down(struct heap *h, size_t i)
{
	struct heap_node *node = h->v[i];
	for (;;) {
		size_t child = 2 * i + 1;
		if (child >= h->n)
			break;
		if (child + 1 < h->n && h->v[child + 1]->when < h->v[child]->when)
			child++;
		if (node->when <= h->v[child]->when)
			break;
		place(h, i, h->v[child]);
		i = child;
	}
	place(h, i, node);
}

int heap_set(struct heap *h, struct heap_node *node, int64_t when)
{
	if (heap_node_queued(node)) {
		int64_t old = node->when;
		node->when = when;
		if (when < old)
			sift_up(h, node->index);
		else
			sift_down(h, node->index);
		return 0;
	}
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 16;
		struct heap_node **v = reallocarray(h->v, cap, sizeof *v);
		if (!v)
			return -ENOMEM;
		h->v = v;
		h->cap = cap;
	}
	node->when = when;
	place(h, h->n++, node);
	sift_up(h, node->index);
	return 0;
}

void heap_remove(struct heap *h, struct heap_node *node)
{
	if (!heap_node_queued(node))
		return;
	size_t i = node->index;
	node->index = HEAP_NONE;
	struct heap_node *last = h->v[--h->n];
	if (i == h->n)
		return;
	place(h, i, last);
	/* The moved node may belong above or below its new place. */
	if (i > 0 && h->v[(i - 1) / 2]->when > last->when)
		sift_up(h, i);
	else
		sift_down(h, i);
}

struct heap_node *heap_top(const struct heap *h)
{
	return h->n ? h->v[0] : NULL;
}

struct heap_node *heap_pop_expired(struct heap *h, int64_t now)
{
	struct heap_node *top = heap_top(h);
	if (!top || top->when > now)
		return NULL;
	heap_remove(h, top);
	return top;
}

void heap_free(struct heap *h)
{
	free(h->v);
	h->v = NULL;
	h->n = h->cap = 0;
}
