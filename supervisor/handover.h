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
 * handover_proc, in the order of its fields; version 1 ends each at its
 * streams, version 2 at ready_fd); since version 2, u32 n, then
 * n parts (str kind, str key, bytes as a u32 length and its bytes): what a
 * part above the core (a pool) hands over, in a layout of its own written
 * and read with the handover_put_* and handover_get_* below. A record that
 * is short, long, of a version this binary does not read or whose fields
 * do not parse is refused whole. Version 1 (no parts) is still read, so
 * that a corrald of before parts can hand over to this one. */
#ifndef CORRAL_HANDOVER_H
#define CORRAL_HANDOVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HANDOVER_VERSION 3        /* the version written */
#define HANDOVER_VERSION_OLDEST 1 /* the oldest read */
#define HANDOVER_MAGIC "corral-handover\n"

struct handover_stream {
	int pipe_fd;           /* our read end, -1 when none */
	bool at_line_start, continued;
	uint64_t line_len;
	uint64_t dropped, blocked_ms, syslog_dropped;
	uint64_t logged_bytes, logged_lines; /* since version 3, after the process's fields */
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
	/* since version 2 */
	int64_t timer_ms;      /* its state's deadline (CLOCK_MONOTONIC), 0: none */
	bool dep_waiting, dep_restart;
	int ready_fd;          /* ready = fd:N while STARTING: our end, -1: none */
	/* since version 3: then out's and err's logged_bytes and logged_lines */
	uint64_t restarts;
};

struct handover_fd {
	char *kind, *key;
	int fd;
	bool taken;
};

struct handover_part {
	char *kind, *key;
	unsigned char *data;
	size_t len;
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
	struct handover_part *parts;
	size_t nparts;
};

/* A growing buffer to write a part into; NOMEM once a write failed (the
 * rest are then skipped). Zeroed to start. */
struct handover_out {
	char *data;
	size_t len, cap;
	bool nomem;
};

void handover_put(struct handover_out *o, const void *p, size_t n);
void handover_put_u64(struct handover_out *o, uint64_t v);
void handover_put_u32(struct handover_out *o, uint32_t v);
void handover_put_i32(struct handover_out *o, int32_t v);
void handover_put_i64(struct handover_out *o, int64_t v);
void handover_put_bool(struct handover_out *o, bool v);
void handover_put_str(struct handover_out *o, const char *s);
void handover_put_bytes(struct handover_out *o, const void *p, size_t n);

/* Reading a part: BAD once something was short or did not parse (the
 * rest then read as zeros and NULLs). */
struct handover_in {
	const unsigned char *p, *end;
	bool bad;
};

uint64_t handover_get_u64(struct handover_in *in);
uint32_t handover_get_u32(struct handover_in *in);
int32_t handover_get_i32(struct handover_in *in);
int64_t handover_get_i64(struct handover_in *in);
bool handover_get_bool(struct handover_in *in);
/* malloc'd; NULL (and bad) when short or holding a NUL. */
char *handover_get_str(struct handover_in *in);
/* malloc'd, *LEN bytes; NULL (and bad) when short. */
void *handover_get_bytes(struct handover_in *in, size_t *len);
/* A count of items at least MIN bytes each that the rest can hold. */
size_t handover_get_count(struct handover_in *in, size_t min);
/* That count into *N and an array of it, SIZE bytes each, zeroed
 * (calloc'd); NULL when *N is 0, or (and bad) when there is no memory. */
void *handover_get_array(struct handover_in *in, size_t min, size_t size, size_t *n);

/* ---- building (the corrald that execs) ---- */

/* O's bytes (moved out of it: O is zeroed) as the part KIND/KEY. 0, or
 * -ENOMEM (also when O ran out of memory). */
int handover_add_part(struct handover *h, const char *kind, const char *key,
		      struct handover_out *o);

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
/* The part KIND/KEY of the record, or NULL. */
const struct handover_part *handover_find_part(const char *kind, const char *key);
/* The record as a whole, or NULL. */
const struct handover *handover_current(void);
/* Close what no part took, and forget the record. */
void handover_done(void);

#endif
