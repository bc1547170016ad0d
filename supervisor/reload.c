#include "supervisor/reload.h"

#include <errno.h>
#include <malloc.h>
#include <search.h>
#include <stdint.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor/cgroup.h"
#include "supervisor/cgroup1.h"
#include "supervisor/core.h"
#include "supervisor/group.h"
#include "supervisor/hooks.h"
#include "supervisor/log.h"
#include "supervisor/mainlog.h"
#include "supervisor/logfile.h"
#include "supervisor/process.h"
#include "supervisor/roster.h"
#include "supervisor/state.h"
#include "supervisor/sockets.h"

/* The config last read by reload_reread(), not yet all applied; NULL: none. */
static struct config_ref *pending;

/* How changed programs roll (roll.c's), or NULL. */
static const struct reload_roller *roller;

void reload_set_roller(const struct reload_roller *r)
{
	roller = r;
}

/* By logfile.c's rules for each program's user: a directory that others
 * could swap files in is refused before anything is opened there. Files
 * given by path are named by a root-owned config, trusted; only where they
 * are matters. */
int reload_check_logdirs(const struct corral_config *cfg, const struct program_config *only,
			 char *err, size_t errlen)
{
	char dir[PATH_MAX], last[PATH_MAX] = "", why[PATH_MAX + 160];
	uid_t last_uid = 0;
	for (size_t i = 0; i < cfg->nprograms; i++) {
		const struct program_config *c = &cfg->programs[i];
		if (only && c != only)
			continue;
		uid_t uid = c->sandbox.users.has_user ? c->sandbox.users.uid : LOGFILE_NO_USER;
		for (int k = 0; k < c->numprocs; k++) {
			struct program_instance v;
			program_config_instance(c, k, &v);
			const char *files[2] = { v.stdout_logfile, c->redirect_stderr ? "NONE"
										: v.stderr_logfile };
			for (int w = 0; w < 2; w++) {
				const char *f = files[w];
				bool in_logdir = !f || strcmp(f, "AUTO") == 0;
				if (!in_logdir && (strcmp(f, "NONE") == 0 || strcmp(f, "-") == 0 ||
						   strcmp(f, "/dev/stdout") == 0 ||
						   strcmp(f, "/dev/stderr") == 0))
					continue;
				if (in_logdir)
					snprintf(dir, sizeof dir, "%s", cfg->logdir);
				else if (logfile_dirname(f, dir, sizeof dir) < 0)
					continue; /* opening it says so */
				/* numprocs copies mostly share one */
				if (uid == last_uid && strcmp(dir, last) == 0)
					continue;
				if (logfile_check_dir(dir, uid, why, sizeof why) < 0) {
					snprintf(err, errlen, "%s:%d: [%s:%s]: %s: %s", c->file, c->line,
						 c->is_pool ? "pool" : c->is_fcgi ? "fcgi-program"
						 : c->is_listener ? "eventlistener" : "program", c->name,
						 in_logdir ? "logdir" : w ? "stderr_logfile" : "stdout_logfile",
						 why);
					return -EPERM;
				}
				snprintf(last, sizeof last, "%s", dir);
				last_uid = uid;
			}
		}
	}
	return 0;
}

/* Never ignoring a limit silently. */
void reload_announce_limits(const struct corral_config *cfg)
{
	unsigned want = 0;
	for (size_t i = 0; i < cfg->nprograms; i++)
		want |= limits_wanted(&cfg->programs[i].sandbox.limits);
	if (!want)
		return;
	char why[PATH_MAX + 160] = "";
	int on = core.cgroups && !cgroup_scope_v1()
			 ? limits_enable(cgroup_scope_path(), want, why, sizeof why) : 0;
	if (on < 0)
		on = 0;
	if (core.cgroups)
		on |= (int)cgroup1_mask(); /* through cgroup v1 (a hybrid host) */
	for (size_t k = 0; k < cfg->nprograms; k++) {
		char text[PATH_MAX + 256];
		if (reload_unenforced(&cfg->programs[k], (unsigned)on, !core.cgroups, text,
				      sizeof text))
			log_warn("%s", text);
	}
	if (why[0] && (want & ~(unsigned)on))
		log_info("cgroup limits: %s", why);
}

