/* Unit tests for supervisor/cfgprog.c: the program key table is complete.
 *
 * Every field of struct program_config has a row (the key that sets it,
 * or how a reload compares a field no key sets), so that
 * program_config_equal(), made of the rows, cannot miss one; every key's
 * default reads; and a config that differs from another in one key only
 * is a different program to a reload, key by key, the sandbox's and a
 * pool's too. A field added to PROGRAM_CONFIG_FIELDS without a row, or a
 * row without an example, fails here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor/cfgprog.h"
#include "supervisor/config.h"
#include "supervisor/poolcfg.h"
#include "supervisor/cfgload.h"

static bool covered(int field)
{
	for (size_t i = 0; i < cfgprog_table.n; i++) {
		const struct cfgkey *k = &cfgprog_table.rows[i];
		if (k->field == field)
			return true;
		for (size_t j = 0; j < sizeof k->also / sizeof k->also[0]; j++)
			if (k->also[j].field == field)
				return true;
	}
	return false;
}

static void test_every_field_has_a_row(void **state)
{
	(void)state;
	for (int f = PF_NONE + 1; f < PF_COUNT; f++)
		if (!covered(f))
			fail_msg("field %s of struct program_config has no row in cfgprog.c",
				 cfgprog_field_names[f]);
	/* and the numbers of the keys fit a struct cfgkey_seen below
	 * supervisord's own (cfgread.h) */
	size_t ids = cfgprog_table.n;
	for (size_t i = 0; i < cfgprog_table.n; i++)
		for (size_t j = 0; cfgprog_table.rows[i].subkeys && cfgprog_table.rows[i].subkeys[j]; j++)
			ids++;
	assert_true(ids <= CFGLOAD_SD_IDS);
}

static void test_rows_are_whole(void **state)
{
	(void)state;
	struct program_config p = { 0 };
	char err[200];
	for (size_t i = 0; i < cfgprog_table.n; i++) {
		const struct cfgkey *k = &cfgprog_table.rows[i];
		if (k->flags & CFGKEY_FIELD) {
			if (!k->name || k->dflt || k->example || k->parse || k->apply)
				fail_msg("row %zu: a field no key sets has a name and nothing to read",
					 i);
			continue;
		}
		if (!k->name && !k->subkeys)
			fail_msg("row %zu: neither a key nor another part's keys", i);
		/* a key that sets a field says a value that changes it */
		if (k->name && k->field && !k->example)
			fail_msg("%s: no example", k->name);
		if (!k->dflt)
			continue;
		memset(&p, 0, sizeof p);
		p.name = strdup("x");
		int rc = cfgkey_parse(k, &p, k->dflt, err, sizeof err);
		if (rc != 0)
			fail_msg("%s: the default '%s' does not read: %s", k->name, k->dflt, err);
		cfgprog_free(&p);
	}
}

/* The program x of TEXT; the config is left in *CFG. */
static struct program_config *load_x(const char *text, struct corral_config *cfg)
{
	struct config_errors errs = { 0 };
	int rc = config_load_string("t.conf", text, cfg, &errs);
	if (rc != 0) {
		for (size_t i = 0; i < errs.n; i++)
			print_message("  error: %s\n", errs.msgs[i]);
		fail_msg("%s: does not load", text);
	}
	config_errors_free(&errs);
	for (size_t i = 0; i < cfg->nprograms; i++)
		if (strcmp(cfg->programs[i].name, "x") == 0)
			return &cfg->programs[i];
	fail_msg("no program x");
	return NULL;
}

/* A section of KIND for program x with the keys BASE, and KEY = VALUE
 * in place of BASE's own KEY (KEY NULL: BASE alone). Heap. */
static char *section_text(const char *kind, const char *base, const char *key, const char *value)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	fprintf(f, "[program:other]\ncommand = /bin/true\n\n[%s:x]\n", kind);
	size_t klen = key ? strlen(key) : 0;
	for (const char *line = base; *line;) {
		size_t n = strcspn(line, "\n");
		if (!key || strncmp(line, key, klen) != 0 || line[klen] != ' ')
			fprintf(f, "%.*s\n", (int)n, line);
		line += n + (line[n] == '\n');
	}
	if (key)
		fprintf(f, "%s = %s\n", key, value);
	assert_int_equal(fclose(f), 0);
	return text;
}

