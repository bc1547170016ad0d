/* toprows — corralctl top's table, without a screen: the status records
 * corrald pushes (ipc/proto.h, `top`), kept by name; the order they are
 * shown in (grouped by [group:], sorted by a column, filtered by a text);
 * and each cell as text. Pure: no I/O, no curses, so that the unit tests
 * and --once share it with the screen. */
#ifndef CORRAL_TOPROWS_H
#define CORRAL_TOPROWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ipc/proto.h"

enum top_col {
	TC_NAME,
	TC_STATE,
	TC_PID,
	TC_UPTIME,
	TC_RESTARTS,
	TC_CPU,
	TC_MEM,
	TC_HEALTH,
	TC_READY,
	TC_TREE,
	TC_QUEUE,
	TC_N
};

struct top_row {
	char *line;                 /* heap: the record, its fields cut in place */
	const char *f[PS_NFIELDS];  /* into line; "" for a field it has not */
	long pid, uptime, restarts, tree, queue; /* tree, queue: -1 when unknown / none */
	int64_t cpu_usec, mem;      /* -1: unknown */
	double cpu_pct;             /* -1: unknown (one sample only) */
	int64_t at_ms;              /* when it came: its uptime counts on from there */
};

struct top_table {
	struct top_row *v;          /* heap, owned */
	size_t n, cap;
};

/* One item of the view: a group's heading (ROW NULL, GROUP its name) or a
 * process (GROUP its group, or NULL when in none). */
struct top_item {
	const struct top_row *row;
	const char *group;
	size_t glen;
};

/* One record (a line without its '\n', LEN bytes) that came at NOW_MS:
 * replaces the one of the same name, or is added; a record of the name
 * alone removes it. A record with CPU time after one with CPU time gives
 * the CPU % between them. 0, or -ENOMEM (the table is as it was). */
int top_table_update(struct top_table *t, const char *line, size_t len, int64_t now_ms);
/* Every record goes (before an "all"). */
void top_table_clear(struct top_table *t);
void top_table_free(struct top_table *t);
/* The row named NAME, or NULL. */
const struct top_row *top_table_find(const struct top_table *t, const char *name);

/* The view of T into OUT (room for 2 * t->n items): the rows whose name,
 * group or state holds FILTER (case aside; NULL or "": all), sorted by
 * SORT (REVERSE: the other way), each group's heading before its rows,
 * the group placed where its first row sorts. How many items. */
size_t top_view(const struct top_table *t, enum top_col sort, bool reverse, const char *filter,
		struct top_item *out);

/* The heading of column C ("NAME", "CPU%"). */
const char *top_col_name(enum top_col c);
/* Its width on screen (NAME: the least). */
int top_col_width(enum top_col c);
/* Row R's cell in column C at NOW_MS, into BUF. */
void top_cell(const struct top_row *r, enum top_col c, int64_t now_ms, char *buf, size_t len);
/* "1:02:03", "3d 04:05" for SECONDS. */
void top_fmt_uptime(long seconds, char *buf, size_t len);
/* "512K", "1.5M", "12G" for BYTES; "-" when negative. */
void top_fmt_bytes(int64_t bytes, char *buf, size_t len);
/* True when some row has column C's data (CPU and memory, health, pools). */
bool top_col_has_data(const struct top_table *t, enum top_col c);

#endif
