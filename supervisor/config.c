/* config — the supervisord-style INI file, read with inih.
 *
 * inih (as packaged here) has a 200-byte line buffer and does not tell the
 * handler the line number, so every file goes through our own reader. The
 * reader reads whole physical lines, counts them, and decides what each line
 * is exactly the way inih's parser would (section, key, continuation,
 * comment, syntax error). It then hands inih a canonical form of the line:
 * a value is cut into pieces that fit inih's buffer, the first sent as
 * "NAME=\x01piece\x01" and the others as the continuation line
 * " \x01piece\x01". The \x01 marks stop inih from stripping whitespace at the
 * ends of a piece; the handler removes them and glues the pieces together.
 * Because inih calls the handler synchronously for the line the reader has
 * just returned, the reader's state (line number, section, what kind of line
 * it was) is exact when the handler runs.
 *
 * Values are applied when they are complete: at the next key, section or end
 * of file. Errors are collected, never fatal, so that one run of
 * `corrald --check` shows them all. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "supervisor/config.h"
#include "supervisor/cmdline.h"
#include "supervisor/log.h"
#include "supervisor/logline.h"
#include "supervisor/signame.h"
#include "supervisor/supervisord.h"
#include "sandbox/users.h"
#include "supervisor/eventproto.h"
#include "ipc/io.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <ini.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <unistd.h>

#define MAX_INCLUDE_DEPTH 10    /* files included from included files ... */
#define MAX_LINE_BYTES 65536    /* one physical line */
#define MAX_FILE_BYTES (4 << 20)  /* one config file, included or not */
#define MAX_TOTAL_BYTES (16 << 20) /* all the files of one load together */
#define MAX_ERRORS 100          /* messages kept; the rest are counted */
#define MAX_NUMPROCS 1000
#define MAX_SECONDS 1000000     /* startsecs, stopwaitsecs, startretries */
#define MAX_NUMPROCS_START 1000000
#define MAX_BUFFER_SIZE 100000  /* an [eventlistener:]'s buffer_size */
#define KEY_SHOWN 32            /* bytes of a key name inih gets to see */
#define VALUE_SHOWN 60          /* bytes of a bad value quoted in messages */
#define MARK '\x01'

/* ---- small helpers ---------------------------------------------------- */

struct buf {
	char *s;
	size_t len, cap;
};

static int buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *p = realloc(b->s, cap);
		if (!p)
			return -ENOMEM;
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
	return 0;
}

static int buf_addc(struct buf *b, char c, size_t count)
{
	for (size_t i = 0; i < count; i++)
		if (buf_add(b, &c, 1) < 0)
			return -ENOMEM;
	if (!b->s)
		return buf_add(b, "", 0);
	return 0;
}

/* The C locale's isspace(), which is what inih sees in corrald. */
static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static bool streq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

static void strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

static bool strv_equal(char *const *a, char *const *b)
{
	if (!a || !b)
		return a == b;
	for (; *a && *b; a++, b++)
		if (strcmp(*a, *b) != 0)
			return false;
	return !*a && !*b;
}

/* ---- %(name)s expansion ----------------------------------------------- */

/* What a value may refer to. A NULL string (or !has_num) makes that name an
 * error in this value. */
struct vars {
	const char *here;       /* directory of the file the value is in */
	const char *program;    /* %(program_name)s and %(group_name)s */
	bool has_num;
	int num;                /* %(process_num)d */
	bool used_num;          /* out: %(process_num) appeared */
	int numprocs;           /* %(numprocs)d; 0: not in a program */
	/* "KEY=value" lists (NULL: none) looked in, in this order, before
	 * corrald's own environment for %(ENV_KEY)s: supervisord's own
	 * environment = and a program's add to the names it expands. */
	char *const *env[2];
};

/* The value of NAME (LEN bytes) in the "KEY=value" list ENV, or NULL. */
static const char *env_lookup(char *const *env, const char *name, size_t len)
{
	for (; env && *env; env++)
		if (strncmp(*env, name, len) == 0 && (*env)[len] == '=')
			return *env + len + 1;
	return NULL;
}

static int expand_fail(char *err, size_t errlen, const char *what, const char *spec,
		       const char *why)
{
	snprintf(err, errlen, "%s '%s'%s", what, spec, why);
	return -EINVAL;
}

/* Python-style "%(name)[flags][width]conv" with conv s, d or i; "%%" is a
 * percent sign; any other '%' is kept as it is. Appends to OUT. */
static int expand_into(struct buf *out, const char *tmpl, struct vars *v, char *err,
		       size_t errlen)
{
	if (buf_add(out, "", 0) < 0)
		return -ENOMEM;
	for (const char *p = tmpl; *p; p++) {
		if (*p != '%' || (p[1] != '%' && p[1] != '(')) {
			if (buf_add(out, p, 1) < 0)
				return -ENOMEM;
			continue;
		}
		if (p[1] == '%') {
			if (buf_add(out, "%", 1) < 0)
				return -ENOMEM;
			p++;
			continue;
		}
		const char *name = p + 2;
		const char *close = strchr(name, ')');
		if (!close)
			return expand_fail(err, errlen, "unterminated", "%(", "");
		size_t namelen = (size_t)(close - name);
		const char *q = close + 1;
		bool left = false, zero = false, plus = false, space = false;
		for (; *q && strchr("-0+ #", *q); q++) {
			left |= *q == '-';
			zero |= *q == '0';
			plus |= *q == '+';
			space |= *q == ' ';
		}
		size_t width = 0;
		int ndigits = 0;
		for (; *q >= '0' && *q <= '9'; q++, ndigits++)
			width = width * 10 + (size_t)(*q - '0');
		/* the whole %(...)x, for messages */
		char spec[48];
		int speclen = (int)(q - p) + (*q ? 1 : 0);
		if (speclen < (int)sizeof spec)
			snprintf(spec, sizeof spec, "%.*s", speclen, p);
		else
			snprintf(spec, sizeof spec, "%.*s...", (int)sizeof spec - 4, p);
		if (ndigits > 3)
			return expand_fail(err, errlen, "field width too large in", spec, "");
		if (!*q)
			return expand_fail(err, errlen, "incomplete format", spec, "");
		if (*q != 's' && *q != 'd' && *q != 'i')
			return expand_fail(err, errlen, "bad format", spec,
					   " (expected s or d after the name)");
		const char *sval = NULL;
		bool is_num = false;    /* a number: process_num or numprocs */
		long long nval = 0;
		struct utsname uts;
		char envname[128];
		if (namelen == 4 && strncmp(name, "here", 4) == 0) {
			sval = v->here;
		} else if (namelen > 4 && strncmp(name, "ENV_", 4) == 0) {
			/* supervisord's: the environment corrald was started with,
			 * and what the config adds to it where supervisord does */
			for (int e = 0; e < 2 && !sval; e++)
				sval = env_lookup(v->env[e], name + 4, namelen - 4);
			if (!sval && namelen - 4 < sizeof envname) {
				memcpy(envname, name + 4, namelen - 4);
				envname[namelen - 4] = '\0';
				sval = getenv(envname);
			}
			if (!sval)
				return expand_fail(err, errlen, "unknown name in", spec,
						   " (no such environment variable)");
		} else if (namelen == 14 && strncmp(name, "host_node_name", 14) == 0) {
			if (uname(&uts) < 0)
				return expand_fail(err, errlen, "cannot expand", spec, "");
			sval = uts.nodename;
		} else if ((namelen == 12 && strncmp(name, "program_name", 12) == 0) ||
			   (namelen == 10 && strncmp(name, "group_name", 10) == 0)) {
			sval = v->program;
		} else if (namelen == 11 && strncmp(name, "process_num", 11) == 0) {
			if (!v->has_num)
				return expand_fail(err, errlen, "cannot use", spec,
						   " (only process_name has a process number)");
			is_num = true;
			nval = v->num;
			v->used_num = true;
		} else if (namelen == 8 && strncmp(name, "numprocs", 8) == 0) {
			if (!v->numprocs)
				return expand_fail(err, errlen, "cannot use", spec,
						   " outside a program");
			is_num = true;
			nval = v->numprocs;
		} else {
			return expand_fail(err, errlen, "unknown name in", spec, "");
		}
		if (!is_num && !sval)
			return expand_fail(err, errlen, "cannot use", spec, " here");
		if (!is_num && *q != 's')
			return expand_fail(err, errlen, "bad format", spec, " (a string needs s)");

		char digits[24];
		const char *sign = "";
		const char *text = sval;
		if (is_num) {
			long long n = nval;
			if (n < 0)
				sign = "-";
			else if (plus && *q != 's')
				sign = "+";
			else if (space && *q != 's')
				sign = " ";
			snprintf(digits, sizeof digits, "%lld", n < 0 ? -n : n);
			text = digits;
		}
		size_t len = strlen(sign) + strlen(text);
		size_t pad = width > len ? width - len : 0;
		bool zeros = is_num && *q != 's' && zero && !left;
		int rc = 0;
		if (!left && !zeros)
			rc |= buf_addc(out, ' ', pad);
		rc |= buf_add(out, sign, strlen(sign));
		if (zeros)
			rc |= buf_addc(out, '0', pad);
		rc |= buf_add(out, text, strlen(text));
		if (left)
			rc |= buf_addc(out, ' ', pad);
		if (rc)
			return -ENOMEM;
		p = q;
	}
	return 0;
}

static int expand(const char *tmpl, struct vars *v, char **out, char *err, size_t errlen)
{
	struct buf b = { 0 };
	int rc = expand_into(&b, tmpl, v, err, errlen);
	if (rc < 0) {
		free(b.s);
		*out = NULL;
		return rc;
	}
	*out = b.s; /* now owned by the caller */
	return 0;
}

int program_config_process_name(const struct program_config *p, int num, char *buf, size_t len)
{
	struct vars v = { .program = p->name, .has_num = true, .num = num,
			  .numprocs = p->numprocs };
	struct buf b = { 0 };
	char err[8];
	int rc = expand_into(&b, p->process_name ? p->process_name : "%(program_name)s", &v,
			     err, sizeof err);
	if (rc == 0) {
		if (b.len >= len)
			rc = -ENAMETOOLONG;
		else
			memcpy(buf, b.s, b.len + 1);
	}
	free(b.s);
	return rc;
}

bool program_config_expected_exit(const struct program_config *p, int code)
{
	if (code < 0 || code > 255)
		return false;
	return p->exitcodes[code / 8] & (1u << (code % 8));
}

/* ---- the loader ------------------------------------------------------- */

/* SEC_FOREIGN: a section of supervisord's that corral reads, checks and ignores */
enum { SEC_NONE, SEC_CORRAL, SEC_PROGRAM, SEC_INCLUDE, SEC_GROUP, SEC_SOCKET, SEC_SKIP,
       SEC_FOREIGN };
enum { LK_NONE, LK_KEY, LK_CONT, LK_MORE };
enum { CMD_MISSING, CMD_OK, CMD_EMPTY, CMD_BAD };

static const char *const corral_keys[] = { "socket", "socket_mode", "logdir", "pidfile", "scopes",
					     NULL };
static const char *const program_keys[] = {
	"command", "numprocs", "numprocs_start", "process_name", "autostart", "autorestart",
	"startsecs", "startretries", "exitcodes", "stopsignal", "stopwaitsecs", "directory",
	"environment", "umask", "priority", "redirect_stderr", "stdout_logfile",
	"stderr_logfile", "killmode", "stopasgroup", "killasgroup", "main",
	"stdout_logfile_maxbytes", "stdout_logfile_backups", "stderr_logfile_maxbytes",
	"stderr_logfile_backups", "log_timestamps", "log_line_max", "log_buffer", "log_rate",
	"log_burst", "log_overflow", "ready", "start_timeout", "watchdog_sec", "requires", "after",
	/* the sandbox's keys (sandbox_keys[]) */
	"user", "group", "supplementary_groups", "no_new_privs", "capabilities", "seccomp",
	"seccomp_action", "address_families", "namespaces", "private_tmp", "read_only_paths",
	"inaccessible_paths", "bind_paths", "protect_kernel_tunables", "rlimit_nofile",
	"rlimit_nproc", "rlimit_as", "rlimit_core", "rlimit_cpu", "rlimit_fsize", "memory_max",
	"pids_max", "cpu_max", "strict_limits", NULL,
};
/* program_meta.keys has a bit per key. */
_Static_assert(sizeof program_keys / sizeof program_keys[0] - 1 <= 64,
	       "more program keys than bits in program_meta.keys");
/* An [eventlistener:]'s keys beyond a program's. */
static const char *const listener_keys[] = { "events", "buffer_size", "result_handler", NULL };
static const char *const include_keys[] = { "files", NULL };
/* [fcgi-program:x]'s own, besides program_keys[] (supervisord's names) */
static const char *const fcgi_keys[] = {
	"socket", "socket_backlog", "socket_owner", "socket_mode", NULL,
};
static const char *const group_keys[] = {
	"programs", "strategy", "restart_intensity", "restart_period", "priority",
	"buffer", /* [pipeline:] only */
	NULL,
};
/* listen and program first: finish_section() checks their bits. */
static const char *const socket_keys[] = {
	"listen", "program", "backlog", "socket_mode", "accept", NULL,
};
#define SOCKET_NAME_MAX 255     /* systemd's limit for a LISTEN_FDNAMES entry */

/* Bookkeeping for a [socket:] while it is being read. */
struct socket_meta {
	uint64_t keys;          /* bit per socket_keys[] entry already set */
	int fseq;
	int listen_line;        /* where listen and program were set, for messages */
	int program_line;
};

/* Bookkeeping for a group while it is being read. */
struct group_meta {
	uint64_t keys;          /* bit per group_keys[] entry already set */
	int fseq;
};

struct seen_section {
	char *name;
	char *file;
	int line;
};

/* Bookkeeping for a program while it is being read. */
struct program_meta {
	uint64_t keys;          /* bit per program_keys[] entry already set */
	int command;            /* CMD_* */
	bool bad_process_name;  /* already reported */
	int fseq;               /* of the file it is in */
	uint64_t sd_keys;       /* bit per supervisord_program_keys[] entry already set */
	uint64_t fcgi_keys;     /* bit per fcgi_keys[] entry already set */
	uint64_t listener_keys; /* bit per listener_keys[] entry already set */
	char *tmpl[5];          /* instance_keys[] values using %(process_num), as written */
	bool logfile_syslog[2]; /* stdout_/stderr_logfile = syslog: supervisord's old spelling */
	/* Values that use %(numprocs)d before numprocs is set: applied when the
	 * section ends, as supervisord reads a section whole. */
	struct pending_value {
		char *key, *value;
		int line;
		bool after_env;         /* %(ENV_X)s: once environment is known */
	} *pending;
	size_t npending;
};

struct error_key {
	int fseq, line;
	size_t seq;
	char *msg;
};

/* A key a supervisord config sets again further down its section: the
 * first pass (load_prepass()) finds them, the second skips them, as
 * supervisord keeps the last value. */
struct superseded {
	int fseq, line;         /* where the value that is not used is */
	int again;              /* the line that sets the key next */
};

/* How much of a config a pass takes in. */
enum pass {
	PASS_FULL,              /* everything: config_load() and the others */
	PASS_PREPASS,           /* a supervisord config's first look: which keys are
				   superseded, and [supervisord] environment */
};

struct loader {
	struct config_errors *errs;
	struct error_key *ekeys; /* one per message this load added */
	size_t nekeys;
	struct error_key *wkeys; /* the same for warnings */
	size_t nwkeys;
	size_t nwarnings, wdropped;
	/* A supervisord config (its main file has [supervisord]): unknown keys
	 * and sections are warnings, as supervisord ignores them silently. */
	bool supervisord;
	uint64_t sd_main_keys;  /* bit per supervisord_keys(MAIN) entry already set */
	/* What supervisord itself takes and its programs inherit: [supervisord]
	 * umask (022 unless set), directory and environment, given to each
	 * program that does not set its own (apply_inherited()). */
	int sd_umask;
	char *sd_directory;
	char **sd_environment;
	bool strip_ansi;        /* [supervisord] strip_ansi: every program's (apply_output()) */
	int nfiles;
	size_t total_bytes;     /* read from the files so far (MAX_TOTAL_BYTES) */
	size_t nerrors;         /* every error, kept or not */
	size_t dropped;
	bool oom;
	struct corral_config cfg;
	uint64_t corral_keys;
	struct program_config *progs;
	struct program_meta *meta;
	size_t nprogs, progcap;
	struct group_config *groups;
	struct group_meta *gmeta;
	size_t ngroups, groupcap;
	struct socket_config *socks;
	struct socket_meta *smeta;
	size_t nsocks, sockcap;
	struct seen_section *seen;
	size_t nseen;
	enum pass pass;
	struct superseded *superseded; /* sorted by fseq and line once the prepass is done */
	size_t nsuperseded;
	config_visit_fn *visit; /* config_visit()'s, NULL: config_load() */
	void *visit_arg;
	bool no_nss;            /* look no user or group up (corralctl: static, no NSS) */
	struct {
		dev_t dev;
		ino_t ino;
		bool known;
	} open[MAX_INCLUDE_DEPTH + 1]; /* the files being read, outermost first */
	int depth;
};

