/* watch — restarts on changes of watched files (watch.h). */
#include "supervisor/watch.h"

#include <errno.h>
#include <fts.h>
#include <limits.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "supervisor/hooks.h"
#include "supervisor/log.h"
#include "supervisor/loop.h"
#include "supervisor/roll.h"
#include "supervisor/supervisor.h"
#include "supervisor/watchmatch.h"

#define MASK (IN_CREATE | IN_DELETE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | \
	      IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF)

/* One watch = path of a program. */
struct wroot {
	char *path;
	bool armed;             /* watched (else its parent is, for its return) */
};

/* A program's watching. */
struct wprog {
	struct program *prog;
	struct wroot *roots;
	size_t nroots;
	int nwatches;           /* entries of this program */
	struct deadline window; /* watch_debounce: the restart at its end */
	struct deadline start;  /* the start half of the restart, on the loop's turn */
	bool *restarting;       /* per process: stopped by us, to start again */
	int nrestarting;        /* its room: corralctl scale may add processes */
	struct wprog *next;
};

/* One inotify watch descriptor as one program uses it (the kernel gives
 * the same descriptor for the same inode: two programs share it). */
struct went {
	int wd;
	struct wprog *w;
	size_t root;            /* its wroot */
	char *path;             /* absolute */
	bool parent;            /* watches the root's parent for the root's return */
};

static struct {
	int fd;
	struct watch w;
	struct went *v;
	size_t n, cap;
	struct wprog *progs;
} W = { .fd = -1 };

static const char *pname(const struct wprog *w)
{
	return w->prog->cfg->name;
}

