/* cfgsect — [corral], [group:], [socket:] and supervisord's HTTP servers,
 * as tables (see cfgsect.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "supervisor/cfgsect.h"
#include "supervisor/cfgexpand.h"
#include "supervisor/log.h"
#include "supervisor/logline.h"
#include "supervisor/sockets.h"
#include "supervisor/supervisord.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_SECONDS 1000000     /* a group's restart_intensity and restart_period */

#define CORRAL(f) CFGKEY_AT(struct corral_config, f)
#define GROUP(f) CFGKEY_AT(struct group_config, f)
#define SOCKET(f) CFGKEY_AT(struct socket_config, f)
#define HTTP(f) CFGKEY_AT(struct http_config, f)

static void replace(char **field, char *value)
{
	free(*field);
	*field = value;
}

/* ---- [corral] and [supervisord] --------------------------------------- */

/* A path, expanded: socket, logdir (and supervisord's childlogdir), pidfile. */
static int apply_path(struct source *src, const struct cfgkey *k, const char *key, void *obj,
		      int line, const char *value)
{
	char *s;
	if (!*value) {
		cfgload_bad_value(src, line, key, value, "a path");
		return -EINVAL;
	}
	if (!(s = cfgexpand_value(src, line, key, value, NULL)))
		return -EINVAL;
	replace((char **)((char *)obj + k->offset), s);
	return 0;
}

static int apply_socket_path(struct source *src, const struct cfgkey *k, const char *key,
			     void *obj, int line, const char *value)
{
	struct corral_config *cfg = obj;
	const size_t max = sizeof(((struct sockaddr_un *)0)->sun_path) - 1;
	char *s;
	if (!*value) {
		cfgload_bad_value(src, line, key, value, "a path");
		return -EINVAL;
	}
	if (!(s = cfgexpand_value(src, line, key, value, NULL)))
		return -EINVAL;
	if (strlen(s) > max) {
		cfgload_error(src, line, "socket path too long (at most %zu bytes)", max);
		free(s);
		return -EINVAL;
	}
	replace(&cfg->socket, s);
	cfg->socket_rule = SOCKET_RULE_SET;
	return 0;
}

static void show_socket(const struct cfgkey *k, const void *obj, struct cfgkey_out *out)
{
	/* the rule on a line of its own: the value compares as it is */
	static const char *const rules[] = {
		[SOCKET_RULE_SET] = "as set",
		[SOCKET_RULE_DEFAULT] = "corral's default",
		[SOCKET_RULE_HTTP] = "a supervisord config's default: [unix_http_server] file + "
				     "\".corral\"",
		[SOCKET_RULE_CONFIG] = "a supervisord config's default: " CONFIG_SOCKET_DIR
				       "/supervisord-HASH.sock, HASH of the config file's real "
				       "path (FNV-1a, 64 bits)",
	};
	const struct corral_config *cfg = obj;
	cfgkey_emit(out, NULL, "socket: %s", rules[cfg->socket_rule]);
	cfgkey_emit(out, k->name, "%s", cfg->socket);
}

static int apply_identifier(struct source *src, const struct cfgkey *k, const char *key,
			    void *obj, int line, const char *value)
{
	char *s = cfgexpand_value(src, line, key, value, NULL);
	replace(&((struct corral_config *)obj)->identifier, s);
	return s ? 0 : -EINVAL;
}

static void show_identifier(const struct cfgkey *k, const void *obj, struct cfgkey_out *out)
{
	const struct corral_config *cfg = obj;
	if (out->identifier)
		cfgkey_emit(out, NULL, "identifier: corrald -i");
	cfgkey_emit(out, k->name, "%s", out->identifier ? out->identifier : cfg->identifier);
}

/* supervisord's umask, directory and environment: what its programs
 * inherit (cfgprog_inherit()), kept by the loader until then. */
static int apply_umask(struct source *src, const struct cfgkey *k, const char *key, void *obj,
		       int line, const char *value)
{
	unsigned u;
	if (!cfgkey_parse_octal(value, 0777, &u)) {
		cfgload_bad_value(src, line, key, value, "an octal mask from 0 to 0777");
		return -EINVAL;
	}
	src->ld->sd_umask = (int)u;
	return 0;
}

