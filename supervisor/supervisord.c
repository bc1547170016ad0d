/* supervisord — supervisord 4.2's sections and keys, as config.c reads them.
 *
 * The tables follow supervisor/options.py of 4.2: every key it reads, with
 * the type it converts the value to (so that a value supervisord would
 * reject is an error here too) and, for the keys corral ignores, the value
 * that makes the key a no-op, so that a file spelling out supervisord's
 * defaults (as echo_supervisord_conf's does) loads without noise. */
#include "supervisor/supervisord.h"
#include "supervisor/signame.h"
#include "sandbox/sandbox.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

enum type {
	T_STR,          /* anything, even empty */
	T_BOOL,         /* supervisord's boolean(): true/false, yes/no, on/off, 1/0 */
	T_INT,          /* integer >= 0 */
	T_BYTES,        /* byte_size(): digits with KB, MB or GB */
	T_OCTAL,        /* octal_type() */
	T_LOGLEVEL,     /* logging_level() */
	T_SIGNAL,       /* signal_number() */
	T_AUTORESTART,  /* auto_restart(): true, false or unexpected */
};

struct key {
	const char *name;
	enum type type;
	const char *quiet;      /* corral ignores the key: no warning when it has this value */
	const char *note;       /* corral ignores the key: why; NULL: corral takes it */
};

/* [supervisord]'s keys; pidfile, childlogdir, umask, directory,
 * environment and identifier are mapped by config.c, which also takes
 * nodaemon, silent, minfds and minprocs once checked here. */
static const struct key main_keys[] = {
	{ "logfile", T_STR, NULL, "corrald logs to its standard error" },
	{ "logfile_maxbytes", T_BYTES, "50MB", "corrald logs to its standard error" },
	{ "logfile_backups", T_INT, "10", "corrald logs to its standard error" },
	{ "loglevel", T_LOGLEVEL, NULL, NULL }, /* config.c: corrald's log level */
	{ "pidfile", T_STR, NULL, NULL },
	{ "childlogdir", T_STR, NULL, NULL },
	{ "nodaemon", T_BOOL, NULL, NULL },     /* config.c: main.c daemonizes when false */
	{ "silent", T_BOOL, NULL, NULL },       /* config.c: no log on stderr */
	{ "minfds", T_INT, NULL, NULL },        /* config.c: main.c raises RLIMIT_NOFILE */
	{ "minprocs", T_INT, NULL, NULL },      /* config.c: main.c raises RLIMIT_NPROC */
	{ "umask", T_OCTAL, NULL, NULL },       /* config.c: each program's default */
	{ "user", T_STR, NULL, "start corrald as that user instead; programs take user =" },
	{ "directory", T_STR, NULL, NULL },     /* config.c: each program's default */
	{ "environment", T_STR, NULL, NULL },   /* config.c: added to each program's */
	{ "identifier", T_STR, NULL, NULL },    /* config.c: getIdentification's answer */
	{ "strip_ansi", T_BOOL, NULL, NULL },   /* config.c: every program's */
	{ "nocleanup", T_BOOL, NULL, NULL }, /* corral never removes log files at start */
	{ NULL, T_STR, NULL, NULL },
};

static const struct key unix_http_keys[] = {
	{ "file", T_STR, NULL, NULL },
	{ "chmod", T_OCTAL, NULL, NULL },
	{ "chown", T_STR, NULL, NULL },
	{ "username", T_STR, NULL, NULL },
	{ "password", T_STR, NULL, NULL },
	{ NULL, T_STR, NULL, NULL },
};

static const struct key inet_http_keys[] = {
	{ "port", T_STR, NULL, NULL },
	{ "username", T_STR, NULL, NULL },
	{ "password", T_STR, NULL, NULL },
	{ NULL, T_STR, NULL, NULL },
};

static const struct key ctl_keys[] = {
	{ "serverurl", T_STR, NULL, NULL },
	{ "username", T_STR, NULL, NULL },
	{ "password", T_STR, NULL, NULL },
	{ "prompt", T_STR, NULL, NULL },
	{ "history_file", T_STR, NULL, NULL },
	{ NULL, T_STR, NULL, NULL },
};

