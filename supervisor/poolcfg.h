/* poolcfg — the keys of a [pool:NAME] section beyond a program's.
 *
 * A pool is a program whose processes are its workers, so the config reader
 * reads a [pool:] like a [program:] and hands the keys below to
 * poolcfg_apply() (one row of its program table stands for them: cfgprog.c).
 * Plain values only: a pool_config needs no freeing. */
#ifndef CORRAL_POOLCFG_H
#define CORRAL_POOLCFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum pool_framing { POOL_FRAMING_LINE, POOL_FRAMING_LENGTH };
/* What becomes of a job in flight whose producer went away. */
enum pool_cancel { POOL_CANCEL_FINISH, POOL_CANCEL_KILL };

#define POOL_MAX_QUEUE   1000000
#define POOL_MAX_MAILBOX 1024
#define POOL_MAX_RETRIES 100
#define POOL_MAX_RATE    1000000

struct pool_config {
	int workers;              /* its numprocs, default 1 */
	enum pool_framing framing;/* default line */
	int mailbox;              /* jobs in flight per worker, default 1 (line: always 1) */
	int queue;                /* bound of the queue, 0: rendezvous; default 64 */
	int64_t job_timeout_ms;   /* 0: none; default 60 s */
	int job_retries;          /* more tries after a worker crashed, default 1 */
	enum pool_cancel cancel;  /* default finish */
	int submit_rate;          /* jobs a second taken in, per pool and per producer; 0: no limit */
	int submit_burst;         /* jobs at once; 0: as submit_rate */
};

/* The keys, NULL-terminated (a row of config's program table stands for
 * them: cfgprog.c). */
extern const char *const poolcfg_keys[];

struct program_config;

/* A fresh [pool:]: the pool defaults in P->pool, and the program keys
 * whose defaults differ for a pool (autorestart = true, startsecs = 0,
 * process_name NAME_%(process_num)d). 0 or -ENOMEM. */
int poolcfg_init(struct program_config *p);

/* KEY = VALUE in a [pool:] P. 1 when it was a pool key (or a program key a
 * pool refuses) and is taken; 0 when KEY is none of those (a program key);
 * -EDOM with what was expected in ERR; -EINVAL with a message in ERR. */
int poolcfg_apply(struct program_config *p, const char *key, const char *value, char *err,
		  size_t errlen);

/* The section is complete: settings that only make sense together.
 * 0, or -EINVAL with a message in ERR. */
int poolcfg_check(const struct program_config *p, char *err, size_t errlen);

bool poolcfg_equal(const struct pool_config *a, const struct pool_config *b);

const char *poolcfg_framing_name(enum pool_framing f);

/* Each key of C as `corrald --check -v` shows it: LINE gets "KEY = VALUE"
 * for each, in the order of poolcfg_keys[]. */
void poolcfg_show(const struct pool_config *c, void (*line)(void *ctx, const char *text),
		  void *ctx);

#endif
