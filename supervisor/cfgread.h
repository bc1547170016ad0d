/* cfgread — reading a config: the files and their [include]s, line by
 * line through inih, each key handed to its section's table (cfgprog.c,
 * cfgsect.c) as its value is complete. Not for use outside config's
 * files. */
#ifndef CORRAL_CFGREAD_H
#define CORRAL_CFGREAD_H

#include <stddef.h>
#include <sys/stat.h>

#include "supervisor/cfgload.h"

/* Read the config file PATH whole into *TEXT (heap, NUL-terminated, owned
 * by the caller) and its identity into *ST: only a regular file of a real
 * file system, within the bounds on one file and on all of a load's, so
 * that --check ends whatever it is pointed at. On failure the reason is
 * reported at FROM:FROM_LINE (the [include] that named it; NULL for the
 * main file) and *TEXT is NULL; -errno. */
int cfgread_file_text(struct loader *ld, const char *path, struct source *from, int from_line,
		      char **text, size_t *len, struct stat *st);

/* Read SRC (its name, text and textlen set) into LD, [include]s and all. */
void cfgread_source(struct loader *ld, struct source *src);

/* The prepass is done: sort what it found, and make each record name the
 * line whose value is used, the last of the key in its section. */
void cfgread_superseded_finish(struct loader *ld);

#endif
