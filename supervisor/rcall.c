/* rcall — one call of supervisord's XML-RPC methods (see rcall.h). */
#include "supervisor/rcall.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "supervisor/sdview.h"
#include "supervisor/supervisor.h"

const char *rcall_fault_name(int code)
{
	switch (code) {
	case RCALL_UNKNOWN_METHOD: return "UNKNOWN_METHOD";
	case RCALL_INCORRECT_PARAMETERS: return "INCORRECT_PARAMETERS";
	case RCALL_BAD_ARGUMENTS: return "BAD_ARGUMENTS";
	case RCALL_SIGNATURE_UNSUPPORTED: return "SIGNATURE_UNSUPPORTED";
	case RCALL_SHUTDOWN_STATE: return "SHUTDOWN_STATE";
	case RCALL_BAD_NAME: return "BAD_NAME";
	case RCALL_BAD_SIGNAL: return "BAD_SIGNAL";
	case RCALL_NO_FILE: return "NO_FILE";
	case RCALL_NOT_EXECUTABLE: return "NOT_EXECUTABLE";
	case RCALL_FAILED: return "FAILED";
	case RCALL_ABNORMAL_TERMINATION: return "ABNORMAL_TERMINATION";
	case RCALL_SPAWN_ERROR: return "SPAWN_ERROR";
	case RCALL_ALREADY_STARTED: return "ALREADY_STARTED";
	case RCALL_NOT_RUNNING: return "NOT_RUNNING";
	case RCALL_SUCCESS: return "SUCCESS";
	case RCALL_ALREADY_ADDED: return "ALREADY_ADDED";
	case RCALL_STILL_RUNNING: return "STILL_RUNNING";
	case RCALL_CANT_REREAD: return "CANT_REREAD";
	default: return "FAILED";
	}
}

void rcall_fault(struct rcall *rc, int code, const char *extra)
{
	rc->fault = code;
	if (extra)
		snprintf(rc->msg, sizeof rc->msg, "%s: %s", rcall_fault_name(code), extra);
	else
		snprintf(rc->msg, sizeof rc->msg, "%s", rcall_fault_name(code));
}

/* Python's int() of an XML-RPC value, as supervisord converts its numeric
 * arguments: an int, a boolean, a double (truncated), or a string of
 * digits with blanks around, a sign, and single underscores between
 * digits. False for anything else. */
bool rcall_py_int(const struct xval *v, long long *out)
{
	switch (v->type) {
	case XV_INT:
	case XV_BOOL:
		*out = v->i;
		return true;
	case XV_DOUBLE:
		if (!(v->d > -9.2e18 && v->d < 9.2e18)) /* NaN too */
			return false;
		*out = (long long)v->d;
		return true;
	case XV_STRING:
		break;
	default:
		return false;
	}
	const char *p = v->s, *end = v->s + v->slen;
	while (p < end && strchr(" \t\n\r\f\v", *p))
		p++;
	while (end > p && strchr(" \t\n\r\f\v", end[-1]))
		end--;
	bool neg = p < end && *p == '-';
	if (p < end && (*p == '-' || *p == '+'))
		p++;
	if (p == end)
		return false;
	unsigned long long n = 0;
	for (const char *q = p; q < end; q++) {
		if (*q == '_' && q > p && q + 1 < end && q[-1] != '_' && q[1] != '_')
			continue;
		if (*q < '0' || *q > '9' || n > (unsigned long long)INT64_MAX / 10)
			return false;
		n = n * 10 + (unsigned long long)(*q - '0');
		if (n > (unsigned long long)INT64_MAX)
			return false;
	}
	*out = neg ? -(long long)n : (long long)n;
	return true;
}

/* Python's truth of an XML-RPC value: supervisord's test of a wait flag. */
static bool py_truth(const struct xval *v)
{
	switch (v->type) {
	case XV_INT:
	case XV_BOOL:
		return v->i != 0;
	case XV_DOUBLE:
		return v->d != 0;
	case XV_STRING:
	case XV_BASE64:
		return v->slen > 0;
	case XV_ARRAY:
	case XV_STRUCT:
		return v->n > 0;
	case XV_NIL:
		return false;
	default:
		return true;
	}
}

/* Check PARAMS against SIG: one letter each, s string, i a number as
 * Python's int() takes it, b anything (its truth), x string or number;
 * letters after '|' may be left out. The 'i' and 'b' arguments go into
 * rc->num. */
bool rcall_args(struct rcall *rc, const struct xval *params, const char *sig)
{
	size_t i = 0;
	bool optional = false;
	for (const char *s = sig; *s; s++) {
		if (*s == '|') {
			optional = true;
			continue;
		}
		if (i >= params->n) {
			if (optional)
				return true;
			rcall_fault(rc, RCALL_INCORRECT_PARAMETERS, NULL);
			return false;
		}
		const struct xval *v = &params->items[i];
		enum xv_type t = v->type;
		bool ok = i < sizeof rc->num / sizeof rc->num[0] &&
			  ((*s == 's' && t == XV_STRING) || *s == 'b' ||
			   (*s == 'i' && rcall_py_int(v, &rc->num[i])) ||
			   (*s == 'x' && (t == XV_STRING || t == XV_INT || t == XV_BOOL ||
					  t == XV_DOUBLE)));
		if (!ok) {
			rcall_fault(rc, RCALL_INCORRECT_PARAMETERS, NULL);
			return false;
		}
		if (*s == 'b')
			rc->num[i] = py_truth(v);
		i++;
	}
	if (i != params->n) {
		rcall_fault(rc, RCALL_INCORRECT_PARAMETERS, NULL);
		return false;
	}
	return true;
}

const char *rcall_sarg(const struct xval *params, size_t i)
{
	return params->items[i].s;
}

/* The boolean argument I (checked by rcall_args()), or DFLT when left out. */
bool rcall_barg(const struct rcall *rc, const struct xval *params, size_t i, bool dflt)
{
	return i < params->n ? rc->num[i] != 0 : dflt;
}

/* The one process SPEC names (not a group): BAD_NAME otherwise. */
struct process *rcall_named(struct rcall *rc, const char *spec)
{
	struct process *p = sdview_named(spec);
	if (!p)
		rcall_fault(rc, RCALL_BAD_NAME, spec);
	return p;
}

bool rcall_shutting_down(struct rcall *rc)
{
	if (supervisor_shutting_down()) {
		rcall_fault(rc, RCALL_SHUTDOWN_STATE, NULL);
		return true;
	}
	return false;
}

/* A result of a group call: {name, group, status, description}. */
void rcall_result(struct xbuf *b, const char *name, const char *group, int status,
		  const char *desc)
{
	xb_struct_begin(b);
	xb_member_string(b, "name", name);
	xb_member_string(b, "group", group);
	xb_member_int(b, "status", status);
	xb_member_string(b, "description", desc);
	xb_struct_end(b);
}
