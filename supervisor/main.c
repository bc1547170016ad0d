/* corrald — the corral supervisor daemon. Reads its config, starts the
 * programs in it and keeps them running: in the foreground, or in the
 * background for a supervisord config that asks for it (nodaemon = false,
 * supervisord's default). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ipc/io.h"
#include "supervisor/api.h"
#include "supervisor/cfgkey.h"
#include "supervisor/config.h"
#include "supervisor/control.h"
#include "supervisor/ctllog.h"
#include "supervisor/ctltop.h"
#include "supervisor/events.h"
#include "supervisor/health.h"
#include "supervisor/healthctl.h"
#include "supervisor/guard.h"
#include "supervisor/handover.h"
#include "supervisor/reload.h"
#include "supervisor/hooks.h"
#include "supervisor/http.h"
#include "supervisor/log.h"
#include "supervisor/mainlog.h"
#include "supervisor/metrics.h"
#include "supervisor/reexec.h"
#include "supervisor/pool.h"
#include "supervisor/rpc.h"
#include "supervisor/rollctl.h"
#include "supervisor/scalectl.h"
#include "supervisor/schedule.h"
#include "supervisor/readylog.h"
#include "supervisor/watch.h"
#include "supervisor/web.h"
#include "supervisor/supervisor.h"
#include "supervisor/supervisord.h"

#define DEFAULT_CONFIG "/etc/corral/corral.conf"

/* The HTTP server knows nothing of the core: its life is wired here. */
static const struct hooks http_hooks = {
	.on_open = http_open,
	.on_close = http_close,
	.on_handover = http_handover,
	.on_bury = http_bury,
};

/* The parts above the supervision core, each subscribed to the core's
 * hooks (hooks.h), in this order: the servers open in it (the control
 * socket first, which tells a second corrald that one runs already; then
 * the HTTP server, whose routes rpc.c, web.c and metrics.c add) and close
 * the other way; a pool gives its workers their stdin before the event
 * listeners' part is asked for one. */
static int parts_init(void)
{
	int r;
	if ((r = control_init()) < 0 || (r = ctllog_init()) < 0 || (r = ctltop_init()) < 0 ||
	    (r = hooks_subscribe(&http_hooks)) < 0 || (r = rpc_init()) < 0 ||
	    (r = web_init()) < 0 || (r = metrics_init()) < 0 || (r = pool_init()) < 0 ||
	    (r = events_init()) < 0 || (r = health_init()) < 0 || (r = healthctl_init()) < 0 ||
	    (r = schedule_init()) < 0 || (r = readylog_init()) < 0 || (r = watch_init()) < 0 ||
	    (r = rollctl_init()) < 0 || (r = scalectl_init()) < 0 || (r = api_init()) < 0)
		return r;
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: corrald [-c CONFIG] [-n] [-i IDENTIFIER] [--check] [--init [-g]] [-v]\n"
		"       corrald -h | --help | --version\n"
		"\n"
		"  -c, --config CONFIG  configuration file (default " DEFAULT_CONFIG ",\n"
		"                       else supervisord.conf where supervisord looks)\n"
		"  -n, --nodaemon       stay in the foreground, whatever the config says\n"
		"  -i, --identifier IDENTIFIER\n"
		"                       what getIdentification answers (XML-RPC)\n"
		"      --check          validate the configuration, print every error, exit;\n"
		"                       with -v, print the values each program runs with\n"
		"      --init           run as a container's PID 1: exit with the status of\n"
		"                       the program with main = true once everything stopped;\n"
		"                       signals other than TERM and INT go to that program\n"
		"  -g, --group          with --init: send them to its process group (tini -g)\n"
		"  -v, --verbose        log debug messages too\n"
		"  -h, -?, --help       this help\n"
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

static void print_line(void *ctx, const char *text)
{
	printf("%s\n", text);
}

/* --check -v: the values each program runs with, defaults included, in
 * the config's own syntax, so that a supervisord.conf can be compared
 * with what supervisord would use; the key tables say what there is. */
static void print_effective(const struct corral_config *cfg, const char *identifier,
			    bool init)
{
	struct cfgkey_out out = { .line = print_line, .init = init, .identifier = identifier };
	config_show(cfg, &out);
}

/* supervisord's minfds and minprocs: corrald's soft limit of RESOURCE
 * raised to MIN (and the hard one, which only root may raise, when it is
 * lower), so that the programs inherit it. 0, or -1 with MSG saying both
 * numbers, as supervisord does before it refuses to start. */
static int raise_minimum(int resource, unsigned long min, const char *key, const char *what,
			 char *msg, size_t len)
{
	struct rlimit now;
	if (!min)
		return 0;
	if (getrlimit(resource, &now) < 0) {
		snprintf(msg, len, "%s: getrlimit: %s", key, strerror(errno));
		return -1;
	}
	if (now.rlim_cur == RLIM_INFINITY || now.rlim_cur >= min)
		return 0;
	struct rlimit want = { .rlim_cur = min, .rlim_max = now.rlim_max };
	if (want.rlim_max != RLIM_INFINITY && want.rlim_max < min)
		want.rlim_max = min;
	if (setrlimit(resource, &want) == 0)
		return 0;
	snprintf(msg, len, "%s = %lu: at least %lu %s are needed to run, as the \"%s\" setting "
		 "says, but the current environment allows only %llu (setrlimit: %s); raise the "
		 "limit where corrald is started, or lower %s", key, min, min, what, key,
		 (unsigned long long)now.rlim_max, strerror(errno), key);
	return -1;
}

/* The daemon's end of the pipe its first parent waits on; -1: none. */
static int up_fd = -1;

/* supervisor_run()'s hook, once corrald is up: the parent that waits in
 * daemonize() may exit 0, and what the daemon writes from now on goes to
 * /dev/null (corrald has no log file). */
static void daemon_up(void)
{
	/* stderr first: once the parent exits, the daemon is all in place */
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || dup2(fd, STDERR_FILENO) < 0)
		log_warn("/dev/null as standard error: %m");
	if (fd >= 0)
		close(fd);
	int r = io_write_all(up_fd, "u", 1);
	if (r < 0)
		log_warn("telling the parent corrald is up: %s", strerror(-r));
	close(up_fd);
	up_fd = -1;
}

