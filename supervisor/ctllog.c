/* ctllog — the control verbs on logs: tail [-f] of a process's log,
 * maintail [-f] of corrald's own (mainlog.h), reopen. A follower gets
 * frames of output as they come; what it has not read is bounded
 * (FOLLOW_MAX), past it output is skipped for it and it is told how much,
 * never held back. */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipc/io.h"
#include "supervisor/controlint.h"
#include "supervisor/ctllog.h"
#include "supervisor/hooks.h"
#include "supervisor/logfile.h"
#include "supervisor/mainlog.h"
#include "supervisor/supervisor.h"

/* What a follower has not read yet, at most. */
#define FOLLOW_MAX (1024 * 1024)
/* How much of a log file tail -n reads back at most. */
#define TAIL_READ_MAX (4 * 1024 * 1024)

static void ctllog_unfollow(struct client *c);

static void follow_frame(struct client *c, const struct iovec *iov, int n)
{
	size_t bytes = 0;
	for (int i = 0; i < n; i++)
		bytes += iov[i].iov_len;
	if (!bytes)
		return;
	size_t waiting = c->out.len - c->sent;
	if (waiting + bytes + 2 * PROTO_HEADER_SIZE + 80 > FOLLOW_MAX) {
		c->skipped += bytes; /* a slow reader misses output; corrald never waits for it */
		return;
	}
	/* Reclaim what was sent before growing. */
	if (c->sent) {
		memmove(c->out.data, c->out.data + c->sent, waiting);
		c->out.len = waiting;
		c->sent = 0;
	}
	if (c->skipped) {
		char note[80];
		int m = snprintf(note, sizeof note, "[corral: %llu bytes not shown, the reader was too slow]\n",
				 (unsigned long long)c->skipped);
		uint8_t hdr[PROTO_HEADER_SIZE];
		proto_header_pack(hdr, PROTO_KIND_DATA, (uint32_t)m);
		(void)proto_buf_append(&c->out, hdr, sizeof hdr);
		(void)proto_buf_append(&c->out, note, (size_t)m);
		c->skipped = 0;
	}
	uint8_t hdr[PROTO_HEADER_SIZE];
	proto_header_pack(hdr, PROTO_KIND_DATA, (uint32_t)bytes);
	if (proto_buf_append(&c->out, hdr, sizeof hdr) < 0)
		return;
	for (int i = 0; i < n; i++)
		(void)proto_buf_append(&c->out, iov[i].iov_base, iov[i].iov_len);
	if (waiting == 0)
		ctl_flush(c);
}

/* Output of P's stream WHICH was written to its log: tail -f clients get it. */
static void ctllog_log_data(struct process *p, int which, const struct iovec *iov, int n)
{
	for (struct client *c = ctl_clients(), *next; c; c = next) {
		next = c->next;
		if (c->follow == p && c->follow_which == which && c->phase == CLIENT_FOLLOW)
			follow_frame(c, iov, n);
	}
}

/* The last LINES lines of PATH into the answer. 0, or -errno with ERR. */
static int tail_file(struct client *c, const char *path, long lines, char *err, size_t errlen)
{
	/* Never through a symbolic link: one planted in a log directory would
	 * hand the client any file corrald can read. */
	uint64_t fsize;
	int fd = logfile_open_read(path, &fsize, err, errlen);
	if (fd < 0)
		return fd == -ENOENT ? 0 : fd; /* nothing written yet */
	off_t size = (off_t)fsize;
	size_t want = size > TAIL_READ_MAX ? TAIL_READ_MAX : (size_t)size;
	char *buf = malloc(want ? want : 1);
	if (!buf) {
		snprintf(err, errlen, "%s: %s", path, strerror(ENOMEM));
		close(fd);
		return -ENOMEM;
	}
	size_t got = io_pread_upto(fd, buf, want, size - (off_t)want);
	close(fd);
	/* Back from the end over LINES lines; the newline that ends the last
	 * one (if it has one) does not start another. */
	size_t end = got && buf[got - 1] == '\n' ? got - 1 : got;
	size_t start = end;
	long count = 0;
	while (start > 0) {
		if (buf[start - 1] == '\n' && ++count == lines)
			break;
		start--;
	}
	if (lines <= 0)
		start = got;
	(void)proto_buf_append(&c->out, buf + start, got - start);
	free(buf);
	return 0;
}

