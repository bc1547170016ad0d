/* top — corralctl top (top.h).
 *
 * One poll over the terminal and up to three connections to corrald: the
 * subscription (`top`: the status of every process, then each change as
 * corrald pushes it), the selected process's log (`tail -f`), and the
 * operation a key asked for (start, stop, ...), whose answer goes to the
 * status line. Nothing is asked of corrald on a timer: the screen ticks
 * uptimes on by itself, and CPU and memory (`u`) come pushed once a
 * second only while those columns are shown. The terminal is given back
 * (endwin) on every way out: q, Ctrl-C, SIGTERM, an error (atexit). */
#include "ctl/top.h"

#include <curses.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "ctl/toprows.h"
#include "ipc/io.h"
#include "ipc/proto.h"

#define EXIT_NO_DAEMON PROTO_REFUSED
/* seconds a connection to corrald may take (a full backlog) */
#define CONNECT_TIMEOUT 10
/* Lines of the selected log kept for the screen and its search. */
#define LOG_KEEP 2000
/* The log asked for when a process is selected. */
#define LOG_BACK "200"
#define CTRL(c) ((c) & 0x1f)

/* A connection to corrald and the frames read from it so far. */
struct conn {
	int fd;          /* -1: none */
	uint8_t *buf;    /* heap, owned */
	size_t len, cap;
	bool answered;   /* its 'A' frame came */
};

enum prompt { P_NONE, P_FILTER, P_SEARCH, P_SIGNAL, P_SCALE, P_CONFIRM };

static struct {
	const char *path;
	bool usage;
	struct conn sub, log, act;
	struct top_table table;
	struct top_item *view; /* heap */
	size_t nview, viewcap;
	size_t sel, first;     /* the selected item, the first shown */
	char selname[256];     /* what is selected, kept across updates ("g:" for a heading) */
	enum top_col sort;
	bool reverse;
	char filter[128];
	/* the log below */
	char logname[256];
	int logwhich;          /* 0 stdout, 1 stderr */
	char *lines[LOG_KEEP]; /* heap each */
	size_t nlines;
	char partial[4096];    /* a line not ended yet */
	size_t plen;
	char search[128];
	long match;            /* the line found, -1: none */
	/* what is typed, and what waits for y */
	enum prompt prompt;
	char input[128];
	char *confirm_argv[6]; /* heap strings */
	int confirm_argc;
	char status[512];
	bool help, curses, dirty;
	bool lost;             /* the subscription ended: say so when it is back */
	int64_t reconnect_at;  /* the subscription ended: try again then */
} S = { .sub.fd = -1, .log.fd = -1, .act.fd = -1, .match = -1 };

static volatile sig_atomic_t stop_asked;

static void on_stop(int sig)
{
	(void)sig;
	stop_asked = 1;
}

static void restore_terminal(void)
{
	if (S.curses) {
		endwin();
		S.curses = false;
	}
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void status_set(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void status_set(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(S.status, sizeof S.status, fmt, ap);
	va_end(ap);
	S.dirty = true;
}

int top_parse(int argc, char **argv, struct top_opts *o, char *msg, size_t msglen)
{
	*o = (struct top_opts){ 0 };
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--once") == 0) {
			o->once = true;
		} else if (strcmp(argv[i], "--usage") == 0) {
			o->usage = true;
		} else {
			snprintf(msg, msglen, "top: unknown option '%s' (top [--once] [--usage])", argv[i]);
			return -1;
		}
	}
	return 0;
}

/* ---- connections ---- */

static void conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->len = 0;
	c->answered = false;
}

/* Connect to corrald and send ARGV: 0, or -errno (C stays closed). */
static int conn_open(struct conn *c, int argc, char **argv)
{
	conn_close(c);
	struct proto_buf req;
	int r = proto_request_pack(argc, argv, &req);
	if (r < 0)
		return r;
	int fd = io_connect_unix(S.path, CONNECT_TIMEOUT);
	if (fd < 0)
		r = fd;
	else if ((r = io_write_all(fd, req.data, req.len)) == 0 &&
		 fcntl(fd, F_SETFL, O_NONBLOCK) < 0)
		r = -errno;
	proto_buf_free(&req);
	if (r < 0) {
		if (fd >= 0)
			close(fd);
		return r;
	}
	c->fd = fd;
	return 0;
}

/* Read what C has: 0, -EPIPE at its end, or -errno. */
static int conn_read(struct conn *c)
{
	for (;;) {
		if (c->cap - c->len < 65536) {
			size_t cap = c->cap ? c->cap * 2 : 131072;
			if (cap > PROTO_MAX_ANSWER + 2 * PROTO_HEADER_SIZE)
				cap = PROTO_MAX_ANSWER + 2 * PROTO_HEADER_SIZE;
			if (cap <= c->len)
				return -EMSGSIZE;
			uint8_t *b = realloc(c->buf, cap);
			if (!b)
				return -ENOMEM;
			c->buf = b;
			c->cap = cap;
		}
		ssize_t n = io_read_some(c->fd, c->buf + c->len, c->cap - c->len);
		if (n == -EAGAIN)
			return 0;
		if (n < 0)
			return (int)n;
		if (n == 0)
			return -EPIPE;
		c->len += (size_t)n;
	}
}

