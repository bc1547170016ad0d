/* pipeline — a [group:] with pipeline = true at run time: its stages, the
 * group's programs in their order, joined by pipes that corrald makes once
 * and holds for as long as the pipeline exists. A stage that restarts finds
 * in its pipe everything its predecessor wrote, and the stage before it
 * never sees EPIPE; a slow stage blocks the ones before it. The pipes are
 * the group's (g->pipes); nothing else makes or closes them. */
#ifndef CORRAL_PIPELINE_H
#define CORRAL_PIPELINE_H

#include "supervisor/supervisor_types.h"

/* Make G's pipes as its settings (g->cfg) say: one between each two
 * stages, none when it is no pipeline. A reload that keeps the number of
 * stages keeps the pipes and what is in them. 0 or -errno (then G has
 * none). */
int pipeline_open(struct group *g);
/* Close G's pipes (harmless when it has none). */
void pipeline_close(struct group *g);
/* The ends P's stdin (*IN) and stdout (*OUT) are when it is a stage of a
 * pipeline: left as they are where it has no pipe. Borrowed: the group
 * keeps them. */
void pipeline_ends(const struct process *p, int *in, int *out);

struct handover;
/* corrald execs itself: G's pipes go across, with what is in them
 * (handover.h); pipeline_open() after the exec takes them back. 0 or
 * -ENOMEM. */
int pipeline_handover(const struct group *g, struct handover *h);

#endif
