/* statusjson — a process's status as one JSON object, from the fields of
 * its status record (proto.h, PS_*): the object `corralctl status --json`
 * prints and the JSON API answers (supervisor/apijson.h), one encoder for
 * both sides of the protocol, on jansson.
 *
 * Each function that returns an object hands it to the caller
 * (json_decref); NULL when out of memory. */
#ifndef CORRAL_STATUSJSON_H
#define CORRAL_STATUSJSON_H

#include <stddef.h>

#include <jansson.h>

/* How the objects are written out: compact, numbers as they are. */
#define STATUSJSON_DUMP (JSON_COMPACT | JSON_REAL_PRECISION(15))

/* The object of the status fields F (PS_NFIELDS strings, "" for an empty
 * or missing one): name, group, state, pid, ... in the order corralctl(1)
 * documents; null where a field says nothing. */
json_t *statusjson_process(const char *const *f);

/* LEN bytes of S as a JSON string; bytes that are not UTF-8 (and NULs)
 * become U+FFFD, so that what a process wrote always goes out. */
json_t *statusjson_string(const char *s, size_t len);

#endif
