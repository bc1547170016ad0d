/* cfgkey — one key of a config section, as data.
 *
 * A section type is a table of rows: [program:] and its kin in cfgprog.c,
 * the other sections of corral in cfgsect.c, what corral checks but
 * ignores of supervisord's in supervisord.c. A row says the key's name,
 * how its value is read and checked (a type, or its own function), its
 * default, whether a change restarts a program on reload, how
 * `corrald --check -v` shows it and how `corralctl migrate` writes it.
 * What is derived from the rows (reading a value, equality for reload,
 * the verbose dump) is done once, here and in the section files, so that
 * a new key is one row (and its man page entry).
 *
 * This file knows the row and the values by type; of the structs the
 * values go into it knows only offsets. It sits below the config reader
 * and below supervisord.c, and prints nothing. */
#ifndef CORRAL_CFGKEY_H
#define CORRAL_CFGKEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* How a value is read; the type also gives the row's default equality
 * and display. The SD_ types are supervisord's own conversions
 * (supervisor/options.py), for the keys corral checks as it would. */
enum cfgkey_type {
	CFGKEY_CUSTOM,          /* .parse or .apply reads it */
	CFGKEY_STR,             /* any text, even empty; char *, as written */
	CFGKEY_BOOL,            /* true/false, yes/no, on/off, 1/0, any case */
	CFGKEY_INT,             /* a decimal integer from .min to .max */
	CFGKEY_BYTES,           /* "50MB" (KB, MB, GB are powers of 1024); .min to .max */
	CFGKEY_OCTAL,           /* octal digits, 0 to .max */
	CFGKEY_WORD,            /* one of .words, stored as its index */
	CFGKEY_SIGNAL,          /* "TERM", "SIGTERM", "15" */
	CFGKEY_NAMES,           /* names separated by commas, '|' or blanks: char ** */
	CFGKEY_SD_INT,          /* supervisord's integer(): digits, at most 9 */
	CFGKEY_SD_BYTES,        /* byte_size(): digits with KB, MB or GB, at most 15 */
	CFGKEY_SD_OCTAL,        /* octal_type(): octal digits, at most 11 */
};

/* How `corralctl migrate` writes a key of a supervisord config in
 * corral's format. */
enum cfgkey_migrate {
	CFGKEY_AS_WRITTEN,      /* the value as written: both formats mean the same */
	CFGKEY_RESOLVED,        /* the value corrald resolved (.show's), '%' doubled */
	CFGKEY_PER_PROCESS,     /* each process's own (command, directory, ...) */
	CFGKEY_SPLIT,           /* as written, unless the program is split per process */
	CFGKEY_TO_PROGRAMS,     /* [supervisord]'s, which its programs inherit: into each */
	CFGKEY_IGNORED,         /* commented out, with .note */
};

enum {
	CFGKEY_ANYCASE = 1 << 0,        /* WORD: its words in any case */
	CFGKEY_NORESTART = 1 << 1,      /* a change does not restart the program */
	CFGKEY_FIELD = 1 << 2,          /* no key: a field set from elsewhere (a reload
					 * compares it, the dump may show it) */
	CFGKEY_NOSHOW = 1 << 3,         /* the dump leaves it out (shown elsewhere) */
	CFGKEY_ZERO_OK = 1 << 4,        /* INT, BYTES: 0 too, below .min */
	CFGKEY_ROLL = 1 << 5,           /* read when a process starts (not when it
					 * stops): a rolling update changes it process
					 * by process, each started with the new value */
	/* the program sections that have the key; none of these: all */
	CFGKEY_FCGI = 1 << 8,           /* [fcgi-program:] */
	CFGKEY_LISTENER = 1 << 9,       /* [eventlistener:] */
	CFGKEY_POOL = 1 << 10,          /* [pool:] */
	CFGKEY_KINDS = CFGKEY_FCGI | CFGKEY_LISTENER | CFGKEY_POOL,
};

struct cfgkey;
struct source;          /* the config reader's: a file being read (cfgread.h) */

/* Where a row shows its value for `corrald --check -v`: cfgkey_show()
 * hands LINE each line, "KEY = VALUE" or a comment "; ...". */
struct cfgkey_out {
	void (*line)(void *ctx, const char *text);
	void *ctx;
	/* what corrald's command line changes, said where it does */
	bool init;              /* --init */
	const char *identifier; /* -i IDENTIFIER; NULL: none */
};

/* VALUE for row K into OBJ, the section's struct: 0; -EDOM with ERR saying
 * what was expected; -EINVAL with ERR the whole message; -ENOMEM. */
typedef int cfgkey_parse_fn(const struct cfgkey *k, void *obj, const char *value, char *err,
			    size_t errlen);
/* The same with the reader at hand (expansion, messages of its own, what
 * the loader keeps), KEY as written (a row standing for another part's
 * keys has several): 0, or -EINVAL once it has said why not. */
typedef int cfgkey_apply_fn(struct source *src, const struct cfgkey *k, const char *key,
			    void *obj, int line, const char *value);
typedef bool cfgkey_equal_fn(const struct cfgkey *k, const void *a, const void *b);
typedef void cfgkey_show_fn(const struct cfgkey *k, const void *obj, struct cfgkey_out *out);
typedef void cfgkey_init_fn(void *field);

