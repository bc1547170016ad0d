/* config_api — corrald's config reader as a library, for the programs
 * beside corrald: corralctl finds the control socket of `-c FILE` with it,
 * and `corralctl migrate` reads a supervisord config with it.
 *
 * It is the reader's public face: a caller includes this header and no
 * other of supervisor/, and sees a loaded config only through the handle
 * and the views below, never corrald's own structures (config.h), which
 * change as corrald does. Both read a file the same way, so what corralctl
 * makes of a file is what corrald makes of it. Nothing here prints; errors
 * go back in a struct config_errors or an ERR buffer. */
#ifndef CORRAL_CONFIG_API_H
#define CORRAL_CONFIG_API_H

#include <stdbool.h>
#include <stddef.h>

#include "supervisor/config_types.h"

/* A config as corrald reads it; opaque. */
struct config_file;

/* The control socket corrald would use for the config at PATH, into
 * *SOCKET (heap, the caller's). A config with errors still gives its
 * socket (corralctl -c must reach a corrald whatever the file says now).
 * 0, or -errno when PATH cannot be read at all, with ERR saying why. */
int config_api_socket(const char *path, char **socket, char *err, size_t errlen);

/* Read PATH as corrald does, handing FN every section and key as written
 * (FN may be NULL). 0 and *OUT, which the caller frees with
 * config_api_free(); or -EINVAL with every error of the file in ERRS
 * ("FILE:LINE: [SECTION]: message", as corrald --check says them), or
 * another -errno, *OUT NULL. ERRS is the caller's to free with
 * config_api_errors_free(). */
int config_api_read(const char *path, config_visit_fn *fn, void *arg, struct config_file **out,
		    struct config_errors *errs);
void config_api_free(struct config_file *cf);
void config_api_errors_free(struct config_errors *errs);

/* The [corral] (or [supervisord]) values corrald resolved. The strings
 * are CF's. */
struct config_api_main {
	const char *socket;
	const char *logdir;
	const char *pidfile;    /* NULL: none */
	const char *identifier;
	bool nodaemon;
	unsigned long minfds, minprocs;
};
void config_api_main(const struct config_file *cf, struct config_api_main *out);

/* One program (a [program:], [fcgi-program:], [eventlistener:] or
 * [pool:] section) as corrald resolved it. The strings are CF's. */
struct config_api_program {
	size_t index;           /* its place in CF, for config_api_process() */
	const char *name;
	const char *file;       /* where its section was written */
	int line;
	const char *group;      /* the [group:] it is in; NULL: none */
	int numprocs;
	int numprocs_start;
	/* %(process_num)d makes its processes' command, directory, log
	 * files or environment differ */
	bool per_process;
	int umask;              /* -1: inherited */
	bool is_fcgi;
	bool is_listener;
};
size_t config_api_nprograms(const struct config_file *cf);
/* Program I (0 .. config_api_nprograms() - 1) into *OUT. */
void config_api_program(const struct config_file *cf, size_t i, struct config_api_program *out);
/* The program named NAME into *OUT: 0, or -ENOENT. */
int config_api_find_program(const struct config_file *cf, const char *name,
			    struct config_api_program *out);
/* True when CF has a [group:NAME]. */
bool config_api_has_group(const struct config_file *cf, const char *name);

/* What process INDEX (0 .. numprocs - 1) of a program runs with: its own
 * values where %(process_num)d made them differ, else the program's. The
 * strings are CF's. */
struct config_api_process {
	const char *command;
	const char *directory;          /* NULL: corrald's */
	const char *stdout_logfile;     /* NULL: the default, "NONE": none */
	const char *stderr_logfile;
	char *const *environment;       /* "KEY=value", NULL-terminated */
};
void config_api_process(const struct config_file *cf, const struct config_api_program *p,
			int index, struct config_api_process *out);
/* The name of the program's process number NUM (numprocs_start-based)
 * into BUF: 0, or -ENAMETOOLONG. */
int config_api_process_name(const struct config_file *cf, const struct config_api_program *p,
			    int num, char *buf, size_t len);

/* ---- the keys and sections the reader knows ---------------------------- */

/* What a section is, by the name between its brackets, among those of
 * supervisord's format that are not corral's own. */
enum config_api_section {
	CONFIG_API_SECTION_CORRAL,      /* not supervisord's: corral's own, or unknown */
	CONFIG_API_SECTION_SUPERVISORD, /* [supervisord]: read as [corral] */
	CONFIG_API_SECTION_HTTP,        /* [unix_http_server], [inet_http_server] */
	CONFIG_API_SECTION_SUPERVISORCTL,
	CONFIG_API_SECTION_RPCINTERFACE,
	CONFIG_API_SECTION_CTLPLUGIN,
	CONFIG_API_SECTION_EVENTLISTENER, /* read as a program */
	CONFIG_API_SECTION_FCGI,        /* [fcgi-program:x], read as a program */
};
enum config_api_section config_api_section(const char *name);
/* What corral says of a section of KIND it does not act on (its warning):
 * "" when it has nothing to say. */
const char *config_api_section_note(enum config_api_section kind);

/* How `corralctl migrate` writes a key of a supervisord config in
 * corral's format: what the key's row in the reader's tables says. */
enum config_api_migrate {
	CONFIG_API_AS_WRITTEN,  /* the value as written: both formats mean the same */
	CONFIG_API_RESOLVED,    /* the value corrald resolved (config_api_key_value()),
				 * '%' doubled */
	CONFIG_API_PER_PROCESS, /* each process's own (config_api_process()) */
	CONFIG_API_SPLIT,       /* as written, unless the program is split per process */
	CONFIG_API_TO_PROGRAMS, /* [supervisord]'s, which its programs inherit: into each */
	CONFIG_API_IGNORED,     /* commented out, with the note */
};

/* A key of a section, as the reader's tables have it. */
struct config_api_key {
	const char *name;       /* the name corral's format gives it (logdir for
				 * supervisord's childlogdir): the row's, or KEY */
	enum config_api_migrate migrate;
	const char *note;       /* CONFIG_API_IGNORED: why corral does not act on it */
};
/* KEY of a section named SECTION ("supervisord", "program:x" ...), one
 * corral takes or one it only checks and ignores, into *OUT: 0, or
 * -ENOENT when the section has no such key (or takes any). */
int config_api_key(const char *section, const char *key, struct config_api_key *out);

/* The value corrald resolved for KEY of SECTION in CF (program P's, or
 * with P NULL [corral]'s), as `corrald --check -v` shows it, into BUF: 0;
 * -ENOENT when the key has no such value (none set); -ENAMETOOLONG when
 * it does not fit. */
int config_api_key_value(const struct config_file *cf, const char *section, const char *key,
			 const struct config_api_program *p, char *buf, size_t len);

#endif