/* The next whole frame of C: 1 with its kind, payload and length (valid
 * until conn_next), 0 when none is whole yet, -EPROTO. */
static int conn_frame(struct conn *c, char *kind, const uint8_t **payload, uint32_t *len)
{
	if (c->len < PROTO_HEADER_SIZE)
		return 0;
	if (proto_header_unpack(c->buf, kind, len, PROTO_MAX_ANSWER) < 0)
		return -EPROTO;
	if (c->len < PROTO_HEADER_SIZE + (size_t)*len)
		return 0;
	*payload = c->buf + PROTO_HEADER_SIZE;
	return 1;
}

static void conn_next(struct conn *c, uint32_t len)
{
	size_t used = PROTO_HEADER_SIZE + len;
	memmove(c->buf, c->buf + used, c->len - used);
	c->len -= used;
}

/* ---- the table ---- */

static void records(const char *text, size_t len)
{
	int64_t now = now_ms();
	for (size_t i = 0; i < len;) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (text + i)) : len - i;
		if (n && top_table_update(&S.table, text + i, n, now) < 0)
			status_set("out of memory: the table may be stale");
		i += n + 1;
	}
	S.dirty = true;
}

static void subscribe(void)
{
	char *argv[] = { "top", "--usage" };
	int r = conn_open(&S.sub, S.usage ? 2 : 1, argv);
	if (r < 0) {
		status_set("cannot connect to %s: %s (retrying)", S.path, strerror(-r));
		S.lost = true;
		S.reconnect_at = now_ms() + 1000;
		return;
	}
	S.reconnect_at = 0;
}

/* A frame of the subscription. */
static void sub_frame(char kind, const uint8_t *p, uint32_t len)
{
	const char *text = (const char *)p;
	if (kind == PROTO_KIND_ANSWER) {
		enum proto_result result;
		const char *t;
		size_t tl;
		if (proto_answer_unpack(p, len, &result, &t, &tl) < 0 || result != PROTO_OK) {
			status_set("corrald refused top: %.*s", (int)(tl > 200 ? 200 : tl), tl ? t : "");
			conn_close(&S.sub);
			S.reconnect_at = now_ms() + 5000;
			return;
		}
		S.sub.answered = true;
		if (S.lost)
			status_set("connected to corrald again");
		S.lost = false;
		top_table_clear(&S.table);
		records(t, tl);
		return;
	}
	const char *nl = memchr(text, '\n', len);
	size_t hl = nl ? (size_t)(nl - text) : len;
	const char *rest = nl ? nl + 1 : text + len;
	size_t rl = len - (size_t)(rest - text);
	if (hl == 3 && memcmp(text, "all", 3) == 0) {
		top_table_clear(&S.table);
		records(rest, rl);
	} else if (hl == 7 && memcmp(text, "dropped", 7) == 0) {
		status_set("%.*s", (int)(rl && rest[rl - 1] == '\n' ? rl - 1 : rl), rest);
		conn_close(&S.sub);
		S.reconnect_at = now_ms(); /* afresh: the whole table again */
	} else { /* changed, usage, and whatever a newer corrald adds */
		records(rest, rl);
	}
}

/* The selected item's process row, or NULL (a heading, nothing). */
static const struct top_row *selected_row(void)
{
	return S.sel < S.nview ? S.view[S.sel].row : NULL;
}

static void remember_selection(void);

static void view_rebuild(void)
{
	if (S.viewcap < 2 * S.table.n + 1) {
		size_t cap = 2 * S.table.n + 64;
		struct top_item *v = reallocarray(S.view, cap, sizeof *v);
		if (!v) {
			status_set("out of memory");
			return;
		}
		S.view = v;
		S.viewcap = cap;
	}
	S.nview = top_view(&S.table, S.sort, S.reverse, S.filter, S.view);
	/* the same item stays selected while it is there */
	for (size_t i = 0; i < S.nview && *S.selname; i++) {
		const struct top_item *it = &S.view[i];
		bool same = it->row ? strcmp(it->row->f[PS_NAME], S.selname) == 0
				    : strlen(S.selname) == it->glen + 1 &&
					      strncmp(S.selname, it->group, it->glen) == 0;
		if (same) {
			S.sel = i;
			return;
		}
	}
	if (!*S.selname) /* the first time: the first process, not a heading */
		while (S.sel + 1 < S.nview && !S.view[S.sel].row)
			S.sel++;
	if (S.sel >= S.nview)
		S.sel = S.nview ? S.nview - 1 : 0;
	remember_selection();
}

static void remember_selection(void)
{
	S.selname[0] = '\0';
	if (S.sel >= S.nview)
		return;
	const struct top_item *it = &S.view[S.sel];
	if (it->row)
		snprintf(S.selname, sizeof S.selname, "%s", it->row->f[PS_NAME]);
	else
		snprintf(S.selname, sizeof S.selname, "%.*s:", (int)it->glen, it->group);
}

