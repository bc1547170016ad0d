/* rcall — one call of supervisord's XML-RPC methods as the methods see
 * it: its arguments, checked and converted as supervisord's Python does,
 * its answer (a value, or one of supervisord's faults), and the helpers
 * every method shares (the process a name names, the refusal while
 * corrald shuts down, a group call's result).
 *
 * Used by the methods: rpc.c (which also dispatches the calls and defers
 * those that wait), rpclog.c and rpcconfig.c. Values are xmlrpc.h's. */
#ifndef CORRAL_RCALL_H
#define CORRAL_RCALL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "supervisor/xmlrpc.h"

struct process;
struct rwait;

/* supervisord's fault codes (supervisor/xmlrpc.py). */
enum {
	RCALL_UNKNOWN_METHOD = 1, RCALL_INCORRECT_PARAMETERS = 2, RCALL_BAD_ARGUMENTS = 3,
	RCALL_SIGNATURE_UNSUPPORTED = 4, RCALL_SHUTDOWN_STATE = 6, RCALL_BAD_NAME = 10,
	RCALL_BAD_SIGNAL = 11, RCALL_NO_FILE = 20, RCALL_NOT_EXECUTABLE = 21, RCALL_FAILED = 30,
	RCALL_ABNORMAL_TERMINATION = 40, RCALL_SPAWN_ERROR = 50, RCALL_ALREADY_STARTED = 60,
	RCALL_NOT_RUNNING = 70, RCALL_SUCCESS = 80, RCALL_ALREADY_ADDED = 90,
	RCALL_STILL_RUNNING = 91, RCALL_CANT_REREAD = 92,
};

/* A fault's name, as supervisord's texts start: "BAD_NAME". */
const char *rcall_fault_name(int code);

struct rcall {
	bool can_wait;          /* false: a call that would wait answers at once */
	struct xbuf *out;       /* the value */
	int fault;              /* 0, or the fault it ended with */
	char msg[PATH_MAX + 128];
	struct rwait *wait;     /* set by a call that answers later (rpc.c's) */
	long long num[4];       /* rcall_args(): each 'i' and 'b' argument as a number */
	uint64_t conn;          /* the connection it came on (http_conn_serial), 0: none */
};

/* The call ends with fault CODE: "NAME" or "NAME: EXTRA" its text. */
void rcall_fault(struct rcall *rc, int code, const char *extra) __attribute__((nonnull(1)));

/* Python's int() of an XML-RPC value, as supervisord converts its numeric
 * arguments. False for what it refuses. */
bool rcall_py_int(const struct xval *v, long long *out);

/* Check PARAMS against SIG: one letter each, s string, i a number as
 * Python's int() takes it, b anything (its truth), x string or number;
 * letters after '|' may be left out. The 'i' and 'b' arguments go into
 * rc->num. False with INCORRECT_PARAMETERS. */
bool rcall_args(struct rcall *rc, const struct xval *params, const char *sig);
/* The string argument I (checked by rcall_args()). */
const char *rcall_sarg(const struct xval *params, size_t i);
/* The boolean argument I (checked by rcall_args()), or DFLT when left out. */
bool rcall_barg(const struct rcall *rc, const struct xval *params, size_t i, bool dflt);

/* The one process SPEC names (not a group): BAD_NAME otherwise. */
struct process *rcall_named(struct rcall *rc, const char *spec);
/* corrald is shutting down: SHUTDOWN_STATE, as supervisord answers most
 * calls then. */
bool rcall_shutting_down(struct rcall *rc);

/* A result of a group call: {name, group, status, description}. */
void rcall_result(struct xbuf *b, const char *name, const char *group, int status,
		  const char *desc);

#endif
