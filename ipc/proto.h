/* proto — the control protocol between corralctl and corrald.
 *
 * Every message is one frame: an 8-byte header, then a payload.
 *
 *   offset 0  'C' 'R'            magic
 *   offset 2  version            PROTO_VERSION (1)
 *   offset 3  kind               'Q' request, 'A' answer
 *   offset 4  payload length     unsigned 32-bit, big-endian
 *
 * A request's payload is its words, each NUL-terminated: the verb first,
 * then its arguments ("status\0web\0"). At most PROTO_MAX_REQUEST bytes and
 * PROTO_MAX_ARGS words. An answer's payload is one result byte (enum
 * proto_result), then text: lines ending in '\n'. For `status` each line is
 * one process, its fields (enum proto_status_field) separated by TAB, with
 * TAB, newline and backslash inside a field written as \t, \n and \\.
 * A reader ignores fields past those it knows, and treats missing ones as
 * empty, so fields can be added at the end without a new version.
 * One request, one answer, then the server closes the connection; except
 * `tail -f`, whose answer is followed by 'D' frames whose payload is more of
 * the log, as it is written, until the client goes; `top [--usage]`, whose
 * answer is `status` of every process and is followed by 'D' frames, each
 * a first line saying what it is, then lines as `status` gives them:
 * "changed" (the processes that changed in one turn of corrald's loop; a
 * line of the name alone: that process is gone), "all" (every process:
 * the list is replaced), "usage" (with --usage, at most once a second:
 * the running processes with their CPU and memory fields), "dropped" (the
 * reader fell behind past its bound: the connection ends; the line after
 * it says so); and `submit`:
 *
 * `submit [--no-wait] [--detach] POOL` makes the connection a producer. It
 * is answered with an 'A' frame only when refused (no such pool: result 2);
 * else the client sends 'J' frames, each one job (its payload, at most
 * PROTO_MAX_JOB bytes), and corrald sends one 'R' frame per 'J', in the
 * order of the 'J's: a status byte (enum proto_job), the job's id (8 bytes,
 * big-endian), then the result, or why it failed (see ipc/framing.h). With
 * --detach the 'R' says ACCEPTED once the job is queued; with --no-wait it
 * says BUSY when the job cannot be queued at once. While its jobs wait for
 * room in the queue corrald stops reading the connection. A client that
 * closes the connection cancels its jobs that are not detached.
 *
 * Nothing here prints or exits: functions return 0 or -errno. */
#ifndef CORRAL_PROTO_H
#define CORRAL_PROTO_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define PROTO_VERSION      1
#define PROTO_HEADER_SIZE  8
#define PROTO_MAX_REQUEST  (64u * 1024)
#define PROTO_MAX_ANSWER   (64u * 1024 * 1024)
#define PROTO_MAX_ARGS     4096
#define PROTO_KIND_REQUEST 'Q'
#define PROTO_KIND_ANSWER  'A'
#define PROTO_KIND_DATA    'D'  /* after the answer of `tail -f`: more of the log */
#define PROTO_KIND_JOB     'J'  /* submit: one job, from the producer */
#define PROTO_KIND_REPLY   'R'  /* submit: what became of one job */
#define PROTO_MAX_JOB      (1024u * 1024)  /* bytes of a job or of its result */

/* The status byte of an 'R' frame. */
enum proto_job {
	PROTO_JOB_DONE = 0,     /* the result follows */
	PROTO_JOB_FAILED = 1,   /* the worker said so, or crashed job_retries + 1 times */
	PROTO_JOB_TIMEOUT = 2,  /* over job_timeout: its worker's tree was killed */
	PROTO_JOB_BUSY = 3,     /* --no-wait: the queue is full, nothing was queued */
	PROTO_JOB_ACCEPTED = 4, /* --detach: queued; it runs without the producer */
	PROTO_JOB_LAST = PROTO_JOB_ACCEPTED
};

/* The result byte of an answer doubles as corralctl's exit status. */
enum proto_result {
	PROTO_OK = 0,          /* done */
	PROTO_FAILED = 1,      /* an operation failed, or a process is not in the asked state */
	PROTO_USAGE = 2,       /* bad request or unknown name */
	PROTO_NOT_RUNNING = 3, /* status found a process that is not running */
	PROTO_REFUSED = 4,     /* not allowed (peer credentials), or not available */
};

