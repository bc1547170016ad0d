/* channel — a bounded FIFO of pointers: the queue in front of a pool's
 * workers (and, later, of a pipeline's stages).
 *
 * A channel holds at most `bound` items. bound = 0 is a rendezvous: push
 * always refuses, so the sender must hand its item straight to a receiver
 * that is waiting, or wait itself. The bound can change while items are in
 * it (a reload); items already in stay, and push refuses until the channel
 * is back under the new bound.
 *
 * The channel owns its slot array, never the items. Nothing here prints;
 * functions return 0 or -errno. */
#ifndef CORRAL_CHANNEL_H
#define CORRAL_CHANNEL_H

#include <stdbool.h>
#include <stddef.h>

#define CHANNEL_MAX_BOUND (1u << 24)

struct channel {
	void **slot;     /* ring of `size` slots; heap, owned; NULL while size is 0 */
	size_t size;     /* slots allocated: max(bound, len) */
	size_t head;     /* index of the oldest item */
	size_t len;      /* items in it */
	size_t bound;    /* push refuses at len >= bound */
};

/* An empty channel of BOUND (at most CHANNEL_MAX_BOUND). 0, -EINVAL, -ENOMEM. */
int channel_init(struct channel *ch, size_t bound);
/* Frees the slots (not the items). */
void channel_free(struct channel *ch);

/* Append ITEM (not NULL). -EAGAIN when full (always, with bound 0). */
int channel_push(struct channel *ch, void *item);
/* Take the oldest item, or NULL when empty. */
void *channel_pop(struct channel *ch);
/* The oldest item without taking it, or NULL. */
void *channel_peek(const struct channel *ch);
/* The I-th oldest item (0 is the oldest) without taking it, or NULL past the end. */
void *channel_at(const struct channel *ch, size_t i);

static inline size_t channel_len(const struct channel *ch) { return ch->len; }
static inline bool channel_full(const struct channel *ch) { return ch->len >= ch->bound; }

/* Change the bound; the items stay, in order. 0, -EINVAL, -ENOMEM (the
 * channel is then unchanged). */
int channel_set_bound(struct channel *ch, size_t bound);

/* Remove, keeping the order of the rest, every item for which DROP(item,
 * CTX) is true; each removed item is passed to it exactly once. Returns how
 * many were removed. */
size_t channel_remove_if(struct channel *ch, bool (*drop)(void *item, void *ctx), void *ctx);

#endif