/* ---- the log ---- */

static void log_clear(void)
{
	for (size_t i = 0; i < S.nlines; i++)
		free(S.lines[i]);
	S.nlines = 0;
	S.plen = 0;
	S.match = -1;
}

static void log_line(const char *s, size_t n)
{
	char *l = strndup(s, n);
	if (!l)
		return;
	if (S.nlines == LOG_KEEP) {
		free(S.lines[0]);
		memmove(S.lines, S.lines + 1, (LOG_KEEP - 1) * sizeof *S.lines);
		S.nlines--;
		if (S.match >= 0)
			S.match--;
	}
	S.lines[S.nlines++] = l;
}

static void log_text(const char *t, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (t[i] == '\n') {
			log_line(S.partial, S.plen);
			S.plen = 0;
		} else if (S.plen < sizeof S.partial - 1) {
			/* a tab as a blank, other control bytes as '?': the screen is ours */
			unsigned char ch = (unsigned char)t[i];
			S.partial[S.plen++] = ch == '\t' ? ' ' : ch < 32 || ch == 127 ? '?' : (char)ch;
		}
	}
	S.dirty = true;
}

/* Follow the log of the selected process (if it is not the one followed). */
static void log_follow(bool force)
{
	const struct top_row *r = selected_row();
	const char *name = r ? r->f[PS_NAME] : "";
	if (!force && strcmp(name, S.logname) == 0)
		return;
	snprintf(S.logname, sizeof S.logname, "%s", name);
	conn_close(&S.log);
	log_clear();
	S.dirty = true;
	if (!*name)
		return;
	char *argv[] = { "tail", "-f", "-n", LOG_BACK, S.logname,
			 S.logwhich ? "stderr" : "stdout" };
	int e = conn_open(&S.log, 6, argv);
	if (e < 0) {
		char msg[300];
		int n = snprintf(msg, sizeof msg, "[cannot follow the log: %s]", strerror(-e));
		log_line(msg, (size_t)n);
	}
}

static void log_frame(char kind, const uint8_t *p, uint32_t len)
{
	if (kind == PROTO_KIND_ANSWER) {
		enum proto_result result;
		const char *t;
		size_t tl;
		if (proto_answer_unpack(p, len, &result, &t, &tl) < 0)
			return;
		if (result != PROTO_OK) {
			/* "web: its stdout has no log file": said in the pane */
			while (tl && t[tl - 1] == '\n')
				tl--;
			char msg[600];
			int n = snprintf(msg, sizeof msg, "[%.*s]", (int)(tl > 500 ? 500 : tl), t);
			log_line(msg, (size_t)n);
			conn_close(&S.log);
			S.dirty = true;
			return;
		}
		S.log.answered = true;
		log_text(t, tl);
		return;
	}
	log_text((const char *)p, len);
}

/* The next line holding the search text from FROM on, going back (DIR
 * -1: older) or on (1); -1 when none. */
static long log_find(long from, int dir)
{
	if (!*S.search)
		return -1;
	for (long i = from; i >= 0 && i < (long)S.nlines; i += dir)
		if (strcasestr(S.lines[i], S.search))
			return i;
	return -1;
}

static void search_step(int dir)
{
	if (!*S.search) {
		status_set("no search yet: ? and a text");
		return;
	}
	long from = S.match >= 0 ? S.match + dir : (long)S.nlines - 1;
	long m = log_find(from, dir);
	if (m < 0) {
		status_set("\"%s\": no %s match", S.search, dir < 0 ? "older" : "newer");
		return;
	}
	S.match = m;
	status_set("\"%s\": line %ld of %zu", S.search, m + 1, S.nlines);
}

/* ---- operations ---- */

static void act_free_confirm(void)
{
	for (int i = 0; i < S.confirm_argc; i++)
		free(S.confirm_argv[i]);
	S.confirm_argc = 0;
}

static void act_run(int argc, char **argv)
{
	if (S.act.fd >= 0) {
		status_set("busy: the last operation has not answered yet");
		return;
	}
	int r = conn_open(&S.act, argc, argv);
	if (r < 0) {
		status_set("%s: cannot connect: %s", argv[0], strerror(-r));
		return;
	}
	char line[300];
	size_t n = 0;
	for (int i = 0; i < argc && n < sizeof line; i++)
		n += (size_t)snprintf(line + n, sizeof line - n, "%s%s", i ? " " : "", argv[i]);
	status_set("%s ...", line);
}

/* An operation that stops something: asked first (y). */
static void act_confirm(int argc, char **argv)
{
	act_free_confirm();
	for (int i = 0; i < argc && i < 6; i++) {
		if (!(S.confirm_argv[i] = strdup(argv[i]))) {
			act_free_confirm();
			status_set("out of memory");
			return;
		}
		S.confirm_argc = i + 1;
	}
	S.prompt = P_CONFIRM;
	S.dirty = true;
}

