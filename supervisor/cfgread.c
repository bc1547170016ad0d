/* cfgread — the supervisord-style INI file, read with inih (see cfgread.h).
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
 * of file, by the row of their section's table. Errors are collected, never
 * fatal, so that one run of `corrald --check` shows them all. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "supervisor/cfgread.h"
#include "supervisor/cfgcheck.h"
#include "supervisor/cfgexpand.h"
#include "supervisor/cfgprog.h"
#include "supervisor/cfgsect.h"
#include "supervisor/supervisord.h"
#include "ipc/io.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#define MAX_LINE_BYTES 65536    /* one physical line */
#define MAX_FILE_BYTES (4 << 20)  /* one config file, included or not */
#define MAX_TOTAL_BYTES (16 << 20) /* all the files of one load together */
#define KEY_SHOWN 32            /* bytes of a key name inih gets to see */
#define MARK '\x01'

enum { LK_NONE, LK_KEY, LK_CONT, LK_MORE };

/* ---- [include] -------------------------------------------------------- */

static void parse_file(struct loader *ld, const char *path, struct source *from, int from_line);

/* files = GLOB ...: each file matched is read where it is included. */
static void include_files(struct source *src, int line, const char *value)
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
		expanded = cfgexpand_value(src, line, "files", word, NULL);
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
			cfgload_error(src, line, "files: cannot read the directories of '%s'", pattern);
		}
		/* GLOB_NOMATCH: like supervisord, an unmatched pattern is fine */
		globfree(&g);
		free(pattern);
	}
}

/* What a file that cannot be read says is said at the [include] that
 * named it: the value itself is never refused. */
static int apply_files(struct source *src, const struct cfgkey *k, const char *key, void *obj,
		       int line, const char *value)
{
	include_files(src, line, value);
	return 0;
}

/* [include]'s keys. */
static const struct cfgkey include_rows[] = {
	{ .name = "files", .type = CFGKEY_CUSTOM, .apply = apply_files },
};
static const struct cfgkey_table include_table = { include_rows, 1 };


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
		cfgsect_key(src, src->key, src->key_line, value);
	} else if (src->sect == SEC_INCLUDE) {
		free(src->include_value);
		src->include_value = cfgload_strdup(src->ld, value);
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

void cfgread_superseded_finish(struct loader *ld)
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
	} else if (src->ld->pass == PASS_PREPASS) {
		prepass_key(src, value);
	} else if (src->sect == SEC_PROGRAM) {
		cfgprog_key(src, src->key, src->key_line, value);
	} else if (src->sect == SEC_INCLUDE) {
		(void)cfgload_apply(src, &include_rows[0], NULL, src->key, src->key_line, value);
	} else {
		cfgsect_key(src, src->key, src->key_line, value);
	}
	free(src->key);
	src->key = NULL;
	src->value.len = 0;
}

static void finish_section(struct source *src)
{
	finish_key(src);
	prepass_forget_keys(src);
	if (src->ld->pass == PASS_PREPASS && src->sect == SEC_INCLUDE && src->include_value) {
		include_files(src, src->include_line, src->include_value);
		free(src->include_value);
		src->include_value = NULL;
	}
	if (src->sect == SEC_PROGRAM)
		cfgprog_finish(src);
	else if (src->sect == SEC_INCLUDE && !src->include_files)
		cfgload_error(src, src->section_line, "missing files");
	else if (src->sect != SEC_NONE && src->sect != SEC_SKIP)
		cfgsect_finish(src);
	src->sect = SEC_NONE;
	free(src->section);
	src->section = NULL;
}


/* The sections seen so far, by name: a table of indexes into ld->seen,
 * so that each new section is checked for a duplicate in O(1), not
 * against every one before it. */
static size_t seen_hash(const char *name)
{
	size_t h = 1469598103934665603u; /* FNV-1a */
	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 1099511628211u;
	return h;
}

