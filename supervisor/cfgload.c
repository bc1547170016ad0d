/* cfgload — one load of a config: its messages and how a key is applied
 * (see cfgload.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "supervisor/cfgload.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ERRORS 100          /* messages kept; the rest are counted */

/* ---- messages --------------------------------------------------------- */

static void add_vmsg(struct loader *ld, bool warn, int fseq, const char *file, int line,
		     const char *section, const char *fmt, va_list ap)
	__attribute__((format(printf, 7, 0)));

/* FSEQ is the order in which FILE was opened: messages are sorted by it and
 * then by LINE, whatever order they were found in. WARN: a warning, which
 * goes to its own list and does not fail the load. */
static void add_vmsg(struct loader *ld, bool warn, int fseq, const char *file, int line,
		     const char *section, const char *fmt, va_list ap)
{
	char *msg = NULL, *full = NULL;
	int rc;
	size_t *count = warn ? &ld->nwarnings : &ld->nerrors;
	char ***list = warn ? &ld->errs->warnings : &ld->errs->msgs;
	size_t *nlist = warn ? &ld->errs->nwarnings : &ld->errs->n;
	struct error_key **keys = warn ? &ld->wkeys : &ld->ekeys;
	size_t *nkeys = warn ? &ld->nwkeys : &ld->nekeys;

	(*count)++;
	/* fseq INT_MAX: the closing summary, which must not be dropped */
	if (*count > MAX_ERRORS && fseq != INT_MAX) {
		(*(warn ? &ld->wdropped : &ld->dropped))++;
		return;
	}
	if (vasprintf(&msg, fmt, ap) < 0) {
		ld->oom = true;
		return;
	}
	if (!file)
		rc = asprintf(&full, "%s", msg);
	else if (line <= 0)
		rc = asprintf(&full, "%s: %s", file, msg);
	else if (!section)
		rc = asprintf(&full, "%s:%d: %s", file, line, msg);
	else
		rc = asprintf(&full, "%s:%d: [%s]: %s", file, line, section, msg);
	free(msg);
	if (rc < 0) {
		ld->oom = true;
		return;
	}
	char **v = realloc(*list, (*nlist + 1) * sizeof *v);
	if (v)
		*list = v;
	struct error_key *k = realloc(*keys, (*nkeys + 1) * sizeof *k);
	if (k)
		*keys = k;
	if (!v || !k) {
		free(full);
		ld->oom = true;
		return;
	}
	v[(*nlist)++] = full; /* now owned by errs */
	k[*nkeys] = (struct error_key){ .fseq = fseq, .line = line, .seq = *nkeys, .msg = full };
	(*nkeys)++;
}

void cfgload_add_verror(struct loader *ld, int fseq, const char *file, int line,
			const char *section, const char *fmt, va_list ap)
{
	add_vmsg(ld, false, fseq, file, line, section, fmt, ap);
}

static int error_key_cmp(const void *a, const void *b)
{
	const struct error_key *x = a, *y = b;
	if (x->fseq != y->fseq)
		return x->fseq < y->fseq ? -1 : 1;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void cfgload_sort_errors(struct loader *ld)
{
	if (ld->nekeys >= 2) {
		qsort(ld->ekeys, ld->nekeys, sizeof *ld->ekeys, error_key_cmp);
		char **tail = ld->errs->msgs + ld->errs->n - ld->nekeys;
		for (size_t i = 0; i < ld->nekeys; i++)
			tail[i] = ld->ekeys[i].msg;
	}
	if (ld->nwkeys >= 2) {
		qsort(ld->wkeys, ld->nwkeys, sizeof *ld->wkeys, error_key_cmp);
		char **tail = ld->errs->warnings + ld->errs->nwarnings - ld->nwkeys;
		for (size_t i = 0; i < ld->nwkeys; i++)
			tail[i] = ld->wkeys[i].msg;
	}
}

void cfgload_add_error(struct loader *ld, int fseq, const char *file, int line,
		       const char *section, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cfgload_add_verror(ld, fseq, file, line, section, fmt, ap);
	va_end(ap);
}

void cfgload_warning_summary(struct loader *ld, const char *file, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	add_vmsg(ld, true, INT_MAX, file, 0, NULL, fmt, ap);
	va_end(ap);
}

void cfgload_error(struct source *src, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cfgload_add_verror(src->ld, src->fseq, src->name, line, src->section, fmt, ap);
	va_end(ap);
}

void cfgload_warn(struct source *src, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	add_vmsg(src->ld, true, src->fseq, src->name, line, src->section, fmt, ap);
	va_end(ap);
}

void cfgload_unknown(struct source *src, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	add_vmsg(src->ld, src->ld->supervisord, src->fseq, src->name, line, src->section, fmt, ap);
	va_end(ap);
}

void cfgload_bad_value(struct source *src, int line, const char *key, const char *value,
		       const char *expected)
{
	cfgload_error(src, line, "bad value for %s: '%.*s%s' (expected %s)", key, SHOW(value),
		      expected);
}

char *cfgload_strdup(struct loader *ld, const char *s)
{
	char *p = strdup(s);
	if (!p)
		ld->oom = true;
	return p;
}

int cfgload_apply(struct source *src, const struct cfgkey *k, void *obj, const char *key,
		  int line, const char *value)
{
	if (k->apply)
		return k->apply(src, k, key, obj, line, value);
	return cfgload_parse(src, k, obj, key, line, value);
}

int cfgload_say(struct source *src, int line, const char *key, const char *value, int rc,
		const char *err)
{
	if (rc == -ENOMEM)
		src->ld->oom = true;
	else if (rc == -EDOM)
		cfgload_bad_value(src, line, key, value, err);
	else if (rc < 0)
		cfgload_error(src, line, "%s", err);
	return rc < 0 ? -EINVAL : 0;
}

int cfgload_parse(struct source *src, const struct cfgkey *k, void *obj, const char *key,
		  int line, const char *value)
{
	char err[200];
	int rc = cfgkey_parse(k, obj, value, err, sizeof err);
	if (rc < 0)
		return cfgload_say(src, line, key, value, rc, err);
	const char *note = cfgkey_ignored(k, value);
	if (note)
		cfgload_warn(src, line, "corral ignores %s: %s", key, note);
	return 0;
}
