/* submit — `corralctl submit [--lines] [--no-wait] [--detach] POOL [DATA]`.
 *
 * The order it runs in: send the request, then 'J' frames (one job, or one
 * per line of stdin), and read one 'R' frame per job, in the same order
 * (see ipc/proto.h). With --lines both go on at once in one poll loop, so
 * that corralctl never stops reading answers while corrald holds it back:
 * stdin is read only while little is left to send, and what is left to
 * send waits for the socket, which corrald stops reading when the pool's
 * queue is full. Closing the connection (Ctrl-C kills us) cancels the jobs. */
#include "ctl/submit.h"

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipc/framing.h"
#include "ipc/io.h"
#include "ipc/proto.h"

#define EXIT_USAGE     PROTO_USAGE
#define EXIT_NO_DAEMON PROTO_REFUSED
/* Stop reading stdin while this much is waiting for the socket. */
#define SEND_HIGH      (64 * 1024)
#define READ_CHUNK     (64 * 1024)

int submit_parse(int argc, char **argv, struct submit_opts *o, char *err, size_t errlen)
{
	*o = (struct submit_opts){ 0 };
	int i = 1;
	for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		} else if (strcmp(argv[i], "--lines") == 0) {
			o->lines = true;
		} else if (strcmp(argv[i], "--no-wait") == 0) {
			o->no_wait = true;
		} else if (strcmp(argv[i], "--detach") == 0) {
			o->detach = true;
		} else {
			snprintf(err, errlen, "submit: unknown option '%s'", argv[i]);
			return -EINVAL;
		}
	}
	if (i >= argc) {
		snprintf(err, errlen, "submit needs a pool name");
		return -EINVAL;
	}
	o->pool = argv[i++];
	if (i < argc)
		o->data = argv[i++];
	if (i < argc) {
		snprintf(err, errlen, "submit: too many arguments (quote DATA as one)");
		return -EINVAL;
	}
	if (o->lines && o->data) {
		snprintf(err, errlen, "submit --lines reads its jobs from stdin, not DATA");
		return -EINVAL;
	}
	if (o->data && strlen(o->data) > PROTO_MAX_JOB) {
		snprintf(err, errlen, "submit: DATA is longer than %u bytes", PROTO_MAX_JOB);
		return -EINVAL;
	}
	return 0;
}

static void send_request(int fd, const char *path, const struct submit_opts *o)
{
	char *words[5];
	int n = 0;
	words[n++] = "submit";
	if (o->no_wait)
		words[n++] = "--no-wait";
	if (o->detach)
		words[n++] = "--detach";
	words[n++] = (char *)o->pool;
	struct proto_buf req;
	int r = proto_request_pack(n, words, &req);
	if (r < 0)
		errx(EXIT_USAGE, "submit: cannot build the request: %s", strerror(-r));
	r = io_write_all(fd, req.data, req.len);
	proto_buf_free(&req);
	if (r < 0)
		errx(EXIT_NO_DAEMON, "%s: sending the request: %s", path, strerror(-r));
}

/* The worst of two exit statuses: a failure over a time-out over a refusal. */
static int worse(int a, int b)
{
	static const int rank[] = { 0, SUBMIT_EXIT_BUSY, SUBMIT_EXIT_TIMEOUT, 1 };
	int ra = 0, rb = 0;
	for (int i = 0; i < 4; i++) {
		if (rank[i] == a)
			ra = i;
		if (rank[i] == b)
			rb = i;
	}
	return ra >= rb ? a : b;
}

/* An 'A' frame: corrald refused the request. Print it, return its result. */
static int refused(const char *path, const uint8_t *payload, size_t len)
{
	enum proto_result result;
	const char *text;
	size_t textlen;
	if (proto_answer_unpack(payload, len, &result, &text, &textlen) < 0)
		errx(EXIT_NO_DAEMON, "%s: bad answer", path);
	while (textlen && text[textlen - 1] == '\n')
		textlen--;
	if (textlen)
		warnx("%.*s", (int)textlen, text);
	return result == PROTO_OK ? PROTO_FAILED : (int)result;
}

/* One answer: print it; its exit status. LINE > 0: --lines, its line. */
static int answer(const char *pool, long line, int status, uint64_t id, const uint8_t *data,
		  size_t len)
{
	char where[48] = "";
	if (line > 0)
		snprintf(where, sizeof where, "line %ld: ", line);
	int msglen = len > 1000 ? 1000 : (int)len;
	switch (status) {
	case PROTO_JOB_DONE:
		if (fwrite(data, 1, len, stdout) != len)
			err(PROTO_FAILED, "stdout");
		/* --lines: one line out for each line in, whatever the worker wrote. */
		if (line > 0 && (len == 0 || data[len - 1] != '\n'))
			putchar('\n');
		return 0;
	case PROTO_JOB_ACCEPTED:
		printf("%llu\n", (unsigned long long)id);
		return 0;
	case PROTO_JOB_BUSY:
		warnx("%s%s: queue full, job not submitted (--no-wait)", where, pool);
		if (line > 0)
			putchar('\n');
		return SUBMIT_EXIT_BUSY;
	case PROTO_JOB_TIMEOUT:
		warnx("%sjob %llu timed out: %.*s", where, (unsigned long long)id, msglen,
		      (const char *)data);
		if (line > 0)
			putchar('\n');
		return SUBMIT_EXIT_TIMEOUT;
	default:
		if (id)
			warnx("%sjob %llu failed: %.*s", where, (unsigned long long)id, msglen,
			      (const char *)data);
		else
			warnx("%sjob failed: %.*s", where, msglen, (const char *)data);
		if (line > 0)
			putchar('\n');
		return PROTO_FAILED;
	}
}

