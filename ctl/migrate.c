/* migrate — a supervisord config rewritten in corral's own format.
 *
 * The file is read by corrald's own reader, through its public face
 * (supervisor/config_api.h), not by inih directly: inih as packaged has a
 * 200-byte line and no line numbers, and the reader already works around
 * both; it also checks every value the way corrald --check does (so an
 * error here is the same error with the same FILE:LINE), expands %(...)s
 * the way corrald does, and gives each program the values it would run
 * with. The price is linking the reader's objects and, through the
 * sandbox keys it compiles, libseccomp and libcap into corralctl; both
 * have static archives in Debian, so corralctl stays static-pie.
 *
 * Each key is written as its row in the reader's key tables says
 * (config_api_key()): as written, as resolved, each process's own, into
 * each program, or commented out with why; so a new key needs nothing
 * here.
 *
 * Choices, each also said in the output where it applies:
 * - [include]: the files it matched are inlined where they were included,
 *   each marked with its name; the [include] section is kept commented
 *   out. Files added to the glob later are not read by the migrated file.
 * - Expansions: corral's format expands %(here)s, %(ENV_X)s and the others
 *   in command, directory and the log files, but not in environment, and
 *   %(process_num)d only in process_name; and %(here)s would mean the new
 *   file's directory. So those values are written as corrald resolved
 *   them, '%' doubled, with the environment's values of migration time.
 * - A program whose processes differ (%(process_num)d in command,
 *   directory, a log file or environment, numprocs > 1) cannot be written
 *   as one [program:x]: it becomes one program per process, named after
 *   the process, in a [group:x] named after the program (or in its own
 *   group), so that every process keeps its name GROUP:PROCESS.
 * - [supervisord]'s umask, directory and environment, which its programs
 *   inherit and [corral] lacks, are written into each program.
 * - What supervisord's format gives a config without saying and corral's
 *   format does not (the control socket's path, nodaemon = false, minfds,
 *   minprocs, the log directory) is written into [corral], so that it runs
 *   the same.
 * - A key set twice in a section (supervisord keeps the last value) is
 *   written once; the values before are commented out. */
#include "ctl/migrate.h"
#include "supervisor/config_api.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* One key as written. */
struct mkey {
	char *key, *value;
	int line;
	bool superseded;        /* set again below in its section: not used */
};

/* One section as written, with its keys. */
struct msect {
	char *name;     /* between the brackets */
	char *file;     /* the file it is in */
	int line;
	struct mkey *keys;
	size_t nkeys;
};

struct model {
	const char *path;       /* the main file */
	struct msect *sects;    /* in the order read; freed by model_free() */
	size_t n;
	bool supervisord;       /* the main file has [supervisord] */
	bool oom;
};

static void visit(void *arg, const struct config_item *it)
{
	struct model *m = arg;
	if (m->oom)
		return;
	if (!it->key) {
		struct msect *v = reallocarray(m->sects, m->n + 1, sizeof *v);
		if (!v) {
			m->oom = true;
			return;
		}
		m->sects = v;
		v[m->n] = (struct msect){ .name = strdup(it->section), .file = strdup(it->file),
					  .line = it->line };
		if (!v[m->n].name || !v[m->n].file)
			m->oom = true;
		m->n++;
		if (strcmp(it->file, m->path) == 0 && strcmp(it->section, "supervisord") == 0)
			m->supervisord = true;
		return;
	}
	if (!m->n)
		return; /* a key outside any section: the reader reports it */
	struct msect *s = &m->sects[m->n - 1];
	struct mkey *k = reallocarray(s->keys, s->nkeys + 1, sizeof *k);
	if (!k) {
		m->oom = true;
		return;
	}
	s->keys = k;
	k[s->nkeys] = (struct mkey){ .key = strdup(it->key), .value = strdup(it->value),
				     .line = it->line, .superseded = it->superseded };
	if (!k[s->nkeys].key || !k[s->nkeys].value)
		m->oom = true;
	s->nkeys++;
}

static void model_free(struct model *m)
{
	for (size_t i = 0; i < m->n; i++) {
		for (size_t k = 0; k < m->sects[i].nkeys; k++) {
			free(m->sects[i].keys[k].key);
			free(m->sects[i].keys[k].value);
		}
		free(m->sects[i].keys);
		free(m->sects[i].name);
		free(m->sects[i].file);
	}
	free(m->sects);
}

