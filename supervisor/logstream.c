#include "supervisor/logstream.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ipc/io.h"
#include "supervisor/echo.h"
#include "supervisor/hooks.h"
#include "supervisor/log.h"
#include "supervisor/logbuild.h"
#include "supervisor/logfile.h"
#include "supervisor/loop.h"

/* One read buffer for every stream: a stream that cannot hand on what it
 * read copies the rest into its own (raw) first. Untouched pages of it
 * cost no memory. */
#define READ_MAX (1024 * 1024)
static char readbuf[READ_MAX];

/* What is left in a dead worker's pipe is taken up to this much at once;
 * more is taken by the detached stream, a chunk per turn. */
#define FINISH_MAX (1024 * 1024)
/* Retry a failed write after this long: a full disk is not watched. */
#define RETRY_MS 1000
/* A pass-through reader that is merely slow is tried again sooner. */
#define RETRY_AGAIN_MS 20

/* What handle() gathers for a write (logbuild.h): stamped lines are copied
 * here, stamps between them, so that a read's worth is one write; lines
 * without stamps are written from where they were read. One for every
 * stream: what could not be written is copied into the stream's own (pend)
 * before the next use. Untouched pages of it cost no memory. */
#define STAGE_MAX (256 * 1024)
static char stage[STAGE_MAX];

static struct logstream *detached;

static void hold(struct logstream *s, int64_t delay_ms);

/* An earlier run of S's file, detached (it died while held), still writes
 * it: S waits, so that lines of two runs never mix. For a detached S only
 * those detached before it count (the list is newest first). */
static bool draining(const struct logstream *s)
{
	if (!s->path)
		return false;
	const struct logstream *d = detached;
	if (!s->owner)
		d = s->next;
	for (; d; d = d->next)
		if (d->path && strcmp(d->path, s->path) == 0)
			return true;
	return false;
}

static const char *stream_name(const struct logstream *s)
{
	return s->which == LOG_STDOUT ? "stdout" : "stderr";
}

static const char *owner_name(const struct logstream *s)
{
	return s->owner ? s->name : "(gone)";
}

static loop_watch_fn stream_readable;
static loop_timer_fn stream_due;

void logstream_init(struct logstream *s, struct process *owner, const char *name,
		    enum log_which which)
{
	memset(s, 0, sizeof *s);
	loop_watch_init(&s->watch, stream_readable, s);
	loop_timer_init(&s->timer, stream_due, s);
	s->owner = owner;
	s->name = name;
	s->which = which;
	s->pipe_fd = -1;
	s->file_fd = -1;
	logline_init(&s->line);
}

/* What is wrong with S's file now, for status (NULL: nothing). */
static void set_error(struct logstream *s, const char *text)
{
	free(s->error);
	s->error = text ? strdup(text) : NULL; /* out of memory: status says less */
}

/* Open S's file by the rules of logfile.c (never through a symbolic link).
 * 0, or -errno with the reason in ERR and in s->error. */
static int open_file(struct logstream *s, char *err, size_t errlen)
{
	uint64_t size = 0;
	int fd = logfile_open_append(s->path, s->uid, &size, err, errlen);
	if (fd < 0) {
		set_error(s, err);
		return fd;
	}
	s->size = size;
	s->file_fd = fd;
	set_error(s, NULL);
	return 0;
}

/* corrald's own stdout/stderr, through a description of our own so that it
 * can be non-blocking without changing the one corrald shares with others. */
