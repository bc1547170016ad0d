/* apidoc — the OpenAPI 3.1 document of the JSON API (doc/openapi.json),
 * compiled into corrald so that GET /api/v1/openapi.json serves the very
 * text the tests check the answers against; the packages also install it
 * (DOCDIR/openapi.json). */
#ifndef CORRAL_APIDOC_H
#define CORRAL_APIDOC_H

#include <stddef.h>

/* The document's bytes (not NUL-terminated) and their number. */
const char *apidoc_text(size_t *len);

#endif
