/* Unit tests for supervisor/cron.c: cron expressions read and refused,
 * and the arithmetic of the next trigger in UTC and in fixed zones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "supervisor/cron.h"

/* "2026-03-08 07:30" read as UTC. */
static int64_t utc(const char *s)
{
	struct tm tm = { 0 };
	const char *end = strptime(s, "%Y-%m-%d %H:%M", &tm);
	assert_non_null(end);
	assert_int_equal(*end, '\0');
	return (int64_t)timegm(&tm);
}

static void zone(const char *tz)
{
	assert_int_equal(setenv("TZ", tz, 1), 0);
	tzset();
}

/* The next trigger of EXPR after AFTER (UTC text), as UTC text ("none"). */
static const char *next(const char *expr, const char *after, bool in_utc)
{
	static char buf[32];
	struct cron c;
	char err[200] = "";
	if (cron_parse(expr, &c, err, sizeof err) != 0)
		fail_msg("%s: %s", expr, err);
	int64_t t = cron_next(&c, utc(after), in_utc);
	if (t < 0)
		return "none";
	time_t tt = (time_t)t;
	struct tm tm;
	assert_non_null(gmtime_r(&tt, &tm));
	strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm);
	return buf;
}

static void parse_ok(const char *expr, struct cron *c)
{
	char err[200] = "";
	if (cron_parse(expr, c, err, sizeof err) != 0)
		fail_msg("%s: %s", expr, err);
}

static void test_parse_fields(void **state)
{
	(void)state;
	struct cron c;
	parse_ok("*/5 * * * *", &c);
	assert_int_equal(c.kind, CRON_FIELDS);
	for (int m = 0; m < 60; m++)
		assert_int_equal((c.minute >> m) & 1, m % 5 == 0);
	assert_int_equal(c.hour, 0xffffffu);
	assert_true(c.dom_star && c.dow_star);

	/* lists of ranges with steps, "5/15" as "5-59/15" */
	parse_ok("1,10-20/5,45 5/15 * * *", &c);
	assert_int_equal(c.minute, (1ULL << 1) | (1ULL << 10) | (1ULL << 15) | (1ULL << 20) |
					   (1ULL << 45));
	assert_int_equal(c.hour, (1u << 5) | (1u << 20));

	/* names in any case, ranges of names, 7 and 0 both Sunday */
	parse_ok("0 9 1,15 JAN-mar mon-FRI", &c);
	assert_int_equal(c.month, (1u << 1) | (1u << 2) | (1u << 3));
	assert_int_equal(c.dow, 0x3e);
	assert_false(c.dom_star || c.dow_star);
	parse_ok("0 0 * * 7", &c);
	assert_int_equal(c.dow, 1);
	parse_ok("0 0 * * 5-7", &c);
	assert_int_equal(c.dow, 0x61);
	parse_ok("\t0  0\t* * sun", &c);
	assert_int_equal(c.dow, 1);
}

static void test_parse_shorthands(void **state)
{
	(void)state;
	struct cron c, d;
	static const char *const pairs[][2] = {
		{ "@yearly", "0 0 1 1 *" },  { "@annually", "0 0 1 1 *" },
		{ "@monthly", "0 0 1 * *" }, { "@weekly", "0 0 * * 0" },
		{ "@daily", "0 0 * * *" },   { "@midnight", "0 0 * * *" },
		{ "@hourly", "0 * * * *" },
	};
	for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
		parse_ok(pairs[i][0], &c);
		parse_ok(pairs[i][1], &d);
		assert_memory_equal(&c, &d, sizeof c);
	}
	parse_ok("@reboot", &c);
	assert_int_equal(c.kind, CRON_REBOOT);
	parse_ok("@every 30s", &c);
	assert_int_equal(c.kind, CRON_EVERY);
	assert_int_equal(c.every_s, 30);
	parse_ok("@every 1h30m", &c);
	assert_int_equal(c.every_s, 5400);
	parse_ok("@every 2m5s", &c);
	assert_int_equal(c.every_s, 125);
}

