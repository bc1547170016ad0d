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
