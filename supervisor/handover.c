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
	*p = (struct handover_proc){ .name = strdup(name), .pidfd = -1, .ready_fd = -1 };
	p->out.pipe_fd = p->err.pipe_fd = -1;
	if (!p->name)
		return NULL;
	h->nprocs++;
	return p;
}

int handover_add_part(struct handover *h, const char *kind, const char *key,
		      struct handover_out *o)
{
	struct handover_part *v = o->nomem ? NULL : realloc(h->parts, (h->nparts + 1) * sizeof *v);
	if (!v) {
		free(o->data);
		*o = (struct handover_out){ 0 };
		return -ENOMEM;
	}
	h->parts = v;
	struct handover_part *pt = &v[h->nparts];
	*pt = (struct handover_part){ .kind = strdup(kind), .key = strdup(key),
				      .data = (unsigned char *)o->data, .len = o->len };
	*o = (struct handover_out){ 0 };
	if (!pt->kind || !pt->key) {
		free(pt->kind);
		free(pt->key);
		free(pt->data);
		return -ENOMEM;
	}
	h->nparts++;
	return 0;
}

/* ---- encoding ---- */

void handover_put(struct handover_out *o, const void *p, size_t n)
{
	if (o->nomem || !n)
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

void handover_put_u64(struct handover_out *o, uint64_t v)
{
	unsigned char b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)(v >> (8 * i));
	handover_put(o, b, 8);
}

void handover_put_u32(struct handover_out *o, uint32_t v)
{
	unsigned char b[4];
	for (int i = 0; i < 4; i++)
		b[i] = (unsigned char)(v >> (8 * i));
	handover_put(o, b, 4);
}

void handover_put_i32(struct handover_out *o, int32_t v)
{
	handover_put_u32(o, (uint32_t)v);
}

void handover_put_i64(struct handover_out *o, int64_t v)
{
	handover_put_u64(o, (uint64_t)v);
}

void handover_put_bool(struct handover_out *o, bool v)
{
	unsigned char b = v;
	handover_put(o, &b, 1);
}

void handover_put_str(struct handover_out *o, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	handover_put_u32(o, (uint32_t)n);
	handover_put(o, s ? s : "", n);
}

void handover_put_bytes(struct handover_out *o, const void *p, size_t n)
{
	handover_put_u32(o, (uint32_t)n);
	handover_put(o, p, n);
}

static void put_stream(struct handover_out *o, const struct handover_stream *s)
{
	handover_put_i32(o, s->pipe_fd);
	handover_put_bool(o, s->at_line_start);
	handover_put_bool(o, s->continued);
	handover_put_u64(o, s->line_len);
	handover_put_u64(o, s->dropped);
	handover_put_u64(o, s->blocked_ms);
	handover_put_u64(o, s->syslog_dropped);
}

