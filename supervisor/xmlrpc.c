/* xmlrpc — XML-RPC values: a methodCall read with expat, responses written.
 *
 * The call is read with expat's callbacks into a tree: a stack of the open
 * elements, each knowing the value it fills. Only the elements of the
 * XML-RPC spec are accepted, each only where the spec puts it; a DOCTYPE
 * (and with it every entity declaration) is refused, so nothing expands. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <expat.h>

#include "supervisor/xmlrpc.h"

enum elem {
	E_CALL, E_METHOD, E_PARAMS, E_PARAM, E_VALUE, E_ARRAY, E_DATA, E_STRUCT, E_MEMBER,
	E_NAME, E_SCALAR,
};

struct frame {
	enum elem e;
	struct xval *v;         /* E_VALUE, E_ARRAY, E_STRUCT, E_MEMBER: the value it fills */
	bool typed;             /* E_VALUE: a type element was seen in it */
	enum xv_type scalar;    /* E_SCALAR: its type */
};

struct parse {
	XML_Parser xp;
	struct xcall *call;
	struct frame stack[XMLRPC_MAX_DEPTH * 3 + 8];
	int depth;
	char *text;
	size_t tlen, tcap;
	bool collecting;
	bool done_call;         /* </methodCall> seen */
	char *err;
	size_t errlen;
	int rc;                 /* 0, -EINVAL, -ENOMEM */
};

static void fail(struct parse *ps, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fail(struct parse *ps, int rc, const char *fmt, ...)
{
	if (ps->rc)
		return;
	ps->rc = rc;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ps->err, ps->errlen, fmt, ap);
	va_end(ap);
	XML_StopParser(ps->xp, XML_FALSE);
}

