/* Unit tests for ctl/toprows.c: corralctl top's table without a screen —
 * records kept by name and removed by a record of the name alone, the CPU
 * % between two samples, the view grouped, sorted and filtered, and the
 * cells as text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "ctl/toprows.h"

/* A status record as corrald writes one (fields by PS_ index). */
static void record(char *buf, size_t len, const char *name, const char *state, long pid,
		   long uptime, long restarts, const char *cpu, const char *mem, const char *extra[2])
{
	const char *f[PS_NFIELDS];
	char spid[24], sup[24], srst[24];
	for (int i = 0; i < PS_NFIELDS; i++)
		f[i] = "";
	snprintf(spid, sizeof spid, "%ld", pid);
	snprintf(sup, sizeof sup, "%ld", uptime);
	snprintf(srst, sizeof srst, "%ld", restarts);
	f[PS_NAME] = name;
	f[PS_STATE] = state;
	f[PS_PID] = spid;
	f[PS_UPTIME] = sup;
	f[PS_RESTARTS] = srst;
	f[PS_TREE] = "1";
	f[PS_CPU] = cpu;
	f[PS_MEM] = mem;
	if (extra) { /* a pool worker's pool and figures */
		f[PS_POOL] = extra[0];
		f[PS_POOLSTATS] = extra[1];
	}
	size_t n = 0;
	for (int i = 0; i < PS_NFIELDS; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", f[i], i == PS_NFIELDS - 1 ? "" : "\t");
}

static void add(struct top_table *t, const char *name, const char *state, long pid,
		long restarts, const char *cpu, const char *mem, int64_t now)
{
	char line[1024];
	record(line, sizeof line, name, state, pid, 10, restarts, cpu, mem, NULL);
	assert_int_equal(top_table_update(t, line, strlen(line), now), 0);
}

static void test_update_replace_remove(void **state)
{
	(void)state;
	struct top_table t = { 0 };
	add(&t, "web", "RUNNING", 42, 0, "", "", 0);
	add(&t, "db", "STARTING", 43, 0, "", "", 0);
	assert_int_equal(t.n, 2);
	add(&t, "web", "BACKOFF", 0, 3, "", "", 0);
	assert_int_equal(t.n, 2);
	const struct top_row *r = top_table_find(&t, "web");
	assert_non_null(r);
	assert_string_equal(r->f[PS_STATE], "BACKOFF");
	assert_int_equal(r->restarts, 3);
	assert_int_equal(r->pid, 0);
	/* the name alone: gone */
	assert_int_equal(top_table_update(&t, "web", 3, 0), 0);
	assert_int_equal(t.n, 1);
	assert_null(top_table_find(&t, "web"));
	assert_non_null(top_table_find(&t, "db"));
	/* a name not there: nothing */
	assert_int_equal(top_table_update(&t, "nope", 4, 0), 0);
	assert_int_equal(t.n, 1);
	/* one more, then all gone at once */
	char line[1024];
	record(line, sizeof line, "odd", "RUNNING", 1, 1, 0, "", "", NULL);
	assert_int_equal(top_table_update(&t, line, strlen(line), 0), 0);
	top_table_clear(&t);
	assert_int_equal(t.n, 0);
	top_table_free(&t);
}

static void test_cpu_between_samples(void **state)
{
	(void)state;
	struct top_table t = { 0 };
	add(&t, "web", "RUNNING", 42, 0, "1000000", "1048576", 1000);
	assert_true(top_table_find(&t, "web")->cpu_pct < 0); /* one sample: unknown */
	/* half a second of CPU in one second */
	add(&t, "web", "RUNNING", 42, 0, "1500000", "2097152", 2000);
	const struct top_row *r = top_table_find(&t, "web");
	assert_true(r->cpu_pct > 49.9 && r->cpu_pct < 50.1);
	assert_int_equal(r->mem, 2097152);
	/* a change without usage keeps the last figures for the same process */
	add(&t, "web", "RUNNING", 42, 0, "", "", 2500);
	r = top_table_find(&t, "web");
	assert_true(r->cpu_pct > 49.9 && r->cpu_pct < 50.1);
	assert_int_equal(r->mem, 2097152);
	/* ...but not for a new one */
	add(&t, "web", "RUNNING", 77, 1, "", "", 3000);
	r = top_table_find(&t, "web");
	assert_true(r->cpu_pct < 0);
	assert_int_equal(r->mem, -1);
	char cell[64];
	top_cell(r, TC_CPU, 3000, cell, sizeof cell);
	assert_string_equal(cell, "-");
	top_table_free(&t);
}

/* The view's names, headings as "[g]", joined by spaces. */
static void view_names(const struct top_table *t, enum top_col sort, bool reverse,
		       const char *filter, char *out, size_t len)
{
	struct top_item items[64];
	size_t n = top_view(t, sort, reverse, filter, items);
	size_t k = 0;
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (items[i].row)
			k += (size_t)snprintf(out + k, len - k, "%s%s", k ? " " : "",
					      items[i].row->f[PS_NAME]);
		else
			k += (size_t)snprintf(out + k, len - k, "%s[%.*s]", k ? " " : "",
					      (int)items[i].glen, items[i].group);
	}
}

