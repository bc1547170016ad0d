/* corrald — the corral supervisor daemon. Reads its config, starts the
 * programs in it and keeps them running, in the foreground. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "supervisor/config.h"
#include "supervisor/eventproto.h"
#include "supervisor/guard.h"
#include "supervisor/log.h"
#include "supervisor/supervisor.h"
#include "supervisor/supervisord.h"

#define DEFAULT_CONFIG "/etc/corral/corral.conf"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: corrald [-c CONFIG] [--check] [--init] [-v]\n"
		"       corrald -h | --help | --version\n"
		"\n"
		"  -c, --config CONFIG  configuration file (default " DEFAULT_CONFIG ",\n"
		"                       else supervisord.conf where supervisord looks)\n"
		"      --check          validate the configuration, print every error, exit;\n"
		"                       with -v, print the values each program runs with\n"
		"      --init           run as a container's PID 1: exit with the status of\n"
		"                       the program with main = true once everything stopped\n"
		"  -v, --verbose        log debug messages too\n"
		"  -h, --help           this help\n"
		"      --version        print the version\n");
}

/* Without -c: corral's own file, else where supervisord would look for
 * its own (corrald(8) lists the places), else corral's, so that the error
 * names the file a user is expected to write. Returns a static buffer. */
static const char *default_config(void)
{
	static char path[PATH_MAX];
	char exe[PATH_MAX];
	if (access(DEFAULT_CONFIG, F_OK) == 0)
		return DEFAULT_CONFIG;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n < 0)
		n = 0;
	exe[n] = '\0';
	char *slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0';
	for (size_t i = 0; supervisord_search_path(i, slash ? exe : ".", path, sizeof path); i++)
		if (access(path, F_OK) == 0)
			return path;
	return DEFAULT_CONFIG;
}

static const char *yes_no(bool b)
{
	return b ? "true" : "false";
}

/* --check -v: the values each program runs with, defaults included, in
 * the config's own syntax, so that a supervisord.conf can be compared
 * with what supervisord would use. */
static void print_effective(const struct corral_config *cfg)
{
	static const char *const restart[] = { "false", "unexpected", "true" };
	printf("[corral]\nsocket = %s\nlogdir = %s\npidfile = %s\n", cfg->socket, cfg->logdir,
	       cfg->pidfile ? cfg->pidfile : "(none)");
	for (size_t i = 0; i < cfg->nprograms; i++) {
		const struct program_config *p = &cfg->programs[i];
		printf("\n[%s:%s] ; %s:%d\n",
		       p->is_pool ? "pool" : p->is_fcgi ? "fcgi-program" :
		       p->is_listener ? "eventlistener" : "program", p->name, p->file, p->line);
		for (int k = 0; k < p->numprocs; k++) {
			char name[256];
			struct program_instance v;
			if (program_config_process_name(p, p->numprocs_start + k, name, sizeof name) < 0)
				snprintf(name, sizeof name, "?");
			program_config_instance(p, k, &v);
			/* as corrald names it: NAME alone, or GROUP:PROCESS */
			bool alone = !p->group && p->numprocs == 1 && strcmp(name, p->name) == 0;
			printf("; process %s%s%s: command = %s, directory = %s",
			       alone ? "" : p->group ? p->group : p->name, alone ? "" : ":", name,
			       v.command, v.directory ? v.directory : "(inherited)");
			printf(", stdout_logfile = %s, stderr_logfile = %s, environment =",
			       v.stdout_logfile ? v.stdout_logfile : "AUTO",
			       p->redirect_stderr ? "(redirected)"
			       : v.stderr_logfile ? v.stderr_logfile : "AUTO");
			for (char **e = v.environment; *e; e++)
				printf(" %s", *e);
			printf("\n");
		}
		printf("process_name = %s\nnumprocs = %d\nnumprocs_start = %d\npriority = %d\n",
		       p->process_name, p->numprocs, p->numprocs_start, p->priority);
		printf("autostart = %s\nautorestart = %s\nstartsecs = %d\nstartretries = %d\n",
		       yes_no(p->autostart), restart[p->autorestart], p->startsecs, p->startretries);
		printf("exitcodes =");
		for (int c = 0, n = 0; c < 256; c++)
			if (program_config_expected_exit(p, c))
				printf("%s%d", n++ ? "," : " ", c);
		printf("\nstopsignal = %s\nstopwaitsecs = %d\nstopasgroup = %s\nkillasgroup = %s\n",
		       config_signal_name(p->stopsignal), p->stopwaitsecs, yes_no(p->stopasgroup),
		       yes_no(p->killasgroup));
		printf("redirect_stderr = %s\nstdout_logfile_maxbytes = %llu\n"
		       "stdout_logfile_backups = %d\nstderr_logfile_maxbytes = %llu\n"
		       "stderr_logfile_backups = %d\n", yes_no(p->redirect_stderr),
		       (unsigned long long)p->stdout_maxbytes, p->stdout_backups,
		       (unsigned long long)p->stderr_maxbytes, p->stderr_backups);
		printf("stdout_syslog = %s\nstderr_syslog = %s\nstrip_ansi = %s\n",
		       yes_no(p->syslog[0]), yes_no(p->syslog[1]), yes_no(p->strip_ansi));
		if (p->umask >= 0)
			printf("umask = %03o\n", (unsigned)p->umask);
		else
			printf("umask = (inherited)\n");
		if (p->is_fcgi && p->fcgi_socket) {
			char text[SOCKETS_ADDR_STRLEN];
			sockets_format(p->fcgi_socket, text, sizeof text);
			printf("socket = %s\nsocket_backlog = %d\nsocket_mode = %03o\n", text,
			       p->fcgi_backlog, p->fcgi_mode);
			if (p->fcgi_owner)
				printf("socket_owner = %u:%u\n", (unsigned)p->fcgi_uid,
				       (unsigned)p->fcgi_gid);
		}
		if (p->is_listener) {
			printf("buffer_size = %d\nevents =", p->buffer_size);
			for (int t = 0, n = 0; t < EV_NTYPES; t++)
				if (p->listener_events & EV_BIT(t))
					printf("%s%s", n++ ? "," : " ", eventproto_type_name(t));
			printf("\n");
		}
		if (p->group)
			printf("; in [group:%s]\n", p->group);
	}
}

