/* devlog — a program's output to the local syslog daemon through its
 * socket, /dev/log, line by line, as supervisord's stdout_syslog and
 * stderr_syslog send it (Python's syslog.syslog(), that is glibc's
 * syslog(3) with no openlog()):
 *
 *     <14>Dec  6 01:45:14 corrald: web the line
 *
 * facility user, priority info, the tag corrald's name as it was started
 * (the last part of its argv[0], as glibc takes it: "supervisord" under
 * supervisord), no pid, then supervisord's name of the process and the
 * line, without its newline.
 *
 * It never blocks, where glibc's syslog(3) would wait on a full socket:
 * the socket is non-blocking, and a line the syslog daemon cannot take at
 * once (its socket is full, or nobody listens there) is dropped and
 * counted. A program and its log files never wait on syslog. What was
 * dropped is said in corrald's log, at most once every DEVLOG_REPORT_MS. */
#ifndef CORRAL_DEVLOG_H
#define CORRAL_DEVLOG_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define DEVLOG_PATH "/dev/log"
/* A line longer than this goes as several messages; a line read in part
 * waits for its end up to this much. */
#define DEVLOG_LINE_MAX 4096
/* The most often corrald's log says lines were dropped. */
#define DEVLOG_REPORT_MS 10000

/* One stream of one process. Zeroed: off. */
struct devlog_stream {
	char *name;             /* supervisord's name of the process; owned */
	const char *channel;    /* "stdout" or "stderr", for corrald's log */
	char *line;             /* a line read in part, DEVLOG_LINE_MAX; owned */
	size_t len;
};

/* Start sending the lines of stream CHANNEL of the process NAME. 0, or
 * -ENOMEM. */
int devlog_stream_open(struct devlog_stream *d, const char *name, const char *channel);
/* LEN more bytes of output: each line they end goes out. Returns how many
 * lines the syslog daemon did not take. */
uint64_t devlog_stream_feed(struct devlog_stream *d, const char *data, size_t len);
/* The output ended: a last line without its newline goes too. Returns
 * how many lines were dropped; D is off again. */
uint64_t devlog_stream_close(struct devlog_stream *d);

/* The message for LINE (LINELEN bytes) of the process NAME at the local
 * time TM, into BUF (LEN bytes, at least 64); its length, without a NUL.
 * The line is cut when BUF is too small. */
size_t devlog_format(char *buf, size_t len, const struct tm *tm, const char *tag,
		     const char *name, const char *line, size_t linelen);

/* At exit: say what was dropped and not said yet, close the socket. */
void devlog_shutdown(void);

#endif
