/* rollctl — corralctl restart --rolling [--batch N] NAME... (rollctl.h):
 * the restarts that roll go to roll.c, the others to control.c's restart
 * as before; and corralctl reload, which waits for the rolling update a
 * reload may begin (update_strategy = rolling). */
#include "supervisor/rollctl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor/controlint.h"
#include "supervisor/roll.h"
#include "supervisor/supervisor.h"

#define MAX_BATCH 1000000

static verb_handler *plain_restart;

static void roll_line(void *ctx, const char *text)
{
	ctl_outf(ctx, "%s", text);
}

static void roll_done(void *ctx, bool ok)
{
	struct client *c = ctx;
	c->unfollow = NULL;
	if (!ok)
		ctl_fail(c, PROTO_FAILED);
	ctl_answer(c);
}

/* control.c frees C: its roll tells nobody from now on. */
static void caller_gone(struct client *c)
{
	roll_forget_caller(c);
}

static int parse_batch(const char *s)
{
	char *end;
	errno = 0;
	long n = strtol(s, &end, 10);
	if (errno || end == s || *end || n < 1 || n > MAX_BATCH)
		return -1;
	return (int)n;
}

/* Does one of SEL's processes belong to a program whose update_strategy
 * is rolling? */
static bool strategy_rolls(const struct selection *sel)
{
	for (size_t i = 0; i < sel->n; i++)
		if (sel->v[i]->prog->cfg->update_strategy == UPDATE_ROLLING)
			return true;
	return false;
}

static void usage(struct client *c, const char *why)
{
	ctl_outf(c, "%s", why);
	ctl_usage(c, VERB_RESTART);
}

static void verb_restart(struct client *c, char **argv, int argc)
{
	bool rolling = false;
	int batch = 0, k = 1;
	for (; k < argc && argv[k][0] == '-'; k++) {
		const char *a = argv[k];
		if (strcmp(a, "--") == 0) {
			k++;
			break;
		}
		if (strcmp(a, "--rolling") == 0) {
			rolling = true;
		} else if (strcmp(a, "--batch") == 0 || strncmp(a, "--batch=", 8) == 0) {
			const char *v = a[7] == '=' ? a + 8 : k + 1 < argc ? argv[++k] : NULL;
			char why[200];
			if (!v)
				return usage(c, "--batch needs a number");
			if ((batch = parse_batch(v)) < 0) {
				snprintf(why, sizeof why, "bad --batch: '%.60s' (expected a number "
					 "from 1 to %d)", v, MAX_BATCH);
				return usage(c, why);
			}
		} else {
			char why[200];
			snprintf(why, sizeof why, "unknown option: %.60s", a);
			return usage(c, why);
		}
	}
	if (batch && !rolling)
		return usage(c, "--batch goes with --rolling");
	if (k == argc)
		return usage(c, "name required");

	struct selection sel = { 0 };
	const char *bad = NULL;
	int r = supervisor_select(argv + k, argc - k, &sel, &bad);
	if (r < 0 || (!rolling && !strategy_rolls(&sel))) {
		/* control.c's restart: it says what went wrong too. */
		selection_free(&sel);
		if (k > 1) { /* only --: what it takes is the names */
			argv[k - 1] = argv[0];
			argv += k - 1;
			argc -= k - 1;
		}
		plain_restart(c, argv, argc);
		return;
	}
	for (size_t i = 0; i < sel.n; i++) {
		const struct program *prog = sel.v[i]->prog;
		if (prog->transient) {
			ctl_outf(c, "%s: a corralctl run scope, not a program", sel.v[i]->name);
			ctl_fail(c, PROTO_USAGE);
		} else if (!roll_can_tell_ready(prog->cfg)) {
			ctl_outf(c, "%s: cannot roll: nothing tells when a new instance is ready "
				 "(set ready = notify, fd:N or health, or startsecs > 0)",
				 sel.v[i]->name);
			ctl_fail(c, PROTO_USAGE);
		}
	}
	if (c->result != PROTO_OK) {
		selection_free(&sel);
		ctl_answer(c);
		return;
	}
	/* Answered when the roll is over; a caller that goes meanwhile (its
	 * connection is watched for that) is forgotten, the roll goes on. */
	c->unfollow = caller_gone;
	struct roll *roll;
	char why[300];
	r = roll_begin(sel.v, sel.n, batch ? batch : 1, true, "replaced", roll_line, roll_done, c, &roll,
		       why, sizeof why);
	selection_free(&sel);
	if (r < 0) {
		c->unfollow = NULL;
		ctl_outf(c, "%s", why);
		ctl_fail(c, PROTO_FAILED);
		ctl_answer(c);
	}
}

/* corralctl reload: answered at once, or, when a rolling update began,
 * once it is over (non-zero when a process did not become ready). */
static void verb_reload(struct client *c, char **argv, int argc)
{
	c->unfollow = caller_gone;
	int r = supervisor_reload(roll_line, roll_done, c);
	if (r == 1)
		return; /* roll_done answers */
	c->unfollow = NULL;
	if (r < 0)
		ctl_fail(c, PROTO_FAILED);
	ctl_answer(c);
}

int rollctl_init(void)
{
	ctl_verb_set(VERB_RELOAD, verb_reload);
	plain_restart = ctl_verb_get(VERB_RESTART);
	ctl_verb_set(VERB_RESTART, verb_restart);
	return roll_init();
}
