/* supervisord — supervisord 4.2's sections, and the keys corral ignores.
 *
 * The tables follow supervisor/options.py of 4.2: each key with the type
 * it converts the value to (so that a value supervisord would reject is an
 * error here too) and the value that makes the key a no-op, so that a file
 * spelling out supervisord's defaults (as echo_supervisord_conf's does)
 * loads without noise. The keys corral acts on are rows of its own tables,
 * with the same types (cfgprog.c, cfgsect.c). */
#include "supervisor/supervisord.h"

#include <stdio.h>
#include <string.h>

/* [supervisord]'s keys that [corral]'s table (cfgsect.c) lacks: corral
 * does not act on them. */
static const struct cfgkey main_keys[] = {
	{ .name = "user", .type = CFGKEY_STR,
	  .note = "start corrald as that user instead; programs take user =",
	  .migrate = CFGKEY_IGNORED },
	/* corral never removes log files at start: nothing to say */
	{ .name = "nocleanup", .type = CFGKEY_BOOL },
};

static const struct cfgkey ctl_keys[] = {
	{ .name = "serverurl", .type = CFGKEY_STR },
	{ .name = "username", .type = CFGKEY_STR },
	{ .name = "password", .type = CFGKEY_STR },
	{ .name = "prompt", .type = CFGKEY_STR },
	{ .name = "history_file", .type = CFGKEY_STR },
};

/* [program:x]'s keys (and so [eventlistener:x]'s and [fcgi-program:x]'s)
 * that corral's program table (cfgprog.c) lacks. */
static const struct cfgkey program_keys[] = {
	{ .name = "serverurl", .type = CFGKEY_STR, .quiet = "AUTO",
	  .note = "SUPERVISOR_SERVER_URL is always corrald's own XML-RPC server",
	  .migrate = CFGKEY_IGNORED },
};

#define TABLE(rows) { rows, sizeof rows / sizeof rows[0] }
static const struct cfgkey_table main_table = TABLE(main_keys), ctl_table = TABLE(ctl_keys),
				 program_table = TABLE(program_keys), none_table = { NULL, 0 };

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
	case SUPERVISORD_EVENTLISTENER: /* cfgprog.c reads it as a pool of listeners */
	case SUPERVISORD_FCGI: /* cfgprog.c reads it as a program with a socket */
		return "";
	default:
		return "";
	}
}

const struct cfgkey_table *supervisord_keys(enum supervisord_section kind)
{
	switch (kind) {
	case SUPERVISORD_NONE:
		return &program_table;
	case SUPERVISORD_MAIN:
		return &main_table;
	case SUPERVISORD_CTL:
		return &ctl_table;
	case SUPERVISORD_UNIX_HTTP:
	case SUPERVISORD_INET_HTTP:
	case SUPERVISORD_EVENTLISTENER:
	case SUPERVISORD_FCGI:
		return &none_table; /* corral's own tables have their keys */
	case SUPERVISORD_RPC:
	case SUPERVISORD_CTLPLUGIN:
		break;
	}
	return NULL;
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
