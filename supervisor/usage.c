/* usage — what a process's tree uses (usage.h). */
#include "supervisor/usage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipc/io.h"
#include "supervisor/cgroup.h"
#include "supervisor/cgroup1.h"
#include "supervisor/core.h"
#include "supervisor/process.h"
#include "supervisor/procfs.h"

/* Bounds what one status reads from /proc for one tree. */
#define USAGE_MAX_PIDS 4096

struct sum {
	bool cpu, mem;          /* what to read */
	int64_t ticks, pages;
	int n;
};

/* Only what the cgroups did not say: a metrics scrape reads a thousand
 * trees, and each file of /proc is an open, a read and a close. */
static void add_proc(pid_t pid, void *ctx)
{
	struct sum *s = ctx;
	char path[64], text[1024];
	int64_t t = 0, m = 0;
	if (s->cpu) {
		snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
		t = io_read_text(path, text, sizeof text) > 0 ? procfs_cpu_ticks(text) : -1;
	}
	if (s->mem && t >= 0) {
		snprintf(path, sizeof path, "/proc/%d/statm", (int)pid);
		m = io_read_text(path, text, sizeof text) > 0 ? procfs_resident_pages(text) : -1;
	}
	if (t < 0 || m < 0)
		return; /* gone meanwhile */
	s->ticks += t;
	s->pages += m;
	s->n++;
}

void usage_read(const struct process *p, struct usage *u)
{
	u->cpu_usec = u->mem = u->mem_peak = -1;
	u->tree = -1;
	if (!p->pid)
		return;
	struct cgroup_usage cu = { -1, -1, -1 };
	bool leaf = core.cgroups && p->leaf_used;
	if (leaf)
		(void)cgroup_leaf_usage(p->name, &cu);
	if (cu.mem < 0 && p->leaf1_used)
		(void)cgroup1_memory(p->name, &cu.mem, &cu.mem_peak);
	struct sum s = { .cpu = cu.cpu_usec < 0, .mem = cu.mem < 0 };
	if (cu.cpu_usec < 0 || cu.mem < 0) { /* /proc only for what the cgroups do not say */
		int n = leaf ? cgroup_leaf_pids(p->name, add_proc, &s, USAGE_MAX_PIDS) : -1;
		if (n < 0) /* process groups: what corrald knows of is its main process */
			add_proc(p->pid, &s);
		else if (n < USAGE_MAX_PIDS) /* every one of them: the tree's size */
			u->tree = n;
	}
	if (cu.cpu_usec < 0 && s.n) {
		long hz = sysconf(_SC_CLK_TCK);
		cu.cpu_usec = hz > 0 ? s.ticks * 1000000 / hz : -1;
	}
	if (cu.mem < 0 && s.n) {
		long page = sysconf(_SC_PAGESIZE);
		cu.mem = page > 0 ? s.pages * page : -1;
	}
	u->cpu_usec = cu.cpu_usec;
	u->mem = cu.mem;
	u->mem_peak = cu.mem_peak;
}