/* KEY = VALUE in a section of KIND with BASE makes another program
 * (RESTARTS), one a rolling update can take process by process (ROLLS:
 * program_config_rollable) or not. */
static void check_restarts(const char *kind, const char *base, const char *key,
			   const char *value, bool restarts, bool rolls)
{
	struct corral_config a, b, c;
	char *ta = section_text(kind, base, NULL, NULL), *tb = section_text(kind, base, key, value);
	struct program_config *pa = load_x(ta, &a), *pb = load_x(tb, &b), *pc = load_x(ta, &c);
	if (!program_config_equal(pa, pc))
		fail_msg("[%s:x]: the same config twice is not the same program", kind);
	if (program_config_equal(pa, pb) == restarts)
		fail_msg("[%s:x]: %s = %s %s", kind, key, value,
			 restarts ? "goes unnoticed by a reload" : "restarts the program");
	if (program_config_equal(pb, pa) == restarts)
		fail_msg("[%s:x]: %s = %s (reversed)", kind, key, value);
	if (!program_config_rollable(pa, pc))
		fail_msg("[%s:x]: the same config twice cannot be rolled to", kind);
	if (restarts && program_config_rollable(pa, pb) != rolls)
		fail_msg("[%s:x]: %s = %s %s", kind, key, value,
			 rolls ? "is not taken by a rolling update" : "is taken by a rolling update");
	config_free(&a);
	config_free(&b);
	config_free(&c);
	free(ta);
	free(tb);
}

static const char base_program[] = "command = /bin/true\n"
				   "process_name = %(program_name)s_%(process_num)d\n";

static void test_each_key_restarts(void **state)
{
	(void)state;
	static const struct {
		unsigned kind;
		const char *section, *base;
	} kinds[] = {
		{ 0, "program", base_program },
		{ CFGKEY_FCGI, "fcgi-program",
		  "command = /bin/true\nsocket = unix:///tmp/corral-test-cfgprog.sock\n" },
		{ CFGKEY_LISTENER, "eventlistener", "command = /bin/true\nevents = TICK_60\n" },
	};
	bool nobody = getpwnam("nobody") != NULL;
	size_t n = 0, rolls = 0;
	for (size_t i = 0; i < cfgprog_table.n; i++) {
		const struct cfgkey *k = &cfgprog_table.rows[i];
		if (!k->name || !k->example || (k->flags & CFGKEY_FIELD))
			continue;
		if (strstr(k->example, "nobody") && !nobody)
			continue;
		for (size_t j = 0; j < sizeof kinds / sizeof kinds[0]; j++)
			if ((k->flags & CFGKEY_KINDS) == kinds[j].kind) {
				check_restarts(kinds[j].section, kinds[j].base, k->name, k->example,
					       !(k->flags & CFGKEY_NORESTART),
					       (k->flags & CFGKEY_ROLL) != 0);
				n++;
				rolls += (k->flags & CFGKEY_ROLL) != 0;
			}
	}
	assert_true(n > 40);
	assert_true(rolls >= 9); /* command ... start_timeout, each kind */
}

/* The keys of other parts: each needs a value here, so that a new one is
 * not left out. */