/* supervisord's daemonizing: a child in a session of its own, and its
 * child the daemon, so that it never gets a controlling terminal again;
 * standard input and output at once go to /dev/null, standard error once
 * it is up (daemon_up()), so that why it did not start still reaches the
 * terminal. The caller, the first parent, waits on a pipe: it exits 0 once
 * the daemon says it is up, 1 when the daemon ended before. Returns in
 * the daemon only; 0, or -errno before anything was forked. */
static int daemonize(void)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(p[0]);
		close(p[1]);
		return -e;
	}
	if (pid > 0) {
		char c;
		int status;
		close(p[1]);
		ssize_t n = io_read_some(p[0], &c, 1);
		/* reaps the session leader, which exits at once; whatever its
		 * status, the pipe says whether the daemon got up */
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		exit(n == 1 ? 0 : 1);
	}
	close(p[0]);
	if (setsid() < 0) {
		log_err("daemonizing: setsid: %m");
		_exit(1);
	}
	pid = fork();
	if (pid < 0) {
		log_err("daemonizing: fork: %m");
		_exit(1);
	}
	if (pid > 0)
		_exit(0);
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd < 0 || dup2(fd, STDIN_FILENO) < 0 || dup2(fd, STDOUT_FILENO) < 0) {
		log_err("daemonizing: /dev/null: %m");
		_exit(1);
	}
	close(fd);
	up_fd = p[1];
	supervisor_daemon(daemon_up);
	return 0;
}