static int open_passthrough(struct logstream *s, int fd)
{
	char proc[32];
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
	int nfd = open(proc, O_WRONLY | O_APPEND | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (nfd < 0) /* a socket cannot be reopened: share it, blocking */
		nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (nfd < 0)
		return -errno;
	s->file_fd = nfd;
	s->passthrough = true;
	return 0;
}

/* logstream_open(), or with ADOPT >= 0, logstream_adopt()'s: ADOPT is the
 * pipe's read end, kept from the corrald before the exec. */
static int open_stream(struct logstream *s, const struct program_config *c, const char *path,
		       int adopt, int *child_end, char *err, size_t errlen)
{
	struct process *owner = s->owner;
	const char *name = s->name;
	enum log_which which = s->which;
	/* tail -f goes on across runs, and the counts status shows add up
	 * (closing sends the last run's unfinished line to syslog). */
	logstream_close(s);
	int followers = s->followers;
	uint64_t dropped = s->dropped, blocked_ms = s->blocked_ms;
	uint64_t syslog_dropped = s->syslog_dropped;
	uint64_t logged_bytes = s->logged_bytes, logged_lines = s->logged_lines;
	logstream_init(s, owner, name, which);
	s->followers = followers;
	s->dropped = dropped;
	s->blocked_ms = blocked_ms;
	s->syslog_dropped = syslog_dropped;
	s->logged_bytes = logged_bytes;
	s->logged_lines = logged_lines;
	*child_end = -1;
	if (!path)
		return 0;
	bool to_syslog = c->syslog[which];
	if (strcmp(path, "NONE") == 0) {
		if (!c->events_enabled[which] && !c->capture_maxbytes[which] && !to_syslog &&
		    !echo_enabled())
			return 0;
		path = NULL;
	}
	s->maxbytes = which == LOG_STDOUT ? c->stdout_maxbytes : c->stderr_maxbytes;
	s->backups = which == LOG_STDOUT ? c->stdout_backups : c->stderr_backups;
	s->timestamps = c->log_timestamps;
	s->line_max = (size_t)c->log_line_max;
	s->chunk = c->log_buffer < READ_MAX ? (size_t)c->log_buffer : READ_MAX;
	s->rate = c->log_rate;
	s->overflow = c->log_overflow;
	s->uid = c->sandbox.users.has_user ? c->sandbox.users.uid : LOGFILE_NO_USER;
	if (s->rate)
		tb_init(&s->tb, s->rate, c->log_burst ? c->log_burst : s->rate, loop_now_ms());
	s->strip_ansi = c->strip_ansi;

	int r;
	err[0] = '\0';
	if (to_syslog) {
		/* supervisord's name for it: the one in its group */
		const char *colon = strchr(name, ':');
		r = devlog_stream_open(&s->syslog, colon ? colon + 1 : name,
				       stream_name(s));
		if (r < 0) {
			snprintf(err, errlen, "%s to syslog: %s", stream_name(s), strerror(-r));
			goto fail;
		}
	}
	if (!path)
		r = 0; /* read and discarded */
	else if (strcmp(path, "/dev/stdout") == 0 || strcmp(path, "-") == 0)
		r = open_passthrough(s, STDOUT_FILENO);
	else if (strcmp(path, "/dev/stderr") == 0)
		r = open_passthrough(s, STDERR_FILENO);
	else if (!(s->path = strdup(path)))
		r = -ENOMEM;
	else
		r = open_file(s, err, errlen);
	if (r < 0)
		goto fail;
	int p[2] = { adopt, -1 };
	if (adopt < 0 && pipe2(p, O_CLOEXEC) < 0) {
		r = -errno;
		snprintf(err, errlen, "pipe: %s", strerror(-r));
		goto fail;
	}
	if (adopt >= 0 && fcntl(adopt, F_SETFD, FD_CLOEXEC) < 0) {
		r = -errno;
		snprintf(err, errlen, "%s pipe: %s", stream_name(s), strerror(-r));
		goto fail;
	}
	/* Only our end is non-blocking: the worker's writes block when we
	 * stop reading, which is the back-pressure. */
	if (fcntl(p[0], F_SETFL, O_NONBLOCK) < 0 ||
	    (r = loop_watch(p[0], EPOLLIN, &s->watch)) < 0) {
		r = r < 0 ? r : -errno;
		snprintf(err, errlen, "%s pipe: %s", stream_name(s), strerror(-r));
		close(p[0]);
		if (p[1] >= 0)
			close(p[1]);
		goto fail;
	}
	s->pipe_fd = p[0];
	*child_end = p[1];
	/* The last run's rest goes first. */
	if (draining(s))
		hold(s, RETRY_AGAIN_MS);
	return 0;
fail:
	if (!err[0])
		snprintf(err, errlen, "%s: %s", path ? path : stream_name(s), strerror(-r));
	logstream_close(s);
	logstream_init(s, owner, name, which);
	s->followers = followers;
	s->dropped = dropped;
	s->blocked_ms = blocked_ms;
	s->syslog_dropped = syslog_dropped;
	s->logged_bytes = logged_bytes;
	s->logged_lines = logged_lines;
	return r;
}

int logstream_open(struct logstream *s, const struct program_config *c, const char *path,
		   int *child_end, char *err, size_t errlen)
{
	return open_stream(s, c, path, -1, child_end, err, errlen);
}

int logstream_adopt(struct logstream *s, const struct program_config *c, const char *path,
		    int pipe_fd, const struct handover_stream *k, char *err, size_t errlen)
{
	int unused;
	int r = open_stream(s, c, path, pipe_fd, &unused, err, errlen);
	if (r < 0)
		return r;
	if (s->pipe_fd < 0 && pipe_fd >= 0) {
		close(pipe_fd); /* not read by this config: cannot happen with the same config */
		return 0;
	}
	s->line.at_line_start = k->at_line_start;
	s->line.continued = k->continued;
	s->line.line_len = (size_t)k->line_len;
	s->dropped = k->dropped;
	s->blocked_ms = k->blocked_ms;
	s->syslog_dropped = k->syslog_dropped;
	s->logged_bytes = k->logged_bytes;
	s->logged_lines = k->logged_lines;
	return 0;
}

bool logstream_carry(const struct logstream *s, struct handover_stream *k, char *why,
		     size_t whylen)
{
	*k = (struct handover_stream){
		.pipe_fd = s->pipe_fd,
		.at_line_start = s->line.at_line_start,
		.continued = s->line.continued,
		.line_len = s->line.line_len,
		.dropped = s->dropped,
		.blocked_ms = s->blocked_ms,
		.syslog_dropped = s->syslog_dropped,
		.logged_bytes = s->logged_bytes,
		.logged_lines = s->logged_lines,
	};
	if (s->pipe_fd >= 0 && (s->held || s->rawlen || s->pendlen || s->partlen || s->closing)) {
		snprintf(why, whylen, "%s: its %s log holds data it could not write yet",
			 s->name ? s->name : "?", stream_name(s));
		return false;
	}
	return true;
}

/* ---- writing ---- */

static void hold(struct logstream *s, int64_t delay_ms)
{
	int64_t now = loop_now_ms();
	if (!s->held) {
		s->held = true;
		s->held_since = now;
		/* Out of epoll, not just masked: a pipe whose writer is gone
		 * reports EPOLLHUP whatever the mask, and the loop would spin. */
		if (s->pipe_fd >= 0)
			loop_unwatch(&s->watch);
	} else {
		/* Still held (a full disk retried): count the time so far, so
		 * that status shows it growing, not only once it is over. */
		s->blocked_ms += (uint64_t)(now - s->held_since);
		s->held_since = now;
	}
	loop_timer_set(&s->timer, now + delay_ms);
}

static void release(struct logstream *s)
{
	if (!s->held)
		return;
	s->held = false;
	s->blocked_ms += (uint64_t)(loop_now_ms() - s->held_since);
	loop_timer_cancel(&s->timer);
	if (s->pipe_fd >= 0 && !s->closing &&
	    loop_watch(s->pipe_fd, EPOLLIN, &s->watch) == -EEXIST)
		loop_watch_mod(&s->watch, EPOLLIN);
}

static bool flush_as(struct logstream *s, struct logbuild *b, bool tell_followers);

static bool flush(struct logstream *s, struct logbuild *b)
{
	return flush_as(s, b, true);
}

/* Keep what could not be written, in order, after what was kept before. */
static int stash_pend(struct logstream *s, const struct iovec *v, int n, size_t skip)
{
	size_t add = 0;
	for (int i = 0; i < n; i++)
		add += v[i].iov_len;
	add -= skip;
	char *p = realloc(s->pend, s->pendlen + add);
	if (!p)
		return -ENOMEM;
	s->pend = p;
	for (int i = 0; i < n; i++) {
		const char *b = v[i].iov_base;
		size_t l = v[i].iov_len;
		if (skip >= l) {
			skip -= l;
			continue;
		}
		memcpy(s->pend + s->pendlen, b + skip, l - skip);
		s->pendlen += l - skip;
		skip = 0;
	}
	return 0;
}

/* Write what B gathered, and empty it. False when the file would not take
 * it all: the rest is in pend and the stream is held. */
static bool flush_as(struct logstream *s, struct logbuild *b, bool tell_followers)
{
	if (!b->n)
		return true;
	/* Followers see output as it is handed on; what waits in pend was
	 * shown to them already. */
	if (tell_followers && s->followers && s->owner)
		hooks_log_data(s->owner, s->which, b->v, b->n);
	if (s->file_fd < 0 && !s->path) { /* discarded */
		logbuild_reset(b);
		return true;
	}
	char why[PATH_MAX + 160];
	if (s->file_fd < 0 && open_file(s, why, sizeof why) < 0) {
		/* Rotation or reopen could not make the file: keep all, try later. */
		if (stash_pend(s, b->v, b->n, 0) < 0)
			log_err("%s: %s log: out of memory holding output", owner_name(s), stream_name(s));
		if (!s->failing)
			log_err("%s: opening %s log: %s; holding the output until it can be written",
				owner_name(s), stream_name(s), why);
		s->failing = true;
		logbuild_reset(b);
		hold(s, RETRY_MS);
		return false;
	}
	struct iovec *v = b->v;
	int n = b->n;
	int err = 0;
	while (n > 0) {
		ssize_t w = writev(s->file_fd, v, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			err = errno;
			break;
		}
		if (w == 0) {
			err = ENOSPC;
			break;
		}
		s->size += (size_t)w;
		/* Skip what went out, keep the rest of a partly written vector. */
		size_t left = (size_t)w;
		while (n > 0 && left >= v->iov_len) {
			left -= v->iov_len;
			v++;
			n--;
		}
		if (n > 0) {
			v->iov_base = (char *)v->iov_base + left;
			v->iov_len -= left;
		}
	}
	if (!err) {
		logbuild_reset(b);
		if (s->failing) {
			log_info("%s: %s log writable again", owner_name(s), stream_name(s));
			s->failing = false;
		}
		return true;
	}
	if (stash_pend(s, v, n, 0) < 0)
		log_err("%s: %s log: out of memory holding output", owner_name(s), stream_name(s));
	logbuild_reset(b);
	if (!s->failing && err != EAGAIN) {
		/* Said once; the worker is held back meanwhile, nothing is lost. */
		log_err("%s: writing %s log %s: %s; holding the output until it can be written",
			owner_name(s), stream_name(s), s->path ? s->path : "(pass-through)",
			strerror(err));
		s->failing = true;
	}
	hold(s, err == EAGAIN ? RETRY_AGAIN_MS : RETRY_MS);
	return false;
}

/* Rotate by renames: PATH.N-1 -> PATH.N ... PATH -> PATH.1; the oldest
 * goes. With no backups the file just starts over. When a name on the way
 * is not a regular file (a symbolic link planted there), nothing moves:
 * the file goes on growing, status says why, and it is tried again a
 * second later rather than at every line. */
static void rotate(struct logstream *s, int64_t now)
{
	char why[PATH_MAX + 160];
	int r = logfile_rotate(s->path, s->backups, s->uid, why, sizeof why);
	if (r < 0) {
		if (!s->rotate_failing)
			log_err("%s: rotating %s log: %s", owner_name(s), stream_name(s), why);
		s->rotate_failing = true;
		s->rotate_after = now + RETRY_MS;
		set_error(s, why);
		return;
	}
	if (s->rotate_failing)
		log_info("%s: %s log rotated again", owner_name(s), stream_name(s));
	s->rotate_failing = false;
	close(s->file_fd);
	s->file_fd = -1;
	/* On failure the next write tries again, holding the output meanwhile. */
	if (open_file(s, why, sizeof why) < 0)
		log_err("%s: opening %s log after rotating: %s", owner_name(s), stream_name(s), why);
}

/* Bytes that may go into the file before a line start makes rotation
 * due (logbuild.h's STOP): SIZE_MAX when it never does now. */
static size_t rotate_stop(const struct logstream *s, int64_t now)
{
	if (!s->path || !s->maxbytes || now < s->rotate_after)
		return SIZE_MAX;
	if (s->size >= s->maxbytes)
		return 0;
	uint64_t left = s->maxbytes - s->size;
	return left < SIZE_MAX ? (size_t)left : SIZE_MAX;
}

#define STAMP_MAX 64
#define NOTE_MAX 96
/* The most a line start adds before its first byte: a stamp and the note
 * of suppressed lines, a stamp and the continuation marker, in as many
 * segments. */
#define START_ROOM (2 * STAMP_MAX + NOTE_MAX + sizeof LOGLINE_CONT)
#define START_SEGS 4

/* LEN bytes of the program's output at IN go to S's log: counted for
 * metrics, once, when handed on (what waits in pend was counted). */
static void count_logged(struct logstream *s, const char *in, size_t len)
{
	s->logged_bytes += len;
	for (const char *p = in, *end = in + len; (p = memchr(p, '\n', (size_t)(end - p))); p++)
		s->logged_lines++;
}

/* Hand IN on to the file, line by line, gathered into as few writes as
 * the stage allows (logbuild.h). Returns false when it stopped (held):
 * what it had not handled is in raw. */
static bool handle(struct logstream *s, const char *in, size_t len)
{
	struct logbuild b;
	char stamp[STAMP_MAX];
	size_t stamplen = 0;
	char note[NOTE_MAX];
	int64_t now = loop_now_ms();
	size_t i = 0;

	logbuild_init(&b, stage, sizeof stage);
	if (s->timestamps) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		stamplen = logline_stamp(stamp, sizeof stamp, &ts);
	}
	while (i < len) {
		if (s->line.at_line_start && !s->dropping) {
			/* Room for all a line start may add: a write that fails
			 * can only fail here, between lines, before anything of
			 * this one was done (a token taken, a stamp or a note
			 * added). */
			if (!logbuild_room(&b, START_ROOM, START_SEGS) && !flush(s, &b))
				goto stop;
			/* Between lines: the only place a file is rotated or a rate applied. */
			if (s->path && logline_rotate_due(s->size + b.bytes, s->maxbytes) &&
			    now >= s->rotate_after) {
				if (!flush(s, &b))
					goto stop;
				rotate(s, now);
			}
			if (s->rate) {
				if (!tb_take(&s->tb, 1, now)) {
					if (s->overflow == LOG_OVERFLOW_BLOCK) {
						if (!flush(s, &b))
							goto stop;
						hold(s, tb_wait_ms(&s->tb, now));
						goto stop;
					}
					s->dropping = true;
					s->dropped++;
					s->suppressed++;
					/* The note comes when the bucket refills, even if
					 * no line follows to carry it. */
					if (!loop_timer_pending(&s->timer))
						loop_timer_set(&s->timer, now + tb_wait_ms(&s->tb, now));
				} else if (s->suppressed) {
					int n = snprintf(note, sizeof note, "corral: suppressed %llu lines\n",
							 (unsigned long long)s->suppressed);
					s->suppressed = 0;
					logbuild_copy(&b, stamp, stamplen);
					logbuild_copy(&b, note, (size_t)n);
				}
			}
		}
		if (s->dropping) {
			/* over the rate: the rest of this line goes nowhere */
			bool ends, cut;
			size_t k = logline_piece(&s->line, s->line_max, in + i, len - i, &ends, &cut);
			logline_advance(&s->line, k, ends, cut);
			if (ends || cut)
				s->dropping = false;
			i += k;
			continue;
		}
		/* This line, and with no rate as many more as fit (each of
		 * which may end where rotation is due). */
		size_t used;
		enum logbuild_stop why = logbuild_lines(&b, &s->line, s->line_max, stamp, stamplen,
							in + i, len - i, rotate_stop(s, now),
							s->rate ? 0 : SIZE_MAX, &used);
		if (s->file_fd >= 0 || s->path)
			count_logged(s, in + i, used);
		i += used;
		if (why == LOGBUILD_FULL && !flush(s, &b))
			goto stop;
	}
	if (flush(s, &b))
		return true;
	/* fall through: everything was handled, some of it waits in pend */
	return false;
stop:
	/* flush() failed (pend holds what was handled) or the rate says
	 * wait: keep the rest of IN. */
	if (i < len) {
		char *r = malloc(len - i);
		if (!r) {
			log_err("%s: %s log: out of memory, %zu bytes lost", owner_name(s),
				stream_name(s), len - i);
			return false;
		}
		memcpy(r, in + i, len - i);
		free(s->raw);
		s->raw = r;
		s->rawlen = len - i;
	}
	return false;
}

