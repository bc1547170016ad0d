/* procfs — what /proc/PID files say (procfs.h). */
#include "supervisor/procfs.h"

#include <stdlib.h>
#include <string.h>

int64_t procfs_cpu_ticks(const char *text)
{
	/* "PID (COMM) S PPID ...": COMM may hold anything, ')' included */
	const char *p = strrchr(text, ')');
	if (!p)
		return -1;
	p++;
	/* after it: state is field 3; utime 14 and stime 15 */
	long long utime = -1, stime = -1;
	for (int field = 2; *p && field < 15; ) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		field++;
		if (field == 14)
			utime = strtoll(p, NULL, 10);
		else if (field == 15)
			stime = strtoll(p, NULL, 10);
		p += strcspn(p, " ");
	}
	return utime >= 0 && stime >= 0 ? utime + stime : -1;
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