enum proto_status_field {
	PS_NAME,      /* "web" or "group:web_01" */
	PS_GROUP,     /* program name */
	PS_STATE,     /* STOPPED, STARTING, RUNNING, BACKOFF, STOPPING, EXITED, FATAL, UNKNOWN */
	PS_PID,       /* 0 when not running */
	PS_UPTIME,    /* seconds since the current process started, 0 when not running */
	PS_EXITCODE,  /* last exit code, -1 when none or killed by a signal */
	PS_SIGNAL,    /* signal number that killed the last process, 0 when none */
	PS_SPAWNERR,  /* "chdir /nope: No such file or directory", or empty */
	PS_INFO,      /* free text: "watchdog timeout", "backoff 2s", ... */
	PS_TREE,      /* live processes in its scope (main included), -1 when unknown */
	PS_SCOPE,     /* what holds its tree together: "cgroup" or "process-group" */
	PS_GROUPSTATE,/* its [group:]'s state: RUNNING, PARTIAL, STOPPED, RESTARTING,
		       * FATAL; empty when in no group */
	PS_LOGDROPPED,/* log lines dropped by log_rate (both streams) */
	PS_LOGBLOCKED,/* milliseconds its output was held back (both streams) */
	PS_POOL,      /* the [pool:] it is a worker of; empty when none */
	PS_WORKER,    /* a worker: idle, busy job N, busy N jobs, starting, stopping, killed, down */
	PS_POOLSTATS, /* a worker: its pool's figures, space-separated KEY=N (queue=,
		       * queue_max=, done=, failed=, timed_out=, retried=, cancelled=,
		       * refused=, throttled=, producers=) */
	PS_SYSLOGDROPPED,/* lines stdout_/stderr_syslog could not send (both streams) */
	PS_CPU,       /* status --usage: CPU time of its tree in microseconds; empty: unknown */
	PS_MEM,       /* status --usage: memory of its tree in bytes; empty: unknown */
	PS_MEMPEAK,   /* status --usage: the most memory since it started; empty: unknown */
	PS_HEALTH,    /* its health check: healthy, unhealthy (N failures: REASON), starting;
		       * empty when it has no healthcheck or is not running */
	PS_SCHEDULE,  /* its schedule = expression; empty when it has none */
	PS_LASTRUN,   /* scheduled: time() its last run started; empty: never */
	PS_LASTSTATUS,/* scheduled: its last run's status as a shell gives it (124: timed
		       * out); empty: none yet, or running */
	PS_NEXTRUN,   /* scheduled: time() of its next trigger; empty: none */
	PS_SKIPPED,   /* scheduled: triggers skipped while a run was still going */
	PS_WATCHES,   /* watch =: inotify watches its program uses; empty when it has no watch */
	PS_ROLL,      /* a rolling restart of its program going on: "rolling 1/4, replacing
		       * web:web_1"; empty when none */
	PS_SCALE,     /* corralctl scale: the processes its program runs instead of its
		       * numprocs; empty when none */
	PS_NUMPROCS,  /* its program's numprocs in the config */
	PS_RESTARTS,  /* spawns after its first, automatic and asked for alike */
	PS_PROGRAM,   /* its [program:] name (scale takes it) */
	PS_NFIELDS
};

/* A growable output buffer with a hard limit. */
struct proto_buf {
	uint8_t *data;  /* heap, owned by the buffer; free with proto_buf_free */
	size_t len, cap, max;
};

void proto_buf_init(struct proto_buf *b, size_t max);
void proto_buf_free(struct proto_buf *b);
/* Append; -EMSGSIZE once the buffer would pass b->max, -ENOMEM. */
int proto_buf_append(struct proto_buf *b, const void *p, size_t n);
int proto_buf_printf(struct proto_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Header. unpack returns -EPROTO for a bad magic or kind, -EPROTONOSUPPORT
 * for another version, -EMSGSIZE when the length passes MAX. */
void proto_header_pack(uint8_t hdr[PROTO_HEADER_SIZE], char kind, uint32_t len);
int proto_header_unpack(const uint8_t hdr[PROTO_HEADER_SIZE], char *kind, uint32_t *len,
			uint32_t max);

/* A whole request frame (header + words) into *out (initialised here). */
int proto_request_pack(int argc, char *const argv[], struct proto_buf *out);
/* Decode a request payload. On success *argv_out is one heap block holding a
 * NULL-terminated argv and its strings (free() it once), *argc_out >= 1.
 * -EPROTO for an empty payload, a missing final NUL, an empty verb or too
 * many words. */
int proto_request_unpack(const uint8_t *payload, size_t len, char ***argv_out, int *argc_out);

/* Answers: begin reserves header and result byte; the text is appended with
 * proto_buf_append/printf/proto_field; finish fills in header and result. */
int proto_answer_begin(struct proto_buf *b);
void proto_answer_finish(struct proto_buf *b, enum proto_result result);
/* Decode an answer payload: result byte and the text after it (not copied,
 * not NUL-terminated). -EPROTO when empty or the result byte is unknown. */
int proto_answer_unpack(const uint8_t *payload, size_t len, enum proto_result *result,
			const char **text, size_t *textlen);

/* Append one escaped field; SEP is '\t' between fields, '\n' after the last. */
int proto_field(struct proto_buf *b, const char *s, char sep);
/* Split one line (without its '\n') into at most MAX fields in place,
 * unescaping them. Returns the number of fields. */
int proto_split_fields(char *line, char **fields, int max);

#endif
