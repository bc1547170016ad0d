/* verbs — the control protocol's verbs, as both ends of it know them.
 *
 * One table holds each verb's name, the shape of its arguments, what
 * corrald answers a request of the wrong shape, and what corralctl --help
 * says of it. corralctl checks a command line against it before it
 * connects, so a typo never needs a daemon; corrald checks every request
 * against it before it acts, whoever sent it. What each side does for a
 * verb is its own business: each keeps a table of its handlers indexed by
 * enum verb_id, so a new verb is one row here and one handler on each
 * side. Data only: nothing here prints. */
#ifndef CORRAL_VERBS_H
#define CORRAL_VERBS_H

#include <stdbool.h>

/* In the order corralctl --help lists them. */
enum verb_id {
	VERB_STATUS,
	VERB_START,
	VERB_STOP,
	VERB_RESTART,
	VERB_SIGNAL,
	VERB_PID,
	VERB_RELOAD,
	VERB_SHUTDOWN,
	VERB_VERSION,
	VERB_SHOW,
	VERB_TAIL,
	VERB_MAINTAIL,
	VERB_REOPEN,
	VERB_WAIT,
	VERB_RUN,
	VERB_SUBMIT,
	VERB_MIGRATE,
	VERB_DISABLE,
	VERB_ENABLE,
	VERB_REEXEC,
	VERB_METRICS,
	VERB_HEALTH,
	VERB_SCALE,
	VERB_TOP,
	VERB_COUNT
};

enum verb_flags {
	VERB_LOCAL = 1 << 0,       /* corralctl does it alone: not a request corrald knows */
	VERB_OWN_OPTIONS = 1 << 1, /* options after the verb are its own, not corralctl's */
	/* Asking again has the effect of asking once: when the connection ends
	 * before any answer (corrald re-executing itself), corralctl asks again. */
	VERB_AGAIN = 1 << 2,
};

/* One form of a verb in corralctl --help: "SYNOPSIS  SUMMARY", the summary
 * in lines cut by '\n'. */
struct verb_help {
	const char *synopsis;
	const char *summary;
};

struct verb {
	const char *name;
	enum verb_id id;
	unsigned flags;         /* enum verb_flags */
	/* The words after the verb: both sides refuse fewer than MIN_ARGS;
	 * the side that carries it out (corrald, or corralctl for a
	 * VERB_LOCAL verb) refuses more than MAX_ARGS (-1: any number). */
	int min_args;
	int max_args;
	const char *needs;      /* corralctl's "VERB needs NEEDS" when there are fewer */
	const char *usage;      /* corrald's "VERB: USAGE" to a request of the wrong shape;
				   NULL for a verb that takes any */
	struct verb_help help[2]; /* the second form, if any; else zero */
};

/* Every verb, indexed by its id. */
extern const struct verb verbs_table[VERB_COUNT];

/* The verb named NAME, or NULL. */
const struct verb *verbs_find(const char *name);

/* True when NARGS words after the verb are neither fewer than V's
 * min_args nor more than its max_args. */
bool verbs_args_fit(const struct verb *v, int nargs);

#endif
