/* cfgprog — the keys of [program:] and its kin, as a table (see cfgprog.h).
 *
 * A key is one row below: its name, how it is read, its default, how it
 * shows, how migrate writes it; the struct field it sets is named by
 * PF(). A field no key sets (the program's name, its group, what
 * [socket:] sections give it) has a row too, marked CFGKEY_FIELD, saying
 * how a reload compares it: program_config_equal() is every row's
 * comparison, and test_cfgprog checks every field of struct
 * program_config has a row. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "supervisor/cfgprog.h"

#include "sandbox/limits.h"
#include "supervisor/cfgexpand.h"
#include "supervisor/cmdline.h"
#include "supervisor/cron.h"
#include "supervisor/poolcfg.h"
#include "supervisor/sockets.h"
#include "supervisor/eventproto.h"
#include "supervisor/healthspec.h"
#include "supervisor/supervisord.h"
#include "sandbox/users.h"

#include <errno.h>
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_NUMPROCS 1000
#define MAX_SECONDS 1000000     /* startsecs, stopwaitsecs, startretries */
#define MAX_NUMPROCS_START 1000000
#define MAX_BUFFER_SIZE 100000  /* an [eventlistener:]'s buffer_size */

const char *const cfgprog_field_names[PF_COUNT] = {
	[PF_NONE] = "(none)",
#define PF_NAME(type, name) [PF_##name] = #name,
#define PF_NAME_ARRAY(type, name, n) [PF_##name] = #name,
	PROGRAM_CONFIG_FIELDS(PF_NAME, PF_NAME_ARRAY)
#undef PF_NAME
#undef PF_NAME_ARRAY
};

/* The row's field F of struct program_config; element I of an array. */
#define PF(f) .field = PF_##f, CFGKEY_AT(struct program_config, f)
#define PFI(f, i) .field = PF_##f, CFGKEY_AT(struct program_config, f[i])
/* A field the key sets too: compared byte for byte. */
#define ALSO(f) CFGKEY_ALSO(struct program_config, PF_##f, f)
/* ... or one the row's own comparison covers. */
#define COVERS(f) { .field = PF_##f }

static struct program_config *prog(void *obj)
{
	return obj;
}

static const struct program_config *cprog(const void *obj)
{
	return obj;
}

/* ---- the keys' own readers -------------------------------------------- */

static bool has_blank_only(const char *s)
{
	for (; *s; s++)
		if (!is_space(*s))
			return false;
	return true;
}

/* command: expanded, then split like a shell would; an empty one is said
 * once the section is read ("empty command"), without argv. */
static int apply_command(struct source *src, const struct cfgkey *k, const char *key, void *obj,
			 int line, const char *value)
{
	struct program_config *p = obj;
	char err[160];
	char *cmd = cfgexpand_value(src, line, key, value, p->name);
	if (!cmd)
		return -EINVAL;
	free(p->command);
	p->command = cmd;
	if (has_blank_only(cmd))
		return 0;
	int rc = cmdline_split(cmd, &p->argv, err, sizeof err);
	if (rc == -ENOMEM)
		src->ld->oom = true;
	else if (rc < 0)
		cfgload_error(src, line, "command: %s", err);
	else if (!p->argv[0][0])
		cfgload_error(src, line, "command: empty program name");
	else
		return 0;
	return -EINVAL;
}

static bool command_equal(const struct cfgkey *k, const void *a, const void *b)
{
	return streq(cprog(a)->command, cprog(b)->command) &&
	       strv_equal(cprog(a)->argv, cprog(b)->argv);
}

/* process_name: a template, checked by expanding it now. */
static int parse_process_name(const struct cfgkey *k, void *obj, const char *value, char *err,
			      size_t errlen)
{
	struct program_config *p = obj;
	struct cfgexpand_vars vars = { .program = p->name, .has_num = true,
				       .numprocs = p->numprocs };
	char why[160], *out, *copy;
	int rc = cfgexpand(value, &vars, &out, why, sizeof why);
	free(out);
	if (rc == -EINVAL)
		snprintf(err, errlen, "process_name: %s", why);
	if (rc < 0)
		return rc;
	if (!(copy = strdup(value)))
		return -ENOMEM;
	free(p->process_name);
	p->process_name = copy;
	return 0;
}

static int parse_autorestart(const struct cfgkey *k, void *obj, const char *value, char *err,
			     size_t errlen)
{
	struct program_config *p = obj;
	bool b;
	if (strcasecmp(value, "unexpected") == 0)
		p->autorestart = AUTORESTART_UNEXPECTED;
	else if (sandbox_parse_bool(value, &b))
		p->autorestart = b ? AUTORESTART_TRUE : AUTORESTART_FALSE;
	else
		return snprintf(err, errlen, "true, false or unexpected"), -EDOM;
	return 0;
}

/* Written in the config, whatever its value: corrald --init leaves it. */
static int apply_autorestart(struct source *src, const struct cfgkey *k, const char *key,
			     void *obj, int line, const char *value)
{
	prog(obj)->autorestart_set = true;
	return cfgload_parse(src, k, obj, key, line, value);
}

static const char *const autorestart_words[] = { "false", "unexpected", "true", NULL };

static void show_autorestart(const struct cfgkey *k, const void *obj, struct cfgkey_out *out)
{
	const struct program_config *p = obj;
	/* config_for_init() made it false: say why */
	bool init = out->init && p->main && !p->autorestart_set;
	cfgkey_emit(out, k->name, "%s%s", autorestart_words[p->autorestart],
		    init ? " ; --init: the main program is not restarted unless its config says so"
			 : "");
}

static int parse_exitcodes(const struct cfgkey *k, void *obj, const char *value, char *err,
			   size_t errlen)
{
	uint8_t bits[32] = { 0 };
	for (const char *s = value;;) {
		while (is_space(*s))
			s++;
		int n = 0, digits = 0;
		for (; *s >= '0' && *s <= '9'; s++, digits++)
			if ((n = n * 10 + (*s - '0')) > 255)
				goto bad;
		if (!digits)
			goto bad;
		bits[n / 8] |= (uint8_t)(1u << (n % 8));
		while (is_space(*s))
			s++;
		if (!*s)
			break;
		if (*s++ != ',')
			goto bad;
	}
	memcpy(prog(obj)->exitcodes, bits, sizeof bits);
	return 0;
bad:
	snprintf(err, errlen, "a comma-separated list of integers from 0 to 255");
	return -EDOM;
}

static void show_exitcodes(const struct cfgkey *k, const void *obj, struct cfgkey_out *out)
{
	struct buf b = { 0 };
	char n[8];
	for (int c = 0; c < 256; c++)
		if (program_config_expected_exit(cprog(obj), c)) {
			snprintf(n, sizeof n, "%s%d", b.len ? "," : "", c);
			if (buf_add(&b, n, strlen(n)) < 0)
				break;
		}
	cfgkey_emit(out, k->name, "%s", b.s ? b.s : "");
	free(b.s);
}

