/* webform — what the web page (web.c) reads of a request and writes into
 * its HTML, as pure functions: the query of supervisord's URLs
 * ("index.html?processname=grp%3Aweb&action=stop"), text escaped for HTML
 * and for a URL's query, and whether a request that would change something
 * comes from the page's own site.
 *
 * No socket, no core: unit tested alone (tests/unit/test_webform.c). URIs
 * are read and written with uriparser. */
#ifndef CORRAL_WEBFORM_H
#define CORRAL_WEBFORM_H

#include <stdio.h>

/* The fields of a query supervisord's pages read, percent-decoded ("+" is
 * a space, as a form sends it); NULL when absent, "" when empty. A field
 * given twice: the first counts, as supervisord's. */
struct webform {
	char *processname;      /* owned */
	char *action;           /* owned */
	char *message;          /* owned */
	char *limit;            /* owned; the tail page's */
};

/* The query of request target TARGET ("/index.html?a=b"; none: every field
 * NULL) into *F. 0; -EINVAL: a query uriparser cannot read (*F empty);
 * -ENOMEM. webform_free() after either. */
int webform_parse(const char *target, struct webform *f);
void webform_free(struct webform *f);

/* S into OUT with &, <, >, " and ' as HTML character references: fit for
 * an element's text and a quoted attribute. 0, or -1 when OUT failed. */
int webform_html(FILE *out, const char *s);

/* S percent-encoded for a URL's query (a heap string, the caller frees it),
 * or NULL when out of memory. */
char *webform_quote(const char *s);

/* Why a request that changes something, sent to HOST (its Host header),
 * comes from another site, or NULL when it does not: its Sec-Fetch-Site
 * FETCH_SITE is neither "same-origin" nor "none"; its ORIGIN is not the
 * HOST it was sent to; neither was sent and its REFERER is a page of
 * another host. Each of these may be NULL (not sent). The reason is a
 * sentence for the operator, static. */
const char *webform_cross_site(const char *host, const char *origin, const char *fetch_site,
			       const char *referer);

#endif
