#include "supervisor/core.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor/state.h"

struct core core = { .devnull = -1 };

/* ---- the indexes by name ----
 *
 * Programs and processes by their name: hash tables of chains through the
 * programs and processes themselves (same_hash), so that they allocate
 * nothing per entry. And the names listed in requires or after: an entry
 * per name, holding the programs that list it in list order, for what
 * depends on a program without a walk of every program (a group's members
 * likewise). They grow as programs are inserted; should that fail (out of
 * memory), the lookups walk the list. */

/* A hash table whose entries chain through a pointer of their own. */
struct table {
	void **b;                           /* buckets: a power of two, or none */
	size_t cap, n;
	size_t next_off;                    /* where an entry keeps its next in the bucket */
	const char *(*key)(const void *);   /* an entry's name */
	bool broken;                        /* an entry could not go in: walk the list */
};

static size_t hash_name(const char *s)
{
	size_t h = 1469598103934665603u; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return h;
}

static void **next_of(const struct table *t, void *e)
{
	return (void **)((char *)e + t->next_off);
}

/* The first entry in NAME's bucket (then *next_of() on), or NULL. */
static void *table_bucket(const struct table *t, const char *name)
{
	return t->cap ? t->b[hash_name(name) & (t->cap - 1)] : NULL;
}

/* E in: twice as many buckets when the entries reach their number. */
static void table_put(struct table *t, void *e)
{
	if (t->n >= t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 256;
		void **nb = calloc(ncap, sizeof *nb);
		if (nb) {
			for (size_t i = 0; i < t->cap; i++)
				for (void *x = t->b[i], *next; x; x = next) {
					next = *next_of(t, x);
					size_t k = hash_name(t->key(x)) & (ncap - 1);
					*next_of(t, x) = nb[k];
					nb[k] = x;
				}
			free(t->b);
			t->b = nb;
			t->cap = ncap;
		} else if (!t->cap) {
			t->broken = true;
			return;
		}
	}
	size_t k = hash_name(t->key(e)) & (t->cap - 1);
	*next_of(t, e) = t->b[k];
	t->b[k] = e;
	t->n++;
}

static void table_del(struct table *t, void *e)
{
	if (!t->cap)
		return;
	for (void **pp = &t->b[hash_name(t->key(e)) & (t->cap - 1)]; *pp; pp = next_of(t, *pp))
		if (*pp == e) {
			*pp = *next_of(t, e);
			t->n--;
			return;
		}
}

struct naming {
	struct naming *next;          /* in its bucket */
	struct program **v;           /* the programs that list the name, in list order */
	size_t n, cap;
	char name[];
};

static const char *program_key(const void *e)
{
	return ((const struct program *)e)->cfg->name;
}

static const char *process_key(const void *e)
{
	return ((const struct process *)e)->name;
}

static const char *naming_key(const void *e)
{
	return ((const struct naming *)e)->name;
}

static struct table by_name = { .next_off = offsetof(struct program, same_hash),
				.key = program_key };
static struct table procs = { .next_off = offsetof(struct process, same_hash),
			      .key = process_key };
static struct table namings = { .next_off = offsetof(struct naming, next), .key = naming_key };

/* The order of core.programs: priority, then name. */
static int order(const struct program *a, const struct program *b)
{
	if (a->cfg->priority != b->cfg->priority)
		return a->cfg->priority < b->cfg->priority ? -1 : 1;
	return strcmp(a->cfg->name, b->cfg->name);
}

static struct naming *naming_find(const char *name)
{
	struct naming *e = table_bucket(&namings, name);
	while (e && strcmp(e->name, name) != 0)
		e = e->next;
	return e;
}

/* PROG lists NAME: into NAME's entry, after those before it in list order
 * (and after its namesakes of an earlier generation). */
static void naming_add(const char *name, struct program *prog)
{
	struct naming *e = naming_find(name);
	if (!e) {
		size_t len = strlen(name);
		if (!(e = calloc(1, sizeof *e + len + 1))) {
			namings.broken = true;
			return;
		}
		memcpy(e->name, name, len + 1);
		table_put(&namings, e);
	}
	if (e->n && e->v[e->n - 1] == prog)
		return; /* listed twice */
	if (e->n == e->cap) {
		size_t ncap = e->cap ? e->cap * 2 : 4;
		struct program **v = reallocarray(e->v, ncap, sizeof *v);
		if (!v) {
			namings.broken = true;
			return;
		}
		e->v = v;
		e->cap = ncap;
	}
	size_t at = e->n;
	while (at > 0 && order(e->v[at - 1], prog) > 0)
		at--;
	memmove(e->v + at + 1, e->v + at, (e->n - at) * sizeof *e->v);
	e->v[at] = prog;
	e->n++;
}