static void act_frame(char kind, const uint8_t *p, uint32_t len)
{
	enum proto_result result;
	const char *t;
	size_t tl;
	if (kind != PROTO_KIND_ANSWER || proto_answer_unpack(p, len, &result, &t, &tl) < 0) {
		status_set("bad answer from corrald");
		return;
	}
	/* its lines on one line: "web: stopped" */
	char msg[400];
	size_t n = 0;
	for (size_t i = 0; i < tl && n < sizeof msg - 2; i++) {
		if (t[i] != '\n')
			msg[n++] = t[i];
		else if (i + 1 < tl) {
			msg[n++] = ';';
			msg[n++] = ' ';
		}
	}
	msg[n] = '\0';
	status_set("%s%s", result == PROTO_OK ? "" : result == PROTO_USAGE ? "refused: " : "failed: ",
		   *msg ? msg : result == PROTO_OK ? "done" : "no reason given");
}

/* The words that name the selection: the process, or GROUP:* for a heading. */
static bool sel_target(char *buf, size_t len)
{
	if (S.sel >= S.nview)
		return false;
	const struct top_item *it = &S.view[S.sel];
	if (it->row)
		snprintf(buf, len, "%s", it->row->f[PS_NAME]);
	else
		snprintf(buf, len, "%.*s:*", (int)it->glen, it->group);
	return true;
}

static void key_action(int ch)
{
	char target[300];
	if (!sel_target(target, sizeof target)) {
		status_set("nothing selected");
		return;
	}
	const struct top_row *r = selected_row();
	switch (ch) {
	case 't':
		act_run(2, (char *[]){ "start", target });
		break;
	case 'x':
		act_confirm(2, (char *[]){ "stop", target });
		break;
	case 'r':
		act_confirm(2, (char *[]){ "restart", target });
		break;
	case 'R': {
		/* one at a time through its group (or program), each ready first */
		char group[300];
		if (r)
			snprintf(group, sizeof group, "%s", r->f[PS_GROUP]);
		else
			snprintf(group, sizeof group, "%s", target);
		act_confirm(3, (char *[]){ "restart", "--rolling", group });
		break;
	}
	case 'd':
		act_confirm(2, (char *[]){ "disable", target });
		break;
	case 'E':
		act_run(2, (char *[]){ "enable", target });
		break;
	case 'k':
	case 'c':
		if (ch == 'c' && (!r || !*r->f[PS_PROGRAM])) {
			status_set("scale: select a process of the program");
			return;
		}
		S.prompt = ch == 'k' ? P_SIGNAL : P_SCALE;
		S.input[0] = '\0';
		S.dirty = true;
		break;
	}
}

/* ---- drawing ---- */

/* Text to the left, numbers to the right. */
static bool col_left(int k)
{
	return k == TC_NAME || k == TC_STATE || k == TC_HEALTH || k == TC_READY;
}

static bool col_shown[TC_N];
static int name_width;

/* Which columns fit in WIDTH, in the order they give way. */
static void columns_choose(int width)
{
	static const enum top_col prio[] = { TC_NAME, TC_STATE, TC_PID, TC_UPTIME, TC_RESTARTS,
					     TC_CPU, TC_MEM, TC_HEALTH, TC_QUEUE, TC_TREE, TC_READY };
	int used = 0;
	memset(col_shown, 0, sizeof col_shown);
	for (size_t i = 0; i < sizeof prio / sizeof *prio; i++) {
		enum top_col c = prio[i];
		if ((c == TC_CPU || c == TC_MEM) && !S.usage)
			continue;
		if ((c == TC_HEALTH || c == TC_QUEUE) && !top_col_has_data(&S.table, c))
			continue;
		int w = top_col_width(c) + 1;
		if (used + w > width)
			continue;
		col_shown[c] = true;
		used += w;
	}
	name_width = top_col_width(TC_NAME) + (width - used);
	if (name_width > 40) /* the rest goes to the right of the table */
		name_width = 40;
}

static void draw_cell_line(int y, const struct top_item *it, int64_t now, bool selected)
{
	char line[1024], cell[256];
	size_t n = 0;
	for (int c = 0; c < TC_N; c++) {
		if (!col_shown[c])
			continue;
		int w = c == TC_NAME ? name_width : top_col_width((enum top_col)c);
		if (!it->row) {
			/* a heading: its group's state, as its first row says it */
			if (c == TC_NAME)
				snprintf(cell, sizeof cell, "[%.*s]", (int)it->glen, it->group);
			else if (c == TC_STATE && it[1].row && it[1].group)
				snprintf(cell, sizeof cell, "%s", it[1].row->f[PS_GROUPSTATE]);
			else
				cell[0] = '\0';
		} else if (c == TC_NAME && it->group) {
			snprintf(cell, sizeof cell, "  %s", it->row->f[PS_NAME] + it->glen + 1);
		} else {
			top_cell(it->row, (enum top_col)c, now, cell, sizeof cell);
		}
		bool right = !col_left(c);
		n += (size_t)snprintf(line + n, sizeof line - n, right ? "%*.*s " : "%-*.*s ", w, w, cell);
		if (n >= sizeof line)
			n = sizeof line - 1;
	}
	int attr = selected ? A_REVERSE : 0;
	if (it->row && !selected) {
		const char *st = it->row->f[PS_STATE];
		if (strcmp(st, "FATAL") == 0 || strcmp(st, "BACKOFF") == 0 || strcmp(st, "EXITED") == 0)
			attr |= A_BOLD;
	}
	if (!it->row)
		attr |= A_BOLD;
	attron(attr);
	mvaddnstr(y, 0, line, COLS);
	if (selected)
		for (int x = (int)n; x < COLS; x++)
			mvaddch(y, x, ' ');
	attroff(attr);
}