char *migrate_escape(const char *value)
{
	size_t n = strlen(value), pct = 0;
	for (const char *p = value; *p; p++)
		pct += *p == '%';
	char *out = malloc(n + pct + 1), *q = out;
	if (!out)
		return NULL;
	for (const char *p = value; *p; p++) {
		*q++ = *p;
		if (*p == '%')
			*q++ = '%';
	}
	*q = '\0';
	return out;
}

char *migrate_environment(char *const *env)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	for (size_t i = 0; env[i]; i++) {
		const char *eq = strchr(env[i], '=');
		size_t klen = eq ? (size_t)(eq - env[i]) : strlen(env[i]);
		fprintf(f, "%s%.*s=\"", i ? "," : "", (int)klen, env[i]);
		for (const char *p = eq ? eq + 1 : ""; *p; p++) {
			if (*p == '"' || *p == '\\')
				fputc('\\', f);
			fputc(*p, f);
		}
		fputc('"', f);
	}
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf; /* the caller's */
}

/* ---- writing ----------------------------------------------------------- */

struct writer {
	FILE *out;
	const struct config_file *cfg;
	const struct model *m;
	bool main_done;         /* [corral] is written: [supervisord] and [corral] in one */
	bool oom;
};

/* KEY = VALUE with VALUE's '%' doubled (a key corral's format expands). */
static void put_expanded(struct writer *w, const char *key, const char *value)
{
	char *e = migrate_escape(value);
	if (!e) {
		w->oom = true;
		return;
	}
	fprintf(w->out, "%s = %s\n", key, e);
	free(e);
}

static void put_commented(struct writer *w, const struct mkey *k, const char *why)
{
	fprintf(w->out, "# %s = %s  ; not in corral: %s\n", k->key, k->value, why);
}

/* K is set again below in its section, which corral's format refuses:
 * written commented out, as supervisord never used it. */
static bool put_superseded(struct writer *w, const struct mkey *k)
{
	if (!k->superseded)
		return false;
	fprintf(w->out, "# %s = %s  ; set again below: supervisord takes the last value\n",
		k->key, k->value);
	return true;
}

static bool has_key(const struct msect *s, const char *key)
{
	for (size_t i = 0; i < s->nkeys; i++)
		if (strcmp(s->keys[i].key, key) == 0)
			return true;
	return false;
}

/* The section began in an [include]d file: say which. */
static void put_origin(struct writer *w, const struct msect *s)
{
	if (strcmp(s->file, w->m->path) != 0)
		fprintf(w->out, "; from %s:%d\n", s->file, s->line);
}

static bool is_main(const struct msect *s)
{
	return strcmp(s->name, "supervisord") == 0 || strcmp(s->name, "corral") == 0;
}

/* The name corral's own format gives KEY of section S (logdir for
 * supervisord's childlogdir). */
static const char *canon(const struct msect *s, const char *key)
{
	struct config_api_key row;
	return config_api_key(s->name, key, &row) == 0 ? row.name : key;
}

/* KEY (or its alias) was written by an earlier main section's key. */
static bool main_key_before(const struct writer *w, const struct msect *s, size_t i)
{
	const char *key = canon(s, s->keys[i].key);
	for (size_t j = 0; j < w->m->n; j++) {
		const struct msect *o = &w->m->sects[j];
		if (!is_main(o))
			continue;
		for (size_t k = 0; k < (o == s ? i : o->nkeys); k++)
			if (!o->keys[k].superseded && strcmp(canon(o, o->keys[k].key), key) == 0)
				return true;
		if (o == s)
			return false;
	}
	return false;
}

/* K of section S by its row's say (ROW, config_api_key()) when it is one
 * of the ways every section has: true when written. P: the program whose
 * value it is; NULL: [corral]'s. */
