/* api — the JSON API, routes under /api/v1/ on every HTTP server corrald
 * serves (http.h): the programs' status, start, stop, restart and signal,
 * a part of a log, reload, the event stream (apievents.h) and the OpenAPI
 * document that describes all of it (doc/openapi.json, compiled in:
 * apidoc.h). corrald(8) says what each answers.
 *
 * The route checks its requests' credentials itself (HTTP_ROUTE_OWN_AUTH):
 * the server's Basic ones, or its api_token_file's bearer token, so that a
 * refusal is a JSON error like every other. Nothing changes on a GET; a
 * POST is refused on a read_only = true server and from another site (the
 * web page's rule, webform.h). Processes are changed through the core's
 * face, supervisor.h. */
#ifndef CORRAL_API_H
#define CORRAL_API_H

/* Register the route and subscribe to the core's hooks. 0, or -ENOSPC. */
int api_init(void);

#endif