/* ---- reading ---- */

static void finish_close(struct logstream *s);

/* Hand on what waits in partial as it is (the pipe ended, or its worker). */
static void flush_partial(struct logstream *s)
{
	if (!s->partlen)
		return;
	char *p = s->partial;
	size_t n = s->partlen;
	s->partial = NULL;
	s->partlen = 0;
	handle(s, p, n);
	free(p);
}

/* Add LEN bytes of IN after what waits in *BUF. */
static int append_to(char **buf, size_t *blen, const char *in, size_t len)
{
	char *p = realloc(*buf, *blen + len);
	if (!p)
		return -ENOMEM;
	memcpy(p + *blen, in, len);
	*buf = p;
	*blen += len;
	return 0;
}

/* A read of IN. A pass-through stream shares corrald's stdout or stderr
 * with corrald's own log and the other programs' pass-through, so it
 * hands on whole lines only: two writers' lines never mix mid-line. A
 * partial last line waits in partial for its end, up to one read's worth;
 * longer, it goes as it is. */
static bool handle_read(struct logstream *s, const char *in, size_t len)
{
	if (!s->passthrough)
		return handle(s, in, len);
	if (s->partlen) {
		if (append_to(&s->partial, &s->partlen, in, len) < 0) {
			flush_partial(s); /* out of memory: as it comes, in order */
			return handle(s, in, len);
		}
		in = s->partial;
		len = s->partlen;
	}
	char *joined = s->partial; /* IN points into it when it was used */
	s->partial = NULL;
	s->partlen = 0;
	size_t upto = len;
	while (upto > 0 && in[upto - 1] != '\n')
		upto--;
	if (len - upto >= (s->chunk ? s->chunk : READ_MAX))
		upto = len;
	bool ok = upto == 0 || handle(s, in, upto);
	if (upto < len) {
		/* held: the rest goes after what handle() kept, in order */
		int r = ok ? append_to(&s->partial, &s->partlen, in + upto, len - upto)
			   : append_to(&s->raw, &s->rawlen, in + upto, len - upto);
		if (r < 0)
			log_err("%s: %s log: out of memory, %zu bytes lost", owner_name(s),
				stream_name(s), len - upto);
	}
	free(joined);
	return ok;
}

