/* config_types — what corrald's config reader shares with every caller,
 * corrald (config.h) and the programs beside it (config_api.h) alike: the
 * list of errors a read gives back, the steps of a walk through a file,
 * and where the control socket is when a config does not say. Types
 * only: nothing here is defined in a .c file. */
#ifndef CORRAL_CONFIG_TYPES_H
#define CORRAL_CONFIG_TYPES_H

#include <stdbool.h>
#include <stddef.h>

#define CONFIG_SOCKET_DIR "/run/corral"
#define CONFIG_DEFAULT_SOCKET CONFIG_SOCKET_DIR "/corral.sock"

/* A list of error messages; each string is heap-allocated and owned by it.
 * Warnings (what a supervisord.conf asks for that corral ignores) are kept
 * apart: they never make a load fail. */
struct config_errors {
	char **msgs;
	size_t n;
	char **warnings;        /* "FILE:LINE: [SECTION]: message", like msgs */
	size_t nwarnings;
};

/* One step of a walk through a file (config_api_read(), config_visit()),
 * in the order the files are read (an [include]d file where it is
 * included): a section as it begins (KEY NULL), then each key written in
 * it, corral's or not, with its value as written (continuation lines
 * joined, nothing expanded). */
struct config_item {
	const char *file;       /* as in messages */
	int line;
	const char *section;    /* between the brackets */
	const char *key;        /* NULL: the section begins */
	const char *value;
	/* A supervisord config sets KEY again further down the section: this
	 * value is not used (supervisord keeps the last). */
	bool superseded;
};
typedef void config_visit_fn(void *arg, const struct config_item *item);

#endif
