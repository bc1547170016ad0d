/* cron — schedules parsed and their next trigger computed (cron.h). */
#include "supervisor/cron.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static const char *const month_names[] = { "jan", "feb", "mar", "apr", "may", "jun",
					   "jul", "aug", "sep", "oct", "nov", "dec", NULL };
static const char *const day_names[] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL };

struct field {
	const char *name;
	int lo, hi;
	const char *const *names; /* names[i] is value lo + i */
};

static const struct field fields[5] = {
	{ "minute", 0, 59, NULL },
	{ "hour", 0, 23, NULL },
	{ "day of month", 1, 31, NULL },
	{ "month", 1, 12, month_names },
	{ "day of week", 0, 7, day_names },
};

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* One value of field F at *S (a number or, where F has them, a name of
 * three letters): 0 and *S past it, or -EINVAL. */
static int value(const struct field *f, const char **s, int *out, char *err, size_t errlen)
{
	const char *p = *s;
	if (isdigit((unsigned char)*p)) {
		long v = 0;
		while (isdigit((unsigned char)*p) && v <= 1000)
			v = v * 10 + (*p++ - '0');
		if (isdigit((unsigned char)*p) || v < f->lo || v > f->hi)
			return fail(err, errlen, "%s: %.*s is out of range %d-%d", f->name,
				    (int)strspn(*s, "0123456789"), *s, f->lo, f->hi);
		*out = (int)v;
		*s = p;
		return 0;
	}
	for (int i = 0; f->names && f->names[i]; i++)
		if (strncasecmp(p, f->names[i], 3) == 0 && !isalpha((unsigned char)p[3])) {
			*out = f->lo + i;
			*s = p + 3;
			return 0;
		}
	size_t n = strcspn(p, ",-/");
	if (!n)
		return fail(err, errlen, "%s: a value is missing", f->name);
	return fail(err, errlen, "%s: '%.*s' is not %s", f->name, (int)n, p,
		    f->names == month_names ? "a number from 1 to 12 or a month's name (jan-dec)"
		    : f->names ? "a number from 0 to 7 or a day's name (sun-sat)"
				 : "a number");
}

/* Field F, TEXT (LEN bytes, no blanks), into the bits *BITS; *STAR when it
 * begins with '*'. */
static int parse_field(const struct field *f, const char *text, size_t len, uint64_t *bits,
		       bool *star, char *err, size_t errlen)
{
	char buf[256];
	if (len >= sizeof buf)
		return fail(err, errlen, "%s: too long", f->name);
	memcpy(buf, text, len);
	buf[len] = '\0';
	*bits = 0;
	*star = buf[0] == '*';
	char *save = NULL;
	if (buf[0] == ',' || buf[len - 1] == ',' || strstr(buf, ",,"))
		return fail(err, errlen, "%s: an empty item in the list '%s'", f->name, buf);
	for (char *item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		const char *s = item;
		int lo, hi, step = 1, r;
		bool range = false;
		if (*s == '*') {
			lo = f->lo, hi = f->hi;
			s++;
			range = true;
		} else {
			if ((r = value(f, &s, &lo, err, errlen)) < 0)
				return r;
			hi = lo;
			if (*s == '-') {
				s++;
				if ((r = value(f, &s, &hi, err, errlen)) < 0)
					return r;
				range = true;
				if (hi < lo)
					return fail(err, errlen, "%s: the range %s goes backwards",
						    f->name, item);
			}
		}
		if (*s == '/') {
			const char *d = ++s;
			long v = 0;
			while (isdigit((unsigned char)*s) && v <= 1000)
				v = v * 10 + (*s++ - '0');
			if (s == d || *s || v < 1 || v > f->hi)
				return fail(err, errlen, "%s: the step in '%s' must be a number "
					    "from 1 to %d", f->name, item, f->hi);
			step = (int)v;
			if (!range) /* "5/15": from 5 to the end, as cronie reads it */
				hi = f->hi;
		}
		if (*s)
			return fail(err, errlen, "%s: '%s' is not a value, range (a-b) or step "
				    "(*/n, a-b/n)", f->name, item);
		for (int v = lo; v <= hi; v += step)
			*bits |= 1ULL << v;
	}
	return 0;
}

static const struct {
	const char *name, *fields;
} shorthands[] = {
	{ "@yearly", "0 0 1 1 *" },  { "@annually", "0 0 1 1 *" }, { "@monthly", "0 0 1 * *" },
	{ "@weekly", "0 0 * * 0" },  { "@daily", "0 0 * * *" },    { "@midnight", "0 0 * * *" },
	{ "@hourly", "0 * * * *" },
};

/* "1h30m", "30s", "90s": seconds, or -EINVAL. */
static int parse_every(const char *s, struct cron *c, char *err, size_t errlen)
{
	static const char what[] = "@every takes a duration with units s, m and h "
				   "(30s, 5m, 1h30m)";
	int64_t total = 0;
	s += strspn(s, " \t");
	if (!*s)
		return fail(err, errlen, "%s, and none is given", what);
	const char *start = s;
	while (*s) {
		if (!isdigit((unsigned char)*s))
			return fail(err, errlen, "%s, not '%s'", what, start);
		int64_t v = 0;
		while (isdigit((unsigned char)*s) && v <= CRON_EVERY_MAX)
			v = v * 10 + (*s++ - '0');
		int64_t unit = *s == 's' ? 1 : *s == 'm' ? 60 : *s == 'h' ? 3600 : 0;
		if (!unit)
			return fail(err, errlen, "%s, not '%s'", what, start);
		s++;
		if (v > CRON_EVERY_MAX || (total += v * unit) > CRON_EVERY_MAX)
			return fail(err, errlen, "@every: '%s' is longer than a year", start);
	}
	if (total < 1)
		return fail(err, errlen, "@every: '%s' must be at least 1s", start);
	c->kind = CRON_EVERY;
	c->every_s = total;
	return 0;
}