static void test_sandbox_and_pool_keys_restart(void **state)
{
	(void)state;
	static const struct {
		const char *key, *value;
	} sandbox[] = {
		{ "user", "nobody" }, { "group", "nogroup" }, { "supplementary_groups", "root" },
		{ "no_new_privs", "false" }, { "capabilities", "none" },
		{ "seccomp", "@system-service" }, { "seccomp_action", "errno:EPERM" },
		{ "address_families", "AF_UNIX" }, { "namespaces", "ipc" },
		{ "private_tmp", "true" }, { "read_only_paths", "/usr" },
		{ "inaccessible_paths", "/root" }, { "bind_paths", "/srv:/mnt" },
		{ "protect_kernel_tunables", "true" }, { "rlimit_nofile", "100" },
		{ "rlimit_nproc", "100" }, { "rlimit_as", "1G" }, { "rlimit_core", "0" },
		{ "rlimit_cpu", "10" }, { "rlimit_fsize", "1G" }, { "memory_max", "512M" },
		{ "pids_max", "64" }, { "cpu_max", "50%" }, { "strict_limits", "true" },
		{ "memory_high", "256M" }, { "cpu_weight", "50" }, { "memory_swap_max", "64M" },
		{ "io_weight", "200" },
	}, pool[] = {
		{ "workers", "2" }, { "framing", "line" }, { "mailbox", "2" }, { "queue", "5" },
		{ "job_timeout", "5" }, { "job_retries", "3" }, { "cancel", "kill" },
		{ "submit_rate", "10" }, { "submit_burst", "5" },
	};
	for (const char *const *k = sandbox_keys; *k; k++) {
		size_t i = 0;
		while (i < sizeof sandbox / sizeof sandbox[0] && strcmp(sandbox[i].key, *k) != 0)
			i++;
		if (i == sizeof sandbox / sizeof sandbox[0])
			fail_msg("sandbox key %s: no value in this test", *k);
		if ((strcmp(*k, "user") == 0 && !getpwnam("nobody")))
			continue;
		/* seccomp_action goes with a filter; a user for the groups */
		check_restarts("program",
			       "command = /bin/true\nseccomp = @basic-io\nuser = root\n",
			       *k, sandbox[i].value, true, false);
	}
	for (const char *const *k = poolcfg_keys; *k; k++) {
		size_t i = 0;
		while (i < sizeof pool / sizeof pool[0] && strcmp(pool[i].key, *k) != 0)
			i++;
		if (i == sizeof pool / sizeof pool[0])
			fail_msg("pool key %s: no value in this test", *k);
		/* mailbox > 1 goes with framing = length */
		check_restarts("pool", "command = /bin/true\nframing = length\n", *k, pool[i].value,
			       true, false);
	}
}

struct lines {
	char *text;
	size_t len;
	FILE *f;
};

static void collect(void *ctx, const char *text)
{
	fprintf(((struct lines *)ctx)->f, "%s\n", text);
}

/* `corrald --check -v` shows every key of the kind of TEXT's program x:
 * each process's own on its "; process" line, the sandbox's in comments,
 * the others as "KEY = VALUE". */
static void check_shown(const char *text, unsigned kind)
{
	struct corral_config cfg;
	struct lines out = { 0 };
	(void)load_x(text, &cfg);
	out.f = open_memstream(&out.text, &out.len);
	assert_non_null(out.f);
	config_show(&cfg, &(struct cfgkey_out){ .line = collect, .ctx = &out });
	assert_int_equal(fclose(out.f), 0);
	char *from = strstr(out.text, "\n[program:x]"), want[64];
	if (!from)
		from = strstr(out.text, ":x] ;");
	assert_non_null(from);
	for (size_t i = 0; i < cfgprog_table.n; i++) {
		const struct cfgkey *k = &cfgprog_table.rows[i];
		if (!k->name || (k->flags & (CFGKEY_NOSHOW | CFGKEY_FIELD)) ||
		    (k->flags & CFGKEY_KINDS & ~kind))
			continue;
		snprintf(want, sizeof want, "\n%s = ", k->name);
		if (!strstr(from, want))
			fail_msg("--check -v does not show %s:\n%s", k->name, from);
	}
	assert_non_null(strstr(from, "\n; process x"));
	assert_non_null(strstr(from, ": command = /bin/true, directory = "));
	assert_non_null(strstr(from, "\n; no_new_privs: yes\n"));
	free(out.text);
	config_free(&cfg);
}

static void test_every_key_is_shown(void **state)
{
	(void)state;
	check_shown("[program:x]\ncommand = /bin/true\n", 0);
	check_shown("[eventlistener:x]\ncommand = /bin/true\nevents = TICK_5\n", CFGKEY_LISTENER);
	if (getpwnam("nobody")) /* socket_owner shows once set */
		check_shown("[fcgi-program:x]\ncommand = /bin/true\n"
			    "socket = unix:///tmp/corral-test-cfgprog.sock\nsocket_owner = nobody\n",
			    CFGKEY_FCGI);
	check_shown("[pool:x]\ncommand = /bin/true\n", CFGKEY_POOL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_field_has_a_row),
		cmocka_unit_test(test_rows_are_whole),
		cmocka_unit_test(test_each_key_restarts),
		cmocka_unit_test(test_sandbox_and_pool_keys_restart),
		cmocka_unit_test(test_every_key_is_shown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
