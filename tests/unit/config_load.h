/* The config tests' common part: load a config held in a string into cfg
 * and errs, and check the messages a user would see. Included by
 * test_config.c, test_poolcfg.c and test_sandbox_config.c after cmocka.h
 * and supervisor/config.h; a teardown frees what a test loaded. */
#ifndef CORRAL_TEST_CONFIG_LOAD_H
#define CORRAL_TEST_CONFIG_LOAD_H

#include <errno.h>
#include <stdarg.h>
#include <string.h>

static struct corral_config cfg;
static struct config_errors errs;

static inline void dump_errors(void)
{
	for (size_t i = 0; i < errs.n; i++)
		print_message("  error: %s\n", errs.msgs[i]);
}

static inline void assert_zeroed(const struct corral_config *c)
{
	static const struct corral_config zero;
	assert_memory_equal(c, &zero, sizeof zero);
}

/* Load TEXT as "t.conf"; it must be valid. */
static inline struct corral_config *load_ok(const char *text)
{
	config_free(&cfg);
	config_errors_free(&errs);
	int rc = config_load_string("t.conf", text, &cfg, &errs);
	if (rc != 0 || errs.n) {
		dump_errors();
		fail_msg("config_load_string() = %d with %zu errors", rc, errs.n);
	}
	return &cfg;
}

/* ... and have a program: the first. */
static inline struct program_config *load_prog(const char *text)
{
	load_ok(text);
	assert_true(cfg.nprograms >= 1);
	return &cfg.programs[0];
}

/* Check that the messages so far are exactly the NULL-terminated list AP. */
static inline void check_messages(va_list ap)
{
	size_t i = 0;
	for (const char *want; (want = va_arg(ap, const char *)); i++) {
		if (i >= errs.n) {
			dump_errors();
			fail_msg("missing error %zu: %s", i, want);
		}
		if (strcmp(errs.msgs[i], want) != 0) {
			dump_errors();
			fail_msg("error %zu is\n  \"%s\", expected\n  \"%s\"", i, errs.msgs[i], want);
		}
	}
	if (i != errs.n) {
		dump_errors();
		fail_msg("%zu errors, expected %zu", errs.n, i);
	}
}

/* Load TEXT as "t.conf"; it must fail with exactly the NULL-terminated
 * messages that follow, and leave cfg zeroed. */
static inline void expect_errors(const char *text, ...)
{
	config_free(&cfg);
	config_errors_free(&errs);
	int rc = config_load_string("t.conf", text, &cfg, &errs);
	assert_int_equal(rc, -EINVAL);
	assert_zeroed(&cfg);
	va_list ap;
	va_start(ap, text);
	check_messages(ap);
	va_end(ap);
}

static inline int teardown(void **state)
{
	(void)state;
	config_free(&cfg);
	config_errors_free(&errs);
	return 0;
}

#endif
