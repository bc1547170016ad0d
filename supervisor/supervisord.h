/* supervisord — what config.c needs to read supervisord's own files.
 *
 * supervisord 4.2's sections and keys, and what corral makes of each: a key
 * corral has an equivalent for is mapped by config.c; the others are checked
 * the way supervisord checks them and then ignored with a warning, so that
 * an existing supervisord.conf loads unchanged and its user learns what does
 * not carry over. Nothing here prints: messages go back to the caller. */
#ifndef CORRAL_SUPERVISORD_H
#define CORRAL_SUPERVISORD_H

#include <stdbool.h>
#include <stddef.h>

/* The sections of supervisord's format that are not corral's own. */
enum supervisord_section {
	SUPERVISORD_NONE,       /* not one of supervisord's sections */
	SUPERVISORD_MAIN,       /* [supervisord]: read as [corral] */
	SUPERVISORD_UNIX_HTTP,  /* [unix_http_server] */
	SUPERVISORD_INET_HTTP,  /* [inet_http_server] */
	SUPERVISORD_CTL,        /* [supervisorctl] */
	SUPERVISORD_RPC,        /* [rpcinterface:x] */
	SUPERVISORD_CTLPLUGIN,  /* [ctlplugin:x] */
	SUPERVISORD_EVENTLISTENER, /* [eventlistener:x]: config.c reads it as a program (events.c) */
	SUPERVISORD_FCGI,       /* [fcgi-program:x] */
};

/* The kind of section NAME (as written between the brackets). */
enum supervisord_section supervisord_section(const char *name);

/* Why corral does not act on a section of KIND (never SUPERVISORD_MAIN or
 * _NONE): the text of its warning. */
const char *supervisord_section_note(enum supervisord_section kind);

/* The keys a section of KIND takes, NULL-terminated; for SUPERVISORD_MAIN
 * those of [supervisord] that are not [corral]'s. NULL: any key (the
 * factory sections pass their keys on to a Python factory). */
const char *const *supervisord_keys(enum supervisord_section kind);

/* The keys of supervisord's [program:x] that corral's program_keys[] lack. */
extern const char *const supervisord_program_keys[];

/* Check VALUE of KEY in a section of KIND (SUPERVISORD_NONE: a [program:x]
 * key from supervisord_program_keys[]) as supervisord would. Returns 0 when
 * corral has nothing to say; 1 when the value is fine but corral ignores
 * it, with ERR saying so; -EDOM when supervisord would reject it, with ERR
 * saying what it expects. Keys config.c maps (pidfile, childlogdir, umask,
 * directory, environment) are not passed here. */
int supervisord_check(enum supervisord_section kind, const char *key, const char *value,
		      char *err, size_t errlen);

/* Why corral does not act on KEY of a section of KIND (SUPERVISORD_NONE:
 * a [program:x] key from supervisord_program_keys[]); NULL when corral
 * takes the key (or maps it) or when KIND has no such key. */
const char *supervisord_key_note(enum supervisord_section kind, const char *key);

/* The I-th place (from 0) supervisord looks for its file when it is given
 * none, in its order, written into BUF; false past the last or when it
 * does not fit. EXEDIR is the directory of the running binary; the
 * relative ones are relative to the working directory. */
bool supervisord_search_path(size_t i, const char *exedir, char *buf, size_t len);

#endif