static void draw_help(void)
{
	static const char *const lines[] = {
		"corralctl top: keys",
		"",
		"  Up Down PgUp PgDn Home End   select a process, or a [group] heading",
		"  s  sort by the next column   S  the other way",
		"  /  filter by a text (name, group, state); empty: all",
		"  u  CPU and memory columns on / off (corrald sends them once a second)",
		"  e  the log below: stdout / stderr",
		"  ?  search the log   n  older match   N  newer match   Esc  back to its end",
		"  t  start      x  stop (y/n)      r  restart (y/n)",
		"  R  rolling restart of its group, one at a time (y/n)",
		"  k  send a signal (name, then y/n)",
		"  c  scale its program to N processes (N, then y/n)",
		"  d  disable (y/n)   E  enable",
		"  h  F1  this help (any key closes it)",
		"  q  Ctrl-C  quit",
	};
	erase();
	for (size_t i = 0; i < sizeof lines / sizeof *lines && (int)i < LINES; i++)
		mvaddnstr((int)i, 0, lines[i], COLS);
	refresh();
}

static void draw(void)
{
	if (S.help) {
		draw_help();
		return;
	}
	int64_t now = now_ms();
	erase();
	columns_choose(COLS);
	/* title */
	char title[512];
	snprintf(title, sizeof title, "corral top: %zu processes  sort %s%s%s%s%s   h: help",
		 S.table.n, top_col_name(S.sort), S.reverse ? " (reversed)" : "",
		 *S.filter ? "  filter \"" : "", S.filter, *S.filter ? "\"" : "");
	mvaddnstr(0, 0, title, COLS);
	/* column headings */
	char head[1024];
	size_t n = 0;
	for (int c = 0; c < TC_N; c++) {
		if (!col_shown[c])
			continue;
		int w = c == TC_NAME ? name_width : top_col_width((enum top_col)c);
		bool right = !col_left(c);
		n += (size_t)snprintf(head + n, sizeof head - n, right ? "%*s " : "%-*s ", w,
				      top_col_name((enum top_col)c));
		if (n >= sizeof head)
			n = sizeof head - 1;
	}
	attron(A_REVERSE);
	mvaddnstr(1, 0, head, COLS);
	for (int x = (int)n; x < COLS; x++)
		mvaddch(1, x, ' ');
	attroff(A_REVERSE);
	/* the table, then the log: the table takes up to half of what is left */
	int avail = LINES - 3; /* title, headings, status line */
	bool with_log = avail >= 8;
	int th = with_log ? (avail - 1) / 2 : avail;
	if (with_log && (int)S.nview < th)
		th = S.nview ? (int)S.nview : 1;
	if (th < 1)
		th = 1;
	if (S.sel < S.first)
		S.first = S.sel;
	if (S.sel >= S.first + (size_t)th)
		S.first = S.sel - (size_t)th + 1;
	if (S.first + (size_t)th > S.nview)
		S.first = S.nview > (size_t)th ? S.nview - (size_t)th : 0;
	for (int i = 0; i < th && S.first + (size_t)i < S.nview; i++)
		draw_cell_line(2 + i, &S.view[S.first + (size_t)i], now, S.first + (size_t)i == S.sel);
	if (!S.nview)
		mvaddnstr(2, 0, S.sub.answered ? (*S.filter ? "(nothing matches the filter)" : "(no processes)")
						: "(waiting for corrald)", COLS);
	if (with_log) {
		int y0 = 2 + th;
		char sep[512];
		if (*S.logname)
			snprintf(sep, sizeof sep, "-- log of %s (%s)%s%s%s ", S.logname,
				 S.logwhich ? "stderr" : "stdout", *S.search ? "  search \"" : "", S.search,
				 *S.search ? "\"" : "");
		else
			snprintf(sep, sizeof sep, "-- select a process to see its log ");
		attron(A_BOLD);
		mvaddnstr(y0, 0, sep, COLS);
		for (int x = (int)strlen(sep); x < COLS; x++)
			mvaddch(y0, x, '-');
		attroff(A_BOLD);
		int lh = LINES - 1 - (y0 + 1);
		/* the end of the log, or around the match */
		long last = (long)S.nlines - 1 + (S.plen ? 1 : 0);
		if (S.match >= 0 && S.match < last - lh / 2)
			last = S.match + lh / 2 < last ? S.match + lh / 2 : last;
		long from = last - lh + 1;
		if (from < 0)
			from = 0;
		for (long i = from, y = y0 + 1; i <= last && y < LINES - 1; i++, y++) {
			const char *l = i < (long)S.nlines ? S.lines[i] : NULL;
			if (!l) { /* the line being written */
				mvaddnstr((int)y, 0, S.partial, (int)S.plen < COLS ? (int)S.plen : COLS);
				continue;
			}
			if (i == S.match)
				attron(A_REVERSE);
			mvaddnstr((int)y, 0, l, COLS);
			if (i == S.match)
				attroff(A_REVERSE);
		}
	}
	/* the status line, or what is typed */
	char bottom[700];
	switch (S.prompt) {
	case P_FILTER:
		snprintf(bottom, sizeof bottom, "filter: %s", S.input);
		break;
	case P_SEARCH:
		snprintf(bottom, sizeof bottom, "search the log: %s", S.input);
		break;
	case P_SIGNAL:
		snprintf(bottom, sizeof bottom, "signal to send (HUP, TERM, USR1, ...): %s", S.input);
		break;
	case P_SCALE:
		snprintf(bottom, sizeof bottom, "scale %s to how many processes: %s",
			 selected_row() ? selected_row()->f[PS_PROGRAM] : "?", S.input);
		break;
	case P_CONFIRM: {
		size_t k = 0;
		for (int i = 0; i < S.confirm_argc && k < sizeof bottom; i++)
			k += (size_t)snprintf(bottom + k, sizeof bottom - k, "%s%s", i ? " " : "",
					      S.confirm_argv[i]);
		if (k < sizeof bottom)
			snprintf(bottom + k, sizeof bottom - k, "? (y/n)");
		break;
	}
	case P_NONE:
		snprintf(bottom, sizeof bottom, "%s", S.status);
		break;
	}
	attron(A_BOLD);
	mvaddnstr(LINES - 1, 0, bottom, COLS);
	attroff(A_BOLD);
	refresh();
	S.dirty = false;
}

