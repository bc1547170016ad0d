/* procfs — what /proc/PID files say (procfs.h). */
#include "supervisor/procfs.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Fields FIRST and FIRST + 1 (1-based, as proc(5) counts them, FIRST > 3)
 * of a /proc/PID/stat TEXT into V[0] and V[1]; false when short. */
static bool stat_fields(const char *text, int first, long long v[2])
{
	/* "PID (COMM) S PPID ...": COMM may hold anything, ')' included */
	const char *p = strrchr(text, ')');
	if (!p)
		return false;
	p++;
	/* after it: state is field 3 */
	v[0] = v[1] = -1;
	for (int field = 2; *p && field < first + 1; ) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		field++;
		if (field == first || field == first + 1)
			v[field - first] = strtoll(p, NULL, 10);
		p += strcspn(p, " ");
	}
	return v[0] >= 0 && v[1] >= 0;
}

int64_t procfs_cpu_ticks(const char *text)
{
	long long v[2];
	/* utime 14 and stime 15 */
	return stat_fields(text, 14, v) ? v[0] + v[1] : -1;
}

int64_t procfs_start_ticks(const char *text)
{
	long long v[2];
	/* starttime 22 (and vsize 23 after it) */
	return stat_fields(text, 22, v) ? v[0] : -1;
}

int64_t procfs_resident_pages(const char *text)
{
	char *end;
	(void)strtoll(text, &end, 10); /* size */
	if (end == text || *end != ' ')
		return -1;
	const char *r = end + 1;
	long long resident = strtoll(r, &end, 10);
	return end > r && resident >= 0 ? resident : -1;
}
