#include "supervisor/pipeline.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "supervisor/handover.h"
#include "supervisor/log.h"

void pipeline_close(struct group *g)
{
	for (int i = 0; i < g->npipes; i++) {
		close(g->pipes[i][0]);
		close(g->pipes[i][1]);
	}
	free(g->pipes);
	g->pipes = NULL;
	g->npipes = 0;
}

/* The key of G's I-th pipe's end END in a handover record (handover.h). */
static void pipe_key(const struct group *g, int i, int end, char *buf, size_t len)
{
	snprintf(buf, len, "%s:%d:%d", g->name, i, end);
}

/* Both ends of G's I-th pipe from the record, true; else false, and
 * neither is taken. */
static bool pipe_adopt(struct group *g, int i)
{
	if (!handover_active())
		return false;
	char k0[PATH_MAX], k1[PATH_MAX];
	pipe_key(g, i, 0, k0, sizeof k0);
	pipe_key(g, i, 1, k1, sizeof k1);
	int r = handover_take_fd("pipeline", k0);
	int w = handover_take_fd("pipeline", k1);
	if (r < 0 || w < 0 || fcntl(r, F_SETFD, FD_CLOEXEC) < 0 ||
	    fcntl(w, F_SETFD, FD_CLOEXEC) < 0) {
		if (r >= 0)
			close(r);
		if (w >= 0)
			close(w);
		return false;
	}
	g->pipes[i][0] = r;
	g->pipes[i][1] = w;
	return true;
}

int pipeline_handover(const struct group *g, struct handover *h)
{
	char key[PATH_MAX];
	for (int i = 0; i < g->npipes; i++)
		for (int end = 0; end < 2; end++) {
			pipe_key(g, i, end, key, sizeof key);
			if (handover_add_fd(h, "pipeline", key, g->pipes[i][end]) < 0)
				return -ENOMEM;
		}
	return 0;
}

int pipeline_open(struct group *g)
{
	if (!g->cfg->pipeline) {
		pipeline_close(g);
		return 0;
	}
	int n = 0;
	while (g->cfg->programs[n])
		n++;
	if (g->npipes == n - 1)
		return 0;
	/* A reload that changes the number of stages makes new pipes: what was
	 * in the old ones is lost, and said so. */
	if (g->npipes)
		log_warn("pipeline %s: its stages changed: new pipes", g->name);
	pipeline_close(g);
	g->pipes = calloc((size_t)(n - 1), sizeof *g->pipes);
	if (!g->pipes)
		return -ENOMEM;
	for (int i = 0; i < n - 1; i++) {
		/* After an exec of corrald, the pipes it held, with what is in them. */
		if (pipe_adopt(g, i)) {
			g->npipes++;
			continue;
		}
		if (pipe2(g->pipes[i], O_CLOEXEC) < 0) {
			int e = errno;
			pipeline_close(g);
			return -e;
		}
		g->npipes++;
		if (g->cfg->buffer && fcntl(g->pipes[i][0], F_SETPIPE_SZ, (int)g->cfg->buffer) < 0)
			log_warn("pipeline %s: buffer %llu: %m", g->name,
				 (unsigned long long)g->cfg->buffer);
	}
	return 0;
}

/* Which stage PROG is: its place in its group's list of programs. */
static size_t stage_of(const struct group *g, const struct program *prog)
{
	size_t i = 0;
	for (char **n = g->cfg->programs; *n; n++, i++)
		if (strcmp(*n, prog->cfg->name) == 0)
			return i;
	return i;
}

void pipeline_ends(const struct process *p, int *in, int *out)
{
	const struct group *g = p->prog->group;
	if (!g || !g->cfg || !g->cfg->pipeline || !g->npipes)
		return;
	size_t i = stage_of(g, p->prog);
	if (i > 0 && i - 1 < (size_t)g->npipes)
		*in = g->pipes[i - 1][0];
	if (i < (size_t)g->npipes)
		*out = g->pipes[i][1];
}