static bool put_by_row(struct writer *w, const struct msect *s, const struct mkey *k,
		       const struct config_api_key *row, const struct config_api_program *p)
{
	char value[PATH_MAX + 64];
	switch (row->migrate) {
	case CONFIG_API_RESOLVED:
		if (config_api_key_value(w->cfg, s->name, k->key, p, value, sizeof value) < 0)
			return false;
		put_expanded(w, row->name, value);
		return true;
	case CONFIG_API_IGNORED:
		put_commented(w, k, row->note);
		return true;
	case CONFIG_API_TO_PROGRAMS:
		fprintf(w->out, "# %s = %s  ; [corral] has no %s: written into each program, "
			"which supervisord's inherit it\n", k->key, k->value, k->key);
		return true;
	case CONFIG_API_AS_WRITTEN:
	case CONFIG_API_SPLIT: /* the program is not split: the caller knows */
		fprintf(w->out, "%s = %s\n", k->key, k->value);
		return true;
	case CONFIG_API_PER_PROCESS: /* each process's own: the caller's */
		break;
	}
	return false;
}

/* The keys of one of [supervisord] and [corral] (both go in one [corral]). */
static void write_main_keys(struct writer *w, const struct msect *s)
{
	put_origin(w, s);
	for (size_t i = 0; i < s->nkeys; i++) {
		const struct mkey *k = &s->keys[i];
		struct config_api_key row;
		if (put_superseded(w, k))
			continue;
		else if (main_key_before(w, s, i))
			put_commented(w, k, "set above");
		else if (config_api_key(s->name, k->key, &row) < 0 ||
			 !put_by_row(w, s, k, &row, NULL))
			put_commented(w, k, "unknown key");
	}
}

/* [supervisord] as [corral]; a file with both gets one [corral] with the
 * keys of each, in the order written (a key set twice: the first). */
static void write_main(struct writer *w, const struct msect *s)
{
	if (w->main_done) {
		fprintf(w->out, "; [%s]: its keys are in [corral] above\n", s->name);
		return;
	}
	w->main_done = true;
	fprintf(w->out, "[corral]\n");
	bool set[6] = { false };
	static const char *const defaults[] = { "socket",   "nodaemon", "minfds",
						"minprocs", "logdir",   "childlogdir" };
	for (size_t j = 0; j < w->m->n; j++) {
		const struct msect *o = &w->m->sects[j];
		if (!is_main(o))
			continue;
		write_main_keys(w, o);
		for (size_t k = 0; k < o->nkeys; k++)
			for (size_t d = 0; d < 6; d++)
				set[d] |= strcmp(o->keys[k].key, defaults[d]) == 0;
	}
	/* what a supervisord config gets without saying, and corral's format not */
	struct config_api_main cfg;
	config_api_main(w->cfg, &cfg);
	if (!set[0]) {
		fprintf(w->out, "; the control socket supervisord's format gives this config; without\n"
			"; this line, corral's default, which corralctl finds without -c\n");
		put_expanded(w, "socket", cfg.socket);
	}
	if (!set[1] || !set[2] || !set[3] || !(set[4] || set[5]))
		fprintf(w->out, "; supervisord's defaults, which corral's format does not have\n");
	if (!(set[4] || set[5]))
		put_expanded(w, "logdir", cfg.logdir);
	if (!set[1])
		fprintf(w->out, "nodaemon = %s\n", cfg.nodaemon ? "true" : "false");
	if (!set[2])
		fprintf(w->out, "minfds = %lu\n", cfg.minfds);
	if (!set[3])
		fprintf(w->out, "minprocs = %lu\n", cfg.minprocs);
}

/* The isolation corral adds, commented in: each line is valid alone or
 * with the others when uncommented (tests/e2e/test_migrate.py checks). */
static void put_isolation(struct writer *w, const struct msect *s)
{
	fprintf(w->out, "# The isolation corral adds (corral.conf(5), \"The sandbox of a "
		"program\"):\n# uncomment, one by one, what this program can live with.\n");
	if (!has_key(s, "user"))
		fprintf(w->out, "# user = nobody\n");
	fprintf(w->out, "# no_new_privs = true  ; already corral's default\n"
		"# capabilities = none\n"
		"# seccomp = @system-service\n"
		"# private_tmp = true\n"
		"# namespaces = ipc uts\n"
		"# read_only_paths = /usr /etc\n"
		"# memory_max = 512M\n"
		"# pids_max = 64\n");
	if (!has_key(s, "killmode"))
		fprintf(w->out, "# killmode = group  ; already corral's default\n");
}

