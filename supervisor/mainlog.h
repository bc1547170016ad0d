/* mainlog — corrald's own log file: [supervisord] logfile (or [corral]
 * logfile), rotated past logfile_maxbytes with logfile_backups kept, as
 * supervisord keeps its own.
 *
 * log.c formats every message; this is its sink: each line goes to the
 * file in one write (so rotation falls between lines and none is cut or
 * lost), then to those who follow the log (corralctl maintail -f,
 * supervisorctl's maintail -f over /mainlogtail). Followers are told from
 * a timer of the loop, never from inside the log call, so a message
 * logged anywhere (in the middle of the HTTP server's bookkeeping) never
 * runs a follower's write there; what a follower has not taken is bounded
 * (MAINLOG_FOLLOW_MAX), past it the lines are skipped and counted.
 *
 * The file is opened by logfile.h's rules (never through a symbolic link,
 * in a directory only root and corrald's user may change). "/dev/stdout"
 * writes to corrald's standard output and "/dev/stderr" adds nothing to
 * its standard error, as a container's supervisord.conf uses them; neither
 * is a file readLog or maintail can read. */
#ifndef CORRAL_MAINLOG_H
#define CORRAL_MAINLOG_H

#include <stddef.h>
#include <stdint.h>

struct corral_config;

/* Log to CFG's logfile from now on (none: stderr only). At start, and at
 * each reload: the same path is kept open (its size and backups may
 * change), another closes the old file and opens the new. 0, or -errno
 * with ERR naming the path; the file logged to before stays then. */
int mainlog_configure(const struct corral_config *cfg, char *err, size_t errlen);

/* Could CFG's logfile be opened (corrald --check)? Its directory is
 * looked at, nothing is made. 0, or -errno with ERR. */
int mainlog_check(const struct corral_config *cfg, char *err, size_t errlen);

/* Open the file again by its path (logrotate's move, SIGUSR2, corralctl
 * reopen); why not is logged. */
void mainlog_reopen(void);

/* Remove the file and make it anew, as supervisord's clearLog; its
 * backups stay. 0, -ENOENT when there is no file (none set, or none
 * there), or -errno with ERR. */
int mainlog_clear(char *err, size_t errlen);

/* The file's path, NULL when corrald has none to read (none set,
 * /dev/stdout, /dev/stderr). */
const char *mainlog_path(void);

/* Stop logging to a file (exit). */
void mainlog_close(void);

/* ---- followers ---- */

/* Lines logged in one turn of the loop kept for the followers, at most;
 * past it, lines are skipped and the followers told how many bytes. (Each
 * follower bounds what it has not sent on as well.) */
#define MAINLOG_FOLLOW_MAX (256 * 1024)

struct mainlog_follower {
	/* LEN bytes of whole lines (SKIPPED bytes before them were not
	 * given: the follower was behind). It may unfollow itself (only
	 * itself) from inside. */
	void (*fn)(struct mainlog_follower *f, const char *data, size_t len, uint64_t skipped);
	/* internal */
	struct mainlog_follower *next;
	size_t from;     /* the lines it has already (logged before it followed) */
	int following;
};

/* F gets every line logged from now on. */
void mainlog_follow(struct mainlog_follower *f);
void mainlog_unfollow(struct mainlog_follower *f);

#endif