/* The section seen before named NAME (and, for an [include], in FILE). */
static const struct seen_section *seen_find(const struct loader *ld, const char *name,
					    const char *file)
{
	if (!ld->seen_slots)
		return NULL;
	for (size_t i = seen_hash(name) & (ld->seen_slots - 1); ld->seen_index[i];
	     i = (i + 1) & (ld->seen_slots - 1)) {
		const struct seen_section *s = &ld->seen[ld->seen_index[i] - 1];
		if (strcmp(s->name, name) == 0 && (!file || strcmp(s->file, file) == 0))
			return s;
	}
	return NULL;
}

static void seen_slot(struct loader *ld, size_t k)
{
	size_t i = seen_hash(ld->seen[k].name) & (ld->seen_slots - 1);
	while (ld->seen_index[i])
		i = (i + 1) & (ld->seen_slots - 1);
	ld->seen_index[i] = k + 1;
}

static int seen_add(struct loader *ld, const char *name, const char *file, int line)
{
	if (ld->nseen == ld->seencap) {
		size_t cap = ld->seencap ? ld->seencap * 2 : 16;
		struct seen_section *v = reallocarray(ld->seen, cap, sizeof *v);
		if (!v)
			return -ENOMEM;
		ld->seen = v;
		ld->seencap = cap;
	}
	/* at most half full */
	if (2 * (ld->nseen + 1) > ld->seen_slots) {
		size_t slots = ld->seen_slots ? ld->seen_slots * 2 : 64;
		size_t *index = calloc(slots, sizeof *index);
		if (!index)
			return -ENOMEM;
		free(ld->seen_index);
		ld->seen_index = index;
		ld->seen_slots = slots;
		for (size_t k = 0; k < ld->nseen; k++)
			seen_slot(ld, k);
	}
	struct seen_section *s = &ld->seen[ld->nseen];
	*s = (struct seen_section){ .name = strdup(name), .file = strdup(file), .line = line };
	if (!s->name || !s->file) {
		free(s->name);
		free(s->file);
		return -ENOMEM;
	}
	seen_slot(ld, ld->nseen++);
	return 0;
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
			cfgload_error(src, src->lineno, "bad program name '%.*s%s' (%s)", SHOW(pname),
				      why);
			type = SEC_SKIP;
		} else if (strcmp(pname, "all") == 0) {
			cfgload_error(src, src->lineno, "bad program name 'all' (reserved)");
			type = SEC_SKIP;
		}
	} else if (strncmp(sname, "group:", 6) == 0 || strncmp(sname, "pipeline:", 9) == 0) {
		type = SEC_GROUP;
		const char *gname = sname + (sname[0] == 'g' ? 6 : 9);
		const char *why = config_name_problem(gname);
		if (why) {
			cfgload_error(src, src->lineno, "bad group name '%.*s%s' (%s)", SHOW(gname),
				      why);
			type = SEC_SKIP;
		} else if (strcmp(gname, "all") == 0) {
			cfgload_error(src, src->lineno, "bad group name 'all' (reserved)");
			type = SEC_SKIP;
		}
	} else if (strncmp(sname, "socket:", 7) == 0) {
		type = SEC_SOCKET;
		if (!cfgcheck_socket_name(src, sname + 7))
			type = SEC_SKIP;
	} else if ((sd = supervisord_section(sname)) != SUPERVISORD_NONE) {
		type = SEC_FOREIGN;
		src->foreign = sd;
		src->foreign_seen = (struct cfgkey_seen){ 0 };
	} else {
		cfgload_unknown(src, src->lineno, "unknown section");
		type = SEC_SKIP;
	}
	src->sect = type;
	if (type == SEC_SKIP)
		return;

	/* [include] may appear once in each file; the others once overall */
	const struct seen_section *dup = seen_find(ld, sname, type == SEC_INCLUDE ? src->name : NULL);
	if (dup) {
		cfgload_error(src, src->lineno, "duplicate section (first at %s:%d)", dup->file,
			      dup->line);
		src->sect = SEC_SKIP;
		return;
	}
	if (seen_add(ld, sname, src->name, src->lineno) < 0) {
		ld->oom = true;
		src->sect = SEC_SKIP;
		return;
	}

	int rc = 0;
	if (type == SEC_PROGRAM) {
		rc = cfgprog_new(ld, sname, src->name, src->lineno, src->fseq);
		src->prog = ld->nprogs - 1;
	} else if (type == SEC_GROUP) {
		rc = cfgsect_new_group(ld, sname, src->name, src->lineno, src->fseq);
		src->group = ld->ngroups - 1;
	} else if (type == SEC_SOCKET) {
		rc = cfgsect_new_socket(ld, sname + 7, src->name, src->lineno, src->fseq);
		src->sock = ld->nsocks - 1;
	}
	if (rc < 0) {
		ld->oom = true;
		src->sect = SEC_SKIP;
	}
}

