/* path — paths that corrald builds from a name (a process's cgroup leaf,
 * its log files): the name must be one path component, so that what is
 * built stays inside the directory it is joined to whatever the name is.
 * The config already refuses such names (config_name_problem()); this is
 * the second line, where the paths are made. Pure: no I/O, no printing. */
#ifndef CORRAL_PATH_H
#define CORRAL_PATH_H

#include <stdbool.h>
#include <stddef.h>

/* True when NAME is exactly one path component: not empty, not "." or "..",
 * no '/', and at most NAME_MAX bytes. */
bool path_component_ok(const char *name);

/* "DIR/NAME" into BUF. 0; -EINVAL when NAME is not one path component
 * (path_component_ok()); -ENAMETOOLONG when it does not fit in LEN. */
int path_join(char *buf, size_t len, const char *dir, const char *name);
/* Undo, in place, the octal escapes (\040 for a space) of a path in
 * /proc/self/mountinfo. */
void path_unescape_octal(char *s);

#endif