/* One file (or string) being read. */
struct source {
	struct loader *ld;
	int fseq;               /* files are numbered as they are opened */
	const char *name;       /* for messages */
	char *dir;              /* base for relative include globs; NULL: cwd */
	char *here;             /* absolute directory, for %(here)s */
	const char *text;       /* what is left to read: the whole file is in memory */
	size_t textlen;
	bool eof;
	char *line;             /* the current physical line */
	size_t linecap;
	int lineno;
	int logical;            /* lines handed to inih, which counts these */
	int first_syntax;       /* first logical line that inih must reject */
	/* what is left of the current value to hand to inih */
	const char *rest;
	size_t restlen;
	bool more;              /* pieces of the current value remain */
	int kind;               /* LK_*: the logical line last handed out */
	bool prev_key;          /* inih would take an indented line as continuation */
	/* the section being read */
	int sect;
	char *section;
	int section_line;
	size_t prog;            /* index into ld->progs when sect == SEC_PROGRAM */
	size_t group;           /* index into ld->groups when sect == SEC_GROUP */
	size_t sock;            /* index into ld->socks when sect == SEC_SOCKET */
	int foreign;            /* enum supervisord_section when sect == SEC_FOREIGN */
	uint64_t foreign_keys;  /* bit per supervisord_keys(foreign) entry already set */
	bool include_files;
	/* the prepass: [include] files applied at the section's end, so that
	 * the last value counts, as in the second pass */
	char *include_value;
	int include_line;
	/* the prepass: each known key of the current section and the line it
	 * was last set at */
	struct key_line {
		char *key;
		int line;
	} *klines;
	size_t nklines;
	/* the key whose value is being collected */
	bool collecting;
	bool visit_only;        /* a key corral does not know: only visited */
	bool superseded;        /* ... or one set again below in the section */
	char *key;
	int key_line;
	struct buf value;
};

static void add_vmsg(struct loader *ld, bool warn, int fseq, const char *file, int line,
		     const char *section, const char *fmt, va_list ap)
	__attribute__((format(printf, 7, 0)));

/* FSEQ is the order in which FILE was opened: messages are sorted by it and
 * then by LINE, whatever order they were found in. WARN: a warning, which
 * goes to its own list and does not fail the load. */
static void add_vmsg(struct loader *ld, bool warn, int fseq, const char *file, int line,
		     const char *section, const char *fmt, va_list ap)
{
	char *msg = NULL, *full = NULL;
	int rc;
	size_t *count = warn ? &ld->nwarnings : &ld->nerrors;
	char ***list = warn ? &ld->errs->warnings : &ld->errs->msgs;
	size_t *nlist = warn ? &ld->errs->nwarnings : &ld->errs->n;
	struct error_key **keys = warn ? &ld->wkeys : &ld->ekeys;
	size_t *nkeys = warn ? &ld->nwkeys : &ld->nekeys;

	(*count)++;
	/* fseq INT_MAX: the closing summary, which must not be dropped */
	if (*count > MAX_ERRORS && fseq != INT_MAX) {
		(*(warn ? &ld->wdropped : &ld->dropped))++;
		return;
	}
	if (vasprintf(&msg, fmt, ap) < 0) {
		ld->oom = true;
		return;
	}
	if (!file)
		rc = asprintf(&full, "%s", msg);
	else if (line <= 0)
		rc = asprintf(&full, "%s: %s", file, msg);
	else if (!section)
		rc = asprintf(&full, "%s:%d: %s", file, line, msg);
	else
		rc = asprintf(&full, "%s:%d: [%s]: %s", file, line, section, msg);
	free(msg);
	if (rc < 0) {
		ld->oom = true;
		return;
	}
	char **v = realloc(*list, (*nlist + 1) * sizeof *v);
	if (v)
		*list = v;
	struct error_key *k = realloc(*keys, (*nkeys + 1) * sizeof *k);
	if (k)
		*keys = k;
	if (!v || !k) {
		free(full);
		ld->oom = true;
		return;
	}
	v[(*nlist)++] = full; /* now owned by errs */
	k[*nkeys] = (struct error_key){ .fseq = fseq, .line = line, .seq = *nkeys, .msg = full };
	(*nkeys)++;
}

static void add_verror(struct loader *ld, int fseq, const char *file, int line,
		       const char *section, const char *fmt, va_list ap)
	__attribute__((format(printf, 6, 0)));

static void add_verror(struct loader *ld, int fseq, const char *file, int line,
		       const char *section, const char *fmt, va_list ap)
{
	add_vmsg(ld, false, fseq, file, line, section, fmt, ap);
}

static int error_key_cmp(const void *a, const void *b)
{
	const struct error_key *x = a, *y = b;
	if (x->fseq != y->fseq)
		return x->fseq < y->fseq ? -1 : 1;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Put the messages this load added in file and line order. */
static void sort_errors(struct loader *ld)
{
	if (ld->nekeys >= 2) {
		qsort(ld->ekeys, ld->nekeys, sizeof *ld->ekeys, error_key_cmp);
		char **tail = ld->errs->msgs + ld->errs->n - ld->nekeys;
		for (size_t i = 0; i < ld->nekeys; i++)
			tail[i] = ld->ekeys[i].msg;
	}
	if (ld->nwkeys >= 2) {
		qsort(ld->wkeys, ld->nwkeys, sizeof *ld->wkeys, error_key_cmp);
		char **tail = ld->errs->warnings + ld->errs->nwarnings - ld->nwkeys;
		for (size_t i = 0; i < ld->nwkeys; i++)
			tail[i] = ld->wkeys[i].msg;
	}
}

static void add_error(struct loader *ld, int fseq, const char *file, int line,
		      const char *section, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

static void add_error(struct loader *ld, int fseq, const char *file, int line,
		      const char *section, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	add_verror(ld, fseq, file, line, section, fmt, ap);
	va_end(ap);
}

/* The closing line of the warnings, which is never dropped. */
static void add_warning_summary(struct loader *ld, const char *file, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void add_warning_summary(struct loader *ld, const char *file, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	add_vmsg(ld, true, INT_MAX, file, 0, NULL, fmt, ap);
	va_end(ap);
}

/* An error at LINE of SRC, in its current section. */
static void src_error(struct source *src, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void src_error(struct source *src, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	add_verror(src->ld, src->fseq, src->name, line, src->section, fmt, ap);
	va_end(ap);
}

/* A warning at LINE of SRC, in its current section. */
static void src_warn(struct source *src, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void src_warn(struct source *src, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	add_vmsg(src->ld, true, src->fseq, src->name, line, src->section, fmt, ap);
	va_end(ap);
}

/* Unknown to corral: a warning in a supervisord config, else an error. */
static void src_unknown(struct source *src, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void src_unknown(struct source *src, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	add_vmsg(src->ld, src->ld->supervisord, src->fseq, src->name, line, src->section, fmt, ap);
	va_end(ap);
}

static char *xstrdup(struct loader *ld, const char *s)
{
	char *p = strdup(s);
	if (!p)
		ld->oom = true;
	return p;
}

static void instance_free(struct program_instance *in)
{
	cmdline_free(in->argv);
	free(in->command);
	free(in->directory);
	free(in->stdout_logfile);
	free(in->stderr_logfile);
	strv_free(in->environment);
}

static void program_free(struct program_config *p)
{
	free(p->name);
	free(p->file);
	free(p->command);
	cmdline_free(p->argv);
	free(p->process_name);
	free(p->directory);
	strv_free(p->environment);
	free(p->stdout_logfile);
	free(p->stderr_logfile);
	free(p->group);
	free(p->listen);
	free(p->fcgi_socket);
	strv_free(p->listen_names);
	strv_free(p->requires);
	strv_free(p->after);
	for (int i = 0; p->instances && i < p->numprocs; i++)
		instance_free(&p->instances[i]);
	free(p->instances);
	sandbox_free(&p->sandbox);
	memset(p, 0, sizeof *p);
}

void config_free(struct corral_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->path);
	free(cfg->socket);
	free(cfg->logdir);
	free(cfg->pidfile);
	free(cfg->identifier);
	struct http_config *hs[] = { &cfg->unix_http, &cfg->inet_http };
	for (size_t i = 0; i < 2; i++) {
		free(hs[i]->file);
		free(hs[i]->chown);
		free(hs[i]->host);
		free(hs[i]->port);
		free(hs[i]->username);
		free(hs[i]->password);
		free(hs[i]->where);
	}
	for (size_t i = 0; i < cfg->nprograms; i++)
		program_free(&cfg->programs[i]);
	free(cfg->programs);
	for (size_t i = 0; i < cfg->ngroups; i++) {
		struct group_config *g = &cfg->groups[i];
		free(g->name);
		free(g->file);
		for (char **p = g->programs; p && *p; p++)
			free(*p);
		free(g->programs);
	}
	free(cfg->groups);
	for (size_t i = 0; i < cfg->nsockets; i++) {
		struct socket_config *s = &cfg->sockets[i];
		free(s->name);
		free(s->file);
		free(s->listen);
		free(s->program);
	}
	free(cfg->sockets);
	memset(cfg, 0, sizeof *cfg);
}

void config_errors_free(struct config_errors *errs)
{
	if (!errs)
		return;
	for (size_t i = 0; i < errs->n; i++)
		free(errs->msgs[i]);
	free(errs->msgs);
	errs->msgs = NULL;
	errs->n = 0;
	for (size_t i = 0; i < errs->nwarnings; i++)
		free(errs->warnings[i]);
	free(errs->warnings);
	errs->warnings = NULL;
	errs->nwarnings = 0;
}

/* ---- values ----------------------------------------------------------- */

/* VALUE for a message: cut short when long. */
#define SHOW(v) (int)(strlen(v) > VALUE_SHOWN ? VALUE_SHOWN - 3 : strlen(v)), (v), \
		(strlen(v) > VALUE_SHOWN ? "..." : "")

static void bad_value(struct source *src, int line, const char *key, const char *value,
		      const char *expected)
{
	src_error(src, line, "bad value for %s: '%.*s%s' (expected %s)", key, SHOW(value),
		  expected);
}

static bool parse_int(const char *s, long min, long max, int *out)
{
	const char *p = s;
	long long n = 0;
	bool neg = false;
	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	if (!*p)
		return false;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		n = n * 10 + (*p - '0');
		if (n > (long long)INT_MAX + 1)
			return false;
	}
	if (neg)
		n = -n;
	if (n < min || n > max)
		return false;
	*out = (int)n;
	return true;
}

static void int_value(struct source *src, int line, const char *key, const char *value,
		      long min, long max, int *out)
{
	if (parse_int(value, min, max, out))
		return;
	char expected[64];
	if (min == INT_MIN && max == INT_MAX)
		snprintf(expected, sizeof expected, "an integer");
	else if (max == INT_MAX)
		snprintf(expected, sizeof expected, "an integer >= %ld", min);
	else
		snprintf(expected, sizeof expected, "an integer from %ld to %ld", min, max);
	bad_value(src, line, key, value, expected);
}

static bool parse_octal(const char *s, unsigned max, unsigned *out)
{
	unsigned n = 0;
	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '7')
			return false;
		n = n * 8 + (unsigned)(*s - '0');
		if (n > max)
			return false;
	}
	*out = n;
	return true;
}

static bool parse_exitcodes(const char *s, uint8_t bits[32])
{
	memset(bits, 0, 32);
	for (;;) {
		while (is_space(*s))
			s++;
		int n = 0, digits = 0;
		for (; *s >= '0' && *s <= '9'; s++, digits++)
			if ((n = n * 10 + (*s - '0')) > 255)
				return false;
		if (!digits)
			return false;
		bits[n / 8] |= (uint8_t)(1u << (n % 8));
		while (is_space(*s))
			s++;
		if (!*s)
			return true;
		if (*s++ != ',')
			return false;
	}
}

/* supervisord's environment syntax: KEY=value pairs separated by commas;
 * 'single' and "double" quotes (with \" and \\) may hold commas and keep
 * whitespace; unquoted whitespace around a value is dropped. */
static int parse_environment(const char *s, char ***out, char *err, size_t errlen)
{
	char **v = NULL;
	size_t n = 0;
	struct buf val = { 0 };
	int rc = 0;

	for (const char *p = s;;) {
		while (is_space(*p) || *p == ',')
			p++;
		if (!*p)
			break;
		const char *key = p;
		while (*p && *p != '=' && *p != ',' && *p != '"' && *p != '\'' && !is_space(*p))
			p++;
		size_t keylen = (size_t)(p - key);
		while (is_space(*p))
			p++;
		if (!keylen || *p != '=') {
			if (keylen)
				snprintf(err, errlen, "expected '=' after '%.*s'", (int)keylen, key);
			else
				snprintf(err, errlen, "expected KEY=value at '%.20s'", key);
			rc = -EINVAL;
			goto out;
		}
		for (p++; is_space(*p); p++)
			;
		val.len = 0;
		if ((rc = buf_add(&val, key, keylen)) < 0 || (rc = buf_add(&val, "=", 1)) < 0)
			goto out;
		size_t keep = val.len; /* drop unquoted trailing whitespace */
		while (*p && *p != ',') {
			char q = *p;
			if (q == '"' || q == '\'') {
				for (p++; *p != q; p++) {
					if (!*p) {
						snprintf(err, errlen, "unterminated %s quote",
							 q == '"' ? "double" : "single");
						rc = -EINVAL;
						goto out;
					}
					if (q == '"' && *p == '\\' && (p[1] == '"' || p[1] == '\\'))
						p++;
					if ((rc = buf_add(&val, p, 1)) < 0)
						goto out;
				}
				p++;
				keep = val.len;
				continue;
			}
			if ((rc = buf_add(&val, p, 1)) < 0)
				goto out;
			if (!is_space(*p))
				keep = val.len;
			p++;
		}
		val.s[keep] = '\0';
		for (size_t i = 0; i < n; i++) {
			if (strncmp(v[i], val.s, keylen + 1) == 0) {
				snprintf(err, errlen, "duplicate key '%.*s'", (int)keylen, key);
				rc = -EINVAL;
				goto out;
			}
		}
		char **nv = realloc(v, (n + 2) * sizeof *nv);
		if (!nv) {
			rc = -ENOMEM;
			goto out;
		}
		v = nv;
		if (!(v[n] = strdup(val.s))) {
			rc = -ENOMEM;
			goto out;
		}
		v[++n] = NULL;
	}
	if (!v && !(v = calloc(1, sizeof *v))) {
		rc = -ENOMEM;
		goto out;
	}
	*out = v; /* now owned by the caller */
	v = NULL;
out:
	if (v) {
		v[n] = NULL;
		strv_free(v);
	}
	free(val.s);
	return rc;
}

/* Expand a path-like VALUE of KEY; NULL after reporting why not. In a
 * program of a supervisord config, %(process_num)d is its first process's
 * number here; each process gets its own value when the section ends
 * (make_instances()). corral's own format keeps it to process_name. */
static bool program_env_key(const char *key);

static char *expand_value(struct source *src, int line, const char *key, const char *value,
			  const char *program)
{
	struct loader *ld = src->ld;
	struct vars vars = { .here = src->here, .program = program };
	if (program && src->sect == SEC_PROGRAM) {
		vars.numprocs = ld->progs[src->prog].numprocs;
		vars.num = ld->progs[src->prog].numprocs_start;
		vars.has_num = ld->supervisord;
	}
	/* supervisord reads [supervisord] and [include] first, with its own
	 * environment only; then [supervisord] environment = adds to the
	 * names every other section may expand, and a program's own
	 * environment = to those of its command, directory and log files. */
	if (ld->supervisord && (src->sect == SEC_PROGRAM || src->sect == SEC_FOREIGN)) {
		vars.env[1] = ld->sd_environment;
		if (src->sect == SEC_PROGRAM && program_env_key(key))
			vars.env[0] = ld->progs[src->prog].environment;
	}
	char err[160], *out;
	int rc = expand(value, &vars, &out, err, sizeof err);
	if (rc == -ENOMEM)
		ld->oom = true;
	else if (rc < 0)
		src_error(src, line, "%s: %s", key, err);
	return out;
}

static int key_index(const char *const *keys, const char *key)
{
	for (int i = 0; keys[i]; i++)
		if (strcmp(keys[i], key) == 0)
			return i;
	return -1;
}

bool config_is_program_key(const char *key)
{
	return key_index(program_keys, key) >= 0;
}

static void replace(char **field, char *value)
{
	free(*field);
	*field = value;
}

/* A key of [supervisord] that [corral] lacks: mapped when corral has its
 * equivalent, else checked and ignored with a warning. */
static void apply_supervisord(struct source *src, const char *key, int line, const char *value)
{
	char err[200], *s;
	if (strcmp(key, "childlogdir") == 0) {
		/* supervisord's AUTO log files go there, as corral's go to logdir */
		if (!*value)
			bad_value(src, line, key, value, "a path");
		else if ((s = expand_value(src, line, key, value, NULL)))
			replace(&src->ld->cfg.logdir, s);
		return;
	}
	struct loader *ld = src->ld;
	unsigned u;
	if (strcmp(key, "umask") == 0) {
		if (parse_octal(value, 0777, &u))
			ld->sd_umask = (int)u;
		else
			bad_value(src, line, key, value, "an octal mask from 0 to 0777");
		return;
	}
	if (strcmp(key, "directory") == 0) {
		if (!*value)
			bad_value(src, line, key, value, "a path");
		else
			replace(&ld->sd_directory, expand_value(src, line, key, value, NULL));
		return;
	}
	if (strcmp(key, "environment") == 0) {
		char **env;
		if (!(s = expand_value(src, line, key, value, NULL)))
			return;
		int r = parse_environment(s, &env, err, sizeof err);
		free(s);
		if (r == -ENOMEM) {
			ld->oom = true;
		} else if (r < 0) {
			src_error(src, line, "environment: %s", err);
		} else {
			strv_free(ld->sd_environment);
			ld->sd_environment = env;
		}
		return;
	}
	if (strcmp(key, "identifier") == 0) {
		replace(&ld->cfg.identifier, expand_value(src, line, key, value, NULL));
		return;
	}
	int rc = supervisord_check(SUPERVISORD_MAIN, key, value, err, sizeof err);
	if (rc >= 0 && strcmp(key, "strip_ansi") == 0) {
		(void)sandbox_parse_bool(value, &ld->strip_ansi); /* checked just above */
		return;
	}
	if (rc >= 0 && strcmp(key, "loglevel") == 0) {
		/* supervisord's seven levels on corrald's four: its debug, trace
		 * and blather are all corrald's debug */
		static const struct {
			const char *name;
			enum log_level level;
		} levels[] = {
			{ "critical", LOG_ERR }, { "error", LOG_ERR }, { "warn", LOG_WARN },
			{ "info", LOG_INFO }, { "debug", LOG_DEBUG }, { "trace", LOG_DEBUG },
			{ "blather", LOG_DEBUG },
		};
		for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++)
			if (strcasecmp(value, levels[i].name) == 0)
				ld->cfg.loglevel = (int)levels[i].level;
		return;
	}
	if (rc < 0)
		bad_value(src, line, key, value, err);
	else if (rc > 0)
		src_warn(src, line, "%s", err);
	if (rc != 0)
		return;
	/* the keys corrald carries out itself, their values already checked */
	bool b;
	if (strcmp(key, "minfds") == 0 || strcmp(key, "minprocs") == 0)
		*(key[3] == 'f' ? &ld->cfg.minfds : &ld->cfg.minprocs) = strtoul(value, NULL, 10);
	else if (strcmp(key, "nodaemon") == 0 && sandbox_parse_bool(value, &b))
		ld->cfg.nodaemon = b;
	else if (strcmp(key, "silent") == 0 && sandbox_parse_bool(value, &b))
		ld->cfg.silent = b;
}

/* ENV with each entry of BASE whose name it does not set put first, as a
 * child of supervisord inherits its environment and adds its own. */
static int env_inherit(char ***env, char *const *base)
{
	size_t n = 0, nb = 0, k = 0;
	while ((*env)[n])
		n++;
	while (base[nb])
		nb++;
	char **v = calloc(n + nb + 1, sizeof *v);
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < nb; i++) {
		size_t klen = strcspn(base[i], "=");
		bool set = false;
		for (size_t j = 0; j < n && !set; j++)
			set = strncmp((*env)[j], base[i], klen + 1) == 0;
		if (!set && !(v[k++] = strdup(base[i]))) {
			strv_free(v);
			return -ENOMEM;
		}
	}
	memcpy(v + k, *env, n * sizeof *v); /* the strings move over */
	free(*env);
	*env = v;
	return 0;
}