/* K, one of the values a process of its own may have, as V has it. */
static void put_per_process(struct writer *w, const struct mkey *k,
			    const struct config_api_process *v)
{
	if (strcmp(k->key, "command") == 0) {
		put_expanded(w, "command", v->command);
	} else if (strcmp(k->key, "directory") == 0) {
		if (v->directory)
			put_expanded(w, "directory", v->directory);
	} else if (strcmp(k->key, "environment") == 0) {
		char *e = migrate_environment(v->environment);
		if (!e)
			w->oom = true;
		else if (*e)
			fprintf(w->out, "environment = %s\n", e);
		free(e);
	} else {
		const char *f = k->key[3] == 'o' ? v->stdout_logfile : v->stderr_logfile;
		if (strcasecmp(k->value, "syslog") == 0) /* not a file: taken as it is */
			fprintf(w->out, "%s = %s\n", k->key, k->value);
		else if (!f || strcmp(f, "NONE") == 0)
			fprintf(w->out, "%s = %s\n", k->key, f ? f : "AUTO");
		else
			put_expanded(w, k->key, f);
	}
}

/* The keys of a [program:x] or [fcgi-program:x] as written, with the
 * values corrald resolved for process INDEX (-1: the program's own);
 * PNAME: the name of the process as a program of its own, NULL when the
 * program is not split per process. */
static void write_program_keys(struct writer *w, const struct msect *s,
			       const struct config_api_program *p, int index, const char *pname)
{
	struct config_api_process v;
	config_api_process(w->cfg, p, index < 0 ? 0 : index, &v);
	bool env_done = false, dir_done = false;
	for (size_t i = 0; i < s->nkeys; i++) {
		const struct mkey *k = &s->keys[i];
		struct config_api_key row;
		bool known = config_api_key(s->name, k->key, &row) == 0;
		if (put_superseded(w, k)) {
			continue;
		} else if (known && row.migrate == CONFIG_API_PER_PROCESS) {
			put_per_process(w, k, &v);
			env_done |= strcmp(k->key, "environment") == 0;
			dir_done |= strcmp(k->key, "directory") == 0;
		} else if (pname && known && row.migrate == CONFIG_API_SPLIT) {
			if (strcmp(k->key, "process_name") == 0)
				put_expanded(w, "process_name", pname);
			else
				fprintf(w->out, "# %s = %s  ; one program per process instead\n", k->key,
					k->value);
		} else if (!known || !put_by_row(w, s, k, &row, p)) {
			put_commented(w, k, "unknown key");
		}
	}
	if (pname && !has_key(s, "process_name"))
		put_expanded(w, "process_name", pname);
	if (!dir_done && v.directory) {
		fprintf(w->out, "; inherited from [supervisord] directory\n");
		put_expanded(w, "directory", v.directory);
	}
	if (!env_done && v.environment[0]) {
		char *e = migrate_environment(v.environment);
		if (!e) {
			w->oom = true;
		} else {
			fprintf(w->out, "; inherited from [supervisord] environment\n"
				"environment = %s\n", e);
			free(e);
		}
	}
	if (!has_key(s, "umask") && p->umask >= 0)
		fprintf(w->out, "; supervisord's umask, which its programs inherit\n"
			"umask = %03o\n", (unsigned)p->umask);
	put_isolation(w, s);
}

/* The name of process INDEX of P, as a program of its own. */
static int split_name(const struct config_file *cfg, const struct config_api_program *p,
		      int index, char *buf, size_t len)
{
	return config_api_process_name(cfg, p, p->numprocs_start + index, buf, len);
}

/* P is written as one program per process (write_program()). */
static bool is_split(const struct config_api_program *p)
{
	return p->per_process && p->numprocs != 1;
}