static void naming_del(const char *name, struct program *prog)
{
	struct naming *e = naming_find(name);
	if (!e)
		return;
	for (size_t i = 0; i < e->n; i++)
		if (e->v[i] == prog) {
			memmove(e->v + i, e->v + i + 1, (e->n - i - 1) * sizeof *e->v);
			e->n--;
			break;
		}
	if (e->n == 0) {
		table_del(&namings, e);
		free(e->v);
		free(e);
	}
}

/* Every name PROG lists in requires and after, each once or more. */
static void namings_each(struct program *prog, void (*fn)(const char *, struct program *))
{
	for (int k = 0; k < 2; k++)
		for (char **d = k ? prog->cfg->after : prog->cfg->requires; d && *d; d++)
			fn(*d, prog);
}

/* A group's members are kept as the programs "listing" a name no
 * program can have: a group's name after a byte that no name holds. */
static const char *group_key(const struct group *g, char *buf, size_t len)
{
	int n = snprintf(buf, len, "\x01%s", g->name);
	return n > 0 && (size_t)n < len ? buf : NULL;
}

/* The programs of a [group:] are also kept by the group name they are
 * configured with (a selection looks them up by it, whether the group has
 * started or not): after another byte no name holds. */
static const char *cfg_group_key(const struct program *prog, char *buf, size_t len)
{
	int n = snprintf(buf, len, "\x02%s", prog->cfg->group);
	return n > 0 && (size_t)n < len ? buf : NULL;
}

static void index_add(struct program *prog)
{
	table_put(&by_name, prog);
	for (int i = 0; i < prog->nprocs; i++)
		table_put(&procs, prog->procs[i]);
	namings_each(prog, naming_add);
	char key[512];
	if (prog->group && group_key(prog->group, key, sizeof key))
		naming_add(key, prog);
	else if (prog->group)
		namings.broken = true;
	if (prog->cfg->group && cfg_group_key(prog, key, sizeof key))
		naming_add(key, prog);
	else if (prog->cfg->group)
		namings.broken = true;
}

struct program *core_find_program(const char *name)
{
	if (!by_name.broken) {
		for (struct program *prog = table_bucket(&by_name, name); prog; prog = prog->same_hash)
			if (!prog->retiring && !prog->transient && strcmp(prog->cfg->name, name) == 0)
				return prog;
		return NULL;
	}
	for (struct program *prog = core.programs; prog; prog = prog->next)
		if (!prog->retiring && !prog->transient && strcmp(prog->cfg->name, name) == 0)
			return prog;
	return NULL;
}

struct process *core_find_process(const char *name)
{
	struct process *found = NULL;
	if (!procs.broken) {
		/* the first in list order, as a walk would find it */
		for (struct process *p = table_bucket(&procs, name); p; p = p->same_hash)
			if (!p->prog->retiring && strcmp(p->name, name) == 0 &&
			    (!found || order(p->prog, found->prog) < 0))
				found = p;
		return found;
	}
	for (struct program *prog = core.programs; prog; prog = prog->next)
		for (int i = 0; i < prog->nprocs; i++)
			if (!prog->retiring && strcmp(prog->procs[i]->name, name) == 0)
				return prog->procs[i];
	return NULL;
}

/* Does PROG list NAME in its requires or after? */
static bool lists(const struct program *prog, const char *name)
{
	for (int k = 0; k < 2; k++)
		for (char **d = k ? prog->cfg->after : prog->cfg->requires; d && *d; d++)
			if (strcmp(*d, name) == 0)
				return true;
	return false;
}

struct program *core_naming(const char *name, size_t i)
{
	if (!namings.broken) {
		struct naming *e = naming_find(name);
		return e && i < e->n ? e->v[i] : NULL;
	}
	for (struct program *prog = core.programs; prog; prog = prog->next)
		if (lists(prog, name) && i-- == 0)
			return prog;
	return NULL;
}

/* PROG into the list where PP points. */
static void link_at(struct program **pp, struct program *prog)
{
	prog->next = *pp;
	prog->link = pp;
	if (prog->next)
		prog->next->link = &prog->next;
	*pp = prog;
	index_add(prog);
}

struct program *core_member(const struct group *g, size_t i)
{
	char key[512];
	if (!namings.broken && group_key(g, key, sizeof key)) {
		struct naming *e = naming_find(key);
		return e && i < e->n ? e->v[i] : NULL;
	}
	for (struct program *prog = core.programs; prog; prog = prog->next)
		if (prog->group == g && i-- == 0)
			return prog;
	return NULL;
}

void core_insert(struct program *prog)
{
	struct program **pp = &core.programs;
	while (*pp && order(*pp, prog) <= 0)
		pp = &(*pp)->next;
	link_at(pp, prog);
}

static int order_qsort(const void *a, const void *b)
{
	return order(*(struct program *const *)a, *(struct program *const *)b);
}