int handover_encode(const struct handover *h, char **buf, size_t *len)
{
	struct handover_out body = { 0 };
	handover_put_str(&body, h->version);
	handover_put_str(&body, h->config_path);
	handover_put_u32(&body, (uint32_t)h->nfds);
	for (size_t i = 0; i < h->nfds; i++) {
		handover_put_str(&body, h->fds[i].kind);
		handover_put_str(&body, h->fds[i].key);
		handover_put_i32(&body, h->fds[i].fd);
	}
	handover_put_str(&body, h->scope_path);
	handover_put_i32(&body, h->guard_pid);
	handover_put_i32(&body, h->guard_pipe);
	handover_put_i32(&body, h->guard_pidfd);
	handover_put_u32(&body, (uint32_t)h->nprocs);
	for (size_t i = 0; i < h->nprocs; i++) {
		const struct handover_proc *p = &h->procs[i];
		handover_put_str(&body, p->name);
		handover_put_i32(&body, p->pid);
		handover_put_i32(&body, p->pidfd);
		handover_put_u32(&body, p->state);
		handover_put_i32(&body, p->retries);
		handover_put_bool(&body, p->restart_due);
		handover_put_u32(&body, p->killing);
		handover_put_u32(&body, p->last);
		handover_put_i64(&body, p->started_ms);
		handover_put_i64(&body, p->start_wall);
		handover_put_i64(&body, p->stop_wall);
		handover_put_i32(&body, p->exitcode);
		handover_put_i32(&body, p->exitsig);
		handover_put_i32(&body, p->exit_pid);
		handover_put_bool(&body, p->spawnerr != NULL);
		handover_put_str(&body, p->spawnerr);
		handover_put_bool(&body, p->leaf_used);
		put_stream(&body, &p->out);
		put_stream(&body, &p->err);
		handover_put_i64(&body, p->timer_ms);
		handover_put_bool(&body, p->dep_waiting);
		handover_put_bool(&body, p->dep_restart);
		handover_put_i32(&body, p->ready_fd);
		handover_put_u64(&body, p->restarts);
		const struct handover_stream *st[2] = { &p->out, &p->err };
		for (int k = 0; k < 2; k++) {
			handover_put_u64(&body, st[k]->logged_bytes);
			handover_put_u64(&body, st[k]->logged_lines);
		}
	}
	handover_put_u32(&body, (uint32_t)h->nparts);
	for (size_t i = 0; i < h->nparts; i++) {
		handover_put_str(&body, h->parts[i].kind);
		handover_put_str(&body, h->parts[i].key);
		handover_put_bytes(&body, h->parts[i].data, h->parts[i].len);
	}
	struct handover_out all = { 0 };
	handover_put(&all, HANDOVER_MAGIC, strlen(HANDOVER_MAGIC));
	handover_put_u32(&all, HANDOVER_VERSION);
	handover_put_u64(&all, body.len);
	handover_put(&all, body.data, body.len);
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

static const unsigned char *take(struct handover_in *in, size_t n)
{
	if (in->bad || (size_t)(in->end - in->p) < n) {
		in->bad = true;
		return NULL;
	}
	const unsigned char *at = in->p;
	in->p += n;
	return at;
}

uint64_t handover_get_u64(struct handover_in *in)
{
	const unsigned char *b = take(in, 8);
	uint64_t v = 0;
	for (int i = 0; b && i < 8; i++)
		v |= (uint64_t)b[i] << (8 * i);
	return v;
}

uint32_t handover_get_u32(struct handover_in *in)
{
	const unsigned char *b = take(in, 4);
	uint32_t v = 0;
	for (int i = 0; b && i < 4; i++)
		v |= (uint32_t)b[i] << (8 * i);
	return v;
}

int32_t handover_get_i32(struct handover_in *in)
{
	return (int32_t)handover_get_u32(in);
}

int64_t handover_get_i64(struct handover_in *in)
{
	return (int64_t)handover_get_u64(in);
}

bool handover_get_bool(struct handover_in *in)
{
	const unsigned char *b = take(in, 1);
	if (b && *b > 1)
		in->bad = true;
	return b && *b;
}

/* A string, malloc'd; NULL (and bad) when short, or holding a NUL. */
char *handover_get_str(struct handover_in *in)
{
	uint32_t n = handover_get_u32(in);
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

void *handover_get_bytes(struct handover_in *in, size_t *len)
{
	uint32_t n = handover_get_u32(in);
	const unsigned char *b = take(in, n);
	*len = 0;
	if (!b)
		return NULL;
	unsigned char *d = malloc(n ? n : 1);
	if (!d) {
		in->bad = true;
		return NULL;
	}
	memcpy(d, b, n);
	*len = n;
	return d;
}

static void get_stream(struct handover_in *in, struct handover_stream *s)
{
	s->pipe_fd = handover_get_i32(in);
	s->at_line_start = handover_get_bool(in);
	s->continued = handover_get_bool(in);
	s->line_len = handover_get_u64(in);
	s->dropped = handover_get_u64(in);
	s->blocked_ms = handover_get_u64(in);
	s->syslog_dropped = handover_get_u64(in);
}

/* A count of items at least MIN bytes each that the rest can hold. */
size_t handover_get_count(struct handover_in *in, size_t min)
{
	uint32_t n = handover_get_u32(in);
	if ((size_t)(in->end - in->p) / min < n) {
		in->bad = true;
		return 0;
	}
	return n;
}

void *handover_get_array(struct handover_in *in, size_t min, size_t size, size_t *n)
{
	*n = handover_get_count(in, min);
	if (!*n || in->bad)
		return NULL;
	void *v = calloc(*n, size);
	if (!v)
		in->bad = true;
	return v;
}

static bool fd_ok(int fd)
{
	return fd >= -1;
}

int handover_decode(const char *buf, size_t len, struct handover *h, char *why, size_t whylen)
{
	memset(h, 0, sizeof *h);
	h->guard_pipe = h->guard_pidfd = -1;
	struct handover_in in = { (const unsigned char *)buf, (const unsigned char *)buf + len, false };
	size_t mlen = strlen(HANDOVER_MAGIC);
	const unsigned char *m = take(&in, mlen);
	if (!m || memcmp(m, HANDOVER_MAGIC, mlen) != 0) {
		snprintf(why, whylen, "not a corral handover record");
		return -EINVAL;
	}
	uint32_t version = handover_get_u32(&in);
	uint64_t blen = handover_get_u64(&in);
	if (in.bad || version < HANDOVER_VERSION_OLDEST || version > HANDOVER_VERSION) {
		snprintf(why, whylen, "handover record version %u, this corrald reads versions "
			 "%d to %d", version, HANDOVER_VERSION_OLDEST, HANDOVER_VERSION);
		return -EINVAL;
	}
	if (blen != (uint64_t)(in.end - in.p)) {
		snprintf(why, whylen, "handover record of %llu bytes, %llu expected",
			 (unsigned long long)(in.end - in.p), (unsigned long long)blen);
		return -EINVAL;
	}
	h->version = handover_get_str(&in);
	h->config_path = handover_get_str(&in);
	size_t nfds;
	h->fds = handover_get_array(&in, 12, sizeof *h->fds, &nfds);
	for (size_t i = 0; i < nfds && !in.bad; i++, h->nfds++) {
		struct handover_fd *f = &h->fds[i];
		f->kind = handover_get_str(&in);
		f->key = handover_get_str(&in);
		f->fd = handover_get_i32(&in);
		if (f->fd < 0)
			in.bad = true;
	}
	h->scope_path = handover_get_str(&in);
	h->guard_pid = handover_get_i32(&in);
	h->guard_pipe = handover_get_i32(&in);
	h->guard_pidfd = handover_get_i32(&in);
	if (!fd_ok(h->guard_pipe) || !fd_ok(h->guard_pidfd) || h->guard_pid < 0)
		in.bad = true;
	size_t nprocs;
	h->procs = handover_get_array(&in, 100, sizeof *h->procs, &nprocs);
	for (size_t i = 0; i < nprocs && !in.bad; i++, h->nprocs++) {
		struct handover_proc *p = &h->procs[i];
		p->name = handover_get_str(&in);
		p->pid = handover_get_i32(&in);
		p->pidfd = handover_get_i32(&in);
		p->state = handover_get_u32(&in);
		p->retries = handover_get_i32(&in);
		p->restart_due = handover_get_bool(&in);
		p->killing = handover_get_u32(&in);
		p->last = handover_get_u32(&in);
		p->started_ms = handover_get_i64(&in);
		p->start_wall = handover_get_i64(&in);
		p->stop_wall = handover_get_i64(&in);
		p->exitcode = handover_get_i32(&in);
		p->exitsig = handover_get_i32(&in);
		p->exit_pid = handover_get_i32(&in);
		bool has_err = handover_get_bool(&in);
		p->spawnerr = handover_get_str(&in);
		if (!has_err) {
			free(p->spawnerr);
			p->spawnerr = NULL;
		}
		p->leaf_used = handover_get_bool(&in);
		get_stream(&in, &p->out);
		get_stream(&in, &p->err);
		p->ready_fd = -1;
		if (version >= 2) {
			p->timer_ms = handover_get_i64(&in);
			p->dep_waiting = handover_get_bool(&in);
			p->dep_restart = handover_get_bool(&in);
			p->ready_fd = handover_get_i32(&in);
		}
		if (version >= 3) {
			p->restarts = handover_get_u64(&in);
			struct handover_stream *st[2] = { &p->out, &p->err };
			for (int k = 0; k < 2; k++) {
				st[k]->logged_bytes = handover_get_u64(&in);
				st[k]->logged_lines = handover_get_u64(&in);
			}
		}
		if (!fd_ok(p->ready_fd) || p->pid < 0 || !fd_ok(p->pidfd) || (p->pid > 0) != (p->pidfd >= 0) ||
		    !fd_ok(p->out.pipe_fd) || !fd_ok(p->err.pipe_fd))
			in.bad = true;
	}
	/* Version 1 ends here: it had no parts. */
	size_t nparts = 0;
	if (version >= 2)
		h->parts = handover_get_array(&in, 12, sizeof *h->parts, &nparts);
	for (size_t i = 0; i < nparts && !in.bad; i++, h->nparts++) {
		struct handover_part *pt = &h->parts[i];
		pt->kind = handover_get_str(&in);
		pt->key = handover_get_str(&in);
		pt->data = handover_get_bytes(&in, &pt->len);
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
	for (size_t i = 0; i < h->nparts; i++) {
		free(h->parts[i].kind);
		free(h->parts[i].key);
		free(h->parts[i].data);
	}
	free(h->parts);
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

const struct handover_part *handover_find_part(const char *kind, const char *key)
{
	for (size_t i = 0; have && i < cur.nparts; i++)
		if (strcmp(cur.parts[i].kind, kind) == 0 && strcmp(cur.parts[i].key, key) == 0)
			return &cur.parts[i];
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