static int apply_directory(struct source *src, const struct cfgkey *k, const char *key,
			   void *obj, int line, const char *value)
{
	if (!*value) {
		cfgload_bad_value(src, line, key, value, "a path");
		return -EINVAL;
	}
	char *s = cfgexpand_value(src, line, key, value, NULL);
	replace(&src->ld->sd_directory, s);
	return s ? 0 : -EINVAL;
}

static int apply_environment(struct source *src, const struct cfgkey *k, const char *key,
			     void *obj, int line, const char *value)
{
	char err[200], **env, *s;
	if (!(s = cfgexpand_value(src, line, key, value, NULL)))
		return -EINVAL;
	int r = cfgkey_parse_environment(s, &env, err, sizeof err);
	free(s);
	if (r == -ENOMEM) {
		src->ld->oom = true;
	} else if (r < 0) {
		cfgload_error(src, line, "environment: %s", err);
	} else {
		strv_free(src->ld->sd_environment);
		src->ld->sd_environment = env;
		return 0;
	}
	return -EINVAL;
}

static int apply_strip_ansi(struct source *src, const struct cfgkey *k, const char *key,
			    void *obj, int line, const char *value)
{
	if (!sandbox_parse_bool(value, &src->ld->strip_ansi)) {
		cfgload_bad_value(src, line, key, value, "true or false");
		return -EINVAL;
	}
	return 0;
}

/* supervisord's seven levels, in the order of enum log_level. */
static const char *const loglevel_words[] = {
	"critical", "error", "warn", "info", "debug", "trace", "blather", NULL,
};

static int parse_loglevel(const struct cfgkey *k, void *obj, const char *value, char *err,
			  size_t errlen)
{
	for (size_t i = 0; k->words[i]; i++)
		if (strcasecmp(value, k->words[i]) == 0) {
			((struct corral_config *)obj)->loglevel = (int)i;
			return 0;
		}
	snprintf(err, errlen, "critical, error, warn, info, debug, trace or blather");
	return -EDOM;
}

static void show_loglevel(const struct cfgkey *k, const void *obj, struct cfgkey_out *out)
{
	int level = ((const struct corral_config *)obj)->loglevel;
	if (level >= LOG_CRIT && level <= LOG_BLATHER)
		cfgkey_emit(out, k->name, "%s", k->words[level]);
	else
		cfgkey_emit(out, k->name, "(not set)");
}

static void init_loglevel(void *field)
{
	*(int *)field = -1;
}

/* in the order of enum scopes */
static const char *const scopes_words[] = { "auto", "cgroup", "process-group", "cgroup2",
					    "cgroup1", NULL };

/* The order of `corrald --check -v`: what it always showed, then the
 * others; what the programs inherit shows in each program. */
