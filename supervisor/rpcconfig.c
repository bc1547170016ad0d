/* rpcconfig — supervisord's XML-RPC methods on the config (see
 * rpcconfig.h). */
#include "supervisor/rpcconfig.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor/log.h"
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

/* The supervisorctl updates that roll (rpcconfig.h), a few at a time: a
 * slot is taken again, oldest first, when they are all in use. */
#define UPDATES_MAX 32

enum update_step { NAMED, STOP_SKIPPED, REMOVE_SKIPPED };

static struct update {
	uint64_t conn;          /* 0: a free slot */
	char *name;
	enum update_step step;
} updates[UPDATES_MAX];
static size_t updates_next;

static void update_free(struct update *u)
{
	free(u->name);
	*u = (struct update){ 0 };
}

static struct update *update_find(uint64_t conn, const char *name)
{
	for (size_t i = 0; conn && i < UPDATES_MAX; i++)
		if (updates[i].conn == conn && strcmp(updates[i].name, name) == 0)
			return &updates[i];
	return NULL;
}

/* A reloadConfig on CONN: what an earlier one there named is forgotten,
 * and each group of CHANGED that would roll is named. */
static void updates_note(uint64_t conn, char **changed)
{
	for (size_t i = 0; i < UPDATES_MAX; i++)
		if (updates[i].conn == conn)
			update_free(&updates[i]);
	for (; conn && changed && *changed; changed++) {
		if (!supervisor_group_rolls(*changed))
			continue;
		struct update *u = &updates[updates_next++ % UPDATES_MAX];
		update_free(u);
		if (!(u->name = strdup(*changed)))
			continue; /* not named: it is replaced as any other */
		u->conn = conn;
		u->step = NAMED;
	}
}

bool rpcconfig_update_skips_stop(struct rcall *rc, const char *name)
{
	struct update *u = update_find(rc->conn, name);
	if (!u || u->step != NAMED)
		return false;
	u->step = STOP_SKIPPED;
	log_info("stopProcessGroup %s: not stopped, it rolls on addProcessGroup "
		 "(update_strategy = rolling)", name);
	return true;
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
	updates_note(rc->conn, changed);
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
	struct update *u = update_find(rc->conn, name);
	if (u && !add && u->step == STOP_SKIPPED) {
		u->step = REMOVE_SKIPPED; /* it stays: the add rolls it */
		xb_bool(rc->out, true);
		return;
	}
	int r;
	if (u && add && u->step == REMOVE_SKIPPED) {
		update_free(u);
		r = supervisor_group_roll(name);
	} else {
		r = add ? supervisor_group_add(name) : supervisor_group_remove(name);
	}
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