static void show_umask(const struct cfgkey *k, const void *obj, struct cfgkey_out *out)
{
	int u = cprog(obj)->umask;
	if (u >= 0)
		cfgkey_emit(out, k->name, "%03o", (unsigned)u);
	else
		cfgkey_emit(out, k->name, "(inherited)");
}

static void init_umask(void *field)
{
	*(int *)field = -1; /* corrald's own, which a child inherits */
}

/* priority is the process's own too (supervisord's process priority). */
static int parse_priority(const struct cfgkey *k, void *obj, const char *value, char *err,
			  size_t errlen)
{
	struct program_config *p = obj;
	long long n;
	if (!cfgkey_parse_int(value, INT_MIN, INT_MAX, &n))
		return snprintf(err, errlen, "an integer"), -EDOM;
	p->priority = p->process_priority = (int)n;
	return 0;
}

/* directory: a path, expanded. */
static int apply_directory(struct source *src, const struct cfgkey *k, const char *key,
			   void *obj, int line, const char *value)
{
	struct program_config *p = obj;
	if (!*value) {
		cfgload_bad_value(src, line, key, value, "a path");
		return -EINVAL;
	}
	char *dir = cfgexpand_value(src, line, key, value, p->name);
	free(p->directory);
	p->directory = dir;
	return dir ? 0 : -EINVAL;
}

static int parse_environment(const struct cfgkey *k, void *obj, const char *value, char *err,
			     size_t errlen)
{
	struct program_config *p = obj;
	char **env, why[160];
	int rc = cfgkey_parse_environment(value, &env, why, sizeof why);
	if (rc == -EINVAL)
		snprintf(err, errlen, "environment: %s", why);
	if (rc < 0)
		return rc;
	strv_free(p->environment);
	p->environment = env;
	return 0;
}

/* supervisord expands %(...)s in environment too; corral's own format
 * keeps its values as written. */
static int apply_environment(struct source *src, const struct cfgkey *k, const char *key,
			     void *obj, int line, const char *value)
{
	char *expanded = NULL;
	if (src->ld->supervisord &&
	    !(value = expanded = cfgexpand_value(src, line, key, value, prog(obj)->name)))
		return -EINVAL;
	int rc = cfgload_parse(src, k, obj, key, line, value);
	free(expanded);
	return rc;
}

/* stdout_logfile, stderr_logfile: a path, AUTO (NULL: logdir/NAME.out)
 * or NONE; supervisord's old "syslog" too. */
static int apply_logfile(struct source *src, const struct cfgkey *k, const char *key, void *obj,
			 int line, const char *value)
{
	struct program_config *p = obj;
	struct program_meta *m = &src->ld->meta[src->prog];
	int which = key[3] == 'e';
	char **field = which ? &p->stderr_logfile : &p->stdout_logfile, *v;
	m->logfile_syslog[which] = false;
	if (!*value) {
		cfgload_bad_value(src, line, key, value, "a path, AUTO or NONE");
		return -EINVAL;
	}
	if (strcasecmp(value, "syslog") == 0) {
		/* what supervisord 4.2 still takes, with a warning, as
		 * _syslog = true and no file, whatever _syslog says */
		v = cfgload_strdup(src->ld, "NONE");
		m->logfile_syslog[which] = true;
		cfgload_warn(src, line, "%s = syslog is deprecated (as in supervisord): it is "
			     "%s_syslog = true without a log file", key,
			     which ? "stderr" : "stdout");
	} else if (strcasecmp(value, "NONE") == 0) {
		v = cfgload_strdup(src->ld, "NONE");
	} else if (strcasecmp(value, "AUTO") == 0) {
		v = NULL;
	} else if (!(v = cfgexpand_value(src, line, key, value, p->name))) {
		free(*field);
		*field = NULL;
		return -EINVAL;
	}
	free(*field);
	*field = v;
	return 0;
}

/* ready = log:REGEX: a POSIX extended regex, compiled here only to be
 * checked (readylog.c compiles it for each process it serves). */
static int parse_ready_log(struct program_config *p, const char *re, char *err, size_t errlen)
{
	if (!*re)
		return snprintf(err, errlen, "ready = log: needs a regular expression (log:REGEX)"), -EINVAL;
	regex_t rx;
	int rc = regcomp(&rx, re, REG_EXTENDED | REG_NOSUB);
	if (rc != 0) {
		char why[160];
		regerror(rc, &rx, why, sizeof why);
		return snprintf(err, errlen, "ready = log: invalid regular expression \"%s\": %s", re, why),
		       -EINVAL;
	}
	regfree(&rx);
	char *v = strdup(re);
	if (!v)
		return -ENOMEM;
	free(p->ready_log);
	p->ready_log = v;
	p->ready = READY_LOG;
	return 0;
}

static int parse_ready(const struct cfgkey *k, void *obj, const char *value, char *err,
		       size_t errlen)
{
	struct program_config *p = obj;
	long long fd;
	if (strcmp(value, "none") == 0)
		p->ready = READY_NONE;
	else if (strcmp(value, "startsecs") == 0)
		p->ready = READY_STARTSECS;
	else if (strcmp(value, "notify") == 0)
		p->ready = READY_NOTIFY;
	else if (strncmp(value, "fd:", 3) == 0 && cfgkey_parse_int(value + 3, 3, 1023, &fd))
		p->ready = READY_FD, p->ready_fd = (int)fd;
	else if (strcmp(value, "health") == 0)
		p->ready = READY_HEALTH;
	else if (strncmp(value, "log:", 4) == 0)
		return p->ready_health = false, parse_ready_log(p, value + 4, err, errlen);
	else if (strncmp(value, "health+log:", 11) == 0)
		return p->ready_health = true, parse_ready_log(p, value + 11, err, errlen);
	else
		return snprintf(err, errlen, "none, startsecs, notify, fd:N (N from 3 to 1023), "
				"health, log:REGEX or health+log:REGEX"),
		       -EDOM;
	free(p->ready_log);
	p->ready_log = NULL;
	p->ready_health = false;
	return 0;
}

static void show_ready(const struct cfgkey *k, const void *obj, struct cfgkey_out *out)
{
	static const char *const modes[] = {
		[READY_STARTSECS] = "startsecs", [READY_NONE] = "none", [READY_NOTIFY] = "notify",
		[READY_FD] = "fd", [READY_HEALTH] = "health", [READY_LOG] = "log",
	};
	const struct program_config *p = obj;
	if (p->ready == READY_FD)
		cfgkey_emit(out, k->name, "fd:%d", p->ready_fd);
	else if (p->ready == READY_LOG)
		cfgkey_emit(out, k->name, "%slog:%s", p->ready_health ? "health+" : "", p->ready_log);
	else
		cfgkey_emit(out, k->name, "%s", modes[p->ready]);
}

