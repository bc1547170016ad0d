/* poolcfg — the keys of a [pool:NAME] section (see poolcfg.h). */
#include "supervisor/poolcfg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor/cfgmodel.h"

#define POOL_MAX_WORKERS 1000            /* as numprocs */
#define POOL_MAX_TIMEOUT_MS (1000000LL * 1000)

const char *const poolcfg_keys[] = {
	"workers", "framing", "mailbox", "queue", "job_timeout", "job_retries", "cancel",
	"submit_rate", "submit_burst", NULL,
};

int poolcfg_init(struct program_config *p)
{
	p->pool = (struct pool_config){
		.workers = 1,
		.framing = POOL_FRAMING_LINE,
		.mailbox = 1,
		.queue = 64,
		.job_timeout_ms = 60 * 1000,
		.job_retries = 1,
		.cancel = POOL_CANCEL_FINISH,
	};
	p->is_pool = true;
	/* A worker that ends is replaced whatever its status: the pool needs
	 * its workers. It takes jobs as soon as it runs. */
	p->autorestart = AUTORESTART_TRUE;
	p->startsecs = 0;
	char *name = strdup("%(program_name)s_%(process_num)d");
	if (!name)
		return -ENOMEM;
	free(p->process_name);
	p->process_name = name;
	return 0;
}

static bool parse_count(const char *s, long min, long max, int *out)
{
	long v = 0;
	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (*s - '0');
		if (v > max)
			return false;
	}
	if (v < min)
		return false;
	*out = (int)v;
	return true;
}

/* "2", "0.5", "1.25": seconds with at most millisecond precision. */
static bool parse_seconds_ms(const char *s, int64_t *out)
{
	int64_t whole = 0, frac = 0;
	int digits = 0, fdigits = 0;
	for (; *s >= '0' && *s <= '9'; s++, digits++) {
		whole = whole * 10 + (*s - '0');
		if (whole > POOL_MAX_TIMEOUT_MS / 1000)
			return false;
	}
	if (*s == '.') {
		for (s++; *s >= '0' && *s <= '9'; s++, fdigits++)
			if (fdigits < 3)
				frac = frac * 10 + (*s - '0');
			else if (*s != '0')
				return false; /* finer than a millisecond */
		if (!fdigits)
			return false;
	}
	if (*s || !digits)
		return false;
	for (int i = fdigits; i < 3; i++)
		frac *= 10;
	*out = whole * 1000 + frac;
	return true;
}