bool reload_unenforced(const struct program_config *c, unsigned on, bool no_cgroups, char *text,
		       size_t len)
{
	const struct limits *l = &c->sandbox.limits;
	size_t n = 0;
	text[0] = '\0';
	for (int i = 0; i < LIMITS_N && n < len; i++) {
		if (!l->set[i] || (on & (1u << i)))
			continue;
		char v[32];
		int w = snprintf(text + n, len - n, "%s%s:%d: %s: %s = %s is not enforced: %s%s",
				 n ? "\n" : "", c->file ? c->file : "?", l->line[i], c->name,
				 limits_key_name(i), limits_show(l, i, v, sizeof v),
				 no_cgroups ? "corrald's scopes are process groups, not cgroups"
				 : !limits_v1_has(i) ? "its controller is not enabled for corrald's "
						       "cgroups in cgroup v2, and cgroup v1 has no such limit"
				 : "its controller is not enabled for corrald's cgroups (neither "
				   "cgroup v2 nor a cgroup v1 hierarchy corrald can write has it)",
				 c->sandbox.strict_limits ? " (strict_limits: it will not start)" : "");
		n += w > 0 ? (size_t)w : 0;
	}
	return n > 0;
}

unsigned reload_host_limits(const struct corral_config *cfg)
{
	if (cfg->scopes == SCOPES_PROCESS_GROUP)
		return 0;
	char root[PATH_MAX], err[PATH_MAX + 64];
	int v2 = 0;
	if (cfg->scopes != SCOPES_CGROUP1 &&
	    cgroup_find_own("/proc/self/mountinfo", "/proc/self/cgroup", root, sizeof root, err,
			    sizeof err) == 0)
		v2 = limits_enabled(root); /* what corrald's scope, below it, may enable */
	unsigned skip = v2 > 0 ? (unsigned)v2 : 0;
	return skip | cgroup1_available(skip);
}

static void say(void (*line)(void *, const char *), void *ctx, const char *what, const char *name)
{
	char buf[512];
	snprintf(buf, sizeof buf, "%s: %s", what, name);
	log_info("reload: %s", buf);
	if (line)
		line(ctx, buf);
}

/* Read the config file for a reload and check what config_load() cannot
 * (what needs the filesystem, or what runs). 0 with *OUT, or -EINVAL
 * after LINE heard why, -ENOMEM. */
static int read_config(struct config_ref **out, void (*line)(void *, const char *), void *ctx)
{
	struct config_ref *ref = calloc(1, sizeof *ref);
	if (!ref)
		return -ENOMEM;
	struct config_errors errs = { 0 };
	int r = config_load(core.config_path, &ref->cfg, &errs);
	if (r == 0 && core.init)
		config_for_init(&ref->cfg);
	for (size_t i = 0; i < errs.nwarnings; i++)
		log_warn("reload: %s", errs.warnings[i]);
	if (r < 0) {
		for (size_t i = 0; i < errs.n; i++) {
			log_err("reload: %s", errs.msgs[i]);
			if (line)
				line(ctx, errs.msgs[i]);
		}
		config_errors_free(&errs);
		free(ref);
		return -EINVAL;
	}
	config_errors_free(&errs);
	/* A `corralctl run` scope is a cgroup named after it: a program or
	 * group of its name would be started in that cgroup and killed with it
	 * (run refuses the names a config holds for the same reason). */
	char msg[2 * PATH_MAX + 256];
	msg[0] = '\0';
	for (struct program *prog = core.programs; prog && !msg[0]; prog = prog->next) {
		if (!prog->transient || prog->retiring)
			continue;
		const struct corral_config *nc = &ref->cfg;
		bool taken = false;
		for (size_t i = 0; i < nc->nprograms && !taken; i++)
			taken = strcmp(nc->programs[i].name, prog->cfg->name) == 0;
		for (size_t i = 0; i < nc->ngroups && !taken; i++)
			taken = strcmp(nc->groups[i].name, prog->cfg->name) == 0;
		if (taken)
			snprintf(msg, sizeof msg, "%s is the name of a running `corralctl run` scope: "
				 "reload once it has ended", prog->cfg->name);
	}
	/* Needs the filesystem, so not a config_load() check (nor --check's). */
	if (msg[0] || reload_check_logdirs(&ref->cfg, NULL, msg, sizeof msg) < 0) {
		log_err("reload: %s", msg);
		if (line)
			line(ctx, msg);
		config_free(&ref->cfg);
		free(ref);
		return -EINVAL;
	}
	*out = ref;
	return 0;
}

