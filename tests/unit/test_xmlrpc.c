/* Unit tests for supervisor/xmlrpc.c: calls as Python's xmlrpc.client
 * writes them, malformed and hostile ones, and the answers' encoding. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "supervisor/xmlrpc.h"

static int parse(const char *xml, struct xcall *c, char *err, size_t errlen)
{
	return xmlrpc_parse_call(xml, strlen(xml), c, err, errlen);
}

/* What Python's xmlrpc.client.dumps(("web", True), "supervisor.startProcess") sends. */
static void test_python_call(void **state)
{
	(void)state;
	const char *xml = "<?xml version='1.0'?>\n<methodCall>\n"
			  "<methodName>supervisor.startProcess</methodName>\n<params>\n"
			  "<param>\n<value><string>web</string></value>\n</param>\n"
			  "<param>\n<value><boolean>1</boolean></value>\n</param>\n"
			  "<param>\n<value><int>-1600</int></value>\n</param>\n"
			  "<param>\n<value>bare &amp; text</value>\n</param>\n"
			  "</params>\n</methodCall>\n";
	struct xcall c;
	char err[200];
	assert_int_equal(parse(xml, &c, err, sizeof err), 0);
	assert_string_equal(c.method, "supervisor.startProcess");
	assert_int_equal(c.params.n, 4);
	assert_int_equal(c.params.items[0].type, XV_STRING);
	assert_string_equal(c.params.items[0].s, "web");
	assert_int_equal(c.params.items[1].type, XV_BOOL);
	assert_int_equal(c.params.items[1].i, 1);
	assert_int_equal(c.params.items[2].type, XV_INT);
	assert_int_equal(c.params.items[2].i, -1600);
	assert_int_equal(c.params.items[3].type, XV_STRING);
	assert_string_equal(c.params.items[3].s, "bare & text");
	xcall_free(&c);
}

/* system.multicall's argument: an array of structs holding arrays. */
static void test_nested(void **state)
{
	(void)state;
	const char *xml =
		"<methodCall><methodName>system.multicall</methodName><params><param><value>"
		"<array><data>"
		"<value><struct>"
		"<member><name>methodName</name><value><string>supervisor.getPID</string></value></member>"
		"<member><name>params</name><value><array><data></data></array></value></member>"
		"</struct></value>"
		"<value><struct>"
		"<member><name>methodName</name><value>supervisor.getProcessInfo</value></member>"
		"<member><name>params</name><value><array><data><value>web</value></data></array></value></member>"
		"</struct></value>"
		"</data></array></value></param></params></methodCall>";
	struct xcall c;
	char err[200];
	assert_int_equal(parse(xml, &c, err, sizeof err), 0);
	assert_int_equal(c.params.n, 1);
	const struct xval *calls = &c.params.items[0];
	assert_int_equal(calls->type, XV_ARRAY);
	assert_int_equal(calls->n, 2);
	const struct xval *m = xval_member(&calls->items[1], "methodName");
	assert_non_null(m);
	assert_string_equal(m->s, "supervisor.getProcessInfo");
	const struct xval *p = xval_member(&calls->items[1], "params");
	assert_non_null(p);
	assert_int_equal(p->type, XV_ARRAY);
	assert_int_equal(p->n, 1);
	assert_string_equal(p->items[0].s, "web");
	assert_null(xval_member(&calls->items[0], "nothere"));
	assert_int_equal(xval_member(&calls->items[0], "params")->n, 0);
	xcall_free(&c);
}

static void test_no_params(void **state)
{
	(void)state;
	struct xcall c;
	char err[200];
	assert_int_equal(parse("<methodCall><methodName>system.listMethods</methodName></methodCall>",
			       &c, err, sizeof err), 0);
	assert_string_equal(c.method, "system.listMethods");
	assert_int_equal(c.params.n, 0);
	xcall_free(&c);
}

static void expect_error(const char *xml, const char *needle)
{
	struct xcall c = { 0 };
	char err[200] = "";
	assert_int_equal(parse(xml, &c, err, sizeof err), -EINVAL);
	if (!strstr(err, needle)) {
		fprintf(stderr, "error '%s' lacks '%s'\n", err, needle);
		fail();
	}
	assert_null(c.method);
}

static void test_malformed(void **state)
{
	(void)state;
	expect_error("", "XML error");
	expect_error("<methodCall><methodName>x</methodName>", "XML error");
	expect_error("<methodCall><params/></methodCall>", "no <methodName>");
	expect_error("<foo/>", "unexpected <foo>");
	expect_error("<methodCall><methodName>x</methodName><params><param><value><int>12x</int>"
		     "</value></param></params></methodCall>", "bad <int>");
	expect_error("<methodCall><methodName>x</methodName><params><param><value><boolean>2"
		     "</boolean></value></param></params></methodCall>", "bad <boolean>");
	expect_error("<methodCall><methodName>x</methodName><params><param><value><string>a"
		     "</string><int>1</int></value></param></params></methodCall>", "unexpected <int>");
	expect_error("<methodCall><methodName>x</methodName><params><param><value><struct><member>"
		     "<value>1</value></member></struct></value></param></params></methodCall>",
		     "a <member> needs");
	expect_error("<methodCall><methodName>x</methodName><params><param><value>1</value>"
		     "<value>2</value></param></params></methodCall>", "one <value>");
	expect_error("<methodCall><methodName>x</methodName><methodName>y</methodName></methodCall>",
		     "unexpected <methodName>");
}