/* N bytes were read into readbuf: stripped of escapes (strip_ansi), then
 * the hooks' output takes its part (events.c's, which also echoes them at
 * debug), the log the rest (handle_read()), and syslog a copy of that.
 * Each byte comes here once, however long the log holds it. As handle(). */
static bool take(struct logstream *s, size_t n)
{
	const char *data = readbuf;
	if (s->strip_ansi)
		n = ansi_strip(&s->ansi, readbuf, n);
	if (s->owner)
		n = hooks_output(s->owner, s->which, readbuf, n, &data);
	if (n && s->syslog.line)
		s->syslog_dropped += devlog_stream_feed(&s->syslog, data, n);
	return n ? handle_read(s, data, n) : true;
}


/* The pipe is readable. */
static void stream_readable(struct watch *w, uint32_t events)
{
	struct logstream *s = w->ctx;
	if (s->pipe_fd < 0 || s->held)
		return; /* closed, or held, earlier in this batch of events */
	ssize_t n = io_read_some(s->pipe_fd, readbuf, s->chunk ? s->chunk : READ_MAX);
	if (n == -EAGAIN)
		return;
	if (n <= 0) {
		if (n < 0)
			log_warn("%s: reading %s: %s", owner_name(s), stream_name(s), strerror((int)-n));
		s->closing = true;
		flush_partial(s);
		finish_close(s);
		return;
	}
	take(s, (size_t)n);
}

