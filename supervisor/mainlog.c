#include "supervisor/mainlog.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "supervisor/cfgmodel.h"
#include "supervisor/log.h"
#include "supervisor/logfile.h"
#include "supervisor/loop.h"

/* A rotation or an open that failed is not tried again before this. */
#define RETRY_MS 10000

enum target { TARGET_NONE, TARGET_FILE, TARGET_STDOUT, TARGET_STDERR };

static struct {
	enum target target;
	char *path;            /* owned; TARGET_FILE only */
	int fd;                /* -1: not open (a failed open or rotation) */
	uint64_t size;
	uint64_t maxbytes;
	int backups;
	int64_t retry_after;   /* no rotation or open before this (loop_now_ms) */
	bool failing;          /* the last write failed: said once */
	/* lines for the followers, delivered from the loop's timer */
	struct mainlog_follower *followers;
	char *pend;
	size_t pendlen, pendcap;
	uint64_t skipped;
	struct deadline tell;
	bool timer_ready;
} M = { .fd = -1 };

static log_sink_fn sink;

static enum target target_of(const char *path)
{
	if (!path)
		return TARGET_NONE;
	if (strcmp(path, "/dev/stdout") == 0)
		return TARGET_STDOUT;
	if (strcmp(path, "/dev/stderr") == 0)
		return TARGET_STDERR;
	return TARGET_FILE;
}

static int open_file(char *err, size_t errlen)
{
	uint64_t size;
	int fd = logfile_open_append(M.path, LOGFILE_NO_USER, &size, err, errlen);
	if (fd < 0)
		return fd;
	if (M.fd >= 0)
		close(M.fd);
	M.fd = fd;
	M.size = size;
	return 0;
}

int mainlog_check(const struct corral_config *cfg, char *err, size_t errlen)
{
	if (target_of(cfg->logfile) != TARGET_FILE)
		return 0;
	char dir[PATH_MAX];
	if (logfile_dirname(cfg->logfile, dir, sizeof dir) < 0) {
		snprintf(err, errlen, "logfile %s: %s", cfg->logfile, strerror(ENAMETOOLONG));
		return -ENAMETOOLONG;
	}
	struct stat st;
	if (stat(dir, &st) < 0) {
		int e = errno;
		snprintf(err, errlen, "logfile %s: its directory %s: %s", cfg->logfile, dir,
			 strerror(e));
		return -e;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "logfile %s: %s is not a directory", cfg->logfile, dir);
		return -ENOTDIR;
	}
	char why[PATH_MAX + 160];
	int r = logfile_check_dir(dir, LOGFILE_NO_USER, why, sizeof why);
	if (r < 0)
		snprintf(err, errlen, "logfile %s: %s", cfg->logfile, why);
	return r;
}

int mainlog_configure(const struct corral_config *cfg, char *err, size_t errlen)
{
	enum target t = target_of(cfg->logfile);
	bool same = t == M.target && (t != TARGET_FILE || strcmp(cfg->logfile, M.path) == 0);
	if (!same && t == TARGET_FILE) {
		char *path = strdup(cfg->logfile);
		if (!path) {
			snprintf(err, errlen, "logfile %s: %s", cfg->logfile, strerror(ENOMEM));
			return -ENOMEM;
		}
		char *old = M.path;
		int oldfd = M.fd;
		M.path = path;
		M.fd = -1;
		int r = open_file(err, errlen);
		if (r < 0) {
			free(path);
			M.path = old;
			M.fd = oldfd;
			return r;
		}
		free(old);
		if (oldfd >= 0)
			close(oldfd);
	} else if (!same) {
		free(M.path);
		M.path = NULL;
		if (M.fd >= 0)
			close(M.fd);
		M.fd = -1;
	}
	M.target = t;
	M.maxbytes = cfg->logfile_maxbytes;
	M.backups = cfg->logfile_backups;
	M.failing = false;
	M.retry_after = 0;
	log_set_sink(t == TARGET_NONE ? NULL : sink);
	return 0;
}

void mainlog_reopen(void)
{
	if (M.target != TARGET_FILE)
		return;
	char why[PATH_MAX + 160];
	if (open_file(why, sizeof why) < 0) {
		log_err("reopening corrald's log file: %s", why);
		return;
	}
	M.failing = false;
	M.retry_after = 0;
}

int mainlog_clear(char *err, size_t errlen)
{
	if (M.target != TARGET_FILE)
		return -ENOENT;
	/* supervisord's: the file goes, a new one is made */
	if (unlink(M.path) < 0) {
		int e = errno;
		snprintf(err, errlen, "%s: %s", M.path, strerror(e));
		return -e;
	}
	int r = open_file(err, errlen);
	if (r == 0) {
		M.failing = false;
		M.retry_after = 0;
	}
	return r;
}

const char *mainlog_path(void)
{
	return M.target == TARGET_FILE ? M.path : NULL;
}

