/* webform — a web request's query, HTML and URL escaping, the cross-site
 * rule (webform.h). */
#include "supervisor/webform.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <uriparser/Uri.h>

int webform_parse(const char *target, struct webform *f)
{
	memset(f, 0, sizeof *f);
	const char *q = strchr(target, '?');
	if (!q)
		return 0;
	q++;
	UriQueryListA *list = NULL;
	int n = 0;
	int r = uriDissectQueryMallocExA(&list, &n, q, q + strlen(q), URI_TRUE, URI_BR_DONT_TOUCH);
	if (r == URI_ERROR_MALLOC)
		return -ENOMEM;
	if (r != URI_SUCCESS)
		return -EINVAL;
	int rc = 0;
	for (const UriQueryListA *e = list; e; e = e->next) {
		char **field = !strcmp(e->key, "processname") ? &f->processname
			       : !strcmp(e->key, "action")    ? &f->action
			       : !strcmp(e->key, "message")   ? &f->message
			       : !strcmp(e->key, "limit")     ? &f->limit
							      : NULL;
		if (!field || *field)
			continue; /* another field, or one given twice: the first counts */
		if (!(*field = strdup(e->value ? e->value : ""))) {
			rc = -ENOMEM;
			break;
		}
	}
	uriFreeQueryListA(list);
	return rc;
}

void webform_free(struct webform *f)
{
	free(f->processname);
	free(f->action);
	free(f->message);
	free(f->limit);
	memset(f, 0, sizeof *f);
}

int webform_html(FILE *out, const char *s)
{
	for (; *s; s++) {
		const char *ref = NULL;
		switch (*s) {
		case '&': ref = "&amp;"; break;
		case '<': ref = "&lt;"; break;
		case '>': ref = "&gt;"; break;
		case '"': ref = "&quot;"; break;
		case '\'': ref = "&#39;"; break;
		}
		if ((ref ? fputs(ref, out) : fputc(*s, out)) == EOF)
			return -1;
	}
	return 0;
}

char *webform_quote(const char *s)
{
	/* each byte is at most %XX; no line breaks are rewritten */
	char *out = malloc(strlen(s) * 3 + 1);
	if (out)
		uriEscapeA(s, out, URI_FALSE, URI_FALSE);
	return out;
}

/* A text range of a parsed URI is empty. */
static size_t range_len(const UriTextRangeA *t)
{
	return t->first && t->afterLast ? (size_t)(t->afterLast - t->first) : 0;
}

/* Where URL (a URI with a host) points: its host, lowercased, and port (the
 * scheme's when none is written; a scheme other than http or https, 0). */
static bool authority(const char *url, char *host, size_t hlen, unsigned *port)
{
	UriUriA u;
	const char *errpos;
	if (uriParseSingleUriA(&u, url, &errpos) != URI_SUCCESS)
		return false;
	size_t n = range_len(&u.hostText), sn = range_len(&u.scheme), pn = range_len(&u.portText);
	bool ok = n > 0 && n < hlen && pn < 6;
	if (ok) {
		for (size_t i = 0; i < n; i++) {
			char ch = u.hostText.first[i];
			host[i] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
		}
		host[n] = '\0';
		char pbuf[8];
		memcpy(pbuf, u.portText.first ? u.portText.first : "", pn);
		pbuf[pn] = '\0';
		if (pn)
			*port = (unsigned)strtoul(pbuf, NULL, 10);
		else if (sn == 4 && !strncasecmp(u.scheme.first, "http", 4))
			*port = 80;
		else if (sn == 5 && !strncasecmp(u.scheme.first, "https", 5))
			*port = 443;
		else
			*port = 0;
	}
	uriFreeUriMembersA(&u);
	return ok;
}

/* URL (an Origin or a Referer) is of the host HOST (a Host header:
 * "name[:port]", "[v6]:port"). */
static bool same_host(const char *url, const char *host)
{
	if (!host || !*host)
		return false;
	char as_url[600], h1[256], h2[256];
	unsigned p1, p2;
	int n = snprintf(as_url, sizeof as_url, "http://%s/", host);
	if (n < 0 || (size_t)n >= sizeof as_url)
		return false;
	return authority(url, h1, sizeof h1, &p1) && authority(as_url, h2, sizeof h2, &p2) &&
	       p1 == p2 && strcmp(h1, h2) == 0;
}

const char *webform_cross_site(const char *host, const char *origin, const char *fetch_site,
			       const char *referer)
{
	if (fetch_site && strcmp(fetch_site, "same-origin") != 0 && strcmp(fetch_site, "none") != 0)
		return "the browser says the request comes from another site (Sec-Fetch-Site)";
	if (origin && !same_host(origin, host))
		return "the request comes from a page of another site (its Origin is not this server)";
	if (!fetch_site && !origin && referer && !same_host(referer, host))
		return "the request comes from a link on a page of another site (Referer)";
	return NULL;
}