static void test_parse_errors(void **state)
{
	(void)state;
	static const char *const cases[][2] = {
		{ "61 * * * *", "minute: 61 is out of range 0-59" },
		{ "* 24 * * *", "hour: 24 is out of range 0-23" },
		{ "* * 0 * *", "day of month: 0 is out of range 1-31" },
		{ "* * * 13 *", "month: 13 is out of range 1-12" },
		{ "* * * * 8", "day of week: 8 is out of range 0-7" },
		{ "* * * *", "five fields expected (minute hour day-of-month month "
			     "day-of-week), found 4" },
		{ "* * * * * /bin/true", "found more: '/bin/true'" },
		{ "", "found 0" },
		{ "5-1 * * * *", "minute: the range 5-1 goes backwards" },
		{ "*/0 * * * *", "minute: the step in '*/0' must be a number from 1 to 59" },
		{ "*/x * * * *", "the step in '*/x'" },
		{ "1,,2 * * * *", "minute: an empty item in the list '1,,2'" },
		{ "* * * foo *", "month: 'foo' is not a number from 1 to 12 or a month's name" },
		{ "* * * * funday", "day of week: 'funday' is not a number from 0 to 7" },
		{ "jan * * * *", "minute: 'jan' is not a number" },
		{ "1x * * * *", "minute: '1x' is not a value, range (a-b) or step" },
		{ "@often", "unknown '@often'" },
		{ "@daily 5", "@daily takes nothing after it" },
		{ "@every", "@every takes a duration with units s, m and h (30s, 5m, 1h30m), "
			    "and none is given" },
		{ "@every 5", "not '5'" },
		{ "@every 5d", "not '5d'" },
		{ "@every 0s", "@every: '0s' must be at least 1s" },
		{ "@every 9000h", "@every: '9000h' is longer than a year" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct cron c;
		char err[300] = "";
		int r = cron_parse(cases[i][0], &c, err, sizeof err);
		if (r != -22 || !strstr(err, cases[i][1]))
			fail_msg("'%s': %d '%s', wanted '%s'", cases[i][0], r, err, cases[i][1]);
	}
}

static void test_next_basic(void **state)
{
	(void)state;
	assert_string_equal(next("*/5 * * * *", "2026-01-01 10:02", true), "2026-01-01 10:05");
	/* strictly after: at 10:05 itself the next is 10:10 */
	assert_string_equal(next("*/5 * * * *", "2026-01-01 10:05", true), "2026-01-01 10:10");
	assert_string_equal(next("* * * * *", "2026-12-31 23:59", true), "2027-01-01 00:00");
	assert_string_equal(next("@hourly", "2026-01-01 10:00", true), "2026-01-01 11:00");
	assert_string_equal(next("@yearly", "2026-06-01 00:00", true), "2027-01-01 00:00");
	/* steps, ranges and lists together */
	assert_string_equal(next("10-20/5,45 3 * * *", "2026-01-01 03:16", true),
			    "2026-01-01 03:20");
	assert_string_equal(next("10-20/5,45 3 * * *", "2026-01-01 03:21", true),
			    "2026-01-01 03:45");
	assert_string_equal(next("10-20/5,45 3 * * *", "2026-01-01 03:45", true),
			    "2026-01-02 03:10");
	/* names */
	assert_string_equal(next("0 9 * feb mon", "2026-01-01 00:00", true), "2026-02-02 09:00");
}

static void test_next_month_ends(void **state)
{
	(void)state;
	/* the 31st skips the months without one */
	assert_string_equal(next("0 0 31 * *", "2026-04-15 00:00", true), "2026-05-31 00:00");
	assert_string_equal(next("0 0 31 * *", "2026-05-31 00:00", true), "2026-07-31 00:00");
	/* the 30th skips February */
	assert_string_equal(next("0 0 30 * *", "2026-01-31 00:00", true), "2026-03-30 00:00");
	assert_string_equal(next("@monthly", "2026-12-31 23:00", true), "2027-01-01 00:00");
}

static void test_next_leap_years(void **state)
{
	(void)state;
	assert_string_equal(next("0 0 29 2 *", "2026-01-01 00:00", true), "2028-02-29 00:00");
	assert_string_equal(next("0 0 29 2 *", "2028-02-29 00:00", true), "2032-02-29 00:00");
	/* 2100 is no leap year: from 2096 the next is 2104 */
	assert_string_equal(next("0 0 29 2 *", "2096-03-01 00:00", true), "2104-02-29 00:00");
	/* February 30th never comes */
	assert_string_equal(next("0 0 30 2 *", "2026-01-01 00:00", true), "none");
	assert_string_equal(next("0 0 31 4,6,9,11 *", "2026-01-01 00:00", true), "none");
}

static void test_next_day_rule(void **state)
{
	(void)state;
	/* both restricted: the 13th OR a Friday (2026-02-06 is a Friday) */
	assert_string_equal(next("0 0 13 * 5", "2026-02-01 00:00", true), "2026-02-06 00:00");
	assert_string_equal(next("0 0 13 * fri", "2026-02-07 00:00", true), "2026-02-13 00:00");
	assert_string_equal(next("0 0 12 * 5", "2026-02-07 00:00", true), "2026-02-12 00:00");
	/* one begins with '*': both must match, an odd day that is a Friday */
	assert_string_equal(next("0 0 */2 * 5", "2026-02-01 00:00", true), "2026-02-13 00:00");
	/* day of week alone */
	assert_string_equal(next("0 0 * * 5", "2026-02-07 00:00", true), "2026-02-13 00:00");
	/* 7 is Sunday */
	assert_string_equal(next("0 0 * * 7", "2026-02-02 00:00", true), "2026-02-08 00:00");
}

static void test_utc_or_local(void **state)
{
	(void)state;
	zone("Europe/Berlin");
	/* noon in Berlin in winter is 11:00 UTC, in summer 10:00 */
	assert_string_equal(next("0 12 * * *", "2026-01-10 00:00", true), "2026-01-10 12:00");
	assert_string_equal(next("0 12 * * *", "2026-01-10 00:00", false), "2026-01-10 11:00");
	assert_string_equal(next("0 12 * * *", "2026-07-10 00:00", false), "2026-07-10 10:00");
	zone("UTC");
}

/* America/New_York, 2026: clocks go from 02:00 EST to 03:00 EDT on March
 * 8th, and from 02:00 EDT back to 01:00 EST on November 1st. */
static void test_dst_new_york(void **state)
{
	(void)state;
	zone("America/New_York");
	/* 02:30 the day before is 07:30 UTC (EST) */
	assert_string_equal(next("30 2 * * *", "2026-03-07 00:00", false), "2026-03-07 07:30");
	/* spring forward: 02:30 does not exist; it runs once, at 03:30 EDT */
	assert_string_equal(next("30 2 * * *", "2026-03-07 07:30", false), "2026-03-08 07:30");
	/* ... and the day after at 02:30 EDT */
	assert_string_equal(next("30 2 * * *", "2026-03-08 07:30", false), "2026-03-09 06:30");
	/* 02:30 and 03:30 fall on the same moment that day: one run */
	assert_string_equal(next("30 2,3 * * *", "2026-03-08 07:00", false), "2026-03-08 07:30");
	assert_string_equal(next("30 2,3 * * *", "2026-03-08 07:30", false), "2026-03-09 06:30");

	/* fall back: 01:30 comes twice; it runs at the first (EDT, 05:30 UTC) */
	assert_string_equal(next("30 1 * * *", "2026-11-01 04:00", false), "2026-11-01 05:30");
	/* ... and not again at 01:30 EST (06:30 UTC), but the next day */
	assert_string_equal(next("30 1 * * *", "2026-11-01 05:30", false), "2026-11-02 06:30");
	/* even asked from inside the repeated hour (01:10 EST) */
	assert_string_equal(next("30 1 * * *", "2026-11-01 06:10", false), "2026-11-02 06:30");
	/* 02:30 comes once that day, EST */
	assert_string_equal(next("30 2 * * *", "2026-11-01 04:00", false), "2026-11-01 07:30");
	/* an hourly job does not repeat the hour: 01:00 EDT, then 02:00 EST */
	assert_string_equal(next("0 * * * *", "2026-11-01 05:00", false), "2026-11-01 07:00");
	zone("UTC");
}

static void test_not_for_cron_next(void **state)
{
	(void)state;
	struct cron c;
	parse_ok("@reboot", &c);
	assert_int_equal(cron_next(&c, 0, true), -1);
	parse_ok("@every 5s", &c);
	assert_int_equal(cron_next(&c, 0, true), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_fields),
		cmocka_unit_test(test_parse_shorthands),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_next_basic),
		cmocka_unit_test(test_next_month_ends),
		cmocka_unit_test(test_next_leap_years),
		cmocka_unit_test(test_next_day_rule),
		cmocka_unit_test(test_utc_or_local),
		cmocka_unit_test(test_dst_new_york),
		cmocka_unit_test(test_not_for_cron_next),
	};
	zone("UTC");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