static void write_program(struct writer *w, const struct msect *s, const char *kind)
{
	const char *name = strchr(s->name, ':') + 1;
	struct config_api_program prog, *p = &prog;
	if (config_api_find_program(w->cfg, name, p) < 0)
		return; /* the reader would have said why: not reached after a clean load */
	if (!is_split(p)) {
		fprintf(w->out, "[%s:%s]\n", kind, name);
		put_origin(w, s);
		write_program_keys(w, s, p, -1, NULL);
		return;
	}
	fprintf(w->out, "; [%s:%s] (numprocs = %d) gives each process its own command, "
		"directory,\n; log file or environment (%%(process_num)d), which corral's "
		"format cannot say\n; in one program: one program per process follows.\n", kind,
		name, p->numprocs);
	if (p->is_listener)
		fprintf(w->out, "; Beware: as pools of their own, each of these listeners hears "
			"every event,\n; where in one pool one of them did.\n");
	put_origin(w, s);
	for (int i = 0; i < p->numprocs; i++) {
		char pname[256];
		if (split_name(w->cfg, p, i, pname, sizeof pname) < 0)
			snprintf(pname, sizeof pname, "%s_%d", name, i);
		fprintf(w->out, "%s[%s:%s]\n", i ? "\n" : "", kind, pname);
		write_program_keys(w, s, p, i, pname);
	}
	if (!p->group) {
		fprintf(w->out, "\n[group:%s]\nprograms = ", name);
		for (int i = 0; i < p->numprocs; i++) {
			char pname[256];
			if (split_name(w->cfg, p, i, pname, sizeof pname) < 0)
				snprintf(pname, sizeof pname, "%s_%d", name, i);
			fprintf(w->out, "%s%s", i ? "," : "", pname);
		}
		fprintf(w->out, "\n");
	}
}

/* programs = ..., with each program split by write_program() replaced by
 * its parts. */
static void write_group_programs(struct writer *w, const struct mkey *k)
{
	char *list = strdup(k->value), *save = NULL;
	int n = 0;
	if (!list) {
		w->oom = true;
		return;
	}
	fprintf(w->out, "programs = ");
	for (char *t = strtok_r(list, ", \t", &save); t; t = strtok_r(NULL, ", \t", &save)) {
		struct config_api_program prog, *p = &prog;
		if (config_api_find_program(w->cfg, t, p) < 0 || !is_split(p)) {
			fprintf(w->out, "%s%s", n++ ? "," : "", t);
			continue;
		}
		for (int i = 0; i < p->numprocs; i++) {
			char pname[256];
			if (split_name(w->cfg, p, i, pname, sizeof pname) < 0)
				snprintf(pname, sizeof pname, "%s_%d", t, i);
			fprintf(w->out, "%s%s", n++ ? "," : "", pname);
		}
	}
	fprintf(w->out, "\n");
	free(list);
}

static void write_raw(struct writer *w, const struct msect *s, const char *comment)
{
	if (comment)
		fprintf(w->out, "# [%s]  ; not in corral: %s\n", s->name, comment);
	else
		fprintf(w->out, "[%s]\n", s->name);
	put_origin(w, s);
	for (size_t i = 0; i < s->nkeys; i++)
		if (comment || !put_superseded(w, &s->keys[i]))
			fprintf(w->out, "%s%s = %s\n", comment ? "# " : "", s->keys[i].key,
				s->keys[i].value);
}

/* NAME ([fcgi-program:x], [eventlistener:x]) is one of CFG's programs. */
static bool names_program(const struct config_file *cfg, const char *name)
{
	struct config_api_program p;
	return config_api_find_program(cfg, strchr(name, ':') + 1, &p) == 0;
}

