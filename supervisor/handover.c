/* handover — the record a corrald hands to the one it execs (handover.h). */
#include "supervisor/handover.h"

#include <errno.h>
#include <search.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ipc/io.h"

/* ---- building ---- */

int handover_add_fd(struct handover *h, const char *kind, const char *key, int fd)
{
	struct handover_fd *v = realloc(h->fds, (h->nfds + 1) * sizeof *v);
	if (!v)
		return -ENOMEM;
	h->fds = v;
	struct handover_fd *f = &v[h->nfds];
	*f = (struct handover_fd){ .kind = strdup(kind), .key = strdup(key), .fd = fd };
	if (!f->kind || !f->key) {
		free(f->kind);
		free(f->key);
		return -ENOMEM;
	}
	h->nfds++;
	return 0;
}

struct handover_proc *handover_add_proc(struct handover *h, const char *name)
{
	struct handover_proc *v = realloc(h->procs, (h->nprocs + 1) * sizeof *v);
	if (!v)
		return NULL;
	h->procs = v;
	struct handover_proc *p = &v[h->nprocs];
	*p = (struct handover_proc){ .name = strdup(name), .pidfd = -1 };
	p->out.pipe_fd = p->err.pipe_fd = -1;
	if (!p->name)
		return NULL;
	h->nprocs++;
	return p;
}

/* ---- encoding ---- */

struct out {
	char *data;
	size_t len, cap;
	bool nomem;
};

static void put(struct out *o, const void *p, size_t n)
{
	if (o->nomem)
		return;
	if (o->len + n > o->cap) {
		size_t cap = o->cap ? o->cap : 4096;
		while (cap < o->len + n)
			cap *= 2;
		char *d = realloc(o->data, cap);
		if (!d) {
			o->nomem = true;
			return;
		}
		o->data = d;
		o->cap = cap;
	}
	memcpy(o->data + o->len, p, n);
	o->len += n;
}

static void put_u64(struct out *o, uint64_t v)
{
	unsigned char b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)(v >> (8 * i));
	put(o, b, 8);
}

static void put_u32(struct out *o, uint32_t v)
{
	unsigned char b[4];
	for (int i = 0; i < 4; i++)
		b[i] = (unsigned char)(v >> (8 * i));
	put(o, b, 4);
}

static void put_i32(struct out *o, int32_t v)
{
	put_u32(o, (uint32_t)v);
}

static void put_i64(struct out *o, int64_t v)
{
	put_u64(o, (uint64_t)v);
}

static void put_bool(struct out *o, bool v)
{
	unsigned char b = v;
	put(o, &b, 1);
}

static void put_str(struct out *o, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	put_u32(o, (uint32_t)n);
	put(o, s ? s : "", n);
}

static void put_stream(struct out *o, const struct handover_stream *s)
{
	put_i32(o, s->pipe_fd);
	put_bool(o, s->at_line_start);
	put_bool(o, s->continued);
	put_u64(o, s->line_len);
	put_u64(o, s->dropped);
	put_u64(o, s->blocked_ms);
	put_u64(o, s->syslog_dropped);
}

int handover_encode(const struct handover *h, char **buf, size_t *len)
{
	struct out body = { 0 };
	put_str(&body, h->version);
	put_str(&body, h->config_path);
	put_u32(&body, (uint32_t)h->nfds);
	for (size_t i = 0; i < h->nfds; i++) {
		put_str(&body, h->fds[i].kind);
		put_str(&body, h->fds[i].key);
		put_i32(&body, h->fds[i].fd);
	}
	put_str(&body, h->scope_path);
	put_i32(&body, h->guard_pid);
	put_i32(&body, h->guard_pipe);
	put_i32(&body, h->guard_pidfd);
	put_u32(&body, (uint32_t)h->nprocs);
	for (size_t i = 0; i < h->nprocs; i++) {
		const struct handover_proc *p = &h->procs[i];
		put_str(&body, p->name);
		put_i32(&body, p->pid);
		put_i32(&body, p->pidfd);
		put_u32(&body, p->state);
		put_i32(&body, p->retries);
		put_bool(&body, p->restart_due);
		put_u32(&body, p->killing);
		put_u32(&body, p->last);
		put_i64(&body, p->started_ms);
		put_i64(&body, p->start_wall);
		put_i64(&body, p->stop_wall);
		put_i32(&body, p->exitcode);
		put_i32(&body, p->exitsig);
		put_i32(&body, p->exit_pid);
		put_bool(&body, p->spawnerr != NULL);
		put_str(&body, p->spawnerr);
		put_bool(&body, p->leaf_used);
		put_stream(&body, &p->out);
		put_stream(&body, &p->err);
	}
	struct out all = { 0 };
	put(&all, HANDOVER_MAGIC, strlen(HANDOVER_MAGIC));
	put_u32(&all, HANDOVER_VERSION);
	put_u64(&all, body.len);
	put(&all, body.data, body.len);
	free(body.data);
	if (body.nomem || all.nomem) {
		free(all.data);
		return -ENOMEM;
	}
	*buf = all.data;
	*len = all.len;
	return 0;
}

