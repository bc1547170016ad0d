/* rpclog — supervisord's XML-RPC methods on logs (see rpclog.h). */
#include "supervisor/rpclog.h"

#include <errno.h>
#include <stddef.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "ipc/io.h"
#include "supervisor/http.h"
#include "supervisor/log.h"
#include "supervisor/logfile.h"
#include "supervisor/logstream.h"
#include "supervisor/mainlog.h"
#include "supervisor/rcall.h"
#include "supervisor/sdview.h"
#include "supervisor/supervisor.h"

/* A log read (readProcessStdoutLog ...) returns at most this much. */
#define READ_MAX (8 * 1024 * 1024)

/* supervisord's readFile: OFFSET < 0 reads that many bytes back from the
 * end (LENGTH must then be 0); else LENGTH bytes (0: to the end) at OFFSET. */
static void read_file(struct rcall *rc, const char *path, long long offset, long long length)
{
	/* Never through a symbolic link (logfile.c): one planted in a log
	 * directory would hand the client any file corrald can read. */
	char why[PATH_MAX]; /* room in a fault's message */
	uint64_t fsize;
	int fd = logfile_open_read(path, &fsize, why, sizeof why);
	if (fd < 0) {
		if (fd == -ENOENT)
			rcall_fault(rc, RCALL_NO_FILE, path);
		else
			rcall_fault(rc, RCALL_FAILED, why);
		return;
	}
	long long size = (long long)fsize, from, want;
	if (offset < 0) {
		if (length) {
			close(fd);
			rcall_fault(rc, RCALL_BAD_ARGUMENTS, NULL);
			return;
		}
		/* no more than the file: -offset cannot overflow then */
		want = offset < -size ? size : -offset;
		from = size - want;
	} else {
		if (length < 0) {
			close(fd);
			rcall_fault(rc, RCALL_BAD_ARGUMENTS, NULL);
			return;
		}
		from = offset > size ? size : offset;
		want = length && length < size ? length : size - from;
	}
	if (want > size - from)
		want = size - from;
	if (want < 0)
		want = 0;
	if (want > READ_MAX)
		want = READ_MAX;
	char *buf = malloc(want ? (size_t)want : 1);
	if (!buf) {
		close(fd);
		rcall_fault(rc, RCALL_FAILED, "out of memory");
		return;
	}
	size_t got = io_pread_upto(fd, buf, (size_t)want, (off_t)from);
	close(fd);
	xb_string_n(rc->out, buf, got);
	free(buf);
}

static const char *log_of(struct rcall *rc, const struct process *p, int which, char *buf,
			  size_t len)
{
	const char *path = supervisor_log_path(p, which, buf, len);
	if (!path) /* no file at all: NO_FILE alone; a missing one: read_file() names it */
		rcall_fault(rc, RCALL_NO_FILE, NULL);
	return path;
}

static void read_log(struct rcall *rc, const struct xval *pa, int which)
{
	struct process *p;
	char path[PATH_MAX];
	const char *f;
	if (rcall_args(rc, pa, "sii") && !rcall_shutting_down(rc) &&
	    (p = rcall_named(rc, rcall_sarg(pa, 0))) &&
	    (f = log_of(rc, p, which, path, sizeof path)))
		read_file(rc, f, rc->num[1], rc->num[2]);
}

void rpclog_read_stdout(struct rcall *rc, const struct xval *pa)
{
	read_log(rc, pa, LOG_STDOUT);
}

void rpclog_read_stderr(struct rcall *rc, const struct xval *pa)
{
	read_log(rc, pa, LOG_STDERR);
}

