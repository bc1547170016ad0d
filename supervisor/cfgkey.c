/* cfgkey — one key of a config section as data; values read by type
 * (see cfgkey.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "supervisor/cfgkey.h"
#include "supervisor/cfgutil.h"
#include "supervisor/logline.h"
#include "supervisor/signame.h"
#include "sandbox/sandbox.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- finding a row ---------------------------------------------------- */

static bool in_kinds(const struct cfgkey *k, unsigned kinds)
{
	return !(k->flags & CFGKEY_KINDS) || (k->flags & kinds & CFGKEY_KINDS);
}

const struct cfgkey *cfgkey_find(const struct cfgkey_table *t, const char *key, unsigned kinds,
				 size_t *id)
{
	size_t sub = t->n;
	for (size_t i = 0; i < t->n; i++) {
		const struct cfgkey *k = &t->rows[i];
		if (k->subkeys) {
			for (size_t j = 0; k->subkeys[j]; j++, sub++)
				if (strcmp(k->subkeys[j], key) == 0 && in_kinds(k, kinds)) {
					*id = sub;
					return k;
				}
			continue;
		}
		if (k->name && !(k->flags & CFGKEY_FIELD) && strcmp(k->name, key) == 0 &&
		    in_kinds(k, kinds)) {
			*id = i;
			return k;
		}
	}
	return NULL;
}

/* ---- values ----------------------------------------------------------- */

bool cfgkey_parse_int(const char *s, long long min, long long max, long long *out)
{
	const char *p = s;
	long long n = 0;
	bool neg = false;
	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	if (!*p)
		return false;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		n = n * 10 + (*p - '0');
		if (n > (long long)INT_MAX + 1)
			return false;
	}
	if (neg)
		n = -n;
	if (n < min || n > max)
		return false;
	*out = n;
	return true;
}

bool cfgkey_parse_octal(const char *s, unsigned max, unsigned *out)
{
	unsigned n = 0;
	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '7')
			return false;
		n = n * 8 + (unsigned)(*s - '0');
		if (n > max)
			return false;
	}
	*out = n;
	return true;
}

int cfgkey_split_names(const char *value, char ***out)
{
	size_t n = 0, cap = 4;
	char **v = calloc(cap, sizeof *v);
	if (!v)
		return -ENOMEM;
	for (const char *p = value; *p;) {
		/* '|' too: a pipeline's stages are written a | b | c. */
		while (*p == ',' || *p == '|' || is_space(*p))
			p++;
		size_t len = strcspn(p, ",| \t\n");
		if (!len)
			break;
		if (n + 2 > cap) {
			char **w = reallocarray(v, cap * 2, sizeof *v);
			if (!w)
				goto oom;
			v = w;
			cap *= 2;
		}
		if (!(v[n] = strndup(p, len)))
			goto oom;
		v[++n] = NULL;
		p += len;
	}
	*out = v; /* now owned by the caller */
	return 0;
oom:
	strv_free(v);
	return -ENOMEM;
}

int cfgkey_parse_environment(const char *s, char ***out, char *err, size_t errlen)
{
	char **v = NULL;
	size_t n = 0;
	struct buf val = { 0 };
	int rc = 0;

	for (const char *p = s;;) {
		while (is_space(*p) || *p == ',')
			p++;
		if (!*p)
			break;
		const char *key = p;
		while (*p && *p != '=' && *p != ',' && *p != '"' && *p != '\'' && !is_space(*p))
			p++;
		size_t keylen = (size_t)(p - key);
		while (is_space(*p))
			p++;
		if (!keylen || *p != '=') {
			if (keylen)
				snprintf(err, errlen, "expected '=' after '%.*s'", (int)keylen, key);
			else
				snprintf(err, errlen, "expected KEY=value at '%.20s'", key);
			rc = -EINVAL;
			goto out;
		}
		for (p++; is_space(*p); p++)
			;
		val.len = 0;
		if ((rc = buf_add(&val, key, keylen)) < 0 || (rc = buf_add(&val, "=", 1)) < 0)
			goto out;
		size_t keep = val.len; /* drop unquoted trailing whitespace */
		while (*p && *p != ',') {
			char q = *p;
			if (q == '"' || q == '\'') {
				for (p++; *p != q; p++) {
					if (!*p) {
						snprintf(err, errlen, "unterminated %s quote",
							 q == '"' ? "double" : "single");
						rc = -EINVAL;
						goto out;
					}
					if (q == '"' && *p == '\\' && (p[1] == '"' || p[1] == '\\'))
						p++;
					if ((rc = buf_add(&val, p, 1)) < 0)
						goto out;
				}
				p++;
				keep = val.len;
				continue;
			}
			if ((rc = buf_add(&val, p, 1)) < 0)
				goto out;
			if (!is_space(*p))
				keep = val.len;
			p++;
		}
		val.s[keep] = '\0';
		for (size_t i = 0; i < n; i++) {
			if (strncmp(v[i], val.s, keylen + 1) == 0) {
				snprintf(err, errlen, "duplicate key '%.*s'", (int)keylen, key);
				rc = -EINVAL;
				goto out;
			}
		}
		char **nv = realloc(v, (n + 2) * sizeof *nv);
		if (!nv) {
			rc = -ENOMEM;
			goto out;
		}
		v = nv;
		if (!(v[n] = strdup(val.s))) {
			rc = -ENOMEM;
			goto out;
		}
		v[++n] = NULL;
	}
	if (!v && !(v = calloc(1, sizeof *v))) {
		rc = -ENOMEM;
		goto out;
	}
	*out = v; /* now owned by the caller */
	v = NULL;
out:
	if (v) {
		v[n] = NULL;
		strv_free(v);
	}
	free(val.s);
	return rc;
}

