/* watchmatch — what watch_exclude = says of a path (watchmatch.h). */
#include "supervisor/watchmatch.h"

#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

/* GLOB against each component of REL. */
static bool any_component(const char *glob, const char *rel)
{
	char comp[NAME_MAX + 1];
	while (*rel) {
		size_t n = strcspn(rel, "/");
		if (n > 0 && n <= NAME_MAX) {
			memcpy(comp, rel, n);
			comp[n] = '\0';
			if (fnmatch(glob, comp, 0) == 0)
				return true;
		}
		rel += n;
		if (*rel == '/')
			rel++;
	}
	return false;
}

bool watchmatch_excluded(char *const *globs, const char *rel)
{
	if (!globs || !*rel)
		return false;
	for (size_t i = 0; globs[i]; i++) {
		const char *g = globs[i];
		if (strchr(g, '/') ? fnmatch(g, rel, FNM_PATHNAME | FNM_LEADING_DIR) == 0
				   : any_component(g, rel))
			return true;
	}
	return false;
}