/* A reload's plan, made whole before anything that runs is touched, so
 * that nothing is half applied when memory runs out or a bind fails. */
struct reload_plan {
	struct config_ref *ref;     /* the new config: one reference, corrald's own */
	size_t n;                   /* its programs */
	struct program **olds;      /* [i]: the running program of that name, or NULL */
	struct program **created;   /* [i]: made for a changed or new program; NULL: unchanged */
	bool *roll;                 /* [i]: changed, and rolled in place (rolls_in_place) */
	struct process **rollv;     /* the running processes of those, to restart in turn */
	size_t nroll;
};

/* Does C differ from PROG's settings in numprocs alone? A reload then
 * scales PROG (roster_scale: the processes it keeps are not touched)
 * instead of replacing it. */
static bool only_numprocs(const struct program *prog, const struct program_config *c)
{
	if (prog->cfg->numprocs == c->numprocs || prog->cfg->instances || c->instances ||
	    roster_scale_problem(c) || roster_scale_problem(prog->cfg))
		return false;
	struct program_config same = *c;
	same.numprocs = prog->cfg->numprocs;
	return program_config_equal(prog->cfg, &same);
}

/* Can PROG take C in place, its processes then restarted one at a time?
 * When its strategy says so, a roller is there, the change is one each
 * process takes as it starts, and it keeps its number of processes. Not
 * pools (their workers hold jobs) nor event listeners. */
static bool rolls_in_place(const struct program *prog, const struct program_config *c)
{
	/* (is_pool and is_listener are not rollable: PROG's are C's) */
	return roller && c->update_strategy == UPDATE_ROLLING && !c->is_pool && !c->is_listener &&
	       !prog->transient && !prog->waiting && roster_instances(c) == prog->nprocs &&
	       program_config_rollable(prog->cfg, c) && !roller->busy(prog);
}

/* The new programs are made before any old one is touched. Groups take the
 * new settings now (the programs made look them up), and get the old ones
 * back in plan_undo(). New sockets are bound last, when nothing else can
 * fail: a bind error leaves everything as it was. 0, or -errno. */
static int plan_make(struct reload_plan *pl, void (*line)(void *, const char *), void *ctx)
{
	struct corral_config *nc = &pl->ref->cfg;
	size_t nroll = 0;
	pl->n = nc->nprograms;
	pl->created = calloc(pl->n ? pl->n : 1, sizeof *pl->created);
	pl->olds = calloc(pl->n ? pl->n : 1, sizeof *pl->olds);
	pl->roll = calloc(pl->n ? pl->n : 1, sizeof *pl->roll);
	if (!pl->created || !pl->olds || !pl->roll || group_apply(nc) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < pl->n; i++) {
		struct program_config *c = &nc->programs[i];
		pl->olds[i] = core_find_program(c->name);
		if (pl->olds[i] && (program_config_equal(pl->olds[i]->cfg, c) ||
				    only_numprocs(pl->olds[i], c)))
			continue;
		if (pl->olds[i] && rolls_in_place(pl->olds[i], c)) {
			pl->roll[i] = true;
			nroll += (size_t)pl->olds[i]->nprocs;
			continue;
		}
		if (!(pl->created[i] = roster_new(c, pl->ref)))
			return -ENOMEM;
	}
	if (nroll && !(pl->rollv = calloc(nroll, sizeof *pl->rollv)))
		return -ENOMEM;
	char serr[PATH_MAX + 160];
	if (sockets_prepare(nc, serr, sizeof serr) < 0) {
		log_err("reload: %s", serr);
		if (line)
			line(ctx, serr);
		return -EINVAL;
	}
	return 0;
}

/* Nothing was touched: the new programs go, the groups get their old
 * settings (OC's) back. */
