/* cfgexpand — supervisord's %(name)s in config values: %(here)s,
 * %(ENV_X)s, %(program_name)s, %(process_num)d, %(numprocs)d ...
 *
 * Python's "%(name)[flags][width]conv" with conv s, d or i; "%%" is a
 * percent sign; any other '%' is kept as it is. Where supervisord's
 * %(process_num)d makes a program's processes differ, each gets its own
 * values (struct program_instance). */
#ifndef CORRAL_CFGEXPAND_H
#define CORRAL_CFGEXPAND_H

#include <stdbool.h>

#include "supervisor/cfgload.h"

/* What a value may refer to. A NULL string (or !has_num) makes that name
 * an error in this value. */
struct cfgexpand_vars {
	const char *here;       /* directory of the file the value is in */
	const char *program;    /* %(program_name)s and %(group_name)s */
	bool has_num;
	int num;                /* %(process_num)d */
	bool used_num;          /* out: %(process_num) appeared */
	int numprocs;           /* %(numprocs)d; 0: not in a program */
	/* "KEY=value" lists (NULL: none) looked in, in this order, before
	 * corrald's own environment for %(ENV_KEY)s: supervisord's own
	 * environment = and a program's add to the names it expands. */
	char *const *env[2];
};

/* TMPL expanded with V into *OUT (heap, the caller's; NULL on failure):
 * 0, -EINVAL with ERR saying what is wrong, -ENOMEM. */
int cfgexpand(const char *tmpl, struct cfgexpand_vars *v, char **out, char *err, size_t errlen);

/* VALUE of KEY at LINE of SRC expanded, with what its section may refer to
 * (PROGRAM: its program's name, NULL outside a program); NULL after
 * reporting why not. In a program of a supervisord config,
 * %(process_num)d is its first process's number here; each process gets
 * its own value when the section ends (cfgexpand_instances()). corral's
 * own format keeps it to process_name. */
char *cfgexpand_value(struct source *src, int line, const char *key, const char *value,
		      const char *program);

/* The number of KEY among the keys whose values may differ per process
 * (struct program_instance, in its order, environment last: the others
 * may expand what it sets), or -1. */
int cfgexpand_instance_key(const char *key);
#define CFGEXPAND_ENV_KEY 4

/* In a supervisord config, KEY's %(ENV_X)s sees the program's own
 * environment = too (options.py expands these with it). */
bool cfgexpand_env_key(const char *key);

/* supervisord expands %(process_num)d in each process's own values: give
 * each process of the program SRC is reading its own, where the section
 * used it (the templates in its program_meta). */
void cfgexpand_instances(struct source *src);

/* Free P's per-process values. */
void cfgexpand_free_instances(struct program_config *p);

#endif
