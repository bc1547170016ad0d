/* Unit tests for supervisor/promtext.c: Prometheus's text formats as
 * written (0.0.4 and OpenMetrics: families, samples, escapes, # EOF) and
 * which of them an Accept header asks for. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor/promtext.h"

/* What WRITE(w) writes, in OpenMetrics when OM, as a heap string. */
static char *written(bool om, void (*write)(struct promtext *w))
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	struct promtext w;
	promtext_init(&w, f, om);
	write(&w);
	promtext_end(&w);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void some(struct promtext *w)
{
	promtext_family(w, "corral_x_restarts", PROMTEXT_COUNTER, "Spawns after the first.");
	promtext_sample(w, "name=\"web\"", NULL, NULL, 3, 0);
	promtext_family(w, "corral_x_cpu_seconds", PROMTEXT_COUNTER, "CPU.");
	promtext_sample(w, NULL, "name", "a", 1500000, 6);
	promtext_sample(w, NULL, "name", "b", -2500, 3);
	promtext_family(w, "corral_x_build", PROMTEXT_INFO, "Version.");
	promtext_sample(w, NULL, "version", "1.0", 1, 0);
	promtext_family(w, "corral_x_up", PROMTEXT_GAUGE, "Up.");
	promtext_sample(w, "name=\"web\"", "state", "RUNNING", 1, 0);
}

static void test_text_004(void **state)
{
	(void)state;
	char *s = written(false, some);
	assert_string_equal(s,
		"# HELP corral_x_restarts_total Spawns after the first.\n"
		"# TYPE corral_x_restarts_total counter\n"
		"corral_x_restarts_total{name=\"web\"} 3\n"
		"# HELP corral_x_cpu_seconds_total CPU.\n"
		"# TYPE corral_x_cpu_seconds_total counter\n"
		"corral_x_cpu_seconds_total{name=\"a\"} 1.500000\n"
		"corral_x_cpu_seconds_total{name=\"b\"} -2.500\n"
		"# HELP corral_x_build_info Version.\n"
		"# TYPE corral_x_build_info gauge\n"
		"corral_x_build_info{version=\"1.0\"} 1\n"
		"# HELP corral_x_up Up.\n"
		"# TYPE corral_x_up gauge\n"
		"corral_x_up{name=\"web\",state=\"RUNNING\"} 1\n");
	free(s);
}

static void test_openmetrics(void **state)
{
	(void)state;
	char *s = written(true, some);
	assert_string_equal(s,
		"# HELP corral_x_restarts Spawns after the first.\n"
		"# TYPE corral_x_restarts counter\n"
		"corral_x_restarts_total{name=\"web\"} 3\n"
		"# HELP corral_x_cpu_seconds CPU.\n"
		"# TYPE corral_x_cpu_seconds counter\n"
		"corral_x_cpu_seconds_total{name=\"a\"} 1.500000\n"
		"corral_x_cpu_seconds_total{name=\"b\"} -2.500\n"
		"# HELP corral_x_build Version.\n"
		"# TYPE corral_x_build info\n"
		"corral_x_build_info{version=\"1.0\"} 1\n"
		"# HELP corral_x_up Up.\n"
		"# TYPE corral_x_up gauge\n"
		"corral_x_up{name=\"web\",state=\"RUNNING\"} 1\n"
		"# EOF\n");
	free(s);
}

static void test_label_escapes(void **state)
{
	(void)state;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	promtext_label(f, "name", "a\\b\"c\nd");
	fputc(' ', f);
	promtext_label(f, "e", "");
	fputc(' ', f);
	promtext_label(f, "f", "\n\n\"\\");
	assert_int_equal(fclose(f), 0);
	assert_string_equal(buf, "name=\"a\\\\b\\\"c\\nd\" e=\"\" f=\"\\n\\n\\\"\\\\\"");
	free(buf);
}

static void test_accept(void **state)
{
	(void)state;
	/* Prometheus's own scrape header */
	assert_true(promtext_wants_openmetrics(
		"application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
		"version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"));
	assert_true(promtext_wants_openmetrics("application/openmetrics-text"));
	assert_true(promtext_wants_openmetrics(" Application/OpenMetrics-Text ; Version=\"1.0.0\" "));
	/* text preferred, or OpenMetrics refused, or another version only */
	assert_false(promtext_wants_openmetrics(NULL));
	assert_false(promtext_wants_openmetrics(""));
	assert_false(promtext_wants_openmetrics("text/plain"));
	assert_false(promtext_wants_openmetrics("*/*"));
	assert_false(promtext_wants_openmetrics("application/openmetrics-text;q=0,text/plain"));
	assert_false(promtext_wants_openmetrics("application/openmetrics-text;version=0.0.1"));
	assert_false(promtext_wants_openmetrics(
		"application/openmetrics-text;q=0.4,text/plain;q=0.5"));
	/* the most specific range gives text/plain its q */
	assert_true(promtext_wants_openmetrics("application/openmetrics-text;q=0.4,text/*;q=0.3"));
	assert_false(promtext_wants_openmetrics("application/openmetrics-text;q=0.4,*/*;q=0.9"));
	/* malformed parameters read as nothing: never a crash */
	assert_false(promtext_wants_openmetrics("application/openmetrics-text;q=x"));
	assert_true(promtext_wants_openmetrics("application/openmetrics-text;;=;q,"));
	assert_false(promtext_wants_openmetrics(";;,,;"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_004),
		cmocka_unit_test(test_openmetrics),
		cmocka_unit_test(test_label_escapes),
		cmocka_unit_test(test_accept),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