static void plan_undo(struct reload_plan *pl, const struct corral_config *oc)
{
	for (size_t j = 0; pl->created && j < pl->n; j++)
		if (pl->created[j])
			roster_free(pl->created[j]);
	(void)group_apply(oc);
	core_config_put(pl->ref);
}

/* PROG reads its settings from C, of REF, from now on. */
static void take_config(struct program *prog, struct program_config *c, struct config_ref *ref)
{
	struct config_ref *was = prog->ref;
	prog->cfg = c;
	prog->ref = ref;
	ref->refs++;
	core_config_put(was);
}

/* PROG's processes that run, into V: how many. */
static size_t running_into(const struct program *prog, struct process **v)
{
	size_t k = 0;
	for (int i = 0; i < prog->nprocs; i++)
		if (!process_down(prog->procs[i]))
			v[k++] = prog->procs[i];
	return k;
}

/* The N processes of V restart one at a time with their new settings
 * (WHO: the log's prefix). 1 when DONE will hear the end, else 0. */
static int begin_roll(struct process *const *v, size_t n, const char *who, reload_line_fn *line,
		      reload_done_fn *done, void *ctx)
{
	if (!n)
		return 0;
	char why[300], text[400];
	int r = roller->begin(v, n, "updated", done ? line : NULL, done, ctx, why, sizeof why);
	if (r < 0) {
		snprintf(text, sizeof text, "rolling update not begun: %s; the processes take the "
			 "new settings when they start again", why);
		log_err("%s: %s", who, text);
		if (line)
			line(ctx, text);
		return 0;
	}
	return done ? 1 : 0;
}

/* PROG's processes from FROM on, made by a scale up, start one at a time,
 * each ready before the next, as corralctl scale starts them. */
static void start_scaled(struct program *prog, int from)
{
	if (prog->nprocs <= from)
		return;
	size_t n = (size_t)(prog->nprocs - from);
	char why[300];
	int r = roller->begin(prog->procs + from, n, "started", NULL, NULL, NULL, why, sizeof why);
	if (r < 0) {
		log_err("reload: %s: %s; its new processes start at once", prog->cfg->name, why);
		core_autostart(prog);
	}
}

/* Carry the plan out: removed programs retire, the new config becomes the
 * current one, changed programs get their new generation, new ones are
 * added. Nothing can fail any more. Whether anything changed. */
static bool plan_apply(struct reload_plan *pl, void (*line)(void *, const char *), void *ctx)
{
	struct corral_config *nc = &pl->ref->cfg;
	bool any = false;
	/* Removed programs: those no new one was matched with, marked (a
	 * search of the plan for each would cost O(N^2)). */
	static unsigned mark;
	if (++mark == 0) { /* wrapped: forget every old mark */
		for (struct program *prog = core.programs; prog; prog = prog->next)
			prog->mark = 0;
		mark = 1;
	}
	for (size_t i = 0; i < pl->n; i++)
		if (pl->olds[i])
			pl->olds[i]->mark = mark;
	for (struct program *prog = core.programs, *next; prog; prog = next) {
		next = prog->next;
		if (prog->retiring || prog->transient)
			continue;
		if (prog->mark != mark) {
			say(line, ctx, "removed", prog->cfg->name);
			hooks_group(prog, false);
			any = true;
			roster_retire(prog);
		}
	}
	struct config_ref *old_ref = core.current;
	core.current = pl->ref;
	if (strcmp(nc->state_dir, old_ref->cfg.state_dir) != 0)
		state_open(nc->state_dir);
	log_set_config_level(nc->loglevel);
	char why[PATH_MAX + 256];
	if (mainlog_configure(nc, why, sizeof why) < 0)
		log_err("reload: %s; corrald logs where it did", why);
	for (size_t i = 0; i < pl->n; i++) {
		struct program_config *c = &nc->programs[i];
		struct program *old = pl->olds[i], *made = pl->created[i];
		if (old && !made) {
			/* Unchanged: it now reads its (equal) settings from the new
			 * config. Rolled: its processes take theirs as they start
			 * again, those that run now one at a time (reload_run). */
			take_config(old, c, pl->ref);
			if (pl->roll[i]) {
				say(line, ctx, "changed (rolling update)", c->name);
				any = true;
				pl->nroll += running_into(old, pl->rollv + pl->nroll);
				continue;
			}
			/* Its numprocs alone changed: scaled, as corralctl scale does
			 * (unless a scale of it in state_dir says otherwise). */
			int want = roster_instances(c), from = old->nprocs;
			if (want != from) {
				char err[300], text[400];
				snprintf(text, sizeof text, "%s: scaled from %d to %d", c->name,
					 from, want);
				bool gated = roller && want > from && c->autostart &&
					     !state_disabled(c->name);
				if (roster_scale(old, want, !gated, err, sizeof err) < 0)
					log_err("reload: %s", err);
				else if (line)
					line(ctx, text);
				log_info("reload: %s", text);
				if (gated)
					start_scaled(old, from);
				any = true;
			}
			continue;
		}
		any = true;
		core_insert(made);
		if (old) {
			say(line, ctx, "changed", c->name);
			hooks_group(old, false);
			hooks_group(made, true);
			roster_replace(old, made);
		} else {
			say(line, ctx, "added", c->name);
			hooks_group(made, true);
			roster_added(made);
		}
	}
	sockets_commit(); /* closes the sockets no section names now */
	core_config_put(old_ref);
	core_config_put(pending); /* a reread before this reload is stale now */
	pending = NULL;
	return any;
}

