#include "supervisor/pipeline.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