/* The tables of the section SRC is reading: its own, and supervisord's
 * keys corral only checks (either may be NULL: a factory's section has
 * neither, and takes any key); the program kinds of its keys. */
static void section_tables(struct source *src, const struct cfgkey_table **own,
			   const struct cfgkey_table **sd, unsigned *kinds)
{
	*sd = NULL;
	*kinds = 0;
	switch (src->sect) {
	case SEC_PROGRAM:
		*own = &cfgprog_table;
		*kinds = cfgprog_kinds(&src->ld->progs[src->prog]);
		*sd = supervisord_keys(SUPERVISORD_NONE);
		break;
	case SEC_CORRAL:
		*own = cfgsect_table(SEC_CORRAL, 0);
		*sd = supervisord_keys(SUPERVISORD_MAIN);
		break;
	case SEC_FOREIGN:
		*own = cfgsect_table(SEC_FOREIGN, src->foreign);
		*sd = supervisord_keys(src->foreign);
		break;
	case SEC_INCLUDE:
		*own = &include_table;
		break;
	default:
		*own = cfgsect_table(src->sect, 0);
		break;
	}
}

/* The row of KEY in the tables of the section SRC is reading, with its
 * number in the section's set of keys seen (*ID); NULL when the section
 * has no such key, or takes any (a factory's). */
static const struct cfgkey *section_key(struct source *src, const char *key, size_t *id)
{
	const struct cfgkey_table *own, *sd;
	unsigned kinds;
	section_tables(src, &own, &sd, &kinds);
	const struct cfgkey *k = own ? cfgkey_find(own, key, kinds, id) : NULL;
	if (!k && sd && (k = cfgkey_find(sd, key, kinds, id)))
		*id += CFGLOAD_SD_IDS;
	return k;
}

/* The set of keys seen in the section SRC is reading. */
static struct cfgkey_seen *section_seen(struct source *src)
{
	struct loader *ld = src->ld;
	switch (src->sect) {
	case SEC_CORRAL:
		return &ld->main_seen;
	case SEC_PROGRAM:
		return &ld->meta[src->prog].seen;
	case SEC_FOREIGN:
		return &src->foreign_seen;
	case SEC_GROUP:
		return &ld->gmeta[src->group].seen;
	case SEC_SOCKET:
		return &ld->smeta[src->sock].seen;
	}
	return NULL;
}