void xval_free(struct xval *v)
{
	if (!v)
		return;
	free(v->s);
	for (size_t i = 0; i < v->n; i++) {
		xval_free(&v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	memset(v, 0, sizeof *v);
}

void xcall_free(struct xcall *c)
{
	if (!c)
		return;
	free(c->method);
	xval_free(&c->params);
	memset(c, 0, sizeof *c);
}

const struct xval *xval_member(const struct xval *v, const char *key)
{
	if (!v || v->type != XV_STRUCT)
		return NULL;
	for (size_t i = 0; i < v->n; i++)
		if (v->keys[i] && strcmp(v->keys[i], key) == 0)
			return &v->items[i];
	return NULL;
}

/* A new last item of container C (an array, a struct or the params). */
static struct xval *append(struct parse *ps, struct xval *c)
{
	struct xval *items = realloc(c->items, (c->n + 1) * sizeof *items);
	if (!items) {
		fail(ps, -ENOMEM, "out of memory");
		return NULL;
	}
	c->items = items;
	if (c->type == XV_STRUCT) {
		char **keys = realloc(c->keys, (c->n + 1) * sizeof *keys);
		if (!keys) {
			fail(ps, -ENOMEM, "out of memory");
			return NULL;
		}
		c->keys = keys;
		keys[c->n] = NULL;
	}
	memset(&items[c->n], 0, sizeof items[c->n]);
	return &items[c->n++];
}

static const struct {
	const char *name;
	enum xv_type type;
} scalars[] = {
	{ "i4", XV_INT }, { "int", XV_INT }, { "i8", XV_INT }, { "boolean", XV_BOOL },
	{ "string", XV_STRING }, { "double", XV_DOUBLE }, { "base64", XV_BASE64 },
	{ "dateTime.iso8601", XV_DATETIME }, { "nil", XV_NIL },
};

static void start_text(struct parse *ps)
{
	ps->tlen = 0;
	ps->collecting = true;
}

static void on_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
	struct parse *ps = ud;
	(void)attrs;
	if (ps->rc)
		return;
	if (ps->depth == (int)(sizeof ps->stack / sizeof ps->stack[0])) {
		fail(ps, -EINVAL, "nested deeper than %d values", XMLRPC_MAX_DEPTH);
		return;
	}
	struct frame *up = ps->depth ? &ps->stack[ps->depth - 1] : NULL;
	struct frame f = { .v = up ? up->v : NULL };
	enum elem want = up ? up->e : E_CALL;
	bool ok = false;
	ps->collecting = false;

	if (!up) {
		ok = strcmp(name, "methodCall") == 0 && !ps->done_call;
		f.e = E_CALL;
	} else if (want == E_CALL && strcmp(name, "methodName") == 0) {
		ok = !ps->call->method;
		f.e = E_METHOD;
		start_text(ps);
	} else if (want == E_CALL && strcmp(name, "params") == 0) {
		ok = true;
		f.e = E_PARAMS;
		f.v = &ps->call->params;
	} else if (want == E_PARAMS && strcmp(name, "param") == 0) {
		ok = true;
		f.e = E_PARAM;
		f.v = &ps->call->params;
	} else if (strcmp(name, "value") == 0 &&
		   (want == E_PARAM || want == E_DATA || want == E_MEMBER)) {
		if (want == E_MEMBER) {
			/* the member's item, made at <member>, takes one value */
			ok = up->v->type == XV_NIL && !up->typed;
			up->typed = true;
			f.v = up->v;
			f.v->type = XV_STRING;
		} else {
			if (want == E_PARAM && up->typed) {
				fail(ps, -EINVAL, "a <param> holds one <value>");
				return;
			}
			up->typed = true;
			f.v = append(ps, up->v);
			if (!f.v)
				return;
			ok = true;
		}
		f.e = E_VALUE;
		start_text(ps);
	} else if (want == E_VALUE && !up->typed) {
		up->typed = true;
		if (strcmp(name, "array") == 0) {
			ok = true;
			f.e = E_ARRAY;
			f.v->type = XV_ARRAY;
		} else if (strcmp(name, "struct") == 0) {
			ok = true;
			f.e = E_STRUCT;
			f.v->type = XV_STRUCT;
		} else {
			for (size_t i = 0; i < sizeof scalars / sizeof scalars[0]; i++)
				if (strcmp(name, scalars[i].name) == 0) {
					ok = true;
					f.e = E_SCALAR;
					f.scalar = scalars[i].type;
					f.v->type = scalars[i].type;
					start_text(ps);
				}
		}
	} else if (want == E_ARRAY && strcmp(name, "data") == 0) {
		ok = !up->typed;
		up->typed = true;
		f.e = E_DATA;
	} else if (want == E_STRUCT && strcmp(name, "member") == 0) {
		f.e = E_MEMBER;
		f.v = append(ps, up->v);
		if (!f.v)
			return;
		f.v->type = XV_NIL; /* until its <value> */
		ok = true;
	} else if (want == E_MEMBER && strcmp(name, "name") == 0) {
		struct xval *st = ps->stack[ps->depth - 2].v;
		ok = !st->keys[st->n - 1];
		f.e = E_NAME;
		start_text(ps);
	}
	if (!ok) {
		fail(ps, -EINVAL, "unexpected <%s> at line %lu", name,
		     (unsigned long)XML_GetCurrentLineNumber(ps->xp));
		return;
	}
	ps->stack[ps->depth++] = f;
	if (ps->depth > XMLRPC_MAX_DEPTH * 3)
		fail(ps, -EINVAL, "nested deeper than %d values", XMLRPC_MAX_DEPTH);
}

static void on_text(void *ud, const XML_Char *s, int len)
{
	struct parse *ps = ud;
	if (ps->rc || !ps->collecting || len <= 0)
		return;
	if (ps->tlen + (size_t)len + 1 > ps->tcap) {
		size_t cap = ps->tcap ? ps->tcap : 64;
		while (cap < ps->tlen + (size_t)len + 1)
			cap *= 2;
		char *t = realloc(ps->text, cap);
		if (!t) {
			fail(ps, -ENOMEM, "out of memory");
			return;
		}
		ps->text = t;
		ps->tcap = cap;
	}
	memcpy(ps->text + ps->tlen, s, (size_t)len);
	ps->tlen += (size_t)len;
	ps->text[ps->tlen] = '\0';
}

static char *take_text(struct parse *ps)
{
	char *s = malloc(ps->tlen + 1);
	if (!s) {
		fail(ps, -ENOMEM, "out of memory");
		return NULL;
	}
	if (ps->tlen)
		memcpy(s, ps->text, ps->tlen);
	s[ps->tlen] = '\0';
	return s;
}

/* The text of a number, without the blanks around it. */
static const char *trimmed(struct parse *ps)
{
	if (!ps->text)
		return "";
	char *s = ps->text, *e = ps->text + ps->tlen;
	while (s < e && strchr(" \t\r\n", *s))
		s++;
	while (e > s && strchr(" \t\r\n", e[-1]))
		*--e = '\0';
	return s;
}

static void end_scalar(struct parse *ps, struct frame *f)
{
	struct xval *v = f->v;
	const char *t;
	char *end;
	switch (f->scalar) {
	case XV_INT:
		t = trimmed(ps);
		errno = 0;
		v->i = strtoll(t, &end, 10);
		if (!*t || *end || errno)
			fail(ps, -EINVAL, "bad <int> '%.40s'", t);
		break;
	case XV_BOOL:
		t = trimmed(ps);
		if (strcmp(t, "0") != 0 && strcmp(t, "1") != 0)
			fail(ps, -EINVAL, "bad <boolean> '%.40s'", t);
		v->i = t[0] == '1';
		break;
	case XV_DOUBLE:
		t = trimmed(ps);
		errno = 0;
		v->d = strtod(t, &end);
		if (!*t || *end || errno)
			fail(ps, -EINVAL, "bad <double> '%.40s'", t);
		break;
	case XV_NIL:
		break;
	default:
		if ((v->s = take_text(ps)))
			v->slen = ps->tlen;
		break;
	}
}

static void on_end(void *ud, const XML_Char *name)
{
	struct parse *ps = ud;
	(void)name; /* expat checks that it closes the open element */
	if (ps->rc || ps->depth == 0)
		return;
	struct frame *f = &ps->stack[--ps->depth];
	switch (f->e) {
	case E_CALL:
		ps->done_call = true;
		break;
	case E_METHOD:
		ps->call->method = take_text(ps);
		break;
	case E_SCALAR:
		end_scalar(ps, f);
		break;
	case E_VALUE:
		if (!f->typed && (f->v->s = take_text(ps))) /* a bare <value>: a string */
			f->v->slen = ps->tlen;
		break;
	case E_NAME: {
		struct xval *sv = ps->stack[ps->depth - 2].v;
		sv->keys[sv->n - 1] = take_text(ps);
		break;
	}
	case E_MEMBER: {
		struct xval *sv = ps->stack[ps->depth - 1].v;
		if (!sv->keys[sv->n - 1] || !f->typed)
			fail(ps, -EINVAL, "a <member> needs a <name> and a <value>");
		break;
	}
	default:
		break;
	}
	ps->collecting = false;
}

static void on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
		       const XML_Char *pubid, int has_internal_subset)
{
	(void)name, (void)sysid, (void)pubid, (void)has_internal_subset;
	fail(ud, -EINVAL, "a DOCTYPE is not allowed");
}

