/* cron — a program's schedule as data: crontab(5)'s five fields (minute,
 * hour, day of month, month, day of week, with lists, ranges, steps and
 * names), the @ shorthands, @reboot, and @every DURATION; and the
 * arithmetic of its next trigger. No I/O: the scheduler (schedule.c) reads
 * the clock and arms the timers; this file only computes.
 *
 * Local time is the process's time zone (TZ, tzset()): the caller switches
 * TZ around a call for another zone. In local time a trigger at a time the
 * spring-forward skips (02:30 on such a day in America/New_York) fires once,
 * at the first moment after the gap that mktime() gives it (03:30 EDT); a
 * time the fall-back repeats (01:30) fires once, at its first occurrence,
 * and a time already passed in the repeated hour is not fired again. */
#ifndef CORRAL_CRON_H
#define CORRAL_CRON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum cron_kind {
	CRON_FIELDS,    /* the five fields (the @ shorthands but @reboot are these) */
	CRON_REBOOT,    /* @reboot: once, when corrald starts */
	CRON_EVERY,     /* @every DURATION: a monotonic interval */
};

struct cron {
	enum cron_kind kind;
	uint64_t minute;        /* bit N: minute N (0-59) */
	uint32_t hour;          /* bit N: hour N (0-23) */
	uint32_t dom;           /* bit N: day N of the month (1-31) */
	uint16_t month;         /* bit N: month N (1-12) */
	uint8_t dow;            /* bit N: weekday N (0 Sunday - 6; 7 is 0) */
	bool dom_star, dow_star;/* the field began with '*': not restricted */
	int64_t every_s;        /* CRON_EVERY: seconds, > 0 */
};

/* Seconds @every takes at most (a year). */
#define CRON_EVERY_MAX (366LL * 24 * 3600)

/* TEXT into C: 0, or -EINVAL with ERR saying what is wrong ("minute: 61 is
 * out of range 0-59"). */
int cron_parse(const char *text, struct cron *c, char *err, size_t errlen);

/* The first trigger of C's fields strictly after AFTER (seconds since the
 * epoch), in UTC or local time: its time, or -1 when there is none within
 * eight years (February 30th). Not for @reboot or @every. */
int64_t cron_next(const struct cron *c, int64_t after, bool utc);

#endif