int main(int argc, char **argv)
{
	const char *config = NULL, *identifier = NULL;
	bool check = false, nodaemon = false;
	enum { OPT_CHECK = 256, OPT_VERSION, OPT_GUARD, OPT_INIT, OPT_HANDOVER,
	       OPT_HANDOVER_VERSION };
	int handover_fd = -1;
	bool init = false, group = false;
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "nodaemon", no_argument, NULL, 'n' },
		{ "identifier", required_argument, NULL, 'i' },
		{ "check", no_argument, NULL, OPT_CHECK },
		{ "init", no_argument, NULL, OPT_INIT },
		{ "group", no_argument, NULL, 'g' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		/* internal: the helper that cleans up if corrald is killed (corrald(8)) */
		{ "guard", required_argument, NULL, OPT_GUARD },
		/* internal: corralctl reexec (corrald(8)): the record to take over
		 * from, and the record versions this binary reads */
		{ "handover", required_argument, NULL, OPT_HANDOVER },
		{ "handover-version", no_argument, NULL, OPT_HANDOVER_VERSION },
		{ 0 },
	};
	int opt;
	/* -? asks for the help, as it does of supervisord (getopt's '?' is
	 * an error, so it is seen before getopt). */
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "-?") == 0) {
			usage(stdout);
			return 0;
		}
	while ((opt = getopt_long(argc, argv, "c:ni:vhg", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config = optarg;
			break;
		case 'n':
			nodaemon = true;
			break;
		case 'i':
			identifier = optarg;
			break;
		case OPT_CHECK:
			check = true;
			break;
		case 'g':
			group = true;
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
		case OPT_HANDOVER: {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end || v < 0 || v > INT_MAX) {
				fprintf(stderr, "corrald: --handover: not a descriptor: %s\n", optarg);
				return 2;
			}
			handover_fd = (int)v;
			break;
		}
		case OPT_HANDOVER_VERSION:
			/* One line per version read, oldest first (a corrald of
			 * version 1 looks at the first line only). */
			for (int v = HANDOVER_VERSION_OLDEST; v <= HANDOVER_VERSION; v++)
				printf("corral-handover %d\n", v);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (group && !init) {
		fprintf(stderr, "corrald: -g needs --init\n");
		usage(stderr);
		return 2;
	}
	if (optind < argc) {
		fprintf(stderr, "corrald: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}

	reexec_set_argv(argc, argv);
	if (handover_fd >= 0) {
		/* Read whole and checked before anything is taken over. Past the
		 * exec there is no corrald to go back to: a record this binary
		 * cannot read ends it, and the guard takes the programs down. */
		struct handover h;
		char why[512];
		if (handover_read(handover_fd, &h, why, sizeof why) < 0) {
			fprintf(stderr, "corrald: %s\n", why);
			return 1;
		}
		handover_set_current(&h);
		nodaemon = true;
	}
	if (!config)
		config = default_config();
	struct corral_config cfg;
	struct config_errors errs = { 0 };
	int rc = config_load(config, &cfg, &errs);
	/* In the background, as supervisord, corrald says nothing on the
	 * terminal but why it did not start; in the foreground, silent =
	 * true keeps its log off standard error but for errors. Not under
	 * systemd, which starts it in the foreground and waits for READY=1. */
	bool daemon = rc == 0 && !check && !init && !nodaemon && !cfg.nodaemon &&
		      !getenv("NOTIFY_SOCKET") && !getenv("INVOCATION_ID");
	if (rc == 0 && !check && (daemon || cfg.silent))
		log_silent = true;
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
	if (init)
		config_for_init(&cfg);
	if (check) {
		/* what this host would not enforce: warnings, with FILE:LINE */
		unsigned host = reload_host_limits(&cfg);
		for (size_t k = 0; k < cfg.nprograms; k++) {
			char text[PATH_MAX + 256];
			if (reload_unenforced(&cfg.programs[k], host,
					      cfg.scopes == SCOPES_PROCESS_GROUP, text, sizeof text))
				fprintf(stderr, "%s (on this host)\n", text);
		}
		char why[PATH_MAX + 256];
		if (mainlog_check(&cfg, why, sizeof why) < 0) {
			fprintf(stderr, "corrald: %s: %s\n", config, why);
			config_free(&cfg);
			return 2;
		}
		printf("%s: ok, %zu program%s\n", config, cfg.nprograms, cfg.nprograms == 1 ? "" : "s");
		if (log_threshold >= LOG_DEBUG)
			print_effective(&cfg, identifier, init);
		config_free(&cfg);
		return 0;
	}
	/* before daemonizing, as supervisord: the terminal hears why not */
	char msg[512];
	if (raise_minimum(RLIMIT_NOFILE, cfg.minfds, "minfds", "file descriptors", msg,
			  sizeof msg) < 0 ||
	    raise_minimum(RLIMIT_NPROC, cfg.minprocs, "minprocs", "processes", msg,
			  sizeof msg) < 0) {
		fprintf(stderr, "corrald: %s\n", msg);
		config_free(&cfg);
		return 2;
	}
	/* the log file before daemonizing too: the terminal hears why not,
	 * and the file has the daemon's first lines */
	log_set_config_level(cfg.loglevel);
	if (mainlog_configure(&cfg, msg, sizeof msg) < 0) {
		fprintf(stderr, "corrald: %s: logfile: %s\n", config, msg);
		config_free(&cfg);
		return 2;
	}
	if (daemon && (rc = daemonize()) < 0) {
		fprintf(stderr, "corrald: daemonizing: %s\n", strerror(-rc));
		config_free(&cfg);
		return 1;
	}
	if (group)
		supervisor_init_forward_to_group();
	supervisor_set_identifier(identifier);
	if ((rc = parts_init()) < 0) {
		log_err("subscribing to the core's hooks: %s", strerror(-rc));
		config_free(&cfg);
		return 1;
	}
	rc = supervisor_run(config, &cfg, init);
	if (rc != 0 && !init) /* --init exits with its main program's status */
		log_crit("corrald exits with status %d", rc);
	if (supervisor_restart_requested()) {
		/* supervisord's restart (supervisorctl reload): everything is down;
		 * the same binary starts again on the same command line, a daemon
		 * as itself (same pid), in the background already. */
		log_info("restarting");
		char **args = argv;
		if (daemon && (args = calloc((size_t)argc + 2, sizeof *args))) {
			memcpy(args, argv, (size_t)argc * sizeof *args);
			args[argc] = "--nodaemon";
		}
		if (!args) {
			log_err("restart: %m");
			return 1;
		}
		execv("/proc/self/exe", args);
		log_err("restart: exec /proc/self/exe: %m");
		return 1;
	}
	return rc;
}