/* The worker is gone: take what is in its pipe now, up to FINISH_MAX,
 * until the pipe is empty (a descendant may still hold it open), ends, or
 * the stream is held (then its timer comes back for the rest). */
static void take_rest(struct logstream *s)
{
	size_t total = 0;
	flush_partial(s);
	while (s->pipe_fd >= 0 && !s->held && total < FINISH_MAX) {
		ssize_t n = io_read_some(s->pipe_fd, readbuf, s->chunk ? s->chunk : READ_MAX);
		if (n <= 0)
			break;
		total += (size_t)n;
		if (!take(s, (size_t)n))
			break;
	}
	if (!s->held)
		flush_partial(s); /* the worker is gone: its last line will not end */
}

/* What descendants write after this is not ours to keep: the pipe is
 * closed and they get EPIPE. */
static void close_pipe(struct logstream *s)
{
	if (s->pipe_fd >= 0) {
		loop_unwatch(&s->watch);
		close(s->pipe_fd);
		s->pipe_fd = -1;
	}
}

/* log_overflow = drop: the bucket has refilled; say how many lines went,
 * between lines of the file (a dropped line leaves it at a line start). */
static void suppressed_note(struct logstream *s)
{
	if (!s->suppressed || s->held || s->pendlen || s->rawlen ||
	    !(s->line.at_line_start || s->dropping))
		return;
	int64_t now = loop_now_ms();
	if (tb_wait_ms(&s->tb, now) > 0) {
		loop_timer_set(&s->timer, now + tb_wait_ms(&s->tb, now));
		return;
	}
	char stamp[STAMP_MAX], note[NOTE_MAX];
	size_t stamplen = 0;
	if (s->timestamps) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		stamplen = logline_stamp(stamp, sizeof stamp, &ts);
	}
	int n = snprintf(note, sizeof note, "corral: suppressed %llu lines\n",
			 (unsigned long long)s->suppressed);
	s->suppressed = 0;
	struct logbuild b;
	logbuild_init(&b, stage, sizeof stage);
	logbuild_copy(&b, stamp, stamplen);
	logbuild_copy(&b, note, (size_t)n);
	(void)flush(s, &b); /* on failure it waits in pend, and the stream is held */
}

