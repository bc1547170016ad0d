/* watchmatch — what watch_exclude = says of a path, pure (no I/O): the
 * part that watches (watch.c) asks it of each path an event names. */
#ifndef CORRAL_WATCHMATCH_H
#define CORRAL_WATCHMATCH_H

#include <stdbool.h>

/* Is REL, a path relative to a watched root ("a/b/c.txt"; "" for the root
 * itself), excluded by one of GLOBS (NULL-terminated; NULL: none)? A glob
 * without '/' is matched (fnmatch, no flags) against each component of REL,
 * so that an excluded directory excludes what is under it ("*.swp",
 * ".git"); a glob with '/' against REL whole and what leads to it
 * (FNM_PATHNAME | FNM_LEADING_DIR: "build/tmp" excludes build/tmp/x/y,
 * and a star crosses no '/'). The root itself is never excluded. */
bool watchmatch_excluded(char *const *globs, const char *rel);

#endif