static const struct cfgkey main_rows[] = {
	{ .name = "socket", .type = CFGKEY_STR, CORRAL(socket), .apply = apply_socket_path,
	  .show = show_socket, .dflt = CONFIG_DEFAULT_SOCKET, .migrate = CFGKEY_RESOLVED },
	{ .name = "logdir", .type = CFGKEY_STR, CORRAL(logdir), .apply = apply_path,
	  .dflt = CONFIG_DEFAULT_LOGDIR, .migrate = CFGKEY_RESOLVED },
	{ .name = "pidfile", .type = CFGKEY_STR, CORRAL(pidfile), .apply = apply_path,
	  .migrate = CFGKEY_RESOLVED },
	{ .name = "logfile", .type = CFGKEY_STR, CORRAL(logfile), .apply = apply_path,
	  .migrate = CFGKEY_RESOLVED },
	{ .name = "logfile_maxbytes", .type = CFGKEY_BYTES, CORRAL(logfile_maxbytes),
	  .dflt = "50MB" },
	{ .name = "logfile_backups", .type = CFGKEY_INT, CORRAL(logfile_backups), .min = 0,
	  .max = 1000, .dflt = "10" },
	{ .name = "state_dir", .type = CFGKEY_STR, CORRAL(state_dir), .apply = apply_path,
	  .dflt = CONFIG_DEFAULT_STATE_DIR, .migrate = CFGKEY_RESOLVED },
	{ .name = "identifier", .type = CFGKEY_STR, CORRAL(identifier), .apply = apply_identifier,
	  .show = show_identifier, .dflt = "supervisor", .migrate = CFGKEY_RESOLVED },
	{ .name = "nodaemon", .type = CFGKEY_BOOL, CORRAL(nodaemon) },
	{ .name = "silent", .type = CFGKEY_BOOL, CORRAL(silent) },
	{ .name = "minfds", .type = CFGKEY_SD_INT, CORRAL(minfds) },
	{ .name = "minprocs", .type = CFGKEY_SD_INT, CORRAL(minprocs) },
	{ .name = "socket_mode", .type = CFGKEY_OCTAL, CORRAL(socket_mode), .max = 0777,
	  .expected = "an octal mode from 0 to 0777", .dflt = "0600" },
	{ .name = "scopes", .type = CFGKEY_WORD, CORRAL(scopes), .words = scopes_words,
	  .flags = CFGKEY_ANYCASE },
	{ .name = "loglevel", .type = CFGKEY_WORD, CORRAL(loglevel), .words = loglevel_words,
	  .flags = CFGKEY_ANYCASE, .parse = parse_loglevel, .show = show_loglevel,
	  .init = init_loglevel },
	/* supervisord's AUTO log files go there, as corral's go to logdir */
	{ .name = "childlogdir", .type = CFGKEY_STR, CORRAL(logdir), .apply = apply_path,
	  .flags = CFGKEY_NOSHOW, .canon = "logdir", .migrate = CFGKEY_RESOLVED },
	{ .name = "umask", .type = CFGKEY_CUSTOM, .apply = apply_umask, .flags = CFGKEY_NOSHOW,
	  .migrate = CFGKEY_TO_PROGRAMS },
	{ .name = "directory", .type = CFGKEY_CUSTOM, .apply = apply_directory,
	  .flags = CFGKEY_NOSHOW, .migrate = CFGKEY_TO_PROGRAMS },
	{ .name = "environment", .type = CFGKEY_CUSTOM, .apply = apply_environment,
	  .flags = CFGKEY_NOSHOW, .migrate = CFGKEY_TO_PROGRAMS },
	{ .name = "strip_ansi", .type = CFGKEY_BOOL, .apply = apply_strip_ansi,
	  .flags = CFGKEY_NOSHOW },
};

static const struct cfgkey_table main_table = { main_rows, sizeof main_rows / sizeof main_rows[0] };

int cfgsect_defaults(struct loader *ld)
{
	char err[200];
	for (size_t i = 0; i < main_table.n; i++) {
		const struct cfgkey *k = &main_rows[i];
		if (k->init)
			k->init((char *)&ld->cfg + k->offset);
		if (k->dflt && cfgkey_parse(k, &ld->cfg, k->dflt, err, sizeof err) == -ENOMEM)
			return -ENOMEM;
	}
	ld->cfg.socket_rule = SOCKET_RULE_DEFAULT;
	ld->cfg.unix_http.chmod = 0700; /* supervisord's default */
	return 0;
}

/* ---- [unix_http_server] and [inet_http_server] ------------------------ */

/* api_token_file = PATH: a bearer token is a password, so the file must
 * be one only corrald's user (or root) can read, as ssh wants of a key;
 * its text is read when corrald starts serving (http.c). */
