/* promtext — Prometheus's text exposition formats (promtext.h). */
#include "supervisor/promtext.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void promtext_init(struct promtext *w, FILE *f, bool openmetrics)
{
	*w = (struct promtext){ .f = f, .openmetrics = openmetrics };
}

/* The suffix of a family's samples. */
static const char *suffix(enum promtext_kind kind)
{
	return kind == PROMTEXT_COUNTER ? "_total" : kind == PROMTEXT_INFO ? "_info" : "";
}

void promtext_family(struct promtext *w, const char *name, enum promtext_kind kind,
		     const char *help)
{
	w->name = name;
	w->kind = kind;
	/* 0.0.4 knows no info type and names a family as its samples;
	 * OpenMetrics names it without the suffix. */
	const char *sfx = w->openmetrics ? "" : suffix(kind);
	const char *type = kind == PROMTEXT_COUNTER ? "counter"
			 : kind == PROMTEXT_INFO && w->openmetrics ? "info" : "gauge";
	fprintf(w->f, "# HELP %s%s %s\n# TYPE %s%s %s\n", name, sfx, help, name, sfx, type);
}

void promtext_label(FILE *f, const char *key, const char *value)
{
	fputs(key, f);
	fputs("=\"", f);
	for (const char *s = value; *s; s++) {
		size_t n = strcspn(s, "\\\"\n");
		fwrite(s, 1, n, f);
		s += n;
		if (!*s)
			break;
		fputs(*s == '\n' ? "\\n" : *s == '"' ? "\\\"" : "\\\\", f);
	}
	fputc('"', f);
}

void promtext_sample(struct promtext *w, const char *labels, const char *key, const char *value,
		     int64_t v, int decimals)
{
	fputs(w->name, w->f);
	fputs(suffix(w->kind), w->f);
	bool any = labels && *labels;
	if (any || key) {
		fputc('{', w->f);
		if (any)
			fputs(labels, w->f);
		if (key) {
			if (any)
				fputc(',', w->f);
			promtext_label(w->f, key, value);
		}
		fputc('}', w->f);
	}
	if (decimals <= 0 || decimals > 9) {
		fprintf(w->f, " %lld\n", (long long)v);
		return;
	}
	int64_t scale = 1;
	for (int i = 0; i < decimals; i++)
		scale *= 10;
	/* Exact decimals, never a binary fraction's 0.10000000000000001. */
	uint64_t mag = v < 0 ? -(uint64_t)v : (uint64_t)v;
	fprintf(w->f, " %s%llu.%0*llu\n", v < 0 ? "-" : "", (unsigned long long)(mag / (uint64_t)scale),
		decimals, (unsigned long long)(mag % (uint64_t)scale));
}

void promtext_end(struct promtext *w)
{
	if (w->openmetrics)
		fputs("# EOF\n", w->f);
}

/* ---- Accept ---- */

/* The media range [S, END), trimmed; its parameters follow the first ';'. */
struct range {
	const char *type;
	size_t typelen;
	double q;
	bool version_ok;     /* no version parameter, or version=1.0.0 */
};

static const char *skip_space(const char *s, const char *end)
{
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	return s;
}

/* Bytes from A to B; 0 when B is not past A. */
static size_t span(const char *a, const char *b)
{
	return a < b ? (size_t)(b - a) : 0;
}

static size_t trimmed_len(const char *s, const char *end)
{
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	return (size_t)(end - s);
}

static void parse_range(const char *s, const char *end, struct range *r)
{
	s = skip_space(s, end);
	const char *semi = memchr(s, ';', span(s, end));
	const char *tend = semi ? semi : end;
	r->type = s;
	r->typelen = trimmed_len(s, tend);
	r->q = 1;
	r->version_ok = true;
	for (const char *p = semi; p && p < end;) {
		p = skip_space(p + 1, end);
		if (p >= end)
			break;
		const char *next = memchr(p, ';', span(p, end));
		const char *pend = next ? next : end;
		const char *eq = memchr(p, '=', span(p, pend));
		if (eq) {
			size_t klen = trimmed_len(p, eq);
			const char *v = skip_space(eq + 1, pend);
			size_t vlen = trimmed_len(v, pend);
			if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"') {
				v++;
				vlen -= 2;
			}
			char val[32];
			if (vlen >= sizeof val)
				vlen = sizeof val - 1;
			memcpy(val, v, vlen);
			val[vlen] = '\0';
			if (klen == 1 && tolower((unsigned char)*p) == 'q') {
				char *qend;
				double q = strtod(val, &qend);
				r->q = qend != val && *qend == '\0' && q >= 0 && q <= 1 ? q : 0;
			} else if (klen == 7 && strncasecmp(p, "version", 7) == 0) {
				r->version_ok = strcmp(val, "1.0.0") == 0;
			}
		}
		p = next;
	}
}

static bool type_is(const struct range *r, const char *type)
{
	return r->typelen == strlen(type) && strncasecmp(r->type, type, r->typelen) == 0;
}

bool promtext_wants_openmetrics(const char *accept)
{
	if (!accept)
		return false;
	/* the q of text/plain, of text's wildcard, of the whole wildcard */
	double om = 0, text[3] = { -1, -1, -1 };
	for (const char *s = accept; *s;) {
		const char *comma = strchr(s, ',');
		const char *end = comma ? comma : s + strlen(s);
		struct range r;
		parse_range(s, end, &r);
		if (type_is(&r, "application/openmetrics-text") && r.version_ok && r.q > om)
			om = r.q;
		static const char *const texts[3] = { "text/plain", "text/*", "*/*" };
		for (int i = 0; i < 3; i++)
			if (type_is(&r, texts[i]) && r.q > text[i])
				text[i] = r.q;
		s = comma ? comma + 1 : end;
	}
	/* The most specific range that names text/plain gives its q. */
	double tq = text[0] >= 0 ? text[0] : text[1] >= 0 ? text[1] : text[2] >= 0 ? text[2] : 0;
	return om > 0 && om >= tq;
}