/* watch = PATH...: absolute paths only (corrald's working directory is
 * not the program's). */
static int parse_watch(const struct cfgkey *k, void *obj, const char *value, char *err,
		       size_t errlen)
{
	struct program_config *p = obj;
	char **names;
	if (cfgkey_split_names(value, &names) < 0)
		return -ENOMEM;
	for (size_t i = 0; names && names[i]; i++)
		if (names[i][0] != '/') {
			snprintf(err, errlen, "watch: \"%s\" is not an absolute path", names[i]);
			strv_free(names);
			return -EINVAL;
		}
	strv_free(p->watch);
	p->watch = names;
	return 0;
}

/* healthcheck = http://..., tcp:..., exec:/...: checked as health.c reads it. */
static int parse_healthcheck(const struct cfgkey *k, void *obj, const char *value, char *err,
			     size_t errlen)
{
	struct program_config *p = obj;
	struct health_spec spec;
	char why[200];
	if (healthspec_parse(value, &spec, why, sizeof why) < 0)
		return snprintf(err, errlen, "healthcheck: %s", why), -EINVAL;
	char *v = strdup(value);
	if (!v)
		return -ENOMEM;
	free(p->healthcheck);
	p->healthcheck = v;
	return 0;
}

static const char *const update_strategy_words[] = {
	[UPDATE_RESTART] = "restart", [UPDATE_ROLLING] = "rolling", NULL,
};

/* Parsed as a word; where it was set is kept: a group's value goes to the
 * members that set none, and --check names the line. */
static int apply_update_strategy(struct source *src, const struct cfgkey *k, const char *key,
				 void *obj, int line, const char *value)
{
	int r = cfgload_parse(src, k, obj, key, line, value);
	if (r == 0)
		src->ld->meta[src->prog].update_strategy_line = line;
	return r;
}

static const char *const on_unhealthy_words[] = {
	[ON_UNHEALTHY_RESTART] = "restart", [ON_UNHEALTHY_STOP] = "stop",
	[ON_UNHEALTHY_NONE] = "none", NULL,
};

/* A cron expression (cron.h), kept as written: the scheduler reads it again. */
static int parse_schedule(const struct cfgkey *k, void *obj, const char *value, char *err,
			  size_t errlen)
{
	struct program_config *p = obj;
	struct cron c;
	char why[200], *copy;
	if (cron_parse(value, &c, why, sizeof why) < 0) {
		snprintf(err, errlen, "schedule: bad value '%s': %s", value, why);
		return -EINVAL;
	}
	if (!(copy = strdup(value)))
		return -ENOMEM;
	free(p->schedule);
	p->schedule = copy;
	return 0;
}

/* local, UTC, or a zone of the tz database (/usr/share/zoneinfo/NAME). */
static int parse_schedule_tz(const struct cfgkey *k, void *obj, const char *value, char *err,
			     size_t errlen)
{
	struct program_config *p = obj;
	char path[PATH_MAX];
	char *copy = NULL;
	if (strcmp(value, "local") != 0) {
		bool name_ok = *value && value[0] != '/' && !strstr(value, "..") &&
			       strspn(value, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
					     "0123456789/_+-") == strlen(value);
		if (strcmp(value, "UTC") != 0 &&
		    (!name_ok || (size_t)snprintf(path, sizeof path, "/usr/share/zoneinfo/%s",
						  value) >= sizeof path ||
		     access(path, R_OK) < 0)) {
			snprintf(err, errlen, "schedule_tz: bad value '%s': local, UTC or a time "
				 "zone of /usr/share/zoneinfo (Europe/Berlin)", value);
			return -EINVAL;
		}
		if (!(copy = strdup(value)))
			return -ENOMEM;
	}
	free(p->schedule_tz);
	p->schedule_tz = copy;
	return 0;
}

static void show_schedule_tz(const struct cfgkey *k, const void *obj, struct cfgkey_out *out)
{
	const struct program_config *p = obj;
	cfgkey_emit(out, k->name, "%s", p->schedule_tz ? p->schedule_tz : "local");
}

/* The sandbox's keys are sandbox/'s: read, compared and shown there. */
static int apply_sandbox(struct source *src, const struct cfgkey *k, const char *key, void *obj,
			 int line, const char *value)
{
	char err[200];
	/* no NSS in static corralctl: see cfgcheck.c */
	if (src->ld->no_nss && (strcmp(key, "user") == 0 || strcmp(key, "group") == 0 ||
				strcmp(key, "supplementary_groups") == 0))
		return 0;
	int rc = sandbox_set(&prog(obj)->sandbox, key, value, err, sizeof err);
	int i = limits_key(key);
	if (rc == 0 && i >= 0) /* for "FILE:LINE: ... is not enforced" */
		prog(obj)->sandbox.limits.line[i] = line;
	return cfgload_say(src, line, key, value, rc, err);
}

static bool sandbox_rows_equal(const struct cfgkey *k, const void *a, const void *b)
{
	return sandbox_equal(&cprog(a)->sandbox, &cprog(b)->sandbox);
}

static void show_line(void *ctx, const char *text)
{
	cfgkey_emit(ctx, NULL, "%s", text);
}

/* As corralctl show says it, in comments: the keys compile into one
 * sandbox, whose parts do not map back to one value each. */
static void show_sandbox(const struct cfgkey *k, const void *obj, struct cfgkey_out *out)
{
	sandbox_show(&cprog(obj)->sandbox, -1, show_line, out);
}

static void init_sandbox(void *field)
{
	sandbox_init(field);
}

/* A pool's keys are poolcfg.c's. */
static int apply_pool(struct source *src, const struct cfgkey *k, const char *key, void *obj,
		      int line, const char *value)
{
	char err[200];
	return cfgload_say(src, line, key, value, poolcfg_apply(obj, key, value, err, sizeof err),
			   err);
}

static bool pool_equal(const struct cfgkey *k, const void *a, const void *b)
{
	return poolcfg_equal(&cprog(a)->pool, &cprog(b)->pool);
}

static void show_pool(const struct cfgkey *k, const void *obj, struct cfgkey_out *out)
{
	poolcfg_show(&cprog(obj)->pool, out->line, out->ctx);
}

/* supervisord's socket = tcp://HOST:PORT or unix:///PATH, as corral's
 * [socket:] addresses. */