int xmlrpc_parse_call(const char *buf, size_t len, struct xcall *out, char *err, size_t errlen)
{
	struct xcall call = { .params = { .type = XV_ARRAY } };
	struct parse ps = { .call = &call, .err = err, .errlen = errlen };
	if (len > (size_t)INT32_MAX) {
		snprintf(err, errlen, "request too large");
		return -EINVAL;
	}
	ps.xp = XML_ParserCreate(NULL);
	if (!ps.xp) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	XML_SetUserData(ps.xp, &ps);
	XML_SetElementHandler(ps.xp, on_start, on_end);
	XML_SetCharacterDataHandler(ps.xp, on_text);
	XML_SetStartDoctypeDeclHandler(ps.xp, on_doctype);
	if (XML_Parse(ps.xp, buf, (int)len, XML_TRUE) == XML_STATUS_ERROR && !ps.rc)
		fail(&ps, -EINVAL, "XML error at line %lu: %s",
		     (unsigned long)XML_GetCurrentLineNumber(ps.xp),
		     XML_ErrorString(XML_GetErrorCode(ps.xp)));
	if (!ps.rc && !call.method)
		fail(&ps, -EINVAL, "no <methodName>");
	XML_ParserFree(ps.xp);
	free(ps.text);
	if (ps.rc) {
		xcall_free(&call);
		return ps.rc;
	}
	*out = call;
	return 0;
}

/* ---- responses ---- */

void xb_free(struct xbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof *b);
}

void xb_raw(struct xbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void xb_s(struct xbuf *b, const char *s)
{
	xb_raw(b, s, strlen(s));
}

/* Length of the valid UTF-8 sequence at S (at most N bytes), 0 if none. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len;
	unsigned min;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, min = 0x10000;
	else
		return 0;
	if (len > n)
		return 0;
	unsigned cp = c & (0xff >> (len + 1));
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* Text as XML character data: markup escaped; what XML 1.0 cannot carry
 * (control characters, broken UTF-8, as a program's log may hold) becomes
 * U+FFFD, so that any client's parser takes the answer. */
static void xb_escaped(struct xbuf *b, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t run = 0, i = 0;
	while (i < n) {
		unsigned c = u[i];
		size_t len = 1;
		const char *rep = NULL;
		if (c == '&')
			rep = "&amp;";
		else if (c == '<')
			rep = "&lt;";
		else if (c == '>')
			rep = "&gt;";
		else if (c == '\r')
			rep = "&#13;"; /* kept: a parser would fold it into \n */
		else if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f)
			rep = "\xef\xbf\xbd";
		else if (c >= 0x80 && !(len = utf8_len(u + i, n - i))) {
			rep = "\xef\xbf\xbd";
			len = 1;
		}
		if (rep) {
			xb_raw(b, s + run, i - run);
			xb_s(b, rep);
			run = i + len;
		}
		i += len;
	}
	xb_raw(b, s + run, n - run);
}