/* ---- keys ---- */

static void prompt_done(void)
{
	enum prompt p = S.prompt;
	S.prompt = P_NONE;
	S.dirty = true;
	switch (p) {
	case P_FILTER:
		snprintf(S.filter, sizeof S.filter, "%s", S.input);
		view_rebuild();
		status_set(*S.filter ? "filter \"%s\"" : "filter off%s", S.filter);
		break;
	case P_SEARCH:
		snprintf(S.search, sizeof S.search, "%s", S.input);
		S.match = -1;
		search_step(-1);
		break;
	case P_SIGNAL: {
		char target[300];
		if (*S.input && sel_target(target, sizeof target))
			act_confirm(3, (char *[]){ "signal", S.input, target });
		break;
	}
	case P_SCALE: {
		const struct top_row *r = selected_row();
		char *end;
		long n = strtol(S.input, &end, 10);
		if (!r || !*S.input || *end || n < 0) {
			status_set("scale: a number of processes, please");
			break;
		}
		act_confirm(3, (char *[]){ "scale", (char *)r->f[PS_PROGRAM], S.input });
		break;
	}
	case P_CONFIRM:
	case P_NONE:
		break;
	}
}

static void key_prompt(int ch)
{
	size_t n = strlen(S.input);
	if (S.prompt == P_CONFIRM) {
		S.prompt = P_NONE;
		if (ch == 'y' || ch == 'Y')
			act_run(S.confirm_argc, S.confirm_argv);
		else
			status_set("cancelled: %s %s", S.confirm_argc ? S.confirm_argv[0] : "",
				   S.confirm_argc > 1 ? S.confirm_argv[S.confirm_argc - 1] : "");
		act_free_confirm();
		S.dirty = true;
		return;
	}
	if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
		prompt_done();
	} else if (ch == 27) { /* Esc */
		S.prompt = P_NONE;
		status_set("cancelled");
	} else if (ch == KEY_BACKSPACE || ch == 127 || ch == CTRL('h')) {
		if (n)
			S.input[n - 1] = '\0';
	} else if (ch >= 32 && ch < 127 && n < sizeof S.input - 1) {
		S.input[n] = (char)ch;
		S.input[n + 1] = '\0';
	}
	S.dirty = true;
}

static void select_move(long by)
{
	if (!S.nview)
		return;
	long s = (long)S.sel + by;
	if (s < 0)
		s = 0;
	if (s >= (long)S.nview)
		s = (long)S.nview - 1;
	S.sel = (size_t)s;
	remember_selection();
	log_follow(false);
	S.dirty = true;
}