int reload_run(reload_line_fn *line, reload_done_fn *done, void *ctx)
{
	if (core.shutting_down) {
		if (line)
			line(ctx, "corrald is shutting down");
		return -ESHUTDOWN;
	}
	struct reload_plan pl = { 0 };
	int r = read_config(&pl.ref, line, ctx);
	if (r < 0)
		return r;
	reload_announce_limits(&pl.ref->cfg);
	pl.ref->refs = 1; /* corrald's own */
	struct corral_config *nc = &pl.ref->cfg;
	struct corral_config *oc = &core.current->cfg;
	if (strcmp(nc->socket, oc->socket) != 0 || nc->socket_mode != oc->socket_mode)
		log_warn("reload: socket settings change only when corrald restarts");
	if ((r = plan_make(&pl, line, ctx)) < 0)
		plan_undo(&pl, oc);
	else if (!plan_apply(&pl, line, ctx) && line)
		line(ctx, "no changes");
	else
		r = begin_roll(pl.rollv, pl.nroll, "reload", line, done, ctx);
	free(pl.created);
	free(pl.olds);
	free(pl.roll);
	free(pl.rollv);
	/* The old config (or the new one, refused) is freed now, and with
	 * thousands of programs that is megabytes in the middle of the heap,
	 * which malloc keeps: give the free pages back, so that a reload does
	 * not leave corrald half as big again. */
	malloc_trim(0);
	return r;
}

static const char *config_group_name(const struct program_config *c)
{
	return c->group ? c->group : c->name;
}
/* NAME onto the vector *V of *N (the caller says each name once). */
static int names_add(char ***v, size_t *n, const char *name)
{
	char **nv = realloc(*v, (*n + 2) * sizeof *nv);
	if (!nv)
		return -ENOMEM;
	*v = nv;
	if (!(nv[*n] = strdup(name)))
		return -ENOMEM;
	nv[++*n] = NULL;
	return 0;
}

/* A reread's indexes of the new config (glibc's hsearch_r): its programs
 * by name, and its group names, each with how many programs it has; names
 * already reported go into the second too. So that a reread costs O(N),
 * not a walk of every program for each one. */
struct reread_index {
	struct hsearch_data byname, bygroup;
	bool byname_made, bygroup_made;
	size_t *wanted;   /* [k]: programs of the k-th group name */
	size_t ngroups;
};

static void index_free(struct reread_index *x)
{
	if (x->byname_made)
		hdestroy_r(&x->byname);
	if (x->bygroup_made)
		hdestroy_r(&x->bygroup);
	free(x->wanted);
}