/* Its deadline passed: write what is pending, take in what waits. */
static void stream_due(struct deadline *d)
{
	struct logstream *s = d->ctx;
	if (!s->held && !s->pendlen && !s->rawlen && s->suppressed) {
		suppressed_note(s);
		return;
	}
	if (!s->pendlen && !s->rawlen && draining(s)) {
		hold(s, RETRY_AGAIN_MS);
		return;
	}
	if (s->pendlen) {
		struct logbuild b;
		char *p = s->pend;
		size_t len = s->pendlen;
		logbuild_init(&b, stage, sizeof stage);
		logbuild_ref(&b, p, len);
		s->pend = NULL;
		s->pendlen = 0;
		bool ok = flush_as(s, &b, false); /* on failure the rest goes to a new pend */
		free(p);
		if (!ok)
			return;
	}
	if (s->rawlen) {
		char *r = s->raw;
		size_t len = s->rawlen;
		s->raw = NULL;
		s->rawlen = 0;
		/* The rate may still say wait: hold() inside, before taking any. */
		if (s->rate && s->overflow == LOG_OVERFLOW_BLOCK && s->line.at_line_start &&
		    tb_wait_ms(&s->tb, loop_now_ms()) > 0) {
			s->raw = r;
			s->rawlen = len;
			hold(s, tb_wait_ms(&s->tb, loop_now_ms()));
			return;
		}
		bool ok = handle(s, r, len);
		free(r);
		if (!ok)
			return;
	}
	release(s);
	if (s->closing) {
		/* A worker that died while held (a detached stream) may have
		 * left more in its pipe than was read: take it before closing. */
		take_rest(s);
		if (s->held)
			return;
		close_pipe(s);
		finish_close(s);
	}
}

