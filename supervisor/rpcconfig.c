/* rpcconfig — supervisord's XML-RPC methods on the config (see
 * rpcconfig.h). */
#include "supervisor/rpcconfig.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor/logstream.h"
#include "supervisor/rcall.h"
#include "supervisor/sdview.h"
#include "supervisor/supervisor.h"

static void names_array(struct xbuf *b, char **v)
{
	xb_array_begin(b);
	for (; v && *v; v++)
		xb_string(b, *v);
	xb_array_end(b);
}

static void strv_free(char **v)
{
	for (char **s = v; s && *s; s++)
		free(*s);
	free(v);
}

void rpcconfig_reload(struct rcall *rc, const struct xval *pa)
{
	if (!rcall_args(rc, pa, "") || rcall_shutting_down(rc))
		return;
	char **added = NULL, **changed = NULL, **removed = NULL;
	char err[1024];
	int r = supervisor_reread(&added, &changed, &removed, err, sizeof err);
	if (r < 0) {
		rcall_fault(rc, r == -EINVAL ? RCALL_CANT_REREAD : RCALL_FAILED, err);
		return;
	}
	xb_array_begin(rc->out);
	xb_array_begin(rc->out);
	names_array(rc->out, added);
	names_array(rc->out, changed);
	names_array(rc->out, removed);
	xb_array_end(rc->out);
	xb_array_end(rc->out);
	strv_free(added);
	strv_free(changed);
	strv_free(removed);
}

/* addProcessGroup / removeProcessGroup, with supervisord's faults. */
static void add_or_remove(struct rcall *rc, const struct xval *pa, bool add)
{
	if (!rcall_args(rc, pa, "s") || rcall_shutting_down(rc))
		return;
	const char *name = rcall_sarg(pa, 0);
	int r = add ? supervisor_group_add(name) : supervisor_group_remove(name);
	if (r == -EEXIST)
		rcall_fault(rc, RCALL_ALREADY_ADDED, name);
	else if (r == -EBUSY)
		rcall_fault(rc, RCALL_STILL_RUNNING, name);
	else if (r == -ENOENT)
		rcall_fault(rc, RCALL_BAD_NAME, name);
	else if (r < 0)
		rcall_fault(rc, RCALL_FAILED, strerror(-r));
	else
		xb_bool(rc->out, true);
}

void rpcconfig_add_group(struct rcall *rc, const struct xval *pa)
{
	add_or_remove(rc, pa, true);
}

void rpcconfig_remove_group(struct rcall *rc, const struct xval *pa)
{
	add_or_remove(rc, pa, false);
}

/* One process of the last config read, as getAllConfigInfo lists it. */
struct config_entry {
	const struct program_config *p;
	int index;              /* 0 .. numprocs - 1 */
	const char *group;
	int group_prio;
	char name[256];
};

/* supervisord sorts the list by process name alone; a name in several
 * groups keeps its groups' order (priority, then name). */
static int by_config_name(const void *a, const void *b)
{
	const struct config_entry *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	if (c)
		return c;
	if (x->group_prio != y->group_prio)
		return x->group_prio < y->group_prio ? -1 : 1;
	return strcmp(x->group, y->group);
}

/* A log file as supervisord's config holds it: "none" for NONE; for AUTO
 * (corral's NULL) the file of process LIVE, NULL: "auto". */
static const char *config_logfile(const char *f, const struct process *live, int which,
				  char *buf, size_t len)
{
	if (f)
		return strcmp(f, "NONE") == 0 ? "none" : f;
	f = live ? supervisor_log_path(live, which, buf, len) : NULL;
	return f ? f : "auto";
}

