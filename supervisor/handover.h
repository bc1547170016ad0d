/* handover — what corrald hands to the corrald it execs (corralctl reexec):
 * a record written whole into a memfd before the exec and read whole, and
 * checked, by the new binary before it takes anything over. The record
 * says which descriptors (kept open across the exec) are what, and the
 * state of every process; it carries no pointer and no config: the config
 * in force is read again from its file (the same file: a reexec is not a
 * reload).
 *
 * Layout, version HANDOVER_VERSION (integers little-endian, a string as a
 * u32 length and its bytes):
 *     "corral-handover\n"  u32 version  u64 body length  body
 * body: str corrald version, str config path; u32 n, then n descriptors
 * (str kind, str key, i32 fd); str scope path ("" when none), i32 guard pid,
 * i32 guard pipe, i32 guard pidfd; u32 n, then n processes (struct
 * handover_proc, in the order of its fields). A record that is short, long,
 * of another version or whose fields do not parse is refused whole. */
#ifndef CORRAL_HANDOVER_H
#define CORRAL_HANDOVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HANDOVER_VERSION 1
#define HANDOVER_MAGIC "corral-handover\n"

struct handover_stream {
	int pipe_fd;           /* our read end, -1 when none */
	bool at_line_start, continued;
	uint64_t line_len;
	uint64_t dropped, blocked_ms, syslog_dropped;
};

struct handover_proc {
	char *name;
	int pid, pidfd;        /* 0 and -1 when not running */
	uint32_t state;        /* enum pstate */
	int32_t retries;
	bool restart_due;
	uint32_t killing, last; /* enum pfailure */
	int64_t started_ms;    /* CLOCK_MONOTONIC: the same clock after the exec */
	int64_t start_wall, stop_wall;
	int32_t exitcode, exitsig, exit_pid;
	char *spawnerr;        /* NULL: none */
	bool leaf_used;
	struct handover_stream out, err;
};

struct handover_fd {
	char *kind, *key;
	int fd;
	bool taken;
};

struct handover {
	char *version;         /* of the corrald that wrote it */
	char *config_path;
	struct handover_fd *fds;
	size_t nfds;
	char *scope_path;      /* "" when none */
	int guard_pid, guard_pipe, guard_pidfd;
	struct handover_proc *procs;
	size_t nprocs;
};

/* ---- building (the corrald that execs) ---- */

/* FD, known as KIND/KEY ("control", the socket's path), goes across. */
int handover_add_fd(struct handover *h, const char *kind, const char *key, int fd);
/* A process slot, zeroed but for its name and -1 descriptors; NULL: no memory. */
struct handover_proc *handover_add_proc(struct handover *h, const char *name);

/* H into a memfd: its descriptor (not close-on-exec), or -errno. */
int handover_write(const struct handover *h);
/* The bytes of H, in BUF (malloc'd, *LEN long): for tests and the memfd. */
int handover_encode(const struct handover *h, char **buf, size_t *len);

/* ---- reading (the corrald that was exec'd) ---- */

/* BUF (LEN bytes) into H. 0, or -EINVAL with WHY saying what is wrong. */
int handover_decode(const char *buf, size_t len, struct handover *h, char *why, size_t whylen);
/* FD (a memfd) read whole and decoded, then closed. As handover_decode. */
int handover_read(int fd, struct handover *h, char *why, size_t whylen);

void handover_free(struct handover *h);

/* ---- the record the new corrald started from, for its parts to take from ---- */

/* Keep H (moved in) as the one to take from; NULL: none. */
void handover_set_current(struct handover *h);
/* Whether corrald started from a handover. */
bool handover_active(void);
/* The descriptor known as KIND/KEY, taken (the caller owns it), or -1. */
int handover_take_fd(const char *kind, const char *key);
/* The process NAME of the record, or NULL. */
const struct handover_proc *handover_find_proc(const char *name);
/* The record as a whole, or NULL. */
const struct handover *handover_current(void);
/* Close what no part took, and forget the record. */
void handover_done(void);

#endif
