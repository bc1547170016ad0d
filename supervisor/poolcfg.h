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

#include "supervisor/cfgmodel.h" /* struct pool_config, struct program_config */

/* The keys, NULL-terminated (a row of config's program table stands for
 * them: cfgprog.c). */
extern const char *const poolcfg_keys[];

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
