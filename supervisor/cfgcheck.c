/* cfgcheck — what a config is checked for as a whole, once every file is
 * read (see cfgcheck.h): names, groups, sockets, dependencies, processes.
 * Each message goes to the section it is about. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "supervisor/cfgcheck.h"
#include "supervisor/cfgexpand.h"
#include "supervisor/cfgprog.h"
#include "supervisor/poolcfg.h"
#include "supervisor/sockets.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char name_rule[] = "it must be non-empty, without whitespace, ':', '/' or '*'";

/* The kernel names the files of every cgroup CONTROLLER.KEY (cgroup.procs,
 * memory.max, cpu.pressure); corrald makes a cgroup per process in its
 * scope beside those files, so a process may not take such a name. */
static const char *const cgroup_file_prefixes[] = {
	"cgroup", "cpu", "cpuset", "debug", "dmem", "hugetlb", "io", "irq", "memory", "misc",
	"perf_event", "pids", "rdma", NULL,
};

const char *config_name_problem(const char *s)
{
	if (!*s)
		return name_rule;
	for (const char *c = s; *c; c++)
		if ((unsigned char)*c <= ' ' || *c == 0x7f || strchr(":/*", *c))
			return name_rule;
	/* its cgroup would be corrald's own or its parent, its log file a
	 * directory (cgroup.c and supervisor.c refuse them too) */
	if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return "'.' and '..' name directories: its cgroup and log files would not be its own";
	const char *dot = strchr(s, '.');
	for (int i = 0; dot && cgroup_file_prefixes[i]; i++)
		if (strlen(cgroup_file_prefixes[i]) == (size_t)(dot - s) &&
		    strncmp(s, cgroup_file_prefixes[i], (size_t)(dot - s)) == 0)
			return "names that start with a cgroup controller and '.', as cgroup.procs "
			       "or memory.max, are the kernel's files in every cgroup";
	return NULL;
}


#define SOCKET_NAME_MAX 255     /* systemd's limit for a LISTEN_FDNAMES entry */

bool cfgcheck_socket_name(struct source *src, const char *name)
{
	/* it goes into LISTEN_FDNAMES: systemd's rules for those (printable
	 * ASCII, no ':', at most 255 bytes) on top of config_name_problem()'s */
	bool ok = config_name_problem(name) != name_rule && strlen(name) <= SOCKET_NAME_MAX;
	for (const char *c = name; ok && *c; c++)
		ok = (unsigned char)*c <= 0x7e;
	if (!ok) {
		cfgload_error(src, src->lineno,
			      "bad socket name '%s' (it must be non-empty printable ASCII, "
			      "without whitespace, ':', '/' or '*', at most %d bytes)",
			      name, SOCKET_NAME_MAX);
		return false;
	}
	if (config_name_problem(name)) {
		cfgload_error(src, src->lineno, "bad socket name '%s' (%s)", name,
			      config_name_problem(name));
		return false;
	}
	return true;
}

struct pname {
	char *full;     /* as corrald names it: NAME or GROUP:PROCESS */
	char *flat;     /* with ':' as '_', as in default log file names */
	size_t prog;
};

static int pname_cmp(const void *a, const void *b)
{
	const struct pname *x = a, *y = b;
	int c = strcmp(x->flat, y->flat);
	if (c)
		return c;
	return x->prog < y->prog ? -1 : x->prog > y->prog;
}