static bool all_digits(const char *s, const char *digits)
{
	return *s && strspn(s, digits) == strlen(s);
}

/* "a, b or c" from WORDS. */
static void words_text(const char *const *words, char *buf, size_t len)
{
	size_t n = 0, off = 0;
	while (words[n])
		n++;
	buf[0] = '\0';
	for (size_t i = 0; i < n && off < len; i++) {
		const char *sep = i == 0 ? "" : i + 1 == n ? " or " : ", ";
		int w = snprintf(buf + off, len - off, "%s%s", sep, words[i]);
		if (w < 0)
			break;
		off += (size_t)w;
	}
}

static int word_index(const struct cfgkey *k, const char *value)
{
	for (int i = 0; k->words[i]; i++)
		if ((k->flags & CFGKEY_ANYCASE) ? strcasecmp(value, k->words[i]) == 0
						: strcmp(value, k->words[i]) == 0)
			return i;
	return -1;
}

/* What K's type expects, for a message. */
static void expected(const struct cfgkey *k, char *err, size_t errlen)
{
	if (k->expected) {
		snprintf(err, errlen, "%s", k->expected);
		return;
	}
	switch (k->type) {
	case CFGKEY_BOOL:
		snprintf(err, errlen, "true or false");
		break;
	case CFGKEY_INT:
		if (k->min == INT_MIN && k->max == INT_MAX)
			snprintf(err, errlen, "an integer");
		else if (k->max == INT_MAX)
			snprintf(err, errlen, "an integer >= %lld", k->min);
		else
			snprintf(err, errlen, "an integer from %lld to %lld", k->min, k->max);
		break;
	case CFGKEY_BYTES:
	case CFGKEY_SD_BYTES:
		snprintf(err, errlen, "a size in bytes, with KB, MB or GB");
		break;
	case CFGKEY_WORD:
		words_text(k->words, err, errlen);
		break;
	case CFGKEY_SIGNAL:
		snprintf(err, errlen, "a signal name or number");
		break;
	case CFGKEY_SD_INT:
		snprintf(err, errlen, "an integer >= 0");
		break;
	case CFGKEY_OCTAL:
	case CFGKEY_SD_OCTAL:
		snprintf(err, errlen, "an octal number");
		break;
	default:
		snprintf(err, errlen, "a value");
		break;
	}
}

int cfgkey_check(const struct cfgkey *k, const char *value, char *err, size_t errlen)
{
	size_t n = strlen(value);
	bool b, ok;
	long long ll;
	unsigned u;
	uint64_t v;
	switch (k->type) {
	case CFGKEY_BOOL:
		ok = sandbox_parse_bool(value, &b);
		break;
	case CFGKEY_INT:
		ok = cfgkey_parse_int(value, k->min, k->max, &ll);
		break;
	case CFGKEY_BYTES:
		ok = logline_parse_bytes(value, &v);
		break;
	case CFGKEY_OCTAL:
		ok = cfgkey_parse_octal(value, (unsigned)k->max, &u);
		break;
	case CFGKEY_WORD:
		ok = word_index(k, value) >= 0;
		break;
	case CFGKEY_SIGNAL:
		ok = signame_number(value) > 0;
		break;
	case CFGKEY_SD_INT:
		ok = all_digits(value, "0123456789") && n <= 9;
		break;
	case CFGKEY_SD_BYTES:
		if (n > 2 && (strcasecmp(value + n - 2, "KB") == 0 ||
			      strcasecmp(value + n - 2, "MB") == 0 ||
			      strcasecmp(value + n - 2, "GB") == 0))
			n -= 2;
		ok = n && n <= 15 && strspn(value, "0123456789") == n;
		break;
	case CFGKEY_SD_OCTAL:
		ok = all_digits(value, "01234567") && n <= 11;
		break;
	default:
		ok = true;
		break;
	}
	if (ok)
		return 0;
	expected(k, err, errlen);
	return -EDOM;
}