struct cfgkey {
	const char *name;       /* NULL: a row standing for another part's keys (.subkeys) */
	enum cfgkey_type type;
	unsigned flags;
	int field;              /* the section's field number (PF_* for a program); 0: none */
	size_t offset, size;    /* where the value goes in the section's struct */
	/* More fields the key sets (ready's ready_fd): compared byte for byte. */
	struct cfgkey_field {
		int field;      /* 0: none */
		size_t offset, size;
	} also[3];
	long long min, max;     /* INT, BYTES, OCTAL */
	const char *const *words; /* WORD: the values, NULL-terminated, by number */
	const char *expected;   /* what "bad value" says is expected, when not the type's */
	const char *range;      /* ... when the value is read but out of range */
	const char *dflt;       /* the default, as a config would write it; NULL: zero */
	const char *example;    /* another value, valid alone (test_cfgprog sets it) */
	const char *note;       /* corral ignores the key: why (said in a warning) */
	const char *quiet;      /* ... unless the value means this, which changes nothing */
	const char *canon;      /* the name corral's own format gives it, when another */
	enum cfgkey_migrate migrate;
	cfgkey_parse_fn *parse;
	cfgkey_apply_fn *apply;
	cfgkey_equal_fn *equal; /* NULL: by type */
	cfgkey_show_fn *show;   /* NULL: by type */
	cfgkey_init_fn *init;   /* sets the default when .dflt cannot say it */
	/* A row that stands for another part's keys (the sandbox's, a pool's):
	 * their names, NULL-terminated. */
	const char *const *subkeys;
};

/* A row's place in a struct: its offset and size. */
#define CFGKEY_AT(type, member) \
	.offset = offsetof(type, member), .size = sizeof(((type *)0)->member)
/* One of its .also fields, numbered ID. */
#define CFGKEY_ALSO(type, id, member) \
	{ .field = (id), .offset = offsetof(type, member), .size = sizeof(((type *)0)->member) }

/* The keys set so far in one section, by the number cfgkey_find() gives. */
#define CFGKEY_SEEN_MAX 256
struct cfgkey_seen {
	uint64_t bits[CFGKEY_SEEN_MAX / 64];
};

static inline bool cfgkey_seen_has(const struct cfgkey_seen *s, size_t id)
{
	return id < CFGKEY_SEEN_MAX && (s->bits[id / 64] >> (id % 64)) & 1;
}

static inline void cfgkey_seen_add(struct cfgkey_seen *s, size_t id)
{
	if (id < CFGKEY_SEEN_MAX)
		s->bits[id / 64] |= UINT64_C(1) << (id % 64);
}

/* A table: its rows and how many. */
struct cfgkey_table {
	const struct cfgkey *rows;
	size_t n;
};

/* The row of KEY in TABLE (rows whose program kind, CFGKEY_FCGI ..., is
 * not in KINDS left out, as are field rows), or NULL. *ID: its number in
 * the table, for a struct cfgkey_seen (the subkeys of a row standing for
 * another part's keys are numbered after the rows). */
const struct cfgkey *cfgkey_find(const struct cfgkey_table *t, const char *key, unsigned kinds,
				 size_t *id);

/* VALUE read by K's type (or K's .parse) into OBJ; as cfgkey_parse_fn. */
int cfgkey_parse(const struct cfgkey *k, void *obj, const char *value, char *err, size_t errlen);

/* VALUE only checked by K's type: 0, or -EDOM with ERR. */
int cfgkey_check(const struct cfgkey *k, const char *value, char *err, size_t errlen);

/* corral ignores K: when VALUE changes nothing (K's .quiet), NULL; else
 * why corral ignores it. NULL for a key corral takes. */
const char *cfgkey_ignored(const struct cfgkey *k, const char *value);

/* A and B (the section's structs) hold the same value of K. */
bool cfgkey_equal(const struct cfgkey *k, const void *a, const void *b);

/* Show K's value in OBJ on OUT, as `corrald --check -v` does. */
void cfgkey_show(const struct cfgkey *k, const void *obj, struct cfgkey_out *out);

/* K's value in OBJ as its show gives it (the first "KEY = VALUE" line)
 * into BUF: 0, -ENOENT when it shows none, -ENAMETOOLONG when it does not
 * fit. */
int cfgkey_value(const struct cfgkey *k, const void *obj, char *buf, size_t len);

/* "KEY = VALUE" (KEY NULL: a comment "; VALUE") on OUT. */
void cfgkey_emit(struct cfgkey_out *out, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- values, for the section files' own parsers ---- */

/* A decimal integer from MIN to MAX, with an optional sign. */
bool cfgkey_parse_int(const char *s, long long min, long long max, long long *out);
/* Octal digits, at most MAX. */
bool cfgkey_parse_octal(const char *s, unsigned max, unsigned *out);
/* "a,b c" or "a | b": names separated by commas, '|' and blanks; an empty
 * list is a vector of none. -ENOMEM or 0, *OUT heap (strv_free()). */
int cfgkey_split_names(const char *value, char ***out);
/* supervisord's environment syntax: KEY=value pairs separated by commas;
 * 'single' and "double" quotes (with \" and \\) may hold commas and keep
 * whitespace. 0 with *OUT (heap, never NULL), -EINVAL with ERR, -ENOMEM. */
int cfgkey_parse_environment(const char *s, char ***out, char *err, size_t errlen);

#endif