/* supervisord's tailFile: [bytes, offset, overflow]. */
static void tail_log(struct rcall *rc, const struct xval *pa, int which)
{
	struct process *p;
	if (!rcall_args(rc, pa, "sii") || rcall_shutting_down(rc) ||
	    !(p = rcall_named(rc, rcall_sarg(pa, 0))))
		return;
	long long offset = rc->num[1], length = rc->num[2];
	/* clients' numbers, kept where the arithmetic below cannot overflow */
	if (length > READ_MAX)
		length = READ_MAX;
	if (offset > INT64_MAX / 4)
		offset = INT64_MAX / 4;
	if (offset < -(INT64_MAX / 4))
		offset = -(INT64_MAX / 4);
	if (length < -(INT64_MAX / 4))
		length = -(INT64_MAX / 4);
	char path[PATH_MAX], why[PATH_MAX]; /* room in a fault's message */
	const char *f = supervisor_log_path(p, which, path, sizeof path);
	uint64_t fsize;
	int fd = -ENOENT;
	if (f && (fd = logfile_open_read(f, &fsize, why, sizeof why)) < 0 && fd != -ENOENT) {
		rcall_fault(rc, RCALL_FAILED, why); /* a symbolic link, not followed */
		return;
	}
	if (fd < 0) { /* no log file, or none there (yet): supervisord's empty answer */
		xb_array_begin(rc->out);
		xb_string(rc->out, "");
		xb_int(rc->out, 0);
		xb_bool(rc->out, false);
		xb_array_end(rc->out);
		return;
	}
	long long size = (long long)fsize;
	bool overflow = false;
	if (size > offset + length) {
		overflow = true;
		offset = size - 1;
	}
	if (offset + length > size) {
		if (offset > size - 1)
			length = 0;
		offset = size - length;
	}
	if (offset < 0)
		offset = 0;
	if (length < 0)
		length = 0;
	if (length > READ_MAX)
		length = READ_MAX;
	char *buf = malloc(length ? (size_t)length : 1);
	size_t got = buf ? io_pread_upto(fd, buf, (size_t)length, (off_t)offset) : 0;
	close(fd);
	xb_array_begin(rc->out);
	xb_string_n(rc->out, buf ? buf : "", got);
	xb_int(rc->out, size);
	xb_bool(rc->out, overflow);
	xb_array_end(rc->out);
	free(buf);
}

void rpclog_tail_stdout(struct rcall *rc, const struct xval *pa)
{
	tail_log(rc, pa, LOG_STDOUT);
}

void rpclog_tail_stderr(struct rcall *rc, const struct xval *pa)
{
	tail_log(rc, pa, LOG_STDERR);
}

int rpclog_clear_files(const struct process *p)
{
	int rc = 0;
	for (int which = LOG_STDOUT; which <= LOG_STDERR; which++) {
		char path[PATH_MAX], old[PATH_MAX + 16];
		const char *f = supervisor_log_path(p, which, path, sizeof path);
		if (!f)
			continue;
		if (unlink(f) < 0 && errno != ENOENT)
			rc = -errno;
		int backups = which == LOG_STDOUT ? p->prog->cfg->stdout_backups
						  : p->prog->cfg->stderr_backups;
		for (int i = 1; i <= backups; i++) {
			snprintf(old, sizeof old, "%s.%d", f, i);
			if (unlink(old) < 0 && errno != ENOENT)
				rc = -errno;
		}
	}
	return rc;
}

void rpclog_clear(struct rcall *rc, const struct xval *pa)
{
	struct process *p;
	if (!rcall_args(rc, pa, "s") || rcall_shutting_down(rc) ||
	    !(p = rcall_named(rc, rcall_sarg(pa, 0))))
		return;
	if (rpclog_clear_files(p) < 0) {
		rcall_fault(rc, RCALL_FAILED, rcall_sarg(pa, 0));
		return;
	}
	supervisor_reopen_logs();
	xb_bool(rc->out, true);
}

void rpclog_clear_all(struct rcall *rc, const struct xval *pa)
{
	if (!rcall_args(rc, pa, "") || rcall_shutting_down(rc))
		return;
	xb_array_begin(rc->out);
	struct process **v;
	size_t n = sdview_processes(NULL, false, &v);
	for (size_t i = 0; i < n; i++) {
		bool ok = rpclog_clear_files(v[i]) == 0;
		rcall_result(rc->out, supervisor_process_name(v[i]), program_group_name(v[i]->prog),
			     ok ? RCALL_SUCCESS : RCALL_FAILED, ok ? "OK" : "FAILED");
	}
	free(v);
	xb_array_end(rc->out);
	supervisor_reopen_logs();
}

