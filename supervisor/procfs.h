/* procfs — what the files of /proc/PID say, from their text: pure, no I/O
 * (the caller reads them; a process may be gone by then). */
#ifndef CORRAL_PROCFS_H
#define CORRAL_PROCFS_H

#include <stdint.h>

/* From /proc/PID/stat: its user + system time in clock ticks, or -1. */
int64_t procfs_cpu_ticks(const char *text);
/* From /proc/PID/stat: when it started, in clock ticks after boot, or -1. */
int64_t procfs_start_ticks(const char *text);
/* From /proc/PID/statm: its resident pages, or -1. */
int64_t procfs_resident_pages(const char *text);

#endif