int poolcfg_apply(struct program_config *p, const char *key, const char *value, char *err,
		  size_t errlen)
{
	struct pool_config *c = &p->pool;
	if (strcmp(key, "workers") == 0) {
		if (!parse_count(value, 1, POOL_MAX_WORKERS, &c->workers)) {
			snprintf(err, errlen, "an integer from 1 to %d", POOL_MAX_WORKERS);
			return -EDOM;
		}
		p->numprocs = c->workers;
	} else if (strcmp(key, "framing") == 0) {
		if (strcmp(value, "line") == 0)
			c->framing = POOL_FRAMING_LINE;
		else if (strcmp(value, "length") == 0)
			c->framing = POOL_FRAMING_LENGTH;
		else {
			snprintf(err, errlen, "line or length");
			return -EDOM;
		}
	} else if (strcmp(key, "mailbox") == 0) {
		if (!parse_count(value, 1, POOL_MAX_MAILBOX, &c->mailbox)) {
			snprintf(err, errlen, "an integer from 1 to %d", POOL_MAX_MAILBOX);
			return -EDOM;
		}
	} else if (strcmp(key, "queue") == 0) {
		if (!parse_count(value, 0, POOL_MAX_QUEUE, &c->queue)) {
			snprintf(err, errlen, "an integer from 0 to %d", POOL_MAX_QUEUE);
			return -EDOM;
		}
	} else if (strcmp(key, "job_timeout") == 0) {
		if (!parse_seconds_ms(value, &c->job_timeout_ms)) {
			snprintf(err, errlen, "seconds (0: none), at most %lld, to the millisecond",
				 POOL_MAX_TIMEOUT_MS / 1000);
			return -EDOM;
		}
	} else if (strcmp(key, "job_retries") == 0) {
		if (!parse_count(value, 0, POOL_MAX_RETRIES, &c->job_retries)) {
			snprintf(err, errlen, "an integer from 0 to %d", POOL_MAX_RETRIES);
			return -EDOM;
		}
	} else if (strcmp(key, "cancel") == 0) {
		if (strcmp(value, "finish") == 0)
			c->cancel = POOL_CANCEL_FINISH;
		else if (strcmp(value, "kill") == 0)
			c->cancel = POOL_CANCEL_KILL;
		else {
			snprintf(err, errlen, "finish or kill");
			return -EDOM;
		}
	} else if (strcmp(key, "submit_rate") == 0 || strcmp(key, "submit_burst") == 0) {
		int *v = key[7] == 'r' ? &c->submit_rate : &c->submit_burst;
		if (!parse_count(value, key[7] == 'r' ? 0 : 1, POOL_MAX_RATE, v)) {
			snprintf(err, errlen, "an integer from %d to %d", key[7] == 'r' ? 0 : 1,
				 POOL_MAX_RATE);
			return -EDOM;
		}
	} else if (strcmp(key, "numprocs") == 0) {
		snprintf(err, errlen, "numprocs: a pool has workers = N instead");
		return -EINVAL;
	} else if (strcmp(key, "stdout_logfile") == 0 || strncmp(key, "stdout_logfile_", 15) == 0) {
		snprintf(err, errlen, "%s: a pool worker's stdout carries its results, not a log", key);
		return -EINVAL;
	} else {
		return 0;
	}
	return 1;
}

int poolcfg_check(const struct program_config *p, char *err, size_t errlen)
{
	if (p->pool.mailbox > 1 && p->pool.framing != POOL_FRAMING_LENGTH) {
		snprintf(err, errlen, "mailbox = %d needs framing = length (a line worker takes "
				      "one job at a time)", p->pool.mailbox);
		return -EINVAL;
	}
	if (p->redirect_stderr) {
		snprintf(err, errlen, "redirect_stderr = true would mix its log into its results");
		return -EINVAL;
	}
	return 0;
}

bool poolcfg_equal(const struct pool_config *a, const struct pool_config *b)
{
	return a->workers == b->workers && a->framing == b->framing && a->mailbox == b->mailbox &&
	       a->queue == b->queue && a->job_timeout_ms == b->job_timeout_ms &&
	       a->job_retries == b->job_retries && a->cancel == b->cancel &&
	       a->submit_rate == b->submit_rate && a->submit_burst == b->submit_burst;
}

const char *poolcfg_framing_name(enum pool_framing f)
{
	return f == POOL_FRAMING_LENGTH ? "length" : "line";
}

void poolcfg_show(const struct pool_config *c, void (*line)(void *ctx, const char *text),
		  void *ctx)
{
	char buf[128];
	snprintf(buf, sizeof buf, "workers = %d", c->workers);
	line(ctx, buf);
	snprintf(buf, sizeof buf, "framing = %s", poolcfg_framing_name(c->framing));
	line(ctx, buf);
	snprintf(buf, sizeof buf, "mailbox = %d", c->mailbox);
	line(ctx, buf);
	snprintf(buf, sizeof buf, "queue = %d", c->queue);
	line(ctx, buf);
	snprintf(buf, sizeof buf, "job_timeout = %lld.%03lld", (long long)c->job_timeout_ms / 1000,
		 (long long)c->job_timeout_ms % 1000);
	line(ctx, buf);
	snprintf(buf, sizeof buf, "job_retries = %d", c->job_retries);
	line(ctx, buf);
	snprintf(buf, sizeof buf, "cancel = %s", c->cancel == POOL_CANCEL_KILL ? "kill" : "finish");
	line(ctx, buf);
	snprintf(buf, sizeof buf, "submit_rate = %d", c->submit_rate);
	line(ctx, buf);
	snprintf(buf, sizeof buf, "submit_burst = %d", c->submit_burst);
	line(ctx, buf);
}
