/* procstatus — one process's status as text fields: what `corralctl
 * status` prints a line of (ipc/proto.h's PS_ fields), composed in one
 * place for every server that shows a process (the control socket today).
 * Its description (PS_INFO) says, in this order of precedence, why it is
 * not running (backoff, disabled, waiting for what it requires, its spawn
 * error) or what it said of itself, then what goes wrong beside: what a
 * killmode = process run left, a log file it cannot write, a limit asked
 * for and not enforced, the system call its seccomp filter killed it for. */
#ifndef CORRAL_PROCSTATUS_H
#define CORRAL_PROCSTATUS_H

#include <stdbool.h>

#include "ipc/proto.h"
#include "supervisor/supervisor.h"

struct procstatus {
	const char *fields[PS_NFIELDS]; /* into the buffers below or P's own strings */
	char pid[16], uptime[24], code[16], sig[16], info[640], tree[16], dropped[24],
		blocked[24], syslog_dropped[24], pool[128], worker[64], pstats[320], cpu[24],
		mem[24], mempeak[24], health[300], lastrun[24], laststatus[16], nextrun[24],
		skipped[24], watches[16], roll[600], scale[16], numprocs[16], restarts[24];
};

/* The cgroup limits corrald can enforce now (a mask of 1 << enum
 * limits_index): the controllers its scope enables for the leaves. Read at
 * most once a second; 0 without cgroup scopes, -1 when unknown. */
int procstatus_limits_enforced(void);

/* PS's fields for P, valid while P and PS are; with USAGE, what its tree
 * uses too (usage.h: a few files read per process). */
void procstatus_fill(const struct process *p, struct procstatus *ps, bool usage);

#endif