static int apply_fcgi_socket(struct source *src, const struct cfgkey *k, const char *key,
			     void *obj, int line, const char *value)
{
	struct program_config *p = obj;
	char err[200], *spec = NULL;
	char *s = cfgexpand_value(src, line, key, value, p->name);
	if (!s)
		return -EINVAL;
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
		cfgload_bad_value(src, line, key, value, "tcp://HOST:PORT or unix:///PATH");
	else if (asprintf(&spec, "%s%s", prefix, rest) < 0)
		src->ld->oom = true, spec = NULL;
	free(s);
	if (!spec)
		return -EINVAL;
	struct socket_addr *a = calloc(1, sizeof *a);
	int rc = -EINVAL;
	if (!a) {
		src->ld->oom = true;
	} else if (sockets_parse(spec, a, err, sizeof err) < 0) {
		cfgload_error(src, line, "socket: '%s': %s", value, err);
		free(a);
	} else {
		free(p->fcgi_socket);
		p->fcgi_socket = a;
		rc = 0;
	}
	free(spec);
	return rc;
}

static bool fcgi_socket_equal(const struct cfgkey *k, const void *a, const void *b)
{
	const struct socket_addr *x = cprog(a)->fcgi_socket, *y = cprog(b)->fcgi_socket;
	return x && y ? sockets_addr_equal(x, y) : x == y;
}

/* In supervisord's form, the one the key takes. */
static void show_fcgi_socket(const struct cfgkey *k, const void *obj, struct cfgkey_out *out)
{
	char text[SOCKETS_ADDR_STRLEN];
	if (!cprog(obj)->fcgi_socket)
		return;
	sockets_format(cprog(obj)->fcgi_socket, text, sizeof text);
	size_t scheme = strcspn(text, ":");
	cfgkey_emit(out, k->name, "%.*s://%s", (int)scheme, text, text + scheme + 1);
}

static void init_backlog(void *field)
{
	*(int *)field = SOMAXCONN; /* supervisord's */
}

/* socket_owner = USER[:GROUP], looked up now (not in static corralctl,
 * which has no NSS). */
static int apply_socket_owner(struct source *src, const struct cfgkey *k, const char *key,
			      void *obj, int line, const char *value)
{
	struct program_config *p = obj;
	struct users owner = { 0 };
	char err[200];
	if (src->ld->no_nss)
		return 0;
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
		cfgload_bad_value(src, line, key, value, err);
	} else {
		p->fcgi_owner = true;
		p->fcgi_uid = owner.uid;
		p->fcgi_gid = owner.gid;
	}
	users_free(&owner);
	free(user);
	return rc < 0 ? -EINVAL : 0;
}

static void show_socket_owner(const struct cfgkey *k, const void *obj, struct cfgkey_out *out)
{
	const struct program_config *p = obj;
	if (p->fcgi_owner)
		cfgkey_emit(out, k->name, "%u:%u", (unsigned)p->fcgi_uid, (unsigned)p->fcgi_gid);
}

/* events: supervisord's event type names, checked as it checks them. */
static int parse_events(const struct cfgkey *k, void *obj, const char *value, char *err,
			size_t errlen)
{
	char bad[64];
	int rc = eventproto_parse_events(value, &prog(obj)->listener_events, bad, sizeof bad);
	if (rc == -EINVAL)
		snprintf(err, errlen, "unknown event type %s in events", bad);
	else if (rc < 0)
		snprintf(err, errlen, "events: no event type named");
	return rc < 0 ? -EINVAL : 0;
}

static void show_events(const struct cfgkey *k, const void *obj, struct cfgkey_out *out)
{
	struct buf b = { 0 };
	for (int t = 0; t < EV_NTYPES; t++)
		if (cprog(obj)->listener_events & EV_BIT(t)) {
			const char *name = eventproto_type_name(t);
			if ((b.len && buf_add(&b, ",", 1) < 0) ||
			    buf_add(&b, name, strlen(name)) < 0)
				break;
		}
	cfgkey_emit(out, k->name, "%s", b.s ? b.s : "");
	free(b.s);
}

/* result_handler: a Python function, which corral cannot call. */
static int apply_result_handler(struct source *src, const struct cfgkey *k, const char *key,
				void *obj, int line, const char *value)
{
	if (strcmp(value, "supervisor.dispatchers:default_handler") != 0)
		cfgload_warn(src, line, "corral ignores result_handler: only supervisord's default "
			     "(OK accepts an event, anything else rejects it) is supported");
	return 0;
}

/* ---- the fields no key sets ------------------------------------------- */

/* The same listening sockets at the same fds, under the same names. */
static bool listen_equal(const struct cfgkey *k, const void *x, const void *y)
{
	const struct program_config *a = x, *b = y;
	if (a->nlisten != b->nlisten || !strv_equal(a->listen_names, b->listen_names))
		return false;
	for (int i = 0; i < a->nlisten; i++)
		if (!sockets_addr_equal(&a->listen[i], &b->listen[i]) ||
		    a->listen[i].reuseport != b->listen[i].reuseport)
			return false;
	return true;
}

static void show_listen(const struct cfgkey *k, const void *obj, struct cfgkey_out *out)
{
	const struct program_config *p = obj;
	char text[SOCKETS_ADDR_STRLEN];
	for (int i = 0; i < p->nlisten; i++) {
		sockets_format(&p->listen[i], text, sizeof text);
		cfgkey_emit(out, NULL, "fd %d: %s, from [socket:%s]", 3 + i, text,
			    p->listen_names[i]);
	}
}

/* Each process runs with the same per-process values. */
static bool instances_equal(const struct cfgkey *k, const void *x, const void *y)
{
	const struct program_config *a = x, *b = y;
	if (!a->instances || !b->instances)
		return a->instances == b->instances;
	for (int i = 0; i < a->numprocs && i < b->numprocs; i++) {
		const struct program_instance *p = &a->instances[i], *q = &b->instances[i];
		if (!strv_equal(p->argv, q->argv) || !streq(p->directory, q->directory) ||
		    !streq(p->stdout_logfile, q->stdout_logfile) ||
		    !streq(p->stderr_logfile, q->stderr_logfile) ||
		    !strv_equal(p->environment, q->environment))
			return false;
	}
	return true;
}

static void show_group(const struct cfgkey *k, const void *obj, struct cfgkey_out *out)
{
	if (cprog(obj)->group)
		cfgkey_emit(out, NULL, "in [group:%s]", cprog(obj)->group);
}

/* ---- the table -------------------------------------------------------- */

static const char *const killmode_words[] = { "group", "process", NULL };
static const char *const overflow_words[] = { "block", "drop", NULL };

/* In the order `corrald --check -v` shows them: the lines it always
 * showed first, then the others. command, directory, environment and the
 * log files are each process's own: its "; process" line shows them. */
