/* apijson — the JSON API's objects and answers (apijson.h). */
#include "supervisor/apijson.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipc/statusjson.h"
#include "supervisor/http.h"
#include "supervisor/log.h"
#include "supervisor/procstatus.h"

json_t *apijson_process(const struct process *p, bool usage)
{
	struct procstatus ps;
	procstatus_fill(p, &ps, usage);
	return statusjson_process(ps.fields);
}

void apijson_answer(struct http_conn *c, int status, json_t *body, const char *headers)
{
	char *text = body ? json_dumps(body, STATUSJSON_DUMP) : NULL;
	json_decref(body);
	if (!text) {
		log_err("api: out of memory for an answer");
		http_respond_error(c, 500);
		return;
	}
	char head[HTTP_HEADERS_MAX];
	snprintf(head, sizeof head, "Cache-Control: no-store\r\n%s", headers);
	http_respond_with(c, status, "application/json", head, text, strlen(text));
	free(text);
}

__attribute__((format(printf, 5, 0)))
static void error_answer(struct http_conn *c, int status, const char *headers, const char *code,
			 const char *fmt, va_list ap)
{
	char msg[1024];
	vsnprintf(msg, sizeof msg, fmt, ap);
	json_t *o = json_object();
	if (o && (json_object_set_new(o, "code", json_string(code)) < 0 ||
		  json_object_set_new(o, "message", statusjson_string(msg, strlen(msg))) < 0)) {
		json_decref(o);
		o = NULL;
	}
	apijson_answer(c, status, o, headers);
}

void apijson_error(struct http_conn *c, int status, const char *code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	error_answer(c, status, "", code, fmt, ap);
	va_end(ap);
}

void apijson_error_with(struct http_conn *c, int status, const char *headers, const char *code,
			const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	error_answer(c, status, headers, code, fmt, ap);
	va_end(ap);
}
