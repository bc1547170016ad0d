/* config — the supervisord-style INI configuration, parsed with inih.
 *
 * config_load() reads a whole file (and its [include]s) into a fresh
 * struct corral_config, or collects every error it finds, each as
 * "FILE:LINE: [SECTION]: message". The caller owns the result and frees it
 * with config_free(); a config is never modified after loading, so a reload
 * parses a new one and swaps it in whole. This header is corrald's own:
 * the programs beside it (corralctl) read configs through config_api.h. */
#ifndef CORRAL_CONFIG_H
#define CORRAL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "supervisor/cfgmodel.h"
#include "supervisor/config_types.h"

/* Load PATH. Returns 0 and fills *out, or -EINVAL (or another -errno) with
 * at least one message appended to *errs; *out is then left zeroed. */
int config_load(const char *path, struct corral_config *out, struct config_errors *errs);

/* corrald --init: a main = true program whose config does not say
 * autorestart is not restarted (its end is the container's, as under tini);
 * one that says it keeps its value. */
void config_for_init(struct corral_config *cfg);

/* Parse a config held in memory; NAME is used in messages and as the base
 * for relative [include] globs. Same contract as config_load(). */
int config_load_string(const char *name, const char *text, struct corral_config *out,
		       struct config_errors *errs);

/* A config holding one transient program NAME that runs ARGV once in
 * DIRECTORY (NULL: corrald's), for `corralctl run`: no autostart, no
 * restart, no retry, output not logged. Only the programs of *OUT are set.
 * 0, or -EINVAL / -ENOMEM with ERR filled. */
int config_transient(const char *name, char *const argv[], const char *directory,
		     struct corral_config *out, char *err, size_t errlen);

/* config_load(), which also hands FN every section and key it reads: for
 * a tool that rewrites the file (corralctl migrate). */
int config_visit(const char *path, config_visit_fn *fn, void *arg, struct corral_config *out,
		 struct config_errors *errs);

/* The control socket corrald would use for the config at PATH, into
 * *SOCKET (heap, the caller's), with *RULE saying why: the same reading
 * as config_load()'s, but a config with errors still gives its socket
 * (corralctl -c must reach a corrald whatever the file says now), and no
 * user or group is looked up. Returns 0, or -errno when PATH cannot be
 * read at all, with ERR saying why. */
int config_socket(const char *path, char **socket, enum socket_rule *rule, char *err,
		  size_t errlen);

struct cfgkey;
struct cfgkey_out;

/* The row (cfgkey.h) of KEY in a section named SECTION ("program:x",
 * "supervisord" ...), whether corral takes the key or only checks and
 * ignores it: how corralctl migrate writes it. NULL: the section has no
 * such key (or takes any). */
const struct cfgkey *config_key(const char *section, const char *key);

/* `corrald --check -v`: every key of CFG that applies, defaults included,
 * as "KEY = VALUE" lines in the config's own syntax, section by section,
 * each line handed to OUT (see cfgkey.h): [corral] and the HTTP servers,
 * then each program with each of its processes, then the groups and the
 * sockets, commented. */
void config_show(const struct corral_config *cfg, struct cfgkey_out *out);

void config_free(struct corral_config *cfg);
void config_errors_free(struct config_errors *errs);

#endif