static void config_info(struct xbuf *b, const struct config_entry *e)
{
	const struct program_config *p = e->p;
	struct program_instance v;
	program_config_instance(p, e->index, &v);
	/* supervisord names an AUTO file in the config it added the group
	 * from: at start, or by addProcessGroup after a reloadConfig; the
	 * groups it did not add from the config last read say "auto" */
	const struct process *live = sdview_find(e->group, e->name);
	if (live && live->prog->cfg != p)
		live = NULL;
	char out[PATH_MAX], err[PATH_MAX];
	xb_struct_begin(b);
	xb_member_bool(b, "autostart", p->autostart);
	xb_member_string(b, "directory", v.directory ? v.directory : "none");
	xb_member(b, "uid");
	if (p->sandbox.users.has_user)
		xb_int(b, p->sandbox.users.uid);
	else
		xb_string(b, "none");
	xb_member_end(b);
	xb_member_string(b, "command", v.command);
	xb_member(b, "exitcodes");
	xb_array_begin(b);
	for (int code = 0; code < 256; code++)
		if (program_config_expected_exit(p, code))
			xb_int(b, code);
	xb_array_end(b);
	xb_member_end(b);
	xb_member_string(b, "group", e->group);
	xb_member_int(b, "group_prio", e->group_prio);
	xb_member_bool(b, "inuse", sdview_group_exists(e->group));
	xb_member_bool(b, "killasgroup", p->killasgroup);
	xb_member_string(b, "name", e->name);
	xb_member_int(b, "process_prio", p->process_priority);
	xb_member_bool(b, "redirect_stderr", p->redirect_stderr);
	xb_member_int(b, "startretries", p->startretries);
	xb_member_int(b, "startsecs", p->startsecs);
	xb_member_int(b, "stdout_capture_maxbytes", (long long)p->capture_maxbytes[0]);
	xb_member_bool(b, "stdout_events_enabled", p->events_enabled[0]);
	xb_member_string(b, "stdout_logfile",
			 config_logfile(v.stdout_logfile, live, LOG_STDOUT, out, sizeof out));
	xb_member_int(b, "stdout_logfile_backups", p->stdout_backups);
	xb_member_int(b, "stdout_logfile_maxbytes", (long long)p->stdout_maxbytes);
	xb_member_bool(b, "stdout_syslog", p->syslog[0]);
	xb_member_int(b, "stopsignal", p->stopsignal);
	xb_member_int(b, "stopwaitsecs", p->stopwaitsecs);
	xb_member_int(b, "stderr_capture_maxbytes", (long long)p->capture_maxbytes[1]);
	xb_member_bool(b, "stderr_events_enabled", p->events_enabled[1]);
	/* supervisord never opens a redirected stream's file */
	xb_member_string(b, "stderr_logfile",
			 p->redirect_stderr ? "none"
					    : config_logfile(v.stderr_logfile, live, LOG_STDERR, err,
							     sizeof err));
	xb_member_int(b, "stderr_logfile_backups", p->stderr_backups);
	xb_member_int(b, "stderr_logfile_maxbytes", (long long)p->stderr_maxbytes);
	xb_member_bool(b, "stderr_syslog", p->syslog[1]);
	/* supervisord's value for AUTO, the only serverurl corral knows: its own */
	xb_member_string(b, "serverurl", "none");
	xb_struct_end(b);
}

/* getAllConfigInfo: a struct per process of the last config read, with
 * supervisord's fields, values and order. */
void rpcconfig_all_info(struct rcall *rc, const struct xval *pa)
{
	if (!rcall_args(rc, pa, "") || rcall_shutting_down(rc))
		return;
	const struct corral_config *cfg = supervisor_pending_config();
	size_t n = 0, k = 0;
	for (size_t i = 0; i < cfg->nprograms; i++)
		n += (size_t)cfg->programs[i].numprocs;
	struct config_entry *v = n ? calloc(n, sizeof *v) : NULL;
	if (n && !v) {
		rcall_fault(rc, RCALL_FAILED, "out of memory");
		return;
	}
	for (size_t i = 0; i < cfg->nprograms; i++) {
		const struct program_config *p = &cfg->programs[i];
		const char *group = p->group ? p->group : p->name;
		/* a [group:]'s priority is its own (999 unless set), not its
		 * members'; a program alone is its own group */
		int gprio = p->group ? 999 : p->priority;
		for (size_t g = 0; p->group && g < cfg->ngroups; g++)
			if (strcmp(cfg->groups[g].name, group) == 0 && cfg->groups[g].has_priority)
				gprio = cfg->groups[g].priority;
		for (int j = 0; j < p->numprocs; j++) {
			struct config_entry *e = &v[k];
			if (program_config_process_name(p, p->numprocs_start + j, e->name,
							sizeof e->name) < 0)
				continue;
			e->p = p;
			e->index = j;
			e->group = group;
			e->group_prio = gprio;
			k++;
		}
	}
	if (k)
		qsort(v, k, sizeof *v, by_config_name);
	xb_array_begin(rc->out);
	for (size_t i = 0; i < k; i++)
		config_info(rc->out, &v[i]);
	xb_array_end(rc->out);
	free(v);
}