/* False when it is time to go. */
static bool key(int ch)
{
	if (ch == KEY_RESIZE) {
		clear();
		S.dirty = true;
		return true;
	}
	if (S.help) {
		S.help = false;
		S.dirty = true;
		return true;
	}
	if (S.prompt != P_NONE) {
		key_prompt(ch);
		return true;
	}
	int page = LINES > 8 ? (LINES - 4) / 2 : 1;
	switch (ch) {
	case 'q':
	case CTRL('c'):
		return false;
	case KEY_UP:
		select_move(-1);
		break;
	case KEY_DOWN:
		select_move(1);
		break;
	case KEY_PPAGE:
		select_move(-page);
		break;
	case KEY_NPAGE:
		select_move(page);
		break;
	case KEY_HOME:
		select_move(-(long)S.nview);
		break;
	case KEY_END:
		select_move((long)S.nview);
		break;
	case 's':
		S.sort = (enum top_col)((S.sort + 1) % TC_N);
		view_rebuild();
		status_set("sorted by %s", top_col_name(S.sort));
		break;
	case 'S':
		S.reverse = !S.reverse;
		view_rebuild();
		status_set("sorted by %s%s", top_col_name(S.sort), S.reverse ? ", reversed" : "");
		break;
	case '/':
		S.prompt = P_FILTER;
		snprintf(S.input, sizeof S.input, "%s", S.filter);
		break;
	case '?':
		S.prompt = P_SEARCH;
		S.input[0] = '\0';
		break;
	case 'n':
		search_step(-1);
		break;
	case 'N':
		search_step(1);
		break;
	case 27: /* Esc: back to the end of the log */
		S.match = -1;
		S.search[0] = '\0';
		break;
	case 'e':
		S.logwhich = !S.logwhich;
		log_follow(true);
		status_set("log: %s", S.logwhich ? "stderr" : "stdout");
		break;
	case 'u':
		S.usage = !S.usage;
		conn_close(&S.sub);
		subscribe();
		status_set("CPU and memory %s", S.usage ? "on" : "off");
		break;
	case 'h':
	case KEY_F(1):
		S.help = true;
		break;
	case 't':
	case 'x':
	case 'r':
	case 'R':
	case 'd':
	case 'E':
	case 'k':
	case 'c':
		key_action(ch);
		break;
	default:
		return true;
	}
	S.dirty = true;
	return true;
}

/* ---- one snapshot, plain ---- */

static void print_cell(int k, int w, const char *text)
{
	if (k == TC_NAME)
		printf("%-*s", w, text);
	else if (col_left(k))
		printf(" %-*s", w, text);
	else
		printf(" %*s", w, text);
}

static int once(void)
{
	char *argv[] = { "status", "--usage" };
	struct conn c = { .fd = -1 };
	int r = conn_open(&c, S.usage ? 2 : 1, argv);
	if (r < 0)
		errx(EXIT_NO_DAEMON, "cannot connect to %s: %s (is corrald running?)", S.path,
		     strerror(-r));
	char kind;
	const uint8_t *p;
	uint32_t len;
	for (;;) {
		struct pollfd pfd = { .fd = c.fd, .events = POLLIN };
		if (poll(&pfd, 1, 30000) <= 0)
			errx(EXIT_NO_DAEMON, "%s: no answer", S.path);
		r = conn_read(&c);
		int f = conn_frame(&c, &kind, &p, &len);
		if (f < 0)
			errx(EXIT_NO_DAEMON, "%s: bad answer", S.path);
		if (f > 0)
			break;
		if (r < 0)
			errx(EXIT_NO_DAEMON, "%s: connection closed without an answer", S.path);
	}
	enum proto_result result;
	const char *t;
	size_t tl;
	if (kind != PROTO_KIND_ANSWER || proto_answer_unpack(p, len, &result, &t, &tl) < 0)
		errx(EXIT_NO_DAEMON, "%s: bad answer", S.path);
	if (result != PROTO_OK && result != PROTO_NOT_RUNNING)
		errx(result, "%.*s", (int)tl, t);
	records(t, tl);
	/* CPU % from one sample: its average since the process started */
	for (size_t i = 0; i < S.table.n; i++) {
		struct top_row *row = &S.table.v[i];
		if (row->cpu_usec >= 0 && row->uptime > 0)
			row->cpu_pct = (double)row->cpu_usec / 1e4 / (double)row->uptime;
	}
	conn_close(&c);
	free(c.buf);
	struct top_item *v = calloc(2 * S.table.n + 1, sizeof *v);
	if (!v)
		err(PROTO_FAILED, "top");
	size_t nv = top_view(&S.table, TC_NAME, false, NULL, v);
	int64_t now = now_ms();
	int nw = 4;
	for (size_t i = 0; i < S.table.n; i++)
		if ((int)strlen(S.table.v[i].f[PS_NAME]) > nw)
			nw = (int)strlen(S.table.v[i].f[PS_NAME]);
	bool show[TC_N];
	for (int k = 0; k < TC_N; k++)
		show[k] = !((k == TC_CPU || k == TC_MEM) && !S.usage) &&
			  top_col_has_data(&S.table, (enum top_col)k);
	char cell[256];
	for (int k = 0; k < TC_N; k++)
		if (show[k])
			print_cell(k, k == TC_NAME ? nw : top_col_width((enum top_col)k),
				   top_col_name((enum top_col)k));
	putchar('\n');
	for (size_t i = 0; i < nv; i++) {
		if (!v[i].row)
			continue; /* a plain listing names each in full */
		for (int k = 0; k < TC_N; k++) {
			if (!show[k])
				continue;
			top_cell(v[i].row, (enum top_col)k, now, cell, sizeof cell);
			int w = k == TC_NAME ? nw : top_col_width((enum top_col)k);
			print_cell(k, w, cell);
		}
		putchar('\n');
	}
	free(v);
	top_table_free(&S.table);
	if (fflush(stdout) == EOF || ferror(stdout))
		err(PROTO_FAILED, "stdout");
	return 0;
}

