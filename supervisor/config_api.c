/* config_api — the config reader's public face (config_api.h), over
 * corrald's own reader (config.c), its key tables (cfgkey.h) and its
 * knowledge of supervisord's format (supervisord.c). Only this file knows
 * both sides: a change to struct corral_config or to a row stops here. */
#include "supervisor/config_api.h"
#include "supervisor/cfgkey.h"
#include "supervisor/config.h"
#include "supervisor/supervisord.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct config_file {
	struct corral_config cfg;
};

int config_api_socket(const char *path, char **socket, char *err, size_t errlen)
{
	enum socket_rule rule;
	return config_socket(path, socket, &rule, err, errlen);
}

int config_api_read(const char *path, config_visit_fn *fn, void *arg, struct config_file **out,
		    struct config_errors *errs)
{
	*out = NULL;
	struct config_file *cf = calloc(1, sizeof *cf);
	if (!cf)
		return -ENOMEM;
	int rc = config_visit(path, fn, arg, &cf->cfg, errs);
	if (rc < 0) {
		free(cf);
		return rc;
	}
	*out = cf; /* the caller's, freed by config_api_free() */
	return 0;
}

void config_api_free(struct config_file *cf)
{
	if (!cf)
		return;
	config_free(&cf->cfg);
	free(cf);
}

void config_api_errors_free(struct config_errors *errs)
{
	config_errors_free(errs);
}

void config_api_main(const struct config_file *cf, struct config_api_main *out)
{
	const struct corral_config *c = &cf->cfg;
	*out = (struct config_api_main){ .socket = c->socket, .logdir = c->logdir,
					 .pidfile = c->pidfile, .identifier = c->identifier,
					 .nodaemon = c->nodaemon, .minfds = c->minfds,
					 .minprocs = c->minprocs };
}

size_t config_api_nprograms(const struct config_file *cf)
{
	return cf->cfg.nprograms;
}

void config_api_program(const struct config_file *cf, size_t i, struct config_api_program *out)
{
	const struct program_config *p = &cf->cfg.programs[i];
	*out = (struct config_api_program){ .index = i, .name = p->name, .file = p->file,
					    .line = p->line, .group = p->group,
					    .numprocs = p->numprocs,
					    .numprocs_start = p->numprocs_start,
					    .per_process = p->instances != NULL, .umask = p->umask,
					    .is_fcgi = p->is_fcgi, .is_listener = p->is_listener };
}

int config_api_find_program(const struct config_file *cf, const char *name,
			    struct config_api_program *out)
{
	for (size_t i = 0; i < cf->cfg.nprograms; i++) {
		if (strcmp(cf->cfg.programs[i].name, name) == 0) {
			config_api_program(cf, i, out);
			return 0;
		}
	}
	return -ENOENT;
}

bool config_api_has_group(const struct config_file *cf, const char *name)
{
	for (size_t i = 0; i < cf->cfg.ngroups; i++)
		if (strcmp(cf->cfg.groups[i].name, name) == 0)
			return true;
	return false;
}

void config_api_process(const struct config_file *cf, const struct config_api_program *p,
			int index, struct config_api_process *out)
{
	struct program_instance v;
	program_config_instance(&cf->cfg.programs[p->index], index, &v);
	*out = (struct config_api_process){ .command = v.command, .directory = v.directory,
					    .stdout_logfile = v.stdout_logfile,
					    .stderr_logfile = v.stderr_logfile,
					    .environment = v.environment };
}

int config_api_process_name(const struct config_file *cf, const struct config_api_program *p,
			    int num, char *buf, size_t len)
{
	return program_config_process_name(&cf->cfg.programs[p->index], num, buf, len);
}

/* ---- the keys and sections the reader knows ---------------------------- */

static enum supervisord_section to_supervisord(enum config_api_section kind)
{
	switch (kind) {
	case CONFIG_API_SECTION_SUPERVISORD: return SUPERVISORD_MAIN;
	case CONFIG_API_SECTION_HTTP: return SUPERVISORD_UNIX_HTTP;
	case CONFIG_API_SECTION_SUPERVISORCTL: return SUPERVISORD_CTL;
	case CONFIG_API_SECTION_RPCINTERFACE: return SUPERVISORD_RPC;
	case CONFIG_API_SECTION_CTLPLUGIN: return SUPERVISORD_CTLPLUGIN;
	case CONFIG_API_SECTION_EVENTLISTENER: return SUPERVISORD_EVENTLISTENER;
	case CONFIG_API_SECTION_FCGI: return SUPERVISORD_FCGI;
	case CONFIG_API_SECTION_CORRAL: break;
	}
	return SUPERVISORD_NONE;
}

enum config_api_section config_api_section(const char *name)
{
	switch (supervisord_section(name)) {
	case SUPERVISORD_MAIN: return CONFIG_API_SECTION_SUPERVISORD;
	case SUPERVISORD_UNIX_HTTP:
	case SUPERVISORD_INET_HTTP: return CONFIG_API_SECTION_HTTP;
	case SUPERVISORD_CTL: return CONFIG_API_SECTION_SUPERVISORCTL;
	case SUPERVISORD_RPC: return CONFIG_API_SECTION_RPCINTERFACE;
	case SUPERVISORD_CTLPLUGIN: return CONFIG_API_SECTION_CTLPLUGIN;
	case SUPERVISORD_EVENTLISTENER: return CONFIG_API_SECTION_EVENTLISTENER;
	case SUPERVISORD_FCGI: return CONFIG_API_SECTION_FCGI;
	case SUPERVISORD_NONE: break;
	}
	return CONFIG_API_SECTION_CORRAL;
}

const char *config_api_section_note(enum config_api_section kind)
{
	enum supervisord_section k = to_supervisord(kind);
	return k == SUPERVISORD_NONE ? "" : supervisord_section_note(k);
}

static enum config_api_migrate to_api_migrate(enum cfgkey_migrate m)
{
	switch (m) {
	case CFGKEY_AS_WRITTEN: return CONFIG_API_AS_WRITTEN;
	case CFGKEY_RESOLVED: return CONFIG_API_RESOLVED;
	case CFGKEY_PER_PROCESS: return CONFIG_API_PER_PROCESS;
	case CFGKEY_SPLIT: return CONFIG_API_SPLIT;
	case CFGKEY_TO_PROGRAMS: return CONFIG_API_TO_PROGRAMS;
	case CFGKEY_IGNORED: return CONFIG_API_IGNORED;
	}
	return CONFIG_API_AS_WRITTEN;
}

int config_api_key(const char *section, const char *key, struct config_api_key *out)
{
	const struct cfgkey *row = config_key(section, key);
	if (!row)
		return -ENOENT;
	/* KEY, not the row's name: a row standing for another part's keys has none */
	*out = (struct config_api_key){ .name = row->canon ? row->canon : key,
					.migrate = to_api_migrate(row->migrate), .note = row->note };
	return 0;
}

int config_api_key_value(const struct config_file *cf, const char *section, const char *key,
			 const struct config_api_program *p, char *buf, size_t len)
{
	const struct cfgkey *row = config_key(section, key);
	if (!row)
		return -ENOENT;
	/* the struct the row's offsets are into: the program's, or the config's */
	const void *obj = p ? (const void *)&cf->cfg.programs[p->index] : (const void *)&cf->cfg;
	return cfgkey_value(row, obj, buf, len);
}