static void prog_error(struct loader *ld, struct program_config *p, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The kind of section P was written as: "program", "pool" ... */
static const char *prog_kind(const struct program_config *p)
{
	return p->is_pool ? "pool" : p->is_fcgi ? "fcgi-program" :
	       p->is_listener ? "eventlistener" : "program";
}

static void prog_error(struct loader *ld, struct program_config *p, const char *fmt, ...)
{
	char *section;
	if (asprintf(&section, "%s:%s", prog_kind(p), p->name) < 0) {
		ld->oom = true;
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	cfgload_add_verror(ld, ld->meta[p - ld->progs].fseq, p->file, p->line, section, fmt, ap);
	va_end(ap);
	free(section);
}

static void group_error(struct loader *ld, struct group_config *g, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void group_error(struct loader *ld, struct group_config *g, const char *fmt, ...)
{
	char *section;
	if (asprintf(&section, "%s:%s", g->pipeline ? "pipeline" : "group", g->name) < 0) {
		ld->oom = true;
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	cfgload_add_verror(ld, ld->gmeta[g - ld->groups].fseq, g->file, g->line, section, fmt, ap);
	va_end(ap);
	free(section);
}

/* Every program a group lists exists and is in no other group; members
 * take the group's name as their prefix, and its priority when it has one. */
static struct program_config *prog_by_name(struct loader *ld, const char *name)
{
	for (size_t k = 0; k < ld->nprogs; k++)
		if (ld->progs[k].name && strcmp(ld->progs[k].name, name) == 0)
			return &ld->progs[k];
	return NULL;
}

/* requires and after name programs that exist, and never a cycle: a
 * program that waits (through others) for itself would never start. */
static void check_deps(struct loader *ld)
{
	size_t n = ld->nprogs;
	for (size_t i = 0; i < n; i++) {
		struct program_config *p = &ld->progs[i];
		for (int k = 0; k < 2; k++)
			for (char **d = k ? p->after : p->requires; d && *d; d++) {
				if (!prog_by_name(ld, *d))
					prog_error(ld, p, "%s: unknown program '%s'", k ? "after" : "requires", *d);
				else if (strcmp(*d, p->name) == 0)
					prog_error(ld, p, "%s: a program cannot wait for itself",
						   k ? "after" : "requires");
			}
	}
	/* Depth-first, colouring 0 new, 1 on the path, 2 done; an edge back to
	 * the path is a cycle, reported once at the program that closes it. */
	unsigned char *colour = calloc(n ? n : 1, 1);
	size_t *stack = calloc(n ? n : 1, sizeof *stack), *edge = calloc(n ? n : 1, sizeof *edge);
	if (!colour || !stack || !edge) {
		ld->oom = true;
		goto out;
	}
	for (size_t root = 0; root < n; root++) {
		if (colour[root])
			continue;
		size_t sp = 0;
		stack[sp] = root;
		edge[sp] = 0;
		colour[root] = 1;
		while (1) {
			struct program_config *p = &ld->progs[stack[sp]];
			size_t nreq = 0, naft = 0;
			while (p->requires && p->requires[nreq])
				nreq++;
			while (p->after && p->after[naft])
				naft++;
			if (edge[sp] < nreq + naft) {
				const char *dn = edge[sp] < nreq ? p->requires[edge[sp]] : p->after[edge[sp] - nreq];
				edge[sp]++;
				struct program_config *d = prog_by_name(ld, dn);
				if (!d || d == p)
					continue;
				size_t di = (size_t)(d - ld->progs);
				if (colour[di] == 1) {
					/* The cycle is the path from D back to P, then D. */
					char path[512] = "";
					size_t len = 0, j = 0;
					while (j < sp && stack[j] != di)
						j++;
					for (; j <= sp && len < sizeof path; j++)
						len += (size_t)snprintf(path + len, sizeof path - len, "%s -> ",
									ld->progs[stack[j]].name);
					if (len < sizeof path)
						snprintf(path + len, sizeof path - len, "%s", d->name);
					prog_error(ld, p, "dependency cycle: %s", path);
				} else if (colour[di] == 0) {
					colour[di] = 1;
					stack[++sp] = di;
					edge[sp] = 0;
				}
				continue;
			}
			colour[stack[sp]] = 2;
			if (sp == 0)
				break;
			sp--;
		}
	}
out:
	free(colour);
	free(stack);
	free(edge);
}

static void check_groups(struct loader *ld)
{
	for (size_t i = 0; i < ld->ngroups; i++) {
		struct group_config *g = &ld->groups[i];
		if (!g->name || !g->file || !g->programs)
			continue;
		for (size_t j = 0; j < i; j++)
			if (ld->groups[j].name && strcmp(ld->groups[j].name, g->name) == 0)
				group_error(ld, g, "the name '%s' is also [%s:%s] at %s:%d", g->name,
					    ld->groups[j].pipeline ? "pipeline" : "group", g->name,
					    ld->groups[j].file, ld->groups[j].line);
		if (g->pipeline && !g->programs[1])
			group_error(ld, g, "a pipeline needs at least two programs");
		for (char **name = g->programs; *name; name++) {
			struct program_config *p = NULL;
			for (size_t k = 0; k < ld->nprogs && !p; k++)
				if (ld->progs[k].name && strcmp(ld->progs[k].name, *name) == 0)
					p = &ld->progs[k];
			if (!p) {
				group_error(ld, g, "unknown program '%s' in programs", *name);
				continue;
			}
			if (p->group) {
				group_error(ld, g, "program '%s' is already in [group:%s]", *name,
					    p->group);
				continue;
			}
			if (!(p->group = strdup(g->name))) {
				ld->oom = true;
				return;
			}
			if (g->has_priority)
				p->priority = g->priority;
		}
		for (size_t k = 0; k < ld->nprogs; k++) {
			struct program_config *p = &ld->progs[k];
			if (p->name && strcmp(p->name, g->name) == 0 &&
			    (!p->group || strcmp(p->group, g->name) != 0))
				group_error(ld, g, "group name '%s' is also the name of [program:%s] "
						   "at %s:%d, which is not in it",
					    g->name, p->name, p->file, p->line);
		}
	}
}

static void sock_error(struct loader *ld, struct socket_config *s, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void sock_error(struct loader *ld, struct socket_config *s, int line, const char *fmt, ...)
{
	char *section;
	if (asprintf(&section, "socket:%s", s->name) < 0) {
		ld->oom = true;
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	cfgload_add_verror(ld, ld->smeta[s - ld->socks].fseq, s->file, line > 0 ? line : s->line, section,
		   fmt, ap);
	va_end(ap);
	free(section);
}

/* An address may be bound once: the first section to list it has it. */
static bool socket_addr_taken(struct loader *ld, size_t i, int k)
{
	struct socket_config *s = &ld->socks[i];
	struct socket_meta *m = &ld->smeta[i];
	char text[SOCKETS_ADDR_STRLEN];
	sockets_format(&s->listen[k], text, sizeof text);
	for (int j = 0; j < k; j++)
		if (sockets_addr_equal(&s->listen[j], &s->listen[k])) {
			sock_error(ld, s, m->listen_line, "listen: %s is listed twice", text);
			return true;
		}
	for (size_t o = 0; o < i; o++)
		for (int j = 0; j < ld->socks[o].nlisten; j++)
			if (sockets_addr_equal(&ld->socks[o].listen[j], &s->listen[k])) {
				sock_error(ld, s, m->listen_line, "listen: %s is already in [socket:%s] at %s:%d",
					   text, ld->socks[o].name, ld->socks[o].file, ld->smeta[o].listen_line);
				return true;
			}
	return false;
}

/* An [fcgi-program:]'s socket is its own: in no [socket:], in no other. */
static void check_fcgi_sockets(struct loader *ld)
{
	for (size_t i = 0; i < ld->nprogs; i++) {
		struct program_config *p = &ld->progs[i];
		if (!p->is_fcgi || !p->fcgi_socket || !p->name || !p->file)
			continue;
		char text[SOCKETS_ADDR_STRLEN];
		sockets_format(p->fcgi_socket, text, sizeof text);
		for (size_t o = 0; o < i; o++)
			if (ld->progs[o].fcgi_socket &&
			    sockets_addr_equal(ld->progs[o].fcgi_socket, p->fcgi_socket))
				prog_error(ld, p, "socket %s is already [fcgi-program:%s]'s", text,
					   ld->progs[o].name);
		for (size_t o = 0; o < ld->nsocks; o++)
			for (int k = 0; k < ld->socks[o].nlisten; k++)
				if (sockets_addr_equal(&ld->socks[o].listen[k], p->fcgi_socket))
					prog_error(ld, p, "socket %s is already in [socket:%s] at %s:%d",
						   text, ld->socks[o].name, ld->socks[o].file,
						   ld->smeta[o].listen_line);
	}
}

/* Each [socket:] gives its addresses to a program that exists: the same
 * sockets to each of its instances, or with reuseport one each; a program named by several sections gets theirs in the
 * order the sections are written: its fds 3, 4 ... */
static void check_sockets(struct loader *ld)
{
	for (size_t i = 0; i < ld->nsocks; i++) {
		struct socket_config *s = &ld->socks[i];
		struct socket_meta *m = &ld->smeta[i];
		bool bad = false;
		if (!s->name || !s->file)
			continue; /* half-built after running out of memory */
		for (int k = 0; k < s->nlisten; k++)
			bad |= socket_addr_taken(ld, i, k);
		if (!s->program)
			continue;
		struct program_config *p = NULL;
		for (size_t k = 0; k < ld->nprogs && !p; k++)
			if (ld->progs[k].name && strcmp(ld->progs[k].name, s->program) == 0)
				p = &ld->progs[k];
		if (!p) {
			sock_error(ld, s, m->program_line, "unknown program '%s'", s->program);
			continue;
		}
		/* SO_REUSEPORT is for TCP and UDP: a unix socket has no port. */
		for (int k = 0; k < s->nlisten && s->reuseport; k++)
			if (s->listen[k].kind == SOCKET_UNIX) {
				char text[SOCKETS_ADDR_STRLEN];
				sockets_format(&s->listen[k], text, sizeof text);
				sock_error(ld, s, m->reuseport_line, "reuseport = true needs tcp: or udp: "
					   "addresses; %s is a unix socket (leave reuseport out: its "
					   "one socket is shared by every instance)", text);
				bad = true;
			}
		if (!s->nlisten || bad)
			continue;
		for (int k = 0; k < s->nlisten; k++)
			s->listen[k].reuseport = s->reuseport;
		int n = p->nlisten + s->nlisten;
		if (n > SOCKETS_MAX_PER_PROGRAM) {
			sock_error(ld, s, m->program_line, "program '%s' would get %d listening sockets "
				   "(at most %d)", s->program, n, SOCKETS_MAX_PER_PROGRAM);
			continue;
		}
		struct socket_addr *a = reallocarray(p->listen, (size_t)n, sizeof *a);
		if (a)
			p->listen = a;
		char **names = reallocarray(p->listen_names, (size_t)n + 1, sizeof *names);
		if (names)
			p->listen_names = names;
		if (!a || !names) {
			ld->oom = true;
			return;
		}
		for (int k = 0; k < s->nlisten; k++) {
			a[p->nlisten + k] = s->listen[k];
			names[p->nlisten + k] = NULL;
		}
		for (int k = 0; k < s->nlisten; k++)
			if (!(names[p->nlisten + k] = strdup(s->name)))
				ld->oom = true;
		names[n] = NULL;
		p->nlisten = n;
	}
	for (size_t i = 0; i < ld->nprogs; i++) {
		struct program_config *p = &ld->progs[i];
		if (p->ready_health && !p->healthcheck)
			prog_error(ld, p, "ready = health+log: needs a healthcheck");
		if (p->nlisten && p->ready == READY_FD && p->ready_fd < 3 + p->nlisten)
			prog_error(ld, p, "ready = fd:%d is taken by its listening sockets (fds 3 to %d)",
				   p->ready_fd, 2 + p->nlisten);
	}
}

static void check_programs(struct loader *ld)
{
	struct pname *names = NULL;
	size_t n = 0, cap = 0;

	for (size_t i = 0; i < ld->nprogs; i++) {
		struct program_config *p = &ld->progs[i];
		struct program_meta *m = &ld->meta[i];
		if (!p->name || !p->file || !p->process_name)
			continue; /* half-built after running out of memory */
		char serr[256];
		/* config_visit()'s and config_socket()'s caller is corralctl, linked statically, where
		 * glibc cannot load its NSS modules (libnss_systemd crashes): users
		 * and groups are not looked up, here or where they are set (the
		 * file it writes is checked by corrald, which does) */
		int sr = ld->no_nss ? 0 : sandbox_finish(&p->sandbox, serr, sizeof serr);
		if (sr == -ENOMEM)
			ld->oom = true;
		else if (sr < 0)
			prog_error(ld, p, "%s", serr);
		if (p->main) {
			if (p->numprocs != 1)
				prog_error(ld, p, "main = true needs numprocs = 1");
			for (size_t k = 0; k < i; k++)
				if (ld->progs[k].main && ld->progs[k].name)
					prog_error(ld, p, "main = true is already set in [program:%s] at %s:%d",
						   ld->progs[k].name, ld->progs[k].file, ld->progs[k].line);
		}
		if (p->schedule) {
			if (p->is_pool || p->is_fcgi || p->is_listener)
				prog_error(ld, p, "schedule is for [program:] sections only");
			else if (p->numprocs != 1)
				prog_error(ld, p, "schedule needs numprocs = 1");
			/* A run is a job: its exit is its result, and the next
			 * trigger starts it again (schedule.c). */
			p->autostart = false;
			p->autorestart = AUTORESTART_FALSE;
			p->startsecs = 0;
		}
		if (p->is_pool && poolcfg_check(p, serr, sizeof serr) < 0)
			prog_error(ld, p, "%s", serr);
		for (size_t k = 0; p->is_pool && k < ld->nprogs; k++)
			if (k != i && ld->progs[k].name && strcmp(ld->progs[k].name, p->name) == 0)
				prog_error(ld, p, "[program:%s] at %s:%d has the same name", p->name,
					   ld->progs[k].file, ld->progs[k].line);
		size_t command = cfgprog_key_id(p, "command"),
		       process_name = cfgprog_key_id(p, "process_name");
		if (!cfgkey_seen_has(&m->seen, command))
			prog_error(ld, p, "missing command");
		else if (!cfgkey_seen_has(&m->bad, command) && !p->argv)
			prog_error(ld, p, "empty command");
		if (cfgkey_seen_has(&m->bad, process_name))
			continue; /* said where it was set */
		struct cfgexpand_vars vars = { .program = p->name, .has_num = true, .numprocs = p->numprocs };
		char err[160], *first;
		int rc = cfgexpand(p->process_name, &vars, &first, err, sizeof err);
		free(first);
		if (rc < 0) {
			ld->oom |= rc == -ENOMEM;
			continue;
		}
		if (p->numprocs > 1 && !vars.used_num) {
			prog_error(ld, p, "%%(process_num) must be present within process_name "
					  "when numprocs > 1");
			continue;
		}
		for (int k = 0; k < p->numprocs; k++) {
			vars.num = p->numprocs_start + k;
			char *proc;
			if (cfgexpand(p->process_name, &vars, &proc, err, sizeof err) < 0) {
				ld->oom = true;
				break;
			}
			const char *why = config_name_problem(proc);
			if (why) {
				prog_error(ld, p, "bad process name '%.*s%s' (%s)", SHOW(proc), why);
				free(proc);
				break;
			}
			if (n == cap) {
				cap = cap ? cap * 2 : 16;
				struct pname *v = realloc(names, cap * sizeof *v);
				if (!v) {
					free(proc);
					ld->oom = true;
					goto out;
				}
				names = v;
			}
			struct pname *e = &names[n];
			e->prog = i;
			if (!p->group && p->numprocs == 1 && strcmp(proc, p->name) == 0)
				e->full = proc;
			else if (asprintf(&e->full, "%s:%s", p->group ? p->group : p->name, proc) < 0)
				e->full = NULL;
			if (e->full != proc)
				free(proc);
			if (!e->full) {
				ld->oom = true;
				goto out;
			}
			if (strlen(e->full) > CONFIG_FULL_NAME_MAX) {
				prog_error(ld, p, "process name '%.*s%s' is longer than %d bytes (its "
						  "cgroup and log files are named after it)",
					   SHOW(e->full), CONFIG_FULL_NAME_MAX);
				free(e->full);
				break;
			}
			if (!(e->flat = strdup(e->full))) {
				free(e->full);
				ld->oom = true;
				goto out;
			}
			for (char *c = e->flat; *c; c++)
				if (*c == ':')
					*c = '_';
			n++;
		}
	}
	/* Full names cannot repeat, but "a:b" and a program "a_b" would write
	 * the same default log files. */
	if (n > 1)
		qsort(names, n, sizeof *names, pname_cmp);
	for (size_t i = 1; i < n; i++) {
		size_t first = i - 1;
		if (strcmp(names[first].flat, names[i].flat) != 0)
			continue;
		while (first > 0 && strcmp(names[first - 1].flat, names[i].flat) == 0)
			first--;
		struct program_config *a = &ld->progs[names[first].prog];
		struct program_config *b = &ld->progs[names[i].prog];
		if (strcmp(names[first].full, names[i].full) == 0)
			prog_error(ld, b, "duplicate process name '%s' (also in [%s:%s] at %s:%d)",
				   names[i].full, prog_kind(a), a->name, a->file, a->line);
		else
			prog_error(ld, b, "duplicate process name '%s' (same as '%s' of "
					  "[%s:%s] at %s:%d once ':' becomes '_')",
				   names[i].full, names[first].full, prog_kind(a), a->name, a->file,
				   a->line);
	}
out:
	for (size_t i = 0; i < n; i++) {
		free(names[i].full);
		free(names[i].flat);
	}
	free(names);
}


/* update_strategy: a [group:]'s goes to its members that set none; a
 * rolling one needs a way to tell that a new instance is ready (a
 * readiness protocol, ready = health, or startsecs): said at the line
 * that made it rolling. */
static void check_rolling(struct loader *ld)
{
	for (size_t i = 0; i < ld->ngroups; i++) {
		struct group_config *g = &ld->groups[i];
		if (!g->name || g->update_strategy != UPDATE_ROLLING)
			continue;
		for (char **m = g->programs; m && *m; m++)
			for (size_t k = 0; k < ld->nprogs; k++) {
				struct program_config *p = &ld->progs[k];
				if (!p->name || strcmp(p->name, *m) != 0 ||
				    ld->meta[k].update_strategy_line)
					continue;
				p->update_strategy = UPDATE_ROLLING;
				bool blind = p->ready == READY_NONE ||
					     (p->ready == READY_STARTSECS && p->startsecs == 0);
				char section[300];
				snprintf(section, sizeof section, "group:%s", g->name);
				if (blind)
					cfgload_add_error(ld, ld->gmeta[i].fseq, g->file,
							  ld->gmeta[i].update_strategy_line, section,
							  "update_strategy = rolling: program '%s' has "
							  "no way to tell that it is ready (set ready = "
							  "notify, fd:N or health, or startsecs > 0)",
							  p->name);
			}
	}
	for (size_t k = 0; k < ld->nprogs; k++) {
		struct program_config *p = &ld->progs[k];
		if (!p->name || !ld->meta[k].update_strategy_line ||
		    p->update_strategy != UPDATE_ROLLING)
			continue;
		char section[300];
		snprintf(section, sizeof section, "%s:%s", prog_kind(p), p->name);
		if (p->ready == READY_NONE || (p->ready == READY_STARTSECS && p->startsecs == 0))
			cfgload_add_error(ld, ld->meta[k].fseq, p->file, ld->meta[k].update_strategy_line,
					  section, "update_strategy = rolling needs a way to tell "
					  "that an instance is ready: ready = notify, fd:N or health, "
					  "or startsecs > 0");
	}
}

void cfgcheck_config(struct loader *ld)
{
	if (!ld->oom)
		check_groups(ld);
	if (!ld->oom)
		check_sockets(ld);
	if (!ld->oom)
		check_fcgi_sockets(ld);
	if (!ld->oom)
		check_deps(ld);
	if (!ld->oom)
		check_programs(ld);
	if (!ld->oom)
		check_rolling(ld);
}