static const struct cfgkey rows[] = {
	{ .name = "command", .type = CFGKEY_CUSTOM, PF(command), .apply = apply_command,
	  .equal = command_equal, .also = { COVERS(argv) }, .example = "/bin/false",
	  .flags = CFGKEY_NOSHOW | CFGKEY_ROLL, .migrate = CFGKEY_PER_PROCESS },
	{ .name = "process_name", .type = CFGKEY_STR, PF(process_name),
	  .parse = parse_process_name, .dflt = "%(program_name)s",
	  .example = "%(program_name)s-%(process_num)d", .migrate = CFGKEY_SPLIT },
	{ .name = "numprocs", .type = CFGKEY_INT, PF(numprocs), .min = 1, .max = MAX_NUMPROCS,
	  .dflt = "1", .example = "2", .migrate = CFGKEY_SPLIT },
	{ .name = "numprocs_start", .type = CFGKEY_INT, PF(numprocs_start), .min = 0,
	  .max = MAX_NUMPROCS_START, .example = "5", .migrate = CFGKEY_SPLIT },
	{ .name = "priority", .type = CFGKEY_INT, PF(priority), .parse = parse_priority,
	  .also = { ALSO(process_priority) }, .dflt = "999", .example = "5" },
	{ .name = "autostart", .type = CFGKEY_BOOL, PF(autostart), .dflt = "true",
	  .example = "false" },
	{ .name = "autorestart", .type = CFGKEY_CUSTOM, PF(autorestart), .parse = parse_autorestart,
	  .apply = apply_autorestart, .show = show_autorestart, .dflt = "unexpected",
	  .example = "true", .flags = CFGKEY_ROLL },
	{ .name = "startsecs", .type = CFGKEY_INT, PF(startsecs), .min = 0, .max = MAX_SECONDS,
	  .dflt = "1", .example = "0", .flags = CFGKEY_ROLL },
	{ .name = "startretries", .type = CFGKEY_INT, PF(startretries), .min = 0,
	  .max = MAX_SECONDS, .dflt = "3", .example = "7", .flags = CFGKEY_ROLL },
	{ .name = "main", .type = CFGKEY_BOOL, PF(main), .example = "true" },
	{ .name = "exitcodes", .type = CFGKEY_CUSTOM, PF(exitcodes), .parse = parse_exitcodes,
	  .show = show_exitcodes, .dflt = "0", .example = "0,2", .flags = CFGKEY_ROLL },
	{ .name = "stopsignal", .type = CFGKEY_SIGNAL, PF(stopsignal), .dflt = "TERM",
	  .example = "QUIT" },
	{ .name = "stopwaitsecs", .type = CFGKEY_INT, PF(stopwaitsecs), .min = 0,
	  .max = MAX_SECONDS, .dflt = "10", .example = "3" },
	{ .name = "stopasgroup", .type = CFGKEY_BOOL, PF(stopasgroup), .example = "true" },
	{ .name = "killasgroup", .type = CFGKEY_BOOL, PF(killasgroup), .dflt = "true",
	  .example = "false" },
	{ .name = "redirect_stderr", .type = CFGKEY_BOOL, PF(redirect_stderr), .example = "true" },
	{ .name = "stdout_logfile_maxbytes", .type = CFGKEY_BYTES, PF(stdout_maxbytes),
	  .dflt = "50MB", .example = "1MB" },
	{ .name = "stdout_logfile_backups", .type = CFGKEY_INT, PF(stdout_backups), .min = 0,
	  .max = 1000, .dflt = "10", .example = "2" },
	{ .name = "stderr_logfile_maxbytes", .type = CFGKEY_BYTES, PF(stderr_maxbytes),
	  .dflt = "50MB", .example = "1MB" },
	{ .name = "stderr_logfile_backups", .type = CFGKEY_INT, PF(stderr_backups), .min = 0,
	  .max = 1000, .dflt = "10", .example = "2" },
	{ .name = "stdout_syslog", .type = CFGKEY_BOOL, PFI(syslog, 0), .example = "true" },
	{ .name = "stderr_syslog", .type = CFGKEY_BOOL, PFI(syslog, 1), .example = "true" },
	/* [supervisord] strip_ansi, every program's */
	{ .name = "strip_ansi", .type = CFGKEY_BOOL, PF(strip_ansi), .flags = CFGKEY_FIELD },
	{ .name = "umask", .type = CFGKEY_OCTAL, PF(umask), .max = 0777,
	  .expected = "an octal mask from 0 to 0777", .init = init_umask, .show = show_umask,
	  .example = "027", .flags = CFGKEY_ROLL },
	/* [fcgi-program:]'s own (supervisord's names) */
	{ .name = "socket", .type = CFGKEY_CUSTOM, PF(fcgi_socket), .flags = CFGKEY_FCGI,
	  .apply = apply_fcgi_socket, .equal = fcgi_socket_equal, .show = show_fcgi_socket,
	  .example = "tcp://127.0.0.1:9", .migrate = CFGKEY_RESOLVED },
	{ .name = "socket_backlog", .type = CFGKEY_INT, PF(fcgi_backlog), .flags = CFGKEY_FCGI,
	  .min = 1, .max = 65535, .init = init_backlog, .example = "7" },
	{ .name = "socket_mode", .type = CFGKEY_OCTAL, PF(fcgi_mode), .flags = CFGKEY_FCGI,
	  .max = 0777, .expected = "an octal mode from 0 to 0777", .dflt = "0700",
	  .example = "0600" },
	{ .name = "socket_owner", .type = CFGKEY_CUSTOM, PF(fcgi_owner), .flags = CFGKEY_FCGI,
	  .apply = apply_socket_owner, .also = { ALSO(fcgi_uid), ALSO(fcgi_gid) },
	  .show = show_socket_owner, .example = "nobody" },
	/* [eventlistener:]'s own */
	{ .name = "buffer_size", .type = CFGKEY_INT, PF(buffer_size), .flags = CFGKEY_LISTENER,
	  .min = 1, .max = MAX_BUFFER_SIZE, .dflt = "10", .example = "3" },
	{ .name = "events", .type = CFGKEY_CUSTOM, PF(listener_events), .flags = CFGKEY_LISTENER,
	  .parse = parse_events, .show = show_events, .example = "TICK_5" },
	{ .name = "result_handler", .type = CFGKEY_CUSTOM, .flags = CFGKEY_LISTENER | CFGKEY_NOSHOW,
	  .apply = apply_result_handler },
	/* the lines --check -v did not show before */
	{ .name = "killmode", .type = CFGKEY_WORD, PF(killmode), .words = killmode_words,
	  .flags = CFGKEY_ANYCASE, .dflt = "group", .example = "process" },
	{ .name = "log_timestamps", .type = CFGKEY_BOOL, PF(log_timestamps), .example = "true" },
	{ .name = "log_line_max", .type = CFGKEY_BYTES, PF(log_line_max), .min = 64,
	  .flags = CFGKEY_ZERO_OK, .range = "0 (no limit) or at least 64 bytes", .dflt = "16KB",
	  .example = "0" },
	{ .name = "log_buffer", .type = CFGKEY_BYTES, PF(log_buffer), .min = 4096,
	  .max = 64 * 1024 * 1024, .range = "from 4KB to 64MB", .dflt = "64KB",
	  .example = "8KB" },
	{ .name = "log_rate", .type = CFGKEY_INT, PF(log_rate), .min = 0, .max = 100000000,
	  .expected = "a number of lines from 0 to 100000000", .example = "100" },
	{ .name = "log_burst", .type = CFGKEY_INT, PF(log_burst), .min = 0, .max = 100000000,
	  .expected = "a number of lines from 0 to 100000000", .example = "10" },
	{ .name = "log_overflow", .type = CFGKEY_WORD, PF(log_overflow), .words = overflow_words,
	  .flags = CFGKEY_ANYCASE, .dflt = "block", .example = "drop" },
	{ .name = "ready", .type = CFGKEY_CUSTOM, PF(ready), .parse = parse_ready,
	  .also = { ALSO(ready_fd) }, .show = show_ready, .dflt = "startsecs",
	  .example = "fd:5" },
	{ .name = "start_timeout", .type = CFGKEY_INT, PF(start_timeout), .min = 0,
	  .max = MAX_SECONDS, .dflt = "90", .example = "5", .flags = CFGKEY_ROLL },
	{ .name = "watchdog_sec", .type = CFGKEY_INT, PF(watchdog_sec), .min = 0,
	  .max = MAX_SECONDS, .example = "5" },
	{ .name = "requires", .type = CFGKEY_NAMES, PF(requires), .example = "other" },
	{ .name = "after", .type = CFGKEY_NAMES, PF(after), .example = "other" },
	/* supervisord's event keys, which corral's format takes too */
	{ .name = "stdout_capture_maxbytes", .type = CFGKEY_SD_BYTES, PFI(capture_maxbytes, 0),
	  .example = "1KB" },
	{ .name = "stderr_capture_maxbytes", .type = CFGKEY_SD_BYTES, PFI(capture_maxbytes, 1),
	  .example = "1KB" },
	{ .name = "stdout_events_enabled", .type = CFGKEY_BOOL, PFI(events_enabled, 0),
	  .example = "true" },
	{ .name = "stderr_events_enabled", .type = CFGKEY_BOOL, PFI(events_enabled, 1),
	  .example = "true" },
	/* each process's own: its "; process" line shows them */
	{ .name = "directory", .type = CFGKEY_STR, PF(directory), .apply = apply_directory,
	  .flags = CFGKEY_NOSHOW | CFGKEY_ROLL, .example = "/tmp", .migrate = CFGKEY_PER_PROCESS },
	{ .name = "environment", .type = CFGKEY_NAMES, PF(environment), .parse = parse_environment,
	  .apply = apply_environment, .dflt = "", .flags = CFGKEY_NOSHOW | CFGKEY_ROLL, .example = "A=1",
	  .migrate = CFGKEY_PER_PROCESS },
	{ .name = "stdout_logfile", .type = CFGKEY_STR, PF(stdout_logfile), .apply = apply_logfile,
	  .flags = CFGKEY_NOSHOW, .example = "/tmp/out", .migrate = CFGKEY_PER_PROCESS },
	{ .name = "stderr_logfile", .type = CFGKEY_STR, PF(stderr_logfile), .apply = apply_logfile,
	  .flags = CFGKEY_NOSHOW, .example = "NONE", .migrate = CFGKEY_PER_PROCESS },
	/* a pool's keys, poolcfg.c's */
	{ .name = NULL, .type = CFGKEY_CUSTOM, PF(pool), .flags = CFGKEY_POOL,
	  .subkeys = poolcfg_keys, .apply = apply_pool, .equal = pool_equal, .show = show_pool },
	/* the sandbox's keys, sandbox/'s */
	{ .name = NULL, .type = CFGKEY_CUSTOM, PF(sandbox), .subkeys = sandbox_keys,
	  .apply = apply_sandbox, .equal = sandbox_rows_equal, .show = show_sandbox,
	  .init = init_sandbox },
	/* schedules (schedule.c) */
	{ .name = "schedule", .type = CFGKEY_STR, PF(schedule), .parse = parse_schedule,
	  .example = "*/5 * * * *" },
	{ .name = "schedule_timeout", .type = CFGKEY_INT, PF(schedule_timeout), .min = 0,
	  .max = MAX_SECONDS, .example = "60" },
	{ .name = "schedule_tz", .type = CFGKEY_STR, PF(schedule_tz), .parse = parse_schedule_tz,
	  .show = show_schedule_tz, .dflt = "local", .example = "UTC" },
	/* the fields no key sets */
	{ .name = "name", .type = CFGKEY_STR, PF(name), .flags = CFGKEY_FIELD | CFGKEY_NOSHOW },
	/* where the program was written, not how it runs: moving a section must
	 * not restart it */
	{ .name = "file", .type = CFGKEY_STR, PF(file),
	  .flags = CFGKEY_FIELD | CFGKEY_NOSHOW | CFGKEY_NORESTART },
	{ .name = "line", .type = CFGKEY_INT, PF(line),
	  .flags = CFGKEY_FIELD | CFGKEY_NOSHOW | CFGKEY_NORESTART },
	{ .name = "argv", .type = CFGKEY_NAMES, PF(argv),
	  .flags = CFGKEY_FIELD | CFGKEY_NOSHOW | CFGKEY_ROLL },
	/* only corrald --init reads it, and then autorestart says it all */
	{ .name = "autorestart_set", .type = CFGKEY_BOOL, PF(autorestart_set),
	  .flags = CFGKEY_FIELD | CFGKEY_NOSHOW | CFGKEY_NORESTART },
	{ .name = "listen", .type = CFGKEY_CUSTOM, PF(listen), .flags = CFGKEY_FIELD,
	  .also = { COVERS(listen_names), ALSO(nlisten) }, .equal = listen_equal,
	  .show = show_listen },
	{ .name = "instances", .type = CFGKEY_CUSTOM, PF(instances),
	  .flags = CFGKEY_FIELD | CFGKEY_NOSHOW | CFGKEY_ROLL, .equal = instances_equal },
	{ .name = "is_pool", .type = CFGKEY_BOOL, PF(is_pool),
	  .flags = CFGKEY_FIELD | CFGKEY_NOSHOW },
	{ .name = "is_fcgi", .type = CFGKEY_BOOL, PF(is_fcgi),
	  .flags = CFGKEY_FIELD | CFGKEY_NOSHOW },
	{ .name = "is_listener", .type = CFGKEY_BOOL, PF(is_listener),
	  .flags = CFGKEY_FIELD | CFGKEY_NOSHOW },
	{ .name = "stdin_pipe", .type = CFGKEY_BOOL, PF(stdin_pipe),
	  .flags = CFGKEY_FIELD | CFGKEY_NOSHOW },
	/* health checks (health.h) */
	{ .name = "healthcheck", .type = CFGKEY_STR, PF(healthcheck), .parse = parse_healthcheck,
	  .example = "tcp:127.0.0.1:5432" },
	{ .name = "health_interval", .type = CFGKEY_INT, PF(health_interval), .min = 1,
	  .max = MAX_SECONDS, .dflt = "30", .example = "5" },
	{ .name = "health_timeout", .type = CFGKEY_INT, PF(health_timeout), .min = 1,
	  .max = MAX_SECONDS, .dflt = "10", .example = "2" },
	{ .name = "health_retries", .type = CFGKEY_INT, PF(health_retries), .min = 1,
	  .max = MAX_SECONDS, .dflt = "3", .example = "5" },
	{ .name = "health_start_period", .type = CFGKEY_INT, PF(health_start_period), .min = 0,
	  .max = MAX_SECONDS, .example = "30" },
	{ .name = "on_unhealthy", .type = CFGKEY_WORD, PF(on_unhealthy), .words = on_unhealthy_words,
	  .dflt = "restart", .example = "stop" },
	/* ready = log:REGEX's expression (readylog.c): the ready row sets it */
	{ .name = "ready_log", .type = CFGKEY_STR, PF(ready_log),
	  .flags = CFGKEY_FIELD | CFGKEY_NOSHOW },
	{ .name = "ready_health", .type = CFGKEY_BOOL, PF(ready_health),
	  .flags = CFGKEY_FIELD | CFGKEY_NOSHOW },
	/* restarts on changes of files (watch.c) */
	{ .name = "watch", .type = CFGKEY_NAMES, PF(watch), .parse = parse_watch,
	  .example = "/srv/app /etc/app.conf" },
	{ .name = "watch_exclude", .type = CFGKEY_NAMES, PF(watch_exclude),
	  .example = "*.swp .git" },
	{ .name = "watch_debounce", .type = CFGKEY_INT, PF(watch_debounce), .min = 0,
	  .max = 3600000, .dflt = "500", .example = "100" },
	{ .name = "watch_cascade", .type = CFGKEY_BOOL, PF(watch_cascade), .example = "true" },
	{ .name = "update_strategy", .type = CFGKEY_WORD, PF(update_strategy),
	  .words = update_strategy_words, .apply = apply_update_strategy, .flags = CFGKEY_NORESTART,
	  .dflt = "restart", .example = "rolling" },
	/* last, as it always was */
	{ .name = "group", .type = CFGKEY_STR, PF(group), .flags = CFGKEY_FIELD,
	  .show = show_group },
};

