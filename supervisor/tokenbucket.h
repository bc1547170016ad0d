/* tokenbucket — rate limiting by a token bucket, in integer milli-tokens so
 * that it neither drifts nor needs floating point: RATE tokens a second
 * accrue, at most BURST are kept. Pure: the caller passes the time. */
#ifndef CORRAL_TOKENBUCKET_H
#define CORRAL_TOKENBUCKET_H

#include <stdint.h>

struct token_bucket {
	uint64_t rate;        /* tokens per second; 0: no limit */
	uint64_t burst;       /* the most that can be kept, >= 1 */
	uint64_t milli;       /* tokens held, in thousandths */
	int64_t last_ms;      /* when milli was last brought up to date */
};

/* A full bucket at NOW. */
void tb_init(struct token_bucket *b, uint64_t rate, uint64_t burst, int64_t now_ms);
/* Take up to N tokens at NOW; returns how many were granted. */
uint64_t tb_take(struct token_bucket *b, uint64_t n, int64_t now_ms);
/* Milliseconds from NOW until one whole token is there (0: now). */
int64_t tb_wait_ms(struct token_bucket *b, int64_t now_ms);

#endif