static int check_token_file(struct source *src, int line, const char *path)
{
	struct stat st;
	if (path[0] != '/') {
		cfgload_error(src, line, "api_token_file %s: an absolute path", path);
		return -1;
	}
	if (stat(path, &st) < 0) {
		cfgload_error(src, line, "api_token_file %s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		cfgload_error(src, line, "api_token_file %s: not a regular file", path);
		return -1;
	}
	if (st.st_mode & 077) {
		cfgload_error(src, line, "api_token_file %s: mode %04o lets group or others read "
			      "the token: chmod 600 it", path, (unsigned)(st.st_mode & 07777));
		return -1;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		cfgload_error(src, line, "api_token_file %s: owned by uid %u, neither root nor "
			      "corrald's user", path, (unsigned)st.st_uid);
		return -1;
	}
	return 0;
}

/* Checked as supervisord checks it, then expanded; corrald serves it. */
static int apply_http(struct source *src, const struct cfgkey *k, const char *key, void *obj,
		      int line, const char *value)
{
	struct http_config *h = obj;
	char err[200];
	if (cfgkey_check(k, value, err, sizeof err) < 0) {
		cfgload_bad_value(src, line, key, value, err);
		return -EINVAL;
	}
	char *v = cfgexpand_value(src, line, key, value, NULL);
	if (!v)
		return -EINVAL;
	if (strcmp(key, "file") == 0) {
		replace(&h->file, v);
		if (!*h->file) {
			cfgload_bad_value(src, line, key, value, "a path");
			return -EINVAL;
		}
	} else if (strcmp(key, "chmod") == 0) {
		bool ok = cfgkey_parse_octal(v, 07777, &h->chmod);
		free(v);
		if (!ok) {
			cfgload_bad_value(src, line, key, value, "an octal mode");
			return -EINVAL;
		}
	} else if (strcmp(key, "port") == 0) {
		/* supervisord's form: [HOST:]PORT, HOST "*" or empty for any */
		char *colon = strrchr(v, ':');
		const char *port = colon ? colon + 1 : v;
		char *end;
		errno = 0;
		unsigned long n = strtoul(port, &end, 10);
		if (!*port || *end || errno || n == 0 || n > 65535) {
			cfgload_bad_value(src, line, key, value,
					  "[HOST:]PORT with PORT from 1 to 65535");
			replace(&h->port, v); /* said once: not "missing port" too */
			return -EINVAL;
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
	} else if (strcmp(key, "api_token_file") == 0) {
		replace(&h->api_token_file, v);
		char *where = NULL;
		if (asprintf(&where, "%s:%d", src->name, line) < 0) {
			where = NULL;
			src->ld->oom = true;
		}
		replace(&h->api_token_where, where);
		if (check_token_file(src, line, h->api_token_file) < 0)
			return -EINVAL;
	} else {
		replace((char **)((char *)obj + k->offset), v);
	}
	return 0;
}

static void show_secret(const struct cfgkey *k, const void *obj, struct cfgkey_out *out)
{
	/* a dump may be pasted anywhere: say whether, not what */
	cfgkey_emit(out, k->name, "%s", ((const struct http_config *)obj)->password ? "(set)"
										 : "(none)");
}

static void show_port(const struct cfgkey *k, const void *obj, struct cfgkey_out *out)
{
	const struct http_config *h = obj;
	if (h->port)
		cfgkey_emit(out, k->name, "%s%s%s", h->host ? h->host : "",
			    h->host && *h->host ? ":" : "", h->port);
}

static void show_chmod(const struct cfgkey *k, const void *obj, struct cfgkey_out *out)
{
	cfgkey_emit(out, k->name, "%03o", ((const struct http_config *)obj)->chmod);
}

static const struct cfgkey unix_http_rows[] = {
	{ .name = "file", .type = CFGKEY_STR, HTTP(file), .apply = apply_http },
	{ .name = "chmod", .type = CFGKEY_SD_OCTAL, HTTP(chmod), .apply = apply_http,
	  .show = show_chmod },
	{ .name = "chown", .type = CFGKEY_STR, HTTP(chown), .apply = apply_http },
	{ .name = "username", .type = CFGKEY_STR, HTTP(username), .apply = apply_http },
	{ .name = "password", .type = CFGKEY_STR, HTTP(password), .apply = apply_http,
	  .show = show_secret },
	{ .name = "api_token_file", .type = CFGKEY_STR, HTTP(api_token_file),
	  .apply = apply_http },
	{ .name = "read_only", .type = CFGKEY_BOOL, HTTP(read_only) },
};

static const struct cfgkey inet_http_rows[] = {
	{ .name = "port", .type = CFGKEY_STR, HTTP(port), .apply = apply_http, .show = show_port },
	{ .name = "username", .type = CFGKEY_STR, HTTP(username), .apply = apply_http },
	{ .name = "password", .type = CFGKEY_STR, HTTP(password), .apply = apply_http,
	  .show = show_secret },
	{ .name = "api_token_file", .type = CFGKEY_STR, HTTP(api_token_file),
	  .apply = apply_http },
	{ .name = "read_only", .type = CFGKEY_BOOL, HTTP(read_only) },
};

static const struct cfgkey_table unix_http_table = {
	unix_http_rows, sizeof unix_http_rows / sizeof unix_http_rows[0]
}, inet_http_table = { inet_http_rows, sizeof inet_http_rows / sizeof inet_http_rows[0] };

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
		cfgload_error(src, src->section_line, "missing file (the socket's path)");
	if (!unix_sock && !h->port)
		cfgload_error(src, src->section_line, "missing port");
	if (h->username && !h->password)
		cfgload_error(src, src->section_line, "username without password");
	if (!unix_sock && h->host && !loopback_host(h->host) && !(h->username && h->password))
		cfgload_error(src, src->section_line,
			      "port %s%s%s is reachable from other hosts: set username and "
			      "password, or bind 127.0.0.1", h->host, *h->host ? ":" : "", h->port);
	else if (!unix_sock && h->port && !h->username)
		/* as supervisord's: every local user may then control every program */
		cfgload_warn(src, src->section_line,
			     "%s%s%s without username and password: every "
			     "user of this machine can start, stop and signal every program "
			     "through it; add username = NAME and password = {SHA}<sha1 of the "
			     "password> to the section", h->host ? h->host : "", h->host ? ":" : "",
			     h->port);
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
			cfgload_error(src, src->section_line, "password {SHA}...: expected the SHA-1 "
				      "of the password, 40 hex digits");
	}
}