const struct cfgkey_table cfgprog_table = { rows, sizeof rows / sizeof rows[0] };

/* ---- a program being read --------------------------------------------- */

unsigned cfgprog_kinds(const struct program_config *p)
{
	return (p->is_fcgi ? CFGKEY_FCGI : 0) | (p->is_listener ? CFGKEY_LISTENER : 0) |
	       (p->is_pool ? CFGKEY_POOL : 0);
}

int cfgprog_new(struct loader *ld, const char *section, const char *file, int line, int fseq)
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
		.is_pool = strncmp(section, "pool:", 5) == 0,
		.is_fcgi = strncmp(section, "fcgi-program:", 13) == 0,
		.is_listener = strncmp(section, "eventlistener:", 14) == 0,
	};
	ld->meta[ld->nprogs] = (struct program_meta){ .fseq = fseq };
	ld->nprogs++; /* counted even when half-built, so that it is freed */
	p->name = strdup(strchr(section, ':') + 1);
	p->file = strdup(file);
	if (!p->name || !p->file)
		return -ENOMEM;
	/* the defaults, in the order of the rows, of the keys this kind has */
	unsigned kinds = cfgprog_kinds(p);
	for (size_t i = 0; i < cfgprog_table.n; i++) {
		const struct cfgkey *k = &rows[i];
		char err[200];
		if ((k->flags & CFGKEY_KINDS) && !(k->flags & kinds & CFGKEY_KINDS))
			continue;
		if (k->init)
			k->init((char *)p + k->offset);
		/* a default that does not read is this table's bug: test_cfgprog */
		if (k->dflt && cfgkey_parse(k, p, k->dflt, err, sizeof err) == -ENOMEM)
			return -ENOMEM;
	}
	if (p->is_pool && poolcfg_init(p) < 0)
		return -ENOMEM;
	/* supervisord's: the pool of listeners starts first and stops last,
	 * its processes keep 999 among themselves */
	if (p->is_listener)
		p->priority = -1;
	return 0;
}