int cron_parse(const char *text, struct cron *c, char *err, size_t errlen)
{
	*c = (struct cron){ .kind = CRON_FIELDS };
	text += strspn(text, " \t");
	if (text[0] == '@') {
		size_t n = strcspn(text, " \t");
		if (n == 6 && strncasecmp(text, "@every", 6) == 0)
			return parse_every(text + 6, c, err, errlen);
		const char *rest = text + n + strspn(text + n, " \t");
		if (*rest)
			return fail(err, errlen, "%.*s takes nothing after it", (int)n, text);
		if (n == 7 && strncasecmp(text, "@reboot", 7) == 0) {
			c->kind = CRON_REBOOT;
			return 0;
		}
		for (size_t i = 0; i < sizeof shorthands / sizeof shorthands[0]; i++)
			if (strlen(shorthands[i].name) == n &&
			    strncasecmp(text, shorthands[i].name, n) == 0)
				return cron_parse(shorthands[i].fields, c, err, errlen);
		return fail(err, errlen, "unknown '%.*s' (@reboot, @yearly, @annually, @monthly, "
			    "@weekly, @daily, @midnight, @hourly or @every DURATION)", (int)n, text);
	}
	const char *s = text;
	int nf = 0;
	uint64_t bits[5];
	bool star[5];
	while (*s) {
		size_t len = strcspn(s, " \t");
		if (nf == 5)
			return fail(err, errlen, "five fields expected (minute hour day-of-month "
				    "month day-of-week), found more: '%s'", s);
		int r = parse_field(&fields[nf], s, len, &bits[nf], &star[nf], err, errlen);
		if (r < 0)
			return r;
		nf++;
		s += len;
		s += strspn(s, " \t");
	}
	if (nf < 5)
		return fail(err, errlen, "five fields expected (minute hour day-of-month month "
			    "day-of-week), found %d", nf);
	c->minute = bits[0];
	c->hour = (uint32_t)bits[1];
	c->dom = (uint32_t)bits[2];
	c->month = (uint16_t)bits[3];
	c->dow = (uint8_t)((bits[4] | (bits[4] >> 7)) & 0x7f); /* 7 is Sunday too */
	c->dom_star = star[2];
	c->dow_star = star[4];
	return 0;
}

/* ---- the next trigger ---- */

static bool has(uint64_t bits, int n)
{
	return (bits >> n) & 1;
}

/* crontab(5): when both day fields are restricted (neither begins with
 * '*'), a day matching either runs; else both must match (the '*' one
 * always does). */
static bool day_matches(const struct cron *c, const struct tm *tm)
{
	bool dom = has(c->dom, tm->tm_mday), dow = has(c->dow, tm->tm_wday);
	if (c->dom_star || c->dow_star)
		return dom && dow;
	return dom || dow;
}

static bool same_minute(const struct tm *a, const struct tm *b)
{
	return a->tm_year == b->tm_year && a->tm_mon == b->tm_mon && a->tm_mday == b->tm_mday &&
	       a->tm_hour == b->tm_hour && a->tm_min == b->tm_min;
}

/* The moment local time CIVIL (a wall-clock time, no zone) happens: its
 * first occurrence when the fall-back repeats it; when the spring-forward
 * skips it, the moment mktime() puts it after the gap (the later of its
 * two readings); -1 when mktime() cannot say. */
static int64_t local_moment(const struct tm *civil)
{
	int64_t best = -1, later = -1;
	for (int dst = 0; dst <= 1; dst++) {
		struct tm tm = *civil, back;
		tm.tm_isdst = dst;
		time_t t = mktime(&tm);
		if (t == (time_t)-1)
			continue;
		if (t > later)
			later = t;
		if (localtime_r(&t, &back) && same_minute(&back, civil) && (best < 0 || t < best))
			best = t;
	}
	return best >= 0 ? best : later;
}

int64_t cron_next(const struct cron *c, int64_t after, bool utc)
{
	if (c->kind != CRON_FIELDS || !c->minute || !c->hour || !c->dom || !c->month || !c->dow)
		return -1;
	time_t t0 = (time_t)after;
	struct tm tm;
	if (!(utc ? gmtime_r(&t0, &tm) : localtime_r(&t0, &tm)))
		return -1;
	/* Walk wall-clock time as if it were UTC (timegm: no zone, no
	 * DST), from the minute after AFTER's. */
	tm.tm_sec = 0;
	tm.tm_isdst = 0;
	time_t civil = timegm(&tm) + 60;
	int last_year = tm.tm_year + 8;
	for (;;) {
		if (!gmtime_r(&civil, &tm) || tm.tm_year > last_year)
			return -1;
		if (!has(c->month, tm.tm_mon + 1)) {
			tm.tm_mon++, tm.tm_mday = 1, tm.tm_hour = 0, tm.tm_min = 0;
		} else if (!day_matches(c, &tm)) {
			tm.tm_mday++, tm.tm_hour = 0, tm.tm_min = 0;
		} else if (!has(c->hour, tm.tm_hour)) {
			tm.tm_hour++, tm.tm_min = 0;
		} else if (!has(c->minute, tm.tm_min)) {
			tm.tm_min++;
		} else {
			int64_t t = utc ? (int64_t)civil : local_moment(&tm);
			if (t > after)
				return t;
			tm.tm_min++; /* passed already: the fall-back's repeated hour */
		}
		civil = timegm(&tm);
	}
}
