/* channel — a bounded FIFO of pointers (see channel.h). */
#include "ipc/channel.h"

#include <errno.h>
#include <stdlib.h>

/* Copy the items, oldest first, into a fresh array of SIZE slots. */
static int regrow(struct channel *ch, size_t size)
{
	void **slot = NULL;
	if (size) {
		slot = calloc(size, sizeof *slot);
		if (!slot)
			return -ENOMEM;
	}
	for (size_t i = 0; i < ch->len; i++)
		slot[i] = ch->slot[(ch->head + i) % ch->size];
	free(ch->slot);
	ch->slot = slot;
	ch->size = size;
	ch->head = 0;
	return 0;
}

int channel_init(struct channel *ch, size_t bound)
{
	*ch = (struct channel){ 0 };
	return channel_set_bound(ch, bound);
}

void channel_free(struct channel *ch)
{
	free(ch->slot);
	*ch = (struct channel){ 0 };
}

int channel_set_bound(struct channel *ch, size_t bound)
{
	if (bound > CHANNEL_MAX_BOUND)
		return -EINVAL;
	/* Room for every item already in, even past a smaller bound. */
	size_t size = bound > ch->len ? bound : ch->len;
	if (size != ch->size) {
		int r = regrow(ch, size);
		if (r < 0)
			return r;
	}
	ch->bound = bound;
	return 0;
}

int channel_push(struct channel *ch, void *item)
{
	if (!item)
		return -EINVAL;
	if (ch->len >= ch->bound)
		return -EAGAIN;
	/* len < bound <= size: there is a free slot. */
	ch->slot[(ch->head + ch->len) % ch->size] = item;
	ch->len++;
	return 0;
}

void *channel_peek(const struct channel *ch)
{
	return ch->len ? ch->slot[ch->head] : NULL;
}

void *channel_at(const struct channel *ch, size_t i)
{
	return i < ch->len ? ch->slot[(ch->head + i) % ch->size] : NULL;
}

void *channel_pop(struct channel *ch)
{
	if (!ch->len)
		return NULL;
	void *item = ch->slot[ch->head];
	ch->slot[ch->head] = NULL;
	ch->head = (ch->head + 1) % ch->size;
	ch->len--;
	/* Shrink back to the bound once a reload's surplus is gone. */
	if (ch->size > ch->bound && ch->len <= ch->bound)
		(void)regrow(ch, ch->bound); /* on failure it simply stays larger */
	return item;
}

size_t channel_remove_if(struct channel *ch, bool (*drop)(void *item, void *ctx), void *ctx)
{
	size_t kept = 0, n = ch->len;
	for (size_t i = 0; i < n; i++) {
		void *item = ch->slot[(ch->head + i) % ch->size];
		if (drop(item, ctx))
			continue;
		ch->slot[(ch->head + kept) % ch->size] = item;
		kept++;
	}
	for (size_t i = kept; i < n; i++)
		ch->slot[(ch->head + i) % ch->size] = NULL;
	ch->len = kept;
	return n - kept;
}