/* The entry of KEY in TAB, or NULL. */
static ENTRY *index_find(struct hsearch_data *tab, const char *key)
{
	ENTRY e = { .key = (char *)key }, *f = NULL;
	return hsearch_r(e, FIND, &f, tab) ? f : NULL;
}

static int index_make(struct reread_index *x, const struct corral_config *nc, size_t running)
{
	memset(x, 0, sizeof *x);
	size_t cap = 2 * (nc->nprograms + running) + 16;
	if (!(x->wanted = calloc(nc->nprograms + 1, sizeof *x->wanted)))
		return -ENOMEM;
	if (!hcreate_r(cap, &x->byname))
		return -ENOMEM;
	x->byname_made = true;
	if (!hcreate_r(cap, &x->bygroup))
		return -ENOMEM;
	x->bygroup_made = true;
	for (size_t i = 0; i < nc->nprograms; i++) {
		ENTRY e = { .key = nc->programs[i].name, .data = &nc->programs[i] }, *f;
		if (!hsearch_r(e, ENTER, &f, &x->byname))
			return -ENOMEM;
		const char *g = config_group_name(&nc->programs[i]);
		if (!(f = index_find(&x->bygroup, g))) {
			ENTRY ge = { .key = (char *)g, .data = (void *)(uintptr_t)(x->ngroups + 1) };
			if (!hsearch_r(ge, ENTER, &f, &x->bygroup))
				return -ENOMEM;
			x->ngroups++;
		}
		x->wanted[(uintptr_t)f->data - 1]++;
	}
	return 0;
}

/* A running program against the new config: whether it differs (gone
 * from it, or its settings changed). */
static bool member_differs(struct reread_index *x, const struct program *q)
{
	ENTRY *f = index_find(&x->byname, q->cfg->name);
	return !f || !program_config_equal(f->data, q->cfg);
}

/* The running programs whose group name is G (the members of [group:G],
 * and the program G when it is in no group): how many, and whether any
 * differs. Through the core's indexes. */
static size_t running_group(struct reread_index *x, const char *g, bool *differs)
{
	size_t running = 0;
	struct group *grp = group_find(g);
	struct program *q;
	for (size_t i = 0; grp && (q = core_member(grp, i)); i++) {
		if (q->retiring || q->transient)
			continue;
		running++;
		*differs = *differs || member_differs(x, q);
	}
	if ((q = core_find_program(g)) && !q->cfg->group) {
		running++;
		*differs = *differs || member_differs(x, q);
	}
	return running;
}

/* reload_reread()'s work: the config read again and compared, its ref in
 * *OUT (one reference, the caller's). */
static int reread(struct config_ref **out, char ***added, char ***changed, char ***removed,
		  char *err, size_t errlen)
{
	struct config_ref *ref = calloc(1, sizeof *ref);
	if (!ref) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	struct config_errors errs = { 0 };
	int r = config_load(core.config_path, &ref->cfg, &errs);
	if (r == 0 && core.init)
		config_for_init(&ref->cfg);
	for (size_t i = 0; i < errs.nwarnings; i++)
		log_warn("reread: %s", errs.warnings[i]);
	if (r < 0) {
		snprintf(err, errlen, "%s", errs.n ? errs.msgs[0] : strerror(-r));
		for (size_t i = 0; i < errs.n; i++)
			log_err("reread: %s", errs.msgs[i]);
		config_errors_free(&errs);
		free(ref);
		return -EINVAL;
	}
	config_errors_free(&errs);
	ref->refs = 1; /* the pending config's own */
	const struct corral_config *nc = &ref->cfg;
	char **a = NULL, **c = NULL, **d = NULL;
	size_t na = 0, nch = 0, nd = 0, running = 0;
	for (struct program *prog = core.programs; prog; prog = prog->next)
		running++;
	struct reread_index x;
	r = index_make(&x, nc, running);
	/* Each group name of the new config once, in the order of its first
	 * program: added when nothing of that name runs, changed when what
	 * runs differs from what it lists. */
	for (size_t i = 0; i < nc->nprograms && r == 0; i++) {
		const char *g = config_group_name(&nc->programs[i]);
		ENTRY *f = index_find(&x.bygroup, g);
		if (!f || !f->data)
			continue; /* said already */
		size_t wanted = x.wanted[(uintptr_t)f->data - 1];
		f->data = NULL;
		bool differs = false;
		size_t now = running_group(&x, g, &differs);
		if (!now)
			r = names_add(&a, &na, g);
		else if (differs || now != wanted)
			r = names_add(&c, &nch, g);
	}
	/* Removed: a running group name the new config does not list. */
	for (struct program *prog = core.programs; prog && r == 0; prog = prog->next) {
		if (prog->retiring || prog->transient)
			continue;
		const char *g = core_group_name(prog);
		if (index_find(&x.bygroup, g))
			continue;
		ENTRY e = { .key = (char *)g, .data = NULL }, *f;
		if (!hsearch_r(e, ENTER, &f, &x.bygroup))
			r = -ENOMEM;
		else
			r = names_add(&d, &nd, g);
	}
	index_free(&x);
	char ***empty[3] = { &a, &c, &d };
	for (int i = 0; i < 3 && r == 0; i++)
		if (!*empty[i] && !(*empty[i] = calloc(1, sizeof **empty[i])))
			r = -ENOMEM;
	if (r < 0) {
		for (int i = 0; i < 3; i++) {
			for (char **s = *empty[i]; s && *s; s++)
				free(*s);
			free(*empty[i]);
		}
		core_config_put(ref);
		snprintf(err, errlen, "out of memory");
		return r;
	}
	*out = ref;
	*added = a;
	*changed = c;
	*removed = d;
	return 0;
}

