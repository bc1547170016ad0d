/* Unit tests for supervisor/webform.c: the query of supervisord's URLs
 * (percent-decoding, "+", a field given twice, fields without a value),
 * HTML and URL escaping, and the cross-site rule for actions. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "supervisor/webform.h"

static void test_parse(void **state)
{
	(void)state;
	struct webform f;
	assert_int_equal(webform_parse("/index.html?processname=grp%3Aweb_01&action=stop", &f), 0);
	assert_string_equal(f.processname, "grp:web_01");
	assert_string_equal(f.action, "stop");
	assert_null(f.message);
	assert_null(f.limit);
	webform_free(&f);

	/* "+" is a space as a form sends it; %2B a plus; UTF-8 bytes pass */
	assert_int_equal(webform_parse("/?message=Process+a%2Bb%20stopped%C3%A9", &f), 0);
	assert_string_equal(f.message, "Process a+b stopped\xc3\xa9");
	assert_null(f.action);
	webform_free(&f);

	/* the first of a field given twice counts; others are ignored */
	assert_int_equal(webform_parse("/index.html?action=start&x=1&action=stop&processname=", &f),
			 0);
	assert_string_equal(f.action, "start");
	assert_string_equal(f.processname, "");
	webform_free(&f);

	/* a field without "=" is there, empty; no query at all: nothing */
	assert_int_equal(webform_parse("/tail.html?processname&limit=4096", &f), 0);
	assert_string_equal(f.processname, "");
	assert_string_equal(f.limit, "4096");
	webform_free(&f);
	assert_int_equal(webform_parse("/index.html", &f), 0);
	assert_null(f.processname);
	assert_null(f.action);
	webform_free(&f);

	/* hostile text decodes as it is: escaping is the page's */
	assert_int_equal(webform_parse("/?message=%3Cscript%3E%26%22", &f), 0);
	assert_string_equal(f.message, "<script>&\"");
	webform_free(&f);
}

/* S as webform_html() writes it. */
static char *html(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	assert_non_null(out);
	assert_int_equal(webform_html(out, s), 0);
	assert_int_equal(fclose(out), 0);
	return buf;
}

static void test_html(void **state)
{
	(void)state;
	char *s = html("<b>a & \"b\" 'c'</b>");
	assert_string_equal(s, "&lt;b&gt;a &amp; &quot;b&quot; &#39;c&#39;&lt;/b&gt;");
	free(s);
	s = html("plain text, caf\xc3\xa9");
	assert_string_equal(s, "plain text, caf\xc3\xa9");
	free(s);
	s = html("");
	assert_string_equal(s, "");
	free(s);
	s = html("&amp;"); /* already escaped text is escaped again: it is text */
	assert_string_equal(s, "&amp;amp;");
	free(s);
}

static void test_quote(void **state)
{
	(void)state;
	char *q = webform_quote("grp:web 01&x=<y>\"");
	assert_non_null(q);
	assert_string_equal(q, "grp%3Aweb%2001%26x%3D%3Cy%3E%22");
	/* what is quoted reads back as it was */
	char target[128];
	snprintf(target, sizeof target, "/tail.html?processname=%s", q);
	free(q);
	struct webform f;
	assert_int_equal(webform_parse(target, &f), 0);
	assert_string_equal(f.processname, "grp:web 01&x=<y>\"");
	webform_free(&f);
	q = webform_quote("web_01-a.b~c");
	assert_string_equal(q, "web_01-a.b~c");
	free(q);
}

static void test_cross_site(void **state)
{
	(void)state;
	const char *host = "127.0.0.1:9001";
	/* nothing says where it comes from: a client such as curl, allowed */
	assert_null(webform_cross_site(host, NULL, NULL, NULL));
	/* a browser's own navigation */
	assert_null(webform_cross_site(host, NULL, "same-origin", "http://127.0.0.1:9001/"));
	assert_null(webform_cross_site(host, NULL, "none", NULL));
	/* Sec-Fetch-Site from elsewhere, whatever else is said */
	assert_non_null(webform_cross_site(host, NULL, "cross-site", NULL));
	assert_non_null(webform_cross_site(host, NULL, "same-site", NULL));
	assert_non_null(
		webform_cross_site(host, "http://127.0.0.1:9001", "cross-site", NULL));
	/* Origin: the same host and port, or refused */
	assert_null(webform_cross_site(host, "http://127.0.0.1:9001", NULL, NULL));
	assert_null(webform_cross_site("Example.COM", "http://example.com", NULL, NULL));
	assert_null(webform_cross_site("example.com:80", "http://example.com", NULL, NULL));
	assert_null(webform_cross_site("[::1]:9001", "http://[::1]:9001", NULL, NULL));
	assert_non_null(webform_cross_site(host, "http://evil.example", NULL, NULL));
	assert_non_null(webform_cross_site(host, "http://127.0.0.1:9002", NULL, NULL));
	assert_non_null(webform_cross_site(host, "null", NULL, NULL));
	assert_non_null(webform_cross_site(host, "", NULL, NULL));
	assert_non_null(webform_cross_site(NULL, "http://127.0.0.1:9001", NULL, NULL));
	assert_non_null(webform_cross_site("127.0.0.1:9001", "https://127.0.0.1", NULL, NULL));
	/* Referer counts only when neither of the others was sent */
	assert_null(webform_cross_site(host, NULL, NULL, "http://127.0.0.1:9001/index.html?x=1"));
	assert_non_null(webform_cross_site(host, NULL, NULL, "http://evil.example/page"));
	assert_non_null(webform_cross_site(host, NULL, NULL, "not a url"));
	assert_null(webform_cross_site(host, NULL, "same-origin", "http://evil.example/"));
	/* a bad Host header matches nothing */
	assert_non_null(webform_cross_site("bad host/x", "http://bad host", NULL, NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_html),
		cmocka_unit_test(test_quote),
		cmocka_unit_test(test_cross_site),
	};
	return cmocka_run_group_tests_name("webform", tests, NULL, NULL);
}
