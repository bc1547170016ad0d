/* logbuild — what a read of a worker's output becomes in its log file,
 * gathered for one write: its lines, each started by a time stamp when
 * log_timestamps is on, overlong ones cut (logline.h's markers).
 *
 * Stamped lines are copied, stamps between them, into one buffer (the
 * stage), so that a read's worth goes out as one contiguous write instead
 * of two small segments a line. Lines without stamps are not copied: they
 * are written from where they were read, a read's lines one segment. Only
 * the markers and notes, which are not in the input, are copied then.
 *
 * Pure: no I/O, no clock. The caller writes what is gathered (the
 * segments in v, in order) and decides at each line start whether a line
 * may start (the rate limit) and whether the file must be rotated first. */
#ifndef CORRAL_LOGBUILD_H
#define CORRAL_LOGBUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/uio.h>

#include "supervisor/logline.h"

#define LOGBUILD_IOVS 64
/* The smallest stage: a stamp, both markers and a note always fit once
 * it has been written out. */
#define LOGBUILD_MIN_STAGE 512

struct logbuild {
	struct iovec v[LOGBUILD_IOVS]; /* what to write, in order */
	int n;
	size_t bytes;                  /* in v */
	char *stage;                   /* copies (the caller's memory) */
	size_t cap;                    /* of stage, >= LOGBUILD_MIN_STAGE */
	size_t used;                   /* of stage */
};

/* B, empty, copying into STAGE of CAP bytes. */
void logbuild_init(struct logbuild *b, char *stage, size_t cap);
/* Empty again (what it held was written or kept elsewhere). */
void logbuild_reset(struct logbuild *b);

/* Add a copy of LEN bytes at P. False, with nothing added, when there is
 * no room (write what B holds and try again). */
bool logbuild_copy(struct logbuild *b, const void *p, size_t len);
/* Add LEN bytes at P by reference (P must outlive B's write). False,
 * with nothing added, when there is no segment free. */
bool logbuild_ref(struct logbuild *b, const void *p, size_t len);
/* Room for LEN more copied bytes in SEGS more segments at most. */
bool logbuild_room(const struct logbuild *b, size_t len, int segs);

enum logbuild_stop {
	LOGBUILD_DONE, /* all of IN was taken */
	LOGBUILD_FULL, /* B is full: write it, empty it, and go on */
	LOGBUILD_LINE, /* at a line start that the caller decides on */
};

/* Add the lines of IN (INLEN > 0) to B, going on from ST: STAMP (STAMPLEN
 * bytes, 0: none) starts each line, LOGLINE_CONT follows it on a line that
 * continues a cut one, a line is cut after LINE_MAX bytes (0: no limit)
 * with LOGLINE_CUT. With a stamp, everything is copied into the stage;
 * without, IN's bytes are added by reference (IN must outlive B's write).
 *
 * A line start right at IN (ST at a line start) is the caller's: it has
 * decided that the line may start (and rotated the file when due), and
 * made room for its start (a stamp, LOGLINE_CONT and a byte, in two
 * segments: logbuild_room()). Before any later line start it stops (LINE)
 * once it has passed LINES of them (SIZE_MAX: no limit) or once B holds
 * STOP bytes or more (SIZE_MAX: never), for the caller to decide. It
 * also stops when IN is used up (DONE), or when B is full (FULL: a line
 * may be split between two writes, it is never cut for it). *USED is the
 * bytes of IN taken, and ST is updated to follow them; a stop can come
 * after a marker was added and no byte of IN taken. */
enum logbuild_stop logbuild_lines(struct logbuild *b, struct logline *st, size_t line_max,
				  const char *stamp, size_t stamplen, const char *in,
				  size_t inlen, size_t stop, size_t lines, size_t *used);

#endif
