/* scalectl — corralctl scale NAME N | --reset: the number of a program's
 * processes at run time, kept in state_dir (state.h) across reloads,
 * exec's of corrald and its restarts. New processes start one at a time,
 * each ready before the next (roll.h); surplus ones stop, the highest
 * first, and the answer waits until they are gone (roster.h); the others
 * are never touched. */
#ifndef CORRAL_SCALECTL_H
#define CORRAL_SCALECTL_H

/* Set the verb's handler and subscribe to the hooks. 0, or -ENOSPC. */
int scalectl_init(void);

#endif