/* A "NAME=value" line starts a new key (NAME is not empty). */
static void begin_key(struct source *src, const char *name, size_t len)
{
	struct loader *ld = src->ld;
	struct cfgkey_seen include_seen = { 0 }, *seen = NULL;
	size_t id = 0;

	finish_key(src);
	src->prev_key = true;
	char *key = strndup(name, len);
	if (!key) {
		ld->oom = true;
		return;
	}
	if (src->sect == SEC_NONE) {
		cfgload_error(src, src->lineno, "key '%s' outside any section", key);
		free(key);
		return;
	}
	if (src->sect == SEC_SKIP) {
		if (ld->visit && src->section)
			goto visit_only;
		free(key);
		return;
	}
	const struct cfgkey_table *own, *sd;
	unsigned kinds;
	section_tables(src, &own, &sd, &kinds);
	if (!own && !sd) { /* a factory's section: its keys are the factory's */
		if (ld->visit)
			goto visit_only;
		free(key);
		return;
	}
	const struct cfgkey *k = section_key(src, key, &id);
	if (!(seen = section_seen(src))) { /* [include]: its one key */
		if (src->include_files)
			cfgkey_seen_add(&include_seen, id);
		seen = &include_seen;
	}
	if (!k) {
		cfgload_unknown(src, src->lineno, "unknown key '%s'", key);
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
			cfgload_warn(src, src->lineno, "duplicate key '%s': supervisord takes the "
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
	if (cfgkey_seen_has(seen, id) && ld->pass != PASS_PREPASS) {
		cfgload_error(src, src->lineno, "duplicate key '%s'", key);
		free(key);
		return;
	}
	cfgkey_seen_add(seen, id);
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
		cfgload_error(src, src->lineno, "line too long (more than %d bytes)", MAX_LINE_BYTES);
		return;
	}
	if (strlen(line) != len) {
		cfgload_error(src, src->lineno, "NUL byte in line");
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
		cfgload_error(src, src->lineno, "syntax error: missing ']'");
	} else {
		end = (char *)find_or_comment(start, "=:");
		if (*end == '=' || *end == ':') {
			char sep = *end;
			char *name_end = rstrip(start, end);
			if (name_end == start) {
				cfgload_error(src, src->lineno, "syntax error: missing key before '%c'",
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
		cfgload_error(src, src->lineno, "syntax error: expected KEY=VALUE, [SECTION] or a comment");
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

void cfgread_source(struct loader *ld, struct source *src)
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
			cfgload_add_error(ld, src->fseq, src->name, 0, NULL, "syntax error");
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

/* At most MAX_FILE_BYTES of a file are read and MAX_TOTAL_BYTES for all
 * the files of a load. */
int cfgread_file_text(struct loader *ld, const char *path, struct source *from, int from_line,
		      char **text, size_t *len, struct stat *st)
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
		cfgload_add_error(ld, fseq, file, from_line, section, "cannot open %s: %s", path, strerror(errno));
		return -errno;
	}
	if (fstat(fd, st) < 0 || fstatfs(fd, &sfs) < 0) {
		rc = -errno;
		cfgload_add_error(ld, fseq, file, from_line, section, "cannot open %s: %s", path, strerror(-rc));
		goto out;
	}
	if (!S_ISREG(st->st_mode)) {
		cfgload_add_error(ld, fseq, file, from_line, section, "cannot open %s: %s", path,
			  S_ISDIR(st->st_mode) ? strerror(EISDIR) : "not a regular file");
		goto out;
	}
	for (size_t i = 0; i < sizeof pseudo_fs / sizeof pseudo_fs[0]; i++)
		if ((unsigned long)sfs.f_type == pseudo_fs[i].magic) {
			cfgload_add_error(ld, fseq, file, from_line, section,
				  "cannot read %s: not a regular file on a real file system (%s)", path,
				  pseudo_fs[i].name);
			goto out;
		}
	for (int i = 0; i < ld->depth; i++) {
		if (ld->open[i].known && ld->open[i].dev == st->st_dev &&
		    ld->open[i].ino == st->st_ino) {
			cfgload_add_error(ld, fseq, file, from_line, section,
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
			cfgload_add_error(ld, fseq, file, from_line, section, "cannot read %s: %s", path,
				  strerror(-rc));
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n >= want) {
			if (n > MAX_FILE_BYTES)
				cfgload_add_error(ld, fseq, file, from_line, section,
					  "cannot read %s: larger than %d MiB, the most one config "
					  "file may hold", path, MAX_FILE_BYTES >> 20);
			else
				cfgload_add_error(ld, fseq, file, from_line, section,
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
		cfgload_add_error(ld, from ? from->fseq : 0, from ? from->name : NULL, from_line,
			  from ? from->section : NULL,
			  "cannot include %s: includes nested more than %d deep", path,
			  MAX_INCLUDE_DEPTH);
		return;
	}
	if (cfgread_file_text(ld, path, from, from_line, &text, &len, &st) < 0)
		return;
	ld->open[ld->depth].dev = st.st_dev;
	ld->open[ld->depth].ino = st.st_ino;
	ld->open[ld->depth].known = true;
	ld->depth++;
	struct source src = { .name = path, .text = text, .textlen = len };
	cfgread_source(ld, &src);
	ld->depth--;
	free(text);
}