static void write_section(struct writer *w, const struct msect *s)
{
	enum config_api_section kind = config_api_section(s->name);
	if (is_main(s)) {
		write_main(w, s);
	} else if (strncmp(s->name, "program:", 8) == 0) {
		write_program(w, s, "program");
	} else if (kind == CONFIG_API_SECTION_FCGI && names_program(w->cfg, s->name)) {
		write_program(w, s, "fcgi-program");
	} else if (kind == CONFIG_API_SECTION_EVENTLISTENER && names_program(w->cfg, s->name)) {
		/* a program too: what it inherits from [supervisord] is written in */
		write_program(w, s, "eventlistener");
	} else if (strncmp(s->name, "group:", 6) == 0) {
		fprintf(w->out, "[%s]\n", s->name);
		put_origin(w, s);
		for (size_t i = 0; i < s->nkeys; i++) {
			if (put_superseded(w, &s->keys[i]))
				continue;
			if (strcmp(s->keys[i].key, "programs") == 0)
				write_group_programs(w, &s->keys[i]);
			else
				fprintf(w->out, "%s = %s\n", s->keys[i].key, s->keys[i].value);
		}
	} else if (strcmp(s->name, "include") == 0) {
		fprintf(w->out, "# [include]  ; inlined: the files it matched at migration "
			"follow it,\n#   each marked \"; from FILE\"; files added later are "
			"not read\n");
		for (size_t i = 0; i < s->nkeys; i++)
			fprintf(w->out, "# %s = %s\n", s->keys[i].key, s->keys[i].value);
	} else if (kind == CONFIG_API_SECTION_RPCINTERFACE || kind == CONFIG_API_SECTION_CTLPLUGIN) {
		bool main_rpc = false;
		for (size_t i = 0; i < s->nkeys && kind == CONFIG_API_SECTION_RPCINTERFACE; i++)
			main_rpc |= strcmp(s->keys[i].value, "supervisor.rpcinterface:"
					   "make_main_rpcinterface") == 0;
		write_raw(w, s, main_rpc ? "corrald serves this interface itself"
					 : config_api_section_note(kind));
	} else if (kind != CONFIG_API_SECTION_CORRAL || strncmp(s->name, "socket:", 7) == 0 ||
		   strncmp(s->name, "pool:", 5) == 0 || strncmp(s->name, "pipeline:", 9) == 0) {
		/* supervisorctl's sections and corral's own */
		write_raw(w, s, NULL);
	} else {
		write_raw(w, s, "unknown section");
	}
}

static int add_error(struct config_errors *errs, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int add_error(struct config_errors *errs, const char *fmt, ...)
{
	char **v = reallocarray(errs->msgs, errs->n + 1, sizeof *v);
	if (!v)
		return -ENOMEM;
	errs->msgs = v;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&v[errs->n], fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	errs->n++;
	return -EINVAL;
}

/* The names a split (write_program()) makes must be free: each process's
 * as a program, and the program's as a group when it is in none. */
static int check_splits(const struct config_file *cfg, struct config_errors *errs)
{
	int rc = 0;
	for (size_t i = 0; i < config_api_nprograms(cfg) && rc != -ENOMEM; i++) {
		struct config_api_program prog, *p = &prog, other;
		config_api_program(cfg, i, p);
		if (!is_split(p))
			continue;
		if (!p->group && config_api_has_group(cfg, p->name))
			rc = add_error(errs, "%s:%d: [program:%s]: cannot become one program per "
				       "process in [group:%s]: that group exists", p->file, p->line,
				       p->name, p->name);
		for (int k = 0; k < p->numprocs && rc != -ENOMEM; k++) {
			char pname[256];
			if (split_name(cfg, p, k, pname, sizeof pname) == 0 &&
			    config_api_find_program(cfg, pname, &other) == 0)
				rc = add_error(errs, "%s:%d: [program:%s]: cannot become one program "
					       "per process: a program named '%s' exists", p->file,
					       p->line, p->name, pname);
		}
	}
	return rc;
}

int migrate_supervisord(const char *path, FILE *out, struct config_errors *errs)
{
	struct model m = { .path = path };
	struct config_file *cfg;
	int rc = config_api_read(path, visit, &m, &cfg, errs);
	if (rc < 0)
		goto out_model;
	if (m.oom) {
		rc = -ENOMEM;
		goto out_cfg;
	}
	if (!m.supervisord) {
		rc = -ENOTSUP;
		goto out_cfg;
	}
	if ((rc = check_splits(cfg, errs)) < 0)
		goto out_cfg;
	struct writer w = { .out = out, .cfg = cfg, .m = &m };
	fprintf(out, "; corral.conf(5), migrated from supervisord's %s by corralctl migrate.\n"
		"; What supervisord expanded (%%(here)s, %%(ENV_X)s, %%(process_num)d ...) is\n"
		"; written as it was at migration, '%%' doubled where corral expands.\n", path);
	for (size_t i = 0; i < m.n; i++) {
		fprintf(out, "\n");
		write_section(&w, &m.sects[i]);
	}
	rc = w.oom ? -ENOMEM : 0;
out_cfg:
	config_api_free(cfg);
out_model:
	model_free(&m);
	return rc;
}
