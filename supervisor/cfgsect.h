/* cfgsect — the sections of a config besides the programs: [corral] (and
 * supervisord's [supervisord], the same section), [group:] and
 * [pipeline:], [socket:], and supervisord's HTTP servers, each a table of
 * rows (cfgkey.h). Not for use outside config's files. */
#ifndef CORRAL_CFGSECT_H
#define CORRAL_CFGSECT_H

#include "supervisor/cfgkey.h"
#include "supervisor/cfgload.h"

/* The table of a section of type SECT (SEC_CORRAL, SEC_GROUP, SEC_SOCKET,
 * or SEC_FOREIGN with FOREIGN its enum supervisord_section); NULL for a
 * foreign section corral has no keys of its own for. */
const struct cfgkey_table *cfgsect_table(int sect, int foreign);

/* [corral]'s defaults that are the same in both formats, into LD->cfg. */
int cfgsect_defaults(struct loader *ld);

/* A new [group:] or [pipeline:] (SECTION as written), or [socket:NAME],
 * at the end of LD's: 0 or -ENOMEM (counted even when half-built, so
 * that it is freed). */
int cfgsect_new_group(struct loader *ld, const char *section, const char *file, int line,
		      int fseq);
int cfgsect_new_socket(struct loader *ld, const char *name, const char *file, int line,
		       int fseq);

/* KEY = VALUE at LINE of the section SRC is reading, any but a program or
 * [include] (begin_key() has found it a key of the section). */
void cfgsect_key(struct source *src, const char *key, int line, const char *value);

/* The section SRC is reading is complete: what it lacks, what corral
 * does not do of it. */
void cfgsect_finish(struct source *src);

/* `corrald --check -v`: [corral] and the HTTP servers; the groups and the
 * sockets. */
void cfgsect_show_main(const struct corral_config *cfg, struct cfgkey_out *out);
void cfgsect_show_groups(const struct corral_config *cfg, struct cfgkey_out *out);

#endif
