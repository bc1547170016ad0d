#include "supervisor/tokenbucket.h"

void tb_init(struct token_bucket *b, uint64_t rate, uint64_t burst, int64_t now_ms)
{
	b->rate = rate;
	b->burst = burst ? burst : 1;
	b->milli = b->burst * 1000;
	b->last_ms = now_ms;
}

static void refill(struct token_bucket *b, int64_t now_ms)
{
	if (now_ms <= b->last_ms)
		return; /* the clock is monotonic; equal means nothing accrued */
	uint64_t elapsed = (uint64_t)(now_ms - b->last_ms);
	uint64_t cap = b->burst * 1000;
	/* rate tokens/s = rate milli-tokens/ms. Either factor alone past the
	 * cap fills the bucket; below it the product cannot overflow (burst is
	 * bounded by the config). */
	if (elapsed >= cap || b->rate >= cap || elapsed * b->rate >= cap - b->milli)
		b->milli = cap;
	else
		b->milli += elapsed * b->rate;
	b->last_ms = now_ms;
}

uint64_t tb_take(struct token_bucket *b, uint64_t n, int64_t now_ms)
{
	if (!b->rate)
		return n;
	refill(b, now_ms);
	uint64_t have = b->milli / 1000;
	uint64_t got = n < have ? n : have;
	b->milli -= got * 1000;
	return got;
}

int64_t tb_wait_ms(struct token_bucket *b, int64_t now_ms)
{
	if (!b->rate)
		return 0;
	refill(b, now_ms);
	if (b->milli >= 1000)
		return 0;
	uint64_t missing = 1000 - b->milli;
	return (int64_t)((missing + b->rate - 1) / b->rate);
}