void xb_string_n(struct xbuf *b, const char *s, size_t n)
{
	xb_s(b, "<value><string>");
	xb_escaped(b, s, n);
	xb_s(b, "</string></value>");
}

void xb_string(struct xbuf *b, const char *s)
{
	xb_string_n(b, s ? s : "", s ? strlen(s) : 0);
}

void xb_int(struct xbuf *b, long long v)
{
	char num[64];
	/* XML-RPC's int is 32 bits; supervisord caps its times the same way */
	if (v > INT32_MAX)
		v = INT32_MAX;
	if (v < INT32_MIN)
		v = INT32_MIN;
	int n = snprintf(num, sizeof num, "<value><int>%lld</int></value>", v);
	xb_raw(b, num, (size_t)n);
}

void xb_bool(struct xbuf *b, bool v)
{
	xb_s(b, v ? "<value><boolean>1</boolean></value>" : "<value><boolean>0</boolean></value>");
}

void xb_array_begin(struct xbuf *b)
{
	xb_s(b, "<value><array><data>");
}

void xb_array_end(struct xbuf *b)
{
	xb_s(b, "</data></array></value>");
}

void xb_struct_begin(struct xbuf *b)
{
	xb_s(b, "<value><struct>");
}

void xb_struct_end(struct xbuf *b)
{
	xb_s(b, "</struct></value>");
}

void xb_member(struct xbuf *b, const char *name)
{
	xb_s(b, "<member><name>");
	xb_s(b, name); /* our own names: nothing to escape */
	xb_s(b, "</name>");
}

void xb_member_end(struct xbuf *b)
{
	xb_s(b, "</member>");
}

void xb_member_string(struct xbuf *b, const char *name, const char *v)
{
	xb_member(b, name);
	xb_string(b, v);
	xb_member_end(b);
}

void xb_member_int(struct xbuf *b, const char *name, long long v)
{
	xb_member(b, name);
	xb_int(b, v);
	xb_member_end(b);
}

void xb_member_bool(struct xbuf *b, const char *name, bool v)
{
	xb_member(b, name);
	xb_bool(b, v);
	xb_member_end(b);
}

void xb_value(struct xbuf *b, const struct xval *v)
{
	char num[64];
	switch (v->type) {
	case XV_INT:
		xb_int(b, v->i);
		break;
	case XV_BOOL:
		xb_bool(b, v->i != 0);
		break;
	case XV_DOUBLE:
		snprintf(num, sizeof num, "<value><double>%.17g</double></value>", v->d);
		xb_s(b, num);
		break;
	case XV_NIL:
		xb_s(b, "<value><nil/></value>");
		break;
	case XV_ARRAY:
		xb_array_begin(b);
		for (size_t i = 0; i < v->n; i++)
			xb_value(b, &v->items[i]);
		xb_array_end(b);
		break;
	case XV_STRUCT:
		xb_struct_begin(b);
		for (size_t i = 0; i < v->n; i++) {
			xb_s(b, "<member><name>");
			xb_escaped(b, v->keys[i], strlen(v->keys[i]));
			xb_s(b, "</name>");
			xb_value(b, &v->items[i]);
			xb_member_end(b);
		}
		xb_struct_end(b);
		break;
	default:
		xb_string_n(b, v->s ? v->s : "", v->slen);
		break;
	}
}

void xb_response_begin(struct xbuf *b)
{
	xb_s(b, "<?xml version=\"1.0\"?>\n<methodResponse><params><param>");
}

void xb_response_end(struct xbuf *b)
{
	xb_s(b, "</param></params></methodResponse>\n");
}

void xb_fault_value(struct xbuf *b, int code, const char *msg)
{
	xb_struct_begin(b);
	xb_member_int(b, "faultCode", code);
	xb_member_string(b, "faultString", msg);
	xb_struct_end(b);
}

void xb_fault(struct xbuf *b, int code, const char *msg)
{
	xb_s(b, "<?xml version=\"1.0\"?>\n<methodResponse><fault>");
	xb_fault_value(b, code, msg);
	xb_s(b, "</fault></methodResponse>\n");
}