/* Every key of supervisord's [program:x]; the event listeners' and FastCGI
 * programs' own follow in their tables. */
#define PROGRAM_KEYS                                                                       \
	{ "command", T_STR, NULL, NULL }, { "process_name", T_STR, NULL, NULL },           \
	{ "numprocs", T_INT, NULL, NULL }, { "numprocs_start", T_INT, NULL, NULL },        \
	{ "priority", T_STR, NULL, NULL }, { "autostart", T_BOOL, NULL, NULL },            \
	{ "autorestart", T_AUTORESTART, NULL, NULL }, { "startsecs", T_INT, NULL, NULL },  \
	{ "startretries", T_INT, NULL, NULL }, { "exitcodes", T_STR, NULL, NULL },         \
	{ "stopsignal", T_SIGNAL, NULL, NULL }, { "stopwaitsecs", T_INT, NULL, NULL },     \
	{ "stopasgroup", T_BOOL, NULL, NULL }, { "killasgroup", T_BOOL, NULL, NULL },      \
	{ "user", T_STR, NULL, NULL }, { "redirect_stderr", T_BOOL, NULL, NULL },          \
	{ "stdout_logfile", T_STR, NULL, NULL },                                           \
	{ "stdout_logfile_maxbytes", T_BYTES, NULL, NULL },                                \
	{ "stdout_logfile_backups", T_INT, NULL, NULL },                                   \
	{ "stderr_logfile", T_STR, NULL, NULL },                                           \
	{ "stderr_logfile_maxbytes", T_BYTES, NULL, NULL },                                \
	{ "stderr_logfile_backups", T_INT, NULL, NULL },                                   \
	{ "environment", T_STR, NULL, NULL }, { "directory", T_STR, NULL, NULL },          \
	{ "umask", T_OCTAL, NULL, NULL }

/* The [program:x] keys corral lacks (the events, capture and syslog keys
 * config.c applies once checked); the order is supervisord_program_keys[]'s. */
#define PROGRAM_EXTRA_KEYS                                                                 \
	{ "stdout_capture_maxbytes", T_BYTES, NULL, NULL },                                \
	{ "stdout_events_enabled", T_BOOL, NULL, NULL },                                   \
	{ "stdout_syslog", T_BOOL, NULL, NULL },                                           \
	{ "stderr_capture_maxbytes", T_BYTES, NULL, NULL },                                \
	{ "stderr_events_enabled", T_BOOL, NULL, NULL },                                   \
	{ "stderr_syslog", T_BOOL, NULL, NULL },                                           \
	{ "serverurl", T_STR, "AUTO", "SUPERVISOR_SERVER_URL is always corrald's own XML-RPC " \
				      "server" }

static const struct key program_extra_keys[] = {
	PROGRAM_EXTRA_KEYS,
	{ NULL, T_STR, NULL, NULL },
};

const char *const supervisord_program_keys[] = {
	"stdout_capture_maxbytes", "stdout_events_enabled", "stdout_syslog",
	"stderr_capture_maxbytes", "stderr_events_enabled", "stderr_syslog", "serverurl", NULL,
};

static const struct key eventlistener_keys[] = {
	PROGRAM_KEYS,
	PROGRAM_EXTRA_KEYS,
	{ "buffer_size", T_INT, NULL, NULL },
	{ "events", T_STR, NULL, NULL },
	{ "result_handler", T_STR, NULL, NULL },
	{ NULL, T_STR, NULL, NULL },
};

static const struct key fcgi_keys[] = {
	PROGRAM_KEYS,
	PROGRAM_EXTRA_KEYS,
	{ "socket", T_STR, NULL, NULL },
	{ "socket_backlog", T_INT, NULL, NULL },
	{ "socket_owner", T_STR, NULL, NULL },
	{ "socket_mode", T_OCTAL, NULL, NULL },
	{ NULL, T_STR, NULL, NULL },
};

/* The names of each table, built on first use (config.c wants a plain
 * NULL-terminated list of names, as its own tables are). */