int main(int argc, char **argv)
{
	const char *config = NULL;
	bool check = false;
	enum { OPT_CHECK = 256, OPT_VERSION, OPT_GUARD, OPT_INIT };
	bool init = false;
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, OPT_CHECK },
		{ "init", no_argument, NULL, OPT_INIT },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		/* internal: the helper that cleans up if corrald is killed (corrald(8)) */
		{ "guard", required_argument, NULL, OPT_GUARD },
		{ 0 },
	};
	int opt;
	while ((opt = getopt_long(argc, argv, "c:vh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config = optarg;
			break;
		case OPT_CHECK:
			check = true;
			break;
		case OPT_INIT:
			init = true;
			break;
		case 'v':
			log_verbose = true;
			log_threshold = LOG_DEBUG;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case OPT_VERSION:
			printf("corrald %s\n", CORRAL_VERSION);
			return 0;
		case OPT_GUARD:
			return guard_main(optarg);
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "corrald: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}

	if (!config)
		config = default_config();
	struct corral_config cfg;
	struct config_errors errs = { 0 };
	int rc = config_load(config, &cfg, &errs);
	/* what a supervisord.conf asks for that corral ignores */
	for (size_t i = 0; i < errs.nwarnings; i++) {
		if (check || rc < 0)
			fprintf(stderr, "warning: %s\n", errs.warnings[i]);
		else
			log_warn("%s", errs.warnings[i]);
	}
	if (rc < 0) {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.msgs[i]);
		fprintf(stderr, "corrald: %s: %zu error%s, nothing started\n", config, errs.n,
			errs.n == 1 ? "" : "s");
		config_errors_free(&errs);
		return 2;
	}
	config_errors_free(&errs);
	if (check) {
		printf("%s: ok, %zu program%s\n", config, cfg.nprograms, cfg.nprograms == 1 ? "" : "s");
		if (log_threshold >= LOG_DEBUG)
			print_effective(&cfg);
		config_free(&cfg);
		return 0;
	}
	log_set_config_level(cfg.loglevel);
	rc = supervisor_run(config, &cfg, init);
	if (supervisor_restart_requested()) {
		/* supervisord's restart (supervisorctl reload): everything is down;
		 * the same binary starts again on the same command line. */
		log_info("restarting");
		execv("/proc/self/exe", argv);
		log_err("restart: exec /proc/self/exe: %m");
		return 1;
	}
	return rc;
}