static int ensure_fd(void)
{
	if (W.fd >= 0)
		return 0;
	if ((W.fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0) {
		int e = errno;
		log_err("watch: inotify_init1: %s", strerror(e));
		return -e;
	}
	int r = loop_watch(W.fd, EPOLLIN, &W.w);
	if (r < 0) {
		log_err("watch: cannot watch the inotify descriptor: %s", strerror(-r));
		close(W.fd);
		W.fd = -1;
	}
	return r;
}

/* Watch PATH for W's root ROOT (PARENT: for its return). 0 or -errno. */
static int add_one(struct wprog *w, size_t root, const char *path, bool parent)
{
	int wd = inotify_add_watch(W.fd, path, MASK);
	if (wd < 0)
		return -errno;
	for (size_t i = 0; i < W.n; i++)
		if (W.v[i].wd == wd && W.v[i].w == w && W.v[i].root == root &&
		    W.v[i].parent == parent)
			return 0;
	if (W.n == W.cap) {
		size_t cap = W.cap ? W.cap * 2 : 16;
		struct went *v = reallocarray(W.v, cap, sizeof *v);
		if (!v)
			return -ENOMEM;
		W.v = v;
		W.cap = cap;
	}
	char *p = strdup(path);
	if (!p)
		return -ENOMEM;
	W.v[W.n++] = (struct went){ .wd = wd, .w = w, .root = root, .path = p, .parent = parent };
	w->nwatches++;
	return 0;
}

/* Entry I goes; its descriptor too when nobody else uses it (KERNEL_GONE:
 * the kernel removed it already, IN_IGNORED). */
static void drop(size_t i, bool kernel_gone)
{
	struct went e = W.v[i];
	W.v[i] = W.v[--W.n];
	e.w->nwatches--;
	bool shared = false;
	for (size_t j = 0; j < W.n && !shared; j++)
		shared = W.v[j].wd == e.wd;
	if (!shared && !kernel_gone && inotify_rm_watch(W.fd, e.wd) < 0 && errno != EINVAL)
		log_warn("watch: inotify_rm_watch %s: %m", e.path);
	free(e.path);
}

/* The path of PATH relative to W's root ROOT: "" for the root itself. */
static const char *rel_of(const struct wprog *w, size_t root, const char *path)
{
	size_t n = strlen(w->roots[root].path);
	return path[n] == '/' ? path + n + 1 : path + n;
}

/* PATH and, when a directory, every directory under it not excluded. */
static void add_tree(struct wprog *w, size_t root, const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return; /* gone again: its parent's events said it */
	if (!S_ISDIR(st.st_mode)) {
		int r = add_one(w, root, path, false);
		if (r < 0)
			log_warn("%s: watch %s: %s", pname(w), path, strerror(-r));
		return;
	}
	char *const argv[] = { (char *)path, NULL };
	FTS *fts = fts_open(argv, FTS_PHYSICAL | FTS_NOCHDIR, NULL);
	if (!fts) {
		log_warn("%s: watch: cannot walk %s: %m", pname(w), path);
		return;
	}
	FTSENT *e;
	errno = 0;
	while ((e = fts_read(fts))) {
		if (e->fts_info != FTS_D)
			continue;
		if (watchmatch_excluded(w->prog->cfg->watch_exclude, rel_of(w, root, e->fts_path))) {
			fts_set(fts, e, FTS_SKIP);
			continue;
		}
		int r = add_one(w, root, e->fts_path, false);
		if (r < 0) {
			log_warn("%s: watch %s: %s", pname(w), e->fts_path, strerror(-r));
			if (r == -ENOSPC) /* fs.inotify.max_user_watches */
				break;
		}
		errno = 0;
	}
	if (errno && errno != ENOENT)
		log_debug("%s: watch: walking %s: %m", pname(w), path);
	fts_close(fts);
}

/* The directory PATH is in, into BUF. */
static void parent_of(const char *path, char *buf, size_t len)
{
	snprintf(buf, len, "%s", path);
	char *slash = strrchr(buf, '/');
	if (slash == buf)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
}

/* Watch root I of W, or its parent while it does not exist. */
static void arm_root(struct wprog *w, size_t i)
{
	struct wroot *r = &w->roots[i];
	struct stat st;
	if (stat(r->path, &st) == 0) {
		r->armed = true;
		add_tree(w, i, r->path);
		return;
	}
	r->armed = false;
	char parent[PATH_MAX];
	parent_of(r->path, parent, sizeof parent);
	int rc = add_one(w, i, parent, true);
	if (rc < 0)
		log_warn("%s: watch: %s does not exist, nor can its directory %s be watched (%s): "
			 "it is not watched", pname(w), r->path, parent, strerror(-rc));
	else
		log_info("%s: watch: %s does not exist; watching %s for it to come back", pname(w),
			 r->path, parent);
}

/* Every entry of W's root I goes. */
static void drop_root(struct wprog *w, size_t i)
{
	for (size_t j = W.n; j-- > 0;)
		if (W.v[j].w == w && W.v[j].root == i)
			drop(j, false);
}

/* Something changed: W restarts at the end of the window (one opened now
 * when none is). */
static void changed(struct wprog *w)
{
	if (loop_timer_pending(&w->window))
		return;
	if (loop_timer_set(&w->window, loop_now_ms() + w->prog->cfg->watch_debounce) < 0)
		log_err("%s: out of memory for its watch_debounce window", pname(w));
}

static bool down(const struct process *p)
{
	return p->fsm.state == PSTATE_STOPPED || p->fsm.state == PSTATE_EXITED ||
	       p->fsm.state == PSTATE_FATAL;
}

/* W's mark for its process I, the array grown when corralctl scale added
 * processes since; NULL when out of memory. */
static bool *restarting(struct wprog *w, int i)
{
	if (i >= w->nrestarting) {
		int n = i + 8;
		bool *v = realloc(w->restarting, (size_t)n * sizeof *v);
		if (!v)
			return NULL;
		memset(v + w->nrestarting, 0, (size_t)(n - w->nrestarting) * sizeof *v);
		w->restarting = v;
		w->nrestarting = n;
	}
	return &w->restarting[i];
}

static void roll_line(void *ctx, const char *text)
{
	(void)ctx;
	log_info("watch: %s", text);
}

static void roll_done(void *ctx, bool ok)
{
	(void)ctx;
	(void)ok; /* a roll that stopped said why in its last line */
}

/* update_strategy = rolling: the live processes are replaced one at a
 * time, each new one ready before the next old one stops (roll.h), as
 * corralctl restart --rolling does. True when the roll began (or one is
 * going on: the change is in what it starts). */
static bool window_roll(struct wprog *w)
{
	struct program *prog = w->prog;
	if (roll_busy(prog))
		return true;
	struct process **v = calloc((size_t)prog->nprocs, sizeof *v);
	if (!v)
		return false;
	size_t n = 0;
	for (int i = 0; i < prog->nprocs; i++)
		if (!down(prog->procs[i]) && prog->procs[i]->fsm.state != PSTATE_STOPPING)
			v[n++] = prog->procs[i];
	char why[256];
	struct roll *r;
	int rc = n ? roll_begin(v, n, 1, !prog->cfg->watch_cascade, "replaced", roll_line,
				roll_done, NULL, &r, why,
				sizeof why)
		   : 0;
	free(v);
	if (rc < 0) {
		log_err("%s: watched files changed; rolling restart: %s", pname(w),
			rc == -EBUSY ? why : strerror(-rc));
		return rc == -EBUSY;
	}
	if (n)
		log_info("%s: watched files changed, rolling restart (update_strategy = rolling)",
			 pname(w));
	return true;
}

/* The end of the window: the stop half of a restart of each live process
 * (what requires it stops first and starts again once it is back, as
 * corralctl restart does); with update_strategy = rolling, a rolling
 * restart instead. */
static void window_end(struct deadline *d)
{
	struct wprog *w = d->ctx;
	struct program *prog = w->prog;
	if (prog->retiring || supervisor_shutting_down())
		return;
	if (prog->cfg->update_strategy == UPDATE_ROLLING && window_roll(w))
		return;
	bool any = false;
	for (int i = 0; i < prog->nprocs; i++) {
		struct process *p = prog->procs[i];
		bool *mark = restarting(w, i);
		if (!mark) {
			log_err("%s: out of memory to restart it", p->name);
			continue;
		}
		if (down(p) || p->fsm.state == PSTATE_STOPPING || *mark)
			continue; /* a stop under way (the operator's) stays a stop */
		any = true;
		*mark = true;
		if (prog->cfg->watch_cascade)
			supervisor_stop_to_restart(p);
		else
			supervisor_restart_alone(p);
	}
	if (any)
		log_info("%s: watched files changed, restarting%s", pname(w),
			 prog->cfg->watch_cascade ? " (and what requires it)" : "");
	if (loop_timer_set(&w->start, loop_now_ms()) < 0)
		log_err("%s: out of memory to restart it", pname(w));
}

/* The start half: each process we stopped that is down starts again. */
static void start_due(struct deadline *d)
{
	struct wprog *w = d->ctx;
	if (w->prog->retiring || supervisor_shutting_down())
		return;
	for (int i = 0; i < w->prog->nprocs && i < w->nrestarting; i++) {
		struct process *p = w->prog->procs[i];
		if (w->restarting[i] && down(p)) {
			w->restarting[i] = false;
			supervisor_start(p);
		}
	}
}

/* ---- events ---- */

static void on_event(const struct inotify_event *ev)
{
	if (ev->mask & IN_Q_OVERFLOW) {
		log_warn("watch: inotify queue overflowed: events were lost, restarting every "
			 "watching program");
		for (struct wprog *w = W.progs; w; w = w->next) {
			for (size_t i = 0; i < w->nroots; i++)
				if (w->roots[i].armed)
					add_tree(w, i, w->roots[i].path);
			changed(w);
		}
		return;
	}
	const char *name = ev->len ? ev->name : NULL;
	/* entries may be added or dropped while handling: by index, and each
	 * (program, root) handled once */
	for (size_t i = 0; i < W.n; i++) {
		if (W.v[i].wd != ev->wd)
			continue;
		struct went e = W.v[i];
		struct wprog *w = e.w;
		struct wroot *r = &w->roots[e.root];
		char full[PATH_MAX];
		if (name)
			snprintf(full, sizeof full, "%s/%s", e.path, name);
		else
			snprintf(full, sizeof full, "%s", e.path);
		if (e.parent) {
			const char *base = strrchr(r->path, '/') + 1;
			if (!name || strcmp(name, base) != 0 || !(ev->mask & (IN_CREATE | IN_MOVED_TO)))
				continue;
			drop(i, false);
			log_info("%s: watch: %s is back, watching it again", pname(w), r->path);
			arm_root(w, e.root);
			changed(w);
			i = (size_t)-1; /* the table changed: look again from the start */
			continue;
		}
		if (ev->mask & IN_IGNORED)
			continue; /* dropped below */
		if (name && watchmatch_excluded(w->prog->cfg->watch_exclude, rel_of(w, e.root, full)))
			continue;
		if ((ev->mask & (IN_CREATE | IN_MOVED_TO)) && (ev->mask & IN_ISDIR))
			add_tree(w, e.root, full);
		if ((ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF)) && strcmp(e.path, r->path) == 0 &&
		    r->armed) {
			log_warn("%s: watch: %s is gone; it is watched again when it comes back",
				 pname(w), r->path);
			drop_root(w, e.root);
			arm_root(w, e.root);
			i = (size_t)-1;
		}
		changed(w);
	}
	if (ev->mask & IN_IGNORED)
		for (size_t j = W.n; j-- > 0;)
			if (W.v[j].wd == ev->wd) {
				if (W.v[j].parent)
					log_warn("%s: watch: %s, where %s would come back, is gone: it is "
						 "not watched any more", pname(W.v[j].w), W.v[j].path,
						 W.v[j].w->roots[W.v[j].root].path);
				drop(j, true);
			}
}