/* ---- one job ---- */

static int submit_one(int fd, const char *path, const struct submit_opts *o)
{
	struct proto_buf job;
	proto_buf_init(&job, PROTO_HEADER_SIZE + PROTO_MAX_JOB);
	int r;
	if (o->data) {
		r = framing_job_pack(&job, o->data, strlen(o->data));
	} else {
		/* All of stdin is the job. */
		struct proto_buf in;
		proto_buf_init(&in, PROTO_MAX_JOB + 1);
		char buf[READ_CHUNK];
		ssize_t n;
		while ((n = io_read_some(STDIN_FILENO, buf, sizeof buf)) > 0)
			if (proto_buf_append(&in, buf, (size_t)n) < 0)
				errx(EXIT_USAGE, "submit: the job on stdin is longer than %u bytes",
				     PROTO_MAX_JOB);
		if (n < 0)
			errx(EXIT_USAGE, "submit: reading stdin: %s", strerror((int)-n));
		r = framing_job_pack(&job, in.data ? (const char *)in.data : "", in.len);
		proto_buf_free(&in);
	}
	if (r < 0)
		errx(EXIT_USAGE, "submit: %s", strerror(-r));
	send_request(fd, path, o);
	r = io_write_all(fd, job.data, job.len);
	proto_buf_free(&job);
	/* On a refusal corrald answers and closes without reading the job. */
	if (r < 0 && r != -EPIPE && r != -ECONNRESET)
		errx(EXIT_NO_DAEMON, "%s: sending the job: %s", path, strerror(-r));

	uint8_t hdr[PROTO_HEADER_SIZE];
	r = io_read_exact(fd, hdr, sizeof hdr);
	if (r < 0)
		errx(EXIT_NO_DAEMON, "%s: connection closed without an answer%s%s", path,
		     r == -EPIPE ? "" : ": ", r == -EPIPE ? "" : strerror(-r));
	char kind;
	uint32_t len;
	if ((r = proto_header_unpack(hdr, &kind, &len, PROTO_MAX_ANSWER)) < 0 ||
	    (kind != PROTO_KIND_REPLY && kind != PROTO_KIND_ANSWER))
		errx(EXIT_NO_DAEMON, "%s: bad frame header", path);
	uint8_t *payload = malloc(len ? len : 1);
	if (!payload)
		err(EXIT_NO_DAEMON, "reading the answer");
	if ((r = io_read_exact(fd, payload, len)) < 0)
		errx(EXIT_NO_DAEMON, "%s: connection closed in the middle of an answer", path);
	int status;
	if (kind == PROTO_KIND_ANSWER) {
		status = refused(path, payload, len);
	} else {
		int st;
		uint64_t id;
		const uint8_t *data;
		size_t dlen;
		if (framing_reply_unpack(payload, len, &st, &id, &data, &dlen) < 0)
			errx(EXIT_NO_DAEMON, "%s: bad answer", path);
		status = answer(o->pool, 0, st, id, data, dlen);
	}
	free(payload);
	return status;
}

/* ---- --lines ---- */

struct lines {
	int fd;
	const char *path;
	const struct submit_opts *o;
	struct proto_buf send;   /* 'J' frames not yet written */
	size_t sent;
	struct proto_buf line;   /* the line being read from stdin */
	struct proto_buf recv;   /* what came from corrald, not yet a whole frame */
	long submitted, answered;
	bool eof, closed;
	int status;
};

static void lines_job(struct lines *L, const void *data, size_t len)
{
	if (framing_job_pack(&L->send, data, len) < 0)
		errx(EXIT_USAGE, "submit: line %ld: longer than %u bytes", L->submitted + 1,
		     PROTO_MAX_JOB);
	L->submitted++;
}

static void lines_read_stdin(struct lines *L)
{
	char buf[READ_CHUNK];
	ssize_t n = io_read_some(STDIN_FILENO, buf, sizeof buf);
	if (n == -EAGAIN)
		return;
	if (n < 0)
		errx(EXIT_USAGE, "submit: reading stdin: %s", strerror((int)-n));
	if (n == 0) {
		if (L->line.len) /* a last line without its newline */
			lines_job(L, L->line.data, L->line.len);
		L->line.len = 0;
		L->eof = true;
		return;
	}
	const char *p = buf, *end = buf + n;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t part = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (proto_buf_append(&L->line, p, part) < 0)
			errx(EXIT_USAGE, "submit: line %ld: longer than %u bytes", L->submitted + 1,
			     PROTO_MAX_JOB);
		if (!nl)
			break;
		lines_job(L, L->line.data ? (const char *)L->line.data : "", L->line.len);
		L->line.len = 0;
		p = nl + 1;
	}
}