/* ---- the screen ---- */

/* Read what came on C and hand each whole frame to FN; false when C ended. */
static bool pump(struct conn *c, void (*fn)(char, const uint8_t *, uint32_t))
{
	int r = conn_read(c);
	char kind;
	const uint8_t *p;
	uint32_t len;
	int f = 0;
	while (c->fd >= 0 && (f = conn_frame(c, &kind, &p, &len)) > 0) {
		fn(kind, p, len);
		if (c->fd >= 0) /* FN may have closed (and opened anew) it */
			conn_next(c, len);
	}
	if (c->fd >= 0 && f < 0)
		r = -EPROTO;
	return r == 0 || c->fd < 0;
}

int top_main(const char *path, const struct top_opts *o)
{
	S.path = path;
	S.usage = o->usage;
	signal(SIGPIPE, SIG_IGN);
	if (o->once || !isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
		return once();
	/* corrald first: a screen that only says it cannot connect helps nobody */
	subscribe();
	if (S.sub.fd < 0)
		errx(EXIT_NO_DAEMON, "%s", S.status);
	S.status[0] = '\0';
	struct sigaction sa = { .sa_handler = on_stop };
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) < 0 || sigaction(SIGTERM, &sa, NULL) < 0 ||
	    sigaction(SIGHUP, &sa, NULL) < 0)
		err(PROTO_FAILED, "sigaction");
	if (atexit(restore_terminal) != 0)
		errx(PROTO_FAILED, "atexit");
	if (!initscr())
		errx(PROTO_FAILED, "cannot use the terminal (TERM=%s)", getenv("TERM") ? getenv("TERM") : "");
	S.curses = true;
	cbreak(); /* Ctrl-C still a signal */
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	S.dirty = true;
	int64_t next_tick = now_ms() + 1000;
	while (!stop_asked) {
		if (S.dirty)
			draw();
		struct pollfd pfd[4] = {
			{ .fd = STDIN_FILENO, .events = POLLIN },
			{ .fd = S.sub.fd, .events = POLLIN },
			{ .fd = S.log.fd, .events = POLLIN },
			{ .fd = S.act.fd, .events = POLLIN },
		};
		int64_t now = now_ms();
		int64_t wake = next_tick;
		if (S.reconnect_at && S.reconnect_at < wake)
			wake = S.reconnect_at;
		int r = poll(pfd, 4, wake > now ? (int)(wake - now) : 0);
		if (r < 0 && errno != EINTR)
			err(PROTO_FAILED, "poll");
		now = now_ms();
		if (now >= next_tick) { /* uptimes go on */
			next_tick = now + 1000;
			S.dirty = true;
		}
		if (S.reconnect_at && now >= S.reconnect_at)
			subscribe();
		if (r > 0 && pfd[1].revents) {
			bool was = S.sub.answered;
			if (!pump(&S.sub, sub_frame)) {
				conn_close(&S.sub);
				S.lost = true;
				status_set("corrald closed the connection%s; connecting again",
					   was ? "" : " before answering");
				S.reconnect_at = now + 1000;
			}
			view_rebuild();
			log_follow(false);
		}
		if (r > 0 && pfd[2].revents && S.log.fd >= 0 && !pump(&S.log, log_frame)) {
			conn_close(&S.log);
			/* the process went, or corrald re-executed itself: follow anew */
			S.logname[0] = '\0';
		}
		if (r > 0 && pfd[3].revents && S.act.fd >= 0) {
			bool answered = false;
			int cr = conn_read(&S.act);
			char kind;
			const uint8_t *p;
			uint32_t len;
			if (conn_frame(&S.act, &kind, &p, &len) > 0) {
				act_frame(kind, p, len);
				answered = true;
			}
			if (answered || cr < 0) {
				if (!answered)
					status_set("corrald closed the connection without an answer");
				conn_close(&S.act);
			}
		}
		int ch;
		while (r != 0 && (ch = getch()) != ERR)
			if (!key(ch))
				stop_asked = 1;
	}
	restore_terminal();
	conn_close(&S.sub);
	conn_close(&S.log);
	conn_close(&S.act);
	free(S.sub.buf);
	free(S.log.buf);
	free(S.act.buf);
	log_clear();
	act_free_confirm();
	top_table_free(&S.table);
	free(S.view);
	return 0;
}
