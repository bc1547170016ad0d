#include "supervisor/path.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

bool path_component_ok(const char *name)
{
	if (!name || !*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return false;
	return !strchr(name, '/') && strnlen(name, NAME_MAX + 1) <= NAME_MAX;
}

int path_join(char *buf, size_t len, const char *dir, const char *name)
{
	if (!path_component_ok(name))
		return -EINVAL;
	int n = snprintf(buf, len, "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return 0;
}

/* mountinfo escapes blanks and backslashes as \ooo. */
void path_unescape_octal(char *s)
{
	char *w = s;
	for (char *r = s; *r; r++) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
		    r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
			r += 3;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
}
