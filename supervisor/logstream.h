/* logstream — one output stream of a worker (stdout or stderr), from the
 * pipe corrald reads to the log file it appends to: line splitting, time
 * stamps, rotation, rate limits, and back-pressure; on the way, supervisord's
 * strip_ansi (ansi.h), its copy to syslog (devlog.h, which never holds a
 * stream back) and its echo in corrald's log at debug (echo.h, from events.c).
 *
 * corrald never holds more than one read's worth (log_buffer) per stream:
 * when the file cannot take what was read (disk full, a slow pass-through
 * reader) or the rate limit says wait, the stream is "held": corrald stops
 * reading the pipe, so the kernel blocks the worker, and tries again on a
 * timer. Nothing that was read is lost in that mode. */
#ifndef CORRAL_LOGSTREAM_H
#define CORRAL_LOGSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "supervisor/ansi.h"
#include "supervisor/config.h"
#include "supervisor/devlog.h"
#include "supervisor/handover.h"
#include "supervisor/logfile.h"
#include "supervisor/logline.h"
#include "supervisor/loop.h"
#include "supervisor/tokenbucket.h"

struct process;

enum log_which { LOG_STDOUT, LOG_STDERR };

struct logstream {
	struct watch watch;       /* the pipe */
	struct deadline timer;    /* try again to write, or tokens are back */
	struct process *owner;    /* NULL once detached from a process that went on */
	const char *name;         /* the owner's (its memory), for messages; NULL once detached */
	enum log_which which;
	int pipe_fd;              /* our read end, -1 when closed */
	int file_fd;              /* -1 when the output is discarded */
	char *path;               /* the file, NULL for pass-through or none; owned */
	uid_t uid;                /* the program's user (logfile.c's rules), or LOGFILE_NO_USER */
	char *error;              /* what is wrong with the file now, for status; owned, NULL: nothing */
	bool passthrough;         /* corrald's own stdout or stderr: never rotated */
	/* settings, taken from the program when opened */
	uint64_t maxbytes;
	int backups;
	bool timestamps;
	size_t line_max;
	size_t chunk;             /* log_buffer: the most read at once, and held */
	uint64_t rate;
	enum log_overflow overflow;
	bool strip_ansi;          /* [supervisord] strip_ansi */
	/* state */
	uint64_t size;            /* of the file, for rotation */
	struct logline line;
	struct token_bucket tb;
	struct ansi_strip ansi;   /* strip_ansi: where the last read left off */
	struct devlog_stream syslog; /* stdout_/stderr_syslog; zeroed when off */
	bool dropping;            /* the rest of this line is over the rate: dropped */
	uint64_t suppressed;      /* lines dropped since the last note about it */
	char *raw;                /* read, not yet handled; owned, NULL when none */
	size_t rawlen;
	char *partial;            /* pass-through: a line read in part; owned, NULL when none */
	size_t partlen;
	char *pend;               /* handled, not yet written; owned, NULL when none */
	size_t pendlen;
	bool held;                /* not reading the pipe */
	bool closing;             /* the pipe is done: close once drained */
	bool failing;             /* the last write failed (said once) */
	bool rotate_failing;      /* the last rotation failed (said once) */
	int64_t rotate_after;     /* a failed rotation is not tried again before this */
	int64_t held_since;
	/* what status shows */
	uint64_t dropped;         /* lines dropped by the rate limit */
	uint64_t blocked_ms;      /* time the worker was held back */
	uint64_t syslog_dropped;  /* lines syslog did not take (devlog.h) */
	/* what metrics shows: the program's output handed to its log (a file
	 * or corrald's own stream; not output the log discards), without the
	 * stamps and markers corrald adds */
	uint64_t logged_bytes;
	uint64_t logged_lines;    /* ... its newlines */
	int followers;            /* corralctl tail -f clients */
	struct logstream *next;   /* the list of detached streams */
};

/* S of OWNER, whose name (kept, not copied) is NAME. */
void logstream_init(struct logstream *s, struct process *owner, const char *name,
		    enum log_which which);

/* Open the stream of P to PATH ("NONE": not logged; the default is
 * resolved by the caller; "/dev/stdout", "/dev/stderr" and "-" pass through
 * to corrald's own; a file is opened by logfile.c's rules; NULL: the
 * stream is not corrald's to read at all, it goes elsewhere). On success
 * *CHILD_END is the pipe's write end for the worker, or -1 when nothing
 * reads its output (the worker gets /dev/null): output not logged is
 * still read when it makes events, goes to syslog, or is echoed in
 * corrald's log at debug. 0, or -errno with ERR naming the path and why. */
int logstream_open(struct logstream *s, const struct program_config *c, const char *path,
		   int *child_end, char *err, size_t errlen);

/* S's part of a handover (handover.h: its pipe, where its current line
 * stands, the counts status shows) into K: true, or false with WHY when S holds what
 * it read and could not write yet (it is then not handed over). */
bool logstream_carry(const struct logstream *s, struct handover_stream *k, char *why,
		     size_t whylen);

/* As logstream_open, on the pipe PIPE_FD the corrald before the exec read
 * (the worker still holds its write end), where K left it. */
int logstream_adopt(struct logstream *s, const struct program_config *c, const char *path,
		    int pipe_fd, const struct handover_stream *k, char *err, size_t errlen);

/* The worker is gone: take what is left in the pipe (a bounded amount),
 * end a partial last line, and close. A stream that cannot finish now (held)
 * is moved to a detached copy that finishes on its own; S is then free for
 * the next run. */
void logstream_finish(struct logstream *s);
/* Close at once, for a process being freed. Detached copies live on. */
void logstream_close(struct logstream *s);

/* Reopen the file by its path (logrotate, SIGUSR2, corralctl reopen). 0,
 * or -errno with ERR (the output is then held until the file can be
 * opened). */
int logstream_reopen(struct logstream *s, char *err, size_t errlen);

/* Free every detached stream (at exit). */
void logstream_free_detached(void);

#endif