/* corrald's own log file ([supervisord] logfile, mainlog.h); without one
 * (corrald logs to its standard error or the journal), NO_FILE. Arguments
 * supervisord's readFile refuses are BAD_ARGUMENTS still, file or none. */
void rpclog_read_main(struct rcall *rc, const struct xval *pa)
{
	if (!rcall_args(rc, pa, "ii") || rcall_shutting_down(rc))
		return;
	long long offset = rc->num[0], length = rc->num[1];
	const char *path = mainlog_path();
	if ((offset < 0 && length != 0) || (offset >= 0 && length < 0))
		rcall_fault(rc, RCALL_BAD_ARGUMENTS, NULL);
	else if (!path)
		rcall_fault(rc, RCALL_NO_FILE, "corrald has no logfile: it logs to its standard error");
	else
		read_file(rc, path, offset, length);
}

void rpclog_clear_main(struct rcall *rc, const struct xval *pa)
{
	if (!rcall_args(rc, pa, "") || rcall_shutting_down(rc))
		return;
	char why[PATH_MAX];
	int r = mainlog_clear(why, sizeof why);
	if (r == -ENOENT)
		rcall_fault(rc, RCALL_NO_FILE, "corrald has no logfile: it logs to its standard error");
	else if (r < 0)
		rcall_fault(rc, RCALL_FAILED, why);
	else
		xb_bool(rc->out, true);
}

/* ---- GET /mainlogtail: supervisorctl's maintail -f ---- */

/* A reader of corrald's log file as it grows. */
struct mtail {
	struct http_conn *conn;
	struct mainlog_follower f;
};

static void mtail_gone(void *ctx)
{
	struct mtail *t = ctx;
	mainlog_unfollow(&t->f);
	free(t);
}

static void mtail_lines(struct mainlog_follower *f, const char *data, size_t len, uint64_t skipped)
{
	struct mtail *t = (struct mtail *)(void *)((char *)f - offsetof(struct mtail, f));
	char note[96];
	struct iovec iov[2];
	int n = 0;
	if (skipped) {
		int m = snprintf(note, sizeof note, "[corral: %llu bytes not shown, the reader was too slow]\n",
				 (unsigned long long)skipped);
		iov[n++] = (struct iovec){ .iov_base = note, .iov_len = (size_t)m };
	}
	iov[n++] = (struct iovec){ .iov_base = (void *)data, .iov_len = len };
	(void)http_stream_write(t->conn, iov, n); /* on -1, T is gone */
}

/* The last 1 KiB of the file, then every line logged, as supervisord's
 * /mainlogtail; 404 when corrald has no file. */
static void mainlogtail_serve(struct http_conn *c, const struct http_request *rq, void *ctx)
{
	(void)rq;
	(void)ctx;
	const char *path = mainlog_path();
	char why[PATH_MAX + 160];
	uint64_t fsize;
	int fd = path ? logfile_open_read(path, &fsize, why, sizeof why) : -ENOENT;
	if (fd < 0 && fd != -ENOENT) {
		log_warn("/mainlogtail: %s", why);
		http_respond_error(c, 500);
		return;
	}
	if (!path) {
		http_respond_error(c, 404);
		return;
	}
	char buf[1024];
	size_t got = 0;
	if (fd >= 0) {
		off_t from = (off_t)fsize > (off_t)sizeof buf ? (off_t)fsize - (off_t)sizeof buf : 0;
		got = io_pread_upto(fd, buf, sizeof buf, from);
		close(fd);
	}
	struct mtail *t = calloc(1, sizeof *t);
	if (!t) {
		http_respond_error(c, 500);
		return;
	}
	if (http_stream_begin(c, "text/plain;charset=utf-8", mtail_gone, t) < 0) {
		free(t);
		return;
	}
	t->conn = c;
	t->f.fn = mtail_lines;
	mainlog_follow(&t->f);
	struct iovec iov = { .iov_base = buf, .iov_len = got };
	(void)http_stream_write(c, &iov, 1); /* on -1, T is gone with C */
}

static const struct http_route mainlog_route = {
	.path = "/mainlogtail", .methods = HTTPREQ_GET, .wrong_method = 400,
	.fn = mainlogtail_serve,
};

int rpclog_init(void)
{
	return http_route_add(&mainlog_route);
}