static void readable(struct watch *wt, uint32_t events)
{
	(void)wt;
	(void)events;
	alignas(struct inotify_event) char buf[16384];
	/* a bounded share of the turn: what is left is read on the next one */
	for (int reads = 0; reads < 64; reads++) {
		ssize_t n = read(W.fd, buf, sizeof buf);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				log_err("watch: read inotify: %m");
			if (errno != EINTR)
				return;
			continue;
		}
		if (n == 0)
			return;
		for (char *at = buf; at < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)at;
			on_event(ev);
			at += sizeof *ev + ev->len;
		}
	}
}

/* ---- the core's hooks ---- */

static struct wprog **find(const struct program *prog)
{
	struct wprog **pp = &W.progs;
	while (*pp && (*pp)->prog != prog)
		pp = &(*pp)->next;
	return pp;
}

static void wprog_free(struct wprog *w)
{
	loop_timer_cancel(&w->window);
	loop_timer_cancel(&w->start);
	for (size_t i = 0; i < w->nroots; i++)
		drop_root(w, i);
	for (size_t i = 0; i < w->nroots; i++)
		free(w->roots[i].path);
	free(w->roots);
	free(w->restarting);
	free(w);
}

static int watch_program_new(struct program *prog)
{
	const struct program_config *c = prog->cfg;
	if (!c->watch || !c->watch[0])
		return 0;
	if (ensure_fd() < 0)
		return 0; /* said; the program runs unwatched */
	struct wprog *w = calloc(1, sizeof *w);
	size_t n = 0;
	while (c->watch[n])
		n++;
	if (!w || !(w->roots = calloc(n, sizeof *w->roots)) ||
	    !(w->restarting = calloc((size_t)prog->nprocs + 1, sizeof *w->restarting))) {
		if (w) {
			free(w->roots);
			free(w);
		}
		return -ENOMEM;
	}
	w->nrestarting = prog->nprocs + 1;
	w->prog = prog;
	loop_timer_init(&w->window, window_end, w);
	loop_timer_init(&w->start, start_due, w);
	for (size_t i = 0; i < n; i++) {
		if (!(w->roots[i].path = strdup(c->watch[i]))) {
			wprog_free(w);
			return -ENOMEM;
		}
		w->nroots++;
		/* "/srv/app/" is "/srv/app" */
		size_t len = strlen(w->roots[i].path);
		while (len > 1 && w->roots[i].path[len - 1] == '/')
			w->roots[i].path[--len] = '\0';
	}
	w->next = W.progs;
	W.progs = w;
	for (size_t i = 0; i < n; i++)
		arm_root(w, i);
	log_debug("%s: watching %zu path%s with %d inotify watches", c->name, n, n == 1 ? "" : "s",
		  w->nwatches);
	return 0;
}