size_t cfgprog_key_id(const struct program_config *p, const char *key)
{
	size_t id = CFGKEY_SEEN_MAX;
	(void)cfgkey_find(&cfgprog_table, key, cfgprog_kinds(p), &id);
	return id;
}

static void apply_key(struct source *src, const char *key, int line, const char *value)
{
	struct loader *ld = src->ld;
	struct program_config *p = &ld->progs[src->prog];
	struct program_meta *m = &ld->meta[src->prog];
	unsigned kinds = cfgprog_kinds(p);
	char err[200];
	size_t id;
	int rc, ti = cfgexpand_instance_key(key);

	if (ti >= 0 && !p->is_pool && ld->supervisord) {
		/* %(ENV_X)s may differ per process when the environment does */
		bool per_process = strstr(value, "%(process_num)") ||
				   (ti != CFGEXPAND_ENV_KEY && strstr(value, "%(ENV_"));
		free(m->tmpl[ti]);
		m->tmpl[ti] = per_process ? cfgload_strdup(ld, value) : NULL;
	}
	const struct cfgkey *k = cfgkey_find(&cfgprog_table, key, kinds, &id);
	if (!k && (k = cfgkey_find(supervisord_keys(SUPERVISORD_NONE), key, kinds, &id)))
		id += CFGLOAD_SD_IDS;
	if (!k)
		return; /* begin_key() let no such key through */
	/* a pool refuses some of a program's keys */
	if (p->is_pool && k->apply != apply_pool &&
	    (rc = poolcfg_apply(p, key, value, err, sizeof err)) != 0) {
		if (cfgload_say(src, line, key, value, rc, err) < 0)
			cfgkey_seen_add(&m->bad, id);
		return;
	}
	if (cfgload_apply(src, k, p, key, line, value) < 0)
		cfgkey_seen_add(&m->bad, id);
}

