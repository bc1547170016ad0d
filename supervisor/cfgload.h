/* cfgload — what one load of a config is, which the config's own files
 * share: the loader (the sections read so far, the messages), the source
 * (one file being read), how a message is said ("FILE:LINE: [SECTION]:
 * message", sorted by file and line) and how a key is applied by its row.
 *
 * The lowest of config's files but cfgkey.c: the files are read by
 * cfgread.c, the keys applied by their tables (cfgprog.c, cfgsect.c), the
 * values expanded by cfgexpand.c, the whole checked by cfgcheck.c;
 * config.c runs a load. Not for use outside config's files. */
#ifndef CORRAL_CFGLOAD_H
#define CORRAL_CFGLOAD_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include "supervisor/cfgkey.h"
#include "supervisor/cfgutil.h"
#include "supervisor/cfgmodel.h"
#include "supervisor/config_types.h"

#define MAX_INCLUDE_DEPTH 10    /* files included from included files ... */
#define VALUE_SHOWN 60          /* bytes of a bad value quoted in messages */

/* VALUE for a message: cut short when long. */
#define SHOW(v) (int)(strlen(v) > VALUE_SHOWN ? VALUE_SHOWN - 3 : strlen(v)), (v), \
		(strlen(v) > VALUE_SHOWN ? "..." : "")

/* SEC_FOREIGN: a section of supervisord's that corral reads, checks and ignores */
enum { SEC_NONE, SEC_CORRAL, SEC_PROGRAM, SEC_INCLUDE, SEC_GROUP, SEC_SOCKET, SEC_SKIP,
       SEC_FOREIGN };

/* The keys of supervisord's own tables (supervisord.c) are numbered from
 * here in a section's struct cfgkey_seen, after the section's own. */
#define CFGLOAD_SD_IDS (CFGKEY_SEEN_MAX / 2)

/* Bookkeeping for a [socket:] while it is being read. */
struct socket_meta {
	struct cfgkey_seen seen;
	int fseq;
	int listen_line;        /* where listen and program were set, for messages */
	int program_line;
	int reuseport_line;     /* where reuseport was set (0: not) */
};

/* Bookkeeping for a group while it is being read. */
struct group_meta {
	struct cfgkey_seen seen;
	int fseq;
	int update_strategy_line; /* where update_strategy was set, 0: not */
};

struct seen_section {
	char *name;
	char *file;
	int line;
};

/* Bookkeeping for a program while it is being read. */
struct program_meta {
	struct cfgkey_seen seen; /* the keys set, numbered by cfgkey_find() */
	struct cfgkey_seen bad;  /* ... and of those, the ones whose value was refused */
	int fseq;                /* of the file it is in */
	char *tmpl[5];           /* the per-process keys' values using %(process_num), as
				  * written (cfgexpand.c) */
	bool logfile_syslog[2];  /* stdout_/stderr_logfile = syslog: supervisord's old spelling */
	int update_strategy_line; /* where update_strategy was set, 0: not */
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
 * first pass (the prepass) finds them, the second skips them, as
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
	/* What supervisord itself takes and its programs inherit: [supervisord]
	 * umask (022 unless set), directory and environment, given to each
	 * program that does not set its own (cfgprog_inherit()). */
	int sd_umask;
	char *sd_directory;
	char **sd_environment;
	bool strip_ansi;        /* [supervisord] strip_ansi: every program's (cfgprog_output()) */
	int nfiles;
	size_t total_bytes;     /* read from the files so far (MAX_TOTAL_BYTES) */
	size_t nerrors;         /* every error, kept or not */
	size_t dropped;
	bool oom;
	struct corral_config cfg;
	struct cfgkey_seen main_seen; /* [corral] and [supervisord]'s keys */
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
	size_t nseen, seencap;
	size_t *seen_index;   /* open addressing by name: an index into seen + 1, 0: empty */
	size_t seen_slots;    /* a power of two, or 0 */
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
	struct cfgkey_seen foreign_seen;
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

/* ---- messages ---- */

/* An error at LINE of FILE in SECTION (either may be NULL, LINE 0: none);
 * FSEQ is the order in which FILE was opened: messages are sorted by it
 * and then by LINE, whatever order they were found in. */
void cfgload_add_error(struct loader *ld, int fseq, const char *file, int line,
		       const char *section, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
void cfgload_add_verror(struct loader *ld, int fseq, const char *file, int line,
			const char *section, const char *fmt, va_list ap)
	__attribute__((format(printf, 6, 0)));
/* The closing line of the warnings, which is never dropped. */
void cfgload_warning_summary(struct loader *ld, const char *file, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Put the messages this load added in file and line order. */
void cfgload_sort_errors(struct loader *ld);

/* An error at LINE of SRC, in its current section. */
void cfgload_error(struct source *src, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A warning at LINE of SRC, in its current section. */
void cfgload_warn(struct source *src, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Unknown to corral: a warning in a supervisord config, else an error. */
void cfgload_unknown(struct source *src, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* "bad value for KEY: 'VALUE' (expected EXPECTED)" at LINE of SRC. */
void cfgload_bad_value(struct source *src, int line, const char *key, const char *value,
		       const char *expected);

/* strdup(), with running out of memory noted in LD. */
char *cfgload_strdup(struct loader *ld, const char *s);

/* KEY = VALUE by its row K into OBJ (the section's struct): K's apply, or
 * its type's reading with the message a refused value gets, and the
 * warning of a key corral ignores. 0, or -EINVAL once it has said why the
 * value is refused. */
int cfgload_apply(struct source *src, const struct cfgkey *k, void *obj, const char *key,
		  int line, const char *value);

/* What RC from reading VALUE of KEY at LINE of SRC means, said: -ENOMEM
 * noted, -EDOM "bad value" with ERR what was expected, another -errno
 * ERR itself. 0 for RC 0 (or 1), else -EINVAL. */
int cfgload_say(struct source *src, int line, const char *key, const char *value, int rc,
		const char *err);

/* The same without K's apply: the type's reading (or K's parse) and what
 * follows from its result. For an apply that does something first. */
int cfgload_parse(struct source *src, const struct cfgkey *k, void *obj, const char *key,
		  int line, const char *value);

#endif
