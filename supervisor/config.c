/* config — the supervisord-style INI configuration (see config.h).
 *
 * A load, start to end: the main file read first (whether it has
 * [supervisord] decides how every line is taken), a supervisord config's
 * prepass, the reading proper (cfgread.c, which applies each key by its
 * row: cfgprog.c, cfgsect.c), what programs inherit, the checks of the
 * whole (cfgcheck.c), and the messages in file and line order. And what
 * the key tables give the rest of corral: the verbose dump, and a key's
 * row for corralctl migrate. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "supervisor/config.h"
#include "supervisor/cfgcheck.h"
#include "supervisor/cfgprog.h"
#include "supervisor/cfgread.h"
#include "supervisor/cfgsect.h"
#include "supervisor/supervisord.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

void config_free(struct corral_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->path);
	free(cfg->socket);
	free(cfg->logdir);
	free(cfg->state_dir);
	free(cfg->pidfile);
	free(cfg->logfile);
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
		free(hs[i]->api_token_file);
		free(hs[i]->api_token_where);
	}
	for (size_t i = 0; i < cfg->nprograms; i++)
		cfgprog_free(&cfg->programs[i]);
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
	free(ld->seen_index);
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
	cfgread_source(&pre, &src);
	if (pre.oom) {
		ld->oom = true;
	} else {
		cfgread_superseded_finish(&pre);
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
	if (!s) {
		ld->oom = true;
	} else {
		free(cfg->socket);
		cfg->socket = s;
	}
}

static int load(const char *path, const char *text, struct corral_config *out,
		struct config_errors *errs, config_visit_fn *visit, void *visit_arg,
		char **socket_out, enum socket_rule *rule_out)
{
	/* corralctl's callers cannot look users up (see cfgcheck.c) */
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
	} else if ((main_rc = cfgread_file_text(&ld, path, NULL, 0, &main_text, &main_len,
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
	if (!ld.cfg.path || cfgsect_defaults(&ld) < 0)
		ld.oom = true;
	/* supervisord's defaults; corral's own format stays in the foreground */
	ld.cfg.nodaemon = !ld.supervisord;
	ld.cfg.minfds = ld.supervisord ? 1024 : 0;
	ld.cfg.minprocs = ld.supervisord ? 200 : 0;
	/* supervisord's childlogdir: the temporary directory, as Python's
	 * tempfile.gettempdir() finds it ($TMPDIR, else /tmp) */
	if (!ld.oom && ld.supervisord) {
		const char *tmp = getenv("TMPDIR");
		char *dir = strdup(tmp && *tmp == '/' ? tmp : "/tmp");
		if (!dir) {
			ld.oom = true;
		} else {
			free(ld.cfg.logdir);
			ld.cfg.logdir = dir;
		}
	}
	if (!ld.oom && ld.supervisord)
		load_prepass(&ld, path, text, main_len);
	if (!ld.oom && main_ok) {
		ld.depth = 1;
		struct source src = { .name = path, .text = text, .textlen = main_len };
		cfgread_source(&ld, &src);
		ld.depth = 0;
	}
	free(main_text);
	size_t socket_id;
	if (!ld.oom && ld.supervisord &&
	    cfgkey_find(cfgsect_table(SEC_CORRAL, 0), "socket", 0, &socket_id) &&
	    !cfgkey_seen_has(&ld.main_seen, socket_id))
		default_socket(&ld, path);
	if (!ld.oom && ld.supervisord)
		cfgprog_inherit(&ld);
	if (!ld.oom)
		cfgprog_output(&ld);
	cfgcheck_config(&ld);
	cfgload_sort_errors(&ld);

	if (ld.dropped)
		cfgload_add_error(&ld, INT_MAX, path, 0, NULL,
				  "too many errors, %zu more not shown", ld.dropped);
	if (ld.wdropped)
		cfgload_warning_summary(&ld, path, "too many warnings, %zu more not shown",
					ld.wdropped);
	if (ld.oom) {
		cfgload_add_error(&ld, INT_MAX, NULL, 0, NULL, "out of memory");
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
	char *section = NULL;
	size_t argc = 0, cmdlen = 0;
	while (argv[argc])
		cmdlen += strlen(argv[argc++]) + 1;
	int rc = -ENOMEM;
	if (asprintf(&section, "program:%s", name) < 0) {
		section = NULL;
		goto out;
	}
	if (cfgprog_new(&ld, section, "(corralctl run)", 0, 0) < 0)
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
	free(section);
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

void config_show(const struct corral_config *cfg, struct cfgkey_out *out)
{
	cfgsect_show_main(cfg, out);
	for (size_t i = 0; i < cfg->nprograms; i++) {
		out->line(out->ctx, "");
		cfgprog_show(&cfg->programs[i], out);
	}
	cfgsect_show_groups(cfg, out);
}

const struct cfgkey *config_key(const char *section, const char *key)
{
	const struct cfgkey_table *own = NULL, *sd = NULL;
	unsigned kinds = 0;
	size_t id;
	enum supervisord_section kind = supervisord_section(section);
	if (strcmp(section, "corral") == 0 || kind == SUPERVISORD_MAIN) {
		own = cfgsect_table(SEC_CORRAL, 0);
		sd = supervisord_keys(SUPERVISORD_MAIN);
	} else if (strncmp(section, "program:", 8) == 0 || strncmp(section, "pool:", 5) == 0 ||
		   kind == SUPERVISORD_FCGI || kind == SUPERVISORD_EVENTLISTENER) {
		own = &cfgprog_table;
		sd = supervisord_keys(SUPERVISORD_NONE);
		kinds = strncmp(section, "pool:", 5) == 0 ? CFGKEY_POOL :
			kind == SUPERVISORD_FCGI ? CFGKEY_FCGI :
			kind == SUPERVISORD_EVENTLISTENER ? CFGKEY_LISTENER : 0;
	} else if (strncmp(section, "group:", 6) == 0 || strncmp(section, "pipeline:", 9) == 0) {
		own = cfgsect_table(SEC_GROUP, 0);
	} else if (strncmp(section, "socket:", 7) == 0) {
		own = cfgsect_table(SEC_SOCKET, 0);
	} else if (kind != SUPERVISORD_NONE) {
		own = cfgsect_table(SEC_FOREIGN, kind);
		sd = supervisord_keys(kind);
	}
	const struct cfgkey *k = own ? cfgkey_find(own, key, kinds, &id) : NULL;
	return k ? k : sd ? cfgkey_find(sd, key, kinds, &id) : NULL;
}
