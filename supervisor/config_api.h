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

/* Room for a socket address as text ("unix:" and a 107-byte path). */
#define CONFIG_API_ADDR_STRLEN 128

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
	char fcgi_socket[CONFIG_API_ADDR_STRLEN]; /* is_fcgi: "unix:PATH", "tcp:HOST:PORT" */
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

/* Why corral does not act on KEY of [supervisord]; NULL when it takes it
 * or when [supervisord] has no such key. */
const char *config_api_main_key_note(const char *key);
/* True when KEY is one of [supervisord]'s keys that [corral] lacks by
 * name (corral takes those without a note as they are). */
bool config_api_is_supervisord_main_key(const char *key);

/* Why corral does not act on KEY of a [program:x]; NULL when it takes it
 * or when no program has such a key. */
const char *config_api_program_key_note(const char *key);
/* True when KEY is a [program:x] key, corral's or supervisord's. */
bool config_api_is_program_key(const char *key);

#endif
