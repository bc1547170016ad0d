/* corrald — the corral supervisor daemon. Reads its config, starts the
 * programs in it and keeps them running, in the foreground. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor/config.h"
#include "supervisor/guard.h"
#include "supervisor/log.h"
#include "supervisor/supervisor.h"

#define DEFAULT_CONFIG "/etc/corral/corral.conf"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: corrald [-c CONFIG] [--check] [--init] [-v]\n"
		"       corrald -h | --help | --version\n"
		"\n"
		"  -c, --config CONFIG  configuration file (default " DEFAULT_CONFIG ")\n"
		"      --check          validate the configuration, print every error, exit\n"
		"      --init           run as a container's PID 1: exit with the status of\n"
		"                       the program with main = true once everything stopped\n"
		"  -v, --verbose        log debug messages too\n"
		"  -h, --help           this help\n"
		"      --version        print the version\n");
}

int main(int argc, char **argv)
{
	const char *config = DEFAULT_CONFIG;
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

	struct corral_config cfg;
	struct config_errors errs = { 0 };
	if (config_load(config, &cfg, &errs) < 0) {
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
		config_free(&cfg);
		return 0;
	}
	return supervisor_run(config, &cfg, init);
}
