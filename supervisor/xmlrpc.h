/* xmlrpc — XML-RPC's values, read from a methodCall with expat and
 * written into responses, for the supervisord-compatible server (rpc.c).
 *
 * Pure: no I/O, no global state. A call is parsed whole into a tree of
 * struct xval (bounded in depth and in size by the caller's request
 * limit); a response is written with the xb_* builder, whose errors (out
 * of memory) stick and are checked once at the end. */
#ifndef CORRAL_XMLRPC_H
#define CORRAL_XMLRPC_H

#include <stdbool.h>
#include <stddef.h>

enum xv_type { XV_STRING, XV_INT, XV_BOOL, XV_DOUBLE, XV_ARRAY, XV_STRUCT, XV_NIL,
	       XV_BASE64, XV_DATETIME };

struct xval {
	enum xv_type type;
	long long i;            /* XV_INT, XV_BOOL */
	double d;               /* XV_DOUBLE */
	char *s;                /* XV_STRING, XV_BASE64, XV_DATETIME: NUL-terminated text */
	size_t slen;
	struct xval *items;     /* XV_ARRAY, XV_STRUCT */
	char **keys;            /* XV_STRUCT: each item's member name */
	size_t n;
};

struct xcall {
	char *method;
	struct xval params;     /* an XV_ARRAY */
};

/* Nesting deeper than this is refused. */
#define XMLRPC_MAX_DEPTH 32

/* Parse a methodCall of LEN bytes. 0, or -EINVAL with ERR saying why
 * (-ENOMEM). *OUT is set only on success. */
int xmlrpc_parse_call(const char *buf, size_t len, struct xcall *out, char *err, size_t errlen);
void xcall_free(struct xcall *c);
void xval_free(struct xval *v);

/* The member KEY of struct V, or NULL. */
const struct xval *xval_member(const struct xval *v, const char *key);

/* A growing response. */
struct xbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

void xb_free(struct xbuf *b);
void xb_raw(struct xbuf *b, const char *s, size_t n);
/* <?xml ...?><methodResponse><params><param>, and its end. */
void xb_response_begin(struct xbuf *b);
void xb_response_end(struct xbuf *b);
/* A whole fault response. */
void xb_fault(struct xbuf *b, int code, const char *msg);
/* A fault as a value, {faultCode, faultString}: what system.multicall
 * answers for a call that failed. */
void xb_fault_value(struct xbuf *b, int code, const char *msg);
void xb_string(struct xbuf *b, const char *s);
void xb_string_n(struct xbuf *b, const char *s, size_t n);
void xb_int(struct xbuf *b, long long v);
void xb_bool(struct xbuf *b, bool v);
void xb_value(struct xbuf *b, const struct xval *v);
void xb_array_begin(struct xbuf *b);
void xb_array_end(struct xbuf *b);
void xb_struct_begin(struct xbuf *b);
void xb_struct_end(struct xbuf *b);
/* Inside a struct: <member><name>NAME</name> then a value, then xb_member_end. */
void xb_member(struct xbuf *b, const char *name);
void xb_member_end(struct xbuf *b);
/* Shorthands for a member with a plain value. */
void xb_member_string(struct xbuf *b, const char *name, const char *v);
void xb_member_int(struct xbuf *b, const char *name, long long v);
void xb_member_bool(struct xbuf *b, const char *name, bool v);

#endif