int handover_write(const struct handover *h)
{
	char *buf;
	size_t len;
	int r = handover_encode(h, &buf, &len);
	if (r < 0)
		return r;
	/* Not close-on-exec: the new corrald reads it. */
	int fd = memfd_create("corral-handover", 0);
	if (fd < 0) {
		r = -errno;
		free(buf);
		return r;
	}
	r = io_write_all(fd, buf, len);
	free(buf);
	if (r == 0 && lseek(fd, 0, SEEK_SET) < 0)
		r = -errno;
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

/* ---- decoding ---- */

struct in {
	const unsigned char *p, *end;
	bool bad;
};

static const unsigned char *take(struct in *in, size_t n)
{
	if (in->bad || (size_t)(in->end - in->p) < n) {
		in->bad = true;
		return NULL;
	}
	const unsigned char *at = in->p;
	in->p += n;
	return at;
}

static uint64_t get_u64(struct in *in)
{
	const unsigned char *b = take(in, 8);
	uint64_t v = 0;
	for (int i = 0; b && i < 8; i++)
		v |= (uint64_t)b[i] << (8 * i);
	return v;
}

static uint32_t get_u32(struct in *in)
{
	const unsigned char *b = take(in, 4);
	uint32_t v = 0;
	for (int i = 0; b && i < 4; i++)
		v |= (uint32_t)b[i] << (8 * i);
	return v;
}

static int32_t get_i32(struct in *in)
{
	return (int32_t)get_u32(in);
}

static int64_t get_i64(struct in *in)
{
	return (int64_t)get_u64(in);
}

static bool get_bool(struct in *in)
{
	const unsigned char *b = take(in, 1);
	if (b && *b > 1)
		in->bad = true;
	return b && *b;
}

/* A string, malloc'd; NULL (and bad) when short, or holding a NUL. */
static char *get_str(struct in *in)
{
	uint32_t n = get_u32(in);
	const unsigned char *b = take(in, n);
	if (!b)
		return NULL;
	if (memchr(b, '\0', n)) {
		in->bad = true;
		return NULL;
	}
	char *s = malloc((size_t)n + 1);
	if (!s) {
		in->bad = true;
		return NULL;
	}
	memcpy(s, b, n);
	s[n] = '\0';
	return s;
}

static void get_stream(struct in *in, struct handover_stream *s)
{
	s->pipe_fd = get_i32(in);
	s->at_line_start = get_bool(in);
	s->continued = get_bool(in);
	s->line_len = get_u64(in);
	s->dropped = get_u64(in);
	s->blocked_ms = get_u64(in);
	s->syslog_dropped = get_u64(in);
}

/* A count of items at least MIN bytes each that the rest can hold. */
static size_t get_count(struct in *in, size_t min)
{
	uint32_t n = get_u32(in);
	if ((size_t)(in->end - in->p) / min < n) {
		in->bad = true;
		return 0;
	}
	return n;
}

static bool fd_ok(int fd)
{
	return fd >= -1;
}

int handover_decode(const char *buf, size_t len, struct handover *h, char *why, size_t whylen)
{
	memset(h, 0, sizeof *h);
	h->guard_pipe = h->guard_pidfd = -1;
	struct in in = { (const unsigned char *)buf, (const unsigned char *)buf + len, false };
	size_t mlen = strlen(HANDOVER_MAGIC);
	const unsigned char *m = take(&in, mlen);
	if (!m || memcmp(m, HANDOVER_MAGIC, mlen) != 0) {
		snprintf(why, whylen, "not a corral handover record");
		return -EINVAL;
	}
	uint32_t version = get_u32(&in);
	uint64_t blen = get_u64(&in);
	if (in.bad || version != HANDOVER_VERSION) {
		snprintf(why, whylen, "handover record version %u, this corrald reads version %d",
			 version, HANDOVER_VERSION);
		return -EINVAL;
	}
	if (blen != (uint64_t)(in.end - in.p)) {
		snprintf(why, whylen, "handover record of %llu bytes, %llu expected",
			 (unsigned long long)(in.end - in.p), (unsigned long long)blen);
		return -EINVAL;
	}
	h->version = get_str(&in);
	h->config_path = get_str(&in);
	size_t nfds = get_count(&in, 12);
	if (nfds && !in.bad && !(h->fds = calloc(nfds, sizeof *h->fds)))
		in.bad = true;
	for (size_t i = 0; i < nfds && !in.bad; i++, h->nfds++) {
		struct handover_fd *f = &h->fds[i];
		f->kind = get_str(&in);
		f->key = get_str(&in);
		f->fd = get_i32(&in);
		if (f->fd < 0)
			in.bad = true;
	}
	h->scope_path = get_str(&in);
	h->guard_pid = get_i32(&in);
	h->guard_pipe = get_i32(&in);
	h->guard_pidfd = get_i32(&in);
	if (!fd_ok(h->guard_pipe) || !fd_ok(h->guard_pidfd) || h->guard_pid < 0)
		in.bad = true;
	size_t nprocs = get_count(&in, 100);
	if (nprocs && !in.bad && !(h->procs = calloc(nprocs, sizeof *h->procs)))
		in.bad = true;
	for (size_t i = 0; i < nprocs && !in.bad; i++, h->nprocs++) {
		struct handover_proc *p = &h->procs[i];
		p->name = get_str(&in);
		p->pid = get_i32(&in);
		p->pidfd = get_i32(&in);
		p->state = get_u32(&in);
		p->retries = get_i32(&in);
		p->restart_due = get_bool(&in);
		p->killing = get_u32(&in);
		p->last = get_u32(&in);
		p->started_ms = get_i64(&in);
		p->start_wall = get_i64(&in);
		p->stop_wall = get_i64(&in);
		p->exitcode = get_i32(&in);
		p->exitsig = get_i32(&in);
		p->exit_pid = get_i32(&in);
		bool has_err = get_bool(&in);
		p->spawnerr = get_str(&in);
		if (!has_err) {
			free(p->spawnerr);
			p->spawnerr = NULL;
		}
		p->leaf_used = get_bool(&in);
		get_stream(&in, &p->out);
		get_stream(&in, &p->err);
		if (p->pid < 0 || !fd_ok(p->pidfd) || (p->pid > 0) != (p->pidfd >= 0) ||
		    !fd_ok(p->out.pipe_fd) || !fd_ok(p->err.pipe_fd))
			in.bad = true;
	}
	if (!in.bad && in.p != in.end)
		in.bad = true;
	if (in.bad) {
		snprintf(why, whylen, "handover record: malformed at byte %zu of %zu",
			 (size_t)(in.p - (const unsigned char *)buf), len);
		handover_free(h);
		return -EINVAL;
	}
	return 0;
}

int handover_read(int fd, struct handover *h, char *why, size_t whylen)
{
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int e = errno;
		snprintf(why, whylen, "handover record fd %d: %s", fd, strerror(e));
		close(fd);
		return -e;
	}
	if (st.st_size < 0 || st.st_size > (off_t)(1 << 30)) {
		snprintf(why, whylen, "handover record fd %d: %lld bytes, too big", fd,
			 (long long)st.st_size);
		close(fd);
		return -EINVAL;
	}
	size_t len = (size_t)st.st_size;
	char *buf = malloc(len ? len : 1);
	int r = buf ? 0 : -ENOMEM;
	for (size_t got = 0; r == 0 && got < len;) {
		ssize_t n = pread(fd, buf + got, len - got, (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			r = n < 0 ? -errno : -EIO;
		else
			got += (size_t)n;
	}
	close(fd);
	if (r < 0) {
		snprintf(why, whylen, "reading the handover record: %s", strerror(-r));
		free(buf);
		return r;
	}
	r = handover_decode(buf, len, h, why, whylen);
	free(buf);
	return r;
}

void handover_free(struct handover *h)
{
	free(h->version);
	free(h->config_path);
	for (size_t i = 0; i < h->nfds; i++) {
		free(h->fds[i].kind);
		free(h->fds[i].key);
	}
	free(h->fds);
	free(h->scope_path);
	for (size_t i = 0; i < h->nprocs; i++) {
		free(h->procs[i].name);
		free(h->procs[i].spawnerr);
	}
	free(h->procs);
	memset(h, 0, sizeof *h);
	h->guard_pipe = h->guard_pidfd = -1;
}

/* ---- the current record ---- */

static struct handover cur;
static bool have;
/* The record's descriptors by "KIND KEY" (glibc's hsearch_r), so that a
 * take-over of N processes is O(N); NULL when it could not be made (then
 * a search, slower, never wrong). */
static struct hsearch_data *byname;
static char **names; /* the keys, owned */

static void index_free(void)
{
	if (byname) {
		hdestroy_r(byname);
		free(byname);
		byname = NULL;
	}
	for (size_t i = 0; names && i < cur.nfds; i++)
		free(names[i]);
	free(names);
	names = NULL;
}

static char *fd_key(const char *kind, const char *key)
{
	char *s;
	return asprintf(&s, "%s %s", kind, key) < 0 ? NULL : s;
}

static void index_make(void)
{
	byname = calloc(1, sizeof *byname);
	names = calloc(cur.nfds + 1, sizeof *names);
	bool ok = byname && names && hcreate_r(2 * cur.nfds + 16, byname);
	if (!ok) {
		free(byname);
		byname = NULL;
	}
	for (size_t i = 0; ok && i < cur.nfds; i++) {
		ENTRY e = { .key = names[i] = fd_key(cur.fds[i].kind, cur.fds[i].key),
			    .data = &cur.fds[i] }, *f;
		/* the first of a name wins, as the search would find it */
		ok = e.key && hsearch_r(e, ENTER, &f, byname);
	}
	if (!ok)
		index_free();
}

void handover_set_current(struct handover *h)
{
	if (have) {
		index_free();
		handover_free(&cur);
	}
	have = h != NULL;
	if (h) {
		cur = *h;
		memset(h, 0, sizeof *h);
		index_make();
	}
}

bool handover_active(void)
{
	return have;
}

const struct handover *handover_current(void)
{
	return have ? &cur : NULL;
}

int handover_take_fd(const char *kind, const char *key)
{
	if (have && byname) {
		char *k = fd_key(kind, key);
		ENTRY e = { .key = k }, *f = NULL;
		bool found = k && hsearch_r(e, FIND, &f, byname);
		free(k);
		if (k) {
			struct handover_fd *hf = found ? f->data : NULL;
			if (!hf || hf->taken)
				return -1;
			hf->taken = true;
			return hf->fd;
		}
	}
	for (size_t i = 0; have && i < cur.nfds; i++) {
		struct handover_fd *f = &cur.fds[i];
		if (!f->taken && strcmp(f->kind, kind) == 0 && strcmp(f->key, key) == 0) {
			f->taken = true;
			return f->fd;
		}
	}
	return -1;
}

const struct handover_proc *handover_find_proc(const char *name)
{
	for (size_t i = 0; have && i < cur.nprocs; i++)
		if (strcmp(cur.procs[i].name, name) == 0)
			return &cur.procs[i];
	return NULL;
}

void handover_done(void)
{
	for (size_t i = 0; have && i < cur.nfds; i++)
		if (!cur.fds[i].taken)
			close(cur.fds[i].fd);
	index_free();
	if (have)
		handover_free(&cur);
	have = false;
}
