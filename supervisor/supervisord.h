/* supervisord — what the config reader needs to read supervisord's own files.
 *
 * supervisord 4.2's sections, and the keys corral has no equivalent for:
 * the keys corral maps are rows of its own tables (cfgprog.c, cfgsect.c);
 * these are checked the way supervisord checks them and then ignored with
 * a warning, so that an existing supervisord.conf loads unchanged and its
 * user learns what does not carry over. Nothing here prints. */
#ifndef CORRAL_SUPERVISORD_H
#define CORRAL_SUPERVISORD_H

#include <stdbool.h>
#include <stddef.h>

#include "supervisor/cfgkey.h"

/* The sections of supervisord's format that are not corral's own. */
enum supervisord_section {
	SUPERVISORD_NONE,       /* not one of supervisord's sections */
	SUPERVISORD_MAIN,       /* [supervisord]: read as [corral] */
	SUPERVISORD_UNIX_HTTP,  /* [unix_http_server] */
	SUPERVISORD_INET_HTTP,  /* [inet_http_server] */
	SUPERVISORD_CTL,        /* [supervisorctl] */
	SUPERVISORD_RPC,        /* [rpcinterface:x] */
	SUPERVISORD_CTLPLUGIN,  /* [ctlplugin:x] */
	SUPERVISORD_EVENTLISTENER, /* [eventlistener:x]: read as a program (cfgprog.c) */
	SUPERVISORD_FCGI,       /* [fcgi-program:x] */
};

/* The kind of section NAME (as written between the brackets). */
enum supervisord_section supervisord_section(const char *name);

/* Why corral does not act on a section of KIND (never SUPERVISORD_MAIN or
 * _NONE): the text of its warning. */
const char *supervisord_section_note(enum supervisord_section kind);

/* What corral checks of supervisord's own keys but does not act on: for
 * a section of KIND, the rows (cfgkey.h) of the keys corral's own tables
 * (cfgprog.c, cfgsect.c) lack, each with supervisord's type and, for a key
 * corral ignores, why (a warning, unless the value is one that changes
 * nothing). SUPERVISORD_MAIN: [supervisord]'s beyond what [corral] takes;
 * SUPERVISORD_NONE: [program:x]'s. NULL: any key (the factory sections
 * pass their keys on to a Python factory). An empty table for a section
 * corral reads whole (the HTTP servers). */
const struct cfgkey_table *supervisord_keys(enum supervisord_section kind);

/* The I-th place (from 0) supervisord looks for its file when it is given
 * none, in its order, written into BUF; false past the last or when it
 * does not fit. EXEDIR is the directory of the running binary; the
 * relative ones are relative to the working directory. */
bool supervisord_search_path(size_t i, const char *exedir, char *buf, size_t len);

#endif
