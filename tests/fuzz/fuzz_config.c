/* libFuzzer harness for supervisor/config.c: any bytes as a config file.
 *
 * The input is parsed with config_load_string(); whatever it returns is
 * freed, and a successful load is checked for the promises config.h makes.
 *
 * [include] reads real files. So that a fuzzer cannot wander the file
 * system (or open something like /proc/kmsg that blocks), the harness works
 * in a private empty directory holding a few small files of its own, and
 * skips inputs with both "[include]" and a '/'. Relative globs then only
 * ever see that directory, and the include-cycle and duplicate checks still
 * get exercised. */
#include <stddef.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "supervisor/config.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void put(const char *name, const char *text)
{
	FILE *f = fopen(name, "w");
	if (!f)
		abort();
	fputs(text, f);
	fclose(f);
}

static char dir[] = "/tmp/corral-fuzz-XXXXXX";

static void cleanup(void)
{
	if (chdir(dir) == 0) {
		unlink("a.conf");
		unlink("b.conf");
		unlink("c.conf");
	}
	if (chdir("/") == 0)
		rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	if (!mkdtemp(dir) || chdir(dir) < 0)
		abort();
	atexit(cleanup);
	put("a.conf", "[program:a]\ncommand=/bin/true\nnumprocs=2\n"
		      "process_name=%(program_name)s_%(process_num)d\n");
	put("b.conf", "[include]\nfiles=*.conf\n");
	put("c.conf", "[corral]\nsocket=%(here)s/s.sock\n");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (strstr(text, "[include]") && strchr(text, '/')) {
		free(text);
		return 0;
	}

	struct corral_config cfg;
	struct config_errors errs = { 0 };
	int rc = config_load_string("fuzz.conf", text, &cfg, &errs);
	if (rc == 0) {
		if (errs.n)
			abort();
		for (size_t i = 0; i < cfg.nprograms; i++) {
			struct program_config *p = &cfg.programs[i];
			char name[256];
			if (!p->argv || !p->argv[0] || !p->environment || p->numprocs < 1)
				abort();
			if (i && p->priority < cfg.programs[i - 1].priority)
				abort();
			if (!program_config_equal(p, p))
				abort();
			int r = program_config_process_name(p, p->numprocs_start, name, sizeof name);
			if (r != 0 && r != -ENAMETOOLONG)
				abort();
		}
		config_free(&cfg);
	} else if (!errs.n) {
		abort();
	}
	config_errors_free(&errs);
	free(text);
	return 0;
}
