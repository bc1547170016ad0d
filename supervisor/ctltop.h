/* ctltop — the control verb top: the status of every process, then each
 * change pushed as it happens (and, when asked, CPU and memory once a
 * second), for corralctl top. Set into the control server (controlint.h)
 * at init. */
#ifndef CORRAL_CTLTOP_H
#define CORRAL_CTLTOP_H

/* After control_init(): its verb, and the core's hooks it watches
 * processes by. 0, or -ENOSPC. */
int ctltop_init(void);

#endif