static void lines_write(struct lines *L)
{
	while (L->sent < L->send.len) {
		ssize_t n = io_write_some(L->fd, L->send.data + L->sent, L->send.len - L->sent);
		if (n == -EAGAIN)
			return;
		if (n < 0) {
			/* corrald went; what it said before is still to be read. */
			L->closed = true;
			L->send.len = L->sent = 0;
			return;
		}
		L->sent += (size_t)n;
	}
	L->send.len = L->sent = 0;
}

/* Whole frames out of what came; false at a refusal (L->status set). */
static bool lines_answers(struct lines *L)
{
	size_t off = 0;
	bool go_on = true;
	while (go_on && L->recv.len - off >= PROTO_HEADER_SIZE) {
		char kind;
		uint32_t len;
		if (proto_header_unpack(L->recv.data + off, &kind, &len, PROTO_MAX_ANSWER) < 0 ||
		    (kind != PROTO_KIND_REPLY && kind != PROTO_KIND_ANSWER))
			errx(EXIT_NO_DAEMON, "%s: bad frame header", L->path);
		if (L->recv.len - off - PROTO_HEADER_SIZE < len)
			break;
		const uint8_t *payload = L->recv.data + off + PROTO_HEADER_SIZE;
		if (kind == PROTO_KIND_ANSWER) {
			L->status = refused(L->path, payload, len);
			go_on = false;
		} else {
			int st;
			uint64_t id;
			const uint8_t *data;
			size_t dlen;
			if (framing_reply_unpack(payload, len, &st, &id, &data, &dlen) < 0)
				errx(EXIT_NO_DAEMON, "%s: bad answer", L->path);
			L->answered++;
			L->status = worse(L->status, answer(L->o->pool, L->answered, st, id, data, dlen));
		}
		off += PROTO_HEADER_SIZE + len;
	}
	memmove(L->recv.data, L->recv.data + off, L->recv.len - off);
	L->recv.len -= off;
	return go_on;
}

/* false once corrald closed the connection, or refused. */
static bool lines_read_socket(struct lines *L)
{
	char buf[READ_CHUNK];
	ssize_t n = io_read_some(L->fd, buf, sizeof buf);
	if (n == -EAGAIN)
		return true;
	if (n <= 0) {
		if (L->answered < L->submitted || !L->eof)
			errx(EXIT_NO_DAEMON, "%s: connection closed after %ld of %ld answers", L->path,
			     L->answered, L->submitted);
		return false;
	}
	if (proto_buf_append(&L->recv, buf, (size_t)n) < 0)
		errx(EXIT_NO_DAEMON, "%s: an answer too large", L->path);
	return lines_answers(L);
}

static int submit_lines(int fd, const char *path, const struct submit_opts *o)
{
	struct lines L = { .fd = fd, .path = path, .o = o };
	proto_buf_init(&L.send, SEND_HIGH + PROTO_HEADER_SIZE + PROTO_MAX_JOB);
	proto_buf_init(&L.line, PROTO_MAX_JOB);
	proto_buf_init(&L.recv, PROTO_HEADER_SIZE + (size_t)PROTO_MAX_ANSWER);
	send_request(fd, path, o);
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
		err(EXIT_NO_DAEMON, "fcntl");
	for (;;) {
		if (L.eof && L.send.len == 0 && L.answered >= L.submitted)
			break;
		struct pollfd pfd[2] = {
			{ .fd = fd, .events = POLLIN },
			{ .fd = STDIN_FILENO, .events = POLLIN },
		};
		if (L.send.len > L.sent && !L.closed)
			pfd[0].events |= POLLOUT;
		int nfd = !L.eof && L.send.len - L.sent < SEND_HIGH ? 2 : 1;
		if (fflush(stdout) == EOF)
			err(PROTO_FAILED, "stdout");
		if (poll(pfd, (nfds_t)nfd, -1) < 0) {
			if (errno == EINTR)
				continue;
			err(EXIT_NO_DAEMON, "poll");
		}
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			if (!lines_read_socket(&L))
				break;
		}
		if (pfd[0].revents & POLLOUT)
			lines_write(&L);
		if (nfd == 2 && (pfd[1].revents & (POLLIN | POLLHUP | POLLERR))) {
			lines_read_stdin(&L);
			lines_write(&L);
		}
	}
	proto_buf_free(&L.send);
	proto_buf_free(&L.line);
	proto_buf_free(&L.recv);
	return L.status;
}

int submit_main(int fd, const char *path, const struct submit_opts *o)
{
	int status = o->lines ? submit_lines(fd, path, o) : submit_one(fd, path, o);
	close(fd);
	if (fflush(stdout) == EOF || ferror(stdout))
		err(PROTO_FAILED, "stdout");
	return status;
}
