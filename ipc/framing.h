/* framing — how jobs and results are cut out of byte streams: between
 * corrald and a pool's workers (line and length framing), and between a
 * producer (corralctl submit) and corrald ('J' and 'R' frames of the
 * control protocol, see proto.h).
 *
 * Worker side, framing = line: a job is one line on the worker's stdin, its
 * result the next line on its stdout.
 *
 * Worker side, framing = length: every message starts with a header line
 * of ASCII decimal numbers and words separated by one space, then exactly
 * LEN bytes of data (any bytes), with nothing after them:
 *
 *     corrald -> worker:   "ID LEN\n"         then LEN bytes: the job
 *     worker -> corrald:   "ID ok LEN\n"      then LEN bytes: its result
 *                          "ID fail LEN\n"    then LEN bytes: why it failed
 *
 * ID is the job's id (1 to 2^63-1); results may come back in any order.
 * A header is at most FRAMING_HEADER_MAX bytes, its newline included.
 *
 * Nothing here prints or allocates except through the proto_buf it is
 * given; functions return 0 / 1 or -errno. */
#ifndef CORRAL_FRAMING_H
#define CORRAL_FRAMING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ipc/proto.h"

#define FRAMING_HEADER_MAX 64

/* A full line at the start of BUF? 1 with *LINELEN its length including the
 * newline; 0 when more is needed; -EMSGSIZE when no newline comes within
 * MAX + 1 bytes (a line of more than MAX bytes of data). */
int framing_line(const char *buf, size_t len, size_t max, size_t *linelen);

/* The header of a job for a length-framed worker into BUF (at least
 * FRAMING_HEADER_MAX bytes). Returns its length. */
size_t framing_job_header(char *buf, uint64_t id, size_t len);

struct framing_result {
	uint64_t id;
	bool ok;
	size_t len;      /* bytes of data after the header */
	size_t hdrlen;   /* bytes of the header, newline included */
};

/* Parse a result header at the start of BUF. 1 and *OUT; 0 when the
 * header is not complete yet; -EPROTO when it is malformed; -EMSGSIZE when
 * its LEN passes MAX. */
int framing_result_header(const char *buf, size_t len, size_t max, struct framing_result *out);

/* Append a whole 'J' frame carrying DATA to B. 0, -EMSGSIZE, -ENOMEM. */
int framing_job_pack(struct proto_buf *b, const void *data, size_t len);
/* Append a whole 'R' frame to B: STATUS (enum proto_job), ID, then DATA. */
int framing_reply_pack(struct proto_buf *b, int status, uint64_t id, const void *data,
		       size_t len);
/* Decode an 'R' payload. 0, or -EPROTO when short or the status unknown.
 * *DATA points into PAYLOAD. */
int framing_reply_unpack(const uint8_t *payload, size_t len, int *status, uint64_t *id,
			 const uint8_t **data, size_t *dlen);

#endif
