/* reload — a config applied while corrald runs, whole or not at all: read
 * and checked, then planned (the new programs made, the groups given their
 * new settings, the new sockets bound) before anything running is touched,
 * then applied (removed programs retire, changed ones are replaced by a new
 * generation, new ones added), or undone. And supervisord's piecemeal
 * way: reloadConfig (reread: a pending config and what it would change),
 * addProcessGroup and removeProcessGroup. The checks a config passes before
 * it is applied serve corrald's first config too. */
#ifndef CORRAL_RELOAD_H
#define CORRAL_RELOAD_H

#include <stdbool.h>

#include <stddef.h>

#include "supervisor/supervisor_types.h"

/* Re-read the config file and apply it. LINE is called with each line of
 * the summary ("added: web") or, on -EINVAL, of the errors; nothing
 * changes then. 0, -EINVAL, -ENOMEM, or -ESHUTDOWN. */
int reload_run(void (*line)(void *ctx, const char *text), void *ctx);

/* reloadConfig: read the config file again, keep it as the pending config,
 * and name the process groups it adds, changes and removes against what
 * runs (NULL-terminated heap vectors). 0; -EINVAL with ERR. */
int reload_reread(char ***added, char ***changed, char ***removed, char *err, size_t errlen);
/* Whether the config file says what is in force (nothing added, changed or
 * removed, as reload_reread() would find): 0, or -1 with WHY naming the
 * first difference or why it could not be read. Leaves no pending config. */
int reload_unchanged(char *why, size_t whylen);
/* The config last reread, else the running one. */
const struct corral_config *reload_pending_config(void);
/* addProcessGroup: run group NAME of the pending config. 0; -EEXIST,
 * -ENOENT, -EPERM (a log directory), -ENOMEM. */
int reload_group_add(const char *name);
/* removeProcessGroup: take group NAME out of service. 0; -EBUSY while one
 * of its processes runs; -ENOENT. */
int reload_group_remove(const char *name);
/* At exit: the pending config goes. */
void reload_free(void);

/* Every directory the programs of CFG log to (only ONLY's, when not NULL)
 * is one that no one else could swap files in. 0, or -EPERM with ERR in a
 * config error's form ("FILE:LINE: [SECTION]: ..."). */
int reload_check_logdirs(const struct corral_config *cfg, const struct program_config *only,
			 char *err, size_t errlen);
/* Enable the controllers of CFG's cgroup limits where the hierarchy offers
 * them, and say once per program which limit cannot be enforced here. */
void reload_announce_limits(const struct corral_config *cfg);
/* The limits of C that are not in ON, each said on a line of TEXT as
 * "FILE:LINE: NAME: KEY = VALUE is not enforced: WHY" (NO_CGROUPS: the
 * scopes are process groups). False when every one is. */
struct program_config;
bool reload_unenforced(const struct program_config *c, unsigned on, bool no_cgroups, char *text,
		       size_t len);
/* For corrald --check: the limits this host would enforce for CFG (cgroup
 * v2's controllers for corrald's cgroup, and the v1 hierarchies corrald may
 * write), without making anything. */
unsigned reload_host_limits(const struct corral_config *cfg);

#endif
