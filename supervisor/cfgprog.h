/* cfgprog — the keys of a [program:] and of its kin ([pool:],
 * [fcgi-program:], [eventlistener:], each with its own keys besides), as
 * a table of rows (cfgkey.h): read, defaults, equality for reload and the
 * verbose dump all come from it. Not for use outside config's files but
 * by the unit tests. */
#ifndef CORRAL_CFGPROG_H
#define CORRAL_CFGPROG_H

#include "supervisor/cfgkey.h"
#include "supervisor/cfgload.h" /* and with it config.h, as for the other tables */

/* The fields of struct program_config, numbered from 1 in their order. */
enum program_field {
	PF_NONE,
#define PF_ENUM(type, name) PF_##name,
#define PF_ENUM_ARRAY(type, name, n) PF_##name,
	PROGRAM_CONFIG_FIELDS(PF_ENUM, PF_ENUM_ARRAY)
#undef PF_ENUM
#undef PF_ENUM_ARRAY
	PF_COUNT
};

/* Their names, by number. */
extern const char *const cfgprog_field_names[PF_COUNT];

/* The rows: every key of the program sections, then every field no key
 * sets (CFGKEY_FIELD), in the order `corrald --check -v` shows them. */
extern const struct cfgkey_table cfgprog_table;

/* The program kinds P is of (CFGKEY_FCGI ...), for cfgkey_find(). */
unsigned cfgprog_kinds(const struct program_config *p);

/* The number of KEY among P's keys (for its struct cfgkey_seen). */
size_t cfgprog_key_id(const struct program_config *p, const char *key);

/* A new program for the section named SECTION ("program:NAME",
 * "pool:NAME" ...) written at FILE:LINE, with every default, at the end
 * of LD's programs (counted even when half-built, so that it is freed):
 * 0 or -ENOMEM. */
int cfgprog_new(struct loader *ld, const char *section, const char *file, int line, int fseq);

/* KEY = VALUE at LINE of the program SRC is reading (begin_key() has
 * found it a key of the section): applied now, or once the section is
 * read when it needs what is set below it. */
void cfgprog_key(struct source *src, const char *key, int line, const char *value);

/* The program SRC is reading is complete: what waited for the section's
 * end, each process's own values, the checks of keys together. */
void cfgprog_finish(struct source *src);

/* What a supervisord config's programs inherit from [supervisord]. */
void cfgprog_inherit(struct loader *ld);
/* What goes for the output of every program, in either format:
 * [supervisord] strip_ansi, and stdout_logfile = syslog. */
void cfgprog_output(struct loader *ld);

void cfgprog_free(struct program_config *p);

/* The section header, its processes and every row of P on OUT. */
void cfgprog_show(const struct program_config *p, struct cfgkey_out *out);

#endif