static void *at(void *obj, size_t offset)
{
	return (char *)obj + offset;
}

static const void *cat(const void *obj, size_t offset)
{
	return (const char *)obj + offset;
}

/* A number into a field of SIZE bytes: an int, or a 64-bit one. */
static void store_number(void *field, size_t size, long long n)
{
	if (size == sizeof(int)) {
		int i = (int)n;
		memcpy(field, &i, sizeof i);
	} else if (size == sizeof(uint64_t)) {
		uint64_t u = (uint64_t)n;
		memcpy(field, &u, sizeof u);
	}
}

static long long load_number(const void *field, size_t size)
{
	if (size == sizeof(int)) {
		int i;
		memcpy(&i, field, sizeof i);
		return i;
	}
	uint64_t u = 0;
	if (size == sizeof u)
		memcpy(&u, field, sizeof u);
	return (long long)u;
}

int cfgkey_parse(const struct cfgkey *k, void *obj, const char *value, char *err, size_t errlen)
{
	if (k->parse)
		return k->parse(k, obj, value, err, errlen);
	int rc = cfgkey_check(k, value, err, errlen);
	if (rc < 0)
		return rc;
	/* a row of a key only checked has no field, and may have no struct */
	void *f = k->size ? at(obj, k->offset) : NULL;
	bool b = false;
	long long ll = 0;
	unsigned u = 0;
	uint64_t v = 0;
	char *s, **names;
	switch (k->type) {
	case CFGKEY_BOOL:
		(void)sandbox_parse_bool(value, &b); /* checked above */
		if (k->size)
			memcpy(f, &b, sizeof b);
		break;
	case CFGKEY_INT:
		(void)cfgkey_parse_int(value, k->min, k->max, &ll);
		store_number(f, k->size, ll);
		break;
	case CFGKEY_BYTES:
		(void)logline_parse_bytes(value, &v);
		if ((v < (uint64_t)k->min && !(v == 0 && (k->flags & CFGKEY_ZERO_OK))) ||
		    (k->max && v > (uint64_t)k->max)) {
			snprintf(err, errlen, "%s", k->range ? k->range : "a smaller size");
			return -EDOM;
		}
		store_number(f, k->size, (long long)v);
		break;
	case CFGKEY_OCTAL:
		(void)cfgkey_parse_octal(value, (unsigned)k->max, &u);
		store_number(f, k->size, u);
		break;
	case CFGKEY_WORD:
		store_number(f, k->size, word_index(k, value));
		break;
	case CFGKEY_SIGNAL:
		store_number(f, k->size, signame_number(value));
		break;
	case CFGKEY_SD_INT:
		store_number(f, k->size, (long long)strtoul(value, NULL, 10));
		break;
	case CFGKEY_SD_BYTES:
		/* what supervisord takes but a 64-bit size cannot hold stays as it was */
		if (k->size && logline_parse_bytes(value, &v))
			store_number(f, k->size, (long long)v);
		break;
	case CFGKEY_STR:
		if (!k->size)
			break;
		if (!(s = strdup(value)))
			return -ENOMEM;
		free(*(char **)f);
		*(char **)f = s;
		break;
	case CFGKEY_NAMES:
		if (!k->size)
			break;
		if (cfgkey_split_names(value, &names) < 0)
			return -ENOMEM;
		strv_free(*(char ***)f);
		*(char ***)f = names;
		break;
	case CFGKEY_CUSTOM:
	case CFGKEY_SD_OCTAL:
		break;
	}
	return 0;
}

/* VALUE means the same as QUIET: supervisord would do nothing with it. */
static bool same_value(enum cfgkey_type type, const char *value, const char *quiet)
{
	bool a, b;
	if (type == CFGKEY_BOOL && sandbox_parse_bool(value, &a) && sandbox_parse_bool(quiet, &b))
		return a == b;
	if (type == CFGKEY_SD_OCTAL || type == CFGKEY_SD_INT) {
		while (value[0] == '0' && value[1])
			value++;
		while (quiet[0] == '0' && quiet[1])
			quiet++;
	}
	return strcasecmp(value, quiet) == 0;
}