#define NAMES_MAX 48
static const char *main_names[NAMES_MAX], *unix_http_names[NAMES_MAX],
	*inet_http_names[NAMES_MAX], *ctl_names[NAMES_MAX], *eventlistener_names[NAMES_MAX],
	*fcgi_names[NAMES_MAX];

static const struct {
	enum supervisord_section kind;
	const struct key *keys;
	const char **names;
} tables[] = {
	{ SUPERVISORD_MAIN, main_keys, main_names },
	{ SUPERVISORD_UNIX_HTTP, unix_http_keys, unix_http_names },
	{ SUPERVISORD_INET_HTTP, inet_http_keys, inet_http_names },
	{ SUPERVISORD_CTL, ctl_keys, ctl_names },
	{ SUPERVISORD_EVENTLISTENER, eventlistener_keys, eventlistener_names },
	{ SUPERVISORD_FCGI, fcgi_keys, fcgi_names },
};

_Static_assert(sizeof eventlistener_keys / sizeof eventlistener_keys[0] <= NAMES_MAX &&
		       sizeof fcgi_keys / sizeof fcgi_keys[0] <= NAMES_MAX,
	       "a key table is longer than NAMES_MAX");

enum supervisord_section supervisord_section(const char *name)
{
	static const struct {
		const char *prefix;     /* with ':' the section takes a name after it */
		enum supervisord_section kind;
	} sections[] = {
		{ "supervisord", SUPERVISORD_MAIN },
		{ "unix_http_server", SUPERVISORD_UNIX_HTTP },
		{ "inet_http_server", SUPERVISORD_INET_HTTP },
		{ "supervisorctl", SUPERVISORD_CTL },
		{ "rpcinterface:", SUPERVISORD_RPC },
		{ "ctlplugin:", SUPERVISORD_CTLPLUGIN },
		{ "eventlistener:", SUPERVISORD_EVENTLISTENER },
		{ "fcgi-program:", SUPERVISORD_FCGI },
	};
	for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++) {
		const char *p = sections[i].prefix;
		size_t n = strlen(p);
		if (p[n - 1] == ':' ? strncmp(name, p, n) == 0 && name[n] : strcmp(name, p) == 0)
			return sections[i].kind;
	}
	return SUPERVISORD_NONE;
}

const char *supervisord_section_note(enum supervisord_section kind)
{
	switch (kind) {
	case SUPERVISORD_UNIX_HTTP:
	case SUPERVISORD_INET_HTTP:
	case SUPERVISORD_CTL:   /* read by supervisorctl, for supervisorctl */
		return "";
	case SUPERVISORD_RPC:
		return "corrald serves supervisord's own XML-RPC interface (supervisor.* and "
		       "system.*) and no other: this factory is not loaded";
	case SUPERVISORD_CTLPLUGIN:
		return "supervisorctl plugins are not loaded by corralctl";
	case SUPERVISORD_EVENTLISTENER: /* config.c reads it as a pool of listeners */
	case SUPERVISORD_FCGI: /* config.c reads it as a program with a socket */
		return "";
	default:
		return "";
	}
}

const char *const *supervisord_keys(enum supervisord_section kind)
{
	for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
		if (tables[i].kind != kind)
			continue;
		if (!tables[i].names[0])
			for (size_t k = 0; tables[i].keys[k].name; k++)
				tables[i].names[k] = tables[i].keys[k].name;
		return tables[i].names;
	}
	return NULL;
}

static const struct key *find_key(const struct key *keys, const char *name)
{
	for (; keys->name; keys++)
		if (strcmp(keys->name, name) == 0)
			return keys;
	return NULL;
}

static bool all_digits(const char *s, const char *digits)
{
	return *s && strspn(s, digits) == strlen(s);
}

/* VALUE has the type supervisord converts it to; when not, ERR says what
 * it should be. */