/* tail [-f] [-n LINES] NAME [stdout|stderr] */
static void ctllog_tail(struct client *c, char **argv, int argc)
{
	bool follow = false;
	long lines = 10;
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-f") == 0) {
			follow = true;
		} else if (strcmp(argv[i], "-n") == 0 && i + 1 < argc) {
			char *end;
			lines = strtol(argv[++i], &end, 10);
			if (*end || lines < 0 || lines > 1000000)
				goto usage;
		} else {
			goto usage;
		}
	}
	if (i >= argc || argc - i > 2)
		goto usage;
	int which = LOG_STDOUT;
	if (i + 1 < argc) {
		if (strcmp(argv[i + 1], "stderr") == 0)
			which = LOG_STDERR;
		else if (strcmp(argv[i + 1], "stdout") != 0)
			goto usage;
	}
	struct selection sel = { 0 };
	const char *bad = NULL;
	int r = supervisor_select(argv + i, 1, &sel, &bad);
	if (r < 0 || sel.n != 1) {
		ctl_outf(c, r == -ENOENT ? "no such process: %s" : "tail: name one process, not %s",
		     argv[i]);
		ctl_fail(c, PROTO_USAGE);
		selection_free(&sel);
		ctl_answer(c);
		return;
	}
	struct process *p = sel.v[0];
	selection_free(&sel);
	char path[PATH_MAX];
	const char *file = supervisor_log_path(p, which, path, sizeof path);
	if (!file || strcmp(file, "/dev/stdout") == 0 || strcmp(file, "/dev/stderr") == 0 ||
	    strcmp(file, "-") == 0) {
		ctl_outf(c, "%s: its %s has no log file", p->name, which == LOG_STDOUT ? "stdout" : "stderr");
		ctl_fail(c, PROTO_FAILED);
		ctl_answer(c);
		return;
	}
	char why[PATH_MAX + 160];
	if ((r = tail_file(c, file, lines, why, sizeof why)) < 0) {
		ctl_outf(c, "%s", why);
		ctl_fail(c, PROTO_FAILED);
		ctl_answer(c);
		return;
	}
	if (follow) {
		c->follow = p;
		c->unfollow = ctllog_unfollow;
		c->follow_which = which;
		(which == LOG_STDOUT ? &p->out : &p->err)->followers++;
	}
	ctl_answer(c);
	return;
usage:
	ctl_usage(c, VERB_TAIL);
}


static void ctllog_unfollow(struct client *c)
{
	if (c->follow) {
		struct logstream *ls = c->follow_which == LOG_STDOUT ? &c->follow->out : &c->follow->err;
		ls->followers--;
		c->follow = NULL;
	}
	mainlog_unfollow(&c->mainlog);
	c->unfollow = NULL;
}

/* Lines of corrald's log for a maintail -f client. */
static void mainlog_lines(struct mainlog_follower *f, const char *data, size_t len,
			  uint64_t skipped)
{
	struct client *c = (struct client *)(void *)((char *)f - offsetof(struct client, mainlog));
	if (c->phase != CLIENT_FOLLOW) { /* its first answer is not out yet */
		c->skipped += skipped + len;
		return;
	}
	c->skipped += skipped;
	struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
	follow_frame(c, &iov, 1);
}

/* maintail [-f] [-n LINES]: the last lines of corrald's log file, then
 * (-f) every line logged. */
static void ctllog_maintail(struct client *c, char **argv, int argc)
{
	bool follow = false;
	long lines = 10;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-f") == 0) {
			follow = true;
		} else if (strcmp(argv[i], "-n") == 0 && i + 1 < argc) {
			char *end;
			lines = strtol(argv[++i], &end, 10);
			if (*end || lines < 0 || lines > 1000000) {
				ctl_usage(c, VERB_MAINTAIL);
				return;
			}
		} else {
			ctl_usage(c, VERB_MAINTAIL);
			return;
		}
	}
	const char *path = mainlog_path();
	if (!path) {
		ctl_outf(c, "corrald has no log file: it logs to its standard error "
			    "(set logfile in [corral] or [supervisord])");
		ctl_fail(c, PROTO_FAILED);
		ctl_answer(c);
		return;
	}
	char why[PATH_MAX + 160];
	if (tail_file(c, path, lines, why, sizeof why) < 0) {
		ctl_outf(c, "%s", why);
		ctl_fail(c, PROTO_FAILED);
		ctl_answer(c);
		return;
	}
	if (follow) {
		c->mainlog.fn = mainlog_lines;
		mainlog_follow(&c->mainlog);
		c->unfollow = ctllog_unfollow;
	}
	ctl_answer(c);
}

static void ctllog_reopen(struct client *c, char **argv, int argc)
{
	supervisor_reopen_logs();
	ctl_outf(c, "log files reopened");
	ctl_answer(c);
}


/* P is about to be freed (GONE): its followers go, its program is gone
 * from the config. */
static void ctllog_process_changed(struct process *p, bool gone)
{
	for (struct client *c = ctl_clients(), *next; gone && c; c = next) {
		next = c->next;
		if (c->follow == p)
			ctl_client_free(c);
	}
}

static const struct hooks ctllog_hooks = {
	.on_process_changed = ctllog_process_changed,
	.on_log_data = ctllog_log_data,
};

int ctllog_init(void)
{
	ctl_verb_set(VERB_TAIL, ctllog_tail);
	ctl_verb_set(VERB_MAINTAIL, ctllog_maintail);
	ctl_verb_set(VERB_REOPEN, ctllog_reopen);
	return hooks_subscribe(&ctllog_hooks);
}