const char *cfgkey_ignored(const struct cfgkey *k, const char *value)
{
	if (!k->note || (k->quiet && same_value(k->type, value, k->quiet)))
		return NULL;
	return k->note;
}

/* ---- reload and display ------------------------------------------------ */

bool cfgkey_equal(const struct cfgkey *k, const void *a, const void *b)
{
	for (size_t i = 0; i < sizeof k->also / sizeof k->also[0] && k->also[i].field; i++) {
		const struct cfgkey_field *f = &k->also[i];
		if (memcmp(cat(a, f->offset), cat(b, f->offset), f->size) != 0)
			return false;
	}
	if (k->equal)
		return k->equal(k, a, b);
	const void *x = cat(a, k->offset), *y = cat(b, k->offset);
	switch (k->type) {
	case CFGKEY_STR:
		return streq(*(char *const *)x, *(char *const *)y);
	case CFGKEY_NAMES:
		return strv_equal(*(char **const *)x, *(char **const *)y);
	default:
		return memcmp(x, y, k->size) == 0;
	}
}

void cfgkey_emit(struct cfgkey_out *out, const char *key, const char *fmt, ...)
{
	char *value = NULL, *line = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&value, fmt, ap);
	va_end(ap);
	if (n < 0)
		return; /* out of memory: the dump is short of a line */
	n = key ? asprintf(&line, "%s = %s", key, value) : asprintf(&line, "; %s", value);
	if (n >= 0) {
		out->line(out->ctx, line);
		free(line);
	}
	free(value);
}

void cfgkey_show(const struct cfgkey *k, const void *obj, struct cfgkey_out *out)
{
	if (k->flags & CFGKEY_NOSHOW)
		return;
	if (k->show) {
		k->show(k, obj, out);
		return;
	}
	const void *f = cat(obj, k->offset);
	long long n = load_number(f, k->size);
	const char *s;
	switch (k->type) {
	case CFGKEY_BOOL:
		cfgkey_emit(out, k->name, "%s", *(const bool *)f ? "true" : "false");
		break;
	case CFGKEY_INT:
	case CFGKEY_BYTES:
	case CFGKEY_SD_INT:
	case CFGKEY_SD_BYTES:
		if (k->size == sizeof(int))
			cfgkey_emit(out, k->name, "%lld", n);
		else
			cfgkey_emit(out, k->name, "%llu", (unsigned long long)n);
		break;
	case CFGKEY_OCTAL:
		cfgkey_emit(out, k->name, "%03llo", (unsigned long long)n);
		break;
	case CFGKEY_WORD:
		for (long long i = 0; k->words[i]; i++)
			if (i == n)
				cfgkey_emit(out, k->name, "%s", k->words[i]);
		break;
	case CFGKEY_SIGNAL:
		cfgkey_emit(out, k->name, "%s", signame_name((int)n));
		break;
	case CFGKEY_STR:
		s = *(char *const *)f;
		cfgkey_emit(out, k->name, "%s", s ? s : "(none)");
		break;
	case CFGKEY_NAMES: {
		char *const *v = *(char **const *)f;
		struct buf b = { 0 };
		for (size_t i = 0; v && v[i]; i++)
			if ((i && buf_add(&b, ", ", 2) < 0) || buf_add(&b, v[i], strlen(v[i])) < 0)
				break;
		cfgkey_emit(out, k->name, "%s", b.s ? b.s : "(none)");
		free(b.s);
		break;
	}
	default:
		break;
	}
}

struct capture {
	char *buf;
	size_t len;
	const char *key;
	int rc;
};

static void capture_line(void *ctx, const char *text)
{
	struct capture *c = ctx;
	size_t klen = strlen(c->key);
	if (c->rc != -ENOENT || strncmp(text, c->key, klen) != 0 || strncmp(text + klen, " = ", 3))
		return;
	int n = snprintf(c->buf, c->len, "%s", text + klen + 3);
	c->rc = n >= 0 && (size_t)n < c->len ? 0 : -ENAMETOOLONG;
}

int cfgkey_value(const struct cfgkey *k, const void *obj, char *buf, size_t len)
{
	struct capture c = { .buf = buf, .len = len, .key = k->name ? k->name : "", .rc = -ENOENT };
	struct cfgkey_out out = { .line = capture_line, .ctx = &c };
	struct cfgkey shown = *k;
	shown.flags &= ~(unsigned)CFGKEY_NOSHOW; /* migrate wants what the dump leaves out too */
	cfgkey_show(&shown, obj, &out);
	return c.rc;
}
