/* apijson — what the JSON API (api.h, apievents.h) writes: a process's
 * status as the object `corralctl status --json` prints for it, built from
 * the fields procstatus.h composes for every server, by the encoder
 * corralctl prints `status --json` with (ipc/statusjson.h, which also
 * makes strings that are always valid UTF-8), and the answers: a JSON
 * body, or an error object {"code", "message"}.
 *
 * Objects are jansson's (json_t); each function that returns one hands
 * it to the caller (json_decref), NULL when out of memory. */
#ifndef CORRAL_APIJSON_H
#define CORRAL_APIJSON_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "ipc/statusjson.h"

struct http_conn;
struct process;

/* P's status: the keys and values of `corralctl status --json` (with what
 * its tree uses when USAGE). */
json_t *apijson_process(const struct process *p, bool usage);

/* Answer C with STATUS and BODY (taken: decref'd here); a 500 when BODY
 * is NULL or cannot be written. HEADERS: whole lines, "" for none. */
void apijson_answer(struct http_conn *c, int status, json_t *body, const char *headers);
/* Answer C with STATUS and {"code": CODE, "message": ...}. */
void apijson_error(struct http_conn *c, int status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* The same with HEADERS (whole lines). */
void apijson_error_with(struct http_conn *c, int status, const char *headers, const char *code,
			const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#endif