/* ---- [group:] and [pipeline:] ----------------------------------------- */

static int parse_programs(const struct cfgkey *k, void *obj, const char *value, char *err,
			  size_t errlen)
{
	struct group_config *g = obj;
	char **names;
	if (cfgkey_split_names(value, &names) < 0)
		return -ENOMEM;
	if (!names[0]) {
		free(names);
		snprintf(err, errlen, "a list of program names");
		return -EDOM;
	}
	strv_free(g->programs);
	g->programs = names;
	return 0;
}

/* Given to every member: that it was set is what counts. */
static int parse_group_priority(const struct cfgkey *k, void *obj, const char *value,
				char *err, size_t errlen)
{
	struct group_config *g = obj;
	long long n;
	if (!cfgkey_parse_int(value, INT_MIN, INT_MAX, &n))
		return snprintf(err, errlen, "an integer"), -EDOM;
	g->priority = (int)n;
	g->has_priority = true;
	return 0;
}

static void show_group_priority(const struct cfgkey *k, const void *obj, struct cfgkey_out *out)
{
	const struct group_config *g = obj;
	if (g->has_priority)
		cfgkey_emit(out, k->name, "%d", g->priority);
	else
		cfgkey_emit(out, k->name, "(none: each member's own)");
}

static int parse_buffer(const struct cfgkey *k, void *obj, const char *value, char *err,
			size_t errlen)
{
	struct group_config *g = obj;
	uint64_t v;
	if (!g->pipeline)
		return snprintf(err, errlen, "unknown key 'buffer' (only in [pipeline:] sections)"),
		       -EINVAL;
	if (!logline_parse_bytes(value, &v) || v < 4096 || v > 64 * 1024 * 1024)
		return snprintf(err, errlen, "a size from 4KB to 64MB"), -EDOM;
	g->buffer = v;
	return 0;
}

static void show_buffer(const struct cfgkey *k, const void *obj, struct cfgkey_out *out)
{
	const struct group_config *g = obj;
	if (g->pipeline)
		cfgkey_emit(out, k->name, "%llu", (unsigned long long)g->buffer);
}

static const char *const strategy_words[] = {
	"one_for_one", "one_for_all", "rest_for_one", NULL,
};

static const char *const update_strategy_words[] = {
	[UPDATE_RESTART] = "restart", [UPDATE_ROLLING] = "rolling", NULL,
};

static int apply_group_update_strategy(struct source *src, const struct cfgkey *k,
				       const char *key, void *obj, int line, const char *value)
{
	int r = cfgload_parse(src, k, obj, key, line, value);
	if (r == 0)
		src->ld->gmeta[src->group].update_strategy_line = line;
	return r;
}

