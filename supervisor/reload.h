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

struct process;

typedef void reload_line_fn(void *ctx, const char *text);
/* A rolling update begun by a reload is over: OK when every process it
 * took to the new settings became ready. */
typedef void reload_done_fn(void *ctx, bool ok);

/* How a reload rolls (roll.c sets it; without it, changed programs are
 * replaced, and a scale up starts its processes all at once): BEGIN
 * restarts the N processes of V one at a time (starts those that are
 * down), each ready before the next stops, telling LINE and then DONE
 * (exactly once) with CTX; its last line says "K of N WORD". 0, or -errno
 * with WHY. BUSY: is a roll or a scale going on for PROG? */
struct reload_roller {
	int (*begin)(struct process *const *v, size_t n, const char *word, reload_line_fn *line,
		     reload_done_fn *done, void *ctx, char *why, size_t whylen);
	bool (*busy)(const struct program *prog);
};
void reload_set_roller(const struct reload_roller *r);

/* Re-read the config file and apply it. LINE is called with each line of
 * the summary ("added: web") or, on -EINVAL, of the errors; nothing
 * changes then. A changed program whose update_strategy is rolling, and
 * whose change is one each process takes as it starts
 * (program_config_rollable), keeps its processes and takes the new
 * settings in place; the processes that run are then restarted one at a
 * time, each ready before the next (the roller): 1 when such a roll began
 * (LINE then hears its progress, and DONE its end, unless DONE is NULL).
 * 0, 1, -EINVAL, -ENOMEM, or -ESHUTDOWN. */
int reload_run(reload_line_fn *line, reload_done_fn *done, void *ctx);

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
/* Would group NAME of the pending config take its settings in place and
 * roll (as a reload would roll it: update_strategy = rolling, changes each
 * process takes as it starts)? Each of its programs runs in group NAME,
 * equal or rolling, one at least rolling, and the group runs no other. */
bool reload_group_rolls(const char *name);
/* Then do it: the group's programs take the pending settings, and those
 * that changed have their running processes restarted one at a time by
 * the roller, answering nobody (status shows the roll). 0; -ESTALE when
 * it would not roll (any more), -ENOMEM, or the roller's -errno. */
int reload_group_roll(const char *name);
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