int reload_reread(char ***added, char ***changed, char ***removed, char *err, size_t errlen)
{
	struct config_ref *ref;
	int r = reread(&ref, added, changed, removed, err, errlen);
	if (r == 0) {
		core_config_put(pending);
		pending = ref;
	}
	return r;
}

int reload_unchanged(char *why, size_t whylen)
{
	struct config_ref *ref;
	char **lists[3] = { NULL, NULL, NULL }, err[512];
	if (reread(&ref, &lists[0], &lists[1], &lists[2], err, sizeof err) < 0) {
		snprintf(why, whylen, "%s: %s", core.config_path, err);
		return -1;
	}
	core_config_put(ref); /* compared only: the pending config stays as it was */
	int r = 0;
	static const char *const words[] = { "added", "changed", "removed" };
	for (int i = 0; i < 3; i++) {
		if (lists[i][0] && r == 0) {
			snprintf(why, whylen, "%s has changed since it was loaded (%s: %s): "
				 "reload first, or undo the change", core.config_path, words[i],
				 lists[i][0]);
			r = -1;
		}
		for (char **n = lists[i]; *n; n++)
			free(*n);
		free(lists[i]);
	}
	return r;
}
const struct corral_config *reload_pending_config(void)
{
	return pending ? &pending->cfg : &core.current->cfg;
}
int reload_group_remove(const char *name)
{
	bool found = false;
	for (struct program *prog = core.programs; prog; prog = prog->next) {
		if (prog->retiring || prog->transient || strcmp(core_group_name(prog), name) != 0)
			continue;
		found = true;
		for (int i = 0; i < prog->nprocs; i++)
			if (!process_down(prog->procs[i]))
				return -EBUSY;
	}
	if (!found)
		return -ENOENT;
	for (struct program *prog = core.programs, *next; prog; prog = next) {
		next = prog->next;
		if (!prog->retiring && !prog->transient && strcmp(core_group_name(prog), name) == 0) {
			log_info("removed %s (removeProcessGroup %s)", prog->cfg->name, name);
			roster_retire(prog); /* down already: gone at once */
		}
	}
	return 0;
}
/* Group NAME (if CFG has a [group:] of it) takes CFG's settings, and is
 * not FATAL any more. 0, or -ENOMEM. */
static int take_group(const struct corral_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->ngroups; i++) {
		if (strcmp(cfg->groups[i].name, name) != 0)
			continue;
		int r = group_take(&cfg->groups[i]);
		if (r < 0)
			return r;
		group_find(name)->fatal = false;
	}
	return 0;
}