void core_insert_all(struct program **v, size_t n)
{
	if (!n)
		return;
	/* Sorted, then merged into the list: the list's first on a tie, as
	 * core_insert() puts a program after others of the same order. (No
	 * two of one config tie: their names differ.) */
	qsort(v, n, sizeof *v, order_qsort);
	struct program **pp = &core.programs;
	for (size_t i = 0; i < n; i++) {
		while (*pp && order(*pp, v[i]) <= 0)
			pp = &(*pp)->next;
		link_at(pp, v[i]);
		pp = &v[i]->next;
	}
}

void core_unlink(struct program *prog)
{
	if (!prog->link)
		return; /* not in the list */
	*prog->link = prog->next;
	if (prog->next)
		prog->next->link = prog->link;
	if (core.start_from == prog)
		core.start_from = prog->next;
	prog->link = NULL;
	table_del(&by_name, prog);
	for (int i = 0; i < prog->nprocs; i++)
		table_del(&procs, prog->procs[i]);
	namings_each(prog, naming_del);
	char key[512];
	if (prog->group && group_key(prog->group, key, sizeof key))
		naming_del(key, prog);
	if (prog->cfg->group && cfg_group_key(prog, key, sizeof key))
		naming_del(key, prog);
}

/* A candidate of core_select(), once, whatever found it. */
static int candidate(struct program ***v, size_t *n, size_t *cap, struct program *prog)
{
	if (prog->retiring)
		return 0;
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		struct program **nv = reallocarray(*v, ncap, sizeof *nv);
		if (!nv)
			return -ENOMEM;
		*v = nv;
		*cap = ncap;
	}
	(*v)[(*n)++] = prog;
	return 0;
}

int core_select(const char *word, int (*fn)(void *ctx, struct process *p), void *ctx)
{
	if (by_name.broken || procs.broken || namings.broken)
		return 1;
	const char *colon = strchr(word, ':');
	size_t glen = colon ? (size_t)(colon - word) : strlen(word);
	bool star = colon && strcmp(colon + 1, "*") == 0;
	bool groups = !colon || star; /* the word names a group too */
	char gname[512];
	if (glen + 2 > sizeof gname)
		return 1;
	memcpy(gname, word, glen);
	gname[glen] = '\0';
	struct program **v = NULL;
	size_t n = 0, cap = 0;
	int r = 0;
	/* The programs whose group name is GNAME: a [group:]'s, by its
	 * name; one in none, by its own. And those with a process named WORD. */
	if (groups) {
		char key[514];
		snprintf(key, sizeof key, "\x02%s", gname);
		struct naming *e = naming_find(key);
		for (size_t i = 0; e && i < e->n && !r; i++)
			r = candidate(&v, &n, &cap, e->v[i]);
		for (struct program *prog = table_bucket(&by_name, gname); prog && !r;
		     prog = prog->same_hash)
			if (!prog->cfg->group && strcmp(prog->cfg->name, gname) == 0)
				r = candidate(&v, &n, &cap, prog);
	}
	for (struct process *p = table_bucket(&procs, word); p && !r; p = p->same_hash)
		if (strcmp(p->name, word) == 0)
			r = candidate(&v, &n, &cap, p->prog);
	if (r < 0) {
		free(v);
		return r;
	}
	/* In list order, each once, as the walk meets them. */
	if (n > 1)
		qsort(v, n, sizeof *v, order_qsort);
	for (size_t i = 0; i < n && !r; i++) {
		struct program *prog = v[i];
		if (i && v[i - 1] == prog)
			continue;
		bool group = groups && strcmp(core_group_name(prog), gname) == 0;
		for (int k = 0; k < prog->nprocs && !r; k++)
			if (group || strcmp(prog->procs[k]->name, word) == 0)
				r = fn(ctx, prog->procs[k]);
	}
	free(v);
	return r;
}

void core_config_put(struct config_ref *ref)
{
	if (ref && --ref->refs == 0) {
		config_free(&ref->cfg);
		free(ref);
	}
}

const char *core_group_name(const struct program *prog)
{
	return prog->cfg->group ? prog->cfg->group : prog->cfg->name;
}

const char *core_process_name(const struct process *p)
{
	const char *colon = strchr(p->name, ':');
	return colon ? colon + 1 : p->name;
}

void core_autostart(struct program *prog)
{
	if (!prog->cfg->autostart || state_disabled(prog->cfg->name))
		return;
	core.start_rewind = true; /* it may come before the queue's next batch */
	for (int i = 0; i < prog->nprocs; i++)
		if (!prog->procs[i]->start_queued) {
			prog->procs[i]->start_queued = true;
			core.start_queued++;
		}
}

void core_index_process(struct process *p, bool add)
{
	if (!p->prog->link)
		return; /* not in the list: in no index */
	if (add)
		table_put(&procs, p);
	else
		table_del(&procs, p);
}

void core_unqueue(struct process *p)
{
	if (p->start_queued) {
		p->start_queued = false;
		core.start_queued--;
	}
}