static const struct cfgkey group_rows[] = {
	{ .name = "programs", .type = CFGKEY_NAMES, GROUP(programs), .parse = parse_programs },
	{ .name = "strategy", .type = CFGKEY_WORD, GROUP(strategy), .words = strategy_words },
	{ .name = "restart_intensity", .type = CFGKEY_INT, GROUP(restart_intensity), .min = 0,
	  .max = MAX_SECONDS },
	{ .name = "restart_period", .type = CFGKEY_INT, GROUP(restart_period), .min = 1,
	  .max = MAX_SECONDS, .dflt = "60" },
	{ .name = "priority", .type = CFGKEY_INT, GROUP(priority), .parse = parse_group_priority,
	  .show = show_group_priority },
	/* [pipeline:] only */
	{ .name = "buffer", .type = CFGKEY_BYTES, GROUP(buffer), .parse = parse_buffer,
	  .show = show_buffer },
	{ .name = "update_strategy", .type = CFGKEY_WORD, GROUP(update_strategy),
	  .words = update_strategy_words, .apply = apply_group_update_strategy,
	  .dflt = "restart" },
};

static const struct cfgkey_table group_table = { group_rows,
						 sizeof group_rows / sizeof group_rows[0] };

int cfgsect_new_group(struct loader *ld, const char *section, const char *file, int line,
		      int fseq)
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
	char err[200];
	*g = (struct group_config){ .line = line, .pipeline = section[0] == 'p' };
	ld->gmeta[ld->ngroups] = (struct group_meta){ .fseq = fseq };
	ld->ngroups++; /* counted even when half-built, so that it is freed */
	g->name = strdup(strchr(section, ':') + 1);
	g->file = strdup(file);
	if (!g->name || !g->file)
		return -ENOMEM;
	for (size_t i = 0; i < group_table.n; i++) {
		const struct cfgkey *k = &group_rows[i];
		if (k->dflt)
			(void)cfgkey_parse(k, g, k->dflt, err, sizeof err);
	}
	return 0;
}

/* ---- [socket:] -------------------------------------------------------- */

/* listen: addresses separated by blanks (a unix path may hold a comma),
 * each checked here; they become fds in this order. */
static int apply_listen(struct source *src, const struct cfgkey *k, const char *key, void *obj,
			int line, const char *value)
{
	struct socket_config *s = obj;
	struct socket_addr v[SOCKETS_MAX_PER_PROGRAM];
	int n = 0;
	bool bad = false;
	src->ld->smeta[src->sock].listen_line = line;
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
			return -EINVAL;
		}
		char err[160];
		if (n == SOCKETS_MAX_PER_PROGRAM) {
			cfgload_error(src, line, "listen: more than %d addresses",
				      SOCKETS_MAX_PER_PROGRAM);
			bad = true;
		} else if (sockets_parse(word, &v[n], err, sizeof err) < 0) {
			cfgload_error(src, line, "listen: '%.*s%s': %s", SHOW(word), err);
			bad = true;
		} else {
			n++;
		}
		free(word);
		if (n == SOCKETS_MAX_PER_PROGRAM && bad)
			break;
	}
	if (bad)
		return -EINVAL;
	if (!n) {
		cfgload_bad_value(src, line, "listen", value,
				  "tcp:HOST:PORT, udp:HOST:PORT or unix:PATH");
		return -EINVAL;
	}
	struct socket_addr *a = malloc((size_t)n * sizeof *a);
	if (!a) {
		src->ld->oom = true;
		return -EINVAL;
	}
	memcpy(a, v, (size_t)n * sizeof *a);
	s->listen = a;
	s->nlisten = n;
	return 0;
}

static void show_listen(const struct cfgkey *k, const void *obj, struct cfgkey_out *out)
{
	const struct socket_config *s = obj;
	struct buf b = { 0 };
	char text[SOCKETS_ADDR_STRLEN];
	for (int i = 0; i < s->nlisten; i++) {
		sockets_format(&s->listen[i], text, sizeof text);
		if ((i && buf_add(&b, " ", 1) < 0) || buf_add(&b, text, strlen(text)) < 0)
			break;
	}
	cfgkey_emit(out, k->name, "%s", b.s ? b.s : "");
	free(b.s);
}