int reload_group_add(const char *name)
{
	/* a `corralctl run` scope of that name counts: its cgroup is NAME */
	for (struct program *prog = core.programs; prog; prog = prog->next)
		if (!prog->retiring && strcmp(core_group_name(prog), name) == 0)
			return -EEXIST;
	struct config_ref *ref = pending ? pending : core.current;
	struct corral_config *cfg = &ref->cfg;
	size_t n = 0;
	for (size_t i = 0; i < cfg->nprograms; i++)
		if (strcmp(config_group_name(&cfg->programs[i]), name) == 0)
			n++;
	if (!n)
		return -ENOENT;
	/* its [group:] takes the pending settings */
	int r = take_group(cfg, name);
	if (r < 0)
		return r;
	char lerr[2 * PATH_MAX + 256];
	for (size_t i = 0; i < cfg->nprograms; i++)
		if (strcmp(config_group_name(&cfg->programs[i]), name) == 0 &&
		    reload_check_logdirs(cfg, &cfg->programs[i], lerr, sizeof lerr) < 0) {
			log_err("addProcessGroup %s: %s", name, lerr);
			return -EPERM;
		}
	struct program **made = calloc(n, sizeof *made);
	if (!made)
		return -ENOMEM;
	size_t k = 0;
	for (size_t i = 0; i < cfg->nprograms; i++) {
		if (strcmp(config_group_name(&cfg->programs[i]), name) != 0)
			continue;
		if (cfg->programs[i].nlisten) {
			/* its [socket:]s are bound by a whole reload only */
			log_warn("addProcessGroup %s: %s has sockets: use corralctl reload", name,
				 cfg->programs[i].name);
		}
		if (!(made[k++] = roster_new(&cfg->programs[i], ref))) {
			for (size_t j = 0; j + 1 < k; j++)
				roster_free(made[j]);
			free(made);
			return -ENOMEM;
		}
	}
	for (size_t j = 0; j < k; j++) {
		log_info("added %s (addProcessGroup %s)", made[j]->cfg->name, name);
		core_insert(made[j]);
		roster_added(made[j]);
	}
	free(made);
	return 0;
}

bool reload_group_rolls(const char *name)
{
	if (!pending || !roller)
		return false;
	const struct corral_config *cfg = &pending->cfg;
	size_t n = 0, rolls = 0, running = 0;
	for (size_t i = 0; i < cfg->nprograms; i++) {
		const struct program_config *c = &cfg->programs[i];
		if (strcmp(config_group_name(c), name) != 0)
			continue;
		struct program *old = core_find_program(c->name);
		if (!old || strcmp(core_group_name(old), name) != 0)
			return false;
		n++;
		if (program_config_equal(old->cfg, c))
			continue;
		if (!rolls_in_place(old, c))
			return false;
		rolls++;
	}
	for (struct program *prog = core.programs; prog; prog = prog->next)
		if (!prog->retiring && !prog->transient && strcmp(core_group_name(prog), name) == 0)
			running++;
	return rolls && running == n;
}

int reload_group_roll(const char *name)
{
	if (!reload_group_rolls(name))
		return -ESTALE;
	struct config_ref *ref = pending;
	struct corral_config *cfg = &ref->cfg;
	int r = take_group(cfg, name);
	if (r < 0)
		return r;
	size_t n = 0, k = 0;
	for (size_t i = 0; i < cfg->nprograms; i++)
		if (strcmp(config_group_name(&cfg->programs[i]), name) == 0)
			n += (size_t)core_find_program(cfg->programs[i].name)->nprocs;
	struct process **v = calloc(n ? n : 1, sizeof *v);
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < cfg->nprograms; i++) {
		struct program_config *c = &cfg->programs[i];
		if (strcmp(config_group_name(c), name) != 0)
			continue;
		struct program *old = core_find_program(c->name);
		bool rolls = !program_config_equal(old->cfg, c);
		take_config(old, c, ref);
		if (!rolls)
			continue;
		log_info("%s: changed (rolling update, addProcessGroup %s)", c->name, name);
		k += running_into(old, v + k);
	}
	begin_roll(v, k, "addProcessGroup", NULL, NULL, NULL);
	free(v);
	return 0;
}

void reload_free(void)
{
	core_config_put(pending);
	pending = NULL;
}
