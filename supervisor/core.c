#include "supervisor/core.h"

#include <stdlib.h>
#include <string.h>

struct core core = { .devnull = -1 };

/* ---- the indexes by name ----
 *
 * Programs by their name: a hash table of chains through the programs
 * themselves (same_hash), so that it allocates nothing per program. And
 * the names listed in requires or after: an entry per name, holding the
 * programs that list it in list order, for what depends on a program
 * without a walk of every program. Both grow as programs are inserted;
 * should that fail (out of memory), the lookups walk the list. */

struct naming {
	struct naming *next;          /* in its bucket */
	struct program **v;           /* the programs that list the name, in list order */
	size_t n, cap;
	char name[];
};

static struct program **by_name;  /* buckets */
static size_t by_name_cap, by_name_n;
static bool by_name_broken;       /* a program could not go in: walk the list */
static struct naming **namings;   /* buckets */
static size_t namings_cap, namings_n;
static bool namings_broken;       /* an entry could not be made: walk the list */

static size_t hash_name(const char *s)
{
	size_t h = 1469598103934665603u; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return h;
}

/* The order of core.programs: priority, then name. */
static int order(const struct program *a, const struct program *b)
{
	if (a->cfg->priority != b->cfg->priority)
		return a->cfg->priority < b->cfg->priority ? -1 : 1;
	return strcmp(a->cfg->name, b->cfg->name);
}

/* A table of CAP buckets (a power of two) for N entries: twice as many
 * when N passes it. Keeps the old one when there is no memory. */
static void *grow(void *buckets, size_t *cap, size_t n, void (*rehash)(void *, void **, size_t))
{
	if (n < *cap)
		return buckets;
	size_t ncap = *cap ? *cap * 2 : 256;
	void **nb = calloc(ncap, sizeof *nb);
	if (!nb)
		return buckets;
	rehash(buckets, nb, ncap);
	free(buckets);
	*cap = ncap;
	return nb;
}

/* Every program from the OLD buckets (by_name_cap of them) into NB. */
static void rehash_programs(void *old, void **nb, size_t ncap)
{
	struct program **ob = old;
	for (size_t i = 0; i < by_name_cap; i++)
		for (struct program *p = ob[i], *next; p; p = next) {
			next = p->same_hash;
			size_t b = hash_name(p->cfg->name) & (ncap - 1);
			p->same_hash = nb[b];
			nb[b] = p;
		}
}

/* Every entry from the OLD buckets (namings_cap of them) into NB. */
static void rehash_namings(void *old, void **nb, size_t ncap)
{
	struct naming **ob = old;
	for (size_t i = 0; i < namings_cap; i++)
		for (struct naming *e = ob[i], *next; e; e = next) {
			next = e->next;
			size_t b = hash_name(e->name) & (ncap - 1);
			e->next = nb[b];
			nb[b] = e;
		}
}

static void by_name_add(struct program *prog)
{
	by_name = grow(by_name, &by_name_cap, by_name_n, rehash_programs);
	if (!by_name_cap) {
		prog->same_hash = NULL;
		by_name_broken = true;
		return;
	}
	size_t b = hash_name(prog->cfg->name) & (by_name_cap - 1);
	prog->same_hash = by_name[b];
	by_name[b] = prog;
	by_name_n++;
}

static void by_name_del(struct program *prog)
{
	if (!by_name_cap)
		return;
	size_t b = hash_name(prog->cfg->name) & (by_name_cap - 1);
	for (struct program **pp = &by_name[b]; *pp; pp = &(*pp)->same_hash)
		if (*pp == prog) {
			*pp = prog->same_hash;
			by_name_n--;
			return;
		}
}

static struct naming *naming_find(const char *name, struct naming ***at)
{
	if (!namings_cap)
		return NULL;
	struct naming **pp = &namings[hash_name(name) & (namings_cap - 1)];
	for (; *pp; pp = &(*pp)->next)
		if (strcmp((*pp)->name, name) == 0)
			break;
	if (at)
		*at = pp;
	return *pp;
}

/* PROG lists NAME: into NAME's entry, after those before it in list order
 * (and after its namesakes of an earlier generation). */
static void naming_add(const char *name, struct program *prog)
{
	struct naming *e = naming_find(name, NULL);
	if (!e) {
		namings = grow(namings, &namings_cap, namings_n, rehash_namings);
		size_t len = strlen(name);
		if (!namings_cap || !(e = calloc(1, sizeof *e + len + 1))) {
			namings_broken = true;
			return;
		}
		memcpy(e->name, name, len + 1);
		size_t b = hash_name(name) & (namings_cap - 1);
		e->next = namings[b];
		namings[b] = e;
		namings_n++;
	}
	if (e->n && e->v[e->n - 1] == prog)
		return; /* listed twice */
	if (e->n == e->cap) {
		size_t ncap = e->cap ? e->cap * 2 : 4;
		struct program **v = reallocarray(e->v, ncap, sizeof *v);
		if (!v) {
			namings_broken = true;
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
	struct naming **at;
	struct naming *e = naming_find(name, &at);
	if (!e)
		return;
	for (size_t i = 0; i < e->n; i++)
		if (e->v[i] == prog) {
			memmove(e->v + i, e->v + i + 1, (e->n - i - 1) * sizeof *e->v);
			e->n--;
			break;
		}
	if (e->n == 0) {
		*at = e->next;
		namings_n--;
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

static void index_add(struct program *prog)
{
	by_name_add(prog);
	namings_each(prog, naming_add);
}

struct program *core_find_program(const char *name)
{
	if (!by_name_broken) {
		if (!by_name_cap)
			return NULL;
		for (struct program *prog = by_name[hash_name(name) & (by_name_cap - 1)]; prog;
		     prog = prog->same_hash)
			if (!prog->retiring && !prog->transient && strcmp(prog->cfg->name, name) == 0)
				return prog;
		return NULL;
	}
	for (struct program *prog = core.programs; prog; prog = prog->next)
		if (!prog->retiring && !prog->transient && strcmp(prog->cfg->name, name) == 0)
			return prog;
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
	if (!namings_broken) {
		struct naming *e = naming_find(name, NULL);
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
	by_name_del(prog);
	namings_each(prog, naming_del);
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
	if (!prog->cfg->autostart)
		return;
	core.start_rewind = true; /* it may come before the queue's next batch */
	for (int i = 0; i < prog->nprocs; i++)
		if (!prog->procs[i].start_queued) {
			prog->procs[i].start_queued = true;
			core.start_queued++;
		}
}

void core_unqueue(struct process *p)
{
	if (p->start_queued) {
		p->start_queued = false;
		core.start_queued--;
	}
}