static int apply_program(struct source *src, const struct cfgkey *k, const char *key, void *obj,
			 int line, const char *value)
{
	struct socket_config *s = obj;
	src->ld->smeta[src->sock].program_line = line;
	if (config_name_problem(value)) {
		cfgload_bad_value(src, line, key, value, "a program name");
		return -EINVAL;
	}
	replace(&s->program, cfgload_strdup(src->ld, value));
	return 0;
}

static int parse_accept(const struct cfgkey *k, void *obj, const char *value, char *err,
			size_t errlen)
{
	bool b;
	if (!sandbox_parse_bool(value, &b))
		return snprintf(err, errlen, "false"), -EDOM;
	if (b)
		return snprintf(err, errlen, "accept = true is not supported: the program is given "
				"the listening socket and accepts its own connections (accept = "
				"false)"), -EINVAL;
	return 0;
}

static int apply_reuseport(struct source *src, const struct cfgkey *k, const char *key,
			   void *obj, int line, const char *value)
{
	struct socket_config *s = obj;
	if (!sandbox_parse_bool(value, &s->reuseport)) {
		cfgload_bad_value(src, line, key, value, "true or false");
		return -EINVAL;
	}
	src->ld->smeta[src->sock].reuseport_line = line;
	return 0;
}

/* listen and program first: cfgsect_finish() looks for them by number. */
static const struct cfgkey socket_rows[] = {
	{ .name = "listen", .type = CFGKEY_CUSTOM, SOCKET(listen), .apply = apply_listen,
	  .show = show_listen },
	{ .name = "program", .type = CFGKEY_STR, SOCKET(program), .apply = apply_program },
	{ .name = "backlog", .type = CFGKEY_INT, SOCKET(backlog), .min = 1, .max = 65535,
	  .dflt = "128" },
	{ .name = "socket_mode", .type = CFGKEY_OCTAL, SOCKET(socket_mode), .max = 0777,
	  .expected = "an octal mode from 0 to 0777", .dflt = "0666" },
	{ .name = "accept", .type = CFGKEY_CUSTOM, .parse = parse_accept, .flags = CFGKEY_NOSHOW },
	{ .name = "reuseport", .type = CFGKEY_BOOL, SOCKET(reuseport), .apply = apply_reuseport,
	  .dflt = "false" },
};

static const struct cfgkey_table socket_table = { socket_rows,
						  sizeof socket_rows / sizeof socket_rows[0] };

int cfgsect_new_socket(struct loader *ld, const char *name, const char *file, int line, int fseq)
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
	char err[200];
	*s = (struct socket_config){ .line = line };
	ld->smeta[ld->nsocks] = (struct socket_meta){ .fseq = fseq };
	ld->nsocks++; /* counted even when half-built, so that it is freed */
	s->name = strdup(name);
	s->file = strdup(file);
	if (!s->name || !s->file)
		return -ENOMEM;
	for (size_t i = 0; i < socket_table.n; i++) {
		const struct cfgkey *k = &socket_rows[i];
		if (k->dflt)
			(void)cfgkey_parse(k, s, k->dflt, err, sizeof err);
	}
	return 0;
}

/* ---- reading ---------------------------------------------------------- */

const struct cfgkey_table *cfgsect_table(int sect, int foreign)
{
	switch (sect) {
	case SEC_CORRAL:
		return &main_table;
	case SEC_GROUP:
		return &group_table;
	case SEC_SOCKET:
		return &socket_table;
	case SEC_FOREIGN:
		if (foreign == SUPERVISORD_UNIX_HTTP)
			return &unix_http_table;
		if (foreign == SUPERVISORD_INET_HTTP)
			return &inet_http_table;
		break;
	}
	return NULL;
}