static void test_view_grouped_sorted_filtered(void **state)
{
	(void)state;
	struct top_table t = { 0 };
	add(&t, "zeta", "RUNNING", 10, 0, "", "", 0);
	add(&t, "web:web_1", "RUNNING", 12, 5, "", "", 0);
	add(&t, "alpha", "FATAL", 0, 1, "", "", 0);
	add(&t, "web:web_0", "RUNNING", 11, 0, "", "", 0);
	add(&t, "grp:b", "STOPPED", 0, 0, "", "", 0);
	add(&t, "grp:a", "RUNNING", 13, 9, "", "", 0);
	char s[512];
	view_names(&t, TC_NAME, false, NULL, s, sizeof s);
	assert_string_equal(s, "alpha [grp] grp:a grp:b [web] web:web_0 web:web_1 zeta");
	view_names(&t, TC_NAME, true, NULL, s, sizeof s);
	assert_string_equal(s, "zeta [web] web:web_1 web:web_0 [grp] grp:b grp:a alpha");
	/* restarts, the most first: a group goes where its first row sorts */
	view_names(&t, TC_RESTARTS, false, NULL, s, sizeof s);
	assert_string_equal(s, "[grp] grp:a grp:b [web] web:web_1 web:web_0 alpha zeta");
	/* states: the ones that need a look first */
	view_names(&t, TC_STATE, false, NULL, s, sizeof s);
	assert_string_equal(s, "alpha [grp] grp:b grp:a [web] web:web_0 web:web_1 zeta");
	/* a filter on name, group or state, case aside */
	view_names(&t, TC_NAME, false, "WEB", s, sizeof s);
	assert_string_equal(s, "[web] web:web_0 web:web_1");
	view_names(&t, TC_NAME, false, "fatal", s, sizeof s);
	assert_string_equal(s, "alpha");
	view_names(&t, TC_NAME, false, "nothing-like-it", s, sizeof s);
	assert_string_equal(s, "");
	view_names(&t, TC_NAME, false, "", s, sizeof s);
	assert_string_equal(s, "alpha [grp] grp:a grp:b [web] web:web_0 web:web_1 zeta");
	top_table_free(&t);
	struct top_item none[1];
	assert_int_equal(top_view(&t, TC_NAME, false, NULL, none), 0);
}

static void test_cells(void **state)
{
	(void)state;
	char b[64];
	top_fmt_uptime(0, b, sizeof b);
	assert_string_equal(b, "0:00:00");
	top_fmt_uptime(3723, b, sizeof b);
	assert_string_equal(b, "1:02:03");
	top_fmt_uptime(86400 * 3 + 4 * 3600 + 5 * 60, b, sizeof b);
	assert_string_equal(b, "3d 04:05");
	top_fmt_bytes(-1, b, sizeof b);
	assert_string_equal(b, "-");
	top_fmt_bytes(512, b, sizeof b);
	assert_string_equal(b, "512B");
	top_fmt_bytes(1536 * 1024, b, sizeof b);
	assert_string_equal(b, "1.5M");
	top_fmt_bytes((int64_t)12 << 30, b, sizeof b);
	assert_string_equal(b, "12G");

	struct top_table t = { 0 };
	add(&t, "web", "RUNNING", 42, 2, "", "", 1000);
	add(&t, "down", "STOPPED", 0, 0, "", "", 1000);
	char line[1024];
	const char *pool[2] = { "jobs", "queue=7 queue_max=100 done=3" };
	record(line, sizeof line, "jobs:w_0", "RUNNING", 50, 5, 0, "", "", pool);
	assert_int_equal(top_table_update(&t, line, strlen(line), 1000), 0);
	const struct top_row *web = top_table_find(&t, "web"), *down = top_table_find(&t, "down");
	/* its uptime goes on from the record's */
	top_cell(web, TC_UPTIME, 1000 + 65000, b, sizeof b);
	assert_string_equal(b, "0:01:15");
	top_cell(down, TC_UPTIME, 5000, b, sizeof b);
	assert_string_equal(b, "-");
	top_cell(web, TC_PID, 0, b, sizeof b);
	assert_string_equal(b, "42");
	top_cell(down, TC_PID, 0, b, sizeof b);
	assert_string_equal(b, "-");
	top_cell(web, TC_RESTARTS, 0, b, sizeof b);
	assert_string_equal(b, "2");
	top_cell(web, TC_READY, 0, b, sizeof b);
	assert_string_equal(b, "yes");
	top_cell(down, TC_READY, 0, b, sizeof b);
	assert_string_equal(b, "-");
	top_cell(web, TC_QUEUE, 0, b, sizeof b);
	assert_string_equal(b, "-");
	top_cell(top_table_find(&t, "jobs:w_0"), TC_QUEUE, 0, b, sizeof b);
	assert_string_equal(b, "7");
	top_cell(web, TC_HEALTH, 0, b, sizeof b);
	assert_string_equal(b, "-");
	/* the columns only some records fill */
	assert_true(top_col_has_data(&t, TC_QUEUE));
	assert_false(top_col_has_data(&t, TC_HEALTH));
	assert_false(top_col_has_data(&t, TC_CPU));
	assert_true(top_col_has_data(&t, TC_STATE));
	for (int c = 0; c < TC_N; c++) {
		assert_non_null(top_col_name((enum top_col)c));
		assert_true(top_col_width((enum top_col)c) >= (int)strlen(top_col_name((enum top_col)c)));
	}
	top_table_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_update_replace_remove),
		cmocka_unit_test(test_cpu_between_samples),
		cmocka_unit_test(test_view_grouped_sorted_filtered),
		cmocka_unit_test(test_cells),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