/* Give every program what it would inherit from supervisord. */
static void apply_inherited(struct loader *ld)
{
	for (size_t i = 0; i < ld->nprogs; i++) {
		struct program_config *p = &ld->progs[i];
		p->stdin_pipe = true; /* supervisord gives each process one */
		if (p->umask < 0)
			p->umask = ld->sd_umask;
		if (!p->directory && ld->sd_directory && !(p->directory = strdup(ld->sd_directory)))
			ld->oom = true;
		if (!ld->sd_environment)
			continue;
		if (p->environment && env_inherit(&p->environment, ld->sd_environment) < 0)
			ld->oom = true;
		for (int k = 0; p->instances && k < p->numprocs; k++)
			if (p->instances[k].environment &&
			    env_inherit(&p->instances[k].environment, ld->sd_environment) < 0)
				ld->oom = true;
	}
}

/* What goes for the output of every program, in either format:
 * [supervisord] strip_ansi, and stdout_logfile = syslog. */
static void apply_output(struct loader *ld)
{
	for (size_t i = 0; i < ld->nprogs; i++) {
		struct program_config *p = &ld->progs[i];
		p->strip_ansi = ld->strip_ansi;
		for (int k = 0; k < 2; k++)
			p->syslog[k] |= ld->meta[i].logfile_syslog[k];
	}
}

/* A key of [unix_http_server] or [inet_http_server], already checked. */
static void apply_http(struct source *src, const char *key, int line, const char *value)
{
	struct corral_config *cfg = &src->ld->cfg;
	bool unix_sock = src->foreign == SUPERVISORD_UNIX_HTTP;
	struct http_config *h = unix_sock ? &cfg->unix_http : &cfg->inet_http;
	char *v = expand_value(src, line, key, value, NULL);
	if (!v)
		return;
	if (strcmp(key, "file") == 0) {
		if (!*v)
			bad_value(src, line, key, value, "a path");
		replace(&h->file, v);
	} else if (strcmp(key, "chmod") == 0) {
		if (!parse_octal(v, 07777, &h->chmod))
			bad_value(src, line, key, value, "an octal mode");
		free(v);
	} else if (strcmp(key, "chown") == 0) {
		replace(&h->chown, v);
	} else if (strcmp(key, "username") == 0) {
		replace(&h->username, v);
	} else if (strcmp(key, "password") == 0) {
		replace(&h->password, v);
	} else if (strcmp(key, "port") == 0) {
		/* supervisord's form: [HOST:]PORT, HOST "*" or empty for any */
		char *colon = strrchr(v, ':');
		const char *port = colon ? colon + 1 : v;
		char *end;
		errno = 0;
		unsigned long n = strtoul(port, &end, 10);
		if (!*port || *end || errno || n == 0 || n > 65535) {
			bad_value(src, line, key, value, "[HOST:]PORT with PORT from 1 to 65535");
			replace(&h->port, v); /* said once: not "missing port" too */
			return;
		}
		if (colon)
			*colon = '\0';
		char *host = strdup(colon ? v : "");
		char *p = strdup(port);
		if (!host || !p)
			src->ld->oom = true;
		replace(&h->host, host);
		replace(&h->port, p);
		free(v);
	} else {
		free(v);
	}
}

/* HOST is a loopback address (or a name for one). */
static bool loopback_host(const char *host)
{
	return strcmp(host, "localhost") == 0 || strncmp(host, "127.", 4) == 0 ||
	       strcmp(host, "::1") == 0 || strcmp(host, "[::1]") == 0;
}