void cfgsect_key(struct source *src, const char *key, int line, const char *value)
{
	struct loader *ld = src->ld;
	size_t id;
	int kind = src->sect == SEC_CORRAL ? SUPERVISORD_MAIN : src->foreign;
	const struct cfgkey_table *own = cfgsect_table(src->sect, src->foreign);
	const struct cfgkey_table *sd = src->sect == SEC_CORRAL || src->sect == SEC_FOREIGN
					? supervisord_keys(kind) : NULL;
	const struct cfgkey *k = own ? cfgkey_find(own, key, 0, &id) : NULL;
	void *obj = NULL;
	if (!k && sd)
		k = cfgkey_find(sd, key, 0, &id);
	if (!k)
		return; /* begin_key() let no such key through */
	if (src->sect == SEC_CORRAL)
		obj = &ld->cfg;
	else if (src->sect == SEC_GROUP)
		obj = &ld->groups[src->group];
	else if (src->sect == SEC_SOCKET)
		obj = &ld->socks[src->sock];
	else if (src->sect == SEC_FOREIGN && src->foreign == SUPERVISORD_UNIX_HTTP)
		obj = &ld->cfg.unix_http;
	else if (src->sect == SEC_FOREIGN && src->foreign == SUPERVISORD_INET_HTTP)
		obj = &ld->cfg.inet_http;
	(void)cfgload_apply(src, k, obj, key, line, value);
}

void cfgsect_finish(struct source *src)
{
	struct loader *ld = src->ld;
	if (src->sect == SEC_GROUP && !ld->groups[src->group].programs)
		cfgload_error(src, src->section_line, "missing programs");
	if (src->sect == SEC_SOCKET) {
		const struct cfgkey_seen *seen = &ld->smeta[src->sock].seen;
		if (!cfgkey_seen_has(seen, 0))
			cfgload_error(src, src->section_line, "missing listen");
		if (!cfgkey_seen_has(seen, 1))
			cfgload_error(src, src->section_line, "missing program");
	}
	if (src->sect != SEC_FOREIGN)
		return;
	if (src->foreign == SUPERVISORD_UNIX_HTTP || src->foreign == SUPERVISORD_INET_HTTP)
		finish_http(src);
	else if (src->foreign == SUPERVISORD_RPC &&
		 strcmp(src->section, "rpcinterface:supervisor") == 0)
		; /* the interface corrald serves itself */
	else if (supervisord_section_note(src->foreign)[0])
		cfgload_warn(src, src->section_line, "%s", supervisord_section_note(src->foreign));
}

/* ---- what the rows show ----------------------------------------------- */

static void show_rows(const struct cfgkey_table *t, const void *obj, struct cfgkey_out *out)
{
	for (size_t i = 0; i < t->n; i++)
		cfgkey_show(&t->rows[i], obj, out);
}

void cfgsect_show_main(const struct corral_config *cfg, struct cfgkey_out *out)
{
	out->line(out->ctx, "[corral]");
	show_rows(&main_table, cfg, out);
	const struct http_config *hs[] = { &cfg->unix_http, &cfg->inet_http };
	for (size_t i = 0; i < 2; i++) {
		char head[PATH_MAX + 64];
		if (!hs[i]->enabled)
			continue;
		snprintf(head, sizeof head, "\n[%s_http_server] ; %s", i ? "inet" : "unix",
			 hs[i]->where ? hs[i]->where : "?");
		out->line(out->ctx, head);
		show_rows(i ? &inet_http_table : &unix_http_table, hs[i], out);
	}
}

/* In comments: a tool that reads "KEY = VALUE" lines up to the next
 * program takes them for the last program's (corralctl migrate's own
 * test does), and a program split per process changes a group's list. */
static void commented(void *ctx, const char *text)
{
	struct cfgkey_out *out = ctx;
	char line[PATH_MAX + 128];
	snprintf(line, sizeof line, "; %s", text);
	out->line(out->ctx, line);
}

void cfgsect_show_groups(const struct corral_config *cfg, struct cfgkey_out *out)
{
	struct cfgkey_out c = { .line = commented, .ctx = out, .init = out->init };
	char head[PATH_MAX + 128];
	for (size_t i = 0; i < cfg->ngroups; i++) {
		const struct group_config *g = &cfg->groups[i];
		snprintf(head, sizeof head, "\n; [%s:%s] ; %s:%d",
			 g->pipeline ? "pipeline" : "group", g->name, g->file, g->line);
		out->line(out->ctx, head);
		show_rows(&group_table, g, &c);
	}
	for (size_t i = 0; i < cfg->nsockets; i++) {
		const struct socket_config *s = &cfg->sockets[i];
		snprintf(head, sizeof head, "\n; [socket:%s] ; %s:%d", s->name, s->file, s->line);
		out->line(out->ctx, head);
		show_rows(&socket_table, s, &c);
	}
}