static bool check_type(enum type type, const char *value, char *err, size_t errlen)
{
	static const char *const levels[] = { "critical", "error", "warn", "info", "debug",
					      "trace", "blather" };
	bool b;
	size_t n = strlen(value);
	switch (type) {
	case T_STR:
		return true;
	case T_BOOL:
		if (sandbox_parse_bool(value, &b))
			return true;
		snprintf(err, errlen, "true or false");
		return false;
	case T_INT:
		if (all_digits(value, "0123456789") && n <= 9)
			return true;
		snprintf(err, errlen, "an integer >= 0");
		return false;
	case T_BYTES:
		if (n > 2 && (strcasecmp(value + n - 2, "KB") == 0 ||
			      strcasecmp(value + n - 2, "MB") == 0 ||
			      strcasecmp(value + n - 2, "GB") == 0))
			n -= 2;
		if (n && n <= 15 && strspn(value, "0123456789") == n)
			return true;
		snprintf(err, errlen, "a size in bytes, with KB, MB or GB");
		return false;
	case T_OCTAL:
		if (all_digits(value, "01234567") && n <= 11)
			return true;
		snprintf(err, errlen, "an octal number");
		return false;
	case T_LOGLEVEL:
		for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++)
			if (strcasecmp(value, levels[i]) == 0)
				return true;
		snprintf(err, errlen, "critical, error, warn, info, debug, trace or blather");
		return false;
	case T_SIGNAL:
		if (signame_number(value) > 0)
			return true;
		snprintf(err, errlen, "a signal name or number");
		return false;
	case T_AUTORESTART:
		if (sandbox_parse_bool(value, &b) || strcasecmp(value, "unexpected") == 0)
			return true;
		snprintf(err, errlen, "true, false or unexpected");
		return false;
	}
	return false;
}

/* VALUE means the same as QUIET: supervisord would do nothing with it. */
static bool same_value(enum type type, const char *value, const char *quiet)
{
	bool a, b;
	if (type == T_BOOL && sandbox_parse_bool(value, &a) && sandbox_parse_bool(quiet, &b))
		return a == b;
	if (type == T_OCTAL || type == T_INT) {
		while (value[0] == '0' && value[1])
			value++;
		while (quiet[0] == '0' && quiet[1])
			quiet++;
	}
	return strcasecmp(value, quiet) == 0;
}

static const struct key *section_key(enum supervisord_section kind, const char *key)
{
	if (kind == SUPERVISORD_NONE)
		return find_key(program_extra_keys, key);
	for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++)
		if (tables[i].kind == kind)
			return find_key(tables[i].keys, key);
	return NULL;
}

const char *supervisord_key_note(enum supervisord_section kind, const char *key)
{
	const struct key *k = section_key(kind, key);
	return k ? k->note : NULL;
}

int supervisord_check(enum supervisord_section kind, const char *key, const char *value,
		      char *err, size_t errlen)
{
	const struct key *k = section_key(kind, key);
	if (!k)
		return 0; /* the factory sections: any key, any value */
	if (!check_type(k->type, value, err, errlen))
		return -EDOM;
	/* only sections corral reads have keys it ignores one by one: the others
	 * are ignored whole */
	if (kind != SUPERVISORD_NONE && kind != SUPERVISORD_MAIN)
		return 0;
	if (!k->note || (k->quiet && same_value(k->type, value, k->quiet)))
		return 0;
	snprintf(err, errlen, "corral ignores %s: %s", key, k->note);
	return 1;
}

bool supervisord_search_path(size_t i, const char *exedir, char *buf, size_t len)
{
	/* supervisord's "here" is the directory above its binary's */
	static const char *const from_exe[] = { "../etc/supervisord.conf", "../supervisord.conf" };
	static const char *const fixed[] = {
		"supervisord.conf", "etc/supervisord.conf", "/etc/supervisord.conf",
		"/etc/supervisor/supervisord.conf",
	};
	int n;
	if (i < 2)
		n = snprintf(buf, len, "%s/%s", exedir, from_exe[i]);
	else if (i - 2 < sizeof fixed / sizeof fixed[0])
		n = snprintf(buf, len, "%s", fixed[i - 2]);
	else
		return false;
	return n >= 0 && (size_t)n < len;
}