/* ---- closing ---- */

static void free_buffers(struct logstream *s)
{
	free(s->raw);
	free(s->pend);
	free(s->partial);
	s->raw = s->pend = s->partial = NULL;
	s->rawlen = s->pendlen = s->partlen = 0;
}

void logstream_close(struct logstream *s)
{
	loop_timer_cancel(&s->timer);
	if (s->pipe_fd >= 0) {
		loop_unwatch(&s->watch);
		close(s->pipe_fd);
		s->pipe_fd = -1;
	}
	if (s->file_fd >= 0) {
		close(s->file_fd);
		s->file_fd = -1;
	}
	free(s->path);
	s->path = NULL;
	free(s->error);
	s->error = NULL;
	free_buffers(s);
	s->syslog_dropped += devlog_stream_close(&s->syslog);
	ansi_strip_init(&s->ansi);
}

/* The pipe has ended and nothing is held: a partial last line is ended, so
 * the next writer's first line never runs on from it. */
static void finish_close(struct logstream *s)
{
	if (s->held || s->rawlen || s->pendlen)
		return; /* stream_due() comes back here */
	if (!s->line.at_line_start && !s->dropping && s->file_fd >= 0) {
		struct logbuild b;
		logbuild_init(&b, stage, sizeof stage);
		logbuild_copy(&b, "\n", 1);
		if (!flush(s, &b))
			return; /* held: tried again later */
		logline_init(&s->line);
	}
	if (s->suppressed && s->file_fd >= 0) {
		/* The last word on lines dropped at the very end. */
		char note[NOTE_MAX];
		int n = snprintf(note, sizeof note, "corral: suppressed %llu lines\n",
				 (unsigned long long)s->suppressed);
		struct logbuild b;
		logbuild_init(&b, stage, sizeof stage);
		logbuild_copy(&b, note, (size_t)n);
		s->suppressed = 0;
		if (!flush(s, &b))
			return;
	}
	bool was_detached = s->owner == NULL;
	logstream_close(s);
	if (was_detached) {
		for (struct logstream **pp = &detached; *pp; pp = &(*pp)->next)
			if (*pp == s) {
				*pp = s->next;
				break;
			}
		free(s);
	}
}