static void watch_program_free(struct program *prog)
{
	struct wprog **pp = find(prog);
	if (!*pp)
		return;
	struct wprog *w = *pp;
	*pp = w->next;
	wprog_free(w);
}

static void watch_free_all(void)
{
	while (W.progs) {
		struct wprog *w = W.progs;
		W.progs = w->next;
		wprog_free(w);
	}
	if (W.fd >= 0) {
		loop_unwatch(&W.w);
		close(W.fd);
		W.fd = -1;
	}
	free(W.v);
	W.v = NULL;
	W.n = W.cap = 0;
}

/* A process we stopped is down: start it on the loop's turn. */
static void watch_process_changed(struct process *p, bool gone)
{
	struct wprog *w = *find(p->prog);
	if (!w || gone)
		return;
	int i = p->index;
	if (i >= 0 && i < p->prog->nprocs && i < w->nrestarting && w->restarting[i] && down(p) &&
	    loop_timer_set(&w->start, loop_now_ms()) < 0)
		log_err("%s: out of memory to restart it", p->name);
}

static const struct hooks watch_hooks = {
	.on_program_new = watch_program_new,
	.on_program_free = watch_program_free,
	.on_free_all = watch_free_all,
	.on_process_changed = watch_process_changed,
};

int watch_count(const struct program *prog)
{
	const struct wprog *w = *find(prog);
	return w ? w->nwatches : -1;
}

int watch_init(void)
{
	loop_watch_init(&W.w, readable, NULL);
	return hooks_subscribe(&watch_hooks);
}
