/* promtext — Prometheus's text exposition formats, written: version 0.0.4
 * (text/plain) and OpenMetrics 1.0.0, which differ in how a counter's
 * family is named (OpenMetrics names it without "_total"), in the info
 * type and in the "# EOF" that ends OpenMetrics; and which of the two a
 * scraper's Accept header asks for.
 *
 * Pure: what is written goes to a stdio stream (open_memstream(3) for the
 * callers), no clock, no core; metrics.c says what the values are. */
#ifndef CORRAL_PROMTEXT_H
#define CORRAL_PROMTEXT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define PROMTEXT_TYPE_004 "text/plain; version=0.0.4; charset=utf-8"
#define PROMTEXT_TYPE_OPENMETRICS "application/openmetrics-text; version=1.0.0; charset=utf-8"

enum promtext_kind {
	PROMTEXT_GAUGE,
	PROMTEXT_COUNTER, /* samples are NAME_total */
	PROMTEXT_INFO,    /* one sample NAME_info, 1; a gauge in 0.0.4 */
};

struct promtext {
	FILE *f;
	bool openmetrics;
	const char *name;        /* the family being written */
	enum promtext_kind kind;
};

/* Write to F, in OpenMetrics when OPENMETRICS, else 0.0.4. */
void promtext_init(struct promtext *w, FILE *f, bool openmetrics);

/* A family begins: its HELP and TYPE lines. NAME is the family's name
 * without the "_total" or "_info" of its samples; HELP plain text. */
void promtext_family(struct promtext *w, const char *name, enum promtext_kind kind,
		     const char *help);

/* One sample of the family: LABELS, label pairs already written by
 * promtext_label() and joined by commas ("" or NULL: none), then one more
 * pair KEY="VALUE" when KEY is not NULL (VALUE escaped here); the value
 * V / 10^DECIMALS (DECIMALS 0 to 9): "12", "1.500000". */
void promtext_sample(struct promtext *w, const char *labels, const char *key, const char *value,
		     int64_t v, int decimals);

/* After the last family: OpenMetrics's "# EOF". */
void promtext_end(struct promtext *w);

/* KEY="VALUE" to F, VALUE's backslashes, double quotes and newlines
 * escaped (\\, \", \n), as both formats want them. */
void promtext_label(FILE *f, const char *key, const char *value);

/* ACCEPT, a request's Accept header (NULL: none), prefers OpenMetrics
 * 1.0.0 ("application/openmetrics-text", no version or version 1.0.0)
 * to the 0.0.4 text: its q is above 0 and not below text/plain's (or
 * that of the wildcard that gives text/plain its q). */
bool promtext_wants_openmetrics(const char *accept);

#endif