/* Move S to a heap copy that finishes by itself; S starts anew. */
static void detach(struct logstream *s)
{
	struct logstream *d = malloc(sizeof *d);
	if (!d) {
		log_err("%s: %s: out of memory, closing the stream now", owner_name(s),
			stream_name(s));
		logstream_close(s);
		return;
	}
	/* The copy is driven by its timer alone, never by epoll: it is freed
	 * from its timer, and no event of the batch at hand may point at it
	 * then (nor a hang-up of its pipe be reported over and over). */
	loop_unwatch(&s->watch);
	*d = *s;
	d->owner = NULL;
	d->name = NULL;
	d->followers = 0;
	d->closing = true;
	loop_watch_init(&d->watch, stream_readable, d);
	loop_timer_init(&d->timer, stream_due, d);
	if (loop_timer_pending(&s->timer)) {
		loop_timer_set(&d->timer, s->timer.node.when);
		loop_timer_cancel(&s->timer);
	}
	if (!loop_timer_pending(&d->timer))
		loop_timer_set(&d->timer, loop_now_ms());
	d->next = detached;
	detached = d;
	struct process *owner = s->owner;
	const char *name = s->name;
	enum log_which which = s->which;
	int followers = s->followers;
	uint64_t dropped = s->dropped, blocked_ms = s->blocked_ms;
	uint64_t syslog_dropped = s->syslog_dropped;
	uint64_t logged_bytes = s->logged_bytes, logged_lines = s->logged_lines;
	logstream_init(s, owner, name, which);
	s->followers = followers;
	s->dropped = dropped;
	s->blocked_ms = blocked_ms;
	s->syslog_dropped = syslog_dropped;
	s->logged_bytes = logged_bytes;
	s->logged_lines = logged_lines;
}

void logstream_finish(struct logstream *s)
{
	take_rest(s);
	s->closing = true;
	if (s->held || s->rawlen || s->pendlen) {
		detach(s);
		return;
	}
	close_pipe(s);
	finish_close(s);
}

int logstream_reopen(struct logstream *s, char *err, size_t errlen)
{
	if (!s->path || s->file_fd < 0)
		return 0;
	close(s->file_fd);
	s->file_fd = -1;
	/* On failure the next write tries again, holding the output meanwhile. */
	return open_file(s, err, errlen);
}

void logstream_free_detached(void)
{
	while (detached) {
		struct logstream *d = detached;
		detached = d->next;
		logstream_close(d);
		free(d);
	}
}