void mainlog_close(void)
{
	log_set_sink(NULL);
	if (M.fd >= 0)
		close(M.fd);
	M.fd = -1;
	free(M.path);
	M.path = NULL;
	M.target = TARGET_NONE;
	for (struct mainlog_follower *f = M.followers; f; f = f->next)
		f->following = 0;
	M.followers = NULL;
	if (M.timer_ready)
		loop_timer_cancel(&M.tell);
	free(M.pend);
	M.pend = NULL;
	M.pendlen = M.pendcap = 0;
}

/* Rotate when LEN more bytes would pass logfile_maxbytes; the line goes
 * to the new file. A rotation that fails leaves the file as it is (and is
 * tried again after RETRY_MS): lines keep being written there. */
static void maybe_rotate(size_t len)
{
	if (!M.maxbytes || M.size == 0 || M.size + len <= M.maxbytes || M.fd < 0)
		return;
	int64_t now = loop_now_ms();
	if (now < M.retry_after)
		return;
	char why[PATH_MAX + 160];
	if (logfile_rotate(M.path, M.backups, LOGFILE_NO_USER, why, sizeof why) < 0 ||
	    open_file(why, sizeof why) < 0) {
		/* from inside the sink: this goes to stderr only */
		log_err("rotating corrald's log file: %s; writing on past logfile_maxbytes", why);
		M.retry_after = now + RETRY_MS;
	}
}

static void write_line(int fd, const char *line, size_t len)
{
	size_t off = 0;
	while (off < len) {
		ssize_t w = write(fd, line + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (!M.failing)
				log_err("writing corrald's log file %s: %s",
					M.target == TARGET_FILE ? M.path : "/dev/stdout",
					w < 0 ? strerror(errno) : "nothing written");
			M.failing = true;
			return;
		}
		off += (size_t)w;
	}
	M.failing = false;
	M.size += len;
}

static void tell_followers(struct deadline *d)
{
	(void)d;
	/* The buffer is this call's: what a follower logs meanwhile goes to
	 * a new one, for the next call. */
	char *buf = M.pend;
	size_t len = M.pendlen, cap = M.pendcap;
	uint64_t skipped = M.skipped;
	M.pend = NULL;
	M.pendlen = M.pendcap = 0;
	M.skipped = 0;
	for (struct mainlog_follower *f = M.followers, *next; f; f = next) {
		next = f->next;
		size_t from = f->from < len ? f->from : len;
		f->from = 0;
		if (len > from || skipped)
			f->fn(f, buf + from, len - from, skipped);
	}
	if (!M.pend) {
		M.pend = buf;
		M.pendcap = cap;
	} else {
		free(buf);
	}
}

static void keep_for_followers(const char *line, size_t len)
{
	if (M.pendlen + len > MAINLOG_FOLLOW_MAX) {
		M.skipped += len;
	} else {
		if (M.pendlen + len > M.pendcap) {
			size_t cap = M.pendcap ? M.pendcap : 4096;
			while (cap < M.pendlen + len)
				cap *= 2;
			char *p = realloc(M.pend, cap);
			if (!p) {
				M.skipped += len;
				goto arm;
			}
			M.pend = p;
			M.pendcap = cap;
		}
		memcpy(M.pend + M.pendlen, line, len);
		M.pendlen += len;
	}
arm:
	if (!loop_timer_pending(&M.tell) && loop_timer_set(&M.tell, loop_now_ms()) < 0)
		M.skipped += len; /* not told now: the next line arms it again */
}

static void sink(enum log_level level, const char *line, size_t len)
{
	(void)level;
	switch (M.target) {
	case TARGET_NONE:
	case TARGET_STDERR:
		break;
	case TARGET_STDOUT:
		write_line(STDOUT_FILENO, line, len);
		break;
	case TARGET_FILE:
		maybe_rotate(len);
		if (M.fd < 0) {
			/* an open that failed: try again, at most every RETRY_MS */
			char why[PATH_MAX + 160];
			int64_t now = loop_now_ms();
			if (now < M.retry_after)
				break;
			if (open_file(why, sizeof why) < 0) {
				log_err("opening corrald's log file: %s", why);
				M.retry_after = now + RETRY_MS;
				break;
			}
		}
		write_line(M.fd, line, len);
		break;
	}
	if (M.followers)
		keep_for_followers(line, len);
}

void mainlog_follow(struct mainlog_follower *f)
{
	if (f->following)
		return;
	if (!M.timer_ready) {
		loop_timer_init(&M.tell, tell_followers, NULL);
		M.timer_ready = true;
	}
	f->from = M.pendlen;
	f->following = 1;
	f->next = M.followers;
	M.followers = f;
}

void mainlog_unfollow(struct mainlog_follower *f)
{
	if (!f->following)
		return;
	for (struct mainlog_follower **pp = &M.followers; *pp; pp = &(*pp)->next)
		if (*pp == f) {
			*pp = f->next;
			break;
		}
	f->following = 0;
	if (!M.followers) {
		M.pendlen = 0;
		M.skipped = 0;
	}
}
