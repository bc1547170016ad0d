/* group — [group:]s at run time and their restart strategies applied: when
 * a member fails, its group's strategy (strategy.h decides which members)
 * stops those members and starts them again, in the group's order, once
 * every one of them is down; a group that restarts too often is FATAL
 * until someone starts a member. The groups live as long as corrald; a
 * reload gives them new settings. A pipeline group's pipes: pipeline.h. */
#ifndef CORRAL_GROUP_H
#define CORRAL_GROUP_H

#include <stdbool.h>

#include "supervisor/supervisor_types.h"

/* The group named NAME, or NULL. */
struct group *group_find(const char *name);
/* The group of GC, made when there is none yet, takes GC's settings (and
 * its pipeline's pipes). 0 or -errno. */
int group_take(const struct group_config *gc);
/* Every group takes its settings from CFG (those CFG lacks have none).
 * 0 or -errno; the caller applies the old config again to undo. */
int group_apply(const struct corral_config *cfg);
/* At exit: every group is freed, its pipes closed. */
void group_free_all(void);

/* P, a member that was RUNNING, exited with IN and would be restarted:
 * apply its group's strategy. True when the group took the exit over;
 * false leaves it to P's own state machine (one_for_one, or no group). */
bool group_member_failed(struct process *p, const struct pinput *in);
/* After any change of a member of G: once every member G is restarting
 * is down (trees empty), start them in G's order; once a FATAL group is
 * all down, its members say FATAL. */
void group_check(struct group *g);

/* RUNNING, PARTIAL, STOPPED, RESTARTING or FATAL; "" when in no group. */
const char *group_state(const struct program *prog);

struct handover;
/* corrald execs itself: every pipeline's pipes go across (pipeline.h). */
int group_handover(struct handover *h);

#endif