/* The end of [unix_http_server] or [inet_http_server]: corrald serves it. */
static void finish_http(struct source *src)
{
	struct corral_config *cfg = &src->ld->cfg;
	bool unix_sock = src->foreign == SUPERVISORD_UNIX_HTTP;
	struct http_config *h = unix_sock ? &cfg->unix_http : &cfg->inet_http;
	h->enabled = true;
	free(h->where);
	if (asprintf(&h->where, "%s:%d", src->name, src->section_line) < 0) {
		h->where = NULL;
		src->ld->oom = true;
	}
	if (unix_sock && !h->file)
		src_error(src, src->section_line, "missing file (the socket's path)");
	if (!unix_sock && !h->port)
		src_error(src, src->section_line, "missing port");
	if (h->username && !h->password)
		src_error(src, src->section_line, "username without password");
	if (!unix_sock && h->host && !loopback_host(h->host) && !(h->username && h->password))
		src_error(src, src->section_line,
			  "port %s%s%s is reachable from other hosts: set username and password, "
			  "or bind 127.0.0.1", h->host, *h->host ? ":" : "", h->port);
	if (h->password && strncmp(h->password, "{SHA}", 5) == 0) {
		/* the SHA-1 of the password in hex, as supervisord takes it */
		char *hex = h->password + 5;
		bool ok = strlen(hex) == 40;
		for (char *c = hex; ok && *c; c++) {
			ok = (*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f') ||
			     (*c >= 'A' && *c <= 'F');
			if (*c >= 'A' && *c <= 'F')
				*c = (char)(*c + 32); /* compared with lowercase hex */
		}
		if (!ok)
			src_error(src, src->section_line,
				  "password {SHA}...: expected the SHA-1 of the password, 40 hex digits");
	}
}

/* A key of one of supervisord's sections that corral does not act on. */
static void apply_foreign(struct source *src, const char *key, int line, const char *value)
{
	char err[200];
	if (supervisord_check(src->foreign, key, value, err, sizeof err) < 0)
		bad_value(src, line, key, value, err);
	else if (src->foreign == SUPERVISORD_UNIX_HTTP || src->foreign == SUPERVISORD_INET_HTTP)
		apply_http(src, key, line, value);
}

static void apply_corral(struct source *src, const char *key, int line, const char *value)
{
	struct corral_config *cfg = &src->ld->cfg;
	char *s;

	if (key_index(corral_keys, key) < 0) {
		apply_supervisord(src, key, line, value);
		return;
	}

	if (strcmp(key, "socket_mode") == 0) {
		if (!parse_octal(value, 0777, &cfg->socket_mode))
			bad_value(src, line, key, value, "an octal mode from 0 to 0777");
		return;
	}
	if (strcmp(key, "scopes") == 0) {
		if (strcasecmp(value, "auto") == 0)
			cfg->scopes = SCOPES_AUTO;
		else if (strcasecmp(value, "cgroup") == 0)
			cfg->scopes = SCOPES_CGROUP;
		else if (strcasecmp(value, "process-group") == 0)
			cfg->scopes = SCOPES_PROCESS_GROUP;
		else
			bad_value(src, line, key, value, "auto, cgroup or process-group");
		return;
	}
	if (!*value) {
		bad_value(src, line, key, value, "a path");
		return;
	}
	if (!(s = expand_value(src, line, key, value, NULL)))
		return;
	if (strcmp(key, "socket") == 0) {
		if (strlen(s) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
			src_error(src, line, "socket path too long (at most %zu bytes)",
				  sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
			free(s);
			return;
		}
		replace(&cfg->socket, s);
		cfg->socket_rule = SOCKET_RULE_SET;
	} else if (strcmp(key, "logdir") == 0) {
		replace(&cfg->logdir, s);
	} else {
		replace(&cfg->pidfile, s);
	}
}

/* "a,b c": program names separated by commas and/or blanks. */
static char **split_names(const char *value, bool *oom)
{
	size_t n = 0, cap = 4;
	char **v = calloc(cap, sizeof *v);
	if (!v) {
		*oom = true;
		return NULL;
	}
	for (const char *p = value; *p;) {
		/* '|' too: a pipeline's stages are written a | b | c. */
		while (*p == ',' || *p == '|' || is_space(*p))
			p++;
		size_t len = strcspn(p, ",| \t\n");
		if (!len)
			break;
		if (n + 2 > cap) {
			char **w = reallocarray(v, cap * 2, sizeof *v);
			if (!w)
				goto oom;
			v = w;
			cap *= 2;
		}
		if (!(v[n] = strndup(p, len)))
			goto oom;
		v[++n] = NULL;
		p += len;
	}
	return v;
oom:
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
	*oom = true;
	return NULL;
}

static void apply_group(struct source *src, const char *key, int line, const char *value)
{
	struct group_config *g = &src->ld->groups[src->group];
	if (strcmp(key, "buffer") == 0) {
		uint64_t v;
		if (!g->pipeline)
			src_error(src, line, "unknown key 'buffer' (only in [pipeline:] sections)");
		else if (!logline_parse_bytes(value, &v) || v < 4096 || v > 64 * 1024 * 1024)
			bad_value(src, line, key, value, "a size from 4KB to 64MB");
		else
			g->buffer = v;
		return;
	}
	if (strcmp(key, "programs") == 0) {
		bool oom = false;
		char **names = split_names(value, &oom);
		if (oom) {
			src->ld->oom = true;
			return;
		}
		if (!names[0]) {
			free(names);
			bad_value(src, line, key, value, "a list of program names");
			return;
		}
		g->programs = names;
	} else if (strcmp(key, "strategy") == 0) {
		if (strcmp(value, "one_for_one") == 0)
			g->strategy = STRATEGY_ONE_FOR_ONE;
		else if (strcmp(value, "one_for_all") == 0)
			g->strategy = STRATEGY_ONE_FOR_ALL;
		else if (strcmp(value, "rest_for_one") == 0)
			g->strategy = STRATEGY_REST_FOR_ONE;
		else
			bad_value(src, line, key, value, "one_for_one, one_for_all or rest_for_one");
	} else if (strcmp(key, "restart_intensity") == 0) {
		int_value(src, line, key, value, 0, MAX_SECONDS, &g->restart_intensity);
	} else if (strcmp(key, "restart_period") == 0) {
		int_value(src, line, key, value, 1, MAX_SECONDS, &g->restart_period);
	} else {
		if (parse_int(value, INT_MIN, INT_MAX, &g->priority))
			g->has_priority = true;
		else
			int_value(src, line, key, value, INT_MIN, INT_MAX, &g->priority);
	}
}

static bool valid_name(const char *s);

/* listen: addresses separated by blanks (a unix path may hold a comma),
 * each checked here; they become fds in this order. */
static void apply_listen(struct source *src, struct socket_config *s, int line, const char *value)
{
	struct socket_addr v[SOCKETS_MAX_PER_PROGRAM];
	int n = 0;
	bool bad = false;
	for (const char *p = value;;) {
		while (is_space(*p))
			p++;
		if (!*p)
			break;
		size_t len = 0;
		while (p[len] && !is_space(p[len]))
			len++;
		char *word = strndup(p, len);
		p += len;
		if (!word) {
			src->ld->oom = true;
			return;
		}
		char err[160];
		if (n == SOCKETS_MAX_PER_PROGRAM) {
			src_error(src, line, "listen: more than %d addresses", SOCKETS_MAX_PER_PROGRAM);
			bad = true;
		} else if (sockets_parse(word, &v[n], err, sizeof err) < 0) {
			src_error(src, line, "listen: '%.*s%s': %s", SHOW(word), err);
			bad = true;
		} else {
			n++;
		}
		free(word);
		if (n == SOCKETS_MAX_PER_PROGRAM && bad)
			break;
	}
	if (bad)
		return;
	if (!n) {
		bad_value(src, line, "listen", value, "tcp:HOST:PORT, udp:HOST:PORT or unix:PATH");
		return;
	}
	struct socket_addr *a = malloc((size_t)n * sizeof *a);
	if (!a) {
		src->ld->oom = true;
		return;
	}
	memcpy(a, v, (size_t)n * sizeof *a);
	s->listen = a;
	s->nlisten = n;
}

static void apply_socket(struct source *src, const char *key, int line, const char *value)
{
	struct socket_config *s = &src->ld->socks[src->sock];
	struct socket_meta *m = &src->ld->smeta[src->sock];
	bool b;
	if (strcmp(key, "listen") == 0) {
		m->listen_line = line;
		apply_listen(src, s, line, value);
	} else if (strcmp(key, "program") == 0) {
		m->program_line = line;
		if (!valid_name(value))
			bad_value(src, line, key, value, "a program name");
		else
			replace(&s->program, xstrdup(src->ld, value));
	} else if (strcmp(key, "backlog") == 0) {
		int_value(src, line, key, value, 1, 65535, &s->backlog);
	} else if (strcmp(key, "socket_mode") == 0) {
		if (!parse_octal(value, 0777, &s->socket_mode))
			bad_value(src, line, key, value, "an octal mode from 0 to 0777");
	} else if (!sandbox_parse_bool(value, &b)) { /* accept */
		bad_value(src, line, key, value, "false");
	} else if (b) {
		src_error(src, line, "accept = true is not supported: the program is given the "
				     "listening socket and accepts its own connections (accept = false)");
	}
}

static bool has_blank_only(const char *s)
{
	for (; *s; s++)
		if (!is_space(*s))
			return false;
	return true;
}

/* The keys of a program's log streams. */
static void apply_log_key(struct source *src, struct program_config *p, const char *key,
			  int line, const char *value)
{
	uint64_t v;
	bool b;
	if (strcmp(key, "log_timestamps") == 0) {
		if (sandbox_parse_bool(value, &b))
			p->log_timestamps = b;
		else
			bad_value(src, line, key, value, "true or false");
	} else if (strcmp(key, "log_overflow") == 0) {
		if (strcasecmp(value, "block") == 0)
			p->log_overflow = LOG_OVERFLOW_BLOCK;
		else if (strcasecmp(value, "drop") == 0)
			p->log_overflow = LOG_OVERFLOW_DROP;
		else
			bad_value(src, line, key, value, "block or drop");
	} else if (strcmp(key, "log_rate") == 0 || strcmp(key, "log_burst") == 0) {
		int n;
		if (!parse_int(value, 0, 100000000, &n))
			bad_value(src, line, key, value, "a number of lines from 0 to 100000000");
		else if (key[4] == 'r')
			p->log_rate = (uint64_t)n;
		else
			p->log_burst = (uint64_t)n;
	} else if (strcmp(key, "stdout_logfile_backups") == 0 ||
		   strcmp(key, "stderr_logfile_backups") == 0) {
		int n;
		if (!parse_int(value, 0, 1000, &n))
			bad_value(src, line, key, value, "an integer from 0 to 1000");
		else if (key[3] == 'o')
			p->stdout_backups = n;
		else
			p->stderr_backups = n;
	} else if (!logline_parse_bytes(value, &v)) {
		bad_value(src, line, key, value, "a size in bytes, with KB, MB or GB");
	} else if (strcmp(key, "log_line_max") == 0) {
		if (v && v < 64)
			bad_value(src, line, key, value, "0 (no limit) or at least 64 bytes");
		else
			p->log_line_max = v;
	} else if (strcmp(key, "log_buffer") == 0) {
		if (v < 4096 || v > 64 * 1024 * 1024)
			bad_value(src, line, key, value, "from 4KB to 64MB");
		else
			p->log_buffer = v;
	} else if (key[3] == 'o') {
		p->stdout_maxbytes = v;
	} else {
		p->stderr_maxbytes = v;
	}
}

/* The keys whose values may differ per process (struct program_instance);
 * environment last: the others may expand what it sets. */
static const char *const instance_keys[] = {
	"command", "directory", "stdout_logfile", "stderr_logfile", "environment", NULL,
};
#define ENV_KEY 4 /* instance_keys[]'s environment */
_Static_assert(sizeof instance_keys / sizeof instance_keys[0] - 1 ==
		       sizeof ((struct program_meta *)0)->tmpl / sizeof(char *),
	       "one template per instance key");

/* In a supervisord config, KEY's %(ENV_X)s sees the program's own
 * environment = too (options.py expands these with it). */
static bool program_env_key(const char *key)
{
	int i = key_index(instance_keys, key);
	return i >= 0 && i != ENV_KEY;
}

/* supervisord's socket = tcp://HOST:PORT or unix:///PATH, as corral's
 * [socket:] addresses; socket_owner = USER[:GROUP], looked up now. */
static void apply_fcgi(struct source *src, struct program_config *p, const char *key, int line,
		       const char *value)
{
	char err[200];
	unsigned u;
	if (strcmp(key, "socket") == 0) {
		char *s = expand_value(src, line, key, value, p->name), *spec = NULL;
		if (!s)
			return;
		/* supervisord resolves HOST; corral never waits on DNS, but
		 * localhost is too common to refuse */
		const char *prefix = NULL, *rest = NULL;
		if (strncmp(s, "tcp://localhost:", 16) == 0)
			prefix = "tcp:127.0.0.1:", rest = s + 16;
		else if (strncmp(s, "tcp://", 6) == 0)
			prefix = "tcp:", rest = s + 6;
		else if (strncmp(s, "unix://", 7) == 0 && s[7] == '/')
			prefix = "unix:", rest = s + 7;
		if (!prefix)
			bad_value(src, line, key, value, "tcp://HOST:PORT or unix:///PATH");
		else if (asprintf(&spec, "%s%s", prefix, rest) < 0)
			src->ld->oom = true, spec = NULL;
		free(s);
		if (!spec)
			return;
		struct socket_addr *a = calloc(1, sizeof *a);
		if (!a) {
			src->ld->oom = true;
		} else if (sockets_parse(spec, a, err, sizeof err) < 0) {
			src_error(src, line, "socket: '%s': %s", value, err);
			free(a);
		} else {
			free(p->fcgi_socket);
			p->fcgi_socket = a;
		}
		free(spec);
	} else if (strcmp(key, "socket_backlog") == 0) {
		int_value(src, line, key, value, 1, 65535, &p->fcgi_backlog);
	} else if (strcmp(key, "socket_mode") == 0) {
		if (parse_octal(value, 0777, &u))
			p->fcgi_mode = u;
		else
			bad_value(src, line, key, value, "an octal mode from 0 to 0777");
	} else if (!src->ld->no_nss) { /* socket_owner; no NSS in static corralctl */
		struct users owner = { 0 };
		char *user = strdup(value), *group = user ? strchr(user, ':') : NULL;
		int rc = !user ? -ENOMEM : 0;
		if (group)
			*group++ = '\0';
		if (rc == 0 && !*user)
			rc = -EINVAL, snprintf(err, sizeof err, "USER[:GROUP]");
		if (rc == 0)
			rc = users_set_user(&owner, user, err, sizeof err);
		if (rc == 0 && group)
			rc = users_set_group(&owner, group, err, sizeof err);
		if (rc == -ENOMEM) {
			src->ld->oom = true;
		} else if (rc < 0) {
			bad_value(src, line, key, value, err);
		} else {
			p->fcgi_owner = true;
			p->fcgi_uid = owner.uid;
			p->fcgi_gid = owner.gid;
		}
		users_free(&owner);
		free(user);
	}
}

/* An [eventlistener:]'s own keys, checked as supervisord checks them. */
static void apply_listener(struct source *src, struct program_config *p, const char *key,
			   int line, const char *value)
{
	char bad[64];
	if (strcmp(key, "events") == 0) {
		int rc = eventproto_parse_events(value, &p->listener_events, bad, sizeof bad);
		if (rc == -EINVAL)
			src_error(src, line, "unknown event type %s in events", bad);
		else if (rc < 0)
			src_error(src, line, "events: no event type named");
	} else if (strcmp(key, "buffer_size") == 0) {
		int_value(src, line, key, value, 1, MAX_BUFFER_SIZE, &p->buffer_size);
	} else if (strcmp(value, "supervisor.dispatchers:default_handler") != 0) {
		/* result_handler: a Python function, which corral cannot call */
		src_warn(src, line, "corral ignores result_handler: only supervisord's default "
				    "(OK accepts an event, anything else rejects it) is supported");
	}
}

/* stdout_/stderr_events_enabled, _capture_maxbytes and _syslog (already
 * checked): corral acts on them; the others of supervisord_program_keys[]
 * it ignores. */
static void apply_event_key(struct program_config *p, const char *key, const char *value)
{
	int which = strncmp(key, "stderr", 6) == 0;
	bool b;
	uint64_t v;
	if (strstr(key, "_events_enabled") && sandbox_parse_bool(value, &b))
		p->events_enabled[which] = b;
	else if (strstr(key, "_capture_maxbytes") && logline_parse_bytes(value, &v))
		p->capture_maxbytes[which] = v;
	else if (strstr(key, "_syslog") && sandbox_parse_bool(value, &b))
		p->syslog[which] = b;
}

static void apply_program(struct source *src, const char *key, int line, const char *value)
{
	struct loader *ld = src->ld;
	struct program_config *p = &ld->progs[src->prog];
	struct program_meta *m = &ld->meta[src->prog];
	char err[160];
	bool b;
	int rc;
	int ti = key_index(instance_keys, key);

	if (ti >= 0 && !p->is_pool && ld->supervisord) {
		/* %(ENV_X)s may differ per process when the environment does */
		bool per_process = strstr(value, "%(process_num)") ||
				   (ti != ENV_KEY && strstr(value, "%(ENV_"));
		free(m->tmpl[ti]);
		m->tmpl[ti] = per_process ? xstrdup(ld, value) : NULL;
	}
	if (p->is_pool && (rc = poolcfg_apply(p, key, value, err, sizeof err)) != 0) {
		if (rc == -EDOM)
			bad_value(src, line, key, value, err);
		else if (rc < 0)
			src_error(src, line, "%s", err);
		return;
	}
	if (p->is_fcgi && key_index(fcgi_keys, key) >= 0) {
		apply_fcgi(src, p, key, line, value);
		return;
	}
	if (p->is_listener && key_index(listener_keys, key) >= 0) {
		apply_listener(src, p, key, line, value);
		return;
	}
	if (key_index(supervisord_program_keys, key) >= 0) {
		rc = supervisord_check(SUPERVISORD_NONE, key, value, err, sizeof err);
		if (rc < 0)
			bad_value(src, line, key, value, err);
		else if (rc > 0)
			src_warn(src, line, "%s", err);
		else
			apply_event_key(p, key, value);
		return;
	}
	if (strcmp(key, "command") == 0) {
		char *cmd = expand_value(src, line, key, value, p->name);
		m->command = CMD_BAD;
		if (!cmd)
			return;
		replace(&p->command, cmd);
		if (has_blank_only(cmd)) {
			m->command = CMD_EMPTY;
			return;
		}
		rc = cmdline_split(cmd, &p->argv, err, sizeof err);
		if (rc == -ENOMEM)
			ld->oom = true;
		else if (rc < 0)
			src_error(src, line, "command: %s", err);
		else if (!p->argv[0][0])
			src_error(src, line, "command: empty program name");
		else
			m->command = CMD_OK;
	} else if (strcmp(key, "numprocs") == 0) {
		int_value(src, line, key, value, 1, MAX_NUMPROCS, &p->numprocs);
	} else if (strcmp(key, "numprocs_start") == 0) {
		int_value(src, line, key, value, 0, MAX_NUMPROCS_START, &p->numprocs_start);
	} else if (strcmp(key, "process_name") == 0) {
		struct vars vars = { .program = p->name, .has_num = true, .numprocs = p->numprocs };
		char *out;
		rc = expand(value, &vars, &out, err, sizeof err);
		free(out);
		if (rc == -ENOMEM) {
			ld->oom = true;
		} else if (rc < 0) {
			src_error(src, line, "process_name: %s", err);
			m->bad_process_name = true;
		} else {
			replace(&p->process_name, xstrdup(ld, value));
		}
	} else if (strcmp(key, "autostart") == 0 || strcmp(key, "redirect_stderr") == 0) {
		if (!sandbox_parse_bool(value, &b))
			bad_value(src, line, key, value, "true or false");
		else if (key[0] == 'a')
			p->autostart = b;
		else
			p->redirect_stderr = b;
	} else if (strncmp(key, "log_", 4) == 0 || strstr(key, "_logfile_")) {
		apply_log_key(src, p, key, line, value);
	} else if (strcmp(key, "requires") == 0 || strcmp(key, "after") == 0) {
		bool oom = false;
		char **names = split_names(value, &oom);
		if (oom) {
			ld->oom = true;
		} else if (key[0] == 'r') {
			strv_free(p->requires);
			p->requires = names;
		} else {
			strv_free(p->after);
			p->after = names;
		}
	} else if (strcmp(key, "ready") == 0) {
		int fd;
		if (strcmp(value, "none") == 0)
			p->ready = READY_NONE;
		else if (strcmp(value, "startsecs") == 0)
			p->ready = READY_STARTSECS;
		else if (strcmp(value, "notify") == 0)
			p->ready = READY_NOTIFY;
		else if (strncmp(value, "fd:", 3) == 0 && parse_int(value + 3, 3, 1023, &fd)) {
			p->ready = READY_FD;
			p->ready_fd = fd;
		} else
			bad_value(src, line, key, value, "none, startsecs, notify or fd:N (N from 3 to 1023)");
	} else if (strcmp(key, "start_timeout") == 0) {
		int_value(src, line, key, value, 0, MAX_SECONDS, &p->start_timeout);
	} else if (strcmp(key, "watchdog_sec") == 0) {
		int_value(src, line, key, value, 0, MAX_SECONDS, &p->watchdog_sec);
	} else if (strcmp(key, "main") == 0) {
		if (!sandbox_parse_bool(value, &b))
			bad_value(src, line, key, value, "true or false");
		else
			p->main = b;
	} else if (strcmp(key, "stopasgroup") == 0 || strcmp(key, "killasgroup") == 0) {
		if (!sandbox_parse_bool(value, &b))
			bad_value(src, line, key, value, "true or false");
		else if (key[0] == 's')
			p->stopasgroup = b;
		else
			p->killasgroup = b;
	} else if (strcmp(key, "killmode") == 0) {
		if (strcasecmp(value, "group") == 0)
			p->killmode = KILLMODE_GROUP;
		else if (strcasecmp(value, "process") == 0)
			p->killmode = KILLMODE_PROCESS;
		else
			bad_value(src, line, key, value, "group or process");
	} else if (strcmp(key, "autorestart") == 0) {
		p->autorestart_set = true;
		if (strcasecmp(value, "unexpected") == 0)
			p->autorestart = AUTORESTART_UNEXPECTED;
		else if (sandbox_parse_bool(value, &b))
			p->autorestart = b ? AUTORESTART_TRUE : AUTORESTART_FALSE;
		else
			bad_value(src, line, key, value, "true, false or unexpected");
	} else if (strcmp(key, "startsecs") == 0) {
		int_value(src, line, key, value, 0, MAX_SECONDS, &p->startsecs);
	} else if (strcmp(key, "startretries") == 0) {
		int_value(src, line, key, value, 0, MAX_SECONDS, &p->startretries);
	} else if (strcmp(key, "stopwaitsecs") == 0) {
		int_value(src, line, key, value, 0, MAX_SECONDS, &p->stopwaitsecs);
	} else if (strcmp(key, "priority") == 0) {
		int_value(src, line, key, value, INT_MIN, INT_MAX, &p->priority);
		p->process_priority = p->priority;
	} else if (strcmp(key, "exitcodes") == 0) {
		uint8_t bits[32];
		if (parse_exitcodes(value, bits))
			memcpy(p->exitcodes, bits, sizeof bits);
		else
			bad_value(src, line, key, value,
				  "a comma-separated list of integers from 0 to 255");
	} else if (strcmp(key, "stopsignal") == 0) {
		int sig = signame_number(value);
		if (sig > 0)
			p->stopsignal = sig;
		else
			bad_value(src, line, key, value, "a signal name or number");
	} else if (strcmp(key, "umask") == 0) {
		unsigned u;
		if (parse_octal(value, 0777, &u))
			p->umask = (int)u;
		else
			bad_value(src, line, key, value, "an octal mask from 0 to 0777");
	} else if (strcmp(key, "environment") == 0) {
		char **env, *expanded = NULL;
		/* supervisord expands %(...)s here too; corral's own format
		 * keeps its values as written */
		if (ld->supervisord && !(value = expanded = expand_value(src, line, key, value,
									  p->name)))
			return;
		rc = parse_environment(value, &env, err, sizeof err);
		free(expanded);
		if (rc == -ENOMEM) {
			ld->oom = true;
		} else if (rc < 0) {
			src_error(src, line, "environment: %s", err);
		} else {
			strv_free(p->environment);
			p->environment = env;
		}
	} else if (strcmp(key, "directory") == 0) {
		if (!*value)
			bad_value(src, line, key, value, "a path");
		else
			replace(&p->directory, expand_value(src, line, key, value, p->name));
	} else if (sandbox_is_key(key)) {
		if (ld->no_nss && (strcmp(key, "user") == 0 || strcmp(key, "group") == 0 ||
				  strcmp(key, "supplementary_groups") == 0))
			return; /* no NSS in static corralctl: see check_programs() */
		rc = sandbox_set(&p->sandbox, key, value, err, sizeof err);
		if (rc == -ENOMEM)
			ld->oom = true;
		else if (rc == -EDOM)
			bad_value(src, line, key, value, err);
		else if (rc < 0)
			src_error(src, line, "%s", err);
	} else { /* stdout_logfile, stderr_logfile */
		int which = key[3] == 'e';
		char **field = which ? &p->stderr_logfile : &p->stdout_logfile;
		m->logfile_syslog[which] = false;
		if (!*value) {
			bad_value(src, line, key, value, "a path, AUTO or NONE");
		} else if (strcasecmp(value, "syslog") == 0) {
			/* what supervisord 4.2 still takes, with a warning, as
			 * _syslog = true and no file, whatever _syslog says */
			replace(field, xstrdup(ld, "NONE"));
			m->logfile_syslog[which] = true;
			src_warn(src, line, "%s = syslog is deprecated (as in supervisord): it is "
				 "%s_syslog = true without a log file", key, which ? "stderr" : "stdout");
		} else if (strcasecmp(value, "NONE") == 0)
			replace(field, xstrdup(ld, "NONE"));
		else if (strcasecmp(value, "AUTO") == 0)
			replace(field, NULL);
		else
			replace(field, expand_value(src, line, key, value, p->name));
	}
}

static void parse_file(struct loader *ld, const char *path, struct source *from, int from_line);

static void apply_include(struct source *src, int line, const char *value)
{
	struct loader *ld = src->ld;
	const char *p = value;

	src->include_files = true;
	while (*p) {
		while (is_space(*p))
			p++;
		if (!*p)
			break;
		const char *start = p;
		while (*p && !is_space(*p))
			p++;
		char *word = strndup(start, (size_t)(p - start));
		char *pattern = NULL, *expanded;
		if (!word) {
			ld->oom = true;
			return;
		}
		expanded = expand_value(src, line, "files", word, NULL);
		free(word);
		if (!expanded)
			continue;
		if (expanded[0] == '/' || !src->dir)
			pattern = expanded;
		else if (asprintf(&pattern, "%s/%s", src->dir, expanded) < 0)
			pattern = NULL;
		if (pattern != expanded)
			free(expanded);
		if (!pattern) {
			ld->oom = true;
			return;
		}
		glob_t g;
		int rc = glob(pattern, 0, NULL, &g);
		if (rc == 0) {
			for (size_t i = 0; i < g.gl_pathc; i++)
				parse_file(ld, g.gl_pathv[i], src, line);
		} else if (rc == GLOB_NOSPACE) {
			ld->oom = true;
		} else if (rc == GLOB_ABORTED) {
			src_error(src, line, "files: cannot read the directories of '%s'", pattern);
		}
		/* GLOB_NOMATCH: like supervisord, an unmatched pattern is fine */
		globfree(&g);
		free(pattern);
	}
}

/* supervisord expands %(process_num)d in each process's own values: give
 * each process its own where the program's section used it. The values
 * were checked as they were read (with the first process's number), so
 * only memory can fail here. */
static void make_instances(struct source *src)
{
	struct loader *ld = src->ld;
	struct program_config *p = &ld->progs[src->prog];
	struct program_meta *m = &ld->meta[src->prog];
	bool any = false;
	for (size_t k = 0; k < sizeof m->tmpl / sizeof m->tmpl[0]; k++) {
		/* %(ENV_X)s alone is the same for every process unless the
		 * environment differs */
		if (m->tmpl[k] && !m->tmpl[ENV_KEY] && !strstr(m->tmpl[k], "%(process_num)")) {
			free(m->tmpl[k]);
			m->tmpl[k] = NULL;
		}
		any |= m->tmpl[k] != NULL;
	}
	if (!any || ld->nerrors || ld->oom)
		goto out;
	p->instances = calloc((size_t)p->numprocs, sizeof *p->instances);
	if (!p->instances) {
		ld->oom = true;
		goto out;
	}
	for (int i = 0; i < p->numprocs; i++) {
		struct program_instance *in = &p->instances[i];
		struct vars vars = { .here = src->here, .program = p->name, .has_num = true,
				     .num = p->numprocs_start + i, .numprocs = p->numprocs,
				     .env = { NULL, ld->sd_environment } };
		char *v[5] = { NULL }, err[160];
		int rc = 0;
		/* the environment first: the others' %(ENV_X)s see it */
		if (m->tmpl[ENV_KEY] &&
		    (rc = expand(m->tmpl[ENV_KEY], &vars, &v[ENV_KEY], err, sizeof err)) == 0)
			rc = parse_environment(v[ENV_KEY], &in->environment, err, sizeof err);
		vars.env[0] = in->environment ? in->environment : p->environment;
		for (size_t k = 0; k < ENV_KEY && rc == 0; k++)
			if (m->tmpl[k])
				rc = expand(m->tmpl[k], &vars, &v[k], err, sizeof err);
		if (rc == 0 && v[0] && (rc = cmdline_split(v[0], &in->argv, err, sizeof err)) == 0)
			in->command = v[0], v[0] = NULL;
		in->directory = v[1];
		in->stdout_logfile = v[2];
		in->stderr_logfile = v[3];
		v[1] = v[2] = v[3] = NULL;
		free(v[0]);
		free(v[ENV_KEY]);
		if (rc < 0) {
			/* the same text with another number cannot turn bad, but say so if it does */
			if (rc == -ENOMEM)
				ld->oom = true;
			else
				src_error(src, src->section_line, "process %d: %s", vars.num, err);
			break;
		}
	}
out:
	for (size_t k = 0; k < sizeof m->tmpl / sizeof m->tmpl[0]; k++) {
		free(m->tmpl[k]);
		m->tmpl[k] = NULL;
	}
}

void program_config_instance(const struct program_config *p, int index,
			     struct program_instance *out)
{
	const struct program_instance *in =
		p->instances && index >= 0 && index < p->numprocs ? &p->instances[index] : NULL;
	out->argv = in && in->argv ? in->argv : p->argv;
	out->command = in && in->command ? in->command : p->command;
	out->directory = in && in->directory ? in->directory : p->directory;
	out->stdout_logfile = in && in->stdout_logfile ? in->stdout_logfile : p->stdout_logfile;
	out->stderr_logfile = in && in->stderr_logfile ? in->stderr_logfile : p->stderr_logfile;
	out->environment = in && in->environment ? in->environment : p->environment;
}

/* ---- supervisord's repeated keys: the prepass --------------------------- */

/* supervisord reads a file whole before it looks at a value; corral
 * applies each value as it reads it. So a supervisord config is read
 * twice: the prepass takes in only what the second pass must know before
 * its first line, which keys are set again further down their section
 * (supervisord keeps the last value: the second pass skips the others)
 * and [supervisord] environment (every program section may expand what it
 * sets, even one above it). */

/* The prepass: KEY of the current section is set at the current line;
 * when it was set before in the section, that earlier value is superseded. */
static void prepass_note_key(struct source *src, const char *key)
{
	struct loader *ld = src->ld;
	for (size_t i = 0; i < src->nklines; i++) {
		if (strcmp(src->klines[i].key, key) != 0)
			continue;
		struct superseded *v = reallocarray(ld->superseded, ld->nsuperseded + 1, sizeof *v);
		if (!v) {
			ld->oom = true;
			return;
		}
		ld->superseded = v;
		v[ld->nsuperseded++] = (struct superseded){ .fseq = src->fseq,
							    .line = src->klines[i].line,
							    .again = src->lineno };
		src->klines[i].line = src->lineno;
		return;
	}
	/* one entry per key of the section's tables: a bounded list */
	struct key_line *k = reallocarray(src->klines, src->nklines + 1, sizeof *k);
	if (!k) {
		ld->oom = true;
		return;
	}
	src->klines = k;
	k[src->nklines] = (struct key_line){ .key = strdup(key), .line = src->lineno };
	if (!k[src->nklines].key)
		ld->oom = true;
	else
		src->nklines++;
}

static void prepass_forget_keys(struct source *src)
{
	for (size_t i = 0; i < src->nklines; i++)
		free(src->klines[i].key);
	free(src->klines);
	src->klines = NULL;
	src->nklines = 0;
}

/* The prepass: a key's value is complete. */
static void prepass_key(struct source *src, const char *value)
{
	if (src->sect == SEC_CORRAL && strcmp(src->key, "environment") == 0) {
		apply_supervisord(src, src->key, src->key_line, value);
	} else if (src->sect == SEC_INCLUDE) {
		free(src->include_value);
		src->include_value = xstrdup(src->ld, value);
		src->include_line = src->key_line;
	}
}

static int superseded_cmp(const void *a, const void *b)
{
	const struct superseded *x = a, *y = b;
	if (x->fseq != y->fseq)
		return x->fseq < y->fseq ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

static struct superseded *superseded_find(struct loader *ld, int fseq, int line)
{
	struct superseded key = { .fseq = fseq, .line = line };
	if (!ld->nsuperseded)
		return NULL;
	return bsearch(&key, ld->superseded, ld->nsuperseded, sizeof key, superseded_cmp);
}

/* The prepass is done: sort what it found, and make each record name the
 * line whose value is used, the last of the key in its section. */
static void superseded_finish(struct loader *ld)
{
	if (ld->nsuperseded > 1)
		qsort(ld->superseded, ld->nsuperseded, sizeof *ld->superseded, superseded_cmp);
	for (size_t i = ld->nsuperseded; i-- > 0;) {
		struct superseded *next = superseded_find(ld, ld->superseded[i].fseq,
							  ld->superseded[i].again);
		if (next)
			ld->superseded[i].again = next->again;
	}
}

/* The value of the current key is complete: check and store it. */
static void finish_key(struct source *src)
{
	if (!src->collecting)
		return;
	src->collecting = false;
	const char *value = src->value.s ? src->value.s : "";
	if (src->ld->visit)
		src->ld->visit(src->ld->visit_arg,
			       &(struct config_item){ .file = src->name, .line = src->key_line,
						      .section = src->section, .key = src->key,
						      .value = value,
						      .superseded = src->superseded });
	if (src->visit_only) {
		src->visit_only = false;
		src->superseded = false;
		free(src->key);
		src->key = NULL;
		src->value.len = 0;
		return;
	}
	if (src->ld->pass == PASS_PREPASS) {
		prepass_key(src, value);
		free(src->key);
		src->key = NULL;
		src->value.len = 0;
		return;
	}
	struct program_meta *m = src->sect == SEC_PROGRAM ? &src->ld->meta[src->prog] : NULL;
	/* supervisord expands a program's command, directory and log files
	 * with its environment = wherever that is written in the section */
	bool after_env = m && src->ld->supervisord && program_env_key(src->key) &&
			 strstr(value, "%(ENV_");
	if (m && (after_env || (strstr(value, "%(numprocs)") &&
				!(m->keys & UINT64_C(1) << key_index(program_keys, "numprocs"))))) {
		struct pending_value *v = reallocarray(m->pending, m->npending + 1, sizeof *v);
		if (!v) {
			src->ld->oom = true;
		} else {
			m->pending = v;
			v[m->npending++] = (struct pending_value){ .key = src->key, .line = src->key_line,
								   .value = xstrdup(src->ld, value),
								   .after_env = after_env };
			src->key = NULL; /* now owned by the pending value */
		}
	} else if (src->sect == SEC_CORRAL)
		apply_corral(src, src->key, src->key_line, value);
	else if (src->sect == SEC_PROGRAM)
		apply_program(src, src->key, src->key_line, value);
	else if (src->sect == SEC_INCLUDE)
		apply_include(src, src->key_line, value);
	else if (src->sect == SEC_GROUP)
		apply_group(src, src->key, src->key_line, value);
	else if (src->sect == SEC_SOCKET)
		apply_socket(src, src->key, src->key_line, value);
	else if (src->sect == SEC_FOREIGN)
		apply_foreign(src, src->key, src->key_line, value);
	free(src->key);
	src->key = NULL;
	src->value.len = 0;
}

static void finish_section(struct source *src)
{
	finish_key(src);
	prepass_forget_keys(src);
	if (src->ld->pass == PASS_PREPASS && src->sect == SEC_INCLUDE && src->include_value) {
		apply_include(src, src->include_line, src->include_value);
		free(src->include_value);
		src->include_value = NULL;
	}
	if (src->sect == SEC_PROGRAM) {
		struct program_meta *m = &src->ld->meta[src->prog];
		/* environment (when it waited for numprocs) before what expands it */
		for (int round = 0; round < 2; round++)
			for (size_t i = 0; i < m->npending; i++) {
				struct pending_value *v = &m->pending[i];
				if (v->value && v->after_env == (round == 1))
					apply_program(src, v->key, v->line, v->value);
			}
		for (size_t i = 0; i < m->npending; i++) {
			free(m->pending[i].key);
			free(m->pending[i].value);
		}
		free(m->pending);
		m->pending = NULL;
		m->npending = 0;
		make_instances(src);
		struct program_config *p = &src->ld->progs[src->prog];
		uint64_t fk = m->fcgi_keys;
		if (p->is_fcgi && !(fk & 1))
			src_error(src, src->section_line, "missing socket");
		else if (p->is_fcgi && p->fcgi_socket && p->fcgi_socket->kind != SOCKET_UNIX &&
			 (fk & (UINT64_C(1) << key_index(fcgi_keys, "socket_owner") |
				UINT64_C(1) << key_index(fcgi_keys, "socket_mode"))))
			src_error(src, src->section_line,
				  "socket_owner and socket_mode are for unix:// sockets only");
		if (p->is_listener && !(m->listener_keys & UINT64_C(1) << key_index(listener_keys, "events")))
			src_error(src, src->section_line, "missing events");
		if (p->is_listener && p->redirect_stderr)
			src_error(src, src->section_line, "redirect_stderr = true is not allowed: it "
							  "would mix stderr into the listener protocol");
	}
	if (src->sect == SEC_FOREIGN) {
		if (src->foreign == SUPERVISORD_UNIX_HTTP || src->foreign == SUPERVISORD_INET_HTTP)
			finish_http(src);
		else if (src->foreign == SUPERVISORD_RPC &&
			 strcmp(src->section, "rpcinterface:supervisor") == 0)
			; /* the interface corrald serves itself */
		else if (supervisord_section_note(src->foreign)[0])
			src_warn(src, src->section_line, "%s", supervisord_section_note(src->foreign));
	}
	if (src->sect == SEC_INCLUDE && !src->include_files)
		src_error(src, src->section_line, "missing files");
	if (src->sect == SEC_GROUP && !src->ld->groups[src->group].programs)
		src_error(src, src->section_line, "missing programs");
	if (src->sect == SEC_SOCKET) {
		uint64_t keys = src->ld->smeta[src->sock].keys;
		if (!(keys & UINT64_C(1) << key_index(socket_keys, "listen")))
			src_error(src, src->section_line, "missing listen");
		if (!(keys & UINT64_C(1) << key_index(socket_keys, "program")))
			src_error(src, src->section_line, "missing program");
	}
	src->sect = SEC_NONE;
	free(src->section);
	src->section = NULL;
}

static const char name_rule[] = "it must be non-empty, without whitespace, ':', '/' or '*'";

/* The kernel names the files of every cgroup CONTROLLER.KEY (cgroup.procs,
 * memory.max, cpu.pressure); corrald makes a cgroup per process in its
 * scope beside those files, so a process may not take such a name. */
static const char *const cgroup_file_prefixes[] = {
	"cgroup", "cpu", "cpuset", "debug", "dmem", "hugetlb", "io", "irq", "memory", "misc",
	"perf_event", "pids", "rdma", NULL,
};

const char *config_name_problem(const char *s)
{
	if (!*s)
		return name_rule;
	for (const char *c = s; *c; c++)
		if ((unsigned char)*c <= ' ' || *c == 0x7f || strchr(":/*", *c))
			return name_rule;
	/* its cgroup would be corrald's own or its parent, its log file a
	 * directory (cgroup.c and supervisor.c refuse them too) */
	if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return "'.' and '..' name directories: its cgroup and log files would not be its own";
	const char *dot = strchr(s, '.');
	for (int i = 0; dot && cgroup_file_prefixes[i]; i++)
		if (strlen(cgroup_file_prefixes[i]) == (size_t)(dot - s) &&
		    strncmp(s, cgroup_file_prefixes[i], (size_t)(dot - s)) == 0)
			return "names that start with a cgroup controller and '.', as cgroup.procs "
			       "or memory.max, are the kernel's files in every cgroup";
	return NULL;
}

static bool valid_name(const char *s)
{
	return !config_name_problem(s);
}

static int new_program(struct loader *ld, const char *name, const char *file, int line,
		       int fseq)
{
	if (ld->nprogs == ld->progcap) {
		size_t cap = ld->progcap ? ld->progcap * 2 : 8;
		struct program_config *p = realloc(ld->progs, cap * sizeof *p);
		if (!p)
			return -ENOMEM;
		ld->progs = p;
		struct program_meta *m = realloc(ld->meta, cap * sizeof *m);
		if (!m)
			return -ENOMEM;
		ld->meta = m;
		ld->progcap = cap;
	}
	struct program_config *p = &ld->progs[ld->nprogs];
	*p = (struct program_config){
		.line = line,
		.numprocs = 1,
		.autostart = true,
		.autorestart = AUTORESTART_UNEXPECTED,
		.startsecs = 1,
		.startretries = 3,
		.exitcodes = { 1 }, /* {0} */
		.stopsignal = SIGTERM,
		.stopwaitsecs = 10,
		.killmode = KILLMODE_GROUP,
		.killasgroup = true,
		.stdout_maxbytes = 50 * 1024 * 1024,
		.stderr_maxbytes = 50 * 1024 * 1024,
		.stdout_backups = 10,
		.stderr_backups = 10,
		.log_line_max = 16 * 1024,
		.start_timeout = 90,
		.log_buffer = 64 * 1024,
		.umask = -1,
		.priority = 999,
		.process_priority = 999,
	};
	sandbox_init(&p->sandbox);
	ld->meta[ld->nprogs] = (struct program_meta){ .command = CMD_MISSING, .fseq = fseq };
	p->name = strdup(name);
	p->file = strdup(file);
	p->process_name = strdup("%(program_name)s");
	p->environment = calloc(1, sizeof *p->environment);
	ld->nprogs++; /* counted even when half-built, so that it is freed */
	if (!p->name || !p->file || !p->process_name || !p->environment)
		return -ENOMEM;
	return 0;
}

static int new_group(struct loader *ld, const char *name, const char *file, int line, int fseq)
{
	if (ld->ngroups == ld->groupcap) {
		size_t cap = ld->groupcap ? ld->groupcap * 2 : 4;
		struct group_config *g = realloc(ld->groups, cap * sizeof *g);
		if (!g)
			return -ENOMEM;
		ld->groups = g;
		struct group_meta *m = realloc(ld->gmeta, cap * sizeof *m);
		if (!m)
			return -ENOMEM;
		ld->gmeta = m;
		ld->groupcap = cap;
	}
	struct group_config *g = &ld->groups[ld->ngroups];
	*g = (struct group_config){
		.line = line,
		.strategy = STRATEGY_ONE_FOR_ONE,
		.restart_period = 60,
	};
	ld->gmeta[ld->ngroups] = (struct group_meta){ .fseq = fseq };
	g->name = strdup(name);
	g->file = strdup(file);
	ld->ngroups++; /* counted even when half-built, so that it is freed */
	if (!g->name || !g->file)
		return -ENOMEM;
	return 0;
}

static int new_socket(struct loader *ld, const char *name, const char *file, int line, int fseq)
{
	if (ld->nsocks == ld->sockcap) {
		size_t cap = ld->sockcap ? ld->sockcap * 2 : 4;
		struct socket_config *s = reallocarray(ld->socks, cap, sizeof *s);
		if (!s)
			return -ENOMEM;
		ld->socks = s;
		struct socket_meta *m = reallocarray(ld->smeta, cap, sizeof *m);
		if (!m)
			return -ENOMEM;
		ld->smeta = m;
		ld->sockcap = cap;
	}
	struct socket_config *s = &ld->socks[ld->nsocks];
	*s = (struct socket_config){ .line = line, .backlog = 128, .socket_mode = 0666 };
	ld->smeta[ld->nsocks] = (struct socket_meta){ .fseq = fseq };
	s->name = strdup(name);
	s->file = strdup(file);
	ld->nsocks++; /* counted even when half-built, so that it is freed */
	if (!s->name || !s->file)
		return -ENOMEM;
	return 0;
}

/* A socket's name goes into LISTEN_FDNAMES: systemd's rules for those
 * (printable ASCII, no ':', at most 255 bytes) on top of valid_name()'s. */
static bool valid_socket_chars(const char *s)
{
	if (config_name_problem(s) == name_rule || strlen(s) > SOCKET_NAME_MAX)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s > 0x7e)
			return false;
	return true;
}

static void begin_section(struct source *src, const char *name, size_t len)
{
	struct loader *ld = src->ld;

	finish_section(src);
	src->prev_key = false;
	src->section_line = src->lineno;
	if (!(src->section = strndup(name, len))) {
		ld->oom = true;
		src->sect = SEC_SKIP;
		return;
	}
	const char *sname = src->section;
	int type, sd;
	if (ld->visit)
		ld->visit(ld->visit_arg, &(struct config_item){ .file = src->name, .line = src->lineno,
								 .section = sname });
	if (strcmp(sname, "corral") == 0 || strcmp(sname, "supervisord") == 0) {
		type = SEC_CORRAL;
	} else if (strcmp(sname, "include") == 0) {
		type = SEC_INCLUDE;
		src->include_files = false;
	} else if (strncmp(sname, "program:", 8) == 0 || strncmp(sname, "pool:", 5) == 0 ||
		   strncmp(sname, "fcgi-program:", 13) == 0 ||
		   strncmp(sname, "eventlistener:", 14) == 0) {
		/* A pool is a program whose processes are its workers. */
		type = SEC_PROGRAM;
		const char *pname = strchr(sname, ':') + 1;
		const char *why = config_name_problem(pname);
		if (why) {
			src_error(src, src->lineno, "bad program name '%.*s%s' (%s)", SHOW(pname), why);
			type = SEC_SKIP;
		} else if (strcmp(pname, "all") == 0) {
			src_error(src, src->lineno, "bad program name 'all' (reserved)");
			type = SEC_SKIP;
		}
	} else if (strncmp(sname, "group:", 6) == 0 || strncmp(sname, "pipeline:", 9) == 0) {
		type = SEC_GROUP;
		const char *gname = sname + (sname[0] == 'g' ? 6 : 9);
		const char *why = config_name_problem(gname);
		if (why) {
			src_error(src, src->lineno, "bad group name '%.*s%s' (%s)", SHOW(gname), why);
			type = SEC_SKIP;
		} else if (strcmp(gname, "all") == 0) {
			src_error(src, src->lineno, "bad group name 'all' (reserved)");
			type = SEC_SKIP;
		}
	} else if (strncmp(sname, "socket:", 7) == 0) {
		type = SEC_SOCKET;
		if (!valid_socket_chars(sname + 7)) {
			src_error(src, src->lineno,
				  "bad socket name '%s' (it must be non-empty printable ASCII, "
				  "without whitespace, ':', '/' or '*', at most %d bytes)",
				  sname + 7, SOCKET_NAME_MAX);
			type = SEC_SKIP;
		} else if (config_name_problem(sname + 7)) {
			src_error(src, src->lineno, "bad socket name '%s' (%s)", sname + 7,
				  config_name_problem(sname + 7));
			type = SEC_SKIP;
		}
	} else if ((sd = supervisord_section(sname)) != SUPERVISORD_NONE) {
		type = SEC_FOREIGN;
		src->foreign = sd;
		src->foreign_keys = 0;
	} else {
		src_unknown(src, src->lineno, "unknown section");
		type = SEC_SKIP;
	}
	src->sect = type;
	if (type == SEC_SKIP)
		return;

	/* [include] may appear once in each file; the others once overall */
	for (size_t i = 0; i < ld->nseen; i++) {
		struct seen_section *s = &ld->seen[i];
		if (strcmp(s->name, sname) == 0 &&
		    (type != SEC_INCLUDE || strcmp(s->file, src->name) == 0)) {
			src_error(src, src->lineno, "duplicate section (first at %s:%d)", s->file,
				  s->line);
			src->sect = SEC_SKIP;
			return;
		}
	}
	struct seen_section *v = realloc(ld->seen, (ld->nseen + 1) * sizeof *v);
	if (!v) {
		ld->oom = true;
		src->sect = SEC_SKIP;
		return;
	}
	ld->seen = v;
	v[ld->nseen] = (struct seen_section){ .name = strdup(sname), .file = strdup(src->name),
					      .line = src->lineno };
	ld->nseen++;
	if (!v[ld->nseen - 1].name || !v[ld->nseen - 1].file)
		ld->oom = true;

	if (type == SEC_PROGRAM) {
		bool pool = strncmp(sname, "pool:", 5) == 0;
		if (new_program(ld, strchr(sname, ':') + 1, src->name, src->lineno, src->fseq) < 0 ||
		    (pool && poolcfg_init(&ld->progs[ld->nprogs - 1]) < 0)) {
			ld->oom = true;
			src->sect = SEC_SKIP;
			return;
		}
		src->prog = ld->nprogs - 1;
		if (sname[0] == 'f') { /* supervisord's defaults */
			ld->progs[src->prog].is_fcgi = true;
			ld->progs[src->prog].fcgi_backlog = SOMAXCONN;
			ld->progs[src->prog].fcgi_mode = 0700;
		}
		if (strncmp(sname, "eventlistener:", 14) == 0) {
			struct program_config *p = &ld->progs[src->prog];
			p->is_listener = true;
			p->buffer_size = 10;
			/* supervisord's: the pool starts first and stops last,
			 * its processes keep 999 among themselves */
			p->priority = -1;
		}
	} else if (type == SEC_GROUP) {
		bool pipeline = sname[0] == 'p';
		if (new_group(ld, sname + (pipeline ? 9 : 6), src->name, src->lineno, src->fseq) < 0) {
			ld->oom = true;
			src->sect = SEC_SKIP;
			return;
		}
		src->group = ld->ngroups - 1;
		ld->groups[src->group].pipeline = pipeline;
	} else if (type == SEC_SOCKET) {
		if (new_socket(ld, sname + 7, src->name, src->lineno, src->fseq) < 0) {
			ld->oom = true;
			src->sect = SEC_SKIP;
			return;
		}
		src->sock = ld->nsocks - 1;
	}
}

/* A "NAME=value" line starts a new key (NAME is not empty). */
static void begin_key(struct source *src, const char *name, size_t len)
{
	struct loader *ld = src->ld;
	const char *const *keys = NULL;
	uint64_t *seen = NULL, include_seen = src->include_files ? 1 : 0;

	finish_key(src);
	src->prev_key = true;
	char *key = strndup(name, len);
	if (!key) {
		ld->oom = true;
		return;
	}
	switch (src->sect) {
	case SEC_NONE:
		src_error(src, src->lineno, "key '%s' outside any section", key);
		free(key);
		return;
	case SEC_SKIP:
		if (ld->visit && src->section)
			goto visit_only;
		free(key);
		return;
	case SEC_CORRAL:
		keys = corral_keys;
		seen = &ld->corral_keys;
		if (key_index(keys, key) < 0 &&
		    key_index(supervisord_keys(SUPERVISORD_MAIN), key) >= 0) {
			keys = supervisord_keys(SUPERVISORD_MAIN);
			seen = &ld->sd_main_keys;
		}
		break;
	case SEC_PROGRAM:
		keys = program_keys;
		seen = &ld->meta[src->prog].keys;
		if (ld->progs[src->prog].is_pool && key_index(poolcfg_keys, key) >= 0) {
			keys = poolcfg_keys;
			seen = &ld->progs[src->prog].pool.seen;
		} else if (ld->progs[src->prog].is_fcgi && key_index(fcgi_keys, key) >= 0) {
			keys = fcgi_keys;
			seen = &ld->meta[src->prog].fcgi_keys;
		} else if (ld->progs[src->prog].is_listener && key_index(listener_keys, key) >= 0) {
			keys = listener_keys;
			seen = &ld->meta[src->prog].listener_keys;
		} else if (key_index(keys, key) < 0 &&
			   key_index(supervisord_program_keys, key) >= 0) {
			keys = supervisord_program_keys;
			seen = &ld->meta[src->prog].sd_keys;
		}
		break;
	case SEC_FOREIGN:
		keys = supervisord_keys(src->foreign);
		seen = &src->foreign_keys;
		if (!keys) { /* a factory's section: its keys are the factory's */
			if (ld->visit)
				goto visit_only;
			free(key);
			return;
		}
		break;
	case SEC_GROUP:
		keys = group_keys;
		seen = &ld->gmeta[src->group].keys;
		break;
	case SEC_SOCKET:
		keys = socket_keys;
		seen = &ld->smeta[src->sock].keys;
		break;
	default:
		keys = include_keys;
		seen = &include_seen;
		break;
	}
	int i = key_index(keys, key);
	if (i < 0) {
		src_unknown(src, src->lineno, "unknown key '%s'", key);
		if (ld->visit)
			goto visit_only;
		free(key);
		return;
	}
	if (ld->pass == PASS_PREPASS) {
		prepass_note_key(src, key);
	} else if (ld->supervisord) {
		struct superseded *again = superseded_find(ld, src->fseq, src->lineno);
		if (again) {
			src_warn(src, src->lineno, "duplicate key '%s': supervisord takes the "
				 "last value, at line %d", key, again->again);
			src->superseded = true;
			if (ld->visit)
				goto visit_only;
			src->superseded = false;
			free(key);
			return;
		}
	}
	/* the prepass reads on: the last value is the one it needs */
	if ((*seen & (UINT64_C(1) << i)) && ld->pass != PASS_PREPASS) {
		src_error(src, src->lineno, "duplicate key '%s'", key);
		free(key);
		return;
	}
	*seen |= UINT64_C(1) << i;
	if (src->sect == SEC_INCLUDE)
		src->include_files = true;
	src->collecting = true;
	src->key = key; /* now owned by src */
	src->key_line = src->lineno;
	src->value.len = 0;
	return;
visit_only: /* config_visit() wants it all, corral's or not */
	src->visit_only = true;
	src->collecting = true;
	src->key = key; /* now owned by src */
	src->key_line = src->lineno;
	src->value.len = 0;
}

/* Hand inih the next piece of the current value. */
static void emit_piece(struct source *src, char *str, int num, int kind)
{
	size_t room = (size_t)num - 8; /* " \x01" ... "\x01" NUL, and a margin */
	char *o = str;

	if (kind == LK_KEY) {
		size_t n = strlen(src->key ? src->key : "k");
		if (n > KEY_SHOWN)
			n = KEY_SHOWN;
		memcpy(o, src->key ? src->key : "k", n);
		o += n;
		*o++ = '=';
		room -= n;
	} else {
		*o++ = ' ';
	}
	size_t take = src->restlen < room ? src->restlen : room;
	*o++ = MARK;
	memcpy(o, src->rest, take);
	o += take;
	*o++ = MARK;
	*o = '\0';
	src->rest += take;
	src->restlen -= take;
	src->more = src->restlen > 0;
	src->kind = kind;
}

/* Where inih's own scan would stop: at one of CHARS, or at a ';' comment
 * that follows whitespace. */
static const char *find_or_comment(const char *s, const char *chars)
{
	bool was_space = false;
	for (; *s; s++) {
		if ((chars && strchr(chars, *s)) || (was_space && *s == ';'))
			break;
		was_space = is_space(*s);
	}
	return s;
}

static char *rstrip(char *start, char *end)
{
	while (end > start && is_space(end[-1]))
		end--;
	*end = '\0';
	return end;
}

/* Read one physical line into src->line, without its newline. A NUL byte
 * is kept in it (take_line() reports it). */
static bool read_line(struct source *src, size_t *len)
{
	if (src->eof || !src->textlen) {
		src->eof = true;
		return false;
	}
	const char *nl = memchr(src->text, '\n', src->textlen);
	size_t n = nl ? (size_t)(nl - src->text) : src->textlen;
	if (n + 1 > src->linecap) {
		char *p = realloc(src->line, n + 1);
		if (!p) {
			src->ld->oom = true;
			src->eof = true;
			return false;
		}
		src->line = p;
		src->linecap = n + 1;
	}
	memcpy(src->line, src->text, n);
	src->line[n] = '\0';
	src->text += nl ? n + 1 : n;
	src->textlen -= nl ? n + 1 : n;
	*len = n;
	return true;
}

/* Turn the next physical line into what inih should see in STR. Mirrors the
 * decisions of inih's ini_parse_stream() so that both agree on every line. */
static void take_line(struct source *src, size_t len, char *str, int num)
{
	char *line = src->line;
	str[0] = '\0';
	src->kind = LK_NONE;

	if (len > MAX_LINE_BYTES) {
		src_error(src, src->lineno, "line too long (more than %d bytes)", MAX_LINE_BYTES);
		return;
	}
	if (strlen(line) != len) {
		src_error(src, src->lineno, "NUL byte in line");
		return;
	}
	if (src->lineno == 1 && len >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0)
		line += 3;
	char *end = rstrip(line, line + strlen(line));
	char *start = line;
	while (is_space(*start))
		start++;

	if (!*start || *start == ';' || *start == '#')
		return; /* blank or comment: inih ignores "" */

	if (src->prev_key && start > line) {
		/* configparser-style continuation of the previous key */
		end = (char *)find_or_comment(start, NULL);
		end = rstrip(start, end);
		src->rest = start;
		src->restlen = (size_t)(end - start);
		if (src->collecting && src->value.len && buf_add(&src->value, " ", 1) < 0)
			src->ld->oom = true;
		emit_piece(src, str, num, LK_CONT);
		return;
	}
	if (*start == '[') {
		end = (char *)find_or_comment(start + 1, "]");
		if (*end == ']') {
			size_t n = (size_t)(end - start - 1);
			begin_section(src, start + 1, n);
			/* inih gets a stand-in when the real name would not fit */
			snprintf(str, (size_t)num, "[%.*s]", n + 8 < (size_t)num ? (int)n : 1,
				 n + 8 < (size_t)num ? start + 1 : "-");
			return;
		}
		src_error(src, src->lineno, "syntax error: missing ']'");
	} else {
		end = (char *)find_or_comment(start, "=:");
		if (*end == '=' || *end == ':') {
			char sep = *end;
			char *name_end = rstrip(start, end);
			if (name_end == start) {
				src_error(src, src->lineno, "syntax error: missing key before '%c'",
					  sep);
				src->prev_key = false;
				return;
			}
			char *value = end + 1;
			char *vend = (char *)find_or_comment(value, NULL);
			while (is_space(*value) && value < vend)
				value++;
			vend = rstrip(value, vend);
			begin_key(src, start, (size_t)(name_end - start));
			src->rest = value;
			src->restlen = (size_t)(vend - value);
			emit_piece(src, str, num, LK_KEY);
			return;
		}
		src_error(src, src->lineno, "syntax error: expected KEY=VALUE, [SECTION] or a comment");
	}
	/* Let inih see (and reject) the line too; it must not look indented. */
	snprintf(str, (size_t)num / 2, "%s", start);
	if (!src->first_syntax)
		src->first_syntax = src->logical + 1;
}

static char *reader(char *str, int num, void *stream)
{
	struct source *src = stream;
	size_t len;

	if (num < 64)
		return NULL; /* cannot happen with inih's 200 */
	if (src->more) {
		emit_piece(src, str, num, LK_MORE);
	} else {
		if (!read_line(src, &len)) {
			finish_section(src);
			return NULL;
		}
		src->lineno++;
		take_line(src, len, str, num);
	}
	src->logical++;
	return str;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct source *src = user;
	size_t n = strlen(value);

	/* every value we hand out is wrapped in MARKs; anything else is not ours */
	if (src->kind == LK_NONE || n < 2 || value[0] != MARK || value[n - 1] != MARK)
		return 1;
	if (src->collecting && buf_add(&src->value, value + 1, n - 2) < 0)
		src->ld->oom = true;
	return 1;
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return NULL;
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

static void parse_source(struct loader *ld, struct source *src)
{
	bool ok = true;
	src->ld = ld;
	src->fseq = ++ld->nfiles;
	if (strchr(src->name, '/'))
		ok = (src->dir = dir_of(src->name)) != NULL;
	src->here = realpath(src->dir ? src->dir : ".", NULL);
	if (!src->here)
		src->here = strdup(src->dir ? src->dir : ".");
	if (!ok || !src->here) {
		ld->oom = true;
	} else {
		int rc = ini_parse_stream(reader, src, handler, src);
		if (rc == -2)
			ld->oom = true;
		else if (rc > 0 && rc != src->first_syntax)
			add_error(ld, src->fseq, src->name, 0, NULL, "syntax error");
	}
	finish_section(src);
	free(src->key);
	free(src->value.s);
	free(src->line);
	free(src->dir);
	free(src->here);
	free(src->include_value);
	prepass_forget_keys(src);
}

/* File systems whose "regular files" are the kernel's: one may never end
 * (/proc/self/pagemap), block, or change what it says while it is read. */
static const struct {
	unsigned long magic;
	const char *name;
} pseudo_fs[] = {
	{ PROC_SUPER_MAGIC, "proc" }, { SYSFS_MAGIC, "sysfs" }, { DEBUGFS_MAGIC, "debugfs" },
	{ TRACEFS_MAGIC, "tracefs" }, { SECURITYFS_MAGIC, "securityfs" },
	{ CGROUP_SUPER_MAGIC, "cgroup" }, { CGROUP2_SUPER_MAGIC, "cgroup2" },
	{ BPF_FS_MAGIC, "bpf" }, { EFIVARFS_MAGIC, "efivarfs" }, { PSTOREFS_MAGIC, "pstore" },
	{ SELINUX_MAGIC, "selinuxfs" }, { SMACK_MAGIC, "smackfs" },
	{ BINFMTFS_MAGIC, "binfmt_misc" }, { NSFS_MAGIC, "nsfs" },
	{ 0x62656570, "configfs" },     /* CONFIGFS_MAGIC, not in every linux/magic.h */
	{ 0x65735543, "fusectl" },      /* FUSE_CTL_SUPER_MAGIC, likewise */
};

/* Read the config file PATH whole into *TEXT (heap, NUL-terminated, owned
 * by the caller) and its identity into *ST. Only a regular file of a real
 * file system is read, at most MAX_FILE_BYTES of it and MAX_TOTAL_BYTES for
 * all the files of a load, so that --check ends whatever it is pointed at.
 * On failure the reason is reported at FROM:FROM_LINE (the [include] that
 * named it; NULL for the main file) and *TEXT is NULL. */
static int read_config_file(struct loader *ld, const char *path, struct source *from,
			    int from_line, char **text, size_t *len, struct stat *st)
{
	const char *file = from ? from->name : NULL;
	const char *section = from ? from->section : NULL;
	int fseq = from ? from->fseq : 0;
	struct statfs sfs;
	char *buf = NULL;
	size_t n = 0, cap = 0;
	int rc = -EINVAL;

	*text = NULL;
	*len = 0;
	/* O_NONBLOCK: opening a FIFO for reading would wait for a writer */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		add_error(ld, fseq, file, from_line, section, "cannot open %s: %s", path, strerror(errno));
		return -errno;
	}
	if (fstat(fd, st) < 0 || fstatfs(fd, &sfs) < 0) {
		rc = -errno;
		add_error(ld, fseq, file, from_line, section, "cannot open %s: %s", path, strerror(-rc));
		goto out;
	}
	if (!S_ISREG(st->st_mode)) {
		add_error(ld, fseq, file, from_line, section, "cannot open %s: %s", path,
			  S_ISDIR(st->st_mode) ? strerror(EISDIR) : "not a regular file");
		goto out;
	}
	for (size_t i = 0; i < sizeof pseudo_fs / sizeof pseudo_fs[0]; i++)
		if ((unsigned long)sfs.f_type == pseudo_fs[i].magic) {
			add_error(ld, fseq, file, from_line, section,
				  "cannot read %s: not a regular file on a real file system (%s)", path,
				  pseudo_fs[i].name);
			goto out;
		}
	for (int i = 0; i < ld->depth; i++) {
		if (ld->open[i].known && ld->open[i].dev == st->st_dev &&
		    ld->open[i].ino == st->st_ino) {
			add_error(ld, fseq, file, from_line, section,
				  "include cycle: %s is already being read", path);
			goto out;
		}
	}
	/* st_size is only a hint (a file may grow while it is read): the
	 * bounds are kept by counting what is read, one byte past them at most */
	size_t left = MAX_TOTAL_BYTES - ld->total_bytes;
	size_t want = (left < MAX_FILE_BYTES ? left : MAX_FILE_BYTES) + 1;
	for (;;) {
		if (n + 1 >= cap) {
			size_t ncap = cap ? cap * 2 : 4096;
			if (ncap > want + 1)
				ncap = want + 1;
			char *p = realloc(buf, ncap);
			if (!p) {
				ld->oom = true;
				rc = -ENOMEM;
				goto out;
			}
			buf = p;
			cap = ncap;
		}
		ssize_t r = io_read_some(fd, buf + n, cap - 1 - n);
		if (r < 0) {
			rc = (int)r;
			add_error(ld, fseq, file, from_line, section, "cannot read %s: %s", path,
				  strerror(-rc));
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n >= want) {
			if (n > MAX_FILE_BYTES)
				add_error(ld, fseq, file, from_line, section,
					  "cannot read %s: larger than %d MiB, the most one config "
					  "file may hold", path, MAX_FILE_BYTES >> 20);
			else
				add_error(ld, fseq, file, from_line, section,
					  "cannot read %s: the config files together are larger than "
					  "%d MiB, the most they may hold", path, MAX_TOTAL_BYTES >> 20);
			goto out;
		}
	}
	buf[n] = '\0';
	ld->total_bytes += n;
	*text = buf; /* now owned by the caller */
	*len = n;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	close(fd);
	return rc;
}

static void parse_file(struct loader *ld, const char *path, struct source *from, int from_line)
{
	struct stat st;
	char *text;
	size_t len;

	if (ld->depth > MAX_INCLUDE_DEPTH) {
		add_error(ld, from ? from->fseq : 0, from ? from->name : NULL, from_line,
			  from ? from->section : NULL,
			  "cannot include %s: includes nested more than %d deep", path,
			  MAX_INCLUDE_DEPTH);
		return;
	}
	if (read_config_file(ld, path, from, from_line, &text, &len, &st) < 0)
		return;
	ld->open[ld->depth].dev = st.st_dev;
	ld->open[ld->depth].ino = st.st_ino;
	ld->open[ld->depth].known = true;
	ld->depth++;
	struct source src = { .name = path, .text = text, .textlen = len };
	parse_source(ld, &src);
	ld->depth--;
	free(text);
}

/* ---- whole-config checks ---------------------------------------------- */

struct pname {
	char *full;     /* as corrald names it: NAME or GROUP:PROCESS */
	char *flat;     /* with ':' as '_', as in default log file names */
	size_t prog;
};

static int pname_cmp(const void *a, const void *b)
{
	const struct pname *x = a, *y = b;
	int c = strcmp(x->flat, y->flat);
	if (c)
		return c;
	return x->prog < y->prog ? -1 : x->prog > y->prog;
}

static void prog_error(struct loader *ld, struct program_config *p, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The kind of section P was written as: "program", "pool" ... */
static const char *prog_kind(const struct program_config *p)
{
	return p->is_pool ? "pool" : p->is_fcgi ? "fcgi-program" :
	       p->is_listener ? "eventlistener" : "program";
}

static void prog_error(struct loader *ld, struct program_config *p, const char *fmt, ...)
{
	char *section;
	if (asprintf(&section, "%s:%s", prog_kind(p), p->name) < 0) {
		ld->oom = true;
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	add_verror(ld, ld->meta[p - ld->progs].fseq, p->file, p->line, section, fmt, ap);
	va_end(ap);
	free(section);
}

static void group_error(struct loader *ld, struct group_config *g, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void group_error(struct loader *ld, struct group_config *g, const char *fmt, ...)
{
	char *section;
	if (asprintf(&section, "%s:%s", g->pipeline ? "pipeline" : "group", g->name) < 0) {
		ld->oom = true;
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	add_verror(ld, ld->gmeta[g - ld->groups].fseq, g->file, g->line, section, fmt, ap);
	va_end(ap);
	free(section);
}

/* Every program a group lists exists and is in no other group; members
 * take the group's name as their prefix, and its priority when it has one. */
static struct program_config *prog_by_name(struct loader *ld, const char *name)
{
	for (size_t k = 0; k < ld->nprogs; k++)
		if (ld->progs[k].name && strcmp(ld->progs[k].name, name) == 0)
			return &ld->progs[k];
	return NULL;
}

/* requires and after name programs that exist, and never a cycle: a
 * program that waits (through others) for itself would never start. */
static void check_deps(struct loader *ld)
{
	size_t n = ld->nprogs;
	for (size_t i = 0; i < n; i++) {
		struct program_config *p = &ld->progs[i];
		for (int k = 0; k < 2; k++)
			for (char **d = k ? p->after : p->requires; d && *d; d++) {
				if (!prog_by_name(ld, *d))
					prog_error(ld, p, "%s: unknown program '%s'", k ? "after" : "requires", *d);
				else if (strcmp(*d, p->name) == 0)
					prog_error(ld, p, "%s: a program cannot wait for itself",
						   k ? "after" : "requires");
			}
	}
	/* Depth-first, colouring 0 new, 1 on the path, 2 done; an edge back to
	 * the path is a cycle, reported once at the program that closes it. */
	unsigned char *colour = calloc(n ? n : 1, 1);
	size_t *stack = calloc(n ? n : 1, sizeof *stack), *edge = calloc(n ? n : 1, sizeof *edge);
	if (!colour || !stack || !edge) {
		ld->oom = true;
		goto out;
	}
	for (size_t root = 0; root < n; root++) {
		if (colour[root])
			continue;
		size_t sp = 0;
		stack[sp] = root;
		edge[sp] = 0;
		colour[root] = 1;
		while (1) {
			struct program_config *p = &ld->progs[stack[sp]];
			size_t nreq = 0, naft = 0;
			while (p->requires && p->requires[nreq])
				nreq++;
			while (p->after && p->after[naft])
				naft++;
			if (edge[sp] < nreq + naft) {
				const char *dn = edge[sp] < nreq ? p->requires[edge[sp]] : p->after[edge[sp] - nreq];
				edge[sp]++;
				struct program_config *d = prog_by_name(ld, dn);
				if (!d || d == p)
					continue;
				size_t di = (size_t)(d - ld->progs);
				if (colour[di] == 1) {
					/* The cycle is the path from D back to P, then D. */
					char path[512] = "";
					size_t len = 0, j = 0;
					while (j < sp && stack[j] != di)
						j++;
					for (; j <= sp && len < sizeof path; j++)
						len += (size_t)snprintf(path + len, sizeof path - len, "%s -> ",
									ld->progs[stack[j]].name);
					if (len < sizeof path)
						snprintf(path + len, sizeof path - len, "%s", d->name);
					prog_error(ld, p, "dependency cycle: %s", path);
				} else if (colour[di] == 0) {
					colour[di] = 1;
					stack[++sp] = di;
					edge[sp] = 0;
				}
				continue;
			}
			colour[stack[sp]] = 2;
			if (sp == 0)
				break;
			sp--;
		}
	}
out:
	free(colour);
	free(stack);
	free(edge);
}

static void check_groups(struct loader *ld)
{
	for (size_t i = 0; i < ld->ngroups; i++) {
		struct group_config *g = &ld->groups[i];
		if (!g->name || !g->file || !g->programs)
			continue;
		for (size_t j = 0; j < i; j++)
			if (ld->groups[j].name && strcmp(ld->groups[j].name, g->name) == 0)
				group_error(ld, g, "the name '%s' is also [%s:%s] at %s:%d", g->name,
					    ld->groups[j].pipeline ? "pipeline" : "group", g->name,
					    ld->groups[j].file, ld->groups[j].line);
		if (g->pipeline && !g->programs[1])
			group_error(ld, g, "a pipeline needs at least two programs");
		for (char **name = g->programs; *name; name++) {
			struct program_config *p = NULL;
			for (size_t k = 0; k < ld->nprogs && !p; k++)
				if (ld->progs[k].name && strcmp(ld->progs[k].name, *name) == 0)
					p = &ld->progs[k];
			if (!p) {
				group_error(ld, g, "unknown program '%s' in programs", *name);
				continue;
			}
			if (p->group) {
				group_error(ld, g, "program '%s' is already in [group:%s]", *name,
					    p->group);
				continue;
			}
			if (!(p->group = strdup(g->name))) {
				ld->oom = true;
				return;
			}
			if (g->has_priority)
				p->priority = g->priority;
		}
		for (size_t k = 0; k < ld->nprogs; k++) {
			struct program_config *p = &ld->progs[k];
			if (p->name && strcmp(p->name, g->name) == 0 &&
			    (!p->group || strcmp(p->group, g->name) != 0))
				group_error(ld, g, "group name '%s' is also the name of [program:%s] "
						   "at %s:%d, which is not in it",
					    g->name, p->name, p->file, p->line);
		}
	}
}

static void sock_error(struct loader *ld, struct socket_config *s, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void sock_error(struct loader *ld, struct socket_config *s, int line, const char *fmt, ...)
{
	char *section;
	if (asprintf(&section, "socket:%s", s->name) < 0) {
		ld->oom = true;
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	add_verror(ld, ld->smeta[s - ld->socks].fseq, s->file, line > 0 ? line : s->line, section,
		   fmt, ap);
	va_end(ap);
	free(section);
}

/* An address may be bound once: the first section to list it has it. */
static bool socket_addr_taken(struct loader *ld, size_t i, int k)
{
	struct socket_config *s = &ld->socks[i];
	struct socket_meta *m = &ld->smeta[i];
	char text[SOCKETS_ADDR_STRLEN];
	sockets_format(&s->listen[k], text, sizeof text);
	for (int j = 0; j < k; j++)
		if (sockets_addr_equal(&s->listen[j], &s->listen[k])) {
			sock_error(ld, s, m->listen_line, "listen: %s is listed twice", text);
			return true;
		}
	for (size_t o = 0; o < i; o++)
		for (int j = 0; j < ld->socks[o].nlisten; j++)
			if (sockets_addr_equal(&ld->socks[o].listen[j], &s->listen[k])) {
				sock_error(ld, s, m->listen_line, "listen: %s is already in [socket:%s] at %s:%d",
					   text, ld->socks[o].name, ld->socks[o].file, ld->smeta[o].listen_line);
				return true;
			}
	return false;
}

/* An [fcgi-program:]'s socket is its own: in no [socket:], in no other. */
static void check_fcgi_sockets(struct loader *ld)
{
	for (size_t i = 0; i < ld->nprogs; i++) {
		struct program_config *p = &ld->progs[i];
		if (!p->is_fcgi || !p->fcgi_socket || !p->name || !p->file)
			continue;
		char text[SOCKETS_ADDR_STRLEN];
		sockets_format(p->fcgi_socket, text, sizeof text);
		for (size_t o = 0; o < i; o++)
			if (ld->progs[o].fcgi_socket &&
			    sockets_addr_equal(ld->progs[o].fcgi_socket, p->fcgi_socket))
				prog_error(ld, p, "socket %s is already [fcgi-program:%s]'s", text,
					   ld->progs[o].name);
		for (size_t o = 0; o < ld->nsocks; o++)
			for (int k = 0; k < ld->socks[o].nlisten; k++)
				if (sockets_addr_equal(&ld->socks[o].listen[k], p->fcgi_socket))
					prog_error(ld, p, "socket %s is already in [socket:%s] at %s:%d",
						   text, ld->socks[o].name, ld->socks[o].file,
						   ld->smeta[o].listen_line);
	}
}

/* Each [socket:] gives its addresses to a program that exists and runs
 * one process; a program named by several sections gets theirs in the
 * order the sections are written: its fds 3, 4 ... */
static void check_sockets(struct loader *ld)
{
	for (size_t i = 0; i < ld->nsocks; i++) {
		struct socket_config *s = &ld->socks[i];
		struct socket_meta *m = &ld->smeta[i];
		bool bad = false;
		if (!s->name || !s->file)
			continue; /* half-built after running out of memory */
		for (int k = 0; k < s->nlisten; k++)
			bad |= socket_addr_taken(ld, i, k);
		if (!s->program)
			continue;
		struct program_config *p = NULL;
		for (size_t k = 0; k < ld->nprogs && !p; k++)
			if (ld->progs[k].name && strcmp(ld->progs[k].name, s->program) == 0)
				p = &ld->progs[k];
		if (!p) {
			sock_error(ld, s, m->program_line, "unknown program '%s'", s->program);
			continue;
		}
		if (p->numprocs != 1) {
			sock_error(ld, s, m->program_line, "program '%s' has numprocs = %d; a listening "
				   "socket goes to one process (numprocs = 1)", s->program, p->numprocs);
			continue;
		}
		if (!s->nlisten || bad)
			continue;
		int n = p->nlisten + s->nlisten;
		if (n > SOCKETS_MAX_PER_PROGRAM) {
			sock_error(ld, s, m->program_line, "program '%s' would get %d listening sockets "
				   "(at most %d)", s->program, n, SOCKETS_MAX_PER_PROGRAM);
			continue;
		}
		struct socket_addr *a = reallocarray(p->listen, (size_t)n, sizeof *a);
		if (a)
			p->listen = a;
		char **names = reallocarray(p->listen_names, (size_t)n + 1, sizeof *names);
		if (names)
			p->listen_names = names;
		if (!a || !names) {
			ld->oom = true;
			return;
		}
		for (int k = 0; k < s->nlisten; k++) {
			a[p->nlisten + k] = s->listen[k];
			names[p->nlisten + k] = NULL;
		}
		for (int k = 0; k < s->nlisten; k++)
			if (!(names[p->nlisten + k] = strdup(s->name)))
				ld->oom = true;
		names[n] = NULL;
		p->nlisten = n;
	}
	for (size_t i = 0; i < ld->nprogs; i++) {
		struct program_config *p = &ld->progs[i];
		if (p->nlisten && p->ready == READY_FD && p->ready_fd < 3 + p->nlisten)
			prog_error(ld, p, "ready = fd:%d is taken by its listening sockets (fds 3 to %d)",
				   p->ready_fd, 2 + p->nlisten);
	}
}

static void check_programs(struct loader *ld)
{
	struct pname *names = NULL;
	size_t n = 0, cap = 0;

	for (size_t i = 0; i < ld->nprogs; i++) {
		struct program_config *p = &ld->progs[i];
		struct program_meta *m = &ld->meta[i];
		if (!p->name || !p->file || !p->process_name)
			continue; /* half-built after running out of memory */
		char serr[256];
		/* config_visit()'s and config_socket()'s caller is corralctl, linked statically, where
		 * glibc cannot load its NSS modules (libnss_systemd crashes): users
		 * and groups are not looked up, here or where they are set (the
		 * file it writes is checked by corrald, which does) */
		int sr = ld->no_nss ? 0 : sandbox_finish(&p->sandbox, serr, sizeof serr);
		if (sr == -ENOMEM)
			ld->oom = true;
		else if (sr < 0)
			prog_error(ld, p, "%s", serr);
		if (p->main) {
			if (p->numprocs != 1)
				prog_error(ld, p, "main = true needs numprocs = 1");
			for (size_t k = 0; k < i; k++)
				if (ld->progs[k].main && ld->progs[k].name)
					prog_error(ld, p, "main = true is already set in [program:%s] at %s:%d",
						   ld->progs[k].name, ld->progs[k].file, ld->progs[k].line);
		}
		if (p->is_pool && poolcfg_check(p, serr, sizeof serr) < 0)
			prog_error(ld, p, "%s", serr);
		for (size_t k = 0; p->is_pool && k < ld->nprogs; k++)
			if (k != i && ld->progs[k].name && strcmp(ld->progs[k].name, p->name) == 0)
				prog_error(ld, p, "[program:%s] at %s:%d has the same name", p->name,
					   ld->progs[k].file, ld->progs[k].line);
		if (m->command == CMD_MISSING)
			prog_error(ld, p, "missing command");
		else if (m->command == CMD_EMPTY)
			prog_error(ld, p, "empty command");
		if (m->bad_process_name)
			continue;
		struct vars vars = { .program = p->name, .has_num = true, .numprocs = p->numprocs };
		char err[160], *first;
		int rc = expand(p->process_name, &vars, &first, err, sizeof err);
		free(first);
		if (rc < 0) {
			ld->oom |= rc == -ENOMEM;
			continue;
		}
		if (p->numprocs > 1 && !vars.used_num) {
			prog_error(ld, p, "%%(process_num) must be present within process_name "
					  "when numprocs > 1");
			continue;
		}
		for (int k = 0; k < p->numprocs; k++) {
			vars.num = p->numprocs_start + k;
			char *proc;
			if (expand(p->process_name, &vars, &proc, err, sizeof err) < 0) {
				ld->oom = true;
				break;
			}
			const char *why = config_name_problem(proc);
			if (why) {
				prog_error(ld, p, "bad process name '%.*s%s' (%s)", SHOW(proc), why);
				free(proc);
				break;
			}
			if (n == cap) {
				cap = cap ? cap * 2 : 16;
				struct pname *v = realloc(names, cap * sizeof *v);
				if (!v) {
					free(proc);
					ld->oom = true;
					goto out;
				}
				names = v;
			}
			struct pname *e = &names[n];
			e->prog = i;
			if (!p->group && p->numprocs == 1 && strcmp(proc, p->name) == 0)
				e->full = proc;
			else if (asprintf(&e->full, "%s:%s", p->group ? p->group : p->name, proc) < 0)
				e->full = NULL;
			if (e->full != proc)
				free(proc);
			if (!e->full) {
				ld->oom = true;
				goto out;
			}
			if (strlen(e->full) > CONFIG_FULL_NAME_MAX) {
				prog_error(ld, p, "process name '%.*s%s' is longer than %d bytes (its "
						  "cgroup and log files are named after it)",
					   SHOW(e->full), CONFIG_FULL_NAME_MAX);
				free(e->full);
				break;
			}
			if (!(e->flat = strdup(e->full))) {
				free(e->full);
				ld->oom = true;
				goto out;
			}
			for (char *c = e->flat; *c; c++)
				if (*c == ':')
					*c = '_';
			n++;
		}
	}
	/* Full names cannot repeat, but "a:b" and a program "a_b" would write
	 * the same default log files. */
	if (n > 1)
		qsort(names, n, sizeof *names, pname_cmp);
	for (size_t i = 1; i < n; i++) {
		size_t first = i - 1;
		if (strcmp(names[first].flat, names[i].flat) != 0)
			continue;
		while (first > 0 && strcmp(names[first - 1].flat, names[i].flat) == 0)
			first--;
		struct program_config *a = &ld->progs[names[first].prog];
		struct program_config *b = &ld->progs[names[i].prog];
		if (strcmp(names[first].full, names[i].full) == 0)
			prog_error(ld, b, "duplicate process name '%s' (also in [%s:%s] at %s:%d)",
				   names[i].full, prog_kind(a), a->name, a->file, a->line);
		else
			prog_error(ld, b, "duplicate process name '%s' (same as '%s' of "
					  "[%s:%s] at %s:%d once ':' becomes '_')",
				   names[i].full, names[first].full, prog_kind(a), a->name, a->file,
				   a->line);
	}
out:
	for (size_t i = 0; i < n; i++) {
		free(names[i].full);
		free(names[i].flat);
	}
	free(names);
}

static int program_cmp(const void *a, const void *b)
{
	const struct program_config *x = a, *y = b;
	if (x->priority != y->priority)
		return x->priority < y->priority ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* TEXT (LEN bytes) has a [supervisord] section: it is a supervisord
 * config. Known before the first line is read, so that an unknown key
 * above that section is treated like one below it. */
static bool is_supervisord_config(const char *text, size_t len)
{
	for (const char *p = text, *end = text + len; p < end;) {
		while (p < end && is_space(*p))
			p++;
		if ((size_t)(end - p) >= 13 && memcmp(p, "[supervisord]", 13) == 0)
			return true;
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		p = nl ? nl + 1 : end;
	}
	return false;
}

/* What a load leaves besides its config: freed whether it failed or not. */
static void loader_free(struct loader *ld)
{
	for (size_t i = 0; i < ld->nseen; i++) {
		free(ld->seen[i].name);
		free(ld->seen[i].file);
	}
	free(ld->seen);
	free(ld->meta);
	free(ld->ekeys);
	free(ld->wkeys);
	free(ld->sd_directory);
	strv_free(ld->sd_environment);
	free(ld->gmeta);
	free(ld->smeta);
	free(ld->superseded);
}

/* The prepass over a supervisord config whose main file is TEXT (LEN
 * bytes): what it finds goes into LD before LD reads a line. Its own
 * errors are not kept: the second pass finds them again, in place. */
static void load_prepass(struct loader *ld, const char *path, const char *text, size_t len)
{
	struct config_errors scratch = { 0 };
	struct loader pre = { .errs = &scratch, .pass = PASS_PREPASS, .supervisord = true,
			      .no_nss = true, .sd_umask = 022, .depth = 1 };
	pre.open[0] = ld->open[0];
	struct source src = { .name = path, .text = text, .textlen = len };
	parse_source(&pre, &src);
	if (pre.oom) {
		ld->oom = true;
	} else {
		superseded_finish(&pre);
		ld->superseded = pre.superseded; /* now the second pass's */
		ld->nsuperseded = pre.nsuperseded;
		pre.superseded = NULL;
		ld->sd_environment = pre.sd_environment;
		pre.sd_environment = NULL;
	}
	pre.cfg.programs = pre.progs;
	pre.cfg.nprograms = pre.nprogs;
	pre.cfg.groups = pre.groups;
	pre.cfg.ngroups = pre.ngroups;
	pre.cfg.sockets = pre.socks;
	pre.cfg.nsockets = pre.nsocks;
	config_free(&pre.cfg);
	loader_free(&pre);
	config_errors_free(&scratch);
}

/* FNV-1a, 64 bits: the same as the scope's name is made with. */
static uint64_t fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

/* A supervisord config without socket =: one control socket per config,
 * so that two of them run side by side as under supervisord (and get
 * scopes of their own, named after the socket). Beside its
 * [unix_http_server] socket when it has one that leaves room, else in
 * /run/corral, named after the config file's real path. */
static void default_socket(struct loader *ld, const char *path)
{
	struct corral_config *cfg = &ld->cfg;
	const size_t max = sizeof(((struct sockaddr_un *)0)->sun_path) - 1;
	char *s = NULL;
	if (cfg->unix_http.file && strlen(cfg->unix_http.file) + strlen(".corral") <= max) {
		if (asprintf(&s, "%s.corral", cfg->unix_http.file) < 0)
			s = NULL;
		cfg->socket_rule = SOCKET_RULE_HTTP;
	} else {
		char *real = realpath(path, NULL);
		if (asprintf(&s, "%s/supervisord-%016llx.sock", CONFIG_SOCKET_DIR,
			     (unsigned long long)fnv1a(real ? real : path)) < 0)
			s = NULL;
		free(real);
		cfg->socket_rule = SOCKET_RULE_CONFIG;
	}
	if (!s)
		ld->oom = true;
	else
		replace(&cfg->socket, s);
}

static int load(const char *path, const char *text, struct corral_config *out,
		struct config_errors *errs, config_visit_fn *visit, void *visit_arg,
		char **socket_out, enum socket_rule *rule_out)
{
	/* corralctl's callers cannot look users up (see check_programs()) */
	struct loader ld = { .errs = errs, .visit = visit, .visit_arg = visit_arg,
			     .no_nss = visit || socket_out };
	int rc;

	memset(out, 0, sizeof *out);
	/* The main file is read before anything else: whether it is
	 * supervisord's decides how every line is taken. */
	char *main_text = NULL;
	size_t main_len = 0;
	struct stat st;
	bool main_ok = true;
	int main_rc = 0;
	if (text) {
		main_len = strlen(text);
		/* so that a string that includes its own file is a cycle */
		if (stat(path, &st) == 0) {
			ld.open[0].dev = st.st_dev;
			ld.open[0].ino = st.st_ino;
			ld.open[0].known = true;
		}
	} else if ((main_rc = read_config_file(&ld, path, NULL, 0, &main_text, &main_len,
					       &st)) == 0) {
		text = main_text;
		ld.open[0].dev = st.st_dev;
		ld.open[0].ino = st.st_ino;
		ld.open[0].known = true;
	} else {
		main_ok = false;
	}
	ld.supervisord = main_ok && is_supervisord_config(text, main_len);
	ld.sd_umask = 022; /* supervisord's, which its programs inherit */
	ld.cfg.path = strdup(path);
	ld.cfg.socket = strdup(CONFIG_DEFAULT_SOCKET);
	ld.cfg.socket_rule = SOCKET_RULE_DEFAULT;
	ld.cfg.logdir = strdup(CONFIG_DEFAULT_LOGDIR);
	ld.cfg.socket_mode = 0600;
	ld.cfg.unix_http.chmod = 0700; /* supervisord's default */
	ld.cfg.identifier = strdup("supervisor");
	ld.cfg.loglevel = -1;
	/* supervisord's defaults; corral's own format stays in the foreground */
	ld.cfg.nodaemon = !ld.supervisord;
	ld.cfg.minfds = ld.supervisord ? 1024 : 0;
	ld.cfg.minprocs = ld.supervisord ? 200 : 0;
	if (!ld.cfg.path || !ld.cfg.socket || !ld.cfg.logdir || !ld.cfg.identifier)
		ld.oom = true;
	else if (ld.supervisord)
		load_prepass(&ld, path, text, main_len);
	if (!ld.oom && main_ok) {
		ld.depth = 1;
		struct source src = { .name = path, .text = text, .textlen = main_len };
		parse_source(&ld, &src);
		ld.depth = 0;
	}
	free(main_text);
	if (!ld.oom && ld.supervisord &&
	    !(ld.corral_keys & UINT64_C(1) << key_index(corral_keys, "socket")))
		default_socket(&ld, path);
	if (!ld.oom && ld.supervisord)
		apply_inherited(&ld);
	if (!ld.oom)
		apply_output(&ld);
	if (!ld.oom)
		check_groups(&ld);
	if (!ld.oom)
		check_sockets(&ld);
	if (!ld.oom)
		check_fcgi_sockets(&ld);
	if (!ld.oom)
		check_deps(&ld);
	if (!ld.oom)
		check_programs(&ld);
	sort_errors(&ld);

	if (ld.dropped)
		add_error(&ld, INT_MAX, path, 0, NULL, "too many errors, %zu more not shown",
			  ld.dropped);
	if (ld.wdropped)
		add_warning_summary(&ld, path, "too many warnings, %zu more not shown", ld.wdropped);
	if (ld.oom) {
		add_error(&ld, INT_MAX, NULL, 0, NULL, "out of memory");
		rc = -ENOMEM;
	} else {
		rc = ld.nerrors ? -EINVAL : 0;
	}
	if (socket_out && !ld.oom && main_ok && !(*socket_out = strdup(ld.cfg.socket)))
		rc = -ENOMEM;
	if (socket_out && !main_ok)
		rc = main_rc; /* config_socket() says why the file cannot be read */
	if (rule_out)
		*rule_out = ld.cfg.socket_rule;

	ld.cfg.supervisord = ld.supervisord;
	ld.cfg.programs = ld.progs; /* handed over, freed with cfg on failure */
	ld.cfg.nprograms = ld.nprogs;
	ld.cfg.groups = ld.groups;
	ld.cfg.ngroups = ld.ngroups;
	ld.cfg.sockets = ld.socks; /* handed over like the programs */
	ld.cfg.nsockets = ld.nsocks;
	loader_free(&ld);
	if (rc < 0) {
		config_free(&ld.cfg);
		return rc;
	}
	if (ld.cfg.nprograms)
		qsort(ld.cfg.programs, ld.cfg.nprograms, sizeof *ld.cfg.programs, program_cmp);
	*out = ld.cfg;
	return 0;
}

int config_transient(const char *name, char *const argv[], const char *directory,
		     struct corral_config *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	const char *why = config_name_problem(name);
	if (!why && strcmp(name, "all") == 0)
		why = "reserved";
	if (!why && strlen(name) > CONFIG_FULL_NAME_MAX)
		why = "too long: its cgroup is named after it";
	if (why) {
		snprintf(err, errlen, "bad name '%.*s%s' (%s)", SHOW(name), why);
		return -EINVAL;
	}
	if (!argv[0] || !argv[0][0]) {
		snprintf(err, errlen, "empty command");
		return -EINVAL;
	}
	struct loader ld = { 0 };
	size_t argc = 0, cmdlen = 0;
	while (argv[argc])
		cmdlen += strlen(argv[argc++]) + 1;
	int rc = -ENOMEM;
	if (new_program(&ld, name, "(corralctl run)", 0, 0) < 0)
		goto out;
	struct program_config *p = &ld.progs[0];
	/* One run, no retry, and stopped quickly when the caller gives up. */
	p->autostart = false;
	p->autorestart = AUTORESTART_FALSE;
	p->startsecs = 0;
	p->startretries = 0;
	p->stopwaitsecs = 2;
	p->argv = calloc(argc + 1, sizeof *p->argv);
	p->command = malloc(cmdlen);
	if (!p->argv || !p->command)
		goto out;
	p->command[0] = '\0';
	for (size_t i = 0; i < argc; i++) {
		if (!(p->argv[i] = strdup(argv[i])))
			goto out;
		if (i)
			strcat(p->command, " ");
		strcat(p->command, argv[i]);
	}
	if (directory && !(p->directory = strdup(directory)))
		goto out;
	if (!(p->stdout_logfile = strdup("NONE")) || !(p->stderr_logfile = strdup("NONE")))
		goto out;
	rc = 0;
out:
	free(ld.meta);
	out->programs = ld.progs;
	out->nprograms = ld.nprogs;
	if (rc < 0) {
		snprintf(err, errlen, "%s", strerror(-rc));
		config_free(out);
	}
	return rc;
}

void config_for_init(struct corral_config *cfg)
{
	for (size_t i = 0; i < cfg->nprograms; i++)
		if (cfg->programs[i].main && !cfg->programs[i].autorestart_set)
			cfg->programs[i].autorestart = AUTORESTART_FALSE;
}

int config_load(const char *path, struct corral_config *out, struct config_errors *errs)
{
	return load(path, NULL, out, errs, NULL, NULL, NULL, NULL);
}

int config_visit(const char *path, config_visit_fn *fn, void *arg, struct corral_config *out,
		 struct config_errors *errs)
{
	return load(path, NULL, out, errs, fn, arg, NULL, NULL);
}

int config_load_string(const char *name, const char *text, struct corral_config *out,
		       struct config_errors *errs)
{
	return load(name, text, out, errs, NULL, NULL, NULL, NULL);
}

int config_socket(const char *path, char **socket, enum socket_rule *rule, char *err,
		  size_t errlen)
{
	struct config_errors errs = { 0 };
	struct corral_config cfg;
	*socket = NULL;
	int rc = load(path, NULL, &cfg, &errs, NULL, NULL, socket, rule);
	config_free(&cfg);
	if (!*socket) {
		/* the main file could not be read (its message comes first), or
		 * memory ran out */
		snprintf(err, errlen, "%s", errs.n ? errs.msgs[0] : strerror(-rc));
		rc = rc < 0 ? rc : -EIO;
	} else {
		rc = 0;
	}
	config_errors_free(&errs);
	return rc;
}

/* The same listening sockets at the same fds, under the same names. */
static bool listen_equal(const struct program_config *a, const struct program_config *b)
{
	if (a->nlisten != b->nlisten || !strv_equal(a->listen_names, b->listen_names))
		return false;
	for (int i = 0; i < a->nlisten; i++)
		if (!sockets_addr_equal(&a->listen[i], &b->listen[i]))
			return false;
	return true;
}

/* Each process runs with the same per-process values. */
static bool instances_equal(const struct program_config *a, const struct program_config *b)
{
	if (!a->instances || !b->instances)
		return a->instances == b->instances;
	for (int i = 0; i < a->numprocs && i < b->numprocs; i++) {
		const struct program_instance *x = &a->instances[i], *y = &b->instances[i];
		if (!strv_equal(x->argv, y->argv) || !streq(x->directory, y->directory) ||
		    !streq(x->stdout_logfile, y->stdout_logfile) ||
		    !streq(x->stderr_logfile, y->stderr_logfile) ||
		    !strv_equal(x->environment, y->environment))
			return false;
	}
	return true;
}

bool program_config_equal(const struct program_config *a, const struct program_config *b)
{
	/* file and line say where the program was written, not how it runs:
	 * moving a section must not restart it. */
	return streq(a->name, b->name) && streq(a->command, b->command) &&
	       strv_equal(a->argv, b->argv) && a->numprocs == b->numprocs &&
	       a->numprocs_start == b->numprocs_start &&
	       streq(a->process_name, b->process_name) && a->autostart == b->autostart &&
	       a->autorestart == b->autorestart && a->startsecs == b->startsecs &&
	       a->startretries == b->startretries &&
	       memcmp(a->exitcodes, b->exitcodes, sizeof a->exitcodes) == 0 &&
	       a->stopsignal == b->stopsignal && a->stopwaitsecs == b->stopwaitsecs &&
	       streq(a->directory, b->directory) && strv_equal(a->environment, b->environment) &&
	       a->umask == b->umask && a->priority == b->priority &&
	       a->process_priority == b->process_priority &&
	       a->redirect_stderr == b->redirect_stderr &&
	       streq(a->stdout_logfile, b->stdout_logfile) &&
	       streq(a->stderr_logfile, b->stderr_logfile) && a->killmode == b->killmode &&
	       a->stopasgroup == b->stopasgroup && a->killasgroup == b->killasgroup &&
	       streq(a->group, b->group) && a->main == b->main &&
	       a->stdout_maxbytes == b->stdout_maxbytes && a->stderr_maxbytes == b->stderr_maxbytes &&
	       a->stdout_backups == b->stdout_backups && a->stderr_backups == b->stderr_backups &&
	       a->log_timestamps == b->log_timestamps && a->log_line_max == b->log_line_max &&
	       a->log_buffer == b->log_buffer && a->log_rate == b->log_rate &&
	       a->log_burst == b->log_burst && a->log_overflow == b->log_overflow &&
	       a->ready == b->ready && a->ready_fd == b->ready_fd &&
	       strv_equal(a->requires, b->requires) && strv_equal(a->after, b->after) &&
	       a->start_timeout == b->start_timeout && a->watchdog_sec == b->watchdog_sec &&
	       listen_equal(a, b) && sandbox_equal(&a->sandbox, &b->sandbox) &&
	       a->is_fcgi == b->is_fcgi &&
	       (!a->is_fcgi || (a->fcgi_socket && b->fcgi_socket &&
				sockets_addr_equal(a->fcgi_socket, b->fcgi_socket) &&
				a->fcgi_backlog == b->fcgi_backlog && a->fcgi_mode == b->fcgi_mode &&
				a->fcgi_owner == b->fcgi_owner && a->fcgi_uid == b->fcgi_uid &&
				a->fcgi_gid == b->fcgi_gid)) &&
	       instances_equal(a, b) &&
	       a->is_pool == b->is_pool && poolcfg_equal(&a->pool, &b->pool) &&
	       a->is_listener == b->is_listener && a->listener_events == b->listener_events &&
	       a->buffer_size == b->buffer_size &&
	       memcmp(a->events_enabled, b->events_enabled, sizeof a->events_enabled) == 0 &&
	       memcmp(a->capture_maxbytes, b->capture_maxbytes, sizeof a->capture_maxbytes) == 0 &&
	       memcmp(a->syslog, b->syslog, sizeof a->syslog) == 0 &&
	       a->strip_ansi == b->strip_ansi && a->stdin_pipe == b->stdin_pipe;
}
