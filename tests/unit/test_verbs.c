/* Unit tests for ipc/verbs.c: the table both ends of the control protocol
 * read is whole and says the same thing everywhere. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "ipc/verbs.h"

static void test_table_whole(void **state)
{
	(void)state;
	for (int i = 0; i < VERB_COUNT; i++) {
		const struct verb *v = &verbs_table[i];
		assert_non_null(v->name);
		if ((int)v->id != i)
			fail_msg("row %d holds verb %d (%s)", i, (int)v->id, v->name);
		assert_ptr_equal(verbs_find(v->name), v);
		if (v->max_args >= 0 && v->max_args < v->min_args)
			fail_msg("%s: takes at most %d, at least %d", v->name, v->max_args, v->min_args);
		/* corralctl says what is missing; corrald says how to write it */
		if (v->min_args > 0 && !v->needs)
			fail_msg("%s: no words for what it needs", v->name);
		if (!(v->flags & VERB_LOCAL) && (v->min_args > 0 || v->max_args >= 0) && !v->usage)
			fail_msg("%s: corrald would have no usage line to answer with", v->name);
		/* --help names it, in each of its forms */
		for (size_t k = 0; k < 2 && v->help[k].synopsis; k++) {
			size_t n = strlen(v->name);
			if (strncmp(v->help[k].synopsis, v->name, n) != 0 ||
			    (v->help[k].synopsis[n] != ' ' && v->help[k].synopsis[n] != '\0'))
				fail_msg("%s: --help shows it as '%s'", v->name, v->help[k].synopsis);
			assert_non_null(v->help[k].summary);
		}
		assert_non_null(v->help[0].synopsis);
	}
}

static void test_find(void **state)
{
	(void)state;
	assert_int_equal(verbs_find("status")->id, VERB_STATUS);
	assert_int_equal(verbs_find("migrate")->id, VERB_MIGRATE);
	assert_true(verbs_find("migrate")->flags & VERB_LOCAL);
	assert_true(verbs_find("run")->flags & VERB_OWN_OPTIONS);
	assert_null(verbs_find("Status"));
	assert_null(verbs_find("stat"));
	assert_null(verbs_find(""));
}

static void test_args_fit(void **state)
{
	(void)state;
	const struct verb *show = verbs_find("show"), *signal = verbs_find("signal");
	assert_false(verbs_args_fit(show, 0));
	assert_true(verbs_args_fit(show, 1));
	assert_false(verbs_args_fit(show, 2));
	assert_false(verbs_args_fit(signal, 1));
	assert_true(verbs_args_fit(signal, 2));
	assert_true(verbs_args_fit(signal, 200));
	assert_true(verbs_args_fit(verbs_find("status"), 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_whole),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_args_fit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