void cfgprog_key(struct source *src, const char *key, int line, const char *value)
{
	struct loader *ld = src->ld;
	struct program_config *p = &ld->progs[src->prog];
	struct program_meta *m = &ld->meta[src->prog];
	/* supervisord expands a program's command, directory and log files
	 * with its environment = wherever that is written in the section */
	bool after_env = ld->supervisord && cfgexpand_env_key(key) && strstr(value, "%(ENV_");
	if (!after_env && !(strstr(value, "%(numprocs)") &&
			    !cfgkey_seen_has(&m->seen, cfgprog_key_id(p, "numprocs")))) {
		apply_key(src, key, line, value);
		return;
	}
	struct pending_value *v = reallocarray(m->pending, m->npending + 1, sizeof *v);
	if (!v) {
		ld->oom = true;
		return;
	}
	m->pending = v;
	v[m->npending++] = (struct pending_value){ .key = cfgload_strdup(ld, key), .line = line,
						   .value = cfgload_strdup(ld, value),
						   .after_env = after_env };
}

void cfgprog_finish(struct source *src)
{
	struct program_config *p = &src->ld->progs[src->prog];
	struct program_meta *m = &src->ld->meta[src->prog];
	/* environment (when it waited for numprocs) before what expands it */
	for (int round = 0; round < 2; round++)
		for (size_t i = 0; i < m->npending; i++) {
			struct pending_value *v = &m->pending[i];
			if (v->key && v->value && v->after_env == (round == 1))
				apply_key(src, v->key, v->line, v->value);
		}
	for (size_t i = 0; i < m->npending; i++) {
		free(m->pending[i].key);
		free(m->pending[i].value);
	}
	free(m->pending);
	m->pending = NULL;
	m->npending = 0;
	cfgexpand_instances(src);
	if (p->is_fcgi && !cfgkey_seen_has(&m->seen, cfgprog_key_id(p, "socket")))
		cfgload_error(src, src->section_line, "missing socket");
	else if (p->is_fcgi && p->fcgi_socket && p->fcgi_socket->kind != SOCKET_UNIX &&
		 (cfgkey_seen_has(&m->seen, cfgprog_key_id(p, "socket_owner")) ||
		  cfgkey_seen_has(&m->seen, cfgprog_key_id(p, "socket_mode"))))
		cfgload_error(src, src->section_line,
			      "socket_owner and socket_mode are for unix:// sockets only");
	if (p->is_listener && !cfgkey_seen_has(&m->seen, cfgprog_key_id(p, "events")))
		cfgload_error(src, src->section_line, "missing events");
	if (p->is_listener && p->redirect_stderr)
		cfgload_error(src, src->section_line, "redirect_stderr = true is not allowed: it "
			      "would mix stderr into the listener protocol");
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

void cfgprog_inherit(struct loader *ld)
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

void cfgprog_output(struct loader *ld)
{
	for (size_t i = 0; i < ld->nprogs; i++) {
		struct program_config *p = &ld->progs[i];
		p->strip_ansi = ld->strip_ansi;
		for (int k = 0; k < 2; k++)
			p->syslog[k] |= ld->meta[i].logfile_syslog[k];
	}
}

void cfgprog_free(struct program_config *p)
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
	free(p->healthcheck);
	free(p->schedule);
	free(p->schedule_tz);
	free(p->ready_log);
	strv_free(p->watch);
	strv_free(p->watch_exclude);
	cfgexpand_free_instances(p);
	sandbox_free(&p->sandbox);
	memset(p, 0, sizeof *p);
}

/* ---- what the rows give ----------------------------------------------- */

bool program_config_equal(const struct program_config *a, const struct program_config *b)
{
	for (size_t i = 0; i < cfgprog_table.n; i++)
		if (!(rows[i].flags & CFGKEY_NORESTART) && !cfgkey_equal(&rows[i], a, b))
			return false;
	return true;
}

bool program_config_rollable(const struct program_config *a, const struct program_config *b)
{
	for (size_t i = 0; i < cfgprog_table.n; i++)
		if (!(rows[i].flags & (CFGKEY_NORESTART | CFGKEY_ROLL)) &&
		    !cfgkey_equal(&rows[i], a, b))
			return false;
	return true;
}

bool program_config_expected_exit(const struct program_config *p, int code)
{
	if (code < 0 || code > 255)
		return false;
	return p->exitcodes[code / 8] & (1u << (code % 8));
}

/* The kind of section P was written as: "program", "pool" ... */
static const char *kind_name(const struct program_config *p)
{
	return p->is_pool ? "pool" : p->is_fcgi ? "fcgi-program" :
	       p->is_listener ? "eventlistener" : "program";
}

void cfgprog_show(const struct program_config *p, struct cfgkey_out *out)
{
	char line[512];
	snprintf(line, sizeof line, "[%s:%s] ; %s:%d", kind_name(p), p->name, p->file, p->line);
	out->line(out->ctx, line);
	for (int k = 0; k < p->numprocs; k++) {
		char name[256];
		struct program_instance v;
		struct buf b = { 0 };
		if (program_config_process_name(p, p->numprocs_start + k, name, sizeof name) < 0)
			snprintf(name, sizeof name, "?");
		program_config_instance(p, k, &v);
		for (char **e = v.environment; *e; e++)
			if (buf_add(&b, " ", 1) < 0 || buf_add(&b, *e, strlen(*e)) < 0)
				break;
		/* as corrald names it: NAME alone, or GROUP:PROCESS */
		bool alone = !p->group && p->numprocs == 1 && strcmp(name, p->name) == 0;
		cfgkey_emit(out, NULL, "process %s%s%s: command = %s, directory = %s, "
			    "stdout_logfile = %s, stderr_logfile = %s, environment =%s",
			    alone ? "" : p->group ? p->group : p->name, alone ? "" : ":", name,
			    v.command, v.directory ? v.directory : "(inherited)",
			    v.stdout_logfile ? v.stdout_logfile : "AUTO",
			    p->redirect_stderr ? "(redirected)"
			    : v.stderr_logfile ? v.stderr_logfile : "AUTO", b.s ? b.s : "");
		free(b.s);
	}
	unsigned kinds = cfgprog_kinds(p);
	for (size_t i = 0; i < cfgprog_table.n; i++)
		if (!(rows[i].flags & CFGKEY_KINDS) || (rows[i].flags & kinds & CFGKEY_KINDS))
			cfgkey_show(&rows[i], p, out);
}