/* Entities cannot be declared, so they cannot expand ("billion laughs"). */
static void test_doctype_refused(void **state)
{
	(void)state;
	expect_error("<?xml version='1.0'?><!DOCTYPE m [<!ENTITY a 'aaaaaaaaaa'>"
		     "<!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;'>]>"
		     "<methodCall><methodName>&b;</methodName></methodCall>", "DOCTYPE");
}

static void test_depth_limit(void **state)
{
	(void)state;
	char *xml = malloc(64 * 1024);
	assert_non_null(xml);
	size_t n = (size_t)sprintf(xml, "<methodCall><methodName>x</methodName><params><param>");
	for (int i = 0; i < XMLRPC_MAX_DEPTH + 4; i++)
		n += (size_t)sprintf(xml + n, "<value><array><data>");
	for (int i = 0; i < XMLRPC_MAX_DEPTH + 4; i++)
		n += (size_t)sprintf(xml + n, "</data></array></value>");
	sprintf(xml + n, "</param></params></methodCall>");
	expect_error(xml, "nested deeper");
	free(xml);
}

static void test_encode(void **state)
{
	(void)state;
	struct xbuf b = { 0 };
	xb_response_begin(&b);
	xb_struct_begin(&b);
	xb_member_string(&b, "name", "a<b>&c");
	xb_member_int(&b, "pid", 42);
	xb_member_int(&b, "big", 1LL << 40);
	xb_member_bool(&b, "ok", true);
	xb_struct_end(&b);
	xb_response_end(&b);
	assert_false(b.oom);
	assert_non_null(strstr(b.p, "<member><name>name</name><value><string>a&lt;b&gt;&amp;c"
				    "</string></value></member>"));
	assert_non_null(strstr(b.p, "<value><int>42</int></value>"));
	assert_non_null(strstr(b.p, "<value><int>2147483647</int></value>")); /* capped */
	assert_non_null(strstr(b.p, "<value><boolean>1</boolean></value>"));
	assert_non_null(strstr(b.p, "<methodResponse><params><param>"));
	xb_free(&b);
}

/* Log output may hold anything: what XML cannot carry becomes U+FFFD. */
static void test_encode_binary(void **state)
{
	(void)state;
	struct xbuf b = { 0 };
	const char in[] = "ok\x01 \xc3\xa9 \xff\xfe tab\there\r\n\xe2\x82";
	xb_string_n(&b, in, sizeof in - 1);
	assert_false(b.oom);
	assert_string_equal(b.p, "<value><string>ok\xef\xbf\xbd \xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd "
				 "tab\there&#13;\n\xef\xbf\xbd\xef\xbf\xbd</string></value>");
	xb_free(&b);
}

static void test_fault_roundtrip(void **state)
{
	(void)state;
	struct xbuf b = { 0 };
	xb_fault(&b, 10, "BAD_NAME: web");
	assert_false(b.oom);
	assert_non_null(strstr(b.p, "<fault><value><struct><member><name>faultCode</name>"
				    "<value><int>10</int></value></member><member><name>"
				    "faultString</name><value><string>BAD_NAME: web</string>"));
	xb_free(&b);
}

/* system.multicall's answer: each result bare, a fault as its struct
 * (supervisord's shape, which Python's MultiCallIterator reads). */
static void test_fault_value(void **state)
{
	(void)state;
	struct xbuf b = { 0 };
	xb_array_begin(&b);
	xb_string(&b, "3.0");
	xb_fault_value(&b, 10, "BAD_NAME: x<y");
	xb_array_end(&b);
	assert_false(b.oom);
	assert_string_equal(b.p, "<value><array><data><value><string>3.0</string></value>"
				 "<value><struct><member><name>faultCode</name><value><int>10</int>"
				 "</value></member><member><name>faultString</name><value><string>"
				 "BAD_NAME: x&lt;y</string></value></member></struct></value>"
				 "</data></array></value>");
	xb_free(&b);
}

/* Values read back are written out as they came. */
static void test_value_roundtrip(void **state)
{
	(void)state;
	const char *xml = "<methodCall><methodName>x</methodName><params><param><value><struct>"
			  "<member><name>k&amp;</name><value><array><data><value><int>7</int></value>"
			  "<value><double>1.5</double></value><value><nil/></value></data></array>"
			  "</value></member></struct></value></param></params></methodCall>";
	struct xcall c;
	char err[200];
	assert_int_equal(parse(xml, &c, err, sizeof err), 0);
	struct xbuf b = { 0 };
	xb_value(&b, &c.params.items[0]);
	assert_string_equal(b.p, "<value><struct><member><name>k&amp;</name><value><array><data>"
				 "<value><int>7</int></value><value><double>1.5</double></value>"
				 "<value><nil/></value></data></array></value></member></struct></value>");
	xb_free(&b);
	xcall_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_python_call),
		cmocka_unit_test(test_nested),
		cmocka_unit_test(test_no_params),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_doctype_refused),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_encode),
		cmocka_unit_test(test_encode_binary),
		cmocka_unit_test(test_fault_roundtrip),
		cmocka_unit_test(test_fault_value),
		cmocka_unit_test(test_value_roundtrip),
	};
	return cmocka_run_group_tests_name("xmlrpc", tests, NULL, NULL);
}
